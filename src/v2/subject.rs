//! v2 subjects: which control-plane message a NATS subject names.
//!
//! v2 has no lattice and no subject prefix: every host on a NATS account shares one subject
//! space, so the subjects below are matched literally.

/// What a host's heartbeat broadcast subject starts with; the host id follows.
pub const HEARTBEAT_PREFIX: &str = "runtime.operator.heartbeat.";
/// What every request to a host starts with; `<host-id>.<command>` follows.
pub const HOST_PREFIX: &str = "runtime.host.";
/// What a NATS reply subject starts with (the requester's inbox).
pub const INBOX_PREFIX: &str = "_INBOX.";
/// Subscription for every host heartbeat (no side effect on the lattice).
pub const HEARTBEAT_WILDCARD: &str = "runtime.operator.heartbeat.>";
/// Subscription for every request to a host. ⚠ It counts as interest, so requests to a dead host
/// then time out instead of failing fast with "no responders".
pub const HOST_WILDCARD: &str = "runtime.host.>";
/// Subscription for every reply (also other clients' replies: keep only those that answer a
/// `runtime.host.*` request).
pub const INBOX_WILDCARD: &str = "_INBOX.>";

/// The command of a request to a host: the subject after its third token
/// (`runtime.host.<id>.<command>`), which may itself contain dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command<'a> {
    /// `heartbeat`: body `{}`, reply a pretty `HostHeartbeat`.
    Heartbeat,
    /// `workload.start`: body a `WorkloadStartRequest`, which carries secrets (see
    /// [`crate::v2::redact_start`]).
    WorkloadStart,
    /// `workload.status`: body `{"workloadId": …}`.
    WorkloadStatus,
    /// `workload.stop`: body `{"workloadId": …}`.
    WorkloadStop,
    /// Anything else (the host answers none of these); the command text as it came, untrusted.
    Other(&'a str),
}

impl<'a> Command<'a> {
    /// The command as it appears in the subject (`workload.start`, …).
    pub fn as_str(&self) -> &'a str {
        match self {
            Command::Heartbeat => "heartbeat",
            Command::WorkloadStart => "workload.start",
            Command::WorkloadStatus => "workload.status",
            Command::WorkloadStop => "workload.stop",
            Command::Other(s) => s,
        }
    }

    fn from_str(command: &'a str) -> Self {
        match command {
            "heartbeat" => Command::Heartbeat,
            "workload.start" => Command::WorkloadStart,
            "workload.status" => Command::WorkloadStatus,
            "workload.stop" => Command::WorkloadStop,
            other => Command::Other(other),
        }
    }
}

/// A subject of the v2 control plane, borrowed from the subject string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum V2Subject<'a> {
    /// `runtime.operator.heartbeat.<host-id>`: a host's periodic heartbeat.
    Heartbeat {
        /// The host's id (a new time-ordered UUID on every host start).
        host_id: &'a str,
    },
    /// `runtime.host.<host-id>.<command>`: a request to one host (from the operator, usually).
    Request {
        /// The id of the host the request is for.
        host_id: &'a str,
        /// What is asked.
        command: Command<'a>,
    },
    /// `_INBOX.…`: a reply (or any other inbox traffic; pair it with a request to know).
    Inbox,
}

/// Classifies a NATS subject as a v2 control-plane subject, or `None` when it is not one.
///
/// * `runtime.operator.heartbeat.<id>` → [`V2Subject::Heartbeat`] (exactly one token after the
///   prefix);
/// * `runtime.host.<id>.<command>` → [`V2Subject::Request`], `<command>` being everything after
///   the third token (`workload.start`, …; unknown ones are [`Command::Other`]);
/// * `_INBOX.<anything>` → [`V2Subject::Inbox`].
///
/// Subjects are case-sensitive and matched literally (v2 has no prefix). `None` for a subject
/// with an empty token (`a..b`, a leading or trailing dot), a wildcard token (`*`, `>`), or a
/// host id containing `*` or `>`: those are subscriptions, never published subjects.
pub fn classify(subject: &str) -> Option<V2Subject<'_>> {
    if subject
        .split('.')
        .any(|token| token.is_empty() || token == "*" || token == ">")
    {
        return None;
    }
    if let Some(host_id) = subject.strip_prefix(HEARTBEAT_PREFIX) {
        return (valid_id(host_id) && !host_id.contains('.'))
            .then_some(V2Subject::Heartbeat { host_id });
    }
    if let Some(rest) = subject.strip_prefix(HOST_PREFIX) {
        let (host_id, command) = rest.split_once('.')?;
        return valid_id(host_id).then(|| V2Subject::Request {
            host_id,
            command: Command::from_str(command),
        });
    }
    if subject.starts_with(INBOX_PREFIX) {
        return Some(V2Subject::Inbox);
    }
    None
}

/// A host id: non-empty (checked by the caller's token rule too) and free of wildcard characters.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && !id.contains(['*', '>'])
}

/// A subject whose messages may carry a workload start's secrets, or answer one: the operator's
/// requests to a host and the replies on `_INBOX`. Never shown or recorded unredacted.
pub fn carries_secrets(subject: &str) -> bool {
    subject.starts_with(HOST_PREFIX) || subject.starts_with(INBOX_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01a23608-a255-7980-98a3-97c727c3d665";

    #[test]
    fn classify_heartbeat_and_requests() {
        assert_eq!(
            classify(&format!("runtime.operator.heartbeat.{ID}")),
            Some(V2Subject::Heartbeat { host_id: ID })
        );
        for (cmd, want) in [
            ("heartbeat", Command::Heartbeat),
            ("workload.start", Command::WorkloadStart),
            ("workload.status", Command::WorkloadStatus),
            ("workload.stop", Command::WorkloadStop),
            ("workload.list", Command::Other("workload.list")),
            ("bogus", Command::Other("bogus")),
        ] {
            let subject = format!("runtime.host.{ID}.{cmd}");
            let got = classify(&subject);
            assert_eq!(
                got,
                Some(V2Subject::Request {
                    host_id: ID,
                    command: want
                }),
                "{subject}"
            );
            if let Some(V2Subject::Request { command, .. }) = got {
                assert_eq!(command.as_str(), cmd);
            }
        }
        assert_eq!(classify("_INBOX.abc.def"), Some(V2Subject::Inbox));
        assert_eq!(classify("_INBOX.abc"), Some(V2Subject::Inbox));
    }

    #[test]
    fn classify_rejects_malformed_and_wildcards() {
        for subject in [
            "",
            ".",
            "runtime.operator.heartbeat",
            "runtime.operator.heartbeat.",
            "runtime.operator.heartbeat.*",
            "runtime.operator.heartbeat.>",
            "runtime.operator.heartbeat.a*b",
            "runtime.operator.heartbeat.a.b",
            "runtime.operator.other.x",
            "runtime.host",
            "runtime.host.",
            "runtime.host.x",
            "runtime.host.x.",
            "runtime.host..heartbeat",
            "runtime.host.*.heartbeat",
            "runtime.host.>",
            "runtime.host.x.workload.*",
            "runtime.host.x.workload..start",
            "runtime.host.a>b.heartbeat",
            "Runtime.host.x.heartbeat",
            "_INBOX.",
            "_INBOX.>",
            "_INBOX",
            "wasmbus.evt.default.host_heartbeat",
        ] {
            assert_eq!(classify(subject), None, "{subject:?}");
        }
    }
}
