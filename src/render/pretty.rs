//! The human line: `TIME  EVENT  HOST  subject-of-event  key=value …`, one line per event.
//!
//! The layout of each kind comes from the kind table (`event/kind.rs`); this file only knows how to
//! draw a [`Layout`]. Every string taken from the event is escaped (`text::escape_untrusted`), so a
//! line is always one terminal line whatever the event contains. Color comes as `Option<Palette>`.

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{self, Write};

use chrono::{DateTime, Local, TimeZone, Utc};
use owo_colors::{OwoColorize, Style};
use serde_json::value::RawValue;

use super::style::Palette;
use crate::event::kind::{Field, KindId, Layout, Show};
use crate::event::{json_str, Data, Event, Kind, Problems, Severity};
use crate::state::apps::wire::SubjectReader;
use crate::state::apps::AppChange;
use crate::state::lattice::{Change, Counts, Facts, Silence};
use crate::state::workloads::WorkloadFacts;
use crate::text::{abbreviate_key, escape_name, escape_untrusted, truncate};

/// Width of the event-name column: the longest known name, `component_scale_failed`.
const NAME_WIDTH: usize = 22;
/// Width of the host column: a friendly name such as `frosty-field-3519`, or an abbreviated key.
const HOST_WIDTH: usize = 17;
/// How much of an unreadable payload a line shows.
const EXCERPT_CHARS: usize = 120;

/// Renders events as human lines.
#[derive(Debug, Clone)]
pub struct Pretty {
    /// `None`: no color at all.
    pub palette: Option<Palette>,
    /// Show times in UTC instead of local time.
    pub utc: bool,
    /// Show whole host keys instead of `NBXJ2O…MQOUB`.
    pub full_ids: bool,
    /// When several lattices are watched: show each event's lattice in a column this wide.
    pub lattice_width: Option<usize>,
    /// How the lattice is read from a subject (`--subject-prefix`).
    pub subjects: SubjectReader,
    /// The local UTC offset, looked up once per quarter hour of event time.
    pub offset: LocalOffset,
    /// `--heartbeats`: print every heartbeat, not only those that change something.
    pub heartbeats: bool,
    /// A host's failure repeated (same id, same error) is a short line (not `--no-compress`).
    pub compress: bool,
    /// `--timestamps full`: RFC 3339 on every line; else `HH:MM:SS.mmm`, dated when not today.
    pub full_times: bool,
    /// `--verbose`: messages whole, not shortened.
    pub verbose: bool,
    /// A line not from today is dated (off in tests of fixed lines).
    pub dates: bool,
}

/// The local time zone's offset from UTC, cached: asking chrono's `Local` for every line costs a
/// time zone lookup. Offsets change (daylight saving) only on quarter hours, so one lookup per
/// 15-minute slot of event time is exact.
#[derive(Debug, Clone, Default)]
pub struct LocalOffset {
    /// (slot, offset in seconds) of the last lookup.
    last: std::cell::Cell<Option<(i64, i32)>>,
    /// (day, `YYYY-MM-DD`) of the last dated line: a replay's lines share a few days.
    date: std::cell::RefCell<Option<(i64, String)>>,
}

impl LocalOffset {
    fn seconds_at(&self, at: DateTime<Utc>) -> i32 {
        let slot = at.timestamp().div_euclid(900);
        if let Some((cached, offset)) = self.last.get() {
            if cached == slot {
                return offset;
            }
        }
        let offset = Local
            .offset_from_utc_datetime(&at.naive_utc())
            .local_minus_utc();
        self.last.set(Some((slot, offset)));
        offset
    }
}

impl Pretty {
    pub fn render(&self, event: &Event, facts: &Facts, out: &mut impl Write) -> io::Result<()> {
        let data = event.data();
        let change = facts.app.as_ref().and_then(|app| app.change.as_ref());
        let severity = match (change, &facts.workload) {
            (Some(change), _) => change.severity(),
            // A status poll that finds a workload in error is a failure line.
            (None, Some(w)) if w.change.state() == Some(&crate::v2::WorkloadState::Error) => {
                Severity::Failure
            }
            _ => severity(event, data),
        };

        self.time(event, out)?;
        out.write_all(b"  ")?;
        if let Some(width) = self.lattice_width {
            let lattice = event.raw.subject.and_then(|s| self.subjects.lattice(s));
            let lattice = lattice.unwrap_or("-");
            let style = self.palette.as_ref().map(|p| p.label);
            self.paint(
                out,
                style,
                format_args!("{:<width$}", escape_untrusted(lattice)),
            )?;
            out.write_all(b"  ")?;
        }
        let name = match event.kind {
            Kind::Missing if event.is_unreadable() => Cow::Borrowed("invalid"),
            kind => escape_untrusted(kind.label()),
        };
        let name_style = if event.problems.is_empty() {
            self.severity_style(severity)
        } else {
            self.palette.as_ref().map(|p| p.problem)
        };
        self.paint(out, name_style, format_args!("{name:<NAME_WIDTH$}"))?;
        out.write_all(b"  ")?;
        // A host's name: what memory learned, else the event's own (host_started, heartbeats).
        let own_name = match event.kind.known() {
            Some(KindId::HostStarted | KindId::HostHeartbeat) => {
                data.and_then(|d| d.str("friendly_name"))
            }
            _ => None,
        };
        let host_name = facts.host_name.as_deref().or(own_name.as_deref());
        let wadm = event.kind.known().is_some_and(KindId::is_wadm);
        // wadm's status messages have no envelope: their publisher is wadm all the same.
        let host_id = event
            .host_id()
            .or(wadm.then_some(Cow::Borrowed("wadm")))
            // A host's answer comes on the asker's inbox: the host the request named.
            .or_else(|| {
                facts
                    .workload
                    .as_ref()
                    .map(|w| Cow::Borrowed(w.host.as_str()))
            });
        self.host(host_id.as_deref(), host_name, facts.name_shared, out)?;
        // The same failure again: its full text was shown the first time.
        if let (Some(repeat), true, Some(data)) = (&facts.repeat, self.compress, data) {
            let id = crate::state::lattice::failed_id(data).unwrap_or_default();
            let style = self.palette.as_ref().map(|p| p.label);
            self.paint(out, None, format_args!("  {}", escape_untrusted(&id)))?;
            self.paint(
                out,
                style,
                format_args!(
                    "  same error again (×{}, over {}s)",
                    repeat.times,
                    repeat.over.num_seconds()
                ),
            )?;
            if let Some(app) = &facts.app {
                write!(out, "  app={}", crate::text::escape_name(&app.name))?;
            }
            return out.write_all(b"\n");
        }

        let mut line = Line {
            pretty: self,
            out,
            severity,
        };
        let health_change = facts
            .changes
            .iter()
            .any(|c| matches!(c, Change::Health { .. }));
        match (data, event.kind) {
            _ if health_change => line.changes(&facts.changes)?,
            (_, _) if wadm && change.is_some() => {
                if let Some(change) = change {
                    line.app_change(change)?;
                }
            }
            (data, _) if wadm => {
                // A status that said nothing readable: the application its subject names.
                if let Some(app) = &facts.app {
                    line.app_name(&app.name)?;
                }
                if let Some(data) = data {
                    line.keys(data)?;
                }
            }
            (Some(data), Kind::Known(spec)) => match spec.layout {
                Layout::Fields(fields) => line.fields(data, fields)?,
                Layout::Scale(fields) => line.scale(data, fields)?,
                Layout::Link(fields) => line.link(data, fields)?,
                Layout::Heartbeat if facts.changes.is_empty() => {
                    line.heartbeat(data, facts.inventory)?
                }
                Layout::Heartbeat => line.changes(&facts.changes)?,
                Layout::V2Host if facts.changes.is_empty() => line.v2_counts(data)?,
                Layout::V2Host => line.changes(&facts.changes)?,
                Layout::App => line.keys(data)?,
                Layout::V2Workload => match &facts.workload {
                    Some(workload) => line.workload(workload)?,
                    None => line.keys(data)?,
                },
            },
            (Some(data), Kind::Unknown(_) | Kind::Escaped | Kind::Missing) => line.keys(data)?,
            (None, _) => {}
        }
        if let (Some(app), false) = (&facts.app, wadm) {
            line.app_tag(&app.name)?;
        }
        if !event.problems.is_empty() {
            line.problems(event)?;
        }
        line.out.write_all(b"\n")
    }

    /// `14:03:05.000  host_silent  misty-river-4821  silent for 95s (last heartbeat 14:01:30)`.
    pub fn silence(&self, silence: &Silence, out: &mut impl Write) -> io::Result<()> {
        self.clock(silence.at, out)?;
        out.write_all(b"  ")?;
        if let Some(width) = self.lattice_width {
            write!(out, "{:<width$}  ", "")?;
        }
        let style = self.palette.as_ref().map(|p| p.removal);
        let name = match silence.lost {
            Some(_) => "host_lost",
            None => "host_silent",
        };
        self.paint(out, style, format_args!("{name:<NAME_WIDTH$}"))?;
        out.write_all(b"  ")?;
        self.host(
            Some(&silence.host_id),
            silence.host_name.as_deref(),
            false,
            out,
        )?;
        if let Some(workloads) = silence.lost {
            write!(
                out,
                "  no heartbeat for {}s: the operator deletes the host and reschedules its {}",
                silence.silent_for.num_seconds(),
                match workloads {
                    1 => "1 workload".to_owned(),
                    n => format!("{n} workloads"),
                }
            )?;
            out.write_all(b" (last heartbeat ")?;
            self.clock(silence.last_heartbeat, out)?;
            return out.write_all(b")\n");
        }
        write!(
            out,
            "  silent for {}s (last heartbeat ",
            silence.silent_for.num_seconds()
        )?;
        self.clock(silence.last_heartbeat, out)?;
        out.write_all(b")\n")
    }

    /// `HH:MM:SS.mmm` of the event's `time` (the receive time when it has none).
    fn time(&self, event: &Event, out: &mut impl Write) -> io::Result<()> {
        let at = event.happened_at().unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        self.clock(at, out)
    }

    /// `HH:MM:SS.mmm`, written by hand: chrono's `format` parses its format string on every call,
    /// which cost 12 % of a line. Preceded by the date (`2026-12-01 `) when that is not today's,
    /// so a replay or a recording over days reads right; `--timestamps full`: RFC 3339.
    fn clock(&self, at: DateTime<Utc>, out: &mut impl Write) -> io::Result<()> {
        let offset = if self.utc {
            0
        } else {
            self.offset.seconds_at(at)
        };
        let style = self.palette.as_ref().map(|p| p.time);
        let local = at.timestamp() + i64::from(offset);
        if self.full_times {
            let zone = chrono::FixedOffset::east_opt(offset).unwrap_or(chrono::Offset::fix(&Utc));
            let text = at
                .with_timezone(&zone)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            return self.paint(out, style, text);
        }
        let day = local.div_euclid(86_400);
        let today = (Utc::now().timestamp() + i64::from(offset)).div_euclid(86_400);
        let seconds = local.rem_euclid(86_400);
        // A leap second is second 59 with 1,000 ms and more in chrono: written `:60.mmm`.
        let (second, millis) = match at.timestamp_subsec_millis() {
            millis @ 1000.. => (seconds % 60 + 1, millis - 1000),
            millis => (seconds % 60, millis),
        };
        let time = format_args!(
            "{:02}:{:02}:{second:02}.{millis:03}",
            seconds / 3600,
            seconds / 60 % 60,
        );
        if day == today || !self.dates {
            return self.paint(out, style, time);
        }
        let mut cached = self.offset.date.borrow_mut();
        let date = match &*cached {
            Some((cached_day, date)) if *cached_day == day => date,
            _ => {
                let date = chrono::DateTime::from_timestamp(day * 86_400, 0)
                    .map_or_else(|| "?".to_owned(), |d| d.format("%Y-%m-%d").to_string());
                &cached.insert((day, date)).1
            }
        };
        self.paint(out, style, format_args!("{date} {time}"))
    }

    /// The host column: its friendly name when known (with the key too when another host has
    /// the same name), else its key, abbreviated unless `--full-ids`.
    fn host(
        &self,
        host_id: Option<&str>,
        name: Option<&str>,
        name_shared: bool,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let Some(host_id) = host_id else {
            return write!(out, "{:<HOST_WIDTH$}", "-");
        };
        // A host that is not an nkey (`wadm`, `n/a`, something hostile) is cut to keep the columns.
        let key = if self.full_ids {
            escape_untrusted(host_id)
        } else {
            Cow::Owned(truncate(&abbreviate_key(host_id), 24).into_owned())
        };
        let shown = match name {
            Some(name) if self.full_ids || name_shared => {
                Cow::Owned(format!("{} {key}", escape_untrusted(name)))
            }
            Some(name) => escape_untrusted(name),
            None => key,
        };
        let style = self.palette.as_ref().map(|p| p.host(host_id));
        self.paint(out, style, format_args!("{shown:<HOST_WIDTH$}"))
    }

    fn severity_style(&self, severity: Severity) -> Option<Style> {
        self.palette.as_ref().map(|p| p.severity(severity))
    }

    fn paint(
        &self,
        out: &mut impl Write,
        style: Option<Style>,
        text: impl Display,
    ) -> io::Result<()> {
        match style {
            Some(style) => write!(out, "{}", text.style(style)),
            None => write!(out, "{text}"),
        }
    }
}

/// The severity of this event: the kind's, except that scaling to zero is a removal.
fn severity(event: &Event, data: Option<&Data>) -> Severity {
    match (event.kind, data) {
        (Kind::Known(spec), Some(data)) if matches!(spec.layout, Layout::Scale(_)) => {
            if max_instances(data) == Some(0) {
                Severity::Removal
            } else {
                spec.severity
            }
        }
        (kind, _) => kind.severity(),
    }
}

fn max_instances(data: &Data) -> Option<u64> {
    data.get("max_instances")
        .and_then(|raw| raw.get().parse().ok())
}

/// The part of a line after the host column.
struct Line<'p, W> {
    pretty: &'p Pretty,
    out: &'p mut W,
    severity: Severity,
}

impl<W: Write> Line<'_, W> {
    fn palette(&self) -> Option<&Palette> {
        self.pretty.palette.as_ref()
    }

    fn fields(&mut self, data: &Data, fields: &[Field]) -> io::Result<()> {
        for field in fields {
            if let Some((_, value)) = field
                .keys
                .iter()
                .find_map(|key| data.get(key).map(|v| (key, v)))
            {
                self.field(field, value)?;
            }
        }
        Ok(())
    }

    fn field(&mut self, field: &Field, value: &RawValue) -> io::Result<()> {
        let text = match field.show {
            Show::Labels => match labels(value) {
                Some(labels) if !labels.is_empty() => Cow::Owned(labels),
                _ => return Ok(()),
            },
            // An id the event is about: nkeys (legacy actor ids) abbreviated like hosts.
            Show::Plain if field.label.is_none() && !self.pretty.full_ids => {
                match json_str(value) {
                    Some(id) => Cow::Owned(abbreviate_key(&id).into_owned()),
                    None => value_text(value),
                }
            }
            _ => value_text(value),
        };
        if text.is_empty() {
            return Ok(());
        }
        self.out.write_all(b"  ")?;
        if let Some(label) = field.label {
            let style = self.palette().map(|p| p.label);
            self.pretty
                .paint(self.out, style, format_args!("{label}="))?;
        }
        match field.show {
            Show::Plain | Show::Labels if field.label.is_none() => {
                let style = self.palette().map(|p| p.severity(self.severity));
                self.pretty.paint(self.out, style, text)
            }
            Show::Plain | Show::Labels => write!(self.out, "{text}"),
            Show::Quoted => write!(self.out, "\"{text}\""),
            Show::Error => {
                let style = self.palette().map(|p| p.failure);
                self.pretty
                    .paint(self.out, style, format_args!("\"{text}\""))
            }
        }
    }

    fn scale(&mut self, data: &Data, fields: &[Field]) -> io::Result<()> {
        self.fields(data, fields)?;
        match max_instances(data) {
            Some(0) => {
                let style = self.palette().map(|p| p.removal);
                self.out.write_all(b"  ")?;
                self.pretty.paint(self.out, style, "stopped")
            }
            _ => match data.get("max_instances") {
                Some(max) => {
                    let style = self.palette().map(|p| p.label);
                    self.out.write_all(b"  ")?;
                    self.pretty.paint(self.out, style, "max=")?;
                    write!(self.out, "{}", value_text(max))
                }
                None => Ok(()),
            },
        }
    }

    /// `source → target (ns:pkg/iface,…)`; legacy links name `actor_id`, `provider_id`, `contract_id`.
    fn link(&mut self, data: &Data, fields: &[Field]) -> io::Result<()> {
        let source = data.str("source_id").or_else(|| data.str("actor_id"));
        let target = data.str("target").or_else(|| data.str("provider_id"));
        let style = self.palette().map(|p| p.severity(self.severity));
        self.out.write_all(b"  ")?;
        let source = source.map(|s| escape_untrusted(&s).into_owned());
        let target = target.map(|t| escape_untrusted(&t).into_owned());
        self.pretty.paint(
            self.out,
            style,
            format_args!(
                "{} → {}",
                source.as_deref().unwrap_or("?"),
                target.as_deref().unwrap_or("?")
            ),
        )?;
        if let Some(interface) = link_interface(data) {
            write!(self.out, " ({})", escape_untrusted(&interface))?;
        }
        self.fields(data, fields)
    }

    /// `3 components (12 instances), 2 providers, up 1h 2m`.
    fn heartbeat(&mut self, data: &Data, counts: Option<Counts>) -> io::Result<()> {
        if let Some(counts) = counts {
            let change = Change::Inventory {
                components: counts.components,
                instances: counts.instances,
                providers: counts.providers,
                ids: Vec::new(),
            };
            write!(self.out, "  {change}")?;
        }
        match (data.str("uptime_human"), data.get("uptime_seconds")) {
            (Some(human), _) => write!(self.out, ", up {}", escape_untrusted(&human)),
            (None, Some(seconds)) => write!(self.out, ", up {}s", value_text(seconds)),
            (None, None) => Ok(()),
        }
    }

    /// What lattice memory found changed: `hello-http 4→8, +provider kv`.
    fn changes(&mut self, changes: &[Change]) -> io::Result<()> {
        let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
        let style = self.palette().map(|p| p.severity(self.severity));
        self.out.write_all(b"  ")?;
        self.pretty
            .paint(self.out, style, escape_untrusted(&text.join(", ")))
    }

    /// A v2 workload request or answer: what workload memory made of it.
    fn workload(&mut self, workload: &WorkloadFacts) -> io::Result<()> {
        let style = self.palette().map(|p| p.severity(self.severity));
        self.out.write_all(b"  ")?;
        // Worded from escaped parts (`render::words`).
        self.pretty.paint(self.out, style, workload)
    }

    /// An unchanged v2 heartbeat (`--heartbeats`): what it counts.
    fn v2_counts(&mut self, data: &Data) -> io::Result<()> {
        let count = |key: &str| {
            data.get(key)
                .and_then(|v| {
                    json_str(v)
                        .map(|s| s.into_owned())
                        .or(Some(v.get().to_owned()))
                })
                .unwrap_or_else(|| "0".to_owned())
        };
        write!(
            self.out,
            "  workloads={} components={}",
            escape_untrusted(&count("workloadCount")),
            escape_untrusted(&count("componentCount"))
        )
    }

    /// `hello-app  reconciling → deployed`, `hello-app  v0.0.2  2 components, 1 provider, 1 link`.
    fn app_change(&mut self, change: &AppChange) -> io::Result<()> {
        let style = self.palette().map(|p| p.severity(self.severity));
        self.out.write_all(b"  ")?;
        // `{:#}`: the messages in it whole (`--verbose`).
        let text = match self.pretty.verbose {
            true => format!("{change:#}"),
            false => change.to_string(),
        };
        self.pretty.paint(self.out, style, escape_untrusted(&text))
    }

    /// The application a host event belongs to: `app=hello-app`.
    fn app_tag(&mut self, name: &str) -> io::Result<()> {
        let style = self.palette().map(|p| p.label);
        self.out.write_all(b"  ")?;
        self.pretty.paint(self.out, style, "app=")?;
        write!(self.out, "{}", truncate(&escape_name(name), 64))
    }

    /// The application a wadm message is about, when it says nothing more: `hello-app`.
    fn app_name(&mut self, name: &str) -> io::Result<()> {
        write!(self.out, "  {}", truncate(&escape_name(name), 64))
    }

    /// A kind latwatch does not know: its data keys.
    fn keys(&mut self, data: &Data) -> io::Result<()> {
        let keys: Vec<Cow<str>> = data.keys().map(escape_untrusted).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let style = self.palette().map(|p| p.label);
        self.out.write_all(b"  ")?;
        self.pretty.paint(self.out, style, "data=")?;
        write!(self.out, "{}", keys.join(","))
    }

    fn problems(&mut self, event: &Event) -> io::Result<()> {
        let style = self.palette().map(|p| p.problem);
        self.out.write_all(b"  ")?;
        let problems = Problems(&event.problems).to_string();
        self.pretty.paint(
            self.out,
            style,
            format_args!("! invalid: {}", escape_untrusted(&problems)),
        )?;
        if event.envelope.is_none() {
            let text = String::from_utf8_lossy(event.raw.payload);
            let excerpt = escape_untrusted(&text);
            write!(
                self.out,
                "  payload=\"{}\"",
                truncate(&excerpt, EXCERPT_CHARS)
            )?;
        }
        Ok(())
    }
}

/// A value as display text: strings unquoted, anything else as its JSON; always escaped.
fn value_text(value: &RawValue) -> Cow<'_, str> {
    match json_str(value) {
        Some(Cow::Borrowed(text)) => escape_untrusted(text),
        Some(Cow::Owned(text)) => Cow::Owned(escape_untrusted(&text).into_owned()),
        None => escape_untrusted(value.get()),
    }
}

/// `{"zone":"us-east-1","hostcore.os":"linux"}` → `zone=us-east-1`: the `hostcore.*` labels are on
/// every host and say nothing.
fn labels(value: &RawValue) -> Option<String> {
    let labels = serde_json::from_str::<Data>(value.get()).ok()?;
    let mut out = String::new();
    for key in labels.keys().filter(|k| !k.starts_with("hostcore.")) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&escape_untrusted(key));
        out.push('=');
        if let Some(value) = labels.get(key) {
            out.push_str(&value_text(value));
        }
    }
    Some(out)
}

/// `wasi:http/incoming-handler` (1.x) or the legacy `contract_id`.
fn link_interface(data: &Data) -> Option<String> {
    if let (Some(namespace), Some(package)) = (data.str("wit_namespace"), data.str("wit_package")) {
        let interfaces = data
            .get("interfaces")
            .and_then(|raw| serde_json::from_str::<Vec<Cow<str>>>(raw.get()).ok())
            .unwrap_or_default();
        return Some(if interfaces.is_empty() {
            format!("{namespace}:{package}")
        } else {
            format!("{namespace}:{package}/{}", interfaces.join(","))
        });
    }
    data.str("contract_id").map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, RawMessage, Received};

    const HOST_1X: &str = include_str!("../../tests/fixtures/host-1x-events.jsonl");
    const LEGACY: &str = include_str!("../../tests/fixtures/legacy-events.jsonl");
    const SPEC: &str = include_str!("../../tests/fixtures/spec-events.jsonl");

    fn plain() -> Pretty {
        Pretty {
            palette: None,
            utc: true,
            full_ids: false,
            lattice_width: None,
            subjects: SubjectReader::default(),
            offset: LocalOffset::default(),
            heartbeats: true,
            compress: true,
            full_times: false,
            verbose: false,
            dates: false,
        }
    }

    fn render_with(pretty: &Pretty, payload: &[u8]) -> String {
        let event = decode(RawMessage {
            subject: Some("wasmbus.evt.default.x"),
            payload,
            received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
            reply: None,
        });
        // What lattice memory hands a heartbeat line: its inventory, counted.
        let facts = Facts {
            inventory: event.data().map(crate::state::lattice::counts),
            ..Facts::default()
        };
        let mut out = Vec::new();
        pretty.render(&event, &facts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn render(payload: &str) -> String {
        render_with(&plain(), payload.as_bytes())
    }

    fn line(fixture: &str, number: usize) -> &str {
        fixture.lines().nth(number - 1).unwrap()
    }

    #[test]
    fn every_fixture_renders_one_clean_line() {
        for payload in HOST_1X.lines().chain(LEGACY.lines()).chain(SPEC.lines()) {
            let out = render(payload);
            assert_eq!(out.matches('\n').count(), 1, "{out}");
            assert!(!out.contains("invalid"), "{out}");
            assert!(!out.contains(" -  "), "no host: {out}");
        }
    }

    #[test]
    fn golden_real_1x_lines() {
        let cases = [
            (1, "09:12:03.104  host_started            frosty-field-3519  version=1.9.2  labels=zone=us-east-1\n"),
            (3, "09:12:15.418  component_scaled        NV3CJL…2H2UK       rust_hello_world-http_component  image=ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0  max=100\n"),
            (5, "09:12:16.020  linkdef_set             NHXX5N…M6PM7       rust_hello_world-httpserver → rust_hello_world-http_component (wasi:http/incoming-handler)  name=default\n"),
            (7, "09:12:33.101  host_heartbeat          frosty-field-3519  1 component (100 instances), 1 provider, up 30s\n"),
            (9, "09:12:54.552  labels_changed          NV3CJL…2H2UK       labels=tier=edge,zone=us-east-1\n"),
            (13, "09:13:23.412  provider_start_failed   NV3CJL…2H2UK       rust_hello_world-kvredis  image=ghcr.io/wasmcloud/keyvalue-redis:0.99.0  error=\"failed to fetch provider: failed to fetch OCI bytes: manifest unknown\"\n"),
            (16, "09:13:34.533  provider_stopped        NV3CJL…2H2UK       rust_hello_world-httpserver  reason=\"stop\"\n"),
            (17, "09:13:38.017  host_stopped            NV3CJL…2H2UK       labels=tier=edge,zone=us-east-1\n"),
        ];
        for (number, expected) in cases {
            assert_eq!(render(line(HOST_1X, number)), expected, "line {number}");
        }
    }

    #[test]
    fn golden_spec_lines() {
        assert_eq!(
            render(line(SPEC, 8)),
            "14:03:26.959  component_start_failed  NDP4B6…MFIRA       broken-echo  image=ghcr.io/example/broken-echo:9.9.9  error=\"failed to fetch OCI bytes: manifest unknown\"\n"
        );
        assert_eq!(
            render(line(SPEC, 10)),
            "14:03:32.233  health_check_failed     NBXJ2O…MQOUB       http-server  message=\"health check timed out after 5s\"\n"
        );
        assert_eq!(
            render(line(SPEC, 14)),
            "14:03:44.781  host_stopped            NBXJ2O…MQOUB       reason=\"host stop requested\"  labels=region=eu-west\n"
        );
    }

    #[test]
    fn golden_legacy_lines() {
        assert_eq!(
            render(line(LEGACY, 5)),
            "09:15:43.102  actors_stopped          NUW34K…JFSJD       MCRPCH…XUG7V  image=wasmcloud.azurecr.io/echo:0.3.4  count=10  remaining=0\n"
        );
        assert_eq!(
            render(line(LEGACY, 7)),
            "09:17:13.877  actor_stopped           NUW34K…JFSJD       MCRPCH…XUG7V\n"
        );
    }

    #[test]
    fn scaling_to_zero_reads_as_stopped() {
        let out = render(
            r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.component_scaled","source":"N","time":"2026-01-01T00:00:00Z","data":{"component_id":"echo","max_instances":0}}"#,
        );
        assert_eq!(
            out,
            "00:00:00.000  component_scaled        N                  echo  stopped\n"
        );
    }

    #[test]
    fn several_lattices_get_a_column() {
        let pretty = Pretty {
            lattice_width: Some(8),
            ..plain()
        };
        let out = render_with(&pretty, line(HOST_1X, 15).as_bytes());
        assert!(
            out.starts_with("09:13:33.981  default   config_deleted  "),
            "{out}"
        );
    }

    #[test]
    fn a_line_not_from_today_is_dated_and_full_times_are_rfc3339() {
        let dated = Pretty {
            dates: true,
            ..plain()
        };
        let old = render_with(&dated, line(HOST_1X, 15).as_bytes());
        assert!(
            old.starts_with("2025-08-14 09:13:33.981  config_deleted  "),
            "{old}"
        );
        let now = Utc::now();
        let today = format!(
            r#"{{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.config_set","source":"N","time":"{}","data":{{"config_name":"c"}}}}"#,
            now.to_rfc3339()
        );
        let fresh = render_with(&dated, today.as_bytes());
        assert!(
            fresh.starts_with(&now.format("%H:%M:%S%.3f  config_set").to_string()),
            "{fresh}"
        );
        let full = Pretty {
            full_times: true,
            ..dated
        };
        let out = render_with(&full, line(HOST_1X, 15).as_bytes());
        assert!(
            out.starts_with("2025-08-14T09:13:33.981Z  config_deleted  "),
            "{out}"
        );
        // A leap second keeps the column: `:60.500`, as RFC 3339 writes it (not `:59.1500`).
        let leap = r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.config_set","source":"N","time":"2016-12-31T23:59:60.5Z","data":{"config_name":"c"}}"#;
        let out = render_with(
            &Pretty {
                dates: true,
                ..plain()
            },
            leap.as_bytes(),
        );
        assert!(
            out.starts_with("2016-12-31 23:59:60.500  config_set  "),
            "{out}"
        );
    }

    #[test]
    fn full_ids_show_whole_keys() {
        let pretty = Pretty {
            full_ids: true,
            ..plain()
        };
        let out = render_with(&pretty, line(HOST_1X, 6).as_bytes());
        assert!(
            out.contains("NV3CJLKH7RKUKN4IIRFEAO2TUSPZ3U7EEWV4CTHQQ4AOQXGZM7S2H2UK"),
            "{out}"
        );
    }

    #[test]
    fn legacy_heartbeats_count_actors_as_a_map_and_as_a_list() {
        let map = render(
            r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.host_heartbeat","source":"N","time":"2023-02-14T19:21:48.838573Z","data":{"actors":{"MA":2,"MB":3},"providers":[{"public_key":"V"}],"uptime_human":"3 minutes, 2 seconds"}}"#,
        );
        assert!(
            map.ends_with("2 components (5 instances), 1 provider, up 3 minutes, 2 seconds\n"),
            "{map}"
        );
        let list = render(
            r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.host_heartbeat","source":"N","time":"2024-03-06T21:32:13Z","data":{"actors":[{"id":"a","instances":[{"max_instances":2},{"max_instances":1}]}],"providers":[],"uptime_seconds":30}}"#,
        );
        assert!(
            list.ends_with("1 component (3 instances), 0 providers, up 30s\n"),
            "{list}"
        );
    }

    #[test]
    fn unknown_kinds_show_their_data_keys() {
        let out = render(
            r#"{"specversion":"1.0","id":"1","type":"com.wadm.model_drifted","source":"wadm","time":"2026-01-01T00:00:00Z","data":{"manifest":{},"lattice":"default"}}"#,
        );
        assert_eq!(
            out,
            "00:00:00.000  com.wadm.model_drifted  wadm               data=manifest,lattice\n"
        );
    }

    #[test]
    fn a_payload_that_is_not_json_is_flagged_with_an_excerpt() {
        let out = render_with(&plain(), b"hello\x1b[2J world");
        assert_eq!(
            out,
            "00:00:00.000  x                       -                  ! invalid: not JSON (expected value at line 1 column 1)  payload=\"hello\\e[2J world\"\n"
        );
    }

    #[test]
    fn not_utf8_is_flagged() {
        let out = render_with(&plain(), b"\xff\xfe{}");
        assert!(
            out.contains("! invalid: not UTF-8 (invalid byte at offset 0)"),
            "{out}"
        );
    }

    #[test]
    fn a_cloudevent_with_problems_renders_and_is_flagged() {
        let out = render(
            r#"{"specversion":"0.3","type":"com.wasmcloud.lattice.config_set","source":"N","data":{"config_name":"c"}}"#,
        );
        assert!(out.contains("config_set"), "{out}");
        assert!(out.contains("  c  ! invalid: not a CloudEvent: missing id; specversion 0.3 (latwatch reads CloudEvents 1.0)\n"), "{out}");
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let out = render(
            r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.component_scale_failed","source":"N\u001b[31m","time":"2026-01-01T00:00:00Z","data":{"component_id":"a\r\nb","error":"\u001b]52;c;ZXZpbA==\u0007 \u202eevil","image_ref":"x\u0008y"}}"#,
        );
        assert_eq!(out.matches('\n').count(), 1, "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{202e}'));
        assert!(
            out.contains(r#"a\r\nb  image=x\x08y  max"#)
                || out.contains(r#"a\r\nb  image=x\x08y  error"#),
            "{out}"
        );
        assert!(
            out.contains(r#"error="\e]52;c;ZXZpbA==\x07 \u{202e}evil""#),
            "{out}"
        );
        assert!(out.contains(r"N\e[31m"), "{out}");
    }

    #[test]
    fn hostile_event_names_are_escaped() {
        // Raw in the JSON (valid there), so the name reaches the renderer as written: a bidi
        // override and a C1 CSI that a renderer printing names unescaped would pass through.
        let out = render(
            "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"com.wasmcloud.lattice.x\u{202e}y\u{9b}2J\",\"source\":\"N\",\"time\":\"2026-01-01T00:00:00Z\"}",
        );
        assert!(
            !out.contains('\u{202e}') && !out.contains('\u{9b}'),
            "{out}"
        );
        assert!(
            out.contains(r"x\u{202e}y\x9b2J"),
            "the name is shown, escaped: {out}"
        );
    }

    #[test]
    fn color_never_leaks_into_plain_output_and_colors_by_severity() {
        let colored = Pretty {
            palette: Some(Palette::default()),
            ..plain()
        };
        let out = render_with(&colored, line(HOST_1X, 11).as_bytes());
        assert!(
            out.contains("\u{1b}[1;31m") || out.contains("\u{1b}[31;1m"),
            "failure is red: {out:?}"
        );
        assert!(!render(line(HOST_1X, 11)).contains('\u{1b}'));
    }
}
