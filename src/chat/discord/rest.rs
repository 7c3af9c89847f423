//! The outbox's Discord REST calls, sent directly so Discord's rate-limit answers reach the
//! pacer. serenity 0.12 turns an unsuccessful answer into `HttpError::UnsuccessfulRequest`,
//! whose `ErrorResponse` keeps the status, URL and decoded JSON error but no headers; and a
//! 429 body has no `code`, so serenity fails to decode it and keeps neither `retry_after`
//! nor `global`. Its own rate limiter reads the headers, but only without a proxy. Here each
//! request is still built by serenity (`Request`, `Route`, the API version, the token
//! header, the proxy), then sent with warroom's client, and the answer's
//! `X-RateLimit-Remaining` / `X-RateLimit-Reset-After`, `Retry-After` and the body's
//! `retry_after` and `global` go to the pacer.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use tracing::warn;

use super::pacing::{self, Answer, Pacer, Window};
use crate::chat::ChatError;

/// The major parameter of a route: what Discord keeps a route's rate limits apart by, and
/// whether a refusal concerns one room (a channel) or the whole guild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Major {
    Channel(serenity::ChannelId),
    Guild(serenity::GuildId),
    /// Opening a person's DM channel: paced per person.
    User(serenity::UserId),
}

impl Major {
    /// The id Discord keeps the route's rate limits apart by.
    fn id(self) -> u64 {
        match self {
            Major::Channel(channel) => channel.get(),
            Major::Guild(guild) => guild.get(),
            Major::User(user) => user.get(),
        }
    }

    /// The channel, for a route in one channel.
    fn channel(self) -> Option<u64> {
        match self {
            Major::Channel(channel) => Some(channel.get()),
            Major::Guild(_) | Major::User(_) => None,
        }
    }
}

/// Sends paced requests to Discord and sorts the answers.
pub(super) struct Rest {
    pub(super) client: reqwest::Client,
    pub(super) http: Arc<serenity::Http>,
    pub(super) pacer: Pacer,
}

impl Rest {
    /// Waits for the turn of `route` (warroom's name for it) on `major`, sends `request`,
    /// tells the pacer what Discord answered, and decodes a successful answer's body (`()`
    /// for an empty one).
    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        route: &str,
        major: Major,
        window: Window,
        request: serenity::http::Request<'_>,
    ) -> Result<T, ChatError> {
        let unbuildable =
            |error: String| ChatError::Rejected(format!("cannot build the request: {error}"));
        let built = request
            .build(&self.client, self.http.token(), self.http.proxy.as_deref())
            .map_err(|error| unbuildable(error.to_string()))?
            .build()
            .map_err(|error| unbuildable(error.without_url().to_string()))?;
        let ticket = self.pacer.wait(route, major.id(), window).await;
        let response = match self.client.execute(built).await {
            Ok(response) => response,
            Err(error) => {
                self.pacer.answered(ticket, Answer::Other, None).await;
                return Err(ChatError::Unavailable(error.without_url().to_string()));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => {
                self.pacer.answered(ticket, Answer::Other, None).await;
                return Err(ChatError::Unavailable(error.without_url().to_string()));
            }
        };
        let answer = rate_answer(status, &headers, &body);
        self.pacer
            .answered(ticket, answer, bucket_hash(&headers))
            .await;
        if let Answer::RateLimited { retry_after, .. } = answer {
            return Err(ChatError::RateLimited {
                retry_after: Some(retry_after),
            });
        }
        if !(200..300).contains(&status) {
            let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let code = error["code"].as_i64().and_then(|c| isize::try_from(c).ok());
            let message = error["message"].as_str().unwrap_or("no message").to_owned();
            return Err(super::classify_status(
                status,
                code,
                message,
                major.channel(),
            ));
        }
        let body: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(body).map_err(|error| {
            ChatError::Unavailable(format!("cannot read Discord's answer ({status}): {error}"))
        })
    }
}

/// serenity's default client has no timeout: a Discord that hangs would stall the outbox
/// forever instead of letting it back off and retry.
pub(super) fn client_with_timeouts() -> Option<reqwest::Client> {
    match reqwest::Client::builder()
        .timeout(super::REQUEST_TIMEOUT)
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
    {
        Ok(client) => Some(client),
        Err(error) => {
            warn!(%error, "Cannot build an HTTP client with timeouts; using the default.");
            None
        }
    }
}

impl super::DiscordChat {
    /// Creates a channel in the guild, paced in the guild's channel-creation bucket.
    pub(super) async fn create_channel(
        &self,
        builder: serenity::CreateChannel<'_>,
    ) -> Result<serenity::GuildChannel, ChatError> {
        let body = serde_json::to_vec(&builder)
            .map_err(|error| ChatError::Rejected(format!("cannot encode the channel: {error}")))?;
        let guild = serenity::GuildId::new(self.settings.guild_id);
        let request = serenity::http::Request::new(
            serenity::http::Route::GuildChannels { guild_id: guild },
            serenity::http::LightMethod::Post,
        )
        .body(Some(body));
        self.rest
            .send(
                "guild-channels-create",
                Major::Guild(guild),
                pacing::CHANNEL_CREATES,
                request,
            )
            .await
    }
}

/// Seconds as Discord writes them (fractional), or `None` for a value that is negative, not a
/// number, or too large to be a duration (a broken proxy must not panic the outbox; the
/// pacer caps every hold anyway).
fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    if seconds < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// The bucket Discord says the route uses (`X-RateLimit-Bucket`), when it looks like one of
/// its hashes: a few dozen letters and digits, not whatever a broken proxy sent.
pub(super) fn bucket_hash(headers: &HeaderMap) -> Option<&str> {
    let hash = headers.get("x-ratelimit-bucket")?.to_str().ok()?.trim();
    let plausible = (1..=64).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then_some(hash)
}

/// What an answer tells the pacer. A 429 waits the most precise figure Discord gave: the
/// body's `retry_after` (seconds, fractional), else `X-RateLimit-Reset-After`, else
/// `Retry-After`; it is global when the header, the scope or the body says so.
pub(super) fn rate_answer(status: u16, headers: &HeaderMap, body: &[u8]) -> Answer {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let seconds = |text: Option<&str>| {
        text.and_then(|t| t.trim().parse::<f64>().ok())
            .and_then(seconds_to_duration)
    };
    let reset_after = seconds(header("x-ratelimit-reset-after"));
    if status == 429 {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let body_retry = json["retry_after"].as_f64().and_then(seconds_to_duration);
        let retry_after = body_retry
            .or(reset_after)
            .or(seconds(header("retry-after")))
            // Discord always says; if a proxy ate every hint, wait a second and ask again.
            .unwrap_or(Duration::from_secs(1));
        let global = header("x-ratelimit-global").is_some()
            || header("x-ratelimit-scope") == Some("global")
            || json["global"].as_bool() == Some(true);
        return Answer::RateLimited {
            retry_after,
            global,
        };
    }
    if (200..300).contains(&status) {
        return Answer::Accepted {
            remaining: header("x-ratelimit-remaining").and_then(|r| r.trim().parse().ok()),
            reset_after,
        };
    }
    Answer::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_rate_limit_figures_are_ignored_not_a_panic() {
        let huge = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "1e300"),
        ]);
        assert!(matches!(
            rate_answer(200, &huge, b"{}"),
            Answer::Accepted { .. }
        ));
        assert_eq!(
            rate_answer(429, &HeaderMap::new(), br#"{"retry_after":1e300}"#),
            Answer::RateLimited {
                retry_after: Duration::from_secs(1),
                global: false
            },
            "an unusable figure falls back to one second"
        );
        assert_eq!(seconds_to_duration(-1.0), None);
        assert_eq!(seconds_to_duration(f64::NAN), None);
        assert_eq!(seconds_to_duration(0.25), Some(Duration::from_millis(250)));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [u8],
        Answer,
    );

    #[test]
    fn a_429_waits_what_the_answer_says_most_precisely() {
        const BODY: &[u8] =
            br#"{"message":"You are being rate limited.","retry_after":1.234,"global":false}"#;
        let table: [Case; 6] = [
            // The body's figure wins over the rounded header.
            (
                &[("retry-after", "2"), ("x-ratelimit-reset-after", "1.5")],
                BODY,
                Answer::RateLimited {
                    retry_after: Duration::from_millis(1234),
                    global: false,
                },
            ),
            // serenity-shaped bodies and proxies may lose the body: the headers then.
            (
                &[("retry-after", "2"), ("x-ratelimit-reset-after", "1.5")],
                b"",
                Answer::RateLimited {
                    retry_after: Duration::from_millis(1500),
                    global: false,
                },
            ),
            (
                &[("retry-after", "3")],
                b"not json",
                Answer::RateLimited {
                    retry_after: Duration::from_secs(3),
                    global: false,
                },
            ),
            (
                &[("retry-after", "0.5"), ("x-ratelimit-global", "true")],
                b"",
                Answer::RateLimited {
                    retry_after: Duration::from_millis(500),
                    global: true,
                },
            ),
            (
                &[("x-ratelimit-scope", "global")],
                br#"{"retry_after":0.25,"global":true}"#,
                Answer::RateLimited {
                    retry_after: Duration::from_millis(250),
                    global: true,
                },
            ),
            // Nothing said at all (or nonsense): a second, then Discord is asked again.
            (
                &[("retry-after", "soon")],
                br#"{"retry_after":-4}"#,
                Answer::RateLimited {
                    retry_after: Duration::from_secs(1),
                    global: false,
                },
            ),
        ];
        for (pairs, body, expected) in table {
            assert_eq!(
                rate_answer(429, &headers(pairs), body),
                expected,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn only_a_plausible_bucket_hash_is_learned() {
        let table: [(&str, Option<&str>); 4] = [
            ("41f9c5a4f7b2e3d1c0a9", Some("41f9c5a4f7b2e3d1c0a9")),
            (" abc-1_2 ", Some("abc-1_2")),
            ("", None),
            ("not a hash", None),
        ];
        for (value, expected) in table {
            let map = headers(&[("x-ratelimit-bucket", value)]);
            assert_eq!(bucket_hash(&map), expected, "{value:?}");
        }
        assert_eq!(
            bucket_hash(&headers(&[("x-ratelimit-bucket", &"a".repeat(65))])),
            None
        );
        assert_eq!(bucket_hash(&HeaderMap::new()), None);
    }

    #[test]
    fn a_success_reports_the_buckets_budget_and_other_failures_report_nothing() {
        let spent = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "0.750"),
        ]);
        assert_eq!(
            rate_answer(200, &spent, b"{}"),
            Answer::Accepted {
                remaining: Some(0),
                reset_after: Some(Duration::from_millis(750)),
            }
        );
        assert_eq!(
            rate_answer(204, &HeaderMap::new(), b""),
            Answer::Accepted {
                remaining: None,
                reset_after: None,
            }
        );
        assert_eq!(rate_answer(503, &spent, b""), Answer::Other);
        assert_eq!(rate_answer(403, &HeaderMap::new(), b""), Answer::Other);
    }
}
