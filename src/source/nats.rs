//! NATS: connect, subscribe, confirm, then hand messages to the pipeline until told to stop.
//!
//! The first connection must succeed (a clear error and exit 1 otherwise: a typo in `-s` should not
//! leave latwatch silently retrying). After that a disconnect never ends latwatch: async-nats
//! reconnects forever with backoff and re-subscribes, and the user is told on stderr which server
//! went and which came back, and how long events did not flow.
//!
//! Messages go through the intake (`source::intake`): a task that moves them off the
//! subscriptions into a queue bounded by bytes, so a slow stdout costs memory rather than
//! events, and that marks gaps (reconnects, drops) in the queue where they happened. The watch
//! loop here takes batches from that queue into the pipeline; at a gap it fills the missing
//! window from the JetStream stream that keeps the lattice's events, when there is one.
//!
//! Outages are timed from the last proof that events flowed (a message, or a keepalive round
//! trip every `--ping-interval`), not from when the client noticed; a hung server is noticed
//! after three unanswered pings.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event as NatsEvent};
use chrono::Utc;
use futures_util::stream::StreamExt;
use futures_util::FutureExt;
use tokio::sync::{mpsc, watch};

use crate::apps::wire::{SubjectReader, WadmSubject};
use crate::config::{redact, Auth, NatsConfig, Tls};
use crate::dedupe;
use crate::event::{subject_lattice, RawMessage, Received};
use crate::gap::{Filled, Gap, GapReason};
use crate::output::Status;
use crate::pipeline::{Ahead, Flow, Pipeline, Stop};
use crate::record::Recorder;
use crate::source::intake::{self, Intake, Item, Liveness, Queue};
use crate::source::{ctl, jetstream, wadm, Limits};
use crate::text::escape_untrusted;

/// How long the first connection may take before latwatch gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// At most this many queued messages are handled between flushes (and shutdown checks).
const BATCH: usize = 4096;
/// Messages async-nats may queue before it drops the excess. The intake empties this channel as
/// fast as messages arrive, so it only matters when the intake itself cannot run.
const SUBSCRIPTION_CAPACITY: usize = 32_768;
/// How often the watch loop looks for silent hosts when nothing arrives.
const IDLE_TICK: Duration = Duration::from_millis(250);
/// A freeze of latwatch this recent explains a disconnect (the server cut a client that stopped
/// reading).
const FREEZE_EXPLAINS: Duration = Duration::from_secs(30);

/// Connects, subscribes and runs the pipeline until `shutdown` resolves, `--count` is reached or
/// stdout closes. `recorder` (`--record`) is fed by the intake, every message as it arrives.
pub async fn run(
    config: &NatsConfig,
    pipeline: &mut Pipeline,
    recorder: Option<Recorder>,
    status: Status,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    // `--timeout` counts from the start, connecting included; a year stands in for "never".
    let never = Duration::from_secs(365 * 86_400);
    let deadline = tokio::time::sleep(limits.timeout.unwrap_or(never));
    tokio::pin!(deadline);
    tokio::pin!(shutdown);
    let shown = shown_servers(config);
    if let Some((name, path)) = &config.connection.context {
        status.info(format_args!(
            "using nats context {} ({})",
            escape_untrusted(name),
            crate::text::escape_path(path)
        ));
    }
    let liveness = Arc::new(Liveness::new(Utc::now()));
    let (gaps_tx, gaps_rx) = mpsc::unbounded_channel();
    let (client, mut notices, server) =
        connect(config, &shown, status, liveness.clone(), gaps_tx).await?;

    // A fill never looks before this: nothing stored earlier was missed.
    let listening = Utc::now();
    let mut subscribers = subscribe(&client, &config.subjects, &server).await?;
    let wadm_subscribers = subscribe(&client, &config.app_subjects, &server).await?;
    // One subscription (the usual case) is polled directly: merging streams costs a
    // FuturesUnordered round per message, and one channel keeps arrival order exactly.
    let events: intake::Messages = match subscribers.len() {
        0 => Box::pin(futures_util::stream::pending()),
        1 => Box::pin(subscribers.remove(0)),
        _ => Box::pin(futures_util::stream::select_all(subscribers)),
    };
    // wadm's few messages join through `select`, which polls the two sides in turn: the events'
    // side keeps its cost.
    let messages: intake::Messages = match wadm_subscribers.is_empty() {
        true => events,
        false => Box::pin(futures_util::stream::select(
            events,
            futures_util::stream::select_all(wadm_subscribers),
        )),
    };
    // The server has the subscription once it answered a round trip: only now is "listening" true.
    client
        .flush()
        .await
        .with_context(|| format!("the server at {server} did not confirm the subscription"))?;
    let listened: Vec<&str> = config
        .subjects
        .iter()
        .chain(&config.app_subjects)
        .map(String::as_str)
        .collect();
    status.info(format_args!(
        "listening on {} at {server}",
        escape_untrusted(&listened.join(", "))
    ));
    let looked_at = Arc::new(AtomicU64::new(0));
    let queue = Arc::new(Queue::new(config.buffer));
    tokio::spawn(
        Intake {
            queue: queue.clone(),
            liveness: liveness.clone(),
            statistics: client.statistics(),
            looked_at: looked_at.clone(),
            gaps: gaps_rx,
            recorder,
            status,
        }
        .run(messages),
    );
    tokio::spawn(keepalive(
        client.clone(),
        config.ping_interval,
        liveness.clone(),
    ));
    let refusals = watch::Sender::new(Vec::new());
    // Hosts the control interface names (`host.ping`), as each answers: at startup and after
    // every gap, beside the live messages.
    let (hosts_tx, mut hosts_rx) = mpsc::unbounded_channel();
    let hosts_tx = config.ping_hosts.then_some(hosts_tx);
    let mut filler = Filler {
        hosts: hosts_tx.clone(),
        config,
        shown: shown.clone(),
        client: None,
        said: Vec::new(),
        refusals: refusals.clone(),
        apps_said: Vec::new(),
        live: client.clone(),
        queue: queue.clone(),
        looked_at: looked_at.clone(),
        listening,
    };
    let mut pending: VecDeque<Item> = VecDeque::new();

    // What is true now about applications is read beside the live messages (on the second
    // connection): events show while it is read, and what arrived live meanwhile stays.
    let learning = learn_at_startup(config, &shown, refusals, hosts_tx);
    tokio::pin!(learning);
    let mut learning_pending = config.watches_apps() || config.ping_hosts;
    // A replay waits for it: replayed events are attributed to applications with what it says.
    if learning_pending && config.replay.is_some() {
        let learned = tokio::select! {
            biased;
            () = &mut shutdown => return pipeline.flush().map_err(Into::into),
            () = &mut deadline, if limits.timeout.is_some() => {
                pipeline.stop(Stop::TimedOut(limits.timeout.unwrap_or(never)));
                return pipeline.flush().map_err(Into::into);
            }
            learned = &mut learning => learned,
        };
        learning_pending = false;
        if filler.seed(learned, pipeline, status, &mut pending, &queue) == Flow::Done {
            pipeline.flush()?;
            return Ok(());
        }
    }

    // History first; live messages wait in the queue meanwhile.
    if let Some(replay) = &config.replay {
        let replaying = async {
            let replay_client = filler.client().await?;
            jetstream::replay(
                replay_client,
                &config.subjects,
                replay,
                &shown,
                pipeline,
                status,
            )
            .await
        };
        let flow = tokio::select! {
            biased;
            () = &mut shutdown => Flow::Done,
            () = &mut deadline, if limits.timeout.is_some() => {
                pipeline.stop(Stop::TimedOut(limits.timeout.unwrap_or(never)));
                Flow::Done
            }
            flow = replaying => flow?,
        };
        if flow == Flow::Done {
            pipeline.flush()?;
            return Ok(());
        }
    }

    // Without a hint the timer is never polled (`hint_pending` is false); a year keeps it inert.
    let hint = tokio::time::sleep(config.silence_hint.unwrap_or(never));
    // A wasmCloud 2 deployment publishes no lattice events, only runtime heartbeats every 15 s:
    // listen for those from the start, so the hint can tell that silence apart.
    let wasmcloud2 = Arc::new(AtomicBool::new(false));
    if let Some(waited) = config.silence_hint {
        tokio::spawn(notice_wasmcloud2(
            client.clone(),
            waited + LOOK_FOR,
            wasmcloud2.clone(),
            looked_at.clone(),
        ));
    }
    tokio::pin!(hint);
    let mut hint_pending = config.silence_hint.is_some();
    let mut idle_tick = tokio::time::interval(IDLE_TICK);
    let idle_for = limits.idle.unwrap_or(never);
    let idle = tokio::time::sleep(idle_for);
    tokio::pin!(idle);
    'watch: loop {
        if pending.is_empty() {
            queue.take(&mut pending);
        }
        let waiting = pending.is_empty();
        if waiting {
            if queue.is_closed() {
                break; // every subscription ended: the client was closed
            }
            // Nothing more is ready: what was handled is shown now.
            pipeline.flush()?;
        }
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = &mut deadline, if limits.timeout.is_some() => {
                pipeline.stop(Stop::TimedOut(limits.timeout.unwrap_or(never)));
                break;
            }
            () = &mut idle, if limits.idle.is_some() => {
                pipeline.stop(Stop::Idle(idle_for));
                break;
            }
            Some(notice) = notices.recv() => match notice {
                Notice::Fatal(why) => {
                    pipeline.flush()?;
                    return Err(anyhow!(why));
                }
                Notice::Refused(refusal) => {
                    if let Some(why) = refused_live(&refusal, &config.subjects, &config.subject_reader(), pipeline, &server, status) {
                        pipeline.flush()?;
                        return Err(anyhow!(why));
                    }
                    continue;
                }
            },
            Some(host) = hosts_rx.recv() => {
                pipeline.seed_host(&host);
                continue;
            }
            learned = &mut learning, if learning_pending => {
                learning_pending = false;
                if filler.seed(learned, pipeline, status, &mut pending, &queue) == Flow::Done {
                    break;
                }
                continue;
            }
            () = std::future::ready(()), if !waiting => {}
            () = queue.ready(), if waiting => continue,
            _ = idle_tick.tick(), if waiting => {
                // Nothing arriving is when hosts go silent: look for them.
                pipeline.tick(Utc::now())?;
                continue;
            }
            () = &mut hint, if hint_pending => {
                hint_pending = false;
                if pipeline.received() == 0 {
                    tokio::spawn(explain_silence(
                        client.clone(),
                        config.subjects.join(", "),
                        server.current(),
                        config.silence_hint.unwrap_or_default(),
                        status,
                        looked_at.clone(),
                        wasmcloud2.clone(),
                    ));
                }
                continue;
            }
        }
        let mut released = 0;
        let mut handled = 0;
        let mut flow = Flow::Continue;
        while let Some(item) = pending.pop_front() {
            match item {
                Item::Message {
                    subject,
                    payload,
                    received,
                } => {
                    released += intake::cost(&subject, &payload);
                    flow = pipeline.handle_recorded(RawMessage {
                        subject: Some(subject.as_str()),
                        payload: &payload,
                        received: Received::Live(received),
                    })?;
                }
                Item::Gap(mark) => {
                    pipeline.flush()?;
                    flow = filler.fill(*mark, &mut pending, pipeline, status).await?;
                }
            }
            handled += 1;
            if flow == Flow::Done || handled == BATCH {
                break;
            }
        }
        queue.release(released);
        if flow == Flow::Done {
            break 'watch;
        }
        idle.as_mut().reset(tokio::time::Instant::now() + idle_for);
    }
    pipeline.flush()?;
    Ok(())
}

/// One subscription per subject.
async fn subscribe(
    client: &Client,
    subjects: &[String],
    server: &ServerName,
) -> Result<Vec<async_nats::Subscriber>> {
    let mut subscribers = Vec::with_capacity(subjects.len());
    for subject in subjects {
        let subscriber = client
            .subscribe(subject.clone())
            .await
            .with_context(|| format!("cannot subscribe to {subject} on {server}"))?;
        subscribers.push(subscriber);
    }
    Ok(subscribers)
}

/// Fills gaps from the stream that keeps the lattice's events, on a connection of its own (made
/// at the first gap): JetStream's own messages must not reach the live subscription's books.
/// After each gap it reads again what wadm knows (`source::wadm`), on the same connection.
struct Filler<'a> {
    /// Where hosts the control interface names go, when lines name hosts (`ctl::ping_hosts`).
    hosts: Option<mpsc::UnboundedSender<serde_json::Value>>,
    config: &'a NatsConfig,
    shown: String,
    client: Option<Client>,
    /// Reasons a gap was not filled, said once each.
    said: Vec<String>,
    /// What the server refused on this connection (permissions): reading wadm stops at once.
    refusals: watch::Sender<Vec<Refusal>>,
    /// Why wadm could not be read again after a gap, said once each.
    apps_said: Vec<String>,
    /// The live connection, its intake's queue and the messages others took off it: what the
    /// live subscription delivered after a gap.
    live: Client,
    queue: Arc<Queue>,
    looked_at: Arc<AtomicU64>,
    /// When latwatch began listening.
    listening: chrono::DateTime<Utc>,
}

/// At most this many messages delivered live after a gap are looked for in the stream: the first
/// one found is where the fill ends.
const LIVE_KEYS: usize = 4096;
/// How long a fill waits for the intake to take what the server sent before a round trip.
const CATCH_UP: Duration = Duration::from_secs(2);

impl Filler<'_> {
    async fn client(&mut self) -> Result<Client> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        let client = connect_for_replay(self.config, &self.shown, self.refusals.clone()).await?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// What was true when latwatch started, read while live messages were handled (their
    /// connection is kept for fills). Statuses and deploys that arrived live stay, and so do
    /// those still waiting in the queue.
    fn seed(
        &mut self,
        (client, learned): (Option<Client>, wadm::Learned),
        pipeline: &mut Pipeline,
        status: Status,
        pending: &mut VecDeque<Item>,
        queue: &Queue,
    ) -> Flow {
        if self.client.is_none() {
            self.client = client;
        }
        if let Some(why) = &learned.unread {
            status.info(format_args!(
                "no application status at startup ({why}); application lines appear as wadm \
                 publishes them"
            ));
        }
        if let Some(note) = &learned.note {
            status.warn(format_args!("{note}"));
        }
        // Said now: not again after a gap.
        self.apps_said.extend(
            [&learned.unread, &learned.note]
                .into_iter()
                .flatten()
                .cloned(),
        );
        pipeline.seed_apps(
            &learned.seeds,
            &wadm_ahead(pending, queue, &self.config.subject_reader()),
        )
    }

    /// After a gap: what wadm knows now, read as at startup. A status or deploy it missed is
    /// handled like a live message, in the order wadm published them, once; one still waiting
    /// in the queue (`ahead`, looked at after the read) is left to come in its turn.
    async fn relearn(
        &mut self,
        pipeline: &mut Pipeline,
        status: Status,
        pending: &mut VecDeque<Item>,
    ) -> Result<Flow> {
        let learned = match self.client().await {
            Ok(client) => {
                // The fill's connection may still be reconnecting after the same outage.
                let _ = tokio::time::timeout(CONNECT_TIMEOUT, client.flush()).await;
                wadm::learn_unless_refused(client, self.config, Some(self.refusals.subscribe()))
                    .await
            }
            Err(err) => wadm::Learned {
                unread: Some(format!("cannot connect to read it ({err:#})")),
                ..wadm::Learned::default()
            },
        };
        for said in [&learned.unread, &learned.note].into_iter().flatten() {
            if !self.apps_said.contains(said) {
                status.warn(format_args!(
                    "application status not read again after the gap: {said}"
                ));
                self.apps_said.push(said.clone());
            }
        }
        let ahead = wadm_ahead(pending, &self.queue, &self.config.subject_reader());
        Ok(pipeline.relearn_apps(&learned.seeds, &ahead)?)
    }

    /// Fills the gap `mark` when it can (`fill_events`), then reads again what wadm knows:
    /// wadm's messages are not in the events' stream, and a status it published during the gap
    /// would be missed until its next change.
    async fn fill(
        &mut self,
        mark: intake::GapMark,
        pending: &mut VecDeque<Item>,
        pipeline: &mut Pipeline,
        status: Status,
    ) -> Result<Flow> {
        let flow = self.fill_events(mark, pending, pipeline, status).await?;
        // Hosts may have come or gone meanwhile: ask again which exist, beside the stream.
        if let (Some(hosts), Some(client)) = (&self.hosts, &self.client) {
            tokio::spawn(ctl::ping_hosts(
                client.clone(),
                self.config.lattices.clone(),
                hosts.clone(),
            ));
        }
        if flow == Flow::Continue && self.config.watches_apps() {
            return self.relearn(pipeline, status, pending).await;
        }
        Ok(flow)
    }

    /// Fills the gap `mark` when it can; says what it is and records it (`-o jsonl`) before the
    /// events that fill it. `pending` holds the queued items after it.
    async fn fill_events(
        &mut self,
        mark: intake::GapMark,
        pending: &mut VecDeque<Item>,
        pipeline: &mut Pipeline,
        status: Status,
    ) -> Result<Flow> {
        let intake::GapMark {
            mut gap,
            last_seen,
            dropped,
        } = mark;
        let why = if !self.config.fill {
            "--no-fill".to_owned()
        } else {
            match self.client().await {
                Err(err) => format!("cannot connect to fill it ({err:#})"),
                Ok(client) => {
                    let ends = jetstream::Ends {
                        after: last_seen,
                        dropped,
                        listening: self.listening,
                    };
                    let live = self.live_after(pending);
                    let filled = jetstream::fill(
                        client,
                        &self.config.subjects,
                        self.config.stream.as_deref(),
                        &mut gap,
                        &ends,
                        live,
                        pipeline,
                        &mut |gap, pipeline| tell(gap, pipeline, status),
                    )
                    .await?;
                    match filled {
                        Ok(flow) => {
                            pipeline.flush()?;
                            return Ok(flow);
                        }
                        Err(why) => why,
                    }
                }
            }
        };
        let what = what(&gap);
        if why == "--no-fill" {
            status.warn(format_args!(
                "{what}: events published meanwhile were not received (--no-fill)"
            ));
        } else if self.said.contains(&why) {
            status.warn(format_args!("{what} not filled: {why}"));
        } else {
            status.warn(format_args!(
                "{what} not filled: {why}; wadm's stream wasmbus_events keeps 70 s of \
                 them, or create one: `nats stream add lattice_events --subjects \
                 'wasmbus.evt.*.>' --max-age 1h --defaults`"
            ));
            self.said.push(why.clone());
        }
        gap.filled = Some(Filled::No(why));
        pipeline.gap(&gap)?;
        pipeline.flush()?;
        Ok(Flow::Continue)
    }

    /// The keys of the first messages the live subscription delivered after the gap
    /// (`pending`'s, the filled subjects' only), and of the first message of a drop that
    /// follows; asked once the fill has fixed the stream's end. A round trip on the live
    /// connection brings everything the server sent before it, and the intake takes it into the
    /// queue: a message the stream stored by then was delivered by then, so the fill does not
    /// supply (and record) it a second time.
    async fn live_after(&self, pending: &mut VecDeque<Item>) -> HashSet<u64> {
        // Disconnected (a drop gap reached during an outage), nothing more is on its way.
        let connected = self.live.connection_state() == async_nats::connection::State::Connected;
        if connected
            && tokio::time::timeout(CATCH_UP, self.live.flush())
                .await
                .is_ok_and(|flushed| flushed.is_ok())
        {
            let counted = self.live.statistics().in_messages.load(Ordering::Acquire);
            let deadline = tokio::time::Instant::now() + CATCH_UP;
            while self.queue.taken() + self.looked_at.load(Ordering::Relaxed) < counted
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let mut more = VecDeque::new();
        self.queue.take(&mut more);
        pending.append(&mut more);
        let mut keys = HashSet::new();
        for item in pending.iter() {
            if keys.len() >= LIVE_KEYS {
                break;
            }
            match item {
                Item::Message {
                    subject, payload, ..
                } if self
                    .config
                    .subjects
                    .iter()
                    .any(|s| jetstream::subject_matches(s, subject.as_str())) =>
                {
                    keys.insert(dedupe::key(payload));
                }
                Item::Message { .. } => {}
                Item::Gap(mark) => {
                    if let Some((first, _)) = &mark.dropped {
                        keys.insert(dedupe::key(first));
                    }
                }
            }
        }
        keys
    }
}

/// What a gap is, for stderr.
fn what(gap: &Gap) -> String {
    match (gap.reason, gap.lost) {
        (GapReason::Dropped, Some(lost)) => {
            format!("{lost} events dropped over {:.1}s", gap.seconds())
        }
        _ => format!("gap of {:.1}s", gap.seconds()),
    }
}

/// Says on stderr what a fill from a stream made of `gap` (which window is lost, and why), and
/// records the gap (`-o jsonl`).
fn tell(gap: &Gap, pipeline: &mut Pipeline, status: Status) -> std::io::Result<()> {
    let what = what(gap);
    if let Some(Filled::From {
        stream,
        events,
        missing,
    }) = &gap.filled
    {
        match missing {
            None => status.warn(format_args!(
                "{what} filled from stream {stream} ({events} events)"
            )),
            Some(missing) => {
                let local = |t: chrono::DateTime<Utc>| {
                    t.with_timezone(&chrono::Local)
                        .format("%H:%M:%S%.3f")
                        .to_string()
                };
                let count = missing
                    .events
                    .map_or(String::new(), |n| format!(" ({n} events)"));
                let lost = format!(
                    "{}–{} is lost{count}: {}",
                    local(missing.from),
                    local(missing.to),
                    missing.why
                );
                if gap.partly_filled() {
                    status.warn(format_args!(
                        "{what} partly filled from stream {stream} ({events} events): {lost}"
                    ));
                } else {
                    status.warn(format_args!("{what} not filled: {lost}"));
                }
            }
        }
    }
    pipeline.gap(gap)
}

/// Reads what wadm knows at startup, on the connection fills use (made here, and kept).
async fn learn_at_startup(
    config: &NatsConfig,
    shown: &str,
    refusals: watch::Sender<Vec<Refusal>>,
    hosts: Option<mpsc::UnboundedSender<serde_json::Value>>,
) -> (Option<Client>, wadm::Learned) {
    match connect_for_replay(config, shown, refusals.clone()).await {
        Ok(client) => {
            if let Some(hosts) = hosts {
                tokio::spawn(ctl::ping_hosts(
                    client.clone(),
                    config.lattices.clone(),
                    hosts,
                ));
            }
            if !config.watches_apps() {
                return (Some(client), wadm::Learned::default());
            }
            let learned =
                wadm::learn_unless_refused(client.clone(), config, Some(refusals.subscribe()))
                    .await;
            (Some(client), learned)
        }
        Err(err) => (
            None,
            wadm::Learned {
                unread: Some(format!("{err:#}")),
                ..wadm::Learned::default()
            },
        ),
    }
}

/// wadm's messages received but not yet handled: everything queued is moved behind `pending`
/// (in order) and looked at.
fn wadm_ahead(pending: &mut VecDeque<Item>, queue: &Queue, subjects: &SubjectReader) -> Ahead {
    let mut queued = VecDeque::new();
    queue.take(&mut queued);
    pending.append(&mut queued);
    let mut ahead = Ahead::default();
    for item in pending.iter() {
        if let Item::Message {
            subject, payload, ..
        } = item
        {
            ahead.note(subjects, subject.as_str(), payload);
        }
    }
    ahead
}

/// The server refused a live subscription. For `--until-app` a refused `wadm.status` subject
/// means the wait can never end: that is fatal (the words say which permission is missing).
/// Otherwise it is said, with what will be missing.
fn refused_live(
    refusal: &Refusal,
    subjects: &[String],
    subject_reader: &SubjectReader,
    pipeline: &Pipeline,
    server: &ServerName,
    status: Status,
) -> Option<String> {
    let words = refusal.words();
    let subject = escape_untrusted(&refusal.subject);
    match subject_reader.wadm(&refusal.subject) {
        Some(WadmSubject::Status { .. }) if refusal.subscribe && pipeline.waits_for_apps() => {
            Some(format!(
                "--until-app cannot see application statuses: {server} refused to let latwatch \
                 {words}\n  hint: give this user permission to subscribe to {subject} (wadm \
                 publishes every application's status there)"
            ))
        }
        Some(_) => {
            status.warn(format_args!(
                "{server} refused to let latwatch {words}: application lines will be missing; \
                 give this user permission to subscribe to {subject}, or pass --no-apps"
            ));
            None
        }
        None if refusal.subscribe && subjects.contains(&refusal.subject) => {
            status.warn(format_args!(
                "{server} refused to let latwatch {words}: no event there will arrive; give \
                 this user permission to subscribe to {subject}"
            ));
            None
        }
        // A look of the silence hint's: it only helps.
        None => {
            status.warn(format_args!(
                "server {server} refused: latwatch may not {words}"
            ));
            None
        }
    }
}

/// A permissions error the server reported: latwatch may not subscribe to, or publish on, a
/// subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A subscription was refused (else a publish).
    pub subscribe: bool,
    /// As the server wrote it.
    pub subject: String,
}

impl Refusal {
    /// From the server's error `Permissions Violation for Subscription to "…"` (or `for Publish
    /// to "…"`), as async-nats hands it over.
    pub fn parse(error: &str) -> Option<Refusal> {
        let rest = error.trim().strip_prefix("Permissions Violation for ")?;
        let (subscribe, rest) = match rest.strip_prefix("Subscription to ") {
            Some(rest) => (true, rest),
            None => (false, rest.strip_prefix("Publish to ")?),
        };
        let subject = rest.strip_prefix('"')?.split('"').next()?;
        (!subject.is_empty()).then(|| Refusal {
            subscribe,
            subject: subject.to_owned(),
        })
    }

    /// `subscribe to wadm.status.default.*`, escaped.
    pub fn words(&self) -> String {
        format!(
            "{} {}",
            match self.subscribe {
                true => "subscribe to",
                false => "publish to",
            },
            escape_untrusted(&self.subject)
        )
    }
}

/// A round trip every `every`: the proof that events can flow, for timing outages.
async fn keepalive(client: Client, every: Duration, liveness: Arc<Liveness>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let started = Utc::now();
        if let Ok(Ok(())) = tokio::time::timeout(every, client.flush()).await {
            liveness.on_round_trip(started, Utc::now());
        }
    }
}

/// Where a wasmCloud 2 host (the washlet, the runtime operator) says it is alive.
const WASMCLOUD2_HEARTBEATS: &str = "runtime.operator.heartbeat.>";

/// Listens for wasmCloud 2 heartbeats for `for_at_most` (until the first one), and notes one.
async fn notice_wasmcloud2(
    client: Client,
    for_at_most: Duration,
    seen: Arc<AtomicBool>,
    looked_at: Arc<AtomicU64>,
) {
    let Ok(mut heartbeats) = client.subscribe(WASMCLOUD2_HEARTBEATS).await else {
        return;
    };
    if let Ok(Some(_)) = tokio::time::timeout(for_at_most, heartbeats.next()).await {
        looked_at.fetch_add(1, Ordering::Relaxed);
        seen.store(true, Ordering::Release);
    }
    // Dropping the subscriber unsubscribes; a heartbeat in flight meanwhile is counted as looked
    // at by the loss books only if it was taken, so take what is already there.
    while let Some(Some(_)) = heartbeats.next().now_or_never() {
        looked_at.fetch_add(1, Ordering::Relaxed);
    }
}

/// How long the silence hint listens on every lattice.
const LOOK_FOR: Duration = Duration::from_secs(5);

/// Nothing arrived: say what latwatch listens on, why silence means a wrong server or lattice
/// (every host heartbeats every 30 s), and which lattices on this server do have traffic.
async fn explain_silence(
    client: Client,
    subjects: String,
    shown: String,
    waited: Duration,
    status: Status,
    looked_at: Arc<AtomicU64>,
    wasmcloud2: Arc<AtomicBool>,
) {
    let mut lattices = std::collections::BTreeSet::new();
    let mut looks = Vec::new();
    for subject in ["wasmbus.evt.*.>", "*.wasmbus.evt.*.>", "wasmbus.evt.*"] {
        if let Ok(subscriber) = client.subscribe(subject).await {
            looks.push(subscriber);
        }
    }
    let mut messages = futures_util::stream::select_all(looks);
    let deadline = tokio::time::sleep(LOOK_FOR);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            message = messages.next() => match message {
                Some(message) => {
                    looked_at.fetch_add(1, Ordering::Relaxed);
                    if let Some(lattice) = subject_lattice(message.subject.as_str()) {
                        if lattices.len() < 20 {
                            lattices.insert(escape_untrusted(lattice).into_owned());
                        }
                    }
                }
                None => break,
            },
        }
    }
    let seen = if lattices.is_empty() {
        format!(
            "no lattice on this server published an event in {}s either",
            LOOK_FOR.as_secs()
        )
    } else {
        format!(
            "lattices with events on this server: {}",
            lattices.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    if lattices.is_empty() && wasmcloud2.load(Ordering::Acquire) {
        status.warn(format_args!(
            "nothing received on {subjects} at {shown} in {}s, but wasmCloud 2 hosts heartbeat \
             here ({WASMCLOUD2_HEARTBEATS}): this is a wasmCloud 2 deployment, which publishes \
             no lattice events for latwatch to show; latwatch watches wasmCloud 1.x lattices",
            waited.as_secs()
        ));
        return;
    }
    status.warn(format_args!(
        "nothing received on {subjects} at {shown} in {}s; every wasmCloud 1.x host heartbeats \
         every 30s, so this is likely the wrong server or lattice (--lattice, -s); {seen}",
        waited.as_secs()
    ));
}

/// What the connection tells the watch loop.
enum Notice {
    /// latwatch cannot go on (credentials refused after a reconnect).
    Fatal(String),
    /// The server refused a subscription or publish (a permissions error).
    Refused(Refusal),
}

/// The server latwatch is connected to, named as the user gave it (credentials removed): one of a
/// cluster's URLs, not the whole `-s` list.
pub(crate) struct ServerName {
    given: Vec<String>,
    current: Mutex<String>,
}

impl std::fmt::Display for ServerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.current())
    }
}

impl ServerName {
    fn current(&self) -> String {
        self.current
            .lock()
            .map(|name| name.clone())
            .unwrap_or_default()
    }

    /// Learns the server from what it said of itself (its INFO), and returns its name.
    fn learn(&self, info: &async_nats::ServerInfo) -> String {
        let name = name_for(&self.given, info);
        if let Ok(mut current) = self.current.lock() {
            current.clone_from(&name);
        }
        name
    }
}

/// The URL given for the server that sent `info`: the only one given (it may be a proxy or a load
/// balancer), else the one with its port, and its host unless the server listens on every
/// address; else (a server the cluster told about) the address it reports.
fn name_for(given: &[String], info: &async_nats::ServerInfo) -> String {
    if let [only] = given {
        return redact(only);
    }
    let everywhere = matches!(info.host.as_str(), "0.0.0.0" | "::" | "");
    let matching = given.iter().find(|url| {
        url.parse::<async_nats::ServerAddr>()
            .is_ok_and(|addr| addr.port() == info.port && (everywhere || addr.host() == info.host))
    });
    match matching {
        Some(url) => redact(url),
        None => format!("nats://{}:{}", escape_untrusted(&info.host), info.port),
    }
}

async fn connect(
    config: &NatsConfig,
    shown: &str,
    status: Status,
    liveness: Arc<Liveness>,
    gaps: mpsc::UnboundedSender<Gap>,
) -> Result<(Client, mpsc::UnboundedReceiver<Notice>, Arc<ServerName>)> {
    let (outages_tx, outages_rx) = mpsc::unbounded_channel();
    let (notices_tx, notices_rx) = mpsc::unbounded_channel();
    let server = Arc::new(ServerName {
        given: config.connection.servers.clone(),
        current: Mutex::new(shown.to_owned()),
    });
    let notices = ConnectionNotices {
        server: server.clone(),
        status,
        liveness,
        down_since: Arc::new(Mutex::new(None)),
        outages: outages_tx,
        gaps,
        notices: notices_tx.clone(),
        cut_as_slow: Arc::new(OnceLock::new()),
    };
    let options = ConnectOptions::new()
        .name("latwatch")
        .connection_timeout(CONNECT_TIMEOUT)
        .ping_interval(config.ping_interval)
        .max_reconnects(None)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .event_callback(move |event| {
            let notices = notices.clone();
            async move { notices.on(event) }
        });
    let client = open(options, config, shown).await?;
    server.learn(&client.server_info());
    tokio::spawn(announce_reconnects(
        client.clone(),
        server.clone(),
        status,
        outages_rx,
    ));
    Ok((client, notices_rx, server))
}

/// The server list as messages show it: credentials removed.
fn shown_servers(config: &NatsConfig) -> String {
    config
        .connection
        .servers
        .iter()
        .map(|s| redact(s))
        .collect::<Vec<_>>()
        .join(",")
}

fn addresses(config: &NatsConfig) -> Result<Vec<async_nats::ServerAddr>> {
    config
        .connection
        .servers
        .iter()
        .map(|url| {
            url.parse::<async_nats::ServerAddr>()
                .map_err(|err| anyhow!("--server {}: not a NATS URL ({err})", redact(url)))
        })
        .collect()
}

/// The connection `latwatch top` watches through: the watcher's server list, credentials, TLS
/// and ping interval; async-nats reconnects forever and reports each connection event to
/// `events` (top re-seeds its view after a reconnect). Returns the client and the server's name.
pub async fn connect_for_top(
    config: &NatsConfig,
    events: mpsc::UnboundedSender<NatsEvent>,
) -> Result<(Client, String)> {
    let shown = shown_servers(config);
    let options = ConnectOptions::new()
        .name("latwatch-top")
        .connection_timeout(CONNECT_TIMEOUT)
        .ping_interval(config.ping_interval)
        .max_reconnects(None)
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event);
            }
        });
    let client = open(options, config, &shown).await?;
    let name = name_for(&config.connection.servers, &client.server_info());
    Ok((client, name))
}

/// A second connection, for the JetStream replay, fills and reading what wadm knows: same
/// server, credentials and TLS; its own message counts, so the live subscription's loss
/// accounting stays exact. The server's permission errors on it go to `refusals`.
async fn connect_for_replay(
    config: &NatsConfig,
    shown: &str,
    refusals: watch::Sender<Vec<Refusal>>,
) -> Result<Client> {
    let options = ConnectOptions::new()
        .name("latwatch-replay")
        .connection_timeout(CONNECT_TIMEOUT)
        .event_callback(move |event| {
            let refusals = refusals.clone();
            async move {
                if let NatsEvent::ServerError(async_nats::ServerError::Other(why)) = event {
                    if let Some(refusal) = Refusal::parse(&why) {
                        refusals.send_if_modified(|all| {
                            let new = all.len() < 16 && !all.contains(&refusal);
                            if new {
                                all.push(refusal);
                            }
                            new
                        });
                    }
                }
            }
        });
    open(options, config, shown).await
}

/// Connects with `options` plus the configuration's credentials and TLS; an error names the
/// server (`shown`) and says what to do.
async fn open(options: ConnectOptions, config: &NatsConfig, shown: &str) -> Result<Client> {
    let options = with_tls(
        with_auth(options, &config.connection.auth).await?,
        &config.connection.tls,
    );
    options
        .connect(addresses(config)?)
        .await
        .map_err(|err| connect_error(&err, shown, config))
}

/// Adds the one authentication method the configuration chose. Error messages name the file or
/// flag, never a secret or a file's content.
async fn with_auth(options: ConnectOptions, auth: &Auth) -> Result<ConnectOptions> {
    Ok(match auth {
        Auth::None => options,
        Auth::Creds(path) => options.credentials_file(path).await.map_err(|err| {
            anyhow!(
                "--creds {}: cannot use this credentials file ({}); it must hold a user JWT and an nkey seed, as `nsc` writes them",
                crate::text::escape_path(path),
                err.kind()
            )
        })?,
        Auth::Nkey(path) => {
            let seed = std::fs::read_to_string(path).map_err(|err| {
                anyhow!("--nkey {}: cannot read the seed file ({err})", crate::text::escape_path(path))
            })?;
            options.nkey(seed.trim().to_owned())
        }
        Auth::JwtSeed { jwt, seed } => {
            let creds = format!(
                "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
                 -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
            );
            options.credentials(&creds).map_err(|err| {
                anyhow!(
                    "--jwt/--seed (WASMCLOUD_CTL_JWT/_SEED): not a usable user JWT and seed ({})",
                    err.kind()
                )
            })?
        }
        Auth::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.clone())
        }
        Auth::Token(token) => options.token(token.clone()),
    })
}

/// Adds the TLS files; any of them means the connection must be TLS.
fn with_tls(mut options: ConnectOptions, tls: &Tls) -> ConnectOptions {
    if let Some(ca) = &tls.ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let Some((cert, key)) = &tls.client {
        options = options
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    if tls.first {
        options = options.tls_first();
    }
    options
}

/// async-nats reports `Connected` before it has re-sent our subscriptions; a round trip after it
/// proves the server has them, so "reconnected" is only said once events flow again.
async fn announce_reconnects(
    client: Client,
    server: Arc<ServerName>,
    status: Status,
    mut outages: mpsc::UnboundedReceiver<Gap>,
) {
    while let Some(gap) = outages.recv().await {
        if tokio::time::timeout(CONNECT_TIMEOUT, client.flush())
            .await
            .is_ok_and(|flushed| flushed.is_ok())
        {
            let name = server.learn(&client.server_info());
            status.warn(format_args!(
                "reconnected to {name}; events did not flow for {:.1}s (since {})",
                (Utc::now() - gap.from).num_milliseconds().max(0) as f64 / 1000.0,
                gap.from
                    .with_timezone(&chrono::Local)
                    .format("%H:%M:%S%.3f")
            ));
        }
    }
}

/// One line that names the server and the reason, and a hint.
fn connect_error(
    err: &async_nats::ConnectError,
    shown: &str,
    config: &NatsConfig,
) -> anyhow::Error {
    let detail = err.to_string();
    let lower = detail.to_lowercase();
    let (reason, hint) = match err.kind() {
        ConnectErrorKind::Io if lower.contains("refused") => (
            "connection refused".to_owned(),
            "is nats-server running there? Start one with `nats-server`, or point -s/--server (NATS_URL) at yours".to_owned(),
        ),
        ConnectErrorKind::Dns => (
            format!("name not resolved ({detail})"),
            "check the host name in -s/--server (NATS_URL)".to_owned(),
        ),
        ConnectErrorKind::TimedOut => (
            "timed out".to_owned(),
            "the server did not answer in time: check the address, port and any firewall".to_owned(),
        ),
        ConnectErrorKind::Tls => tls_error(&lower, config),
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => (
            "authorization failed".to_owned(),
            match config.connection.auth {
                Auth::None => "the server wants credentials: give --creds, --nkey, --user/--password or --token (or a --context)",
                _ => "the server refused the credentials given: check them, and that this server knows that user",
            }
            .to_owned(),
        ),
        ConnectErrorKind::ServerParse => (
            format!("bad server address ({detail})"),
            "use a URL like nats://host:4222".to_owned(),
        ),
        _ if lower.contains("tls") || lower.contains("certificate") => tls_error(&lower, config),
        _ => (
            detail,
            "check that the address in -s/--server (NATS_URL) is a reachable NATS server".to_owned(),
        ),
    };
    anyhow!("cannot connect to {shown}: {reason}\n  hint: {hint}")
}

/// What failed in TLS, in words, from rustls' error text.
fn tls_error(lower: &str, config: &NatsConfig) -> (String, String) {
    let ca = if config.connection.tls.ca.is_some() {
        "the CA given with --tls-ca did not sign it"
    } else {
        "pass the CA that signed it with --tls-ca"
    };
    if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        (
            "TLS: the server's certificate is from an unknown issuer".to_owned(),
            ca.to_owned(),
        )
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        (
            "TLS: the server's certificate is not valid for this host name".to_owned(),
            "connect with a name the certificate lists (its subject alternative names)".to_owned(),
        )
    } else if lower.contains("expired") {
        (
            "TLS: the server's certificate has expired".to_owned(),
            "the server needs a renewed certificate".to_owned(),
        )
    } else if lower.contains("certificate required") || lower.contains("certificaterequired") {
        (
            "TLS: the server requires a client certificate".to_owned(),
            "give one with --tls-cert and --tls-key".to_owned(),
        )
    } else if lower.contains("tls required")
        || lower.contains("not support tls")
        || lower.contains("not available")
    {
        (
            "TLS: the server does not speak TLS".to_owned(),
            "use a nats:// URL without --tls-* options, or enable TLS on the server".to_owned(),
        )
    } else {
        (
            format!("TLS failed ({lower})"),
            "check the URL scheme (nats:// or tls://), --tls-ca, --tls-cert/--tls-key and --tls-first".to_owned(),
        )
    }
}

/// Tells the user on stderr when the connection goes, naming the server; marks the outage in the
/// intake's queue when it comes back (from the last proof that events flowed, not from when the
/// client noticed); turns refused credentials after a reconnect into a fatal notice (retrying
/// forever with credentials the server no longer takes helps nobody).
#[derive(Clone)]
struct ConnectionNotices {
    server: Arc<ServerName>,
    status: Status,
    liveness: Arc<Liveness>,
    /// When the current outage began; `None` while connected.
    down_since: Arc<Mutex<Option<chrono::DateTime<Utc>>>>,
    outages: mpsc::UnboundedSender<Gap>,
    gaps: mpsc::UnboundedSender<Gap>,
    notices: mpsc::UnboundedSender<Notice>,
    /// The server said it cut latwatch as a slow consumer.
    cut_as_slow: Arc<OnceLock<()>>,
}

impl ConnectionNotices {
    fn on(&self, event: NatsEvent) {
        let Ok(mut down_since) = self.down_since.lock() else {
            return;
        };
        match event {
            NatsEvent::Disconnected if down_since.is_none() => {
                let now = Utc::now();
                let from = self.liveness.alive_since();
                *down_since = Some(from);
                let why = match self.liveness.recent_freeze(now, FREEZE_EXPLAINS) {
                    Some((_, lasted)) => format!(
                        "; latwatch had been stopped or starved for {:.1}s, so the server most \
                         likely cut it as a slow consumer",
                        lasted.as_secs_f64()
                    ),
                    None if self.cut_as_slow.get().is_some() => {
                        "; the server cut latwatch as a slow consumer".to_owned()
                    }
                    None => String::new(),
                };
                self.status.warn(format_args!(
                    "disconnected from {}{why}; reconnecting",
                    self.server.current()
                ));
            }
            NatsEvent::Connected => {
                if let Some(from) = down_since.take() {
                    let gap = Gap::new(from, Utc::now(), GapReason::Disconnected);
                    let _ = self.gaps.send(gap.clone());
                    let _ = self.outages.send(gap);
                }
            }
            // During a reconnect async-nats reports refused credentials as a client error with
            // the error kind's text; a server error is the same refusal on a live connection.
            NatsEvent::ClientError(async_nats::ClientError::Other(why))
                if why.contains("authorization violation")
                    || why.contains("failed signing nonce") =>
            {
                let _ = self.notices.send(Notice::Fatal(format!(
                    "{} refused latwatch's credentials after a reconnect ({why})\n  \
                     hint: the server's users or credentials changed; restart latwatch with valid ones",
                    self.server.current()
                )));
            }
            NatsEvent::ServerError(async_nats::ServerError::AuthorizationViolation) => {
                let _ = self.notices.send(Notice::Fatal(format!(
                    "{} refused latwatch's credentials after a reconnect (authorization violation)\n  \
                     hint: the server's users or credentials changed; restart latwatch with valid ones",
                    self.server.current()
                )));
            }
            NatsEvent::ServerError(async_nats::ServerError::Other(why))
                if Refusal::parse(&why).is_some() =>
            {
                if let Some(refusal) = Refusal::parse(&why) {
                    let _ = self.notices.send(Notice::Refused(refusal));
                }
            }
            NatsEvent::ServerError(async_nats::ServerError::SlowConsumer(_)) => {
                let _ = self.cut_as_slow.set(());
            }
            NatsEvent::ServerError(async_nats::ServerError::Other(why))
                if why.to_lowercase().contains("slow consumer") =>
            {
                let _ = self.cut_as_slow.set(());
            }
            NatsEvent::ServerError(err) => self.status.warn(format_args!(
                "server {} reported: {}",
                self.server.current(),
                escape_untrusted(&err.to_string())
            )),
            NatsEvent::LameDuckMode => self.status.warn(format_args!(
                "server {} is shutting down (lame duck mode); latwatch will reconnect",
                self.server.current()
            )),
            // Client-side slow consumers are counted exactly by the intake; the rest is noise.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(host: &str, port: u16) -> async_nats::ServerInfo {
        async_nats::ServerInfo {
            host: host.to_owned(),
            port,
            ..Default::default()
        }
    }

    #[test]
    fn refusals_are_read_from_the_servers_words() {
        assert_eq!(
            Refusal::parse(r#"Permissions Violation for Subscription to "wadm.status.default.*""#),
            Some(Refusal {
                subscribe: true,
                subject: "wadm.status.default.*".into()
            })
        );
        let publish = Refusal::parse(
            r#"Permissions Violation for Publish to "$JS.API.STREAM.NAMES" using queue "q""#,
        )
        .unwrap();
        assert!(!publish.subscribe);
        assert_eq!(publish.words(), "publish to $JS.API.STREAM.NAMES");
        for other in [
            "authorization violation",
            "Permissions Violation for Subscription to ",
            r#"Permissions Violation for Subscription to """#,
            r#"Permissions Violation for Something to "x""#,
        ] {
            assert_eq!(Refusal::parse(other), None, "{other}");
        }
        let hostile =
            Refusal::parse("Permissions Violation for Subscription to \"a\u{1b}[2J\"").unwrap();
        assert!(!hostile.words().contains('\u{1b}'));
    }

    #[test]
    fn the_server_is_named_as_given() {
        let cluster = [
            "nats://u:p@10.0.0.1:4222".to_owned(),
            "nats://10.0.0.2:4222".to_owned(),
            "nats://10.0.0.3:4223".to_owned(),
        ];
        assert_eq!(
            name_for(&cluster, &info("10.0.0.2", 4222)),
            "nats://10.0.0.2:4222"
        );
        assert_eq!(
            name_for(&cluster, &info("0.0.0.0", 4223)),
            "nats://10.0.0.3:4223"
        );
        assert_eq!(
            name_for(&cluster, &info("10.0.0.1", 4222)),
            "nats://10.0.0.1:4222",
            "credentials removed"
        );
        assert_eq!(
            name_for(&cluster, &info("10.0.0.9", 4222)),
            "nats://10.0.0.9:4222"
        );
        let proxy = ["nats://proxy:1234".to_owned()];
        assert_eq!(
            name_for(&proxy, &info("10.0.0.1", 4222)),
            "nats://proxy:1234"
        );
    }
}
