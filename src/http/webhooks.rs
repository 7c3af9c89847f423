//! Alert intake: the four webhook formats, the ingest token, and a clear answer to a wrong
//! method.

use super::*;

/// A wrong method on an intake URL: say which method it takes, in the API's error shape.
pub(super) async fn intake_method() -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "alert intake takes POST with a JSON body",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
    response
}

fn check_token(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.ingest_token else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::http::auth::bearer_token)
        .unwrap_or("");
    if constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (send Authorization: Bearer <ingest token>)",
        ))
    }
}

/// Compares without an early exit, so response timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (index, byte) in b.iter().enumerate() {
        difference |= usize::from(a.get(index).copied().unwrap_or(0) ^ byte);
    }
    difference == 0
}

pub(super) async fn ingest(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let source = match source.as_str() {
        "alertmanager" => AlertSource::Alertmanager,
        "grafana" => AlertSource::Grafana,
        "zabbix" => AlertSource::Zabbix,
        "generic" => AlertSource::Generic,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "unknown alert source \"{other}\"; use alertmanager, grafana, zabbix or generic"
                ),
            ));
        }
    };
    check_token(&state, &headers)?;
    let bytes = read_json_bytes(
        &headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await;
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(error) => {
            metrics::counter!("warroom_alerts_rejected_total", "source" => source.as_str(), "status" => error.status.as_u16().to_string()).increment(1);
            return Err(error);
        }
    };
    let batch = intake::parse_batch(source, &bytes).map_err(|error| {
        metrics::counter!("warroom_alerts_rejected_total", "source" => source.as_str(), "status" => "400").increment(1);
        ApiError::new(StatusCode::BAD_REQUEST, error.to_string())
    })?;
    let report = state.port.ingest_batch(batch).await?;
    Ok((StatusCode::OK, axum::Json(report)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_matches_only_equal_inputs() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-tokem", b"secret-token"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token-and-more", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
