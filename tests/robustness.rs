//! Nothing a publisher or a command line can do crashes latwatch or makes it show a secret:
//! hostile events through every output mode and filter, deep nesting under jq, huge names in
//! `--summary`, endless lines, huge durations, bad flag values, secrets in environment variables
//! shown by `--help`.

mod support;

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use support::*;

const WAIT: Duration = Duration::from_secs(20);

/// Runs latwatch to the end with `args`, stdin closed; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let output = latwatch_command(args)
        .stdin(Stdio::null())
        .output()
        .expect("latwatch runs");
    (
        output.status.code().unwrap_or(-1),
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn event(id: &str, ty: &str, source: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.{ty}","source":"{source}","time":"2026-01-01T00:00:00Z","data":{data}}}"#
    )
}

/// An event with arrays nested `depth` levels deep beside its attributes.
fn deep_event(depth: usize) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"deep","type":"com.wasmcloud.lattice.component_scaled","source":"NDEEP","deep":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Every hostile payload there is, as `-o jsonl` records (`payload` or `payload_base64`, so any
/// bytes fit on one line): the corpus, 1M-deep nesting, an 8 MiB string, 65,536-character names,
/// and a plain event last.
fn hostile_capture() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/hostile exists")
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut payloads: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    payloads.push(deep_event(1_000_000).into_bytes());
    let long = "N".repeat(65_536);
    payloads.push(
        event(
            "h",
            "host_started",
            &long,
            &format!(r#"{{"friendly_name":"{long}"}}"#),
        )
        .into_bytes(),
    );
    payloads.push(
        format!(r#"{{"specversion":"1.0","id":"t","type":"{long}","source":"{long}"}}"#)
            .into_bytes(),
    );
    let big = "x\\u001b[31m".repeat(8 * 1024 * 1024 / 10);
    payloads.push(
        event(
            "big",
            "component_scale_failed",
            "NBIG",
            &format!(r#"{{"component_id":"c","error":"{big}"}}"#),
        )
        .into_bytes(),
    );
    payloads.push(
        event(
            "last",
            "component_scaled",
            "NLAST",
            r#"{"component_id":"last","max_instances":1}"#,
        )
        .into_bytes(),
    );
    // wadm's messages, hostile: control characters and bidi overrides in every string a line
    // shows, a manifest whose name is one, a status type no wadm sends.
    let evil = r"\u001b[2J\u202e\u0007evil";
    let status = format!(
        r#"{{"status":{{"type":"failed","message":"{evil}"}},"scalers":[{{"id":"x","kind":"{evil}","name":"{evil}","status":{{"type":"failed","message":"{evil}2"}}}}]}}"#
    );
    let manifest = format!(
        r#"{{"specversion":"1.0","id":"m","type":"com.wadm.manifest_published","source":"wadm","data":{{"metadata":{{"name":"{evil}","annotations":{{"version":"{evil}"}}}},"spec":{{"components":[{{"name":"{evil}","type":"component","properties":{{"id":"{evil}"}}}}]}}}}}}"#
    );
    let wadm = [
        ("wadm.status.default.evil-app", status.into_bytes()),
        (
            "wadm.status.default.odd",
            br#"{"status":{"type":"\u202eexploded"}}"#.to_vec(),
        ),
        ("wadm.evt.default.manifest_published", manifest.into_bytes()),
    ];
    let mut capture = Vec::new();
    // Every hostile payload once more as a status message and as a wadm event.
    let as_wadm = payloads.iter().enumerate().flat_map(|(i, payload)| {
        [
            (format!("wadm.status.default.app{i}"), payload.clone()),
            (
                "wadm.evt.default.manifest_published".to_owned(),
                payload.clone(),
            ),
        ]
    });
    // And as wasmCloud 2 heartbeats (issue 22), with a hostile heartbeat of the right shape.
    let v2_evil = format!(
        r#"{{"id":"{evil}","hostname":"{evil}","friendlyName":"{evil}","version":"{evil}","labels":{{"hostgroup":"{evil}"}},"environment":"{evil}","workloadCount":"18446744073709551616","startedAt":"{evil}"}}"#
    );
    let as_v2 = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| (format!("runtime.operator.heartbeat.h{i}"), payload.clone()))
        .chain([
            (
                "runtime.operator.heartbeat.evil".to_owned(),
                v2_evil
                    .replace("18446744073709551616", "2")
                    .replace(
                        &format!(r#""startedAt":"{evil}""#),
                        r#""startedAt":"2026-12-02T09:14:25.237768903+00:00""#,
                    )
                    .into_bytes(),
            ),
            (
                "runtime.operator.heartbeat.evil2".to_owned(),
                v2_evil.into_bytes(),
            ),
        ]);
    let wadm = wadm
        .into_iter()
        .map(|(subject, payload)| (subject.to_owned(), payload))
        .chain(as_wadm)
        .chain(as_v2)
        .collect::<Vec<_>>();
    let host = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| (format!("wasmbus.evt.default.p{i}"), payload.clone()));
    // The plain event stays last.
    let (last, host) = {
        let mut host: Vec<_> = host.collect();
        let last = host.pop().unwrap();
        (last, host)
    };
    // And as wasmCloud 2 requests and the hosts' answers, paired by their reply subjects.
    let v2 = v2_hostile_traffic(&payloads);
    for (subject, payload) in host.into_iter().chain(wadm) {
        // latwatch's own key order: "subject" first marks a record.
        writeln!(capture, "{}", v2_record(&subject, None, &payload)).unwrap();
    }
    for line in v2 {
        writeln!(capture, "{line}").unwrap();
    }
    writeln!(capture, "{}", v2_record(&last.0, None, &last.1)).unwrap();
    capture
}

/// Every hostile payload as wasmCloud 2 traffic to [`V2_HOST`] (which heartbeats first), as
/// recording lines with reply subjects: as a `workload.start` body and as its answer, as the
/// answer to a status poll, as a `workload.stop` body, as a message on an inbox nobody asked
/// on; then starts carrying secrets (none may show), and answers whose every string a line
/// shows is hostile (control characters, bidi overrides, line breaks, a state no host sends).
fn v2_hostile_traffic(payloads: &[Vec<u8>]) -> Vec<String> {
    let start = v2_request("workload.start");
    let mut lines = vec![v2_heartbeat_record()];
    for (i, payload) in payloads.iter().enumerate() {
        let (s, q, p) = (
            format!("_INBOX.mx.s{i}"),
            format!("_INBOX.mx.q{i}"),
            format!("_INBOX.mx.p{i}"),
        );
        lines.push(v2_record(&start, Some(&s), payload));
        lines.push(v2_record(&s, None, payload));
        lines.push(v2_record(
            &v2_request("workload.status"),
            Some(&q),
            format!(r#"{{"workloadId":"w{i}"}}"#).as_bytes(),
        ));
        lines.push(v2_record(&q, None, payload));
        lines.push(v2_record(&v2_request("workload.stop"), Some(&p), payload));
        lines.push(v2_record(
            &p,
            None,
            v2_answer(&format!("w{i}"), "WORKLOAD_STATE_STOPPING", "stopped").as_bytes(),
        ));
        lines.push(v2_record(&format!("_INBOX.mx.n{i}"), None, payload));
    }
    let secret = v2_secret_start("ws", "payments", "billing-6c7d8-zzzzz").to_string();
    let snake = secret
        .replace("imagePullSecret", "image_pull_secret")
        .replace("localResources", "local_resources")
        .replace("hostInterfaces", "host_interfaces");
    for (i, body) in [secret, snake].iter().enumerate() {
        let reply = format!("_INBOX.mx.secret{i}");
        lines.push(v2_record(&start, Some(&reply), body.as_bytes()));
        lines.push(v2_record(
            &reply,
            None,
            v2_answer("ws", "WORKLOAD_STATE_RUNNING", "ok").as_bytes(),
        ));
    }
    let evil = "\u{1b}[2J\u{202e}\u{7}\u{9b}31m\u{200b}evil\r\n\u{2028}";
    let hostile_start = serde_json::json!({"workloadId": format!("w{evil}"),
        "workload": {"namespace": format!("ns{evil}"), "name": format!("name{evil}"),
            "annotations": {evil: evil}, "service": {"image": evil},
            "witWorld": {"components": [{"image": evil}, null, 7]}}})
    .to_string();
    for (i, (state, message)) in [
        ("WORKLOAD_STATE_ERROR".to_owned(), evil.to_owned()),
        (format!("WORKLOAD_STATE_{evil}"), evil.to_owned()),
        (evil.to_owned(), evil.repeat(10_000)),
    ]
    .iter()
    .enumerate()
    {
        let reply = format!("_INBOX.mx.evil{i}");
        lines.push(v2_record(&start, Some(&reply), hostile_start.as_bytes()));
        lines.push(v2_record(
            &reply,
            None,
            v2_answer(&format!("w{evil}"), state, message).as_bytes(),
        ));
    }
    lines
}

/// True when `text` is one JSON value, however deeply nested (serde_json's `Value` stops at 128
/// levels; skipping a value as `IgnoredAny` does not).
fn is_json(text: &str) -> bool {
    use serde::Deserialize as _;
    let mut reader = serde_json::Deserializer::from_str(text);
    serde::de::IgnoredAny::deserialize(&mut reader).is_ok() && reader.end().is_ok()
}

/// What must never reach a terminal raw: latwatch's own one definition.
fn forbidden(c: char) -> bool {
    latwatch::text::needs_escape(c)
}

#[test]
fn every_output_mode_and_filter_survives_every_hostile_payload() {
    let dir = temp_dir("hostile-matrix");
    let path = dir.join("capture.jsonl");
    std::fs::write(&path, hostile_capture()).unwrap();
    let input = path.to_str().unwrap();
    let filters: &[&[&str]] = &[
        &[],
        &["-t", "*_fail*,host_*,component_*"],
        &["--host", "N*"],
        &["--component", "c*"],
        &["--filter", ".data"],
        &["--filter", ".deep | length > 0"],
        &["--until-type", "nothing_like_this"],
        &["--until-filter", ".id == \"never\""],
        &["--summary"],
        &["--summary", "--filter", ".type", "-t", "*"],
        &["--apps", "--app", "*", "--summary"],
        &["--until-app", "evil-app=deployed"],
        &["-v", "--namespace", "*"],
        &["--hostgroup", "default", "--summary"],
        &["--until-workload", "never/never-*=running"],
    ];
    for output in ["pretty", "json", "jsonl"] {
        for filter in filters {
            let mut args = vec!["--input", input, "-o", output, "--color", "never"];
            args.extend_from_slice(filter);
            let (code, stdout, stderr) = run(&args);
            let waits = filter.iter().any(|a| a.starts_with("--until"));
            // A wait that is never met ends at the end of the input (3), or at the corpus' failure
            // events (4, --fail-on's default); anything else is what the run earned: 0.
            let expected: &[i32] = if waits { &[3, 4] } else { &[0] };
            assert!(
                expected.contains(&code),
                "{args:?} exited {code}: {stderr:.2000}"
            );
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            let text = String::from_utf8(stdout).expect("stdout is UTF-8");
            for line in text.lines() {
                match output {
                    "pretty" => assert!(
                        !line.chars().any(forbidden),
                        "{args:?}: raw control character in {line:.200}"
                    ),
                    _ => assert!(is_json(line), "{args:?}: not JSON: {line:.200}"),
                }
            }
            if filter.is_empty() {
                assert!(text.contains("last"), "{args:?}: the last event is shown");
            }
            for secret in V2_SECRETS {
                assert!(
                    !text.contains(secret) && !stderr.contains(secret),
                    "{args:?}: {secret} left latwatch"
                );
            }
            if filter.contains(&"--summary") {
                assert!(stderr.contains("summary:"), "{args:?}: {stderr:.2000}");
                assert!(
                    stderr.lines().all(|l| l.chars().count() < 300),
                    "{args:?}: summary lines stay narrow"
                );
            }
        }
    }
}

#[test]
fn deep_nesting_under_a_live_filter_is_not_a_crash() {
    let server = NatsServer::start();
    let filtered = Latwatch::listening(&server, &["--filter", ".type", "--color", "never"]);
    let mut waiting = Latwatch::listening(
        &server,
        &["--until-filter", ".data.component_id == \"done\"", "--json"],
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish("wasmbus.evt.default.component_scaled", deep_event(30_000));
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        event("ok", "component_scaled", "NH", r#"{"component_id":"done"}"#),
    );
    let line = filtered.lines(1, WAIT).remove(0);
    assert!(line.contains("component_scaled"), "{line}");
    filtered.wait_stderr("nests deeper than", WAIT);
    assert_eq!(
        waiting.wait_exit(WAIT).code(),
        Some(0),
        "{}",
        waiting.stderr()
    );
    assert!(waiting.stderr().contains("nests deeper than"));
}

#[test]
fn jq_runtime_errors_are_said_once_and_counted() {
    let capture = [
        event("1", "component_scaled", "NH", r#"{"component_id":"a"}"#),
        event("2", "component_scaled", "NH", r#"{"component_id":"b"}"#),
        event("3", "component_scaled", "NH", r#"{"component_id":"c"}"#),
    ]
    .join("\n");
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--filter",
            r#".data | error("boom")"#,
            "--summary",
        ],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(0));
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.matches("could not be run on an event").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("3 the jq expression could not judge"),
        "{stderr}"
    );
    let (_, _, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--filter",
            r#".data.component_id | test("(" + .)"#,
        ],
        capture.as_bytes(),
    );
    assert!(
        stderr.contains("could not be run on an event"),
        "an invalid regex: {stderr}"
    );
    // Errors that differ per event (they quote it) are said up to a bound, then only counted.
    let many: String = (0..100)
        .map(|i| {
            event(
                &i.to_string(),
                "component_scaled",
                "NH",
                &format!(r#"{{"n":{i}}}"#),
            ) + "\n"
        })
        .collect();
    let (_, _, stderr) = run_with_stdin(
        &["--input", "-", "--filter", ".data | error"],
        many.as_bytes(),
    );
    assert_eq!(stderr.matches("could not be run").count(), 20, "{stderr}");
    assert!(stderr.contains("only counted"), "{stderr}");
}

#[test]
fn summary_with_huge_names_keeps_the_exit_code() {
    let long = "n".repeat(70_000);
    let capture = [
        event(
            "1",
            "host_started",
            &long,
            &format!(r#"{{"friendly_name":"{long}"}}"#),
        ),
        format!(r#"{{"specversion":"1.0","id":"2","type":"{long}","source":"{long}"}}"#),
    ]
    .join("\n");
    let (status, _, stderr) = run_with_stdin(
        &["--input", "-", "--summary", "--until-type", "never_comes"],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(3), "what the run earned: {stderr:.500}");
    assert!(stderr.contains('…'));
    assert!(stderr.lines().all(|l| l.chars().count() < 300));
}

#[test]
fn an_endless_line_is_one_flagged_event_and_memory_stays_bounded() {
    let mut child = latwatch_command(&["--input", "-", "-o", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..160 {
            stdin.write_all(&zeros).unwrap();
        }
        stdin.write_all(b"\n").unwrap();
        stdin
            .write_all(event("after", "component_scaled", "NH", "{}").as_bytes())
            .unwrap();
    });
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let _ = pid;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout:.300}");
    assert!(
        lines[0].contains("longer than the 96 MiB"),
        "{:.300}",
        lines[0]
    );
    assert!(lines[0].len() < 10_000, "only the start is kept");
    assert!(lines[1].contains("after"));
}

#[test]
fn bad_values_are_usage_errors_that_say_what_to_do() {
    for (args, says) in [
        (
            &["--timeout", "99999999999999999999"][..],
            "shorter duration",
        ),
        (
            &["--idle-timeout", "99999999999999999999"],
            "shorter duration",
        ),
        (&["--since", "9999-12-31T23:59:59Z"], "in the future"),
        (&["--since", "10000000h"], "--since"),
        (&["--since", "1000000000h"], "--since"),
        (&["-s", ""], "empty"),
        (&["-s", ",,,"], "empty"),
        (&["--subject-prefix", "a.>"], "--subject-prefix"),
        (&["--subject-prefix", "x y"], "--subject-prefix"),
        (&["-t", "a b"], "spaces"),
        (&["-t", "**{"], "glob"),
        (&["--creds", "/tmp"], "is a directory"),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("chmod"), "{args:?}: {stderr}");
    }
}

/// A file a connection needs that cannot be read is named with its flag and the system's reason
/// (async-nats says "other error" for a missing creds file, "TLS failed" for a missing CA).
#[test]
fn a_missing_connection_file_is_named() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    for (flag, says) in [
        (
            "--creds",
            "cannot read the credentials file (--creds) /nonexistent/u.creds",
        ),
        (
            "--tls-ca",
            "cannot read the TLS CA file (--tls-ca) /nonexistent/u.creds",
        ),
    ] {
        let output = latwatch_command(&["-s", &url, flag, "/nonexistent/u.creds"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flag}: {stderr}");
        assert!(stderr.contains(says), "{flag}: {stderr}");
        assert!(stderr.contains("No such file"), "{flag}: {stderr}");
    }
}

#[test]
fn help_never_shows_a_secret_from_the_environment() {
    for (name, value, clean) in [
        (
            "NATS_URL",
            "nats://alice:PWsecret@127.0.0.1:4222",
            "nats://127.0.0.1:4222",
        ),
        (
            "NATS_URL",
            "nats://T0KENsecret@127.0.0.1:4222,nats://bob:PWsecret@h:1",
            "nats://h:1",
        ),
        ("WASMCLOUD_CTL_HOST", "alice:PWsecret@nats.lan", "nats.lan"),
        ("NATS_USER", "alice:PWsecret@x", "x"),
    ] {
        for help in ["--help", "-h"] {
            let output = latwatch_command(&[help]).env(name, value).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(!stdout.contains("secret"), "{name} with {help}:\n{stdout}");
            if help == "--help" {
                assert!(
                    stdout.contains(clean),
                    "{name}: the redacted value is shown:\n{stdout}"
                );
            }
        }
    }
}

#[test]
fn a_context_with_a_password_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let config = temp_dir("context-perms");
    let contexts = config.join("nats/context");
    std::fs::create_dir_all(&contexts).unwrap();
    let file = contexts.join("prod.json");
    std::fs::write(
        &file,
        r#"{"url":"nats://127.0.0.1:1","user":"a","password":"PWsecret"}"#,
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = latwatch_command(&["--context", "prod"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("other users can read it"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("PWsecret"), "{stderr}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = latwatch_command(&["--context", "prod"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("other users"));
}

/// `--record` keeps what was received so exactly that `--input` of the recording prints the same
/// `--json` bytes and flags the same payloads, over the whole hostile corpus (payloads that are not
/// UTF-8 included).
#[test]
fn a_recording_of_the_hostile_corpus_replays_exactly() {
    let dir = temp_dir("record-hostile");
    let config = dir.join("server.conf");
    std::fs::write(&config, "max_payload: 16777216\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let record = dir.join("session.jsonl");
    let mut live = Latwatch::listening(&server, &["--json", "--record", record.to_str().unwrap()]);
    let publisher = Publisher::connect(&server.url());
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let mut files: Vec<_> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut not_utf8 = 0;
    for (i, file) in files.iter().enumerate() {
        let payload = std::fs::read(file).unwrap();
        not_utf8 += usize::from(std::str::from_utf8(&payload).is_err());
        publisher.publish(&format!("wasmbus.evt.default.p{i}"), payload);
    }
    assert!(not_utf8 >= 3, "the corpus has payloads that are not UTF-8");
    let sentinel = event("sentinel-id", "component_scaled", "NS", "{}");
    publisher.publish("wasmbus.evt.default.component_scaled", sentinel.clone());
    let mut shown = Vec::new();
    loop {
        let line = live.next_line(WAIT).expect("the sentinel arrives");
        let done = line.windows(11).any(|w| w == b"sentinel-id");
        shown.extend_from_slice(&line);
        if done {
            break;
        }
    }
    live.signal("TERM");
    assert_eq!(live.wait_exit(WAIT).code(), Some(0));
    let live_skipped = live.stderr().matches("skipped a payload").count();
    assert!(live_skipped >= not_utf8, "{}", live.stderr());

    let (code, replayed, stderr) = run(&["--input", record.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("live.out"), &shown).unwrap();
    std::fs::write(dir.join("replay.out"), &replayed).unwrap();
    assert!(
        replayed == shown,
        "the replay prints the bytes the live run printed: diff {0}/live.out {0}/replay.out",
        dir.display()
    );
    assert_eq!(
        stderr.matches("skipped a payload").count(),
        live_skipped,
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// wasmCloud 2 (`--workloads`): the operator's requests to hosts and the hosts' answers, hostile.
// ---------------------------------------------------------------------------------------------

/// The v2 host every capture below talks to.
const V2_HOST: &str = "01a23608-a255-7980-98a3-97c727c3d665";

/// What the secret-bearing bodies below carry: none may ever leave latwatch.
const V2_SECRETS: [&str; 7] = [
    "PULL-hunter2-SECRET",
    "ENV-s3cr3t-VALUE",
    "CONFIG-k3y-VALUE",
    "robot$puller",
    "HOSTIF-SECRET",
    "31415926535",
    "2.718281828",
];

/// A recording line as latwatch reads it (`"subject"` first), with its reply subject.
fn v2_record(subject: &str, reply: Option<&str>, payload: &[u8]) -> String {
    let reply = reply
        .map(|r| format!(r#","reply":{}"#, serde_json::to_string(r).unwrap()))
        .unwrap_or_default();
    let body = match std::str::from_utf8(payload) {
        Ok(text) => format!(r#""payload":{}"#, serde_json::to_string(text).unwrap()),
        Err(_) => format!(
            r#""payload_base64":"{}""#,
            base64::engine::general_purpose::STANDARD.encode(payload)
        ),
    };
    format!(
        r#"{{"subject":{},"received":"2026-12-02T09:14:30.000000+00:00"{reply},{body}}}"#,
        serde_json::to_string(subject).unwrap()
    )
}

fn v2_heartbeat_body() -> String {
    serde_json::json!({"id": V2_HOST, "hostname": "lab-a", "friendlyName": "cheerful-crown-5011",
        "version": "2.10.3", "labels": {"hostgroup": "default"},
        "startedAt": "2026-12-02T09:14:25.237768903+00:00"})
    .to_string()
}

fn v2_heartbeat_record() -> String {
    v2_record(
        &format!("runtime.operator.heartbeat.{V2_HOST}"),
        None,
        v2_heartbeat_body().as_bytes(),
    )
}

fn v2_request(command: &str) -> String {
    format!("runtime.host.{V2_HOST}.{command}")
}

/// A `workload.start` body with every secret a start carries: an image-pull username and
/// password, environment and config values (a number and a float among them), a host
/// interface's config.
fn v2_secret_start(id: &str, namespace: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "workloadId": id,
        "workload": {
            "namespace": namespace,
            "name": name,
            "service": {
                "image": "registry.example/billing:2.0",
                "imagePullSecret": {"username": "robot$puller", "password": "PULL-hunter2-SECRET"},
                "localResources": {"environment": {"DB_PASSWORD": "ENV-s3cr3t-VALUE", "PIN": 31415926535u64}}
            },
            "witWorld": {
                "components": [{
                    "image": "registry.example/billing-api:2.0",
                    "localResources": {"config": {"api_key": "CONFIG-k3y-VALUE", "e": 2.5}}
                }],
                "hostInterfaces": [{"namespace": "wasi", "package": "keyvalue",
                    "config": {"url": "HOSTIF-SECRET"}}]
            }
        }
    })
}

/// A host's answer, pretty-printed as hosts send it.
fn v2_answer(id: &str, state: &str, message: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({"workloadStatus": {
        "workloadId": id, "workloadState": state, "message": message}}))
    .unwrap()
}

/// A plain event after everything else: shown means latwatch kept running.
fn v2_marker_record() -> String {
    v2_record(
        "wasmbus.evt.default.component_scaled",
        None,
        event(
            "v2-marker",
            "component_scaled",
            "NMARK",
            r#"{"component_id":"v2-marker","max_instances":1}"#,
        )
        .as_bytes(),
    )
}

/// Feeds `capture` to `--input` in every way a secret could leave (pretty, `-v`, `--json`,
/// `-o jsonl`, `--summary`, and a `--record` replayed with `--json` and `-v`) and asserts that no
/// run panics or fails and every run shows the marker after; returns each mode that shows one of
/// [`V2_SECRETS`].
fn v2_secret_leaks(what: &str, capture: &str) -> Vec<String> {
    let dir = temp_dir("v2-leak");
    let input = dir.join("capture.txt");
    std::fs::write(&input, capture).unwrap();
    let input = input.to_str().unwrap().to_owned();
    let record = dir.join("record.jsonl");
    let record = record.to_str().unwrap().to_owned();
    let modes: &[&[&str]] = &[
        &["--color", "never"],
        &["--color", "never", "-v"],
        &["--json"],
        &["-o", "jsonl"],
        &["--color", "never", "--summary", "-v"],
        &["--color", "never", "--record", &record],
    ];
    let mut leaks = Vec::new();
    for mode in modes {
        let _ = std::fs::remove_file(&record);
        let mut args = vec!["--input", input.as_str()];
        args.extend_from_slice(mode);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{what} {args:?}: {stderr:.2000}");
        assert!(!stderr.contains("panicked"), "{what} {args:?}: {stderr}");
        let stdout = String::from_utf8(stdout).expect("stdout is UTF-8");
        assert!(
            stdout.contains("v2-marker"),
            "{what} {args:?}: the marker after is shown: {stdout:.3000}"
        );
        let mut seen = format!("{stdout}\n{stderr}");
        if mode.contains(&"--record") {
            let recorded = std::fs::read_to_string(&record).unwrap_or_default();
            seen += &recorded;
            for replay in [&["--json"][..], &["-v", "--color", "never"]] {
                let mut args = vec!["--input", record.as_str()];
                args.extend_from_slice(replay);
                let (_, stdout, stderr) = run(&args);
                seen += &String::from_utf8_lossy(&stdout);
                seen += &stderr;
            }
        }
        for secret in V2_SECRETS {
            if seen.contains(secret) {
                leaks.push(format!("{what}: {mode:?} shows {secret}"));
            }
        }
    }
    leaks
}

fn assert_no_v2_secret_leaves(what: &str, capture: &str) {
    let leaks = v2_secret_leaks(what, capture);
    assert!(
        leaks.is_empty(),
        "a secret left latwatch:\n{}\ncapture:\n{capture:.3000}",
        leaks.join("\n")
    );
}

/// Start secrets in every spelling a host reads (protojson's lowerCamelCase and the proto's
/// snake_case), duplicated keys, secrets in arrays, numbers and booleans, a start with no reply
/// subject, starts that are truncated, not UTF-8, not JSON or 8 MiB: nothing secret leaves in
/// any mode, and a recording of the run replays without one.
#[test]
fn v2_start_secrets_in_every_spelling_never_leave() {
    let start = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz").to_string();
    let snake = start
        .replace("imagePullSecret", "image_pull_secret")
        .replace("localResources", "local_resources")
        .replace("hostInterfaces", "host_interfaces")
        .replace("witWorld", "wit_world")
        .replace("workloadId", "workload_id");
    let pascal = start
        .replace("imagePullSecret", "ImagePullSecret")
        .replace("\"config\"", "\"Config\"")
        .replace("\"environment\"", "\"ENVIRONMENT\"");
    let duplicated = r#"{"workloadId":"w4","workload":{"namespace":"payments","name":"dup-1","service":{"imagePullSecret":{"password":"PULL-hunter2-SECRET"},"imagePullSecret":{"password":"x"}}},"workload":{"namespace":"payments","name":"dup-1"}}"#.to_string();
    let arrays = serde_json::json!({"workloadId": "w5", "workload": {"namespace": "payments",
        "name": "arr-1", "witWorld": {"components": [
            {"image": "i", "localResources": {"config": [["CONFIG-k3y-VALUE"], {"x": ["HOSTIF-SECRET", true, 31415926535u64]}]}}
        ]}}})
    .to_string();
    let big = {
        let mut v = v2_secret_start("w6", "payments", "big-1");
        v["workload"]["witWorld"]["components"][0]["localResources"]["config"]["pad"] =
            "P".repeat(8 * 1024 * 1024).into();
        v.to_string()
    };
    let start_subject = v2_request("workload.start");
    let mut lines = vec![v2_heartbeat_record()];
    for (i, body) in [&start, &snake, &pascal, &duplicated, &arrays, &big]
        .iter()
        .enumerate()
    {
        let reply = format!("_INBOX.sp.{i}");
        lines.push(v2_record(&start_subject, Some(&reply), body.as_bytes()));
        lines.push(v2_record(
            &reply,
            None,
            v2_answer(&format!("w{i}"), "WORKLOAD_STATE_RUNNING", "ok").as_bytes(),
        ));
    }
    // No reply subject; unreadable bodies (cannot be cleaned: never shown).
    lines.push(v2_record(&start_subject, None, start.as_bytes()));
    lines.push(v2_record(
        &start_subject,
        Some("_INBOX.sp.t"),
        &start.as_bytes()[..start.len() / 2],
    ));
    lines.push(v2_record(
        &start_subject,
        Some("_INBOX.sp.u"),
        &[b"\xff\xfe".as_slice(), start.as_bytes()].concat(),
    ));
    lines.push(v2_record(
        &start_subject,
        Some("_INBOX.sp.g"),
        format!("{start} trailing").as_bytes(),
    ));
    lines.push(v2_marker_record());
    assert_no_v2_secret_leaves("starts in every spelling", &(lines.join("\n") + "\n"));
}

/// Defect: a start-shaped body carries the same secrets on any subject a host is asked on, but
/// only `runtime.host.<id>.workload.start` is redacted. The same body sent as
/// `workload.start.v2`, `workload.update` (a command a later host may add), `workload.status` or
/// `heartbeat` is shown whole by `--json`, `-o jsonl` and written whole to `--record`.
#[test]
fn v2_secrets_in_any_request_to_a_host_never_leave() {
    let body = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz").to_string();
    let mut leaks = Vec::new();
    for command in [
        "workload.start.v2",
        "workload.update",
        "workload.status",
        "heartbeat",
    ] {
        let capture = [
            v2_heartbeat_record(),
            v2_record(&v2_request(command), Some("_INBOX.o.1"), body.as_bytes()),
            v2_record(
                "_INBOX.o.1",
                None,
                v2_answer("w1", "WORKLOAD_STATE_RUNNING", "ok").as_bytes(),
            ),
            v2_marker_record(),
        ]
        .join("\n");
        leaks.extend(v2_secret_leaks(
            &format!("a secret body on {command}"),
            &capture,
        ));
    }
    assert!(
        leaks.is_empty(),
        "a secret left latwatch:\n{}",
        leaks.join("\n")
    );
}

/// Defect: an answer on the asker's inbox is shown whole in `--json`, `-o jsonl` and `--record`
/// even when it carries the secret-bearing keys of a start (a status answer that echoes the
/// workload's spec, an answer that came before its request). The redaction rule (`config`,
/// `environment`, `imagePullSecret` anywhere) should hold for answers too (mind that a
/// heartbeat answer's top-level `environment` is the host's tenant label, not a secret).
#[test]
fn v2_secrets_in_a_hosts_answer_never_leave() {
    let spec = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz");
    let echoing = serde_json::to_string_pretty(&serde_json::json!({"workloadStatus": {
        "workloadId": "w1", "workloadState": "WORKLOAD_STATE_RUNNING", "message": "ok"},
        "workload": spec["workload"]}))
    .unwrap();
    let capture = [
        v2_heartbeat_record(),
        v2_record(
            &v2_request("workload.status"),
            Some("_INBOX.a.1"),
            br#"{"workloadId":"w1"}"#,
        ),
        v2_record("_INBOX.a.1", None, echoing.as_bytes()),
        // An answer recorded before its request (two subscriptions: it can overtake).
        v2_record("_INBOX.a.2", None, spec.to_string().as_bytes()),
        v2_record(&v2_request("heartbeat"), Some("_INBOX.a.2"), b"{}"),
        v2_marker_record(),
    ]
    .join("\n");
    assert_no_v2_secret_leaves("an answer echoing a start", &capture);
}

/// Defect: a start body in a capture line latwatch cannot tie to a subject is shown whole by
/// `--json`, `-o jsonl` and `--record`: a `nats sub`-like record with no subject (the
/// `{"received":…}` form latwatch reads, its `payload` or `event` a start), and a bare body
/// (`nats sub --raw`) whose only secret is a host interface's config (none of the byte marks
/// that hold back bare v2 bodies is in it).
#[test]
fn v2_a_start_body_without_a_subject_never_leaves_whole() {
    let start = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz");
    let cases = [
        (
            "a record with no subject, its payload a start",
            format!(
                r#"{{"received":"2026-12-02T09:14:30Z","payload":{}}}"#,
                serde_json::to_string(&start.to_string()).unwrap()
            ),
        ),
        (
            "a record with no subject, its event a start",
            format!(r#"{{"received":"2026-12-02T09:14:30Z","event":{start}}}"#),
        ),
        (
            "a bare start body with only a host interface's secret",
            serde_json::json!({"workload": {"namespace": "payments", "name": "billing-1",
                "witWorld": {"hostInterfaces": [{"namespace": "wasi", "package": "keyvalue",
                    "config": {"url": "HOSTIF-SECRET"}}]}}})
            .to_string(),
        ),
    ];
    let mut leaks = Vec::new();
    for (what, line) in cases {
        let capture = [v2_heartbeat_record(), line, v2_marker_record()].join("\n");
        leaks.extend(v2_secret_leaks(what, &capture));
    }
    assert!(
        leaks.is_empty(),
        "a secret left latwatch:\n{}",
        leaks.join("\n")
    );
}

/// Defect: `nats sub` prints a body as it was sent; a start sent pretty-printed (`nats req …
/// "$(cat start.json)"`) spans many lines, and each line not marked as v2 (`"DB_PASSWORD":
/// "…"`, `"api_key": "…"`, `"url": "…"`, `"username": "…"`) is shown as an invalid event with
/// its text — in the default pretty output too.
#[test]
fn v2_a_pretty_start_in_a_nats_sub_capture_never_shows_its_secrets() {
    let start =
        serde_json::to_string_pretty(&v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz"))
            .unwrap();
    let capture = format!(
        "[#1] Received on \"{}\" with reply \"_INBOX.n.1\"\n{start}\n\n[#2] Received on \"_INBOX.n.1\"\n{}\n\n{}\n",
        v2_request("workload.start"),
        v2_answer("w1", "WORKLOAD_STATE_RUNNING", "ok"),
        event(
            "v2-marker",
            "component_scaled",
            "NMARK",
            r#"{"component_id":"v2-marker"}"#
        )
    );
    assert_no_v2_secret_leaves("a pretty start captured by nats sub", &capture);
}

/// Defect: a workload state no host version sends (`WorkloadState::Other`, the text as sent) is
/// printed raw in pretty lines (`failed to start (<state> after …)`, `<state> → <state>`):
/// ESC, 8-bit CSI, BEL, bidi overrides and line breaks reach the terminal, and a line break
/// forges a line of its own.
#[test]
fn v2_a_workload_state_no_host_sends_is_escaped_in_pretty_lines() {
    let evil = "\u{1b}[2J\u{202e}\u{7}\u{9b}31mEVIL\r\nforged-line";
    let start = serde_json::json!({"workloadId": "w1",
        "workload": {"namespace": "ns", "name": "app-1a2b3-xxxxx"}})
    .to_string();
    let capture = [
        v2_heartbeat_record(),
        v2_record(
            &v2_request("workload.start"),
            Some("_INBOX.e.1"),
            start.as_bytes(),
        ),
        v2_record(
            "_INBOX.e.1",
            None,
            v2_answer("w1", &format!("WORKLOAD_STATE_{evil}"), "m").as_bytes(),
        ),
        v2_record(
            &v2_request("workload.status"),
            Some("_INBOX.e.2"),
            br#"{"workloadId":"w1"}"#,
        ),
        v2_record("_INBOX.e.2", None, v2_answer("w1", evil, "m").as_bytes()),
        v2_marker_record(),
    ]
    .join("\n");
    let (status, _, _) = run_with_stdin(&["--input", "-", "--json"], capture.as_bytes());
    assert_eq!(status.code(), Some(0));
    for extra in [
        &[][..],
        &["-v"],
        &["--summary"],
        &["--until-workload", "ns/app-*=running"],
    ] {
        let mut args = vec!["--input", "-", "--color", "never"];
        args.extend_from_slice(extra);
        let (status, stdout, stderr) = run_with_stdin(&args, capture.as_bytes());
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            [0, 3, 4].contains(&status.code().unwrap_or(-1)),
            "{args:?}: {stderr}"
        );
        let stdout = String::from_utf8(stdout).expect("stdout is UTF-8");
        if !extra.contains(&"--until-workload") {
            assert!(stdout.contains("v2-marker"), "{args:?}: {stdout}");
        }
        for line in stdout.lines().chain(stderr.lines()) {
            assert!(
                !line.chars().any(forbidden),
                "{args:?}: raw control character in {line:?}"
            );
            assert!(
                !line.starts_with("forged-line"),
                "{args:?}: a forged line: {line:?}"
            );
        }
    }
}

/// Defect: `--summary`'s wasmCloud 2 workloads line lists every namespace whole on one line: a
/// 70,000-character namespace, or 300 namespaces, make a line tens of thousands of characters
/// wide (every other summary line is cut at a bound, with `…`).
#[test]
fn v2_summary_lines_stay_narrow_with_huge_and_many_namespaces() {
    let huge = "N".repeat(70_000);
    let mut lines = vec![v2_heartbeat_record()];
    let namespaces = std::iter::once(huge).chain((0..300).map(|i| format!("ns{i}")));
    for (i, namespace) in namespaces.enumerate() {
        let start = serde_json::json!({"workloadId": format!("w{i}"),
            "workload": {"namespace": namespace, "name": "app-1a2b3-xxxxx"}})
        .to_string();
        let reply = format!("_INBOX.s.{i}");
        lines.push(v2_record(
            &v2_request("workload.start"),
            Some(&reply),
            start.as_bytes(),
        ));
        lines.push(v2_record(
            &reply,
            None,
            v2_answer(&format!("w{i}"), "WORKLOAD_STATE_RUNNING", "ok").as_bytes(),
        ));
    }
    let (status, _, stderr) = run_with_stdin(
        &["--input", "-", "--summary", "--color", "never"],
        (lines.join("\n") + "\n").as_bytes(),
    );
    assert_eq!(status.code(), Some(0), "{stderr:.2000}");
    assert!(stderr.contains("summary:"), "{stderr:.2000}");
    for line in stderr.lines() {
        assert!(
            line.chars().count() < 300,
            "summary lines stay narrow: {} characters: {line:.300}",
            line.chars().count()
        );
    }
}

/// Defect: workload memory is bounded in count (16,384 requests awaiting an answer, 10,000
/// workloads) but not in bytes: each keeps its namespace, name, images and the host's whole
/// error text, so a flood of starts with huge names, or of failures with huge errors, holds
/// gigabytes (1,500 unanswered 1 MiB starts held 1.5 GB live). Here 1,000 unanswered starts
/// with 512 KiB names and 1,000 failures with 512 KiB errors: 1 GiB of text.
#[test]
fn v2_floods_of_huge_names_and_errors_keep_memory_bounded() {
    let mut latwatch = Latwatch::spawn(&[
        "--input",
        "-",
        "--color",
        "never",
        "-q",
        "-t",
        "component_scaled",
    ]);
    latwatch.write_stdin((v2_heartbeat_record() + "\n").as_bytes());
    let big = "n".repeat(512 * 1024);
    let start_subject = v2_request("workload.start");
    for i in 0..1000 {
        let start = format!(
            r#"{{"workloadId":"u{i}","workload":{{"namespace":"flood","name":"u{i}-{big}"}}}}"#
        );
        let line = v2_record(
            &start_subject,
            Some(&format!("_INBOX.u.{i}")),
            start.as_bytes(),
        );
        latwatch.write_stdin((line + "\n").as_bytes());
    }
    for i in 0..1000 {
        let start = format!(
            r#"{{"workloadId":"f{i}","workload":{{"namespace":"flood","name":"f{i}-abcde-fghij"}}}}"#
        );
        let reply = format!("_INBOX.f.{i}");
        let answer = v2_answer(
            &format!("f{i}"),
            "WORKLOAD_STATE_ERROR",
            &format!("{i}{big}"),
        );
        let lines = v2_record(&start_subject, Some(&reply), start.as_bytes())
            + "\n"
            + &v2_record(&reply, None, answer.as_bytes())
            + "\n";
        latwatch.write_stdin(lines.as_bytes());
    }
    latwatch.write_stdin((v2_marker_record() + "\n").as_bytes());
    let line = latwatch.lines(1, Duration::from_secs(120)).remove(0);
    assert!(line.contains("v2-marker"), "{line}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", latwatch.pid())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    latwatch.close_stdin();
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    assert!(
        peak_kib < 256 * 1024,
        "latwatch held {} MiB for 1 GiB of workload names and errors",
        peak_kib / 1024
    );
}

/// Defect: an empty `--until-workload` (a script's unset variable) is accepted and ignored: the
/// run then waits for nothing (live: forever; `--input`: exit 0 at its end, as if the workload
/// were reached). Empty `--namespace`, `--hostgroup` and `--environment` are ignored too, and
/// show everything, while `-t ''` is a usage error.
#[test]
fn v2_empty_workload_values_are_usage_errors() {
    for args in [
        &["--until-workload", ""][..],
        &["--until-workload", ","],
        &["--until-workload", " "],
        &["--namespace", ""],
        &["--hostgroup", ""],
        &["--environment", ""],
    ] {
        let mut all = vec!["--input", "-"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = run(&all);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

/// Lines until one contains `needle` (panics with what came otherwise).
fn lines_until(latwatch: &Latwatch, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = latwatch.lines(1, WAIT).remove(0);
        let done = line.contains(needle);
        seen.push(line);
        if done {
            return seen;
        }
    }
}

/// Defect, live: the same holes as over `--input`. A start-shaped body asked of a host on
/// `workload.update` or `workload.start.v2`, a status answer that echoes the spec, and a
/// secret body on an inbox that an asker's request then claims (an answer may come first) are
/// shown whole by `--json` and `-o jsonl` and written whole to `--record`.
#[test]
fn v2_live_secrets_on_any_host_subject_or_answer_never_leave() {
    let monitor = free_port();
    let monitor_arg = monitor.to_string();
    let server = NatsServer::start_with(&["-m", &monitor_arg]);
    let dir = temp_dir("v2-live-leak");
    let record = dir.join("live.jsonl");
    let record_arg = record.to_str().unwrap().to_owned();
    let mut watchers = vec![
        Latwatch::listening(
            &server,
            &[
                "--workloads",
                "--color",
                "never",
                "-v",
                "--record",
                &record_arg,
            ],
        ),
        Latwatch::listening(&server, &["--workloads", "--json"]),
        Latwatch::listening(&server, &["--workloads", "-o", "jsonl"]),
    ];
    let asker = Publisher::connect(&server.url());
    asker.publish(
        &format!("runtime.operator.heartbeat.{V2_HOST}"),
        v2_heartbeat_body(),
    );
    wait_for_listeners(monitor, &format!("runtime.host.{V2_HOST}.>"), 3);
    let secret = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz").to_string();
    asker.publish_with_reply(&v2_request("workload.update"), "_INBOX.l.1", secret.clone());
    asker.publish(
        "_INBOX.l.1",
        v2_answer("w1", "WORKLOAD_STATE_RUNNING", "ok"),
    );
    asker.publish_with_reply(
        &v2_request("workload.start.v2"),
        "_INBOX.l.2",
        secret.clone(),
    );
    asker.publish_with_reply(
        &v2_request("workload.status"),
        "_INBOX.l.3",
        r#"{"workloadId":"w1"}"#,
    );
    let echo = serde_json::json!({"workloadStatus": {"workloadId": "w1",
        "workloadState": "WORKLOAD_STATE_RUNNING"},
        "workload": v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz")["workload"]})
    .to_string();
    asker.publish("_INBOX.l.3", echo);
    asker.publish("_INBOX.l.4", secret.clone());
    asker.publish_with_reply(&v2_request("heartbeat"), "_INBOX.l.4", "{}");
    // The marker: a start and its answer, after everything else.
    asker.publish_with_reply(
        &v2_request("workload.start"),
        "_INBOX.l.5",
        r#"{"workloadId":"m1","workload":{"namespace":"mark","name":"marker-1a2b3-qqqqq"}}"#,
    );
    asker.publish(
        "_INBOX.l.5",
        v2_answer("m1", "WORKLOAD_STATE_RUNNING", "ok"),
    );
    let mut all = String::new();
    for watcher in &mut watchers {
        all += &lines_until(watcher, "marker-1a2b3-qqqqq").join("");
    }
    std::thread::sleep(Duration::from_millis(300));
    for watcher in &mut watchers {
        watcher.signal("INT");
        assert_eq!(watcher.wait_exit(WAIT).code(), Some(0));
        all += &watcher.rest().join("");
        all += &watcher.stderr();
    }
    let recorded = std::fs::read_to_string(&record).unwrap();
    all += &recorded;
    let (_, replayed, stderr) = run(&["--input", &record_arg, "--json"]);
    all += &String::from_utf8_lossy(&replayed);
    all += &stderr;
    let leaked: Vec<&str> = V2_SECRETS
        .iter()
        .copied()
        .filter(|s| all.contains(s))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?} left latwatch:\n{all:.6000}");
}

/// Defect, live: a `workload.start` that cannot be read (truncated, not UTF-8) is rightly dropped
/// unread, but latwatch then says "N events were dropped by the NATS client's own queue before
/// latwatch could take them (the machine was too busy)" and reports a gap it could not fill:
/// both false, and the dropped start itself is never mentioned.
#[test]
fn v2_an_unreadable_start_is_not_reported_as_a_busy_machine() {
    let monitor = free_port();
    let monitor_arg = monitor.to_string();
    let server = NatsServer::start_with(&["-m", &monitor_arg]);
    let latwatch = Latwatch::listening(&server, &["--workloads", "--color", "never", "-v"]);
    let asker = Publisher::connect(&server.url());
    asker.publish(
        &format!("runtime.operator.heartbeat.{V2_HOST}"),
        v2_heartbeat_body(),
    );
    wait_for_listeners(monitor, &format!("runtime.host.{V2_HOST}.>"), 1);
    let start = v2_secret_start("w1", "payments", "billing-6c7d8-zzzzz").to_string();
    asker.publish_with_reply(
        &v2_request("workload.start"),
        "_INBOX.x.1",
        &start.as_bytes()[..start.len() / 2],
    );
    asker.publish_with_reply(
        &v2_request("workload.start"),
        "_INBOX.x.2",
        [b"\xff".as_slice(), start.as_bytes()].concat(),
    );
    asker.publish_with_reply(
        &v2_request("workload.start"),
        "_INBOX.x.3",
        r#"{"workloadId":"m1","workload":{"namespace":"mark","name":"marker-1a2b3-qqqqq"}}"#,
    );
    let seen = lines_until(&latwatch, "marker-1a2b3-qqqqq").join("");
    std::thread::sleep(Duration::from_secs(1));
    let stderr = latwatch.stderr();
    for secret in V2_SECRETS {
        assert!(!seen.contains(secret) && !stderr.contains(secret));
    }
    assert!(
        !stderr.contains("dropped by the NATS client") && !stderr.contains("events dropped"),
        "an unreadable start is not a busy machine nor a gap:\n{stderr}"
    );
}
