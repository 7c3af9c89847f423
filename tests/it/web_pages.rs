//! The web console's pages and writes, as a browser without JavaScript sees them: the
//! incident list (open first, filters, paging, links), the war room (the card as chat shows
//! it, the room's messages with what people typed, the command box with chat's rights and
//! replies, the card's buttons, ✅/❌ on approvals), read mode, CSRF and origin checks, and
//! escaping of alert text.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN};
use serde_json::{Value, json};

use warroom::domain::access::PersonRole;
use warroom::domain::action::{
    ActionJob, ActionOutcome, ActionPolicy, ActionStatus, Catalog, CommandDef, ExecutorKind,
    ParamDef, ParamKind, Risk,
};
use warroom::domain::message::Msg;
use warroom::domain::service::{ServiceDef, Services};
use warroom::exec::{Executor, Executors};

use crate::support::web::WebSession;
use crate::support::{TestBot, am_alert};

const FIRST: &str = "INC-20261121-001";
const SECOND: &str = "INC-20261121-002";
const THIRD: &str = "INC-20261121-003";

/// The opening tags in `html` that start with `start` (e.g. `<tr class="incident-row`).
fn tags<'a>(html: &'a str, start: &str) -> Vec<&'a str> {
    html.match_indices(start)
        .map(|(at, _)| {
            let end = html[at..].find('>').map_or(html.len(), |end| at + end + 1);
            &html[at..end]
        })
        .collect()
}

/// Attribute `name` of an opening tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Text as the browser reads it back from the template engine's escaping.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The incident ids of the list's rows, in order.
fn row_ids(html: &str) -> Vec<String> {
    tags(html, "<tr class=\"incident-row")
        .into_iter()
        .filter_map(|tag| attr(tag, "data-incident"))
        .collect()
}

/// Each message `li` of a war room: (id, author, its whole markup).
fn messages(html: &str) -> Vec<(String, String, String)> {
    html.split("<li class=\"message")
        .skip(1)
        .map(|rest| {
            let item = rest.split("</li>").next().unwrap_or_default();
            let tag = format!("<li class=\"message{}", item);
            (
                attr(&tag, "data-message").unwrap_or_default(),
                attr(&tag, "data-author").unwrap_or_default(),
                item.to_owned(),
            )
        })
        .collect()
}

/// The `.text` of a message's markup, unescaped.
fn message_text(item: &str) -> String {
    let start = item.find("<div class=\"text\">").expect("a .text") + "<div class=\"text\">".len();
    let end = item[start..].find("</div>").expect("its end") + start;
    unescape(&item[start..end])
}

/// The `data-button` and label of each button with class `class`, in order.
fn buttons(html: &str, class: &str) -> Vec<(String, String)> {
    let start = format!("<button type=\"button\" class=\"{class}\"");
    html.match_indices(&start)
        .map(|(at, _)| {
            let rest = &html[at..];
            let tag_end = rest.find('>').expect("tag end") + 1;
            let label_end = rest.find("</button>").expect("button end");
            (
                attr(&rest[..tag_end], "data-button").unwrap_or_default(),
                unescape(&rest[tag_end..label_end]),
            )
        })
        .collect()
}

async fn alert(bot: &TestBot, fingerprint: &str, service: &str, severity: &str) {
    bot.alert(
        "alertmanager",
        &am_alert(fingerprint, service, severity, "firing"),
    )
    .await;
}

/// The JSON answer of a page write.
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(json!({ "error": text })),
    )
}

async fn incident_state(bot: &TestBot, id: &str) -> String {
    bot.incident(id).await["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_list_shows_open_incidents_first_then_recent_ones_filtered_paged_and_linked() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    alert(&bot, "fp2", "payments-api", "warning").await;
    alert(&bot, "fp3", "search-api", "critical").await;
    let room = bot.room_of(FIRST).await;
    assert!(bot.slash("alice", &room, "/incident resolve").await.ok);
    let alice = bot.web_sign_in("alice").await;

    // The resolved one, though the oldest, comes after the open ones; each part newest first.
    let (status, html) = alice.page("/incidents").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(row_ids(&html), [THIRD, SECOND, FIRST], "{html}");
    let rows = tags(&html, "<tr class=\"incident-row");
    assert_eq!(attr(rows[2], "data-state").as_deref(), Some("resolved"));
    assert_eq!(attr(rows[0], "data-state").as_deref(), Some("triggered"));
    for id in [FIRST, SECOND, THIRD] {
        assert!(
            html.contains(&format!(
                "<a class=\"incident-link\" href=\"/incidents/{id}\">"
            )),
            "{id} links to its war room: {html}"
        );
    }
    assert!(html.contains("main id=\"incidents\" data-events=\"/incidents/events\" data-after=\""));
    assert!(
        !html.contains("id=\"next-page\""),
        "one page holds them all"
    );

    // Filters by state and by severity.
    let (_, resolved) = alice.page("/incidents?state=resolved").await;
    assert_eq!(row_ids(&resolved), [FIRST]);
    let (_, open) = alice.page("/incidents?state=triggered").await;
    assert_eq!(row_ids(&open), [THIRD, SECOND]);
    let second_severity = attr(rows[1], "data-severity").expect("a severity");
    let first_severity = attr(rows[0], "data-severity").expect("a severity");
    assert_ne!(
        second_severity, first_severity,
        "critical and warning differ"
    );
    let (_, by_severity) = alice
        .page(&format!("/incidents?severity={first_severity}"))
        .await;
    assert_eq!(row_ids(&by_severity), [THIRD, FIRST]);
    let (_, both) = alice
        .page(&format!(
            "/incidents?state=resolved&severity={second_severity}"
        ))
        .await;
    assert!(row_ids(&both).is_empty());
    assert!(both.contains("id=\"no-incidents\""));

    // Paging: one at a time, following the next-page links, gives the same order.
    let mut seen = Vec::new();
    let mut path = "/incidents?limit=1".to_owned();
    for _ in 0..10 {
        let (status, html) = alice.page(&path).await;
        assert_eq!(status, 200, "{path}: {html}");
        let ids = row_ids(&html);
        assert_eq!(ids.len(), 1, "{path}: {html}");
        seen.extend(ids);
        match tags(&html, "<a id=\"next-page\"").first() {
            Some(tag) => path = attr(tag, "href").expect("a next-page href"),
            None => break,
        }
    }
    assert_eq!(seen, [THIRD, SECOND, FIRST]);

    // Bad input is a clear 400; no session goes to sign in.
    for (query, says) in [
        ("state=burning", "state: \"burning\""),
        ("severity=sev9", "sev9"),
        ("after=nowhere", "next-page link"),
    ] {
        let response = alice.get(&format!("/incidents?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let text = response.text().await.unwrap();
        assert!(text.contains(says), "{query}: {text}");
    }
    let anonymous = bot
        .web_client()
        .get(format!("{}/incidents", bot.base))
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_war_room_shows_the_chat_card_and_the_rooms_messages_with_what_people_typed() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    let room = bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;

    let response = alice
        .post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", "/incident ack")],
        )
        .await;
    let (status, body) = answer(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["incident"], FIRST);
    assert!(
        body["reply"].as_str().unwrap().contains("acknowledged"),
        "{body}"
    );
    let console = bot
        .wait_for_messages(&room, "the acknowledgement", |messages| {
            messages.iter().any(|m| {
                m["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("set the incident to acknowledged")
            })
        })
        .await;

    let (status, html) = alice.page(&format!("/incidents/{FIRST}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!(
        "<main id=\"room\" data-incident=\"{FIRST}\" data-events=\"/incidents/{FIRST}/events\" data-after=\""
    )));

    // The card: the same state, facts and buttons as the console's card.
    let card = tags(&html, "<section id=\"card\"")[0];
    assert_eq!(attr(card, "data-state").as_deref(), Some("acknowledged"));
    assert_eq!(attr(card, "data-severity").as_deref(), Some("sev1"));
    let chat_card = bot.card(&room).await;
    let chat_buttons: Vec<(String, String)> = chat_card["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().to_owned(),
                b["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!chat_buttons.is_empty());
    assert_eq!(buttons(&html, "card-button"), chat_buttons);
    let page_text = unescape(&html);
    for field in chat_card["fields"].as_array().unwrap() {
        for part in ["name", "value"] {
            let text = field[part].as_str().unwrap();
            assert!(
                page_text.contains(text),
                "the card's {part} {text:?}: {html}"
            );
        }
    }

    // The messages: all of the room's, in its order, what alice typed among them.
    let shown = messages(&html);
    let shown_ids: Vec<&str> = shown.iter().map(|(id, _, _)| id.as_str()).collect();
    let console_ids: Vec<&str> = console.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(shown_ids, console_ids);
    let typed = shown
        .iter()
        .position(|(_, author, item)| author == "alice" && message_text(item) == "/incident ack")
        .unwrap_or_else(|| panic!("alice's command in the room: {html}"));
    let acknowledged = shown
        .iter()
        .position(|(_, _, item)| message_text(item).contains("set the incident to acknowledged"))
        .expect("the bot's line");
    assert!(typed < acknowledged, "typed before what it caused");

    // The command box and the rest of the room's furniture.
    for piece in [
        "<form id=\"command\"",
        "<input id=\"command-text\" name=\"text\"",
        "<button id=\"command-send\"",
        "id=\"command-reply\"",
        "<ol id=\"messages\"",
        "id=\"durations\"",
        &format!("<img id=\"alerts-chart\" src=\"/incidents/{FIRST}/alerts.svg\""),
        &format!("<a id=\"timeline-link\" href=\"/incidents/{FIRST}/timeline\">"),
    ] {
        assert!(html.contains(piece), "{piece}: {html}");
    }

    // No such incident: 404; a malformed id too.
    assert_eq!(alice.get("/incidents/INC-20261121-099").await.status(), 404);
    assert_eq!(alice.get("/incidents/nope").await.status(), 404);
}

#[tokio::test]
async fn the_command_box_acts_with_the_chats_rights_and_replies() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    let room = bot.room_of(FIRST).await;

    // A viewer may not acknowledge: 403 with chat's own refusal, on the page as in chat.
    let vic = bot.web_sign_in("vic").await;
    let (status, refused) = answer(
        vic.post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", "/incident ack")],
        )
        .await,
    )
    .await;
    let in_chat = bot.slash("vic", &room, "/incident ack").await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(in_chat.status, 403);
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["reply"], in_chat.text.as_str());
    assert_eq!(incident_state(&bot, FIRST).await, "triggered");

    // A mistyped command: chat's help, in the person's language (wang reads Chinese).
    let wang = bot.web_sign_in("wang").await;
    let (status, help) = answer(
        wang.post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", "/incident bogus")],
        )
        .await,
    )
    .await;
    let in_chat = bot.slash("wang", &room, "/incident bogus").await;
    assert_eq!(status, 200);
    assert_eq!(help["ok"], false);
    assert_eq!(help["reply"], in_chat.text.as_str());
    assert!(
        help["reply"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{2e80}'),
        "Chinese: {help}"
    );

    // wang's pages speak his language: the list's columns, the card's facts and buttons.
    let (_, list) = wang.page("/incidents").await;
    assert!(list.contains("<html lang=\"zh-CN\">"), "{list}");
    assert!(list.contains("<th>严重级别</th>"), "{list}");
    let (_, war_room) = wang.page(&format!("/incidents/{FIRST}")).await;
    let labels: Vec<String> = buttons(&war_room, "card-button")
        .into_iter()
        .map(|(_, label)| label)
        .collect();
    assert!(
        labels
            .iter()
            .all(|label| label.chars().any(|c| c > '\u{2e80}')),
        "Chinese button labels: {labels:?}"
    );

    // A note from the box lands on the timeline like chat's.
    let alice = bot.web_sign_in("alice").await;
    let (status, noted) = answer(
        alice
            .post_form(
                &format!("/incidents/{FIRST}/command"),
                &[("text", "/incident note checked the load balancer")],
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{noted}");
    assert_eq!(noted["ok"], true, "{noted}");
    let timeline = bot.timeline(FIRST).await;
    assert!(
        timeline
            .iter()
            .any(|entry| entry.to_string().contains("checked the load balancer")),
        "{timeline:#?}"
    );
}

#[tokio::test]
async fn the_cards_resolve_button_resolves_and_buttons_not_on_the_card_are_refused() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    alert(&bot, "fp2", "payments-api", "critical").await;
    bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;
    let click = |button: String| {
        let alice = alice.clone();
        async move {
            answer(
                alice
                    .post_form(
                        &format!("/incidents/{FIRST}/click"),
                        &[("button", button.as_str())],
                    )
                    .await,
            )
            .await
        }
    };

    // Another incident's button pressed on this card: refused, nothing happens there.
    let (status, body) = click(format!("inc:resolve:{SECOND}")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(incident_state(&bot, SECOND).await, "triggered");

    let (status, body) = click(format!("inc:resolve:{FIRST}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(incident_state(&bot, FIRST).await, "resolved");
    let (_, html) = alice.page(&format!("/incidents/{FIRST}")).await;
    let card = tags(&html, "<section id=\"card\"")[0];
    assert_eq!(attr(card, "data-state").as_deref(), Some("resolved"));
    assert!(
        !buttons(&html, "card-button")
            .iter()
            .any(|(id, _)| id.contains(":resolve:"))
    );

    // Resolve again: no longer on the card.
    let (status, body) = click(format!("inc:resolve:{FIRST}")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert!(body["reply"].as_str().unwrap().contains("Reload"), "{body}");
}

/// What the page shows for Fluent message `id` in `locale`.
fn translated(locale: &str, id: &str) -> String {
    warroom::i18n::I18n::builtin()
        .unwrap()
        .text(locale, id, &[])
}

#[tokio::test]
async fn every_refused_write_answers_in_the_viewers_language() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    alert(&bot, "fp2", "payments-api", "critical").await;
    bot.room_of(FIRST).await;
    let wang = bot.web_sign_in("wang").await;
    let csrf = wang.csrf().await;
    let ours = bot.base.as_str();
    let click = format!("/incidents/{FIRST}/click");
    let other_card = format!("inc:resolve:{SECOND}");
    let cases: Vec<(&str, reqwest::Response, StatusCode, &str)> = vec![
        (
            "a button not on the card",
            wang.post_form(&click, &[("button", other_card.as_str())])
                .await,
            StatusCode::CONFLICT,
            "web-write-button-gone",
        ),
        (
            "no CSRF token",
            wang.post_raw(&click, Some(ours), &[("button", other_card.as_str())])
                .await,
            StatusCode::FORBIDDEN,
            "web-write-csrf",
        ),
        (
            "a foreign origin",
            wang.post_raw(
                &click,
                Some("https://evil.example"),
                &[("button", other_card.as_str()), ("csrf", csrf.as_str())],
            )
            .await,
            StatusCode::FORBIDDEN,
            "web-write-foreign-origin",
        ),
        (
            "a form without its fields",
            wang.post_form(&click, &[("nothing", "here")]).await,
            StatusCode::BAD_REQUEST,
            "web-write-bad-form",
        ),
        (
            "a message not in the room",
            wang.post_form(
                &format!("/incidents/{FIRST}/react"),
                &[("message", "m999999"), ("emoji", "✅")],
            )
            .await,
            StatusCode::NOT_FOUND,
            "web-write-no-message",
        ),
        (
            "signed out (the browser's language)",
            wang.client
                .post(format!("{}{click}", wang.base))
                .header("accept-language", "zh-CN,zh;q=0.9")
                .header(ORIGIN, ours)
                .header("x-csrf-token", csrf.as_str())
                .form(&[("button", other_card.as_str())])
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "web-write-sign-in",
        ),
    ];
    for (what, response, status, id) in cases {
        let (got, body) = answer(response).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["ok"], false, "{what}: {body}");
        let want = translated("zh-CN", id);
        assert!(want.chars().any(|c| c > '\u{2e80}'), "{id} is Chinese");
        assert_eq!(body["reply"], want.as_str(), "{what}: {body}");
    }
    assert_eq!(incident_state(&bot, SECOND).await, "triggered");
}

#[tokio::test]
async fn a_war_room_opens_on_its_newest_messages_with_older_ones_a_link_away() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;
    // More typed lines than a page holds (200), each recorded in the room.
    const LINES: usize = 230;
    for n in 1..=LINES {
        let response = alice
            .post_form(
                &format!("/incidents/{FIRST}/command"),
                &[("text", format!("line {n}").as_str())],
            )
            .await;
        assert_eq!(response.status(), 200, "line {n}");
    }
    let typed = |html: &str| -> Vec<String> {
        messages(html)
            .iter()
            .filter(|(_, author, _)| author == "alice")
            .map(|(_, _, item)| message_text(item))
            .collect()
    };
    let number = |id: &str| -> u64 { id[1..].parse().unwrap() };

    let (status, newest) = alice.page(&format!("/incidents/{FIRST}")).await;
    assert_eq!(status, 200, "{newest}");
    let shown = messages(&newest);
    assert_eq!(shown.len(), 200, "one page");
    let ids: Vec<u64> = shown.iter().map(|(id, _, _)| number(id)).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "in order: {ids:?}"
    );
    let newest_typed = typed(&newest);
    assert_eq!(
        newest_typed.last().map(String::as_str),
        Some(format!("line {LINES}").as_str()),
        "the newest message ends the page"
    );
    // Live messages append below the newest: this page takes them (no data-history).
    assert!(
        newest.contains("<ol id=\"messages\" class=\"messages\">"),
        "{newest}"
    );
    assert!(!newest.contains("id=\"newest-messages\""));
    let older_link = tags(&newest, "<a id=\"older-messages\"");
    assert_eq!(older_link.len(), 1, "a link to older messages");
    let href = attr(older_link[0], "href").unwrap();
    assert_eq!(
        href,
        format!("/incidents/{FIRST}?before={}", shown[0].0),
        "older than the first shown"
    );

    let (status, older) = alice.page(&href).await;
    assert_eq!(status, 200, "{older}");
    let older_ids: Vec<u64> = messages(&older)
        .iter()
        .map(|(id, _, _)| number(id))
        .collect();
    assert!(older_ids.iter().all(|id| *id < ids[0]), "{older_ids:?}");
    assert!(
        older.contains("data-history=\"true\""),
        "an older page takes no live messages"
    );
    assert!(older.contains(&format!(
        "<a id=\"newest-messages\" href=\"/incidents/{FIRST}\">"
    )));
    assert!(
        !older.contains("id=\"older-messages\""),
        "the first page of the room"
    );
    // Together the two pages are the whole room: every line once, in order, no gap.
    let all: Vec<String> = typed(&older).into_iter().chain(newest_typed).collect();
    let want: Vec<String> = (1..=LINES).map(|n| format!("line {n}")).collect();
    assert_eq!(all, want);

    let response = alice.get(&format!("/incidents/{FIRST}?before=nope")).await;
    assert_eq!(response.status(), 400);
}

/// An executor that counts its runs.
#[derive(Default)]
struct Counting {
    runs: AtomicUsize,
}

#[async_trait]
impl Executor for Counting {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        self.runs.fetch_add(1, Ordering::SeqCst);
        ActionOutcome {
            status: ActionStatus::Succeeded,
            summary: Msg::new("action-timed-out")
                .outside("command", &job.command)
                .number("seconds", 0),
            details: Vec::new(),
            output: String::new(),
            scale: None,
            duration_ms: 1,
        }
    }
}

/// `/restart <service>` needing two duty managers' approvals.
fn restart_policy() -> ActionPolicy {
    ActionPolicy {
        catalog: Catalog::new([CommandDef {
            name: "restart".into(),
            description: "catalog-scale-description".into(),
            executor: ExecutorKind::Kubernetes,
            action: "restart".into(),
            approvals: 2,
            approver_role: PersonRole::DutyManager,
            risk: Risk::High,
            timeout: Duration::from_secs(30),
            cooldown: None,
            idempotent: false,
            params: vec![ParamDef {
                name: "service".into(),
                kind: ParamKind::Service,
                required: true,
            }],
            argv: Vec::new(),
            env: Vec::new(),
        }]),
        services: Services::new([ServiceDef {
            name: "checkout-api".into(),
            namespace: Some("shop".into()),
            deployment: Some("checkout-api".into()),
            ..ServiceDef::default()
        }]),
        approval_expiry: chrono::Duration::minutes(15),
        auto_diagnose: false,
    }
}

#[tokio::test]
async fn approve_buttons_and_check_marks_on_the_page_count_as_approvals_like_chat() {
    let executor = Arc::new(Counting::default());
    let bot = TestBot::spawn_with_actions(
        "[chat]\ncard_edit_interval = \"0s\"\n",
        restart_policy(),
        Executors::none().with(ExecutorKind::Kubernetes, executor.clone()),
    )
    .await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    let room = bot.room_of(FIRST).await;
    let wang = bot.web_sign_in("wang").await;
    let (status, asked) = answer(
        wang.post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", "/run restart checkout-api")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["ok"], true, "{asked}");
    let approve = format!("apr:approve:{FIRST}:A1");
    let has_approve = |m: &Value| m["buttons"].to_string().contains(&approve);
    let console = bot
        .wait_for_messages(&room, "the approval message", |messages| {
            messages.iter().any(has_approve)
        })
        .await;
    let request = console.into_iter().find(has_approve).unwrap();
    let message = request["id"].as_str().unwrap().to_owned();

    // The page shows the request's buttons and the two votes.
    let bob = bot.web_sign_in("bob").await;
    let (_, html) = bob.page(&format!("/incidents/{FIRST}")).await;
    let item = messages(&html)
        .into_iter()
        .find(|(id, _, _)| *id == message)
        .expect("the approval on the page")
        .2;
    assert!(item.contains(&format!(
        "class=\"message-button\" data-message=\"{message}\" data-button=\"{approve}\""
    )));
    for emoji in ["✅", "❌"] {
        assert!(
            item.contains(&format!(
                "class=\"react\" data-message=\"{message}\" data-emoji=\"{emoji}\""
            )),
            "{emoji}: {item}"
        );
    }

    // A viewer's ✅ is recorded but counts for nothing, exactly as in chat.
    let vic = bot.web_sign_in("vic").await;
    let (status, body) = answer(
        vic.post_form(
            &format!("/incidents/{FIRST}/react"),
            &[("message", message.as_str()), ("emoji", "✅")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // bob's button and alice's ✅ from the page: two duty managers, it runs, once.
    let (status, body) = answer(
        bob.post_form(
            &format!("/incidents/{FIRST}/click"),
            &[("message", message.as_str()), ("button", approve.as_str())],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(
        executor.runs.load(Ordering::SeqCst),
        0,
        "one approval is not enough"
    );
    let alice = bot.web_sign_in("alice").await;
    let (status, body) = answer(
        alice
            .post_form(
                &format!("/incidents/{FIRST}/react"),
                &[("message", message.as_str()), ("emoji", "✅")],
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["message"], message.as_str());
    for _ in 0..1200 {
        if executor.runs.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(executor.runs.load(Ordering::SeqCst), 1);
    let votes: Vec<Value> = bot
        .timeline(FIRST)
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == "action_vote")
        .collect();
    let counted: Vec<(&str, bool)> = votes
        .iter()
        .map(|vote| (vote["actor"].as_str().unwrap(), vote["counted"] == true))
        .collect();
    assert_eq!(
        counted,
        [
            ("user:vic", false),
            ("user:bob", true),
            ("user:alice", true)
        ],
        "{votes:#?}"
    );
    assert_eq!(votes[0]["reason"], "not_approver");

    // A reaction on a message of another room is refused as one that does not exist.
    let (status, _) = answer(
        alice
            .post_form(
                &format!("/incidents/{FIRST}/react"),
                &[("message", "m999999"), ("emoji", "✅")],
            )
            .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn read_mode_hides_the_command_box_and_refuses_every_write() {
    let bot =
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\n[console]\nweb = \"read\"\n")
            .await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;
    let (status, html) = alice.page(&format!("/incidents/{FIRST}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("id=\"command\""), "{html}");
    assert!(!html.contains("id=\"command-reply\""), "{html}");
    for (button, _) in buttons(&html, "card-button") {
        let tag = tags(
            &html,
            &format!("<button type=\"button\" class=\"card-button\" data-button=\"{button}\""),
        );
        assert!(tag[0].contains(" disabled"), "{button} is disabled");
    }
    for (path, fields) in [
        ("command", vec![("text", "/incident ack")]),
        (
            "click",
            vec![("button", "inc:acknowledge:INC-20261121-001")],
        ),
        ("react", vec![("message", "m1"), ("emoji", "✅")]),
    ] {
        let response = alice
            .post_form(&format!("/incidents/{FIRST}/{path}"), &fields)
            .await;
        let (status, body) = answer(response).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(
            body["reply"],
            translated("en-US", "web-write-read-only").as_str(),
            "{path}"
        );
    }
    assert_eq!(incident_state(&bot, FIRST).await, "triggered");
}

#[tokio::test]
async fn writes_without_the_sessions_csrf_token_or_from_another_origin_are_refused() {
    let bot = TestBot::spawn().await;
    alert(&bot, "fp1", "checkout-api", "critical").await;
    let room = bot.room_of(FIRST).await;
    let alice = bot.web_sign_in("alice").await;
    let csrf = alice.csrf().await;
    let post = |token: Option<&str>, origin: Option<&str>, cookie: bool| {
        let mut request = alice
            .client
            .post(format!("{}/incidents/{FIRST}/command", alice.base))
            .form(&[("text", "/incident ack")]);
        if cookie {
            request = request.header(COOKIE, &alice.cookie);
        }
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        request.send()
    };
    let ours = bot.base.as_str();
    for (what, token, origin, status) in [
        ("no token", None, Some(ours), 403),
        ("a wrong token", Some("0123abcd"), Some(ours), 403),
        (
            "a foreign origin",
            Some(csrf.as_str()),
            Some("https://evil.example"),
            403,
        ),
    ] {
        let response = post(token, origin, true).await.unwrap();
        assert_eq!(response.status(), status, "{what}");
    }
    let response = post(Some(&csrf), Some(ours), false).await.unwrap();
    assert_eq!(response.status(), 401, "not signed in");
    assert_eq!(incident_state(&bot, FIRST).await, "triggered");
    assert!(
        !bot.messages(&room)
            .await
            .iter()
            .any(|m| m["author"] == "alice"),
        "nothing typed was recorded"
    );

    // The form field serves as well as the header (a page without script).
    let response = alice
        .client
        .post(format!("{}/incidents/{FIRST}/command", alice.base))
        .header(COOKIE, &alice.cookie)
        .header(ORIGIN, ours)
        .form(&[("text", "/incident ack"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(incident_state(&bot, FIRST).await, "acknowledged");
}

#[tokio::test]
async fn alert_and_typed_text_is_escaped_in_the_list_the_card_and_the_messages() {
    let bot = TestBot::spawn().await;
    let script = "<script>alert(1)</script>";
    let image = "\"><img src=x onerror=alert(1)>";
    let body = json!({
        "receiver": "warroom",
        "status": "firing",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": script, "service": image, "severity": "critical"},
            "annotations": {"summary": format!("{script} {image}"), "description": image},
            "startsAt": "2026-11-21T09:58:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "javascript:alert(1)",
            "fingerprint": "evil"
        }],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "evil",
        "truncatedAlerts": 0
    });
    bot.alert("alertmanager", &body.to_string()).await;
    let room = bot.room_of(FIRST).await;
    let alice: WebSession = bot.web_sign_in("alice").await;
    alice
        .post_form(
            &format!("/incidents/{FIRST}/command"),
            &[("text", format!("/incident note {script} {image}").as_str())],
        )
        .await;
    bot.wait_for_messages(&room, "the typed note", |messages| {
        messages.iter().any(|m| m["author"] == "alice")
    })
    .await;

    let (_, list) = alice.page("/incidents").await;
    let (_, war_room) = alice.page(&format!("/incidents/{FIRST}")).await;
    for (page, html) in [("list", &list), ("war room", &war_room)] {
        assert!(!html.contains("<script>alert"), "{page}: {html}");
        assert!(!html.contains("<img src=x"), "{page}: {html}");
        assert!(!html.contains("href=\"javascript:"), "{page}: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{page}: {html}"
        );
        assert!(
            html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
            "{page}: {html}"
        );
        // The page's own script is the only one.
        assert_eq!(html.matches("<script").count(), 1, "{page}");
    }
    let typed = messages(&war_room)
        .into_iter()
        .find(|(_, author, _)| author == "alice")
        .expect("alice's note");
    assert_eq!(
        message_text(&typed.2),
        format!("/incident note {script} {image}")
    );
    let card = war_room
        .split("<section id=\"card\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap();
    assert!(
        card.contains("&lt;script&gt;"),
        "the card carries the escaped title: {card}"
    );
}

#[tokio::test]
async fn with_discord_a_war_room_shows_the_card_and_the_timeline_and_no_command_box() {
    let (fake, bot, _) = crate::discord::war_room().await;
    crate::discord::incident_channel(&fake, &bot).await;
    let alice = bot.web_sign_in("alice").await;
    let (status, html) = alice.page(&format!("/incidents/{FIRST}")).await;
    assert_eq!(status, 200, "{html}");
    let card = tags(&html, "<section id=\"card\"")[0];
    assert_eq!(attr(card, "data-state").as_deref(), Some("triggered"));
    assert!(!buttons(&html, "card-button").is_empty(), "{html}");
    assert!(html.contains("id=\"chat-elsewhere\""), "{html}");
    assert!(html.contains(&format!(
        "<a id=\"timeline-link\" href=\"/incidents/{FIRST}/timeline\">"
    )));
    assert!(!html.contains("id=\"messages\""), "{html}");
    assert!(!html.contains("id=\"command\""), "read mode: {html}");
    let (_, list) = alice.page("/incidents").await;
    assert_eq!(row_ids(&list), [FIRST]);
}
