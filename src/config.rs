//! From flags to ready parts: [`Config::from_cli`] consumes the parsed [`Cli`], decides everything
//! that depends on the environment once (color, server list), and hands out the pipeline's parts.
//! No other module names a clap type.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Cli, ColorChoice, Output};
use crate::render::style::Palette;
use crate::render::{Pretty, Renderer};

/// The default NATS server, as `nats` and `wash` use it.
const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: u16 = 4222;

/// Everything a run needs, decided.
#[derive(Debug)]
pub struct Config {
    /// Where events come from.
    pub source: SourceConfig,
    /// How they are written.
    pub renderer: Renderer,
    /// Stop after printing this many events.
    pub count: Option<u64>,
    /// Silence status lines (never errors or warnings).
    pub quiet: bool,
}

/// Where events come from.
#[derive(Debug)]
pub enum SourceConfig {
    Nats(NatsConfig),
    /// A file of JSON lines; `-` is stdin.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// Server URLs as the user gave them (they may carry credentials: show them with `redact`).
    pub servers: Vec<String>,
    /// The subjects to subscribe to.
    pub subjects: Vec<String>,
}

impl Config {
    pub fn from_cli(cli: Cli) -> Config {
        let output = if cli.json { Output::Json } else { cli.output };
        let renderer = match output {
            Output::Json => Renderer::Json,
            Output::Jsonl => Renderer::Jsonl,
            Output::Pretty => Renderer::Pretty(Pretty {
                palette: use_color(cli.color, &Environment::read()).then(Palette::default),
                utc: cli.utc,
                full_ids: cli.full_ids,
            }),
        };
        let source = match cli.input {
            Some(path) => SourceConfig::File(path),
            None => SourceConfig::Nats(NatsConfig {
                servers: servers(cli.servers, cli.ctl_host, cli.ctl_port),
                subjects: vec![format!("wasmbus.evt.{}.>", cli.lattice)],
            }),
        };
        Config {
            source,
            renderer,
            count: cli.count,
            quiet: cli.quiet,
        }
    }
}

/// `--server`/`NATS_URL` win; otherwise wash's `WASMCLOUD_CTL_HOST`/`_PORT`; otherwise localhost.
fn servers(given: Vec<String>, ctl_host: Option<String>, ctl_port: Option<u16>) -> Vec<String> {
    let given: Vec<String> = given
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if !given.is_empty() {
        return given;
    }
    let host = ctl_host.unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let port = ctl_port.unwrap_or(DEFAULT_PORT);
    vec![format!("nats://{host}:{port}")]
}

/// The parts of the environment that decide color, read once.
#[derive(Debug, Default)]
struct Environment {
    stdout_is_terminal: bool,
    no_color: bool,
    clicolor_force: bool,
    term_dumb: bool,
}

impl Environment {
    fn read() -> Environment {
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
fn use_color(choice: ColorChoice, env: &Environment) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env.no_color => false,
        ColorChoice::Auto if env.clicolor_force => true,
        ColorChoice::Auto => env.stdout_is_terminal && !env.term_dumb,
    }
}

/// A server URL fit to show: user info (`user:password@`, `token@`) removed.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn env(f: impl FnOnce(&mut Environment)) -> Environment {
        let mut env = Environment::default();
        f(&mut env);
        env
    }

    #[test]
    fn auto_colors_a_terminal_only() {
        assert!(use_color(
            ColorChoice::Auto,
            &env(|e| e.stdout_is_terminal = true)
        ));
        assert!(!use_color(ColorChoice::Auto, &env(|_| {})));
    }

    #[test]
    fn no_color_and_dumb_terminals_turn_auto_off() {
        let terminal = |f: fn(&mut Environment)| {
            env(|e| {
                e.stdout_is_terminal = true;
                f(e)
            })
        };
        assert!(!use_color(
            ColorChoice::Auto,
            &terminal(|e| e.no_color = true)
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            &terminal(|e| e.term_dumb = true)
        ));
    }

    #[test]
    fn clicolor_force_colors_a_pipe_but_no_color_wins() {
        assert!(use_color(
            ColorChoice::Auto,
            &env(|e| e.clicolor_force = true)
        ));
        assert!(!use_color(
            ColorChoice::Auto,
            &env(|e| {
                e.clicolor_force = true;
                e.no_color = true
            })
        ));
    }

    #[test]
    fn explicit_choices_beat_the_environment() {
        assert!(use_color(ColorChoice::Always, &env(|e| e.no_color = true)));
        assert!(!use_color(
            ColorChoice::Never,
            &env(|e| e.stdout_is_terminal = true)
        ));
    }

    #[test]
    fn wash_ctl_host_is_used_when_no_server_is_given() {
        assert_eq!(
            servers(vec![], Some("nats.lan".into()), Some(4333)),
            ["nats://nats.lan:4333"]
        );
        assert_eq!(servers(vec![], None, None), ["nats://127.0.0.1:4222"]);
        assert_eq!(
            servers(vec!["nats://x:1".into()], Some("ignored".into()), None),
            ["nats://x:1"]
        );
    }

    #[test]
    fn the_lattice_picks_the_subject() {
        let cli =
            Cli::try_parse_from(["latwatch", "--lattice", "prod", "-s", "nats://a:1"]).unwrap();
        let SourceConfig::Nats(nats) = Config::from_cli(cli).source else {
            panic!("expected NATS");
        };
        assert_eq!(nats.subjects, ["wasmbus.evt.prod.>"]);
    }

    #[test]
    fn redact_removes_credentials() {
        assert_eq!(redact("nats://u:p@host:4222"), "nats://host:4222");
        assert_eq!(redact("tls://s3cr3t@host:4222/x"), "tls://host:4222/x");
        assert_eq!(redact("u:p@host:4222"), "host:4222");
        assert_eq!(redact("nats://host:4222"), "nats://host:4222");
    }
}
