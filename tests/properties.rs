//! Properties of rendering that must hold for any input, checked on generated inputs.

use chrono::{DateTime, Utc};
use latwatch::event::{decode, RawMessage, Received};
use latwatch::render::pretty::LocalOffset;
use latwatch::render::{Pretty, Renderer};
use proptest::prelude::*;

fn pretty() -> Renderer {
    Renderer::Pretty(Pretty {
        palette: None,
        utc: true,
        full_ids: false,
        lattice_width: Some(8),
        subjects: Default::default(),
        offset: LocalOffset::default(),
        heartbeats: true,
        compress: true,
        full_times: false,
        verbose: true,
        dates: true,
    })
}

fn render(renderer: &Renderer, payload: &[u8]) -> Vec<u8> {
    let event = decode(RawMessage {
        subject: Some("wasmbus.evt.default.x"),
        payload,
        received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
        reply: None,
    });
    let mut out = Vec::new();
    renderer
        .render(&event, &Default::default(), &mut out)
        .expect("rendering into memory");
    out
}

/// One line, and not one character a terminal would act on.
fn assert_one_safe_line(out: &[u8]) {
    let text = std::str::from_utf8(out).expect("pretty output is UTF-8");
    let body = text.strip_suffix('\n').expect("ends with a newline");
    for c in body.chars() {
        assert!(!latwatch::text::needs_escape(c), "raw {c:?} in {body:?}");
    }
}

const KINDS: &[&str] = &[
    "component_scaled",
    "component_scale_failed",
    "provider_start_failed",
    "linkdef_set",
    "host_heartbeat",
    "host_started",
    "labels_changed",
    "config_set",
    "something_new",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any string in any field a line shows (ids, errors, names, labels, link ends, the type and
    /// the source) is escaped.
    #[test]
    fn pretty_lines_never_carry_raw_control_characters(
        kind in proptest::sample::select(KINDS),
        text in any::<String>(),
        other in "\\PC*",
    ) {
        let payload = serde_json::json!({
            "specversion": "1.0", "id": text, "type": format!("com.wasmcloud.lattice.{kind}"),
            "source": text, "time": other,
            "data": {
                "component_id": text, "provider_id": other, "error": text, "image_ref": other,
                "friendly_name": text, "config_name": text, "source_id": text, "target": other,
                "wit_namespace": text, "wit_package": other, "interfaces": [text, other],
                "labels": { text.clone(): other.clone() }, "max_instances": 1, "reason": text,
                "components": [{ "id": text, "max_instances": 2 }], "uptime_human": text,
                text.clone(): other.clone(),
            }
        });
        assert_one_safe_line(&render(&pretty(), payload.to_string().as_bytes()));
        let hostile_type = serde_json::json!({"specversion": "1.0", "type": text, "source": other});
        assert_one_safe_line(&render(&pretty(), hostile_type.to_string().as_bytes()));
    }

    /// Any bytes at all: still one safe line, never a panic.
    #[test]
    fn arbitrary_bytes_render_as_one_safe_line(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_one_safe_line(&render(&pretty(), &bytes));
    }

    /// `--json` of a CloudEvent with any strings, written compact or spread over lines: one line
    /// that is the same JSON (multi-line payloads are compacted, nothing else changes). Random
    /// bytes (below) are almost never JSON; this one always is.
    #[test]
    fn json_output_of_any_event_is_the_same_json_on_one_line(
        text in any::<String>(),
        other in "\\PC*",
        spread in any::<bool>(),
    ) {
        let event = serde_json::json!({
            "specversion": "1.0", "id": text, "type": "com.wasmcloud.lattice.component_scaled",
            "source": other, "data": { "component_id": text, "error": other, "n": [1, 2.5, -3] },
        });
        let payload = if spread {
            serde_json::to_string_pretty(&event).unwrap()
        } else {
            event.to_string()
        };
        let out = render(&Renderer::Json, payload.as_bytes());
        let line = std::str::from_utf8(&out).expect("UTF-8");
        let line = line.strip_suffix('\n').expect("ends with a newline");
        prop_assert!(!line.contains('\n'), "one line: {line:?}");
        let back: serde_json::Value = serde_json::from_str(line).expect("JSON");
        prop_assert_eq!(back, event);
    }

    /// `--json` output is the payload or nothing, and always one line of JSON.
    #[test]
    fn json_output_is_one_json_line_or_nothing(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let out = render(&Renderer::Json, &bytes);
        if !out.is_empty() {
            let line = std::str::from_utf8(&out).expect("UTF-8");
            let line = line.strip_suffix('\n').expect("one line");
            prop_assert!(!line.contains('\n'));
            prop_assert!(serde_json::from_str::<&serde_json::value::RawValue>(line).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Names (`text::escape_name`) and status messages (`text::escape_lines`, every stderr
    /// line) carry no raw control character whatever they are given (a message keeps its own
    /// line breaks), and escaping what is escaped changes nothing. A name that mixes scripts
    /// loses every character a reader could take for another.
    #[test]
    fn names_and_status_lines_are_safe_and_escaping_is_idempotent(
        text in any::<String>(),
        name in "[a-z\\-]{0,6}[\\u{400}-\\u{45f}\\u{370}-\\u{3ff}]{0,3}[a-z]{0,4}",
    ) {
        use latwatch::text::{escape_lines, escape_name, escape_untrusted, mixes_scripts, needs_escape};
        for given in [text.as_str(), name.as_str()] {
            let shown = escape_name(given);
            prop_assert!(!shown.chars().any(needs_escape), "{shown:?}");
            prop_assert_eq!(escape_name(&shown), shown.clone());
            prop_assert_eq!(escape_untrusted(&shown), shown.clone());
            // The generated names hold only look-alike scripts: a mixed one is shown in ASCII.
            if given == name && mixes_scripts(given) {
                prop_assert!(shown.is_ascii(), "{shown:?}");
            }
            let lines = escape_lines(given);
            prop_assert!(!lines.chars().any(|c| c != '\n' && needs_escape(c)), "{lines:?}");
            prop_assert_eq!(escape_lines(&lines), lines.clone());
        }
    }
}
