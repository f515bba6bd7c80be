//! The `latwatch` binary: parse the flags, run the pipeline, map the outcome to an exit code.
//! Everything else lives in the library (`src/lib.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use latwatch::config::{Config, SourceConfig};
use latwatch::exit_codes::ExitCode;
use latwatch::output::{Sink, Status};
use latwatch::pipeline::Pipeline;
use latwatch::{cli, source};

fn main() -> std::process::ExitCode {
    let config = match Config::from_cli(cli::Cli::parse()) {
        Ok(config) => config,
        // clap prints a usage error the way it prints its own, and exits 2.
        Err(why) => cli::Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, why)
            .exit(),
    };
    let status = Status {
        quiet: config.quiet,
    };
    for warning in &config.warnings {
        status.warn(warning);
    }
    match run(config, status) {
        Ok(()) => ExitCode::Success.into(),
        // Rust ignores SIGPIPE, so `latwatch | head` ends with a write error: that is success.
        Err(err) if is_broken_pipe(&err) => ExitCode::Success.into(),
        Err(err) => {
            status.error(format_args!("{err:#}"));
            ExitCode::Failure.into()
        }
    }
}

fn run(config: Config, status: Status) -> anyhow::Result<()> {
    // The pipeline runs on this thread (block_on); async-nats' connection task on one worker.
    // Measured: with two workers the connection task hops between them, each thread's malloc
    // arena fills with queued messages, and a flat-out pretty burst peaked at 68 MiB instead of 41,
    // with no gain in rate.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let mut pipeline = Pipeline::new(config.stages, Sink::stdout(), status);
    let ran = match config.source {
        SourceConfig::Nats(nats) => runtime.block_on(source::nats::run(
            &nats,
            &mut pipeline,
            status,
            shutdown_signal(),
        )),
        SourceConfig::File(path) => {
            // The reader blocks on its own thread's reads; a signal sets `stop`, which the reader
            // sees at its next line. A reader blocked on a silent stdin has already flushed, so
            // ending the process after a grace period loses nothing.
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            runtime.spawn(async move {
                shutdown_signal().await;
                flag.store(true, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
                std::process::exit(0);
            });
            source::file::run(&path, &mut pipeline, &stop)
        }
    };
    let finished = pipeline.finish();
    ran?;
    Ok(finished?)
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
