//! The services warroom knows (`[[services]]` in config): one source for a service's health
//! URL, where it runs in Kubernetes and its replica bounds, what it depends on, its checks and
//! how to find its logs. Probes, actions and link diagnosis all read it from here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One service, as configured.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_url: Option<String>,
    /// The Kubernetes namespace of its deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Kubernetes deployment that runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// The fewest replicas scaling may leave (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    /// The most replicas scaling may ask for; scaling is refused without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    /// The services it calls, for link diagnosis.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// PromQL checks with thresholds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<ServiceCheck>,
    /// The log query selecting its logs (a Loki stream selector such as `{app="checkout"}`,
    /// or an Elasticsearch query string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_selector: Option<String>,
}

/// A PromQL expression whose value must stay within `min`..=`max` (either may be absent).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceCheck {
    pub name: String,
    pub promql: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
}

/// Every configured service, by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Services {
    by_name: BTreeMap<String, ServiceDef>,
}

impl Services {
    /// Builds the set; a later service with the same name replaces the earlier one (config
    /// validation refuses duplicates before this).
    pub fn new(services: impl IntoIterator<Item = ServiceDef>) -> Services {
        Services {
            by_name: services
                .into_iter()
                .map(|service| (service.name.clone(), service))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&ServiceDef> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ServiceDef> {
        self.by_name.values()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
