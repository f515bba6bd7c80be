//! The command line: the one definition of every flag, its environment variable and its help.
//!
//! Parsing and validation only: no I/O, no environment reads beyond clap's `env`. `config.rs`
//! turns a parsed [`Cli`] into ready pipeline parts. Completions (`latwatch completions`) and the
//! man page (`latwatch man`) are generated from this same definition.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};

use crate::event::kind::KINDS;

/// `-h`: one line pointing to the rest.
const AFTER_SHORT_HELP: &str = "\
More flags, examples, filter rules and exit codes: latwatch --help
Shell completions: latwatch completions <SHELL>    Man page: latwatch man";

/// `--help` (and the man page): examples, rules and exit codes.
const AFTER_LONG_HELP: &str = "\
Examples:
  latwatch                                   watch lattice \"default\" on nats://127.0.0.1:4222
  latwatch --lattice prod -s nats://nats.internal:4222
  latwatch --exclude-type host_heartbeat,health_check_status
  latwatch -t '*_failed'                     only failures
  latwatch --component hello --host misty-river-4821
  latwatch --app hello-app                   one wadm application: its events and status
  latwatch --filter '.data.max_instances > 2'
  latwatch --json | jq 'select(.data.max_instances > 2)'
  latwatch -o jsonl > capture.jsonl          record events with subject and receive time
  latwatch --input capture.jsonl             show a capture again (no server needed)
  latwatch --count 5                         stop after 5 events

Filters: values of one flag are OR, different flags are AND, excludes win. A TYPE is a short
name (component_scaled), a full type (com.wasmcloud.lattice.component_scaled) or a glob
(health_check_*, *_failed). An ID is exact, a prefix, or a glob. Exact --type names are
filtered by the server: other events are never sent to latwatch.

Scripting and history:
  latwatch --until-type component_scaled --until-component echo --timeout 60s
                                             wait for a deploy: 0 when it happens, 4 if it
                                             fails, 3 on timeout
  wash app deploy app.yaml && latwatch --until-app hello-app=deployed --timeout 3m
                                             wait for a wadm application: 0 when deployed,
                                             4 if it fails, 3 on timeout
  latwatch --since 10m                       replay 10 minutes from JetStream, then go live
  latwatch --record session.jsonl            keep everything received, for --input later

Exit codes:
  0  success: Ctrl-C, SIGTERM, --count reached, end of --input, stdout closed (| head),
     an --until-* match, --idle-timeout
  1  runtime error: cannot connect, cannot read --input, cannot write (stdout or --record),
     no stream for --since
  2  usage error: a bad flag or value, --input and --record the same file
  3  --timeout expired, or --input ended before an --until-* match
  4  a --fail-on event arrived (with --until-*: by default a *_failed event about the same
     host, component or provider; with --until-app: an awaited application failed, or a
     --fail-on event of one of them)
  129, 131  latwatch top ended by SIGHUP, SIGQUIT (the terminal restored first)";

/// Watch a wasmCloud lattice: every lattice event as one readable line, or raw JSON for jq.
///
/// latwatch subscribes to `wasmbus.evt.<lattice>.>` on NATS, decodes each CloudEvent a wasmCloud
/// host publishes and prints it on stdout. Status, warnings and errors go to stderr.
#[derive(Debug, Parser)]
#[command(
    name = "latwatch",
    version = env!("LATWATCH_VERSION"),
    about,
    long_about,
    after_help = AFTER_SHORT_HELP,
    after_long_help = AFTER_LONG_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The lattice(s) to watch, comma-separated
    #[arg(
        global = true,
        short = 'x',
        long,
        env = "WASMCLOUD_LATTICE",
        value_name = "NAME",
        value_delimiter = ',',
        default_value = "default",
        help_heading = "What to watch"
    )]
    pub lattice: Vec<String>,

    /// Watch every lattice on the server (wasmbus.evt.*.>)
    #[arg(global = true, long, help_heading = "What to watch")]
    pub all_lattices: bool,

    /// wasmCloud 2: also watch the operator's requests to each heartbeating host and the hosts'
    /// answers: workloads started, failed (with the host's whole error text), stopped. Side
    /// effect: while latwatch listens on runtime.host.<id>.>, a request to a host that just died
    /// waits for its timeout instead of failing fast with "no responders"
    #[arg(global = true, long, help_heading = "What to watch")]
    pub workloads: bool,

    /// Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it
    /// (P.wasmbus.evt.<lattice>.>)
    #[arg(
        global = true,
        long,
        value_name = "P",
        help_heading = "What to watch",
        hide_short_help = true
    )]
    pub subject_prefix: Option<String>,

    /// Also listen on the bare wasmbus.evt.<lattice> subject of wasmCloud <= 0.82 and OTP hosts;
    /// events published on both subjects are shown once
    #[arg(long, help_heading = "What to watch", hide_short_help = true)]
    pub legacy: bool,

    /// Show only these event kinds (repeatable, comma-separated; globs allowed)
    #[arg(
        global = true,
        short = 't',
        long = "type",
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Filters",
        value_parser = EventKindParser,
        hide_possible_values = true
    )]
    pub types: Vec<String>,

    /// Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type
    #[arg(
        global = true,
        long = "exclude-type",
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Filters",
        value_parser = EventKindParser,
        hide_possible_values = true
    )]
    pub exclude_types: Vec<String>,

    /// Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)
    #[arg(
        global = true,
        long = "host",
        value_name = "ID|NAME",
        value_delimiter = ',',
        help_heading = "Filters"
    )]
    pub hosts: Vec<String>,

    /// wasmCloud 2: show only hosts of these host groups (the `hostgroup` label; globs,
    /// repeatable)
    #[arg(
        global = true,
        long = "hostgroup",
        value_name = "GROUP",
        value_delimiter = ',',
        help_heading = "Filters",
        hide_short_help = true
    )]
    pub hostgroups: Vec<String>,

    /// wasmCloud 2: show only workloads of these namespaces (globs, repeatable; with
    /// --workloads)
    #[arg(
        global = true,
        long = "namespace",
        value_name = "NS",
        value_delimiter = ',',
        help_heading = "Filters",
        hide_short_help = true
    )]
    pub namespaces: Vec<String>,

    /// wasmCloud 2: show only hosts of these tenant environments (globs, repeatable)
    #[arg(
        global = true,
        long = "environment",
        value_name = "ENV",
        value_delimiter = ',',
        help_heading = "Filters",
        hide_short_help = true
    )]
    pub environments: Vec<String>,

    /// Show only events about these components, including links to or from them (repeatable)
    #[arg(
        global = true,
        long = "component",
        value_name = "ID",
        value_delimiter = ',',
        help_heading = "Filters"
    )]
    pub components: Vec<String>,

    /// Show only events about these providers, including links to or from them (repeatable)
    #[arg(
        global = true,
        long = "provider",
        value_name = "ID",
        value_delimiter = ',',
        help_heading = "Filters"
    )]
    pub providers: Vec<String>,

    /// Show only what belongs to these wadm applications: their events, wadm's events and status
    /// changes (names or globs, repeatable)
    #[arg(
        global = true,
        long = "app",
        value_name = "NAME",
        value_delimiter = ',',
        help_heading = "Filters",
        conflicts_with = "no_apps"
    )]
    pub app: Vec<String>,

    /// Show only events for which this jq expression is truthy (run on the CloudEvent JSON)
    #[arg(global = true, long, value_name = "EXPR", help_heading = "Filters")]
    pub filter: Option<String>,

    /// Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl`
    /// records or `nats sub --raw` output, one per line
    #[arg(short = 'i', long, value_name = "FILE", help_heading = "What to watch")]
    pub input: Option<PathBuf>,

    /// Output format
    #[arg(
        short = 'o',
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = Output::Pretty,
        help_heading = "Output"
    )]
    pub output: Output,

    /// Print each event's original JSON on one line (same as -o json)
    #[arg(long, conflicts_with = "output", help_heading = "Output")]
    pub json: bool,

    /// When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb
    /// (CLICOLOR_FORCE forces it); json and jsonl are never colored
    #[arg(
        global = true,
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto,
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Same as --color never (as other tools spell it)
    #[arg(global = true, long, help_heading = "Output", hide_short_help = true)]
    pub no_color: bool,

    /// Show times in UTC instead of local time
    #[arg(global = true, long, help_heading = "Output", hide_short_help = true)]
    pub utc: bool,

    /// How lines show times: auto is HH:MM:SS.mmm, with the date before it when the time is not
    /// today; full is RFC 3339 on every line (2026-12-03T09:12:03.104+01:00), as kubectl and
    /// stern print. A host event shows its own time (the host's clock); a wadm status, which has
    /// none, the time latwatch received it (a replay: the time the server stored it)
    #[arg(
        global = true,
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = Timestamps::Auto,
        help_heading = "Output",
        hide_short_help = true
    )]
    pub timestamps: Timestamps,

    /// Print messages whole: wadm's status messages and errors are otherwise shortened on a
    /// line, keeping their start and their root cause (`failed to fetch component: … dns error:
    /// …`)
    #[arg(
        global = true,
        short,
        long,
        help_heading = "Output",
        hide_short_help = true
    )]
    pub verbose: bool,

    /// Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB
    #[arg(global = true, long, help_heading = "Output", hide_short_help = true)]
    pub full_ids: bool,

    /// If nothing arrives within SECS of subscribing, explain on stderr why and which lattices on
    /// the server do have traffic (0: never)
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 35,
        help_heading = "Output",
        hide_short_help = true
    )]
    pub silence_hint: u64,

    /// wasmCloud 2 hosts heartbeat every 15 s: a host is silent after two missed heartbeats and
    /// lost after four. For tests, which cannot wait a minute
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, hide = true)]
    pub v2_interval: Option<std::time::Duration>,

    /// Print every heartbeat and health status, not only those that change something
    #[arg(long, help_heading = "Output", hide_short_help = true)]
    pub heartbeats: bool,

    /// Print every repeat of a host's failure in full (by default the same failure again, same
    /// id and error, is a short line: `same error again (×3, over 31s)`)
    #[arg(global = true, long, help_heading = "Output", hide_short_help = true)]
    pub no_compress: bool,

    /// Exit after printing N events
    #[arg(
        short = 'n',
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Output"
    )]
    pub count: Option<u64>,

    /// No status lines on stderr (errors and warnings are still shown)
    #[arg(global = true, short, long, help_heading = "Output")]
    pub quiet: bool,

    /// At exit, print counts on stderr: messages received, shown, filtered out, per kind, per
    /// host, hosts alive, failures, per application
    #[arg(long, help_heading = "Output")]
    pub summary: bool,

    /// In --json and -o jsonl, include wadm's application messages: its CloudEvents, and in
    /// -o jsonl its status messages (pretty output shows them unless --no-apps)
    #[arg(long, help_heading = "Output", conflicts_with = "no_apps")]
    pub apps: bool,

    /// Leave wadm applications out: no wadm subscriptions, status lines or app= tags
    #[arg(global = true, long, help_heading = "Output", hide_short_help = true)]
    pub no_apps: bool,

    /// Also append every received event (before filters) to FILE as a jsonl record, written as it
    /// arrives; `--input FILE` replays it
    #[arg(long, value_name = "FILE", help_heading = "History and recording")]
    pub record: Option<PathBuf>,

    /// First replay the events stored since WHEN (a duration like 90s, 10m, 1h30m, or an RFC 3339
    /// time) from the JetStream stream that keeps the lattice's events, and wadm's deploys and
    /// application statuses from its streams (wadm_events, wadm_status) merged in time order,
    /// then continue live
    #[arg(long, value_name = "WHEN", help_heading = "History and recording")]
    pub since: Option<String>,

    /// First show the last N stored events that pass the filters (-t, --host, --app, --filter…,
    /// as `kubectl logs --tail` counts), searching back through the newest 200,000 (plus N)
    /// messages of each stream at most, then continue live
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "since",
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "History and recording"
    )]
    pub last: Option<u64>,

    /// The JetStream stream to replay and fill gaps from [default: the stream that stores the
    /// lattice's subjects, e.g. wadm's wasmbus_events]
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "History and recording",
        hide_short_help = true
    )]
    pub stream: Option<String>,

    /// Do not fill gaps (a reconnect, dropped events) from the JetStream stream that keeps the
    /// lattice's events; only report them
    #[arg(long, help_heading = "History and recording", hide_short_help = true)]
    pub no_fill: bool,

    /// Memory for events that stdout cannot take yet (a slow reader); past it events are dropped,
    /// reported, and filled from a stream when there is one (e.g. 64MiB, 1GiB)
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "256MiB",
        value_parser = parse_size,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub buffer: u64,

    /// How often to ping the server; after three unanswered pings the server counts as hung and
    /// latwatch reconnects (a duration: 2s, 500ms)
    #[arg(
        global = true,
        long,
        value_name = "DURATION",
        default_value = "2s",
        value_parser = parse_ping_interval,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub ping_interval: std::time::Duration,

    /// Exit 0 when every named wadm application has this status (NAME=STATUS, e.g.
    /// hello-app=deployed; repeatable); exit 4 if one fails. LATTICE/NAME is that lattice's
    /// application; a bare NAME is every application of that name in the lattices watched
    #[arg(
        long,
        value_name = "[LATTICE/]NAME=STATUS",
        value_delimiter = ',',
        help_heading = "Scripting",
        conflicts_with_all = ["no_apps", "until_type", "until_host", "until_component", "until_provider", "until_filter"]
    )]
    pub until_app: Vec<String>,

    /// wasmCloud 2: exit 0 when a workload of each NAMESPACE/NAME (globs: the operator suffixes
    /// names, default/hello-*=running) is in STATE (running, error, not_found, stopped;
    /// repeatable: all must be reached); exit 4 if one fails, with the host's error. Implies
    /// --workloads
    #[arg(
        long,
        value_name = "NS/NAME=STATE",
        value_delimiter = ',',
        help_heading = "Scripting",
        conflicts_with_all = ["until_app", "until_type", "until_host", "until_component", "until_provider", "until_filter"]
    )]
    pub until_workload: Vec<String>,

    /// Exit 0 when an event of one of these kinds arrives (with the other --until-* flags: all
    /// must match)
    #[arg(
        long,
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Scripting",
        value_parser = EventKindParser,
        hide_possible_values = true
    )]
    pub until_type: Vec<String>,

    /// Exit 0 when an event about one of these hosts arrives (key, prefix, name or glob)
    #[arg(
        long,
        value_name = "ID|NAME",
        value_delimiter = ',',
        help_heading = "Scripting",
        hide_short_help = true
    )]
    pub until_host: Vec<String>,

    /// Exit 0 when an event about one of these components arrives
    #[arg(
        long,
        value_name = "ID",
        value_delimiter = ',',
        help_heading = "Scripting"
    )]
    pub until_component: Vec<String>,

    /// Exit 0 when an event about one of these providers arrives
    #[arg(
        long,
        value_name = "ID",
        value_delimiter = ',',
        help_heading = "Scripting",
        hide_short_help = true
    )]
    pub until_provider: Vec<String>,

    /// Exit 0 when an event for which this jq expression is truthy arrives
    #[arg(
        long,
        value_name = "EXPR",
        help_heading = "Scripting",
        hide_short_help = true
    )]
    pub until_filter: Option<String>,

    /// Exit 4 when an event of these kinds arrives about the --until-host/component/provider
    /// (all hosts when none is given), with --until-app of an awaited application (an event of
    /// no known application never fails it); `none` turns it off [default with --until-*:
    /// *_failed, except failures --until-type names: `--until-type component_scale_failed`
    /// exits 0 on one]
    #[arg(
        long,
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Scripting",
        value_parser = EventKindParser,
        hide_possible_values = true
    )]
    pub fail_on: Vec<String>,

    /// Exit 3 if the run has not ended by then (a duration: 30s, 5m, 1h; plain numbers are
    /// seconds)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Scripting")]
    pub timeout: Option<std::time::Duration>,

    /// Exit 0 after DURATION in which no event arrived (filtered ones count as arrived)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Scripting")]
    pub idle_timeout: Option<std::time::Duration>,

    /// Keep trying the first connection for this long (NATS starting beside latwatch in CI):
    /// a refused or unresolved server is tried again, said once on stderr; exit 1 when no
    /// connection came. With --until-* or --until-app, --timeout sets it
    #[arg(
        global = true,
        long,
        value_name = "DURATION",
        value_parser = parse_duration,
        help_heading = "Scripting"
    )]
    pub connect_timeout: Option<std::time::Duration>,
}

/// The command definition as help shows it: every environment variable whose value carries user
/// info (`nats://user:password@host`, a token before `@`) is shown with it removed, so `--help`
/// never prints a secret, and one holding a character a terminal would act on is shown escaped
/// (a shared environment is not trusted input). Parsing is the same as [`Cli`]'s own.
pub fn command() -> clap::Command {
    let mut command = <Cli as clap::CommandFactory>::command();
    let secret_env: Vec<(clap::Id, String)> = command
        .get_arguments()
        .filter(|arg| !arg.is_hide_env_values_set())
        .filter_map(|arg| {
            let name = arg.get_env()?;
            let value = std::env::var_os(name)?;
            let value = value.to_string_lossy();
            let has_secret = value
                .split(',')
                .any(|url| crate::userinfo::userinfo(url).is_some());
            let shown = match has_secret {
                true => crate::userinfo::redact(&value),
                false if value.chars().any(crate::text::needs_escape) => {
                    crate::text::escape_untrusted(&value).into_owned()
                }
                false => return None,
            };
            let shown = format!("[env: {}={shown}]", name.to_string_lossy());
            Some((arg.get_id().clone(), shown))
        })
        .collect();
    for (id, shown) in secret_env {
        command = command.mut_arg(id, |arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let long = arg.get_long_help().map(ToString::to_string);
            let arg = arg.hide_env(true).help(format!("{help} {shown}"));
            match long {
                Some(long) => arg.long_help(format!("{long} {shown}")),
                None => arg,
            }
        });
    }
    command
}

/// Parses the command line with [`command`]'s definition (clap exits on a usage error or help).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command()
        .try_get_matches()
        .unwrap_or_else(|err| usage_error(err));
    Cli::from_arg_matches(&matches).unwrap_or_else(|err| usage_error(err))
}

/// Exits with clap's error. clap quotes what was typed or set (an invalid value, an unknown flag)
/// and, on a terminal, prints it raw: when an argument or the environment value clap checks
/// (`WASMCLOUD_CTL_PORT`) holds a character a terminal would act on, the error is made again from
/// the arguments escaped (`text::escape_untrusted`) and printed plain, each line escaped.
fn usage_error(err: clap::Error) -> ! {
    use std::io::Write as _;
    let hostile = |text: &str| text.chars().any(crate::text::needs_escape);
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let from_env = std::env::var_os("WASMCLOUD_CTL_PORT")
        .is_some_and(|value| hostile(&value.to_string_lossy()));
    if !err.use_stderr() || !(from_env || args.iter().any(|arg| hostile(arg))) {
        err.exit()
    }
    let escaped = args
        .iter()
        .map(|arg| crate::text::escape_untrusted(arg).into_owned());
    let again = command()
        .color(clap::ColorChoice::Never)
        .try_get_matches_from(escaped)
        .err()
        .filter(clap::Error::use_stderr)
        .unwrap_or(err);
    // `to_string` leaves clap's styling out; what is left is escaped line by line.
    let text = again.render().to_string();
    let _ = write!(
        std::io::stderr().lock(),
        "{}",
        crate::text::escape_lines(&text)
    );
    std::process::exit(again.exit_code())
}

/// How to reach the NATS server: address, credentials, TLS, and wash's and the nats CLI's ways of
/// saying them. One struct, flattened into [`Cli`], that `config.rs` turns into the connection
/// settings once.
#[derive(Debug, Default, clap::Args)]
pub struct ConnectionArgs {
    /// NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash's
    /// WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]
    #[arg(
        global = true,
        short = 's',
        long = "server",
        env = "NATS_URL",
        value_name = "URL",
        value_delimiter = ',',
        help_heading = "Connection"
    )]
    pub servers: Vec<String>,

    /// A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS
    /// [default: the context selected with `nats context select`, if any]
    #[arg(
        global = true,
        long,
        env = "NATS_CONTEXT",
        value_name = "NAME",
        help_heading = "Connection"
    )]
    pub context: Option<String>,

    /// NATS credentials file (user JWT and seed); also read from wash's WASH_CTL_CREDS
    #[arg(
        global = true,
        long,
        env = "NATS_CREDS",
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub creds: Option<PathBuf>,

    /// File holding an nkey user seed
    #[arg(
        global = true,
        long,
        env = "NATS_NKEY",
        value_name = "SEED_FILE",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub nkey: Option<PathBuf>,

    /// User JWT, with --seed (as wash takes them)
    #[arg(
        global = true,
        long,
        env = "WASMCLOUD_CTL_JWT",
        value_name = "JWT",
        requires = "seed",
        hide_env_values = true,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub jwt: Option<String>,

    /// User nkey seed signing for --jwt
    #[arg(
        global = true,
        long,
        env = "WASMCLOUD_CTL_SEED",
        value_name = "SEED",
        requires = "jwt",
        hide_env_values = true,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub seed: Option<String>,

    /// User name (or user:password@ in the URL)
    #[arg(
        global = true,
        long,
        env = "NATS_USER",
        value_name = "USER",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub user: Option<String>,

    /// Password for --user
    #[arg(
        global = true,
        long,
        env = "NATS_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub password: Option<String>,

    /// Authentication token
    #[arg(
        global = true,
        long,
        env = "NATS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub token: Option<String>,

    /// CA certificate(s) to verify the server with (PEM)
    #[arg(
        global = true,
        long,
        env = "NATS_CA",
        value_name = "FILE",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate for mutual TLS (PEM), with --tls-key
    #[arg(
        global = true,
        long,
        env = "NATS_CERT",
        value_name = "FILE",
        requires = "tls_key",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub tls_cert: Option<PathBuf>,

    /// Client private key for mutual TLS (PEM), with --tls-cert
    #[arg(
        global = true,
        long,
        env = "NATS_KEY",
        value_name = "FILE",
        requires = "tls_cert",
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub tls_key: Option<PathBuf>,

    /// Start TLS before the NATS handshake, for servers configured with handshake_first
    #[arg(
        global = true,
        long,
        help_heading = "Connection",
        hide_short_help = true
    )]
    pub tls_first: bool,

    /// NATS host, as wash takes it; used only when --server and NATS_URL are not given
    #[arg(
        global = true,
        long,
        env = "WASMCLOUD_CTL_HOST",
        value_name = "HOST",
        hide_short_help = true,
        help_heading = "Connection"
    )]
    pub ctl_host: Option<String>,

    /// NATS port, as wash takes it; used only when --server and NATS_URL are not given
    #[arg(
        global = true,
        long,
        env = "WASMCLOUD_CTL_PORT",
        value_name = "PORT",
        hide_short_help = true,
        help_heading = "Connection"
    )]
    pub ctl_port: Option<u16>,
}

/// What latwatch can do besides watching.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script, or write all of them into a folder
    ///
    /// Examples, one per shell:
    ///   bash: latwatch completions bash > ~/.local/share/bash-completion/completions/latwatch
    ///   zsh:  latwatch completions zsh > ~/.zfunc/_latwatch   (with fpath+=~/.zfunc)
    ///   fish: latwatch completions fish > ~/.config/fish/completions/latwatch.fish
    ///   powershell: latwatch completions powershell >> $PROFILE
    ///   elvish: latwatch completions elvish > ~/.config/elvish/lib/latwatch.elv   (then `use latwatch`)
    ///   all:  latwatch completions --out-dir DIR
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell
        #[arg(value_enum, required_unless_present = "out_dir")]
        shell: Option<clap_complete::Shell>,
        /// Write every shell's script into DIR, under the standard names (latwatch.bash,
        /// _latwatch, latwatch.fish, _latwatch.ps1, latwatch.elv)
        #[arg(long, value_name = "DIR", conflicts_with = "shell")]
        out_dir: Option<PathBuf>,
    },
    /// Print the man page (roff): latwatch man > ~/.local/share/man/man1/latwatch.1
    Man,
    /// The lattice as a live table: hosts, components, providers, links and applications, as
    /// the control interface and wadm tell at start and every event changes them
    ///
    /// Takes the connection and filter flags of the watcher (-s, --lattice, --context,
    /// credentials, --host, --component, --provider, --app, ...). Keys: Tab/Shift-Tab between
    /// panes, arrows/PageUp/PageDown/Home/End to scroll, / to filter the pane, Enter for the
    /// selected row's JSON, p to pause the events, q/Esc/Ctrl-C to quit.
    Top,
}

/// An event kind for `--type` and friends: any text (globs, kinds newer than latwatch), with the
/// known kinds offered to shell completion.
#[derive(Debug, Clone, Copy)]
pub struct EventKindParser;

impl TypedValueParser for EventKindParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            KINDS.iter().map(|kind| PossibleValue::new(kind.name)),
        ))
    }
}

/// The longest duration a flag takes: a century is "never" for a watcher, and anything longer
/// overflows the clocks it is added to.
pub const LONGEST: std::time::Duration = std::time::Duration::from_secs(100 * 365 * 86_400);

/// `90s`, `10m`, `1h30m`, `500ms`, or plain seconds; at most [`LONGEST`].
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let too_long =
        || format!("{text} is longer than latwatch can wait (100 years); give a shorter duration");
    let duration = match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            std::time::Duration::try_from_secs_f64(seconds).map_err(|_| too_long())?
        }
        Ok(_) => return Err(format!("{text}: a duration is a positive number of seconds or a duration like 30s, 5m, 1h30m or 500ms")),
        Err(_) => humantime::parse_duration(text).map_err(|why| match why {
            humantime::DurationError::NumberOverflow => too_long(),
            why => format!("{why}: use a duration like 30s, 5m, 1h30m or 500ms"),
        })?,
    };
    if duration > LONGEST {
        return Err(too_long());
    }
    Ok(duration)
}

/// `--buffer`: bytes, with an optional unit (K, M, G; KiB, MiB, GiB; KB, MB, GB are the same
/// powers of 1024 here), from 1 MiB to 1 TiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text}: give a size like 256MiB, 64M or 1GiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "{text}: the unit is one of K, M, G, T (KiB, MiB, GiB, TiB)"
            ))
        }
    };
    let bytes = number
        .checked_mul(1u64 << shift)
        .filter(|bytes| *bytes <= 1 << 40)
        .ok_or_else(|| format!("{text}: at most 1TiB"))?;
    if bytes < 1 << 20 {
        return Err(format!("{text}: at least 1MiB"));
    }
    Ok(bytes)
}

/// `--ping-interval`: a duration from 100 ms to 10 minutes.
fn parse_ping_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = parse_duration(text)?;
    if !(std::time::Duration::from_millis(100)..=std::time::Duration::from_secs(600))
        .contains(&interval)
    {
        return Err(format!("{text}: give a ping interval from 100ms to 10m"));
    }
    Ok(interval)
}

/// What stdout carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One human line per event
    Pretty,
    /// Each event's original payload bytes, one per line (for jq)
    Json,
    /// One record per line: {"subject", "received", "event"}
    Jsonl,
}

/// How pretty lines show times (`--timestamps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Timestamps {
    /// HH:MM:SS.mmm, with the date when not today
    Auto,
    /// RFC 3339 on every line
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn servers_split_on_commas() {
        let cli = Cli::try_parse_from(["latwatch", "-s", "nats://a:1,nats://b:2"]).unwrap();
        assert_eq!(cli.connection.servers, ["nats://a:1", "nats://b:2"]);
    }

    #[test]
    fn json_conflicts_with_output() {
        assert!(Cli::try_parse_from(["latwatch", "--json", "-o", "jsonl"]).is_err());
    }

    #[test]
    fn lists_split_on_commas_and_repeat() {
        let cli = Cli::try_parse_from([
            "latwatch",
            "-t",
            "a,b",
            "-t",
            "c",
            "--lattice",
            "x,y",
            "--host",
            "h1,h2",
        ])
        .unwrap();
        assert_eq!(cli.types, ["a", "b", "c"]);
        assert_eq!(cli.lattice, ["x", "y"]);
        assert_eq!(cli.hosts, ["h1", "h2"]);
    }

    #[test]
    fn durations_are_bounded_and_never_panic() {
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            std::time::Duration::from_secs(5400)
        );
        assert_eq!(
            parse_duration("2.5").unwrap(),
            std::time::Duration::from_millis(2500)
        );
        for text in [
            "99999999999999999999",
            "1e300",
            "99999999999999999999s",
            "1000000000h",
            "-5",
            "NaN",
            "inf",
            "",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        let error =
            Cli::try_parse_from(["latwatch", "--timeout", "99999999999999999999"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(
            Cli::try_parse_from(["latwatch", "--idle-timeout", "99999999999999999999"]).is_err()
        );
    }

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2097152"), Ok(2 << 20));
        for bad in [
            "",
            "MiB",
            "1x",
            "1KiB",
            "99999999999999999999G",
            "2TiB",
            "-1M",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn count_must_be_positive() {
        assert!(Cli::try_parse_from(["latwatch", "--count", "0"]).is_err());
    }
}
