//! Nothing a publisher or a command line can do crashes latwatch or makes it show a secret:
//! hostile events through every output mode and filter, deep nesting under jq, huge names in
//! `--summary`, endless lines, huge durations, bad flag values, secrets in environment variables
//! shown by `--help`.

mod support;

use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use support::*;

const WAIT: Duration = Duration::from_secs(20);

/// Runs latwatch to the end with `args`, stdin closed; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let output = latwatch_command(args)
        .stdin(Stdio::null())
        .output()
        .expect("latwatch runs");
    (
        output.status.code().unwrap_or(-1),
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn event(id: &str, ty: &str, source: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.{ty}","source":"{source}","time":"2026-01-01T00:00:00Z","data":{data}}}"#
    )
}

/// An event with arrays nested `depth` levels deep beside its attributes.
fn deep_event(depth: usize) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"deep","type":"com.wasmcloud.lattice.component_scaled","source":"NDEEP","deep":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Every hostile payload there is, as `-o jsonl` records (`payload` or `payload_base64`, so any
/// bytes fit on one line): the corpus, 1M-deep nesting, an 8 MiB string, 65,536-character names,
/// and a plain event last.
fn hostile_capture() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/hostile exists")
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut payloads: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    payloads.push(deep_event(1_000_000).into_bytes());
    let long = "N".repeat(65_536);
    payloads.push(
        event(
            "h",
            "host_started",
            &long,
            &format!(r#"{{"friendly_name":"{long}"}}"#),
        )
        .into_bytes(),
    );
    payloads.push(
        format!(r#"{{"specversion":"1.0","id":"t","type":"{long}","source":"{long}"}}"#)
            .into_bytes(),
    );
    let big = "x\\u001b[31m".repeat(8 * 1024 * 1024 / 10);
    payloads.push(
        event(
            "big",
            "component_scale_failed",
            "NBIG",
            &format!(r#"{{"component_id":"c","error":"{big}"}}"#),
        )
        .into_bytes(),
    );
    payloads.push(
        event(
            "last",
            "component_scaled",
            "NLAST",
            r#"{"component_id":"last","max_instances":1}"#,
        )
        .into_bytes(),
    );
    // wadm's messages, hostile: control characters and bidi overrides in every string a line
    // shows, a manifest whose name is one, a status type no wadm sends.
    let evil = r"\u001b[2J\u202e\u0007evil";
    let status = format!(
        r#"{{"status":{{"type":"failed","message":"{evil}"}},"scalers":[{{"id":"x","kind":"{evil}","name":"{evil}","status":{{"type":"failed","message":"{evil}2"}}}}]}}"#
    );
    let manifest = format!(
        r#"{{"specversion":"1.0","id":"m","type":"com.wadm.manifest_published","source":"wadm","data":{{"metadata":{{"name":"{evil}","annotations":{{"version":"{evil}"}}}},"spec":{{"components":[{{"name":"{evil}","type":"component","properties":{{"id":"{evil}"}}}}]}}}}}}"#
    );
    let wadm = [
        ("wadm.status.default.evil-app", status.into_bytes()),
        (
            "wadm.status.default.odd",
            br#"{"status":{"type":"\u202eexploded"}}"#.to_vec(),
        ),
        ("wadm.evt.default.manifest_published", manifest.into_bytes()),
    ];
    let mut capture = Vec::new();
    // Every hostile payload once more as a status message and as a wadm event.
    let as_wadm = payloads.iter().enumerate().flat_map(|(i, payload)| {
        [
            (format!("wadm.status.default.app{i}"), payload.clone()),
            (
                "wadm.evt.default.manifest_published".to_owned(),
                payload.clone(),
            ),
        ]
    });
    // And as wasmCloud 2 heartbeats (issue 22), with a hostile heartbeat of the right shape.
    let v2_evil = format!(
        r#"{{"id":"{evil}","hostname":"{evil}","friendlyName":"{evil}","version":"{evil}","labels":{{"hostgroup":"{evil}"}},"environment":"{evil}","workloadCount":"18446744073709551616","startedAt":"{evil}"}}"#
    );
    let as_v2 = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| (format!("runtime.operator.heartbeat.h{i}"), payload.clone()))
        .chain([
            (
                "runtime.operator.heartbeat.evil".to_owned(),
                v2_evil
                    .replace("18446744073709551616", "2")
                    .replace(
                        &format!(r#""startedAt":"{evil}""#),
                        r#""startedAt":"2026-12-02T09:14:25.237768903+00:00""#,
                    )
                    .into_bytes(),
            ),
            (
                "runtime.operator.heartbeat.evil2".to_owned(),
                v2_evil.into_bytes(),
            ),
        ]);
    let wadm = wadm
        .into_iter()
        .map(|(subject, payload)| (subject.to_owned(), payload))
        .chain(as_wadm)
        .chain(as_v2)
        .collect::<Vec<_>>();
    let host = payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| (format!("wasmbus.evt.default.p{i}"), payload.clone()));
    // The plain event stays last.
    let (last, host) = {
        let mut host: Vec<_> = host.collect();
        let last = host.pop().unwrap();
        (last, host)
    };
    for (subject, payload) in host.into_iter().chain(wadm).chain([last]) {
        // latwatch's own key order: "subject" first marks a record.
        let body = match std::str::from_utf8(&payload) {
            Ok(text) => format!(r#""payload":{}"#, serde_json::to_string(text).unwrap()),
            Err(_) => format!(
                r#""payload_base64":"{}""#,
                base64::engine::general_purpose::STANDARD.encode(payload)
            ),
        };
        writeln!(
            capture,
            r#"{{"subject":"{subject}","received":"2026-01-01T00:00:00Z",{body}}}"#
        )
        .unwrap();
    }
    capture
}

/// True when `text` is one JSON value, however deeply nested (serde_json's `Value` stops at 128
/// levels; skipping a value as `IgnoredAny` does not).
fn is_json(text: &str) -> bool {
    use serde::Deserialize as _;
    let mut reader = serde_json::Deserializer::from_str(text);
    serde::de::IgnoredAny::deserialize(&mut reader).is_ok() && reader.end().is_ok()
}

/// What must never reach a terminal raw: latwatch's own one definition.
fn forbidden(c: char) -> bool {
    latwatch::text::needs_escape(c)
}

#[test]
fn every_output_mode_and_filter_survives_every_hostile_payload() {
    let dir = temp_dir("hostile-matrix");
    let path = dir.join("capture.jsonl");
    std::fs::write(&path, hostile_capture()).unwrap();
    let input = path.to_str().unwrap();
    let filters: &[&[&str]] = &[
        &[],
        &["-t", "*_fail*,host_*,component_*"],
        &["--host", "N*"],
        &["--component", "c*"],
        &["--filter", ".data"],
        &["--filter", ".deep | length > 0"],
        &["--until-type", "nothing_like_this"],
        &["--until-filter", ".id == \"never\""],
        &["--summary"],
        &["--summary", "--filter", ".type", "-t", "*"],
        &["--apps", "--app", "*", "--summary"],
        &["--until-app", "evil-app=deployed"],
    ];
    for output in ["pretty", "json", "jsonl"] {
        for filter in filters {
            let mut args = vec!["--input", input, "-o", output, "--color", "never"];
            args.extend_from_slice(filter);
            let (code, stdout, stderr) = run(&args);
            let waits = filter.iter().any(|a| a.starts_with("--until"));
            // A wait that is never met ends at the end of the input (3), or at the corpus' failure
            // events (4, --fail-on's default); anything else is what the run earned: 0.
            let expected: &[i32] = if waits { &[3, 4] } else { &[0] };
            assert!(
                expected.contains(&code),
                "{args:?} exited {code}: {stderr:.2000}"
            );
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            let text = String::from_utf8(stdout).expect("stdout is UTF-8");
            for line in text.lines() {
                match output {
                    "pretty" => assert!(
                        !line.chars().any(forbidden),
                        "{args:?}: raw control character in {line:.200}"
                    ),
                    _ => assert!(is_json(line), "{args:?}: not JSON: {line:.200}"),
                }
            }
            if filter.is_empty() {
                assert!(text.contains("last"), "{args:?}: the last event is shown");
            }
            if filter.contains(&"--summary") {
                assert!(stderr.contains("summary:"), "{args:?}: {stderr:.2000}");
                assert!(
                    stderr.lines().all(|l| l.chars().count() < 300),
                    "{args:?}: summary lines stay narrow"
                );
            }
        }
    }
}

#[test]
fn deep_nesting_under_a_live_filter_is_not_a_crash() {
    let server = NatsServer::start();
    let filtered = Latwatch::listening(&server, &["--filter", ".type", "--color", "never"]);
    let mut waiting = Latwatch::listening(
        &server,
        &["--until-filter", ".data.component_id == \"done\"", "--json"],
    );
    let publisher = Publisher::connect(&server.url());
    publisher.publish("wasmbus.evt.default.component_scaled", deep_event(30_000));
    publisher.publish(
        "wasmbus.evt.default.component_scaled",
        event("ok", "component_scaled", "NH", r#"{"component_id":"done"}"#),
    );
    let line = filtered.lines(1, WAIT).remove(0);
    assert!(line.contains("component_scaled"), "{line}");
    filtered.wait_stderr("nests deeper than", WAIT);
    assert_eq!(
        waiting.wait_exit(WAIT).code(),
        Some(0),
        "{}",
        waiting.stderr()
    );
    assert!(waiting.stderr().contains("nests deeper than"));
}

#[test]
fn jq_runtime_errors_are_said_once_and_counted() {
    let capture = [
        event("1", "component_scaled", "NH", r#"{"component_id":"a"}"#),
        event("2", "component_scaled", "NH", r#"{"component_id":"b"}"#),
        event("3", "component_scaled", "NH", r#"{"component_id":"c"}"#),
    ]
    .join("\n");
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--filter",
            r#".data | error("boom")"#,
            "--summary",
        ],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(0));
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.matches("could not be run on an event").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("3 the jq expression could not judge"),
        "{stderr}"
    );
    let (_, _, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--filter",
            r#".data.component_id | test("(" + .)"#,
        ],
        capture.as_bytes(),
    );
    assert!(
        stderr.contains("could not be run on an event"),
        "an invalid regex: {stderr}"
    );
    // Errors that differ per event (they quote it) are said up to a bound, then only counted.
    let many: String = (0..100)
        .map(|i| {
            event(
                &i.to_string(),
                "component_scaled",
                "NH",
                &format!(r#"{{"n":{i}}}"#),
            ) + "\n"
        })
        .collect();
    let (_, _, stderr) = run_with_stdin(
        &["--input", "-", "--filter", ".data | error"],
        many.as_bytes(),
    );
    assert_eq!(stderr.matches("could not be run").count(), 20, "{stderr}");
    assert!(stderr.contains("only counted"), "{stderr}");
}

#[test]
fn summary_with_huge_names_keeps_the_exit_code() {
    let long = "n".repeat(70_000);
    let capture = [
        event(
            "1",
            "host_started",
            &long,
            &format!(r#"{{"friendly_name":"{long}"}}"#),
        ),
        format!(r#"{{"specversion":"1.0","id":"2","type":"{long}","source":"{long}"}}"#),
    ]
    .join("\n");
    let (status, _, stderr) = run_with_stdin(
        &["--input", "-", "--summary", "--until-type", "never_comes"],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(3), "what the run earned: {stderr:.500}");
    assert!(stderr.contains('…'));
    assert!(stderr.lines().all(|l| l.chars().count() < 300));
}

#[test]
fn an_endless_line_is_one_flagged_event_and_memory_stays_bounded() {
    let mut child = latwatch_command(&["--input", "-", "-o", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..160 {
            stdin.write_all(&zeros).unwrap();
        }
        stdin.write_all(b"\n").unwrap();
        stdin
            .write_all(event("after", "component_scaled", "NH", "{}").as_bytes())
            .unwrap();
    });
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let _ = pid;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout:.300}");
    assert!(
        lines[0].contains("longer than the 96 MiB"),
        "{:.300}",
        lines[0]
    );
    assert!(lines[0].len() < 10_000, "only the start is kept");
    assert!(lines[1].contains("after"));
}

#[test]
fn bad_values_are_usage_errors_that_say_what_to_do() {
    for (args, says) in [
        (
            &["--timeout", "99999999999999999999"][..],
            "shorter duration",
        ),
        (
            &["--idle-timeout", "99999999999999999999"],
            "shorter duration",
        ),
        (&["--since", "9999-12-31T23:59:59Z"], "in the future"),
        (&["--since", "10000000h"], "--since"),
        (&["--since", "1000000000h"], "--since"),
        (&["-s", ""], "empty"),
        (&["-s", ",,,"], "empty"),
        (&["--subject-prefix", "a.>"], "--subject-prefix"),
        (&["--subject-prefix", "x y"], "--subject-prefix"),
        (&["-t", "a b"], "spaces"),
        (&["-t", "**{"], "glob"),
        (&["--creds", "/tmp"], "is a directory"),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("chmod"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_never_shows_a_secret_from_the_environment() {
    for (name, value, clean) in [
        (
            "NATS_URL",
            "nats://alice:PWsecret@127.0.0.1:4222",
            "nats://127.0.0.1:4222",
        ),
        (
            "NATS_URL",
            "nats://T0KENsecret@127.0.0.1:4222,nats://bob:PWsecret@h:1",
            "nats://h:1",
        ),
        ("WASMCLOUD_CTL_HOST", "alice:PWsecret@nats.lan", "nats.lan"),
        ("NATS_USER", "alice:PWsecret@x", "x"),
    ] {
        for help in ["--help", "-h"] {
            let output = latwatch_command(&[help]).env(name, value).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(!stdout.contains("secret"), "{name} with {help}:\n{stdout}");
            if help == "--help" {
                assert!(
                    stdout.contains(clean),
                    "{name}: the redacted value is shown:\n{stdout}"
                );
            }
        }
    }
}

#[test]
fn a_context_with_a_password_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let config = temp_dir("context-perms");
    let contexts = config.join("nats/context");
    std::fs::create_dir_all(&contexts).unwrap();
    let file = contexts.join("prod.json");
    std::fs::write(
        &file,
        r#"{"url":"nats://127.0.0.1:1","user":"a","password":"PWsecret"}"#,
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = latwatch_command(&["--context", "prod"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("other users can read it"), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("PWsecret"), "{stderr}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = latwatch_command(&["--context", "prod"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("other users"));
}

/// `--record` keeps what was received so exactly that `--input` of the recording prints the same
/// `--json` bytes and flags the same payloads, over the whole hostile corpus (payloads that are not
/// UTF-8 included).
#[test]
fn a_recording_of_the_hostile_corpus_replays_exactly() {
    let dir = temp_dir("record-hostile");
    let config = dir.join("server.conf");
    std::fs::write(&config, "max_payload: 16777216\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let record = dir.join("session.jsonl");
    let mut live = Latwatch::listening(&server, &["--json", "--record", record.to_str().unwrap()]);
    let publisher = Publisher::connect(&server.url());
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let mut files: Vec<_> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut not_utf8 = 0;
    for (i, file) in files.iter().enumerate() {
        let payload = std::fs::read(file).unwrap();
        not_utf8 += usize::from(std::str::from_utf8(&payload).is_err());
        publisher.publish(&format!("wasmbus.evt.default.p{i}"), payload);
    }
    assert!(not_utf8 >= 3, "the corpus has payloads that are not UTF-8");
    let sentinel = event("sentinel-id", "component_scaled", "NS", "{}");
    publisher.publish("wasmbus.evt.default.component_scaled", sentinel.clone());
    let mut shown = Vec::new();
    loop {
        let line = live.next_line(WAIT).expect("the sentinel arrives");
        let done = line.windows(11).any(|w| w == b"sentinel-id");
        shown.extend_from_slice(&line);
        if done {
            break;
        }
    }
    live.signal("TERM");
    assert_eq!(live.wait_exit(WAIT).code(), Some(0));
    let live_skipped = live.stderr().matches("skipped a payload").count();
    assert!(live_skipped >= not_utf8, "{}", live.stderr());

    let (code, replayed, stderr) = run(&["--input", record.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("live.out"), &shown).unwrap();
    std::fs::write(dir.join("replay.out"), &replayed).unwrap();
    assert!(
        replayed == shown,
        "the replay prints the bytes the live run printed: diff {0}/live.out {0}/replay.out",
        dir.display()
    );
    assert_eq!(
        stderr.matches("skipped a payload").count(),
        live_skipped,
        "{stderr}"
    );
}
