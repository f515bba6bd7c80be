//! wasmCloud 2 hosts in lattice memory, from their heartbeats (`runtime.operator.heartbeat.<id>`,
//! every 15 s, decoded by `crate::v2`).
//!
//! A v2 host is one more [`Host`] in the same map as 1.x hosts: names, `--host`, `--summary`, the
//! host bound and forgetting work alike. What differs is kept in [`V2Host`]: a v2 heartbeat
//! carries counts (workloads, components), not an inventory; a host group and an environment
//! instead of free labels; and its interval is fixed, so silence is judged against it: silent
//! after two missed heartbeats, lost after four (60 s, when the operator deletes the Host and
//! reschedules its workloads). A host id is new on every start: a hostname that comes back with a
//! new id is the same machine restarted.

use chrono::{DateTime, Duration, Utc};

use super::{recount, Change, Facts, Host, Lattice, MAX_HOSTS};
use crate::event::Event;
use crate::v2::HostBeat;

/// What a wasmCloud 2 host's heartbeat says beyond a 1.x host's name and version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct V2Host {
    pub hostname: String,
    pub hostgroup: Option<String>,
    pub environment: Option<String>,
    pub http_port: Option<u32>,
    pub started_at: Option<DateTime<Utc>>,
    pub workloads: u64,
    pub components: u64,
    /// Reported lost (no heartbeat for four intervals).
    pub lost: bool,
}

impl V2Host {
    fn of(beat: &HostBeat) -> V2Host {
        V2Host {
            hostname: beat.hostname.clone(),
            hostgroup: beat.hostgroup.clone(),
            environment: beat.environment.clone(),
            http_port: beat.http_port,
            started_at: beat.started_at,
            workloads: beat.workload_count,
            components: beat.component_count,
            lost: false,
        }
    }
}

/// A host that started at most this many intervals before its first heartbeat latwatch hears
/// joined; an older one was only seen (latwatch started later).
const JOINED_WITHIN_INTERVALS: i32 = 2;
/// Silent after this many intervals without a heartbeat (two missed).
pub(super) const SILENT_AFTER: i32 = 2;
/// Lost after this many (the operator's 60 s heartbeat TTL at 15 s).
pub(super) const LOST_AFTER: i32 = 4;

impl Lattice {
    /// A v2 heartbeat: the first one from an id says the host joined (or was seen, or restarted
    /// under a hostname known with another id); later ones what changed, usually nothing.
    pub(super) fn v2_heartbeat(&mut self, event: &Event, at: DateTime<Utc>) -> Facts {
        let beat = match crate::v2::parse_heartbeat(event.raw.payload) {
            Ok(beat) => beat,
            // Not a heartbeat latwatch can read whole (decoding flags the line): it still says
            // its host is alive, so a known host is not called silent for it.
            Err(_) => return self.v2_unreadable_heartbeat(event, at),
        };
        let id = match (beat.id.as_str(), event.host_id()) {
            ("", Some(id)) => id.into_owned(),
            ("", None) => return Facts::default(),
            (id, _) => id.to_owned(),
        };
        let interval = self.v2_interval();
        let mut changes = Vec::new();
        if !self.hosts.contains_key(&id) {
            // The same machine under a new id: the old id is gone for good.
            // Only a host gone silent, or last heard before this one started, is its past: two
            // live hosts may share a machine's name (two `wash host` without `--host-name`).
            // Of several, the one heard from longest ago (then the least id): the map's order
            // is random, the answer must not be.
            let restarted = match beat.hostname.as_str() {
                "" => None,
                hostname => self
                    .hosts
                    .iter()
                    .filter(|(_, h)| {
                        h.v2.as_ref().is_some_and(|v| v.hostname == hostname)
                            && (h.silent_since.is_some()
                                || beat.started_at.is_some_and(|started| {
                                    h.last_heartbeat.is_some_and(|last| last <= started)
                                }))
                    })
                    .min_by(|(a, ha), (b, hb)| {
                        (ha.last_heartbeat, a.as_str()).cmp(&(hb.last_heartbeat, b.as_str()))
                    })
                    .map(|(old, _)| old.clone()),
            };
            if let Some(old) = restarted {
                if let Some(host) = self.hosts.remove(&old) {
                    recount(&mut self.name_counts, host.name.as_deref(), None);
                }
                changes.push(Change::Restarted { was: old });
            }
            if self.hosts.len() >= MAX_HOSTS {
                self.make_room();
            }
            let up = beat.started_at.map(|started| at - started);
            let joined = up.is_some_and(|up| up <= interval * JOINED_WITHIN_INTERVALS);
            changes.push(Change::V2Appeared {
                joined,
                hostname: beat.hostname.clone(),
                hostgroup: beat.hostgroup.clone(),
                environment: beat.environment.clone(),
                version: beat.version.clone(),
                http_port: beat.http_port,
                up: up.filter(|_| !joined),
                workloads: beat.workload_count,
                components: beat.component_count,
            });
            self.hosts.insert(id.clone(), Host::default());
        }
        let Some(host) = self.hosts.get_mut(&id) else {
            return Facts::default();
        };
        if let Some(since) = host.silent_since.take() {
            changes.push(Change::Back {
                silent_for: at - since,
            });
        }
        if let Some(old) = &host.v2 {
            if (old.workloads, old.components) != (beat.workload_count, beat.component_count) {
                changes.push(Change::V2Counts {
                    workloads: (old.workloads, beat.workload_count),
                    components: (old.components, beat.component_count),
                });
            }
            let labels = [
                ("hostgroup", old.hostgroup.clone(), beat.hostgroup.clone()),
                (
                    "environment",
                    old.environment.clone(),
                    beat.environment.clone(),
                ),
                (
                    "http_port",
                    old.http_port.map(|p| p.to_string()),
                    beat.http_port.map(|p| p.to_string()),
                ),
            ];
            for (key, from, to) in labels {
                if from != to {
                    changes.push(Change::Label {
                        key: key.to_owned(),
                        from,
                        to,
                    });
                }
            }
            if let Some(from) = host.version.as_ref().filter(|v| **v != beat.version) {
                changes.push(Change::Version {
                    from: from.clone(),
                    to: beat.version.clone(),
                });
            }
        }
        let name = Some(beat.friendly_name.clone()).filter(|n| !n.is_empty());
        if host.name != name {
            recount(&mut self.name_counts, host.name.as_deref(), name.as_deref());
            host.name = name;
        }
        host.version = Some(beat.version.clone()).filter(|v| !v.is_empty());
        host.last_heartbeat = Some(at);
        host.last_seen = Some(at);
        host.v2 = Some(V2Host::of(&beat));
        let name_shared = host
            .name
            .as_ref()
            .is_some_and(|n| self.name_counts.get(n).is_some_and(|c| *c > 1));
        let host_name = host.name.clone();
        Facts {
            host_name,
            name_shared,
            quiet: changes.is_empty(),
            changes,
            ..Facts::default()
        }
    }

    /// A heartbeat whose fields cannot be read: what it proves is that its host (by the id in
    /// it, else in its subject) is alive. Not quiet: the line is flagged.
    fn v2_unreadable_heartbeat(&mut self, event: &Event, at: DateTime<Utc>) -> Facts {
        let mut changes = Vec::new();
        let host = event
            .host_id()
            .and_then(|id| self.hosts.get_mut(id.as_ref()));
        let host_name = match host {
            Some(host) if host.v2.is_some() => {
                if let Some(since) = host.silent_since.take() {
                    changes.push(Change::Back {
                        silent_for: at - since,
                    });
                }
                host.last_heartbeat = Some(at);
                host.last_seen = Some(at);
                if let Some(v2) = &mut host.v2 {
                    v2.lost = false;
                }
                host.name.clone()
            }
            _ => None,
        };
        Facts {
            host_name,
            changes,
            ..Facts::default()
        }
    }

    /// How long without a heartbeat makes a v2 host silent, and lost.
    pub(super) fn v2_limits(&self) -> (Duration, Duration) {
        (
            self.v2_interval() * SILENT_AFTER,
            self.v2_interval() * LOST_AFTER,
        )
    }

    /// wasmCloud 2 hosts publish every 15 s; tests shorten it (`--v2-interval`).
    pub fn set_v2_interval(&mut self, interval: std::time::Duration) {
        // At most an hour: silence is judged at four intervals, and stays far from overflow.
        let interval = interval.min(std::time::Duration::from_secs(3600));
        if let Ok(interval) = Duration::from_std(interval) {
            self.v2_interval = Some(interval);
        }
    }

    fn v2_interval(&self) -> Duration {
        self.v2_interval.unwrap_or(Duration::seconds(
            crate::v2::HEARTBEAT_INTERVAL.as_secs() as i64
        ))
    }

    /// A wasmCloud 2 host's hostname (`--host-name`, else the machine's name).
    pub fn hostname(&self, host_id: &str) -> Option<&str> {
        let v2 = self.hosts.get(host_id)?.v2.as_ref()?;
        Some(v2.hostname.as_str()).filter(|h| !h.is_empty())
    }

    /// A wasmCloud 2 host's group and environment, as its last heartbeat said.
    pub fn v2_group(&self, host_id: &str) -> (Option<&str>, Option<&str>) {
        match self.hosts.get(host_id).and_then(|h| h.v2.as_ref()) {
            Some(v2) => (v2.hostgroup.as_deref(), v2.environment.as_deref()),
            None => (None, None),
        }
    }

    /// The wasmCloud 2 hosts known and heartbeating (not silent).
    pub fn v2_hosts(&self) -> (usize, usize) {
        let v2 = self.hosts.values().filter(|h| h.v2.is_some());
        let alive = v2.clone().filter(|h| h.silent_since.is_none()).count();
        (v2.count(), alive)
    }

    /// The ids of the wasmCloud 2 hosts heartbeating now (not silent): whose requests
    /// `--workloads` may listen to.
    pub fn v2_alive(&self) -> impl Iterator<Item = &str> {
        self.hosts
            .iter()
            .filter(|(_, h)| h.v2.is_some() && h.silent_since.is_none())
            .map(|(id, _)| id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode_v2_heartbeat, RawMessage, Received};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn beat(lattice: &mut Lattice, id: &str, payload: &str, seconds: i64) -> Facts {
        let subject = format!("{}{id}", crate::v2::HEARTBEAT_PREFIX);
        let event = decode_v2_heartbeat(RawMessage {
            subject: Some(&subject),
            payload: payload.as_bytes(),
            received: Received::At(at(seconds)),
            reply: None,
        });
        lattice.observe(&event, at(seconds))
    }

    fn host(id: &str, started: i64) -> String {
        format!(
            r#"{{"id":"{id}","hostname":"lab-a","friendlyName":"name-{id}","version":"2.10.3","startedAt":"{}"}}"#,
            at(started).to_rfc3339()
        )
    }

    /// Of two earlier hosts on the machine, the restart replaced the one heard from longest
    /// ago, whatever the map's order (run many times: each map has its own random order).
    #[test]
    fn a_restart_names_the_host_heard_from_longest_ago() {
        for _ in 0..32 {
            let mut lattice = Lattice::default();
            beat(&mut lattice, "old", &host("old", 0), 1);
            beat(&mut lattice, "twin", &host("twin", 0), 2);
            let facts = beat(&mut lattice, "new", &host("new", 3), 4);
            assert!(
                matches!(&facts.changes[0], Change::Restarted { was } if was == "old"),
                "{:?}",
                facts.changes
            );
        }
    }

    /// A heartbeat with a field of the wrong type is flagged, and its host is still alive.
    #[test]
    fn an_unreadable_heartbeat_still_keeps_its_host_alive() {
        let mut lattice = Lattice::default();
        beat(&mut lattice, "h1", &host("h1", 0), 1);
        let broken = r#"{"id":"h1","hostname":"lab-a","systemCpuUsage":"high"}"#;
        for seconds in [20, 40, 60, 80] {
            let facts = beat(&mut lattice, "h1", broken, seconds);
            assert!(!facts.quiet, "the flagged line is shown");
            assert!(lattice.tick(at(seconds + 1)).is_empty(), "at {seconds}s");
        }
        let silent = lattice.tick(at(80 + 31));
        assert_eq!(silent.len(), 1, "silent once the heartbeats stop");
    }
}
