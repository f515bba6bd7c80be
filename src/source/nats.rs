//! NATS: connect, subscribe, confirm, then hand messages to the pipeline until told to stop.
//!
//! The first connection must succeed (a clear error and exit 1 otherwise: a typo in `-s` should not
//! leave latwatch silently retrying). After that a disconnect never ends latwatch: async-nats
//! reconnects forever with backoff and re-subscribes, and the user is told on stderr when the
//! connection went and came back, because core NATS does not keep what was published meanwhile.
//!
//! async-nats drops messages without a word when a subscription's channel is full. The loss is
//! visible only as the gap between the connection's `in_messages` and what we took from the channel;
//! [`LossCounter`] watches that gap and reports it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event as NatsEvent};
use chrono::Utc;
use futures_util::stream::{SelectAll, StreamExt};
use futures_util::FutureExt;

use crate::config::{redact, NatsConfig};
use crate::event::{RawMessage, Received};
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline};

/// How long the first connection may take before latwatch gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// At most this many ready messages are handled between flushes (and shutdown checks).
const BATCH: usize = 4096;
/// How often, at most, the loss check reads the connection statistics.
const LOSS_CHECK_EVERY: Duration = Duration::from_millis(250);

/// Connects, subscribes and runs the pipeline until `shutdown` resolves, `--count` is reached or
/// stdout closes.
pub async fn run(
    config: &NatsConfig,
    pipeline: &mut Pipeline,
    status: Status,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let shown = config
        .servers
        .iter()
        .map(|s| redact(s))
        .collect::<Vec<_>>()
        .join(",");
    let client = connect(config, &shown, status).await?;

    let mut messages = SelectAll::new();
    for subject in &config.subjects {
        let subscriber = client
            .subscribe(subject.clone())
            .await
            .with_context(|| format!("cannot subscribe to {subject} on {shown}"))?;
        messages.push(subscriber);
    }
    // The server has the subscription once it answered a round trip: only now is "listening" true.
    client
        .flush()
        .await
        .with_context(|| format!("the server at {shown} did not confirm the subscription"))?;
    status.info(format_args!(
        "listening on {} at {shown}",
        config.subjects.join(", ")
    ));

    let mut losses = LossCounter::new(&client);
    tokio::pin!(shutdown);
    loop {
        let first = tokio::select! {
            biased;
            () = &mut shutdown => break,
            message = messages.next() => message,
        };
        let Some(mut message) = first else {
            break; // every subscription ended: the client was closed
        };
        let mut handled = 0;
        loop {
            let raw = RawMessage {
                subject: Some(message.subject.as_str()),
                payload: &message.payload,
                received: Received::At(Utc::now()),
            };
            if pipeline.handle(raw)? == Flow::Done {
                pipeline.flush()?;
                return Ok(());
            }
            handled += 1;
            if handled == BATCH {
                break;
            }
            match messages.next().now_or_never() {
                Some(Some(next)) => message = next,
                _ => break,
            }
        }
        pipeline.flush()?;
        losses.check(pipeline.received(), status);
    }
    pipeline.flush()?;
    losses.check_now(pipeline.received(), status);
    Ok(())
}

async fn connect(config: &NatsConfig, shown: &str, status: Status) -> Result<Client> {
    let notices = ConnectionNotices::new(shown.to_owned(), status);
    let options = ConnectOptions::new()
        .name("latwatch")
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(None)
        .event_callback(move |event| {
            let notices = notices.clone();
            async move { notices.on(event) }
        });
    let addresses = config
        .servers
        .iter()
        .map(|url| {
            url.parse::<async_nats::ServerAddr>()
                .map_err(|err| anyhow!("--server {}: not a NATS URL ({err})", redact(url)))
        })
        .collect::<Result<Vec<_>>>()?;
    options
        .connect(addresses)
        .await
        .map_err(|err| connect_error(&err, shown))
}

/// One line that names the server and the reason, and a hint.
fn connect_error(err: &async_nats::ConnectError, shown: &str) -> anyhow::Error {
    let detail = err.to_string();
    let (reason, hint) = match err.kind() {
        ConnectErrorKind::Io if detail.to_lowercase().contains("refused") => (
            "connection refused".to_owned(),
            "is nats-server running there? Start one with `nats-server`, or point -s/--server (NATS_URL) at yours",
        ),
        ConnectErrorKind::Dns => (
            format!("name not resolved ({detail})"),
            "check the host name in -s/--server (NATS_URL)",
        ),
        ConnectErrorKind::TimedOut => (
            "timed out".to_owned(),
            "the server did not answer in time: check the address, port and any firewall",
        ),
        ConnectErrorKind::Tls => (
            format!("TLS failed ({detail})"),
            "check that the URL scheme (nats:// or tls://) matches the server's TLS setting",
        ),
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => (
            format!("authorization failed ({detail})"),
            "the server wants credentials: check the user, password, token or creds you gave",
        ),
        ConnectErrorKind::ServerParse => (
            format!("bad server address ({detail})"),
            "use a URL like nats://host:4222",
        ),
        _ => (
            detail,
            "check that the address in -s/--server (NATS_URL) is a reachable NATS server",
        ),
    };
    anyhow!("cannot connect to {shown}: {reason}\n  hint: {hint}")
}

/// Tells the user on stderr when the connection goes and comes back.
#[derive(Clone)]
struct ConnectionNotices {
    shown: Arc<str>,
    status: Status,
    /// When the current outage began; `None` while connected.
    down_since: Arc<Mutex<Option<Instant>>>,
}

impl ConnectionNotices {
    fn new(shown: String, status: Status) -> ConnectionNotices {
        ConnectionNotices {
            shown: shown.into(),
            status,
            down_since: Arc::new(Mutex::new(None)),
        }
    }

    fn on(&self, event: NatsEvent) {
        let Ok(mut down_since) = self.down_since.lock() else {
            return;
        };
        match event {
            NatsEvent::Disconnected if down_since.is_none() => {
                *down_since = Some(Instant::now());
                self.status.warn(format_args!(
                    "disconnected from {}; reconnecting",
                    self.shown
                ));
            }
            NatsEvent::Connected => {
                if let Some(since) = down_since.take() {
                    self.status.warn(format_args!(
                        "reconnected to {} after {:.1}s (events published meanwhile were not received)",
                        self.shown,
                        since.elapsed().as_secs_f64()
                    ));
                }
            }
            NatsEvent::ServerError(err) => self
                .status
                .warn(format_args!("server {} reported: {err}", self.shown)),
            NatsEvent::LameDuckMode => self.status.warn(format_args!(
                "server {} is shutting down (lame duck mode); latwatch will reconnect",
                self.shown
            )),
            // Slow consumers are counted exactly by LossCounter; the rest is noise.
            _ => {}
        }
    }
}

/// Counts messages async-nats received but dropped because the subscription channel was full.
///
/// `in_messages - taken` is the loss plus whatever is in flight. The check runs at flush points,
/// where the channel was just found empty, and a gap counts only once two checks in a row see it,
/// so a message counted by the connection but not yet queued is not mistaken for a loss.
struct LossCounter {
    statistics: Arc<async_nats::Statistics>,
    reported: u64,
    last_gap: u64,
    last_check: Instant,
}

impl LossCounter {
    fn new(client: &Client) -> LossCounter {
        LossCounter {
            statistics: client.statistics(),
            reported: 0,
            last_gap: 0,
            last_check: Instant::now(),
        }
    }

    fn check(&mut self, taken: u64, status: Status) {
        if self.last_check.elapsed() >= LOSS_CHECK_EVERY {
            self.check_now(taken, status);
        }
    }

    fn check_now(&mut self, taken: u64, status: Status) {
        self.last_check = Instant::now();
        let received = self
            .statistics
            .in_messages
            .load(std::sync::atomic::Ordering::Relaxed);
        let gap = received.saturating_sub(taken);
        let confirmed = gap.min(self.last_gap);
        self.last_gap = gap;
        if confirmed > self.reported {
            status.warn(format_args!(
                "{} events were dropped inside latwatch because output could not keep up \
                 ({} lost in all); a faster consumer of stdout, or a narrower filter, avoids it",
                confirmed - self.reported,
                confirmed
            ));
            self.reported = confirmed;
        }
    }
}
