//! Redaction of `workload.start` bodies, which carry secrets in plain text.
//!
//! A `WorkloadStartRequest` carries the registry credentials (`imagePullSecret {username,
//! password}`) of the service and of each component, and `localResources.config` /
//! `localResources.environment` maps whose values the operator may materialise from Kubernetes
//! Secrets; `witWorld.hostInterfaces[].config` is materialised from ConfigMaps and Secrets too.
//! None of that may reach a terminal, a log or a recording.
//!
//! # The rule
//! The body is parsed as JSON and walked **whole** (every depth, every array element). Under any
//! object key that names a secret-bearing field, every scalar leaf (string, number, boolean) is
//! replaced by the string [`REDACTED`], at any depth below it; object keys, arrays and `null`s
//! are kept, so the shape stays readable (`"environment":{"DB_PASSWORD":"<redacted>"}`).
//! Secret-bearing keys, compared ASCII-case-insensitively and ignoring `_` and `-` (so
//! `imagePullSecret`, `image_pull_secret`, `ImagePullSecret` all match):
//!
//! * `imagePullSecret`: both `username` and `password` (and anything else in it);
//! * `config`: `localResources.config`, `hostInterfaces[].config`, and any other `config`;
//! * `environment`: `localResources.environment`, and any other `environment`.
//!
//! Matching these keys anywhere, not only at their proto positions, is deliberate: it is the
//! simplest rule with no hole (a misplaced or future `config` is covered too). It may over-redact
//! (an annotation named `config`), which is the safe direction. Annotations, names, images,
//! volumes, limits and pull policies are kept as they are.
//!
//! # The contract
//! * [`Redacted::Unchanged`]: the body holds nothing to hide **and** no duplicated key; the
//!   caller may show the original bytes.
//! * [`Redacted::Changed`]: show these bytes instead: compact JSON re-serialised by serde_json.
//!   serde_json's `preserve_order` feature is off in this crate, so object keys come out sorted,
//!   not in their original order (semantics are unchanged; never compare bytes anyway). A body
//!   with a duplicated key is always re-serialised (with the last value of each key, as
//!   serde_json and jq read it) so a secret hidden in an earlier duplicate cannot slip through.
//! * [`Redacted::Unreadable`]: not JSON (invalid UTF-8, truncated, trailing garbage, nested
//!   deeper than serde_json's limit of 128). The caller must **drop the payload entirely**
//!   (show that there was one, not what it was): a body we cannot read is a body we cannot clean.
//!
//! Hostile input (up to the 8 MiB a NATS server allows, or more) cannot panic or overflow the
//! stack: serde_json bounds parsing depth at 128, and the walk is iterative.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What every secret value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// The outcome of [`redact_start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redacted {
    /// Nothing to hide: the original bytes are safe to show.
    Unchanged,
    /// Show these bytes instead of the original (compact JSON, keys sorted).
    Changed(Vec<u8>),
    /// Not readable as JSON: drop the payload entirely, never show it.
    Unreadable,
}

/// Redacts the secrets of a `workload.start` body (the module documentation has the exact rule
/// and the contract). Works on any JSON, whatever its shape.
pub fn redact_start(payload: &[u8]) -> Redacted {
    let Ok(mut value) = serde_json::from_slice::<Value>(payload) else {
        return Redacted::Unreadable;
    };
    let walk = redact_value(&mut value);
    if !walk.changed && count_entries(payload) == Some(walk.entries) {
        return Redacted::Unchanged;
    }
    match serde_json::to_vec(&value) {
        Ok(bytes) => Redacted::Changed(bytes),
        Err(_) => Redacted::Unreadable,
    }
}

/// Redacts a host's answer (or any request to a host) by the same rule as [`redact_start`],
/// except that a top-level `environment` **string** is kept: in a heartbeat (and the answer to a
/// `heartbeat` request) it is the host's tenant label, not a secret. Anything else under a
/// secret-bearing key is redacted, so an answer that echoes a start's spec hides its secrets too.
pub fn redact_answer(payload: &[u8]) -> Redacted {
    let Ok(mut value) = serde_json::from_slice::<Value>(payload) else {
        return Redacted::Unreadable;
    };
    let label = match &mut value {
        Value::Object(map) => match map.get("environment") {
            Some(Value::String(_)) => map.remove("environment"),
            _ => None,
        },
        _ => None,
    };
    let walk = redact_value(&mut value);
    let kept = usize::from(label.is_some());
    if let (Some(label), Value::Object(map)) = (label, &mut value) {
        map.insert("environment".to_owned(), label);
    }
    if !walk.changed && count_entries(payload) == Some(walk.entries + kept) {
        return Redacted::Unchanged;
    }
    match serde_json::to_vec(&value) {
        Ok(bytes) => Redacted::Changed(bytes),
        Err(_) => Redacted::Unreadable,
    }
}

/// What a walk did: whether it replaced anything, and how many object entries it saw.
struct Walk {
    changed: bool,
    entries: usize,
}

/// Replaces the secret leaves of `root` in place, iteratively (no recursion).
fn redact_value(root: &mut Value) -> Walk {
    let mut walk = Walk {
        changed: false,
        entries: 0,
    };
    // (value, whether it sits under a secret-bearing key)
    let mut stack: Vec<(&mut Value, bool)> = vec![(root, false)];
    while let Some((value, secret)) = stack.pop() {
        match value {
            Value::Object(map) => {
                walk.entries += map.len();
                for (key, child) in map.iter_mut() {
                    stack.push((child, secret || is_secret_key(key)));
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut().map(|item| (item, secret))),
            Value::Null => {}
            Value::String(s) if s.as_str() == REDACTED => {}
            leaf => {
                if secret {
                    *leaf = Value::String(REDACTED.to_owned());
                    walk.changed = true;
                }
            }
        }
    }
    walk
}

/// Whether an object key names a secret-bearing field: `imagePullSecret`, `config` or
/// `environment`, ASCII-case-insensitively, ignoring `_` and `-`.
fn is_secret_key(key: &str) -> bool {
    ["imagepullsecret", "config", "environment"]
        .iter()
        .any(|name| loose_eq(key, name))
}

/// `key` equals the lowercase `name` once `_` and `-` are dropped and ASCII case is folded.
fn loose_eq(key: &str, name: &str) -> bool {
    let mut key = key
        .bytes()
        .filter(|b| *b != b'_' && *b != b'-')
        .map(|b| b.to_ascii_lowercase());
    name.bytes().all(|n| key.next() == Some(n)) && key.next().is_none()
}

/// The number of object entries in the raw JSON, duplicates included (`None` if it does not
/// parse). Equal to the parsed value's count exactly when no key was duplicated.
fn count_entries(payload: &[u8]) -> Option<usize> {
    let mut count = 0;
    let mut de = serde_json::Deserializer::from_slice(payload);
    Counter(&mut count).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(count)
}

/// Counts object entries while skipping everything else (depth bounded by serde_json).
struct Counter<'a>(&'a mut usize);

impl<'de> DeserializeSeed<'de> for Counter<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Counter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            *self.0 += 1;
            map.next_value_seed(Counter(&mut *self.0))?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Counter(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(payload: &[u8]) -> String {
        match redact_start(payload) {
            Redacted::Changed(bytes) => String::from_utf8(bytes).unwrap(),
            other => panic!("expected Changed, got {other:?}"),
        }
    }

    #[test]
    fn secret_keys_match_loosely() {
        for key in [
            "imagePullSecret",
            "image_pull_secret",
            "ImagePullSecret",
            "image-pull-secret",
            "config",
            "CONFIG",
            "environment",
            "Environment",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "configs",
            "conf",
            "imagePullPolicy",
            "environments",
            "",
            "env",
            "localResources",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn nothing_secret_is_unchanged() {
        assert_eq!(redact_start(b"{}"), Redacted::Unchanged);
        assert_eq!(redact_start(br#"[1,"a",null]"#), Redacted::Unchanged);
        assert_eq!(
            redact_start(br#"{"workloadId":"x","workload":{"name":"n"}}"#),
            Redacted::Unchanged
        );
        // Present but empty, or already redacted: nothing to hide.
        assert_eq!(
            redact_start(
                br#"{"config":{},"environment":null,"imagePullSecret":{"password":"<redacted>"}}"#
            ),
            Redacted::Unchanged
        );
    }

    #[test]
    fn leaves_of_every_type_and_depth_are_redacted() {
        let out = changed(
            br#"{"a":[{"b":{"imagePullSecret":{"username":"robot","password":"pw","extra":[1,true,{"x":"y"}]}}}],
                 "hostInterfaces":[{"namespace":"wasi","config":{"url":"nats://u:p@h"}}],
                 "imagePullSecret":"flat-string"}"#,
        );
        for secret in ["robot", "\"pw\"", "true", "\"y\"", "nats://", "flat-string"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains(r#""username":"<redacted>""#), "{out}");
        assert!(
            out.contains(r#""extra":["<redacted>","<redacted>",{"x":"<redacted>"}]"#),
            "{out}"
        );
        assert!(out.contains(r#""namespace":"wasi""#), "{out}");
    }

    #[test]
    fn duplicate_keys_are_never_passed_through() {
        // The earlier `a` hides a secret the parsed value no longer shows.
        let out = changed(br#"{"a":{"config":{"k":"hidden-SECRET"}},"a":1}"#);
        assert_eq!(out, r#"{"a":1}"#);
        let out = changed(br#"{"config":{"k":"SECRET"},"config":null}"#);
        assert_eq!(out, r#"{"config":null}"#);
    }

    #[test]
    fn unreadable_input() {
        for bad in [
            &b""[..],
            b"not json",
            b"{\"a\":",
            b"{} trailing",
            b"{\"a\":\"\xff\xfe\"}",
            b"\"\\ud800\"",
            b"{\"n\":1e999}",
        ] {
            assert_eq!(redact_start(bad), Redacted::Unreadable, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod answer_tests {
    use super::*;

    #[test]
    fn an_answer_keeps_its_tenant_label_and_loses_secrets() {
        let beat = br#"{"id":"h","environment":"tenant-b","labels":{"hostgroup":"edge"}}"#;
        assert_eq!(redact_answer(beat), Redacted::Unchanged);
        let echoed = br#"{"workloadStatus":{"workloadId":"w"},"workload":{"service":{"imagePullSecret":{"password":"P"}}},"environment":"t"}"#;
        let Redacted::Changed(bytes) = redact_answer(echoed) else {
            panic!("not redacted");
        };
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains("\"P\"") && text.contains("\"environment\":\"t\""),
            "{text}"
        );
        let nested_env = br#"{"environment":{"DB_PASSWORD":"S"}}"#;
        let Redacted::Changed(bytes) = redact_answer(nested_env) else {
            panic!("an environment map is not a label");
        };
        assert!(!String::from_utf8(bytes).unwrap().contains("\"S\""));
        assert_eq!(redact_answer(b"{\"a\""), Redacted::Unreadable);
    }
}
