//! The web console as a browser without JavaScript sees it: sign in with a token, keep the
//! session cookie, read pages, and write with the page's CSRF token from warroom's origin.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};

use super::{TestBot, user_token};

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
