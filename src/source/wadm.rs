//! What wadm knows when latwatch starts: every application's last status, its deployed version,
//! and when it was last deployed. Read-only: JetStream reads and wadm's `model.get`, nothing else.
//!
//! - Statuses: wadm publishes a status only when it changes, and its `wadm_status` stream keeps
//!   the last 10 per application with no age limit, so the last message per subject
//!   (`DeliverPolicy::LastPerSubject` on `[P.]wadm.status.<lattice>.*`) is every application's
//!   status now, with the time it was stored.
//! - Deploys: `wadm_events` keeps `manifest_published` for 70 s; the newest per application says
//!   when its newest version was deployed (a status stored before that is the previous
//!   version's) and which ids it names.
//! - wadm's API (`[P.]wadm.api.<lattice>.model.get`) gives each deployed version, and the statuses
//!   when the stream cannot be read. No responders means no wadm: not an error.
//!
//! Everything runs on the second connection (the one replays and fills use), so JetStream's
//! messages never reach the live subscription's loss books.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::{self, Message};
use async_nats::Client;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::apps::wire::{ManifestSummary, StatusMessage, SubjectReader, WadmSubject};
use crate::apps::Seed;
use crate::config::NatsConfig;
use crate::event::kind::KindId;
use crate::event::{decode_with_data, RawMessage, Received};

/// How long one request or one stored message is waited for.
const ASK: Duration = Duration::from_secs(2);
/// At most this many stored messages are read from one stream.
const MOST: u64 = 10_000;

/// What was learned, and the one hint to give when nothing could be.
#[derive(Debug, Default)]
pub struct Learned {
    pub seeds: Vec<Seed>,
    pub hint: Option<String>,
}

/// Learns every application's status now. Never fails: what cannot be read is left out, and
/// when nothing could be read at all `hint` says why.
pub async fn learn(client: Client, config: &NatsConfig) -> Learned {
    let js = jetstream::new(client.clone());
    let mut seeds: HashMap<(String, String), Seed> = HashMap::new();
    let mut stream_error = None;
    let subjects = config.subject_reader();
    for lattice in &config.lattices {
        let filter = config.prefixed(&format!("wadm.status.{lattice}.*"));
        match stored(&js, &filter, DeliverPolicy::LastPerSubject).await {
            Ok(messages) => {
                for message in messages {
                    let Some(WadmSubject::Status { lattice, app }) =
                        subjects.wadm(&message.subject)
                    else {
                        continue;
                    };
                    let Ok(status) = StatusMessage::parse(&message.payload) else {
                        continue;
                    };
                    let seed = seed_for(&mut seeds, lattice, app);
                    seed.status = Some(status);
                    seed.at = message.info().ok().map(|info| info.published);
                }
            }
            Err(why) => stream_error = Some(why),
        }
        let filter = config.prefixed(&format!("wadm.evt.{lattice}.>"));
        if let Ok(messages) = stored(&js, &filter, DeliverPolicy::All).await {
            for message in messages {
                deploy(&mut seeds, &message, &subjects);
            }
        }
    }
    // wadm's API needs lattice names: with --all-lattices, those the stream named.
    let mut lattices: Vec<String> = config
        .lattices
        .iter()
        .filter(|l| *l != "*")
        .cloned()
        .collect();
    for (lattice, _) in seeds.keys() {
        if !lattices.contains(lattice) {
            lattices.push(lattice.clone());
        }
    }
    let mut api_error = None;
    for lattice in &lattices {
        let subject = config.prefixed(&format!("wadm.api.{lattice}.model.get"));
        match ask(&client, subject).await {
            Ok(models) => {
                for model in models {
                    let seed = seed_for(&mut seeds, lattice, &model.name);
                    let version = [model.deployed_version, model.version]
                        .into_iter()
                        .flatten()
                        .find(|v| !v.is_empty());
                    if version.is_some() {
                        seed.version = version;
                    }
                    if seed.status.is_none() {
                        seed.status = model
                            .detailed_status
                            .and_then(|raw| StatusMessage::parse(raw.get().as_bytes()).ok());
                    }
                }
            }
            Err(why) => api_error = Some(why),
        }
    }
    let hint = match (seeds.is_empty(), stream_error, api_error) {
        (true, Some(stream), Some(api)) => Some(format!(
            "no application status at startup ({stream}; {api}); application lines appear as \
             wadm publishes them"
        )),
        _ => None,
    };
    let mut seeds: Vec<Seed> = seeds.into_values().filter(|s| s.status.is_some()).collect();
    seeds.sort_by(|a, b| (&a.lattice, &a.app).cmp(&(&b.lattice, &b.app)));
    Learned { seeds, hint }
}

fn seed_for<'s>(
    seeds: &'s mut HashMap<(String, String), Seed>,
    lattice: &str,
    app: &str,
) -> &'s mut Seed {
    seeds
        .entry((lattice.to_owned(), app.to_owned()))
        .or_insert_with(|| Seed {
            lattice: lattice.to_owned(),
            app: app.to_owned(),
            ..Seed::default()
        })
}

/// A stored `manifest_published`: the application's newest deploy, its version and its ids.
fn deploy(
    seeds: &mut HashMap<(String, String), Seed>,
    message: &Message,
    subjects: &SubjectReader,
) {
    let Some(WadmSubject::Event { lattice }) = subjects.wadm(&message.subject) else {
        return;
    };
    let event = decode_with_data(RawMessage {
        subject: Some(&message.subject),
        payload: &message.payload,
        received: Received::Now,
    });
    if event.kind.known() != Some(KindId::ManifestPublished) {
        return;
    }
    let Some(manifest) = event.data().and_then(|data| {
        ManifestSummary::parse_parts(
            data.get("metadata").map(RawValue::get),
            data.get("spec").map(RawValue::get),
        )
    }) else {
        return;
    };
    let Some(name) = manifest.name.clone() else {
        return;
    };
    let at: Option<DateTime<Utc>> = message.info().ok().map(|info| info.published);
    let seed = seed_for(seeds, lattice, &name);
    if seed
        .deployed_at
        .is_none_or(|before| at.is_some_and(|at| at >= before))
    {
        seed.deployed_at = at;
        seed.version = manifest.version.clone();
        seed.ids = manifest.ids.into_iter().chain(manifest.configs).collect();
    }
}

/// The messages a stream holds on `filter`, read through an ordered consumer deleted after.
async fn stored(
    js: &jetstream::Context,
    filter: &str,
    deliver_policy: DeliverPolicy,
) -> Result<Vec<Message>, String> {
    let reading = async {
        let name = js
            .stream_by_subject(filter.to_owned())
            .await
            .map_err(|err| format!("no stream stores {filter}: {err}"))?;
        let stream = js
            .get_stream(&name)
            .await
            .map_err(|err| format!("cannot read stream {name}: {err}"))?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: filter.to_owned(),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|err| format!("cannot read stream {name}: {err}"))?;
        let consumer_name = consumer.cached_info().name.clone();
        let pending = consumer.cached_info().num_pending.min(MOST);
        let mut read = Vec::new();
        if pending > 0 {
            if let Ok(mut messages) = consumer.messages().await {
                while (read.len() as u64) < pending {
                    let Ok(Some(Ok(message))) = tokio::time::timeout(ASK, messages.next()).await
                    else {
                        break;
                    };
                    let last = message.info().is_ok_and(|info| info.pending == 0);
                    read.push(message);
                    if last {
                        break;
                    }
                }
            }
        }
        let _ = stream.delete_consumer(&consumer_name).await;
        Ok(read)
    };
    match tokio::time::timeout(ASK * 3, reading).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "reading the stream that stores {filter} took too long"
        )),
    }
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    models: Vec<Model>,
}

#[derive(Deserialize)]
struct Model {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    deployed_version: Option<String>,
    #[serde(default)]
    detailed_status: Option<Box<RawValue>>,
}

/// wadm's `model.get`: every application, its versions and status.
async fn ask(client: &Client, subject: String) -> Result<Vec<Model>, String> {
    let reply = match tokio::time::timeout(ASK, client.request(subject.clone(), "".into())).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(err)) if err.kind() == async_nats::RequestErrorKind::NoResponders => {
            return Err(format!("no wadm answers on {subject}"))
        }
        Ok(Err(err)) => return Err(format!("wadm did not answer on {subject}: {err}")),
        Err(_) => return Err(format!("wadm did not answer on {subject} within 2s")),
    };
    serde_json::from_slice::<ModelList>(&reply.payload)
        .map(|list| list.models)
        .map_err(|err| format!("wadm's answer on {subject} is not a model list: {err}"))
}
