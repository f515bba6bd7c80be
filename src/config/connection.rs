//! Where and how to connect: the server list, credentials and TLS, from the flags, their
//! environment variables, a nats context and the defaults ([`connection`]).

use std::path::PathBuf;

use crate::cli::ConnectionArgs;
use crate::userinfo::userinfo;

use super::context::{self, NatsContext};

/// The default NATS server, as `nats` and `wash` use it.
pub(super) const DEFAULT_HOST: &str = "127.0.0.1";

pub(super) const DEFAULT_PORT: u16 = 4222;

/// Where and how to connect: decided once from the flags, their environment variables, a nats
/// context and the defaults.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Server URLs as the user gave them (they may carry credentials: show them with `redact`).
    pub servers: Vec<String>,
    pub auth: Auth,
    pub tls: Tls,
    /// The nats CLI context the settings came from, for the status line: (name, file).
    pub context: Option<(String, PathBuf)>,
}

/// How latwatch proves who it is. One method; the first given wins, in this order.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// A credentials file (user JWT + seed).
    Creds(PathBuf),
    /// A file holding an nkey user seed.
    Nkey(PathBuf),
    /// A user JWT and the seed that signs for it (wash's WASMCLOUD_CTL_JWT / _SEED).
    JwtSeed {
        jwt: String,
        seed: String,
    },
    UserPassword {
        user: String,
        password: String,
    },
    Token(String),
}

/// Never prints a secret, even in a debug dump.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Creds(path) => write!(f, "Creds({})", path.display()),
            Auth::Nkey(path) => write!(f, "Nkey({})", path.display()),
            Auth::JwtSeed { .. } => f.write_str("JwtSeed(…)"),
            Auth::UserPassword { user, .. } => write!(f, "UserPassword({user}, …)"),
            Auth::Token(_) => f.write_str("Token(…)"),
        }
    }
}

/// TLS settings beyond what a `tls://` URL says. Verification is always on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    /// Client certificate and key, for mutual TLS.
    pub client: Option<(PathBuf, PathBuf)>,
    /// TLS before the NATS handshake (servers with `handshake_first`).
    pub first: bool,
}

/// Flags and environment variables first, then the nats context, then the defaults.
pub(super) fn connection(
    flags: &ConnectionArgs,
    warnings: &mut Vec<String>,
) -> Result<Connection, String> {
    // wash's name for the credentials file.
    let creds = flags.creds.clone().or_else(|| {
        std::env::var_os("WASH_CTL_CREDS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let jwt_seed = flags.jwt.clone().zip(flags.seed.clone());
    let tls_client = flags.tls_cert.clone().zip(flags.tls_key.clone());
    let context = context::load(flags.context.as_deref())?;
    let from_context = |pick: fn(&NatsContext) -> &Option<String>| {
        context
            .as_ref()
            .and_then(|c| pick(c).clone())
            .filter(|v| !v.is_empty())
    };
    let given: Vec<String> = flags
        .servers
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if given.is_empty() && !flags.servers.is_empty() {
        return Err(
            "-s/--server (or NATS_URL) is empty: give a server URL like nats://127.0.0.1:4222, \
             or leave it out for that default"
                .to_owned(),
        );
    }
    let servers = if !given.is_empty() {
        given
    } else if flags.ctl_host.is_some() || flags.ctl_port.is_some() {
        let host = flags
            .ctl_host
            .clone()
            .unwrap_or_else(|| DEFAULT_HOST.to_owned());
        vec![format!(
            "nats://{host}:{}",
            flags.ctl_port.unwrap_or(DEFAULT_PORT)
        )]
    } else if let Some(url) = from_context(|c| &c.url) {
        url.split(',').map(|s| s.trim().to_owned()).collect()
    } else {
        vec![format!("nats://{DEFAULT_HOST}:{DEFAULT_PORT}")]
    };

    let path = |value: Option<String>| value.map(|v| context::expand(&v));
    // `nats://user:password@host` or `nats://token@host`, as the nats CLI takes them.
    let (url_user, url_secret) = match servers.iter().find_map(|url| userinfo(url)) {
        Some((first, Some(second))) => (Some((first.to_owned(), second.to_owned())), None),
        Some((first, None)) => (None, Some(first.to_owned())),
        None => (None, None),
    };
    let auth = if let Some(creds) = creds.or_else(|| path(from_context(|c| &c.creds))) {
        Auth::Creds(creds)
    } else if let Some(nkey) = flags
        .nkey
        .clone()
        .or_else(|| path(from_context(|c| &c.nkey)))
    {
        Auth::Nkey(nkey)
    } else if let Some((jwt, seed)) = jwt_seed {
        Auth::JwtSeed { jwt, seed }
    } else if let Some(user) = flags.user.clone().or_else(|| from_context(|c| &c.user)) {
        let password = flags
            .password
            .clone()
            .or_else(|| from_context(|c| &c.password))
            .unwrap_or_default();
        Auth::UserPassword { user, password }
    } else if let Some((user, password)) = url_user {
        Auth::UserPassword { user, password }
    } else if let Some(token) = flags.token.clone().or_else(|| from_context(|c| &c.token)) {
        Auth::Token(token)
    } else if let Some(token) = url_secret {
        Auth::Token(token)
    } else {
        Auth::None
    };
    match &auth {
        Auth::Creds(file) | Auth::Nkey(file) if file.is_dir() => {
            let flag = if matches!(auth, Auth::Creds(_)) {
                "--creds"
            } else {
                "--nkey"
            };
            return Err(format!(
                "{flag} {} is a directory; give the file itself (as `nsc` writes it: \
                 ~/.local/share/nats/nsc/keys/creds/OPERATOR/ACCOUNT/USER.creds)",
                crate::text::escape_path(file)
            ));
        }
        Auth::Creds(file) | Auth::Nkey(file) => warnings.extend(readable_by_others(file)),
        _ => {}
    }
    // A context file holding a password or a token is a secret file too.
    if let Some(context) = context
        .as_ref()
        .filter(|c| c.password.is_some() || c.token.is_some())
    {
        warnings.extend(readable_by_others(&context.path));
    }

    let tls = Tls {
        ca: flags
            .tls_ca
            .clone()
            .or_else(|| path(from_context(|c| &c.ca))),
        client: tls_client
            .or_else(|| path(from_context(|c| &c.cert)).zip(path(from_context(|c| &c.key)))),
        first: flags.tls_first || context.as_ref().is_some_and(|c| c.tls_first),
    };
    Ok(Connection {
        servers,
        auth,
        tls,
        context: context.map(|c| (c.name, c.path)),
    })
}

/// A warning when a file holding a secret can be read by other users.
pub(super) fn readable_by_others(file: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds a secret and other users can read it (mode {:o}); chmod 600 {}",
                crate::text::escape_path(file),
                mode & 0o777,
                crate::text::escape_path(file)
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}
