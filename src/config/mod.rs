//! From flags to ready parts: [`Config::from_cli`] consumes the parsed [`Cli`], decides everything
//! that depends on the environment once (color, server list), and hands out the pipeline's parts.
//! No other module names a clap type.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cli::{Cli, ColorChoice, ConnectionArgs, Output};
use crate::filter::jq::JqFilter;
use crate::filter::{AppPattern, Filter, IdMatcher, Prefilter, TypePattern};
use crate::render::pretty::LocalOffset;
use crate::render::style::Palette;
use crate::render::{Pretty, Renderer};
use crate::state::apps::wire::SubjectReader;
pub mod context;

use crate::until::{AppTarget, AppWait, Until};
pub use crate::userinfo::redact;
use crate::userinfo::userinfo;
use context::NatsContext;

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

/// What each stage must do, decided once from the flags. The pipeline and the sources consume it
/// and re-derive nothing; `config.rs`'s tests pin the rules.
#[derive(Debug)]
pub struct Plan {
    /// `--host`/`--until-host`: host names are learned from the stream, so events must arrive in
    /// order (one wildcard subscription, never one per type).
    pub learn_names: bool,
    /// Keep lattice memory: pretty and jsonl output use it, and learning names needs it. `--json`
    /// skips it, even with `--summary` (a few hash lookups per event were a fifth of `--json`'s
    /// budget flat out).
    pub remember: bool,
    /// Every event's `data` is read by some stage (memory, id filters, `--until-*` ids): read it
    /// in the envelope pass, not in a second one.
    pub read_data: bool,
    /// The byte pre-check before decoding: only when every `--type` is an exact name and no stage
    /// must see every event (names, `--summary`'s counts, `--until-*`, `--record`).
    pub prefilter: Option<Prefilter>,
    /// Show each CloudEvent id once (`--legacy`: 0.81–0.82 hosts publish every event twice;
    /// `--since`/`--last`: an event may come both from the replay and live at the seam).
    pub dedupe: bool,
    /// The types the server may narrow the subscription to (empty: the wildcard).
    pub subscribed_types: Vec<TypePattern>,
    /// What is done about wadm applications.
    pub apps: AppsPlan,
    /// Keep the rows a view draws (`state::tables`) and send event lines to its events pane
    /// instead of stdout: `latwatch top`.
    pub tables: bool,
}

/// What is done about wadm applications, decided once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppsPlan {
    /// Keep application memory: attribute events to applications, follow their status
    /// (pretty and jsonl output, `--app`, `--until-app`; never with `--no-apps`).
    pub memory: bool,
    /// Subscribe to wadm's subjects and learn every application's status at startup.
    pub watch: bool,
    /// Print wadm's messages (pretty output; `--apps` or `--app` in the JSON formats).
    pub show: bool,
}

impl AppsPlan {
    fn new(cli: &Cli, output: Output, remember: bool) -> AppsPlan {
        if cli.no_apps {
            return AppsPlan::default();
        }
        let asked = cli.apps || !cli.app.is_empty();
        let show = asked || output == Output::Pretty;
        let watch = show || !cli.until_app.is_empty();
        AppsPlan {
            memory: remember || watch,
            watch,
            show,
        }
    }
}

impl Plan {
    fn new(
        filter: &Filter,
        until: Option<&Until>,
        renderer: &Renderer,
        summary: bool,
        record: bool,
        dedupe: bool,
        apps: impl FnOnce(bool) -> AppsPlan,
    ) -> Plan {
        let learn_names = filter.needs_host_names() || until.is_some_and(Until::needs_host_names);
        let remember = learn_names || !matches!(renderer, Renderer::Json);
        let sees_all = learn_names || summary || until.is_some() || record;
        // What the server may leave out: only what no stage wants. `--record` wants everything;
        // `--until-*` and `--fail-on` want their kinds too.
        let subscribed_types = match until {
            _ if record => Vec::new(),
            Some(until) if !filter.include.is_empty() => {
                let target = until.target.as_ref().map(|t| t.include.as_slice());
                let failure = until.failure.as_ref().map(|f| f.include.as_slice());
                if target.is_some_and(<[_]>::is_empty) {
                    Vec::new()
                } else {
                    let extra = target.into_iter().chain(failure).flatten();
                    filter.include.iter().chain(extra).cloned().collect()
                }
            }
            _ => filter.include.clone(),
        };
        let apps = apps(remember);
        Plan {
            learn_names,
            remember,
            read_data: remember
                || apps.memory
                || filter.reads_data()
                || until.is_some_and(Until::reads_data),
            prefilter: Prefilter::new(&filter.include).filter(|_| !sees_all),
            dedupe,
            subscribed_types,
            apps,
            tables: false,
        }
    }
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

/// Where and how to connect: decided once from the flags, their environment variables, a nats
/// context and the defaults.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Server URLs as the user gave them (they may carry credentials: show them with `redact`).
    pub servers: Vec<String>,
    pub auth: Auth,
    pub tls: Tls,
    /// The nats CLI context the settings came from, for the status line: (name, file).
    pub context: Option<(String, PathBuf)>,
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

/// How latwatch proves who it is. One method; the first given wins, in this order.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// A credentials file (user JWT + seed).
    Creds(PathBuf),
    /// A file holding an nkey user seed.
    Nkey(PathBuf),
    /// A user JWT and the seed that signs for it (wash's WASMCLOUD_CTL_JWT / _SEED).
    JwtSeed {
        jwt: String,
        seed: String,
    },
    UserPassword {
        user: String,
        password: String,
    },
    Token(String),
}

/// Never prints a secret, even in a debug dump.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Creds(path) => write!(f, "Creds({})", path.display()),
            Auth::Nkey(path) => write!(f, "Nkey({})", path.display()),
            Auth::JwtSeed { .. } => f.write_str("JwtSeed(…)"),
            Auth::UserPassword { user, .. } => write!(f, "UserPassword({user}, …)"),
            Auth::Token(_) => f.write_str("Token(…)"),
        }
    }
}

/// TLS settings beyond what a `tls://` URL says. Verification is always on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    /// Client certificate and key, for mutual TLS.
    pub client: Option<(PathBuf, PathBuf)>,
    /// TLS before the NATS handshake (servers with `handshake_first`).
    pub first: bool,
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
        let filter = Filter {
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
        let warnings: Vec<String> = include_warnings.chain(exclude_warnings).collect();

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
                subjects: SubjectReader::new(cli.subject_prefix.as_deref()),
                offset: LocalOffset::default(),
                heartbeats: cli.heartbeats,
            }),
        };
        let mut warnings: Vec<String> = warnings;
        let until = until(&cli, &lattices, &mut warnings)?;
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
        let source = match cli.input {
            Some(path) if replay.is_some() => {
                return Err(format!(
                    "--since/--last replay history from a NATS server's JetStream; --input {} \
                     is read whole (use --filter on the event time to narrow it)",
                    crate::text::escape_path(&path)
                ))
            }
            Some(path) => SourceConfig::File(path),
            None => SourceConfig::Nats(Box::new(NatsConfig {
                connection: connection(&cli.connection, &mut warnings)?,
                subjects: subjects(
                    &lattices,
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
                    true => app_subjects(&lattices, cli.subject_prefix.as_deref()),
                    false => Vec::new(),
                },
                lattices: lattices.clone(),
                subject_prefix: cli.subject_prefix.clone(),
                silence_hint: (cli.silence_hint > 0)
                    .then(|| std::time::Duration::from_secs(cli.silence_hint)),
                ping_hosts: plan.remember,
                ask_tables: plan.tables,
            })),
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

/// `--until-*` and `--fail-on`, matched like the filter flags.
fn until(
    cli: &Cli,
    lattices: &[String],
    warnings: &mut Vec<String>,
) -> Result<Option<Until>, String> {
    // A capture holds whatever lattices it holds; a server is asked for these only.
    let watched = match cli.input.is_some() || cli.all_lattices {
        true => None,
        false => Some(lattices),
    };
    let app_targets = app_targets(&cli.until_app, watched)?;
    let waiting = !(cli.until_type.is_empty()
        && cli.until_host.is_empty()
        && cli.until_component.is_empty()
        && cli.until_provider.is_empty()
        && cli.until_filter.is_none());
    let fail_on: Vec<&str> = cli
        .fail_on
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let fail_off = fail_on.iter().any(|t| t.eq_ignore_ascii_case("none"));
    let fail_given = !fail_on.is_empty();
    if !waiting && fail_on.is_empty() && app_targets.is_empty() {
        return Ok(None);
    }
    let apps = (!app_targets.is_empty()).then_some(AppWait {
        targets: app_targets,
        fail: !fail_off,
        several_lattices: cli.all_lattices || lattices.len() > 1,
    });
    let types = |flag: &str,
                 values: &[&str],
                 warnings: &mut Vec<String>|
     -> Result<Vec<TypePattern>, String> {
        let patterns = type_patterns(flag, values)?;
        warnings.extend(patterns.iter().filter_map(|t| t.unknown_name_warning(flag)));
        Ok(patterns)
    };
    let about = || Filter {
        hosts: ids("--until-host", &cli.until_host),
        components: ids("--until-component", &cli.until_component),
        providers: ids("--until-provider", &cli.until_provider),
        ..Filter::default()
    };
    let until_types: Vec<&str> = cli.until_type.iter().map(String::as_str).collect();
    let target = waiting.then(|| -> Result<Filter, String> {
        Ok(Filter {
            include: types("--until-type", &until_types, warnings)?,
            jq: match &cli.until_filter {
                Some(code) => Some(
                    JqFilter::compile(code)
                        .map_err(|why| {
                            format!("--until-filter is not a jq expression latwatch can run: {why}")
                        })?
                        .for_flag("--until-filter"),
                ),
                None => None,
            },
            ..about()
        })
    });
    let failure_types: Vec<&str> = match fail_on.is_empty() {
        true => vec!["*_failed"],
        false => fail_on,
    };
    // While --until-app waits, a failure is the application's status (wadm retries what a
    // host failed); failure events end the wait only when --fail-on names them.
    let failure = match fail_off || (apps.is_some() && !fail_given) {
        true => None,
        false => Some(Filter {
            include: types("--fail-on", &failure_types, warnings)?,
            ..about()
        }),
    };
    Ok(Some(Until {
        target: target.transpose()?,
        failure,
        apps,
    }))
}

/// `--until-app [LATTICE/]NAME=STATUS` values, checked; a LATTICE must be one of `watched`
/// (`None`: any).
fn app_targets(values: &[String], watched: Option<&[String]>) -> Result<Vec<AppTarget>, String> {
    let statuses = crate::state::apps::wire::STATUSES.join(", ");
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|value| {
            let shown = crate::text::escape_untrusted(value);
            let Some((name, status)) = value.trim().split_once('=') else {
                return Err(format!(
                    "--until-app {shown}: give NAME=STATUS, e.g. --until-app hello-app=deployed \
                     (statuses: {statuses})"
                ));
            };
            let (lattice, name) = match name.trim().split_once('/') {
                Some((lattice, name)) => (Some(lattice.trim()), name.trim()),
                None => (None, name.trim()),
            };
            let bad =
                |token: &str| token.is_empty() || token.contains(['*', '?', '>', '.', '/', ' ']);
            if bad(name) {
                return Err(format!(
                    "--until-app {shown}: NAME is one application's name as in its manifest \
                     (no globs, dots or spaces), e.g. hello-app=deployed or \
                     LATTICE/NAME=STATUS for one lattice's"
                ));
            }
            if lattice.is_some_and(bad) {
                return Err(format!(
                    "--until-app {shown}: LATTICE/NAME names one lattice (no globs, dots or \
                     spaces), e.g. default/hello-app=deployed"
                ));
            }
            if let (Some(lattice), Some(watched)) = (lattice, watched) {
                if !watched.iter().any(|w| w == lattice) {
                    return Err(format!(
                        "--until-app {shown}: lattice '{}' is not watched (--lattice {}); add it \
                         to --lattice",
                        crate::text::escape_untrusted(lattice),
                        crate::text::escape_untrusted(&watched.join(","))
                    ));
                }
            }
            let status = crate::state::apps::AppStatus::parse(status);
            if !status.is_known() {
                return Err(format!(
                    "--until-app {shown}: '{}' is not a status wadm reports; use one of \
                     {statuses}",
                    crate::text::escape_untrusted(status.as_str())
                ));
            }
            Ok(AppTarget {
                lattice: lattice.map(str::to_owned),
                name: name.to_owned(),
                status,
            })
        })
        .collect()
}

/// `[P.]wadm.evt.<lattice>.>` and `[P.]wadm.status.<lattice>.*` per lattice token.
fn app_subjects(lattices: &[String], prefix: Option<&str>) -> Vec<String> {
    let with_prefix = |subject: String| match prefix {
        Some(prefix) => format!("{prefix}.{subject}"),
        None => subject,
    };
    lattices
        .iter()
        .flat_map(|lattice| {
            [
                with_prefix(format!("wadm.evt.{lattice}.>")),
                with_prefix(format!("wadm.status.{lattice}.*")),
            ]
        })
        .collect()
}

/// `--since`/`--last`/`--stream`.
fn replay(cli: &Cli) -> Result<Option<Replay>, String> {
    let from = match (&cli.since, cli.last) {
        (Some(since), _) => ReplayFrom::Since(since_time(since, Utc::now())?),
        (None, Some(n)) => ReplayFrom::Last(n),
        (None, None) => return Ok(None),
    };
    Ok(Some(Replay {
        from,
        stream: cli.stream.clone(),
    }))
}

/// `--since`: a duration back from `now`, or an RFC 3339 time; between 1970 (nothing in a
/// stream is older) and a minute from now (clocks differ a little, not more).
fn since_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let ago = crate::cli::parse_duration(text).map_err(|why| {
                format!(
                    "--since {text}: use a duration (90s, 10m, 1h30m) or an RFC 3339 time \
                     (2026-11-24T14:00:00Z) ({why})"
                )
            })?;
            chrono::Duration::from_std(ago)
                .ok()
                .and_then(|ago| now.checked_sub_signed(ago))
                .ok_or_else(|| format!("--since {text} reaches back too far"))?
        }
    };
    if at < DateTime::<Utc>::UNIX_EPOCH {
        return Err(format!(
            "--since {text} reaches back before 1970, before anything a stream can hold; \
             give a later time, or --last N for the last N events"
        ));
    }
    if at > now + chrono::Duration::minutes(1) {
        return Err(format!(
            "--since {text} is in the future ({}); give a past time or a duration like 10m",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(at)
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
            "--lattice {}: a lattice name is one subject token (no '.', '*', '>' or spaces); \
             use --all-lattices to watch every lattice",
            crate::text::escape_untrusted(bad)
        ));
    }
    Ok(names)
}

/// A type flag's values, each checked ([`TypePattern::parse`]).
fn type_patterns(flag: &str, values: &[impl AsRef<str>]) -> Result<Vec<TypePattern>, String> {
    values
        .iter()
        .map(|value| TypePattern::parse(flag, value.as_ref()))
        .collect()
}

/// `--subject-prefix`: one or more subject tokens (`acct`, `tenant.a`), nothing a subject cannot
/// hold and no wildcard (the prefix is part of every subscription).
fn subject_prefix(prefix: &str) -> Result<(), String> {
    let shown = crate::text::escape_untrusted(prefix);
    let bad_token = prefix.split('.').find(|token| {
        token.is_empty()
            || *token == "*"
            || *token == ">"
            || token.contains(|c: char| c.is_whitespace() || c.is_control())
    });
    match bad_token {
        Some(_) => Err(format!(
            "--subject-prefix '{shown}': give subject tokens separated by dots, without \
             wildcards or spaces (as wadm's multi-tenant prefix, e.g. --subject-prefix acct)"
        )),
        None => Ok(()),
    }
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
    // wadm's kinds are on wadm's subjects (`app_subjects`), never on `wasmbus.evt`.
    let wadm = |name: &&str| {
        crate::event::Kind::from_name(name)
            .known()
            .is_some_and(crate::event::kind::KindId::is_wadm)
    };
    let exact = exact.map(|names| names.into_iter().filter(|n| !wadm(n)).collect::<Vec<_>>());
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

/// Flags and environment variables first, then the nats context, then the defaults.
fn connection(flags: &ConnectionArgs, warnings: &mut Vec<String>) -> Result<Connection, String> {
    // wash's name for the credentials file.
    let creds = flags.creds.clone().or_else(|| {
        std::env::var_os("WASH_CTL_CREDS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let jwt_seed = flags.jwt.clone().zip(flags.seed.clone());
    let tls_client = flags.tls_cert.clone().zip(flags.tls_key.clone());
    let context = context::load(flags.context.as_deref())?;
    let from_context = |pick: fn(&NatsContext) -> &Option<String>| {
        context
            .as_ref()
            .and_then(|c| pick(c).clone())
            .filter(|v| !v.is_empty())
    };
    let given: Vec<String> = flags
        .servers
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if given.is_empty() && !flags.servers.is_empty() {
        return Err(
            "-s/--server (or NATS_URL) is empty: give a server URL like nats://127.0.0.1:4222, \
             or leave it out for that default"
                .to_owned(),
        );
    }
    let servers = if !given.is_empty() {
        given
    } else if flags.ctl_host.is_some() || flags.ctl_port.is_some() {
        let host = flags
            .ctl_host
            .clone()
            .unwrap_or_else(|| DEFAULT_HOST.to_owned());
        vec![format!(
            "nats://{host}:{}",
            flags.ctl_port.unwrap_or(DEFAULT_PORT)
        )]
    } else if let Some(url) = from_context(|c| &c.url) {
        url.split(',').map(|s| s.trim().to_owned()).collect()
    } else {
        vec![format!("nats://{DEFAULT_HOST}:{DEFAULT_PORT}")]
    };

    let path = |value: Option<String>| value.map(|v| context::expand(&v));
    // `nats://user:password@host` or `nats://token@host`, as the nats CLI takes them.
    let (url_user, url_secret) = match servers.iter().find_map(|url| userinfo(url)) {
        Some((first, Some(second))) => (Some((first.to_owned(), second.to_owned())), None),
        Some((first, None)) => (None, Some(first.to_owned())),
        None => (None, None),
    };
    let auth = if let Some(creds) = creds.or_else(|| path(from_context(|c| &c.creds))) {
        Auth::Creds(creds)
    } else if let Some(nkey) = flags
        .nkey
        .clone()
        .or_else(|| path(from_context(|c| &c.nkey)))
    {
        Auth::Nkey(nkey)
    } else if let Some((jwt, seed)) = jwt_seed {
        Auth::JwtSeed { jwt, seed }
    } else if let Some(user) = flags.user.clone().or_else(|| from_context(|c| &c.user)) {
        let password = flags
            .password
            .clone()
            .or_else(|| from_context(|c| &c.password))
            .unwrap_or_default();
        Auth::UserPassword { user, password }
    } else if let Some((user, password)) = url_user {
        Auth::UserPassword { user, password }
    } else if let Some(token) = flags.token.clone().or_else(|| from_context(|c| &c.token)) {
        Auth::Token(token)
    } else if let Some(token) = url_secret {
        Auth::Token(token)
    } else {
        Auth::None
    };
    match &auth {
        Auth::Creds(file) | Auth::Nkey(file) if file.is_dir() => {
            let flag = if matches!(auth, Auth::Creds(_)) {
                "--creds"
            } else {
                "--nkey"
            };
            return Err(format!(
                "{flag} {} is a directory; give the file itself (as `nsc` writes it: \
                 ~/.local/share/nats/nsc/keys/creds/OPERATOR/ACCOUNT/USER.creds)",
                crate::text::escape_path(file)
            ));
        }
        Auth::Creds(file) | Auth::Nkey(file) => warnings.extend(readable_by_others(file)),
        _ => {}
    }
    // A context file holding a password or a token is a secret file too.
    if let Some(context) = context
        .as_ref()
        .filter(|c| c.password.is_some() || c.token.is_some())
    {
        warnings.extend(readable_by_others(&context.path));
    }

    let tls = Tls {
        ca: flags
            .tls_ca
            .clone()
            .or_else(|| path(from_context(|c| &c.ca))),
        client: tls_client
            .or_else(|| path(from_context(|c| &c.cert)).zip(path(from_context(|c| &c.key)))),
        first: flags.tls_first || context.as_ref().is_some_and(|c| c.tls_first),
    };
    Ok(Connection {
        servers,
        auth,
        tls,
        context: context.map(|c| (c.name, c.path)),
    })
}

/// A warning when a file holding a secret can be read by other users.
fn readable_by_others(file: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds a secret and other users can read it (mode {:o}); chmod 600 {}",
                crate::text::escape_path(file),
                mode & 0o777,
                crate::text::escape_path(file)
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
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
