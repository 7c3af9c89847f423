//! The chat command tree, defined once for every chat adapter, and the typed commands built
//! from it. Discord registers the same tree as slash commands; the console's typed text is
//! parsed by [`crate::domain::command_text`].

use std::collections::BTreeMap;

pub use crate::domain::command_text::parse_typed;
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::incident::{IncidentRole, Transition};
use crate::domain::message::Msg;
use crate::domain::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Text,
    User,
    Integer {
        min: i64,
        max: i64,
    },
    Choice(&'static [&'static str]),
    /// An incident id, `INC-YYYYMMDD-NNN`.
    Incident,
    /// The name of a catalogued command (one word; chats offer the catalog's names).
    CatalogCommand,
    /// The name of a configured service (one word; chats offer the configured names).
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: &'static str,
    pub kind: OptionKind,
    pub required: bool,
}

/// A leaf command (`/timeline`) or a subcommand (`/incident ack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafSpec {
    /// The path as typed: `["incident", "ack"]`.
    pub path: &'static [&'static str],
    pub options: &'static [OptionSpec],
}

impl LeafSpec {
    /// The i18n id of this command's description: `cmd-incident-ack-description`.
    pub fn description_id(&self) -> String {
        format!("cmd-{}-description", self.path.join("-"))
    }

    pub fn option_description_id(&self, option: &OptionSpec) -> String {
        format!("cmd-{}-opt-{}", self.path.join("-"), option.name)
    }

    /// The i18n id of this command's example: `cmd-incident-note-example`.
    pub fn example_id(&self) -> String {
        format!("cmd-{}-example", self.path.join("-"))
    }

    /// The syntax, derived from the options: `/incident role role:<commander|…> user:<user>`,
    /// optional options in brackets.
    pub fn syntax(&self) -> String {
        let mut out = format!("/{}", self.path.join(" "));
        for option in self.options {
            let placeholder = match option.kind {
                OptionKind::Text => "<text>".to_owned(),
                OptionKind::User => "<user>".to_owned(),
                OptionKind::Integer { min, max } => format!("<{min}-{max}>"),
                OptionKind::Choice(choices) => format!("<{}>", choices.join("|")),
                OptionKind::Incident => "<INC-YYYYMMDD-NNN>".to_owned(),
                OptionKind::CatalogCommand => "<command>".to_owned(),
                OptionKind::Service => "<service>".to_owned(),
            };
            let part = format!("{}:{placeholder}", option.name);
            if option.required {
                out.push_str(&format!(" {part}"));
            } else {
                out.push_str(&format!(" [{part}]"));
            }
        }
        out
    }
}

pub const SEVERITY_CHOICES: &[&str] = &["sev1", "sev2", "sev3", "sev4"];
pub const ROLE_CHOICES: &[&str] = &["commander", "communications", "operations"];
/// The roles someone can be on call for: `OnCallRole::as_str` of each of `OnCallRole::ALL`,
/// derived so a new role cannot be left out.
pub const ONCALL_ROLE_CHOICES: &[&str] = &{
    use crate::domain::rotation::OnCallRole;
    let mut words = [""; OnCallRole::ALL.len()];
    let mut index = 0;
    while index < words.len() {
        words[index] = OnCallRole::ALL[index].as_str();
        index += 1;
    }
    words
};

const NO_OPTIONS: &[OptionSpec] = &[];

/// Every command warroom understands, in the order help lists them.
pub const COMMAND_TREE: &[LeafSpec] = &[
    LeafSpec {
        path: &["incident", "ack"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "mitigate"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "resolve"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "close"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "reopen"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "status"],
        options: &[OptionSpec {
            name: "id",
            kind: OptionKind::Incident,
            required: false,
        }],
    },
    LeafSpec {
        path: &["incident", "list"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["incident", "severity"],
        options: &[OptionSpec {
            name: "level",
            kind: OptionKind::Choice(SEVERITY_CHOICES),
            required: true,
        }],
    },
    LeafSpec {
        path: &["incident", "role"],
        options: &[
            OptionSpec {
                name: "role",
                kind: OptionKind::Choice(ROLE_CHOICES),
                required: true,
            },
            OptionSpec {
                name: "user",
                kind: OptionKind::User,
                required: true,
            },
        ],
    },
    LeafSpec {
        path: &["incident", "note"],
        options: &[OptionSpec {
            name: "text",
            kind: OptionKind::Text,
            required: true,
        }],
    },
    LeafSpec {
        path: &["incident", "declare"],
        options: &[
            OptionSpec {
                name: "title",
                kind: OptionKind::Text,
                required: true,
            },
            OptionSpec {
                name: "severity",
                kind: OptionKind::Choice(SEVERITY_CHOICES),
                required: false,
            },
        ],
    },
    LeafSpec {
        path: &["incident", "update"],
        options: &[OptionSpec {
            name: "text",
            kind: OptionKind::Text,
            required: true,
        }],
    },
    LeafSpec {
        path: &["task", "add"],
        options: &[
            OptionSpec {
                name: "title",
                kind: OptionKind::Text,
                required: true,
            },
            OptionSpec {
                name: "assignee",
                kind: OptionKind::User,
                required: false,
            },
            OptionSpec {
                name: "due",
                kind: OptionKind::Text,
                required: false,
            },
        ],
    },
    LeafSpec {
        path: &["task", "done"],
        options: &[OptionSpec {
            name: "id",
            kind: OptionKind::Text,
            required: true,
        }],
    },
    LeafSpec {
        path: &["task", "list"],
        options: &[OptionSpec {
            name: "page",
            // The timeline's bounds, which Discord already registers: 500 tasks make 34
            // pages, and a page past the last shows the last.
            kind: OptionKind::Integer { min: 1, max: 50 },
            required: false,
        }],
    },
    LeafSpec {
        path: &["task", "assign"],
        options: &[
            OptionSpec {
                name: "id",
                kind: OptionKind::Text,
                required: true,
            },
            OptionSpec {
                name: "user",
                kind: OptionKind::User,
                required: true,
            },
        ],
    },
    LeafSpec {
        path: &["task", "snooze"],
        options: &[
            OptionSpec {
                name: "id",
                kind: OptionKind::Text,
                required: true,
            },
            OptionSpec {
                name: "for",
                kind: OptionKind::Text,
                required: true,
            },
        ],
    },
    LeafSpec {
        path: &["oncall", "show"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["oncall", "override"],
        options: &[
            OptionSpec {
                name: "role",
                kind: OptionKind::Choice(ONCALL_ROLE_CHOICES),
                required: true,
            },
            OptionSpec {
                name: "user",
                kind: OptionKind::User,
                required: true,
            },
            OptionSpec {
                name: "until",
                kind: OptionKind::Text,
                required: true,
            },
        ],
    },
    LeafSpec {
        path: &["timeline"],
        options: &[OptionSpec {
            name: "limit",
            kind: OptionKind::Integer { min: 1, max: 50 },
            required: false,
        }],
    },
    LeafSpec {
        path: &["run"],
        options: &[
            OptionSpec {
                name: "command",
                kind: OptionKind::CatalogCommand,
                required: true,
            },
            OptionSpec {
                name: "params",
                kind: OptionKind::Text,
                required: false,
            },
        ],
    },
    LeafSpec {
        path: &["diag"],
        options: &[OptionSpec {
            name: "service",
            kind: OptionKind::Service,
            required: true,
        }],
    },
    LeafSpec {
        path: &["scale"],
        options: &[
            OptionSpec {
                name: "service",
                kind: OptionKind::Service,
                required: true,
            },
            OptionSpec {
                name: "replicas",
                kind: OptionKind::Integer {
                    min: 0,
                    max: MAX_SCALE_REPLICAS,
                },
                required: true,
            },
        ],
    },
    LeafSpec {
        path: &["actions"],
        options: NO_OPTIONS,
    },
    LeafSpec {
        path: &["help"],
        options: NO_OPTIONS,
    },
];

/// The command a typed line starts with (`/task add "x"` → the `task add` leaf), if any:
/// so a refusal can show that command's example.
pub fn leaf_typed(text: &str) -> Option<&'static LeafSpec> {
    let words: Vec<&str> = text
        .trim()
        .strip_prefix('/')?
        .split_whitespace()
        .take(2)
        .collect();
    COMMAND_TREE
        .iter()
        .filter(|leaf| leaf.path.len() <= words.len())
        .find(|leaf| {
            leaf.path
                .iter()
                .zip(&words)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
}

/// The widest replica count `/scale` accepts before the catalog and the service's own
/// bounds narrow it.
pub const MAX_SCALE_REPLICAS: i64 = 1_000;

/// A command after parsing: typed, ready for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Transition(Transition),
    /// The state of the room's incident, or of the one named.
    Status {
        incident: Option<IncidentId>,
    },
    /// The open incidents, newest first, from any room.
    List,
    Severity(Severity),
    AssignRole {
        role: IncidentRole,
        user: UserId,
    },
    Note(String),
    Declare {
        title: String,
        severity: Option<Severity>,
    },
    Timeline {
        limit: usize,
    },
    Help,
    /// The probe message's Re-probe button: probe the incident's health URL again.
    Reprobe,
    /// Run a catalogued command (`/run`, `/diag`, `/scale`): its name and its parameters as
    /// given, bound to the command's parameters by the catalog.
    Action {
        command: String,
        params: ActionParams,
    },
    /// The catalog and this incident's requests.
    Actions,
    /// Approve or reject a request (its message's buttons, or a ✅/❌ reaction on it).
    Vote {
        request: crate::domain::action::RequestId,
        approve: bool,
        via: crate::domain::action::VoteVia,
    },
    /// `/incident update <text>`: a status update, posted in the room and announced.
    Update(String),
    /// `/task …` in the room's incident.
    Task(TaskCommand),
    /// `/oncall show`: each role's holder now and next, from any room.
    OnCall,
    /// `/oncall override`: `user` holds `role` until `until` (a duration such as `4h` or a
    /// time), as typed; the engine parses it against its clock.
    OnCallOverride {
        role: crate::domain::rotation::OnCallRole,
        user: UserId,
        until: String,
    },
}

/// `/task …`: task ids and durations as typed (`T3`, `2h`); the engine parses them, so a bad
/// one gets the task module's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCommand {
    Add {
        title: String,
        assignee: Option<UserId>,
        due: Option<String>,
    },
    Done {
        task: String,
    },
    /// Page `page` (from 1) of the incident's tasks, open ones first.
    List {
        page: u32,
    },
    Assign {
        task: String,
        user: UserId,
    },
    Snooze {
        task: String,
        duration: String,
    },
}

/// A catalogued command's parameters as they arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionParams {
    /// `/run`'s `params:` text, bound with the same rules as typed commands.
    Raw(String),
    /// Already split by name (a dedicated slash command such as `/scale`).
    Named(OptionValues),
}

impl Command {
    /// Whether the command acts on the incident of the room it is typed in.
    pub fn needs_incident(&self) -> bool {
        !matches!(
            self,
            Command::Declare { .. }
                | Command::Help
                | Command::List
                | Command::OnCall
                | Command::OnCallOverride { .. }
                | Command::Status { incident: Some(_) }
        )
    }
}

/// Why a typed command was not understood; each maps to a localized message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a command: it must start with /")]
    NotACommand,
    #[error("unknown command /{0}")]
    UnknownCommand(String),
    #[error("/{command} needs one of: {expected}")]
    UnknownSubcommand { command: String, expected: String },
    #[error("missing option {option}")]
    MissingOption { option: String },
    #[error("unknown option {option}")]
    UnknownOption { option: String },
    #[error("option {option} given twice")]
    DuplicateOption { option: String },
    #[error("{option}: {value} is not one of {choices}")]
    InvalidChoice {
        option: String,
        value: String,
        choices: String,
    },
    #[error("{option}: {value} is not a whole number from {min} to {max}")]
    InvalidInteger {
        option: String,
        value: String,
        min: i64,
        max: i64,
    },
    #[error("{option}: {value} is not a whole number")]
    NotAnInteger { option: String, value: String },
    #[error("{option}: {value} is below the least allowed, {min}")]
    IntegerBelow {
        option: String,
        value: String,
        min: i64,
    },
    #[error("{option}: {value} is above the most allowed, {max}")]
    IntegerAbove {
        option: String,
        value: String,
        max: i64,
    },
    #[error("too many values: {extra}")]
    TooManyValues { extra: String },
    #[error("{option} must not be empty")]
    EmptyValue { option: String },
    #[error("{option}: {value} is not an incident id like INC-20261121-003")]
    InvalidIncidentId { option: String, value: String },
}

impl ParseError {
    pub fn to_msg(&self) -> Msg {
        match self {
            ParseError::NotACommand => Msg::new("cmd-error-not-a-command"),
            ParseError::UnknownCommand(name) => {
                Msg::new("cmd-error-unknown-command").outside("command", name.as_str())
            }
            ParseError::UnknownSubcommand { command, expected } => {
                Msg::new("cmd-error-unknown-subcommand")
                    .outside("command", command.as_str())
                    .word("expected", expected)
            }
            ParseError::MissingOption { option } => {
                Msg::new("cmd-error-missing-option").outside("option", option.as_str())
            }
            ParseError::UnknownOption { option } => {
                Msg::new("cmd-error-unknown-option").outside("option", option.as_str())
            }
            ParseError::DuplicateOption { option } => {
                Msg::new("cmd-error-duplicate-option").outside("option", option.as_str())
            }
            ParseError::InvalidChoice {
                option,
                value,
                choices,
            } => Msg::new("cmd-error-invalid-choice")
                .outside("option", option.as_str())
                .outside("value", value.as_str())
                .word("choices", choices),
            ParseError::InvalidInteger {
                option,
                value,
                min,
                max,
            } => Msg::new("cmd-error-invalid-integer")
                .outside("option", option.as_str())
                .outside("value", value.as_str())
                .word("min", min)
                .word("max", max),
            ParseError::NotAnInteger { option, value } => Msg::new("cmd-error-not-an-integer")
                .outside("option", option.as_str())
                .outside("value", value.as_str()),
            ParseError::IntegerBelow { option, value, min } => Msg::new("cmd-error-integer-below")
                .outside("option", option.as_str())
                .outside("value", value.as_str())
                .word("min", min),
            ParseError::IntegerAbove { option, value, max } => Msg::new("cmd-error-integer-above")
                .outside("option", option.as_str())
                .outside("value", value.as_str())
                .word("max", max),
            ParseError::TooManyValues { extra } => {
                Msg::new("cmd-error-too-many-values").outside("extra", extra.as_str())
            }
            ParseError::EmptyValue { option } => {
                Msg::new("cmd-error-empty-value").outside("option", option.as_str())
            }
            ParseError::InvalidIncidentId { option, value } => {
                Msg::new("cmd-error-invalid-incident-id")
                    .word("option", option)
                    .outside("value", value.as_str())
            }
        }
    }
}

/// Option values by name, as a chat adapter hands them over (Discord resolves them itself).
pub type OptionValues = BTreeMap<String, String>;

/// Builds a typed command from already-split option values (what a slash command delivers).
pub fn build(leaf: &LeafSpec, values: &OptionValues) -> Result<Command, ParseError> {
    for option in leaf.options {
        match values.get(option.name) {
            None if option.required => {
                return Err(ParseError::MissingOption {
                    option: option.name.to_owned(),
                });
            }
            Some(value) => check_value(option, value)?,
            None => {}
        }
    }
    let get = |name: &str| values.get(name).map(String::as_str);
    let text = |name: &str| get(name).unwrap_or_default().to_owned();
    let severity = |name: &str| get(name).and_then(|v| Severity::parse(v).ok());
    let command = match leaf.path {
        ["incident", "ack"] => Command::Transition(Transition::Acknowledge),
        ["incident", "mitigate"] => Command::Transition(Transition::Mitigate),
        ["incident", "resolve"] => Command::Transition(Transition::Resolve),
        ["incident", "close"] => Command::Transition(Transition::Close),
        ["incident", "reopen"] => Command::Transition(Transition::Reopen),
        ["incident", "status"] => Command::Status {
            incident: get("id").and_then(|v| IncidentId::parse(v).ok()),
        },
        ["incident", "list"] => Command::List,
        ["incident", "severity"] => match severity("level") {
            Some(level) => Command::Severity(level),
            None => return Err(missing("level")),
        },
        ["incident", "role"] => match get("role").and_then(IncidentRole::parse) {
            Some(role) => Command::AssignRole {
                role,
                user: UserId(normalize_user(&text("user"))),
            },
            None => return Err(missing("role")),
        },
        ["incident", "note"] => Command::Note(text("text")),
        ["incident", "declare"] => Command::Declare {
            title: text("title"),
            severity: severity("severity"),
        },
        ["timeline"] => Command::Timeline {
            limit: get("limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_TIMELINE_LIMIT),
        },
        // The catalog binds these parameters (`domain::action::params::bind_action`): the
        // tree is static, the catalog is not.
        ["run"] => Command::Action {
            command: text("command"),
            params: ActionParams::Raw(text("params")),
        },
        ["diag"] => Command::Action {
            command: "diag".to_owned(),
            params: ActionParams::Named(values.clone()),
        },
        ["scale"] => Command::Action {
            command: "scale".to_owned(),
            params: ActionParams::Named(values.clone()),
        },
        ["actions"] => Command::Actions,
        ["help"] => Command::Help,
        ["incident", "update"] => Command::Update(text("text")),
        ["task", "add"] => Command::Task(TaskCommand::Add {
            title: text("title"),
            assignee: get("assignee").map(|user| UserId(normalize_user(user))),
            due: get("due").map(str::to_owned),
        }),
        ["task", "done"] => Command::Task(TaskCommand::Done { task: text("id") }),
        ["task", "list"] => Command::Task(TaskCommand::List {
            page: get("page").and_then(|v| v.parse().ok()).unwrap_or(1),
        }),
        ["task", "assign"] => Command::Task(TaskCommand::Assign {
            task: text("id"),
            user: UserId(normalize_user(&text("user"))),
        }),
        ["task", "snooze"] => Command::Task(TaskCommand::Snooze {
            task: text("id"),
            duration: text("for"),
        }),
        ["oncall", "show"] => Command::OnCall,
        ["oncall", "override"] => {
            match get("role").and_then(crate::domain::rotation::OnCallRole::parse) {
                Some(role) => Command::OnCallOverride {
                    role,
                    user: UserId(normalize_user(&text("user"))),
                    until: text("until"),
                },
                None => return Err(missing("role")),
            }
        }
        other => return Err(ParseError::UnknownCommand(other.join(" "))),
    };
    Ok(command)
}

pub const DEFAULT_TIMELINE_LIMIT: usize = 15;

fn missing(option: &str) -> ParseError {
    ParseError::MissingOption {
        option: option.to_owned(),
    }
}

/// `<@alice>`, `@alice` and `alice` all name alice.
fn normalize_user(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_prefix("<@")
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    text.trim_start_matches('@')
        .trim_start_matches('!')
        .to_owned()
}

fn check_value(option: &OptionSpec, value: &str) -> Result<(), ParseError> {
    non_empty(option.name, value)?;
    match option.kind {
        OptionKind::Text | OptionKind::User | OptionKind::CatalogCommand | OptionKind::Service => {
            Ok(())
        }
        OptionKind::Incident => match IncidentId::parse(value) {
            Ok(_) => Ok(()),
            Err(_) => Err(ParseError::InvalidIncidentId {
                option: option.name.to_owned(),
                value: value.to_owned(),
            }),
        },
        OptionKind::Choice(choices) => one_of(option.name, value, choices).map(|_| ()),
        OptionKind::Integer { min, max } => {
            integer_in_bounds(option.name, value, Some(min), Some(max)).map(|_| ())
        }
    }
}

// The value rules below are shared by the static tree and the catalog's parameters
// (`domain::action::params`), so both refuse the same input with the same errors.

/// A value must not be blank.
pub fn non_empty(option: &str, value: &str) -> Result<(), ParseError> {
    if value.trim().is_empty() {
        return Err(ParseError::EmptyValue {
            option: option.to_owned(),
        });
    }
    Ok(())
}

/// The choice `value` names (any case), as the choices spell it.
pub fn one_of<'c, S: AsRef<str>>(
    option: &str,
    value: &str,
    choices: &'c [S],
) -> Result<&'c str, ParseError> {
    choices
        .iter()
        .map(AsRef::as_ref)
        .find(|choice| choice.eq_ignore_ascii_case(value.trim()))
        .ok_or_else(|| ParseError::InvalidChoice {
            option: option.to_owned(),
            value: value.to_owned(),
            choices: choices
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `value` as a whole number within `min..=max` (either bound optional). With both bounds
/// every refusal is [`ParseError::InvalidInteger`], naming the range.
pub fn integer_in_bounds(
    option: &str,
    value: &str,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<i64, ParseError> {
    let parsed = value.trim().parse::<i64>();
    let in_range =
        |number: i64| min.is_none_or(|min| number >= min) && max.is_none_or(|max| number <= max);
    match (parsed, min, max) {
        (Ok(number), _, _) if in_range(number) => Ok(number),
        (_, Some(min), Some(max)) => Err(ParseError::InvalidInteger {
            option: option.to_owned(),
            value: value.to_owned(),
            min,
            max,
        }),
        (Err(_), _, _) => Err(ParseError::NotAnInteger {
            option: option.to_owned(),
            value: value.to_owned(),
        }),
        (Ok(number), Some(min), _) if number < min => Err(ParseError::IntegerBelow {
            option: option.to_owned(),
            value: value.to_owned(),
            min,
        }),
        (Ok(_), _, max) => Err(ParseError::IntegerAbove {
            option: option.to_owned(),
            value: value.to_owned(),
            max: max.unwrap_or(i64::MAX),
        }),
    }
}

#[cfg(test)]
mod tests;
