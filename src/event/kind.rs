//! The table of lattice event kinds latwatch knows.
//!
//! Every kind a wasmCloud host has ever published (the spec's 14, the real 1.x host's extra ones, the
//! legacy `actor_*` family) is one row of [`KINDS`]: its short name, its severity (which drives color)
//! and how a pretty line lays out its data. Adding a kind is adding a row. A name that is not in the
//! table is still an event: it renders generically with its data keys (a newer host may send kinds we
//! do not know yet).

/// How much an event matters to someone watching; the pretty renderer colors by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Something failed: red.
    Failure,
    /// Something went away (stopped, deleted, scaled to zero): yellow.
    Removal,
    /// Something came up or grew: green.
    Arrival,
    /// Configuration and wiring (links, config, labels): cyan.
    Change,
    /// Liveness noise (heartbeats, periodic health status): dim.
    Liveness,
    /// Anything else, including kinds latwatch does not know: plain.
    Neutral,
}

/// One piece of an event's data worth showing on its pretty line.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Data keys to try in order; the first one present is shown (real hosts renamed fields over time).
    pub keys: &'static [&'static str],
    /// The label printed before the value (`image=…`); `None` prints the bare value (the subject id).
    pub label: Option<&'static str>,
    /// How the value is shown.
    pub show: Show,
}

/// How a [`Field`] value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The value as text (strings unquoted, other JSON as written).
    Plain,
    /// Quoted text: error messages and reasons, which contain spaces.
    Quoted,
    /// A `{key: value}` object shown as `k=v,k=v`, leaving out the `hostcore.*` labels every host has.
    Labels,
    /// Shown in the failure color: error messages.
    Error,
}

/// How a kind's pretty line is laid out after the time, name and host columns.
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// A list of fields, the first usually the id the event is about.
    Fields(&'static [Field]),
    /// `source → target (ns:pkg/iface,…)` followed by the fields.
    Link(&'static [Field]),
    /// A component scale event: `max_instances: 0` means stopped.
    Scale(&'static [Field]),
    /// A host inventory summary: counts and uptime.
    Heartbeat,
    /// A wasmCloud 2 host's heartbeat: worded from what lattice memory made of it (joined, seen,
    /// counts changed, restarted).
    V2Host,
    /// A wasmCloud 2 workload request or reply (`--workloads`): worded from what workload memory
    /// made of it (`state::workloads`).
    V2Workload,
    /// What wadm publishes about an application (`manifest_published`, `manifest_unpublished`,
    /// `app_status`): worded from what application memory made of it (`apps::AppChange`).
    App,
}

/// What an event is about: decides which ids `--component` and `--provider` look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Host,
    /// Ids in `component_id`, legacy `actor_id`, or `public_key` (the component's key).
    Component,
    /// Ids in `provider_id`, or legacy `public_key`.
    Provider,
    /// Either end: `source_id`/`target` (1.x), `actor_id`/`provider_id` (legacy).
    Link,
    Config,
    /// An application: what wadm publishes on `wadm.evt.*` and `wadm.status.*`.
    App,
}

/// One row of the kind table.
#[derive(Debug)]
pub struct KindSpec {
    /// The row's identity.
    pub id: KindId,
    /// The short name: the CloudEvent type without `com.wasmcloud.lattice.`, and the subject suffix.
    pub name: &'static str,
    pub severity: Severity,
    pub about: About,
    pub layout: Layout,
}

/// The prefix of every wasmCloud lattice CloudEvent type.
pub const TYPE_PREFIX: &str = "com.wasmcloud.lattice.";
/// The prefix of wadm's CloudEvent types (`com.wadm.manifest_published`).
pub const WADM_TYPE_PREFIX: &str = "com.wadm.";

const fn field(keys: &'static [&'static str], label: &'static str, show: Show) -> Field {
    Field {
        keys,
        label: Some(label),
        show,
    }
}

const fn subject(keys: &'static [&'static str]) -> Field {
    Field {
        keys,
        label: None,
        show: Show::Plain,
    }
}

// The fields shared by several rows.
const COMPONENT: Field = subject(&["component_id", "actor_id", "public_key"]);
const PROVIDER: Field = subject(&["provider_id", "public_key"]);
const IMAGE: Field = field(
    &["image_ref", "provider_ref", "actor_ref", "oci_url"],
    "image",
    Show::Plain,
);
const ERROR: Field = field(&["error"], "error", Show::Error);
const REASON: Field = field(&["reason"], "reason", Show::Quoted);
const MESSAGE: Field = field(&["message"], "message", Show::Quoted);
const LABELS: Field = field(&["labels"], "labels", Show::Labels);
const VERSION: Field = field(&["version"], "version", Show::Plain);
const LINK_NAME: Field = field(&["name", "link_name"], "name", Show::Plain);
const CONFIG: Field = subject(&["config_name", "entity_id"]);
const MAX: Field = field(&["max_instances"], "max", Show::Plain);
const COUNT: Field = field(&["count"], "count", Show::Plain);

/// Every kind in the table, by identity: what lattice memory and renderers branch on (a name
/// string could be an unknown kind that happens to be spelled the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindId {
    HostStarted,
    HostStopped,
    HostHeartbeat,
    LabelsChanged,
    ComponentScaled,
    ComponentScaleFailed,
    ComponentStartFailed,
    ProviderStarted,
    ProviderStartFailed,
    ProviderStopped,
    HealthCheckPassed,
    HealthCheckFailed,
    HealthCheckStatus,
    LinkdefSet,
    LinkdefSetFailed,
    LinkdefDeleted,
    ConfigSet,
    ConfigDeleted,
    ActorScaled,
    ActorScaleFailed,
    ActorsStarted,
    ActorsStartFailed,
    ActorsStopped,
    ActorStarted,
    ActorStopped,
    ActorStartFailed,
    ActorUpdated,
    ActorUpdateFailed,
    RefmapSet,
    ManifestPublished,
    ManifestUnpublished,
    AppStatus,
    /// A wasmCloud 2 host's heartbeat (`runtime.operator.heartbeat.<host-id>`): protojson, no
    /// CloudEvents envelope.
    V2HostHeartbeat,
    /// The operator's request to a v2 host (`runtime.host.<id>.<command>`): shown with
    /// `--verbose`; its answer is the line.
    V2Request,
    /// A host's answer to a `workload.start`: RUNNING.
    V2WorkloadStarted,
    /// A host's answer to a `workload.start`: anything but RUNNING, with the host's error text.
    V2WorkloadFailed,
    /// A host's answer to a `workload.stop`.
    V2WorkloadStopped,
    /// A host's answer to a `workload.status`: a line when the state changed.
    V2WorkloadStatus,
    /// A `workload.start` no host answered within 60 s (made by latwatch).
    V2WorkloadUnanswered,
}

impl KindId {
    /// The short name, as in the CloudEvents type `com.wasmcloud.lattice.<name>`.
    pub const fn name(self) -> &'static str {
        match self {
            KindId::HostStarted => "host_started",
            KindId::HostStopped => "host_stopped",
            KindId::HostHeartbeat => "host_heartbeat",
            KindId::LabelsChanged => "labels_changed",
            KindId::ComponentScaled => "component_scaled",
            KindId::ComponentScaleFailed => "component_scale_failed",
            KindId::ComponentStartFailed => "component_start_failed",
            KindId::ProviderStarted => "provider_started",
            KindId::ProviderStartFailed => "provider_start_failed",
            KindId::ProviderStopped => "provider_stopped",
            KindId::HealthCheckPassed => "health_check_passed",
            KindId::HealthCheckFailed => "health_check_failed",
            KindId::HealthCheckStatus => "health_check_status",
            KindId::LinkdefSet => "linkdef_set",
            KindId::LinkdefSetFailed => "linkdef_set_failed",
            KindId::LinkdefDeleted => "linkdef_deleted",
            KindId::ConfigSet => "config_set",
            KindId::ConfigDeleted => "config_deleted",
            KindId::ActorScaled => "actor_scaled",
            KindId::ActorScaleFailed => "actor_scale_failed",
            KindId::ActorsStarted => "actors_started",
            KindId::ActorsStartFailed => "actors_start_failed",
            KindId::ActorsStopped => "actors_stopped",
            KindId::ActorStarted => "actor_started",
            KindId::ActorStopped => "actor_stopped",
            KindId::ActorStartFailed => "actor_start_failed",
            KindId::ActorUpdated => "actor_updated",
            KindId::ActorUpdateFailed => "actor_update_failed",
            KindId::RefmapSet => "refmap_set",
            KindId::ManifestPublished => "manifest_published",
            KindId::ManifestUnpublished => "manifest_unpublished",
            KindId::AppStatus => "app_status",
            KindId::V2HostHeartbeat => "v2_host_heartbeat",
            KindId::V2Request => "v2_request",
            KindId::V2WorkloadStarted => "v2_workload_started",
            KindId::V2WorkloadFailed => "v2_workload_failed",
            KindId::V2WorkloadStopped => "v2_workload_stopped",
            KindId::V2WorkloadStatus => "v2_workload_status",
            KindId::V2WorkloadUnanswered => "v2_workload_unanswered",
        }
    }

    /// A wasmCloud 2 message: known by its subject, never by a CloudEvent `type`.
    pub const fn is_v2(self) -> bool {
        matches!(
            self,
            KindId::V2HostHeartbeat
                | KindId::V2Request
                | KindId::V2WorkloadStarted
                | KindId::V2WorkloadFailed
                | KindId::V2WorkloadStopped
                | KindId::V2WorkloadStatus
                | KindId::V2WorkloadUnanswered
        )
    }

    /// A wasmCloud 2 workload kind (`--workloads`).
    pub const fn is_v2_workload(self) -> bool {
        self.is_v2() && !matches!(self, KindId::V2HostHeartbeat)
    }

    /// A kind wadm publishes (`com.wadm.*` CloudEvents, and status messages on
    /// `wadm.status.<lattice>.<app>`), not a host.
    pub const fn is_wadm(self) -> bool {
        matches!(
            self,
            KindId::ManifestPublished | KindId::ManifestUnpublished | KindId::AppStatus
        )
    }
}

const fn row(id: KindId, severity: Severity, layout: Layout) -> KindSpec {
    let name = id.name();
    KindSpec {
        id,
        name,
        severity,
        about: about_of(name),
        layout,
    }
}

/// What a kind is about, read from its name: every wasmCloud kind is named `<what>_<happened>`.
const fn about_of(name: &str) -> About {
    const fn starts_with(name: &[u8], prefix: &[u8]) -> bool {
        if name.len() < prefix.len() {
            return false;
        }
        let mut i = 0;
        while i < prefix.len() {
            if name[i] != prefix[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let name = name.as_bytes();
    if starts_with(name, b"component")
        || starts_with(name, b"actor")
        || starts_with(name, b"refmap")
    {
        About::Component
    } else if starts_with(name, b"provider") || starts_with(name, b"health_check") {
        About::Provider
    } else if starts_with(name, b"linkdef") {
        About::Link
    } else if starts_with(name, b"config") {
        About::Config
    } else if starts_with(name, b"manifest") || starts_with(name, b"app_") {
        About::App
    } else {
        About::Host
    }
}

use KindId::*;
use Layout::{App, Fields, Heartbeat, Link, Scale, V2Host, V2Workload};
use Severity::{Arrival, Change, Failure, Liveness, Neutral, Removal};

/// Every kind latwatch knows, in the order `--help` lists them.
pub static KINDS: &[KindSpec] = &[
    // Hosts.
    row(HostStarted, Arrival, Fields(&[VERSION, LABELS])),
    row(HostStopped, Removal, Fields(&[REASON, LABELS])),
    row(HostHeartbeat, Liveness, Heartbeat),
    row(LabelsChanged, Change, Fields(&[LABELS])),
    // Components.
    row(ComponentScaled, Arrival, Scale(&[COMPONENT, IMAGE])),
    row(
        ComponentScaleFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, MAX, ERROR]),
    ),
    row(
        ComponentStartFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, ERROR]),
    ),
    // Providers.
    row(ProviderStarted, Arrival, Fields(&[PROVIDER, IMAGE])),
    row(
        ProviderStartFailed,
        Failure,
        Fields(&[PROVIDER, IMAGE, ERROR]),
    ),
    row(ProviderStopped, Removal, Fields(&[PROVIDER, REASON])),
    row(HealthCheckPassed, Arrival, Fields(&[PROVIDER, MESSAGE])),
    row(HealthCheckFailed, Failure, Fields(&[PROVIDER, MESSAGE])),
    row(HealthCheckStatus, Liveness, Fields(&[PROVIDER, MESSAGE])),
    // Links and config.
    row(LinkdefSet, Change, Link(&[LINK_NAME])),
    row(LinkdefSetFailed, Failure, Link(&[LINK_NAME, ERROR])),
    row(LinkdefDeleted, Removal, Link(&[LINK_NAME])),
    row(ConfigSet, Change, Fields(&[CONFIG])),
    row(ConfigDeleted, Removal, Fields(&[CONFIG])),
    // Legacy hosts (wasmCloud ≤ 0.82 and the OTP host).
    row(ActorScaled, Arrival, Scale(&[COMPONENT, IMAGE])),
    row(
        ActorScaleFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, MAX, ERROR]),
    ),
    row(ActorsStarted, Arrival, Fields(&[COMPONENT, IMAGE, COUNT])),
    row(
        ActorsStartFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, ERROR]),
    ),
    row(
        ActorsStopped,
        Removal,
        Fields(&[
            COMPONENT,
            IMAGE,
            COUNT,
            field(&["remaining"], "remaining", Show::Plain),
        ]),
    ),
    row(ActorStarted, Arrival, Fields(&[COMPONENT, IMAGE])),
    row(ActorStopped, Removal, Fields(&[COMPONENT])),
    row(
        ActorStartFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, ERROR]),
    ),
    row(ActorUpdated, Change, Fields(&[COMPONENT, IMAGE])),
    row(
        ActorUpdateFailed,
        Failure,
        Fields(&[COMPONENT, IMAGE, ERROR]),
    ),
    row(
        RefmapSet,
        Change,
        Fields(&[subject(&["public_key"]), IMAGE]),
    ),
    // wadm: applications (not host events; `Kind::from_type` finds them only by wadm's prefix).
    row(ManifestPublished, Change, App),
    row(ManifestUnpublished, Removal, App),
    row(AppStatus, Neutral, App),
    // wasmCloud 2 (no lattice events; its hosts' heartbeats on `runtime.operator.heartbeat.>`).
    row(V2HostHeartbeat, Liveness, V2Host),
    // … and, with `--workloads`, the operator's requests and the hosts' answers.
    row(V2Request, Neutral, V2Workload),
    row(V2WorkloadStarted, Arrival, V2Workload),
    row(V2WorkloadFailed, Failure, V2Workload),
    row(V2WorkloadStopped, Removal, V2Workload),
    row(V2WorkloadStatus, Change, V2Workload),
    row(V2WorkloadUnanswered, Failure, V2Workload),
];

/// What kind an event is: a row of [`KINDS`], or a name latwatch does not know.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    Known(&'static KindSpec),
    /// A name not in the table, shown generically (never empty).
    Unknown(&'a str),
    /// A `type` written with JSON escapes that names no kind in the table (a name latwatch would
    /// have to copy to keep): shown as such, matched only by globs.
    Escaped,
    /// No `type`, and no event name in the subject either.
    Missing,
}

impl<'a> Kind<'a> {
    /// Looks a short name up in the table.
    pub fn from_name(name: &'a str) -> Kind<'a> {
        match KINDS.iter().find(|spec| spec.name == name) {
            Some(spec) => Kind::Known(spec),
            None if name.is_empty() => Kind::Missing,
            None => Kind::Unknown(name),
        }
    }

    /// The row of a kind latwatch itself assigns (a wadm status message has no `type`).
    pub fn of(id: KindId) -> Kind<'static> {
        match KINDS.iter().find(|spec| spec.id == id) {
            Some(spec) => Kind::Known(spec),
            None => Kind::Missing,
        }
    }

    /// The kind a CloudEvent `type` names: `com.wasmcloud.lattice.<name>` (or a bare name) finds
    /// a host kind, `com.wadm.<name>` a wadm kind; a host event cannot pass for wadm's or the
    /// other way round.
    pub fn from_type(ty: &'a str) -> Kind<'a> {
        let (name, wadm) = match ty.strip_prefix(WADM_TYPE_PREFIX) {
            Some(name) => (name, true),
            None => (ty.strip_prefix(TYPE_PREFIX).unwrap_or(ty), false),
        };
        match KINDS
            .iter()
            .find(|spec| spec.name == name && spec.id.is_wadm() == wadm && !spec.id.is_v2())
        {
            Some(spec) => Kind::Known(spec),
            None if ty.is_empty() => Kind::Missing,
            None => Kind::Unknown(if wadm { ty } else { name }),
        }
    }

    /// The short name, as the user types it in `--type`; empty for an escaped or missing type,
    /// which no `--type` value can name (an empty one is a usage error), only a glob matches.
    pub fn name(&self) -> &'a str {
        match self {
            Kind::Known(spec) => spec.name,
            Kind::Unknown(name) => name,
            Kind::Escaped | Kind::Missing => "",
        }
    }

    /// The name as shown: the short name, or what stands for an escaped or missing one.
    pub fn label(&self) -> &'a str {
        match self {
            Kind::Escaped => "(escaped type)",
            Kind::Missing => "(no type)",
            kind => kind.name(),
        }
    }

    /// The table row when the kind is a known one: what lattice memory and renderers branch on
    /// (never an unknown name that happens to be spelled the same).
    pub fn known(&self) -> Option<KindId> {
        match self {
            Kind::Known(spec) => Some(spec.id),
            _ => None,
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Kind::Known(spec) => spec.severity,
            _ => Neutral,
        }
    }

    /// What the event is about; `None` for kinds latwatch does not know.
    pub fn about(&self) -> Option<About> {
        match self {
            Kind::Known(spec) => Some(spec.about),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_found_by_its_name_and_has_its_own_id() {
        for spec in KINDS {
            assert_eq!(Kind::from_name(spec.name).known(), Some(spec.id));
        }
        let ids: std::collections::HashSet<KindId> = KINDS.iter().map(|k| k.id).collect();
        assert_eq!(ids.len(), KINDS.len(), "one row per id");
    }

    /// The 14 message types of `shared/spec/lattice-events.asyncapi.yaml`.
    const SPEC_NAMES: &[&str] = &[
        "component_scaled",
        "component_start_failed",
        "provider_started",
        "provider_stopped",
        "provider_start_failed",
        "linkdef_set",
        "linkdef_deleted",
        "config_set",
        "config_deleted",
        "host_heartbeat",
        "host_started",
        "host_stopped",
        "health_check_passed",
        "health_check_failed",
    ];

    /// What wasmCloud 1.x hosts publish (real-events.md §2).
    const HOST_1X_NAMES: &[&str] = &[
        "host_started",
        "host_heartbeat",
        "host_stopped",
        "labels_changed",
        "component_scaled",
        "component_scale_failed",
        "provider_started",
        "provider_start_failed",
        "provider_stopped",
        "health_check_passed",
        "health_check_failed",
        "health_check_status",
        "linkdef_set",
        "linkdef_set_failed",
        "linkdef_deleted",
        "config_set",
        "config_deleted",
    ];

    #[test]
    fn every_spec_and_real_host_kind_has_a_row() {
        for name in SPEC_NAMES.iter().chain(HOST_1X_NAMES) {
            assert!(
                matches!(Kind::from_name(name), Kind::Known(_)),
                "{name} has no row in KINDS"
            );
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in KINDS.iter().enumerate() {
            assert!(
                KINDS[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
    }

    #[test]
    fn kinds_know_what_they_are_about() {
        let about = |name| Kind::from_name(name).about();
        assert_eq!(about("component_scale_failed"), Some(About::Component));
        assert_eq!(about("actors_stopped"), Some(About::Component));
        assert_eq!(about("health_check_status"), Some(About::Provider));
        assert_eq!(about("linkdef_set_failed"), Some(About::Link));
        assert_eq!(about("config_deleted"), Some(About::Config));
        assert_eq!(about("labels_changed"), Some(About::Host));
        assert_eq!(about("host_heartbeat"), Some(About::Host));
        assert_eq!(about("com.wadm.manifest_published"), None);
        assert_eq!(about("manifest_published"), Some(About::App));
        assert_eq!(about("app_status"), Some(About::App));
    }

    #[test]
    fn wadm_kinds_are_found_only_by_wadm_types() {
        let known = |ty| Kind::from_type(ty).known();
        assert_eq!(
            known("com.wadm.manifest_published"),
            Some(KindId::ManifestPublished)
        );
        assert_eq!(known("com.wasmcloud.lattice.manifest_published"), None);
        assert_eq!(known("manifest_published"), None);
        assert_eq!(known("com.wadm.component_scaled"), None);
        assert_eq!(
            known("com.wasmcloud.lattice.component_scaled"),
            Some(KindId::ComponentScaled)
        );
        assert_eq!(known("component_scaled"), Some(KindId::ComponentScaled));
        assert_eq!(Kind::from_type("com.wadm.other").name(), "com.wadm.other");
    }

    #[test]
    fn unknown_names_are_kept() {
        assert_eq!(Kind::from_name("wadm_thing").name(), "wadm_thing");
        assert_eq!(Kind::from_name("wadm_thing").severity(), Severity::Neutral);
    }
}
