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
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event as NatsEvent};
use chrono::Utc;
use futures_util::stream::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::config::{redact, Auth, NatsConfig, Tls};
use crate::dedupe;
use crate::event::{subject_lattice, RawMessage, Received};
use crate::gap::{Filled, Gap, GapReason};
use crate::output::Status;
use crate::pipeline::{Ahead, Flow, Pipeline, Stop};
use crate::record::Recorder;
use crate::source::intake::{self, Intake, Item, Liveness, Queue};
use crate::source::{ctl, jetstream, replay, wadm, Limits};
use crate::state::apps::wire::{SubjectReader, WadmSubject};
use crate::state::tables::Told;
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

/// Ends a run from outside the messages: a signal (`shutdown`) or `--timeout`. Every wait of the
/// driver (startup knowledge, a replay, the live loop) ends on it the same way.
struct Stops<S> {
    shutdown: Pin<Box<S>>,
    /// `--timeout` counts from the start, connecting included.
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Option<Duration>,
}

impl<S: Future<Output = ()>> Stops<S> {
    fn new(shutdown: S, timeout: Option<Duration>) -> Stops<S> {
        Stops {
            shutdown: Box::pin(shutdown),
            // A year stands in for "never": without a timeout the timer is never polled.
            deadline: Box::pin(tokio::time::sleep(timeout.unwrap_or(NEVER))),
            timeout,
        }
    }

    /// Resolves when the run must end: `None` on a signal, the `--timeout` stop otherwise.
    async fn next(&mut self) -> Option<Stop> {
        tokio::select! {
            biased;
            () = &mut self.shutdown => None,
            () = &mut self.deadline, if self.timeout.is_some() => {
                Some(Stop::TimedOut(self.timeout.unwrap_or(NEVER)))
            }
        }
    }

    /// `work`'s output, unless the run must end first (`Err`, with the stop to tell).
    async fn or<T>(&mut self, work: impl Future<Output = T>) -> Result<T, Option<Stop>> {
        tokio::select! {
            biased;
            stop = self.next() => Err(stop),
            done = work => Ok(done),
        }
    }
}

/// "Never", for timers that must not fire.
const NEVER: Duration = Duration::from_secs(365 * 86_400);

/// What runs beside the live driver and reads the state: `latwatch top`'s screen. The line
/// output has none ([`Lines`]): its view is the pipeline's sink.
pub trait View {
    type Input;
    /// The subscriptions are confirmed and events are about to flow: a view may take the
    /// terminal now (an error before this reads as the watcher's do).
    fn started(&mut self) -> Result<()>;
    /// The view's next input (a key, a frame, a signal); never resolves for [`Lines`].
    fn input(&mut self) -> impl Future<Output = Self::Input>;
    /// Handles one input with the state as it is; `false` ends the run.
    fn act(&mut self, input: Self::Input, pipeline: &Pipeline) -> Result<bool>;
}

/// The line output's view: nothing beside the sink.
pub struct Lines;

impl View for Lines {
    type Input = std::convert::Infallible;

    fn started(&mut self) -> Result<()> {
        Ok(())
    }

    async fn input(&mut self) -> std::convert::Infallible {
        std::future::pending().await
    }

    fn act(&mut self, input: Self::Input, _: &Pipeline) -> Result<bool> {
        match input {}
    }
}

/// The live connection, subscribed and confirmed, its intake running.
struct Live {
    client: Client,
    notices: mpsc::UnboundedReceiver<Notice>,
    server: Arc<ServerName>,
    queue: Arc<Queue>,
    looked_at: Arc<AtomicU64>,
    probe: Arc<Probe>,
    /// When the server confirmed the subscriptions: a fill never looks before this.
    listening: chrono::DateTime<Utc>,
    /// `--workloads`: which v2 hosts' requests are listened to.
    tap: Option<super::workloads::Tap>,
}

/// Connects, subscribes and runs the pipeline until `shutdown` resolves, `--count` is reached,
/// stdout closes or the `view` ends it. `recorder` (`--record`) is fed by the intake, every
/// message as it arrives. This is the one live driver: `latwatch` and `latwatch top` both run
/// it, with gaps, fills, dedupe and loss counting alike.
pub async fn run<V: View>(
    config: &NatsConfig,
    pipeline: &mut Pipeline,
    recorder: Option<Recorder>,
    status: Status,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    view: &mut V,
) -> Result<()> {
    let mut stops = Stops::new(shutdown, limits.timeout);
    let shown = shown_servers(config);
    if let Some((name, path)) = &config.connection.context {
        status.info(format_args!(
            "using nats context {} ({})",
            escape_untrusted(name),
            crate::text::escape_path(path)
        ));
    }
    let live = match stops.or(go_live(config, &shown, recorder, status)).await {
        Ok(live) => live?,
        // `--timeout` ended the run before any connection: that is a failure to connect.
        Err(Some(Stop::TimedOut(after))) => {
            return Err(anyhow!(
                "no connection to {shown} within --timeout {}: is nats-server running there?",
                humantime::format_duration(after)
            ))
        }
        Err(stop) => return ended(stop, pipeline),
    };
    view.started()?;
    let refusals = watch::Sender::new(Vec::new());
    // What the control interface says exists: at startup and after every gap, beside the live
    // messages.
    let (told_tx, told) = mpsc::unbounded_channel();
    let told_tx = config.ping_hosts.then_some(told_tx);
    let mut filler = Filler::new(config, &shown, told_tx.clone(), refusals.clone(), &live);
    let mut pending: VecDeque<Item> = VecDeque::new();
    // What is true now about applications is read beside the live messages (on the second
    // connection): events show while it is read, and what arrived live meanwhile stays.
    let learning = learn_at_startup(config, &shown, refusals, told_tx);
    tokio::pin!(learning);
    let mut learning_pending = config.watches_apps() || config.ping_hosts;
    // A replay waits for it: replayed events are attributed to applications with what it says.
    if learning_pending && config.replay.is_some() {
        let learned = match stops.or(&mut learning).await {
            Ok(learned) => learned,
            Err(stop) => return ended(stop, pipeline),
        };
        learning_pending = false;
        if filler.seed(learned, pipeline, status, &mut pending, &live.queue) == Flow::Done {
            return ended(None, pipeline);
        }
    }
    // History first; live messages wait in the queue meanwhile.
    if let Some(replay) = &config.replay {
        if !config.app_subjects.is_empty() {
            pipeline.replay_statuses();
        }
        let replaying = async {
            let replay_client = filler.client().await?;
            replay::replay(
                replay_client,
                &config.subjects,
                &config.app_subjects,
                replay,
                &shown,
                pipeline,
                status,
            )
            .await
        };
        let replayed = stops.or(replaying).await;
        pipeline.replayed();
        match replayed {
            Ok(flow) => {
                if flow? == Flow::Done {
                    return ended(None, pipeline);
                }
            }
            Err(stop) => return ended(stop, pipeline),
        }
    }
    let mut watching = Watching {
        config,
        status,
        limits,
        live,
        filler,
        pending,
        told,
        learning_pending,
    };
    let result = watching.watch(&mut stops, learning, pipeline, view).await;
    pipeline.flush()?;
    result
}

/// The run ends early: `stop` (a `--timeout`) is told, what was handled is shown.
fn ended(stop: Option<Stop>, pipeline: &mut Pipeline) -> Result<()> {
    // A `--last` search cut short (Ctrl-C, `--timeout`): what it held is still the newest found.
    pipeline.release_held()?;
    if let Some(stop) = stop {
        pipeline.stop(stop);
    }
    pipeline.flush()?;
    Ok(())
}

/// Connects, subscribes to the events' and wadm's subjects, waits for the server to confirm, and
/// starts the intake (which records every message as it arrives) and the keepalive.
async fn go_live(
    config: &NatsConfig,
    shown: &str,
    recorder: Option<Recorder>,
    status: Status,
) -> Result<Live> {
    let liveness = Arc::new(Liveness::new(Utc::now()));
    let (gaps_tx, gaps_rx) = mpsc::unbounded_channel();
    // Messages taken off this connection that the subscriptions' intake never sees.
    let looked_at = Arc::new(AtomicU64::new(0));
    let probe = Arc::new(Probe::new(looked_at.clone()));
    let (client, notices, server) = connect(
        config,
        shown,
        status,
        liveness.clone(),
        gaps_tx,
        probe.clone(),
    )
    .await?;
    let listening = Utc::now();
    let mut subscribers = subscribe(&client, &config.subjects, &server).await?;
    let mut wadm_subscribers = subscribe(&client, &config.app_subjects, &server).await?;
    // wasmCloud 2's heartbeats join wadm's few messages on the side.
    wadm_subscribers.extend(subscribe(&client, &config.v2_subjects, &server).await?);
    // `--workloads`: the operator's requests and the hosts' answers, gated by their own task.
    let (tap, tapped) = match config.workloads {
        true => {
            let (tap, tapped) = super::workloads::start(client.clone(), status, looked_at.clone())
                .await
                .with_context(|| {
                    format!(
                        "cannot subscribe to {} on {server}",
                        crate::v2::INBOX_WILDCARD
                    )
                })?;
            (Some(tap), Some(tapped))
        }
        false => (None, None),
    };
    // One subscription (the usual case) is polled directly: merging streams costs a
    // FuturesUnordered round per message, and one channel keeps arrival order exactly.
    let events: intake::Messages = match subscribers.len() {
        0 => Box::pin(futures_util::stream::pending()),
        1 => Box::pin(subscribers.remove(0)),
        _ => Box::pin(futures_util::stream::select_all(subscribers)),
    };
    // wadm's few messages join through `select`, which polls the two sides in turn: the events'
    // side keeps its cost.
    let mut side: Vec<intake::Messages> = wadm_subscribers
        .into_iter()
        .map(|s| -> intake::Messages { Box::pin(s) })
        .collect();
    side.extend(tapped);
    let messages: intake::Messages = match side.is_empty() {
        true => events,
        false => Box::pin(futures_util::stream::select(
            events,
            futures_util::stream::select_all(side),
        )),
    };
    client
        .flush()
        .await
        .with_context(|| format!("the server at {server} did not take the subscription"))?;
    let mut listened: Vec<&str> = config
        .subjects
        .iter()
        .chain(&config.app_subjects)
        .chain(&config.v2_subjects)
        .map(String::as_str)
        .collect();
    if config.workloads {
        listened.push("_INBOX.> and runtime.host.<id>.> of each heartbeating v2 host");
    }
    let queue = Arc::new(Queue::new(config.buffer));
    let said_listening = async {
        // The server has the subscriptions once it answered a round trip: only now is
        // "listening" true. Events are queued meanwhile.
        probe.round_trip(&client, PROBE_WAIT).await;
        status.info(format_args!(
            "listening on {} at {server}",
            escape_untrusted(&listened.join(", "))
        ));
    };
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
    said_listening.await;
    tokio::spawn(keepalive(
        client.clone(),
        config.ping_interval,
        liveness.clone(),
    ));
    Ok(Live {
        client,
        notices,
        server,
        queue,
        looked_at,
        probe,
        listening,
        tap,
    })
}

/// The live loop's parts: the connection, the fill, what waits to be handled.
struct Watching<'a> {
    config: &'a NatsConfig,
    status: Status,
    limits: Limits,
    live: Live,
    filler: Filler<'a>,
    pending: VecDeque<Item>,
    /// What the control interface says, as it answers.
    told: mpsc::UnboundedReceiver<Told>,
    learning_pending: bool,
}

/// What woke the live loop.
enum Woke<I> {
    Stop(Option<Stop>),
    Idle,
    Notice(Notice),
    Told(Told),
    Learned((Option<Client>, wadm::Learned)),
    View(I),
    Ready,
    Arrived,
    Tick,
    Hint,
}

impl Watching<'_> {
    /// Takes the queue's messages into the pipeline, in batches, until the run ends.
    async fn watch<S, V>(
        &mut self,
        stops: &mut Stops<S>,
        learning: Pin<&mut impl Future<Output = (Option<Client>, wadm::Learned)>>,
        pipeline: &mut Pipeline,
        view: &mut V,
    ) -> Result<()>
    where
        S: Future<Output = ()>,
        V: View,
    {
        let mut learning = learning;
        let mut hint = Hint::new(self.config);
        let mut idle_tick = tokio::time::interval(IDLE_TICK);
        let idle_for = self.limits.idle.unwrap_or(NEVER);
        let idle = tokio::time::sleep(idle_for);
        tokio::pin!(idle);
        loop {
            if self.pending.is_empty() {
                self.live.queue.take(&mut self.pending);
            }
            let waiting = self.pending.is_empty();
            if waiting {
                if self.live.queue.is_closed() {
                    return Ok(()); // every subscription ended: the client was closed
                }
                // Nothing more is ready: what was handled is shown now.
                pipeline.flush()?;
            }
            let woke = tokio::select! {
                biased;
                stop = stops.next() => Woke::Stop(stop),
                () = &mut idle, if self.limits.idle.is_some() => Woke::Idle,
                Some(notice) = self.live.notices.recv() => Woke::Notice(notice),
                Some(told) = self.told.recv() => Woke::Told(told),
                learned = &mut learning, if self.learning_pending => Woke::Learned(learned),
                // Before the messages: a key or a frame is never starved by a flood.
                input = view.input() => Woke::View(input),
                () = std::future::ready(()), if !waiting => Woke::Ready,
                () = self.live.queue.ready(), if waiting => Woke::Arrived,
                _ = idle_tick.tick(), if waiting => Woke::Tick,
                () = hint.elapsed(), if hint.pending => Woke::Hint,
            };
            match woke {
                Woke::Stop(stop) => {
                    if let Some(stop) = stop {
                        pipeline.stop(stop);
                    }
                    return Ok(());
                }
                Woke::Idle => {
                    pipeline.stop(Stop::Idle(idle_for));
                    return Ok(());
                }
                Woke::Notice(notice) => self.notice(notice, pipeline)?,
                Woke::Told(told) => pipeline.seed(&told),
                Woke::Learned(learned) => {
                    self.learning_pending = false;
                    let (pending, queue) = (&mut self.pending, &self.live.queue);
                    if self
                        .filler
                        .seed(learned, pipeline, self.status, pending, queue)
                        == Flow::Done
                    {
                        return Ok(());
                    }
                }
                Woke::View(input) => {
                    if !view.act(input, pipeline)? {
                        return Ok(());
                    }
                }
                Woke::Ready => {
                    let flow = self.batch(pipeline).await?;
                    self.listen_to_v2_hosts(pipeline);
                    if flow == Flow::Done {
                        return Ok(());
                    }
                    idle.as_mut().reset(tokio::time::Instant::now() + idle_for);
                }
                Woke::Arrived => {}
                // Nothing arriving is when hosts go silent: look for them.
                Woke::Tick => {
                    let flow = pipeline.tick(Utc::now())?;
                    self.listen_to_v2_hosts(pipeline);
                    if flow == Flow::Done {
                        return Ok(());
                    }
                }
                Woke::Hint => hint.fire(self.config, &self.live, pipeline, self.status),
            }
        }
    }

    /// `--workloads`: listen to the requests of the v2 hosts heartbeating now, and of no other
    /// (lattice memory decides; a host judged silent is dropped at once).
    fn listen_to_v2_hosts(&self, pipeline: &Pipeline) {
        if let Some(tap) = &self.live.tap {
            tap.want(pipeline.state().lattice.v2_alive());
        }
    }

    /// What the connection said: a fatal error ends the run, a refusal may.
    fn notice(&mut self, notice: Notice, pipeline: &mut Pipeline) -> Result<()> {
        let refusal = match notice {
            Notice::Fatal(why) => return Err(anyhow!(why)),
            Notice::Refused(refusal) => refusal,
        };
        let config = self.config;
        match refused_live(
            &refusal,
            &config.subjects,
            &config.subject_reader(),
            pipeline,
            &self.live.server,
            self.status,
        ) {
            Some(why) => Err(anyhow!(why)),
            None => Ok(()),
        }
    }

    /// At most [`BATCH`] queued items into the pipeline; a gap is filled where it lies.
    async fn batch(&mut self, pipeline: &mut Pipeline) -> Result<Flow> {
        let mut released = 0;
        let mut handled = 0;
        let mut flow = Flow::Continue;
        while let Some(item) = self.pending.pop_front() {
            match item {
                Item::Message {
                    subject,
                    payload,
                    received,
                    reply,
                } => {
                    released += intake::cost(&subject, &payload);
                    flow = pipeline.handle_recorded(RawMessage {
                        subject: Some(subject.as_str()),
                        payload: &payload,
                        received: Received::Live(received),
                        reply: reply.as_deref(),
                    })?;
                }
                Item::Gap(mark) => {
                    pipeline.flush()?;
                    let reconnected = mark.gap.reason == crate::gap::GapReason::Disconnected;
                    flow = self
                        .filler
                        .fill(*mark, &mut self.pending, pipeline, self.status)
                        .await?;
                    // `--workloads`: what changed on the v2 hosts while latwatch was away.
                    if let (true, Some(tap)) = (reconnected, &self.live.tap) {
                        tap.ask_after_reconnect(pipeline.state());
                    }
                }
            }
            handled += 1;
            if flow == Flow::Done || handled == BATCH {
                break;
            }
        }
        self.live.queue.release(released);
        Ok(flow)
    }
}

/// The silence hint: after `--silence-hint` without an event, why nothing arrives.
struct Hint {
    timer: Pin<Box<tokio::time::Sleep>>,
    pending: bool,
}

impl Hint {
    fn new(config: &NatsConfig) -> Hint {
        Hint {
            timer: Box::pin(tokio::time::sleep(config.silence_hint.unwrap_or(NEVER))),
            pending: config.silence_hint.is_some(),
        }
    }

    async fn elapsed(&mut self) {
        (&mut self.timer).await
    }

    /// The hint's time came: explain the silence, if nothing arrived.
    fn fire(&mut self, config: &NatsConfig, live: &Live, pipeline: &Pipeline, status: Status) {
        self.pending = false;
        if pipeline.received() == 0 {
            tokio::spawn(explain_silence(
                live.client.clone(),
                config.subjects.join(", "),
                live.server.current(),
                config.silence_hint.unwrap_or_default(),
                status,
                live.looked_at.clone(),
            ));
        }
    }
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
    /// Where what the control interface says goes, when lattice memory runs (`ctl::ask`).
    told: Option<mpsc::UnboundedSender<Told>>,
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
    probe: Arc<Probe>,
    /// When latwatch began listening.
    listening: chrono::DateTime<Utc>,
}

/// At most this many messages delivered live after a gap are looked for in the stream: the first
/// one found is where the fill ends.
const LIVE_KEYS: usize = 4096;
/// How long a fill waits for the intake to take what the server sent before a round trip.
const CATCH_UP: Duration = Duration::from_secs(2);

impl<'a> Filler<'a> {
    fn new(
        config: &'a NatsConfig,
        shown: &str,
        told: Option<mpsc::UnboundedSender<Told>>,
        refusals: watch::Sender<Vec<Refusal>>,
        live: &Live,
    ) -> Filler<'a> {
        Filler {
            told,
            config,
            shown: shown.to_owned(),
            client: None,
            said: Vec::new(),
            refusals,
            apps_said: Vec::new(),
            live: live.client.clone(),
            queue: live.queue.clone(),
            looked_at: live.looked_at.clone(),
            probe: live.probe.clone(),
            listening: live.listening,
        }
    }

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
        if let (Some(told), Some(client)) = (&self.told, &self.client) {
            tokio::spawn(ctl::ask(
                client.clone(),
                self.config.lattices.clone(),
                self.config.ask_tables,
                told.clone(),
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
        let what = gap.words();
        if why == "--no-fill" {
            status.warn(format_args!(
                "{what}: events published meanwhile were not received (--no-fill)"
            ));
        } else if self.said.contains(&why) {
            status.warn(format_args!("{what} not filled: {why}"));
        } else {
            status.warn(format_args!(
                "{what} not filled: {why}; wadm's stream wasmbus_events keeps 70 s of \
                 them; {}",
                jetstream::keep_more(&self.config.subjects)
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
        // A round trip proves it; without one (a user who may not use `_INBOX.>`), a flush and
        // the count of what arrived are the best there is.
        let caught_up = connected
            && (self.probe.round_trip(&self.live, CATCH_UP).await
                || tokio::time::timeout(CATCH_UP, self.live.flush())
                    .await
                    .is_ok_and(|flushed| flushed.is_ok()));
        if caught_up {
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

/// Says on stderr what a fill from a stream made of `gap` (which window is lost, and why), and
/// records the gap (`-o jsonl`).
fn tell(gap: &Gap, pipeline: &mut Pipeline, status: Status) -> std::io::Result<()> {
    let what = gap.words();
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
    told: Option<mpsc::UnboundedSender<Told>>,
) -> (Option<Client>, wadm::Learned) {
    match connect_for_replay(config, shown, refusals.clone()).await {
        Ok(client) => {
            if let Some(told) = told {
                tokio::spawn(ctl::ask(
                    client.clone(),
                    config.lattices.clone(),
                    config.ask_tables,
                    told,
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
    status.warn(format_args!(
        "nothing received on {subjects} at {shown} in {}s; every wasmCloud 1.x host heartbeats \
         every 30s (and every wasmCloud 2 host every 15s), so this is likely the wrong server or \
         lattice (--lattice, -s); {seen}",
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
    probe: Arc<Probe>,
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
        probe: probe.clone(),
    };
    let options = || {
        let notices = notices.clone();
        ConnectOptions::new()
            .name("latwatch")
            .connection_timeout(CONNECT_TIMEOUT)
            .ping_interval(config.ping_interval)
            .max_reconnects(None)
            .subscription_capacity(SUBSCRIPTION_CAPACITY)
            .event_callback(move |event| {
                let notices = notices.clone();
                async move { notices.on(event) }
            })
    };
    let client = open_patiently(options, config, shown, status).await?;
    server.learn(&client.server_info());
    tokio::spawn(announce_reconnects(
        client.clone(),
        server.clone(),
        status,
        outages_rx,
        probe,
    ));
    Ok((client, notices_rx, server))
}

/// The server list as messages show it: credentials removed.
pub fn shown_servers(config: &NatsConfig) -> String {
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
    match try_open(options, config).await {
        Ok(client) => Ok(client),
        Err(Opening::Setup(err)) => Err(err),
        Err(Opening::Connect(err)) => Err(connect_error(&err, shown, config)),
    }
}

/// Why a connection was not opened: the setup (credentials, addresses) or the server.
enum Opening {
    Setup(anyhow::Error),
    Connect(async_nats::ConnectError),
}

async fn try_open(options: ConnectOptions, config: &NatsConfig) -> Result<Client, Opening> {
    readable_files(config).map_err(Opening::Setup)?;
    let options = with_tls(
        with_auth(options, &config.connection.auth)
            .await
            .map_err(Opening::Setup)?,
        &config.connection.tls,
    );
    let addresses = addresses(config).map_err(Opening::Setup)?;
    options.connect(addresses).await.map_err(Opening::Connect)
}

/// How long before its deadline a patient first connection is tried the last time.
const LAST_TRY_EARLY: Duration = Duration::from_millis(300);

/// The files a connection reads, opened before it is tried: one that cannot be read is named
/// with its flag and the system's reason (async-nats says only "other error" or "TLS failed").
fn readable_files(config: &NatsConfig) -> Result<()> {
    let connection = &config.connection;
    let mut files = Vec::new();
    if let Auth::Creds(path) = &connection.auth {
        files.push(("credentials file (--creds)", path));
    }
    if let Some(ca) = &connection.tls.ca {
        files.push(("TLS CA file (--tls-ca)", ca));
    }
    if let Some((cert, key)) = &connection.tls.client {
        files.push(("TLS client certificate (--tls-cert)", cert));
        files.push(("TLS client key (--tls-key)", key));
    }
    for (what, path) in files {
        std::fs::File::open(path).map_err(|err| {
            anyhow!(
                "cannot read the {what} {}: {err}; check the path (a nats context's file counts too)",
                crate::text::escape_path(path)
            )
        })?;
    }
    Ok(())
}

/// The first connection, tried again for `config.connect_wait` while the server refuses it, does
/// not answer or its name does not resolve (a server starting beside latwatch), saying once on
/// stderr that it waits. Credentials, TLS and addresses are never tried again: they will not
/// change.
async fn open_patiently(
    options: impl Fn() -> ConnectOptions,
    config: &NatsConfig,
    shown: &str,
    status: Status,
) -> Result<Client> {
    let Some(wait) = config.connect_wait else {
        return open(options(), config, shown).await;
    };
    let until = tokio::time::Instant::now() + wait;
    // One try comes a little before the deadline: a `--timeout` that set it ends the run at the
    // deadline itself.
    let last_try = until - wait.min(LAST_TRY_EARLY);
    let mut pause = Duration::from_millis(250);
    let mut said = false;
    loop {
        // The last try ends at the deadline too.
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        let options =
            options().connection_timeout(left.clamp(Duration::from_millis(250), CONNECT_TIMEOUT));
        let err = match try_open(options, config).await {
            Ok(client) => return Ok(client),
            Err(Opening::Setup(err)) => return Err(err),
            Err(Opening::Connect(err)) => err,
        };
        let passing = matches!(
            err.kind(),
            ConnectErrorKind::Io | ConnectErrorKind::TimedOut | ConnectErrorKind::Dns
        );
        let now = tokio::time::Instant::now();
        if !passing || now >= until {
            return Err(connect_error(&err, shown, config).context(format!(
                "no connection within {}",
                humantime::format_duration(wait)
            )));
        }
        if !said {
            said = true;
            status.info(format_args!(
                "waiting for the server at {shown} ({}); trying again for up to {}",
                escape_untrusted(&err.to_string()),
                humantime::format_duration(wait)
            ));
        }
        // Tries go on until the deadline, one of them just before it.
        let next = (now + pause).min(if now < last_try { last_try } else { until });
        tokio::time::sleep_until(next).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
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

/// The last part of the subject [`Probe::round_trip`] publishes to, below a fresh inbox.
const PROBE: &str = "latwatch-round-trip";

/// How long "listening" or "reconnected" waits for [`Probe::round_trip`] before it is said
/// anyway (a refused probe ends the wait at once).
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// How long a round trip's message is waited for at most, after `PROBE_WAIT` too, so it is
/// counted whenever it comes.
const PROBE_LIFE: Duration = Duration::from_secs(60);

/// latwatch's proof that the server has processed what the live connection sent before (our
/// subscriptions): an empty message to an inbox of its own, received back. async-nats' `flush`
/// only empties the socket, and it sends no PING of ours.
pub(crate) struct Probe {
    /// Messages taken off the connection that the intake never sees: each echo is one.
    looked_at: Arc<AtomicU64>,
    /// The server refused the probe (a user who may not use `_INBOX.>`): the connection's
    /// notices say so at once, and no round trip is tried again.
    refused: watch::Sender<bool>,
}

impl Probe {
    fn new(looked_at: Arc<AtomicU64>) -> Probe {
        Probe {
            looked_at,
            refused: watch::Sender::new(false),
        }
    }

    /// False when the echo is not back within `wait`, or the server refused the probe. The echo
    /// is counted in `looked_at` before it can arrive (taken back if it never does), so the
    /// intake's loss count never finds it in flight; the server drops the subscription after it.
    async fn round_trip(&self, client: &Client, wait: Duration) -> bool {
        if *self.refused.borrow() {
            return false;
        }
        let mut refused = self.refused.subscribe();
        let subject = format!("{}.{PROBE}", client.new_inbox());
        let Ok(mut echo) = client.subscribe(subject.clone()).await else {
            return false;
        };
        if echo.unsubscribe_after(1).await.is_err() {
            return false;
        }
        self.looked_at.fetch_add(1, Ordering::Relaxed);
        if client.publish(subject, bytes::Bytes::new()).await.is_err() {
            self.looked_at.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        let (back_tx, back) = tokio::sync::oneshot::channel();
        let (looked_at, mut gone) = (self.looked_at.clone(), self.refused.subscribe());
        tokio::spawn(async move {
            let came = tokio::select! {
                echoed = tokio::time::timeout(PROBE_LIFE, echo.next()) => {
                    matches!(echoed, Ok(Some(_)))
                }
                _ = gone.wait_for(|refused| *refused) => false,
            };
            match came {
                true => {
                    let _ = back_tx.send(());
                }
                false => {
                    looked_at.fetch_sub(1, Ordering::Relaxed);
                }
            }
        });
        let _ = client.flush().await;
        tokio::select! {
            back = back => back.is_ok(),
            _ = refused.wait_for(|refused| *refused) => false,
            () = tokio::time::sleep(wait) => false,
        }
    }

    /// The server refused the probe's subscription or publish.
    fn refuse(&self) {
        self.refused.send_replace(true);
    }
}

/// async-nats reports `Connected` before it has re-sent our subscriptions; a round trip after it
/// proves the server has them, so "reconnected" is only said once events flow again.
async fn announce_reconnects(
    client: Client,
    server: Arc<ServerName>,
    status: Status,
    mut outages: mpsc::UnboundedReceiver<Gap>,
    probe: Arc<Probe>,
) {
    while let Some(gap) = outages.recv().await {
        let flushed = tokio::time::timeout(CONNECT_TIMEOUT, client.flush())
            .await
            .is_ok_and(|flushed| flushed.is_ok());
        if !flushed {
            continue;
        }
        probe.round_trip(&client, PROBE_WAIT).await;
        // Outages that ended meanwhile are told as one; one that began meanwhile is told when
        // it ends.
        let mut from = gap.from;
        while let Ok(later) = outages.try_recv() {
            from = from.min(later.from);
        }
        if client.connection_state() != async_nats::connection::State::Connected {
            continue;
        }
        let name = server.learn(&client.server_info());
        status.warn(format_args!(
            "reconnected to {name}; events did not flow for {:.1}s (since {})",
            (Utc::now() - from).num_milliseconds().max(0) as f64 / 1000.0,
            from.with_timezone(&chrono::Local).format("%H:%M:%S%.3f")
        ));
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
    /// latwatch's round trips: a refusal of theirs goes there, not to the watch loop.
    probe: Arc<Probe>,
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
                match Refusal::parse(&why) {
                    // latwatch's own proof that the server has its subscriptions: it only helps.
                    Some(refusal) if refusal.subject.ends_with(PROBE) => self.probe.refuse(),
                    Some(refusal) => {
                        let _ = self.notices.send(Notice::Refused(refusal));
                    }
                    None => {}
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
