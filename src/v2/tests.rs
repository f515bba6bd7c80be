//! The v2 decoders against a real recording (`tests/fixtures/v2-hosts-workloads.jsonl`: two
//! `wash host` 2.10.3 hosts and the operator's requests), the redaction contract, and hostile
//! input.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::*;

const FIXTURE: &str = include_str!("../../tests/fixtures/v2-hosts-workloads.jsonl");
const HOST_A: &str = "01a23608-a255-7980-98a3-97c727c3d665";
const HOST_B: &str = "01a23608-ae16-79a1-b203-ca48d3aa7f44";
const HELLO: &str = "300efa2a-9868-456b-94af-ee4855772109";
const GHOST: &str = "81fc2cce-9b43-4206-a4cb-4a7c3ec755f1";
const GHOST_ERROR: &str = "failed to pull image for component 'ghost': failed to pull component \
    from 127.0.0.1:14402/lab/does-not-exist:0.0.1: Registry error: url \
    http://127.0.0.1:14402/v2/lab/does-not-exist/manifests/0.0.1, envelope: OCI API errors: \
    [OCI API error: manifest unknown]";

/// One recorded message: (subject, reply subject, payload).
struct Line {
    subject: String,
    reply: Option<String>,
    payload: String,
}

fn fixture() -> Vec<Line> {
    FIXTURE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Line {
                subject: v["subject"].as_str().unwrap().to_owned(),
                reply: v["reply"].as_str().map(str::to_owned),
                payload: v["payload"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

/// Everything decoded from the recording, in order, as the watcher would see it.
#[derive(Debug, PartialEq)]
enum Seen {
    Beat(HostBeat),
    HeartbeatRequest(String),
    Start(String, StartRequest),
    Status(String, String),
    Stop(String, String),
    HeartbeatReply(HostBeat),
    Reply(StatusReply),
}

fn decode_fixture() -> Vec<Seen> {
    // Reply subject → the request command it answers.
    let mut pending: HashMap<String, Command<'static>> = HashMap::new();
    let mut seen = Vec::new();
    for (i, line) in fixture().iter().enumerate() {
        let at = format!("fixture line {}", i + 1);
        let payload = line.payload.as_bytes();
        match classify(&line.subject).unwrap_or_else(|| panic!("{at}: unclassified")) {
            V2Subject::Heartbeat { host_id } => {
                let beat = parse_heartbeat(payload).expect(&at);
                assert_eq!(beat.id, host_id, "{at}");
                assert!(line.reply.is_none(), "{at}");
                seen.push(Seen::Beat(beat));
            }
            V2Subject::Request { host_id, command } => {
                let reply = line.reply.clone().expect(&at);
                let owned = match command {
                    Command::Heartbeat => {
                        assert_eq!(line.payload, "{}", "{at}");
                        seen.push(Seen::HeartbeatRequest(host_id.to_owned()));
                        Command::Heartbeat
                    }
                    Command::WorkloadStart => {
                        let start = parse_start(payload).expect(&at);
                        seen.push(Seen::Start(host_id.to_owned(), start));
                        Command::WorkloadStart
                    }
                    Command::WorkloadStatus => {
                        let id = parse_workload_id(payload).expect(&at);
                        seen.push(Seen::Status(host_id.to_owned(), id));
                        Command::WorkloadStatus
                    }
                    Command::WorkloadStop => {
                        let id = parse_workload_id(payload).expect(&at);
                        seen.push(Seen::Stop(host_id.to_owned(), id));
                        Command::WorkloadStop
                    }
                    Command::Other(c) => panic!("{at}: unexpected command {c}"),
                };
                pending.insert(reply, owned);
            }
            V2Subject::Inbox => match pending.remove(&line.subject).expect(&at) {
                Command::Heartbeat => {
                    seen.push(Seen::HeartbeatReply(parse_heartbeat(payload).expect(&at)))
                }
                _ => seen.push(Seen::Reply(parse_reply(payload).expect(&at))),
            },
        }
    }
    assert!(pending.is_empty(), "unanswered: {:?}", pending.keys());
    seen
}

fn host_a(cpu: f64, free: u64, components: u64, workloads: u64) -> HostBeat {
    HostBeat {
        id: HOST_A.into(),
        hostname: "lab-a".into(),
        friendly_name: "cheerful-crown-5011".into(),
        version: "2.10.3".into(),
        hostgroup: Some("default".into()),
        environment: None,
        started_at: time("2026-12-02T09:14:25.237768903+00:00"),
        http_port: Some(14410),
        component_count: components,
        workload_count: workloads,
        os_arch: "x86_64".into(),
        os_name: "linux".into(),
        system_cpu_usage: Some(cpu),
        system_memory_total: Some(25_275_973_632),
        system_memory_free: Some(free),
    }
}

fn host_b(cpu: f64, free: u64, components: u64, workloads: u64) -> HostBeat {
    HostBeat {
        id: HOST_B.into(),
        hostname: "lab-b".into(),
        friendly_name: "wiry-earthquake-9592".into(),
        version: "2.10.3".into(),
        hostgroup: Some("edge".into()),
        environment: Some("tenant-b".into()),
        started_at: time("2026-12-02T09:14:28.246832502+00:00"),
        http_port: Some(14411),
        component_count: components,
        workload_count: workloads,
        os_arch: "x86_64".into(),
        os_name: "linux".into(),
        system_cpu_usage: Some(cpu),
        system_memory_total: Some(25_275_973_632),
        system_memory_free: Some(free),
    }
}

fn reply(id: &str, state: WorkloadState, message: Option<&str>) -> Seen {
    Seen::Reply(StatusReply {
        workload_id: id.into(),
        state,
        message: message.map(str::to_owned),
    })
}

fn annotations(deployment: &str) -> std::collections::BTreeMap<String, String> {
    [
        ("runtime.wasmcloud.dev/workload-deployment", deployment),
        ("lab", "v2-session-4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[test]
fn fixture_every_message_classifies_and_parses() {
    use WorkloadState::*;
    let a = || HOST_A.to_owned();
    let want = vec![
        Seen::Beat(host_a(45.790802, 21_997_629_440, 0, 0)),
        Seen::Beat(host_b(45.88755, 21_867_544_576, 0, 0)),
        Seen::Beat(host_a(99.46667, 21_828_210_688, 0, 0)),
        Seen::Beat(host_b(99.6337, 21_487_415_296, 0, 0)),
        Seen::HeartbeatRequest(a()),
        Seen::HeartbeatReply(host_a(99.846855, 21_452_623_872, 0, 0)),
        Seen::Start(
            a(),
            StartRequest {
                workload_id: HELLO.into(),
                namespace: "default".into(),
                name: "hello-7f9c2-abcde".into(),
                images: vec!["127.0.0.1:14402/lab/hello-plugin:0.1.0".into()],
                annotations: annotations("hello-7f9c2"),
            },
        ),
        reply(HELLO, Running, Some("Workload started successfully")),
        Seen::Status(a(), HELLO.into()),
        reply(HELLO, Running, None),
        Seen::Start(
            a(),
            StartRequest {
                workload_id: GHOST.into(),
                namespace: "default".into(),
                name: "ghost-5d8f7-qwert".into(),
                images: vec!["127.0.0.1:14402/lab/does-not-exist:0.0.1".into()],
                annotations: annotations("ghost-5d8f7"),
            },
        ),
        reply(GHOST, Error, Some(GHOST_ERROR)),
        Seen::Status(a(), GHOST.into()),
        reply(
            GHOST,
            NotFound,
            Some(&format!("Workload not found: {GHOST}")),
        ),
        Seen::Beat(host_a(99.658554, 20_992_331_776, 1, 1)),
        Seen::Beat(host_b(99.599335, 20_989_939_712, 0, 1)),
        Seen::Beat(host_a(99.43314, 20_963_250_176, 1, 1)),
        Seen::Beat(host_b(99.4995, 20_949_413_888, 0, 1)),
        Seen::Stop(a(), HELLO.into()),
        reply(HELLO, Stopping, Some("Workload stopped successfully")),
        Seen::Status(a(), HELLO.into()),
        reply(
            HELLO,
            NotFound,
            Some(&format!("Workload not found: {HELLO}")),
        ),
        Seen::Beat(host_a(99.7, 20_786_597_888, 0, 0)),
    ];
    let got = decode_fixture();
    assert_eq!(got.len(), want.len());
    for (i, (got, want)) in got.iter().zip(&want).enumerate() {
        assert_eq!(got, want, "fixture line {}", i + 1);
    }
}

#[test]
fn fixture_reply_states_and_texts() {
    let seen = decode_fixture();
    let states: Vec<(&str, Option<&str>)> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Reply(r) => Some((r.state.as_str(), r.message.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(
        states.iter().map(|s| s.0).collect::<Vec<_>>(),
        [
            "RUNNING",
            "RUNNING",
            "ERROR",
            "NOT_FOUND",
            "STOPPING",
            "NOT_FOUND"
        ]
    );
    assert_eq!(states[2].1, Some(GHOST_ERROR));
    // The crash-loop key of the failed start.
    let ghost = seen.iter().find_map(|s| match s {
        Seen::Start(_, start) if start.workload_id == GHOST => Some(start.name.as_str()),
        _ => None,
    });
    assert_eq!(ghost.map(replica_prefix), Some("ghost-5d8f7"));
}

#[test]
fn fixture_start_bodies_redact() {
    let starts: Vec<Line> = fixture()
        .into_iter()
        .filter(|l| l.subject.ends_with(".workload.start"))
        .collect();
    assert_eq!(starts.len(), 2);
    // hello: config {"greeting":"hi"}, environment {"MODE":"lab"}.
    let Redacted::Changed(out) = redact_start(starts[0].payload.as_bytes()) else {
        panic!("hello start must change");
    };
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(r#""config":{"greeting":"<redacted>"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""environment":{"MODE":"<redacted>"}"#),
        "{text}"
    );
    assert!(!text.contains("\"hi\""), "{text}");
    assert_eq!(
        parse_start(&out).unwrap(),
        parse_start(starts[0].payload.as_bytes()).unwrap()
    );
    // ghost: nothing secret, no duplicate key.
    assert_eq!(
        redact_start(starts[1].payload.as_bytes()),
        Redacted::Unchanged
    );
}

const SECRETS: [&str; 4] = ["hunter2-SECRET", "robot", "s3cr3t-ENV", "cfg-SECRET"];

fn secret_start(camel: bool) -> String {
    let (lr, ips, ww, wid) = if camel {
        (
            "localResources",
            "imagePullSecret",
            "witWorld",
            "workloadId",
        )
    } else {
        (
            "local_resources",
            "image_pull_secret",
            "wit_world",
            "workload_id",
        )
    };
    format!(
        r#"{{
  "workload": {{
    "namespace": "payments",
    "name": "api-6c4d9-zx8k2",
    "annotations": {{"runtime.wasmcloud.dev/workload-replica-set-generation": "6c4d9"}},
    "service": {{
      "image": "ghcr.io/acme/api-svc:1.2.3",
      "{lr}": {{"environment": {{"DB_PASSWORD": "s3cr3t-ENV"}}, "config": {{"token": "cfg-SECRET"}}}},
      "maxRestarts": "3",
      "{ips}": {{"username": "robot", "password": "hunter2-SECRET"}}
    }},
    "{ww}": {{
      "components": [
        {{
          "image": "ghcr.io/acme/api:1.2.3",
          "{lr}": {{
            "memoryLimitMb": 256,
            "config": {{"token": "cfg-SECRET"}},
            "environment": {{"DB_PASSWORD": "s3cr3t-ENV"}},
            "allowedHosts": ["db.internal"]
          }},
          "{ips}": {{"username": "robot", "password": "hunter2-SECRET"}},
          "name": "api"
        }}
      ],
      "hostInterfaces": [
        {{"namespace": "wasi", "package": "keyvalue", "interfaces": ["store"],
          "config": {{"url": "nats://robot:hunter2-SECRET@kv"}}}}
      ]
    }}
  }},
  "{wid}": "8d0b9a52-1111-4222-8333-944455556666"
}}"#
    )
}

#[test]
fn redact_start_removes_every_secret() {
    for camel in [true, false] {
        let original = secret_start(camel);
        let before = parse_start(original.as_bytes()).unwrap();
        let Redacted::Changed(out) = redact_start(original.as_bytes()) else {
            panic!("must change");
        };
        let text = String::from_utf8(out.clone()).unwrap();
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{secret} leaked (camel {camel}): {text}"
            );
        }
        for kept in [
            "DB_PASSWORD",
            "token",
            "username",
            "password",
            "payments",
            "api-6c4d9-zx8k2",
            "ghcr.io/acme/api-svc:1.2.3",
            "ghcr.io/acme/api:1.2.3",
            "db.internal",
            "keyvalue",
        ] {
            assert!(text.contains(kept), "{kept} lost (camel {camel}): {text}");
        }
        assert!(!text.contains('\n'), "compact output");
        let after = parse_start(&out).unwrap();
        assert_eq!(after, before);
        assert_eq!(
            after.images,
            ["ghcr.io/acme/api-svc:1.2.3", "ghcr.io/acme/api:1.2.3"]
        );
        assert_eq!(after.namespace, "payments");
        // Redacting again finds nothing more to hide.
        assert_eq!(redact_start(&out), Redacted::Unchanged);
    }
}

#[test]
fn parse_start_keeps_no_secret() {
    let start = parse_start(secret_start(true).as_bytes()).unwrap();
    let debug = format!("{start:?}");
    for secret in SECRETS {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

/// `depth` nested arrays, inside `{"imports": …}` when `wrapped`.
fn deep(depth: usize, wrapped: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 * depth + 16);
    if wrapped {
        v.extend_from_slice(br#"{"imports":"#);
    }
    v.extend(std::iter::repeat_n(b'[', depth));
    v.extend(std::iter::repeat_n(b']', depth));
    if wrapped {
        v.push(b'}');
    }
    v
}

fn deep_objects(depth: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..depth {
        v.extend_from_slice(br#"{"config":"#);
    }
    v.extend_from_slice(br#""x""#);
    v.extend(std::iter::repeat_n(b'}', depth));
    v
}

/// Every decoder on one input: none may panic; the results are returned for checks.
fn all_decoders(payload: &[u8]) -> [bool; 4] {
    [
        parse_heartbeat(payload).is_ok(),
        parse_start(payload).is_ok(),
        parse_workload_id(payload).is_ok(),
        parse_reply(payload).is_ok(),
    ]
}

#[test]
fn hostile_not_json_and_invalid_utf8() {
    // [heartbeat, start, workload id, reply]: a decoder fails when it reads the bad part; bytes
    // in a field it skips are not its concern (serde_json skips them unvalidated). Redaction
    // reads everything, so it always gives up.
    const NONE: [bool; 4] = [false; 4];
    for (bad, ok) in [
        (&b"not json at all"[..], NONE),
        (b"\x00\x01\x02", NONE),
        (b"{\"id\":\"unterminated", NONE),
        (b"{\"id\":\"a\"}{\"id\":\"b\"}", NONE),
        (b"\xef\xbb\xbf{}", NONE),
        (b"{\"id\":\"\xff\xfe\"}", [false, true, false, false]),
        (
            b"{\"workloadId\":\"\xc3\x28\"}",
            [true, false, false, false],
        ),
        (
            b"{\"workload\":{\"name\":\"a\xed\xa0\x80b\"}}",
            [true, false, false, false],
        ),
        (
            b"{\"workloadStatus\":{\"message\":\"\\udc00\"}}",
            [true, true, false, false],
        ),
    ] {
        assert_eq!(all_decoders(bad), ok, "{bad:?}");
        assert_eq!(redact_start(bad), Redacted::Unreadable, "{bad:?}");
    }
}

#[test]
fn hostile_deep_nesting() {
    // Past serde_json's depth limit (128) in a field the decoder reads: an error. In a field it
    // skips (`imports`): serde_json skips without recursing, so the message still decodes.
    // Redaction reads everything: unreadable.
    for payload in [deep(10_000, true), deep_objects(10_000)] {
        assert_eq!(all_decoders(&payload), [true, true, false, false]);
    }
    assert_eq!(all_decoders(&deep(10_000, false)), [false; 4]);
    let labels = format!(
        r#"{{"labels":{{"hostgroup":{}}}}}"#,
        String::from_utf8(deep(10_000, false)).unwrap()
    );
    assert!(parse_heartbeat(labels.as_bytes()).is_err());
    let reply = format!(
        r#"{{"workloadStatus":{}}}"#,
        String::from_utf8(deep(10_000, false)).unwrap()
    );
    assert!(parse_reply(reply.as_bytes()).is_err());
    for payload in [
        deep(10_000, true),
        deep(10_000, false),
        deep_objects(10_000),
    ] {
        assert_eq!(redact_start(&payload), Redacted::Unreadable);
    }
    // Within the limit: readable, and the deepest secret is still redacted.
    let payload = deep_objects(120);
    let Redacted::Changed(out) = redact_start(&payload) else {
        panic!("must change");
    };
    assert!(!out.windows(3).any(|w| w == b"\"x\""));
    assert!(parse_heartbeat(&deep(120, true)).is_ok());
}

#[test]
fn hostile_eight_mib_strings() {
    let big = "A".repeat(8 << 20);
    // An 8 MiB value in a skipped field, a kept field and a secret field.
    let beat = format!(r#"{{"imports":["{big}"],"id":"h"}}"#);
    assert_eq!(parse_heartbeat(beat.as_bytes()).unwrap().id, "h");
    let beat = format!(r#"{{"hostname":"{big}"}}"#);
    assert_eq!(
        parse_heartbeat(beat.as_bytes()).unwrap().hostname.len(),
        8 << 20
    );
    let start = format!(
        r#"{{"workload":{{"name":"n","service":{{"localResources":{{"environment":{{"K":"{big}"}}}}}}}}}}"#
    );
    assert_eq!(parse_start(start.as_bytes()).unwrap().name, "n");
    let Redacted::Changed(out) = redact_start(start.as_bytes()) else {
        panic!("must change");
    };
    assert!(out.len() < 200, "{}", out.len());
    // Unterminated, and a number too large for any type.
    let cut = format!(r#"{{"id":"{big}"#);
    assert_eq!(all_decoders(cut.as_bytes()), [false; 4]);
    assert_eq!(redact_start(cut.as_bytes()), Redacted::Unreadable);
    let digits = "9".repeat(8 << 20);
    let count = format!(r#"{{"workloadCount":"{digits}"}}"#);
    let err = parse_heartbeat(count.as_bytes()).unwrap_err();
    assert!(err.starts_with("integer out of range"), "{err}");
    assert!(err.len() < 80);
    let number = format!(r#"{{"workloadCount":{digits}}}"#);
    assert!(parse_heartbeat(number.as_bytes()).is_err());
    assert_eq!(redact_start(number.as_bytes()), Redacted::Unreadable);
}

#[test]
fn hostile_overflowing_numbers() {
    for json in [
        r#"{"workloadCount":"18446744073709551616"}"#,
        r#"{"componentCount":"340282366920938463463374607431768211456"}"#,
        r#"{"systemMemoryTotal":"-1"}"#,
        r#"{"systemMemoryFree":18446744073709551616}"#,
        r#"{"httpPort":"4294967296"}"#,
        r#"{"systemCpuUsage":1e400}"#,
    ] {
        let err = parse_heartbeat(json.as_bytes()).unwrap_err();
        assert!(err.len() < 80, "{json}: {err}");
    }
    assert!(parse_reply(br#"{"workloadStatus":{"workloadState":-1}}"#).is_ok());
    assert!(parse_reply(br#"{"workloadStatus":{"workloadState":1e400}}"#).is_err());
}

#[test]
fn hostile_errors_never_echo_the_payload() {
    let payloads = [
        r#"{"id":{"SECRET":1}}"#,
        r#"{"labels":"SECRET"}"#,
        r#"{"workload":"SECRET"}"#,
        r#"{"workload":{"annotations":{"a":["SECRET"]}}}"#,
        r#"{"workloadId":["SECRET"]}"#,
        r#"{"workloadStatus":"SECRET"}"#,
        r#"{"workloadStatus":{"message":true,"x":"SECRET"}}"#,
        r#"{"startedAt":"SECRET"}"#,
        r#"SECRET"#,
        r#"{"SECRET"}"#,
    ];
    for payload in payloads {
        let b = payload.as_bytes();
        for err in [
            parse_heartbeat(b).err(),
            parse_start(b).err(),
            parse_workload_id(b).err(),
            parse_reply(b).err(),
        ]
        .into_iter()
        .flatten()
        {
            assert!(!err.contains("SECRET"), "{payload}: {err}");
        }
    }
}
