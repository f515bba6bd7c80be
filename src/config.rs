//! From flags to ready parts: [`Config::from_cli`] consumes the parsed [`Cli`], decides everything
//! that depends on the environment once (color, server list), and hands out the pipeline's parts.
//! No other module names a clap type.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Cli, ColorChoice, Output};
use crate::filter::jq::JqFilter;
use crate::filter::{Filter, IdMatcher, TypePattern};
use crate::render::pretty::LocalOffset;
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
    /// What happens to each event.
    pub stages: Stages,
    /// Silence status lines (never errors or warnings).
    pub quiet: bool,
    /// Things the user should hear about before anything runs (an unknown `--type` name).
    pub warnings: Vec<String>,
}

/// The pipeline's stages, ready to run.
#[derive(Debug)]
pub struct Stages {
    /// How events are written.
    pub renderer: Renderer,
    /// Which events are shown.
    pub filter: Filter,
    /// Show each CloudEvent id once (`--legacy`: 0.81–0.82 hosts publish every event twice).
    pub dedupe: bool,
    /// Stop after printing this many events.
    pub count: Option<u64>,
    /// Print counts on stderr at exit.
    pub summary: bool,
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
    /// Decides everything; an `Err` is a usage error (exit 2) saying what is wrong.
    pub fn from_cli(cli: Cli) -> Result<Config, String> {
        let lattices = lattices(&cli.lattice, cli.all_lattices)?;
        let filter = Filter {
            include: cli.types.iter().map(|t| TypePattern::new(t)).collect(),
            exclude: cli
                .exclude_types
                .iter()
                .map(|t| TypePattern::new(t))
                .collect(),
            hosts: ids("--host", &cli.hosts),
            components: ids("--component", &cli.components),
            providers: ids("--provider", &cli.providers),
            jq: match &cli.filter {
                Some(code) => Some(JqFilter::compile(code).map_err(|why| {
                    format!("--filter is not a jq expression latwatch can run: {why}")
                })?),
                None => None,
            },
        };
        let include_warnings = filter
            .include
            .iter()
            .filter_map(|t| t.unknown_name_warning("--type"));
        let exclude_warnings = filter
            .exclude
            .iter()
            .filter_map(|t| t.unknown_name_warning("--exclude-type"));
        let warnings = include_warnings.chain(exclude_warnings).collect();

        let output = if cli.json { Output::Json } else { cli.output };
        let several_lattices = cli.all_lattices || lattices.len() > 1;
        let lattice_width = lattices.iter().map(String::len).max().unwrap_or(0);
        let renderer = match output {
            Output::Json => Renderer::Json,
            Output::Jsonl => Renderer::Jsonl,
            Output::Pretty => Renderer::Pretty(Pretty {
                palette: use_color(cli.color, &Environment::read()).then(Palette::default),
                utc: cli.utc,
                full_ids: cli.full_ids,
                lattice_width: several_lattices.then_some(lattice_width.max(ALL_LATTICES_WIDTH)),
                offset: LocalOffset::default(),
            }),
        };
        let source = match cli.input {
            Some(path) => SourceConfig::File(path),
            None => SourceConfig::Nats(NatsConfig {
                servers: servers(cli.servers, cli.ctl_host, cli.ctl_port),
                subjects: subjects(
                    &lattices,
                    cli.subject_prefix.as_deref(),
                    cli.legacy,
                    &filter.include,
                    filter.needs_host_names(),
                ),
            }),
        };
        Ok(Config {
            source,
            stages: Stages {
                renderer,
                filter,
                dedupe: cli.legacy,
                count: cli.count,
                summary: cli.summary,
            },
            quiet: cli.quiet,
            warnings,
        })
    }
}

/// The width of the lattice column when every lattice is watched (names are not known up front).
const ALL_LATTICES_WIDTH: usize = 8;

/// The lattice tokens to subscribe with: the names given, or `*` for `--all-lattices`.
fn lattices(given: &[String], all: bool) -> Result<Vec<String>, String> {
    if all {
        return Ok(vec!["*".to_owned()]);
    }
    let names: Vec<String> = given
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if names.is_empty() {
        return Err("--lattice needs a name (or use --all-lattices)".to_owned());
    }
    let bad = |l: &&String| l.contains(['.', '*', '>']) || l.contains(char::is_whitespace);
    if let Some(bad) = names.iter().find(bad) {
        return Err(format!(
            "--lattice {bad}: a lattice name is one subject token (no '.', '*', '>' or spaces); \
             use --all-lattices to watch every lattice"
        ));
    }
    Ok(names)
}

fn ids(flag: &'static str, values: &[String]) -> Vec<IdMatcher> {
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| IdMatcher::new(flag, v))
        .collect()
}

/// `[P.]wasmbus.evt.<lattice>.>` per lattice; just `….<name>` per name when every `--type` is an
/// exact name, so the server drops the rest; plus the bare `….<lattice>` for `--legacy`.
///
/// Each subject is its own subscription, and async-nats gives each its own channel: messages of
/// different subscriptions that arrive in the same instant may be handled in either order. That is
/// harmless for display, but learning host names must see `host_started` before the events it
/// names, so `--host` (`learn_names`) keeps the single wildcard subscription.
fn subjects(
    lattices: &[String],
    prefix: Option<&str>,
    legacy: bool,
    include: &[TypePattern],
    learn_names: bool,
) -> Vec<String> {
    let exact: Option<Vec<&str>> = include.iter().map(TypePattern::exact_name).collect();
    let exact = exact.filter(|names| !names.is_empty() && !learn_names);
    let mut subjects = Vec::new();
    for lattice in lattices {
        let base = match prefix {
            Some(prefix) => format!("{prefix}.wasmbus.evt.{lattice}"),
            None => format!("wasmbus.evt.{lattice}"),
        };
        match &exact {
            Some(names) => {
                for name in names {
                    let subject = format!("{base}.{name}");
                    if !subjects.contains(&subject) {
                        subjects.push(subject);
                    }
                }
            }
            None => subjects.push(format!("{base}.>")),
        }
        if legacy {
            subjects.push(base);
        }
    }
    subjects
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

    fn config(args: &[&str]) -> Result<Config, String> {
        Config::from_cli(Cli::try_parse_from(["latwatch"].iter().chain(args)).unwrap())
    }

    fn subjects_for(args: &[&str]) -> Vec<String> {
        match config(args).unwrap().source {
            SourceConfig::Nats(nats) => nats.subjects,
            SourceConfig::File(_) => panic!("expected NATS"),
        }
    }

    #[test]
    fn the_lattice_picks_the_subject() {
        assert_eq!(subjects_for(&["--lattice", "prod"]), ["wasmbus.evt.prod.>"]);
        assert_eq!(
            subjects_for(&["--lattice", "a,b"]),
            ["wasmbus.evt.a.>", "wasmbus.evt.b.>"]
        );
        assert_eq!(subjects_for(&["--all-lattices"]), ["wasmbus.evt.*.>"]);
        assert_eq!(
            subjects_for(&["--subject-prefix", "acct", "--lattice", "x"]),
            ["acct.wasmbus.evt.x.>"]
        );
    }

    #[test]
    fn exact_types_are_narrowed_on_the_server() {
        assert_eq!(
            subjects_for(&["-t", "component_scaled,com.wasmcloud.lattice.host_started"]),
            [
                "wasmbus.evt.default.component_scaled",
                "wasmbus.evt.default.host_started"
            ]
        );
        assert_eq!(
            subjects_for(&["-t", "component_scaled,*_failed"]),
            ["wasmbus.evt.default.>"],
            "a glob needs the wildcard"
        );
        assert_eq!(
            subjects_for(&["--exclude-type", "host_heartbeat"]),
            ["wasmbus.evt.default.>"]
        );
    }

    #[test]
    fn host_names_keep_one_ordered_subscription() {
        assert_eq!(
            subjects_for(&["-t", "component_scaled", "--host", "misty-river-4821"]),
            ["wasmbus.evt.default.>"]
        );
    }

    #[test]
    fn legacy_adds_the_bare_subject() {
        assert_eq!(
            subjects_for(&["--legacy", "-t", "actor_scaled"]),
            ["wasmbus.evt.default.actor_scaled", "wasmbus.evt.default"]
        );
    }

    #[test]
    fn bad_lattice_names_and_jq_are_usage_errors() {
        let error = config(&["--lattice", "a.b"]).unwrap_err();
        assert!(error.contains("--all-lattices"), "{error}");
        let error = config(&["--filter", ".data | select(.x =="]).unwrap_err();
        assert!(error.starts_with("--filter"), "{error}");
    }

    #[test]
    fn unknown_types_warn() {
        let warnings = config(&["-t", "component_scaeld"]).unwrap().warnings;
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("did you mean component_scaled?"));
    }

    #[test]
    fn redact_removes_credentials() {
        assert_eq!(redact("nats://u:p@host:4222"), "nats://host:4222");
        assert_eq!(redact("tls://s3cr3t@host:4222/x"), "tls://host:4222/x");
        assert_eq!(redact("u:p@host:4222"), "host:4222");
        assert_eq!(redact("nats://host:4222"), "nats://host:4222");
    }
}
