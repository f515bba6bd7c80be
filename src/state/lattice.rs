//! Lattice memory: what latwatch learns while watching, and what it makes of each event.
//!
//! Per host: its friendly name, its latest inventory (from heartbeats), its labels and version,
//! when it last heartbeat and how often it does, and the health of its providers. From that,
//! [`Lattice::observe`] turns an event into [`Facts`] for the renderers: the host's name, what a
//! heartbeat changed (or that it changed nothing and can stay quiet), health flips; and
//! [`Lattice::tick`] notices hosts that went silent. State is bounded: a host that stopped, or was
//! silent for an hour, is forgotten, and at most [`MAX_HOSTS`] are known at once (spoofed host ids
//! cannot grow it: 200,000 of them took 358 MB); past that the least recently heard are forgotten
//! first, and counted ([`Lattice::forgotten`]).
//!
//! Memory sees every decoded event before the filter, so what is learned from an event that is not
//! shown (a heartbeat hidden by `--type`) still counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::kind::KindId;
use crate::event::kind::KindId::{
    HealthCheckFailed, HealthCheckPassed, HealthCheckStatus, HostHeartbeat, HostStarted,
    HostStopped, LabelsChanged, V2HostHeartbeat,
};
use crate::event::{json_str, Data, Event};
use crate::state::Interner;

mod v2;

/// Heartbeat interval assumed until a host's own heartbeats tell (wasmCloud's default).
const DEFAULT_INTERVAL: Duration = Duration::seconds(30);
/// A host is silent after this many intervals without a heartbeat (wadm gives up after about 2).
const SILENT_AFTER_INTERVALS: i32 = 5; // in half intervals: 2.5 intervals
/// Heartbeats closer together than this teach nothing about the interval: a replay, a reconnect or
/// a host's extra heartbeat right after an inventory change sends them back to back.
const SHORTEST_INTERVAL: Duration = Duration::seconds(1);
/// The interval learned is the longest of this many recent spacings: a regular heartbeat that
/// follows an extra one comes early, and must not shrink what "usual" means.
const SPACINGS_KEPT: usize = 4;
/// Never call a host silent after less than this, whatever was learned.
const SHORTEST_SILENCE: Duration = Duration::seconds(5);
/// A host silent this long is forgotten.
const FORGET_AFTER: Duration = Duration::hours(1);
/// A first heartbeat lists ids when there are at most this many.
const LIST_IDS_UP_TO: usize = 5;
/// Hosts known at most. A new host past it makes room by forgetting the tenth of the known hosts
/// heard from longest ago: one sort per thousand new hosts, nothing on the per-event path.
pub const MAX_HOSTS: usize = 10_000;
const FORGET_AT_ONCE: usize = MAX_HOSTS / 10;

/// When a host was last heard from, and last heartbeat.
type LastHeard = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What latwatch knows about one host.
#[derive(Debug, Default)]
struct Host {
    name: Option<String>,
    version: Option<String>,
    labels: BTreeMap<String, String>,
    inventory: Option<Inventory>,
    last_heartbeat: Option<DateTime<Utc>>,
    /// The recent spacings between heartbeats (at least [`SHORTEST_INTERVAL`] each), newest last.
    spacings: Vec<Duration>,
    /// Set while the host is reported silent, with when it was last heard.
    silent_since: Option<DateTime<Utc>>,
    /// Provider id → healthy.
    health: HashMap<String, bool>,
    last_seen: Option<DateTime<Utc>>,
    /// A wasmCloud 2 host: what its heartbeats say (`v2.rs`).
    v2: Option<v2::V2Host>,
}

impl Host {
    /// The heartbeat interval as learned: the longest recent spacing, once there is one.
    fn interval(&self) -> Option<Duration> {
        self.spacings.iter().max().copied()
    }
}

/// A host's inventory, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub components: usize,
    /// Component instances (max instances), summed.
    pub instances: u64,
    pub providers: usize,
}

impl Inventory {
    fn counts(&self) -> Counts {
        Counts {
            components: self.components.len(),
            instances: self.components.values().map(|(_, max)| max).sum(),
            providers: self.providers.len(),
        }
    }
}

/// A host's components and providers, as its heartbeat lists them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// Component id → (image, max instances); ids and images interned (a thousand hosts running
    /// one component hold its id's and image's text once).
    pub components: Listing<(Option<Arc<str>>, u64)>,
    /// Provider id → image.
    pub providers: Listing<Option<Arc<str>>>,
}

/// Ids and what is known of each, sorted by id: a map that is built once per heartbeat and
/// then only read, kept in one allocation (a B-tree's nodes cost a thousand hosts of 100
/// components several MB more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<V> {
    sorted: Vec<(Arc<str>, V)>,
}

impl<V> Default for Listing<V> {
    fn default() -> Self {
        Listing { sorted: Vec::new() }
    }
}

impl<V> Listing<V> {
    /// From entries in any order; of two with one id, the later wins (as a map insert would).
    fn new(mut entries: Vec<(Arc<str>, V)>) -> Listing<V> {
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        entries.shrink_to_fit();
        Listing { sorted: entries }
    }

    pub fn get(&self, id: &str) -> Option<&V> {
        self.sorted
            .binary_search_by(|(key, _)| key.as_ref().cmp(id))
            .ok()
            .map(|at| &self.sorted[at].1)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.sorted.iter().map(|(id, _)| id)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.sorted.iter().map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        self.sorted.iter().map(|(id, value)| (id, value))
    }
}

impl Change {
    /// A change to what the host runs (not its labels, version or liveness).
    pub fn lists(&self) -> bool {
        matches!(
            self,
            Change::Inventory { .. }
                | Change::ComponentAdded { .. }
                | Change::ComponentRemoved { .. }
                | Change::Rescaled { .. }
                | Change::ImageChanged { .. }
                | Change::ProviderAdded { .. }
                | Change::ProviderRemoved { .. }
        )
    }
}

/// One thing that changed: data; the renderers word it (`render::words`), `-o jsonl` writes it as
/// an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A host's first heartbeat: what it runs.
    Inventory {
        components: usize,
        instances: u64,
        providers: usize,
        /// The ids, when there are few.
        ids: Vec<String>,
    },
    ComponentAdded {
        id: String,
        max: u64,
    },
    ComponentRemoved {
        id: String,
    },
    Rescaled {
        id: String,
        from: u64,
        to: u64,
    },
    ImageChanged {
        id: String,
        from: String,
        to: String,
    },
    ProviderAdded {
        id: String,
    },
    ProviderRemoved {
        id: String,
    },
    Label {
        key: String,
        from: Option<String>,
        to: Option<String>,
    },
    Version {
        from: String,
        to: String,
    },
    /// A provider's health turned (`from` is `None` the first time latwatch hears of it).
    Health {
        provider: String,
        from: Option<bool>,
        to: bool,
    },
    /// A silent host heartbeat again after this long.
    Back {
        silent_for: Duration,
    },
    /// A wasmCloud 2 host's first heartbeat: `joined` when it started within two intervals,
    /// else seen (latwatch started later; `up` says for how long it has run).
    V2Appeared {
        joined: bool,
        hostname: String,
        hostgroup: Option<String>,
        environment: Option<String>,
        version: String,
        http_port: Option<u32>,
        up: Option<Duration>,
        workloads: u64,
        components: u64,
    },
    /// A wasmCloud 2 host's counts changed: (from, to) each.
    V2Counts {
        workloads: (u64, u64),
        components: (u64, u64),
    },
    /// The same hostname heartbeats under a new id: the host restarted (`was` is the old id).
    Restarted {
        was: String,
    },
}

/// What latwatch makes of one event, for the renderers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The host's friendly name, once known.
    pub host_name: Option<String>,
    /// Another host carries the same name: show the key too.
    pub name_shared: bool,
    pub changes: Vec<Change>,
    /// For a heartbeat: what the host runs, counted.
    pub inventory: Option<Counts>,
    /// Nothing new: a heartbeat that changed nothing, a periodic health status, a repeated
    /// application status. Pretty output leaves it out (unless `--heartbeats`).
    pub quiet: bool,
    /// The application the event belongs to, and for wadm's messages what changed
    /// (application memory, `apps.rs`).
    pub app: Option<crate::state::apps::AppFacts>,
    /// A failure a host may report again while it retries: how many times in a row the same
    /// host reported the same error for the same id, and over how long (pretty output shortens
    /// a repeat).
    pub repeat: Option<Repeat>,
    /// For a wasmCloud 2 request or answer: what it meant for the workload (`state::workloads`).
    pub workload: Option<crate::state::workloads::WorkloadFacts>,
}

/// A host failure that may come again (a retry): how many times in a row, over how long, and a
/// key for it (host, kind, what failed, the error). Pretty output shortens it after the first,
/// once that one was shown in full (`Pipeline` keeps which were).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub times: u32,
    pub over: Duration,
    pub key: u64,
}

/// A host's last failure for one id: the error's hash, how many times, since when.
type LastFailure = (u64, u32, DateTime<Utc>);

/// Failures remembered for [`Repeat`] at most (a new one past it starts afresh).
const FAILURES_KEPT: usize = 10_000;

/// A host that stopped heartbeating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub host_id: String,
    pub host_name: Option<String>,
    pub silent_for: Duration,
    pub last_heartbeat: DateTime<Utc>,
    pub at: DateTime<Utc>,
    /// A wasmCloud 2 host silent past the operator's heartbeat TTL (60 s): it deletes the Host
    /// and reschedules its workloads (`workloads` of them, as last counted).
    pub lost: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Lattice {
    hosts: HashMap<String, Host>,
    /// How many known hosts carry each name: a name on two hosts needs the key beside it.
    name_counts: HashMap<String, usize>,
    /// Hosts forgotten to stay within [`MAX_HOSTS`].
    forgotten: u64,
    /// (host, kind, id) → (the error's hash, times, first seen): the last failure of each.
    failures: HashMap<(String, KindId, u64), LastFailure>,
    /// wasmCloud 2's heartbeat interval (15 s; tests shorten it).
    v2_interval: Option<Duration>,
    /// The one string interner of the state: inventories here and the rows a view draws
    /// (`state::tables`) share each id's and image's text.
    pub strings: Interner,
}

/// A failure a host reports again and again while it retries (not a health check: that is a
/// state, and flips).
fn repeats(kind: KindId) -> bool {
    use KindId::*;
    matches!(
        kind,
        ComponentScaleFailed
            | ComponentStartFailed
            | ProviderStartFailed
            | LinkdefSetFailed
            | ActorScaleFailed
            | ActorsStartFailed
            | ActorStartFailed
            | ActorUpdateFailed
    )
}

/// What a failure event is about: its component, provider or link source.
pub fn failed_id<'d>(data: &'d Data) -> Option<std::borrow::Cow<'d, str>> {
    // A link is its source and target (and its name and interfaces, see `link_rest`).
    if let (Some(source), Some(target)) = (data.str("source_id"), data.str("target")) {
        return Some(std::borrow::Cow::Owned(format!("{source} → {target}")));
    }
    [
        "component_id",
        "actor_id",
        "provider_id",
        "public_key",
        "source_id",
    ]
    .iter()
    .find_map(|key| data.str(key))
}

/// What a failure is about, as a hash of its fields as written (nothing allocated): the id
/// [`failed_id`] reads, and for a link (or an 0.x link definition) its target, name and
/// interfaces too, since two links from one source differ by those, and so do their failures.
fn failure_identity(kind: KindId, data: &Data) -> Option<u64> {
    let raw = |key: &str| data.get(key).map(|raw| raw.get());
    let id = [
        "component_id",
        "actor_id",
        "provider_id",
        "public_key",
        "source_id",
    ]
    .map(raw);
    if id.iter().all(Option::is_none) {
        return None;
    }
    let link = match kind {
        KindId::LinkdefSetFailed => [
            "target",
            "name",
            "wit_namespace",
            "wit_package",
            "interfaces",
            "link_name",
            "contract_id",
        ]
        .map(raw),
        _ => [None; 7],
    };
    Some(crate::dedupe::key_of((id, link)))
}

/// Moves one count from a host's old name to its new one.
fn recount(counts: &mut HashMap<String, usize>, old: Option<&str>, new: Option<&str>) {
    if old == new {
        return;
    }
    if let Some(old) = old {
        if let Some(count) = counts.get_mut(old) {
            *count -= 1;
            if *count == 0 {
                counts.remove(old);
            }
        }
    }
    if let Some(new) = new {
        *counts.entry(new.to_owned()).or_default() += 1;
    }
}

impl Lattice {
    /// Learns a host from what the control interface said of it (`host.ping`'s response): its
    /// name, version and labels, as a `host_started` would teach them. A typed entry: nothing is
    /// dressed up as an event.
    pub fn seed_host(&mut self, ping: &serde_json::Value, at: DateTime<Utc>) {
        let text = |key: &str| ping.get(key).and_then(|v| v.as_str());
        let Some(host_id) = text("id") else {
            return;
        };
        let (name, version) = (text("friendly_name"), text("version"));
        let labels: Option<BTreeMap<String, String>> =
            ping.get("labels").and_then(|v| v.as_object()).map(|map| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            });
        if !self.hosts.contains_key(host_id) {
            if self.hosts.len() >= MAX_HOSTS {
                self.make_room();
            }
            self.hosts.insert(host_id.to_owned(), Host::default());
        }
        let Some(host) = self.hosts.get_mut(host_id) else {
            return;
        };
        host.last_seen.get_or_insert(at);
        if let Some(name) = name.filter(|n| host.name.as_deref() != Some(*n)) {
            let old = host.name.replace(name.to_owned());
            recount(&mut self.name_counts, old.as_deref(), Some(name));
        }
        if let Some(version) = version {
            host.version = Some(version.to_owned());
        }
        if let Some(labels) = labels {
            host.labels = labels;
        }
    }

    /// Learns from one event received (or, replayed, sent) at `at`, and says what it means.
    pub fn observe(&mut self, event: &Event, at: DateTime<Utc>) -> Facts {
        self.observe_read(event, at, None)
    }

    /// [`Lattice::observe`], with a heartbeat's inventory already read (`listed`, by
    /// [`listing`]): the pipeline reads it once for every part of the state.
    pub fn observe_read(
        &mut self,
        event: &Event,
        at: DateTime<Utc>,
        listed: Option<&Listings>,
    ) -> Facts {
        // Branch on the kind table's rows, not on names: an unknown kind spelled like a known one
        // (an escaped type) teaches nothing.
        let kind = event.kind.known();
        // wadm's messages are about applications (`apps.rs`), not about a host.
        if kind.is_some_and(KindId::is_wadm) {
            return Facts::default();
        }
        if kind == Some(V2HostHeartbeat) {
            return self.v2_heartbeat(event, at);
        }
        // Only host and health events teach anything from `data`; for the rest the host is
        // enough, and taking it from the envelope keeps `--json --summary` from parsing `data`.
        let teaches = matches!(
            kind,
            Some(
                HostStarted
                    | HostStopped
                    | HostHeartbeat
                    | LabelsChanged
                    | HealthCheckPassed
                    | HealthCheckFailed
                    | HealthCheckStatus
            )
        );
        let host_id = if teaches {
            event.host_id()
        } else {
            event.publisher_or_host()
        };
        let Some(host_id) = host_id else {
            return Facts::default();
        };
        let repeat = kind
            .filter(|k| repeats(*k))
            .and_then(|failure| self.failure(failure, &host_id, event, at));
        if kind == Some(HostStopped) {
            let host = self.hosts.remove(host_id.as_ref());
            let host_name = host.and_then(|h| h.name);
            recount(&mut self.name_counts, host_name.as_deref(), None);
            self.strings.sweep();
            return Facts {
                host_name,
                ..Facts::default()
            };
        }
        // Look up before inserting: most events are about a known host, and a key costs an allocation.
        if !self.hosts.contains_key(host_id.as_ref()) {
            if self.hosts.len() >= MAX_HOSTS {
                self.make_room();
            }
            self.hosts.insert(host_id.to_string(), Host::default());
        }
        let Some(host) = self.hosts.get_mut(host_id.as_ref()) else {
            return Facts::default();
        };
        let old_name = if teaches { host.name.clone() } else { None };
        host.last_seen = Some(at);
        let data = event.data();
        let mut facts = Facts::default();
        match kind {
            Some(HostStarted) => {
                if let Some(data) = data {
                    learn_identity(host, data, &mut Vec::new());
                }
            }
            Some(HostHeartbeat) => {
                if let Some(data) = data {
                    let (changes, counts) = heartbeat(host, data, at, listed, &mut self.strings);
                    facts.changes = changes;
                    facts.inventory = Some(counts);
                    facts.quiet = facts.changes.is_empty();
                }
            }
            Some(LabelsChanged) => {
                if let Some(labels) = data.and_then(|d| d.get("labels")).and_then(string_map) {
                    host.labels = labels;
                }
            }
            Some(HealthCheckPassed | HealthCheckFailed | HealthCheckStatus) => {
                let provider =
                    data.and_then(|d| d.str("provider_id").or_else(|| d.str("public_key")));
                if let Some(provider) = provider {
                    let before = host.health.get(provider.as_ref()).copied();
                    let now = match kind {
                        Some(HealthCheckPassed) => Some(true),
                        Some(HealthCheckFailed) => Some(false),
                        _ => None, // status carries no state
                    };
                    match (before, now) {
                        (_, Some(to)) => {
                            facts.changes.push(Change::Health {
                                provider: provider.to_string(),
                                from: before,
                                to,
                            });
                            host.health.insert(provider.into_owned(), to);
                        }
                        // A status of a provider latwatch has not heard of yet is news; later
                        // ones are the 30-second drone.
                        (Some(_), None) => facts.quiet = true,
                        (None, None) => {}
                    }
                }
            }
            _ => {}
        }
        facts.host_name = host.name.clone();
        if teaches {
            recount(
                &mut self.name_counts,
                old_name.as_deref(),
                facts.host_name.as_deref(),
            );
        }
        facts.name_shared = facts
            .host_name
            .as_ref()
            .is_some_and(|n| self.name_counts.get(n).is_some_and(|&count| count > 1));
        facts.repeat = repeat;
        facts
    }

    /// A failure event: the same as this host's last one for the same id (same error)?
    fn failure(
        &mut self,
        kind: KindId,
        host_id: &str,
        event: &Event,
        at: DateTime<Utc>,
    ) -> Option<Repeat> {
        let data = event.data()?;
        let id = failure_identity(kind, data)?;
        let error = data.get("error").map_or("", |raw| raw.get());
        let hash = crate::dedupe::key(error.as_bytes());
        let key = crate::dedupe::key_of((host_id, kind, id, hash));
        // The host's own time for each report, when it says (a capture's repeats are spread
        // over its time, not the replay's).
        let at = event.happened_at().unwrap_or(at);
        if self.failures.len() >= FAILURES_KEPT {
            self.failures.clear();
        }
        let entry = self
            .failures
            .entry((host_id.to_owned(), kind, id))
            .or_insert((hash, 0, at));
        if entry.0 != hash {
            *entry = (hash, 0, at);
        }
        entry.1 += 1;
        Some(Repeat {
            times: entry.1,
            over: at - entry.2,
            key,
        })
    }

    /// Forgets the [`FORGET_AT_ONCE`] hosts heard from longest ago (never heard, or only before
    /// any heartbeat, first).
    fn make_room(&mut self) {
        // (last heard, last heartbeat): `None` sorts first.
        let mut heard: Vec<(LastHeard, &String)> = self
            .hosts
            .iter()
            .map(|(id, host)| ((host.last_seen, host.last_heartbeat), id))
            .collect();
        let count = FORGET_AT_ONCE.min(heard.len());
        if count == 0 {
            return;
        }
        heard.select_nth_unstable_by_key(count - 1, |&(heard, _)| heard);
        let oldest: Vec<String> = heard[..count].iter().map(|(_, id)| (*id).clone()).collect();
        for id in oldest {
            if let Some(host) = self.hosts.remove(&id) {
                recount(&mut self.name_counts, host.name.as_deref(), None);
                self.forgotten += 1;
            }
        }
    }

    /// Hosts forgotten so far to stay within [`MAX_HOSTS`] (for `--summary`).
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// The friendly name of a host, once learned.
    pub fn host_name(&self, host_id: &str) -> Option<&str> {
        self.hosts.get(host_id).and_then(|h| h.name.as_deref())
    }

    /// Hosts that went silent since the last tick (each reported once), and forgets hosts silent
    /// for an hour.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Silence> {
        let v2_limits = self.v2_limits();
        let mut silent = Vec::new();
        let mut forgotten = Vec::new();
        self.hosts.retain(|id, host| {
            let Some(last) = host.last_heartbeat else {
                // Never heartbeat (an event from a host met mid-life): forget it after an hour.
                let keep = host.last_seen.is_none_or(|seen| now - seen < FORGET_AFTER);
                if !keep {
                    forgotten.push(host.name.take());
                }
                return keep;
            };
            let quiet_for = now - last;
            if quiet_for >= FORGET_AFTER {
                forgotten.push(host.name.take());
                return false;
            }
            // A v2 host's interval is fixed: silent after two missed heartbeats, lost after four
            // (said once more, as lost). A 1.x host's is learned.
            let (silent_after, lost) = match &mut host.v2 {
                Some(v2) => {
                    let (silent_after, lost_after) = v2_limits;
                    let lost = quiet_for > lost_after && !v2.lost;
                    v2.lost |= lost;
                    (silent_after, lost.then_some(v2.workloads))
                }
                None => {
                    let interval = host.interval().unwrap_or(DEFAULT_INTERVAL);
                    let silent_after =
                        (interval * SILENT_AFTER_INTERVALS / 2).max(SHORTEST_SILENCE);
                    (silent_after, None)
                }
            };
            if (host.silent_since.is_none() && quiet_for > silent_after) || lost.is_some() {
                host.silent_since = Some(last);
                silent.push(Silence {
                    host_id: id.clone(),
                    host_name: host.name.clone(),
                    silent_for: quiet_for,
                    last_heartbeat: last,
                    at: now,
                    lost,
                });
            }
            true
        });
        if !forgotten.is_empty() {
            self.strings.sweep();
        }
        for name in forgotten {
            recount(&mut self.name_counts, name.as_deref(), None);
        }
        silent.sort_by(|a, b| a.host_id.cmp(&b.host_id));
        silent
    }

    /// Hosts known, and hosts currently heartbeating (known and not silent).
    pub fn hosts(&self) -> (usize, usize) {
        let alive = self
            .hosts
            .values()
            .filter(|h| h.last_heartbeat.is_some() && h.silent_since.is_none())
            .count();
        (self.hosts.len(), alive)
    }
}

/// Name, version and labels, noting changes of the last two.
fn learn_identity(host: &mut Host, data: &Data, changes: &mut Vec<Change>) {
    if let Some(name) = data.str("friendly_name") {
        host.name = Some(name.into_owned());
    }
    if let Some(version) = data.str("version") {
        if let Some(old) = host.version.as_ref().filter(|old| **old != version) {
            changes.push(Change::Version {
                from: old.clone(),
                to: version.to_string(),
            });
        }
        host.version = Some(version.into_owned());
    }
    if let Some(labels) = data.get("labels").and_then(string_map) {
        if host.inventory.is_some() {
            for key in host.labels.keys().chain(labels.keys()) {
                let (from, to) = (host.labels.get(key), labels.get(key));
                if from != to
                    && !changes
                        .iter()
                        .any(|c| matches!(c, Change::Label { key: k, .. } if k == key))
                {
                    changes.push(Change::Label {
                        key: key.clone(),
                        from: from.cloned(),
                        to: to.cloned(),
                    });
                }
            }
        }
        host.labels = labels;
    }
}

/// A heartbeat: the first one gives the inventory, later ones what changed (often nothing).
fn heartbeat(
    host: &mut Host,
    data: &Data,
    at: DateTime<Utc>,
    listed: Option<&Listings>,
    strings: &mut Interner,
) -> (Vec<Change>, Counts) {
    let mut changes = Vec::new();
    if let Some(since) = host.silent_since.take() {
        changes.push(Change::Back {
            silent_for: at - since,
        });
    }
    if let Some(last) = host.last_heartbeat {
        let spacing = at - last;
        if spacing >= SHORTEST_INTERVAL {
            if host.spacings.len() == SPACINGS_KEPT {
                host.spacings.remove(0);
            }
            host.spacings.push(spacing);
        }
    }
    host.last_heartbeat = Some(at);
    learn_identity(host, data, &mut changes);
    let inventory = match listed {
        Some((components, providers)) => inventory_of(components, providers, strings),
        None => inventory(data, strings),
    };
    match &host.inventory {
        None => {
            let ids: Vec<String> = inventory
                .components
                .keys()
                .chain(inventory.providers.keys())
                .map(|id| id.to_string())
                .collect();
            let counts = inventory.counts();
            changes.push(Change::Inventory {
                components: counts.components,
                instances: counts.instances,
                providers: counts.providers,
                ids: if ids.len() <= LIST_IDS_UP_TO {
                    ids
                } else {
                    Vec::new()
                },
            });
        }
        Some(old) => diff(old, &inventory, &mut changes),
    }
    let counts = inventory.counts();
    host.inventory = Some(inventory);
    (changes, counts)
}

fn diff(old: &Inventory, new: &Inventory, changes: &mut Vec<Change>) {
    for (id, (image, max)) in new.components.iter() {
        match old.components.get(id) {
            None => changes.push(Change::ComponentAdded {
                id: id.to_string(),
                max: *max,
            }),
            Some((old_image, old_max)) => {
                if old_image != image {
                    changes.push(Change::ImageChanged {
                        id: id.to_string(),
                        from: old_image.as_deref().unwrap_or_default().to_owned(),
                        to: image.as_deref().unwrap_or_default().to_owned(),
                    });
                }
                if old_max != max {
                    changes.push(Change::Rescaled {
                        id: id.to_string(),
                        from: *old_max,
                        to: *max,
                    });
                }
            }
        }
    }
    for id in old
        .components
        .keys()
        .filter(|id| !new.components.contains_key(id))
    {
        changes.push(Change::ComponentRemoved { id: id.to_string() });
    }
    for (id, image) in new.providers.iter() {
        match old.providers.get(id) {
            None => changes.push(Change::ProviderAdded { id: id.to_string() }),
            Some(old_image) if old_image != image => changes.push(Change::ImageChanged {
                id: id.to_string(),
                from: old_image.as_deref().unwrap_or_default().to_owned(),
                to: image.as_deref().unwrap_or_default().to_owned(),
            }),
            Some(_) => {}
        }
    }
    for id in old
        .providers
        .keys()
        .filter(|id| !new.providers.contains_key(id))
    {
        changes.push(Change::ProviderRemoved { id: id.to_string() });
    }
}

/// A heartbeat entry, every field lenient.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    public_key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    image_ref: Option<&'a RawValue>,
    #[serde(default, borrow)]
    max_instances: Option<&'a RawValue>,
    #[serde(default, borrow)]
    instances: Option<&'a RawValue>,
    #[serde(default, borrow)]
    annotations: Option<&'a RawValue>,
}

impl Entry<'_> {
    fn id(&self) -> Option<String> {
        self.id
            .or(self.public_key)
            .and_then(json_str)
            .map(|id| id.into_owned())
    }

    fn image(&self) -> Option<String> {
        self.image_ref.and_then(json_str).map(|i| i.into_owned())
    }

    /// 1.x `max_instances`, or the sum over 0.82's `instances`.
    fn max(&self) -> u64 {
        if let Some(max) = self.max_instances {
            return max.get().parse().unwrap_or(0);
        }
        self.instances
            .and_then(|raw| serde_json::from_str::<Vec<Entry>>(raw.get()).ok())
            .map_or(0, |list| list.iter().map(Entry::max).sum())
    }

    /// The application its annotations name (1.x), else the first of 0.82's instances that
    /// names one.
    fn app(&self) -> Option<String> {
        if let Some(app) = self.annotations.and_then(crate::state::apps::appspec) {
            return Some(app.into_owned());
        }
        let instances = self.instances?;
        let list = serde_json::from_str::<Vec<Entry>>(instances.get()).ok()?;
        list.iter().find_map(Entry::app)
    }
}

/// A component or provider as a heartbeat (or a `host.get` reply) lists it, of any generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub image: Option<String>,
    /// 1.x `max_instances`, the sum over 0.82's `instances`, or ≤ 0.81's count.
    pub instances: u64,
    /// The application its annotations name (`wasmcloud.dev/appspec`).
    pub app: Option<String>,
}

/// A heartbeat's components and providers, read once (see [`listing`]).
pub type Listings = (Vec<Listed>, Vec<Listed>);

/// What a heartbeat lists: components (1.x `components`, 0.82 `actors` list, ≤ 0.81 `actors` map
/// of id → count) and providers (by `id`, 1.x, or `public_key`, legacy). `None` when it lists
/// no components in any form. The one reader of heartbeat inventories: lattice memory and
/// `latwatch top` both use it.
/// Applications are read only `with_apps` (lattice memory does not need them: no allocation).
pub fn listing(data: &Data, with_apps: bool) -> Option<Listings> {
    let components = list(
        data.get("components").or_else(|| data.get("actors"))?,
        with_apps,
    )?;
    let providers = data
        .get("providers")
        .and_then(|raw| list(raw, with_apps))
        .unwrap_or_default();
    Some((components, providers))
}

/// One list of a heartbeat or a `host.get` reply: entries, or (≤ 0.81) a map of id → count.
pub fn list(raw: &RawValue, with_apps: bool) -> Option<Vec<Listed>> {
    if let Ok(entries) = serde_json::from_str::<Vec<Entry>>(raw.get()) {
        return Some(
            entries
                .iter()
                .filter_map(|entry| {
                    Some(Listed {
                        id: entry.id()?,
                        image: entry.image(),
                        instances: entry.max(),
                        app: with_apps.then(|| entry.app()).flatten(),
                    })
                })
                .collect(),
        );
    }
    let map = serde_json::from_str::<Data>(raw.get()).ok()?;
    Some(
        map.keys()
            .map(|key| Listed {
                id: key.to_owned(),
                image: None,
                instances: map.get(key).map_or(0, |v| v.get().parse().unwrap_or(0)),
                app: None,
            })
            .collect(),
    )
}

/// What a heartbeat's `data` says the host runs, counted.
pub fn counts(data: &Data) -> Counts {
    inventory(data, &mut Interner::default()).counts()
}

fn inventory(data: &Data, strings: &mut Interner) -> Inventory {
    let (components, providers) = listing(data, false)
        .or_else(|| Some((Vec::new(), list(data.get("providers")?, false)?)))
        .unwrap_or_default();
    inventory_of(&components, &providers, strings)
}

/// A heartbeat's listing as lattice memory keeps it: ids and images interned.
fn inventory_of(components: &[Listed], providers: &[Listed], strings: &mut Interner) -> Inventory {
    let mut components_listed = Vec::with_capacity(components.len());
    for listed in components {
        let image = listed.image.as_deref().map(|i| strings.get(i));
        components_listed.push((strings.get(&listed.id), (image, listed.instances)));
    }
    let mut providers_listed = Vec::with_capacity(providers.len());
    for listed in providers {
        let image = listed.image.as_deref().map(|i| strings.get(i));
        providers_listed.push((strings.get(&listed.id), image));
    }
    Inventory {
        components: Listing::new(components_listed),
        providers: Listing::new(providers_listed),
    }
}

pub(crate) fn string_map(raw: &RawValue) -> Option<BTreeMap<String, String>> {
    let map = serde_json::from_str::<Data>(raw.get()).ok()?;
    Some(
        map.keys()
            .filter_map(|k| Some((k.to_owned(), map.str(k)?.into_owned())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, RawMessage, Received};

    const HOST: &str = "NHOST";

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn observe(lattice: &mut Lattice, payload: &str, seconds: i64) -> Facts {
        lattice.observe(
            &decode(RawMessage {
                subject: None,
                payload: payload.as_bytes(),
                received: Received::At(at(seconds)),
                reply: None,
            }),
            at(seconds),
        )
    }

    fn heartbeat(components: &str, providers: &str, extra: &str) -> String {
        format!(
            r#"{{"type":"com.wasmcloud.lattice.host_heartbeat","source":"{HOST}","data":{{"host_id":"{HOST}","friendly_name":"misty-river-4821","components":{components},"providers":{providers}{extra}}}}}"#
        )
    }

    fn health(kind: &str) -> String {
        format!(
            r#"{{"type":"com.wasmcloud.lattice.health_check_{kind}","source":"{HOST}","data":{{"host_id":"{HOST}","provider_id":"http-server"}}}}"#
        )
    }

    const ONE: &str =
        r#"[{"id":"hello-http","image_ref":"ghcr.io/x/hello:0.1.0","max_instances":4}]"#;
    const HTTP: &str = r#"[{"id":"http-server","image_ref":"ghcr.io/x/http:0.23.0"}]"#;
    const TWO: &str =
        r#"[{"id":"hello-http","image_ref":"ghcr.io/x/hello:0.1.0","max_instances":8}]"#;

    #[test]
    fn hosts_are_bounded_and_the_least_recently_heard_go_first() {
        let mut lattice = Lattice::default();
        let beat = |id: usize| {
            format!(
                r#"{{"type":"com.wasmcloud.lattice.host_heartbeat","source":"N{id}","data":{{"host_id":"N{id}","friendly_name":"host-{id}","components":[],"providers":[]}}}}"#
            )
        };
        // Host 0 keeps heartbeating; the others once each, in order.
        for id in 0..MAX_HOSTS + 50 {
            observe(&mut lattice, &beat(id), id as i64);
            observe(&mut lattice, &beat(0), id as i64);
        }
        let (known, _) = lattice.hosts();
        assert!(known <= MAX_HOSTS, "{known}");
        assert_eq!(lattice.forgotten(), FORGET_AT_ONCE as u64);
        assert_eq!(known as u64 + lattice.forgotten(), MAX_HOSTS as u64 + 50);
        assert_eq!(
            lattice.host_name("N0"),
            Some("host-0"),
            "heard from all along"
        );
        assert_eq!(lattice.host_name("N1"), None, "among the oldest");
        assert_eq!(lattice.host_name(&format!("N{FORGET_AT_ONCE}")), None);
        assert!(lattice
            .host_name(&format!("N{}", FORGET_AT_ONCE + 1))
            .is_some());
        assert!(
            !lattice.name_counts.contains_key("host-1"),
            "names forgotten too"
        );
        // A forgotten host that comes back is met anew: its heartbeat is an inventory again.
        let back = observe(&mut lattice, &beat(1), MAX_HOSTS as i64 + 60);
        assert!(matches!(back.changes[..], [Change::Inventory { .. }]));
    }

    #[test]
    fn the_first_heartbeat_is_an_inventory_and_unchanged_ones_are_quiet() {
        let mut lattice = Lattice::default();
        let first = observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        assert_eq!(first.host_name.as_deref(), Some("misty-river-4821"));
        assert_eq!(
            first.changes[0].to_string(),
            "1 component (4 instances), 1 provider: hello-http, http-server"
        );
        assert!(!first.quiet);
        let again = observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 30);
        assert!(again.quiet && again.changes.is_empty());
    }

    #[test]
    fn each_kind_of_change_is_named() {
        let mut lattice = Lattice::default();
        observe(
            &mut lattice,
            &heartbeat(ONE, HTTP, r#","version":"1.9.1","labels":{"zone":"a"}"#),
            0,
        );
        let changed = heartbeat(
            r#"[{"id":"hello-http","image_ref":"ghcr.io/x/hello:0.2.0","max_instances":8},{"id":"echo","max_instances":1}]"#,
            r#"[{"id":"kv","image_ref":"ghcr.io/x/kv:1"}]"#,
            r#","version":"1.9.2","labels":{"zone":"b","tier":"edge"}"#,
        );
        let facts = observe(&mut lattice, &changed, 30);
        let text: Vec<String> = facts.changes.iter().map(ToString::to_string).collect();
        for expected in [
            "version 1.9.1→1.9.2",
            "+label tier=edge",
            "label zone a→b",
            "hello-http image ghcr.io/x/hello:0.1.0→ghcr.io/x/hello:0.2.0",
            "hello-http 4→8",
            "+echo ×1",
            "+provider kv",
            "-provider http-server",
        ] {
            assert!(
                text.iter().any(|t| t == expected),
                "{expected} missing in {text:?}"
            );
        }
        let removed = observe(
            &mut lattice,
            &heartbeat(
                "[]",
                "[]",
                r#","version":"1.9.2","labels":{"zone":"b","tier":"edge"}"#,
            ),
            60,
        );
        let text: Vec<String> = removed.changes.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["-echo", "-hello-http", "-provider kv"]);
    }

    #[test]
    fn legacy_heartbeats_work_as_a_map_and_as_a_list() {
        let mut lattice = Lattice::default();
        observe(
            &mut lattice,
            &heartbeat("[]", "[]", "").replace(r#""components":[]"#, r#""actors":{"MA":2}"#),
            0,
        );
        let facts = observe(
            &mut lattice,
            &heartbeat("[]", "[]", "").replace(r#""components":[]"#, r#""actors":{"MA":3}"#),
            30,
        );
        assert_eq!(facts.changes[0].to_string(), "MA 2→3");

        let mut lattice = Lattice::default();
        let list = r#""actors":[{"id":"MB","image_ref":"i","instances":[{"max_instances":1},{"max_instances":2}]}]"#;
        let first = observe(
            &mut lattice,
            &heartbeat("[]", r#"[{"public_key":"VP","contract_id":"c"}]"#, "")
                .replace(r#""components":[]"#, list),
            0,
        );
        assert_eq!(
            first.changes[0].to_string(),
            "1 component (3 instances), 1 provider: MB, VP"
        );
    }

    #[test]
    fn health_reads_as_flips_and_status_is_quiet_once_known() {
        let mut lattice = Lattice::default();
        let first_status = observe(&mut lattice, &health("status"), 0);
        assert!(!first_status.quiet, "the first word of a provider is news");
        let passed = observe(&mut lattice, &health("passed"), 5);
        assert_eq!(passed.changes[0].to_string(), "http-server healthy");
        assert!(observe(&mut lattice, &health("status"), 35).quiet);
        let failed = observe(&mut lattice, &health("failed"), 65);
        assert_eq!(
            failed.changes[0].to_string(),
            "http-server healthy → unhealthy"
        );
        let back = observe(&mut lattice, &health("passed"), 95);
        assert_eq!(
            back.changes[0].to_string(),
            "http-server unhealthy → healthy"
        );
    }

    #[test]
    fn silent_hosts_are_reported_once_and_come_back() {
        let mut lattice = Lattice::default();
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 10); // a 10 s interval, learned
        assert!(
            lattice.tick(at(30)).is_empty(),
            "2 intervals is not yet silent"
        );
        let silent = lattice.tick(at(36));
        assert_eq!(silent.len(), 1);
        assert_eq!(silent[0].host_name.as_deref(), Some("misty-river-4821"));
        assert_eq!(silent[0].silent_for, Duration::seconds(26));
        assert!(lattice.tick(at(50)).is_empty(), "reported once");
        assert_eq!(lattice.hosts(), (1, 0));
        let back = observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 60);
        assert_eq!(back.changes[0].to_string(), "back after 50s of silence");
        assert_eq!(lattice.hosts(), (1, 1));
    }

    fn observe_ms(lattice: &mut Lattice, payload: &str, ms: i64) {
        let at = DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms);
        lattice.observe(
            &decode(RawMessage {
                subject: None,
                payload: payload.as_bytes(),
                received: Received::At(at),
                reply: None,
            }),
            at,
        );
    }

    #[test]
    fn back_to_back_heartbeats_teach_no_interval() {
        let mut lattice = Lattice::default();
        for ms in [0, 3, 6, 9, 12] {
            observe_ms(&mut lattice, &heartbeat(ONE, HTTP, ""), ms);
        }
        assert!(lattice.tick(at(1)).is_empty(), "a moment later");
        assert!(
            lattice.tick(at(60)).is_empty(),
            "the default 30 s interval holds"
        );
        assert_eq!(lattice.tick(at(76)).len(), 1);
    }

    #[test]
    fn an_early_heartbeat_after_a_change_does_not_shrink_the_interval() {
        let mut lattice = Lattice::default();
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 30);
        observe(&mut lattice, &heartbeat(TWO, HTTP, ""), 45); // the extra one, after a change
        observe(&mut lattice, &heartbeat(TWO, HTTP, ""), 60); // the regular one, early
        assert!(
            lattice.tick(at(60 + 70)).is_empty(),
            "30 s is still the interval"
        );
        assert_eq!(lattice.tick(at(60 + 76)).len(), 1);
    }

    #[test]
    fn a_short_learned_interval_still_waits_a_few_seconds() {
        let mut lattice = Lattice::default();
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 1);
        assert!(lattice.tick(at(4)).is_empty(), "2.5 s would be too soon");
        assert_eq!(lattice.tick(at(7)).len(), 1);
    }

    #[test]
    fn stopped_and_long_silent_hosts_are_forgotten() {
        let mut lattice = Lattice::default();
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        lattice.tick(at(3600));
        assert_eq!(lattice.hosts(), (0, 0));
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 4000);
        let stopped = observe(
            &mut lattice,
            &format!(
                r#"{{"type":"com.wasmcloud.lattice.host_stopped","source":"{HOST}","data":{{"labels":{{}}}}}}"#
            ),
            4001,
        );
        assert_eq!(stopped.host_name.as_deref(), Some("misty-river-4821"));
        assert_eq!(lattice.hosts(), (0, 0));
    }

    #[test]
    fn hosts_sharing_a_name_are_told_apart() {
        let mut lattice = Lattice::default();
        observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 0);
        let other = heartbeat(ONE, HTTP, "").replace(HOST, "NOTHER");
        let facts = observe(&mut lattice, &other, 1);
        assert!(facts.name_shared);
        observe(
            &mut lattice,
            r#"{"type":"com.wasmcloud.lattice.host_stopped","source":"NOTHER","data":{}}"#,
            2,
        );
        assert!(!observe(&mut lattice, &heartbeat(ONE, HTTP, ""), 3).name_shared);
        let scaled = format!(
            r#"{{"type":"com.wasmcloud.lattice.component_scaled","source":"{HOST}","data":{{}}}}"#
        );
        for seconds in 4..7 {
            assert!(
                !observe(&mut lattice, &scaled, seconds).name_shared,
                "other events do not count the name again"
            );
        }
    }
}
