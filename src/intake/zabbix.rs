//! Zabbix events, as posted by warroom's Zabbix webhook media type (`deploy/zabbix/warroom.js`).
//!
//! Zabbix has no native JSON webhook body, so warroom defines one. `POST /v1/alerts/zabbix`
//! takes ONE JSON object per request (one Zabbix event):
//!
//! ```json
//! {
//!   "event_id":    "48291",
//!   "status":      "PROBLEM",
//!   "severity":    "High",
//!   "name":        "High CPU utilization (over 90% for 5m)",
//!   "started_at":  "2026-11-21T21:10:05Z",
//!   "resolved_at": "2026-11-21T21:31:45Z",
//!   "host":        "db-1.prod",
//!   "host_ip":     "10.0.3.21",
//!   "service":     "orders-db",
//!   "value":       "97.2 %",
//!   "tags":        {"service": "orders-db", "component": "cpu"},
//!   "url":         "https://zabbix.example/tr_events.php?triggerid=23145&eventid=48291",
//!   "description": "CPU utilization is too high."
//! }
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `event_id` | yes | string, 1–256 characters: `{EVENT.ID}`, the PROBLEM event's id, sent unchanged with the recovery so both reach the same alert |
//! | `status` | yes | `"PROBLEM"`, or `"RESOLVED"` (`"OK"` is accepted as a synonym); exact case |
//! | `severity` | yes | one of Zabbix's six built-in names, exact case: `"Not classified"`, `"Information"`, `"Warning"`, `"Average"`, `"High"`, `"Disaster"` (the script maps `{EVENT.NSEVERITY}` so renamed severities still arrive as these) |
//! | `name` | yes | non-empty: `{EVENT.NAME}` |
//! | `started_at` | yes | RFC 3339 timestamp of the problem event |
//! | `resolved_at` | no | RFC 3339 timestamp of the recovery event |
//! | `host`, `host_ip` | no | `{HOST.NAME}`, `{HOST.IP}` |
//! | `service` | no | the affected service; when absent, the `service` tag is used |
//! | `value` | no | string or number: the item value that fired the trigger |
//! | `tags` | no | either an object `{"name": "value"}` or Zabbix's `{EVENT.TAGSJSON}` array `[{"tag": "name", "value": "value"}]`; a name repeated in the array keeps all values, joined with `", "` |
//! | `url` | no | link back to the event in Zabbix |
//! | `description` | no | `{TRIGGER.DESCRIPTION}` |
//!
//! Optional fields may also be `null`. Unknown fields are refused, so a misspelt field is an
//! error rather than silently lost. Text fields and tag values are limited to 16 KiB each.
//!
//! Mapping: `fingerprint` ← `event_id`; `status` ← firing for PROBLEM, resolved for RESOLVED/OK;
//! `severity_label` ← `severity`; `host` ← `host`; `value` ← `value`; `starts_at` ←
//! `started_at`; `ends_at` ← `resolved_at`; `generator_url` ← `url`;
//! `annotations.description` ← `description`; `labels` ← the tags, plus `alertname`,
//! `severity`, `service`, `host` and `host_ip` where a tag of that name does not exist.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::{
    IntakeError, MetricValue, Timestamp, check_fingerprint, check_map, check_required_text,
    check_text, decode, default_label, expect_object, non_blank,
};
use crate::domain::alert::{Alert, AlertSource, AlertStatus};

/// Parses one Zabbix event body (see the module docs for the contract) into one alert.
pub fn parse(body: &[u8]) -> Result<Vec<Alert>, IntakeError> {
    expect_object(body)?;
    let event: ZabbixEvent = decode(body)?;
    convert(event).map(|alert| vec![alert])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a Zabbix event JSON object")]
struct ZabbixEvent {
    event_id: String,
    status: EventStatus,
    severity: Severity,
    name: String,
    started_at: Timestamp,
    #[serde(default)]
    resolved_at: Option<Timestamp>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    host_ip: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    value: Option<MetricValue>,
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
enum EventStatus {
    #[serde(rename = "PROBLEM")]
    Problem,
    #[serde(rename = "RESOLVED", alias = "OK")]
    Resolved,
}

/// Zabbix's built-in severity names, kept as Zabbix spells them because config maps these words.
#[derive(Deserialize)]
enum Severity {
    #[serde(rename = "Not classified")]
    NotClassified,
    Information,
    Warning,
    Average,
    High,
    Disaster,
}

impl Severity {
    fn as_str(&self) -> &'static str {
        match self {
            Severity::NotClassified => "Not classified",
            Severity::Information => "Information",
            Severity::Warning => "Warning",
            Severity::Average => "Average",
            Severity::High => "High",
            Severity::Disaster => "Disaster",
        }
    }
}

fn convert(event: ZabbixEvent) -> Result<Alert, IntakeError> {
    check_fingerprint("event_id", &event.event_id)?;
    check_required_text("name", &event.name)?;
    let optional_texts = [
        ("host", &event.host),
        ("host_ip", &event.host_ip),
        ("service", &event.service),
        ("url", &event.url),
        ("description", &event.description),
    ];
    for (path, text) in optional_texts {
        if let Some(text) = text {
            check_text(path, text)?;
        }
    }
    if let Some(value) = &event.value {
        check_text("value", &value.0)?;
    }
    let mut labels = event.tags.map(|t| t.0).unwrap_or_default();
    check_map("tags", &labels)?;

    let severity = event.severity.as_str();
    let host = non_blank(event.host);
    let host_ip = non_blank(event.host_ip);
    let service = non_blank(event.service).or_else(|| non_blank(labels.get("service").cloned()));
    default_label(&mut labels, "alertname", Some(&event.name));
    default_label(&mut labels, "severity", Some(severity));
    default_label(&mut labels, "service", service.as_deref());
    default_label(&mut labels, "host", host.as_deref());
    default_label(&mut labels, "host_ip", host_ip.as_deref());

    let mut annotations = BTreeMap::new();
    default_label(
        &mut annotations,
        "description",
        non_blank(event.description).as_deref(),
    );

    Ok(Alert {
        source: AlertSource::Zabbix,
        fingerprint: event.event_id,
        name: event.name,
        status: match event.status {
            EventStatus::Problem => AlertStatus::Firing,
            EventStatus::Resolved => AlertStatus::Resolved,
        },
        severity_label: Some(severity.to_owned()),
        service,
        host,
        value: event.value.map(|v| v.0).filter(|v| !v.trim().is_empty()),
        starts_at: event.started_at.0,
        ends_at: event.resolved_at.map(|t| t.0),
        labels,
        annotations,
        generator_url: non_blank(event.url),
    })
}

/// Event tags, sent as an object or as Zabbix's `{EVENT.TAGSJSON}` array of `{tag, value}`.
struct Tags(BTreeMap<String, String>);

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a tag object {\"tag\": ..., \"value\": ...}"
)]
struct TagPair {
    tag: String,
    #[serde(default)]
    value: Option<String>,
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagsVisitor;

        impl<'de> Visitor<'de> for TagsVisitor {
            type Value = Tags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of tag values or an array of {\"tag\", \"value\"} objects")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags: BTreeMap<String, String> = BTreeMap::new();
                while let Some(pair) = seq.next_element::<TagPair>()? {
                    let value = pair.value.unwrap_or_default();
                    // Zabbix allows one tag name several times (`scope: availability`,
                    // `scope: performance`); joining keeps every value visible.
                    match tags.get_mut(&pair.tag) {
                        Some(existing) if !value.is_empty() => {
                            if existing.is_empty() {
                                *existing = value;
                            } else {
                                existing.push_str(", ");
                                existing.push_str(&value);
                            }
                        }
                        Some(_) => {}
                        None => {
                            tags.insert(pair.tag, value);
                        }
                    }
                }
                Ok(Tags(tags))
            }
        }

        deserializer.deserialize_any(TagsVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    const PROBLEM: &str = include_str!("../../tests/fixtures/zabbix/problem.json");
    const RESOLVED: &str = include_str!("../../tests/fixtures/zabbix/resolved.json");

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
    fn problem_fixture_maps_every_field() {
        let alerts = parse(PROBLEM.as_bytes()).unwrap();
        let expected = Alert {
            source: AlertSource::Zabbix,
            fingerprint: "48291".to_owned(),
            name: "High CPU utilization (over 90% for 5m)".to_owned(),
            status: AlertStatus::Firing,
            severity_label: Some("High".to_owned()),
            service: Some("orders-db".to_owned()),
            host: Some("db-1.prod".to_owned()),
            value: Some("97.2 %".to_owned()),
            starts_at: ts("2026-11-21T21:10:05Z"),
            ends_at: None,
            labels: map(&[
                ("alertname", "High CPU utilization (over 90% for 5m)"),
                ("class", "os"),
                ("component", "cpu"),
                ("host", "db-1.prod"),
                ("host_ip", "10.0.3.21"),
                ("scope", "performance"),
                ("service", "orders-db"),
                ("severity", "High"),
                ("target", "linux"),
            ]),
            annotations: map(&[(
                "description",
                "CPU utilization is too high. The system might be slow to respond.",
            )]),
            generator_url: Some(
                "https://zabbix.example.internal/tr_events.php?triggerid=23145&eventid=48291"
                    .to_owned(),
            ),
        };
        assert_eq!(alerts, vec![expected]);
    }

    #[test]
    fn resolved_fixture_resolves_the_same_fingerprint() {
        let problem = parse(PROBLEM.as_bytes()).unwrap();
        let resolved = parse(RESOLVED.as_bytes()).unwrap();
        assert_eq!(resolved.len(), 1);
        let r = &resolved[0];
        assert_eq!(r.identity(), problem[0].identity());
        assert_eq!(r.status, AlertStatus::Resolved);
        assert_eq!(r.starts_at, problem[0].starts_at);
        assert_eq!(r.ends_at, Some(ts("2026-11-21T21:31:45Z")));
        assert_eq!(r.value.as_deref(), Some("41.3 %"));
    }

    #[test]
    fn status_and_severity_words() {
        let cases = [
            ("PROBLEM", "Disaster", AlertStatus::Firing),
            ("RESOLVED", "Not classified", AlertStatus::Resolved),
            ("OK", "Information", AlertStatus::Resolved),
            ("PROBLEM", "Average", AlertStatus::Firing),
            ("PROBLEM", "Warning", AlertStatus::Firing),
        ];
        for (status, severity, expected) in cases {
            let mut body: Value = serde_json::from_str(PROBLEM).unwrap();
            body["status"] = json!(status);
            body["severity"] = json!(severity);
            let alert = parse(body.to_string().as_bytes()).unwrap().remove(0);
            assert_eq!(alert.status, expected, "{status}");
            assert_eq!(alert.severity_label.as_deref(), Some(severity));
        }
    }

    #[test]
    fn tags_arrive_as_an_object_or_as_tagsjson() {
        let mut body: Value = serde_json::from_str(PROBLEM).unwrap();
        body["tags"] = json!([
            {"tag": "scope", "value": "availability"},
            {"tag": "scope", "value": "performance"},
            {"tag": "service", "value": "billing"},
            {"tag": "critical"},
            {"tag": "critical", "value": ""}
        ]);
        body.as_object_mut().unwrap().remove("service");
        let alert = parse(body.to_string().as_bytes()).unwrap().remove(0);
        assert_eq!(
            alert.labels.get("scope").map(String::as_str),
            Some("availability, performance")
        );
        assert_eq!(alert.labels.get("critical").map(String::as_str), Some(""));
        assert_eq!(
            alert.service.as_deref(),
            Some("billing"),
            "service falls back to the service tag"
        );
    }

    #[test]
    fn minimal_event_with_nulls_is_accepted() {
        let body = json!({
            "event_id": "7",
            "status": "PROBLEM",
            "severity": "Warning",
            "name": "Zabbix agent is not available",
            "started_at": "2026-11-21T21:10:05+08:00",
            "resolved_at": null,
            "host": null,
            "tags": null,
            "value": 0,
            "url": ""
        });
        let alert = parse(body.to_string().as_bytes()).unwrap().remove(0);
        assert_eq!(alert.starts_at, ts("2026-11-21T13:10:05Z"));
        assert_eq!(alert.host, None);
        assert_eq!(alert.service, None);
        assert_eq!(alert.value.as_deref(), Some("0"));
        assert_eq!(alert.generator_url, None);
        assert_eq!(
            alert.labels,
            map(&[
                ("alertname", "Zabbix agent is not available"),
                ("severity", "Warning")
            ])
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_field_path() {
        type Edit = fn(&mut Value);
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "unknown field",
                |b| b["event_name"] = json!("x"),
                "event_name: unknown field `event_name`, expected one of `event_id`",
            ),
            (
                "missing event_id",
                |b| {
                    b.as_object_mut().unwrap().remove("event_id");
                },
                "body: missing field `event_id`",
            ),
            (
                "numeric event_id",
                |b| b["event_id"] = json!(48291),
                "event_id: invalid type: integer `48291`, expected a string",
            ),
            (
                "empty event_id",
                |b| b["event_id"] = json!(""),
                "event_id: must not be empty",
            ),
            (
                "long event_id",
                |b| b["event_id"] = json!("9".repeat(257)),
                "event_id: is 257 characters long",
            ),
            (
                "lowercase status",
                |b| b["status"] = json!("problem"),
                "status: unknown variant `problem`, expected one of `PROBLEM`, `OK`, `RESOLVED`",
            ),
            (
                "custom severity",
                |b| b["severity"] = json!("Critical"),
                "severity: unknown variant `Critical`, expected one of `Not classified`",
            ),
            (
                "empty name",
                |b| b["name"] = json!(" "),
                "name: must not be empty",
            ),
            (
                "zabbix date format",
                |b| b["started_at"] = json!("2026.11.21 22:10:05"),
                "started_at: \"2026.11.21 22:10:05\" is not an RFC 3339 timestamp",
            ),
            (
                "unexpanded macro",
                |b| b["resolved_at"] = json!("{EVENT.RECOVERY.TIMESTAMP}"),
                "resolved_at: \"{EVENT.RECOVERY.TIMESTAMP}\" is not an RFC 3339 timestamp",
            ),
            (
                "tag value not a string",
                |b| b["tags"]["component"] = json!(3),
                "tags.component: invalid type: integer `3`, expected a string",
            ),
            (
                "tagsjson entry without tag",
                |b| b["tags"] = json!([{"tag": "a", "value": "b"}, {"value": "c"}]),
                "tags[1]: missing field `tag`",
            ),
            (
                "tags as a string",
                |b| b["tags"] = json!("a:b"),
                "tags: invalid type: string \"a:b\", expected an object of tag values or an array",
            ),
            (
                "huge tag value",
                |b| b["tags"]["class"] = json!("c".repeat(16 * 1024 + 1)),
                "tags.class: is 16385 bytes long",
            ),
            (
                "huge description",
                |b| b["description"] = json!("d".repeat(20_000)),
                "description: is 20000 bytes long",
            ),
            (
                "an array of events",
                |b| *b = json!([b.clone()]),
                "body: expected a JSON object",
            ),
        ];
        for (label, edit, expected) in cases {
            let mut body: Value = serde_json::from_str(PROBLEM).unwrap();
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
