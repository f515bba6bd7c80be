//! What wadm puts on the wire, read leniently: its subjects, its status messages and the manifest
//! inside `manifest_published` (`../shared/docs/wadm-and-ctl.md` has the recorded shapes).
//!
//! Everything here is owned and small: wadm publishes a handful of messages per deploy, so these
//! are parsed with serde into structs, never on the per-event hot path of host events.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::event::Severity;
use serde_json::Value;

/// The statuses wadm 0.21 publishes, in the words `--until-app` takes.
pub const STATUSES: &[&str] = &[
    "deployed",
    "reconciling",
    "failed",
    "waiting",
    "undeployed",
    "unhealthy",
];

impl std::fmt::Display for AppStatus {
    /// Raw, as [`AppStatus::as_str`]: escape before showing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written as its name (`-o jsonl`, `top`'s details).
impl serde::Serialize for AppStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An application's status, typed: decided once here what each means (its severity, hence its
/// colour), for every view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppStatus {
    Deployed,
    Reconciling,
    Failed,
    Waiting,
    Undeployed,
    Unhealthy,
    /// Any other text, kept exactly as it came (shown escaped).
    Other(String),
}

impl AppStatus {
    /// A status as wadm names it: a known name in today's words whatever its case (`Ready` and
    /// `ready` are `deployed`, `compensating` is `reconciling`). Any other text is kept exactly
    /// as it came, never lower-cased or trimmed: it is shown escaped, and `failed\e[2J` must read
    /// as what was sent, not as `failed\e[2j`.
    pub fn parse(name: &str) -> AppStatus {
        let known = |word: &str| name.trim().eq_ignore_ascii_case(word);
        match STATUSES.iter().position(|word| known(word)) {
            Some(0) => AppStatus::Deployed,
            Some(1) => AppStatus::Reconciling,
            Some(2) => AppStatus::Failed,
            Some(3) => AppStatus::Waiting,
            Some(4) => AppStatus::Undeployed,
            Some(5) => AppStatus::Unhealthy,
            _ if known("ready") => AppStatus::Deployed,
            _ if known("compensating") => AppStatus::Reconciling,
            _ => AppStatus::Other(name.to_owned()),
        }
    }

    /// Its name in wadm 0.21's words (raw for [`AppStatus::Other`]: escape before showing).
    pub fn as_str(&self) -> &str {
        match self {
            AppStatus::Deployed => STATUSES[0],
            AppStatus::Reconciling => STATUSES[1],
            AppStatus::Failed => STATUSES[2],
            AppStatus::Waiting => STATUSES[3],
            AppStatus::Undeployed => STATUSES[4],
            AppStatus::Unhealthy => STATUSES[5],
            AppStatus::Other(text) => text,
        }
    }

    /// How it is coloured everywhere: deployed arrives, failed and unhealthy fail, undeployed
    /// removes, anything else changes.
    pub fn severity(&self) -> Severity {
        match self {
            AppStatus::Deployed => Severity::Arrival,
            AppStatus::Failed | AppStatus::Unhealthy => Severity::Failure,
            AppStatus::Undeployed => Severity::Removal,
            _ => Severity::Change,
        }
    }

    /// One of wadm's own statuses (what `--until-app` can wait for).
    pub fn is_known(&self) -> bool {
        !matches!(self, AppStatus::Other(_))
    }
}

/// Where a message on a wadm subject belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WadmSubject<'a> {
    /// `[P.]wadm.status.<lattice>.<app>`: an application's status, plain JSON.
    Status { lattice: &'a str, app: &'a str },
    /// `[P.]wadm.evt.<lattice>.<name>`: a wadm CloudEvent.
    Event { lattice: &'a str },
}

/// How latwatch reads subjects: by position after `--subject-prefix`, never by searching, so a
/// prefix such as `acme.wadm` or `wasmbus.x` cannot pass for a part of the subject (wadm's status
/// messages read as host events, or the reverse). Live and stored messages always carry exactly the
/// prefix latwatch subscribed with; a capture (`--input`) is read with the one given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectReader {
    /// `--subject-prefix` with its trailing dot (`acct.`).
    prefix: Option<Arc<str>>,
}

impl SubjectReader {
    pub fn new(prefix: Option<&str>) -> SubjectReader {
        SubjectReader {
            prefix: prefix.map(|prefix| Arc::from(format!("{prefix}."))),
        }
    }

    /// The subject after the prefix; `None` for a subject outside it.
    fn unprefixed<'s>(&self, subject: &'s str) -> Option<&'s str> {
        match &self.prefix {
            Some(prefix) => subject.strip_prefix(prefix.as_ref()),
            None => Some(subject),
        }
    }

    /// Reads a subject as one of wadm's: `[P.]wadm.status.<lattice>.<app>` or
    /// `[P.]wadm.evt.<lattice>.…`. Host events (`[P.]wasmbus.evt.…`) and anything else give
    /// `None`. Nearly every message is a host event: two comparisons, no search.
    pub fn wadm<'s>(&self, subject: &'s str) -> Option<WadmSubject<'s>> {
        let rest = self.unprefixed(subject)?.strip_prefix("wadm.")?;
        if let Some(rest) = rest.strip_prefix("status.") {
            let (lattice, app) = rest.split_once('.')?;
            if lattice.is_empty() || app.is_empty() || app.contains('.') {
                return None;
            }
            return Some(WadmSubject::Status { lattice, app });
        }
        let rest = rest.strip_prefix("evt.")?;
        let (lattice, _name) = rest.split_once('.')?;
        (!lattice.is_empty()).then_some(WadmSubject::Event { lattice })
    }

    /// The lattice of a host event's subject (`[P.]wasmbus.evt.<lattice>[.<name>]`) or of one of
    /// wadm's.
    pub fn lattice<'s>(&self, subject: &'s str) -> Option<&'s str> {
        if let Some(rest) = self.unprefixed(subject)?.strip_prefix("wasmbus.evt.") {
            let lattice = rest.split_once('.').map_or(rest, |(lattice, _)| lattice);
            return (!lattice.is_empty()).then_some(lattice);
        }
        match self.wadm(subject)? {
            WadmSubject::Status { lattice, .. } | WadmSubject::Event { lattice } => Some(lattice),
        }
    }
}

/// wadm's id for something an application named `name` creates: `<app>-<name>`, with `-` turned
/// into `_` in each part (`hello-app` + `hello` → `hello_app-hello`).
pub fn wadm_id(app: &str, name: &str) -> String {
    format!("{}-{}", app.replace('-', "_"), name.replace('-', "_"))
}

/// The application part of an id wadm made (`hello_app` of `hello_app-hello`): everything before
/// the first `-`, since each part had its own `-` turned into `_`.
pub fn id_app_part(id: &str) -> Option<&str> {
    id.split_once('-')
        .map(|(app, _)| app)
        .filter(|a| !a.is_empty())
}

/// A status message: `{"status": {"type", "message"?}, "scalers": [...]?, ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// Read by [`AppStatus::parse`].
    pub status: AppStatus,
    pub message: Option<String>,
    pub scalers: Vec<Scaler>,
}

/// One scaler's part of a status message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaler {
    pub kind: String,
    pub name: String,
    pub status: AppStatus,
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    status: WireStatus,
    #[serde(default)]
    scalers: Option<Vec<WireScaler>>,
}

#[derive(Deserialize)]
struct WireStatus {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct WireScaler {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    status: WireStatus,
}

/// At most this many scalers are kept from one message (a hostile message may list millions).
const SCALERS_KEPT: usize = 64;

impl StatusMessage {
    /// Reads a status message; the error says what is missing, for the event's problem list.
    pub fn parse(payload: &[u8]) -> Result<StatusMessage, String> {
        let wire: WireMessage =
            serde_json::from_slice(payload).map_err(|e| format!("not a wadm status: {e}"))?;
        let nonempty = |m: Option<String>| m.filter(|m| !m.is_empty());
        Ok(StatusMessage {
            status: AppStatus::parse(&wire.status.ty),
            message: nonempty(wire.status.message),
            scalers: wire
                .scalers
                .unwrap_or_default()
                .into_iter()
                .take(SCALERS_KEPT)
                .map(|s| Scaler {
                    kind: s.kind,
                    name: s.name,
                    status: AppStatus::parse(&s.status.ty),
                    message: nonempty(s.status.message),
                })
                .collect(),
        })
    }

    /// The scalers that failed, each with its message: what a failure line and `--until-app`'s
    /// exit 4 show.
    pub fn failing(&self) -> Vec<(String, String)> {
        self.scalers
            .iter()
            .filter(|s| s.status == AppStatus::Failed)
            .map(|s| (s.name.clone(), s.message.clone().unwrap_or_default()))
            .collect()
    }
}

/// What a published manifest says, counted, and the ids wadm will give what it creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSummary {
    pub name: Option<String>,
    pub version: Option<String>,
    pub components: usize,
    pub providers: usize,
    pub links: usize,
    /// Component and provider ids: the manifest's own `id`, else `<app>-<name>`.
    pub ids: Vec<String>,
    /// Configs with inline properties, which wadm creates as `<app>-<config name>`.
    pub configs: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    name: Option<String>,
    annotations: HashMap<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Spec {
    components: Vec<ManifestComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ManifestComponent {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    properties: Value,
    traits: Vec<Trait>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Trait {
    #[serde(rename = "type")]
    ty: String,
    properties: Value,
}

/// At most this many ids are learned from one manifest.
const IDS_KEPT: usize = 1024;

impl ManifestSummary {
    /// Reads the manifest that is `manifest_published`'s `data`, from its `metadata` and `spec`;
    /// `None` when they are not a manifest's.
    pub fn parse_parts(metadata: Option<&str>, spec: Option<&str>) -> Option<ManifestSummary> {
        let metadata: Metadata = serde_json::from_str(metadata?).ok()?;
        let spec: Spec = match spec {
            Some(spec) => serde_json::from_str(spec).ok()?,
            None => Spec::default(),
        };
        let name = metadata.name;
        let version = metadata
            .annotations
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut summary = ManifestSummary {
            version,
            ..ManifestSummary::default()
        };
        let app = name.clone().unwrap_or_default();
        for component in &spec.components {
            match component.ty.as_str() {
                "component" => summary.components += 1,
                "capability" => summary.providers += 1,
                _ => continue,
            }
            let id = match component.properties.get("id").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => wadm_id(&app, &component.name),
            };
            summary.ids.push(id);
            summary
                .configs
                .extend(inline_configs(&app, &component.properties));
            for t in &component.traits {
                if t.ty == "link" {
                    summary.links += 1;
                    for end in ["source", "target"] {
                        if let Some(end) = t.properties.get(end) {
                            summary.configs.extend(inline_configs(&app, end));
                        }
                    }
                }
            }
        }
        summary.ids.truncate(IDS_KEPT);
        summary.configs.truncate(IDS_KEPT);
        summary.name = name;
        Some(summary)
    }
}

/// The configs under `holder.config` that carry their own properties (wadm creates those; a
/// config named without properties already exists and is not the application's).
fn inline_configs(app: &str, holder: &Value) -> Vec<String> {
    let Some(configs) = holder.get("config").and_then(Value::as_array) else {
        return Vec::new();
    };
    configs
        .iter()
        .filter(|c| c.get("properties").is_some_and(|p| !p.is_null()))
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .map(|name| wadm_id(app, name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_read_by_position_after_the_prefix() {
        let plain = SubjectReader::default();
        assert_eq!(
            plain.wadm("wadm.status.default.hello-app"),
            Some(WadmSubject::Status {
                lattice: "default",
                app: "hello-app"
            })
        );
        assert_eq!(
            plain.wadm("wadm.evt.default.manifest_published"),
            Some(WadmSubject::Event { lattice: "default" })
        );
        assert_eq!(plain.wadm("wasmbus.evt.default.component_scaled"), None);
        assert_eq!(plain.wadm("notwadm.status.default.x"), None);
        assert_eq!(plain.wadm("wadm.status.default"), None);
        assert_eq!(plain.wadm("wadm.cmd.default"), None);
        assert_eq!(
            plain.wadm("acct.wadm.status.prod.shop"),
            None,
            "a prefix not given is not searched for"
        );
        assert_eq!(plain.lattice("wasmbus.evt.prod.host_started"), Some("prod"));
        assert_eq!(plain.lattice("wasmbus.evt.prod"), Some("prod"), "--legacy");
        assert_eq!(plain.lattice("wadm.status.prod.shop"), Some("prod"));
        assert_eq!(plain.lattice("other.subject"), None);

        let acct = SubjectReader::new(Some("acct"));
        assert_eq!(
            acct.wadm("acct.wadm.status.prod.shop"),
            Some(WadmSubject::Status {
                lattice: "prod",
                app: "shop"
            })
        );
        assert_eq!(acct.wadm("wadm.status.prod.shop"), None, "another tenant's");
        assert_eq!(acct.lattice("acct.wasmbus.evt.prod.x"), Some("prod"));
        assert_eq!(acct.lattice("wasmbus.evt.prod.x"), None);

        // Prefixes that look like part of a subject.
        for prefix in ["acme.wadm", "wasmbus.x", "wadm", "wasmbus", "x.wadm.status"] {
            let reader = SubjectReader::new(Some(prefix));
            assert_eq!(
                reader.wadm(&format!("{prefix}.wadm.status.default.hello-app")),
                Some(WadmSubject::Status {
                    lattice: "default",
                    app: "hello-app"
                }),
                "{prefix}"
            );
            assert_eq!(
                reader.wadm(&format!("{prefix}.wadm.evt.default.manifest_published")),
                Some(WadmSubject::Event { lattice: "default" }),
                "{prefix}"
            );
            let host = format!("{prefix}.wasmbus.evt.default.host_started");
            assert_eq!(reader.wadm(&host), None, "{prefix}");
            assert_eq!(reader.lattice(&host), Some("default"), "{prefix}");
            assert_eq!(
                reader.lattice(&format!("{prefix}.wadm.status.b.hello-app")),
                Some("b"),
                "{prefix}"
            );
        }
    }

    #[test]
    fn ids_follow_wadm_naming() {
        assert_eq!(wadm_id("hello-app", "hello"), "hello_app-hello");
        assert_eq!(
            wadm_id("hello-app", "hello-http-address"),
            "hello_app-hello_http_address"
        );
        assert_eq!(id_app_part("hello_app-hello"), Some("hello_app"));
        assert_eq!(id_app_part("NABC"), None);
    }

    #[test]
    fn old_status_names_are_today_names() {
        assert_eq!(AppStatus::parse("Ready"), AppStatus::Deployed);
        assert_eq!(AppStatus::parse("compensating"), AppStatus::Reconciling);
        assert_eq!(AppStatus::parse("failed"), AppStatus::Failed);
        assert_eq!(AppStatus::parse(" Failed "), AppStatus::Failed);
        for name in STATUSES {
            assert_eq!(AppStatus::parse(name).as_str(), *name);
        }
        // Text latwatch does not know is kept as it came, for its escaped display.
        assert_eq!(
            AppStatus::parse("failed\u{1b}[2J").as_str(),
            "failed\u{1b}[2J"
        );
        assert_eq!(
            AppStatus::parse("Scaling Up"),
            AppStatus::Other("Scaling Up".into())
        );
    }

    #[test]
    fn a_status_message_is_read_with_its_failing_scalers() {
        let message = StatusMessage::parse(
            br#"{"status":{"type":"failed","message":"boom"},"scalers":[{"id":"1","kind":"SpreadScaler","name":"a-b","status":{"type":"failed","message":"boom"}},{"id":"2","kind":"LinkScaler","name":"l","status":{"type":"deployed"}}],"version":"","components":[]}"#,
        )
        .unwrap();
        assert_eq!(message.status, AppStatus::Failed);
        assert_eq!(message.message.as_deref(), Some("boom"));
        assert_eq!(
            message.failing(),
            vec![("a-b".to_owned(), "boom".to_owned())]
        );
        let undeployed = StatusMessage::parse(
            br#"{"status":{"type":"undeployed","message":"Manifest has been undeployed"},"version":"","components":[]}"#,
        )
        .unwrap();
        assert!(undeployed.scalers.is_empty());
        assert!(StatusMessage::parse(br#"{"status":{}}"#).is_err());
        assert!(StatusMessage::parse(b"[]").is_err());
    }

    #[test]
    fn a_manifest_is_counted_and_its_ids_named() {
        let manifest = r#"{"apiVersion":"core.oam.dev/v1beta1","kind":"Application","metadata":{"annotations":{"version":"v0.0.1"},"name":"hello-app"},"spec":{"components":[{"name":"hello","properties":{"image":"file:///x.wasm"},"traits":[{"properties":{"instances":2},"type":"spreadscaler"}],"type":"component"},{"name":"httpserver","properties":{"image":"wasmcloud+builtin://http-server","id":"my-http"},"traits":[{"properties":{"instances":1},"type":"spreadscaler"},{"properties":{"interfaces":["incoming-handler"],"namespace":"wasi","package":"http","source":{"config":[{"name":"hello-http-address","properties":{"address":"127.0.0.1:18080"}},{"name":"shared"}]},"target":{"name":"hello"}},"type":"link"}],"type":"capability"}]}}"#;
        let manifest: Value = serde_json::from_str(manifest).unwrap();
        let part = |key: &str| manifest.get(key).map(Value::to_string);
        let summary =
            ManifestSummary::parse_parts(part("metadata").as_deref(), part("spec").as_deref())
                .unwrap();
        assert_eq!(summary.name.as_deref(), Some("hello-app"));
        assert_eq!(summary.version.as_deref(), Some("v0.0.1"));
        assert_eq!(
            (summary.components, summary.providers, summary.links),
            (1, 1, 1)
        );
        assert_eq!(summary.ids, vec!["hello_app-hello", "my-http"]);
        assert_eq!(summary.configs, vec!["hello_app-hello_http_address"]);
        assert!(ManifestSummary::parse_parts(Some("[1]"), None).is_none());
        assert!(ManifestSummary::parse_parts(None, Some("{}")).is_none());
    }
}
