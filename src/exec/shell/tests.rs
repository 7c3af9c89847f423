use super::*;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn argv(template: &[&str]) -> Vec<String> {
    template.iter().map(|arg| arg.to_string()).collect()
}

#[test]
fn values_a_shell_or_a_program_would_interpret_are_refused() {
    // (value, refusal message id or None when accepted)
    let cases: &[(&str, Option<&str>)] = &[
        ("checkout-api", None),
        ("a=b", None),
        ("10.0.0.1:8080", None),
        // Values a wrapper that re-splits its arguments would turn into options or globs.
        ("hello world", Some("shell-value-outside-alphabet")),
        (
            "x --output=/etc/passwd",
            Some("shell-value-outside-alphabet"),
        ),
        ("*", Some("shell-value-outside-alphabet")),
        ("'a'", Some("shell-value-outside-alphabet")),
        ("a\\b", Some("shell-value-outside-alphabet")),
        ("é中文", Some("shell-value-refused")),
        ("a\u{202E}b", Some("shell-value-refused")),
        ("; rm -rf /", Some("shell-value-refused")),
        ("a;b", Some("shell-value-refused")),
        ("$(id)", Some("shell-value-refused")),
        ("${HOME}", Some("shell-value-refused")),
        ("`id`", Some("shell-value-refused")),
        ("a|b", Some("shell-value-refused")),
        ("a && b", Some("shell-value-refused")),
        ("a > /etc/passwd", Some("shell-value-refused")),
        ("a < /etc/shadow", Some("shell-value-refused")),
        ("a\nb", Some("shell-value-refused")),
        ("a\rb", Some("shell-value-refused")),
        ("a\0b", Some("shell-value-refused")),
        ("a\tb", Some("shell-value-refused")),
        ("a\u{1b}[2J", Some("shell-value-refused")),
        ("--output=/etc/passwd", Some("shell-value-flag")),
        ("-rf", Some("shell-value-flag")),
        ("-", Some("shell-value-flag")),
    ];
    for (value, expected) in cases {
        let got = check_value(&[], "service", value).err().map(|msg| msg.id);
        assert_eq!(got.as_deref(), *expected, "value {value:?}");
    }
}

#[test]
fn a_refusal_names_the_parameter_and_the_character() {
    let refusal = check_value(&[], "host", "a\nb").err().unwrap();
    assert_eq!(
        refusal.args,
        [
            (
                "param".to_owned(),
                crate::domain::message::Arg::Text("host".to_owned())
            ),
            (
                "character".to_owned(),
                crate::domain::message::Arg::Text("U+000A".to_owned())
            ),
        ]
    );
    let refusal = check_value(&[], "host", "a;b").err().unwrap();
    assert!(
        refusal
            .args
            .iter()
            .any(|(_, arg)| *arg == crate::domain::message::Arg::Text("\";\"".to_owned()))
    );
}

/// (template, expected argv or refusal id)
type ArgvCase<'a> = (&'a [&'a str], Result<&'a [&'a str], &'a str>);

#[test]
fn placeholders_are_replaced_as_whole_arguments_only() {
    let values = params(&[("service", "checkout-api"), ("count", "3")]);
    // (template, expected argv or refusal id)
    let cases: &[ArgvCase] = &[
        (
            &["/usr/bin/getent", "hosts", "{service}"],
            Ok(&["/usr/bin/getent", "hosts", "checkout-api"]),
        ),
        (
            &["/bin/echo", "{count}", "{service}", "{}"],
            Ok(&["/bin/echo", "3", "checkout-api", "{}"]),
        ),
        (
            &["/bin/echo", "{ not a placeholder }"],
            Ok(&["/bin/echo", "{ not a placeholder }"]),
        ),
        (
            &["/bin/echo", "--host={service}"],
            Err("shell-placeholder-partial"),
        ),
        (
            &["/bin/echo", "x{service}"],
            Err("shell-placeholder-partial"),
        ),
        (&["/bin/echo", "{missing}"], Err("shell-param-missing")),
        (&["getent", "hosts"], Err("shell-no-program")),
        (&["{service}"], Err("shell-no-program")),
        (&[], Err("shell-no-program")),
    ];
    for (template, expected) in cases {
        let got = expand_argv("dns", &argv(template), &values, &[]).map_err(|msg| msg.id);
        let expected = expected.map(argv).map_err(str::to_owned);
        assert_eq!(got, expected, "template {template:?}");
    }
}

#[test]
fn a_bad_value_is_refused_before_anything_runs() {
    let values = params(&[("service", "$(reboot)")]);
    let got = expand_argv(
        "dns",
        &argv(&["/usr/bin/getent", "hosts", "{service}"]),
        &values,
        &[],
    );
    assert_eq!(
        got.err().map(|msg| msg.id).as_deref(),
        Some("shell-value-refused")
    );
}

#[test]
fn combined_output_is_bounded_and_marks_stderr() {
    let (output, details) = combine((b"out\n".to_vec(), false), (b"err".to_vec(), false));
    assert_eq!(output, "out\n--- stderr ---\nerr");
    assert!(details.is_empty());
    let big = vec![b'x'; MAX_ACTION_OUTPUT_BYTES / 2];
    let (output, details) = combine((big.clone(), true), (big, true));
    assert!(output.len() <= MAX_ACTION_OUTPUT_BYTES);
    assert_eq!(details.len(), 1);
    // Invalid UTF-8 grows when decoded lossily; the cut still lands on a character boundary.
    let invalid = vec![0xff; MAX_ACTION_OUTPUT_BYTES / 2];
    let (output, _) = combine((invalid.clone(), false), (invalid, false));
    assert!(output.len() <= MAX_ACTION_OUTPUT_BYTES);
}

#[test]
fn warroom_secrets_are_never_passed_to_programs() {
    let allowed = argv(&["PATH", "DISCORD_TOKEN", "LANG", "WARROOM_INGEST_TOKEN"]);
    assert_eq!(passed_env(&allowed), ["PATH", "LANG"]);
}

#[test]
fn a_declared_pattern_widens_what_the_run_time_check_accepts() {
    let declared = [ParamDef {
        name: "query".to_owned(),
        kind: ParamKind::String {
            pattern: Some("[a-z ]+".to_owned()),
        },
        required: true,
    }];
    assert!(check_value(&declared, "query", "a b").is_ok());
    assert!(check_value(&[], "query", "a b").is_err());
    assert!(check_value(&declared, "query", "a;b").is_err());
}
