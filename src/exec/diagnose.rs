//! The diagnose executor (link diagnosis): observes the service named and every service it
//! reaches through `depends_on` (the job's `services`: already bounded, cycle-free, the named
//! one first) — its health URL, its PromQL checks and its error logs, whichever are
//! configured — then ranks root-cause candidates with `domain::diagnosis`.
//!
//! Observations run concurrently (at most [`MAX_CONCURRENT_SERVICES`] services at once) and
//! all end by a deadline a little before the job's timeout, so a slow dependency costs its
//! own evidence (noted as not answering), never the whole diagnosis.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::info;

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus};
use crate::domain::diagnosis::{Evidence, ServiceFindings, rank, report};
use crate::domain::service::ServiceDef;
use crate::exec::Executor;
use crate::exec::http::{HealthCheck, HttpExecutor, finish, job_timeout, no_service};
use crate::exec::logs::{DEFAULT_LOG_WINDOW, LogsExecutor};
use crate::exec::prometheus::PrometheusExecutor;

/// Services observed at the same time.
pub const MAX_CONCURRENT_SERVICES: usize = 8;

/// Link diagnosis over whichever observing executors are configured.
#[derive(Clone, Default)]
pub struct DiagnoseExecutor {
    http: Option<HttpExecutor>,
    prometheus: Option<PrometheusExecutor>,
    logs: Option<LogsExecutor>,
}

impl DiagnoseExecutor {
    pub fn new(
        http: Option<HttpExecutor>,
        prometheus: Option<PrometheusExecutor>,
        logs: Option<LogsExecutor>,
    ) -> DiagnoseExecutor {
        DiagnoseExecutor {
            http,
            prometheus,
            logs,
        }
    }

    /// Everything observable about one service, each observation within `timeout`.
    pub async fn observe(&self, service: &ServiceDef, timeout: Duration) -> ServiceFindings {
        let health = async {
            match &self.http {
                Some(http) => Some(http.health(service, timeout).await),
                None => None,
            }
        };
        let checks = async {
            match &self.prometheus {
                Some(prometheus) if !service.checks.is_empty() => {
                    prometheus.checks(&service.checks, timeout).await
                }
                _ => Vec::new(),
            }
        };
        let logs = async {
            match &self.logs {
                Some(logs) => logs.errors(service, DEFAULT_LOG_WINDOW, timeout).await,
                None => None,
            }
        };
        let (health, checks, logs) = tokio::join!(health, checks, logs);
        let mut evidence = Vec::new();
        let mut notes = Vec::new();
        match health {
            Some(HealthCheck::Refused { url, refusal }) => {
                notes.push(format!("health {url} not fetched: {refusal}"))
            }
            Some(check) => evidence.extend(check.evidence()),
            None if service.health_url.is_some() => {
                notes.push("health_url set, but the http executor is not available".to_owned())
            }
            None => {}
        }
        if self.prometheus.is_none() && !service.checks.is_empty() {
            notes.push("checks set, but [prometheus] is not configured".to_owned());
        }
        evidence.extend(checks);
        match logs {
            Some(Ok((_, analysis))) => evidence.push(Evidence::from_logs(&analysis)),
            Some(Err(error)) => evidence.push(Evidence::LogsFailed {
                error: error.to_string(),
            }),
            None if self.logs.is_none() && service.log_selector.is_some() => {
                notes.push("log_selector set, but [logs] is not configured".to_owned())
            }
            None => {}
        }
        ServiceFindings {
            service: service.name.clone(),
            depends_on: service.depends_on.clone(),
            evidence,
            notes,
        }
    }

    /// Observes every service, at most [`MAX_CONCURRENT_SERVICES`] at once; findings in the
    /// services' order.
    pub async fn observe_all(
        &self,
        services: &[ServiceDef],
        timeout: Duration,
    ) -> Vec<ServiceFindings> {
        let permits = Arc::new(Semaphore::new(MAX_CONCURRENT_SERVICES));
        let deadline = tokio::time::Instant::now() + timeout;
        let mut tasks = JoinSet::new();
        for (index, service) in services.iter().enumerate() {
            let this = self.clone();
            let service = service.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = permits.acquire_owned().await.ok();
                // What is left of the time once this service's turn comes.
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                (
                    index,
                    this.observe(&service, left.max(Duration::from_millis(1)))
                        .await,
                )
            });
        }
        let mut out: Vec<Option<ServiceFindings>> = vec![None; services.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, findings)) = joined
                && let Some(slot) = out.get_mut(index)
            {
                *slot = Some(findings);
            }
        }
        out.into_iter()
            .zip(services)
            .map(|(findings, service)| {
                findings.unwrap_or_else(|| ServiceFindings {
                    service: service.name.clone(),
                    depends_on: service.depends_on.clone(),
                    evidence: Vec::new(),
                    notes: vec!["its observation ended without a result".to_owned()],
                })
            })
            .collect()
    }
}

#[async_trait]
impl Executor for DiagnoseExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        let Some(first) = job.service() else {
            return no_service(job, started);
        };
        let findings = self.observe_all(&job.services, job_timeout(job)).await;
        let diagnosis = rank(&findings);
        info!(
            service = %first.name,
            services = findings.len(),
            failing = diagnosis.candidates.len(),
            top = diagnosis.candidates.first().map(|c| c.service.as_str()).unwrap_or("-"),
            "Link diagnosis done."
        );
        finish(
            ActionStatus::Succeeded,
            diagnosis.summary(),
            diagnosis.details(),
            report(&diagnosis, &findings),
            started,
        )
    }
}
