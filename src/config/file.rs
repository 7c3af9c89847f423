//! The config file as written: TOML sections, unknown keys refused. `Settings` is built from
//! these and checked there.

use super::*;

pub(super) fn parse_file(text: &str, path: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|error| ConfigError::Syntax {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

/// The three people of the local demo. They exist only when no config file is given.
pub(super) fn demo_user_configs() -> Vec<UserConfig> {
    let user = |name: &str, roles: &[&str]| UserConfig {
        name: name.to_owned(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        locale: None,
        token_sha256: DEMO_TOKENS
            .iter()
            .find(|(demo, _)| *demo == name)
            .map(|(_, token)| TokenHash::of(token).to_hex()),
        discord_id: None,
    };
    vec![
        user("alice", &["commander", "duty_manager"]),
        user("bob", &["operations", "duty_manager"]),
        user("carol", &["communications"]),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ConfigFile {
    pub(super) http: HttpSection,
    pub(super) ingest: IngestSection,
    pub(super) store: StoreSection,
    pub(super) grouping: GroupingSection,
    pub(super) severity: SeveritySection,
    pub(super) incidents: IncidentsSection,
    pub(super) chat: ChatSection,
    pub(super) oncall: OncallSection,
    pub(super) rotations: Vec<RotationConfig>,
    pub(super) users: Vec<UserConfig>,
    pub(super) log: LogSection,
    pub(super) discord: DiscordSection,
    pub(super) api: ApiSection,
    pub(super) console: ConsoleSection,
    pub(super) probes: ProbesSection,
    pub(super) services: Vec<ServiceConfig>,
    pub(super) actions: actions::ActionsSection,
    pub(super) kubernetes: actions::KubernetesSection,
    pub(super) prometheus: Option<actions::PrometheusSection>,
    pub(super) logs: Option<actions::LogsSection>,
    /// `[status_updates]`: severity → the longest time without a status update (`"30m"`).
    pub(super) status_updates: BTreeMap<String, String>,
    pub(super) tasks: tasks::TasksSection,
    pub(super) escalation: Vec<escalation::EscalationTable>,
    pub(super) quiet_hours: Option<escalation::QuietHoursSection>,
    pub(super) paging: Option<escalation::PagingSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ProbesSection {
    pub(super) allow_hosts: Vec<String>,
    pub(super) timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceConfig {
    pub(super) name: String,
    pub(super) health_url: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) deployment: Option<String>,
    pub(super) min_replicas: Option<i64>,
    pub(super) max_replicas: Option<i64>,
    #[serde(default)]
    pub(super) depends_on: Vec<String>,
    #[serde(default)]
    pub(super) checks: Vec<actions::CheckConfig>,
    pub(super) log_selector: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ApiSection {
    pub(super) read_token_sha256: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ConsoleSection {
    pub(super) enabled: Option<bool>,
    /// `"act"`, `"read"` or `"off"`: the web console at `/`.
    pub(super) web: Option<String>,
    pub(super) public_url: Option<String>,
    pub(super) session_ttl: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct DiscordSection {
    pub(super) token: Option<Secret>,
    pub(super) guild_id: Option<String>,
    pub(super) incidents_category_id: Option<String>,
    pub(super) alerts_channel_id: Option<String>,
    pub(super) announce_channel_id: Option<String>,
    pub(super) api_base: Option<String>,
    pub(super) private_category: bool,
    pub(super) roles: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct HttpSection {
    pub(super) addr: Option<String>,
    pub(super) body_limit_bytes: Option<usize>,
    pub(super) header_timeout: Option<String>,
    pub(super) body_timeout: Option<String>,
    pub(super) max_concurrent_requests: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct IngestSection {
    pub(super) token: Option<Secret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct StoreSection {
    pub(super) path: Option<PathBuf>,
    pub(super) cache_capacity_mib: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct GroupingSection {
    pub(super) labels: Vec<String>,
    pub(super) window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct SeveritySection {
    pub(super) default: Option<String>,
    pub(super) min_incident: Option<String>,
    pub(super) map: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct IncidentsSection {
    pub(super) auto_resolve: bool,
    /// Remind a still-triggered incident after this long (`"10m"`); unset: no reminders.
    pub(super) ack_reminder: Option<String>,
    /// How many reminders in all (default 3).
    pub(super) ack_reminder_max: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct ChatSection {
    pub(super) locale: Option<String>,
    pub(super) card_edit_interval: Option<String>,
    /// The IANA zone timelines are shown in (default UTC).
    pub(super) time_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct OncallSection {
    pub(super) commander: Option<String>,
    pub(super) communications: Option<String>,
    pub(super) operations: Option<String>,
    pub(super) duty_manager: Option<String>,
}

/// One `[[rotations]]` table. Every key defaults to empty so a missing one is reported by
/// its key path (`rotations[0].handoff: …`) rather than as a TOML error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RotationConfig {
    pub(super) role: String,
    pub(super) participants: Vec<String>,
    pub(super) handoff: String,
    pub(super) time_zone: String,
    pub(super) start: String,
    pub(super) services: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserConfig {
    pub(super) name: String,
    #[serde(default)]
    pub(super) roles: Vec<String>,
    pub(super) locale: Option<String>,
    pub(super) token_sha256: Option<String>,
    /// The Discord user id of the same person: a console user with it acts as that Discord
    /// member, so one human is one person (one vote) in both chats.
    pub(super) discord_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct LogSection {
    pub(super) filter: Option<String>,
}
