//! The web console's language: the session's choice (the header's switch), else the
//! person's configured locale, else the browser's `Accept-Language`, else the room's.

use reqwest::StatusCode;

use crate::support::TestBot;
use crate::support::web::{EVIL, Fields, WebSession, lang, location};

#[tokio::test]
async fn the_language_is_the_session_choice_then_the_person_s_then_the_browser_s() {
    let bot = TestBot::spawn().await;
    // Nobody is known on the sign-in page: the browser's language, else the room's.
    let client = bot.web_client();
    for (accept, expected) in [
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("fr, en;q=0.5", "en-US"),
        ("de", "en-US"),
    ] {
        let html = client
            .get(format!("{}/", bot.base))
            .header(reqwest::header::ACCEPT_LANGUAGE, accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(lang(&html), expected, "{accept}");
    }
    let alice = bot.web_sign_in("alice").await;
    let wang = bot.web_sign_in("wang").await;
    // (session, Accept-Language, language): wang chose zh-CN in [[users]]; alice chose
    // nothing, so her browser decides.
    let cases: [(&WebSession, &str, &str); 5] = [
        (&alice, "", "en-US"),
        (&alice, "zh-CN,en;q=0.5", "zh-CN"),
        (&alice, "en;q=0.4, zh-TW;q=0.6", "zh-CN"),
        (&wang, "en-US", "zh-CN"),
        (&wang, "", "zh-CN"),
    ];
    for (session, accept, expected) in cases {
        let (status, html) = session.page_in("/incidents", accept).await;
        assert_eq!(status, 200);
        assert_eq!(lang(&html), expected, "{} {accept}", session.user);
    }
    let (_, html) = wang.page("/incidents").await;
    assert!(html.contains("退出登录") && html.contains("事件"), "{html}");

    // The switch beats both, for that session only.
    let csrf = alice.csrf().await;
    let response = alice
        .post_raw(
            "/locale",
            Some(&bot.base),
            &[
                ("locale", "zh-CN"),
                ("csrf", &csrf),
                ("back", "/incidents?state=open"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/incidents?state=open");
    let (_, html) = alice.page_in("/incidents", "en-US").await;
    assert_eq!(lang(&html), "zh-CN");
    assert!(html.contains("<option value=\"zh-CN\" selected>"), "{html}");
    let csrf = wang.csrf().await;
    let response = wang
        .post_raw(
            "/locale",
            Some(&bot.base),
            &[("locale", "en-US"), ("csrf", &csrf), ("back", "/incidents")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(lang(&wang.page("/incidents").await.1), "en-US");
    let other_alice = bot.web_sign_in("alice").await;
    assert_eq!(lang(&other_alice.page("/incidents").await.1), "en-US");
}

#[tokio::test]
async fn the_language_switch_is_refused_without_the_token_from_elsewhere_or_off_site() {
    let bot = TestBot::spawn().await;
    let alice = bot.web_sign_in("alice").await;
    let csrf = alice.csrf().await;
    let refused: [(&str, Fields, StatusCode); 4] = [
        (
            bot.base.as_str(),
            vec![("locale", "zh-CN")],
            StatusCode::FORBIDDEN,
        ),
        (
            bot.base.as_str(),
            vec![("locale", "zh-CN"), ("csrf", "nope")],
            StatusCode::FORBIDDEN,
        ),
        (
            EVIL,
            vec![("locale", "zh-CN"), ("csrf", &csrf)],
            StatusCode::FORBIDDEN,
        ),
        (
            bot.base.as_str(),
            vec![("locale", "fr-FR"), ("csrf", &csrf)],
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (origin, fields, status) in &refused {
        let response = alice.post_raw("/locale", Some(origin), fields).await;
        assert_eq!(response.status(), *status, "{origin} {fields:?}");
        assert_eq!(lang(&alice.page("/incidents").await.1), "en-US");
    }
    // Going back never leaves the site.
    for back in [
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
    ] {
        let response = alice
            .post_raw(
                "/locale",
                Some(&bot.base),
                &[("locale", "zh-CN"), ("csrf", &csrf), ("back", back)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/incidents", "{back}");
    }
    // Not signed in: nothing to switch.
    let response = bot
        .web_client()
        .post(format!("{}/locale", bot.base))
        .form(&[("locale", "zh-CN")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_sign_in_page_and_its_error_are_in_the_browser_s_language() {
    let bot = TestBot::spawn().await;
    let response = bot
        .web_client()
        .post(format!("{}/login", bot.base))
        .header(reqwest::header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let html = response.text().await.unwrap();
    assert_eq!(lang(&html), "zh-CN");
    assert!(
        html.contains("此令牌无效") && html.contains("登录"),
        "{html}"
    );
}
