//! Actions through Discord: the catalog's commands and the configured services offered as a
//! member types (autocomplete: interaction type 4 answered with callback type 8 and its
//! `choices`, per Discord's documented shapes), and the action commands' registration.

use std::time::Duration;

use serde_json::{Value, json};

use crate::discord::{ALICE, MALLORY, guild_config, incident_channel, wait_until};
use crate::support::TestBot;
use crate::support::fake_discord::FakeDiscord;

/// The war room of `discord::war_room`, with `more` (top-level config tables such as
/// `[[services]]`) appended after the Discord and on-call sections.
async fn war_room_with_config(more: &str) -> (FakeDiscord, TestBot) {
    let fake = FakeDiscord::start().await;
    let (config, _category) = guild_config(&fake, |_, _| String::new());
    let bot = TestBot::spawn_discord(&format!("{config}\n{more}")).await;
    assert!(
        fake.wait_ready(Duration::from_secs(20)).await,
        "warroom never identified"
    );
    wait_until("warroom ready", || async {
        bot.get("/readyz").await.1["chat"] == json!(true)
    })
    .await;
    (fake, bot)
}

fn choice_values(choices: &[Value]) -> Vec<String> {
    choices
        .iter()
        .map(|choice| choice["value"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn action_options_register_with_autocomplete_and_their_own_bounds() {
    let (fake, _bot) = war_room_with_config("").await;
    let scale = fake.command("scale").expect("/scale registered");
    let options = scale["options"].as_array().unwrap();
    let service = options.iter().find(|o| o["name"] == "service").unwrap();
    assert_eq!(service["autocomplete"], json!(true), "{scale:#}");
    assert_eq!(service["type"], 3);
    let replicas = options.iter().find(|o| o["name"] == "replicas").unwrap();
    assert_eq!(replicas["type"], 4);
    assert_eq!(replicas["min_value"], 0, "{replicas}");
    assert_eq!(replicas["max_value"], 1000, "{replicas}");
    assert_ne!(replicas["autocomplete"], json!(true));
    let run = fake.command("run").expect("/run registered");
    let command = &run["options"][0];
    assert_eq!(command["name"], "command");
    assert_eq!(command["autocomplete"], json!(true), "{run:#}");
    let diag = fake.command("diag").expect("/diag registered");
    assert_eq!(diag["options"][0]["autocomplete"], json!(true), "{diag:#}");
    fake.assert_no_violations();
}

#[tokio::test]
async fn autocomplete_is_answered_with_an_autocomplete_result_and_nothing_for_strangers() {
    let (fake, bot) = war_room_with_config("").await;
    let channel = incident_channel(&fake, &bot).await;
    for (user, path, focused) in [
        (ALICE, ["run"], ("command", "")),
        (ALICE, ["scale"], ("service", "chec")),
        (ALICE, ["diag"], ("service", "")),
        (MALLORY, ["scale"], ("service", "")),
    ] {
        let answer = fake
            .autocomplete(user, channel.id, &path, &[], focused, None)
            .wait_answer(Duration::from_secs(10))
            .await;
        assert_eq!(answer.kind(), Some(8), "{path:?}: {answer:?}");
        assert_eq!(answer.callbacks.len(), 1, "one answer, no follow-up");
        assert!(answer.followups.is_empty());
        let choices = &answer.callbacks[0].choices;
        assert!(choices.len() <= 25);
        if user == MALLORY {
            assert!(
                choices.is_empty(),
                "a stranger is offered nothing: {choices:?}"
            );
        }
    }
    fake.assert_no_violations();
}

/// `[[services]]` and `[actions] commands_dir` feed the suggestions.
#[tokio::test]
async fn autocomplete_offers_the_configured_services_and_catalog_as_typed() {
    let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/commands");
    let (fake, bot) = war_room_with_config(&format!(
        "[actions]\ncommands_dir = \"{catalog}\"\n\
         [[services]]\nname = \"checkout-api\"\nnamespace = \"shop\"\ndeployment = \"checkout-api\"\n\
         [[services]]\nname = \"payments-api\"\n\
         [[services]]\nname = \"postgres-main\"\n"
    ))
    .await;
    let channel = incident_channel(&fake, &bot).await;
    let ask = |path: &'static [&'static str], focused: (&'static str, &'static str)| {
        let fake = &fake;
        async move {
            let answer = fake
                .autocomplete(ALICE, channel.id, path, &[], focused, None)
                .wait_answer(Duration::from_secs(10))
                .await;
            assert_eq!(answer.kind(), Some(8), "{answer:?}");
            answer.callbacks[0].choices.clone()
        }
    };
    let services = ask(&["scale"], ("service", "")).await;
    assert_eq!(
        choice_values(&services),
        ["checkout-api", "payments-api", "postgres-main"]
    );
    assert_eq!(services[0]["name"], "checkout-api (shop/checkout-api)");
    // Prefix matches first, then names that merely contain what was typed.
    assert_eq!(
        choice_values(&ask(&["diag"], ("service", "p")).await),
        ["payments-api", "postgres-main", "checkout-api"]
    );
    assert_eq!(
        choice_values(&ask(&["scale"], ("service", "API")).await),
        ["checkout-api", "payments-api"]
    );
    let commands = ask(&["run"], ("command", "scale")).await;
    let values = choice_values(&commands);
    assert!(values.contains(&"scale".to_owned()), "{values:?}");
    assert!(values.iter().all(|v| v.contains("scale")), "{values:?}");
    let label = commands[0]["name"].as_str().unwrap();
    assert!(
        label.starts_with("scale — "),
        "with its description: {label}"
    );
    fake.assert_no_violations();
}

#[tokio::test]
async fn slash_actions_answers_from_views_in_the_members_language() {
    let (fake, bot) = war_room_with_config("").await;
    let channel = incident_channel(&fake, &bot).await;
    let answer = fake
        .slash(ALICE, channel.id, &["actions"], &[], None)
        .wait_answer(Duration::from_secs(10))
        .await;
    let text = answer.text();
    assert!(answer.ephemeral(), "{answer:?}");
    // The harness's config names no catalog directory that exists.
    assert!(text.contains("No command is catalogued"), "{text}");
    assert!(
        text.contains("No request in INC-20261121-001 yet."),
        "{text}"
    );
    let answer = fake
        .slash(crate::discord::WANG, channel.id, &["actions"], &[], None)
        .wait_answer(Duration::from_secs(10))
        .await;
    let text = answer.text();
    assert!(text.contains("INC-20261121-001 还没有申请。"), "{text}");
    fake.assert_no_violations();
}

/// The fake itself refuses autocomplete answers Discord refuses, so the tests above cannot
/// pass on an answer real Discord would reject.
#[tokio::test]
async fn the_fake_refuses_autocomplete_answers_discord_refuses() {
    use crate::support::fake_discord::{CHANNEL_TEXT, ViolationKind};
    use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption, GuildId};

    let fake = FakeDiscord::start().await;
    fake.add_member(ALICE, "alice", &[], "en-US");
    let channel = fake.add_channel("general", CHANNEL_TEXT, None);
    let http = fake.http();
    let command = CreateCommand::new("diag")
        .description("Diagnose")
        .add_option(
            CreateCommandOption::new(CommandOptionType::String, "service", "The service")
                .required(true)
                .set_autocomplete(true),
        );
    http.create_guild_command(GuildId::new(fake.guild_id()), &command)
        .await
        .unwrap();
    let answer_with = |body: Value| {
        let handle = fake.autocomplete(ALICE, channel, &["diag"], &[], ("service", "c"), None);
        let http = &http;
        async move {
            let sent = http
                .create_interaction_response(handle.id.into(), &handle.token, &body, Vec::new())
                .await;
            (sent.is_ok(), handle.answer())
        }
    };
    let choice = |n: usize| json!({"name": format!("svc-{n}"), "value": format!("svc-{n}")});
    let (ok, answer) =
        answer_with(json!({"type": 8, "data": {"choices": [choice(1), choice(2)]}})).await;
    assert!(ok);
    assert_eq!(
        choice_values(&answer.callbacks[0].choices),
        ["svc-1", "svc-2"]
    );
    fake.assert_no_violations();

    let too_many: Vec<Value> = (0..26).map(choice).collect();
    let (ok, _) = answer_with(json!({"type": 8, "data": {"choices": too_many}})).await;
    assert!(!ok, "26 choices are refused");
    let long = json!({"name": "x", "value": "v".repeat(101)});
    let (ok, _) = answer_with(json!({"type": 8, "data": {"choices": [long]}})).await;
    assert!(!ok, "a value over 100 characters is refused");
    let (ok, _) = answer_with(json!({"type": 4, "data": {"content": "hi"}})).await;
    assert!(!ok, "an autocomplete interaction takes no message");
    let kinds: Vec<ViolationKind> = fake.violations().iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        [
            ViolationKind::BadRequest,
            ViolationKind::BadRequest,
            ViolationKind::InteractionBadCallback
        ]
    );
}
