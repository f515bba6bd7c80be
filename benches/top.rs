//! `latwatch top` at scale: 1,000 hosts × 100 components heartbeating every 30 s (33 heartbeats
//! of ~19 KB a second), each taken through the very path the view runs (the pipeline, with
//! `top`'s plan from `Config`, into the one state), and the
//! view drawn ten times a second (its most) on ratatui's `TestBackend` at 200×50. Reported: CPU
//! seconds per second of lattice time (the share of one core) and peak RSS, for three simulated
//! heartbeat rounds (90 s of the lattice).
//!
//! `cargo bench --bench top`; under `cargo test --all-targets` it runs small (smoke).

mod common;

use std::time::Instant;

use chrono::{Duration, Utc};
use clap::Parser as _;
use latwatch::cli::Cli;
use latwatch::config::Config;
use latwatch::event::{RawMessage, Received};
use latwatch::output::{Sink, Status};
use latwatch::pipeline::Pipeline;
use latwatch::top::view::{self, Header, RowFilter, Ui};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The resident set now, in MiB (`/proc/self/statm`'s second field, in pages).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let (hosts, components, rounds) = if smoke { (20, 10, 2) } else { (1000, 100, 3) };
    let inventory = common::Inventory::new(components);
    let heartbeats: Vec<(String, Vec<u8>)> = (0..hosts)
        .map(|h| {
            let key = common::host_key(h);
            let payload = common::heartbeat_of(&key, &format!("host-{h}"), &inventory, 0);
            (
                "wasmbus.evt.default.host_heartbeat".to_owned(),
                payload.into_bytes(),
            )
        })
        .collect();
    let bytes: usize = heartbeats.iter().map(|(_, p)| p.len()).sum();
    println!(
        "latwatch top benchmark: {hosts} hosts × {components} components, heartbeats of {} KB, \
         every 30 s; {rounds} rounds; view at 200×50, 10 frames/s",
        bytes / hosts / 1024
    );

    let cli = Cli::try_parse_from(["latwatch", "top", "--utc"]).expect("top's flags");
    let config = Config::from_cli(cli).expect("top's config");
    let mut pipeline = Pipeline::new(config.stages, Sink::none(), Status { quiet: true });
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("a test terminal");
    let mut ui = Ui::default();
    let header = Header {
        server: "nats://127.0.0.1:4222".into(),
        lattice: "default".into(),
        state: "live".into(),
        rate: 33.0,
        losses: String::new(),
        said: None,
    };
    let flags = RowFilter::default();
    // The benchmark's own heartbeats (37 MB at full size) are not latwatch's: measured from here.
    let rss_before = rss_mib();
    let start = Utc::now();
    let cpu_before = cpu_seconds();
    let wall = Instant::now();
    let mut frames = 0u64;
    let mut taking = 0.0;
    let mut drawing = 0.0;
    // One round is 30 s of lattice time: every host heartbeats once, spread over it, and the
    // view is drawn every 100 ms of it.
    for round in 0..rounds {
        for frame in 0..300u64 {
            let now = start + Duration::milliseconds((round * 30_000 + frame * 100) as i64);
            let first = (frame as usize * hosts) / 300;
            let last = ((frame as usize + 1) * hosts) / 300;
            let began = Instant::now();
            for (subject, payload) in &heartbeats[first..last] {
                pipeline
                    .handle(RawMessage {
                        subject: Some(subject),
                        payload,
                        received: Received::Live(now),
                        reply: None,
                    })
                    .expect("no sink to fail");
            }
            let Some(model) = &pipeline.state().tables else {
                panic!("top's plan keeps tables");
            };
            taking += began.elapsed().as_secs_f64();
            let began = Instant::now();
            terminal
                .draw(|f| view::draw(f, model, &mut ui, &header, &flags, now))
                .expect("draw");
            drawing += began.elapsed().as_secs_f64();
            frames += 1;
        }
    }
    let cpu = cpu_seconds() - cpu_before;
    let lattice_seconds = 30.0 * rounds as f64;
    let Some(model) = &pipeline.state().tables else {
        panic!("top's plan keeps tables");
    };
    assert_eq!(model.hosts.len(), hosts);
    assert_eq!(model.component_count(), hosts * components);
    println!(
        "  {} heartbeats and {frames} frames in {:.2} s wall, {cpu:.2} CPU s: {:.2} % of one core \
         over {lattice_seconds:.0} s of lattice time (target < 5 %)",
        hosts * rounds as usize,
        wall.elapsed().as_secs_f64(),
        100.0 * cpu / lattice_seconds
    );
    println!(
        "  per heartbeat {:.0} µs, per frame {:.0} µs; memory the view holds (RSS growth: the \
         model, lattice and application memory) {:.1} MiB; with latwatch's idle ~7 MiB, the \
         target is < 64 MiB in all",
        1e6 * taking / (hosts * rounds as usize) as f64,
        1e6 * drawing / frames as f64,
        rss_mib() - rss_before
    );
}
