//! The sink: where rendered events go (stdout), and the one way status talks (stderr).
//!
//! stdout carries events only, through one buffered writer. The pipeline flushes it whenever no
//! further event is immediately ready, so a burst costs one write and a lone event appears at once
//! (a pipe into jq sees it without waiting). A closed stdout surfaces as an `io::Error` of kind
//! `BrokenPipe` — Rust ignores SIGPIPE — and `main` turns that into a quiet exit 0.

pub mod progress;

use std::io::{self, BufWriter, StdoutLock, Write};

/// Buffered stdout.
pub struct Sink {
    out: BufWriter<StdoutLock<'static>>,
}

impl Sink {
    pub fn stdout() -> Sink {
        Sink {
            out: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        }
    }

    pub fn writer(&mut self) -> &mut impl Write {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
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
        // stderr is unbuffered; a failure to write a status line has nowhere to be reported.
        let _ = writeln!(io::stderr().lock(), "{text}");
    }
}
