//! The web console in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
//! driven through WebDriver): what a person does with a mouse and keyboard, and what a second
//! person watching the same room sees without reloading. The DOM these tests rely on is the
//! contract in the web console's plan: ids and `data-` attributes, never layout.
//!
//! The two screenshots the README links (`docs/screenshots/incidents.png` and
//! `docs/screenshots/war-room.png`) are written by
//! [`an_alert_opens_a_room_live_and_the_room_is_acknowledged_and_resolved_from_the_page`].

use std::path::PathBuf;

use serde_json::Value;

use crate::support::browser::{Browser, have_browser};
use crate::support::{TestBot, am_alert, user_token};

/// A browser signed in as `user` through the sign-in form, on the incident list.
async fn signed_in(bot: &TestBot, user: &str) -> Browser {
    let browser = Browser::open(&bot.base).await;
    let token = user_token(user).unwrap_or_else(|| panic!("{user} has no token"));
    browser.sign_in_with_token(&token).await;
    browser
}

/// The id of the incident an Alertmanager answer opened.
fn opened_incident(answer: &Value) -> String {
    answer["incidents"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no incident id in the ingest answer: {answer}"))
        .to_owned()
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_through_the_form_and_the_browser_ends_with_the_test() {
    if !have_browser() {
        return;
    }
    let bot = TestBot::spawn().await;
    let browser = signed_in(&bot, "alice").await;

    // Signed in: the page carries the session's CSRF token, and the session cookie is out of
    // the page script's reach (HttpOnly).
    let csrf = browser
        .attr("meta[name='csrf-token']", "content")
        .await
        .unwrap_or_default();
    assert!(!csrf.is_empty(), "{}", browser.page_source().await);
    let cookies = browser.run("return document.cookie;", vec![]).await;
    assert!(
        !cookies
            .as_str()
            .unwrap_or_default()
            .contains("warroom_session"),
        "the session cookie is readable by scripts: {cookies}"
    );

    // The guard: every chromedriver and Chromium process of this browser ends with it.
    let pids = browser.process_ids();
    assert!(pids.len() >= 2, "chromedriver and Chromium run: {pids:?}");
    drop(browser);
    // SIGKILL lands asynchronously: allow a moment for the kernel to end them (a zombie
    // waiting for init to reap it has ended).
    let running = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z ") && !stat.contains(") X "))
            .unwrap_or(false)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut alive: Vec<u32> = pids.clone();
    while !alive.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        alive.retain(running);
    }
    assert!(alive.is_empty(), "still running after drop: {alive:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_shows_the_form_again_with_an_error() {
    if !have_browser() {
        return;
    }
    let bot = TestBot::spawn().await;
    let browser = Browser::open(&bot.base).await;
    browser.goto("/").await;
    browser
        .wait_for("form[action='/login'] input[name=token]")
        .await
        .send_keys("not-a-token")
        .await
        .expect("type");
    browser
        .find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .expect("press sign in");
    let error = browser
        .wait_for("p.error")
        .await
        .text()
        .await
        .unwrap_or_default();
    let i18n = warroom::i18n::I18n::builtin().unwrap();
    assert_eq!(error, i18n.text("en-US", "web-login-wrong-token", &[]));
    browser.goto("/incidents").await;
    assert!(
        browser.find_all("meta[name='csrf-token']").await.is_empty(),
        "a wrong token must not sign anyone in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_opens_a_room_live_and_the_room_is_acknowledged_and_resolved_from_the_page() {
    if !have_browser() {
        return;
    }
    let bot = TestBot::spawn().await;
    let alice = signed_in(&bot, "alice").await;
    alice.wait_for("main#incidents[data-events]").await;
    alice.mark_document().await;

    // An alert arrives while the list is open: its row appears without a reload.
    let answer = bot
        .alert(
            "alertmanager",
            &am_alert("browser-1", "checkout", "critical", "firing"),
        )
        .await;
    let id = opened_incident(&answer);
    let row = format!("tr.incident-row[data-incident='{id}']");
    alice.wait_for(&row).await;
    assert!(
        alice.still_same_document().await,
        "the row must arrive live, not by reloading the list"
    );
    assert_eq!(
        alice.attr(&row, "data-state").await.as_deref(),
        Some("triggered")
    );
    alice.screenshot(&screenshot_path("incidents.png")).await;

    // A second person watches the same war room.
    let bob = signed_in(&bot, "bob").await;
    bob.goto(&format!("/incidents/{id}")).await;
    bob.wait_for("section#card[data-state='triggered']").await;
    bob.mark_document().await;

    // Alice follows the row's link into the war room.
    alice
        .find(&format!("{row} a.incident-link"))
        .await
        .click()
        .await
        .expect("open the war room");
    alice.wait_for_path(&format!("/incidents/{id}")).await;
    alice
        .wait_for(&format!("main#room[data-incident='{id}']"))
        .await;
    alice.mark_document().await;

    // Acknowledge from the command box: the chat's reply, the card's new state, and the typed
    // command in the room for everyone.
    alice
        .find("input#command-text")
        .await
        .send_keys("/incident ack")
        .await
        .expect("type the command");
    alice
        .find("button#command-send")
        .await
        .click()
        .await
        .expect("send the command");
    alice
        .wait_until(
            "the command's reply",
            "document.querySelector('#command-reply') && document.querySelector('#command-reply').textContent.includes('acknowledged')",
        )
        .await;
    assert_eq!(
        alice.text("#command-reply").await,
        format!("{id} is now acknowledged.")
    );
    alice
        .wait_for("section#card[data-state='acknowledged']")
        .await;
    bob.wait_for("section#card[data-state='acknowledged']")
        .await;
    bob.wait_until(
        "the typed command in bob's room",
        "Array.from(document.querySelectorAll('ol#messages li.message[data-author=\"alice\"] .text')).some(e => e.textContent.includes('/incident ack'))",
    )
    .await;

    // Resolve with the card's button; both pages follow, neither reloads.
    let resolve = format!("section#card button.card-button[data-button='inc:resolve:{id}']");
    alice
        .wait_for(&resolve)
        .await
        .click()
        .await
        .expect("press Resolve");
    alice.wait_for("section#card[data-state='resolved']").await;
    bob.wait_for("section#card[data-state='resolved']").await;
    assert!(alice.still_same_document().await, "alice's room reloaded");
    assert!(bob.still_same_document().await, "bob's room reloaded");
    assert!(
        bob.find_all(&resolve).await.is_empty(),
        "a resolved card offers no Resolve button"
    );
    alice.screenshot(&screenshot_path("war-room.png")).await;
    alice.close().await;
    bob.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_renders_the_console_in_chinese() {
    if !have_browser() {
        return;
    }
    let bot = TestBot::spawn().await;
    let alice = signed_in(&bot, "alice").await;
    let i18n = warroom::i18n::I18n::builtin().unwrap();
    alice.wait_for("html[lang='en-US']").await;

    alice
        .find("form#locale-switch select[name=locale]")
        .await
        .select_by_value("zh-CN")
        .await
        .expect("choose zh-CN");
    alice
        .find("button#locale-submit")
        .await
        .click()
        .await
        .expect("switch the language");
    alice.wait_for("html[lang='zh-CN']").await;
    alice.wait_for_path("/incidents").await;
    assert_eq!(
        alice.text("h1").await,
        i18n.text("zh-CN", "web-incidents-title", &[])
    );

    // Chinese text renders with real glyphs (fonts-noto-cjk), not empty boxes: two different
    // CJK characters have the width of a CJK font's full-width glyphs.
    let widths = alice
        .run(
            "const c = document.createElement('canvas').getContext('2d'); c.font = '20px sans-serif'; return [c.measureText('事').width, c.measureText('件').width, c.measureText('x').width];",
            vec![],
        )
        .await;
    let widths: Vec<f64> = widths
        .as_array()
        .map(|all| all.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    assert!(
        widths.len() == 3 && widths[0] > widths[2] && (widths[0] - 20.0).abs() < 2.0,
        "CJK glyphs render at full width: {widths:?}"
    );

    // The choice holds for the session: a war room is Chinese too, its card's buttons named
    // as chat names them in zh-CN.
    let answer = bot
        .alert(
            "alertmanager",
            &am_alert("browser-zh", "checkout", "critical", "firing"),
        )
        .await;
    let id = opened_incident(&answer);
    alice.goto(&format!("/incidents/{id}")).await;
    alice.wait_for("html[lang='zh-CN']").await;
    let acknowledge = alice
        .wait_for(&format!(
            "section#card button.card-button[data-button='inc:acknowledge:{id}']"
        ))
        .await;
    assert_eq!(
        acknowledge.text().await.unwrap_or_default(),
        i18n.text("zh-CN", "button-acknowledge", &[])
    );
    alice.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_stream_is_refused_says_it_is_not_live_and_catches_up_once_it_can() {
    if !have_browser() {
        return;
    }
    let bot = TestBot::spawn().await;
    let browser = signed_in(&bot, "alice").await;
    // The list's stream is one of the session's sixteen places; the other fifteen are taken
    // here (the cookie is HttpOnly, but WebDriver reads it), so a second tab's stream is
    // refused (429) and the browser gives up on it, as EventSource does on any answer but a
    // stream.
    browser
        .wait_until(
            "the list is live",
            "document.querySelector('main#incidents').getAttribute('data-live') === 'open'",
        )
        .await;
    let cookie = browser
        .client
        .get_named_cookie("warroom_session")
        .await
        .expect("the session cookie");
    let session = crate::support::web::WebSession {
        base: bot.base.clone(),
        client: bot.web_client(),
        cookie: format!("warroom_session={}", cookie.value()),
        user: "alice".to_owned(),
    };
    let mut held = Vec::new();
    for _ in 0..15 {
        let response = session.get("/incidents/events").await;
        assert_eq!(response.status(), 200);
        held.push(response);
    }
    let tab = browser.client.new_window(true).await.expect("a new tab");
    browser
        .client
        .switch_to_window(tab.handle)
        .await
        .expect("switched to the new tab");
    browser.goto("/incidents").await;
    browser.wait_for("#live-banner").await;
    assert!(
        browser.text("#live-banner").await.contains("Not live"),
        "{}",
        browser.page_source().await
    );
    browser.mark_document().await;
    // Places free again: the page connects again by itself, drops the banner, and hears the
    // next alert without a reload.
    drop(held);
    browser
        .wait_until(
            "the page is live again",
            "document.querySelector('main#incidents').getAttribute('data-live') === 'open' && !document.getElementById('live-banner')",
        )
        .await;
    let answer = bot
        .alert(
            "alertmanager",
            &am_alert("late-1", "payments", "critical", "firing"),
        )
        .await;
    let id = opened_incident(&answer);
    browser
        .wait_for(&format!("tr.incident-row[data-incident='{id}']"))
        .await;
    assert!(
        browser.still_same_document().await,
        "caught up by reloading"
    );
    browser.close().await;
}
