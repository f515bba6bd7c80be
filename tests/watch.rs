//! Watching a live lattice: a real nats-server, real-shaped events published with async-nats, the
//! real latwatch binary. Each test says what it proves.

mod support;

use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Every fixture (spec, real 1.x, legacy) arrives and is shown as one pretty line, in order.
#[test]
fn pretty_shows_every_fixture_in_order() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never", "--utc", "--heartbeats"]);
    let publisher = Publisher::connect(&server.url());
    let fixtures = all_fixtures();
    for payload in &fixtures {
        publisher.publish_event("default", payload);
    }
    let lines = latwatch.lines(fixtures.len(), WAIT);
    for (line, payload) in lines.iter().zip(&fixtures) {
        let name = event_name(payload);
        assert!(
            undated(line).split_whitespace().nth(1) == Some(name.as_str()),
            "{name}: {line}"
        );
        assert!(!line.contains("invalid"), "{line}");
        assert!(!line.contains('\u{1b}'), "--color never: {line}");
    }
    assert_eq!(
        lines[0],
        "2025-08-14 09:12:03.104  host_started            frosty-field-3519  version=1.9.2  labels=zone=us-east-1\n"
    );
}

/// `--json` prints each payload byte for byte, one per line, and nothing else on stdout.
#[test]
fn json_passes_payloads_through_byte_exact() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--json"]);
    let publisher = Publisher::connect(&server.url());
    let fixtures = all_fixtures();
    for payload in &fixtures {
        publisher.publish_event("default", payload);
    }
    let lines = latwatch.lines(fixtures.len(), WAIT);
    for (line, payload) in lines.iter().zip(&fixtures) {
        assert_eq!(line, &format!("{payload}\n"));
    }
}

/// A payload spanning lines is compacted to one line in `--json`; key order and strings are kept.
#[test]
fn json_compacts_a_multi_line_payload() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--json"]);
    let publisher = Publisher::connect(&server.url());
    publisher.publish(
        "wasmbus.evt.default.config_set",
        "{\n  \"type\": \"com.wasmcloud.lattice.config_set\",\n  \"data\": {\"config_name\": \"a  b\"}\n}\n",
    );
    assert_eq!(
        latwatch.lines(1, WAIT)[0],
        "{\"type\":\"com.wasmcloud.lattice.config_set\",\"data\":{\"config_name\":\"a  b\"}}\n"
    );
}

fn invalid_payloads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("not JSON", b"hello \x1b[31mworld".to_vec()),
        ("not UTF-8", b"{\"type\":\"\xff\xfe\"}".to_vec()),
        ("an array", b"[1,2,3]".to_vec()),
        (
            "missing id",
            br#"{"specversion":"1.0","type":"com.wasmcloud.lattice.config_set","source":"N","data":{"config_name":"c"}}"#.to_vec(),
        ),
        (
            "specversion 0.3",
            br#"{"specversion":"0.3","id":"1","type":"com.wasmcloud.lattice.config_set","source":"N","data":{"config_name":"c"}}"#.to_vec(),
        ),
    ]
}

/// Invalid payloads are shown flagged with the reason, and latwatch keeps running.
#[test]
fn pretty_flags_invalid_payloads_and_keeps_going() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let publisher = Publisher::connect(&server.url());
    let cases = invalid_payloads();
    for (_, payload) in &cases {
        publisher.publish("wasmbus.evt.default.config_set", payload.clone());
    }
    publisher.publish_event("default", FIXTURES_1X.lines().next().unwrap());
    let lines = latwatch.lines(cases.len() + 1, WAIT);
    for ((reason, _), line) in cases.iter().zip(&lines) {
        assert!(line.contains("! invalid:"), "{reason}: {line}");
        assert!(line.contains(reason), "{reason}: {line}");
        assert!(!line.contains('\u{1b}'), "escaped: {line}");
    }
    assert!(
        lines[0].contains(r#"payload="hello \e[31mworld""#),
        "{}",
        lines[0]
    );
    assert!(lines[cases.len()].contains("host_started"));
}

/// `--json` keeps stdout valid JSON: payloads that are not JSON are reported on stderr instead.
#[test]
fn json_reports_non_json_payloads_on_stderr() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--json"]);
    let publisher = Publisher::connect(&server.url());
    let cases = invalid_payloads();
    for (_, payload) in &cases {
        publisher.publish("wasmbus.evt.default.config_set", payload.clone());
    }
    // The JSON ones (array, missing id, old specversion) are still JSON: they go through.
    let lines = latwatch.lines(3, WAIT);
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).expect("stdout is JSON");
    }
    let stderr = latwatch.wait_stderr("not UTF-8", WAIT);
    assert!(stderr.contains("skipped a payload on wasmbus.evt.default.config_set that is not JSON"));
    assert!(latwatch.next_line(Duration::from_millis(300)).is_none());
}

/// `-o jsonl` wraps each event with its subject and receive time; a non-JSON payload becomes an
/// error record carrying the text.
#[test]
fn jsonl_records_subject_time_and_errors() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["-o", "jsonl"]);
    let publisher = Publisher::connect(&server.url());
    let event = FIXTURES_1X.lines().nth(2).unwrap();
    publisher.publish_event("default", event);
    publisher.publish("wasmbus.evt.default.oops", "not json");
    let lines = latwatch.lines(2, WAIT);

    let record: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(record["subject"], "wasmbus.evt.default.component_scaled");
    let received = record["received"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(received).expect("received is RFC 3339");
    assert_eq!(
        record["event"],
        serde_json::from_str::<serde_json::Value>(event).unwrap()
    );
    assert!(
        lines[0].contains(&format!(",\"event\":{event},")),
        "event embedded verbatim"
    );
    // wadm's annotation names the application.
    assert_eq!(record["latwatch"]["app"], "rust-hello-world", "{record}");

    let error: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(error["subject"], "wasmbus.evt.default.oops");
    assert_eq!(error["payload"], "not json");
    assert!(error["error"].as_str().unwrap().starts_with("not JSON"));
}

/// `--count N` exits 0 once N events have been printed.
#[test]
fn count_exits_after_n_events() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::listening(&server, &["--json", "--count", "2"]);
    let publisher = Publisher::connect(&server.url());
    for payload in FIXTURES_1X.lines().take(3) {
        publisher.publish_event("default", payload);
    }
    let status = latwatch.wait_exit(WAIT);
    assert!(status.success(), "{status:?}");
    assert_eq!(latwatch.rest().len(), 2);
}

/// The status line names the subject and the server, without the credentials in the URL.
#[test]
fn listening_line_hides_credentials_and_lattice_picks_the_subject() {
    let server = NatsServer::start();
    let url = format!("nats://alice:s3cr3t-pw@127.0.0.1:{}", server.port);
    let latwatch = Latwatch::spawn(&["-s", &url, "--lattice", "prod"]);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(
        stderr.contains(&format!(
            "listening on wasmbus.evt.prod.>, wadm.evt.prod.>, wadm.status.prod.*, \
             runtime.operator.heartbeat.> at nats://127.0.0.1:{}",
            server.port
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert!(!stderr.contains("alice"), "{stderr}");
}

/// `-q` silences the status line.
#[test]
fn quiet_silences_status() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn(&["-s", &server.url(), "-q", "--json"]);
    let publisher = Publisher::connect(&server.url());
    // Without the status line there is nothing to wait for: publish until the event shows up.
    let deadline = Instant::now() + WAIT;
    let line = loop {
        publisher.publish_event("default", FIXTURES_1X.lines().next().unwrap());
        if let Some(line) = latwatch.next_line(Duration::from_millis(200)) {
            break line;
        }
        assert!(Instant::now() < deadline, "no event");
    };
    assert!(!line.is_empty());
    // stderr is judged once latwatch has ended: a status line printed late still counts.
    latwatch.signal("TERM");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    assert_eq!(latwatch.stderr(), "");
}

/// Without --server or NATS_URL, wash's WASMCLOUD_CTL_HOST/PORT choose the server; NATS_URL wins
/// over them; WASMCLOUD_LATTICE picks the lattice.
#[test]
fn wash_and_nats_environment_variables_are_honoured() {
    let server = NatsServer::start();
    let mut command = latwatch_command(&[]);
    command
        .env("WASMCLOUD_CTL_HOST", "127.0.0.1")
        .env("WASMCLOUD_CTL_PORT", server.port.to_string())
        .env("WASMCLOUD_LATTICE", "staging");
    let latwatch = Latwatch::spawn_command(command);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    assert!(
        stderr.contains(&format!(
            "wasmbus.evt.staging.>, wadm.evt.staging.>, wadm.status.staging.*, \
             runtime.operator.heartbeat.> at nats://127.0.0.1:{}",
            server.port
        )),
        "{stderr}"
    );

    let mut command = latwatch_command(&[]);
    command
        .env("NATS_URL", server.url())
        .env("WASMCLOUD_CTL_PORT", "1");
    let latwatch = Latwatch::spawn_command(command);
    latwatch.wait_stderr(&format!("at {}", server.url()), WAIT);
}

/// A refused connection exits 1 quickly with one line naming the server, the reason and a hint.
#[test]
fn refused_connection_exits_1_with_a_hint() {
    let port = free_port();
    let started = Instant::now();
    let output = latwatch_command(&["-s", &format!("nats://127.0.0.1:{port}")])
        .output()
        .expect("latwatch runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(6));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "latwatch: error: cannot connect to nats://127.0.0.1:{port}: connection refused"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: is nats-server running there?"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// A name that does not resolve is named as such.
#[test]
fn unresolvable_host_says_so() {
    let output = latwatch_command(&["-s", "nats://no-such-host.invalid:4222"])
        .output()
        .expect("latwatch runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect to nats://no-such-host.invalid:4222"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

/// A bad flag value is a usage error: exit 2.
#[test]
fn usage_errors_exit_2() {
    let output = latwatch_command(&["--count", "0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = latwatch_command(&["-o", "yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// `latwatch --json | head -n 1`: the reader goes away, latwatch ends with 0 and no panic text.
#[test]
fn closed_pipe_ends_quietly_with_0() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::listening(&server, &["--json"]);
    let publisher = Publisher::connect(&server.url());
    let payload = FIXTURES_1X.lines().next().unwrap();
    publisher.publish_event("default", payload);
    assert!(latwatch.next_line(WAIT).is_some());
    latwatch.close_stdout();
    // The next writes hit the closed pipe.
    let deadline = Instant::now() + WAIT;
    let status = loop {
        publisher.publish_event("default", payload);
        if let Some(status) = latwatch.child_status() {
            break status;
        }
        assert!(Instant::now() < deadline, "latwatch kept running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(
        !latwatch.stderr().contains("panicked"),
        "{}",
        latwatch.stderr()
    );
}

/// Ctrl-C and SIGTERM flush and exit 0.
#[test]
fn signals_exit_0() {
    let server = NatsServer::start();
    for signal in ["INT", "TERM"] {
        let mut latwatch = Latwatch::listening(&server, &["--json"]);
        let publisher = Publisher::connect(&server.url());
        publisher.publish_event("default", FIXTURES_1X.lines().next().unwrap());
        assert!(latwatch.next_line(WAIT).is_some());
        latwatch.signal(signal);
        let status = latwatch.wait_exit(WAIT);
        assert_eq!(status.code(), Some(0), "SIG{signal}: {}", latwatch.stderr());
    }
}

/// The server restarts mid-stream: latwatch says so on stderr, naming the server, reconnects, says
/// the gap could not be filled (this server has no JetStream), and events published after the
/// restart arrive.
#[test]
fn server_restart_mid_stream() {
    let mut server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--json"]);
    let before = FIXTURES_1X.lines().next().unwrap();
    let after = FIXTURES_1X.lines().nth(1).unwrap();
    Publisher::connect(&server.url()).publish_event("default", before);
    assert_eq!(latwatch.lines(1, WAIT)[0], format!("{before}\n"));

    server.stop();
    latwatch.wait_stderr("disconnected from", WAIT);
    server.restart();
    latwatch.wait_stderr("not filled", Duration::from_secs(20));
    // Said once a round trip proves the subscription is back: before or after the fill's word.
    let stderr = latwatch.wait_stderr(
        &format!("reconnected to {}; events did not flow for", server.url()),
        Duration::from_secs(20),
    );
    assert!(
        stderr.contains(&format!("disconnected from {};", server.url())),
        "{stderr}"
    );
    // "reconnected" is said after the subscription is confirmed again, so one publish suffices.
    Publisher::connect(&server.url()).publish_event("default", after);
    assert_eq!(latwatch.lines(1, WAIT)[0], format!("{after}\n"));
}

/// An event built with cloudevents-sdk, exactly as the wasmCloud host builds and serializes it,
/// decodes without a problem and passes through `--json` byte for byte.
#[test]
fn events_built_by_the_cloudevents_sdk_round_trip() {
    use cloudevents::{EventBuilder, EventBuilderV10};
    let event = EventBuilderV10::new()
        .id("0198a7d9-f33a-b6e2-a607-d5389e53ac4d")
        .ty("com.wasmcloud.lattice.component_scaled")
        .source("NV3CJLKH7RKUKN4IIRFEAO2TUSPZ3U7EEWV4CTHQQ4AOQXGZM7S2H2UK")
        .time("2025-08-14T09:12:15.418267003Z")
        .data(
            "application/json",
            serde_json::json!({
                "annotations": {},
                "component_id": "echo",
                "host_id": "NV3CJLKH7RKUKN4IIRFEAO2TUSPZ3U7EEWV4CTHQQ4AOQXGZM7S2H2UK",
                "image_ref": "ghcr.io/wasmcloud/components/echo:0.1.0",
                "max_instances": 0
            }),
        )
        .build()
        .expect("a valid event");
    let payload = serde_json::to_string(&event).unwrap();

    let server = NatsServer::start();
    let json = Latwatch::listening(&server, &["--json"]);
    let pretty = Latwatch::listening(&server, &["--color", "never", "--utc"]);
    Publisher::connect(&server.url())
        .publish("wasmbus.evt.default.component_scaled", payload.as_str());
    assert_eq!(json.lines(1, WAIT)[0], format!("{payload}\n"));
    assert_eq!(
        pretty.lines(1, WAIT)[0],
        "2025-08-14 09:12:15.418  component_scaled        NV3CJL…2H2UK       echo  image=ghcr.io/wasmcloud/components/echo:0.1.0  stopped\n"
    );
}
