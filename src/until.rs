//! Scripting: `--until-*` ends the run with exit 0 when a matching event arrives; `--fail-on` ends
//! it with exit 4 when a failure arrives. Both use the filter flags' matching ([`Filter`]): values
//! of one flag OR, different flags AND.
//!
//! A failure is "about the same subject" as the wait: `--fail-on`'s types (by default every
//! `*_failed` kind) ANDed with the `--until-host/--until-component/--until-provider` matchers, so
//! `--until-type component_scaled --until-component echo` fails on `component_scale_failed` for
//! echo, not on a health check of some other provider.

use std::fmt::Write as _;

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
            if failure.keeps(event, lattice, notes) {
                return Some(Verdict::Failed(describe(event)));
            }
        }
        let target = self.target.as_ref()?;
        target
            .keeps(event, lattice, notes)
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
