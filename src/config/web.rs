//! `[console] web`, `public_url` and `session_ttl`: whether warroom serves its web console at
//! `/`, whether people may act from it, and how its sign-in sessions behave.

use super::*;

/// The shortest and longest a web session may live: shorter than five minutes signs people
/// out mid-incident; longer than a week keeps a lost laptop signed in.
pub const SESSION_TTL_BOUNDS: (Duration, Duration) = (
    Duration::from_secs(5 * 60),
    Duration::from_secs(7 * 24 * 3600),
);
pub const DEFAULT_SESSION_TTL: &str = "12h";

/// What the web console at `/` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebMode {
    /// Pages, live updates and the command box, buttons and reactions (the console chat).
    Act,
    /// Pages and live updates only: the command box is hidden and every write answers 403.
    Read,
    /// No web console: `/` and its pages are not served.
    Off,
}

impl WebMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WebMode::Act => "act",
            WebMode::Read => "read",
            WebMode::Off => "off",
        }
    }

    pub fn allows_writes(self) -> bool {
        self == WebMode::Act
    }
}

/// The web console's validated settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    pub mode: WebMode,
    /// Where people reach warroom (`https://warroom.example.com`); sets the session cookie's
    /// `Secure` flag when it is https and is the origin writes must come from.
    pub public_url: Option<url::Url>,
    pub session_ttl: Duration,
    /// The people who chose a `locale` in their `[[users]]` entry: their choice beats the
    /// browser's `Accept-Language`; everyone else's pages follow the browser.
    pub locale_chosen_by: BTreeSet<UserId>,
}

impl WebSettings {
    /// Whether the session cookie carries `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

/// `[console] web`: default `act` with the console chat, `read` with Discord. Acting from
/// the web beside Discord is refused: what people typed there would appear in no Discord
/// channel, so the two rooms would disagree.
pub(super) fn web_settings(
    section: &file::ConsoleSection,
    has_discord: bool,
    problems: &mut Vec<String>,
) -> WebSettings {
    let mode = match section.web.as_deref().map(str::trim) {
        None => {
            if has_discord {
                WebMode::Read
            } else {
                WebMode::Act
            }
        }
        Some("act") if has_discord => {
            problems.push(
                "console.web: \"act\" needs the console chat; with Discord configured the web \
                 console can only watch (\"read\") or be \"off\""
                    .to_owned(),
            );
            WebMode::Read
        }
        Some("act") => WebMode::Act,
        Some("read") => WebMode::Read,
        Some("off") => WebMode::Off,
        Some(other) => {
            problems.push(format!(
                "console.web: \"{other}\" is not a web mode; use \"act\", \"read\" or \"off\""
            ));
            WebMode::Off
        }
    };
    let public_url = section
        .public_url
        .as_deref()
        .and_then(|text| parse_public_url(text, problems));
    let session_ttl = parse_duration(
        "console.session_ttl",
        section.session_ttl.as_deref(),
        DEFAULT_SESSION_TTL,
        SESSION_TTL_BOUNDS,
        problems,
    );
    WebSettings {
        mode,
        public_url,
        session_ttl,
        locale_chosen_by: BTreeSet::new(),
    }
}

/// `[console] public_url`: the origin people reach warroom at. The console is served at `/`
/// of it, so it has no path, query or fragment; it never carries a user or password (they
/// would be sent to every browser and never be checked). Errors quote the address without
/// any user info.
fn parse_public_url(text: &str, problems: &mut Vec<String>) -> Option<url::Url> {
    let text = text.trim();
    let mut url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(error) => {
            let shown = text.rsplit_once('@').map_or(text, |(_, host)| host);
            problems.push(format!(
                "console.public_url: \"{shown}\" is not a URL ({error}); write it as \
                 https://warroom.example.com"
            ));
            return None;
        }
    };
    let had_user_info = !url.username().is_empty() || url.password().is_some();
    // Strip them before the address appears in any message.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let mut refuse = |why: &str| {
        problems.push(format!("console.public_url: \"{url}\" {why}"));
        None
    };
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return refuse("must be an http:// or https:// address with a host");
    }
    if had_user_info {
        return refuse("must not carry a user name or password; people sign in with their token");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return refuse(
            "must be an origin only (scheme, host, port): the web console is served at its `/`",
        );
    }
    Some(url)
}
