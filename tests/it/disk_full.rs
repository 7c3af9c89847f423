//! A real full disk: the data directory on a small tmpfs, filled with a ballast file until
//! writes fail, then emptied again. Needs root (`mount`); skipped with a message on a
//! developer machine without it, a failure under CI (`CI=true`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestBot, am_alert};

/// A tmpfs mounted for the test's lifetime; unmounted on drop, also when the test fails.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Tmpfs {
            path: path.to_owned(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Something still holds a file there (a failed test's store): detach it anyway.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// Writes `path` until the filesystem is full; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("create the ballast");
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut written = 0_u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(error) => {
                assert_eq!(
                    error.raw_os_error(),
                    Some(28),
                    "the ballast stopped for another reason than ENOSPC: {error}"
                );
                break;
            }
        }
    }
    // Fill the last partial chunk's room too.
    while let Ok(n) = file.write(&[0x5a]) {
        if n == 0 {
            break;
        }
        written += 1;
    }
    written
}

fn service(n: usize) -> String {
    format!("diskfull-svc-{n:04}")
}

fn services_in(incidents: &Value) -> Vec<String> {
    let text = incidents.to_string();
    (0..2000)
        .map(service)
        .filter(|name| text.contains(name.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_reports_it_and_recovers_by_itself() {
    let mut bot = TestBot::unstarted("[chat]\ncard_edit_interval = \"0s\"\n");
    let mount = match Tmpfs::mount(&bot.data_dir(), "16m") {
        Ok(mount) => mount,
        Err(error) => {
            let message = format!("cannot mount a tmpfs (needs root): {error}");
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{message}");
            }
            eprintln!("skipping the disk-full test: {message}");
            return;
        }
    };
    bot.start().await;

    // Before: a normal write.
    let mut stored = vec![];
    bot.alert(
        "alertmanager",
        &am_alert("df-0", &service(0), "critical", "firing"),
    )
    .await;
    stored.push(service(0));
    let room = bot.room_of("INC-20261121-001").await;
    let card = bot.card(&room).await["id"].as_str().unwrap().to_owned();

    let ballast = mount.path.join("ballast");
    let written = fill(&ballast);
    assert!(written > 0, "the tmpfs was full before the ballast");

    // Writes go on until sled's buffers need the disk; the first refusal must stick.
    let mut refused = None;
    for n in 1..100 {
        let (status, body) = bot
            .post_alerts(
                "alertmanager",
                &am_alert(&format!("df-{n}"), &service(n), "critical", "firing"),
            )
            .await;
        if status == StatusCode::OK {
            stored.push(service(n));
            continue;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        refused = Some(n);
        break;
    }
    let refused = refused.expect("no write failed on a full disk");
    let refused_service = service(refused);

    // Readiness says why; nothing refused is visible, and writes stay refused while full.
    let (status, ready) = bot.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["store"], false, "{ready}");
    assert!(
        ready["store_error"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty()),
        "{ready}"
    );
    let (status, incidents) = bot.get("/v1/incidents").await;
    assert!(
        status != StatusCode::OK || !services_in(&incidents).contains(&refused_service),
        "an incident whose request got 503 is listed: {incidents}"
    );
    // A console reaction the disk refuses is not shown either (stored first, shown after).
    let reply = bot.react("alice", &card, "🔥").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
    let shown = bot.card(&room).await;
    assert!(shown["reactions"].get("🔥").is_none(), "{shown}");
    // While the disk stays full the store keeps trying to re-open; writes stay refused.
    for n in 150..155 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, body) = bot
            .post_alerts(
                "alertmanager",
                &am_alert(
                    &format!("df-while-full-{n}"),
                    &service(n),
                    "critical",
                    "firing",
                ),
            )
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        let (status, ready) = bot.get("/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    }

    // Space returns: writes resume by themselves.
    std::fs::remove_file(&ballast).expect("remove the ballast");
    let space_returned = Instant::now();
    let deadline = space_returned + Duration::from_secs(60);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = service(160 + attempt);
        let (status, body) = bot
            .post_alerts(
                "alertmanager",
                &am_alert(&format!("df-after-{attempt}"), &name, "critical", "firing"),
            )
            .await;
        if status == StatusCode::OK {
            stored.push(name);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes never resumed after the space returned: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recovery = space_returned.elapsed();
    // The reaction refused while full is recorded when tried again.
    let reply = bot.react("alice", &card, "🔥").await;
    assert!(reply.status.is_success(), "{reply:?}");
    assert!(
        bot.timeline_kinds("INC-20261121-001")
            .await
            .contains(&"reaction_added".to_owned())
    );
    println!(
        "DISK FULL: {written} bytes of ballast; request {refused} refused with 503; first 2xx {} ms after the space returned",
        recovery.as_millis()
    );
    let (status, ready) = bot.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["store"], true);

    // Everything answered 2xx is there, the refused incident is not — now and after a restart.
    for round in ["after recovery", "after a restart"] {
        let (status, incidents) = bot.get("/v1/incidents").await;
        assert_eq!(status, StatusCode::OK, "{round}: {incidents}");
        let visible = services_in(&incidents);
        for name in &stored {
            assert!(
                visible.contains(name),
                "{round}: {name} (answered 2xx) is lost"
            );
        }
        for name in std::iter::once(refused_service.clone()).chain((150..155).map(service)) {
            assert!(
                !visible.contains(&name),
                "{round}: {name} was answered 503 yet is stored"
            );
        }
        bot.restart().await;
    }
    drop(bot);
    drop(mount);
}
