//! Filter: which decoded events go on to be shown.
//!
//! Values within one flag are OR, different flags are AND, and excludes win:
//! `-t a -t b --host h` keeps events of kind a or b that are about host h;
//! `--exclude-type` drops an event whatever else matched. Cheap tests run first (kind, ids), the
//! jq expression last. Exact `--type` names are also narrowed on the server (`config.rs` subscribes
//! to just those subjects), so most unwanted events never arrive at all.

#[cfg(unix)]
mod bounded;
pub mod budget;
pub mod jq;
pub mod notes;
/// Unix only (a socket to a child process): elsewhere every expression is judged in-thread, under
/// the same checkpoints.
#[cfg(unix)]
pub mod worker;

use std::borrow::Cow;

use crate::event::kind::{About, KINDS, WADM_TYPE_PREFIX};
use crate::event::{Event, RawMessage, TYPE_PREFIX};
use crate::state::lattice::Lattice;
use crate::state::workloads::WorkloadFacts;
use crate::text::escape_untrusted;
use jq::{JqFilter, Judged};
use notes::Note;

/// A `--type`/`--exclude-type` value: a short name, a full CloudEvents type or a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypePattern(Pattern);

impl TypePattern {
    pub fn new(text: &str) -> TypePattern {
        let text = text.trim();
        let name = text
            .strip_prefix(TYPE_PREFIX)
            .or_else(|| text.strip_prefix(WADM_TYPE_PREFIX))
            .unwrap_or(text);
        TypePattern(Pattern::new(name))
    }

    /// A flag's value, checked: the characters that cannot be in an event kind (white space,
    /// control characters, `>`) and glob syntax latwatch does not have (`[…]`, `{…}`) are usage
    /// errors rather than a subscription the server refuses or a pattern that never matches.
    pub fn parse(flag: &str, text: &str) -> Result<TypePattern, String> {
        let trimmed = text.trim();
        let shown = escape_untrusted(text);
        if trimmed.is_empty() {
            return Err(format!(
                "{flag} '{shown}' is empty: give an event kind like component_scaled"
            ));
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '>')
        {
            return Err(format!(
                "{flag} '{shown}': an event kind has no {}; give a name like component_scaled or a glob like '*_failed'",
                match bad {
                    '>' => "'>'".to_owned(),
                    c if c.is_whitespace() => "spaces".to_owned(),
                    c => format!("control character {}", escape_untrusted(&c.to_string())),
                }
            ));
        }
        if trimmed.contains(['[', ']', '{', '}']) {
            return Err(format!(
                "{flag} '{shown}': latwatch globs know only * (any run) and ? (one character); \
                 brackets and braces are not glob syntax here"
            ));
        }
        Ok(TypePattern::new(trimmed))
    }

    /// The short name when this is an exact name (what the server can filter on).
    pub fn exact_name(&self) -> Option<&str> {
        (!self.0.glob).then_some(self.0.text.as_str())
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.matches(name)
    }

    /// Whether it names failures: its text ends with `failed` (`component_scale_failed`,
    /// `'*_failed'`).
    pub fn names_failures(&self) -> bool {
        self.0.text.ends_with("failed")
    }

    /// A warning for an exact name no known kind has, with a suggestion when one is close.
    pub fn unknown_name_warning(&self, flag: &str) -> Option<String> {
        let name = self.exact_name()?;
        if KINDS.iter().any(|kind| kind.name == name) {
            return None;
        }
        let closest = KINDS
            .iter()
            .map(|kind| (strsim::levenshtein(kind.name, name), kind.name))
            .min();
        let hint = match closest {
            Some((distance, suggestion)) if distance <= 3.max(name.len() / 3) => {
                format!(" (did you mean {suggestion}?)")
            }
            _ => String::new(),
        };
        Some(format!(
            "{flag} {} matches no event kind latwatch knows{hint}; kept, since a newer host may send it",
            escape_untrusted(name)
        ))
    }
}

/// Text matched exactly, or as a glob when it has `*` or `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    text: String,
    glob: bool,
}

impl Pattern {
    fn new(text: &str) -> Pattern {
        Pattern {
            text: text.to_owned(),
            glob: text.contains(['*', '?']),
        }
    }

    fn matches(&self, text: &str) -> bool {
        if self.glob {
            wildcard(self.text.as_bytes(), text.as_bytes())
        } else {
            self.text == text
        }
    }
}

/// Glob matching: `*` any run of characters, `?` one character; everything else literal.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                t += utf8_len(text[t]);
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and try again from there.
                Some((star_p, star_t)) => {
                    let next = star_t + utf8_len(text[star_t]);
                    star = Some((star_p, next));
                    p = star_p + 1;
                    t = next;
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// An `--app` value: an application name, exact or a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPattern(Pattern);

impl AppPattern {
    pub fn new(text: &str) -> AppPattern {
        AppPattern(Pattern::new(text.trim()))
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.matches(name)
    }
}

/// A `--host`/`--component`/`--provider` value: an exact id, a prefix of one, or a glob.
#[derive(Debug, Clone)]
pub struct IdMatcher {
    flag: &'static str,
    pattern: Pattern,
}

impl IdMatcher {
    pub fn new(flag: &'static str, text: &str) -> IdMatcher {
        IdMatcher {
            flag,
            pattern: Pattern::new(text.trim()),
        }
    }

    /// Whether `text` matches exactly, as a prefix or as a glob, with nothing noted (`latwatch
    /// top` filters rows with it).
    pub fn matches_text(&self, text: &str) -> bool {
        self.pattern.matches(text)
            || (!self.pattern.glob
                && !self.pattern.text.is_empty()
                && text.starts_with(&self.pattern.text))
    }

    /// Whether `id` matches; a match only as a prefix is noted (two different ids make the value
    /// ambiguous, which [`notes::Notes`] says).
    // A `Cow`, not a `&str`: a note keeps the id, and cloning a borrowed `Cow` copies nothing.
    #[allow(clippy::ptr_arg)]
    fn matches<'a>(&'a self, id: &Cow<'a, str>, notes: &mut Vec<Note<'a>>) -> bool {
        if self.pattern.matches(id) {
            return true;
        }
        if self.pattern.glob || !id.starts_with(&self.pattern.text) {
            return false;
        }
        notes.push(Note::PrefixHit {
            flag: self.flag,
            given: &self.pattern.text,
            id: id.clone(),
        });
        true
    }
}

/// A byte-level test that runs before decoding: when every `--type` is an exact name, a payload
/// that contains none of the names (and no `\u` escape that could spell one) cannot match, so it
/// is dropped without being parsed. This is what makes `--input big.jsonl --type X` run near the
/// speed of `grep`.
#[derive(Debug)]
pub struct Prefilter {
    names: Vec<memchr::memmem::Finder<'static>>,
}

impl Prefilter {
    /// `None` when some `--type` is a glob, or there is none.
    pub fn new(include: &[TypePattern]) -> Option<Prefilter> {
        let names: Option<Vec<_>> = include
            .iter()
            .map(|t| {
                t.exact_name()
                    .map(|name| memchr::memmem::Finder::new(name.as_bytes()).into_owned())
            })
            .collect();
        names
            .filter(|names| !names.is_empty())
            .map(|names| Prefilter { names })
    }

    /// False only when the message cannot be of an included kind.
    pub fn may_match(&self, raw: &RawMessage) -> bool {
        let named = |bytes: &[u8]| self.names.iter().any(|f| f.find(bytes).is_some());
        named(raw.payload)
            || type_may_be_escaped(raw.payload)
            || raw.subject.is_some_and(|s| named(s.as_bytes()))
    }
}

/// Whether the `type` could be written with escapes the byte search cannot see through: a `"type"`
/// key whose string value holds a backslash, or a `\u` escape of one of the letters of `type`
/// (an escaped key). Escapes elsewhere (a label `Z\u00fcrich` in a heartbeat) do not send the event
/// to a full decode: with them in every heartbeat the filter ran at 2× `grep -c`'s time. Lattice
/// events carry almost no backslashes, so the first `memchr` usually answers.
fn type_may_be_escaped(payload: &[u8]) -> bool {
    let mut backslashes = memchr::memchr_iter(b'\\', payload).peekable();
    if backslashes.peek().is_none() {
        return false;
    }
    let escapes_a_letter_of_type = backslashes.any(|at| {
        let Some(escape) = payload.get(at + 1..at + 6) else {
            return false;
        };
        escape[0] == b'u'
            && escape[1..3] == *b"00"
            && matches!(
                escape[3..5],
                [b'7', b'4' | b'9'] | [b'7', b'0'] | [b'6', b'5']
            )
    });
    if escapes_a_letter_of_type {
        return true;
    }
    memchr::memmem::find_iter(payload, b"\"type\"").any(|at| {
        let rest = &payload[at + 6..];
        let rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b":") else {
            return false;
        };
        let Some(value) = rest.trim_ascii_start().strip_prefix(b"\"") else {
            return false;
        };
        // The value runs to the first quote; a backslash before it means escapes in the type.
        match memchr::memchr2(b'"', b'\\', value) {
            Some(at) => value[at] == b'\\',
            None => true,
        }
    })
}

/// Everything that decides whether an event is shown.
#[derive(Debug, Default)]
pub struct Filter {
    pub include: Vec<TypePattern>,
    pub exclude: Vec<TypePattern>,
    pub hosts: Vec<IdMatcher>,
    pub components: Vec<IdMatcher>,
    pub providers: Vec<IdMatcher>,
    /// `--app`: events of these applications (as application memory attributes them).
    pub apps: Vec<AppPattern>,
    /// `--hostgroup`, `--environment`: wasmCloud 2 hosts (and their silence) whose heartbeat
    /// says so; everything else (1.x events, wadm) has neither and is not shown.
    pub hostgroups: Vec<AppPattern>,
    pub environments: Vec<AppPattern>,
    /// `--namespace`: wasmCloud 2 workloads of these namespaces (everything else is not shown).
    pub namespaces: Vec<AppPattern>,
    pub jq: Option<JqFilter>,
}

impl Filter {
    /// True when `--host` needs host names learned from the stream.
    pub fn needs_host_names(&self) -> bool {
        !self.hosts.is_empty() || !self.hostgroups.is_empty() || !self.environments.is_empty()
    }

    /// True when deciding looks into `data` (the id matchers, `--app`).
    pub fn reads_data(&self) -> bool {
        !(self.hosts.is_empty()
            && self.components.is_empty()
            && self.providers.is_empty()
            && self.apps.is_empty())
    }

    /// Whether a line about host `host_id` alone (its silence) is shown: `--host`, `--hostgroup`
    /// and `--environment` narrow those too.
    pub fn keeps_host(&self, host_id: &str, lattice: &Lattice) -> bool {
        // `--namespace` shows workloads only: a host's silence belongs to none.
        if !self.namespaces.is_empty() {
            return false;
        }
        if !self.hosts.is_empty() {
            let names = [
                Some(host_id),
                lattice.host_name(host_id),
                lattice.hostname(host_id),
            ];
            let matched = self
                .hosts
                .iter()
                .any(|m| names.iter().flatten().any(|n| m.matches_text(n)));
            if !matched {
                return false;
            }
        }
        let (group, environment) = lattice.v2_group(host_id);
        let within = |patterns: &[AppPattern], value: Option<&str>| {
            patterns.is_empty() || value.is_some_and(|v| patterns.iter().any(|p| p.matches(v)))
        };
        within(&self.hostgroups, group) && within(&self.environments, environment)
    }

    /// Whether `event` is shown. `lattice` supplies host names learned so far, `app` the
    /// application the event belongs to; what the user should hear about (an ambiguous prefix,
    /// a jq error) goes to `notes`.
    pub fn keeps<'a>(
        &'a self,
        event: &'a Event<'_>,
        lattice: &'a Lattice,
        app: Option<&str>,
        workload: Option<&'a WorkloadFacts>,
        notes: &mut Vec<Note<'a>>,
    ) -> bool {
        // `--namespace`: wasmCloud 2 workloads only (a request or answer about one).
        if !self.namespaces.is_empty()
            && !workload.is_some_and(|w| self.namespaces.iter().any(|p| p.matches(&w.namespace)))
        {
            return false;
        }
        // A host's answer arrives on the asker's inbox: its host is the one the request named.
        let host_id = || {
            event
                .host_id()
                .or_else(|| workload.map(|w| Cow::Borrowed(w.host.as_str())))
        };
        if !self.apps.is_empty() && !app.is_some_and(|app| self.apps.iter().any(|p| p.matches(app)))
        {
            return false;
        }
        let name = event.kind.name();
        if !self.include.is_empty() && !self.include.iter().any(|p| p.matches(name)) {
            return false;
        }
        if self.exclude.iter().any(|p| p.matches(name)) {
            return false;
        }
        if !self.hosts.is_empty() {
            let Some(host) = host_id() else {
                return false;
            };
            let host_name = lattice.host_name(&host).map(Cow::Borrowed);
            // A wasmCloud 2 host is also known by its hostname (`--host-name`).
            let hostname = lattice.hostname(&host);
            let matched = self.hosts.iter().any(|matcher| {
                matcher.matches(&host, notes)
                    || host_name
                        .as_ref()
                        .is_some_and(|name| matcher.matches(name, notes))
                    || hostname.is_some_and(|name| matcher.matches(&Cow::Borrowed(name), notes))
            });
            if !matched {
                return false;
            }
        }
        if !self.hostgroups.is_empty() || !self.environments.is_empty() {
            let Some(host) = host_id() else {
                return false;
            };
            let (group, environment) = lattice.v2_group(&host);
            let within = |patterns: &[AppPattern], value: Option<&str>| {
                patterns.is_empty() || value.is_some_and(|v| patterns.iter().any(|p| p.matches(v)))
            };
            if !within(&self.hostgroups, group) || !within(&self.environments, environment) {
                return false;
            }
        }
        if !self.components.is_empty() && !any_id(&self.components, &component_ids(event), notes) {
            return false;
        }
        if !self.providers.is_empty() && !any_id(&self.providers, &provider_ids(event), notes) {
            return false;
        }
        let Some(jq) = &self.jq else {
            return true;
        };
        if event.is_unreadable() {
            return false;
        }
        match jq.judge(event.raw.payload) {
            Judged::Keep => true,
            Judged::Drop => false,
            Judged::Error(why) => {
                notes.push(Note::JqError {
                    flag: jq.flag(),
                    why,
                });
                false
            }
        }
    }
}

fn any_id<'a>(matchers: &'a [IdMatcher], ids: &[Cow<'a, str>], notes: &mut Vec<Note<'a>>) -> bool {
    matchers
        .iter()
        .any(|matcher| ids.iter().any(|id| matcher.matches(id, notes)))
}

/// The data keys that name the ids an event is about, for `--component` / `--provider`.
fn ids<'a>(event: &'a Event<'_>, keys: &[&str]) -> Vec<Cow<'a, str>> {
    let Some(data) = event.data() else {
        return Vec::new();
    };
    keys.iter().filter_map(|key| data.str(key)).collect()
}

const LINK_ENDS: &[&str] = &["source_id", "target", "actor_id", "provider_id"];

fn component_ids<'a>(event: &'a Event<'_>) -> Vec<Cow<'a, str>> {
    match event.kind.about() {
        Some(About::Component) => ids(event, &["component_id", "actor_id", "public_key"]),
        Some(About::Link) => ids(event, LINK_ENDS),
        None => ids(event, &["component_id"]),
        Some(_) => Vec::new(),
    }
}

fn provider_ids<'a>(event: &'a Event<'_>) -> Vec<Cow<'a, str>> {
    match event.kind.about() {
        Some(About::Provider) => ids(event, &["provider_id", "public_key"]),
        Some(About::Link) => ids(event, LINK_ENDS),
        None => ids(event, &["provider_id"]),
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::kind::Kind;
    use crate::event::{decode, RawMessage, Received};
    use chrono::{DateTime, Utc};

    fn event(payload: &str) -> Event<'_> {
        decode(RawMessage {
            subject: None,
            payload: payload.as_bytes(),
            received: Received::At(DateTime::<Utc>::UNIX_EPOCH),
            reply: None,
        })
    }

    fn scaled(component: &str, host: &str) -> String {
        format!(
            r#"{{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.component_scaled","source":"{host}","data":{{"component_id":"{component}","host_id":"{host}","max_instances":1}}}}"#
        )
    }

    const LINK: &str = r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.linkdef_set","source":"NH","data":{"source_id":"http-server","target":"hello","wit_namespace":"wasi","wit_package":"http"}}"#;
    const HEALTH: &str = r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.health_check_failed","source":"NH","data":{"host_id":"NH","provider_id":"http-server"}}"#;

    fn keeps(filter: &Filter, payload: &str) -> bool {
        let event = event(payload);
        let lattice = Lattice::default();
        filter.keeps(&event, &lattice, None, None, &mut Vec::new())
    }

    #[test]
    fn globs_match() {
        assert!(wildcard(b"*_failed", b"component_scale_failed"));
        assert!(wildcard(b"health_check_*", b"health_check_status"));
        assert!(wildcard(b"*scale*", b"component_scaled"));
        assert!(wildcard(b"h?st_*", b"host_started"));
        assert!(wildcard(b"a?c", "aéc".as_bytes()));
        assert!(!wildcard(b"*_failed", b"component_scaled"));
        assert!(!wildcard(b"host_*", b"xhost_started"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a*b*c", b"aXbYbZc"));
        assert!(!wildcard(b"a*b*c", b"aXbYbZ"));
    }

    #[test]
    fn type_patterns_accept_short_full_and_glob_forms() {
        assert_eq!(
            TypePattern::new("com.wasmcloud.lattice.config_set").exact_name(),
            Some("config_set")
        );
        assert_eq!(TypePattern::new("*_failed").exact_name(), None);
        let filter = Filter {
            include: vec![
                TypePattern::new("*_failed"),
                TypePattern::new("component_scaled"),
            ],
            ..Filter::default()
        };
        assert!(keeps(&filter, &scaled("a", "NH")));
        assert!(keeps(&filter, HEALTH));
        assert!(!keeps(&filter, LINK));
    }

    #[test]
    fn the_prefilter_drops_only_what_cannot_match() {
        let prefilter = Prefilter::new(&[TypePattern::new("component_scaled")]).unwrap();
        let raw = |payload: &'static str, subject| RawMessage {
            subject,
            payload: payload.as_bytes(),
            received: Received::Now,
            reply: None,
        };
        assert!(prefilter.may_match(&raw(
            r#"{"type":"com.wasmcloud.lattice.component_scaled"}"#,
            None
        )));
        assert!(!prefilter.may_match(&raw(r#"{"type":"com.wasmcloud.lattice.config_set"}"#, None)));
        assert!(prefilter.may_match(&raw(
            r#"{"type":"com.wasmcloud.lattice.\u0063omponent_scaled"}"#,
            None
        )));
        assert!(prefilter.may_match(&raw("{}", Some("wasmbus.evt.default.component_scaled"))));
        assert!(
            prefilter.may_match(&raw(
                r#"{"\u0074ype":"com.wasmcloud.lattice.x","source":"y"}"#,
                None
            )),
            "an escaped key"
        );
        assert!(
            prefilter.may_match(&raw(
                r#"{"type" : "com.wasmcloud.lattice.comp\u006fnent_scaled"}"#,
                None
            )),
            "an escape in the value"
        );
        assert!(!prefilter.may_match(&raw(
            r#"{"type":"com.wasmcloud.lattice.host_heartbeat","data":{"labels":{"city":"Z\u00fcrich"}}}"#,
            None
        )), "an escape elsewhere does not need a decode");
        assert!(Prefilter::new(&[TypePattern::new("*_failed")]).is_none());
        assert!(Prefilter::new(&[]).is_none());
    }

    #[test]
    fn bad_type_values_are_refused() {
        assert!(TypePattern::parse("--type", "component_scaled").is_ok());
        assert!(TypePattern::parse("--type", "*_failed").is_ok());
        for bad in ["a b", "**{", "a>", "x[1]", "", "  ", "a\u{1b}b"] {
            let error = TypePattern::parse("--type", bad).unwrap_err();
            assert!(error.starts_with("--type"), "{error}");
            assert!(!error.contains('\u{1b}'), "escaped: {error}");
        }
    }

    #[test]
    fn an_escaped_or_missing_type_has_no_name_a_user_can_type() {
        let escaped = r#"{"specversion":"1.0","id":"1","type":"\u0078yz","source":"N"}"#;
        let missing = r#"{"specversion":"1.0","id":"1","source":"N"}"#;
        for (payload, kind) in [(escaped, Kind::Escaped), (missing, Kind::Missing)] {
            let decoded = event(payload);
            assert_eq!(decoded.kind.label(), kind.label());
            for typed in ["(escaped type)", "(no type)", "xyz"] {
                let filter = Filter {
                    include: vec![TypePattern::new(typed)],
                    ..Filter::default()
                };
                assert!(!keeps(&filter, payload), "--type {typed} matched {payload}");
            }
            let all = Filter {
                include: vec![TypePattern::new("*")],
                ..Filter::default()
            };
            assert!(keeps(&all, payload), "a glob matches it");
        }
    }

    #[test]
    fn excludes_win() {
        let filter = Filter {
            include: vec![TypePattern::new("*")],
            exclude: vec![TypePattern::new("health_check_*")],
            ..Filter::default()
        };
        assert!(!keeps(&filter, HEALTH));
        assert!(keeps(&filter, LINK));
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let warning = TypePattern::new("compnent_scaled")
            .unknown_name_warning("--type")
            .unwrap();
        assert!(
            warning.contains("did you mean component_scaled?"),
            "{warning}"
        );
        assert!(TypePattern::new("component_scaled")
            .unknown_name_warning("--type")
            .is_none());
        assert!(TypePattern::new("*_nope")
            .unknown_name_warning("--type")
            .is_none());
        let far = TypePattern::new("zzzzzzzzzzzzzzzzz")
            .unknown_name_warning("--type")
            .unwrap();
        assert!(!far.contains("did you mean"), "{far}");
    }

    #[test]
    fn components_match_exactly_by_prefix_or_glob_and_through_links() {
        let by_prefix = Filter {
            components: vec![IdMatcher::new("--component", "hel")],
            ..Filter::default()
        };
        assert!(keeps(&by_prefix, &scaled("hello", "NH")));
        assert!(keeps(&by_prefix, LINK), "target end of a link");
        assert!(!keeps(&by_prefix, &scaled("other", "NH")));
        assert!(!keeps(&by_prefix, HEALTH));

        let by_glob = Filter {
            components: vec![IdMatcher::new("--component", "*lo")],
            ..Filter::default()
        };
        assert!(keeps(&by_glob, &scaled("hello", "NH")));
        assert!(!keeps(&by_glob, &scaled("hello2", "NH")));
    }

    #[test]
    fn providers_match_health_and_links() {
        let filter = Filter {
            providers: vec![IdMatcher::new("--provider", "http-server")],
            ..Filter::default()
        };
        assert!(keeps(&filter, HEALTH));
        assert!(keeps(&filter, LINK));
        assert!(
            !keeps(&filter, &scaled("http-server", "NH")),
            "a component event"
        );
    }

    #[test]
    fn different_flags_are_and() {
        let filter = Filter {
            include: vec![TypePattern::new("component_scaled")],
            hosts: vec![IdMatcher::new("--host", "NA")],
            ..Filter::default()
        };
        assert!(keeps(&filter, &scaled("x", "NAAA")));
        assert!(!keeps(&filter, &scaled("x", "NBBB")));
    }

    #[test]
    fn hosts_match_learned_names() {
        let mut lattice = Lattice::default();
        lattice.observe(
            &event(
                r#"{"specversion":"1.0","id":"1","type":"com.wasmcloud.lattice.host_started","source":"NHOST","data":{"friendly_name":"misty-river-4821"}}"#,
            ),
            DateTime::<Utc>::UNIX_EPOCH,
        );
        let filter = Filter {
            hosts: vec![IdMatcher::new("--host", "misty-*")],
            ..Filter::default()
        };
        let (ours, other) = (scaled("x", "NHOST"), scaled("x", "NOTHER"));
        assert!(filter.keeps(&event(&ours), &lattice, None, None, &mut Vec::new()));
        assert!(!filter.keeps(&event(&other), &lattice, None, None, &mut Vec::new()));
    }

    #[test]
    fn prefix_matches_and_jq_errors_are_noted_not_said() {
        let filter = Filter {
            components: vec![IdMatcher::new("--component", "hel")],
            jq: Some(JqFilter::compile(".data | error(\"boom\")").unwrap()),
            ..Filter::default()
        };
        let payload = scaled("hello", "NH");
        let event = event(&payload);
        let lattice = Lattice::default();
        let mut notes = Vec::new();
        assert!(!filter.keeps(&event, &lattice, None, None, &mut notes));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(matches!(&notes[0], Note::PrefixHit { id, .. } if id == "hello"));
        assert!(matches!(
            &notes[1],
            Note::JqError {
                flag: "--filter",
                ..
            }
        ));
    }

    #[test]
    fn jq_runs_last_and_not_on_unreadable_payloads() {
        let filter = Filter {
            jq: Some(JqFilter::compile(".data.component_id == \"a\"").unwrap()),
            ..Filter::default()
        };
        assert!(keeps(&filter, &scaled("a", "NH")));
        assert!(!keeps(&filter, &scaled("b", "NH")));
        assert!(!keeps(&filter, "not json"));
    }
}
