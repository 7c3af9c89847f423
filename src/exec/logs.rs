//! The logs executor: a service's recent logs from Loki or Elasticsearch, analysed by
//! `domain::logs` (error counts, known patterns, top messages, the first stack trace).
//!
//! - Loki: `GET {url}/loki/api/v1/query_range` with the service's `log_selector` as the LogQL
//!   query (e.g. `{app="checkout"} |~ "(?i)error"`), `start`/`end` in nanoseconds,
//!   `direction=backward` and a `limit`, so the newest lines come; the answer's
//!   `data.result[].values` are `[nanoseconds, line]` pairs per stream.
//! - Elasticsearch: `POST {url}/_search` where the URL's path names the index pattern
//!   (`http://es:9200/app-logs-*`; none: `_all`), a `query_string` query on the selector,
//!   a `@timestamp` range, newest first, `size` bounded; lines come from
//!   `hits.hits[]._source` (`message`, else `log`, else `msg`; an ECS `error.stack_trace` is
//!   appended), the total from `hits.total`.
//!
//! Action `errors` (parameters `service`, optional `since`, a duration: how far back, default
//! [`DEFAULT_LOG_WINDOW`]).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus};
use crate::domain::logs::{LogAnalysis, LogLine, MAX_STACK_TRACE_CHARS, analyze, cut_chars};
use crate::domain::message::Msg;
use crate::domain::service::ServiceDef;
use crate::exec::http::{
    SetupError, base_url, canonical_duration, client, describe, finish, invalid_param, job_timeout,
    no_service, one_line, read_bounded, refused, shown_url, unknown_action,
};
use crate::exec::{Executor, LogsKind, LogsSettings};

/// How far back the logs are read unless the command says otherwise.
pub const DEFAULT_LOG_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The most lines asked of Loki and documents of Elasticsearch.
pub const MAX_LOG_LINES: usize = 1_000;
/// The most characters of one entry kept: a whole stack trace's worth (the analysis looks
/// at fewer for patterns).
const MAX_ENTRY_CHARS: usize = MAX_STACK_TRACE_CHARS;
/// The largest answer read; a bigger one is refused.
pub const LOGS_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Reads one Loki or Elasticsearch.
#[derive(Clone)]
pub struct LogsExecutor {
    client: reqwest::Client,
    kind: LogsKind,
    base: url::Url,
    /// Elasticsearch: the index pattern from the URL's path (`_all` when none).
    index: String,
}

/// What one query brought back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogBatch {
    /// In time order, oldest first.
    pub lines: Vec<LogLine>,
    /// How many matched in all, when the store says (Elasticsearch's `hits.total`).
    pub matched: Option<u64>,
    /// Whether the read limit was reached (there may be more).
    pub limited: bool,
    /// Whether the store answered only in part (failed shards, a timed-out search).
    pub partial: bool,
}

/// Why logs could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    /// The store refused the query (a bad selector, an unknown index).
    #[error("HTTP {status}: {error}")]
    Api { status: u16, error: String },
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("no answer within {0} ms")]
    TimedOut(u64),
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
    #[error("unreadable answer: {0}")]
    BadResponse(String),
}

impl LogsExecutor {
    pub fn new(settings: &LogsSettings) -> Result<LogsExecutor, SetupError> {
        let mut base = base_url("logs", &settings.url)?;
        let mut index = "_all".to_owned();
        if settings.kind == LogsKind::Elasticsearch {
            let segments: Vec<String> = base
                .path_segments()
                .map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            if let Some((last, prefix)) = segments.split_last() {
                index = last.clone();
                base.set_path(&prefix.join("/"));
            }
        }
        Ok(LogsExecutor {
            client: client()?,
            kind: settings.kind,
            base,
            index,
        })
    }

    fn system(&self) -> &'static str {
        match self.kind {
            LogsKind::Loki => "Loki",
            LogsKind::Elasticsearch => "Elasticsearch",
        }
    }

    /// The lines `selector` matches over the last `window`, within `timeout`.
    pub async fn fetch(
        &self,
        selector: &str,
        window: Duration,
        timeout: Duration,
    ) -> Result<LogBatch, LogsError> {
        let end = Utc::now();
        let span = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        let start = end.checked_sub_signed(span).unwrap_or(end);
        let mut url = self.base.clone();
        let request = match self.kind {
            LogsKind::Loki => {
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments
                        .pop_if_empty()
                        .extend(["loki", "api", "v1", "query_range"]);
                }
                url.query_pairs_mut()
                    .append_pair("query", selector)
                    .append_pair("start", &nanos(start).to_string())
                    .append_pair("end", &nanos(end).to_string())
                    .append_pair("limit", &MAX_LOG_LINES.to_string())
                    .append_pair("direction", "backward");
                self.client.get(url)
            }
            LogsKind::Elasticsearch => {
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments
                        .pop_if_empty()
                        .extend([self.index.as_str(), "_search"]);
                }
                // `request(POST, …)` rather than `.post(…)`: tidy keeps `.post(` for the chat.
                self.client
                    .request(reqwest::Method::POST, url)
                    .json(&elasticsearch_query(selector, start, end))
            }
        };
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let exchange = async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let body = read_bounded(&mut response, LOGS_MAX_RESPONSE_BYTES).await?;
            Ok::<_, reqwest::Error>((status, body))
        };
        let (status, body) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => return Err(LogsError::TimedOut(timeout_ms)),
            Ok(Err(error)) if error.is_timeout() => return Err(LogsError::TimedOut(timeout_ms)),
            Ok(Err(error)) => return Err(LogsError::Unreachable(describe(&error))),
            Ok(Ok((_, None))) => return Err(LogsError::TooLarge(LOGS_MAX_RESPONSE_BYTES)),
            Ok(Ok((status, Some(body)))) => (status, body),
        };
        match self.kind {
            LogsKind::Loki => parse_loki(status, &body),
            LogsKind::Elasticsearch => parse_elasticsearch(status, &body),
        }
    }

    /// Fetches and analyses `service`'s logs.
    pub async fn errors(
        &self,
        service: &ServiceDef,
        window: Duration,
        timeout: Duration,
    ) -> Option<Result<(LogBatch, LogAnalysis), LogsError>> {
        let selector = service.log_selector.as_deref()?;
        Some(self.fetch(selector, window, timeout).await.map(|batch| {
            let analysis = analyze(&batch.lines);
            (batch, analysis)
        }))
    }

    fn failure(&self, error: &LogsError, started: Instant) -> ActionOutcome {
        let base = shown_url(self.base.as_str());
        let (status, summary) = match error {
            LogsError::Api { status, error } => (
                ActionStatus::Failed,
                Msg::new("logs-error")
                    .word("system", self.system())
                    .number("status", u64::from(*status))
                    .outside("error", error),
            ),
            LogsError::Unreachable(cause) => (
                ActionStatus::Failed,
                Msg::new("exec-unreachable")
                    .word("system", self.system())
                    .outside("url", &base)
                    .outside("error", cause),
            ),
            LogsError::TimedOut(ms) => (
                ActionStatus::TimedOut,
                Msg::new("exec-timed-out")
                    .word("system", self.system())
                    .number("ms", *ms),
            ),
            LogsError::TooLarge(max) => (
                ActionStatus::Failed,
                Msg::new("exec-response-too-large")
                    .word("system", self.system())
                    .number("max", u64::try_from(*max).unwrap_or(u64::MAX)),
            ),
            LogsError::BadResponse(cause) => (
                ActionStatus::Failed,
                Msg::new("exec-bad-response")
                    .word("system", self.system())
                    .outside("error", cause),
            ),
        };
        finish(
            status,
            summary,
            Vec::new(),
            format!("{} {base}: {error}", self.system()),
            started,
        )
    }
}

#[async_trait]
impl Executor for LogsExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        if job.action != "errors" {
            return unknown_action("logs", &job.action, &["errors"], started);
        }
        let Some(service) = job.service() else {
            return no_service(job, started);
        };
        // How far back: the catalog's `since` (`range` is read too).
        let window = match ["since", "range"]
            .into_iter()
            .find_map(|name| job.params.get(name).map(|text| (name, text)))
        {
            None => DEFAULT_LOG_WINDOW,
            Some((name, text)) => match humantime::parse_duration(text.trim()) {
                Ok(window) if window.as_secs() > 0 => window,
                _ => return invalid_param("logs", name, text, started),
            },
        };
        let window_text = canonical_duration(window);
        let Some(result) = self.errors(service, window, job_timeout(job)).await else {
            return refused(
                Msg::new("logs-no-selector").outside("service", &service.name),
                started,
            );
        };
        let (batch, analysis) = match result {
            Ok(found) => found,
            Err(error) => return self.failure(&error, started),
        };
        let lines = analysis.lines;
        let summary = if lines == 0 {
            Msg::new("logs-none")
                .outside("service", &service.name)
                .word("window", &window_text)
        } else if let Some(matched) = batch.matched.filter(|m| *m > lines) {
            Msg::new("logs-summary-capped")
                .outside("service", &service.name)
                .number("errors", analysis.errors)
                .number("lines", lines)
                .number("matched", matched)
                .word("window", &window_text)
        } else if batch.limited {
            Msg::new("logs-summary-limit")
                .outside("service", &service.name)
                .number("errors", analysis.errors)
                .number("lines", lines)
                .word("window", &window_text)
        } else {
            Msg::new("logs-summary")
                .outside("service", &service.name)
                .number("errors", analysis.errors)
                .number("lines", lines)
                .word("window", &window_text)
        };
        let mut details = analysis.details();
        if batch.partial {
            details.push(Msg::new("logs-partial"));
        }
        let mut output = format!(
            "{} {}: {}\n",
            self.system(),
            shown_url(self.base.as_str()),
            service.log_selector.as_deref().unwrap_or_default()
        );
        if let Some(matched) = batch.matched {
            output.push_str(&format!("matched: {matched}\n"));
        }
        output.push_str(&analysis.report());
        finish(ActionStatus::Succeeded, summary, details, output, started)
    }
}

/// The Elasticsearch request body: the selector as a `query_string`, within the window,
/// newest first, bounded, with the exact total.
pub fn elasticsearch_query(selector: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
    let format = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "size": MAX_LOG_LINES,
        "track_total_hits": true,
        "sort": [{ "@timestamp": { "order": "desc" } }],
        "query": {
            "bool": {
                "must": [{ "query_string": { "query": selector } }],
                "filter": [{ "range": { "@timestamp": {
                    "gte": format(start),
                    "lte": format(end),
                    "format": "strict_date_optional_time"
                } } }]
            }
        }
    })
}

fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt()
        .unwrap_or_else(|| at.timestamp().saturating_mul(1_000_000_000))
}

/// Reads Loki's `query_range` answer: streams of `[nanoseconds, line]` (a third element,
/// structured metadata, is ignored), merged in time order. An error answer is plain text.
pub fn parse_loki(status: u16, body: &[u8]) -> Result<LogBatch, LogsError> {
    if !(200..300).contains(&status) {
        return Err(LogsError::Api {
            status,
            error: one_line(&String::from_utf8_lossy(body)),
        });
    }
    let answer: Value = serde_json::from_slice(body)
        .map_err(|error| LogsError::BadResponse(one_line(&error.to_string())))?;
    if answer.get("status").and_then(Value::as_str) != Some("success") {
        let error = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("status is not success");
        return Err(LogsError::Api {
            status,
            error: one_line(error),
        });
    }
    let data = answer.get("data").unwrap_or(&Value::Null);
    match data.get("resultType").and_then(Value::as_str) {
        Some("streams") => {}
        Some(other) => {
            return Err(LogsError::BadResponse(format!(
                "a {} result: log_selector must be a log query (a stream selector with filters), not a metric query",
                one_line(other)
            )));
        }
        None => return Err(LogsError::BadResponse("no data.resultType".to_owned())),
    }
    let mut entries: Vec<(i64, String)> = Vec::new();
    for stream in data
        .get("result")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        for value in stream
            .get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(pair) = value.as_array() else {
                continue;
            };
            let (Some(at), Some(line)) = (
                pair.first().and_then(Value::as_str),
                pair.get(1).and_then(Value::as_str),
            ) else {
                continue;
            };
            entries.push((
                at.parse().unwrap_or(0),
                cut_chars(line, MAX_ENTRY_CHARS).to_owned(),
            ));
        }
    }
    entries.sort_by_key(|(at, _)| *at);
    // Loki keeps to the limit asked; should it not, the newest lines are kept.
    let excess = entries.len().saturating_sub(MAX_LOG_LINES);
    entries.drain(..excess);
    let limited = entries.len() >= MAX_LOG_LINES;
    Ok(LogBatch {
        lines: entries
            .into_iter()
            .map(|(at, line)| LogLine::new((at > 0).then(|| Utc.timestamp_nanos(at)), line))
            .collect(),
        matched: None,
        limited,
        partial: false,
    })
}

/// Reads Elasticsearch's `_search` answer: `hits.hits[]._source` (newest first, as asked)
/// into lines oldest first, `hits.total` (an object since 7.0, a number before), and whether
/// shards failed or the search timed out. An error answer is `{"error": {"type", "reason"}}`.
pub fn parse_elasticsearch(status: u16, body: &[u8]) -> Result<LogBatch, LogsError> {
    let answer: Value = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        Err(_) if !(200..300).contains(&status) => {
            return Err(LogsError::Api {
                status,
                error: one_line(&String::from_utf8_lossy(body)),
            });
        }
        Err(error) => return Err(LogsError::BadResponse(one_line(&error.to_string()))),
    };
    if !(200..300).contains(&status) || answer.get("error").is_some() {
        let error = &answer["error"];
        let text = match (
            error.get("type").and_then(Value::as_str),
            error.get("reason").and_then(Value::as_str),
        ) {
            (Some(kind), Some(reason)) => format!("{kind}: {reason}"),
            (Some(kind), None) => kind.to_owned(),
            (None, Some(reason)) => reason.to_owned(),
            (None, None) => error
                .as_str()
                .map_or_else(|| answer.to_string(), str::to_owned),
        };
        return Err(LogsError::Api {
            status,
            error: one_line(&text),
        });
    }
    let hits = answer
        .get("hits")
        .ok_or_else(|| LogsError::BadResponse("no hits".to_owned()))?;
    let matched = match hits.get("total") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(total) => total.get("value").and_then(Value::as_u64),
        None => None,
    };
    let mut lines: Vec<LogLine> = hits
        .get("hits")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .take(MAX_LOG_LINES)
        .filter_map(|hit| hit.get("_source"))
        .map(source_line)
        .collect();
    lines.reverse();
    // At the limit, there may be more, unless the total says there are not.
    let read = u64::try_from(lines.len()).unwrap_or(u64::MAX);
    let limited = lines.len() >= MAX_LOG_LINES && matched.is_none_or(|matched| matched > read);
    let failed_shards = answer
        .pointer("/_shards/failed")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let timed_out = answer
        .get("timed_out")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(LogBatch {
        lines,
        matched,
        limited,
        partial: failed_shards > 0 || timed_out,
    })
}

/// One document as a log line: its message (`message`, `log`, `msg`, else the whole source),
/// with an ECS `error.stack_trace` after it, and its `@timestamp`.
fn source_line(source: &Value) -> LogLine {
    let text = ["message", "log", "msg"]
        .iter()
        .find_map(|field| source.get(*field).and_then(Value::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| source.to_string());
    let text = match source.pointer("/error/stack_trace").and_then(Value::as_str) {
        Some(trace) => format!("{text}\n{trace}"),
        None => text,
    };
    let at = match source.get("@timestamp") {
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Some(Value::Number(millis)) => millis
            .as_i64()
            .and_then(|m| Utc.timestamp_millis_opt(m).single()),
        _ => None,
    };
    LogLine::new(at, cut_chars(&text, MAX_ENTRY_CHARS))
}

#[cfg(test)]
mod tests;
