//! The generic, normalised alert schema (seed 001), for any sender that can post JSON.
//!
//! The body is ONE alert object or an ARRAY of them (at most
//! [`MAX_ALERTS_PER_REQUEST`](super::MAX_ALERTS_PER_REQUEST)):
//!
//! ```json
//! {
//!   "alert_id": "nagios-web-3-http-1732226400",
//!   "source_system": "Nagios",
//!   "alert_name": "HTTP_Check_Failed",
//!   "severity": "critical",
//!   "status": "firing",
//!   "service_name": "storefront",
//!   "host_ip": "10.0.5.13",
//!   "metric_value": 503,
//!   "timestamp": "2026-11-21T21:55:00Z",
//!   "ends_at": null,
//!   "labels": {"env": "prod"},
//!   "description": "HTTP check returned 503",
//!   "annotations": {"runbook_url": "https://runbooks.example/storefront"},
//!   "generator_url": "https://nagios.example/cgi-bin/extinfo.cgi?host=web-3"
//! }
//! ```
//!
//! Required: `alert_id` (1–256 characters, the alert's identity across deliveries),
//! `alert_name`, `status` (`firing` or `resolved`, any letter case, since seed 001 writes
//! `Firing`), `timestamp` (RFC 3339; when the alert started). Everything else is optional and
//! may be `null`; `metric_value` is a string or a number; `labels` and `annotations` are
//! objects of strings. Unknown fields are refused so a typo is reported, not ignored.
//!
//! Mapping: `fingerprint` ← `alert_id`; `name` ← `alert_name`; `severity_label` ← `severity`;
//! `service` ← `service_name`; `host` ← `host_ip`; `value` ← `metric_value`; `starts_at` ←
//! `timestamp`; `ends_at` ← `ends_at`; `generator_url` ← `generator_url`;
//! `annotations.description` ← `description` (over an annotation of that name);
//! `labels.source_system` ← `source_system`; and `alertname`, `severity`, `service` labels are
//! added unless the sender's labels already have them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::{
    IntakeError, MetricValue, Timestamp, check_count, check_fingerprint, check_map,
    check_required_text, check_text, decode, default_label, non_blank, null_as_empty,
};
use crate::domain::alert::{Alert, AlertSource, AlertStatus};

/// Parses a generic body (one alert object or an array of them) into alerts, in order.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, IntakeError> {
    // The first significant byte decides the shape; serde's untagged enums would hide which
    // field of which alert was wrong behind "data did not match any variant".
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => {
            let alerts: Vec<GenericAlert> = decode(body)?;
            check_count("body", alerts.len())?;
            alerts
                .into_iter()
                .enumerate()
                .map(|(index, alert)| convert(&format!("[{index}]."), alert))
                .collect()
        }
        Some(b'{') => {
            let alert: GenericAlert = decode(body)?;
            convert("", alert).map(|alert| vec![alert])
        }
        _ => {
            // Text that is not JSON at all (or an empty body) gets the parser's syntax message.
            decode::<de::IgnoredAny>(body)?;
            Err(IntakeError::invalid(
                "body",
                "expected one alert object or an array of alert objects",
            ))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an alert object")]
struct GenericAlert {
    alert_id: String,
    #[serde(default)]
    source_system: Option<String>,
    alert_name: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(deserialize_with = "status_any_case")]
    status: AlertStatus,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    host_ip: Option<String>,
    #[serde(default)]
    metric_value: Option<MetricValue>,
    timestamp: Timestamp,
    #[serde(default)]
    ends_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "null_as_empty")]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    generator_url: Option<String>,
}

fn status_any_case<'de, D: Deserializer<'de>>(deserializer: D) -> Result<AlertStatus, D::Error> {
    const EXPECTED: &[&str] = &["firing", "resolved"];
    let word = String::deserialize(deserializer)?;
    match word.to_ascii_lowercase().as_str() {
        "firing" => Ok(AlertStatus::Firing),
        "resolved" => Ok(AlertStatus::Resolved),
        _ => Err(de::Error::unknown_variant(
            &super::truncate_for_message(&word),
            EXPECTED,
        )),
    }
}

/// `prefix` is `""` for a single object and `"[i]."` for the i-th element of an array, so
/// error paths match what the sender wrote.
fn convert(prefix: &str, wire: GenericAlert) -> Result<Alert, IntakeError> {
    let at = |field: &str| format!("{prefix}{field}");

    check_fingerprint(&at("alert_id"), &wire.alert_id)?;
    check_required_text(&at("alert_name"), &wire.alert_name)?;
    let optional_texts = [
        ("source_system", &wire.source_system),
        ("severity", &wire.severity),
        ("service_name", &wire.service_name),
        ("host_ip", &wire.host_ip),
        ("description", &wire.description),
        ("generator_url", &wire.generator_url),
    ];
    for (field, text) in optional_texts {
        if let Some(text) = text {
            check_text(&at(field), text)?;
        }
    }
    if let Some(value) = &wire.metric_value {
        check_text(&at("metric_value"), &value.0)?;
    }
    check_map(&at("labels"), &wire.labels)?;
    check_map(&at("annotations"), &wire.annotations)?;

    let severity = non_blank(wire.severity);
    let service = non_blank(wire.service_name);
    let mut labels = wire.labels;
    if let Some(system) = non_blank(wire.source_system) {
        labels.insert("source_system".to_owned(), system);
    }
    default_label(&mut labels, "alertname", Some(&wire.alert_name));
    default_label(&mut labels, "severity", severity.as_deref());
    default_label(&mut labels, "service", service.as_deref());

    let mut annotations = wire.annotations;
    if let Some(description) = non_blank(wire.description) {
        annotations.insert("description".to_owned(), description);
    }

    Ok(Alert {
        source: AlertSource::Generic,
        fingerprint: wire.alert_id,
        name: wire.alert_name,
        status: wire.status,
        severity_label: severity,
        service,
        host: non_blank(wire.host_ip),
        value: wire
            .metric_value
            .map(|v| v.0)
            .filter(|v| !v.trim().is_empty()),
        starts_at: wire.timestamp.0,
        ends_at: wire.ends_at.map(|t| t.0),
        labels,
        annotations,
        generator_url: non_blank(wire.generator_url),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    const ONE: &str = include_str!("../../tests/fixtures/generic/one.json");
    const MANY: &str = include_str!("../../tests/fixtures/generic/many.json");

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
    fn one_fixture_maps_every_field() {
        let alerts = parse(ONE.as_bytes()).unwrap();
        let expected = Alert {
            source: AlertSource::Generic,
            fingerprint: "prom-7f3a9c2e-high-cpu".to_owned(),
            name: "High_CPU_Usage".to_owned(),
            status: AlertStatus::Firing,
            severity_label: Some("Critical".to_owned()),
            service: Some("order-service".to_owned()),
            host: Some("10.0.4.17".to_owned()),
            value: Some("95.3".to_owned()),
            starts_at: ts("2026-11-21T21:52:00Z"),
            ends_at: None,
            labels: map(&[
                ("alertname", "High_CPU_Usage"),
                ("env", "prod"),
                ("region", "us-east-1"),
                ("service", "order-service"),
                ("severity", "Critical"),
                ("source_system", "Prometheus"),
            ]),
            annotations: map(&[
                (
                    "description",
                    "CPU usage of order-service on 10.0.4.17 is above 90% (current 95.3%)",
                ),
                (
                    "runbook_url",
                    "https://runbooks.example.internal/order-service/cpu",
                ),
                ("summary", "order-service CPU above 90%"),
            ]),
            generator_url: Some(
                "http://prometheus.example.internal:9090/graph?g0.expr=cpu_usage%3E90".to_owned(),
            ),
        };
        assert_eq!(alerts, vec![expected]);
    }

    /// (alert_id, status, value, service, has ends_at)
    type Row<'a> = (&'a str, AlertStatus, Option<&'a str>, Option<&'a str>, bool);

    #[test]
    fn many_fixture_parses_each_alert_in_order() {
        let alerts = parse(MANY.as_bytes()).unwrap();
        let got: Vec<Row> = alerts
            .iter()
            .map(|a| {
                (
                    a.fingerprint.as_str(),
                    a.status,
                    a.value.as_deref(),
                    a.service.as_deref(),
                    a.ends_at.is_some(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "nagios-web-3-http",
                    AlertStatus::Firing,
                    Some("503"),
                    Some("storefront"),
                    false
                ),
                (
                    "falcon-db-2-conn",
                    AlertStatus::Resolved,
                    Some("812 connections"),
                    Some("orders-db"),
                    true
                ),
                (
                    "custom-batch-late-20261121",
                    AlertStatus::Firing,
                    None,
                    None,
                    false
                ),
            ]
        );
        assert_eq!(alerts[1].ends_at, Some(ts("2026-11-21T22:14:30Z")));
        assert!(alerts.iter().all(|a| a.source == AlertSource::Generic));
        assert_eq!(
            alerts[2].labels,
            map(&[("alertname", "NightlyBatchLate"), ("team", "data")]),
            "nothing is invented for absent fields"
        );
    }

    #[test]
    fn status_is_read_in_any_case() {
        let cases = [
            ("firing", AlertStatus::Firing),
            ("Firing", AlertStatus::Firing),
            ("RESOLVED", AlertStatus::Resolved),
            ("resolved", AlertStatus::Resolved),
        ];
        for (word, expected) in cases {
            let mut body: Value = serde_json::from_str(ONE).unwrap();
            body["status"] = json!(word);
            let alert = parse(body.to_string().as_bytes()).unwrap().remove(0);
            assert_eq!(alert.status, expected, "{word}");
        }
    }

    #[test]
    fn an_empty_array_is_no_alerts() {
        assert_eq!(parse(b" [ ] ").unwrap(), vec![]);
    }

    #[test]
    fn bad_single_alerts_are_refused_with_the_field_path() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "typo",
                |b| {
                    let v = b.as_object_mut().unwrap().remove("service_name").unwrap();
                    b["service"] = v;
                },
                "service: unknown field `service`, expected one of `alert_id`",
            ),
            (
                "missing alert_id",
                |b| {
                    b.as_object_mut().unwrap().remove("alert_id");
                },
                "body: missing field `alert_id`",
            ),
            (
                "empty alert_id",
                |b| b["alert_id"] = json!(""),
                "alert_id: must not be empty",
            ),
            (
                "long alert_id",
                |b| b["alert_id"] = json!("a".repeat(1000)),
                "alert_id: is 1000 characters long; the limit is 256",
            ),
            (
                "empty alert_name",
                |b| b["alert_name"] = json!(""),
                "alert_name: must not be empty",
            ),
            (
                "unknown status",
                |b| b["status"] = json!("acknowledged"),
                "status: unknown variant `acknowledged`, expected `firing` or `resolved`",
            ),
            (
                "bad timestamp",
                |b| b["timestamp"] = json!("21/11/2026"),
                "timestamp: \"21/11/2026\" is not an RFC 3339 timestamp",
            ),
            (
                "epoch timestamp",
                |b| b["timestamp"] = json!(1_795_291_800),
                "timestamp: invalid type: integer `1795291800`, expected an RFC 3339 timestamp string",
            ),
            (
                "bad ends_at",
                |b| b["ends_at"] = json!("later"),
                "ends_at: \"later\" is not an RFC 3339 timestamp",
            ),
            (
                "boolean metric",
                |b| b["metric_value"] = json!(true),
                "metric_value: invalid type: boolean `true`, expected a string or a number",
            ),
            (
                "nested label",
                |b| b["labels"]["env"] = json!({"a": 1}),
                "labels.env: invalid type: map, expected a string",
            ),
            (
                "huge label",
                |b| b["labels"]["env"] = json!("p".repeat(16_385)),
                "labels.env: is 16385 bytes long; the limit is 16384 bytes",
            ),
            (
                "huge annotation",
                |b| b["annotations"]["summary"] = json!("s".repeat(40_000)),
                "annotations.summary: is 40000 bytes long",
            ),
            (
                "huge description",
                |b| b["description"] = json!("d".repeat(40_000)),
                "description: is 40000 bytes long",
            ),
            (
                "a string body",
                |b| *b = json!("alert!"),
                "body: expected one alert object or an array of alert objects",
            ),
        ];
        for (label, edit, expected) in cases {
            let mut body: Value = serde_json::from_str(ONE).unwrap();
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
    fn bad_alerts_in_an_array_are_named_by_index() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "missing field in the third",
                |b| {
                    b[2].as_object_mut().unwrap().remove("timestamp");
                },
                "[2]: missing field `timestamp`",
            ),
            (
                "bad timestamp in the second",
                |b| b[1]["timestamp"] = json!("abc"),
                "[1].timestamp: \"abc\" is not an RFC 3339 timestamp",
            ),
            (
                "empty id in the first",
                |b| b[0]["alert_id"] = json!(" "),
                "[0].alert_id: must not be empty",
            ),
            (
                "huge label in the third",
                |b| b[2]["labels"]["team"] = json!("t".repeat(17_000)),
                "[2].labels.team: is 17000 bytes long",
            ),
            (
                "not an object",
                |b| b[1] = json!(42),
                "[1]: invalid type: integer `42`, expected an alert object",
            ),
            (
                "too many",
                |b| {
                    let one = b[0].clone();
                    *b = Value::Array(vec![one; 1001]);
                },
                "body: 1001 alerts in one request is more than the limit of 1000",
            ),
        ];
        for (label, edit, expected) in cases {
            let mut body: Value = serde_json::from_str(MANY).unwrap();
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
}
