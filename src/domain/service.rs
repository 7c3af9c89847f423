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

    /// `start` and every service reachable from it through `depends_on`, breadth first, each
    /// once (cycles end), at most `max_depth` hops away and at most [`MAX_REACHABLE`] in all.
    /// Names no service is configured for are skipped. Empty when `start` is unknown.
    pub fn reachable(&self, start: &str, max_depth: usize) -> Vec<ServiceDef> {
        let Some(first) = self.get(start) else {
            return Vec::new();
        };
        let mut seen = std::collections::BTreeSet::from([first.name.as_str()]);
        let mut out = vec![first.clone()];
        let mut frontier = vec![first];
        for _ in 0..max_depth {
            let mut next = Vec::new();
            for service in frontier {
                for name in &service.depends_on {
                    if out.len() >= MAX_REACHABLE {
                        return out;
                    }
                    if let Some(dependency) = self.get(name)
                        && seen.insert(dependency.name.as_str())
                    {
                        out.push(dependency.clone());
                        next.push(dependency);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }
}

/// The most services one link diagnosis looks at.
pub const MAX_REACHABLE: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, depends_on: &[&str]) -> ServiceDef {
        ServiceDef {
            name: name.to_owned(),
            depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
            ..ServiceDef::default()
        }
    }

    #[test]
    fn reachable_is_breadth_first_bounded_and_survives_cycles() {
        let services = Services::new([
            service("checkout", &["payments", "db"]),
            service("payments", &["db", "bank", "checkout"]),
            service("db", &[]),
            service("bank", &["ledger"]),
            service("ledger", &["checkout"]),
        ]);
        let names = |depth| -> Vec<String> {
            services
                .reachable("checkout", depth)
                .into_iter()
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(names(0), ["checkout"]);
        assert_eq!(names(1), ["checkout", "payments", "db"]);
        assert_eq!(names(2), ["checkout", "payments", "db", "bank"]);
        assert_eq!(names(9), ["checkout", "payments", "db", "bank", "ledger"]);
        assert!(services.reachable("nope", 3).is_empty());
    }
}
