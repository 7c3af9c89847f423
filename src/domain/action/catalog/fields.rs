//! Reading a catalog file's fields: each reader reports a wrong type or value as a problem
//! naming the field, and returns what it could read.

use std::time::Duration;

use toml::{Table, Value};

use super::parse::CatalogProblem;

/// The longest `pattern` a string parameter may have.
const MAX_PATTERN_CHARS: usize = 500;

#[derive(Default)]
pub(super) struct Problems {
    pub(super) list: Vec<CatalogProblem>,
}

impl Problems {
    pub(super) fn push(&mut self, field: &str, message: String) {
        self.list.push(CatalogProblem {
            field: field.to_owned(),
            message,
        });
    }

    pub(super) fn unknown_keys(&mut self, table: &Table, prefix: &str, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                self.push(
                    &format!("{prefix}{key}"),
                    format!("unknown key; the keys are {}", known.join(", ")),
                );
            }
        }
    }

    pub(super) fn string(&mut self, table: &Table, key: &str, required: bool) -> Option<String> {
        self.string_at(table, key, key, required)
    }

    pub(super) fn string_at(
        &mut self,
        table: &Table,
        key: &str,
        field: &str,
        required: bool,
    ) -> Option<String> {
        match table.get(key) {
            None if required => {
                self.push(field, "required".to_owned());
                None
            }
            None => None,
            Some(Value::String(text)) if text.trim().is_empty() => {
                self.push(field, "must not be empty".to_owned());
                None
            }
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            Some(other) => {
                self.push(field, format!("must be a string, not {}", type_name(other)));
                None
            }
        }
    }

    pub(super) fn integer(&mut self, table: &Table, key: &str) -> Option<i64> {
        self.integer_at(table, key, key)
    }

    pub(super) fn integer_at(&mut self, table: &Table, key: &str, field: &str) -> Option<i64> {
        match table.get(key)? {
            Value::Integer(number) => Some(*number),
            other => {
                self.push(
                    field,
                    format!("must be a whole number, not {}", type_name(other)),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, table: &Table, key: &str) -> Option<bool> {
        self.boolean_at(table, key, key)
    }

    pub(super) fn boolean_at(&mut self, table: &Table, key: &str, field: &str) -> Option<bool> {
        match table.get(key)? {
            Value::Boolean(value) => Some(*value),
            other => {
                self.push(
                    field,
                    format!("must be true or false, not {}", type_name(other)),
                );
                None
            }
        }
    }

    /// `None` when absent; `Some(None)` when present but wrong (reported).
    pub(super) fn duration(
        &mut self,
        table: &Table,
        key: &str,
        (least, most): (Duration, Duration),
    ) -> Option<Option<Duration>> {
        let text = self.string(table, key, false);
        if text.is_none() && table.contains_key(key) {
            return Some(None);
        }
        let text = text?;
        Some(match humantime::parse_duration(&text) {
            Ok(duration) if (least..=most).contains(&duration) => Some(duration),
            Ok(_) => {
                self.push(
                    key,
                    format!(
                        "\"{text}\" is outside {} to {}",
                        humantime::format_duration(least),
                        humantime::format_duration(most)
                    ),
                );
                None
            }
            Err(error) => {
                self.push(
                    key,
                    format!("\"{text}\" is not a duration like 30s or 5m ({error})"),
                );
                None
            }
        })
    }

    pub(super) fn strings(&mut self, table: &Table, key: &str) -> Option<Vec<String>> {
        let Value::Array(items) = table.get(key)? else {
            self.push(key, "must be a list of strings".to_owned());
            return None;
        };
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => out.push(text.clone()),
                other => self.push(
                    &format!("{key}[{index}]"),
                    format!("must be a string, not {}", type_name(other)),
                ),
            }
        }
        Some(out)
    }
}

fn type_name(value: &Value) -> &'static str {
    value.type_str()
}

pub(super) fn is_command_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn is_fluent_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && id.len() <= 100
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// An enum value is one word a person can type: no spaces, quotes or colons.
pub(super) fn is_enum_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A pattern matched against the whole value.
pub(crate) fn compile_whole(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!("longer than {MAX_PATTERN_CHARS} characters"));
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|error| {
            // The regex crate's message spans lines (the pattern, a caret, the error); the
            // last line says what is wrong.
            let text = error.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("invalid")
                .trim()
                .to_owned();
            format!("\"{pattern}\" is not a valid regular expression ({reason})")
        })
}
