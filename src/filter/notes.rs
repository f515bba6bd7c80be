//! What matching noticed that the user should hear about. Matching itself ([`super::Filter`]) has
//! no side effects: it hands [`Note`]s back, and [`Notes`] (kept by the pipeline) decides what is
//! said on stderr and what is only counted.

use std::borrow::Cow;

use crate::output::Status;
use crate::text::escape_untrusted;

/// Distinct jq errors said per flag; past this they are only counted (hostile payloads can make
/// every error message different).
const DISTINCT_ERRORS_SAID: usize = 20;

/// One thing matching noticed about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note<'a> {
    /// An id matched only as a prefix of the value given to `flag`.
    PrefixHit {
        flag: &'static str,
        given: &'a str,
        id: Cow<'a, str>,
    },
    /// The jq expression of `flag` could not judge the event (it counts as not matching).
    JqError { flag: &'static str, why: String },
}

/// What has been said so far, and the counts `--summary` reports.
#[derive(Debug, Default)]
pub struct Notes {
    /// Per (flag, value): the distinct ids it matched only as a prefix, up to two.
    prefixes: Vec<(&'static str, String, Vec<String>)>,
    /// Per flag: the distinct jq errors said.
    said: Vec<(&'static str, Vec<String>)>,
    /// Events a jq expression could not judge.
    pub jq_errors: u64,
}

impl Notes {
    /// Takes the notes of one event: says what is new, counts the rest.
    pub fn take(&mut self, notes: &mut Vec<Note>, status: Status) {
        for note in notes.drain(..) {
            match note {
                Note::PrefixHit { flag, given, id } => self.prefix_hit(flag, given, &id, status),
                Note::JqError { flag, why } => self.jq_error(flag, why, status),
            }
        }
    }

    /// A value that is a prefix of two different ids is ambiguous: said once, both are shown.
    fn prefix_hit(&mut self, flag: &'static str, given: &str, id: &str, status: Status) {
        let index = match self
            .prefixes
            .iter()
            .position(|(f, g, _)| *f == flag && g == given)
        {
            Some(index) => index,
            None => {
                self.prefixes.push((flag, given.to_owned(), Vec::new()));
                self.prefixes.len() - 1
            }
        };
        let hits = &mut self.prefixes[index].2;
        if hits.len() < 2 && !hits.iter().any(|hit| hit == id) {
            hits.push(id.to_owned());
            if let [first, second] = &hits[..] {
                status.warn(format_args!(
                    "{flag} {} is a prefix of both {} and {}: both are shown; give more of the id",
                    escape_untrusted(given),
                    escape_untrusted(first),
                    escape_untrusted(second)
                ));
            }
        }
    }

    fn jq_error(&mut self, flag: &'static str, why: String, status: Status) {
        self.jq_errors += 1;
        let said = match self.said.iter_mut().find(|(f, _)| *f == flag) {
            Some((_, said)) => said,
            None => {
                self.said.push((flag, Vec::new()));
                &mut self.said.last_mut().expect("just pushed").1
            }
        };
        if said.len() < DISTINCT_ERRORS_SAID && !said.contains(&why) {
            status.warn(format_args!(
                "{flag} could not be run on an event ({why}); such events count as not matching{}",
                if said.len() + 1 == DISTINCT_ERRORS_SAID {
                    "; further distinct errors are only counted (--summary)"
                } else {
                    ""
                }
            ));
            said.push(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Status = Status { quiet: true };

    #[test]
    fn jq_errors_are_counted_and_said_once_each() {
        let mut notes = Notes::default();
        for why in ["a", "a", "b"] {
            notes.take(
                &mut vec![Note::JqError {
                    flag: "--filter",
                    why: why.into(),
                }],
                QUIET,
            );
        }
        assert_eq!(notes.jq_errors, 3);
        assert_eq!(notes.said[0].1, ["a", "b"]);
    }

    #[test]
    fn a_prefix_of_two_ids_is_remembered_once() {
        let mut notes = Notes::default();
        for id in ["hello", "hello", "help", "helium"] {
            notes.take(
                &mut vec![Note::PrefixHit {
                    flag: "--component",
                    given: "hel",
                    id: id.into(),
                }],
                QUIET,
            );
        }
        assert_eq!(notes.prefixes[0].2, ["hello", "help"]);
    }
}
