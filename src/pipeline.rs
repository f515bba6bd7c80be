//! The pipeline: each raw message goes decode → record → dedupe → lattice memory → until → filter
//! → render → sink, once, left to right.
//!
//! [`Pipeline`] is the part every source shares; the drivers (`source::nats::run`,
//! `source::file::run`) only differ in how they wait for messages. Both follow one flush rule:
//! flush when no further message is immediately ready. Lattice memory sees every decoded event
//! before the filter, so names learned from events that are not shown still count.

use std::collections::HashSet;
use std::io::{self, Write as _};

use chrono::{DateTime, Utc};

use crate::config::Stages;
use crate::dedupe::{self, Dedupe, Expected};
use crate::event::kind::KindId;
use crate::event::Severity;
use crate::event::{cut_short, decode, decode_with_data, Problem, Problems, RawMessage};
use crate::event::{decode_app_status, decode_v2_heartbeat, decode_v2_message};
use crate::event::{Event, Received};
use crate::exit_codes::ExitCode;
use crate::filter::notes::Notes;
use crate::filter::{Filter, Prefilter};
use crate::gap::{Filled, Gap};
use crate::output::{Sink, Status};
use crate::record::{self, Recorder};
use crate::render::{Outcome, Renderer};
use crate::state::apps::wire::{SubjectReader, WadmSubject};
use crate::state::apps::{Apps, Seed, Stored};
use crate::state::lattice::{Change, Facts, Lattice};
use crate::state::tables::{EventLine, Tables, Told};
use crate::state::State;
use crate::summary::Summary;
use crate::text::escape_untrusted;
use crate::until::{Until, Verdict};

/// How many CloudEvent ids `--legacy` remembers to drop the second copy of an event.
const DEDUPE_WINDOW: usize = 4096;

/// Whether the pipeline wants more messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `--count` reached, an `--until` match or a `--fail-on` failure: [`Pipeline::finish`] says
    /// how to exit.
    Done,
}

/// Why a driver stopped the run before its source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `--timeout` expired: exit 3.
    TimedOut(std::time::Duration),
    /// `--idle-timeout`: nothing arrived for this long, exit 0.
    Idle(std::time::Duration),
}

impl Stop {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Stop::TimedOut(_) => ExitCode::TimedOut,
            Stop::Idle(_) => ExitCode::Success,
        }
    }

    /// Says on stderr why the run ends; `waiting` when an `--until-*` match never came.
    pub fn tell(self, status: Status, waiting: bool) {
        match self {
            Stop::TimedOut(after) => status.error(format_args!(
                "{}--timeout {} expired (exit 3)",
                if waiting {
                    "no event matched --until-*: "
                } else {
                    ""
                },
                humantime::format_duration(after)
            )),
            Stop::Idle(after) => status.info(format_args!(
                "no event for {} (--idle-timeout)",
                humantime::format_duration(after)
            )),
        }
    }
}

pub struct Pipeline {
    renderer: Renderer,
    /// Drops messages before decoding when they cannot be of an included kind (`Plan::prefilter`).
    prefilter: Option<Prefilter>,
    filter: Filter,
    /// What matching noticed (ambiguous prefixes, jq errors): said once, counted.
    notes: Notes,
    /// The lattice as it is now (`crate::state`): lattice and application memory, and the rows
    /// `top` draws when it is the view.
    state: State,
    /// Print wadm's messages (`Plan::apps.show`); else they only feed application memory.
    show_apps: bool,
    /// How subjects are read (`--subject-prefix`).
    subjects: SubjectReader,
    /// `Plan::remember`.
    remember: bool,
    /// `Plan::read_data`.
    read_data: bool,
    /// The last time silent hosts were looked for.
    last_tick: Option<DateTime<Utc>>,
    dedupe: Option<Dedupe>,
    until: Option<Until>,
    recorder: Option<Recorder>,
    /// What fills supplied: see [`Pipeline::expect_again`].
    expected: Expected,
    /// How the run ends, once something decided it.
    exit: ExitCode,
    sink: Sink,
    status: Status,
    /// `--count`.
    limit: Option<u64>,
    /// Kept always (the drivers need `received`); printed with `--summary`.
    counts: Summary,
    /// `--summary`: count kinds too (a map lookup per event) and print the counts at the end.
    summary: bool,
    /// `--last N`: the lines of the newest N shown events, held back while history is read.
    held: Option<Held>,
    /// The hint on what `--workloads` adds was given (once, at the first v2 host).
    said_workloads: bool,
    /// The host failures shown in full ([`Repeat`]'s keys): only these may come again as a short
    /// line. One filtered out, or held back by `--last` and let go, was never shown.
    shown_failures: HashSet<u64>,
}

/// Full failures remembered at most (past it a repeat is shown in full once more).
const SHOWN_FAILURES: usize = 10_000;

/// A line `--last` holds back; a host failure's with its key, and for a short repeat the full
/// line too, in case the line that showed it in full is let go.
struct HeldLine {
    text: Vec<u8>,
    failure: Option<(u64, Option<Vec<u8>>)>,
}

impl HeldLine {
    fn len(&self) -> usize {
        self.text.len()
            + self
                .failure
                .as_ref()
                .and_then(|(_, full)| full.as_ref())
                .map_or(0, Vec::len)
    }
}

/// The newest lines `--last N` shows, held while the stored events are read: every stored event
/// goes through every stage (memory learns from all of them), and only the last N that would be
/// shown are. Bounded by count and by bytes.
struct Held {
    keep: usize,
    lines: std::collections::VecDeque<HeldLine>,
    bytes: usize,
    /// How many lines were held in all.
    seen: u64,
}

/// What [`Pipeline::release_held`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    /// Lines written.
    pub written: u64,
    /// Lines that would have been shown, held or not: what passed the filters.
    pub passed: u64,
    /// Lines among the newest N that the bytes bound let go.
    pub dropped: u64,
    pub flow: Flow,
}

impl Default for Released {
    fn default() -> Released {
        Released {
            written: 0,
            passed: 0,
            dropped: 0,
            flow: Flow::Continue,
        }
    }
}

/// At most this much output is held for `--last N` (the oldest held lines go first).
pub const HELD_BYTES: usize = 64 << 20;

impl Held {
    fn push(&mut self, line: HeldLine) {
        self.seen += 1;
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.lines.len() > self.keep || (self.bytes > HELD_BYTES && self.lines.len() > 1) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len();
            }
        }
    }

    /// Lines among the newest `keep` that the bytes bound let go.
    fn dropped(&self) -> u64 {
        (self.keep as u64).min(self.seen) - self.lines.len() as u64
    }
}

impl Pipeline {
    pub fn new(stages: Stages, sink: Sink, status: Status) -> Pipeline {
        let plan = stages.plan;
        Pipeline {
            prefilter: plan.prefilter,
            until: stages.until,
            recorder: None,
            expected: Expected::default(),
            exit: ExitCode::Success,
            renderer: stages.renderer,
            remember: plan.remember,
            read_data: plan.read_data,
            last_tick: None,
            filter: stages.filter,
            notes: Notes::default(),
            state: State {
                lattice: {
                    let mut lattice = Lattice::default();
                    if let Some(interval) = stages.v2_interval {
                        lattice.set_v2_interval(interval);
                    }
                    lattice
                },
                apps: plan.apps.memory.then(|| Apps::new(stages.subjects.clone())),
                tables: plan.tables.then(|| {
                    let mut tables = Tables::default();
                    tables.workloads = stages.workloads.then(Default::default);
                    tables
                }),
                // A start unanswered for four heartbeat intervals (60 s) is said.
                workloads: stages.workloads.then(|| {
                    crate::state::workloads::Workloads::new(
                        stages
                            .v2_interval
                            .map(|i| i.min(std::time::Duration::from_secs(3600)) * 4),
                    )
                }),
            },
            show_apps: plan.apps.show,
            subjects: stages.subjects,
            dedupe: plan.dedupe.then(|| Dedupe::new(DEDUPE_WINDOW)),
            sink,
            status,
            limit: stages.count,
            counts: Summary::default(),
            summary: stages.summary,
            held: None,
            said_workloads: false,
            shown_failures: HashSet::new(),
        }
    }

    /// `--last N`: from now on, hold the lines of the newest `keep` shown events instead of
    /// writing them, until [`Pipeline::release_held`].
    pub fn hold_last(&mut self, keep: usize) {
        self.held = Some(Held {
            keep: keep.max(1),
            lines: std::collections::VecDeque::new(),
            bytes: 0,
            seen: 0,
        });
    }

    /// Writes the held lines (oldest first, `--count` respected) and stops holding.
    pub fn release_held(&mut self) -> io::Result<Released> {
        let Some(held) = self.held.take() else {
            return Ok(Released::default());
        };
        let mut released = Released {
            passed: held.seen,
            dropped: held.dropped(),
            ..Released::default()
        };
        // Only what is written was shown: a repeat whose full line was let go is written whole.
        self.shown_failures.clear();
        for line in held.lines {
            let text = match line.failure {
                Some((key, full)) => match (self.shown_failures.insert(key), full) {
                    (true, Some(full)) => full,
                    _ => line.text,
                },
                None => line.text,
            };
            self.sink.writer().write_all(&text)?;
            released.written += 1;
            self.counts.shown += 1;
            if self.limit.is_some_and(|limit| self.counts.shown >= limit) {
                released.flow = Flow::Done;
                break;
            }
        }
        Ok(released)
    }

    /// Takes one message through every stage. An `Err` is a write error (a closed stdout included).
    pub fn handle(&mut self, raw: RawMessage) -> io::Result<Flow> {
        self.handle_from(raw, true)
    }

    /// [`Pipeline::handle`] for a message its source has recorded already (the NATS intake records
    /// every live message as it arrives, however slow stdout is).
    pub fn handle_recorded(&mut self, raw: RawMessage) -> io::Result<Flow> {
        self.handle_from(raw, false)
    }

    /// [`Pipeline::handle`] for a message a gap's fill supplied from a stream (its `received` is
    /// [`Received::Filled`]): recorded only when `record`, i.e. when the recording does not hold
    /// it already (latwatch received it and dropped it itself).
    pub fn handle_filled(&mut self, raw: RawMessage, record: bool) -> io::Result<Flow> {
        self.handle_from(raw, record)
    }

    fn handle_from(&mut self, raw: RawMessage, record: bool) -> io::Result<Flow> {
        self.counts.received += 1;
        // wadm's messages go around the byte pre-check (application memory needs each one) and
        // never reach the JSON formats unless applications were asked for.
        if let Some(wadm) = raw.subject.and_then(|s| self.subjects.wadm(s)) {
            if self.state.apps.is_none() {
                self.counts.filtered += 1;
                return Ok(Flow::Continue);
            }
            let event = match wadm {
                WadmSubject::Status { .. } => decode_app_status(raw),
                WadmSubject::Event { .. } => decode_with_data(raw),
            };
            return self.take(event, record);
        }
        // wasmCloud 2's heartbeats: no envelope, known by their subject.
        if let Some(subject) = raw.subject {
            if subject.starts_with(crate::v2::HEARTBEAT_PREFIX) {
                return self.take(decode_v2_heartbeat(raw), record);
            }
            // The operator's requests to v2 hosts and the hosts' answers.
            if crate::v2::carries_secrets(subject) {
                return self.handle_v2_traffic(raw, subject, record);
            }
        }
        if self.prefilter.as_ref().is_some_and(|p| !p.may_match(&raw)) {
            self.counts.filtered += 1;
            return Ok(Flow::Continue);
        }
        let event = if self.read_data {
            decode_with_data(raw)
        } else {
            decode(raw)
        };
        self.take(event, record)
    }

    /// A request to a v2 host or a message on an inbox. Without workload memory (`--workloads`)
    /// it goes no further. A request comes redacted (`v2::clean_request`, run by its source); one
    /// that would still change is dropped here: a secret never reaches a renderer or a
    /// recording. An inbox message goes on only when it answers a request seen, as the kind
    /// that request makes it.
    fn handle_v2_traffic(
        &mut self,
        raw: RawMessage,
        subject: &str,
        record: bool,
    ) -> io::Result<Flow> {
        let kind = match &self.state.workloads {
            None => None,
            // What a source held back (an empty stand-in) goes no further.
            Some(_) if raw.payload.is_empty() => None,
            Some(_) if subject.starts_with(crate::v2::HOST_PREFIX) => {
                if !matches!(
                    crate::v2::classify(subject),
                    Some(crate::v2::V2Subject::Request { .. })
                ) {
                    self.counts.filtered += 1;
                    return Ok(Flow::Continue);
                }
                match crate::v2::clean_request(subject, raw.payload) {
                    Some(std::borrow::Cow::Borrowed(_)) => Some(KindId::V2Request),
                    _ => None,
                }
            }
            // An answer too must come clean (its source redacts it).
            Some(workloads) => match crate::v2::clean_answer(raw.payload) {
                Some(std::borrow::Cow::Borrowed(_)) => workloads.reply_kind(subject, raw.payload),
                _ => None,
            },
        };
        let event = match kind {
            None => {
                self.counts.filtered += 1;
                return Ok(Flow::Continue);
            }
            Some(KindId::V2HostHeartbeat) => decode_v2_heartbeat(raw),
            Some(kind) => decode_v2_message(raw, kind),
        };
        self.take(event, record)
    }

    /// Takes a message that could not be read whole (an `--input` line over the limit): `start`
    /// is its beginning, shown flagged with `problem`.
    pub fn handle_cut_short(&mut self, start: RawMessage, problem: Problem) -> io::Result<Flow> {
        self.counts.received += 1;
        self.take(cut_short(start, problem), true)
    }

    /// Every stage after decoding.
    fn take(&mut self, mut event: Event, record: bool) -> io::Result<Flow> {
        if let (Some(recorder), true) = (&mut self.recorder, record) {
            recorder.record(&event);
        }
        // By the bytes, not the id: an event without one is not shown twice either.
        if !self.expected.is_empty()
            && !event.raw.received.filled()
            && self.expected.arrived(dedupe::key(event.raw.payload))
        {
            self.counts.duplicates += 1;
            return Ok(Flow::Continue);
        }
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
            self.counts.count(&event);
        }
        if !event.problems.is_empty() {
            self.counts.invalid += 1;
        }
        // A wasmCloud 2 request or answer (an answered heartbeat request included).
        let v2_workload = self.state.workloads.is_some()
            && (event.kind.known().is_some_and(KindId::is_v2_workload)
                || event
                    .raw
                    .subject
                    .is_some_and(|s| s.starts_with(crate::v2::INBOX_PREFIX)));
        let at =
            (self.remember || self.state.apps.is_some() || v2_workload).then(|| moment(&event));
        let wadm = event.kind.known().is_some_and(KindId::is_wadm);
        // A heartbeat's inventory is read once, for lattice memory, application memory and the
        // rows a view draws alike; with applications only when some part needs them.
        // (`data` only for a heartbeat: reading it decodes it, which `--json` never needs.)
        let listed = match (at, event.kind.known()) {
            (Some(_), Some(KindId::HostHeartbeat)) => event.data().and_then(|data| {
                let with_apps = self.state.tables.is_some()
                    || (self.state.apps.is_some()
                        && memchr::memmem::find(event.raw.payload, b"appspec").is_some());
                crate::state::lattice::listing(data, with_apps)
            }),
            _ => None,
        };
        let mut facts = match at {
            Some(at) if self.remember => {
                // wadm's status messages carry no time of their own: in a replay their receive
                // time is not the hosts' clock, so they do not move lattice memory's.
                if !wadm && self.tick(at)? == Flow::Done {
                    return Ok(Flow::Done);
                }
                let facts = self.state.lattice.observe_read(&event, at, listed.as_ref());
                if let (true, Some(name), Some(host)) =
                    (self.summary, &facts.host_name, event.host_id())
                {
                    self.counts.name(&host, name);
                }
                facts
            }
            _ => Facts::default(),
        };
        if let (true, Some(workloads), Some(at)) = (v2_workload, &mut self.state.workloads, at) {
            if let Some(workload) = workloads.observe(&event, at) {
                facts.quiet |= workload.change.routine();
                if facts.host_name.is_none() {
                    facts.host_name = self
                        .state
                        .lattice
                        .host_name(&workload.host)
                        .map(str::to_owned);
                }
                if let Some(rows) = self
                    .state
                    .tables
                    .as_mut()
                    .and_then(|t| t.workloads.as_mut())
                {
                    let host = facts.host_name.as_deref().unwrap_or(&workload.host);
                    if let Some(known) = workloads.get(&workload.id) {
                        rows.insert(workload.id.clone(), workload_row(&workload, known, host));
                    }
                }
                facts.workload = Some(workload);
            }
            self.state.sync_workload_rows();
        }
        // A host restarted under a new id holds none of the old id's workloads.
        for change in &facts.changes {
            if let Change::Restarted { was } = change {
                self.state.forget_v2_host(was);
            }
        }
        if !self.said_workloads
            && self.state.workloads.is_none()
            && facts
                .changes
                .iter()
                .any(|c| matches!(c, Change::V2Appeared { .. }))
        {
            self.said_workloads = true;
            self.status.info(
                "wasmCloud 2 hosts heartbeat here: --workloads also shows each workload started, \
                 failed (with the host's whole error text) and stopped",
            );
        }
        // `--until-workload`: judged on every answer, shown or not.
        let workload_verdict = match (&mut self.until, &facts.workload) {
            (Some(until), Some(workload)) => until.workloads.as_mut().and_then(|wait| {
                let host = facts.host_name.as_deref().unwrap_or(&workload.host);
                wait.judge(workload, host)
            }),
            _ => None,
        };
        let mut app_verdict = None;
        if let (Some(apps), Some(at)) = (&mut self.state.apps, at) {
            let observed = apps.observe_read(&event, at, listed.as_ref());
            if let Some(problem) = observed.problem {
                event.problems.push(Problem::NotWadm(problem));
            }
            let changed = observed.app.as_ref().is_some_and(|a| a.change.is_some());
            if let Some(tables) = &mut self.state.tables {
                if changed || wadm {
                    tables.apps = shown_apps(apps);
                }
            }
            facts.quiet |= observed.quiet;
            facts.app = observed.app;
            if changed {
                app_verdict = self
                    .until
                    .as_ref()
                    .and_then(|u| u.apps.as_ref())
                    .and_then(|wait| wait.judge(apps));
            }
        }
        if let (Some(tables), Some(at)) = (&mut self.state.tables, at) {
            // A heartbeat lattice memory found unchanged leaves the host's rows as they are.
            let unchanged = facts.inventory.is_some() && !facts.changes.iter().any(Change::lists);
            tables.observe(
                &event,
                at,
                &mut self.state.lattice.strings,
                listed.as_ref(),
                unchanged,
            );
        }
        let mut notes = Vec::new();
        let verdict = match &self.until {
            _ if app_verdict.is_some() => app_verdict,
            _ if workload_verdict.is_some() => workload_verdict,
            Some(until) if !wadm => {
                until.judge(&event, &self.state.lattice, facts.app.as_ref(), &mut notes)
            }
            _ => None,
        };
        let app = facts.app.as_ref().map(|a| a.name.as_ref());
        let keep = (!wadm || self.show_apps)
            && self.filter.keeps(
                &event,
                &self.state.lattice,
                app,
                facts.workload.as_ref(),
                &mut notes,
            );
        if !notes.is_empty() {
            self.notes.take(&mut notes, self.status);
        }
        if !keep {
            self.counts.filtered += 1;
            return Ok(self.conclude(verdict));
        }
        // A repeated failure is short only once its full text was shown.
        let failure = facts.repeat.map(|repeat| repeat.key);
        let shown_in_full = failure.is_some_and(|key| self.shown_failures.contains(&key));
        if !shown_in_full || facts.repeat.is_some_and(|repeat| repeat.times < 2) {
            facts.repeat = None;
        }
        let rendered = match (&mut self.state.tables, &mut self.held) {
            (None, None) => self.renderer.render(&event, &facts, self.sink.writer())?,
            (None, Some(held)) => {
                let mut text = Vec::new();
                let outcome = self.renderer.render(&event, &facts, &mut text)?;
                if outcome == Outcome::Printed {
                    // Kept only where it differs (pretty output, compressed).
                    let full = match facts.repeat.take() {
                        Some(_) => {
                            let mut full = Vec::new();
                            self.renderer.render(&event, &facts, &mut full)?;
                            (full != text).then_some(full)
                        }
                        None => None,
                    };
                    held.push(HeldLine {
                        text,
                        failure: failure.map(|key| (key, full)),
                    });
                }
                outcome
            }
            (Some(tables), _) => {
                let mut text = Vec::new();
                let outcome = self.renderer.render(&event, &facts, &mut text)?;
                if !text.is_empty() {
                    let severity = facts
                        .app
                        .as_ref()
                        .and_then(|a| a.change.as_ref())
                        .map_or(event.kind.severity(), |c| c.severity());
                    tables.push_event(EventLine {
                        text: String::from_utf8_lossy(&text).trim_end().to_owned(),
                        severity,
                        source: std::str::from_utf8(event.raw.payload)
                            .map_or(String::new(), crate::state::tables::event_kept),
                    });
                }
                outcome
            }
        };
        if let (Outcome::Printed, Some(key)) = (rendered, failure) {
            if self.shown_failures.len() >= SHOWN_FAILURES {
                self.shown_failures.clear();
            }
            self.shown_failures.insert(key);
        }
        match rendered {
            // Held lines count as shown when they are written.
            Outcome::Printed if self.held.is_some() => {}
            Outcome::Printed => self.counts.shown += 1,
            Outcome::Quiet => self.counts.quiet += 1,
            Outcome::NotJson => self.status.warn(format_args!(
                "skipped a payload on {} that is not JSON ({}); -o jsonl or pretty output shows it",
                escape_untrusted(event.raw.subject.unwrap_or("input")),
                Problems(&event.problems)
            )),
        }
        if self.limit.is_some_and(|limit| self.counts.shown >= limit) {
            return Ok(Flow::Done);
        }
        Ok(self.conclude(verdict))
    }

    /// Ends the run on an `--until` match (exit 0) or a `--fail-on` failure (exit 4).
    fn conclude(&mut self, verdict: Option<Verdict>) -> Flow {
        match verdict {
            None => Flow::Continue,
            Some(Verdict::Reached(what)) => {
                self.status.info(format_args!("--until: {what}"));
                Flow::Done
            }
            Some(Verdict::Failed(what)) => {
                self.status.error(format_args!("{what} (exit 4)"));
                self.exit = ExitCode::FailedEvent;
                Flow::Done
            }
        }
    }

    /// A gap was just filled from a stream with these messages ([`dedupe::key`]s): should one
    /// still arrive live (it was on its way meanwhile) it is dropped as a duplicate, and a later
    /// fill does not supply it again. Forgotten once live messages stop matching.
    pub fn expect_again(&mut self, keys: impl IntoIterator<Item = u64>) {
        self.expected.add(keys);
    }

    /// Whether a fill supplied this message already and it has not arrived live since.
    pub fn supplied(&self, key: u64) -> bool {
        self.expected.contains(key)
    }

    /// `--record`: every decoded message is appended there from now on.
    pub fn record_to(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder);
    }

    /// An `--until-*` match is awaited (not just `--fail-on`).
    fn waiting(&self) -> bool {
        self.until
            .as_ref()
            .is_some_and(|u| u.target.is_some() || u.apps.is_some() || u.workloads.is_some())
    }

    /// The input ended (end of `--input`). A wait for `--until-*` that is still waiting failed:
    /// exit 3, as if it had timed out.
    pub fn input_ended(&mut self) {
        let wait = self.until.as_ref().and_then(|u| u.apps.as_ref());
        match (wait, &self.state.apps) {
            (Some(wait), Some(apps)) => {
                self.status.error(format_args!(
                    "the input ended before --until-app was reached: {} (exit 3)",
                    wait.standing(apps)
                ));
                self.exit = ExitCode::TimedOut;
            }
            _ if self.waiting() => {
                self.status
                    .error("the input ended before an event matched --until-* (exit 3)");
                self.exit = ExitCode::TimedOut;
            }
            _ => {}
        }
    }

    /// A driver ends the run: `--timeout` (exit 3) or `--idle-timeout` (exit 0).
    pub fn stop(&mut self, why: Stop) {
        let wait = self.until.as_ref().and_then(|u| u.apps.as_ref());
        let workloads = self.until.as_ref().and_then(|u| u.workloads.as_ref());
        match (why, wait, &self.state.apps) {
            (Stop::TimedOut(after), Some(wait), Some(apps)) => self.status.error(format_args!(
                "--until-app: {}: --timeout {} expired (exit 3)",
                wait.standing(apps),
                humantime::format_duration(after)
            )),
            (Stop::TimedOut(after), _, _) if workloads.is_some() => {
                if let Some(wait) = workloads {
                    self.status.error(format_args!(
                        "--until-workload: {}: --timeout {} expired (exit 3)",
                        wait.standing(),
                        humantime::format_duration(after)
                    ))
                }
            }
            _ => why.tell(self.status, self.waiting()),
        }
        self.exit = why.exit_code();
    }

    /// What the control interface said (`crate::source::ctl::ask`), into the state. A host
    /// (`host.ping`'s response): lattice memory learns its name, version and labels, so lines name
    /// it from its first event; pretty lines list it on stderr, as they list applications. What a
    /// host runs (`host.get`) and the links (`link.get`) go to the rows a view draws.
    pub fn seed(&mut self, told: &Told) {
        let now = Utc::now();
        if let Some(tables) = &mut self.state.tables {
            tables.seed(told, now, &mut self.state.lattice.strings);
        }
        if let Told::Host { response, .. } = told {
            self.seed_host(response, now);
        }
    }

    fn seed_host(&mut self, response: &serde_json::Value, now: DateTime<Utc>) {
        self.state.lattice.seed_host(response, now);
        if self.state.tables.is_some() {
            return;
        }
        let text = |key: &str| response.get(key).and_then(|v| v.as_str());
        let (Some(id), name) = (text("id"), text("friendly_name")) else {
            return;
        };
        if let (Renderer::Pretty(pretty), Some(name)) = (&self.renderer, name) {
            let id = match pretty.full_ids {
                true => escape_untrusted(id).into_owned(),
                false => crate::text::abbreviate_key(&escape_untrusted(id)).into_owned(),
            };
            let mut line = format!("host {}", escape_untrusted(name));
            if let Some(version) = text("version") {
                line.push_str(&format!("  {}", escape_untrusted(version)));
            }
            line.push_str(&format!("  {id}"));
            self.status.info(format_args!("{line}"));
        }
    }

    /// An `--until-app` wait is running.
    pub fn waits_for_apps(&self) -> bool {
        self.until.as_ref().is_some_and(|u| u.apps.is_some())
    }

    /// History is about to be replayed: applications' statuses are told from their first
    /// stored one ([`Apps::replay_statuses`]).
    pub fn replay_statuses(&mut self) {
        if let Some(apps) = &mut self.state.apps {
            apps.replay_statuses();
        }
    }

    /// The replay has ended ([`Apps::replayed`]).
    pub fn replayed(&mut self) {
        if let Some(apps) = &mut self.state.apps {
            apps.replayed();
        }
    }

    /// What was true when latwatch started: every application's last status (from wadm's stream
    /// or API), read while live messages may already have been handled: what arrived live, or
    /// waits in the queue (`ahead`), is newer and stays. Pretty output lists the statuses taken
    /// on stderr; `--until-app` may be answered at once.
    pub fn seed_apps(&mut self, seeds: &[Seed], ahead: &Ahead) -> Flow {
        let Some(apps) = &mut self.state.apps else {
            return Flow::Continue;
        };
        let several = seeds.iter().any(|s| s.lattice != seeds[0].lattice);
        for seed in seeds {
            // A deploy alone (no status yet) is for reading again after a gap.
            if seed.status.is_none() {
                continue;
            }
            let waiting = seed
                .status_message
                .as_ref()
                .is_some_and(|m| ahead.statuses.contains(&m.subject));
            let Some(status) = apps.seed_behind(seed, waiting) else {
                continue;
            };
            // `--app` (or `--until-app`'s applications) narrows the startup list too.
            let listed = self.filter.apps.is_empty()
                || self.filter.apps.iter().any(|p| p.matches(&seed.app));
            if listed && self.show_apps && matches!(self.renderer, Renderer::Pretty(_)) {
                let name = match several {
                    true => format!(
                        "{}/{}",
                        escape_untrusted(&seed.lattice),
                        crate::text::escape_name(&seed.app)
                    ),
                    false => crate::text::escape_name(&seed.app).into_owned(),
                };
                let mut line = format!("{name}  {}", escape_untrusted(status.status.as_str()));
                // Before the newest deploy, the status is the version before's: say which is
                // which (`deployed  v0.0.1; v0.0.2 published, not yet deployed`).
                match (&status.version, status.fresh) {
                    (Some(newest), false) => {
                        let then = seed
                            .status_version
                            .as_deref()
                            .map_or(" (an earlier version)".to_owned(), |v| {
                                format!("  {}", escape_untrusted(v))
                            });
                        line.push_str(&format!(
                            "{then}; {} published, not yet deployed",
                            escape_untrusted(newest)
                        ));
                    }
                    (Some(version), true) => {
                        line.push_str(&format!("  {}", escape_untrusted(version)));
                    }
                    (None, _) => {}
                }
                if let Some(at) = seed.at {
                    line.push_str(&format!(
                        "  (since {})",
                        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ));
                }
                if !status.fresh && status.version.is_none() {
                    line.push_str("  (before its newest deploy)");
                }
                if let Some(message) = &status.message {
                    line.push_str(&format!("  \"{}\"", escape_untrusted(message)));
                }
                self.status.info(format_args!("app {line}"));
            }
        }
        self.judge_apps()
    }

    /// What wadm knows, read again after a gap (`seeds`). A deploy or status it missed is
    /// handled like a live message (shown, recorded, judged by `--until-app`), in the order wadm
    /// published them; one application memory already has, or that waits in the queue
    /// (`ahead`), is not handled again.
    pub fn relearn_apps(&mut self, seeds: &[Seed], ahead: &Ahead) -> io::Result<Flow> {
        let Some(apps) = &self.state.apps else {
            return Ok(Flow::Continue);
        };
        let mut missed: Vec<(&Stored, Option<&Seed>)> = Vec::new();
        for seed in seeds {
            if let (Some(deploy), Some(id)) = (&seed.deploy_message, &seed.deploy_id) {
                if !apps.knows_deploy(&seed.lattice, &seed.app, id) && !ahead.has_deploy(id) {
                    missed.push((deploy, None));
                }
            }
            if let Some(status) = &seed.status_message {
                if !ahead.statuses.contains(&status.subject) {
                    missed.push((status, Some(seed)));
                }
            }
        }
        // In the order wadm published them (the stream's time); an answer of wadm's API, true
        // now, last. A deploy comes before its application's status stored at the same time.
        missed.sort_by_key(|(stored, _)| (stored.at.is_none(), stored.at));
        for (stored, status_of) in missed {
            if let (Some(seed), Some(apps)) = (status_of, &mut self.state.apps) {
                if !apps.status_is_news(seed) {
                    continue;
                }
            }
            let flow = self.handle(RawMessage {
                subject: Some(&stored.subject),
                payload: &stored.payload,
                received: match stored.at {
                    Some(at) => Received::At(at),
                    None => Received::Now,
                },
                reply: None,
            })?;
            if flow == Flow::Done {
                return Ok(Flow::Done);
            }
        }
        // A status with the same words may now be the deployed version's.
        Ok(self.judge_apps())
    }

    /// `--until-app` judged on what application memory knows now; a view's applications pane
    /// follows it.
    fn judge_apps(&mut self) -> Flow {
        if let (Some(tables), Some(apps)) = (&mut self.state.tables, &self.state.apps) {
            tables.apps = shown_apps(apps);
        }
        let verdict = match (&self.until, &self.state.apps) {
            (Some(until), Some(apps)) => until.apps.as_ref().and_then(|wait| wait.judge(apps)),
            _ => None,
        };
        self.conclude(verdict)
    }

    /// Looks for hosts gone silent, at most once a second of (event or wall clock) time: a line in
    /// pretty output, a warning on stderr otherwise.
    pub fn tick(&mut self, now: DateTime<Utc>) -> io::Result<Flow> {
        if !self.remember
            || self
                .last_tick
                .is_some_and(|last| now - last < chrono::Duration::seconds(1))
        {
            return Ok(Flow::Continue);
        }
        self.last_tick = Some(now);
        // Starts no host answered in time: latwatch's own events, through every stage (not
        // recorded: a replay of the recording finds them again).
        let late = match &mut self.state.workloads {
            Some(workloads) => workloads.tick(now),
            None => Vec::new(),
        };
        for late in late {
            let event = decode_v2_message(
                RawMessage {
                    subject: Some(&late.subject),
                    payload: &late.payload,
                    received: Received::At(late.at),
                    reply: None,
                },
                KindId::V2WorkloadUnanswered,
            );
            self.counts.received += 1;
            // `--until-type v2_workload_unanswered`, `--fail-on`, `--count`: the run ends here.
            if self.take(event, false)? == Flow::Done {
                return Ok(Flow::Done);
            }
        }
        for silence in self.state.lattice.tick(now) {
            // A lost v2 host's workloads are rescheduled elsewhere: none is on it any more.
            if silence.lost.is_some() {
                self.state.forget_v2_host(&silence.host_id);
            }
            if let Some(tables) = &mut self.state.tables {
                tables.silent(&silence.host_id);
                let mut text = Vec::new();
                self.renderer.silence(&silence, &mut text)?;
                tables.push_event(EventLine {
                    text: String::from_utf8_lossy(&text).trim_end().to_owned(),
                    severity: Severity::Failure,
                    source: String::new(),
                });
                continue;
            }
            // The line output: `--host`, `--hostgroup`, `--environment` narrow silences too.
            if !self
                .filter
                .keeps_host(&silence.host_id, &self.state.lattice)
            {
                continue;
            }
            // `--last`: a silence found in history is one of the lines held back.
            if let Some(held) = &mut self.held {
                let mut text = Vec::new();
                if self.renderer.silence(&silence, &mut text)? {
                    held.push(HeldLine {
                        text,
                        failure: None,
                    });
                }
                continue;
            }
            if !self.renderer.silence(&silence, self.sink.writer())? {
                self.status.warn(format_args!(
                    "host {} silent for {}s (last heartbeat {})",
                    escape_untrusted(silence.host_name.as_deref().unwrap_or(&silence.host_id)),
                    silence.silent_for.num_seconds(),
                    silence
                        .last_heartbeat
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ));
            }
        }
        Ok(Flow::Continue)
    }

    /// Events may be missing in `gap`; `-o jsonl` records it so that a consumer knows (the other
    /// formats leave stdout to events; stderr said it). Counted for `--summary`.
    pub fn gap(&mut self, gap: &Gap) -> io::Result<()> {
        self.counts.gaps += 1;
        self.counts.lost += gap.lost.unwrap_or(0);
        if let Some(Filled::From { events, .. }) = &gap.filled {
            self.counts.filled += events;
        }
        if let Some(tables) = &mut self.state.tables {
            tables.push_event(EventLine {
                text: gap.words(),
                severity: Severity::Failure,
                source: gap.record(),
            });
            return Ok(());
        }
        self.renderer.gap(gap, self.sink.writer())
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

    /// The lattice as it is now, for a view.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What was counted so far (received, gaps, events lost and filled), for a view.
    pub fn counts(&self) -> &Summary {
        &self.counts
    }

    /// Ends the run: flushes stdout, lets `--record` write out what it holds, then prints the
    /// summary when asked for (even with `-q`: it was asked for) and what the recording could not
    /// write. Says how to exit: 1 after a failed recording, even when stdout closed.
    pub fn finish(mut self) -> io::Result<ExitCode> {
        let flushed = self.sink.flush();
        let recorded = self
            .recorder
            .take()
            .map(|recorder| recorder.close(record::PATIENCE, None));
        if let Some(recorded) = &recorded {
            self.counts.unrecorded = recorded.not_written;
        }
        if self.summary {
            self.counts.jq_errors = self.notes.jq_errors;
            let apps = self.state.apps.as_ref().map(Apps::rows).unwrap_or_default();
            self.status.report(self.counts.report(
                &self.state.lattice,
                &apps,
                self.state.workloads.as_ref(),
            ));
        }
        let failed = recorded.is_some_and(|recorded| recorded.tell(self.status));
        match flushed {
            Err(err) if failed && err.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::Failure),
            Err(err) => Err(err),
            Ok(()) if failed => Ok(ExitCode::Failure),
            Ok(()) => Ok(self.exit),
        }
    }
}

/// wadm's messages received but not yet handled when what wadm knows was read: what was read
/// must not overtake them (they are newer, or the same and come in their turn).
#[derive(Debug, Default)]
pub struct Ahead {
    /// Status subjects (`[P.]wadm.status.<lattice>.<app>`).
    statuses: HashSet<String>,
    /// `manifest_published` payloads.
    deploys: Vec<bytes::Bytes>,
}

impl Ahead {
    /// One queued message.
    pub fn note(&mut self, subjects: &SubjectReader, subject: &str, payload: &bytes::Bytes) {
        match subjects.wadm(subject) {
            Some(WadmSubject::Status { .. }) => {
                self.statuses.insert(subject.to_owned());
            }
            Some(WadmSubject::Event { .. }) if subject.ends_with(".manifest_published") => {
                self.deploys.push(payload.clone());
            }
            _ => {}
        }
    }

    /// A `manifest_published` with this CloudEvent id waits.
    fn has_deploy(&self, id: &str) -> bool {
        let quoted = format!("\"{id}\"");
        self.deploys
            .iter()
            .any(|payload| memchr::memmem::find(payload, quoted.as_bytes()).is_some())
    }
}

/// The applications pane's rows: a deleted application leaves it.
fn shown_apps(apps: &Apps) -> Vec<crate::state::apps::AppRow> {
    apps.rows().into_iter().filter(|row| !row.deleted).collect()
}

/// When an event happened, for lattice memory: now, for a message arriving live; its own time
/// (else its recorded receive time) when replayed from a file, so silences are judged in the
/// capture's time, not the replay's.
fn moment(event: &Event) -> DateTime<Utc> {
    match event.raw.received {
        Received::Now => return Utc::now(),
        Received::Live(at) => return at,
        Received::At(_)
        | Received::Filled(_)
        | Received::Recorded(_)
        | Received::RecordedFilled(_) => {}
    }
    event.happened_at().unwrap_or_else(Utc::now)
}

/// A workload's row for `top`, from what workload memory knows of it.
fn workload_row(
    facts: &crate::state::workloads::WorkloadFacts,
    known: &crate::state::workloads::Workload,
    host: &str,
) -> crate::state::tables::WorkloadRow {
    crate::state::tables::WorkloadRow {
        key: facts.key(),
        host: host.to_owned(),
        state: known.state.as_str().to_owned(),
        images: known.images.join(","),
        message: known.message.clone().unwrap_or_default(),
        since: known.since,
        source: serde_json::json!({
            "workload": facts.key(),
            "id": facts.id,
            "namespace": known.namespace,
            "name": known.name,
            "host": host,
            "host id": known.host,
            "state": known.state.as_str(),
            "since": known.since.to_rfc3339(),
            "images": known.images,
            "message": known.message,
            "from": "the operator's requests to the host and the host's answers (--workloads); \
                     a start's secrets are never kept",
        })
        .to_string(),
    }
}
