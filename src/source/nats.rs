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
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event as NatsEvent};
use chrono::{DateTime, Utc};
use futures_util::stream::{Stream, StreamExt};
use futures_util::FutureExt;
use tokio::sync::mpsc;

use crate::config::{redact, Auth, NatsConfig, Tls};
use crate::event::{subject_lattice, RawMessage, Received};
use crate::output::Status;
use crate::pipeline::{Flow, Pipeline, Stop};
use crate::render::style::escape_untrusted;
use crate::source::{jetstream, Limits};

/// How long the first connection may take before latwatch gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
/// At most this many ready messages are handled between flushes (and shutdown checks).
const BATCH: usize = 4096;
/// Messages async-nats may queue for latwatch before it drops (and latwatch reports) the excess.
/// A queued ~700-byte event costs about 1.7 KB, so a full queue of async-nats' default 65,536 came
/// to 110 MiB in the flat-out benchmark. Half of that keeps a worst burst under 64 MiB; speed, not
/// a bigger buffer, is what keeps up (`--json` takes 1M events flat out with this queue, 0 lost).
const SUBSCRIPTION_CAPACITY: usize = 32_768;
/// How often, at most, the loss check reads the connection statistics.
const LOSS_CHECK_EVERY: Duration = Duration::from_millis(250);

/// Connects, subscribes and runs the pipeline until `shutdown` resolves, `--count` is reached or
/// stdout closes.
pub async fn run(
    config: &NatsConfig,
    pipeline: &mut Pipeline,
    status: Status,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    // `--timeout` counts from the start, connecting included; a year stands in for "never".
    let never = Duration::from_secs(365 * 86_400);
    let deadline = tokio::time::sleep(limits.timeout.unwrap_or(never));
    tokio::pin!(deadline);
    tokio::pin!(shutdown);
    let shown = config
        .servers
        .iter()
        .map(|s| redact(s))
        .collect::<Vec<_>>()
        .join(",");
    if let Some((name, path)) = &config.context {
        status.info(format_args!(
            "using nats context {name} ({})",
            path.display()
        ));
    }
    let (client, mut notices) = connect(config, &shown, status).await?;

    let mut subscribers = Vec::with_capacity(config.subjects.len());
    for subject in &config.subjects {
        let subscriber = client
            .subscribe(subject.clone())
            .await
            .with_context(|| format!("cannot subscribe to {subject} on {shown}"))?;
        subscribers.push(subscriber);
    }
    // One subscription (the usual case) is polled directly: merging streams costs a
    // FuturesUnordered round per message, and one channel keeps arrival order exactly.
    let mut messages: Pin<Box<dyn Stream<Item = async_nats::Message> + Send>> =
        if subscribers.len() == 1 {
            Box::pin(subscribers.remove(0))
        } else {
            Box::pin(futures_util::stream::select_all(subscribers))
        };
    // The server has the subscription once it answered a round trip: only now is "listening" true.
    client
        .flush()
        .await
        .with_context(|| format!("the server at {shown} did not confirm the subscription"))?;
    status.info(format_args!(
        "listening on {} at {shown}",
        config.subjects.join(", ")
    ));

    // History first; live messages wait in the subscription meanwhile.
    if let Some(replay) = &config.replay {
        let replaying = async {
            let replay_client = connect_for_replay(config, &shown).await?;
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

    let looked_at = Arc::new(AtomicU64::new(0));
    let mut losses = LossCounter::new(&client, looked_at.clone());
    // Without a hint the timer is never polled (`hint_pending` is false); a year keeps it inert.
    let hint = tokio::time::sleep(
        config
            .silence_hint
            .unwrap_or(Duration::from_secs(365 * 86_400)),
    );
    tokio::pin!(hint);
    let mut hint_pending = config.silence_hint.is_some();
    // A loss is confirmed by two looks at the statistics; when a burst ends nothing else would
    // trigger the second look, so an idle tick does.
    let mut idle_tick = tokio::time::interval(LOSS_CHECK_EVERY);
    let idle_for = limits.idle.unwrap_or(never);
    let idle = tokio::time::sleep(idle_for);
    tokio::pin!(idle);
    'watch: loop {
        let mut message = tokio::select! {
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
            message = messages.next() => match message {
                Some(message) => message,
                None => break, // every subscription ended: the client was closed
            },
            _ = idle_tick.tick() => match losses.quiet_point(&mut messages, pipeline.received(), status) {
                None => {
                    // Nothing arriving is when hosts go silent: look for them.
                    pipeline.tick(Utc::now())?;
                    pipeline.flush()?;
                    continue;
                }
                Some(Some(message)) => message,
                Some(None) => break,
            },
            () = &mut hint, if hint_pending => {
                hint_pending = false;
                if pipeline.received() == 0 {
                    tokio::spawn(explain_silence(
                        client.clone(),
                        config.subjects.join(", "),
                        shown.clone(),
                        config.silence_hint.unwrap_or_default(),
                        status,
                        looked_at.clone(),
                    ));
                }
                continue;
            }
            Some(notice) = notices.recv() => match notice {
                Notice::Gap { from, to } => {
                    pipeline.gap(from, to)?;
                    pipeline.flush()?;
                    continue;
                }
                Notice::Fatal(why) => {
                    pipeline.flush()?;
                    return Err(anyhow!(why));
                }
            },
        };
        let mut handled = 0;
        loop {
            let raw = RawMessage {
                subject: Some(message.subject.as_str()),
                payload: &message.payload,
                received: Received::Now,
            };
            if pipeline.handle(raw)? == Flow::Done {
                break 'watch;
            }
            handled += 1;
            if handled == BATCH {
                break;
            }
            match losses.quiet_point(&mut messages, pipeline.received(), status) {
                Some(Some(next)) => message = next,
                Some(None) => break 'watch,
                None => break,
            }
        }
        pipeline.flush()?;
        idle.as_mut().reset(tokio::time::Instant::now() + idle_for);
    }
    pipeline.flush()?;
    Ok(())
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
            lattices.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    status.warn(format_args!(
        "nothing received on {subjects} at {shown} in {}s; every wasmCloud 1.x host heartbeats \
         every 30s, so this is likely the wrong server or lattice (--lattice, -s); {seen}",
        waited.as_secs()
    ));
}

/// When an outage began: a monotonic instant for its length, the wall clock for the gap record.
type OutageStart = (Instant, DateTime<Utc>);

/// What the connection tells the watch loop.
enum Notice {
    /// The connection was down from `from` to `to`: events published then were not received.
    Gap {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// latwatch cannot go on (credentials refused after a reconnect).
    Fatal(String),
}

async fn connect(
    config: &NatsConfig,
    shown: &str,
    status: Status,
) -> Result<(Client, mpsc::UnboundedReceiver<Notice>)> {
    let (outages_tx, outages_rx) = mpsc::unbounded_channel();
    let (notices_tx, notices_rx) = mpsc::unbounded_channel();
    let notices = ConnectionNotices::new(shown.to_owned(), status, outages_tx, notices_tx.clone());
    let options = ConnectOptions::new()
        .name("latwatch")
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(None)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .event_callback(move |event| {
            let notices = notices.clone();
            async move { notices.on(event) }
        });
    let options = with_tls(with_auth(options, &config.auth).await?, &config.tls);
    let client = options
        .connect(addresses(config)?)
        .await
        .map_err(|err| connect_error(&err, shown, config))?;
    tokio::spawn(announce_reconnects(
        client.clone(),
        shown.to_owned(),
        status,
        outages_rx,
        notices_tx,
    ));
    Ok((client, notices_rx))
}

fn addresses(config: &NatsConfig) -> Result<Vec<async_nats::ServerAddr>> {
    config
        .servers
        .iter()
        .map(|url| {
            url.parse::<async_nats::ServerAddr>()
                .map_err(|err| anyhow!("--server {}: not a NATS URL ({err})", redact(url)))
        })
        .collect()
}

/// A second connection, for the JetStream replay: same server, credentials and TLS; its own
/// message counts, so the live subscription's loss accounting stays exact.
async fn connect_for_replay(config: &NatsConfig, shown: &str) -> Result<Client> {
    let options = ConnectOptions::new()
        .name("latwatch-replay")
        .connection_timeout(CONNECT_TIMEOUT);
    let options = with_tls(with_auth(options, &config.auth).await?, &config.tls);
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
                path.display(),
                err.kind()
            )
        })?,
        Auth::Nkey(path) => {
            let seed = std::fs::read_to_string(path).map_err(|err| {
                anyhow!("--nkey {}: cannot read the seed file ({err})", path.display())
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
    shown: String,
    status: Status,
    mut outages: mpsc::UnboundedReceiver<OutageStart>,
    notices: mpsc::UnboundedSender<Notice>,
) {
    while let Some((since, from)) = outages.recv().await {
        if tokio::time::timeout(CONNECT_TIMEOUT, client.flush())
            .await
            .is_ok_and(|flushed| flushed.is_ok())
        {
            status.warn(format_args!(
                "reconnected to {shown} after {:.1}s (events published meanwhile were not received)",
                since.elapsed().as_secs_f64()
            ));
            let _ = notices.send(Notice::Gap {
                from,
                to: Utc::now(),
            });
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
            match config.auth {
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
    let ca = if config.tls.ca.is_some() {
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

/// Tells the user on stderr when the connection goes; hands the outage start to
/// [`announce_reconnects`] when it comes back; turns refused credentials after a reconnect into a
/// fatal notice (retrying forever with credentials the server no longer takes helps nobody).
#[derive(Clone)]
struct ConnectionNotices {
    shown: Arc<str>,
    status: Status,
    /// When the current outage began; `None` while connected.
    down_since: Arc<Mutex<Option<OutageStart>>>,
    outages: mpsc::UnboundedSender<OutageStart>,
    notices: mpsc::UnboundedSender<Notice>,
}

impl ConnectionNotices {
    fn new(
        shown: String,
        status: Status,
        outages: mpsc::UnboundedSender<OutageStart>,
        notices: mpsc::UnboundedSender<Notice>,
    ) -> ConnectionNotices {
        ConnectionNotices {
            shown: shown.into(),
            status,
            down_since: Arc::new(Mutex::new(None)),
            outages,
            notices,
        }
    }

    fn on(&self, event: NatsEvent) {
        let Ok(mut down_since) = self.down_since.lock() else {
            return;
        };
        match event {
            NatsEvent::Disconnected if down_since.is_none() => {
                *down_since = Some((Instant::now(), Utc::now()));
                self.status.warn(format_args!(
                    "disconnected from {}; reconnecting",
                    self.shown
                ));
            }
            NatsEvent::Connected => {
                if let Some(since) = down_since.take() {
                    let _ = self.outages.send(since);
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
                    self.shown
                )));
            }
            NatsEvent::ServerError(async_nats::ServerError::AuthorizationViolation) => {
                let _ = self.notices.send(Notice::Fatal(format!(
                    "{} refused latwatch's credentials after a reconnect (authorization violation)\n  \
                     hint: the server's users or credentials changed; restart latwatch with valid ones",
                    self.shown
                )));
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
/// The connection task counts a message (`in_messages`) just before it tries to queue it, one
/// message at a time. So if the counter is read first and the channel is then found empty, every
/// message it counted was taken by us, dropped, or is the one message between count and queue:
/// the loss is the gap or the gap minus one. When the counter has not moved since the last look
/// (at least [`LOSS_CHECK_EVERY`] ago), nothing is in flight and the gap is exactly the loss.
/// Only what is certain is reported, so a report never has to be taken back.
struct LossCounter {
    statistics: Arc<async_nats::Statistics>,
    /// Messages the silence hint's look received on the same connection: not ours to count.
    looked_at: Arc<AtomicU64>,
    reported: u64,
    /// `in_messages` at the last look.
    last_counted: u64,
    last_look: Instant,
}

impl LossCounter {
    fn new(client: &Client, looked_at: Arc<AtomicU64>) -> LossCounter {
        LossCounter {
            statistics: client.statistics(),
            looked_at,
            reported: 0,
            last_counted: u64::MAX,
            last_look: Instant::now(),
        }
    }

    /// The next ready message (`Some(Some)`), the end of every subscription (`Some(None)`), or
    /// `None` when nothing is ready, in which case the loss has been checked.
    fn quiet_point<S>(
        &mut self,
        messages: &mut S,
        taken: u64,
        status: Status,
    ) -> Option<Option<async_nats::Message>>
    where
        S: futures_util::Stream<Item = async_nats::Message> + Unpin,
    {
        // `unconstrained`: tokio's cooperative budget would otherwise answer "not ready" after a
        // hundred-odd receives even with messages queued, and "empty" must mean empty.
        if let Some(next) = tokio::task::unconstrained(messages.next()).now_or_never() {
            return Some(next);
        }
        let counted = self.statistics.in_messages.load(Ordering::Acquire);
        if let Some(next) = tokio::task::unconstrained(messages.next()).now_or_never() {
            return Some(next);
        }
        if self.last_look.elapsed() >= LOSS_CHECK_EVERY {
            let others = self.looked_at.load(Ordering::Relaxed);
            self.look(counted, counted.saturating_sub(taken + others), status);
        }
        None
    }

    fn look(&mut self, counted: u64, gap: u64, status: Status) {
        self.last_look = Instant::now();
        let settled = counted == self.last_counted;
        self.last_counted = counted;
        let confirmed = if settled { gap } else { gap.saturating_sub(1) };
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
