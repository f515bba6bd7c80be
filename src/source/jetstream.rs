//! JetStream for gaps: a reconnect or dropped events are filled from the stream that stores the
//! lattice's events (`fill`), and the streams a replay (`super::replay`) or a fill reads are found
//! here: `--stream NAME`, else the one that stores the lattice's subjects (wadm creates
//! `wasmbus_events` on `wasmbus.evt.*.>`, 70 s of history).
//!
//! Fills run on the second connection: JetStream's flow-control and status messages, and stored
//! events of other lattices in the same stream, would otherwise look like messages the live
//! subscription lost.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{anyhow, Result};
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::context::GetStreamByNameErrorKind;
use async_nats::jetstream::{self, stream::Stream as JsStream};
use async_nats::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::dedupe;
use crate::event::{RawMessage, Received};
use crate::gap::{Filled, Gap, GapReason, Missing};
use crate::pipeline::{Flow, Pipeline};

/// A fill that receives nothing for this long is over, whatever the server promised.
const STALL: Duration = Duration::from_secs(5);

/// Before the gap's start, a fill reads back this far: stored times are the server's clock, the
/// gap's are latwatch's. Where the gap begins is found by content (the last message queued
/// before it, or the first one latwatch dropped), so the margin only has to cover the clocks.
const FILL_MARGIN: chrono::Duration = chrono::Duration::seconds(5);

/// Where a gap lies among the stored messages, as latwatch knows it.
pub struct Ends {
    /// The payload of the last message queued before the gap: the gap begins after it.
    pub after: Option<Bytes>,
    /// For latwatch's own drops: the first and the last message it dropped. It received every
    /// one of them, so `--record` holds them already.
    pub dropped: Option<(Bytes, Bytes)>,
    /// When latwatch began listening: nothing stored before then was missed.
    pub listening: DateTime<Utc>,
}

/// A stored message the fill looked at: where, when, and what ([`dedupe::key`]).
struct Stored {
    seq: u64,
    at: DateTime<Utc>,
    key: u64,
}

/// Fills `gap` from the stream `stream` (else the one that stores `subjects`).
///
/// First it finds the gap among the stored messages: it begins after `ends.after` (or at the
/// first dropped message), and ends before the first message the live subscription delivered
/// after the gap (`live`: their keys, asked for once the stream's end for this fill is fixed) or
/// after the last dropped message. Then it checks that the stream still holds the gap's start;
/// if not, [`Missing`] says which window is gone. Only then is the gap told (`tell`: stderr and
/// the `-o jsonl` record, so the record comes before the events that fill it), and the stored
/// messages in between are read once more and handed to the pipeline, marked filled and recorded
/// unless latwatch dropped them itself (`--record` holds those). Two reads keep memory flat however
/// long the gap; the second checks the first read's start is still there.
///
/// `Err(why)` when the stream could not be read at all: the caller says so.
#[allow(clippy::too_many_arguments)]
pub async fn fill(
    client: Client,
    subjects: &[String],
    stream: Option<&str>,
    gap: &mut Gap,
    ends: &Ends,
    live: impl std::future::Future<Output = HashSet<u64>>,
    pipeline: &mut Pipeline,
    tell: &mut dyn FnMut(&Gap, &mut Pipeline) -> std::io::Result<()>,
) -> std::io::Result<std::result::Result<Flow, String>> {
    let js = jetstream::new(client);
    let mut stream = match locate(&js, subjects, stream).await {
        Ok(stream) => stream,
        Err(NoStream::Named(name, err) | NoStream::Unreadable(name, err)) => {
            return Ok(Err(format!("cannot read stream {name} ({err})")))
        }
        Err(NoStream::NoJetStream(err)) => {
            return Ok(Err(format!("no JetStream on the server to ask ({err})")))
        }
        Err(NoStream::NoneStores) => {
            return Ok(Err(format!("no stream holds {}", subjects.join(", "))))
        }
    };
    // `--stream` naming a copy (a stream that sources or mirrors another, with no subjects of
    // its own) lags the stream it copies: right after an outage it may not hold the outage's
    // events yet. A fill reads the stream that stores the subjects, when there is one.
    if stream.cached_info().config.subjects.is_empty() {
        if let Ok(direct) = locate(&js, subjects, None).await {
            stream = direct;
        }
    }
    let info = stream.cached_info();
    let name = info.config.name.clone();
    let state = info.state.clone();
    let max_age = info.config.max_age;
    let filter_subject = match subjects {
        [one] => one.clone(),
        _ => String::new(),
    };
    let anchored = ends.after.is_some() || ends.dropped.is_some();
    let scan_from = match anchored {
        true => gap.from - FILL_MARGIN,
        false => (gap.from - FILL_MARGIN).max(ends.listening),
    };
    let scanner = match stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter_subject.clone(),
            deliver_policy: DeliverPolicy::ByStartTime {
                start_time: scan_from,
            },
            ..Default::default()
        })
        .await
    {
        Ok(consumer) => consumer,
        Err(err) => return Ok(Err(format!("cannot read stream {name} ({err})"))),
    };
    // The consumer reads what the stream held when it was made; what the live subscription
    // delivered of that is known once it has caught up.
    let live = live.await;
    let scanner_name = scanner.cached_info().name.clone();
    let (stored, found, end) = locate_gap(scanner, subjects, gap, ends, &live).await;
    let _ = stream.delete_consumer(&scanner_name).await;

    let held = Held {
        name: &name,
        state: &state,
        max_age,
        scan_from,
        anchored,
    };
    let (mut planned, mut missing) = held.plan(gap, stored, found, end, pipeline);
    let window_to = |oldest: DateTime<Utc>| oldest.clamp(gap.from, gap.to.max(gap.from));
    // The recording holds what latwatch dropped itself.
    let record = ends.dropped.is_none();

    let (reader, first) = match planned.first() {
        None => (None, None),
        Some(next) => match open_reader(&stream, filter_subject, next.seq).await {
            Ok((reader, messages, message)) => (Some(reader), Some((messages, message))),
            Err(err) => return Ok(Err(format!("cannot read stream {name} ({err})"))),
        },
    };
    if let Some((_, message)) = &first {
        // The start may have aged out since the first read.
        let seq = message.info().map_or(0, |info| info.stream_sequence);
        let gone = planned.partition_point(|s| s.seq < seq);
        if gone > 0 {
            let oldest = message.info().map_or(gap.to, |info| info.published);
            planned.drain(..gone);
            let to = window_to(oldest).max(missing.as_ref().map_or(gap.from, |m| m.to));
            missing = Some(Missing {
                from: gap.from,
                to,
                events: None,
                why: held.why(gap),
            });
        }
    }
    if let Some(missing) = &mut missing {
        missing.events = lost_for_good(gap, planned.len());
    }
    gap.filled = Some(Filled::From {
        stream: name.clone(),
        events: planned.len() as u64,
        missing,
    });
    tell(gap, pipeline)?;

    let mut flow = Flow::Continue;
    if let Some((messages, message)) = first {
        flow = supply(messages, message, &planned, record, pipeline).await?;
    }
    if let Some(consumer_name) = &reader {
        let _ = stream.delete_consumer(consumer_name).await;
    }
    pipeline.expect_again(planned.iter().map(|s| s.key));
    Ok(Ok(flow))
}

/// What the stream held when a fill scanned it.
struct Held<'a> {
    name: &'a str,
    state: &'a jetstream::stream::State,
    max_age: Duration,
    /// Where the scan began.
    scan_from: DateTime<Utc>,
    /// The gap's start is known by a message (the last before it, or the first dropped).
    anchored: bool,
}

impl Held<'_> {
    /// Why the stream no longer holds the gap's start.
    fn why(&self, gap: &Gap) -> String {
        let name = self.name;
        match chrono::Duration::from_std(self.max_age) {
            Ok(age) if !self.max_age.is_zero() && Utc::now() - age > gap.from => format!(
                "stream {name} keeps events for {} only (its max age)",
                humantime::format_duration(self.max_age)
            ),
            _ => format!("stream {name} no longer holds them (purged, or over its limits)"),
        }
    }

    /// The messages that fill `gap` (of those scanned, `stored`; `found`: where they begin,
    /// when the message before them was found; `end`: where they end), less those a fill
    /// supplied already; and the part of the gap the stream no longer holds.
    fn plan(
        &self,
        gap: &Gap,
        stored: Vec<Stored>,
        found: Option<usize>,
        end: usize,
        pipeline: &Pipeline,
    ) -> (Vec<Stored>, Option<Missing>) {
        let (start, missing) = match found {
            Some(start) => (start, None),
            None => {
                // The message before the gap was not found: does the stream still hold the
                // time it began? (It drops its oldest first.)
                let state = self.state;
                let held = match state.messages {
                    0 => state.last_timestamp < self.scan_from,
                    _ => state.first_sequence <= 1 || state.first_timestamp <= self.scan_from,
                };
                if held {
                    let from = if self.anchored {
                        gap.from
                    } else {
                        self.scan_from
                    };
                    (stored.iter().take_while(|s| s.at < from).count(), None)
                } else {
                    let oldest = match state.messages {
                        0 => gap.to,
                        _ => state.first_timestamp,
                    };
                    let missing = Missing {
                        from: gap.from,
                        to: oldest.clamp(gap.from, gap.to.max(gap.from)),
                        events: None,
                        why: self.why(gap),
                    };
                    (0, Some(missing))
                }
            }
        };
        let planned = stored
            .into_iter()
            .take(end)
            .skip(start)
            .filter(|s| !pipeline.supplied(s.key))
            .collect();
        (planned, missing)
    }
}

/// Of the events dropped in `gap`, those the fill could not supply (a disconnect's are not
/// counted).
fn lost_for_good(gap: &Gap, supplied: usize) -> Option<u64> {
    match gap.reason {
        GapReason::Dropped => gap.lost.map(|lost| lost.saturating_sub(supplied as u64)),
        GapReason::Disconnected => None,
    }
}

/// The stream's messages from `start_sequence` on, and the first of them: the reader a fill
/// supplies from. The consumer made is deleted again when nothing can be read.
async fn open_reader(
    stream: &jetstream::stream::Stream,
    filter_subject: String,
    start_sequence: u64,
) -> Result<(String, pull::Ordered, jetstream::Message), String> {
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject,
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence },
            ..Default::default()
        })
        .await
        .map_err(|err| err.to_string())?;
    let consumer_name = consumer.cached_info().name.clone();
    let read = match consumer.messages().await {
        Ok(mut messages) => match tokio::time::timeout(STALL, messages.next()).await {
            Ok(Some(Ok(message))) => Ok((messages, message)),
            Ok(Some(Err(err))) => Err(err.to_string()),
            Ok(None) | Err(_) => Err("it sent nothing".to_owned()),
        },
        Err(err) => Err(err.to_string()),
    };
    match read {
        Ok((messages, message)) => Ok((consumer_name, messages, message)),
        Err(err) => {
            let _ = stream.delete_consumer(&consumer_name).await;
            Err(err)
        }
    }
}

/// Hands the `planned` messages to the pipeline as the reader delivers them, starting with
/// `first`; what vanished between the scan and this read is skipped.
async fn supply(
    mut messages: pull::Ordered,
    first: jetstream::Message,
    planned: &[Stored],
    record: bool,
    pipeline: &mut Pipeline,
) -> std::io::Result<Flow> {
    let mut flow = Flow::Continue;
    let mut next = Some(first);
    let mut at = 0;
    while at < planned.len() && flow == Flow::Continue {
        let message = match next.take() {
            Some(message) => message,
            None => match tokio::time::timeout(STALL, messages.next()).await {
                Ok(Some(Ok(message))) => message,
                _ => break,
            },
        };
        let Ok(info) = message.info() else { continue };
        let (seq, published) = (info.stream_sequence, info.published);
        while at < planned.len() && planned[at].seq < seq {
            at += 1;
        }
        if at < planned.len() && planned[at].seq == seq {
            at += 1;
            flow = pipeline.handle_filled(
                RawMessage {
                    subject: Some(message.subject.as_str()),
                    payload: &message.payload,
                    received: Received::Filled(published),
                    reply: None,
                },
                record,
            )?;
        }
    }
    Ok(flow)
}

/// Reads the stored messages from the scanner's start and finds the gap among them: returns
/// what was read (matching `subjects`), the index where the gap's messages begin when the
/// message before them was found, and the index where they end.
async fn locate_gap(
    scanner: jetstream::consumer::Consumer<pull::OrderedConfig>,
    subjects: &[String],
    gap: &Gap,
    ends: &Ends,
    live: &HashSet<u64>,
) -> (Vec<Stored>, Option<usize>, usize) {
    let after = ends.after.as_deref().map(dedupe::key);
    let first_dropped = ends.dropped.as_ref().map(|(first, _)| dedupe::key(first));
    let last_dropped = ends.dropped.as_ref().map(|(_, last)| dedupe::key(last));
    let mut stored: Vec<Stored> = Vec::new();
    // The gap's start: just after `after`, else at the first dropped message.
    let mut start = None;
    let mut end = None;
    let pending = scanner.cached_info().num_pending;
    let Ok(mut messages) = scanner.messages().await else {
        return (stored, start, 0);
    };
    let mut read = 0u64;
    while read < pending {
        let message = match tokio::time::timeout(STALL, messages.next()).await {
            Ok(Some(Ok(message))) => message,
            _ => break,
        };
        read += 1;
        let Ok(info) = message.info() else { continue };
        let (seq, at, left) = (info.stream_sequence, info.published, info.pending);
        if subjects
            .iter()
            .any(|s| subject_matches(s, &message.subject))
        {
            let key = dedupe::key(&message.payload);
            let here = stored.len();
            // The live side begins at the first message delivered after the gap (an older
            // message with the same bytes does not count).
            if live.contains(&key) && (start.is_some() || at >= gap.from) {
                end = Some(here);
                break;
            }
            stored.push(Stored { seq, at, key });
            if start.is_none() {
                if Some(key) == after {
                    start = Some(here + 1);
                } else if Some(key) == first_dropped {
                    start = Some(here);
                }
            }
            if start.is_some() && Some(key) == last_dropped {
                end = Some(here + 1);
                break;
            }
        }
        if left == 0 {
            break;
        }
    }
    // Once the start is known, what came before it is not needed.
    if let Some(from) = start {
        let from = from.min(stored.len());
        stored.drain(..from);
        start = Some(0);
        end = end.map(|end| end.saturating_sub(from));
    }
    let end = end.unwrap_or(stored.len());
    (stored, start, end)
}

pub(super) fn handle(
    message: &jetstream::Message,
    pipeline: &mut Pipeline,
) -> std::io::Result<Flow> {
    let received = message
        .info()
        .map_or(Received::Now, |info| Received::At(info.published));
    pipeline.handle(RawMessage {
        subject: Some(message.subject.as_str()),
        payload: &message.payload,
        received,
        reply: None,
    })
}

/// `--stream NAME`, or the stream that stores the first subject that has one.
pub(super) async fn find_stream(
    js: &jetstream::Context,
    subjects: &[String],
    named: Option<&str>,
    shown: &str,
) -> Result<JsStream> {
    let how_to_create = format!(
        "wadm creates one (wasmbus_events, 70 s of history) when it runs; or {}",
        keep_more(subjects)
    );
    locate(js, subjects, named).await.map_err(|why| match why {
        NoStream::Named(name, err) => anyhow!(
            "cannot replay from stream {name} at {shown} ({err}): list the streams with \
                 `nats stream ls`"
        ),
        NoStream::Unreadable(name, err) => {
            anyhow!("cannot read stream {name} at {shown}: {err}")
        }
        NoStream::NoJetStream(err) => anyhow!(
            "--since/--last need JetStream, and the server at {shown} did not answer for it \
                 ({err}): run nats-server with JetStream enabled (-js); {how_to_create}"
        ),
        NoStream::NoneStores => anyhow!(
            "--since/--last: no JetStream stream at {shown} stores {}; {how_to_create}; or \
                 name one with --stream",
            subjects.join(", ")
        ),
    })
}

/// How to keep more history than wadm's stream (70 s): a stream on the events' subjects where
/// none takes them; where wadm's `wasmbus_events` does, the server refuses a second one on the
/// same subjects ("subjects overlap"), so a stream that copies it, named with `--stream`.
pub fn keep_more(subjects: &[String]) -> String {
    let all = subjects
        .first()
        .and_then(|s| s.find("wasmbus.evt.").map(|at| &s[..at]))
        .map_or_else(
            || "wasmbus.evt.*.>".to_owned(),
            |prefix| format!("{prefix}wasmbus.evt.*.>"),
        );
    format!(
        "keep more: `nats stream add lattice_events --subjects '{}' --storage file --max-age 24h \
         --defaults`; where wadm's wasmbus_events takes them already, copy it instead: `nats \
         stream add lattice_events --source wasmbus_events --storage file --max-age 24h \
         --defaults` and add --stream lattice_events",
        // Inside the command's single quotes: a quote in the prefix closes and reopens them.
        crate::text::escape_untrusted(&all.replace('\'', r"'\''"))
    )
}

/// Why no stream could be read.
enum NoStream {
    /// `--stream NAME` could not be read: (name, why).
    Named(String, String),
    /// The stream that stores the subjects could not be read: (name, why).
    Unreadable(String, String),
    /// The server did not answer JetStream's requests.
    NoJetStream(String),
    /// No stream stores any of the subjects.
    NoneStores,
}

/// The stream named (`--stream`), else the one that stores the first subject that has one: what
/// replays and fills read.
async fn locate(
    js: &jetstream::Context,
    subjects: &[String],
    named: Option<&str>,
) -> std::result::Result<JsStream, NoStream> {
    if let Some(name) = named {
        return js
            .get_stream(name)
            .await
            .map_err(|err| NoStream::Named(name.to_owned(), err.to_string()));
    }
    let mut last_error = None;
    for subject in subjects {
        match js.stream_by_subject(subject.clone()).await {
            Ok(name) => {
                return js
                    .get_stream(&name)
                    .await
                    .map_err(|err| NoStream::Unreadable(name, err.to_string()))
            }
            Err(err) if err.kind() == GetStreamByNameErrorKind::NotFound => {}
            Err(err) => last_error = Some(err.to_string()),
        }
    }
    Err(last_error.map_or(NoStream::NoneStores, NoStream::NoJetStream))
}

/// NATS subject matching: `*` is one token, a final `>` one or more.
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for token in pattern.split('.') {
        match (token, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (token, Some(other)) if token == other => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::subject_matches;

    #[test]
    fn subjects_match_like_nats() {
        assert!(subject_matches(
            "wasmbus.evt.default.>",
            "wasmbus.evt.default.host_started"
        ));
        assert!(subject_matches("wasmbus.evt.*.>", "wasmbus.evt.blue.a.b"));
        assert!(subject_matches(
            "wasmbus.evt.default",
            "wasmbus.evt.default"
        ));
        assert!(subject_matches(
            "wasmbus.evt.default.x",
            "wasmbus.evt.default.x"
        ));
        assert!(!subject_matches(
            "wasmbus.evt.default.>",
            "wasmbus.evt.default"
        ));
        assert!(!subject_matches(
            "wasmbus.evt.default",
            "wasmbus.evt.default.x"
        ));
        assert!(!subject_matches(
            "wasmbus.evt.default.x",
            "wasmbus.evt.other.x"
        ));
        assert!(!subject_matches("wasmbus.evt.*", "wasmbus.evt.a.b"));
    }
}
