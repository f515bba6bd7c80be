//! The `latwatch` binary: parse the flags, run the pipeline, map the outcome to an exit code.
//! Everything else lives in the library (`src/lib.rs`).

use anyhow::Context as _;

use latwatch::config::{Config, SourceConfig};
use latwatch::exit_codes::ExitCode;
use latwatch::output::{Sink, Status};
use latwatch::pipeline::Pipeline;
use latwatch::record::Recorder;
use latwatch::source::Limits;
use latwatch::{cli, source};

fn main() -> std::process::ExitCode {
    // A jq worker judges events for a watcher that started it (`filter::worker`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == latwatch::filter::worker::WORKER_ARG)
    {
        return latwatch::filter::worker::serve();
    }
    let cli = cli::parse();
    let top = matches!(cli.command, Some(cli::Command::Top));
    if let Some(command) = cli.command.as_ref().filter(|_| !top) {
        return match generate(command) {
            Ok(()) => ExitCode::Success.into(),
            Err(err) if is_broken_pipe(&err) => ExitCode::Success.into(),
            Err(err) => {
                Status { quiet: false }.error(format_args!("{err:#}"));
                ExitCode::Failure.into()
            }
        };
    }
    if top {
        use std::io::IsTerminal as _;
        let why = if cli.input.is_some() {
            Some("latwatch top watches a live lattice; `latwatch --input FILE` shows a capture")
        } else if !std::io::stdout().is_terminal() {
            Some(
                "latwatch top draws on a terminal, and stdout is not one: use `latwatch` for \
                 lines or `latwatch --json` for a pipe",
            )
        } else {
            None
        };
        if let Some(why) = why {
            cli::command()
                .error(clap::error::ErrorKind::ArgumentConflict, why)
                .exit();
        }
    }
    let config = match Config::from_cli(cli) {
        Ok(config) => config,
        // clap prints a usage error the way it prints its own, and exits 2.
        Err(why) => cli::command()
            .error(clap::error::ErrorKind::ValueValidation, why)
            .exit(),
    };
    let status = Status {
        quiet: config.quiet,
    };
    for warning in &config.warnings {
        status.warn(warning);
    }
    let ran = match top {
        true => latwatch::top::run(config),
        false => run(config, status),
    };
    match ran {
        Ok(code) => code.into(),
        // Rust ignores SIGPIPE, so `latwatch | head` ends with a write error: that is success.
        Err(err) if is_broken_pipe(&err) => ExitCode::Success.into(),
        Err(err) => {
            status.error(format_args!("{err:#}"));
            ExitCode::Failure.into()
        }
    }
}

fn run(config: Config, status: Status) -> anyhow::Result<ExitCode> {
    // The pipeline runs on this thread (block_on); async-nats' connection task on one worker.
    // Measured: with two workers the connection task hops between them, each thread's malloc
    // arena fills with queued messages, and a flat-out pretty burst peaked at 68 MiB instead of 41,
    // with no gain in rate.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let mut pipeline = Pipeline::new(config.stages, Sink::stdout(), status);
    if let Some(path) = &config.record {
        pipeline.record_to(Recorder::open(path)?);
    }
    // Live messages are recorded by the NATS intake as they arrive; the pipeline's recorder
    // takes what comes from files and from JetStream (replays, fills).
    let live_recorder = match (&config.record, &config.source) {
        (Some(path), SourceConfig::Nats(_)) => Some(Recorder::open(path)?),
        _ => None,
    };
    let limits = Limits {
        timeout: config.timeout,
        idle: config.idle_timeout,
    };
    let ran = match config.source {
        SourceConfig::Nats(nats) => runtime.block_on(source::nats::run(
            &nats,
            &mut pipeline,
            live_recorder,
            status,
            limits,
            shutdown_signal(),
        )),
        SourceConfig::File(path) => source::file::drive(
            &path,
            &mut pipeline,
            status,
            limits,
            &runtime,
            shutdown_signal(),
        ),
    };
    let finished = pipeline.finish();
    ran?;
    Ok(finished?)
}

/// `latwatch completions …` and `latwatch man`: generated from the clap definition.
fn generate(command: &cli::Command) -> anyhow::Result<()> {
    use std::io::Write;
    // The plain definition: what the environment holds never goes into a man page or a script.
    let mut definition = <cli::Cli as clap::CommandFactory>::command();
    let mut stdout = std::io::stdout().lock();
    match command {
        cli::Command::Completions {
            shell: Some(shell), ..
        } => clap_complete::generate(*shell, &mut definition, "latwatch", &mut stdout),
        cli::Command::Completions {
            shell: None,
            out_dir: Some(dir),
        } => {
            use clap::ValueEnum;
            for shell in clap_complete::Shell::value_variants() {
                let path = clap_complete::generate_to(*shell, &mut definition, "latwatch", dir)
                    .with_context(|| format!("cannot write completions into {}", dir.display()))?;
                Status { quiet: false }.info(format_args!("wrote {}", path.display()));
            }
        }
        cli::Command::Completions { .. } => unreachable_usage(),
        // Not generated: `main` runs it.
        cli::Command::Top => {}
        cli::Command::Man => clap_mangen::Man::new(definition).render(&mut stdout)?,
    }
    stdout.flush()?;
    Ok(())
}

/// clap rejects `completions` without a shell or --out-dir before this runs.
fn unreachable_usage() {
    cli::command()
        .error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "completions needs a SHELL or --out-dir DIR",
        )
        .exit()
}

/// Resolves on Ctrl-C or SIGTERM: both end latwatch normally, after a flush.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
