//! Rooms that do not wait on each other: each incident room is its own outbox lane, pacing
//! follows Discord's 429 answers, and a storm against realistic buckets draws at most one 429
//! per bucket. The storm figures are an ignored test (run it by name, see README).

use std::time::{Duration, Instant};

use crate::discord::{ALICE, wait_until, war_room_on};
use crate::discord_storm::{alerts, answers, assert_each_room_once, status_commands};
use crate::support::am_alert;
use crate::support::fake_discord::{Call, FailMode, FakeConfig, FakeDiscord, RouteLimit};

/// The channel whose name carries `service`.
fn channel_of(fake: &FakeDiscord, service: &str) -> Option<u64> {
    fake.channels()
        .into_iter()
        .find(|c| c.name.starts_with("inc-") && c.name.contains(service))
        .map(|c| c.id)
}

/// The answered (2xx) message posts into `channel`, in the order the fake saw them.
fn posts_into(calls: &[Call], channel: u64) -> Vec<Duration> {
    calls
        .iter()
        .filter(|c| {
            c.route == "POST /channels/{id}/messages"
                && c.status == 200
                && c.path.contains(&format!("/channels/{channel}/"))
        })
        .map(|c| c.at)
        .collect()
}

/// Waits (bounded) until `count` services each have a room holding a pinned card and its
/// mentions.
async fn rooms_complete(fake: &FakeDiscord, services: &[String]) {
    wait_until("every room with its card and mentions", || async {
        services.iter().all(|service| {
            channel_of(fake, service).is_some_and(|id| {
                let messages = fake.messages(id);
                messages.len() >= 2 && messages[0].pinned
            })
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_room_does_not_delay_another_rooms_card() {
    // One message per channel per 8 s: the first room's mentions, right after its card, are
    // refused, and that room must wait while the second room goes ahead.
    let mut cfg = FakeConfig::default();
    for limit in &mut cfg.route_limits {
        if limit.route == "POST /channels/{id}/messages" {
            limit.limit = 1;
            limit.window = Duration::from_secs(8);
        }
    }
    let (fake, bot, _) =
        war_room_on(FakeDiscord::start_with(cfg).await, |_, _| String::new()).await;
    bot.alert(
        "alertmanager",
        &am_alert("slow-1", "slow", "critical", "firing"),
    )
    .await;
    wait_until("the slow room's card", || async {
        channel_of(&fake, "slow").is_some_and(|id| !fake.messages(id).is_empty())
    })
    .await;
    bot.alert(
        "alertmanager",
        &am_alert("fast-1", "fast", "critical", "firing"),
    )
    .await;
    let services = ["slow".to_owned(), "fast".to_owned()];
    rooms_complete(&fake, &services).await;

    let calls = fake.calls();
    let slow = posts_into(&calls, channel_of(&fake, "slow").unwrap());
    let fast = posts_into(&calls, channel_of(&fake, "fast").unwrap());
    assert_eq!(slow.len(), 2, "the slow room: its card, then its mentions");
    assert!(
        fast[0] < slow[1],
        "the second room's card waited for the first room's rate limit: fast card at {:?}, slow mentions at {:?}",
        fast[0],
        slow[1]
    );
    // Order inside each room holds: the card, then the mentions.
    for service in &services {
        let messages = fake.messages(channel_of(&fake, service).unwrap());
        assert!(messages[0].pinned, "{service}: the card comes first");
        assert!(
            messages[1].content.contains("needs you"),
            "{service}: then the mentions"
        );
    }
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_allowing_5_channel_creations_per_second_sees_at_most_one_429_per_bucket() {
    let (fake, bot, _) = war_room_on(
        FakeDiscord::start_with(FakeConfig::realistic_buckets()).await,
        |_, _| String::new(),
    )
    .await;
    let services: Vec<String> = (0..20).map(|n| format!("svc-{n:02}")).collect();
    let batch = (0..200)
        .map(|n| (format!("small-{n:04}"), services[n % 20].clone()))
        .collect();
    alerts(&bot, &fake, batch).await;
    rooms_complete(&fake, &services).await;
    assert_each_room_once(&fake);
    let refused = fake.rate_limited_by_bucket();
    assert!(
        refused.values().all(|count| *count <= 1),
        "more than one 429 in a bucket: {refused:?}"
    );
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_keeps_refreshing_while_other_rooms_wait_to_be_created() {
    // Fifteen rooms to create, at most 5 per second however the pacing starts: the first
    // room's card must follow its alerts while the other rooms are still being created.
    let mut cfg = FakeConfig::default();
    for limit in &mut cfg.route_limits {
        if limit.route == "POST /guilds/{guild}/channels" {
            limit.limit = 20;
        }
    }
    let (fake, bot, _) =
        war_room_on(FakeDiscord::start_with(cfg).await, |_, _| String::new()).await;
    let services: Vec<String> = (0..15).map(|n| format!("svc-{n:02}")).collect();
    let batch = services
        .iter()
        .map(|service| (format!("first-{service}"), service.clone()))
        .collect();
    alerts(&bot, &fake, batch).await;
    rooms_complete(&fake, &services[..1]).await;
    alerts(
        &bot,
        &fake,
        vec![("second-svc-00".to_owned(), services[0].clone())],
    )
    .await;
    let first = channel_of(&fake, &services[0]).unwrap();
    wait_until("the first card showing both alerts", || async {
        fake.messages(first)[0].text().contains("2 firing")
    })
    .await;
    // When the fake took the edit, not when this test noticed it: on a loaded machine the
    // polling alone can lag by a few hundred milliseconds.
    let card_path = format!("/channels/{first}/messages/");
    let refreshed_at = fake
        .calls()
        .iter()
        .filter(|c| {
            c.route == "PATCH /channels/{id}/messages/{mid}"
                && c.path.starts_with(&card_path)
                && (200..300).contains(&c.status)
        })
        .map(|c| c.at)
        .max()
        .unwrap_or_else(|| fake.now());
    rooms_complete(&fake, &services).await;
    let last_room = fake
        .calls()
        .iter()
        .filter(|c| c.route == "POST /guilds/{guild}/channels" && (200..300).contains(&c.status))
        .map(|c| c.at)
        .max()
        .unwrap();
    assert!(
        refreshed_at < last_room,
        "the card waited for the other rooms: refreshed at {refreshed_at:?}, last room at {last_room:?}"
    );
    assert_each_room_once_of(&fake, services.len());
    fake.assert_no_violations();
}

/// Each incident channel once, with its card first and its mentions after.
fn assert_each_room_once_of(fake: &FakeDiscord, rooms: usize) {
    let channels: Vec<_> = fake
        .channels()
        .into_iter()
        .filter(|c| c.name.starts_with("inc-"))
        .collect();
    assert_eq!(channels.len(), rooms);
    for channel in channels {
        let messages = fake.messages(channel.id);
        assert_eq!(messages.len(), 2, "{}", channel.name);
        assert!(messages[0].pinned, "{}: the card comes first", channel.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_429_the_room_waits_what_discord_says_and_loses_nothing() {
    // Discord allows fewer messages than warroom's own window assumes (1 per 2 s); its
    // answers say so, and warroom must listen instead of retrying on its own schedule.
    let cfg = FakeConfig {
        route_limits: vec![RouteLimit {
            route: "POST /channels/{id}/messages".into(),
            limit: 1,
            window: Duration::from_secs(2),
        }],
        ..FakeConfig::default()
    };
    let (fake, bot, _) =
        war_room_on(FakeDiscord::start_with(cfg).await, |_, _| String::new()).await;
    bot.alert(
        "alertmanager",
        &am_alert("notes-1", "notes", "critical", "firing"),
    )
    .await;
    let services = ["notes".to_owned()];
    rooms_complete(&fake, &services).await;
    let channel = channel_of(&fake, "notes").unwrap();
    // Eight notices in a row, each a message in the room: ten messages in all.
    let verbs = [
        "ack", "mitigate", "resolve", "reopen", "ack", "mitigate", "resolve", "close",
    ];
    for verb in verbs {
        fake.slash(ALICE, channel, &["incident", verb], &[], Some("en-US"))
            .wait_followups(1, Duration::from_secs(20))
            .await;
    }
    wait_until("every notice", || async {
        fake.messages(channel).len() >= 2 + verbs.len()
    })
    .await;
    let calls = fake.calls();
    let refused: Vec<&Call> = calls
        .iter()
        .filter(|c| c.status == 429 && c.path.contains(&format!("/channels/{channel}/")))
        .collect();
    let posts = posts_into(&calls, channel);
    println!(
        "LANES PACING: {} messages under a 1-per-2-s limit took {:.1} s from the first to the last; {} refused",
        posts.len(),
        (posts[posts.len() - 1] - posts[0]).as_secs_f64(),
        refused.len()
    );
    // Warroom learns the bucket from Discord's answers (what remains, when it resets, and
    // after a refusal how long to wait), so at most one post is ever refused.
    assert!(refused.len() <= 1, "refused posts: {refused:?}");
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_chat_pauses_every_room_and_one_room_probes_it() {
    let (fake, bot, _) = war_room_on(FakeDiscord::start().await, |_, _| String::new()).await;
    fake.fail_rest(FailMode::Status401, Duration::from_secs(8));
    let services: Vec<String> = (0..5).map(|n| format!("svc-{n:02}")).collect();
    let batch = services
        .iter()
        .map(|service| (format!("blocked-{service}"), service.clone()))
        .collect();
    alerts(&bot, &fake, batch).await;
    rooms_complete(&fake, &services).await;
    let refused: Vec<Duration> = fake
        .calls()
        .iter()
        .filter(|c| c.status == 401)
        .map(|c| c.at)
        .collect();
    // The rooms in flight when the chat began refusing are refused together; after that one
    // room at a time probes, on a backoff that starts at 1 s and doubles: never a burst.
    let first = refused[0];
    let probes: Vec<Duration> = refused
        .iter()
        .copied()
        .filter(|at| *at > first + Duration::from_millis(500))
        .collect();
    assert!(!probes.is_empty(), "never probed: {refused:?}");
    for pair in probes.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(900),
            "probes in parallel: {refused:?}"
        );
    }
    // The first probe comes after the first backoff step, not pushed out by every room
    // that reported the refusal (1 s, not 1 + 2 + 4 + 8 + 16 s).
    assert!(
        probes[0] - first < Duration::from_millis(2500),
        "the first probe waited {:?}: {refused:?}",
        probes[0] - first
    );
    assert_each_room_once_of(&fake, services.len());
    fake.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_refuses_warroom_waits_alone_and_gets_everything_once_let_in() {
    let (fake, bot, _) = war_room_on(FakeDiscord::start().await, |_, _| String::new()).await;
    bot.alert(
        "alertmanager",
        &am_alert("locked-1", "locked", "critical", "firing"),
    )
    .await;
    rooms_complete(&fake, &["locked".to_owned()]).await;
    let locked = channel_of(&fake, "locked").unwrap();
    let before = fake.messages(locked).len();
    // Someone changes the channel's permission overwrites: Discord answers 403 Missing
    // Access there, and only there. Two notices for that room are stored before the second
    // incident, so a chat-wide pause would keep probing them and never reach the other room.
    fake.forbid_channel(locked);
    for verb in ["ack", "mitigate"] {
        fake.slash(ALICE, locked, &["incident", verb], &[], Some("en-US"))
            .wait_followups(1, Duration::from_secs(20))
            .await;
    }
    wait_until("the locked room to be refused", || async {
        fake.calls()
            .iter()
            .any(|c| c.status == 403 && c.path.contains(&format!("/channels/{locked}/")))
    })
    .await;
    bot.alert(
        "alertmanager",
        &am_alert("open-1", "open", "critical", "firing"),
    )
    .await;
    rooms_complete(&fake, &["open".to_owned()]).await;
    let (code, ready) = bot.get("/readyz").await;
    assert_eq!(code, reqwest::StatusCode::OK, "{ready}");
    assert_eq!(
        fake.messages(locked).len(),
        before,
        "the locked room got posts"
    );
    let (_, metrics) = bot.get_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("warroom_chat_room_forbidden_total ")),
        "no room-forbidden count"
    );

    fake.allow_channel(locked);
    wait_until("the locked room's notices once let in", || async {
        fake.messages(locked).len() >= before + 2
    })
    .await;
    let notices: Vec<String> = fake.messages(locked)[before..]
        .iter()
        .map(|m| m.text())
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("acknowledged"), "{notices:?}");
    assert!(notices[1].contains("mitigated"), "{notices:?}");
    // The card was refreshed too, once the room let warroom in.
    wait_until("the locked room's card refreshed", || async {
        fake.messages(locked)[0].text().contains("mitigated")
    })
    .await;
    fake.assert_no_violations();
}

/// The storm figures of issue 7 against realistic buckets: 2,000 alerts over 20 services,
/// commands typed meanwhile. Prints figures, asserts only correctness. Run with
/// `cargo test --test it storm_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by name"]
async fn storm_figures_with_realistic_buckets() {
    let (fake, bot, _) = war_room_on(
        FakeDiscord::start_with(FakeConfig::realistic_buckets()).await,
        |_, _| String::new(),
    )
    .await;
    let services: Vec<String> = (0..20).map(|n| format!("svc-{n:02}")).collect();
    // One room exists before the storm, so commands have somewhere to be typed and a card
    // that must keep refreshing while the other 19 rooms are created.
    let mut first = alerts(
        &bot,
        &fake,
        vec![("storm-00000".to_owned(), services[0].clone())],
    )
    .await;
    rooms_complete(&fake, &services[..1]).await;
    let probe_channel = channel_of(&fake, &services[0]).unwrap();
    let storm_started = fake.now();
    let batch = (1..2000)
        .map(|n| (format!("storm-{n:05}"), services[n % 20].clone()))
        .collect();
    let probes = status_commands(&fake, probe_channel, 30, Duration::from_millis(100));
    let (storm_first, handles) = tokio::join!(alerts(&bot, &fake, batch), probes);
    for (service, at) in storm_first {
        first.entry(service).or_insert(at);
    }
    rooms_complete(&fake, &services).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    while fake
        .messages(probe_channel)
        .first()
        .is_none_or(|card| !card.text().contains("100 firing"))
    {
        assert!(
            Instant::now() < deadline,
            "the first card never showed 100 firing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_each_room_once(&fake);

    let calls = fake.calls();
    let mut to_card = Vec::new();
    for (service, ok_at) in &first {
        let channel = channel_of(&fake, service).unwrap();
        to_card.push(posts_into(&calls, channel)[0].saturating_sub(*ok_at));
    }
    to_card.sort();
    let last_room = calls
        .iter()
        .filter(|c| c.route == "POST /guilds/{guild}/channels" && (200..300).contains(&c.status))
        .map(|c| c.at)
        .max()
        .unwrap();
    let edits_while_creating = calls
        .iter()
        .filter(|c| {
            c.route == "PATCH /channels/{id}/messages/{mid}"
                && c.status == 200
                && c.at >= storm_started
                && c.at < last_room
        })
        .count();
    let (acks, _) = answers(&handles).await;
    let pct =
        |sorted: &[Duration], p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    println!(
        "LANES STORM: 2000 alerts / 20 services; 2xx->card p50 {:?} p99 {:?} max {:?}; last room created {:.2} s after the storm began; \
         card edits while rooms were still being created {edits_while_creating}; 429s per bucket {:?}; interaction ack p50 {:?} p99 {:?}",
        pct(&to_card, 0.5),
        pct(&to_card, 0.99),
        to_card.last().unwrap(),
        last_room.saturating_sub(storm_started).as_secs_f64(),
        fake.rate_limited_by_bucket(),
        pct(&acks, 0.5),
        pct(&acks, 0.99),
    );
    fake.assert_no_violations();
}
