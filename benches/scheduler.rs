//! Scheduler lateness benchmark: how late a durable deadline's message reaches the chat,
//! measured as (message posted in the chat) − (deadline due), with 10,000 other deadlines
//! pending and, side by side on the same machine in the same run, with none.
//!
//! Run: `cargo bench --bench scheduler`. Knobs (environment):
//! - `BENCH_PENDING` (default 10000): deadlines pending while the probes come due;
//! - `BENCH_PROBES` (default 200): probe deadlines measured per leg;
//! - `BENCH_PROBE_RATE` (default 20): probes opened per second (so due per second);
//! - `BENCH_DUE_SECONDS` (default 4): how long after its incident opens a probe is due;
//! - `BENCH_CONTROL` (default 1): 0 skips the control leg (the same open incidents, no
//!   deadlines), which tells the cost of 10,000 pending deadlines from that of 10,000 open
//!   incidents.
//!
//! It runs the real app in process through the library (`warroom::app::start_on`): the system
//! clock, the built-in console chat, a temporary sled store, the demo users. Each leg has its
//! own store:
//! 1. **no other deadlines**: an empty store;
//! 2. **control**: `BENCH_PENDING` triggered incidents opened with acknowledgement reminders
//!    off, so no deadline is pending;
//! 3. **pending**: `BENCH_PENDING` triggered incidents opened with a one-day acknowledgement
//!    reminder, so each has a deadline pending a day away.
//!
//! The filled legs fill through the alert webhook, wait for the outbox to open every room,
//! stop the app and count the pending deadlines in the store itself, then start the app again
//! on the same store with a `BENCH_DUE_SECONDS` reminder (one each): the stored one-day
//! deadlines stay pending while every probe incident opened afterwards gets a deadline due a
//! few seconds after it opened. The config's least `ack_reminder` is a minute; the benchmark
//! sets the policy's interval directly so a run fits in about two minutes.
//!
//! A probe's deadline is due at its incident's `opened_at` plus the interval (the engine arms it
//! with the same `now`), to the millisecond the store keeps. Its reminder is the first message in
//! the probe's console room created at or after that moment (the room's card and call are posted
//! within milliseconds of the open, seconds before). The console stamps each message with the
//! system clock as it stores it, so nothing is polled while the probes come due and the measurement
//! does not disturb what it measures. The timeline entry the firing wrote (its `at` is the engine's
//! `now` when it handled the deadline) splits the lateness into the scheduler's and engine's part
//! (due → decided) and the outbox's and chat's (decided → posted).

// A benchmark is a program, not a test: when its setup fails there is nothing sensible to
// measure, and a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use warroom::app::{self, Running};
use warroom::config::{Overrides, Settings};
use warroom::engine::clock::SystemClock;
use warroom::store::{SledStore, Store};

use common::{RawClient, env_number};

/// The demo user alice's fixed token (README, "Run it"): the app runs without a config file.
const DEMO_TOKEN: &str = "demo-alice-token";

/// Alerts per fill request.
const FILL_BATCH: u64 = 100;

/// How long after the last probe is due its reminder may still be looked for.
const COLLECT_GRACE: Duration = Duration::from_secs(30);

/// One leg of the comparison.
struct Leg {
    name: &'static str,
    /// Incidents opened before the probes.
    fill: u64,
    /// Whether the fill's incidents get a (one-day) reminder deadline each.
    fill_deadlines: bool,
}

/// What one leg measured.
struct LegResult {
    name: &'static str,
    /// Deadlines in the store before the probes (counted with the app stopped).
    pending_before: Option<usize>,
    /// Deadlines in the store after the probes fired (the probes' are gone by then).
    pending_after: Option<usize>,
    open_incidents: u64,
    fill_seconds: f64,
    probes: usize,
    /// Probes whose reminder never appeared within the grace.
    missing: usize,
    /// Probes whose room was not ready before the deadline was due (not counted).
    unready: usize,
    /// Messages beyond the one reminder posted after a probe was due: a deadline that fired
    /// twice would show here.
    extra: usize,
    /// Due → posted in the console, microseconds, sorted.
    posted_us: Vec<u32>,
    /// Due → the engine's firing timeline entry, microseconds, sorted.
    decided_us: Vec<u32>,
}

fn main() {
    let pending = env_number("BENCH_PENDING", 10_000);
    let probes = env_number("BENCH_PROBES", 200).max(1);
    let rate = env_number("BENCH_PROBE_RATE", 20).max(1);
    let due_seconds = env_number("BENCH_DUE_SECONDS", 4).max(1);
    let control = env_number("BENCH_CONTROL", 1) != 0;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!(
        "warroom scheduler benchmark: {probes} probe deadlines per leg, {rate}/s, each due \
         {due_seconds} s after its incident opens; {pending} pending deadlines in the loaded leg"
    );
    let mut legs = vec![Leg {
        name: "no other deadlines",
        fill: 0,
        fill_deadlines: false,
    }];
    if control && pending > 0 {
        legs.push(Leg {
            name: "control: open incidents, no deadlines",
            fill: pending,
            fill_deadlines: false,
        });
    }
    legs.push(Leg {
        name: "pending deadlines",
        fill: pending,
        fill_deadlines: true,
    });
    let started = Instant::now();
    let load_at_start = load_average();
    let results: Vec<LegResult> = legs
        .iter()
        .map(|leg| runtime.block_on(run_leg(leg, probes, rate, due_seconds)))
        .collect();
    report(&results);
    println!(
        "  (whole run {:.0} s; load average at the start {load_at_start}, at the end {})",
        started.elapsed().as_secs_f64(),
        load_average()
    );
}

/// Settings for one start of the app on `data`, with a reminder after `reminder` (or none).
fn settings(data: &Path, reminder: Option<chrono::Duration>) -> Settings {
    let overrides = Overrides {
        http_addr: Some("127.0.0.1:0".to_owned()),
        data_dir: Some(data.to_path_buf()),
        ingest_token: None,
    };
    let root = data.parent().expect("the data dir has a parent");
    let mut settings = Settings::load_in(None, &overrides, root).expect("the built-in settings");
    // The console chat, whatever the environment says about Discord.
    settings.discord = None;
    settings.console_api = true;
    settings.policy.ack_reminder = reminder;
    settings.policy.ack_reminder_max = 1;
    settings
}

/// A started app and what the benchmark needs to talk to it.
struct App {
    running: Running,
    base: String,
    address: String,
    /// `Authorization` for the alert webhook when the environment sets an ingest token.
    ingest_auth: Option<String>,
}

async fn start(settings: Settings) -> App {
    let ingest_auth = settings
        .ingest_token
        .as_ref()
        .map(|token| format!("Bearer {}", token.expose()));
    // A restart may find the previous start's store not yet released (a read still running
    // on the blocking pool holds it): try again for a while before giving up.
    let give_up = Instant::now() + Duration::from_secs(30);
    let running = loop {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        match app::start_on(settings.clone(), listener, Arc::new(SystemClock)).await {
            Ok(running) => break running,
            Err(error) if Instant::now() < give_up => {
                println!("  (warroom did not start, trying again: {error:#})");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("warroom did not start within 30 s: {error:#}"),
        }
    };
    let address = running.addr.to_string();
    let app = App {
        running,
        base: format!("http://{address}"),
        address,
        ingest_auth,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = client.get(format!("{}/readyz", app.base)).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            return app;
        }
        assert!(Instant::now() < deadline, "warroom not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl App {
    async fn post_alerts(&self, client: &mut RawClient, body: &str) -> Value {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(auth) = &self.ingest_auth {
            headers.push(("Authorization", auth.as_str()));
        }
        // A busy app may refuse for a moment (a full queue, a store re-opening): retry for a
        // while, and say what it answered if it never takes the alerts.
        let give_up = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, text) = match client
                .request("POST", "/v1/alerts/alertmanager", &headers, body)
                .await
            {
                Ok(answer) => answer,
                Err(error) => {
                    assert!(Instant::now() < give_up, "cannot post alerts: {error}");
                    *client = RawClient::connect(&self.address).await.expect("reconnect");
                    continue;
                }
            };
            if status == 200 {
                return serde_json::from_str(&text).expect("the webhook answers JSON");
            }
            assert!(
                Instant::now() < give_up,
                "alerts refused for 30 s, last with {status}: {text}"
            );
            println!("  (alerts refused with {status}, trying again: {text})");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops the app. A stop that reports an error (its final flush outlasting the grace on a
    /// busy disk) is noted, not fatal: every answered request was flushed already.
    async fn stop(self, after: &str) {
        if let Err(error) = self.running.stop().await {
            println!("  (the stop after {after} reported: {error:#})");
        }
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> Option<Value> {
        let response = client
            .get(format!("{}{path}", self.base))
            .bearer_auth(DEMO_TOKEN)
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }
}

/// One Alertmanager v4 body with `count` firing alerts, each of its own service, so each
/// opens its own incident.
fn alerts_body(prefix: &str, first: u64, count: u64) -> String {
    let alerts: Vec<String> = (first..first + count)
        .map(|n| {
            format!(
                concat!(
                    r#"{{"status":"firing","labels":{{"alertname":"SchedulerBench","service":"{prefix}-{n}","severity":"critical"}},"#,
                    r#""annotations":{{"summary":"{prefix}-{n} is failing"}},"startsAt":"2026-11-21T09:58:00Z","#,
                    r#""endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.local/graph","#,
                    r#""fingerprint":"{prefix}{n:016x}"}}"#
                ),
                prefix = prefix,
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

/// The outbox's depth as the app last reported it.
async fn outbox_depth(app: &App, client: &reqwest::Client) -> Option<f64> {
    let text = client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("warroom_outbox_depth "))
        .and_then(|value| value.trim().parse().ok())
}

/// Waits until the outbox has delivered everything (depth 0 twice in a row), so the
/// probes measure deadlines, not a backlog of room creation.
async fn wait_for_outbox(app: &App) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut zero_seen = 0;
    // The gauge is set on the worker's next pass after the last commit.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while Instant::now() < deadline {
        if outbox_depth(app, &client).await == Some(0.0) {
            zero_seen += 1;
            if zero_seen == 2 {
                return;
            }
        } else {
            zero_seen = 0;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!("  (the outbox did not drain within 600 s; measuring anyway)");
}

/// The deadlines stored in `data`, counted with the app stopped; `None` (with the reason
/// printed) when the store cannot be opened.
fn count_deadlines(data: &Path) -> Option<usize> {
    match SledStore::open(data, 64 * 1024 * 1024) {
        Ok(store) => {
            let far = Utc::now() + chrono::Duration::days(3650);
            match store.deadlines_due(far, usize::MAX) {
                Ok(deadlines) => Some(deadlines.len()),
                Err(error) => {
                    println!("  (cannot read the deadlines: {error})");
                    None
                }
            }
        }
        Err(error) => {
            println!("  (cannot open the store to count deadlines: {error})");
            None
        }
    }
}

async fn run_leg(leg: &Leg, probes: u64, rate: u64, due_seconds: u64) -> LegResult {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let due_after = chrono::Duration::seconds(due_seconds as i64);
    println!("\n-- {} --", leg.name);

    let mut fill_seconds = 0.0;
    let pending_before = if leg.fill > 0 {
        let reminder = leg.fill_deadlines.then(|| chrono::Duration::days(1));
        let app = start(settings(&data, reminder)).await;
        let fill_started = Instant::now();
        let mut client = RawClient::connect(&app.address).await.expect("connect");
        let mut next = 0;
        while next < leg.fill {
            let count = FILL_BATCH.min(leg.fill - next);
            app.post_alerts(&mut client, &alerts_body("fill", next, count))
                .await;
            next += count;
        }
        wait_for_outbox(&app).await;
        fill_seconds = fill_started.elapsed().as_secs_f64();
        println!(
            "  filled {} incidents and opened their rooms in {fill_seconds:.1} s",
            leg.fill
        );
        drop(client);
        app.stop("the fill").await;
        count_deadlines(&data)
    } else {
        Some(0)
    };
    if let Some(count) = pending_before {
        println!("  deadlines pending before the probes: {count}");
    }

    let app = start(settings(&data, Some(due_after))).await;
    wait_for_outbox(&app).await;
    let mut client = RawClient::connect(&app.address).await.expect("connect");
    let spacing = Duration::from_secs_f64(1.0 / rate as f64);
    let first_sent = tokio::time::Instant::now();
    let mut opened = Vec::new();
    for n in 0..probes {
        tokio::time::sleep_until(first_sent + spacing * n as u32).await;
        let report = app
            .post_alerts(&mut client, &alerts_body("probe", n, 1))
            .await;
        let incident = report["incidents"][0]
            .as_str()
            .unwrap_or_else(|| panic!("a probe opened no incident: {report}"))
            .to_owned();
        opened.push(incident);
    }
    println!(
        "  opened {probes} probe incidents in {:.1} s; waiting for their deadlines",
        first_sent.elapsed().as_secs_f64()
    );
    // Nothing is read while the probes come due: the console stamps each message as it
    // stores it, so the figures are read afterwards.
    tokio::time::sleep(Duration::from_secs(due_seconds) + Duration::from_millis(500)).await;

    let reader = reqwest::Client::new();
    let give_up = Instant::now() + COLLECT_GRACE;
    let mut posted_us = Vec::new();
    let mut decided_us = Vec::new();
    let mut unready = 0;
    let mut missing = 0;
    let mut extra = 0;
    for incident in &opened {
        loop {
            match probe_lateness(&app, &reader, incident, due_after).await {
                Probe::Measured {
                    posted,
                    decided,
                    after_due,
                } => {
                    posted_us.push(posted);
                    extra += after_due.saturating_sub(1);
                    if let Some(decided) = decided {
                        decided_us.push(decided);
                    }
                    break;
                }
                Probe::Unready => {
                    unready += 1;
                    break;
                }
                Probe::NotYet if Instant::now() < give_up => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Probe::NotYet => {
                    missing += 1;
                    break;
                }
            }
        }
    }
    let open_incidents = leg.fill + probes;
    drop(client);
    app.stop("the probes").await;
    let pending_after = count_deadlines(&data);
    posted_us.sort_unstable();
    decided_us.sort_unstable();
    LegResult {
        name: leg.name,
        pending_before,
        pending_after,
        open_incidents,
        fill_seconds,
        probes: opened.len(),
        missing,
        unready,
        extra,
        posted_us,
        decided_us,
    }
}

/// What one probe showed.
enum Probe {
    /// Lateness in microseconds: due → posted, and due → the engine's timeline entry.
    /// `after_due` counts the room's messages at or after the due time (1 when it fired once).
    Measured {
        posted: u32,
        decided: Option<u32>,
        after_due: usize,
    },
    /// The room's first message came after the deadline was due: the reminder cannot be
    /// told from the room's opening messages, so the probe is left out.
    Unready,
    /// No message at or after the due time yet.
    NotYet,
}

async fn probe_lateness(
    app: &App,
    reader: &reqwest::Client,
    incident: &str,
    due_after: chrono::Duration,
) -> Probe {
    let Some(view) = app.get(reader, &format!("/v1/incidents/{incident}")).await else {
        return Probe::NotYet;
    };
    let Some(opened_at) = time(&view["opened_at"]) else {
        panic!("incident {incident} has no opened_at: {view}");
    };
    // The store keeps due times to the millisecond (its keys), and the scheduler wakes for
    // that moment, up to a millisecond before the exact sum: that moment is the due time.
    let exact = opened_at + due_after;
    let due = DateTime::from_timestamp_millis(exact.timestamp_millis()).unwrap_or(exact);
    let room = incident.to_ascii_lowercase();
    let Some(messages) = app
        .get(
            reader,
            &format!("/console/api/rooms/{room}/messages?limit=500"),
        )
        .await
    else {
        return Probe::NotYet;
    };
    let stamps: Vec<DateTime<Utc>> = messages
        .as_array()
        .map(|list| list.iter().filter_map(|m| time(&m["created_at"])).collect())
        .unwrap_or_default();
    match stamps.first() {
        None => return Probe::NotYet,
        Some(first) if *first >= due => return Probe::Unready,
        Some(_) => {}
    }
    let Some(posted) = stamps.iter().find(|stamp| **stamp >= due) else {
        return Probe::NotYet;
    };
    let after_due = stamps.iter().filter(|stamp| **stamp >= due).count();
    let decided = app
        .get(
            reader,
            &format!("/v1/incidents/{incident}/timeline?limit=500"),
        )
        .await
        .and_then(|entries| {
            entries
                .as_array()?
                .iter()
                .filter_map(|entry| time(&entry["at"]))
                .find(|at| *at >= due)
        });
    Probe::Measured {
        posted: micros(*posted - due),
        decided: decided.map(|at| micros(at - due)),
        after_due,
    }
}

/// The machine's 1-, 5- and 15-minute load averages: the figures' tails follow whatever else
/// runs on the machine, so the report says how busy it was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

fn micros(duration: chrono::Duration) -> u32 {
    duration
        .num_microseconds()
        .and_then(|us| u32::try_from(us).ok())
        .unwrap_or(u32::MAX)
}

/// `p50 / p95 / p99 / max` of sorted microseconds, in milliseconds.
fn summary(sorted: &[u32]) -> String {
    if sorted.is_empty() {
        return "n/a".to_owned();
    }
    format!(
        "{:.1} / {:.1} / {:.1} / {:.1}",
        common::percentile(sorted, 50.0),
        common::percentile(sorted, 95.0),
        common::percentile(sorted, 99.0),
        common::percentile(sorted, 100.0)
    )
}

fn report(results: &[LegResult]) {
    let count = |value: Option<usize>| value.map_or_else(|| "n/a".to_owned(), |n| n.to_string());
    let rows: Vec<(&str, Vec<String>)> = vec![
        (
            "deadlines pending (before / after)",
            results
                .iter()
                .map(|r| format!("{} / {}", count(r.pending_before), count(r.pending_after)))
                .collect(),
        ),
        (
            "open incidents at the end",
            results
                .iter()
                .map(|r| r.open_incidents.to_string())
                .collect(),
        ),
        (
            "fill + rooms opened",
            results
                .iter()
                .map(|r| {
                    if r.fill_seconds > 0.0 {
                        format!("{:.1} s", r.fill_seconds)
                    } else {
                        "-".to_owned()
                    }
                })
                .collect(),
        ),
        (
            "probes measured / missing / unready",
            results
                .iter()
                .map(|r| format!("{} / {} / {}", r.posted_us.len(), r.missing, r.unready))
                .collect(),
        ),
        (
            "messages beyond one per probe",
            results.iter().map(|r| r.extra.to_string()).collect(),
        ),
        (
            "due -> posted p50/p95/p99/max ms",
            results.iter().map(|r| summary(&r.posted_us)).collect(),
        ),
        (
            "due -> decided p50/p95/p99/max ms",
            results.iter().map(|r| summary(&r.decided_us)).collect(),
        ),
        (
            "probes with a decided time",
            results
                .iter()
                .map(|r| r.decided_us.len().to_string())
                .collect(),
        ),
    ];
    println!();
    println!("== warroom scheduler lateness (due -> message in the console chat) ==");
    let width = 30;
    let header: Vec<String> = results
        .iter()
        .map(|r| format!("{:>width$}", r.name.split(':').next().unwrap_or(r.name)))
        .collect();
    println!("  {:<36}{}", "", header.join(" "));
    for (name, values) in rows {
        let cells: Vec<String> = values.iter().map(|v| format!("{v:>width$}")).collect();
        println!("  {name:<36}{}", cells.join(" "));
    }
    let probes: usize = results.iter().map(|r| r.probes).sum();
    println!("\n  ({probes} probes in all; lateness in milliseconds)");
}
