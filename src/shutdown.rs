//! Ctrl-C and SIGTERM always stop latwatch, even when the pipeline cannot come round to them.
//!
//! The pipeline runs on the main thread (`block_on`). A stdout nobody reads (a paused pager, a
//! stuck pipeline stage) blocks it in `write(2)`, where no `select!` arm is polled again, so
//! the drivers' own shutdown arms never fire. A thread of its own therefore watches the signals
//! (with a runtime of its own: a worker stuck on a stderr nobody reads cannot hold it up). It
//! tells the drivers ([`Shutdown::signalled`]), which end the run normally (flush, `--summary`,
//! the recording written out); and if the run has not ended soon after — stdout took
//! nothing for [`STUCK`] while a write waited on it, or [`AT_MOST`] passed — it ends the process
//! itself ([`Shutdown::exit_now`]): `--record` is written out if its writer can, what stdout did
//! not take is given up, and the exit code is the run's (0, or 1 after a failed recording). A
//! second signal ends it at once.
//!
//! Whoever ends the process claims it first ([`Shutdown::claim_exit`]), so the main thread
//! returning from `main` and the watcher exiting never race.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::exit_codes::ExitCode;
use crate::output::{stdout_writes, Status};
use crate::record::{Recorder, PATIENCE};

/// After a signal, a stdout write that has not returned for this long is a stdout nobody reads.
pub const STUCK: Duration = Duration::from_millis(500);
/// After a signal, the run gets at most this long to end by itself.
pub const AT_MOST: Duration = Duration::from_secs(3);
/// How long last words on stderr may take when ending the process (stderr may be the same stuck
/// pipe as stdout: `2>&1 | less`).
const LAST_WORDS: Duration = Duration::from_millis(200);

/// The signal watcher, and the one way to end the process from outside the main thread.
#[derive(Clone)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

struct Inner {
    signalled: watch::Sender<bool>,
    /// Someone is ending the process.
    exiting: AtomicBool,
    recorder: Option<Recorder>,
    status: Status,
}

impl Shutdown {
    /// Takes Ctrl-C and SIGTERM from now on (they no longer kill latwatch outright) and watches
    /// for them on a thread of its own, with a runtime of its own: nothing the pipeline's runtime
    /// does (a task stuck writing to a stderr nobody reads) can keep the watcher from running.
    pub fn install(recorder: Option<Recorder>, status: Status) -> std::io::Result<Shutdown> {
        let shutdown = Shutdown {
            inner: Arc::new(Inner {
                signalled: watch::Sender::new(false),
                exiting: AtomicBool::new(false),
                recorder,
                status,
            }),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Registered here, before anything can block, not when the watcher first runs.
        let mut signals = {
            let _entered = runtime.enter();
            Signals::new()?
        };
        let watcher = shutdown.clone();
        std::thread::Builder::new()
            .name("latwatch-signals".to_owned())
            .spawn(move || {
                runtime.block_on(async {
                    signals.recv().await;
                    watcher.inner.signalled.send_replace(true);
                    watcher.watch(&mut signals).await;
                })
            })?;
        Ok(shutdown)
    }

    /// Resolves once Ctrl-C or SIGTERM came.
    pub fn signalled(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut signalled = self.inner.signalled.subscribe();
        async move {
            let _ = signalled.wait_for(|came| *came).await;
        }
    }

    /// The caller is about to end the process (return from `main`). False when the watcher is
    /// ending it already: then the caller must not, and should wait for the end.
    pub fn claim_exit(&self) -> bool {
        !self.inner.exiting.swap(true, Ordering::AcqRel)
    }

    /// Someone is ending the process (the run ended, or the watcher ends it).
    pub fn is_exiting(&self) -> bool {
        self.inner.exiting.load(Ordering::Acquire)
    }

    /// Ends the process with `code` now, from any thread: writes out what `--record` holds if
    /// its writer can, says what did not make it, and exits (1 after a failed recording). Returns
    /// only when someone else is ending the process already.
    pub fn exit_now(&self, code: ExitCode) {
        if !self.claim_exit() {
            return;
        }
        let recorded = self
            .inner
            .recorder
            .as_ref()
            .map(|r| r.close(PATIENCE, Some(AT_MOST)));
        let code = match recorded.as_ref().is_some_and(|r| r.failed.is_some()) {
            true => ExitCode::Failure,
            false => code,
        };
        let status = self.inner.status;
        last_words(move || {
            if let Some(recorded) = recorded {
                recorded.tell(status);
            }
        });
        std::process::exit(code.number().into());
    }

    /// After the first signal: ends the process when the run does not end by itself.
    async fn watch(&self, signals: &mut Signals) {
        let since = Instant::now();
        let mut writes = stdout_writes();
        let mut moved = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                () = signals.recv() => {
                    // Asked twice: no more waiting.
                    self.exit_now(ExitCode::Success);
                    return;
                }
                _ = tick.tick() => {}
            }
            if self.is_exiting() {
                return; // the run ended
            }
            let now = stdout_writes();
            if now != writes {
                writes = now;
                moved = Instant::now();
            }
            let stuck = now % 2 == 1 && moved.elapsed() >= STUCK;
            if stuck || since.elapsed() >= AT_MOST {
                if stuck {
                    let status = self.inner.status;
                    last_words(move || {
                        status.warn(format_args!(
                            "stdout has taken nothing for {}ms (a paused pager, a stuck \
                             pipeline stage): stopping without what it did not take",
                            STUCK.as_millis()
                        ))
                    });
                }
                self.exit_now(ExitCode::Success);
                return;
            }
        }
    }
}

/// Runs `say` (writing to stderr) on a thread of its own, waiting for it at most [`LAST_WORDS`]:
/// a stderr nobody reads must not keep latwatch from ending. What `say` returned, or its default
/// when it did not finish.
fn last_words<T: Default + Send + 'static>(say: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("latwatch-last-words".to_owned())
        .spawn(move || {
            let _ = done_tx.send(say());
        });
    match spawned {
        Ok(_) => done.recv_timeout(LAST_WORDS).unwrap_or_default(),
        Err(_) => T::default(),
    }
}

/// Ctrl-C and SIGTERM.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
