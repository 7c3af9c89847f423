//! The http executor: GET a service's `health_url` and report status, latency and an excerpt
//! of the body. The same rules as the health probe: only allow-listed hosts
//! (`[probes] allow_hosts`, checked with `domain::probe::check_url`), no redirects followed,
//! no proxy, the body read only up to a bound, everything within the job's timeout; logs and
//! outputs show the URL without its query, which may carry a token.
//!
//! Also the helpers the other observing executors share (the client, bounded reads, outcome
//! building), so prometheus, logs and diagnose word and bound things alike.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use tracing::info;

use crate::domain::action::{ActionJob, ActionOutcome, ActionStatus, MAX_ACTION_OUTPUT_BYTES};
use crate::domain::diagnosis::Evidence;
use crate::domain::logs::cut_chars;
use crate::domain::message::Msg;
use crate::domain::probe::{HostPattern, ProbeFailure, ProbeRefusal, TIMED_OUT, check_url};
use crate::domain::service::ServiceDef;
use crate::exec::Executor;

/// How much of a health answer's body is read; the rest is dropped unread.
pub const HEALTH_BODY_EXCERPT_BYTES: usize = 16 * 1024;
/// How much of the body the room line shows, in characters.
pub const HEALTH_BODY_LINE_CHARS: usize = 200;
/// The longest error text kept from a library or a remote system, in characters.
pub const MAX_ERROR_CHARS: usize = 300;

/// GETs health URLs of allow-listed hosts.
#[derive(Clone)]
pub struct HttpExecutor {
    client: reqwest::Client,
    allow_hosts: Vec<HostPattern>,
}

/// What one GET of a service's health URL saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// The service has no `health_url`.
    NoUrl,
    /// Not fetched: the URL is not allowed.
    Refused {
        url: String,
        refusal: ProbeRefusal,
    },
    Answered {
        url: String,
        status: u16,
        latency_ms: u64,
        /// The start of the body, UTF-8 safe.
        excerpt: String,
        /// Whether the body went on past the excerpt.
        cut: bool,
    },
    Failed {
        url: String,
        failure: ProbeFailure,
        error: String,
        latency_ms: u64,
    },
    TimedOut {
        url: String,
        latency_ms: u64,
    },
}

impl HttpExecutor {
    /// An executor that fetches only hosts `allow_hosts` allows (empty: none).
    pub fn new(allow_hosts: Vec<HostPattern>) -> Result<HttpExecutor, reqwest::Error> {
        Ok(HttpExecutor {
            client: client()?,
            allow_hosts,
        })
    }

    /// GETs `service`'s health URL within `timeout`.
    pub async fn health(&self, service: &ServiceDef, timeout: Duration) -> HealthCheck {
        let Some(url) = service.health_url.as_deref() else {
            return HealthCheck::NoUrl;
        };
        let shown = shown_url(url);
        if let Err(refusal) = check_url(url, &self.allow_hosts) {
            return HealthCheck::Refused {
                url: shown,
                refusal,
            };
        }
        let started = Instant::now();
        let exchange = async {
            let mut response = self.client.get(url).send().await?;
            let latency_ms = elapsed_ms(started);
            let status = response.status().as_u16();
            let (body, cut) = read_prefix(&mut response, HEALTH_BODY_EXCERPT_BYTES).await?;
            Ok::<_, reqwest::Error>((status, latency_ms, utf8_excerpt(&body), cut))
        };
        let check = match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok((status, latency_ms, excerpt, cut))) => HealthCheck::Answered {
                url: shown.clone(),
                status,
                latency_ms,
                excerpt,
                cut,
            },
            Ok(Err(error)) => HealthCheck::Failed {
                url: shown.clone(),
                failure: failure_kind(&error),
                error: describe(&error),
                latency_ms: elapsed_ms(started),
            },
            Err(_) => HealthCheck::TimedOut {
                url: shown.clone(),
                latency_ms: elapsed_ms(started),
            },
        };
        info!(service = %service.name, url = %shown, outcome = ?check.code(), "Health URL fetched.");
        check
    }
}

impl HealthCheck {
    /// A short word for logs.
    fn code(&self) -> String {
        match self {
            HealthCheck::NoUrl => "no_url".to_owned(),
            HealthCheck::Refused { refusal, .. } => format!("refused:{}", refusal.code()),
            HealthCheck::Answered { status, .. } => status.to_string(),
            HealthCheck::Failed { failure, .. } => failure.code().to_owned(),
            HealthCheck::TimedOut { .. } => TIMED_OUT.to_owned(),
        }
    }

    /// What link diagnosis makes of it; `None` when nothing was fetched.
    pub fn evidence(&self) -> Option<Evidence> {
        match self {
            HealthCheck::NoUrl | HealthCheck::Refused { .. } => None,
            HealthCheck::Answered {
                url,
                status,
                latency_ms,
                ..
            } => Some(Evidence::Health {
                url: url.clone(),
                status: Some(*status),
                latency_ms: *latency_ms,
                error: None,
            }),
            HealthCheck::Failed {
                url,
                failure,
                error,
                latency_ms,
            } => Some(Evidence::Health {
                url: url.clone(),
                status: None,
                latency_ms: *latency_ms,
                error: Some(format!("{}: {error}", failure.code())),
            }),
            HealthCheck::TimedOut { url, latency_ms } => Some(Evidence::Health {
                url: url.clone(),
                status: None,
                latency_ms: *latency_ms,
                error: Some(TIMED_OUT.to_owned()),
            }),
        }
    }

    /// The outcome of the `health` action for `service`.
    fn outcome(&self, service: &str, started: Instant) -> ActionOutcome {
        match self {
            HealthCheck::NoUrl => refused(
                Msg::new("http-no-health-url").outside("service", service),
                started,
            ),
            HealthCheck::Refused { url, refusal } => refused(
                Msg::new("http-refused")
                    .outside("url", url)
                    .word("reason", refusal.code()),
                started,
            ),
            HealthCheck::Answered {
                url,
                status,
                latency_ms,
                excerpt,
                cut,
            } => {
                let healthy = (200..300).contains(status);
                let summary = if healthy {
                    Msg::new("http-healthy")
                } else {
                    Msg::new("http-unhealthy")
                }
                .outside("service", service)
                .outside("url", url)
                .number("status", u64::from(*status))
                .number("latency", *latency_ms);
                let line: String = excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
                let details = if line.is_empty() {
                    Vec::new()
                } else {
                    vec![
                        Msg::new("http-body")
                            .outside("excerpt", cut_chars(&line, HEALTH_BODY_LINE_CHARS)),
                    ]
                };
                let mut output = format!("GET {url} -> {status} in {latency_ms} ms\n\n{excerpt}");
                if *cut {
                    output.push_str(&format!(
                        "\n[body cut after {HEALTH_BODY_EXCERPT_BYTES} bytes]"
                    ));
                }
                let status = if healthy {
                    ActionStatus::Succeeded
                } else {
                    ActionStatus::Failed
                };
                finish(status, summary, details, output, started)
            }
            HealthCheck::Failed {
                url,
                failure,
                error,
                latency_ms,
            } => finish(
                ActionStatus::Failed,
                Msg::new("http-no-answer")
                    .outside("service", service)
                    .outside("url", url)
                    .word("failure", failure.code())
                    .outside("error", error)
                    .number("latency", *latency_ms),
                Vec::new(),
                format!("GET {url} -> no answer after {latency_ms} ms: {error}"),
                started,
            ),
            HealthCheck::TimedOut { url, latency_ms } => finish(
                ActionStatus::TimedOut,
                Msg::new("exec-timed-out")
                    .outside("system", url)
                    .number("ms", *latency_ms),
                Vec::new(),
                format!("GET {url} -> no answer within {latency_ms} ms"),
                started,
            ),
        }
    }
}

#[async_trait]
impl Executor for HttpExecutor {
    async fn run(&self, job: &ActionJob) -> ActionOutcome {
        let started = Instant::now();
        if job.action != "health" {
            return unknown_action("http", &job.action, &["health"], started);
        }
        let Some(service) = job.service() else {
            return no_service(job, started);
        };
        self.health(service, job_timeout(job))
            .await
            .outcome(&service.name, started)
    }
}

// ---------------------------------------------------------------------------------------
// Shared by the observing executors.

/// Why an observing executor could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("[{section}] url {url} is not an http or https URL")]
    Url { section: &'static str, url: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A configured base URL (`[prometheus] url`, `[logs] url`): http or https.
pub(crate) fn base_url(section: &'static str, text: &str) -> Result<url::Url, SetupError> {
    let refused = || SetupError::Url {
        section,
        url: shown_url(text),
    };
    let url = url::Url::parse(text.trim()).map_err(|_| refused())?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(refused());
    }
    Ok(url)
}

/// A URL as outputs and rooms show it: scheme, host, port and path, without user info,
/// query or fragment (which may carry secrets). Not a URL: a placeholder.
pub fn shown_url(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// The HTTP client of the observing executors: no redirects followed (a redirect is an
/// answer, never a second request to wherever it points), no proxy (the configured URLs
/// name the hosts actually contacted), no cookies.
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A duration in warroom's own words, as the catalog writes them (`1h30m`, one word), never
/// the text as typed.
pub(crate) fn canonical_duration(duration: Duration) -> String {
    humantime::format_duration(duration)
        .to_string()
        .replace(' ', "")
}

/// The time an executor gives itself: the job's timeout less a tenth (at most half a
/// second), so its own outcome, which says what did not answer, comes before the job pool
/// gives up on the job with a bare "timed out".
pub(crate) fn job_timeout(job: &ActionJob) -> Duration {
    let timeout = Duration::from_millis(job.timeout_ms.max(1));
    timeout - (timeout / 10).min(Duration::from_millis(500))
}

pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Reads at most `max` bytes of the body, dropping the rest unread; also whether there was
/// more.
pub(crate) async fn read_prefix(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= max {
            let more = body.len() > max;
            body.truncate(max);
            return Ok((body, more || response.chunk().await?.is_some()));
        }
    }
    Ok((body, false))
}

/// The whole body, or `None` when it is longer than `max` bytes (reading stops there).
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let (body, more) = read_prefix(response, max).await?;
    Ok((!more).then_some(body))
}

/// Bytes as text, cut before an incomplete character at the end (a cut body), other invalid
/// bytes replaced.
pub(crate) fn utf8_excerpt(bytes: &[u8]) -> String {
    let end = match std::str::from_utf8(bytes) {
        Err(error) if error.error_len().is_none() => error.valid_up_to(),
        _ => bytes.len(),
    };
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// At most [`MAX_ACTION_OUTPUT_BYTES`] of `text`, cut on a character boundary and marked.
pub(crate) fn bound_output(mut text: String) -> String {
    if text.len() <= MAX_ACTION_OUTPUT_BYTES {
        return text;
    }
    const MARK: &str = "\n[output cut]";
    let mut end = MAX_ACTION_OUTPUT_BYTES - MARK.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(MARK);
    text
}

/// An outcome with its output bounded and its duration measured from `started`.
pub(crate) fn finish(
    status: ActionStatus,
    summary: Msg,
    details: Vec<Msg>,
    output: String,
    started: Instant,
) -> ActionOutcome {
    ActionOutcome {
        status,
        summary,
        details,
        output: bound_output(output),
        scale: None,
        duration_ms: elapsed_ms(started),
    }
}

/// A refusal: nothing was run.
pub(crate) fn refused(summary: Msg, started: Instant) -> ActionOutcome {
    finish(
        ActionStatus::Refused,
        summary,
        Vec::new(),
        String::new(),
        started,
    )
}

pub(crate) fn unknown_action(
    executor: &str,
    action: &str,
    known: &[&str],
    started: Instant,
) -> ActionOutcome {
    refused(
        Msg::new("exec-unknown-action")
            .word("executor", executor)
            .outside("name", action)
            .word("known", known.join(", ")),
        started,
    )
}

pub(crate) fn no_service(job: &ActionJob, started: Instant) -> ActionOutcome {
    refused(
        Msg::new("exec-no-service").outside("command", &job.command),
        started,
    )
}

pub(crate) fn missing_param(job: &ActionJob, param: &str, started: Instant) -> ActionOutcome {
    refused(
        Msg::new("exec-param-missing")
            .outside("command", &job.command)
            .word("param", param),
        started,
    )
}

pub(crate) fn invalid_param(
    executor: &str,
    param: &str,
    value: &str,
    started: Instant,
) -> ActionOutcome {
    refused(
        Msg::new("exec-param-invalid")
            .word("executor", executor)
            .word("param", param)
            .outside("value", cut_chars(value, MAX_ERROR_CHARS)),
        started,
    )
}

/// What kind of failure an HTTP error is.
pub(crate) fn failure_kind(error: &reqwest::Error) -> ProbeFailure {
    if error.is_connect() {
        ProbeFailure::Connect
    } else if error.is_body() || error.is_decode() {
        ProbeFailure::BrokenResponse
    } else {
        ProbeFailure::Request
    }
}

/// An HTTP error's causes as the libraries word them, without the error's own text (which
/// repeats the URL, whose query may carry a secret); `-` when it has none.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        return "-".to_owned();
    }
    cut_chars(&causes.join(": "), MAX_ERROR_CHARS).to_owned()
}

/// A remote system's error text, on one line and bounded.
pub(crate) fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cut_chars(&line, MAX_ERROR_CHARS).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_never_end_in_half_a_character() {
        let text = "ok: 健康";
        let bytes = text.as_bytes();
        // Cut inside the last character (3 bytes in UTF-8).
        assert_eq!(utf8_excerpt(&bytes[..bytes.len() - 1]), "ok: 健");
        assert_eq!(utf8_excerpt(bytes), text);
        assert_eq!(utf8_excerpt(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn output_is_bounded_on_a_character_boundary() {
        let long = "é".repeat(MAX_ACTION_OUTPUT_BYTES);
        let out = bound_output(long);
        assert!(out.len() <= MAX_ACTION_OUTPUT_BYTES);
        assert!(out.ends_with("[output cut]"));
        assert_eq!(bound_output("short".to_owned()), "short");
    }

    #[test]
    fn shown_urls_keep_the_port_and_drop_secrets() {
        assert_eq!(
            shown_url("https://user:pw@prom.example.com:9443/api?token=t#x"),
            "https://prom.example.com:9443/api"
        );
        assert_eq!(shown_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(shown_url("nope"), "(not a URL)");
    }

    #[test]
    fn job_timeouts_leave_the_pool_a_margin() {
        let job = |timeout_ms| crate::domain::action::ActionJob {
            request: crate::domain::action::RequestId(1),
            command: "diag".to_owned(),
            executor: crate::domain::action::ExecutorKind::Diagnose,
            action: "diagnose".to_owned(),
            params: Default::default(),
            digest: String::new(),
            services: Vec::new(),
            argv: Vec::new(),
            env: Vec::new(),
            timeout_ms,
            idempotent: true,
            rollback_to: None,
        };
        assert_eq!(job_timeout(&job(300)), Duration::from_millis(270));
        assert_eq!(job_timeout(&job(30_000)), Duration::from_millis(29_500));
        assert_eq!(job_timeout(&job(0)), Duration::from_micros(900));
    }

    #[test]
    fn durations_read_as_one_word() {
        assert_eq!(canonical_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(canonical_duration(Duration::from_secs(900)), "15m");
    }

    #[test]
    fn one_line_collapses_and_bounds_remote_errors() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert_eq!(one_line(&"x".repeat(1000)).len(), MAX_ERROR_CHARS);
    }
}
