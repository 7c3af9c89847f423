//! The engine's actions over a real store, with a catalog and services built in code: a
//! request, votes, the job and its outcome, each written in the group's transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Notify;

use super::*;
use crate::domain::access::PersonRole::{self, *};
use crate::domain::action::rules::tests::{command, policy as action_policy};
use crate::domain::action::{ActionStatus, RequestState};
use crate::domain::ids::MessageId;
use crate::engine::clock::{Clock, ManualClock};
use crate::engine::tests::{Watched, watched};
use crate::engine::{EngineHandle, EngineParts, spawn};
use crate::oncall::SharedOnCall;
use crate::store::{DeliveryStore, MessageOwner, Store, StoreRead};

struct Bot {
    engine: EngineHandle,
    store: Arc<Watched>,
    clock: Arc<ManualClock>,
    incident: IncidentId,
    _dir: tempfile::TempDir,
}

fn someone(name: &str, roles: &[PersonRole]) -> Person {
    Person {
        id: UserId(name.to_owned()),
        display_name: name.to_uppercase(),
        roles: roles.iter().copied().collect(),
        locale: "en-US".to_owned(),
    }
}

fn alice() -> Person {
    someone("alice", &[Responder])
}

fn dm(n: u32) -> Person {
    someone(&format!("dm{n}"), &[DutyManager])
}

async fn start() -> Bot {
    start_with(false).await
}

async fn start_with(auto_diagnose: bool) -> Bot {
    let dir = tempfile::tempdir().unwrap();
    let store = watched(dir.path());
    let clock = Arc::new(ManualClock::new("2026-11-21T10:00:00Z".parse().unwrap()));
    let mut policy = Policy::standard();
    policy.actions = action_policy();
    policy.actions.auto_diagnose = auto_diagnose;
    // A command without a cooldown, so nothing but the request's state stops a second run.
    policy.actions.catalog =
        crate::domain::action::Catalog::new(policy.actions.catalog.iter().cloned().chain([
            command(
                "restart",
                crate::domain::action::ExecutorKind::Kubernetes,
                "restart",
                2,
            ),
        ]));
    let (engine, _task) = spawn(EngineParts {
        store: store.clone(),
        clock: clock.clone(),
        policy,
        oncall: Arc::new(SharedOnCall::new(Default::default())),
        people: vec![alice(), dm(1), dm(2), dm(3)],
        outbox_wake: Arc::new(Notify::new()),
        jobs_wake: Arc::new(Notify::new()),
        live: Default::default(),
    })
    .unwrap();
    let declared = engine
        .command(
            alice(),
            Vec::new(),
            None,
            Command::Declare {
                title: "Checkout is slow".into(),
                severity: None,
            },
        )
        .await
        .unwrap();
    Bot {
        engine,
        store,
        clock,
        incident: declared.incident.unwrap(),
        _dir: dir,
    }
}

fn scale(replicas: &str) -> Command {
    Command::Action {
        command: "scale".into(),
        params: ActionParams::Named(BTreeMap::from([
            ("service".into(), "checkout-api".into()),
            ("replicas".into(), replicas.into()),
        ])),
    }
}

fn approve(request: u32) -> Command {
    Command::Vote {
        request: RequestId(request),
        approve: true,
        via: VoteVia::Button,
    }
}

impl Bot {
    async fn run(&self, person: Person, command: Command) -> CommandReply {
        self.engine
            .command(person, Vec::new(), Some(self.incident), command)
            .await
            .unwrap()
    }

    fn request(&self, n: u32) -> ActionRequest {
        self.store
            .action_request(self.incident, RequestId(n))
            .unwrap()
            .unwrap()
    }

    fn action_kinds(&self) -> Vec<String> {
        self.store
            .timeline(self.incident, 0, 1_000)
            .unwrap()
            .into_iter()
            .filter_map(|entry| {
                let json = serde_json::to_value(&entry.kind).ok()?;
                let kind = json.get("kind")?.as_str()?.to_owned();
                kind.starts_with("action_").then_some(kind)
            })
            .collect()
    }

    fn action_jobs(&self) -> Vec<crate::domain::job::Job> {
        self.store
            .jobs(100)
            .unwrap()
            .into_iter()
            .filter(|job| matches!(job.kind, JobKind::Action(_)))
            .collect()
    }

    /// Waits (bounded) for the deadline scheduler to let the engine fire what is due.
    async fn until(&self, what: &str, done: impl Fn(&Bot) -> bool) {
        for _ in 0..2_000 {
            if done(self) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("{what} never happened");
    }
}

#[tokio::test]
async fn a_request_and_two_approvals_queue_exactly_one_job_and_its_outcome_ends_it() {
    let bot = start().await;
    let asked = bot.run(alice(), scale("3")).await;
    assert!(asked.ok, "{asked:?}");
    assert_eq!(asked.lines[0].id, "action-reply-awaiting");
    assert_eq!(bot.request(1).state, RequestState::AwaitingApproval);
    assert!(bot.action_jobs().is_empty());
    let planned = bot
        .store
        .planned_job(bot.incident, RequestId(1))
        .unwrap()
        .expect("the job is planned with the request");

    assert!(bot.run(dm(1), approve(1)).await.ok);
    // The second approver clicks twice at once, and a third duty manager too: one job.
    let (a, b, c) = tokio::join!(
        bot.run(dm(2), approve(1)),
        bot.run(dm(2), approve(1)),
        bot.run(dm(3), approve(1)),
    );
    assert_eq!([a.ok, b.ok, c.ok].iter().filter(|ok| **ok).count(), 1);
    let request = bot.request(1);
    assert_eq!(request.state, RequestState::Queued);
    let jobs = bot.action_jobs();
    assert_eq!(jobs.len(), 1, "exactly one job");
    assert_eq!(request.job, Some(jobs[0].id), "the request names its job");
    assert_eq!(
        jobs[0].kind,
        JobKind::Action(Box::new(planned)),
        "what runs is what was planned and approved"
    );
    assert_eq!(
        bot.action_kinds(),
        [
            "action_requested",
            "action_vote",
            "action_vote",
            "action_started",
            "action_vote",
            "action_vote"
        ]
    );
    // The message shows the approvals; a cooldown is in force on the service.
    let tracked = bot
        .store
        .tracked(&format!("action:{}:A1", bot.incident))
        .unwrap()
        .unwrap();
    let crate::domain::effect::TrackedBody::Action(view) = tracked.body else {
        panic!("not an action message");
    };
    assert_eq!(view.approved_by.len(), 2);
    assert!(
        bot.store
            .deadline("action_cooldown:deployment:shop/checkout-api")
            .unwrap()
            .is_some()
    );
    let again = bot.run(alice(), scale("4")).await;
    assert_eq!(again.lines[0].id, "action-refused-cooldown");

    bot.engine
        .job_finished(
            jobs[0].id,
            JobOutcome::Action(ActionOutcome {
                status: ActionStatus::Succeeded,
                summary: Msg::new("action-timed-out"),
                details: Vec::new(),
                output: "scaled".into(),
                scale: Some(ScaleChange { from: 2, to: 3 }),
                duration_ms: 5,
            }),
        )
        .await
        .unwrap();
    assert_eq!(bot.request(1).state, RequestState::Succeeded);
    assert!(
        bot.action_jobs().is_empty(),
        "the job is removed with its outcome"
    );
    assert_eq!(
        bot.action_kinds().last().map(String::as_str),
        Some("action_finished")
    );
    assert_eq!(
        bot.store
            .last_scale("checkout-api")
            .unwrap()
            .map(|s| s.change),
        Some(ScaleChange { from: 2, to: 3 })
    );
}

/// Votes decided in one group (they queued while the previous group flushed) see each
/// other: the request is queued once, by the first vote that completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_decided_in_one_group_run_the_request_once() {
    let bot = Arc::new(start().await);
    let restart = Command::Action {
        command: "restart".into(),
        params: ActionParams::Named(BTreeMap::from([("service".into(), "checkout-api".into())])),
    };
    assert!(bot.run(alice(), restart).await.ok);
    bot.run(dm(1), approve(1)).await;
    bot.store
        .hold_flush
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let flushes = bot.store.flushes.load(std::sync::atomic::Ordering::SeqCst);
    let busy = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.run(dm(1), Command::Note("holding".into())).await })
    };
    // The witness: the engine is inside that group's flush.
    for _ in 0..5_000 {
        if bot.store.flushes.load(std::sync::atomic::Ordering::SeqCst) > flushes {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let votes: Vec<_> = [dm(2), dm(2), dm(3)]
        .into_iter()
        .map(|person| {
            let bot = bot.clone();
            tokio::spawn(async move { bot.run(person, approve(1)).await })
        })
        .collect();
    // All three wait in the engine's queue before the flush is let go.
    for _ in 0..5_000 {
        if bot.engine.tx.max_capacity() - bot.engine.tx.capacity() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(bot.engine.tx.max_capacity() - bot.engine.tx.capacity(), 3);
    bot.store
        .hold_flush
        .store(false, std::sync::atomic::Ordering::SeqCst);
    busy.await.unwrap();
    let mut counted = 0;
    for vote in votes {
        counted += usize::from(vote.await.unwrap().ok);
    }
    assert_eq!(counted, 1);
    assert_eq!(bot.action_jobs().len(), 1, "exactly one job");
    assert_eq!(bot.request(1).approvals(), 2);
}

#[tokio::test]
async fn a_reaction_on_a_request_message_is_a_vote_and_other_emoji_stay_reactions() {
    let bot = start().await;
    bot.run(alice(), scale("3")).await;
    let message = MessageId("m-1".into());
    bot.store
        .record_message(
            &message,
            &MessageOwner {
                incident: Some(bot.incident),
                key: format!("action:{}:A1", bot.incident),
            },
        )
        .unwrap();
    let react = |person: Person, emoji: &str| ChatRecord::Reaction {
        incident: bot.incident,
        person,
        message: message.clone(),
        emoji: emoji.to_owned(),
    };
    bot.engine.record(react(dm(1), "👀")).await.unwrap();
    bot.engine
        .record(react(dm(1), APPROVE_EMOJI))
        .await
        .unwrap();
    bot.engine
        .record(react(alice(), APPROVE_EMOJI))
        .await
        .unwrap();
    assert_eq!(bot.request(1).approvals(), 1);
    bot.engine.record(react(dm(2), REJECT_EMOJI)).await.unwrap();
    assert_eq!(bot.request(1).state, RequestState::Rejected);
    let kinds: Vec<String> = bot
        .store
        .timeline(bot.incident, 0, 100)
        .unwrap()
        .into_iter()
        .map(|entry| {
            serde_json::to_value(&entry.kind).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .filter(|kind| kind.starts_with("action_") || kind == "reaction_added")
        .collect();
    assert_eq!(
        kinds,
        [
            "action_requested",
            "reaction_added",
            "action_vote",
            "action_vote",
            "action_vote",
            "action_cancelled"
        ]
    );
    assert!(
        bot.action_jobs().is_empty(),
        "a rejected request never runs"
    );
}

#[tokio::test]
async fn a_check_mark_on_another_incidents_request_message_is_only_a_reaction() {
    let bot = start().await;
    bot.run(alice(), scale("3")).await;
    let other = IncidentId::parse("INC-20261121-009").unwrap();
    let message = MessageId("m-other".into());
    bot.store
        .record_message(
            &message,
            &MessageOwner {
                incident: Some(other),
                key: format!("action:{other}:A1"),
            },
        )
        .unwrap();
    for person in [dm(1), dm(2)] {
        bot.engine
            .record(ChatRecord::Reaction {
                incident: bot.incident,
                person,
                message: message.clone(),
                emoji: APPROVE_EMOJI.to_owned(),
            })
            .await
            .unwrap();
    }
    assert_eq!(bot.request(1).approvals(), 0);
    assert!(!bot.action_kinds().contains(&"action_vote".to_owned()));
    assert!(bot.action_jobs().is_empty());
}

#[tokio::test]
async fn an_unapproved_request_expires_at_its_deadline_and_never_runs() {
    let bot = start().await;
    bot.run(alice(), scale("3")).await;
    bot.run(dm(1), approve(1)).await;
    bot.clock.advance(chrono::Duration::minutes(15));
    bot.until("the expiry", |bot| {
        bot.request(1).state == RequestState::Expired
    })
    .await;
    let late = bot.run(dm(2), approve(1)).await;
    assert!(!late.ok);
    assert_eq!(late.lines[0].id, "action-vote-ignored-expired");
    assert!(bot.action_jobs().is_empty());
    assert!(bot.action_kinds().contains(&"action_expired".to_owned()));
    assert!(
        bot.store
            .deadline(&format!("action_expiry:{}:A1", bot.incident))
            .unwrap()
            .is_none(),
        "the fired deadline is gone"
    );
}

#[tokio::test]
async fn resolving_an_incident_cancels_its_waiting_requests() {
    let bot = start().await;
    bot.run(alice(), scale("3")).await;
    let resolved = bot
        .run(
            dm(1),
            Command::Transition(crate::domain::incident::Transition::Resolve),
        )
        .await;
    assert!(resolved.ok, "{resolved:?}");
    assert_eq!(bot.request(1).state, RequestState::Cancelled);
    assert!(bot.action_kinds().contains(&"action_cancelled".to_owned()));
    let refused = bot.run(alice(), scale("3")).await;
    assert_eq!(refused.lines[0].id, "action-refused-incident-ended");
    let now = bot.clock.now();
    assert!(
        bot.store
            .deadline(&format!("action_expiry:{}:A1", bot.incident))
            .unwrap()
            .is_none_or(|deadline| deadline.due < now),
        "the expiry is cancelled with the request"
    );
}

#[tokio::test]
async fn an_interrupted_action_runs_again_only_when_idempotent() {
    let bot = start().await;
    // diag is read-only and idempotent: queued at once.
    let diag = Command::Action {
        command: "diag".into(),
        params: ActionParams::Named(BTreeMap::from([("service".into(), "checkout-api".into())])),
    };
    assert!(bot.run(alice(), diag).await.ok);
    let job = bot.action_jobs()[0].id;
    bot.engine
        .job_finished(job, JobOutcome::Interrupted)
        .await
        .unwrap();
    assert_eq!(bot.request(1).state, RequestState::Queued);
    assert_eq!(bot.action_jobs().len(), 1, "re-queued");

    // A scale-rollback is not idempotent in this catalog: noted and never re-run.
    bot.store
        .commit(crate::store::WriteBatch {
            last_scales: vec![crate::store::LastScale {
                service: "checkout-api".into(),
                change: ScaleChange { from: 2, to: 5 },
                incident: bot.incident,
                request: RequestId(9),
                at: bot.clock.now(),
            }],
            ..Default::default()
        })
        .unwrap();
    let rollback = Command::Action {
        command: "scale-rollback".into(),
        params: ActionParams::Named(BTreeMap::from([("service".into(), "checkout-api".into())])),
    };
    assert!(bot.run(alice(), rollback).await.ok);
    assert_eq!(
        bot.request(2).params.get("replicas").map(String::as_str),
        Some("2")
    );
    bot.run(dm(1), approve(2)).await;
    bot.run(dm(2), approve(2)).await;
    let rollback_job = bot.request(2).job.unwrap();
    bot.engine
        .job_finished(rollback_job, JobOutcome::Interrupted)
        .await
        .unwrap();
    assert_eq!(bot.request(2).state, RequestState::Interrupted);
    assert!(
        bot.store.job(rollback_job).unwrap().is_none(),
        "never re-run"
    );
}

#[tokio::test]
async fn viewers_unknown_commands_and_unknown_requests_are_refused() {
    let bot = start().await;
    let viewer = bot.run(someone("vic", &[Viewer]), scale("3")).await;
    assert!(!viewer.ok);
    assert_eq!(viewer.lines[0].id, crate::domain::decide::NOT_ALLOWED);
    let unknown = bot
        .run(
            alice(),
            Command::Action {
                command: "nope".into(),
                params: ActionParams::Raw(String::new()),
            },
        )
        .await;
    assert!(!unknown.ok);
    let vote = bot.run(dm(1), approve(7)).await;
    assert_eq!(vote.lines[0].id, "action-vote-unknown-request");
    assert!(
        bot.store
            .action_requests(bot.incident, None, 10)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_incident_opened_for_a_catalogued_service_is_diagnosed_when_asked_to() {
    for auto_diagnose in [false, true] {
        let bot = start_with(auto_diagnose).await;
        let now = bot.clock.now();
        let report = bot
            .engine
            .ingest(vec![
                crate::engine::tests::alert("a", "checkout-api", now),
                crate::engine::tests::alert("b", "unknown-svc", now),
            ])
            .await
            .unwrap();
        let diagnosed: Vec<ActionRequest> = report
            .incidents
            .iter()
            .flat_map(|id| bot.store.action_requests(*id, None, 10).unwrap())
            .collect();
        if !auto_diagnose {
            assert!(diagnosed.is_empty());
            continue;
        }
        assert_eq!(
            diagnosed.len(),
            1,
            "only the catalogued service: {diagnosed:?}"
        );
        let request = &diagnosed[0];
        assert_eq!(request.command, "diag");
        assert_eq!(request.requester.0, rules::WARROOM_REQUESTER);
        assert_eq!(request.state, RequestState::Queued);
        let job = bot.store.job(request.job.unwrap()).unwrap().unwrap();
        let JobKind::Action(action) = job.kind else {
            panic!("not an action job");
        };
        assert_eq!(
            action.services.len(),
            2,
            "the service and what it depends on"
        );
    }
}

#[test]
fn action_keys_parse_back_to_their_request() {
    let incident = IncidentId::parse("INC-20261121-001").unwrap();
    assert_eq!(
        parse_action_key("action:INC-20261121-001:A12"),
        Some((incident, RequestId(12)))
    );
    for bad in [
        "probe:INC-20261121-001",
        "action:INC-20261121-001",
        "action:nope:A1",
        "action:INC-20261121-001:B1",
    ] {
        assert_eq!(parse_action_key(bad), None, "{bad}");
    }
}

#[tokio::test]
async fn a_stored_plan_changed_after_the_request_cancels_it_instead_of_running() {
    let bot = start().await;
    assert!(bot.run(alice(), scale("3")).await.ok);
    let mut forged = bot
        .store
        .planned_job(bot.incident, RequestId(1))
        .unwrap()
        .expect("the job is planned with the request");
    // Someone with access to the store widens what runs, keeping the approved digest.
    forged.services[0].deployment = Some("payments".into());
    bot.store
        .commit(crate::store::WriteBatch {
            planned_jobs: vec![(bot.incident, forged)],
            ..crate::store::WriteBatch::default()
        })
        .unwrap();
    assert!(bot.run(dm(1), approve(1)).await.ok);
    let last = bot.run(dm(2), approve(1)).await;
    assert_eq!(last.lines[0].id, "action-vote-plan-refused");
    assert_eq!(bot.request(1).state, RequestState::Cancelled);
    assert!(bot.action_jobs().is_empty(), "nothing runs");
    let cancelled = bot
        .store
        .timeline(bot.incident, 0, 1_000)
        .unwrap()
        .into_iter()
        .any(|entry| {
            matches!(&entry.kind, crate::domain::timeline::EntryKind::ActionCancelled { reason, .. } if reason == "plan_mismatch")
        });
    assert!(cancelled, "{:?}", bot.action_kinds());
}

#[tokio::test]
async fn a_scale_holds_back_a_restart_of_the_same_deployment() {
    let bot = start().await;
    assert!(bot.run(alice(), scale("3")).await.ok);
    assert!(bot.run(dm(1), approve(1)).await.ok);
    assert!(bot.run(dm(2), approve(1)).await.ok);
    assert_eq!(bot.request(1).state, RequestState::Queued);
    let restart = bot
        .run(
            alice(),
            Command::Action {
                command: "restart".into(),
                params: ActionParams::Named(BTreeMap::from([(
                    "service".into(),
                    "checkout-api".into(),
                )])),
            },
        )
        .await;
    assert!(!restart.ok, "{restart:?}");
    assert_eq!(restart.lines[0].id, "action-refused-cooldown");
}
