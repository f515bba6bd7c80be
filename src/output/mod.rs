//! The sink: where rendered events go (stdout), and the one way status talks (stderr).
//!
//! stdout carries events only, through one buffered writer. The pipeline flushes it whenever no
//! further event is immediately ready, so a burst costs one write and a lone event appears at once
//! (a pipe into jq sees it without waiting). A closed stdout surfaces as an `io::Error` of kind
//! `BrokenPipe` — Rust ignores SIGPIPE — and `main` turns that into a quiet exit 0.
//!
//! A stdout nobody reads (a paused pager, a stuck pipeline stage) blocks the pipeline's thread in
//! `write(2)`; [`stdout_writes`] lets the shutdown watcher (`crate::shutdown`) tell that apart
//! from a pipeline that is merely busy.

pub mod progress;

use std::collections::VecDeque;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Buffered stdout.
pub struct Sink {
    out: BufWriter<Watched>,
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink {
            out: BufWriter::with_capacity(64 * 1024, Watched(Some(io::stdout().lock()))),
        }
    }

    /// A sink that writes nothing: a view (`top`) draws on stdout itself.
    pub fn none() -> Sink {
        Sink {
            out: BufWriter::with_capacity(0, Watched(None)),
        }
    }

    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes to stdout begun plus writes ended: odd while one is under way. One stdout per process,
/// so one counter; it moves once per 64 KiB buffer or flush, not per event.
static STDOUT_WRITES: AtomicU64 = AtomicU64::new(0);

/// Where stdout's writes stand: odd while a write is under way; a value that stays odd is a
/// stdout that takes nothing.
pub fn stdout_writes() -> u64 {
    STDOUT_WRITES.load(Ordering::Acquire)
}

/// Locked stdout, counting its writes in [`STDOUT_WRITES`] (each `write`, so a slow reader that
/// takes a little at a time is seen moving).
/// `None`: nothing is written ([`Sink::none`]).
struct Watched(Option<StdoutLock<'static>>);

impl Watched {
    fn counted<T>(&mut self, nothing: T, write: impl FnOnce(&mut StdoutLock<'static>) -> T) -> T {
        let Some(out) = &mut self.0 else {
            return nothing;
        };
        STDOUT_WRITES.fetch_add(1, Ordering::AcqRel);
        let result = write(out);
        STDOUT_WRITES.fetch_add(1, Ordering::AcqRel);
        result
    }
}

impl Write for Watched {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.counted(Ok(bytes.len()), |out| out.write(bytes))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.counted(Ok(()), |out| out.flush())
    }
}

/// Status, warnings and errors on stderr, prefixed `latwatch:`. Cheap to copy into callbacks.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// `-q`: drop status lines; warnings and errors are always shown.
    pub quiet: bool,
}

impl Status {
    /// A status line (`listening …`, `reconnected …`); silenced by `--quiet`.
    pub fn info(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            self.write(format_args!("latwatch: {message}"));
        }
    }

    /// Something the user asked for on stderr (`--summary`): shown even with `--quiet`.
    pub fn report(&self, message: impl std::fmt::Display) {
        self.write(format_args!("latwatch: {message}"));
    }

    /// Something the user should know even with `--quiet` (lost events, skipped payloads).
    pub fn warn(&self, message: impl std::fmt::Display) {
        self.write(format_args!("latwatch: warning: {message}"));
    }

    /// A fatal error, with what to do about it.
    pub fn error(&self, message: impl std::fmt::Display) {
        self.write(format_args!("latwatch: error: {message}"));
    }

    fn write(&self, line: std::fmt::Arguments) {
        // The net under every caller's escaping (`text::escape_lines`): a value no caller thought
        // of (a path in an error chain, a server's error text) cannot bring a raw control
        // character to a terminal or a CI log either.
        let text = line.to_string();
        let text = crate::text::escape_lines(&text);
        if CAPTURING.load(Ordering::Acquire) {
            if let Ok(mut captured) = CAPTURED.lock() {
                if captured.len() == CAPTURED_KEPT {
                    captured.pop_front();
                }
                captured.push_back(text.into_owned());
                return;
            }
        }
        // stderr is unbuffered; a failure to write a status line has nowhere to be reported.
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// From now on status lines are kept for a view ([`Status::captured`]) instead of written:
    /// `latwatch top` draws on the terminal stderr shares.
    pub fn capture() {
        CAPTURING.store(true, Ordering::Release);
    }

    /// Status lines go to stderr again (the view gave the terminal back).
    pub fn release() {
        CAPTURING.store(false, Ordering::Release);
    }

    /// The status lines kept since the last call, oldest first.
    pub fn captured() -> Vec<String> {
        CAPTURED
            .lock()
            .map(|mut captured| captured.drain(..).collect())
            .unwrap_or_default()
    }
}

/// Whether status lines are kept for a view rather than written to stderr (one terminal per
/// process, so one switch).
static CAPTURING: AtomicBool = AtomicBool::new(false);
/// At most this many status lines wait for a view.
const CAPTURED_KEPT: usize = 64;
static CAPTURED: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
