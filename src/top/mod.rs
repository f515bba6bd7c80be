//! `latwatch top`: the lattice as live tables, one view of the one state.
//!
//! `top` runs the watcher's own live driver (`source::nats::run`) and pipeline, with gaps, fills,
//! dedupe (`--legacy`), loss counting and the byte-bounded intake alike; its plan
//! (`Plan::tables`, decided in `Config`) keeps the rows it draws in the state
//! (`state::tables`) and sends the pretty lines to its events pane instead of stdout. At start
//! and after every gap the driver asks the control interface what exists (`host.ping`,
//! `host.get` per host, `link.get`: read-only) and wadm's statuses, beside the stream; from then on
//! every event changes the state: never a periodic re-poll. This module is the [`View`]: keys,
//! signals and frames. `view.rs` draws with ratatui; a frame is drawn only when something
//! changed (or once a second, for the ages), at most ten a second. Status lines (reconnects,
//! losses) are captured while the terminal is taken and shown in the header.
//!
//! The terminal is put back by `ratatui::restore` on every way out: `q`, Ctrl-C, SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT (exit 0, 0, 129, 131), an error, and a panic (ratatui's hook).

pub mod view;

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Utc;
use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::config::{Config, SourceConfig};
use crate::exit_codes::ExitCode;
use crate::output::{Sink, Status};
use crate::pipeline::Pipeline;
use crate::source::nats::{self, View};
use crate::source::Limits;
use crate::state::tables::Tables;
use view::{Header, RowFilter, Ui, PANES};

/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(100);
/// How long a warning (a reconnect, lost events) stays in the header.
const WARNING_SHOWN: Duration = Duration::from_secs(30);

/// Runs `latwatch top` until the user quits. The caller checked stdout is a terminal.
pub fn run(config: Config) -> Result<ExitCode> {
    let SourceConfig::Nats(nats) = config.source else {
        anyhow::bail!("latwatch top watches a live lattice; --input replays a capture as lines");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let status = Status {
        quiet: config.quiet,
    };
    let flags = RowFilter {
        hosts: config.stages.filter.hosts.to_vec(),
        components: config.stages.filter.components.to_vec(),
        providers: config.stages.filter.providers.to_vec(),
        apps: config.stages.filter.apps.clone(),
    };
    let mut top = Top {
        terminal: None,
        keys: None,
        signals: None,
        frame: None,
        ui: Ui {
            color: config.top_color.unwrap_or(false),
            workloads: config.stages.workloads,
            ..Ui::default()
        },
        flags,
        header: Header {
            server: nats::shown_servers(&nats),
            lattice: nats.lattices.join(","),
            state: "connected; asking the lattice what exists…".into(),
            rate: 0.0,
            losses: String::new(),
            said: None,
        },
        warning: None,
        drawn: None,
        rate_from: (Instant::now(), 0),
        exit: ExitCode::Success,
    };
    // The pipeline's lines go to the events pane: nothing is written to stdout but the frames.
    let mut pipeline = Pipeline::new(config.stages, Sink::none(), status);
    let ran = runtime.block_on(nats::run(
        &nats,
        &mut pipeline,
        None,
        status,
        Limits::default(),
        std::future::pending(),
        &mut top,
    ));
    if top.terminal.take().is_some() {
        ratatui::restore();
    }
    Status::release();
    ran?;
    Ok(top.exit)
}

/// The view's state beside the pipeline's.
struct Top {
    /// Taken once the subscriptions are confirmed ([`View::started`]).
    terminal: Option<DefaultTerminal>,
    keys: Option<mpsc::UnboundedReceiver<TermEvent>>,
    signals: Option<Signals>,
    /// Made with the terminal, on the runtime.
    frame: Option<tokio::time::Interval>,
    ui: Ui,
    flags: RowFilter,
    header: Header,
    /// The newest warning said (a disconnect, lost events), and when.
    warning: Option<(String, Instant)>,
    /// What the last frame showed: (messages received, when), to draw only on change.
    drawn: Option<(u64, Instant)>,
    rate_from: (Instant, u64),
    exit: ExitCode,
}

/// What the view reacts to.
pub enum Input {
    Key(TermEvent),
    Signal(ExitCode),
    Frame,
}

impl View for Top {
    type Input = Input;

    fn started(&mut self) -> Result<()> {
        // Taken before the terminal is: from here on a signal ends the run, which restores it.
        self.signals = Some(Signals::new()?);
        let (keys_tx, keys) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            while let Ok(event) = ratatui::crossterm::event::read() {
                if keys_tx.send(event).is_err() {
                    break;
                }
            }
        });
        self.keys = Some(keys);
        let mut frame = tokio::time::interval(FRAME);
        frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        self.frame = Some(frame);
        Status::capture();
        self.terminal = Some(ratatui::init());
        Ok(())
    }

    async fn input(&mut self) -> Input {
        let (Some(keys), Some(signals), Some(frame)) =
            (&mut self.keys, &mut self.signals, &mut self.frame)
        else {
            return std::future::pending().await;
        };
        tokio::select! {
            code = signals.recv() => Input::Signal(code),
            Some(key) = keys.recv() => Input::Key(key),
            _ = frame.tick() => Input::Frame,
        }
    }

    fn act(&mut self, input: Input, pipeline: &Pipeline) -> Result<bool> {
        let Some(tables) = &pipeline.state().tables else {
            return Ok(false);
        };
        match input {
            Input::Signal(code) => {
                self.exit = code;
                return Ok(false);
            }
            Input::Key(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                if handle_key(key, &mut self.ui, tables, &self.flags, Utc::now()) {
                    return Ok(false);
                }
                self.drawn = None;
            }
            Input::Key(_) => self.drawn = None,
            Input::Frame => {}
        }
        self.draw(pipeline, tables)?;
        Ok(true)
    }
}

impl Top {
    /// A frame, when something changed or a second passed (the ages move).
    fn draw(&mut self, pipeline: &Pipeline, tables: &Tables) -> Result<()> {
        let received = pipeline.received();
        let captured = Status::captured();
        let fresh = self
            .drawn
            .is_some_and(|(seen, at)| seen == received && at.elapsed() < Duration::from_secs(1));
        if fresh && captured.is_empty() {
            return Ok(());
        }
        for line in captured {
            let line = line.strip_prefix("latwatch: ").unwrap_or(&line).to_owned();
            if line.starts_with("warning: ") || line.starts_with("error: ") {
                self.warning = Some((line, Instant::now()));
            }
        }
        // A disconnect holds the header until the next word; any other warning takes the keys
        // line for a while.
        let (state, said) = match &self.warning {
            Some((text, _)) if text.starts_with("warning: disconnected from") => {
                ("DISCONNECTED: reconnecting", Some(text.clone()))
            }
            Some((text, at)) if at.elapsed() < WARNING_SHOWN => ("live", Some(text.clone())),
            _ => ("live", None),
        };
        self.header.state = state.to_owned();
        self.header.said = said;
        let counts = pipeline.counts();
        self.header.losses = match counts.gaps {
            0 => String::new(),
            gaps => format!(
                "{gaps} gaps, {} events lost, {} filled",
                counts.lost, counts.filled
            ),
        };
        let (since, before) = self.rate_from;
        if since.elapsed() >= Duration::from_secs(1) {
            self.header.rate = (received - before) as f64 / since.elapsed().as_secs_f64();
            self.rate_from = (Instant::now(), received);
        }
        let now = Utc::now();
        if let Some(terminal) = &mut self.terminal {
            let (ui, header, flags) = (&mut self.ui, &self.header, &self.flags);
            terminal.draw(|frame| view::draw(frame, tables, ui, header, flags, now))?;
        }
        self.drawn = Some((received, Instant::now()));
        Ok(())
    }
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

/// One key. True when it ends the view.
fn handle_key(
    key: KeyEvent,
    ui: &mut Ui,
    model: &Tables,
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
        // The workloads pane is there with --workloads only.
        KeyCode::Tab => {
            ui.focus = (ui.focus + 1) % PANES.len();
            if PANES[ui.focus] == view::Pane::Workloads && !ui.workloads {
                ui.focus = (ui.focus + 1) % PANES.len();
            }
        }
        KeyCode::BackTab => {
            ui.focus = (ui.focus + PANES.len() - 1) % PANES.len();
            if PANES[ui.focus] == view::Pane::Workloads && !ui.workloads {
                ui.focus = (ui.focus + PANES.len() - 1) % PANES.len();
            }
        }
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
