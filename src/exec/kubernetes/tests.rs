use std::collections::BTreeMap;

use super::*;
use crate::domain::action::{ActionJob, ExecutorKind, RequestId};
use crate::domain::message::Arg;

fn service(min: Option<i32>, max: Option<i32>) -> ServiceDef {
    ServiceDef {
        name: "checkout-api".to_owned(),
        namespace: Some("shop".to_owned()),
        deployment: Some("checkout-api".to_owned()),
        min_replicas: min,
        max_replicas: max,
        ..ServiceDef::default()
    }
}

fn job(action: &str, replicas: Option<&str>, rollback_to: Option<i32>) -> ActionJob {
    let mut params = BTreeMap::from([("service".to_owned(), "checkout-api".to_owned())]);
    if let Some(replicas) = replicas {
        params.insert("replicas".to_owned(), replicas.to_owned());
    }
    ActionJob {
        request: RequestId(1),
        command: action.to_owned(),
        executor: ExecutorKind::Kubernetes,
        action: action.to_owned(),
        params,
        digest: String::new(),
        services: vec![service(Some(2), Some(10))],
        argv: Vec::new(),
        env: Vec::new(),
        timeout_ms: 1000,
        idempotent: true,
        rollback_to,
    }
}

/// (action, replicas param, rollback_to, min, max, expected: Ok(n) or Err(message id))
type ScaleCase<'a> = (
    &'a str,
    Option<&'a str>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Result<i32, &'a str>,
);

#[test]
fn scale_targets_are_checked_against_the_service_bounds() {
    let cases: &[ScaleCase] = &[
        ("scale", Some("3"), None, Some(2), Some(10), Ok(3)),
        ("scale", Some("2"), None, Some(2), Some(10), Ok(2)),
        ("scale", Some("10"), None, Some(2), Some(10), Ok(10)),
        ("scale", Some("0"), None, None, Some(10), Ok(0)),
        (
            "scale",
            Some("1"),
            None,
            Some(2),
            Some(10),
            Err("kube-replicas-below-min"),
        ),
        (
            "scale",
            Some("99"),
            None,
            Some(2),
            Some(10),
            Err("kube-replicas-above-max"),
        ),
        (
            "scale",
            Some("-1"),
            None,
            None,
            Some(10),
            Err("kube-replicas-below-min"),
        ),
        (
            "scale",
            Some("3"),
            None,
            Some(2),
            None,
            Err("kube-no-max-replicas"),
        ),
        (
            "scale",
            Some("three"),
            None,
            Some(2),
            Some(10),
            Err("kube-replicas-not-a-number"),
        ),
        (
            "scale",
            Some("99999999999"),
            None,
            Some(2),
            Some(10),
            Err("kube-replicas-not-a-number"),
        ),
        (
            "scale",
            None,
            None,
            Some(2),
            Some(10),
            Err("kube-replicas-missing"),
        ),
        (
            "scale-rollback",
            Some("4"),
            Some(4),
            Some(2),
            Some(10),
            Ok(4),
        ),
        ("scale-rollback", None, Some(4), Some(2), Some(10), Ok(4)),
        (
            "scale-rollback",
            Some("5"),
            Some(4),
            Some(2),
            Some(10),
            Err("kube-rollback-mismatch"),
        ),
        (
            "scale-rollback",
            Some("4"),
            None,
            Some(2),
            Some(10),
            Err("kube-no-rollback"),
        ),
        (
            "scale-rollback",
            None,
            Some(11),
            Some(2),
            Some(10),
            Err("kube-replicas-above-max"),
        ),
        (
            "scale-rollback",
            None,
            Some(1),
            Some(2),
            Some(10),
            Err("kube-replicas-below-min"),
        ),
    ];
    for (action, replicas, rollback_to, min, max, expected) in cases {
        let job = job(action, *replicas, *rollback_to);
        let got = scale_target(&job, &service(*min, *max)).map_err(|msg| msg.id);
        let expected = expected.map_err(str::to_owned);
        assert_eq!(
            got, expected,
            "{action} {replicas:?} rollback {rollback_to:?} in {min:?}..={max:?}"
        );
    }
}

#[test]
fn a_bound_refusal_names_the_value_the_service_and_the_limit() {
    let refusal = scale_target(&job("scale", Some("99"), None), &service(Some(2), Some(10)))
        .err()
        .unwrap();
    assert_eq!(refusal.id, "kube-replicas-above-max");
    assert!(
        refusal
            .args
            .contains(&("value".to_owned(), Arg::Text("99".to_owned())))
    );
    assert!(
        refusal
            .args
            .contains(&("service".to_owned(), Arg::Text("checkout-api".to_owned())))
    );
    assert!(refusal.args.contains(&("max".to_owned(), Arg::Number(10))));
}

#[test]
fn the_url_setting_is_checked_and_never_carries_credentials() {
    assert!(config_for_url("http://127.0.0.1:6443").is_ok());
    assert!(config_for_url("https://kubernetes.default.svc").is_ok());
    let refused = config_for_url("https://admin:hunter2@k8s.example:6443")
        .err()
        .unwrap();
    assert!(matches!(refused, ExecError::CredentialsInUrl));
    assert!(!refused.to_string().contains("hunter2"));
    assert!(matches!(
        config_for_url("not a url"),
        Err(ExecError::BadUrl { .. })
    ));
    assert!(matches!(
        config_for_url("ftp://k8s.example"),
        Err(ExecError::BadUrl { .. })
    ));
}

#[test]
fn the_server_is_named_without_user_info() {
    assert_eq!(
        server_of(&"https://u:p@k8s.example:6443/"),
        "https://k8s.example:6443"
    );
    assert_eq!(server_of(&"http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    assert_eq!(server_of(&"::"), "the API server");
}

#[test]
fn quoted_messages_are_one_bounded_line() {
    assert_eq!(quote("a\nb"), "a b");
    let long = "x".repeat(1000);
    assert_eq!(quote(&long).chars().count(), MAX_QUOTED_MESSAGE_CHARS + 1);
    assert_eq!(quote("短い"), "短い");
}
