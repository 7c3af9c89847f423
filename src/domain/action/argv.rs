//! Which parameter values may become a shell command's argument. The shell executor never
//! uses a shell and passes each value as one whole argument, but the program it runs (a
//! wrapper script, `ssh`, `kubectl exec … sh -c`) may split or interpret it again. So a value
//! is held to a small, safe alphabet unless the catalog declares a `pattern` for it (the
//! author then says what is allowed); either way, what a shell would interpret, control and
//! non-ASCII characters (bidi overrides such as U+202E among them) and a leading `-` (an
//! option smuggled into an operand's place) are refused.
//!
//! The same check runs twice: when a request is made (so a bad value is refused before
//! anyone approves) and again when the job runs.

use std::collections::BTreeMap;

use crate::domain::action::catalog::{CommandDef, ExecutorKind, ParamDef, ParamKind};
use crate::domain::message::Msg;

/// Characters refused in every argv value, patterned or not (besides control and non-ASCII
/// characters): what a shell would interpret.
pub const ALWAYS_REFUSED: &[char] = &[';', '|', '&', '$', '`', '<', '>'];

/// The ASCII punctuation a value without a `pattern` may hold, besides letters and digits.
pub const ALLOWED_PUNCTUATION: &[char] = &['.', '_', ':', '/', '=', '@', '+', ',', '-'];

/// Why a value may not be a shell argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgvRefusal {
    /// It starts with `-`: the program would read it as an option.
    #[error("parameter {param} starts with \"-\"")]
    Flag { param: String },
    /// It holds a character a shell interprets, a control or a non-ASCII character.
    #[error("parameter {param} contains {character:?}")]
    Refused { param: String, character: char },
    /// Without a pattern, it holds a character outside the safe alphabet (white space,
    /// quotes, backslashes, globs, brackets…).
    #[error("parameter {param} contains {character:?}, outside the safe alphabet")]
    OutsideAlphabet { param: String, character: char },
}

impl ArgvRefusal {
    /// The refusal in the reader's language, naming the parameter and the character.
    pub fn to_msg(&self) -> Msg {
        match self {
            ArgvRefusal::Flag { param } => {
                Msg::new("shell-value-flag").outside("param", param.as_str())
            }
            ArgvRefusal::Refused { param, character } => Msg::new("shell-value-refused")
                .outside("param", param.as_str())
                .outside("character", describe(*character)),
            ArgvRefusal::OutsideAlphabet { param, character } => {
                Msg::new("shell-value-outside-alphabet")
                    .outside("param", param.as_str())
                    .outside("character", describe(*character))
            }
        }
    }
}

/// Refuses `value` as the shell argument for `param` (see the module's rules).
pub fn check_argv_value(param: &ParamDef, value: &str) -> Result<(), ArgvRefusal> {
    if value.starts_with('-') {
        return Err(ArgvRefusal::Flag {
            param: param.name.clone(),
        });
    }
    if let Some(character) = value
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control() || ALWAYS_REFUSED.contains(c))
    {
        return Err(ArgvRefusal::Refused {
            param: param.name.clone(),
            character,
        });
    }
    let patterned = matches!(&param.kind, ParamKind::String { pattern: Some(_) });
    if !patterned
        && let Some(character) = value
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && !ALLOWED_PUNCTUATION.contains(c))
    {
        return Err(ArgvRefusal::OutsideAlphabet {
            param: param.name.clone(),
            character,
        });
    }
    Ok(())
}

/// Checks every value a shell command puts in its argv (the parameters named by a whole
/// `{name}` argument); other commands and other parameters pass.
pub fn check_argv_values(
    command: &CommandDef,
    values: &BTreeMap<String, String>,
) -> Result<(), ArgvRefusal> {
    if command.executor != ExecutorKind::Shell {
        return Ok(());
    }
    for param in &command.params {
        let Some(value) = values.get(&param.name) else {
            continue;
        };
        if argv_uses(&command.argv, &param.name) {
            check_argv_value(param, value)?;
        }
    }
    Ok(())
}

/// The parameter a template argument names when it is exactly `{name}`.
pub fn whole_placeholder(argument: &str) -> Option<&str> {
    let name = argument.strip_prefix('{')?.strip_suffix('}')?;
    is_param_name(name).then_some(name)
}

/// Whether `argument` holds a `{name}` placeholder anywhere.
pub fn placeholder_in(argument: &str) -> bool {
    argument
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .any(|(name, _)| is_param_name(name))
}

/// Whether the template puts parameter `name` in an argument of its own.
pub fn argv_uses(argv: &[String], name: &str) -> bool {
    argv.iter()
        .any(|argument| whole_placeholder(argument) == Some(name))
}

fn is_param_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A refused character as people can read it: visible ASCII quoted, anything else (control,
/// format, non-ASCII) by code point, so an invisible bidi override is named, not applied.
fn describe(character: char) -> String {
    if character.is_ascii_graphic() {
        format!("\"{character}\"")
    } else {
        format!("U+{:04X}", u32::from(character))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(pattern: Option<&str>) -> ParamDef {
        ParamDef {
            name: "host".to_owned(),
            kind: ParamKind::String {
                pattern: pattern.map(str::to_owned),
            },
            required: true,
        }
    }

    fn verdict(param: &ParamDef, value: &str) -> &'static str {
        match check_argv_value(param, value) {
            Ok(()) => "ok",
            Err(ArgvRefusal::Flag { .. }) => "flag",
            Err(ArgvRefusal::Refused { .. }) => "refused",
            Err(ArgvRefusal::OutsideAlphabet { .. }) => "alphabet",
        }
    }

    #[test]
    fn values_outside_the_safe_alphabet_are_refused_without_a_pattern() {
        let plain = param(None);
        let table = [
            ("checkout-api", "ok"),
            ("10.0.0.1:8080", "ok"),
            ("a.b_c/d=e@f+g,h", "ok"),
            ("x --output=/etc/passwd", "alphabet"),
            ("a -rf /", "alphabet"),
            ("a b", "alphabet"),
            ("'quoted'", "alphabet"),
            ("\"quoted\"", "alphabet"),
            ("a\\b", "alphabet"),
            ("*", "alphabet"),
            ("a?b", "alphabet"),
            ("[ab]", "alphabet"),
            ("~root", "alphabet"),
            ("{a,b}", "alphabet"),
            ("a#b", "alphabet"),
            ("a!b", "alphabet"),
            ("(a)", "alphabet"),
            ("%x", "alphabet"),
            ("a\u{202E}b", "refused"),
            ("a\u{200B}b", "refused"),
            ("caf\u{e9}", "refused"),
            ("a\u{85}b", "refused"),
            // Everything refused before this check existed still is.
            ("; rm -rf /", "refused"),
            ("a;b", "refused"),
            ("$(id)", "refused"),
            ("${HOME}", "refused"),
            ("`id`", "refused"),
            ("a|b", "refused"),
            ("a && b", "refused"),
            ("a > /etc/passwd", "refused"),
            ("a < /etc/shadow", "refused"),
            ("a\nb", "refused"),
            ("a\rb", "refused"),
            ("a\0b", "refused"),
            ("a\tb", "refused"),
            ("a\u{1b}[2J", "refused"),
            ("--output=/etc/passwd", "flag"),
            ("-rf", "flag"),
            ("-", "flag"),
        ];
        for (value, expected) in table {
            assert_eq!(verdict(&plain, value), expected, "{value:?}");
        }
    }

    #[test]
    fn a_pattern_widens_the_alphabet_but_never_past_what_is_always_refused() {
        let patterned = param(Some(".+"));
        let table = [
            ("a b", "ok"),
            ("a*b", "ok"),
            ("a;b", "refused"),
            ("$(id)", "refused"),
            ("a\u{202E}b", "refused"),
            ("a\nb", "refused"),
            ("-rf", "flag"),
        ];
        for (value, expected) in table {
            assert_eq!(verdict(&patterned, value), expected, "{value:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_parameter_and_the_character() {
        let refusal = check_argv_value(&param(None), "a\u{202E}b").unwrap_err();
        let msg = refusal.to_msg();
        assert_eq!(msg.id, "shell-value-refused");
        let shown = format!("{msg:?}");
        assert!(
            shown.contains("host") && shown.contains("U+202E"),
            "{shown}"
        );
        let msg = check_argv_value(&param(None), "a b").unwrap_err().to_msg();
        assert_eq!(msg.id, "shell-value-outside-alphabet");
        assert!(format!("{msg:?}").contains("U+0020"), "{msg:?}");
        let msg = check_argv_value(&param(None), "a'b").unwrap_err().to_msg();
        assert!(
            msg.args
                .iter()
                .any(|(_, arg)| *arg == crate::domain::message::Arg::Text("\"'\"".to_owned())),
            "{msg:?}"
        );
    }

    #[test]
    fn a_request_with_a_bad_shell_value_is_refused_before_anyone_approves() {
        use crate::domain::action::params::bind_action;
        use crate::domain::action::{ActionPolicy, Catalog};
        use crate::domain::command::ActionParams;
        let shell = crate::domain::action::catalog::parse_command_file(
            "name = \"dns\"\ndescription = \"d\"\nexecutor = \"shell\"\n\
             argv = [\"/usr/bin/getent\", \"hosts\", \"{host}\"]\n\
             params = [{ name = \"host\", type = \"string\" }]\n",
        )
        .unwrap();
        let policy = ActionPolicy {
            catalog: Catalog::new([shell]),
            ..ActionPolicy::default()
        };
        let table = [
            ("host:checkout-api", None),
            (
                "host:\"x --output=/etc/passwd\"",
                Some("shell-value-outside-alphabet"),
            ),
            ("host:\"a -rf /\"", Some("shell-value-outside-alphabet")),
            ("host:-rf", Some("shell-value-flag")),
            // Refused for every command before the shell's own check sees it.
            ("host:a\u{202E}b", Some("action-error-format-character")),
        ];
        for (text, expected) in table {
            let got = bind_action(&policy, "dns", &ActionParams::Raw(text.to_owned()));
            let got = got.err().map(|msg| msg.id);
            assert_eq!(got.as_deref(), expected, "{text}");
        }
    }
}
