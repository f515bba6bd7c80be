//! Outages told as they were, and filled where the lattice keeps history: a network cut (a TCP
//! proxy between latwatch and the server) with and without a stream, a hung server (SIGSTOP), a
//! latwatch that was itself stopped and cut by the server as a slow consumer, and a 3-node
//! cluster losing the node latwatch is on.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use support::*;

const WAIT: Duration = Duration::from_secs(30);

/// A component_scaled event with its own id.
fn event(id: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","time":"2026-01-01T00:00:00Z","data":{{"component_id":"c","max_instances":1}}}}"#
    )
}

fn publish(publisher: &Publisher, ids: std::ops::Range<usize>) {
    for i in ids {
        publisher.publish(
            "wasmbus.evt.default.component_scaled",
            event(&format!("e{i}")),
        );
    }
}

/// The ids of the events in `-o jsonl` lines, and the gap records.
fn split(lines: &[String]) -> (Vec<String>, Vec<serde_json::Value>) {
    let mut ids = Vec::new();
    let mut gaps = Vec::new();
    for line in lines {
        let record: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        match record.get("gap") {
            Some(gap) => gaps.push(gap.clone()),
            None => ids.push(record["event"]["id"].as_str().unwrap().to_owned()),
        }
    }
    (ids, gaps)
}

fn time(value: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The network between latwatch and the server is cut for 3 s while events are published; the
/// server keeps them in a stream (as wadm's wasmbus_events does). latwatch reconnects, fills the
/// gap from the stream, and the output has every event exactly once, in order.
#[test]
fn a_cut_is_filled_from_the_stream_exactly_once_in_order() {
    let store = temp_dir("js");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    let publisher = Publisher::connect(&server.url());
    publisher.create_stream("wasmbus_events", &["wasmbus.evt.*.>"]);
    let proxy = Proxy::start(server.port);
    let latwatch = Latwatch::spawn(&["-s", &proxy.url(), "-o", "jsonl"]);
    latwatch.wait_stderr("listening", WAIT);
    publish(&publisher, 0..10);
    let mut lines = latwatch.lines(10, WAIT);

    proxy.cut();
    latwatch.wait_stderr("disconnected from", WAIT);
    for i in 10..30 {
        publish(&publisher, i..i + 1);
        std::thread::sleep(Duration::from_millis(150));
    }
    proxy.restore();
    let stderr = latwatch.wait_stderr("filled from stream wasmbus_events", WAIT);
    assert!(stderr.contains("(20 events)"), "{stderr}");
    publish(&publisher, 30..40);
    // The gap record, 20 filled, 10 live.
    lines.extend(latwatch.lines(31, WAIT));
    let (ids, gaps) = split(&lines);
    let expected: Vec<String> = (0..40).map(|i| format!("e{i}")).collect();
    assert_eq!(
        ids,
        expected,
        "every event once, in order; stderr:\n{}",
        latwatch.stderr()
    );
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["filled"], true);
    assert_eq!(gaps[0]["events"], 20);
    assert_eq!(gaps[0]["reason"], "disconnected");
    assert!(
        latwatch.next_line(Duration::from_millis(500)).is_none(),
        "no duplicate"
    );
}

/// The same cut without a stream: the gap is reported with its real time span (from the last
/// event received, not from when the client noticed), and stderr says why it was not filled.
#[test]
fn a_cut_without_a_stream_is_reported_with_its_real_span() {
    let server = NatsServer::start();
    let proxy = Proxy::start(server.port);
    let latwatch = Latwatch::spawn(&["-s", &proxy.url(), "-o", "jsonl", "--ping-interval", "10m"]);
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    publish(&publisher, 0..1);
    latwatch.lines(1, WAIT);
    let last_event = Utc::now();
    std::thread::sleep(Duration::from_secs(1));
    let cut_at = Utc::now();
    proxy.cut();
    latwatch.wait_stderr("disconnected from", WAIT);
    publish(&publisher, 1..5);
    std::thread::sleep(Duration::from_secs(3));
    let restored_at = Utc::now();
    proxy.restore();
    latwatch.wait_stderr("not filled", WAIT);
    // Said once a round trip proves the subscription is back: before or after the fill's word.
    let stderr = latwatch.wait_stderr(&format!("reconnected to {}", proxy.url()), WAIT);
    let gap: serde_json::Value = serde_json::from_str(&latwatch.lines(1, WAIT)[0]).unwrap();
    let gap = &gap["gap"];
    assert_eq!(gap["filled"], false, "{gap}");
    let (from, to) = (time(&gap["from"]), time(&gap["to"]));
    assert!(
        from <= last_event + chrono::Duration::milliseconds(200),
        "from the last event: {gap}"
    );
    assert!(from < cut_at, "not from when the client noticed: {gap}");
    assert!(to >= restored_at, "{gap}");
    assert!(
        to - from >= chrono::Duration::seconds(4),
        "the whole outage: {gap}"
    );
    assert!(stderr.contains("gap of "), "{stderr}");
}

/// "listening" and "reconnected" are what a script waits for before it publishes: the server has
/// latwatch's subscriptions by then. On a link that holds what latwatch sends for 150 ms (its
/// socket writes finish long before the server reads them), an event published the moment either
/// line appears is shown.
#[test]
fn listening_and_reconnected_hold_on_a_slow_link() {
    let server = NatsServer::start();
    let proxy = Proxy::start_slow(server.port, Duration::from_millis(150));
    let latwatch = Latwatch::spawn(&["-s", &proxy.url(), "-o", "jsonl"]);
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    publish(&publisher, 0..1);
    let (ids, _) = split(&latwatch.lines(1, WAIT));
    assert_eq!(ids, ["e0"], "{}", latwatch.stderr());
    proxy.cut();
    latwatch.wait_stderr("disconnected from", WAIT);
    proxy.restore();
    latwatch.wait_stderr("reconnected to", WAIT);
    publish(&publisher, 1..2);
    // The outage's gap (no stream to fill it), then the event.
    let (ids, gaps) = split(&latwatch.lines(2, WAIT));
    assert_eq!(ids, ["e1"], "{}", latwatch.stderr());
    assert_eq!(gaps.len(), 1);
}

/// A hung server (SIGSTOP: the TCP connection stays open, nothing answers) is noticed within a
/// few pings, not minutes; latwatch names it and reconnects when it answers again.
#[test]
fn a_hung_server_is_noticed_within_seconds() {
    let server = NatsServer::start();
    let latwatch = Latwatch::spawn(&["-s", &server.url(), "--ping-interval", "500ms"]);
    latwatch.wait_stderr("listening", WAIT);
    let stopped = Instant::now();
    signal(server.pid(), "STOP");
    latwatch.wait_stderr(&format!("disconnected from {}", server.url()), WAIT);
    let noticed = stopped.elapsed();
    signal(server.pid(), "CONT");
    latwatch.wait_stderr("reconnected to", WAIT);
    assert!(
        noticed < Duration::from_secs(8),
        "noticed after {noticed:?}"
    );
}

/// latwatch itself is stopped (SIGSTOP) while a flood arrives: the server cuts it as a slow
/// consumer. When it runs again it says it was stopped, that the server most likely cut it for
/// that, and how long events did not flow (the stop, not the 0 s a reconnect takes).
#[test]
fn a_stopped_latwatch_cut_as_a_slow_consumer_says_so() {
    let dir = temp_dir("slow-consumer");
    let config = dir.join("server.conf");
    std::fs::write(&config, "write_deadline: \"500ms\"\nmax_pending: 8MB\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let latwatch = Latwatch::spawn(&["-s", &server.url(), "--json", "-q"]);
    std::thread::sleep(Duration::from_millis(500));
    let publisher = Publisher::connect(&server.url());
    publish(&publisher, 0..1);
    latwatch.next_line(WAIT).expect("the first event");
    signal(latwatch.pid(), "STOP");
    let payload = event("flood").replace(
        r#""data":{"#,
        &format!(r#""data":{{"padding":"{}","#, "x".repeat(8192)),
    );
    publisher.publish_burst(
        "wasmbus.evt.default.component_scaled",
        (0..20_000).map(|_| payload.clone().into_bytes()),
    );
    std::thread::sleep(Duration::from_secs(4));
    signal(latwatch.pid(), "CONT");
    let stderr = latwatch.wait_stderr("events did not flow for", WAIT);
    assert!(stderr.contains("stopped or starved for"), "{stderr}");
    assert!(stderr.contains("slow consumer"), "{stderr}");
    let seconds: f64 = stderr
        .split("events did not flow for ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no length in: {stderr}"));
    assert!(seconds >= 3.0, "the outage lasted the stop: {stderr}");
    drop(latwatch);
}

/// Three nodes on loopback; latwatch is given all three URLs. The node it is on dies: it says
/// which, moves to another, says which, and every event published after the reconnect arrives.
#[test]
fn a_cluster_node_dies_and_latwatch_moves_on() {
    let cluster_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let routes = cluster_ports
        .iter()
        .map(|p| format!("nats://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut nodes: Vec<NatsServer> = cluster_ports
        .iter()
        .map(|port| {
            NatsServer::start_with(&[
                "--cluster_name",
                "latwatch",
                "--cluster",
                &format!("nats://127.0.0.1:{port}"),
                "--routes",
                &routes,
            ])
        })
        .collect();
    let urls: Vec<String> = nodes.iter().map(NatsServer::url).collect();
    let latwatch = Latwatch::spawn(&["-s", &urls.join(","), "--json"]);
    let stderr = latwatch.wait_stderr("listening", WAIT);
    let on = urls
        .iter()
        .position(|url| stderr.contains(&format!("at {url}\n")))
        .unwrap_or_else(|| panic!("the listening line names one node: {stderr}"));
    let other = (on + 1) % 3;
    let publisher = Publisher::connect(&urls[other]);
    // Routes take a moment: probe until an event crosses from the publisher's node.
    let deadline = Instant::now() + WAIT;
    loop {
        publisher.publish("wasmbus.evt.default.component_scaled", event("probe"));
        if latwatch.next_line(Duration::from_millis(200)).is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the cluster never formed");
    }
    while latwatch.next_line(Duration::from_millis(300)).is_some() {}

    nodes[on].stop();
    latwatch.wait_stderr(&format!("disconnected from {}", urls[on]), WAIT);
    let stderr = latwatch.wait_stderr("reconnected to", WAIT);
    let moved_to = urls
        .iter()
        .position(|url| stderr.contains(&format!("reconnected to {url};")))
        .unwrap_or_else(|| panic!("the reconnect names a node: {stderr}"));
    assert_ne!(moved_to, on, "{stderr}");
    publish(&publisher, 0..20);
    let lines = latwatch.lines(20, WAIT);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(value["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    for i in 0..20 {
        assert_eq!(seen.get(&format!("e{i}")), Some(&1), "e{i}: {lines:?}");
    }
}

/// stdout stalls past a small buffer while the lattice's stream keeps every event: the drops are
/// filled from the stream when output moves again, and every event appears exactly once, in order.
#[test]
fn drops_past_the_buffer_are_filled_from_the_stream() {
    let store = temp_dir("js-drops");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    let publisher = Publisher::connect(&server.url());
    publisher.create_stream("wasmbus_events", &["wasmbus.evt.*.>"]);
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "-o",
        "jsonl",
        "--buffer",
        "1MiB",
    ]));
    latwatch.wait_stderr("listening", WAIT);
    const N: usize = 6_000;
    // In chunks, so the stream stores every event (a flat-out burst can outrun its ingest).
    for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
        publisher.publish_burst(
            "wasmbus.evt.default.component_scaled",
            chunk.iter().map(|i| event(&format!("e{i}")).into_bytes()),
        );
    }
    latwatch.wait_stderr("buffer is full", WAIT);
    latwatch.resume_stdout();
    std::thread::sleep(Duration::from_secs(1));
    publish(&publisher, N..N + 1);
    latwatch.wait_stderr("filled from stream wasmbus_events", WAIT);
    let mut lines = Vec::new();
    while let Some(line) = latwatch.next_line(Duration::from_secs(2)) {
        lines.push(String::from_utf8(line).unwrap());
    }
    let (ids, gaps) = split(&lines);
    let expected: Vec<String> = (0..=N).map(|i| format!("e{i}")).collect();
    assert!(!gaps.is_empty());
    assert!(
        gaps.iter()
            .all(|g| g["reason"] == "dropped" && g["filled"] == true),
        "{gaps:?}"
    );
    assert_eq!(ids.len(), expected.len(), "stderr:\n{}", latwatch.stderr());
    assert_eq!(ids, expected, "every event once, in order");
}
