//! Filling gaps from a stream, and what the output and a recording hold around a fill: a fill
//! claims only what the stream still held, catches a drop before anything was shown, supplies
//! each missing message once (ids or not), comes after its gap record, marked, and a recording
//! holds every message once.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use support::*;

const WAIT: Duration = Duration::from_secs(30);

/// A component_scaled event with its own id.
fn event(id: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","time":"2026-01-01T00:00:00Z","data":{{"component_id":"{id}","max_instances":1}}}}"#
    )
}

/// The same without an id: told apart only by its data.
fn idless(n: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","time":"2026-01-01T00:00:00Z","data":{{"component_id":"{n}","max_instances":1}}}}"#
    )
}

const SUBJECT: &str = "wasmbus.evt.default.component_scaled";

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A server with JetStream (and payloads up to 4 MiB) and a stream on every lattice's events that
/// keeps `max_age`.
fn server_with_stream(name: &str, max_age: Duration) -> (NatsServer, TestDir) {
    let store = temp_dir("js-fills");
    let config = store.join("server.conf");
    std::fs::write(&config, "max_payload: 4194304\n").unwrap();
    let server = NatsServer::start_with(&[
        "-c",
        config.to_str().unwrap(),
        "-js",
        "-sd",
        store.join("js").to_str().unwrap(),
    ]);
    let url = server.url();
    block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        jetstream::new(client)
            .create_stream(jetstream::stream::Config {
                name: name.to_owned(),
                subjects: vec!["wasmbus.evt.*.>".to_owned()],
                max_age,
                ..Default::default()
            })
            .await
            .unwrap();
    });
    (server, store)
}

/// A `-o jsonl` line: a gap record or an event record.
enum Line {
    Gap(serde_json::Value),
    Event {
        /// The event's `data.component_id` (each test event has its own).
        name: String,
        filled: bool,
    },
}

fn parse(line: &str) -> Line {
    let record: serde_json::Value = serde_json::from_str(line).expect("jsonl");
    match record.get("gap") {
        Some(gap) => Line::Gap(gap.clone()),
        None => Line::Event {
            name: record["event"]["data"]["component_id"]
                .as_str()
                .expect("a test event")
                .to_owned(),
            filled: record.get("filled") == Some(&serde_json::Value::Bool(true)),
        },
    }
}

/// stdout lines until (and with) the event named `last`.
fn lines_until(latwatch: &Latwatch, last: &str) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(line) = latwatch.next_line(left) else {
            panic!(
                "{last} never came; stderr:\n{}\nlines:\n{}",
                latwatch.stderr(),
                lines.join("")
            );
        };
        let line = String::from_utf8(line).unwrap();
        let done = matches!(parse(&line), Line::Event { ref name, .. } if name == last);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

/// Each event's name, how often it appears.
fn counts<'a>(names: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut counts = HashMap::new();
    for name in names {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

fn time(value: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time"))
        .unwrap()
        .with_timezone(&Utc)
}

/// Item 3: a stream that keeps 4 s, a 10 s cut. The stream no longer holds the gap's start, so
/// the gap record does not say it was filled: it names the window that is gone, stderr names it
/// too and says why, and `events` counts exactly the events the fill supplied.
#[test]
fn a_stream_that_no_longer_holds_the_gap_start_does_not_call_it_filled() {
    let (server, _store) = server_with_stream("short_events", Duration::from_secs(4));
    let publisher = Publisher::connect(&server.url());
    let proxy = Proxy::start(server.port);
    let latwatch = Latwatch::spawn(&["-s", &proxy.url(), "-o", "jsonl"]);
    latwatch.wait_stderr("listening", WAIT);
    publisher.publish(SUBJECT, event("before"));
    lines_until(&latwatch, "before");

    proxy.cut();
    latwatch.wait_stderr("disconnected from", WAIT);
    let cut = Instant::now();
    let mut n = 0;
    while cut.elapsed() < Duration::from_secs(10) {
        publisher.publish(SUBJECT, event(&format!("cut{n}")));
        n += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    proxy.restore();
    // Until latwatch is back, what is published is missing too (and young enough to be held).
    while !latwatch.stderr().contains("reconnected to") {
        assert!(
            cut.elapsed() < Duration::from_secs(60),
            "{}",
            latwatch.stderr()
        );
        publisher.publish(SUBJECT, event(&format!("cut{n}")));
        n += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    let stderr = latwatch.wait_stderr("stream short_events", WAIT);
    publisher.publish(SUBJECT, event("after"));
    let lines = lines_until(&latwatch, "after");

    let parsed: Vec<Line> = lines.iter().map(|l| parse(l)).collect();
    let gaps: Vec<&serde_json::Value> = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Gap(gap) => Some(gap),
            Line::Event { .. } => None,
        })
        .collect();
    assert_eq!(gaps.len(), 1, "{lines:?}");
    let gap = gaps[0];
    assert_ne!(
        gap["filled"], true,
        "the stream lost the gap's start: {gap}"
    );
    assert!(
        gap["filled"] == false || gap["filled"] == "partial",
        "{gap}"
    );
    let missing = &gap["missing"];
    let (from, to) = (time(&missing["from"]), time(&missing["to"]));
    assert_eq!(from, time(&gap["from"]), "{gap}");
    assert!(to > from, "a window is gone: {gap}");
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&chrono::Local)
            .format("%H:%M:%S%.3f")
            .to_string()
    };
    assert!(
        stderr.contains(&format!("{}–{} is lost", local(from), local(to))),
        "stderr names the lost window: {stderr}"
    );
    assert!(
        stderr.contains("stream short_events keeps events for 4s only"),
        "and why: {stderr}"
    );
    let filled: Vec<&str> = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Event { name, filled: true } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        gap["events"],
        filled.len(),
        "events counts what the fill supplied: {gap} {filled:?}"
    );
    assert!(
        filled.len() < n,
        "the stream no longer held them all: {filled:?}"
    );
    let seen = counts(parsed.iter().filter_map(|l| match l {
        Line::Event { name, .. } => Some(name.as_str()),
        Line::Gap(_) => None,
    }));
    assert!(seen.values().all(|&c| c == 1), "each once: {seen:?}");
    assert_eq!(seen.get("after"), Some(&1));
}

/// Item 3: an event dropped before anything was shown (larger than the whole buffer) is filled
/// all the same: the fill finds the very message latwatch dropped, not what was stored after the
/// gap began.
#[test]
fn a_drop_before_anything_was_shown_is_filled() {
    let (server, _store) = server_with_stream("wasmbus_events", Duration::from_secs(70));
    let latwatch = Latwatch::listening(&server, &["-o", "jsonl", "--buffer", "1MiB"]);
    let publisher = Publisher::connect(&server.url());
    // 1.2 MB (the name is there twice): more than the whole buffer, so it is dropped however
    // fast stdout is.
    let big_name = format!("big{}", "x".repeat(600_000));
    let big = event(&big_name);
    publisher.publish(SUBJECT, big);
    publisher.publish(SUBJECT, event("small"));
    latwatch.wait_stderr("filled from stream wasmbus_events", WAIT);
    let lines = lines_until(&latwatch, "small");
    let parsed: Vec<Line> = lines.iter().map(|l| parse(l)).collect();
    assert_eq!(parsed.len(), 3, "{lines:?}");
    let Line::Gap(gap) = &parsed[0] else {
        panic!("the gap first: {lines:?}")
    };
    assert_eq!(gap["reason"], "dropped", "{gap}");
    assert_eq!(gap["lost"], 1, "{gap}");
    assert_eq!(gap["filled"], true, "{gap}");
    assert_eq!(gap["events"], 1, "the dropped event was filled: {gap}");
    assert!(
        matches!(&parsed[1], Line::Event { name, filled: true } if *name == big_name),
        "{lines:?}"
    );
    assert!(
        matches!(&parsed[2], Line::Event { name, filled: false } if name == "small"),
        "{lines:?}"
    );
}

/// A cut while stdout is stalled: latwatch reaches the gap only after events published after the
/// reconnect were stored and delivered live, so a fill that read the stream to its end would
/// supply them a second time. `payload(name)` makes each event. Returns stdout up to the event
/// `end`, published once the fill is done (after any live copies), stderr, and the recording.
fn cut_with_events_after_the_reconnect(
    payload: fn(&str) -> String,
) -> (Vec<String>, String, String) {
    let (server, _store) = server_with_stream("wasmbus_events", Duration::from_secs(70));
    let publisher = Publisher::connect(&server.url());
    let proxy = Proxy::start(server.port);
    let dir = temp_dir("fills-record");
    let record = dir.join("lattice.jsonl");
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &proxy.url(),
        "-o",
        "jsonl",
        "--record",
        record.to_str().unwrap(),
    ]));
    latwatch.wait_stderr("listening", WAIT);
    // More than stdout's pipe takes: the watch loop waits in a write until stdout is read.
    for i in 0..1000 {
        publisher.publish(SUBJECT, payload(&format!("before{i}")));
    }
    wait_recorded(&latwatch, &record, "before999");
    proxy.cut();
    latwatch.wait_stderr("disconnected from", WAIT);
    for i in 0..20 {
        publisher.publish(SUBJECT, payload(&format!("cut{i}")));
    }
    proxy.restore();
    latwatch.wait_stderr("reconnected to", WAIT);
    for i in 0..20 {
        publisher.publish(SUBJECT, payload(&format!("after{i}")));
    }
    // Delivered live meanwhile: the recording has them before the fill starts.
    wait_recorded(&latwatch, &record, "after19");
    latwatch.resume_stdout();
    let stderr = latwatch.wait_stderr("from stream wasmbus_events", WAIT);
    publisher.publish(SUBJECT, payload("end"));
    let lines = lines_until(&latwatch, "end");
    let recorded = std::fs::read_to_string(&record).unwrap();
    (lines, stderr, recorded)
}

/// Waits until the recording holds the event named `name` (latwatch received it).
fn wait_recorded(latwatch: &Latwatch, record: &std::path::Path, name: &str) {
    let needle = format!(r#""component_id":"{name}""#);
    let deadline = Instant::now() + WAIT;
    while !std::fs::read_to_string(record)
        .unwrap_or_default()
        .contains(&needle)
    {
        assert!(Instant::now() < deadline, "{}", latwatch.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every name the test published, in order.
fn published() -> Vec<String> {
    (0..1000)
        .map(|i| format!("before{i}"))
        .chain((0..20).map(|i| format!("cut{i}")))
        .chain((0..20).map(|i| format!("after{i}")))
        .chain(["end".to_owned()])
        .collect()
}

/// Item 9: after a reconnect fill the recording holds every message once: the fill records only
/// what the live subscription did not deliver (the outage), not the events after the reconnect
/// that the recording holds already; and `events` counts only the outage's.
#[test]
fn a_recording_holds_each_message_once_after_a_reconnect_fill() {
    let (lines, stderr, recorded) = cut_with_events_after_the_reconnect(event);
    let recorded: Vec<serde_json::Value> = recorded
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect();
    let names: Vec<&str> = recorded
        .iter()
        .map(|r| r["event"]["data"]["component_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        1041,
        "each message once: {:?}",
        counts(names.iter().copied())
            .into_iter()
            .filter(|(_, c)| *c > 1)
            .collect::<Vec<_>>()
    );
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let mut expected = published();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    // The fill's copies are marked: the outage's events, nothing else.
    let filled: Vec<&str> = recorded
        .iter()
        .filter(|r| r["filled"] == true)
        .map(|r| r["event"]["data"]["component_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        filled,
        (0..20).map(|i| format!("cut{i}")).collect::<Vec<_>>()
    );
    assert!(
        stderr.contains("filled from stream wasmbus_events (20 events)"),
        "{stderr}"
    );
    let shown: Vec<String> = lines
        .iter()
        .filter_map(|l| match parse(l) {
            Line::Event { name, .. } => Some(name),
            Line::Gap(_) => None,
        })
        .collect();
    assert_eq!(shown, published(), "every event once, in order");
}

/// Item 19: in `-o jsonl` the gap record comes where the gap happened, before the events that
/// fill it, and those are marked `"filled": true` (events delivered live are not).
#[test]
fn the_gap_record_comes_before_the_events_that_fill_it() {
    let (lines, _, _) = cut_with_events_after_the_reconnect(event);
    let parsed: Vec<Line> = lines.iter().map(|l| parse(l)).collect();
    let at = parsed
        .iter()
        .position(|l| matches!(l, Line::Gap(_)))
        .expect("a gap record");
    let Line::Gap(gap) = &parsed[at] else {
        unreachable!()
    };
    assert!(
        matches!(&parsed[at - 1], Line::Event { name, filled: false } if name == "before999"),
        "after the last event before the cut: {lines:?}"
    );
    let next: Vec<(String, bool)> = parsed[at + 1..]
        .iter()
        .map(|l| match l {
            Line::Event { name, filled } => (name.clone(), *filled),
            Line::Gap(gap) => panic!("one gap: {gap}"),
        })
        .collect();
    let expected: Vec<(String, bool)> = (0..20)
        .map(|i| (format!("cut{i}"), true))
        .chain((0..20).map(|i| (format!("after{i}"), false)))
        .chain([("end".to_owned(), false)])
        .collect();
    assert_eq!(
        next, expected,
        "the filled events, marked, then the live ones"
    );
    assert_eq!(gap["filled"], true, "{gap}");
    assert_eq!(gap["events"], 20, "{gap}");
}

/// Item 18: events without an id are never shown twice around a fill: the live copies of events
/// the stream also holds are told apart by their bytes.
#[test]
fn events_without_an_id_are_shown_once_around_a_fill() {
    let (lines, _, recorded) = cut_with_events_after_the_reconnect(idless);
    let shown: Vec<String> = lines
        .iter()
        .filter_map(|l| match parse(l) {
            Line::Event { name, .. } => Some(name),
            Line::Gap(_) => None,
        })
        .collect();
    assert_eq!(shown, published(), "every event once, in order");
    assert_eq!(recorded.lines().count(), 1041, "and recorded once");
}

/// Item 9: after drops (a stalled stdout past a small `--buffer`) and their fill, the recording
/// holds every message once: latwatch received the dropped messages and recorded them as they
/// arrived, so the fill records none of them again; stdout shows each once, the filled ones
/// marked.
#[test]
fn a_recording_holds_each_message_once_after_drops_are_filled() {
    let (server, _store) = server_with_stream("wasmbus_events", Duration::from_secs(70));
    let publisher = Publisher::connect(&server.url());
    let dir = temp_dir("fills-drops");
    let record = dir.join("lattice.jsonl");
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "-o",
        "jsonl",
        "--buffer",
        "1MiB",
        "--record",
        record.to_str().unwrap(),
    ]));
    latwatch.wait_stderr("listening", WAIT);
    const N: usize = 6_000;
    // In chunks, so the stream stores every event (a flat-out burst can outrun its ingest).
    for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
        publisher.publish_burst(
            SUBJECT,
            chunk.iter().map(|i| event(&format!("e{i}")).into_bytes()),
        );
    }
    latwatch.wait_stderr("buffer is full", WAIT);
    latwatch.resume_stdout();
    std::thread::sleep(Duration::from_secs(1));
    publisher.publish(SUBJECT, event("last"));
    let lines = lines_until(&latwatch, "last");
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("filled from stream wasmbus_events"),
        "{stderr}"
    );
    let expected: Vec<String> = (0..N)
        .map(|i| format!("e{i}"))
        .chain(["last".to_owned()])
        .collect();
    let recorded = std::fs::read_to_string(&record).unwrap();
    let names: Vec<String> = recorded
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).expect("a record");
            r["event"]["data"]["component_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names.len(), N + 1, "each message once");
    assert_eq!(names, expected, "as they arrived");

    let parsed: Vec<Line> = lines.iter().map(|l| parse(l)).collect();
    let shown: Vec<&str> = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Event { name, .. } => Some(name.as_str()),
            Line::Gap(_) => None,
        })
        .collect();
    assert_eq!(
        shown, expected,
        "every event once, in order; stderr:\n{stderr}"
    );
    let filled = parsed
        .iter()
        .filter(|l| matches!(l, Line::Event { filled: true, .. }))
        .count();
    let lost: u64 = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Gap(gap) => gap["lost"].as_u64(),
            Line::Event { .. } => None,
        })
        .sum();
    assert!(filled > 0);
    assert_eq!(filled as u64, lost, "the dropped ones are the filled ones");
}

/// A recording's gap records and filled marks read back as written: `--input` then `-o jsonl`
/// gives back the same lines.
#[test]
fn recorded_fills_read_back_as_written() {
    let lines = [
        r#"{"gap":{"from":"2026-01-01T00:00:00.000000Z","to":"2026-01-01T00:00:10.000000Z","reason":"dropped","lost":50,"filled":"partial","events":20,"missing":{"from":"2026-01-01T00:00:00.000000Z","to":"2026-01-01T00:00:06.000000Z","events":30}}}"#.to_owned(),
        format!(
            r#"{{"subject":"{SUBJECT}","received":"2026-01-01T00:00:07.000000Z","filled":true,"event":{}}}"#,
            event("e1")
        ),
        format!(
            r#"{{"subject":"{SUBJECT}","received":"2026-01-01T00:00:11.000000Z","event":{}}}"#,
            event("e2")
        ),
    ];
    let input = lines.join("\n") + "\n";
    let (status, stdout, stderr) =
        run_with_stdin(&["--input", "-", "-o", "jsonl"], input.as_bytes());
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    let out: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 3, "{stdout}");
    assert_eq!(stdout.lines().next(), Some(lines[0].as_str()));
    assert_eq!(out[1]["filled"], true, "{}", out[1]);
    assert_eq!(out[1]["event"]["id"], "e1");
    assert_eq!(out[2].get("filled"), None, "{}", out[2]);
}
