//! The machine formats: `-o json` (the payload bytes as they came) and `-o jsonl` (a record with
//! subject and receive time around the event).
//!
//! Nothing here re-serializes a valid event: key order, number spelling and duplicate keys reach the
//! consumer untouched. The one change ever made is for a payload that spans lines: its whitespace
//! outside strings is removed ([`write_compact`]) so that one event stays one line.

use std::io::{self, Write};

use crate::event::kind::KindId;
use crate::event::{Event, Problems};
use crate::state::apps::{AppChange, AppFacts};
use crate::state::lattice::{Change, Facts};

/// Writes the payload verbatim on one line. The caller has checked it is JSON.
pub fn write_json(event: &Event, facts: &Facts, out: &mut impl Write) -> io::Result<()> {
    if event.kind.known().is_some_and(KindId::is_v2) {
        return write_v2_json(event, facts, out);
    }
    write_compact(event.raw.payload, out)?;
    out.write_all(b"\n")
}

/// A wasmCloud 2 message has no CloudEvents envelope; `--json` gives it one shaped like it, so
/// one jq program reads both generations: `{"type":"v2_host_heartbeat","source":<host id>,
/// "subject":…,"time":<received>,"data":<the message, compact>}`; a workload request or answer
/// (`--workloads`) adds `"workload":{…}`, what latwatch made of it (`workload_json`). A request's
/// data is redacted.
fn write_v2_json(event: &Event, facts: &Facts, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\"type\":")?;
    serde_json::to_writer(&mut *out, event.kind.name())?;
    out.write_all(b",\"source\":")?;
    // An answer comes on the asker's inbox: its source is the host the request named.
    let source = event
        .host_id()
        .or_else(|| facts.workload.as_ref().map(|w| w.host.as_str().into()));
    serde_json::to_writer(&mut *out, &source)?;
    if let Some(workload) = &facts.workload {
        out.write_all(b",\"workload\":")?;
        serde_json::to_writer(&mut *out, &workload_json(workload))?;
    }
    out.write_all(b",\"subject\":")?;
    serde_json::to_writer(&mut *out, &event.raw.subject)?;
    out.write_all(b",\"time\":")?;
    serde_json::to_writer(&mut *out, &event.raw.received.to_string())?;
    out.write_all(b",\"data\":")?;
    write_compact(event.raw.payload, out)?;
    out.write_all(b"}\n")
}

/// Writes `{"subject":…,"received":…,"event":…}` (`"filled":true` after `"received"` for an event a
/// gap's fill supplied from a stream); adds `"error"` when the event is not a valid
/// CloudEvent, and carries a payload that is not JSON as `"payload"` (its text) instead, or as
/// `"payload_base64"` when it is not UTF-8, so that `--input` gives back the very bytes.
/// What latwatch learned goes in one extra field, `"latwatch": {"host_name", "changes"}`, each
/// change an object ([`change_json`]).
pub fn write_jsonl(event: &Event, facts: &Facts, out: &mut impl Write) -> io::Result<()> {
    // A status with a problem is written as any flagged event (with its `error`), its
    // application under `latwatch`.
    if let (Some(KindId::AppStatus), Some(app), true) =
        (event.kind.known(), &facts.app, event.problems.is_empty())
    {
        return write_app_status(event, app, out);
    }
    out.write_all(b"{\"subject\":")?;
    serde_json::to_writer(&mut *out, &event.raw.subject)?;
    out.write_all(b",\"received\":")?;
    serde_json::to_writer(&mut *out, &event.raw.received.to_string())?;
    if event.raw.received.filled() {
        out.write_all(b",\"filled\":true")?;
    }
    // A v2 request's reply subject: it pairs the answer when the record is read again.
    if let Some(reply) = event.raw.reply {
        out.write_all(b",\"reply\":")?;
        serde_json::to_writer(&mut *out, reply)?;
    }
    if event.is_unreadable() {
        out.write_all(b",\"error\":")?;
        serde_json::to_writer(&mut *out, &Problems(&event.problems).to_string())?;
        match std::str::from_utf8(event.raw.payload) {
            Ok(text) => {
                out.write_all(b",\"payload\":")?;
                serde_json::to_writer(&mut *out, text)?;
            }
            Err(_) => {
                use base64::Engine as _;
                out.write_all(b",\"payload_base64\":\"")?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(event.raw.payload);
                out.write_all(encoded.as_bytes())?;
                out.write_all(b"\"")?;
            }
        }
    } else {
        out.write_all(b",\"event\":")?;
        write_compact(event.raw.payload, out)?;
        if !event.problems.is_empty() {
            out.write_all(b",\"error\":")?;
            serde_json::to_writer(&mut *out, &Problems(&event.problems).to_string())?;
        }
    }
    if facts.host_name.is_some()
        || !facts.changes.is_empty()
        || facts.app.is_some()
        || facts.workload.is_some()
    {
        // Written field by field: most events of a deployed lattice carry their application
        // here, and building a `serde_json::Value` for each doubled `-o jsonl`'s cost.
        out.write_all(b",\"latwatch\":{\"changes\":")?;
        if facts.changes.is_empty() {
            out.write_all(b"[]")?;
        } else {
            let changes: Vec<serde_json::Value> = facts.changes.iter().map(change_json).collect();
            serde_json::to_writer(&mut *out, &changes)?;
        }
        out.write_all(b",\"host_name\":")?;
        serde_json::to_writer(&mut *out, &facts.host_name)?;
        if let Some(workload) = &facts.workload {
            out.write_all(b",\"workload\":")?;
            serde_json::to_writer(&mut *out, &workload_json(workload))?;
        }
        if let Some(app) = &facts.app {
            out.write_all(b",\"app\":")?;
            serde_json::to_writer(&mut *out, app.name.as_ref())?;
            if let Some(change) = &app.change {
                out.write_all(b",\"app_change\":")?;
                serde_json::to_writer(&mut *out, &app_change_json(change))?;
            }
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"}\n")
}

/// `{"subject", "received", "app_status": {"app", "lattice", "status", "message", "version",
/// "failing", "change", "wadm"}}`: a wadm status message, with the application and lattice named
/// and its version (wadm's own `version` field is always empty); `change` is what pretty output
/// words (`null` for a repeat), `wadm` the message as wadm sent it (what `--input` reads back).
fn write_app_status(event: &Event, app: &AppFacts, out: &mut impl Write) -> io::Result<()> {
    let now = app.status.as_ref();
    let failing: Vec<serde_json::Value> = now
        .map(|s| s.failing.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|(scaler, message)| serde_json::json!({"scaler": scaler, "message": message}))
        .collect();
    let status = serde_json::json!({
        "app": app.name.as_ref(),
        "lattice": app.lattice.as_ref(),
        "status": now.map(|s| &s.status),
        "message": now.and_then(|s| s.message.as_deref()),
        "version": app.version,
        "failing": failing,
        "change": app.change.as_ref().map(app_change_json),
    });
    out.write_all(b"{\"subject\":")?;
    serde_json::to_writer(&mut *out, &event.raw.subject)?;
    out.write_all(b",\"received\":")?;
    serde_json::to_writer(&mut *out, &event.raw.received.to_string())?;
    out.write_all(b",\"app_status\":")?;
    let object = serde_json::to_string(&status)?;
    // The object without its closing brace, then the verbatim message.
    out.write_all(&object.as_bytes()[..object.len() - 1])?;
    out.write_all(b",\"wadm\":")?;
    write_compact(event.raw.payload, out)?;
    out.write_all(b"}}\n")
}

/// What changed for an application, as `-o jsonl` writes it: `{"change": "status", "from",
/// "to", "retry", "failing_seconds", "text"}`, `{"change": "published", "version", "components",
/// "providers", "links", "text"}`, `{"change": "unpublished", "version", "deleted", "text"}`.
pub fn app_change_json(change: &AppChange) -> serde_json::Value {
    use serde_json::json;
    let mut object = match change {
        AppChange::Published {
            version,
            components,
            providers,
            links,
            ..
        } => json!({"change": "published", "version": version, "components": components,
                    "providers": providers, "links": links}),
        AppChange::Unpublished { version, again, .. } => {
            json!({"change": "unpublished", "version": version, "deleted": again})
        }
        AppChange::Status {
            from,
            to,
            retry,
            failing_for,
            ..
        } => json!({"change": "status", "from": from, "to": to, "retry": retry,
                    "failing_seconds": failing_for.map(|d| d.num_seconds())}),
    };
    object["text"] = serde_json::Value::String(change.to_string());
    object
}

/// A change as `-o jsonl` writes it: `{"change": <what>, …its fields, "text": <the wording pretty
/// output uses>}`, e.g. `{"change":"rescaled","component":"hello-http","from":4,"to":8,
/// "text":"hello-http 4→8"}`. docs/output.md documents every shape.
pub fn change_json(change: &Change) -> serde_json::Value {
    use serde_json::json;
    let health = |healthy: bool| if healthy { "healthy" } else { "unhealthy" };
    let mut object = match change {
        Change::Inventory {
            components,
            instances,
            providers,
            ids,
        } => json!({"change": "inventory", "components": components, "instances": instances,
                    "providers": providers, "ids": ids}),
        Change::ComponentAdded { id, max } => {
            json!({"change": "component_added", "component": id, "max_instances": max})
        }
        Change::ComponentRemoved { id } => json!({"change": "component_removed", "component": id}),
        Change::Rescaled { id, from, to } => {
            json!({"change": "rescaled", "component": id, "from": from, "to": to})
        }
        Change::ImageChanged { id, from, to } => {
            json!({"change": "image", "component": id, "from": from, "to": to})
        }
        Change::ProviderAdded { id } => json!({"change": "provider_added", "provider": id}),
        Change::ProviderRemoved { id } => json!({"change": "provider_removed", "provider": id}),
        Change::Label { key, from, to } => {
            json!({"change": "label", "key": key, "from": from, "to": to})
        }
        Change::Version { from, to } => json!({"change": "version", "from": from, "to": to}),
        Change::Health { provider, from, to } => json!({"change": "health", "provider": provider,
                    "from": from.map(health), "to": health(*to)}),
        Change::Back { silent_for } => {
            json!({"change": "back", "silent_seconds": silent_for.num_seconds()})
        }
        Change::V2Appeared {
            joined,
            hostname,
            hostgroup,
            environment,
            version,
            http_port,
            up,
            workloads,
            components,
        } => json!({"change": if *joined { "joined" } else { "seen" }, "hostname": hostname,
                    "hostgroup": hostgroup, "environment": environment, "version": version,
                    "http_port": http_port, "up_seconds": up.map(|u| u.num_seconds()),
                    "workloads": workloads, "components": components}),
        Change::V2Counts {
            workloads,
            components,
        } => json!({"change": "counts", "workloads": {"from": workloads.0, "to": workloads.1},
                    "components": {"from": components.0, "to": components.1}}),
        Change::Restarted { was } => json!({"change": "restarted", "was": was}),
    };
    object["text"] = serde_json::Value::String(change.to_string());
    object
}

/// Writes valid JSON with the whitespace between tokens removed when it contains a line break, and
/// untouched otherwise (the common case: hosts publish compact JSON).
pub fn write_compact(json: &[u8], out: &mut impl Write) -> io::Result<()> {
    let trimmed = json.trim_ascii();
    if memchr::memchr2(b'\n', b'\r', trimmed).is_none() {
        return out.write_all(trimmed);
    }
    let mut compact = Vec::with_capacity(trimmed.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in trimmed {
        if in_string {
            compact.push(byte);
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            in_string = byte == b'"';
            compact.push(byte);
        }
    }
    out.write_all(&compact)
}

/// What latwatch made of a wasmCloud 2 request or answer: `{"id", "namespace", "name", "host",
/// "change", "state", "message", "images", "took_ms", "failed_starts", "text"}` (absent values
/// left out; `text` is the pretty line's words).
pub fn workload_json(workload: &crate::state::workloads::WorkloadFacts) -> serde_json::Value {
    use crate::state::workloads::WorkloadChange as C;
    let mut object = serde_json::json!({
        "id": workload.id,
        "namespace": workload.namespace,
        "name": workload.name,
        "host": workload.host,
    });
    let (change, took, images) = match &workload.change {
        C::Asked { asks, images } => {
            object["asks"] = asks.as_str().into();
            ("asked", None, Some(images))
        }
        C::Started { images, took } => ("started", Some(took), Some(images)),
        C::Failed {
            images,
            took,
            failing,
            ..
        } => {
            if let Some((count, over)) = failing {
                object["failed_starts"] = (*count).into();
                object["failing_for_s"] = over.num_seconds().into();
            }
            ("failed", Some(took), Some(images))
        }
        C::Stopped { .. } => ("stopped", None, None),
        C::State { from, .. } => {
            if let Some(from) = from {
                object["from"] = from.as_str().into();
            }
            ("state", None, None)
        }
        C::Same { .. } => ("same", None, None),
        C::HostAnswered => ("host_answered", None, None),
        C::Unanswered { waited } => ("unanswered", Some(waited), None),
    };
    object["change"] = change.into();
    if let Some(state) = workload.change.state() {
        object["state"] = state.as_str().into();
    }
    if let Some(message) = workload.change.message() {
        object["message"] = message.into();
    }
    if let Some(images) = images.filter(|i| !i.is_empty()) {
        object["images"] = images.clone().into();
    }
    if let Some(took) = took {
        object["took_ms"] = took.num_milliseconds().into();
    }
    object["text"] = workload.to_string().into();
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(json: &str) -> String {
        let mut out = Vec::new();
        write_compact(json.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn changes_are_objects_with_their_wording() {
        let change = Change::Rescaled {
            id: "hello-http".into(),
            from: 4,
            to: 8,
        };
        assert_eq!(
            change_json(&change).to_string(),
            r#"{"change":"rescaled","component":"hello-http","from":4,"text":"hello-http 4→8","to":8}"#
        );
        let health = Change::Health {
            provider: "http".into(),
            from: None,
            to: false,
        };
        assert_eq!(change_json(&health)["from"], serde_json::Value::Null);
        assert_eq!(change_json(&health)["to"], "unhealthy");
    }

    #[test]
    fn one_line_payloads_are_untouched() {
        assert_eq!(
            compact(r#"{"a": 1,  "b":"x  y"}"#),
            r#"{"a": 1,  "b":"x  y"}"#
        );
    }

    #[test]
    fn multi_line_payloads_lose_whitespace_outside_strings_only() {
        assert_eq!(
            compact("{\n  \"a\": \"x \\\" \\n y\",\r\n  \"b\": [1, 2.50]\n}\n"),
            r#"{"a":"x \" \n y","b":[1,2.50]}"#
        );
    }

    #[test]
    fn escaped_backslash_before_quote_closes_the_string() {
        assert_eq!(
            compact("{\"a\": \"x\\\\\",\n \"b\": 1}"),
            r#"{"a":"x\\","b":1}"#
        );
    }
}
