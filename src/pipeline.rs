//! The pipeline: each raw message goes decode → dedupe → lattice memory → filter → render → sink,
//! once, left to right.
//!
//! [`Pipeline`] is the part every source shares; the drivers (`source::nats::run`,
//! `source::file::run`) only differ in how they wait for messages. Both follow one flush rule:
//! flush when no further message is immediately ready. Lattice memory sees every decoded event
//! before the filter, so names learned from events that are not shown still count.

use std::io;

use chrono::{DateTime, Utc};

use crate::config::Stages;
use crate::dedupe::Dedupe;
use crate::event::{decode, Problems, RawMessage};
use crate::filter::{Filter, Prefilter};
use crate::lattice::Lattice;
use crate::output::{Sink, Status};
use crate::render::style::escape_untrusted;
use crate::render::{Outcome, Renderer};
use crate::summary::Summary;

/// How many CloudEvent ids `--legacy` remembers to drop the second copy of an event.
const DEDUPE_WINDOW: usize = 4096;

/// Whether the pipeline wants more messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `--count` reached.
    Done,
}

pub struct Pipeline {
    renderer: Renderer,
    /// Drops messages before decoding when they cannot be of an included kind; only when no stage
    /// needs to see every event (host names, `--summary`'s per-kind counts).
    prefilter: Option<Prefilter>,
    filter: Filter,
    lattice: Lattice,
    /// Learn host names only when something uses them (`--host`).
    learn_names: bool,
    dedupe: Option<Dedupe>,
    sink: Sink,
    status: Status,
    /// `--count`.
    limit: Option<u64>,
    /// Kept always (the drivers need `received`); printed with `--summary`.
    counts: Summary,
    /// `--summary`: count kinds too (a map lookup per event) and print the counts at the end.
    summary: bool,
}

impl Pipeline {
    pub fn new(stages: Stages, sink: Sink, status: Status) -> Pipeline {
        let learn_names = stages.filter.needs_host_names();
        Pipeline {
            renderer: stages.renderer,
            prefilter: Prefilter::new(&stages.filter.include)
                .filter(|_| !learn_names && !stages.summary),
            learn_names,
            filter: stages.filter,
            lattice: Lattice::default(),
            dedupe: stages.dedupe.then(|| Dedupe::new(DEDUPE_WINDOW)),
            sink,
            status,
            limit: stages.count,
            counts: Summary::default(),
            summary: stages.summary,
        }
    }

    /// Takes one message through every stage. An `Err` is a write error (a closed stdout included).
    pub fn handle(&mut self, raw: RawMessage) -> io::Result<Flow> {
        self.counts.received += 1;
        if self.prefilter.as_ref().is_some_and(|p| !p.may_match(&raw)) {
            self.counts.filtered += 1;
            return Ok(Flow::Continue);
        }
        let event = decode(raw);
        if let (Some(dedupe), Some(id)) = (
            &mut self.dedupe,
            event.envelope.as_ref().and_then(|e| e.id()),
        ) {
            if !dedupe.first_time(&id) {
                self.counts.duplicates += 1;
                return Ok(Flow::Continue);
            }
        }
        if self.summary {
            self.counts.count(event.kind);
        }
        if !event.problems.is_empty() {
            self.counts.invalid += 1;
        }
        if self.learn_names {
            self.lattice.observe(&event);
        }
        if !self.filter.keeps(&event, &self.lattice, self.status) {
            self.counts.filtered += 1;
            return Ok(Flow::Continue);
        }
        match self.renderer.render(&event, self.sink.writer())? {
            Outcome::Printed => self.counts.shown += 1,
            Outcome::NotJson => self.status.warn(format_args!(
                "skipped a payload on {} that is not JSON ({}); -o jsonl or pretty output shows it",
                escape_untrusted(event.raw.subject.unwrap_or("input")),
                Problems(&event.problems)
            )),
        }
        if self.limit.is_some_and(|limit| self.counts.shown >= limit) {
            return Ok(Flow::Done);
        }
        Ok(Flow::Continue)
    }

    /// The connection was down from `from` to `to`; `-o jsonl` records it so that a consumer knows
    /// events may be missing there (the other formats leave stdout to events; stderr said it).
    pub fn gap(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> io::Result<()> {
        self.renderer.gap(from, to, self.sink.writer())
    }

    /// Called when no further message is immediately ready.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.summary {
            self.counts.caught_up();
        }
        self.sink.flush()
    }

    /// How many messages the source has handed over.
    pub fn received(&self) -> u64 {
        self.counts.received
    }

    /// Ends the run: flushes stdout, then prints the summary when asked for (even with `-q`:
    /// it was asked for).
    pub fn finish(mut self) -> io::Result<()> {
        let flushed = self.sink.flush();
        if self.summary {
            self.status.report(&self.counts);
        }
        flushed
    }
}
