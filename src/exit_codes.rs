//! Exit codes are part of the interface (README, `--help`). This is the only place numbers appear.
//! Unlike fd, Ctrl-C exits 0: stopping a watcher is how it is meant to end. A usage error exits 2;
//! clap reports and exits for those before anything runs.

/// How latwatch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Ctrl-C, SIGTERM, `--count` reached, end of `--input`, stdout closed, an `--until` match,
    /// `--idle-timeout`.
    Success,
    /// A runtime error: cannot connect, cannot read the input, cannot write.
    Failure,
    /// `--timeout` expired, or `--input` ended before an `--until-*` match.
    TimedOut,
    /// An event matched `--fail-on` (by default with `--until`: a `*_failed` kind about the same
    /// host, component or provider).
    FailedEvent,
    /// `latwatch top` ended by SIGHUP (128 + 1, as a shell reports it), after restoring the
    /// terminal.
    HungUp,
    /// `latwatch top` ended by SIGQUIT (128 + 3), after restoring the terminal.
    Quit,
}

impl ExitCode {
    pub fn number(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
            ExitCode::TimedOut => 3,
            ExitCode::FailedEvent => 4,
            ExitCode::HungUp => 129,
            ExitCode::Quit => 131,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        for (code, number) in [
            (ExitCode::Success, 0u8),
            (ExitCode::Failure, 1),
            (ExitCode::TimedOut, 3),
            (ExitCode::FailedEvent, 4),
            (ExitCode::HungUp, 129),
            (ExitCode::Quit, 131),
        ] {
            assert_eq!(code.number(), number);
        }
    }
}
