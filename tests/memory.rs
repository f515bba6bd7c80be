//! Lattice memory, live: names learned from the stream, heartbeat diffs, silent hosts and their
//! return, the silence hint, the summary table and jsonl's derived facts.

mod support;

use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Until a host's name is known its key is shown; after `host_started`, its name.
#[test]
fn names_are_learned_from_the_stream() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("default", fixture("component_scaled"));
    publisher.publish_event("default", fixture("host_started"));
    publisher.publish_event("default", fixture("component_scaled"));
    let lines = latwatch.lines(3, WAIT);
    assert!(lines[0].contains("NV3CJL…2H2UK"), "{}", lines[0]);
    assert!(lines[2].contains("frosty-field-3519"), "{}", lines[2]);
    assert!(!lines[2].contains("NV3CJL…2H2UK"), "{}", lines[2]);
}

/// Unchanged heartbeats print nothing; a change prints what changed; `--heartbeats` prints all.
#[test]
fn heartbeats_print_only_what_changed() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let every = Latwatch::listening(&server, &["--color", "never", "--heartbeats"]);
    let publisher = Publisher::connect(&server.url());
    let beat = fixture("host_heartbeat");
    let rescaled = beat.replace(r#""max_instances":100"#, r#""max_instances":8"#);
    assert_ne!(beat, rescaled);
    for payload in [beat, beat, beat, rescaled.as_str()] {
        publisher.publish_event("default", payload);
    }
    publisher.publish_event("default", fixture("host_stopped"));
    let lines = latwatch.lines(3, WAIT);
    assert!(
        lines[0].contains("1 component (100 instances), 1 provider"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("rust_hello_world-http_component 100→8"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("host_stopped"), "{}", lines[2]);
    assert_eq!(every.lines(5, WAIT).len(), 5);
}

/// A host that stops heartbeating (here every second) gets one `host_silent` line after 2.5
/// intervals; its next heartbeat says it is back.
#[test]
fn silent_hosts_are_reported_and_come_back() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let publisher = Publisher::connect(&server.url());
    let beat = fixture("host_heartbeat");
    for _ in 0..3 {
        publisher.publish_event("default", beat);
        std::thread::sleep(Duration::from_secs(1));
    }
    // Silent after 5 s (2.5 learned intervals, never less than 5 s), not after the 75 s an
    // unlearned 30 s interval would give: `lines` fails past 30 s, a bound far from both that
    // holds on a loaded machine.
    let lines = latwatch.lines(2, Duration::from_secs(30));
    assert!(lines[0].contains("host_heartbeat"), "{}", lines[0]);
    assert!(
        lines[1].contains("host_silent") && lines[1].contains("frosty-field-3519  silent for"),
        "{}",
        lines[1]
    );
    // Reported once: the next line is the host coming back, not a second `host_silent`.
    publisher.publish_event("default", beat);
    let back = &latwatch.lines(1, WAIT)[0];
    assert!(back.contains("back after"), "{back}");
}

/// Nothing on the lattice asked for: after `--silence-hint` seconds latwatch explains and names
/// the lattices that do have traffic.
#[test]
fn silence_is_explained() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["--lattice", "wrong", "--silence-hint", "1"]);
    let publisher = Publisher::connect(&server.url());
    let deadline = Instant::now() + Duration::from_secs(12);
    while !latwatch.stderr().contains("nothing received") && Instant::now() < deadline {
        publisher.publish_event("prod", fixture("host_heartbeat"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("nothing received on wasmbus.evt.wrong.>"),
        "{stderr}"
    );
    assert!(stderr.contains("heartbeats every 30s"), "{stderr}");
    assert!(
        stderr.contains("lattices with events on this server: prod"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("dropped"),
        "the look is not a loss: {stderr}"
    );
}

/// A wasmCloud 2 deployment publishes no lattice events, only its hosts' heartbeats: latwatch
/// watches those (issue 22), so a v2 deployment is not silence and the hint never blames the server
/// or the lattice name; the run ends by `--idle-timeout` after the hint (3 s) and its look at
/// every lattice (5 s). (`tests/v2.rs` runs the control that does warn.)
#[test]
fn wasmcloud_2_heartbeats_are_watched_not_silence() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::listening(
        &server,
        &[
            "--silence-hint",
            "3",
            "--idle-timeout",
            "12s",
            "--color",
            "never",
        ],
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish(
        "runtime.operator.heartbeat.5f0c2a1e-8d4b-4c3e-9a7f-1b2c3d4e5f60",
        r#"{"hostId":"5f0c2a1e","hostname":"washlet-0","version":"2.0.0"}"#,
    );
    let line = &latwatch.lines(1, Duration::from_secs(10))[0];
    assert!(
        line.contains("v2_host_heartbeat") && line.contains("host=washlet-0 v2.0.0"),
        "{line}"
    );
    assert_eq!(latwatch.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let stderr = latwatch.stderr();
    assert!(!stderr.contains("nothing received"), "{stderr}");
    assert!(!stderr.contains("wrong server or lattice"), "{stderr}");
}

/// `--summary` at the end of input: counts per kind and per host (by name), hosts, failures.
#[test]
fn summary_table() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lattice-capture.jsonl"
    );
    let output = latwatch_command(&["--input", example, "--summary", "-q"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("summary: 26 received, 22 shown"),
        "{stderr}"
    );
    assert!(stderr.contains("4 repeats hidden"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("host_heartbeat ") && l.ends_with(" 6")),
        "{stderr}"
    );
    assert!(stderr.contains("hosts: 2 seen"), "{stderr}");
    assert!(stderr.contains("failures: 4"), "{stderr}");
    assert!(stderr.contains("frosty-field-3519"), "{stderr}");
    assert!(stderr.contains("quiet-meadow-1207"), "{stderr}");
}

/// `-o jsonl` keeps the event verbatim and adds what latwatch learned in one field.
#[test]
fn jsonl_carries_derived_facts() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lattice-capture.jsonl"
    );
    let output = latwatch_command(&["--input", example, "-o", "jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let rescale = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["latwatch"]["changes"][0]["change"] == "rescaled")
        .expect("a record with the rescale");
    assert_eq!(
        rescale["latwatch"]["changes"][0],
        serde_json::json!({"change": "rescaled", "component": "rust_hello_world-http_component",
                           "from": 4, "to": 8, "text": "rust_hello_world-http_component 4→8"})
    );
    assert_eq!(rescale["latwatch"]["host_name"], "frosty-field-3519");
    assert_eq!(
        rescale["event"]["type"],
        "com.wasmcloud.lattice.host_heartbeat"
    );
}

/// Spoofed host ids cannot grow lattice memory: past 10,000 known hosts the least recently heard
/// thousand are forgotten (a host met again is new again: its heartbeat is an inventory), and
/// `--summary` counts them. Counted, not timed: the summary says how many hosts are known.
#[test]
fn spoofed_hosts_are_bounded_and_the_least_recently_heard_go_first() {
    const HOSTS: usize = 10_050;
    const OLD: usize = 1_000;
    let key = |i: usize| format!("NSPOOF{i:050}");
    let beat = |i: usize| {
        format!(
            r#"{{"specversion":"1.0","id":"hb-{i}","type":"com.wasmcloud.lattice.host_heartbeat","source":"{}","datacontenttype":"application/json","time":"2025-08-14T09:12:03Z","data":{{"friendly_name":"spoofed-{i}","labels":{{}},"components":[],"providers":[],"uptime_seconds":1,"version":"1.9.2"}}}}"#,
            key(i)
        )
    };
    let sentinel = format!(
        r#"{{"specversion":"1.0","id":"sentinel","type":"com.wasmcloud.lattice.component_scaled","source":"{}","data":{{"component_id":"sentinel-component","max_instances":1}}}}"#,
        key(OLD)
    );
    let server = NatsServer::start();
    // Shown: the first host, the last of the old ones, the first of the new ones and the sentinel;
    // lattice memory sees every event.
    let shown = format!(
        r#".source == "{}" or .source == "{}" or .source == "{}""#,
        key(0),
        key(OLD - 1),
        key(OLD)
    );
    let latwatch = Latwatch::listening(
        &server,
        &["--color", "never", "--summary", "--filter", &shown],
    );
    let publisher = Publisher::connect(&server.url());
    let subject = "wasmbus.evt.default.host_heartbeat";
    // The old hosts, then, once latwatch has met them all, the rest: later by the clock.
    publisher.publish_burst(subject, (0..OLD).map(|i| beat(i).into_bytes()));
    let old = latwatch.lines(2, WAIT);
    assert!(
        old[1].contains(&format!("spoofed-{}", OLD - 1)),
        "{}",
        old[1]
    );
    std::thread::sleep(Duration::from_millis(50));
    publisher.publish_burst(subject, (OLD..HOSTS).map(|i| beat(i).into_bytes()));
    assert!(latwatch.lines(1, WAIT)[0].contains(&format!("spoofed-{OLD}")));
    // Host 0 was forgotten: met again, its heartbeat is an inventory. Host OLD is still known: its
    // heartbeat changed nothing and is not shown. Then the sentinel.
    publisher.publish(subject, beat(0));
    publisher.publish(subject, beat(OLD));
    publisher.publish("wasmbus.evt.default.component_scaled", sentinel);
    let after = latwatch.lines(2, Duration::from_secs(30));
    assert!(
        after[0].contains("spoofed-0") && after[0].contains("0 components, 0 providers"),
        "{}",
        after[0]
    );
    assert!(after[1].contains("sentinel-component"), "{}", after[1]);

    let mut latwatch = latwatch;
    latwatch.signal("INT");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    let stderr = latwatch.stderr();
    let summary = &stderr[stderr.find("summary:").expect("a summary")..];
    assert!(
        summary.contains(&format!("hosts forgotten: {OLD}")),
        "{}",
        &summary[..summary.len().min(2000)]
    );
    let known: usize = summary
        .split_once(" known")
        .and_then(|(before, _)| before.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("hosts: N seen, N known");
    assert_eq!(
        known,
        HOSTS - OLD + 1,
        "host 0 came back; at most 10,000 are known"
    );
}

/// Issue 20: a host is named from its first event. At startup latwatch asks the control
/// interface which hosts exist (`host.ping`, answered here with the recorded real reply), so a
/// component event before any heartbeat already names `aged-sunset-0616`, not its key.
#[test]
fn hosts_are_named_from_the_first_event() {
    const HOST: &str = "NDWZ6XD7GOIE343PD5PZMS753LNNJ5SGDLEER7SJJOO754CSWM7HBY5A";
    let server = NatsServer::start();
    let _lattice = Responder::start(&server.url(), recorded_replies());
    let latwatch = Latwatch::listening(&server, &["--color", "never"]);
    let stderr = latwatch.wait_stderr("host aged-sunset-0616", WAIT);
    assert!(
        stderr.contains("host aged-sunset-0616  1.9.2  NDWZ6X…HBY5A"),
        "{stderr}"
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        format!(
            r#"{{"specversion":"1.0","id":"s1","type":"com.wasmcloud.lattice.component_scaled","source":"{HOST}","data":{{"component_id":"hello_app-hello","host_id":"{HOST}","max_instances":2}}}}"#
        ),
    );
    let line = &latwatch.lines(1, WAIT)[0];
    assert!(line.contains("aged-sunset-0616"), "{line}");
    assert!(!line.contains("NDWZ6X"), "{line}");
}
