//! The web console's timeline page, the durations and the alerts chart, as a browser
//! without JavaScript sees them.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, ETAG, IF_NONE_MATCH, LOCATION};
use serde_json::json;

use crate::support::web::WebSession;
use crate::support::{TestBot, am_alert};

const FIRST: &str = "INC-20261121-001";

/// warroom with one incident (its alert started at 09:58, received at 10:00) and its room.
async fn bot_with_incident(config: &str) -> (TestBot, String) {
    let bot = TestBot::spawn_with(config).await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-1", "checkout", "critical", "firing"),
    )
    .await;
    let room = bot.room_of(FIRST).await;
    (bot, room)
}

const DEFAULT_CONFIG: &str = "[chat]\ncard_edit_interval = \"0s\"\n";

/// A page as a browser whose script set `warroom_tz` to `zone` gets it.
async fn page_in_zone(session: &WebSession, path: &str, zone: &str) -> String {
    let response = session
        .client
        .get(format!("{}{path}", session.base))
        .header(COOKIE, format!("{}; warroom_tz={zone}", session.cookie))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("a page")
}

/// The `li.entry` elements of a timeline page, each from its attributes to its end.
fn entries(html: &str) -> Vec<&str> {
    html.split("<li class=\"entry\"")
        .skip(1)
        .map(|rest| rest.split("</li>").next().expect("a closed entry"))
        .collect()
}

/// An attribute's value in an element's text.
fn attribute<'a>(element: &'a str, name: &str) -> &'a str {
    let marker = format!("{name}=\"");
    let start = element
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {element}"))
        + marker.len();
    element[start..].split('"').next().expect("a quoted value")
}

/// HTML attribute text back to the URL it stands for.
fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `seq` of every entry on `path` and on the pages its next links lead to.
async fn follow_pages(session: &WebSession, path: &str) -> (Vec<u64>, usize) {
    let mut seqs = Vec::new();
    let mut pages = 0;
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 50, "the pages never end");
        let (status, html) = session.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        for entry in entries(&html) {
            seqs.push(
                attribute(entry, "data-seq")
                    .parse::<u64>()
                    .expect("a number"),
            );
        }
        next = html
            .split("id=\"next-page\"")
            .nth(1)
            .map(|rest| unescape(attribute(rest, "href")));
    }
    (seqs, pages)
}

#[tokio::test]
async fn timeline_times_show_in_the_browsers_zone_else_the_configured_one() {
    let (bot, _room) =
        bot_with_incident("[chat]\ncard_edit_interval = \"0s\"\ntime_zone = \"Asia/Shanghai\"\n")
            .await;
    let session = bot.web_sign_in("alice").await;
    let path = format!("/incidents/{FIRST}/timeline");

    // No zone from the browser: [chat] time_zone.
    let (status, html) = session.page(&path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let first = entries(&html)[0];
    assert!(
        first.contains("<time datetime=\"2026-11-21T10:00:00Z\">2026-11-21 18:00:00 +08:00</time>"),
        "{first}"
    );
    assert!(
        unescape(&html).contains("Times are in Asia/Shanghai."),
        "{html}"
    );

    // The browser's zone, as the script sets it (encoded or not), wins.
    for zone in ["America%2FNew_York", "America/New_York"] {
        let html = page_in_zone(&session, &path, zone).await;
        let first = entries(&html)[0];
        assert!(
            first.contains(
                "<time datetime=\"2026-11-21T10:00:00Z\">2026-11-21 05:00:00 -05:00</time>"
            ),
            "{zone}: {first}"
        );
        assert!(!html.contains("+08:00"), "{zone}: {html}");
    }

    // A zone the server does not know is ignored, not an error.
    let html = page_in_zone(&session, &path, "Mars%2FOlympus").await;
    assert!(html.contains("2026-11-21 18:00:00 +08:00"), "{html}");
}

#[tokio::test]
async fn the_timeline_and_durations_read_in_the_viewers_language_with_units() {
    let (bot, room) = bot_with_incident(DEFAULT_CONFIG).await;
    bot.advance(chrono::Duration::seconds(252));
    let ack = bot.slash("alice", &room, "/incident ack").await;
    assert!(ack.ok, "{ack:?}");
    let path = format!("/incidents/{FIRST}/timeline");
    let duration = |html: &str, key: &str| -> String {
        html.split(&format!("data-duration=\"{key}\""))
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or_else(|| panic!("no {key} duration in {html}"))
            .to_owned()
    };

    let english = bot.web_sign_in("alice").await;
    let (_, html) = english.page(&path).await;
    assert!(html.contains("<html lang=\"en-US\">"), "{html}");
    // The alert started at 09:58 and arrived at 10:00; acknowledged 4 min 12 s later.
    let detect = duration(&html, "detect");
    assert!(
        detect.contains("Time to detect") && detect.contains("2 min 0 s"),
        "{detect}"
    );
    let acknowledge = duration(&html, "acknowledge");
    assert!(acknowledge.contains("4 min 12 s"), "{acknowledge}");
    assert!(
        acknowledge.contains("data-seconds=\"252\""),
        "{acknowledge}"
    );
    assert!(duration(&html, "resolve").contains("not yet"), "{html}");
    assert!(html.contains("opened the incident"), "{html}");
    let chart = html
        .split("id=\"alerts-chart\"")
        .nth(1)
        .map(|rest| unescape(attribute(rest, "src")));
    assert_eq!(
        chart,
        Some(format!("/incidents/{FIRST}/alerts.svg")),
        "{html}"
    );

    let chinese = bot.web_sign_in("wang").await;
    let (_, html) = chinese.page(&path).await;
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    let detect = duration(&html, "detect");
    assert!(
        detect.contains("发现用时") && detect.contains("2分0秒"),
        "{detect}"
    );
    assert!(duration(&html, "acknowledge").contains("4分12秒"), "{html}");
    assert!(duration(&html, "resolve").contains("尚未"), "{html}");
    assert!(html.contains("创建事件"), "{html}");
    assert!(
        html.contains("完整时间线") || html.contains("时间线"),
        "{html}"
    );
    assert!(!html.contains("opened the incident"), "{html}");
}

#[tokio::test]
async fn the_kind_filter_shows_only_its_entries_and_refuses_unknown_kinds() {
    let (bot, room) = bot_with_incident(DEFAULT_CONFIG).await;
    let note = bot
        .slash("carol", &room, "/incident note db failover done")
        .await;
    assert!(note.ok, "{note:?}");
    let session = bot.web_sign_in("bob").await;
    let path = format!("/incidents/{FIRST}/timeline");

    // Unfiltered: every entry, in the order and with the kinds the JSON read API gives.
    let (_, html) = session.page(&path).await;
    let kinds: Vec<&str> = entries(&html)
        .iter()
        .map(|entry| attribute(entry, "data-kind"))
        .collect();
    assert_eq!(kinds, bot.timeline_kinds(FIRST).await, "{html}");

    let (status, html) = session.page(&format!("{path}?kind=notes")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let notes = entries(&html);
    assert_eq!(notes.len(), 1, "{html}");
    assert_eq!(attribute(notes[0], "data-kind"), "note_added");
    assert!(notes[0].contains("note: db failover done"), "{}", notes[0]);
    assert!(html.contains("<option value=\"notes\" selected>"), "{html}");

    let (_, html) = session.page(&format!("{path}?kind=alerts")).await;
    let alerts = entries(&html);
    assert!(!alerts.is_empty(), "{html}");
    for entry in &alerts {
        assert_eq!(attribute(entry, "data-group"), "alerts", "{entry}");
    }
    assert!(
        alerts
            .iter()
            .any(|entry| attribute(entry, "data-kind") == "alert_received")
    );

    let (status, body) = session.page(&format!("{path}?kind=bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("alerts") && body.contains("notes"), "{body}");
    let (status, body) = session.page(&format!("{path}?after=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn timeline_pages_follow_their_next_links_to_the_end_filtered_or_not() {
    let (bot, room) = bot_with_incident(DEFAULT_CONFIG).await;
    for n in 1..=5 {
        let note = bot
            .slash("carol", &room, &format!("/incident note step {n}"))
            .await;
        assert!(note.ok, "{note:?}");
    }
    let session = bot.web_sign_in("alice").await;
    let api = bot.timeline(FIRST).await;
    let all: Vec<u64> = api
        .iter()
        .map(|entry| entry["seq"].as_u64().expect("seq"))
        .collect();
    let notes: Vec<u64> = api
        .iter()
        .filter(|entry| entry["kind"] == "note_added")
        .map(|entry| entry["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(notes.len(), 5);

    let (seqs, pages) = follow_pages(
        &session,
        &format!("/incidents/{FIRST}/timeline?kind=notes&limit=2"),
    )
    .await;
    assert_eq!(seqs, notes);
    assert_eq!(pages, 3);

    let (seqs, pages) =
        follow_pages(&session, &format!("/incidents/{FIRST}/timeline?limit=3")).await;
    assert_eq!(seqs, all);
    assert!(pages >= 3, "{pages}");

    // The first page of the default size holds them all and has no next link.
    let (_, html) = session.page(&format!("/incidents/{FIRST}/timeline")).await;
    assert_eq!(entries(&html).len(), all.len());
    assert!(!html.contains("id=\"next-page\""), "{html}");
}

#[tokio::test]
async fn the_alerts_chart_is_svg_and_escapes_alert_text_like_the_timeline_does() {
    let bot = TestBot::spawn_with(DEFAULT_CONFIG).await;
    let body = json!({
        "receiver": "warroom",
        "status": "firing",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "<script>alert(1)</script>", "service": "checkout", "severity": "critical"},
            "annotations": {"summary": "\"><img src=x onerror=alert(1)>"},
            "startsAt": "2026-11-21T09:58:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "evil"
        }],
        "version": "4",
        "groupKey": "{}:{alertname=\"evil\"}",
        "truncatedAlerts": 0
    });
    bot.alert("alertmanager", &body.to_string()).await;
    let session = bot.web_sign_in("alice").await;

    let response = session.get(&format!("/incidents/{FIRST}/alerts.svg")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(content_type.starts_with("image/svg+xml"), "{content_type}");
    let svg = response.text().await.expect("a body");
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains("<img"), "{svg}");
    assert!(!svg.contains("style="), "{svg}");
    // The chart's title names the incident's title, which came from the alert.
    let (_, incident) = bot.get(&format!("/v1/incidents/{FIRST}")).await;
    let title = incident["title"].as_str().expect("a title");
    assert!(title.contains('<'), "{title}");
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    assert!(svg.contains(&escaped), "{escaped} in {svg}");
    // One alert fired: one bar, titled with its count.
    assert_eq!(svg.matches("<title>1</title>").count(), 1, "{svg}");

    let (status, html) = session.page(&format!("/incidents/{FIRST}/timeline")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
    assert!(!html.contains("style="), "{html}");
}

#[tokio::test]
async fn the_timeline_and_chart_need_a_session_and_a_known_incident() {
    let (bot, _room) = bot_with_incident(DEFAULT_CONFIG).await;
    let client = bot.web_client();
    let page = client
        .get(format!("{}/incidents/{FIRST}/timeline", bot.base))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/");
    let chart = client
        .get(format!("{}/incidents/{FIRST}/alerts.svg", bot.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(chart.status(), StatusCode::UNAUTHORIZED);

    let session = bot.web_sign_in("vic").await;
    let (status, _) = session.page(&format!("/incidents/{FIRST}/timeline")).await;
    assert_eq!(status, StatusCode::OK, "a viewer reads the timeline");
    let (status, body) = session.page("/incidents/INC-20261121-999/timeline").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = session.page("/incidents/INC-20261121-999/alerts.svg").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = session.page("/incidents/not-an-id/timeline").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_chart_answers_not_modified_until_the_incident_changes() {
    let (bot, _room) = bot_with_incident(DEFAULT_CONFIG).await;
    let session = bot.web_sign_in("alice").await;
    let path = format!("/incidents/{FIRST}/alerts.svg");
    let get = |tag: Option<String>| {
        let mut request = session
            .client
            .get(format!("{}{path}", session.base))
            .header(COOKIE, &session.cookie);
        if let Some(tag) = tag {
            request = request.header(IF_NONE_MATCH, tag);
        }
        request.send()
    };
    let first = get(None).await.expect("sent");
    assert_eq!(first.status(), StatusCode::OK);
    let tag = first.headers()[ETAG].to_str().expect("ascii").to_owned();
    assert!(
        first
            .text()
            .await
            .expect("svg")
            .contains("<title>1</title>")
    );

    let again = get(Some(tag.clone())).await.expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.expect("empty").is_empty());

    // A second alert of the same group joins the incident: the chart is drawn anew.
    bot.alert(
        "alertmanager",
        &am_alert("fp-2", "checkout", "critical", "firing"),
    )
    .await;
    let changed = get(Some(tag.clone())).await.expect("sent");
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[ETAG].to_str().expect("ascii"), tag);
    let svg = changed.text().await.expect("svg");
    assert!(svg.contains("<title>2</title>"), "{svg}");

    // Another viewer's language draws other labels: not the English chart's tag.
    let chinese = bot.web_sign_in("wang").await;
    let response = chinese
        .client
        .get(format!("{}{path}", chinese.base))
        .header(COOKIE, &chinese.cookie)
        .header(IF_NONE_MATCH, &tag)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.expect("svg").contains("触发"));
}
