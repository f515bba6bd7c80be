//! Scripting: `--until-*` ends the run with exit 0 when a matching event arrives; `--fail-on` ends
//! it with exit 4 when a failure arrives. Both use the filter flags' matching ([`Filter`]): values
//! of one flag OR, different flags AND.
//!
//! A failure is "about the same subject" as the wait: `--fail-on`'s types (by default every
//! `*_failed` kind) ANDed with the `--until-host/--until-component/--until-provider` matchers, so
//! `--until-type component_scaled --until-component echo` fails on `component_scale_failed` for
//! echo, not on a health check of some other provider. With `--until-app`, `--fail-on`'s events
//! are judged for the awaited applications only (application memory says whose an event is).

use std::fmt::Write as _;

use crate::event::Event;
use crate::filter::notes::Note;
use crate::filter::Filter;
use crate::state::apps::{AppFacts, AppStatus, Apps, Standing};
use crate::state::lattice::Lattice;
use crate::state::workloads::{WorkloadChange, WorkloadFacts};
use crate::text::{abbreviate_key, escape_untrusted};

/// What an event means for the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The awaited event: end with exit 0. The text describes it.
    Reached(String),
    /// A failure: end with exit 4. The text starts with the flag it is judged under.
    Failed(String),
}

#[derive(Debug)]
pub struct Until {
    /// `--until-*`; `None` with only `--fail-on`.
    pub target: Option<Filter>,
    /// `--fail-on` (or its default); `None` with `--fail-on none`.
    pub failure: Option<Filter>,
    /// `--until-app`.
    pub apps: Option<AppWait>,
    /// `--until-workload`.
    pub workloads: Option<WorkloadWait>,
    /// `--until-type` patterns that name failures (`component_scale_failed`, `'*_failed'`): an
    /// event they match ends the wait with exit 0, not the default `--fail-on`. Empty when
    /// `--fail-on` was typed: that is judged first.
    pub awaited_failures: Vec<crate::filter::TypePattern>,
    /// The flag a failure is said under: `--fail-on` when given, else the wait's own
    /// (`--until-app`, `--until`): the default failures end a wait without `--fail-on` being
    /// typed.
    pub failure_by: &'static str,
}

/// `--until-app [LATTICE/]NAME=STATUS`: an application and the status it must reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTarget {
    /// `LATTICE/NAME`: the application of that lattice only. `None`: every application of this
    /// name latwatch knows, in every lattice watched.
    pub lattice: Option<String>,
    pub name: String,
    pub status: AppStatus,
}

impl AppTarget {
    /// Whether the application `name` of `lattice` is one this target is about.
    fn covers(&self, lattice: &str, name: &str) -> bool {
        self.name == name && self.lattice.as_deref().is_none_or(|l| l == lattice)
    }

    /// The applications this target is about, each with its lattice and status.
    fn apps<'a>(&'a self, apps: &'a Apps) -> impl Iterator<Item = (&'a str, Option<Standing>)> {
        apps.named(&self.name)
            .filter(|(lattice, _)| self.lattice.as_deref().is_none_or(|l| l == *lattice))
    }
}

/// `--until-app`: every target must be reached; a target application whose status becomes
/// `failed` ends the wait with exit 4 unless `fail` is off (`--fail-on none`) or `failed` is what
/// it waits for.
#[derive(Debug, Clone)]
pub struct AppWait {
    pub targets: Vec<AppTarget>,
    pub fail: bool,
    /// Several lattices are watched: every message names each application as `LATTICE/NAME`.
    pub several_lattices: bool,
}

impl AppWait {
    /// Whether the application `name` of `lattice` is one the wait is about: `--fail-on`'s
    /// events are judged for these only.
    pub fn awaits(&self, lattice: &str, name: &str) -> bool {
        self.targets.iter().any(|t| t.covers(lattice, name))
    }

    /// How messages name an application: `LATTICE/NAME` when several lattices are watched or a
    /// target named its lattice, else `NAME`. Escaped.
    fn label(&self, lattice: &str, name: &str) -> String {
        let named = self
            .targets
            .iter()
            .any(|t| t.lattice.is_some() && t.covers(lattice, name));
        match self.several_lattices || named {
            true => format!(
                "{}/{}",
                escape_untrusted(lattice),
                crate::text::escape_name(name)
            ),
            false => crate::text::escape_name(name).into_owned(),
        }
    }

    /// Judges the wait against what application memory knows now. Only a status seen after the
    /// application's newest deploy counts (`Standing::fresh`). A bare NAME is reached when every
    /// application of that name latwatch knows has the status (at least one).
    pub fn judge(&self, apps: &Apps) -> Option<Verdict> {
        if self.fail {
            for target in self
                .targets
                .iter()
                .filter(|t| t.status != AppStatus::Failed)
            {
                for (lattice, status) in target.apps(apps) {
                    if let Some(failed) =
                        status.filter(|s| s.fresh && s.status == AppStatus::Failed)
                    {
                        let label = self.label(lattice, &target.name);
                        return Some(Verdict::Failed(format!(
                            "--until-app: {}",
                            describe_app(&label, &failed)
                        )));
                    }
                }
            }
        }
        let mut reached = Vec::new();
        for target in &self.targets {
            let before = reached.len();
            for (lattice, status) in target.apps(apps) {
                let status = status.filter(|s| s.fresh && s.status == target.status)?;
                reached.push(describe_app(&self.label(lattice, &target.name), &status));
            }
            if reached.len() == before {
                return None;
            }
        }
        Some(Verdict::Reached(reached.join("; ")))
    }

    /// Where each target stands, for the message when the wait times out.
    pub fn standing(&self, apps: &Apps) -> String {
        let mut words = Vec::new();
        for target in &self.targets {
            let wanted = escape_untrusted(target.status.as_str());
            let before = words.len();
            for (lattice, status) in target.apps(apps) {
                let label = self.label(lattice, &target.name);
                words.push(match status {
                    Some(s) if s.fresh && s.status == target.status => {
                        format!("{label} is {wanted}")
                    }
                    Some(s) if s.fresh => {
                        format!(
                            "{label} is {}, not {wanted}",
                            escape_untrusted(s.status.as_str())
                        )
                    }
                    Some(s) => format!(
                        "{label} is {} (before its newest deploy), not {wanted}",
                        escape_untrusted(s.status.as_str())
                    ),
                    None => format!("{label} has no status yet (waiting for {wanted})"),
                });
            }
            if words.len() == before {
                let name = match &target.lattice {
                    Some(lattice) => self.label(lattice, &target.name),
                    None if self.several_lattices => {
                        format!(
                            "{} in any lattice watched",
                            crate::text::escape_name(&target.name)
                        )
                    }
                    None => crate::text::escape_name(&target.name).into_owned(),
                };
                words.push(format!(
                    "no status of {name} seen (waiting for {wanted}; is the name right?)"
                ));
            }
        }
        words.join("; ")
    }
}

/// `hello-app is deployed (v0.0.2)`, or with a failure its message and failing scalers. `label`
/// is escaped already ([`AppWait::label`]).
fn describe_app(label: &str, status: &Standing) -> String {
    let mut text = match &status.status {
        AppStatus::Failed => format!("{label} failed"),
        other => format!("{label} is {}", escape_untrusted(other.as_str())),
    };
    if let Some(version) = &status.version {
        let _ = write!(text, " ({})", escape_untrusted(version));
    }
    if let Some(message) = &status.message {
        let _ = write!(text, ": {}", escape_untrusted(message));
    }
    for (scaler, why) in &status.failing {
        if Some(why) != status.message.as_ref() {
            let _ = write!(
                text,
                "; scaler {}: {}",
                escape_untrusted(scaler),
                escape_untrusted(why)
            );
        } else {
            let _ = write!(text, "; scaler {} failed", escape_untrusted(scaler));
        }
    }
    text
}

impl Until {
    /// Failures are checked first: an event that is both (a `--until-type '*'`) is a failure,
    /// unless `--until-type` names failures and `--fail-on` was not typed.
    /// `app` is the application the event belongs to: with `--until-app`, `--fail-on` judges
    /// the awaited applications' events only, and an event of no known application is none of
    /// theirs.
    pub fn judge<'a>(
        &'a self,
        event: &'a Event<'_>,
        lattice: &'a Lattice,
        app: Option<&AppFacts>,
        notes: &mut Vec<Note<'a>>,
    ) -> Option<Verdict> {
        // A failure the user waits for by name wins over the default failures (`*_failed`, not
        // typed): `--until-type component_scale_failed` ends with exit 0 when one comes.
        let reached = |notes: &mut Vec<Note<'a>>| {
            self.target.as_ref().and_then(|target| {
                target
                    .keeps(event, lattice, None, None, notes)
                    .then(|| Verdict::Reached(describe(event)))
            })
        };
        let named = self
            .awaited_failures
            .iter()
            .any(|p| p.matches(event.kind.name()));
        if named {
            if let Some(verdict) = reached(notes) {
                return Some(verdict);
            }
        }
        if let Some(failure) = &self.failure {
            let awaited = match (&self.apps, app) {
                (None, _) => Some(None),
                (Some(wait), Some(app)) if wait.awaits(&app.lattice, &app.name) => {
                    Some(Some(wait.label(&app.lattice, &app.name)))
                }
                (Some(_), _) => None,
            };
            if let Some(label) = awaited {
                if failure.keeps(event, lattice, None, None, notes) {
                    let what = describe(event);
                    return Some(Verdict::Failed(match label {
                        Some(label) => format!("{}: {label}: {what}", self.failure_by),
                        None => format!("{}: {what}", self.failure_by),
                    }));
                }
            }
        }
        match named {
            true => None,
            false => reached(notes),
        }
    }

    pub fn needs_host_names(&self) -> bool {
        self.filters().any(Filter::needs_host_names)
    }

    pub fn reads_data(&self) -> bool {
        self.filters().any(Filter::reads_data)
    }

    fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.target.iter().chain(self.failure.iter())
    }
}

/// `component_scale_failed rust_hello_world-http_component on NV3CJL…: "error text"`, escaped.
fn describe(event: &Event) -> String {
    let mut text = escape_untrusted(event.kind.label()).into_owned();
    if let Some(data) = event.data() {
        for key in ["component_id", "actor_id", "provider_id", "source_id"] {
            if let Some(id) = data.str(key) {
                let _ = write!(text, " {}", escape_untrusted(&id));
                break;
            }
        }
    }
    if let Some(host) = event.host_id() {
        let _ = write!(text, " on {}", abbreviate_key(&host));
    }
    if let Some(error) = event.data().and_then(|d| d.str("error")) {
        let _ = write!(text, ": {}", escape_untrusted(&error));
    }
    text
}

/// A state `--until-workload` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WantState {
    Running,
    Error,
    NotFound,
    Stopped,
}

impl WantState {
    pub const NAMES: &'static str = "running, error, not_found, stopped";

    pub fn parse(text: &str) -> Option<WantState> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "running" => Some(WantState::Running),
            "error" | "failed" => Some(WantState::Error),
            "not_found" | "notfound" => Some(WantState::NotFound),
            "stopped" => Some(WantState::Stopped),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            WantState::Running => "running",
            WantState::Error => "error",
            WantState::NotFound => "not_found",
            WantState::Stopped => "stopped",
        }
    }

    /// Whether what happened puts the workload in this state.
    fn reached_by(self, change: &WorkloadChange) -> bool {
        use crate::v2::WorkloadState as S;
        match self {
            WantState::Stopped => matches!(change, WorkloadChange::Stopped { .. }),
            WantState::Running => change.state() == Some(&S::Running),
            WantState::Error => change.state() == Some(&S::Error),
            WantState::NotFound => {
                change.state() == Some(&S::NotFound)
                    && !matches!(change, WorkloadChange::Stopped { .. })
            }
        }
    }
}

/// `--until-workload NAMESPACE/NAME=STATE`, names as globs.
#[derive(Debug)]
pub struct WorkloadTarget {
    pub namespace: crate::filter::AppPattern,
    pub name: crate::filter::AppPattern,
    pub state: WantState,
    /// The value as given, escaped.
    pub shown: String,
}

/// `--until-workload`: every target must be reached (by some workload matching it); a matching
/// workload that fails to start, or is found in error, ends the wait with exit 4 unless `fail` is
/// off (`--fail-on none`) or error is what it waits for.
#[derive(Debug)]
pub struct WorkloadWait {
    pub targets: Vec<WorkloadTarget>,
    pub fail: bool,
    /// For each target, the workload that reached it and how.
    reached: Vec<Option<String>>,
}

impl WorkloadWait {
    pub fn new(targets: Vec<WorkloadTarget>, fail: bool) -> WorkloadWait {
        let reached = targets.iter().map(|_| None).collect();
        WorkloadWait {
            targets,
            fail,
            reached,
        }
    }

    /// Judges one request's answer (`facts`); `host` is the host's name to say.
    pub fn judge(&mut self, facts: &WorkloadFacts, host: &str) -> Option<Verdict> {
        if facts.name.is_empty() {
            return None;
        }
        let key = crate::text::escape_name(&facts.key()).into_owned();
        for (i, target) in self.targets.iter().enumerate() {
            if !(target.namespace.matches(&facts.namespace) && target.name.matches(&facts.name)) {
                continue;
            }
            let failed = matches!(facts.change, WorkloadChange::Failed { .. })
                || matches!(&facts.change, WorkloadChange::State { to, .. } if *to == crate::v2::WorkloadState::Error);
            if failed && self.fail && target.state != WantState::Error {
                return Some(Verdict::Failed(format!(
                    "--until-workload {}: {key} on {}: {}",
                    target.shown,
                    escape_untrusted(host),
                    facts
                        .change
                        .message()
                        .map(|m| escape_untrusted(m).into_owned())
                        .unwrap_or_else(|| "failed, with no text from the host".to_owned())
                )));
            }
            if target.state.reached_by(&facts.change) && self.reached[i].is_none() {
                self.reached[i] = Some(format!("{key} {}", target.state.name()));
            }
        }
        if self.reached.iter().all(Option::is_some) {
            let reached: Vec<&str> = self.reached.iter().flatten().map(String::as_str).collect();
            return Some(Verdict::Reached(reached.join("; ")));
        }
        None
    }

    /// Where each target stands, for the message when the wait times out.
    pub fn standing(&self) -> String {
        let waiting: Vec<String> = self
            .targets
            .iter()
            .zip(&self.reached)
            .filter(|(_, reached)| reached.is_none())
            .map(|(target, _)| target.shown.clone())
            .collect();
        format!("still waiting for {}", waiting.join(", "))
    }
}
