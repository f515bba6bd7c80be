//! Whether lines are coloured: `--color`, then NO_COLOR, CLICOLOR_FORCE, TERM=dumb and whether
//! stdout is a terminal.

use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// The parts of the environment that decide color, read once.
#[derive(Debug, Default)]
pub(super) struct Environment {
    pub(super) stdout_is_terminal: bool,
    pub(super) no_color: bool,
    pub(super) clicolor_force: bool,
    pub(super) term_dumb: bool,
}

impl Environment {
    pub(super) fn read() -> Environment {
        let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        Environment {
            stdout_is_terminal: std::io::stdout().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            clicolor_force: set("CLICOLOR_FORCE"),
            term_dumb: std::env::var_os("TERM").is_some_and(|v| v == "dumb"),
        }
    }
}

/// `--color always|never` decide alone; `auto` follows NO_COLOR, then CLICOLOR_FORCE, then
/// TERM=dumb, then whether stdout is a terminal.
pub(super) fn use_color(choice: ColorChoice, env: &Environment) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env.no_color => false,
        ColorChoice::Auto if env.clicolor_force => true,
        ColorChoice::Auto => env.stdout_is_terminal && !env.term_dumb,
    }
}
