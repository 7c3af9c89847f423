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
/// another site.
pub(super) fn check_origin(web: &Web, headers: &HeaderMap) -> Result<(), WebError> {
    let foreign = || {
        WebError::new(
            StatusCode::FORBIDDEN,
            "this request came from another site; writes are taken only from warroom's own pages",
        )
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| foreign())?;
        let own = match &web.settings.public_url {
            Some(url) => url.origin().ascii_serialization(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                format!("http://{host}")
            }
        };
        if origin != own {
            return Err(foreign());
        }
    } else if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site != HeaderValue::from_static("same-origin"))
    {
        return Err(foreign());
    }
    Ok(())
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
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        response
    }
}
