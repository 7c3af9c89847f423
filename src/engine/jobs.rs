//! The worker pool that runs durable jobs outside the engine, and the engine's side of them:
//! applying a finished job, and Re-probe.
//!
//! A job is created in the engine's commit (same transaction as its cause). The pool marks it
//! started and flushes before running it, so a crash while it runs leaves it marked started:
//! at the next start the pool reports it `Interrupted`, the engine notes `job_interrupted` on
//! its incident's timeline and queues it again only if its kind is idempotent. Every finish is
//! reported to the engine as an event, whose decision is committed with the job's removal.

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
use crate::store::JobWrite;

/// How many jobs run at once.
pub const JOB_WORKERS: usize = 4;
/// How often the pool looks for queued jobs when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// How many stored jobs one look reads; the tree holds in-flight jobs only.
const SCAN_LIMIT: usize = 256;
/// A report the engine could not take (the store re-opening) is retried this often, at most
/// this many times; after that the job stays marked started and the next start reports it
/// interrupted.
const REPORT_RETRY: Duration = Duration::from_millis(500);
const REPORT_ATTEMPTS: u32 = 20;
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
        let (applied, after) = job_finished(&job, outcome);
        pending.batch.jobs.push(match after {
            JobAfter::Done => JobWrite::Done(id),
            JobAfter::Requeue => JobWrite::Requeue(id),
        });
        match self.incident(pending, job.incident)? {
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
        let view = current.map(|body| match body {
            TrackedBody::Probe(view) => view,
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
    pub store: Arc<dyn Store>,
    pub engine: EngineHandle,
    pub clock: Arc<dyn Clock>,
    /// Checked again before each probe: a host removed from the allow-list since the job was
    /// queued is not fetched.
    pub probes: ProbePolicy,
    /// Woken by the engine when it commits new or re-queued jobs.
    pub wake: Arc<Notify>,
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
        // Before anything starts: every job marked started was cut off by the last stop.
        tokio::select! {
            () = pool.report_interrupted() => {}
            _ = shutdown.changed() => return,
        }
        let slots = Arc::new(Semaphore::new(JOB_WORKERS));
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

    async fn report_interrupted(&self) {
        let jobs = match self.store.jobs(usize::MAX) {
            Ok(jobs) => jobs,
            Err(error) => {
                warn!(%error, "Cannot read the jobs at start; interrupted ones are reported at the next start.");
                return;
            }
        };
        for job in jobs.into_iter().filter(|job| job.started_at.is_some()) {
            warn!(job = job.id, kind = job.kind.name(), incident = %job.incident, rerun = job.kind.idempotent(), "A job was running when warroom stopped; its outcome is unknown.");
            report(&self.engine, job.id, JobOutcome::Interrupted).await;
        }
    }

    async fn start_queued(
        self: &Arc<Self>,
        client: &reqwest::Client,
        slots: &Arc<Semaphore>,
        running: &Arc<Mutex<HashSet<JobId>>>,
        tasks: &mut JoinSet<()>,
    ) {
        let jobs = match self.store.jobs(SCAN_LIMIT) {
            Ok(jobs) => jobs,
            Err(error) => {
                debug!(%error, "Cannot read queued jobs; retried on the next look.");
                return;
            }
        };
        for job in jobs {
            let busy = lock(running).contains(&job.id);
            if job.started_at.is_some() || busy {
                continue;
            }
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                return;
            };
            // Durably started before it runs, so a crash from here on is reported.
            match self.store.mark_job_started(job.id, self.clock.now()) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    warn!(%error, job = job.id, "Cannot mark a job started; it waits.");
                    return;
                }
            }
            if let Err(error) = self.store.flush().await {
                // Marked started in memory only: it runs after the next start, reported
                // interrupted first, rather than running without the durable mark.
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
                report(&pool.engine, job.id, outcome).await;
                lock(&running).remove(&job.id);
                drop(slot);
                // A slot is free: look for the next job now, not at the next poll.
                pool.wake.notify_one();
            });
        }
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
            #[cfg(test)]
            JobKind::TestSideEffect => JobOutcome::Interrupted,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tells the engine how a job ended, retrying while the store re-opens.
async fn report(engine: &EngineHandle, job: JobId, outcome: JobOutcome) {
    for attempt in 1..=REPORT_ATTEMPTS {
        match engine.job_finished(job, outcome.clone()).await {
            Ok(()) => return,
            Err(EngineError::Stopped) => return,
            Err(error) => {
                debug!(%error, job, attempt, "A job's outcome could not be recorded yet.");
                tokio::time::sleep(REPORT_RETRY).await;
            }
        }
    }
    warn!(
        job,
        "A job's outcome could not be recorded; it is reported interrupted at the next start."
    );
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
            error: describe(&error),
            latency_ms: elapsed_ms(),
        },
        Err(_) => ProbeOutcome::TimedOut {
            latency_ms: elapsed_ms(),
        },
    }
}

/// An HTTP error without its URL (which may carry secrets in its query), with its cause.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_connect() {
        "connection failed".to_owned()
    } else if error.is_body() || error.is_decode() {
        "the response broke off".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    cut(&text)
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_DETAIL_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ProbeOutcome::Failed { error, .. } => {
                assert!(error.starts_with("connection failed"), "{error}");
                assert!(!error.contains("s3cret"), "{error}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
