//! `--record FILE`: every received message, before any filter, appended as a `-o jsonl` record
//! (`{"subject", "received", "event"}`, or `"error"` + `"payload"` for a payload that is not JSON).
//! `--input FILE` reads it back: `--json` of the replay prints the bytes `--json` printed live.
//!
//! Each record is written with one `write` as it arrives, not buffered, so a session that ends
//! any way at all (a crash, `kill -9`, a full disk later) keeps everything received before.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::event::Event;
use crate::lattice::Facts;
use crate::render::json::write_jsonl;

pub struct Recorder {
    file: File,
    path: PathBuf,
    /// One record, built here and written at once.
    line: Vec<u8>,
}

impl Recorder {
    /// Opens `path` for appending (creating it): a second session adds to the first.
    pub fn open(path: &Path) -> anyhow::Result<Recorder> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| {
                format!(
                    "cannot open --record {} for appending: check the directory exists and is \
                     writable",
                    crate::text::escape_path(path)
                )
            })?;
        Ok(Recorder {
            file,
            path: path.to_owned(),
            line: Vec::with_capacity(4096),
        })
    }

    pub fn record(&mut self, event: &Event) -> io::Result<()> {
        self.line.clear();
        write_jsonl(event, &Facts::default(), &mut self.line)?;
        self.file.write_all(&self.line).map_err(|err| {
            // Not a closed stdout: this must end latwatch with an error that names the file.
            io::Error::other(format!(
                "cannot write --record {}: {err}",
                crate::text::escape_path(&self.path)
            ))
        })
    }
}
