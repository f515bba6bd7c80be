//! Render: a decoded [`Event`] → bytes for stdout, in the format the user chose.
//!
//! Renderers write into any `io::Write` and never look at the environment (stdout, tty, env vars):
//! everything they need was decided in `config.rs`. `--json` is a different renderer, not a flag
//! inside the pretty one.

pub mod json;
pub mod pretty;
pub mod style;
pub mod words;

use std::io::{self, Write};

use crate::event::kind::KindId;
use crate::event::Event;
use crate::state::lattice::{Facts, Silence};
pub use pretty::Pretty;

/// The output format, ready to render.
#[derive(Debug, Clone)]
pub enum Renderer {
    /// One human line per event.
    Pretty(Pretty),
    /// The payload bytes, one event per line.
    Json,
    /// `{"subject", "received", "event"}` records, one per line.
    Jsonl,
}

/// What rendering did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Printed,
    /// `-o json` cannot put a payload that is not JSON on stdout; the caller reports it on stderr.
    NotJson,
    /// Pretty output left out an event that says nothing new (an unchanged heartbeat).
    Quiet,
}

impl Renderer {
    /// Writes a gap's record (`{"gap": {…}}`) in `-o jsonl`; nothing in other formats (stderr
    /// told the user).
    pub fn gap(&self, gap: &crate::gap::Gap, out: &mut impl Write) -> io::Result<()> {
        match self {
            Renderer::Jsonl => writeln!(out, "{}", gap.record()),
            Renderer::Pretty(_) | Renderer::Json => Ok(()),
        }
    }

    /// Renders an event, with what lattice memory made of it (`Facts::default()` when none).
    pub fn render(
        &self,
        event: &Event,
        facts: &Facts,
        out: &mut impl Write,
    ) -> io::Result<Outcome> {
        match self {
            // `--heartbeats` shows the hosts' routine events (every heartbeat, every health
            // status); wadm's repeated status or a retry within a failure stays quiet (it has no
            // words of its own).
            // `--verbose` shows wasmCloud 2's routine requests and answers.
            Renderer::Pretty(pretty)
                if facts.quiet
                    && !(pretty.verbose && facts.workload.is_some())
                    && (!pretty.heartbeats || event.kind.known().is_some_and(KindId::is_wadm)) =>
            {
                return Ok(Outcome::Quiet)
            }
            Renderer::Pretty(pretty) => pretty.render(event, facts, out)?,
            // Not a CloudEvent: a wadm status message appears only in `-o jsonl`.
            Renderer::Json if event.kind.known() == Some(KindId::AppStatus) => {
                return Ok(Outcome::Quiet)
            }
            Renderer::Json if event.is_unreadable() => return Ok(Outcome::NotJson),
            Renderer::Json => json::write_json(event, facts, out)?,
            Renderer::Jsonl => json::write_jsonl(event, facts, out)?,
        }
        Ok(Outcome::Printed)
    }

    /// A host went silent: a line in pretty output; `false` when the format keeps stdout for
    /// events only (the caller says it on stderr instead).
    pub fn silence(&self, silence: &Silence, out: &mut impl Write) -> io::Result<bool> {
        match self {
            Renderer::Pretty(pretty) => pretty.silence(silence, out).map(|()| true),
            Renderer::Json | Renderer::Jsonl => Ok(false),
        }
    }
}
