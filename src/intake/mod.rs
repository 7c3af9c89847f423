//! Alert intake: turns the webhook bodies of Alertmanager, Grafana, Zabbix (through warroom's
//! own media-type script) and the generic JSON schema into normalised [`Alert`]s.
//!
//! Everything here is pure: bytes in, alerts or an [`IntakeError`] out. The HTTP layer maps an
//! error to a 4xx answer whose text is the error's `Display`, so every message names the field
//! path the sender got wrong (`alerts[0].startsAt: "abc" is not an RFC 3339 timestamp`).
//!
//! Besides the sender's own labels, alerts from Zabbix and the generic schema also carry
//! `alertname` and, when known, `severity` and `service` labels (a sender's own label of the same
//! name wins), so label-based grouping and routing treat every source alike.

pub mod alertmanager;
pub mod generic;
pub mod grafana;
pub mod zabbix;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use crate::domain::alert::{Alert, AlertSource};

/// The most alerts one request may carry; a bigger batch is refused whole so the sender retries
/// it rather than warroom silently dropping part of it.
pub const MAX_ALERTS_PER_REQUEST: usize = 1000;

/// The longest fingerprint (or Zabbix event id, or generic `alert_id`) accepted, in characters.
/// Fingerprints become storage keys, so they must stay short.
pub const MAX_FINGERPRINT_CHARS: usize = 256;

/// The longest label value, annotation value or other text field accepted, in bytes (16 KiB).
pub const MAX_TEXT_BYTES: usize = 16 * 1024;

/// The alerts of one request, and how many the sender says it left out.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBatch {
    pub source: AlertSource,
    pub alerts: Vec<Alert>,
    /// Alertmanager's `truncatedAlerts`: alerts of the group it did not send (0 elsewhere).
    pub truncated: u64,
}

/// Parses one webhook body into its alerts and what the sender says it left out.
pub fn parse_batch(source: AlertSource, body: &[u8]) -> Result<AlertBatch, IntakeError> {
    match source {
        AlertSource::Alertmanager => alertmanager::parse_batch(body),
        other => parse(other, body).map(|alerts| AlertBatch {
            source: other,
            alerts,
            truncated: 0,
        }),
    }
}

/// Parses one webhook body of the given format into the alerts it carries.
///
/// Zabbix bodies carry one event, the other formats one or more alerts. An empty list is possible
/// (an Alertmanager group with no alerts, or an empty generic array) and is not an error.
pub fn parse(source: AlertSource, body: &[u8]) -> Result<Vec<Alert>, IntakeError> {
    match source {
        AlertSource::Alertmanager => alertmanager::parse(body),
        AlertSource::Grafana => grafana::parse(body),
        AlertSource::Zabbix => zabbix::parse(body),
        AlertSource::Generic => generic::parse(body),
    }
}

/// Why a webhook body was refused. `Display` is written for the integrator who sent it.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body is not JSON at all, or stops short; `message` carries the line and column.
    #[error("request body is not valid JSON: {message}")]
    Syntax { message: String },

    /// A field is missing, has the wrong type, or holds a value warroom cannot accept.
    /// `path` is the field's path in the body, like `alerts[2].labels.alertname` (or `body`).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },

    /// More than [`MAX_ALERTS_PER_REQUEST`] alerts arrived in one request.
    #[error(
        "{path}: {count} alerts in one request is more than the limit of {limit}; \
         send smaller batches (Alertmanager `max_alerts`, Grafana `maxAlerts`)"
    )]
    TooManyAlerts {
        path: String,
        count: usize,
        limit: usize,
    },

    /// The body declares a payload version this endpoint does not understand (or none).
    #[error("{}", version_message(.format, .found.as_deref(), .supported))]
    UnsupportedVersion {
        /// The sender, as integrators know it: "Alertmanager", "Grafana".
        format: &'static str,
        /// The `version` value as it appeared in the body (JSON text), or `None` if absent.
        found: Option<String>,
        supported: &'static str,
    },
}

impl IntakeError {
    /// The path of the offending field, when the error is about one field.
    pub fn path(&self) -> Option<&str> {
        match self {
            IntakeError::Syntax { .. } => None,
            IntakeError::Invalid { path, .. } | IntakeError::TooManyAlerts { path, .. } => {
                Some(path)
            }
            IntakeError::UnsupportedVersion { .. } => Some("version"),
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        IntakeError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

fn version_message(format: &str, found: Option<&str>, supported: &str) -> String {
    match found {
        Some(found) => format!(
            "version: {} is not supported; this endpoint accepts {format} webhook version \"{supported}\"",
            truncate_for_message(found)
        ),
        None => format!(
            "version: missing; this endpoint accepts {format} webhook version \"{supported}\""
        ),
    }
}

/// Deserialises `body` as `T`, turning serde's failure into an [`IntakeError`] that names the
/// path of the field where it happened.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, IntakeError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(from_serde)?;
    // The deserializer stops after the first value; `end` refuses trailing text such as
    // `{...} garbage`, as `serde_json::from_slice` would.
    de.end().map_err(|e| IntakeError::Syntax {
        message: e.to_string(),
    })?;
    Ok(value)
}

fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> IntakeError {
    let path = display_path(err.path());
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            // The path already says where; the line and column would only add noise.
            let text = inner.to_string();
            let position = format!(" at line {} column {}", inner.line(), inner.column());
            let message = text.strip_suffix(&position).unwrap_or(&text).to_owned();
            IntakeError::Invalid { path, message }
        }
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => IntakeError::Syntax {
            message: inner.to_string(),
        },
    }
}

fn display_path(path: &serde_path_to_error::Path) -> String {
    if path.iter().next().is_none() {
        "body".to_owned()
    } else {
        path.to_string()
    }
}

/// Reads the top-level `version` field before the full parse, so a payload of another version
/// is refused with a version message instead of a confusing complaint about some other field.
pub(crate) fn check_version(
    body: &[u8],
    format: &'static str,
    supported: &'static str,
) -> Result<(), IntakeError> {
    #[derive(Deserialize)]
    struct VersionProbe {
        #[serde(default)]
        version: Option<serde_json::Value>,
    }

    expect_object(body)?;
    let probe: VersionProbe = decode(body)?;
    match probe.version {
        Some(serde_json::Value::String(v)) if v == supported => Ok(()),
        Some(serde_json::Value::Null) | None => Err(IntakeError::UnsupportedVersion {
            format,
            found: None,
            supported,
        }),
        Some(other) => Err(IntakeError::UnsupportedVersion {
            format,
            found: Some(other.to_string()),
            supported,
        }),
    }
}

/// Refuses a batch bigger than [`MAX_ALERTS_PER_REQUEST`].
pub(crate) fn check_count(path: &str, count: usize) -> Result<(), IntakeError> {
    if count > MAX_ALERTS_PER_REQUEST {
        return Err(IntakeError::TooManyAlerts {
            path: path.to_owned(),
            count,
            limit: MAX_ALERTS_PER_REQUEST,
        });
    }
    Ok(())
}

/// Checks a fingerprint (or event id) is present and short enough to be a storage key.
pub(crate) fn check_fingerprint(path: &str, fingerprint: &str) -> Result<(), IntakeError> {
    if fingerprint.trim().is_empty() {
        return Err(IntakeError::invalid(
            path,
            "must not be empty; it is the alert's identity across deliveries",
        ));
    }
    let chars = fingerprint.chars().count();
    if chars > MAX_FINGERPRINT_CHARS {
        return Err(IntakeError::invalid(
            path,
            format!("is {chars} characters long; the limit is {MAX_FINGERPRINT_CHARS}"),
        ));
    }
    Ok(())
}

/// Checks a required text field is not blank and not over [`MAX_TEXT_BYTES`].
pub(crate) fn check_required_text(path: &str, value: &str) -> Result<(), IntakeError> {
    if value.trim().is_empty() {
        return Err(IntakeError::invalid(path, "must not be empty"));
    }
    check_text(path, value)
}

/// Checks a text field is not over [`MAX_TEXT_BYTES`].
pub(crate) fn check_text(path: &str, value: &str) -> Result<(), IntakeError> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(IntakeError::invalid(
            path,
            format!(
                "is {} bytes long; the limit is {MAX_TEXT_BYTES} bytes (16 KiB)",
                value.len()
            ),
        ));
    }
    Ok(())
}

/// Checks every key and value of a label or annotation map; the error path names the key.
pub(crate) fn check_map(path: &str, map: &BTreeMap<String, String>) -> Result<(), IntakeError> {
    for (key, value) in map {
        if key.len() > MAX_TEXT_BYTES {
            return Err(IntakeError::invalid(
                path,
                format!(
                    "the name {} is {} bytes long; the limit is {MAX_TEXT_BYTES} bytes (16 KiB)",
                    quoted(key),
                    key.len()
                ),
            ));
        }
        check_text(&format!("{path}.{key}"), value)?;
    }
    Ok(())
}

/// Returns a required, non-blank label such as `alertname`.
pub(crate) fn required_label<'a>(
    labels: &'a BTreeMap<String, String>,
    key: &str,
    labels_path: &str,
) -> Result<&'a str, IntakeError> {
    match labels.get(key).map(String::as_str) {
        Some(value) if !value.trim().is_empty() => Ok(value),
        Some(_) => Err(IntakeError::invalid(
            format!("{labels_path}.{key}"),
            "must not be empty",
        )),
        None => Err(IntakeError::invalid(
            format!("{labels_path}.{key}"),
            format!("missing; every alert needs the `{key}` label"),
        )),
    }
}

/// Turns an optional string into `None` when it is absent or blank, so "" never reaches the
/// domain as a real value.
pub(crate) fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Returns the first of `keys` that the map holds with a non-blank value.
pub(crate) fn first_label(map: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|key| map.get(*key))
        .find(|value| !value.trim().is_empty())
        .cloned()
}

/// Adds `key = value` to the labels unless the sender already set that label.
pub(crate) fn default_label(labels: &mut BTreeMap<String, String>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        labels
            .entry(key.to_owned())
            .or_insert_with(|| value.to_owned());
    }
}

/// Shortens user input quoted inside an error message, so a 16 KiB junk value does not come
/// back whole in the error.
pub(crate) fn truncate_for_message(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    if text.chars().count() <= MAX_CHARS {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX_CHARS).collect();
        short.push('…');
        short
    }
}

/// Quotes user input for an error message, shortened by [`truncate_for_message`].
pub(crate) fn quoted(text: &str) -> String {
    format!("{:?}", truncate_for_message(text))
}

/// Refuses a body that is not a JSON object before serde sees it: derived struct
/// deserialisers also accept a JSON array (fields by position), which would turn a wrong body
/// into a baffling message.
pub(crate) fn expect_object(body: &[u8]) -> Result<(), IntakeError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Ok(());
    }
    // Text that is not JSON at all (or an empty body) gets the parser's syntax message.
    decode::<serde::de::IgnoredAny>(body)?;
    Err(IntakeError::invalid("body", "expected a JSON object"))
}

/// An RFC 3339 timestamp that fails deserialisation with a message naming the bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Alertmanager and Grafana send Go's zero time, `0001-01-01T00:00:00Z`, for "no end yet".
    pub(crate) fn unless_zero(self) -> Option<DateTime<Utc>> {
        if self.0.year() <= 1 {
            None
        } else {
            Some(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;

        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp string")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| Timestamp(t.with_timezone(&Utc)))
                    .map_err(|_| {
                        E::custom(format!(
                            "{} is not an RFC 3339 timestamp (like 2026-11-21T21:47:21Z)",
                            quoted(v)
                        ))
                    })
            }
        }

        deserializer.deserialize_str(TimestampVisitor)
    }
}

/// A metric value sent as a string or a number; kept as the text warroom will show.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricValue(pub String);

impl<'de> Deserialize<'de> for MetricValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetricValueVisitor;

        impl Visitor<'_> for MetricValueVisitor {
            type Value = MetricValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetricValue, E> {
                Ok(MetricValue(v.to_owned()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MetricValue, E> {
                Ok(MetricValue(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MetricValue, E> {
                Ok(MetricValue(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MetricValue, E> {
                Ok(MetricValue(v.to_string()))
            }
        }

        deserializer.deserialize_any(MetricValueVisitor)
    }
}

/// Reads a string map where senders may write `null` for "none" (Go marshals a nil map so).
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_each_source_to_its_parser() {
        let cases: [(AlertSource, &str); 4] = [
            (
                AlertSource::Alertmanager,
                include_str!("../../tests/fixtures/alertmanager/payload-am-direct-firing.json"),
            ),
            (
                AlertSource::Grafana,
                include_str!("../../tests/fixtures/grafana/firing.json"),
            ),
            (
                AlertSource::Zabbix,
                include_str!("../../tests/fixtures/zabbix/problem.json"),
            ),
            (
                AlertSource::Generic,
                include_str!("../../tests/fixtures/generic/one.json"),
            ),
        ];
        for (source, body) in cases {
            let alerts = parse(source, body.as_bytes()).unwrap();
            assert!(!alerts.is_empty(), "{source}");
            assert!(alerts.iter().all(|a| a.source == source), "{source}");
        }
    }

    #[test]
    fn a_body_in_the_wrong_format_names_the_problem() {
        // A generic alert posted to the Alertmanager endpoint has no version.
        let body = include_str!("../../tests/fixtures/generic/one.json");
        let err = parse(AlertSource::Alertmanager, body.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "version: missing; this endpoint accepts Alertmanager webhook version \"4\""
        );
    }

    #[test]
    fn syntax_errors_carry_the_position() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "EOF while parsing a value at line 1 column 0"),
            (b"{\"version\": \"4\",", "line 1 column 16"),
            (b"{\"version\": \"4\"} trailing", "trailing characters"),
            (b"\xff\xfe", "expected value"),
        ];
        for (body, expected) in cases {
            let err = parse(AlertSource::Alertmanager, body).unwrap_err();
            assert!(matches!(err, IntakeError::Syntax { .. }), "{err:?}");
            let text = err.to_string();
            assert!(
                text.starts_with("request body is not valid JSON: "),
                "{text}"
            );
            assert!(text.contains(expected), "{text} should contain {expected}");
        }
    }

    #[test]
    fn timestamps_parse_to_utc_and_zero_means_none() {
        #[derive(Deserialize)]
        struct T {
            at: Timestamp,
        }
        let t: T = serde_json::from_str(r#"{"at": "2026-11-21T23:47:21.246+02:00"}"#).unwrap();
        assert_eq!(t.at.0.to_rfc3339(), "2026-11-21T21:47:21.246+00:00");
        assert!(t.at.unless_zero().is_some());
        let zero: T = serde_json::from_str(r#"{"at": "0001-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(zero.at.unless_zero(), None);
    }

    #[test]
    fn bad_timestamps_are_named_and_truncated() {
        let long = "x".repeat(500);
        let body = format!(r#"{{"timestamp": "{long}"}}"#);
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            timestamp: Timestamp,
        }
        let err = decode::<T>(body.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("timestamp: \"xxxx"), "{err}");
        assert!(err.contains("…\" is not an RFC 3339 timestamp"), "{err}");
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn metric_values_keep_their_text() {
        let cases = [
            ("\"97.2 %\"", "97.2 %"),
            ("12", "12"),
            ("-3", "-3"),
            ("12.5", "12.5"),
            ("1e3", "1000"),
        ];
        for (json, expected) in cases {
            let v: MetricValue = serde_json::from_str(json).unwrap();
            assert_eq!(v.0, expected, "{json}");
        }
        assert!(serde_json::from_str::<MetricValue>("true").is_err());
        assert!(serde_json::from_str::<MetricValue>("{}").is_err());
    }

    #[test]
    fn limits_are_enforced_at_their_edges() {
        assert!(check_fingerprint("f", &"a".repeat(MAX_FINGERPRINT_CHARS)).is_ok());
        let err = check_fingerprint("f", &"a".repeat(MAX_FINGERPRINT_CHARS + 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f: is 257 characters long; the limit is 256"
        );
        assert!(check_fingerprint("f", " ").is_err());
        assert!(check_text("t", &"a".repeat(MAX_TEXT_BYTES)).is_ok());
        assert!(check_text("t", &"a".repeat(MAX_TEXT_BYTES + 1)).is_err());
        assert!(check_count("alerts", MAX_ALERTS_PER_REQUEST).is_ok());
        let err = check_count("alerts", MAX_ALERTS_PER_REQUEST + 1).unwrap_err();
        assert!(err.to_string().starts_with("alerts: 1001 alerts"), "{err}");
        assert!(err.to_string().contains("limit of 1000"), "{err}");
    }

    #[test]
    fn map_errors_name_the_key() {
        let mut map = BTreeMap::new();
        map.insert("ok".to_owned(), "fine".to_owned());
        map.insert("huge".to_owned(), "v".repeat(MAX_TEXT_BYTES + 1));
        let err = check_map("alerts[3].annotations", &map).unwrap_err();
        assert_eq!(err.path(), Some("alerts[3].annotations.huge"));
        let mut keys = BTreeMap::new();
        keys.insert("k".repeat(MAX_TEXT_BYTES + 1), "v".to_owned());
        let err = check_map("labels", &keys).unwrap_err().to_string();
        assert!(err.starts_with("labels: the name \"kkk"), "{err}");
        assert!(err.contains("k…\" is 16385 bytes long"), "{err}");
    }
}
