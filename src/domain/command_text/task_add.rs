//! `/task add` typed the way people talk (see [`bind_task_add`]): the general binder would
//! give its title one word, since the title, the assignee and the due time all look alike.

use super::{BindOption, named, quoted};
use crate::domain::command::{OptionValues, ParseError};

/// `/task add` typed the way people talk: `/task add "roll back the config" @ops 30m`, or
/// unquoted, `/task add roll back the config @ops 30m`. The title, the assignee and the due
/// time are all optional-looking words, so the general rules would give the title one word;
/// here the due time is recognised by its form (a duration, a clock time, a date and time),
/// the assignee by a leading `@` (or, after a quoted title, as the word left before the due
/// time), and the title is the rest. Named options (`due: 30m`) may follow, each taking the
/// text up to the next name.
pub(super) fn bind_task_add<O: BindOption>(
    options: &[O],
    text: &str,
) -> Result<OptionValues, ParseError> {
    let text = text.trim();
    // Where each `name:` starts (at a word's start), its option and where its value starts.
    let mut names: Vec<(usize, &O, usize)> = Vec::new();
    let mut previous_is_space = true;
    for (index, ch) in text.char_indices() {
        if previous_is_space && let Some((option, after)) = named(options, &text[index..]) {
            names.push((index, option, text.len() - after.len()));
        }
        previous_is_space = ch.is_whitespace();
    }
    let positional_end = names.first().map_or(text.len(), |(start, _, _)| *start);
    let mut values = bind_task_add_positionally(&text[..positional_end])?;
    for (number, (_, option, value_start)) in names.iter().enumerate() {
        let value_end = names
            .get(number + 1)
            .map_or(text.len(), |(next_start, _, _)| *next_start);
        let value = text[*value_start..value_end].trim();
        let value = match quoted(value) {
            Some((inside, after)) if after.trim().is_empty() => inside,
            _ => value,
        };
        if values
            .insert(option.name().to_owned(), value.to_owned())
            .is_some()
        {
            return Err(ParseError::DuplicateOption {
                option: option.name().to_owned(),
            });
        }
    }
    Ok(values)
}

/// The positional part of `/task add` (see [`bind_task_add`]).
fn bind_task_add_positionally(text: &str) -> Result<OptionValues, ParseError> {
    let text = text.trim();
    let mut values = OptionValues::new();
    if text.is_empty() {
        return Ok(values);
    }
    let (title, after) = match quoted(text) {
        Some((inside, after)) => (Some(inside), after.trim()),
        None => (None, text),
    };
    let mut words: Vec<&str> = after.split_whitespace().collect();
    // The due time is the last word, or the last two for `2026-11-21 18:00`; an unquoted
    // title keeps at least its first word.
    let least = usize::from(title.is_none());
    let due_words = match words.as_slice() {
        [.., day, clock]
            if words.len() >= 2 + least
                && crate::domain::when::looks_like_when(&format!("{day} {clock}")) =>
        {
            2
        }
        [.., last] if words.len() > least && crate::domain::when::looks_like_when(last) => 1,
        _ => 0,
    };
    if due_words > 0 {
        let due = words.split_off(words.len() - due_words).join(" ");
        values.insert("due".to_owned(), due);
    }
    if let Some(title) = title {
        // After a quoted title, the first word left names the assignee, mention or not;
        // anything after it is the due time even when it does not look like one, so the
        // reply can say it is not a due time (`@carol soonish`).
        match words.as_slice() {
            [] => {}
            [assignee] => {
                values.insert("assignee".to_owned(), (*assignee).to_owned());
            }
            [_, extra @ ..] if due_words > 0 => {
                return Err(ParseError::TooManyValues {
                    extra: extra.join(" "),
                });
            }
            [assignee, due @ ..] => {
                values.insert("assignee".to_owned(), (*assignee).to_owned());
                values.insert("due".to_owned(), due.join(" "));
            }
        }
        values.insert("title".to_owned(), title.to_owned());
        return Ok(values);
    }
    if words.len() > 1
        && let Some(last) = words.last()
        && (last.starts_with('@') || last.starts_with("<@"))
    {
        values.insert("assignee".to_owned(), (*last).to_owned());
        words.pop();
    }
    // The unquoted title keeps its own spacing: the text up to where its last word ends.
    let title = words.last().map_or("", |last| {
        let end = last.as_ptr() as usize - text.as_ptr() as usize + last.len();
        &text[..end]
    });
    values.insert("title".to_owned(), title.to_owned());
    Ok(values)
}

#[cfg(test)]
mod tests {
    use crate::domain::command::Command;
    use crate::domain::command::ParseError;
    use crate::domain::command_text::parse_typed;

    #[test]
    fn task_add_takes_a_title_an_assignee_and_a_due_time_positionally() {
        use crate::domain::command::TaskCommand;
        use crate::domain::ids::UserId;
        let add = |title: &str, assignee: Option<&str>, due: Option<&str>| {
            Ok(Command::Task(TaskCommand::Add {
                title: title.to_owned(),
                assignee: assignee.map(|user| UserId(user.to_owned())),
                due: due.map(str::to_owned),
            }))
        };
        let cases: Vec<(&str, Result<Command, ParseError>)> = vec![
            (
                "/task add \"roll back the config\" @ops 30m",
                add("roll back the config", Some("ops"), Some("30m")),
            ),
            (
                "/task add \"roll back the config\" ops",
                add("roll back the config", Some("ops"), None),
            ),
            (
                "/task add \"roll back\" 2h",
                add("roll back", None, Some("2h")),
            ),
            (
                "/task add \"roll back\" @ops 2026-11-21 18:00",
                add("roll back", Some("ops"), Some("2026-11-21 18:00")),
            ),
            (
                "/task add roll back the config",
                add("roll back the config", None, None),
            ),
            (
                "/task add roll back the config @ops 30m",
                add("roll back the config", Some("ops"), Some("30m")),
            ),
            (
                "/task add write the postmortem 18:00",
                add("write the postmortem", None, Some("18:00")),
            ),
            (
                "/task add 回滚配置 @ops",
                add("回滚配置", Some("ops"), None),
            ),
            ("/task add @ops", add("@ops", None, None)),
            (
                "/task assign T3 @bob",
                Ok(Command::Task(TaskCommand::Assign {
                    task: "T3".to_owned(),
                    user: UserId("bob".to_owned()),
                })),
            ),
            (
                "/task snooze t3 1h",
                Ok(Command::Task(TaskCommand::Snooze {
                    task: "t3".to_owned(),
                    duration: "1h".to_owned(),
                })),
            ),
            (
                "/task add title: check the  dashboards due: 1h assignee: bob",
                add("check the  dashboards", Some("bob"), Some("1h")),
            ),
            (
                "/task add fix it due: 2026-11-21 18:00 assignee:@bob",
                add("fix it", Some("bob"), Some("2026-11-21 18:00")),
            ),
            ("/task add title: \"fix it\"", add("fix it", None, None)),
            (
                "/task add fix it 30m due: 1h",
                Err(ParseError::DuplicateOption {
                    option: "due".to_owned(),
                }),
            ),
            ("/task add 30m", add("30m", None, None)),
            (
                "/task add \"fix it\" @carol next friday",
                add("fix it", Some("carol"), Some("next friday")),
            ),
            (
                "/task add \"a\" bob carol 1h",
                Err(ParseError::TooManyValues {
                    extra: "carol".to_owned(),
                }),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_typed(text), expected, "input {text:?}");
        }
    }
}
