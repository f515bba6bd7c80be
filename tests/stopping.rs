//! Stopping and recording under pressure, against a real nats-server: Ctrl-C and SIGTERM end a run
//! whose stdout nobody reads; `--record` into a FIFO whose reader stopped (or never came) holds up
//! neither stdout nor startup, and what it could not write is counted exactly; a full disk under
//! `--record` is exit 1 with the reason; an event larger than `--buffer` passes when the output is
//! idle, and is named as such when it must be dropped.

mod support;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(20);

/// A FIFO at `path`.
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A real-shaped event with `size` bytes of configuration name, `id` as its id.
fn event_of(size: usize, id: &str) -> Vec<u8> {
    format!(
        r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.config_set","source":"NBIGHOST","datacontenttype":"application/json","time":"2026-01-01T00:00:00Z","data":{{"config_name":"{}"}}}}"#,
        "x".repeat(size)
    )
    .into_bytes()
}

/// Waits until the pipe `stdout` reads from is full (60 KiB of the 64 KiB a pipe takes by
/// default, unread) and has not moved for a while: latwatch is stuck writing to it.
fn wait_until_full(stdout: &std::process::ChildStdout) {
    use std::os::fd::AsRawFd;
    let deadline = std::time::Instant::now() + WAIT;
    let (mut last, mut since) = (0, std::time::Instant::now());
    loop {
        let mut unread: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int through the pointer given.
        let asked = unsafe { libc::ioctl(stdout.as_raw_fd(), libc::FIONREAD, &mut unread) };
        assert_eq!(asked, 0, "FIONREAD");
        if unread != last {
            (last, since) = (unread, std::time::Instant::now());
        }
        if unread >= 60 << 10 && since.elapsed() >= Duration::from_millis(300) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stdout's pipe never filled ({unread} bytes)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sentinel() -> &'static str {
    FIXTURES_1X.lines().next().unwrap()
}

/// The count in the warning that says how many records were not written.
fn not_written_warned(stderr: &str) -> u64 {
    stderr
        .lines()
        .find(|line| line.contains("warning:") && line.contains("not written to --record"))
        .and_then(|line| line.split("warning: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count of records not written in:\n{stderr}"))
}

/// The count `--summary` gives of records not written.
fn not_written_in_summary(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|line| line.contains("summary:"))
        .unwrap_or_else(|| panic!("no summary in:\n{stderr}"));
    let at = line
        .find(" not written to --record")
        .unwrap_or_else(|| panic!("the summary does not count them: {line}"));
    line[..at]
        .rsplit(' ')
        .next()
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

/// stdout is a pipe nobody reads (a paused pager, a stuck pipeline stage) and latwatch is blocked
/// writing to it: Ctrl-C and SIGTERM still end it, with 0, saying why it did not wait for stdout.
/// Before, the pipeline sat in `write(2)` on the main thread and no shutdown arm was ever polled.
#[test]
fn signals_end_a_run_whose_stdout_nobody_reads() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    for signal in ["INT", "TERM"] {
        let mut latwatch =
            Latwatch::spawn_stalled(latwatch_command(&["-s", &server.url(), "--json"]));
        latwatch.wait_stderr("listening", WAIT);
        // 3 MB: far more than the pipe and latwatch's own buffer hold.
        let template = FIXTURES_1X.lines().nth(2).unwrap();
        publisher.publish_burst(
            "wasmbus.evt.default.component_scaled",
            (0..5000).map(|_| template.as_bytes().to_vec()),
        );
        // latwatch is stuck once the pipe is full: 3 MB cannot all be in its own buffer.
        let stdout = latwatch.take_stdout();
        wait_until_full(&stdout);
        latwatch.signal(signal);
        let status = latwatch.wait_exit(WAIT);
        let stderr = latwatch.stderr();
        assert_eq!(status.code(), Some(0), "SIG{signal}: {stderr}");
        assert!(stderr.contains("stdout has taken nothing"), "{stderr}");
    }
}

/// `--record` into a FIFO whose reader opened it and stopped reading: stdout still gets every
/// event (the recording has its own queue and thread), Ctrl-C ends the run, and what the FIFO did
/// not take is counted on stderr and in `--summary`, exactly: records read from the FIFO plus
/// records reported not written are the messages received.
#[test]
fn a_fifo_whose_reader_stopped_stalls_nothing_and_the_loss_is_counted() {
    let server = NatsServer::start();
    let dir = temp_dir("fifo");
    let fifo = dir.join("recording");
    mkfifo(&fifo);
    let (go_tx, go) = std::sync::mpsc::channel::<()>();
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::open(&reader_path).expect("open the FIFO");
        // Stopped: nothing is read until latwatch has ended.
        let _ = go.recv();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("read the FIFO");
        bytes
    });
    let mut latwatch = Latwatch::listening(
        &server,
        &["--json", "--summary", "--record", fifo.to_str().unwrap()],
    );
    let publisher = Publisher::connect(&server.url());
    const N: usize = 2000;
    // 2000 events of ~600 bytes: 1.2 MB, a FIFO holds 64 KiB.
    let template = FIXTURES_1X.lines().nth(2).unwrap();
    publisher.publish_burst(
        "wasmbus.evt.default.component_scaled",
        (0..N).map(|_| template.as_bytes().to_vec()),
    );
    publisher.publish_event("default", sentinel());
    let lines = latwatch.lines(N + 1, WAIT);
    assert_eq!(lines[N].trim_end(), sentinel());
    latwatch.signal("INT");
    let status = latwatch.wait_exit(WAIT);
    let stderr = latwatch.stderr();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let not_written = not_written_warned(&stderr);
    assert_eq!(
        not_written_in_summary(&stderr),
        not_written,
        "--summary counts them too: {stderr}"
    );
    assert!(not_written > 0, "{stderr}");
    go_tx.send(()).unwrap();
    let recorded = reader.join().unwrap();
    let whole = recorded.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(whole + not_written, N as u64 + 1, "{stderr}");
}

/// `--record` into a FIFO nobody ever opens: startup does not wait for a reader, events are
/// shown, Ctrl-C ends the run, and every record is counted as not written. Before, latwatch
/// blocked in `open(2)` before it even connected.
#[test]
fn a_fifo_nobody_opens_holds_up_nothing() {
    let server = NatsServer::start();
    let dir = temp_dir("fifo");
    let fifo = dir.join("recording");
    mkfifo(&fifo);
    let mut latwatch =
        Latwatch::listening(&server, &["--json", "--record", fifo.to_str().unwrap()]);
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("default", sentinel());
    latwatch.lines(1, WAIT);
    latwatch.signal("TERM");
    let status = latwatch.wait_exit(WAIT);
    let stderr = latwatch.stderr();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(not_written_warned(&stderr), 1, "{stderr}");
}

/// A recording that cannot be written (a full disk: /dev/full) is said at once, the watch goes
/// on, and the run exits 1 at its end with the reason, as the README's exit codes promise.
/// Before, a live run said it once and exited 0.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_under_record_is_exit_1_with_the_reason() {
    let server = NatsServer::start();
    let mut latwatch = Latwatch::listening(&server, &["--json", "--record", "/dev/full"]);
    let publisher = Publisher::connect(&server.url());
    publisher.publish_event("default", sentinel());
    latwatch.lines(1, WAIT);
    latwatch.wait_stderr("cannot write --record /dev/full", WAIT);
    // The watch goes on.
    publisher.publish_event("default", sentinel());
    latwatch.lines(1, WAIT);
    latwatch.signal("INT");
    let status = latwatch.wait_exit(WAIT);
    let stderr = latwatch.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("cannot write --record /dev/full") && last.contains("(exit 1)"),
        "the reason comes last: {stderr}"
    );

    // Reading a capture: every line is still shown, and the end is exit 1 with the reason.
    let capture = format!("{}\n{}\n", sentinel(), sentinel());
    let (status, stdout, stderr) = run_with_stdin(
        &["--input", "-", "--json", "--record", "/dev/full"],
        capture.as_bytes(),
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&stdout).lines().count(), 2);
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

/// An event larger than the whole `--buffer` is shown when nothing else waits for stdout: the
/// buffer bounds what piles up, not the size of one event. Before, it was dropped, with a warning
/// blaming a slow output.
#[test]
fn an_event_larger_than_the_buffer_passes_when_the_output_is_idle() {
    let dir = temp_dir("oversized");
    let config = dir.join("server.conf");
    std::fs::write(&config, "max_payload: 8388608\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let latwatch = Latwatch::listening(&server, &["--json", "--buffer", "1MiB"]);
    let publisher = Publisher::connect(&server.url());
    publisher.publish("wasmbus.evt.default.config_set", event_of(2 << 20, "big"));
    publisher.publish_event("default", sentinel());
    let lines = latwatch.lines(2, WAIT);
    assert!(lines[0].len() > 2 << 20, "the big event comes first");
    assert!(lines[0].contains(r#""id":"big""#));
    assert_eq!(lines[1].trim_end(), sentinel());
    let stderr = latwatch.stderr();
    assert!(!stderr.contains("dropp"), "{stderr}");
}

/// When such an event must be dropped (stdout is stalled and events wait), the warning says it
/// is larger than the buffer, not that the output is slow.
#[test]
fn an_event_larger_than_the_buffer_is_named_when_it_is_dropped() {
    let dir = temp_dir("oversized");
    let config = dir.join("server.conf");
    std::fs::write(&config, "max_payload: 8388608\n").unwrap();
    let server = NatsServer::start_with(&["-c", config.to_str().unwrap()]);
    let latwatch = Latwatch::spawn_stalled(latwatch_command(&[
        "-s",
        &server.url(),
        "--json",
        "--buffer",
        "1MiB",
    ]));
    latwatch.wait_stderr("listening", WAIT);
    let publisher = Publisher::connect(&server.url());
    let template = FIXTURES_1X.lines().nth(2).unwrap();
    // Enough to block stdout, then more that waits behind it.
    for _ in 0..2 {
        publisher.publish_burst(
            "wasmbus.evt.default.component_scaled",
            (0..1000).map(|_| template.as_bytes().to_vec()),
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // At most the first can pass (if nothing waited); the second finds the first waiting.
    publisher.publish("wasmbus.evt.default.config_set", event_of(2 << 20, "big1"));
    publisher.publish("wasmbus.evt.default.config_set", event_of(2 << 20, "big2"));
    let stderr = latwatch.wait_stderr("larger than the whole 1 MiB --buffer", WAIT);
    assert!(
        stderr.contains("an event of 2.0 MiB on wasmbus.evt.default.config_set"),
        "{stderr}"
    );
}
