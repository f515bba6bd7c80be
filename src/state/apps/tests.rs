use super::*;
use crate::event::{decode_app_status, decode_with_data, RawMessage, Received};

const HELLO: &str = include_str!("../../../tests/fixtures/wadm-hello-app.jsonl");
const BROKEN: &str = include_str!("../../../tests/fixtures/wadm-broken-app.jsonl");

/// The messages of a fixture: (subject, payload).
fn messages(fixture: &str) -> Vec<(String, String)> {
    fixture
        .lines()
        .map(|line| {
            let message: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                message["subject"].as_str().unwrap().to_owned(),
                message["payload"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Feeds every message, one second apart, and keeps what each gave.
fn observe_all(apps: &mut Apps, fixture: &str) -> Vec<(String, Observed)> {
    let start = DateTime::parse_from_rfc3339("2026-11-25T21:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    messages(fixture)
        .into_iter()
        .enumerate()
        .map(|(i, (subject, payload))| {
            let raw = RawMessage {
                subject: Some(&subject),
                payload: payload.as_bytes(),
                received: Received::Now,
                reply: None,
            };
            let event = match apps.subjects().wadm(&subject) {
                Some(WadmSubject::Status { .. }) => decode_app_status(raw),
                _ => decode_with_data(raw),
            };
            let observed = apps.observe(&event, start + Duration::seconds(i as i64));
            (subject.clone(), observed)
        })
        .collect()
}

fn words(observed: &[(String, Observed)]) -> Vec<String> {
    observed
        .iter()
        .filter_map(|(_, o)| o.app.as_ref()?.change.as_ref().map(ToString::to_string))
        .collect()
}

#[test]
fn the_recorded_deploy_reads_as_status_changes() {
    let mut apps = Apps::default();
    let observed = observe_all(&mut apps, HELLO);
    let words = words(&observed);
    assert_eq!(
        words[0],
        "hello-app  v0.0.1  1 component, 1 provider, 1 link"
    );
    assert!(words[1].starts_with("hello-app  reconciling  \"Scaling component"));
    assert!(words.contains(&"hello-app  reconciling → deployed".to_owned()));
    assert!(words
        .iter()
        .any(|w| w.starts_with("hello-app  deployed → reconciling")));
    assert!(words
        .iter()
        .any(|w| w.starts_with("hello-app  deployed → undeployed")));
    assert_eq!(words.last().unwrap(), "hello-app  v0.0.2  deleted");
    let status = apps.status_of("default", "hello-app").unwrap();
    assert_eq!(status.status, AppStatus::Undeployed);
    assert_eq!(status.version.as_deref(), Some("v0.0.2"));
}

#[test]
fn host_events_are_attributed_by_annotation_and_by_known_ids() {
    let mut apps = Apps::default();
    let observed = observe_all(&mut apps, HELLO);
    let app_of = |subject_end: &str| -> Vec<Option<String>> {
        observed
            .iter()
            .filter(|(s, _)| s.ends_with(subject_end))
            .map(|(_, o)| o.app.as_ref().map(|a| a.name.to_string()))
            .collect()
    };
    // Annotated by wadm.
    assert!(app_of("component_scaled")
        .iter()
        .all(|a| a.as_deref() == Some("hello-app")));
    assert!(app_of("provider_started")
        .iter()
        .all(|a| a.as_deref() == Some("hello-app")));
    // No annotations: by the ids the manifest names.
    assert!(app_of("linkdef_set")
        .iter()
        .all(|a| a.as_deref() == Some("hello-app")));
    assert!(app_of("config_set")
        .iter()
        .all(|a| a.as_deref() == Some("hello-app")));
    assert!(app_of("config_deleted")
        .iter()
        .all(|a| a.as_deref() == Some("hello-app")));
    // A host event names no application.
    assert!(app_of("host_started").iter().all(Option::is_none));
    assert!(app_of("host_heartbeat").iter().all(Option::is_none));
    let rows = apps.rows();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].events >= 9, "{rows:?}");
    assert!(
        rows[0].deleted,
        "the recording ends with the app deleted: {rows:?}"
    );
}

fn host_event(kind: &str, data: &str) -> String {
    format!(
        r#"{{"specversion":"1.0","id":"x","type":"com.wasmcloud.lattice.{kind}","source":"NH","data":{data}}}"#
    )
}

fn observe_one(apps: &mut Apps, subject: &str, payload: &str) -> Option<String> {
    let event = decode_with_data(RawMessage {
        subject: Some(subject),
        payload: payload.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    apps.observe(&event, Utc::now())
        .app
        .map(|a| a.name.to_string())
}

#[test]
fn ids_named_the_wadm_way_are_attributed_only_to_one_known_app() {
    let mut apps = Apps::default();
    let config = host_event("config_set", r#"{"config_name":"shop_front-address"}"#);
    // No application known: no guess.
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.config_set", &config),
        None
    );
    apps.app_mut("default", "shop-front");
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.config_set", &config).as_deref(),
        Some("shop-front")
    );
    // Another lattice's application of that name is not this one.
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.other.config_set", &config),
        None
    );
    // Two names wadm would write the same way: ambiguous, so none.
    apps.app_mut("default", "shop_front");
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.config_set", &config),
        None
    );
    // A link belongs to its source's application, never to its target's.
    let link = host_event(
        "linkdef_set",
        r#"{"source_id":"someone-else","target":"shop_front-http"}"#,
    );
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.linkdef_set", &link),
        None
    );
}

#[test]
fn heartbeats_teach_who_owns_what() {
    let mut apps = Apps::default();
    let heartbeat = host_event(
        "host_heartbeat",
        r#"{"components":[{"id":"my-custom-id","annotations":{"wasmcloud.dev/appspec":"shop"}}],"providers":[]}"#,
    );
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.host_heartbeat", &heartbeat),
        None
    );
    let link = host_event(
        "linkdef_set",
        r#"{"source_id":"my-custom-id","target":"x"}"#,
    );
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.linkdef_set", &link).as_deref(),
        Some("shop")
    );
}

#[test]
fn a_failure_that_retries_is_one_failure() {
    let mut apps = Apps::default();
    let observed = observe_all(&mut apps, BROKEN);
    let statuses: Vec<String> = observed
        .iter()
        .filter(|(s, _)| s.starts_with("wadm.status"))
        .filter_map(|(_, o)| o.app.as_ref()?.change.as_ref().map(ToString::to_string))
        .collect();
    // reconciling, the failure in full, then retries 2 and 4 only (of 5 failures).
    assert_eq!(statuses.len(), 4, "{statuses:#?}");
    assert!(statuses[1].starts_with("broken-app  reconciling → failed  \"failed to fetch"));
    assert!(statuses[1].contains("scaler broken_app-broken failed"));
    assert!(statuses[2].starts_with("broken-app  failed (retry 2, failing for 3s)"));
    assert!(statuses[3].starts_with("broken-app  failed (retry 4, failing for 9s)"));
    let rows = apps.rows();
    assert_eq!(rows[0].failures, 1, "retries of one failure count once");
    assert_eq!(rows[0].events, 5);
    // Recovering ends the failure, and says how long it lasted.
    let deployed = r#"{"status":{"type":"deployed"},"scalers":[],"version":"","components":[]}"#;
    let event = decode_app_status(RawMessage {
        subject: Some("wadm.status.default.broken-app"),
        payload: deployed.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    let start = DateTime::parse_from_rfc3339("2026-11-25T21:00:30Z")
        .unwrap()
        .with_timezone(&Utc);
    let observed = apps.observe(&event, start);
    let change = observed.app.unwrap().change.unwrap().to_string();
    assert_eq!(
        change,
        "broken-app  failed → deployed (after 5 failed attempts over 27s)"
    );
}

#[test]
fn a_repeated_status_is_quiet() {
    let mut apps = Apps::default();
    let deployed = r#"{"status":{"type":"deployed"},"version":"","components":[]}"#;
    let observe = |apps: &mut Apps| {
        let event = decode_app_status(RawMessage {
            subject: Some("wadm.status.default.a"),
            payload: deployed.as_bytes(),
            received: Received::Now,
            reply: None,
        });
        apps.observe(&event, Utc::now())
    };
    assert!(!observe(&mut apps).quiet);
    let again = observe(&mut apps);
    assert!(again.quiet);
    assert!(again.app.unwrap().change.is_none());
}

#[test]
fn a_status_older_than_the_newest_deploy_is_not_fresh() {
    let mut apps = Apps::default();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let deployed = StatusMessage::parse(br#"{"status":{"type":"deployed"}}"#).unwrap();
    let stale = apps
        .seed(&Seed {
            lattice: "default".into(),
            app: "hello-app".into(),
            status: Some(deployed.clone()),
            at: Some(at("2026-11-25T20:47:49Z")),
            version: Some("v0.0.2".into()),
            deployed_at: Some(at("2026-11-25T20:48:11Z")),
            ids: vec![],
            ..Seed::default()
        })
        .unwrap();
    assert!(!stale.fresh);
    let fresh = apps
        .seed(&Seed {
            lattice: "default".into(),
            app: "other".into(),
            status: Some(deployed),
            at: Some(at("2026-11-25T20:48:13Z")),
            version: None,
            deployed_at: Some(at("2026-11-25T20:48:11Z")),
            ids: vec![],
            ..Seed::default()
        })
        .unwrap();
    assert!(fresh.fresh);
}

/// Startup knowledge read while live messages were handled: what arrived live stays, a status
/// waiting in the queue is left to come, and a deploy that arrived live (the read did not see
/// it) makes the stored status the previous version's.
#[test]
fn a_seed_read_behind_live_messages_keeps_what_arrived_live() {
    let hello = messages(HELLO);
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let deployed = StatusMessage::parse(br#"{"status":{"type":"deployed"}}"#).unwrap();
    let seed = |app: &str| Seed {
        lattice: "default".into(),
        app: app.into(),
        status: Some(deployed.clone()),
        at: Some(at("2026-11-25T20:47:49Z")),
        version: Some("v0.0.1".into()),
        deployed_at: Some(at("2026-11-25T20:47:40Z")),
        deploy_id: Some("old-deploy".into()),
        ..Seed::default()
    };
    let mut apps = Apps::default();
    // A status that arrived live stays.
    let live = decode_app_status(RawMessage {
        subject: Some("wadm.status.default.a"),
        payload: hello[5].1.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    apps.observe(&live, Utc::now());
    assert_eq!(apps.seed_behind(&seed("a"), false), None);
    assert_eq!(
        apps.status_of("default", "a").unwrap().status,
        AppStatus::Reconciling
    );
    // One waiting in the queue is left to come.
    assert_eq!(apps.seed_behind(&seed("b"), true), None);
    assert!(apps.status_of("default", "b").is_none());
    // Nothing live: taken, fresh.
    let taken = apps.seed_behind(&seed("c"), false).unwrap();
    assert!(taken.fresh);
    assert_eq!(taken.version.as_deref(), Some("v0.0.1"));
    // hello-app's v1 deploy arrived live, after the read: the stored status is stale.
    let published = decode_with_data(RawMessage {
        subject: Some(&hello[4].0),
        payload: hello[4].1.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    apps.observe(&published, Utc::now());
    let stale = apps.seed_behind(&seed("hello-app"), false).unwrap();
    assert!(!stale.fresh);
}

/// Deploys that could not all be read: no stored status is the deployed version's. A status read
/// again that says what is known only refreshes it when the read saw every deploy.
#[test]
fn unread_deploys_make_no_status_fresh() {
    let deployed = StatusMessage::parse(br#"{"status":{"type":"deployed"}}"#).unwrap();
    let mut seed = Seed {
        lattice: "default".into(),
        app: "a".into(),
        status: Some(deployed),
        at: Some(Utc::now()),
        deploys_unread: true,
        ..Seed::default()
    };
    let mut apps = Apps::default();
    assert!(!apps.seed_behind(&seed, false).unwrap().fresh);
    assert!(!apps.status_is_news(&seed), "the same words");
    assert!(!apps.status_of("default", "a").unwrap().fresh);
    seed.deploys_unread = false;
    assert!(!apps.status_is_news(&seed));
    assert!(apps.status_of("default", "a").unwrap().fresh);
}

#[test]
fn memory_is_bounded() {
    let mut apps = Apps::default();
    for i in 0..(MAX_APPS + 10) {
        apps.app_mut("default", &format!("app-{i}"));
    }
    assert_eq!(apps.rows().len(), MAX_APPS);
}

#[test]
fn hostile_wadm_messages_are_problems_not_panics() {
    let mut apps = Apps::default();
    for payload in [
        "not json",
        "[]",
        r#"{"status":"deployed"}"#,
        r#"{"status":{"type":7}}"#,
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    ] {
        let event = decode_app_status(RawMessage {
            subject: Some("wadm.status.default.x"),
            payload: payload.as_bytes(),
            received: Received::Now,
            reply: None,
        });
        let observed = apps.observe(&event, Utc::now());
        assert!(
            !event.problems.is_empty() || observed.problem.is_some(),
            "{payload:.40} gave no problem"
        );
    }
    let published = r#"{"specversion":"1.0","id":"1","type":"com.wadm.manifest_published","source":"wadm","data":{"metadata":7}}"#;
    let event = decode_with_data(RawMessage {
        subject: Some("wadm.evt.default.manifest_published"),
        payload: published.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    assert!(apps.observe(&event, Utc::now()).problem.is_some());
}

/// A status wadm could not have sent still names its application in the subject: the event is
/// that application's, and the status it had stays.
#[test]
fn a_malformed_status_keeps_its_application() {
    let mut apps = Apps::default();
    let status = |apps: &mut Apps, payload: &str| {
        let event = decode_app_status(RawMessage {
            subject: Some("wadm.status.default.shop"),
            payload: payload.as_bytes(),
            received: Received::Now,
            reply: None,
        });
        let observed = apps.observe(&event, Utc::now());
        (observed, event.problems.len())
    };
    for payload in ["not json", "[]", r#"{"status":"deployed"}"#] {
        let (observed, problems) = status(&mut apps, payload);
        let app = observed.app.expect("the subject names the application");
        assert_eq!(
            (app.name.as_ref(), app.lattice.as_ref()),
            ("shop", "default")
        );
        assert!(app.change.is_none() && app.status.is_none(), "{payload}");
        assert!(problems > 0 || observed.problem.is_some(), "{payload}");
    }
    assert_eq!(apps.rows().len(), 1);
    assert_eq!(apps.rows()[0].status, None);
    // A real status, then a malformed one: the status stays.
    status(&mut apps, r#"{"status":{"type":"deployed"}}"#);
    status(&mut apps, r#"{"status":{"type":7}}"#);
    assert_eq!(apps.rows()[0].status, Some(AppStatus::Deployed));
}

#[test]
fn only_the_top_level_appspec_annotation_names_the_app() {
    let mut apps = Apps::default();
    let scaled = |annotations: &str| {
        host_event(
            "component_scaled",
            &format!(r#"{{"annotations":{annotations},"component_id":"c1"}}"#),
        )
    };
    let subject = "wasmbus.evt.default.component_scaled";
    for fooling in [
        r#"{"nested":{"wasmcloud.dev/appspec":"evil"}}"#,
        r#"{"\"wasmcloud.dev/appspec":"evil"}"#,
        r#"{"note":"\"wasmcloud.dev/appspec\":\"evil\""}"#,
        r#"{"wasmcloud.dev/appspec":""}"#,
        r#"{"wasmcloud.dev/appspec":7}"#,
    ] {
        assert_eq!(
            observe_one(&mut apps, subject, &scaled(fooling)),
            None,
            "{fooling}"
        );
    }
    assert_eq!(
        observe_one(
            &mut apps,
            subject,
            &scaled(r#"{"wasmcloud.dev/app\u0073pec":"shop"}"#)
        )
        .as_deref(),
        Some("shop"),
        "an escaped spelling of the key is the key"
    );
    assert_eq!(
        observe_one(
            &mut apps,
            subject,
            &scaled(r#"{"wasmcloud.dev/appspec":"a","wasmcloud.dev/appspec":"b"}"#)
        )
        .as_deref(),
        Some("b"),
        "the last of a repeated key, as jq"
    );
}

#[test]
fn remembered_annotations_follow_an_id_that_changes_owner() {
    let mut apps = Apps::default();
    let subject = "wasmbus.evt.default.component_scaled";
    let scaled = |app: &str| {
        host_event(
            "component_scaled",
            &format!(
                r#"{{"annotations":{{"wasmcloud.dev/appspec":"{app}"}},"component_id":"shared-id"}}"#
            ),
        )
    };
    let link = host_event("linkdef_set", r#"{"source_id":"shared-id","target":"x"}"#);
    let link_subject = "wasmbus.evt.default.linkdef_set";
    for _ in 0..3 {
        assert_eq!(
            observe_one(&mut apps, subject, &scaled("a")).as_deref(),
            Some("a")
        );
    }
    assert_eq!(
        observe_one(&mut apps, link_subject, &link).as_deref(),
        Some("a")
    );
    assert_eq!(
        observe_one(&mut apps, subject, &scaled("b")).as_deref(),
        Some("b")
    );
    assert_eq!(
        observe_one(&mut apps, link_subject, &link).as_deref(),
        Some("b")
    );
    // Back to a: the remembered annotations of a must not skip taking the id back.
    assert_eq!(
        observe_one(&mut apps, subject, &scaled("a")).as_deref(),
        Some("a")
    );
    assert_eq!(
        observe_one(&mut apps, link_subject, &link).as_deref(),
        Some("a")
    );
    assert_eq!(apps.rows().iter().map(|r| r.events).sum::<u64>(), 8);
}

/// A `manifest_published` of `app` with one component `hello` (wadm's id `<app>-hello`, `-` as
/// `_`) in `lattice`.
fn publish(apps: &mut Apps, lattice: &str, app: &str) -> Observed {
    let payload = format!(
        r#"{{"specversion":"1.0","id":"m-{app}","type":"com.wadm.manifest_published","source":"wadm","data":{{"metadata":{{"name":"{app}","annotations":{{"version":"v1"}}}},"spec":{{"components":[{{"name":"hello","type":"component","properties":{{"image":"x"}},"traits":[]}}]}}}}}}"#
    );
    let subject = format!("wadm.evt.{lattice}.manifest_published");
    let event = decode_with_data(RawMessage {
        subject: Some(&subject),
        payload: payload.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    apps.observe(&event, Utc::now())
}

fn unpublish(apps: &mut Apps, app: &str) {
    let payload = format!(
        r#"{{"specversion":"1.0","id":"u-{app}","type":"com.wadm.manifest_unpublished","source":"wadm","data":{{"name":"{app}"}}}}"#
    );
    let event = decode_with_data(RawMessage {
        subject: Some("wadm.evt.default.manifest_unpublished"),
        payload: payload.as_bytes(),
        received: Received::Now,
        reply: None,
    });
    apps.observe(&event, Utc::now());
}

#[test]
fn an_id_two_deployed_manifests_claim_is_neither_ones() {
    let mut apps = Apps::default();
    let subject = "wasmbus.evt.default.linkdef_set";
    let link = host_event(
        "linkdef_set",
        r#"{"source_id":"hello_app-hello","target":"x"}"#,
    );
    assert!(publish(&mut apps, "default", "hello-app").problem.is_none());
    assert_eq!(
        observe_one(&mut apps, subject, &link).as_deref(),
        Some("hello-app")
    );
    // wadm names hello_app's component the same: the newest manifest does not take it.
    publish(&mut apps, "default", "hello_app");
    assert_eq!(observe_one(&mut apps, subject, &link), None);
    // An event's own annotations still name its application, and do not settle the contest.
    let scaled = |app: &str| {
        host_event(
            "component_scaled",
            &format!(
                r#"{{"annotations":{{"wasmcloud.dev/appspec":"{app}"}},"component_id":"hello_app-hello"}}"#
            ),
        )
    };
    let scaled_subject = "wasmbus.evt.default.component_scaled";
    for app in ["hello_app", "hello-app", "hello_app"] {
        assert_eq!(
            observe_one(&mut apps, scaled_subject, &scaled(app)).as_deref(),
            Some(app)
        );
        assert_eq!(observe_one(&mut apps, subject, &link), None, "after {app}");
    }
    // A heartbeat's annotations neither.
    let heartbeat = host_event(
        "host_heartbeat",
        r#"{"components":[{"id":"hello_app-hello","annotations":{"wasmcloud.dev/appspec":"hello_app"}}],"providers":[]}"#,
    );
    observe_one(&mut apps, "wasmbus.evt.default.host_heartbeat", &heartbeat);
    assert_eq!(observe_one(&mut apps, subject, &link), None);
    // Once one of them is undeployed, the id is the other's.
    unpublish(&mut apps, "hello-app");
    assert_eq!(
        observe_one(&mut apps, subject, &link).as_deref(),
        Some("hello_app")
    );
    // A manifest claiming the id of an undeployed application takes it over.
    let mut apps = Apps::default();
    publish(&mut apps, "default", "hello-app");
    unpublish(&mut apps, "hello-app");
    publish(&mut apps, "default", "hello_app");
    assert_eq!(
        observe_one(&mut apps, subject, &link).as_deref(),
        Some("hello_app")
    );
}

#[test]
fn a_startup_seed_is_a_claim_too() {
    let mut apps = Apps::default();
    for app in ["hello-app", "hello_app"] {
        apps.seed(&Seed {
            lattice: "default".into(),
            app: app.into(),
            status: Some(StatusMessage::parse(br#"{"status":{"type":"deployed"}}"#).unwrap()),
            ids: vec!["hello_app-hello".into()],
            ..Seed::default()
        });
    }
    let link = host_event(
        "linkdef_set",
        r#"{"source_id":"hello_app-hello","target":"x"}"#,
    );
    assert_eq!(
        observe_one(&mut apps, "wasmbus.evt.default.linkdef_set", &link),
        None
    );
}

#[test]
fn subjects_are_read_after_the_prefix() {
    for prefix in ["acme.wadm", "wasmbus.x"] {
        let mut apps = Apps::new(SubjectReader::new(Some(prefix)));
        let subject = format!("{prefix}.wadm.status.default.hello-app");
        let event = decode_app_status(RawMessage {
            subject: Some(&subject),
            payload: br#"{"status":{"type":"deployed"}}"#,
            received: Received::Now,
            reply: None,
        });
        let observed = apps.observe(&event, Utc::now());
        assert!(observed.problem.is_none(), "{prefix}");
        assert_eq!(
            apps.status_of("default", "hello-app").map(|s| s.status),
            Some(AppStatus::Deployed),
            "{prefix}"
        );
    }
}

#[test]
fn applications_of_one_name_are_listed_per_lattice() {
    let mut apps = Apps::default();
    publish(&mut apps, "a", "hello-app");
    publish(&mut apps, "b", "hello-app");
    publish(&mut apps, "b", "other");
    let named: Vec<(&str, bool)> = apps
        .named("hello-app")
        .map(|(lattice, status)| (lattice, status.is_some()))
        .collect();
    assert_eq!(named, [("a", false), ("b", false)]);
    assert_eq!(apps.named("nobody").count(), 0);
}
