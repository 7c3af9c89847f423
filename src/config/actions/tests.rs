//! `[actions]`, `[[services]]`, the executors' sections and the catalog folder: what loads,
//! and every problem named by key or by file and field.

use super::*;

fn load_in(text: &str, base: &Path) -> Result<Settings, Vec<String>> {
    let file = parse_file(text, "test.toml").map_err(|e| vec![e.to_string()])?;
    Settings::from_file_with_discord(file, false, &Overrides::default(), None, None, base)
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SERVICES: &str = r#"
[probes]
allow_hosts = ["checkout-api:8080"]
[[services]]
name = "checkout-api"
health_url = "http://checkout-api:8080/healthz"
namespace = "shop"
deployment = "checkout-api"
min_replicas = 2
max_replicas = 10
depends_on = ["payments-api", "postgres-main"]
checks = [{ name = "error_rate", promql = "sum(rate(errors[5m]))", max = 0.05 }]
log_selector = '{app="checkout"}'
[[services]]
name = "payments-api"
depends_on = ["postgres-main"]
[[services]]
name = "postgres-main"
"#;

#[test]
fn the_actions_sections_build_the_policy_and_the_executors_settings() {
    let text = format!(
        "{SERVICES}\n[actions]\ncommands_dir = \"{}\"\napproval_expiry = \"30m\"\nauto_diagnose = true\n\
         [kubernetes]\nurl = \"http://127.0.0.1:6443/\"\ndry_run = true\n\
         [prometheus]\nurl = \"http://prometheus:9090\"\n[logs]\nkind = \"elasticsearch\"\nurl = \"https://es:9200\"\n",
        repository().join("commands").display()
    );
    let settings = load_in(&text, Path::new("/nowhere")).unwrap();
    let actions = &settings.policy.actions;
    assert_eq!(actions.approval_expiry, chrono::Duration::minutes(30));
    assert!(actions.auto_diagnose);
    let names: Vec<&str> = actions.catalog.names().collect();
    assert_eq!(
        names,
        [
            "diag",
            "dns",
            "health",
            "logs",
            "promql",
            "restart",
            "scale",
            "scale-rollback"
        ]
    );
    let checkout = actions.services.get("checkout-api").unwrap();
    assert_eq!(checkout.namespace.as_deref(), Some("shop"));
    assert_eq!(checkout.deployment.as_deref(), Some("checkout-api"));
    assert_eq!(
        (checkout.min_replicas, checkout.max_replicas),
        (Some(2), Some(10))
    );
    assert_eq!(checkout.depends_on, ["payments-api", "postgres-main"]);
    assert_eq!(checkout.checks[0].name, "error_rate");
    assert_eq!(checkout.checks[0].max, Some(0.05));
    assert_eq!(checkout.log_selector.as_deref(), Some("{app=\"checkout\"}"));
    let reach: Vec<String> = actions
        .services
        .reachable("checkout-api", 3)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(reach, ["checkout-api", "payments-api", "postgres-main"]);
    // Probes read their URLs from the same services: one list.
    assert_eq!(
        settings.policy.probes.service_urls,
        BTreeMap::from([(
            "checkout-api".to_owned(),
            "http://checkout-api:8080/healthz".to_owned()
        )])
    );
    let exec = &settings.exec;
    assert_eq!(
        exec.kubernetes.url.as_deref(),
        Some("http://127.0.0.1:6443")
    );
    assert!(exec.kubernetes.dry_run);
    assert_eq!(
        exec.prometheus.as_ref().map(|p| p.url.as_str()),
        Some("http://prometheus:9090")
    );
    let logs = exec.logs.as_ref().unwrap();
    assert_eq!(
        (logs.kind, logs.url.as_str()),
        (LogsKind::Elasticsearch, "https://es:9200")
    );
    assert_eq!(exec.allow_hosts, settings.policy.probes.allow_hosts);
    assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);

    // The shipped catalog binds the issue's request against these services.
    let (command, params) = crate::domain::action::params::bind_action(
        actions,
        "scale",
        &crate::domain::command::ActionParams::Raw("checkout-api 3".to_owned()),
    )
    .unwrap();
    assert_eq!(command.cooldown, Some(Duration::from_secs(300)));
    assert_eq!(params.get("replicas").map(String::as_str), Some("3"));
}

#[test]
fn defaults_read_commands_next_to_the_config_and_warn_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let settings = load_in("", dir.path()).unwrap();
    assert_eq!(settings.commands_dir, dir.path().join("commands"));
    assert!(settings.policy.actions.catalog.is_empty());
    assert_eq!(
        settings.policy.actions.approval_expiry,
        chrono::Duration::minutes(15)
    );
    assert!(!settings.policy.actions.auto_diagnose);
    assert!(settings.exec.prometheus.is_none() && settings.exec.logs.is_none());
    assert_eq!(settings.exec.kubernetes.url, None);
    assert!(
        settings.warnings[0].contains("no such folder, so the catalog is empty"),
        "{:?}",
        settings.warnings
    );
    let problems = load_in("[actions]\nauto_diagnose = true\n", dir.path()).unwrap_err();
    assert!(
        problems[0].starts_with("actions.auto_diagnose: runs the catalog's diag command"),
        "{problems:?}"
    );
}

#[test]
fn every_problem_is_named_by_its_key() {
    let text = r#"
[actions]
approval_expiry = "30s"
commands = "x"
[[services]]
name = "a b"
[[services]]
name = "api"
namespace = "Shop"
min_replicas = 5
max_replicas = 3
depends_on = ["api", "nowhere", "db", "db"]
checks = [{ name = "", promql = " " }, { name = "lat", promql = "x", min = 2.0, max = 1.0 }]
log_selector = " "
[[services]]
name = "db"
max_replicas = 5000
[[services]]
name = "db"
[kubernetes]
url = "ftp://k8s"
[prometheus]
url = "http://admin:hunter2@prometheus:9090"
[logs]
kind = "splunk"
"#;
    let file = parse_file(text, "test.toml");
    // `commands` is not a key of [actions]: unknown keys stay refused.
    assert!(file.is_err());
    let text = text.replace("commands = \"x\"\n", "");
    let problems = load_in(&text, Path::new(".")).unwrap_err();
    for expected in [
        "actions.approval_expiry: \"30s\" is outside 1m to 1day",
        "services[0].name: \"a b\" must be 1-63 letters",
        "services[1].namespace: \"Shop\" is not a Kubernetes name",
        "services[1].max_replicas: 3 is below min_replicas 5",
        "services[1].depends_on[0]: a service may not depend on itself",
        "services[1].depends_on[1]: \"nowhere\" is not a configured service",
        "services[1].depends_on[3]: \"db\" is listed twice",
        "services[1].checks[0].name: must not be empty",
        "services[1].checks[0].promql: must not be empty",
        "services[1].checks[0]: needs max, min or both",
        "services[1].checks[1].max: 1 is below min 2",
        "services[1].log_selector: must not be empty",
        "services[2].max_replicas: 5000 is outside 0..=1000",
        "services[3].name: service \"db\" is listed twice",
        "kubernetes.url: must be an http:// or https:// URL",
        "prometheus.url: must not hold a user name or password",
        "logs.kind: \"splunk\" is not one of loki, elasticsearch",
        "logs.url: required",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected}: {problems:#?}"
        );
    }
    assert!(
        !problems.iter().any(|p| p.contains("hunter2")),
        "a URL's password is never repeated: {problems:?}"
    );
    let unknown = parse_file("[[services]]\nname = \"a\"\nreplicas = 3\n", "t.toml");
    assert!(unknown.is_err());
    let unknown = parse_file(
        "[logs]\nkind = \"loki\"\nurl = \"http://l\"\ntoken = \"x\"\n",
        "t.toml",
    );
    assert!(unknown.is_err());
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn the_catalog_folder_names_each_problem_by_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    write(
        path,
        "a.toml",
        "name = \"health\"\ndescription = \"catalog-health-description\"\nexecutor = \"http\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    write(
        path,
        "b.toml",
        "name = \"health\"\ndescription = \"catalog-health-description\"\nexecutor = \"http\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    write(
        path,
        "c.toml",
        "name = \"wipe\"\ndescription = \"catalog-wipe-description\"\nexecutor = \"diagnose\"\n\
         params = [{ name = \"service\", type = \"service\" }]\n",
    );
    write(
        path,
        "d.toml",
        "name = \"x\"\ndescription = \"d\"\nexecutor = \"http\"\n\
         params = [{ name = \"service\", type = \"service\" }, { name = \"n\", type = \"integer\", min = 5, max = 1 }]\n",
    );
    write(
        path,
        "scale.toml",
        "name = \"scale\"\ndescription = \"catalog-scale-description\"\nexecutor = \"kubernetes\"\naction = \"scale\"\n\
         params = [{ name = \"service\", type = \"service\" }, { name = \"replicas\", type = \"integer\" }, { name = \"why\", type = \"string\" }]\n",
    );
    write(path, "notes.txt", "not a command");
    let load = load_catalog(path);
    let shown = |file: &str| path.join(file).display().to_string();
    for expected in [
        format!(
            "{}: name: \"health\" is already the name of {}",
            shown("b.toml"),
            shown("a.toml")
        ),
        format!(
            "{}: description: \"catalog-wipe-description\" is not a message in locales/en-US/warroom.ftl",
            shown("c.toml")
        ),
        format!(
            "{}: description: \"catalog-wipe-description\" is not a message in locales/zh-CN/warroom.ftl",
            shown("c.toml")
        ),
        format!("{}: params[1].max: 1 is below min 5", shown("d.toml")),
        format!(
            "{}: params: /scale passes exactly service and replicas; declare those (and make why optional)",
            shown("scale.toml")
        ),
    ] {
        assert!(
            load.problems.contains(&expected),
            "{expected}\n{:#?}",
            load.problems
        );
    }
    let names: Vec<&str> = load.catalog.names().collect();
    assert_eq!(names, ["health"]);

    let problems = load_in(
        &format!("[actions]\ncommands_dir = \"{}\"\n", path.display()),
        Path::new("."),
    )
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("params[1].max: 1 is below min 5"))
    );
}

#[test]
fn the_readme_example_is_a_valid_config() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let start = readme
        .find("```toml\n[actions]")
        .expect("README has the actions example");
    let block = &readme[start + "```toml\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let text = format!(
        "[probes]\nallow_hosts = [\"checkout-api:8080\"]\n{}\n[[services]]\nname = \"payments-api\"\n[[services]]\nname = \"postgres-main\"\n",
        block.replace(
            "commands_dir = \"commands\"",
            &format!(
                "commands_dir = \"{}\"",
                repository().join("commands").display()
            )
        )
    );
    let settings = load_in(&text, Path::new(".")).unwrap();
    assert_eq!(settings.policy.actions.catalog.len(), 8);
}
