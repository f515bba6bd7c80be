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
//! one replica). On nats-server 2.9 a consumer takes one `filter_subject` (2.10's
//! `filter_subjects` is silently ignored), so several subjects are read unfiltered and matched
//! here.
//!
//! The consumers are deleted however the replay ends ([`Consumers`]): done, failed (stdout
//! closed: `latwatch --since 1h | head -1`), or dropped midway (Ctrl-C, `--timeout`), and on a
//! signal while stdout holds the main thread up in a write (the signal watcher then ends the
//! process without coming back here). Only a killed latwatch leaves them: the server drops an
//! ordered consumer after 30 s without activity (the inactive threshold async-nats sets).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::{self, stream::Stream as JsStream};
use async_nats::Client;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::AbortHandle;

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

/// How long deleting the replay's consumers may take, all streams at once: a local request takes
/// a millisecond; a server that does not answer must not hold up the end of a run (nor a Ctrl-C,
/// which the signal watcher enforces after 3 s). What is not deleted goes after 30 s idle.
const CLEANUP: Duration = Duration::from_secs(1);

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
    let cleanup = Cleanup::new(Consumers::new(jetstream::new(client)));
    let replayed = replay_streams(
        &cleanup.consumers,
        subjects,
        app_subjects,
        replay,
        shown,
        pipeline,
        status,
    )
    .await;
    // Done, it deleted them already; failed (stdout closed), they go now, before the error
    // ends the run. Dropped before this (Ctrl-C, `--timeout`): `Cleanup`'s `Drop` deletes them.
    cleanup.consumers.delete().await;
    replayed
}

/// [`replay`], with every consumer it makes listed in `consumers`.
async fn replay_streams(
    consumers: &Consumers,
    subjects: &[String],
    app_subjects: &[String],
    replay: &Replay,
    shown: &str,
    pipeline: &mut Pipeline,
    status: Status,
) -> Result<Flow> {
    let js = &consumers.js;
    // No host subject is watched (`-t app_status`): only wadm's streams are read.
    let mut sources = match subjects.is_empty() {
        true => Vec::new(),
        false => vec![Source::events(js, subjects, replay, shown).await?],
    };
    let required = sources.len();
    if required == 0 {
        if let Some(stream) = &replay.stream {
            status.warn(format_args!(
                "--stream {}: not read, since no host event kind is watched (-t); wadm's \
                 streams are",
                escape_untrusted(stream)
            ));
        }
    }
    let mut unfound = None;
    for subject in app_subjects {
        let name = match js.stream_by_subject(subject.clone()).await {
            Ok(name) => name,
            // No wadm stream: no application history to tell.
            Err(err) => {
                unfound = Some(err.to_string());
                continue;
            }
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
        match source.open(replay, shown, status, consumers).await {
            Ok(()) => opened.push(source),
            Err(err) if i < required => return Err(err),
            Err(err) => status.warn(format_args!(
                "{}; application history is left out",
                escape_untrusted(&format!("{err:#}"))
            )),
        }
    }
    let mut sources = opened;
    if sources.is_empty() && app_subjects.is_empty() {
        return Err(anyhow!(
            "--since/--last: nothing to replay: the kinds -t names are wadm's, and wadm's messages \
             are not read here (--no-apps, or --json/-o jsonl without --apps)"
        ));
    }
    if sources.is_empty() {
        return Err(anyhow!(
            "--since/--last: no JetStream stream at {shown} could be read for {} ({}); wadm's \
             stream wadm_status stores them where wadm runs",
            escape_untrusted(&app_subjects.join(", ")),
            escape_untrusted(unfound.as_deref().unwrap_or("none stores them"))
        ));
    }

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
                source.head = source.next(status, &progress, consumers).await;
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
    // Leave nothing behind. Their messages go first: an ordered consumer read on after its
    // deletion would make itself anew.
    for source in &mut sources {
        source.messages = None;
    }
    consumers.delete().await;

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
    /// The consumer its messages come from: the one made, or the one the ordered consumer made
    /// anew (after missed heartbeats, or the server deleting it), as its messages name it.
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
    async fn open(
        &mut self,
        replay: &Replay,
        shown: &str,
        status: Status,
        consumers: &Consumers,
    ) -> Result<()> {
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
        let name = consumer.cached_info().name.clone();
        consumers.made(&self.name, &name);
        self.consumer = Some(name);
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
    async fn next(
        &mut self,
        status: Status,
        progress: &Progress,
        consumers: &Consumers,
    ) -> Option<jetstream::Message> {
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
            let info = message.info().ok();
            if let Some(info) = &info {
                // Made anew under another name: that one is to be deleted too.
                if self.consumer.as_deref() != Some(info.consumer) {
                    consumers.made(&self.name, info.consumer);
                    self.consumer = Some(info.consumer.to_owned());
                }
            }
            if info.is_none_or(|info| info.pending == 0) {
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

/// Every consumer the replay made, each of its streams' (the ordered consumer's remakes
/// included, as their messages name them), until they are deleted.
struct Consumers {
    js: jetstream::Context,
    /// (stream, consumer), shared with the signal watch ([`Cleanup`]).
    made: Arc<Mutex<Vec<(String, String)>>>,
}

impl Consumers {
    fn new(js: jetstream::Context) -> Consumers {
        Consumers {
            js,
            made: Arc::default(),
        }
    }

    fn made(&self, stream: &str, consumer: &str) {
        let mut made = self.list();
        if !made.iter().any(|(s, c)| s == stream && c == consumer) {
            made.push((stream.to_owned(), consumer.to_owned()));
        }
    }

    /// The consumers not deleted yet, now no longer listed.
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.list())
    }

    fn list(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Deletes the consumers made so far (nothing to wait for when there are none). They stay
    /// listed until then: dropped midway, [`Cleanup`] deletes them again.
    async fn delete(&self) {
        let made = self.list().clone();
        if made.is_empty() {
            return;
        }
        delete(self.js.clone(), made.clone()).await;
        self.list().retain(|one| !made.contains(one));
    }
}

/// Deletes `made`, all at once, waiting at most [`CLEANUP`]. A consumer already gone (the server
/// dropped it, or it was deleted twice: see [`Cleanup`]) is no error worth telling; one left is
/// dropped by the server after 30 s idle.
async fn delete(js: jetstream::Context, made: Vec<(String, String)>) {
    let deletes = made
        .iter()
        .map(|(stream, consumer)| js.delete_consumer_from_stream(consumer, stream));
    let _ = tokio::time::timeout(CLEANUP, futures_util::future::join_all(deletes)).await;
}

/// Deletes the replay's consumers on the ways out that do not come back to [`replay`]:
///
/// - **Dropped midway** (Ctrl-C, `--timeout`: the driver stops awaiting the replay): `Drop`
///   deletes what is left and waits for it (at most [`CLEANUP`]), so it is done before latwatch
///   exits; a spawned task alone could be cut off by the runtime shutting down.
/// - **A signal while the main thread is stuck** writing to a stdout nobody reads (a paused
///   pager): the replay is neither finished nor dropped, and the signal watcher ends the process
///   itself ([`crate::shutdown`]). A task on the runtime's worker, which is free meanwhile,
///   deletes the consumers as soon as the signal comes. When the main thread is not stuck, the
///   replay is dropped as well and `Drop` deletes them again: the second delete finds nothing.
struct Cleanup {
    consumers: Consumers,
    watch: Option<AbortHandle>,
}

impl Cleanup {
    fn new(consumers: Consumers) -> Cleanup {
        let watch = watch_signals(consumers.js.clone(), consumers.made.clone());
        Cleanup { consumers, watch }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.abort();
        }
        let made = self.consumers.take();
        if made.is_empty() {
            return;
        }
        // Outside a runtime the requests cannot go: the server drops the consumers after 30 s.
        let Ok(runtime) = Handle::try_current() else {
            return;
        };
        let deleting = delete(self.consumers.js.clone(), made);
        match runtime.runtime_flavor() {
            // latwatch's runtimes: the replay runs in `block_on`, where blocking is allowed
            // (`block_in_place`), while the worker drives the connection.
            RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| runtime.block_on(deleting));
            }
            // Blocking here would stop the very thread that must send the requests.
            _ => drop(runtime.spawn(deleting)),
        }
    }
}

/// On Ctrl-C or SIGTERM, deletes the consumers listed in `made` by then (see [`Cleanup`]).
/// Listening changes nothing else: the signal watcher took both signals over already.
#[cfg(unix)]
fn watch_signals(
    js: jetstream::Context,
    made: Arc<Mutex<Vec<(String, String)>>>,
) -> Option<AbortHandle> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).ok()?;
    let mut terminate = signal(SignalKind::terminate()).ok()?;
    let watch = tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        // A copy: `Drop` still waits for its own delete if the replay is dropped meanwhile.
        let made = made.lock().unwrap_or_else(PoisonError::into_inner).clone();
        delete(js, made).await;
    });
    Some(watch.abort_handle())
}

#[cfg(not(unix))]
fn watch_signals(
    _js: jetstream::Context,
    _made: Arc<Mutex<Vec<(String, String)>>>,
) -> Option<AbortHandle> {
    None
}
