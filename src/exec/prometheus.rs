//! The prometheus executor: PromQL instant queries (`GET /api/v1/query`) and range queries
//! (`GET /api/v1/query_range`) for the `promql` command (action `query`: parameters `query`,
//! optional `range` (a duration: a range query over that much time up to now), optional
//! `max`/`min` thresholds), and a service's `checks` (action `checks`; link diagnosis uses
//! the same evaluation). Answers follow Prometheus's documented envelope
//! (`status`, `data.resultType`, `data.result`, `errorType`, `error`, `warnings`); an error
//! answer becomes an outcome naming Prometheus's error type and message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use serde::Deserialize;
use tokio::task::JoinSet;

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus};
use crate::domain::diagnosis::{Evidence, worst_value};
use crate::domain::message::Msg;
use crate::domain::service::ServiceCheck;
use crate::exec::http::{
    SetupError, base_url, canonical_duration, client, describe, finish, invalid_param, job_timeout,
    missing_param, no_service, one_line, read_bounded, shown_url, unknown_action,
};
use crate::exec::{Executor, PrometheusSettings};

mod describe;
use describe::describe_result;
pub use describe::format_labels;

/// The largest answer read; a bigger one is refused (narrow the query).
pub const PROMETHEUS_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Series shown in the room; the output lists up to [`MAX_SERIES_IN_OUTPUT`].
pub const MAX_SERIES_SHOWN: usize = 5;
pub const MAX_SERIES_IN_OUTPUT: usize = 500;
/// About how many points a range query asks per series (the step follows from it).
pub const RANGE_POINTS: u64 = 240;

/// Queries one Prometheus server.
#[derive(Clone)]
pub struct PrometheusExecutor {
    client: reqwest::Client,
    base: url::Url,
}

/// Why a query has no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrometheusError {
    /// Prometheus answered with its error envelope.
    #[error("{error_type}: {error}")]
    Api { error_type: String, error: String },
    /// A non-JSON error answer (a proxy in front, a wrong URL).
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("no answer within {0} ms")]
    TimedOut(u64),
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    #[error("unreadable answer: {0}")]
    BadResponse(String),
}

/// A query's result, by `resultType`.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(f64),
    Text(String),
}

/// One series of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query, its values in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<f64>,
}

/// A query as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum PromQuery<'a> {
    Instant {
        query: &'a str,
    },
    Range {
        query: &'a str,
        start: chrono::DateTime<Utc>,
        end: chrono::DateTime<Utc>,
        step_secs: u64,
    },
}

impl PrometheusExecutor {
    pub fn new(settings: &PrometheusSettings) -> Result<PrometheusExecutor, SetupError> {
        Ok(PrometheusExecutor {
            client: client()?,
            base: base_url("prometheus", &settings.url)?,
        })
    }

    /// Runs one query within `timeout` (also passed to Prometheus, which then gives up too).
    pub async fn query(
        &self,
        query: &PromQuery<'_>,
        timeout: Duration,
    ) -> Result<QueryResult, PrometheusError> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let mut url = self.base.clone();
        let (path, text) = match query {
            PromQuery::Instant { query } => ("query", *query),
            PromQuery::Range { query, .. } => ("query_range", *query),
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["api", "v1", path]);
        }
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("query", text);
            pairs.append_pair("timeout", &format!("{}ms", timeout_ms.max(1)));
            if let PromQuery::Range {
                start,
                end,
                step_secs,
                ..
            } = query
            {
                pairs.append_pair("start", &start.timestamp().to_string());
                pairs.append_pair("end", &end.timestamp().to_string());
                pairs.append_pair("step", &step_secs.max(&1).to_string());
            }
        }
        let exchange = async {
            let mut response = self.client.get(url).send().await?;
            let status = response.status().as_u16();
            let body = read_bounded(&mut response, PROMETHEUS_MAX_RESPONSE_BYTES).await?;
            Ok::<_, reqwest::Error>((status, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Err(PrometheusError::TimedOut(timeout_ms)),
            Ok(Err(error)) if error.is_timeout() => Err(PrometheusError::TimedOut(timeout_ms)),
            Ok(Err(error)) => Err(PrometheusError::Unreachable(describe(&error))),
            Ok(Ok((_, None))) => Err(PrometheusError::TooLarge(PROMETHEUS_MAX_RESPONSE_BYTES)),
            Ok(Ok((status, Some(body)))) => parse_answer(status, &body),
        }
    }

    /// Evaluates one check now: its worst value against its thresholds.
    pub async fn check(&self, check: &ServiceCheck, timeout: Duration) -> Evidence {
        let result = self
            .query(
                &PromQuery::Instant {
                    query: &check.promql,
                },
                timeout,
            )
            .await;
        let (value, error) = match result {
            Ok(result) => match numbers(&result) {
                Some(values) => (worst_value(check, &values), None),
                None => (None, Some("the query gives text, not a number".to_owned())),
            },
            Err(error) => (None, Some(error.to_string())),
        };
        Evidence::Check {
            name: check.name.clone(),
            value,
            min: check.min,
            max: check.max,
            error,
        }
    }

    /// Evaluates `checks` concurrently, each within `timeout`; evidence in the checks' order.
    pub async fn checks(&self, checks: &[ServiceCheck], timeout: Duration) -> Vec<Evidence> {
        let mut tasks = JoinSet::new();
        for (index, check) in checks.iter().enumerate() {
            let this = self.clone();
            let check = check.clone();
            tasks.spawn(async move { (index, this.check(&check, timeout).await) });
        }
        let mut out: Vec<Option<Evidence>> = vec![None; checks.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, evidence)) = joined
                && let Some(slot) = out.get_mut(index)
            {
                *slot = Some(evidence);
            }
        }
        out.into_iter()
            .zip(checks)
            .map(|(evidence, check)| {
                evidence.unwrap_or_else(|| Evidence::Check {
                    name: check.name.clone(),
                    value: None,
                    min: check.min,
                    max: check.max,
                    error: Some("the check's task ended without a result".to_owned()),
                })
            })
            .collect()
    }

    fn failure(&self, error: &PrometheusError, started: Instant) -> ActionOutcome {
        let base = shown_url(self.base.as_str());
        let (status, summary) = match error {
            PrometheusError::Api { error_type, error } => (
                ActionStatus::Failed,
                Msg::new("prom-error")
                    .outside("type", error_type)
                    .outside("error", error),
            ),
            PrometheusError::Http { status, body } => (
                ActionStatus::Failed,
                Msg::new("prom-http-error")
                    .number("status", u64::from(*status))
                    .outside("body", body),
            ),
            PrometheusError::Unreachable(cause) => (
                ActionStatus::Failed,
                Msg::new("exec-unreachable")
                    .word("system", "Prometheus")
                    .outside("url", &base)
                    .outside("error", cause),
            ),
            PrometheusError::TimedOut(ms) => (
                ActionStatus::TimedOut,
                Msg::new("exec-timed-out")
                    .word("system", "Prometheus")
                    .number("ms", *ms),
            ),
            PrometheusError::TooLarge(max) => (
                ActionStatus::Failed,
                Msg::new("exec-response-too-large")
                    .word("system", "Prometheus")
                    .number("max", u64::try_from(*max).unwrap_or(u64::MAX)),
            ),
            PrometheusError::BadResponse(cause) => (
                ActionStatus::Failed,
                Msg::new("exec-bad-response")
                    .word("system", "Prometheus")
                    .outside("error", cause),
            ),
        };
        finish(
            status,
            summary,
            Vec::new(),
            format!("Prometheus {base}: {error}"),
            started,
        )
    }

    async fn run_query(&self, job: &ActionJob, started: Instant) -> ActionOutcome {
        let Some(query) = job.params.get("query").filter(|q| !q.trim().is_empty()) else {
            return missing_param(job, "query", started);
        };
        let mut thresholds = (None, None);
        for (name, slot) in [("min", &mut thresholds.0), ("max", &mut thresholds.1)] {
            if let Some(text) = job.params.get(name) {
                match text.trim().parse::<f64>() {
                    Ok(value) if value.is_finite() => *slot = Some(value),
                    _ => return invalid_param("prometheus", name, text, started),
                }
            }
        }
        let range = match job.params.get("range") {
            None => None,
            Some(text) => match humantime::parse_duration(text.trim()) {
                Ok(range) if range.as_secs() > 0 => Some(range),
                _ => return invalid_param("prometheus", "range", text, started),
            },
        };
        let request = match range {
            None => PromQuery::Instant { query },
            Some(range) => {
                let end = Utc::now();
                let span = chrono::Duration::from_std(range).unwrap_or(chrono::Duration::MAX);
                PromQuery::Range {
                    query,
                    start: end.checked_sub_signed(span).unwrap_or(end),
                    end,
                    step_secs: (range.as_secs() / RANGE_POINTS).max(1),
                }
            }
        };
        match self.query(&request, job_timeout(job)).await {
            Err(error) => self.failure(&error, started),
            Ok(result) => {
                let range_text = range.map(canonical_duration);
                let (summary, details, output) =
                    describe_result(&result, range_text.as_deref(), thresholds);
                finish(ActionStatus::Succeeded, summary, details, output, started)
            }
        }
    }

    async fn run_checks(&self, job: &ActionJob, started: Instant) -> ActionOutcome {
        let Some(service) = job.service() else {
            return no_service(job, started);
        };
        if service.checks.is_empty() {
            return finish(
                ActionStatus::Refused,
                Msg::new("prom-checks-none").outside("service", &service.name),
                Vec::new(),
                String::new(),
                started,
            );
        }
        let evidence = self.checks(&service.checks, job_timeout(job)).await;
        let breached = evidence
            .iter()
            .filter(|e| e.verdict() == crate::domain::diagnosis::Verdict::Breached)
            .count();
        let summary = Msg::new("prom-checks")
            .outside("service", &service.name)
            .number("breached", u64::try_from(breached).unwrap_or(u64::MAX))
            .number("checks", u64::try_from(evidence.len()).unwrap_or(u64::MAX));
        let details = evidence.iter().flat_map(Evidence::msgs).collect();
        let output = evidence
            .iter()
            .map(|e| format!("{}\n", e.report()))
            .collect::<String>();
        finish(ActionStatus::Succeeded, summary, details, output, started)
    }
}

#[async_trait]
impl Executor for PrometheusExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        match job.action.as_str() {
            "query" => self.run_query(job, started).await,
            "checks" => self.run_checks(job, started).await,
            other => unknown_action("prometheus", other, &["query", "checks"], started),
        }
    }
}

/// Reads Prometheus's answer: the envelope first (an error envelope comes with 400, 422 or
/// 503), then the result by its type.
pub fn parse_answer(status: u16, body: &[u8]) -> Result<QueryResult, PrometheusError> {
    #[derive(Deserialize)]
    struct Envelope {
        status: String,
        #[serde(default)]
        data: Option<Data>,
        #[serde(default, rename = "errorType")]
        error_type: Option<String>,
        #[serde(default)]
        error: Option<String>,
    }
    #[derive(Deserialize)]
    struct Data {
        #[serde(rename = "resultType")]
        result_type: String,
        result: serde_json::Value,
    }
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(error) if (200..300).contains(&status) => {
            return Err(PrometheusError::BadResponse(one_line(&error.to_string())));
        }
        Err(_) => {
            return Err(PrometheusError::Http {
                status,
                body: one_line(&String::from_utf8_lossy(body)),
            });
        }
    };
    if envelope.status != "success" {
        return Err(PrometheusError::Api {
            error_type: one_line(envelope.error_type.as_deref().unwrap_or("unknown")),
            error: one_line(envelope.error.as_deref().unwrap_or("-")),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| PrometheusError::BadResponse("no data".to_owned()))?;
    let bad = |what: &str| {
        PrometheusError::BadResponse(format!("{what} in a {} result", data.result_type))
    };
    match data.result_type.as_str() {
        "vector" => {
            #[derive(Deserialize)]
            struct Item {
                #[serde(default)]
                metric: BTreeMap<String, String>,
                value: (serde_json::Value, String),
            }
            let items: Vec<Item> =
                serde_json::from_value(data.result.clone()).map_err(|_| bad("unexpected shape"))?;
            Ok(QueryResult::Vector(
                items
                    .into_iter()
                    .map(|item| Sample {
                        labels: item.metric,
                        value: parse_value(&item.value.1),
                    })
                    .collect(),
            ))
        }
        "matrix" => {
            #[derive(Deserialize)]
            struct Item {
                #[serde(default)]
                metric: BTreeMap<String, String>,
                #[serde(default)]
                values: Vec<(serde_json::Value, String)>,
            }
            let items: Vec<Item> =
                serde_json::from_value(data.result.clone()).map_err(|_| bad("unexpected shape"))?;
            Ok(QueryResult::Matrix(
                items
                    .into_iter()
                    .map(|item| Series {
                        labels: item.metric,
                        values: item.values.iter().map(|(_, v)| parse_value(v)).collect(),
                    })
                    .collect(),
            ))
        }
        "scalar" => {
            let (_, value): (serde_json::Value, String) =
                serde_json::from_value(data.result.clone()).map_err(|_| bad("unexpected shape"))?;
            Ok(QueryResult::Scalar(parse_value(&value)))
        }
        "string" => {
            let (_, value): (serde_json::Value, String) =
                serde_json::from_value(data.result.clone()).map_err(|_| bad("unexpected shape"))?;
            Ok(QueryResult::Text(value))
        }
        other => Err(PrometheusError::BadResponse(format!(
            "unknown resultType {}",
            one_line(other)
        ))),
    }
}

/// A sample value as Prometheus writes it (`"0.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
fn parse_value(text: &str) -> f64 {
    match text {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().unwrap_or(f64::NAN),
    }
}

/// The numbers a check looks at: every series' value (a range: each series' last value).
fn numbers(result: &QueryResult) -> Option<Vec<f64>> {
    match result {
        QueryResult::Vector(samples) => Some(samples.iter().map(|s| s.value).collect()),
        QueryResult::Matrix(series) => Some(
            series
                .iter()
                .filter_map(|s| s.values.last().copied())
                .collect(),
        ),
        QueryResult::Scalar(value) => Some(vec![*value]),
        QueryResult::Text(_) => None,
    }
}

#[cfg(test)]
mod tests;
