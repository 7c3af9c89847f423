use super::*;
use crate::domain::probe::ProbeFailure;

#[tokio::test]
async fn a_refused_connection_is_a_failure_that_never_repeats_the_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let client = probe_client().unwrap();
    let url = format!("http://127.0.0.1:{port}/health?token=s3cret");
    let outcome = run_probe(&client, &url, Duration::from_secs(5), 1024).await;
    match outcome {
        ProbeOutcome::Failed { failure, error, .. } => {
            assert_eq!(failure, ProbeFailure::Connect, "{error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A fake engine that refuses the first `refuse` reports (the store re-opening) and
/// takes the rest, counting both and keeping the outcomes it took.
struct FakeEngine {
    handle: EngineHandle,
    refused: Arc<std::sync::atomic::AtomicUsize>,
    taken: Arc<Mutex<Vec<(JobId, JobOutcome)>>>,
}

fn fake_engine(refuse: usize, store: &Arc<dyn Store>) -> FakeEngine {
    use std::sync::atomic::AtomicUsize;
    let (tx, mut rx) = mpsc::channel::<Event>(16);
    let handle = EngineHandle::for_tests(tx, store.clone());
    let refused = Arc::new(AtomicUsize::new(0));
    let taken: Arc<Mutex<Vec<(JobId, JobOutcome)>>> = Arc::default();
    let (counted, kept) = (refused.clone(), taken.clone());
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            if let Event::JobFinished {
                job,
                outcome,
                reply,
            } = request
            {
                if counted.load(Ordering::SeqCst) < refuse {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = reply.send(Err(EngineError::NotDurable("re-opening".into())));
                } else {
                    lock(&kept).push((job, outcome));
                    let _ = reply.send(Ok(()));
                }
            }
        }
    });
    FakeEngine {
        handle,
        refused,
        taken,
    }
}

fn store_with_one_job() -> (tempfile::TempDir, Arc<dyn Store>, JobId) {
    use crate::domain::ids::IncidentId;
    use crate::domain::job::NewJob;
    use crate::store::{SledStore, WriteBatch};
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
    store
        .commit(WriteBatch {
            jobs: vec![JobWrite::Create {
                job: NewJob {
                    incident: IncidentId::parse("INC-20261121-001").unwrap(),
                    kind: JobKind::TestSideEffect,
                },
                at: Utc::now(),
            }],
            ..WriteBatch::default()
        })
        .unwrap();
    let id = store.jobs(1).unwrap()[0].id;
    (dir, store, id)
}

fn start_pool(store: &Arc<dyn Store>, engine: &FakeEngine) -> watch::Sender<bool> {
    let pool = JobPool {
        store: store.clone(),
        engine: engine.handle.clone(),
        clock: Arc::new(crate::engine::clock::SystemClock),
        probes: ProbePolicy::default(),
        wake: Arc::new(Notify::new()),
        report_retry: ReportRetry {
            first: Duration::from_millis(1),
            max: Duration::from_millis(5),
        },
        executors: crate::exec::Executors::none(),
        approval_expiry: chrono::Duration::minutes(15),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(pool.run(stop_rx));
    stop_tx
}

/// Waits (bounded) until the fake engine took a report.
async fn first_report_taken(engine: &FakeEngine) -> Option<(JobId, JobOutcome)> {
    for _ in 0..1_000 {
        if let Some(first) = lock(&engine.taken).first().cloned() {
            return Some(first);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// An executor that never answers, or answers with too much output.
struct Stubborn {
    output: Option<String>,
}

#[async_trait::async_trait]
impl crate::exec::Executor for Stubborn {
    async fn run(
        &self,
        _job: &crate::domain::action::ActionJob,
    ) -> crate::domain::action::ActionOutcome {
        match &self.output {
            None => std::future::pending().await,
            Some(output) => crate::domain::action::ActionOutcome {
                status: crate::domain::action::ActionStatus::Succeeded,
                summary: Msg::new("action-timed-out"),
                details: Vec::new(),
                output: output.clone(),
                scale: None,
                duration_ms: 1,
            },
        }
    }
}

#[tokio::test]
async fn the_pool_cuts_off_an_executor_past_its_limit_and_bounds_its_output() {
    use crate::domain::action::{ActionJob, ActionStatus, ExecutorKind, RequestId};
    let incident = crate::domain::ids::IncidentId::parse("INC-20261121-001").unwrap();
    let mut job = ActionJob {
        request: RequestId(1),
        command: "restart".into(),
        executor: ExecutorKind::Shell,
        action: "run".into(),
        params: Default::default(),
        digest: String::new(),
        services: Vec::new(),
        argv: Vec::new(),
        env: Vec::new(),
        timeout_ms: 1_500,
        idempotent: false,
        rollback_to: None,
    };
    job.digest = crate::domain::action::rules::job_digest(incident, &job);
    let hanging = crate::exec::Executors::none()
        .with(ExecutorKind::Shell, Arc::new(Stubborn { output: None }));
    let outcome = run_action(&hanging, incident, &job, Duration::from_millis(1), 10).await;
    assert_eq!(outcome.status, ActionStatus::TimedOut);
    assert!(
        outcome
            .summary
            .args
            .contains(&("seconds".to_owned(), crate::domain::message::Arg::Number(2))),
        "the job's own timeout, rounded up: {:?}",
        outcome.summary
    );
    let chatty = crate::exec::Executors::none().with(
        ExecutorKind::Shell,
        Arc::new(Stubborn {
            output: Some("é".repeat(10)),
        }),
    );
    let outcome = run_action(&chatty, incident, &job, Duration::from_secs(5), 9).await;
    assert_eq!(outcome.output, "éééé", "cut at a character boundary");
    // Not configured: refused with the message naming the missing config.
    let outcome = run_action(
        &crate::exec::Executors::none(),
        incident,
        &job,
        Duration::from_secs(5),
        10,
    )
    .await;
    assert_eq!(outcome.status, ActionStatus::Refused);
    // A job changed after approval (its parameters, or moved to another incident) never
    // reaches its executor.
    let counting = crate::exec::Executors::none().with(
        ExecutorKind::Shell,
        Arc::new(Stubborn {
            output: Some("ran".into()),
        }),
    );
    let other = crate::domain::ids::IncidentId::parse("INC-20261121-002").unwrap();
    let outcome = run_action(&counting, other, &job, Duration::from_secs(5), 10).await;
    assert_eq!(outcome.summary.id, "action-refused-digest");
    job.params.insert("replicas".into(), "9".into());
    let outcome = run_action(&counting, incident, &job, Duration::from_secs(5), 10).await;
    assert_eq!(outcome.status, ActionStatus::Refused);
    assert_eq!(outcome.output, "", "not run");
}

#[tokio::test]
async fn a_report_refused_longer_than_any_fixed_retry_budget_still_reaches_the_engine() {
    // The old pool gave up after 20 refusals and left the job marked started for good
    // (its probe message said "Probing" until a restart): refuse more than that.
    let (_dir, store, id) = store_with_one_job();
    let engine = fake_engine(40, &store);
    let _stop = start_pool(&store, &engine);
    let taken = first_report_taken(&engine).await;
    assert_eq!(
        engine.refused.load(Ordering::SeqCst),
        40,
        "the witness: every refusal happened"
    );
    assert_eq!(
        taken,
        Some((id, JobOutcome::Interrupted)),
        "the job's own outcome reached the engine once it took reports again"
    );
}

#[tokio::test]
async fn a_job_marked_started_that_nobody_runs_is_reported_interrupted() {
    use crate::store::WriteBatch;
    let (_dir, store, first) = store_with_one_job();
    let engine = fake_engine(0, &store);
    let _stop = start_pool(&store, &engine);
    // The witness: the pool ran and reported the first job, so it is past its start.
    assert_eq!(
        first_report_taken(&engine).await,
        Some((first, JobOutcome::Interrupted))
    );
    // Then a job is marked started by nobody in the pool: the state a lost report leaves.
    // It must be reported, not skipped until the next restart.
    let incident = crate::domain::ids::IncidentId::parse("INC-20261121-002").unwrap();
    store
        .commit(WriteBatch {
            jobs: vec![JobWrite::Create {
                job: crate::domain::job::NewJob {
                    incident,
                    kind: JobKind::TestSideEffect,
                },
                at: Utc::now(),
            }],
            ..WriteBatch::default()
        })
        .unwrap();
    let second = store.jobs(10).unwrap().last().unwrap().id;
    assert!(store.mark_job_started(second, Utc::now()).unwrap());
    let mut reported = false;
    for _ in 0..1_000 {
        if lock(&engine.taken).contains(&(second, JobOutcome::Interrupted)) {
            reported = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(reported, "the orphaned job was never reported");
}

#[tokio::test]
async fn the_pool_refuses_an_action_approved_longer_ago_than_approvals_last() {
    use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus, ExecutorKind, RequestId};
    use crate::domain::job::NewJob;
    use crate::store::{SledStore, WriteBatch};
    let incident = crate::domain::ids::IncidentId::parse("INC-20261121-001").unwrap();
    let mut job = ActionJob {
        request: RequestId(1),
        command: "restart".into(),
        executor: ExecutorKind::Shell,
        action: "run".into(),
        params: Default::default(),
        digest: String::new(),
        services: Vec::new(),
        argv: Vec::new(),
        env: Vec::new(),
        timeout_ms: 1_500,
        idempotent: false,
        rollback_to: None,
    };
    job.digest = crate::domain::action::rules::job_digest(incident, &job);
    let approved: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
    store
        .commit(WriteBatch {
            jobs: vec![JobWrite::Create {
                job: NewJob {
                    incident,
                    kind: JobKind::Action(Box::new(job)),
                },
                at: approved,
            }],
            ..WriteBatch::default()
        })
        .unwrap();
    // Warroom was down (or the workers busy) for longer than approvals last.
    let clock = Arc::new(crate::engine::clock::ManualClock::new(approved));
    clock.advance(chrono::Duration::minutes(16));
    let engine = fake_engine(0, &store);
    let pool = JobPool {
        store: store.clone(),
        engine: engine.handle.clone(),
        clock,
        probes: ProbePolicy::default(),
        wake: Arc::new(Notify::new()),
        report_retry: ReportRetry {
            first: Duration::from_millis(1),
            max: Duration::from_millis(5),
        },
        executors: crate::exec::Executors::none().with(
            ExecutorKind::Shell,
            Arc::new(Stubborn {
                output: Some("ran".into()),
            }),
        ),
        approval_expiry: chrono::Duration::minutes(15),
    };
    let (_stop, stop_rx) = watch::channel(false);
    tokio::spawn(pool.run(stop_rx));
    let Some((_, JobOutcome::Action(outcome))) = first_report_taken(&engine).await else {
        panic!("no action outcome reported");
    };
    let ActionOutcome {
        status,
        summary,
        output,
        ..
    } = outcome;
    assert_eq!(status, ActionStatus::Refused);
    assert_eq!(summary.id, "action-refused-stale");
    assert_eq!(output, "", "the executor never ran");
}
