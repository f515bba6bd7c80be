//! `--since` / `--last`: history from JetStream, before the live subscription takes over.
//!
//! The live subscription exists before the replay starts, so nothing published meanwhile is
//! missed; the replay reads what the stream held when it started (its consumer's pending count),
//! and the pipeline's id dedupe drops an event that comes both ways at the seam.
//!
//! The replay runs on a connection of its own: JetStream's flow-control and status messages, and
//! stored events of other lattices in the same stream, would otherwise look like messages the live
//! subscription lost. It reads through an ordered, ephemeral pull consumer (no acks, in memory,
//! one replica), deleted when done; the server would drop it 30 s later anyway.
//!
//! The stream: `--stream NAME`, else the one that stores the lattice's subjects (wadm creates
//! `wasmbus_events` on `wasmbus.evt.*.>`, 70 s of history). On nats-server 2.9 a consumer takes
//! one `filter_subject` (2.10's `filter_subjects` is silently ignored), so several subjects are
//! read unfiltered and matched here.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::context::GetStreamByNameErrorKind;
use async_nats::jetstream::{self, stream::Stream as JsStream};
use async_nats::Client;
use futures_util::StreamExt;

use crate::config::{Replay, ReplayFrom};
use crate::event::{RawMessage, Received};
use crate::gap::{Filled, Gap};
use crate::output::progress::Progress;
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline};

/// A replay that receives nothing for this long is over, whatever the server promised.
const STALL: Duration = Duration::from_secs(5);

/// Replays the history `replay` asks for into `pipeline`. `Flow::Done` when the pipeline ended
/// the run (`--count`, `--until`).
pub async fn replay(
    client: Client,
    subjects: &[String],
    replay: &Replay,
    shown: &str,
    pipeline: &mut Pipeline,
    status: Status,
) -> Result<Flow> {
    let js = jetstream::new(client);
    let stream = find_stream(&js, subjects, replay, shown).await?;
    let stream_name = stream.cached_info().config.name.clone();
    let max_age = stream.cached_info().config.max_age;
    // One subject: the server filters. Several: read everything and match here.
    let filter_subject = match subjects {
        [one] => one.clone(),
        _ => String::new(),
    };
    let deliver_policy = match replay.from {
        ReplayFrom::Since(since) => DeliverPolicy::ByStartTime { start_time: since },
        ReplayFrom::Last(_) => DeliverPolicy::All,
    };
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject,
            deliver_policy,
            ..Default::default()
        })
        .await
        .with_context(|| {
            format!("cannot create a consumer on stream {stream_name} at {shown} to replay it")
        })?;
    let consumer_name = consumer.cached_info().name.clone();
    let stored = consumer.cached_info().num_pending;
    let told = match replay.from {
        ReplayFrom::Since(since) => format!(
            "since {}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        ReplayFrom::Last(n) => format!("the last {n}"),
    };
    if let ReplayFrom::Since(since) = replay.from {
        let asked = chrono::Utc::now() - since;
        if !max_age.is_zero() && asked.to_std().is_ok_and(|asked| asked > max_age) {
            status.warn(format_args!(
                "stream {stream_name} keeps events for {} only (its max age): older history is gone",
                humantime::format_duration(max_age)
            ));
        }
    }

    let mut replayed = 0u64;
    let mut flow = Flow::Continue;
    if stored > 0 {
        let progress = Progress::replay(stored, status.quiet);
        let mut messages = consumer
            .messages()
            .await
            .with_context(|| format!("cannot read stream {stream_name} at {shown}"))?;
        let keep_last = match replay.from {
            ReplayFrom::Last(n) => Some(n as usize),
            ReplayFrom::Since(_) => None,
        };
        let mut last: VecDeque<jetstream::Message> = VecDeque::new();
        let mut read = 0u64;
        while read < stored {
            let message = match tokio::time::timeout(STALL, messages.next()).await {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(err))) => {
                    status.warn(format_args!(
                        "replay from {stream_name} stopped early: {err}"
                    ));
                    break;
                }
                Ok(None) | Err(_) => break,
            };
            read += 1;
            progress.set(read);
            let pending = message.info().map_or(1, |info| info.pending);
            if subjects
                .iter()
                .any(|s| subject_matches(s, &message.subject))
            {
                match keep_last {
                    Some(n) => {
                        if last.len() == n {
                            last.pop_front();
                        }
                        last.push_back(message);
                    }
                    None => {
                        replayed += 1;
                        if handle(&message, pipeline)? == Flow::Done {
                            flow = Flow::Done;
                            break;
                        }
                    }
                }
            }
            if pending == 0 {
                break;
            }
        }
        progress.finish();
        for message in last {
            replayed += 1;
            if handle(&message, pipeline)? == Flow::Done {
                flow = Flow::Done;
                break;
            }
        }
    }
    pipeline.flush()?;
    // Leave nothing behind; if this fails the server removes the consumer after 30 s idle.
    let _ = stream.delete_consumer(&consumer_name).await;
    status.info(format_args!(
        "replayed {replayed} stored events ({told}) from stream {stream_name}{}",
        if flow == Flow::Continue {
            "; now live"
        } else {
            ""
        }
    ));
    Ok(flow)
}

/// Before the gap's start, a fill reads back this far: stored times are the server's clock, the
/// gap's are latwatch's. The last event shown before the gap marks where new ones begin.
const FILL_MARGIN: chrono::Duration = chrono::Duration::seconds(2);
/// At most this many filled ids are kept to drop their live copies.
const FILL_IDS: usize = 200_000;

/// Fills `gap` from the stream `stream` (else the one that stores `subjects`): the stored events
/// after `last_seen` (the last event shown before the gap; else those stored since the gap
/// began), up to the stream's end when the fill starts. Events it shows that may still arrive live
/// are handed to the pipeline to drop ([`Pipeline::expect_again`]).
pub async fn fill(
    client: Client,
    subjects: &[String],
    stream: Option<&str>,
    gap: &Gap,
    last_seen: Option<&[u8]>,
    pipeline: &mut Pipeline,
) -> std::io::Result<(Filled, Flow)> {
    let not = |why: String| Ok((Filled::No(why), Flow::Continue));
    let js = jetstream::new(client);
    let stream = match locate(&js, subjects, stream).await {
        Ok(stream) => stream,
        Err(NoStream::Named(name, err) | NoStream::Unreadable(name, err)) => {
            return not(format!("cannot read stream {name} ({err})"))
        }
        Err(NoStream::NoJetStream(err)) => {
            return not(format!("no JetStream on the server to ask ({err})"))
        }
        Err(NoStream::NoneStores) => {
            return not(format!("no stream holds {}", subjects.join(", ")))
        }
    };
    let stream_name = stream.cached_info().config.name.clone();
    let last_id = last_seen.and_then(event_id);
    let start = match last_id {
        Some(_) => gap.from - FILL_MARGIN,
        None => gap.from,
    };
    let consumer = match stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: match subjects {
                [one] => one.clone(),
                _ => String::new(),
            },
            deliver_policy: DeliverPolicy::ByStartTime { start_time: start },
            ..Default::default()
        })
        .await
    {
        Ok(consumer) => consumer,
        Err(err) => return not(format!("cannot read stream {stream_name} ({err})")),
    };
    let consumer_name = consumer.cached_info().name.clone();
    let stored = consumer.cached_info().num_pending;
    let mut shown = 0u64;
    let mut ids = std::collections::HashSet::new();
    let mut flow = Flow::Continue;
    // Until the last event shown before the gap is found, stored events are held back: they
    // may have been shown already. Not found by the gap's start plus the margin: those stored
    // after the gap began are new.
    let mut seeking = last_id.is_some();
    let mut held: Vec<jetstream::Message> = Vec::new();
    if stored > 0 {
        if let Ok(mut messages) = consumer.messages().await {
            let mut read = 0u64;
            while read < stored && flow == Flow::Continue {
                let message = match tokio::time::timeout(STALL, messages.next()).await {
                    Ok(Some(Ok(message))) => message,
                    _ => break,
                };
                read += 1;
                let pending = message.info().map_or(1, |info| info.pending);
                if subjects
                    .iter()
                    .any(|s| subject_matches(s, &message.subject))
                {
                    if seeking {
                        let id = event_id(&message.payload);
                        let stored_at = message.info().map(|info| info.published);
                        if id.is_some() && id == last_id {
                            seeking = false;
                            held.clear();
                        } else if stored_at.is_ok_and(|at| at < gap.from + FILL_MARGIN) {
                            held.push(message);
                        } else {
                            seeking = false;
                            for earlier in std::mem::take(&mut held) {
                                if stored_after(&earlier, gap) && flow == Flow::Continue {
                                    flow = show(&earlier, pipeline, &mut ids, &mut shown)?;
                                }
                            }
                            if flow == Flow::Continue {
                                flow = show(&message, pipeline, &mut ids, &mut shown)?;
                            }
                        }
                    } else {
                        flow = show(&message, pipeline, &mut ids, &mut shown)?;
                    }
                }
                if pending == 0 {
                    break;
                }
            }
        }
    }
    for earlier in held {
        if stored_after(&earlier, gap) && flow == Flow::Continue {
            flow = show(&earlier, pipeline, &mut ids, &mut shown)?;
        }
    }
    pipeline.expect_again(ids);
    let _ = stream.delete_consumer(&consumer_name).await;
    Ok((
        Filled::From {
            stream: stream_name,
            events: shown,
        },
        flow,
    ))
}

/// Stored at or after the gap began.
fn stored_after(message: &jetstream::Message, gap: &Gap) -> bool {
    message.info().is_ok_and(|info| info.published >= gap.from)
}

/// Hands a filled event to the pipeline and notes its id.
fn show(
    message: &jetstream::Message,
    pipeline: &mut Pipeline,
    ids: &mut std::collections::HashSet<String>,
    shown: &mut u64,
) -> std::io::Result<Flow> {
    *shown += 1;
    if ids.len() < FILL_IDS {
        ids.extend(event_id(&message.payload));
    }
    handle(message, pipeline)
}

fn handle(message: &jetstream::Message, pipeline: &mut Pipeline) -> std::io::Result<Flow> {
    let received = message
        .info()
        .map_or(Received::Now, |info| Received::At(info.published));
    pipeline.handle(RawMessage {
        subject: Some(message.subject.as_str()),
        payload: &message.payload,
        received,
    })
}

/// `--stream NAME`, or the stream that stores the first subject that has one.
async fn find_stream(
    js: &jetstream::Context,
    subjects: &[String],
    replay: &Replay,
    shown: &str,
) -> Result<JsStream> {
    let how_to_create = "wadm creates one (wasmbus_events, 70 s of history) when it runs; or keep \
        more: `nats stream add lattice_events --subjects 'wasmbus.evt.*.>' --storage file \
        --max-age 24h --defaults`";
    locate(js, subjects, replay.stream.as_deref())
        .await
        .map_err(|why| match why {
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

/// A payload's CloudEvent id, when it has one.
fn event_id(payload: &[u8]) -> Option<String> {
    crate::event::decode(RawMessage {
        subject: None,
        payload,
        received: Received::Now,
    })
    .envelope
    .and_then(|e| e.id())
    .map(|id| id.into_owned())
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
