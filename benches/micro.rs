//! Micro benchmarks: decode and render, per event, for the payloads that matter: a ~560-byte
//! `component_scaled`, a ~20 KB heartbeat with 100 components, and a payload that is not JSON.
//!
//! `cargo bench --bench micro`; under `cargo test --benches` each runs once, as a smoke test.

mod common;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use latwatch::event::{decode, RawMessage, Received};
use latwatch::render::{Pretty, Renderer};
use std::hint::black_box;

fn raw(payload: &[u8]) -> RawMessage<'_> {
    RawMessage {
        subject: Some("wasmbus.evt.default.component_scaled"),
        payload,
        received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
        reply: None,
    }
}

fn payloads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("component_scaled", common::component_scaled(7).into_bytes()),
        (
            "heartbeat_100",
            common::heartbeat(&common::host_key(1), "frosty-field-3519", 100, 7).into_bytes(),
        ),
        (
            "invalid",
            b"definitely not json \x1b[31m but a log line someone published".to_vec(),
        ),
    ]
}

fn benches(c: &mut Criterion) {
    let pretty = Renderer::Pretty(Pretty {
        palette: None,
        utc: true,
        full_ids: false,
        lattice_width: None,
        subjects: Default::default(),
        offset: Default::default(),
        heartbeats: true,
        compress: true,
        full_times: false,
        verbose: false,
        dates: true,
    });
    for (name, payload) in payloads() {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_function("decode", |b| {
            b.iter(|| black_box(decode(raw(black_box(&payload)))))
        });
        let mut out = Vec::with_capacity(64 * 1024);
        for (mode, renderer) in [
            ("json", Renderer::Json),
            ("jsonl", Renderer::Jsonl),
            ("pretty", pretty.clone()),
        ] {
            group.bench_function(format!("decode+{mode}"), |b| {
                b.iter(|| {
                    out.clear();
                    let event = decode(raw(black_box(&payload)));
                    black_box(
                        renderer
                            .render(&event, &Default::default(), &mut out)
                            .unwrap(),
                    )
                })
            });
        }
        group.finish();
    }
}

criterion_group!(micro, benches);
criterion_main!(micro);
