use super::*;
use crate::domain::access::PersonRole::*;
use crate::domain::action::rules::tests::{awaiting, cast, entry_kinds, vote_entry};
use crate::domain::action::{RequestId, ScaleChange};
use crate::domain::decide::tests::at;
use crate::domain::message::Msg;

#[test]
fn expiry_ends_only_a_request_still_waiting() {
    let expired = expire(&awaiting(), at("2026-11-21T10:15:00Z"));
    assert_eq!(
        expired.request.as_ref().map(|r| r.state),
        Some(RequestState::Expired)
    );
    assert!(matches!(
        entry_kinds(&expired)[..],
        [EntryKind::ActionExpired { .. }]
    ));
    let first = cast(
        &awaiting(),
        "dm1",
        &[DutyManager],
        true,
        "2026-11-21T10:01:00Z",
    )
    .request
    .unwrap();
    let queued = cast(&first, "dm2", &[DutyManager], true, "2026-11-21T10:02:00Z")
        .request
        .unwrap();
    assert_eq!(
        expire(&queued, at("2026-11-21T10:15:00Z")),
        ActionChange::default()
    );
    // An expired request never runs, whoever votes after.
    let late = cast(
        expired.request.as_ref().unwrap(),
        "dm2",
        &[DutyManager],
        true,
        "2026-11-21T10:16:00Z",
    );
    assert_eq!(vote_entry(&late).1.as_deref(), Some("expired"));
}

#[test]
fn an_ended_incident_cancels_only_its_waiting_requests() {
    let waiting = awaiting();
    let mut queued = awaiting();
    queued.id = RequestId(2);
    queued.state = RequestState::Queued;
    let changes = cancel_pending(&[waiting, queued], "incident_closed");
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].request.as_ref().map(|r| (r.id, r.state)),
        Some((RequestId(1), RequestState::Cancelled))
    );
    assert!(
        matches!(entry_kinds(&changes[0])[..], [EntryKind::ActionCancelled { reason, .. }] if reason == "incident_closed")
    );
}

fn outcome(status: ActionStatus, output: String, scale: Option<ScaleChange>) -> ActionOutcome {
    ActionOutcome {
        status,
        summary: Msg::new("action-timed-out"),
        details: (0..20).map(|_| Msg::new("action-timed-out")).collect(),
        output,
        scale,
        duration_ms: 12,
    }
}

#[test]
fn an_outcome_ends_its_request_bounded_and_remembers_a_successful_scale() {
    let mut queued = awaiting();
    queued.state = RequestState::Queued;
    let big = "é".repeat(MAX_ACTION_OUTPUT_BYTES);
    let table = [
        (
            ActionStatus::Succeeded,
            Some(ScaleChange { from: 2, to: 3 }),
            RequestState::Succeeded,
            true,
        ),
        (
            ActionStatus::Failed,
            Some(ScaleChange { from: 2, to: 3 }),
            RequestState::Failed,
            false,
        ),
        (ActionStatus::TimedOut, None, RequestState::Failed, false),
        (ActionStatus::Refused, None, RequestState::Failed, false),
    ];
    for (status, scale, state, remembered) in table {
        let change = finish(
            &queued,
            outcome(status, big.clone(), scale),
            at("2026-11-21T10:03:00Z"),
        );
        let request = change.request.clone().unwrap();
        assert_eq!(request.state, state, "{status:?}");
        let kept = request.outcome.as_ref().unwrap();
        assert!(kept.output.len() <= MAX_ACTION_OUTPUT_BYTES);
        assert!(kept.details.len() <= MAX_DETAILS);
        assert_eq!(change.last_scale.is_some(), remembered, "{status:?}");
        let Some(Effect::UpdateTracked {
            body: TrackedBody::Action(view),
            ..
        }) = change.decision.effects.first()
        else {
            panic!("the message is not updated");
        };
        assert!(view.excerpt.as_ref().unwrap().chars().count() <= MAX_EXCERPT_CHARS);
        assert!(
            matches!(entry_kinds(&change)[..], [EntryKind::ActionFinished { status: got, .. }] if *got == status)
        );
    }
    // A second report of a finished request changes nothing.
    let done = finish(
        &queued,
        outcome(ActionStatus::Succeeded, String::new(), None),
        at("2026-11-21T10:03:00Z"),
    )
    .request
    .unwrap();
    assert_eq!(
        finish(
            &done,
            outcome(ActionStatus::Failed, String::new(), None),
            at("2026-11-21T10:04:00Z")
        ),
        ActionChange::default()
    );
}

#[test]
fn an_interrupted_request_ends_unless_it_runs_again() {
    let mut queued = awaiting();
    queued.state = RequestState::Queued;
    let rerun = interrupted(&queued, true, at("2026-11-21T10:03:00Z"));
    assert!(rerun.request.is_none(), "still queued: it runs again");
    assert!(matches!(
        entry_kinds(&rerun)[..],
        [EntryKind::ActionInterrupted { rerun: true, .. }]
    ));
    let ended = interrupted(&queued, false, at("2026-11-21T10:03:00Z"));
    assert_eq!(
        ended.request.map(|r| r.state),
        Some(RequestState::Interrupted)
    );
}
