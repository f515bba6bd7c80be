//! What the control interface says exists: `host.ping`, gathered. Read-only, as wash asks it;
//! `latwatch top` seeds its tables with it, the line watcher names hosts with it from the first
//! event (not by id until a heartbeat).
//!
//! Side effects: a request on `wasmbus.ctl.v1.<lattice>.host.ping` (every host answers, nothing
//! changes) and a subscription to one reply inbox for [`GATHER`]; for `top`, one
//! `host.get.<host>` per host and one `link.get` per lattice (each read-only, answered on the
//! client's shared reply inbox).

use std::time::Duration;

use async_nats::Client;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::state::tables::Told;

/// How long one `host.get` or `link.get` reply is waited for.
const ASK: Duration = Duration::from_secs(2);
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
/// answers, sent on `told` as each answers. With `tables` (a view draws what hosts run), each
/// host is then asked what it runs (`host.get`) and each lattice its links (`link.get`).
pub async fn ask(
    client: Client,
    lattices: Vec<String>,
    tables: bool,
    told: mpsc::UnboundedSender<Told>,
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
    let mut hosts = Vec::new();
    let passing = async {
        while let Some((payload, source)) = replies.recv().await {
            if let Some(response) = ctl_response(&payload) {
                if tables {
                    if let Some(id) = response.get("id").and_then(Value::as_str) {
                        hosts.push(id.to_owned());
                    }
                }
                if told.send(Told::Host { response, source }).is_err() {
                    return;
                }
            }
        }
    };
    tokio::join!(asking, passing);
    if !tables {
        return;
    }
    for lattice in lattices.iter().filter(|l| *l != "*") {
        let prefix = format!("wasmbus.ctl.v1.{lattice}");
        for host in &hosts {
            if let Some((payload, _)) = one(&client, format!("{prefix}.host.get.{host}")).await {
                if let Some(response) = ctl_response(&payload) {
                    let host = host.clone();
                    if told.send(Told::Inventory { host, response }).is_err() {
                        return;
                    }
                }
            }
        }
        if let Some((payload, source)) = one(&client, format!("{prefix}.link.get")).await {
            if let Some(response) = ctl_response(&payload) {
                if told.send(Told::Links { response, source }).is_err() {
                    return;
                }
            }
        }
    }
}

/// One request, its reply within [`ASK`] (with its raw text).
async fn one(client: &Client, subject: String) -> Option<(Vec<u8>, String)> {
    let reply = tokio::time::timeout(ASK, client.request(subject, "".into()))
        .await
        .ok()?
        .ok()?;
    let source = String::from_utf8_lossy(&reply.payload).into_owned();
    Some((reply.payload.to_vec(), source))
}
