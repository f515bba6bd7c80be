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
    Cow::Owned(out)
}

/// At most `max` characters of `text`, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
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
