//! `[actions]`, `[[services]]`, `[kubernetes]`, `[prometheus]` and `[logs]`: the command
//! catalog (read from `commands_dir`, one file per command), the services everything acts
//! on (one list: probes derive their URLs from it), and where the executors reach their
//! systems. Every problem is reported with its key path (or its file and field).

use super::*;

use crate::domain::action::catalog::parse_command_file;
use crate::domain::action::{ActionPolicy, Catalog, CommandDef};
use crate::domain::probe::{HostPattern, ProbeRefusal, check_url};
use crate::domain::service::{ServiceCheck, ServiceDef, Services};
use crate::exec::{ExecSettings, KubernetesSettings, LogsKind, LogsSettings, PrometheusSettings};

/// Where the catalog lives unless `[actions] commands_dir` says otherwise, relative to the
/// config file's folder.
pub const DEFAULT_COMMANDS_DIR: &str = "commands";
pub const DEFAULT_APPROVAL_EXPIRY: &str = "15m";
const APPROVAL_EXPIRY_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(24 * 3600));
/// The most replicas a service's `max_replicas` may allow (the widest `/scale` takes).
const MAX_REPLICAS_BOUND: i64 = crate::domain::command::MAX_SCALE_REPLICAS;
/// Bounds on the catalog folder, so a wrong `commands_dir` cannot make start-up read a disk.
const MAX_CATALOG_FILES: usize = 200;
const MAX_CATALOG_FILE_BYTES: u64 = 64 * 1024;
const MAX_SERVICES: usize = 1000;
const MAX_CHECKS_PER_SERVICE: usize = 20;

/// The catalog as loaded from its folder.
#[derive(Debug, Clone, Default)]
pub struct CatalogLoad {
    pub catalog: Catalog,
    /// One line per problem: `commands/scale.toml: params[1].max: …`.
    pub problems: Vec<String>,
    /// Said by `warroom check`, never fatal (a missing folder: an empty catalog).
    pub warnings: Vec<String>,
}

/// Reads every `*.toml` in `dir` into the catalog: each file parsed and validated, duplicate
/// command names across files refused, each description a Fluent id every locale defines,
/// and `/scale` and `/diag` able to reach their catalog commands.
pub fn load_catalog(dir: &Path) -> CatalogLoad {
    let mut load = CatalogLoad::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            load.warnings.push(format!(
                "{}: no such folder, so the catalog is empty and /run, /diag and /scale refuse every command",
                dir.display()
            ));
            return load;
        }
        Err(error) => {
            load.problems.push(format!(
                "{}: cannot read the folder: {error}",
                dir.display()
            ));
            return load;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    if paths.len() > MAX_CATALOG_FILES {
        load.problems.push(format!(
            "{}: {} command files; at most {MAX_CATALOG_FILES}",
            dir.display(),
            paths.len()
        ));
        paths.truncate(MAX_CATALOG_FILES);
    }
    let descriptions = description_ids();
    let mut commands: Vec<(PathBuf, CommandDef)> = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let text = match read_small(&path) {
            Ok(text) => text,
            Err(error) => {
                load.problems.push(format!("{shown}: {error}"));
                continue;
            }
        };
        let command = match parse_command_file(&text) {
            Ok(command) => command,
            Err(problems) => {
                load.problems
                    .extend(problems.iter().map(|problem| format!("{shown}: {problem}")));
                continue;
            }
        };
        if let Some((other, _)) = commands
            .iter()
            .find(|(_, known)| known.name == command.name)
        {
            load.problems.push(format!(
                "{shown}: name: \"{}\" is already the name of {}",
                command.name,
                other.display()
            ));
            continue;
        }
        let before = load.problems.len();
        for (locale, ids) in &descriptions {
            if !ids.contains(&command.description) {
                load.problems.push(format!(
                    "{shown}: description: \"{}\" is not a message in locales/{locale}/warroom.ftl",
                    command.description
                ));
            }
        }
        if let Some(problem) = tree_mismatch(&command) {
            load.problems.push(format!("{shown}: params: {problem}"));
        }
        if load.problems.len() == before {
            commands.push((path, command));
        }
    }
    load.catalog = Catalog::new(commands.into_iter().map(|(_, command)| command));
    load
}

/// `/scale service replicas` and `/diag service` hand their options to the catalog commands
/// of the same name by option name, so those commands must declare them.
fn tree_mismatch(command: &CommandDef) -> Option<String> {
    let needs: &[&str] = match command.name.as_str() {
        "scale" => &["service", "replicas"],
        "diag" => &["service"],
        _ => return None,
    };
    let missing: Vec<&str> = needs
        .iter()
        .copied()
        .filter(|name| command.param(name).is_none())
        .collect();
    let extra_required: Vec<&str> = command
        .params
        .iter()
        .filter(|param| param.required && !needs.contains(&param.name.as_str()))
        .map(|param| param.name.as_str())
        .collect();
    if missing.is_empty() && extra_required.is_empty() {
        return None;
    }
    Some(format!(
        "/{} passes exactly {}; declare those{}",
        command.name,
        needs.join(" and "),
        if extra_required.is_empty() {
            String::new()
        } else {
            format!(" (and make {} optional)", extra_required.join(", "))
        }
    ))
}

fn read_small(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read: {error}"))?
        .len();
    if size > MAX_CATALOG_FILE_BYTES {
        return Err(format!(
            "{size} bytes; a command file holds at most {MAX_CATALOG_FILE_BYTES}"
        ));
    }
    std::fs::read_to_string(path).map_err(|error| format!("cannot read: {error}"))
}

/// Each locale's message ids, for checking descriptions.
fn description_ids() -> Vec<(&'static str, BTreeSet<String>)> {
    crate::i18n::SOURCES
        .iter()
        .map(|(locale, source)| (*locale, crate::i18n::message_ids_of(source)))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ActionsSection {
    pub(super) commands_dir: Option<PathBuf>,
    pub(super) approval_expiry: Option<String>,
    pub(super) auto_diagnose: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct KubernetesSection {
    pub(super) url: Option<String>,
    pub(super) dry_run: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct PrometheusSection {
    pub(super) url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LogsSection {
    pub(super) kind: Option<String>,
    pub(super) url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckConfig {
    pub(super) name: String,
    pub(super) promql: String,
    pub(super) max: Option<f64>,
    pub(super) min: Option<f64>,
}

/// `[actions]` and the catalog, with the services already built.
pub(super) fn action_policy(
    section: &ActionsSection,
    services: Services,
    base_dir: &Path,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> (ActionPolicy, PathBuf) {
    let approval_expiry = parse_duration(
        "actions.approval_expiry",
        section.approval_expiry.as_deref(),
        DEFAULT_APPROVAL_EXPIRY,
        APPROVAL_EXPIRY_BOUNDS,
        problems,
    );
    let dir = base_dir.join(
        section
            .commands_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_COMMANDS_DIR)),
    );
    let load = load_catalog(&dir);
    if section.auto_diagnose && load.catalog.get("diag").is_none() {
        problems.push(format!(
            "actions.auto_diagnose: runs the catalog's diag command, and {} has none",
            dir.display()
        ));
    }
    problems.extend(load.problems);
    warnings.extend(load.warnings);
    let policy = ActionPolicy {
        catalog: load.catalog,
        services,
        approval_expiry: chrono::Duration::from_std(approval_expiry)
            .unwrap_or(chrono::Duration::minutes(15)),
        auto_diagnose: section.auto_diagnose,
    };
    (policy, dir)
}

/// `[probes]` and `[[services]]` into the core's probe policy and the services; every problem
/// is reported. The probe policy's service URLs derive from the services (one list).
pub(super) fn probe_policy(
    section: &file::ProbesSection,
    services: &[file::ServiceConfig],
    problems: &mut Vec<String>,
) -> (
    crate::domain::probe::ProbePolicy,
    crate::domain::service::Services,
) {
    use crate::domain::probe::{HostPattern, MAX_PROBE_TIMEOUT_MS, ProbePolicy};
    let mut allow_hosts = Vec::new();
    for (index, text) in section.allow_hosts.iter().enumerate() {
        match HostPattern::parse(text) {
            Ok(pattern) => allow_hosts.push(pattern),
            Err(error) => problems.push(format!("probes.allow_hosts[{index}]: {error}")),
        }
    }
    let timeout = parse_duration(
        "probes.timeout",
        section.timeout.as_deref(),
        "5s",
        (
            Duration::from_millis(10),
            Duration::from_millis(MAX_PROBE_TIMEOUT_MS),
        ),
        problems,
    );
    let services = self::services(services, &allow_hosts, problems);
    let service_urls = services
        .iter()
        .filter_map(|service| Some((service.name.clone(), service.health_url.clone()?)))
        .collect();
    let policy = ProbePolicy {
        allow_hosts,
        service_urls,
        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(MAX_PROBE_TIMEOUT_MS),
    };
    (policy, services)
}

/// `[[services]]`: names unique and one word, health URLs probe-able, Kubernetes names and
/// replica bounds sane, dependencies naming configured services, checks with a threshold.
pub(super) fn services(
    configs: &[file::ServiceConfig],
    allow_hosts: &[HostPattern],
    problems: &mut Vec<String>,
) -> Services {
    if configs.len() > MAX_SERVICES {
        problems.push(format!(
            "services: {} services; at most {MAX_SERVICES}",
            configs.len()
        ));
    }
    let names: BTreeSet<&str> = configs.iter().map(|s| s.name.trim()).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (index, config) in configs.iter().enumerate().take(MAX_SERVICES) {
        let key = format!("services[{index}]");
        let name = config.name.trim();
        if name.is_empty() {
            problems.push(format!("{key}.name: must not be empty"));
            continue;
        }
        if !is_service_name(name) {
            problems.push(format!(
                "{key}.name: \"{name}\" must be 1-63 letters, digits, -, _ or . (it is typed as one word in /diag and /scale)"
            ));
            continue;
        }
        if !seen.insert(name.to_owned()) {
            problems.push(format!("{key}.name: service \"{name}\" is listed twice"));
            continue;
        }
        let health_url = config.health_url.as_deref().map(str::trim).and_then(|url| {
            match check_url(url, allow_hosts) {
                Ok(_) => Some(url.to_owned()),
                Err(refusal @ (ProbeRefusal::HostNotAllowed { .. } | ProbeRefusal::PortNotAllowed { .. })) => {
                    problems.push(format!(
                        "{key}.health_url: {refusal}, so it would never be probed; add it there"
                    ));
                    None
                }
                Err(refusal) => {
                    problems.push(format!(
                        "{key}.health_url: {refusal}; give an http:// or https:// URL without a user name or password"
                    ));
                    None
                }
            }
        });
        for (field, value, most) in [
            ("namespace", &config.namespace, 63),
            ("deployment", &config.deployment, 253),
        ] {
            if let Some(value) = value
                && !is_kubernetes_name(value, most)
            {
                problems.push(format!(
                    "{key}.{field}: \"{value}\" is not a Kubernetes name (lower-case letters, digits, - and ., at most {most})"
                ));
            }
        }
        let replicas = |field: &str, value: Option<i64>, problems: &mut Vec<String>| {
            let value = value?;
            if (0..=MAX_REPLICAS_BOUND).contains(&value) {
                i32::try_from(value).ok()
            } else {
                problems.push(format!(
                    "{key}.{field}: {value} is outside 0..={MAX_REPLICAS_BOUND}"
                ));
                None
            }
        };
        let min_replicas = replicas("min_replicas", config.min_replicas, problems);
        let max_replicas = replicas("max_replicas", config.max_replicas, problems);
        if let (Some(min), Some(max)) = (min_replicas, max_replicas)
            && min > max
        {
            problems.push(format!(
                "{key}.max_replicas: {max} is below min_replicas {min}"
            ));
        }
        let mut depends_on = Vec::new();
        for (at, dependency) in config.depends_on.iter().enumerate() {
            let dependency = dependency.trim();
            if dependency == name {
                problems.push(format!(
                    "{key}.depends_on[{at}]: a service may not depend on itself"
                ));
            } else if !names.contains(dependency) {
                problems.push(format!(
                    "{key}.depends_on[{at}]: \"{dependency}\" is not a configured service"
                ));
            } else if depends_on.iter().any(|known| known == dependency) {
                problems.push(format!(
                    "{key}.depends_on[{at}]: \"{dependency}\" is listed twice"
                ));
            } else {
                depends_on.push(dependency.to_owned());
            }
        }
        let checks = service_checks(&key, &config.checks, problems);
        let log_selector = config.log_selector.as_deref().map(str::trim);
        if log_selector.is_some_and(str::is_empty) {
            problems.push(format!(
                "{key}.log_selector: must not be empty; remove it or give a selector such as {{app=\"{name}\"}}"
            ));
        }
        out.push(ServiceDef {
            name: name.to_owned(),
            health_url,
            namespace: config.namespace.clone(),
            deployment: config.deployment.clone(),
            min_replicas,
            max_replicas,
            depends_on,
            checks,
            log_selector: log_selector.filter(|s| !s.is_empty()).map(str::to_owned),
        });
    }
    Services::new(out)
}

fn service_checks(
    key: &str,
    configs: &[CheckConfig],
    problems: &mut Vec<String>,
) -> Vec<ServiceCheck> {
    if configs.len() > MAX_CHECKS_PER_SERVICE {
        problems.push(format!(
            "{key}.checks: {} checks; at most {MAX_CHECKS_PER_SERVICE}",
            configs.len()
        ));
    }
    let mut checks: Vec<ServiceCheck> = Vec::new();
    for (index, check) in configs.iter().enumerate().take(MAX_CHECKS_PER_SERVICE) {
        let at = format!("{key}.checks[{index}]");
        let name = check.name.trim();
        if name.is_empty() {
            problems.push(format!("{at}.name: must not be empty"));
        } else if checks.iter().any(|known| known.name == name) {
            problems.push(format!("{at}.name: \"{name}\" is listed twice"));
        }
        if check.promql.trim().is_empty() {
            problems.push(format!("{at}.promql: must not be empty"));
        }
        match (check.min, check.max) {
            (None, None) => problems.push(format!(
                "{at}: needs max, min or both (the threshold the value must stay within)"
            )),
            (Some(min), Some(max)) if min > max => {
                problems.push(format!("{at}.max: {max} is below min {min}"));
            }
            _ => {}
        }
        for (field, value) in [("min", check.min), ("max", check.max)] {
            if value.is_some_and(|value| !value.is_finite()) {
                problems.push(format!("{at}.{field}: must be a finite number"));
            }
        }
        checks.push(ServiceCheck {
            name: name.to_owned(),
            promql: check.promql.trim().to_owned(),
            max: check.max,
            min: check.min,
        });
    }
    checks
}

fn is_service_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn is_kubernetes_name(name: &str, most: usize) -> bool {
    !name.is_empty()
        && name.len() <= most
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// `[kubernetes]`, `[prometheus]` and `[logs]` into the executors' settings; the http
/// executor fetches what probes may (`[probes] allow_hosts`, one list).
pub(super) fn exec_settings(
    kubernetes: &KubernetesSection,
    prometheus: Option<&PrometheusSection>,
    logs: Option<&LogsSection>,
    allow_hosts: &[HostPattern],
    problems: &mut Vec<String>,
) -> ExecSettings {
    let kubernetes = KubernetesSettings {
        url: kubernetes
            .url
            .as_deref()
            .and_then(|url| base_url("kubernetes.url", url, problems)),
        dry_run: kubernetes.dry_run,
    };
    let prometheus = prometheus.and_then(|section| match section.url.as_deref() {
        Some(url) => {
            base_url("prometheus.url", url, problems).map(|url| PrometheusSettings { url })
        }
        None => {
            problems.push(
                "prometheus.url: required, e.g. http://prometheus:9090 (or remove [prometheus])"
                    .to_owned(),
            );
            None
        }
    });
    let logs = logs.and_then(|section| {
        let kind = match section.kind.as_deref().map(str::trim) {
            Some("loki") => Some(LogsKind::Loki),
            Some("elasticsearch") => Some(LogsKind::Elasticsearch),
            Some(other) => {
                problems.push(format!(
                    "logs.kind: \"{other}\" is not one of loki, elasticsearch"
                ));
                None
            }
            None => {
                problems.push("logs.kind: required: loki or elasticsearch".to_owned());
                None
            }
        };
        let url = match section.url.as_deref() {
            Some(url) => base_url("logs.url", url, problems),
            None => {
                problems.push(
                    "logs.url: required, e.g. http://loki:3100 (or remove [logs])".to_owned(),
                );
                None
            }
        };
        Some(LogsSettings {
            kind: kind?,
            url: url?,
        })
    });
    ExecSettings {
        kubernetes,
        prometheus,
        logs,
        allow_hosts: allow_hosts.to_vec(),
    }
}

/// An http(s) base URL without credentials (they belong in the environment or a token
/// file, never the config); the URL is never repeated in a problem, as it might hold one.
fn base_url(key: &str, url: &str, problems: &mut Vec<String>) -> Option<String> {
    let url = url.trim();
    match ::url::Url::parse(url) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
            problems.push(format!("{key}: must be an http:// or https:// URL"));
            None
        }
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            problems.push(format!(
                "{key}: must not hold a user name or password; give credentials another way"
            ));
            None
        }
        Ok(parsed) if parsed.query().is_some() || parsed.fragment().is_some() => {
            problems.push(format!(
                "{key}: must be a base URL without ?query or #fragment"
            ));
            None
        }
        Ok(parsed) if parsed.host_str().is_some() => Some(url.trim_end_matches('/').to_owned()),
        _ => {
            problems.push(format!("{key}: is not a URL like http://prometheus:9090"));
            None
        }
    }
}

#[cfg(test)]
mod tests;
