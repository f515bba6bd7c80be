//! `--since` / `--last`: replay from a real JetStream stream, then live, with nothing lost or
//! shown twice at the seam.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream;
use support::*;

/// A nats-server with JetStream, storing in a folder of its own.
fn jetstream_server() -> (NatsServer, TestDir) {
    let store = temp_dir("jetstream");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    (server, store)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The stream wadm creates: every lattice's events, 70 s of history.
fn create_wadm_stream(url: &str) {
    block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        jetstream::new(client)
            .create_stream(jetstream::stream::Config {
                name: "wasmbus_events".to_owned(),
                subjects: vec!["wasmbus.evt.*.>".to_owned()],
                max_age: Duration::from_secs(70),
                ..Default::default()
            })
            .await
            .unwrap();
    });
}

fn consumers(url: &str) -> usize {
    block_on(async {
        use futures_util::StreamExt;
        let client = async_nats::connect(url).await.unwrap();
        let stream = jetstream::new(client)
            .get_stream("wasmbus_events")
            .await
            .unwrap();
        stream.consumer_names().count().await
    })
}

/// A `config_set` with its own id, on lattice `lattice`.
fn numbered(n: usize) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"event-{n:04}","type":"com.wasmcloud.lattice.config_set","source":"NHOST","time":"2026-11-24T10:00:00Z","data":{{"config_name":"c{n}"}}}}"#
    )
}

/// A JetStream server with the events' stream and wadm's two, and a publisher.
fn wadm_history_server() -> (NatsServer, TestDir, Publisher) {
    let (server, store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    publisher.create_wadm_streams();
    (server, store, publisher)
}

/// The stdout lines up to and with the first that `is_marker` (a live marker ends a replay).
fn lines_through(latwatch: &Latwatch, is_marker: impl Fn(&str) -> bool) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = latwatch
            .next_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no marker; lines:\n{}", lines.join("")));
        let line = String::from_utf8(line).unwrap();
        if lines.len() > 100 {
            panic!("too many lines:\n{}", lines.join(""));
        }
        let marker = is_marker(&line);
        lines.push(line);
        if marker {
            return lines;
        }
    }
}

fn ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Events published before, during and after latwatch starts: each shown exactly once, in order.
#[test]
fn since_replays_then_goes_live_without_gap_or_duplicate() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let url = server.url();
    const TOTAL: usize = 400;
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let publishing = std::thread::spawn(move || {
        let publisher = Publisher::connect(&url);
        for n in 0..TOTAL {
            publisher.publish("wasmbus.evt.default.config_set", numbered(n));
            if n == 150 {
                started_tx.send(()).unwrap();
            }
            std::thread::sleep(Duration::from_millis(3));
        }
    });
    started_rx.recv().unwrap();
    let latwatch = Latwatch::listening(&server, &["--since", "1m", "--json"]);
    publishing.join().unwrap();
    let lines = latwatch.lines(TOTAL, Duration::from_secs(20));
    let expected: Vec<String> = (0..TOTAL).map(|n| format!("event-{n:04}")).collect();
    assert_eq!(ids(&lines), expected, "stderr:\n{}", latwatch.stderr());
    assert!(
        latwatch.next_line(Duration::from_millis(500)).is_none(),
        "an event was shown twice"
    );
    let stderr = latwatch.stderr();
    assert!(stderr.contains("stored events (since "), "{stderr}");
    assert!(
        stderr.contains("from stream wasmbus_events; now live"),
        "{stderr}"
    );
    assert_eq!(
        consumers(&server.url()),
        0,
        "the replay consumer was left behind"
    );
}

/// `--last N` shows the last N of this lattice (another lattice's events in the same stream do
/// not count), then live ones.
#[test]
fn last_n_replays_the_newest_of_this_lattice() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    for n in 0..10 {
        publisher.publish("wasmbus.evt.default.config_set", numbered(n));
        publisher.publish("wasmbus.evt.other.config_set", numbered(100 + n));
    }
    let latwatch = Latwatch::listening(&server, &["--last", "3", "--json"]);
    let replayed = latwatch.lines(3, Duration::from_secs(10));
    assert_eq!(ids(&replayed), ["event-0007", "event-0008", "event-0009"]);
    latwatch.wait_stderr("now live", Duration::from_secs(10));
    publisher.publish("wasmbus.evt.default.config_set", numbered(10));
    let live = latwatch.lines(1, Duration::from_secs(10));
    assert_eq!(ids(&live), ["event-0010"]);
}

/// Where wadm runs, its stream already takes the events' subjects (the server refuses a second
/// stream on them: "subjects overlap"): the README's stream for more history copies wadm's
/// (`nats stream add lattice_events --source wasmbus_events …`), and `--stream` replays it.
#[test]
fn a_stream_that_copies_wadms_is_replayed_with_stream() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    publisher.create_copy_stream("lattice_events", "wasmbus_events");
    for n in 0..5 {
        publisher.publish_acked("wasmbus.evt.default.config_set", numbered(n).as_bytes());
    }
    // The copy is made by the server, after the acks.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while publisher.stream_messages("lattice_events") < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "the copy never had them"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let latwatch = Latwatch::listening(
        &server,
        &["--last", "5", "--json", "--stream", "lattice_events"],
    );
    let replayed = latwatch.lines(5, Duration::from_secs(10));
    let expected: Vec<String> = (0..5).map(|n| format!("event-{n:04}")).collect();
    assert_eq!(ids(&replayed), expected);
    let stderr = latwatch.wait_stderr("now live", Duration::from_secs(10));
    assert!(stderr.contains("from stream lattice_events"), "{stderr}");
}

/// Several subjects (exact types, here two) are replayed from one stream, matched locally.
#[test]
fn several_subjects_replay_only_theirs() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    for line in FIXTURES_1X.lines() {
        publisher.publish_event("default", line);
    }
    let latwatch = Latwatch::listening(
        &server,
        &["--since", "1m", "-t", "host_started,host_stopped", "--json"],
    );
    latwatch.wait_stderr("now live", Duration::from_secs(10));
    let expected = FIXTURES_1X
        .lines()
        .filter(|l| matches!(event_name(l).as_str(), "host_started" | "host_stopped"))
        .count();
    let lines = latwatch.lines(expected, Duration::from_secs(10));
    assert!(lines.iter().all(|l| l.contains("host_st")), "{lines:?}");
    assert!(latwatch.next_line(Duration::from_millis(300)).is_none());
}

/// A stored event can end an `--until` wait at once.
#[test]
fn until_is_met_by_history() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("default", fixture("component_scaled"));
    let mut latwatch = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--since",
        "1m",
        "--until-type",
        "component_scaled",
        "--timeout",
        "20s",
    ]);
    let status = latwatch.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
}

/// No stream stores the lattice: exit 1, and the message says how to get one.
#[test]
fn no_stream_says_how_to_create_one() {
    let (server, _store) = jetstream_server();
    let output = latwatch_command(&["-s", &server.url(), "--since", "5m"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no JetStream stream at")
            && stderr.contains("stores wasmbus.evt.default.>")
            && stderr.contains("nats stream add")
            && stderr.contains("--stream"),
        "{stderr}"
    );
    // Both ways to keep more: a stream on the subjects latwatch reads (with their prefix), and
    // where wadm's stream takes them already, a copy of it.
    let output = latwatch_command(&[
        "-s",
        &server.url(),
        "--since",
        "5m",
        "--subject-prefix",
        "zz",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--subjects 'zz.wasmbus.evt.*.>'")
            && stderr.contains("--source wasmbus_events")
            && stderr.contains("add --stream lattice_events"),
        "{stderr}"
    );
}

/// A server without JetStream: exit 1, naming the fix.
#[test]
fn no_jetstream_says_so() {
    let server = NatsServer::start();
    let output = latwatch_command(&["-s", &server.url(), "--last", "5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JetStream enabled (-js)"), "{stderr}");
}

/// `--stream NAME` that does not exist names it.
#[test]
fn unknown_stream_is_named() {
    let (server, _store) = jetstream_server();
    let output = latwatch_command(&["-s", &server.url(), "--since", "5m", "--stream", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot replay from stream nope") && stderr.contains("nats stream ls"),
        "{stderr}"
    );
    let unique: HashSet<&str> = stderr.lines().collect();
    assert_eq!(unique.len(), stderr.lines().count());
}

/// Issue 21: `--since 70s` against wadm's 70 s stream asks for nothing that is gone: no warning;
/// `--since 5m` against it does warn.
#[test]
fn since_as_long_as_the_stream_keeps_does_not_warn() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let latwatch = Latwatch::listening(&server, &["--since", "70s"]);
    let stderr = latwatch.wait_stderr("now live", Duration::from_secs(10));
    assert!(!stderr.contains("older history is gone"), "{stderr}");
    let longer = Latwatch::listening(&server, &["--since", "5m"]);
    let stderr = longer.wait_stderr("now live", Duration::from_secs(10));
    assert!(
        stderr.contains("stream wasmbus_events keeps events for 1m 10s only"),
        "{stderr}"
    );
}

/// Issue 21: `--last N` is the last N events that pass the filters, as `kubectl logs --tail`
/// and `stern --tail` are read: five failures stored among later, other events are found.
#[test]
fn last_n_counts_the_events_that_pass_the_filters() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    let failures: Vec<(String, String)> = recorded(WADM_BROKEN_APP)
        .into_iter()
        .filter(|(subject, _)| subject.ends_with("component_scale_failed"))
        .collect();
    assert_eq!(failures.len(), 5);
    for (n, (subject, payload)) in failures.iter().enumerate() {
        publisher.publish_acked(subject, payload.as_bytes());
        publisher.publish_acked("wasmbus.evt.default.config_set", numbered(n).as_bytes());
    }
    for n in 10..60 {
        publisher.publish_acked("wasmbus.evt.default.config_set", numbered(n).as_bytes());
    }
    let latwatch = Latwatch::listening(
        &server,
        &[
            "--last",
            "3",
            "-t",
            "*_failed",
            "--no-compress",
            "--color",
            "never",
        ],
    );
    let lines = latwatch.lines(3, Duration::from_secs(10));
    assert!(
        lines.iter().all(|l| l.contains("component_scale_failed")),
        "{lines:?}"
    );
    let stderr = latwatch.wait_stderr("now live", Duration::from_secs(10));
    assert!(
        stderr.contains(
            "showed the last 3 of 5 stored events that pass the filters (--last 3; 60 read)"
        ),
        "{stderr}"
    );
    // Nothing more from history: the next line is the live marker.
    let (subject, marker) = &failures[0];
    let mut marker: serde_json::Value = serde_json::from_str(marker).unwrap();
    marker["id"] = "marker".into();
    marker["data"]["component_id"] = "marker-component".into();
    publisher.publish(subject, marker.to_string().into_bytes());
    let next = latwatch.lines(1, Duration::from_secs(10));
    assert!(next[0].contains("marker-component"), "{next:?}");

    // More asked for than stored: all five, and no warning (the stream was searched whole).
    let all = Latwatch::listening(
        &server,
        &[
            "--last",
            "8",
            "-t",
            "*_failed",
            "--no-compress",
            "--color",
            "never",
        ],
    );
    let lines = all.lines(6, Duration::from_secs(10));
    assert!(lines[5].contains("marker-component"), "{lines:?}");
    let stderr = all.wait_stderr("now live", Duration::from_secs(10));
    assert!(!stderr.contains("not searched"), "{stderr}");

    // Compressed: the oldest failure shown is whole though the ones before it (let go) were
    // the same error; the next is short, the marker (another component) whole.
    let compressed = Latwatch::listening(
        &server,
        &["--last", "3", "-t", "*_failed", "--color", "never"],
    );
    let lines = compressed.lines(3, Duration::from_secs(10));
    assert!(lines[0].contains("error=\""), "{lines:?}");
    assert!(
        lines[1].contains("broken_app-broken  same error again (×5, over 44s)"),
        "{lines:?}"
    );
    assert!(
        lines[2].contains("marker-component") && lines[2].contains("error=\""),
        "{lines:?}"
    );
}

/// A replay tells each application's statuses from its first stored one, as `--input` tells a
/// capture, not as changes from the status read at startup (the newest): no recovery that never
/// happened, and a failure stored alone is shown.
#[test]
fn replayed_statuses_are_told_from_the_first_stored() {
    let (server, _store, publisher) = wadm_history_server();
    let status = |kind: &str, message: &str| {
        format!(
            r#"{{"status":{{"type":"{kind}","message":"{message}"}},"scalers":[],"version":"","components":[]}}"#
        )
    };
    for (kind, message) in [
        ("deployed", ""),
        ("reconciling", "Scaling"),
        ("failed", "failed to fetch component: dns error"),
    ] {
        publisher.publish_acked("wadm.status.default.shop", status(kind, message).as_bytes());
    }
    // The lines before a live marker's (`needle`): the replayed ones.
    let replayed = |args: &[&str], marker: (&str, String), needle: &str| {
        let latwatch = Latwatch::listening(&server, args);
        latwatch.wait_stderr("now live", Duration::from_secs(10));
        publisher.publish(marker.0, marker.1);
        let mut lines = lines_through(&latwatch, |line| line.contains(needle));
        lines.pop();
        lines
    };
    let lines = replayed(
        &["--since", "1m", "--color", "never"],
        (
            "wasmbus.evt.default.config_set",
            fixture("config_set").to_owned(),
        ),
        "config_set",
    );
    assert_eq!(lines.len(), 3, "{}", lines.join(""));
    assert!(
        lines[0].contains("shop  deployed") && !lines[0].contains('→'),
        "{}",
        lines.join("")
    );
    assert!(
        lines[1].contains("shop  deployed → reconciling"),
        "{}",
        lines.join("")
    );
    assert!(
        lines[2].contains("shop  reconciling → failed"),
        "{}",
        lines.join("")
    );
    // The last status stored: the failure alone (the first run's marker is not a status).
    let lines = replayed(
        &["--last", "1", "-t", "app_status", "--color", "never"],
        ("wadm.status.default.marker", status("deployed", "")),
        "marker",
    );
    assert_eq!(lines.len(), 1, "{}", lines.join(""));
    assert!(
        lines[0].contains("shop  reconciling → failed"),
        "{}",
        lines.join("")
    );
    // -o jsonl reads wadm's messages only with --apps: said, not an empty subject.
    let url = server.url();
    let output = latwatch_command(&["-s", &url, "-t", "app_status", "--last", "2", "-o", "jsonl"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing to replay") && stderr.contains("--apps"),
        "{stderr}"
    );
}

/// Issue 21: `--since` tells the application's story too: wadm's deploys (`wadm_events`) and
/// statuses (`wadm_status`) are replayed beside the hosts' events, in the order the server
/// stored them, through the same pipeline (applications tagged, repeated statuses compressed).
#[test]
fn since_replays_wadm_events_and_statuses_in_order() {
    let (server, _store, publisher) = wadm_history_server();
    for (subject, payload) in recorded(WADM_HELLO_APP) {
        publisher.publish_acked(&subject, payload.as_bytes());
    }
    let latwatch = Latwatch::listening(&server, &["--since", "1m", "--color", "never"]);
    let stderr = latwatch.wait_stderr("now live", Duration::from_secs(10));
    assert!(
        stderr.contains("from streams wasmbus_events, wadm_events, wadm_status; now live"),
        "{stderr}"
    );
    // Every replayed line is on stdout before "now live" is said; a live marker ends them.
    publisher.publish_event("default", fixture("config_set"));
    let lines = lines_through(&latwatch, |line| {
        line.contains("config_set") && !line.contains("app=")
    });
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| undated(l).split_whitespace().nth(1).unwrap_or(""))
        .collect();
    let position = |kind: &str, needle: &str| {
        lines
            .iter()
            .position(|l| undated(l).split_whitespace().nth(1) == Some(kind) && l.contains(needle))
            .unwrap_or_else(|| panic!("no {kind} with {needle:?} in:\n{}", lines.join("")))
    };
    let first_deploy = position("manifest_published", "v0.0.1");
    let reconciling = position("app_status", "reconciling");
    // The application's first stored status, not a change from the newest (read at startup).
    assert!(!lines[reconciling].contains('→'), "{}", lines.join(""));
    let config = position("config_set", "app=hello-app");
    let deployed = position("app_status", "reconciling → deployed");
    let second_deploy = position("manifest_published", "v0.0.2");
    let undeployed = position("app_status", "→ undeployed");
    let unpublished = position("manifest_unpublished", "hello-app");
    let stopped = position("provider_stopped", "");
    assert!(
        first_deploy < reconciling
            && reconciling < config
            && config < deployed
            && deployed < second_deploy
            && unpublished < undeployed
            && undeployed < stopped,
        "out of order:\n{}",
        lines.join("")
    );
    // Each of the seven statuses once, none again at the seam with the live subscription.
    let statuses = kinds.iter().filter(|k| **k == "app_status").count();
    assert_eq!(statuses, 7, "{}", lines.join(""));
}

/// `--last N` holds every line history makes, a host's silence found among the stored events
/// included: with `--last 2` the two newest lines show, nothing before them.
#[test]
fn last_n_holds_silences_found_in_history_too() {
    let (server, _store) = jetstream_server();
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    let at = |seconds: u32| format!("2026-11-24T10:{:02}:{:02}Z", seconds / 60, seconds % 60);
    for (n, seconds) in [0u32, 30, 60].into_iter().enumerate() {
        let beat = format!(
            r#"{{"specversion":"1.0","id":"hb-{n}","type":"com.wasmcloud.lattice.host_heartbeat","source":"NHOST","time":"{}","data":{{"host_id":"NHOST","friendly_name":"quiet-host-1","components":[],"providers":[]}}}}"#,
            at(seconds)
        );
        publisher.publish_acked("wasmbus.evt.default.host_heartbeat", beat.as_bytes());
    }
    // Long after the last heartbeat: the host is found silent while these are read.
    for n in 0..4u32 {
        let event = format!(
            r#"{{"specversion":"1.0","id":"late-{n}","type":"com.wasmcloud.lattice.config_set","source":"NOTHER","time":"{}","data":{{"config_name":"late{n}"}}}}"#,
            at(600 + n)
        );
        publisher.publish_acked("wasmbus.evt.default.config_set", event.as_bytes());
    }
    let latwatch = Latwatch::listening(&server, &["--last", "2", "--color", "never"]);
    let lines = latwatch.lines(2, Duration::from_secs(10));
    assert!(
        lines[0].contains("late2") && lines[1].contains("late3"),
        "{lines:?}"
    );
    latwatch.wait_stderr("now live", Duration::from_secs(10));
    publisher.publish("wasmbus.evt.default.config_set", numbered(99).into_bytes());
    let next = latwatch.lines(1, Duration::from_secs(10));
    assert!(next[0].contains("c99"), "{next:?}");
}

/// Stores `n` events, enough that their `--json` lines (about 200 bytes each) are far more than
/// a pipe holds: a replay of them is still writing when its stdout closes or stops taking.
fn store_many(server: &NatsServer, n: usize) {
    create_wadm_stream(&server.url());
    let publisher = Publisher::connect(&server.url());
    publisher.publish_stored_burst(
        "wasmbus.evt.default.config_set",
        (0..n).map(|n| numbered(n).into_bytes()),
    );
}

/// Waits until the replay has made its consumer (it is on the server).
fn wait_for_consumer(server: &NatsServer, latwatch: &Latwatch) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while consumers(&server.url()) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replay made no consumer; stderr:\n{}",
            latwatch.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `latwatch --since 1m | head -1`: stdout closes in the middle of the replay, latwatch ends
/// (exit 0), and its replay consumer is gone from the server by the time it has exited, not
/// 30 s later when the server would drop it.
#[test]
fn since_cut_short_by_a_closed_stdout_leaves_no_consumer() {
    let (server, _store) = jetstream_server();
    store_many(&server, 3000);
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "--since",
        "1m",
        "--json",
    ]));
    {
        use std::io::BufRead as _;
        let mut stdout = std::io::BufReader::new(latwatch.take_stdout());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(first.contains("event-0000"), "{first}");
        // Dropped here: the read end closes, as when `head -1` exits.
    }
    let status = latwatch.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", latwatch.stderr());
    assert_eq!(
        consumers(&server.url()),
        0,
        "the replay consumer was left behind; stderr:\n{}",
        latwatch.stderr()
    );
}

/// Ctrl-C while stdout takes nothing (a paused pager): the main thread is stuck writing, so the
/// signal watcher ends the process itself, and the replay consumer is deleted before it does.
#[test]
fn since_interrupted_with_stdout_stuck_leaves_no_consumer() {
    let (server, _store) = jetstream_server();
    store_many(&server, 3000);
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "--since",
        "1m",
        "--json",
    ]));
    wait_for_consumer(&server, &latwatch);
    // Nobody reads stdout: the replay fills the pipe and blocks in a write.
    std::thread::sleep(Duration::from_millis(300));
    latwatch.signal("INT");
    latwatch.wait_exit(Duration::from_secs(10));
    assert!(
        latwatch.stderr().contains("stdout has taken nothing"),
        "{}",
        latwatch.stderr()
    );
    assert_eq!(
        consumers(&server.url()),
        0,
        "the replay consumer was left behind; stderr:\n{}",
        latwatch.stderr()
    );
}
