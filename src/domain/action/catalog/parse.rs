//! One catalog file (`commands/<name>.toml`) into a [`CommandDef`], with every problem named
//! by its field (`params[1].max`) and the rule it breaks. Pure: config reads the files.

use std::time::Duration;

use serde::Deserialize;
use toml::{Table, Value};

use super::fields::{
    Problems, compile_whole, is_command_name, is_enum_value, is_env_name, is_fluent_id,
    is_param_name,
};
use super::{CommandDef, ExecutorKind, ParamDef, ParamKind, Risk};
use crate::domain::access::PersonRole;

/// One problem in a catalog file: the field (`params[1].max`, `executor`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Parameter names `/run` itself uses: a parameter so named could never be typed as `name:`.
pub const RESERVED_PARAM_NAMES: [&str; 2] = ["command", "params"];
/// The most parameters one command has.
pub const MAX_PARAMS: usize = 10;
/// The longest value a parameter takes.
pub const MAX_PARAM_VALUE_CHARS: usize = 1000;
/// A command's timeout lies within these (default [`DEFAULT_TIMEOUT`]).
pub const TIMEOUT_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(600));
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A cooldown lies within these.
pub const COOLDOWN_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(24 * 3600));
/// The most approvals a command may ask for.
const MAX_APPROVALS: i64 = 10;
const MAX_ENUM_VALUES: usize = 25;
const MAX_ARGV: usize = 64;

const TOP_KEYS: [&str; 13] = [
    "name",
    "description",
    "executor",
    "action",
    "approvals",
    "approver_role",
    "risk",
    "timeout",
    "cooldown",
    "idempotent",
    "params",
    "argv",
    "env",
];
const PARAM_KEYS: [&str; 7] = [
    "name", "type", "required", "pattern", "min", "max", "values",
];
const PARAM_TYPES: &str = "string, integer, enum, service or duration";

/// Parses and validates one catalog file; every problem is reported, not just the first.
pub fn parse_command_file(text: &str) -> Result<CommandDef, Vec<CatalogProblem>> {
    let table: Table = toml::from_str(text).map_err(|error| {
        // The line, so the problem can be found; the message is TOML's own.
        let line = error
            .span()
            .and_then(|span| text.get(..span.start))
            .map(|before| before.matches('\n').count() + 1);
        vec![CatalogProblem {
            field: match line {
                Some(line) => format!("line {line}"),
                None => "toml".to_owned(),
            },
            message: error.message().trim().to_owned(),
        }]
    })?;
    let mut problems = Problems::default();
    problems.unknown_keys(&table, "", &TOP_KEYS);

    let name = problems.string(&table, "name", true);
    if let Some(name) = &name
        && !is_command_name(name)
    {
        problems.push(
            "name",
            format!(
                "\"{name}\" must be 1-32 lower-case letters, digits or -, starting with a letter"
            ),
        );
    }
    let description = problems.string(&table, "description", true);
    if let Some(id) = &description
        && !is_fluent_id(id)
    {
        problems.push(
            "description",
            format!("\"{id}\" is not a Fluent message id like catalog-scale-description"),
        );
    }
    let executor =
        problems
            .string(&table, "executor", true)
            .and_then(|text| match executor_of(&text) {
                Some(kind) => Some(kind),
                None => {
                    problems.push(
                        "executor",
                        format!("unknown executor \"{text}\"; use {}", executor_words()),
                    );
                    None
                }
            });
    let action = problems.string(&table, "action", false);
    let action = executor.and_then(|kind| {
        let allowed = actions_of(kind);
        match action {
            Some(action) if allowed.contains(&action.as_str()) => Some(action),
            Some(action) => {
                problems.push(
                    "action",
                    format!(
                        "\"{action}\" is not an action of the {} executor; use {}",
                        kind_word(kind),
                        allowed.join(", ")
                    ),
                );
                None
            }
            // The first action is the executor's default, except for Kubernetes, where
            // what changes must be said.
            None if kind == ExecutorKind::Kubernetes => {
                problems.push(
                    "action",
                    format!("required for this executor; use {}", allowed.join(", ")),
                );
                None
            }
            None => allowed.first().map(|a| (*a).to_owned()),
        }
    });
    let changes_state = executor.is_some_and(ExecutorKind::changes_state);
    let approvals = match problems.integer(&table, "approvals") {
        None => Some(if changes_state { 2 } else { 0 }),
        Some(n) if !(0..=MAX_APPROVALS).contains(&n) => {
            problems.push("approvals", format!("{n} is outside 0..={MAX_APPROVALS}"));
            None
        }
        Some(0) if executor == Some(ExecutorKind::Kubernetes) => {
            problems.push(
                "approvals",
                "Kubernetes commands change production, so they need at least 1 approval"
                    .to_owned(),
            );
            None
        }
        Some(n) => u32::try_from(n).ok(),
    };
    let approver_role = match problems.string(&table, "approver_role", false) {
        None => Some(PersonRole::DutyManager),
        Some(text) => match PersonRole::parse(&text) {
            Some(PersonRole::Viewer) => {
                problems.push(
                    "approver_role",
                    "a viewer may only read, never approve".to_owned(),
                );
                None
            }
            // Being on call (a rotation, an override) grants these roles for the moment: an
            // approval right must come from `[[users]]` or `[discord.roles]` alone.
            Some(
                role
                @ (PersonRole::Commander | PersonRole::Communications | PersonRole::Operations),
            ) => {
                problems.push(
                    "approver_role",
                    format!(
                        "{} comes with being on call (rotations, overrides), and approvals must \
                         not; use duty_manager or responder",
                        role.as_str()
                    ),
                );
                None
            }
            Some(role) => Some(role),
            None => {
                problems.push(
                    "approver_role",
                    format!("unknown role \"{text}\"; use duty_manager or responder"),
                );
                None
            }
        },
    };
    let risk = match problems.string(&table, "risk", false) {
        None => Some(if approvals.unwrap_or(1) == 0 {
            Risk::Low
        } else {
            Risk::High
        }),
        Some(text) => {
            let risk = Risk::deserialize(Value::String(text.clone())).ok();
            if risk.is_none() {
                problems.push(
                    "risk",
                    format!("\"{text}\" is not one of low, medium, high"),
                );
            }
            risk
        }
    };
    let timeout = problems
        .duration(&table, "timeout", TIMEOUT_BOUNDS)
        .unwrap_or(Some(DEFAULT_TIMEOUT));
    let cooldown = problems.duration(&table, "cooldown", COOLDOWN_BOUNDS);
    let idempotent = problems
        .boolean(&table, "idempotent")
        .unwrap_or(!changes_state);
    let params = problems.params(&table);
    let argv = problems.strings(&table, "argv");
    let env = problems.strings(&table, "env");

    if let (Some(kind), Some(action)) = (executor, action.as_deref()) {
        problems.executor_needs(kind, action, &params);
    }
    // A cooldown holds back the next change to the same service: without a service
    // parameter it would never apply, which must not pass for a safeguard.
    let has_service = params.iter().any(|param| param.kind == ParamKind::Service);
    if matches!(cooldown, Some(Some(_))) && !has_service {
        problems.push(
            "cooldown",
            "a cooldown applies per service: declare { name = \"service\", type = \"service\" } or remove it".to_owned(),
        );
    }
    if executor == Some(ExecutorKind::Shell) {
        problems.argv(argv.as_deref(), &params);
        for (index, name) in env.iter().flatten().enumerate() {
            if !is_env_name(name) {
                problems.push(
                    &format!("env[{index}]"),
                    format!("\"{name}\" is not an environment variable name like LANG"),
                );
            }
        }
    } else {
        for key in ["argv", "env"] {
            if table.contains_key(key) {
                problems.push(key, "only shell commands take it".to_owned());
            }
        }
    }

    match (
        name,
        description,
        executor,
        action,
        approvals,
        approver_role,
        risk,
        timeout,
        problems.list.is_empty(),
    ) {
        (
            Some(name),
            Some(description),
            Some(executor),
            Some(action),
            Some(approvals),
            Some(approver_role),
            Some(risk),
            Some(timeout),
            true,
        ) => Ok(CommandDef {
            name,
            description,
            executor,
            action,
            approvals,
            approver_role,
            risk,
            timeout,
            cooldown: cooldown.flatten(),
            idempotent,
            params,
            argv: argv.unwrap_or_default(),
            env: env.unwrap_or_default(),
        }),
        _ => Err(problems.list),
    }
}

/// The catalog's word for an executor (`executor = "…"`).
pub fn kind_word(kind: ExecutorKind) -> String {
    match Value::try_from(kind) {
        Ok(Value::String(word)) => word,
        _ => format!("{kind:?}").to_lowercase(),
    }
}

fn executor_of(text: &str) -> Option<ExecutorKind> {
    ExecutorKind::deserialize(Value::String(text.to_owned())).ok()
}

fn executor_words() -> String {
    ExecutorKind::ALL
        .iter()
        .map(|kind| kind_word(*kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actions each executor knows; the first is its default.
fn actions_of(kind: ExecutorKind) -> &'static [&'static str] {
    match kind {
        ExecutorKind::Http => &["health"],
        ExecutorKind::Prometheus => &["query", "checks"],
        ExecutorKind::Logs => &["errors"],
        ExecutorKind::Kubernetes => &["scale", "scale-rollback", "restart"],
        ExecutorKind::Shell => &["run"],
        ExecutorKind::Diagnose => &["diagnose"],
    }
}

fn type_name(value: &Value) -> &'static str {
    value.type_str()
}

impl Problems {
    fn params(&mut self, table: &Table) -> Vec<ParamDef> {
        let Some(value) = table.get("params") else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.push(
                "params",
                "must be a list of tables like [{ name = \"service\", type = \"service\" }]"
                    .to_owned(),
            );
            return Vec::new();
        };
        if items.len() > MAX_PARAMS {
            self.push(
                "params",
                format!("{} parameters; at most {MAX_PARAMS}", items.len()),
            );
        }
        let mut params: Vec<ParamDef> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let field = format!("params[{index}]");
            let Value::Table(param) = item else {
                self.push(&field, format!("must be a table, not {}", type_name(item)));
                continue;
            };
            if let Some(param) = self.param(param, &field) {
                if params.iter().any(|other| other.name == param.name) {
                    self.push(
                        &format!("{field}.name"),
                        format!("\"{}\" is declared twice", param.name),
                    );
                    continue;
                }
                params.push(param);
            }
        }
        params
    }

    fn param(&mut self, table: &Table, field: &str) -> Option<ParamDef> {
        let at = |key: &str| format!("{field}.{key}");
        self.unknown_keys(table, &format!("{field}."), &PARAM_KEYS);
        let name = self.string_at(table, "name", &at("name"), true);
        if let Some(name) = &name {
            if RESERVED_PARAM_NAMES.contains(&name.as_str()) {
                self.push(
                    &at("name"),
                    format!("\"{name}\" is reserved: /run itself takes command: and params:"),
                );
            } else if !is_param_name(name) {
                self.push(
                    &at("name"),
                    format!(
                        "\"{name}\" must be 1-32 lower-case letters, digits or _, starting with a letter"
                    ),
                );
            }
        }
        let required = self
            .boolean_at(table, "required", &at("required"))
            .unwrap_or(true);
        let type_text = self.string_at(table, "type", &at("type"), true)?;
        let only_for = |key: &str, kinds: &str| (key.to_owned(), kinds.to_owned());
        let misplaced: Vec<(String, String)> = [
            only_for("pattern", "string"),
            only_for("min", "integer"),
            only_for("max", "integer"),
            only_for("values", "enum"),
        ]
        .into_iter()
        .filter(|(key, kind)| table.contains_key(key.as_str()) && *kind != type_text)
        .collect();
        for (key, kind) in misplaced {
            self.push(
                &at(&key),
                format!("only a parameter of type {kind} takes it"),
            );
        }
        let kind = match type_text.as_str() {
            "string" => {
                let pattern = self.string_at(table, "pattern", &at("pattern"), false);
                if let Some(pattern) = &pattern
                    && let Err(error) = compile_whole(pattern)
                {
                    self.push(&at("pattern"), error);
                }
                ParamKind::String { pattern }
            }
            "integer" => {
                let min = self.integer_at(table, "min", &at("min"));
                let max = self.integer_at(table, "max", &at("max"));
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    self.push(&at("max"), format!("{max} is below min {min}"));
                }
                ParamKind::Integer { min, max }
            }
            "enum" => ParamKind::Enum {
                values: self.enum_values(table, &at("values")),
            },
            "service" => {
                if name.as_deref().is_some_and(|name| name != "service") {
                    self.push(
                        &at("name"),
                        "a parameter of type service must be called service".to_owned(),
                    );
                }
                ParamKind::Service
            }
            "duration" => ParamKind::Duration,
            other => {
                self.push(
                    &at("type"),
                    format!("unknown type \"{other}\"; use {PARAM_TYPES}"),
                );
                return None;
            }
        };
        Some(ParamDef {
            name: name?,
            kind,
            required,
        })
    }

    fn enum_values(&mut self, table: &Table, field: &str) -> Vec<String> {
        let Some(Value::Array(items)) = table.get("values") else {
            self.push(
                field,
                "an enum needs values = [\"…\", …], one word each".to_owned(),
            );
            return Vec::new();
        };
        let mut values: Vec<String> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let at = format!("{field}[{index}]");
            match item {
                Value::String(value) if !is_enum_value(value) => self.push(
                    &at,
                    format!("\"{value}\" must be one word of letters, digits, -, _ or ."),
                ),
                Value::String(value)
                    if values.iter().any(|known| known.eq_ignore_ascii_case(value)) =>
                {
                    self.push(&at, format!("\"{value}\" is listed twice"));
                }
                Value::String(value) => values.push(value.clone()),
                other => self.push(&at, format!("must be a string, not {}", type_name(other))),
            }
        }
        if items.is_empty() {
            self.push(field, "must list at least one value".to_owned());
        } else if items.len() > MAX_ENUM_VALUES {
            self.push(
                field,
                format!("{} values; at most {MAX_ENUM_VALUES}", items.len()),
            );
        }
        values
    }

    /// What each executor and action needs among the parameters.
    fn executor_needs(&mut self, kind: ExecutorKind, action: &str, params: &[ParamDef]) {
        let has = |name: &str, wanted: fn(&ParamKind) -> bool| {
            params.iter().any(|p| p.name == name && wanted(&p.kind))
        };
        let service = has("service", |k| *k == ParamKind::Service);
        let needs_service = match kind {
            ExecutorKind::Http
            | ExecutorKind::Logs
            | ExecutorKind::Kubernetes
            | ExecutorKind::Diagnose => true,
            ExecutorKind::Prometheus => action == "checks",
            ExecutorKind::Shell => false,
        };
        if needs_service && !service {
            self.push(
                "params",
                format!(
                    "the {} executor's {action} acts on a service: declare {{ name = \"service\", type = \"service\" }}",
                    kind_word(kind)
                ),
            );
        }
        if let Some(param) = params.iter().find(|p| p.name == "service" && !p.required) {
            self.push(
                "params",
                format!("the {} parameter must be required", param.name),
            );
        }
        let replicas = has("replicas", |k| matches!(k, ParamKind::Integer { .. }));
        match (kind, action) {
            (ExecutorKind::Kubernetes, "scale") if !replicas => self.push(
                "params",
                "scale needs { name = \"replicas\", type = \"integer\", min = 0, max = … }"
                    .to_owned(),
            ),
            (ExecutorKind::Kubernetes, "scale-rollback" | "restart")
                if params.iter().any(|p| p.name == "replicas") =>
            {
                self.push(
                    "params",
                    format!(
                        "{action} takes no replicas parameter (a rollback goes back to the count before the last scale)"
                    ),
                );
            }
            (ExecutorKind::Prometheus, "query")
                if !has("query", |k| matches!(k, ParamKind::String { .. })) =>
            {
                self.push(
                    "params",
                    "a query needs { name = \"query\", type = \"string\" }".to_owned(),
                );
            }
            _ => {}
        }
    }

    /// A shell command's argv: an absolute program, placeholders as whole arguments naming
    /// declared parameters, every parameter used.
    fn argv(&mut self, argv: Option<&[String]>, params: &[ParamDef]) {
        let Some(argv) = argv.filter(|argv| !argv.is_empty()) else {
            self.push(
                "argv",
                "a shell command needs argv = [\"/usr/bin/program\", \"{param}\", …]".to_owned(),
            );
            return;
        };
        if argv.len() > MAX_ARGV {
            self.push(
                "argv",
                format!("{} arguments; at most {MAX_ARGV}", argv.len()),
            );
        }
        if !argv[0].starts_with('/') || argv[0].contains(['{', '}']) {
            self.push(
                "argv[0]",
                format!(
                    "\"{}\" must be the program's absolute path (no shell, no PATH lookup)",
                    argv[0]
                ),
            );
        }
        for (index, argument) in argv.iter().enumerate().skip(1) {
            let field = format!("argv[{index}]");
            if argument.contains('\0') {
                self.push(&field, "must not contain NUL".to_owned());
            }
            if !argument.contains(['{', '}']) {
                continue;
            }
            let name = argument
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
                .filter(|name| !name.contains(['{', '}']));
            match name {
                // An absent optional value could only be refused at run time, after people
                // approved: a placeholder's parameter is always required.
                Some(name) if params.iter().any(|p| p.name == name && !p.required) => self.push(
                    &field,
                    format!("{{{name}}} is optional; a parameter passed in argv must be required"),
                ),
                Some(name) if params.iter().any(|p| p.name == name) => {}
                Some(name) => self.push(
                    &field,
                    format!("{{{name}}} names no declared parameter"),
                ),
                None => self.push(
                    &field,
                    format!(
                        "\"{argument}\": a placeholder must be a whole argument like \"{{service}}\", never part of one"
                    ),
                ),
            }
        }
        for param in params {
            let placeholder = format!("{{{}}}", param.name);
            if !argv.contains(&placeholder) {
                self.push(
                    "argv",
                    format!(
                        "parameter {} is never passed: add \"{placeholder}\"",
                        param.name
                    ),
                );
            }
        }
    }
}
