use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use super::*;
use crate::domain::access::PersonRole::{self, *};
use crate::domain::action::{Catalog, ParamDef, ParamKind, Risk};
use crate::domain::decide::tests::{at, id, person};
use crate::domain::decide::{Policy, declare_incident};
use crate::domain::incident::IncidentState;
use crate::domain::service::{ServiceDef, Services};

pub(crate) fn command(
    name: &str,
    executor: ExecutorKind,
    action: &str,
    approvals: u32,
) -> CommandDef {
    CommandDef {
        name: name.into(),
        description: format!("catalog-{name}-description"),
        executor,
        action: action.into(),
        approvals,
        approver_role: DutyManager,
        risk: if approvals == 0 {
            Risk::Low
        } else {
            Risk::High
        },
        timeout: StdDuration::from_secs(30),
        cooldown: (name == "scale").then(|| StdDuration::from_secs(300)),
        idempotent: approvals == 0 || name == "scale",
        params: std::iter::once(ParamDef {
            name: "service".into(),
            kind: ParamKind::Service,
            required: true,
        })
        // A scale names its count, as the shipped catalog's does.
        .chain((action == "scale").then(|| ParamDef {
            name: "replicas".into(),
            kind: ParamKind::Integer {
                min: Some(0),
                max: Some(50),
            },
            required: true,
        }))
        .collect(),
        argv: Vec::new(),
        env: Vec::new(),
    }
}

pub(crate) fn policy() -> ActionPolicy {
    let service = |name: &str, deps: &[&str]| ServiceDef {
        name: name.into(),
        deployment: Some(name.into()),
        namespace: Some("shop".into()),
        min_replicas: Some(1),
        max_replicas: Some(10),
        depends_on: deps.iter().map(|dep| dep.to_string()).collect(),
        ..ServiceDef::default()
    };
    ActionPolicy {
        catalog: Catalog::new([
            command("scale", ExecutorKind::Kubernetes, "scale", 2),
            command(
                "scale-rollback",
                ExecutorKind::Kubernetes,
                "scale-rollback",
                2,
            ),
            command("diag", ExecutorKind::Diagnose, "diagnose", 0),
        ]),
        services: Services::new([
            service("checkout-api", &["payments-api"]),
            service("payments-api", &["checkout-api"]),
        ]),
        approval_expiry: chrono::Duration::minutes(15),
        auto_diagnose: false,
    }
}

fn incident() -> Incident {
    let alice = person("alice", &[Responder]);
    declare_incident(
        &Policy::standard(),
        id(1),
        "Checkout down",
        None,
        &alice,
        at("2026-11-21T10:00:00Z"),
    )
    .unwrap()
    .0
}

fn scale_params(replicas: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("service".into(), "checkout-api".into()),
        ("replicas".into(), replicas.into()),
    ])
}

fn inputs() -> RequestInputs {
    RequestInputs {
        id: RequestId(1),
        job: 41,
        cooldown_until: None,
        last_scale: None,
    }
}

fn requested(
    name: &str,
    params: BTreeMap<String, String>,
    inputs: RequestInputs,
) -> Result<ActionChange, Msg> {
    let policy = policy();
    let definition = policy.catalog.get(name).unwrap().clone();
    request_action(
        &policy,
        &incident(),
        Some(&person("alice", &[Responder])),
        &definition,
        params,
        inputs,
        at("2026-11-21T10:00:00Z"),
    )
}

/// A scale request awaiting two duty managers, as stored.
pub(crate) fn awaiting() -> ActionRequest {
    requested("scale", scale_params("3"), inputs())
        .unwrap()
        .request
        .unwrap()
}

pub(crate) fn entry_kinds(change: &ActionChange) -> Vec<&EntryKind> {
    change
        .decision
        .entries
        .iter()
        .map(|(_, kind)| kind)
        .collect()
}

#[test]
fn a_read_only_command_is_queued_at_once_with_its_job() {
    let change = requested(
        "diag",
        BTreeMap::from([("service".into(), "checkout-api".into())]),
        inputs(),
    )
    .unwrap();
    let request = change.request.as_ref().unwrap();
    assert_eq!(request.state, RequestState::Queued);
    assert_eq!(request.job, Some(41));
    assert_eq!(request.expires_at, None);
    assert!(matches!(
        entry_kinds(&change)[..],
        [
            EntryKind::ActionRequested {
                approvals_required: 0,
                ..
            },
            EntryKind::ActionStarted { job: 41, .. }
        ]
    ));
    let (job_id, job) = change.job.as_ref().unwrap();
    assert_eq!(*job_id, 41);
    let JobKind::Action(action) = &job.kind else {
        panic!("not an action job: {:?}", job.kind);
    };
    // Diagnosis gets the service and what it depends on; the cycle back ends.
    let names: Vec<&str> = action.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["checkout-api", "payments-api"]);
    assert!(
        change.decision.deadlines.is_empty(),
        "no expiry, no cooldown for diag"
    );
    assert!(
        matches!(&change.decision.effects[..], [Effect::PostTracked { key, .. }] if key == "action:INC-20261121-001:A1")
    );
}

#[test]
fn a_changing_command_waits_for_approvals_until_its_expiry() {
    let change = requested("scale", scale_params("3"), inputs()).unwrap();
    let request = change.request.as_ref().unwrap();
    assert_eq!(request.state, RequestState::AwaitingApproval);
    assert_eq!(request.expires_at, Some(at("2026-11-21T10:15:00Z")));
    assert_eq!(request.job, None);
    assert!(change.job.is_none(), "nothing runs before the approvals");
    assert_eq!(
        change.decision.deadlines,
        vec![DeadlineChange::Set(Deadline {
            key: "action_expiry:INC-20261121-001:A1".into(),
            due: at("2026-11-21T10:15:00Z"),
            kind: DeadlineKind::ActionExpiry {
                incident: id(1),
                request: RequestId(1)
            },
        })]
    );
    let planned = change
        .planned
        .as_ref()
        .expect("the job is planned with the request");
    assert_eq!(request.digest, job_digest(id(1), planned));
    assert_eq!(planned.digest, request.digest);
    assert!(entry_kinds(&change).iter().any(|kind| matches!(
        kind,
        EntryKind::ActionRequested { digest, .. } if *digest == request.digest
    )));
}

#[test]
fn refusals_name_the_rule() {
    let policy = policy();
    let scale = policy.catalog.get("scale").unwrap().clone();
    let mut closed = incident();
    closed.state = IncidentState::Closed;
    let cooling = RequestInputs {
        cooldown_until: Some(at("2026-11-21T10:03:01Z")),
        ..inputs()
    };
    let table: Vec<(&str, &[PersonRole], Incident, RequestInputs, &str)> = vec![
        ("viewer", &[Viewer], incident(), inputs(), NOT_ALLOWED),
        (
            "closed incident",
            &[Responder],
            closed,
            inputs(),
            "action-refused-incident-ended",
        ),
        (
            "cooldown",
            &[Responder],
            incident(),
            cooling,
            "action-refused-cooldown",
        ),
    ];
    for (case, roles, incident, inputs, expected) in table {
        let refused = request_action(
            &policy,
            &incident,
            Some(&person("alice", roles)),
            &scale,
            scale_params("3"),
            inputs,
            at("2026-11-21T10:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(refused.id, expected, "{case}");
    }
    // The time left is rounded up to whole minutes.
    let refused = requested(
        "scale",
        scale_params("3"),
        RequestInputs {
            cooldown_until: Some(at("2026-11-21T10:03:01Z")),
            ..inputs()
        },
    )
    .unwrap_err();
    assert!(
        refused
            .args
            .contains(&("minutes".into(), crate::domain::message::Arg::Number(4))),
        "{refused:?}"
    );
    // A cooldown that already ended refuses nothing.
    assert!(
        requested(
            "scale",
            scale_params("3"),
            RequestInputs {
                cooldown_until: Some(at("2026-11-21T09:59:00Z")),
                ..inputs()
            },
        )
        .is_ok()
    );
}

#[test]
fn a_rollback_names_the_count_it_goes_back_to_or_is_refused() {
    let service = BTreeMap::from([("service".to_owned(), "checkout-api".to_owned())]);
    let refused = requested("scale-rollback", service.clone(), inputs()).unwrap_err();
    assert_eq!(refused.id, "action-refused-no-rollback");
    let change = requested(
        "scale-rollback",
        service,
        RequestInputs {
            last_scale: Some(ScaleChange { from: 2, to: 6 }),
            ..inputs()
        },
    )
    .unwrap();
    let planned = change.planned.clone().unwrap();
    let request = change.request.unwrap();
    assert_eq!(
        request.params.get("replicas").map(String::as_str),
        Some("2"),
        "approvers see the number"
    );
    assert_eq!(planned.rollback_to, Some(2));
    assert_eq!(request.digest, job_digest(id(1), &planned));
}

#[test]
fn a_rollback_outside_the_services_bounds_is_refused_when_requested() {
    // checkout-api allows 1..=10 replicas.
    let service = BTreeMap::from([("service".to_owned(), "checkout-api".to_owned())]);
    for (from, refused) in [
        (1, None),
        (10, None),
        (0, Some("action-error-below-service-min")),
        (20, Some("action-error-above-service-max")),
    ] {
        let change = requested(
            "scale-rollback",
            service.clone(),
            RequestInputs {
                last_scale: Some(ScaleChange { from, to: 5 }),
                ..inputs()
            },
        );
        assert_eq!(
            change.as_ref().err().map(|msg| msg.id.as_str()),
            refused,
            "back to {from}"
        );
    }
}

/// One vote cast on the request as it stands, at `when`.
pub(crate) fn cast(
    request: &ActionRequest,
    who: &str,
    roles: &[PersonRole],
    approve: bool,
    when: &str,
) -> ActionChange {
    vote(
        &policy(),
        &incident(),
        request,
        Ballot {
            person: &person(who, roles),
            approve,
            via: VoteVia::Button,
        },
        VoteInputs {
            job: 77,
            cooldown_until: None,
            planned: Some(plan_of(request)),
        },
        at(when),
    )
}

/// The job planned for `request` when it was made, as the store keeps it.
pub(crate) fn plan_of(request: &ActionRequest) -> ActionJob {
    let policy = policy();
    let definition = policy.catalog.get(&request.command).unwrap();
    build_job(&policy, definition, request)
}

pub(crate) fn vote_entry(change: &ActionChange) -> (bool, Option<String>, u32) {
    match entry_kinds(change).first() {
        Some(EntryKind::ActionVote {
            counted,
            reason,
            approvals,
            ..
        }) => (*counted, reason.clone(), *approvals),
        other => panic!("not a vote entry: {other:?}"),
    }
}

/// (case, request, voter, roles, approve, when, counted, reason)
type VoteCase<'a> = (
    &'a str,
    &'a ActionRequest,
    &'a str,
    &'a [PersonRole],
    bool,
    &'a str,
    bool,
    Option<&'a str>,
);

#[test]
fn votes_count_once_per_eligible_person_and_never_for_the_requester() {
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    );
    let after_first = first.request.clone().unwrap();
    // (case, voter, roles, approve, when, counted, reason)
    let table: Vec<VoteCase> = vec![
        (
            "requester approves",
            &after_first,
            "alice",
            &[DutyManager],
            true,
            "2026-11-21T10:02:00Z",
            false,
            Some("self_approval"),
        ),
        (
            "same person again",
            &after_first,
            "dm1",
            &[DutyManager],
            true,
            "2026-11-21T10:02:00Z",
            false,
            Some("already_voted"),
        ),
        (
            "same person by reaction",
            &after_first,
            "dm1",
            &[DutyManager],
            false,
            "2026-11-21T10:02:00Z",
            false,
            Some("already_voted"),
        ),
        (
            "wrong role",
            &after_first,
            "carol",
            &[Commander, Operations],
            true,
            "2026-11-21T10:02:00Z",
            false,
            Some("not_approver"),
        ),
        (
            "viewer",
            &after_first,
            "vic",
            &[Viewer],
            true,
            "2026-11-21T10:02:00Z",
            false,
            Some("not_approver"),
        ),
        (
            "after expiry",
            &after_first,
            "dm2",
            &[DutyManager],
            true,
            "2026-11-21T10:15:00Z",
            false,
            Some("expired"),
        ),
        (
            "second duty manager",
            &after_first,
            "dm2",
            &[DutyManager],
            true,
            "2026-11-21T10:02:00Z",
            true,
            None,
        ),
    ];
    assert_eq!(vote_entry(&first), (true, None, 1));
    for (case, request, who, roles, approve, when, counted, reason) in table {
        let change = cast(request, who, roles, approve, when);
        let (got_counted, got_reason, _) = vote_entry(&change);
        assert_eq!(
            (got_counted, got_reason.as_deref()),
            (counted, reason),
            "{case}"
        );
        assert_eq!(
            change.job.is_some(),
            counted,
            "{case}: only the second approval queues the job"
        );
        if !counted {
            assert!(
                change.request.is_none(),
                "{case}: an ignored vote changes nothing stored"
            );
            assert!(change.decision.deadlines.is_empty(), "{case}");
            assert!(
                change.decision.reply.is_some(),
                "{case}: the voter hears why"
            );
        }
    }
}

#[test]
fn the_last_approval_queues_the_job_once_and_starts_the_cooldown() {
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    )
    .request
    .unwrap();
    let second = cast(&first, "dm2", &[DutyManager], true, "2026-11-21T10:02:00Z");
    let queued = second.request.clone().unwrap();
    assert_eq!(queued.state, RequestState::Queued);
    assert_eq!(queued.job, Some(77));
    assert_eq!(queued.approvals(), 2);
    assert!(matches!(
        entry_kinds(&second)[..],
        [
            EntryKind::ActionVote {
                counted: true,
                approvals: 2,
                required: 2,
                ..
            },
            EntryKind::ActionStarted { job: 77, .. }
        ]
    ));
    assert_eq!(
        second.decision.deadlines,
        vec![
            DeadlineChange::Cancel {
                key: "action_expiry:INC-20261121-001:A1".into()
            },
            DeadlineChange::Set(Deadline {
                key: "action_cooldown:deployment:shop/checkout-api".into(),
                due: at("2026-11-21T10:07:00Z"),
                kind: DeadlineKind::ActionCooldown {
                    command: "scale".into(),
                    service: "checkout-api".into()
                },
            }),
        ]
    );
    let JobKind::Action(job) = &second.job.as_ref().unwrap().1.kind else {
        panic!("not an action job");
    };
    assert_eq!(job.params, scale_params("3"));
    assert_eq!(job.digest, queued.digest);
    // A click that arrives after (the same group or later) finds it queued: ignored.
    let late = cast(&queued, "dm3", &[DutyManager], true, "2026-11-21T10:02:00Z");
    assert_eq!(vote_entry(&late), (false, Some("not_pending".into()), 2));
    assert!(late.job.is_none());
}

#[test]
fn one_eligible_reject_cancels_and_an_ineligible_one_does_not() {
    let ignored = cast(
        &awaiting(),
        "rob",
        &[Responder],
        false,
        "2026-11-21T10:01:00Z",
    );
    assert_eq!(vote_entry(&ignored).1.as_deref(), Some("not_approver"));
    let rejected = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        false,
        "2026-11-21T10:01:00Z",
    );
    let request = rejected.request.clone().unwrap();
    assert_eq!(request.state, RequestState::Rejected);
    assert!(rejected.job.is_none());
    assert!(entry_kinds(&rejected).iter().any(
        |kind| matches!(kind, EntryKind::ActionCancelled { reason, .. } if reason == "rejected")
    ));
    assert_eq!(
        rejected.decision.deadlines,
        vec![DeadlineChange::Cancel {
            key: "action_expiry:INC-20261121-001:A1".into()
        }]
    );
    let after = cast(
        &request,
        "dm2",
        &[DutyManager],
        true,
        "2026-11-21T10:02:00Z",
    );
    assert_eq!(vote_entry(&after).1.as_deref(), Some("not_pending"));
}

#[test]
fn a_request_whose_digest_no_longer_matches_never_runs() {
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    )
    .request
    .unwrap();
    let mut tampered = first.clone();
    tampered.params.insert("replicas".into(), "9".into());
    let change = cast(
        &tampered,
        "dm2",
        &[DutyManager],
        true,
        "2026-11-21T10:02:00Z",
    );
    // The vote counts; the plan no longer hashes to the approved digest: cancelled.
    assert_eq!(vote_entry(&change).1, None);
    assert!(change.job.is_none());
    assert!(entry_kinds(&change).iter().any(
        |kind| matches!(kind, EntryKind::ActionCancelled { reason, .. } if reason == "plan_mismatch")
    ));
}

#[test]
fn a_final_approval_during_a_cooldown_is_refused_with_the_time_left() {
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    )
    .request
    .unwrap();
    let change = vote(
        &policy(),
        &incident(),
        &first,
        Ballot {
            person: &person("dm2", &[DutyManager]),
            approve: true,
            via: VoteVia::Reaction,
        },
        VoteInputs {
            job: 77,
            cooldown_until: Some(at("2026-11-21T10:04:30Z")),
            planned: None,
        },
        at("2026-11-21T10:02:00Z"),
    );
    assert_eq!(vote_entry(&change).1.as_deref(), Some("cooldown"));
    assert!(change.job.is_none());
    assert_eq!(
        change
            .decision
            .reply
            .as_ref()
            .map(|reply| reply.id.as_str()),
        Some("action-refused-cooldown")
    );
}

#[test]
fn votes_in_an_ended_incident_or_for_another_incident_never_count() {
    let request = awaiting();
    let mut closed = incident();
    closed.state = IncidentState::Resolved;
    let mut other = incident();
    other.id = id(2);
    for (case, incident, reason) in [
        ("ended", closed, "incident_closed"),
        ("other incident", other, "wrong_incident"),
    ] {
        let change = vote(
            &policy(),
            &incident,
            &request,
            Ballot {
                person: &person("dm1", &[DutyManager]),
                approve: true,
                via: VoteVia::Button,
            },
            VoteInputs {
                job: 77,
                cooldown_until: None,
                planned: None,
            },
            at("2026-11-21T10:01:00Z"),
        );
        assert_eq!(vote_entry(&change).1.as_deref(), Some(reason), "{case}");
    }
}

#[test]
fn the_job_planned_at_request_time_is_what_runs() {
    let change = requested("scale", scale_params("3"), inputs());
    let change = change.unwrap();
    let planned = change.planned.clone().expect("a planned job");
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    )
    .request
    .unwrap();
    // The catalog changed since (a restart with a new timeout, the command gone even).
    let mut changed = policy();
    changed.catalog = Catalog::new([]);
    let second = |planned: Option<ActionJob>| {
        vote(
            &changed,
            &incident(),
            &first,
            Ballot {
                person: &person("dm2", &[DutyManager]),
                approve: true,
                via: VoteVia::Button,
            },
            VoteInputs {
                job: 77,
                cooldown_until: None,
                planned,
            },
            at("2026-11-21T10:02:00Z"),
        )
    };
    let ran = second(Some(planned.clone()));
    let JobKind::Action(job) = &ran.job.as_ref().expect("queued").1.kind else {
        panic!("not an action job");
    };
    assert_eq!(**job, planned);
    // A missing plan, or one that is not this request's as approved, never runs: the
    // request is cancelled with the reason, never rebuilt from the catalog as it is now.
    let cancelled_with = |change: &ActionChange| {
        assert!(change.job.is_none());
        assert_eq!(
            change.request.as_ref().map(|request| request.state),
            Some(RequestState::Cancelled)
        );
        entry_kinds(change).iter().find_map(|kind| match kind {
            EntryKind::ActionCancelled { reason, .. } => Some(reason.clone()),
            _ => None,
        })
    };
    let mut forged_params = planned.clone();
    forged_params.params.insert("replicas".into(), "9".into());
    forged_params.digest = "0".repeat(64);
    let mut forged_argv = planned.clone();
    forged_argv.argv = vec!["rm".into(), "-rf".into(), "/".into()];
    let mut forged_service = planned.clone();
    forged_service.services[0].namespace = Some("other-namespace".into());
    let mut forged_rollback = planned.clone();
    forged_rollback.rollback_to = Some(0);
    let mut other_request = planned.clone();
    other_request.request = RequestId(2);
    for (case, plan, reason) in [
        ("missing", None, "plan_missing"),
        ("params", Some(forged_params), "plan_mismatch"),
        ("argv", Some(forged_argv), "plan_mismatch"),
        ("service snapshot", Some(forged_service), "plan_mismatch"),
        ("rollback target", Some(forged_rollback), "plan_mismatch"),
        ("another request", Some(other_request), "plan_mismatch"),
    ] {
        assert_eq!(
            cancelled_with(&second(plan)).as_deref(),
            Some(reason),
            "{case}"
        );
    }
    // Missing even while the command is still catalogued: still cancelled, not rebuilt.
    let with_catalog = vote(
        &policy(),
        &incident(),
        &first,
        Ballot {
            person: &person("dm2", &[DutyManager]),
            approve: true,
            via: VoteVia::Button,
        },
        VoteInputs {
            job: 77,
            cooldown_until: None,
            planned: None,
        },
        at("2026-11-21T10:02:00Z"),
    );
    assert_eq!(
        cancelled_with(&with_catalog).as_deref(),
        Some("plan_missing")
    );
}

#[test]
fn deployment_cooldowns_hold_back_the_deployment_whatever_changes_it() {
    let mut policy = policy();
    policy.catalog = Catalog::new([
        command("scale", ExecutorKind::Kubernetes, "scale", 2),
        command(
            "scale-rollback",
            ExecutorKind::Kubernetes,
            "scale-rollback",
            2,
        ),
        command("restart", ExecutorKind::Kubernetes, "restart", 2),
        command("diag", ExecutorKind::Diagnose, "diagnose", 0),
    ]);
    let service = |name: &str, namespace: Option<&str>, deployment: Option<&str>| ServiceDef {
        name: name.into(),
        namespace: namespace.map(str::to_owned),
        deployment: deployment.map(str::to_owned),
        ..ServiceDef::default()
    };
    policy.services = Services::new([
        service("checkout-api", Some("shop"), Some("checkout")),
        // A second name for the same deployment.
        service("checkout-canary", Some("shop"), Some("checkout")),
        service("payments-api", None, Some("payments")),
        service("no-deployment", Some("shop"), None),
    ]);
    for (command, service, scope) in [
        ("scale", "checkout-api", "deployment:shop/checkout"),
        ("scale-rollback", "checkout-api", "deployment:shop/checkout"),
        ("restart", "checkout-api", "deployment:shop/checkout"),
        ("scale", "checkout-canary", "deployment:shop/checkout"),
        ("restart", "payments-api", "deployment:-/payments"),
        ("scale", "no-deployment", "scale:no-deployment"),
        ("diag", "checkout-api", "diag:checkout-api"),
        ("gone", "checkout-api", "gone:checkout-api"),
    ] {
        assert_eq!(
            policy.cooldown_scope(command, service),
            scope,
            "{command} on {service}"
        );
    }
}
