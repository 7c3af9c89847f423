//! Discord under load and failure: a storm over many services, Discord down mid-storm, a
//! restart mid-storm, a dropped gateway. Figures are printed (run with --nocapture), limits
//! are asserted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::discord::{ALICE, BOB, incident_channel, wait_until, war_room};
use crate::support::fake_discord::{FailMode, FakeDiscord, InteractionHandle};
use crate::support::{TestBot, am_alert};

const SERVICES: usize = 20;
const ALERTS: usize = 2000;

/// Posts the alerts numbered `range`, spread over `SERVICES` services; returns the fake-clock
/// time of each service's first 2xx.
async fn storm(
    bot: &TestBot,
    fake: &FakeDiscord,
    range: std::ops::Range<usize>,
) -> HashMap<String, Duration> {
    let batch = range
        .map(|n| (format!("storm-{n:05}"), format!("svc-{:02}", n % SERVICES)))
        .collect();
    alerts(bot, fake, batch).await
}

/// Posts one firing alert per fingerprint, 16 at a time; returns the fake-clock time of
/// each service's first 2xx.
pub(crate) async fn alerts(
    bot: &TestBot,
    fake: &FakeDiscord,
    alerts: Vec<(String, String)>,
) -> HashMap<String, Duration> {
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for (fingerprint, service) in alerts {
        let body = am_alert(&fingerprint, &service, "critical", "firing");
        let client = bot.client.clone();
        let url = format!("{}/v1/alerts/alertmanager", bot.base);
        let permit = semaphore.clone().acquire_owned().await.unwrap();
        let fake = fake.clone();
        tasks.push(tokio::spawn(async move {
            let status = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status();
            drop(permit);
            (service, status, fake.now())
        }));
    }
    let mut first_ok = HashMap::new();
    for task in tasks {
        let (service, status, at) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        first_ok.entry(service).or_insert(at);
    }
    first_ok
}

/// Types `/incident status` in `channel` `count` times, `every` apart, as people do while a
/// storm goes on; returns the interactions, to wait for their answers.
pub(crate) async fn status_commands(
    fake: &FakeDiscord,
    channel: u64,
    count: usize,
    every: Duration,
) -> Vec<InteractionHandle> {
    let mut handles = Vec::new();
    for _ in 0..count {
        handles.push(fake.slash(BOB, channel, &["incident", "status"], &[], Some("en-US")));
        tokio::time::sleep(every).await;
    }
    handles
}

/// Waits for each interaction's first answer; returns their acknowledgement latencies,
/// sorted, and their texts.
pub(crate) async fn answers(handles: &[InteractionHandle]) -> (Vec<Duration>, Vec<String>) {
    let mut acks = Vec::new();
    let mut texts = Vec::new();
    for handle in handles {
        let answer = handle.wait_followups(1, Duration::from_secs(30)).await;
        acks.push(
            answer
                .ack_latency()
                .expect("every interaction acknowledged"),
        );
        texts.push(answer.text());
    }
    acks.sort();
    (acks, texts)
}

/// Waits (bounded) until every service has its channel with a pinned card showing `firing`
/// alerts; returns channel id by service.
async fn all_cards_show(
    fake: &FakeDiscord,
    firing: usize,
    timeout: Duration,
) -> HashMap<String, u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut found = HashMap::new();
        for channel in fake.channels() {
            if !channel.name.starts_with("inc-") {
                continue;
            }
            let messages = fake.messages(channel.id);
            // Done means the card shows the count and the mentions followed it.
            if let Some(card) = messages.iter().find(|m| m.pinned)
                && card.text().contains(&format!("{firing} firing"))
                && messages.len() >= 2
            {
                found.insert(channel.name.clone(), channel.id);
            }
        }
        if found.len() == SERVICES {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {SERVICES} cards show {firing} firing; channels: {:?}; 429s {}; violations {:?}",
            found.len(),
            fake.channels()
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
            fake.rate_limited_count(),
            fake.violations()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each incident channel exactly once, each with exactly its card and its mentions, in
/// that order: nothing lost, nothing doubled.
pub(crate) fn assert_each_room_once(fake: &FakeDiscord) {
    let channels: Vec<_> = fake
        .channels()
        .into_iter()
        .filter(|c| c.name.starts_with("inc-"))
        .collect();
    assert_eq!(
        channels.len(),
        SERVICES,
        "{:?}",
        channels.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    let mut prefixes: Vec<String> = channels.iter().map(|c| c.name[..16].to_owned()).collect();
    prefixes.sort();
    prefixes.dedup();
    assert_eq!(
        prefixes.len(),
        SERVICES,
        "a duplicate channel for one incident"
    );
    for channel in channels {
        let messages = fake.messages(channel.id);
        assert_eq!(
            messages.len(),
            2,
            "{}: {:?}",
            channel.name,
            messages.iter().map(|m| m.text()).collect::<Vec<_>>()
        );
        assert!(messages[0].pinned, "{}: the card comes first", channel.name);
        assert!(
            messages[1].content.contains("needs you"),
            "{}: then the mentions",
            channel.name
        );
    }
}

async fn total_alert_entries(bot: &TestBot) -> usize {
    let mut total = 0;
    for incident in bot.incidents().await {
        let id = incident["id"].as_str().unwrap().to_owned();
        total += bot
            .timeline(&id)
            .await
            .iter()
            .filter(|e| e["kind"] == "alert_received")
            .count();
    }
    total
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_2000_alerts_over_20_services_is_20_rooms_with_edited_cards() {
    let (fake, bot, _) = war_room().await;
    let started = fake.now();
    // The first alert of every service opens its incident; the other 1,980 then arrive while
    // people type commands, which must still be answered within Discord's 3 s.
    let first = storm(&bot, &fake, 0..SERVICES).await;
    let rooms = all_cards_show(&fake, 1, Duration::from_secs(120)).await;
    let probe_channel = *rooms.values().next().unwrap();
    let rest = storm(&bot, &fake, SERVICES..ALERTS);
    let probes = status_commands(&fake, probe_channel, 10, Duration::from_millis(150));
    let (_, handles) = tokio::join!(rest, probes);
    let rooms = all_cards_show(&fake, ALERTS / SERVICES, Duration::from_secs(180)).await;
    let delivered = fake.now();
    assert_eq!(rooms.len(), SERVICES);
    assert_each_room_once(&fake);
    assert_eq!(
        total_alert_entries(&bot).await,
        ALERTS,
        "every alert is on a timeline"
    );

    let (acks, texts) = answers(&handles).await;
    for text in texts {
        assert!(text.contains("firing"), "{text}");
    }
    assert!(
        *acks.last().unwrap() < Duration::from_secs(3),
        "an interaction missed Discord's 3 s: {acks:?}"
    );

    // Time from an incident's first 2xx to its card, on the fake's clock.
    let calls = fake.calls();
    let mut to_card = Vec::new();
    for (service, ok_at) in &first {
        let channel = fake
            .channels()
            .into_iter()
            .find(|c| c.name.contains(service.as_str()))
            .unwrap();
        let posted = calls
            .iter()
            .find(|c| {
                c.route == "POST /channels/{id}/messages"
                    && c.status == 200
                    && c.path.contains(&channel.id.to_string())
            })
            .unwrap()
            .at;
        to_card.push(posted.saturating_sub(*ok_at));
    }
    to_card.sort();
    let edits: u32 = rooms.values().map(|id| fake.messages(*id)[0].edits).sum();
    println!(
        "DISCORD STORM: {ALERTS} alerts / {SERVICES} services in {:.1} s; API calls {} ({:.1} per incident), \
         429s {}, card edits {edits} ({:.1} per card); 2xx->card p50 {:?} p99 {:?}; interaction ack p50 {:?} p99 {:?}",
        (delivered - started).as_secs_f64(),
        calls.len(),
        calls.len() as f64 / SERVICES as f64,
        fake.rate_limited_count(),
        edits as f64 / SERVICES as f64,
        percentile(&to_card, 0.5),
        percentile(&to_card, 0.99),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
    );
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_down_for_two_minutes_mid_storm_loses_and_doubles_nothing() {
    let (fake, bot, _) = war_room().await;
    storm(&bot, &fake, 0..200).await;
    // Down while the outbox is creating rooms: answers 503 for two minutes.
    fake.fail_rest(FailMode::Status503, Duration::from_secs(120));
    storm(&bot, &fake, 200..ALERTS).await;
    let rooms = all_cards_show(&fake, ALERTS / SERVICES, Duration::from_secs(300)).await;
    assert_eq!(rooms.len(), SERVICES);
    assert_each_room_once(&fake);
    assert_eq!(total_alert_entries(&bot).await, ALERTS);
    let failed = fake.calls().iter().filter(|c| c.status == 503).count();
    println!(
        "DISCORD OUTAGE: {failed} calls answered 503 during the outage; {} calls in all",
        fake.calls().len()
    );
    assert!(failed > 0, "the outage never touched warroom's delivery");
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_storm_resumes_without_duplicates() {
    let (fake, mut bot, _) = war_room().await;
    storm(&bot, &fake, 0..ALERTS).await;
    wait_until("a few rooms", || async {
        fake.channels()
            .iter()
            .filter(|c| c.name.starts_with("inc-"))
            .count()
            >= 3
    })
    .await;
    bot.restart().await;
    assert!(fake.wait_ready(Duration::from_secs(20)).await);
    let rooms = all_cards_show(&fake, ALERTS / SERVICES, Duration::from_secs(180)).await;
    assert_eq!(rooms.len(), SERVICES);
    assert_each_room_once(&fake);
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_work_again_after_the_gateway_drops() {
    let (fake, bot, _) = war_room().await;
    let channel = incident_channel(&fake, &bot).await;
    let connections = fake.gateway_connections();
    fake.drop_gateway();
    wait_until("a new gateway connection", || async {
        fake.gateway_connections() > connections
    })
    .await;
    let ack = fake.slash(ALICE, channel.id, &["incident", "ack"], &[], Some("en-US"));
    let answer = ack.wait_followups(1, Duration::from_secs(20)).await;
    assert_eq!(answer.text(), "INC-20261121-001 is now acknowledged.");
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_discord_times_out_and_the_outbox_retries() {
    let (fake, bot, _) = war_room().await;
    // Every REST call hangs for 20 s: longer than warroom's 15 s request timeout.
    fake.fail_rest(FailMode::Hang, Duration::from_secs(20));
    bot.alert_fixture("alertmanager/payload-am-direct-firing.json")
        .await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(channel) = fake.channel_by_name("inc-20261121-001")
            && fake.messages(channel.id).len() >= 2
        {
            let messages = fake.messages(channel.id);
            assert_eq!(messages.len(), 2, "no duplicates after the hang");
            assert!(messages[0].pinned);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing delivered after the hang ended"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let channels = fake
        .channels()
        .into_iter()
        .filter(|c| c.name.starts_with("inc-"))
        .count();
    assert_eq!(channels, 1);
    fake.assert_no_violations();
}
