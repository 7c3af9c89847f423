//! What every web response carries (Content-Security-Policy without inline scripts, no
//! sniffing, no framing) and the origin check every write passes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use response_headers::set_headers;

use crate::web::{Web, WebError, WebRoutes};

/// No inline script, no outside source of anything: every asset is embedded and served here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub(super) fn layer(routes: WebRoutes) -> WebRoutes {
    WebRoutes {
        pages: set_headers(routes.pages),
        writes: set_headers(routes.writes),
        streams: set_headers(routes.streams),
        open: set_headers(routes.open),
    }
}

/// Refuses a write whose `Origin` (or, without one, `Sec-Fetch-Site`) says it came from
/// another site. Warroom's own origin is `[console] public_url` when set; else the `Host`
/// the request was sent to, over http or https (a proxy in front may terminate TLS). A
/// request with neither header (a script, curl) passes here and still needs the CSRF token.
pub(super) fn check_origin(web: &Web, headers: &HeaderMap) -> Result<(), WebError> {
    let foreign = || {
        WebError::new(
            StatusCode::FORBIDDEN,
            "this request came from another site; writes are taken only from warroom's own pages",
        )
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| foreign())?;
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok());
        if !is_own_origin(web.settings.public_url.as_ref(), host, origin) {
            return Err(foreign());
        }
    } else if let Some(site) = headers.get("sec-fetch-site") {
        // `same-origin` from our pages; `none` when the person typed or bookmarked it.
        if site != HeaderValue::from_static("same-origin")
            && site != HeaderValue::from_static("none")
        {
            return Err(foreign());
        }
    }
    Ok(())
}

/// Whether a request's `Origin` is warroom's own: `public_url`'s origin when configured,
/// else the request's `Host` over http or https. `null` (a sandboxed or privacy-stripped
/// origin) is never ours.
pub fn is_own_origin(public_url: Option<&url::Url>, host: Option<&str>, origin: &str) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    match public_url {
        Some(url) => origin == url.origin().ascii_serialization().to_ascii_lowercase(),
        None => match host.map(str::to_ascii_lowercase) {
            Some(host) if !host.is_empty() => {
                origin == format!("http://{host}") || origin == format!("https://{host}")
            }
            _ => false,
        },
    }
}

/// Whether a request's `Host` names warroom, against DNS rebinding: a page of another site
/// whose name resolves to warroom's address would otherwise count as warroom's own origin.
/// In demo mode (whose tokens are public) only a loopback address or `localhost`; without
/// `public_url` also the configured `http.addr` (any IP literal when it listens on all
/// addresses: rebinding always brings a name, never a literal); with `public_url` (a proxy
/// in front names warroom) any, since writes must then come from that origin. A request
/// without a `Host` comes from no browser and passes.
pub fn host_allowed(
    host: Option<&str>,
    public_url: Option<&url::Url>,
    http_addr: Option<std::net::SocketAddr>,
    demo: bool,
) -> bool {
    if public_url.is_some() && !demo {
        return true;
    }
    let Some(host) = host else {
        return true;
    };
    let Ok(authority) = host.trim().parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let name = authority.host().to_ascii_lowercase();
    let literal = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .ok();
    let loopback = name == "localhost" || literal.is_some_and(|ip| ip.is_loopback());
    if loopback || demo {
        return loopback;
    }
    match (literal, http_addr) {
        (Some(ip), Some(addr)) => addr.ip().is_unspecified() || ip == addr.ip(),
        _ => false,
    }
}

/// Refuses a request to the web console whose `Host` is not warroom's (see
/// [`host_allowed`]): 421, before it takes a request slot.
pub async fn refuse_foreign_host(
    axum::extract::State(state): axum::extract::State<crate::http::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(web) = state.web.as_ref() {
        let host = request
            .headers()
            .get(header::HOST)
            .map(|value| value.to_str().unwrap_or("\u{fffd}"))
            .or_else(|| {
                request
                    .uri()
                    .authority()
                    .map(|authority| authority.as_str())
            });
        if !host_allowed(
            host,
            web.settings.public_url.as_ref(),
            web.http_addr,
            web.demo,
        ) {
            return WebError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "this address does not name warroom: open the web console at a loopback \
                 address or at its http.addr, or set [console] public_url to the address \
                 people use",
            )
            .into_response();
        }
    }
    next.run(request).await
}

mod response_headers {
    //! Adds the security headers to every response of a router.
    use axum::Router;
    use axum::extract::Request;
    use axum::http::{HeaderValue, header};
    use axum::middleware::{self, Next};
    use axum::response::Response;

    use crate::http::AppState;

    pub fn set_headers(router: Router<AppState>) -> Router<AppState> {
        router.layer(middleware::from_fn(add_headers))
    }

    async fn add_headers(request: Request, next: Next) -> Response {
        let mut response = next.run(request).await;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(super::CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends `Origin: null`
        // on the page's own form posts, which the origin check rightly refuses. Other sites
        // still learn nothing of our addresses.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        // A page of another site opened from ours gets no handle on it, and our responses
        // are not embedded by other sites.
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_warroom_s_own_origin_may_write() {
        let public: url::Url = "https://warroom.example.com".parse().unwrap();
        let cases: &[(Option<&url::Url>, Option<&str>, &str, bool)] = &[
            (None, Some("127.0.0.1:8080"), "http://127.0.0.1:8080", true),
            (None, Some("127.0.0.1:8080"), "https://127.0.0.1:8080", true),
            (None, Some("Warroom.Local"), "http://warroom.local", true),
            (None, Some("127.0.0.1:8080"), "http://127.0.0.1:9090", false),
            (None, Some("127.0.0.1:8080"), "http://evil.example", false),
            (None, Some("127.0.0.1:8080"), "null", false),
            (None, None, "http://127.0.0.1:8080", false),
            (None, Some(""), "http://", false),
            (
                Some(&public),
                Some("10.0.0.5:8080"),
                "https://warroom.example.com",
                true,
            ),
            (
                Some(&public),
                Some("10.0.0.5:8080"),
                "http://warroom.example.com",
                false,
            ),
            (
                Some(&public),
                Some("10.0.0.5:8080"),
                "http://10.0.0.5:8080",
                false,
            ),
            (
                Some(&public),
                None,
                "https://warroom.example.com.evil",
                false,
            ),
        ];
        for (public_url, host, origin, own) in cases {
            assert_eq!(
                is_own_origin(*public_url, *host, origin),
                *own,
                "{public_url:?} {host:?} {origin}"
            );
        }
    }

    /// (host, public_url, http.addr, demo, allowed)
    type HostCase<'a> = (
        Option<&'a str>,
        Option<&'a url::Url>,
        Option<std::net::SocketAddr>,
        bool,
        bool,
    );

    #[test]
    fn only_a_host_that_names_warroom_is_served() {
        let public: url::Url = "https://warroom.example.com".parse().unwrap();
        let lan: std::net::SocketAddr = "10.0.0.5:8080".parse().unwrap();
        let all: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let local: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let cases: &[HostCase] = &[
            (Some("127.0.0.1:8080"), None, Some(local), false, true),
            (Some("127.0.0.2:9999"), None, Some(local), false, true),
            (Some("[::1]:8080"), None, Some(local), false, true),
            (Some("LocalHost:8080"), None, Some(local), false, true),
            (Some("localhost"), None, Some(local), true, true),
            (Some("evil.example:8080"), None, Some(local), false, false),
            (
                Some("localhost.evil.example"),
                None,
                Some(local),
                false,
                false,
            ),
            (Some("10.0.0.5:8080"), None, Some(lan), false, true),
            (Some("10.0.0.6:8080"), None, Some(lan), false, false),
            (Some("warroom.internal:8080"), None, Some(lan), false, false),
            (Some("192.168.1.9:8080"), None, Some(all), false, true),
            (Some("rebind.example:8080"), None, Some(all), false, false),
            (Some("10.0.0.5:8080"), None, Some(lan), true, false),
            (Some("evil.example"), None, None, false, false),
            (Some("a b"), None, Some(local), false, false),
            (None, None, Some(local), false, true),
            (
                Some("anything.example"),
                Some(&public),
                Some(lan),
                false,
                true,
            ),
            (
                Some("evil.example"),
                Some(&public),
                Some(local),
                true,
                false,
            ),
            (
                Some("127.0.0.1:8080"),
                Some(&public),
                Some(local),
                true,
                true,
            ),
        ];
        for (host, public_url, addr, demo, allowed) in cases {
            assert_eq!(
                host_allowed(*host, *public_url, *addr, *demo),
                *allowed,
                "{host:?} {public_url:?} {addr:?} demo={demo}"
            );
        }
    }

    #[test]
    fn the_policy_allows_no_inline_script_or_style_and_nothing_from_elsewhere() {
        let policy = CONTENT_SECURITY_POLICY;
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
        for needle in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(needle), "{needle} missing from {policy}");
        }
        assert!(!policy.contains("http"), "no outside source: {policy}");
    }
}
