//! Fakes of Loki and Elasticsearch on loopback, answering in their documented shapes, so the
//! logs executor is tested against what those servers really send:
//!
//! - Loki `GET /loki/api/v1/query_range` (`query`, `start`/`end` in nanoseconds, `limit`,
//!   `direction`): `{"status":"success","data":{"resultType":"streams","result":[{"stream":
//!   {labels},"values":[["<ns>","<line>"],…]}],"stats":{}}}`; a query it cannot parse gets
//!   400 with a plain-text `parse error …` body, as Loki does. It understands a stream
//!   selector of `label="value"` matchers followed by `|= "text"` and `|~ "regex"` filters.
//! - Elasticsearch `POST /{index}/_search` (`query.bool.must[0].query_string.query`,
//!   `query.bool.filter[0].range.@timestamp`, `size`, `sort`): `{"took","timed_out","_shards",
//!   "hits":{"total":{"value","relation"},"max_score":null,"hits":[{"_index","_id","_score":
//!   null,"_source":{…},"sort":[…]}]}}`; an unknown index gets 404 with
//!   `index_not_found_exception`. Its `query_string` subset: `field:value` terms and bare
//!   words (matched in `message`), joined by `AND`.
//!
//! Either can be told to fail (any status and body) or to hang; it records every request.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How the fake answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Answer this status and body (plain text, or JSON when it parses as JSON).
    Fail(u16, String),
    /// Never answer.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
}

#[derive(Default)]
struct Inner {
    /// Loki: (stream labels, ns, line).
    streams: Vec<(BTreeMap<String, String>, i64, String)>,
    /// Elasticsearch: (index, document).
    documents: Vec<(String, Value)>,
    mode: Option<Mode>,
    requests: Vec<Recorded>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct FakeLogs {
    /// The base URL to configure (`[logs] url`); for Elasticsearch without an index.
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLogs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeLogs {
    pub async fn loki() -> FakeLogs {
        let shared = Shared::default();
        let app = Router::new()
            .route("/loki/api/v1/query_range", get(loki_query_range))
            .with_state(shared.clone());
        FakeLogs::serve(app, shared).await
    }

    pub async fn elasticsearch() -> FakeLogs {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{index}/_search", post(es_search))
            .with_state(shared.clone());
        FakeLogs::serve(app, shared).await
    }

    async fn serve(app: Router, shared: Shared) -> FakeLogs {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLogs { url, shared, task }
    }

    /// Loki: a line in the stream with `labels`.
    pub fn push_line(&self, labels: &[(&str, &str)], at: DateTime<Utc>, line: &str) {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.shared.lock().streams.push((
            labels,
            at.timestamp_nanos_opt().unwrap(),
            line.to_owned(),
        ));
    }

    /// Elasticsearch: a document in `index` (its `@timestamp` set from `at`).
    pub fn push_document(&self, index: &str, at: DateTime<Utc>, mut source: Value) {
        source["@timestamp"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        self.shared
            .lock()
            .documents
            .push((index.to_owned(), source));
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().mode = Some(mode);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }
}

fn parse_query(raw: Option<&str>) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The answer the mode forces, if any (after recording the request).
async fn forced(shared: &Shared, recorded: Recorded) -> Option<Response> {
    let mode = {
        let mut inner = shared.lock();
        inner.requests.push(recorded);
        inner.mode.clone().unwrap_or(Mode::Normal)
    };
    match mode {
        Mode::Normal => None,
        Mode::Fail(status, body) => {
            let status = StatusCode::from_u16(status).unwrap();
            Some(match serde_json::from_str::<Value>(&body) {
                Ok(json) => (status, axum::Json(json)).into_response(),
                Err(_) => (status, body).into_response(),
            })
        }
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(300)).await;
            None
        }
    }
}

/// A LogQL log query: `{a="b", c="d"} |= "x" |~ "re"`.
struct LogQuery {
    matchers: Vec<(String, String)>,
    filters: Vec<Filter>,
}

enum Filter {
    Contains(String),
    Regex(regex::Regex),
}

fn parse_logql(query: &str) -> Result<LogQuery, String> {
    let syntax = || "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER".to_owned();
    let query = query.trim();
    let rest = query.strip_prefix('{').ok_or_else(syntax)?;
    let (selector, mut rest) = rest.split_once('}').ok_or_else(syntax)?;
    let mut matchers = Vec::new();
    for part in selector.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = part.split_once('=').ok_or_else(syntax)?;
        let value = value
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'));
        matchers.push((name.trim().to_owned(), value.ok_or_else(syntax)?.to_owned()));
    }
    if matchers.is_empty() {
        return Err(
            "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value".to_owned(),
        );
    }
    let mut filters = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (op, after) = rest.split_at(2.min(rest.len()));
        let after = after.trim_start();
        let body = after.strip_prefix('"').ok_or_else(syntax)?;
        let end = body.find('"').ok_or_else(syntax)?;
        let text = &body[..end];
        rest = &body[end + 1..];
        filters.push(match op {
            "|=" => Filter::Contains(text.to_owned()),
            "|~" => Filter::Regex(regex::Regex::new(text).map_err(|e| e.to_string())?),
            _ => return Err(syntax()),
        });
    }
    Ok(LogQuery { matchers, filters })
}

async fn loki_query_range(State(shared): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let query = parse_query(raw.as_deref());
    let recorded = Recorded {
        path: "/loki/api/v1/query_range".to_owned(),
        query: query.clone(),
        body: None,
    };
    if let Some(response) = forced(&shared, recorded).await {
        return response;
    }
    let bad = |text: &str| (StatusCode::BAD_REQUEST, text.to_owned()).into_response();
    let Some(logql) = query.get("query") else {
        return bad("query parameter is required");
    };
    let parsed = match parse_logql(logql) {
        Ok(parsed) => parsed,
        Err(error) => return bad(&error),
    };
    let number = |name: &str| query.get(name).and_then(|v| v.parse::<i64>().ok());
    let (Some(start), Some(end)) = (number("start"), number("end")) else {
        return bad("start and end must be nanosecond timestamps");
    };
    let limit = number("limit").unwrap_or(100).max(0) as usize;
    let backward = query.get("direction").map(String::as_str) != Some("forward");
    let mut entries: Vec<(BTreeMap<String, String>, i64, String)> = shared
        .lock()
        .streams
        .iter()
        .filter(|(labels, at, line)| {
            // Loki's range: start inclusive, end exclusive.
            *at >= start
                && *at < end
                && parsed
                    .matchers
                    .iter()
                    .all(|(k, v)| labels.get(k) == Some(v))
                && parsed.filters.iter().all(|f| match f {
                    Filter::Contains(text) => line.contains(text.as_str()),
                    Filter::Regex(re) => re.is_match(line),
                })
        })
        .cloned()
        .collect();
    entries.sort_by_key(|(_, at, _)| *at);
    if backward {
        entries.reverse();
    }
    entries.truncate(limit);
    let mut streams: BTreeMap<BTreeMap<String, String>, Vec<Value>> = BTreeMap::new();
    for (labels, at, line) in entries {
        streams
            .entry(labels)
            .or_default()
            .push(json!([at.to_string(), line]));
    }
    let result: Vec<Value> = streams
        .into_iter()
        .map(|(stream, values)| json!({"stream": stream, "values": values}))
        .collect();
    axum::Json(json!({
        "status": "success",
        "data": {"resultType": "streams", "result": result, "stats": {"summary": {}}}
    }))
    .into_response()
}

/// Whether `source` matches a `query_string` of `field:value` terms and bare words joined by
/// AND.
fn query_string_matches(query: &str, source: &Value) -> bool {
    query.split(" AND ").all(|term| {
        let term = term.trim().trim_matches('"');
        match term.split_once(':') {
            Some((field, value)) => {
                let found = source.pointer(&format!("/{}", field.replace('.', "/")));
                found.is_some_and(|found| match found {
                    Value::String(text) => text.eq_ignore_ascii_case(value),
                    other => serde_json::from_str::<Value>(value).ok().as_ref() == Some(other),
                })
            }
            None => source
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.to_lowercase().contains(&term.to_lowercase())),
        }
    })
}

fn index_matches(pattern: &str, index: &str) -> bool {
    match pattern {
        "_all" | "*" => true,
        pattern => match pattern.strip_suffix('*') {
            Some(prefix) => index.starts_with(prefix),
            None => index == pattern,
        },
    }
}

async fn es_search(
    State(shared): State<Shared>,
    Path(index): Path<String>,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let recorded = Recorded {
        path: format!("/{index}/_search"),
        query: BTreeMap::new(),
        body: Some(body.clone()),
    };
    if let Some(response) = forced(&shared, recorded).await {
        return response;
    }
    let documents = shared.lock().documents.clone();
    if !documents
        .iter()
        .any(|(name, _)| index_matches(&index, name))
    {
        let reason = format!("no such index [{index}]");
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({
                "error": {
                    "root_cause": [{"type": "index_not_found_exception", "reason": reason, "index": index}],
                    "type": "index_not_found_exception",
                    "reason": reason,
                    "index": index
                },
                "status": 404
            })),
        )
            .into_response();
    }
    let query = body
        .pointer("/query/bool/must/0/query_string/query")
        .and_then(Value::as_str)
        .unwrap_or("*")
        .to_owned();
    let range = body.pointer("/query/bool/filter/0/range/@timestamp");
    let bound = |name: &str| {
        range
            .and_then(|r| r.get(name))
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (gte, lte) = (bound("gte"), bound("lte"));
    let size = body.get("size").and_then(Value::as_u64).unwrap_or(10) as usize;
    let mut matched: Vec<(String, DateTime<Utc>, Value)> = documents
        .into_iter()
        .filter(|(name, _)| index_matches(&index, name))
        .filter_map(|(name, source)| {
            let at = source
                .get("@timestamp")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())?
                .with_timezone(&Utc);
            Some((name, at, source))
        })
        .filter(|(_, at, source)| {
            gte.is_none_or(|gte| *at >= gte)
                && lte.is_none_or(|lte| *at <= lte)
                && (query == "*" || query_string_matches(&query, source))
        })
        .collect();
    matched.sort_by_key(|(_, at, _)| std::cmp::Reverse(*at));
    let total = matched.len();
    let hits: Vec<Value> = matched
        .into_iter()
        .take(size)
        .enumerate()
        .map(|(i, (name, at, source))| {
            json!({
                "_index": name, "_id": i.to_string(), "_score": null,
                "_source": source, "sort": [at.timestamp_millis()]
            })
        })
        .collect();
    axum::Json(json!({
        "took": 3,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": total, "relation": "eq"}, "max_score": null, "hits": hits}
    }))
    .into_response()
}
