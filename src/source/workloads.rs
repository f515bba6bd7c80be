//! `--workloads`: the operator's requests to wasmCloud 2 hosts and the hosts' answers, taken off
//! NATS beside the events.
//!
//! A subscription on `runtime.host.<id>.>` is interest in that host's requests: while one exists, a
//! request to a host that died no longer fails fast with "no responders" but waits for its
//! timeout. So latwatch listens there only for hosts heartbeating now (lattice memory's
//! `Lattice::v2_alive`, sent here by the watch loop as it changes) and unsubscribes as soon as a
//! host is judged silent. The answers come on the askers' inboxes (`_INBOX.>`, one subscription
//! for the run: a broadcast has no responders to steal).
//!
//! Every message passes [`crate::v2::Gate`] here, before the intake queues or records it: a
//! `workload.start` is redacted (or dropped when it cannot be read), and an inbox message goes on
//! only when it answers a request that went on (others are discarded undecoded).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_nats::{Client, Message, Subscriber};
use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};

use crate::output::Status;
use crate::text::escape_untrusted;
use crate::v2::{clean_request, Gate, HOST_PREFIX, INBOX_WILDCARD};

/// What the watch loop keeps: the hosts whose requests are wanted now.
pub struct Tap {
    wanted: watch::Sender<BTreeSet<String>>,
    asks: mpsc::UnboundedSender<Vec<(String, Vec<u8>)>>,
}

/// At most this many read-only requests after one reconnect.
const MAX_ASKS: usize = 1000;

impl Tap {
    /// After a reconnect: asks each host heartbeating (`runtime.host.<id>.heartbeat`) and each
    /// workload known on one (`workload.status`) where things stand: read-only requests only,
    /// never a start or a stop. The requests reach latwatch's own subscription to the host and
    /// the answers its inbox subscription, so they are paired like the operator's.
    pub fn ask_after_reconnect(&self, state: &crate::state::State) {
        let alive: BTreeSet<&str> = state.lattice.v2_alive().filter(|h| is_token(h)).collect();
        let mut asks: Vec<(String, Vec<u8>)> = alive
            .iter()
            .map(|host| (format!("{HOST_PREFIX}{host}.heartbeat"), b"{}".to_vec()))
            .collect();
        if let Some(workloads) = &state.workloads {
            for (id, workload) in workloads.known() {
                if alive.contains(workload.host.as_str()) {
                    let body = serde_json::json!({ "workloadId": id }).to_string();
                    asks.push((
                        format!("{HOST_PREFIX}{}.workload.status", workload.host),
                        body.into_bytes(),
                    ));
                }
            }
        }
        asks.truncate(MAX_ASKS);
        if !asks.is_empty() {
            let _ = self.asks.send(asks);
        }
    }

    /// The hosts heartbeating now: subscribes to the new ones, drops the others.
    pub fn want<'a>(&self, hosts: impl Iterator<Item = &'a str>) {
        let hosts: BTreeSet<String> = hosts.filter(|h| is_token(h)).map(str::to_owned).collect();
        self.wanted.send_if_modified(|wanted| {
            let changed = *wanted != hosts;
            if changed {
                *wanted = hosts;
            }
            changed
        });
    }
}

/// A host id that can stand in a subject as one token.
fn is_token(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && !id
            .chars()
            .any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control())
}

/// Subscribes to the inboxes and starts the task; its messages (gated) come out of the returned
/// stream, for the intake.
pub async fn start(
    client: Client,
    status: Status,
    dropped: Arc<AtomicU64>,
) -> anyhow::Result<(Tap, crate::source::intake::Messages)> {
    let inbox = client.subscribe(INBOX_WILDCARD.to_owned()).await?;
    let (wanted_tx, wanted) = watch::channel(BTreeSet::new());
    let (asks_tx, asks) = mpsc::unbounded_channel();
    let (out, out_rx) = mpsc::channel(1024);
    tokio::spawn(run(client, inbox, wanted, asks, out, status, dropped));
    let messages = futures_util::stream::unfold(out_rx, |mut rx| async move {
        rx.recv().await.map(|message| (message, rx))
    });
    Ok((
        Tap {
            wanted: wanted_tx,
            asks: asks_tx,
        },
        Box::pin(messages),
    ))
}

async fn run(
    client: Client,
    mut inbox: Subscriber,
    mut wanted: watch::Receiver<BTreeSet<String>>,
    mut asks: mpsc::UnboundedReceiver<Vec<(String, Vec<u8>)>>,
    out: mpsc::Sender<Message>,
    status: Status,
    dropped: Arc<AtomicU64>,
) {
    let (requests_tx, mut requests) = mpsc::channel::<Message>(1024);
    let mut hosts: HashMap<String, oneshot::Sender<()>> = HashMap::new();
    let mut gate: Gate<Message> = Gate::default();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut said_refused = false;
    let mut said_unreadable = false;
    // Every message the tap takes off the connection is counted as it arrives (`dropped`, the
    // intake's `looked_at`): the intake counts none of them, so one held, passed or discarded
    // here is never taken for a loss.
    loop {
        let passed: Vec<Message> = tokio::select! {
            changed = wanted.changed() => {
                if changed.is_err() {
                    break;
                }
                let now: BTreeSet<String> = wanted.borrow_and_update().clone();
                hosts.retain(|id, _| now.contains(id));
                for id in now {
                    if hosts.contains_key(&id) {
                        continue;
                    }
                    let subject = format!("{HOST_PREFIX}{id}.>");
                    match client.subscribe(subject.clone()).await {
                        Ok(subscriber) => {
                            let (stop, stopped) = oneshot::channel();
                            tokio::spawn(forward(
                                subscriber,
                                stopped,
                                requests_tx.clone(),
                                dropped.clone(),
                            ));
                            hosts.insert(id, stop);
                        }
                        Err(why) if !said_refused => {
                            said_refused = true;
                            status.warn(format_args!(
                                "--workloads: cannot subscribe to {}: {}",
                                escape_untrusted(&subject),
                                escape_untrusted(&why.to_string())
                            ));
                        }
                        Err(_) => {}
                    }
                }
                Vec::new()
            }
            Some(mut request) = requests.recv() => {
                let cleaned = match clean_request(&request.subject, &request.payload) {
                    None => None,
                    Some(std::borrow::Cow::Borrowed(_)) => Some(()),
                    Some(std::borrow::Cow::Owned(bytes)) => {
                        request.length = bytes.len();
                        request.payload = bytes.into();
                        Some(())
                    }
                };
                match cleaned {
                    // A body that cannot be read cannot be cleaned: it goes nowhere.
                    None => {
                        if !said_unreadable {
                            said_unreadable = true;
                            status.warn(format_args!(
                                "--workloads: a request on {} is not JSON latwatch can read: \
                                 dropped unshown (a body that cannot be read cannot be cleaned \
                                 of secrets); said once",
                                escape_untrusted(&request.subject)
                            ));
                        }
                        Vec::new()
                    }
                    Some(()) => {
                        let early = request
                            .reply
                            .as_ref()
                            .and_then(|reply| gate.asked(reply, Utc::now()));
                        let mut passed = vec![request];
                        passed.extend(early);
                        passed
                    }
                }
            }
            reply = inbox.next() => {
                // The inbox subscription ended (the client closed): so does the tap.
                let Some(reply) = reply else { break };
                dropped.fetch_add(1, Ordering::Relaxed);
                let subject = reply.subject.to_string();
                let bytes = reply.payload.len() + subject.len();
                gate.answer(&subject, reply, bytes, Utc::now()).into_iter().collect()
            }
            Some(asks) = asks.recv() => {
                // Read-only: `heartbeat` and `workload.status` only (`Tap::ask_after_reconnect`).
                for (subject, body) in asks {
                    let read_only =
                        subject.ends_with(".heartbeat") || subject.ends_with(".workload.status");
                    if read_only {
                        let inbox = client.new_inbox();
                        let _ = client.publish_with_reply(subject, inbox, body.into()).await;
                    }
                }
                Vec::new()
            }
            _ = tick.tick() => {
                gate.expire(Utc::now());
                Vec::new()
            }
        };
        for mut message in passed {
            // An answer is cleaned like a request: one that echoes a start's spec hides its
            // secrets too (a heartbeat's tenant label stays).
            if message.subject.starts_with(crate::v2::INBOX_PREFIX) {
                match crate::v2::clean_answer(&message.payload) {
                    Some(std::borrow::Cow::Borrowed(_)) => {}
                    Some(std::borrow::Cow::Owned(bytes)) => {
                        message.length = bytes.len();
                        message.payload = bytes.into();
                    }
                    None => continue,
                }
            }
            if out.send(message).await.is_err() {
                return;
            }
        }
    }
}

/// One host's requests into the tap, until told to stop: then unsubscribes (the server forgets
/// the interest at once).
async fn forward(
    mut subscriber: Subscriber,
    mut stop: oneshot::Receiver<()>,
    requests: mpsc::Sender<Message>,
    taken: Arc<AtomicU64>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            message = subscriber.next() => match message {
                Some(message) => {
                    taken.fetch_add(1, Ordering::Relaxed);
                    if requests.send(message).await.is_err() {
                        break;
                    }
                }
                None => return,
            },
        }
    }
    let _ = subscriber.unsubscribe().await;
    // What the connection delivered before the unsubscription took effect is counted as taken
    // (the intake's loss accounting compares with the connection's count), then dropped.
    while subscriber.next().await.is_some() {
        taken.fetch_add(1, Ordering::Relaxed);
    }
}
