//! `--summary`: counts kept while running, printed on stderr at exit (Ctrl-C, `--count`, end of
//! input). It also shows how much the server-side narrowing saved: `received` counts only what NATS
//! delivered to latwatch.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::event::kind::{Kind, KindId, KINDS};
use crate::event::{Event, Severity};
use crate::state::apps::AppRow;
use crate::state::lattice::Lattice;
use crate::text::{abbreviate_key, escape_untrusted, truncate};

/// The widest a name or kind column gets: longer names are cut with `…`, so a hostile name of
/// 65,536 characters neither panics the formatter nor makes lines thousands of spaces wide.
const COLUMN: usize = 40;

/// A table cell: escaped, then cut to [`COLUMN`] characters.
fn cell(text: &str) -> String {
    truncate(&escape_untrusted(text), COLUMN).into_owned()
}

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
    /// Events pretty output left out because they said nothing new (unchanged heartbeats,
    /// repeated health status).
    pub quiet: u64,
    /// Events of a failure kind.
    pub failures: u64,
    /// Gaps: times the connection was down or events were dropped.
    pub gaps: u64,
    /// Events known to be lost in those gaps (drops are counted; a disconnect's are unknown).
    pub lost: u64,
    /// Of the lost, events filled in again from a stream.
    pub filled: u64,
    /// Events a jq expression (`--filter`, `--until-filter`) could not judge: counted as not
    /// matching.
    pub jq_errors: u64,
    /// `--record` records that did not reach the file (its writer could not keep up, or failed).
    pub unrecorded: u64,
    /// Received events per host key, for at most [`crate::state::lattice::MAX_HOSTS`] hosts.
    hosts: HashMap<String, u64>,
    /// Received events of hosts past that bound (spoofed ids must not grow the table).
    other_hosts: u64,
    /// Host names as learned while running: lattice memory forgets stopped hosts, a summary not.
    names: HashMap<String, String>,
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
    /// Counts one received event.
    pub fn count(&mut self, event: &Event) {
        if self.first.is_none() {
            self.first = Some(Instant::now());
        }
        if event.kind.severity() == Severity::Failure {
            self.failures += 1;
        }
        // wadm's messages are about applications (the table below), not a host.
        let wadm = event.kind.known().is_some_and(KindId::is_wadm);
        if let Some(host) = event.publisher_or_host().filter(|_| !wadm) {
            let room = self.hosts.len() < crate::state::lattice::MAX_HOSTS;
            match self.hosts.get_mut(host.as_ref()) {
                Some(count) => *count += 1,
                None if room => {
                    self.hosts.insert(host.into_owned(), 1);
                }
                None => self.other_hosts += 1,
            }
        }
        let kind = event.kind;
        match kind {
            Kind::Known(spec) => {
                if self.known.is_empty() {
                    self.known = vec![0; KINDS.len()];
                }
                if let Some(row) = KINDS.iter().position(|k| std::ptr::eq(k, spec)) {
                    self.known[row] += 1;
                }
            }
            unknown => match self.unknown.get_mut(unknown.label()) {
                Some(count) => *count += 1,
                None => {
                    self.unknown.insert(unknown.label().to_owned(), 1);
                }
            },
        }
    }

    /// Remembers a host's name for the report.
    pub fn name(&mut self, host: &str, name: &str) {
        let room =
            self.names.len() < crate::state::lattice::MAX_HOSTS || self.names.contains_key(host);
        if room && self.names.get(host).map(String::as_str) != Some(name) {
            self.names.insert(host.to_owned(), name.to_owned());
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

impl Summary {
    /// The table `--summary` prints, hosts named from what `lattice` learned, then a table of
    /// the applications application memory knows.
    pub fn report(
        &self,
        lattice: &Lattice,
        apps: &[AppRow],
        workloads: Option<&crate::state::workloads::Workloads>,
    ) -> String {
        let mut out = self.to_string();
        let (known, alive) = lattice.hosts();
        let _ = write!(
            out,
            "\nhosts: {} seen, {known} known, {alive} heartbeating; failures: {}",
            self.hosts.len(),
            self.failures
        );
        let (v2_known, v2_alive) = lattice.v2_hosts();
        if v2_known > 0 {
            let _ = write!(
                out,
                "\nwasmCloud 2 hosts (of those known): {v2_known} known, {v2_alive} heartbeating"
            );
        }
        // Workloads started, failed and stopped, in all and by namespace.
        if let Some(counts) = workloads.map(|w| &w.counts).filter(|c| !c.is_empty()) {
            let words =
                |c: &[u64; 3]| format!("{} started, {} failed, {} stopped", c[0], c[1], c[2]);
            let mut all = [0u64; 3];
            for c in counts.values() {
                for (total, n) in all.iter_mut().zip(c) {
                    *total += n;
                }
            }
            // The four busiest namespaces, each name cut short: one line stays narrow.
            let mut busiest: Vec<(&String, &[u64; 3])> = counts.iter().collect();
            busiest.sort_by_key(|(ns, c)| (std::cmp::Reverse(c.iter().sum::<u64>()), *ns));
            let mut by: Vec<String> = busiest
                .iter()
                .take(4)
                .map(|(ns, c)| {
                    let ns = crate::text::escape_name(ns);
                    format!("{}: {}", crate::text::truncate(&ns, 24), words(c))
                })
                .collect();
            if busiest.len() > 4 {
                by.push(format!("{} more namespaces", busiest.len() - 4));
            }
            let _ = write!(
                out,
                "\nwasmCloud 2 workloads: {} ({})",
                words(&all),
                by.join("; ")
            );
        }
        let forgotten = lattice.forgotten();
        if forgotten > 0 {
            let _ = write!(
                out,
                "\nhosts forgotten: {forgotten} (the least recently heard first, to keep at most {} \
                 known)",
                crate::state::lattice::MAX_HOSTS
            );
        }
        if self.other_hosts > 0 {
            let _ = write!(
                out,
                "\nevents of hosts not listed below: {} (hosts past the first {})",
                self.other_hosts,
                crate::state::lattice::MAX_HOSTS
            );
        }
        let mut hosts: Vec<(String, u64)> = self
            .hosts
            .iter()
            .map(|(id, count)| {
                let name = lattice
                    .host_name(id)
                    .or(self.names.get(id).map(String::as_str))
                    .map(str::to_owned)
                    .unwrap_or_else(|| abbreviate_key(id).into_owned());
                (cell(&name), *count)
            })
            .collect();
        hosts.sort();
        let width = hosts
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        for (name, count) in hosts {
            let _ = write!(out, "\n  {name:<width$}  {count:>8}");
        }
        if !apps.is_empty() {
            out.push_str(&app_table(apps));
        }
        out
    }
}

/// `applications: 2` then `  NAME  VERSION  STATUS  EVENTS  FAILURES` per application (with the
/// lattice first when there are several).
fn app_table(apps: &[AppRow]) -> String {
    let several = apps.iter().any(|a| a.lattice != apps[0].lattice);
    let rows: Vec<[String; 5]> = apps
        .iter()
        .map(|app| {
            // The name escaped as names are (`text::escape_name`), then cut.
            let name = match several {
                true => format!(
                    "{}/{}",
                    escape_untrusted(&app.lattice),
                    crate::text::escape_name(&app.name)
                ),
                false => crate::text::escape_name(&app.name).into_owned(),
            };
            [
                cell(&name),
                cell(app.version.as_deref().unwrap_or("-")),
                cell(app.status.as_ref().map_or("-", |s| s.as_str())),
                app.events.to_string(),
                app.failures.to_string(),
            ]
        })
        .collect();
    let header = ["application", "version", "status", "events", "failures"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let mut out = format!("\napplications: {}", apps.len());
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let [name, version, status, events, failures] = &row;
        let _ = write!(
            out,
            "\n  {name:<w0$}  {version:<w1$}  {status:<w2$}  {events:>w3$}  {failures:>w4$}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "summary: {} received, {} shown, {} filtered out, {} repeats hidden (unchanged \
             heartbeats, health status, application status), {} duplicates, {} invalid",
            self.received, self.shown, self.filtered, self.quiet, self.duplicates, self.invalid
        )?;
        if self.gaps > 0 {
            write!(
                f,
                ", {} gaps ({} events dropped, {} filled from a stream)",
                self.gaps, self.lost, self.filled
            )?;
        }
        if self.jq_errors > 0 {
            write!(
                f,
                ", {} the jq expression could not judge (counted as not matching)",
                self.jq_errors
            )?;
        }
        if self.unrecorded > 0 {
            write!(f, ", {} not written to --record", self.unrecorded)?;
        }
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
        let kinds: Vec<(String, u64)> = self
            .kinds()
            .into_iter()
            .map(|(kind, count)| {
                (
                    cell(if kind.is_empty() { "(no type)" } else { kind }),
                    count,
                )
            })
            .collect();
        let width = kinds
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (kind, count) in kinds {
            write!(f, "\n  {kind:<width$}  {count:>8}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, RawMessage, Received};

    #[test]
    fn huge_names_and_kinds_are_cut_not_padded() {
        let long = "h".repeat(70_000);
        let payload = format!(
            r#"{{"specversion":"1.0","id":"1","type":"{long}","source":"{long}","data":{{"host_id":"{long}"}}}}"#
        );
        let event = decode(RawMessage {
            subject: None,
            payload: payload.as_bytes(),
            received: Received::Now,
            reply: None,
        });
        let mut summary = Summary::default();
        summary.count(&event);
        summary.name(&long, &long);
        let report = summary.report(&Lattice::default(), &[], None);
        assert!(
            report.lines().all(|line| line.chars().count() < 200),
            "{report}"
        );
        assert!(report.contains('…'));
    }
}
