//! Actions end to end through the console: a request typed in an incident room, approvals by
//! button and by ✅ from two duty managers, exactly one executor call, its result and the whole
//! timeline; and every way a vote must not make a command run. The catalog and services are
//! built in code and the executors are the test's own (counting, optionally hanging), so the
//! rules are tested here, not the executors.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};

use warroom::domain::access::PersonRole;
use warroom::domain::action::{
    ActionJob, ActionOutcome, ActionPolicy, ActionStatus, Catalog, CommandDef, ExecutorKind,
    ParamDef, ParamKind, Risk, ScaleChange,
};
use warroom::domain::message::Msg;
use warroom::domain::service::{ServiceDef, Services};
use warroom::exec::{Executor, Executors};

use crate::support::{TestBot, am_alert};

const CONFIG: &str = "[chat]\ncard_edit_interval = \"0s\"\n";
const INCIDENT: &str = "INC-20261121-001";
const ROOM: &str = "inc-20261121-001";

/// An executor that counts its runs, notes when each started and what it ran, and can be
/// told to hang (a run cut off by a crash).
#[derive(Default)]
struct Counting {
    runs: AtomicUsize,
    started: Mutex<Vec<Instant>>,
    jobs: Mutex<Vec<ActionJob>>,
    hang: AtomicBool,
}

#[async_trait]
impl Executor for Counting {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.started.lock().unwrap().push(Instant::now());
        self.jobs.lock().unwrap().push(job.clone());
        while self.hang.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let to = job
            .params
            .get("replicas")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        ActionOutcome {
            status: ActionStatus::Succeeded,
            summary: Msg::new("action-timed-out")
                .outside("command", &job.command)
                .number("seconds", 0),
            details: Vec::new(),
            output: format!("scaled {} to {to}", job.params["service"]),
            scale: Some(ScaleChange { from: 2, to }),
            duration_ms: 1,
        }
    }
}

fn command(name: &str, action: &str, approvals: u32, idempotent: bool) -> CommandDef {
    let mut params = vec![ParamDef {
        name: "service".into(),
        kind: ParamKind::Service,
        required: true,
    }];
    if action == "scale" {
        params.push(ParamDef {
            name: "replicas".into(),
            kind: ParamKind::Integer {
                min: Some(0),
                max: Some(50),
            },
            required: true,
        });
    }
    CommandDef {
        name: name.into(),
        description: "catalog-scale-description".into(),
        executor: ExecutorKind::Kubernetes,
        action: action.into(),
        approvals,
        approver_role: PersonRole::DutyManager,
        risk: Risk::High,
        timeout: Duration::from_secs(30),
        cooldown: None,
        idempotent,
        params,
        argv: Vec::new(),
        env: Vec::new(),
    }
}

fn actions() -> ActionPolicy {
    ActionPolicy {
        catalog: Catalog::new([
            command("scale", "scale", 2, true),
            command("restart", "restart", 2, false),
        ]),
        services: Services::new([ServiceDef {
            name: "checkout-api".into(),
            namespace: Some("shop".into()),
            deployment: Some("checkout-api".into()),
            min_replicas: Some(1),
            max_replicas: Some(10),
            ..ServiceDef::default()
        }]),
        approval_expiry: chrono::Duration::minutes(15),
        auto_diagnose: false,
    }
}

async fn spawn() -> (TestBot, Arc<Counting>) {
    let executor = Arc::new(Counting::default());
    let bot = TestBot::spawn_with_actions(
        CONFIG,
        actions(),
        Executors::none().with(ExecutorKind::Kubernetes, executor.clone()),
    )
    .await;
    bot.alert(
        "alertmanager",
        &am_alert("fp1", "checkout-api", "critical", "firing"),
    )
    .await;
    bot.room_of(INCIDENT).await;
    (bot, executor)
}

/// The room message of request `request`, found by its Approve button (whatever its text
/// says: the renderer words it), once it is posted.
async fn request_message(bot: &TestBot, request: &str) -> Value {
    let approve = format!("apr:approve:{INCIDENT}:{request}");
    let has_button = |m: &Value| {
        m["buttons"]
            .as_array()
            .is_some_and(|buttons| buttons.iter().any(|b| b["id"] == approve.as_str()))
    };
    let messages = bot
        .wait_for_messages(ROOM, &format!("{request}'s approval message"), |messages| {
            messages.iter().any(has_button)
        })
        .await;
    messages
        .into_iter()
        .find(has_button)
        .expect("the request's message")
}

/// Waits until message `id` has no buttons left (the request no longer awaits votes).
async fn buttons_gone(bot: &TestBot, message: &str) {
    bot.wait_for_messages(ROOM, "the buttons gone", |messages| {
        messages.iter().any(|m| {
            m["id"] == message
                && m["buttons"]
                    .as_array()
                    .is_none_or(|buttons| buttons.is_empty())
        })
    })
    .await;
}

fn button(message: &Value, approve: bool) -> String {
    let prefix = if approve {
        "apr:approve:"
    } else {
        "apr:reject:"
    };
    message["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["id"].as_str())
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button on {message:#}"))
        .to_owned()
}

fn id(message: &Value) -> String {
    message["id"].as_str().expect("a message id").to_owned()
}

async fn action_entries(bot: &TestBot) -> Vec<Value> {
    bot.timeline(INCIDENT)
        .await
        .into_iter()
        .filter(|entry| {
            entry["kind"]
                .as_str()
                .unwrap_or_default()
                .starts_with("action_")
        })
        .collect()
}

async fn wait_for_kind(bot: &TestBot, kind: &str) -> Vec<Value> {
    for _ in 0..1_200 {
        let entries = action_entries(bot).await;
        if entries.iter().any(|entry| entry["kind"] == kind) {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "no {kind} on the timeline: {:#?}",
        action_entries(bot).await
    );
}

#[tokio::test]
async fn a_button_and_a_check_mark_from_two_duty_managers_run_the_scale_exactly_once() {
    let (bot, executor) = spawn().await;
    let asked = bot.slash("wang", ROOM, "/scale checkout-api 3").await;
    assert!(asked.ok, "{asked:?}");
    let message = request_message(&bot, "A1").await;

    let first = bot
        .click("bob", &id(&message), &button(&message, true))
        .await;
    assert!(first.ok, "{first:?}");
    let last_approval = Instant::now();
    let second = bot.react("alice", &id(&message), "✅").await;
    assert!(second.status.is_success(), "{second:?}");
    let entries = wait_for_kind(&bot, "action_finished").await;

    assert_eq!(
        executor.runs.load(Ordering::SeqCst),
        1,
        "exactly one scale call"
    );
    let ran = executor.jobs.lock().unwrap()[0].clone();
    assert_eq!(
        ran.params,
        BTreeMap::from([
            ("service".to_owned(), "checkout-api".to_owned()),
            ("replicas".to_owned(), "3".to_owned()),
        ])
    );
    let started = executor.started.lock().unwrap()[0];
    println!(
        "last approval to executor start: {} ms",
        started.duration_since(last_approval).as_millis()
    );
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
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
    assert_eq!(entries[0]["params"]["replicas"], "3");
    assert_eq!(entries[1]["actor"], "user:bob");
    assert_eq!(entries[2]["actor"], "user:alice");
    assert_eq!(entries[2]["approvals"], 2);
    assert_eq!(entries[4]["status"], "succeeded");
    buttons_gone(&bot, &id(&message)).await;
    // Clicks after it ran change nothing.
    let late = bot
        .click("alice", &id(&message), &button(&message, true))
        .await;
    assert!(!late.ok || late.status.is_client_error(), "{late:?}");
    assert_eq!(executor.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn self_approval_double_votes_wrong_role_and_viewers_never_run_it() {
    let (bot, executor) = spawn().await;
    // alice is a duty manager herself: her own approval never counts.
    assert!(bot.slash("alice", ROOM, "/scale checkout-api 3").await.ok);
    let message = request_message(&bot, "A1").await;
    let approve = button(&message, true);
    for (user, expected) in [
        ("alice", "self_approval"),
        ("bob", ""),
        ("bob", "already_voted"),
        ("carol", "not_approver"),
        ("vic", "not_approver"),
        ("wang", "not_approver"),
    ] {
        let reply = bot.click(user, &id(&message), &approve).await;
        assert_eq!(reply.ok, expected.is_empty(), "{user}: {reply:?}");
    }
    bot.react("bob", &id(&message), "✅").await;
    let entries = action_entries(&bot).await;
    let reasons: Vec<Value> = entries
        .iter()
        .filter(|e| e["kind"] == "action_vote")
        .map(|e| e["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [
            json!("self_approval"),
            Value::Null,
            json!("already_voted"),
            json!("not_approver"),
            json!("not_approver"),
            json!("not_approver"),
            json!("already_voted"),
        ]
    );
    assert!(!entries.iter().any(|e| e["kind"] == "action_started"));
    // A viewer cannot even ask.
    let viewer = bot.slash("vic", ROOM, "/scale checkout-api 4").await;
    assert!(!viewer.ok, "{viewer:?}");
    assert_eq!(executor.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn expired_and_rejected_requests_never_run() {
    let (bot, executor) = spawn().await;
    assert!(bot.slash("wang", ROOM, "/scale checkout-api 3").await.ok);
    assert!(bot.slash("wang", ROOM, "/scale checkout-api 4").await.ok);
    let first = request_message(&bot, "A1").await;
    let second = request_message(&bot, "A2").await;
    // A2: one approval, then a reject from another duty manager cancels it.
    assert!(
        bot.click("bob", &id(&second), &button(&second, true))
            .await
            .ok
    );
    assert!(
        bot.click("alice", &id(&second), &button(&second, false))
            .await
            .ok
    );
    buttons_gone(&bot, &id(&second)).await;
    // A1: one approval, then its expiry passes before the second.
    assert!(
        bot.click("bob", &id(&first), &button(&first, true))
            .await
            .ok
    );
    bot.advance(chrono::Duration::minutes(16));
    wait_for_kind(&bot, "action_expired").await;
    let late = bot.click("alice", &id(&first), &button(&first, true)).await;
    assert!(!late.ok, "{late:?}");
    let entries = action_entries(&bot).await;
    assert!(entries.iter().any(|e| e["kind"] == "action_cancelled"
        && e["reason"] == "rejected"
        && e["request"] == "A2"));
    assert!(
        !entries.iter().any(|e| e["kind"] == "action_started"),
        "{entries:#?}"
    );
    assert_eq!(executor.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_button_naming_another_incident_never_votes_there() {
    let (bot, executor) = spawn().await;
    bot.alert(
        "alertmanager",
        &am_alert("fp2", "payments-api", "critical", "firing"),
    )
    .await;
    let other_room = bot.room_of("INC-20261121-002").await;
    assert!(bot.slash("wang", ROOM, "/scale checkout-api 3").await.ok);
    assert!(
        bot.slash("wang", &other_room, "/scale checkout-api 5")
            .await
            .ok
    );
    let here = request_message(&bot, "A1").await;
    // The other incident's A1, pressed on this incident's message: refused by the console,
    // which only presses buttons a message has.
    let forged = "apr:approve:INC-20261121-002:A1";
    for user in ["alice", "bob"] {
        let reply = bot.click(user, &id(&here), forged).await;
        assert!(reply.status.is_client_error(), "{reply:?}");
    }
    // ✅ on this incident's message votes on this incident's request only.
    bot.react("alice", &id(&here), "✅").await;
    bot.react("bob", &id(&here), "✅").await;
    wait_for_kind(&bot, "action_finished").await;
    let other = bot.timeline("INC-20261121-002").await;
    assert!(
        !other.iter().any(|e| e["kind"] == "action_vote"),
        "no vote reached the other incident: {other:#?}"
    );
    assert_eq!(executor.runs.load(Ordering::SeqCst), 1);
    assert_eq!(executor.jobs.lock().unwrap()[0].params["replicas"], "3");
}

/// Approves request `request` (awaiting) with bob's button and alice's ✅; returns its
/// message's id.
async fn approve_twice(bot: &TestBot, request: &str) -> String {
    let message = request_message(bot, request).await;
    assert!(
        bot.click("bob", &id(&message), &button(&message, true))
            .await
            .ok
    );
    let reply = bot.react("alice", &id(&message), "✅").await;
    assert!(reply.status.is_success(), "{reply:?}");
    id(&message)
}

async fn wait_for_runs(executor: &Counting, runs: usize) {
    for _ in 0..1_200 {
        if executor.runs.load(Ordering::SeqCst) >= runs {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "the executor ran {} times, not {runs}",
        executor.runs.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn an_approved_idempotent_action_cut_off_by_a_crash_runs_once_more_after_the_restart() {
    let (mut bot, executor) = spawn().await;
    executor.hang.store(true, Ordering::SeqCst);
    assert!(bot.slash("wang", ROOM, "/scale checkout-api 3").await.ok);
    approve_twice(&bot, "A1").await;
    // Running (marked started, durably, before the executor was called) when warroom dies.
    wait_for_runs(&executor, 1).await;
    bot.crash_and_start().await;
    executor.hang.store(false, Ordering::SeqCst);
    let entries = wait_for_kind(&bot, "action_finished").await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "action_requested",
            "action_vote",
            "action_vote",
            "action_started",
            "action_interrupted",
            "action_finished"
        ]
    );
    assert_eq!(entries[4]["rerun"], true);
    assert_eq!(
        executor.runs.load(Ordering::SeqCst),
        2,
        "run again once, not more"
    );
}

#[tokio::test]
async fn an_approved_non_idempotent_action_cut_off_by_a_crash_is_noted_and_never_rerun() {
    let (mut bot, executor) = spawn().await;
    executor.hang.store(true, Ordering::SeqCst);
    assert!(
        bot.slash("wang", ROOM, "/run restart checkout-api")
            .await
            .ok
    );
    let message = approve_twice(&bot, "A1").await;
    wait_for_runs(&executor, 1).await;
    bot.crash_and_start().await;
    executor.hang.store(false, Ordering::SeqCst);
    let entries = wait_for_kind(&bot, "action_interrupted").await;
    let interrupted = entries
        .iter()
        .find(|e| e["kind"] == "action_interrupted")
        .unwrap();
    assert_eq!(interrupted["rerun"], false);
    // Whatever happens next (a vote, a restart), it never runs again.
    bot.react("carol", &message, "✅").await;
    bot.restart().await;
    let entries = action_entries(&bot).await;
    assert!(
        !entries.iter().any(|e| e["kind"] == "action_finished"),
        "{entries:#?}"
    );
    assert_eq!(executor.runs.load(Ordering::SeqCst), 1);
}

/// Measures, over 20 requests, the time from the last approval's click being sent to the
/// executor starting (HTTP, the engine's group commit and flush, the pool's wake, the
/// durable start mark and its flush). Printed for the report, never asserted.
#[tokio::test]
async fn last_approval_to_executor_start_is_measured() {
    let (bot, executor) = spawn().await;
    let mut figures = Vec::new();
    for n in 1..=20 {
        let request = format!("A{n}");
        assert!(bot.slash("wang", ROOM, "/scale checkout-api 3").await.ok);
        let message = request_message(&bot, &request).await;
        assert!(
            bot.click("bob", &id(&message), &button(&message, true))
                .await
                .ok
        );
        let sent = Instant::now();
        assert!(
            bot.click("alice", &id(&message), &button(&message, true))
                .await
                .ok
        );
        wait_for_runs(&executor, n).await;
        let started = executor.started.lock().unwrap()[n - 1];
        figures.push(started.duration_since(sent));
    }
    assert_eq!(
        executor.runs.load(Ordering::SeqCst),
        20,
        "one run per approved request"
    );
    figures.sort();
    println!(
        "last approval to executor start over {} requests: median {:?}, p90 {:?}, max {:?}",
        figures.len(),
        figures[figures.len() / 2],
        figures[figures.len() * 9 / 10],
        figures[figures.len() - 1]
    );
}
