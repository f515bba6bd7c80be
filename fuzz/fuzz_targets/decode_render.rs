//! Any bytes through decode and every renderer: no panic, and pretty output is one line with no
//! raw control character. `cargo +nightly fuzz run decode_render` (see docs/robustness.md).
#![no_main]

use latwatch::event::{decode, RawMessage, Received};
use latwatch::render::pretty::LocalOffset;
use latwatch::render::{Pretty, Renderer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let event = decode(RawMessage {
        subject: Some("wasmbus.evt.default.fuzz"),
        payload,
        received: Received::Now,
    });
    let pretty = Renderer::Pretty(Pretty {
        palette: None,
        utc: true,
        full_ids: false,
        lattice_width: None,
        subjects: Default::default(),
        offset: LocalOffset::default(),
        heartbeats: true,
        compress: true,
        full_times: false,
        verbose: true,
        dates: true,
    });
    for renderer in [pretty, Renderer::Json, Renderer::Jsonl] {
        let mut out = Vec::new();
        renderer.render(&event, &Default::default(), &mut out).expect("writing to memory");
        if matches!(renderer, Renderer::Pretty(_)) {
            let text = std::str::from_utf8(&out).expect("pretty output is UTF-8");
            let body = text.strip_suffix('\n').expect("one line");
            assert!(!body.chars().any(latwatch::text::needs_escape), "{body:?}");
        }
    }
});
