//! The web console as a browser without JavaScript sees it: sign in with a token, keep the
//! session cookie, read pages, and write with the page's CSRF token from warroom's origin.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use tokio::net::TcpListener;
use warroom::app::start_on;
use warroom::config::{Overrides, Settings};

use super::{TestBot, user_token};

/// An origin that is not warroom's.
pub const EVIL: &str = "http://evil.example";

/// A form's fields, as a test sends them.
pub type Fields<'a> = Vec<(&'a str, &'a str)>;

/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The value of `<html lang="…">`.
pub fn lang(html: &str) -> &str {
    let start = html.find("<html lang=\"").expect("an html tag") + "<html lang=\"".len();
    html[start..].split('"').next().unwrap()
}

/// Whether the session still opens pages (a page request without one goes to `/`).
pub async fn signed_in(session: &WebSession) -> bool {
    let response = session.get("/incidents").await;
    match response.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert_eq!(location(&response), "/");
            false
        }
        other => panic!("unexpected {other}"),
    }
}

/// A signed-in browser session of one person.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub base: String,
    pub client: reqwest::Client,
    /// `warroom_session=<id>`, as the browser sends it back.
    pub cookie: String,
    pub user: String,
}

impl TestBot {
    /// A client that never follows redirects, so tests see each 303 and its cookie.
    pub fn web_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A warroom in demo mode, as `warroom serve` without a config file runs it: the demo
    /// users alice, bob and carol with their public tokens, on loopback.
    pub async fn spawn_demo() -> TestBot {
        let mut bot = TestBot::unstarted("");
        let settings = Settings::load_in(
            None,
            &Overrides {
                http_addr: Some("127.0.0.1:0".to_owned()),
                data_dir: Some(bot.dir.path().join("data")),
                ingest_token: None,
            },
            bot.dir.path(),
        )
        .expect("the built-in defaults are valid");
        assert!(settings.demo_users, "no config file means demo mode");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let running = start_on(settings, listener, bot.clock.clone())
            .await
            .expect("warroom starts in demo mode");
        bot.base = format!("http://{}", running.addr);
        bot.running = Some(running);
        bot
    }

    /// POSTs the sign-in form with `token` from `origin` (none when `None`); the raw answer.
    pub async fn web_post_sign_in(&self, token: &str, origin: Option<&str>) -> reqwest::Response {
        let mut request = self
            .web_client()
            .post(format!("{}/login", self.base))
            .form(&[("token", token)]);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        request.send().await.expect("sign-in sent")
    }

    /// Signs `user` in through the form, with their harness token.
    pub async fn web_sign_in(&self, user: &str) -> WebSession {
        let token = user_token(user).unwrap_or_else(|| panic!("{user} has no token"));
        let client = self.web_client();
        let response = client
            .post(format!("{}/login", self.base))
            .header(ORIGIN, &self.base)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("sign-in sent");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {user}"
        );
        assert_eq!(response.headers()[LOCATION], "/incidents");
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("warroom_session="))
            .and_then(|value| value.split(';').next())
            .expect("a session cookie")
            .to_owned();
        WebSession {
            base: self.base.clone(),
            client,
            cookie,
            user: user.to_owned(),
        }
    }
}

impl WebSession {
    /// GETs a page as the browser would; the status and the HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status(), response.text().await.unwrap_or_default())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(reqwest::header::ACCEPT, "text/html")
            .send()
            .await
            .expect("request sent")
    }

    /// The CSRF token of the session, read off a page (`<meta name="csrf-token">`).
    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/incidents").await;
        let start = html
            .find("name=\"csrf-token\" content=\"")
            .expect("a csrf meta tag")
            + "name=\"csrf-token\" content=\"".len();
        html[start..]
            .split('"')
            .next()
            .expect("a csrf value")
            .to_owned()
    }

    /// GETs a page as a browser preferring `accept_language` would.
    pub async fn page_in(&self, path: &str, accept_language: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(ACCEPT, "text/html")
            .header(ACCEPT_LANGUAGE, accept_language)
            .send()
            .await
            .expect("request sent");
        (response.status(), response.text().await.unwrap_or_default())
    }

    /// POSTs a form with the session cookie, the given `Origin` (none when `None`) and
    /// exactly the fields given: a test of the CSRF and origin checks puts the token in the
    /// fields itself, or leaves it out.
    pub async fn post_raw(
        &self,
        path: &str,
        origin: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(fields);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        request.send().await.expect("request sent")
    }

    /// POSTs a form as the page's script does: the session cookie, the CSRF header and
    /// warroom's own origin.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        self.client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.base)
            .header("x-csrf-token", csrf)
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }
}
