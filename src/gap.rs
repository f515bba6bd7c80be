//! A gap: a stretch of time in which events may have reached the lattice but not latwatch (the
//! connection was down, or latwatch had to drop what it could not hold). Sources find gaps, the
//! JetStream filler may fill them, and `-o jsonl` writes each one as a record so that a consumer
//! knows where events may be missing.

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
    /// Replayed from this stream: `events` shown that had not been.
    From { stream: String, events: u64 },
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
    recorded_filled: Option<bool>,
    #[serde(default, rename = "events")]
    recorded_events: Option<u64>,
}

fn disconnected() -> GapReason {
    GapReason::Disconnected
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
        }
    }

    /// How long it lasted, in seconds (one decimal in messages).
    pub fn seconds(&self) -> f64 {
        (self.to - self.from).num_milliseconds().max(0) as f64 / 1000.0
    }

    /// The `-o jsonl` record: `{"gap":{"from","to","reason","lost"?,"filled","events"?}}`.
    pub fn record(&self) -> String {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut record = format!(
            r#"{{"gap":{{"from":"{}","to":"{}","reason":"{}""#,
            time(self.from),
            time(self.to),
            self.reason.as_str()
        );
        if let Some(lost) = self.lost {
            record.push_str(&format!(r#","lost":{lost}"#));
        }
        let (filled, events) = match &self.filled {
            Some(Filled::From { events, .. }) => (true, Some(*events)),
            Some(Filled::No(_)) => (false, None),
            None => (self.recorded_filled.unwrap_or(false), self.recorded_events),
        };
        record.push_str(&format!(r#","filled":{filled}"#));
        if let Some(events) = events {
            record.push_str(&format!(r#","events":{events}"#));
        }
        record.push_str("}}");
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let mut gap = Gap::new(
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(4100),
            GapReason::Dropped,
        );
        gap.lost = Some(37);
        gap.filled = Some(Filled::From {
            stream: "wasmbus_events".into(),
            events: 37,
        });
        let record = gap.record();
        assert_eq!(
            record,
            r#"{"gap":{"from":"1970-01-01T00:00:00.000000Z","to":"1970-01-01T00:00:04.100000Z","reason":"dropped","lost":37,"filled":true,"events":37}}"#
        );
        #[derive(Deserialize)]
        struct Record {
            gap: Gap,
        }
        let back: Record = serde_json::from_str(&record).unwrap();
        assert_eq!(back.gap.record(), record);
        assert_eq!(back.gap.seconds(), 4.1);
        let old: Record = serde_json::from_str(
            r#"{"gap":{"from":"1970-01-01T00:00:00Z","to":"1970-01-01T00:00:01Z"}}"#,
        )
        .unwrap();
        assert_eq!(old.gap.reason, GapReason::Disconnected);
    }
}
