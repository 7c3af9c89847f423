//! The parser for commands typed as text (the console). Discord hands warroom option values
//! already split, so only typed text needs this.
//!
//! The rules, chosen so people can type the way they talk:
//! - `/incident role role:commander user:alice` names options; `text: hello` may have spaces
//!   after the colon. Required options may also be given positionally in order
//!   (`/incident role commander alice`).
//! - The last text option still to fill takes the rest of the line verbatim: quotes,
//!   apostrophes and newlines are kept (`/incident note don't restart the db yet`). It stops
//!   only before a `name:` of another option of the command that is not given yet.
//! - Quoting is only needed to end a value early: a value that starts with a quote (`"…"`,
//!   `'…'`, `“…”`, `‘…’`) whose closing quote is followed by whitespace or the end is the
//!   text inside. Anything else is taken as typed, so `5"`, `it's` and `“checkout` are text.

use crate::domain::command::{
    COMMAND_TREE, Command, LeafSpec, OptionKind, OptionSpec, OptionValues, ParseError, build,
    integer_in_bounds,
};
use crate::domain::ids::IncidentId;

/// What the typed-text binder needs to know of an option: the static tree's options and a
/// catalogued command's parameters both bind with the same rules through this.
pub trait BindOption {
    /// The name typed before a colon (`replicas:3`).
    fn name(&self) -> &str;
    /// Whether it is free text, which takes the rest of the line when it is the last text
    /// option still to fill.
    fn takes_rest(&self) -> bool;
    /// Whether `word`, given positionally, is a value it would accept (used to decide
    /// whether a quoted text value ends before it).
    fn accepts(&self, word: &str) -> bool;
}

impl BindOption for OptionSpec {
    fn name(&self) -> &str {
        self.name
    }

    fn takes_rest(&self) -> bool {
        // A task id (`T3`, the `/task` commands' `id`) is one word, never the rest of a line:
        // `/task assign T3 @bob` gives `@bob` to the user option.
        self.kind == OptionKind::Text && self.name != "id"
    }

    fn accepts(&self, word: &str) -> bool {
        match self.kind {
            OptionKind::Choice(choices) => choices.iter().any(|c| c.eq_ignore_ascii_case(word)),
            OptionKind::Integer { min, max } => {
                integer_in_bounds(self.name, word, Some(min), Some(max)).is_ok()
            }
            OptionKind::Incident => IncidentId::parse(word).is_ok(),
            OptionKind::Text
            | OptionKind::User
            | OptionKind::CatalogCommand
            | OptionKind::Service => true,
        }
    }
}

/// Parses a command typed as text.
pub fn parse_typed(text: &str) -> Result<Command, ParseError> {
    let text = text.trim();
    let rest = text.strip_prefix('/').ok_or(ParseError::NotACommand)?;
    let (command, rest) = next_word(rest);
    let command = command.to_lowercase();
    if command.is_empty() {
        return Err(ParseError::UnknownCommand(String::new()));
    }
    let candidates: Vec<&LeafSpec> = COMMAND_TREE
        .iter()
        .filter(|leaf| leaf.path[0] == command)
        .collect();
    if candidates.is_empty() {
        return Err(ParseError::UnknownCommand(command));
    }
    let (leaf, rest) = if candidates.len() == 1 && candidates[0].path.len() == 1 {
        (candidates[0], rest)
    } else {
        let expected = candidates
            .iter()
            .filter_map(|leaf| leaf.path.get(1).copied())
            .collect::<Vec<_>>()
            .join(", ");
        let (sub, rest) = next_word(rest);
        let sub = sub.to_lowercase();
        // A bare `/oncall` asks who is on call: `/oncall show`.
        let sub = if sub.is_empty() && command == "oncall" {
            "show".to_owned()
        } else {
            sub
        };
        let leaf = candidates
            .iter()
            .find(|leaf| leaf.path.get(1).is_some_and(|s| *s == sub))
            .copied()
            .ok_or(ParseError::UnknownSubcommand {
                command: command.clone(),
                expected,
            })?;
        (leaf, rest)
    };
    let values = match leaf.path {
        ["task", "add"] => task_add::bind_task_add(leaf.options, rest)?,
        _ => bind_options(leaf.options, rest)?,
    };
    build(leaf, &values)
}

const QUOTES: &[(char, &[char])] = &[
    ('"', &['"']),
    ('\'', &['\'']),
    ('“', &['”', '"']),
    ('‘', &['’', '\'']),
];

/// The first whitespace-separated word of `text` (after leading whitespace) and the rest.
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], &text[end..]),
        None => (text, ""),
    }
}

/// A value that starts with a quote whose closing quote is followed by whitespace or the
/// end: the text inside and what follows. `None` when `text` is not such a value.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let open = text.chars().next()?;
    let (_, closers) = QUOTES.iter().find(|(o, _)| *o == open)?;
    let body_start = open.len_utf8();
    let body = &text[body_start..];
    for (index, ch) in body.char_indices() {
        if closers.contains(&ch) {
            let after = &body[index + ch.len_utf8()..];
            if after.is_empty() || after.starts_with(char::is_whitespace) {
                return Some((&body[..index], after));
            }
        }
    }
    None
}

/// `name:` at the start of `text` naming one of `options`: the option and the text after
/// the colon (with any spaces after the colon skipped).
fn named<'o, 't, O: BindOption>(options: &'o [O], text: &'t str) -> Option<(&'o O, &'t str)> {
    if text.starts_with(char::is_whitespace) {
        return None;
    }
    let (word, _) = next_word(text);
    let (name, _) = word.split_once(':')?;
    let option = options
        .iter()
        .find(|option| option.name().eq_ignore_ascii_case(name))?;
    let after = &text[name.len() + 1..];
    Some((option, after.trim_start()))
}

/// Where in `text` another not-yet-given option is named (`… severity:sev1`): the byte index
/// of the whitespace before it, so a rest-of-line value stops there.
fn next_named_start<O: BindOption>(
    options: &[O],
    text: &str,
    given: &OptionValues,
    filling: &str,
) -> usize {
    let mut previous_is_space = false;
    for (index, ch) in text.char_indices() {
        if previous_is_space
            && let Some((option, _)) = named(options, &text[index..])
            && option.name() != filling
            && !given.contains_key(option.name())
        {
            return index;
        }
        previous_is_space = ch.is_whitespace();
    }
    text.len()
}

fn free_options<'a, O: BindOption>(options: &'a [O], given: &OptionValues) -> Vec<&'a O> {
    options
        .iter()
        .filter(|option| !given.contains_key(option.name()))
        .collect()
}

/// Reads the value of `option` from the start of `text`; returns it and the rest.
fn read_value<'a, O: BindOption>(
    options: &[O],
    option: &O,
    text: &'a str,
    given: &OptionValues,
) -> (String, &'a str) {
    let others_free: Vec<&O> = free_options(options, given)
        .into_iter()
        .filter(|other| other.name() != option.name())
        .collect();
    let takes_rest = option.takes_rest() && !others_free.iter().any(|other| other.takes_rest());
    if takes_rest {
        let end = next_named_start(options, text, given, option.name());
        let (value, rest) = text.split_at(end);
        let value = value.trim_end();
        // Quotes matter only when they end the value before something that fits the next
        // option; `"db" is back` stays a note as typed.
        if let Some((inside, after)) = quoted(value)
            && (after.trim().is_empty() || next_fits(&others_free, after))
        {
            let consumed = value.len() - after.len();
            return (inside.to_owned(), &text[consumed..]);
        }
        return (value.to_owned(), rest);
    }
    if let Some((inside, after)) = quoted(text) {
        return (inside.to_owned(), after);
    }
    let (word, rest) = next_word(text);
    (word.to_owned(), rest)
}

/// Whether the first word of `rest` is a value the next free option (given positionally)
/// would accept.
fn next_fits<O: BindOption>(others_free: &[&O], rest: &str) -> bool {
    let Some(next) = others_free.first() else {
        return false;
    };
    let (word, _) = next_word(rest);
    let word = quoted(word).map_or(word, |(inside, _)| inside);
    next.accepts(word)
}

/// Binds typed text to `options` with the rules in this module's documentation: the static
/// tree's commands and a catalogued command's `params:` text alike. Values are returned as
/// typed; checking them against their kinds is the caller's (`build`, `bind_action`).
pub fn bind_options<O: BindOption>(options: &[O], text: &str) -> Result<OptionValues, ParseError> {
    let mut values = OptionValues::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (option, value_text) = match named(options, rest) {
            Some((option, after)) => {
                if values.contains_key(option.name()) {
                    return Err(ParseError::DuplicateOption {
                        option: option.name().to_owned(),
                    });
                }
                (option, after)
            }
            None => match free_options(options, &values).first() {
                Some(option) => (*option, rest),
                None => return Err(leftover(rest)),
            },
        };
        let (value, after) = read_value(options, option, value_text, &values);
        values.insert(option.name().to_owned(), value);
        rest = after.trim_start();
    }
    Ok(values)
}

/// What to say about text no option takes: an unknown `name:`, or simply too much.
fn leftover(rest: &str) -> ParseError {
    let (word, _) = next_word(rest);
    if let Some((name, _)) = word.split_once(':')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return ParseError::UnknownOption {
            option: name.to_owned(),
        };
    }
    ParseError::TooManyValues {
        extra: rest.trim().to_owned(),
    }
}

mod task_add;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::severity::Severity;

    fn note(text: &str) -> Result<Command, ParseError> {
        Ok(Command::Note(text.to_owned()))
    }

    #[test]
    fn the_last_text_option_takes_the_rest_of_the_line_verbatim() {
        let cases: Vec<(&str, Result<Command, ParseError>)> = vec![
            (
                "/incident note don't restart the db yet",
                note("don't restart the db yet"),
            ),
            ("/incident note it's fine", note("it's fine")),
            ("/incident note disk at 5\" left", note("disk at 5\" left")),
            ("/incident note 5\"", note("5\"")),
            (
                "/incident note “checkout is down",
                note("“checkout is down"),
            ),
            ("/incident note \"open", note("\"open")),
            (
                "/incident note he said \"wait\" twice",
                note("he said \"wait\" twice"),
            ),
            (
                "/incident note \"db\" is back, 'mostly'",
                note("\"db\" is back, 'mostly'"),
            ),
            (
                "/incident note line one\nline two\n\n  indented",
                note("line one\nline two\n\n  indented"),
            ),
            ("/incident note text: hello", note("hello")),
            ("/incident note TEXT:hello there", note("hello there")),
            ("/incident note text: \"quoted\"", note("quoted")),
            (
                "/incident note the level: fine, the role: none",
                note("the level: fine, the role: none"),
            ),
            (
                "/incident note\nfirst line on its own",
                note("first line on its own"),
            ),
            (
                "/incident declare Payments down, users see 500s",
                Ok(Command::Declare {
                    title: "Payments down, users see 500s".to_owned(),
                    severity: None,
                }),
            ),
            (
                "/incident declare title: Payments down severity:sev2",
                Ok(Command::Declare {
                    title: "Payments down".to_owned(),
                    severity: Some(Severity::Sev2),
                }),
            ),
            (
                "/incident declare severity:sev1 it's the \"checkout\" page",
                Ok(Command::Declare {
                    title: "it's the \"checkout\" page".to_owned(),
                    severity: Some(Severity::Sev1),
                }),
            ),
            (
                "/incident declare \"Payments\" are down",
                Ok(Command::Declare {
                    title: "\"Payments\" are down".to_owned(),
                    severity: None,
                }),
            ),
            (
                "/incident declare 'Payments down' SEV3",
                Ok(Command::Declare {
                    title: "Payments down".to_owned(),
                    severity: Some(Severity::Sev3),
                }),
            ),
            (
                "/incident declare “Payments down” sev2",
                Ok(Command::Declare {
                    title: "Payments down".to_owned(),
                    severity: Some(Severity::Sev2),
                }),
            ),
            (
                "/incident status id:INC-20261121-002",
                Ok(Command::Status {
                    incident: IncidentId::parse("INC-20261121-002").ok(),
                }),
            ),
            (
                "/incident status INC-20261121-002",
                Ok(Command::Status {
                    incident: IncidentId::parse("INC-20261121-002").ok(),
                }),
            ),
            ("/incident list", Ok(Command::List)),
            (
                "/incident status id:checkout",
                Err(ParseError::InvalidIncidentId {
                    option: "id".to_owned(),
                    value: "checkout".to_owned(),
                }),
            ),
            (
                "/incident ack \"now\" please",
                Err(ParseError::TooManyValues {
                    extra: "\"now\" please".to_owned(),
                }),
            ),
            (
                "/incident role commander alice bob",
                Err(ParseError::TooManyValues {
                    extra: "bob".to_owned(),
                }),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_typed(text), expected, "input {text:?}");
        }
    }

    #[test]
    fn quotes_end_a_value_only_when_followed_by_space_or_the_end() {
        let cases = [
            ("\"a b\" c", Some(("a b", " c"))),
            ("\"a b\"", Some(("a b", ""))),
            ("\"a\"b c\" d", Some(("a\"b c", " d"))),
            ("“中文”", Some(("中文", ""))),
            ("'it''s'", Some(("it''s", ""))),
            ("\"open", None),
            ("plain", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(quoted(text), expected, "input {text:?}");
        }
    }
}
