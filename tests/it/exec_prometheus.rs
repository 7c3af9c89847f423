//! The prometheus executor against the real Prometheus from Debian: recorded series are
//! turned into a TSDB block with `promtool tsdb create-blocks-from openmetrics` before
//! Prometheus starts, so every query has known answers. Also what it makes of a server that
//! is not there or never answers.
//!
//! The helpers here (starting a Prometheus with recorded series, building a job, rendering a
//! message) are shared with `exec_logs.rs` and `exec_diagnose.rs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use tempfile::TempDir;

use warroom::domain::action::{ActionJob, ActionOutcome, ActionStatus, ExecutorKind, RequestId};
use warroom::domain::message::Msg;
use warroom::domain::service::{ServiceCheck, ServiceDef};
use warroom::exec::prometheus::PrometheusExecutor;
use warroom::exec::{Executor, PrometheusSettings};
use warroom::i18n::I18n;

use crate::e2e::{Proc, start_with_retry};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";

/// A Prometheus serving recorded series; killed when dropped.
pub(crate) struct RealPrometheus {
    pub url: String,
    _proc: Proc,
    _dir: TempDir,
}

/// Whether Prometheus and promtool are installed. CI installs them (`.ci/run`), so there a
/// missing binary fails the test; elsewhere the test is skipped with a hint.
pub(crate) fn have_prometheus() -> bool {
    if Path::new(PROMETHEUS).exists() && Path::new(PROMTOOL).exists() {
        return true;
    }
    let message = format!(
        "{PROMETHEUS} or {PROMTOOL} is missing; install them with: apt-get install -y prometheus"
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{message}");
    }
    eprintln!("skipping the test against the real Prometheus: {message}");
    false
}

/// OpenMetrics text of gauges holding `value` every 15 s over the last 30 minutes, up to
/// now: `series` is (metric, labels, value); series of one metric must be given together.
pub(crate) fn recorded_gauges(series: &[(&str, &str, f64)]) -> String {
    let now = Utc::now().timestamp();
    let mut out = String::new();
    let mut last_metric = "";
    for (metric, labels, value) in series {
        if *metric != last_metric {
            out.push_str(&format!("# TYPE {metric} gauge\n"));
            last_metric = metric;
        }
        for step in (0..=120).rev() {
            let at = now - step * 15;
            out.push_str(&format!("{metric}{{{labels}}} {value} {at}\n"));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Starts Prometheus on a free loopback port with `openmetrics` loaded as a block.
pub(crate) async fn start_prometheus(openmetrics: &str) -> RealPrometheus {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("series.om");
    std::fs::write(&input, openmetrics).unwrap();
    let tsdb = dir.path().join("data");
    std::fs::create_dir_all(&tsdb).unwrap();
    let created = Command::new(PROMTOOL)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&tsdb)
        .output()
        .expect("run promtool");
    assert!(
        created.status.success(),
        "promtool failed: {}{}",
        String::from_utf8_lossy(&created.stdout),
        String::from_utf8_lossy(&created.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1h\n").unwrap();
    let client = reqwest::Client::new();
    let (proc, port) = start_with_retry(&client, "/-/ready", |port| {
        Proc::spawn(
            "prometheus",
            Command::new(PROMETHEUS)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", tsdb.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}")),
            dir.path(),
        )
    })
    .await;
    RealPrometheus {
        url: format!("http://127.0.0.1:{port}"),
        _proc: proc,
        _dir: dir,
    }
}

/// A job as the engine would hand it to an executor.
pub(crate) fn observe_job(
    executor: ExecutorKind,
    action: &str,
    params: &[(&str, &str)],
    services: Vec<ServiceDef>,
    timeout_ms: u64,
) -> ActionJob {
    ActionJob {
        request: RequestId(1),
        command: action.to_owned(),
        executor,
        action: action.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        digest: "test".to_owned(),
        services,
        argv: Vec::new(),
        env: Vec::new(),
        timeout_ms,
        idempotent: true,
        rollback_to: None,
    }
}

/// A message as an English reader sees it.
pub(crate) fn english(msg: &Msg) -> String {
    I18n::builtin().unwrap().render("en-US", msg)
}

/// Every room line of an outcome in Chinese, each checked to be fully formatted (no
/// placeholder left, no English message id standing in for a missing translation).
pub(crate) fn chinese_lines(outcome: &ActionOutcome) -> Vec<String> {
    let i18n = I18n::builtin().unwrap();
    std::iter::once(&outcome.summary)
        .chain(&outcome.details)
        .map(|msg| {
            let text = i18n.render("zh-CN", msg);
            assert!(!text.contains("{$") && !text.contains("{ $"), "{text}");
            assert_ne!(text, msg.id, "{} is not translated", msg.id);
            text
        })
        .collect()
}

/// Every room line of an outcome, in English: summary first.
pub(crate) fn room_lines(outcome: &ActionOutcome) -> Vec<String> {
    std::iter::once(&outcome.summary)
        .chain(&outcome.details)
        .map(english)
        .collect()
}

fn checkout_with_checks() -> ServiceDef {
    ServiceDef {
        name: "checkout-api".to_owned(),
        checks: vec![
            ServiceCheck {
                name: "error_rate".to_owned(),
                promql: "max(http_errors_ratio{service=\"checkout-api\"})".to_owned(),
                max: Some(0.05),
                min: None,
            },
            ServiceCheck {
                name: "ready_replicas".to_owned(),
                promql: "ready_replicas{service=\"checkout-api\"}".to_owned(),
                max: None,
                min: Some(2.0),
            },
            ServiceCheck {
                name: "queue_depth".to_owned(),
                promql: "queue_depth{service=\"checkout-api\"}".to_owned(),
                max: Some(100.0),
                min: None,
            },
        ],
        ..ServiceDef::default()
    }
}

#[tokio::test]
async fn queries_and_checks_against_a_real_prometheus_with_recorded_series() {
    if !have_prometheus() {
        return;
    }
    let prometheus = start_prometheus(&recorded_gauges(&[
        ("http_errors_ratio", "service=\"checkout-api\"", 0.12),
        ("http_errors_ratio", "service=\"payments-api\"", 0.01),
        ("ready_replicas", "service=\"checkout-api\"", 3.0),
    ]))
    .await;
    let executor = PrometheusExecutor::new(&PrometheusSettings {
        url: prometheus.url.clone(),
    })
    .unwrap();

    // An instant query with a threshold: the breaching series first.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "http_errors_ratio"), ("max", "0.05")],
        Vec::new(),
        10_000,
    );
    let outcome = executor.run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(lines[0], "1 of 2 series outside the thresholds.");
    assert_eq!(
        lines[1],
        "⚠ http_errors_ratio{service=\"checkout-api\"} = 0.12, above 0.05"
    );
    assert_eq!(
        lines[2],
        "http_errors_ratio{service=\"payments-api\"} = 0.01"
    );
    assert!(
        outcome.output.contains(
            "http_errors_ratio{service=\"checkout-api\"} => 0.12  [outside the thresholds]"
        ),
        "{}",
        outcome.output
    );

    // A range query over the last 10 minutes: min, max and last per series.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "ready_replicas"), ("range", "10m")],
        Vec::new(),
        10_000,
    );
    let outcome = executor.run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(lines[0], "Query result: 1 series over the last 10m.");
    assert_eq!(
        lines[1],
        "ready_replicas{service=\"checkout-api\"}: min 3, max 3, last 3"
    );

    // A scalar.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "scalar(sum(ready_replicas)) * 2")],
        Vec::new(),
        10_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(english(&outcome.summary), "Query result: 6");

    // No data.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "absent_metric_xyz")],
        Vec::new(),
        10_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(english(&outcome.summary), "The query returned no data.");

    // Prometheus's own error envelope, named.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "sum(")],
        Vec::new(),
        10_000,
    );
    let outcome = executor.run(&job).await;
    let summary = english(&outcome.summary);
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert!(
        summary.starts_with("Prometheus refused the query (bad_data): ")
            && summary.contains("parse error"),
        "{summary}"
    );

    // A service's checks: a breached max, a healthy min, a check without data.
    let job = observe_job(
        ExecutorKind::Prometheus,
        "checks",
        &[("service", "checkout-api")],
        vec![checkout_with_checks()],
        10_000,
    );
    let outcome = executor.run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(
        lines,
        [
            "checkout-api: 1 of 3 checks breached.",
            "↳ error_rate = 0.12, above its max 0.05",
            "↳ ready_replicas = 3, within bounds",
            "↳ queue_depth: no data",
        ]
    );
    assert_eq!(
        chinese_lines(&outcome)[0],
        "checkout-api：3 项检查中有 1 项超出阈值。"
    );
}

#[tokio::test]
async fn a_prometheus_that_is_not_there_or_never_answers_is_reported_in_time() {
    // Nothing listens on a port that was free a moment ago.
    let closed = crate::e2e::free_port();
    let executor = PrometheusExecutor::new(&PrometheusSettings {
        url: format!("http://127.0.0.1:{closed}"),
    })
    .unwrap();
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "up")],
        Vec::new(),
        5_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert!(
        english(&outcome.summary).starts_with(&format!(
            "Could not reach Prometheus at http://127.0.0.1:{closed}/"
        )),
        "{}",
        english(&outcome.summary)
    );

    // A server that accepts and never answers: the job's timeout, reported as such.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let executor = PrometheusExecutor::new(&PrometheusSettings {
        url: format!("http://{silent}"),
    })
    .unwrap();
    let job = observe_job(
        ExecutorKind::Prometheus,
        "query",
        &[("query", "up")],
        Vec::new(),
        300,
    );
    let outcome = tokio::time::timeout(Duration::from_secs(10), executor.run(&job))
        .await
        .expect("the executor keeps to the job's timeout");
    assert_eq!(outcome.status, ActionStatus::TimedOut);
    assert_eq!(
        english(&outcome.summary),
        "Prometheus gave no answer within 270 ms."
    );
    holder.abort();

    // A job without its query is refused before anything is sent.
    let job = observe_job(ExecutorKind::Prometheus, "query", &[], Vec::new(), 300);
    let outcome = executor.run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Refused);
    assert_eq!(
        english(&outcome.summary),
        "The query command needs the parameter query."
    );
}
