//! The kubernetes executor: scale a service's deployment through the scale subresource,
//! scale it back (`scale-rollback`), and rollout-restart it, with kube-rs.
//!
//! Bounds are checked again here, before any call, even though the binder checked them: what
//! reaches the API server must be within the service's `min_replicas..=max_replicas` whatever
//! path the job took. Every failure is worded so a person can act on it (which verb on which
//! resource the RBAC lacks, which namespace/deployment was missing) and never carries a token.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Config};
use tracing::{info, warn};

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus, ScaleChange};
use crate::domain::message::Msg;
use crate::domain::service::ServiceDef;
use crate::exec::KubernetesSettings;

/// The permissions the executor uses, as `(verb, resource)` in API group `apps`; the RBAC in
/// `deploy/kubernetes/rbac.yaml` must grant each (a test checks it does).
pub const REQUIRED_PERMISSIONS: &[(&str, &str)] = &[
    ("get", "deployments/scale"),
    ("patch", "deployments/scale"),
    ("patch", "deployments"),
];

/// The pod template annotation `kubectl rollout restart` sets; changing it rolls the pods.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";

/// The most of an API server's error message an outcome quotes.
const MAX_QUOTED_MESSAGE_CHARS: usize = 300;

/// Why the executor could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("[kubernetes] url is not a usable URL: {reason}")]
    BadUrl { reason: String },
    #[error(
        "[kubernetes] url must not carry a user name or password; use a service account token or a kubeconfig"
    )]
    CredentialsInUrl,
    #[error(
        "no Kubernetes configuration: not running in a cluster and no usable KUBECONFIG ({reason})"
    )]
    NoConfig { reason: String },
    #[error("cannot build the Kubernetes client: {reason}")]
    Client { reason: String },
}

/// Runs `executor = "kubernetes"` jobs (actions `scale`, `scale-rollback`, `restart`).
pub struct KubernetesExecutor {
    client: Client,
    /// The API server, as `scheme://host:port` only (for messages; never credentials).
    server: String,
    dry_run: bool,
}

impl std::fmt::Debug for KubernetesExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesExecutor")
            .field("server", &self.server)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

impl KubernetesExecutor {
    /// Connects to `settings.url` when set (plain http is allowed, for tests and local
    /// proxies such as `kubectl proxy`), else the in-cluster service account, else
    /// `KUBECONFIG` (or `~/.kube/config`).
    pub async fn connect(settings: &KubernetesSettings) -> Result<KubernetesExecutor, ExecError> {
        let mut config = match &settings.url {
            Some(url) => config_for_url(url)?,
            None => match Config::incluster() {
                Ok(config) => config,
                Err(in_cluster) => Config::infer().await.map_err(|error| ExecError::NoConfig {
                    reason: format!("in-cluster: {in_cluster}; kubeconfig: {error}"),
                })?,
            },
        };
        // The job's own timeout bounds every call, and each approved change is sent once:
        // a retry layer would repeat calls behind the approvers' back and eat the timeout.
        config.default_retry = false;
        let server = server_of(&config.cluster_url);
        let client = Client::try_from(config).map_err(|error| ExecError::Client {
            reason: error.to_string(),
        })?;
        info!(server = %server, dry_run = settings.dry_run, "Kubernetes executor ready.");
        Ok(KubernetesExecutor {
            client,
            server,
            dry_run: settings.dry_run,
        })
    }

    async fn run_action(&self, job: &ActionJob, deadline: tokio::time::Instant) -> Finished {
        let Some(service) = job.service() else {
            return Finished::refused(Msg::new("kube-no-service").word("command", &job.command));
        };
        let Some(deployment) = service.deployment.clone() else {
            return Finished::refused(
                Msg::new("kube-no-deployment").outside("service", &service.name),
            );
        };
        let namespace = service
            .namespace
            .clone()
            .unwrap_or_else(|| self.client.default_namespace().to_owned());
        let target = Target {
            namespace,
            deployment,
        };
        match job.action.as_str() {
            "scale" | "scale-rollback" => match scale_target(job, service) {
                Ok(replicas) => self.scale(&target, replicas, deadline).await,
                Err(refusal) => Finished::refused(refusal),
            },
            "restart" => self.restart(&target, deadline).await,
            other => Finished::refused(
                Msg::new("kube-unknown-action")
                    .outside("name", other)
                    .word("command", &job.command),
            ),
        }
    }

    async fn scale(
        &self,
        target: &Target,
        replicas: i32,
        deadline: tokio::time::Instant,
    ) -> Finished {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &target.namespace);
        let step = Step::new("get", "deployments/scale");
        let current = match call(deadline, api.get_scale(&target.deployment)).await {
            Ok(scale) => scale.spec.and_then(|spec| spec.replicas).unwrap_or(0),
            Err(failure) => return self.failed(target, step, failure),
        };
        let mut output = format!(
            "GET deployments/{}/scale in {}: {current} replicas\n",
            target.deployment, target.namespace
        );
        if current == replicas && !self.dry_run {
            return Finished {
                status: ActionStatus::Succeeded,
                summary: target
                    .words(Msg::new("kube-scale-unchanged"))
                    .number("replicas", count(replicas)),
                output,
                scale: None,
            };
        }
        let params = PatchParams {
            dry_run: self.dry_run,
            ..PatchParams::default()
        };
        let patch = serde_json::json!({ "spec": { "replicas": replicas } });
        let step = Step::new("patch", "deployments/scale");
        // Part of the time is kept back: a PATCH that gets no answer may still have been
        // applied, and a re-read is the only way to know.
        let patch_deadline = deadline
            .checked_sub(reread_reserve(deadline))
            .unwrap_or(deadline);
        let patched = match call(
            patch_deadline,
            api.patch_scale(&target.deployment, &params, &Patch::Merge(&patch)),
        )
        .await
        {
            Ok(scale) => scale
                .spec
                .and_then(|spec| spec.replicas)
                .unwrap_or(replicas),
            Err(failure @ (CallFailure::TimedOut | CallFailure::Transport(_))) if !self.dry_run => {
                return self
                    .confirm_by_rereading(
                        &api, target, current, replicas, failure, output, deadline,
                    )
                    .await;
            }
            Err(failure) => return self.failed(target, step, failure),
        };
        output.push_str(&format!(
            "PATCH deployments/{}/scale {patch}{}: {patched} replicas\n",
            target.deployment,
            if self.dry_run { " (dryRun=All)" } else { "" },
        ));
        let summary = if self.dry_run {
            Msg::new("kube-scaled-dry-run")
        } else {
            Msg::new("kube-scaled")
        };
        info!(
            namespace = %target.namespace,
            deployment = %target.deployment,
            from = current,
            to = replicas,
            dry_run = self.dry_run,
            "Deployment scaled."
        );
        Finished {
            status: ActionStatus::Succeeded,
            summary: target
                .words(summary)
                .number("current", count(current))
                .number("replicas", count(replicas)),
            output,
            // A dry run changed nothing, so there is nothing to roll back to.
            scale: (!self.dry_run).then_some(ScaleChange {
                from: current,
                to: replicas,
            }),
        }
    }

    /// After a PATCH that got no answer (or whose connection broke once it was sent): reads
    /// the scale once more. Showing the target, the change was applied and is reported with
    /// its `ScaleChange` (so `scale-rollback` knows the count to go back to); otherwise
    /// nobody can say whether it was or will be applied, and the outcome says so.
    #[allow(clippy::too_many_arguments)]
    async fn confirm_by_rereading(
        &self,
        api: &Api<Deployment>,
        target: &Target,
        current: i32,
        replicas: i32,
        failure: CallFailure,
        mut output: String,
        deadline: tokio::time::Instant,
    ) -> Finished {
        output.push_str(&format!(
            "PATCH deployments/{}/scale {{\"spec\":{{\"replicas\":{replicas}}}}}: {failure}\n",
            target.deployment
        ));
        let reread = call(deadline, api.get_scale(&target.deployment)).await;
        let seen = match &reread {
            Ok(scale) => scale.spec.as_ref().and_then(|spec| spec.replicas),
            Err(_) => None,
        };
        match &reread {
            Ok(_) => output.push_str(&format!(
                "GET deployments/{}/scale again: {} replicas\n",
                target.deployment,
                seen.map_or_else(|| "no".to_owned(), |seen| seen.to_string())
            )),
            Err(error) => output.push_str(&format!(
                "GET deployments/{}/scale again: {error}\n",
                target.deployment
            )),
        }
        if seen == Some(replicas) {
            info!(
                namespace = %target.namespace,
                deployment = %target.deployment,
                from = current,
                to = replicas,
                %failure,
                "Deployment scaled; the PATCH got no answer and a re-read confirmed it."
            );
            return Finished {
                status: ActionStatus::Succeeded,
                summary: target
                    .words(Msg::new("kube-scaled-confirmed"))
                    .number("current", count(current))
                    .number("replicas", count(replicas)),
                output,
                scale: Some(ScaleChange {
                    from: current,
                    to: replicas,
                }),
            };
        }
        warn!(
            namespace = %target.namespace,
            deployment = %target.deployment,
            to = replicas,
            seen = ?seen,
            %failure,
            "A scale PATCH got no answer and a re-read did not show it applied."
        );
        let summary = target
            .words(Msg::new("kube-scale-unconfirmed"))
            .number("replicas", count(replicas));
        let summary = match seen {
            Some(seen) => summary.number("seen", count(seen)),
            None => summary.outside("seen", "?"),
        };
        Finished {
            status: match failure {
                CallFailure::TimedOut => ActionStatus::TimedOut,
                _ => ActionStatus::Failed,
            },
            summary,
            output,
            scale: None,
        }
    }

    async fn restart(&self, target: &Target, deadline: tokio::time::Instant) -> Finished {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), &target.namespace);
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // What `kubectl rollout restart` sends: a new pod template annotation, so the
        // deployment controller replaces the pods at its own pace.
        let patch = serde_json::json!({
            "spec": { "template": { "metadata": { "annotations": {
                RESTARTED_AT_ANNOTATION: at
            } } } }
        });
        let params = PatchParams {
            dry_run: self.dry_run,
            ..PatchParams::default()
        };
        let step = Step::new("patch", "deployments");
        if let Err(failure) = call(
            deadline,
            api.patch(&target.deployment, &params, &Patch::Strategic(&patch)),
        )
        .await
        {
            return self.failed(target, step, failure);
        }
        info!(
            namespace = %target.namespace,
            deployment = %target.deployment,
            dry_run = self.dry_run,
            "Deployment restart requested."
        );
        let summary = if self.dry_run {
            Msg::new("kube-restarted-dry-run")
        } else {
            Msg::new("kube-restarted")
        };
        Finished {
            status: ActionStatus::Succeeded,
            summary: target.words(summary),
            output: format!(
                "PATCH deployments/{} in {} {patch}{}\n",
                target.deployment,
                target.namespace,
                if self.dry_run { " (dryRun=All)" } else { "" },
            ),
            scale: None,
        }
    }

    /// Words a failed call; logs it without anything secret (kube errors carry no tokens;
    /// the server is shown as scheme://host:port only).
    fn failed(&self, target: &Target, step: Step, failure: CallFailure) -> Finished {
        let summary = match &failure {
            CallFailure::TimedOut => {
                return Finished {
                    status: ActionStatus::TimedOut,
                    summary: step.words(target.words(Msg::new("kube-timed-out"))),
                    output: String::new(),
                    scale: None,
                };
            }
            CallFailure::Api { code: 404, .. } => target.words(Msg::new("kube-not-found")),
            CallFailure::Api { code: 403, .. } => {
                step.words(target.words(Msg::new("kube-forbidden")))
            }
            CallFailure::Api { code: 401, .. } => {
                Msg::new("kube-unauthorized").word("server", &self.server)
            }
            CallFailure::Api {
                code: 409, message, ..
            } => target
                .words(Msg::new("kube-conflict"))
                .outside("message", quote(message)),
            CallFailure::Api { code, message } => step
                .words(target.words(Msg::new("kube-api-error")))
                .number("code", u64::from(*code))
                .outside("message", quote(message)),
            CallFailure::Refused => Msg::new("kube-unreachable").word("server", &self.server),
            CallFailure::Transport(error) => Msg::new("kube-transport-error")
                .word("server", &self.server)
                .outside("error", quote(error)),
        };
        warn!(
            namespace = %target.namespace,
            deployment = %target.deployment,
            verb = step.verb,
            resource = step.resource,
            failure = %failure,
            "Kubernetes call failed."
        );
        Finished {
            status: ActionStatus::Failed,
            summary,
            output: format!(
                "{} {} {}/{}: {failure}\n",
                step.verb, step.resource, target.namespace, target.deployment
            ),
            scale: None,
        }
    }
}

#[async_trait]
impl crate::exec::Executor for KubernetesExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(job.timeout_ms.max(1));
        let finished = self.run_action(job, deadline).await;
        ActionOutcome {
            status: finished.status,
            summary: finished.summary,
            details: Vec::new(),
            output: finished.output,
            scale: finished.scale,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The most time kept back from a scale PATCH for re-reading the scale when it gets no
/// answer.
const MAX_REREAD_RESERVE: Duration = Duration::from_secs(5);

/// How much of the time left is kept for the re-read: a quarter, at most
/// [`MAX_REREAD_RESERVE`].
fn reread_reserve(deadline: tokio::time::Instant) -> Duration {
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    (left / 4).min(MAX_REREAD_RESERVE)
}

/// The replica count a `scale` or `scale-rollback` job asks for, checked against the
/// service's bounds; a refusal names the rule.
pub fn scale_target(job: &ActionJob, service: &ServiceDef) -> Result<i32, Msg> {
    let named = job.params.get("replicas");
    let replicas = if job.action == "scale-rollback" {
        let Some(previous) = job.rollback_to else {
            return Err(Msg::new("kube-no-rollback").outside("service", &service.name));
        };
        // Approvers approved the number in the parameters; the job must go back to exactly it.
        if let Some(named) = named
            && named.trim().parse::<i32>().ok() != Some(previous)
        {
            return Err(Msg::new("kube-rollback-mismatch")
                .outside("service", &service.name)
                .outside("value", named.as_str())
                .number("replicas", count(previous)));
        }
        previous
    } else {
        let Some(named) = named else {
            return Err(Msg::new("kube-replicas-missing").word("command", &job.command));
        };
        match named.trim().parse::<i32>() {
            Ok(replicas) => replicas,
            Err(_) => {
                return Err(Msg::new("kube-replicas-not-a-number").outside("value", named.as_str()));
            }
        }
    };
    let Some(max) = service.max_replicas else {
        return Err(Msg::new("kube-no-max-replicas").outside("service", &service.name));
    };
    let min = service.min_replicas.unwrap_or(0).max(0);
    if replicas < min {
        return Err(Msg::new("kube-replicas-below-min")
            .outside("service", &service.name)
            .outside("value", replicas.to_string())
            .number("min", count(min)));
    }
    if replicas > max {
        return Err(Msg::new("kube-replicas-above-max")
            .outside("service", &service.name)
            .outside("value", replicas.to_string())
            .number("max", count(max)));
    }
    Ok(replicas)
}

/// The deployment a job acts on.
struct Target {
    namespace: String,
    deployment: String,
}

impl Target {
    fn words(&self, msg: Msg) -> Msg {
        msg.outside("namespace", &self.namespace)
            .outside("deployment", &self.deployment)
    }
}

/// The call in flight, as RBAC names it.
#[derive(Clone, Copy)]
struct Step {
    verb: &'static str,
    resource: &'static str,
}

impl Step {
    fn new(verb: &'static str, resource: &'static str) -> Step {
        Step { verb, resource }
    }

    fn words(self, msg: Msg) -> Msg {
        msg.word("verb", self.verb).word("resource", self.resource)
    }
}

struct Finished {
    status: ActionStatus,
    summary: Msg,
    output: String,
    scale: Option<ScaleChange>,
}

impl Finished {
    fn refused(summary: Msg) -> Finished {
        Finished {
            status: ActionStatus::Refused,
            summary,
            output: String::new(),
            scale: None,
        }
    }
}

/// A failed API call, sorted by what a person does about it.
#[derive(Debug, thiserror::Error)]
enum CallFailure {
    #[error("no answer before the job's timeout")]
    TimedOut,
    #[error("{code}: {message}")]
    Api { code: u16, message: String },
    #[error("connection refused")]
    Refused,
    #[error("{0}")]
    Transport(String),
}

async fn call<T>(
    deadline: tokio::time::Instant,
    request: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, CallFailure> {
    match tokio::time::timeout_at(deadline, request).await {
        Err(_elapsed) => Err(CallFailure::TimedOut),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(kube::Error::Api(status))) => Err(CallFailure::Api {
            code: status.code,
            message: status.message.clone(),
        }),
        Ok(Err(error)) => Err(transport_failure(&error)),
    }
}

fn transport_failure(error: &kube::Error) -> CallFailure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return CallFailure::Refused;
        }
        source = current.source();
    }
    // The chain's innermost causes say the most ("tcp connect error: …"); kube's errors
    // carry no credentials.
    let mut words = vec![error.to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(current) = source {
        words.push(current.to_string());
        source = current.source();
    }
    CallFailure::Transport(words.join(": "))
}

fn config_for_url(url: &str) -> Result<Config, ExecError> {
    let parsed = url::Url::parse(url).map_err(|error| ExecError::BadUrl {
        reason: error.to_string(),
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ExecError::CredentialsInUrl);
    }
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ExecError::BadUrl {
            reason: format!(
                "{} is not an http(s) URL with a host",
                server_of_url(&parsed)
            ),
        });
    }
    let uri = url.parse().map_err(|_| ExecError::BadUrl {
        reason: format!("{} is not a valid URI", server_of_url(&parsed)),
    })?;
    Ok(Config::new(uri))
}

/// `scheme://host:port` of the API server, for messages (a kubeconfig's server URL may
/// carry user info; only scheme, host and port are shown).
fn server_of(cluster_url: &impl std::fmt::Display) -> String {
    match url::Url::parse(&cluster_url.to_string()) {
        Ok(url) => server_of_url(&url),
        Err(_) => "the API server".to_owned(),
    }
}

fn server_of_url(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => format!("a {} URL", url.scheme()),
    }
}

/// A replica count as a message number (counts below 0 never pass the bounds check).
fn count(replicas: i32) -> u64 {
    u64::try_from(replicas).unwrap_or(0)
}

/// At most [`MAX_QUOTED_MESSAGE_CHARS`] of an outside message, on one line.
fn quote(message: &str) -> String {
    let one_line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(MAX_QUOTED_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests;
