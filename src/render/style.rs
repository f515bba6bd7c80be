//! Colors for the pretty renderer.
//!
//! Color is decided once, in `config.rs`, and arrives here as `Option<Palette>`: `None` means no
//! color, so no rendering code asks the environment. Every string taken from an event goes through
//! `text::escape_untrusted` before it reaches a terminal: an event is input from anyone who can
//! publish on the lattice's subjects, and an ESC sequence in an error message must not repaint the
//! screen, set the window title or write the clipboard (OSC 52); a CR or LF must not split or
//! overwrite a line; a bidi override must not make an id read differently than it is (kubectl
//! escapes for the same reason).

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

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a 64 of "NV3C", computed independently.
    const FNV_NV3C: u64 = 0x8a80_37c5_c545_21d3;

    #[test]
    fn host_colors_are_stable_and_tell_hosts_apart() {
        // Pinned: a std hasher with a random seed would give another color in every run.
        let color = |host: &str| format!("{:?}", Palette::default().host(host));
        assert_eq!(color("NV3C"), color("NV3C"));
        assert_eq!(
            fnv1a(b"NV3C"),
            FNV_NV3C,
            "FNV-1a, the same on every run and machine"
        );
        let hosts = ["NV3C", "NA2B", "NHXX", "NBXJ", "NZZZ", "NQ00"];
        let distinct: std::collections::HashSet<String> = hosts.iter().map(|h| color(h)).collect();
        assert!(
            distinct.len() >= 3,
            "hosts get different colors: {distinct:?}"
        );
    }
}
