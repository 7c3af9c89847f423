//! Prometheus Alertmanager webhook, payload version "4"
//! (<https://prometheus.io/docs/alerting/latest/configuration/#webhook_config>).
//!
//! A notification carries a group of alerts. The group's own `status` is "firing" while any
//! alert in it still fires, so it says nothing about the others: each alert's own `status` is
//! read instead. Group-level fields (`receiver`, `groupLabels`, `commonLabels`, `externalURL`,
//! `groupKey`) are ignored; the per-alert fields hold everything needed. `truncatedAlerts`
//! (how many alerts Alertmanager left out because of the receiver's `max_alerts`) is carried
//! out so the engine can log, count and note it.
//!
//! Mapping, per alert:
//! - `fingerprint` ← `fingerprint` (required, non-empty)
//! - `name` ← `labels.alertname` (required)
//! - `severity_label` ← `labels.severity`
//! - `service` ← `labels.service` only. Deliberately no fallback to `job` or `namespace`: a
//!   service name guessed from scrape config would group unrelated alerts together, so rules
//!   that should open incidents per service must carry a `service` label.
//! - `host` ← `labels.instance`, else `labels.host` (as sent, port included)
//! - `value` ← `annotations.value`
//! - `starts_at` ← `startsAt`; `ends_at` ← `endsAt` unless it is Go's zero time
//!   `0001-01-01T00:00:00Z`, which Alertmanager sends for "no end yet"
//! - `generator_url` ← `generatorURL` (empty means none)

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    AlertBatch, IntakeError, Timestamp, check_count, check_fingerprint, check_map, check_text,
    check_version, decode, first_label, non_blank, null_as_empty, required_label,
};
use crate::domain::alert::{Alert, AlertSource, AlertStatus};

/// The only payload version Alertmanager has sent since 0.7; a new one would mean a new shape.
pub const SUPPORTED_VERSION: &str = "4";

/// Parses an Alertmanager webhook body into its alerts, in the order they were sent.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, IntakeError> {
    parse_batch(body).map(|batch| batch.alerts)
}

/// Parses an Alertmanager webhook body into its alerts and the count it left out.
pub fn parse_batch(body: &[u8]) -> Result<AlertBatch, IntakeError> {
    check_version(body, "Alertmanager", SUPPORTED_VERSION)?;
    let webhook: Webhook = decode(body)?;
    check_count("alerts", webhook.alerts.len())?;
    let alerts = webhook
        .alerts
        .into_iter()
        .enumerate()
        .map(|(index, alert)| convert(index, alert))
        .collect::<Result<Vec<Alert>, IntakeError>>()?;
    Ok(AlertBatch {
        source: AlertSource::Alertmanager,
        alerts,
        truncated: webhook.truncated_alerts.unwrap_or(0),
    })
}

#[derive(Deserialize)]
#[serde(expecting = "an Alertmanager webhook JSON object")]
struct Webhook {
    alerts: Vec<WireAlert>,
    #[serde(rename = "truncatedAlerts", default)]
    truncated_alerts: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "an alert object")]
struct WireAlert {
    status: AlertStatus,
    #[serde(deserialize_with = "null_as_empty")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    annotations: BTreeMap<String, String>,
    starts_at: Timestamp,
    #[serde(default)]
    ends_at: Option<Timestamp>,
    #[serde(rename = "generatorURL", default)]
    generator_url: Option<String>,
    fingerprint: String,
}

fn convert(index: usize, wire: WireAlert) -> Result<Alert, IntakeError> {
    let at = |field: &str| format!("alerts[{index}].{field}");

    check_fingerprint(&at("fingerprint"), &wire.fingerprint)?;
    check_map(&at("labels"), &wire.labels)?;
    check_map(&at("annotations"), &wire.annotations)?;
    let name = required_label(&wire.labels, "alertname", &at("labels"))?.to_owned();
    let generator_url = non_blank(wire.generator_url);
    if let Some(url) = &generator_url {
        check_text(&at("generatorURL"), url)?;
    }

    Ok(Alert {
        source: AlertSource::Alertmanager,
        fingerprint: wire.fingerprint,
        name,
        status: wire.status,
        severity_label: first_label(&wire.labels, &["severity"]),
        service: first_label(&wire.labels, &["service"]),
        host: first_label(&wire.labels, &["instance", "host"]),
        value: first_label(&wire.annotations, &["value"]),
        starts_at: wire.starts_at.0,
        ends_at: wire.ends_at.and_then(Timestamp::unless_zero),
        labels: wire.labels,
        annotations: wire.annotations,
        generator_url,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::intake::MAX_ALERTS_PER_REQUEST;
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    const DIRECT_FIRING: &str =
        include_str!("../../tests/fixtures/alertmanager/payload-am-direct-firing.json");
    const DIRECT_RESOLVED: &str =
        include_str!("../../tests/fixtures/alertmanager/payload-am-direct-resolved.json");
    const MIXED_GROUP: &str =
        include_str!("../../tests/fixtures/alertmanager/payload-am-mixed-group.json");
    const PROMETHEUS_FIRING: &str =
        include_str!("../../tests/fixtures/alertmanager/payload-prometheus-firing.json");
    const PROMETHEUS_RESOLVED: &str =
        include_str!("../../tests/fixtures/alertmanager/payload-prometheus-resolved.json");

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn truncated_alerts_are_carried_out_of_the_parser() {
        let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
        assert_eq!(parse_batch(DIRECT_FIRING.as_bytes()).unwrap().truncated, 0);
        body["truncatedAlerts"] = json!(7);
        let batch = parse_batch(body.to_string().as_bytes()).unwrap();
        assert_eq!(batch.truncated, 7);
        assert_eq!(batch.alerts.len(), 1);
        body.as_object_mut().unwrap().remove("truncatedAlerts");
        assert_eq!(
            parse_batch(body.to_string().as_bytes()).unwrap().truncated,
            0
        );
    }

    #[test]
    fn direct_firing_fixture_maps_every_field() {
        let alerts = parse(DIRECT_FIRING.as_bytes()).unwrap();
        let expected = Alert {
            source: AlertSource::Alertmanager,
            fingerprint: "2e35ee41a96c3cf9".to_owned(),
            name: "HighLatency".to_owned(),
            status: AlertStatus::Firing,
            severity_label: Some("critical".to_owned()),
            service: Some("checkout-api".to_owned()),
            host: None,
            value: None,
            starts_at: ts("2026-11-21T21:47:21.246Z"),
            ends_at: None,
            labels: map(&[
                ("alertname", "HighLatency"),
                ("env", "e2e"),
                ("service", "checkout-api"),
                ("severity", "critical"),
            ]),
            annotations: map(&[
                ("description", "p99 latency above SLO for 5m"),
                ("runbook_url", "http://127.0.0.1:18080/runbook/latency"),
                ("summary", "Checkout API p99 latency > 2s"),
            ]),
            generator_url: Some("http://127.0.0.1:19090/graph".to_owned()),
        };
        assert_eq!(alerts, vec![expected]);
    }

    /// One expected alert: (fingerprint, status, host, starts_at, ends_at).
    type Row = (
        &'static str,
        AlertStatus,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    );

    type OwnedRow = (
        String,
        AlertStatus,
        Option<String>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );

    #[test]
    fn every_fixture_parses_to_the_expected_alerts() {
        use AlertStatus::{Firing, Resolved};
        let cases: [(&str, &str, Vec<Row>); 5] = [
            (
                "direct firing",
                DIRECT_FIRING,
                vec![(
                    "2e35ee41a96c3cf9",
                    Firing,
                    None,
                    "2026-11-21T21:47:21.246Z",
                    None,
                )],
            ),
            (
                "direct resolved",
                DIRECT_RESOLVED,
                vec![(
                    "2e35ee41a96c3cf9",
                    Resolved,
                    None,
                    "2026-11-21T21:47:21.246Z",
                    Some("2026-11-21T21:47:55.143Z"),
                )],
            ),
            (
                "mixed group",
                MIXED_GROUP,
                vec![
                    (
                        "921f6b0aec4a68c8",
                        Resolved,
                        Some("db-1"),
                        "2026-11-21T22:03:58.966Z",
                        Some("2026-11-21T22:04:00.286Z"),
                    ),
                    (
                        "b16048622acea9f1",
                        Firing,
                        Some("db-2"),
                        "2026-11-21T22:03:59.126Z",
                        None,
                    ),
                ],
            ),
            (
                "prometheus firing",
                PROMETHEUS_FIRING,
                vec![(
                    "953d0530b64c346e",
                    Firing,
                    None,
                    "2026-11-21T21:48:01.094Z",
                    None,
                )],
            ),
            (
                "prometheus resolved",
                PROMETHEUS_RESOLVED,
                vec![(
                    "4c520606862feeac",
                    Resolved,
                    None,
                    "2026-11-21T21:48:56.835Z",
                    Some("2026-11-21T21:49:05.835Z"),
                )],
            ),
        ];
        for (label, body, rows) in cases {
            let alerts = parse(body.as_bytes()).unwrap();
            let got: Vec<OwnedRow> = alerts
                .iter()
                .map(|a| {
                    (
                        a.fingerprint.clone(),
                        a.status,
                        a.host.clone(),
                        a.starts_at,
                        a.ends_at,
                    )
                })
                .collect();
            let expected: Vec<OwnedRow> = rows
                .into_iter()
                .map(|(fp, status, host, starts, ends)| {
                    (
                        fp.to_owned(),
                        status,
                        host.map(str::to_owned),
                        ts(starts),
                        ends.map(ts),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{label}");
            assert!(alerts.iter().all(|a| a.source == AlertSource::Alertmanager));
        }
    }

    #[test]
    fn mixed_group_yields_one_resolved_and_one_firing_alert() {
        let alerts = parse(MIXED_GROUP.as_bytes()).unwrap();
        let statuses: Vec<(&str, AlertStatus)> = alerts
            .iter()
            .map(|a| (a.fingerprint.as_str(), a.status))
            .collect();
        assert_eq!(
            statuses,
            vec![
                ("921f6b0aec4a68c8", AlertStatus::Resolved),
                ("b16048622acea9f1", AlertStatus::Firing),
            ]
        );
        assert!(alerts.iter().all(|a| a.name == "DiskFull"));
        assert!(
            alerts
                .iter()
                .all(|a| a.service.as_deref() == Some("storage"))
        );
        assert!(
            alerts
                .iter()
                .all(|a| a.severity_label.as_deref() == Some("warning"))
        );
    }

    #[test]
    fn optional_fields_fall_back_as_documented() {
        let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
        let alert = &mut body["alerts"][0];
        alert["labels"] = json!({"alertname": "X", "host": "web-3", "job": "node"});
        alert["annotations"] = json!({"value": "0.97"});
        alert["generatorURL"] = json!("");
        let alerts = parse(body.to_string().as_bytes()).unwrap();
        let a = &alerts[0];
        assert_eq!(a.host.as_deref(), Some("web-3"));
        assert_eq!(a.service, None, "service comes only from the service label");
        assert_eq!(a.severity_label, None);
        assert_eq!(a.value.as_deref(), Some("0.97"));
        assert_eq!(a.generator_url, None);
    }

    #[test]
    fn null_annotations_and_missing_optional_fields_are_accepted() {
        let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
        let alert = body["alerts"][0].as_object_mut().unwrap();
        alert.insert("annotations".to_owned(), Value::Null);
        alert.remove("endsAt");
        alert.remove("generatorURL");
        let alerts = parse(body.to_string().as_bytes()).unwrap();
        assert!(alerts[0].annotations.is_empty());
        assert_eq!(alerts[0].ends_at, None);
        assert_eq!(alerts[0].generator_url, None);
    }

    #[test]
    fn an_empty_group_is_not_an_error() {
        let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
        body["alerts"] = json!([]);
        assert_eq!(parse(body.to_string().as_bytes()).unwrap(), vec![]);
    }

    #[test]
    fn exactly_the_limit_is_accepted() {
        let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
        let one = body["alerts"][0].clone();
        body["alerts"] = Value::Array(vec![one; MAX_ALERTS_PER_REQUEST]);
        assert_eq!(
            parse(body.to_string().as_bytes()).unwrap().len(),
            MAX_ALERTS_PER_REQUEST
        );
    }

    /// Each case edits the direct-firing fixture and names the text the error must contain.
    #[test]
    fn bad_input_is_refused_with_the_field_path() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "wrong version",
                |b| b["version"] = json!("3"),
                "version: \"3\" is not supported; this endpoint accepts Alertmanager webhook version \"4\"",
            ),
            (
                "numeric version",
                |b| b["version"] = json!(4),
                "version: 4 is not supported",
            ),
            (
                "no version",
                |b| {
                    b.as_object_mut().unwrap().remove("version");
                },
                "version: missing",
            ),
            (
                "bad startsAt",
                |b| b["alerts"][0]["startsAt"] = json!("abc"),
                "alerts[0].startsAt: \"abc\" is not an RFC 3339 timestamp",
            ),
            (
                "startsAt without zone",
                |b| b["alerts"][0]["startsAt"] = json!("2026-11-21 21:47:21"),
                "alerts[0].startsAt: \"2026-11-21 21:47:21\" is not an RFC 3339 timestamp",
            ),
            (
                "numeric startsAt",
                |b| b["alerts"][0]["startsAt"] = json!(1_700_000_000),
                "alerts[0].startsAt: invalid type: integer `1700000000`, expected an RFC 3339 timestamp string",
            ),
            (
                "bad endsAt",
                |b| b["alerts"][0]["endsAt"] = json!("soon"),
                "alerts[0].endsAt: \"soon\" is not an RFC 3339 timestamp",
            ),
            (
                "missing startsAt",
                |b| {
                    b["alerts"][0].as_object_mut().unwrap().remove("startsAt");
                },
                "alerts[0]: missing field `startsAt`",
            ),
            (
                "unknown status",
                |b| b["alerts"][0]["status"] = json!("pending"),
                "alerts[0].status: unknown variant `pending`, expected `firing` or `resolved`",
            ),
            (
                "missing labels",
                |b| {
                    b["alerts"][0].as_object_mut().unwrap().remove("labels");
                },
                "alerts[0]: missing field `labels`",
            ),
            (
                "missing alertname",
                |b| {
                    b["alerts"][0]["labels"]
                        .as_object_mut()
                        .unwrap()
                        .remove("alertname");
                },
                "alerts[0].labels.alertname: missing; every alert needs the `alertname` label",
            ),
            (
                "blank alertname",
                |b| b["alerts"][0]["labels"]["alertname"] = json!("  "),
                "alerts[0].labels.alertname: must not be empty",
            ),
            (
                "non-string label",
                |b| b["alerts"][0]["labels"]["severity"] = json!(1),
                "alerts[0].labels.severity: invalid type: integer `1`, expected a string",
            ),
            (
                "empty fingerprint",
                |b| b["alerts"][0]["fingerprint"] = json!(""),
                "alerts[0].fingerprint: must not be empty",
            ),
            (
                "missing fingerprint",
                |b| {
                    b["alerts"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("fingerprint");
                },
                "alerts[0]: missing field `fingerprint`",
            ),
            (
                "long fingerprint",
                |b| b["alerts"][0]["fingerprint"] = json!("f".repeat(257)),
                "alerts[0].fingerprint: is 257 characters long; the limit is 256",
            ),
            (
                "huge annotation",
                |b| b["alerts"][0]["annotations"]["description"] = json!("d".repeat(16 * 1024 + 1)),
                "alerts[0].annotations.description: is 16385 bytes long; the limit is 16384 bytes",
            ),
            (
                "huge label",
                |b| b["alerts"][0]["labels"]["env"] = json!("e".repeat(20_000)),
                "alerts[0].labels.env: is 20000 bytes long",
            ),
            (
                "alerts not a list",
                |b| b["alerts"] = json!({}),
                "alerts: invalid type: map, expected a sequence",
            ),
            (
                "alert not an object",
                |b| b["alerts"] = json!([b["alerts"][0].clone(), "oops"]),
                "alerts[1]: invalid type: string \"oops\", expected an alert object",
            ),
            (
                "too many alerts",
                |b| {
                    let one = b["alerts"][0].clone();
                    b["alerts"] = Value::Array(vec![one; MAX_ALERTS_PER_REQUEST + 1]);
                },
                "alerts: 1001 alerts in one request is more than the limit of 1000",
            ),
            (
                "third alert broken",
                |b| {
                    let one = b["alerts"][0].clone();
                    let mut bad = one.clone();
                    bad.as_object_mut().unwrap().remove("labels");
                    b["alerts"] = json!([one.clone(), one, bad]);
                },
                "alerts[2]: missing field `labels`",
            ),
        ];
        for (label, edit, expected) in cases {
            let mut body: Value = serde_json::from_str(DIRECT_FIRING).unwrap();
            edit(&mut body);
            let err = parse(body.to_string().as_bytes())
                .expect_err(label)
                .to_string();
            assert!(
                err.contains(expected),
                "{label}: {err:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn a_non_object_body_is_refused() {
        for body in [&b"[1, 2]"[..], b" \"4\"", b"null"] {
            let err = parse(body).unwrap_err().to_string();
            assert_eq!(err, "body: expected a JSON object");
        }
    }
}
