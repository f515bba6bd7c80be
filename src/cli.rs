//! The command line: the one definition of every flag, its environment variable and its help.
//!
//! Parsing and validation only: no I/O, no environment reads beyond clap's `env`. `config.rs`
//! turns a parsed [`Cli`] into ready pipeline parts. Completions and the man page (a later issue)
//! are generated from this same definition.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  latwatch                                   watch lattice \"default\" on nats://127.0.0.1:4222
  latwatch --lattice prod -s nats://nats.internal:4222
  latwatch --exclude-type host_heartbeat,health_check_status
  latwatch -t '*_failed'                     only failures
  latwatch --component hello --host misty-river-4821
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
  latwatch --since 10m                       replay 10 minutes from JetStream, then go live
  latwatch --record session.jsonl            keep everything received, for --input later

Exit codes:
  0  success: Ctrl-C, SIGTERM, --count reached, end of --input, stdout closed (| head),
     an --until-* match, --idle-timeout
  1  runtime error: cannot connect, cannot read --input, cannot write, no stream for --since
  2  usage error: a bad flag or value
  3  --timeout expired, or --input ended before an --until-* match
  4  a --fail-on event arrived (with --until-*: by default a *_failed event about the same
     host, component or provider)";

/// Watch a wasmCloud lattice: every lattice event as one readable line, or raw JSON for jq.
///
/// latwatch subscribes to `wasmbus.evt.<lattice>.>` on NATS, decodes each CloudEvent a wasmCloud
/// host publishes and prints it on stdout. Status, warnings and errors go to stderr.
#[derive(Debug, Parser)]
#[command(name = "latwatch", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// NATS server URL(s), comma-separated [default: nats://127.0.0.1:4222, or wash's
    /// WASMCLOUD_CTL_HOST/WASMCLOUD_CTL_PORT when set]
    #[arg(
        short = 's',
        long = "server",
        env = "NATS_URL",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub servers: Vec<String>,

    /// A nats CLI context (~/.config/nats/context/NAME.json) for server, credentials and TLS
    /// [default: the context selected with `nats context select`, if any]
    #[arg(long, env = "NATS_CONTEXT", value_name = "NAME")]
    pub context: Option<String>,

    /// NATS credentials file (user JWT and seed); also read from wash's WASH_CTL_CREDS
    #[arg(long, env = "NATS_CREDS", value_name = "FILE")]
    pub creds: Option<PathBuf>,

    /// File holding an nkey user seed
    #[arg(long, env = "NATS_NKEY", value_name = "SEED_FILE")]
    pub nkey: Option<PathBuf>,

    /// User JWT, with --seed (as wash takes them)
    #[arg(
        long,
        env = "WASMCLOUD_CTL_JWT",
        value_name = "JWT",
        requires = "seed",
        hide_env_values = true
    )]
    pub jwt: Option<String>,

    /// User nkey seed signing for --jwt
    #[arg(
        long,
        env = "WASMCLOUD_CTL_SEED",
        value_name = "SEED",
        requires = "jwt",
        hide_env_values = true
    )]
    pub seed: Option<String>,

    /// User name (or user:password@ in the URL)
    #[arg(long, env = "NATS_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Password for --user
    #[arg(
        long,
        env = "NATS_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Authentication token
    #[arg(long, env = "NATS_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// CA certificate(s) to verify the server with (PEM)
    #[arg(long, env = "NATS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate for mutual TLS (PEM), with --tls-key
    #[arg(long, env = "NATS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Client private key for mutual TLS (PEM), with --tls-cert
    #[arg(long, env = "NATS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Start TLS before the NATS handshake, for servers configured with handshake_first
    #[arg(long)]
    pub tls_first: bool,

    /// NATS host, as wash takes it; used only when --server and NATS_URL are not given
    #[arg(
        long,
        env = "WASMCLOUD_CTL_HOST",
        value_name = "HOST",
        hide_short_help = true
    )]
    pub ctl_host: Option<String>,

    /// NATS port, as wash takes it; used only when --server and NATS_URL are not given
    #[arg(
        long,
        env = "WASMCLOUD_CTL_PORT",
        value_name = "PORT",
        hide_short_help = true
    )]
    pub ctl_port: Option<u16>,

    /// The lattice(s) to watch, comma-separated
    #[arg(
        short = 'x',
        long,
        env = "WASMCLOUD_LATTICE",
        value_name = "NAME",
        value_delimiter = ',',
        default_value = "default"
    )]
    pub lattice: Vec<String>,

    /// Watch every lattice on the server (wasmbus.evt.*.>)
    #[arg(long)]
    pub all_lattices: bool,

    /// Prefix of the event subjects in multi-tenant NATS accounts, as wadm uses it
    /// (P.wasmbus.evt.<lattice>.>)
    #[arg(long, value_name = "P")]
    pub subject_prefix: Option<String>,

    /// Also listen on the bare wasmbus.evt.<lattice> subject of wasmCloud <= 0.82 and OTP hosts;
    /// events published on both subjects are shown once
    #[arg(long)]
    pub legacy: bool,

    /// Show only these event kinds (repeatable, comma-separated; globs allowed)
    #[arg(short = 't', long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,

    /// Hide these event kinds (repeatable, comma-separated; globs allowed); wins over --type
    #[arg(long = "exclude-type", value_name = "TYPE", value_delimiter = ',')]
    pub exclude_types: Vec<String>,

    /// Show only events about these hosts: key, key prefix, friendly name or glob (repeatable)
    #[arg(long = "host", value_name = "ID|NAME", value_delimiter = ',')]
    pub hosts: Vec<String>,

    /// Show only events about these components, including links to or from them (repeatable)
    #[arg(long = "component", value_name = "ID", value_delimiter = ',')]
    pub components: Vec<String>,

    /// Show only events about these providers, including links to or from them (repeatable)
    #[arg(long = "provider", value_name = "ID", value_delimiter = ',')]
    pub providers: Vec<String>,

    /// Show only events for which this jq expression is truthy (run on the CloudEvent JSON)
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Read events from a file (or - for stdin) instead of NATS: raw CloudEvents, `-o jsonl`
    /// records or `nats sub --raw` output, one per line
    #[arg(short = 'i', long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Output format
    #[arg(
        short = 'o',
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = Output::Pretty
    )]
    pub output: Output,

    /// Print each event's original JSON on one line (same as -o json)
    #[arg(long, conflicts_with = "output")]
    pub json: bool,

    /// When to color the output: auto colors a terminal unless NO_COLOR is set or TERM=dumb
    /// (CLICOLOR_FORCE forces it); json and jsonl are never colored
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show times in UTC instead of local time
    #[arg(long)]
    pub utc: bool,

    /// Show whole host keys instead of friendly names and abbreviations like NBXJ2O…MQOUB
    #[arg(long)]
    pub full_ids: bool,

    /// If nothing arrives within SECS of subscribing, explain on stderr why and which lattices on
    /// the server do have traffic (0: never)
    #[arg(long, value_name = "SECS", default_value_t = 35)]
    pub silence_hint: u64,

    /// Print every heartbeat and health status, not only those that change something
    #[arg(long)]
    pub heartbeats: bool,

    /// Exit after printing N events
    #[arg(short = 'n', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// No status lines on stderr (errors and warnings are still shown)
    #[arg(short, long)]
    pub quiet: bool,

    /// At exit, print counts on stderr: messages received, shown, filtered out, per kind, per
    /// host, hosts alive, failures
    #[arg(long)]
    pub summary: bool,

    /// Also append every received event (before filters) to FILE as a jsonl record, written as it
    /// arrives; `--input FILE` replays it
    #[arg(long, value_name = "FILE", help_heading = "History and recording")]
    pub record: Option<PathBuf>,

    /// First replay the events stored since WHEN (a duration like 90s, 10m, 1h30m, or an RFC 3339
    /// time) from the JetStream stream that keeps the lattice's events, then continue live
    #[arg(long, value_name = "WHEN", help_heading = "History and recording")]
    pub since: Option<String>,

    /// First replay the last N stored events from JetStream, then continue live
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "since",
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "History and recording"
    )]
    pub last: Option<u64>,

    /// The JetStream stream to replay from [default: the stream that stores the lattice's
    /// subjects, e.g. wadm's wasmbus_events]
    #[arg(long, value_name = "NAME", help_heading = "History and recording")]
    pub stream: Option<String>,

    /// Exit 0 when an event of one of these kinds arrives (with the other --until-* flags: all
    /// must match)
    #[arg(
        long,
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Scripting"
    )]
    pub until_type: Vec<String>,

    /// Exit 0 when an event about one of these hosts arrives (key, prefix, name or glob)
    #[arg(
        long,
        value_name = "ID|NAME",
        value_delimiter = ',',
        help_heading = "Scripting"
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
        help_heading = "Scripting"
    )]
    pub until_provider: Vec<String>,

    /// Exit 0 when an event for which this jq expression is truthy arrives
    #[arg(long, value_name = "EXPR", help_heading = "Scripting")]
    pub until_filter: Option<String>,

    /// Exit 4 when an event of these kinds arrives about the --until-host/component/provider
    /// (all hosts when none is given); `none` turns it off [default with --until-*: *_failed]
    #[arg(
        long,
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Scripting"
    )]
    pub fail_on: Vec<String>,

    /// Exit 3 if the run has not ended by then (a duration: 30s, 5m, 1h; plain numbers are
    /// seconds)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Scripting")]
    pub timeout: Option<std::time::Duration>,

    /// Exit 0 after DURATION in which no event arrived (filtered ones count as arrived)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Scripting")]
    pub idle_timeout: Option<std::time::Duration>,
}

/// `90s`, `10m`, `1h30m`, `500ms`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(std::time::Duration::from_secs_f64(seconds));
        }
    }
    humantime::parse_duration(text)
        .map_err(|why| format!("{why}: use a duration like 30s, 5m, 1h30m or 500ms"))
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
        assert_eq!(cli.servers, ["nats://a:1", "nats://b:2"]);
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
    fn count_must_be_positive() {
        assert!(Cli::try_parse_from(["latwatch", "--count", "0"]).is_err());
    }
}
