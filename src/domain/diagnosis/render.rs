//! How a diagnosis reads: room lines (localized messages) and the plain report for the
//! action's output.

use std::collections::BTreeMap;

use super::{Diagnosis, Evidence, MAX_CANDIDATES_SHOWN, ServiceFindings, Verdict, depths};
use crate::domain::message::Msg;

impl Evidence {
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
