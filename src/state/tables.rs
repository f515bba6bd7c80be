//! The rows `latwatch top` draws, as part of the one state (`crate::state`): hosts, components
//! per host, providers per host, links, applications, and the newest event lines. Seeded from
//! the control interface's replies (`host.ping`, `host.get`, `link.get`: [`Tables::seed`]), then
//! changed by every event the pipeline takes; heartbeats reconcile a host's components and
//! providers with what it says it runs (read by lattice memory's one heartbeat reader,
//! [`crate::state::lattice::listing`]).
//!
//! Every row keeps the JSON it last came from (cut to [`SOURCE_KEPT`]), for the details view.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::event::kind::KindId;
use crate::event::{Data, Event, Severity};
use crate::state::apps::AppRow;
use crate::state::lattice::{Listed, Listings};
use crate::state::Interner;

/// How much of a row's source JSON is kept for the details view (a heartbeat of 100
/// components is 37 KB).
pub const SOURCE_KEPT: usize = 8 * 1024;
/// How much of an event line's source JSON is kept: a thousand hosts' first heartbeats fill the
/// events pane, and 500 of them at 8 KB held 4 MB. An event's own fields come first in its JSON.
pub const EVENT_SOURCE_KEPT: usize = 4 * 1024;
/// How many event lines are kept.
pub const EVENTS_KEPT: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostRow {
    pub name: Option<String>,
    pub version: Option<String>,
    /// Uptime as last reported, and when.
    pub uptime: Option<(u64, DateTime<Utc>)>,
    pub labels: BTreeMap<String, String>,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub silent: bool,
    pub source: String,
    /// A wasmCloud 2 host: what its heartbeat says instead of an inventory.
    pub v2: Option<V2Row>,
}

/// A wasmCloud 2 host's row: its hostname (a restart keeps it, under a new id) and its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V2Row {
    pub hostname: String,
    pub workloads: u64,
    pub components: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentRow {
    /// Interned: a thousand hosts running one component share its image's text.
    pub image: Option<Arc<str>>,
    pub instances: u64,
    pub app: Option<Arc<str>>,
    pub changed: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderRow {
    pub image: Option<String>,
    /// `None` until a health check said.
    pub healthy: Option<bool>,
    pub app: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkKey {
    pub source_id: String,
    pub namespace: String,
    pub package: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRow {
    pub target: String,
    pub interfaces: Vec<String>,
    pub source: String,
}

/// One event line for the events pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub text: String,
    pub severity: Severity,
    pub source: String,
}

/// Everything `top` shows.
#[derive(Debug, Default)]
pub struct Tables {
    pub hosts: BTreeMap<String, HostRow>,
    /// (component id, host id) → row; ids interned (the state's one `Interner`, kept by lattice
    /// memory and passed in).
    /// Host id → its components, sorted by id: one vector per host (a heartbeat replaces one
    /// host's rows and touches nothing else; 100,000 rows in a B-tree of (id, host) keys held
    /// 17 MB, in vectors 7). Shown in this order: by host, then component.
    components: BTreeMap<Arc<str>, Vec<(Arc<str>, ComponentRow)>>,
    /// Component id → its instances over every host (the "total" column), kept as rows change.
    totals: HashMap<Arc<str>, u64>,
    /// How many component rows there are.
    component_count: usize,
    /// Hosts whose rows are what their last heartbeat listed (no event or seed changed them
    /// since): a heartbeat that lattice memory finds unchanged need not rebuild them.
    reconciled: HashSet<Arc<str>>,
    /// (provider id, host id) → row.
    pub providers: BTreeMap<(String, String), ProviderRow>,
    pub links: BTreeMap<LinkKey, LinkRow>,
    /// The JSON a component row last came from, for the rows an event made (a row a heartbeat
    /// made keeps none: the details view shows the row), cut to [`SOURCE_KEPT`]. Beside the
    /// rows, not in each: 100,000 rows would each carry an empty `String`.
    component_sources: HashMap<(Arc<str>, Arc<str>), String>,
    pub apps: Vec<AppRow>,
    pub events: VecDeque<EventLine>,
    /// wasmCloud 2 workloads by id (`--workloads`; `None` without it: no pane).
    pub workloads: Option<BTreeMap<String, WorkloadRow>>,
}

/// A wasmCloud 2 workload's row: what workload memory knows of it (`state::workloads`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRow {
    /// `namespace/name`, or the id when only a status poll named it.
    pub key: String,
    pub host: String,
    pub state: String,
    pub images: String,
    pub message: String,
    pub since: DateTime<Utc>,
    /// What the details view shows.
    pub source: String,
}

/// What the control interface said, as it answered (`crate::source::ctl::ask`): the typed entry
/// that seeds the state the same way for every view.
#[derive(Debug, Clone)]
pub enum Told {
    /// One host's `host.ping` reply (`response`), and its raw text.
    Host { response: Value, source: String },
    /// One host's `host.get` reply: what it runs.
    Inventory { host: String, response: Value },
    /// `link.get`'s reply: every link of one lattice.
    Links { response: Value, source: String },
}

/// `source` cut to what the details view keeps of a row.
pub fn kept(source: &str) -> String {
    kept_up_to(source, SOURCE_KEPT)
}

/// `source` cut to what the details view keeps of an event line.
pub fn event_kept(source: &str) -> String {
    kept_up_to(source, EVENT_SOURCE_KEPT)
}

fn kept_up_to(source: &str, limit: usize) -> String {
    if source.len() <= limit {
        return source.to_owned();
    }
    let mut end = limit;
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &source[..end])
}

/// `target` set to `value` unless it holds it already (no allocation for an unchanged row).
fn set(target: &mut Option<String>, value: Option<&str>) {
    if target.as_deref() != value {
        *target = value.map(str::to_owned);
    }
}

/// A labels object, read as lattice memory reads it.
fn labels(value: Option<&RawValue>) -> Option<BTreeMap<String, String>> {
    crate::state::lattice::string_map(value?)
}

fn str_of(data: &Data, key: &str) -> Option<String> {
    data.str(key).map(|s| s.into_owned())
}

fn u64_of(data: &Data, key: &str) -> Option<u64> {
    data.get(key).and_then(|raw| raw.get().parse().ok())
}

fn app_of(data: &Data) -> Option<String> {
    crate::state::apps::appspec(data.get("annotations")?).map(Cow::into_owned)
}

impl Tables {
    /// Takes what the control interface said.
    pub fn seed(&mut self, told: &Told, now: DateTime<Utc>, strings: &mut Interner) {
        match told {
            Told::Host { response, source } => self.seed_host(response, source, now),
            Told::Inventory { host, response } => self.seed_inventory(host, response, strings),
            Told::Links { response, source } => self.seed_links(response, source),
        }
    }

    /// Takes one host's `host.ping` reply (`response` of the control interface's envelope).
    pub fn seed_host(&mut self, response: &Value, source: &str, now: DateTime<Utc>) {
        let Some(id) = response.get("id").and_then(Value::as_str) else {
            return;
        };
        let host = self.hosts.entry(id.to_owned()).or_default();
        host.name = response
            .get("friendly_name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        host.version = response
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        host.uptime = response
            .get("uptime_seconds")
            .and_then(Value::as_u64)
            .map(|s| (s, now));
        if let Some(Value::Object(map)) = response.get("labels") {
            host.labels = map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_owned)))
                .collect();
        }
        host.source = kept(source);
    }

    /// Takes one host's `host.get` reply: what it runs.
    pub fn seed_inventory(&mut self, host_id: &str, response: &Value, strings: &mut Interner) {
        let listed = |key: &str| {
            let text = response.get(key).map_or("[]".to_owned(), Value::to_string);
            serde_json::from_str::<&RawValue>(&text)
                .ok()
                .and_then(|raw| crate::state::lattice::list(raw, true))
                .unwrap_or_default()
        };
        let (components, providers) = (listed("components"), listed("providers"));
        self.replace_inventory(host_id, &components, &providers, None, strings);
    }

    /// Takes `link.get`'s reply: every link.
    pub fn seed_links(&mut self, response: &Value, source: &str) {
        let Some(links) = response.as_array() else {
            return;
        };
        self.links.clear();
        for link in links {
            let text = |key: &str| {
                link.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let interfaces = link
                .get("interfaces")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            self.links.insert(
                LinkKey {
                    source_id: text("source_id"),
                    namespace: text("wit_namespace"),
                    package: text("wit_package"),
                    name: text("name"),
                },
                LinkRow {
                    target: text("target"),
                    interfaces,
                    source: kept(source),
                },
            );
        }
    }

    /// A host's components and providers, as a heartbeat or `host.get` lists them: rows it no
    /// longer lists go, listed ones are set; a row whose instances did not change keeps its
    /// last change time. Only this host's rows are touched (`by_host`), so a heartbeat costs
    /// the same with 10 hosts or 1,000. Rows set here keep no source JSON of their own (the
    /// details view shows the row; a heartbeat of 100 components is 37 KB).
    fn replace_inventory(
        &mut self,
        host_id: &str,
        components: &[Listed],
        providers: &[Listed],
        at: Option<DateTime<Utc>>,
        strings: &mut Interner,
    ) {
        let host: Arc<str> = strings.get(host_id);
        // A heartbeat's listing (`at`) makes the rows what the host says; a seed may be older.
        match at {
            Some(_) => self.reconciled.insert(host.clone()),
            None => self.reconciled.remove(&host),
        };
        let before = self.remove_host_components(&host);
        let mut rows: Vec<(Arc<str>, ComponentRow)> = Vec::with_capacity(components.len());
        for item in components {
            let id = strings.get(&item.id);
            // A row whose instances did not change keeps its last change time.
            let mut row = match before.binary_search_by(|(b, _)| b.cmp(&id)) {
                Ok(at_index) => before[at_index].1.clone(),
                Err(_) => ComponentRow::default(),
            };
            if row.instances != item.instances {
                row.instances = item.instances;
                row.changed = at;
            }
            strings.set(&mut row.image, item.image.as_deref());
            strings.set(&mut row.app, item.app.as_deref());
            rows.push((id, row));
        }
        // The host's listing wins over an earlier one of the same id (as a map insert would).
        rows.reverse();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.dedup_by(|later, earlier| later.0 == earlier.0);
        for (gone, _) in &before {
            if rows.binary_search_by(|(id, _)| id.cmp(gone)).is_err() {
                self.component_sources.remove(&(gone.clone(), host.clone()));
            }
        }
        self.put_host_components(host, rows);
        let listed: BTreeSet<&str> = providers.iter().map(|i| i.id.as_str()).collect();
        self.providers
            .retain(|(id, host), _| host != host_id || listed.contains(id.as_str()));
        for item in providers {
            let row = self
                .providers
                .entry((item.id.to_string(), host_id.to_owned()))
                .or_default();
            set(&mut row.image, item.image.as_deref());
            set(&mut row.app, item.app.as_deref());
        }
    }

    /// Changes the model by one event received at `at`.
    /// `unchanged`: lattice memory found a heartbeat's inventory the same as the host's last
    /// one (its rows are then rebuilt only if something else changed them meanwhile).
    pub fn observe(
        &mut self,
        event: &Event,
        at: DateTime<Utc>,
        strings: &mut Interner,
        listed: Option<&Listings>,
        unchanged: bool,
    ) {
        let Some(kind) = event.kind.known() else {
            return;
        };
        let Some(data) = event.data() else {
            return;
        };
        let Some(host_id) = event.host_id().map(|h| h.into_owned()) else {
            return;
        };
        let source = || std::str::from_utf8(event.raw.payload).map_or(String::new(), kept);
        match kind {
            KindId::HostStarted => {
                let host = self.hosts.entry(host_id).or_default();
                host.name = str_of(data, "friendly_name").or(host.name.take());
                host.version = str_of(data, "version").or(host.version.take());
                if let Some(labels) = labels(data.get("labels")) {
                    host.labels = labels;
                }
                host.uptime = Some((0, at));
                host.silent = false;
                host.source = source();
            }
            KindId::HostStopped => {
                self.hosts.remove(&host_id);
                self.reconciled.remove(host_id.as_str());
                let host = strings.get(&host_id);
                for (id, _) in self.remove_host_components(&host) {
                    self.component_sources.remove(&(id, host.clone()));
                }
                self.providers.retain(|(_, host), _| *host != host_id);
                strings.sweep();
            }
            // A wasmCloud 2 host: one row, its group, environment and counts in the labels
            // column (a v2 heartbeat carries counts, not an inventory: no component rows).
            KindId::V2HostHeartbeat => {
                let Ok(beat) = crate::v2::parse_heartbeat(event.raw.payload) else {
                    return;
                };
                // The same hostname under a new id: the old row is that host before its restart.
                // Only a row gone silent, or last heard before this host started, is its past: two
                // live hosts may share a machine's name.
                if !beat.hostname.is_empty() && !self.hosts.contains_key(&host_id) {
                    let restarted = |h: &HostRow| {
                        h.v2.as_ref().is_some_and(|v| v.hostname == beat.hostname)
                            && (h.silent
                                || beat.started_at.is_some_and(|started| {
                                    h.last_heartbeat.is_some_and(|last| last <= started)
                                }))
                    };
                    self.hosts.retain(|_, h| !restarted(h));
                }
                let host = self.hosts.entry(host_id).or_default();
                host.name = Some(beat.friendly_name.clone()).filter(|n| !n.is_empty());
                host.version = Some(beat.version.clone()).filter(|v| !v.is_empty());
                host.uptime = beat
                    .started_at
                    .map(|started| (u64::try_from((at - started).num_seconds()).unwrap_or(0), at));
                let mut labels = BTreeMap::new();
                if let Some(group) = &beat.hostgroup {
                    labels.insert("hostgroup".to_owned(), group.clone());
                }
                if let Some(environment) = &beat.environment {
                    labels.insert("environment".to_owned(), environment.clone());
                }
                host.labels = labels;
                host.v2 = Some(V2Row {
                    hostname: beat.hostname.clone(),
                    workloads: beat.workload_count,
                    components: beat.component_count,
                });
                host.last_heartbeat = Some(at);
                host.silent = false;
                if event.raw.payload.len() <= 8 * 1024 {
                    host.source = source();
                }
            }
            KindId::HostHeartbeat => {
                let host = self.hosts.entry(host_id.clone()).or_default();
                host.name = str_of(data, "friendly_name").or(host.name.take());
                host.version = str_of(data, "version").or(host.version.take());
                if let Some(labels) = labels(data.get("labels")) {
                    host.labels = labels;
                }
                if let Some(uptime) = u64_of(data, "uptime_seconds") {
                    host.uptime = Some((uptime, at));
                }
                host.last_heartbeat = Some(at);
                host.silent = false;
                // A small heartbeat is kept whole; a large one (100 components: 37 KB) would
                // cost a thousand hosts 37 MB: its components keep their own rows.
                if event.raw.payload.len() <= 8 * 1024 {
                    host.source = source();
                }
                // Every generation: 1.x `components`, 0.82's `actors` list, ≤ 0.81's map.
                if unchanged && self.reconciled.contains(host_id.as_str()) {
                    return;
                }
                let read;
                let listed = match listed {
                    Some(listed) => Some(listed),
                    None => {
                        read = crate::state::lattice::listing(data, true);
                        read.as_ref()
                    }
                };
                if let Some((components, providers)) = listed {
                    self.replace_inventory(&host_id, components, providers, Some(at), strings);
                }
            }
            KindId::LabelsChanged => {
                if let Some(labels) = labels(data.get("labels")) {
                    self.hosts.entry(host_id).or_default().labels = labels;
                }
            }
            KindId::ComponentScaled | KindId::ActorScaled => {
                let Some(id) = str_of(data, "component_id").or_else(|| str_of(data, "actor_id"))
                else {
                    return;
                };
                let max = u64_of(data, "max_instances").unwrap_or(1);
                let (id, host) = (strings.get(&id), strings.get(&host_id));
                self.reconciled.remove(&host);
                let key = (id.clone(), host.clone());
                let mut rows = self.remove_host_components(&host);
                let at_index = rows.binary_search_by(|(b, _)| b.cmp(&id));
                if max == 0 {
                    self.component_sources.remove(&key);
                    if let Ok(index) = at_index {
                        rows.remove(index);
                    }
                    self.put_host_components(host, rows);
                    return;
                }
                let index = match at_index {
                    Ok(index) => index,
                    Err(index) => {
                        rows.insert(index, (id, ComponentRow::default()));
                        index
                    }
                };
                self.component_sources.insert(key, source());
                let row = &mut rows[index].1;
                row.instances = max;
                if let Some(image) = data.str("image_ref") {
                    strings.set(&mut row.image, Some(&image));
                }
                if let Some(app) = app_of(data) {
                    strings.set(&mut row.app, Some(&app));
                }
                row.changed = Some(at);
                self.put_host_components(host, rows);
            }
            KindId::ProviderStarted => {
                self.reconciled.remove(host_id.as_str());
                let Some(id) = str_of(data, "provider_id") else {
                    return;
                };
                let row = self.providers.entry((id, host_id)).or_default();
                row.image = str_of(data, "image_ref").or(row.image.take());
                row.app = app_of(data).or(row.app.take());
                row.source = source();
            }
            KindId::ProviderStopped => {
                self.reconciled.remove(host_id.as_str());
                if let Some(id) = str_of(data, "provider_id") {
                    self.providers.remove(&(id, host_id));
                }
            }
            KindId::HealthCheckPassed | KindId::HealthCheckFailed => {
                self.reconciled.remove(host_id.as_str());
                let Some(id) = str_of(data, "provider_id") else {
                    return;
                };
                let row = self.providers.entry((id, host_id)).or_default();
                row.healthy = Some(kind == KindId::HealthCheckPassed);
                row.source = source();
            }
            KindId::LinkdefSet | KindId::LinkdefDeleted => {
                let key = LinkKey {
                    source_id: str_of(data, "source_id").unwrap_or_default(),
                    namespace: str_of(data, "wit_namespace").unwrap_or_default(),
                    package: str_of(data, "wit_package").unwrap_or_default(),
                    name: str_of(data, "name").unwrap_or_default(),
                };
                if kind == KindId::LinkdefDeleted {
                    self.links.remove(&key);
                    return;
                }
                let interfaces = data
                    .get("interfaces")
                    .and_then(|raw| serde_json::from_str::<Vec<String>>(raw.get()).ok())
                    .unwrap_or_default();
                self.links.insert(
                    key,
                    LinkRow {
                        target: str_of(data, "target").unwrap_or_default(),
                        interfaces,
                        source: source(),
                    },
                );
            }
            _ => {}
        }
    }

    /// A host stopped heartbeating (lattice memory's judgement).
    pub fn silent(&mut self, host_id: &str) {
        if let Some(host) = self.hosts.get_mut(host_id) {
            host.silent = true;
        }
    }

    /// Adds an event line; the oldest go past [`EVENTS_KEPT`].
    pub fn push_event(&mut self, line: EventLine) {
        if self.events.len() == EVENTS_KEPT {
            self.events.pop_front();
        }
        self.events.push_back(line);
    }

    /// The JSON a component row last came from, when an event made it.
    pub fn component_source(&self, id: &Arc<str>, host: &Arc<str>) -> String {
        self.component_sources
            .get(&(id.clone(), host.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// Components: instances over every host, per id.
    pub fn instances_of(&self, id: &str) -> u64 {
        self.totals.get(id).copied().unwrap_or(0)
    }

    /// Every component row: (component id, host id, row), by host, then component.
    pub fn component_rows(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<str>, &ComponentRow)> {
        self.components
            .iter()
            .flat_map(|(host, rows)| rows.iter().map(move |(id, row)| (id, host, row)))
    }

    /// How many component rows there are.
    pub fn component_count(&self) -> usize {
        self.component_count
    }

    /// Takes a host's component rows out (the totals and count no longer include them).
    fn remove_host_components(&mut self, host: &Arc<str>) -> Vec<(Arc<str>, ComponentRow)> {
        let rows = self.components.remove(host).unwrap_or_default();
        self.component_count -= rows.len();
        for (id, row) in &rows {
            if let Some(total) = self.totals.get_mut(id) {
                *total = total.saturating_sub(row.instances);
                if *total == 0 {
                    self.totals.remove(id);
                }
            }
        }
        rows
    }

    /// Puts a host's component rows (sorted by id) back, counted.
    fn put_host_components(&mut self, host: Arc<str>, mut rows: Vec<(Arc<str>, ComponentRow)>) {
        if rows.is_empty() {
            return;
        }
        self.component_count += rows.len();
        for (id, row) in &rows {
            *self.totals.entry(id.clone()).or_default() += row.instances;
        }
        rows.shrink_to_fit();
        self.components.insert(host, rows);
    }

    /// The host's name, else its key.
    pub fn host_label(&self, host_id: &str) -> String {
        self.hosts
            .get(host_id)
            .and_then(|h| h.name.clone())
            .unwrap_or_else(|| crate::text::abbreviate_key(host_id).into_owned())
    }

    /// Hosts alive, hosts silent.
    pub fn host_counts(&self) -> (usize, usize) {
        let silent = self.hosts.values().filter(|h| h.silent).count();
        (self.hosts.len() - silent, silent)
    }

    /// Applications whose status is `failed`.
    pub fn apps_failing(&self) -> usize {
        self.apps
            .iter()
            .filter(|a| a.status == Some(crate::state::apps::AppStatus::Failed))
            .count()
    }
}

pub use crate::source::ctl::ctl_response;
