//! What the control interface says exists: `host.ping`, gathered. Read-only, as wash asks it;
//! `latwatch top` seeds its tables with it, the line watcher names hosts with it from the first
//! event (not by id until a heartbeat).
//!
//! Side effects: a request on `wasmbus.ctl.v1.<lattice>.host.ping` (every host answers, nothing
//! changes) and a subscription to one reply inbox for [`GATHER`].

use std::time::Duration;

use async_nats::Client;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;

/// How long `host.ping` replies are gathered (wash waits up to 5 s; hosts answer in
/// milliseconds).
pub const GATHER: Duration = Duration::from_millis(1500);

/// The `response` of a successful control-interface reply (`{"success": true, "response": …}`).
pub fn ctl_response(payload: &[u8]) -> Option<Value> {
    let reply: Value = serde_json::from_slice(payload).ok()?;
    if reply.get("success").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    reply.get("response").cloned()
}

/// Every reply to `subject` within [`GATHER`], each sent on as it comes (with its raw text).
pub async fn gather_each(
    client: &Client,
    subject: String,
    each: &mpsc::UnboundedSender<(Vec<u8>, String)>,
) {
    let inbox = client.new_inbox();
    let Ok(mut replies) = client.subscribe(inbox.clone()).await else {
        return;
    };
    if client
        .publish_with_reply(subject, inbox, "".into())
        .await
        .is_err()
    {
        return;
    }
    let deadline = tokio::time::Instant::now() + GATHER;
    while let Ok(Some(reply)) = tokio::time::timeout_at(deadline, replies.next()).await {
        let source = String::from_utf8_lossy(&reply.payload).into_owned();
        if each.send((reply.payload.to_vec(), source)).is_err() {
            return;
        }
    }
}

/// Every host of `lattices` (not `*`: the control interface is per lattice), as `host.ping`
/// answers, sent on `hosts` as each answers.
pub async fn ping_hosts(
    client: Client,
    lattices: Vec<String>,
    hosts: mpsc::UnboundedSender<Value>,
) {
    let (each, mut replies) = mpsc::unbounded_channel();
    let asking = async {
        for lattice in lattices.iter().filter(|l| *l != "*") {
            gather_each(
                &client,
                format!("wasmbus.ctl.v1.{lattice}.host.ping"),
                &each,
            )
            .await;
        }
        drop(each);
    };
    let passing = async {
        while let Some((payload, _)) = replies.recv().await {
            if let Some(response) = ctl_response(&payload) {
                if hosts.send(response).is_err() {
                    return;
                }
            }
        }
    };
    tokio::join!(asking, passing);
}
