//! The lattice as it is now: the one state every view reads.
//!
//! - [`lattice`]: hosts (name, version, labels, liveness, learned interval), each host's
//!   inventory as its heartbeats count it, and provider health. It turns each event into
//!   [`lattice::Facts`] for the renderers and notices silent hosts.
//! - [`apps`]: what wadm says about applications (typed status, version, newest deploy, failures,
//!   id ownership), and which application each event belongs to.
//! - [`tables`]: the rows `latwatch top` draws (components and providers per host with image,
//!   instances and application, links), kept only when a view draws them.
//!
//! The state never words anything and reads no clock: every change comes with the time it
//! happened, and comes back as structured facts. [`crate::pipeline::Pipeline`] owns one
//! [`State`]; filters, `--until-*`, the renderers, `--summary` and `top` borrow it. Startup
//! knowledge (the control interface's `host.ping`, `host.get`, `link.get`, wadm's statuses)
//! enters through typed entries ([`lattice::Lattice::seed_host`], [`tables::Tables::seed`],
//! [`apps::Apps::seed`]), the same for every view.

pub mod apps;
pub mod lattice;
pub mod tables;
pub mod workloads;

use std::collections::HashSet;
use std::sync::Arc;

/// Everything latwatch knows about the lattice now.
#[derive(Debug, Default)]
pub struct State {
    pub lattice: lattice::Lattice,
    /// Application memory, when wadm is watched (`Plan::apps.memory`).
    pub apps: Option<apps::Apps>,
    /// The rows `top` draws, when a view draws them (`Plan::tables`).
    pub tables: Option<tables::Tables>,
    /// wasmCloud 2 workload memory, when its requests are watched (`--workloads`, or an
    /// `--input` that holds them).
    pub workloads: Option<workloads::Workloads>,
}

impl State {
    /// A v2 host's workloads are gone (it was lost, or restarted under a new id): from workload
    /// memory and from `top`'s rows.
    pub fn forget_v2_host(&mut self, host: &str) {
        if let Some(workloads) = &mut self.workloads {
            workloads.forget_host(host);
        }
        self.sync_workload_rows();
    }

    /// `top`'s workload rows follow workload memory: what it forgot (stopped, over its bound, on
    /// a host gone) goes.
    pub fn sync_workload_rows(&mut self) {
        let rows = self.tables.as_mut().and_then(|t| t.workloads.as_mut());
        if let (Some(workloads), Some(rows)) = (&self.workloads, rows) {
            rows.retain(|id, _| workloads.get(id).is_some());
        }
    }
}

/// One shared copy of each string: a thousand hosts running one component share its id's and
/// image's text. Bounded by what the state holds: strings no row holds any more are swept when
/// the set has doubled since the last sweep (heartbeats that name new ids every time cannot grow
/// it), and when a host goes.
#[derive(Debug, Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
    /// Sweep when the set reaches this many.
    sweep_at: usize,
}

/// The smallest set that is ever swept for growth.
const SWEEP_FROM: usize = 4096;

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        if self.strings.len() >= self.sweep_at.max(SWEEP_FROM) {
            self.sweep();
            self.sweep_at = self.strings.len() * 2;
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// `target` set to the shared `value` unless it holds it already (no allocation for an
    /// unchanged row).
    pub fn set(&mut self, target: &mut Option<Arc<str>>, value: Option<&str>) {
        if target.as_deref() != value {
            *target = value.map(|v| self.get(v));
        }
    }

    /// Forgets strings no row holds any more (only the interner's own copy is left).
    pub fn sweep(&mut self) {
        self.strings.retain(|s| Arc::strong_count(s) > 1);
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod interner_tests {
    use super::Interner;

    #[test]
    fn strings_no_row_holds_are_swept_as_the_set_grows() {
        let mut strings = Interner::default();
        let kept = strings.get("kept");
        for n in 0..100_000 {
            let _dropped = strings.get(&format!("id-{n}"));
        }
        assert!(strings.len() <= 2 * super::SWEEP_FROM, "{}", strings.len());
        assert!(std::sync::Arc::ptr_eq(&kept, &strings.get("kept")));
    }
}

/// The state as `top` reads it, built by the pipeline from a recorded real session, with a
/// fixed clock (every message received at one time) and a sink that writes nothing.
#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use clap::Parser as _;

    use super::apps::AppStatus;
    use crate::cli::Cli;
    use crate::config::Config;
    use crate::event::{RawMessage, Received};
    use crate::output::{Sink, Status};
    use crate::pipeline::Pipeline;

    const HELLO: &str = include_str!("../../tests/fixtures/wadm-hello-app.jsonl");

    fn top_pipeline(args: &[&str]) -> Pipeline {
        let cli = Cli::try_parse_from(args).expect("flags");
        let config = Config::from_cli(cli).expect("config");
        assert!(config.stages.plan.tables, "top keeps tables");
        Pipeline::new(config.stages, Sink::none(), Status { quiet: true })
    }

    fn at() -> DateTime<Utc> {
        "2026-11-25T21:00:00Z".parse().expect("a time")
    }

    fn feed(pipeline: &mut Pipeline, subject: &str, payload: &str) {
        pipeline
            .handle(RawMessage {
                subject: Some(subject),
                payload: payload.as_bytes(),
                received: Received::At(at()),
                reply: None,
            })
            .expect("no sink to fail");
    }

    #[test]
    fn a_recorded_deploy_fills_the_tables_and_the_events_pane_in_the_lines_words() {
        let mut pipeline = top_pipeline(&["latwatch", "top"]);
        for line in HELLO.lines() {
            let record: serde_json::Value = serde_json::from_str(line).expect("a record");
            let subject = record["subject"].as_str().expect("a subject");
            if subject.ends_with("manifest_unpublished") {
                break;
            }
            feed(
                &mut pipeline,
                subject,
                record["payload"].as_str().expect("a payload"),
            );
        }
        let tables = pipeline.state().tables.as_ref().expect("tables");
        let host = "NDWZ6XD7GOIE343PD5PZMS753LNNJ5SGDLEER7SJJOO754CSWM7HBY5A";
        assert_eq!(tables.host_label(host), "aged-sunset-0616");
        assert!(
            tables.instances_of("hello_app-hello") > 0,
            "{:?}",
            tables.component_rows().collect::<Vec<_>>()
        );
        assert!(!tables.links.is_empty());
        let app = tables
            .apps
            .iter()
            .find(|a| a.name == "hello-app")
            .expect("the app");
        assert_eq!(app.status, Some(AppStatus::Deployed));
        assert!(!tables.events.is_empty());
        // The pretty renderer's words, never a raw status row.
        assert!(tables.events.iter().all(|e| !e.text.contains("data=")));
        assert!(tables
            .events
            .iter()
            .any(|e| e.text.contains("hello-app") && e.text.contains("deployed")));
    }

    /// An event changes a row between heartbeats; the next heartbeat, unchanged for lattice
    /// memory, still puts the row back to what the host says.
    #[test]
    fn an_unchanged_heartbeat_still_reconciles_a_row_an_event_changed() {
        let mut pipeline = top_pipeline(&["latwatch", "top"]);
        let heartbeat = |id: &str| {
            format!(
                r#"{{"specversion":"1.0","id":"{id}","type":"com.wasmcloud.lattice.host_heartbeat","source":"NHOST","data":{{"host_id":"NHOST","friendly_name":"h","components":[{{"id":"c","image_ref":"i","max_instances":2}}],"providers":[]}}}}"#
            )
        };
        let scaled = r#"{"specversion":"1.0","id":"s","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","data":{"component_id":"c","host_id":"NHOST","max_instances":4}}"#;
        let subject = "wasmbus.evt.default.host_heartbeat";
        feed(&mut pipeline, subject, &heartbeat("h1"));
        feed(&mut pipeline, subject, &heartbeat("h2"));
        feed(
            &mut pipeline,
            "wasmbus.evt.default.component_scaled",
            scaled,
        );
        let instances = |p: &Pipeline| p.state().tables.as_ref().expect("tables").instances_of("c");
        assert_eq!(instances(&pipeline), 4);
        feed(&mut pipeline, subject, &heartbeat("h3"));
        assert_eq!(instances(&pipeline), 2);
    }

    #[test]
    fn legacy_events_published_twice_are_taken_once() {
        let mut pipeline = top_pipeline(&["latwatch", "--legacy", "top"]);
        let event = r#"{"specversion":"1.0","id":"same-id","type":"com.wasmcloud.lattice.component_scaled","source":"NHOST","data":{"component_id":"twice","host_id":"NHOST","max_instances":3}}"#;
        feed(&mut pipeline, "wasmbus.evt.default", event);
        feed(&mut pipeline, "wasmbus.evt.default.component_scaled", event);
        let tables = pipeline.state().tables.as_ref().expect("tables");
        assert_eq!(tables.events.len(), 1, "{:?}", tables.events);
        assert_eq!(tables.instances_of("twice"), 3);
    }
}
