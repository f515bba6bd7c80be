//! Files: one message per line, from a capture file or stdin (`--input -`).
//!
//! A line is one of
//! - a raw CloudEvent (what `latwatch --json` and `nats sub --raw` print),
//! - a latwatch `-o jsonl` record `{"subject", "received", "event"}` (or `"app_status"` with wadm's
//!   message as its `"wadm"`, or `"error"` + `"payload"` for a
//!   payload that was not JSON): the event bytes are used as they are, so `--json` on a replayed
//!   record prints what was received, byte for byte;
//! - a `{"gap": {"from", "to", …}}` record, passed on as a gap (kept by `-o jsonl` as recorded).
//!
//! A record marked `"filled": true` (an event a gap's fill supplied) keeps its mark.
//!
//! Blank lines are skipped. Reading is synchronous and borrows each line from one reused buffer; the
//! sink is flushed whenever the reader has nothing buffered, i.e. before a read that may block, so a
//! slow producer on stdin (`nats sub --raw … | latwatch --input -`) is shown line by line.

use std::borrow::Cow;
use std::fs::File;
use std::future::Future;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{json_str, Problem, RawMessage, Received};
use crate::exit_codes::ExitCode;
use crate::gap::Gap;
use crate::output::progress::{Progress, FILE_REFRESH};
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline, Stop};
use crate::shutdown::Shutdown;
use crate::source::Limits;

/// A file run as other threads see it: how far it is (for `--idle-timeout` and the progress bar),
/// and a way to end it.
#[derive(Debug, Default)]
pub struct Reading {
    /// Lines read so far.
    pub lines: AtomicU64,
    /// Bytes read so far.
    pub bytes: AtomicU64,
    /// Set to end the run at the next line.
    pub stop: OnceLock<FileStop>,
}

/// Why a file run was ended from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStop {
    /// Ctrl-C or SIGTERM.
    Signal,
    Limit(Stop),
}

/// A whole file run: reads `path` (`-` for stdin) on this thread to the end, or until `--count`,
/// an `--until` match, `shutdown` (Ctrl-C, SIGTERM), `--timeout` or `--idle-timeout`. A task on
/// `runtime` watches for those and draws the progress bar (`output::progress`).
///
/// The reader blocks in its reads; the watcher sets [`Reading::stop`], which the reader sees at
/// its next line. A reader blocked on a silent stdin has already flushed, so after a grace period
/// the watcher ends the process itself (`Shutdown::exit_now`: `--record` is written out first),
/// saying what the pipeline would have said.
pub fn drive(
    path: &Path,
    pipeline: &mut Pipeline,
    status: Status,
    limits: Limits,
    runtime: &tokio::runtime::Runtime,
    shutdown: &Shutdown,
) -> Result<()> {
    let reading = Arc::new(Reading::default());
    let watcher = reading.clone();
    let (signalled, ending) = (shutdown.signalled(), shutdown.clone());
    runtime.spawn(async move {
        let why = watch(&watcher, limits, signalled).await;
        let _ = watcher.stop.set(why);
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Still blocked in a read (a silent stdin): say what the pipeline would, and go.
        let code = match why {
            FileStop::Signal => ExitCode::Success,
            FileStop::Limit(stop) => {
                if !ending.is_exiting() {
                    stop.tell(status, false);
                }
                stop.exit_code()
            }
        };
        ending.exit_now(code);
    });
    let total = (path != Path::new("-"))
        .then(|| std::fs::metadata(path).ok().map(|m| m.len()))
        .flatten();
    let progress = Arc::new(Progress::bytes(total, status.quiet));
    if progress.is_shown() {
        let (progress, reading) = (progress.clone(), reading.clone());
        runtime.spawn(async move {
            loop {
                progress.set(reading.bytes.load(Ordering::Relaxed));
                tokio::time::sleep(FILE_REFRESH).await;
            }
        });
    }
    let ran = read_all(path, pipeline, &reading);
    progress.finish();
    if let Some(FileStop::Limit(stop)) = reading.stop.get() {
        pipeline.stop(*stop);
    }
    ran
}

/// Waits for what ends a file run early: a signal, `--timeout`, or `--idle-timeout` (no new line
/// for that long).
async fn watch(reading: &Reading, limits: Limits, shutdown: impl Future<Output = ()>) -> FileStop {
    let started = tokio::time::Instant::now();
    let mut last_lines = 0;
    let mut last_change = started;
    tokio::pin!(shutdown);
    if limits.timeout.is_none() && limits.idle.is_none() {
        shutdown.await;
        return FileStop::Signal;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            () = &mut shutdown => return FileStop::Signal,
            _ = tick.tick() => {}
        }
        let now = tokio::time::Instant::now();
        if let Some(timeout) = limits.timeout {
            if now - started >= timeout {
                return FileStop::Limit(Stop::TimedOut(timeout));
            }
        }
        let lines = reading.lines.load(Ordering::Relaxed);
        if lines != last_lines {
            last_lines = lines;
            last_change = now;
        }
        if let Some(idle) = limits.idle {
            if now - last_change >= idle {
                return FileStop::Limit(Stop::Idle(idle));
            }
        }
    }
}

/// Reads `path` (`-` for stdin) to the end, or until `--count`, an `--until` match or
/// `reading.stop` is set.
fn read_all(path: &Path, pipeline: &mut Pipeline, reading: &Reading) -> Result<()> {
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).with_context(|| {
            format!(
                "cannot read --input {}: check the path (use - for stdin)",
                crate::text::escape_path(path)
            )
        })?)
    };
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    let mut line = Vec::new();
    let (mut lines, mut bytes) = (0u64, 0u64);
    // Inside the body of a `nats sub` capture's v2 request or reply (never shown).
    let mut v2_body = None;
    loop {
        if reader.buffer().is_empty() {
            pipeline.flush()?;
        }
        line.clear();
        let read = read_line(&mut reader, &mut line, MAX_LINE)
            .with_context(|| format!("cannot read --input {}", crate::text::escape_path(path)))?;
        if read == 0 {
            pipeline.input_ended();
            break;
        }
        if reading.stop.get().is_some() {
            break;
        }
        // Plain stores of local counts: only this thread writes them.
        lines += 1;
        bytes += read as u64;
        reading.lines.store(lines, Ordering::Relaxed);
        reading.bytes.store(bytes, Ordering::Relaxed);
        let flow = if read > MAX_LINE as u64 {
            let start = &line[..line.len().min(KEPT_OF_A_LONG_LINE)];
            pipeline.handle_cut_short(
                RawMessage {
                    subject: None,
                    payload: start,
                    received: Received::Now,
                    reply: None,
                },
                Problem::TooLong {
                    bytes: read,
                    limit: MAX_LINE as u64,
                },
            )?
        } else {
            handle_line(&line, pipeline, &mut v2_body)?
        };
        if flow == Flow::Done {
            break;
        }
    }
    pipeline.flush()?;
    Ok(())
}

/// The longest line read whole: NATS' largest payload (64 MiB) as a `-o jsonl` record (base64 for
/// a payload that is not UTF-8 grows it by a third), with room to spare. A longer line (say,
/// `--input /dev/zero`) becomes one flagged event and memory stays bounded by this.
pub const MAX_LINE: usize = 96 << 20;
/// How much of a line over [`MAX_LINE`] is kept to show.
const KEPT_OF_A_LONG_LINE: usize = 1024;

/// Reads up to and including the next `\n` into `line`, keeping at most `max` bytes of it (the
/// rest of a longer line is read and dropped). Returns the line's whole length; 0 at the end.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buffer.is_empty() {
            return Ok(total);
        }
        let (take, done) = match memchr::memchr(b'\n', buffer) {
            Some(at) => (at + 1, true),
            None => (buffer.len(), false),
        };
        let room = max.saturating_sub(line.len());
        line.extend_from_slice(&buffer[..take.min(room)]);
        total += take as u64;
        reader.consume(take);
        if done {
            return Ok(total);
        }
    }
}

/// What a latwatch `-o jsonl` line holds. Values stay raw: serde does not borrow through
/// `Option<Cow<str>>`, and a recorded `received` must be kept exactly as written.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    subject: Option<&'a RawValue>,
    #[serde(borrow)]
    received: Option<&'a RawValue>,
    /// A wasmCloud 2 request's reply subject (`--workloads` recordings; `nats sub`-like tools).
    #[serde(borrow)]
    reply: Option<&'a RawValue>,
    /// Present even when it is `null` (a payload can be the JSON `null`).
    #[serde(borrow, default, deserialize_with = "present")]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    /// A payload that was not UTF-8, in standard base64.
    #[serde(borrow)]
    payload_base64: Option<&'a RawValue>,
    /// A wadm status message: `{…, "wadm": <the message as wadm sent it>}`.
    #[serde(borrow)]
    app_status: Option<AppStatusRecord<'a>>,
    /// `true`: supplied by a gap's fill from a stream. Raw, so that another value cannot make
    /// the record unreadable.
    #[serde(borrow)]
    filled: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct AppStatusRecord<'a> {
    #[serde(borrow)]
    wadm: Option<&'a RawValue>,
}

/// A field that is there, whatever its value (`Option`'s own rule would make `null` absent).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_reading_goes_on() {
        let input = format!("{}\nshort\n", "x".repeat(100));
        let mut reader = io::BufReader::with_capacity(16, input.as_bytes());
        let mut line = Vec::new();
        assert_eq!(read_line(&mut reader, &mut line, 10).unwrap(), 101);
        assert_eq!(line, b"xxxxxxxxxx");
        line.clear();
        assert_eq!(read_line(&mut reader, &mut line, 10).unwrap(), 6);
        assert_eq!(line, b"short\n");
        line.clear();
        assert_eq!(read_line(&mut reader, &mut line, 10).unwrap(), 0);
    }
}

/// `{"gap": {"from", "to", …}}`: `-o jsonl`'s record of a time events may be missing.
#[derive(Deserialize)]
struct GapRecord {
    gap: Gap,
}

/// Bytes that mark a line as wasmCloud 2 request/reply traffic (or its secrets) when it is not
/// a record latwatch reads: its subject, a workload id, a pull secret, a password.
fn reads_like_v2(bytes: &[u8]) -> bool {
    // A CloudEvent (every 1.x event) is no v2 message: one scan instead of thirteen for the
    // common line (a bare 1.x capture read 45% slower with all of them).
    if memchr::memmem::find(bytes, b"\"specversion\"").is_some() {
        return false;
    }
    V2_MARKS
        .iter()
        .any(|mark| memchr::memmem::find(bytes, mark).is_some())
}

const V2_MARKS: [&[u8]; 13] = [
    b"\"runtime.host.",
    b"\"_INBOX.",
    b"\"workloadId\"",
    b"\"workload_id\"",
    b"ullSecret\"",
    b"ull_secret\"",
    b"ocalResources\"",
    b"ocal_resources\"",
    b"ostInterfaces\"",
    b"ost_interfaces\"",
    b"itWorld\"",
    b"it_world\"",
    b"assword\"",
];

/// A line that carries no event of its own, dropped as v2 traffic is (counted as filtered).
fn drop_v2(pipeline: &mut Pipeline) -> io::Result<Flow> {
    pipeline.handle(RawMessage {
        subject: Some(crate::v2::HOST_PREFIX),
        payload: b"",
        received: Received::Now,
        reply: None,
    })
}

/// Where a `nats sub` capture's v2 body stands: its JSON nesting depth so far, and whether it has
/// opened (a body ends when its outermost object closes, or at the next header or record).
#[derive(Debug, Clone, Copy)]
struct V2Body {
    depth: i64,
    opened: bool,
}

impl V2Body {
    /// Follows the body's braces through one line (those inside strings do not count).
    fn take(&mut self, line: &[u8]) {
        let (mut in_string, mut escaped) = (false, false);
        for &b in line {
            match (in_string, escaped, b) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (true, false, b'"') => in_string = false,
                (false, _, b'"') => in_string = true,
                (false, _, b'{' | b'[') => {
                    self.depth += 1;
                    self.opened = true;
                }
                (false, _, b'}' | b']') => self.depth -= 1,
                _ => {}
            }
        }
    }

    fn ended(&self) -> bool {
        self.opened && self.depth <= 0
    }
}

fn handle_line(
    line: &[u8],
    pipeline: &mut Pipeline,
    v2_body: &mut Option<V2Body>,
) -> io::Result<Flow> {
    let line = line.trim_ascii();
    if line.is_empty() {
        // (A blank line does not end a v2 body: a pretty body or a header block may hold one.)
        return Ok(Flow::Continue);
    }
    // The body of a v2 request or reply in a `nats sub` capture, a line at a time (a pretty
    // printed start spreads its secrets over many): until the next message's header.
    if let Some(body) = v2_body {
        // The next message's header, or a record of latwatch's, ends it before this line; its
        // outermost object closing ends it after.
        let ends = line.starts_with(b"[#")
            || line.starts_with(br#"{"subject":"#)
            || line.starts_with(br#"{"received":"#);
        if !ends {
            body.take(line);
            if body.ended() {
                *v2_body = None;
            }
            return drop_v2(pipeline);
        }
        *v2_body = None;
    }
    if line.starts_with(br#"{"gap":"#) {
        if let Ok(GapRecord { gap }) = serde_json::from_slice::<GapRecord>(line) {
            pipeline.gap(&gap)?;
            return Ok(Flow::Continue);
        }
    }
    // latwatch writes "subject" first (recordings of `nats sub`-like tools begin with
    // "received"); only such lines pay for a second parse.
    if line.starts_with(br#"{"subject":"#) || line.starts_with(br#"{"received":"#) {
        if let Ok(record) = serde_json::from_slice::<Record>(line) {
            let subject = record.subject.and_then(json_str);
            let filled = record.filled.is_some_and(|value| value.get() == "true");
            let received = match record.received.and_then(json_str) {
                Some(Cow::Borrowed(text)) if filled => Received::RecordedFilled(text),
                Some(Cow::Borrowed(text)) => Received::Recorded(text),
                _ => Received::Now,
            };
            let payload_text = record.payload.and_then(json_str);
            let payload_bytes = record.payload_base64.and_then(json_str).and_then(|text| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .ok()
            });
            let wadm = record.app_status.and_then(|status| status.wadm);
            let payload = match (record.event.or(wadm), &payload_text, &payload_bytes) {
                (Some(event), _, _) => Some(event.get().as_bytes()),
                (None, Some(text), _) => Some(text.as_bytes()),
                (None, None, Some(bytes)) => Some(bytes.as_slice()),
                (None, None, None) => None,
            };
            let reply = record.reply.and_then(json_str);
            // No subject, but a body that reads like a v2 request or reply: never shown.
            if let (Some(payload), None) = (payload, subject.as_deref()) {
                if reads_like_v2(payload) {
                    return drop_v2(pipeline);
                }
            }
            if let (Some(payload), Some(subject)) = (payload, subject.as_deref()) {
                // A host's answer: cleaned like a request (it may echo a start's spec).
                if subject.starts_with(crate::v2::INBOX_PREFIX) {
                    let Some(clean) = crate::v2::clean_answer(payload) else {
                        return drop_v2(pipeline);
                    };
                    return pipeline.handle(RawMessage {
                        subject: Some(subject),
                        payload: &clean,
                        received,
                        reply: None,
                    });
                }
                // A wasmCloud 2 request: redacted before anything sees it (one that cannot be
                // read cannot be cleaned, and goes nowhere).
                if subject.starts_with(crate::v2::HOST_PREFIX) {
                    let Some(clean) = crate::v2::clean_request(subject, payload) else {
                        return pipeline.handle(RawMessage {
                            subject: Some(subject),
                            payload: b"",
                            received,
                            reply: None,
                        });
                    };
                    return pipeline.handle(RawMessage {
                        subject: Some(subject),
                        payload: &clean,
                        received,
                        reply: reply.as_deref(),
                    });
                }
            }
            if let Some(payload) = payload {
                return pipeline.handle(RawMessage {
                    subject: subject.as_deref(),
                    payload,
                    received,
                    reply: None,
                });
            }
            // A wasmCloud 2 request or reply in a form not read here: a workload start carries
            // secrets, so it goes nowhere (the pipeline drops it by its subject).
            if subject.as_deref().is_some_and(crate::v2::carries_secrets) {
                return pipeline.handle(RawMessage {
                    subject: subject.as_deref(),
                    payload: b"",
                    received,
                    reply: None,
                });
            }
        }
    }
    // Not a record latwatch reads, but naming v2's requests or replies (a `nats sub` header
    // line), or a bare body that reads like one (the line after such a header, `nats sub --raw`):
    // never passed on whole.
    if reads_like_v2(line) {
        // A `nats sub` header naming a v2 subject: its body follows on the next lines.
        if line.starts_with(b"[#") {
            *v2_body = Some(V2Body {
                depth: 0,
                opened: false,
            });
        }
        return drop_v2(pipeline);
    }
    pipeline.handle(RawMessage {
        subject: None,
        payload: line,
        received: Received::Now,
        reply: None,
    })
}
