//! The operator's words for what lattice memory found: `hello-http 4→8`, `+provider kv`,
//! `http-server healthy → unhealthy`. Lattice memory (`lattice.rs`) keeps changes as data; pretty
//! lines and the `text` beside each `-o jsonl` change object are worded here.

use std::fmt;

use crate::lattice::Change;

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
        }
    }
}
