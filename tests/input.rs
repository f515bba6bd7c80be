//! `--input`: captures and stdin instead of NATS, with the same decoding and rendering.

mod support;

use std::io::Write;
use std::time::Duration;

use support::*;

fn fixtures_text() -> String {
    all_fixtures().join("\n") + "\n"
}

/// Every fixture line from a file renders; end of input exits 0.
#[test]
fn input_file_renders_every_line_and_exits_0() {
    let dir = temp_dir("input");
    let path = dir.join("capture.jsonl");
    std::fs::write(&path, fixtures_text()).unwrap();
    let output = latwatch_command(&[
        "--input",
        path.to_str().unwrap(),
        "--color",
        "never",
        "--heartbeats",
    ])
    .output()
    .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), all_fixtures().len());
    assert!(!stdout.contains("invalid"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A missing file is an error that names it: exit 1.
#[test]
fn missing_input_file_names_it() {
    let output = latwatch_command(&["--input", "/no/such/capture.jsonl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read --input /no/such/capture.jsonl"),
        "{stderr}"
    );
}

/// `--input -` reads stdin: `--json` gives back exactly what went in (blank lines skipped).
#[test]
fn stdin_json_round_trip_is_byte_exact() {
    let input = format!("\n{}\n", fixtures_text());
    let (status, stdout, _) = run_with_stdin(&["--input", "-", "--json"], input.as_bytes());
    assert!(status.success());
    assert!(
        stdout == fixtures_text().into_bytes(),
        "stdin → json changed bytes"
    );
}

/// `-o jsonl` records read back with `--input` give the same events, subjects and receive times.
#[test]
fn jsonl_records_replay_losslessly() {
    let (_, records, _) =
        run_with_stdin(&["--input", "-", "-o", "jsonl"], fixtures_text().as_bytes());
    let (status, again, _) = run_with_stdin(&["--input", "-", "-o", "jsonl"], &records);
    assert!(status.success());
    assert!(again == records, "jsonl → jsonl changed the records");
    let (_, json, _) = run_with_stdin(&["--input", "-", "--json"], &records);
    assert!(
        json == fixtures_text().into_bytes(),
        "jsonl → json is not the original payloads"
    );
}

/// Error records (payload not JSON) replay as the same invalid event.
#[test]
fn error_records_replay() {
    let record = r#"{"subject":"wasmbus.evt.default.x","received":"2026-11-24T10:00:00.000000Z","error":"not JSON","payload":"oops"}"#;
    let (status, stdout, _) = run_with_stdin(
        &["--input", "-", "--color", "never", "--utc"],
        record.as_bytes(),
    );
    assert!(status.success());
    let stdout = String::from_utf8(stdout).unwrap();
    assert_eq!(
        stdout,
        "2026-11-24 10:00:00.000  x                       -                  ! invalid: not JSON (expected value at line 1 column 1)  payload=\"oops\"\n"
    );
}

/// Invalid and hostile lines are flagged; stdout stays one line per event.
#[test]
fn hostile_lines_are_flagged_not_fatal() {
    let mut input = Vec::new();
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"broken\": \xff}\n");
    input.extend_from_slice(b"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"N\",\"type\":\"com.wasmcloud.lattice.config_set\",\"data\":{\"config_name\":\"\\u001b]0;pwned\\u0007\\r\"}}\n");
    let (status, stdout, _) = run_with_stdin(&["--input", "-", "--color", "never"], &input);
    assert!(status.success());
    let stdout = String::from_utf8(stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\r'));
    assert!(stdout.contains(r"\e]0;pwned\x07\r"), "{stdout}");
}

/// stdin is read as it comes: each line appears before the next is written (a live pipe).
#[test]
fn stdin_lines_appear_as_they_arrive() {
    let mut latwatch = Latwatch::spawn(&["--input", "-", "--json"]);
    for payload in FIXTURES_1X.lines().take(3) {
        latwatch.write_stdin(format!("{payload}\n").as_bytes());
        let line = latwatch
            .next_line(Duration::from_secs(5))
            .expect("line shows at once");
        assert_eq!(line, format!("{payload}\n").into_bytes());
    }
    latwatch.close_stdin();
    assert!(latwatch.wait_exit(Duration::from_secs(5)).success());
}

/// `--count` stops reading early.
#[test]
fn count_applies_to_input() {
    let (status, stdout, _) = run_with_stdin(
        &["--input", "-", "--json", "-n", "2"],
        fixtures_text().as_bytes(),
    );
    assert!(status.success());
    assert_eq!(stdout.iter().filter(|&&b| b == b'\n').count(), 2);
}

/// The bundled example capture shows a whole story with no server at all.
#[test]
fn bundled_example_renders() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/lattice-capture.jsonl"
    );
    let output = latwatch_command(&["--input", example, "--color", "never"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    for name in [
        "host_started",
        "component_scaled",
        "component_scale_failed",
        "linkdef_set",
        "config_set",
        "host_heartbeat",
        "host_stopped",
    ] {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    assert!(!stdout.contains("invalid"), "{stdout}");
    let _ = std::io::stdout().flush();
}

/// Color: `--color always` colors a pipe; auto does not, unless CLICOLOR_FORCE; NO_COLOR beats it;
/// json output is never colored.
#[test]
fn color_follows_the_flag_and_the_environment() {
    let line = FIXTURES_1X.lines().next().unwrap().as_bytes();
    let colored = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = latwatch_command(args);
        command.args(["--input", "-"]);
        for (key, value) in env {
            command.env(key, value);
        }
        let output = pipe_through(command, line);
        output.contains('\u{1b}')
    };
    assert!(colored(&["--color", "always"], &[]));
    assert!(!colored(&[], &[]), "a pipe is not colored by default");
    assert!(!colored(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(colored(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(colored(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!colored(&["--json", "--color", "always"], &[]));
    assert!(!colored(&["-o", "jsonl", "--color", "always"], &[]));
}

fn pipe_through(mut command: std::process::Command, stdin: &[u8]) -> String {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

/// Pretty times are local by default (here TZ=Asia/Kolkata, UTC+5:30) and UTC with `--utc`; an
/// event not from today carries its date (issue 21: a replay over days reads right), and
/// `--timestamps full` is RFC 3339 on every line.
#[test]
fn times_are_local_unless_utc_and_dated_unless_today() {
    let line = FIXTURES_1X.lines().next().unwrap(); // 2025-08-14 09:12:03.104 UTC
    let time_of = |args: &[&str], line: &str| {
        let mut command = latwatch_command(&["--input", "-", "--color", "never"]);
        command.args(args).env("TZ", "Asia/Kolkata");
        let out = pipe_through(command, line.as_bytes());
        out.split("  ").next().unwrap().to_owned()
    };
    assert_eq!(time_of(&[], line), "2025-08-14 14:42:03.104");
    assert_eq!(time_of(&["--utc"], line), "2025-08-14 09:12:03.104");
    assert_eq!(
        time_of(&["--timestamps", "full"], line),
        "2025-08-14T14:42:03.104+05:30"
    );
    assert_eq!(
        time_of(&["--timestamps", "full", "--utc"], line),
        "2025-08-14T09:12:03.104Z"
    );
    // Today's event: the time alone.
    let now = chrono::Utc::now();
    let today = line.replace(
        "2025-08-14T09:12:03.104",
        &now.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
    );
    assert_eq!(
        time_of(&["--utc"], &today),
        now.format("%H:%M:%S%.3f").to_string(),
        "an event from today is not dated (unless the day turned meanwhile)"
    );
}

/// Issue 21: `--no-color` is accepted, as people type it, and means `--color never`, even where
/// the environment forces color.
#[test]
fn no_color_is_an_alias_of_color_never() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/host-1x-events.jsonl"
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["--input", fixture];
        args.extend_from_slice(extra);
        let output = latwatch_command(&args)
            .env("CLICOLOR_FORCE", "1")
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(run(&[]).contains("\u{1b}["), "CLICOLOR_FORCE colors");
    let plain = run(&["--no-color"]);
    assert!(!plain.contains("\u{1b}["), "{plain}");
    assert!(plain.contains("host_started"), "{plain}");
}
