//! Colors and escaping for the pretty renderer.
//!
//! Color is decided once, in `config.rs`, and arrives here as `Option<Palette>`: `None` means no
//! color, so no rendering code asks the environment. Every string taken from an event goes through
//! [`escape_untrusted`] before it reaches a terminal: an event is input from anyone who can publish
//! on the lattice's subjects, and an ESC sequence in an error message must not repaint the screen,
//! set the window title or write the clipboard (OSC 52); a CR or LF must not split or overwrite a line;
//! a bidi override must not make an id read differently than it is (kubectl escapes for the same reason).

use std::borrow::Cow;
use std::fmt::Write as _;

use owo_colors::{AnsiColors, Style};

use crate::event::Severity;

/// The styles of one pretty line. Present only when output is colored.
#[derive(Debug, Clone)]
pub struct Palette {
    pub time: Style,
    pub label: Style,
    pub failure: Style,
    pub removal: Style,
    pub arrival: Style,
    pub change: Style,
    pub liveness: Style,
    pub neutral: Style,
    /// The flag on an event that is not a valid CloudEvent.
    pub problem: Style,
}

impl Default for Palette {
    fn default() -> Self {
        Palette {
            time: Style::new().dimmed(),
            label: Style::new().dimmed(),
            failure: Style::new().red().bold(),
            removal: Style::new().yellow(),
            arrival: Style::new().green(),
            change: Style::new().cyan(),
            liveness: Style::new().dimmed(),
            neutral: Style::new(),
            problem: Style::new().red().bold(),
        }
    }
}

impl Palette {
    pub fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Failure => self.failure,
            Severity::Removal => self.removal,
            Severity::Arrival => self.arrival,
            Severity::Change => self.change,
            Severity::Liveness => self.liveness,
            Severity::Neutral => self.neutral,
        }
    }

    /// A stable color for a host, so the eye can follow one host down the screen (stern hashes pod
    /// names the same way). Red is left out: it means failure.
    pub fn host(&self, host_id: &str) -> Style {
        const HOST_COLORS: [AnsiColors; 8] = [
            AnsiColors::Blue,
            AnsiColors::Magenta,
            AnsiColors::Cyan,
            AnsiColors::Green,
            AnsiColors::Yellow,
            AnsiColors::BrightBlue,
            AnsiColors::BrightMagenta,
            AnsiColors::BrightCyan,
        ];
        let index = fnv1a(host_id.as_bytes()) as usize % HOST_COLORS.len();
        Style::new().color(HOST_COLORS[index])
    }
}

/// FNV-1a: tiny, stable across runs and platforms (unlike `std`'s randomly seeded hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// True for characters that must not reach a terminal raw: C0 and C1 controls (ESC, CR, LF, BS,
/// TAB…), DEL, bidi embeddings, overrides, isolates and marks, zero-width characters, the BOM and
/// Unicode tag characters.
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
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
    fn host_colors_are_stable() {
        let palette = Palette::default();
        assert_eq!(
            format!("{:?}", palette.host("NV3C")),
            format!("{:?}", palette.host("NV3C"))
        );
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 3), "hél…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
