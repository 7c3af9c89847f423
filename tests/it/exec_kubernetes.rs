//! The kubernetes executor against the fake API server (documented shapes): scale through
//! the scale subresource within the service's bounds, rollback, rollout restart, dry run,
//! and the failures a person must act on (404, 403, 409, 500, timeouts, connection refused).

use std::collections::BTreeMap;

use warroom::domain::action::{
    ActionJob, ActionOutcome, ActionStatus, ExecutorKind, RequestId, ScaleChange,
};
use warroom::domain::message::{Arg, Msg};
use warroom::domain::service::ServiceDef;
use warroom::exec::kubernetes::{
    KubernetesExecutor, REQUIRED_PERMISSIONS, RESTARTED_AT_ANNOTATION,
};
use warroom::exec::{Executor, KubernetesSettings};

use crate::support::fake_kube::{FakeKube, KubeCall, KubeFailure};

fn checkout() -> ServiceDef {
    ServiceDef {
        name: "checkout-api".to_owned(),
        namespace: Some("shop".to_owned()),
        deployment: Some("checkout-api".to_owned()),
        min_replicas: Some(2),
        max_replicas: Some(10),
        ..ServiceDef::default()
    }
}

fn job(action: &str, params: &[(&str, &str)]) -> ActionJob {
    let mut values: BTreeMap<String, String> = params
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    values.insert("service".to_owned(), "checkout-api".to_owned());
    ActionJob {
        request: RequestId(1),
        command: action.to_owned(),
        executor: ExecutorKind::Kubernetes,
        action: action.to_owned(),
        params: values,
        digest: "d".repeat(64),
        services: vec![checkout()],
        argv: Vec::new(),
        env: Vec::new(),
        timeout_ms: 5_000,
        idempotent: true,
        rollback_to: None,
    }
}

async fn executor(fake: &FakeKube, dry_run: bool) -> KubernetesExecutor {
    KubernetesExecutor::connect(&KubernetesSettings {
        url: Some(fake.url()),
        dry_run,
    })
    .await
    .unwrap()
}

fn text(msg: &Msg, name: &str) -> Option<String> {
    msg.args
        .iter()
        .find(|(arg, _)| arg == name)
        .map(|(_, value)| match value {
            Arg::Text(text) | Arg::Word(text) => text.clone(),
            Arg::Number(number) => number.to_string(),
            other => format!("{other:?}"),
        })
}

fn assert_summary(outcome: &ActionOutcome, status: ActionStatus, id: &str) {
    assert_eq!(
        (outcome.status, outcome.summary.id.as_str()),
        (status, id),
        "outcome {outcome:#?}"
    );
}

#[tokio::test]
async fn scale_reads_the_scale_subresource_then_patches_it_once() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    let outcome = executor(&fake, false)
        .await
        .run(&job("scale", &[("replicas", "3")]))
        .await;

    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scaled");
    assert_eq!(outcome.scale, Some(ScaleChange { from: 2, to: 3 }));
    assert_eq!(text(&outcome.summary, "namespace").as_deref(), Some("shop"));
    assert_eq!(text(&outcome.summary, "current").as_deref(), Some("2"));
    assert_eq!(text(&outcome.summary, "replicas").as_deref(), Some("3"));
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 3);
    assert_eq!(fake.count(KubeCall::GetScale), 1);
    assert_eq!(
        fake.count(KubeCall::PatchScale),
        1,
        "exactly one scale call"
    );
    assert_eq!(fake.count(KubeCall::PatchDeployment), 0);
    let patch = fake
        .requests()
        .into_iter()
        .find(|request| request.call == KubeCall::PatchScale)
        .unwrap();
    assert_eq!(
        patch.content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(
        patch.body,
        Some(serde_json::json!({ "spec": { "replicas": 3 } }))
    );
    assert!(!patch.query.unwrap_or_default().contains("dryRun"));
    assert!(
        outcome
            .output
            .contains("GET deployments/checkout-api/scale in shop: 2 replicas")
    );
}

#[tokio::test]
async fn out_of_bounds_counts_are_refused_before_any_call() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    let executor = executor(&fake, false).await;
    for (replicas, id) in [
        ("99", "kube-replicas-above-max"),
        ("11", "kube-replicas-above-max"),
        ("1", "kube-replicas-below-min"),
        ("-3", "kube-replicas-below-min"),
        ("3; rm -rf /", "kube-replicas-not-a-number"),
    ] {
        let outcome = executor.run(&job("scale", &[("replicas", replicas)])).await;
        assert_summary(&outcome, ActionStatus::Refused, id);
        assert_eq!(outcome.scale, None);
    }
    let mut unbounded = job("scale", &[("replicas", "3")]);
    unbounded.services[0].max_replicas = None;
    assert_summary(
        &executor.run(&unbounded).await,
        ActionStatus::Refused,
        "kube-no-max-replicas",
    );
    let mut no_deployment = job("scale", &[("replicas", "3")]);
    no_deployment.services[0].deployment = None;
    assert_summary(
        &executor.run(&no_deployment).await,
        ActionStatus::Refused,
        "kube-no-deployment",
    );
    assert!(
        fake.requests().is_empty(),
        "nothing reached the API server: {:?}",
        fake.requests()
    );
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 2);
}

#[tokio::test]
async fn scale_rollback_goes_back_to_the_count_fixed_at_request_time() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 6);
    let executor = executor(&fake, false).await;

    let mut rollback = job("scale-rollback", &[("replicas", "4")]);
    rollback.rollback_to = Some(4);
    let outcome = executor.run(&rollback).await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scaled");
    assert_eq!(outcome.scale, Some(ScaleChange { from: 6, to: 4 }));
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 4);

    let mut nothing_to_go_back_to = job("scale-rollback", &[]);
    nothing_to_go_back_to.rollback_to = None;
    assert_summary(
        &executor.run(&nothing_to_go_back_to).await,
        ActionStatus::Refused,
        "kube-no-rollback",
    );
    let mut mismatch = job("scale-rollback", &[("replicas", "5")]);
    mismatch.rollback_to = Some(4);
    assert_summary(
        &executor.run(&mismatch).await,
        ActionStatus::Refused,
        "kube-rollback-mismatch",
    );
    let mut outside = job("scale-rollback", &[]);
    outside.rollback_to = Some(40);
    assert_summary(
        &executor.run(&outside).await,
        ActionStatus::Refused,
        "kube-replicas-above-max",
    );
    assert_eq!(fake.count(KubeCall::PatchScale), 1);
}

#[tokio::test]
async fn scaling_to_the_current_count_changes_nothing_and_records_no_change() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 3);
    let outcome = executor(&fake, false)
        .await
        .run(&job("scale", &[("replicas", "3")]))
        .await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scale-unchanged");
    assert_eq!(outcome.scale, None);
    assert_eq!(fake.count(KubeCall::PatchScale), 0);
}

#[tokio::test]
async fn dry_run_asks_the_server_to_validate_and_changes_nothing() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    let executor = executor(&fake, true).await;

    let outcome = executor.run(&job("scale", &[("replicas", "5")])).await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scaled-dry-run");
    assert_eq!(outcome.scale, None, "a dry run leaves nothing to roll back");
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 2);

    let outcome = executor.run(&job("restart", &[])).await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-restarted-dry-run");
    assert!(
        fake.get("shop", "checkout-api")
            .unwrap()
            .template_annotations
            .is_empty()
    );

    let patches: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|request| request.call != KubeCall::GetScale)
        .collect();
    assert_eq!(patches.len(), 2);
    for patch in patches {
        assert!(
            patch
                .query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .any(|pair| pair == "dryRun=All"),
            "{patch:?}"
        );
    }
}

#[tokio::test]
async fn restart_patches_the_pod_template_annotation_like_kubectl() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 4);
    let outcome = executor(&fake, false).await.run(&job("restart", &[])).await;

    assert_summary(&outcome, ActionStatus::Succeeded, "kube-restarted");
    assert_eq!(fake.count(KubeCall::PatchDeployment), 1);
    assert_eq!(fake.count(KubeCall::PatchScale), 0);
    let patch = &fake.requests()[0];
    assert_eq!(
        patch.content_type.as_deref(),
        Some("application/strategic-merge-patch+json")
    );
    let restarted_at = fake
        .get("shop", "checkout-api")
        .unwrap()
        .template_annotations
        .get(RESTARTED_AT_ANNOTATION)
        .cloned()
        .unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&restarted_at).is_ok(),
        "{restarted_at}"
    );
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 4);
}

#[tokio::test]
async fn a_missing_deployment_names_namespace_and_name() {
    let fake = FakeKube::start().await;
    let outcome = executor(&fake, false)
        .await
        .run(&job("scale", &[("replicas", "3")]))
        .await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-not-found");
    assert_eq!(text(&outcome.summary, "namespace").as_deref(), Some("shop"));
    assert_eq!(
        text(&outcome.summary, "deployment").as_deref(),
        Some("checkout-api")
    );
    assert_eq!(fake.count(KubeCall::PatchScale), 0);
}

#[tokio::test]
async fn a_forbidden_call_says_which_verb_and_resource_the_rbac_lacks() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    fake.fail(KubeCall::PatchScale, KubeFailure::Status(403));
    let outcome = executor(&fake, false)
        .await
        .run(&job("scale", &[("replicas", "3")]))
        .await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-forbidden");
    assert_eq!(text(&outcome.summary, "verb").as_deref(), Some("patch"));
    assert_eq!(
        text(&outcome.summary, "resource").as_deref(),
        Some("deployments/scale")
    );
    assert_eq!(outcome.scale, None);

    fake.fail(KubeCall::PatchDeployment, KubeFailure::Status(403));
    let outcome = executor(&fake, false).await.run(&job("restart", &[])).await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-forbidden");
    assert_eq!(
        text(&outcome.summary, "resource").as_deref(),
        Some("deployments")
    );

    // The English message points at the RBAC file.
    let i18n = warroom::i18n::I18n::builtin().unwrap();
    assert!(
        i18n.render("en-US", &outcome.summary)
            .contains("deploy/kubernetes/rbac.yaml")
    );
}

#[tokio::test]
async fn conflicts_and_server_errors_are_failures_quoting_the_server() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    fake.fail(KubeCall::PatchScale, KubeFailure::Status(409));
    let executor = executor(&fake, false).await;
    let outcome = executor.run(&job("scale", &[("replicas", "3")])).await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-conflict");
    assert!(
        text(&outcome.summary, "message")
            .unwrap()
            .contains("the object has been modified")
    );

    fake.fail(KubeCall::PatchScale, KubeFailure::Status(500));
    let outcome = executor.run(&job("scale", &[("replicas", "3")])).await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-api-error");
    assert_eq!(text(&outcome.summary, "code").as_deref(), Some("500"));

    fake.fail(KubeCall::GetScale, KubeFailure::Raw500);
    let outcome = executor.run(&job("scale", &[("replicas", "3")])).await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-api-error");
    assert_eq!(text(&outcome.summary, "verb").as_deref(), Some("get"));
    // Each failed call was made once: no retries behind the approvers' back.
    assert_eq!(fake.count(KubeCall::PatchScale), 2);
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 2);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_naming_the_call_in_flight() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    fake.fail(KubeCall::PatchScale, KubeFailure::Hang);
    let mut slow = job("scale", &[("replicas", "3")]);
    slow.timeout_ms = 300;
    let outcome = executor(&fake, false).await.run(&slow).await;
    // The PATCH was sent: a re-read shows it not applied (yet), which is all one can say.
    assert_summary(&outcome, ActionStatus::TimedOut, "kube-scale-unconfirmed");
    assert_eq!(text(&outcome.summary, "seen").as_deref(), Some("2"));
    assert_eq!(text(&outcome.summary, "replicas").as_deref(), Some("3"));
    assert_eq!(outcome.scale, None);
    assert_eq!(fake.count(KubeCall::GetScale), 2, "read once more");
    let i18n = warroom::i18n::I18n::builtin().unwrap();
    let shown = i18n.render("en-US", &outcome.summary);
    assert!(shown.contains("may or may not"), "{shown}");
    assert!(!shown.contains("stopped"), "{shown}");

    // A server that never answers at all: the first read times out, naming the call.
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    fake.fail(KubeCall::GetScale, KubeFailure::Hang);
    let outcome = executor(&fake, false).await.run(&slow).await;
    assert_summary(&outcome, ActionStatus::TimedOut, "kube-timed-out");
    assert_eq!(text(&outcome.summary, "verb").as_deref(), Some("get"));
    assert_eq!(
        text(&outcome.summary, "resource").as_deref(),
        Some("deployments/scale")
    );
    assert_eq!(outcome.scale, None);
}

#[tokio::test]
async fn a_scale_applied_whose_answer_was_lost_is_confirmed_by_rereading() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    fake.fail(KubeCall::PatchScale, KubeFailure::ApplyThenHang);
    let mut slow = job("scale", &[("replicas", "3")]);
    slow.timeout_ms = 400;
    let outcome = executor(&fake, false).await.run(&slow).await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scaled-confirmed");
    // The previous count is kept, so scale-rollback can go back to it.
    assert_eq!(outcome.scale, Some(ScaleChange { from: 2, to: 3 }));
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 3);
    assert_eq!(
        fake.count(KubeCall::PatchScale),
        1,
        "the change is sent once"
    );
    assert_eq!(fake.count(KubeCall::GetScale), 2);
    let i18n = warroom::i18n::I18n::builtin().unwrap();
    let shown = i18n.render("en-US", &outcome.summary);
    assert!(shown.contains("confirmed"), "{shown}");
}

#[tokio::test]
async fn a_closed_port_is_reported_as_connection_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let executor = KubernetesExecutor::connect(&KubernetesSettings {
        url: Some(url.clone()),
        dry_run: false,
    })
    .await
    .unwrap();
    let outcome = executor.run(&job("scale", &[("replicas", "3")])).await;
    assert_summary(&outcome, ActionStatus::Failed, "kube-unreachable");
    assert_eq!(text(&outcome.summary, "server"), Some(url));
}

#[tokio::test]
async fn unknown_actions_are_refused() {
    let fake = FakeKube::start().await;
    let outcome = executor(&fake, false).await.run(&job("delete", &[])).await;
    assert_summary(&outcome, ActionStatus::Refused, "kube-unknown-action");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_shipped_rbac_grants_exactly_what_the_executor_uses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes/rbac.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut granted = Vec::new();
    let mut kinds = Vec::new();
    for document in text.split("\n---\n") {
        let value: serde_json::Value = serde_norway::from_str(document).unwrap();
        kinds.push(value["kind"].as_str().unwrap().to_owned());
        for rule in value["rules"].as_array().into_iter().flatten() {
            assert_eq!(rule["apiGroups"], serde_json::json!(["apps"]));
            for resource in rule["resources"].as_array().unwrap() {
                for verb in rule["verbs"].as_array().unwrap() {
                    granted.push((
                        verb.as_str().unwrap().to_owned(),
                        resource.as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
    }
    assert_eq!(kinds, ["ServiceAccount", "Role", "RoleBinding"]);
    let mut needed: Vec<(String, String)> = REQUIRED_PERMISSIONS
        .iter()
        .map(|(verb, resource)| (verb.to_string(), resource.to_string()))
        .collect();
    needed.sort();
    granted.sort();
    assert_eq!(granted, needed);
}

#[tokio::test]
async fn build_wires_the_kubernetes_and_shell_executors() {
    let fake = FakeKube::start().await;
    fake.deployment("shop", "checkout-api", 2);
    let executors = warroom::exec::build(&warroom::exec::ExecSettings {
        kubernetes: KubernetesSettings {
            url: Some(fake.url()),
            dry_run: false,
        },
        ..warroom::exec::ExecSettings::default()
    })
    .await;
    assert!(executors.get(ExecutorKind::Shell).is_some());
    let outcome = executors.run(&job("scale", &[("replicas", "5")])).await;
    assert_summary(&outcome, ActionStatus::Succeeded, "kube-scaled");
    assert_eq!(fake.get("shop", "checkout-api").unwrap().replicas, 5);

    // A configured URL that cannot be used leaves kubernetes jobs refused as not configured.
    let executors = warroom::exec::build(&warroom::exec::ExecSettings {
        kubernetes: KubernetesSettings {
            url: Some("https://admin:secret@k8s.example".to_owned()),
            dry_run: false,
        },
        ..warroom::exec::ExecSettings::default()
    })
    .await;
    let outcome = executors.run(&job("scale", &[("replicas", "5")])).await;
    assert_summary(&outcome, ActionStatus::Refused, "action-executor-missing");
}
