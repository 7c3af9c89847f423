use super::*;
use crate::domain::action::rules::tests::{awaiting, plan_of};
use crate::domain::decide::tests::{at, id};

#[test]
fn the_digest_covers_every_field_of_the_job_and_the_incident() {
    let job = plan_of(&awaiting());
    let base = job_digest(id(1), &job);
    assert_eq!(base.len(), 64);
    assert_eq!(base, job_digest(id(1), &job.clone()), "stable");
    let mut resigned = job.clone();
    resigned.digest = "anything".into();
    assert_eq!(
        base,
        job_digest(id(1), &resigned),
        "the digest field itself is left out"
    );
    let changed = |change: &dyn Fn(&mut ActionJob)| {
        let mut other = job.clone();
        change(&mut other);
        job_digest(id(1), &other)
    };
    let cases: Vec<(&str, String)> = vec![
        ("incident", job_digest(id(2), &job)),
        ("request", changed(&|job| job.request.0 = 2)),
        ("command", changed(&|job| job.command = "restart".into())),
        (
            "executor",
            changed(&|job| job.executor = ExecutorKind::Shell),
        ),
        ("action", changed(&|job| job.action = "restart".into())),
        (
            "parameter",
            changed(&|job| {
                job.params.insert("replicas".into(), "9".into());
            }),
        ),
        (
            "service snapshot",
            changed(&|job| job.services[0].deployment = Some("other".into())),
        ),
        ("argv", changed(&|job| job.argv.push("--force".into()))),
        ("env", changed(&|job| job.env.push("PATH".into()))),
        ("timeout", changed(&|job| job.timeout_ms += 1)),
        (
            "idempotent",
            changed(&|job| job.idempotent = !job.idempotent),
        ),
        ("rollback target", changed(&|job| job.rollback_to = Some(1))),
    ];
    for (case, other) in cases {
        assert_ne!(base, other, "{case}");
    }
    // Length-prefixed parts: moving text across a boundary changes the digest.
    let moved = |command: &str, action: &str| {
        let mut other = job.clone();
        other.command = command.into();
        other.action = action.into();
        job_digest(id(1), &other)
    };
    assert_ne!(moved("ab", "c"), moved("a", "bc"));
}

use crate::domain::action::ExecutorKind;

#[test]
fn the_pool_runs_only_a_job_that_still_hashes_to_its_digest() {
    let request = awaiting();
    let job = plan_of(&request);
    assert_eq!(check_job_digest(id(1), &job), Ok(()));
    let mut unsigned = job.clone();
    unsigned.digest = String::new();
    let mut tampered = job.clone();
    tampered.argv.push("--all-namespaces".into());
    for (case, incident, job) in [
        ("another incident", id(2), job.clone()),
        ("no digest", id(1), unsigned),
        ("changed after approval", id(1), tampered),
    ] {
        let refused = check_job_digest(incident, &job).unwrap_err();
        assert_eq!(refused.status, ActionStatus::Refused, "{case}");
        assert_eq!(refused.summary.id, "action-refused-digest", "{case}");
    }
}

#[test]
fn an_approval_older_than_the_expiry_never_runs() {
    let job = plan_of(&awaiting());
    let expiry = chrono::Duration::minutes(15);
    let queued = at("2026-11-21T10:02:00Z");
    for (now, runs) in [
        ("2026-11-21T10:02:00Z", true),
        ("2026-11-21T10:17:00Z", true),
        ("2026-11-21T10:17:01Z", false),
        ("2026-11-21T16:00:00Z", false),
    ] {
        let checked = check_job_age(&job, queued, at(now), expiry);
        assert_eq!(checked.is_ok(), runs, "at {now}");
        if let Err(refused) = checked {
            assert_eq!(refused.status, ActionStatus::Refused);
            assert_eq!(refused.summary.id, "action-refused-stale");
            assert!(
                refused
                    .summary
                    .args
                    .iter()
                    .any(|(name, _)| name == "approved"),
                "names when it was approved: {:?}",
                refused.summary
            );
        }
    }
}

#[test]
fn the_digest_survives_the_stores_encoding_of_every_threshold() {
    use crate::domain::service::ServiceCheck;
    // Thresholds as config gives them, and awkward ones: the stored plan must hash as
    // planned, or an approved request would be cancelled for nothing.
    let mut thresholds = vec![
        0.05,
        0.1 + 0.2,
        1e-7,
        99.999,
        2.638344616030823e-256,
        f64::MAX,
    ];
    let mut bits: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        bits ^= bits << 13;
        bits ^= bits >> 7;
        bits ^= bits << 17;
        let value = f64::from_bits(bits);
        if value.is_finite() {
            thresholds.push(value);
        }
    }
    let mut job = plan_of(&awaiting());
    for (index, threshold) in thresholds.iter().enumerate() {
        job.services[0].checks = vec![ServiceCheck {
            name: format!("check{index}"),
            promql: "up".into(),
            max: Some(*threshold),
            min: Some(threshold / 3.0),
        }];
        job.digest = job_digest(id(1), &job);
        let stored = serde_json::to_vec(&job).unwrap();
        let read: ActionJob = serde_json::from_slice(&stored).unwrap();
        assert_eq!(check_job_digest(id(1), &read), Ok(()), "{threshold:e}");
    }
}
