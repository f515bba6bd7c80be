//! Lattice memory: what latwatch learns while watching.
//!
//! For now, host names: each host's `friendly_name` from `host_started` and `host_heartbeat`, so
//! `--host misty-river-4821` finds the host whose key it is. A `host_stopped` forgets the host, so
//! the map holds at most the hosts alive in the lattice. Memory sees every decoded event before the
//! filter does: a name learned from a heartbeat that is filtered out still counts.

use std::collections::HashMap;

use crate::event::Event;

#[derive(Debug, Default)]
pub struct Lattice {
    /// Host key → friendly name.
    names: HashMap<String, String>,
}

impl Lattice {
    /// Learns from one event.
    pub fn observe(&mut self, event: &Event) {
        match event.kind.name() {
            "host_started" | "host_heartbeat" => {
                let (Some(host), Some(name)) = (
                    event.host_id(),
                    event.data().and_then(|d| d.str("friendly_name")),
                ) else {
                    return;
                };
                if self.names.get(host.as_ref()).map(String::as_str) != Some(name.as_ref()) {
                    self.names.insert(host.into_owned(), name.into_owned());
                }
            }
            "host_stopped" => {
                if let Some(host) = event.host_id() {
                    self.names.remove(host.as_ref());
                }
            }
            _ => {}
        }
    }

    /// The friendly name of a host, once learned.
    pub fn host_name(&self, host_id: &str) -> Option<&str> {
        self.names.get(host_id).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, RawMessage, Received};
    use chrono::{DateTime, Utc};

    fn observe(lattice: &mut Lattice, payload: &str) {
        lattice.observe(&decode(RawMessage {
            subject: None,
            payload: payload.as_bytes(),
            received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
        }));
    }

    #[test]
    fn names_come_from_starts_and_heartbeats_and_go_with_stops() {
        let mut lattice = Lattice::default();
        observe(
            &mut lattice,
            r#"{"type":"com.wasmcloud.lattice.host_heartbeat","source":"NA","data":{"host_id":"NA","friendly_name":"a-1"}}"#,
        );
        assert_eq!(lattice.host_name("NA"), Some("a-1"));
        observe(
            &mut lattice,
            r#"{"type":"com.wasmcloud.lattice.host_started","source":"NB","data":{"friendly_name":"b-2"}}"#,
        );
        assert_eq!(lattice.host_name("NB"), Some("b-2"));
        observe(
            &mut lattice,
            r#"{"type":"com.wasmcloud.lattice.host_stopped","source":"NB","data":{"labels":{}}}"#,
        );
        assert_eq!(lattice.host_name("NB"), None);
    }
}
