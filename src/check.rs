//! `warroom check`: validates the config, the locales, commands/ and playbooks/ offline and
//! says exactly what is wrong.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, Overrides, Settings};
use crate::i18n::{DEFAULT_LOCALE, I18n};

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub what: String,
    pub detail: String,
}

/// The report as `warroom check` prints it: one finding, so one problem, per line.
pub fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|finding| {
            let mark = if finding.ok { "ok  " } else { "FAIL" };
            format!("{mark} {}: {}\n", finding.what, finding.detail)
        })
        .collect()
}

/// Runs every check; `root` holds playbooks/ (and commands/ when no config file names
/// another folder).
pub fn run(config: Option<&Path>, root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    let origin = config
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "built-in defaults".to_owned());
    match Settings::load_in(config, &Overrides::default(), root) {
        Ok(settings) => {
            if !settings.someone_can_act() {
                findings.push(Finding {
                    ok: false,
                    what: format!("users ({origin})"),
                    detail: "nobody can act on incidents: no console user both holds a role \
                             that acts and has a token_sha256, and no Discord role maps to a \
                             role that acts; give someone responder, duty_manager or an on-call \
                             role, and a token (`warroom token new <user>`)"
                        .to_owned(),
                });
            }
            findings.push(Finding {
                ok: true,
                what: format!("config ({origin})"),
                detail: format!(
                    "{} users, listening on {}, data in {}",
                    settings.people.len(),
                    settings.http_addr,
                    settings.data_dir.display()
                ),
            });
            findings.push(Finding {
                ok: true,
                what: "chat".to_owned(),
                detail: match &settings.discord {
                    Some(discord) => format!(
                        "Discord guild {}, incidents category {}, {} role mapping(s), API {}{}",
                        discord.guild_id,
                        discord.incidents_category_id,
                        discord.role_map.len(),
                        discord.api_base,
                        if discord.private_category {
                            ", private category"
                        } else {
                            ""
                        }
                    ),
                    None => "the built-in console (no Discord token)".to_owned(),
                },
            });
            findings.push(web_finding(&settings));
            findings.push(oncall_finding(&settings));
            findings.push(Finding {
                ok: true,
                what: "reminders".to_owned(),
                detail: match settings.policy.ack_reminder {
                    Some(interval) => format!(
                        "an incident still triggered is reminded every {} min, {} time(s) at most \
                         (severities without an [[escalation]] table)",
                        interval.num_minutes(),
                        settings.policy.ack_reminder_max
                    ),
                    None => "off ([incidents] ack_reminder unset)".to_owned(),
                },
            });
            findings.push(status_updates_finding(&settings));
            let tasks = &settings.policy.tasks;
            findings.push(Finding {
                ok: true,
                what: "tasks".to_owned(),
                detail: format!(
                    "an overdue task's assignee is reminded every {} min, {} time(s), then the \
                     commander and then the duty manager are asked; follow-ups added after \
                     resolve fall due after {} h",
                    tasks.reminder_interval.num_minutes(),
                    tasks.max_reminders,
                    tasks.followup.num_hours()
                ),
            });
            findings.push(escalation_finding(&settings));
            let probes = &settings.policy.probes;
            findings.push(Finding {
                ok: true,
                what: "probes".to_owned(),
                detail: if probes.allow_hosts.is_empty() {
                    "off: no host in [probes] allow_hosts, health URLs are noted, never fetched"
                        .to_owned()
                } else {
                    format!(
                        "may fetch {} (timeout {} ms); {} service health URL(s)",
                        probes
                            .allow_hosts
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                        probes.timeout_ms,
                        probes.service_urls.len()
                    )
                },
            });
            findings.push(actions_finding(&settings));
            findings.extend(settings.warnings.iter().map(|warning| Finding {
                ok: true,
                what: "actions".to_owned(),
                detail: format!("warning: {warning}"),
            }));
        }
        // One line per problem, so each can be read and fixed on its own.
        Err(ConfigError::Invalid { path, problems }) => {
            findings.extend(problems.into_iter().map(|problem| Finding {
                ok: false,
                what: format!("config ({path})"),
                detail: problem,
            }));
        }
        Err(error) => findings.push(Finding {
            ok: false,
            what: "config".to_owned(),
            detail: error.to_string(),
        }),
    }
    // The catalog (`[actions] commands_dir`) is read and checked with the config: each of
    // its problems is a config problem naming file and field.
    findings.extend(check_locales());
    findings.extend(check_files(
        &root.join("playbooks"),
        &["yaml", "yml"],
        |text| {
            serde_norway::from_str::<serde_norway::Value>(text)
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    ));
    findings
}

/// One line about the web console: its mode, where people open it, how long a sign-in
/// lasts, and whether the session cookie is `Secure`.
fn web_finding(settings: &Settings) -> Finding {
    use crate::config::WebMode;
    let web = &settings.web;
    let what = "web console".to_owned();
    let mode = match web.mode {
        WebMode::Off => {
            return Finding {
                ok: true,
                what,
                detail: "off ([console] web = \"off\"): nothing is served at /".to_owned(),
            };
        }
        WebMode::Act => "act (pages, command box, buttons)",
        WebMode::Read => "read (pages only; writes answer 403)",
    };
    let address = match &web.public_url {
        Some(url) => url.origin().ascii_serialization() + "/",
        None if settings.http_addr.ip().is_unspecified() => {
            format!("http://<this host>:{}/", settings.http_addr.port())
        }
        None => format!("http://{}/", settings.http_addr),
    };
    let sign_in = if settings.demo_users {
        "the demo users sign in with one click"
    } else {
        "people sign in with their user token"
    };
    let cookie = if web.secure_cookies() {
        "session cookie Secure".to_owned()
    } else if settings.http_addr.ip().is_loopback() {
        "session cookie not Secure (plain http on loopback)".to_owned()
    } else {
        "warning: session cookie not Secure; serve it over https and set [console] public_url \
         = \"https://…\""
            .to_owned()
    };
    Finding {
        ok: true,
        what,
        detail: format!(
            "{mode} at {address}; {sign_in}; sessions last {}; {cookie}",
            humantime::format_duration(web.session_ttl)
        ),
    }
}

/// One line about actions: the catalog loaded, the services, and which systems the
/// executors reach.
fn actions_finding(settings: &Settings) -> Finding {
    let actions = &settings.policy.actions;
    let exec = &settings.exec;
    let names: Vec<&str> = actions.catalog.names().collect();
    let commands = if names.is_empty() {
        format!("no commands in {}", settings.commands_dir.display())
    } else {
        format!(
            "{} command(s) from {} ({})",
            names.len(),
            settings.commands_dir.display(),
            names.join(", ")
        )
    };
    let kubernetes = format!(
        "kubernetes {}{}",
        exec.kubernetes
            .url
            .as_deref()
            .unwrap_or("in-cluster or KUBECONFIG"),
        if exec.kubernetes.dry_run {
            " (dry run)"
        } else {
            ""
        }
    );
    let prometheus = match &exec.prometheus {
        Some(prometheus) => format!("prometheus {}", prometheus.url),
        None => "prometheus not configured".to_owned(),
    };
    let logs = match &exec.logs {
        Some(logs) => format!(
            "logs {} {}",
            match logs.kind {
                crate::exec::LogsKind::Loki => "loki",
                crate::exec::LogsKind::Elasticsearch => "elasticsearch",
            },
            logs.url
        ),
        None => "logs not configured".to_owned(),
    };
    Finding {
        ok: true,
        what: "actions".to_owned(),
        detail: format!(
            "{commands}; {} service(s); approvals expire after {} min{}; {kubernetes}; {prometheus}; {logs}",
            actions.services.iter().count(),
            actions.approval_expiry.num_minutes(),
            if actions.auto_diagnose {
                "; auto-diagnose on"
            } else {
                ""
            }
        ),
    }
}

fn check_locales() -> Vec<Finding> {
    let i18n = match I18n::builtin() {
        Ok(i18n) => i18n,
        Err(error) => {
            return vec![Finding {
                ok: false,
                what: "locales".to_owned(),
                detail: error.to_string(),
            }];
        }
    };
    let reference = i18n.message_ids(DEFAULT_LOCALE);
    let mut problems = Vec::new();
    for locale in i18n.locales() {
        let ids = i18n.message_ids(locale);
        let missing: Vec<&String> = reference.difference(&ids).collect();
        if !missing.is_empty() {
            problems.push(format!("{locale} lacks {missing:?}"));
        }
    }
    if problems.is_empty() {
        return vec![Finding {
            ok: true,
            what: "locales".to_owned(),
            detail: format!(
                "{} ({} messages each)",
                i18n.locales().join(", "),
                reference.len()
            ),
        }];
    }
    problems
        .into_iter()
        .map(|detail| Finding {
            ok: false,
            what: "locales".to_owned(),
            detail,
        })
        .collect()
}

fn check_files(
    dir: &Path,
    extensions: &[&str],
    parse: impl Fn(&str) -> Result<(), String>,
) -> Vec<Finding> {
    let what = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return vec![Finding {
                ok: true,
                what,
                detail: "absent (nothing to check)".to_owned(),
            }];
        }
        Err(error) => {
            return vec![Finding {
                ok: false,
                what,
                detail: error.to_string(),
            }];
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        })
        .collect();
    paths.sort();
    let mut findings = Vec::new();
    for path in &paths {
        let result = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| parse(&text));
        findings.push(Finding {
            ok: result.is_ok(),
            what: path.display().to_string(),
            detail: result.err().unwrap_or_else(|| "parses".to_owned()),
        });
    }
    if paths.is_empty() {
        findings.push(Finding {
            ok: true,
            what,
            detail: "no files".to_owned(),
        });
    }
    findings
}

/// Who is on call, as configured: each role's rotation (participants, zone, services) or
/// fixed holder, and the duty manager rule when nobody is named.
fn oncall_finding(settings: &Settings) -> Finding {
    use crate::domain::rotation::OnCallRole;
    let book = &settings.policy.oncall;
    let mut parts = Vec::new();
    for role in OnCallRole::ALL {
        let rotations: Vec<String> = book
            .rotations
            .iter()
            .filter(|rotation| rotation.role() == role)
            .map(|rotation| {
                let names: Vec<&str> = rotation
                    .participants()
                    .iter()
                    .map(|participant| participant.0.as_str())
                    .collect();
                let services = if rotation.services().is_empty() {
                    String::new()
                } else {
                    format!(" for {}", rotation.services().join(", "))
                };
                format!(
                    "rotation of {} in {}{services}",
                    names.join(", "),
                    rotation.time_zone().name()
                )
            })
            .collect();
        let described = match (rotations.is_empty(), book.fixed.0.get(&role)) {
            (false, _) => rotations.join("; "),
            (true, Some(holder)) => holder.0.clone(),
            (true, None) if role == OnCallRole::DutyManager => {
                "nobody named, every duty manager is called".to_owned()
            }
            (true, None) => "nobody".to_owned(),
        };
        parts.push(format!("{} {described}", role.as_str()));
    }
    Finding {
        ok: true,
        what: "on call".to_owned(),
        detail: parts.join("; "),
    }
}

/// Which severities get status-update reminders, and after how long.
fn status_updates_finding(settings: &Settings) -> Finding {
    let intervals: Vec<String> = settings
        .policy
        .status_updates
        .iter()
        .map(|(severity, interval)| format!("{severity} {} min", interval.num_minutes()))
        .collect();
    Finding {
        ok: true,
        what: "status updates".to_owned(),
        detail: if intervals.is_empty() {
            "no reminders ([status_updates] unset)".to_owned()
        } else {
            format!(
                "an open incident without an update for {} reminds its commander and \
                 communications lead, then the duty manager",
                intervals.join(", ")
            )
        },
    }
}

/// What escalation will do: the severities with a policy and their steps, quiet hours, and
/// where pages go (the address only; the token is never shown).
fn escalation_finding(settings: &Settings) -> Finding {
    let policy = &settings.policy;
    let mut parts: Vec<String> = policy
        .escalation
        .iter()
        .map(|escalation| {
            let severities: Vec<String> = escalation
                .severities
                .iter()
                .map(ToString::to_string)
                .collect();
            let steps: Vec<String> = escalation
                .steps
                .iter()
                .map(|step| {
                    let mut how = vec!["room"];
                    if step.here {
                        how.push("@here");
                    }
                    if step.direct {
                        how.push("direct");
                    }
                    if step.page {
                        how.push("page");
                    }
                    format!(
                        "{} min → {} ({}){}",
                        step.after.num_minutes(),
                        step.notify
                            .iter()
                            .map(|role| role.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        how.join(", "),
                        if step.repeat > 0 {
                            format!(" ×{}", step.repeat + 1)
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            format!("{}: {}", severities.join("/"), steps.join("; "))
        })
        .collect();
    if parts.is_empty() {
        parts.push(
            "no [[escalation]] (the acknowledgement reminder, if on, is step one)".to_owned(),
        );
    }
    if let Some(quiet) = &policy.quiet_hours {
        parts.push(format!(
            "quiet hours {}–{} {} hold direct messages and pages of {}",
            quiet.from.format("%H:%M"),
            quiet.to.format("%H:%M"),
            quiet.time_zone,
            quiet
                .severities
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    parts.push(match &settings.paging {
        // Scheme, host, port and path only: a query may hold a secret.
        Some(paging) => format!(
            "pages go to {}{}",
            crate::paging::shown_url(&paging.webhook_url),
            if paging.token.is_some() {
                " with a bearer token"
            } else {
                ""
            }
        ),
        None => "no pager ([paging] unset)".to_owned(),
    });
    Finding {
        ok: true,
        what: "escalation".to_owned(),
        detail: parts.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(config: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        std::fs::write(&path, config).unwrap();
        render(&run(Some(&path), dir.path()))
    }

    #[test]
    fn each_problem_is_on_its_own_line() {
        let report = check(
            "[ingest]\ntoken = \"  \"\n[grouping]\nwindow = \"0s\"\n[chat]\ncard_edit_interval = \"90d\"\n\
             [[users]]\nname = \"ann\"\nroles = [\"responder\"]\ntoken_sha256 = \"\"\n",
        );
        let failures: Vec<&str> = report.lines().filter(|l| l.starts_with("FAIL")).collect();
        assert_eq!(failures.len(), 4, "{report}");
        let needles = [
            "ingest.token: is blank",
            "grouping.window: \"0s\" is outside 1m to 30days",
            "chat.card_edit_interval: \"90d\" is outside 0s to 1h",
            "users[0].token_sha256: is blank",
        ];
        for (line, needle) in failures.iter().zip(needles) {
            assert!(line.contains(needle), "{needle} missing from:\n{report}");
        }
        assert!(report.contains("ok   locales"), "{report}");
    }

    #[test]
    fn a_config_where_nobody_can_act_is_reported() {
        let report = check("[[users]]\nname = \"vic\"\nroles = [\"viewer\"]\n");
        assert!(
            report
                .lines()
                .any(|line| line.starts_with("FAIL users") && line.contains("nobody can act")),
            "{report}"
        );
        // A responder without a token cannot use the console API: nobody can act either.
        let report = check("[[users]]\nname = \"ann\"\nroles = [\"responder\"]\n");
        assert!(report.contains("nobody can act"), "{report}");
        let report = check(
            "[[users]]\nname = \"ann\"\nroles = [\"responder\"]\ntoken_sha256 = \"0000000000000000000000000000000000000000000000000000000000000001\"\n",
        );
        assert!(!report.contains("FAIL"), "{report}");
    }

    #[test]
    fn reminders_and_probes_say_whether_they_are_on() {
        let report = check("");
        assert!(report.contains("ok   reminders: off"), "{report}");
        assert!(report.contains("ok   probes: off"), "{report}");
        assert!(
            report.contains("ok   status updates: no reminders"),
            "{report}"
        );
        let report = check(
            "[status_updates]\nsev2 = \"1h\"\nsev1 = \"30m\"\n\
             [incidents]\nack_reminder = \"10m\"\nack_reminder_max = 2\n\
             [probes]\nallow_hosts = [\"status.example.com\", \"*.svc.example.com:8443\"]\n",
        );
        assert!(
            report.contains(
                "ok   reminders: an incident still triggered is reminded every 10 min, 2 time(s)"
            ),
            "{report}"
        );
        assert!(
            report.contains("ok   probes: may fetch status.example.com, *.svc.example.com:8443"),
            "{report}"
        );
        assert!(
            report.contains("ok   status updates: an open incident without an update for sev1 30 min, sev2 60 min"),
            "{report}"
        );
    }

    #[test]
    fn the_task_ladder_gets_a_line_and_each_bad_key_is_named() {
        let report = check("");
        assert!(
            report.contains(
                "ok   tasks: an overdue task's assignee is reminded every 30 min, 3 time(s)"
            ) && report.contains("after 48 h"),
            "{report}"
        );
        let report =
            check("[tasks]\nreminder_interval = \"10m\"\nmax_reminders = 1\nfollowup = \"24h\"\n");
        assert!(
            report.contains("reminded every 10 min, 1 time(s)") && report.contains("after 24 h"),
            "{report}"
        );
        let report = check(
            "[tasks]\nreminder_interval = \"often\"\nmax_reminders = 99\nfollowup = \"5m\"\n",
        );
        for needle in [
            "tasks.reminder_interval: \"often\" is not a duration",
            "tasks.max_reminders: 99 is outside 0 to 10",
            "tasks.followup: \"5m\" is outside",
        ] {
            assert!(
                report
                    .lines()
                    .any(|line| line.starts_with("FAIL") && line.contains(needle)),
                "{needle} missing from:\n{report}"
            );
        }
        let report = check("[tasks]\nreminders = 3\n");
        assert!(
            report.starts_with("FAIL config") && report.contains("unknown field `reminders`"),
            "an unknown key is refused: {report}"
        );
    }

    #[test]
    fn the_catalog_is_checked_by_file_and_field_and_actions_get_a_line() {
        const USER: &str = "[[users]]\nname = \"ann\"\nroles = [\"responder\"]\ntoken_sha256 = \"0000000000000000000000000000000000000000000000000000000000000001\"\n";
        let dir = tempfile::tempdir().unwrap();
        let report_for = |config: &str| {
            let path = dir.path().join("warroom.toml");
            std::fs::write(&path, format!("{config}\n{USER}")).unwrap();
            render(&run(Some(&path), dir.path()))
        };
        // Without a catalog folder: a warning, not a failure.
        let report = report_for("");
        assert!(!report.contains("FAIL"), "{report}");
        assert!(report.contains("ok   actions: warning: "), "{report}");

        std::fs::create_dir(dir.path().join("commands")).unwrap();
        std::fs::write(
            dir.path().join("commands/scale.toml"),
            "name = \"scale\"\ndescription = \"catalog-scale-description\"\nexecutor = \"kubernetes\"\n\
             action = \"scale\"\nparams = [{ name = \"service\", type = \"service\" },\n\
             { name = \"replicas\", type = \"integer\", min = 9, max = 1 }]\n",
        )
        .unwrap();
        let report = report_for("");
        let failures: Vec<&str> = report.lines().filter(|l| l.starts_with("FAIL")).collect();
        assert_eq!(failures.len(), 1, "{report}");
        assert!(
            failures[0].ends_with("commands/scale.toml: params[1].max: 1 is below min 9"),
            "{report}"
        );

        let report = report_for(&format!(
            "[actions]\ncommands_dir = \"{}/commands\"\n[prometheus]\nurl = \"http://prometheus:9090\"\n\
             [[services]]\nname = \"checkout-api\"\n",
            env!("CARGO_MANIFEST_DIR")
        ));
        assert!(!report.contains("FAIL"), "{report}");
        let line = report
            .lines()
            .find(|l| l.starts_with("ok   actions:"))
            .unwrap_or_default();
        for needle in [
            "8 command(s) from",
            "1 service(s)",
            "kubernetes in-cluster or KUBECONFIG",
            "prometheus http://prometheus:9090",
            "logs not configured",
        ] {
            assert!(line.contains(needle), "{needle} missing from:\n{report}");
        }
    }

    #[test]
    fn escalation_says_what_it_does_and_never_shows_the_pager_secret() {
        let report = check("");
        assert!(
            report.contains("ok   escalation: no [[escalation]]") && report.contains("no pager"),
            "{report}"
        );
        let report = check(
            "[[escalation]]\nseverity = [\"sev1\"]\n[[escalation.steps]]\nafter = \"15m\"\n\
             notify = [\"duty_manager\"]\npage = true\nrepeat = 2\n\
             [paging]\nwebhook_url = \"https://pager.example/page?key=query-secret\"\n\
             token = \"token-secret-value\"\n",
        );
        let line = report
            .lines()
            .find(|line| line.starts_with("ok   escalation"))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(
            line.contains("sev1: 15 min → duty_manager (room, page) ×3")
                && line.contains("pages go to https://pager.example/page with a bearer token"),
            "{line}"
        );
        assert!(!report.contains("secret"), "{report}");
        let report = check("[paging]\nwebhook_url = \"ftp://pager.example/\"\n");
        assert!(
            report.contains("FAIL") && report.contains("paging.webhook_url"),
            "{report}"
        );
    }

    #[test]
    fn the_web_console_line_says_its_mode_address_and_cookie() {
        let line = |report: String| {
            report
                .lines()
                .find(|line| line.starts_with("ok   web console:"))
                .unwrap_or_else(|| panic!("no web console line in:\n{report}"))
                .to_owned()
        };
        let users = "[[users]]\nname = \"ann\"\nroles = [\"responder\"]\n";
        let default = line(check(users));
        assert!(
            default.contains("act (pages, command box, buttons) at http://127.0.0.1:8080/")
                && default.contains("people sign in with their user token")
                && default.contains("sessions last 12h")
                && default.contains("not Secure (plain http on loopback)"),
            "{default}"
        );
        let public = line(check(&format!(
            "{users}[console]\nweb = \"read\"\npublic_url = \"https://warroom.example.com\"\n\
             session_ttl = \"8h\"\n"
        )));
        assert!(
            public.contains("read (pages only; writes answer 403) at https://warroom.example.com/")
                && public.contains("sessions last 8h")
                && public.ends_with("session cookie Secure"),
            "{public}"
        );
        let off = line(check(&format!("{users}[console]\nweb = \"off\"\n")));
        assert!(off.contains("off ([console] web = \"off\")"), "{off}");
    }
}
