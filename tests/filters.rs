//! Filters against a live server: types (exact, full, glob), excludes, ids, jq, several lattices,
//! legacy subjects with dedupe, and proof that exact types are narrowed by the server.

mod support;

use std::time::Duration;

use support::*;

const WAIT: Duration = Duration::from_secs(10);

/// The event name shown on a pretty line (second column when no lattice column is shown).
fn shown_name(line: &str) -> &str {
    undated(line).split_whitespace().nth(1).unwrap_or("")
}

/// Publishes every 1.x fixture once on its own subject.
fn publish_story(publisher: &Publisher, lattice: &str) {
    for payload in FIXTURES_1X.lines() {
        publisher.publish_event(lattice, payload);
    }
}

/// Waits for `n` lines, then sends Ctrl-C and returns the lines and stderr (with the summary).
fn lines_then_stop(mut latwatch: Latwatch, n: usize) -> (Vec<String>, String) {
    let lines = latwatch.lines(n, WAIT);
    assert!(
        latwatch.next_line(Duration::from_millis(300)).is_none(),
        "more than {n} lines"
    );
    latwatch.signal("INT");
    assert!(latwatch.wait_exit(WAIT).success());
    (lines, latwatch.stderr())
}

/// Exact `--type` names subscribe to just those subjects: the server never sends the rest, as the
/// summary's `received` count shows. A glob has to receive everything and filter locally.
#[test]
fn exact_types_are_filtered_by_the_server() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let args = [
        "--color",
        "never",
        "--summary",
        "-t",
        "component_scaled,com.wasmcloud.lattice.config_set",
    ];
    let latwatch = Latwatch::listening(&server, &args);
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("wasmbus.evt.default.component_scaled, wasmbus.evt.default.config_set"),
        "{stderr}"
    );
    publish_story(&publisher, "default");
    let (lines, stderr) = lines_then_stop(latwatch, 2);
    assert_eq!(shown_name(&lines[0]), "component_scaled");
    assert_eq!(shown_name(&lines[1]), "config_set");
    assert!(
        stderr.contains("summary: 2 received, 2 shown, 0 filtered out"),
        "{stderr}"
    );

    let latwatch = Latwatch::listening(&server, &["--summary", "-t", "component_*,config_set"]);
    publish_story(&publisher, "default");
    let (_, stderr) = lines_then_stop(latwatch, 3);
    assert!(
        stderr.contains("summary: 17 received, 3 shown, 14 filtered out"),
        "{stderr}"
    );
}

/// Globs include and exclude; excludes win over includes.
#[test]
fn globs_and_excludes() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(
        &server,
        &["-t", "*_failed", "--exclude-type", "health_check_*"],
    );
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 3);
    let names: Vec<&str> = lines.iter().map(|l| shown_name(l)).collect();
    assert_eq!(
        names,
        [
            "linkdef_set_failed",
            "component_scale_failed",
            "provider_start_failed"
        ]
    );

    let latwatch = Latwatch::listening(
        &server,
        &["--exclude-type", "host_heartbeat,health_check_status"],
    );
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 15);
    assert!(lines
        .iter()
        .all(|l| !l.contains("host_heartbeat") && !l.contains("health_check_status")));
}

/// `--host` matches a key prefix, and a friendly name once latwatch has learned it from the stream.
#[test]
fn hosts_by_prefix_and_by_learned_name() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(&server, &["--host", "NHXX5N", "--color", "never"]);
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 5);
    assert!(
        lines.iter().all(|l| l.contains("NHXX5N…M6PM7")),
        "{lines:?}"
    );

    // frosty-field-3519 is NV3C…'s name, first told by host_started (fixture line 1).
    let latwatch = Latwatch::listening(&server, &["--host", "frosty-*", "-t", "component_scaled"]);
    let scaled = fixture("component_scaled");
    publisher.publish_event("default", scaled); // name not known yet: not shown
    publisher.publish_event("default", fixture("host_started")); // teaches the name (filtered out)
    publisher.publish_event("default", scaled);
    let (lines, _) = lines_then_stop(latwatch, 1);
    assert_eq!(shown_name(&lines[0]), "component_scaled");
}

/// `--component` matches component events and links to or from it; `--provider` health and links.
#[test]
fn components_and_providers_include_their_links() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch =
        Latwatch::listening(&server, &["--component", "rust_hello_world-http_component"]);
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 4);
    let names: Vec<&str> = lines.iter().map(|l| shown_name(l)).collect();
    assert_eq!(
        names,
        [
            "component_scaled",
            "linkdef_set",
            "component_scale_failed",
            "linkdef_deleted"
        ]
    );

    // health_check_status after health_check_passed says nothing new: pretty leaves it out.
    let latwatch = Latwatch::listening(&server, &["--provider", "*httpserver"]);
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 7);
    let names: Vec<&str> = lines.iter().map(|l| shown_name(l)).collect();
    assert_eq!(
        names,
        [
            "provider_started",
            "linkdef_set",
            "health_check_passed",
            "linkdef_set_failed",
            "health_check_failed",
            "linkdef_deleted",
            "provider_stopped"
        ]
    );
}

/// `--filter` runs jq on the CloudEvent, nested data included.
#[test]
fn jq_filters_on_nested_data() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(
        &server,
        &[
            "--json",
            "--filter",
            r#".data.annotations["wasmcloud.dev/managed-by"] == "wadm" and (.type | endswith("_scaled"))"#,
        ],
    );
    publish_story(&publisher, "default");
    let (lines, _) = lines_then_stop(latwatch, 1);
    assert_eq!(lines[0], format!("{}\n", fixture("component_scaled")));
}

/// A jq syntax error is a usage error (exit 2) that says where.
#[test]
fn jq_syntax_error_exits_2_and_says_where() {
    let output = latwatch_command(&["--filter", ".data | select(.max_instances >)"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--filter"), "{stderr}");
    assert!(stderr.contains("column 32"), "{stderr}");
}

/// A `--type` name no kind has gets a warning with a suggestion, and is still subscribed to.
#[test]
fn unknown_type_names_warn_with_a_suggestion() {
    let server = NatsServer::start();
    let latwatch = Latwatch::listening(&server, &["-t", "component_scaeld"]);
    let stderr = latwatch.stderr();
    assert!(
        stderr.contains("did you mean component_scaled?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("listening on wasmbus.evt.default.component_scaeld"),
        "{stderr}"
    );
}

/// `--legacy` also hears the bare subject of old hosts; the copies 0.81–0.82 hosts publish on both
/// subjects are shown once.
#[test]
fn legacy_subjects_and_dedupe() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(&server, &["--legacy", "--json", "--summary"]);
    let mut expected = Vec::new();
    for payload in FIXTURES_LEGACY.lines().take(5) {
        // 0.82: both subjects, same bytes.
        publisher.publish("wasmbus.evt.default", payload);
        publisher.publish_event("default", payload);
        expected.push(format!("{payload}\n"));
    }
    for payload in FIXTURES_LEGACY.lines().skip(5) {
        // OTP / ≤ 0.80: only the bare subject.
        publisher.publish("wasmbus.evt.default", payload);
        expected.push(format!("{payload}\n"));
    }
    let (lines, stderr) = lines_then_stop(latwatch, expected.len());
    assert_eq!(lines, expected);
    assert!(stderr.contains("5 duplicates"), "{stderr}");

    // Without --legacy the bare subject is not heard.
    let latwatch = Latwatch::listening(&server, &["--json"]);
    publisher.publish(
        "wasmbus.evt.default",
        FIXTURES_LEGACY.lines().nth(5).unwrap(),
    );
    assert!(latwatch.next_line(Duration::from_millis(500)).is_none());
}

/// Two lattices at once: both are shown, each line names its lattice; a third is not heard.
#[test]
fn two_lattices_at_once() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(&server, &["--lattice", "blue,green", "--color", "never"]);
    let started = fixture("host_started");
    publisher.publish_event("red", started);
    publisher.publish_event("blue", started);
    publisher.publish_event("green", started);
    let (lines, _) = lines_then_stop(latwatch, 2);
    let lattices: Vec<&str> = lines
        .iter()
        .map(|l| undated(l).split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(lattices, ["blue", "green"]);
    assert!(lines[0].contains("host_started"));
}

/// `--all-lattices` hears every lattice; `--subject-prefix` follows multi-tenant subjects.
#[test]
fn all_lattices_and_subject_prefix() {
    let server = NatsServer::start();
    let publisher = Publisher::connect(&server.url());
    let latwatch = Latwatch::listening(&server, &["--all-lattices", "--color", "never"]);
    let started = fixture("host_started");
    publisher.publish_event("red", started);
    publisher.publish_event("blue", started);
    let (lines, _) = lines_then_stop(latwatch, 2);
    assert!(
        undated(&lines[0]).split_whitespace().nth(1) == Some("red"),
        "{lines:?}"
    );

    let latwatch = Latwatch::listening(&server, &["--subject-prefix", "tenant1", "--json"]);
    publisher.publish("wasmbus.evt.default.host_started", started);
    publisher.publish("tenant2.wasmbus.evt.default.host_started", started);
    publisher.publish("tenant1.wasmbus.evt.default.host_started", started);
    let (lines, _) = lines_then_stop(latwatch, 1);
    assert_eq!(lines[0], format!("{started}\n"));
}
