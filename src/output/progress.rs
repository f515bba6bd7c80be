//! Progress bars for long reads: a JetStream replay, a big `--input` file. On stderr, and only
//! when stderr is a terminal while stdout is not (the output goes to a pipe or file, so the
//! terminal would otherwise show nothing for a while). Never with `-q`, never on stdout.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar, or nothing when it would not help.
pub struct Progress(Option<ProgressBar>);

/// Whether a bar helps here: someone watches stderr, and stdout is going elsewhere.
pub fn wanted(stderr_is_terminal: bool, stdout_is_terminal: bool, quiet: bool) -> bool {
    stderr_is_terminal && !stdout_is_terminal && !quiet
}

fn here() -> bool {
    // `-q` is checked by the caller's Status; a bar is a status line.
    wanted(
        std::io::stderr().is_terminal(),
        std::io::stdout().is_terminal(),
        false,
    )
}

impl Progress {
    /// Events replayed out of `total`.
    pub fn replay(total: u64, quiet: bool) -> Progress {
        Progress::new(quiet, || {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(style(
                "replaying {wide_bar} {human_pos}/{human_len} events, {eta} left",
            ));
            bar
        })
    }

    /// Bytes read out of `total` (a file), or of an unknown total (stdin).
    pub fn bytes(total: Option<u64>, quiet: bool) -> Progress {
        Progress::new(quiet, || {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(style(match total {
                Some(_) => "reading {wide_bar} {bytes}/{total_bytes}, {bytes_per_sec}, {eta} left",
                None => "reading {bytes}, {bytes_per_sec}",
            }));
            bar
        })
    }

    fn new(quiet: bool, bar: impl FnOnce() -> ProgressBar) -> Progress {
        Progress((!quiet && here()).then(bar))
    }

    pub fn is_shown(&self) -> bool {
        self.0.is_some()
    }

    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(done);
        }
    }

    /// One more done.
    pub fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// Removes the bar: the status lines after it start on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// How often the file reader's counters are copied to its bar.
pub const FILE_REFRESH: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::wanted;

    #[test]
    fn only_for_a_watched_stderr_while_stdout_goes_elsewhere() {
        assert!(wanted(true, false, false));
        assert!(
            !wanted(true, true, false),
            "stdout on the terminal shows events itself"
        );
        assert!(!wanted(false, false, false), "stderr is a log: no bar");
        assert!(!wanted(true, false, true), "-q");
    }
}
