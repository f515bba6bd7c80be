//! From flags to ready parts: [`Config::from_cli`] consumes the parsed [`Cli`], decides everything
//! that depends on the environment once (color, server list), and hands out the pipeline's parts.
//! No other module names a clap type.
//!
//! One job a file: [`plan`] (what each stage does), [`connection`] (server, credentials, TLS),
//! [`targets`] (`--until-*`, `--until-app`, `--since`/`--last`), [`subjects`] (lattices and
//! subscriptions), [`colour`]; this file decides the mode (`top` or lines) and assembles them.

mod colour;
mod connection;
pub mod context;
mod plan;
mod subjects;
mod targets;

use colour::{use_color, Environment};
use connection::connection;
pub use connection::{Auth, Connection, Tls};
pub use plan::{AppsPlan, Plan};
use subjects::{app_subjects, lattices, subject_prefix, subjects, ALL_LATTICES_WIDTH};
use targets::{replay, until};

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::{Cli, Output};
use crate::filter::jq::JqFilter;
use crate::filter::{AppPattern, Filter, IdMatcher, TypePattern};
use crate::render::pretty::LocalOffset;
use crate::render::style::Palette;
use crate::render::{Pretty, Renderer};
use crate::state::apps::wire::SubjectReader;

use crate::until::Until;
pub use crate::userinfo::redact;

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
    /// `--record`: append every received event here.
    pub record: Option<PathBuf>,
    /// `--timeout`: end with exit 3 after this long.
    pub timeout: Option<Duration>,
    /// `--idle-timeout`: end with exit 0 after this long without a message.
    pub idle_timeout: Option<Duration>,
    /// `latwatch top`: the view draws in color (the pipeline's lines for its events pane are
    /// always plain; the view colors them by severity).
    pub top_color: Option<bool>,
}

/// The pipeline's stages, ready to run.
#[derive(Debug)]
pub struct Stages {
    /// What each stage must do.
    pub plan: Plan,
    /// How events are written.
    pub renderer: Renderer,
    /// Which events are shown.
    pub filter: Filter,
    /// Stop after printing this many events.
    pub count: Option<u64>,
    /// Print counts on stderr at exit.
    pub summary: bool,
    /// `--until-*` / `--fail-on`.
    pub until: Option<Until>,
    /// How subjects are read: by position after `--subject-prefix`.
    pub subjects: SubjectReader,
    /// wasmCloud 2's heartbeat interval, when not the hosts' 15 s (`--v2-interval`, for tests).
    pub v2_interval: Option<std::time::Duration>,
    /// Workload memory: `--workloads` (or an `--input`, which may hold requests and answers).
    pub workloads: bool,
}

/// Where events come from.
#[derive(Debug)]
pub enum SourceConfig {
    Nats(Box<NatsConfig>),
    /// A file of JSON lines; `-` is stdin.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// Where and how to connect.
    pub connection: Connection,
    /// The subjects to subscribe to.
    pub subjects: Vec<String>,
    /// Explain silence after this long without an event.
    pub silence_hint: Option<std::time::Duration>,
    /// How long the first connection is tried again while the server refuses it or its name
    /// does not resolve (`--connect-timeout`; with `--until-*`/`--until-app`, `--timeout`).
    /// `None`: one try, as `nats` does.
    pub connect_wait: Option<std::time::Duration>,
    /// Ask the control interface which hosts exist (`host.ping`) at startup and after every gap,
    /// so lines name hosts from the first event: when lattice memory runs.
    pub ping_hosts: bool,
    /// Also ask each host what it runs (`host.get`) and each lattice its links (`link.get`): a
    /// view draws them (`Plan::tables`).
    pub ask_tables: bool,
    /// `--since` / `--last`: history to replay from JetStream before going live.
    pub replay: Option<Replay>,
    /// Fill gaps from a stream (not `--no-fill`).
    pub fill: bool,
    /// `--stream`: the stream to replay and fill from; else the one that stores the subjects.
    pub stream: Option<String>,
    /// `--buffer`: bytes of messages held for a slow stdout.
    pub buffer: usize,
    /// `--ping-interval`.
    pub ping_interval: Duration,
    /// wadm's subjects, when applications are watched: `[P.]wadm.evt.<lattice>.>` and
    /// `[P.]wadm.status.<lattice>.*` per lattice. Never replayed or filled from the events' stream.
    pub app_subjects: Vec<String>,
    /// The lattice names given (`*` for `--all-lattices`): application status is learned for
    /// each at startup, and `latwatch top` asks each one's hosts.
    pub lattices: Vec<String>,
    /// `--subject-prefix`.
    pub subject_prefix: Option<String>,
    /// wasmCloud 2's broadcasts: `runtime.operator.heartbeat.>` (v2 has no lattice and no
    /// prefix in its subjects). Listening to a broadcast has no side effect.
    pub v2_subjects: Vec<String>,
    /// `--workloads`: also the operator's requests to heartbeating v2 hosts and their answers.
    pub workloads: bool,
}

impl NatsConfig {
    /// Applications are watched: their status is learned at startup too (from wadm's
    /// `wadm_status` stream or API).
    pub fn watches_apps(&self) -> bool {
        !self.app_subjects.is_empty()
    }

    /// How subjects under `--subject-prefix` are read.
    pub fn subject_reader(&self) -> SubjectReader {
        SubjectReader::new(self.subject_prefix.as_deref())
    }

    /// `[P.]<subject>`, with `--subject-prefix`.
    pub fn prefixed(&self, subject: &str) -> String {
        match &self.subject_prefix {
            Some(prefix) => format!("{prefix}.{subject}"),
            None => subject.to_owned(),
        }
    }
}

/// History to replay from JetStream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub from: ReplayFrom,
    /// `--stream`; else the stream that stores the subjects.
    pub stream: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    /// Events stored at or after this time.
    Since(DateTime<Utc>),
    /// The last N events stored.
    Last(u64),
}

impl Config {
    /// Decides everything; an `Err` is a usage error (exit 2) saying what is wrong.
    pub fn from_cli(cli: Cli) -> Result<Config, String> {
        let top = matches!(cli.command, Some(crate::cli::Command::Top));
        if top {
            refuse_for_top(&cli)?;
        }
        let lattices = lattices(&cli.lattice, cli.all_lattices)?;
        if let Some(prefix) = &cli.subject_prefix {
            subject_prefix(prefix)?;
        }
        let filter = filter(&cli)?;
        let mut warnings: Vec<String> = filter
            .include
            .iter()
            .filter_map(|t| t.unknown_name_warning("--type"))
            .chain(
                filter
                    .exclude
                    .iter()
                    .filter_map(|t| t.unknown_name_warning("--exclude-type")),
            )
            .collect();
        let output = if cli.json { Output::Json } else { cli.output };
        let renderer = renderer(&cli, output, &lattices);
        let until = until(&cli, &lattices, &mut warnings)?;
        // A CI log of `--until-app` shows the awaited applications only (as if `--app` named
        // them), unless `--app` says otherwise.
        let mut filter = filter;
        if filter.apps.is_empty() {
            if let Some(wait) = until.as_ref().and_then(|u| u.apps.as_ref()) {
                filter.apps = wait
                    .targets
                    .iter()
                    .map(|t| AppPattern::new(&t.name))
                    .collect();
            }
        }
        let replay = replay(&cli)?;
        let mut plan = Plan::new(
            &filter,
            until.as_ref(),
            &renderer,
            cli.summary,
            cli.record.is_some(),
            cli.legacy || cli.since.is_some() || cli.last.is_some(),
            |remember| AppsPlan::new(&cli, output, remember),
        );
        // `--workloads` listens to the v2 hosts lattice memory knows alive.
        if cli.workloads || !cli.until_workload.is_empty() {
            plan.remember = true;
            plan.read_data = true;
        }
        let mut renderer = renderer;
        let mut top_color = None;
        if top {
            // top's tables need every host, link and heartbeat event: event filters (`-t`,
            // `--exclude-type`, `--filter`) narrow only its events pane, never the subscription.
            plan.subscribed_types.clear();
            plan.prefilter = None;
            plan.tables = true;
            // Its events pane holds the pretty lines, uncolored: the view colors each by its
            // severity.
            if let Renderer::Pretty(pretty) = &mut renderer {
                top_color = Some(pretty.palette.take().is_some());
            }
        }
        if let (Some(input), Some(record)) = (&cli.input, &cli.record) {
            not_the_same_file(input, record)?;
        }
        // An --input may hold requests and answers (a recording made with --workloads).
        let workloads = cli.workloads || cli.input.is_some() || !cli.until_workload.is_empty();
        let source = match cli.input {
            Some(path) if replay.is_some() => {
                return Err(format!(
                    "--since/--last replay history from a NATS server's JetStream; --input {} \
                     is read whole (use --filter on the event time to narrow it)",
                    crate::text::escape_path(&path)
                ))
            }
            Some(path) => SourceConfig::File(path),
            None => SourceConfig::Nats(Box::new(nats_config(
                &cli,
                &lattices,
                &plan,
                replay,
                until.as_ref().is_some_and(|u| {
                    u.target.is_some() || u.apps.is_some() || u.workloads.is_some()
                }),
                &mut warnings,
            )?)),
        };
        Ok(Config {
            source,
            stages: Stages {
                plan,
                renderer,
                filter,
                count: cli.count,
                summary: cli.summary,
                until,
                subjects: SubjectReader::new(cli.subject_prefix.as_deref()),
                v2_interval: cli.v2_interval,
                workloads,
            },
            quiet: cli.quiet,
            warnings,
            record: cli.record,
            timeout: cli.timeout,
            idle_timeout: cli.idle_timeout,
            top_color,
        })
    }
}

/// Where and what to subscribe: the server, the events' and wadm's subjects, history and fills.
fn nats_config(
    cli: &Cli,
    lattices: &[String],
    plan: &Plan,
    replay: Option<Replay>,
    waits: bool,
    warnings: &mut Vec<String>,
) -> Result<NatsConfig, String> {
    // CI starts NATS and latwatch together: a wait keeps trying until its --timeout.
    let connect_wait = cli
        .connect_timeout
        .or_else(|| cli.timeout.filter(|_| waits));
    Ok(NatsConfig {
        connection: connection(&cli.connection, warnings)?,
        subjects: subjects(
            lattices,
            cli.subject_prefix.as_deref(),
            cli.legacy,
            &plan.subscribed_types,
            plan.learn_names,
        ),
        replay,
        fill: !cli.no_fill,
        stream: cli.stream.clone(),
        buffer: usize::try_from(cli.buffer).unwrap_or(usize::MAX),
        ping_interval: cli.ping_interval,
        app_subjects: match plan.apps.watch {
            true => app_subjects(lattices, cli.subject_prefix.as_deref()),
            false => Vec::new(),
        },
        lattices: lattices.to_vec(),
        subject_prefix: cli.subject_prefix.clone(),
        silence_hint: (cli.silence_hint > 0)
            .then(|| std::time::Duration::from_secs(cli.silence_hint)),
        ping_hosts: plan.remember,
        ask_tables: plan.tables,
        connect_wait,
        v2_subjects: vec![crate::v2::HEARTBEAT_WILDCARD.to_owned()],
        workloads: cli.workloads || !cli.until_workload.is_empty(),
    })
}

/// Glob values (`--hostgroup`, `--environment`), empty ones left out.
fn globs(flag: &str, values: &[String]) -> Result<Vec<AppPattern>, String> {
    values
        .iter()
        .map(|v| match v.trim().is_empty() {
            true => Err(format!(
                "{flag} needs a value (a name or a glob, e.g. {flag} 'prod-*')"
            )),
            false => Ok(AppPattern::new(v)),
        })
        .collect()
}

/// The display filters, each flag checked.
fn filter(cli: &Cli) -> Result<Filter, String> {
    Ok(Filter {
        include: type_patterns("--type", &cli.types)?,
        exclude: type_patterns("--exclude-type", &cli.exclude_types)?,
        hosts: ids("--host", &cli.hosts),
        components: ids("--component", &cli.components),
        providers: ids("--provider", &cli.providers),
        apps: cli
            .app
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| AppPattern::new(a))
            .collect(),
        hostgroups: globs("--hostgroup", &cli.hostgroups)?,
        environments: globs("--environment", &cli.environments)?,
        namespaces: globs("--namespace", &cli.namespaces)?,
        jq: match &cli.filter {
            Some(code) => Some(JqFilter::compile(code).map_err(|why| {
                format!("--filter is not a jq expression latwatch can run: {why}")
            })?),
            None => None,
        },
    })
}

/// How events are written; color decided here, once, from the environment.
fn renderer(cli: &Cli, output: Output, lattices: &[String]) -> Renderer {
    let several_lattices = cli.all_lattices || lattices.len() > 1;
    let lattice_width = lattices.iter().map(String::len).max().unwrap_or(0);
    match output {
        Output::Json => Renderer::Json,
        Output::Jsonl => Renderer::Jsonl,
        Output::Pretty => Renderer::Pretty(Pretty {
            palette: use_color(
                match cli.no_color {
                    true => crate::cli::ColorChoice::Never,
                    false => cli.color,
                },
                &Environment::read(),
            )
            .then(Palette::default),
            utc: cli.utc,
            full_ids: cli.full_ids,
            lattice_width: several_lattices.then_some(lattice_width.max(ALL_LATTICES_WIDTH)),
            subjects: SubjectReader::new(cli.subject_prefix.as_deref()),
            offset: LocalOffset::default(),
            heartbeats: cli.heartbeats,
            compress: !cli.no_compress,
            full_times: cli.timestamps == crate::cli::Timestamps::Full,
            verbose: cli.verbose,
            dates: true,
        }),
    }
}

/// `latwatch top` draws live tables: flags that shape, stop, record or replay the line output
/// mean nothing there, and are refused rather than silently ignored.
fn refuse_for_top(cli: &Cli) -> Result<(), String> {
    let given = [
        ("--count", cli.count.is_some()),
        ("--summary", cli.summary),
        ("-o/--output", cli.output != Output::Pretty),
        ("--json", cli.json),
        ("--record", cli.record.is_some()),
        ("--since", cli.since.is_some()),
        ("--last", cli.last.is_some()),
        ("--until-app", !cli.until_app.is_empty()),
        ("--until-workload", !cli.until_workload.is_empty()),
        ("--until-type", !cli.until_type.is_empty()),
        ("--until-host", !cli.until_host.is_empty()),
        ("--until-component", !cli.until_component.is_empty()),
        ("--until-provider", !cli.until_provider.is_empty()),
        ("--until-filter", cli.until_filter.is_some()),
        ("--fail-on", !cli.fail_on.is_empty()),
        ("--timeout", cli.timeout.is_some()),
        ("--idle-timeout", cli.idle_timeout.is_some()),
    ];
    let named: Vec<&str> = given
        .iter()
        .filter(|(_, on)| *on)
        .map(|(flag, _)| *flag)
        .collect();
    match named.as_slice() {
        [] => Ok(()),
        flags => Err(format!(
            "{} {} nothing to latwatch top, which draws the lattice as live tables until you \
             quit: {} the line output of `latwatch` (drop {} or run `latwatch` without `top`)",
            flags.join(", "),
            if flags.len() == 1 { "means" } else { "mean" },
            if flags.len() == 1 {
                "it shapes, stops, records or replays"
            } else {
                "they shape, stop, record or replay"
            },
            if flags.len() == 1 { "it" } else { "them" },
        )),
    }
}

/// `--input F --record F` would read back its own records until the disk is full: the same file
/// by device and inode, so a hard link, a symlink or `--input - < F` is caught too. A character
/// device (`/dev/null`, a terminal) reads nothing back.
fn not_the_same_file(input: &std::path::Path, record: &std::path::Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
        // A recording that does not exist yet is no file being read.
        let Ok(recording) = std::fs::metadata(record) else {
            return Ok(());
        };
        let read = match input == std::path::Path::new("-") {
            true => {
                use std::os::fd::AsFd as _;
                std::io::stdin()
                    .as_fd()
                    .try_clone_to_owned()
                    .and_then(|fd| std::fs::File::from(fd).metadata())
            }
            false => std::fs::metadata(input),
        };
        let Ok(read) = read else {
            return Ok(()); // reading it fails later, with its own message
        };
        if read.dev() == recording.dev()
            && read.ino() == recording.ino()
            && !recording.file_type().is_char_device()
        {
            let shown = |path: &std::path::Path| {
                crate::text::escape_untrusted(&path.display().to_string()).into_owned()
            };
            return Err(format!(
                "--input {} and --record {} are the same file: latwatch would read its own \
                 records back until the disk is full; record to another file",
                match input == std::path::Path::new("-") {
                    true => "- (stdin)".to_owned(),
                    false => shown(input),
                },
                shown(record)
            ));
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (input, record);
    }
    Ok(())
}

/// A type flag's values, each checked ([`TypePattern::parse`]).
fn type_patterns(flag: &str, values: &[impl AsRef<str>]) -> Result<Vec<TypePattern>, String> {
    values
        .iter()
        .map(|value| TypePattern::parse(flag, value.as_ref()))
        .collect()
}

fn ids(flag: &'static str, values: &[String]) -> Vec<IdMatcher> {
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| IdMatcher::new(flag, v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::targets::since_time;
    use super::*;
    use crate::cli::{ColorChoice, ConnectionArgs};
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
        let servers = |flags: ConnectionArgs| connection(&flags, &mut Vec::new()).unwrap().servers;
        let no_context = ConnectionArgs {
            context: None,
            ..ConnectionArgs::default()
        };
        assert_eq!(
            servers(ConnectionArgs {
                ctl_host: Some("nats.lan".into()),
                ctl_port: Some(4333),
                ..ConnectionArgs::default()
            }),
            ["nats://nats.lan:4333"]
        );
        assert!(!servers(no_context).is_empty());
        assert_eq!(
            servers(ConnectionArgs {
                servers: vec!["nats://x:1".into()],
                ctl_host: Some("ignored".into()),
                ..ConnectionArgs::default()
            }),
            ["nats://x:1"]
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let auth = Auth::UserPassword {
            user: "alice".into(),
            password: "s3cr3t".into(),
        };
        assert!(!format!("{auth:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", Auth::Token("t0k3n".into())).contains("t0k3n"));
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

    fn plan_for(args: &[&str]) -> Plan {
        config(args).unwrap().stages.plan
    }

    #[test]
    fn the_plan_pins_what_is_done_about_applications() {
        let apps = |args: &[&str]| plan_for(args).apps;
        let all = AppsPlan {
            memory: true,
            watch: true,
            show: true,
        };
        assert_eq!(apps(&[]), all, "pretty shows applications");
        assert_eq!(apps(&["--no-apps"]), AppsPlan::default());
        assert_eq!(
            apps(&["--json"]),
            AppsPlan::default(),
            "--json stays raw CloudEvents, at full speed"
        );
        assert_eq!(
            apps(&["-o", "jsonl"]),
            AppsPlan {
                memory: true,
                watch: false,
                show: false
            },
            "jsonl tags events with their app, prints no wadm message"
        );
        assert_eq!(apps(&["--json", "--apps"]), all);
        assert_eq!(apps(&["--json", "--app", "a"]), all);
        let waiting = apps(&["--json", "--until-app", "a=deployed"]);
        assert!(waiting.memory && waiting.watch && !waiting.show);
        assert!(plan_for(&["--json", "--app", "a"]).read_data);
    }

    #[test]
    fn wadm_subjects_follow_lattices_and_the_prefix() {
        let nats = |args: &[&str]| match config(args).unwrap().source {
            SourceConfig::Nats(nats) => nats,
            SourceConfig::File(_) => panic!("expected NATS"),
        };
        assert_eq!(
            nats(&["--lattice", "a,b"]).app_subjects,
            [
                "wadm.evt.a.>",
                "wadm.status.a.*",
                "wadm.evt.b.>",
                "wadm.status.b.*"
            ]
        );
        assert_eq!(
            nats(&["--all-lattices", "--subject-prefix", "acct"]).app_subjects,
            ["acct.wadm.evt.*.>", "acct.wadm.status.*.*"]
        );
        assert!(nats(&["--json"]).app_subjects.is_empty());
        assert!(!nats(&["--json"]).watches_apps());
        // wadm's kinds are never asked of wasmbus.evt.
        assert_eq!(
            subjects_for(&["-t", "app_status,component_scaled"]),
            ["wasmbus.evt.default.component_scaled"]
        );
    }

    #[test]
    fn until_app_values_are_checked() {
        let until = config(&["--until-app", "hello-app=Ready,other=failed"])
            .unwrap()
            .stages
            .until
            .unwrap();
        let wait = until.apps.unwrap();
        assert_eq!(
            wait.targets[0].status,
            crate::state::apps::AppStatus::Deployed,
            "older names mapped"
        );
        assert!(wait.fail);
        assert!(
            until.failure.is_none(),
            "failure events do not end an app wait"
        );
        let explicit = config(&["--until-app", "a=deployed", "--fail-on", "*_failed"])
            .unwrap()
            .stages
            .until
            .unwrap();
        assert!(explicit.failure.is_some() && explicit.apps.unwrap().fail);
        let off = config(&["--until-app", "a=deployed", "--fail-on", "none"])
            .unwrap()
            .stages
            .until
            .unwrap();
        assert!(off.failure.is_none() && !off.apps.unwrap().fail);
        for bad in [
            "a",
            "=deployed",
            "a*=deployed",
            "a=up",
            "/a=deployed",
            "x/=deployed",
            "x/y/z=deployed",
            "x.y/a=deployed",
        ] {
            assert!(config(&["--until-app", bad]).is_err(), "{bad}");
        }
        let wait = |args: &[&str]| config(args).unwrap().stages.until.unwrap().apps.unwrap();
        let one = wait(&[
            "--lattice",
            "a,b",
            "--until-app",
            "b/hello-app=deployed,x=failed",
        ]);
        assert_eq!(one.targets[0].lattice.as_deref(), Some("b"));
        assert_eq!(one.targets[0].name, "hello-app");
        assert_eq!(one.targets[1].lattice, None);
        assert!(one.several_lattices);
        assert!(!wait(&["--until-app", "default/x=deployed"]).several_lattices);
        let unwatched = config(&["--lattice", "a,b", "--until-app", "c/x=deployed"]);
        assert!(unwatched
            .unwrap_err()
            .contains("lattice 'c' is not watched"));
        assert!(config(&["--all-lattices", "--until-app", "c/x=deployed"]).is_ok());
        assert!(config(&["--input", "f", "--until-app", "c/x=deployed"]).is_ok());
    }

    #[test]
    fn the_plan_pins_what_each_stage_does() {
        let json = plan_for(&["--json", "-t", "component_scaled"]);
        assert!(
            !json.remember && !json.read_data,
            "--json keeps no memory, reads no data"
        );
        assert!(
            json.prefilter.is_some(),
            "exact types: the byte pre-check runs"
        );
        let pretty = plan_for(&["-t", "component_scaled"]);
        assert!(pretty.remember && pretty.read_data);
        for args in [
            &["--json", "-t", "component_scaled", "--summary"][..],
            &["--json", "-t", "component_scaled", "--record", "/dev/null"],
            &[
                "--json",
                "-t",
                "component_scaled",
                "--until-type",
                "host_started",
            ],
            &["--json", "-t", "component_scaled", "--host", "h"],
            &["--json", "-t", "*_failed"],
        ] {
            assert!(plan_for(args).prefilter.is_none(), "{args:?}: no pre-check");
        }
        let by_host = plan_for(&["--json", "--host", "h"]);
        assert!(by_host.learn_names && by_host.remember && by_host.read_data);
        assert!(plan_for(&["--json", "--component", "c"]).read_data);
        assert!(!plan_for(&["--json", "--component", "c"]).remember);
        assert!(plan_for(&["--legacy"]).dedupe && plan_for(&["--since", "1m"]).dedupe);
        assert!(!plan_for(&[]).dedupe);
        assert!(
            plan_for(&["-t", "component_scaled", "--record", "/dev/null"])
                .subscribed_types
                .is_empty(),
            "--record subscribes to everything"
        );
        let waiting = plan_for(&["-t", "host_started", "--until-type", "component_scaled"]);
        let names: Vec<_> = waiting
            .subscribed_types
            .iter()
            .filter_map(TypePattern::exact_name)
            .collect();
        assert!(
            names.contains(&"component_scaled"),
            "the awaited kind is subscribed: {names:?}"
        );
        assert!(
            waiting.subscribed_types.len() > names.len(),
            "and --fail-on's default *_failed glob, which needs the wildcard subscription"
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
    fn since_outside_what_a_stream_holds_is_a_usage_error() {
        let now = Utc::now();
        assert!(since_time("10m", now).is_ok());
        assert!(since_time("2020-01-01T00:00:00Z", now).is_ok());
        for text in [
            "9999-12-31T23:59:59Z",
            "10000000h",
            "1000000000h",
            "1969-12-31T23:59:59Z",
            "99999999999999999999",
        ] {
            assert!(since_time(text, now).is_err(), "{text}");
        }
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["-s", ""][..],
            &["-s", ",,,"],
            &["--subject-prefix", "a.>"],
            &["--subject-prefix", "x y"],
            &["--subject-prefix", "a..b"],
            &["-t", "a b"],
            &["-t", "**{"],
            &["--exclude-type", "x>"],
            &["--until-type", "a b"],
            &["--fail-on", "a b"],
        ] {
            assert!(config(args).is_err(), "{args:?}");
        }
        assert!(config(&["--subject-prefix", "tenant.a"]).is_ok());
        let error = config(&["--creds", "/tmp"]).unwrap_err();
        assert!(error.contains("is a directory"), "{error}");
        assert!(!error.contains("chmod"), "{error}");
    }

    #[test]
    fn unknown_types_warn() {
        let warnings = config(&["-t", "component_scaeld"]).unwrap().warnings;
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("did you mean component_scaled?"));
    }
}
