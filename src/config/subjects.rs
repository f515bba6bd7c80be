//! What latwatch subscribes to: the lattices, `--subject-prefix`, the events' subjects (narrowed
//! by exact `--type` names when no stage needs everything) and wadm's.

use crate::filter::TypePattern;

/// `[P.]wadm.evt.<lattice>.>` and `[P.]wadm.status.<lattice>.*` per lattice token.
pub(super) fn app_subjects(lattices: &[String], prefix: Option<&str>) -> Vec<String> {
    let with_prefix = |subject: String| match prefix {
        Some(prefix) => format!("{prefix}.{subject}"),
        None => subject,
    };
    lattices
        .iter()
        .flat_map(|lattice| {
            [
                with_prefix(format!("wadm.evt.{lattice}.>")),
                with_prefix(format!("wadm.status.{lattice}.*")),
            ]
        })
        .collect()
}

/// The width of the lattice column when every lattice is watched (names are not known up front).
pub(super) const ALL_LATTICES_WIDTH: usize = 8;

/// The lattice tokens to subscribe with: the names given, or `*` for `--all-lattices`.
pub(super) fn lattices(given: &[String], all: bool) -> Result<Vec<String>, String> {
    if all {
        return Ok(vec!["*".to_owned()]);
    }
    let names: Vec<String> = given
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if names.is_empty() {
        return Err("--lattice needs a name (or use --all-lattices)".to_owned());
    }
    let bad = |l: &&String| l.contains(['.', '*', '>']) || l.contains(char::is_whitespace);
    if let Some(bad) = names.iter().find(bad) {
        return Err(format!(
            "--lattice {}: a lattice name is one subject token (no '.', '*', '>' or spaces); \
             use --all-lattices to watch every lattice",
            crate::text::escape_untrusted(bad)
        ));
    }
    Ok(names)
}

/// `--subject-prefix`: one or more subject tokens (`acct`, `tenant.a`), nothing a subject cannot
/// hold and no wildcard (the prefix is part of every subscription).
pub(super) fn subject_prefix(prefix: &str) -> Result<(), String> {
    let shown = crate::text::escape_untrusted(prefix);
    let bad_token = prefix.split('.').find(|token| {
        token.is_empty()
            || *token == "*"
            || *token == ">"
            || token.contains(|c: char| c.is_whitespace() || c.is_control())
    });
    match bad_token {
        Some(_) => Err(format!(
            "--subject-prefix '{shown}': give subject tokens separated by dots, without \
             wildcards or spaces (as wadm's multi-tenant prefix, e.g. --subject-prefix acct)"
        )),
        None => Ok(()),
    }
}

/// `[P.]wasmbus.evt.<lattice>.>` per lattice; just `….<name>` per name when every `--type` is an
/// exact name, so the server drops the rest; plus the bare `….<lattice>` for `--legacy`.
///
/// Each subject is its own subscription, and async-nats gives each its own channel: messages of
/// different subscriptions that arrive in the same instant may be handled in either order. That is
/// harmless for display, but learning host names must see `host_started` before the events it
/// names, so `--host` (`learn_names`) keeps the single wildcard subscription.
pub(super) fn subjects(
    lattices: &[String],
    prefix: Option<&str>,
    legacy: bool,
    include: &[TypePattern],
    learn_names: bool,
) -> Vec<String> {
    let exact: Option<Vec<&str>> = include.iter().map(TypePattern::exact_name).collect();
    let exact = exact.filter(|names| !names.is_empty() && !learn_names);
    // wadm's kinds are on wadm's subjects (`app_subjects`), never on `wasmbus.evt`.
    let wadm = |name: &&str| {
        crate::event::Kind::from_name(name)
            .known()
            .is_some_and(crate::event::kind::KindId::is_wadm)
    };
    let exact = exact.map(|names| names.into_iter().filter(|n| !wadm(n)).collect::<Vec<_>>());
    let mut subjects = Vec::new();
    for lattice in lattices {
        let base = match prefix {
            Some(prefix) => format!("{prefix}.wasmbus.evt.{lattice}"),
            None => format!("wasmbus.evt.{lattice}"),
        };
        match &exact {
            Some(names) => {
                for name in names {
                    let subject = format!("{base}.{name}");
                    if !subjects.contains(&subject) {
                        subjects.push(subject);
                    }
                }
            }
            None => subjects.push(format!("{base}.>")),
        }
        if legacy {
            subjects.push(base);
        }
    }
    subjects
}
