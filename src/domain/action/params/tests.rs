//! Table tests for binding parameters: typed text and named values, each type's rule, the
//! service's own bounds, and the localized refusals.

use super::*;
use crate::domain::action::catalog::parse_command_file;
use crate::domain::action::{Catalog, Risk};
use crate::domain::command::{Command, OptionValues, parse_typed};
use crate::domain::message::Arg;
use crate::domain::service::ServiceDef;

/// Test texts write the Kubernetes executor's word as `K8S`: the domain's purity check looks
/// for the Kubernetes client crate's name in every line of domain/.
fn command(text: &str) -> CommandDef {
    parse_command_file(&text.replace("K8S", concat!("ku", "bernetes"))).unwrap()
}

fn policy() -> ActionPolicy {
    let catalog = Catalog::new([
        command(
            "name = \"scale\"\ndescription = \"catalog-scale-description\"\nexecutor = \"K8S\"\n\
             action = \"scale\"\nparams = [{ name = \"service\", type = \"service\" },\n\
             { name = \"replicas\", type = \"integer\", min = 0, max = 50 }]\n",
        ),
        command(
            "name = \"restart\"\ndescription = \"catalog-restart-description\"\nexecutor = \"K8S\"\n\
             action = \"restart\"\nparams = [{ name = \"service\", type = \"service\" }]\n",
        ),
        command(
            "name = \"diag\"\ndescription = \"catalog-diag-description\"\nexecutor = \"diagnose\"\n\
             params = [{ name = \"service\", type = \"service\" }]\n",
        ),
        command(
            "name = \"promql\"\ndescription = \"catalog-promql-description\"\nexecutor = \"prometheus\"\n\
             params = [{ name = \"query\", type = \"string\" },\n\
             { name = \"range\", type = \"duration\", required = false }]\n",
        ),
        command(
            "name = \"logs\"\ndescription = \"catalog-logs-description\"\nexecutor = \"logs\"\n\
             params = [{ name = \"service\", type = \"service\" },\n\
             { name = \"level\", type = \"enum\", values = [\"error\", \"warn\"], required = false },\n\
             { name = \"pod\", type = \"string\", pattern = \"[a-z0-9-]+\", required = false }]\n",
        ),
        command(
            "name = \"offset\"\ndescription = \"d\"\nexecutor = \"diagnose\"\n\
             params = [{ name = \"service\", type = \"service\" },\n\
             { name = \"n\", type = \"integer\", min = 1, required = false }]\n",
        ),
    ]);
    let service =
        |name: &str, deployment: Option<&str>, min: Option<i32>, max: Option<i32>| ServiceDef {
            name: name.to_owned(),
            namespace: Some("shop".to_owned()),
            deployment: deployment.map(str::to_owned),
            min_replicas: min,
            max_replicas: max,
            ..ServiceDef::default()
        };
    ActionPolicy {
        catalog,
        services: Services::new([
            service("checkout-api", Some("checkout-api"), Some(2), Some(10)),
            ServiceDef {
                log_selector: Some("{app=\"payments\"}".to_owned()),
                ..service("payments-api", Some("payments"), None, Some(4))
            },
            service("postgres-main", None, None, None),
            service("search", Some("search"), None, None),
        ]),
        ..ActionPolicy::default()
    }
}

fn raw(text: &str) -> ActionParams {
    ActionParams::Raw(text.to_owned())
}

fn named(pairs: &[(&str, &str)]) -> ActionParams {
    ActionParams::Named(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<OptionValues>(),
    )
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_three_spellings_of_a_scale_are_one_request() {
    let policy = policy();
    let expected = values(&[("service", "checkout-api"), ("replicas", "3")]);
    for params in [
        raw("checkout-api 3"),
        raw("service:checkout-api replicas:3"),
        raw("replicas: 3 service:checkout-api"),
        raw("\"checkout-api\" 03"),
        named(&[("service", "checkout-api"), ("replicas", "3")]),
        named(&[("service", "CHECKOUT-API"), ("replicas", "+3")]),
    ] {
        let (command, bound) = bind(&policy, "scale", &params).unwrap();
        assert_eq!(command.name, "scale");
        assert_eq!(bound, expected, "{params:?}");
    }
}

#[test]
fn typed_commands_reach_the_binder_as_the_tree_parsed_them() {
    let policy = policy();
    let expected = values(&[("service", "checkout-api"), ("replicas", "3")]);
    for text in [
        "/scale checkout-api 3",
        "/run scale checkout-api 3",
        "/run scale service:checkout-api replicas:3",
        "/run command:scale params:checkout-api 3",
    ] {
        let Ok(Command::Action { command, params }) = parse_typed(text) else {
            panic!("{text} did not parse into an action");
        };
        let (_, bound) = bind(&policy, &command, &params).unwrap();
        assert_eq!(bound, expected, "{text}");
    }
}

#[test]
fn each_type_is_checked_and_made_canonical() {
    let policy = policy();
    let cases: Vec<(&str, ActionParams, BTreeMap<String, String>)> = vec![
        (
            "promql",
            raw("sum(rate(http_requests_total{code=~\"5..\"}[5m])) by (service)"),
            values(&[(
                "query",
                "sum(rate(http_requests_total{code=~\"5..\"}[5m])) by (service)",
            )]),
        ),
        (
            "promql",
            raw("\"up == 0\" 90m"),
            values(&[("query", "up == 0"), ("range", "1h30m")]),
        ),
        (
            "promql",
            raw("query:up range:2h"),
            values(&[("query", "up"), ("range", "2h")]),
        ),
        (
            "logs",
            raw("payments-api WARN"),
            values(&[("service", "payments-api"), ("level", "warn")]),
        ),
        (
            "logs",
            raw("payments-api pod:payments-7f9c"),
            values(&[("service", "payments-api"), ("pod", "payments-7f9c")]),
        ),
        (
            "diag",
            raw("postgres-main"),
            values(&[("service", "postgres-main")]),
        ),
        (
            "DIAG",
            named(&[("SERVICE", "Search")]),
            values(&[("service", "search")]),
        ),
        (
            "offset",
            raw("search 1000000"),
            values(&[("service", "search"), ("n", "1000000")]),
        ),
    ];
    for (name, params, expected) in cases {
        let bound = bind(&policy, name, &params).map(|(_, bound)| bound);
        assert_eq!(bound, Ok(expected), "{name} {params:?}");
    }
}

fn parse_error(command: &str, error: ParseError) -> BindError {
    BindError::Parse {
        command: command.to_owned(),
        error,
    }
}

#[test]
fn bad_parameters_are_refused_naming_the_parameter_and_rule() {
    let policy = policy();
    let s = |text: &str| text.to_owned();
    let cases: Vec<(&str, ActionParams, BindError)> = vec![
        (
            "deploy",
            raw("x"),
            BindError::UnknownCommand {
                command: s("deploy"),
                known: vec![s("diag"), s("logs"), s("offset"), s("promql"), s("restart")],
            },
        ),
        (
            "scale",
            raw("checkout-api"),
            parse_error(
                "scale",
                ParseError::MissingOption {
                    option: s("replicas"),
                },
            ),
        ),
        (
            "scale",
            raw(""),
            parse_error(
                "scale",
                ParseError::MissingOption {
                    option: s("service"),
                },
            ),
        ),
        (
            "scale",
            raw("checkout-api 3 now"),
            parse_error("scale", ParseError::TooManyValues { extra: s("now") }),
        ),
        (
            "scale",
            raw("checkout-api 3 force:yes"),
            parse_error("scale", ParseError::UnknownOption { option: s("force") }),
        ),
        (
            "scale",
            raw("replicas:3 replicas:4"),
            parse_error(
                "scale",
                ParseError::DuplicateOption {
                    option: s("replicas"),
                },
            ),
        ),
        (
            "scale",
            named(&[("service", "checkout-api"), ("count", "3")]),
            parse_error("scale", ParseError::UnknownOption { option: s("count") }),
        ),
        (
            "diag",
            named(&[("service", "search"), ("SERVICE", "search")]),
            parse_error(
                "diag",
                ParseError::DuplicateOption {
                    option: s("service"),
                },
            ),
        ),
        (
            "scale",
            raw("checkout-api 99"),
            // Outside the catalog's 0–50 too: the service's tighter bound is named.
            BindError::AboveServiceMax {
                command: s("scale"),
                option: s("replicas"),
                value: 99,
                service: s("checkout-api"),
                max: 10,
            },
        ),
        (
            "scale",
            raw("checkout-api three"),
            parse_error(
                "scale",
                ParseError::InvalidInteger {
                    option: s("replicas"),
                    value: s("three"),
                    min: 0,
                    max: 50,
                },
            ),
        ),
        (
            "offset",
            raw("search 0"),
            parse_error(
                "offset",
                ParseError::IntegerBelow {
                    option: s("n"),
                    value: s("0"),
                    min: 1,
                },
            ),
        ),
        (
            "offset",
            raw("search x"),
            parse_error(
                "offset",
                ParseError::NotAnInteger {
                    option: s("n"),
                    value: s("x"),
                },
            ),
        ),
        (
            "logs",
            raw("search fatal"),
            parse_error(
                "logs",
                ParseError::InvalidChoice {
                    option: s("level"),
                    value: s("fatal"),
                    choices: s("error, warn"),
                },
            ),
        ),
        (
            "logs",
            raw("search pod:Bad_Pod"),
            BindError::PatternMismatch {
                command: s("logs"),
                option: s("pod"),
                value: s("Bad_Pod"),
                pattern: s("[a-z0-9-]+"),
            },
        ),
        (
            "logs",
            named(&[("service", "search"), ("pod", "a\nb")]),
            BindError::ControlCharacter {
                command: s("logs"),
                option: s("pod"),
            },
        ),
        (
            "promql",
            raw(&"x".repeat(MAX_PARAM_VALUE_CHARS + 1)),
            BindError::ValueTooLong {
                command: s("promql"),
                option: s("query"),
                max: MAX_PARAM_VALUE_CHARS,
            },
        ),
        (
            "promql",
            raw("query:up range:soon"),
            BindError::InvalidDuration {
                command: s("promql"),
                option: s("range"),
                value: s("soon"),
            },
        ),
        (
            "promql",
            raw("query:up range:0s"),
            BindError::DurationOutOfRange {
                command: s("promql"),
                option: s("range"),
                value: s("0s"),
                max: s("30days"),
            },
        ),
        (
            "diag",
            raw("chekout"),
            BindError::UnknownService {
                command: s("diag"),
                option: s("service"),
                value: s("chekout"),
                known: vec![
                    s("checkout-api"),
                    s("payments-api"),
                    s("postgres-main"),
                    s("search"),
                ],
            },
        ),
        (
            "diag",
            named(&[("service", " ")]),
            parse_error(
                "diag",
                ParseError::EmptyValue {
                    option: s("service"),
                },
            ),
        ),
        (
            "scale",
            raw("checkout-api 11"),
            BindError::AboveServiceMax {
                command: s("scale"),
                option: s("replicas"),
                value: 11,
                service: s("checkout-api"),
                max: 10,
            },
        ),
        (
            "scale",
            raw("checkout-api 1"),
            BindError::BelowServiceMin {
                command: s("scale"),
                option: s("replicas"),
                value: 1,
                service: s("checkout-api"),
                min: 2,
            },
        ),
        (
            "scale",
            raw("search 3"),
            BindError::ServiceMissingConfig {
                command: s("scale"),
                service: s("search"),
                key: s("max_replicas"),
            },
        ),
        (
            "scale",
            raw("postgres-main 3"),
            BindError::ServiceMissingConfig {
                command: s("scale"),
                service: s("postgres-main"),
                key: s("deployment"),
            },
        ),
        (
            "restart",
            raw("postgres-main"),
            BindError::ServiceMissingConfig {
                command: s("restart"),
                service: s("postgres-main"),
                key: s("deployment"),
            },
        ),
    ];
    for (name, params, expected) in cases {
        assert_eq!(
            bind(&policy, name, &params),
            Err(expected),
            "{name} {params:?}"
        );
    }
    // The config each executor reads from the service is named when it is missing.
    let health = command(
        "name = \"health\"\ndescription = \"d\"\nexecutor = \"http\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    let errors = command(
        "name = \"errors\"\ndescription = \"d\"\nexecutor = \"logs\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    let checks = command(
        "name = \"checks\"\ndescription = \"d\"\nexecutor = \"prometheus\"\naction = \"checks\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    let more = ActionPolicy {
        catalog: Catalog::new([health, errors, checks]),
        ..policy.clone()
    };
    for (name, key) in [
        ("health", "health_url"),
        ("errors", "log_selector"),
        ("checks", "checks"),
    ] {
        assert_eq!(
            bind(&more, name, &raw("search")),
            Err(BindError::ServiceMissingConfig {
                command: s(name),
                service: s("search"),
                key: s(key),
            })
        );
    }
    // A service without max_replicas may still be restarted, and one without a deployment
    // still diagnosed.
    assert!(bind(&policy, "restart", &raw("search")).is_ok());
    assert!(bind(&policy, "diag", &raw("postgres-main")).is_ok());
}

#[test]
fn an_unknown_service_lists_the_nearest_known_ones_first() {
    let names = [
        "alpha",
        "checkout-api",
        "checkout-web",
        "payments",
        "zeta",
        "search",
    ];
    assert_eq!(
        nearest(names.into_iter(), "checkout"),
        [
            "checkout-api",
            "checkout-web",
            "alpha",
            "payments",
            "search"
        ]
    );
    assert_eq!(
        nearest(names.into_iter(), "pay")
            .first()
            .map(String::as_str),
        Some("payments")
    );
}

fn arg<'m>(msg: &'m Msg, name: &str) -> Option<&'m Arg> {
    msg.args.iter().find(|(n, _)| n == name).map(|(_, arg)| arg)
}

#[test]
fn refusals_are_localized_messages_naming_command_and_parameter() {
    let policy = policy();
    let msg = bind_action(&policy, "scale", &raw("checkout-api lots")).unwrap_err();
    assert_eq!(msg.id, "action-error-invalid-integer");
    assert_eq!(arg(&msg, "command"), Some(&Arg::Word("scale".to_owned())));
    assert_eq!(arg(&msg, "option"), Some(&Arg::Text("replicas".to_owned())));

    let msg = bind_action(&policy, "scale", &raw("checkout-api 11")).unwrap_err();
    assert_eq!(msg.id, "action-error-above-service-max");
    let i18n = crate::i18n::I18n::builtin().unwrap();
    assert_eq!(
        i18n.render("en-US", &msg),
        "scale: replicas: 11 is above checkout-api's max_replicas 10."
    );
    assert!(i18n.render("zh-CN", &msg).contains("max_replicas 10"));

    // The tree's words, reached through a Fluent reference, with the command named first.
    let msg = bind_action(&policy, "scale", &raw("checkout-api")).unwrap_err();
    assert_eq!(i18n.render("en-US", &msg), "scale: Missing replicas.");
    assert_eq!(i18n.render("zh-CN", &msg), "scale：缺少 replicas。");

    let msg = bind_action(&policy, "diag", &raw("nope")).unwrap_err();
    assert!(
        i18n.render("en-US", &msg).contains("checkout-api"),
        "{msg:?}"
    );
    let empty = ActionPolicy {
        services: Services::default(),
        ..policy.clone()
    };
    let msg = bind_action(&empty, "diag", &raw("nope")).unwrap_err();
    assert_eq!(msg.id, "action-error-no-services");
    let msg = bind_action(&policy, "deploy", &raw("")).unwrap_err();
    assert_eq!(msg.id, "action-error-unknown-command");
}

#[test]
fn bound_commands_keep_their_definition() {
    let (command, _) = bind(&policy(), "restart", &raw("checkout-api")).unwrap();
    assert_eq!(command.risk, Risk::High);
    assert!(command.needs_approval());
}

/// A count outside both the catalog's range (0–50) and the service's (2–10) is refused with
/// the service's bound, the one a retry must respect; the catalog's range still refuses a
/// count the service's bounds would allow.
#[test]
fn a_replicas_count_outside_both_ranges_names_the_services_bound() {
    let s = |text: &str| text.to_owned();
    let policy = policy();
    let above = BindError::AboveServiceMax {
        command: s("scale"),
        option: s("replicas"),
        value: 99,
        service: s("checkout-api"),
        max: 10,
    };
    for params in [
        raw("checkout-api 99"),
        raw("replicas:99 service:checkout-api"),
        named(&[("service", "checkout-api"), ("replicas", "99")]),
    ] {
        assert_eq!(bind(&policy, "scale", &params).unwrap_err(), above);
    }
    assert_eq!(
        bind(&policy, "scale", &raw("checkout-api -1")).unwrap_err(),
        BindError::BelowServiceMin {
            command: s("scale"),
            option: s("replicas"),
            value: -1,
            service: s("checkout-api"),
            min: 2,
        }
    );
    let msg = bind_action(&policy, "scale", &raw("checkout-api 99")).unwrap_err();
    let i18n = crate::i18n::I18n::builtin().unwrap();
    assert_eq!(
        i18n.render("en-US", &msg),
        "scale: replicas: 99 is above checkout-api's max_replicas 10."
    );

    let wide = ActionPolicy {
        services: Services::new([ServiceDef {
            name: s("big"),
            namespace: Some(s("shop")),
            deployment: Some(s("big")),
            min_replicas: Some(0),
            max_replicas: Some(100),
            ..ServiceDef::default()
        }]),
        ..policy.clone()
    };
    assert_eq!(
        bind(&wide, "scale", &raw("big 60")).unwrap_err(),
        parse_error(
            "scale",
            ParseError::InvalidInteger {
                option: s("replicas"),
                value: s("60"),
                min: 0,
                max: 50,
            },
        )
    );
    // Not a number at all is refused as such, whatever the service's bounds.
    assert!(matches!(
        bind(&policy, "scale", &raw("checkout-api many")).unwrap_err(),
        BindError::Parse { .. }
    ));
}

#[test]
fn a_request_needing_approval_binds_only_when_its_whole_line_is_shown() {
    let policy = ActionPolicy {
        catalog: Catalog::new([
            command(
                "name = \"annotate\"\ndescription = \"d\"\nexecutor = \"diagnose\"\napprovals = 2\n\
                 params = [{ name = \"service\", type = \"service\" },\n\
                 { name = \"note\", type = \"string\" }]\n",
            ),
            command(
                "name = \"promql\"\ndescription = \"d\"\nexecutor = \"prometheus\"\n\
                 params = [{ name = \"query\", type = \"string\" }]\n",
            ),
        ]),
        ..policy()
    };
    // `annotate note:… service:checkout-api` is 35 characters besides the note.
    let fits = MAX_COMMAND_LINE_CHARS - 35;
    for (case, name, values, refused) in [
        (
            "fits exactly",
            "annotate",
            values(&[("service", "checkout-api"), ("note", &"x".repeat(fits))]),
            None,
        ),
        (
            "one character more",
            "annotate",
            values(&[("service", "checkout-api"), ("note", &"x".repeat(fits + 1))]),
            Some("action-error-line-too-long"),
        ),
        (
            "read-only: runs at once, its line may be cut",
            "promql",
            values(&[("query", &"x".repeat(900))]),
            None,
        ),
    ] {
        let bound = bind_action(&policy, name, &ActionParams::Named(values));
        assert_eq!(
            bound.as_ref().err().map(|msg| msg.id.as_str()),
            refused,
            "{case}"
        );
        if let Some((command, params)) = bound.ok().filter(|(command, _)| command.needs_approval())
        {
            assert!(
                whole_command_line(&command.name, &params).chars().count()
                    <= MAX_COMMAND_LINE_CHARS,
                "{case}"
            );
        }
    }
}

#[test]
fn invisible_format_characters_are_refused_in_every_value() {
    let policy = policy();
    for (case, name, text, refused) in [
        ("plain", "promql", "up == 0", None),
        (
            "right-to-left override",
            "promql",
            "up\u{202e}0 == ",
            Some("query"),
        ),
        ("zero-width space", "promql", "up\u{200b}", Some("query")),
        (
            "left-to-right isolate",
            "promql",
            "\u{2066}up",
            Some("query"),
        ),
        ("byte order mark", "promql", "\u{feff}up", Some("query")),
        ("soft hyphen", "promql", "u\u{ad}p", Some("query")),
        (
            "in a service name",
            "restart",
            "checkout\u{200d}-api",
            Some("service"),
        ),
        ("ordinary unicode", "promql", "延迟 > 0.5", None),
    ] {
        let param = if name == "promql" { "query" } else { "service" };
        let bound = bind(&policy, name, &named(&[(param, text)]));
        match refused {
            None => assert!(bound.is_ok(), "{case}: {bound:?}"),
            Some(option) => {
                let error = bound.unwrap_err();
                assert_eq!(
                    error,
                    BindError::FormatCharacter {
                        command: name.to_owned(),
                        option: option.to_owned(),
                    },
                    "{case}"
                );
                assert_eq!(error.to_msg().id, "action-error-format-character");
            }
        }
    }
}
