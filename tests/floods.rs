//! Floods: a flat-out burst that must arrive complete, and a stalled stdout whose losses must be
//! counted exactly. They measure whether latwatch keeps up, so they run alone: in their own test
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

/// When stdout stalls and async-nats really drops events, latwatch survives, says so on stderr,
/// and the count it reports is exact: printed + reported lost = published.
#[test]
fn losses_under_a_stalled_stdout_are_counted_exactly() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let server = NatsServer::start();
    let mut latwatch = Latwatch::spawn_stalled(latwatch_command(&["-s", &server.url(), "--json"]));
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    let payload = FIXTURES_1X.lines().nth(2).unwrap();
    const N: usize = 200_000;
    publisher.publish_burst(
        "wasmbus.evt.default.component_scaled",
        (0..N).map(|_| payload.as_bytes().to_vec()),
    );
    latwatch.resume_stdout();
    let mut printed = 0;
    while latwatch.next_line(Duration::from_secs(2)).is_some() {
        printed += 1;
    }
    latwatch.wait_stderr("lost in all", WAIT);
    // The last report carries the total; give a late second look time to land.
    std::thread::sleep(Duration::from_millis(600));
    let stderr = latwatch.stderr();
    let total: usize = stderr
        .rsplit("events were dropped")
        .next()
        .and_then(|tail| tail.split('(').nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in: {stderr}"));
    assert!(
        printed < N,
        "nothing was lost: the test did not stall stdout"
    );
    assert_eq!(printed + total, N, "{stderr}");
    assert!(latwatch.child_status().is_none(), "latwatch survives");
}
