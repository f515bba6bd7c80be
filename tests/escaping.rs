//! Untrusted text on every path to a terminal or a CI log: wadm statuses (stored in its stream,
//! answered by its API, arriving live), `--until-app`'s messages (with `-q` too), `--timeout`,
//! warnings, `--summary`, values typed as flags or set in the environment, and paths in error
//! messages. Each test sends escape sequences (OSC title and hyperlink, alternate screen, clear
//! screen), BEL, a C1 CSI and a bidi override through a real nats-server and checks that neither
//! stdout nor stderr carries one raw (`latwatch top` is checked in `tests/top.rs`).

mod support;

use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(20);

/// An OSC title, BEL, an OSC hyperlink, the alternate screen, a C1 CSI (clear screen) and a
/// right-to-left override.
const HOSTILE: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}]8;;http://evil/\u{7}click\u{1b}]8;;\u{7}\u{1b}[?1049h\u{9b}2J\u{202e}";
/// [`HOSTILE`] as latwatch shows it.
const HOSTILE_SHOWN: &str =
    "\\e]0;pwned\\x07\\e]8;;http://evil/\\x07click\\e]8;;\\x07\\e[?1049h\\x9b2J\\u{202e}";
/// A status type wadm does not send, with a clear screen whose `J` must stay upper case.
const FAILED_CLEAR: &str = "failed\u{1b}[2J";
const FAILED_CLEAR_SHOWN: &str = "failed\\e[2J";
/// `hello-app` with a Cyrillic `е` (U+0435), and how it is shown.
const MIXED: &str = "h\u{435}llo-app";
const MIXED_SHOWN: &str = "h\\u{435}llo-app";

/// Panics when `text` holds a character that must never reach a terminal raw (ESC, BEL, C1,
/// bidi controls, …: `text::needs_escape`); only the line breaks between lines may be there.
fn assert_clean(what: &str, text: &str) {
    if let Some(c) = text
        .chars()
        .find(|&c| c != '\n' && latwatch::text::needs_escape(c))
    {
        panic!("{what} carries a raw {c:?}:\n{}", text.escape_debug());
    }
}

/// JSON string text (quotes included) for `text`.
fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// A wadm status message of type `ty` with `message`.
fn status(ty: &str, message: &str) -> String {
    format!(
        r#"{{"status":{{"type":{},"message":{}}},"scalers":[],"version":"","components":[]}}"#,
        json(ty),
        json(message)
    )
}

fn jetstream_server() -> (NatsServer, TestDir) {
    let store = temp_dir("jetstream");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    (server, store)
}

/// Runs latwatch to its end (it must end by itself) and returns (exit code, stdout, stderr).
fn run(command: std::process::Command) -> (Option<i32>, String, String) {
    let mut latwatch = Latwatch::spawn_command(command);
    let code = latwatch.wait_exit(WAIT).code();
    let stdout = latwatch.rest().concat();
    (code, stdout, latwatch.stderr())
}

/// The status stored in wadm's stream is listed at startup escaped, its case kept, the
/// application's mixed-script name marked; `--until-app`'s timeout says it escaped, with `-q`.
#[test]
fn a_stored_status_is_listed_and_waited_on_escaped() {
    let (server, _store) = jetstream_server();
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    publisher.publish_stored(
        &format!("wadm.status.default.{MIXED}"),
        status(&format!("{FAILED_CLEAR}{HOSTILE}"), HOSTILE).as_bytes(),
    );

    let mut latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr(&format!("app {MIXED_SHOWN}"), WAIT);
    assert!(
        stderr.contains(&format!(
            "app {MIXED_SHOWN}  {FAILED_CLEAR_SHOWN}{HOSTILE_SHOWN}  (since "
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("\"{HOSTILE_SHOWN}\"")), "{stderr}");
    latwatch.signal("INT");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    assert_clean("stderr", &latwatch.stderr());

    // The status stays in the stream: every later start reads it again, `-q` or not.
    let target = format!("{MIXED}=deployed");
    let url = server.url();
    let (code, stdout, stderr) = run(latwatch_command(&[
        "-s",
        &url,
        "-q",
        "--until-app",
        &target,
        "--timeout",
        "10s",
    ]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--until-app: {MIXED_SHOWN} is {FAILED_CLEAR_SHOWN}{HOSTILE_SHOWN}, not deployed: \
             --timeout 10s expired (exit 3)"
        )),
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}

/// wadm's API (`model.get`, no stream to read) gives the same statuses: escaped, case kept.
#[test]
fn a_status_from_wadms_api_is_listed_escaped() {
    let server = NatsServer::start();
    let model = format!(
        r#"{{"result":"success","models":[{{"name":{},"deployed_version":{},"detailed_status":{}}}]}}"#,
        json(MIXED),
        json(&format!("v1{HOSTILE}")),
        status("Failed\u{1b}[2J", HOSTILE)
    );
    let _wadm = Responder::start(
        &server.url(),
        vec![("wadm.api.default.model.get".to_owned(), model)],
    );
    let mut latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr(&format!("app {MIXED_SHOWN}"), WAIT);
    assert!(
        stderr.contains(&format!(
            "app {MIXED_SHOWN}  Failed\\e[2J  v1{HOSTILE_SHOWN}  \"{HOSTILE_SHOWN}\""
        )),
        "{stderr}"
    );
    latwatch.signal("INT");
    latwatch.wait_exit(WAIT);
    assert_clean("stderr", &latwatch.stderr());
}

/// `--until-app` with `-q`: the failure that ends the wait is said escaped, the application's
/// mixed-script name marked.
#[test]
fn until_app_says_a_failure_escaped_even_with_quiet() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let target = format!("{MIXED}=deployed");
    let mut latwatch = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "-q",
        "--until-app",
        &target,
        "--timeout",
        "60s",
    ]);
    let failed = format!(
        r#"{{"status":{{"type":"failed","message":{}}},"scalers":[{{"kind":"SpreadScaler","name":{},"status":{{"type":"failed","message":{}}}}}]}}"#,
        json(&format!("boom{HOSTILE}")),
        json(&format!("scaler{HOSTILE}")),
        json(&format!("why{HOSTILE}")),
    );
    // With -q there is no "listening" line to wait for: the failure is published until it ends
    // the run.
    let deadline = Instant::now() + WAIT;
    while latwatch.child_status().is_none() {
        assert!(Instant::now() < deadline, "{}", latwatch.stderr());
        publisher.publish(&format!("wadm.status.default.{MIXED}"), failed.as_bytes());
        std::thread::sleep(Duration::from_millis(200));
    }
    let code = latwatch.wait_exit(WAIT).code();
    let stderr = latwatch.stderr();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--until-app: {MIXED_SHOWN} failed: boom{HOSTILE_SHOWN}; scaler \
             scaler{HOSTILE_SHOWN}: why{HOSTILE_SHOWN} (exit 4)"
        )),
        "{stderr}"
    );
    assert_clean("stdout", &latwatch.rest().concat());
    assert_clean("stderr", &stderr);
}

/// Live status lines keep the case of what wadm sent; a malformed status keeps its application
/// (the line names it, `--app` keeps it, `--summary` counts it); host events of a mixed-script
/// application are tagged with its name marked, and `--summary` shows it marked too.
#[test]
fn live_lines_and_the_summary_escape_keep_case_and_mark_names() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let app_filter = format!("{MIXED},shop");
    let mut latwatch = Latwatch::listening(
        &server,
        &["--color", "never", "--summary", "--app", &app_filter],
    );
    let mixed_subject = format!("wadm.status.default.{MIXED}");
    // A status no wadm sends (the subject names the application).
    publisher.publish("wadm.status.default.shop", r#"{"status":"deployed"}"#);
    publisher.publish(&mixed_subject, status(FAILED_CLEAR, HOSTILE).as_bytes());
    let scaled = format!(
        r#"{{"specversion":"1.0","id":"e1","type":"com.wasmcloud.lattice.component_scaled","source":"NH","data":{{"host_id":"NH","component_id":"c1","image_ref":"x","max_instances":1,"annotations":{{"wasmcloud.dev/appspec":{}}}}}}}"#,
        json(MIXED)
    );
    publisher.publish("wasmbus.evt.default.component_scaled", scaled);
    // Another application's status is left out by --app: the next status line (statuses come
    // in order, on one subscription) is the sentinel.
    publisher.publish(
        "wadm.status.default.other",
        status("deployed", "").as_bytes(),
    );
    publisher.publish(&mixed_subject, status(FAILED_CLEAR, "done").as_bytes());
    // Host events come on a subscription of their own, in any order relative to wadm's.
    let mut lines: Vec<String> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !(lines.iter().any(|l| l.contains("\"done\""))
        && lines.iter().any(|l| l.contains("component_scaled")))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = latwatch
            .next_line(left)
            .unwrap_or_else(|| panic!("lines so far: {lines:?}\nstderr:\n{}", latwatch.stderr()));
        lines.push(String::from_utf8(line).unwrap());
    }
    let statuses: Vec<&String> = lines.iter().filter(|l| l.contains("app_status")).collect();
    assert_eq!(statuses.len(), 3, "{lines:?}");
    assert!(
        statuses[0].contains("  shop  ") && statuses[0].contains("not a wadm status"),
        "{lines:?}"
    );
    assert!(
        statuses[1].contains(&format!(
            "{MIXED_SHOWN}  {FAILED_CLEAR_SHOWN}  \"{HOSTILE_SHOWN}\""
        )),
        "{lines:?}"
    );
    assert!(
        statuses[2].contains(&format!("{MIXED_SHOWN}  {FAILED_CLEAR_SHOWN}  \"done\"")),
        "{lines:?}"
    );
    let scaled = lines
        .iter()
        .find(|l| l.contains("component_scaled"))
        .unwrap();
    assert!(
        scaled.trim_end().ends_with(&format!("app={MIXED_SHOWN}")),
        "{lines:?}"
    );
    latwatch.signal("INT");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    let stderr = latwatch.stderr();
    let table = stderr
        .split("applications: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no application table:\n{stderr}"));
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{stderr}"))
            .to_owned()
    };
    assert!(table.starts_with('3'), "{stderr}");
    assert!(row(MIXED_SHOWN).contains(FAILED_CLEAR_SHOWN), "{stderr}");
    row("shop ");
    row("other ");
    assert_clean("stdout", &lines.concat());
    assert_clean("stderr", &stderr);
}

/// A lattice name from `--lattice` or from `WASMCLOUD_LATTICE` (a shared environment is not
/// trusted either) is escaped in the "listening" line and in the usage error it gets.
#[test]
fn a_lattice_from_a_flag_or_the_environment_is_escaped() {
    let server = NatsServer::start();
    let lattice = format!("lab{HOSTILE}");
    let latwatch = Latwatch::listening(&server, &["--lattice", &lattice, "--no-apps"]);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(
        stderr.contains(&format!("wasmbus.evt.lab{HOSTILE_SHOWN}.>")),
        "{stderr}"
    );
    assert_clean("stderr", &stderr);
    drop(latwatch);

    let mut command = latwatch_command(&["-s", &server.url(), "--no-apps"]);
    command.env("WASMCLOUD_LATTICE", &lattice);
    let latwatch = Latwatch::spawn_command(command);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(
        stderr.contains(&format!("wasmbus.evt.lab{HOSTILE_SHOWN}.>")),
        "{stderr}"
    );
    assert_clean("stderr", &stderr);
    drop(latwatch);

    // Not one subject token: a usage error that quotes it, escaped.
    let mut command = latwatch_command(&["-s", &server.url()]);
    command.env("WASMCLOUD_LATTICE", format!("a.b{HOSTILE}"));
    let (code, stdout, stderr) = run(command);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--lattice a.b{HOSTILE_SHOWN}: a lattice name")),
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}

/// Paths and URLs the user gave, in warnings and in the errors that end the run: `--record`,
/// `--input`, `--creds` (a warning about its mode, then its error) and `-s`.
#[test]
fn paths_and_urls_in_warnings_and_errors_are_escaped() {
    let server = NatsServer::start();
    let dir = temp_dir("escaping");
    // A file name holds no `/`.
    let evil = format!("evil{}", HOSTILE.replace('/', "_"));
    let shown = format!("evil{}", HOSTILE_SHOWN.replace('/', "_"));

    let record = dir.join("no such folder").join(&evil);
    let (code, stdout, stderr) = run(latwatch_command(&[
        "-s",
        &server.url(),
        "--record",
        record.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot open --record") && stderr.contains(&shown),
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);

    let input = dir.join(&evil);
    let (code, stdout, stderr) = run(latwatch_command(&["--input", input.to_str().unwrap()]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read --input") && stderr.contains(&shown),
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);

    // A creds file others can read (a warning naming it) that holds no credentials (an error
    // naming it).
    let creds = dir.join(format!("{evil}.creds"));
    std::fs::write(&creds, "not credentials").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (code, stdout, stderr) = run(latwatch_command(&[
        "-s",
        &server.url(),
        "--creds",
        creds.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{shown}.creds holds a secret and other users can read it"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("--creds ") && stderr.matches(&shown).count() >= 3,
        "{stderr}"
    );
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);

    // A server URL (NATS_URL may come from a shared environment too).
    let url = format!("nats://127.0.0.1:{}/{HOSTILE}", free_port());
    let (code, stdout, stderr) = run(latwatch_command(&["-s", &url]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(HOSTILE_SHOWN), "{stderr}");
    assert_clean("stdout", &stdout);
    assert_clean("stderr", &stderr);
}
