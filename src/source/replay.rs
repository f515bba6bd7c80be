//! `--since` / `--last`: history from JetStream, before the live subscription takes over.
//!
//! Three streams may hold a lattice's history: the hosts' events (wadm's `wasmbus_events`, or
//! `--stream`), wadm's own events (`wadm_events`: deploys) and its application statuses
//! (`wadm_status`). Each is read through its own consumer, and the three are merged in the order
//! the server stored them (one clock: the server's), so a replay tells the application's story
//! beside its hosts' and goes through the same pipeline as live messages (applications tagged,
//! statuses compressed).
//!
//! The live subscription exists before the replay starts, so nothing published meanwhile is
//! missed; the replay reads what each stream held when it started (its consumer's pending count),
//! and the pipeline's id dedupe (and, for statuses, application memory) drops what comes both
//! ways at the seam.
//!
//! `--last N` is the last N events *shown*, after every filter: the newest stored messages (at
//! most [`LAST_SEARCH`] + N of each stream) go through the whole pipeline, so memory learns from
//! all of them, while the pipeline holds back all but the lines of the newest N.
//!
//! Each replay runs on the second connection: JetStream's flow-control and status messages, and
//! stored events of other lattices in the same stream, would otherwise look like messages the live
//! subscription lost. It reads through ordered, ephemeral pull consumers (no acks, in memory,
//! one replica), deleted when done; the server would drop them 30 s later anyway. On nats-server
//! 2.9 a consumer takes one `filter_subject` (2.10's `filter_subjects` is silently ignored), so
//! several subjects are read unfiltered and matched here.

use std::time::Duration;

use anyhow::{Context as _, Result};
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::{self, stream::Stream as JsStream};
use async_nats::Client;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::config::{Replay, ReplayFrom};
use crate::output::progress::Progress;
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline};
use crate::source::jetstream::{find_stream, handle, subject_matches};
use crate::text::escape_untrusted;

/// A replay that receives nothing for this long is over, whatever the server promised.
const STALL: Duration = Duration::from_secs(5);

/// `--last N` reads at most this many stored messages of each stream, plus N, looking for the
/// last N that are shown: enough for any stream wadm keeps (70 s), bounded for a long one.
pub const LAST_SEARCH: u64 = 200_000;

/// A `--since` beyond a stream's max age warns that older history is gone, unless it is beyond
/// by less than this: `--since 70s` against wadm's 70 s streams asks for nothing that is gone.
const MAX_AGE_SLACK: Duration = Duration::from_secs(5);

/// Replays the history `replay` asks for into `pipeline`: the events' stream (required) and, when
/// applications are watched (`app_subjects`), the streams that store wadm's subjects (when there
/// are). `Flow::Done` when the pipeline ended the run (`--count`, `--until`).
pub async fn replay(
    client: Client,
    subjects: &[String],
    app_subjects: &[String],
    replay: &Replay,
    shown: &str,
    pipeline: &mut Pipeline,
    status: Status,
) -> Result<Flow> {
    let js = jetstream::new(client);
    let mut sources = vec![Source::events(&js, subjects, replay, shown).await?];
    for subject in app_subjects {
        let Ok(name) = js.stream_by_subject(subject.clone()).await else {
            continue; // No wadm stream: no application history to tell.
        };
        match sources.iter_mut().find(|s| s.name == name) {
            Some(source) => source.subjects.push(subject.clone()),
            None => {
                if let Ok(stream) = js.get_stream(&name).await {
                    sources.push(Source::new(stream, vec![subject.clone()]));
                }
            }
        }
    }
    // The events' stream must open; wadm's are optional (no wadm, or no permission for them).
    let mut opened = Vec::with_capacity(sources.len());
    for (i, mut source) in sources.into_iter().enumerate() {
        match source.open(replay, shown, status).await {
            Ok(()) => opened.push(source),
            Err(err) if i == 0 => return Err(err),
            Err(err) => status.warn(format_args!(
                "{}; application history is left out",
                escape_untrusted(&format!("{err:#}"))
            )),
        }
    }
    let mut sources = opened;

    let stored = sources.iter().map(|s| s.stored).sum();
    let progress = Progress::replay(stored, status.quiet);
    if let ReplayFrom::Last(n) = replay.from {
        pipeline.hold_last(usize::try_from(n).unwrap_or(usize::MAX));
    }
    let mut replayed = 0u64;
    let mut flow = Flow::Continue;
    loop {
        for source in &mut sources {
            if source.head.is_none() {
                source.head = source.next(status, &progress).await;
            }
        }
        // The oldest stored message among the streams' next ones.
        let oldest = sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.head.as_ref().map(|m| (stored_at(m), i)))
            .min();
        let Some(message) = oldest.and_then(|(_, i)| sources[i].head.take()) else {
            break;
        };
        replayed += 1;
        if handle(&message, pipeline)? == Flow::Done {
            flow = Flow::Done;
            break;
        }
    }
    progress.finish();
    let released = pipeline.release_held()?;
    if released.flow == Flow::Done {
        flow = Flow::Done;
    }
    let (written, dropped) = (released.written, released.dropped);
    pipeline.flush()?;
    for source in &sources {
        // Leave nothing behind; if this fails the server removes the consumer after 30 s idle.
        if let Some(consumer) = &source.consumer {
            let _ = source.stream.delete_consumer(consumer).await;
        }
    }

    let names = sources
        .iter()
        .map(|s| escape_untrusted(&s.name).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let streams = match sources.len() {
        1 => format!("stream {names}"),
        _ => format!("streams {names}"),
    };
    let live = if flow == Flow::Continue {
        "; now live"
    } else {
        ""
    };
    match replay.from {
        ReplayFrom::Since(since) => status.info(format_args!(
            "replayed {replayed} stored events (since {}) from {streams}{live}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )),
        ReplayFrom::Last(n) => {
            status.info(format_args!(
                "showed the last {written} of {} stored events that pass the filters (--last \
                 {n}; {replayed} read) from {streams}{live}",
                released.passed
            ));
            if dropped > 0 {
                status.warn(format_args!(
                    "--last {n}: {dropped} of the last lines were left out: what was held \
                     back for them reached {} MiB",
                    crate::pipeline::HELD_BYTES >> 20
                ));
            }
            let cut: Vec<&Source> = sources.iter().filter(|s| s.cut_short).collect();
            if written < n && flow == Flow::Continue && !cut.is_empty() {
                status.warn(format_args!(
                    "--last {n}: only {written} of the newest stored events pass the filters; \
                     older ones in {} were not searched (at most {} a stream)",
                    cut.iter()
                        .map(|s| escape_untrusted(&s.name).into_owned())
                        .collect::<Vec<_>>()
                        .join(", "),
                    LAST_SEARCH.saturating_add(n)
                ));
            }
        }
    }
    Ok(flow)
}

/// When the server stored a message: the one clock the merged streams share.
fn stored_at(message: &jetstream::Message) -> DateTime<Utc> {
    message
        .info()
        .map_or(DateTime::<Utc>::MAX_UTC, |info| info.published)
}

/// One stream read for the replay: its consumer and the stored message it offers next.
struct Source {
    stream: JsStream,
    name: String,
    /// The subjects read from it (matched here when there are several).
    subjects: Vec<String>,
    consumer: Option<String>,
    messages: Option<pull::Ordered>,
    /// How many messages the consumer had to offer when it was made.
    stored: u64,
    read: u64,
    done: bool,
    /// The next message, once read.
    head: Option<jetstream::Message>,
    /// `--last`: older messages than the window read were left unread.
    cut_short: bool,
}

impl Source {
    fn new(stream: JsStream, subjects: Vec<String>) -> Source {
        Source {
            name: stream.cached_info().config.name.clone(),
            stream,
            subjects,
            consumer: None,
            messages: None,
            stored: 0,
            read: 0,
            done: false,
            head: None,
            cut_short: false,
        }
    }

    /// The hosts' events: `--stream NAME`, or the stream that stores the subjects (required).
    async fn events(
        js: &jetstream::Context,
        subjects: &[String],
        replay: &Replay,
        shown: &str,
    ) -> Result<Source> {
        let stream = find_stream(js, subjects, replay.stream.as_deref(), shown).await?;
        Ok(Source::new(stream, subjects.to_vec()))
    }

    /// Makes the consumer that reads what `replay` asks for. A `--since` older than the stream
    /// keeps is said once.
    async fn open(&mut self, replay: &Replay, shown: &str, status: Status) -> Result<()> {
        let info = self.stream.cached_info();
        let deliver_policy = match replay.from {
            ReplayFrom::Since(since) => {
                let asked = Utc::now() - since;
                let max_age = info.config.max_age;
                if !max_age.is_zero()
                    && asked
                        .to_std()
                        .is_ok_and(|asked| asked > max_age + MAX_AGE_SLACK)
                {
                    status.warn(format_args!(
                        "stream {} keeps events for {} only (its max age): older history is gone",
                        escape_untrusted(&self.name),
                        humantime::format_duration(max_age)
                    ));
                }
                DeliverPolicy::ByStartTime { start_time: since }
            }
            ReplayFrom::Last(n) => {
                let window = LAST_SEARCH.saturating_add(n);
                let first = info.state.first_sequence.max(1);
                let start = info
                    .state
                    .last_sequence
                    .saturating_sub(window - 1)
                    .max(first);
                self.cut_short = start > first;
                DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                }
            }
        };
        // One subject: the server filters. Several: read everything and match here.
        let filter_subject = match self.subjects.as_slice() {
            [one] => one.clone(),
            _ => String::new(),
        };
        let consumer = self
            .stream
            .create_consumer(pull::OrderedConfig {
                filter_subject,
                deliver_policy,
                ..Default::default()
            })
            .await
            .with_context(|| {
                format!(
                    "cannot create a consumer on stream {} at {shown} to replay it",
                    escape_untrusted(&self.name)
                )
            })?;
        self.consumer = Some(consumer.cached_info().name.clone());
        self.stored = consumer.cached_info().num_pending;
        if self.stored > 0 {
            self.messages = Some(consumer.messages().await.with_context(|| {
                format!(
                    "cannot read stream {} at {shown}",
                    escape_untrusted(&self.name)
                )
            })?);
        }
        Ok(())
    }

    /// The next stored message on one of this source's subjects; `None` once it has offered
    /// what it held at the start (or stopped answering).
    async fn next(&mut self, status: Status, progress: &Progress) -> Option<jetstream::Message> {
        while !self.done && self.read < self.stored {
            let messages = self.messages.as_mut()?;
            let message = match tokio::time::timeout(STALL, messages.next()).await {
                Ok(Some(Ok(message))) => message,
                Ok(Some(Err(err))) => {
                    status.warn(format_args!(
                        "replay from {} stopped early: {}",
                        escape_untrusted(&self.name),
                        escape_untrusted(&err.to_string())
                    ));
                    break;
                }
                Ok(None) | Err(_) => break,
            };
            self.read += 1;
            progress.inc();
            if message.info().map_or(true, |info| info.pending == 0) {
                self.done = true;
            }
            if self
                .subjects
                .iter()
                .any(|s| subject_matches(s, &message.subject))
            {
                return Some(message);
            }
        }
        self.done = true;
        None
    }
}
