//! Workload requests (`workload.start`, `.status`, `.stop`) and the hosts' status replies.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::de as pj;

/// What a `runtime.host.<id>.workload.start` request asks for, without its secrets.
///
/// Only what a watcher shows is decoded: the `localResources`, `imagePullSecret`, volumes and
/// host interfaces are skipped unread (never stored), so a `StartRequest` holds no secret.
/// Strings are empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartRequest {
    /// The workload id chosen by the requester (the operator uses the Workload object's UID).
    pub workload_id: String,
    /// The workload's (Kubernetes) namespace.
    pub namespace: String,
    /// The workload's name: `<deployment>-<rs-hash>-<rand>` from the operator.
    pub name: String,
    /// The OCI images: the service's first when there is one, then each component's, in order.
    /// Empty image strings are left out.
    pub images: Vec<String>,
    /// The workload's annotations (sorted by key).
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartWire {
    workload: Option<WorkloadWire>,
    #[serde(
        rename = "workloadId",
        alias = "workload_id",
        deserialize_with = "pj::string"
    )]
    workload_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorkloadWire {
    #[serde(deserialize_with = "pj::string")]
    namespace: String,
    #[serde(deserialize_with = "pj::string")]
    name: String,
    annotations: Option<BTreeMap<String, String>>,
    service: Option<ImageWire>,
    #[serde(rename = "witWorld", alias = "wit_world")]
    wit_world: Option<WitWorldWire>,
}

/// A service or a component: only its `image`; every other key is skipped unread.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ImageWire {
    #[serde(deserialize_with = "pj::string")]
    image: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WitWorldWire {
    #[serde(deserialize_with = "component_images")]
    components: Vec<String>,
}

/// `components`: the non-empty images, read one component at a time (nothing else is kept).
fn component_images<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Images;
    impl<'de> Visitor<'de> for Images {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of components")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut images = Vec::new();
            while let Some(component) = seq.next_element::<Option<ImageWire>>()? {
                if let Some(ImageWire { image }) = component.filter(|c| !c.image.is_empty()) {
                    images.push(image);
                }
            }
            Ok(images)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(Images)
}

/// Decodes a `workload.start` request body (`WorkloadStartRequest`). Missing keys are zero
/// values (an empty name, no images); the secrets in it are skipped unread.
///
/// To *show* or *record* the body itself, pass it through [`crate::v2::redact_start`] first.
pub fn parse_start(payload: &[u8]) -> Result<StartRequest, String> {
    let w: StartWire = pj::from_object(payload)?;
    let workload = w.workload.unwrap_or_default();
    let mut images = Vec::new();
    if let Some(service) = workload.service.filter(|s| !s.image.is_empty()) {
        images.push(service.image);
    }
    images.extend(workload.wit_world.unwrap_or_default().components);
    Ok(StartRequest {
        workload_id: w.workload_id,
        namespace: workload.namespace,
        name: workload.name,
        images,
        annotations: workload.annotations.unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IdWire {
    #[serde(
        rename = "workloadId",
        alias = "workload_id",
        deserialize_with = "pj::string"
    )]
    workload_id: String,
}

/// Decodes the workload id of a `workload.status` or `workload.stop` request
/// (`{"workloadId": …}`, or `workload_id`). An absent or empty id is an error: such a request
/// names no workload.
pub fn parse_workload_id(payload: &[u8]) -> Result<String, String> {
    let w: IdWire = pj::from_object(payload)?;
    if w.workload_id.is_empty() {
        return Err("no workloadId".to_owned());
    }
    Ok(w.workload_id)
}

/// A workload's state as a host reports it (`WorkloadState` in `workload.proto`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum WorkloadState {
    /// `WORKLOAD_STATE_UNSPECIFIED` (0), also when the state is absent.
    #[default]
    Unspecified,
    /// `WORKLOAD_STATE_STARTING` (1): seen only by a status request racing a start.
    Starting,
    /// `WORKLOAD_STATE_RUNNING` (2).
    Running,
    /// `WORKLOAD_STATE_COMPLETED` (3).
    Completed,
    /// `WORKLOAD_STATE_STOPPING` (4): the answer to a successful stop (teardown already done).
    Stopping,
    /// `WORKLOAD_STATE_ERROR` (5): a failed start, or a workload held in error.
    Error,
    /// `WORKLOAD_STATE_NOT_FOUND` (6): the host does not hold that id.
    NotFound,
    /// A state this version does not know: its name as sent (or its number, as decimal text).
    Other(String),
}

/// The protojson enum names' common prefix.
const STATE_PREFIX: &str = "WORKLOAD_STATE_";

impl WorkloadState {
    /// The state from its protojson name (`WORKLOAD_STATE_RUNNING`); the short form (`RUNNING`)
    /// is accepted too, and an empty name is [`WorkloadState::Unspecified`].
    pub fn from_name(name: &str) -> Self {
        match name.strip_prefix(STATE_PREFIX).unwrap_or(name) {
            "" | "UNSPECIFIED" => WorkloadState::Unspecified,
            "STARTING" => WorkloadState::Starting,
            "RUNNING" => WorkloadState::Running,
            "COMPLETED" => WorkloadState::Completed,
            "STOPPING" => WorkloadState::Stopping,
            "ERROR" => WorkloadState::Error,
            "NOT_FOUND" => WorkloadState::NotFound,
            _ => WorkloadState::Other(name.to_owned()),
        }
    }

    /// The state from its proto number (protojson accepts numbers for enums).
    pub fn from_number(n: u64) -> Self {
        match n {
            0 => WorkloadState::Unspecified,
            1 => WorkloadState::Starting,
            2 => WorkloadState::Running,
            3 => WorkloadState::Completed,
            4 => WorkloadState::Stopping,
            5 => WorkloadState::Error,
            6 => WorkloadState::NotFound,
            n => WorkloadState::Other(n.to_string()),
        }
    }

    /// The name without `WORKLOAD_STATE_`: `RUNNING`, `NOT_FOUND`, … (an unknown state's text as
    /// sent, minus that prefix; untrusted).
    pub fn as_str(&self) -> &str {
        match self {
            WorkloadState::Unspecified => "UNSPECIFIED",
            WorkloadState::Starting => "STARTING",
            WorkloadState::Running => "RUNNING",
            WorkloadState::Completed => "COMPLETED",
            WorkloadState::Stopping => "STOPPING",
            WorkloadState::Error => "ERROR",
            WorkloadState::NotFound => "NOT_FOUND",
            WorkloadState::Other(s) => s.strip_prefix(STATE_PREFIX).unwrap_or(s),
        }
    }
}

impl fmt::Display for WorkloadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WorkloadState {
    /// A protojson enum: its name, its number, or `null` (unspecified).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StateVisitor;
        impl<'de> Visitor<'de> for StateVisitor {
            type Value = WorkloadState;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a workload state")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(WorkloadState::from_name(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(WorkloadState::from_number(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(WorkloadState::Other(v.to_string()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(WorkloadState::Unspecified)
            }
        }
        d.deserialize_any(StateVisitor)
    }
}

/// A host's answer to `workload.start`, `.status` or `.stop` (the `workloadStatus` inside it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReply {
    /// The workload id the answer is about (empty if the host left it out).
    pub workload_id: String,
    /// The state.
    pub state: WorkloadState,
    /// The host's text, e.g. the full error chain of a failed start; `None` when absent or empty
    /// (a RUNNING status carries none). Untrusted.
    pub message: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyWire {
    #[serde(rename = "workloadStatus", alias = "workload_status")]
    workload_status: Option<StatusWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusWire {
    #[serde(
        rename = "workloadId",
        alias = "workload_id",
        deserialize_with = "pj::string"
    )]
    workload_id: String,
    #[serde(rename = "workloadState", alias = "workload_state")]
    workload_state: WorkloadState,
    #[serde(deserialize_with = "pj::opt_string")]
    message: Option<String>,
}

/// Decodes a host's reply to a workload request: `{"workloadStatus": {workloadId,
/// workloadState, message}}` (pretty-printed by the host; compact is fine too). A body without
/// `workloadStatus` is an error (it is not a workload reply: a heartbeat reply, say).
pub fn parse_reply(payload: &[u8]) -> Result<StatusReply, String> {
    let w: ReplyWire = pj::from_object(payload)?;
    let status = w
        .workload_status
        .ok_or_else(|| "no workloadStatus".to_owned())?;
    Ok(StatusReply {
        workload_id: status.workload_id,
        state: status.workload_state,
        message: status.message,
    })
}

/// The crash-loop key of a workload name: the name minus its last `-<token>`.
///
/// The operator names a Workload `<deployment>-<rs-hash>-<rand>`; every replica (and every
/// replacement after a failed start) of one ReplicaSet shares `<deployment>-<rs-hash>`, which is
/// what this returns: `ghost-5d8f7-qwert` → `ghost-5d8f7`. Group failed starts by namespace and
/// this key. A name without `-`, or whose only `-` is its first character, is returned whole; a
/// trailing `-` is cut (`a-` → `a`).
pub fn replica_prefix(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((prefix, _)) if !prefix.is_empty() => prefix,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_with_service_and_components() {
        let start = parse_start(
            br#"{"workload_id":"w1","workload":{"namespace":"ns","name":"web-1a2b3-xyz12",
                "service":{"image":"reg/svc:1","image_pull_secret":{"username":"u","password":"p"}},
                "wit_world":{"components":[{"image":"reg/a:1"},{"name":"no-image"},null,
                {"image":"reg/b:2","localResources":{"config":{"k":"v"}}}],
                "hostInterfaces":[{"namespace":"wasi","config":{"x":"y"}}]},
                "volumes":[{"name":"v","emptyDir":{}}]}}"#,
        )
        .unwrap();
        assert_eq!(start.workload_id, "w1");
        assert_eq!(
            (start.namespace.as_str(), start.name.as_str()),
            ("ns", "web-1a2b3-xyz12")
        );
        assert_eq!(start.images, ["reg/svc:1", "reg/a:1", "reg/b:2"]);
        assert!(start.annotations.is_empty());
    }

    #[test]
    fn start_zero_values() {
        assert_eq!(parse_start(b"{}").unwrap(), StartRequest::default());
        assert_eq!(
            parse_start(br#"{"workload":{"service":null,"witWorld":{"components":null}}}"#)
                .unwrap(),
            StartRequest::default()
        );
        assert!(parse_start(br#"{"workload":{"witWorld":{"components":"x"}}}"#).is_err());
        assert!(parse_start(br#"{"workload":{"annotations":{"a":1}}}"#).is_err());
    }

    #[test]
    fn workload_id_requests() {
        assert_eq!(
            parse_workload_id(br#"{"workloadId":"abc"}"#).unwrap(),
            "abc"
        );
        assert_eq!(
            parse_workload_id(br#"{"workload_id": "abc"}"#).unwrap(),
            "abc"
        );
        assert_eq!(parse_workload_id(b"{}").unwrap_err(), "no workloadId");
        assert_eq!(
            parse_workload_id(br#"{"workloadId":""}"#).unwrap_err(),
            "no workloadId"
        );
        assert!(parse_workload_id(br#"{"workloadId":"a","workload_id":"b"}"#).is_err());
    }

    #[test]
    fn states_by_name_number_and_unknown() {
        for (name, n, short) in [
            ("WORKLOAD_STATE_UNSPECIFIED", 0, "UNSPECIFIED"),
            ("WORKLOAD_STATE_STARTING", 1, "STARTING"),
            ("WORKLOAD_STATE_RUNNING", 2, "RUNNING"),
            ("WORKLOAD_STATE_COMPLETED", 3, "COMPLETED"),
            ("WORKLOAD_STATE_STOPPING", 4, "STOPPING"),
            ("WORKLOAD_STATE_ERROR", 5, "ERROR"),
            ("WORKLOAD_STATE_NOT_FOUND", 6, "NOT_FOUND"),
        ] {
            let state = WorkloadState::from_name(name);
            assert_eq!(state.as_str(), short);
            assert_eq!(WorkloadState::from_number(n), state);
            assert_eq!(WorkloadState::from_name(short), state);
            assert!(!matches!(state, WorkloadState::Other(_)));
        }
        let odd = WorkloadState::from_name("WORKLOAD_STATE_PAUSED");
        assert_eq!(odd, WorkloadState::Other("WORKLOAD_STATE_PAUSED".into()));
        assert_eq!(odd.to_string(), "PAUSED");
        assert_eq!(WorkloadState::from_number(9).as_str(), "9");
        let reply =
            parse_reply(br#"{"workload_status":{"workload_id":"x","workload_state":5}}"#).unwrap();
        assert_eq!((reply.state, reply.message), (WorkloadState::Error, None));
        let reply = parse_reply(br#"{"workloadStatus":{}}"#).unwrap();
        assert_eq!(reply, StatusReply::default());
        assert_eq!(parse_reply(b"{}").unwrap_err(), "no workloadStatus");
        assert!(parse_reply(br#"{"workloadStatus":{"workloadState":{}}}"#).is_err());
        assert!(parse_reply(br#"{"workloadStatus":{"workloadState":1.5}}"#).is_err());
    }

    #[test]
    fn replica_prefixes() {
        assert_eq!(replica_prefix("ghost-5d8f7-qwert"), "ghost-5d8f7");
        assert_eq!(replica_prefix("my-app-5d8f7-qwert"), "my-app-5d8f7");
        assert_eq!(replica_prefix("ghost"), "ghost");
        assert_eq!(replica_prefix(""), "");
        assert_eq!(replica_prefix("-x"), "-x");
        assert_eq!(replica_prefix("a-"), "a");
        assert_eq!(replica_prefix("é-ü"), "é");
    }
}
