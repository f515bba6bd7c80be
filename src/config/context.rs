//! nats CLI contexts: `~/.config/nats/context/NAME.json` (or under `$XDG_CONFIG_HOME`), as
//! `nats context save` writes them; the selected one is named in `~/.config/nats/context.txt`.
//! latwatch reads the connection settings (url, credentials, TLS files) and nothing else.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings latwatch uses from a context. Every field is optional, as in the nats CLI.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NatsContext {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub url: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub creds: Option<String>,
    pub nkey: Option<String>,
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub tls_first: bool,
}

/// The nats CLI's configuration folder.
fn nats_dir() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(config.join("nats"))
}

/// The context named by `--context`/`NATS_CONTEXT`, else the selected one, else none. A context
/// that was asked for by name and cannot be read is an error; a selected one that cannot be read
/// is ignored (the nats CLI would complain about it, latwatch has no business to).
pub fn load(asked: Option<&str>) -> Result<Option<NatsContext>, String> {
    let Some(dir) = nats_dir() else {
        return match asked {
            Some(name) => Err(format!(
                "--context {name}: cannot find the nats configuration folder (HOME is not set)"
            )),
            None => Ok(None),
        };
    };
    let name = match asked {
        Some(name) => name.trim().to_owned(),
        None => match std::fs::read_to_string(dir.join("context.txt")) {
            Ok(selected) if !selected.trim().is_empty() => selected.trim().to_owned(),
            _ => return Ok(None),
        },
    };
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("--context {name}: not a context name"));
    }
    let path = dir.join("context").join(format!("{name}.json"));
    let read = std::fs::read_to_string(&path).map_err(|err| err.to_string());
    let parsed = read.and_then(|text| {
        serde_json::from_str::<NatsContext>(&text)
            .map_err(|err| format!("not a nats context: {err}"))
    });
    match (parsed, asked) {
        (Ok(mut context), _) => {
            context.name = name;
            context.path = path;
            Ok(Some(context))
        }
        (Err(why), Some(_)) => Err(format!(
            "--context {name}: cannot use {} ({why}); `nats context ls` lists the contexts",
            crate::text::escape_path(&path)
        )),
        (Err(_), None) => Ok(None),
    }
}

/// A context path value, with `~` expanded as the nats CLI does.
pub fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}
