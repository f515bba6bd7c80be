//! Scripting: `--until-*` ends the run with exit 0 when a matching event arrives; `--fail-on` ends
//! it with exit 4 when a failure arrives. Both use the filter flags' matching ([`Filter`]): values
//! of one flag OR, different flags AND.
//!
//! A failure is "about the same subject" as the wait: `--fail-on`'s types (by default every
//! `*_failed` kind) ANDed with the `--until-host/--until-component/--until-provider` matchers, so
//! `--until-type component_scaled --until-component echo` fails on `component_scale_failed` for
//! echo, not on a health check of some other provider.

use std::fmt::Write as _;

use crate::apps::{AppStatus, Apps};
use crate::event::Event;
use crate::filter::notes::Note;
use crate::filter::Filter;
use crate::lattice::Lattice;
use crate::text::{abbreviate_key, escape_untrusted};

/// What an event means for the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The awaited event: end with exit 0. The text describes it.
    Reached(String),
    /// A failure: end with exit 4.
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
}

/// `--until-app NAME=STATUS`: one application and the status it must reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTarget {
    pub name: String,
    pub status: String,
}

/// `--until-app`: every target must be reached; a target application whose status becomes
/// `failed` ends the wait with exit 4 unless `fail` is off (`--fail-on none`) or `failed` is what
/// it waits for.
#[derive(Debug, Clone)]
pub struct AppWait {
    pub targets: Vec<AppTarget>,
    pub fail: bool,
}

impl AppWait {
    /// Judges the wait against what application memory knows now. Only a status seen after the
    /// application's newest deploy counts (`AppStatus::fresh`).
    pub fn judge(&self, apps: &Apps) -> Option<Verdict> {
        if self.fail {
            for target in self.targets.iter().filter(|t| t.status != "failed") {
                let failed = apps
                    .statuses_named(&target.name)
                    .find(|s| s.fresh && s.status == "failed");
                if let Some(failed) = failed {
                    return Some(Verdict::Failed(describe_app(&target.name, &failed)));
                }
            }
        }
        let mut reached = Vec::new();
        for target in &self.targets {
            let status = apps
                .statuses_named(&target.name)
                .find(|s| s.fresh && s.status == target.status)?;
            reached.push(describe_app(&target.name, &status));
        }
        Some(Verdict::Reached(reached.join("; ")))
    }

    /// Where each target stands, for the message when the wait times out.
    pub fn standing(&self, apps: &Apps) -> String {
        let words: Vec<String> = self
            .targets
            .iter()
            .map(|target| {
                let name = crate::text::escape_name(&target.name);
                let wanted = escape_untrusted(&target.status);
                let now = apps
                    .statuses_named(&target.name)
                    .max_by_key(|s| s.fresh)
                    .map(|s| match s.fresh {
                        true => escape_untrusted(&s.status).into_owned(),
                        false => {
                            format!("{} (before its newest deploy)", escape_untrusted(&s.status))
                        }
                    });
                match now {
                    Some(now) => format!("{name} is {now}, not {wanted}"),
                    None if apps.knows(&target.name) => {
                        format!("{name} has no status yet (waiting for {wanted})")
                    }
                    None => format!(
                        "no status of {name} seen (waiting for {wanted}; is the name right?)"
                    ),
                }
            })
            .collect();
        words.join("; ")
    }
}

/// `hello-app is deployed (v0.0.2)`, or with a failure its message and failing scalers.
fn describe_app(name: &str, status: &AppStatus) -> String {
    let name = crate::text::escape_name(name);
    let mut text = match status.status.as_str() {
        "failed" => format!("{name} failed"),
        other => format!("{name} is {}", escape_untrusted(other)),
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
    /// Failures are checked first: an event that is both (a `--until-type '*'`) is a failure.
    pub fn judge<'a>(
        &'a self,
        event: &'a Event<'_>,
        lattice: &'a Lattice,
        notes: &mut Vec<Note<'a>>,
    ) -> Option<Verdict> {
        if let Some(failure) = &self.failure {
            if failure.keeps(event, lattice, None, notes) {
                return Some(Verdict::Failed(describe(event)));
            }
        }
        let target = self.target.as_ref()?;
        target
            .keeps(event, lattice, None, notes)
            .then(|| Verdict::Reached(describe(event)))
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
