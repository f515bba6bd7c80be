//! The budget a jq judgement runs under: steps, busy time, memory and stack, checked at
//! checkpoints jaq passes all the time.
//!
//! jaq has no fuel counter, but it clones its evaluation context's data at every definition call,
//! every branch of a generator, every iteration of `reduce`/`foreach` and every tail call: that
//! data is a [`Meter`] here, and its `Clone` is the checkpoint ([`Meter::tick`]). `range`, the one
//! built-in that loops without going back through the evaluator, is replaced by a version that
//! ticks per output (`jq::budgeted_range`). A checkpoint that finds the budget spent unwinds with
//! [`std::panic::resume_unwind`] (no panic hook, no message) to the judgement's `catch_unwind`,
//! which drops everything the evaluation built; jaq is `forbid(unsafe_code)`, so unwinding through
//! it cannot break anything that outlives the judgement (the compiled filter is only read).
//!
//! Memory is counted by latwatch's global allocator ([`Counting`]): bytes allocated minus bytes
//! freed, per thread; a judgement looks at the difference since it began.
//!
//! What checkpoints cannot stop (one built-in working for a long time, or allocating a lot, between
//! two checkpoints) is kept out of the watcher's thread: see `jq.rs` for which expressions run here
//! and `worker.rs` for the process that runs the others.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use jaq_core::data::HasLut;
use jaq_core::{DataT, Lut};
use jaq_json::Val;

/// Checkpoints one judgement may pass, plus [`STEPS_PER_PAYLOAD_BYTE`] per byte of the event: a
/// filter on a lattice event passes 5 to 200, one that visits every value of a large event a few
/// per value.
pub const MAX_STEPS: u64 = 1_000_000;
pub const STEPS_PER_PAYLOAD_BYTE: u64 = 16;
/// Time one judgement may take, by the clock, plus [`TIME_PER_PAYLOAD_BYTE`] per byte of the
/// event: a backstop for steps that each take long (work on a large value), read every
/// [`CLOCK_EVERY`] checkpoints. Steps are the budget that counts (the same on a busy machine and
/// an idle one); the clock is generous, so a busy machine does not make an everyday filter fail.
pub const MAX_TIME: Duration = Duration::from_secs(5);
pub const TIME_PER_PAYLOAD_BYTE: Duration = Duration::from_micros(2);
/// Memory one judgement may hold on top of what it started with: this much, plus
/// [`MEMORY_PER_PAYLOAD_BYTE`] per byte of the event (jaq's values take 5 to 10 bytes per byte of
/// JSON).
pub const MAX_MEMORY: usize = 256 << 20;
pub const MEMORY_PER_PAYLOAD_BYTE: usize = 16;
/// Stack one judgement may use below where it began. Expressions that run on the watcher's thread
/// recurse at most as deep as the event nests (512 levels); the worker process runs its
/// judgements on a thread with a larger stack and gives them more (`worker.rs`).
pub const MAX_STACK: usize = 2 << 20;
/// The clock is read every this many checkpoints (a reading costs about 25 ns; an everyday filter
/// passes fewer checkpoints than this).
const CLOCK_EVERY: u64 = 64;

/// What ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// Steps or time: which comes first depends on how busy the machine is, so they read the same.
    Work,
    Memory,
    Stack,
}

impl Exceeded {
    /// Why the event could not be judged, for the note.
    pub fn why(self) -> String {
        match self {
            // The same words whatever the event's size: a note is said once per distinct reason.
            Exceeded::Work => format!(
                "it went over its budget of {MAX_STEPS} steps or {} (and {STEPS_PER_PAYLOAD_BYTE} \
                 steps or {} per byte of the event)",
                humantime::format_duration(MAX_TIME),
                humantime::format_duration(TIME_PER_PAYLOAD_BYTE)
            ),
            Exceeded::Memory => format!(
                "it needed more memory than its budget ({} MiB, and {MEMORY_PER_PAYLOAD_BYTE} \
                 bytes per byte of the event)",
                MAX_MEMORY >> 20
            ),
            Exceeded::Stack => "it recursed deeper than its stack budget".to_owned(),
        }
    }
}

/// The limits of one judgement and what it has used.
#[derive(Debug)]
pub struct Budget {
    steps: Cell<u64>,
    step_limit: u64,
    started: Instant,
    time_limit: Duration,
    memory_base: isize,
    memory_limit: usize,
    stack_base: usize,
    stack_limit: usize,
}

impl Budget {
    /// A budget starting now, on this thread, for an event of `payload_len` bytes.
    pub fn new(payload_len: usize, stack_limit: usize) -> Budget {
        Budget {
            steps: Cell::new(0),
            step_limit: MAX_STEPS
                .saturating_add((payload_len as u64).saturating_mul(STEPS_PER_PAYLOAD_BYTE)),
            started: Instant::now(),
            time_limit: time_limit(payload_len),
            memory_base: allocated_here(),
            memory_limit: memory_limit(payload_len),
            stack_base: stack_position(),
            stack_limit,
        }
    }

    /// One checkpoint: `Err` when something ran out.
    #[inline]
    pub fn check(&self) -> Result<(), Exceeded> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > self.step_limit {
            return Err(Exceeded::Work);
        }
        if allocated_here().saturating_sub(self.memory_base) > self.memory_limit as isize {
            return Err(Exceeded::Memory);
        }
        if stack_position().abs_diff(self.stack_base) > self.stack_limit {
            return Err(Exceeded::Stack);
        }
        if steps.is_multiple_of(CLOCK_EVERY) && self.started.elapsed() > self.time_limit {
            return Err(Exceeded::Work);
        }
        Ok(())
    }

    /// Checkpoints passed so far.
    pub fn steps(&self) -> u64 {
        self.steps.get()
    }
}

/// The clock time a judgement of an event of `payload_len` bytes may take.
pub fn time_limit(payload_len: usize) -> Duration {
    let bytes = u32::try_from(payload_len).unwrap_or(u32::MAX);
    MAX_TIME.saturating_add(TIME_PER_PAYLOAD_BYTE.saturating_mul(bytes))
}

/// The memory a judgement of an event of `payload_len` bytes may hold.
pub fn memory_limit(payload_len: usize) -> usize {
    MAX_MEMORY.saturating_add(payload_len.saturating_mul(MEMORY_PER_PAYLOAD_BYTE))
}

/// Where this thread's stack is now (the address of a local; the stack grows one way, so the
/// distance between two readings is what lies between them).
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The data jaq carries in its evaluation context: the compiled filter and the budget.
/// Cloning it is a checkpoint.
pub struct Meter<'a> {
    lut: &'a Lut<Budgeted>,
    budget: &'a Budget,
}

impl<'a> Meter<'a> {
    pub fn new(lut: &'a Lut<Budgeted>, budget: &'a Budget) -> Meter<'a> {
        Meter { lut, budget }
    }

    /// A checkpoint: unwinds to the judgement when the budget is spent.
    #[inline]
    pub fn tick(&self) {
        if let Err(exceeded) = self.budget.check() {
            // No panic hook runs for `resume_unwind`: nothing is printed.
            std::panic::resume_unwind(Box::new(exceeded));
        }
    }
}

impl Clone for Meter<'_> {
    fn clone(&self) -> Self {
        self.tick();
        Meter {
            lut: self.lut,
            budget: self.budget,
        }
    }
}

impl<'a> HasLut<'a, Budgeted> for Meter<'a> {
    fn lut(&self) -> &'a Lut<Budgeted> {
        self.lut
    }
}

/// jaq's values (jaq-json), evaluated under a [`Meter`].
pub struct Budgeted;

impl DataT for Budgeted {
    type V<'a> = Val;
    type Data<'a> = Meter<'a>;
}

/// What this thread allocated, and where that ends the process.
struct Counter {
    /// Bytes allocated minus bytes freed by this thread (it may go negative: a thread frees what
    /// another allocated).
    allocated: Cell<isize>,
    /// Past this, an allocation ends the process: only the jq worker sets it (`worker.rs`), so a
    /// single huge allocation between two checkpoints (`"x" * 1e15`) ends the worker, never the
    /// watcher.
    hard_limit: Cell<isize>,
}

thread_local! {
    static COUNTER: Counter = const {
        Counter {
            allocated: Cell::new(0),
            hard_limit: Cell::new(isize::MAX),
        }
    };
}

/// Bytes this thread allocated and did not free.
pub fn allocated_here() -> isize {
    COUNTER
        .try_with(|counter| counter.allocated.get())
        .unwrap_or(0)
}

/// Makes an allocation that would put this thread more than `limit` bytes past what it holds now
/// end the process (the worker's last line of defence; `None` lifts it).
pub fn set_hard_limit(limit: Option<usize>) {
    let _ = COUNTER.try_with(|counter| {
        let value = match limit {
            Some(limit) => counter
                .allocated
                .get()
                .saturating_add(limit.min(isize::MAX as usize) as isize),
            None => isize::MAX,
        };
        counter.hard_limit.set(value);
    });
}

/// The system allocator, counting per thread what it hands out. Counting is a thread-local add:
/// no lock, no atomic.
pub struct Counting;

#[inline]
fn count(delta: isize) {
    let _ = COUNTER.try_with(|counter| {
        let now = counter.allocated.get().wrapping_add(delta);
        counter.allocated.set(now);
        if now > counter.hard_limit.get() {
            // Aborting allocates nothing and unwinds nothing (both are forbidden here).
            std::process::abort();
        }
    });
}

// SAFETY: every method hands the request to `System` unchanged and only adds to a thread-local
// counter, which allocates nothing and cannot unwind.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_counted_per_thread() {
        let before = allocated_here();
        let held = vec![0u8; 1 << 20];
        assert!(allocated_here() - before >= 1 << 20);
        drop(held);
        assert!(allocated_here() - before < 1 << 10);
    }

    #[test]
    fn checks_stop_at_the_step_budget() {
        let budget = Budget::new(0, MAX_STACK);
        for _ in 0..MAX_STEPS {
            budget.check().unwrap();
        }
        assert_eq!(budget.check(), Err(Exceeded::Work));
    }

    #[test]
    fn checks_stop_at_the_memory_budget() {
        let budget = Budget::new(0, MAX_STACK);
        // Zeroed: counted, but the pages are never touched.
        let held = vec![0u8; MAX_MEMORY + (1 << 20)];
        assert_eq!(budget.check(), Err(Exceeded::Memory));
        drop(held);
        assert_eq!(budget.check(), Ok(()));
    }
}
