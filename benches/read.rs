//! Read-load benchmark: many incidents, many parallel readers of `GET /v1/incidents`, and one
//! alert sender whose latency shows whether reads starve the engine.
//!
//! Run: `cargo bench --bench read`. Knobs (environment):
//! - `BENCH_INCIDENTS` (default 21000): incidents created before reading starts;
//! - `BENCH_READERS` (default 48): parallel readers, one keep-alive connection each;
//! - `BENCH_SECONDS` (default 20): how long the readers read;
//! - `BENCH_TOKEN` (default: the demo user alice's token): the bearer token readers send;
//! - `BENCH_READ_PATH` (default `/v1/incidents`): what the readers ask for;
//! - `BENCH_WARROOM_BIN`: run another warroom binary (an older build, for before/after).
//!
//! Reports reads/s, read latency percentiles and bytes per answer, the alert sender's latency
//! percentiles while the readers run (one alert every 100 ms), and the server's RSS at the
//! end and at its peak.

// A benchmark is a program, not a test: when its setup fails there is nothing sensible to
// measure, and a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{
    RawClient, env_number, latency_summary, mib, proc_status_kib, start_server, wait_ready,
};

/// The demo user alice's fixed token (README, "Run it"): the server runs without a config.
const DEMO_TOKEN: &str = "demo-alice-token";

/// One Alertmanager v4 body carrying `count` firing alerts, each of its own service, so each
/// opens its own incident.
fn fill_body(first: u64, count: u64) -> String {
    let alerts: Vec<String> = (first..first + count)
        .map(|n| {
            format!(
                concat!(
                    r#"{{"status":"firing","labels":{{"alertname":"ReadBench","service":"svc-{n}","severity":"critical"}},"#,
                    r#""annotations":{{"summary":"svc-{n} is failing"}},"startsAt":"2026-11-21T09:58:00Z","#,
                    r#""endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.local/graph","#,
                    r#""fingerprint":"read{n:016x}"}}"#
                ),
                n = n
            )
        })
        .collect();
    format!(
        concat!(
            r#"{{"receiver":"warroom","status":"firing","alerts":[{alerts}],"#,
            r#""groupLabels":{{}},"commonLabels":{{}},"commonAnnotations":{{}},"#,
            r#""externalURL":"http://alertmanager.local","version":"4","groupKey":"{{}}:{{}}","truncatedAlerts":0}}"#
        ),
        alerts = alerts.join(",")
    )
}

/// Polls /metrics until the outbox is empty, so the readers measure reads, not room creation.
async fn wait_for_outbox(base: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{base}/metrics")).send().await
            && let Ok(text) = response.text().await
        {
            let depth = text
                .lines()
                .find_map(|line| line.strip_prefix("warroom_outbox_depth "))
                .and_then(|value| value.trim().parse::<f64>().ok());
            if depth == Some(0.0) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("  (the outbox did not drain within 600 s; reading anyway)");
}

fn main() {
    let incidents = env_number("BENCH_INCIDENTS", 21_000);
    let readers = env_number("BENCH_READERS", 48).max(1);
    let seconds = env_number("BENCH_SECONDS", 20);
    let token = std::env::var("BENCH_TOKEN").unwrap_or_else(|_| DEMO_TOKEN.to_owned());
    let read_path = std::env::var("BENCH_READ_PATH").unwrap_or_else(|_| "/v1/incidents".into());

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("warroom.log");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut server = start_server(&data, &log);
    let pid = server.child.id();

    runtime.block_on(async {
        wait_ready(&reqwest::Client::new(), &mut server, &log).await;
        let address = server.base.trim_start_matches("http://").to_owned();
        println!(
            "warroom read benchmark: {incidents} incidents, {readers} readers of {read_path}, {seconds} s"
        );

        let fill_started = Instant::now();
        let mut client = RawClient::connect(&address).await.expect("connect");
        let per_request = 100;
        let mut next = 0;
        while next < incidents {
            let count = per_request.min(incidents - next);
            let (status, text) = client
                .post("/v1/alerts/alertmanager", &fill_body(next, count))
                .await
                .expect("fill request");
            assert_eq!(status, 200, "fill failed: {text}");
            next += count;
        }
        println!(
            "  filled in {:.1} s; waiting for the outbox to open every room",
            fill_started.elapsed().as_secs_f64()
        );
        wait_for_outbox(&server.base).await;
        let rss_before = proc_status_kib(pid, "VmRSS");

        let deadline = Instant::now() + Duration::from_secs(seconds);
        let bytes = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..readers {
            let address = address.clone();
            let token = token.clone();
            let path = read_path.clone();
            let bytes = bytes.clone();
            tasks.push(tokio::spawn(async move {
                let mut client = RawClient::connect(&address).await.expect("connect");
                let authorization = format!("Bearer {token}");
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match client
                        .get(&path, &[("Authorization", authorization.as_str())])
                        .await
                    {
                        Ok((200, body)) => {
                            latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                            bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                        }
                        Ok(_) => failures += 1,
                        Err(_) => {
                            failures += 1;
                            match RawClient::connect(&address).await {
                                Ok(fresh) => client = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                (latencies, failures)
            }));
        }
        // The alert sender: one new alert every 100 ms while the readers read.
        let sender_address = address.clone();
        let sender = tokio::spawn(async move {
            let mut client = RawClient::connect(&sender_address).await.expect("connect");
            let mut latencies = Vec::new();
            let mut n = 1_000_000_000;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let (status, text) = client
                    .post("/v1/alerts/alertmanager", &fill_body(n, 1))
                    .await
                    .expect("alert during reads");
                assert_eq!(status, 200, "alert during reads failed: {text}");
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                n += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            latencies
        });
        let mut read_latencies = Vec::new();
        let mut failures = 0;
        for task in tasks {
            let (latencies, failed) = task.await.expect("a reader panicked");
            read_latencies.extend(latencies);
            failures += failed;
        }
        let mut write_latencies = sender.await.expect("the sender panicked");
        read_latencies.sort_unstable();
        write_latencies.sort_unstable();
        let reads = read_latencies.len() as u64;
        let row = |name: &str, value: String| println!("  {name:<34} {value}");
        println!();
        println!("== warroom reads: {readers} readers of {read_path} over {incidents} incidents ==");
        row("reads answered 200", reads.to_string());
        row("reads failed", failures.to_string());
        row("reads/s", format!("{:.0}", reads as f64 / seconds as f64));
        row(
            "bytes per answer",
            format!("{:.0}", bytes.load(Ordering::Relaxed) as f64 / reads.max(1) as f64),
        );
        row("read latency p50 / p90 / p99 / max", latency_summary(&read_latencies));
        row("alert POST during reads p50/p90/p99/max", latency_summary(&write_latencies));
        row("alerts posted during reads", write_latencies.len().to_string());
        row("server RSS before reads", mib(rss_before));
        row("server RSS at end", mib(proc_status_kib(pid, "VmRSS")));
        row("server peak RSS (VmHWM)", mib(proc_status_kib(pid, "VmHWM")));
    });
    let _ = server.child.kill();
    let _ = server.child.wait();
}
