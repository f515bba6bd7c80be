//! wasmCloud 2 workloads (issue 22, items 2, 3 and 5): the recorded operator requests published
//! to a real nats-server with their reply subjects, a stand-in host answering each with the reply
//! the real host gave, and the real `latwatch --workloads` pairing them.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::*;

const WAIT: Duration = Duration::from_secs(20);

const V2_SESSION: &str = include_str!("fixtures/v2-hosts-workloads.jsonl");
const HOST_A: &str = "01a23608-a255-7980-98a3-97c727c3d665";

/// A line of the recording.
struct Recorded {
    subject: String,
    reply: Option<String>,
    payload: String,
}

fn session() -> Vec<Recorded> {
    V2_SESSION
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            Recorded {
                subject: v["subject"].as_str().unwrap().to_owned(),
                reply: v["reply"].as_str().map(str::to_owned),
                payload: v["payload"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// Each recorded request's reply subject → the host's recorded answer (the operator below asks
/// with the recorded reply subjects).
fn recorded_answers() -> HashMap<String, String> {
    let lines = session();
    let mut answers = HashMap::new();
    for request in lines.iter().filter(|l| l.reply.is_some()) {
        let reply = request.reply.as_deref().unwrap();
        if let Some(answer) = lines.iter().find(|l| l.subject == reply) {
            answers.insert(reply.to_owned(), answer.payload.clone());
        }
    }
    answers
}

/// The recorded requests to host A, in order (subject, reply, body).
fn recorded_requests() -> Vec<(String, String, String)> {
    session()
        .into_iter()
        .filter(|l| l.subject.starts_with("runtime.host.") && l.reply.is_some())
        .map(|l| (l.subject, l.reply.unwrap(), l.payload))
        .collect()
}

/// Host A's recorded heartbeat, started now.
fn heartbeat_a() -> String {
    let beat = session()
        .into_iter()
        .find(|l| l.subject == format!("runtime.operator.heartbeat.{HOST_A}"))
        .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&beat.payload).unwrap();
    value["startedAt"] = chrono::Utc::now().to_rfc3339().into();
    value.to_string()
}

/// A stand-in for host A: heartbeats every `every` until stopped, and answers each request with
/// the real host's recorded answer (a start it was not recorded answering: RUNNING, unless its
/// name says `slow`, which it never answers).
struct Host {
    runtime: Option<tokio::runtime::Runtime>,
    beating: Arc<AtomicBool>,
}

impl Host {
    fn start(url: &str, every: Duration) -> Host {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async_nats::connect(url)).unwrap();
        let mut requests = runtime
            .block_on(client.subscribe(format!("runtime.host.{HOST_A}.>")))
            .unwrap();
        runtime.block_on(client.flush()).unwrap();
        let answers = recorded_answers();
        let answering = client.clone();
        runtime.spawn(async move {
            use futures_util::StreamExt;
            while let Some(request) = requests.next().await {
                let Some(inbox) = request.reply else { continue };
                let body = String::from_utf8_lossy(&request.payload).into_owned();
                let answer = match answers.get(inbox.as_str()) {
                    Some(answer) => answer.clone(),
                    None if request.subject.ends_with(".heartbeat") => heartbeat_a(),
                    None if body.contains("slow-") => continue,
                    None => {
                        let id = serde_json::from_str::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["workloadId"].as_str().map(str::to_owned))
                            .unwrap_or_default();
                        serde_json::to_string_pretty(&serde_json::json!({"workloadStatus": {
                            "workloadId": id,
                            "workloadState": "WORKLOAD_STATE_RUNNING",
                            "message": "Workload started successfully"}}))
                        .unwrap()
                    }
                };
                let _ = answering.publish(inbox, answer.into()).await;
                let _ = answering.flush().await;
            }
        });
        let beating = Arc::new(AtomicBool::new(true));
        let still = beating.clone();
        runtime.spawn(async move {
            let subject = format!("runtime.operator.heartbeat.{HOST_A}");
            while still.load(Ordering::Relaxed) {
                let _ = client.publish(subject.clone(), heartbeat_a().into()).await;
                let _ = client.flush().await;
                tokio::time::sleep(every).await;
            }
        });
        Host {
            runtime: Some(runtime),
            beating,
        }
    }

    /// The host dies: no more heartbeats (it still answers, as a hung host's socket would).
    fn stop_heartbeating(&self) {
        self.beating.store(false, Ordering::Relaxed);
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Waits until latwatch's subscription to host A's requests is `there` (or not).
fn wait_for_subscription(monitor: u16, there: bool) -> Vec<String> {
    let wanted = format!("runtime.host.{HOST_A}.>");
    let deadline = Instant::now() + WAIT;
    loop {
        let subs = latwatch_subscriptions(monitor).concat();
        if subs.contains(&wanted) == there {
            return subs;
        }
        assert!(
            Instant::now() < deadline,
            "latwatch's subscription to {wanted} should be {}: {subs:?}",
            if there { "there" } else { "gone" }
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The next line that is not a host going silent.
fn next_line(latwatch: &Latwatch) -> String {
    loop {
        let line = latwatch.lines(1, WAIT).remove(0);
        if !line.contains("host_silent") {
            return line;
        }
    }
}

/// A start with an image-pull password and secret config and environment values.
fn secret_start() -> String {
    serde_json::json!({
        "workloadId": "5e5e5e5e-0000-4000-8000-000000000001",
        "workload": {
            "namespace": "payments",
            "name": "billing-6c7d8-zzzzz",
            "service": {
                "image": "registry.example/billing:2.0",
                "imagePullSecret": {"username": "robot$puller", "password": "PULL-hunter2-SECRET"},
                "localResources": {"environment": {"DB_PASSWORD": "ENV-s3cr3t-VALUE"}}
            },
            "witWorld": {"components": [{
                "image": "registry.example/billing-api:2.0",
                "localResources": {"config": {"api_key": "CONFIG-k3y-VALUE"}}
            }]}
        }
    })
    .to_string()
}

const SECRETS: [&str; 4] = [
    "PULL-hunter2-SECRET",
    "ENV-s3cr3t-VALUE",
    "CONFIG-k3y-VALUE",
    "robot$puller",
];

/// Every line kind of a workload's life from one session: started (with its images and how long
/// the start took), failed with the host's whole error text, a status poll that confirms the
/// known state printing nothing, a state change, stopped, and a start no host answers; requests
/// to a host are listened to only while it heartbeats (the server's own list of latwatch's
/// subscriptions says so), and a request to a host judged silent fails fast again.
#[test]
fn workloads_started_failed_stopped_unanswered_and_subscriptions_follow_liveness() {
    let monitor = free_port();
    let monitor_arg = monitor.to_string();
    let server = NatsServer::start_with(&["-m", &monitor_arg]);
    let latwatch = Latwatch::listening(
        &server,
        &[
            "--workloads",
            "--color",
            "never",
            "--utc",
            "--v2-interval",
            "1s",
        ],
    );
    assert!(
        latwatch.stderr().contains("_INBOX.>"),
        "{}",
        latwatch.stderr()
    );
    let host = Host::start(&server.url(), Duration::from_millis(300));
    let joined = next_line(&latwatch);
    assert!(joined.contains("cheerful-crown-5011  joined"), "{joined}");
    wait_for_subscription(monitor, true);

    let operator = Publisher::connect(&server.url());
    let requests = recorded_requests();
    // The recorded operator's heartbeat request, then the hello start and its status poll.
    for (subject, reply, body) in &requests[..3] {
        operator.publish_with_reply(subject, reply, body);
    }
    let started = next_line(&latwatch);
    assert!(
        started.contains("v2_workload_started")
            && started.contains("cheerful-crown-5011")
            && started.contains("default/hello-7f9c2-abcde  running in ")
            && started.contains("images=127.0.0.1:14402/lab/hello-plugin:0.1.0"),
        "{started}"
    );
    // The status poll confirmed RUNNING: nothing. The ghost's start fails with the whole text.
    operator.publish_with_reply(&requests[3].0, &requests[3].1, &requests[3].2);
    let failed = next_line(&latwatch);
    assert!(
        failed.contains("v2_workload_failed")
            && failed.contains("default/ghost-5d8f7-qwert  failed to start (ERROR after ")
            && failed.trim_end().ends_with(
                "error: failed to pull image for component 'ghost': failed to pull component \
                 from 127.0.0.1:14402/lab/does-not-exist:0.0.1: Registry error: url \
                 http://127.0.0.1:14402/v2/lab/does-not-exist/manifests/0.0.1, envelope: OCI \
                 API errors: [OCI API error: manifest unknown]"
            ),
        "{failed}"
    );
    // Its status: the host keeps nothing after a failed pull.
    operator.publish_with_reply(&requests[4].0, &requests[4].1, &requests[4].2);
    let state = next_line(&latwatch);
    assert!(
        state.contains("v2_workload_status")
            && state.contains("default/ghost-5d8f7-qwert  ERROR → NOT_FOUND"),
        "{state}"
    );
    // An answer on an inbox nobody asked on is discarded; the stop is the next line.
    operator.publish_with_reply(
        "_INBOX.someone.else",
        "_INBOX.nobody",
        r#"{"workloadStatus":{}}"#,
    );
    operator.publish_with_reply(&requests[5].0, &requests[5].1, &requests[5].2);
    let stopped = next_line(&latwatch);
    assert!(
        stopped.contains("v2_workload_stopped")
            && stopped.contains("default/hello-7f9c2-abcde  stopped"),
        "{stopped}"
    );
    // A start the host never answers: said after four intervals (here 4 s).
    let slow = serde_json::json!({"workloadId": "510w-1",
        "workload": {"namespace": "default", "name": "slow-1a2b3-qqqqq"}})
    .to_string();
    operator.publish_with_reply(
        &format!("runtime.host.{HOST_A}.workload.start"),
        "_INBOX.op.slow",
        &slow,
    );
    let unanswered = next_line(&latwatch);
    assert!(
        unanswered.contains("v2_workload_unanswered")
            && unanswered.contains("default/slow-1a2b3-qqqqq  workload.start unanswered after"),
        "{unanswered}"
    );

    // The host dies: latwatch calls it silent and drops its subscription at once, so the
    // operator's next request fails fast ("no responders") instead of waiting.
    host.stop_heartbeating();
    drop(host);
    let silent = latwatch.lines(1, WAIT).remove(0);
    assert!(silent.contains("host_silent"), "{silent}");
    let subs = wait_for_subscription(monitor, false);
    assert!(subs.contains(&"_INBOX.>".to_owned()), "{subs:?}");
    assert_eq!(
        operator.request(&format!("runtime.host.{HOST_A}.heartbeat"), "{}"),
        Err("NoResponders".to_owned())
    );
}

/// A start's pull password and secret config and environment values leave no trace in any
/// output mode, on stderr, or in a recording, and the recording replays the same lines.
#[test]
fn a_starts_secrets_never_leave_in_any_mode() {
    let monitor = free_port();
    let monitor_arg = monitor.to_string();
    let server = NatsServer::start_with(&["-m", &monitor_arg]);
    let dir = temp_dir("v2-secrets");
    let recording = dir.join("v2.jsonl");
    let recording_arg = recording.to_str().unwrap().to_owned();
    let pretty = Latwatch::listening(
        &server,
        &[
            "--workloads",
            "--color",
            "never",
            "-v",
            "--record",
            &recording_arg,
        ],
    );
    let json = Latwatch::listening(&server, &["--workloads", "--json"]);
    let jsonl = Latwatch::listening(&server, &["--workloads", "-o", "jsonl"]);
    let host = Host::start(&server.url(), Duration::from_millis(500));
    let operator = Publisher::connect(&server.url());
    // All three listen to the host before the start is sent.
    wait_for_listeners(monitor, &format!("runtime.host.{HOST_A}.>"), 3);
    operator.publish_with_reply(
        &format!("runtime.host.{HOST_A}.workload.start"),
        "_INBOX.op.secret",
        secret_start(),
    );
    // Each format's line for the answer: pretty and --json name the kind, -o jsonl the change.
    let started = |latwatch: &Latwatch| {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let line = latwatch.lines(1, WAIT).remove(0);
            let done =
                line.contains("v2_workload_started") || line.contains(r#""change":"started""#);
            seen.push(line);
            if done {
                return seen;
            }
            assert!(Instant::now() < deadline, "{seen:?}");
        }
    };
    let pretty_lines: Vec<String> = Vec::new();
    let mut all = pretty_lines.join("\n");
    all += &started(&pretty).join("\n");
    all += &started(&json).join("\n");
    all += &started(&jsonl).join("\n");
    assert!(all.contains("payments/billing-6c7d8-zzzzz"), "{all}");
    assert!(
        all.contains("<redacted>"),
        "the keys stay, the values go: {all}"
    );
    drop(host);
    let mut pretty = pretty;
    pretty.signal("INT");
    pretty.wait_exit(WAIT);
    all += &pretty.stderr();
    all += &json.stderr();
    all += &jsonl.stderr();
    let recorded = std::fs::read_to_string(&recording).unwrap();
    assert!(recorded.contains("billing-6c7d8-zzzzz"), "{recorded}");
    all += &recorded;
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    // The recording replays: the same start, paired by the recorded reply subject.
    let (status, stdout, stderr) =
        run_with_stdin(&["--input", "-", "--color", "never"], recorded.as_bytes());
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.contains("v2_workload_started")
            && stdout.contains("payments/billing-6c7d8-zzzzz  running in"),
        "{stdout}"
    );
    for secret in SECRETS {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
}

/// After a reconnect, latwatch asks each heartbeating host for its heartbeat and each workload it
/// knows there for its status (read-only requests, paired like the operator's): what changed
/// while it was away.
#[test]
fn after_a_reconnect_it_asks_hosts_and_workloads_where_they_stand() {
    let monitor = free_port();
    let monitor_arg = monitor.to_string();
    let mut server = NatsServer::start_with(&["-m", &monitor_arg]);
    let latwatch = Latwatch::listening(
        &server,
        &[
            "--workloads",
            "-v",
            "--color",
            "never",
            "--v2-interval",
            "5s",
        ],
    );
    let _host = Host::start(&server.url(), Duration::from_millis(300));
    let operator = Publisher::connect(&server.url());
    wait_for_listeners(monitor, &format!("runtime.host.{HOST_A}.>"), 1);
    let start = &recorded_requests()[1];
    operator.publish_with_reply(&start.0, &start.1, &start.2);
    let until = |what: &str| loop {
        let line = latwatch.lines(1, WAIT).remove(0);
        if line.contains(what) {
            return line;
        }
    };
    until("v2_workload_started");
    server.restart();
    let heartbeat = until("v2_request");
    let status = until("workload.status");
    let asked = format!("{heartbeat}\n{status}");
    assert!(
        asked.contains("  heartbeat") && status.contains("default/hello-7f9c2-abcde"),
        "{asked}"
    );
    assert!(!asked.contains("workload.start") && !asked.contains("workload.stop"));
}

/// `--until-workload` on the recorded session: reached (0), a matching workload failed (4, the
/// host's whole error on stderr), never reached by the end of the input (3), a bad value (2); live,
/// `--timeout` (3) says what it still waits for.
#[test]
fn until_workload_reached_failed_and_timed_out() {
    let run = |value: &str| {
        run_with_stdin(
            &[
                "--input",
                "-",
                "--color",
                "never",
                "--until-workload",
                value,
            ],
            V2_SESSION.as_bytes(),
        )
    };
    let (status, stdout, stderr) = run("default/hello-*=running");
    let stdout = String::from_utf8_lossy(&stdout);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.trim_end().ends_with(
        "default/hello-7f9c2-abcde  running in 1.1s  images=127.0.0.1:14402/lab/hello-plugin:0.1.0"
    ), "{stdout}");
    assert!(
        stderr.contains("--until: default/hello-7f9c2-abcde running"),
        "{stderr}"
    );

    let (status, _, stderr) = run("default/ghost-*=running");
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("--until-workload default/ghost-*=running: default/ghost-5d8f7-qwert on cheerful-crown-5011: failed to pull image")
            && stderr.contains("[OCI API error: manifest unknown] (exit 4)"),
        "{stderr}"
    );
    // Both reached (the failure is what one of them waits for): 0.
    let (status, _, stderr) = run("default/hello-*=stopped,default/ghost*=error");
    assert_eq!(status.code(), Some(0), "{stderr}");

    let (status, _, stderr) = run("staging/*=running");
    assert_eq!(status.code(), Some(3), "{stderr}");

    let (status, _, stderr) = run("hello=running");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("give NAMESPACE/NAME=STATE"), "{stderr}");

    let server = NatsServer::start();
    let mut waiting = Latwatch::spawn(&[
        "-s",
        &server.url(),
        "--until-workload",
        "default/hello-*=running",
        "--timeout",
        "1s",
    ]);
    let status = waiting.wait_exit(WAIT);
    assert_eq!(status.code(), Some(3), "{}", waiting.stderr());
    assert!(
        waiting
            .stderr()
            .contains("--until-workload: still waiting for default/hello-*=running"),
        "{}",
        waiting.stderr()
    );
}

/// `--namespace` keeps the workloads of those namespaces only; `--host` finds an answer by the
/// host its request named.
#[test]
fn namespace_and_host_narrow_workload_lines() {
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--namespace",
            "def*",
            "-t",
            "v2_workload_*",
        ],
        V2_SESSION.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines.iter().all(|l| l.contains("default/")), "{stdout}");
    let (_, stdout, _) = run_with_stdin(
        &["--input", "-", "--color", "never", "--namespace", "kube-*"],
        V2_SESSION.as_bytes(),
    );
    assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--host",
            "wiry-*",
            "-t",
            "v2_workload_*",
        ],
        V2_SESSION.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(
        !stdout.contains("v2_workload"),
        "host B ran none of them: {stdout}"
    );
    let (_, stdout, _) = run_with_stdin(
        &[
            "--input",
            "-",
            "--color",
            "never",
            "--host",
            "lab-a",
            "-t",
            "v2_workload_failed",
        ],
        V2_SESSION.as_bytes(),
    );
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(stdout.contains("default/ghost-5d8f7-qwert"), "{stdout}");
}

/// The operator's ReplicaSet recreates a workload whose start failed: each failed start of the
/// same namespace and `<deployment>-<replicaset>-` prefix is one ongoing failure, counted.
#[test]
fn failed_starts_of_one_replicaset_read_as_one_ongoing_failure() {
    let lines = session();
    let failure = lines
        .iter()
        .find(|l| l.payload.contains("WORKLOAD_STATE_ERROR"))
        .unwrap();
    let host = format!("runtime.host.{HOST_A}.workload.start");
    let mut input = String::new();
    for (i, suffix) in ["qwert", "asdfg", "zxcvb"].iter().enumerate() {
        let start = serde_json::json!({"workloadId": format!("g{i}"),
            "workload": {"namespace": "default", "name": format!("ghost-5d8f7-{suffix}")}});
        let inbox = format!("_INBOX.loop.{i}");
        let at = format!("2026-12-02T09:1{i}:00Z");
        // latwatch's record order: subject first.
        let text = |v: &str| serde_json::Value::from(v).to_string();
        input += &format!(
            r#"{{"subject":{},"received":{},"reply":{},"payload":{}}}"#,
            text(&host),
            text(&at),
            text(&inbox),
            text(&start.to_string())
        );
        input += "\n";
        input += &format!(
            r#"{{"subject":{},"received":{},"payload":{}}}"#,
            text(&inbox),
            text(&at),
            text(&failure.payload)
        );
        input += "\n";
    }
    let (status, stdout, stderr) =
        run_with_stdin(&["--input", "-", "--color", "never"], input.as_bytes());
    assert!(status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&stdout);
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("v2_workload_failed"))
        .collect();
    assert_eq!(failed.len(), 3, "{stdout}");
    assert!(!failed[0].contains("failing:"), "{stdout}");
    assert!(
        failed[1].contains("default/ghost-5d8f7-asdfg  failed to start (ERROR after ")
            && failed[1].contains("failing: 2 failed starts of ghost-5d8f7 in 1m"),
        "{stdout}"
    );
    assert!(
        failed[2].contains("failing: 3 failed starts of ghost-5d8f7 in 2m"),
        "{stdout}"
    );
}
