//! Architecture invariants, checked by tests rather than reviewers.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every Rust file under src/: its path relative to the repository, and its text.
fn src_files() -> Vec<(String, String)> {
    rust_files(&root().join("src"))
        .into_iter()
        .map(|file| {
            let relative = file
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            (relative, text)
        })
        .collect()
}

/// The lines of `text`, numbered from 1, each without its `//` comment.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.split("//").next().unwrap_or_default()))
}

/// Architecture invariant: domain/ is pure — no I/O crates, no clock, no adapters.
#[test]
fn the_domain_imports_no_io_and_reads_no_clock() {
    let forbidden = [
        "serenity",
        "poise",
        "axum",
        "sled",
        "kube",
        "reqwest",
        "tokio",
        "std::fs",
        "std::net",
        "std::thread",
        "Utc::now",
        "SystemTime",
        "Instant::now",
        "crate::store",
        "crate::engine",
        "crate::http",
        "crate::chat",
        "crate::app",
        "tracing",
    ];
    let files = rust_files(&root().join("src/domain"));
    assert!(files.len() >= 8, "domain/ looks empty");
    let mut violations = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, code) in code_lines(&text) {
            for word in forbidden {
                if code.contains(word) {
                    violations.push(format!("{}:{number}: {word}", file.display()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "domain/ must stay pure:\n{}",
        violations.join("\n")
    );
}

/// Architecture invariant: only store/ (and the console adapter's own tree handle) touch sled.
#[test]
fn sled_stays_behind_the_store() {
    let allowed = ["src/store/", "src/chat/console/", "src/app.rs"];
    let mut violations = Vec::new();
    for (relative, text) in src_files() {
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        if text.contains("sled::") {
            violations.push(relative);
        }
    }
    assert!(
        violations.is_empty(),
        "sled used outside store/: {violations:?}"
    );
}

/// The lines of `src/` files outside `allowed` (path prefixes) that contain any of `needles`,
/// comments left out.
fn uses_outside(allowed: &[&str], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (relative, text) in src_files() {
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        for (number, code) in code_lines(&text) {
            for needle in needles {
                if code.contains(needle) {
                    found.push(format!("{relative}:{number}: {needle}"));
                }
            }
        }
    }
    found
}

/// Architecture invariant: only the engine commits (the write port is its alone; the store
/// implements it and tests it).
#[test]
fn only_the_engine_commits() {
    let violations = uses_outside(&["src/engine/", "src/store/"], &[".commit("]);
    assert!(
        violations.is_empty(),
        "only src/engine/ commits:\n{}",
        violations.join("\n")
    );
}

/// Architecture invariant: only the outbox (with its lanes and tracked messages) calls the
/// chat port's room and message methods; gateway handlers and HTTP handlers never post.
/// The chat implementations themselves (console, Discord's port) are where those calls land.
#[test]
fn only_the_outbox_posts_to_the_chat() {
    let allowed = [
        "src/engine/outbox",
        "src/engine/lanes.rs",
        "src/engine/tracked.rs",
        "src/chat/mod.rs",
        "src/chat/console/",
        "src/chat/discord/mod.rs",
    ];
    let violations = uses_outside(&allowed, &[".open_room(", ".post(&", ".edit(&"]);
    assert!(
        violations.is_empty(),
        "only the outbox posts to the chat:\n{}",
        violations.join("\n")
    );
}

/// Architecture invariant: adapters (Discord's gateway side, HTTP) reach the core through
/// `engine::port` only, never the engine's internals, the outbox or the store's write port.
#[test]
fn adapters_depend_on_the_inbound_port() {
    let adapters = ["src/chat/discord/", "src/http.rs", "src/http/"];
    let mut violations = Vec::new();
    for (relative, text) in src_files() {
        if !adapters.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        for (number, code) in code_lines(&text) {
            for path in ["crate::engine", "crate::store"] {
                for (at, _) in code.match_indices(path) {
                    let rest = &code[at + path.len()..];
                    if !(rest.starts_with("::port") || rest.starts_with("::clock")) {
                        violations.push(format!("{relative}:{number}: {}", code.trim()));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "adapters must use engine::port:\n{}",
        violations.join("\n")
    );
}

/// `warroom check` passes on the repository as shipped, and every playbook and command
/// file parses.
#[test]
fn warroom_check_passes_on_the_repository() {
    let findings = warroom::check::run(None, &root());
    let failures: Vec<_> = findings.iter().filter(|f| !f.ok).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(findings.iter().any(|f| f.what == "locales"));
}

#[test]
fn warroom_check_reports_a_broken_config_and_playbook() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("playbooks")).unwrap();
    std::fs::write(dir.path().join("playbooks/bad.yaml"), "tasks: [unclosed").unwrap();
    let config = dir.path().join("warroom.toml");
    std::fs::write(&config, "[http]\naddr = \"nowhere\"\n").unwrap();
    let findings = warroom::check::run(Some(&config), dir.path());
    let failed: Vec<&str> = findings
        .iter()
        .filter(|f| !f.ok)
        .map(|f| f.what.as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{findings:#?}");
    assert!(
        findings
            .iter()
            .any(|f| !f.ok && f.detail.contains("http.addr"))
    );
    assert!(
        findings
            .iter()
            .any(|f| !f.ok && f.what.ends_with("bad.yaml"))
    );
}

#[test]
fn the_example_config_is_valid() {
    let path = root().join("deploy/warroom.example.toml");
    let settings = warroom::config::Settings::load(Some(&path), &Default::default());
    assert!(settings.is_ok(), "{:?}", settings.err());
}

/// The real binary refuses to listen beyond loopback without an ingest token, and says why.
#[test]
fn serve_refuses_a_public_address_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["serve", "--http-addr", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("WARROOM_INGEST_TOKEN")
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ingest token is required"), "{stderr}");
}

/// `warroom check` as a person runs it: exit 0 on the repository, non-zero on a bad config.
#[test]
fn warroom_check_exit_codes() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(args)
            .current_dir(root())
            .env_remove("WARROOM_CONFIG")
            .output()
            .unwrap()
    };
    let ok = run(&["check", "--config", "deploy/warroom.example.toml"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[users]\nname = 1\n").unwrap();
    let failed = run(&["check", "--config", bad.to_str().unwrap()]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stdout).contains("FAIL config"));
}
