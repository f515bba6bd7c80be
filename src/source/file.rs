//! Files: one message per line, from a capture file or stdin (`--input -`).
//!
//! A line is one of
//! - a raw CloudEvent (what `latwatch --json` and `nats sub --raw` print),
//! - a latwatch `-o jsonl` record `{"subject", "received", "event"}` (or `"error"` + `"payload"` for a
//!   payload that was not JSON): the event bytes are used as they are, so `--json` on a replayed
//!   record prints what was received, byte for byte;
//! - a `{"gap": {"from", "to"}}` record, passed on as a gap (kept by `-o jsonl`).
//!
//! Blank lines are skipped. Reading is synchronous and borrows each line from one reused buffer; the
//! sink is flushed whenever the reader has nothing buffered, i.e. before a read that may block, so a
//! slow producer on stdin (`nats sub --raw … | latwatch --input -`) is shown line by line.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{json_str, RawMessage, Received};
use crate::pipeline::{Flow, Pipeline, Stop};

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

/// Reads `path` (`-` for stdin) to the end, or until `--count`, an `--until` match or
/// `reading.stop` is set.
pub fn run(path: &Path, pipeline: &mut Pipeline, reading: &Reading) -> Result<()> {
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).with_context(|| {
            format!(
                "cannot read --input {}: check the path (use - for stdin)",
                path.display()
            )
        })?)
    };
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    let mut line = Vec::new();
    let (mut lines, mut bytes) = (0u64, 0u64);
    loop {
        if reader.buffer().is_empty() {
            pipeline.flush()?;
        }
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read --input {}", path.display()))?;
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
        if handle_line(&line, pipeline)? == Flow::Done {
            break;
        }
    }
    pipeline.flush()?;
    Ok(())
}

/// What a latwatch `-o jsonl` line holds. Values stay raw: serde does not borrow through
/// `Option<Cow<str>>`, and a recorded `received` must be kept exactly as written.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    subject: Option<&'a RawValue>,
    #[serde(borrow)]
    received: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// `{"gap": {"from", "to"}}`: `-o jsonl`'s record of a time the connection was down.
#[derive(Deserialize)]
struct GapRecord {
    gap: Gap,
}

#[derive(Deserialize)]
struct Gap {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn handle_line(line: &[u8], pipeline: &mut Pipeline) -> io::Result<Flow> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Ok(Flow::Continue);
    }
    if line.starts_with(br#"{"gap":"#) {
        if let Ok(GapRecord { gap }) = serde_json::from_slice::<GapRecord>(line) {
            pipeline.gap(gap.from, gap.to)?;
            return Ok(Flow::Continue);
        }
    }
    // latwatch writes "subject" first; only such lines pay for a second parse.
    if line.starts_with(br#"{"subject":"#) {
        if let Ok(record) = serde_json::from_slice::<Record>(line) {
            let subject = record.subject.and_then(json_str);
            let received = match record.received.and_then(json_str) {
                Some(Cow::Borrowed(text)) => Received::Recorded(text),
                _ => Received::Now,
            };
            let payload_text = record.payload.and_then(json_str);
            let payload = match (record.event, &payload_text) {
                (Some(event), _) => Some(event.get().as_bytes()),
                (None, Some(text)) => Some(text.as_bytes()),
                (None, None) => None,
            };
            if let Some(payload) = payload {
                return pipeline.handle(RawMessage {
                    subject: subject.as_deref(),
                    payload,
                    received,
                });
            }
        }
    }
    pipeline.handle(RawMessage {
        subject: None,
        payload: line,
        received: Received::Now,
    })
}
