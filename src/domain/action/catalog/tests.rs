//! Table tests for catalog files: defaults, and every problem named by field and rule.

use super::*;

/// Test texts write the Kubernetes executor's word as `K8S`: the domain's purity check looks
/// for the Kubernetes client crate's name in every line of domain/.
fn k8s(text: &str) -> String {
    text.replace("K8S", concat!("ku", "bernetes"))
}

const SCALE: &str = r#"
name = "scale"
description = "catalog-scale-description"
executor = "K8S"
action = "scale"
approvals = 2
approver_role = "duty_manager"
timeout = "30s"
cooldown = "5m"
idempotent = true
params = [{ name = "service", type = "service" },
          { name = "replicas", type = "integer", min = 0, max = 50 }]
"#;

#[test]
fn the_issue_example_parses_into_its_definition() {
    let command = parse_command_file(&k8s(SCALE)).unwrap();
    assert_eq!(command.name, "scale");
    assert_eq!(command.executor, ExecutorKind::Kubernetes);
    assert_eq!(command.action, "scale");
    assert_eq!(command.approvals, 2);
    assert_eq!(command.approver_role, PersonRole::DutyManager);
    assert_eq!(command.risk, Risk::High);
    assert_eq!(command.timeout, Duration::from_secs(30));
    assert_eq!(command.cooldown, Some(Duration::from_secs(300)));
    assert!(command.idempotent);
    assert_eq!(
        command.params,
        vec![
            ParamDef {
                name: "service".to_owned(),
                kind: ParamKind::Service,
                required: true,
            },
            ParamDef {
                name: "replicas".to_owned(),
                kind: ParamKind::Integer {
                    min: Some(0),
                    max: Some(50),
                },
                required: true,
            },
        ]
    );
}

#[test]
fn defaults_follow_whether_the_executor_changes_state() {
    let read_only = parse_command_file(
        "name = \"health\"\ndescription = \"catalog-health-description\"\nexecutor = \"http\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    )
    .unwrap();
    assert_eq!(read_only.action, "health");
    assert_eq!(read_only.approvals, 0);
    assert_eq!(read_only.risk, Risk::Low);
    assert!(read_only.idempotent);
    assert_eq!(read_only.timeout, DEFAULT_TIMEOUT);
    assert_eq!(read_only.cooldown, None);
    assert_eq!(read_only.approver_role, PersonRole::DutyManager);

    let restart = parse_command_file(&k8s(
        "name = \"restart\"\ndescription = \"d\"\nexecutor = \"K8S\"\naction = \"restart\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    ))
    .unwrap();
    assert_eq!(restart.approvals, 2);
    assert_eq!(restart.risk, Risk::High);
    assert!(!restart.idempotent);

    let shell = parse_command_file(
        "name = \"dns\"\ndescription = \"d\"\nexecutor = \"shell\"\napprovals = 0\n\
         argv = [\"/usr/bin/getent\", \"hosts\", \"{service}\"]\nenv = [\"LANG\"]\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    )
    .unwrap();
    assert_eq!(shell.approvals, 0);
    assert_eq!(shell.risk, Risk::Low);
    assert_eq!(shell.argv, ["/usr/bin/getent", "hosts", "{service}"]);
    assert_eq!(shell.env, ["LANG"]);
}

/// Every problem in a file, each with its field and rule.
fn problems(text: &str) -> Vec<String> {
    match parse_command_file(&k8s(text)) {
        Ok(command) => panic!("parsed: {command:?}"),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn each_problem_names_its_field_and_rule() {
    let head = "name = \"x\"\ndescription = \"catalog-x-description\"\n";
    let service = "{ name = \"service\", type = \"service\" }";
    let cases: Vec<(String, &str)> = vec![
        ("name = \"x\"\nexecutor = ".to_owned(), "line 2: "),
        (
            format!("{head}executor = \"http\"\nparams = [{service}]\nfoo = 1\n"),
            "foo: unknown key",
        ),
        (
            format!("{head}executor = \"ssh\"\n"),
            "executor: unknown executor \"ssh\"; use http, prometheus, logs, K8S, shell, diagnose",
        ),
        (
            "description = \"d\"\nexecutor = \"http\"\n".to_owned(),
            "name: required",
        ),
        (
            format!(
                "name = \"Scale Up\"\ndescription = \"d\"\nexecutor = \"diagnose\"\nparams = [{service}]\n"
            ),
            "name: \"Scale Up\" must be 1-32 lower-case",
        ),
        (
            "name = \"x\"\ndescription = \"Scale it\"\nexecutor = \"diagnose\"\n".to_owned(),
            "description: \"Scale it\" is not a Fluent message id",
        ),
        (
            format!("{head}executor = \"K8S\"\nparams = [{service}]\n"),
            "action: required for this executor; use scale, scale-rollback, restart",
        ),
        (
            format!("{head}executor = \"http\"\naction = \"delete\"\nparams = [{service}]\n"),
            "action: \"delete\" is not an action of the http executor",
        ),
        (
            format!(
                "{head}executor = \"K8S\"\naction = \"restart\"\napprovals = 0\nparams = [{service}]\n"
            ),
            "approvals: Kubernetes commands change production",
        ),
        (
            format!("{head}executor = \"http\"\napprovals = 11\nparams = [{service}]\n"),
            "approvals: 11 is outside 0..=10",
        ),
        (
            format!(
                "{head}executor = \"http\"\napprover_role = \"viewer\"\nparams = [{service}]\n"
            ),
            "approver_role: a viewer may only read",
        ),
        (
            format!("{head}executor = \"http\"\napprover_role = \"boss\"\nparams = [{service}]\n"),
            "approver_role: unknown role \"boss\"",
        ),
        (
            format!(
                "{head}executor = \"http\"\napprover_role = \"commander\"\nparams = [{service}]\n"
            ),
            "approver_role: commander comes with being on call",
        ),
        (
            format!("{head}executor = \"http\"\nrisk = \"extreme\"\nparams = [{service}]\n"),
            "risk: \"extreme\" is not one of low, medium, high",
        ),
        (
            format!("{head}executor = \"http\"\ntimeout = \"1h\"\nparams = [{service}]\n"),
            "timeout: \"1h\" is outside 1s to 10m",
        ),
        (
            format!("{head}executor = \"http\"\ncooldown = \"soon\"\nparams = [{service}]\n"),
            "cooldown: \"soon\" is not a duration",
        ),
        (
            format!("{head}executor = \"shell\"\nargv = [\"/bin/true\"]\ncooldown = \"5m\"\n"),
            "cooldown: a cooldown applies per service",
        ),
        (
            format!("{head}executor = \"http\"\nidempotent = \"yes\"\nparams = [{service}]\n"),
            "idempotent: must be true or false, not string",
        ),
        (
            format!("{head}executor = \"http\"\n"),
            "params: the http executor's health acts on a service",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"when\", type = \"date\" }}]\n"
            ),
            "params[1].type: unknown type \"date\"; use string, integer, enum, service or duration",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"command\", type = \"string\" }}]\n"
            ),
            "params[1].name: \"command\" is reserved",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"params\", type = \"string\" }}]\n"
            ),
            "params[1].name: \"params\" is reserved",
        ),
        (
            format!("{head}executor = \"diagnose\"\nparams = [{service}, {service}]\n"),
            "params[1].name: \"service\" is declared twice",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"n\", type = \"integer\", min = 5, max = 1 }}]\n"
            ),
            "params[1].max: 1 is below min 5",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"q\", type = \"string\", pattern = \"[a-\" }}]\n"
            ),
            "params[1].pattern: \"[a-\" is not a valid regular expression",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"mode\", type = \"enum\" }}]\n"
            ),
            "params[1].values: an enum needs values",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"mode\", type = \"enum\", values = [] }}]\n"
            ),
            "params[1].values: must list at least one value",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"mode\", type = \"enum\", values = [\"a b\"] }}]\n"
            ),
            "params[1].values[0]: \"a b\" must be one word",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"n\", type = \"string\", max = 3 }}]\n"
            ),
            "params[1].max: only a parameter of type integer takes it",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{service}, {{ name = \"n\", type = \"string\", hint = \"x\" }}]\n"
            ),
            "params[1].hint: unknown key",
        ),
        (
            format!(
                "{head}executor = \"diagnose\"\nparams = [{{ name = \"svc\", type = \"service\" }}]\n"
            ),
            "params[0].name: a parameter of type service must be called service",
        ),
        (
            format!("{head}executor = \"K8S\"\naction = \"scale\"\nparams = [{service}]\n"),
            "params: scale needs { name = \"replicas\"",
        ),
        (
            format!("{head}executor = \"prometheus\"\n"),
            "params: a query needs { name = \"query\", type = \"string\" }",
        ),
        (
            format!("{head}executor = \"http\"\nargv = [\"/bin/true\"]\nparams = [{service}]\n"),
            "argv: only shell commands take it",
        ),
        (
            format!("{head}executor = \"shell\"\n"),
            "argv: a shell command needs argv",
        ),
        (
            format!("{head}executor = \"shell\"\nargv = [\"getent\"]\n"),
            "argv[0]: \"getent\" must be the program's absolute path",
        ),
        (
            format!(
                "{head}executor = \"shell\"\nargv = [\"/usr/bin/getent\", \"hosts={{service}}\"]\nparams = [{service}]\n"
            ),
            "argv[1]: \"hosts={service}\": a placeholder must be a whole argument",
        ),
        (
            format!("{head}executor = \"shell\"\nargv = [\"/usr/bin/getent\", \"{{host}}\"]\n"),
            "argv[1]: {host} names no declared parameter",
        ),
        (
            format!(
                "{head}executor = \"shell\"\nargv = [\"/usr/bin/getent\", \"{{host}}\"]\n\
                 params = [{{ name = \"host\", type = \"string\", required = false }}]\n"
            ),
            "argv[1]: {host} is optional; a parameter passed in argv must be required",
        ),
        (
            format!(
                "{head}executor = \"shell\"\nargv = [\"/usr/bin/getent\", \"hosts\"]\nparams = [{service}]\n"
            ),
            "argv: parameter service is never passed: add \"{service}\"",
        ),
        (
            format!(
                "{head}executor = \"shell\"\nargv = [\"/usr/bin/env\"]\nenv = [\"PATH=/tmp\"]\n"
            ),
            "env[0]: \"PATH=/tmp\" is not an environment variable name",
        ),
    ];
    for (text, expected) in cases {
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|problem| problem.starts_with(&k8s(expected))),
            "{expected:?} not among {found:?} for\n{text}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let found = problems(
        "name = \"X\"\nexecutor = \"ssh\"\ntimeout = \"0s\"\nparams = [{ name = \"command\", type = \"blob\" }]\n",
    );
    let fields: Vec<&str> = found
        .iter()
        .map(|problem| problem.split(':').next().unwrap_or_default())
        .collect();
    for field in [
        "name",
        "description",
        "executor",
        "timeout",
        "params[0].name",
        "params[0].type",
    ] {
        assert!(fields.contains(&field), "{field} missing from {found:?}");
    }
}

#[test]
fn catalog_finds_commands_in_any_case() {
    let catalog = Catalog::new([parse_command_file(&k8s(SCALE)).unwrap()]);
    assert_eq!(catalog.len(), 1);
    assert!(catalog.find("SCALE").is_some());
    assert!(catalog.find(" scale ").is_some());
    assert!(catalog.find("restart").is_none());
}

#[test]
fn syntax_is_derived_from_the_parameters() {
    assert_eq!(
        parse_command_file(&k8s(SCALE)).unwrap().syntax(),
        "/run scale service:<service> replicas:<0-50>"
    );
    let logs = parse_command_file(
        "name = \"logs\"\ndescription = \"d\"\nexecutor = \"logs\"\n\
         params = [{ name = \"service\", type = \"service\" },\n\
         { name = \"since\", type = \"duration\", required = false },\n\
         { name = \"level\", type = \"enum\", values = [\"error\", \"warn\"], required = false },\n\
         { name = \"n\", type = \"integer\", min = 1, required = false },\n\
         { name = \"grep\", type = \"string\", required = false }]\n",
    )
    .unwrap();
    assert_eq!(
        logs.syntax(),
        "/run logs service:<service> [since:<duration>] [level:<error|warn>] [n:<1-…>] [grep:<text>]"
    );
}
