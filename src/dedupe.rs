//! Dedupe: wasmCloud 0.81–0.82 hosts publish every event twice, on `wasmbus.evt.<lattice>` and on
//! `wasmbus.evt.<lattice>.<name>`, with the same CloudEvent id. With `--legacy` latwatch listens on
//! both, and shows each id once. The window is bounded: the copies arrive back to back, so the last
//! few thousand ids are plenty, and memory stays flat however long latwatch runs.
//!
//! Around a fill from a stream, messages are told apart by [`key`], a hash of their bytes, not by
//! id: an event without an id must not be shown twice either ([`Expected`]).

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

/// A message's identity around a fill: a hash of its payload, which a stream stores byte for
/// byte as the live subscription delivers it. The keys are random per process, so no publisher
/// can craft two payloads that collide.
pub fn key(payload: &[u8]) -> u64 {
    key_of(payload)
}

/// [`key`] for any hashable value (a tuple of parts, hashed without joining them first).
pub fn key_of(value: impl std::hash::Hash) -> u64 {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    STATE.get_or_init(RandomState::new).hash_one(value)
}

/// At most this many messages a fill supplied are remembered.
const EXPECTED: usize = 200_000;
/// Live messages not among the expected ones before the set is forgotten: live messages come in
/// the stream's order, so the first misses mean the fill's end is passed; a margin covers
/// publishers whose order differs slightly between the two.
const MISSES: u64 = 10_000;

/// The messages fills supplied ([`key`]s): the same messages may still arrive live (they were
/// on their way meanwhile) and are then dropped, and a later fill does not supply them again.
#[derive(Debug, Default)]
pub struct Expected {
    keys: HashSet<u64>,
    misses: u64,
}

impl Expected {
    /// Adds what a fill supplied; past the bound, the older fills' messages are forgotten.
    pub fn add(&mut self, keys: impl IntoIterator<Item = u64>) {
        let keys: Vec<u64> = keys.into_iter().take(EXPECTED).collect();
        if self.keys.len() + keys.len() > EXPECTED {
            self.keys.clear();
        }
        self.keys.extend(keys);
        self.misses = 0;
    }

    /// Whether a fill supplied this message.
    pub fn contains(&self, key: u64) -> bool {
        self.keys.contains(&key)
    }

    /// A live message: true when a fill supplied it already (drop it).
    pub fn arrived(&mut self, key: u64) -> bool {
        if self.keys.remove(&key) {
            return true;
        }
        self.misses += 1;
        if self.misses > MISSES {
            self.keys.clear();
        }
        false
    }

    /// Nothing is expected: the live path need not look.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[derive(Debug)]
pub struct Dedupe {
    seen: HashSet<Box<str>>,
    order: VecDeque<Box<str>>,
    capacity: usize,
}

impl Dedupe {
    pub fn new(capacity: usize) -> Dedupe {
        Dedupe {
            seen: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// True the first time an id is offered within the window.
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        let id: Box<str> = id.into();
        self.order.push_back(id.clone());
        self.seen.insert(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_the_window_are_dropped() {
        let mut dedupe = Dedupe::new(2);
        assert!(dedupe.first_time("a"));
        assert!(!dedupe.first_time("a"));
        assert!(dedupe.first_time("b"));
        assert!(dedupe.first_time("c"), "evicts a");
        assert!(dedupe.first_time("a"), "a left the window");
        assert!(!dedupe.first_time("c"));
    }

    #[test]
    fn expected_messages_are_dropped_once_then_forgotten() {
        let mut expected = Expected::default();
        let (a, b) = (key(br#"{"no":"id","n":1}"#), key(br#"{"no":"id","n":2}"#));
        assert_ne!(a, b);
        assert_eq!(a, key(br#"{"no":"id","n":1}"#));
        expected.add([a, b]);
        assert!(expected.contains(a));
        assert!(expected.arrived(a), "the live copy of a filled message");
        assert!(!expected.arrived(a), "only once");
        for n in 0..=MISSES {
            assert!(!expected.arrived(n));
        }
        assert!(
            expected.is_empty(),
            "forgotten once live messages stop matching"
        );
        assert!(!expected.arrived(b));
    }
}
