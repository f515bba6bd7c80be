//! Live benchmark: a real nats-server on a free port, the release latwatch writing to /dev/null,
//! real-shaped `component_scaled` events published at fixed rates and flat out. For each run: events
//! latwatch received, events it lost (its own exact report), CPU seconds and peak RSS (wait4).
//!
//! The limit is measured in the same run: a no-op async-nats subscriber that only counts, fed by the
//! same publisher. latwatch's flat-out rate is reported as a ratio of it.
//!
//! Also: idle RSS, publish→stdout latency (p50/p99) and startup times.
//!
//! `cargo bench --bench live` (N = 500,000 per paced run, 1,000,000 flat out);
//! `cargo bench --bench live -- --smoke` (small N; what CI runs through `cargo test --benches`);
//! `-- --flat-only --rounds 5` skips the paced runs and sets the number of flat-out rounds.
//! Flat out runs two bursts, 300k and 1M events (the default buffer must lose nothing of the
//! first, in every mode), each reporting losses, peak RSS and the rate against the no-op.
//! `LATWATCH_BIN=path` measures another build (a before/after in the same run conditions).

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::NatsServer;

const SUBJECT: &str = "wasmbus.evt.default.component_scaled";

/// How a run publishes.
#[derive(Clone, Copy)]
enum Rate {
    PerSecond(u64),
    FlatOut,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rate::PerSecond(rate) => write!(f, "{}k/s", rate / 1000),
            Rate::FlatOut => f.write_str("flat out"),
        }
    }
}

/// What one run measured.
struct Run {
    published: u64,
    received: u64,
    lost: u64,
    /// Messages per second between the first and the last message the subscriber saw.
    rate: f64,
    cpu_seconds: f64,
    peak_rss_mib: f64,
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke")
        // `cargo test --benches` runs bench binaries without `--bench`: be quick there.
        || !std::env::args().any(|a| a == "--bench");
    let (paced_n, burst_n) = if smoke {
        (5_000, 20_000)
    } else {
        (500_000, 1_000_000)
    };
    let server = NatsServer::start();
    let payloads: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..1000)
            .map(|i| common::component_scaled(i).into_bytes())
            .collect(),
    );
    println!(
        "latwatch live benchmark: nats-server {} on {}, payload {} bytes, {} paced / {} flat out",
        nats_server_version(),
        server.url(),
        payloads[0].len(),
        paced_n,
        burst_n
    );

    let paced = [
        Rate::PerSecond(100_000),
        Rate::PerSecond(200_000),
        Rate::PerSecond(300_000),
    ];
    let modes = ["no-op", "--json", "-o jsonl", "pretty"];
    println!(
        "\n{:<10} {:<10} {:>10} {:>10} {:>8} {:>12} {:>8} {:>10} {:>8}",
        "mode", "rate", "published", "received", "lost", "msgs/s", "of limit", "cpu s", "RSS MiB"
    );
    let mut checks = 0;
    let flat_only = std::env::args().any(|a| a == "--flat-only");
    for mode in modes.iter().filter(|_| !flat_only) {
        for rate in paced {
            let run = one_run(&server, &payloads, mode, rate, paced_n);
            print_run(mode, rate, &run, None);
            checks += 1;
        }
    }
    // Flat out, in rounds: each round measures the limit (the no-op subscriber) again and then every
    // mode, so each ratio compares runs minutes apart at most; the median round is the result.
    let rounds = match std::env::args().skip_while(|a| a != "--rounds").nth(1) {
        Some(rounds) => rounds.parse().expect("--rounds N"),
        None if smoke => 1,
        None => 3,
    };
    // Two burst sizes: 300k must lose nothing in any mode (the default 256 MiB buffer absorbs
    // what output cannot take at once); 1M shows the rate and where the buffer ends.
    for n in [burst_n * 3 / 10, burst_n] {
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
        let mut worst: Vec<(u64, f64)> = vec![(0, 0.0); modes.len()];
        for round in 1..=rounds {
            println!("flat out, {n} events, round {round} of {rounds}");
            let mut limit = 0.0;
            for (m, mode) in modes.iter().enumerate() {
                let run = one_run(&server, &payloads, mode, Rate::FlatOut, n);
                if *mode == "no-op" {
                    limit = run.rate;
                }
                let ratio = (*mode != "no-op" && limit > 0.0).then(|| run.rate / limit);
                print_run(mode, Rate::FlatOut, &run, ratio);
                ratios[m].extend(ratio);
                worst[m] = (worst[m].0.max(run.lost), worst[m].1.max(run.peak_rss_mib));
                checks += 1;
            }
        }
        for ((mode, mut ratios), (lost, rss)) in modes.iter().zip(ratios).zip(worst).skip(1) {
            ratios.sort_by(f64::total_cmp);
            let percent: Vec<String> = ratios
                .iter()
                .map(|r| format!("{:.0}%", r * 100.0))
                .collect();
            println!(
                "{mode:<10} flat out, {n}: median {:.0}% of the no-op subscriber (rounds, sorted: \
                 {}); most lost {lost}; peak RSS {rss:.1} MiB",
                ratios[ratios.len() / 2] * 100.0,
                percent.join(" ")
            );
        }
    }

    idle_rss(&server);
    latency(&server, &payloads, if smoke { 50 } else { 500 });
    startup(&server, if smoke { 3 } else { 10 });
    replay(if smoke { 5_000 } else { 200_000 });
    checks += 1;
    // The accounting checks above panic on failure; this line tells a log reader they ran.
    println!("live: {checks} passed, 0 failed");
}

/// One run of `mode` (the no-op subscriber or latwatch with these flags); checks its accounting.
fn one_run(
    server: &NatsServer,
    payloads: &Arc<Vec<Vec<u8>>>,
    mode: &str,
    rate: Rate,
    n: u64,
) -> Run {
    let run = if mode == "no-op" {
        noop_run(server, payloads, rate, n)
    } else {
        latwatch_run(server, payloads, mode, rate, n)
    };
    assert_eq!(
        run.received + run.lost,
        run.published,
        "{mode} at {rate}: every event is received or reported lost"
    );
    run
}

fn print_run(mode: &str, rate: Rate, run: &Run, of_limit: Option<f64>) {
    println!(
        "{:<10} {:<10} {:>10} {:>10} {:>8} {:>12.0} {:>8} {:>10.2} {:>8.1}",
        mode,
        rate.to_string(),
        run.published,
        run.received,
        run.lost,
        run.rate,
        of_limit.map_or("-".to_owned(), |r| format!("{:.0}%", r * 100.0)),
        run.cpu_seconds,
        run.peak_rss_mib
    );
}

fn nats_server_version() -> String {
    Command::new("nats-server")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Publishes `n` payloads at `rate` from a thread of its own; returns when all are flushed.
fn publish(url: &str, payloads: &Arc<Vec<Vec<u8>>>, rate: Rate, n: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let start = Instant::now();
        let mut sent = 0u64;
        while sent < n {
            let batch = match rate {
                Rate::FlatOut => 1000,
                Rate::PerSecond(rate) => {
                    // Send what is due by now, in steps of at most a millisecond's worth.
                    let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
                    if due <= sent {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        continue;
                    }
                    (due - sent).min(rate / 1000 + 1)
                }
            };
            for _ in 0..batch.min(n - sent) {
                let payload = &payloads[(sent % payloads.len() as u64) as usize];
                client
                    .publish(SUBJECT, payload.clone().into())
                    .await
                    .unwrap();
                sent += 1;
            }
        }
        // `flush` only writes the buffer out; closing right after could reset the connection
        // before the server has read it all. A marker that comes back through the server proves
        // it processed every message before it.
        use futures_util::StreamExt;
        let inbox = client.new_inbox();
        let mut marker = client.subscribe(inbox.clone()).await.unwrap();
        client.publish(inbox, "".into()).await.unwrap();
        client.flush().await.unwrap();
        marker.next().await;
    });
}

/// The limit: an async-nats subscriber that only counts, with the same default settings.
fn noop_run(server: &NatsServer, payloads: &Arc<Vec<Vec<u8>>>, rate: Rate, n: u64) -> Run {
    use futures_util::StreamExt;
    let received = Arc::new(AtomicU64::new(0));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let url = server.url();
    let counter = received.clone();
    let subscriber = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let client = async_nats::connect(url).await.unwrap();
            let mut subscription = client.subscribe(SUBJECT).await.unwrap();
            client.flush().await.unwrap();
            ready_tx.send(()).unwrap();
            let mut first = None;
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    message = subscription.next() => {
                        if message.is_none() { break; }
                        let now = Instant::now();
                        first.get_or_insert(now);
                        last = now;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    _ = tokio::time::sleep(Duration::from_millis(1500)) => break,
                }
            }
            let lost = client.statistics().in_messages.load(Ordering::Relaxed)
                - counter.load(Ordering::Relaxed);
            let seconds = first.map_or(0.0, |f: Instant| last.duration_since(f).as_secs_f64());
            done_tx.send((lost, seconds)).unwrap();
        });
    });
    ready_rx.recv().unwrap();
    publish(&server.url(), payloads, rate, n);
    let (lost, seconds) = done_rx.recv().unwrap();
    subscriber.join().unwrap();
    let received = received.load(Ordering::Relaxed);
    Run {
        published: n,
        received,
        lost: lost.max(n - received),
        rate: if seconds > 0.0 {
            (received - 1) as f64 / seconds
        } else {
            0.0
        },
        cpu_seconds: f64::NAN,
        peak_rss_mib: f64::NAN,
    }
}

/// The release latwatch, stdout to /dev/null, `--summary` on stderr.
fn latwatch_run(
    server: &NatsServer,
    payloads: &Arc<Vec<Vec<u8>>>,
    mode: &str,
    rate: Rate,
    n: u64,
) -> Run {
    // `--count n`: latwatch ends by itself once it has shown every event. A run that lost some
    // never gets there: it is interrupted once it has been idle for half a second.
    let mut args = vec![
        "-s".to_owned(),
        server.url(),
        "--summary".to_owned(),
        "--count".to_owned(),
        n.to_string(),
    ];
    args.extend(mode.split_whitespace().map(str::to_owned));
    let mut child = Command::new(latwatch_binary())
        .args(args.iter().filter(|a| *a != "pretty"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latwatch starts");
    let stderr = wait_for_listening(&mut child);
    publish(&server.url(), payloads, rate, n);
    let deadline = Instant::now() + Duration::from_secs(20);
    let (cpu_seconds, peak_rss_mib) = loop {
        if let Some(usage) = try_reap(&child) {
            break usage;
        }
        if Instant::now() > deadline {
            wait_until_idle(child.id());
            break interrupt_and_reap(&child);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    let mut stderr = stderr;
    stderr.read_to_string(&mut rest).unwrap();
    let received = number_before(&rest, " received").unwrap_or(0);
    // `--summary`: "N gaps (M events dropped, …)"; a latwatch from before the buffer said
    // "(M lost in all)" in its warnings.
    let lost = rest
        .split(" gaps (")
        .nth(1)
        .and_then(|after| after.split(' ').next())
        .or_else(|| {
            rest.rsplit("lost in all")
                .nth(1)
                .and_then(|before| before.rsplit('(').next())
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // The rate is on the summary line (a gap's warning may say "over" too).
    let summary = rest
        .lines()
        .find(|line| line.contains("summary:"))
        .unwrap_or("");
    let rate = summary
        .split(" over ")
        .nth(1)
        .and_then(|s| s.split(" (").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    if received + lost != n {
        eprintln!("latwatch {mode} said on stderr:\n{rest}");
    }
    Run {
        published: n,
        received,
        lost,
        rate,
        cpu_seconds,
        peak_rss_mib,
    }
}

/// The binary measured: this build's, or `LATWATCH_BIN` (another build, for a before/after).
fn latwatch_binary() -> std::path::PathBuf {
    std::env::var_os("LATWATCH_BIN")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_latwatch").into())
}

/// Reads stderr up to the "listening" line; returns the reader for the rest.
fn wait_for_listening(child: &mut Child) -> BufReader<std::process::ChildStderr> {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "latwatch ended");
        if line.contains("listening") {
            return stderr;
        }
    }
}

/// CPU time (user + system) of a live process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Waits until the process has used no CPU for half a second: it has drained everything.
fn wait_until_idle(pid: u32) {
    let mut last = cpu_ticks(pid);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = cpu_ticks(pid);
        if now == last {
            return;
        }
        last = now;
    }
}

/// wait4 without waiting: (CPU seconds, peak RSS in MiB) once the child has exited.
fn try_reap(child: &Child) -> Option<(f64, f64)> {
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain syscalls on our own child's pid, with a zeroed rusage for wait4 to fill.
    unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) != pid {
            return None;
        }
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some((
            seconds(usage.ru_utime) + seconds(usage.ru_stime),
            usage.ru_maxrss as f64 / 1024.0,
        ))
    }
}

/// SIGINT, then wait4: (CPU seconds, peak RSS in MiB).
fn interrupt_and_reap(child: &Child) -> (f64, f64) {
    let pid = child.id() as libc::pid_t;
    // SAFETY: plain syscalls on our own child's pid, with a zeroed rusage for wait4 to fill.
    unsafe {
        libc::kill(pid, libc::SIGINT);
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        (
            seconds(usage.ru_utime) + seconds(usage.ru_stime),
            usage.ru_maxrss as f64 / 1024.0,
        )
    }
}

fn number_before(text: &str, marker: &str) -> Option<u64> {
    let before = text.split(marker).next()?;
    before.rsplit([' ', ':']).next()?.parse().ok()
}

/// The release latwatch on `server`, output to /dev/null, once it is listening.
fn connected(server: &NatsServer) -> Child {
    let mut child = Command::new(latwatch_binary())
        .args(["-s", &server.url()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The rest of stderr is dropped with the reader: nothing more is written to it here.
    wait_for_listening(&mut child);
    child
}

/// RSS of latwatch connected and idle for a second.
fn idle_rss(server: &NatsServer) {
    let mut child = connected(server);
    std::thread::sleep(Duration::from_secs(1));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ? kB")
        .to_owned();
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "\nidle, connected: {}",
        rss.split_whitespace().collect::<Vec<_>>()[1..].join(" ")
    );
}

/// `--since` replay of `n` stored events, against the limit: an ordered pull consumer that only
/// counts, reading the same stream on the same server.
fn replay(n: u64) {
    use async_nats::jetstream;
    use futures_util::StreamExt;
    let store = support::temp_dir("bench-jetstream");
    let server = NatsServer::start_with(&["-js", "-sd", store.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let js = runtime.block_on(async {
        let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
        js.create_stream(jetstream::stream::Config {
            name: "wasmbus_events".to_owned(),
            subjects: vec!["wasmbus.evt.*.>".to_owned()],
            ..Default::default()
        })
        .await
        .unwrap();
        js
    });
    // Every event its own id (the replay drops repeated ids, as at the live seam). Core publishes
    // flat out outrun JetStream's ingest (it stored a third of them): pace them.
    let unique: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..n)
            .map(|i| common::component_scaled(i).into_bytes())
            .collect(),
    );
    publish(&server.url(), &unique, Rate::PerSecond(50_000), n);
    let stored = runtime.block_on(async {
        let mut stream = js.get_stream("wasmbus_events").await.unwrap();
        for _ in 0..100 {
            if stream.info().await.unwrap().state.messages >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stream.info().await.unwrap().state.messages
    });
    assert_eq!(stored, n, "the stream stored every event");

    let start = Instant::now();
    let counted = runtime.block_on(async {
        let stream = js.get_stream("wasmbus_events").await.unwrap();
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
            .await
            .unwrap();
        let mut messages = consumer.messages().await.unwrap();
        let mut counted = 0;
        while counted < n {
            messages.next().await.unwrap().unwrap();
            counted += 1;
        }
        counted
    });
    let limit = start.elapsed();

    let start = Instant::now();
    let output = Command::new(latwatch_binary())
        .args([
            "-s",
            &server.url(),
            "--since",
            "1h",
            "--json",
            "-q",
            "--timeout",
            "5m",
            "--count",
        ])
        .arg(n.to_string())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let took = start.elapsed();
    let lines = output.stdout.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!((counted, lines), (n, n), "every stored event replayed");
    println!(
        "replay of {n} stored events (--since, --json): {:.0}/s, {:.0}% of a counting ordered consumer ({:.0}/s)",
        n as f64 / took.as_secs_f64(),
        100.0 * limit.as_secs_f64() / took.as_secs_f64(),
        n as f64 / limit.as_secs_f64()
    );
}

/// Publish → line on latwatch's stdout, one event at a time on an idle connection.
fn latency(server: &NatsServer, payloads: &Arc<Vec<Vec<u8>>>, samples: usize) {
    let mut child = Command::new(latwatch_binary())
        .args(["-s", &server.url(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _stderr = wait_for_listening(&mut child);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async_nats::connect(server.url())).unwrap();
    let mut micros = Vec::with_capacity(samples);
    let mut line = Vec::new();
    for i in 0..samples {
        std::thread::sleep(Duration::from_millis(5));
        let start = Instant::now();
        runtime.block_on(async {
            client
                .publish(SUBJECT, payloads[i % payloads.len()].clone().into())
                .await
                .unwrap();
            client.flush().await.unwrap();
        });
        line.clear();
        stdout.read_until(b'\n', &mut line).unwrap();
        micros.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let _ = child.kill();
    let _ = child.wait();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "latency publish → stdout ({samples} events): p50 {:.0} µs, p99 {:.0} µs",
        at(0.5),
        at(0.99)
    );
}

/// `latwatch --help` and time to "listening", median of `runs`.
fn startup(server: &NatsServer, runs: usize) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let help: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            Command::new(latwatch_binary())
                .arg("--help")
                .output()
                .unwrap();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let listening: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let mut child = connected(server);
            let elapsed = start.elapsed().as_secs_f64() * 1e3;
            let _ = child.kill();
            let _ = child.wait();
            elapsed
        })
        .collect();
    println!(
        "startup (median of {runs}): --help {:.1} ms, to \"listening\" {:.1} ms",
        median(help),
        median(listening)
    );
}
