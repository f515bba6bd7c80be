//! `--summary`: counts kept while running, printed on stderr at exit (Ctrl-C, `--count`, end of
//! input). It also shows how much the server-side narrowing saved: `received` counts only what NATS
//! delivered to latwatch.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

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
    /// Received events per kind name.
    pub kinds: BTreeMap<String, u64>,
    /// When the first and the latest message arrived: the rate latwatch kept up.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

impl Summary {
    /// Notes the arrival time of a message.
    pub fn arrived(&mut self) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    pub fn count_kind(&mut self, name: &str) {
        match self.kinds.get_mut(name) {
            Some(count) => *count += 1,
            None => {
                self.kinds.insert(name.to_owned(), 1);
            }
        }
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
        let width = self.kinds.keys().map(String::len).max().unwrap_or(0);
        for (kind, count) in &self.kinds {
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
