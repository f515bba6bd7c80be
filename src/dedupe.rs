//! Dedupe: wasmCloud 0.81–0.82 hosts publish every event twice, on `wasmbus.evt.<lattice>` and on
//! `wasmbus.evt.<lattice>.<name>`, with the same CloudEvent id. With `--legacy` latwatch listens on
//! both, and shows each id once. The window is bounded: the copies arrive back to back, so the last
//! few thousand ids are plenty, and memory stays flat however long latwatch runs.

use std::collections::{HashSet, VecDeque};

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
}
