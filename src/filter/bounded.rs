//! Which jq expressions may run on the watcher's own thread: those whose every step is cheap in
//! the size of the event, so that the budget's checkpoints (`budget.rs`) come often enough to stop
//! them in time and in memory.
//!
//! An expression qualifies when it has no loop of its own — no `reduce`/`foreach`, no definitions
//! (so no recursion), no `label` — and calls only the built-ins listed here, each of which works
//! in time and memory about linear in its input (sorting: n log n): selecting, comparing, paths,
//! regular expressions with a literal pattern, string functions, dates. Without a loop, a value
//! can only grow by a factor fixed by the expression, never by the event: no string is repeated
//! by a number from the event (`*` needs a small literal), no structure doubles itself a number of
//! times the event chooses. Everything else — `range`, `repeat`, `recurse(f)`, `while`, `until`,
//! `limit` of those, `walk`, `paths`, `contains`/`indices` (quadratic on arrays), updates,
//! `*` of two values, a regular expression taken from the event — runs in the worker process
//! (`worker.rs`), where a runaway is stopped by killing it.
//!
//! The list errs on the side of the worker: an expression it does not know is only slower there,
//! never wrong.

use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Pattern, Term};
use jaq_core::ops::Math;
use jaq_core::path::Part;

/// Built-ins (name, number of arguments) that cost about linear time and memory in their input.
const CHEAP: &[(&str, usize)] = &[
    // jq's core
    ("empty", 0),
    ("error", 0),
    ("error", 1),
    ("true", 0),
    ("false", 0),
    ("null", 0),
    ("not", 0),
    ("select", 1),
    ("tostring", 0),
    ("tojson", 0),
    // fromjson checks its text first (depth, digits): `jq::guarded_fromjson`.
    ("fromjson", 0),
    ("tonumber", 0),
    ("toboolean", 0),
    ("length", 0),
    ("utf8bytelength", 0),
    ("type", 0),
    ("keys", 0),
    ("keys_unsorted", 0),
    ("has", 1),
    ("in", 1),
    ("map", 1),
    ("to_entries", 0),
    ("from_entries", 0),
    ("with_entries", 1),
    ("add", 0),
    ("add", 1),
    ("join", 1),
    ("any", 0),
    ("any", 1),
    ("any", 2),
    ("all", 0),
    ("all", 1),
    ("all", 2),
    ("isempty", 1),
    ("first", 0),
    ("first", 1),
    ("last", 0),
    ("last", 1),
    ("nth", 1),
    ("nth", 2),
    ("limit", 2),
    ("getpath", 1),
    // `recurse` without an argument walks the value it is given (`..`), nothing more.
    ("recurse", 0),
    ("flatten", 0),
    ("flatten", 1),
    ("values", 0),
    ("nulls", 0),
    ("booleans", 0),
    ("numbers", 0),
    ("finites", 0),
    ("normals", 0),
    ("strings", 0),
    ("arrays", 0),
    ("objects", 0),
    ("iterables", 0),
    ("scalars", 0),
    ("isboolean", 0),
    ("isnumber", 0),
    ("isstring", 0),
    ("isarray", 0),
    ("isobject", 0),
    ("isnan", 0),
    ("isinfinite", 0),
    ("isfinite", 0),
    ("isnormal", 0),
    ("nan", 0),
    ("infinite", 0),
    ("sort", 0),
    ("sort_by", 1),
    ("group_by", 1),
    ("unique", 0),
    ("unique_by", 1),
    ("min", 0),
    ("max", 0),
    ("min_by", 1),
    ("max_by", 1),
    ("reverse", 0),
    // strings
    ("ascii_downcase", 0),
    ("ascii_upcase", 0),
    ("startswith", 1),
    ("endswith", 1),
    ("ltrimstr", 1),
    ("rtrimstr", 1),
    ("trim", 0),
    ("ltrim", 0),
    ("rtrim", 0),
    ("explode", 0),
    ("implode", 0),
    ("split", 1),
    // numbers
    ("floor", 0),
    ("ceil", 0),
    ("round", 0),
    ("abs", 0),
    ("fabs", 0),
    ("sqrt", 0),
    ("pow", 2),
    ("log", 0),
    ("log2", 0),
    ("log10", 0),
    ("exp", 0),
    ("exp2", 0),
    ("exp10", 0),
    ("trunc", 0),
    // dates and the environment
    ("now", 0),
    ("env", 0),
    ("todate", 0),
    ("fromdate", 0),
    ("todateiso8601", 0),
    ("fromdateiso8601", 0),
    ("strftime", 1),
    ("strflocaltime", 1),
    ("strptime", 1),
    ("mktime", 0),
    ("gmtime", 0),
    ("localtime", 0),
    // effects that stay inside the judgement
    ("halt", 0),
    ("halt", 1),
    ("halt_error", 0),
    ("halt_error", 1),
    ("debug", 0),
    ("debug", 1),
    ("stderr", 0),
    // the formats, as filters of their own (`@base64`)
    ("@text", 0),
    ("@json", 0),
    ("@html", 0),
    ("@htmld", 0),
    ("@uri", 0),
    ("@urid", 0),
    ("@base64", 0),
    ("@base64d", 0),
    ("@sh", 0),
];

/// Regular-expression built-ins: cheap when the pattern (and flags) are literals, since the
/// regex crate matches in time linear in the text for a pattern of fixed size.
const REGEX: &[(&str, usize)] = &[
    ("test", 1),
    ("test", 2),
    ("match", 1),
    ("match", 2),
    ("capture", 1),
    ("capture", 2),
    ("scan", 1),
    ("scan", 2),
    ("split", 2),
    ("splits", 1),
    ("splits", 2),
    ("sub", 2),
    ("sub", 3),
    ("gsub", 2),
    ("gsub", 3),
];

/// The `@format`s, all linear.
const FORMATS: &[&str] = &[
    "@text", "@json", "@html", "@htmld", "@uri", "@urid", "@base64", "@base64d", "@sh",
];

/// The largest literal a string may be repeated by (`"-" * 40`).
const LARGEST_REPEAT: f64 = 1024.0;

/// True when `code` may run on the watcher's thread (see the module documentation). An
/// expression jaq's parser does not take as a single term (modules, imports) is not.
pub fn runs_in_thread(code: &str) -> bool {
    jaq_core::load::parse(code, |p| p.term()).is_some_and(|term| cheap(&term))
}

fn cheap(term: &Term<&str>) -> bool {
    match term {
        Term::Id | Term::Recurse | Term::Num(_) | Term::Var(_) => true,
        Term::Str(format, parts) => {
            format.is_none_or(|format| FORMATS.contains(&format)) && parts.iter().all(cheap_part)
        }
        Term::Arr(inner) => inner.as_deref().is_none_or(cheap),
        Term::Obj(entries) => entries
            .iter()
            .all(|(key, value)| cheap(key) && value.as_ref().is_none_or(cheap)),
        Term::Neg(inner) => cheap(inner),
        Term::BinOp(left, op, right) => {
            let operator = match op {
                BinaryOp::Pipe(None)
                | BinaryOp::Comma
                | BinaryOp::Alt
                | BinaryOp::Or
                | BinaryOp::And
                | BinaryOp::Cmp(_) => true,
                BinaryOp::Pipe(Some(pattern)) => cheap_pattern(pattern),
                BinaryOp::Math(Math::Mul) => small_literal(left) || small_literal(right),
                BinaryOp::Math(_) => true,
                // Updates walk paths the expression chooses and apply a filter at each.
                BinaryOp::Assign
                | BinaryOp::Update
                | BinaryOp::UpdateMath(_)
                | BinaryOp::UpdateAlt => false,
            };
            operator && cheap(left) && cheap(right)
        }
        Term::TryCatch(body, catch) => cheap(body) && catch.as_deref().is_none_or(cheap),
        Term::IfThenElse(branches, otherwise) => {
            branches
                .iter()
                .all(|(cond, then)| cheap(cond) && cheap(then))
                && otherwise.as_deref().is_none_or(cheap)
        }
        Term::Path(base, path) => {
            cheap(base)
                && path.0.iter().all(|(part, _)| match part {
                    Part::Index(index) => cheap(index),
                    Part::Range(from, to) => {
                        from.as_ref().is_none_or(cheap) && to.as_ref().is_none_or(cheap)
                    }
                })
        }
        Term::Call(name, args) => {
            let arity = args.len();
            let listed = CHEAP.contains(&(*name, arity))
                || (REGEX.contains(&(*name, arity))
                    && args.iter().take(arity.min(2)).enumerate().all(|(i, arg)| {
                        // `sub(re; f; flags)`: the pattern and the flags are literals, `f` runs per
                        // match (a checkpoint each).
                        let is_filter = matches!(*name, "sub" | "gsub") && i == 1;
                        is_filter || literal_string(arg)
                    })
                    && !(matches!(*name, "sub" | "gsub")
                        && arity == 3
                        && !literal_string(&args[2])));
            listed && args.iter().all(cheap)
        }
        // Loops and what only loops need.
        Term::Fold(..) | Term::Def(..) | Term::Label(..) | Term::Break(_) => false,
    }
}

fn cheap_part(part: &StrPart<&str, Term<&str>>) -> bool {
    match part {
        StrPart::Str(_) | StrPart::Char(_) => true,
        StrPart::Term(term) => cheap(term),
    }
}

fn cheap_pattern(pattern: &Pattern<&str>) -> bool {
    match pattern {
        Pattern::Var(_) => true,
        Pattern::Arr(patterns) => patterns.iter().all(cheap_pattern),
        Pattern::Obj(entries) => entries
            .iter()
            .all(|(key, pattern)| cheap(key) && cheap_pattern(pattern)),
    }
}

/// A string written out in the expression, without interpolation.
fn literal_string(term: &Term<&str>) -> bool {
    matches!(term, Term::Str(None, parts) if parts.iter().all(|part| !matches!(part, StrPart::Term(_))))
}

/// A number written out in the expression, no larger than [`LARGEST_REPEAT`].
fn small_literal(term: &Term<&str>) -> bool {
    let number = match term {
        Term::Num(number) => number,
        Term::Neg(inner) => match &**inner {
            Term::Num(number) => number,
            _ => return false,
        },
        _ => return false,
    };
    number
        .parse::<f64>()
        .is_ok_and(|value| value.abs() <= LARGEST_REPEAT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everyday_filters_run_in_thread() {
        for code in [
            ".data.max_instances > 2",
            r#".type == "com.wasmcloud.lattice.component_scaled""#,
            r#".data.annotations["wasmcloud.dev/appspec"] == "hello""#,
            r#"select(.data.labels.zone == "eu") | .data.host_id"#,
            r#"any(.data.components[]?; .image_ref | test("ghcr.io/"))"#,
            r#".data | to_entries | map(.key) | length > 3"#,
            r#"(.data.max_instances // 0) * 2 > 4 and (.type | endswith("_scaled"))"#,
            r#".data.component_id as $id | $id | ascii_downcase | startswith("http")"#,
            r#"[.. | strings] | length > 1"#,
            r#"if .data.x then .data.x - 1 else "none" end"#,
            r#"try (.data.payload | fromjson | .a) catch false"#,
            r#"(.time | fromdate) > now - 3600"#,
            r#""\(.data.host_id):\(.type)" | @base64 | length > 0"#,
            r#"{a: .data.a, b: [.data.b[]?]} | has("a")"#,
        ] {
            assert!(runs_in_thread(code), "{code}");
        }
    }

    #[test]
    fn loops_and_costly_built_ins_go_to_the_worker() {
        for code in [
            "[range(.data.n)] | length",
            ".data.s * .data.n",
            ".data.s * 1e15",
            "reduce range(1e15) as $i (0; . + 1)",
            "def f: 1 + f; f",
            "foreach .[] as $x (0; . + 1)",
            "[limit(10; repeat(1))]",
            "until(false; .)",
            "[recurse(.[0]?)]",
            "walk(.)",
            "[paths]",
            ".data.a | contains(.data.b)",
            ".data.a | indices(.data.b)",
            ".data.s | test(.data.re)",
            r#".data.s | sub("a"; "b"; .data.flags)"#,
            ".a |= 1",
            "label $out | 1, break $out",
            "[.[] | combinations]",
            "import \"x\" as x; .",
        ] {
            assert!(!runs_in_thread(code), "{code}");
        }
    }
}
