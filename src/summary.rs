//! `--summary`: counts kept while running, printed on stderr at exit (Ctrl-C, `--count`, end of
//! input). It also shows how much the server-side narrowing saved: `received` counts only what NATS
//! delivered to latwatch.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use crate::event::kind::{Kind, KINDS};

#[derive(Debug, Default)]
pub struct Summary {
    /// Messages handed over by the source.
    pub received: u64,
    /// Events written to stdout.
    pub shown: u64,
    /// Events the filters dropped.
    pub filtered: u64,
    /// Second copies dropped by `--legacy`'s dedupe.
    pub duplicates: u64,
    /// Payloads that were not valid CloudEvents (shown flagged, or reported in `--json`).
    pub invalid: u64,
    /// Received events per known kind, by its row in the kind table (an array index, not a map
    /// lookup: this runs for every message).
    known: Vec<u64>,
    /// Received events of kinds latwatch does not know.
    unknown: BTreeMap<String, u64>,
    /// When the first message arrived, and the last time the pipeline caught up: the rate
    /// latwatch kept.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    /// `received` when `last` was taken: a flush with nothing new (at exit) does not move `last`.
    received_at_last: u64,
}

impl Summary {
    /// Counts one received event of `kind`.
    pub fn count(&mut self, kind: Kind) {
        if self.first.is_none() {
            self.first = Some(Instant::now());
        }
        match kind {
            Kind::Known(spec) => {
                if self.known.is_empty() {
                    self.known = vec![0; KINDS.len()];
                }
                if let Some(row) = KINDS.iter().position(|k| std::ptr::eq(k, spec)) {
                    self.known[row] += 1;
                }
            }
            Kind::Unknown(name) => match self.unknown.get_mut(name) {
                Some(count) => *count += 1,
                None => {
                    self.unknown.insert(name.to_owned(), 1);
                }
            },
        }
    }

    /// Notes that every message so far has been handled.
    pub fn caught_up(&mut self) {
        if self.first.is_some() && self.received != self.received_at_last {
            self.last = Some(Instant::now());
            self.received_at_last = self.received;
        }
    }

    /// Counts per kind name, sorted by name.
    fn kinds(&self) -> BTreeMap<&str, u64> {
        let known = KINDS
            .iter()
            .zip(&self.known)
            .filter(|(_, &count)| count > 0)
            .map(|(kind, &count)| (kind.name, count));
        let unknown = self
            .unknown
            .iter()
            .map(|(name, &count)| (name.as_str(), count));
        known.chain(unknown).collect()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "summary: {} received, {} shown, {} filtered out, {} duplicates, {} invalid",
            self.received, self.shown, self.filtered, self.duplicates, self.invalid
        )?;
        if let (Some(first), Some(last)) = (self.first, self.last) {
            let seconds = last.duration_since(first).as_secs_f64();
            if seconds > 0.0 {
                write!(
                    f,
                    " over {seconds:.3}s ({:.0} messages/s)",
                    (self.received.saturating_sub(1)) as f64 / seconds
                )?;
            }
        }
        let kinds = self.kinds();
        let width = kinds.keys().map(|k| k.len()).max().unwrap_or(0);
        for (kind, count) in kinds {
            let kind = crate::render::style::escape_untrusted(if kind.is_empty() {
                "(no type)"
            } else {
                kind
            });
            write!(f, "\n  {kind:<width$}  {count:>8}")?;
        }
        Ok(())
    }
}
