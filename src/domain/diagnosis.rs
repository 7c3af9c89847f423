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
use crate::domain::message::Msg;
use crate::domain::service::ServiceCheck;

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

    /// The room lines for this evidence (a log finding also names its patterns).
    pub fn msgs(&self) -> Vec<Msg> {
        match self {
            Evidence::Health {
                url,
                status: Some(status),
                latency_ms,
                ..
            } => vec![
                Msg::new("diag-evidence-health")
                    .outside("url", url)
                    .number("status", u64::from(*status))
                    .number("latency", *latency_ms),
            ],
            Evidence::Health { url, error, .. } => vec![
                Msg::new("diag-evidence-health-none")
                    .outside("url", url)
                    .outside("error", error.as_deref().unwrap_or("-")),
            ],
            Evidence::Check {
                name,
                error: Some(error),
                ..
            } => vec![
                Msg::new("diag-evidence-check-failed")
                    .outside("check", name)
                    .outside("error", error),
            ],
            Evidence::Check {
                name, value: None, ..
            } => vec![Msg::new("diag-evidence-check-no-data").outside("check", name)],
            Evidence::Check {
                name,
                value: Some(value),
                min,
                max,
                ..
            } => vec![check_msg(name, *value, *min, *max)],
            Evidence::Logs {
                lines,
                errors,
                patterns,
            } => {
                let mut out = vec![
                    Msg::new("diag-evidence-logs")
                        .number("errors", *errors)
                        .number("lines", *lines),
                ];
                out.extend(patterns.iter().map(|found| found.pattern.msg(found.count)));
                out
            }
            Evidence::LogsFailed { error } => {
                vec![Msg::new("diag-evidence-logs-failed").outside("error", error)]
            }
        }
    }

    /// One plain line for the action's output.
    pub fn report(&self) -> String {
        let verdict = match self.verdict() {
            Verdict::Healthy => "ok",
            Verdict::Breached => "BREACHED",
            Verdict::Unknown => "unknown",
        };
        let what = match self {
            Evidence::Health {
                url,
                status: Some(status),
                latency_ms,
                ..
            } => format!("health GET {url} -> {status} in {latency_ms} ms"),
            Evidence::Health {
                url,
                error,
                latency_ms,
                ..
            } => format!(
                "health GET {url} -> no answer after {latency_ms} ms ({})",
                error.as_deref().unwrap_or("-")
            ),
            Evidence::Check {
                name,
                value,
                min,
                max,
                error,
            } => {
                let value = value.map_or("no data".to_owned(), format_value);
                let mut bounds = Vec::new();
                if let Some(min) = min {
                    bounds.push(format!("min {}", format_value(*min)));
                }
                if let Some(max) = max {
                    bounds.push(format!("max {}", format_value(*max)));
                }
                let mut line = format!("check {name} = {value} ({})", bounds.join(", "));
                if let Some(error) = error {
                    line.push_str(&format!(": {error}"));
                }
                line
            }
            Evidence::Logs {
                lines,
                errors,
                patterns,
            } => {
                let mut line = format!("logs {errors} error lines of {lines} read");
                if !patterns.is_empty() {
                    let named: Vec<String> = patterns
                        .iter()
                        .map(|p| format!("{} x{}", p.pattern.code(), p.count))
                        .collect();
                    line.push_str(&format!("; patterns: {}", named.join(", ")));
                }
                line
            }
            Evidence::LogsFailed { error } => format!("logs could not be read: {error}"),
        };
        format!("{what} [{verdict}]")
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

fn check_msg(name: &str, value: f64, min: Option<f64>, max: Option<f64>) -> Msg {
    let value_text = format_value(value);
    match (max, min) {
        (Some(max), _) if value > max => Msg::new("diag-evidence-check-above")
            .outside("check", name)
            .word("value", value_text)
            .word("threshold", format_value(max)),
        (_, Some(min)) if value < min => Msg::new("diag-evidence-check-below")
            .outside("check", name)
            .word("value", value_text)
            .word("threshold", format_value(min)),
        _ => Msg::new("diag-evidence-check-ok")
            .outside("check", name)
            .word("value", value_text),
    }
}

/// A number as people read it: whole numbers without decimals, others with up to four.
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text == "0" {
        // Too small for four decimals: say so rather than round to zero.
        return format!("{value:.2e}");
    }
    text.to_owned()
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

impl Diagnosis {
    /// The room summary: the likely cause, or that all looked healthy, or that nothing
    /// could be observed.
    pub fn summary(&self) -> Msg {
        let checked = u64::try_from(self.observed).unwrap_or(u64::MAX);
        let failing = u64::try_from(self.candidates.len()).unwrap_or(u64::MAX);
        match self.candidates.first() {
            Some(top) if top.likely_cause => Msg::new("diag-summary-cause")
                .outside("service", &top.service)
                .number("failing", failing)
                .number("checked", checked),
            Some(top) => Msg::new("diag-summary-no-single-cause")
                .outside("service", &top.service)
                .number("failing", failing)
                .number("checked", checked),
            None if self.observed == 0 => {
                Msg::new("diag-summary-nothing-observed").outside("service", &self.service)
            }
            None => Msg::new("diag-summary-healthy")
                .outside("service", &self.service)
                .number("checked", checked),
        }
    }

    /// The room lines: each shown candidate and its evidence, then the unobserved services.
    pub fn details(&self) -> Vec<Msg> {
        let mut out = Vec::new();
        for (index, candidate) in self
            .candidates
            .iter()
            .take(MAX_CANDIDATES_SHOWN)
            .enumerate()
        {
            let rank = u64::try_from(index + 1).unwrap_or(u64::MAX);
            out.push(if candidate.likely_cause {
                Msg::new("diag-candidate-cause")
                    .number("rank", rank)
                    .outside("service", &candidate.service)
            } else {
                Msg::new("diag-candidate-downstream")
                    .number("rank", rank)
                    .outside("service", &candidate.service)
                    .outside("dependencies", candidate.failing_dependencies.join(", "))
            });
            for evidence in &candidate.evidence {
                out.extend(evidence.msgs());
            }
        }
        let hidden = self.candidates.len().saturating_sub(MAX_CANDIDATES_SHOWN);
        if hidden > 0 {
            out.push(
                Msg::new("diag-candidates-more")
                    .number("count", u64::try_from(hidden).unwrap_or(u64::MAX)),
            );
        }
        if !self.unobserved.is_empty() {
            out.push(Msg::new("diag-unobserved").outside("services", self.unobserved.join(", ")));
        }
        out
    }
}

/// The plain report for the action's output: every service, its depth and verdict, every
/// observation.
pub fn report(diagnosis: &Diagnosis, findings: &[ServiceFindings]) -> String {
    let by_name: BTreeMap<&str, &ServiceFindings> =
        findings.iter().map(|f| (f.service.as_str(), f)).collect();
    let depths = depths(findings, &by_name);
    let mut out = String::new();
    if !diagnosis.candidates.is_empty() {
        out.push_str("ranked candidates:\n");
        for (index, candidate) in diagnosis.candidates.iter().enumerate() {
            let role = if candidate.likely_cause {
                "likely cause".to_owned()
            } else {
                format!(
                    "behind failing {}",
                    candidate.failing_dependencies.join(", ")
                )
            };
            out.push_str(&format!(
                "  {}. {} (depth {}, weight {}): {role}\n",
                index + 1,
                candidate.service,
                candidate.depth,
                candidate.weight
            ));
        }
    }
    for finding in findings {
        let state = if finding.failing() {
            "FAILING"
        } else if finding.unobserved() {
            "not observed"
        } else {
            "healthy"
        };
        let depth = depths.get(finding.service.as_str()).copied().unwrap_or(0);
        out.push_str(&format!("{} (depth {depth}): {state}\n", finding.service));
        if !finding.depends_on.is_empty() {
            out.push_str(&format!(
                "  depends on: {}\n",
                finding.depends_on.join(", ")
            ));
        }
        if finding.evidence.is_empty() && finding.notes.is_empty() {
            out.push_str("  nothing configured to observe (health_url, checks, log_selector)\n");
        }
        for evidence in &finding.evidence {
            out.push_str(&format!("  {}\n", evidence.report()));
        }
        for note in &finding.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
