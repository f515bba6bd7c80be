//! Text from the lattice, made fit for a terminal line: escaping (every string an event carries
//! may hold escape sequences, bidi overrides, line breaks), cutting to a width, abbreviating host
//! keys. A leaf: every stage may use it, and it uses nothing of latwatch (as fd's `sanitize.rs`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must not reach a terminal raw: C0 and C1 controls (ESC, CR, LF, BS,
/// TAB…), DEL, the soft hyphen, bidi embeddings, overrides, isolates and marks, the Mongolian vowel
/// separator, zero-width and deprecated format characters, the BOM, interlinear annotation
/// characters and Unicode tag characters (fd escapes the same set). The one definition: the
/// renderers, the tests, the property test and the fuzz target all ask this function.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{061c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Makes untrusted text safe for a terminal line: borrowed when nothing needs escaping, otherwise
/// each offending character becomes a visible escape (`\n`, `\r`, `\t`, `\e`, `\x08`, `\u{202e}`).
pub fn escape_untrusted(text: &str) -> Cow<'_, str> {
    // Printable ASCII is the common case and a byte check a compiler can vectorize.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// One character as [`escape_untrusted`] shows it.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c if needs_escape(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// The scripts whose letters pass for one another (`е` U+0435 CYRILLIC SMALL LETTER IE is drawn
/// as Latin `e`), and the compatibility forms of ASCII (fullwidth `ｅ`, mathematical `𝐞`,
/// letterlike `K` KELVIN SIGN). Other scripts (Han, Arabic, …) have no letter a reader takes for
/// a Latin one, and ASCII digits and punctuation belong to every script: neither is told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookalike {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Cherokee,
    /// A form of an ASCII character that exists to look like it.
    Compatibility,
}

/// The [`Lookalike`] script of `c`, by Unicode block (a coarse script table: enough to tell
/// the scripts above apart, without a dependency for the full one).
fn lookalike(c: char) -> Option<Lookalike> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => Lookalike::Latin,
        '\u{d7}' | '\u{f7}' => return None,
        '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}' | '\u{2c60}'..='\u{2c7f}' => {
            Lookalike::Latin
        }
        '\u{a720}'..='\u{a7ff}' | '\u{ab30}'..='\u{ab6f}' => Lookalike::Latin,
        '\u{370}'..='\u{3ff}' | '\u{1f00}'..='\u{1fff}' => Lookalike::Greek,
        '\u{400}'..='\u{52f}' | '\u{1c80}'..='\u{1c8f}' => Lookalike::Cyrillic,
        '\u{2de0}'..='\u{2dff}' | '\u{a640}'..='\u{a69f}' => Lookalike::Cyrillic,
        '\u{531}'..='\u{58f}' => Lookalike::Armenian,
        '\u{13a0}'..='\u{13ff}' | '\u{ab70}'..='\u{abbf}' => Lookalike::Cherokee,
        '\u{2100}'..='\u{214f}' | '\u{ff01}'..='\u{ff5e}' | '\u{1d400}'..='\u{1d7ff}' => {
            Lookalike::Compatibility
        }
        _ => return None,
    })
}

/// True when a name could pass for another: it holds letters of two or more of the scripts
/// whose letters look alike (Latin, Greek, Cyrillic, Armenian, Cherokee: `hеllo-app` with a
/// Cyrillic `е`), or a compatibility form of an ASCII character (`ｈello`, `𝐡ello`, `K`). A name
/// in one script (`привет`, `héllo`, `商店-shop`) is not marked: the rule is UTS #39's "mixed
/// script" narrowed to the scripts that are confused with Latin, by block, not by font.
pub fn mixes_scripts(name: &str) -> bool {
    let mut first = None;
    for script in name.chars().filter_map(lookalike) {
        if script == Lookalike::Compatibility {
            return true;
        }
        match first {
            None => first = Some(script),
            Some(first) if first != script => return true,
            Some(_) => {}
        }
    }
    false
}

/// A name (an application's) made fit for a terminal line: [`escape_untrusted`], and when it
/// [`mixes_scripts`], every character of those scripts outside ASCII shown as its code point
/// (`h\u{435}llo-app`), the way invisible characters are: the reader sees that it is not
/// `hello-app`. Escaping twice changes nothing.
pub fn escape_name(name: &str) -> Cow<'_, str> {
    if name.is_ascii() || !mixes_scripts(name) {
        return escape_untrusted(name);
    }
    let mut out = String::with_capacity(name.len() + 16);
    for c in name.chars() {
        if !c.is_ascii() && lookalike(c).is_some() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// [`escape_untrusted`] for a message of several lines: each line is escaped, the line breaks
/// between them stay (`--summary`'s table on stderr). Every status line goes through it (the
/// `Status` type): callers escape what they interpolate, which turns a line break in a value
/// into `\n`, and this is the net under them. Escaped text is left as it is.
pub fn escape_lines(message: &str) -> Cow<'_, str> {
    if !message.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(message);
    }
    let lines: Vec<Cow<str>> = message.split('\n').map(escape_untrusted).collect();
    Cow::Owned(lines.join("\n"))
}

/// A path as a message shows it (`--record`, `--input`, `--creds`, a context file): escaped like
/// any outside text, since a file name may hold any byte but `/` and NUL. Not UTF-8 is shown
/// with U+FFFD, as `Path::display` does.
pub fn escape_path(path: &std::path::Path) -> String {
    escape_untrusted(&path.to_string_lossy()).into_owned()
}

/// At most `max` characters of `text`, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// `text` in at most `max` characters, keeping its start and its end: wadm's and the host's
/// errors are chains whose root cause comes last (`failed to fetch component: … dns error:
/// failed to lookup address information`), so a cut keeps both. The end starts after a `: `
/// where one is near, so it reads as whole clauses.
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    if max < 8 {
        return truncate(text, max.saturating_sub(1));
    }
    // A third for the start, the rest (less " … ") for the end, where the root cause is.
    let head = max / 3;
    let tail = max - head - 3;
    let head_end = text.char_indices().nth(head).map_or(text.len(), |(i, _)| i);
    let tail_start = text
        .char_indices()
        .nth(count - tail)
        .map_or(text.len(), |(i, _)| i);
    let mut end = &text[tail_start..];
    // Start the end at a clause when one begins within its first third.
    if let Some(clause) = end.find(": ") {
        if end[..clause].chars().count() < tail / 3 {
            end = &end[clause + 2..];
        }
    }
    Cow::Owned(format!("{} … {end}", text[..head_end].trim_end()))
}

/// `NBXJ2OTPJD…MQOUB` → `NBXJ2O…MQOUB` for 56-character nkeys; any other id escaped, whole.
pub fn abbreviate_key(id: &str) -> Cow<'_, str> {
    let is_nkey = id.len() == 56 && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if is_nkey {
        Cow::Owned(format!("{}…{}", &id[..6], &id[51..]))
    } else {
        escape_untrusted(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortening_keeps_the_start_and_the_root_cause() {
        let chain = "failed to fetch component: failed to pull ghcr.io/x/y:0.1: client error \
                     (Connect): dns error: failed to lookup address information: Name or \
                     service not known";
        let short = shorten(chain, 80);
        assert!(short.chars().count() <= 80, "{short}");
        assert!(short.starts_with("failed to fetch"), "{short}");
        assert!(short.ends_with("Name or service not known"), "{short}");
        assert!(short.contains(" … "), "{short}");
        assert_eq!(shorten("short", 80), "short");
        assert!(shorten("é".repeat(100).as_str(), 20).chars().count() <= 20);
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            escape_untrusted("rust_hello_world-http_component"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            escape_untrusted("héllo → wörld"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn strips_ansi_color_and_cursor_sequences() {
        assert_eq!(
            escape_untrusted("\u{1b}[31mred\u{1b}[2J"),
            "\\e[31mred\\e[2J"
        );
    }

    #[test]
    fn strips_osc52_clipboard_payload() {
        assert_eq!(
            escape_untrusted("\u{1b}]52;c;ZXZpbA==\u{7}"),
            "\\e]52;c;ZXZpbA==\\x07"
        );
    }

    #[test]
    fn strips_line_breaks_that_would_split_or_overwrite_a_line() {
        assert_eq!(escape_untrusted("a\r\nb\u{8}c"), "a\\r\\nb\\x08c");
        assert_eq!(escape_untrusted("a\u{2028}b"), "a\\u{2028}b");
    }

    #[test]
    fn strips_bidi_overrides_and_zero_width() {
        assert_eq!(
            escape_untrusted("admin\u{202e}txt.exe\u{200b}"),
            "admin\\u{202e}txt.exe\\u{200b}"
        );
        assert_eq!(escape_untrusted("\u{2067}x\u{2069}"), "\\u{2067}x\\u{2069}");
    }

    #[test]
    fn strips_c1_controls_and_tags() {
        assert_eq!(escape_untrusted("\u{9b}31m"), "\\x9b31m");
        assert_eq!(escape_untrusted("\u{e0041}"), "\\u{e0041}");
    }

    #[test]
    fn names_that_mix_lookalike_scripts_show_their_code_points() {
        // A Cyrillic `е` (U+0435) in a Latin name.
        assert!(mixes_scripts("h\u{435}llo-app"));
        assert_eq!(escape_name("h\u{435}llo-app"), "h\\u{435}llo-app");
        // Greek omicron, Armenian oh, Cherokee, and the compatibility forms of ASCII.
        for name in [
            "hell\u{3bf}",
            "hell\u{585}",
            "\u{13a0}pp",
            "\u{ff48}\u{ff45}\u{ff4c}\u{ff4c}\u{ff4f}",
            "\u{1d421}ello",
            "\u{212a}8s",
        ] {
            assert!(mixes_scripts(name), "{name}");
            assert!(
                escape_name(name).is_ascii(),
                "{name}: {}",
                escape_name(name)
            );
        }
        // One script, or scripts no one takes for Latin: shown as they are.
        for name in [
            "hello-app",
            "héllo-wörld",
            "привет",
            "сервис-2",
            "商店-shop",
            "αβγ",
        ] {
            assert!(!mixes_scripts(name), "{name}");
            assert_eq!(escape_name(name), name);
        }
        // Cyrillic with a Latin letter: every non-ASCII letter is shown, é too.
        assert_eq!(escape_name("c\u{430}fé"), "c\\u{430}f\\u{e9}");
        // Controls are escaped as everywhere, and escaping twice changes nothing.
        let hostile = "h\u{435}llo\u{1b}]0;x\u{7}\u{202e}";
        let once = escape_name(hostile).into_owned();
        assert_eq!(once, "h\\u{435}llo\\e]0;x\\x07\\u{202e}");
        assert_eq!(escape_name(&once), once);
        assert_eq!(escape_untrusted(&once), once);
    }

    #[test]
    fn message_lines_keep_their_breaks_and_lose_every_control_character() {
        assert_eq!(escape_lines("summary: 1\n  a  1"), "summary: 1\n  a  1");
        assert_eq!(
            escape_lines("cannot open --record /tmp/\u{1b}]0;x\u{7}\u{202e}\nnext\r"),
            "cannot open --record /tmp/\\e]0;x\\x07\\u{202e}\nnext\\r"
        );
        // What a caller escaped already stays as it is.
        assert_eq!(escape_lines("app x  failed\\e[2J"), "app x  failed\\e[2J");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 3), "hél…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn what_fd_escapes_is_escaped_too() {
        assert_eq!(escape_untrusted("a\u{ad}b"), "a\\xadb");
        for c in ['\u{180e}', '\u{206a}', '\u{206f}', '\u{fff9}', '\u{fffb}'] {
            assert!(needs_escape(c), "{c:?}");
            assert_eq!(
                escape_untrusted(&c.to_string()),
                format!("\\u{{{:x}}}", c as u32)
            );
        }
        assert!(!needs_escape('é') && !needs_escape('→') && !needs_escape(' '));
    }
}
