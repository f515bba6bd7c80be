//! Application memory: what wadm says about each application, and which application each host
//! event belongs to.
//!
//! wadm publishes three things per application (`wire.rs` reads them): `manifest_published` (the
//! whole manifest: the version, and the ids wadm will give what it creates),
//! `manifest_unpublished`, and a status message on `wadm.status.<lattice>.<app>` whenever the
//! status changes. [`Apps::observe`] turns each into an [`AppChange`] for the renderers, folding
//! wadm's retry flapping (reconciling → failed on every host heartbeat) into one ongoing failure,
//! and attributes host events to applications:
//! - an event whose `data.annotations` says `wasmcloud.dev/appspec: <app>` (what wadm made);
//! - heartbeats teach the same per component and provider, but name no application themselves
//!   (a host runs many);
//! - links and configs carry no annotations: they are attributed by ids already known to belong to
//!   an application (annotated events, heartbeats, the published manifest), or by wadm's naming
//!   `<app>-<name>` when exactly one known application has that prefix. Nothing else: an event of
//!   no known application names none, never a guess.
//!
//! Memory is bounded: at most [`MAX_APPS`] applications and [`MAX_IDS`] ids per lattice.

pub mod wire;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::value::RawValue;

use crate::event::kind::{About, KindId};
use crate::event::{json_str, Event, Severity};
pub use wire::AppStatus;
use wire::{id_app_part, ManifestSummary, StatusMessage, SubjectReader, WadmSubject};

/// Applications remembered, over all lattices.
const MAX_APPS: usize = 10_000;
/// Ids remembered per lattice.
const MAX_IDS: usize = 100_000;
/// The annotation wadm puts on what it creates.
const APPSPEC: &str = "wasmcloud.dev/appspec";

/// Where an application stands, for someone waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub status: AppStatus,
    pub message: Option<String>,
    /// Failing scalers: (name, message).
    pub failing: Vec<(String, String)>,
    /// Seen after the application's newest deploy (a status of the version before is not an
    /// answer for `--until-app`).
    pub fresh: bool,
    pub version: Option<String>,
}

/// What application memory says about one event, for the renderers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFacts {
    /// The application it belongs to (shared with application memory: tagging an event copies
    /// no string).
    pub name: Arc<str>,
    /// The lattice the application is in.
    pub lattice: Arc<str>,
    /// For wadm's messages: the application's deployed version, when known.
    pub version: Option<String>,
    /// For wadm's messages: what changed (`None`: nothing new, or a host event).
    pub change: Option<AppChange>,
    /// For a status message: the status it gave (read once, here; `-o jsonl` writes it).
    pub status: Option<Standing>,
}

/// What one wadm message changed, for the renderers to word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppChange {
    /// A version was deployed.
    Published {
        app: String,
        version: Option<String>,
        components: usize,
        providers: usize,
        links: usize,
    },
    /// Undeployed; `again` when it already was (wadm says it again on delete).
    Unpublished {
        app: String,
        version: Option<String>,
        again: bool,
    },
    /// The status changed (or a failure went on: `retry` > 1).
    Status {
        app: String,
        /// The status before, as shown (`failed` throughout a failure that retries).
        from: Option<AppStatus>,
        to: AppStatus,
        message: Option<String>,
        failing: Vec<(String, String)>,
        /// Within a failure: how many times wadm has reported it failed.
        retry: u32,
        /// Within a failure (or on leaving one): since when it has been failing.
        failing_for: Option<Duration>,
        version: Option<String>,
    },
}

impl AppChange {
    /// How it is colored: a deploy arrives, a failure fails, an undeploy removes.
    pub fn severity(&self) -> Severity {
        match self {
            AppChange::Published { .. } => Severity::Arrival,
            AppChange::Unpublished { .. } => Severity::Removal,
            AppChange::Status { to, .. } => to.severity(),
        }
    }
}

/// A failure that wadm keeps retrying.
#[derive(Debug, Clone)]
struct Failure {
    since: DateTime<Utc>,
    retries: u32,
    message: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct App {
    name: Arc<str>,
    lattice: Arc<str>,
    status: Option<AppStatus>,
    message: Option<String>,
    failing: Vec<(String, String)>,
    fresh: bool,
    version: Option<String>,
    /// When the newest `manifest_published` came.
    deployed_at: Option<DateTime<Utc>>,
    /// Its CloudEvent id: a deploy read again from a stream is new only when its id differs.
    deploy_id: Option<String>,
    unpublished: bool,
    /// Unpublished twice: wadm deleted it (it leaves `latwatch top`'s applications pane).
    deleted: bool,
    failure: Option<Failure>,
    /// Host events attributed to it.
    events: u64,
    /// Times its status became `failed` (retries of one failure count once).
    failures: u64,
}

/// Who an id belongs to.
#[derive(Debug)]
enum Owner {
    App(Arc<str>),
    /// Claimed by the manifests of several deployed applications (wadm names `hello-app`'s and
    /// `hello_app`'s ids alike): none of theirs, never the newest's. Only an event's own
    /// annotations say which; once all claimants but one are undeployed, it is that one's.
    Contested(Vec<Arc<str>>),
}

/// Claimants kept for one contested id.
const CLAIMANTS: usize = 8;

#[derive(Debug, Default)]
struct LatticeApps {
    apps: BTreeMap<String, App>,
    /// Component, provider and config id → application.
    owners: HashMap<String, Owner>,
    /// wadm's form of an application name (`hello_app`) → the name, `None` when two names share it.
    by_id_part: HashMap<String, Option<Arc<str>>>,
}

impl LatticeApps {
    /// The (known) application `app`'s manifest names `id`. An id another deployed application's
    /// manifest or annotations gave to that one becomes contested: a manifest is a claim, not
    /// proof, and the newest is no more right than the first. True when the id changed hands.
    fn claim(&mut self, id: &str, app: &str) -> bool {
        let Some(name) = self.apps.get(app).map(|a| a.name.clone()) else {
            return false;
        };
        let undeployed = |owner: &str| self.apps.get(owner).is_some_and(|a| a.unpublished);
        let next = match self.owners.get(id) {
            None => {
                if self.owners.len() < MAX_IDS {
                    self.owners.insert(id.to_owned(), Owner::App(name));
                }
                return false;
            }
            Some(Owner::App(owner)) if owner.as_ref() == app => return false,
            // Undeployed, the other application has given its ids up.
            Some(Owner::App(owner)) if undeployed(owner) => Owner::App(name),
            Some(Owner::App(owner)) => Owner::Contested(vec![owner.clone(), name]),
            Some(Owner::Contested(claimants)) => {
                if claimants.contains(&name) || claimants.len() >= CLAIMANTS {
                    return false;
                }
                let mut claimants = claimants.clone();
                claimants.push(name);
                Owner::Contested(claimants)
            }
        };
        self.owners.insert(id.to_owned(), next);
        true
    }

    /// Notes that an event's (or a heartbeat's) annotations say `id` is the (known) application
    /// `app`'s: what a host runs now, so an id moves with them. A contested id stays contested:
    /// the annotations name the application of that event only. True when it belonged to
    /// another one.
    fn own(&mut self, id: &str, app: &str) -> bool {
        match self.apps.get(app).map(|a| a.name.clone()) {
            Some(name) => self.own_shared(id, &name),
            None => false,
        }
    }

    /// [`LatticeApps::own`] with the application's shared name at hand: one lookup. True when
    /// the id changed owner.
    fn own_shared(&mut self, id: &str, app: &Arc<str>) -> bool {
        match self.owners.get_mut(id) {
            Some(Owner::App(owner)) if owner == app => false,
            Some(Owner::App(owner)) => {
                *owner = app.clone();
                true
            }
            Some(Owner::Contested(_)) => false,
            None => {
                if self.owners.len() < MAX_IDS {
                    self.owners.insert(id.to_owned(), Owner::App(app.clone()));
                }
                false
            }
        }
    }

    /// The application that owns `id`: known, else by wadm's naming.
    fn owner(&self, id: &str) -> Option<&Arc<str>> {
        match self.owners.get(id) {
            Some(Owner::App(app)) => return Some(app),
            Some(Owner::Contested(claimants)) => {
                let mut deployed = claimants
                    .iter()
                    .filter(|c| !self.apps.get(c.as_ref()).is_some_and(|a| a.unpublished));
                let one = deployed.next()?;
                return deployed.next().is_none().then_some(one);
            }
            None => {}
        }
        let part = id_app_part(id)?;
        self.by_id_part.get(part)?.as_ref()
    }

    /// A host event of `app`: counted, and named.
    fn host_event(&mut self, app: &str) -> Option<AppFacts> {
        let known = self.apps.get_mut(app)?;
        known.events += 1;
        Some(AppFacts {
            name: known.name.clone(),
            lattice: known.lattice.clone(),
            version: None,
            change: None,
            status: None,
        })
    }
}

/// Every application latwatch has heard of, per lattice.
#[derive(Debug, Default)]
pub struct Apps {
    lattices: BTreeMap<String, LatticeApps>,
    count: usize,
    /// Annotations seen lately, as written, with what they taught (see [`Seen`]).
    seen: Vec<Seen>,
    /// The next entry of `seen` to replace.
    seen_next: usize,
    /// How subjects are read (`--subject-prefix`).
    subjects: SubjectReader,
    /// The statuses read at startup, put aside while `--since`/`--last` replays (see
    /// [`Apps::replay_statuses`]).
    aside: Vec<(String, String, Aside)>,
}

/// An application's status as read at startup, put aside while history is replayed.
#[derive(Debug)]
struct Aside {
    status: Option<AppStatus>,
    message: Option<String>,
    failing: Vec<(String, String)>,
    fresh: bool,
    failure: Option<Failure>,
    failures: u64,
}

/// One `annotations` object as an event wrote it, in a lattice, about an id: its application is
/// known and the id recorded as its. Every event of one scaler carries the same bytes, so a
/// comparison replaces parsing them (2,000 instructions an event) and the id's hash lookup.
/// Forgotten whenever an id changes owner.
#[derive(Debug)]
struct Seen {
    annotations: String,
    lattice: String,
    id: Option<String>,
    app: Arc<str>,
}

/// How many [`Seen`] entries are kept: a few scalers publishing at once.
const SEEN: usize = 8;

/// One application's row in `--summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRow {
    pub lattice: String,
    pub name: String,
    pub status: Option<AppStatus>,
    /// wadm's message with the status (why it is failing, what it is doing).
    pub message: Option<String>,
    pub version: Option<String>,
    pub events: u64,
    pub failures: u64,
    /// wadm deleted it (`manifest_unpublished` a second time).
    pub deleted: bool,
    /// Failing scalers: (name, wadm's message).
    pub failing: Vec<(String, String)>,
}

/// What [`Apps::observe`] found.
#[derive(Debug, Default)]
pub struct Observed {
    /// The application the event belongs to, and what changed.
    pub app: Option<AppFacts>,
    /// A wadm message that says nothing new (a repeated status, a retry within a failure).
    pub quiet: bool,
    /// Why a wadm message could not be read.
    pub problem: Option<String>,
}

impl Apps {
    /// Application memory for subjects under `subjects`' prefix.
    pub fn new(subjects: SubjectReader) -> Apps {
        Apps {
            subjects,
            ..Apps::default()
        }
    }

    /// `--since`/`--last` is about to replay wadm's statuses: each application's is then told
    /// from its first stored status on, as `--input` tells a capture, not as a change from the
    /// status read at startup (the newest). The statuses read are put aside; [`Apps::replayed`]
    /// puts back those of applications the replay told nothing of.
    pub fn replay_statuses(&mut self) {
        for (lattice, apps) in &mut self.lattices {
            for (name, app) in &mut apps.apps {
                if app.status.is_none() {
                    continue;
                }
                let aside = Aside {
                    status: app.status.take(),
                    message: app.message.take(),
                    failing: std::mem::take(&mut app.failing),
                    fresh: app.fresh,
                    failure: app.failure.take(),
                    failures: std::mem::take(&mut app.failures),
                };
                self.aside.push((lattice.clone(), name.clone(), aside));
            }
        }
    }

    /// The replay has ended: an application it told no status of keeps the one read at startup.
    pub fn replayed(&mut self) {
        for (lattice, name, aside) in std::mem::take(&mut self.aside) {
            let Some(app) = self
                .lattices
                .get_mut(&lattice)
                .and_then(|apps| apps.apps.get_mut(&name))
            else {
                continue;
            };
            if app.status.is_none() {
                app.status = aside.status;
                app.message = aside.message;
                app.failing = aside.failing;
                app.fresh = aside.fresh;
                app.failure = aside.failure;
                app.failures = aside.failures;
            }
        }
    }

    /// How subjects are read.
    pub fn subjects(&self) -> &SubjectReader {
        &self.subjects
    }

    /// The lattice an event is in: its subject's, else (a capture without subjects) the one
    /// lattice applications are known in.
    fn lattice_of<'e>(&self, subject: Option<&'e str>) -> Cow<'e, str> {
        let from_subject = subject.and_then(|s| self.subjects.lattice(s));
        match from_subject {
            Some(lattice) => Cow::Borrowed(lattice),
            None if self.lattices.len() == 1 => {
                Cow::Owned(self.lattices.keys().next().cloned().unwrap_or_default())
            }
            None => Cow::Borrowed(""),
        }
    }

    fn app_mut(&mut self, lattice: &str, name: &str) -> Option<&mut App> {
        if !self
            .lattices
            .get(lattice)
            .is_some_and(|l| l.apps.contains_key(name))
        {
            if self.count >= MAX_APPS {
                return None;
            }
            self.count += 1;
            let apps = self.lattices.entry(lattice.to_owned()).or_default();
            let shared: Arc<str> = Arc::from(name);
            apps.apps.insert(
                name.to_owned(),
                App {
                    name: shared.clone(),
                    lattice: Arc::from(lattice),
                    ..App::default()
                },
            );
            let part = name.replace('-', "_");
            match apps.by_id_part.get(&part) {
                Some(Some(other)) if other.as_ref() != name => {
                    apps.by_id_part.insert(part, None);
                }
                Some(_) => {}
                None => {
                    apps.by_id_part.insert(part, Some(shared));
                }
            }
        }
        self.lattices.get_mut(lattice)?.apps.get_mut(name)
    }

    /// Learns from one event at `at` and says what it means for applications.
    pub fn observe(&mut self, event: &Event, at: DateTime<Utc>) -> Observed {
        self.observe_read(event, at, None)
    }

    /// [`Apps::observe`], with a heartbeat's inventory already read with its applications
    /// (`listed`): the pipeline reads it once for every part of the state.
    pub fn observe_read(
        &mut self,
        event: &Event,
        at: DateTime<Utc>,
        listed: Option<&crate::state::lattice::Listings>,
    ) -> Observed {
        if let (Some(KindId::HostHeartbeat), Some((components, providers))) =
            (event.kind.known(), listed)
        {
            let owned = components.iter().chain(providers);
            self.own_listed(
                event,
                owned.filter_map(|l| Some((l.id.as_str(), l.app.as_deref()?))),
            );
            return Observed::default();
        }
        match event.kind.known() {
            Some(KindId::AppStatus) => self.status(event, at),
            Some(KindId::ManifestPublished) => self.published(event, at),
            Some(KindId::ManifestUnpublished) => self.unpublished(event),
            Some(KindId::HostHeartbeat) => {
                self.heartbeat(event);
                Observed::default()
            }
            _ => Observed {
                app: self.attribute(event),
                ..Observed::default()
            },
        }
    }

    fn status(&mut self, event: &Event, at: DateTime<Utc>) -> Observed {
        let Some(WadmSubject::Status { lattice, app: name }) =
            event.raw.subject.and_then(|s| self.subjects.wadm(s))
        else {
            return Observed::default();
        };
        // Not JSON, or not an object: decoding said so already. Otherwise not a status wadm
        // sends: said here. Either way the subject names the application: the line shows it,
        // `--app` keeps it, `--summary` counts it; its status stays what it was.
        let (message, problem) = match event.problems.is_empty() {
            false => (None, None),
            true => match StatusMessage::parse(event.raw.payload) {
                Ok(message) => (Some(message), None),
                Err(why) => (None, Some(why)),
            },
        };
        let Some(app) = self.app_mut(lattice, name) else {
            return Observed {
                problem,
                ..Observed::default()
            };
        };
        let Some(message) = message else {
            return Observed {
                app: Some(AppFacts {
                    name: app.name.clone(),
                    lattice: app.lattice.clone(),
                    version: app.version.clone(),
                    change: None,
                    status: None,
                }),
                quiet: false,
                problem,
            };
        };
        let change = app.take_status(name, message, at, true);
        let quiet = change.is_none();
        Observed {
            app: Some(AppFacts {
                name: app.name.clone(),
                lattice: app.lattice.clone(),
                version: app.version.clone(),
                change,
                status: app.view(),
            }),
            quiet,
            problem: None,
        }
    }

    fn published(&mut self, event: &Event, at: DateTime<Utc>) -> Observed {
        let manifest = event.data().and_then(|data| {
            ManifestSummary::parse_parts(
                data.get("metadata").map(RawValue::get),
                data.get("spec").map(RawValue::get),
            )
        });
        let Some(manifest) = manifest else {
            return Observed {
                problem: Some("manifest_published without a manifest in data".to_owned()),
                ..Observed::default()
            };
        };
        let Some(name) = manifest.name.clone() else {
            return Observed {
                problem: Some("manifest_published: the manifest has no metadata.name".to_owned()),
                ..Observed::default()
            };
        };
        let lattice = self.lattice_of(event.raw.subject).into_owned();
        let Some(app) = self.app_mut(&lattice, &name) else {
            return Observed::default();
        };
        let (shared, shared_lattice) = (app.name.clone(), app.lattice.clone());
        app.version = manifest.version.clone();
        app.deployed_at = Some(at);
        app.deploy_id = event
            .envelope
            .as_ref()
            .and_then(|e| e.id())
            .map(Cow::into_owned);
        app.fresh = false;
        app.unpublished = false;
        app.deleted = false;
        if let Some(apps) = self.lattices.get_mut(&lattice) {
            for id in manifest.ids.iter().chain(&manifest.configs) {
                apps.claim(id, &name);
            }
        }
        self.seen.clear();
        Observed {
            app: Some(AppFacts {
                name: shared,
                lattice: shared_lattice,
                version: manifest.version.clone(),
                change: Some(AppChange::Published {
                    app: name,
                    version: manifest.version,
                    components: manifest.components,
                    providers: manifest.providers,
                    links: manifest.links,
                }),
                status: None,
            }),
            ..Observed::default()
        }
    }

    fn unpublished(&mut self, event: &Event) -> Observed {
        let name = event.data().and_then(|d| d.str("name"));
        let Some(name) = name else {
            return Observed {
                problem: Some("manifest_unpublished without data.name".to_owned()),
                ..Observed::default()
            };
        };
        let lattice = self.lattice_of(event.raw.subject).into_owned();
        let Some(app) = self.app_mut(&lattice, &name) else {
            return Observed::default();
        };
        let again = app.unpublished;
        app.unpublished = true;
        app.deleted = again;
        Observed {
            app: Some(AppFacts {
                name: app.name.clone(),
                lattice: app.lattice.clone(),
                version: app.version.clone(),
                change: Some(AppChange::Unpublished {
                    app: name.to_string(),
                    version: app.version.clone(),
                    again,
                }),
                status: None,
            }),
            ..Observed::default()
        }
    }

    /// A heartbeat's components and providers, each with its annotations: who owns what.
    fn heartbeat(&mut self, event: &Event) {
        let Some(data) = event.data() else { return };
        for key in ["components", "providers"] {
            let Some(list) = data.get(key) else { continue };
            // Most heartbeats of a lattice without wadm carry no annotation at all.
            if memchr::memmem::find(list.get().as_bytes(), b"appspec").is_none() {
                continue;
            }
            let Ok(items) = serde_json::from_str::<Vec<HeartbeatItem>>(list.get()) else {
                continue;
            };
            let owned: Vec<(Cow<str>, Cow<str>)> = items
                .into_iter()
                .filter_map(|item| Some((item.id, item.annotations.and_then(appspec)?)))
                .collect();
            self.own_listed(
                event,
                owned.iter().map(|(id, app)| (id.as_ref(), app.as_ref())),
            );
        }
    }

    /// A heartbeat's (id, application) pairs: who owns what.
    fn own_listed<'a>(&mut self, event: &Event, owned: impl Iterator<Item = (&'a str, &'a str)>) {
        let mut owned = owned.peekable();
        if owned.peek().is_none() {
            return;
        }
        let lattice = self.lattice_of(event.raw.subject).into_owned();
        let mut moved = false;
        for (id, app) in owned {
            if self.app_mut(&lattice, app).is_none() {
                continue;
            }
            if let Some(apps) = self.lattices.get_mut(&lattice) {
                moved |= apps.own(id, app);
            }
        }
        // An id changed owner: annotations are read anew.
        if moved {
            self.seen.clear();
        }
    }

    /// The application a host event belongs to, learning from its annotations. This runs for
    /// every event of pretty and jsonl output: no string is copied unless something new is
    /// learned.
    fn attribute(&mut self, event: &Event) -> Option<AppFacts> {
        let data = event.data()?;
        let annotations = data.get("annotations");
        let own_id = match event.kind.about() {
            Some(About::Component) => data.str("component_id"),
            Some(About::Provider) => data.str("provider_id"),
            Some(About::Link) => data.str("source_id"),
            Some(About::Config) => data.str("config_name"),
            _ => None,
        };
        let lattice = self.lattice_of(event.raw.subject);
        if let Some(raw) = annotations {
            let seen = self.seen.iter().find(|seen| {
                seen.annotations == raw.get()
                    && seen.lattice == lattice.as_ref()
                    && seen.id.as_deref() == own_id.as_deref()
            });
            if let Some(seen) = seen {
                let app = seen.app.clone();
                return self.lattices.get_mut(lattice.as_ref())?.host_event(&app);
            }
        }
        let annotated = annotations.and_then(appspec);
        if annotated.is_none() && self.lattices.is_empty() {
            return None;
        }
        if let Some(app) = annotated {
            let known = self
                .lattices
                .get(lattice.as_ref())
                .is_some_and(|l| l.apps.contains_key(app.as_ref()));
            if !known {
                self.app_mut(&lattice, &app)?;
            }
            let apps = self.lattices.get_mut(lattice.as_ref())?;
            let facts = apps.host_event(&app)?;
            if let Some(id) = &own_id {
                if apps.own_shared(id, &facts.name) {
                    self.seen.clear();
                }
            }
            if let Some(raw) = annotations {
                let seen = Seen {
                    annotations: raw.get().to_owned(),
                    lattice: lattice.into_owned(),
                    id: own_id.map(Cow::into_owned),
                    app: facts.name.clone(),
                };
                if self.seen.len() < SEEN {
                    self.seen.push(seen);
                } else {
                    self.seen[self.seen_next] = seen;
                    self.seen_next = (self.seen_next + 1) % SEEN;
                }
            }
            return Some(facts);
        }
        let apps = self.lattices.get_mut(lattice.as_ref())?;
        let app = apps.owner(&own_id?)?.clone();
        apps.host_event(&app)
    }

    /// Takes what was true at startup (the last status wadm stored, or its API's answer): `at`
    /// is when that status was published, `deployed_at` when the newest version was, if known.
    pub fn seed(&mut self, seed: &Seed) -> Option<Standing> {
        let app = self.app_mut(&seed.lattice, &seed.app)?;
        if let Some(version) = &seed.version {
            app.version = Some(version.clone());
        }
        app.deployed_at = seed.deployed_at;
        app.deploy_id.clone_from(&seed.deploy_id);
        if let Some(message) = &seed.status {
            app.take_status(
                &seed.app,
                message.clone(),
                seed.at.unwrap_or_else(Utc::now),
                false,
            );
            app.fresh = seed.fresh();
        }
        self.own_seeded(seed);
        self.status_of(&seed.lattice, &seed.app)
    }

    /// [`Apps::seed`] for what was read while live messages were already being handled: what
    /// arrived live is newer and stays. A deploy that arrived live keeps its version and time
    /// (and makes a status read from before it stale); a status that arrived live, or is waiting
    /// in the queue (`status_ahead`), is not replaced. Returns the status taken, if one was.
    pub fn seed_behind(&mut self, seed: &Seed, status_ahead: bool) -> Option<Standing> {
        let app = self.app_mut(&seed.lattice, &seed.app)?;
        let live_deploy = app.deployed_at.is_some();
        let live_status = app.status.is_some();
        if !live_deploy {
            if let Some(version) = &seed.version {
                app.version = Some(version.clone());
            }
            app.deployed_at = seed.deployed_at;
            app.deploy_id.clone_from(&seed.deploy_id);
        }
        let mut taken = false;
        if let (Some(message), false) = (&seed.status, live_status || status_ahead) {
            app.take_status(
                &seed.app,
                message.clone(),
                seed.at.unwrap_or_else(Utc::now),
                false,
            );
            // A deploy that arrived live and that the read did not see came after the status.
            let same_deploy =
                !live_deploy || (seed.deploy_id.is_some() && app.deploy_id == seed.deploy_id);
            app.fresh = same_deploy && seed.fresh();
            taken = true;
        }
        self.own_seeded(seed);
        match taken {
            true => self.status_of(&seed.lattice, &seed.app),
            false => None,
        }
    }

    /// Whether a deploy read from a stream is one application memory has not taken yet.
    pub fn knows_deploy(&self, lattice: &str, app: &str, id: &str) -> bool {
        self.lattices
            .get(lattice)
            .and_then(|l| l.apps.get(app))
            .is_some_and(|a| a.deploy_id.as_deref() == Some(id))
    }

    /// A status read again after a gap: whether it says something application memory does not
    /// know (it is then handled like a live message). When it says what is known, it may still
    /// show that this is now the deployed version's (stored after the deploy application memory
    /// knows): that is taken quietly.
    pub fn status_is_news(&mut self, seed: &Seed) -> bool {
        let Some(message) = &seed.status else {
            return false;
        };
        let Some(app) = self
            .lattices
            .get_mut(&seed.lattice)
            .and_then(|l| l.apps.get_mut(&seed.app))
        else {
            return true;
        };
        let same = app.status.as_ref() == Some(&message.status) && app.message == message.message;
        if same && !app.fresh && seed.fresh() && app.deploy_id == seed.deploy_id {
            app.fresh = true;
        }
        !same
    }

    fn own_seeded(&mut self, seed: &Seed) {
        if let Some(apps) = self.lattices.get_mut(&seed.lattice) {
            for id in &seed.ids {
                apps.claim(id, &seed.app);
            }
        }
        self.seen.clear();
    }

    /// An application's status as known now.
    pub fn status_of(&self, lattice: &str, name: &str) -> Option<Standing> {
        self.lattices.get(lattice)?.apps.get(name)?.view()
    }

    /// Every application of this name, in every lattice watched: its lattice and its status,
    /// when it has one.
    pub fn named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (&'s str, Option<Standing>)> + 's {
        self.lattices.iter().filter_map(move |(lattice, apps)| {
            let app = apps.apps.get(name)?;
            Some((lattice.as_str(), app.view()))
        })
    }

    /// Every application, for `--summary`.
    pub fn rows(&self) -> Vec<AppRow> {
        self.lattices
            .iter()
            .flat_map(|(lattice, apps)| {
                // A deleted application is gone from wadm: not a row (its events stay counted).
                apps.apps.iter().map(move |(name, app)| AppRow {
                    lattice: lattice.clone(),
                    name: name.clone(),
                    status: app.status.clone(),
                    message: app.message.clone(),
                    version: app.version.clone(),
                    events: app.events,
                    failures: app.failures,
                    deleted: app.deleted,
                    failing: app.failing.clone(),
                })
            })
            .collect()
    }
}

/// What latwatch learned about one application at startup (or read again after a gap).
#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub lattice: String,
    pub app: String,
    pub status: Option<StatusMessage>,
    /// When the status was published (the stream's time); `None` from wadm's API.
    pub at: Option<DateTime<Utc>>,
    pub version: Option<String>,
    /// When the newest version was deployed, when a stream still holds its `manifest_published`.
    pub deployed_at: Option<DateTime<Utc>>,
    /// The version the stored status belongs to, when it was stored before the newest deploy
    /// and the stream still holds the deploy before it.
    pub status_version: Option<String>,
    /// The newest `manifest_published`'s CloudEvent id.
    pub deploy_id: Option<String>,
    /// Ids the deployed manifest names.
    pub ids: Vec<String>,
    /// The stream's deploys could not all be read: a newer one than `deployed_at` may exist, so
    /// the status is not taken as the deployed version's.
    pub deploys_unread: bool,
    /// The status message as wadm published it (from the stream, or wadm's API's status as
    /// the message it would publish): after a gap it is handled like a live one.
    pub status_message: Option<Stored>,
    /// The newest `manifest_published` as stored, handled like a live one after a gap.
    pub deploy_message: Option<Stored>,
}

impl Seed {
    /// Whether the status is the deployed version's: not stored before the newest deploy, and
    /// no deploy left unread.
    pub fn fresh(&self) -> bool {
        !self.deploys_unread
            && match (self.at, self.deployed_at) {
                (Some(at), Some(deployed)) => at >= deployed,
                _ => true,
            }
    }
}

/// One of wadm's messages as a stream stored it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub subject: String,
    pub payload: bytes::Bytes,
    /// When the stream stored it; `None` for wadm's API's answer (true now).
    pub at: Option<DateTime<Utc>>,
}

impl App {
    /// Its status as known now, when it has one.
    fn view(&self) -> Option<Standing> {
        Some(Standing {
            status: self.status.clone()?,
            message: self.message.clone(),
            failing: self.failing.clone(),
            fresh: self.fresh,
            version: self.version.clone(),
        })
    }

    /// Takes a status; says what to show (`None`: nothing new). `live`: it arrived now (a seeded
    /// status is shown by the caller its own way).
    fn take_status(
        &mut self,
        name: &str,
        message: StatusMessage,
        at: DateTime<Utc>,
        live: bool,
    ) -> Option<AppChange> {
        let before = self.status.clone();
        let same = before.as_ref() == Some(&message.status) && self.message == message.message;
        self.fresh = true;
        let failing = message.failing();
        let change = |from: Option<AppStatus>, retry, failing_for| AppChange::Status {
            app: name.to_owned(),
            from,
            to: message.status.clone(),
            message: message.message.clone(),
            failing: failing.clone(),
            retry,
            failing_for,
            version: self.version.clone(),
        };
        let shown = if same {
            None
        } else if message.status == AppStatus::Failed {
            match &mut self.failure {
                Some(failure) if failure.message == message.message => {
                    failure.retries += 1;
                    let retries = failure.retries;
                    // Each retry of the same failure would be one more identical line: show
                    // the 2nd, 4th, 8th… only, each saying how long it has been failing.
                    retries
                        .is_power_of_two()
                        .then(|| change(Some(AppStatus::Failed), retries, Some(at - failure.since)))
                }
                _ => {
                    self.failures += 1;
                    let since = self.failure.as_ref().map_or(at, |f| f.since);
                    let retries = self.failure.as_ref().map_or(1, |f| f.retries + 1);
                    self.failure = Some(Failure {
                        since,
                        retries,
                        message: message.message.clone(),
                    });
                    Some(change(
                        before.clone(),
                        retries,
                        (retries > 1).then(|| at - since),
                    ))
                }
            }
        } else if message.status == AppStatus::Reconciling && self.failure.is_some() {
            // wadm retrying a failure: part of the same failure.
            None
        } else {
            let ended = self.failure.take();
            let from = if ended.is_some() {
                Some(AppStatus::Failed)
            } else {
                before.clone()
            };
            let retries = ended.as_ref().map_or(0, |f| f.retries);
            Some(change(from, retries, ended.map(|f| at - f.since)))
        };
        self.status = Some(message.status.clone());
        self.message = message.message.clone();
        self.failing = failing;
        if live {
            shown
        } else {
            None
        }
    }
}

/// A component or provider of a heartbeat, read borrowed: a heartbeat of 100 components is read
/// with no allocation but the list.
#[derive(serde::Deserialize)]
struct HeartbeatItem<'a> {
    #[serde(borrow, default)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    annotations: Option<&'a RawValue>,
}

/// `wasmcloud.dev/appspec` in an `annotations` object: its top-level keys are read borrowed, the
/// other values skipped, so a nested key or one spelled with escapes cannot pass for it and nothing
/// is allocated. The last one wins when the key is repeated, as in jq.
pub(crate) fn appspec(annotations: &RawValue) -> Option<Cow<'_, str>> {
    static APPSPEC_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"appspec"));
    let bytes = annotations.get().as_bytes();
    // Without the name, only escapes could spell the key.
    if APPSPEC_KEY.find(bytes).is_none() && memchr::memchr(b'\\', bytes).is_none() {
        return None;
    }
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an annotations object")
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(
            self,
            mut map: M,
        ) -> Result<Self::Value, M::Error> {
            let mut app = None;
            while let Some(Key(key)) = map.next_key()? {
                if key == APPSPEC {
                    app = json_str(map.next_value::<&RawValue>()?);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(app)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(annotations.get());
    let app = serde::Deserializer::deserialize_map(&mut deserializer, Visitor).ok()??;
    (!app.is_empty()).then_some(app)
}

/// A JSON object key, borrowed when it has no escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

#[cfg(test)]
mod tests;
