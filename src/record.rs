//! `--record FILE`: every received message, before any filter, appended as a `-o jsonl` record
//! (`{"subject", "received", "event"}`, or `"error"` + `"payload"` for a payload that is not JSON).
//! `--input FILE` reads it back: `--json` of the replay prints the bytes `--json` printed live.
//!
//! A thread of its own writes the records, from a queue bounded by bytes ([`QUEUE`]): a live
//! recording never stalls stdout or the subscription, whatever it is written to (a FIFO whose
//! reader stopped reading, a stalled disk). Records are queued the moment they are made and
//! written within moments, so a session that ends any way at all (a crash, `kill -9`) keeps what
//! was received up to then, bar what the queue held. Past the queue's bound live records are
//! dropped and counted, said at once and at the end (and in `--summary`); records of messages
//! read from a file or a stream wait for room instead ([`Recorder::waiting`]): nothing is lost by
//! waiting there. A write that fails (a full disk, EIO, a FIFO's reader gone) stops the recording,
//! is said at once, and makes the run exit 1 at its end with the reason ([`Recorded::tell`]).
//!
//! A FIFO is opened by the writer thread too: opening one blocks until a reader comes, which must
//! not hold up startup (or make Ctrl-C wait for it).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::event::Event;
use crate::output::Status;
use crate::render::json::write_jsonl;
use crate::state::lattice::Facts;

/// Bytes of records that may wait for the writer. A record larger than this is still taken when
/// nothing waits.
pub const QUEUE: usize = 64 << 20;
/// At the end, how long the writer may go without writing a record before what it still holds
/// counts as not written (a FIFO whose reader stopped never takes it).
pub const PATIENCE: Duration = Duration::from_secs(1);
/// "Records are dropped" is said at most this often (the count is said at the end).
const WARN_EVERY: Duration = Duration::from_secs(10);
/// The writer keeps at most this much of a drained batch's memory for the next one.
const KEEP: usize = 1 << 20;

/// Where records go: cheap to clone (the NATS intake and the pipeline each hold one), one writer
/// thread and one file behind them all.
pub struct Recorder {
    shared: Arc<Shared>,
    /// One record, built here before it is queued.
    line: Vec<u8>,
    /// When the queue is full: wait for room (messages read from a file or a stream, which lose
    /// nothing by waiting) rather than drop (live messages, which must never wait).
    waits: bool,
}

impl Clone for Recorder {
    fn clone(&self) -> Recorder {
        Recorder {
            shared: self.shared.clone(),
            line: Vec::new(),
            waits: self.waits,
        }
    }
}

struct Shared {
    path: PathBuf,
    status: Status,
    queue: Mutex<Queue>,
    /// The writer waits here for records.
    work: Condvar,
    /// [`Recorder::close`] waits here for the writer's progress.
    progress: Condvar,
    /// Records written whole.
    written: AtomicU64,
    /// Records the writer took but could not write (the recording had failed).
    lost: AtomicU64,
}

#[derive(Default)]
struct Queue {
    /// The waiting records, one after another, and where each one ends.
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Records the writer has taken.
    taken: u64,
    /// Records that were never queued: the queue was full, or the recording had failed.
    dropped: u64,
    /// When "records are dropped" was last said.
    warned: Option<Instant>,
    /// Why the recording stopped.
    failed: Option<String>,
    /// The run ended: nothing more is queued.
    closed: bool,
}

/// How a recording went, known at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `--record`'s file, as messages show it.
    pub shown: String,
    /// Records that did not reach the file: dropped past the queue's bound, after a failure, or
    /// still waiting when the run ended and the writer could not take them.
    pub not_written: u64,
    /// Why writing failed, if it did: the run exits 1.
    pub failed: Option<String>,
}

impl Recorded {
    /// Says on stderr what did not go well; true when the run must exit 1.
    pub fn tell(&self, status: Status) -> bool {
        let records = match self.not_written {
            1 => "1 record".to_owned(),
            n => format!("{n} records"),
        };
        match &self.failed {
            Some(why) => {
                status.error(format_args!("{why}; {records} not written (exit 1)"));
                true
            }
            None => {
                if self.not_written > 0 {
                    status.warn(format_args!(
                        "{records} not written to --record {}: it did not take them in time (a \
                         FIFO whose reader stopped or never came, a stalled disk)",
                        self.shown
                    ));
                }
                false
            }
        }
    }
}

impl Recorder {
    /// Opens `path` for appending (creating it): a second session adds to the first. A FIFO is
    /// opened by the writer thread, when a reader comes.
    pub fn open(path: &Path, status: Status) -> anyhow::Result<Recorder> {
        let file = match is_fifo(path) {
            true => None,
            false => Some(open(path).with_context(|| {
                format!(
                    "cannot open --record {} for appending: check the directory exists and is \
                     writable",
                    crate::text::escape_path(path)
                )
            })?),
        };
        let shared = Arc::new(Shared {
            path: path.to_owned(),
            status,
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            written: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        });
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("latwatch-record".to_owned())
            .spawn(move || writer.write(file))
            .context("cannot start the --record writer thread")?;
        Ok(Recorder {
            shared,
            line: Vec::with_capacity(4096),
            waits: false,
        })
    }

    /// This recorder waits for room in a full queue instead of dropping: for messages read from
    /// a file or a stream, where waiting loses nothing. Ctrl-C still ends a run waiting here
    /// (`crate::shutdown`).
    pub fn waiting(mut self) -> Recorder {
        self.waits = true;
        self
    }

    /// Queues `event` as a record. Never waits for the file; when the queue is full, drops the
    /// record (counted) or, for a [`Recorder::waiting`] one, waits for room.
    pub fn record(&mut self, event: &Event) {
        self.line.clear();
        // Into a Vec: cannot fail.
        let _ = write_jsonl(event, &Facts::default(), &mut self.line);
        let Ok(mut queue) = self.shared.queue.lock() else {
            return;
        };
        loop {
            if queue.closed {
                return;
            }
            if queue.failed.is_some() {
                queue.dropped += 1;
                return;
            }
            if queue.ends.is_empty() || queue.bytes.len() + self.line.len() <= QUEUE {
                break;
            }
            if !self.waits {
                queue.dropped += 1;
                let say = queue.warned.is_none_or(|at| at.elapsed() >= WARN_EVERY);
                if say {
                    queue.warned = Some(Instant::now());
                }
                let waiting = queue.bytes.len() >> 20;
                drop(queue);
                if say {
                    self.shared.status.warn(format_args!(
                        "--record {} is not taking records (a FIFO whose reader stopped, a \
                         stalled disk): {waiting} MiB wait; dropping records until it catches \
                         up (counted at the end); stdout goes on",
                        self.shared.shown(),
                    ));
                }
                return;
            }
            queue = match self.shared.progress.wait(queue) {
                Ok(queue) => queue,
                Err(_) => return,
            };
        }
        let wake = queue.ends.is_empty();
        queue.bytes.extend_from_slice(&self.line);
        let end = queue.bytes.len();
        queue.ends.push(end);
        drop(queue);
        // The writer only ever waits on an empty queue.
        if wake {
            self.shared.work.notify_one();
        }
    }

    /// Ends the recording: waits while the writer writes what is queued, giving up after
    /// `patience` without a record written, or after `at_most` in all. Any clone may call it, more
    /// than once; records queued afterwards are ignored.
    pub fn close(&self, patience: Duration, at_most: Option<Duration>) -> Recorded {
        let shared = &self.shared;
        let Ok(mut queue) = shared.queue.lock() else {
            return Recorded {
                shown: shared.shown(),
                not_written: 0,
                failed: Some("the --record writer failed".to_owned()),
            };
        };
        queue.closed = true;
        shared.work.notify_one();
        shared.progress.notify_all();
        let done = || shared.written.load(Ordering::Acquire) + shared.lost.load(Ordering::Acquire);
        let mut last = done();
        let mut moved = Instant::now();
        let began = Instant::now();
        let abandoned = loop {
            let finished = done();
            if queue.ends.is_empty() && finished == queue.taken {
                break 0;
            }
            if finished != last {
                last = finished;
                moved = Instant::now();
            }
            if moved.elapsed() >= patience || at_most.is_some_and(|most| began.elapsed() >= most) {
                break queue.taken.saturating_sub(finished) + queue.ends.len() as u64;
            }
            queue = match shared
                .progress
                .wait_timeout(queue, Duration::from_millis(50))
            {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        Recorded {
            shown: shared.shown(),
            not_written: queue.dropped + shared.lost.load(Ordering::Acquire) + abandoned,
            failed: queue.failed.clone(),
        }
    }
}

impl Shared {
    fn shown(&self) -> String {
        crate::text::escape_path(&self.path)
    }

    /// The writer thread: takes what is queued, writes it, until the recording is closed and
    /// drained. A FIFO is written record by record: a write blocked on a reader that stopped may
    /// have passed part of what it was given, so only records written whole count as written.
    /// Anything else is written a batch at a time (a full disk returns how far it got).
    fn write(&self, mut file: Option<File>) {
        let per_record = file.is_none();
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        loop {
            {
                let Ok(mut queue) = self.queue.lock() else {
                    return;
                };
                while queue.ends.is_empty() && !queue.closed {
                    queue = match self.work.wait(queue) {
                        Ok(queue) => queue,
                        Err(_) => return,
                    };
                }
                if queue.ends.is_empty() {
                    return; // closed and drained
                }
                std::mem::swap(&mut queue.bytes, &mut bytes);
                std::mem::swap(&mut queue.ends, &mut ends);
                queue.taken += ends.len() as u64;
            }
            // Room again for a recorder waiting for it.
            self.progress.notify_all();
            if file.is_none() && !self.failed() {
                // A FIFO: this waits for its reader.
                match open(&self.path) {
                    Ok(opened) => file = Some(opened),
                    Err(err) => self.fail(format!("cannot open --record {}: {err}", self.shown())),
                }
            }
            let written = match (&mut file, self.failed()) {
                (Some(out), false) => match per_record {
                    true => self.write_records(out, &bytes, &ends),
                    false => self.write_batch(out, &bytes, &ends),
                },
                _ => 0,
            };
            if written < ends.len() {
                file = None;
                self.lost
                    .fetch_add((ends.len() - written) as u64, Ordering::Release);
            }
            bytes.clear();
            ends.clear();
            if bytes.capacity() > KEEP {
                bytes = Vec::new();
            }
            self.progress.notify_all();
        }
    }

    /// One `write_all` per record; how many were written whole (all, unless writing failed).
    fn write_records(&self, out: &mut File, bytes: &[u8], ends: &[usize]) -> usize {
        let mut start = 0;
        for (done, &end) in ends.iter().enumerate() {
            if let Err(err) = out.write_all(&bytes[start..end]) {
                self.fail(format!("cannot write --record {}: {err}", self.shown()));
                return done;
            }
            start = end;
            self.written.fetch_add(1, Ordering::Release);
        }
        ends.len()
    }

    /// The records as few `write`s as the file takes; how many were written whole.
    fn write_batch(&self, out: &mut File, bytes: &[u8], ends: &[usize]) -> usize {
        let (mut at, mut done) = (0, 0);
        while at < bytes.len() {
            match out.write(&bytes[at..]) {
                Ok(0) => {
                    self.fail(format!(
                        "cannot write --record {}: it takes no more bytes",
                        self.shown()
                    ));
                    break;
                }
                Ok(n) => {
                    at += n;
                    let whole = ends[done..].partition_point(|&end| end <= at);
                    done += whole;
                    self.written.fetch_add(whole as u64, Ordering::Release);
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.fail(format!("cannot write --record {}: {err}", self.shown()));
                    break;
                }
            }
        }
        done
    }

    fn failed(&self) -> bool {
        self.queue
            .lock()
            .map_or(true, |queue| queue.failed.is_some())
    }

    /// The recording stopped: said at once (latwatch goes on), remembered for the exit code.
    fn fail(&self, why: String) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.failed.get_or_insert(why.clone());
        }
        // A recorder waiting for room stops waiting.
        self.progress.notify_all();
        self.status.error(format_args!(
            "{why}; recording stopped, the watch goes on (exit 1 at its end)"
        ));
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Opening a FIFO for writing waits for a reader.
fn is_fifo(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, RawMessage, Received};

    fn event(payload: &[u8]) -> Event<'_> {
        decode(RawMessage {
            subject: Some("wasmbus.evt.default.x"),
            payload,
            received: Received::Now,
            reply: None,
        })
    }

    #[test]
    fn every_record_is_written_by_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.jsonl");
        let mut recorder = Recorder::open(&path, Status { quiet: true }).unwrap();
        let mut other = recorder.clone();
        for i in 0..1000 {
            let payload = format!(r#"{{"specversion":"1.0","id":"{i}"}}"#);
            match i % 2 {
                0 => recorder.record(&event(payload.as_bytes())),
                _ => other.record(&event(payload.as_bytes())),
            }
        }
        let recorded = recorder.close(PATIENCE, None);
        assert_eq!(recorded.not_written, 0);
        assert_eq!(recorded.failed, None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1000);
        for (i, line) in text.lines().enumerate() {
            assert!(line.contains(&format!(r#""id":"{i}""#)), "{line}");
        }
        // Closed: later records are not taken.
        recorder.record(&event(b"{}"));
        assert_eq!(recorder.close(PATIENCE, None), recorded);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_fails_the_recording_and_counts_what_was_not_written() {
        let mut recorder = Recorder::open(Path::new("/dev/full"), Status { quiet: true }).unwrap();
        for _ in 0..3 {
            recorder.record(&event(b"{}"));
        }
        let recorded = recorder.close(PATIENCE, None);
        assert_eq!(recorded.not_written, 3);
        let why = recorded.failed.expect("a failure");
        assert!(why.contains("cannot write --record /dev/full"), "{why}");
    }
}
