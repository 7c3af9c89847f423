//! The logs executor against fakes of Loki and Elasticsearch that answer in their documented
//! shapes (`support::fake_logs`): what it asks, what it makes of the answers (error counts,
//! known patterns, top messages, the first stack trace) and of refusals and silence.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use warroom::domain::action::{ActionStatus, ExecutorKind};
use warroom::domain::service::ServiceDef;
use warroom::exec::logs::{LogsExecutor, MAX_LOG_LINES};
use warroom::exec::{Executor, LogsKind, LogsSettings};

use crate::exec_prometheus::{chinese_lines, english, observe_job, room_lines};
use crate::support::fake_logs::{FakeLogs, Mode};

fn service(selector: Option<&str>) -> ServiceDef {
    ServiceDef {
        name: "checkout-api".to_owned(),
        log_selector: selector.map(str::to_owned),
        ..ServiceDef::default()
    }
}

fn loki_executor(fake: &FakeLogs) -> LogsExecutor {
    LogsExecutor::new(&LogsSettings {
        kind: LogsKind::Loki,
        url: fake.url.clone(),
    })
    .unwrap()
}

const NPE: &str = "java.lang.NullPointerException: cart is null\n\tat com.shop.Cart.total(Cart.java:42)\n\tat com.shop.Api.get(Api.java:7)";

#[tokio::test]
async fn loki_error_logs_are_counted_and_analysed() {
    let fake = FakeLogs::loki().await;
    let app = [("app", "checkout")];
    let now = Utc::now();
    let minutes = |m: i64| now - chrono::Duration::minutes(m);
    for (i, m) in [9, 7, 5].into_iter().enumerate() {
        fake.push_line(
            &app,
            minutes(m),
            &format!("ERROR HikariPool-1 - Connection is not available, request timed out after 3000{i}ms."),
        );
    }
    fake.push_line(&app, minutes(4), &format!("ERROR request failed\n{NPE}"));
    fake.push_line(&app, minutes(3), "INFO GET /healthz 200");
    // Outside the 15 minutes looked at, and another service's stream.
    fake.push_line(&app, minutes(60), "ERROR long ago");
    fake.push_line(&[("app", "payments")], minutes(2), "ERROR not ours");

    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        vec![service(Some(
            r#"{app="checkout"} |~ "(?i)error|exception""#,
        ))],
        5_000,
    );
    let outcome = loki_executor(&fake).run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(
        lines,
        [
            "📜 checkout-api: 4 error lines among 4 log lines in the last 15m.",
            "⚠ Connection pool exhausted: 3 lines",
            "⚠ Timeouts: 3 lines",
            "⚠ Null pointer: 1 line",
            "3× ERROR HikariPool-<n> - Connection is not available, request timed out after <id>.",
            "1× ERROR request failed",
            "First stack trace: java.lang.NullPointerException: cart is null",
        ]
    );
    assert!(outcome.output.contains(NPE), "{}", outcome.output);
    assert_eq!(
        chinese_lines(&outcome)[..2],
        [
            "📜 checkout-api：最近 15m 内 4 行日志中有 4 行错误。",
            "⚠ 连接池耗尽：3 行",
        ]
    );

    // What was asked: the selector, the newest lines first, bounded, over 15 minutes.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let query = &requests[0].query;
    assert_eq!(
        query["query"],
        r#"{app="checkout"} |~ "(?i)error|exception""#
    );
    assert_eq!(query["direction"], "backward");
    assert_eq!(query["limit"], MAX_LOG_LINES.to_string());
    let span = query["end"].parse::<i64>().unwrap() - query["start"].parse::<i64>().unwrap();
    assert_eq!(span, 15 * 60 * 1_000_000_000);
}

#[tokio::test]
async fn loki_refusals_silence_and_missing_selectors_are_clear() {
    let fake = FakeLogs::loki().await;
    let executor = loki_executor(&fake);

    // A selector Loki cannot parse: its own words, with the status.
    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        vec![service(Some("app=checkout"))],
        5_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert_eq!(
        english(&outcome.summary),
        "Loki refused the log query (HTTP 400): parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
    );

    // No selector configured: refused before asking anything.
    let before = fake.requests().len();
    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        vec![service(None)],
        5_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Refused);
    assert_eq!(
        english(&outcome.summary),
        "checkout-api has no log_selector: set one in its [[services]] entry."
    );
    assert_eq!(fake.requests().len(), before);

    // A Loki that never answers: the job's timeout.
    fake.set_mode(Mode::Hang);
    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api"), ("since", "1h")],
        vec![service(Some(r#"{app="checkout"}"#))],
        300,
    );
    let outcome = tokio::time::timeout(Duration::from_secs(10), executor.run(&job))
        .await
        .expect("the executor keeps to the job's timeout");
    assert_eq!(outcome.status, ActionStatus::TimedOut);
    assert_eq!(
        english(&outcome.summary),
        "Loki gave no answer within 270 ms."
    );
    let last = fake.requests().pop().unwrap();
    let span =
        last.query["end"].parse::<i64>().unwrap() - last.query["start"].parse::<i64>().unwrap();
    assert_eq!(
        span,
        3_600 * 1_000_000_000,
        "the since parameter sets the window"
    );

    // A Loki behind a failing proxy.
    fake.set_mode(Mode::Fail(502, "Bad Gateway".to_owned()));
    let outcome = executor.run(&job).await;
    assert_eq!(
        english(&outcome.summary),
        "Loki refused the log query (HTTP 502): Bad Gateway"
    );
}

#[tokio::test]
async fn elasticsearch_hits_are_analysed_with_their_total() {
    let fake = FakeLogs::elasticsearch().await;
    let now = Utc::now();
    // More matching documents than one search returns: the total says how many.
    for i in 0..MAX_LOG_LINES + 5 {
        let at =
            now - chrono::Duration::seconds(600) + chrono::Duration::milliseconds(i as i64 * 100);
        fake.push_document(
            "app-logs-2026.12.01",
            at,
            json!({"service": "checkout", "level": "error", "message": format!("upstream payments-api: connection refused (attempt {i})")}),
        );
    }
    fake.push_document(
        "app-logs-2026.12.01",
        now - chrono::Duration::seconds(30),
        json!({"service": "checkout", "level": "error", "message": "java.lang.OutOfMemoryError: Java heap space",
               "error": {"stack_trace": "java.lang.OutOfMemoryError: Java heap space\n\tat java.util.Arrays.copyOf(Arrays.java:3332)"}}),
    );
    fake.push_document(
        "app-logs-2026.12.01",
        now - chrono::Duration::seconds(20),
        json!({"service": "checkout", "level": "info", "message": "GET /healthz 200"}),
    );
    let executor = LogsExecutor::new(&LogsSettings {
        kind: LogsKind::Elasticsearch,
        url: format!("{}/app-logs-*", fake.url),
    })
    .unwrap();
    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        vec![service(Some("service:checkout AND level:error"))],
        5_000,
    );
    let outcome = executor.run(&job).await;
    let lines = room_lines(&outcome);
    assert_eq!(outcome.status, ActionStatus::Succeeded, "{lines:?}");
    assert_eq!(
        lines[0],
        "📜 checkout-api: 1000 error lines among the newest 1000 of 1006 log lines in the last 15m."
    );
    assert_eq!(lines[1], "⚠ Connection refused: 999 lines");
    assert_eq!(lines[2], "⚠ Out of memory: 1 line");
    assert_eq!(
        lines[3],
        "999× upstream payments-api: connection refused (attempt <n>)"
    );
    assert!(
        lines
            .contains(&"First stack trace: java.lang.OutOfMemoryError: Java heap space".to_owned()),
        "{lines:?}"
    );

    let request = fake.requests().pop().unwrap();
    assert_eq!(request.path, "/app-logs-*/_search");
    let body = request.body.unwrap();
    assert_eq!(body["size"], json!(MAX_LOG_LINES));
    assert_eq!(body["track_total_hits"], json!(true));
    assert_eq!(
        body["query"]["bool"]["must"][0]["query_string"]["query"],
        "service:checkout AND level:error"
    );
}

#[tokio::test]
async fn an_unknown_elasticsearch_index_is_named() {
    let fake = FakeLogs::elasticsearch().await;
    fake.push_document("app-logs", Utc::now(), json!({"message": "x"}));
    let executor = LogsExecutor::new(&LogsSettings {
        kind: LogsKind::Elasticsearch,
        url: format!("{}/nope", fake.url),
    })
    .unwrap();
    let job = observe_job(
        ExecutorKind::Logs,
        "errors",
        &[("service", "checkout-api")],
        vec![service(Some("level:error"))],
        5_000,
    );
    let outcome = executor.run(&job).await;
    assert_eq!(outcome.status, ActionStatus::Failed);
    assert_eq!(
        english(&outcome.summary),
        "Elasticsearch refused the log query (HTTP 404): index_not_found_exception: no such index [nope]"
    );
}
