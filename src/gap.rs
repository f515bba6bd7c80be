//! A gap: a stretch of time in which events may have reached the lattice but not latwatch (the
//! connection was down, or latwatch had to drop what it could not hold). Sources find gaps, the
//! JetStream filler may fill them, and `-o jsonl` writes each one as a record, before the events
//! that fill it, so that a consumer knows where events may be missing.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Why events may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The connection to the server was down (or the server stopped delivering).
    Disconnected,
    /// latwatch received them but dropped them: output was slower than the lattice and the
    /// buffer was full (or, rarely, the client library's own queue overflowed).
    Dropped,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Disconnected => "disconnected",
            GapReason::Dropped => "dropped",
        }
    }
}

/// What filling a gap from a stream did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filled {
    /// Not tried (`--input`, `--no-fill`) or not possible; the reason is for stderr.
    No(String),
    /// Read from this stream: `events` it supplied that latwatch had not received or shown
    /// (not those the live subscription delivered anyway); `missing`, when the stream no longer
    /// held the gap's start.
    From {
        stream: String,
        events: u64,
        missing: Option<Missing>,
    },
}

/// The part of a gap the stream no longer held (it keeps a limited age or count, or was purged):
/// events from then are lost for good.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Missing {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// How many could not be recovered, when that is known (drops are counted; a disconnect's
    /// losses are not).
    #[serde(default)]
    pub events: Option<u64>,
    /// Why, for stderr (not recorded).
    #[serde(skip)]
    pub why: String,
}

/// `"filled"` in a gap record: `true`, `false` or `"partial"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum FilledValue {
    Flag(bool),
    Word(Partial),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Partial {
    Partial,
}

impl FilledValue {
    fn as_str(self) -> &'static str {
        match self {
            FilledValue::Flag(true) => "true",
            FilledValue::Flag(false) => "false",
            FilledValue::Word(Partial::Partial) => "\"partial\"",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Gap {
    /// The last moment latwatch knew events were reaching it.
    pub from: DateTime<Utc>,
    /// When they flowed again.
    pub to: DateTime<Utc>,
    #[serde(default = "disconnected")]
    pub reason: GapReason,
    /// Messages known to be lost (drops are counted; a disconnect's losses are unknown).
    #[serde(default)]
    pub lost: Option<u64>,
    /// Whether the gap was filled from a stream. Read back from a record, it stays as recorded.
    #[serde(skip)]
    pub filled: Option<Filled>,
    #[serde(default, rename = "filled")]
    recorded_filled: Option<FilledValue>,
    #[serde(default, rename = "events")]
    recorded_events: Option<u64>,
    #[serde(default, rename = "missing")]
    recorded_missing: Option<Missing>,
}

fn disconnected() -> GapReason {
    GapReason::Disconnected
}

/// A time as gap records write it.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Gap {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, reason: GapReason) -> Gap {
        Gap {
            from: from.min(to),
            to,
            reason,
            lost: None,
            filled: None,
            recorded_filled: None,
            recorded_events: None,
            recorded_missing: None,
        }
    }

    /// How long it lasted, in seconds (one decimal in messages).
    /// What the gap is, in words (stderr, `top`'s events pane).
    pub fn words(&self) -> String {
        match (self.reason, self.lost) {
            (GapReason::Dropped, Some(lost)) => {
                format!("{lost} events dropped over {:.1}s", self.seconds())
            }
            _ => format!("gap of {:.1}s", self.seconds()),
        }
    }

    pub fn seconds(&self) -> f64 {
        (self.to - self.from).num_milliseconds().max(0) as f64 / 1000.0
    }

    /// A fill found the stream no longer held the gap's start, but it held a later part of it
    /// (or supplied some of its events).
    pub fn partly_filled(&self) -> bool {
        match &self.filled {
            Some(Filled::From {
                missing: Some(missing),
                events,
                ..
            }) => *events > 0 || missing.to < self.to,
            _ => false,
        }
    }

    /// What the fill made of it: `true` when the stream held the whole gap, `"partial"` when it
    /// held only its later part, `false` when nothing was filled.
    fn filled_value(&self) -> FilledValue {
        match &self.filled {
            Some(Filled::From { missing: None, .. }) => FilledValue::Flag(true),
            Some(_) if self.partly_filled() => FilledValue::Word(Partial::Partial),
            Some(_) => FilledValue::Flag(false),
            None => self.recorded_filled.unwrap_or(FilledValue::Flag(false)),
        }
    }

    /// The `-o jsonl` record:
    /// `{"gap":{"from","to","reason","lost"?,"filled","events"?,"missing"?:{"from","to","events"?}}}`.
    pub fn record(&self) -> String {
        let mut record = format!(
            r#"{{"gap":{{"from":"{}","to":"{}","reason":"{}""#,
            rfc3339(self.from),
            rfc3339(self.to),
            self.reason.as_str()
        );
        if let Some(lost) = self.lost {
            record.push_str(&format!(r#","lost":{lost}"#));
        }
        let (events, missing) = match &self.filled {
            Some(Filled::From {
                events, missing, ..
            }) => (Some(*events), missing.as_ref()),
            Some(Filled::No(_)) => (None, None),
            None => (self.recorded_events, self.recorded_missing.as_ref()),
        };
        record.push_str(&format!(r#","filled":{}"#, self.filled_value().as_str()));
        if let Some(events) = events {
            record.push_str(&format!(r#","events":{events}"#));
        }
        if let Some(missing) = missing {
            record.push_str(&format!(
                r#","missing":{{"from":"{}","to":"{}""#,
                rfc3339(missing.from),
                rfc3339(missing.to)
            ));
            if let Some(events) = missing.events {
                record.push_str(&format!(r#","events":{events}"#));
            }
            record.push('}');
        }
        record.push_str("}}");
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Record {
        gap: Gap,
    }

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(ms)
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let mut gap = Gap::new(at(0), at(4100), GapReason::Dropped);
        gap.lost = Some(37);
        gap.filled = Some(Filled::From {
            stream: "wasmbus_events".into(),
            events: 37,
            missing: None,
        });
        let record = gap.record();
        assert_eq!(
            record,
            r#"{"gap":{"from":"1970-01-01T00:00:00.000000Z","to":"1970-01-01T00:00:04.100000Z","reason":"dropped","lost":37,"filled":true,"events":37}}"#
        );
        let back: Record = serde_json::from_str(&record).unwrap();
        assert_eq!(back.gap.record(), record);
        assert_eq!(back.gap.seconds(), 4.1);
        let old: Record = serde_json::from_str(
            r#"{"gap":{"from":"1970-01-01T00:00:00Z","to":"1970-01-01T00:00:01Z"}}"#,
        )
        .unwrap();
        assert_eq!(old.gap.reason, GapReason::Disconnected);
    }

    #[test]
    fn what_the_stream_no_longer_held_is_recorded() {
        let mut gap = Gap::new(at(0), at(10_000), GapReason::Dropped);
        gap.lost = Some(50);
        let missing = Missing {
            from: at(0),
            to: at(6_000),
            events: Some(30),
            why: "it keeps 4s".into(),
        };
        gap.filled = Some(Filled::From {
            stream: "s".into(),
            events: 20,
            missing: Some(missing.clone()),
        });
        let record = gap.record();
        assert_eq!(
            record,
            r#"{"gap":{"from":"1970-01-01T00:00:00.000000Z","to":"1970-01-01T00:00:10.000000Z","reason":"dropped","lost":50,"filled":"partial","events":20,"missing":{"from":"1970-01-01T00:00:00.000000Z","to":"1970-01-01T00:00:06.000000Z","events":30}}}"#
        );
        let back: Record = serde_json::from_str(&record).unwrap();
        assert_eq!(back.gap.record(), record);

        // Nothing of the gap held and nothing supplied: not filled at all.
        let mut gone = Gap::new(at(0), at(10_000), GapReason::Disconnected);
        gone.filled = Some(Filled::From {
            stream: "s".into(),
            events: 0,
            missing: Some(Missing {
                to: at(10_000),
                events: None,
                ..missing
            }),
        });
        let record = gone.record();
        assert!(
            record.contains(r#""filled":false,"events":0,"missing":{"#),
            "{record}"
        );
        let back: Record = serde_json::from_str(&record).unwrap();
        assert_eq!(back.gap.record(), record);
    }
}
