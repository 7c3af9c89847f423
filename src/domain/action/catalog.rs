//! The command catalog (`commands/*.toml`, one file per command): what each command runs, its
//! parameters and the approvals it needs. Parsed and validated here, purely; config reads the
//! files and `warroom check` reports every problem by file and field.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::access::PersonRole;

pub(crate) use fields::compile_whole;
pub use parse::{
    COOLDOWN_BOUNDS, CatalogProblem, DEFAULT_TIMEOUT, MAX_PARAM_VALUE_CHARS, MAX_PARAMS,
    RESERVED_PARAM_NAMES, TIMEOUT_BOUNDS, kind_word, parse_command_file,
};

/// Which executor runs a command (`executor = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorKind {
    /// GET a service's health URL: status, latency, body excerpt.
    Http,
    /// Instant and range PromQL queries with thresholds.
    Prometheus,
    /// Error logs from Loki or Elasticsearch, analysed.
    Logs,
    /// Scale and rollout restart through the Kubernetes API.
    Kubernetes,
    /// A program run with an argv template, never through a shell.
    Shell,
    /// Link diagnosis: a service and what it depends on, ranked root-cause candidates.
    Diagnose,
}

impl ExecutorKind {
    pub const ALL: [ExecutorKind; 6] = [
        ExecutorKind::Http,
        ExecutorKind::Prometheus,
        ExecutorKind::Logs,
        ExecutorKind::Kubernetes,
        ExecutorKind::Shell,
        ExecutorKind::Diagnose,
    ];

    /// Whether its commands may change production, so they wait for approvals by default.
    pub fn changes_state(self) -> bool {
        matches!(self, ExecutorKind::Kubernetes | ExecutorKind::Shell)
    }
}

/// How risky a command is, as the approval message says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Reads only.
    Low,
    Medium,
    High,
}

/// The type of a parameter, with its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamKind {
    /// Any text, optionally matching `pattern` (a whole-value regex).
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// A whole number within `min`..=`max` (either optional).
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// One of `values`.
    Enum { values: Vec<String> },
    /// The name of a configured service.
    Service,
    /// A duration such as `5m` or `1h30m`.
    Duration,
}

/// One parameter of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamDef {
    pub name: String,
    pub kind: ParamKind,
    /// Parameters are required unless the file says `required = false`.
    pub required: bool,
}

/// One catalogued command, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandDef {
    pub name: String,
    /// The Fluent id of its description.
    pub description: String,
    pub executor: ExecutorKind,
    /// What the executor does (`scale`, `restart`, `health`, `query`, `errors`, …).
    pub action: String,
    /// Distinct approvals needed before it runs; 0 means it runs at once (read-only).
    pub approvals: u32,
    /// Who may approve.
    pub approver_role: PersonRole,
    pub risk: Risk,
    pub timeout: Duration,
    /// After it starts, the same command on the same service is refused this long.
    pub cooldown: Option<Duration>,
    /// Whether running it twice is harmless (an interrupted run is then run again).
    pub idempotent: bool,
    pub params: Vec<ParamDef>,
    /// Shell only: the program and its arguments; an argument that is exactly `{name}` is
    /// replaced by that parameter's value as one whole argument.
    pub argv: Vec<String>,
    /// Shell only: the environment variables passed through from warroom's environment.
    pub env: Vec<String>,
}

impl CommandDef {
    /// Whether it changes production (and so waits for approvals).
    pub fn needs_approval(&self) -> bool {
        self.approvals > 0
    }

    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|param| param.name == name)
    }

    /// How to type it, derived from its parameters like the tree's syntax:
    /// `/run scale service:<service> replicas:<0-50>`, optional parameters in brackets.
    pub fn syntax(&self) -> String {
        let mut out = format!("/run {}", self.name);
        for param in &self.params {
            let placeholder = match &param.kind {
                ParamKind::String { .. } => "<text>".to_owned(),
                ParamKind::Integer { min, max } => match (min, max) {
                    (Some(min), Some(max)) => format!("<{min}-{max}>"),
                    (Some(min), None) => format!("<{min}-…>"),
                    (None, Some(max)) => format!("<…-{max}>"),
                    (None, None) => "<number>".to_owned(),
                },
                ParamKind::Enum { values } => format!("<{}>", values.join("|")),
                ParamKind::Service => "<service>".to_owned(),
                ParamKind::Duration => "<duration>".to_owned(),
            };
            if param.required {
                out.push_str(&format!(" {}:{placeholder}", param.name));
            } else {
                out.push_str(&format!(" [{}:{placeholder}]", param.name));
            }
        }
        out
    }

    /// The parameter naming the service the command acts on, if it has one.
    pub fn service_param(&self) -> Option<&ParamDef> {
        self.params
            .iter()
            .find(|param| param.kind == ParamKind::Service)
    }
}

/// Every catalogued command, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    commands: BTreeMap<String, CommandDef>,
}

impl Catalog {
    pub fn new(commands: impl IntoIterator<Item = CommandDef>) -> Catalog {
        Catalog {
            commands: commands
                .into_iter()
                .map(|command| (command.name.clone(), command))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&CommandDef> {
        self.commands.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &CommandDef> {
        self.commands.values()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.commands.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// The command `name` names, in any case.
    pub fn find(&self, name: &str) -> Option<&CommandDef> {
        self.get(name).or_else(|| {
            self.commands
                .values()
                .find(|command| command.name.eq_ignore_ascii_case(name.trim()))
        })
    }
}

mod fields;
mod parse;
#[cfg(test)]
mod tests;
