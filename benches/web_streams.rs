//! Memory of open web console event streams: the real binary as a child process, its RSS
//! from /proc before and after `BENCH_STREAMS` Server-Sent Event streams are opened, while
//! events flow through them, and after they close.
//!
//! Run: `cargo bench --bench web_streams`. Knobs (environment):
//! - `BENCH_STREAMS` (default 100): streams opened, half the incident list's, half war
//!   rooms' (spread over the incidents), each on its own connection;
//! - `BENCH_INCIDENTS` (default 20): incidents opened before the streams, so the war-room
//!   streams have rooms;
//! - `BENCH_EVENTS` (default 20): incidents opened while the streams are open, each an
//!   event (several: opened, room posted, card) on every list stream;
//! - `BENCH_WARROOM_BIN`: run another warroom binary.
//!
//! The server runs in demo mode (no config file), so the demo user alice signs in with her
//! demo token through the sign-in form, as a browser would.

// A benchmark is a program, not a test: when its setup fails there is nothing sensible to
// measure, and a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{env_number, mib, proc_status_kib, start_server, wait_ready};

/// The demo user alice's fixed token (README, "Run it").
const DEMO_TOKEN: &str = "demo-alice-token";

fn alert_body(n: u64) -> String {
    format!(
        concat!(
            r#"{{"receiver":"warroom","status":"firing","alerts":[{{"status":"firing","#,
            r#""labels":{{"alertname":"StreamBench","service":"svc-{n}","severity":"critical"}},"#,
            r#""annotations":{{"summary":"svc-{n} is failing"}},"startsAt":"2026-11-21T09:58:00Z","#,
            r#""endsAt":"0001-01-01T00:00:00Z","fingerprint":"stream{n:016x}"}}],"#,
            r#""groupLabels":{{}},"commonLabels":{{}},"commonAnnotations":{{}},"#,
            r#""externalURL":"http://alertmanager.local","version":"4","groupKey":"{{}}:{{}}","truncatedAlerts":0}}"#
        ),
        n = n
    )
}

fn incident_id(n: u64) -> String {
    // Demo mode's clock is the system's: today's incidents, numbered from 1.
    format!("INC-{}-{n:03}", chrono::Utc::now().format("%Y%m%d"))
}

async fn post_alert(client: &reqwest::Client, base: &str, n: u64) {
    let response = client
        .post(format!("{base}/v1/alerts/alertmanager"))
        .header("content-type", "application/json")
        .body(alert_body(n))
        .send()
        .await
        .expect("alert sent");
    assert!(
        response.status().is_success(),
        "alert {n}: {}",
        response.status()
    );
}

/// Signs alice in through the form; the session cookie (`warroom_session=…`).
async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    sign_in_with(client, base, DEMO_TOKEN).await
}

/// The demo users' public tokens: streams are spread over sessions (16 streams at most per
/// session, 20 sessions at most per person).
const DEMO_TOKENS: [&str; 3] = ["demo-alice-token", "demo-bob-token", "demo-carol-token"];

async fn sign_in_with(client: &reqwest::Client, base: &str, token: &str) -> String {
    let response = client
        .post(format!("{base}/login"))
        .header("origin", base)
        .form(&[("token", token)])
        .send()
        .await
        .expect("sign-in sent");
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER, "sign-in");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("warroom_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

fn rss(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

fn threads(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .map(|value| value.trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

/// Lets the server settle (allocator, background tasks) before a reading.
async fn settled_rss(pid: u32) -> Option<u64> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    rss(pid)
}

fn main() {
    let streams = env_number("BENCH_STREAMS", 100).max(2);
    let incidents = env_number("BENCH_INCIDENTS", 20).max(1);
    let events = env_number("BENCH_EVENTS", 20).max(1);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run(streams, incidents, events));
}

async fn run(streams: u64, incidents: u64, events: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("warroom.log");
    let mut server = start_server(&data, &log);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    wait_ready(&client, &mut server, &log).await;
    let base = server.base.clone();
    let pid = server.child.id();
    println!(
        "web_streams: {streams} event streams, {incidents} incidents before, {events} while open"
    );

    for n in 1..=incidents {
        post_alert(&client, &base, n).await;
    }
    let cookie = sign_in(&client, &base).await;
    // Every page once, so templates and caches are warm before the baseline.
    for path in [
        "/incidents".to_owned(),
        format!("/incidents/{}", incident_id(1)),
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .send()
            .await
            .expect("page");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let _ = response.bytes().await;
    }
    let before = settled_rss(pid).await;

    // Open the streams, each on its own connection, and read them as browsers do.
    let list_events = Arc::new(AtomicU64::new(0));
    let all_events = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    // A session holds at most 16 streams: a fresh session for every 16.
    let mut stream_cookies = Vec::new();
    for group in 0..streams.div_ceil(16) as usize {
        let token = DEMO_TOKENS[group % DEMO_TOKENS.len()];
        stream_cookies.push(sign_in_with(&client, &base, token).await);
    }
    let opening = Instant::now();
    for index in 0..streams {
        let cookie = &stream_cookies[(index / 16) as usize];
        let path = if index % 2 == 0 {
            "/incidents/events".to_owned()
        } else {
            format!("/incidents/{}/events", incident_id(1 + index % incidents))
        };
        let stream_client = reqwest::Client::new();
        let mut response = stream_client
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("stream opened");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        let is_list = index % 2 == 0;
        let list_events = list_events.clone();
        let all_events = all_events.clone();
        readers.push(tokio::spawn(async move {
            let _client = stream_client;
            while let Ok(Some(chunk)) = response.chunk().await {
                let count = String::from_utf8_lossy(&chunk).matches("\nid: ").count()
                    + usize::from(chunk.starts_with(b"id: "));
                all_events.fetch_add(count as u64, Ordering::Relaxed);
                if is_list {
                    list_events.fetch_add(count as u64, Ordering::Relaxed);
                }
            }
        }));
    }
    let opened_in = opening.elapsed();
    let open_idle = settled_rss(pid).await;
    let open_threads = threads(pid);

    // Events through every stream: new incidents (list streams) and their rooms.
    let list_streams = streams.div_ceil(2);
    for n in incidents + 1..=incidents + events {
        post_alert(&client, &base, n).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while list_events.load(Ordering::Relaxed) < list_streams * events && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flowing = settled_rss(pid).await;
    let delivered = all_events.load(Ordering::Relaxed);
    let peak = proc_status_kib(pid, "VmHWM");

    for reader in &readers {
        reader.abort();
    }
    for reader in readers {
        let _ = reader.await;
    }
    let closed = settled_rss(pid).await;

    let per_stream = |after: Option<u64>| match (before, after) {
        (Some(before), Some(after)) => format!(
            "{:.1} KiB",
            after.saturating_sub(before) as f64 / streams as f64
        ),
        _ => "n/a".to_owned(),
    };
    println!("  opened {streams} streams in {} ms", opened_in.as_millis());
    println!("  RSS before the streams:            {}", mib(before));
    println!(
        "  RSS with {streams} idle streams:         {} ({} per stream; {open_threads} threads)",
        mib(open_idle),
        per_stream(open_idle)
    );
    println!(
        "  RSS after {delivered} events delivered: {} ({} per stream)",
        mib(flowing),
        per_stream(flowing)
    );
    println!("  peak RSS (VmHWM):                  {}", mib(peak));
    println!("  RSS after the streams closed:      {}", mib(closed));

    let _ = server.child.kill();
    let _ = server.child.wait();
}
