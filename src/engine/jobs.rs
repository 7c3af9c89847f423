//! The worker pool that runs durable jobs outside the engine, and the engine's side of them:
//! applying a finished job, and Re-probe.
//!
//! A job is created in the engine's commit (same transaction as its cause). The pool marks it
//! started and flushes before running it, so a crash while it runs leaves it marked started.
//! A job marked started that this pool neither runs nor reports (cut off by the last stop, or
//! a task that ended without its report) is an orphan: the pool reports it `Interrupted`, the
//! engine notes `job_interrupted` on its incident's timeline and queues it again only if its
//! kind is idempotent. Every finish is reported to the engine as an event (retried until the
//! engine takes it), whose decision is committed with the job's removal.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use super::*;
use crate::domain::effect::{Effect, TrackedBody};
use crate::domain::job::{Job, JobAfter, JobId, JobKind, JobOutcome, job_finished};
use crate::domain::probe::{
    ProbeOutcome, ProbePolicy, check_url, loggable_url, probe_key, reprobe,
};
use crate::exec::http::{describe, failure_kind};
use crate::store::{DeliveryStore, JobWrite};

/// How many jobs run at once.
pub const JOB_WORKERS: usize = 4;
/// How often the pool looks for queued jobs when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// How many stored jobs one look reads; the tree holds in-flight jobs only.
const SCAN_LIMIT: usize = 256;
/// A report the engine could not take (the store re-opening) is retried after this, then
/// twice as long each time up to the maximum, until the engine takes it. Unit tests shorten
/// both so a long refusal costs them milliseconds.
/// A report refused this many times is logged as a warning (once), the others at debug.
const REPORT_WARN_AFTER: u32 = 10;
/// How much of an error or a redirect's `Location` the timeline and room keep.
const MAX_DETAIL_CHARS: usize = 300;

impl EngineHandle {
    /// Reports how a job ended; answered once the outcome is durable.
    pub async fn job_finished(&self, job: JobId, outcome: JobOutcome) -> Result<(), EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::JobFinished {
            job,
            outcome,
            reply,
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }
}

impl Engine {
    /// Applies a finished (or interrupted) job: its entries and effects, and the job removed
    /// or queued again, in one transaction.
    pub(super) fn job_finished(
        &mut self,
        id: JobId,
        outcome: JobOutcome,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let already = pending.batch.jobs.iter().any(
            |write| matches!(write, JobWrite::Done(done) | JobWrite::Requeue(done) if *done == id),
        );
        if already {
            return Ok(());
        }
        let Some(job) = self.store.job(id)? else {
            debug!(job = id, "A job reported twice was already finished.");
            return Ok(());
        };
        if let JobKind::Action(_) = &job.kind {
            return self.action_job_finished(&job, outcome, pending, now);
        }
        // Read before anything is pushed: if the read fails, the report is refused whole and
        // retried, instead of removing the job without its result.
        let incident = self.incident(pending, job.incident)?;
        let (applied, after) = job_finished(&job, outcome);
        pending.batch.jobs.push(match after {
            JobAfter::Done => JobWrite::Done(id),
            JobAfter::Requeue => JobWrite::Requeue(id),
        });
        match incident {
            Some(incident) => self.apply(pending, incident, applied, now),
            None => {
                warn!(job = id, incident = %job.incident, "A job finished for a missing incident; nothing noted.")
            }
        }
        Ok(())
    }

    /// Re-probe pressed on the probe message of `incident`.
    pub(super) fn reprobe(
        &mut self,
        person: &Person,
        incident: Incident,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let id = incident.id;
        let current = self.current_tracked(pending, &probe_key(id))?;
        let view = current.and_then(|body| match body {
            TrackedBody::Probe(view) => Some(view),
            TrackedBody::Action(_) => None,
        });
        Ok(
            match reprobe(&self.policy.probes, &incident, person, view.as_ref()) {
                Ok((applied, reply)) => {
                    info!(incident = %id, user = %person.id, "Probe requested again.");
                    self.apply(pending, incident, applied, now);
                    CommandReply {
                        ok: true,
                        lines: vec![reply],
                        incident: Some(id),
                    }
                }
                Err(reply) => CommandReply {
                    ok: false,
                    lines: vec![reply],
                    incident: Some(id),
                },
            },
        )
    }

    /// What the tracked message `key` shows, counting changes not yet committed.
    fn current_tracked(
        &self,
        pending: &Pending,
        key: &str,
    ) -> Result<Option<TrackedBody>, StoreError> {
        let newest = pending
            .batch
            .effects
            .iter()
            .rev()
            .find_map(|effect| match effect {
                Effect::PostTracked { key: k, body, .. }
                | Effect::UpdateTracked { key: k, body, .. }
                    if k == key =>
                {
                    Some(body.clone())
                }
                _ => None,
            });
        match newest {
            Some(body) => Ok(Some(body)),
            None => Ok(self.store.tracked(key)?.map(|tracked| tracked.body)),
        }
    }
}

/// Runs queued jobs, at most [`JOB_WORKERS`] at once.
pub struct JobPool {
    pub store: Arc<dyn DeliveryStore>,
    pub engine: EngineHandle,
    pub clock: Arc<dyn Clock>,
    /// Checked again before each probe: a host removed from the allow-list since the job was
    /// queued is not fetched.
    pub probes: ProbePolicy,
    /// Woken by the engine when it commits new or re-queued jobs.
    pub wake: Arc<Notify>,
    /// How a refused report is retried (the store may take long to re-open).
    pub report_retry: ReportRetry,
    /// What runs action jobs, by executor kind.
    pub executors: crate::exec::Executors,
    /// `[actions] approval_expiry`: an action job queued longer ago than this is refused.
    pub approval_expiry: chrono::Duration,
}

/// The wait before a refused report is tried again: `first`, doubling up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRetry {
    pub first: Duration,
    pub max: Duration,
}

impl Default for ReportRetry {
    fn default() -> Self {
        ReportRetry {
            first: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl JobPool {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let client = match probe_client() {
            Ok(client) => client,
            Err(error) => {
                warn!(%error, "The probe HTTP client cannot be built; jobs will not run.");
                return;
            }
        };
        let pool = Arc::new(self);
        let slots = Arc::new(Semaphore::new(JOB_WORKERS));
        // The jobs this pool runs or reports now. A job marked started that is not in here
        // was cut off: by the last stop, or by a task that ended without its report.
        let running: Arc<Mutex<HashSet<JobId>>> = Arc::default();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.try_join_next().is_some() {}
            pool.start_queued(&client, &slots, &running, &mut tasks)
                .await;
            tokio::select! {
                _ = pool.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Running jobs stay marked started: the next start reports them interrupted.
        tasks.abort_all();
        info!("Job pool stopped.");
    }

    /// Reports every orphaned job (marked started, run by nobody here) as interrupted, and
    /// starts queued jobs while a worker is free.
    async fn start_queued(
        self: &Arc<Self>,
        client: &reqwest::Client,
        slots: &Arc<Semaphore>,
        running: &Arc<Mutex<HashSet<JobId>>>,
        tasks: &mut JoinSet<()>,
    ) {
        // Taken before the read: a job this pool ran until just now was reported before it
        // left the set, so the read sees its outcome and it is never mistaken for an orphan.
        let busy_before_read = lock(running).clone();
        let jobs = match self.on_store(|store| store.jobs(SCAN_LIMIT)).await {
            Ok(jobs) => jobs,
            Err(error) => {
                debug!(%error, "Cannot read queued jobs; retried on the next look.");
                return;
            }
        };
        for job in jobs {
            if busy_before_read.contains(&job.id) || lock(running).contains(&job.id) {
                continue;
            }
            if job.started_at.is_some() {
                self.report_orphan(job, running, tasks);
                continue;
            }
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                continue;
            };
            // Durably started before it runs, so a crash from here on is reported.
            let (id, now) = (job.id, self.clock.now());
            match self
                .on_store(move |store| store.mark_job_started(id, now))
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    warn!(%error, job = job.id, "Cannot mark a job started; it waits.");
                    return;
                }
            }
            if let Err(error) = self.store.flush().await {
                // Marked started in memory only: it is reported interrupted (and re-run if
                // idempotent) rather than run without the durable mark.
                warn!(%error, job = job.id, "Cannot flush a job's start; it is not run now.");
                return;
            }
            lock(running).insert(job.id);
            metrics::counter!("warroom_jobs_started_total", "kind" => job.kind.name()).increment(1);
            let pool = self.clone();
            let client = client.clone();
            let running = running.clone();
            tasks.spawn(async move {
                let outcome = pool.execute(&client, &job).await;
                // The work is done: the worker is free while the outcome is reported.
                drop(slot);
                pool.wake.notify_one();
                report(&pool.engine, pool.report_retry, job.id, outcome).await;
                lock(&running).remove(&job.id);
            });
        }
    }

    /// Runs a store call on tokio's blocking pool: sled reads and writes may wait on the disk,
    /// which the async workers must never do.
    async fn on_store<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn DeliveryStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(|error| {
                StoreError::Unavailable(format!("a store call did not finish: {error}"))
            })?
    }

    /// A job marked started that nobody here runs: its outcome is unknown, so it is reported
    /// interrupted (the engine notes it and queues it again if it is idempotent).
    fn report_orphan(
        self: &Arc<Self>,
        job: Job,
        running: &Arc<Mutex<HashSet<JobId>>>,
        tasks: &mut JoinSet<()>,
    ) {
        warn!(job = job.id, kind = job.kind.name(), incident = %job.incident, rerun = job.kind.idempotent(), "A job marked started is run by nobody (warroom stopped while it ran, or its report was lost); its outcome is unknown.");
        lock(running).insert(job.id);
        let pool = self.clone();
        let running = running.clone();
        tasks.spawn(async move {
            report(
                &pool.engine,
                pool.report_retry,
                job.id,
                JobOutcome::Interrupted,
            )
            .await;
            lock(&running).remove(&job.id);
        });
    }

    async fn execute(&self, client: &reqwest::Client, job: &Job) -> JobOutcome {
        match &job.kind {
            JobKind::Probe { url, .. } => {
                let outcome = match check_url(url, &self.probes.allow_hosts) {
                    Err(refusal) => ProbeOutcome::Refused { refusal },
                    Ok(_) => {
                        run_probe(client, url, job.kind.timeout(), job.kind.max_output_bytes())
                            .await
                    }
                };
                let target = loggable_url(url);
                match &outcome {
                    ProbeOutcome::Answered {
                        status, latency_ms, ..
                    } => {
                        info!(job = job.id, incident = %job.incident, url = %target, status, latency_ms, "Probe answered.")
                    }
                    other => {
                        info!(job = job.id, incident = %job.incident, url = %target, outcome = ?other, "Probe got no answer.")
                    }
                }
                JobOutcome::Probe(outcome)
            }
            JobKind::Action(action) => {
                // The job was created when its last approval came: refused unrun when that
                // approval is older than approvals may wait.
                let age = crate::domain::action::rules::check_job_age(
                    action,
                    job.created_at,
                    self.clock.now(),
                    self.approval_expiry,
                );
                if let Err(refused) = age {
                    warn!(job = job.id, incident = %job.incident, request = %action.request, approved_at = %job.created_at, "An approved action waited longer than approvals last; not run.");
                    return JobOutcome::Action(refused);
                }
                info!(job = job.id, incident = %job.incident, request = %action.request, command = %action.command, "Action job started.");
                JobOutcome::Action(
                    run_action(
                        &self.executors,
                        job.incident,
                        action,
                        job.kind.timeout() + ACTION_TIMEOUT_GRACE,
                        job.kind.max_output_bytes(),
                    )
                    .await,
                )
            }
            #[cfg(test)]
            JobKind::TestSideEffect => JobOutcome::Interrupted,
        }
    }
}

/// Extra time an executor gets beyond its job's timeout to report its own timeout, before
/// the pool gives up on it.
const ACTION_TIMEOUT_GRACE: Duration = Duration::from_secs(2);

/// Runs an action on its executor. A job whose digest, recomputed from the job itself and its
/// incident, no longer matches (what was approved) is refused unrun. The pool enforces the job's timeout
/// too: an executor still running after `limit` (the job's timeout and a grace) is cut off
/// and reported `timed_out`; the output it keeps is bounded.
pub(crate) async fn run_action(
    executors: &crate::exec::Executors,
    incident: IncidentId,
    action: &crate::domain::action::ActionJob,
    limit: Duration,
    max_output: usize,
) -> crate::domain::action::ActionOutcome {
    use crate::domain::action::rules::check_job_digest;
    use crate::domain::action::{ActionOutcome, ActionStatus};
    if let Err(refused) = check_job_digest(incident, action) {
        warn!(incident = %incident, request = %action.request, "An action job does not match what was approved; not run.");
        return refused;
    }
    let started = Instant::now();
    let mut outcome = match tokio::time::timeout(limit, executors.run(action)).await {
        Ok(outcome) => outcome,
        Err(_) => ActionOutcome {
            status: ActionStatus::TimedOut,
            summary: Msg::new("action-timed-out")
                .outside("command", &action.command)
                .number("seconds", action.timeout_ms.div_ceil(1_000)),
            details: Vec::new(),
            output: String::new(),
            scale: None,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        },
    };
    if outcome.output.len() > max_output {
        let mut end = max_output;
        while end > 0 && !outcome.output.is_char_boundary(end) {
            end -= 1;
        }
        outcome.output.truncate(end);
    }
    outcome
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tells the engine how a job ended, retrying while the store re-opens, however long that
/// takes: the outcome is kept, never traded for "interrupted" (`job_finished` ignores a job
/// already gone, so a retry after a lost answer is harmless).
async fn report(engine: &EngineHandle, retry: ReportRetry, job: JobId, outcome: JobOutcome) {
    let mut wait = retry.first;
    let mut attempt: u32 = 0;
    loop {
        match engine.job_finished(job, outcome.clone()).await {
            Ok(()) | Err(EngineError::Stopped) => return,
            Err(error) => {
                attempt += 1;
                if attempt == REPORT_WARN_AFTER {
                    warn!(%error, job, attempt, "A job's outcome still cannot be recorded; retrying until the engine takes it.");
                } else {
                    debug!(%error, job, attempt, "A job's outcome could not be recorded yet.");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(retry.max);
            }
        }
    }
}

/// The probe's HTTP client: no redirects followed, no proxy (the allow-list names the hosts
/// actually contacted), no cookies.
fn probe_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("warroom-probe/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One GET: status and the time to its headers, the body read up to `max_body` bytes and
/// dropped, everything within `timeout`.
pub(crate) async fn run_probe(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    max_body: usize,
) -> ProbeOutcome {
    let started = Instant::now();
    let elapsed_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let exchange = async {
        let mut response = client.get(url).send().await?;
        let latency_ms = elapsed_ms();
        let status = response.status();
        let location = status
            .is_redirection()
            .then(|| response.headers().get(reqwest::header::LOCATION))
            .flatten()
            .map(|value| cut(&String::from_utf8_lossy(value.as_bytes())));
        let mut read = 0_usize;
        while read < max_body {
            match response.chunk().await? {
                Some(chunk) => read += chunk.len(),
                None => break,
            }
        }
        Ok::<_, reqwest::Error>(ProbeOutcome::Answered {
            status: status.as_u16(),
            latency_ms,
            location,
        })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => ProbeOutcome::Failed {
            failure: failure_kind(&error),
            error: describe(&error),
            latency_ms: elapsed_ms(),
        },
        Err(_) => ProbeOutcome::TimedOut {
            latency_ms: elapsed_ms(),
        },
    }
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_DETAIL_CHARS).collect()
}

#[cfg(test)]
mod tests;
