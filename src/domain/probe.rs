//! The read-only HTTP health probe, as far as it is pure: which URL an alert asks for, whether
//! warroom may fetch it (only `http`/`https`, no credentials, only allow-listed hosts), what the
//! probe message shows, and what opening an incident or pressing Re-probe decides.
//!
//! Architecture invariant: an alert cannot make warroom fetch an arbitrary internal URL. A URL
//! whose host is not in `[probes] allow_hosts` (empty by default) is noted, never fetched.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::access::{Permission, Person, authorize};
use crate::domain::alert::Alert;
use crate::domain::decide::{Applied, NOT_ALLOWED};
use crate::domain::effect::{Effect, TrackedBody};
use crate::domain::ids::{Actor, IncidentId};
use crate::domain::incident::Incident;
use crate::domain::job::{JobKind, NewJob};
use crate::domain::message::Msg;
use crate::domain::timeline::EntryKind;

/// The longest a probe may take, connection to last byte read; `[probes] timeout` may only
/// shorten it.
pub const MAX_PROBE_TIMEOUT_MS: u64 = 5_000;
/// How much of a probe's response body is read before the rest is dropped unread.
pub const PROBE_MAX_BODY_BYTES: usize = 64 * 1024;
/// The annotation an alert names its health URL in.
pub const HEALTH_URL_ANNOTATION: &str = "health_url";

/// The probe settings the core needs, built from config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbePolicy {
    /// Hosts warroom may probe; empty means none.
    pub allow_hosts: Vec<HostPattern>,
    /// `[[services]]`: a service's health URL, for alerts that carry none themselves.
    pub service_urls: BTreeMap<String, String>,
    /// The probe's total timeout, at most [`MAX_PROBE_TIMEOUT_MS`].
    pub timeout_ms: u64,
}

impl Default for ProbePolicy {
    fn default() -> ProbePolicy {
        ProbePolicy {
            allow_hosts: Vec::new(),
            service_urls: BTreeMap::new(),
            timeout_ms: MAX_PROBE_TIMEOUT_MS,
        }
    }
}

/// An allowed host: an exact name or address (`status.example.com`, `10.0.0.7`, `[::1]`), or
/// every subdomain of a name (`*.example.com`, which matches neither `example.com` itself nor
/// any IP address), optionally with a port (`status.example.com:8443`). Without a port only
/// the scheme's default port (80, 443) is allowed, so an allowed host is not also an open door
/// to its Redis or SSH port. Parsed the way URL hosts are (`url::Host::parse`: lower case, IDN
/// to punycode, `127.1` and `0x7f.0.0.1` to `127.0.0.1`), so a pattern and a URL naming the
/// same host always compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    host: HostMatch,
    /// The one port allowed; `None` allows only the URL scheme's default port.
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    /// One host, normalized as a URL's.
    Exact(url::Host<String>),
    /// Every subdomain of this domain name (in punycode).
    Subdomains(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostPatternError {
    #[error("must not be empty")]
    Empty,
    #[error(
        "\"{0}\" is not a host name: give the host alone, with a port only if it is not the scheme's default, without scheme, path or spaces (e.g. status.example.com or status.example.com:8443)"
    )]
    NotAHost(String),
    #[error("\"{0}\": a wildcard is only allowed as a leading \"*.\" (e.g. *.example.com)")]
    Wildcard(String),
    #[error(
        "\"{0}\": a wildcard applies to domain names, never to IP addresses; list each address on its own"
    )]
    WildcardAddress(String),
}

impl HostPattern {
    pub fn parse(text: &str) -> Result<HostPattern, HostPatternError> {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return Err(HostPatternError::Empty);
        }
        let (wildcard, name) = match text.strip_prefix("*.") {
            Some(name) => (true, name),
            None => (false, text.as_str()),
        };
        if name.contains('*') {
            return Err(HostPatternError::Wildcard(text));
        }
        let not_a_host = || HostPatternError::NotAHost(text.clone());
        let (name, port) = split_port(name).ok_or_else(not_a_host)?;
        // Empty labels and a trailing dot: URL hosts keep them, so such a pattern could only
        // ever match hosts spelled that way. Refused rather than silently never matching.
        if name.is_empty() || name.starts_with('.') || name.ends_with('.') || name.contains("..") {
            return Err(not_a_host());
        }
        let host = url::Host::parse(name).map_err(|_| not_a_host())?;
        let host = match (wildcard, host) {
            (false, host) => HostMatch::Exact(host),
            (true, url::Host::Domain(domain)) => HostMatch::Subdomains(domain),
            (true, _) => return Err(HostPatternError::WildcardAddress(text)),
        };
        Ok(HostPattern { host, port })
    }

    /// Whether `host` (a URL's host, as `Url::host_str` gives it) is allowed by this pattern,
    /// whatever the port; [`check_url`] checks the port too.
    pub fn matches(&self, host: &str) -> bool {
        url::Host::parse(host).is_ok_and(|host| self.matches_host(&host))
    }

    fn matches_host(&self, host: &url::Host<String>) -> bool {
        match (&self.host, host) {
            (HostMatch::Exact(expected), actual) => expected == actual,
            (HostMatch::Subdomains(domain), url::Host::Domain(name)) => name
                .strip_suffix(domain.as_str())
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            // A wildcard never matches an address.
            (HostMatch::Subdomains(_), _) => false,
        }
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.host {
            HostMatch::Exact(host) => write!(f, "{host}")?,
            HostMatch::Subdomains(domain) => write!(f, "*.{domain}")?,
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Splits `host:port` (`[v6]:port` for IPv6); `None` when the port is not a number from 1 to
/// 65535 or an IPv6 address is not in brackets.
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if text.starts_with('[') {
        let end = text.find(']')? + 1;
        match &text[end..] {
            "" => (text, None),
            rest => (&text[..end], Some(rest.strip_prefix(':')?)),
        }
    } else {
        match text.split_once(':') {
            None => (text, None),
            Some((host, port)) => (host, Some(port)),
        }
    };
    match port {
        None => Some((host, None)),
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
            let port: u16 = port.parse().ok()?;
            (port != 0).then_some((host, Some(port)))
        }
        Some(_) => None,
    }
}

/// Why a URL is not probed. Each maps to a localized message and a timeline reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ProbeRefusal {
    #[error("not a URL")]
    NotAUrl,
    #[error("only http and https are probed, not {scheme}")]
    Scheme { scheme: String },
    #[error("a URL with a user name or password is never probed")]
    Credentials,
    #[error("host {host} is not in [probes] allow_hosts")]
    HostNotAllowed { host: String },
    #[error(
        "port {port} of host {host} is not allowed: list {host}:{port} in [probes] allow_hosts"
    )]
    PortNotAllowed { host: String, port: u16 },
}

impl ProbeRefusal {
    /// The code of every refusal, each with its Fluent message `probe-refusal-<code>`.
    pub const CODES: [&'static str; 5] = [
        "not_a_url",
        "scheme_not_allowed",
        "credentials_in_url",
        "host_not_allowed",
        "port_not_allowed",
    ];

    /// The reason as the timeline keeps it; also the tail of its Fluent message id, so the
    /// room and the timeline show it in the reader's language.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeRefusal::NotAUrl => "not_a_url",
            ProbeRefusal::Scheme { .. } => "scheme_not_allowed",
            ProbeRefusal::Credentials => "credentials_in_url",
            ProbeRefusal::HostNotAllowed { .. } => "host_not_allowed",
            ProbeRefusal::PortNotAllowed { .. } => "port_not_allowed",
        }
    }
}

/// Checks a URL before anything is fetched: `Ok` with its host when warroom may probe it.
pub fn check_url(text: &str, allow_hosts: &[HostPattern]) -> Result<String, ProbeRefusal> {
    let url = probe_url(text)?;
    let host = url.host().ok_or(ProbeRefusal::NotAUrl)?.to_owned();
    let mut host_listed = false;
    for pattern in allow_hosts.iter().filter(|p| p.matches_host(&host)) {
        host_listed = true;
        let port_allowed = match pattern.port {
            // `port()` is `None` when the URL uses its scheme's default port.
            None => url.port().is_none(),
            Some(port) => url.port_or_known_default() == Some(port),
        };
        if port_allowed {
            return Ok(host.to_string());
        }
    }
    let host = host.to_string();
    Err(match url.port_or_known_default() {
        Some(port) if host_listed => ProbeRefusal::PortNotAllowed { host, port },
        _ => ProbeRefusal::HostNotAllowed { host },
    })
}

/// The host of a URL warroom could probe (`http`/`https`, no credentials), whatever the
/// allow-list says.
pub fn probe_host(text: &str) -> Result<String, ProbeRefusal> {
    Ok(probe_url(text)?
        .host_str()
        .ok_or(ProbeRefusal::NotAUrl)?
        .to_owned())
}

fn probe_url(text: &str) -> Result<url::Url, ProbeRefusal> {
    let url = url::Url::parse(text.trim()).map_err(|_| ProbeRefusal::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProbeRefusal::Scheme {
            scheme: url.scheme().to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ProbeRefusal::Credentials);
    }
    Ok(url)
}

/// The URL without its query and fragment, which may carry secrets: what logs may show.
pub fn loggable_url(text: &str) -> String {
    match url::Url::parse(text.trim()) {
        Ok(url) => format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.path()
        ),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// The health URL an alert asks for: its `health_url` annotation, else its service's
/// `[[services]] health_url` (the service as grouping sees it: the alert's service, else its
/// `service` label).
pub fn health_url(policy: &ProbePolicy, alert: &Alert) -> Option<String> {
    if let Some(url) = alert.annotations.get(HEALTH_URL_ANNOTATION)
        && !url.trim().is_empty()
    {
        return Some(url.trim().to_owned());
    }
    let service = alert
        .service
        .as_deref()
        .or(alert.labels.get("service").map(String::as_str))?;
    policy.service_urls.get(service).cloned()
}

/// What one probe saw. Its `Debug` (what logs show) leaves out the query and fragment of a
/// redirect's `Location`, which may carry secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// An HTTP answer (any status; a redirect is reported, its `Location` never fetched).
    Answered {
        status: u16,
        latency_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// No answer: connection refused, DNS, TLS, a broken response. `failure` is the kind (a
    /// code, localized when shown), `error` the technical cause as the libraries give it.
    Failed {
        #[serde(default)]
        failure: ProbeFailure,
        error: String,
        latency_ms: u64,
    },
    /// No complete answer within the timeout.
    TimedOut { latency_ms: u64 },
    /// Refused before fetching (config changed since the probe was queued).
    Refused { refusal: ProbeRefusal },
}

/// Why a probe got no answer: stored as a code (`connect`, …) and shown through the Fluent
/// message `probe-failure-<code>`, never as English text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeFailure {
    /// No connection: DNS, refused, unreachable, TLS.
    Connect,
    /// The answer broke off or could not be read.
    BrokenResponse,
    /// Anything else (and failures stored before kinds were kept).
    #[default]
    Request,
}

impl ProbeFailure {
    pub const ALL: [ProbeFailure; 3] = [
        ProbeFailure::Connect,
        ProbeFailure::BrokenResponse,
        ProbeFailure::Request,
    ];

    /// The kind as the timeline keeps it; also the tail of its Fluent message id.
    pub fn code(self) -> &'static str {
        match self {
            ProbeFailure::Connect => "connect",
            ProbeFailure::BrokenResponse => "broken_response",
            ProbeFailure::Request => "request",
        }
    }
}

/// The failure code of a probe that timed out (a [`ProbeOutcome`] of its own).
pub const TIMED_OUT: &str = "timed_out";

/// The probe message's state: what the tracked message shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProbeState {
    Running,
    Done {
        outcome: ProbeOutcome,
    },
    /// Not probed at all; no button, since pressing it would be refused again.
    Refused {
        refusal: ProbeRefusal,
    },
}

/// What the probe message of an incident shows. Its `Debug` (what logs show, e.g. an outbox
/// item dropped) passes the URL through [`loggable_url`]: its query may carry a token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeView {
    pub url: String,
    #[serde(flatten)]
    pub state: ProbeState,
}

impl std::fmt::Debug for ProbeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeView")
            .field("url", &loggable_url(&self.url))
            .field("state", &self.state)
            .finish()
    }
}

impl std::fmt::Debug for ProbeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeOutcome::Answered {
                status,
                latency_ms,
                location,
            } => f
                .debug_struct("Answered")
                .field("status", status)
                .field("latency_ms", latency_ms)
                .field("location", &location.as_deref().map(without_query))
                .finish(),
            ProbeOutcome::Failed {
                failure,
                error,
                latency_ms,
            } => f
                .debug_struct("Failed")
                .field("failure", failure)
                .field("error", error)
                .field("latency_ms", latency_ms)
                .finish(),
            ProbeOutcome::TimedOut { latency_ms } => f
                .debug_struct("TimedOut")
                .field("latency_ms", latency_ms)
                .finish(),
            ProbeOutcome::Refused { refusal } => {
                f.debug_struct("Refused").field("refusal", refusal).finish()
            }
        }
    }
}

/// A URL or a relative reference without its query and fragment.
fn without_query(text: &str) -> &str {
    text.split(['?', '#']).next().unwrap_or_default()
}

/// The tracked-message key of an incident's probe message: one per incident, which Re-probe
/// edits in place.
pub fn probe_key(incident: IncidentId) -> String {
    format!("probe:{incident}")
}

/// When an incident opens from `alert`: probe its health URL if it has one and the host is
/// allowed; a URL that is refused is noted on the timeline and in the room, never fetched.
pub fn probe_on_open(policy: &ProbePolicy, incident: IncidentId, alert: &Alert) -> Applied {
    let mut applied = Applied::default();
    let Some(url) = health_url(policy, alert) else {
        return applied;
    };
    let state = match check_url(&url, &policy.allow_hosts) {
        Ok(_) => {
            applied.jobs.push(NewJob {
                incident,
                kind: JobKind::Probe {
                    url: url.clone(),
                    timeout_ms: policy.timeout_ms,
                },
            });
            ProbeState::Running
        }
        Err(refusal) => {
            applied.entry(&Actor::warroom(), refused_entry(&url, &refusal));
            ProbeState::Refused { refusal }
        }
    };
    applied.effects.push(Effect::PostTracked {
        incident,
        key: probe_key(incident),
        body: TrackedBody::Probe(ProbeView { url, state }),
    });
    applied
}

fn refused_entry(url: &str, refusal: &ProbeRefusal) -> EntryKind {
    EntryKind::ProbeResult {
        url: url.to_owned(),
        status: None,
        error: None,
        latency_ms: None,
        refused: Some(refusal.code().to_owned()),
        failure: None,
    }
}

/// The timeline entry and the new view for a finished probe.
pub fn probe_finished(incident: IncidentId, url: &str, outcome: ProbeOutcome) -> Applied {
    let mut applied = Applied::default();
    let entry = match &outcome {
        ProbeOutcome::Answered {
            status, latency_ms, ..
        } => EntryKind::ProbeResult {
            url: url.to_owned(),
            status: Some(*status),
            error: None,
            latency_ms: Some(*latency_ms),
            refused: None,
            failure: None,
        },
        ProbeOutcome::Failed {
            failure,
            error,
            latency_ms,
        } => EntryKind::ProbeResult {
            url: url.to_owned(),
            status: None,
            error: Some(error.clone()),
            latency_ms: Some(*latency_ms),
            refused: None,
            failure: Some(failure.code().to_owned()),
        },
        ProbeOutcome::TimedOut { latency_ms } => EntryKind::ProbeResult {
            url: url.to_owned(),
            status: None,
            error: None,
            latency_ms: Some(*latency_ms),
            refused: None,
            failure: Some(TIMED_OUT.to_owned()),
        },
        ProbeOutcome::Refused { refusal } => refused_entry(url, refusal),
    };
    applied.entry(&Actor::warroom(), entry);
    applied.effects.push(Effect::UpdateTracked {
        incident,
        key: probe_key(incident),
        body: TrackedBody::Probe(ProbeView {
            url: url.to_owned(),
            state: ProbeState::Done { outcome },
        }),
    });
    applied
}

/// Re-probe pressed on an incident's probe message whose current view is `current`: probe
/// again as a new job and show it running in the same message. Anyone who may act on the
/// incident may press it.
pub fn reprobe(
    policy: &ProbePolicy,
    incident: &Incident,
    person: &Person,
    current: Option<&ProbeView>,
) -> Result<(Applied, Msg), Msg> {
    if authorize(person, Some(&incident.roles), Permission::Respond).is_err() {
        return Err(Msg::new(NOT_ALLOWED));
    }
    let Some(view) = current else {
        return Err(Msg::new("reply-probe-none").word("incident", incident.id));
    };
    if view.state == ProbeState::Running {
        return Err(Msg::new("reply-probe-running").word("incident", incident.id));
    }
    if let Err(refusal) = check_url(&view.url, &policy.allow_hosts) {
        return Err(Msg::new("reply-probe-refused")
            .outside("url", &view.url)
            .word("reason", refusal.code()));
    }
    let mut applied = Applied::default();
    applied.entry(
        &Actor::user(&person.id),
        EntryKind::ProbeRequested {
            url: view.url.clone(),
        },
    );
    applied.jobs.push(NewJob {
        incident: incident.id,
        kind: JobKind::Probe {
            url: view.url.clone(),
            timeout_ms: policy.timeout_ms,
        },
    });
    applied.effects.push(Effect::UpdateTracked {
        incident: incident.id,
        key: probe_key(incident.id),
        body: TrackedBody::Probe(ProbeView {
            url: view.url.clone(),
            state: ProbeState::Running,
        }),
    });
    Ok((
        applied,
        Msg::new("reply-probe-started").word("incident", incident.id),
    ))
}

#[cfg(test)]
mod tests;
