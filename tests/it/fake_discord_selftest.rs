//! The fake Discord, checked with serenity itself: if serenity can talk to it and it refuses what
//! Discord refuses, the Discord adapter's tests against it mean something.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use serenity::all::{
    ButtonStyle, ChannelId, ChannelType, CommandDataOptionValue, CommandOptionType, Context,
    CreateActionRow, CreateButton, CreateChannel, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, EditChannel, EditMessage, EventHandler, GatewayIntents, GetMessages, Guild,
    GuildId, Interaction, Nonce, Reaction, Ready, ResumedEvent,
};
use serenity::model::event::GatewayEvent;
use tokio::sync::mpsc;

use crate::support::fake_discord::{
    CHANNEL_CATEGORY, CHANNEL_TEXT, FailMode, FakeConfig, FakeDiscord, GatewayDrop,
    INTENT_GUILD_MESSAGE_REACTIONS, INTENT_GUILDS, ViolationKind,
};

const ALICE: u64 = 222_000_000_000_000_001;
const RESPONDER_ROLE: u64 = 333_000_000_000_000_001;

/// The HTTP status and Discord error code of a failed serenity call.
fn discord_error(e: &serenity::Error) -> (u16, isize) {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            (r.status_code.as_u16(), r.error.code)
        }
        other => panic!("expected an HTTP error from the fake, got {other:?}"),
    }
}

fn incident_command() -> CreateCommand {
    CreateCommand::new("incident")
        .description("Manage incidents")
        .name_localized("zh-CN", "事件")
        .description_localized("zh-CN", "管理事件")
        .add_option(
            CreateCommandOption::new(CommandOptionType::SubCommand, "ack", "Acknowledge")
                .description_localized("zh-CN", "确认")
                .add_sub_option(
                    CreateCommandOption::new(CommandOptionType::String, "id", "Incident id")
                        .required(true),
                )
                .add_sub_option(CreateCommandOption::new(
                    CommandOptionType::User,
                    "who",
                    "Who acknowledges",
                )),
        )
}

#[tokio::test]
async fn fake_discord_rest_speaks_serenity() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let guild = GuildId::new(fake.guild_id());

    let gw = http.get_gateway().await.unwrap();
    assert_eq!(gw.url, fake.gateway_url());
    let me = http.get_current_user().await.unwrap();
    assert_eq!(me.id.get(), fake.bot_user_id());
    assert!(me.bot);
    let app = http.get_current_application_info().await.unwrap();
    assert_eq!(app.id.get(), fake.application_id());
    http.get_bot_gateway().await.unwrap();

    // Commands: bulk overwrite echoes ids; overwriting again keeps the id.
    let stored = guild
        .set_commands(&http, vec![incident_command()])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let again = guild
        .set_commands(&http, vec![incident_command()])
        .await
        .unwrap();
    assert_eq!(stored[0].id, again[0].id);
    let cmd = fake.command("incident").unwrap();
    assert_eq!(cmd["name_localizations"]["zh-CN"], "事件");
    assert_eq!(cmd["description_localizations"]["zh-CN"], "管理事件");
    assert_eq!(
        fake.count("PUT /applications/{app}/guilds/{guild}/commands"),
        2
    );

    // Channels: a category and a text channel under it.
    let category = guild
        .create_channel(
            &http,
            CreateChannel::new("Incidents").kind(ChannelType::Category),
        )
        .await
        .unwrap();
    let room = guild
        .create_channel(
            &http,
            CreateChannel::new("inc-20261121-003-payment-gateway-latency")
                .kind(ChannelType::Text)
                .category(category.id)
                .topic("Payment gateway latency · SEV2"),
        )
        .await
        .unwrap();
    assert_eq!(room.parent_id, Some(category.id));
    let listed = guild.channels(&http).await.unwrap();
    assert_eq!(listed.len(), 2);
    let stored_room = fake.channel_by_name("inc-20261121-003").unwrap();
    assert_eq!(stored_room.kind, CHANNEL_TEXT);
    assert_eq!(
        stored_room.topic.as_deref(),
        Some("Payment gateway latency · SEV2")
    );
    assert_eq!(
        fake.channel(category.id.get()).unwrap().kind,
        CHANNEL_CATEGORY
    );

    // A card: embed plus a button, pinned, then edited.
    let card = room
        .id
        .send_message(
            &http,
            CreateMessage::new()
                .content("<@&333000000000000001> new incident")
                .embed(
                    CreateEmbed::new()
                        .title("INC-003")
                        .description("Payment gateway latency"),
                )
                .components(vec![CreateActionRow::Buttons(vec![
                    CreateButton::new("inc:3:ack")
                        .label("Acknowledge")
                        .style(ButtonStyle::Primary),
                ])]),
        )
        .await
        .unwrap();
    assert_eq!(card.embeds[0].title.as_deref(), Some("INC-003"));
    assert_eq!(card.mention_roles.len(), 1);
    room.id.pin(&http, card.id).await.unwrap();
    room.id
        .edit_message(&http, card.id, EditMessage::new().content("acknowledged"))
        .await
        .unwrap();
    let stored_card = fake.message(room.id.get(), card.id.get()).unwrap();
    assert!(stored_card.pinned);
    assert_eq!(stored_card.edits, 1);
    assert_eq!(stored_card.content, "acknowledged");
    assert_eq!(stored_card.custom_ids(), vec!["inc:3:ack".to_string()]);
    assert!(stored_card.text().contains("Payment gateway latency"));
    let history = room
        .id
        .messages(&http, GetMessages::new().limit(10))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert!(history[0].pinned);

    // Nonce de-duplication: the same enforced nonce gives back the original message.
    let first = room
        .id
        .send_message(
            &http,
            CreateMessage::new()
                .content("once")
                .nonce(Nonce::String("alert-42".into()))
                .enforce_nonce(true),
        )
        .await
        .unwrap();
    let second = room
        .id
        .send_message(
            &http,
            CreateMessage::new()
                .content("once")
                .nonce(Nonce::String("alert-42".into()))
                .enforce_nonce(true),
        )
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(fake.messages(room.id.get()).len(), 2);

    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());

    // Content over 2000 characters: serenity would refuse it itself, so send the raw body.
    let err = http
        .send_message(room.id, vec![], &json!({"content": "x".repeat(2001)}))
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err), (400, 50035));
    let v = fake.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, ViolationKind::ContentTooLong);
    assert_eq!(v[0].route, "POST /channels/{id}/messages");

    // Renames: the third within ten minutes is refused.
    for name in ["renamed-1", "renamed-2"] {
        room.id
            .edit(&http, EditChannel::new().name(name))
            .await
            .unwrap();
    }
    let err = room
        .id
        .edit(&http, EditChannel::new().name("renamed-3"))
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err).0, 429);
    assert_eq!(fake.channel(room.id.get()).unwrap().renames, 2);
    assert!(
        fake.violations()
            .iter()
            .any(|v| v.kind == ViolationKind::RenameRateLimit)
    );
    // A topic change is not a rename.
    room.id
        .edit(&http, EditChannel::new().topic("still SEV2"))
        .await
        .unwrap();

    let calls = fake.calls();
    assert!(calls.iter().all(|c| c.at <= calls.last().unwrap().at));
    assert_eq!(fake.count("PUT /channels/{id}/pins/{mid}"), 1);
    assert_eq!(fake.count("PATCH /channels/{id}/messages/{mid}"), 1);
}

#[tokio::test]
async fn fake_discord_per_channel_rate_limit_answers_429_with_retry_after() {
    let fake = FakeDiscord::start().await;
    let room = fake.add_channel("storm", CHANNEL_TEXT, None);
    let client = reqwest::Client::new();
    let url = format!("{}/api/v10/channels/{room}/messages", fake.url());
    let mut statuses = Vec::new();
    let mut limited = None;
    for i in 0..6 {
        let resp = client
            .post(&url)
            .header("authorization", "Bot x")
            .json(&json!({"content": format!("alert {i}")}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        assert!(resp.headers().contains_key("x-ratelimit-bucket"));
        if resp.status() == 429 {
            limited = Some(resp);
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429]);
    let resp = limited.unwrap();
    let retry: f64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0.0 && retry <= 5.0, "retry-after {retry}");
    // Discord's full 429 shape: the bucket's limit, nothing remaining, when it resets, and
    // which scope refused.
    for header in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-reset-after",
        "x-ratelimit-scope",
    ] {
        assert!(resp.headers().contains_key(header), "{header} missing");
    }
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(resp.headers()["x-ratelimit-scope"], "user");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["global"], false);
    assert_eq!(body["message"], "You are being rate limited.");
    assert!(body["retry_after"].as_f64().unwrap() > 0.0);
    assert_eq!(fake.rate_limited_count(), 1);
    // Each 429 is recorded against the bucket that refused it.
    assert_eq!(
        fake.rate_limited_by_bucket(),
        std::collections::BTreeMap::from([(format!("POST /channels/{{id}}/messages {room}"), 1)])
    );
    assert_eq!(fake.messages(room).len(), 5);
    // An ordinary 429 is legal; the client must cope, so it is counted, not a violation.
    assert!(fake.violations().is_empty());
    // Another channel has its own bucket.
    let other = fake.add_channel("calm", CHANNEL_TEXT, None);
    let resp = client
        .post(format!("{}/api/v10/channels/{other}/messages", fake.url()))
        .json(&json!({"content": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn fake_discord_small_windows_and_caps() {
    let fake = FakeDiscord::start_with(FakeConfig {
        max_channels_per_category: 2,
        max_channels_per_guild: 4,
        global_limit: 1000,
        route_limits: vec![crate::support::fake_discord::RouteLimit {
            route: "POST /channels/{id}/messages".into(),
            limit: 2,
            window: Duration::from_millis(200),
        }],
        ..FakeConfig::default()
    })
    .await;
    let http = fake.http();
    let guild = GuildId::new(fake.guild_id());
    let category = guild
        .create_channel(
            &http,
            CreateChannel::new("incidents").kind(ChannelType::Category),
        )
        .await
        .unwrap();
    for n in ["a", "b"] {
        guild
            .create_channel(&http, CreateChannel::new(n).category(category.id))
            .await
            .unwrap();
    }
    let err = guild
        .create_channel(&http, CreateChannel::new("c").category(category.id))
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err), (400, 50035));
    assert!(
        fake.violations()
            .iter()
            .any(|v| v.kind == ViolationKind::CategoryFull)
    );

    // A name Discord would rewrite is accepted as Discord does, and reported.
    let odd = guild
        .create_channel(&http, CreateChannel::new("INC 7: Payment!"))
        .await
        .unwrap();
    assert_eq!(odd.name, "inc-7-payment");
    assert!(
        fake.violations()
            .iter()
            .any(|v| v.kind == ViolationKind::ChannelName)
    );
    let err = guild
        .create_channel(&http, CreateChannel::new("overflow"))
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err), (400, 30013));
    assert!(
        fake.violations()
            .iter()
            .any(|v| v.kind == ViolationKind::GuildFull)
    );

    // Embed and component limits.
    let room = odd.id;
    let err = http
        .send_message(
            room,
            vec![],
            &json!({"embeds": [{"title": "t", "description": "d".repeat(4097)}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err), (400, 50035));
    let long_id = "x".repeat(101);
    let err = http
        .send_message(
            room,
            vec![],
            &json!({"content": "c", "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "ok", "custom_id": long_id}
            ]}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(discord_error(&err), (400, 50035));
    let kinds: Vec<ViolationKind> = fake.violations().iter().map(|v| v.kind).collect();
    assert!(kinds.contains(&ViolationKind::EmbedLimit));
    assert!(kinds.contains(&ViolationKind::ComponentLimit));

    // A shrunken per-channel window refills after it passes. Refused requests count towards
    // the bucket as on Discord, so start from a fresh window.
    tokio::time::sleep(Duration::from_millis(250)).await;
    for _ in 0..2 {
        room.say(&http, "tick").await.unwrap();
    }
    // Discord's 429 body has no `code`, so serenity reports code -1; the status is what counts.
    assert_eq!(
        discord_error(&room.say(&http, "tock").await.unwrap_err()).0,
        429
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    room.say(&http, "tock").await.unwrap();
}

#[tokio::test]
async fn fake_discord_failure_injection() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    fake.fail_rest(FailMode::Status503, Duration::from_millis(300));
    let err = http.get_current_user().await.unwrap_err();
    assert_eq!(discord_error(&err).0, 503);
    // The gateway address stays available, or serenity would fall back to the real Discord.
    assert_eq!(http.get_gateway().await.unwrap().url, fake.gateway_url());
    tokio::time::sleep(Duration::from_millis(350)).await;
    http.get_current_user().await.unwrap();

    fake.fail_rest(FailMode::Status500, Duration::from_secs(60));
    assert_eq!(
        discord_error(&http.get_current_user().await.unwrap_err()).0,
        500
    );
    fake.heal_rest();
    http.get_current_user().await.unwrap();

    fake.fail_rest(FailMode::Hang, Duration::from_millis(400));
    let started = std::time::Instant::now();
    let err = http.get_current_user().await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(350));
    assert_eq!(discord_error(&err).0, 503);
    assert_eq!(fake.count("GET /users/@me"), 5);
}

#[derive(Debug)]
enum Seen {
    Ready,
    Resumed,
    GuildCreate {
        members: usize,
        roles: usize,
    },
    Command {
        sub: String,
        id: String,
        who: Option<u64>,
        locale: String,
        roles: Vec<u64>,
    },
    Click {
        custom_id: String,
    },
    Reaction {
        emoji: String,
        user: u64,
        roles: Vec<u64>,
    },
}

struct Recorder {
    tx: mpsc::UnboundedSender<Seen>,
}

#[serenity::async_trait]
impl EventHandler for Recorder {
    async fn ready(&self, _ctx: Context, _ready: Ready) {
        let _ = self.tx.send(Seen::Ready);
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        let _ = self.tx.send(Seen::Resumed);
    }

    async fn guild_create(&self, _ctx: Context, guild: Guild, _is_new: Option<bool>) {
        let _ = self.tx.send(Seen::GuildCreate {
            members: guild.members.len(),
            roles: guild.roles.len(),
        });
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => {
                let sub = cmd.data.options.first().cloned();
                let (sub_name, inner) = match sub {
                    Some(o) => match o.value {
                        CommandDataOptionValue::SubCommand(inner) => (o.name, inner),
                        _ => (String::new(), vec![]),
                    },
                    None => (String::new(), vec![]),
                };
                let mut id = String::new();
                let mut who = None;
                for o in inner {
                    match (o.name.as_str(), o.value) {
                        ("id", CommandDataOptionValue::String(s)) => id = s,
                        ("who", CommandDataOptionValue::User(u)) => {
                            // The resolved user must come along with the id.
                            assert!(cmd.data.resolved.users.contains_key(&u));
                            who = Some(u.get());
                        }
                        _ => {}
                    }
                }
                let roles = cmd
                    .member
                    .as_ref()
                    .map(|m| m.roles.iter().map(|r| r.get()).collect())
                    .unwrap_or_default();
                if id == "slow" {
                    tokio::time::sleep(Duration::from_millis(600)).await;
                }
                let _ = self.tx.send(Seen::Command {
                    sub: sub_name,
                    id,
                    who,
                    locale: cmd.locale.clone(),
                    roles,
                });
                if cmd.defer_ephemeral(&ctx.http).await.is_ok() {
                    cmd.create_followup(
                        &ctx.http,
                        CreateInteractionResponseFollowup::new()
                            .content("已确认")
                            .ephemeral(true),
                    )
                    .await
                    .unwrap();
                }
            }
            Interaction::Component(c) => {
                let _ = self.tx.send(Seen::Click {
                    custom_id: c.data.custom_id.clone(),
                });
                c.create_response(
                    &ctx.http,
                    CreateInteractionResponse::UpdateMessage(
                        CreateInteractionResponseMessage::new().content("acknowledged by alice"),
                    ),
                )
                .await
                .unwrap();
            }
            _ => {}
        }
    }

    async fn reaction_add(&self, _ctx: Context, reaction: Reaction) {
        let _ = self.tx.send(Seen::Reaction {
            emoji: reaction.emoji.to_string(),
            user: reaction.user_id.map_or(0, |u| u.get()),
            roles: reaction
                .member
                .as_ref()
                .map(|m| m.roles.iter().map(|r| r.get()).collect())
                .unwrap_or_default(),
        });
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("no gateway event within 15 s")
        .expect("event channel closed")
}

/// Skips events until one matches.
async fn until(rx: &mut mpsc::UnboundedReceiver<Seen>, want: impl Fn(&Seen) -> bool) -> Seen {
    loop {
        let seen = next(rx).await;
        if want(&seen) {
            return seen;
        }
    }
}

#[tokio::test]
async fn fake_discord_gateway_drives_a_serenity_client() {
    let fake = FakeDiscord::start_with(FakeConfig {
        heartbeat_interval_ms: 300,
        interaction_deadline: Duration::from_millis(400),
        ..FakeConfig::default()
    })
    .await;
    fake.add_role(RESPONDER_ROLE, "responders");
    fake.add_member(ALICE, "alice", &[RESPONDER_ROLE], "zh-CN");
    let alerts = fake.add_channel("alerts", CHANNEL_TEXT, None);
    let http = fake.http();
    GuildId::new(fake.guild_id())
        .set_commands(&http, vec![incident_command()])
        .await
        .unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGE_REACTIONS;
    // The client must get the fake's Http: `Client::builder(token, …)` would ask the real
    // Discord for the gateway address.
    let mut client = serenity::client::ClientBuilder::new_with_http(fake.http(), intents)
        .event_handler(Recorder { tx })
        .await
        .unwrap();
    let shards = Arc::clone(&client.shard_manager);
    let runner = tokio::spawn(async move { client.start().await });

    assert!(matches!(next(&mut rx).await, Seen::Ready));
    match next(&mut rx).await {
        Seen::GuildCreate { members, roles } => {
            assert_eq!(members, 2, "alice and the bot");
            assert_eq!(roles, 2, "@everyone and responders");
        }
        other => panic!("expected GUILD_CREATE, got {other:?}"),
    }
    let ids = fake.identifies();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].0, INTENT_GUILDS | INTENT_GUILD_MESSAGE_REACTIONS);

    // A slash command with a subcommand, a string and a user option, in alice's locale.
    let handle = fake.slash(
        ALICE,
        alerts,
        &["incident", "ack"],
        &[("id", json!("INC-3")), ("who", json!(ALICE.to_string()))],
        None,
    );
    match next(&mut rx).await {
        Seen::Command {
            sub,
            id,
            who,
            locale,
            roles,
        } => {
            assert_eq!(sub, "ack");
            assert_eq!(id, "INC-3");
            assert_eq!(who, Some(ALICE));
            assert_eq!(locale, "zh-CN");
            assert_eq!(roles, vec![RESPONDER_ROLE]);
        }
        other => panic!("expected the command, got {other:?}"),
    }
    let answer = handle.wait_answer(Duration::from_secs(5)).await;
    assert_eq!(answer.kind(), Some(5));
    assert!(answer.ack_latency().unwrap() < Duration::from_millis(400));
    assert!(answer.ephemeral());
    assert_eq!(answer.text(), "已确认");
    assert!(
        fake.messages(alerts).is_empty(),
        "ephemeral answers are not channel messages"
    );

    // A button on a card: the handler answers UPDATE_MESSAGE, which edits the card.
    let card =
        ChannelId::new(alerts)
            .send_message(
                &http,
                CreateMessage::new().content("INC-3 open").components(vec![
                    CreateActionRow::Buttons(vec![CreateButton::new("inc:3:ack").label("Ack")]),
                ]),
            )
            .await
            .unwrap();
    let click = fake.click(ALICE, alerts, card.id.get(), "inc:3:ack", None);
    assert!(matches!(next(&mut rx).await, Seen::Click { custom_id } if custom_id == "inc:3:ack"));
    let answer = click.wait_answer(Duration::from_secs(5)).await;
    assert_eq!(answer.kind(), Some(7));
    let edited = fake.message(alerts, card.id.get()).unwrap();
    assert_eq!(edited.content, "acknowledged by alice");
    assert_eq!(edited.edits, 1);

    // A reaction carries the member's roles.
    fake.react(ALICE, alerts, card.id.get(), "✅");
    match next(&mut rx).await {
        Seen::Reaction { emoji, user, roles } => {
            assert_eq!(emoji, "✅");
            assert_eq!(user, ALICE);
            assert_eq!(roles, vec![RESPONDER_ROLE]);
        }
        other => panic!("expected the reaction, got {other:?}"),
    }

    // Too slow: the acknowledgement after the deadline is refused and recorded.
    let slow = fake.slash(
        ALICE,
        alerts,
        &["incident", "ack"],
        &[("id", json!("slow"))],
        None,
    );
    let answer = slow.wait_ack(Duration::from_secs(2)).await;
    assert!(!answer.acked());
    assert_eq!(answer.callbacks.first().map(|c| c.status), Some(404));
    let late: Vec<_> = fake
        .violations()
        .into_iter()
        .filter(|v| v.kind == ViolationKind::InteractionDeadline)
        .collect();
    assert_eq!(late.len(), 1);

    // Drop the gateway: serenity resumes, and an event sent meanwhile is replayed.
    fake.drop_gateway();
    fake.react(ALICE, alerts, card.id.get(), "📌");
    assert!(
        fake.wait_gateway(1, 1, Duration::from_secs(20)).await,
        "no RESUME"
    );
    let seen = until(&mut rx, |s| matches!(s, Seen::Reaction { .. })).await;
    assert!(matches!(seen, Seen::Reaction { emoji, .. } if emoji == "📌"));
    let again = fake.slash(
        ALICE,
        alerts,
        &["incident", "ack"],
        &[("id", json!("INC-4"))],
        None,
    );
    until(
        &mut rx,
        |s| matches!(s, Seen::Command { id, .. } if id == "INC-4"),
    )
    .await;
    assert!(again.wait_answer(Duration::from_secs(5)).await.acked());

    // An invalid session makes serenity identify afresh.
    fake.drop_gateway_with(GatewayDrop::InvalidSession);
    until(&mut rx, |s| matches!(s, Seen::Ready)).await;
    assert!(fake.wait_gateway(2, 1, Duration::from_secs(20)).await);
    fake.drop_gateway_with(GatewayDrop::Reset);
    assert!(
        fake.wait_gateway(2, 2, Duration::from_secs(20)).await
            || fake.wait_gateway(3, 1, Duration::from_secs(1)).await,
        "no reconnect after a reset"
    );
    let after = fake.slash(
        ALICE,
        alerts,
        &["incident", "ack"],
        &[("id", json!("INC-5"))],
        None,
    );
    until(
        &mut rx,
        |s| matches!(s, Seen::Command { id, .. } if id == "INC-5"),
    )
    .await;
    assert!(after.wait_answer(Duration::from_secs(5)).await.acked());
    assert!(fake.heartbeats() > 0);

    // Every frame the fake sent is something serenity can parse.
    for frame in fake.dispatched() {
        let t = frame["t"].clone();
        serde_json::from_value::<GatewayEvent>(frame)
            .unwrap_or_else(|e| panic!("serenity cannot parse {t}: {e}"));
    }
    let unexpected: Vec<_> = fake
        .violations()
        .into_iter()
        .filter(|v| v.kind != ViolationKind::InteractionDeadline)
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");

    shards.shutdown_all().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), runner).await;
}
