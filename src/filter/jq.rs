//! `--filter EXPR`: a jq expression run by jaq on each event's CloudEvent JSON.
//!
//! The event is kept when any output of the expression is truthy (neither `false` nor `null`),
//! exactly as `jq 'select(EXPR)'` would keep it. A payload that is not JSON has nothing to run on
//! and is dropped.
//!
//! An event the expression cannot judge does not match: a runtime error (say, `.data.x > 2` on a
//! string, an invalid regex built from the event), or a payload nested deeper than [`MAX_DEPTH`]
//! (jaq parses and evaluates recursively: 30,000 levels, 60 KB, overflowed the stack and killed
//! latwatch). Each distinct reason is said once on stderr and every one is counted for
//! `--summary` (`filter::notes`), so an erroring filter never hides events silently.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Native, Vars};
use jaq_json::Val;

use crate::text::{escape_untrusted, truncate};

type Data = data::JustLut<Val>;

/// Arrays and objects nested deeper than this are not given to jaq. Lattice events nest a few
/// levels, wadm manifests about fifteen; jaq itself survives a few thousand on a thread's stack.
pub const MAX_DEPTH: usize = 512;

/// A compiled jq expression.
pub struct JqFilter {
    filter: jaq_core::compile::Filter<Native<Data>>,
    /// The flag it came from, for messages.
    flag: &'static str,
}

/// What running the expression on one event gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Keep,
    Drop,
    /// It could not be run to the end on this event: not a match.
    Error(String),
}

impl std::fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JqFilter")
    }
}

impl JqFilter {
    /// Parses and compiles `code`; the error says what is wrong and where, for a usage error.
    pub fn compile(code: &str) -> Result<JqFilter, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs::<Data>()
            .chain(jaq_std::funs::<Data>())
            .chain(jaq_json::funs::<Data>());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                let mut messages = Vec::new();
                for (_, error) in errors {
                    match error {
                        jaq_core::load::Error::Io(errors) => messages.extend(
                            errors
                                .into_iter()
                                .map(|(path, why)| format!("cannot load {path}: {why}")),
                        ),
                        jaq_core::load::Error::Lex(errors) => messages.extend(
                            errors
                                .into_iter()
                                .map(|(expected, found)| describe(code, found, expected.as_str())),
                        ),
                        jaq_core::load::Error::Parse(errors) => messages.extend(
                            errors
                                .into_iter()
                                .map(|(expected, found)| describe(code, found, expected.as_str())),
                        ),
                    }
                }
                messages.join("; ")
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let messages: Vec<String> = errors
                    .into_iter()
                    .flat_map(|(_, undefined)| undefined)
                    .map(|(name, kind)| {
                        format!(
                            "undefined {} `{name}` at {}",
                            kind.as_str(),
                            position(code, name)
                        )
                    })
                    .collect();
                messages.join("; ")
            })?;
        Ok(JqFilter {
            filter,
            flag: "--filter",
        })
    }

    /// The same expression given to another flag (`--until-filter`), for messages.
    pub fn for_flag(self, flag: &'static str) -> JqFilter {
        JqFilter { flag, ..self }
    }

    /// The flag the expression came from.
    pub fn flag(&self) -> &'static str {
        self.flag
    }

    /// Runs the expression on `json`: kept at the first truthy output, an error at the first
    /// error before one.
    pub fn judge(&self, json: &[u8]) -> Judged {
        if deeper_than(json, MAX_DEPTH) {
            return Judged::Error(format!("the event nests deeper than {MAX_DEPTH} levels"));
        }
        let Ok(input) = jaq_json::read::parse_single(json) else {
            return Judged::Drop;
        };
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        for output in self.filter.id.run((ctx, input)) {
            match output {
                Ok(value) if jaq_core::ValT::as_bool(&value) => return Judged::Keep,
                Ok(_) => {}
                // `halt` would end the whole process through jaq's own helper: here it is only
                // the end of this event's evaluation.
                Err(exception) => {
                    let why = match exception.get_err() {
                        Ok(error) => error.to_string(),
                        Err(other) => match other.get_halt() {
                            Ok(code) => format!("halt with exit code {code}"),
                            Err(_) => "an exception escaped the expression".to_owned(),
                        },
                    };
                    return Judged::Error(escape_untrusted(&truncate(&why, 120)).into_owned());
                }
            }
        }
        Judged::Drop
    }
}

/// True when arrays and objects in `json` nest deeper than `limit` (brackets inside strings do not
/// count). One pass over the bytes, no allocation.
pub fn deeper_than(json: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// `expected term at column 21 but found `)``.
fn describe(code: &str, found: &str, expected: &str) -> String {
    let shown = if found.is_empty() {
        "the end of the expression".to_owned()
    } else {
        let token: String = found.chars().take(12).collect();
        format!("`{token}`")
    };
    format!(
        "expected {expected} at {} but found {shown}",
        position(code, found)
    )
}

/// Where `part` (a slice of `code`) starts, as `column N` (1-based, in characters).
fn position(code: &str, part: &str) -> String {
    let offset = (part.as_ptr() as usize).saturating_sub(code.as_ptr() as usize);
    let offset = offset.min(code.len());
    let column = code
        .get(..offset)
        .map_or(offset, |before| before.chars().count())
        + 1;
    format!("column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &[u8] = br#"{"type":"com.wasmcloud.lattice.component_scaled","data":{"max_instances":4,"annotations":{"wasmcloud.dev/appspec":"hello"}}}"#;

    #[test]
    fn truthy_results_keep_the_event() {
        let keeps = |code: &str| JqFilter::compile(code).unwrap().judge(EVENT) == Judged::Keep;
        assert!(keeps(".data.max_instances > 2"));
        assert!(!keeps(".data.max_instances > 5"));
        assert!(keeps(
            r#".data.annotations["wasmcloud.dev/appspec"] == "hello""#
        ));
    }

    #[test]
    fn null_and_false_drop_the_event() {
        let keeps = |code: &str| JqFilter::compile(code).unwrap().judge(EVENT) == Judged::Keep;
        assert!(!keeps(".data.missing"));
        assert!(!keeps("false"));
        assert!(keeps("false, true"));
    }

    #[test]
    fn std_and_regex_functions_are_there() {
        let keeps = |code: &str| JqFilter::compile(code).unwrap().judge(EVENT) == Judged::Keep;
        assert!(keeps(r#".type | endswith("_scaled")"#));
        assert!(keeps(r#".type | test("comp.*scaled")"#));
    }

    #[test]
    fn runtime_errors_are_errors_and_non_json_is_dropped() {
        let judged = JqFilter::compile(".data | error").unwrap().judge(EVENT);
        assert!(matches!(judged, Judged::Error(_)), "{judged:?}");
        let judged = JqFilter::compile(r#".type | test("(")"#)
            .unwrap()
            .judge(EVENT);
        assert!(
            matches!(judged, Judged::Error(_)),
            "an invalid regex: {judged:?}"
        );
        assert_eq!(
            JqFilter::compile("halt").unwrap().judge(EVENT),
            Judged::Error("halt with exit code 0".into())
        );
        assert_eq!(
            JqFilter::compile("true").unwrap().judge(b"not json"),
            Judged::Drop
        );
        assert_eq!(
            JqFilter::compile("true, error").unwrap().judge(EVENT),
            Judged::Keep
        );
    }

    #[test]
    fn deep_nesting_is_not_run_and_does_not_overflow() {
        let depth = 1_000_000;
        let mut deep = br#"{"type":"x","deep":"#.to_vec();
        deep.extend(std::iter::repeat_n(b'[', depth));
        deep.extend(std::iter::repeat_n(b']', depth));
        deep.push(b'}');
        let judged = JqFilter::compile(".type").unwrap().judge(&deep);
        assert!(
            matches!(judged, Judged::Error(ref why) if why.contains("nests deeper")),
            "{judged:?}"
        );
        let shallow = format!(
            r#"{{"a":"{}","b":{}{}}}"#,
            "[".repeat(2000),
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(
            !deeper_than(shallow.as_bytes(), MAX_DEPTH),
            "brackets in strings do not count"
        );
        assert_eq!(
            JqFilter::compile(".a | length > 0")
                .unwrap()
                .judge(shallow.as_bytes()),
            Judged::Keep
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        let error = JqFilter::compile(".data | select(.x ==)").unwrap_err();
        assert!(error.contains("column 21"), "{error}");
        let error = JqFilter::compile(".data | nosuchfn").unwrap_err();
        assert!(error.contains("undefined"), "{error}");
        assert!(error.contains("nosuchfn"), "{error}");
        assert!(error.contains("column 9"), "{error}");
    }
}
