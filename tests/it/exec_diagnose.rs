//! Link diagnosis end to end over real counterparts: health URLs on a loopback HTTP server,
//! checks on the real Prometheus with recorded series, error logs on the Loki fake; the
//! executors built the way `serve` builds them (`exec::build`). Also the `health` command
//! (the http executor) on its own.

use std::time::Duration;

use chrono::Utc;

use warroom::domain::action::{ActionStatus, ExecutorKind};
use warroom::domain::probe::HostPattern;
use warroom::domain::service::{ServiceCheck, ServiceDef, Services};
use warroom::exec::http::{HEALTH_BODY_EXCERPT_BYTES, HttpExecutor};
use warroom::exec::{ExecSettings, Executor, LogsKind, LogsSettings, PrometheusSettings, build};

use crate::exec_prometheus::{
    chinese_lines, english, have_prometheus, observe_job, recorded_gauges, room_lines,
    start_prometheus,
};
use crate::probe::HealthServer;
use crate::support::fake_logs::FakeLogs;

fn allow(server: &HealthServer) -> Vec<HostPattern> {
    vec![HostPattern::parse(server.base.trim_start_matches("http://")).unwrap()]
}

fn service(name: &str, health_url: Option<String>, depends_on: &[&str]) -> ServiceDef {
    ServiceDef {
        name: name.to_owned(),
        health_url,
        depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
        ..ServiceDef::default()
    }
}

#[tokio::test]
async fn diagnosis_ranks_the_deepest_failing_link_as_the_likely_cause() {
    if !have_prometheus() {
        return;
    }
    let health = HealthServer::start().await;
    let prometheus = start_prometheus(&recorded_gauges(&[
        ("pg_up", "instance=\"postgres-main\"", 0.0),
        ("cache_hit_ratio", "instance=\"cache\"", 0.93),
    ]))
    .await;
    let loki = FakeLogs::loki().await;
    let now = Utc::now();
    for seconds in [120, 60] {
        loki.push_line(
            &[("app", "payments")],
            now - chrono::Duration::seconds(seconds),
            "ERROR charge failed: dial tcp 10.0.0.7:5432: connect: connection refused",
        );
        loki.push_line(
            &[("app", "postgres")],
            now - chrono::Duration::seconds(seconds),
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
        );
    }

    let services = Services::new([
        service(
            "checkout-api",
            Some(health.url("/fail")),
            &["payments-api", "cache"],
        ),
        ServiceDef {
            log_selector: Some(r#"{app="payments"}"#.to_owned()),
            ..service("payments-api", None, &["postgres-main"])
        },
        ServiceDef {
            checks: vec![ServiceCheck {
                name: "cache_hits".to_owned(),
                promql: "cache_hit_ratio".to_owned(),
                max: None,
                min: Some(0.5),
            }],
            ..service("cache", Some(health.url("/ok")), &[])
        },
        ServiceDef {
            checks: vec![ServiceCheck {
                name: "pg_up".to_owned(),
                promql: "min(pg_up)".to_owned(),
                max: None,
                min: Some(1.0),
            }],
            log_selector: Some(r#"{app="postgres"}"#.to_owned()),
            ..service("postgres-main", None, &[])
        },
    ]);
    let executors = build(&ExecSettings {
        prometheus: Some(PrometheusSettings {
            url: prometheus.url.clone(),
        }),
        logs: Some(LogsSettings {
            kind: LogsKind::Loki,
            url: loki.url.clone(),
        }),
        allow_hosts: allow(&health),
        ..ExecSettings::default()
    })
    .await;
    let job = observe_job(
        ExecutorKind::Diagnose,
        "diagnose",
        &[("service", "checkout-api")],
        services.reachable("checkout-api", 4),
        10_000,
    );
    let outcome = executors.run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    let health_line = lines
        .iter()
        .position(|l| l.starts_with("↳ health: "))
        .expect("checkout-api's health evidence");
    assert!(
        lines[health_line].starts_with(&format!("↳ health: {}/fail answered 500 in ", health.base)),
        "{lines:?}"
    );
    let mut expected = vec![
        "🩺 Likely cause: postgres-main, failing while its dependencies are healthy (3 of 4 services failing).",
        "1. postgres-main — likely cause",
        "↳ pg_up = 0, below its min 1",
        "↳ logs: 2 error lines of 2 read",
        "⚠ Connection pool exhausted: 2 lines",
        "2. payments-api — failing behind postgres-main",
        "↳ logs: 2 error lines of 2 read",
        "⚠ Connection refused: 2 lines",
        "3. checkout-api — failing behind payments-api",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    expected.push(lines[health_line].clone());
    assert_eq!(lines, expected);
    let chinese = chinese_lines(&outcome);
    assert_eq!(
        chinese[0],
        "🩺 可能的根因：postgres-main，其依赖均健康而它本身异常（4 个服务中 3 个异常）。"
    );
    assert!(
        outcome.output.contains("cache (depth 1): healthy"),
        "{}",
        outcome.output
    );
    assert!(
        outcome
            .output
            .contains("check cache_hits = 0.93 (min 0.5) [ok]"),
        "{}",
        outcome.output
    );
    assert_eq!(health.hits("/fail"), 1);
    assert_eq!(health.hits("/ok"), 1);
}

#[tokio::test]
async fn a_hanging_dependency_costs_its_evidence_not_the_diagnosis() {
    let health = HealthServer::start().await;
    let services = Services::new([
        service(
            "checkout-api",
            Some(health.url("/ok")),
            &["slow-api", "outside-api"],
        ),
        service("slow-api", Some(health.url("/slow")), &[]),
        service(
            "outside-api",
            Some("http://outside.invalid/health?token=s3cret".to_owned()),
            &[],
        ),
    ]);
    // Only health URLs: no [prometheus], no [logs].
    let executors = build(&ExecSettings {
        allow_hosts: allow(&health),
        ..ExecSettings::default()
    })
    .await;
    let job = observe_job(
        ExecutorKind::Diagnose,
        "diagnose",
        &[("service", "checkout-api")],
        services.reachable("checkout-api", 4),
        1_500,
    );
    let outcome = tokio::time::timeout(Duration::from_secs(10), executors.run(&job))
        .await
        .expect("diagnosis keeps to the job's timeout");
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(
        lines,
        [
            "🩺 Likely cause: slow-api, failing while its dependencies are healthy (1 of 2 services failing).",
            "1. slow-api — likely cause",
            &format!("↳ health: {}/slow gave no answer (timed_out)", health.base),
            "Not observed (nothing configured, or the queries failed): outside-api",
        ]
    );
    assert!(
        outcome.output.contains(
            "note: health http://outside.invalid/health not fetched: host outside.invalid is not in [probes] allow_hosts"
        ),
        "{}",
        outcome.output
    );
    assert!(!outcome.output.contains("s3cret"));

    // The executors `build` leaves out refuse their jobs, naming what to configure.
    let logs_job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        services.reachable("checkout-api", 0),
        1_000,
    );
    let refused = executors.run(&logs_job).await;
    assert_eq!(refused.status, ActionStatus::Refused);
    assert_eq!(refused.summary.id, "action-executor-missing");
}

#[tokio::test]
async fn the_health_command_reports_status_latency_and_an_excerpt() {
    let server = HealthServer::start().await;
    let http = HttpExecutor::new(allow(&server)).unwrap();
    let run = async |path: &str| {
        let job = observe_job(
            ExecutorKind::Http,
            "health",
            &[("service", "checkout-api")],
            vec![service("checkout-api", Some(server.url(path)), &[])],
            2_000,
        );
        http.run(&job).await
    };

    let ok = run("/ok").await;
    let lines = room_lines(&ok);
    assert_eq!(ok.status, ActionStatus::Succeeded);
    assert!(
        lines[0].starts_with(&format!(
            "✅ checkout-api is healthy: {}/ok answered 200 in ",
            server.base
        )),
        "{lines:?}"
    );
    assert_eq!(lines[1], "Body: ok");
    assert!(ok.output.ends_with("\n\nok"), "{}", ok.output);

    let failing = run("/fail").await;
    assert_eq!(failing.status, ActionStatus::Failed);
    assert!(english(&failing.summary).starts_with("❌ checkout-api is unhealthy: "));

    // A redirect is an answer, never followed.
    let redirect = run("/redirect").await;
    assert!(english(&redirect.summary).contains("answered 301"));
    assert_eq!(server.hits("/elsewhere"), 0);

    // A huge body: only its start is read, and the output says it was cut.
    let huge = run("/huge").await;
    assert_eq!(huge.status, ActionStatus::Succeeded);
    assert!(
        huge.output.ends_with(&format!(
            "[body cut after {HEALTH_BODY_EXCERPT_BYTES} bytes]"
        )),
        "{}",
        &huge.output[huge.output.len() - 100..]
    );

    // Silence: the job's timeout.
    let slow = run("/slow").await;
    assert_eq!(slow.status, ActionStatus::TimedOut);

    // A host off the allow-list is never contacted; a secret in the query is never shown.
    let before = server.total_hits();
    let job = observe_job(
        ExecutorKind::Http,
        "health",
        &[("service", "checkout-api")],
        vec![service(
            "checkout-api",
            Some("http://elsewhere.invalid/healthz?token=s3cret".to_owned()),
            &[],
        )],
        2_000,
    );
    let refused = http.run(&job).await;
    assert_eq!(refused.status, ActionStatus::Refused);
    assert_eq!(
        english(&refused.summary),
        "Not fetched: http://elsewhere.invalid/healthz (its host is not in [probes] allow_hosts)."
    );
    assert_eq!(server.total_hits(), before);

    // No health URL: refused with the config to add.
    let job = observe_job(
        ExecutorKind::Http,
        "health",
        &[("service", "checkout-api")],
        vec![service("checkout-api", None, &[])],
        2_000,
    );
    assert_eq!(
        english(&http.run(&job).await.summary),
        "checkout-api has no health_url: set one in its [[services]] entry."
    );
}

/// The shipped catalog (`commands/`) and these executors agree: every command they run names
/// an action they know and gives the parameters they read, so none is refused for drift.
#[tokio::test]
async fn the_shipped_catalog_runs_on_these_executors() {
    use warroom::domain::action::ParamKind;

    let loaded = warroom::config::load_catalog(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("commands"),
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    // Nothing listens here: every system is configured, none answers.
    let closed = crate::e2e::free_port();
    let base = format!("http://127.0.0.1:{closed}");
    let executors = build(&ExecSettings {
        prometheus: Some(PrometheusSettings { url: base.clone() }),
        logs: Some(LogsSettings {
            kind: LogsKind::Loki,
            url: base.clone(),
        }),
        allow_hosts: vec![HostPattern::parse(&format!("127.0.0.1:{closed}")).unwrap()],
        ..ExecSettings::default()
    })
    .await;
    let checkout = ServiceDef {
        health_url: Some(format!("{base}/healthz")),
        checks: vec![ServiceCheck {
            name: "up".to_owned(),
            promql: "up".to_owned(),
            max: None,
            min: Some(1.0),
        }],
        log_selector: Some(r#"{app="checkout"}"#.to_owned()),
        ..service("checkout-api", None, &[])
    };
    let mut ran = Vec::new();
    for command in loaded.catalog.iter().filter(|c| {
        matches!(
            c.executor,
            ExecutorKind::Http
                | ExecutorKind::Prometheus
                | ExecutorKind::Logs
                | ExecutorKind::Diagnose
        )
    }) {
        let params: Vec<(String, String)> = command
            .params
            .iter()
            .map(|param| {
                let value = match &param.kind {
                    ParamKind::Service => "checkout-api".to_owned(),
                    ParamKind::Duration => "5m".to_owned(),
                    ParamKind::Integer { min, .. } => min.unwrap_or(1).to_string(),
                    ParamKind::Enum { values } => values[0].clone(),
                    ParamKind::String { .. } => "up".to_owned(),
                };
                (param.name.clone(), value)
            })
            .collect();
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut job = observe_job(
            command.executor,
            &command.action,
            &params,
            vec![checkout.clone()],
            2_000,
        );
        job.command = command.name.clone();
        let outcome = executors.run(&job).await;
        assert!(
            !matches!(
                outcome.summary.id.as_str(),
                "exec-unknown-action"
                    | "exec-param-missing"
                    | "exec-param-invalid"
                    | "action-executor-missing"
            ),
            "{}: {}",
            command.name,
            english(&outcome.summary)
        );
        ran.push(command.name.clone());
    }
    ran.sort();
    assert_eq!(ran, ["diag", "health", "logs", "promql"]);
}

/// `/diag` end to end through the console, with the executors `serve` builds from config
/// (the shipped catalog, `[logs]` on the Loki fake, health URLs on a loopback server): it
/// runs at once (read-only), the room shows the likely cause, the timeline has the request
/// and its finish, and the API has the full report.
#[tokio::test]
async fn diag_typed_in_an_incident_room_shows_the_likely_cause() {
    let health = HealthServer::start().await;
    let loki = FakeLogs::loki().await;
    for seconds in [90, 30] {
        loki.push_line(
            &[("app", "payments")],
            Utc::now() - chrono::Duration::seconds(seconds),
            "ERROR charge failed: connect: connection refused",
        );
    }
    let config = format!(
        r#"[chat]
card_edit_interval = "0s"
[probes]
allow_hosts = [{allow}]
[actions]
commands_dir = "{commands}"
[logs]
kind = "loki"
url = "{loki}"
[[services]]
name = "checkout-api"
health_url = "{fail}"
depends_on = ["payments-api"]
[[services]]
name = "payments-api"
log_selector = '{{app="payments"}}'
"#,
        allow = health.allow_hosts(),
        commands = concat!(env!("CARGO_MANIFEST_DIR"), "/commands"),
        loki = loki.url,
        fail = health.url("/fail"),
    );
    let bot = crate::support::TestBot::spawn_with(&config).await;
    bot.alert(
        "alertmanager",
        &crate::support::am_alert("fp1", "checkout-api", "critical", "firing"),
    )
    .await;
    let incident = "INC-20261121-001";
    let room = bot.room_of(incident).await;

    let reply = bot.slash("bob", &room, "/diag checkout-api").await;
    assert!(reply.ok, "{reply:?}");
    let cause = "🩺 Likely cause: payments-api, failing while its dependencies are healthy (2 of 2 services failing).";
    let messages = bot
        .wait_for_messages(&room, "the diagnosis", |messages| {
            messages
                .iter()
                .any(|m| m["text"].as_str().is_some_and(|t| t.contains(cause)))
        })
        .await;
    let text = messages
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find(|t| t.contains(cause))
        .unwrap();
    assert!(text.contains("1. payments-api — likely cause"), "{text}");
    assert!(text.contains("⚠ Connection refused: 2 lines"), "{text}");
    assert!(
        text.contains("2. checkout-api — failing behind payments-api"),
        "{text}"
    );

    let kinds = bot.timeline_kinds(incident).await;
    assert!(kinds.contains(&"action_requested".to_owned()), "{kinds:?}");
    for _ in 0..400 {
        if bot
            .timeline_kinds(incident)
            .await
            .contains(&"action_finished".to_owned())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (status, request) = bot
        .get(&format!("/v1/incidents/{incident}/actions/A1"))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{request}");
    assert_eq!(request["state"], "succeeded", "{request}");
    let output = request["outcome"]["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("payments-api (depth 1): FAILING"),
        "{request:#}"
    );
    assert!(
        output.contains("checkout-api (depth 0): FAILING"),
        "{request:#}"
    );

    // The card offers the same diagnosis as a button, for the incident's own service.
    let card = bot.card(&room).await;
    let button = format!("diag:run:{incident}");
    assert!(
        card["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == button.as_str()),
        "{card:#}"
    );
    let pressed = bot
        .click("bob", card["id"].as_str().unwrap(), &button)
        .await;
    assert!(pressed.ok, "{pressed:?}");
    let (status, second) = bot
        .get(&format!("/v1/incidents/{incident}/actions/A2"))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{second}");
    assert_eq!(second["command"], "diag", "{second}");
    assert_eq!(second["params"]["service"], "checkout-api", "{second}");
}
