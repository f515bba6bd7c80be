//! Shared protojson field decoders and the payload-free error reasons.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::error::Category;

/// Our own error messages. Only these (and serde's `duplicate field `name``) are passed through
/// in a reason: every other data error may quote the payload (`invalid type: string "…"`).
const E_UINT: &str = "expected an unsigned integer";
const E_RANGE: &str = "integer out of range";
const E_FLOAT: &str = "expected a number";
const E_TIME: &str = "expected an RFC 3339 time";
const OWN: [&str; 4] = [E_UINT, E_RANGE, E_FLOAT, E_TIME];

/// A short reason for a decoding error, with its position, and never any payload text.
pub(crate) fn reason(e: &serde_json::Error) -> String {
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Eof => format!("truncated JSON ({at})"),
        Category::Io => "unreadable input".to_owned(),
        Category::Syntax => {
            // serde_json's syntax messages are fixed texts; only the depth one is worth naming.
            if e.to_string().starts_with("recursion limit exceeded") {
                format!("JSON nested too deeply ({at})")
            } else {
                format!("not valid JSON ({at})")
            }
        }
        Category::Data => {
            let msg = e.to_string();
            if let Some(own) = OWN.iter().find(|m| msg.starts_with(**m)) {
                format!("{own} ({at})")
            } else if let Some(field) = msg
                .strip_prefix("duplicate field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(field, _)| field)
            {
                // The name comes from our own struct definitions, not from the payload.
                format!("duplicate field `{field}` ({at})")
            } else {
                format!("unexpected value type ({at})")
            }
        }
    }
}

/// Decodes a payload whose top level must be a JSON object, with a payload-free error reason.
pub(crate) fn from_object<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, String> {
    match payload
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        None => return Err("empty payload".to_owned()),
        Some(b'{') => {}
        Some(_) => return Err("not a JSON object".to_owned()),
    }
    serde_json::from_slice(payload).map_err(|e| reason(&e))
}

/// A protojson string: `null` is the empty string.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A protojson string where empty (or absent, or `null`) means `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// An unsigned integer given as a decimal string (protojson's 64-bit form) or a JSON number;
/// `null` is `None`.
struct UintVisitor;

impl<'de> Visitor<'de> for UintVisitor {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(E_UINT)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v).map(Some).map_err(|_| E::custom(E_RANGE))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // protojson accepts an integral float (`2.0`, `1e3`) for an integer field.
        if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            Ok(Some(v as u64))
        } else {
            Err(E::custom(E_RANGE))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(E_UINT));
        }
        v.parse::<u64>().map(Some).map_err(|_| E::custom(E_RANGE))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A 64-bit unsigned integer, zero when `null`.
pub(crate) fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(d.deserialize_any(UintVisitor)?.unwrap_or(0))
}

/// A 64-bit unsigned integer, `None` when `null` (or absent, with `#[serde(default)]`).
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(UintVisitor)
}

/// A 32-bit unsigned integer (a number, or a string as protojson allows), `None` when `null` or
/// zero (protojson omits a zero, so zero and absent are the same message).
pub(crate) fn opt_nonzero_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match d.deserialize_any(UintVisitor)? {
        None | Some(0) => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom(E_RANGE)),
    }
}

/// A float: a JSON number, or a string (`"NaN"`, `"Infinity"`, `"-Infinity"` or a decimal) as
/// protojson allows; `None` when `null`.
struct FloatVisitor;

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(E_FLOAT)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "NaN" => Ok(Some(f64::NAN)),
            "Infinity" => Ok(Some(f64::INFINITY)),
            "-Infinity" => Ok(Some(f64::NEG_INFINITY)),
            _ if v
                .bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
            {
                v.parse::<f64>().map(Some).map_err(|_| E::custom(E_FLOAT))
            }
            _ => Err(E::custom(E_FLOAT)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A float, `None` when `null` (or absent, with `#[serde(default)]`).
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(FloatVisitor)
}

/// A `google.protobuf.Timestamp`: RFC 3339 (`2026-12-02T09:14:28.246832502+00:00` or `…Z`);
/// `None` when empty or `null`.
struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(E_TIME)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| E::custom(E_TIME))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An RFC 3339 time, `None` when empty, `null` (or absent, with `#[serde(default)]`).
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    d.deserialize_any(TimeVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, Default)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "u64_or_zero")]
        n: u64,
        #[serde(deserialize_with = "opt_u64")]
        o: Option<u64>,
        #[serde(deserialize_with = "opt_nonzero_u32")]
        p: Option<u32>,
        #[serde(deserialize_with = "opt_f64")]
        f: Option<f64>,
        #[serde(deserialize_with = "opt_time")]
        t: Option<DateTime<Utc>>,
        #[serde(deserialize_with = "string")]
        s: String,
    }

    fn probe(json: &str) -> Result<Probe, String> {
        from_object(json.as_bytes())
    }

    #[test]
    fn integers_as_strings_or_numbers() {
        let p = probe(r#"{"n":"2","o":3,"p":"14411","f":"NaN","s":null}"#).unwrap();
        assert_eq!((p.n, p.o, p.p), (2, Some(3), Some(14411)));
        assert!(p.f.unwrap().is_nan());
        assert_eq!(p.s, "");
        let p = probe(r#"{"n":null,"o":null,"p":0,"f":null,"t":null}"#).unwrap();
        assert_eq!((p.n, p.o, p.p, p.f, p.t), (0, None, None, None, None));
        let p = probe(r#"{"n":2.0,"o":1e3,"f":"99.5"}"#).unwrap();
        assert_eq!((p.n, p.o, p.f), (2, Some(1000), Some(99.5)));
        assert_eq!(
            probe(r#"{"n":"18446744073709551615"}"#).unwrap().n,
            u64::MAX
        );
    }

    #[test]
    fn bad_numbers_are_errors_without_payload_text() {
        for (json, want) in [
            (r#"{"n":"18446744073709551616"}"#, E_RANGE),
            (r#"{"n":"99999999999999999999999999999"}"#, E_RANGE),
            (r#"{"n":-1}"#, E_RANGE),
            (r#"{"n":1.5}"#, E_RANGE),
            (r#"{"n":"-1"}"#, E_UINT),
            (r#"{"n":"12abc-SECRET"}"#, E_UINT),
            (r#"{"n":""}"#, E_UINT),
            (r#"{"p":"4294967296"}"#, E_RANGE),
            (r#"{"f":"fast-SECRET"}"#, E_FLOAT),
            (r#"{"t":"yesterday-SECRET"}"#, E_TIME),
            (r#"{"n":"1e3"}"#, E_UINT),
        ] {
            let err = probe(json).unwrap_err();
            assert!(err.starts_with(want), "{json}: {err}");
            assert!(!err.contains("SECRET"), "{err}");
        }
        // serde's own type errors quote the value: reduced to a generic reason.
        let err = probe(r#"{"s":{"a":"x"},"n":"1"}"#).unwrap_err();
        assert!(err.starts_with("unexpected value type"), "{err}");
        let err = probe(r#"{"s":["hunter2-SECRET"]}"#).unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let err = probe(r#"{"s":"a","s":"b"}"#).unwrap_err();
        assert!(err.starts_with("duplicate field `s`"), "{err}");
    }

    #[test]
    fn top_level_must_be_an_object() {
        assert_eq!(probe("").unwrap_err(), "empty payload");
        assert_eq!(probe(" \n ").unwrap_err(), "empty payload");
        assert_eq!(probe(r#"["a"]"#).unwrap_err(), "not a JSON object");
        assert_eq!(probe(r#""x""#).unwrap_err(), "not a JSON object");
        assert!(probe("{").unwrap_err().starts_with("truncated JSON"));
        assert!(probe("{} x").unwrap_err().starts_with("not valid JSON"));
        assert!(probe("  {}\n").is_ok());
    }
}
