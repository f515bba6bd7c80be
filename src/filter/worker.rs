//! The jq worker: a child process (latwatch itself, started with [`WORKER_ARG`]) that judges
//! events for the expressions that may not run on the watcher's thread (`bounded.rs`).
//!
//! It evaluates under the same budget as the watcher's thread (`budget.rs`), so a runaway that
//! passes checkpoints (`reduce range(1e15) …`, `def f: 1 + f; f`, `[range(.data.n)]`) is stopped
//! there and the worker answers at once. What checkpoints cannot stop is contained by the process
//! boundary: a single huge allocation (`"x" * 1e15`) goes over the allocator's hard limit and the
//! worker aborts; a stack overflow ends it; one built-in working too long (comparing two values
//! built to share themselves exponentially) runs out of CPU time and the worker's watchdog thread
//! ends the process ([`overtime`]). The watcher reads "no answer", counts the event as not
//! matching with a note, and starts a fresh worker for the next event. Should the worker stop
//! answering at all, the watcher kills it after [`answer_within`]. Nothing the worker does can take
//! memory, time or the process from the watcher.
//!
//! The worker cannot outlive the watcher: it reads requests on a socket (its stdin) and ends at
//! end of input, and its watchdog ends it when its parent is gone.
//!
//! The protocol, on one Unix socket: the watcher sends the expression, the worker answers
//! "ready"; then per event the watcher sends the payload and the worker answers keep, drop, or an
//! error with its reason. Lengths are 4 bytes, little-endian.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd as _, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::budget;
use super::jq::{Compiled, Judged};
use crate::text::escape_untrusted;

/// The argument that makes latwatch a jq worker (checked by `main` before anything else).
pub const WORKER_ARG: &str = "__latwatch-jq-worker";
/// The worker's watchdog ends it with this exit code when a judgement used more CPU time than
/// [`overtime`] allows.
const OVERTIME_EXIT: i32 = 3;
/// How long a starting worker may take to compile the expression and say it is ready.
const START_WITHIN: Duration = Duration::from_secs(10);
/// The worker judges on a thread with this much stack (reserved, touched only as used) ...
const WORKER_STACK: usize = 64 << 20;
/// ... and lets one judgement use this much of it: recursion in the expression stops here with a
/// note; what recurses between checkpoints (dropping a deeply nested value) has the rest.
const WORKER_STACK_LIMIT: usize = 16 << 20;
/// An allocation that puts a judgement this many times past its memory budget ends the worker.
const HARD_LIMIT_FACTOR: usize = 2;

const READY: u8 = b'R';
const KEEP: u8 = b'K';
const DROP: u8 = b'D';
const ERROR: u8 = b'E';

/// The watcher's side: starts the worker at the first event and again after one was stopped.
pub struct Worker {
    code: String,
    running: Mutex<Option<Running>>,
}

struct Running {
    child: Child,
    socket: UnixStream,
}

/// Why a judgement got no answer.
enum Lost {
    /// The worker did not answer within [`KILL_AFTER`].
    TooLong,
    /// The connection ended or failed: the worker died (how, once reaped).
    Gone,
}

/// CPU time a judgement of `payload_len` bytes may use in the worker before its watchdog ends it:
/// the budget's clock (which stops what passes checkpoints) and a second more.
pub fn overtime(payload_len: usize) -> Duration {
    budget::time_limit(payload_len) + Duration::from_secs(1)
}

/// How long the watcher waits for an answer before it kills the worker: long enough for the
/// watchdog to act on a busy machine; this only catches a worker that is stopped or wedged.
pub fn answer_within(payload_len: usize) -> Duration {
    overtime(payload_len) * 4 + Duration::from_secs(10)
}

impl Worker {
    /// A worker for `code`, which has compiled (the worker compiles it again).
    pub fn new(code: &str) -> Worker {
        Worker {
            code: code.to_owned(),
            running: Mutex::new(None),
        }
    }

    /// Judges `json` in the worker, starting one if none runs.
    pub fn judge(&self, json: &[u8]) -> Judged {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let worker = match running.as_mut() {
            Some(worker) => worker,
            None => match Running::start(&self.code) {
                Ok(started) => running.insert(started),
                Err(why) => return Judged::Error(why),
            },
        };
        match worker.ask(json) {
            Ok(judged) => judged,
            Err(lost) => {
                let why = match (lost, running.take()) {
                    (Lost::TooLong, Some(worker)) => {
                        worker.stop();
                        format!(
                            "its worker process gave no answer within {} and was stopped",
                            humantime::format_duration(answer_within(json.len()))
                        )
                    }
                    (_, Some(worker)) => worker.stop_dead(),
                    (_, None) => "its worker process was lost".to_owned(),
                };
                Judged::Error(why)
            }
        }
    }
}

impl Running {
    fn start(code: &str) -> Result<Running, String> {
        let cannot = |why: &dyn std::fmt::Display| format!("cannot start the jq worker: {why}");
        let (mut socket, theirs) = UnixStream::pair().map_err(|e| cannot(&e))?;
        // Linux names the running binary even when its file was replaced since.
        let program = match std::path::Path::new("/proc/self/exe").exists() {
            true => std::path::PathBuf::from("/proc/self/exe"),
            false => std::env::current_exe().map_err(|e| cannot(&e))?,
        };
        let child = Command::new(program)
            .arg(WORKER_ARG)
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| cannot(&e))?;
        let running = Running {
            child,
            socket: socket.try_clone().map_err(|e| cannot(&e))?,
        };
        let deadline = Instant::now() + START_WITHIN;
        let started = send(&mut socket, code.as_bytes(), deadline)
            .and_then(|()| receive(&mut socket, deadline));
        match started {
            Ok((READY, _)) => Ok(running),
            Ok((_, why)) => {
                running.stop();
                Err(cannot(&escape_untrusted(&String::from_utf8_lossy(&why))))
            }
            Err(_) => {
                running.stop();
                Err(cannot(&"it did not say it was ready"))
            }
        }
    }

    fn ask(&mut self, json: &[u8]) -> Result<Judged, Lost> {
        let deadline = Instant::now() + answer_within(json.len());
        send(&mut self.socket, json, deadline)?;
        let (verdict, why) = receive(&mut self.socket, deadline)?;
        Ok(match verdict {
            KEEP => Judged::Keep,
            DROP => Judged::Drop,
            _ => Judged::Error(escape_untrusted(&String::from_utf8_lossy(&why)).into_owned()),
        })
    }

    /// Kills and reaps the worker.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Reaps a worker that went away by itself, and says how it ended.
    fn stop_dead(mut self) -> String {
        let _ = self.child.kill();
        match self.child.wait() {
            // The allocator's hard limit aborts (SIGABRT, 6); so does Rust on a stack overflow.
            Ok(status) if status.signal() == Some(6) => {
                "it needed far more memory or stack than its budget allows; its worker process \
                 was stopped"
                    .to_owned()
            }
            Ok(status) if status.code() == Some(OVERTIME_EXIT) => format!(
                "it used more CPU time than its budget allows ({} and {} per byte of the event); \
                 its worker process was stopped",
                humantime::format_duration(overtime(0)),
                humantime::format_duration(budget::TIME_PER_PAYLOAD_BYTE)
            ),
            Ok(status) => format!("its worker process ended ({status})"),
            Err(error) => format!("its worker process ended ({error})"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(running) = self
            .running
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            running.stop();
        }
    }
}

/// Writes one length-prefixed message, giving up at `deadline`.
fn send(socket: &mut UnixStream, message: &[u8], deadline: Instant) -> Result<(), Lost> {
    let length = u32::try_from(message.len()).map_err(|_| Lost::Gone)?;
    let timeout = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    socket
        .set_write_timeout(Some(timeout))
        .map_err(|_| Lost::Gone)?;
    let written = socket
        .write_all(&length.to_le_bytes())
        .and_then(|()| socket.write_all(message));
    written.map_err(|error| match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Lost::TooLong,
        _ => Lost::Gone,
    })
}

/// Reads one answer: a verdict byte and a length-prefixed reason.
fn receive(socket: &mut UnixStream, deadline: Instant) -> Result<(u8, Vec<u8>), Lost> {
    let mut head = [0u8; 5];
    read_by(socket, &mut head, deadline)?;
    let [verdict, length @ ..] = head;
    let length = u32::from_le_bytes(length) as usize;
    // Reasons are short: a longer one means the stream is broken.
    if length > 64 << 10 {
        return Err(Lost::Gone);
    }
    let mut why = vec![0u8; length];
    read_by(socket, &mut why, deadline)?;
    Ok((verdict, why))
}

fn read_by(socket: &mut UnixStream, buffer: &mut [u8], deadline: Instant) -> Result<(), Lost> {
    let mut filled = 0;
    while filled < buffer.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Lost::TooLong);
        }
        socket
            .set_read_timeout(Some(left))
            .map_err(|_| Lost::Gone)?;
        match socket.read(&mut buffer[filled..]) {
            Ok(0) => return Err(Lost::Gone),
            Ok(n) => filled += n,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(Lost::TooLong)
            }
            Err(_) => return Err(Lost::Gone),
        }
    }
    Ok(())
}

/// The worker's side: `latwatch __latwatch-jq-worker`, stdin a socket to the watcher.
pub fn serve() -> std::process::ExitCode {
    let Ok(socket) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return std::process::ExitCode::FAILURE;
    };
    let socket = UnixStream::from(socket);
    let current = Arc::new(Current::default());
    let watched = current.clone();
    let parent = std::os::unix::process::parent_id();
    std::thread::spawn(move || watchdog(parent, &watched));
    let judging = std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || serve_on(socket, &current));
    match judging.map(|thread| thread.join()) {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::FAILURE,
    }
}

/// The judgement under way, for the watchdog.
#[derive(Default)]
struct Current {
    /// Counts judgements; odd while one is under way.
    sequence: AtomicU64,
    payload_len: AtomicUsize,
}

/// Ends the worker when its parent is gone, or when a judgement used more CPU time than
/// [`overtime`] allows: the last word on a built-in that runs long between two checkpoints.
fn watchdog(parent: u32, current: &Current) {
    let mut watching = (0, Duration::ZERO);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
        let sequence = current.sequence.load(Ordering::Acquire);
        let Some(used) = cpu_time() else {
            continue;
        };
        if sequence != watching.0 {
            watching = (sequence, used);
            continue;
        }
        let payload_len = current.payload_len.load(Ordering::Relaxed);
        if sequence % 2 == 1 && used.saturating_sub(watching.1) > overtime(payload_len) {
            std::process::exit(OVERTIME_EXIT);
        }
    }
}

/// The CPU time this process used, from `/proc/self/stat` (Linux; clock ticks of 1/100 s).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces), from the third: utime, stime are
    // the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index)?.parse::<u64>().ok();
    Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

fn serve_on(mut socket: UnixStream, current: &Current) {
    let Some(code) = read_request(&mut socket) else {
        return;
    };
    let compiled = match String::from_utf8(code)
        .map_err(|e| e.to_string())
        .and_then(|code| Compiled::new(&code))
    {
        Ok(compiled) => compiled,
        Err(why) => {
            let _ = answer(&mut socket, ERROR, why.as_bytes());
            return;
        }
    };
    if answer(&mut socket, READY, b"").is_err() {
        return;
    }
    while let Some(json) = read_request(&mut socket) {
        current.payload_len.store(json.len(), Ordering::Relaxed);
        current.sequence.fetch_add(1, Ordering::Release);
        let limit = budget::memory_limit(json.len()).saturating_mul(HARD_LIMIT_FACTOR);
        budget::set_hard_limit(Some(limit));
        let judged = compiled.judge(&json, WORKER_STACK_LIMIT);
        budget::set_hard_limit(None);
        drop(json);
        current.sequence.fetch_add(1, Ordering::Release);
        let sent = match judged {
            Judged::Keep => answer(&mut socket, KEEP, b""),
            Judged::Drop => answer(&mut socket, DROP, b""),
            Judged::Error(why) => answer(&mut socket, ERROR, why.as_bytes()),
        };
        if sent.is_err() {
            return;
        }
    }
}

fn read_request(socket: &mut UnixStream) -> Option<Vec<u8>> {
    let mut length = [0u8; 4];
    socket.read_exact(&mut length).ok()?;
    let mut message = vec![0u8; u32::from_le_bytes(length) as usize];
    socket.read_exact(&mut message).ok()?;
    Some(message)
}

fn answer(socket: &mut UnixStream, verdict: u8, why: &[u8]) -> std::io::Result<()> {
    let why = &why[..why.len().min(64 << 10)];
    let mut message = Vec::with_capacity(5 + why.len());
    message.push(verdict);
    message.extend_from_slice(&(why.len() as u32).to_le_bytes());
    message.extend_from_slice(why);
    socket.write_all(&message)
}
