//! The operator's words for what lattice memory found: `hello-http 4→8`, `+provider kv`,
//! `http-server healthy → unhealthy`. Lattice memory (`lattice.rs`) keeps changes as data; pretty
//! lines and the `text` beside each `-o jsonl` change object are worded here.

use std::fmt;

use crate::state::apps::{AppChange, AppStatus};
use crate::state::lattice::Change;
use crate::state::workloads::{WorkloadChange, WorkloadFacts};
use crate::text::escape_name;
use crate::v2::WorkloadState;

fn health_word(healthy: bool) -> &'static str {
    if healthy {
        "healthy"
    } else {
        "unhealthy"
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Inventory {
                components,
                instances,
                providers,
                ids,
            } => {
                write!(f, "{components} component")?;
                if *components != 1 {
                    f.write_str("s")?;
                }
                if *components > 0 {
                    write!(
                        f,
                        " ({instances} instance{})",
                        if *instances == 1 { "" } else { "s" }
                    )?;
                }
                write!(f, ", {providers} provider")?;
                if *providers != 1 {
                    f.write_str("s")?;
                }
                if !ids.is_empty() {
                    write!(f, ": {}", ids.join(", "))?;
                }
                Ok(())
            }
            Change::ComponentAdded { id, max } => write!(f, "+{id} ×{max}"),
            Change::ComponentRemoved { id } => write!(f, "-{id}"),
            Change::Rescaled { id, from, to } => write!(f, "{id} {from}→{to}"),
            Change::ImageChanged { id, from, to } => write!(f, "{id} image {from}→{to}"),
            Change::ProviderAdded { id } => write!(f, "+provider {id}"),
            Change::ProviderRemoved { id } => write!(f, "-provider {id}"),
            Change::Label { key, from, to } => match (from, to) {
                (None, Some(to)) => write!(f, "+label {key}={to}"),
                (Some(_), None) => write!(f, "-label {key}"),
                (Some(from), Some(to)) => write!(f, "label {key} {from}→{to}"),
                (None, None) => Ok(()),
            },
            Change::Version { from, to } => write!(f, "version {from}→{to}"),
            Change::Health { provider, from, to } => match from {
                Some(from) => write!(
                    f,
                    "{provider} {} → {}",
                    health_word(*from),
                    health_word(*to)
                ),
                None => write!(f, "{provider} {}", health_word(*to)),
            },
            Change::Back { silent_for } => {
                write!(f, "back after {}s of silence", silent_for.num_seconds())
            }
            // `joined  host=lab-b group=edge env=tenant-b v2.10.3 http=:14411`, or
            // `seen  host=lab-a group=default v2.10.3 up 3m12s  2 workloads, 2 components`.
            Change::V2Appeared {
                joined,
                hostname,
                hostgroup,
                environment,
                version,
                http_port,
                up,
                workloads,
                components,
            } => {
                f.write_str(if *joined { "joined" } else { "seen" })?;
                if !hostname.is_empty() {
                    write!(f, "  host={hostname}")?;
                }
                if let Some(group) = hostgroup {
                    write!(f, " group={group}")?;
                }
                if let Some(environment) = environment {
                    write!(f, " env={environment}")?;
                }
                if !version.is_empty() {
                    write!(f, " v{}", version.trim_start_matches('v'))?;
                }
                if let Some(port) = http_port {
                    write!(f, " http=:{port}")?;
                }
                if let Some(up) = up.and_then(|u| u.to_std().ok()) {
                    let up = std::time::Duration::from_secs(up.as_secs());
                    write!(f, " up {}", humantime::format_duration(up))?;
                }
                write!(
                    f,
                    "  {}, {}",
                    plural(*workloads as usize, "workload"),
                    plural(*components as usize, "component")
                )
            }
            Change::V2Counts {
                workloads,
                components,
            } => {
                let mut parts = Vec::new();
                if workloads.0 != workloads.1 {
                    parts.push(format!("workloads {}→{}", workloads.0, workloads.1));
                }
                if components.0 != components.1 {
                    parts.push(format!("components {}→{}", components.0, components.1));
                }
                f.write_str(&parts.join(" "))
            }
            Change::Restarted { was } => write!(f, "restarted (was {was})"),
        }
    }
}

/// A message from wadm or a host, quoted and cut (unless `whole`: `--verbose`): a line stays a
/// line.
fn quoted(text: &str, whole: bool) -> String {
    match whole {
        true => format!("\"{text}\""),
        false => format!("\"{}\"", crate::text::shorten(text, MESSAGE_CHARS)),
    }
}

/// How much of a status or scaler message a line shows.
const MESSAGE_CHARS: usize = 300;

fn plural(count: usize, one: &str) -> String {
    format!("{count} {one}{}", if count == 1 { "" } else { "s" })
}

impl fmt::Display for AppChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppChange::Published {
                app,
                version,
                components,
                providers,
                links,
            } => {
                write!(f, "{}  ", escape_name(app))?;
                if let Some(version) = version {
                    write!(f, "{version}  ")?;
                }
                write!(
                    f,
                    "{}, {}, {}",
                    plural(*components, "component"),
                    plural(*providers, "provider"),
                    plural(*links, "link")
                )
            }
            AppChange::Unpublished {
                app,
                version,
                again,
            } => {
                write!(f, "{}  ", escape_name(app))?;
                if let Some(version) = version {
                    write!(f, "{version}  ")?;
                }
                // wadm says it on undeploy, and once more when the application is deleted.
                f.write_str(if *again { "deleted" } else { "undeployed" })
            }
            AppChange::Status {
                app,
                from,
                to,
                message,
                failing,
                retry,
                failing_for,
                version: _,
            } => {
                write!(f, "{}  ", escape_name(app))?;
                let seconds = failing_for.map(|d| d.num_seconds());
                match (from, to) {
                    (Some(AppStatus::Failed), AppStatus::Failed) => {
                        write!(f, "failed (retry {retry}")?;
                        if let Some(seconds) = seconds {
                            write!(f, ", failing for {seconds}s")?;
                        }
                        f.write_str(")")?;
                    }
                    (Some(AppStatus::Failed), to) => {
                        write!(f, "failed → {to}")?;
                        if let Some(seconds) = seconds {
                            write!(
                                f,
                                " (after {} over {seconds}s)",
                                plural(*retry as usize, "failed attempt")
                            )?;
                        }
                    }
                    (Some(from), to) if from != to => write!(f, "{from} → {to}")?,
                    (_, to) => f.write_str(to.as_str())?,
                }
                // A retry of the same failure: its message was shown with the failure.
                if *from == Some(AppStatus::Failed) && *to == AppStatus::Failed {
                    return Ok(());
                }
                if let Some(message) = message {
                    write!(f, "  {}", quoted(message, f.alternate()))?;
                }
                // A scaler whose message is the application's says nothing new.
                for (shown, (scaler, why)) in failing.iter().enumerate() {
                    if shown == 3 {
                        write!(f, "  (+{} more failing)", failing.len() - shown)?;
                        break;
                    }
                    if message.as_deref() == Some(why.as_str()) || why.is_empty() {
                        write!(f, "  scaler {scaler} failed")?;
                    } else {
                        write!(f, "  scaler {scaler}: {}", quoted(why, f.alternate()))?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// How long a request took to be answered: `230ms`, `1.1s`, `2m 5s`.
fn took(took: &chrono::Duration) -> String {
    let ms = took.num_milliseconds().max(0);
    match ms {
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{:.1}s", ms as f64 / 1000.0),
        _ if (ms / 1000) % 60 == 0 => format!("{}m", ms / 60_000),
        _ => format!("{}m {}s", ms / 60_000, (ms / 1000) % 60),
    }
}

/// `default/hello-7f9c2-abcde`, or the id when latwatch has not seen the workload's start.
fn workload_key(facts: &WorkloadFacts) -> String {
    escape_name(&facts.key()).into_owned()
}

/// Up to three images, then how many more.
fn images(images: &[String]) -> String {
    let mut shown: Vec<String> = images
        .iter()
        .take(3)
        .map(|i| escape_name(i).into_owned())
        .collect();
    if images.len() > 3 {
        shown.push(format!("+{} more", images.len() - 3));
    }
    shown.join(",")
}

/// A state as a host sent it: a name latwatch does not know is the host's text, escaped.
fn state_words(state: &WorkloadState) -> std::borrow::Cow<'_, str> {
    escape_name(state.as_str())
}

/// A workload line's words (the host is the line's host column). The host's error text is
/// always whole: it is what Kubernetes drops.
impl fmt::Display for WorkloadFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = workload_key(self);
        match &self.change {
            WorkloadChange::Asked { asks, images: i } => {
                f.write_str(asks.as_str())?;
                if !key.is_empty() {
                    write!(f, "  {key}")?;
                }
                if !i.is_empty() {
                    write!(f, "  images={}", images(i))?;
                }
                Ok(())
            }
            WorkloadChange::Started { images: i, took: t } => {
                write!(f, "{key}  running in {}", took(t))?;
                if !i.is_empty() {
                    write!(f, "  images={}", images(i))?;
                }
                Ok(())
            }
            WorkloadChange::Failed {
                state,
                message,
                images: i,
                took: t,
                failing,
            } => {
                write!(
                    f,
                    "{key}  failed to start ({} after {})",
                    state_words(state),
                    took(t)
                )?;
                if let Some((count, over)) = failing {
                    write!(
                        f,
                        ", failing: {count} failed starts of {} in {}",
                        escape_name(crate::v2::replica_prefix(&self.name)),
                        took(over)
                    )?;
                }
                if !i.is_empty() {
                    write!(f, "  images={}", images(i))?;
                }
                if let Some(message) = message {
                    write!(f, "  error: {}", escape_name(message))?;
                }
                Ok(())
            }
            WorkloadChange::Stopped { state } => match state {
                WorkloadState::NotFound => write!(f, "{key}  stopped (the host did not hold it)"),
                _ => write!(f, "{key}  stopped"),
            },
            WorkloadChange::State { from, to, message } => {
                match from {
                    Some(from) => write!(f, "{key}  {} → {}", state_words(from), state_words(to))?,
                    None => write!(f, "{key}  seen {}", state_words(to))?,
                }
                // Only an error's text says more than the state ("Workload not found: <id>").
                if let Some(message) = message.as_ref().filter(|_| *to == WorkloadState::Error) {
                    write!(f, ": {}", escape_name(message))?;
                }
                Ok(())
            }
            WorkloadChange::Same { state } => {
                write!(f, "{key}  {} (unchanged)", state_words(state))
            }
            WorkloadChange::HostAnswered => f.write_str("answered a heartbeat request"),
            WorkloadChange::Unanswered { waited } => write!(
                f,
                "{key}  workload.start unanswered after {} (the host is down, busy, or could \
                 not read the request)",
                took(waited)
            ),
        }
    }
}
