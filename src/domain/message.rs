//! A reference to a localized message: the core names what to say, the adapters say it in
//! the reader's language through `i18n`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    pub id: String,
    pub args: Vec<(String, String)>,
}

impl Msg {
    pub fn new(id: &str) -> Msg {
        Msg {
            id: id.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Msg {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }
}
