//! A fake Kubernetes API server (axum on a loopback port) for the kubernetes executor,
//! following the documented shapes:
//!
//! - `GET   /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale` → an `autoscaling/v1`
//!   `Scale`;
//! - `PATCH` the same path with a merge-patch or strategic-merge-patch body
//!   (`{"spec":{"replicas":N}}`) → the new `Scale`; `?dryRun=All` validates without changing;
//! - `PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}` (strategic merge of the pod
//!   template's annotations, as `kubectl rollout restart` sends) → the `apps/v1` `Deployment`;
//! - errors as `v1` `Status` objects (`kind: Status`, `status: Failure`, `reason`, `code`).
//!
//! It counts every call, records each request, and can be told to answer one kind of call
//! with 403/404/409/500 (a `Status`), a 500 with a non-`Status` body, or never at all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// One kind of call the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeCall {
    GetScale,
    PatchScale,
    PatchDeployment,
}

/// How the fake answers a kind of call it was told to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeFailure {
    /// A `Status` with this code (403, 404, 409, 500, …).
    Status(u16),
    /// A 500 whose body is not a `Status` (a proxy's HTML page).
    Raw500,
    /// Never answers.
    Hang,
    /// Applies the change (a scale PATCH), then never answers: a server that did the work
    /// but whose answer was lost. Other calls are served as usual.
    ApplyThenHang,
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct KubeRequest {
    pub call: KubeCall,
    pub namespace: String,
    pub name: String,
    pub content_type: Option<String>,
    pub query: Option<String>,
    pub body: Option<Value>,
    pub authorization: Option<String>,
    /// When the fake received it (for latency figures).
    pub at: std::time::Instant,
}

#[derive(Debug, Clone, Default)]
pub struct FakeDeployment {
    pub replicas: i32,
    pub template_annotations: BTreeMap<String, String>,
}

#[derive(Default)]
struct KubeState {
    deployments: BTreeMap<(String, String), FakeDeployment>,
    failures: Vec<(KubeCall, KubeFailure)>,
    requests: Vec<KubeRequest>,
}

type Shared = Arc<Mutex<KubeState>>;

pub struct FakeKube {
    state: Shared,
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeKube {
    pub async fn start() -> FakeKube {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Kubernetes API on 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state: Shared = Arc::default();
        let app = Router::new()
            .route(
                "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
                get(get_scale).patch(patch_scale),
            )
            .route(
                "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
                axum::routing::patch(patch_deployment),
            )
            .fallback(unknown_path)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeKube {
            state,
            url: format!("http://{addr}"),
            server,
        }
    }

    /// The API server URL to give `[kubernetes] url`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Adds (or replaces) a deployment with `replicas` replicas.
    pub fn deployment(&self, namespace: &str, name: &str, replicas: i32) {
        self.lock().deployments.insert(
            (namespace.to_owned(), name.to_owned()),
            FakeDeployment {
                replicas,
                ..FakeDeployment::default()
            },
        );
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<FakeDeployment> {
        self.lock()
            .deployments
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Answers every later `call` with `failure`.
    pub fn fail(&self, call: KubeCall, failure: KubeFailure) {
        self.lock().failures.push((call, failure));
    }

    pub fn requests(&self) -> Vec<KubeRequest> {
        self.lock().requests.clone()
    }

    /// How many calls of `call` it received (served or failed).
    pub fn count(&self, call: KubeCall) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|request| request.call == call)
            .count()
    }

    fn lock(&self) -> MutexGuard<'_, KubeState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn lock(state: &Shared) -> MutexGuard<'_, KubeState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records the request; the failure it must answer with, if told one.
fn record(state: &Shared, request: KubeRequest) -> Option<KubeFailure> {
    let mut state = lock(state);
    let call = request.call;
    state.requests.push(request);
    state
        .failures
        .iter()
        .rev()
        .find(|(failing, _)| *failing == call)
        .map(|(_, failure)| *failure)
}

fn request(
    call: KubeCall,
    namespace: &str,
    name: &str,
    headers: &HeaderMap,
    query: Option<String>,
    body: Option<Value>,
) -> KubeRequest {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|value: &axum::http::HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    KubeRequest {
        call,
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        content_type: header_text(header::CONTENT_TYPE),
        query,
        body,
        authorization: header_text(header::AUTHORIZATION),
        at: std::time::Instant::now(),
    }
}

async fn get_scale(
    State(state): State<Shared>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let seen = request(KubeCall::GetScale, &namespace, &name, &headers, query, None);
    if let Some(failure) = record(&state, seen) {
        return fail(failure, "get", "deployments/scale", &namespace, &name).await;
    }
    let replicas = lock(&state)
        .deployments
        .get(&(namespace.clone(), name.clone()))
        .map(|deployment| deployment.replicas);
    match replicas {
        Some(replicas) => Json200(scale(&namespace, &name, replicas)).into_response(),
        None => not_found(&name),
    }
}

async fn patch_scale(
    State(state): State<Shared>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let seen = request(
        KubeCall::PatchScale,
        &namespace,
        &name,
        &headers,
        query.clone(),
        parsed.clone(),
    );
    let content_type = seen.content_type.clone();
    let failure = record(&state, seen);
    let hang_after_applying = failure == Some(KubeFailure::ApplyThenHang);
    if let Some(failure) = failure.filter(|_| !hang_after_applying) {
        return fail(failure, "patch", "deployments/scale", &namespace, &name).await;
    }
    if let Some(refusal) = unsupported_patch(content_type.as_deref()) {
        return refusal;
    }
    let Some(replicas) = parsed
        .as_ref()
        .and_then(|body| body.pointer("/spec/replicas"))
        .and_then(Value::as_i64)
        .and_then(|replicas| i32::try_from(replicas).ok())
    else {
        return status(422, "Invalid", "spec.replicas: Required value");
    };
    let dry_run = is_dry_run(query.as_deref());
    // The lock is released before any wait (the guard is not Send).
    let found = {
        let mut state = lock(&state);
        match state
            .deployments
            .get_mut(&(namespace.clone(), name.clone()))
        {
            Some(deployment) => {
                if !dry_run {
                    deployment.replicas = replicas;
                }
                true
            }
            None => false,
        }
    };
    if !found {
        return not_found(&name);
    }
    if hang_after_applying {
        std::future::pending::<()>().await;
    }
    Json200(scale(&namespace, &name, replicas)).into_response()
}

async fn patch_deployment(
    State(state): State<Shared>,
    Path((namespace, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let seen = request(
        KubeCall::PatchDeployment,
        &namespace,
        &name,
        &headers,
        query.clone(),
        parsed.clone(),
    );
    let content_type = seen.content_type.clone();
    if let Some(failure) = record(&state, seen) {
        return fail(failure, "patch", "deployments", &namespace, &name).await;
    }
    if let Some(refusal) = unsupported_patch(content_type.as_deref()) {
        return refusal;
    }
    let annotations: BTreeMap<String, String> = parsed
        .as_ref()
        .and_then(|body| body.pointer("/spec/template/metadata/annotations"))
        .and_then(|annotations| serde_json::from_value(annotations.clone()).ok())
        .unwrap_or_default();
    let dry_run = is_dry_run(query.as_deref());
    let mut state = lock(&state);
    let Some(deployment) = state
        .deployments
        .get_mut(&(namespace.clone(), name.clone()))
    else {
        return not_found(&name);
    };
    let mut after = deployment.clone();
    after.template_annotations.extend(annotations);
    if !dry_run {
        *deployment = after.clone();
    }
    Json200(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace, "generation": 2 },
        "spec": {
            "replicas": after.replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": {
                    "labels": { "app": name },
                    "annotations": after.template_annotations,
                },
                "spec": { "containers": [{ "name": name, "image": format!("example/{name}:1") }] }
            }
        },
        "status": { "replicas": after.replicas }
    }))
    .into_response()
}

async fn unknown_path() -> Response {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn is_dry_run(query: Option<&str>) -> bool {
    query
        .unwrap_or_default()
        .split('&')
        .any(|pair| pair == "dryRun=All")
}

/// The API server accepts JSON, merge and strategic-merge patches (and apply, unused here).
fn unsupported_patch(content_type: Option<&str>) -> Option<Response> {
    match content_type {
        Some(
            "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/json-patch+json",
        ) => None,
        other => Some(status(
            415,
            "UnsupportedMediaType",
            &format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {other:?})"
            ),
        )),
    }
}

async fn fail(
    failure: KubeFailure,
    verb: &str,
    resource: &str,
    namespace: &str,
    name: &str,
) -> Response {
    match failure {
        KubeFailure::Hang | KubeFailure::ApplyThenHang => std::future::pending().await,
        KubeFailure::Raw500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>upstream connect error</body></html>",
        )
            .into_response(),
        KubeFailure::Status(403) => status(
            403,
            "Forbidden",
            &format!(
                "{resource}.apps \"{name}\" is forbidden: User \"system:serviceaccount:ops:warroom\" cannot {verb} resource \"{resource}\" in API group \"apps\" in the namespace \"{namespace}\""
            ),
        ),
        KubeFailure::Status(404) => not_found(name),
        KubeFailure::Status(409) => status(
            409,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on deployments.apps \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        ),
        KubeFailure::Status(code) => status(
            code,
            "InternalError",
            "Internal error occurred: etcdserver: request timed out",
        ),
    }
}

fn not_found(name: &str) -> Response {
    status(
        404,
        "NotFound",
        &format!("deployments.apps \"{name}\" not found"),
    )
}

/// A `v1` `Status`, as the API server sends for every error.
fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": { "group": "apps", "kind": "deployments" },
        "code": code,
    });
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(body)).into_response()
}

fn scale(namespace: &str, name: &str, replicas: i32) -> Value {
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": { "name": name, "namespace": namespace, "resourceVersion": "1" },
        "spec": { "replicas": replicas },
        "status": { "replicas": replicas, "selector": format!("app={name}") }
    })
}

struct Json200(Value);

impl IntoResponse for Json200 {
    fn into_response(self) -> Response {
        (StatusCode::OK, axum::Json(self.0)).into_response()
    }
}
