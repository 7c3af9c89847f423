//! Ingest load benchmark: the release binary on loopback, driven with single-alert
//! Alertmanager webhooks, each with a new fingerprint, over N keep-alive connections.
//!
//! Run: `cargo bench --bench ingest`. Knobs (environment):
//! - `BENCH_SECONDS` (default 20): how long to drive load;
//! - `BENCH_CONNECTIONS` (default 16): concurrent connections, one task and client each;
//! - `BENCH_SERVICES` (default 1): spread alerts over this many `service` labels, so over
//!   this many incidents (1 is the alert-storm case: everything joins one incident).
//!
//! Reports alerts/s, per-request latency percentiles, errors, the server's RSS after the
//! first 100,000 alerts and at the end, its peak RSS and the CPU seconds the server and the
//! load generator each used (they share the machine, so the split says who is the limit).

// A benchmark is a program, not a test, so the crate's unwrap/expect denial applies; when its
// setup fails there is nothing sensible to measure, and a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{
    RawClient, clock_ticks_per_second, cpu_ticks, dir_size, env_number, latency_summary, mib,
    percentile, proc_status_kib, start_server, wait_ready,
};

/// Where the RSS sample is taken.
const RSS_SAMPLE_AT: u64 = 100_000;

/// One single-alert Alertmanager v4 body; `n` makes the fingerprint new every time.
fn body(n: u64, services: u64) -> String {
    let service = n % services;
    format!(
        concat!(
            r#"{{"receiver":"warroom","status":"firing","alerts":[{{"status":"firing","#,
            r#""labels":{{"alertname":"BenchAlert","service":"bench-{service}","severity":"critical","instance":"host-{n}:9100"}},"#,
            r#""annotations":{{"summary":"bench-{service} is failing"}},"#,
            r#""startsAt":"2026-11-21T09:58:00Z","endsAt":"0001-01-01T00:00:00Z","#,
            r#""generatorURL":"http://prometheus.local/graph","fingerprint":"bench{n:016x}"}}],"#,
            r#""groupLabels":{{"alertname":"BenchAlert"}},"commonLabels":{{}},"commonAnnotations":{{}},"#,
            r#""externalURL":"http://alertmanager.local","version":"4","groupKey":"{{}}:{{alertname=\"BenchAlert\"}}","truncatedAlerts":0}}"#
        ),
        n = n,
        service = service
    )
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    first_error: Option<String>,
}

/// Drives `path` over `connections` keep-alive connections for `seconds`, one request per
/// alert, bodies from `make_body(n)` with a new `n` each time. `on_stored(count)` runs after
/// each 2xx with the running count. Returns what every connection saw, the time taken and the
/// number of 2xx answers.
async fn drive(
    address: &str,
    path: &'static str,
    seconds: u64,
    connections: u64,
    make_body: impl Fn(u64) -> String + Send + Sync + 'static,
    on_stored: impl Fn(u64) + Send + Sync + 'static,
) -> (Tally, Duration, u64) {
    let make_body = Arc::new(make_body);
    let on_stored = Arc::new(on_stored);
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, ok) = (next.clone(), ok.clone());
        let (make_body, on_stored) = (make_body.clone(), on_stored.clone());
        let address = address.to_owned();
        tasks.push(tokio::spawn(async move {
            // One keep-alive connection per task, like N Alertmanagers would hold. The client
            // is a few lines of raw HTTP/1.1 so the load generator takes as little of the
            // shared two cores as possible.
            let mut client = RawClient::connect(&address).await.expect("connect");
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let body = make_body(next.fetch_add(1, Ordering::Relaxed));
                let sent = Instant::now();
                match client.post(path, &body).await {
                    Ok((status, text)) => {
                        let elapsed = sent.elapsed().as_micros();
                        tally
                            .latencies_us
                            .push(u32::try_from(elapsed).unwrap_or(u32::MAX));
                        *tally.statuses.entry(status).or_default() += 1;
                        if (200..300).contains(&status) {
                            on_stored(ok.fetch_add(1, Ordering::Relaxed) + 1);
                        } else if tally.first_error.is_none() {
                            tally.first_error = Some(format!("{status}: {text}"));
                        }
                    }
                    Err(error) => {
                        tally.transport_errors += 1;
                        if tally.first_error.is_none() {
                            tally.first_error = Some(error.to_string());
                        }
                        // The connection is in an unknown state: start a fresh one.
                        match RawClient::connect(&address).await {
                            Ok(fresh) => client = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.expect("a load task panicked");
        all.latencies_us.extend(tally.latencies_us);
        for (status, count) in tally.statuses {
            *all.statuses.entry(status).or_default() += count;
        }
        all.transport_errors += tally.transport_errors;
        all.first_error = all.first_error.or(tally.first_error);
    }
    (all, started.elapsed(), ok.load(Ordering::Relaxed))
}

/// The value of an unlabelled Prometheus sample `name` in `text`.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

fn main() {
    // `cargo bench` passes `--bench`; a harness-less bench takes no other arguments.
    let seconds = env_number("BENCH_SECONDS", 20);
    let connections = env_number("BENCH_CONNECTIONS", 16).max(1);
    let services = env_number("BENCH_SERVICES", 1).max(1);

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("warroom.log");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut server = start_server(&data, &log);
    let pid = server.child.id();
    let ticks = clock_ticks_per_second();

    let result = runtime.block_on(async {
        let probe = reqwest::Client::new();
        wait_ready(&probe, &mut server, &log).await;
        println!(
            "warroom ingest benchmark: {seconds} s, {connections} connections, \
             {services} service(s), server pid {pid}, data in {}",
            data.display()
        );

        let rss_at_sample = Arc::new(AtomicU64::new(0));
        let server_cpu_before = cpu_ticks(&pid.to_string()).unwrap_or(0);
        let self_cpu_before = cpu_ticks("self").unwrap_or(0);
        let address = server.base.trim_start_matches("http://").to_owned();
        let sample = rss_at_sample.clone();
        let (all, elapsed, ok) = drive(
            &address,
            "/v1/alerts/alertmanager",
            seconds,
            connections,
            move |n| body(n, services),
            move |stored| {
                if stored == RSS_SAMPLE_AT {
                    let rss = proc_status_kib(pid, "VmRSS").unwrap_or(0);
                    sample.store(rss, Ordering::Relaxed);
                }
            },
        )
        .await;
        let server_cpu = cpu_ticks(&pid.to_string()).unwrap_or(0) - server_cpu_before;
        let self_cpu = cpu_ticks("self").unwrap_or(0) - self_cpu_before;
        // Where the time went: the server's own group-commit histograms.
        let metrics = match probe.get(format!("{}/metrics", server.base)).send().await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        (
            all,
            elapsed,
            ok,
            rss_at_sample.load(Ordering::Relaxed),
            server_cpu,
            self_cpu,
            metrics,
        )
    });
    let (mut all, elapsed, ok, rss_at_sample, server_cpu, self_cpu, metrics) = result;

    let rss_end = proc_status_kib(pid, "VmRSS");
    let rss_peak = proc_status_kib(pid, "VmHWM");
    let store_bytes = dir_size(&data);

    // SIGTERM asks for the graceful shutdown (drain, final flush); time it, as a slow one
    // matters to systemd and Kubernetes stop timeouts.
    let stop_started = Instant::now();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let mut stopped = None;
    while stop_started.elapsed() < Duration::from_secs(60) {
        if let Ok(Some(status)) = server.child.try_wait() {
            stopped = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stop_time = stop_started.elapsed();
    if stopped.is_none() {
        let _ = server.child.kill();
        let _ = server.child.wait();
    }

    all.latencies_us.sort_unstable();
    let requests = all.latencies_us.len() as u64 + all.transport_errors;
    let non_200: u64 = all
        .statuses
        .iter()
        .filter(|(status, _)| **status != 200)
        .map(|(_, count)| count)
        .sum();
    let secs = elapsed.as_secs_f64();
    let row = |name: &str, value: String| println!("  {name:<34} {value}");
    println!();
    println!("== warroom ingest: POST /v1/alerts/alertmanager, 1 alert per request ==");
    row("duration", format!("{secs:.2} s"));
    row("connections", connections.to_string());
    row("services (incidents)", services.to_string());
    row("requests sent", requests.to_string());
    row("alerts stored (200)", ok.to_string());
    row("throughput", format!("{:.0} alerts/s", ok as f64 / secs));
    row(
        "latency p50 / p90 / p99 / max",
        latency_summary(&all.latencies_us),
    );
    row(
        "errors (non-200 / transport)",
        format!("{non_200} / {}", all.transport_errors),
    );
    if let Some(first) = &all.first_error {
        row("first error", first.chars().take(200).collect());
    }
    for (status, count) in &all.statuses {
        if *status != 200 {
            row(&format!("  status {status}"), count.to_string());
        }
    }
    row(
        "server RSS after 100k alerts",
        if rss_at_sample > 0 {
            mib(Some(rss_at_sample))
        } else {
            format!("n/a (fewer than {RSS_SAMPLE_AT} alerts)")
        },
    );
    row("server RSS at end", mib(rss_end));
    let groups = metric(&metrics, "warroom_store_flush_seconds_count");
    let flushing = metric(&metrics, "warroom_store_flush_seconds_sum");
    let grouped = metric(&metrics, "warroom_group_commit_requests_sum");
    if let (Some(groups), Some(flushing), Some(grouped)) = (groups, flushing, grouped)
        && groups > 0.0
    {
        row(
            "groups: count, requests per group",
            format!("{groups:.0}, {:.1}", grouped / groups),
        );
        row(
            "flush per group (mean), wall time",
            format!(
                "{:.3} ms, {:.0}% of the run",
                flushing / groups * 1000.0,
                flushing / secs * 100.0
            ),
        );
    }
    row("server peak RSS (VmHWM)", mib(rss_peak));
    row(
        "store on disk at end",
        format!("{:.1} MiB", store_bytes as f64 / (1024.0 * 1024.0)),
    );
    row(
        "CPU: server / load generator",
        format!(
            "{:.1} s / {:.1} s ({:.0}% / {:.0}% of one core)",
            server_cpu as f64 / ticks,
            self_cpu as f64 / ticks,
            100.0 * server_cpu as f64 / ticks / secs,
            100.0 * self_cpu as f64 / ticks / secs
        ),
    );
    row(
        "graceful stop (SIGTERM)",
        match stopped {
            Some(status) => format!("{:.2} s, {status}", stop_time.as_secs_f64()),
            None => "did not stop within 60 s; killed".to_owned(),
        },
    );
    if non_200 > 0 || all.transport_errors > 0 {
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = output.lines().rev().take(20).collect();
        println!("\nlast server log lines:");
        for line in tail.iter().rev() {
            println!("  {line}");
        }
    }
    if std::env::var("BENCH_ALERTMANAGER").as_deref() != Ok("0") {
        let warroom_rate = ok as f64 / secs;
        runtime.block_on(alertmanager_leg(seconds, connections, warroom_rate, &all));
    }
}

/// The same load against the real counterpart, Alertmanager (`prometheus-alertmanager`), in the
/// same run on the same machine: `POST /api/v2/alerts`, one new alert per request. Alertmanager
/// keeps alerts in memory and syncs nothing per request, so the ratio prices warroom's
/// per-group fsync as well as its work.
async fn alertmanager_leg(seconds: u64, connections: u64, warroom_rate: f64, warroom: &Tally) {
    let Some(mut alertmanager) = common::start_alertmanager() else {
        println!("\n(prometheus-alertmanager is not installed: no side-by-side figure)");
        return;
    };
    let pid = alertmanager.server.child.id();
    let address = alertmanager
        .server
        .base
        .trim_start_matches("http://")
        .to_owned();
    let ticks = clock_ticks_per_second();
    let cpu_before = cpu_ticks(&pid.to_string()).unwrap_or(0);
    let (mut all, elapsed, ok) = drive(
        &address,
        "/api/v2/alerts",
        seconds,
        connections,
        |n| {
            format!(
                concat!(
                    r#"[{{"labels":{{"alertname":"BenchAlert","service":"bench-0","severity":"critical","instance":"host-{n}:9100"}},"#,
                    r#""annotations":{{"summary":"bench-0 is failing"}},"startsAt":"2026-11-21T09:58:00Z","#,
                    r#""generatorURL":"http://prometheus.local/graph"}}]"#
                ),
                n = n
            )
        },
        |_| {},
    )
    .await;
    let cpu = cpu_ticks(&pid.to_string()).unwrap_or(0) - cpu_before;
    let rss_peak = proc_status_kib(pid, "VmHWM");
    alertmanager.stop();
    all.latencies_us.sort_unstable();
    let secs = elapsed.as_secs_f64();
    let rate = ok as f64 / secs;
    let row = |name: &str, value: String| println!("  {name:<34} {value}");
    println!();
    println!("== Alertmanager, same load: POST /api/v2/alerts, 1 alert per request ==");
    row("alerts accepted (2xx)", ok.to_string());
    row("throughput", format!("{rate:.0} alerts/s"));
    row(
        "latency p50 / p90 / p99 / max",
        latency_summary(&all.latencies_us),
    );
    row("peak RSS (VmHWM)", mib(rss_peak));
    row(
        "CPU",
        format!(
            "{:.1} s ({:.0}% of one core)",
            cpu as f64 / ticks,
            100.0 * cpu as f64 / ticks / secs
        ),
    );
    // `main` sorted warroom's latencies before printing them.
    let warroom_sorted = &warroom.latencies_us;
    row(
        "warroom / Alertmanager throughput",
        format!("{:.2}", warroom_rate / rate.max(f64::MIN_POSITIVE)),
    );
    row(
        "warroom / Alertmanager p99 latency",
        format!(
            "{:.2}",
            percentile(warroom_sorted, 99.0)
                / percentile(&all.latencies_us, 99.0).max(f64::MIN_POSITIVE)
        ),
    );
}
