//! The normalised alert (seed 001's schema) that every intake format is turned into.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an alert came from; part of its identity so two systems cannot collide on a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSource {
    Alertmanager,
    Grafana,
    Zabbix,
    Generic,
}

impl AlertSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSource::Alertmanager => "alertmanager",
            AlertSource::Grafana => "grafana",
            AlertSource::Zabbix => "zabbix",
            AlertSource::Generic => "generic",
        }
    }
}

impl std::fmt::Display for AlertSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// One alert as warroom understands it, whatever sent it.
///
/// `fingerprint` is the sender's stable identity of the alert (Alertmanager's fingerprint,
/// Grafana's fingerprint, Zabbix's event id, the generic `alert_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub source: AlertSource,
    pub fingerprint: String,
    pub name: String,
    pub status: AlertStatus,
    /// The raw severity word the sender used (`critical`, `warning`, `P1`, …); mapped to a
    /// [`crate::domain::severity::Severity`] by config.
    pub severity_label: Option<String>,
    pub service: Option<String>,
    pub host: Option<String>,
    pub value: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub generator_url: Option<String>,
}

impl Alert {
    /// The key that identifies this alert across deliveries.
    pub fn identity(&self) -> AlertIdentity {
        AlertIdentity {
            source: self.source,
            fingerprint: self.fingerprint.clone(),
        }
    }

    pub fn summary(&self) -> Option<&str> {
        self.annotations
            .get("summary")
            .or_else(|| self.annotations.get("title"))
            .map(String::as_str)
    }

    pub fn description(&self) -> Option<&str> {
        self.annotations.get("description").map(String::as_str)
    }

    pub fn runbook_url(&self) -> Option<&str> {
        self.annotations
            .get("runbook_url")
            .or_else(|| self.annotations.get("runbook"))
            .map(String::as_str)
    }

    /// Whether `other` is the same delivery of the same alert state. Alertmanager retries,
    /// HA pairs and `repeat_interval` resend identical states; those must change nothing.
    /// A firing alert's `endsAt` is ignored because senders move it forward on every resend.
    pub fn same_state_as(&self, other: &Alert) -> bool {
        self.status == other.status
            && self.starts_at == other.starts_at
            && (self.status == AlertStatus::Firing || self.ends_at == other.ends_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlertIdentity {
    pub source: AlertSource,
    pub fingerprint: String,
}

impl std::fmt::Display for AlertIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.source, self.fingerprint)
    }
}
