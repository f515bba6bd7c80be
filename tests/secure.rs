//! Real deployments: nats-server with token, user/password and nkey authentication, TLS and mutual
//! TLS with certificates made at test time (openssl), nats CLI contexts; wrong credentials; secrets
//! never on screen; credentials refused after a reconnect; the jsonl gap record.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Runs latwatch to completion (it must fail to connect) and returns (exit code, stderr).
fn fails(args: &[&str]) -> (Option<i32>, String) {
    let output = latwatch_command(args).output().expect("latwatch runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn token_authentication() {
    let server = NatsServer::start_with(&["--auth", "t0ken-s3cr3t"]);
    let url = server.url();
    Latwatch::listening(&server, &["--token", "t0ken-s3cr3t"]);

    let mut command = latwatch_command(&["-s", &url]);
    command.env("NATS_TOKEN", "t0ken-s3cr3t");
    Latwatch::spawn_command(command).wait_stderr("listening", WAIT);

    let (code, stderr) = fails(&["-s", &url, "--token", "wr0ng-t0ken"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("authorization failed"), "{stderr}");
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    assert!(
        !stderr.contains("wr0ng-t0ken"),
        "secret on screen: {stderr}"
    );

    let (code, stderr) = fails(&["-s", &url]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("the server wants credentials"), "{stderr}");
}

#[test]
fn user_and_password_by_flag_env_and_url() {
    let server = NatsServer::start_with(&["--user", "alice", "--pass", "pa55-w0rd"]);
    Latwatch::listening(&server, &["--user", "alice", "--password", "pa55-w0rd"]);

    let mut command = latwatch_command(&["-s", &server.url()]);
    command
        .env("NATS_USER", "alice")
        .env("NATS_PASSWORD", "pa55-w0rd");
    Latwatch::spawn_command(command).wait_stderr("listening", WAIT);

    let url = format!("nats://alice:pa55-w0rd@127.0.0.1:{}", server.port);
    let latwatch = Latwatch::spawn(&["-s", &url]);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(
        !stderr.contains("pa55-w0rd") && !stderr.contains("alice"),
        "{stderr}"
    );

    let url = format!("nats://alice:wr0ng-pa55@127.0.0.1:{}", server.port);
    let (code, stderr) = fails(&["-s", &url]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("authorization failed"), "{stderr}");
    assert!(!stderr.contains("wr0ng-pa55"), "{stderr}");
}

/// An nkey user: the seed file works, and a seed file others can read gets a warning.
#[test]
fn nkey_authentication_and_file_permissions() {
    let user = nkeys::KeyPair::new_user();
    let dir = temp_dir("nkey");
    let config = dir.join("server.conf");
    std::fs::write(
        &config,
        format!(
            "authorization {{ users = [ {{ nkey: \"{}\" }} ] }}\n",
            user.public_key()
        ),
    )
    .unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let seed_file = dir.join("user.nk");
    let seed = user.seed().unwrap();
    std::fs::write(&seed_file, &seed).unwrap();
    set_mode(&seed_file, 0o600);
    let latwatch = Latwatch::listening(&server, &["--nkey", seed_file.to_str().unwrap()]);
    let stderr = latwatch.stderr();
    assert!(!stderr.contains("other users can read it"), "{stderr}");
    assert!(!stderr.contains(&seed), "{stderr}");

    set_mode(&seed_file, 0o644);
    let latwatch = Latwatch::listening(&server, &["--nkey", seed_file.to_str().unwrap()]);
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("holds a secret and other users can read it (mode 644); chmod 600"),
        "{stderr}"
    );

    let other = nkeys::KeyPair::new_user();
    let other_file = dir.join("other.nk");
    std::fs::write(&other_file, other.seed().unwrap()).unwrap();
    set_mode(&other_file, 0o600);
    let (code, stderr) = fails(&["-s", &server.url(), "--nkey", other_file.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("authorization failed"), "{stderr}");
    assert!(!stderr.contains(&other.seed().unwrap()), "{stderr}");

    let (code, stderr) = fails(&["-s", &server.url(), "--nkey", "/no/such/seed.nk"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--nkey /no/such/seed.nk: cannot read"),
        "{stderr}"
    );
}

/// File modes are Unix's: elsewhere the check they feed does not exist either.
#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

/// A CA, a server certificate for `localhost` only, and a client certificate, made with openssl.
struct Certs {
    /// Holds the files: they are removed when the certificates are dropped.
    _dir: TestDir,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs (apt-get install -y openssl)");
    assert!(status.success(), "openssl {args:?}");
}

fn make_certs() -> Certs {
    let dir = temp_dir("tls");
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=latwatch test CA",
        ],
    );
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, cn) in [("server", "localhost"), ("client", "latwatch")] {
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={cn}"),
            ],
        );
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
            ],
        );
    }
    Certs {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
        _dir: dir,
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// TLS: verified against the CA given; an unknown issuer and a wrong host name say so.
#[test]
fn tls_verification() {
    let certs = make_certs();
    let server = NatsServer::start_with(&[
        "--tls",
        "--tlscert",
        path(&certs.server_cert),
        "--tlskey",
        path(&certs.server_key),
    ]);
    let url = format!("tls://localhost:{}", server.port);
    let latwatch = Latwatch::spawn(&["-s", &url, "--tls-ca", path(&certs.ca)]);
    latwatch.wait_stderr("listening", WAIT);

    let (code, stderr) = fails(&["-s", &url]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown issuer"), "{stderr}");
    assert!(stderr.contains("--tls-ca"), "{stderr}");

    let by_ip = format!("tls://127.0.0.1:{}", server.port);
    let (code, stderr) = fails(&["-s", &by_ip, "--tls-ca", path(&certs.ca)]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not valid for this host name"), "{stderr}");
}

/// Mutual TLS: without a client certificate the server refuses; with one, events flow.
#[test]
fn mutual_tls() {
    let certs = make_certs();
    let server = NatsServer::start_with(&[
        "--tlsverify",
        "--tlscert",
        path(&certs.server_cert),
        "--tlskey",
        path(&certs.server_key),
        "--tlscacert",
        path(&certs.ca),
    ]);
    let url = format!("tls://localhost:{}", server.port);
    let latwatch = Latwatch::spawn(&[
        "-s",
        &url,
        "--tls-ca",
        path(&certs.ca),
        "--tls-cert",
        path(&certs.client_cert),
        "--tls-key",
        path(&certs.client_key),
        "--json",
    ]);
    latwatch.wait_stderr("listening", WAIT);

    let (code, stderr) = fails(&["-s", &url, "--tls-ca", path(&certs.ca)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot connect to tls://localhost"),
        "{stderr}"
    );
}

/// A nats CLI context supplies server and token; latwatch says which context it used; a flag wins.
#[test]
fn nats_contexts() {
    let server = NatsServer::start_with(&["--auth", "ctx-t0ken"]);
    let config = temp_dir("contexts");
    let contexts = config.join("nats/context");
    std::fs::create_dir_all(&contexts).unwrap();
    std::fs::write(
        contexts.join("dev.json"),
        format!(
            r#"{{"description":"test","url":"{}","token":"ctx-t0ken"}}"#,
            server.url()
        ),
    )
    .unwrap();
    std::fs::write(config.join("nats/context.txt"), "dev\n").unwrap();

    let mut selected = latwatch_command(&[]);
    selected.env("XDG_CONFIG_HOME", &config);
    let latwatch = Latwatch::spawn_command(selected);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(stderr.contains("using nats context dev"), "{stderr}");
    assert!(!stderr.contains("ctx-t0ken"), "{stderr}");

    let mut named = latwatch_command(&["--context", "dev", "--token", "wr0ng"]);
    named.env("XDG_CONFIG_HOME", &config);
    let output = named.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the --token flag overrides the context"
    );

    let mut missing = latwatch_command(&["--context", "nope"]);
    missing.env("XDG_CONFIG_HOME", &config);
    let output = missing.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--context nope"), "{stderr}");
}

/// Credentials the server stops accepting after a restart end latwatch with exit 1.
#[test]
fn credentials_refused_after_a_reconnect_exit_1() {
    let mut server = NatsServer::start_with(&["--auth", "first-t0ken"]);
    let mut latwatch = Latwatch::listening(&server, &["--token", "first-t0ken"]);
    server.restart_with(&["--auth", "second-t0ken"]);
    let status = latwatch.wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(1), "{}", latwatch.stderr());
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("refused latwatch's credentials after a reconnect"),
        "{stderr}"
    );
    assert!(!stderr.contains("first-t0ken"), "{stderr}");
}

/// In `-o jsonl` an outage leaves a `{"gap": {"from", "to"}}` record between the events.
#[test]
fn jsonl_marks_the_gap_of_an_outage() {
    let mut server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["-o", "jsonl"]);
    let event = FIXTURES_1X.lines().next().unwrap();
    Publisher::connect(&server.url()).publish_event("default", event);
    assert!(latwatch.lines(1, WAIT)[0].contains("\"event\":"));
    server.stop();
    latwatch.wait_stderr("disconnected", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    latwatch.wait_stderr("reconnected", Duration::from_secs(20));
    let gap: serde_json::Value = serde_json::from_str(&latwatch.lines(1, WAIT)[0]).unwrap();
    let from = chrono::DateTime::parse_from_rfc3339(gap["gap"]["from"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(gap["gap"]["to"].as_str().unwrap()).unwrap();
    assert!(to - from >= chrono::Duration::milliseconds(300), "{gap}");
    Publisher::connect(&server.url()).publish_event("default", event);
    assert!(latwatch.lines(1, WAIT)[0].contains("\"event\":"));
}
