//! Applications (wadm): the recorded real wadm messages published to a real nats-server, wadm's
//! streams created as wadm creates them, and wadm's API answered with recorded replies.

mod support;

use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(15);

/// A nats-server with JetStream, storing in a folder of its own.
fn jetstream_server() -> (NatsServer, TestDir) {
    let store = temp_dir("jetstream");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    (server, store)
}

/// Reads stdout lines into `lines` until `done` says they are all there.
fn collect_while(latwatch: &Latwatch, lines: &mut Vec<String>, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done(lines) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(line) = latwatch.next_line(left) else {
            panic!(
                "stdout ended or stalled; lines so far:\n{}\nstderr:\n{}",
                lines.join(""),
                latwatch.stderr()
            );
        };
        lines.push(String::from_utf8(line).expect("stdout is UTF-8"));
    }
}

/// Reads stdout lines into `lines` until one contains each of `needles`. wadm's messages and the
/// hosts' come on different subscriptions, which a stalled latwatch may hand over in either
/// order: the test waits for every last line it expects, not for the last one published.
fn collect_until_all(latwatch: &Latwatch, needles: &[&str], lines: &mut Vec<String>) {
    collect_while(latwatch, lines, |lines| {
        needles
            .iter()
            .all(|needle| lines.iter().any(|l| l.contains(needle)))
    });
}

/// Reads stdout lines into `lines` until one (after those already there) contains `needle`.
fn collect_until(latwatch: &Latwatch, needle: &str, lines: &mut Vec<String>) {
    let before = lines.len();
    collect_while(latwatch, lines, |lines| {
        lines[before..].iter().any(|l| l.contains(needle))
    });
}

/// Publishes recorded messages in order. wadm's and the hosts' messages are on different
/// subscriptions, which a loaded machine may hand over in either order; a host event is
/// attributed through the manifest published before it, so each `manifest_published` is
/// waited for (as in real life, where wadm's commands to hosts come after it).
fn publish_in_order(
    publisher: &Publisher,
    latwatch: &Latwatch,
    messages: &[(String, String)],
    lines: &mut Vec<String>,
) {
    for (subject, payload) in messages {
        publisher.publish(subject, payload.as_bytes());
        if subject.ends_with("manifest_published") {
            collect_until(latwatch, "manifest_published", lines);
        }
    }
}

/// `latwatch --until-app TARGET --timeout TIMEOUT` on `server`.
fn until_app(server: &NatsServer, target: &str, timeout: &str) -> Latwatch {
    Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--until-app",
        target,
        "--timeout",
        timeout,
    ])
}

fn line_with<'l>(lines: &'l [String], needles: &[&str]) -> &'l str {
    lines
        .iter()
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{}", lines.join("")))
}

/// Pretty output: wadm's events and status changes as lines, host events tagged with their
/// application (annotated, and links/configs through the manifest's ids).
#[test]
fn a_deploy_reads_as_application_lines() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never", "--utc"]);
    let publisher = Publisher::connect(&server.url());
    let mut lines = Vec::new();
    publish_in_order(&publisher, &latwatch, &recorded(WADM_HELLO_APP), &mut lines);
    collect_until_all(&latwatch, &["host_stopped", "v0.0.2  deleted"], &mut lines);

    assert!(
        line_with(&lines, &["manifest_published", "wadm", "hello-app  v0.0.1"])
            .ends_with("1 component, 1 provider, 1 link\n")
    );
    line_with(&lines, &["app_status", "hello-app  reconciling → deployed"]);
    line_with(&lines, &["app_status", "hello-app  deployed → reconciling"]);
    line_with(&lines, &["app_status", "hello-app  deployed → undeployed"]);
    line_with(
        &lines,
        &["manifest_unpublished", "hello-app  v0.0.2  undeployed"],
    );
    line_with(
        &lines,
        &["manifest_unpublished", "hello-app  v0.0.2  deleted"],
    );
    for kind in [
        "component_scaled",
        "provider_started",
        "linkdef_set",
        "config_set",
        "config_deleted",
        "provider_stopped",
    ] {
        let tagged = lines
            .iter()
            .filter(|l| l.contains(kind))
            .all(|l| l.trim_end().ends_with("app=hello-app"));
        assert!(tagged, "{kind} not tagged:\n{}", lines.join(""));
    }
    assert!(!line_with(&lines, &["host_started"]).contains("app="));
    // Every status line is a change: wadm's status messages were all different.
    let statuses = lines.iter().filter(|l| l.contains("app_status")).count();
    assert_eq!(statuses, 7, "{}", lines.join(""));
}

/// A failing application flaps reconciling → failed on every heartbeat: one failure line with
/// its message, then only the 2nd and 4th retry; `--app` shows that application alone.
#[test]
fn a_failure_that_retries_reads_as_one_failure_and_app_filters() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(
        &server,
        &["--color", "never", "--app", "broken-*", "--summary"],
    );
    let publisher = Publisher::connect(&server.url());
    let mut lines = Vec::new();
    // Another application's life first: none of it may show.
    for (subject, payload) in &recorded(WADM_HELLO_APP)[..20] {
        publisher.publish(subject, payload.as_bytes());
    }
    let broken = recorded(WADM_BROKEN_APP);
    publish_in_order(&publisher, &latwatch, &broken, &mut lines);
    collect_until(&latwatch, "retry 4", &mut lines);
    // The rest of the hello-app recording, then a marker of broken-app's to know all arrived.
    for (subject, payload) in &recorded(WADM_HELLO_APP)[20..] {
        publisher.publish(subject, payload.as_bytes());
    }
    publisher.publish(
        "wadm.status.default.broken-app",
        r#"{"status":{"type":"undeployed","message":"Manifest has been undeployed"},"version":"","components":[]}"#,
    );
    collect_until(&latwatch, "undeployed", &mut lines);
    collect_while(&latwatch, &mut lines, |lines| {
        lines
            .iter()
            .filter(|l| l.contains("component_scale_failed"))
            .count()
            == 5
    });

    let text = lines.join("");
    assert!(
        !text.contains("hello-app") && !text.contains("hello_app"),
        "{text}"
    );
    assert!(
        !text.contains("host_heartbeat"),
        "host events of no app are left out: {text}"
    );
    let failure = line_with(&lines, &["app_status", "broken-app  reconciling → failed"]);
    assert!(failure.contains("\"failed to fetch component"), "{failure}");
    assert!(
        failure.contains("scaler broken_app-broken failed"),
        "{failure}"
    );
    line_with(&lines, &["broken-app  failed (retry 2, failing for"]);
    line_with(&lines, &["broken-app  failed (retry 4, failing for"]);
    assert!(
        !text.contains("retry 3") && !text.contains("retry 5"),
        "{text}"
    );
    let failed_events = lines
        .iter()
        .filter(|l| l.contains("component_scale_failed") && l.contains("app=broken-app"))
        .count();
    assert_eq!(failed_events, 5, "{text}");
    let ended = line_with(
        &lines,
        &["broken-app  failed → undeployed (after 5 failed attempts"],
    );
    assert!(ended.contains("Manifest has been undeployed"));

    // --summary: a table per application (both were seen; only one was shown).
    latwatch.signal("INT");
    let stderr = latwatch.wait_stderr("applications:", WAIT);
    let row = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("broken-app"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells,
        ["broken-app", "v0.1.0", "undeployed", "5", "1"],
        "{stderr}"
    );
}

/// `-o jsonl --apps`: status messages as `app_status` records naming app, lattice and version;
/// host events carry their application in `latwatch.app`; `--input` reads the records back.
#[test]
fn jsonl_records_application_status_and_replays_them() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["-o", "jsonl", "--apps"]);
    let publisher = Publisher::connect(&server.url());
    let mut lines = Vec::new();
    publish_in_order(&publisher, &latwatch, &recorded(WADM_HELLO_APP), &mut lines);
    collect_until_all(&latwatch, &["host_stopped", "\"deleted\":true"], &mut lines);
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let statuses: Vec<&serde_json::Value> =
        records.iter().filter_map(|r| r.get("app_status")).collect();
    assert_eq!(statuses.len(), 7);
    let deployed = statuses
        .iter()
        .find(|s| s["status"] == "deployed" && s["version"] == "v0.0.2")
        .expect("a deployed v0.0.2 record");
    assert_eq!(deployed["app"], "hello-app");
    assert_eq!(deployed["lattice"], "default");
    assert_eq!(deployed["change"]["from"], "reconciling");
    assert_eq!(deployed["change"]["to"], "deployed");
    assert_eq!(
        deployed["wadm"]["status"]["type"], "deployed",
        "wadm's message verbatim"
    );
    let scaled = records
        .iter()
        .find(|r| r["subject"] == "wasmbus.evt.default.component_scaled")
        .unwrap();
    assert_eq!(scaled["latwatch"]["app"], "hello-app");
    let published = records
        .iter()
        .find(|r| r["subject"] == "wadm.evt.default.manifest_published")
        .unwrap();
    assert_eq!(published["event"]["type"], "com.wadm.manifest_published");
    assert_eq!(published["latwatch"]["app_change"]["version"], "v0.0.1");

    // The records read back give the same lines as live.
    let dir = temp_dir("apps-jsonl");
    let capture = dir.join("capture.jsonl");
    std::fs::write(&capture, lines.concat()).unwrap();
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            capture.to_str().unwrap(),
            "-o",
            "jsonl",
            "--apps",
        ],
        b"",
    );
    assert!(status.success(), "{stderr}");
    let again: Vec<serde_json::Value> = String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let strip = |r: &serde_json::Value| {
        let mut r = r.clone();
        if let Some(o) = r.as_object_mut() {
            o.remove("received");
        }
        r
    };
    assert_eq!(again.len(), records.len());
    for (replayed, live) in again.iter().zip(&records) {
        assert_eq!(strip(replayed), strip(live));
    }
}

/// `--json` stays raw CloudEvents: without `--apps` nothing of wadm's; with it wadm's CloudEvents
/// but never its status messages (not CloudEvents).
#[test]
fn json_shows_wadm_cloudevents_only_when_asked() {
    let server = NatsServer::start();
    let plain = Latwatch::listening(&server, &["--json"]);
    let apps = Latwatch::listening(&server, &["--json", "--apps"]);
    let publisher = Publisher::connect(&server.url());
    for (subject, payload) in recorded(WADM_HELLO_APP) {
        publisher.publish(&subject, payload.as_bytes());
    }
    let mut plain_lines = Vec::new();
    collect_until(&plain, "host_stopped", &mut plain_lines);
    let mut app_lines = Vec::new();
    collect_while(&apps, &mut app_lines, |lines| lines.len() == 30);
    for line in plain_lines.iter().chain(&app_lines) {
        let event: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(event["specversion"], "1.0", "only CloudEvents: {line}");
    }
    assert!(plain_lines.iter().all(|l| !l.contains("com.wadm.")));
    assert_eq!(plain_lines.len(), 26);
    assert!(
        apps.next_line(Duration::from_millis(300)).is_none(),
        "no status message"
    );
    let wadm = app_lines.iter().filter(|l| l.contains("com.wadm.")).count();
    assert_eq!(wadm, 4, "{}", app_lines.join(""));
}

// wadm publishes through JetStream and waits for each ack; the tests that read wadm's streams
// do too (`publish_stored`): two streams ingest plain publishes independently, and may store a
// later message with an earlier time.

/// At startup the last status of every application comes from wadm's `wadm_status` stream, its
/// version from the newest `manifest_published` in `wadm_events`; `--until-app` is answered
/// at once when the status is already reached.
#[test]
fn startup_learns_status_from_the_stream_and_until_app_exits_at_once() {
    let (server, _store) = jetstream_server();
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    for (subject, payload) in recorded(WADM_HELLO_APP).iter().take(22) {
        publisher.publish_stored(subject, payload.as_bytes()); // through v2 deployed
    }
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr("app hello-app", WAIT);
    let line = stderr
        .lines()
        .find(|l| l.contains("app hello-app"))
        .unwrap();
    assert!(
        line.contains("hello-app  deployed  v0.0.2  (since "),
        "{line}"
    );
    drop(latwatch);

    let mut until = until_app(&server, "hello-app=deployed", "20s");
    let status = until.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0), "{}", until.stderr());
    assert!(
        until
            .stderr()
            .contains("--until: hello-app is deployed (v0.0.2)"),
        "{}",
        until.stderr()
    );
}

/// After `wash app deploy` of a new version, the "deployed" stored for the old one is no answer:
/// `--until-app` waits for a status newer than the newest `manifest_published`.
#[test]
fn a_status_older_than_the_newest_deploy_is_not_the_answer() {
    let (server, _store) = jetstream_server();
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    let messages = recorded(WADM_HELLO_APP);
    // v1 deployed (message 15 is its "deployed"), then v2 published (message 18).
    for (subject, payload) in &messages[..15] {
        publisher.publish_stored(subject, payload.as_bytes());
    }
    assert!(messages[14].1.contains(r#"{"status":{"type":"deployed"}"#));
    assert!(messages[17].0.ends_with("manifest_published"));
    publisher.publish_stored(&messages[17].0, messages[17].1.as_bytes());

    let mut stale = until_app(&server, "hello-app=deployed", "3s");
    assert_eq!(stale.wait_exit(WAIT).code(), Some(3), "{}", stale.stderr());
    assert!(
        stale
            .stderr()
            .contains("hello-app is deployed (before its newest deploy), not deployed"),
        "{}",
        stale.stderr()
    );
    // Issue 21, item 6: the startup line says which version is deployed and which is only
    // published (it used to name the new version as the deployed one).
    assert!(
        stale
            .stderr()
            .contains("app hello-app  deployed  v0.0.1; v0.0.2 published, not yet deployed"),
        "{}",
        stale.stderr()
    );

    // The same wait, answered by the new version's statuses arriving live.
    let mut waiting = until_app(&server, "hello-app=deployed", "30s");
    waiting.wait_stderr("listening", WAIT);
    // Seeding happens after "listening": give it its time before checking the wait still runs.
    std::thread::sleep(Duration::from_millis(500));
    assert!(waiting.child_status().is_none(), "{}", waiting.stderr());
    publisher.publish_stored(&messages[18].0, messages[18].1.as_bytes()); // reconciling
    publisher.publish_stored(&messages[20].0, messages[20].1.as_bytes()); // deployed
    assert_eq!(
        waiting.wait_exit(WAIT).code(),
        Some(0),
        "{}",
        waiting.stderr()
    );
}

/// wadm's API answers where there is no stream (recorded `model.get` reply).
#[test]
fn startup_learns_status_from_wadms_api_without_jetstream() {
    let server = NatsServer::start();
    let _wadm = Responder::start(&server.url(), recorded_replies());
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr("app hello-app", WAIT);
    assert!(
        stderr.contains("app hello-app  deployed  v0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("no application status"), "{stderr}");
    // The application is known by name only (its manifest was published before latwatch
    // started): a link and a config wadm named `hello_app-…` are its by wadm's naming; an id
    // of no known application's form is nobody's.
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    for index in [6, 12] {
        publisher.publish(&messages[index].0, messages[index].1.as_bytes());
    }
    publisher.publish(
        "wasmbus.evt.default.config_set",
        r#"{"specversion":"1.0","id":"c2","type":"com.wasmcloud.lattice.config_set","source":"NH","data":{"config_name":"other_app-address"}}"#,
    );
    let mut lines = Vec::new();
    collect_until_all(
        &latwatch,
        &[
            "other_app-address",
            "hello_app-hello_http_address",
            "linkdef_set",
        ],
        &mut lines,
    );
    assert!(
        line_with(&lines, &["config_set", "hello_app-hello_http_address"])
            .trim_end()
            .ends_with("app=hello-app"),
        "{lines:?}"
    );
    assert!(line_with(&lines, &["linkdef_set"])
        .trim_end()
        .ends_with("app=hello-app"));
    assert!(!line_with(&lines, &["other_app-address"]).contains("app="));
    drop(latwatch);

    let mut until = until_app(&server, "hello-app=deployed", "20s");
    assert_eq!(until.wait_exit(WAIT).code(), Some(0), "{}", until.stderr());
}

/// No JetStream and no wadm: not an error, one hint.
#[test]
fn no_wadm_is_one_hint() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr("no application status at startup", WAIT);
    assert_eq!(
        stderr.matches("no application status").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("wadm.api.default.model.get"), "{stderr}");
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("default", FIXTURES_1X.lines().next().unwrap());
    assert!(latwatch.next_line(WAIT).is_some());
    latwatch.signal("INT");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    // -q: not even the hint.
    let quiet = Latwatch::spawn(&["-s", &server.url(), "-q", "--idle-timeout", "2s"]);
    let mut quiet = quiet;
    assert_eq!(quiet.wait_exit(WAIT).code(), Some(0));
    assert_eq!(quiet.stderr(), "");
}

/// `--until-app` ends with exit 4 when the application fails, its scalers' messages on stderr;
/// `--fail-on none` keeps waiting (wadm retries) until the timeout.
#[test]
fn until_app_fails_with_the_failure() {
    let server = NatsServer::start();
    let mut latwatch = until_app(&server, "broken-app=deployed", "30s");
    latwatch.wait_stderr("listening", WAIT);
    let mut patient = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--until-app",
        "broken-app=deployed",
        "--fail-on",
        "none",
        "--timeout",
        "4s",
    ]);
    patient.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    for (subject, payload) in recorded(WADM_BROKEN_APP) {
        publisher.publish(&subject, payload.as_bytes());
    }
    assert_eq!(
        latwatch.wait_exit(WAIT).code(),
        Some(4),
        "{}",
        latwatch.stderr()
    );
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("--until-app: broken-app failed (v0.1.0): failed to fetch component")
            && !stderr.contains("--fail-on"),
        "{stderr}"
    );
    assert!(
        stderr.contains("scaler broken_app-broken failed"),
        "{stderr}"
    );
    assert_eq!(
        patient.wait_exit(WAIT).code(),
        Some(3),
        "{}",
        patient.stderr()
    );
    assert!(
        patient
            .stderr()
            .contains("--until-app: broken-app is failed, not deployed: --timeout 4s expired"),
        "{}",
        patient.stderr()
    );
}

/// The multi-tenant prefix applies to wadm's subjects as to the events'.
#[test]
fn the_subject_prefix_applies_to_wadm_subjects() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never", "--subject-prefix", "acct"]);
    assert!(latwatch
        .stderr()
        .contains("acct.wadm.evt.default.>, acct.wadm.status.default.*"));
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    // Unprefixed: another tenant's, not shown.
    publisher.publish(&messages[5].0, messages[5].1.as_bytes());
    for (subject, payload) in &messages[4..15] {
        publisher.publish(&format!("acct.{subject}"), payload.as_bytes());
    }
    let mut lines = Vec::new();
    collect_until_all(
        &latwatch,
        &[
            "reconciling → deployed",
            "manifest_published",
            "component_scaled",
        ],
        &mut lines,
    );
    line_with(&lines, &["manifest_published", "hello-app  v0.0.1"]);
    let first_status = lines.iter().filter(|l| l.contains("app_status")).count();
    assert_eq!(first_status, 4, "{}", lines.join(""));
    line_with(&lines, &["component_scaled", "app=hello-app"]);
}

/// `--no-apps`: no wadm subscription, lines or tags; `--until-app` needs applications.
#[test]
fn no_apps_turns_applications_off() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never", "--no-apps"]);
    assert!(!latwatch.stderr().contains("wadm"), "{}", latwatch.stderr());
    let publisher = Publisher::connect(&server.url());
    for (subject, payload) in recorded(WADM_HELLO_APP) {
        publisher.publish(&subject, payload.as_bytes());
    }
    let mut lines = Vec::new();
    collect_until(&latwatch, "host_stopped", &mut lines);
    assert_eq!(
        lines.len(),
        17,
        "unchanged heartbeats left out: {}",
        lines.concat()
    );
    let text = lines.concat();
    assert!(
        !text.contains("app_status") && !text.contains("manifest_"),
        "{text}"
    );
    assert!(!text.contains("app="), "{text}");

    let (status, _, stderr) = run_with_stdin(&["--no-apps", "--until-app", "a=deployed"], b"");
    assert_eq!(status.code(), Some(2), "{stderr}");
    let (status, _, stderr) = run_with_stdin(&["--until-app", "hello-app"], b"");
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("give NAME=STATUS"), "{stderr}");
    let (status, _, stderr) = run_with_stdin(&["--until-app", "hello-app=ready-ish"], b"");
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("deployed, reconciling, failed"), "{stderr}");
}

/// `--until-app` on a capture: the first deployed ends the run; the bundled example shows the
/// application's whole life.
#[test]
fn until_app_on_a_capture() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hello-app.jsonl");
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            example,
            "--until-app",
            "hello-app=deployed",
            "--color",
            "never",
        ],
        b"",
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout
            .trim_end()
            .ends_with("hello-app  reconciling → deployed"),
        "{stdout}"
    );
    assert!(
        stderr.contains("--until: hello-app is deployed (v0.0.1)"),
        "{stderr}"
    );

    let (status, _, stderr) = run_with_stdin(
        &["--input", example, "--until-app", "hello-app=failed"],
        b"",
    );
    assert_eq!(status.code(), Some(3));
    assert!(
        stderr.contains(
            "the input ended before --until-app was reached: hello-app is undeployed, not failed"
        ),
        "{stderr}"
    );
}

/// Waits until stderr says `needle` `n` times.
fn wait_stderr_times(latwatch: &Latwatch, needle: &str, n: usize) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let stderr = latwatch.stderr();
        if stderr.matches(needle).count() >= n {
            return stderr;
        }
        assert!(
            Instant::now() < deadline,
            "stderr never said {needle:?} {n} times; it said:\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Publishes a host event every 200 ms until latwatch shows one: async-nats' `flush` only
/// writes, so "reconnected" does not prove the server has the subscription again yet.
fn probe_until_shown(publisher: &Publisher, latwatch: &Latwatch, lines: &mut Vec<String>) {
    let deadline = Instant::now() + WAIT;
    for probe in 0.. {
        publisher.publish(
            "wasmbus.evt.default.config_set",
            format!(
                r#"{{"specversion":"1.0","id":"probe-{probe}","type":"com.wasmcloud.lattice.config_set","source":"NH","data":{{"config_name":"probe-{probe}"}}}}"#
            ),
        );
        while let Some(line) = latwatch.next_line(Duration::from_millis(200)) {
            let line = String::from_utf8(line).expect("stdout is UTF-8");
            let probed = line.contains("config_set");
            lines.push(line);
            if probed {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no probe shown; lines:\n{}\nstderr:\n{}",
            lines.join(""),
            latwatch.stderr()
        );
    }
}

/// wadm publishes a status only when it changes: one published while latwatch was cut off is
/// read again after the reconnect, shown once like a live one (not again after a second
/// outage), and ends `--until-app`.
#[test]
fn a_status_published_during_an_outage_is_learned_after_the_reconnect() {
    let (server, _store) = jetstream_server();
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    let messages = recorded(WADM_HELLO_APP);
    // v2 published and reconciling (message 18); its "deployed" (20) comes during the outage.
    for (subject, payload) in &messages[..20] {
        publisher.publish_stored(subject, payload.as_bytes());
    }
    assert!(messages[20].1.contains(r#"{"status":{"type":"deployed"}"#));
    let proxy = Proxy::start(server.port);
    let watching = Latwatch::spawn(&["-s", &proxy.url(), "--color", "never"]);
    let mut until = Latwatch::spawn(&[
        "-s",
        &proxy.url(),
        "--until-app",
        "hello-app=deployed",
        "--timeout",
        "120s",
    ]);
    for latwatch in [&watching, &until] {
        let stderr = latwatch.wait_stderr("app hello-app", WAIT);
        assert!(
            stderr.contains("app hello-app  reconciling  v0.0.2"),
            "{stderr}"
        );
    }
    assert!(until.child_status().is_none(), "{}", until.stderr());

    proxy.cut();
    for latwatch in [&watching, &until] {
        latwatch.wait_stderr("disconnected from", WAIT);
    }
    publisher.publish_stored(&messages[20].0, messages[20].1.as_bytes());
    proxy.restore();

    let mut lines = Vec::new();
    collect_until(&watching, "reconciling → deployed", &mut lines);
    assert_eq!(until.wait_exit(WAIT).code(), Some(0), "{}", until.stderr());
    assert!(
        until
            .stderr()
            .contains("--until: hello-app is deployed (v0.0.2)"),
        "{}",
        until.stderr()
    );

    // A second outage with nothing new: the status is not shown again. A host event that
    // arrives after the reconnect comes after the read that follows it.
    wait_stderr_times(&watching, "reconnected to", 1);
    proxy.cut();
    wait_stderr_times(&watching, "disconnected from", 2);
    proxy.restore();
    wait_stderr_times(&watching, "reconnected to", 2);
    probe_until_shown(&publisher, &watching, &mut lines);
    let shown = lines
        .iter()
        .filter(|l| l.contains("app_status"))
        .collect::<Vec<_>>();
    assert_eq!(shown.len(), 1, "{}", lines.join(""));
    assert!(
        shown[0].contains("hello-app  reconciling → deployed"),
        "{}",
        lines.join("")
    );
}

/// A nats-server with JetStream whose users may do less: `admin` anything (the publisher, as
/// the user without credentials), `watcher` only subscribe to host events, `waiter` also to
/// wadm's events and reply inboxes but not to wadm's statuses.
fn server_with_permissions() -> (NatsServer, TestDir) {
    let store = temp_dir("permissions");
    let config = store.join("server.conf");
    std::fs::write(
        &config,
        r#"
no_auth_user: admin
authorization {
  users = [
    {user: admin, password: admin-pw}
    {user: watcher, password: watcher-pw, permissions: {subscribe: {allow: ["wasmbus.evt.>"]}}}
    {user: waiter, password: waiter-pw,
     permissions: {subscribe: {allow: ["wasmbus.evt.>", "wadm.evt.>", "_INBOX.>"]}}}
  ]
}
"#,
    )
    .unwrap();
    let server = NatsServer::start_with(&[
        "-c",
        config.to_str().unwrap(),
        "-js",
        "-sd",
        store.to_str().unwrap(),
    ]);
    (server, store)
}

/// A user who may only subscribe to host events: the first event shows as it arrives, not after
/// the startup read of wadm's streams and API waited out its timeouts (three lattices: 43 s
/// before), and that read stops at the server's refusal, saying which permission is missing.
#[test]
fn a_least_privilege_user_sees_events_while_applications_are_learned() {
    let (server, _store) = server_with_permissions();
    let latwatch = Latwatch::listening(
        &server,
        &[
            "--user",
            "watcher",
            "--password",
            "watcher-pw",
            "--color",
            "never",
            "--lattice",
            "a,b,c",
        ],
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("b", fixture("host_started"));
    let line = latwatch
        .next_line(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no event shown; stderr:\n{}", latwatch.stderr()));
    let stderr_then = latwatch.stderr();
    assert!(
        String::from_utf8_lossy(&line).contains("host_started"),
        "{line:?}"
    );
    let stderr = latwatch.wait_stderr("no application status at startup", WAIT);
    for said in [&stderr_then, &stderr] {
        assert!(
            !said.contains("took too long") && !said.contains("did not answer"),
            "a timeout was waited out: {said}"
        );
    }
    let hint = stderr
        .lines()
        .find(|l| l.contains("no application status at startup"))
        .unwrap();
    assert!(
        hint.contains("refused to let latwatch subscribe to _INBOX."),
        "{hint}"
    );
    assert!(
        hint.contains("permission to subscribe to _INBOX.>"),
        "{hint}"
    );
    assert_eq!(
        stderr.matches("no application status").count(),
        1,
        "{stderr}"
    );
    // The live subscriptions to wadm's subjects were refused too: said, not fatal.
    let stderr = latwatch.wait_stderr("subscribe to wadm.status.c.*", WAIT);
    assert!(stderr.contains("or pass --no-apps"), "{stderr}");
    // latwatch's own round trip (it may not use _INBOX.>) is refused quietly.
    assert!(!stderr.contains("round-trip"), "{stderr}");
    publisher.publish_event("c", fixture("host_stopped"));
    let line = latwatch.next_line(WAIT).expect("still watching");
    assert!(String::from_utf8_lossy(&line).contains("host_stopped"));
}

/// `--until-app` for a user who may not subscribe to wadm's statuses could never end: exit 1 at
/// once, naming the permission, instead of waiting out `--timeout`.
#[test]
fn until_app_without_permission_for_statuses_fails_at_once() {
    let (server, _store) = server_with_permissions();
    let mut until = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--user",
        "waiter",
        "--password",
        "waiter-pw",
        "--until-app",
        "hello-app=deployed",
        "--timeout",
        "120s",
    ]);
    let status = until.wait_exit(Duration::from_secs(30));
    let stderr = until.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refused to let latwatch subscribe to wadm.status.default.*"),
        "{stderr}"
    );
    assert!(
        stderr.contains("give this user permission to subscribe to wadm.status.default.*"),
        "{stderr}"
    );
    assert!(!stderr.contains("is the name right"), "{stderr}");
    assert!(!stderr.contains("waiter-pw"), "{stderr}");
}

/// The startup read finds the newest deploy however many messages `wadm_events` holds: with
/// more than ten thousand deploys stored after the application's "deployed", its own newer
/// deploy at the end still makes that status stale, so `--until-app` does not end on it.
#[test]
fn the_newest_deploy_is_found_behind_ten_thousand_others() {
    let (server, _store) = jetstream_server();
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    let messages = recorded(WADM_HELLO_APP);
    for (subject, payload) in &messages[..15] {
        publisher.publish_stored(subject, payload.as_bytes()); // v1 deployed
    }
    publisher.publish_stored_burst(
        "wadm.evt.default.manifest_published",
        (0..10_050).map(|i| {
            format!(
                r#"{{"specversion":"1.0","id":"filler-{i}","type":"com.wadm.manifest_published","source":"wadm","data":{{"apiVersion":"core.oam.dev/v1beta1","kind":"Application","metadata":{{"name":"other-{}","annotations":{{"version":"v1"}}}},"spec":{{"components":[]}}}}}}"#,
                i % 100
            )
            .into_bytes()
        }),
    );
    assert!(messages[17].0.ends_with("manifest_published"));
    publisher.publish_stored(&messages[17].0, messages[17].1.as_bytes()); // v2 deployed

    let mut stale = until_app(&server, "hello-app=deployed", "20s");
    assert_eq!(
        stale.wait_exit(WAIT * 2).code(),
        Some(3),
        "{}",
        stale.stderr()
    );
    assert!(
        stale
            .stderr()
            .contains("hello-app is deployed (before its newest deploy), not deployed"),
        "{}",
        stale.stderr()
    );
    // The newest deploy is named (and the one before it, found behind the others too).
    assert!(
        stale
            .stderr()
            .contains("app hello-app  deployed  v0.0.1; v0.0.2 published, not yet deployed"),
        "the version of the newest deploy: {}",
        stale.stderr()
    );
}

/// `payload` with every `from` replaced by `to` (a recorded message made another application's).
fn renamed(payload: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(payload.to_owned(), |text, (from, to)| {
        text.replace(from, to)
    })
}

/// Issue 19, item 11: wadm gives `hello-app` and `hello_app` the same ids. When both manifests
/// claim them, an event about such an id without annotations belongs to neither (the newest
/// manifest used to take it); an annotated one names the application its annotations name.
#[test]
fn ids_two_manifests_claim_belong_to_neither() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    let mut lines = Vec::new();
    let (subject, first) = &messages[4];
    publisher.publish(subject, first.as_bytes());
    collect_until(&latwatch, "hello-app  v0.0.1", &mut lines);
    let second = renamed(first, &[(r#""name":"hello-app""#, r#""name":"hello_app""#)]);
    assert_ne!(&second, first, "the manifest was renamed");
    publisher.publish(subject, second.as_bytes());
    collect_until(&latwatch, "hello_app  v0.0.1", &mut lines);

    // Unannotated: a config and a link about ids both manifests name.
    publisher.publish(&messages[6].0, messages[6].1.as_bytes());
    publisher.publish(&messages[12].0, messages[12].1.as_bytes());
    // Annotated: each names its own application.
    publisher.publish(&messages[8].0, messages[8].1.as_bytes());
    let other = renamed(
        &messages[9].1,
        &[(
            r#""wasmcloud.dev/appspec":"hello-app""#,
            r#""wasmcloud.dev/appspec":"hello_app""#,
        )],
    );
    assert_ne!(other, messages[9].1, "the annotation was renamed");
    publisher.publish(&messages[9].0, other.as_bytes());
    collect_while(&latwatch, &mut lines, |lines| {
        lines
            .iter()
            .filter(|l| l.contains("component_scaled"))
            .count()
            == 2
    });

    let config = line_with(&lines, &["config_set", "hello_app-hello_http_address"]);
    assert!(!config.contains("app="), "{}", lines.concat());
    let link = line_with(&lines, &["linkdef_set"]);
    assert!(!link.contains("app="), "{}", lines.concat());
    let scaled: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("component_scaled"))
        .collect();
    assert!(
        scaled[0].trim_end().ends_with("app=hello-app"),
        "{}",
        lines.concat()
    );
    assert!(
        scaled[1].trim_end().ends_with("app=hello_app"),
        "{}",
        lines.concat()
    );
}

/// Issue 19, item 12: a prefix ending in `wadm` or beginning with `wasmbus` is a prefix like any
/// other: subjects are read by position after it, so wadm's status messages stay status lines
/// (they read as invalid host events when the subject was searched for `wadm.`/`wasmbus.`).
#[test]
fn prefixes_that_look_like_subjects_read_as_prefixes() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let messages = recorded(WADM_HELLO_APP);
    for prefix in ["acme.wadm", "wasmbus.x"] {
        let latwatch = Latwatch::listening(
            &server,
            &[
                "--color",
                "never",
                "--subject-prefix",
                prefix,
                "--lattice",
                "default,other",
            ],
        );
        let mut lines = Vec::new();
        let prefixed = |index: usize| format!("{prefix}.{}", messages[index].0);
        publisher.publish(&prefixed(4), messages[4].1.as_bytes());
        collect_until(&latwatch, "manifest_published", &mut lines);
        publisher.publish(&prefixed(5), messages[5].1.as_bytes());
        collect_until(&latwatch, "app_status", &mut lines);
        publisher.publish(&prefixed(8), messages[8].1.as_bytes());
        collect_until(&latwatch, "component_scaled", &mut lines);

        let text = lines.concat();
        assert!(!text.contains("invalid"), "{prefix}: {text}");
        let published = line_with(&lines, &["manifest_published", "hello-app  v0.0.1"]);
        let status = line_with(&lines, &["app_status", "hello-app  reconciling"]);
        let scaled = line_with(&lines, &["component_scaled"]);
        assert!(
            scaled.trim_end().ends_with("app=hello-app"),
            "{prefix}: {text}"
        );
        // The lattice column reads each subject's lattice after the prefix too.
        for line in [published, status, scaled] {
            assert_eq!(
                undated(line).split_whitespace().nth(1),
                Some("default"),
                "{prefix}: {line}"
            );
        }
    }
}

/// The status message `{"status":{"type": status, "message": message}}`.
fn status_message(status: &str, message: &str) -> String {
    format!(r#"{{"status":{{"type":"{status}","message":"{message}"}},"scalers":[]}}"#)
}

/// Issue 19, item 13: `--until-app` over several lattices. `LATTICE/NAME` waits for that
/// lattice's application only; a bare NAME for every application of that name; every message
/// names the lattice.
#[test]
fn until_app_over_several_lattices_names_each_lattice() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let spawn = |target: &str, timeout: &str| {
        let latwatch = Latwatch::spawn(&[
            "-s",
            &server.url(),
            "--color",
            "never",
            "--lattice",
            "a,b",
            "--until-app",
            target,
            "--timeout",
            timeout,
        ]);
        latwatch.wait_stderr("listening", WAIT);
        latwatch
    };
    let status = |lattice: &str, status: &str, message: &str| {
        publisher.publish(
            &format!("wadm.status.{lattice}.hello-app"),
            status_message(status, message),
        );
    };

    // b/hello-app: a's deploy is not the answer.
    let mut only_b = spawn("b/hello-app=deployed", "30s");
    let mut lines = Vec::new();
    status("a", "deployed", "a is up");
    collect_until(&only_b, "a is up", &mut lines);
    // Had a's deploy ended the wait, this line would never come.
    status("b", "reconciling", "b is starting");
    collect_until(&only_b, "b is starting", &mut lines);
    status("b", "deployed", "b is up");
    assert_eq!(
        only_b.wait_exit(WAIT).code(),
        Some(0),
        "{}",
        only_b.stderr()
    );
    assert!(
        only_b
            .stderr()
            .contains("--until: b/hello-app is deployed: b is up"),
        "{}",
        only_b.stderr()
    );
    assert!(
        !only_b.stderr().contains("a/hello-app"),
        "{}",
        only_b.stderr()
    );

    // A bare name: every application of that name. a is deployed (above) when b fails; then
    // both deployed.
    let mut both = spawn("hello-app=deployed", "30s");
    let mut lines = Vec::new();
    status("a", "reconciling", "a again");
    collect_until(&both, "a again", &mut lines);
    status("b", "reconciling", "b again");
    collect_until(&both, "b again", &mut lines);
    status("a", "deployed", "a is back");
    collect_until(&both, "a is back", &mut lines);
    // Had a alone ended the wait, this line would never come.
    status("b", "reconciling", "b still starting");
    collect_until(&both, "b still starting", &mut lines);
    status("b", "deployed", "b is back");
    assert_eq!(both.wait_exit(WAIT).code(), Some(0), "{}", both.stderr());
    assert!(
        both.stderr().contains(
            "--until: a/hello-app is deployed: a is back; b/hello-app is deployed: b is back"
        ),
        "{}",
        both.stderr()
    );

    // Failing and timing out name the lattice too.
    let mut failing = spawn("hello-app=deployed", "30s");
    status("b", "failed", "b broke");
    assert_eq!(
        failing.wait_exit(WAIT).code(),
        Some(4),
        "{}",
        failing.stderr()
    );
    assert!(
        failing
            .stderr()
            .contains("--until-app: b/hello-app failed: b broke (exit 4)"),
        "{}",
        failing.stderr()
    );
    let mut late = spawn("hello-app=deployed", "3s");
    status("a", "reconciling", "a once more");
    collect_until(&late, "a once more", &mut Vec::new());
    assert_eq!(late.wait_exit(WAIT).code(), Some(3), "{}", late.stderr());
    assert!(
        late.stderr().contains(
            "--until-app: a/hello-app is reconciling, not deployed: --timeout 3s expired"
        ),
        "{}",
        late.stderr()
    );
    let mut unseen = spawn("b/nobody=deployed", "2s");
    assert_eq!(
        unseen.wait_exit(WAIT).code(),
        Some(3),
        "{}",
        unseen.stderr()
    );
    assert!(
        unseen
            .stderr()
            .contains("no status of b/nobody seen (waiting for deployed; is the name right?)"),
        "{}",
        unseen.stderr()
    );

    // A lattice that is not watched is a usage error.
    let (code, _, stderr) = run_with_stdin(
        &["--lattice", "a,b", "--until-app", "c/hello-app=deployed"],
        b"",
    );
    assert_eq!(code.code(), Some(2), "{stderr}");
    assert!(stderr.contains("lattice 'c' is not watched"), "{stderr}");
}

/// Issue 19, item 21: `--until-app … --fail-on TYPES` judges the awaited applications' failure
/// events only: another application's, and one of no known application, do not end the wait.
#[test]
fn until_app_fail_on_judges_the_awaited_applications_events() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--color",
        "never",
        "--until-app",
        "hello-app=deployed",
        "--fail-on",
        "*_failed",
        "--timeout",
        "30s",
    ]);
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    let broken = recorded(WADM_BROKEN_APP);
    let (subject, failure) = &broken[2];
    assert!(subject.ends_with("component_scale_failed"));
    // Another application's failure.
    publisher.publish(subject, failure.as_bytes());
    // A failure of no known application.
    let stranger = renamed(
        failure,
        &[
            (r#""wasmcloud.dev/appspec":"broken-app","#, ""),
            ("broken_app-broken", "stranger"),
        ],
    );
    assert!(!stranger.contains("appspec"), "{stranger}");
    publisher.publish(subject, stranger.as_bytes());
    // A sentinel on the same subscription: had either ended the wait, it would never show.
    let hello = recorded(WADM_HELLO_APP);
    publisher.publish(&hello[8].0, hello[8].1.as_bytes());
    let mut lines = Vec::new();
    collect_until(&latwatch, "component_scaled", &mut lines);
    // Neither is hello-app's: neither is shown (issue 21: `--until-app` shows the awaited
    // applications only), and neither ended the wait.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("component_scale_failed"))
            .count(),
        0,
        "{}",
        lines.concat()
    );
    assert!(latwatch.child_status().is_none(), "{}", latwatch.stderr());

    // hello-app's own failure event ends it.
    let own = renamed(
        failure,
        &[("broken-app", "hello-app"), ("broken_app", "hello_app")],
    );
    publisher.publish(subject, own.as_bytes());
    assert_eq!(
        latwatch.wait_exit(WAIT).code(),
        Some(4),
        "{}",
        latwatch.stderr()
    );
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("--fail-on: hello-app: component_scale_failed hello_app-broken"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("stranger") && !stderr.contains("broken_app"),
        "{stderr}"
    );
}

/// `--heartbeats` shows every heartbeat, not wadm's repeated statuses: those have no words of
/// their own and used to print as `data=status,scalers,version,components` rows.
#[test]
fn heartbeats_do_not_bring_back_repeated_statuses() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wadm-broken-app.jsonl"
    );
    let (status, stdout, stderr) = run_with_stdin(
        &["--input", capture, "--heartbeats", "--color", "never"],
        b"",
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("failed (retry 4, failing for"), "{stdout}");
    assert!(!stdout.contains("data=status"), "{stdout}");
}

/// A long error chain as wadm words it: the root cause comes last.
fn long_chain() -> String {
    let middle = "while pulling layer sha256:0123456789abcdef; ".repeat(8);
    format!(
        "failed to fetch component: failed to pull ghcr.io/acme/shop:0.1.0: {middle}client \
         error (Connect): dns error: failed to lookup address information: Name or service not \
         known"
    )
}

/// Issue 21, item 1: a status message too long for a line keeps its start and its end (the root
/// cause), never only its start.
#[test]
fn a_long_status_message_keeps_its_root_cause() {
    let chain = long_chain();
    assert!(chain.len() > 400);
    // As the recorded fixtures hold them: the subject first.
    let record = format!(
        r#"{{"subject": "wadm.status.default.shop", "payload": {}}}"#,
        serde_json::to_string(&status_message("failed", &chain)).unwrap()
    );
    let (status, stdout, stderr) = run_with_stdin(
        &["--input", "-", "--color", "never"],
        format!("{record}\n").as_bytes(),
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    let line = stdout.lines().find(|l| l.contains("shop")).expect(&stdout);
    assert!(line.contains("\"failed to fetch component"), "{line}");
    assert!(line.contains("Name or service not known\""), "{line}");
    assert!(line.contains(" … "), "{line}");

    // `--verbose` (`-v`): the message whole.
    let (status, stdout, stderr) = run_with_stdin(
        &["--input", "-", "--color", "never", "-v"],
        format!("{record}\n").as_bytes(),
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    let line = stdout.lines().find(|l| l.contains("shop")).expect(&stdout);
    assert!(line.contains(&format!("\"{chain}\"")), "{line}");
}

/// Issue 21, item 5: with `--until-app`, a CI log shows the awaited application only (as if
/// `--app` named it): another application's failure, earlier in the capture, prints nothing,
/// and the awaited application's deploy that follows it does.
#[test]
fn until_app_shows_only_the_awaited_application() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let broken = std::fs::read(format!("{fixtures}wadm-broken-app.jsonl")).unwrap();
    let hello = std::fs::read(format!("{fixtures}wadm-hello-app.jsonl")).unwrap();
    let capture = [broken, hello].concat();
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--until-app",
            "hello-app=deployed",
            "--color",
            "never",
        ],
        &capture,
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout
            .trim_end()
            .ends_with("hello-app  reconciling → deployed"),
        "{stdout}"
    );
    assert!(!stdout.contains("broken"), "{stdout}");
    // `--app` says otherwise: both are shown.
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--until-app",
            "hello-app=deployed",
            "--app",
            "*",
            "--color",
            "never",
        ],
        &capture,
    );
    assert!(String::from_utf8(stdout).unwrap().contains("broken-app"));
}

/// Issue 21, item 2: a host's failure repeated while wadm retries (same component, host and
/// error) is shown in full once, then as a short line; `--no-compress` shows each in full, and
/// the JSON formats are unchanged.
#[test]
fn a_repeated_failure_is_a_short_line_after_the_first() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wadm-broken-app.jsonl"
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["--input", capture, "--color", "never"];
        args.extend_from_slice(extra);
        let (status, stdout, stderr) = run_with_stdin(&args, b"");
        assert!(status.success(), "{stderr}");
        String::from_utf8(stdout).unwrap()
    };
    let failures = |out: &str, needle: &str| {
        out.lines()
            .filter(|l| l.contains("component_scale_failed") && l.contains(needle))
            .count()
    };
    let compressed = run(&[]);
    assert_eq!(failures(&compressed, "error=\""), 1, "{compressed}");
    assert_eq!(failures(&compressed, "same error again"), 4, "{compressed}");
    assert!(
        compressed.contains("broken_app-broken  same error again (×5, over 44s)"),
        "{compressed}"
    );
    let full = run(&["--no-compress"]);
    assert_eq!(failures(&full, "error=\""), 5, "{full}");
    let jsonl = run(&["-o", "jsonl"]);
    assert_eq!(failures(&jsonl, r#""error":""#), 5, "{jsonl}");
    // The first failures filtered out: the first one shown is whole, the later ones short.
    let later = run(&["--filter", r#".time > "2026-11-25T21:02:10Z""#]);
    assert_eq!(failures(&later, "error=\""), 1, "{later}");
    assert_eq!(failures(&later, "same error again"), 3, "{later}");
    let first_shown = later
        .lines()
        .find(|l| l.contains("component_scale_failed"))
        .unwrap();
    assert!(first_shown.contains("error=\""), "{later}");
}

/// Failures of different links from one source (another target, another interface) are each
/// shown whole; only the same link failing again is short.
#[test]
fn failures_of_different_links_are_not_repeats() {
    let link = |target: &str, interface: &str, second: u32| {
        format!(
            r#"{{"specversion":"1.0","id":"l{second}","type":"com.wasmcloud.lattice.linkdef_set_failed","source":"NHOST","time":"2026-01-01T00:00:{second:02}Z","data":{{"source_id":"a","target":"{target}","name":"default","wit_namespace":"wasi","wit_package":"http","interfaces":["{interface}"],"error":"link failed: target not running"}}}}"#
        )
    };
    let input = [
        link("b", "incoming-handler", 1),
        link("c", "incoming-handler", 2),
        link("b", "outgoing-handler", 3),
        link("b", "incoming-handler", 4),
    ]
    .join("\n");
    let (status, stdout, stderr) =
        run_with_stdin(&["--input", "-", "--color", "never"], input.as_bytes());
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for line in &lines[..3] {
        assert!(line.contains("error=\"link failed"), "{stdout}");
    }
    assert!(
        lines[3].contains("a → b  same error again (×2, over 3s)"),
        "{stdout}"
    );
}
