//! The intake: a task that moves every message off the NATS subscriptions the moment it arrives,
//! into a queue bounded by bytes (`--buffer`, 256 MiB by default), so that a slow stdout costs
//! memory, not events.
//!
//! async-nats drops messages without a word when a subscription's channel (a count, not bytes)
//! is full; with stdout the bottleneck a `| slow reader` lost a third of a 50k burst. The intake
//! keeps that channel empty: it runs on the runtime's worker, does no decoding, and hands batches
//! to the watch loop (`source::nats`) through [`Queue`]. Only past the byte budget does it drop
//! (a message larger than the whole budget passes when nothing else is held), and then it says so
//! at once, counts exactly what it dropped, and puts a [`Gap`] in the queue at
//! the place the dropped messages would have been, so the watch loop can fill it from a stream in
//! order. Reconnects are put in the queue the same way.
//!
//! It also keeps the connection's [`Liveness`]: the last moment events were known to flow (a
//! message, or a keepalive round trip), which is when an outage began; and it notices when
//! latwatch itself was frozen (SIGSTOP, a starved machine), since a server cuts a client that
//! stops reading as a slow consumer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{Stream, StreamExt};
use futures_util::FutureExt;
use tokio::sync::{mpsc, Notify};

use crate::event::{decode, RawMessage, Received};
use crate::gap::{Gap, GapReason};
use crate::output::Status;
use crate::record::Recorder;
use crate::text::escape_untrusted;

/// The subscriptions, merged.
pub type Messages = Pin<Box<dyn Stream<Item = async_nats::Message> + Send>>;

/// At most this many messages move to the queue in one batch.
const BATCH: usize = 4096;
/// How often the intake looks around when nothing arrives (losses, freezes).
const TICK: Duration = Duration::from_millis(250);
/// A turn of the intake that comes this late means latwatch was not running meanwhile.
const FROZEN_AFTER: Duration = Duration::from_secs(2);
/// After a freeze, a keepalive round trip proves the connection only if it began this long after
/// the freeze ended (buffered answers are read within moments).
const AFTER_A_FREEZE_MS: i64 = 1000;
/// "The buffer is full" is said at most this often (each episode's count is said with its gap).
const WARN_EVERY: Duration = Duration::from_secs(10);
/// Bookkeeping a queued message costs beside its subject and payload: the message struct, the
/// queue slot, the allocator's share.
const OVERHEAD: usize = 128;

/// What the watch loop takes from the queue. Small (a subject, a payload, a time): a slot is
/// paid for every message held.
pub enum Item {
    /// A message, with the time its batch arrived.
    Message {
        subject: async_nats::Subject,
        payload: Bytes,
        received: DateTime<Utc>,
        /// Kept for a wasmCloud 2 request only (`--workloads`): it pairs the host's answer.
        reply: Option<async_nats::Subject>,
    },
    /// Events may be missing here.
    Gap(Box<GapMark>),
}

/// A gap in the queue, and the payload of the last message queued before it (a stream fill
/// starts after that event).
pub struct GapMark {
    pub gap: Gap,
    pub last_seen: Option<Bytes>,
    /// For the intake's own drops: the first and the last message it dropped. It received (and
    /// recorded) every one of them, so a fill knows exactly where they lie in a stream.
    pub dropped: Option<(Bytes, Bytes)>,
}

impl Item {
    fn gap(gap: Gap, last_seen: &Option<Bytes>) -> Item {
        Item::Gap(Box::new(GapMark {
            gap,
            last_seen: last_seen.clone(),
            dropped: None,
        }))
    }
}

/// What one queued message is charged against the budget.
pub fn cost(subject: &str, payload: &[u8]) -> usize {
    payload.len() + subject.len() + OVERHEAD
}

/// The queue between the intake and the watch loop, bounded by the bytes it holds.
pub struct Queue {
    items: Mutex<VecDeque<Item>>,
    /// Bytes of the messages queued or taken but not yet handled.
    held: AtomicUsize,
    budget: usize,
    /// Set when the intake added something.
    ready: Notify,
    /// Every subscription ended (the client closed).
    closed: AtomicBool,
    /// Messages the intake has taken off the subscriptions (queued, or dropped past the budget).
    taken: AtomicU64,
}

impl Queue {
    pub fn new(budget: usize) -> Queue {
        Queue {
            items: Mutex::new(VecDeque::new()),
            held: AtomicUsize::new(0),
            budget,
            ready: Notify::new(),
            closed: AtomicBool::new(false),
            taken: AtomicU64::new(0),
        }
    }

    fn push(&self, batch: &mut Vec<Item>, bytes: usize) {
        if batch.is_empty() {
            return;
        }
        self.held.fetch_add(bytes, Ordering::AcqRel);
        if let Ok(mut items) = self.items.lock() {
            items.extend(batch.drain(..));
        }
        self.ready.notify_one();
    }

    /// Moves everything queued into `into` (which must be empty): one lock per batch.
    pub fn take(&self, into: &mut VecDeque<Item>) {
        if let Ok(mut items) = self.items.lock() {
            std::mem::swap(&mut *items, into);
        }
    }

    /// The watch loop handled messages worth `bytes`.
    pub fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Resolves when the intake has added something since the last call.
    pub async fn ready(&self) {
        self.ready.notified().await
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// How many messages the intake has taken off the subscriptions, every one of them in the
    /// queue by now or dropped (compare the connection's `in_messages`).
    pub fn taken(&self) -> u64 {
        self.taken.load(Ordering::Acquire)
    }
}

/// When events last flowed on the connection, for timing outages from their real start.
#[derive(Debug, Default)]
pub struct Liveness {
    /// Milliseconds since the epoch of the last proof: a message, or a keepalive round trip.
    alive_ms: AtomicI64,
    /// After a freeze, messages read from the socket's buffer prove nothing until a round trip
    /// does.
    suspect: AtomicBool,
    /// The last freeze: when it began (ms since the epoch) and how long it lasted (ms).
    frozen_at_ms: AtomicI64,
    frozen_for_ms: AtomicI64,
}

impl Liveness {
    pub fn new(now: DateTime<Utc>) -> Liveness {
        let liveness = Liveness::default();
        liveness
            .alive_ms
            .store(now.timestamp_millis(), Ordering::Release);
        liveness
    }

    fn on_messages(&self, now: DateTime<Utc>) {
        if !self.suspect.load(Ordering::Relaxed) {
            self.alive_ms
                .store(now.timestamp_millis(), Ordering::Release);
        }
    }

    /// A keepalive round trip that began at `started` succeeded at `now`: the connection
    /// delivers. After a freeze only a round trip begun well after it counts: the socket's buffer
    /// may still hold an answer the server sent before it cut latwatch off.
    pub fn on_round_trip(&self, started: DateTime<Utc>, now: DateTime<Utc>) {
        if self.suspect.load(Ordering::Relaxed) {
            let frozen_at = self.frozen_at_ms.load(Ordering::Acquire);
            let frozen_for = self.frozen_for_ms.load(Ordering::Acquire);
            if started.timestamp_millis() < frozen_at + frozen_for + AFTER_A_FREEZE_MS {
                return;
            }
        }
        self.suspect.store(false, Ordering::Relaxed);
        self.alive_ms
            .store(now.timestamp_millis(), Ordering::Release);
    }

    fn froze(&self, from: DateTime<Utc>, lasted: Duration) {
        self.alive_ms
            .fetch_min(from.timestamp_millis(), Ordering::AcqRel);
        self.suspect.store(true, Ordering::Relaxed);
        self.frozen_at_ms
            .store(from.timestamp_millis(), Ordering::Release);
        self.frozen_for_ms
            .store(lasted.as_millis() as i64, Ordering::Release);
    }

    /// The last moment events were known to reach latwatch.
    pub fn alive_since(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.alive_ms.load(Ordering::Acquire))
            .unwrap_or_else(Utc::now)
    }

    /// A freeze that ended within `recent` of `now`: (when it began, how long it lasted).
    pub fn recent_freeze(
        &self,
        now: DateTime<Utc>,
        recent: Duration,
    ) -> Option<(DateTime<Utc>, Duration)> {
        let lasted = self.frozen_for_ms.load(Ordering::Acquire);
        let from = DateTime::from_timestamp_millis(self.frozen_at_ms.load(Ordering::Acquire))?;
        let lasted = chrono::Duration::milliseconds(lasted);
        let ended = from + lasted;
        (lasted > chrono::Duration::zero()
            && now - ended <= chrono::Duration::from_std(recent).ok()?)
        .then(|| (from, lasted.to_std().unwrap_or_default()))
    }
}

/// Moves a batch into the queue, remembering its last message (what a later gap follows): one
/// reference count a batch rather than one a message, whose cache line the watch loop's thread
/// would otherwise fight over.
fn push(queue: &Queue, batch: &mut Vec<Item>, bytes: usize, last_seen: &mut Option<Bytes>) {
    *last_seen = latest(batch, last_seen);
    queue.push(batch, bytes);
}

/// The payload of the last message in `batch`, else `before`.
fn latest(batch: &[Item], before: &Option<Bytes>) -> Option<Bytes> {
    batch
        .iter()
        .rev()
        .find_map(|item| match item {
            Item::Message { payload, .. } => Some(payload.clone()),
            Item::Gap(_) => None,
        })
        .or_else(|| before.clone())
}

/// What the intake needs besides the subscriptions.
pub struct Intake {
    pub queue: Arc<Queue>,
    pub liveness: Arc<Liveness>,
    pub statistics: Arc<async_nats::Statistics>,
    /// Messages the silence hint received on the same connection: not the subscriptions'.
    pub looked_at: Arc<AtomicU64>,
    /// Reconnects (and other gaps found outside), to put in the queue where they happened.
    pub gaps: mpsc::UnboundedReceiver<Gap>,
    /// `--record`: every message that reached latwatch, queued as it arrives (the recorder's
    /// thread writes it), however slow stdout or the file is.
    pub recorder: Option<Recorder>,
    pub status: Status,
}

/// Where a drop episode stands.
struct Dropping {
    from: DateTime<Utc>,
    /// When the last message of the episode was dropped.
    last: DateTime<Utc>,
    count: u64,
    /// "Output is slower" was considered for this episode (an event larger than the buffer is
    /// not a slow output).
    said_slow: bool,
    /// The first and the last message dropped.
    first_dropped: Bytes,
    last_dropped: Bytes,
}

impl Dropping {
    /// The episode as a gap in the queue, where the dropped messages would have been.
    fn gap(self, to: DateTime<Utc>, last_seen: &Option<Bytes>) -> Item {
        let mut gap = Gap::new(self.from, to, GapReason::Dropped);
        gap.lost = Some(self.count);
        Item::Gap(Box::new(GapMark {
            gap,
            last_seen: last_seen.clone(),
            dropped: Some((self.first_dropped, self.last_dropped)),
        }))
    }
}

impl Intake {
    /// Runs until every subscription ends, then closes the queue.
    pub async fn run(mut self, mut messages: Messages) {
        let mut batch: Vec<Item> = Vec::with_capacity(BATCH);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_turn = Instant::now();
        let mut dropping: Option<Dropping> = None;
        let mut last_seen: Option<Bytes> = None;
        let mut losses = LossCounter::new(self.statistics.clone(), self.looked_at.clone());
        let mut taken = 0u64;
        let mut quiet_since = Utc::now();
        let mut warned: Option<Instant> = None;
        let mut warned_oversized: Option<Instant> = None;
        // The cost of a message larger than the budget that is held, if one is.
        let mut large = 0usize;
        loop {
            let first = tokio::select! {
                biased;
                Some(gap) = self.gaps.recv() => {
                    batch.push(Item::gap(gap, &last_seen));
                    push(&self.queue, &mut batch, 0, &mut last_seen);
                    continue;
                }
                message = messages.next() => match message {
                    Some(message) => message,
                    None => break,
                },
                _ = tick.tick() => {
                    self.notice_freeze(&mut last_turn);
                    // The end of a burst may be dropped with no message after it to close the
                    // episode: close it once the buffer has drained to half.
                    if dropping.is_some()
                        && self.queue.held.load(Ordering::Acquire) <= self.queue.budget / 2
                    {
                        if let Some(episode) = dropping.take() {
                            let to = episode.last;
                            batch.push(episode.gap(to, &last_seen));
                            push(&self.queue, &mut batch, 0, &mut last_seen);
                        }
                    }
                    if let Some(lost) = losses.look(taken) {
                        self.lost_inside_client(lost, quiet_since, &last_seen);
                    }
                    quiet_since = Utc::now();
                    continue;
                }
            };
            self.notice_freeze(&mut last_turn);
            let now = Utc::now();
            let mut held = self.queue.held.load(Ordering::Acquire);
            let mut added = 0usize;
            let mut next = Some(first);
            let mut ended = false;
            while let Some(message) = next.take() {
                // The `--workloads` tap counts what it takes off the connection itself (in
                // `looked_at`, as it receives it): a message it passes on is not counted twice.
                if !crate::v2::carries_secrets(&message.subject) {
                    taken += 1;
                }
                if let Some(recorder) = &mut self.recorder {
                    // Queued for the recorder's own thread: a stuck file never holds this task up.
                    recorder.record(&decode(RawMessage {
                        subject: Some(message.subject.as_str()),
                        payload: &message.payload,
                        received: Received::Live(now),
                        // A v2 request's only: an event is published, never requested.
                        reply: message
                            .reply
                            .as_deref()
                            .filter(|_| message.subject.starts_with(crate::v2::HOST_PREFIX)),
                    }));
                }
                let cost = cost(&message.subject, &message.payload);
                // A message larger than the whole budget passes when nothing else is held (the
                // output is idle), and is not counted against the others: memory stays within
                // the budget plus that one message. Held bytes below its cost mean it was
                // handled (the others never hold more than the budget, less than it).
                if held < large {
                    large = 0;
                }
                let oversized = cost > self.queue.budget;
                let admitted = match oversized {
                    true => held == 0,
                    false => held - large + cost <= self.queue.budget,
                };
                if oversized && admitted {
                    large = cost;
                }
                if !admitted {
                    if oversized && warned_oversized.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                        warned_oversized = Some(Instant::now());
                        self.status.warn(format_args!(
                            "an event of {:.1} MiB on {} is larger than the whole {} MiB --buffer \
                             and earlier events are still being written: dropped (--buffer \
                             raises it)",
                            message.payload.len() as f64 / f64::from(1 << 20),
                            escape_untrusted(&message.subject),
                            self.queue.budget >> 20
                        ));
                    }
                    let episode = dropping.get_or_insert(Dropping {
                        from: now,
                        last: now,
                        count: 0,
                        said_slow: false,
                        first_dropped: message.payload.clone(),
                        last_dropped: Bytes::new(),
                    });
                    if !oversized && !episode.said_slow {
                        episode.said_slow = true;
                        if warned.is_none_or(|at: Instant| at.elapsed() >= WARN_EVERY) {
                            warned = Some(Instant::now());
                            self.status.warn(format_args!(
                                "output is slower than the lattice and the {} MiB buffer is full: \
                             dropping events until it drains (--buffer raises it; a faster \
                             consumer of stdout or a narrower filter avoids it)",
                                self.queue.budget >> 20
                            ));
                        }
                    }
                    episode.count += 1;
                    episode.last = now;
                    episode.last_dropped = message.payload;
                } else {
                    if let Some(episode) = dropping.take() {
                        let seen = latest(&batch, &last_seen);
                        batch.push(episode.gap(now, &seen));
                    }
                    held += cost;
                    added += cost;
                    // Only the wasmCloud 2 requests `--workloads` lets through carry a reply
                    // subject here (events are published, never requested).
                    let reply = message
                        .reply
                        .filter(|_| message.subject.starts_with(crate::v2::HOST_PREFIX));
                    batch.push(Item::Message {
                        subject: message.subject,
                        payload: message.payload,
                        received: now,
                        reply,
                    });
                }
                if batch.len() >= BATCH {
                    push(
                        &self.queue,
                        &mut batch,
                        std::mem::take(&mut added),
                        &mut last_seen,
                    );
                    self.queue.taken.store(taken, Ordering::Release);
                    held = self.queue.held.load(Ordering::Acquire);
                }
                // `unconstrained`: tokio's cooperative budget would otherwise answer "not ready"
                // after a hundred-odd receives with messages still queued.
                next = match tokio::task::unconstrained(messages.next()).now_or_never() {
                    Some(Some(message)) => Some(message),
                    Some(None) => {
                        ended = true;
                        None
                    }
                    None => {
                        // Nothing ready: the moment to check async-nats' books (see
                        // LossCounter), after reading the counter and polling once more.
                        let counted = losses.count();
                        match tokio::task::unconstrained(messages.next()).now_or_never() {
                            Some(Some(message)) => Some(message),
                            Some(None) => {
                                ended = true;
                                None
                            }
                            None => {
                                if let Some(lost) = losses.look_at(counted, taken) {
                                    push(
                                        &self.queue,
                                        &mut batch,
                                        std::mem::take(&mut added),
                                        &mut last_seen,
                                    );
                                    self.lost_inside_client(lost, quiet_since, &last_seen);
                                }
                                None
                            }
                        }
                    }
                };
            }
            push(&self.queue, &mut batch, added, &mut last_seen);
            self.queue.taken.store(taken, Ordering::Release);
            self.liveness.on_messages(now);
            quiet_since = Utc::now();
            if ended {
                break;
            }
        }
        if let Some(episode) = dropping.take() {
            let to = episode.last;
            batch.push(episode.gap(to, &last_seen));
            push(&self.queue, &mut batch, 0, &mut last_seen);
        }
        self.queue.closed.store(true, Ordering::Release);
        self.queue.ready.notify_one();
    }

    /// async-nats dropped `lost` messages since `since`: a gap in the queue, said at once.
    fn lost_inside_client(&self, lost: u64, since: DateTime<Utc>, last_seen: &Option<Bytes>) {
        self.status.warn(format_args!(
            "{lost} events were dropped by the NATS client's own queue before latwatch could \
             take them (the machine was too busy)"
        ));
        let mut gap = Gap::new(since, Utc::now(), GapReason::Dropped);
        gap.lost = Some(lost);
        let mut batch = vec![Item::gap(gap, last_seen)];
        self.queue.push(&mut batch, 0);
    }

    /// A turn that came [`FROZEN_AFTER`] late: latwatch was not running (stopped, starved).
    fn notice_freeze(&self, last_turn: &mut Instant) {
        let now = Instant::now();
        let stalled = now - *last_turn;
        *last_turn = now;
        if stalled >= FROZEN_AFTER {
            let lasted = chrono::Duration::from_std(stalled).unwrap_or_default();
            self.liveness.froze(Utc::now() - lasted, stalled);
        }
    }
}

/// Counts messages async-nats received but dropped because the subscription channel was full.
///
/// The connection task counts a message (`in_messages`) just before it tries to queue it, one
/// message at a time. So if the counter is read first and the channel is then found empty, every
/// message it counted was taken by the intake, dropped, or is the one message between count and
/// queue: the loss is the gap or the gap minus one. When the counter has not moved since the last
/// look (at least [`TICK`] ago), nothing is in flight and the gap is exactly the loss. Only what
/// is certain is reported, so a report never has to be taken back.
struct LossCounter {
    statistics: Arc<async_nats::Statistics>,
    looked_at: Arc<AtomicU64>,
    reported: u64,
    /// `in_messages` at the last look.
    last_counted: u64,
    last_look: Instant,
}

impl LossCounter {
    fn new(statistics: Arc<async_nats::Statistics>, looked_at: Arc<AtomicU64>) -> LossCounter {
        LossCounter {
            statistics,
            looked_at,
            reported: 0,
            last_counted: u64::MAX,
            last_look: Instant::now(),
        }
    }

    fn count(&self) -> u64 {
        self.statistics.in_messages.load(Ordering::Acquire)
    }

    /// A look when nothing has arrived for a tick: the channel is empty.
    fn look(&mut self, taken: u64) -> Option<u64> {
        let counted = self.count();
        self.look_at(counted, taken)
    }

    /// Newly confirmed losses, given `counted` read before the channel was found empty.
    fn look_at(&mut self, counted: u64, taken: u64) -> Option<u64> {
        if self.last_look.elapsed() < TICK {
            return None;
        }
        self.last_look = Instant::now();
        let others = self.looked_at.load(Ordering::Relaxed);
        let gap = counted.saturating_sub(taken + others);
        let settled = counted == self.last_counted;
        self.last_counted = counted;
        let confirmed = if settled { gap } else { gap.saturating_sub(1) };
        (confirmed > self.reported).then(|| {
            let new = confirmed - self.reported;
            self.reported = confirmed;
            new
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freeze_moves_the_last_proof_back_and_is_remembered() {
        let start = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(100);
        let liveness = Liveness::new(start);
        liveness.on_messages(start + chrono::Duration::seconds(10));
        assert_eq!(
            liveness.alive_since(),
            start + chrono::Duration::seconds(10)
        );
        liveness.froze(
            start + chrono::Duration::seconds(5),
            Duration::from_secs(12),
        );
        assert_eq!(liveness.alive_since(), start + chrono::Duration::seconds(5));
        liveness.on_messages(start + chrono::Duration::seconds(18));
        assert_eq!(
            liveness.alive_since(),
            start + chrono::Duration::seconds(5),
            "messages read after a freeze prove nothing"
        );
        let freeze = liveness.recent_freeze(
            start + chrono::Duration::seconds(20),
            Duration::from_secs(30),
        );
        assert_eq!(
            freeze,
            Some((
                start + chrono::Duration::seconds(5),
                Duration::from_secs(12)
            ))
        );
        assert!(liveness
            .recent_freeze(
                start + chrono::Duration::seconds(100),
                Duration::from_secs(30)
            )
            .is_none());
        let resumed = start + chrono::Duration::seconds(17);
        liveness.on_round_trip(resumed, resumed + chrono::Duration::milliseconds(5));
        assert_eq!(
            liveness.alive_since(),
            start + chrono::Duration::seconds(5),
            "an answer read right after the freeze may be a stale one"
        );
        liveness.on_round_trip(
            start + chrono::Duration::seconds(19),
            start + chrono::Duration::seconds(19),
        );
        liveness.on_messages(start + chrono::Duration::seconds(21));
        assert_eq!(
            liveness.alive_since(),
            start + chrono::Duration::seconds(21)
        );
    }
}
