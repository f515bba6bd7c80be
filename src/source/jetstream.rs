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
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline};
use crate::source::progress::Progress;

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
    if let Some(name) = &replay.stream {
        return js.get_stream(name).await.map_err(|err| {
            anyhow!(
                "cannot replay from stream {name} at {shown} ({err}): list the streams with \
                 `nats stream ls`"
            )
        });
    }
    let mut last_error = None;
    for subject in subjects {
        match js.stream_by_subject(subject.clone()).await {
            Ok(name) => {
                return js
                    .get_stream(&name)
                    .await
                    .with_context(|| format!("cannot read stream {name} at {shown}"))
            }
            Err(err) if err.kind() == GetStreamByNameErrorKind::NotFound => {}
            Err(err) => last_error = Some(err),
        }
    }
    Err(match last_error {
        Some(err) => anyhow!(
            "--since/--last need JetStream, and the server at {shown} did not answer for it \
             ({err}): run nats-server with JetStream enabled (-js); {how_to_create}"
        ),
        None => anyhow!(
            "--since/--last: no JetStream stream at {shown} stores {}; {how_to_create}; or name \
             one with --stream",
            subjects.join(", ")
        ),
    })
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
