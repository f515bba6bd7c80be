//! `--filter EXPR`: a jq expression run by jaq on each event's CloudEvent JSON.
//!
//! The event is kept when any output of the expression is truthy (neither `false` nor `null`),
//! exactly as `jq 'select(EXPR)'` would keep it. A runtime error (say, `.data.x > 2` on a string)
//! drops that event. A payload that is not JSON has nothing to run on and is dropped.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Native, Vars};
use jaq_json::Val;

type Data = data::JustLut<Val>;

/// A compiled jq expression.
pub struct JqFilter {
    filter: jaq_core::compile::Filter<Native<Data>>,
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
        Ok(JqFilter { filter })
    }

    /// True when the expression, run on `json`, gives at least one truthy value.
    pub fn keeps(&self, json: &[u8]) -> bool {
        let Ok(input) = jaq_json::read::parse_single(json) else {
            return false;
        };
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, input))
            .map(jaq_core::unwrap_valr)
            .any(|value| value.is_ok_and(|value| jaq_core::ValT::as_bool(&value)))
    }
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
        assert!(JqFilter::compile(".data.max_instances > 2")
            .unwrap()
            .keeps(EVENT));
        assert!(!JqFilter::compile(".data.max_instances > 5")
            .unwrap()
            .keeps(EVENT));
        assert!(
            JqFilter::compile(r#".data.annotations["wasmcloud.dev/appspec"] == "hello""#)
                .unwrap()
                .keeps(EVENT)
        );
    }

    #[test]
    fn null_and_false_drop_the_event() {
        assert!(!JqFilter::compile(".data.missing").unwrap().keeps(EVENT));
        assert!(!JqFilter::compile("false").unwrap().keeps(EVENT));
        assert!(JqFilter::compile("false, true").unwrap().keeps(EVENT));
    }

    #[test]
    fn std_and_regex_functions_are_there() {
        assert!(JqFilter::compile(r#".type | endswith("_scaled")"#)
            .unwrap()
            .keeps(EVENT));
        assert!(JqFilter::compile(r#".type | test("comp.*scaled")"#)
            .unwrap()
            .keeps(EVENT));
    }

    #[test]
    fn runtime_errors_and_non_json_drop_the_event() {
        assert!(!JqFilter::compile(".type > 1 | not | error")
            .unwrap()
            .keeps(EVENT));
        assert!(!JqFilter::compile("true").unwrap().keeps(b"not json"));
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
