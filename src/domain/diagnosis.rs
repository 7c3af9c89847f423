//! Link diagnosis, as far as it is pure: what each observation of a service says (evidence:
//! its health answer, each PromQL check against its thresholds, its error logs), and the
//! ranking of root-cause candidates along `depends_on`.
//!
//! The rule: a failing service whose own dependencies are healthy is a likely cause; one whose
//! dependencies are failing too is more likely a victim of them. Among likely causes the
//! stronger evidence ranks first (a dead health endpoint over a breached check over error
//! logs), then the deeper link; among victims the deeper link ranks first, being closer to the
//! cause. A dependency nobody could observe (nothing configured, or its checks could not be
//! evaluated) is looked through: its own failing dependencies count for the service above it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::domain::logs::{LogAnalysis, PatternCount};
use crate::domain::service::ServiceCheck;

mod render;
pub use render::{format_value, report};

/// One observation of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A GET of its health URL (shown without the query): an answer's status, or no answer.
    Health {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        latency_ms: u64,
        /// Why there was no answer (refused, timed out, connection failed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A PromQL check: its worst value against its thresholds, or why it has none.
    Check {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        /// The query failed (Prometheus refused it, or did not answer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Its error logs over the window looked at.
    Logs {
        lines: u64,
        errors: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        patterns: Vec<PatternCount>,
    },
    /// Its logs could not be read.
    LogsFailed { error: String },
}

/// What one piece of evidence says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Healthy,
    Breached,
    /// Nothing could be concluded (no data, the query failed).
    Unknown,
}

impl Evidence {
    /// Evidence from a log analysis.
    pub fn from_logs(analysis: &LogAnalysis) -> Evidence {
        Evidence::Logs {
            lines: analysis.lines,
            errors: analysis.errors,
            patterns: analysis.patterns.clone(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        match self {
            Evidence::Health { status, .. } => match status {
                Some(status) if (200..300).contains(status) => Verdict::Healthy,
                _ => Verdict::Breached,
            },
            Evidence::Check {
                value,
                min,
                max,
                error,
                ..
            } => match (value, error) {
                (_, Some(_)) | (None, _) => Verdict::Unknown,
                (Some(value), None) if value.is_nan() => Verdict::Unknown,
                (Some(value), None) => {
                    if threshold_breached(*value, *min, *max) {
                        Verdict::Breached
                    } else {
                        Verdict::Healthy
                    }
                }
            },
            Evidence::Logs {
                errors, patterns, ..
            } => {
                if !patterns.is_empty() || *errors >= crate::domain::logs::ERROR_LINES_BREACH {
                    Verdict::Breached
                } else {
                    Verdict::Healthy
                }
            }
            Evidence::LogsFailed { .. } => Verdict::Unknown,
        }
    }

    /// How strongly breached evidence points at its service: a dead or failing health
    /// endpoint (3) over a breached check (2) over error logs (1).
    pub fn weight(&self) -> u32 {
        if self.verdict() != Verdict::Breached {
            return 0;
        }
        match self {
            Evidence::Health { .. } => 3,
            Evidence::Check { .. } => 2,
            Evidence::Logs { .. } | Evidence::LogsFailed { .. } => 1,
        }
    }
}

/// Whether `value` is outside `min`..=`max` (either may be absent).
pub fn threshold_breached(value: f64, min: Option<f64>, max: Option<f64>) -> bool {
    max.is_some_and(|max| value > max) || min.is_some_and(|min| value < min)
}

/// The worst of a check's values: the highest when it breaches `max`, else the lowest when
/// it breaches `min`, else the one nearest a bound (the highest when there is a `max` or no
/// bound at all, the lowest for a `min`-only check). NaN values are ignored; `None` when no
/// number is left.
pub fn worst_value(check: &ServiceCheck, values: &[f64]) -> Option<f64> {
    let numbers: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let highest = numbers.iter().copied().reduce(f64::max)?;
    let lowest = numbers.iter().copied().reduce(f64::min)?;
    if check.max.is_some_and(|max| highest > max) {
        Some(highest)
    } else if check
        .min
        .is_some_and(|min| lowest < min || check.max.is_none())
    {
        // Breaching the min, or a min-only check: its lowest value is the one that matters.
        Some(lowest)
    } else {
        Some(highest)
    }
}

/// What was observed of one service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceFindings {
    pub service: String,
    pub depends_on: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// What could not be observed and why (a URL not allowed, a system not configured).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ServiceFindings {
    /// Whether any evidence is breached.
    pub fn failing(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| e.verdict() == Verdict::Breached)
    }

    /// Whether nothing could be concluded about it (nothing configured, or every query
    /// failed).
    pub fn unobserved(&self) -> bool {
        self.evidence
            .iter()
            .all(|e| e.verdict() == Verdict::Unknown)
    }

    fn weight(&self) -> u32 {
        self.evidence.iter().map(Evidence::weight).sum()
    }
}

/// A failing service, ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub service: String,
    /// Hops from the service diagnosed (0: itself).
    pub depth: usize,
    /// Whether its own dependencies are healthy (or it has none): the likely cause.
    pub likely_cause: bool,
    /// Its failing dependencies (looking through unobserved ones), when it is not.
    pub failing_dependencies: Vec<String>,
    /// Its breached evidence, strongest first.
    pub evidence: Vec<Evidence>,
    pub weight: u32,
}

/// The ranked result of a diagnosis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The service diagnosed.
    pub service: String,
    /// Failing services, most likely cause first.
    pub candidates: Vec<Candidate>,
    /// Services with at least one conclusive observation.
    pub observed: usize,
    /// Services nothing could be concluded about.
    pub unobserved: Vec<String>,
    /// Observed services found healthy.
    pub healthy: Vec<String>,
}

/// The most candidates the room shows (the output lists every service).
pub const MAX_CANDIDATES_SHOWN: usize = 5;

/// Ranks the failing services of `findings` (the first is the service diagnosed, the rest
/// what it reaches through `depends_on`; names outside the findings are ignored).
pub fn rank(findings: &[ServiceFindings]) -> Diagnosis {
    let by_name: BTreeMap<&str, &ServiceFindings> =
        findings.iter().map(|f| (f.service.as_str(), f)).collect();
    let depths = depths(findings, &by_name);
    let mut candidates: Vec<Candidate> = findings
        .iter()
        .filter(|f| f.failing())
        .map(|f| {
            let failing_dependencies = failing_below(f, &by_name);
            let mut evidence: Vec<Evidence> = f
                .evidence
                .iter()
                .filter(|e| e.verdict() == Verdict::Breached)
                .cloned()
                .collect();
            evidence.sort_by_key(|e| std::cmp::Reverse(e.weight()));
            Candidate {
                service: f.service.clone(),
                depth: depths.get(f.service.as_str()).copied().unwrap_or(0),
                likely_cause: failing_dependencies.is_empty(),
                failing_dependencies,
                evidence,
                weight: f.weight(),
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.likely_cause
            .cmp(&a.likely_cause)
            .then_with(|| {
                if a.likely_cause {
                    b.weight.cmp(&a.weight).then(b.depth.cmp(&a.depth))
                } else {
                    b.depth.cmp(&a.depth).then(b.weight.cmp(&a.weight))
                }
            })
            .then_with(|| a.service.cmp(&b.service))
    });
    let unobserved: Vec<String> = findings
        .iter()
        .filter(|f| f.unobserved())
        .map(|f| f.service.clone())
        .collect();
    let healthy: Vec<String> = findings
        .iter()
        .filter(|f| !f.unobserved() && !f.failing())
        .map(|f| f.service.clone())
        .collect();
    Diagnosis {
        service: findings
            .first()
            .map(|f| f.service.clone())
            .unwrap_or_default(),
        observed: findings.len() - unobserved.len(),
        candidates,
        unobserved,
        healthy,
    }
}

/// Hops from the first service, breadth first.
fn depths<'a>(
    findings: &'a [ServiceFindings],
    by_name: &BTreeMap<&'a str, &'a ServiceFindings>,
) -> BTreeMap<&'a str, usize> {
    let mut depths = BTreeMap::new();
    let Some(first) = findings.first() else {
        return depths;
    };
    depths.insert(first.service.as_str(), 0);
    let mut queue = VecDeque::from([first]);
    while let Some(current) = queue.pop_front() {
        let depth = depths.get(current.service.as_str()).copied().unwrap_or(0);
        for name in &current.depends_on {
            if let Some(dependency) = by_name.get(name.as_str())
                && !depths.contains_key(dependency.service.as_str())
            {
                depths.insert(dependency.service.as_str(), depth + 1);
                queue.push_back(dependency);
            }
        }
    }
    depths
}

/// The failing dependencies of `service`: its direct ones that fail, and through a direct one
/// nobody could observe, that one's failing dependencies (cycle-safe).
fn failing_below(
    service: &ServiceFindings,
    by_name: &BTreeMap<&str, &ServiceFindings>,
) -> Vec<String> {
    let mut seen: BTreeSet<&str> = BTreeSet::from([service.service.as_str()]);
    let mut out = Vec::new();
    let mut stack: Vec<&str> = service.depends_on.iter().map(String::as_str).collect();
    while let Some(name) = stack.pop() {
        let Some(dependency) = by_name.get(name) else {
            continue;
        };
        if !seen.insert(dependency.service.as_str()) {
            continue;
        }
        if dependency.failing() {
            out.push(dependency.service.clone());
        } else if dependency.unobserved() {
            stack.extend(dependency.depends_on.iter().map(String::as_str));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests;
