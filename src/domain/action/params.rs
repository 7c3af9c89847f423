//! Binding a request's parameters to its catalogued command: typed text (`/run scale
//! checkout-api 3`, `/run scale service:checkout-api replicas:3`) or values a chat already
//! split (`/scale`), checked against each parameter's type and rule and against the service's
//! own bounds, into canonical values.
//!
//! Typed text binds with the very rules of the static command tree
//! ([`crate::domain::command_text::bind_options`]), and the checks the two share (blank
//! values, choices, whole numbers) are the tree's, with the same errors.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::domain::action::catalog::{MAX_PARAM_VALUE_CHARS, compile_whole};
use crate::domain::action::{
    ActionPolicy, CommandDef, ExecutorKind, MAX_COMMAND_LINE_CHARS, ParamDef, ParamKind,
    whole_command_line,
};
use crate::domain::command::{ActionParams, ParseError, integer_in_bounds, non_empty, one_of};
use crate::domain::command_text::{BindOption, bind_options};
use crate::domain::message::Msg;
use crate::domain::service::Services;

/// The command `name` and its parameters, checked and canonical; or a localized refusal
/// naming the command, parameter and rule (`replicas: 99 is above checkout-api's
/// max_replicas 10`).
pub fn bind_action(
    policy: &ActionPolicy,
    name: &str,
    params: &ActionParams,
) -> Result<(CommandDef, BTreeMap<String, String>), Msg> {
    let (command, values) = bind(policy, name, params).map_err(|error| error.to_msg())?;
    // A shell value that would be refused at run time is refused now, before anyone approves.
    crate::domain::action::argv::check_argv_values(&command, &values)
        .map_err(|refusal| refusal.to_msg())?;
    Ok((command, values))
}

/// The binder's whole-request checks again, for parameters a request adds after binding (a
/// `scale-rollback`'s target `replicas`): the line still shown whole and the service's
/// bounds, with the binder's refusals. Checked when it is requested, so two people never
/// approve a change the executor must refuse.
pub fn check_added_params(
    policy: &ActionPolicy,
    command: &CommandDef,
    params: &BTreeMap<String, String>,
) -> Result<(), Msg> {
    check_shown_whole(command, params)
        .and_then(|()| check_service_bounds(command, params, &policy.services))
        .map_err(|error| error.to_msg())
}

/// The longest duration a parameter takes.
pub const MAX_DURATION_PARAM: Duration = Duration::from_secs(30 * 24 * 3600);
/// How many known names a refusal lists.
const KNOWN_LISTED: usize = 5;

/// Why a request's parameters were refused; [`BindError::to_msg`] says it in the reader's
/// language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("no catalogued command {command}")]
    UnknownCommand { command: String, known: Vec<String> },
    /// The rules typed commands follow (missing, unknown, duplicate, blank, choice, number).
    #[error("{command}: {error}")]
    Parse { command: String, error: ParseError },
    #[error("{command}: {option}: no service {value}")]
    UnknownService {
        command: String,
        option: String,
        value: String,
        known: Vec<String>,
    },
    #[error("{command}: {option}: {value} does not match {pattern}")]
    PatternMismatch {
        command: String,
        option: String,
        value: String,
        pattern: String,
    },
    #[error("{command}: {option}: {value} is not a duration")]
    InvalidDuration {
        command: String,
        option: String,
        value: String,
    },
    #[error("{command}: {option}: {value} is not above 0s and at most {max}")]
    DurationOutOfRange {
        command: String,
        option: String,
        value: String,
        max: String,
    },
    #[error("{command}: {option} is longer than {max} characters")]
    ValueTooLong {
        command: String,
        option: String,
        max: usize,
    },
    #[error("{command}: {option} holds a control character")]
    ControlCharacter { command: String, option: String },
    #[error("{command}: {option} holds an invisible formatting character")]
    FormatCharacter { command: String, option: String },
    #[error("{command}: the command line is {length} characters, more than {max}")]
    LineTooLong {
        command: String,
        length: usize,
        max: usize,
    },
    #[error("{command}: {option}: {value} is above {service}'s max_replicas {max}")]
    AboveServiceMax {
        command: String,
        option: String,
        value: i64,
        service: String,
        max: i64,
    },
    #[error("{command}: {option}: {value} is below {service}'s min_replicas {min}")]
    BelowServiceMin {
        command: String,
        option: String,
        value: i64,
        service: String,
        min: i64,
    },
    #[error("{command}: service {service} has no {key} in its [[services]] entry")]
    ServiceMissingConfig {
        command: String,
        service: String,
        key: String,
    },
}

impl BindError {
    pub fn to_msg(&self) -> Msg {
        match self {
            BindError::UnknownCommand { command, known } => {
                Msg::new("action-error-unknown-command")
                    .outside("command", command.as_str())
                    .word("known", list_or_none(known))
            }
            BindError::Parse { command, error } => parse_error_msg(command, error),
            BindError::UnknownService {
                command,
                option,
                value,
                known,
            } if known.is_empty() => Msg::new("action-error-no-services")
                .word("command", command)
                .word("option", option)
                .outside("value", value.as_str()),
            BindError::UnknownService {
                command,
                option,
                value,
                known,
            } => Msg::new("action-error-unknown-service")
                .word("command", command)
                .word("option", option)
                .outside("value", value.as_str())
                .word("known", known.join(", ")),
            BindError::PatternMismatch {
                command,
                option,
                value,
                pattern,
            } => Msg::new("action-error-pattern-mismatch")
                .word("command", command)
                .word("option", option)
                .outside("value", value.as_str())
                .outside("pattern", pattern.as_str()),
            BindError::InvalidDuration {
                command,
                option,
                value,
            } => Msg::new("action-error-invalid-duration")
                .word("command", command)
                .word("option", option)
                .outside("value", value.as_str()),
            BindError::DurationOutOfRange {
                command,
                option,
                value,
                max,
            } => Msg::new("action-error-duration-out-of-range")
                .word("command", command)
                .word("option", option)
                .outside("value", value.as_str())
                .word("max", max),
            BindError::ValueTooLong {
                command,
                option,
                max,
            } => Msg::new("action-error-value-too-long")
                .word("command", command)
                .word("option", option)
                .number("max", u64::try_from(*max).unwrap_or(u64::MAX)),
            BindError::ControlCharacter { command, option } => {
                Msg::new("action-error-control-character")
                    .word("command", command)
                    .word("option", option)
            }
            BindError::FormatCharacter { command, option } => {
                Msg::new("action-error-format-character")
                    .word("command", command)
                    .word("option", option)
            }
            BindError::LineTooLong {
                command,
                length,
                max,
            } => Msg::new("action-error-line-too-long")
                .word("command", command)
                .number("length", u64::try_from(*length).unwrap_or(u64::MAX))
                .number("max", u64::try_from(*max).unwrap_or(u64::MAX)),
            BindError::AboveServiceMax {
                command,
                option,
                value,
                service,
                max,
            } => Msg::new("action-error-above-service-max")
                .word("command", command)
                .word("option", option)
                .word("value", value)
                .word("service", service)
                .word("max", max),
            BindError::BelowServiceMin {
                command,
                option,
                value,
                service,
                min,
            } => Msg::new("action-error-below-service-min")
                .word("command", command)
                .word("option", option)
                .word("value", value)
                .word("service", service)
                .word("min", min),
            BindError::ServiceMissingConfig {
                command,
                service,
                key,
            } => Msg::new("action-error-service-missing-config")
                .word("command", command)
                .word("service", service)
                .word("key", key),
        }
    }
}

/// The typed-command error in a catalogued command: the same words as the tree's (the
/// Fluent messages reference them), with the command named first.
fn parse_error_msg(command: &str, error: &ParseError) -> Msg {
    let base = match error {
        ParseError::MissingOption { .. } => Msg::new("action-error-missing-option"),
        ParseError::UnknownOption { .. } => Msg::new("action-error-unknown-option"),
        ParseError::DuplicateOption { .. } => Msg::new("action-error-duplicate-option"),
        ParseError::InvalidChoice { .. } => Msg::new("action-error-invalid-choice"),
        ParseError::InvalidInteger { .. } => Msg::new("action-error-invalid-integer"),
        ParseError::NotAnInteger { .. } => Msg::new("action-error-not-an-integer"),
        ParseError::IntegerBelow { .. } => Msg::new("action-error-integer-below"),
        ParseError::IntegerAbove { .. } => Msg::new("action-error-integer-above"),
        ParseError::TooManyValues { .. } => Msg::new("action-error-too-many-values"),
        ParseError::EmptyValue { .. } => Msg::new("action-error-empty-value"),
        // The binder never produces the others; they still read right on their own.
        other => return other.to_msg(),
    };
    let mut msg = base.word("command", command);
    msg.args.extend(error.to_msg().args);
    msg
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(", ")
    }
}

/// The command and its checked, canonical parameters (see [`bind_action`]).
pub fn bind(
    policy: &ActionPolicy,
    name: &str,
    params: &ActionParams,
) -> Result<(CommandDef, BTreeMap<String, String>), BindError> {
    let Some(command) = policy.catalog.find(name) else {
        return Err(BindError::UnknownCommand {
            command: name.trim().to_owned(),
            known: nearest(policy.catalog.names(), name),
        });
    };
    let parse = |error: ParseError| BindError::Parse {
        command: command.name.clone(),
        error,
    };
    let given = match params {
        ActionParams::Raw(text) => bind_options(&command.params, text).map_err(parse)?,
        ActionParams::Named(values) => {
            // Named values come from a chat that split them by name; a name the command
            // does not declare is refused exactly as typed text would be.
            let mut given = BTreeMap::new();
            for (key, value) in values {
                let Some(param) = command
                    .params
                    .iter()
                    .find(|param| param.name.eq_ignore_ascii_case(key))
                else {
                    return Err(parse(ParseError::UnknownOption {
                        option: key.clone(),
                    }));
                };
                if given.insert(param.name.clone(), value.clone()).is_some() {
                    return Err(parse(ParseError::DuplicateOption {
                        option: param.name.clone(),
                    }));
                }
            }
            given
        }
    };
    refuse_format_characters(command, &given)?;
    let mut bound = BTreeMap::new();
    // A replicas count outside the catalog's range is held against the service's own bounds
    // first: those are the tighter rule a retry must respect (`99` → "above checkout-api's
    // max_replicas 10", not "0 to 50", which would invite a refused 40). The catalog's
    // refusal stands when the service's bounds allow the number.
    let mut range_refusal = None;
    for param in &command.params {
        match given.get(&param.name) {
            Some(value) => match check_param(command, param, value, &policy.services) {
                Ok(value) => {
                    bound.insert(param.name.clone(), value);
                }
                Err(error) => {
                    let number = value.trim().parse::<i64>().ok();
                    match number {
                        Some(number)
                            if param.name == "replicas"
                                && matches!(param.kind, ParamKind::Integer { .. })
                                && command.service_param().is_some() =>
                        {
                            bound.insert(param.name.clone(), number.to_string());
                            range_refusal = Some(error);
                        }
                        _ => return Err(error),
                    }
                }
            },
            None if param.required => {
                return Err(parse(ParseError::MissingOption {
                    option: param.name.clone(),
                }));
            }
            None => {}
        }
    }
    check_shown_whole(command, &bound)?;
    check_service_bounds(command, &bound, &policy.services)?;
    if let Some(error) = range_refusal {
        return Err(error);
    }
    Ok((command.clone(), bound))
}

/// Refuses a value holding a Unicode format character (\p{Cf}: U+202E right-to-left
/// override, zero-width spaces and joiners, …): invisible or reordering in chat, it would let
/// approvers read something other than what runs.
fn refuse_format_characters(
    command: &CommandDef,
    given: &BTreeMap<String, String>,
) -> Result<(), BindError> {
    match given
        .iter()
        .find(|(_, value)| value.chars().any(is_format_character))
    {
        Some((option, _)) => Err(BindError::FormatCharacter {
            command: command.name.clone(),
            option: option.clone(),
        }),
        None => Ok(()),
    }
}

/// Whether `c` is in Unicode's general category Cf (format).
fn is_format_character(c: char) -> bool {
    static FORMAT: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\p{Cf}").ok());
    let mut buffer = [0_u8; 4];
    match FORMAT.as_ref() {
        Some(format) => format.is_match(c.encode_utf8(&mut buffer)),
        // The pattern is fixed and valid; were it refused, the best-known ones still are.
        None => {
            matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
        }
    }
}

/// A request that needs approval must fit its approval message whole: a line cut at
/// [`MAX_COMMAND_LINE_CHARS`] would hide parameters from those who approve it.
fn check_shown_whole(
    command: &CommandDef,
    bound: &BTreeMap<String, String>,
) -> Result<(), BindError> {
    if !command.needs_approval() {
        return Ok(());
    }
    let length = whole_command_line(&command.name, bound).chars().count();
    if length > MAX_COMMAND_LINE_CHARS {
        return Err(BindError::LineTooLong {
            command: command.name.clone(),
            length,
            max: MAX_COMMAND_LINE_CHARS,
        });
    }
    Ok(())
}

impl BindOption for ParamDef {
    fn name(&self) -> &str {
        &self.name
    }

    fn takes_rest(&self) -> bool {
        matches!(self.kind, ParamKind::String { .. })
    }

    fn accepts(&self, word: &str) -> bool {
        match &self.kind {
            ParamKind::Integer { min, max } => {
                integer_in_bounds(&self.name, word, *min, *max).is_ok()
            }
            ParamKind::Enum { values } => one_of(&self.name, word, values).is_ok(),
            ParamKind::Duration => humantime::parse_duration(word).is_ok(),
            ParamKind::String { .. } | ParamKind::Service => true,
        }
    }
}

/// One value against its parameter's type and rule, made canonical.
fn check_param(
    command: &CommandDef,
    param: &ParamDef,
    value: &str,
    services: &Services,
) -> Result<String, BindError> {
    let option = || param.name.clone();
    let parse = |error: ParseError| BindError::Parse {
        command: command.name.clone(),
        error,
    };
    non_empty(&param.name, value).map_err(parse)?;
    if value.chars().count() > MAX_PARAM_VALUE_CHARS {
        return Err(BindError::ValueTooLong {
            command: command.name.clone(),
            option: option(),
            max: MAX_PARAM_VALUE_CHARS,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(BindError::ControlCharacter {
            command: command.name.clone(),
            option: option(),
        });
    }
    let trimmed = value.trim();
    match &param.kind {
        ParamKind::String { pattern } => {
            if let Some(pattern) = pattern {
                // The catalog compiled the pattern when it was loaded; failing here means
                // it cannot match, which refuses the value.
                let matches = compile_whole(pattern).is_ok_and(|re| re.is_match(trimmed));
                if !matches {
                    return Err(BindError::PatternMismatch {
                        command: command.name.clone(),
                        option: option(),
                        value: value.to_owned(),
                        pattern: pattern.clone(),
                    });
                }
            }
            Ok(trimmed.to_owned())
        }
        ParamKind::Integer { min, max } => integer_in_bounds(&param.name, value, *min, *max)
            .map(|number| number.to_string())
            .map_err(parse),
        ParamKind::Enum { values } => one_of(&param.name, value, values)
            .map(str::to_owned)
            .map_err(parse),
        ParamKind::Service => match service_named(services, trimmed) {
            Some(name) => Ok(name.to_owned()),
            None => Err(BindError::UnknownService {
                command: command.name.clone(),
                option: option(),
                value: value.to_owned(),
                known: nearest(services.names(), trimmed),
            }),
        },
        ParamKind::Duration => match humantime::parse_duration(trimmed) {
            Ok(duration) if !duration.is_zero() && duration <= MAX_DURATION_PARAM => {
                // One word (`1h30m`), so the canonical line can be typed back as shown.
                Ok(humantime::format_duration(duration)
                    .to_string()
                    .replace(' ', ""))
            }
            Ok(_) => Err(BindError::DurationOutOfRange {
                command: command.name.clone(),
                option: option(),
                value: value.to_owned(),
                max: humantime::format_duration(MAX_DURATION_PARAM).to_string(),
            }),
            Err(_) => Err(BindError::InvalidDuration {
                command: command.name.clone(),
                option: option(),
                value: value.to_owned(),
            }),
        },
    }
}

/// The configured name of the service `text` names, exactly or in another case.
fn service_named<'s>(services: &'s Services, text: &str) -> Option<&'s str> {
    services
        .get(text)
        .map(|service| service.name.as_str())
        .or_else(|| {
            services
                .names()
                .find(|name| name.eq_ignore_ascii_case(text))
        })
}

/// A few known names, those most like `typed` first (longest common prefix, then those
/// containing it, then alphabetical).
fn nearest<'n>(names: impl Iterator<Item = &'n str>, typed: &str) -> Vec<String> {
    let typed = typed.trim().to_lowercase();
    let mut ranked: Vec<(usize, bool, &str)> = names
        .map(|name| {
            let lower = name.to_lowercase();
            let prefix = lower
                .chars()
                .zip(typed.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let contains = !typed.is_empty() && lower.contains(&typed);
            (prefix, contains, name)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    ranked
        .into_iter()
        .take(KNOWN_LISTED)
        .map(|(_, _, name)| name.to_owned())
        .collect()
}

/// The service's own bounds: a `replicas` value within its `min_replicas..=max_replicas`,
/// and the config its executor needs (a deployment, a health URL, a log selector, checks).
fn check_service_bounds(
    command: &CommandDef,
    bound: &BTreeMap<String, String>,
    services: &Services,
) -> Result<(), BindError> {
    let Some(service) = command
        .service_param()
        .and_then(|param| bound.get(&param.name))
        .and_then(|name| services.get(name))
    else {
        return Ok(());
    };
    let missing = |key: &str| BindError::ServiceMissingConfig {
        command: command.name.clone(),
        service: service.name.clone(),
        key: key.to_owned(),
    };
    let replicas = bound.get("replicas").and_then(|v| v.parse::<i64>().ok());
    let scales = replicas.is_some()
        || (command.executor == ExecutorKind::Kubernetes && command.action.starts_with("scale"));
    // What each executor reads from the service, refused now rather than after approval.
    let needed = match command.executor {
        ExecutorKind::Kubernetes => service.deployment.is_none().then_some("deployment"),
        ExecutorKind::Http => service.health_url.is_none().then_some("health_url"),
        ExecutorKind::Logs => service.log_selector.is_none().then_some("log_selector"),
        ExecutorKind::Prometheus if command.action == "checks" => {
            service.checks.is_empty().then_some("checks")
        }
        ExecutorKind::Prometheus | ExecutorKind::Shell | ExecutorKind::Diagnose => None,
    };
    if let Some(key) = needed {
        return Err(missing(key));
    }
    if !scales {
        return Ok(());
    }
    let Some(max) = service.max_replicas else {
        return Err(missing("max_replicas"));
    };
    let min = service.min_replicas.unwrap_or(0);
    match replicas {
        Some(value) if value > i64::from(max) => Err(BindError::AboveServiceMax {
            command: command.name.clone(),
            option: "replicas".to_owned(),
            value,
            service: service.name.clone(),
            max: i64::from(max),
        }),
        Some(value) if value < i64::from(min) => Err(BindError::BelowServiceMin {
            command: command.name.clone(),
            option: "replicas".to_owned(),
            value,
            service: service.name.clone(),
            min: i64::from(min),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
