//! wasmCloud 2 hosts (issue 22, item 1): the recorded heartbeats of two real `wash host` 2.10.3
//! hosts published to a real nats-server, read into the same lattice state as 1.x hosts.

mod support;

use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(15);

/// The recorded v2 session (`{"received","subject","reply","headers","payload"}` a line).
const V2_SESSION: &str = include_str!("fixtures/v2-hosts-workloads.jsonl");

/// The recorded heartbeats, in order: (subject, payload).
fn heartbeats() -> Vec<(String, String)> {
    recorded(V2_SESSION)
        .into_iter()
        .filter(|(subject, _)| subject.starts_with("runtime.operator.heartbeat."))
        .collect()
}

/// A heartbeat with some fields set anew (`startedAt` to make it a host that just joined, an
/// id to make it another start of the same machine, counts).
fn edited(payload: &str, fields: &[(&str, serde_json::Value)]) -> String {
    let mut value: serde_json::Value = serde_json::from_str(payload).unwrap();
    for (key, new) in fields {
        value[*key] = new.clone();
    }
    value.to_string()
}

fn host_a() -> String {
    heartbeats()[0].1.clone()
}

fn host_b() -> String {
    heartbeats()[1].1.clone()
}

fn subject_of(payload: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(payload).unwrap();
    format!(
        "runtime.operator.heartbeat.{}",
        value["id"].as_str().unwrap()
    )
}

fn publish_beat(publisher: &Publisher, payload: &str) {
    publisher.publish(&subject_of(payload), payload.as_bytes().to_vec());
}

/// The marker that ends a negative case: the next line must be it.
fn marker(publisher: &Publisher) {
    publisher.publish_event("default", fixture("config_set"));
}

/// The next line that is not a host going silent (with a 1 s interval, a loaded machine may let
/// one in).
fn next_not_silent(latwatch: &Latwatch) -> String {
    loop {
        let line = latwatch.lines(1, WAIT).remove(0);
        if !line.contains("host_silent") && !line.contains("host_lost") {
            return line;
        }
    }
}

/// A host that just started joins; one met mid-life is seen, with how long it has run; a
/// heartbeat that changes nothing prints nothing; changed counts print what changed.
#[test]
fn v2_hosts_join_are_seen_and_print_only_changes() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(&server, &["--color", "never", "--utc"]);
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("runtime.operator.heartbeat.>"),
        "listens for v2 heartbeats: {stderr}"
    );
    let now = chrono::Utc::now().to_rfc3339();
    let a = edited(&host_a(), &[("startedAt", now.clone().into())]);
    publish_beat(&publisher, &a);
    let joined = &latwatch.lines(1, WAIT)[0];
    assert!(
        joined.contains("v2_host_heartbeat")
            && joined.contains("cheerful-crown-5011")
            && joined.contains("joined  host=lab-a group=default v2.10.3 http=:14410"),
        "{joined}"
    );
    // Host B started a day before this test: seen, not joined.
    publish_beat(&publisher, &host_b());
    let seen = &latwatch.lines(1, WAIT)[0];
    assert!(
        seen.contains("wiry-earthquake-9592")
            && seen.contains("seen  host=lab-b group=edge env=tenant-b v2.10.3 http=:14411 up ")
            && seen.contains("0 workloads, 0 components"),
        "{seen}"
    );
    // The same heartbeat again prints nothing: the next line is the change that follows it (on
    // the same subscription, so in order).
    publish_beat(&publisher, &a);
    let busier = edited(
        &a,
        &[
            ("workloadCount", "3".into()),
            ("componentCount", "2".into()),
        ],
    );
    publish_beat(&publisher, &busier);
    let counts = &latwatch.lines(1, WAIT)[0];
    assert!(
        counts.contains("cheerful-crown-5011  workloads 0→3 components 0→2"),
        "{counts}"
    );
    // A version change says so.
    let upgraded = edited(&busier, &[("version", "2.11.0".into())]);
    publish_beat(&publisher, &upgraded);
    let version = &latwatch.lines(1, WAIT)[0];
    assert!(version.contains("version 2.10.3→2.11.0"), "{version}");
}

/// Silent after two missed heartbeats, lost after four (here a 1 s interval), back when it
/// heartbeats again; a hostname that returns with a new id restarted.
#[test]
fn v2_hosts_go_silent_get_lost_and_restart() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(
        &server,
        &["--color", "never", "--utc", "--v2-interval", "1s"],
    );
    let busy = edited(&host_a(), &[("workloadCount", "2".into())]);
    publish_beat(&publisher, &busy);
    assert!(latwatch.lines(1, WAIT)[0].contains("seen  host=lab-a"));
    let silent = &latwatch.lines(1, WAIT)[0];
    assert!(
        silent.contains("host_silent") && silent.contains("cheerful-crown-5011"),
        "{silent}"
    );
    let lost = &latwatch.lines(1, WAIT)[0];
    assert!(
        lost.contains("host_lost")
            && lost.contains("cheerful-crown-5011")
            && lost.contains("the operator deletes the host and reschedules its 2 workloads"),
        "{lost}"
    );
    publish_beat(&publisher, &busy);
    let back = &latwatch.lines(1, WAIT)[0];
    assert!(back.contains("back after"), "{back}");

    // A second live host on the same machine (same hostname, started before the first's last
    // heartbeat) is no restart.
    let twin = edited(
        &busy,
        &[
            ("id", "01a2360c-0000-7000-8000-0000000000aa".into()),
            ("friendlyName", "twin-peak-0001".into()),
        ],
    );
    publish_beat(&publisher, &twin);
    let line = next_not_silent(&latwatch);
    assert!(
        line.contains("twin-peak-0001") && !line.contains("restarted"),
        "{line}"
    );
    // The machine restarts: same hostname, a new id and name, started after the last heartbeat.
    let restarted = edited(
        &busy,
        &[
            ("id", "01a2360c-0000-7000-8000-000000000001".into()),
            ("friendlyName", "brave-river-1234".into()),
            ("startedAt", chrono::Utc::now().to_rfc3339().into()),
        ],
    );
    publish_beat(&publisher, &restarted);
    let line = next_not_silent(&latwatch);
    assert!(
        line.contains("brave-river-1234")
            && line.contains("restarted (was 01a23608-a255-7980-98a3-97c727c3d665)"),
        "{line}"
    );
}

/// v2 kinds are rows of the kind table (`-t`), `--host` matches a hostname, and a lattice with
/// both 1.x and v2 hosts shows both.
#[test]
fn v2_heartbeats_filter_like_any_kind_beside_1x_events() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let by_hostname = Latwatch::listening(&server, &["--color", "never", "--host", "lab-b"]);
    let by_kind = Latwatch::listening(&server, &["--color", "never", "-t", "v2_*"]);
    let both = Latwatch::listening(&server, &["--color", "never"]);
    publish_beat(&publisher, &host_a());
    publish_beat(&publisher, &host_b());
    publisher.publish_event("default", fixture("host_started"));
    marker(&publisher);

    let lines = by_hostname.lines(1, WAIT);
    assert!(lines[0].contains("wiry-earthquake-9592"), "{lines:?}");
    let lines = by_kind.lines(2, WAIT);
    assert!(
        lines.iter().all(|l| l.contains("v2_host_heartbeat")),
        "{lines:?}"
    );
    // wasmCloud 2's heartbeats and the events come on different subscriptions, which a loaded
    // machine may hand over in either order.
    let lines = both.lines(4, WAIT);
    for needle in [
        "cheerful-crown-5011",
        "wiry-earthquake-9592",
        "host_started",
        "config_set",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "{needle}: {lines:?}"
        );
    }
    // -t keeps only v2 kinds: the next line is the next v2 change.
    publish_beat(
        &publisher,
        &edited(&host_a(), &[("workloadCount", "1".into())]),
    );
    let next = by_kind.lines(1, WAIT);
    assert!(next[0].contains("workloads 0→1"), "{next:?}");
}

/// `--json` gives a v2 message a CloudEvents-like envelope (one jq program reads both
/// generations); `-o jsonl` carries the message and latwatch's typed facts.
#[test]
fn v2_heartbeats_in_json_and_jsonl() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let json = Latwatch::listening(&server, &["--json"]);
    let jsonl = Latwatch::listening(&server, &["-o", "jsonl"]);
    publish_beat(&publisher, &host_b());

    let line = &json.lines(1, WAIT)[0];
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["type"], "v2_host_heartbeat");
    assert_eq!(value["source"], "01a23608-ae16-79a1-b203-ca48d3aa7f44");
    assert_eq!(
        value["subject"],
        "runtime.operator.heartbeat.01a23608-ae16-79a1-b203-ca48d3aa7f44"
    );
    assert_eq!(value["data"]["hostname"], "lab-b");
    assert!(value["time"].as_str().unwrap().ends_with('Z'));

    let line = &jsonl.lines(1, WAIT)[0];
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["event"]["friendlyName"], "wiry-earthquake-9592");
    let change = &value["latwatch"]["changes"][0];
    assert_eq!(change["change"], "seen", "{value}");
    assert_eq!(change["hostgroup"], "edge");
    assert_eq!(change["environment"], "tenant-b");
    assert_eq!(value["latwatch"]["host_name"], "wiry-earthquake-9592");
}

/// A v2 deployment is not silence: with v2 hosts heartbeating, the silence hint says nothing.
/// The run ends by `--idle-timeout` after the hint (3 s) and its look at every lattice (5 s) are
/// over; a run that hears no heartbeat does warn, so the check can fail.
#[test]
fn v2_heartbeats_are_not_silence() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let args = [
        "--color",
        "never",
        "--silence-hint",
        "3",
        "--idle-timeout",
        "12s",
    ];
    let mut watched = Latwatch::listening(&server, &args);
    publish_beat(&publisher, &host_a());
    assert!(watched.lines(1, WAIT)[0].contains("cheerful-crown-5011"));
    assert_eq!(watched.wait_exit(Duration::from_secs(30)).code(), Some(0));
    let stderr = watched.stderr();
    assert!(stderr.contains("--idle-timeout"), "{stderr}");
    assert!(!stderr.contains("nothing received"), "{stderr}");
    // The control: the same flags, no heartbeat, a warning.
    let control = Latwatch::listening(&server, &args[..4]);
    control.wait_stderr("nothing received", Duration::from_secs(30));
}

/// A recording of a v2 session made by another tool (the operator's requests and the hosts'
/// replies in it) replays with `--input`: heartbeats shown, the request traffic never decoded or
/// shown (a workload start carries secrets).
#[test]
fn a_v2_recording_replays_with_input() {
    let (status, stdout, stderr) = run_with_stdin(
        &["--input", "-", "--color", "never", "--utc"],
        V2_SESSION.as_bytes(),
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(!stdout.contains("invalid"), "{stdout}");
    assert!(!stdout.contains("workloadId"), "{stdout}");
    assert!(
        stdout.lines().next().unwrap().starts_with(
            "2026-12-02 09:14:25.241  v2_host_heartbeat       cheerful-crown-5011  joined"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("cheerful-crown-5011  workloads 0→1 components 0→1"),
        "{stdout}"
    );
}

/// `--hostgroup` and `--environment` (globs) narrow wasmCloud 2 hosts; `--summary` counts them.
#[test]
fn v2_hosts_by_hostgroup_and_environment() {
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--hostgroup",
            "ed*",
            "--summary",
        ],
        V2_SESSION.as_bytes(),
    );
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.lines().all(|l| l.contains("wiry-earthquake-9592")),
        "{stdout}"
    );
    assert!(stdout.contains("joined  host=lab-b"), "{stdout}");
    assert!(
        stderr.contains("wasmCloud 2 hosts (of those known): 2 known"),
        "{stderr}"
    );
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--environment",
            "tenant-b",
        ],
        V2_SESSION.as_bytes(),
    );
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("joined  host=lab-b"), "{stdout}");
    assert!(!stdout.contains("lab-a"), "{stdout}");
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--environment",
            "nowhere",
        ],
        V2_SESSION.as_bytes(),
    );
    assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));
}

/// A recording line naming a v2 request or reply in a form latwatch does not read (the payload
/// as an object, a line that begins elsewhere) is never passed on: a workload start carries
/// secrets.
#[test]
fn v2_requests_in_unread_forms_never_leave() {
    let start = r#"{"workload":{"namespace":"default","name":"x","witWorld":{"components":[{"image":"i","imagePullSecret":{"username":"robot","password":"hunter2-SECRET"}}]}},"workloadId":"w"}"#;
    let lines = [
        format!(
            r#"{{"subject":"runtime.host.h1.workload.start","reply":"_INBOX.a.b","payload":{start}}}"#
        ),
        format!(
            r#"{{"reply":"_INBOX.a.b","subject":"runtime.host.h1.workload.start","payload":{start}}}"#
        ),
        format!(
            r#"{{"received":"2026-12-02T09:14:43Z","subject":"runtime.host.h1.workload.start","event":{start}}}"#
        ),
    ];
    let input = lines.join("\n") + "\n";
    for mode in [&["--json"][..], &["-o", "jsonl"], &["--color", "never"]] {
        let mut args = vec!["--input", "-"];
        args.extend_from_slice(mode);
        let (status, stdout, stderr) = run_with_stdin(&args, input.as_bytes());
        assert!(status.success(), "{stderr}");
        let stdout = String::from_utf8(stdout).unwrap();
        for secret in ["hunter2-SECRET", "robot"] {
            assert!(!stdout.contains(secret), "{mode:?}: {stdout}");
            assert!(!stderr.contains(secret), "{mode:?}: {stderr}");
        }
    }
}
