//! Settings: the config file (TOML, unknown keys refused), command-line overrides and
//! built-in defaults, parsed once into typed values. Secrets never print.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use discord::discord_settings;
pub use discord::{DiscordSettings, parse_snowflake};
use file::{ConfigFile, demo_user_configs, parse_file};
pub use web::{WebMode, WebSettings};

use crate::credentials::TokenHash;
use crate::domain::access::{Person, PersonRole};
use crate::domain::decide::Policy;
use crate::domain::ids::UserId;
use crate::domain::severity::{Severity, SeverityMapping};

pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const INGEST_TOKEN_ENV: &str = "WARROOM_INGEST_TOKEN";
pub const DISCORD_TOKEN_ENV: &str = "DISCORD_TOKEN";
pub const DEFAULT_DISCORD_API_BASE: &str = "https://discord.com";
/// How long a client may take to send a request's headers, and then its body.
pub const DEFAULT_HEADER_TIMEOUT: &str = "10s";
pub const DEFAULT_BODY_TIMEOUT: &str = "30s";
/// Requests served at once; more wait their turn. Reads get at most a quarter of these, so
/// alert intake always finds room.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 256;
/// sled's page cache: more than 64 GiB is a typo, not a plan.
pub const MAX_CACHE_CAPACITY_MIB: u64 = 64 * 1024;

/// A person's name in config (and in `warroom token new`): 1-64 characters without white
/// space, `@`, `<` or `>`, so it can never read as a chat mention.
pub fn is_valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == '@')
}

/// The demo users' fixed tokens. They are public (printed in the log and the README), which
/// is why demo mode listens on loopback only.
pub const DEMO_TOKENS: [(&str, &str); 3] = [
    ("alice", "demo-alice-token"),
    ("bob", "demo-bob-token"),
    ("carol", "demo-carol-token"),
];

/// Sensible bounds for durations in the config; outside them a value is surely a typo.
const GROUPING_WINDOW_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(30 * 24 * 3600));
/// 0 is allowed: cards are then edited at once (the outbox still paces Discord by itself).
const CARD_EDIT_INTERVAL_BOUNDS: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(3600));
const HEADER_TIMEOUT_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(300));
const BODY_TIMEOUT_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(600));
/// A reminder sooner than a minute would nag before anyone could react; one later than a
/// week reminds nobody of anything.
const ACK_REMINDER_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(7 * 24 * 3600));
/// Reminders per incident; 0 is refused (leave `ack_reminder` unset to turn them off).
const ACK_REMINDER_MAX_BOUNDS: (u32, u32) = (1, 100);
const DEFAULT_ACK_REMINDER_MAX: u32 = 3;

/// A secret value: usable, never shown by Debug or Display.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The validated settings everything else is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    pub http_addr: SocketAddr,
    pub body_limit: usize,
    pub ingest_token: Option<Secret>,
    pub data_dir: PathBuf,
    pub cache_capacity: u64,
    pub policy: Policy,
    /// The language of incident rooms (cards and notices).
    pub room_locale: String,
    /// The least time between two edits of one incident card.
    pub card_edit_interval: Duration,
    pub people: Vec<Person>,
    /// True when the demo users are in use (no config file).
    pub demo_users: bool,
    pub log_filter: String,
    /// Present when a Discord token is configured: Discord replaces the console chat.
    pub discord: Option<DiscordSettings>,
    /// The people who have an API token, by the hash of that token.
    pub user_tokens: Vec<(UserId, TokenHash)>,
    /// The integration token that may read (incidents, timelines, console rooms), never act.
    pub read_token: Option<TokenHash>,
    /// Whether `/console/api/…` is served: by default without Discord, with it only when
    /// `[console] enabled = true`.
    pub console_api: bool,
    /// `[console] web`, `public_url`, `session_ttl`: the web console at `/`.
    pub web: WebSettings,
    pub http_limits: HttpLimits,
    /// Where the executors reach Kubernetes, Prometheus and the log store.
    pub exec: crate::exec::ExecSettings,
    /// The folder the command catalog was read from (`[actions] commands_dir`, resolved).
    pub commands_dir: PathBuf,
    /// `[paging]`: where escalation pages go; `None` without the section.
    pub paging: Option<crate::paging::PagingSettings>,
    /// What is odd but does not stop start-up (a missing catalog folder); `warroom check`
    /// prints these and `serve` logs them.
    pub warnings: Vec<String>,
}

/// Limits that keep slow or greedy clients from starving everyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// A client that has not sent a request's headers within this is disconnected.
    pub header_timeout: Duration,
    /// A body not fully received within this is answered 408.
    pub body_timeout: Duration,
    pub max_concurrent_requests: usize,
}

impl HttpLimits {
    /// Concurrent reads allowed: a quarter of all requests (at least one), so a crowd of
    /// readers never takes the slots alert intake needs.
    pub fn max_concurrent_reads(&self) -> usize {
        (self.max_concurrent_requests / 4).max(1)
    }

    /// Web console event streams open at once: four per request slot. A stream holds no
    /// request slot (it stays open as long as its page), but each is a connection and a
    /// task, so their number grows with the capacity the operator gave warroom.
    pub fn max_event_streams(&self) -> usize {
        self.max_concurrent_requests.saturating_mul(4)
    }
}

/// What the command line may override.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub http_addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub ingest_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}:\n  {}", problems.join("\n  "))]
    Invalid { path: String, problems: Vec<String> },
}

impl Settings {
    /// Reads `path` (or uses the built-in defaults when `None`), applies `overrides`, checks
    /// everything and reports every problem at once.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Settings, ConfigError> {
        Settings::load_in(path, overrides, Path::new("."))
    }

    /// [`Settings::load`], resolving relative paths in the config (`[actions] commands_dir`)
    /// against the config file's folder, or against `root` without a config file.
    pub fn load_in(
        path: Option<&Path>,
        overrides: &Overrides,
        root: &Path,
    ) -> Result<Settings, ConfigError> {
        let base_dir = match path.and_then(Path::parent) {
            Some(parent) if parent.as_os_str().is_empty() => Path::new(".").to_path_buf(),
            Some(parent) => parent.to_path_buf(),
            None => root.to_path_buf(),
        };
        let (file, origin) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                (
                    parse_file(&text, &path.display().to_string())?,
                    path.display().to_string(),
                )
            }
            None => (ConfigFile::default(), "built-in defaults".to_owned()),
        };
        let env_token = std::env::var(INGEST_TOKEN_ENV)
            .ok()
            .filter(|t| !t.is_empty());
        let env_discord = std::env::var(DISCORD_TOKEN_ENV)
            .ok()
            .filter(|t| !t.is_empty());
        Settings::from_file_with_discord(
            file,
            path.is_none(),
            overrides,
            env_token,
            env_discord,
            &base_dir,
        )
        .map_err(|problems| ConfigError::Invalid {
            path: origin,
            problems,
        })
    }

    #[cfg(test)]
    fn from_file(
        file: ConfigFile,
        no_config_file: bool,
        overrides: &Overrides,
        env_token: Option<String>,
    ) -> Result<Settings, Vec<String>> {
        Settings::from_file_with_discord(
            file,
            no_config_file,
            overrides,
            env_token,
            None,
            Path::new("."),
        )
    }

    fn from_file_with_discord(
        file: ConfigFile,
        no_config_file: bool,
        overrides: &Overrides,
        env_token: Option<String>,
        env_discord_token: Option<String>,
        base_dir: &Path,
    ) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let discord = discord_settings(&file.discord, env_discord_token, &mut problems);
        let addr_text = overrides
            .http_addr
            .clone()
            .or(file.http.addr.clone())
            .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_owned());
        let http_addr = match addr_text.parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => {
                problems.push(format!(
                    "http.addr: \"{addr_text}\" is not an address like 127.0.0.1:8080"
                ));
                // A placeholder so the other checks still run; the error above stops start-up.
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }
        };
        let body_limit = file.http.body_limit_bytes.unwrap_or(DEFAULT_BODY_LIMIT);
        if !(1024..=64 * 1024 * 1024).contains(&body_limit) {
            problems.push(format!(
                "http.body_limit_bytes: {body_limit} is outside 1024..=67108864"
            ));
        }
        let ingest_token = overrides
            .ingest_token
            .clone()
            .or(env_token)
            .or(file.ingest.token.map(|t| t.0))
            .map(Secret);
        if ingest_token
            .as_ref()
            .is_some_and(|t| t.expose().trim().is_empty())
        {
            problems
                .push("ingest.token: is blank; remove it or set a long random string".to_owned());
        } else if ingest_token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            problems.push("ingest.token: use at least 16 characters".to_owned());
        }
        if !http_addr.ip().is_loopback() && ingest_token.is_none() {
            problems.push(format!(
                "http.addr: {http_addr} is not a loopback address, so an ingest token is required \
                 (set ingest.token or {INGEST_TOKEN_ENV})"
            ));
        }
        let data_dir = overrides
            .data_dir
            .clone()
            .or(file.store.path.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let cache_mib = file.store.cache_capacity_mib.unwrap_or(16);
        let cache_capacity = cache_mib.min(MAX_CACHE_CAPACITY_MIB) * 1024 * 1024;
        if !(1..=MAX_CACHE_CAPACITY_MIB).contains(&cache_mib) {
            problems.push(format!(
                "store.cache_capacity_mib: {cache_mib} is outside 1..={MAX_CACHE_CAPACITY_MIB}"
            ));
        }

        let grouping_window = parse_duration(
            "grouping.window",
            file.grouping.window.as_deref(),
            "4h",
            GROUPING_WINDOW_BOUNDS,
            &mut problems,
        );
        let card_edit_interval = parse_duration(
            "chat.card_edit_interval",
            file.chat.card_edit_interval.as_deref(),
            "3s",
            CARD_EDIT_INTERVAL_BOUNDS,
            &mut problems,
        );
        let time_zone = match file.chat.time_zone.as_deref().map(str::trim) {
            None => chrono_tz::Tz::UTC,
            Some(name) => name.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
                problems.push(format!(
                    "chat.time_zone: \"{name}\" is not an IANA time zone name such as UTC, Europe/Berlin or Asia/Shanghai"
                ));
                chrono_tz::Tz::UTC
            }),
        };
        let http_limits = HttpLimits {
            header_timeout: parse_duration(
                "http.header_timeout",
                file.http.header_timeout.as_deref(),
                DEFAULT_HEADER_TIMEOUT,
                HEADER_TIMEOUT_BOUNDS,
                &mut problems,
            ),
            body_timeout: parse_duration(
                "http.body_timeout",
                file.http.body_timeout.as_deref(),
                DEFAULT_BODY_TIMEOUT,
                BODY_TIMEOUT_BOUNDS,
                &mut problems,
            ),
            max_concurrent_requests: file
                .http
                .max_concurrent_requests
                .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS),
        };
        if !(4..=65_536).contains(&http_limits.max_concurrent_requests) {
            problems.push(format!(
                "http.max_concurrent_requests: {} is outside 4..=65536",
                http_limits.max_concurrent_requests
            ));
        }
        let severity_of =
            |key: &str, text: &str, problems: &mut Vec<String>| match Severity::parse(text) {
                Ok(severity) => Some(severity),
                Err(error) => {
                    problems.push(format!("{key}: {error}"));
                    None
                }
            };
        let default = file
            .severity
            .default
            .as_deref()
            .and_then(|text| severity_of("severity.default", text, &mut problems))
            .unwrap_or(Severity::Sev3);
        let mut words = BTreeMap::new();
        for (word, text) in &file.severity.map {
            if let Some(severity) =
                severity_of(&format!("severity.map.{word}"), text, &mut problems)
            {
                words.insert(word.clone(), severity);
            }
        }
        // Without words of its own the config keeps the standard ones (one list, in
        // `SeverityMapping::standard`), with its default if it set one.
        let mapping = if file.severity.map.is_empty() {
            SeverityMapping::standard().with_default(default)
        } else {
            SeverityMapping::new(words, default)
        };
        let min_incident_severity = file
            .severity
            .min_incident
            .as_deref()
            .and_then(|text| severity_of("severity.min_incident", text, &mut problems))
            .unwrap_or(Severity::Sev3);

        let room_locale = file
            .chat
            .locale
            .clone()
            .unwrap_or_else(|| "en-US".to_owned());
        if !crate::i18n::SOURCES.iter().any(|(l, _)| *l == room_locale) {
            problems.push(format!(
                "chat.locale: \"{room_locale}\" is not one of {}",
                supported_locales()
            ));
        }

        let demo_users = no_config_file && file.users.is_empty();
        let users = if demo_users {
            demo_user_configs()
        } else {
            file.users.clone()
        };
        let mut people = Vec::new();
        let mut user_tokens: Vec<(UserId, TokenHash)> = Vec::new();
        let mut users_without_token = Vec::new();
        // Console users without a Discord id, with their roles: checked once the catalog
        // says which roles approve.
        let mut unlinked: Vec<(String, String, BTreeSet<PersonRole>)> = Vec::new();
        let mut names = BTreeSet::new();
        let mut locale_chosen_by = BTreeSet::new();
        for (index, user) in users.iter().enumerate() {
            let key = format!("users[{index}]");
            let name = user.name.trim();
            if !is_valid_user_name(name) {
                problems.push(format!(
                    "{key}.name: \"{}\" must be 1-64 characters without spaces, @, < or >",
                    user.name
                ));
                continue;
            }
            if name == "warroom" {
                problems.push(format!(
                    "{key}.name: \"warroom\" is reserved for the bot itself"
                ));
            }
            if !names.insert(name.to_owned()) {
                problems.push(format!("{key}.name: \"{name}\" appears twice"));
            }
            let mut roles = BTreeSet::new();
            for role in &user.roles {
                match PersonRole::parse(role) {
                    Some(role) => {
                        roles.insert(role);
                    }
                    None => problems.push(format!(
                        "{key}.roles: unknown role \"{role}\"; use commander, communications, \
                         operations, duty_manager, responder or viewer"
                    )),
                }
            }
            let locale = user.locale.clone().unwrap_or_else(|| room_locale.clone());
            if !crate::i18n::SOURCES.iter().any(|(l, _)| *l == locale) {
                problems.push(format!(
                    "{key}.locale: \"{locale}\" is not one of {}",
                    supported_locales()
                ));
            }
            // A linked console user is the Discord member: one id everywhere, so the rules
            // that compare ids (self-approval, one vote per person) hold across both chats.
            let id = match user.discord_id.as_deref().map(str::trim) {
                Some(text) => match parse_snowflake(text) {
                    Some(_) => {
                        if let Some(other) = people.iter().find(|p: &&Person| p.id.0 == text) {
                            problems.push(format!(
                                "{key}.discord_id: \"{text}\" is {}'s already; one Discord \
                                 member is one person",
                                other.display_name
                            ));
                        }
                        UserId(text.to_owned())
                    }
                    None => {
                        problems.push(format!(
                            "{key}.discord_id: \"{text}\" is not a Discord user id (a number; \
                             Developer Mode on, then Copy User ID on the member)"
                        ));
                        UserId(name.to_owned())
                    }
                },
                None => UserId(name.to_owned()),
            };
            match user.token_sha256.as_deref().map(TokenHash::parse_hex) {
                Some(Ok(hash)) => {
                    if let Some((other, _)) =
                        user_tokens.iter().find(|(_, known)| known.matches(&hash))
                    {
                        problems.push(format!(
                            "{key}.token_sha256: the same token as {other}'s; give each person their own (`warroom token new {name}`)"
                        ));
                    }
                    user_tokens.push((id.clone(), hash));
                }
                Some(Err(error)) => problems.push(format!("{key}.token_sha256: {error}")),
                None => users_without_token.push(name.to_owned()),
            }
            if user.discord_id.is_none() {
                unlinked.push((key.clone(), name.to_owned(), roles.clone()));
            }
            if user.locale.is_some() {
                locale_chosen_by.insert(id.clone());
            }
            people.push(Person {
                id,
                display_name: name.to_owned(),
                roles,
                locale,
            });
        }

        let oncall = rotations::oncall_book(
            &file.oncall,
            &file.rotations,
            &people,
            discord.is_some(),
            &mut problems,
        );

        let read_token = match file
            .api
            .read_token_sha256
            .as_deref()
            .map(TokenHash::parse_hex)
        {
            Some(Ok(hash)) => {
                if user_tokens.iter().any(|(_, known)| known.matches(&hash)) {
                    problems.push(
                        "api.read_token_sha256: the same token as a user's; the integration needs its own"
                            .to_owned(),
                    );
                }
                Some(hash)
            }
            Some(Err(error)) => {
                problems.push(format!("api.read_token_sha256: {error}"));
                None
            }
            None => None,
        };
        let has_discord = discord.is_some() || file.discord.token.is_some();
        let console_api = file.console.enabled.unwrap_or(!has_discord);
        let mut web = web::web_settings(&file.console, has_discord, &mut problems);
        web.locale_chosen_by = locale_chosen_by;
        if !http_addr.ip().is_loopback() {
            if demo_users {
                problems.push(format!(
                    "http.addr: {http_addr} is not a loopback address, and without a config file \
                     the demo users (whose tokens are public) are active, so warroom listens on \
                     loopback only; pass --config with your own [[users]] and their token_sha256"
                ));
            } else if console_api && !users_without_token.is_empty() {
                problems.push(format!(
                    "http.addr: {http_addr} is not a loopback address, so every console user needs \
                     a token_sha256 (run `warroom token new <user>`); missing for {}",
                    users_without_token.join(", ")
                ));
            }
        }

        let ack_reminder = file.incidents.ack_reminder.as_deref().map(|text| {
            parse_duration(
                "incidents.ack_reminder",
                Some(text),
                "10m",
                ACK_REMINDER_BOUNDS,
                &mut problems,
            )
        });
        let ack_reminder_max = file
            .incidents
            .ack_reminder_max
            .unwrap_or(DEFAULT_ACK_REMINDER_MAX);
        let (least, most) = ACK_REMINDER_MAX_BOUNDS;
        if !(least..=most).contains(&ack_reminder_max) {
            problems.push(format!(
                "incidents.ack_reminder_max: {ack_reminder_max} is outside {least}..={most} \
                 (to turn reminders off, leave incidents.ack_reminder unset)"
            ));
        }
        let status_updates = status::status_update_intervals(&file.status_updates, &mut problems);
        let (probes, services) = actions::probe_policy(&file.probes, &file.services, &mut problems);
        let exec = actions::exec_settings(
            &file.kubernetes,
            file.prometheus.as_ref(),
            file.logs.as_ref(),
            &probes.allow_hosts,
            &mut problems,
        );
        let (actions, commands_dir) = actions::action_policy(
            &file.actions,
            services,
            base_dir,
            &mut problems,
            &mut warnings,
        );

        let escalation = escalation::escalation_settings(
            &file.escalation,
            file.quiet_hours.as_ref(),
            file.paging.as_ref(),
            std::env::var(escalation::PAGING_TOKEN_ENV)
                .ok()
                .filter(|token| !token.is_empty()),
            &mut problems,
        );

        if has_discord && console_api {
            unlinked_approvers(&unlinked, &actions, &mut problems);
        }

        let task_settings = tasks::task_settings(&file.tasks, &mut problems);

        for (index, label) in file.grouping.labels.iter().enumerate() {
            if label.trim().is_empty() {
                problems.push(format!("grouping.labels[{index}]: must not be empty"));
            }
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Settings {
            http_addr,
            body_limit,
            ingest_token,
            data_dir,
            cache_capacity,
            policy: Policy {
                grouping_labels: file.grouping.labels,
                grouping_window: chrono::Duration::from_std(grouping_window)
                    .unwrap_or(chrono::Duration::hours(4)),
                severity: mapping,
                min_incident_severity,
                auto_resolve: file.incidents.auto_resolve,
                oncall,
                time_zone,
                ack_reminder: ack_reminder
                    .and_then(|interval| chrono::Duration::from_std(interval).ok()),
                ack_reminder_max,
                probes,
                actions,
                escalation: escalation.policies,
                quiet_hours: escalation.quiet_hours,
                tasks: task_settings,
                status_updates,
            },
            room_locale,
            card_edit_interval,
            people,
            demo_users,
            log_filter: file.log.filter.unwrap_or_else(|| "info".to_owned()),
            discord,
            user_tokens,
            read_token,
            console_api,
            web,
            http_limits,
            exec,
            commands_dir,
            paging: escalation.paging,
            warnings,
        })
    }
}

/// With Discord and the console API both on, a console user who may approve must be linked
/// to their Discord account: unlinked, one human would count as two approvers.
fn unlinked_approvers(
    unlinked: &[(String, String, BTreeSet<PersonRole>)],
    actions: &crate::domain::action::ActionPolicy,
    problems: &mut Vec<String>,
) {
    let mut approver_roles = BTreeSet::from([PersonRole::DutyManager]);
    approver_roles.extend(actions.catalog.iter().map(|command| command.approver_role));
    for (key, name, roles) in unlinked {
        if let Some(role) = roles.intersection(&approver_roles).next() {
            problems.push(format!(
                "{key}.discord_id: missing; \"{name}\" holds {} (may approve actions) and both \
                 Discord and the console API are on, so add `discord_id = \"<their Discord user \
                 id>\"` to link the two accounts (Developer Mode on, then Copy User ID), or drop \
                 the role, or set [console] enabled = false",
                role.as_str()
            ));
        }
    }
}

impl Settings {
    /// Whether anyone may act on incidents: a console person with a token (the console API
    /// takes nobody without one), or a mapped Discord role, holding a role other than viewer.
    pub fn someone_can_act(&self) -> bool {
        let acts = |role: &PersonRole| *role != PersonRole::Viewer;
        let has_token = |id: &UserId| self.user_tokens.iter().any(|(holder, _)| holder == id);
        (self.console_api
            && self
                .people
                .iter()
                .any(|person| has_token(&person.id) && person.roles.iter().any(acts)))
            || self
                .discord
                .as_ref()
                .is_some_and(|discord| discord.role_map.values().flatten().any(acts))
    }
}

fn supported_locales() -> String {
    crate::i18n::SOURCES
        .iter()
        .map(|(l, _)| *l)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bounded duration key through the domain's one duration reading (blanks trimmed); a
/// bad value adds a problem naming `key` and yields `default` so checking can go on.
fn parse_duration(
    key: &str,
    text: Option<&str>,
    default: &str,
    (least, most): (Duration, Duration),
    problems: &mut Vec<String>,
) -> Duration {
    let fallback = || humantime::parse_duration(default).unwrap_or(Duration::from_secs(3));
    let (Ok(least), Ok(most)) = (
        chrono::Duration::from_std(least),
        chrono::Duration::from_std(most),
    ) else {
        problems.push(format!("{key}: its bounds are out of range"));
        return fallback();
    };
    let text = text.unwrap_or(default);
    match crate::domain::when::parse_duration_within(text, least, most)
        .map(|duration| duration.to_std())
    {
        Ok(Ok(duration)) => duration,
        Ok(Err(_)) => {
            problems.push(format!("{key}: \"{}\" is negative", text.trim()));
            fallback()
        }
        Err(error) => {
            problems.push(format!("{key}: {error}"));
            fallback()
        }
    }
}

mod actions;
mod discord;
mod escalation;
mod file;
mod rotations;
mod status;
mod tasks;
mod web;

pub use actions::{CatalogLoad, DEFAULT_COMMANDS_DIR, load_catalog};
pub use escalation::PAGING_TOKEN_ENV;

#[cfg(test)]
mod tests;
