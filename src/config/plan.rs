//! The plan: what each stage must do, decided once from the flags ([`Plan`], [`AppsPlan`]).
//! The pipeline and the sources consume it and re-derive nothing.

use crate::cli::{Cli, Output};
use crate::filter::{Filter, Prefilter, TypePattern};
use crate::render::Renderer;
use crate::until::Until;

/// What each stage must do, decided once from the flags. The pipeline and the sources consume it
/// and re-derive nothing; `config.rs`'s tests pin the rules.
#[derive(Debug)]
pub struct Plan {
    /// `--host`/`--until-host`: host names are learned from the stream, so events must arrive in
    /// order (one wildcard subscription, never one per type).
    pub learn_names: bool,
    /// Keep lattice memory: pretty and jsonl output use it, and learning names needs it. `--json`
    /// skips it, even with `--summary` (a few hash lookups per event were a fifth of `--json`'s
    /// budget flat out).
    pub remember: bool,
    /// Every event's `data` is read by some stage (memory, id filters, `--until-*` ids): read it
    /// in the envelope pass, not in a second one.
    pub read_data: bool,
    /// The byte pre-check before decoding: only when every `--type` is an exact name and no stage
    /// must see every event (names, `--summary`'s counts, `--until-*`, `--record`).
    pub prefilter: Option<Prefilter>,
    /// Show each CloudEvent id once (`--legacy`: 0.81–0.82 hosts publish every event twice;
    /// `--since`/`--last`: an event may come both from the replay and live at the seam).
    pub dedupe: bool,
    /// The types the server may narrow the subscription to (empty: the wildcard).
    pub subscribed_types: Vec<TypePattern>,
    /// What is done about wadm applications.
    pub apps: AppsPlan,
    /// Keep the rows a view draws (`state::tables`) and send event lines to its events pane
    /// instead of stdout: `latwatch top`.
    pub tables: bool,
}

/// What is done about wadm applications, decided once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppsPlan {
    /// Keep application memory: attribute events to applications, follow their status
    /// (pretty and jsonl output, `--app`, `--until-app`; never with `--no-apps`).
    pub memory: bool,
    /// Subscribe to wadm's subjects and learn every application's status at startup.
    pub watch: bool,
    /// Print wadm's messages (pretty output; `--apps` or `--app` in the JSON formats).
    pub show: bool,
}

impl AppsPlan {
    pub(super) fn new(cli: &Cli, output: Output, remember: bool) -> AppsPlan {
        if cli.no_apps {
            return AppsPlan::default();
        }
        let asked = cli.apps || !cli.app.is_empty();
        let show = asked || output == Output::Pretty;
        let watch = show || !cli.until_app.is_empty();
        AppsPlan {
            memory: remember || watch,
            watch,
            show,
        }
    }
}

impl Plan {
    pub(super) fn new(
        filter: &Filter,
        until: Option<&Until>,
        renderer: &Renderer,
        summary: bool,
        record: bool,
        dedupe: bool,
        apps: impl FnOnce(bool) -> AppsPlan,
    ) -> Plan {
        let learn_names = filter.needs_host_names() || until.is_some_and(Until::needs_host_names);
        let remember = learn_names || !matches!(renderer, Renderer::Json);
        let sees_all = learn_names || summary || until.is_some() || record;
        // What the server may leave out: only what no stage wants. `--record` wants everything;
        // `--until-*` and `--fail-on` want their kinds too.
        let subscribed_types = match until {
            _ if record => Vec::new(),
            Some(until) if !filter.include.is_empty() => {
                let target = until.target.as_ref().map(|t| t.include.as_slice());
                let failure = until.failure.as_ref().map(|f| f.include.as_slice());
                if target.is_some_and(<[_]>::is_empty) {
                    Vec::new()
                } else {
                    let extra = target.into_iter().chain(failure).flatten();
                    filter.include.iter().chain(extra).cloned().collect()
                }
            }
            _ => filter.include.clone(),
        };
        let apps = apps(remember);
        Plan {
            learn_names,
            remember,
            read_data: remember
                || apps.memory
                || filter.reads_data()
                || until.is_some_and(Until::reads_data),
            prefilter: Prefilter::new(&filter.include).filter(|_| !sees_all),
            dedupe,
            subscribed_types,
            apps,
            tables: false,
        }
    }
}
