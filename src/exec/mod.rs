//! Executors: what runs a catalogued command's job. Each executor takes an [`ActionJob`] (a
//! snapshot of the approved request) and reports an [`ActionOutcome`]: it never panics on
//! input, keeps within the job's timeout and bounds its output to
//! [`crate::domain::action::MAX_ACTION_OUTPUT_BYTES`], and words failures so a person can act
//! on them (without secrets).
//!
//! The job pool (`engine::jobs`) calls [`Executors::run`]; the engine applies the outcome.

pub mod diagnose;
pub mod http;
pub mod kubernetes;
pub mod logs;
pub mod prometheus;
pub mod shell;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tracing::warn;

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus, ExecutorKind};
use crate::domain::message::Msg;

/// Runs one kind of job.
#[async_trait]
pub trait Executor: Send + Sync {
    async fn run(&self, job: &ActionJob) -> ActionOutcome;
}

/// Where the executors reach their systems (`[kubernetes]`, `[prometheus]`, `[logs]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSettings {
    pub kubernetes: KubernetesSettings,
    pub prometheus: Option<PrometheusSettings>,
    pub logs: Option<LogsSettings>,
    /// Hosts the http executor may fetch (`[probes] allow_hosts`, one list for both).
    pub allow_hosts: Vec<crate::domain::probe::HostPattern>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubernetesSettings {
    /// The API server; `None`: in-cluster config, else `KUBECONFIG`.
    pub url: Option<String>,
    /// Ask the API server to validate without changing anything (`dryRun=All`).
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusSettings {
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsKind {
    Loki,
    Elasticsearch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsSettings {
    pub kind: LogsKind,
    pub url: String,
}

/// The executors warroom has, by kind. A kind with none configured refuses its jobs with a
/// message naming the missing config.
#[derive(Clone, Default)]
pub struct Executors {
    by_kind: BTreeMap<ExecutorKind, Arc<dyn Executor>>,
}

impl Executors {
    /// An empty set: every job is refused as not configured.
    pub fn none() -> Executors {
        Executors::default()
    }

    /// The same set with `executor` running jobs of `kind` (replacing any other).
    pub fn with(mut self, kind: ExecutorKind, executor: Arc<dyn Executor>) -> Executors {
        self.by_kind.insert(kind, executor);
        self
    }

    pub fn get(&self, kind: ExecutorKind) -> Option<&Arc<dyn Executor>> {
        self.by_kind.get(&kind)
    }

    /// Runs `job` on the executor of its kind.
    pub async fn run(&self, job: &ActionJob) -> ActionOutcome {
        match self.by_kind.get(&job.executor) {
            Some(executor) => executor.run(job).await,
            None => ActionOutcome {
                status: ActionStatus::Refused,
                summary: Msg::new("action-executor-missing").word(
                    "executor",
                    crate::domain::action::catalog::kind_word(job.executor),
                ),
                details: Vec::new(),
                output: String::new(),
                scale: None,
                duration_ms: 0,
            },
        }
    }
}

/// Builds every executor the settings allow; one that cannot be built is left out (its jobs
/// are refused as not configured) and logged.
pub async fn build(settings: &ExecSettings) -> Executors {
    let mut executors = Executors::none();
    let http = match http::HttpExecutor::new(settings.allow_hosts.clone()) {
        Ok(http) => Some(http),
        Err(error) => {
            warn!(%error, "The http executor cannot be built; health checks are refused.");
            None
        }
    };
    let prometheus = settings.prometheus.as_ref().and_then(|prometheus| {
        prometheus::PrometheusExecutor::new(prometheus)
            .inspect_err(|error| warn!(%error, "The prometheus executor cannot be built; its jobs are refused."))
            .ok()
    });
    let logs = settings.logs.as_ref().and_then(|logs| {
        logs::LogsExecutor::new(logs)
            .inspect_err(
                |error| warn!(%error, "The logs executor cannot be built; its jobs are refused."),
            )
            .ok()
    });
    if let Some(http) = &http {
        executors = executors.with(ExecutorKind::Http, Arc::new(http.clone()));
    }
    if let Some(prometheus) = &prometheus {
        executors = executors.with(ExecutorKind::Prometheus, Arc::new(prometheus.clone()));
    }
    if let Some(logs) = &logs {
        executors = executors.with(ExecutorKind::Logs, Arc::new(logs.clone()));
    }
    executors = executors.with(
        ExecutorKind::Diagnose,
        Arc::new(diagnose::DiagnoseExecutor::new(http, prometheus, logs)),
    );
    match kubernetes::KubernetesExecutor::connect(&settings.kubernetes).await {
        Ok(executor) => {
            executors = executors.with(ExecutorKind::Kubernetes, Arc::new(executor));
        }
        // Without [kubernetes] url, no cluster is an ordinary setup, not a fault.
        Err(error) if settings.kubernetes.url.is_none() => {
            tracing::info!(%error, "No Kubernetes cluster; kubernetes commands will be refused.");
        }
        Err(error) => {
            tracing::warn!(%error, "The kubernetes executor is not available; its commands will be refused.");
        }
    }
    executors = executors.with(ExecutorKind::Shell, Arc::new(shell::ShellExecutor::new()));
    executors
}
