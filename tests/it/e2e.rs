//! End to end with the real Alertmanager and Prometheus (the Debian packages): alerts travel
//! Prometheus → Alertmanager → warroom's webhook exactly as they do in production, so any
//! mismatch between our parser and what those programs really send shows up here.
//!
//! The child-process helpers here ([`Proc`], [`free_port`]) are shared with `restart.rs`.

use std::fs::File;
use std::net::TcpListener as StdTcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::TestBot;

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
const PROMETHEUS: &str = "/usr/bin/prometheus";
const INSTALL_HINT: &str = "apt-get install -y prometheus prometheus-alertmanager";

/// A child process that is always killed and reaped, on every path out of a test. Its stdout
/// and stderr go to a file so a failing test can show what the child said.
pub(crate) struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    /// Starts `command` with stdout and stderr both captured to `log_dir/<name>.log`.
    pub(crate) fn spawn(name: &str, command: &mut Command, log_dir: &Path) -> Proc {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_owned(),
            child: Some(child),
            log,
        }
    }

    /// Everything the child wrote so far.
    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// The exit status if the child has already ended.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// The child's process id while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap: no chance to clean up.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A block for panic messages: the child's name and its whole log.
    pub(crate) fn report(&self) -> String {
        format!(
            "\n----- {} output ({}) -----\n{}\n----- end of {} -----",
            self.name,
            self.log.display(),
            self.output(),
            self.name
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        // A failed assertion anywhere in the test unwinds through here: show the child's log.
        if std::thread::panicking() {
            eprintln!("{}", self.report());
        }
    }
}

/// A loopback port that was free a moment ago. Another process may take it before the child
/// binds it; [`start_with_retry`] covers that race.
pub(crate) fn free_port() -> u16 {
    StdTcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind an ephemeral loopback port")
}

/// The logs of every process, for panic messages.
pub(crate) fn reports(procs: &[&Proc]) -> String {
    procs.iter().map(|p| p.report()).collect()
}

/// Waits until `GET url` answers 200, failing early (with the child's log) if the child dies.
/// Returns false when the child exited because its port was taken, so the caller can retry.
pub(crate) async fn wait_ready(
    client: &reqwest::Client,
    url: &str,
    proc: &mut Proc,
    timeout: Duration,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = proc.exited() {
            let output = proc.output();
            if output.contains("address already in use") {
                return false;
            }
            panic!(
                "{} exited ({status}) before {url} was ready{}",
                proc.name,
                proc.report()
            );
        }
        if let Ok(response) = client.get(url).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            return true;
        }
        if Instant::now() > deadline {
            panic!(
                "{} was not ready at {url} within {timeout:?}{}",
                proc.name,
                proc.report()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The real binary serving `config` on a free loopback port, ready (`/readyz`): the kill -9
/// tests start and kill it.
pub(crate) struct Server {
    pub(crate) proc: Proc,
    pub(crate) base: String,
}

pub(crate) async fn serve(
    client: &reqwest::Client,
    config: &Path,
    data: &Path,
    logs: &Path,
    name: &str,
) -> Server {
    let (proc, port) = start_with_retry(client, "/readyz", |port| {
        Proc::spawn(
            name,
            &mut crate::support::warroom_serve(Some(config), data, logs, port),
            logs,
        )
    })
    .await;
    Server {
        proc,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// Starts a server on a fresh port (`start(port)` builds the process) until one bind wins;
/// returns the ready process and its port.
pub(crate) async fn start_with_retry(
    client: &reqwest::Client,
    ready_path: &str,
    mut start: impl FnMut(u16) -> Proc,
) -> (Proc, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut proc = start(port);
        let url = format!("http://127.0.0.1:{port}{ready_path}");
        if wait_ready(client, &url, &mut proc, Duration::from_secs(30)).await {
            return (proc, port);
        }
    }
    panic!("could not find a free port after 5 attempts");
}

/// Polls `check` every 100 ms until it yields a value or `timeout` passes; on timeout panics
/// with `what`, the last thing `check` saw and the children's logs.
async fn poll<T>(
    what: &str,
    timeout: Duration,
    procs: &[&Proc],
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if Instant::now() > deadline => {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last seen: {last}{}",
                    reports(procs)
                )
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// True when the binary exists. Under CI a missing binary fails the test (the packages are
/// part of the CI image); on a developer machine the test is skipped with a hint.
fn have(binary: &str) -> bool {
    if Path::new(binary).exists() {
        return true;
    }
    let message = format!("{binary} is missing; install it with: {INSTALL_HINT}");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{message}");
    }
    eprintln!("skipping the end-to-end test: {message}");
    false
}

fn alertmanager_config(bot: &TestBot) -> String {
    // group_by keeps each service's alerts in their own notification; 0s/1s timings make the
    // first notification and the resolved one go out at once instead of after minutes.
    format!(
        r#"route:
  receiver: warroom
  group_by: ['alertname', 'service']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: '{}/v1/alerts/alertmanager'
        send_resolved: true
"#,
        bot.base
    )
}

/// Starts Alertmanager delivering to `bot`; returns it and its port once it is ready.
async fn start_alertmanager(client: &reqwest::Client, bot: &TestBot, dir: &Path) -> (Proc, u16) {
    let config = dir.join("alertmanager.yml");
    std::fs::write(&config, alertmanager_config(bot)).expect("write alertmanager.yml");
    let storage = dir.join("alertmanager-data");
    start_with_retry(client, "/-/ready", |port| {
        Proc::spawn(
            "alertmanager",
            Command::new(ALERTMANAGER)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.path={}", storage.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Empty: no cluster gossip, so nothing listens beyond the web port.
                .arg("--cluster.listen-address=")
                .arg("--log.level=debug"),
            dir,
        )
    })
    .await
}

/// The incident of `service`, if warroom has one.
async fn incident_of(bot: &TestBot, service: &str) -> Option<Value> {
    bot.incidents()
        .await
        .into_iter()
        .find(|incident| incident["service"] == json!(service))
}

fn kinds_of(timeline: &[Value]) -> Vec<String> {
    timeline
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn post_to_alertmanager(client: &reqwest::Client, port: u16, alerts: Value, am: &Proc) {
    let response = client
        .post(format!("http://127.0.0.1:{port}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .expect("Alertmanager answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(
        status.is_success(),
        "Alertmanager refused the alert: {status} {body}{}",
        am.report()
    );
}

#[tokio::test]
async fn a_real_alertmanager_opens_and_resolves_an_incident() {
    if !have(ALERTMANAGER) {
        return;
    }
    let bot = TestBot::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let (am, port) = start_alertmanager(&client, &bot, dir.path()).await;

    let service = "e2e-am";
    let started = Utc::now() - chrono::Duration::seconds(60);
    let alert = |ends_at: Option<chrono::DateTime<Utc>>| {
        let mut alert = json!({
            "labels": {"alertname": "E2EHighErrorRate", "service": service, "severity": "critical"},
            "annotations": {"summary": "e2e-am error rate high"},
            "startsAt": started.to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = json!(ends_at.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
        json!([alert])
    };

    post_to_alertmanager(&client, port, alert(None), &am).await;
    let incident = poll(
        "an incident for e2e-am",
        Duration::from_secs(30),
        &[&am],
        async || {
            let incident = incident_of(&bot, service)
                .await
                .ok_or("no incident yet".to_owned())?;
            let id = incident["id"].as_str().unwrap_or_default().to_owned();
            let kinds = bot.timeline_kinds(&id).await;
            if kinds.iter().any(|k| k == "alert_received") {
                Ok(incident)
            } else {
                Err(format!("timeline {kinds:?}"))
            }
        },
    )
    .await;
    let id = incident["id"].as_str().expect("incident id").to_owned();
    assert_eq!(incident["severity"], "sev1", "{incident:#}");
    assert_eq!(incident["state"], "triggered", "{incident:#}");
    assert_eq!(incident["alerts"]["firing"], 1, "{incident:#}");
    let kinds = bot.timeline_kinds(&id).await;
    for kind in ["incident_opened", "alert_received"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }

    // The same labels with an end in the past: Alertmanager resolves the alert and, with
    // send_resolved, tells warroom on the next group interval.
    post_to_alertmanager(
        &client,
        port,
        alert(Some(Utc::now() - chrono::Duration::seconds(1))),
        &am,
    )
    .await;
    let (incident, kinds) = poll(
        "the alert to resolve",
        Duration::from_secs(30),
        &[&am],
        async || {
            let incident = bot.incident(&id).await;
            let timeline = bot.timeline(&id).await;
            let kinds = kinds_of(&timeline);
            let done = incident["alerts"]["resolved"] == 1
                && kinds.iter().any(|k| k == "alert_resolved")
                && kinds.iter().any(|k| k == "all_alerts_resolved");
            if done {
                Ok((incident, kinds))
            } else {
                Err(format!("alerts {} timeline {kinds:?}", incident["alerts"]))
            }
        },
    )
    .await;
    assert_eq!(incident["alerts"]["firing"], 0, "{incident:#}");
    assert_eq!(
        kinds.iter().filter(|k| *k == "alert_received").count(),
        1,
        "Alertmanager's repeats must not count twice: {kinds:?}"
    );
}

#[tokio::test]
async fn a_real_prometheus_rule_reaches_warroom_through_alertmanager() {
    if !have(ALERTMANAGER) || !have(PROMETHEUS) {
        return;
    }
    let bot = TestBot::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let (am, am_port) = start_alertmanager(&client, &bot, dir.path()).await;

    let rules = dir.path().join("rules.yml");
    std::fs::write(
        &rules,
        r#"groups:
  - name: e2e
    rules:
      - alert: E2EAlwaysFiring
        expr: vector(1) > 0
        for: 0s
        labels:
          service: e2e-prom
          severity: critical
        annotations:
          summary: always firing, for the end-to-end test
"#,
    )
    .expect("write rules.yml");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            r#"global:
  evaluation_interval: 1s
rule_files:
  - {}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{am_port}']
"#,
            rules.display()
        ),
    )
    .expect("write prometheus.yml");
    let tsdb = dir.path().join("prometheus-data");
    let (prometheus, _) = start_with_retry(&client, "/-/ready", |port| {
        Proc::spawn(
            "prometheus",
            Command::new(PROMETHEUS)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", tsdb.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Prometheus evaluates the rule before it has discovered Alertmanager and
                // drops that first notification; by default it resends only a minute later.
                .arg("--rules.alert.resend-delay=1s"),
            dir.path(),
        )
    })
    .await;

    let incident = poll(
        "an incident for e2e-prom",
        Duration::from_secs(60),
        &[&prometheus, &am],
        async || {
            incident_of(&bot, "e2e-prom")
                .await
                .ok_or("no incident yet".to_owned())
        },
    )
    .await;
    assert_eq!(incident["severity"], "sev1", "{incident:#}");
    assert_eq!(incident["state"], "triggered", "{incident:#}");
    let id = incident["id"].as_str().expect("incident id");
    let timeline = bot.timeline(id).await;
    let received = timeline
        .iter()
        .find(|entry| entry["kind"] == "alert_received")
        .unwrap_or_else(|| panic!("no alert_received in {timeline:#?}"));
    assert_eq!(received["name"], "E2EAlwaysFiring", "{received:#}");
}
