//! Scripting (`--until-*`, `--fail-on`, `--timeout`, `--idle-timeout`) and `--record`, against a
//! real nats-server and through `--input`.

mod support;

use std::time::{Duration, Instant};

use support::*;

const COMPONENT: &str = "rust_hello_world-http_component";
const WAIT: Duration = Duration::from_secs(30);

/// Line `number` (1-based) of the real 1.x fixture.
fn host_1x(number: usize) -> &'static str {
    FIXTURES_1X.lines().nth(number - 1).expect("fixture line")
}

const HOST_STARTED: usize = 1;
const COMPONENT_SCALED: usize = 3;
const COMPONENT_SCALE_FAILED: usize = 11;
const PROVIDER_START_FAILED: usize = 13;

fn wait_for_deploy(server: &NatsServer, extra: &[&str]) -> Latwatch {
    let mut args = vec![
        "--until-type",
        "component_scaled",
        "--until-component",
        COMPONENT,
        "--timeout",
        "30s",
        "--color",
        "never",
    ];
    args.extend_from_slice(extra);
    Latwatch::listening(server, &args)
}

/// The awaited event ends the run with exit 0, after being shown; other events before it are
/// shown and do not end it.
#[test]
fn until_exits_0_when_the_event_arrives() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let mut latwatch = wait_for_deploy(&server, &[]);
    publisher.publish_event("default", host_1x(HOST_STARTED));
    let first = latwatch.lines(1, Duration::from_secs(10));
    assert!(first[0].contains("host_started"), "{first:?}");
    // An exit would follow the line at once; give it the time to happen before judging.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        latwatch.child_status().is_none(),
        "a non-matching event ended the run"
    );
    publisher.publish_event("default", host_1x(COMPONENT_SCALED));
    let status = latwatch.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
    let rest = latwatch.rest();
    assert!(
        rest.iter().any(|l| l.contains("component_scaled")),
        "{rest:?}"
    );
    assert!(latwatch.stderr().contains("--until: component_scaled"));
}

/// A failure about the awaited component exits 4 and says what failed; a failure about
/// something else does not end the wait.
#[test]
fn a_failure_about_the_same_component_exits_4() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let mut latwatch = wait_for_deploy(&server, &[]);
    publisher.publish_event("default", host_1x(PROVIDER_START_FAILED));
    latwatch.lines(1, Duration::from_secs(10));
    assert!(
        latwatch.child_status().is_none(),
        "a provider's failure ended a wait for a component: {}",
        latwatch.stderr()
    );
    publisher.publish_event("default", host_1x(COMPONENT_SCALE_FAILED));
    let status = latwatch.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(4), "{}", latwatch.stderr());
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("--until: component_scale_failed rust_hello_world-http_component")
            && stderr.contains("manifest unknown"),
        "{stderr}"
    );
}

/// Waiting for a failure kind by name ends with exit 0 when one comes: the default `--fail-on`
/// (`*_failed`, not typed) does not beat the event asked for; a typed `--fail-on` does.
#[test]
fn a_failure_kind_waited_for_is_reached() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wadm-broken-app.jsonl"
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--input",
            capture,
            "--until-type",
            "component_scale_failed",
            "--color",
            "never",
        ];
        args.extend_from_slice(extra);
        let output = latwatch_command(&args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("--until: component_scale_failed"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--fail-on", "*_failed"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("--fail-on: component_scale_failed"),
        "{stderr}"
    );
    // A wait that names no failure (any kind about the component) still fails on one.
    for wait in [
        &["--until-component", "broken_app-broken"][..],
        &[
            "--until-type",
            "*",
            "--until-component",
            "broken_app-broken",
        ],
    ] {
        let mut args = vec!["--input", capture, "--color", "never"];
        args.extend_from_slice(wait);
        let output = latwatch_command(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{wait:?}: {stderr}");
        assert!(
            stderr.contains("--until: component_scale_failed broken_app-broken"),
            "{wait:?}: {stderr}"
        );
    }
}

/// `--fail-on none` waits through failures; an explicit `--fail-on` list is used instead of the
/// default.
#[test]
fn fail_on_can_be_turned_off_or_chosen() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let mut latwatch = wait_for_deploy(&server, &["--fail-on", "none"]);
    publisher.publish_event("default", host_1x(COMPONENT_SCALE_FAILED));
    latwatch.lines(1, Duration::from_secs(10));
    assert!(latwatch.child_status().is_none());
    publisher.publish_event("default", host_1x(COMPONENT_SCALED));
    assert_eq!(latwatch.wait_exit(Duration::from_secs(10)).code(), Some(0));

    // Without --until-*, --fail-on alone watches for failures from any host.
    let mut latwatch = Latwatch::listening(&server, &["--fail-on", "provider_start_failed"]);
    publisher.publish_event("default", host_1x(COMPONENT_SCALE_FAILED));
    latwatch.lines(1, Duration::from_secs(10));
    assert!(latwatch.child_status().is_none());
    publisher.publish_event("default", host_1x(PROVIDER_START_FAILED));
    assert_eq!(latwatch.wait_exit(Duration::from_secs(10)).code(), Some(4));
}

/// `--until-*` with `--type` narrowed to other kinds still hears the awaited kind (the server
/// is asked for it too), and still does not show it.
#[test]
fn until_hears_kinds_the_display_filter_hides() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let mut latwatch = Latwatch::listening(
        &server,
        &[
            "-t",
            "host_started",
            "--until-type",
            "component_scaled",
            "--timeout",
            "30s",
        ],
    );
    publisher.publish_event("default", host_1x(COMPONENT_SCALED));
    let status = latwatch.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
    assert!(latwatch.rest().is_empty(), "the hidden kind was shown");
}

/// Nothing matches before `--timeout`: exit 3, on time, with a message that says so.
#[test]
fn timeout_exits_3() {
    let server = NatsServer::start();
    let started = Instant::now();
    let mut latwatch = Latwatch::listening(
        &server,
        &["--until-type", "host_stopped", "--timeout", "1500ms"],
    );
    let status = latwatch.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(3), "{}", latwatch.stderr());
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("no event matched --until-*: --timeout 1s 500ms expired"),
        "{stderr}"
    );
}

/// `--idle-timeout`: events keep the run going; a quiet spell of that length ends it with 0.
#[test]
fn idle_timeout_exits_0_after_a_quiet_spell() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let mut latwatch = Latwatch::listening(&server, &["--idle-timeout", "2s", "--json"]);
    for _ in 0..3 {
        publisher.publish_event("default", host_1x(HOST_STARTED));
        std::thread::sleep(Duration::from_millis(700));
    }
    assert!(
        latwatch.child_status().is_none(),
        "ended while events kept coming"
    );
    let status = latwatch.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
    assert_eq!(latwatch.rest().len(), 3);
    assert!(latwatch
        .stderr()
        .contains("no event for 2s (--idle-timeout)"));
}

/// `--record` keeps every received message, filtered out or not JSON included; `--input` of the
/// recording gives, in `--json`, byte for byte what a live `--json` printed.
#[test]
fn record_then_input_is_byte_identical_in_json() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let dir = temp_dir("record");
    let recording = dir.join("session.jsonl");
    let recording_arg = recording.to_str().unwrap().to_owned();
    let mut recorder = Latwatch::listening(
        &server,
        &[
            "-t",
            "component_scaled",
            "--json",
            "--record",
            &recording_arg,
        ],
    );
    let live = Latwatch::listening(&server, &["--json"]);

    let mut payloads: Vec<String> = FIXTURES_1X.lines().map(str::to_owned).collect();
    // Spread over lines, as `nats pub` of a pretty-printed file sends it: --json compacts it.
    payloads.push("{\n  \"specversion\": \"1.0\", \"id\": \"m1\",\n  \"type\": \"com.wasmcloud.lattice.config_set\",\n  \"source\": \"N\", \"data\": {\"config_name\": \"a b\"}\n}".to_owned());
    for payload in &payloads {
        publisher.publish(
            "wasmbus.evt.default.some_event",
            payload.as_bytes().to_vec(),
        );
    }
    // Not JSON: recorded (as "payload"), skipped by --json both live and replayed.
    publisher.publish("wasmbus.evt.default.garbage", b"not json at all".to_vec());
    let live_lines = live.lines(payloads.len(), Duration::from_secs(10));
    live.wait_stderr("not JSON", Duration::from_secs(10));
    let shown = recorder.lines(1, Duration::from_secs(10));
    assert!(shown[0].contains("component_scaled"));
    recorder.signal("INT");
    assert!(recorder.wait_exit(Duration::from_secs(10)).success());

    let text = std::fs::read_to_string(&recording).unwrap();
    assert_eq!(text.lines().count(), payloads.len() + 1, "{text}");
    assert!(text.contains(r#""payload":"not json at all""#), "{text}");
    let replayed = latwatch_command(&["--input", &recording_arg, "--json"])
        .output()
        .unwrap();
    assert!(replayed.status.success());
    assert_eq!(
        String::from_utf8(replayed.stdout).unwrap(),
        live_lines.concat(),
        "replayed --json differs from live --json"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A recording file that cannot be opened is a runtime error naming it.
#[test]
fn unwritable_record_file_names_it() {
    let output = latwatch_command(&["--input", "-", "--record", "/no/such/dir/session.jsonl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot open --record /no/such/dir/session.jsonl"),
        "{stderr}"
    );
}

/// `--input F --record F` would read its own records back until the disk is full: the same file
/// is a usage error naming both flags, however it is named (a hard link, a symlink, stdin).
#[test]
fn recording_the_input_file_is_a_usage_error() {
    let dir = temp_dir("same-file");
    let capture = dir.join("capture.jsonl");
    std::fs::write(
        &capture,
        format!("{}\n", FIXTURES_1X.lines().next().unwrap()),
    )
    .unwrap();
    let hard = dir.join("hard.jsonl");
    std::fs::hard_link(&capture, &hard).unwrap();
    let soft = dir.join("soft.jsonl");
    std::os::unix::fs::symlink(&capture, &soft).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    for (input, record) in [
        (path(&capture), path(&capture)),
        (path(&capture), path(&hard)),
        (path(&soft), path(&capture)),
        ("-".to_owned(), path(&soft)),
    ] {
        let mut child = latwatch_command(&["--input", &input, "--record", &record])
            .stdin(std::fs::File::open(&capture).unwrap())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Before the check this ran until the disk was full: give it a while, then stop it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "--input {input} --record {record}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("--record {record}"))
                && stderr.contains("--input")
                && stderr.contains("same file"),
            "{stderr}"
        );
    }
    // Another file is fine.
    let other = dir.join("other.jsonl");
    let output = latwatch_command(&["--input", &path(&capture), "--record", &path(&other)])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&other).unwrap().lines().count(), 1);
}

/// On a capture: the wait ends at the first match (0), at a failure (4), or with the input
/// before any match (3).
#[test]
fn until_on_a_capture() {
    let capture = FIXTURES_1X.to_owned() + "\n";
    let (status, stdout, _) = run_with_stdin(
        &[
            "-i",
            "-",
            "--until-type",
            "component_scaled",
            "--color",
            "never",
        ],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(0));
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.lines().last().unwrap().contains("component_scaled"),
        "{stdout}"
    );

    let (status, _, stderr) = run_with_stdin(
        &[
            "-i",
            "-",
            "--until-type",
            "host_stopped",
            "--until-component",
            COMPONENT,
        ],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(4), "{stderr}");

    let (status, _, stderr) = run_with_stdin(
        &[
            "-i",
            "-",
            "--until-type",
            "no_such_kind",
            "--fail-on",
            "none",
        ],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the input ended before an event matched"),
        "{stderr}"
    );
}

/// A silent stdin is bounded by `--timeout` (exit 3) and `--idle-timeout` (exit 0).
#[test]
fn time_limits_on_a_silent_stdin() {
    for (flag, code) in [("--timeout", 3), ("--idle-timeout", 0)] {
        let mut command = latwatch_command(&["-i", "-", flag, "1s"]);
        command.stdin(std::process::Stdio::piped());
        let mut latwatch = Latwatch::spawn_command(command);
        let status = latwatch.wait_exit(Duration::from_secs(10));
        assert_eq!(status.code(), Some(code), "{flag}: {}", latwatch.stderr());
    }
}

/// Issue 21, item 7: CI starts NATS and latwatch together. A wait started before its server
/// keeps trying the first connection until `--timeout`, says so once, and connects when the
/// server comes.
#[test]
fn a_wait_started_before_its_server_connects_when_it_comes() {
    let mut server = NatsServer::start();
    let url = server.url();
    server.stop();
    let mut latwatch = Latwatch::spawn(&[
        "-s",
        &url,
        "--until-type",
        "host_started",
        "--timeout",
        "60s",
    ]);
    latwatch.wait_stderr("waiting for the server", WAIT);
    server.restart();
    latwatch.wait_stderr("listening", WAIT);
    Publisher::connect(&server.url()).publish_event("default", host_1x(HOST_STARTED));
    let status = latwatch.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
    assert_eq!(
        latwatch.stderr().matches("waiting for the server").count(),
        1,
        "{}",
        latwatch.stderr()
    );
}

/// Without a server until `--timeout` ends, the wait exits 1 (it never connected), not 3; and
/// without a wait or `--connect-timeout`, a refused first connection is exit 1 at once.
#[test]
fn a_wait_that_never_connects_exits_1() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let mut latwatch = Latwatch::spawn(&[
        "-s",
        &url,
        "--until-type",
        "host_started",
        "--timeout",
        "2s",
    ]);
    let status = latwatch.wait_exit(WAIT);
    assert_eq!(status.code(), Some(1), "{}", latwatch.stderr());
    assert!(
        latwatch.stderr().contains("no connection"),
        "{}",
        latwatch.stderr()
    );
    // It tried until the deadline, not a pause before it (it gave up at 1.78 s of 2 s).
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let output = latwatch_command(&["-s", &url]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("waiting for the server"), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
}
