//! Stopping the real binary on a bad day: Discord unreachable (the gateway stuck
//! reconnecting, REST hanging), an outbox item in flight and a client that never finishes its
//! request. SIGTERM must end the process within 10 s (a requirement bound, not a speed
//! measurement), and a second signal ends it at once.

use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use crate::discord::guild_config;
use crate::e2e::{Proc, start_with_retry};
use crate::support::fake_discord::{FailMode, FakeDiscord, GatewayDrop};
use crate::support::{DISCORD_TEST_TOKEN, am_alert, warroom_serve};

/// What the requirement allows from SIGTERM to exit.
const STOP_BOUND: Duration = Duration::from_secs(10);

fn signal(proc: &Proc, name: &str) {
    let pid = proc.pid().expect("the process runs");
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid} failed");
}

/// Polls until the process exits or `bound` passes.
async fn exit_within(proc: &mut Proc, bound: Duration) -> Option<(ExitStatus, Duration)> {
    let started = Instant::now();
    while started.elapsed() < bound {
        if let Some(status) = proc.exited() {
            return Some((status, started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// The binary, connected to a fake Discord that then becomes unreachable, with an alert whose
/// room cannot be opened and a request whose body never arrives. Returns the process (the
/// black hole and the stalled connection stay open while the guards live).
async fn a_bad_day(
    dir: &std::path::Path,
) -> (Proc, tokio::task::JoinHandle<()>, tokio::net::TcpStream) {
    let fake = FakeDiscord::start().await;
    let (discord, _category) = guild_config(&fake, |_, _| String::new());
    let config = dir.join("warroom.toml");
    std::fs::write(
        &config,
        format!("[discord]\ntoken = \"{DISCORD_TEST_TOKEN}\"\n{discord}"),
    )
    .unwrap();
    let data = dir.join("data");
    let client = reqwest::Client::new();
    let (proc, port) = start_with_retry(&client, "/readyz", |port| {
        Proc::spawn(
            "warroom-shutdown",
            &mut warroom_serve(Some(&config), &data, dir, port),
            dir,
        )
    })
    .await;

    // Discord becomes a black hole: REST hangs, the gateway connection drops, and its address
    // accepts connections that never answer.
    let addr: std::net::SocketAddr = fake
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("the fake's address");
    fake.fail_rest(FailMode::Hang, Duration::from_secs(600));
    fake.drop_gateway_with(GatewayDrop::Reset);
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(10);
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "cannot take over {addr}: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let black_hole = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });

    // An alert: stored at once, its room waits on the unreachable Discord.
    let response = client
        .post(format!("http://127.0.0.1:{port}/v1/alerts/alertmanager"))
        .header("content-type", "application/json")
        .body(am_alert("shutdown-1", "shutdown-svc", "critical", "firing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", proc.report());

    // A client that sends its headers and half its body, then nothing.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled
        .write_all(
            b"POST /v1/alerts/alertmanager HTTP/1.1\r\nHost: warroom\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"alerts\": [",
        )
        .await
        .unwrap();
    (proc, black_hole, stalled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_within_ten_seconds_while_discord_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut proc, black_hole, _stalled) = a_bad_day(dir.path()).await;
    signal(&proc, "TERM");
    let Some((status, took)) = exit_within(&mut proc, STOP_BOUND).await else {
        panic!(
            "still running {STOP_BOUND:?} after SIGTERM{}",
            proc.report()
        );
    };
    let output = proc.output();
    let abandoned: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("did not") && line.contains("in time"))
        .collect();
    println!(
        "SHUTDOWN: exited {status} {} ms after SIGTERM; steps cut short: {abandoned:#?}",
        took.as_millis()
    );
    assert!(status.success(), "{status}{}", proc.report());
    assert!(
        proc.output().contains("warroom stopped."),
        "{}",
        proc.report()
    );
    black_hole.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut proc, black_hole, _stalled) = a_bad_day(dir.path()).await;
    signal(&proc, "TERM");
    // The stalled request holds the HTTP step of the stop open; signal again meanwhile.
    let deadline = Instant::now() + STOP_BOUND;
    while !proc.output().contains("Shutdown requested") {
        assert!(
            Instant::now() < deadline,
            "no shutdown began{}",
            proc.report()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&proc, "INT");
    let Some((status, _)) = exit_within(&mut proc, STOP_BOUND).await else {
        panic!("still running after a second signal{}", proc.report());
    };
    assert_eq!(status.code(), Some(130), "{}", proc.report());
    assert!(
        !proc.output().contains("warroom stopped."),
        "the second signal waited for the whole stop{}",
        proc.report()
    );
    black_hole.abort();
}
