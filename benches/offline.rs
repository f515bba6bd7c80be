//! Offline benchmark: a generated capture (a mix of kinds, 10 % heartbeats with 20–100 components),
//! timed as the median of 3 runs for
//! - `latwatch --input big.jsonl --type component_scaled --json`,
//! - `jq -c 'select(.type=="com.wasmcloud.lattice.component_scaled")'`,
//! - `jaq` with the same filter, if it is installed,
//! - `grep -c component_scaled` (the I/O floor; written to a pipe, since GNU grep stops at the
//!   first match when its output is /dev/null),
//! - and latwatch's pretty output over the whole file.
//!
//! Then lattice memory: peak RSS of latwatch fed a simulated day of 1,000 hosts × 100 components
//! heartbeating every 30 s through `--input -`, against its peak after the first hour.
//!
//! `cargo bench --bench offline` (1 GB; `-- --size-mb N` to change; `-- --no-memory` skips the
//! simulated day, which takes minutes); `-- --smoke` for small sizes.
//! The capture is written to target/bench-data/ and reused while its size matches.
//! A second capture, a quarter the size, mixes every kind the fixtures hold with large heartbeats;
//! latwatch's filter is timed against `grep -c` on it too. `LATWATCH_BIN=path` measures another
//! build.

mod common;

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke") || !args.iter().any(|a| a == "--bench");
    let size_mb: u64 = args
        .iter()
        .position(|a| a == "--size-mb")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(if smoke { 8 } else { 1024 });
    let runs = if smoke { 1 } else { 3 };

    let path = capture(size_mb);
    println!(
        "latwatch offline benchmark: {} ({} MB), median of {runs}",
        path.display(),
        size_mb
    );
    let file = path.to_str().unwrap();
    // `LATWATCH_BIN=path`: measure another build (a before/after in the same conditions).
    let binary =
        std::env::var("LATWATCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_latwatch").into());
    let latwatch = binary.as_str();
    let jq_filter = r#"select(.type=="com.wasmcloud.lattice.component_scaled")"#;

    let mut results: Vec<(String, f64, usize)> = Vec::new();
    let mut time = |name: &str, program: &str, args: &[&str]| {
        if !installed(program) {
            println!("{name:<44} (not installed)");
            return None;
        }
        let (seconds, lines) = median_run(program, args, runs);
        println!("{name:<44} {seconds:>8.3} s  {lines:>9} lines out");
        results.push((name.to_owned(), seconds, lines));
        Some((seconds, lines))
    };
    let ours = time(
        "latwatch --type component_scaled --json",
        latwatch,
        &["--input", file, "--type", "component_scaled", "--json"],
    );
    let jq = time("jq -c select(.type==…)", "jq", &["-c", jq_filter, file]);
    let jaq = time("jaq -c select(.type==…)", "jaq", &["-c", jq_filter, file]);
    let grep = time(
        "grep -c component_scaled",
        "grep",
        &["-c", "component_scaled", file],
    );
    time(
        "latwatch pretty, whole file",
        latwatch,
        &["--input", file, "--color", "never"],
    );

    let mut checks = 0;
    if let (Some((ours_s, ours_lines)), Some((jq_s, jq_lines))) = (ours, jq) {
        assert_eq!(
            ours_lines, jq_lines,
            "latwatch and jq must select the same events"
        );
        checks += 1;
        println!("\nlatwatch vs jq: {:.1}× faster", jq_s / ours_s);
    }
    if let (Some((ours_s, _)), Some((jaq_s, _))) = (ours, jaq) {
        println!("latwatch vs jaq: {:.1}× faster", jaq_s / ours_s);
    }
    if let (Some((ours_s, _)), Some((grep_s, _))) = (ours, grep) {
        println!("latwatch vs grep -c: {:.2}× its time", ours_s / grep_s);
    }

    // A capture that mixes every kind latwatch knows (the test fixtures: real 1.x host events,
    // spec-shaped and legacy ones) with heartbeats of 20–100 components among them, as a real
    // lattice does: the byte pre-check must hold its speed when most bytes are not the kind asked.
    let mixed = mixed_capture(size_mb / 4);
    let mixed = mixed.to_str().unwrap();
    println!("\nmixed capture: {mixed} ({} MB)", size_mb / 4);
    let mixed_ours = time(
        "latwatch --type component_scaled --json (mixed)",
        latwatch,
        &["--input", mixed, "--type", "component_scaled", "--json"],
    );
    let mixed_grep = time(
        "grep -c component_scaled (mixed)",
        "grep",
        &["-c", "component_scaled", mixed],
    );
    if let (Some((ours_s, ours_lines)), Some((grep_s, grep_lines))) = (mixed_ours, mixed_grep) {
        assert_eq!(ours_lines, grep_lines, "the same events are selected");
        checks += 1;
        println!(
            "latwatch vs grep -c, mixed: {:.2}× its time (target ≤ 1.5×)",
            ours_s / grep_s
        );
    }

    if smoke {
        lattice_memory(50, 20, 120, 240);
    } else if !args.iter().any(|a| a == "--no-memory") {
        lattice_memory(1000, 100, 120, 2880);
    }
    // The check above panics on failure; this line tells a log reader it ran.
    println!("offline: {checks} passed, 0 failed");
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Median wall time of `runs` runs, and how many lines the program wrote (read through a pipe).
fn median_run(program: &str, args: &[&str], runs: usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut lines = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut buffer = vec![0u8; 1 << 20];
        let mut count = 0;
        let mut last = b'\n';
        loop {
            let n = stdout.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            count += buffer[..n].iter().filter(|&&b| b == b'\n').count();
            last = buffer[n - 1];
        }
        assert!(child.wait().unwrap().success(), "{program} failed");
        times.push(start.elapsed().as_secs_f64());
        // grep -c prints one number: report the number as "lines".
        lines = if program == "grep" {
            count_from_grep(program, args)
        } else {
            count + usize::from(last != b'\n')
        };
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], lines)
}

fn count_from_grep(program: &str, args: &[&str]) -> usize {
    let output = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Writes (or reuses) a capture of about `size_mb` MB: 10 % heartbeats with 20–100 components,
/// 30 % component_scaled, the rest other kinds.
fn capture(size_mb: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("capture-{size_mb}mb.jsonl"));
    let target = size_mb * 1024 * 1024;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= target) {
        return path;
    }
    let hosts: Vec<String> = (0..50).map(common::host_key).collect();
    write_lines(&path, target, |seq| match seq % 10 {
        0 => common::heartbeat(
            &hosts[(seq / 10) as usize % hosts.len()],
            "frosty-field-3519",
            20 + (seq / 10 % 81) as usize,
            seq,
        ),
        1..=3 => common::component_scaled(seq),
        _ => common::other(seq),
    });
    path
}

/// Writes `line(0)`, `line(1)`, … to `path`, one a line, until it holds `target` bytes.
fn write_lines(path: &Path, target: u64, mut line: impl FnMut(u64) -> String) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let (mut written, mut seq) = (0u64, 0u64);
    while written < target {
        let line = line(seq);
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
        seq += 1;
    }
    out.flush().unwrap();
}

/// Every fixture line (each kind latwatch knows), with a heartbeat of 20–100 components after every
/// fourth (half of them with a `\u` escape in a label): `size_mb` of it, written once to target/bench-data/ and reused.
fn mixed_capture(size_mb: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("mixed-escapes-{size_mb}mb.jsonl"));
    let target = size_mb.max(1) * 1024 * 1024;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= target) {
        return path;
    }
    let fixtures: Vec<&str> = [
        include_str!("../tests/fixtures/host-1x-events.jsonl"),
        include_str!("../tests/fixtures/spec-events.jsonl"),
        include_str!("../tests/fixtures/legacy-events.jsonl"),
    ]
    .iter()
    .flat_map(|file| file.lines())
    .filter(|line| !line.trim().is_empty())
    .collect();
    let hosts: Vec<String> = (0..50).map(common::host_key).collect();
    write_lines(&path, target, |seq| {
        if seq % 5 == 4 {
            // Half the hosts carry a label written with a JSON escape, as non-ASCII text may be.
            common::heartbeat(
                &hosts[(seq / 5) as usize % hosts.len()],
                "frosty-field-3519",
                20 + (seq / 5 % 81) as usize,
                seq,
            )
            .replacen(
                r#""labels":{"#,
                if seq % 10 == 4 {
                    r#""labels":{"city":"Z\u00fcrich","#
                } else {
                    r#""labels":{"#
                },
                1,
            )
        } else {
            fixtures[seq as usize % fixtures.len()].to_owned()
        }
    });
    path
}

/// Feeds `rounds` heartbeat rounds of `hosts` hosts (30 s apart in event time) to latwatch's
/// stdin, pretty output to /dev/null; compares peak RSS after `hour_rounds` with the end.
fn lattice_memory(hosts: usize, components: usize, hour_rounds: u64, rounds: u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latwatch"))
        .args(["--input", "-", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
    // The inventories are built once; only id, time and uptime change between rounds.
    let keys: Vec<String> = (0..hosts).map(common::host_key).collect();
    let names: Vec<String> = (0..hosts).map(|h| format!("host-{h}")).collect();
    let inventory = common::Inventory::new(components);
    let start = Instant::now();
    let mut at_hour = 0.0;
    let mut bytes = 0u64;
    for round in 0..rounds {
        for (key, name) in keys.iter().zip(&names) {
            let line = common::heartbeat_of(key, name, &inventory, round);
            stdin.write_all(line.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
            bytes += line.len() as u64 + 1;
        }
        if round + 1 == hour_rounds {
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(200));
            at_hour = peak_rss_mib(pid);
        }
    }
    drop(stdin);
    let at_end = reap_peak_rss_mib(child);
    println!(
        "\nlattice memory: {hosts} hosts × {components} components, {rounds} heartbeat rounds \
         ({:.1} GB in {:.1} s): peak RSS {at_hour:.1} MiB after the first hour, {at_end:.1} MiB \
         at the end ({:.2}×)",
        bytes as f64 / 1e9,
        start.elapsed().as_secs_f64(),
        at_end / at_hour
    );
}

/// Waits for the child to end and returns its peak RSS, from wait4.
fn reap_peak_rss_mib(child: std::process::Child) -> f64 {
    let pid = child.id() as libc::pid_t;
    // SAFETY: wait4 on our own child's pid, with a zeroed rusage for it to fill.
    unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        usage.ru_maxrss as f64 / 1024.0
    }
}

fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
