//! Drawing `latwatch top` with ratatui: a header, five panes (hosts, components, providers,
//! links, applications) and the newest events, in any terminal of at least 40×12. Every string
//! from the lattice is escaped (`text::escape_untrusted`) and cut to its column, never wrapped.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::event::Severity;
use crate::filter::{AppPattern, IdMatcher};
use crate::state::tables::Tables;
use crate::text::{escape_untrusted, truncate};

/// The smallest terminal the view draws in.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// No cell shows more characters than this.
const CELL_CHARS: usize = 80;

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Hosts,
    Components,
    Providers,
    Links,
    Apps,
    /// wasmCloud 2 workloads (`--workloads`; skipped by Tab without it).
    Workloads,
    Events,
}

pub const PANES: [Pane; 7] = [
    Pane::Hosts,
    Pane::Components,
    Pane::Providers,
    Pane::Links,
    Pane::Apps,
    Pane::Workloads,
    Pane::Events,
];

impl Pane {
    fn index(self) -> usize {
        PANES.iter().position(|p| *p == self).unwrap_or(0)
    }

    fn title(self) -> &'static str {
        match self {
            Pane::Hosts => "hosts",
            Pane::Components => "components",
            Pane::Providers => "providers",
            Pane::Links => "links",
            Pane::Apps => "applications",
            Pane::Workloads => "workloads",
            Pane::Events => "events",
        }
    }
}

/// The `--host`, `--component`, `--provider` and `--app` flags, applied to rows.
#[derive(Debug, Default)]
pub struct RowFilter {
    pub hosts: Vec<IdMatcher>,
    pub components: Vec<IdMatcher>,
    pub providers: Vec<IdMatcher>,
    pub apps: Vec<AppPattern>,
}

impl RowFilter {
    fn host(&self, id: &str, name: Option<&str>) -> bool {
        self.hosts.is_empty()
            || self
                .hosts
                .iter()
                .any(|m| m.matches_text(id) || name.is_some_and(|n| m.matches_text(n)))
    }

    fn app(&self, app: Option<&str>) -> bool {
        self.apps.is_empty() || app.is_some_and(|a| self.apps.iter().any(|p| p.matches(a)))
    }

    fn narrows(&self) -> bool {
        !(self.hosts.is_empty()
            && self.components.is_empty()
            && self.providers.is_empty()
            && self.apps.is_empty())
    }

    /// The ids of the components and providers whose rows the flags keep: a link is shown when
    /// its source or target is one of them (`None`: no flag narrows, every link is shown).
    fn kept_ids<'m>(&self, model: &'m Tables) -> Option<HashSet<&'m str>> {
        if !self.narrows() {
            return None;
        }
        let host = |id: &str| self.host(id, model.hosts.get(id).and_then(|h| h.name.as_deref()));
        let mut kept: HashSet<&str> = HashSet::new();
        for (id, host_id, row) in model.component_rows() {
            let named = self.components.is_empty() && self.providers.is_empty()
                || self.components.iter().any(|m| m.matches_text(id));
            if named && self.app(row.app.as_deref()) && host(host_id) {
                kept.insert(id);
            }
        }
        for ((id, host_id), row) in &model.providers {
            let named = self.components.is_empty() && self.providers.is_empty()
                || self.providers.iter().any(|m| m.matches_text(id));
            if named && self.app(row.app.as_deref()) && host(host_id) {
                kept.insert(id);
            }
        }
        Some(kept)
    }
}

/// What the keys changed: focus, selection, filters, details, pause.
#[derive(Debug, Default)]
pub struct Ui {
    pub focus: usize,
    pub selected: [usize; 7],
    pub filters: [String; 7],
    /// Typing into the focused pane's filter.
    pub editing: bool,
    /// The details view: a title and the JSON shown.
    pub details: Option<(String, String)>,
    pub details_scroll: u16,
    /// The events pane is paused: it shows the first this many events of the model's ring
    /// (counted from the model's total received, see `Tables::events`).
    pub paused: Option<Vec<crate::state::tables::EventLine>>,
    /// The events pane was scrolled back: it stays on the chosen line instead of following the
    /// newest (End follows again).
    pub scrolled_back: bool,
    pub color: bool,
    /// `--workloads`: the workloads pane is shown (and Tab stops there).
    pub workloads: bool,
}

impl Ui {
    pub fn focused(&self) -> Pane {
        PANES[self.focus % PANES.len()]
    }
}

/// What the header says beside the model's counts.
#[derive(Debug, Default, Clone)]
pub struct Header {
    pub server: String,
    pub lattice: String,
    pub state: String,
    pub rate: f64,
    /// Gaps and the events lost and filled in them, when there were any.
    pub losses: String,
    /// A recent warning (lost events, an unfilled gap), shown instead of the keys line for a
    /// while; `?` still shows the keys.
    pub said: Option<String>,
}

/// One row of a pane: its cells, its style, and the JSON it came from.
pub struct PaneRow {
    pub cells: Vec<String>,
    pub severity: Option<Severity>,
    pub source: String,
}

/// An application's message is shortened to this before it is escaped for a row (a hostile
/// message may be megabytes), then to its column.
const MESSAGE_KEPT: usize = 1024;

fn cell(text: &str) -> String {
    truncate(&escape_untrusted(text), CELL_CHARS).into_owned()
}

/// An application's name: escaped as names are (`text::escape_name`: a name mixing look-alike
/// scripts shows their code points), then cut.
fn name_cell(name: &str) -> String {
    truncate(&crate::text::escape_name(name), CELL_CHARS).into_owned()
}

fn age(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match at {
        Some(at) => format!("{}s", (now - at).num_seconds().max(0)),
        None => "-".to_owned(),
    }
}

fn uptime(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m", seconds / 60),
        3600..=86_399 => format!("{}h{}m", seconds / 3600, seconds / 60 % 60),
        _ => format!("{}d{}h", seconds / 86_400, seconds / 3600 % 24),
    }
}

/// The rows of a pane from `start`, at most `len` of them, with its header cells and how many
/// there are in all, filtered by the flags and the pane's text filter. Only the rows shown are
/// made into text (a lattice of 100,000 components draws 50 rows a frame, not 100,000), unless
/// a text filter must read them all.
pub fn rows(
    pane: Pane,
    model: &Tables,
    ui: &Ui,
    flags: &RowFilter,
    now: DateTime<Utc>,
    start: usize,
    len: usize,
) -> (Vec<&'static str>, usize, Vec<PaneRow>) {
    let filter = ui.filters[pane.index()].to_lowercase();
    let (filter, start, len) = (filter.as_str(), start, len);
    let unnarrowed = |count: usize, narrowed: bool| (!narrowed).then_some(count);
    match pane {
        Pane::Hosts => window(
            vec!["host", "version", "uptime", "heartbeat", "labels"],
            || {
                model
                    .hosts
                    .iter()
                    .filter(|(id, h)| flags.host(id, h.name.as_deref()))
            },
            |(id, host)| {
                let name = host.name.clone().unwrap_or_else(|| id.clone());
                let mut labels: Vec<String> = host
                    .labels
                    .iter()
                    .filter(|(k, _)| !k.starts_with("hostcore."))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                // A wasmCloud 2 host has counts, not component rows: they go beside its labels.
                if let Some(v2) = &host.v2 {
                    labels.push(format!(
                        "workloads={} components={} host={}",
                        v2.workloads, v2.components, v2.hostname
                    ));
                }
                let heartbeat = match host.silent {
                    true => format!("SILENT {}", age(host.last_heartbeat, now)),
                    false => age(host.last_heartbeat, now),
                };
                PaneRow {
                    cells: vec![
                        cell(&name),
                        cell(host.version.as_deref().unwrap_or("-")),
                        host.uptime
                            .map(|(s, at)| uptime(s + (now - at).num_seconds().max(0) as u64))
                            .unwrap_or_else(|| "-".into()),
                        heartbeat,
                        cell(&labels.join(",")),
                    ],
                    severity: host.silent.then_some(Severity::Removal),
                    source: host.source.clone(),
                }
            },
            (
                filter,
                start,
                len,
                unnarrowed(model.hosts.len(), !flags.hosts.is_empty()),
            ),
        ),
        Pane::Components => window(
            vec![
                "component",
                "app",
                "host",
                "inst",
                "total",
                "image",
                "changed",
            ],
            || {
                model.component_rows().filter(|(id, host, row)| {
                    // No lookup per row unless --host asks (a frame counts 100,000 rows).
                    (flags.hosts.is_empty()
                        || flags.host(
                            host,
                            model
                                .hosts
                                .get(host.as_ref())
                                .and_then(|h| h.name.as_deref()),
                        ))
                        && (flags.components.is_empty()
                            || flags.components.iter().any(|m| m.matches_text(id)))
                        && flags.app(row.app.as_deref())
                })
            },
            |(id, host, row)| PaneRow {
                cells: vec![
                    cell(id),
                    name_cell(row.app.as_deref().unwrap_or("-")),
                    cell(&model.host_label(host)),
                    row.instances.to_string(),
                    model.instances_of(id).to_string(),
                    cell(row.image.as_deref().unwrap_or("-")),
                    age(row.changed, now),
                ],
                severity: None,
                source: model.component_source(id, host),
            },
            (
                filter,
                start,
                len,
                unnarrowed(
                    model.component_count(),
                    !(flags.hosts.is_empty()
                        && flags.components.is_empty()
                        && flags.apps.is_empty()),
                ),
            ),
        ),
        Pane::Providers => window(
            vec!["provider", "host", "health", "app"],
            || {
                model.providers.iter().filter(|((id, host), row)| {
                    // No lookup per row unless --host asks (a frame counts 100,000 rows).
                    (flags.hosts.is_empty()
                        || flags.host(host, model.hosts.get(host).and_then(|h| h.name.as_deref())))
                        && (flags.providers.is_empty()
                            || flags.providers.iter().any(|m| m.matches_text(id)))
                        && flags.app(row.app.as_deref())
                })
            },
            |((id, host), row)| PaneRow {
                cells: vec![
                    cell(id),
                    cell(&model.host_label(host)),
                    match row.healthy {
                        Some(true) => "healthy".into(),
                        Some(false) => "UNHEALTHY".into(),
                        None => "-".into(),
                    },
                    name_cell(row.app.as_deref().unwrap_or("-")),
                ],
                severity: (row.healthy == Some(false)).then_some(Severity::Failure),
                source: row.source.clone(),
            },
            (
                filter,
                start,
                len,
                unnarrowed(
                    model.providers.len(),
                    !(flags.hosts.is_empty()
                        && flags.providers.is_empty()
                        && flags.apps.is_empty()),
                ),
            ),
        ),
        Pane::Links => window(
            vec!["source → target", "interface", "name"],
            || {
                // `--host/--component/--provider/--app` narrow links too: a link is shown when
                // its source or target is a kept component or provider.
                let kept = flags.kept_ids(model);
                model.links.iter().filter(move |(key, row)| {
                    kept.as_ref().is_none_or(|ids| {
                        ids.contains(key.source_id.as_str()) || ids.contains(row.target.as_str())
                    })
                })
            },
            |(key, row)| PaneRow {
                cells: vec![
                    cell(&format!("{} → {}", key.source_id, row.target)),
                    cell(&format!(
                        "{}:{}/{}",
                        key.namespace,
                        key.package,
                        row.interfaces.join(",")
                    )),
                    cell(&key.name),
                ],
                severity: None,
                source: row.source.clone(),
            },
            (
                filter,
                start,
                len,
                unnarrowed(model.links.len(), flags.narrows()),
            ),
        ),
        Pane::Apps => window(
            vec!["application", "status", "version", "message"],
            || model.apps.iter().filter(|app| flags.app(Some(&app.name))),
            |app| {
                let status = app.status.as_ref().map_or("-", |s| s.as_str()).to_owned();
                // Decided once, by the status itself; a status in between is not coloured.
                let severity = app
                    .status
                    .as_ref()
                    .map(|s| s.severity())
                    .filter(|s| *s != Severity::Change);
                PaneRow {
                    cells: vec![
                        name_cell(&app.name),
                        cell(&status),
                        cell(app.version.as_deref().unwrap_or("-")),
                        // Whole here: cut to the column keeping both ends (`render_pane`).
                        escape_untrusted(&crate::text::shorten(
                            app.message.as_deref().unwrap_or(""),
                            MESSAGE_KEPT,
                        ))
                        .into_owned(),
                    ],
                    severity,
                    source: app_details(app),
                }
            },
            (
                filter,
                start,
                len,
                unnarrowed(model.apps.len(), !flags.apps.is_empty()),
            ),
        ),
        Pane::Workloads => window(
            vec!["workload", "host", "state", "since", "images", "message"],
            || model.workloads.iter().flat_map(|rows| rows.values()),
            |row| {
                let severity = match row.state.as_str() {
                    "ERROR" => Some(Severity::Failure),
                    "RUNNING" => None,
                    _ => Some(Severity::Removal),
                };
                PaneRow {
                    cells: vec![
                        cell(&row.key),
                        cell(&row.host),
                        cell(&row.state),
                        age(Some(row.since), now),
                        cell(&row.images),
                        // The host's whole text, cut to the column keeping both ends.
                        escape_untrusted(&crate::text::shorten(&row.message, MESSAGE_KEPT))
                            .into_owned(),
                    ],
                    severity,
                    source: row.source.clone(),
                }
            },
            (filter, start, len, None),
        ),
        Pane::Events => {
            let events: Vec<&crate::state::tables::EventLine> = match &ui.paused {
                Some(paused) => paused.iter().collect(),
                None => model.events.iter().collect(),
            };
            window(
                vec!["event"],
                || events.iter(),
                |line| PaneRow {
                    // Pretty lines are escaped already; escaping again is a no-op for them.
                    cells: vec![escape_untrusted(&line.text).into_owned()],
                    severity: Some(line.severity),
                    source: line.source.clone(),
                },
                (filter, start, len, Some(events.len())),
            )
        }
    }
}

/// The rows `candidates` gives, counted, and made into text from `start` for `len` rows; with a
/// text filter, all made and filtered first.
fn window<I: Iterator>(
    header: Vec<&'static str>,
    candidates: impl Fn() -> I,
    make: impl Fn(I::Item) -> PaneRow,
    (filter, start, len, known): (&str, usize, usize, Option<usize>),
) -> (Vec<&'static str>, usize, Vec<PaneRow>) {
    if filter.is_empty() {
        // No flag narrows the rows: their number is the map's, not a walk over 100,000.
        let total = known.unwrap_or_else(|| candidates().count());
        let rows = candidates().skip(start).take(len).map(make).collect();
        return (header, total, rows);
    }
    let all: Vec<PaneRow> = candidates()
        .map(make)
        .filter(|row| row.cells.iter().any(|c| c.to_lowercase().contains(filter)))
        .collect();
    let total = all.len();
    (
        header,
        total,
        all.into_iter().skip(start).take(len).collect(),
    )
}

fn severity_style(severity: Option<Severity>, color: bool) -> Style {
    if !color {
        return Style::default();
    }
    match severity {
        Some(Severity::Failure) => Style::default().fg(Color::Red),
        Some(Severity::Removal) => Style::default().fg(Color::Yellow),
        Some(Severity::Arrival) => Style::default().fg(Color::Green),
        Some(Severity::Change) => Style::default().fg(Color::Cyan),
        Some(Severity::Liveness) => Style::default().add_modifier(Modifier::DIM),
        Some(Severity::Neutral) | None => Style::default(),
    }
}

/// Column widths: the first column takes what the others leave.
fn widths(pane: Pane) -> Vec<Constraint> {
    match pane {
        Pane::Hosts => vec![
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Fill(2),
        ],
        Pane::Components => vec![
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Fill(3),
            Constraint::Length(7),
        ],
        Pane::Providers => vec![
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(9),
            Constraint::Fill(2),
        ],
        Pane::Links => vec![
            Constraint::Fill(4),
            Constraint::Fill(3),
            Constraint::Fill(1),
        ],
        Pane::Apps => vec![
            Constraint::Fill(2),
            Constraint::Length(11),
            Constraint::Length(9),
            Constraint::Fill(4),
        ],
        Pane::Workloads => vec![
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Fill(2),
            Constraint::Fill(3),
        ],
        Pane::Events => vec![Constraint::Fill(1)],
    }
}

/// Rows for panes of these `weights` in `total` rows, pane `i` wanting `needs[i]` (its title, its
/// column header and its rows): first each gets up to [`PANE_FLOOR`] (one row) while there is
/// room, then the rest goes by weight to the panes that want more, none past what it wants;
/// what is still left goes to the heaviest (the focused) pane.
fn heights<const N: usize>(total: u16, weights: &[u16; N], needs: &[u16; N]) -> [u16; N] {
    let mut rows = [0u16; N];
    let mut left = total;
    for (row, need) in rows.iter_mut().zip(needs) {
        let give = (*need).min(PANE_FLOOR).min(left);
        *row = give;
        left -= give;
    }
    while left > 0 {
        let hungry: Vec<usize> = (0..N).filter(|&i| rows[i] < needs[i]).collect();
        if hungry.is_empty() {
            break;
        }
        let sum: u32 = hungry.iter().map(|&i| u32::from(weights[i].max(1))).sum();
        let share = u32::from(left);
        for &i in &hungry {
            let by_weight = (share * u32::from(weights[i].max(1)) / sum).max(1);
            let more = u16::try_from(by_weight)
                .unwrap_or(u16::MAX)
                .min(needs[i] - rows[i])
                .min(left);
            rows[i] += more;
            left -= more;
            if left == 0 {
                break;
            }
        }
    }
    if let Some(heaviest) = (0..N).max_by_key(|&i| weights[i]) {
        rows[heaviest] += left;
    }
    rows
}

/// A pane's least height while the terminal has room: its title, its column header, one row.
const PANE_FLOOR: u16 = 3;

/// What the keys do, for `?`.
pub const KEYS: &str = "Tab / Shift-Tab   next / previous pane (the focused one grows)
↑ ↓ PgUp PgDn     move in the pane
Home End          first / last row
/                 filter the pane by text (Enter keeps it, Esc clears it)
Enter             details of the selected row
p                 pause / resume the events pane
Esc               back: close this view, clear the pane's filter
?                 these keys
q, Ctrl-C         quit";

/// Draws the whole view.
pub fn draw(
    frame: &mut Frame,
    model: &Tables,
    ui: &mut Ui,
    header: &Header,
    flags: &RowFilter,
    now: DateTime<Utc>,
) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "latwatch top needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT} (this one is {}×{}); q quits",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let events_height = (area.height / 4).clamp(4, 12);
    let [top, keys, middle, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(events_height),
    ])
    .areas(area);
    let (alive, silent) = model.host_counts();
    let providers_unhealthy = model
        .providers
        .values()
        .filter(|p| p.healthy == Some(false))
        .count();
    // What matters first, so a narrow terminal cuts the least important: the state, failing
    // applications, silent hosts and unhealthy providers, then the rest.
    let summary = format!(
        " latwatch top  {}{}  apps {}{}  hosts {alive}{}  providers {}{}  components {}  {:.1} ev/s  lattice {}  {}",
        escape_untrusted(&header.state),
        match header.losses.is_empty() {
            true => String::new(),
            false => format!("  ({})", header.losses),
        },
        model.apps.len(),
        match model.apps_failing() { 0 => String::new(), n => format!(" ({n} failing)") },
        if silent > 0 { format!(" ({silent} silent)") } else { String::new() },
        model.providers.len(),
        if providers_unhealthy > 0 { format!(" ({providers_unhealthy} unhealthy)") } else { String::new() },
        model.component_count(),
        header.rate,
        escape_untrusted(&header.lattice),
        escape_untrusted(&header.server),
    );
    let bold = match ui.color {
        true => Style::default().add_modifier(Modifier::REVERSED),
        false => Style::default(),
    };
    frame.render_widget(Paragraph::new(summary).style(bold), top);
    let hint = match (ui.editing, ui.paused.is_some()) {
        (false, false) if header.said.is_some() => {
            format!(
                " {}",
                escape_untrusted(header.said.as_deref().unwrap_or_default())
            )
        }
        (true, _) => format!(
            " filter {}: {}▏ (Enter keeps it, Esc clears it)",
            ui.focused().title(),
            escape_untrusted(&ui.filters[ui.focus])
        ),
        (false, paused) => format!(
            " Tab pane  ↑↓ scroll  / filter  Enter details  p {}  ? keys  q quit",
            if paused { "resume (paused)" } else { "pause" }
        ),
    };
    frame.render_widget(Paragraph::new(hint), keys);

    // The focused pane gets more room; every pane first gets room for one row (its title, its
    // column header and a row), so at 80×24 no pane is left without one.
    let weight = |pane: Pane| if ui.focused() == pane { 3 } else { 1 };
    let need = |pane: Pane| {
        let count = rows(pane, model, ui, flags, now, 0, 0).1;
        u16::try_from(count).unwrap_or(u16::MAX).saturating_add(2)
    };
    // Side by side only when both have room for their ids; stacked, each gets the full width.
    let side_by_side = middle.width >= 160;
    let (hosts, components, providers, links, apps) = if side_by_side {
        let rows = heights(
            middle.height,
            &[
                weight(Pane::Hosts),
                weight(Pane::Components) + 1,
                weight(Pane::Providers).max(weight(Pane::Links)) + 1,
                weight(Pane::Apps).max(weight(Pane::Workloads)),
            ],
            &[
                need(Pane::Hosts),
                need(Pane::Components),
                need(Pane::Providers).max(need(Pane::Links)),
                need(Pane::Apps).max(need(Pane::Workloads)),
            ],
        );
        let [hosts, components, pair, apps] =
            Layout::vertical(rows.map(Constraint::Length)).areas(middle);
        let [providers, links] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Fill(1), Constraint::Fill(1)])
            .areas(pair);
        (hosts, components, providers, links, apps)
    } else {
        let rows = heights(
            middle.height,
            &[
                weight(Pane::Hosts),
                weight(Pane::Components) + 1,
                weight(Pane::Providers),
                weight(Pane::Links),
                weight(Pane::Apps).max(weight(Pane::Workloads)),
            ],
            &[
                need(Pane::Hosts),
                need(Pane::Components),
                need(Pane::Providers),
                need(Pane::Links),
                // Stacked with the workloads when they are shown.
                need(Pane::Apps)
                    + match model.workloads.is_some() {
                        true => need(Pane::Workloads),
                        false => 0,
                    },
            ],
        );
        let [hosts, components, providers, links, apps] =
            Layout::vertical(rows.map(Constraint::Length)).areas(middle);
        (hosts, components, providers, links, apps)
    };
    // `--workloads`: wasmCloud 2's workloads beside the applications (stacked when narrow).
    let (apps, workloads) = match model.workloads.is_some() {
        false => (apps, None),
        true => {
            let direction = match side_by_side {
                true => Direction::Horizontal,
                false => Direction::Vertical,
            };
            let [apps, workloads] = Layout::default()
                .direction(direction)
                .constraints([Constraint::Fill(1), Constraint::Fill(1)])
                .areas(apps);
            (apps, Some(workloads))
        }
    };
    for (pane, area) in [
        (Pane::Hosts, Some(hosts)),
        (Pane::Components, Some(components)),
        (Pane::Providers, Some(providers)),
        (Pane::Links, Some(links)),
        (Pane::Apps, Some(apps)),
        (Pane::Workloads, workloads),
        (Pane::Events, Some(bottom)),
    ] {
        if let Some(area) = area {
            draw_pane(frame, pane, area, model, ui, flags, now);
        }
    }
    if let Some((title, text)) = &ui.details {
        let popup = Rect {
            x: area.x + area.width / 10,
            y: area.y + area.height / 10,
            width: area.width - area.width / 5,
            height: area.height - area.height / 5,
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(
                text.lines()
                    .map(|line| Line::from(escape_untrusted(line).into_owned()))
                    .collect::<Vec<_>>(),
            )
            .wrap(Wrap { trim: false })
            .scroll((ui.details_scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!(" {} (Esc closes, ↑↓ scroll) ", cell(title))),
            ),
            popup,
        );
    }
}

fn draw_pane(
    frame: &mut Frame,
    pane: Pane,
    area: Rect,
    model: &Tables,
    ui: &mut Ui,
    flags: &RowFilter,
    now: DateTime<Utc>,
) {
    // Rows that fit: the title line, the header row (not for events), the rest.
    let visible = area
        .height
        .saturating_sub(if pane == Pane::Events { 1 } else { 2 }) as usize;
    let focused = ui.focused() == pane;
    let total = rows(pane, model, ui, flags, now, 0, 0).1;
    {
        let selected = &mut ui.selected[pane.index()];
        // The events pane follows the newest line unless it was scrolled back.
        if pane == Pane::Events && !(focused && ui.scrolled_back) {
            *selected = total.saturating_sub(1);
        }
        if *selected >= total {
            *selected = total.saturating_sub(1);
        }
    }
    let selected = ui.selected[pane.index()];
    let start = (selected + 1).saturating_sub(visible.max(1));
    let (header, count, rows) = rows(pane, model, ui, flags, now, start, visible);
    let filter = &ui.filters[pane.index()];
    let mut title = vec![Span::raw(format!(" {} ({count})", pane.title()))];
    if !filter.is_empty() {
        title.push(Span::raw(format!(" /{}", escape_untrusted(filter))));
    }
    if pane == Pane::Events {
        if ui.paused.is_some() {
            title.push(Span::raw("  PAUSED: not following (p resumes)"));
        } else if focused && ui.scrolled_back {
            title.push(Span::raw("  scrolled back: not following (End follows)"));
        }
    }
    title.push(Span::raw(" "));
    let title_style = match (focused, ui.color) {
        (true, true) => Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        (true, false) => Style::default().add_modifier(Modifier::BOLD),
        _ => Style::default(),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Line::from(title).style(title_style));
    let color = ui.color;
    // An application's message is wadm's error chain: cut to its column keeping the start and
    // the root cause at the end (the details view shows it whole).
    let mut rows = rows;
    if pane == Pane::Apps {
        let columns = Layout::horizontal(widths(pane))
            .spacing(1)
            .split(Rect::new(0, 0, area.width, 1));
        if let Some(message) = columns.get(3) {
            for row in &mut rows {
                if let Some(cell) = row.cells.get_mut(3) {
                    *cell = crate::text::shorten(cell, usize::from(message.width)).into_owned();
                }
            }
        }
    }
    let table_rows: Vec<Row> = rows
        .into_iter()
        .map(|row| {
            Row::new(row.cells.into_iter().map(Cell::from))
                .style(severity_style(row.severity, color))
        })
        .collect();
    let header_row = (pane != Pane::Events).then(|| {
        Row::new(header.into_iter().map(Cell::from))
            .style(Style::default().add_modifier(Modifier::DIM))
    });
    let mut table = Table::new(table_rows, widths(pane))
        .block(block)
        .column_spacing(1);
    if let Some(header_row) = header_row {
        table = table.header(header_row);
    }
    if focused {
        table = table.row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    }
    let mut state = TableState::default();
    if count > 0 {
        state.select(Some(selected - start));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// The JSON behind the focused pane's selected row, pretty-printed when it is JSON.
pub fn selected_source(
    model: &Tables,
    ui: &Ui,
    flags: &RowFilter,
    now: DateTime<Utc>,
) -> Option<(String, String)> {
    let pane = ui.focused();
    let (header, _, rows) = rows(pane, model, ui, flags, now, ui.selected[pane.index()], 1);
    let row = rows.into_iter().next()?;
    let text = match serde_json::from_str::<serde_json::Value>(&row.source) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or(row.source),
        // A row a heartbeat or the control interface set keeps no JSON of its own: the row,
        // as latwatch holds it.
        Err(_) if row.source.is_empty() => {
            let object: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(&row.cells)
                .map(|(name, cell)| ((*name).to_owned(), cell.clone().into()))
                .collect();
            format!(
                "(as latwatch holds it, from the host's heartbeat or the control interface)\n{}",
                serde_json::to_string_pretty(&object).unwrap_or_default()
            )
        }
        Err(_) => row.source,
    };
    Some((row.cells.first().cloned().unwrap_or_default(), text))
}

/// An application's details, for its popup: wadm's whole message and every failing scaler with
/// its own, and where these facts come from. Made only for the selected row.
fn app_details(app: &crate::state::apps::AppRow) -> String {
    let failing: Vec<serde_json::Value> = app
        .failing
        .iter()
        .map(|(scaler, message)| serde_json::json!({"scaler": scaler, "message": message}))
        .collect();
    serde_json::json!({
        "application": app.name,
        "lattice": app.lattice,
        "status": app.status,
        "version": app.version,
        "message": app.message,
        "failing scalers": failing,
        "events": app.events,
        "failures": app.failures,
        "from": format!(
            "wadm: its status messages (wadm.status.{}.{}), its deploys (wadm.evt) and its API \
             (model.get); events counts the host events latwatch attributed to it",
            app.lattice, app.name
        ),
    })
    .to_string()
}

/// How many rows the focused pane has now (for the keys that move the selection).
pub fn row_count(model: &Tables, ui: &Ui, flags: &RowFilter, now: DateTime<Utc>) -> usize {
    rows(ui.focused(), model, ui, flags, now, 0, 0).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode_with_data, RawMessage, Received};
    use crate::state::tables::{ctl_response, EventLine};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    const REPLIES: &str = include_str!("../../tests/fixtures/ctl-replies-hello-app.jsonl");

    /// The model the recorded control-interface replies give.
    fn seeded() -> Tables {
        let now = Utc::now();
        let mut model = Tables::default();
        for line in REPLIES.lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let subject = entry["request_subject"].as_str().unwrap();
            let reply = entry["replies"][0].as_str().unwrap();
            let Some(response) = ctl_response(reply.as_bytes()) else {
                continue;
            };
            if subject.ends_with("host.ping") {
                model.seed_host(&response, reply, now);
            } else if let Some(host) = subject.split("host.get.").nth(1) {
                model.seed_inventory(host, &response, &mut Default::default());
            } else if subject.ends_with("link.get") {
                model.seed_links(&response, reply);
            }
        }
        model
    }

    fn screen(model: &Tables, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let mut ui = Ui::default();
        terminal
            .draw(|frame| {
                view_draw(frame, model, &mut ui);
            })
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    fn view_draw(frame: &mut Frame, model: &Tables, ui: &mut Ui) {
        let header = Header {
            server: "nats://127.0.0.1:4222".into(),
            lattice: "default".into(),
            state: "live".into(),
            rate: 0.0,
            losses: String::new(),
            said: None,
        };
        draw(frame, model, ui, &header, &RowFilter::default(), Utc::now());
    }

    #[test]
    fn the_recorded_lattice_fits_80_by_24_and_uses_200_by_50() {
        let model = seeded();
        for (width, height) in [(80, 24), (200, 50)] {
            let text = screen(&model, width, height);
            assert_eq!(text.lines().count(), height as usize);
            for needle in [
                "latwatch top",
                "hosts (1)",
                "aged-sunset-0616",
                "components (1)",
                "hello_app-hello",
                "providers (1)",
                "links (1)",
                "applications (0)",
                "events (0)",
            ] {
                assert!(
                    text.contains(needle),
                    "{width}×{height}: no {needle}:\n{text}"
                );
            }
        }
        let wide = screen(&model, 200, 50);
        assert!(
            wide.contains("hello_app-httpserver → hello_app-hello"),
            "{wide}"
        );
        assert!(
            wide.contains("file:///srv/lab/hello_plugin_s.wasm"),
            "{wide}"
        );
    }

    #[test]
    fn long_names_are_cut_not_wrapped_and_hostile_strings_escaped() {
        let mut model = seeded();
        let long = "x".repeat(500);
        let hostile = "evil\u{1b}[2J\u{202e}\u{7}name";
        let payload = format!(
            r#"{{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.component_scaled","source":"NH","data":{{"host_id":"NH","component_id":"{long}","image_ref":{},"max_instances":3}}}}"#,
            serde_json::to_string(hostile).unwrap()
        );
        let event = decode_with_data(RawMessage {
            subject: Some("wasmbus.evt.default.component_scaled"),
            payload: payload.as_bytes(),
            received: Received::Now,
            reply: None,
        });
        model.observe(&event, Utc::now(), &mut Default::default(), None, false);
        model.push_event(EventLine {
            text: format!("00:00:00.000  component_scaled  {hostile}"),
            severity: Severity::Arrival,
            source: payload.clone(),
        });
        for (width, height) in [(80, 24), (200, 50)] {
            let text = screen(&model, width, height);
            assert_eq!(text.lines().count(), height as usize, "nothing wraps");
            assert!(
                !text
                    .lines()
                    .flat_map(str::chars)
                    .any(crate::text::needs_escape),
                "a raw control or bidi character reached the screen:\n{text}"
            );
            assert!(text.contains("xxxxxxxx"), "{text}");
            assert!(!text.contains(&"x".repeat(201)), "the long id is cut");
        }
    }

    #[test]
    fn every_pane_with_rows_gets_one_before_any_grows() {
        // 80×24: 16 rows for five panes; the focused hosts pane has one host.
        let rows = heights(16, &[3, 2, 1, 1, 1], &[3, 4, 3, 3, 2]);
        assert_eq!(rows.iter().sum::<u16>(), 16);
        assert!(rows[..4].iter().all(|&r| r >= 3), "{rows:?}");
        assert!(rows[1] >= 4, "the second component shows: {rows:?}");
        // Too little room: each gets what there is, in order, and nothing overflows.
        let rows = heights(6, &[1, 1, 1, 1, 1], &[50, 50, 50, 50, 50]);
        assert_eq!(rows.iter().sum::<u16>(), 6);
        // Everything fits: the rest goes to the heaviest pane.
        assert_eq!(heights(20, &[1, 3], &[3, 3]), [3, 17]);
    }

    #[test]
    fn a_tiny_terminal_gets_a_message() {
        let text = screen(&seeded(), 30, 8);
        assert!(text.contains("needs a"), "{text}");
        let text = screen(&seeded(), 1, 1);
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn the_flags_and_the_pane_filter_narrow_rows() {
        let model = seeded();
        let mut ui = Ui::default();
        let now = Utc::now();
        let none = RowFilter::default();
        assert_eq!(rows(Pane::Components, &model, &ui, &none, now, 0, 99).1, 1);
        let other = RowFilter {
            components: vec![IdMatcher::new("--component", "other*")],
            ..RowFilter::default()
        };
        assert_eq!(rows(Pane::Components, &model, &ui, &other, now, 0, 99).1, 0);
        let by_app = RowFilter {
            apps: vec![AppPattern::new("hello-*")],
            ..RowFilter::default()
        };
        assert_eq!(rows(Pane::Providers, &model, &ui, &by_app, now, 0, 99).1, 1);
        ui.filters[Pane::Hosts.index()] = "SUNSET".into();
        assert_eq!(rows(Pane::Hosts, &model, &ui, &none, now, 0, 99).1, 1);
        ui.filters[Pane::Hosts.index()] = "nothing".into();
        assert_eq!(rows(Pane::Hosts, &model, &ui, &none, now, 0, 99).1, 0);
    }
}
