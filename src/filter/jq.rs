//! `--filter EXPR`: a jq expression run by jaq on each event's CloudEvent JSON.
//!
//! The event is kept when any output of the expression is truthy (neither `false` nor `null`),
//! exactly as `jq 'select(EXPR)'` would keep it. A payload that is not JSON has nothing to run on
//! and is dropped.
//!
//! An event the expression cannot judge does not match: a runtime error (say, `.data.x > 2` on a
//! string, an invalid regex built from the event), a payload nested deeper than [`MAX_DEPTH`]
//! (jaq parses and evaluates recursively: 30,000 levels, 60 KB, overflowed the stack and killed
//! latwatch) or holding a number longer than [`MAX_DIGITS`] (jaq reads integers exactly, in time
//! quadratic in their length), or an evaluation that went over its budget (`budget.rs`: steps,
//! time, memory, stack). Each distinct reason is said once on stderr and every one is counted for
//! `--summary` (`filter::notes`), so an erroring filter never hides events silently.
//!
//! Where it runs: an expression without loops that calls only cheap built-ins (`bounded.rs`) is
//! judged on the watcher's thread, under the budget; any other in the worker process
//! (`worker.rs`), under the same budget, where what the budget's checkpoints cannot stop is
//! stopped by killing the process.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::native::{v, Fun};
use jaq_core::{Compiler, Ctx, Error, Exn, Native, ValT as _, Vars};
use jaq_json::Val;

#[cfg(unix)]
use super::bounded;
use super::budget::{self, Budget, Budgeted, Exceeded, Meter};
#[cfg(unix)]
use super::worker::Worker;
use crate::text::{escape_untrusted, truncate};

/// Arrays and objects nested deeper than this are not given to jaq. Lattice events nest a few
/// levels, wadm manifests about fifteen; jaq itself survives a few thousand on a thread's stack.
pub const MAX_DEPTH: usize = 512;
/// A number written with more digits than this is not given to jaq, which reads an integer
/// exactly (a big integer) in time quadratic in its length: a million digits took seconds.
pub const MAX_DIGITS: usize = 10_000;

/// A compiled jq expression, and where it runs.
pub struct JqFilter {
    engine: Engine,
    /// The flag it came from, for messages.
    flag: &'static str,
}

enum Engine {
    /// Judged on the caller's thread: the expression is cheap in the event (`bounded.rs`).
    Here(Compiled),
    /// Judged by the worker process.
    #[cfg(unix)]
    Worker(Worker),
}

/// An expression compiled for budgeted evaluation (on the watcher's thread or in the worker).
pub struct Compiled {
    filter: jaq_core::compile::Filter<Native<Budgeted>>,
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
        f.write_str(match self.engine {
            Engine::Here(_) => "JqFilter (in thread)",
            #[cfg(unix)]
            Engine::Worker(_) => "JqFilter (worker)",
        })
    }
}

impl JqFilter {
    /// Parses and compiles `code`; the error says what is wrong and where, for a usage error.
    pub fn compile(code: &str) -> Result<JqFilter, String> {
        let compiled = Compiled::new(code)?;
        #[cfg(unix)]
        let engine = if bounded::runs_in_thread(code) {
            Engine::Here(compiled)
        } else {
            Engine::Worker(Worker::new(code))
        };
        // No worker process off Unix: the checkpoints still stop loops, recursion and memory
        // growth they see; one built-in working long between two of them is not stopped.
        #[cfg(not(unix))]
        let engine = Engine::Here(compiled);
        Ok(JqFilter {
            engine,
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

    /// True when events are judged on the caller's thread (not by the worker process).
    pub fn runs_in_thread(&self) -> bool {
        matches!(self.engine, Engine::Here(_))
    }

    /// Runs the expression on `json`: kept at the first truthy output, an error at the first
    /// error before one, or when the budget ran out.
    pub fn judge(&self, json: &[u8]) -> Judged {
        match &self.engine {
            Engine::Here(compiled) => compiled.judge(json, budget::MAX_STACK),
            #[cfg(unix)]
            Engine::Worker(worker) => worker.judge(json),
        }
    }
}

impl Compiled {
    /// Parses and compiles `code` with jaq's standard library, `range` and `fromjson` replaced by
    /// budgeted versions.
    pub fn new(code: &str) -> Result<Compiled, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        // The first native of a name wins: the budgeted ones come first.
        let funs = [budgeted_range(), guarded_fromjson()]
            .into_iter()
            .chain(jaq_core::funs::<Budgeted>())
            .chain(jaq_std::funs::<Budgeted>())
            .chain(jaq_json::funs::<Budgeted>());
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
        Ok(Compiled { filter })
    }

    /// Runs the expression on `json` under a fresh [`Budget`] that allows `stack_limit` bytes of
    /// stack; a panic inside jaq is caught and is an error too.
    pub fn judge(&self, json: &[u8], stack_limit: usize) -> Judged {
        if let Some(why) = too_costly(json, "the event") {
            return Judged::Error(why);
        }
        let budget = Budget::new(json.len(), stack_limit);
        let judged = quiet_panics::catch(|| {
            let Ok(input) = jaq_json::read::parse_single(json) else {
                return Judged::Drop;
            };
            let ctx = Ctx::<Budgeted>::new(Meter::new(&self.filter.lut, &budget), Vars::new([]));
            for output in self.filter.id.run((ctx, input)) {
                match output {
                    Ok(value) if value.as_bool() => return Judged::Keep,
                    Ok(_) => {}
                    // `halt` would end the whole process through jaq's own helper: here it is
                    // only the end of this event's evaluation.
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
        });
        match judged {
            Ok(judged) => judged,
            Err(payload) => match payload.downcast::<Exceeded>() {
                Ok(exceeded) => Judged::Error(exceeded.why()),
                Err(_) => Judged::Error("jaq failed on it (a panic, caught)".to_owned()),
            },
        }
    }
}

/// jq's `range/3` as jaq-core has it, with a checkpoint per output: the native `range` loops
/// without passing through the evaluator, so `last(range(1e15))` would pass no checkpoint.
fn budgeted_range() -> Fun<Budgeted> {
    (
        "range",
        v(3),
        Native::new(|mut cv| {
            use std::cmp::Ordering::{Equal, Greater, Less};
            let meter = cv.0.data().clone();
            let by = cv.0.pop_var();
            let to = cv.0.pop_var();
            let mut from: Result<Val, Exn<Val>> = Ok(cv.0.pop_var());
            let direction = by.partial_cmp(&Val::from(0isize)).unwrap_or(Equal);
            Box::new(std::iter::from_fn(move || match from.clone() {
                Ok(x) => {
                    meter.tick();
                    let more = match direction {
                        Greater => x < to,
                        Less => x > to,
                        Equal => x != to,
                    };
                    more.then(|| std::mem::replace(&mut from, (x + by.clone()).map_err(Exn::from)))
                }
                error @ Err(_) => {
                    from = Ok(to.clone());
                    Some(error)
                }
            }))
        }),
    )
}

/// `fromjson` (and so `tonumber`) with the checks every event gets first: text nested deeper
/// than [`MAX_DEPTH`] or holding a number longer than [`MAX_DIGITS`] is an error, not a stack
/// overflow or a quadratic read.
fn guarded_fromjson() -> Fun<Budgeted> {
    (
        "fromjson",
        v(0),
        Native::new(|cv| {
            let text = match &cv.1 {
                Val::TStr(bytes) | Val::BStr(bytes) => bytes.clone(),
                other => {
                    let error =
                        Error::str(format_args!("cannot parse {other} as JSON: not a string"));
                    return Box::new(std::iter::once(Err(Exn::from(error))));
                }
            };
            if let Some(why) = too_costly(&text, "the text") {
                return Box::new(std::iter::once(Err(Exn::from(Error::str(why)))));
            }
            let values: Vec<_> = jaq_json::read::parse_many(&text)
                .map(|value| {
                    value.map_err(|error| {
                        Exn::from(Error::str(format_args!("cannot parse as JSON: {error}")))
                    })
                })
                .collect();
            Box::new(values.into_iter())
        }),
    )
}

/// Why `json` is not given to jaq: nested deeper than [`MAX_DEPTH`], or a number longer than
/// [`MAX_DIGITS`] (brackets and digits inside strings do not count). One pass, no allocation.
pub fn too_costly(json: &[u8], what: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut digits = 0usize;
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
            b'0'..=b'9' => {
                digits += 1;
                if digits > MAX_DIGITS {
                    return Some(format!(
                        "{what} holds a number longer than {MAX_DIGITS} digits"
                    ));
                }
                continue;
            }
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(format!("{what} nests deeper than {MAX_DEPTH} levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        digits = 0;
    }
    None
}

/// Catching what jaq throws without a word on stderr: a budget that ran out unwinds with
/// `resume_unwind` (no hook runs), and a panic inside jaq (a bug there) is caught and reported as
/// the event's note, not as a panic message over the output or `latwatch top`'s screen.
mod quiet_panics {
    use std::cell::Cell;
    use std::panic::{self, AssertUnwindSafe};
    use std::sync::Once;

    thread_local! {
        static JUDGING: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs `judge`; a panic comes back as its payload. The hook that keeps jaq's panics quiet is
    /// installed at the first call, so it wraps whatever hook was set before (`latwatch top`'s,
    /// which restores the terminal, for every other panic).
    pub fn catch<T>(judge: impl FnOnce() -> T) -> Result<T, Box<dyn std::any::Any + Send>> {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let previous = panic::take_hook();
            panic::set_hook(Box::new(move |info| {
                if !JUDGING.with(Cell::get) {
                    previous(info);
                }
            }));
        });
        let outer = JUDGING.with(|judging| judging.replace(true));
        // Unwind safety: what the closure touches and outlives it is the compiled filter, which
        // evaluation only reads; everything the evaluation built is dropped by the unwinding.
        let result = panic::catch_unwind(AssertUnwindSafe(judge));
        JUDGING.with(|judging| judging.set(outer));
        result
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
            too_costly(shallow.as_bytes(), "the event").is_none(),
            "brackets in strings do not count"
        );
        assert_eq!(
            JqFilter::compile(".a | length > 0")
                .unwrap()
                .judge(shallow.as_bytes()),
            Judged::Keep
        );
    }

    /// What the worker runs: the budgeted evaluation, with every built-in.
    fn judged_by_budget(code: &str, json: &[u8]) -> Judged {
        Compiled::new(code).unwrap().judge(json, 256 << 10)
    }

    #[test]
    fn runaways_stop_at_their_budget() {
        for (code, budget) in [
            ("reduce range(1e15) as $i (0; . + 1)", "steps"),
            ("last(range(1e15))", "steps"),
            ("[range(1e12)] | length", "steps"),
            ("def f: f; f", "steps"),
            ("[limit(1e9; repeat(1))] | length", "steps"),
            ("until(false; .)", "steps"),
            ("def f: 1 + f; f", "stack"),
        ] {
            match judged_by_budget(code, EVENT) {
                // On a busy machine the clock may run out before the steps do.
                Judged::Error(why) => assert!(why.contains(budget), "{code}: {why}"),
                judged => panic!("{code}: {judged:?}"),
            }
        }
        assert_eq!(
            judged_by_budget("[range(1000)] | length == 1000", EVENT),
            Judged::Keep,
            "a loop within the budget runs to the end"
        );
    }

    #[test]
    fn cheap_expressions_stop_at_their_budget_in_thread() {
        let array: Vec<String> = (0..3000).map(|i| i.to_string()).collect();
        let payload = format!(r#"{{"data":{{"a":[{}]}}}}"#, array.join(","));
        let quadratic = "[.data.a[] as $x | .data.a[] | select(. == $x)] | length > 0";
        let filter = JqFilter::compile(quadratic).unwrap();
        assert!(filter.runs_in_thread());
        assert!(
            matches!(filter.judge(payload.as_bytes()),
                Judged::Error(ref why) if why.contains("steps")),
            "9 million comparisons"
        );

        let string = "x".repeat(1 << 20);
        let items = vec!["0"; 200].join(",");
        let payload = format!(r#"{{"data":{{"s":"{string}","a":[{items}]}}}}"#);
        let doubling = ". as $r | [.data.a[] | $r.data.s + $r.data.s] | length > 0";
        let filter = JqFilter::compile(doubling).unwrap();
        assert!(filter.runs_in_thread());
        assert!(
            matches!(filter.judge(payload.as_bytes()), Judged::Error(ref why) if why.contains("memory")),
            "400 MiB of strings"
        );
    }

    #[test]
    fn long_numbers_and_deep_text_are_not_read() {
        let long = format!(r#"{{"data":{{"n":{}}}}}"#, "7".repeat(MAX_DIGITS + 1));
        let judged = JqFilter::compile("true").unwrap().judge(long.as_bytes());
        assert!(
            matches!(judged, Judged::Error(ref why) if why.contains("digits")),
            "{judged:?}"
        );
        let fine = format!(
            r#"{{"data":{{"n":{},"s":"{}"}}}}"#,
            "7".repeat(100),
            "7".repeat(MAX_DIGITS * 2)
        );
        assert_eq!(
            JqFilter::compile("true").unwrap().judge(fine.as_bytes()),
            Judged::Keep
        );

        let deep = format!(r#"{{"data":{{"s":"{}"}}}}"#, "[".repeat(100_000));
        for code in [".data.s | fromjson", ".data.s | tonumber"] {
            let judged = JqFilter::compile(code).unwrap().judge(deep.as_bytes());
            assert!(
                matches!(judged, Judged::Error(ref why) if why.contains("nests deeper")),
                "{code}: {judged:?}"
            );
        }
        let digits = format!(r#"{{"data":{{"s":"{}"}}}}"#, "9".repeat(1_000_000));
        let judged = JqFilter::compile(".data.s | tonumber")
            .unwrap()
            .judge(digits.as_bytes());
        assert!(
            matches!(judged, Judged::Error(ref why) if why.contains("digits")),
            "{judged:?}"
        );
        assert_eq!(
            JqFilter::compile(r#".data.s | fromjson | .a == 1"#)
                .unwrap()
                .judge(br#"{"data":{"s":"{\"a\":1}"}}"#),
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
