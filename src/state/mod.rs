//! The lattice as it is now: the one state every view reads.
//!
//! - [`lattice`]: hosts (name, version, labels, liveness, learned interval), each host's
//!   inventory as its heartbeats count it, and provider health. It turns each event into
//!   [`lattice::Facts`] for the renderers and notices silent hosts.
//! - [`apps`]: what wadm says about applications (typed status, version, newest deploy, failures,
//!   id ownership), and which application each event belongs to.
//! - [`tables`]: the rows `latwatch top` draws (components and providers per host with image,
//!   instances and application, links), kept only when a view draws them.
//!
//! The state never words anything and reads no clock: every change comes with the time it
//! happened, and comes back as structured facts. [`crate::pipeline::Pipeline`] owns one
//! [`State`]; filters, `--until-*`, the renderers, `--summary` and `top` borrow it. Startup
//! knowledge (the control interface's `host.ping`, `host.get`, `link.get`, wadm's statuses)
//! enters through typed entries ([`lattice::Lattice::seed_host`], [`tables::Tables::seed`],
//! [`apps::Apps::seed`]), the same for every view.

pub mod apps;
pub mod lattice;
pub mod tables;

use std::collections::HashSet;
use std::sync::Arc;

/// Everything latwatch knows about the lattice now.
#[derive(Debug, Default)]
pub struct State {
    pub lattice: lattice::Lattice,
    /// Application memory, when wadm is watched (`Plan::apps.memory`).
    pub apps: Option<apps::Apps>,
    /// The rows `top` draws, when a view draws them (`Plan::tables`).
    pub tables: Option<tables::Tables>,
}

/// One shared copy of each string: a thousand hosts running one component share its id's and
/// image's text.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// `target` set to the shared `value` unless it holds it already (no allocation for an
    /// unchanged row).
    pub fn set(&mut self, target: &mut Option<Arc<str>>, value: Option<&str>) {
        if target.as_deref() != value {
            *target = value.map(|v| self.get(v));
        }
    }

    /// Forgets strings no row holds any more (only the interner's own copy is left).
    pub fn sweep(&mut self) {
        self.strings.retain(|s| Arc::strong_count(s) > 1);
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}
