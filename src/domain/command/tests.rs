//! Table tests for parsing, building and checking commands.

use super::*;

fn user(name: &str) -> UserId {
    UserId(name.to_owned())
}

#[test]
fn typed_commands_parse_into_typed_values() {
    let cases: Vec<(&str, Command)> = vec![
        (
            "/incident ack",
            Command::Transition(Transition::Acknowledge),
        ),
        (
            "  /incident   resolve ",
            Command::Transition(Transition::Resolve),
        ),
        (
            "/INCIDENT Mitigate",
            Command::Transition(Transition::Mitigate),
        ),
        ("/incident status", Command::Status { incident: None }),
        ("/incident severity sev2", Command::Severity(Severity::Sev2)),
        (
            "/incident severity level:SEV1",
            Command::Severity(Severity::Sev1),
        ),
        (
            "/incident role commander bob",
            Command::AssignRole {
                role: IncidentRole::Commander,
                user: user("bob"),
            },
        ),
        (
            "/incident role user:<@carol> role:operations",
            Command::AssignRole {
                role: IncidentRole::Operations,
                user: user("carol"),
            },
        ),
        (
            "/incident note \"db failover done\"",
            Command::Note("db failover done".to_owned()),
        ),
        (
            "/incident note db failover done",
            Command::Note("db failover done".to_owned()),
        ),
        (
            "/incident note text:'quoted: with colon'",
            Command::Note("quoted: with colon".to_owned()),
        ),
        (
            "/incident note \"text:not an option\"",
            Command::Note("text:not an option".to_owned()),
        ),
        (
            "/incident note “数据库已切换”",
            Command::Note("数据库已切换".to_owned()),
        ),
        (
            "/incident declare \"Payments down\" sev1",
            Command::Declare {
                title: "Payments down".to_owned(),
                severity: Some(Severity::Sev1),
            },
        ),
        (
            "/incident declare title:\"Payments down\"",
            Command::Declare {
                title: "Payments down".to_owned(),
                severity: None,
            },
        ),
        (
            "/timeline",
            Command::Timeline {
                limit: DEFAULT_TIMELINE_LIMIT,
            },
        ),
        ("/timeline limit:5", Command::Timeline { limit: 5 }),
        ("/help", Command::Help),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_typed(text), Ok(expected), "input {text:?}");
    }
}

#[test]
fn malformed_commands_are_refused_with_a_reason() {
    let cases: Vec<(&str, ParseError)> = vec![
        ("incident ack", ParseError::NotACommand),
        ("/", ParseError::UnknownCommand(String::new())),
        ("/deploy now", ParseError::UnknownCommand("deploy".to_owned())),
        (
            "/incident",
            ParseError::UnknownSubcommand {
                command: "incident".to_owned(),
                expected: "ack, mitigate, resolve, close, reopen, status, list, severity, role, note, declare, update".to_owned(),
            },
        ),
        ("/incident note", missing("text")),
        ("/incident severity", missing("level")),
        (
            "/incident severity sev9",
            ParseError::InvalidChoice {
                option: "level".to_owned(),
                value: "sev9".to_owned(),
                choices: "sev1, sev2, sev3, sev4".to_owned(),
            },
        ),
        ("/incident role commander", missing("user")),
        (
            "/incident severity level:sev1 level:sev2",
            ParseError::DuplicateOption {
                option: "level".to_owned(),
            },
        ),
        (
            "/incident ack now",
            ParseError::TooManyValues {
                extra: "now".to_owned(),
            },
        ),
        (
            "/incident ack force:yes",
            ParseError::UnknownOption {
                option: "force".to_owned(),
            },
        ),
        (
            "/timeline limit:500",
            ParseError::InvalidInteger {
                option: "limit".to_owned(),
                value: "500".to_owned(),
                min: 1,
                max: 50,
            },
        ),
        (
            "/incident note \"  \"",
            ParseError::EmptyValue {
                option: "text".to_owned(),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_typed(text), Err(expected), "input {text:?}");
    }
}

#[test]
fn syntax_is_derived_from_the_options() {
    let syntax = |path: &[&str]| {
        COMMAND_TREE
            .iter()
            .find(|leaf| leaf.path == path)
            .unwrap()
            .syntax()
    };
    let cases = [
        (&["incident", "ack"][..], "/incident ack"),
        (
            &["incident", "status"][..],
            "/incident status [id:<INC-YYYYMMDD-NNN>]",
        ),
        (
            &["incident", "declare"][..],
            "/incident declare title:<text> [severity:<sev1|sev2|sev3|sev4>]",
        ),
        (&["timeline"][..], "/timeline [limit:<1-50>]"),
    ];
    for (path, expected) in cases {
        assert_eq!(syntax(path), expected);
    }
}

#[test]
fn every_leaf_builds_from_its_required_options() {
    for leaf in COMMAND_TREE {
        let values: OptionValues = leaf
            .options
            .iter()
            .filter(|option| option.required)
            .map(|option| {
                let value = match option.kind {
                    OptionKind::Choice(choices) => choices[0].to_owned(),
                    OptionKind::Integer { min, .. } => min.to_string(),
                    OptionKind::Text
                    | OptionKind::User
                    | OptionKind::CatalogCommand
                    | OptionKind::Service => "x".to_owned(),
                    OptionKind::Incident => "INC-20261121-001".to_owned(),
                };
                (option.name.to_owned(), value)
            })
            .collect();
        assert!(build(leaf, &values).is_ok(), "{:?}", leaf.path);
    }
}

#[test]
fn action_commands_keep_their_parameters_for_the_catalog() {
    let raw = |command: &str, params: &str| Command::Action {
        command: command.to_owned(),
        params: ActionParams::Raw(params.to_owned()),
    };
    let named = |command: &str, pairs: &[(&str, &str)]| Command::Action {
        command: command.to_owned(),
        params: ActionParams::Named(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
    };
    let cases: Vec<(&str, Command)> = vec![
        ("/run scale checkout-api 3", raw("scale", "checkout-api 3")),
        (
            "/run scale service:checkout-api replicas:3",
            raw("scale", "service:checkout-api replicas:3"),
        ),
        (
            "/run command:promql params:sum(rate(x[5m])) by (job)",
            raw("promql", "sum(rate(x[5m])) by (job)"),
        ),
        ("/run diag", raw("diag", "")),
        (
            "/diag checkout-api",
            named("diag", &[("service", "checkout-api")]),
        ),
        (
            "/scale checkout-api 3",
            named("scale", &[("service", "checkout-api"), ("replicas", "3")]),
        ),
        (
            "/scale replicas:0 service:checkout-api",
            named("scale", &[("service", "checkout-api"), ("replicas", "0")]),
        ),
        ("/actions", Command::Actions),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_typed(text), Ok(expected), "input {text:?}");
    }
    assert_eq!(
        parse_typed("/scale checkout-api 2000"),
        Err(ParseError::InvalidInteger {
            option: "replicas".to_owned(),
            value: "2000".to_owned(),
            min: 0,
            max: MAX_SCALE_REPLICAS,
        })
    );
    assert_eq!(parse_typed("/diag"), Err(missing("service")));
}

#[test]
fn the_shared_value_rules_name_the_option_and_the_rule() {
    let s = |text: &str| text.to_owned();
    type Case = (
        &'static str,
        Option<i64>,
        Option<i64>,
        Result<i64, ParseError>,
    );
    let cases: Vec<Case> = vec![
        ("7", Some(0), Some(9), Ok(7)),
        (" 007 ", Some(0), Some(9), Ok(7)),
        ("+3", None, None, Ok(3)),
        ("-5", None, Some(0), Ok(-5)),
        (
            "10",
            Some(0),
            Some(9),
            Err(ParseError::InvalidInteger {
                option: s("n"),
                value: s("10"),
                min: 0,
                max: 9,
            }),
        ),
        (
            "x",
            Some(0),
            Some(9),
            Err(ParseError::InvalidInteger {
                option: s("n"),
                value: s("x"),
                min: 0,
                max: 9,
            }),
        ),
        (
            "x",
            None,
            None,
            Err(ParseError::NotAnInteger {
                option: s("n"),
                value: s("x"),
            }),
        ),
        (
            "1.5",
            Some(1),
            None,
            Err(ParseError::NotAnInteger {
                option: s("n"),
                value: s("1.5"),
            }),
        ),
        (
            "0",
            Some(1),
            None,
            Err(ParseError::IntegerBelow {
                option: s("n"),
                value: s("0"),
                min: 1,
            }),
        ),
        (
            "99",
            None,
            Some(50),
            Err(ParseError::IntegerAbove {
                option: s("n"),
                value: s("99"),
                max: 50,
            }),
        ),
    ];
    for (value, min, max, expected) in cases {
        assert_eq!(
            integer_in_bounds("n", value, min, max),
            expected,
            "{value} {min:?} {max:?}"
        );
    }
    assert_eq!(one_of("mode", "WARN", &["error", "warn"]), Ok("warn"));
    assert_eq!(
        one_of("mode", "fatal", &["error", "warn"]),
        Err(ParseError::InvalidChoice {
            option: s("mode"),
            value: s("fatal"),
            choices: s("error, warn")
        })
    );
    assert_eq!(
        non_empty("text", "  "),
        Err(ParseError::EmptyValue { option: s("text") })
    );
    let i18n = crate::i18n::I18n::builtin().unwrap();
    let below = ParseError::IntegerBelow {
        option: s("n"),
        value: s("0"),
        min: 1,
    }
    .to_msg();
    assert_eq!(
        i18n.render("en-US", &below),
        "n: 0 is below the least allowed, 1."
    );
}
