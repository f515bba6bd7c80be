//! What a run waits for and replays: `--until-*`, `--fail-on`, `--until-app` ([`until`]) and
//! `--since`/`--last`/`--stream` ([`replay`]).

use chrono::{DateTime, Utc};

use crate::cli::Cli;
use crate::filter::jq::JqFilter;
use crate::filter::{Filter, TypePattern};
use crate::until::{AppTarget, AppWait, Until};

use super::{ids, type_patterns, Replay, ReplayFrom};

/// `--until-*` and `--fail-on`, matched like the filter flags.
pub(super) fn until(
    cli: &Cli,
    lattices: &[String],
    warnings: &mut Vec<String>,
) -> Result<Option<Until>, String> {
    // A capture holds whatever lattices it holds; a server is asked for these only.
    let watched = match cli.input.is_some() || cli.all_lattices {
        true => None,
        false => Some(lattices),
    };
    let app_targets = app_targets(&cli.until_app, watched)?;
    let waiting = !(cli.until_type.is_empty()
        && cli.until_host.is_empty()
        && cli.until_component.is_empty()
        && cli.until_provider.is_empty()
        && cli.until_filter.is_none());
    let fail_on: Vec<&str> = cli
        .fail_on
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let fail_off = fail_on.iter().any(|t| t.eq_ignore_ascii_case("none"));
    let fail_given = !fail_on.is_empty();
    let workload_targets = workload_targets(&cli.until_workload)?;
    if !waiting && fail_on.is_empty() && app_targets.is_empty() && workload_targets.is_empty() {
        return Ok(None);
    }
    let workloads = (!workload_targets.is_empty())
        .then(|| crate::until::WorkloadWait::new(workload_targets, !fail_off));
    let apps = (!app_targets.is_empty()).then_some(AppWait {
        targets: app_targets,
        fail: !fail_off,
        several_lattices: cli.all_lattices || lattices.len() > 1,
    });
    let types = |flag: &str,
                 values: &[&str],
                 warnings: &mut Vec<String>|
     -> Result<Vec<TypePattern>, String> {
        let patterns = type_patterns(flag, values)?;
        warnings.extend(patterns.iter().filter_map(|t| t.unknown_name_warning(flag)));
        Ok(patterns)
    };
    let about = || Filter {
        hosts: ids("--until-host", &cli.until_host),
        components: ids("--until-component", &cli.until_component),
        providers: ids("--until-provider", &cli.until_provider),
        ..Filter::default()
    };
    let until_types: Vec<&str> = cli.until_type.iter().map(String::as_str).collect();
    let target = waiting.then(|| -> Result<Filter, String> {
        Ok(Filter {
            include: types("--until-type", &until_types, warnings)?,
            jq: match &cli.until_filter {
                Some(code) => Some(
                    JqFilter::compile(code)
                        .map_err(|why| {
                            format!("--until-filter is not a jq expression latwatch can run: {why}")
                        })?
                        .for_flag("--until-filter"),
                ),
                None => None,
            },
            ..about()
        })
    });
    let failure_types: Vec<&str> = match fail_on.is_empty() {
        true => vec!["*_failed"],
        false => fail_on,
    };
    // While --until-app waits, a failure is the application's status (wadm retries what a
    // host failed); failure events end the wait only when --fail-on names them.
    let failure = match fail_off || ((apps.is_some() || workloads.is_some()) && !fail_given) {
        true => None,
        false => Some(Filter {
            include: types("--fail-on", &failure_types, warnings)?,
            ..about()
        }),
    };
    // A failure is said under the flag the user gave: `--fail-on` only when they gave it.
    let failure_by = match (fail_given, apps.is_some(), workloads.is_some()) {
        (true, _, _) => "--fail-on",
        (false, true, _) => "--until-app",
        (false, false, true) => "--until-workload",
        (false, false, false) => "--until",
    };
    let target = target.transpose()?;
    let awaited_failures = target
        .iter()
        .flat_map(|t| &t.include)
        .filter(|p| !fail_given && p.names_failures())
        .cloned()
        .collect();
    Ok(Some(Until {
        target,
        awaited_failures,
        failure,
        apps,
        workloads,
        failure_by,
    }))
}

/// `--until-workload NAMESPACE/NAME=STATE` values, checked.
fn workload_targets(values: &[String]) -> Result<Vec<crate::until::WorkloadTarget>, String> {
    use crate::until::{WantState, WorkloadTarget};
    values
        .iter()
        .map(|value| {
            let shown = crate::text::escape_untrusted(value.trim()).into_owned();
            let usage = || {
                format!(
                    "--until-workload {shown}: give NAMESPACE/NAME=STATE, e.g. --until-workload '\
                     default/hello-*=running' (states: {})",
                    WantState::NAMES
                )
            };
            let (workload, state) = value.trim().split_once('=').ok_or_else(usage)?;
            let (namespace, name) = workload.split_once('/').ok_or_else(usage)?;
            if namespace.trim().is_empty() || name.trim().is_empty() {
                return Err(usage());
            }
            let state = WantState::parse(state).ok_or_else(usage)?;
            Ok(WorkloadTarget {
                namespace: crate::filter::AppPattern::new(namespace),
                name: crate::filter::AppPattern::new(name),
                state,
                shown,
            })
        })
        .collect()
}

/// `--until-app [LATTICE/]NAME=STATUS` values, checked; a LATTICE must be one of `watched`
/// (`None`: any).
pub(super) fn app_targets(
    values: &[String],
    watched: Option<&[String]>,
) -> Result<Vec<AppTarget>, String> {
    let statuses = crate::state::apps::wire::STATUSES.join(", ");
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|value| {
            let shown = crate::text::escape_untrusted(value);
            let Some((name, status)) = value.trim().split_once('=') else {
                return Err(format!(
                    "--until-app {shown}: give NAME=STATUS, e.g. --until-app hello-app=deployed \
                     (statuses: {statuses})"
                ));
            };
            let (lattice, name) = match name.trim().split_once('/') {
                Some((lattice, name)) => (Some(lattice.trim()), name.trim()),
                None => (None, name.trim()),
            };
            let bad =
                |token: &str| token.is_empty() || token.contains(['*', '?', '>', '.', '/', ' ']);
            if bad(name) {
                return Err(format!(
                    "--until-app {shown}: NAME is one application's name as in its manifest \
                     (no globs, dots or spaces), e.g. hello-app=deployed or \
                     LATTICE/NAME=STATUS for one lattice's"
                ));
            }
            if lattice.is_some_and(bad) {
                return Err(format!(
                    "--until-app {shown}: LATTICE/NAME names one lattice (no globs, dots or \
                     spaces), e.g. default/hello-app=deployed"
                ));
            }
            if let (Some(lattice), Some(watched)) = (lattice, watched) {
                if !watched.iter().any(|w| w == lattice) {
                    return Err(format!(
                        "--until-app {shown}: lattice '{}' is not watched (--lattice {}); add it \
                         to --lattice",
                        crate::text::escape_untrusted(lattice),
                        crate::text::escape_untrusted(&watched.join(","))
                    ));
                }
            }
            let status = crate::state::apps::AppStatus::parse(status);
            if !status.is_known() {
                return Err(format!(
                    "--until-app {shown}: '{}' is not a status wadm reports; use one of \
                     {statuses}",
                    crate::text::escape_untrusted(status.as_str())
                ));
            }
            Ok(AppTarget {
                lattice: lattice.map(str::to_owned),
                name: name.to_owned(),
                status,
            })
        })
        .collect()
}

/// `--since`/`--last`/`--stream`.
pub(super) fn replay(cli: &Cli) -> Result<Option<Replay>, String> {
    let from = match (&cli.since, cli.last) {
        (Some(since), _) => ReplayFrom::Since(since_time(since, Utc::now())?),
        (None, Some(n)) => ReplayFrom::Last(n),
        (None, None) => return Ok(None),
    };
    Ok(Some(Replay {
        from,
        stream: cli.stream.clone(),
    }))
}

/// `--since`: a duration back from `now`, or an RFC 3339 time; between 1970 (nothing in a
/// stream is older) and a minute from now (clocks differ a little, not more).
pub(super) fn since_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let ago = crate::cli::parse_duration(text).map_err(|why| {
                format!(
                    "--since {text}: use a duration (90s, 10m, 1h30m) or an RFC 3339 time \
                     (2026-11-24T14:00:00Z) ({why})"
                )
            })?;
            chrono::Duration::from_std(ago)
                .ok()
                .and_then(|ago| now.checked_sub_signed(ago))
                .ok_or_else(|| format!("--since {text} reaches back too far"))?
        }
    };
    if at < DateTime::<Utc>::UNIX_EPOCH {
        return Err(format!(
            "--since {text} reaches back before 1970, before anything a stream can hold; \
             give a later time, or --last N for the last N events"
        ));
    }
    if at > now + chrono::Duration::minutes(1) {
        return Err(format!(
            "--since {text} is in the future ({}); give a past time or a duration like 10m",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(at)
}
