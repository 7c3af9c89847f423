//! The two-person rule end to end through the fake Discord, on the real config path: the
//! shipped catalog (`[actions] commands_dir`), a `[[services]]` entry, `[kubernetes] url`
//! pointing at the fake Kubernetes API server, and people whose roles come from
//! `[discord.roles]`. A responder's `/scale` slash interaction posts an approval message; a
//! duty manager's Approve button and another's ✅ reaction (a gateway MESSAGE_REACTION_ADD)
//! send exactly one scale PATCH; the message shows the result and the timeline and the
//! actions API tell the whole story. And every way a vote must not make it run.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::discord::{
    ALICE, BOB, DUTY_ROLE, MALLORY, WANG, guild_config, incident_channel, wait_until,
};
use crate::support::fake_discord::{FakeDiscord, FakeMessage, InteractionAnswer};
use crate::support::fake_kube::{FakeKube, KubeCall, KubeRequest};
use crate::support::{TestBot, am_alert};

/// The second duty manager (ALICE, on call as commander, is the first).
const DORA: u64 = 930_000_000_000_000_004;
const INCIDENT: &str = "INC-20261121-001";
/// A bound for a busy machine, not a speed requirement.
const WAIT: Duration = Duration::from_secs(20);

/// warroom on the fake Discord, with the shipped catalog, `services` configured (each a
/// deployment of 2 replicas in namespace `shop` on the fake Kubernetes API server), and an
/// incident room open for the Alertmanager fixture's alert.
struct ApprovalRoom {
    fake: FakeDiscord,
    kube: FakeKube,
    bot: TestBot,
    channel: u64,
}

impl ApprovalRoom {
    async fn open(services: &[&str]) -> ApprovalRoom {
        let kube = FakeKube::start().await;
        let fake = FakeDiscord::start().await;
        let (discord, _category) = guild_config(&fake, |fake, _| {
            fake.add_member(DORA, "dora", &[DUTY_ROLE], "en-US");
            String::new()
        });
        let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/commands");
        let mut config = format!(
            "{discord}\n[actions]\ncommands_dir = \"{catalog}\"\n[kubernetes]\nurl = \"{}\"\n",
            kube.url()
        );
        for service in services {
            kube.deployment("shop", service, 2);
            config.push_str(&format!(
                "[[services]]\nname = \"{service}\"\nnamespace = \"shop\"\ndeployment = \"{service}\"\n\
                 min_replicas = 2\nmax_replicas = 10\n"
            ));
        }
        let bot = TestBot::spawn_discord(&config).await;
        assert!(fake.wait_ready(WAIT).await, "warroom never identified");
        wait_until("warroom ready", || async {
            bot.get("/readyz").await.1["chat"] == json!(true)
        })
        .await;
        let channel = incident_channel(&fake, &bot).await.id;
        ApprovalRoom {
            fake,
            kube,
            bot,
            channel,
        }
    }

    /// `user` types `/scale <service> <replicas>`; what warroom answered them.
    async fn scale(&self, user: u64, service: &str, replicas: i64) -> InteractionAnswer {
        self.fake
            .slash(
                user,
                self.channel,
                &["scale"],
                &[("service", json!(service)), ("replicas", json!(replicas))],
                None,
            )
            .wait_answer(WAIT)
            .await
    }

    /// The room message of request `request`, found by its Approve button once posted.
    async fn approval_message(&self, request: &str) -> FakeMessage {
        let approve = approve_id(request);
        let find = || {
            self.fake
                .messages(self.channel)
                .into_iter()
                .find(|m| m.custom_ids().contains(&approve))
        };
        wait_until(&format!("{request}'s approval message"), || async {
            find().is_some()
        })
        .await;
        find().expect("the approval message")
    }

    /// `user` presses `custom_id` on message `message`; what warroom answered them (once the
    /// vote is durable: the follow-up comes after the engine's answer).
    async fn press(&self, user: u64, message: u64, custom_id: &str) -> InteractionAnswer {
        let answer = self
            .fake
            .click(user, self.channel, message, custom_id, None)
            .wait_answer(WAIT)
            .await;
        assert!(answer.acked(), "{custom_id} by {user}: {answer:?}");
        answer
    }

    /// The incident's timeline entries about actions, in order.
    async fn action_entries(&self) -> Vec<Value> {
        self.bot
            .timeline(INCIDENT)
            .await
            .into_iter()
            .filter(|entry| {
                entry["kind"]
                    .as_str()
                    .is_some_and(|kind| kind.starts_with("action_"))
            })
            .collect()
    }

    /// Waits until the timeline holds `count` action entries (a reaction is answered to
    /// nobody, so the timeline is how a test knows it was taken in).
    async fn wait_for_action_entries(&self, count: usize) -> Vec<Value> {
        wait_until(&format!("{count} action entries"), || async {
            self.action_entries().await.len() >= count
        })
        .await;
        self.action_entries().await
    }

    async fn wait_for_kind(&self, kind: &str) -> Vec<Value> {
        wait_until(&format!("{kind} on the timeline"), || async {
            self.action_entries()
                .await
                .iter()
                .any(|entry| entry["kind"] == kind)
        })
        .await;
        self.action_entries().await
    }

    /// Request `request` as the actions API shows it.
    async fn request(&self, request: &str) -> Value {
        let (status, body) = self
            .bot
            .get(&format!("/v1/incidents/{INCIDENT}/actions/{request}"))
            .await;
        assert!(status.is_success(), "{request}: {status} {body}");
        body
    }

    fn scale_patches(&self) -> Vec<KubeRequest> {
        self.kube
            .requests()
            .into_iter()
            .filter(|request| request.call == KubeCall::PatchScale)
            .collect()
    }
}

fn approve_id(request: &str) -> String {
    format!("apr:approve:{INCIDENT}:{request}")
}

fn reject_id(request: &str) -> String {
    format!("apr:reject:{INCIDENT}:{request}")
}

fn actor(user: u64) -> String {
    format!("user:{user}")
}

fn kinds(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap_or_default())
        .collect()
}

/// The votes on the timeline as (actor, approve, counted, reason).
fn votes(entries: &[Value]) -> Vec<(String, bool, bool, Option<String>)> {
    entries
        .iter()
        .filter(|entry| entry["kind"] == "action_vote")
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap_or_default().to_owned(),
                entry["approve"] == json!(true),
                entry["counted"] == json!(true),
                entry["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_button_and_a_check_mark_from_two_duty_managers_scale_the_deployment_once() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    let asked = room.scale(BOB, "checkout-api", 3).await;
    assert!(asked.acked(), "{asked:?}");
    assert!(asked.text().contains("A1"), "{}", asked.text());

    let message = room.approval_message("A1").await;
    assert_eq!(message.custom_ids(), [approve_id("A1"), reject_id("A1")]);
    let text = message.text();
    for shown in [
        "A1",
        "scale replicas:3 service:checkout-api",
        "Requested by bob",
        "risk: high",
        "Approvals: 0 of 2",
        "Expires",
    ] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
    assert!(message.pings.is_empty(), "{:?}", message.pings);
    let mentions = message
        .allowed_mentions
        .clone()
        .expect("allowed_mentions sent");
    for key in ["parse", "users", "roles"] {
        assert!(
            mentions[key].as_array().is_none_or(Vec::is_empty),
            "allowed_mentions names nobody: {mentions}"
        );
    }

    let first = room.press(ALICE, message.id, &approve_id("A1")).await;
    assert!(first.ephemeral(), "{first:?}");
    room.wait_for_action_entries(2).await;
    assert!(room.scale_patches().is_empty(), "one approval runs nothing");
    room.fake.react(DORA, room.channel, message.id, "✅");

    wait_until("the scale PATCH", || async {
        !room.scale_patches().is_empty()
    })
    .await;
    let entries = room.wait_for_kind("action_finished").await;
    let patches = room.scale_patches();
    assert_eq!(patches.len(), 1, "exactly one scale call: {patches:#?}");
    let patch = &patches[0];
    assert_eq!(
        (patch.namespace.as_str(), patch.name.as_str()),
        ("shop", "checkout-api")
    );
    assert_eq!(patch.body.as_ref().unwrap()["spec"]["replicas"], 3);
    assert_eq!(room.kube.get("shop", "checkout-api").unwrap().replicas, 3);

    assert_eq!(
        kinds(&entries),
        [
            "action_requested",
            "action_vote",
            "action_vote",
            "action_started",
            "action_finished"
        ]
    );
    assert!(
        entries.iter().all(|entry| entry["request"] == "A1"),
        "{entries:#?}"
    );
    assert_eq!(entries[0]["actor"], actor(BOB));
    assert_eq!(entries[0]["command"], "scale");
    assert_eq!(
        entries[0]["params"],
        json!({"service": "checkout-api", "replicas": "3"})
    );
    assert_eq!(
        votes(&entries),
        [
            (actor(ALICE), true, true, None),
            (actor(DORA), true, true, None)
        ]
    );
    assert_eq!(entries[2]["approvals"], 2);
    assert_eq!(entries[4]["status"], "succeeded");

    // The approval message is edited in place to show the result, without buttons.
    wait_until("the result on the approval message", || async {
        room.fake
            .message(room.channel, message.id)
            .is_some_and(|m| m.custom_ids().is_empty() && m.text().contains("from 2 to 3"))
    })
    .await;
    let edited = room.fake.message(room.channel, message.id).unwrap();
    let result = edited.text();
    assert!(result.contains("Approved by: alice, dora"), "{result}");
    assert!(result.contains("succeeded"), "{result}");
    assert!(edited.pings.is_empty(), "{:?}", edited.pings);

    let request = room.request("A1").await;
    assert_eq!(request["state"], "succeeded", "{request:#}");
    assert_eq!(request["requester"], BOB.to_string());
    let voters: Vec<(&str, &str, bool)> = request["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vote| {
            (
                vote["user"].as_str().unwrap(),
                vote["via"].as_str().unwrap(),
                vote["approve"] == json!(true),
            )
        })
        .collect();
    assert_eq!(
        voters,
        [
            (ALICE.to_string().as_str(), "button", true),
            (DORA.to_string().as_str(), "reaction", true)
        ]
    );
    assert_eq!(request["outcome"]["status"], "succeeded");
    assert_eq!(request["outcome"]["scale"], json!({"from": 2, "to": 3}));

    // Nothing more reaches Kubernetes after it ran, whoever presses or reacts.
    room.fake.react(ALICE, room.channel, message.id, "✅");
    room.press(DORA, message.id, &approve_id("A1")).await;
    room.wait_for_action_entries(7).await;
    assert_eq!(room.scale_patches().len(), 1);
    room.fake.assert_no_violations();
}

#[tokio::test]
async fn the_requester_approving_their_own_request_is_ignored() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    // ALICE is a duty manager herself: her own approval never counts, by button or by ✅.
    assert!(room.scale(ALICE, "checkout-api", 3).await.acked());
    let message = room.approval_message("A1").await;
    room.press(ALICE, message.id, &approve_id("A1")).await;
    room.fake.react(ALICE, room.channel, message.id, "✅");
    room.wait_for_action_entries(3).await;
    room.press(DORA, message.id, &approve_id("A1")).await;
    let entries = room.wait_for_action_entries(4).await;
    assert_eq!(
        votes(&entries),
        [
            (actor(ALICE), true, false, Some("self_approval".into())),
            (actor(ALICE), true, false, Some("self_approval".into())),
            (actor(DORA), true, true, None),
        ]
    );
    assert!(!kinds(&entries).contains(&"action_started"), "{entries:#?}");
    let request = room.request("A1").await;
    assert_eq!(request["state"], "awaiting_approval");
    assert_eq!(request["approvals"], 1);
    assert!(room.scale_patches().is_empty());
}

#[tokio::test]
async fn one_duty_manager_pressing_twice_and_reacting_counts_once() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    assert!(room.scale(BOB, "checkout-api", 3).await.acked());
    let message = room.approval_message("A1").await;
    room.press(ALICE, message.id, &approve_id("A1")).await;
    room.press(ALICE, message.id, &approve_id("A1")).await;
    room.fake.react(ALICE, room.channel, message.id, "✅");
    let entries = room.wait_for_action_entries(4).await;
    assert_eq!(
        votes(&entries),
        [
            (actor(ALICE), true, true, None),
            (actor(ALICE), true, false, Some("already_voted".into())),
            (actor(ALICE), true, false, Some("already_voted".into())),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|entry| entry["kind"] != "action_vote" || entry["approvals"] == 1)
    );
    let request = room.request("A1").await;
    assert_eq!(request["state"], "awaiting_approval");
    assert_eq!(request["votes"].as_array().unwrap().len(), 1, "{request:#}");
    assert!(room.scale_patches().is_empty());
}

#[tokio::test]
async fn responders_and_strangers_approving_do_not_count() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    assert!(room.scale(BOB, "checkout-api", 3).await.acked());
    let message = room.approval_message("A1").await;
    // WANG is a responder: heard, recorded, not counted.
    room.press(WANG, message.id, &approve_id("A1")).await;
    room.wait_for_action_entries(2).await;
    // MALLORY holds no mapped role: her ✅ never reaches the engine (WANG's, sent after it
    // on the same gateway, is the mark that it was handled).
    room.fake.react(MALLORY, room.channel, message.id, "✅");
    room.fake.react(WANG, room.channel, message.id, "✅");
    room.wait_for_action_entries(3).await;
    // Her button is answered (to her alone) that she has no role, and goes no further.
    let stranger = room.press(MALLORY, message.id, &approve_id("A1")).await;
    assert!(stranger.ephemeral(), "{stranger:?}");
    assert!(
        stranger.text().contains("You have no warroom role"),
        "{}",
        stranger.text()
    );
    room.press(ALICE, message.id, &approve_id("A1")).await;
    room.wait_for_action_entries(4).await;
    let entries = room.action_entries().await;
    assert_eq!(entries.len(), 4, "{entries:#?}");
    assert_eq!(
        votes(&entries),
        [
            (actor(WANG), true, false, Some("not_approver".into())),
            (actor(WANG), true, false, Some("not_approver".into())),
            (actor(ALICE), true, true, None),
        ]
    );
    let request = room.request("A1").await;
    assert_eq!(request["state"], "awaiting_approval");
    assert_eq!(request["approvals"], 1);
    assert!(room.scale_patches().is_empty());
}

#[tokio::test]
async fn a_reject_from_a_duty_manager_cancels_and_nothing_reaches_kubernetes() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    assert!(room.scale(BOB, "checkout-api", 3).await.acked());
    assert!(room.scale(BOB, "checkout-api", 4).await.acked());
    let first = room.approval_message("A1").await;
    let second = room.approval_message("A2").await;
    // A1: one approval, then Reject by button from the other duty manager.
    room.press(ALICE, first.id, &approve_id("A1")).await;
    room.press(DORA, first.id, &reject_id("A1")).await;
    // A2: one approval, then ❌ from the other duty manager.
    room.press(DORA, second.id, &approve_id("A2")).await;
    room.fake.react(ALICE, room.channel, second.id, "❌");
    let entries = room.wait_for_action_entries(8).await;
    let cancelled: Vec<(&str, &str)> = entries
        .iter()
        .filter(|entry| entry["kind"] == "action_cancelled")
        .map(|entry| {
            (
                entry["request"].as_str().unwrap(),
                entry["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(cancelled, [("A1", "rejected"), ("A2", "rejected")]);
    for (request, message) in [("A1", first.id), ("A2", second.id)] {
        wait_until(&format!("{request}'s buttons gone"), || async {
            room.fake
                .message(room.channel, message)
                .is_some_and(|m| m.custom_ids().is_empty())
        })
        .await;
        assert_eq!(room.request(request).await["state"], "rejected");
    }
    // Approvals after the reject change nothing.
    room.fake.react(DORA, room.channel, first.id, "✅");
    room.wait_for_action_entries(9).await;
    let entries = room.action_entries().await;
    assert!(!kinds(&entries).contains(&"action_started"), "{entries:#?}");
    assert!(
        room.scale_patches().is_empty(),
        "{:#?}",
        room.kube.requests()
    );
}

/// Discord itself refuses a custom id its message does not carry; warroom checks too: an
/// approval button naming another incident's request, pressed in this incident's room,
/// never votes there (the fake, unlike Discord, lets the forged id through).
#[tokio::test]
async fn an_approval_button_naming_another_incident_never_votes_there() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    room.bot
        .alert(
            "alertmanager",
            &am_alert("fp-other", "payments-api", "critical", "firing"),
        )
        .await;
    wait_until("the second incident's channel", || async {
        room.fake.channel_by_name("inc-20261121-002").is_some()
    })
    .await;
    let other = room.fake.channel_by_name("inc-20261121-002").unwrap().id;
    let asked = room
        .fake
        .slash(
            BOB,
            other,
            &["scale"],
            &[("service", json!("checkout-api")), ("replicas", json!(4))],
            None,
        )
        .wait_answer(WAIT)
        .await;
    assert!(asked.text().contains("A1"), "{}", asked.text());
    assert!(room.scale(BOB, "checkout-api", 3).await.acked());
    let here = room.approval_message("A1").await;
    let forged = "apr:approve:INC-20261121-002:A1";
    for user in [ALICE, DORA] {
        let answer = room.press(user, here.id, forged).await;
        assert!(
            answer.text().contains("not one warroom knows"),
            "{}",
            answer.text()
        );
    }
    // Both duty managers' real votes in the other room still count and run it there.
    let there = room
        .fake
        .messages(other)
        .into_iter()
        .find(|m| m.custom_ids().contains(&forged.to_owned()))
        .expect("the other incident's approval message");
    room.fake
        .click(ALICE, other, there.id, forged, None)
        .wait_answer(WAIT)
        .await;
    let other_votes = || async {
        room.bot
            .timeline("INC-20261121-002")
            .await
            .into_iter()
            .filter(|entry| entry["kind"] == "action_vote")
            .collect::<Vec<_>>()
    };
    let votes_there = other_votes().await;
    assert_eq!(votes_there.len(), 1, "{votes_there:#?}");
    assert_eq!(votes_there[0]["actor"], actor(ALICE));
    assert!(
        !kinds(&room.action_entries().await).contains(&"action_vote"),
        "no vote reached this incident either"
    );
    assert!(room.scale_patches().is_empty());
}

#[tokio::test]
async fn scaling_above_the_services_max_replicas_is_refused_and_nothing_is_posted() {
    let room = ApprovalRoom::open(&["checkout-api"]).await;
    let answer = room.scale(BOB, "checkout-api", 99).await;
    let text = answer.text();
    assert!(
        text.contains("replicas: 99 is above checkout-api's max_replicas 10"),
        "{text}"
    );
    assert!(answer.ephemeral(), "{answer:?}");
    // A request that was accepted after it would be A1: the refusal took no number, posted
    // nothing and left no request.
    assert!(room.scale(BOB, "checkout-api", 3).await.acked());
    let message = room.approval_message("A1").await;
    // Only A1 has an approval message (the room's own messages — card, mentions — may still
    // be arriving on a loaded machine, so they are not counted).
    let messages = room.fake.messages(room.channel);
    let approvals: Vec<_> = messages
        .iter()
        .filter(|m| m.custom_ids().iter().any(|id| id.starts_with("apr:")))
        .collect();
    assert_eq!(approvals.len(), 1, "only A1's message was posted");
    assert_eq!(approvals[0].id, message.id);
    let entries = room.action_entries().await;
    assert_eq!(kinds(&entries), ["action_requested"], "{entries:#?}");
    assert_eq!(entries[0]["params"]["replicas"], "3");
    assert!(room.kube.requests().is_empty());
}

/// Measures, over ten requests (ten services: the shipped `scale` cools down per service for
/// 5 minutes), the time from the second duty manager's ✅ reaching the fake Discord's gateway
/// to the fake Kubernetes API server receiving the scale PATCH: the gateway dispatch,
/// serenity, the engine's durable commit of the vote and the queued job, the pool's wake,
/// the durable start mark, and the executor's GET and PATCH of the scale subresource.
/// Printed for the report, never asserted.
#[tokio::test]
#[ignore = "a measurement; run by name"]
async fn last_approval_to_kubernetes_patch_figures() {
    let services: Vec<String> = (1..=10).map(|n| format!("svc-{n:02}")).collect();
    let names: Vec<&str> = services.iter().map(String::as_str).collect();
    let room = ApprovalRoom::open(&names).await;
    let mut figures = Vec::new();
    for (n, service) in names.iter().enumerate() {
        let request = format!("A{}", n + 1);
        assert!(room.scale(BOB, service, 3).await.acked());
        let message = room.approval_message(&request).await;
        room.press(ALICE, message.id, &approve_id(&request)).await;
        let sent = Instant::now();
        room.fake.react(DORA, room.channel, message.id, "✅");
        let patched = || {
            room.scale_patches()
                .into_iter()
                .find(|patch| patch.name == *service)
        };
        for _ in 0..20_000 {
            if patched().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let patch = patched().unwrap_or_else(|| panic!("no scale PATCH for {service}"));
        figures.push(patch.at.duration_since(sent));
    }
    assert_eq!(room.scale_patches().len(), 10, "one PATCH per request");
    figures.sort();
    let at = |fraction: f64| figures[((figures.len() - 1) as f64 * fraction).round() as usize];
    eprintln!(
        "last approval (✅ via the gateway) to the Kubernetes scale PATCH over {} requests: min {:?}, median {:?}, p90 {:?}, max {:?}",
        figures.len(),
        figures[0],
        at(0.5),
        at(0.9),
        figures[figures.len() - 1]
    );
}
