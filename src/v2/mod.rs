//! wasmCloud 2 control plane: pure decoding of what a v2 deployment sends over NATS.
//!
//! No NATS code and no I/O: subjects and payload bytes in, plain values out. The rules follow the
//! host's source (wasmCloud `crates/wash-runtime/src/washlet`, the `wasmcloud.runtime.v2` protos)
//! and a recording of two `wash host` 2.10.3 hosts (`tests/fixtures/v2-hosts-workloads.jsonl`).
//! A v2 deployment's whole control plane is one broadcast and four request/reply RPCs, with no
//! headers and no CloudEvents envelope:
//!
//! | subject | body | reply |
//! | --- | --- | --- |
//! | `runtime.operator.heartbeat.<host-id>` (every 15 s) | `HostHeartbeat`, compact | none |
//! | `runtime.host.<host-id>.heartbeat` | `{}` | `HostHeartbeat`, pretty |
//! | `runtime.host.<host-id>.workload.start` | `WorkloadStartRequest` (**carries secrets**) | `{"workloadStatus": …}`, pretty |
//! | `runtime.host.<host-id>.workload.status` | `{"workloadId": …}` | `{"workloadStatus": …}`, pretty |
//! | `runtime.host.<host-id>.workload.stop` | `{"workloadId": …}` | `{"workloadStatus": …}`, pretty |
//!
//! Replies travel on the requester's `_INBOX.…` subject; pairing a reply with its request (by the
//! request's reply subject) is the caller's job.
//!
//! - [`subject`]: [`classify`] a subject into a [`V2Subject`].
//! - [`heartbeat`]: [`parse_heartbeat`] → [`HostBeat`] (broadcasts and heartbeat replies alike).
//! - [`workload`]: [`parse_start`], [`parse_workload_id`], [`parse_reply`], [`replica_prefix`].
//! - [`redact`]: [`redact_start`], the only safe way to show or record a `workload.start` body.
//!
//! # Decoding rules (all parsers)
//! Bodies are protojson: lowerCamelCase keys, but the snake_case proto names are accepted too (as
//! the host itself does); a missing key or `null` is the zero value; 64-bit integers arrive as JSON
//! strings (`"2"`) and numbers are accepted too; compact or pretty JSON alike. Unknown keys are
//! skipped without being stored. A key given twice (or under both spellings) is an error, as in
//! the host's own decoder. The top level must be a JSON object.
//!
//! Errors are a short reason with a position (`integer out of range (line 1, column 57)`), never
//! text from the payload: a payload may carry secrets, and reasons end up in logs and terminals.
//! Decoded strings are untrusted text: escape them before printing (`crate::text`).

pub mod gate;
pub mod heartbeat;
pub mod redact;
pub mod subject;
pub mod workload;

mod de;

#[cfg(test)]
mod tests;

pub use gate::{clean_answer, clean_request, Gate};
pub use heartbeat::{parse_heartbeat, HostBeat};
pub use redact::{redact_answer, redact_start, Redacted, REDACTED};
pub use subject::{
    carries_secrets, classify, Command, V2Subject, HEARTBEAT_PREFIX, HEARTBEAT_WILDCARD,
    HOST_PREFIX, HOST_WILDCARD, INBOX_PREFIX, INBOX_WILDCARD,
};
pub use workload::{
    parse_reply, parse_start, parse_workload_id, replica_prefix, StartRequest, StatusReply,
    WorkloadState,
};

/// How often a v2 host publishes its heartbeat (fixed in the host, no flag).
pub const HEARTBEAT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);
