use super::*;
use crate::domain::logs::LogPattern;

fn health(status: Option<u16>) -> Evidence {
    Evidence::Health {
        url: "http://svc/healthz".to_owned(),
        status,
        latency_ms: 5,
        error: status.is_none().then(|| "connection refused".to_owned()),
    }
}

fn check(value: Option<f64>, max: Option<f64>) -> Evidence {
    Evidence::Check {
        name: "error_rate".to_owned(),
        value,
        min: None,
        max,
        error: None,
    }
}

fn logs(errors: u64, patterns: &[LogPattern]) -> Evidence {
    Evidence::Logs {
        lines: errors,
        errors,
        patterns: patterns
            .iter()
            .map(|&pattern| PatternCount { pattern, count: 1 })
            .collect(),
    }
}

fn service(name: &str, depends_on: &[&str], evidence: Vec<Evidence>) -> ServiceFindings {
    ServiceFindings {
        service: name.to_owned(),
        depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
        evidence,
        notes: Vec::new(),
    }
}

fn ok() -> Vec<Evidence> {
    vec![health(Some(200))]
}

fn down() -> Vec<Evidence> {
    vec![health(Some(503))]
}

#[test]
fn evidence_verdicts() {
    let table: &[(Evidence, Verdict)] = &[
        (health(Some(200)), Verdict::Healthy),
        (health(Some(204)), Verdict::Healthy),
        (health(Some(301)), Verdict::Breached),
        (health(Some(503)), Verdict::Breached),
        (health(None), Verdict::Breached),
        (check(Some(0.01), Some(0.05)), Verdict::Healthy),
        (check(Some(0.05), Some(0.05)), Verdict::Healthy),
        (check(Some(0.12), Some(0.05)), Verdict::Breached),
        (check(None, Some(0.05)), Verdict::Unknown),
        (check(Some(f64::NAN), Some(0.05)), Verdict::Unknown),
        (
            Evidence::Check {
                name: "replicas_ready".to_owned(),
                value: Some(1.0),
                min: Some(2.0),
                max: None,
                error: None,
            },
            Verdict::Breached,
        ),
        (
            Evidence::Check {
                name: "x".to_owned(),
                value: Some(9.0),
                min: None,
                max: Some(1.0),
                error: Some("bad_data: parse error".to_owned()),
            },
            Verdict::Unknown,
        ),
        (logs(3, &[]), Verdict::Healthy),
        (logs(10, &[]), Verdict::Breached),
        (logs(1, &[LogPattern::PoolExhausted]), Verdict::Breached),
        (
            Evidence::LogsFailed {
                error: "HTTP 500".to_owned(),
            },
            Verdict::Unknown,
        ),
    ];
    for (evidence, verdict) in table {
        assert_eq!(evidence.verdict(), *verdict, "{evidence:?}");
    }
}

/// Each case: the services (first = the one diagnosed), and the expected ranking as
/// (service, likely cause).
#[test]
fn ranking_puts_the_deepest_failing_link_with_healthy_dependencies_first() {
    type Case = (
        &'static str,
        Vec<ServiceFindings>,
        Vec<(&'static str, bool)>,
    );
    let cases: Vec<Case> = vec![
        (
            "a chain failing all the way down: the bottom is the cause",
            vec![
                service("checkout", &["payments"], down()),
                service("payments", &["postgres"], down()),
                service("postgres", &[], vec![check(Some(0.9), Some(0.5))]),
            ],
            vec![("postgres", true), ("payments", false), ("checkout", false)],
        ),
        (
            "the service alone fails while its dependencies are healthy",
            vec![
                service("checkout", &["payments", "postgres"], down()),
                service("payments", &[], ok()),
                service("postgres", &[], ok()),
            ],
            vec![("checkout", true)],
        ),
        (
            "a failing dependency behind a healthy one is an independent cause",
            vec![
                service("checkout", &["payments"], down()),
                service("payments", &["bank"], ok()),
                service("bank", &[], vec![logs(1, &[LogPattern::Timeout])]),
            ],
            // checkout's evidence (health 3) outweighs bank's logs (1).
            vec![("checkout", true), ("bank", true)],
        ),
        (
            "an unobserved dependency is looked through",
            vec![
                service("checkout", &["gateway"], down()),
                service("gateway", &["bank"], vec![]),
                service("bank", &[], down()),
            ],
            vec![("bank", true), ("checkout", false)],
        ),
        (
            "among likely causes, equal weight: the deeper link first",
            vec![
                service("checkout", &["payments", "cache"], down()),
                service("payments", &["postgres"], ok()),
                service("cache", &[], ok()),
                service("postgres", &[], down()),
            ],
            vec![("postgres", true), ("checkout", true)],
        ),
        (
            "two failing leaves: the stronger evidence first, then the name",
            vec![
                service("checkout", &["a", "b", "c"], ok()),
                service("a", &[], vec![logs(50, &[])]),
                service("b", &[], down()),
                service("c", &[], down()),
            ],
            vec![("b", true), ("c", true), ("a", true)],
        ),
        (
            "a cycle of failing services has no single cause and still ends",
            vec![service("a", &["b"], down()), service("b", &["a"], down())],
            vec![("b", false), ("a", false)],
        ),
        (
            "all healthy",
            vec![service("a", &["b"], ok()), service("b", &[], ok())],
            vec![],
        ),
        ("nothing", vec![], vec![]),
    ];
    for (name, findings, expected) in cases {
        let diagnosis = rank(&findings);
        let got: Vec<(&str, bool)> = diagnosis
            .candidates
            .iter()
            .map(|c| (c.service.as_str(), c.likely_cause))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn candidates_carry_depth_failing_dependencies_and_strongest_evidence_first() {
    let findings = vec![
        service(
            "checkout",
            &["payments"],
            vec![
                logs(20, &[]),
                health(Some(500)),
                check(Some(0.2), Some(0.05)),
            ],
        ),
        service("payments", &[], down()),
    ];
    let diagnosis = rank(&findings);
    let checkout = diagnosis
        .candidates
        .iter()
        .find(|c| c.service == "checkout")
        .unwrap();
    assert_eq!(checkout.depth, 0);
    assert_eq!(checkout.failing_dependencies, ["payments"]);
    assert_eq!(checkout.weight, 6);
    let weights: Vec<u32> = checkout.evidence.iter().map(Evidence::weight).collect();
    assert_eq!(weights, [3, 2, 1]);
    assert_eq!(diagnosis.candidates[0].service, "payments");
    assert_eq!(diagnosis.candidates[0].depth, 1);
}

#[test]
fn summaries_name_the_cause_or_say_all_is_healthy_or_unobserved() {
    let cause = rank(&[
        service("checkout", &["db"], down()),
        service("db", &[], down()),
    ]);
    let summary = cause.summary();
    assert_eq!(summary.id, "diag-summary-cause");
    assert!(summary.args.iter().any(|(name, arg)| name == "service"
        && *arg == crate::domain::message::Arg::Text("db".to_owned())));

    let healthy = rank(&[service("checkout", &[], ok())]);
    assert_eq!(healthy.summary().id, "diag-summary-healthy");
    let nothing = rank(&[service("checkout", &[], vec![])]);
    assert_eq!(nothing.summary().id, "diag-summary-nothing-observed");
    assert_eq!(nothing.unobserved, ["checkout"]);
    let cycle = rank(&[service("a", &["b"], down()), service("b", &["a"], down())]);
    assert_eq!(cycle.summary().id, "diag-summary-no-single-cause");
}

#[test]
fn details_list_at_most_five_candidates_with_their_evidence() {
    let mut findings = vec![service("root", &[], ok())];
    for i in 0..8 {
        findings[0].depends_on.push(format!("s{i}"));
        findings.push(service(&format!("s{i}"), &[], down()));
    }
    findings.push(service("quiet", &[], vec![]));
    findings[0].depends_on.push("quiet".to_owned());
    let details = rank(&findings).details();
    let ids: Vec<&str> = details.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids.iter()
            .filter(|id| **id == "diag-candidate-cause")
            .count(),
        MAX_CANDIDATES_SHOWN
    );
    assert_eq!(ids[ids.len() - 2], "diag-candidates-more");
    assert_eq!(ids[ids.len() - 1], "diag-unobserved");
}

#[test]
fn worst_values_and_thresholds() {
    let max = ServiceCheck {
        name: "err".to_owned(),
        promql: "x".to_owned(),
        max: Some(0.05),
        min: None,
    };
    let min = ServiceCheck {
        name: "ready".to_owned(),
        promql: "x".to_owned(),
        max: None,
        min: Some(2.0),
    };
    let both = ServiceCheck {
        max: Some(10.0),
        ..min.clone()
    };
    assert_eq!(worst_value(&max, &[0.01, 0.2, f64::NAN]), Some(0.2));
    assert_eq!(worst_value(&max, &[0.01, 0.02]), Some(0.02));
    assert_eq!(worst_value(&min, &[3.0, 1.0]), Some(1.0));
    assert_eq!(worst_value(&min, &[3.0, 4.0]), Some(3.0));
    assert_eq!(worst_value(&both, &[3.0, 1.0, 5.0]), Some(1.0));
    assert_eq!(worst_value(&both, &[3.0, 11.0, 1.0]), Some(11.0));
    assert_eq!(worst_value(&max, &[f64::NAN]), None);
    assert_eq!(worst_value(&max, &[]), None);
    assert!(threshold_breached(0.06, None, Some(0.05)));
    assert!(!threshold_breached(0.05, None, Some(0.05)));
    assert!(threshold_breached(1.0, Some(2.0), None));
}

#[test]
fn values_are_formatted_for_people() {
    let table: &[(f64, &str)] = &[
        (3.0, "3"),
        (0.05, "0.05"),
        (0.123456, "0.1235"),
        (-2.5, "-2.5"),
        (0.00001234, "1.23e-5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "+Inf"),
    ];
    for (value, text) in table {
        assert_eq!(format_value(*value), *text, "{value}");
    }
}

#[test]
fn the_report_lists_every_service_and_observation() {
    let findings = vec![
        service(
            "checkout",
            &["db"],
            vec![health(None), check(Some(0.2), Some(0.05))],
        ),
        service("db", &[], vec![]),
    ];
    let report = report(&rank(&findings), &findings);
    assert!(report.contains("checkout (depth 0): FAILING"), "{report}");
    assert!(
        report.contains("no answer after 5 ms (connection refused) [BREACHED]"),
        "{report}"
    );
    assert!(
        report.contains("check error_rate = 0.2 (max 0.05) [BREACHED]"),
        "{report}"
    );
    assert!(report.contains("db (depth 1): not observed"), "{report}");
}
