//! `[[escalation]]`, `[quiet_hours]` and `[paging]`: read as written, validated by the pure
//! core (`domain::escalation`) or here (the pager's address and token), every problem named
//! by its key.

use super::*;
use crate::domain::escalation::{
    EscalationPolicy, QuietHours, RawEscalationPolicy, RawEscalationStep, RawQuietHours,
    parse_policies, parse_quiet_hours,
};
use crate::paging::PagingSettings;

/// The environment variable that holds the pager's bearer token; it wins over
/// `paging.token`.
pub const PAGING_TOKEN_ENV: &str = "WARROOM_PAGING_TOKEN";
const PAGING_TIMEOUT_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(120));

/// One `[[escalation]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct EscalationTable {
    severity: Vec<String>,
    steps: Vec<EscalationStepTable>,
}

/// One `[[escalation.steps]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EscalationStepTable {
    after: String,
    notify: Vec<String>,
    direct: bool,
    here: bool,
    page: bool,
    repeat: u32,
}

/// `[quiet_hours]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct QuietHoursSection {
    time_zone: String,
    from: String,
    to: String,
    severities: Vec<String>,
}

/// `[paging]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct PagingSection {
    webhook_url: Option<String>,
    token: Option<Secret>,
    timeout: Option<String>,
}

/// The validated escalation settings.
pub(super) struct EscalationSettings {
    pub(super) policies: Vec<EscalationPolicy>,
    pub(super) quiet_hours: Option<QuietHours>,
    pub(super) paging: Option<PagingSettings>,
}

pub(super) fn escalation_settings(
    tables: &[EscalationTable],
    quiet: Option<&QuietHoursSection>,
    paging: Option<&PagingSection>,
    env_paging_token: Option<String>,
    problems: &mut Vec<String>,
) -> EscalationSettings {
    let raw: Vec<RawEscalationPolicy> = tables
        .iter()
        .map(|table| RawEscalationPolicy {
            severity: table.severity.clone(),
            steps: table
                .steps
                .iter()
                .map(|step| RawEscalationStep {
                    after: step.after.clone(),
                    notify: step.notify.clone(),
                    direct: step.direct,
                    here: step.here,
                    page: step.page,
                    repeat: step.repeat,
                })
                .collect(),
        })
        .collect();
    let policies = parse_policies(&raw).unwrap_or_else(|found| {
        problems.extend(found.into_iter().map(|problem| problem.to_string()));
        Vec::new()
    });
    let quiet_hours = quiet.and_then(|section| {
        parse_quiet_hours(&RawQuietHours {
            time_zone: section.time_zone.clone(),
            from: section.from.clone(),
            to: section.to.clone(),
            severities: section.severities.clone(),
        })
        .map_err(|found| problems.extend(found.into_iter().map(|problem| problem.to_string())))
        .ok()
    });
    let paging = paging_settings(paging, env_paging_token, problems);
    let pages = policies
        .iter()
        .flat_map(|policy| {
            policy
                .steps
                .iter()
                .enumerate()
                .map(move |step| (policy, step))
        })
        .find(|(_, (_, step))| step.page);
    if paging.is_none()
        && let Some((policy, (index, _))) = pages
    {
        let at = policies
            .iter()
            .position(|other| std::ptr::eq(other, policy))
            .unwrap_or(0);
        problems.push(format!(
            "escalation[{at}].steps[{index}].page: pages need [paging] webhook_url; set it, or set page = false"
        ));
    }
    EscalationSettings {
        policies,
        quiet_hours,
        paging,
    }
}

fn paging_settings(
    section: Option<&PagingSection>,
    env_token: Option<String>,
    problems: &mut Vec<String>,
) -> Option<PagingSettings> {
    let section = section?;
    let Some(text) = section.webhook_url.as_deref() else {
        problems.push(
            "paging.webhook_url: missing; give the pager's address, like https://pager.example/page"
                .to_owned(),
        );
        return None;
    };
    let url = match reqwest::Url::parse(text.trim()) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            problems.push(
                "paging.webhook_url: holds a user name or password; put the secret in paging.token or WARROOM_PAGING_TOKEN instead"
                    .to_owned(),
            );
            return None;
        }
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
        // The address is shown without its query, and an unreadable one not at all: either
        // may hold a secret, and `warroom check` prints problems.
        Ok(url) => {
            problems.push(format!(
                "paging.webhook_url: \"{}\" is not an http(s) address; use one like https://pager.example/page",
                crate::paging::shown_url(&url)
            ));
            return None;
        }
        Err(error) => {
            problems.push(format!(
                "paging.webhook_url: is not an address ({error}); use one like https://pager.example/page"
            ));
            return None;
        }
    };
    let token = env_token.map(Secret::new).or(section.token.clone());
    if token.as_ref().is_some_and(|token| {
        token.expose().trim().is_empty() || token.expose().chars().any(char::is_control)
    }) {
        problems.push(format!(
            "paging.token: is blank or holds a control character; remove it or set the pager's token (or {PAGING_TOKEN_ENV})"
        ));
        return None;
    }
    let timeout = parse_duration(
        "paging.timeout",
        section.timeout.as_deref(),
        "10s",
        PAGING_TIMEOUT_BOUNDS,
        problems,
    );
    Some(PagingSettings {
        webhook_url: url,
        token,
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::super::file::parse_file;
    use super::*;

    fn load(text: &str) -> Result<Settings, Vec<String>> {
        let file = parse_file(text, "test.toml").map_err(|e| vec![e.to_string()])?;
        Settings::from_file(file, false, &Overrides::default(), None)
    }

    /// The problems of `text`, each cut to its key (what comes before the first ": ").
    fn keys(text: &str) -> Vec<String> {
        load(text)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|problem| problem.split(": ").next().unwrap_or("").to_owned())
            .collect()
    }

    const EXAMPLE: &str = r#"
[[escalation]]
severity = ["sev1"]
[[escalation.steps]]
after = "5m"
notify = ["commander", "operations", "duty_manager"]
direct = true
[[escalation.steps]]
after = "15m"
notify = ["duty_manager"]
here = true
page = true
repeat = 2
[paging]
webhook_url = "https://pager.example/page"
token = "pager-token-0123456789"
[quiet_hours]
time_zone = "Asia/Shanghai"
from = "22:00"
to = "08:00"
severities = ["sev3", "sev4"]
"#;

    #[test]
    fn the_issue_example_loads() {
        let settings = load(EXAMPLE).unwrap();
        let policy = &settings.policy;
        assert_eq!(policy.escalation.len(), 1);
        assert_eq!(policy.escalation[0].steps.len(), 2);
        assert_eq!(policy.escalation[0].steps[1].repeat, 2);
        let quiet = policy.quiet_hours.as_ref().unwrap();
        assert_eq!(quiet.time_zone, chrono_tz::Asia::Shanghai);
        let paging = settings.paging.as_ref().unwrap();
        assert_eq!(paging.webhook_url.as_str(), "https://pager.example/page");
        assert_eq!(paging.timeout, Duration::from_secs(10));
        assert_eq!(
            paging.token.as_ref().map(Secret::expose),
            Some("pager-token-0123456789")
        );
        assert!(!format!("{settings:?}").contains("pager-token-0123456789"));
    }

    #[test]
    fn without_the_sections_nothing_escalates_and_nothing_pages() {
        let settings = load("").unwrap();
        assert!(settings.policy.escalation.is_empty());
        assert!(settings.policy.quiet_hours.is_none());
        assert!(settings.paging.is_none());
    }

    #[test]
    fn bad_values_are_named_by_their_key() {
        let step = |body: &str| {
            format!("[[escalation]]\nseverity = [\"sev1\"]\n[[escalation.steps]]\n{body}\n")
        };
        let cases: Vec<(String, Vec<&str>)> = vec![
            (
                step("after = \"soon\"\nnotify = [\"commander\"]"),
                vec!["escalation[0].steps[0].after"],
            ),
            (
                step("after = \"5m\"\nnotify = [\"captain\"]"),
                vec!["escalation[0].steps[0].notify"],
            ),
            (
                step("after = \"5m\"\nnotify = [\"commander\"]\nrepeat = 50"),
                vec!["escalation[0].steps[0].repeat"],
            ),
            (
                step("after = \"5m\"\nnotify = [\"commander\"]\npage = true"),
                vec!["escalation[0].steps[0].page"],
            ),
            (
                "[[escalation]]\nseverity = [\"sev9\"]\n[[escalation.steps]]\nafter = \"5m\"\nnotify = [\"commander\"]\n"
                    .to_owned(),
                vec!["escalation[0].severity"],
            ),
            (
                "[paging]\nwebhook_url = \"ftp://pager.example/page\"\n".to_owned(),
                vec!["paging.webhook_url"],
            ),
            (
                "[paging]\nwebhook_url = \"not a url\"\n".to_owned(),
                vec!["paging.webhook_url"],
            ),
            (
                "[paging]\nwebhook_url = \"https://user:pw@pager.example/\"\n".to_owned(),
                vec!["paging.webhook_url"],
            ),
            ("[paging]\ntoken = \"abc\"\n".to_owned(), vec!["paging.webhook_url"]),
            (
                "[paging]\nwebhook_url = \"https://pager.example/\"\ntoken = \" \"\n".to_owned(),
                vec!["paging.token"],
            ),
            (
                "[paging]\nwebhook_url = \"https://pager.example/\"\ntimeout = \"1h\"\n"
                    .to_owned(),
                vec!["paging.timeout"],
            ),
            (
                "[quiet_hours]\ntime_zone = \"Mars/Olympus\"\nfrom = \"22:00\"\nto = \"8am\"\nseverities = [\"sev3\"]\n"
                    .to_owned(),
                vec!["quiet_hours.time_zone", "quiet_hours.to"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(keys(&text), expected, "{text}");
        }
        // A secret in a problem would be printed by `warroom check`.
        for url in [
            "https://user:pw-s3cret@pager.example/",
            "ftp://pager.example/page?key=query-s3cret",
            "pager.example/page?key=query-s3cret",
            "https://[pager.example/page?key=query-s3cret",
        ] {
            let problems = load(&format!("[paging]\nwebhook_url = \"{url}\"\n"))
                .err()
                .unwrap();
            assert!(
                problems.iter().all(|problem| !problem.contains("s3cret")),
                "{problems:?}"
            );
        }
    }
}
