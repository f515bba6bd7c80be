//! Floods: a flat-out burst that must arrive complete, a stalled stdout that must cost memory
//! rather than events, and drops past the buffer that must be counted exactly. They measure whether latwatch keeps up, so they run alone: in their own test
//! binary (cargo runs test binaries one after another) and one at a time (the `ALONE` lock), never
//! sharing the machine's two cores with another flood.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(10);

static ALONE: Mutex<()> = Mutex::new(());

/// A flat-out burst of 100,000 events arrives complete in `--json`, with no loss reported. stdout
/// is read in large chunks, as a fast consumer (a file, jq) takes it, so the test measures latwatch
/// rather than a slow reader.
#[test]
fn burst_of_100k_arrives_complete() {
    use std::io::Read;
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&["-s", &server.url(), "--json"]));
    latwatch.wait_stderr("listening", WAIT);
    let mut stdout = latwatch.take_stdout();
    const N: usize = 100_000;
    let reader = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 1 << 20];
        let mut lines = 0;
        while lines < N {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => lines += buffer[..n].iter().filter(|&&b| b == b'\n').count(),
            }
        }
        lines
    });
    let publisher = Publisher::connect(&server.url());
    let template = FIXTURES_1X.lines().nth(2).unwrap();
    publisher.publish_burst(
        "wasmbus.evt.default.component_scaled",
        (0..N).map(|i| {
            template
                .replacen("ca9f", &format!("{i:04}"), 1)
                .into_bytes()
        }),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        if latwatch.stderr().contains("dropped") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = latwatch.stderr();
    assert!(!stderr.contains("dropped"), "{stderr}");
    assert!(
        reader.is_finished(),
        "not every event arrived; stderr: {stderr}"
    );
    assert_eq!(reader.join().unwrap(), N);
}

/// Reads stdout in large chunks until `n` lines came or it closes; the lines, as bytes.
fn read_lines(mut stdout: std::process::ChildStdout, n: usize) -> Vec<Vec<u8>> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut stdout);
    let mut lines = Vec::new();
    while lines.len() < n {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => lines.push(line),
        }
    }
    lines
}

/// stdout stalls (nobody reads) while 300,000 events of a real lattice's mix (every 1.x kind,
/// 600 bytes on average) are published flat out, then a reader comes: the default 256 MiB buffer
/// took the burst, every event arrives, nothing is reported dropped. Before the intake,
/// async-nats' 32,768-message channel overflowed and most of such a burst was lost.
#[test]
fn a_stalled_stdout_costs_memory_not_events() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&["-s", &server.url(), "--json"]));
    latwatch.wait_stderr("listening", WAIT);
    let stdout = latwatch.take_stdout();
    let publisher = Publisher::connect(&server.url());
    let mix: Vec<&str> = FIXTURES_1X.lines().collect();
    const N: usize = 300_000;
    publisher.publish_burst(
        "wasmbus.evt.default.mixed",
        (0..N).map(|i| mix[i % mix.len()].as_bytes().to_vec()),
    );
    // Give the burst time to land in latwatch's buffer while nobody reads.
    std::thread::sleep(Duration::from_secs(2));
    let reader = std::thread::spawn(move || read_lines(stdout, N).len());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let stderr = latwatch.stderr();
    assert!(
        reader.is_finished(),
        "not every event arrived; stderr: {stderr}"
    );
    assert_eq!(reader.join().unwrap(), N, "{stderr}");
    assert!(!stderr.contains("dropp"), "{stderr}");
}

/// Past the buffer (`--buffer 4MiB` here), events are dropped, said at once, and written as gap
/// records whose counts are exact: events printed + events reported lost = events published.
/// This server has no JetStream, so the gaps are not filled, and stderr says why.
#[test]
fn drops_past_the_buffer_are_counted_exactly_in_gap_records() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "-o",
        "jsonl",
        "--buffer",
        "4MiB",
    ]));
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    let payload = FIXTURES_1X.lines().nth(2).unwrap();
    const N: usize = 100_000;
    publisher.publish_burst(
        "wasmbus.evt.default.component_scaled",
        (0..N).map(|_| payload.as_bytes().to_vec()),
    );
    latwatch.wait_stderr("buffer is full", WAIT);
    // The end of the burst is dropped too, and no message comes after it: the episode is closed
    // once stdout is read and the buffer drains, and its record is written all the same.
    let stdout = latwatch.take_stdout();
    let reader = std::thread::spawn(move || read_lines(stdout, usize::MAX));
    latwatch.wait_stderr("not filled", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    latwatch.signal("TERM");
    assert_eq!(latwatch.wait_exit(WAIT).code(), Some(0));
    let lines = reader.join().unwrap();
    let mut printed = 0;
    let mut lost = 0;
    for line in &lines {
        let record: serde_json::Value = serde_json::from_slice(line).expect("jsonl");
        if let Some(gap) = record.get("gap") {
            assert_eq!(gap["reason"], "dropped", "{gap}");
            assert_eq!(gap["filled"], false, "{gap}");
            lost += gap["lost"].as_u64().expect("a drop gap counts its losses");
        } else {
            printed += 1;
        }
    }
    let stderr = latwatch.stderr();
    assert!(
        lost > 0,
        "nothing was dropped: the buffer was not exceeded; {stderr}"
    );
    assert_eq!(printed + lost as usize, N, "{stderr}");
}
