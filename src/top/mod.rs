//! `latwatch top`: the lattice as a live table, rebuilt from events.
//!
//! At start (and after every reconnect) it asks what exists with the control interface's
//! read-only requests (`host.ping` gathered for a moment, `host.get` per host, `link.get`) and
//! wadm's status (`source::wadm::learn`); from then on every event changes the model
//! (`model.rs`): never a periodic re-poll. Lattice memory names hosts and notices silent ones,
//! application memory follows wadm. `view.rs` draws it with ratatui; a frame is drawn only when
//! something changed (or once a second, for the ages), at most ten a second.
//!
//! The terminal is put back by `ratatui::restore` on every way out: `q`, Ctrl-C, SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT (exit 0, 0, 129, 131), an error, and a panic (ratatui's hook).

pub mod model;
pub mod view;

use std::time::Duration;

use anyhow::{Context as _, Result};
use async_nats::Client;
use chrono::Utc;
use futures_util::{FutureExt as _, StreamExt};
use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use tokio::sync::mpsc;

use crate::apps::wire::WadmSubject;
use crate::apps::{Apps, Seed};
use crate::config::{Config, NatsConfig, SourceConfig};
use crate::event::{decode_app_status, decode_with_data, RawMessage, Received};
use crate::exit_codes::ExitCode;
use crate::filter::notes::Note;
use crate::lattice::Lattice;
use crate::render::{Pretty, Renderer};
use crate::source::{nats, wadm};
use model::{ctl_response, EventLine, Model};
use view::{Header, RowFilter, Ui, PANES};

/// How long one control request is waited for.
const ASK: Duration = Duration::from_secs(2);
/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(100);

/// What the control interface and wadm said at one seeding.
#[derive(Default)]
struct Seeded {
    hosts: Vec<(serde_json::Value, String)>,
    inventories: Vec<(String, serde_json::Value, String)>,
    links: Option<(serde_json::Value, String)>,
    apps: Vec<Seed>,
}

/// Runs `latwatch top` until the user quits. The caller checked stdout is a terminal.
pub fn run(config: Config) -> Result<ExitCode> {
    let SourceConfig::Nats(nats) = config.source else {
        anyhow::bail!("latwatch top watches a live lattice; --input replays a capture as lines");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(watch(config.stages, *nats))
}

async fn watch(stages: crate::config::Stages, config: NatsConfig) -> Result<ExitCode> {
    let (notices_tx, mut notices) = mpsc::unbounded_channel();
    // Connecting happens before the terminal is taken: an error reads as the watcher's do.
    let (client, server) = nats::connect_for_top(&config, notices_tx).await?;
    let mut subscribers = Vec::new();
    for subject in config.subjects.iter().chain(&config.app_subjects) {
        subscribers.push(
            client
                .subscribe(subject.clone())
                .await
                .with_context(|| format!("cannot subscribe to {subject} on {server}"))?,
        );
    }
    let mut messages = futures_util::stream::select_all(subscribers);
    client
        .flush()
        .await
        .with_context(|| format!("the server at {server} did not confirm the subscription"))?;

    // Taken before the terminal is: from here on a signal ends the loop, which restores it.
    let mut signals = Signals::new()?;
    let (keys_tx, mut keys) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(event) = ratatui::crossterm::event::read() {
            if keys_tx.send(event).is_err() {
                break;
            }
        }
    });
    let mut terminal = ratatui::init();
    let pretty = match &stages.renderer {
        Renderer::Pretty(pretty) => pretty.clone(),
        _ => Pretty {
            palette: None,
            utc: false,
            full_ids: false,
            lattice_width: None,
            subjects: Default::default(),
            offset: Default::default(),
            heartbeats: false,
        },
    };
    let mut ui = Ui {
        color: pretty.palette.is_some(),
        ..Ui::default()
    };
    let lines = Pretty {
        palette: None,
        heartbeats: true,
        ..pretty
    };
    let flags = RowFilter {
        hosts: stages.filter.hosts.to_vec(),
        components: stages.filter.components.to_vec(),
        providers: stages.filter.providers.to_vec(),
        apps: stages.filter.apps.clone(),
    };
    let mut header = Header {
        server: server.clone(),
        lattice: config.lattices.join(","),
        state: "connected; asking the lattice what exists…".into(),
        rate: 0.0,
    };
    let mut model = Model::default();
    let mut lattice = Lattice::default();
    let mut apps = Apps::new(stages.subjects.clone());
    let (seeded_tx, mut seeded) = mpsc::unbounded_channel();
    tokio::spawn(seed(client.clone(), config.clone(), seeded_tx.clone()));
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = true;
    let mut was_down = false;
    let mut rate_from = (std::time::Instant::now(), 0u64);
    let outcome: Result<ExitCode> = loop {
        tokio::select! {
            code = signals.recv() => break Ok(code),
            Some(key) = keys.recv() => {
                match key {
                    TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
                        let now = Utc::now();
                        if handle_key(key, &mut ui, &model, &flags, now) {
                            break Ok(ExitCode::Success);
                        }
                    }
                    _ => {}
                }
                dirty = true;
            }
            Some(message) = messages.next() => {
                let now = Utc::now();
                let mut engine = Engine {
                    model: &mut model,
                    lattice: &mut lattice,
                    apps: &mut apps,
                    filter: &stages.filter,
                    lines: &lines,
                };
                engine.take(message.subject.as_str(), &message.payload, now);
                // Take whatever else is already here before drawing, for a frame's time at most:
                // an expensive `--filter` (each event up to its budget) must not keep keys and
                // signals waiting behind a queue of events.
                let draining = std::time::Instant::now();
                while draining.elapsed() < FRAME {
                    let Some(Some(message)) = messages.next().now_or_never() else {
                        break;
                    };
                    engine.take(message.subject.as_str(), &message.payload, now);
                }
                dirty = true;
            }
            Some(seed) = seeded.recv() => {
                apply(seed, &mut model, &mut lattice, &mut apps, Utc::now());
                header.state = "live".into();
                dirty = true;
            }
            Some(notice) = notices.recv() => {
                match notice {
                    async_nats::Event::Disconnected => {
                        header.state = "DISCONNECTED: reconnecting…".into();
                        was_down = true;
                    }
                    // The first connection says "connected" too: only a reconnect asks again.
                    async_nats::Event::Connected if was_down => {
                        was_down = false;
                        header.state = "reconnected: asking the lattice again…".into();
                        tokio::spawn(seed(client.clone(), config.clone(), seeded_tx.clone()));
                    }
                    _ => {}
                }
                dirty = true;
            }
            _ = second.tick() => {
                let now = Utc::now();
                for silence in lattice.tick(now) {
                    model.silent(&silence.host_id);
                }
                let (since, received) = rate_from;
                let elapsed = since.elapsed().as_secs_f64();
                if elapsed > 0.0 {
                    header.rate = (model.received - received) as f64 / elapsed;
                }
                rate_from = (std::time::Instant::now(), model.received);
                dirty = true; // ages move
            }
            _ = frame.tick(), if dirty => {
                dirty = false;
                let now = Utc::now();
                if let Err(err) = terminal.draw(|frame| view::draw(frame, &model, &mut ui, &header, &flags, now)) {
                    break Err(err.into());
                }
            }
        }
    };
    ratatui::restore();
    outcome
}

/// The signals that end `latwatch top`, each through the loop's end, which restores the
/// terminal: SIGINT (raw mode makes Ctrl-C a key, but `kill -INT` is still a signal) and SIGTERM
/// exit 0, SIGHUP 129, SIGQUIT 131.
struct Signals {
    #[cfg(unix)]
    kinds: Vec<(tokio::signal::unix::Signal, ExitCode)>,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut kinds = Vec::new();
            for (kind, code) in [
                (SignalKind::interrupt(), ExitCode::Success),
                (SignalKind::terminate(), ExitCode::Success),
                (SignalKind::hangup(), ExitCode::HungUp),
                (SignalKind::quit(), ExitCode::Quit),
            ] {
                kinds.push((signal(kind)?, code));
            }
            Ok(Signals { kinds })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// The exit code of the next signal.
    async fn recv(&mut self) -> ExitCode {
        #[cfg(unix)]
        {
            let waits = self.kinds.iter_mut().map(|(signal, code)| {
                let code = *code;
                Box::pin(async move {
                    signal.recv().await;
                    code
                })
            });
            futures_util::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::Success
        }
    }
}

/// What one message goes through in `latwatch top`: borrowed parts, so the benchmark
/// (`benches/top.rs`) measures the very path the view runs.
pub struct Engine<'a> {
    pub model: &'a mut Model,
    pub lattice: &'a mut Lattice,
    pub apps: &'a mut Apps,
    pub filter: &'a crate::filter::Filter,
    pub lines: &'a Pretty,
}

impl Engine<'_> {
    /// One message, received at `now`, into the model, lattice and application memory, and the
    /// events pane.
    pub fn take(&mut self, subject: &str, payload: &[u8], now: chrono::DateTime<Utc>) {
        let Engine {
            model,
            lattice,
            apps,
            filter,
            lines,
        } = self;
        let raw = RawMessage {
            subject: Some(subject),
            payload,
            received: Received::Live(now),
        };
        let event = match apps.subjects().wadm(subject) {
            Some(WadmSubject::Status { .. }) => decode_app_status(raw),
            _ => decode_with_data(raw),
        };
        let mut event = event;
        let mut facts = lattice.observe(&event, now);
        let observed = apps.observe(&event, now);
        if let Some(problem) = observed.problem {
            event.problems.push(crate::event::Problem::NotWadm(problem));
        }
        let changed_app = observed.app.as_ref().is_some_and(|a| a.change.is_some());
        // As the line output: a repeated status or a retry within a failure shows nothing.
        facts.quiet |= observed.quiet;
        facts.app = observed.app;
        model.observe(&event, now);
        if changed_app
            || event
                .kind
                .known()
                .is_some_and(crate::event::kind::KindId::is_wadm)
        {
            model.apps = shown_apps(apps);
        }
        let app = facts.app.as_ref().map(|a| a.name.as_ref());
        let mut notes: Vec<Note> = Vec::new();
        if !filter.keeps(&event, lattice, app, &mut notes) || facts.quiet {
            return;
        }
        let mut text = Vec::new();
        if lines.render(&event, &facts, &mut text).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&text).trim_end().to_owned();
        let severity = facts
            .app
            .as_ref()
            .and_then(|a| a.change.as_ref())
            .map_or(event.kind.severity(), |c| c.severity());
        model.push_event(EventLine {
            text,
            severity,
            source: std::str::from_utf8(payload).map_or(String::new(), model::kept),
        });
    }
}

/// The applications pane's rows: a deleted application leaves it.
fn shown_apps(apps: &Apps) -> Vec<crate::apps::AppRow> {
    apps.rows().into_iter().filter(|row| !row.deleted).collect()
}

/// What a seeding learned, into the model and memories.
fn apply(
    seeded: Seeded,
    model: &mut Model,
    lattice: &mut Lattice,
    apps: &mut Apps,
    now: chrono::DateTime<Utc>,
) {
    for (response, source) in &seeded.hosts {
        model.seed_host(response, source, now);
        lattice.seed_host(response, now);
    }
    for (host, response, _) in &seeded.inventories {
        model.seed_inventory(host, response);
    }
    if let Some((response, source)) = &seeded.links {
        model.seed_links(response, source);
    }
    for seed in &seeded.apps {
        apps.seed(seed);
    }
    model.apps = shown_apps(apps);
}

/// Asks the lattice what exists: read-only requests only.
async fn seed(client: Client, config: NatsConfig, done: mpsc::UnboundedSender<Seeded>) {
    let mut seeded = Seeded::default();
    for lattice in config.lattices.iter().filter(|l| *l != "*") {
        let prefix = format!("wasmbus.ctl.v1.{lattice}");
        for (payload, source) in gather(&client, format!("{prefix}.host.ping")).await {
            if let Some(response) = ctl_response(&payload) {
                seeded.hosts.push((response, source));
            }
        }
        let ids: Vec<String> = seeded
            .hosts
            .iter()
            .filter_map(|(r, _)| r.get("id").and_then(|v| v.as_str()).map(str::to_owned))
            .collect();
        for id in ids {
            if let Some((payload, source)) = ask(&client, format!("{prefix}.host.get.{id}")).await {
                if let Some(response) = ctl_response(&payload) {
                    seeded.inventories.push((id, response, source));
                }
            }
        }
        if let Some((payload, source)) = ask(&client, format!("{prefix}.link.get")).await {
            if let Some(response) = ctl_response(&payload) {
                seeded.links = Some((response, source));
            }
        }
    }
    if config.watches_apps() {
        seeded.apps = wadm::learn(client.clone(), &config).await.seeds;
    }
    let _ = done.send(seeded);
}

/// Every reply to `subject` within [`crate::source::ctl::GATHER`] (host.ping: every host
/// answers).
async fn gather(client: &Client, subject: String) -> Vec<(Vec<u8>, String)> {
    let (each, mut replies) = mpsc::unbounded_channel();
    crate::source::ctl::gather_each(client, subject, &each).await;
    drop(each);
    let mut gathered = Vec::new();
    while let Some(reply) = replies.recv().await {
        gathered.push(reply);
    }
    gathered
}

/// One request, one reply within [`ASK`].
async fn ask(client: &Client, subject: String) -> Option<(Vec<u8>, String)> {
    let reply = tokio::time::timeout(ASK, client.request(subject, "".into()))
        .await
        .ok()?
        .ok()?;
    let source = String::from_utf8_lossy(&reply.payload).into_owned();
    Some((reply.payload.to_vec(), source))
}

/// One key. True when it ends the view.
fn handle_key(
    key: KeyEvent,
    ui: &mut Ui,
    model: &Model,
    flags: &RowFilter,
    now: chrono::DateTime<Utc>,
) -> bool {
    let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
    if ctrl_c {
        return true;
    }
    if ui.editing {
        let filter = &mut ui.filters[ui.focus];
        match key.code {
            KeyCode::Enter => ui.editing = false,
            KeyCode::Esc => {
                filter.clear();
                ui.editing = false;
            }
            KeyCode::Backspace => {
                filter.pop();
            }
            KeyCode::Char(c) if filter.chars().count() < 64 => filter.push(c),
            _ => {}
        }
        ui.selected[ui.focus] = 0;
        return false;
    }
    if ui.details.is_some() {
        match key.code {
            KeyCode::Esc | KeyCode::Enter => {
                ui.details = None;
                ui.details_scroll = 0;
            }
            KeyCode::Char('q') => return true,
            KeyCode::Down => ui.details_scroll = ui.details_scroll.saturating_add(1),
            KeyCode::Up => ui.details_scroll = ui.details_scroll.saturating_sub(1),
            KeyCode::PageDown => ui.details_scroll = ui.details_scroll.saturating_add(10),
            KeyCode::PageUp => ui.details_scroll = ui.details_scroll.saturating_sub(10),
            _ => {}
        }
        return false;
    }
    let count = view::row_count(model, ui, flags, now);
    if ui.focused() == view::Pane::Events {
        match key.code {
            KeyCode::Up | KeyCode::PageUp | KeyCode::Home => ui.scrolled_back = true,
            KeyCode::End => ui.scrolled_back = false,
            KeyCode::Down | KeyCode::PageDown => {
                let step = if key.code == KeyCode::Down { 1 } else { 10 };
                if ui.selected[ui.focus] + step >= count.saturating_sub(1) {
                    ui.scrolled_back = false;
                }
            }
            _ => {}
        }
    }
    let selected = &mut ui.selected[ui.focus];
    match key.code {
        KeyCode::Char('q') => return true,
        // Back, never out: clears the focused pane's filter, else every filter.
        KeyCode::Esc => match ui.filters[ui.focus].is_empty() {
            false => ui.filters[ui.focus].clear(),
            true => ui.filters.iter_mut().for_each(String::clear),
        },
        KeyCode::Char('?') => {
            ui.details = Some(("keys".to_owned(), view::KEYS.to_owned()));
            ui.details_scroll = 0;
        }
        KeyCode::Tab => ui.focus = (ui.focus + 1) % PANES.len(),
        KeyCode::BackTab => ui.focus = (ui.focus + PANES.len() - 1) % PANES.len(),
        KeyCode::Down => *selected = (*selected + 1).min(count.saturating_sub(1)),
        KeyCode::Up => *selected = selected.saturating_sub(1),
        KeyCode::PageDown => *selected = (*selected + 10).min(count.saturating_sub(1)),
        KeyCode::PageUp => *selected = selected.saturating_sub(10),
        KeyCode::Home => *selected = 0,
        KeyCode::End => *selected = count.saturating_sub(1),
        KeyCode::Char('/') => ui.editing = true,
        KeyCode::Char('p') => {
            ui.paused = match ui.paused.take() {
                Some(_) => None,
                None => Some(model.events.iter().cloned().collect()),
            }
        }
        KeyCode::Enter => ui.details = view::selected_source(model, ui, flags, now),
        _ => {}
    }
    false
}
