//! wasmCloud 2 workloads in memory (`--workloads`), from the operator's requests to hosts and the
//! hosts' replies as they pass.
//!
//! A v2 host publishes no workload events and its heartbeat only counts them: what a workload is,
//! where it runs and why it failed is known only from a `workload.start`/`.status`/`.stop`
//! request (namespace, name, images, host) and the host's answer (state, and for a failure the
//! whole error text, which Kubernetes drops). Each request is remembered by its reply subject
//! until it is answered (or for 60 s: a start unanswered by then is a fact of its own); each
//! answer becomes one [`WorkloadFacts`]. Failed starts of the same namespace and ReplicaSet
//! (`v2::replica_prefix`) are counted as one ongoing failure, as the operator recreates them.
//!
//! Requests come in redacted (`v2::clean_request`): nothing here holds a secret. Bounded: at most
//! [`MAX_ASKED`] requests waiting and [`MAX_WORKLOADS`] workloads (the least recently heard
//! are forgotten first).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::event::kind::KindId;
use crate::event::Event;
use crate::v2::{self, Command, V2Subject, WorkloadState};

/// The operator waits this long for a start's answer (four heartbeat intervals; tests shorten
/// the interval, `--v2-interval`, and this with it).
pub const START_TIMEOUT: Duration = Duration::seconds(60);
/// At most this many requests awaiting an answer.
const MAX_ASKED: usize = 16_384;
/// At most this many workloads remembered.
pub const MAX_WORKLOADS: usize = 10_000;
/// Failed starts this far apart are one ongoing failure.
const LOOP_WITHIN: Duration = Duration::minutes(10);
/// At most this many ReplicaSets' failures remembered.
const MAX_LOOPS: usize = 4096;

/// Kubernetes names are at most 253 characters: longer ones are cut, so that memory is bounded
/// in bytes, not only in entries.
const NAME_KEPT: usize = 253;
/// At most this many images of a workload are kept, each cut at this many bytes.
const IMAGES_KEPT: usize = 8;
const IMAGE_KEPT: usize = 256;
/// A host's message kept with a workload (the line shows each answer's text whole).
const MESSAGE_KEPT: usize = 4096;

/// `text` cut to at most `max` bytes, at a character boundary (`…` marks a cut).
fn clip(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
        // A cut string keeps its capacity otherwise.
        text.shrink_to_fit();
    }
    text
}

fn clip_images(images: Vec<String>) -> Vec<String> {
    images
        .into_iter()
        .take(IMAGES_KEPT)
        .map(|i| clip(i, IMAGE_KEPT))
        .collect()
}

/// What a request asked (a reply's meaning depends on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asks {
    Start,
    Status,
    Stop,
    Heartbeat,
    Other,
}

impl Asks {
    fn of(command: Command) -> Asks {
        match command {
            Command::WorkloadStart => Asks::Start,
            Command::WorkloadStatus => Asks::Status,
            Command::WorkloadStop => Asks::Stop,
            Command::Heartbeat => Asks::Heartbeat,
            Command::Other(_) => Asks::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Asks::Start => "workload.start",
            Asks::Status => "workload.status",
            Asks::Stop => "workload.stop",
            Asks::Heartbeat => "heartbeat",
            Asks::Other => "other",
        }
    }
}

/// A request awaiting its answer.
#[derive(Debug, Clone)]
struct Asked {
    asks: Asks,
    host: String,
    subject: String,
    id: String,
    namespace: String,
    name: String,
    images: Vec<String>,
    at: DateTime<Utc>,
}

/// A workload as the requests and answers seen so far describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub host: String,
    pub state: WorkloadState,
    /// The host's last text about it (an error's full text).
    pub message: Option<String>,
    pub images: Vec<String>,
    /// When it entered its state.
    pub since: DateTime<Utc>,
    /// When latwatch last heard of it.
    pub heard: DateTime<Utc>,
}

/// What one request or answer meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadFacts {
    /// The workload id (the Kubernetes Workload's UID).
    pub id: String,
    /// Empty when latwatch has only seen the id (a status poll of a workload started before it).
    pub namespace: String,
    pub name: String,
    /// The host's id.
    pub host: String,
    pub change: WorkloadChange,
}

impl WorkloadFacts {
    /// `namespace/name`, or the id when the name is unknown.
    pub fn key(&self) -> String {
        match self.name.is_empty() {
            true => self.id.clone(),
            false => format!("{}/{}", self.namespace, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadChange {
    /// A request passed (shown with `--verbose`).
    Asked { asks: Asks, images: Vec<String> },
    /// A start answered RUNNING after `took`.
    Started { images: Vec<String>, took: Duration },
    /// A start answered with anything else; `message` is the host's whole text. `failing`: the
    /// failed starts of its ReplicaSet so far, and over how long (from the second on).
    Failed {
        state: WorkloadState,
        message: Option<String>,
        images: Vec<String>,
        took: Duration,
        failing: Option<(u32, Duration)>,
    },
    /// A stop answered (STOPPING, or NOT_FOUND when the host did not hold it).
    Stopped { state: WorkloadState },
    /// A status poll found a state other than the one known (`from` is `None` for a workload
    /// latwatch had not met).
    State {
        from: Option<WorkloadState>,
        to: WorkloadState,
        message: Option<String>,
    },
    /// A status poll confirmed the known state: quiet.
    Same { state: WorkloadState },
    /// A heartbeat request answered (the host's heartbeat; quiet).
    HostAnswered,
    /// A start no host answered within [`START_TIMEOUT`].
    Unanswered { waited: Duration },
}

impl WorkloadChange {
    /// Routine: printed only with `--verbose`.
    pub fn routine(&self) -> bool {
        matches!(
            self,
            WorkloadChange::Asked { .. }
                | WorkloadChange::Same { .. }
                | WorkloadChange::HostAnswered
        )
    }

    /// The state the workload is in after it (what `--until-workload` compares).
    pub fn state(&self) -> Option<&WorkloadState> {
        match self {
            WorkloadChange::Started { .. } => Some(&WorkloadState::Running),
            WorkloadChange::Failed { state, .. }
            | WorkloadChange::Stopped { state }
            | WorkloadChange::State { to: state, .. }
            | WorkloadChange::Same { state } => Some(state),
            _ => None,
        }
    }

    /// The host's text, for a failure.
    pub fn message(&self) -> Option<&str> {
        match self {
            WorkloadChange::Failed { message, .. } | WorkloadChange::State { message, .. } => {
                message.as_deref()
            }
            _ => None,
        }
    }
}

/// Failed starts of one ReplicaSet.
#[derive(Debug, Clone, Copy)]
struct Failing {
    count: u32,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// Workload memory.
#[derive(Debug, Default)]
pub struct Workloads {
    /// How long a start may go unanswered; [`START_TIMEOUT`] when `None`.
    start_timeout: Option<Duration>,
    asked: HashMap<String, Asked>,
    order: VecDeque<String>,
    known: HashMap<String, Workload>,
    failing: HashMap<(String, String), Failing>,
    /// Counts for `--summary`: started, failed, stopped, by namespace.
    pub counts: std::collections::BTreeMap<String, [u64; 3]>,
}

/// A start no host answered: the subject it was sent on and a small JSON body latwatch made, to go
/// through the pipeline as a `v2_workload_unanswered` event.
#[derive(Debug)]
pub struct Unanswered {
    pub subject: String,
    pub payload: Vec<u8>,
    pub at: DateTime<Utc>,
}

impl Workloads {
    /// Workload memory; a start unanswered for `start_timeout` (default [`START_TIMEOUT`]) is
    /// said.
    pub fn new(start_timeout: Option<std::time::Duration>) -> Workloads {
        Workloads {
            start_timeout: start_timeout.and_then(|t| Duration::from_std(t).ok()),
            ..Workloads::default()
        }
    }

    /// The kind of an inbox message: what the request it answers asked, and the state it says.
    /// `None` when it answers no request seen (the caller discards it).
    pub fn reply_kind(&self, subject: &str, payload: &[u8]) -> Option<KindId> {
        let asked = self.asked.get(subject)?;
        let state = || v2::parse_reply(payload).map(|r| r.state).ok();
        Some(match asked.asks {
            Asks::Heartbeat => KindId::V2HostHeartbeat,
            Asks::Start if state() == Some(WorkloadState::Running) => KindId::V2WorkloadStarted,
            Asks::Start => KindId::V2WorkloadFailed,
            Asks::Stop => KindId::V2WorkloadStopped,
            Asks::Status | Asks::Other => KindId::V2WorkloadStatus,
        })
    }

    /// A request or an answer (or latwatch's own unanswered start), at `at`.
    pub fn observe(&mut self, event: &Event, at: DateTime<Utc>) -> Option<WorkloadFacts> {
        let subject = event.raw.subject?;
        match event.kind.known()? {
            KindId::V2Request => self.request(subject, event, at),
            KindId::V2WorkloadUnanswered => unanswered_facts(subject, event.raw.payload),
            KindId::V2HostHeartbeat if subject.starts_with(v2::INBOX_PREFIX) => {
                let asked = self.take(subject)?;
                Some(WorkloadFacts {
                    id: String::new(),
                    namespace: String::new(),
                    name: String::new(),
                    host: asked.host,
                    change: WorkloadChange::HostAnswered,
                })
            }
            id if id.is_v2_workload() => self.answer(subject, event.raw.payload, at),
            _ => None,
        }
    }

    fn request(
        &mut self,
        subject: &str,
        event: &Event,
        at: DateTime<Utc>,
    ) -> Option<WorkloadFacts> {
        let Some(V2Subject::Request { host_id, command }) = v2::classify(subject) else {
            return None;
        };
        let asks = Asks::of(command);
        let payload = event.raw.payload;
        let (id, namespace, name, images) = match asks {
            Asks::Start => match v2::parse_start(payload) {
                Ok(start) => (start.workload_id, start.namespace, start.name, start.images),
                Err(_) => Default::default(),
            },
            Asks::Status | Asks::Stop => (
                v2::parse_workload_id(payload).unwrap_or_default(),
                String::new(),
                String::new(),
                Vec::new(),
            ),
            Asks::Heartbeat | Asks::Other => Default::default(),
        };
        let (mut namespace, mut name, mut images) = (
            clip(namespace, NAME_KEPT),
            clip(name, NAME_KEPT),
            clip_images(images),
        );
        let id = clip(id, NAME_KEPT);
        if let (true, Some(known)) = (name.is_empty(), self.known.get(&id)) {
            namespace = known.namespace.clone();
            name = known.name.clone();
            images = known.images.clone();
        }
        if let Some(reply) = event.raw.reply {
            if self.asked.len() >= MAX_ASKED {
                while let Some(oldest) = self.order.pop_front() {
                    if self.asked.remove(&oldest).is_some() {
                        break;
                    }
                }
            }
            self.asked.insert(
                reply.to_owned(),
                Asked {
                    asks,
                    host: host_id.to_owned(),
                    subject: subject.to_owned(),
                    id: id.clone(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                    images: images.clone(),
                    at,
                },
            );
            self.order.push_back(reply.to_owned());
            // Answered requests leave their subject here until a tick passes it: when ticks do
            // not run (`--input` with `--json`), it is compacted instead.
            if self.order.len() >= 2 * MAX_ASKED {
                let asked = &self.asked;
                self.order.retain(|reply| asked.contains_key(reply));
            }
        }
        Some(WorkloadFacts {
            id,
            namespace,
            name,
            host: host_id.to_owned(),
            change: WorkloadChange::Asked { asks, images },
        })
    }

    fn take(&mut self, reply: &str) -> Option<Asked> {
        self.asked.remove(reply)
    }

    fn answer(
        &mut self,
        subject: &str,
        payload: &[u8],
        at: DateTime<Utc>,
    ) -> Option<WorkloadFacts> {
        let asked = self.take(subject)?;
        let mut reply = v2::parse_reply(payload).ok()?;
        if let WorkloadState::Other(state) = &mut reply.state {
            *state = clip(std::mem::take(state), 64);
        }
        let id = match reply.workload_id.is_empty() {
            true => asked.id.clone(),
            false => clip(reply.workload_id.clone(), NAME_KEPT),
        };
        let kept_message = reply.message.clone().map(|m| clip(m, MESSAGE_KEPT));
        let known = self.known.get(&id).cloned();
        let (namespace, name, images) = match (&known, asked.name.is_empty()) {
            (Some(k), true) => (k.namespace.clone(), k.name.clone(), k.images.clone()),
            _ => (asked.namespace, asked.name, asked.images),
        };
        let count = |counts: &mut std::collections::BTreeMap<String, [u64; 3]>, i: usize| {
            if counts.len() < MAX_LOOPS || counts.contains_key(&namespace) {
                counts.entry(namespace.clone()).or_default()[i] += 1;
            }
        };
        let change = match asked.asks {
            Asks::Start if reply.state == WorkloadState::Running => {
                count(&mut self.counts, 0);
                self.failing
                    .remove(&(namespace.clone(), v2::replica_prefix(&name).to_owned()));
                WorkloadChange::Started {
                    images: images.clone(),
                    took: at - asked.at,
                }
            }
            Asks::Start => {
                count(&mut self.counts, 1);
                let failing = self.failed(&namespace, &name, at);
                WorkloadChange::Failed {
                    state: reply.state.clone(),
                    message: reply.message.clone(),
                    images: images.clone(),
                    took: at - asked.at,
                    failing,
                }
            }
            Asks::Stop => {
                count(&mut self.counts, 2);
                WorkloadChange::Stopped {
                    state: reply.state.clone(),
                }
            }
            Asks::Status | Asks::Other | Asks::Heartbeat => match &known {
                // A RUNNING status carries no text where the start's answer did: only an
                // error's text is part of its state.
                Some(k)
                    if k.state == reply.state
                        && (reply.state != WorkloadState::Error || k.message == kept_message) =>
                {
                    WorkloadChange::Same {
                        state: reply.state.clone(),
                    }
                }
                // A workload latwatch does not know is not there: nothing to say.
                None if reply.state == WorkloadState::NotFound => WorkloadChange::Same {
                    state: reply.state.clone(),
                },
                _ => WorkloadChange::State {
                    from: known.as_ref().map(|k| k.state.clone()),
                    to: reply.state.clone(),
                    message: reply.message.clone(),
                },
            },
        };
        let gone = matches!(change, WorkloadChange::Stopped { .. })
            || (reply.state == WorkloadState::NotFound && asked.asks != Asks::Start);
        if gone {
            self.known.remove(&id);
        } else if !id.is_empty() {
            let since = match &known {
                Some(k) if k.state == reply.state => k.since,
                _ => at,
            };
            if !self.known.contains_key(&id) && self.known.len() >= MAX_WORKLOADS {
                self.forget_oldest();
            }
            self.known.insert(
                id.clone(),
                Workload {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    host: asked.host.clone(),
                    state: reply.state.clone(),
                    message: kept_message,
                    images,
                    since,
                    heard: at,
                },
            );
        }
        Some(WorkloadFacts {
            id,
            namespace,
            name,
            host: asked.host,
            change,
        })
    }

    /// A failed start of `namespace/name`: its ReplicaSet's failures so far, from the second.
    fn failed(
        &mut self,
        namespace: &str,
        name: &str,
        at: DateTime<Utc>,
    ) -> Option<(u32, Duration)> {
        let key = (namespace.to_owned(), v2::replica_prefix(name).to_owned());
        if !self.failing.contains_key(&key) && self.failing.len() >= MAX_LOOPS {
            self.failing.retain(|_, f| at - f.last <= LOOP_WITHIN);
            if self.failing.len() >= MAX_LOOPS {
                return None;
            }
        }
        let entry = self.failing.entry(key).or_insert(Failing {
            count: 0,
            first: at,
            last: at,
        });
        if at - entry.last > LOOP_WITHIN {
            *entry = Failing {
                count: 0,
                first: at,
                last: at,
            };
        }
        entry.count += 1;
        entry.last = at;
        (entry.count >= 2).then(|| (entry.count, at - entry.first))
    }

    fn forget_oldest(&mut self) {
        if let Some(oldest) = self
            .known
            .iter()
            .min_by_key(|(id, w)| (w.heard, id.as_str()))
            .map(|(id, _)| id.clone())
        {
            self.known.remove(&oldest);
        }
    }

    /// Starts unanswered for [`START_TIMEOUT`], as events to show; other requests waiting as long
    /// are forgotten (the operator gives up on a status after 5 s).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Unanswered> {
        let mut late = Vec::new();
        while let Some(reply) = self.order.front() {
            let Some(asked) = self.asked.get(reply) else {
                self.order.pop_front();
                continue;
            };
            if now - asked.at < self.start_timeout.unwrap_or(START_TIMEOUT) {
                break;
            }
            let reply = self.order.pop_front().unwrap_or_default();
            let Some(asked) = self.asked.remove(&reply) else {
                continue;
            };
            if asked.asks == Asks::Start {
                let body = serde_json::json!({
                    "workloadId": asked.id,
                    "namespace": asked.namespace,
                    "name": asked.name,
                    "hostId": asked.host,
                    "images": asked.images,
                    "waitedSeconds": (now - asked.at).num_seconds(),
                });
                late.push(Unanswered {
                    subject: asked.subject,
                    payload: body.to_string().into_bytes(),
                    at: now,
                });
            }
        }
        late
    }

    /// A workload known, by id.
    pub fn get(&self, id: &str) -> Option<&Workload> {
        self.known.get(id)
    }

    /// The workloads known, by id.
    pub fn known(&self) -> impl Iterator<Item = (&String, &Workload)> {
        self.known.iter()
    }

    /// The workloads on `host` (a host that restarted or was lost holds none any more).
    pub fn forget_host(&mut self, host: &str) {
        self.known.retain(|_, w| w.host != host);
    }
}

/// The facts of latwatch's own unanswered-start event, read back from the body it made.
fn unanswered_facts(subject: &str, payload: &[u8]) -> Option<WorkloadFacts> {
    let body: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let text = |key: &str| {
        body.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let host = match v2::classify(subject) {
        Some(V2Subject::Request { host_id, .. }) => host_id.to_owned(),
        _ => text("hostId"),
    };
    Some(WorkloadFacts {
        id: text("workloadId"),
        namespace: text("namespace"),
        name: text("name"),
        host,
        change: WorkloadChange::Unanswered {
            waited: Duration::seconds(
                body.get("waitedSeconds")
                    .and_then(|v| v.as_i64())
                    .unwrap_or(60),
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode_v2_message, RawMessage, Received};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn request(w: &mut Workloads, command: &str, body: &str, reply: &str, s: i64) -> WorkloadFacts {
        let subject = format!("runtime.host.h1.{command}");
        let event = decode_v2_message(
            RawMessage {
                subject: Some(&subject),
                payload: body.as_bytes(),
                received: Received::At(at(s)),
                reply: Some(reply),
            },
            KindId::V2Request,
        );
        w.observe(&event, at(s)).unwrap()
    }

    fn answer(w: &mut Workloads, reply: &str, state: &str, message: &str, s: i64) -> WorkloadFacts {
        let body = format!(
            r#"{{"workloadStatus":{{"workloadId":"w1","workloadState":"WORKLOAD_STATE_{state}","message":"{message}"}}}}"#
        );
        let kind = w.reply_kind(reply, body.as_bytes()).unwrap();
        let event = decode_v2_message(
            RawMessage {
                subject: Some(reply),
                payload: body.as_bytes(),
                received: Received::At(at(s)),
                reply: None,
            },
            kind,
        );
        w.observe(&event, at(s)).unwrap()
    }

    fn start(name: &str) -> String {
        format!(
            r#"{{"workloadId":"w1","workload":{{"namespace":"default","name":"{name}","witWorld":{{"components":[{{"image":"reg/hello:1"}}]}}}}}}"#
        )
    }

    #[test]
    fn a_start_its_status_and_its_stop() {
        let mut w = Workloads::default();
        let asked = request(
            &mut w,
            "workload.start",
            &start("hello-7f9c2-abcde"),
            "_INBOX.1",
            0,
        );
        assert!(asked.change.routine());
        let started = answer(&mut w, "_INBOX.1", "RUNNING", "ok", 1);
        assert_eq!(started.key(), "default/hello-7f9c2-abcde");
        assert!(
            matches!(started.change, WorkloadChange::Started { took, .. } if took == Duration::seconds(1))
        );
        request(
            &mut w,
            "workload.status",
            r#"{"workloadId":"w1"}"#,
            "_INBOX.2",
            30,
        );
        // The status reply carries no message for RUNNING: the state is the same.
        let body =
            r#"{"workloadStatus":{"workloadId":"w1","workloadState":"WORKLOAD_STATE_RUNNING"}}"#;
        let kind = w.reply_kind("_INBOX.2", body.as_bytes()).unwrap();
        assert_eq!(kind, KindId::V2WorkloadStatus);
        let same = w.answer("_INBOX.2", body.as_bytes(), at(31)).unwrap();
        assert!(same.change.routine(), "{:?}", same.change);
        request(
            &mut w,
            "workload.status",
            r#"{"workloadId":"w1"}"#,
            "_INBOX.3",
            60,
        );
        let again = w.answer("_INBOX.3", body.as_bytes(), at(61)).unwrap();
        assert!(again.change.routine(), "{:?}", again.change);
        request(
            &mut w,
            "workload.stop",
            r#"{"workloadId":"w1"}"#,
            "_INBOX.4",
            90,
        );
        let stopped = answer(
            &mut w,
            "_INBOX.4",
            "STOPPING",
            "Workload stopped successfully",
            91,
        );
        assert_eq!(stopped.key(), "default/hello-7f9c2-abcde");
        assert!(matches!(stopped.change, WorkloadChange::Stopped { .. }));
        assert_eq!(w.known().count(), 0);
        assert_eq!(w.counts["default"], [1, 0, 1]);
    }

    #[test]
    fn failed_starts_of_one_replicaset_are_one_ongoing_failure() {
        let mut w = Workloads::default();
        for (i, name) in [
            "ghost-5d8f7-aaaaa",
            "ghost-5d8f7-bbbbb",
            "ghost-5d8f7-ccccc",
        ]
        .iter()
        .enumerate()
        {
            let reply = format!("_INBOX.{i}");
            request(
                &mut w,
                "workload.start",
                &start(name),
                &reply,
                i as i64 * 60,
            );
            let failed = answer(
                &mut w,
                &reply,
                "ERROR",
                "manifest unknown",
                i as i64 * 60 + 1,
            );
            let WorkloadChange::Failed {
                failing, message, ..
            } = failed.change
            else {
                panic!("{failed:?}");
            };
            assert_eq!(message.as_deref(), Some("manifest unknown"));
            match i {
                0 => assert_eq!(failing, None),
                _ => assert_eq!(
                    failing,
                    Some((i as u32 + 1, Duration::seconds(i as i64 * 60)))
                ),
            }
        }
    }

    #[test]
    fn an_unanswered_start_is_told_once_after_sixty_seconds() {
        let mut w = Workloads::default();
        request(
            &mut w,
            "workload.start",
            &start("slow-1a2b3-xyz"),
            "_INBOX.9",
            0,
        );
        request(
            &mut w,
            "workload.status",
            r#"{"workloadId":"w1"}"#,
            "_INBOX.10",
            1,
        );
        assert!(w.tick(at(59)).is_empty());
        let late = w.tick(at(61));
        assert_eq!(late.len(), 1, "the status is forgotten quietly");
        assert_eq!(late[0].subject, "runtime.host.h1.workload.start");
        let facts = unanswered_facts(&late[0].subject, &late[0].payload).unwrap();
        assert_eq!(facts.key(), "default/slow-1a2b3-xyz");
        assert!(w.tick(at(200)).is_empty());
        assert!(w.reply_kind("_INBOX.9", b"{}").is_none());
    }

    #[test]
    fn requests_waiting_are_bounded() {
        let mut w = Workloads::default();
        for i in 0..MAX_ASKED + 5 {
            request(
                &mut w,
                "workload.status",
                r#"{"workloadId":"x"}"#,
                &format!("_INBOX.{i}"),
                0,
            );
        }
        assert!(w.asked.len() <= MAX_ASKED);
    }
}
