//! Durable jobs: slow work (an HTTP probe, later executors) that runs outside the engine. A
//! job is created in the same transaction as its cause, marked started (and flushed) before it
//! runs, and its result comes back as an event the core turns into timeline entries and
//! effects, committed together with the job's removal. Limits belong to the kind of job, not
//! to each caller.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::action::{ActionJob, ActionOutcome, MAX_ACTION_OUTPUT_BYTES};
use crate::domain::decide::Applied;
use crate::domain::ids::{Actor, IncidentId};
use crate::domain::probe::{
    MAX_PROBE_TIMEOUT_MS, PROBE_MAX_BODY_BYTES, ProbeOutcome, probe_finished,
};
use crate::domain::timeline::EntryKind;

/// A job's id: unique and increasing across restarts (allocated by the store at commit).
pub type JobId = u64;

/// What a job does, with everything it needs. Its `Debug` (what logs show) keeps a probe
/// URL's query out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobKind {
    /// A read-only HTTP GET of an allow-listed URL.
    Probe { url: String, timeout_ms: u64 },
    /// A catalogued command, as requested (and approved).
    Action(Box<ActionJob>),
    /// A job whose effect must not happen twice, to show that an interrupted one is not
    /// re-run. Tests only: no real kind is non-idempotent yet.
    #[cfg(test)]
    TestSideEffect,
}

impl std::fmt::Debug for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobKind::Probe { url, timeout_ms } => f
                .debug_struct("Probe")
                .field("url", &crate::domain::probe::loggable_url(url))
                .field("timeout_ms", timeout_ms)
                .finish(),
            JobKind::Action(job) => f
                .debug_struct("Action")
                .field("request", &job.request)
                .field("command", &job.command)
                .finish(),
            #[cfg(test)]
            JobKind::TestSideEffect => f.write_str("TestSideEffect"),
        }
    }
}

impl JobKind {
    /// The name the timeline and metrics use.
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::Probe { .. } => "probe",
            JobKind::Action(_) => "action",
            #[cfg(test)]
            JobKind::TestSideEffect => "test_side_effect",
        }
    }

    /// Whether running the job twice is harmless, so one interrupted by a crash (outcome
    /// unknown) may simply run again.
    pub fn idempotent(&self) -> bool {
        match self {
            // A GET of a health endpoint changes nothing.
            JobKind::Probe { .. } => true,
            JobKind::Action(job) => job.idempotent,
            #[cfg(test)]
            JobKind::TestSideEffect => false,
        }
    }

    /// The longest the job may run before it counts as timed out.
    pub fn timeout(&self) -> Duration {
        match self {
            JobKind::Probe { timeout_ms, .. } => {
                Duration::from_millis((*timeout_ms).clamp(1, MAX_PROBE_TIMEOUT_MS))
            }
            JobKind::Action(job) => Duration::from_millis(job.timeout_ms.max(1)),
            #[cfg(test)]
            JobKind::TestSideEffect => Duration::from_secs(1),
        }
    }

    /// How much output the job may read or keep; the rest is dropped.
    pub fn max_output_bytes(&self) -> usize {
        match self {
            JobKind::Probe { .. } => PROBE_MAX_BODY_BYTES,
            JobKind::Action(_) => MAX_ACTION_OUTPUT_BYTES,
            #[cfg(test)]
            JobKind::TestSideEffect => 0,
        }
    }
}

/// A job to create, as the core decides it; the store gives it its id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub incident: IncidentId,
    pub kind: JobKind,
}

/// A stored job. Finished jobs are removed, so the tree holds only queued and running ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub incident: IncidentId,
    pub kind: JobKind,
    pub created_at: DateTime<Utc>,
    /// When a worker took it; `None` while queued.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

/// How a job ended, as the worker pool reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobOutcome {
    Probe(ProbeOutcome),
    Action(ActionOutcome),
    /// Found started at start-up: the process stopped while it ran, so nobody knows whether it
    /// did its work.
    Interrupted,
}

/// What happens to the job record after its outcome is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAfter {
    /// Remove it: it is finished (or must not run again).
    Done,
    /// Queue it again (an interrupted idempotent job).
    Requeue,
}

/// Turns a job's outcome into timeline entries and effects, and says what becomes of the job.
pub fn job_finished(job: &Job, outcome: JobOutcome) -> (Applied, JobAfter) {
    match (outcome, &job.kind) {
        (JobOutcome::Interrupted, kind) => {
            let rerun = kind.idempotent();
            let mut applied = Applied::default();
            applied.entry(
                &Actor::warroom(),
                EntryKind::JobInterrupted {
                    job: job.id,
                    job_kind: kind.name().to_owned(),
                    rerun,
                },
            );
            (
                applied,
                if rerun {
                    JobAfter::Requeue
                } else {
                    JobAfter::Done
                },
            )
        }
        (JobOutcome::Probe(outcome), JobKind::Probe { url, .. }) => {
            (probe_finished(job.incident, url, outcome), JobAfter::Done)
        }
        // Action jobs are applied with their request by the engine (`engine/actions.rs`,
        // `domain::action::rules`) and never reach here; a mismatched outcome and kind
        // changes nothing.
        (JobOutcome::Action(_), _) | (JobOutcome::Probe(_), JobKind::Action(_)) => {
            (Applied::default(), JobAfter::Done)
        }
        #[cfg(test)]
        (JobOutcome::Probe(_), JobKind::TestSideEffect) => (Applied::default(), JobAfter::Done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::effect::Effect;
    use crate::domain::probe::ProbeOutcome;

    fn job(kind: JobKind) -> Job {
        Job {
            id: 7,
            incident: IncidentId::parse("INC-20261121-001").unwrap(),
            kind,
            created_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            started_at: Some("2026-11-21T10:00:01Z".parse().unwrap()),
        }
    }

    fn probe() -> JobKind {
        JobKind::Probe {
            url: "https://ok.example.com/h".into(),
            timeout_ms: 5_000,
        }
    }

    #[test]
    fn an_interrupted_job_is_noted_and_rerun_only_when_idempotent() {
        for (kind, rerun, after) in [
            (probe(), true, JobAfter::Requeue),
            (JobKind::TestSideEffect, false, JobAfter::Done),
        ] {
            let (applied, got) = job_finished(&job(kind.clone()), JobOutcome::Interrupted);
            assert_eq!(got, after, "{kind:?}");
            assert_eq!(
                applied.entries,
                vec![(
                    Actor::warroom(),
                    EntryKind::JobInterrupted {
                        job: 7,
                        job_kind: kind.name().to_owned(),
                        rerun,
                    }
                )]
            );
            assert!(
                applied.jobs.is_empty(),
                "a re-run reuses the job, never a new one"
            );
        }
    }

    #[test]
    fn a_finished_probe_is_noted_with_status_and_latency_and_updates_its_message() {
        let table = [
            (
                ProbeOutcome::Answered {
                    status: 301,
                    latency_ms: 38,
                    location: Some("https://elsewhere/".into()),
                },
                Some(301),
                (None, None),
            ),
            (
                ProbeOutcome::Failed {
                    failure: crate::domain::probe::ProbeFailure::Connect,
                    error: "Connection refused (os error 111)".into(),
                    latency_ms: 2,
                },
                None,
                (Some("Connection refused (os error 111)"), Some("connect")),
            ),
            (
                ProbeOutcome::TimedOut { latency_ms: 5_000 },
                None,
                (None, Some("timed_out")),
            ),
        ];
        for (outcome, status, (error, failure)) in table {
            let (applied, after) = job_finished(&job(probe()), JobOutcome::Probe(outcome));
            assert_eq!(after, JobAfter::Done);
            match &applied.entries[..] {
                [
                    (
                        _,
                        EntryKind::ProbeResult {
                            status: got_status,
                            error: got_error,
                            latency_ms: Some(_),
                            refused: None,
                            url,
                            failure: got_failure,
                        },
                    ),
                ] => {
                    assert_eq!(*got_status, status);
                    assert_eq!(got_error.as_deref(), error);
                    assert_eq!(got_failure.as_deref(), failure, "a code, never English");
                    assert_eq!(url, "https://ok.example.com/h");
                }
                other => panic!("unexpected entries {other:?}"),
            }
            assert!(
                matches!(&applied.effects[..], [Effect::UpdateTracked { key, .. }] if key == "probe:INC-20261121-001")
            );
        }
    }

    #[test]
    fn limits_belong_to_the_kind() {
        let long = JobKind::Probe {
            url: "https://x/".into(),
            timeout_ms: 60_000,
        };
        assert_eq!(long.timeout(), Duration::from_secs(5), "never above 5 s");
        assert_eq!(probe().max_output_bytes(), 64 * 1024);
    }
}
