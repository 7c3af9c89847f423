//! The Discord section: ids checked offline, the token's shape, the role map.

use super::file::DiscordSection;
use super::*;

/// The Discord adapter's settings, validated offline.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: Secret,
    pub guild_id: u64,
    /// Incident channels go under this category (and overflow categories named after it).
    pub incidents_category_id: u64,
    /// Where alerts below the incident threshold are posted, if anywhere.
    pub alerts_channel_id: Option<u64>,
    /// Where hand-offs and status updates are announced, if anywhere.
    pub announce_channel_id: Option<u64>,
    /// `https://discord.com`, or a proxy in front of it (which turns serenity's own rate
    /// limiter off: the outbox paces by itself).
    pub api_base: String,
    /// The incidents category is private: on-call people get access to each channel.
    pub private_category: bool,
    /// Discord role id → the warroom roles its members hold. Only mapped members may act.
    pub role_map: BTreeMap<u64, BTreeSet<PersonRole>>,
}

impl DiscordSettings {
    pub fn uses_proxy(&self) -> bool {
        self.api_base.trim_end_matches('/') != DEFAULT_DISCORD_API_BASE
    }
}

/// A Discord id: digits, 17 to 20 of them, as a number.
pub fn parse_snowflake(text: &str) -> Option<u64> {
    let text = text.trim();
    if !(17..=20).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

pub(super) fn discord_settings(
    section: &DiscordSection,
    env_token: Option<String>,
    problems: &mut Vec<String>,
) -> Option<DiscordSettings> {
    let token = env_token.or(section.token.clone().map(|t| t.0))?;
    let mut ok = true;
    let mut id = |key: &str, value: &Option<String>, required: bool| -> Option<u64> {
        match value {
            Some(text) => match parse_snowflake(text) {
                Some(id) => Some(id),
                None => {
                    problems.push(format!(
                        "discord.{key}: \"{text}\" is not a Discord id (17-20 digits; enable Developer Mode and use Copy ID)"
                    ));
                    ok = false;
                    None
                }
            },
            None if required => {
                problems.push(format!(
                    "discord.{key}: required when a Discord token is set"
                ));
                ok = false;
                None
            }
            None => None,
        }
    };
    let guild_id = id("guild_id", &section.guild_id, true);
    let incidents_category_id = id(
        "incidents_category_id",
        &section.incidents_category_id,
        true,
    );
    let alerts_channel_id = id("alerts_channel_id", &section.alerts_channel_id, false);
    let announce_channel_id = id("announce_channel_id", &section.announce_channel_id, false);
    if token.trim().len() < 50 || token.contains(char::is_whitespace) {
        problems.push(format!(
            "discord.token: does not look like a bot token (set it, or {DISCORD_TOKEN_ENV}, to the token from the Developer Portal's Bot page)"
        ));
        ok = false;
    }
    let api_base = section
        .api_base
        .clone()
        .unwrap_or_else(|| DEFAULT_DISCORD_API_BASE.to_owned());
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        problems.push(format!(
            "discord.api_base: \"{api_base}\" must start with https:// or http://"
        ));
        ok = false;
    }
    let mut role_map = BTreeMap::new();
    for (role_id, roles) in &section.roles {
        let Some(discord_role) = parse_snowflake(role_id) else {
            problems.push(format!(
                "discord.roles: \"{role_id}\" is not a Discord role id"
            ));
            ok = false;
            continue;
        };
        let mut mapped = BTreeSet::new();
        for role in roles {
            match PersonRole::parse(role) {
                Some(role) => {
                    mapped.insert(role);
                }
                None => {
                    problems.push(format!(
                        "discord.roles.{role_id}: unknown role \"{role}\"; use commander, communications, operations, duty_manager, responder or viewer"
                    ));
                    ok = false;
                }
            }
        }
        role_map.insert(discord_role, mapped);
    }
    if role_map.is_empty() {
        problems.push(
            "discord.roles: map at least one Discord role to warroom roles, or nobody may act"
                .to_owned(),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(DiscordSettings {
        token: Secret(token),
        guild_id: guild_id?,
        incidents_category_id: incidents_category_id?,
        alerts_channel_id,
        announce_channel_id,
        api_base,
        private_category: section.private_category,
        role_map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    fn section(announce: Option<&str>) -> DiscordSection {
        DiscordSection {
            token: Some(Secret(TOKEN.to_owned())),
            guild_id: Some("111111111111111111".to_owned()),
            incidents_category_id: Some("222222222222222222".to_owned()),
            announce_channel_id: announce.map(str::to_owned),
            roles: BTreeMap::from([(
                "333333333333333333".to_owned(),
                vec!["responder".to_owned()],
            )]),
            ..DiscordSection::default()
        }
    }

    #[test]
    fn the_announcement_channel_is_optional_and_checked_like_the_alerts_channel() {
        let mut problems = Vec::new();
        let settings = discord_settings(&section(None), None, &mut problems).unwrap();
        assert_eq!(settings.announce_channel_id, None);
        let settings =
            discord_settings(&section(Some("444444444444444444")), None, &mut problems).unwrap();
        assert_eq!(settings.announce_channel_id, Some(444444444444444444));
        assert!(problems.is_empty(), "{problems:?}");
        assert!(discord_settings(&section(Some("#announcements")), None, &mut problems).is_none());
        assert_eq!(
            problems,
            [
                "discord.announce_channel_id: \"#announcements\" is not a Discord id (17-20 digits; enable Developer Mode and use Copy ID)"
            ]
        );
    }
}
