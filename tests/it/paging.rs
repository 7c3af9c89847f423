//! The page webhook against a local receiver: headers (bearer token, idempotency key), the
//! body, a retry after a 503, and a 401 that is logged, counted and dropped, not retried.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestBot, am_alert};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Statuses to answer with, in order; 200 once they run out.
    answers: VecDeque<u16>,
}

/// A pager on 127.0.0.1:0 that records every page and answers as told.
pub struct PageReceiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl PageReceiver {
    pub async fn start(answers: &[u16]) -> PageReceiver {
        let shared = Arc::new(Mutex::new(Shared {
            received: Vec::new(),
            answers: answers.iter().copied().collect(),
        }));
        let app = axum::Router::new()
            .route("/page", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        PageReceiver {
            url: format!("http://{addr}/page"),
            shared,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits (bounded) until `count` requests arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..1200 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "timed out waiting for {count} pages; got {:#?}",
            self.received()
        );
    }

    /// Waits (bounded) until a page with this idempotency key arrived; returns it.
    pub async fn wait_for_key(&self, key: &str) -> Received {
        for _ in 0..1200 {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|page| page.idempotency_key.as_deref() == Some(key))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "timed out waiting for page {key}; got {:#?}",
            self.received()
        );
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let mut shared = shared.lock().unwrap();
    shared.received.push(Received {
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
    });
    let status = shared.answers.pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// sev1 pages the duty managers at 5 minutes and again (step two) at 10.
fn config(url: &str) -> String {
    format!(
        "[chat]\ncard_edit_interval = \"0s\"\n\
         [oncall]\ncommander = \"alice\"\noperations = \"bob\"\n\
         [[escalation]]\nseverity = [\"sev1\"]\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"duty_manager\"]\npage = true\n\
         [[escalation.steps]]\nafter = \"10m\"\nnotify = [\"commander\"]\npage = true\n\
         [paging]\nwebhook_url = \"{url}\"\ntoken = \"pager-secret-token\"\ntimeout = \"2s\"\n"
    )
}

#[tokio::test]
async fn a_page_carries_its_token_key_and_body_and_is_retried_after_a_503() {
    let pager = PageReceiver::start(&[503]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-a", "checkout", "critical", "firing"),
    )
    .await;
    bot.advance(chrono::Duration::minutes(5));
    let pages = pager.wait_for(2).await;
    for page in &pages {
        assert_eq!(
            page.idempotency_key.as_deref(),
            Some("page:INC-20261121-001:1:0")
        );
        assert_eq!(
            page.authorization.as_deref(),
            Some("Bearer pager-secret-token")
        );
        assert_eq!(page.content_type.as_deref(), Some("application/json"));
    }
    let mut notify: Vec<String> = serde_json::from_value(pages[1].body["notify"].clone()).unwrap();
    notify.sort();
    assert_eq!(notify, vec!["alice", "bob"], "every duty manager");
    let mut body = pages[1].body.clone();
    body["notify"] = json!([]);
    assert_eq!(
        body,
        json!({
            "incident": "INC-20261121-001",
            "title": pages[1].body["title"].clone(),
            "severity": "sev1",
            "step": 1,
            "notify": [],
        })
    );
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|title| title.contains("HighErrorRate") || title.contains("checkout")),
        "{body}"
    );
    // The page is recorded once on the timeline, however many tries it took.
    let steps: Vec<Value> = bot
        .timeline("INC-20261121-001")
        .await
        .into_iter()
        .filter(|entry| entry["kind"] == json!("escalation_step"))
        .collect();
    assert_eq!(steps.len(), 1, "{steps:#?}");
    assert_eq!(steps[0]["how"], json!(["room", "page"]));
}

#[tokio::test]
async fn a_refused_token_drops_the_page_loudly_and_later_pages_still_go() {
    let pager = PageReceiver::start(&[401]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-a", "checkout", "critical", "firing"),
    )
    .await;
    bot.advance(chrono::Duration::minutes(5));
    pager.wait_for(1).await;
    bot.advance(chrono::Duration::minutes(5));
    let pages = pager.wait_for(2).await;
    // Had the refused page been retried, its key would come again before step two's.
    let keys: Vec<Option<String>> = pages
        .iter()
        .map(|page| page.idempotency_key.clone())
        .collect();
    assert_eq!(
        keys,
        vec![
            Some("page:INC-20261121-001:1:0".to_owned()),
            Some("page:INC-20261121-001:2:0".to_owned())
        ]
    );
    let (_, metrics) = bot.get_text("/metrics").await;
    assert!(
        metrics.contains("warroom_pages_dropped_total{reason=\"unauthorized\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("pager-secret-token"));
}

/// A revoked bot token pauses the chat, not the pager: the page of a step that falls due
/// during the pause goes out at once, and its success does not end the chat's pause (readiness
/// still says the chat refuses warroom until Discord lets it in again).
#[tokio::test]
async fn pages_go_out_while_the_chat_refuses_warroom_and_do_not_end_its_pause() {
    use crate::discord::wait_until;
    use crate::support::fake_discord::FailMode;

    // A page for every severity at five minutes.
    let (pager, fake, bot) = discord_with_pager(r#"["sev1", "sev2", "sev3", "sev4"]"#).await;
    fake.fail_rest(FailMode::Status401, Duration::from_secs(300));
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let blocked = || async {
        let (code, ready) = bot.get("/readyz").await;
        code == reqwest::StatusCode::SERVICE_UNAVAILABLE && ready["chat_blocked"] == "unauthorized"
    };
    wait_until("readiness to report the blocked chat", blocked).await;
    bot.advance(chrono::Duration::minutes(5));
    let pages = pager.wait_for(1).await;
    assert_eq!(pages.len(), 1, "{pages:#?}");
    assert!(blocked().await, "a delivered page ended the chat's pause");
    assert!(fake.channel_by_name("inc-20261121-001").is_none());
    fake.heal_rest();
    wait_until("the room after the block", || async {
        fake.channel_by_name("inc-20261121-001").is_some()
    })
    .await;
    assert_eq!(pager.received().len(), 1, "the page went out twice");
}

impl PageReceiver {
    /// From now on every page is answered 200.
    pub fn heal(&self) {
        self.shared.lock().unwrap().answers.clear();
    }
}

/// A page waiting for a pager that answers 503 is not sent once someone acknowledged: when
/// the pager heals the page is dropped (counted as `not_triggered`), not delivered.
#[tokio::test]
async fn a_page_still_waiting_when_the_incident_is_acknowledged_is_dropped() {
    let pager = PageReceiver::start(&[503; 1000]).await;
    let bot = TestBot::spawn_with(&config(&pager.url)).await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-a", "checkout", "critical", "firing"),
    )
    .await;
    let room = bot.room_of("INC-20261121-001").await;
    bot.advance(chrono::Duration::minutes(5));
    pager.wait_for(1).await;
    let ack = bot.slash("alice", &room, "/incident ack").await;
    assert!(ack.ok, "{}", ack.text);
    let tried = pager.received().len();
    pager.heal();
    // Metrics are shared by every test in this binary: look for the reason, not a count.
    let dropped = "warroom_pages_dropped_total{reason=\"not_triggered\"}";
    let mut metrics = String::new();
    for _ in 0..1200 {
        metrics = bot.get_text("/metrics").await.1;
        if metrics.contains(dropped) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(metrics.contains(dropped), "{metrics}");
    // Every request the pager got was answered 503: none came after it healed.
    assert_eq!(pager.received().len(), tried, "{:#?}", pager.received());
}

/// Pages have their own index: a page behind a chat backlog longer than the outbox's planning
/// window (1,024 items: Discord answering 500 through an alert storm) still goes out when its
/// step falls due, before the backlog drains.
#[tokio::test]
async fn a_page_behind_a_long_chat_backlog_goes_out_on_time() {
    use crate::support::fake_discord::FailMode;

    let (pager, fake, bot) = discord_with_pager(r#"["sev1"]"#).await;
    fake.fail_rest(FailMode::Status500, Duration::from_secs(300));
    // 400 sev3 incidents, each a room, a card and a mention waiting: over 1,024 items ahead.
    let storm: Vec<Value> = (0..400)
        .map(|n| {
            json!({
                "status": "firing",
                "labels": {"alertname": "Storm", "service": format!("svc-{n}"), "severity": "warning"},
                "annotations": {"summary": "storm"},
                "startsAt": "2026-11-21T09:58:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.local/graph",
                "fingerprint": format!("storm-{n}"),
            })
        })
        .collect();
    let body = json!({
        "receiver": "warroom",
        "status": "firing",
        "alerts": storm,
        "groupLabels": {"alertname": "Storm"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "{}:{alertname=\"Storm\"}",
        "truncatedAlerts": 0
    })
    .to_string();
    bot.alert("alertmanager", &body).await;
    bot.alert(
        "alertmanager",
        &am_alert("fp-late", "checkout", "critical", "firing"),
    )
    .await;
    bot.advance(chrono::Duration::minutes(5));
    let pages = pager.wait_for(1).await;
    assert_eq!(pages.len(), 1, "{pages:#?}");
    assert_eq!(pages[0].body["step"], 1, "{:#?}", pages[0].body);
    // The backlog is still there: the page did not wait for it.
    assert!(fake.channel_by_name("inc-20261121-001").is_none());
}

/// warroom on the fake Discord (ready), paging the duty manager five minutes into an incident
/// of `severities` (a TOML list) through a new receiver.
async fn discord_with_pager(
    severities: &str,
) -> (
    PageReceiver,
    crate::support::fake_discord::FakeDiscord,
    TestBot,
) {
    use crate::discord::{guild_config, wait_until};
    use crate::support::fake_discord::FakeDiscord;

    let pager = PageReceiver::start(&[]).await;
    let fake = FakeDiscord::start().await;
    let (config, _) = guild_config(&fake, |_, _| String::new());
    // After the guild's tables, so these keys land in their own.
    let config = format!(
        "{config}[[escalation]]\nseverity = {severities}\n\
         [[escalation.steps]]\nafter = \"5m\"\nnotify = [\"duty_manager\"]\npage = true\n\
         [paging]\nwebhook_url = \"{url}\"\n",
        url = pager.url
    );
    let bot = TestBot::spawn_discord(&config).await;
    assert!(fake.wait_ready(Duration::from_secs(20)).await);
    wait_until("warroom ready", || async {
        bot.get("/readyz").await.1["chat"] == json!(true)
    })
    .await;
    (pager, fake, bot)
}
