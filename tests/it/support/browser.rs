//! A real headless Chromium driven through chromedriver (WebDriver, `fantoccini`), for the web
//! console's browser tests and `benches/web_latency.rs` (which includes this file by path, so
//! it uses nothing else from the harness).
//!
//! Each [`Browser`] starts its own chromedriver on a free loopback port, in a process group of
//! its own, and one session with a fresh temporary profile. Dropping the browser kills the
//! whole group and then any process still naming the profile directory, so no chromedriver or
//! Chromium outlives the test that started it, however the test ends.

#![allow(dead_code)]

use std::net::TcpListener as StdTcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const BROWSER_INSTALL_HINT: &str =
    "apt-get install -y chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji";

/// How long a wait for something on a page lasts before the test fails: generous for a
/// loaded 2-core machine, far below a minute.
pub const PAGE_WAIT: Duration = Duration::from_secs(15);

/// True when Chromium and chromedriver are installed. Under CI a missing one fails the test
/// (`.ci/run` installs them); on a developer machine the test is skipped with a hint.
pub fn have_browser() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|binary| !Path::new(binary).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} missing; install with: {BROWSER_INSTALL_HINT}",
        missing.join(" and ")
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{message}");
    }
    eprintln!("skipping the browser test: {message}");
    false
}

/// One headless Chromium session on warroom at `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
    // Declared after `client` so the session's handle goes first; the guard then kills the
    // processes and the profile directory is removed last.
    driver: DriverProcess,
    profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with its own temporary profile, 1280×900
    /// (the screenshots' size), English unless `accept_language` says otherwise.
    pub async fn open(base: &str) -> Browser {
        Browser::open_with_language(base, "en-US").await
    }

    pub async fn open_with_language(base: &str, accept_language: &str) -> Browser {
        let profile = tempfile::Builder::new()
            .prefix("warroom-chromium-")
            .tempdir()
            .expect("a temporary browser profile");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_loopback_port();
            let mut driver = DriverProcess::start(port, profile.path());
            if let Err(error) = driver.wait_listening(port, Duration::from_secs(20)) {
                last_error = error;
                continue;
            }
            let capabilities = chrome_capabilities(profile.path(), accept_language);
            let session = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match session {
                Ok(client) => {
                    return Browser {
                        client,
                        base: base.trim_end_matches('/').to_owned(),
                        driver,
                        profile,
                    };
                }
                Err(error) => {
                    last_error = format!("{error}\n{}", driver.output());
                }
            }
        }
        panic!("could not start a headless Chromium session: {last_error}");
    }

    /// Ends the session politely (chromedriver closes Chromium), then the guard kills what
    /// is left. Dropping a browser without this is fine too: the guard kills everything.
    pub async fn close(self) {
        let Browser {
            client,
            driver,
            profile,
            ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        drop(driver);
        drop(profile);
    }

    /// Opens `path` (e.g. `/incidents`) on warroom.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Signs in through the form at `/` with `token`, as a person would type it, and waits
    /// for the incident list.
    pub async fn sign_in_with_token(&self, token: &str) {
        self.goto("/").await;
        let field = self
            .wait_for("form[action='/login'] input[name=token]")
            .await;
        field.send_keys(token).await.expect("type the token");
        self.find("form[action='/login'] button[type=submit]")
            .await
            .click()
            .await
            .expect("press sign in");
        self.wait_for_path("/incidents").await;
    }

    /// The path of the current page, once it is `path` (bounded).
    pub async fn wait_for_path(&self, path: &str) {
        let mut seen = String::new();
        let deadline = Instant::now() + PAGE_WAIT;
        while Instant::now() < deadline {
            if let Ok(url) = self.client.current_url().await {
                seen = url.path().to_owned();
                if seen == path {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the browser did not reach {path} within {PAGE_WAIT:?}; it is at {seen}\n{}",
            self.page_source().await
        );
    }

    /// The first element matching `css` now.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!(
                "no element {css} on the page: {error}\n{}",
                self.page_source().await
            ),
        }
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// The first element matching `css` once there is one (bounded by [`PAGE_WAIT`]).
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return element;
            }
            if Instant::now() > deadline {
                panic!(
                    "no element {css} appeared within {PAGE_WAIT:?}\n{}",
                    self.page_source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's script `condition` (a JavaScript expression) is true, showing
    /// `what` and the page when it never is.
    pub async fn wait_until(&self, what: &str, condition: &str) {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(&script, vec![]).await {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what}: not true within {PAGE_WAIT:?}: {condition}\n{}",
                    self.page_source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The value of `attribute` on the first element matching `css`, if both exist.
    pub async fn attr(&self, css: &str, attribute: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.attr(attribute).await.ok().flatten()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Marks the current document so [`Browser::still_same_document`] can tell a live update
    /// from a reload: a reload or navigation starts a new document without the mark.
    pub async fn mark_document(&self) {
        self.run("window.__warroomNoReload = true; return true;", vec![])
            .await;
    }

    /// True while the document marked by [`Browser::mark_document`] is still the one shown.
    pub async fn still_same_document(&self) -> bool {
        self.run("return window.__warroomNoReload === true;", vec![])
            .await
            == Value::Bool(true)
    }

    /// Saves a PNG of the viewport to `path` (its directory is created).
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The page's HTML, for failure messages (empty when the browser cannot say).
    pub async fn page_source(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|url| url.to_string())
            .unwrap_or_default();
        let source = self.client.source().await.unwrap_or_default();
        format!("----- page {url} -----\n{source}\n----- end of page -----")
    }

    /// The profile directory, unique to this browser.
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Process ids of this browser's chromedriver and every Chromium it started, for tests of
    /// the guard itself.
    pub fn process_ids(&self) -> Vec<u32> {
        let mut pids = processes_naming(self.profile.path());
        pids.extend(self.driver.pid());
        pids.sort_unstable();
        pids.dedup();
        pids
    }
}

/// The capabilities of a headless Chromium with its own profile and nothing that phones home.
fn chrome_capabilities(profile: &Path, accept_language: &str) -> serde_json::Map<String, Value> {
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1280,900".to_owned(),
        format!("--lang={accept_language}"),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": {"intl.accept_languages": accept_language},
        }),
    );
    capabilities
}

/// A loopback port that was free a moment ago; [`Browser::open`] retries when chromedriver
/// loses the race for it.
fn free_loopback_port() -> u16 {
    StdTcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind an ephemeral loopback port")
}

/// chromedriver in a process group of its own (Chromium and its helpers join it), killed with
/// the group on drop.
struct DriverProcess {
    child: Option<Child>,
    log: PathBuf,
    profile: PathBuf,
}

impl DriverProcess {
    fn start(port: u16, profile: &Path) -> DriverProcess {
        let log = profile.with_extension(format!("chromedriver-{port}.log"));
        let out = std::fs::File::create(&log).expect("chromedriver log file");
        let err = out.try_clone().expect("clone the log file handle");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; {BROWSER_INSTALL_HINT}"));
        DriverProcess {
            child: Some(child),
            log,
            profile: profile.to_owned(),
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until chromedriver accepts connections on `port`; an error when it exits first
    /// (e.g. the port was taken) or never listens.
    fn wait_listening(&mut self, port: u16, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("chromedriver exited ({status}): {}", self.output()));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver did not listen on {port}: {}",
                    self.output()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The group is chromedriver's own (process_group(0) made its pid the group id).
            if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // A Chromium helper that left the group (a new session) still names our profile.
        for pid in processes_naming(&self.profile) {
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Processes whose command line names `profile` (this browser's Chromium and its helpers).
fn processes_naming(profile: &Path) -> Vec<u32> {
    let needle = profile.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}
