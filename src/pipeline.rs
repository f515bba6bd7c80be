//! The pipeline: each raw message goes decode → render → sink, once, left to right.
//!
//! [`Pipeline`] is the part every source shares; the drivers (`run_nats`, `run_file`) only differ in
//! how they wait for messages. Both follow one flush rule: flush when no further message is
//! immediately ready. Filters (issue 3) and lattice memory (issue 6) slot in between decode and
//! render, in [`Pipeline::handle`].

use std::io;

use crate::event::{decode, Problems, RawMessage};
use crate::output::{Sink, Status};
use crate::render::style::escape_untrusted;
use crate::render::{Outcome, Renderer};

/// Whether the pipeline wants more messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `--count` reached.
    Done,
}

pub struct Pipeline {
    renderer: Renderer,
    sink: Sink,
    status: Status,
    /// `--count`.
    limit: Option<u64>,
    /// Events written to stdout.
    printed: u64,
    /// Messages taken from the source (printed or not).
    received: u64,
}

impl Pipeline {
    pub fn new(renderer: Renderer, sink: Sink, status: Status, limit: Option<u64>) -> Pipeline {
        Pipeline {
            renderer,
            sink,
            status,
            limit,
            printed: 0,
            received: 0,
        }
    }

    /// Takes one message through every stage. An `Err` is a write error (a closed stdout included).
    pub fn handle(&mut self, raw: RawMessage) -> io::Result<Flow> {
        self.received += 1;
        let event = decode(raw);
        match self.renderer.render(&event, self.sink.writer())? {
            Outcome::Printed => self.printed += 1,
            Outcome::NotJson => self.status.warn(format_args!(
                "skipped a payload on {} that is not JSON ({}); -o jsonl or pretty output shows it",
                escape_untrusted(event.raw.subject.unwrap_or("input")),
                Problems(&event.problems)
            )),
        }
        if self.limit.is_some_and(|limit| self.printed >= limit) {
            return Ok(Flow::Done);
        }
        Ok(Flow::Continue)
    }

    /// Called when no further message is immediately ready.
    pub fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }

    /// How many messages the source has handed over.
    pub fn received(&self) -> u64 {
        self.received
    }
}
