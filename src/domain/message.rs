//! A reference to a localized message: the core names what to say, the adapters say it in
//! the reader's language through `i18n`, and each chat renders it for its medium.
//!
//! Arguments are typed because they are trusted differently: text from outside (alert names,
//! labels, notes, titles, user names) is escaped by chats that interpret markup, numbers
//! select plural forms, people are named without being called, and words (states,
//! severities, incident ids) are warroom's own.

use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::access::Person;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    pub id: String,
    #[serde(deserialize_with = "typed_or_legacy_args")]
    pub args: Vec<(String, Arg)>,
}

/// One message argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// Text from outside warroom: shown as typed, never interpreted as markup or mentions.
    Text(String),
    /// A count: Fluent selects the plural form from it.
    Number(u64),
    /// A person named (by display name, never called); `name` is `None` when warroom only
    /// knows the id, and the chat then names them its own way.
    Person { id: UserId, name: Option<String> },
    /// A person the message means to call (ping): the only argument that may notify anyone.
    Call { id: UserId },
    /// Several people called, in order, shown as a list (an escalation step's callees).
    Calls { ids: Vec<UserId> },
    /// Everyone in the room called (`@here` on Discord): an escalation step with `here`.
    Here,
    /// warroom's own word (a state, severity, role, action or incident id). Words that name
    /// a state, role or action are translated by the renderer.
    Word(String),
}

impl Msg {
    pub fn new(id: &str) -> Msg {
        Msg {
            id: id.to_owned(),
            args: Vec::new(),
        }
    }

    /// Text from outside warroom (alert names, labels, annotations, notes, titles).
    pub fn outside(self, name: &str, value: impl Into<String>) -> Msg {
        self.with(name, Arg::Text(value.into()))
    }

    /// A count; plural forms select on it.
    pub fn number(self, name: &str, value: u64) -> Msg {
        self.with(name, Arg::Number(value))
    }

    /// A person named by their display name.
    pub fn person(self, name: &str, person: &Person) -> Msg {
        let display = (!person.display_name.trim().is_empty()).then(|| person.display_name.clone());
        self.with(
            name,
            Arg::Person {
                id: person.id.clone(),
                name: display,
            },
        )
    }

    /// A person warroom knows only by id.
    pub fn user(self, name: &str, id: &UserId) -> Msg {
        self.with(
            name,
            Arg::Person {
                id: id.clone(),
                name: None,
            },
        )
    }

    /// A person by id, with their display name when known.
    pub fn with_person(self, name: &str, id: UserId, display: Option<String>) -> Msg {
        let display = display.filter(|display| !display.trim().is_empty());
        self.with(name, Arg::Person { id, name: display })
    }

    /// A person this message calls (pings) on chats that can.
    pub fn call(self, name: &str, id: &UserId) -> Msg {
        self.with(name, Arg::Call { id: id.clone() })
    }

    /// People this message calls (pings), shown as one comma-separated list.
    pub fn calls(self, name: &str, ids: &[UserId]) -> Msg {
        self.with(name, Arg::Calls { ids: ids.to_vec() })
    }

    /// Calls everyone in the room (`@here`).
    pub fn here(self, name: &str) -> Msg {
        self.with(name, Arg::Here)
    }

    /// warroom's own word: a state, severity, role, action, incident id or command name.
    pub fn word(self, name: &str, value: impl ToString) -> Msg {
        self.with(name, Arg::Word(value.to_string()))
    }

    fn with(mut self, name: &str, value: Arg) -> Msg {
        self.args.push((name.to_owned(), value));
        self
    }
}

/// Reads arguments as this build writes them, and as older builds did (every value a plain
/// string, kept in outbox items written before an upgrade): those become outside text, the
/// safe reading.
fn typed_or_legacy_args<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, Arg)>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(Arg),
        Legacy(String),
    }
    let stored: Vec<(String, Stored)> = Vec::deserialize(deserializer)?;
    Ok(stored
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                Stored::Typed(arg) => arg,
                Stored::Legacy(text) => Arg::Text(text),
            };
            (name, value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_round_trip_and_legacy_strings_read_as_outside_text() {
        let msg = Msg::new("notice-note")
            .user("user", &UserId("alice".to_owned()))
            .outside("text", "@everyone")
            .number("count", 3)
            .word("state", "acknowledged")
            .call("who", &UserId("bob".to_owned()));
        let json = serde_json::to_string(&msg).unwrap();
        assert_eq!(serde_json::from_str::<Msg>(&json).unwrap(), msg);

        let legacy = r#"{"id":"notice-note","args":[["user","alice"],["text","hi"]]}"#;
        let read: Msg = serde_json::from_str(legacy).unwrap();
        assert_eq!(
            read.args,
            vec![
                ("user".to_owned(), Arg::Text("alice".to_owned())),
                ("text".to_owned(), Arg::Text("hi".to_owned())),
            ]
        );
    }
}
