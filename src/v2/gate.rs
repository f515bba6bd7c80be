//! Which of the operator's requests and the hosts' replies may go further (`--workloads`), and in
//! what form: the one stage every v2 request or reply passes before anything else sees it (the
//! live intake, a recording, `--input` alike).
//!
//! * A request to a host (`runtime.host.<id>.<command>`) passes; a `workload.start`'s secrets are
//!   redacted first ([`clean_request`]), and one that cannot be read is dropped whole. Its reply
//!   subject is remembered.
//! * A message on an `_INBOX` passes only when it answers a request that passed: other clients use
//!   inboxes too, and their traffic is none of latwatch's business. It is discarded undecoded.
//!   A reply can overtake its request (they come through two subscriptions): it waits here a few
//!   seconds for it, bounded in count and bytes.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::{classify, redact_answer, redact_start, Redacted, V2Subject};

/// How long a request's reply subject is remembered: the operator waits 60 s for a start.
const ASKED_FOR: Duration = Duration::seconds(70);
/// At most this many requests awaiting their reply (the oldest are forgotten first).
const MAX_ASKED: usize = 16_384;
/// How long a reply that came before its request waits for it.
const EARLY_FOR: Duration = Duration::seconds(5);
/// At most this many early replies, and bytes of them.
const MAX_EARLY: usize = 1024;
const MAX_EARLY_BYTES: usize = 4 << 20;

/// A request's body as it may go further: `None` drops it (a body that cannot be read cannot be
/// cleaned). Every request to a host is redacted, whatever its command (a start's secrets could
/// be sent on any subject); anything not a request to a host passes as it is.
pub fn clean_request<'a>(subject: &str, payload: &'a [u8]) -> Option<Cow<'a, [u8]>> {
    match classify(subject) {
        // Every request by the start's rule; a body that is not an object (a JSON string could
        // hold a whole start) is dropped.
        Some(V2Subject::Request { .. }) if !is_object(payload) => None,
        Some(V2Subject::Request { .. }) => cleaned(payload, redact_start(payload)),
        _ => Some(Cow::Borrowed(payload)),
    }
}

/// A host's answer as it may go further (`redact_answer`): `None` drops it, and one that is not
/// a JSON object.
pub fn clean_answer(payload: &[u8]) -> Option<Cow<'_, [u8]>> {
    match is_object(payload) {
        true => cleaned(payload, redact_answer(payload)),
        false => None,
    }
}

/// The body's first non-blank byte opens an object (every v2 request and answer is one).
fn is_object(payload: &[u8]) -> bool {
    payload.trim_ascii_start().first() == Some(&b'{')
}

fn cleaned(payload: &[u8], redacted: Redacted) -> Option<Cow<'_, [u8]>> {
    match redacted {
        Redacted::Unchanged => Some(Cow::Borrowed(payload)),
        Redacted::Changed(bytes) => Some(Cow::Owned(bytes)),
        Redacted::Unreadable => None,
    }
}

/// The pairing half of the stage: `T` is whatever the caller passes on (a NATS message, a line).
pub struct Gate<T> {
    /// Reply subjects of the requests passed, and when each stops being awaited.
    asked: HashMap<String, DateTime<Utc>>,
    order: VecDeque<(DateTime<Utc>, String)>,
    /// Replies that came before their request: (arrived, subject, message, bytes).
    early: VecDeque<(DateTime<Utc>, String, T, usize)>,
    early_bytes: usize,
    /// Inbox messages discarded (answering nothing latwatch saw).
    pub discarded: u64,
}

impl<T> Default for Gate<T> {
    fn default() -> Self {
        Gate {
            asked: HashMap::new(),
            order: VecDeque::new(),
            early: VecDeque::new(),
            early_bytes: 0,
            discarded: 0,
        }
    }
}

impl<T> Gate<T> {
    /// A request passed, asking for its answer on `reply`: a reply that came early, to pass
    /// right after the request.
    pub fn asked(&mut self, reply: &str, now: DateTime<Utc>) -> Option<T> {
        self.expire(now);
        if let Some(at) = self
            .early
            .iter()
            .position(|(_, subject, ..)| subject == reply)
        {
            let (_, _, message, bytes) = self.early.remove(at)?;
            self.early_bytes -= bytes;
            return Some(message);
        }
        // The oldest still awaited goes (an entry of `order` may have been answered already).
        while self.asked.len() >= MAX_ASKED {
            match self.order.pop_front() {
                Some((_, oldest)) => {
                    self.asked.remove(&oldest);
                }
                None => break,
            }
        }
        if self.order.len() >= 2 * MAX_ASKED {
            let asked = &self.asked;
            self.order.retain(|(_, reply)| asked.contains_key(reply));
        }
        let until = now + ASKED_FOR;
        self.asked.insert(reply.to_owned(), until);
        self.order.push_back((until, reply.to_owned()));
        None
    }

    /// A message on an inbox: returned when it answers a request that passed (once: a reply
    /// subject gets one answer); else held a moment for its request, or discarded.
    pub fn answer(
        &mut self,
        subject: &str,
        message: T,
        bytes: usize,
        now: DateTime<Utc>,
    ) -> Option<T> {
        self.expire(now);
        if self.asked.remove(subject).is_some() {
            return Some(message);
        }
        if self.early.len() >= MAX_EARLY || self.early_bytes + bytes > MAX_EARLY_BYTES {
            self.discarded += 1;
            return None;
        }
        self.early_bytes += bytes;
        self.early
            .push_back((now + EARLY_FOR, subject.to_owned(), message, bytes));
        None
    }

    /// Forgets what waited too long.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        while self.order.front().is_some_and(|(until, _)| *until <= now) {
            if let Some((until, reply)) = self.order.pop_front() {
                // The same subject asked again later has a later deadline: keep that one.
                if self.asked.get(&reply).is_some_and(|u| *u <= until) {
                    self.asked.remove(&reply);
                }
            }
        }
        while self.early.front().is_some_and(|(until, ..)| *until <= now) {
            if let Some((_, _, _, bytes)) = self.early.pop_front() {
                self.early_bytes -= bytes;
                self.discarded += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms)
    }

    #[test]
    fn only_answers_to_requests_seen_pass_once() {
        let mut gate = Gate::default();
        assert_eq!(gate.asked("_INBOX.a.1", at(0)), None);
        assert_eq!(gate.answer("_INBOX.a.1", "reply", 5, at(10)), Some("reply"));
        assert_eq!(gate.answer("_INBOX.a.1", "again", 5, at(20)), None);
        assert_eq!(gate.answer("_INBOX.other", "x", 1, at(20)), None);
        gate.expire(at(10_000));
        assert_eq!(gate.discarded, 2, "both waited and were discarded");
    }

    #[test]
    fn a_reply_that_overtook_its_request_passes_after_it() {
        let mut gate = Gate::default();
        assert_eq!(gate.answer("_INBOX.a.2", "early", 5, at(0)), None);
        assert_eq!(gate.asked("_INBOX.a.2", at(100)), Some("early"));
        // Too late: the early reply is gone.
        assert_eq!(gate.answer("_INBOX.a.3", "late", 5, at(0)), None);
        assert_eq!(gate.asked("_INBOX.a.3", at(6_000)), None);
    }

    #[test]
    fn requests_are_forgotten_after_seventy_seconds_and_bounded() {
        let mut gate: Gate<u8> = Gate::default();
        gate.asked("_INBOX.x", at(0));
        assert_eq!(gate.answer("_INBOX.x", 1, 1, at(71_000)), None);
        for i in 0..MAX_ASKED + 10 {
            gate.asked(&format!("_INBOX.{i}"), at(0));
        }
        assert!(gate.asked.len() <= MAX_ASKED);
        let mut early = Gate::default();
        for i in 0..MAX_EARLY + 5 {
            early.answer(&format!("_INBOX.{i}"), (), 1, at(0));
        }
        assert_eq!(early.early.len(), MAX_EARLY);
        assert!(early
            .answer("_INBOX.big", (), MAX_EARLY_BYTES, at(0))
            .is_none());
    }

    #[test]
    fn a_start_is_redacted_and_an_unreadable_one_dropped() {
        let subject = "runtime.host.h1.workload.start";
        let start = br#"{"workload":{"service":{"imagePullSecret":{"password":"hunter2"}}}}"#;
        let cleaned = clean_request(subject, start).unwrap();
        assert!(!String::from_utf8_lossy(&cleaned).contains("hunter2"));
        assert!(clean_request(subject, b"{\"password\":\"hunter2\"").is_none());
        let status = br#"{"workloadId":"w"}"#;
        assert!(matches!(
            clean_request("runtime.host.h1.workload.status", status),
            Some(Cow::Borrowed(_))
        ));
    }
}
