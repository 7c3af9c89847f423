//! Grafana unified alerting webhook contact point, payload version "1"
//! (<https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/>).
//!
//! The body is Alertmanager's shape plus Grafana's extras: `orgId`, `title`, `state`,
//! `message` at the top, and `values`, `valueString`, `silenceURL`, `dashboardURL`, `panelURL`,
//! `imageURL` per alert. As with Alertmanager, each alert's own `status` is read, never the
//! group's. Legacy (pre-9) Grafana alerting sends a different body without `version`; it is
//! refused with a version error.
//!
//! Mapping, per alert:
//! - `fingerprint` ← `fingerprint`; `name` ← `labels.alertname` (Grafana sets it to the rule
//!   title); `severity_label` ← `labels.severity`; `service` ← `labels.service` only;
//!   `host` ← `labels.instance`, else `labels.host`
//! - `value` ← `values` rendered as `B=93.4, C=1` (keys in order); when `values` is null or
//!   empty, `valueString`; else `annotations.value`
//! - `ends_at` ← `endsAt` unless it is Go's zero time (Grafana sends that while firing)
//! - `generator_url` ← `generatorURL`; the dashboard, panel, silence and image links are kept as
//!   the annotations `dashboard_url`, `panel_url`, `silence_url` and `image_url` (unless the
//!   rule already has annotations of those names), so chat messages can link to them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    IntakeError, Timestamp, check_count, check_fingerprint, check_map, check_text, check_version,
    decode, default_label, first_label, non_blank, null_as_empty, required_label,
};
use crate::domain::alert::{Alert, AlertSource, AlertStatus};

/// The payload version Grafana's unified alerting webhook sends.
pub const SUPPORTED_VERSION: &str = "1";

/// Parses a Grafana webhook body into its alerts, in the order they were sent.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, IntakeError> {
    check_version(body, "Grafana (unified alerting)", SUPPORTED_VERSION)?;
    let webhook: Webhook = decode(body)?;
    check_count("alerts", webhook.alerts.len())?;
    webhook
        .alerts
        .into_iter()
        .enumerate()
        .map(|(index, alert)| convert(index, alert))
        .collect()
}

#[derive(Deserialize)]
#[serde(expecting = "a Grafana webhook JSON object")]
struct Webhook {
    alerts: Vec<WireAlert>,
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
    #[serde(default)]
    values: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    value_string: Option<String>,
    #[serde(rename = "silenceURL", default)]
    silence_url: Option<String>,
    #[serde(rename = "dashboardURL", default)]
    dashboard_url: Option<String>,
    #[serde(rename = "panelURL", default)]
    panel_url: Option<String>,
    #[serde(rename = "imageURL", default)]
    image_url: Option<String>,
}

fn convert(index: usize, wire: WireAlert) -> Result<Alert, IntakeError> {
    let at = |field: &str| format!("alerts[{index}].{field}");

    check_fingerprint(&at("fingerprint"), &wire.fingerprint)?;
    check_map(&at("labels"), &wire.labels)?;
    check_map(&at("annotations"), &wire.annotations)?;
    let name = required_label(&wire.labels, "alertname", &at("labels"))?.to_owned();

    let mut annotations = wire.annotations;
    let links = [
        ("silenceURL", "silence_url", wire.silence_url),
        ("dashboardURL", "dashboard_url", wire.dashboard_url),
        ("panelURL", "panel_url", wire.panel_url),
        ("imageURL", "image_url", wire.image_url),
    ];
    for (field, key, url) in links {
        if let Some(url) = non_blank(url) {
            check_text(&at(field), &url)?;
            default_label(&mut annotations, key, Some(&url));
        }
    }
    let generator_url = non_blank(wire.generator_url);
    if let Some(url) = &generator_url {
        check_text(&at("generatorURL"), url)?;
    }
    let value_string = non_blank(wire.value_string);
    if let Some(text) = &value_string {
        check_text(&at("valueString"), text)?;
    }
    let value = wire
        .values
        .filter(|values| !values.is_empty())
        .map(|values| render_values(&values))
        .or(value_string)
        .or_else(|| first_label(&annotations, &["value"]));

    Ok(Alert {
        source: AlertSource::Grafana,
        fingerprint: wire.fingerprint,
        name,
        status: wire.status,
        severity_label: first_label(&wire.labels, &["severity"]),
        service: first_label(&wire.labels, &["service"]),
        host: first_label(&wire.labels, &["instance", "host"]),
        value,
        starts_at: wire.starts_at.0,
        ends_at: wire.ends_at.and_then(Timestamp::unless_zero),
        labels: wire.labels,
        annotations,
        generator_url,
    })
}

/// Renders Grafana's expression values compactly, `B=93.41707530120482, C=1`. Rust's float
/// formatting is the shortest text that reads back to the same number, so nothing is lost and
/// whole numbers print without a trailing `.0`.
fn render_values(values: &BTreeMap<String, f64>) -> String {
    values
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    const FIRING: &str = include_str!("../../tests/fixtures/grafana/firing.json");
    const RESOLVED: &str = include_str!("../../tests/fixtures/grafana/resolved.json");

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn firing_fixture_maps_every_field() {
        let alerts = parse(FIRING.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);

        let cpu = &alerts[0];
        assert_eq!(cpu.source, AlertSource::Grafana);
        assert_eq!(cpu.fingerprint, "5f1c8a2be04d9a73");
        assert_eq!(cpu.name, "CheckoutHighCPU");
        assert_eq!(cpu.status, AlertStatus::Firing);
        assert_eq!(cpu.severity_label.as_deref(), Some("critical"));
        assert_eq!(cpu.service.as_deref(), Some("checkout-api"));
        assert_eq!(
            cpu.host.as_deref(),
            Some("checkout-api-7d9f6c5b8-x2kqp:9100")
        );
        assert_eq!(cpu.value.as_deref(), Some("B=93.41707530120482, C=1"));
        assert_eq!(cpu.starts_at, ts("2026-11-21T22:10:00+01:00"));
        assert_eq!(cpu.ends_at, None);
        assert_eq!(
            cpu.generator_url.as_deref(),
            Some(
                "http://grafana.example.internal:3000/alerting/grafana/cdx4kq1z3t0ovf/view?orgId=1"
            )
        );
        assert_eq!(
            cpu.labels.get("grafana_folder").map(String::as_str),
            Some("Checkout")
        );
        assert_eq!(cpu.summary(), Some("checkout-api CPU above 90% for 5m"));
        assert!(cpu.annotations["dashboard_url"].contains("/d/checkout-overview"));
        assert!(cpu.annotations["panel_url"].contains("viewPanel=4"));
        assert!(cpu.annotations["silence_url"].contains("/alerting/silence/new"));
        assert!(!cpu.annotations.contains_key("image_url"));

        // The second alert has `values: null`, so its valueString is the value.
        let nodata = &alerts[1];
        assert_eq!(nodata.fingerprint, "a07e3b99d1c24f58");
        assert_eq!(nodata.name, "DatasourceNoData");
        assert_eq!(nodata.status, AlertStatus::Firing);
        assert_eq!(nodata.service.as_deref(), Some("payments-api"));
        assert_eq!(nodata.host, None);
        assert_eq!(
            nodata.value.as_deref(),
            Some("[ var='A' labels={service=payments-api} value=no data ]")
        );
        assert!(!nodata.annotations.contains_key("dashboard_url"));
    }

    #[test]
    fn resolved_fixture_yields_a_resolved_alert_with_its_end() {
        let alerts = parse(RESOLVED.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.fingerprint, "5f1c8a2be04d9a73");
        assert_eq!(a.status, AlertStatus::Resolved);
        assert_eq!(a.starts_at, ts("2026-11-21T21:10:00Z"));
        assert_eq!(a.ends_at, Some(ts("2026-11-21T21:24:00Z")));
        assert_eq!(a.value.as_deref(), Some("B=41.07, C=0"));
    }

    #[test]
    fn each_alert_keeps_its_own_status_inside_a_firing_group() {
        let mut body: Value = serde_json::from_str(FIRING).unwrap();
        body["alerts"][1]["status"] = json!("resolved");
        body["alerts"][1]["endsAt"] = json!("2026-11-21T21:20:00Z");
        let alerts = parse(body.to_string().as_bytes()).unwrap();
        let statuses: Vec<AlertStatus> = alerts.iter().map(|a| a.status).collect();
        assert_eq!(statuses, vec![AlertStatus::Firing, AlertStatus::Resolved]);
    }

    #[test]
    fn value_falls_back_from_values_to_value_string_to_annotation() {
        let cases: [(Value, Value, Option<&str>, Option<&str>); 5] = [
            (
                json!({"A": 12.5, "B": 1.0}),
                json!("ignored"),
                None,
                Some("A=12.5, B=1"),
            ),
            (
                json!({}),
                json!("[ var='A' value=3 ]"),
                None,
                Some("[ var='A' value=3 ]"),
            ),
            (Value::Null, json!(""), Some("42"), Some("42")),
            (Value::Null, Value::Null, None, None),
            (
                json!({"Z": -0.5, "A": 1e21}),
                Value::Null,
                None,
                Some("A=1000000000000000000000, Z=-0.5"),
            ),
        ];
        for (values, value_string, annotation, expected) in cases {
            let mut body: Value = serde_json::from_str(FIRING).unwrap();
            let alert = &mut body["alerts"][0];
            alert["values"] = values.clone();
            alert["valueString"] = value_string.clone();
            alert["annotations"] = match annotation {
                Some(v) => json!({"value": v}),
                None => json!({}),
            };
            let alerts = parse(body.to_string().as_bytes()).unwrap();
            assert_eq!(
                alerts[0].value.as_deref(),
                expected,
                "values={values} valueString={value_string}"
            );
        }
    }

    #[test]
    fn bad_input_is_refused_with_the_field_path() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "legacy grafana body",
                |b| {
                    *b = json!({"title": "[Alerting] x", "ruleId": 1, "state": "alerting", "evalMatches": []});
                },
                "version: missing; this endpoint accepts Grafana (unified alerting) webhook version \"1\"",
            ),
            (
                "wrong version",
                |b| b["version"] = json!("2"),
                "version: \"2\" is not supported",
            ),
            (
                "bad startsAt",
                |b| b["alerts"][1]["startsAt"] = json!("abc"),
                "alerts[1].startsAt: \"abc\" is not an RFC 3339 timestamp",
            ),
            (
                "unknown status",
                |b| b["alerts"][0]["status"] = json!("alerting"),
                "alerts[0].status: unknown variant `alerting`, expected `firing` or `resolved`",
            ),
            (
                "non-numeric value",
                |b| b["alerts"][0]["values"]["B"] = json!("high"),
                "alerts[0].values.B: invalid type: string \"high\", expected f64",
            ),
            (
                "missing labels",
                |b| {
                    b["alerts"][1].as_object_mut().unwrap().remove("labels");
                },
                "alerts[1]: missing field `labels`",
            ),
            (
                "missing alertname",
                |b| {
                    b["alerts"][0]["labels"]
                        .as_object_mut()
                        .unwrap()
                        .remove("alertname");
                },
                "alerts[0].labels.alertname: missing",
            ),
            (
                "empty fingerprint",
                |b| b["alerts"][0]["fingerprint"] = json!(""),
                "alerts[0].fingerprint: must not be empty",
            ),
            (
                "long fingerprint",
                |b| b["alerts"][0]["fingerprint"] = json!("f".repeat(300)),
                "alerts[0].fingerprint: is 300 characters long",
            ),
            (
                "huge annotation",
                |b| b["alerts"][0]["annotations"]["summary"] = json!("s".repeat(17_000)),
                "alerts[0].annotations.summary: is 17000 bytes long",
            ),
            (
                "huge label",
                |b| b["alerts"][1]["labels"]["team"] = json!("t".repeat(17_000)),
                "alerts[1].labels.team: is 17000 bytes long",
            ),
            (
                "huge panel url",
                |b| b["alerts"][0]["panelURL"] = json!("p".repeat(17_000)),
                "alerts[0].panelURL: is 17000 bytes long",
            ),
            (
                "too many alerts",
                |b| {
                    let one = b["alerts"][0].clone();
                    b["alerts"] = Value::Array(vec![one; 1001]);
                },
                "alerts: 1001 alerts in one request is more than the limit of 1000",
            ),
        ];
        for (label, edit, expected) in cases {
            let mut body: Value = serde_json::from_str(FIRING).unwrap();
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
