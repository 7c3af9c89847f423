//! Incident severity (sev1 is the worst) and the mapping from senders' severity words.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a severity; use sev1, sev2, sev3 or sev4")]
pub struct SeverityParseError(pub String);

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Sev1,
        Severity::Sev2,
        Severity::Sev3,
        Severity::Sev4,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Sev1 => "sev1",
            Severity::Sev2 => "sev2",
            Severity::Sev3 => "sev3",
            Severity::Sev4 => "sev4",
        }
    }

    /// True when `self` is at least as urgent as `other` (sev1 is more urgent than sev2).
    pub fn at_least(self, other: Severity) -> bool {
        self <= other
    }

    pub fn parse(text: &str) -> Result<Severity, SeverityParseError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sev1" | "sev-1" | "1" => Ok(Severity::Sev1),
            "sev2" | "sev-2" | "2" => Ok(Severity::Sev2),
            "sev3" | "sev-3" | "3" => Ok(Severity::Sev3),
            "sev4" | "sev-4" | "4" => Ok(Severity::Sev4),
            _ => Err(SeverityParseError(text.to_owned())),
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = SeverityParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::parse(s)
    }
}

/// Maps a sender's severity word (from the alert's severity label) to a [`Severity`].
///
/// Matching is case-insensitive. Words that are not in the map fall back to `default`, so an
/// alert with a surprising label still reaches people rather than being dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityMapping {
    words: BTreeMap<String, Severity>,
    default: Severity,
}

impl SeverityMapping {
    pub fn new(words: BTreeMap<String, Severity>, default: Severity) -> SeverityMapping {
        let words = words
            .into_iter()
            .map(|(word, severity)| (word.to_ascii_lowercase(), severity))
            .collect();
        SeverityMapping { words, default }
    }

    /// The mapping an on-call engineer expects with no config: Prometheus' usual words,
    /// Zabbix's levels, P0–P5 and the sevN words themselves.
    pub fn standard() -> SeverityMapping {
        let pairs = [
            ("critical", Severity::Sev1),
            ("disaster", Severity::Sev1),
            ("page", Severity::Sev1),
            ("p0", Severity::Sev1),
            ("p1", Severity::Sev1),
            ("sev1", Severity::Sev1),
            ("high", Severity::Sev2),
            ("error", Severity::Sev2),
            ("major", Severity::Sev2),
            ("p2", Severity::Sev2),
            ("sev2", Severity::Sev2),
            ("warning", Severity::Sev3),
            ("average", Severity::Sev3),
            ("minor", Severity::Sev3),
            ("p3", Severity::Sev3),
            ("sev3", Severity::Sev3),
            ("info", Severity::Sev4),
            ("information", Severity::Sev4),
            ("not classified", Severity::Sev4),
            ("none", Severity::Sev4),
            ("p4", Severity::Sev4),
            ("p5", Severity::Sev4),
            ("sev4", Severity::Sev4),
        ];
        SeverityMapping::new(
            pairs
                .into_iter()
                .map(|(word, severity)| (word.to_owned(), severity))
                .collect(),
            Severity::Sev3,
        )
    }

    /// The same words with another default for words it does not know.
    pub fn with_default(self, default: Severity) -> SeverityMapping {
        SeverityMapping { default, ..self }
    }

    pub fn map(&self, word: Option<&str>) -> Severity {
        word.and_then(|word| self.words.get(&word.trim().to_ascii_lowercase()))
            .copied()
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_documented_spellings_and_rejects_others() {
        let cases = [
            ("sev1", Some(Severity::Sev1)),
            ("SEV2", Some(Severity::Sev2)),
            (" sev-3 ", Some(Severity::Sev3)),
            ("4", Some(Severity::Sev4)),
            ("sev5", None),
            ("critical", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(Severity::parse(text).ok(), expected, "input {text:?}");
        }
    }

    #[test]
    fn standard_mapping_covers_common_words_and_falls_back() {
        let mapping = SeverityMapping::standard();
        let cases = [
            (Some("critical"), Severity::Sev1),
            (Some("Critical"), Severity::Sev1),
            (Some("P1"), Severity::Sev1),
            (Some("warning"), Severity::Sev3),
            (Some("info"), Severity::Sev4),
            (Some("Disaster"), Severity::Sev1),
            (Some("banana"), Severity::Sev3),
            (None, Severity::Sev3),
        ];
        for (word, expected) in cases {
            assert_eq!(mapping.map(word), expected, "word {word:?}");
        }
    }

    #[test]
    fn ordering_puts_sev1_first() {
        assert!(Severity::Sev1.at_least(Severity::Sev2));
        assert!(Severity::Sev3.at_least(Severity::Sev3));
        assert!(!Severity::Sev4.at_least(Severity::Sev3));
    }
}
