//! The `latwatch` binary: parse the flags, run the pipeline, map the outcome to an exit code.
//! Everything else lives in the library (`src/lib.rs`).

use anyhow::Context as _;

use latwatch::config::{Config, SourceConfig};
use latwatch::exit_codes::ExitCode;
use latwatch::output::{Sink, Status};
use latwatch::pipeline::Pipeline;
use latwatch::record::Recorder;
use latwatch::shutdown::Shutdown;
use latwatch::source::Limits;
use latwatch::{cli, source};

fn main() -> std::process::ExitCode {
    // A jq worker judges events for a watcher that started it (`filter::worker`).
    #[cfg(unix)]
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
        // The message may quote what was typed (`--lattice`, a path): escaped like every
        // outside text.
        Err(why) => cli::command()
            .error(
                clap::error::ErrorKind::ValueValidation,
                latwatch::text::escape_lines(&why),
            )
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
    // One recorder, one writer thread: the NATS intake records live messages as they arrive,
    // the pipeline what comes from files and from JetStream (replays, fills).
    let recorder = match &config.record {
        Some(path) => Some(Recorder::open(path, status)?),
        None => None,
    };
    let shutdown = Shutdown::install(recorder.clone(), status)?;
    let mut pipeline = Pipeline::new(config.stages, Sink::stdout(), status);
    if let Some(recorder) = &recorder {
        // What the pipeline records comes from a file or a stream: it waits for room rather
        // than drop (the live intake's records never wait).
        pipeline.record_to(recorder.clone().waiting());
    }
    let limits = Limits {
        timeout: config.timeout,
        idle: config.idle_timeout,
    };
    let ran = match config.source {
        SourceConfig::Nats(nats) => runtime.block_on(source::nats::run(
            &nats,
            &mut pipeline,
            recorder,
            status,
            limits,
            shutdown.signalled(),
            &mut source::nats::Lines,
        )),
        SourceConfig::File(path) => {
            source::file::drive(&path, &mut pipeline, status, limits, &runtime, &shutdown)
        }
    };
    let finished = pipeline.finish();
    // The watcher may be ending the process already (stdout stuck after a signal): leave it to.
    if !shutdown.claim_exit() {
        loop {
            std::thread::park();
        }
    }
    match (ran, finished) {
        // stdout closed (exit 0) and the recording failed (exit 1): the failure counts.
        (Err(err), Ok(ExitCode::Failure)) if is_broken_pipe(&err) => Ok(ExitCode::Failure),
        (ran, finished) => {
            ran?;
            Ok(finished?)
        }
    }
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
        } => {
            // clap_complete panics on a write error: the script is made in memory, then written
            // (a closed pipe ends it quietly).
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut definition, "latwatch", &mut script);
            stdout.write_all(&script)?;
        }
        cli::Command::Completions {
            shell: None,
            out_dir: Some(dir),
        } => {
            use clap::ValueEnum;
            for shell in clap_complete::Shell::value_variants() {
                let path = clap_complete::generate_to(*shell, &mut definition, "latwatch", dir)
                    .with_context(|| {
                        format!(
                            "cannot write completions into {}",
                            latwatch::text::escape_path(dir)
                        )
                    })?;
                Status { quiet: false }
                    .info(format_args!("wrote {}", latwatch::text::escape_path(&path)));
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
