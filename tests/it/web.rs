//! The web console's sign-in, sessions, CSRF and origin checks, security headers and
//! language, as a browser without JavaScript uses them.

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

use crate::support::web::{EVIL, Fields, WebSession, lang, location, set_cookies, signed_in};
use crate::support::{TestBot, user_token};

#[tokio::test]
async fn a_person_signs_in_with_their_token_and_sees_the_incident_list() {
    let bot = TestBot::spawn().await;
    let session = bot.web_sign_in("alice").await;
    let (status, html) = session.page("/incidents").await;
    assert_eq!(status, 200);
    assert!(html.contains("Incidents"), "{html}");
    assert!(!session.csrf().await.is_empty());
    // Signed in, `/` goes straight to the incidents.
    let response = session.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/incidents");
}

#[tokio::test]
async fn the_session_cookie_is_random_http_only_strict_and_lives_for_the_default_12h() {
    let bot = TestBot::spawn().await;
    let token = user_token("alice").unwrap();
    let response = bot.web_post_sign_in(&token, Some(&bot.base)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    let id = cookie
        .strip_prefix("warroom_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    assert_eq!(id.len(), 64, "{cookie}");
    assert!(
        !cookie.contains(&token) && !cookie.contains("alice"),
        "{cookie}"
    );
    for flag in ["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    // Served over plain http without an https public_url: no Secure (the browser would
    // drop the cookie).
    assert!(!cookie.contains("Secure"), "{cookie}");
    // A second sign-in is a second session with its own id.
    let again = bot.web_sign_in("alice").await;
    assert_ne!(again.cookie, format!("warroom_session={id}"));
}

#[tokio::test]
async fn a_wrong_token_shows_the_form_again_with_an_error_and_sets_nothing() {
    let bot = TestBot::spawn().await;
    for token in ["not-a-token", "", "test-token-mallory", "test-reader-token"] {
        let response = bot.web_post_sign_in(token, Some(&bot.base)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token}");
        assert!(set_cookies(&response).is_empty(), "{token}");
        let html = response.text().await.unwrap();
        assert!(html.contains("<form id=\"login\""), "{html}");
        assert!(
            html.contains("<p class=\"error\" role=\"alert\">That token is not known here."),
            "{html}"
        );
        assert!(!html.contains("csrf-token"), "{html}");
    }
    // A body that is no form at all is a wrong token too, not a crash.
    let response = bot
        .web_client()
        .post(format!("{}/login", bot.base))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&response).is_empty());
}

#[tokio::test]
async fn the_sign_in_page_has_the_form_and_no_one_click_sign_in_outside_demo_mode() {
    let bot = TestBot::spawn().await;
    let response = bot
        .web_client()
        .get(format!("{}/", bot.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    for needle in [
        "<form id=\"login\" method=\"post\" action=\"/login\"",
        "name=\"token\"",
        "type=\"submit\"",
    ] {
        assert!(html.contains(needle), "{needle} missing: {html}");
    }
    assert!(!html.contains("demo-login"), "{html}");
    assert!(!html.contains("csrf-token"), "{html}");
    let response = bot
        .web_client()
        .post(format!("{}/login/demo", bot.base))
        .header(reqwest::header::ORIGIN, &bot.base)
        .form(&[("user", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(set_cookies(&response).is_empty());
}

#[tokio::test]
async fn demo_mode_signs_a_demo_user_in_with_one_click() {
    let bot = TestBot::spawn_demo().await;
    let client = bot.web_client();
    let html = client
        .get(format!("{}/", bot.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<form id=\"demo-login\" method=\"post\" action=\"/login/demo\""),
        "{html}"
    );
    for user in ["alice", "bob", "carol"] {
        assert!(
            html.contains(&format!("name=\"user\" value=\"{user}\"")),
            "{user}: {html}"
        );
    }
    let click = |user: &'static str, origin: &'static str| {
        let request = client
            .post(format!("{}/login/demo", bot.base))
            .header(
                reqwest::header::ORIGIN,
                if origin.is_empty() { &bot.base } else { origin },
            )
            .form(&[("user", user)]);
        async move { request.send().await.unwrap() }
    };
    let response = click("bob", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/incidents");
    let cookie = set_cookies(&response)[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session = WebSession {
        base: bot.base.clone(),
        client: client.clone(),
        cookie,
        user: "bob".to_owned(),
    };
    let (status, html) = session.page("/incidents").await;
    assert_eq!(status, 200);
    assert!(html.contains("Signed in as bob"), "{html}");
    // Nobody else, and never from another site.
    let response = click("mallory", "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&response).is_empty());
    let response = click("alice", EVIL).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(&response).is_empty());
}

#[tokio::test]
async fn a_session_ends_after_session_ttl() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[console]\nsession_ttl = \"1h\"\n",
    )
    .await;
    let token = user_token("alice").unwrap();
    let response = bot.web_post_sign_in(&token, Some(&bot.base)).await;
    assert!(set_cookies(&response)[0].contains("Max-Age=3600"));
    let session = bot.web_sign_in("alice").await;
    bot.advance(chrono::Duration::minutes(59));
    assert!(signed_in(&session).await, "59 min into a 1 h session");
    bot.advance(chrono::Duration::minutes(2));
    assert!(!signed_in(&session).await, "61 min into a 1 h session");
    // A script (no text/html) is told 401 rather than sent to a page.
    let response = session
        .client
        .get(format!("{}/incidents", bot.base))
        .header(reqwest::header::COOKIE, &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The sign-in page shows the form again.
    let (status, html) = session.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<form id=\"login\""), "{html}");
}

#[tokio::test]
async fn signing_out_needs_the_csrf_token_and_warroom_s_origin_and_ends_the_session() {
    let bot = TestBot::spawn().await;
    let session = bot.web_sign_in("alice").await;
    let other = bot.web_sign_in("bob").await;
    let csrf = session.csrf().await;
    let refused: [(Option<&str>, Fields); 4] = [
        (Some(&bot.base), vec![]),
        (Some(&bot.base), vec![("csrf", "wrong")]),
        (Some(EVIL), vec![("csrf", csrf.as_str())]),
        (Some("null"), vec![("csrf", csrf.as_str())]),
    ];
    for (origin, fields) in &refused {
        let response = session.post_raw("/logout", *origin, fields).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{origin:?} {fields:?}"
        );
        assert!(set_cookies(&response).is_empty());
        assert!(signed_in(&session).await);
    }
    // Another session's token is no good either.
    let other_csrf = other.csrf().await;
    let response = session
        .post_raw("/logout", Some(&bot.base), &[("csrf", &other_csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = session
        .post_raw("/logout", Some(&bot.base), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    let cookies = set_cookies(&response);
    assert!(
        cookies[0].starts_with("warroom_session=;") && cookies[0].contains("Max-Age=0"),
        "{cookies:?}"
    );
    assert!(
        !signed_in(&session).await,
        "the session is over on the server"
    );
    assert!(signed_in(&other).await, "only that session ended");
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused_and_sets_nothing() {
    let bot = TestBot::spawn().await;
    let token = user_token("alice").unwrap();
    for origin in [EVIL, "null", "http://127.0.0.1:1"] {
        let response = bot.web_post_sign_in(&token, Some(origin)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
        assert!(set_cookies(&response).is_empty(), "{origin}");
    }
    // Without an Origin, a cross-site fetch still says where it came from.
    let response = bot
        .web_client()
        .post(format!("{}/login", bot.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A script with neither header signs in (it had the token anyway).
    let response = bot.web_post_sign_in(&token, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn with_an_https_public_url_the_cookie_is_secure_and_only_that_origin_may_write() {
    let bot = TestBot::spawn_with(
        "[chat]\ncard_edit_interval = \"0s\"\n[console]\npublic_url = \"https://warroom.example.com\"\n",
    )
    .await;
    let token = user_token("alice").unwrap();
    // The loopback address people do not use is not warroom's origin any more.
    let response = bot.web_post_sign_in(&token, Some(&bot.base)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = bot
        .web_post_sign_in(&token, Some("https://warroom.example.com"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = &set_cookies(&response)[0];
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let session = WebSession {
        base: bot.base.clone(),
        client: bot.web_client(),
        cookie: cookie.split(';').next().unwrap().to_owned(),
        user: "alice".to_owned(),
    };
    let csrf = session.csrf().await;
    let response = session
        .post_raw("/logout", Some(&bot.base), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = session
        .post_raw(
            "/logout",
            Some("https://warroom.example.com"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(&response)[0].ends_with("; Secure"));
}

#[tokio::test]
async fn every_page_carries_a_strict_content_security_policy_and_no_inline_script() {
    let bot = TestBot::spawn().await;
    let session = bot.web_sign_in("alice").await;
    let client = bot.web_client();
    let responses = [
        client.get(format!("{}/", bot.base)).send().await.unwrap(),
        session.get("/incidents").await,
        client
            .post(format!("{}/login", bot.base))
            .form(&[("token", "wrong")])
            .send()
            .await
            .unwrap(),
        client
            .get(format!("{}/assets/app.css", bot.base))
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        let url = response.url().to_string();
        let headers = response.headers().clone();
        let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{url}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{url}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{url}: {policy}");
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff", "{url}");
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY", "{url}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{url}");
        let content_type = headers[CONTENT_TYPE].to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        if content_type.starts_with("text/html") {
            assert_eq!(headers["cache-control"], "no-store", "{url}");
            // The header is the one referrer policy: a `no-referrer` meta would override it
            // and make the page's own form posts send `Origin: null`.
            assert!(!body.contains("name=\"referrer\""), "{url}: {body}");
            for (index, _) in body.match_indices("<script") {
                assert!(
                    body[index..].starts_with("<script src=\"/assets/"),
                    "{url}: an inline script: {body}"
                );
            }
            let lower = body.to_ascii_lowercase();
            for needle in [
                " onclick=",
                " onload=",
                " onerror=",
                " style=",
                "javascript:",
            ] {
                assert!(!lower.contains(needle), "{url}: {needle} in {body}");
            }
            assert!(!body.contains("test-token-"), "{url}: a token in the page");
        }
    }
}

#[tokio::test]
async fn signed_in_pages_carry_the_header_the_contract_names() {
    let bot = TestBot::spawn().await;
    let session = bot.web_sign_in("alice").await;
    let (_, html) = session.page("/incidents?state=triggered").await;
    let csrf = session.csrf().await;
    for needle in [
        format!("<meta name=\"csrf-token\" content=\"{csrf}\">"),
        "<html lang=\"en-US\">".to_owned(),
        "<a id=\"nav-incidents\" href=\"/incidents\">".to_owned(),
        "<form id=\"locale-switch\" method=\"post\" action=\"/locale\">".to_owned(),
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">"),
        // minijinja escapes `/` too; the browser sends back the path itself.
        "<input type=\"hidden\" name=\"back\" value=\"&#x2f;incidents?state=triggered\">"
            .to_owned(),
        "<select name=\"locale\"".to_owned(),
        "<option value=\"en-US\" selected>".to_owned(),
        "<option value=\"zh-CN\">".to_owned(),
        "<button id=\"locale-submit\" type=\"submit\">".to_owned(),
        "<form id=\"logout\" method=\"post\" action=\"/logout\">".to_owned(),
    ] {
        assert!(html.contains(&needle), "{needle} missing: {html}");
    }
}

#[tokio::test]
async fn in_read_mode_people_still_sign_in_switch_language_and_sign_out() {
    let bot =
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\n[console]\nweb = \"read\"\n")
            .await;
    let session = bot.web_sign_in("vic").await;
    let csrf = session.csrf().await;
    let response = session
        .post_raw(
            "/locale",
            Some(&bot.base),
            &[("locale", "zh-CN"), ("csrf", &csrf), ("back", "/incidents")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(lang(&session.page("/incidents").await.1), "zh-CN");
    let response = session
        .post_raw("/logout", Some(&bot.base), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&session).await);
}

#[tokio::test]
async fn with_the_web_console_off_nothing_is_served_at_the_root() {
    let bot =
        TestBot::spawn_with("[chat]\ncard_edit_interval = \"0s\"\n[console]\nweb = \"off\"\n")
            .await;
    let client = bot.web_client();
    for path in ["/", "/incidents", "/assets/app.js"] {
        let response = client
            .get(format!("{}{path}", bot.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = bot
        .web_post_sign_in(&user_token("alice").unwrap(), None)
        .await;
    assert!(
        matches!(
            response.status(),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ),
        "{}",
        response.status()
    );
}
