//! latwatch: watch a wasmCloud lattice's events, one readable line each, or raw JSON for jq.
//!
//! The binary (`src/main.rs`) is a thin shell over this library; the library exists so benchmarks
//! (`benches/`) can measure each stage alone.
//!
//! # Layout
//! One pipeline, one direction (docs/ARCHITECTURE.md):
//! - `cli` / `config`: the flags, then the decided, ready parts.
//! - `source`: NATS (`source::nats`) or a file (`source::file`) → borrowed raw messages.
//! - `event`: decode bytes → `Event` (lenient; problems travel with the event); `event::kind` is the
//!   table of kinds.
//! - `gap`: a stretch of time whose events may be missing, and its jsonl record.
//! - `dedupe`: `--legacy` shows each CloudEvent id once.
//! - `state`: the lattice as it is now, the one state every view reads: `state::lattice` (hosts,
//!   inventories, silence), `state::apps` (what wadm says about applications, and which
//!   application each event belongs to), `state::tables` (the rows `top` draws).
//! - `filter`: types, ids, jq (`filter::jq`).
//! - `render`: `Event` → bytes (pretty line, verbatim JSON, jsonl record); `render::style` colors.
//! - `text`: escaping untrusted text, cutting, abbreviating keys (a leaf every stage may use).
//! - `output`: the stdout sink and the stderr status voice.
//! - `pipeline`: the per-message path through the stages, shared by every source.
//! - `record`: `--record`, every received event appended to a jsonl file.
//! - `shutdown`: Ctrl-C and SIGTERM end the run, even with the pipeline stuck on a blocked stdout.
//! - `summary`: the counts `--summary` prints.
//! - `top`: `latwatch top`, the lattice as a live table (ratatui).
//! - `until`: `--until-*` and `--fail-on`, the scripting stop conditions.
//! - `userinfo`: user info in server URLs, found and removed.
//! - `v2`: wasmCloud 2's control-plane messages, decoded (heartbeats, workload requests and
//!   replies) and a workload start's secrets redacted; no I/O.
//! - `exit_codes`: the only place exit numbers appear.

pub mod cli;
pub mod config;
pub mod dedupe;
pub mod event;
pub mod exit_codes;
pub mod filter;
pub mod gap;
pub mod output;
pub mod pipeline;
pub mod record;
pub mod render;
pub mod shutdown;
pub mod source;
pub mod state;
pub mod summary;
pub mod text;
pub mod top;
pub mod until;
pub mod userinfo;
pub mod v2;
