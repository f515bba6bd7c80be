//! `--filter` under a budget: jq expressions whose cost the event's data decides must not hang,
//! exhaust memory, abort or panic latwatch. Each such event counts as not matching, the reason is
//! said once, `--summary` counts the events, and later events flow: a sentinel published after
//! the expensive events must be shown. (`latwatch top` is tested in `tests/top.rs`.)

mod support;

use std::time::Duration;

use support::*;

/// Generous: an expensive event costs the watcher up to the budget's two seconds (or the
/// worker's five before it is killed), on a busy machine.
const WAIT: Duration = Duration::from_secs(90);
const SUBJECT: &str = "wasmbus.evt.default.component_scaled";

/// The four expressions of the issue, and one of cheap built-ins only (judged on the watcher's
/// own thread) made quadratic by the event. Each is cheap on the sentinel.
const HOSTILE: &[(&str, &str)] = &[
    (
        "reduce",
        ".data.sentinel or (reduce range(1e15) as $i (0; . + 1)) > 0",
    ),
    ("recursion", "def f: 1 + f; .data.sentinel or f"),
    ("range", ".data.sentinel or ([range(.data.n)] | length > 0)"),
    (
        "repeat",
        ".data.sentinel or (.data.s * .data.n | length > 0)",
    ),
    (
        "quadratic",
        ".data.sentinel or ([.data.a[] as $x | .data.a[] | select(. == $x)] | length > 0)",
    ),
];

/// A `component_scaled` whose data makes the expressions above expensive: `n` is 10^15, `a`
/// holds 3,000 numbers.
fn expensive(id: u32) -> String {
    let a: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
    format!(
        r#"{{"specversion":"1.0","id":"costly-{id}","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","time":"2025-08-14T09:12:03Z","data":{{"component_id":"hello","host_id":"NHOST","max_instances":1,"n":1000000000000000,"s":"abc","a":[{}]}}}}"#,
        a.join(",")
    )
}

const SENTINEL: &str = r#"{"specversion":"1.0","id":"sentinel","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","time":"2025-08-14T09:12:04Z","data":{"component_id":"hello","host_id":"NHOST","max_instances":1,"sentinel":true}}"#;

/// What every run must show: the sentinel alone on stdout, the reason said once, both expensive
/// events counted, a normal exit.
fn check(name: &str, status: std::process::ExitStatus, stdout: &[String], stderr: &str) {
    assert_eq!(status.code(), Some(0), "{name}: {stderr}");
    assert_eq!(
        stdout,
        [format!("{SENTINEL}\n")],
        "{name}: only the sentinel is shown; stderr:\n{stderr}"
    );
    let said = stderr
        .matches("--filter could not be run on an event (")
        .count();
    assert_eq!(said, 1, "{name}: the reason is said once:\n{stderr}");
    assert!(
        stderr.contains("2 the jq expression could not judge"),
        "{name}: --summary counts both events:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
}

#[test]
fn expensive_expressions_on_a_file_leave_the_watcher_running() {
    let dir = temp_dir("jq-budget");
    let file = dir.join("events.jsonl");
    std::fs::write(
        &file,
        format!("{}\n{}\n{SENTINEL}\n", expensive(1), expensive(2)),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for (name, filter) in HOSTILE {
        let mut latwatch =
            Latwatch::spawn(&["--input", file, "--filter", filter, "--json", "--summary"]);
        let status = latwatch.wait_exit(WAIT);
        check(name, status, &latwatch.rest(), &latwatch.stderr());
    }
}

#[test]
fn expensive_expressions_live_leave_the_watcher_running() {
    let server = NatsServer::start();
    // One watcher per expression, all listening to the same events.
    let mut watchers: Vec<(&str, Latwatch)> = HOSTILE
        .iter()
        .map(|(name, filter)| {
            let latwatch = Latwatch::listening(
                &server,
                &["--filter", filter, "--json", "--summary", "--count", "1"],
            );
            (*name, latwatch)
        })
        .collect();
    let publisher = Publisher::connect(&server.url());
    publisher.publish(SUBJECT, expensive(1));
    publisher.publish(SUBJECT, expensive(2));
    publisher.publish(SUBJECT, SENTINEL);
    for (name, latwatch) in &mut watchers {
        // `--count 1`: the sentinel, once shown, ends the run.
        let status = latwatch.wait_exit(WAIT);
        check(name, status, &latwatch.rest(), &latwatch.stderr());
    }
}

/// One built-in that works long without reaching a checkpoint (comparing two values that share
/// their halves, 2^40 comparisons): the worker's watchdog ends it by its CPU time.
#[test]
fn a_built_in_that_never_reaches_a_checkpoint_is_stopped() {
    let filter = ".data.sentinel or ((reduce range(.data.n / .data.n * 40) as $i ([0]; [., .])) \
                  == (reduce range(40) as $i ([0]; [., .])))";
    let dir = temp_dir("jq-budget");
    let file = dir.join("events.jsonl");
    std::fs::write(&file, format!("{}\n{SENTINEL}\n", expensive(1))).unwrap();
    let mut latwatch = Latwatch::spawn(&[
        "--input",
        file.to_str().unwrap(),
        "--json",
        "--summary",
        "--filter",
        filter,
    ]);
    let status = latwatch.wait_exit(WAIT);
    let stderr = latwatch.stderr();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(latwatch.rest(), [format!("{SENTINEL}\n")], "{stderr}");
    assert!(
        stderr.contains("more CPU time than its budget allows"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 the jq expression could not judge"),
        "{stderr}"
    );
}

/// An expression that does not loop and calls only cheap built-ins costs nothing more than
/// before: it runs on the watcher's thread, and a large event is judged in full.
#[test]
fn everyday_expressions_still_judge_large_events() {
    let a: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
    let large = format!(
        r#"{{"specversion":"1.0","id":"large","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","data":{{"component_id":"hello","host_id":"NHOST","a":[{}]}}}}"#,
        a.join(",")
    );
    let (status, stdout, stderr) = run_with_stdin(
        &[
            "--input",
            "-",
            "--json",
            "--filter",
            "[.data.a[]? | select(. % 2 == 0)] | length == 100000",
        ],
        format!("{large}\n{SENTINEL}\n").as_bytes(),
    );
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("could not be run"), "{stderr}");
    // Not printed on failure: the event is 1.3 MB.
    assert!(
        stdout == format!("{large}\n").as_bytes(),
        "the large event is kept, the sentinel not ({} bytes out)",
        stdout.len()
    );
}
