//! What wadm knows: every application's last status, its deployed version, and when it was last
//! deployed. Read when latwatch starts, and again the same way after every gap (a reconnect,
//! dropped messages), since wadm publishes a status only when it changes. Read-only: JetStream
//! reads and wadm's `model.get`, nothing else.
//!
//! - Statuses: wadm's `wadm_status` stream keeps the last 10 per application with no age limit,
//!   so the last message per subject (`DeliverPolicy::LastPerSubject` on
//!   `[P.]wadm.status.<lattice>.*`) is every application's status now, with the time it was
//!   stored.
//! - Deploys: `wadm_events` keeps `manifest_published` for 70 s. Every one it holds is read, by
//!   subject (`[P.]wadm.evt.<lattice>.manifest_published`), however many there are; the newest
//!   per application says when its newest version was deployed (a status stored before that is
//!   the previous version's) and which ids it names. When they cannot all be read, no status is
//!   taken as the deployed version's: a stale `deployed` never ends `--until-app`.
//! - wadm's API (`[P.]wadm.api.<lattice>.model.get`) gives each deployed version, and the statuses
//!   when the stream cannot be read. No responders means no wadm: not an error.
//!
//! Lattices are read in parallel, and the streams and the API side by side. A read the server
//! refuses (a permissions error: the user may not subscribe to reply inboxes, or publish to
//! `$JS.API.>` or `wadm.api.>`) ends the moment the server says so, not after its timeouts.
//!
//! Everything runs on the second connection (the one replays and fills use), so JetStream's
//! messages never reach the live subscription's loss books.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy, OrderedPullConsumer};
use async_nats::jetstream::{self, Message};
use async_nats::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::watch;

use crate::config::NatsConfig;
use crate::event::kind::KindId;
use crate::event::{decode_with_data, RawMessage, Received};
use crate::source::nats::Refusal;
use crate::state::apps::wire::{ManifestSummary, StatusMessage, SubjectReader, WadmSubject};
use crate::state::apps::{Seed, Stored};
use crate::text::escape_untrusted;

/// How long one request or one stored message is waited for.
const ASK: Duration = Duration::from_secs(2);
/// At most this many stored statuses are read from one lattice (one per application), and
/// this many applications' deploys kept: as many applications as application memory keeps.
const MOST: usize = 10_000;

/// What the server refused on the connection that reads, as it says so.
pub type Refusals = watch::Receiver<Vec<Refusal>>;

/// What was learned, and what could not be.
#[derive(Debug, Default)]
pub struct Learned {
    pub seeds: Vec<Seed>,
    /// Nothing could be read, and why (the stream's reason and the API's).
    pub unread: Option<String>,
    /// Something read is uncertain (not every deploy could be read), in words.
    pub note: Option<String>,
}

/// Learns every application's status now. Never fails: what cannot be read is left out, and
/// when nothing could be read at all `unread` says why.
pub async fn learn(client: Client, config: &NatsConfig) -> Learned {
    learn_unless_refused(client, config, None).await
}

/// [`learn`], where a read the server refuses (`refusals`, from the connection's permission
/// errors) ends at once.
pub async fn learn_unless_refused(
    client: Client,
    config: &NatsConfig,
    refusals: Option<Refusals>,
) -> Learned {
    let js = jetstream::new(client.clone());
    let refusals = refusals.as_ref();
    let read = join_all(
        config
            .lattices
            .iter()
            .map(|lattice| from_streams(&js, config, lattice, refusals)),
    )
    .await;
    let mut seeds: HashMap<(String, String), Seed> = HashMap::new();
    let mut stream_error = None;
    let mut unread_deploys = None;
    for lattice in read {
        for seed in lattice.seeds {
            if seeds.len() < MOST {
                seeds.insert((seed.lattice.clone(), seed.app.clone()), seed);
            }
        }
        stream_error = stream_error.or(lattice.error);
        unread_deploys = unread_deploys.or(lattice.unread_deploys);
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
    let api = config.prefixed("wadm.api.");
    let answers = join_all(lattices.iter().map(|lattice| {
        let subject = config.prefixed(&format!("wadm.api.{lattice}.model.get"));
        unless_refused(refusals, Part::Api(&api), ask(&client, subject))
    }))
    .await;
    let mut api_error = None;
    for (lattice, answer) in lattices.iter().zip(answers) {
        let models = match answer {
            Ok(models) => models,
            Err(why) => {
                api_error = Some(why);
                continue;
            }
        };
        for model in models {
            if seeds.len() >= MOST && !seeds.contains_key(&(lattice.clone(), model.name.clone())) {
                break;
            }
            let seed = seed_for(&mut seeds, lattice, &model.name);
            let version = [model.deployed_version, model.version]
                .into_iter()
                .flatten()
                .find(|v| !v.is_empty());
            if version.is_some() {
                seed.version = version;
            }
            if seed.status.is_none() {
                let Some(raw) = model.detailed_status else {
                    continue;
                };
                let payload = raw.get().as_bytes();
                if let Ok(status) = StatusMessage::parse(payload) {
                    seed.status = Some(status);
                    // wadm's own view now: the deployed version's, whatever the stream holds.
                    seed.deploys_unread = false;
                    // The message wadm would publish now: handled like one after a gap.
                    seed.status_message = Some(Stored {
                        subject: config.prefixed(&format!("wadm.status.{lattice}.{}", model.name)),
                        payload: Bytes::copy_from_slice(payload),
                        at: None,
                    });
                }
            }
        }
    }
    let unread = match (seeds.is_empty(), stream_error, api_error) {
        (true, Some(stream), Some(api)) if stream == api => Some(stream),
        (true, Some(stream), Some(api)) => Some(format!("{stream}; {api}")),
        _ => None,
    };
    let mut seeds: Vec<Seed> = seeds
        .into_values()
        .filter(|s| s.status.is_some() || s.deploy_message.is_some())
        .collect();
    seeds.sort_by(|a, b| (&a.lattice, &a.app).cmp(&(&b.lattice, &b.app)));
    let note = unread_deploys.filter(|_| seeds.iter().any(|s| s.deploys_unread));
    Learned {
        seeds,
        unread,
        note: note.map(|why| {
            format!(
                "not every deploy stored in wadm_events could be read ({why}): no application's \
                 stored status is taken as its deployed version's until wadm publishes a new one"
            )
        }),
    }
}

/// What one lattice's streams said.
struct FromStreams {
    seeds: Vec<Seed>,
    /// The statuses could not be read.
    error: Option<String>,
    /// The deploys could not all be read.
    unread_deploys: Option<String>,
}

/// One lattice's statuses and deploys, read side by side.
async fn from_streams(
    js: &jetstream::Context,
    config: &NatsConfig,
    lattice: &str,
    refusals: Option<&Refusals>,
) -> FromStreams {
    let subjects = config.subject_reader();
    let status_filter = config.prefixed(&format!("wadm.status.{lattice}.*"));
    let deploy_filter = config.prefixed(&format!("wadm.evt.{lattice}.manifest_published"));
    let (statuses, deploys) = tokio::join!(
        unless_refused(refusals, Part::Streams, last_statuses(js, &status_filter)),
        unless_refused(
            refusals,
            Part::Streams,
            deploys(js, &deploy_filter, &subjects)
        ),
    );
    let mut seeds: HashMap<(String, String), Seed> = HashMap::new();
    let error = match statuses {
        Ok(messages) => {
            for message in messages {
                let Some(WadmSubject::Status { lattice, app }) = subjects.wadm(&message.subject)
                else {
                    continue;
                };
                let Ok(status) = StatusMessage::parse(&message.payload) else {
                    continue;
                };
                let at = message.info().ok().map(|info| info.published);
                let seed = seed_for(&mut seeds, lattice, app);
                seed.status = Some(status);
                seed.at = at;
                seed.status_message = Some(Stored {
                    subject: message.subject.to_string(),
                    payload: Bytes::copy_from_slice(&message.payload),
                    at,
                });
            }
            None
        }
        Err(why) => Some(why),
    };
    // No stream keeps deploys: nothing says a status is stale (as before wadm_events existed).
    let (newest, earlier, unread_deploys) = match deploys {
        Ok(Deploys {
            newest,
            earlier,
            unread,
        }) => (newest, earlier, unread),
        Err(_) => (HashMap::new(), HashMap::new(), None),
    };
    for ((lattice, app), deploy) in newest {
        if seeds.len() >= MOST && !seeds.contains_key(&(lattice.clone(), app.clone())) {
            continue;
        }
        let Some(manifest) = manifest(&deploy.message.payload) else {
            continue;
        };
        let seed = seed_for(&mut seeds, &lattice, &app);
        // A status stored before the newest deploy is an earlier version's: which one.
        if let (Some(status_at), Some(deployed_at)) = (seed.at, deploy.message.at) {
            if status_at < deployed_at {
                seed.status_version = earlier
                    .get(&(lattice.clone(), app.clone()))
                    .and_then(|list| {
                        list.iter()
                            .rev()
                            .find(|(at, _)| at.is_some_and(|at| at <= status_at))
                    })
                    .and_then(|(_, version)| version.clone());
            }
        }
        seed.deployed_at = deploy.message.at;
        seed.deploy_id = deploy.id;
        seed.version = manifest.version;
        seed.ids = manifest.ids.into_iter().chain(manifest.configs).collect();
        seed.deploy_message = Some(deploy.message);
    }
    if unread_deploys.is_some() {
        for seed in seeds.values_mut() {
            seed.deploys_unread = true;
        }
    }
    FromStreams {
        seeds: seeds.into_values().collect(),
        error,
        unread_deploys,
    }
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

/// The manifest a stored `manifest_published` carries.
fn manifest(payload: &[u8]) -> Option<ManifestSummary> {
    let event = decode_with_data(RawMessage {
        subject: None,
        payload,
        received: Received::Now,
        reply: None,
    });
    let data = event.data()?;
    ManifestSummary::parse_parts(
        data.get("metadata").map(RawValue::get),
        data.get("spec").map(RawValue::get),
    )
}

/// A stored `manifest_published`: its lattice, its application's name and its CloudEvent id.
/// Only `metadata.name` is read: the rest of the manifest only for the newest one kept.
fn deployed(
    message: &Message,
    subjects: &SubjectReader,
) -> Option<(String, String, Option<String>)> {
    let Some(WadmSubject::Event { lattice }) = subjects.wadm(&message.subject) else {
        return None;
    };
    let event = decode_with_data(RawMessage {
        subject: Some(&message.subject),
        payload: &message.payload,
        received: Received::Now,
        reply: None,
    });
    if event.kind.known() != Some(KindId::ManifestPublished) {
        return None;
    }
    #[derive(Deserialize)]
    struct Named<'a> {
        #[serde(borrow, default)]
        name: Option<Cow<'a, str>>,
    }
    let metadata = event.data()?.get("metadata")?;
    let name = serde_json::from_str::<Named>(metadata.get()).ok()?.name?;
    let id = event.envelope.as_ref().and_then(|e| e.id());
    Some((
        lattice.to_owned(),
        name.into_owned(),
        id.map(Cow::into_owned),
    ))
}

/// The newest deploy of one application.
struct Deploy {
    message: Stored,
    id: Option<String>,
}

/// An earlier deploy: when it was stored, and its version.
type EarlierDeploy = (Option<DateTime<Utc>>, Option<String>);

/// How many of an application's earlier deploys are remembered.
const EARLIER_KEPT: usize = 16;

/// Every application's newest deploy in a lattice.
struct Deploys {
    newest: HashMap<(String, String), Deploy>,
    /// Each application's deploys before its newest: when, and which version (oldest first, the
    /// last [`EARLIER_KEPT`]): what a status stored before the newest deploy belongs to.
    earlier: HashMap<(String, String), Vec<EarlierDeploy>>,
    /// Not all could be read, and why.
    unread: Option<String>,
}

/// Reads every `manifest_published` the stream holds on `filter` (one subject: only deploys),
/// keeping each application's newest. Memory holds one message per application, however many
/// the stream holds. `Err` when no stream stores them.
async fn deploys(
    js: &jetstream::Context,
    filter: &str,
    subjects: &SubjectReader,
) -> Result<Deploys, String> {
    let (stream, consumer) = consumer(js, filter, DeliverPolicy::All).await?;
    let consumer_name = consumer.cached_info().name.clone();
    let pending = consumer.cached_info().num_pending;
    let mut newest: HashMap<(String, String), Deploy> = HashMap::new();
    let mut earlier: HashMap<(String, String), Vec<EarlierDeploy>> = HashMap::new();
    let mut unread = None;
    let mut read = 0u64;
    if pending > 0 {
        match consumer.messages().await {
            Err(err) => {
                unread = Some(format!(
                    "cannot read the stream that stores {filter}: {err}"
                ))
            }
            Ok(mut messages) => loop {
                let message = match tokio::time::timeout(ASK, messages.next()).await {
                    Ok(Some(Ok(message))) => message,
                    Ok(Some(Err(err))) => {
                        unread = Some(format!("reading {filter}: {err}"));
                        break;
                    }
                    Ok(None) | Err(_) => {
                        unread = Some(format!(
                            "the stream sent {read} of {pending} messages on {filter}, then \
                             nothing for {}s",
                            ASK.as_secs()
                        ));
                        break;
                    }
                };
                read += 1;
                let last = message.info().is_ok_and(|info| info.pending == 0);
                if let Some((lattice, app, id)) = deployed(&message, subjects) {
                    let key = (lattice, app);
                    if newest.len() >= MOST && !newest.contains_key(&key) {
                        // An application not kept may have been deployed after its status.
                        unread = Some(format!("more than {MOST} applications deployed"));
                    } else {
                        let at = message.info().ok().map(|info| info.published);
                        let replaced = newest.insert(
                            key.clone(),
                            Deploy {
                                message: Stored {
                                    subject: message.subject.to_string(),
                                    payload: Bytes::copy_from_slice(&message.payload),
                                    at,
                                },
                                id,
                            },
                        );
                        if let Some(replaced) = replaced {
                            let version =
                                manifest(&replaced.message.payload).and_then(|m| m.version);
                            let list = earlier.entry(key).or_default();
                            if list.len() == EARLIER_KEPT {
                                list.remove(0);
                            }
                            list.push((replaced.message.at, version));
                        }
                    }
                }
                // What was stored once reading began is newer still and arrives live.
                if last || read >= pending {
                    break;
                }
            },
        }
    }
    let _ = stream.delete_consumer(&consumer_name).await;
    Ok(Deploys {
        newest,
        earlier,
        unread,
    })
}

/// The last status message of every application on `filter`, read through an ordered consumer
/// deleted after.
async fn last_statuses(js: &jetstream::Context, filter: &str) -> Result<Vec<Message>, String> {
    let reading = async {
        let (stream, consumer) = consumer(js, filter, DeliverPolicy::LastPerSubject).await?;
        let consumer_name = consumer.cached_info().name.clone();
        let pending = consumer.cached_info().num_pending.min(MOST as u64);
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

/// An ordered consumer on the stream that stores `filter`, filtered to it.
async fn consumer(
    js: &jetstream::Context,
    filter: &str,
    deliver_policy: DeliverPolicy,
) -> Result<(jetstream::stream::Stream, OrderedPullConsumer), String> {
    let finding = async {
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
        Ok((stream, consumer))
    };
    match tokio::time::timeout(ASK * 3, finding).await {
        Ok(found) => found,
        Err(_) => Err(format!(
            "finding the stream that stores {filter} took too long"
        )),
    }
}

/// Which requests a refusal stops.
#[derive(Clone, Copy)]
enum Part<'a> {
    /// JetStream reads (`$JS.API.…`).
    Streams,
    /// wadm's API: requests on subjects starting with this.
    Api(&'a str),
}

impl Part<'_> {
    fn stopped_by(self, refusal: &Refusal) -> bool {
        // This connection subscribes only to inboxes: replies cannot arrive.
        refusal.subscribe
            || match self {
                Part::Streams => refusal.subject.starts_with("$JS."),
                Part::Api(prefix) => refusal.subject.starts_with(prefix),
            }
    }
}

/// Runs `work` unless the server refuses what it needs: then it ends at once, saying which
/// permission is missing.
async fn unless_refused<T>(
    refusals: Option<&Refusals>,
    part: Part<'_>,
    work: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let Some(refusals) = refusals else {
        return work.await;
    };
    let mut refusals = refusals.clone();
    let refused = async move {
        let found = match refusals
            .wait_for(|all| all.iter().any(|r| part.stopped_by(r)))
            .await
        {
            Ok(all) => all.iter().find(|r| part.stopped_by(r)).cloned(),
            Err(_) => None,
        };
        match found {
            Some(refusal) => refusal,
            // The connection is gone: the work ends on its own.
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        refusal = refused => Err(refused_words(&refusal)),
        done = work => done,
    }
}

/// What the server refused, and the permission it takes.
fn refused_words(refusal: &Refusal) -> String {
    let needs = match refusal.subscribe {
        true => "subscribe to _INBOX.> (the replies to latwatch's requests)",
        false if refusal.subject.starts_with("$JS.") => {
            "publish to $JS.API.> (reading wadm's streams)"
        }
        false => "publish to wadm.api.> (asking wadm)",
    };
    format!(
        "the server refused to let latwatch {}: this user needs permission to {needs}",
        refusal.words()
    )
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
    let shown = escape_untrusted(&subject).into_owned();
    let reply = match tokio::time::timeout(ASK, client.request(subject, "".into())).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(err)) if err.kind() == async_nats::RequestErrorKind::NoResponders => {
            return Err(format!("no wadm answers on {shown}"))
        }
        Ok(Err(err)) => return Err(format!("wadm did not answer on {shown}: {err}")),
        Err(_) => return Err(format!("wadm did not answer on {shown} within 2s")),
    };
    serde_json::from_slice::<ModelList>(&reply.payload)
        .map(|list| list.models)
        .map_err(|err| format!("wadm's answer on {shown} is not a model list: {err}"))
}
