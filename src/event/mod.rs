//! Decode: raw message bytes → [`Event`], a borrowed view over them.
//!
//! Lenient and lossless. The payload bytes are kept untouched (`--json` prints them as they came);
//! the CloudEvent envelope is read with a hand-written map visitor over `Cow<str>` keys and
//! `&RawValue` values, so nothing is copied, unknown attributes (extensions) cost nothing, a
//! duplicated key keeps its last value (as jq does) and an attribute of the wrong JSON type is a
//! verdict, not a failure. `data` is read in the same pass when the pipeline knows a stage will
//! look into it ([`decode_with_data`]: pretty output, lattice memory, id filters), else only when
//! a stage asks ([`Event::data`]), so `--json` never pays for it.
//!
//! A payload that is not UTF-8, not JSON, not an object or not a CloudEvent 1.0 still becomes an
//! `Event`: its [`Problem`]s travel with it and every renderer shows them. Decoding never fails.

pub mod kind;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

pub use kind::{Kind, Severity, TYPE_PREFIX};

/// One message as it arrived, before decoding: borrowed from the source's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawMessage<'a> {
    /// The NATS subject; `None` for a bare payload read from a file (no subject was recorded).
    pub subject: Option<&'a str>,
    pub payload: &'a [u8],
    pub received: Received<'a>,
    /// The subject a reply goes to: only a wasmCloud 2 request to a host keeps it (it pairs the
    /// host's answer with the question, `state::workloads`); `None` for everything else.
    pub reply: Option<&'a str>,
}

/// When latwatch received a message.
#[derive(Debug, Clone, Copy)]
pub enum Received<'a> {
    /// Just now: the message is being handled as it arrives. The clock is read only by a renderer
    /// that shows the time (`-o jsonl`), microseconds later, so `--json` never pays for it.
    Now,
    /// Arrived live at this time (stamped once per batch by the NATS intake).
    Live(DateTime<Utc>),
    /// Replayed: stored or received at this time.
    At(DateTime<Utc>),
    /// Supplied by a gap's fill from a stream, which stored it at this time (`-o jsonl` marks
    /// it `"filled": true`).
    Filled(DateTime<Utc>),
    /// The `received` of a replayed `-o jsonl` record, kept as written.
    Recorded(&'a str),
    /// The same, of a record marked `"filled": true`.
    RecordedFilled(&'a str),
}

impl Received<'_> {
    /// The time, when it is one latwatch knows as a time.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Received::Now => Some(Utc::now()),
            Received::Live(at) | Received::At(at) | Received::Filled(at) => Some(*at),
            Received::Recorded(text) | Received::RecordedFilled(text) => {
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// Supplied by a gap's fill (now, or in the recording read back).
    pub fn filled(&self) -> bool {
        matches!(self, Received::Filled(_) | Received::RecordedFilled(_))
    }
}

impl fmt::Display for Received<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Received::Recorded(text) | Received::RecordedFilled(text) => f.write_str(text),
            other => match other.at() {
                Some(at) => f.write_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
                None => Ok(()),
            },
        }
    }
}

/// A decoded event: the raw message plus what could be read from it.
#[derive(Debug)]
pub struct Event<'a> {
    pub raw: RawMessage<'a>,
    /// The CloudEvent attributes, when the payload is a JSON object.
    pub envelope: Option<Envelope<'a>>,
    pub kind: Kind<'a>,
    /// Everything that makes this payload less than a valid CloudEvent 1.0; empty when it is one.
    pub problems: Vec<Problem>,
    /// `data`'s top level, read the first time a stage asks ([`Event::data`]), then shared.
    data: OnceCell<Option<Data<'a>>>,
}

/// Why a payload is not (quite) a CloudEvent 1.0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not UTF-8; the first bad byte is at this offset.
    NotUtf8 { valid_up_to: usize },
    /// The bytes are not JSON; serde_json's message says where.
    NotJson(String),
    /// JSON, but not an object (an array, a string, …).
    NotObject(&'static str),
    /// Required CloudEvents attributes that are absent.
    Missing(Vec<&'static str>),
    /// A required attribute that is not a string.
    NotAString(&'static str),
    /// A `specversion` other than `1.0`.
    SpecVersion(String),
    /// `data` is present but not a JSON object (every lattice event carries an object).
    DataNotObject(&'static str),
    /// An input line longer than latwatch reads whole; only its start was kept.
    TooLong { bytes: u64, limit: u64 },
    /// A message on a wadm (or wasmCloud 2) subject that is not what is published there.
    NotWadm(String),
}

impl Problem {
    /// True when the payload cannot be shown as JSON at all.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Problem::NotUtf8 { .. } | Problem::NotJson(_) | Problem::TooLong { .. }
        )
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotUtf8 { valid_up_to } => {
                write!(f, "not UTF-8 (invalid byte at offset {valid_up_to})")
            }
            Problem::NotJson(why) => write!(f, "not JSON ({why})"),
            Problem::NotObject(what) => write!(f, "not a CloudEvent: the payload is {what}"),
            Problem::Missing(names) => {
                write!(f, "not a CloudEvent: missing {}", names.join(", "))
            }
            Problem::NotAString(name) => write!(f, "not a CloudEvent: `{name}` is not a string"),
            Problem::SpecVersion(found) => {
                write!(f, "specversion {found} (latwatch reads CloudEvents 1.0)")
            }
            Problem::DataNotObject(what) => write!(f, "data is {what}, expected an object"),
            Problem::NotWadm(why) => write!(f, "{why}"),
            Problem::TooLong { bytes, limit } => write!(
                f,
                "a line of {bytes} bytes, longer than the {} MiB latwatch reads whole; only its \
                 start is kept",
                limit >> 20
            ),
        }
    }
}

/// Joins problems for one line of output.
pub struct Problems<'p>(pub &'p [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// The CloudEvent attributes latwatch reads. Every one is optional here; [`decode`] judges.
#[derive(Debug, Default)]
pub struct Envelope<'a> {
    pub specversion: Option<&'a RawValue>,
    pub id: Option<&'a RawValue>,
    pub ty: Option<&'a RawValue>,
    pub source: Option<&'a RawValue>,
    pub time: Option<&'a RawValue>,
    data: Option<DataField<'a>>,
}

/// `data` as the envelope pass left it.
#[derive(Debug)]
enum DataField<'a> {
    /// Skipped over, to be read if a stage asks.
    Raw(&'a RawValue),
    /// Read in the envelope pass (an object).
    Object(Data<'a>),
    /// Read in the envelope pass: not an object; what it is, for the message.
    Other(&'static str),
}

impl<'a> Envelope<'a> {
    pub fn id(&self) -> Option<Cow<'a, str>> {
        self.id.and_then(json_str)
    }
    pub fn source(&self) -> Option<Cow<'a, str>> {
        self.source.and_then(json_str)
    }
    pub fn time(&self) -> Option<Cow<'a, str>> {
        self.time.and_then(json_str)
    }

    /// The top level of a skipped `data` as key/value pairs, when it is an object.
    fn data(&self) -> Option<Data<'a>> {
        match self.data.as_ref()? {
            DataField::Raw(raw) => serde_json::from_str::<Data<'a>>(raw.get()).ok(),
            DataField::Object(_) | DataField::Other(_) => None,
        }
    }
}

/// The text of a JSON string, borrowed when it has no escapes; `None` for any other JSON value.
pub fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        // A RawValue is valid JSON, so a quoted run without backslashes is the string itself.
        Some(Cow::Borrowed(inner))
    }
}

/// What kind of JSON value a raw value is, for messages ("an array").
pub fn json_kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The top-level keys of an event's `data` object, in payload order, values left raw.
#[derive(Debug, Default)]
pub struct Data<'a> {
    pairs: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Data<'a> {
    /// The value of `key`; the last one when a key repeats (as jq reads it).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }

    /// The string value of `key`, if it is a string.
    pub fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        self.get(key).and_then(json_str)
    }

    /// The keys, in payload order (for kinds latwatch does not know).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_ref())
    }
}

/// A JSON object key, borrowed when it has no escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Data<'de>, M::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            pairs.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(Data { pairs })
    }
}

impl<'de> Deserialize<'de> for Data<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DataVisitor)
    }
}

/// Reads an [`Envelope`]; with `data_too`, `data`'s top level in the same pass.
struct EnvelopeSeed {
    data_too: bool,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Envelope<'de>, D::Error> {
        struct EnvelopeVisitor {
            data_too: bool,
        }
        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Envelope<'de>, M::Error> {
                let mut envelope = Envelope::default();
                while let Some(Key(key)) = map.next_key()? {
                    let slot = match key.as_ref() {
                        "specversion" => &mut envelope.specversion,
                        "id" => &mut envelope.id,
                        "type" => &mut envelope.ty,
                        "source" => &mut envelope.source,
                        "time" => &mut envelope.time,
                        "data" if self.data_too => {
                            envelope.data = Some(map.next_value_seed(DataSeed)?);
                            continue;
                        }
                        "data" => {
                            envelope.data = Some(DataField::Raw(map.next_value()?));
                            continue;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value::<&RawValue>()?);
                }
                Ok(envelope)
            }
        }
        let data_too = self.data_too;
        deserializer.deserialize_map(EnvelopeVisitor { data_too })
    }
}

/// Reads `data` in the envelope pass: an object's top level, or what else it is.
struct DataSeed;

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = DataField<'de>;
    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<DataField<'de>, D::Error> {
        struct DataFieldVisitor;
        impl<'de> Visitor<'de> for DataFieldVisitor {
            type Value = DataField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<DataField<'de>, M::Error> {
                DataVisitor.visit_map(map).map(DataField::Object)
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<DataField<'de>, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DataField::Other("an array"))
            }
            fn visit_str<E>(self, _: &str) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("null"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<DataField<'de>, E> {
                Ok(DataField::Other("a number"))
            }
        }
        deserializer.deserialize_any(DataFieldVisitor)
    }
}

/// Decodes one message. Never fails: whatever is wrong becomes a [`Problem`] on the event.
pub fn decode(raw: RawMessage<'_>) -> Event<'_> {
    decode_with(raw, false)
}

/// [`decode`], reading `data`'s top level in the same pass: for a pipeline that will look into
/// every event's `data` anyway (one pass over the payload instead of two).
pub fn decode_with_data(raw: RawMessage<'_>) -> Event<'_> {
    decode_with(raw, true)
}

fn decode_with(raw: RawMessage<'_>, data_too: bool) -> Event<'_> {
    let text = match std::str::from_utf8(raw.payload) {
        Ok(text) => text,
        Err(err) => {
            return unreadable(
                raw,
                Problem::NotUtf8 {
                    valid_up_to: err.valid_up_to(),
                },
            )
        }
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let envelope = EnvelopeSeed { data_too }
        .deserialize(&mut deserializer)
        .and_then(|envelope| deserializer.end().map(|()| envelope));
    let mut envelope = match envelope {
        Ok(envelope) => envelope,
        Err(err) => {
            // Tell "valid JSON, wrong shape" from "not JSON" so the user sees the real reason.
            let problem = match serde_json::from_str::<&RawValue>(text) {
                Ok(value) => Problem::NotObject(json_kind(value)),
                Err(_) => Problem::NotJson(err.to_string()),
            };
            return unreadable(raw, problem);
        }
    };

    let mut problems = Vec::new();
    let mut missing = Vec::new();
    for (name, value) in [
        ("specversion", envelope.specversion),
        ("id", envelope.id),
        ("type", envelope.ty),
        ("source", envelope.source),
    ] {
        match value {
            None => missing.push(name),
            Some(value) if json_str(value).is_none() => problems.push(Problem::NotAString(name)),
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        problems.insert(0, Problem::Missing(missing));
    }
    if let Some(version) = envelope.specversion.and_then(json_str) {
        if version != "1.0" {
            problems.push(Problem::SpecVersion(version.into_owned()));
        }
    }
    let data = OnceCell::new();
    match envelope.data.take() {
        Some(DataField::Raw(raw)) if !raw.get().starts_with('{') => {
            problems.push(Problem::DataNotObject(json_kind(raw)));
            envelope.data = Some(DataField::Raw(raw));
        }
        Some(DataField::Other(what)) => {
            problems.push(Problem::DataNotObject(what));
            let _ = data.set(None);
        }
        Some(DataField::Object(object)) => {
            let _ = data.set(Some(object));
        }
        field => envelope.data = field,
    }

    let kind = kind_of(envelope.ty.and_then(json_str), raw.subject);
    Event {
        raw,
        envelope: Some(envelope),
        kind,
        problems,
        data,
    }
}

/// Decodes a message on a wadm status subject (`wadm.status.<lattice>.<app>`): plain JSON, no
/// CloudEvent envelope. Its kind is `app_status`; `data()` is the message's top level (`status`,
/// `scalers`, …); application memory reads the rest. Never fails, as [`decode`].
pub fn decode_app_status(raw: RawMessage<'_>) -> Event<'_> {
    decode_plain(raw, kind::KindId::AppStatus, "a wadm status")
}

/// A wasmCloud 2 host's heartbeat (`runtime.operator.heartbeat.<host-id>`): protojson, no
/// envelope; the subject says what it is. Lattice memory reads its fields (`crate::v2`).
pub fn decode_v2_heartbeat(raw: RawMessage<'_>) -> Event<'_> {
    let mut event = decode_plain(
        raw,
        kind::KindId::V2HostHeartbeat,
        "a wasmCloud 2 heartbeat",
    );
    // An object with a field of the wrong type (a count that is text, a start time that is no
    // time) is shown flagged; memory still hears its host (`Lattice::v2_heartbeat`).
    if event.problems.is_empty() {
        if let Err(why) = crate::v2::parse_heartbeat(event.raw.payload) {
            event.problems.push(Problem::NotWadm(format!(
                "not a wasmCloud 2 heartbeat: {why}"
            )));
        }
    }
    event
}

/// A wasmCloud 2 request or reply (`--workloads`), of the kind workload memory says it is (a
/// reply's kind depends on the request it answers).
pub fn decode_v2_message(raw: RawMessage<'_>, id: kind::KindId) -> Event<'_> {
    decode_plain(raw, id, "a wasmCloud 2 message")
}

/// A JSON object without a CloudEvents envelope, of the kind its subject says (`what` names it
/// in a problem).
fn decode_plain<'a>(raw: RawMessage<'a>, id: kind::KindId, what: &str) -> Event<'a> {
    let kind = Kind::of(id);
    let text = match std::str::from_utf8(raw.payload) {
        Ok(text) => text,
        Err(err) => {
            let problem = Problem::NotUtf8 {
                valid_up_to: err.valid_up_to(),
            };
            return Event {
                kind,
                ..unreadable(raw, problem)
            };
        }
    };
    match serde_json::from_str::<Data>(text) {
        Ok(data) => Event {
            raw,
            envelope: None,
            kind,
            problems: Vec::new(),
            data: OnceCell::from(Some(data)),
        },
        Err(err) => {
            let problem = match serde_json::from_str::<&RawValue>(text) {
                Ok(value) => {
                    Problem::NotWadm(format!("not {what}: the payload is {}", json_kind(value)))
                }
                Err(_) => Problem::NotJson(err.to_string()),
            };
            Event {
                kind,
                ..unreadable(raw, problem)
            }
        }
    }
}

/// An event for a message latwatch could not take whole: `raw` holds its start, `problem` says why.
pub fn cut_short(raw: RawMessage<'_>, problem: Problem) -> Event<'_> {
    unreadable(raw, problem)
}

fn unreadable(raw: RawMessage<'_>, problem: Problem) -> Event<'_> {
    Event {
        kind: kind_of(None, raw.subject),
        raw,
        envelope: None,
        problems: vec![problem],
        data: OnceCell::new(),
    }
}

/// The event's kind: from `type` without the wasmCloud prefix, else from the subject's last token.
fn kind_of<'a>(ty: Option<Cow<'a, str>>, subject: Option<&'a str>) -> Kind<'a> {
    match ty {
        Some(Cow::Borrowed(ty)) => Kind::from_type(ty),
        // A type written with JSON escapes: look the unescaped name up; keep an unknown one generic.
        Some(Cow::Owned(ty)) => match Kind::from_type(&ty) {
            Kind::Known(spec) => Kind::Known(spec),
            _ => Kind::Escaped,
        },
        None => Kind::from_name(subject.and_then(subject_event_name).unwrap_or("")),
    }
}

/// The event name in a `wasmbus.evt.<lattice>.<name>` subject (any prefix before `wasmbus.evt.`).
pub fn subject_event_name(subject: &str) -> Option<&str> {
    let (_lattice, name) = after_evt(subject)?.split_once('.')?;
    Some(name)
}

/// The lattice in a `wasmbus.evt.<lattice>[.<name>]` subject.
pub fn subject_lattice(subject: &str) -> Option<&str> {
    let rest = after_evt(subject)?;
    Some(rest.split_once('.').map_or(rest, |(lattice, _)| lattice))
}

fn after_evt(subject: &str) -> Option<&str> {
    // No prefix (nearly always): a comparison, not a search.
    if let Some(rest) = subject.strip_prefix("wasmbus.evt.") {
        return Some(rest);
    }
    let start = subject.find("wasmbus.evt.")? + "wasmbus.evt.".len();
    Some(&subject[start..])
}

impl<'a> Event<'a> {
    /// `data`'s top-level keys and raw values, when `data` is an object; parsed once, on first use,
    /// so an event no stage looks into costs nothing here.
    pub fn data(&self) -> Option<&Data<'a>> {
        self.data
            .get_or_init(|| self.envelope.as_ref().and_then(Envelope::data))
            .as_ref()
    }

    /// The host as cheaply as it can be had: `host_id` when `data` has been read already, else the
    /// envelope `source` (the publishing host, which real hosts set to the same key). For
    /// bookkeeping on every event (`--summary`, memory of non-host events), where parsing `data`
    /// just for this would double the cost of `--json`.
    pub fn publisher_or_host(&self) -> Option<Cow<'a, str>> {
        if self.data.get().is_some() {
            self.host_id()
        } else {
            self.envelope.as_ref().and_then(Envelope::source)
        }
    }

    /// The host the event is about: `data.host_id`, else the envelope `source`.
    pub fn host_id(&self) -> Option<Cow<'a, str>> {
        if self.kind.known() == Some(kind::KindId::V2HostHeartbeat) {
            let id = self.data().and_then(|d| d.str("id"));
            return id.filter(|id| !id.is_empty()).or_else(|| {
                let subject = self.raw.subject?;
                let id = subject.strip_prefix(crate::v2::HEARTBEAT_PREFIX)?;
                Some(Cow::Borrowed(id))
            });
        }
        self.data()
            .and_then(|d| d.str("host_id"))
            .or_else(|| self.envelope.as_ref().and_then(Envelope::source))
    }

    /// True when the payload cannot be shown as JSON (not UTF-8 or not JSON).
    /// The event's own `time`, when it has one that parses (RFC 3339, 0–9 fractional digits).
    pub fn time(&self) -> Option<DateTime<Utc>> {
        let text = self.envelope.as_ref()?.time()?;
        DateTime::parse_from_rfc3339(&text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// When it happened, as latwatch shows and judges it: its own time, else when it was received.
    pub fn happened_at(&self) -> Option<DateTime<Utc>> {
        self.time().or_else(|| self.raw.received.at())
    }

    pub fn is_unreadable(&self) -> bool {
        self.problems.iter().any(Problem::is_fatal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(payload: &[u8]) -> RawMessage<'_> {
        RawMessage {
            subject: Some("wasmbus.evt.default.component_scaled"),
            payload,
            received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
            reply: None,
        }
    }

    const SCALED: &str = r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.component_scaled","source":"NBXJ","time":"2026-11-20T14:03:14.411Z","data":{"host_id":"NH","component_id":"hello","max_instances":4}}"#;

    #[test]
    fn a_valid_event_has_no_problems() {
        let event = decode(raw(SCALED.as_bytes()));
        assert!(event.problems.is_empty(), "{:?}", event.problems);
        assert_eq!(event.kind.name(), "component_scaled");
        let data = event.data().unwrap();
        assert_eq!(data.str("component_id").as_deref(), Some("hello"));
        assert_eq!(event.host_id().as_deref(), Some("NH"));
    }

    #[test]
    fn host_falls_back_to_source() {
        let event = decode(raw(
            br#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.host_started","source":"NSRC","data":{"friendly_name":"x"}}"#,
        ));
        assert_eq!(event.host_id().as_deref(), Some("NSRC"));
    }

    #[test]
    fn escaped_strings_decode() {
        let event = decode(raw(
            br#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.config_set","source":"N\u0041","data":{"config_name":"a\"b"}}"#,
        ));
        let envelope = event.envelope.as_ref().unwrap();
        assert_eq!(envelope.source().as_deref(), Some("NA"));
        assert_eq!(
            event.data().unwrap().str("config_name").as_deref(),
            Some("a\"b")
        );
    }

    #[test]
    fn not_utf8_is_flagged() {
        let event = decode(raw(b"{\"a\":\"\xff\"}"));
        assert_eq!(event.problems, vec![Problem::NotUtf8 { valid_up_to: 6 }]);
        assert!(event.is_unreadable());
    }

    #[test]
    fn not_json_is_flagged() {
        let event = decode(raw(b"hello"));
        assert!(matches!(event.problems[0], Problem::NotJson(_)));
        assert_eq!(
            event.kind.name(),
            "component_scaled",
            "kind from the subject"
        );
    }

    #[test]
    fn arrays_and_scalars_are_not_objects() {
        assert_eq!(
            decode(raw(b"[1,2]")).problems,
            vec![Problem::NotObject("an array")]
        );
        assert_eq!(
            decode(raw(b"\"x\"")).problems,
            vec![Problem::NotObject("a string")]
        );
    }

    #[test]
    fn missing_attributes_and_wrong_version_are_flagged() {
        let event = decode(raw(br#"{"specversion":"0.3","type":7}"#));
        assert_eq!(
            event.problems,
            vec![
                Problem::Missing(vec!["id", "source"]),
                Problem::NotAString("type"),
                Problem::SpecVersion("0.3".into()),
            ]
        );
        assert!(!event.is_unreadable());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let event = decode(raw(
            br#"{"specversion":"1.0","id":"1","source":"N","type":"a","type":"com.wasmcloud.lattice.config_set","data":{"k":1,"k":2}}"#,
        ));
        assert_eq!(event.kind.name(), "config_set");
        assert_eq!(event.data().unwrap().get("k").unwrap().get(), "2");
    }

    #[test]
    fn extensions_of_every_type_are_ignored() {
        let event = decode(raw(
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","x1":1.5,"x2":{"a":[1]},"x3":null,"x4":true}"#,
        ));
        assert!(event.problems.is_empty());
        assert_eq!(event.kind.name(), "t");
    }

    #[test]
    fn data_that_is_not_an_object_is_flagged() {
        let event = decode(raw(
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":[1]}"#,
        ));
        assert_eq!(event.problems, vec![Problem::DataNotObject("an array")]);
    }

    #[test]
    fn reading_data_in_the_envelope_pass_gives_the_same_event() {
        let payloads: [&[u8]; 8] = [
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":{"a":"x","b":[1,{"c":2}],"a":"y"}}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":[1,[2]]}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":"text"}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":null}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":-1.5}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":true}"#,
            br#"{"specversion":"1.0","id":"1","source":"N","type":"t","data":{"a":1}} x"#,
            br#"{"data":{"host_id":"N\u0041"},"type":"t"}"#,
        ];
        for payload in payloads {
            let lazy = decode(raw(payload));
            let eager = decode_with_data(raw(payload));
            let text = String::from_utf8_lossy(payload);
            assert_eq!(lazy.problems, eager.problems, "{text}");
            assert_eq!(lazy.host_id(), eager.host_id(), "{text}");
            let keys = |e: &Event| {
                e.data()
                    .map(|d| d.keys().map(str::to_owned).collect::<Vec<_>>())
            };
            assert_eq!(keys(&lazy), keys(&eager), "{text}");
            let a = |e: &Event| {
                e.data()
                    .and_then(|d| d.get("a"))
                    .map(|v| v.get().to_owned())
            };
            assert_eq!(a(&lazy), a(&eager), "{text}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!(
            r#"{{"specversion":"1.0","id":"1","source":"N","type":"t","data":{{"x":{}{}}}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        // The attributes are read and the deep value skipped without recursing into it.
        let event = decode(raw(deep.as_bytes()));
        assert!(event.problems.is_empty(), "{:?}", event.problems);
        assert_eq!(event.kind.name(), "t");
        let keys: Vec<String> = event
            .data()
            .map(|d| d.keys().map(str::to_owned).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["x"]);
    }

    #[test]
    fn kind_comes_from_the_subject_when_type_is_missing() {
        assert_eq!(
            subject_event_name("wasmbus.evt.default.host_started"),
            Some("host_started")
        );
        assert_eq!(
            subject_event_name("acct.wasmbus.evt.prod.config_set"),
            Some("config_set")
        );
        assert_eq!(subject_event_name("wasmbus.evt.default"), None);
        assert_eq!(
            subject_lattice("wasmbus.evt.prod.host_started"),
            Some("prod")
        );
        assert_eq!(subject_lattice("acct.wasmbus.evt.prod"), Some("prod"));
        assert_eq!(subject_lattice("other.subject"), None);
    }
}
