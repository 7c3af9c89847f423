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

/// `text` without comments and without any whitespace, so a call rustfmt broke over lines
/// (`chat\n    .post(\n room, …`) reads as `chat.post(room,…`.
fn squeezed(text: &str) -> String {
    code_lines(text)
        .flat_map(|(_, code)| code.chars())
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The needles (written without whitespace) that `text` of the file `relative` contains,
/// unless the file is under one of the `allowed` path prefixes.
fn needles_in(relative: &str, text: &str, allowed: &[&str], needles: &[&str]) -> Vec<String> {
    if allowed.iter().any(|a| relative.starts_with(a)) {
        return Vec::new();
    }
    let code = squeezed(text);
    needles
        .iter()
        .filter(|needle| code.contains(*needle))
        .map(|needle| format!("{relative}: {needle}"))
        .collect()
}

/// Where an adapter file names the engine or the store other than through `engine::port`
/// (or the clock), in any spelling: `crate::engine::outbox`, `crate::{store::Store}`,
/// `super::super::store`.
fn internals_named(relative: &str, text: &str) -> Vec<String> {
    let code = squeezed(text);
    let mut found = Vec::new();
    for module in ["engine::", "store::"] {
        for (at, _) in code.match_indices(module) {
            let rest = &code[at + module.len()..];
            if !(rest.starts_with("port") || rest.starts_with("clock")) {
                let shown: String = rest.chars().take(24).collect();
                found.push(format!("{relative}: {module}{shown}"));
            }
        }
    }
    found
}

const COMMIT_NEEDLES: [&str; 2] = [".commit(", "Store::commit"];
const COMMIT_ALLOWED: [&str; 2] = ["src/engine/", "src/store/"];
const CHAT_NEEDLES: [&str; 3] = [".open_room(", ".post(", ".edit("];
/// The outbox (with its lanes and tracked messages) and the chat implementations themselves
/// (console, Discord's port), where those calls land.
const CHAT_ALLOWED: [&str; 6] = [
    "src/engine/outbox",
    "src/engine/lanes.rs",
    "src/engine/tracked.rs",
    "src/chat/mod.rs",
    "src/chat/console/",
    "src/chat/discord/mod.rs",
];
const ADAPTERS: [&str; 3] = ["src/chat/discord/", "src/http.rs", "src/http/"];

/// Architecture invariant: only the engine commits (the write port is its alone; the store
/// implements it and tests it).
#[test]
fn only_the_engine_commits() {
    let violations: Vec<String> = src_files()
        .iter()
        .flat_map(|(relative, text)| needles_in(relative, text, &COMMIT_ALLOWED, &COMMIT_NEEDLES))
        .collect();
    assert!(
        violations.is_empty(),
        "only src/engine/ commits:\n{}",
        violations.join("\n")
    );
}

/// Architecture invariant: only the outbox (with its lanes and tracked messages) calls the
/// chat port's room and message methods; gateway handlers and HTTP handlers never post.
#[test]
fn only_the_outbox_posts_to_the_chat() {
    let violations: Vec<String> = src_files()
        .iter()
        .flat_map(|(relative, text)| needles_in(relative, text, &CHAT_ALLOWED, &CHAT_NEEDLES))
        .collect();
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
    let violations: Vec<String> = src_files()
        .iter()
        .filter(|(relative, _)| ADAPTERS.iter().any(|a| relative.starts_with(a)))
        .flat_map(|(relative, text)| internals_named(relative, text))
        .collect();
    assert!(
        violations.is_empty(),
        "adapters must use engine::port:\n{}",
        violations.join("\n")
    );
}

/// Architecture invariant: executors get a job and return an outcome; they never reach the
/// engine, the store or a chat (so an executor cannot decide, write or post on its own).
#[test]
fn executors_depend_on_no_engine_store_or_chat() {
    let violations: Vec<String> = src_files()
        .iter()
        .filter(|(relative, _)| relative.starts_with("src/exec/"))
        .flat_map(|(relative, text)| {
            let code = squeezed(text);
            ["engine::", "store::", "chat::"]
                .into_iter()
                .filter(move |module| code.contains(module))
                .map(move |module| format!("{relative}: {module}"))
        })
        .collect();
    assert!(
        violations.is_empty(),
        "src/exec/ must not name the engine, the store or a chat:\n{}",
        violations.join("\n")
    );
}

/// The three checks above catch the ways around them a reviewer found: a grouped import, a
/// relative path, a fully qualified call, and calls rustfmt broke over lines.
#[test]
fn the_layering_checks_catch_code_written_to_slip_past_them() {
    let bypass = r#"
use crate::{engine::EngineHandle, engine::outbox::OutboxWorker, store::Store};
use super::super::store::SledStore;
async fn bypass(store: &dyn Store, chat: &dyn ChatPort, room: &RoomId, msg: &OutgoingMessage) {
    Store::commit(store, WriteBatch::default()).unwrap();
    let message = chat
        .post(
            room, "k", msg,
        ).await;
    chat.edit(
        &room_of_something_long_enough(), &message_id_of_something_long_enough(), msg,
    ).await;
}
"#;
    let file = "src/http/bypass.rs";
    assert_eq!(
        needles_in(file, bypass, &COMMIT_ALLOWED, &COMMIT_NEEDLES),
        vec![format!("{file}: Store::commit")]
    );
    assert_eq!(
        needles_in(file, bypass, &CHAT_ALLOWED, &CHAT_NEEDLES),
        vec![format!("{file}: .post("), format!("{file}: .edit(")]
    );
    let named = internals_named(file, bypass);
    assert_eq!(named.len(), 4, "{named:?}");
    // A comment naming them is not code.
    assert!(internals_named(file, "// crate::store::Store and .post( in prose").is_empty());
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
