//! What the benchmarks share: starting the release binary, reading /proc, a minimal raw
//! HTTP/1.1 client that costs the shared two cores as little as possible, percentiles.

// Each benchmark uses a different part of this module.
#![allow(dead_code)]
// Setup that fails leaves nothing to measure: a panic with the reason is the report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("{name}={text:?} is not a whole number");
            std::process::exit(2)
        }),
        Err(_) => default,
    }
}

/// A field like `VmRSS:   12345 kB` of /proc/<pid>/status, in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// User plus system CPU time of a process, in clock ticks (fields 14 and 15 of
/// /proc/<pid>/stat, counted after the parenthesised command name, which may hold spaces).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state), so field 14 is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

pub fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

pub fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".to_owned())
}

pub fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind an ephemeral loopback port")
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

pub fn start_server(data: &Path, log: &Path) -> Server {
    let port = free_port();
    let out = File::create(log).expect("create the server log");
    let err = out.try_clone().expect("clone the server log handle");
    // BENCH_WARROOM_BIN runs another build (an older commit's) for before/after figures.
    let binary = std::env::var("BENCH_WARROOM_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_warroom").to_owned());
    let child = Command::new(binary)
        .arg("serve")
        .arg("--http-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data)
        .env("WARROOM_LOG", "warn")
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_INGEST_TOKEN")
        .current_dir(data.parent().expect("the data dir has a parent"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start the warroom binary");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

pub async fn wait_ready(client: &reqwest::Client, server: &mut Server, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            eprintln!("warroom exited ({status}) before it was ready:\n{output}");
            std::process::exit(1);
        }
        if let Ok(response) = client.get(format!("{}/readyz", server.base)).send().await
            && response.status() == reqwest::StatusCode::OK
        {
            return;
        }
        assert!(Instant::now() < deadline, "warroom not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A minimal HTTP/1.1 keep-alive client: writes a POST, reads the status line, the headers
/// and a Content-Length body. Enough for warroom's answers, which always carry a length.
pub struct RawClient {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    host: String,
}

impl RawClient {
    pub async fn connect(address: &str) -> std::io::Result<RawClient> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(RawClient {
            stream: tokio::io::BufReader::new(stream),
            host: address.to_owned(),
        })
    }

    pub async fn post(&mut self, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        self.request("POST", path, &[("Content-Type", "application/json")], body)
            .await
    }

    pub async fn get(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> std::io::Result<(u16, String)> {
        self.request("GET", path, headers, "").await
    }

    /// Sends one request and reads its answer (status and body).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let broken =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| broken("no status line"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(broken("connection closed in the headers"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| broken("bad content-length"))?;
            }
        }
        let mut answer = vec![0u8; length];
        self.stream.read_exact(&mut answer).await?;
        Ok((status, String::from_utf8_lossy(&answer).into_owned()))
    }
}

/// `p50 / p90 / p99 / max` of sorted microsecond latencies, in milliseconds.
pub fn latency_summary(sorted: &[u32]) -> String {
    format!(
        "{:.2} / {:.2} / {:.2} / {:.2} ms",
        percentile(sorted, 50.0),
        percentile(sorted, 90.0),
        percentile(sorted, 99.0),
        percentile(sorted, 100.0)
    )
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// A running Alertmanager with its scratch directory.
pub struct Alertmanager {
    pub server: Server,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    pub fn stop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the real Alertmanager on a loopback port with a route to nowhere and clustering off;
/// `None` when it is not installed. Waits until `/-/ready` answers.
pub fn start_alertmanager() -> Option<Alertmanager> {
    let binary = [
        "/usr/bin/prometheus-alertmanager",
        "/usr/local/bin/alertmanager",
    ]
    .into_iter()
    .find(|path| Path::new(path).exists())?;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n",
    )
    .expect("write the Alertmanager config");
    let port = free_port();
    let log = File::create(dir.path().join("alertmanager.log")).expect("create its log");
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log handle"))
        .stderr(log)
        .spawn()
        .expect("start Alertmanager");
    let alertmanager = Alertmanager {
        server: Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        },
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = stream.write_all(b"GET /-/ready HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return Some(alertmanager);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("Alertmanager was not ready within 30 s");
}
