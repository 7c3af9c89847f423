//! Web console figures, measured in a real headless Chromium on the release binary:
//! - the time from an alert's 2xx to its row appearing in an open incident list (the page's
//!   own script inserting it from the list's event stream), p50/p99 over `BENCH_ALERTS`;
//! - the war room's page weight: HTML, JavaScript and CSS as the browser decoded them
//!   (uncompressed), plus the alerts chart it loads.
//!
//! Run: `cargo bench --bench web_latency`. Knobs (environment):
//! - `BENCH_ALERTS` (default 100): alerts sent, one at a time, each waiting for its row;
//! - `BENCH_WARROOM_BIN`: run another warroom binary (an older build, for before/after).
//!
//! Skips with a message when Chromium or chromedriver is missing (`apt-get install chromium
//! chromium-driver fonts-noto-cjk`). The moment a row appears is taken inside the page by a
//! MutationObserver (`performance.timeOrigin + performance.now()`), and the 2xx moment by this
//! process's wall clock right after reading the answer: both the same machine's clock, so the
//! WebDriver polling that collects the figures does not add to them.

// A benchmark is a program, not a test: when its setup fails there is nothing sensible to
// measure, and a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../tests/it/support/browser.rs"]
mod browser;
mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use browser::{BROWSER_INSTALL_HINT, Browser, CHROMEDRIVER, CHROMIUM};
use common::{RawClient, env_number, latency_summary, percentile, start_server, wait_ready};
use serde_json::{Value, json};

/// The demo user alice's fixed token (README, "Run it"): the server runs without a config.
const DEMO_TOKEN: &str = "demo-alice-token";

/// Records, in the page, when each incident row first enters the document.
const ROW_OBSERVER: &str = r#"
window.__rowSeen = {};
const note = (node) => {
  if (node.nodeType !== 1) { return; }
  const rows = node.matches('tr.incident-row[data-incident]')
    ? [node] : Array.from(node.querySelectorAll('tr.incident-row[data-incident]'));
  const now = performance.timeOrigin + performance.now();
  for (const row of rows) {
    const id = row.getAttribute('data-incident');
    if (!(id in window.__rowSeen)) { window.__rowSeen[id] = now; }
  }
};
new MutationObserver((changes) => {
  for (const change of changes) { change.addedNodes.forEach(note); }
}).observe(document.body, { childList: true, subtree: true });
return true;
"#;

/// What the browser loaded for the current page, decoded (uncompressed) bytes by kind.
const PAGE_WEIGHT: &str = r#"
const navigation = performance.getEntriesByType('navigation')[0];
const resources = performance.getEntriesByType('resource')
  .map((entry) => ({ name: entry.name, bytes: entry.decodedBodySize }));
return { html: navigation ? navigation.decodedBodySize : 0, resources };
"#;

fn main() {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|binary| !Path::new(binary).exists())
        .collect();
    if !missing.is_empty() {
        println!(
            "skipping the web latency benchmark: {} missing; install with: {BROWSER_INSTALL_HINT}",
            missing.join(" and ")
        );
        return;
    }
    let alerts = env_number("BENCH_ALERTS", 100).max(1);

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("warroom.log");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut server = start_server(&data, &log);

    runtime.block_on(async {
        wait_ready(&reqwest::Client::new(), &mut server, &log).await;
        let address = server.base.trim_start_matches("http://").to_owned();
        println!("warroom web latency benchmark: {alerts} alerts into an open incident list");

        let browser = Browser::open(&server.base).await;
        browser.sign_in_with_token(DEMO_TOKEN).await;
        browser.wait_for("main#incidents[data-events]").await;
        browser.run(ROW_OBSERVER, vec![]).await;
        // Let the page's event stream connect before the first alert.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let mut client = RawClient::connect(&address).await.expect("connect");
        let mut latencies = Vec::new();
        let mut missed = 0u64;
        let mut first_incident = None;
        for n in 0..alerts {
            let (status, text) = client
                .post("/v1/alerts/alertmanager", &alert_body(n))
                .await
                .expect("alert sent");
            let answered = epoch_ms();
            assert_eq!(status, 200, "alert {n} refused: {text}");
            let answer: Value = serde_json::from_str(&text).expect("a JSON answer");
            let id = answer["incidents"][0]
                .as_str()
                .unwrap_or_else(|| panic!("no incident in the answer: {text}"))
                .to_owned();
            first_incident.get_or_insert_with(|| id.clone());
            match wait_for_row(&browser, &id, Duration::from_secs(10)).await {
                // The event can beat the answer to this process: that is no delay at all.
                Some(seen) => latencies.push(((seen - answered).max(0.0) * 1000.0) as u32),
                None => missed += 1,
            }
        }
        latencies.sort_unstable();

        let row = |name: &str, value: String| println!("  {name:<44} {value}");
        println!();
        println!("== alert 2xx -> row in an open browser's incident list ==");
        row("alerts", alerts.to_string());
        row("rows seen within 10 s", latencies.len().to_string());
        row("rows never seen", missed.to_string());
        row("p50 / p90 / p99 / max", latency_summary(&latencies));
        row(
            "p50 / p99 (ms)",
            format!(
                "{:.1} / {:.1}",
                percentile(&latencies, 50.0),
                percentile(&latencies, 99.0)
            ),
        );

        // The war room of the first incident, as the browser loads it.
        let id = first_incident.expect("at least one alert");
        browser.goto(&format!("/incidents/{id}")).await;
        browser.wait_for("main#room").await;
        browser
            .wait_until("the page has loaded", "document.readyState === 'complete'")
            .await;
        let weight = browser.run(PAGE_WEIGHT, vec![]).await;
        let html = weight["html"].as_u64().unwrap_or(0);
        let mut by_kind = [("js", 0u64), ("css", 0u64), ("svg", 0u64), ("other", 0u64)];
        for resource in weight["resources"].as_array().cloned().unwrap_or_default() {
            let name = resource["name"].as_str().unwrap_or_default();
            let path = name.split(['?', '#']).next().unwrap_or_default();
            let bytes = resource["bytes"].as_u64().unwrap_or(0);
            let kind = match path.rsplit('.').next() {
                Some("js") => 0,
                Some("css") => 1,
                Some("svg") => 2,
                _ => 3,
            };
            by_kind[kind].1 += bytes;
        }
        let kb = |bytes: u64| format!("{:.1} KB", bytes as f64 / 1024.0);
        println!();
        println!("== war room page weight (uncompressed, as decoded by the browser) ==");
        row("HTML", kb(html));
        row("JavaScript", kb(by_kind[0].1));
        row("CSS", kb(by_kind[1].1));
        row("HTML + JS + CSS", kb(html + by_kind[0].1 + by_kind[1].1));
        row("alerts chart (SVG)", kb(by_kind[2].1));
        row("anything else", kb(by_kind[3].1));
        browser.close().await;
    });

    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// One firing Alertmanager alert of its own service, so each opens its own incident.
fn alert_body(n: u64) -> String {
    json!({
        "receiver": "warroom",
        "status": "firing",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "WebLatency", "service": format!("web-{n}"), "severity": "critical"},
            "annotations": {"summary": format!("web-{n} is failing")},
            "startsAt": "2026-11-21T09:58:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local/graph",
            "fingerprint": format!("web{n:016x}")
        }],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0
    })
    .to_string()
}

/// This machine's wall clock in milliseconds since the epoch, as the page's
/// `performance.timeOrigin + performance.now()` counts it.
fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// When the page first saw the row of `id` (epoch ms), polling at most `timeout`.
async fn wait_for_row(browser: &Browser, id: &str, timeout: Duration) -> Option<f64> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let seen = browser
            .run(
                "return window.__rowSeen[arguments[0]] || null;",
                vec![json!(id)],
            )
            .await;
        if let Some(at) = seen.as_f64() {
            return Some(at);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}
