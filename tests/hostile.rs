//! The hostile corpus (`tests/hostile/*.bin`, 69 payloads: truncated JSON, 10,000-deep nesting,
//! invalid UTF-8, NUL bytes, ANSI/OSC escapes, CR, backspace and bidi overrides in ids and errors,
//! huge numbers, duplicate keys, `data` of every shape, extensions of every JSON type, …) plus an
//! 8 MiB event, published to a real server with `max_payload` raised, watched by latwatch in all
//! three formats at once. Every payload is shown (flagged or rendered), pretty output never carries
//! a raw control character, json and jsonl stdout stay valid JSON, and latwatch keeps running.

mod support;

use std::time::Duration;

use serde_json::value::RawValue;
use support::*;

const WAIT: Duration = Duration::from_secs(20);

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/hostile exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// A valid event whose error text is 8 MiB long, escapes included.
fn eight_mib_event() -> Vec<u8> {
    let chunk = "failed \\u001b[31m to fetch \\r\\n layer; ".repeat(8 * 1024 * 1024 / 40);
    format!(
        r#"{{"specversion":"1.0","id":"big","type":"com.wasmcloud.lattice.component_scale_failed","source":"NBIG","time":"2026-01-01T00:00:00Z","data":{{"component_id":"huge","error":"{chunk}"}}}}"#
    )
    .into_bytes()
}

/// What must never reach a terminal raw: latwatch's own one definition.
fn forbidden(c: char) -> bool {
    latwatch::text::needs_escape(c)
}

#[test]
fn every_hostile_payload_is_shown_safely_and_latwatch_keeps_running() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 50,
        "the corpus has {} payloads",
        corpus.len()
    );
    let dir = temp_dir("hostile");
    let config = dir.join("server.conf");
    std::fs::write(&config, "max_payload: 16777216\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);

    let pretty = Latwatch::listening(&server, &["--color", "never"]);
    let json = Latwatch::listening(&server, &["--json"]);
    let jsonl = Latwatch::listening(&server, &["-o", "jsonl"]);

    let publisher = Publisher::connect(&server.url());
    let mut payloads: Vec<(String, Vec<u8>)> = corpus;
    payloads.push(("eight-mib".to_owned(), eight_mib_event()));
    let sentinel = FIXTURES_1X.lines().next().unwrap();
    payloads.push(("sentinel".to_owned(), sentinel.as_bytes().to_vec()));
    for (name, payload) in &payloads {
        let subject = format!("wasmbus.evt.default.{}", name.replace('.', "_"));
        publisher.publish(&subject, payload.clone());
    }

    // pretty: one line per payload, nothing raw.
    let lines = pretty.lines(payloads.len(), WAIT);
    for ((name, _), line) in payloads.iter().zip(&lines) {
        let body = line.strip_suffix('\n').expect("a whole line");
        if let Some(bad) = body.chars().find(|&c| forbidden(c)) {
            panic!("{name}: raw {bad:?} in pretty output");
        }
    }
    assert!(lines.last().unwrap().contains("host_started"));
    assert!(lines.iter().any(|l| l.contains(r"\e[31mred\e[0m")));

    // json: exactly the payloads that are JSON, each one line of valid JSON, in order.
    let expected: Vec<&(String, Vec<u8>)> = payloads
        .iter()
        .filter(|(_, p)| serde_json::from_slice::<&RawValue>(p).is_ok())
        .collect();
    let lines = json.lines(expected.len(), WAIT);
    for ((name, _), line) in expected.iter().zip(&lines) {
        serde_json::from_str::<&RawValue>(line)
            .unwrap_or_else(|err| panic!("{name}: stdout line is not JSON ({err})"));
    }
    assert_eq!(lines.last().unwrap().trim_end(), sentinel);
    assert!(json.stderr().contains("skipped a payload"));

    // jsonl: a record for every payload, each valid JSON.
    let lines = jsonl.lines(payloads.len(), WAIT);
    for ((name, _), line) in payloads.iter().zip(&lines) {
        serde_json::from_str::<&RawValue>(line)
            .unwrap_or_else(|err| panic!("{name}: jsonl line is not JSON ({err})"));
    }

    for latwatch in [&pretty, &json, &jsonl] {
        assert!(
            !latwatch.stderr().contains("panicked"),
            "{}",
            latwatch.stderr()
        );
    }
    let mut alive = [pretty, json, jsonl];
    for latwatch in &mut alive {
        assert!(latwatch.child_status().is_none(), "latwatch keeps running");
    }
}
