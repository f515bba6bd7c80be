//! Exit codes are part of the interface (README, `--help`). This is the only place numbers appear.
//! Unlike fd, Ctrl-C exits 0: stopping a watcher is how it is meant to end. A usage error exits 2;
//! clap reports and exits for those before anything runs.

/// How latwatch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Ctrl-C, SIGTERM, `--count` reached, end of `--input`, stdout closed.
    Success,
    /// A runtime error: cannot connect, cannot read the input, cannot write.
    Failure,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(match code {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        for (code, number) in [(ExitCode::Success, 0u8), (ExitCode::Failure, 1)] {
            assert_eq!(
                std::process::ExitCode::from(code),
                std::process::ExitCode::from(number)
            );
        }
    }
}
