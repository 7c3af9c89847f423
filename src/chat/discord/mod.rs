//! The Discord adapter: serenity 0.12 for REST and the gateway, poise 0.7 for slash commands.
//!
//! Writes (rooms, cards, notices) come only from the outbox through [`DiscordChat`], which
//! paces them per channel and globally. Reads — slash commands, buttons, reactions — are
//! answered within Discord's 3 s by deferring first, then handed to the engine as the same
//! calls the console makes.

pub mod autocomplete;
mod commands;
pub mod escape;
pub mod pacing;
mod parts;
mod rest;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::chat::{BlockReason, ChatError, ChatPort, OutgoingMessage, RichText};
use crate::config::DiscordSettings;
use crate::domain::access::{Person, PersonRole};
use crate::domain::ids::{IncidentId, MessageId, RoomId, UserId};
use crate::domain::incident::Roles;
use crate::engine::clock::Clock;
use crate::engine::port::InboundPort;
use crate::i18n::I18n;
use crate::oncall::OnCall;

pub use commands::build_commands;
use pacing::{PER_CHANNEL, Pacer};
pub use parts::allowed_mentions;
use parts::{DiscordParts, message_parts};
use rest::{Major, Rest, client_with_timeouts};

/// How long the gateway may take to close its shards at shutdown.
pub const GATEWAY_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How long one Discord REST call may take before the outbox treats it as failed.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Discord's documented limits that shape what warroom sends.
pub const MAX_CHANNELS_PER_CATEGORY: usize = 50;
pub const MAX_GUILD_CHANNELS: usize = 500;
pub const MAX_CONTENT_CHARS: usize = 2000;
pub const MAX_EMBED_TITLE_CHARS: usize = 256;
pub const MAX_EMBED_FIELDS: usize = 25;
pub const MAX_BUTTONS_PER_ROW: usize = 5;
pub const MAX_TOPIC_CHARS: usize = 1024;

/// What the gateway handlers share.
pub struct DiscordData {
    /// The way into the core: events, and views such as a room's incident.
    pub port: InboundPort,
    pub i18n: Arc<I18n>,
    pub settings: DiscordSettings,
    /// Who is on call now: the same source the engine asks.
    pub oncall: Arc<dyn OnCall>,
    pub clock: Arc<dyn Clock>,
    pub ready: Arc<AtomicBool>,
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

impl DiscordData {
    /// The warroom person behind the member who acted (see [`person_of`]).
    pub fn person(
        &self,
        user: &serenity::User,
        member: Option<&serenity::Member>,
        locale: &str,
    ) -> Person {
        let roles = member.map(|m| m.roles.as_slice()).unwrap_or(&[]);
        let name = display_name(user, member.and_then(|m| m.nick.as_deref()));
        person_of(
            &self.settings,
            &self.on_call_now(),
            user.id,
            roles,
            name,
            locale,
        )
    }

    /// Who holds each on-call role right now.
    pub fn on_call_now(&self) -> Roles {
        self.oncall.book().roles(None, self.clock.now())
    }
}

/// How Discord names a member: the server nickname, else the global name, else the username.
pub fn display_name(user: &serenity::User, nick: Option<&str>) -> String {
    [nick, user.global_name.as_deref()]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .unwrap_or(&user.name)
        .to_owned()
}

/// The outbox's way to Discord.
pub struct DiscordChat {
    rest: Rest,
    settings: DiscordSettings,
    /// Serialises room creation so two incidents never race for the last category slot.
    rooms: Mutex<()>,
    /// Each person's DM channel, once opened (user id → channel id), at most
    /// [`MAX_DM_CHANNELS_CACHED`]: opening one again is harmless (Discord answers the same
    /// channel), so the cache starts over when full.
    dm_channels: std::sync::Mutex<HashMap<u64, u64>>,
}

/// DM channels remembered at most.
pub const MAX_DM_CHANNELS_CACHED: usize = 1024;

/// Discord's JSON error code for "Cannot send messages to this user": the person closed
/// direct messages from server members (or shares no server with the bot).
pub const CANNOT_MESSAGE_USER_CODE: isize = 50007;

impl std::fmt::Debug for DiscordChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordChat")
            .field("guild", &self.settings.guild_id)
            .finish_non_exhaustive()
    }
}

/// The REST client: through `api_base` when it is not Discord itself. serenity honours a
/// proxy only with its own rate limiter off, and then the outbox paces alone.
pub fn http_client(settings: &DiscordSettings) -> serenity::Http {
    let mut builder = serenity::HttpBuilder::new(settings.token.expose());
    if let Some(client) = client_with_timeouts() {
        builder = builder.client(client);
    }
    if settings.uses_proxy() {
        builder
            .proxy(settings.api_base.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build()
    } else {
        builder.build()
    }
}

impl DiscordChat {
    /// The outbox's REST calls use `http`'s token and proxy and their own client (see
    /// `rest.rs`: serenity would hide Discord's rate-limit answers from the pacer).
    pub fn new(http: Arc<serenity::Http>, settings: DiscordSettings) -> DiscordChat {
        DiscordChat {
            rest: Rest {
                client: client_with_timeouts().unwrap_or_default(),
                http,
                pacer: Pacer::default(),
            },
            settings,
            rooms: Mutex::new(()),
            dm_channels: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The DM channel with `user`: from the cache, else opened (`POST /users/@me/channels`
    /// with `recipient_id`, which answers the existing channel when there is one).
    async fn dm_channel(&self, user: serenity::UserId) -> Result<serenity::ChannelId, ChatError> {
        if let Some(channel) = self.cached_dm_channel(user) {
            return Ok(channel);
        }
        #[derive(serde::Deserialize)]
        struct OpenedChannel {
            id: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({ "recipient_id": user.to_string() }))
            .map_err(|error| {
                ChatError::Rejected(format!("cannot encode the DM request: {error}"))
            })?;
        let opened: OpenedChannel = self
            .rest
            .send(
                "dm-channels-create",
                Major::User(user),
                PER_CHANNEL,
                serenity::http::Request::new(
                    serenity::http::Route::UserMeDmChannels,
                    serenity::http::LightMethod::Post,
                )
                .body(Some(body)),
            )
            .await?;
        let channel = crate::config::parse_snowflake(&opened.id)
            .map(serenity::ChannelId::new)
            .ok_or_else(|| {
                ChatError::Unavailable(format!(
                    "Discord answered a DM channel id that is not an id: {:?}",
                    opened.id
                ))
            })?;
        let mut cache = self
            .dm_channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MAX_DM_CHANNELS_CACHED {
            cache.clear();
        }
        cache.insert(user.get(), channel.get());
        Ok(channel)
    }

    fn cached_dm_channel(&self, user: serenity::UserId) -> Option<serenity::ChannelId> {
        // Only inserts and clears happen under this lock: a poisoned one is still whole.
        self.dm_channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&user.get())
            .copied()
            .map(serenity::ChannelId::new)
    }

    /// Posts `message` in `channel` with the nonce of `key` (Discord answers a repeated nonce
    /// with the first message, so a retry posts nothing twice), mentioning whom
    /// `allowed_mentions` allows. Returns the message.
    async fn post_in(
        &self,
        channel: serenity::ChannelId,
        key: &str,
        message: &OutgoingMessage,
        allowed_mentions: serenity::CreateAllowedMentions,
    ) -> Result<serenity::Message, ChatError> {
        let DiscordParts {
            content,
            embed,
            rows,
            ..
        } = message_parts(message);
        let mut builder = serenity::CreateMessage::new()
            .nonce(serenity::Nonce::String(nonce(key)))
            .enforce_nonce(true)
            .allowed_mentions(allowed_mentions)
            .components(rows);
        if let Some(content) = content {
            builder = builder.content(content);
        }
        if let Some(embed) = embed {
            builder = builder.embed(embed);
        }
        let body = serde_json::to_vec(&builder)
            .map_err(|error| ChatError::Rejected(format!("cannot encode the message: {error}")))?;
        self.rest
            .send(
                "messages",
                Major::Channel(channel),
                PER_CHANNEL,
                serenity::http::Request::new(
                    serenity::http::Route::ChannelMessages {
                        channel_id: channel,
                    },
                    serenity::http::LightMethod::Post,
                )
                .body(Some(body)),
            )
            .await
    }

    /// The category with room for one more channel: the configured one, then overflow
    /// categories named after it ("Incidents 2", "Incidents 3", …), created when all are full.
    async fn category_with_room(
        &self,
        channels: &HashMap<serenity::ChannelId, serenity::GuildChannel>,
    ) -> Result<serenity::ChannelId, ChatError> {
        let base_id = serenity::ChannelId::new(self.settings.incidents_category_id);
        let children = |category: serenity::ChannelId| {
            channels
                .values()
                .filter(|c| c.parent_id == Some(category))
                .count()
        };
        if children(base_id) < MAX_CHANNELS_PER_CATEGORY {
            return Ok(base_id);
        }
        // Retried, not dropped: an admin can restore the category, and the room (with every
        // item waiting behind it in its lane) then follows.
        let base = channels.get(&base_id).ok_or_else(|| {
            ChatError::Unavailable(format!(
                "the incidents category {} does not exist in the guild; create it or fix discord.incidents_category_id",
                self.settings.incidents_category_id
            ))
        })?;
        let mut overflow: Vec<&serenity::GuildChannel> = channels
            .values()
            .filter(|c| {
                c.kind == serenity::ChannelType::Category
                    && c.name.starts_with(&format!("{} ", base.name))
            })
            .collect();
        overflow.sort_by_key(|c| c.position);
        if let Some(category) = overflow
            .iter()
            .find(|c| children(c.id) < MAX_CHANNELS_PER_CATEGORY)
        {
            return Ok(category.id);
        }
        let name = format!("{} {}", base.name, overflow.len() + 2);
        let created = self
            .create_channel(
                serenity::CreateChannel::new(&name)
                    .kind(serenity::ChannelType::Category)
                    .permissions(base.permission_overwrites.clone()),
            )
            .await?;
        info!(category = %created.id, name, "Opened an overflow category for incident channels.");
        Ok(created.id)
    }
}

/// The outcome of an answer with HTTP `status` and Discord's JSON error `code` to a request
/// on `channel`'s route (`None` for a guild-level route): retry later (429, 5xx), pause
/// everything until the chat lets warroom in again (401, 403: the token or a permission, not
/// the item), or drop the item (any other 4xx: Discord calls the request itself invalid,
/// e.g. 400 with 50035 "Invalid Form Body", so it would fail again). A 403 on a channel's
/// route that names the access or a permission only concerns that room: its lane waits.
fn classify_status(
    status: u16,
    discord_code: Option<isize>,
    message: String,
    channel: Option<u64>,
) -> ChatError {
    let detail = match discord_code {
        Some(code) if code != 0 => format!("{status}: {message} (Discord code {code})"),
        _ => format!("{status}: {message}"),
    };
    match (status, channel) {
        // Only answered on DM routes: the person's setting, not warroom's access.
        _ if discord_code == Some(CANNOT_MESSAGE_USER_CODE) => ChatError::DirectRefused { detail },
        (403, Some(channel))
            if matches!(
                discord_code,
                Some(MISSING_ACCESS_CODE | MISSING_PERMISSIONS_CODE)
            ) =>
        {
            ChatError::RoomForbidden {
                room: channel.to_string(),
                detail,
            }
        }
        (401, _) => ChatError::Blocked {
            reason: BlockReason::Unauthorized,
            detail,
        },
        (403, _) => ChatError::Blocked {
            reason: BlockReason::Forbidden,
            detail,
        },
        (429, _) => ChatError::RateLimited { retry_after: None },
        (500..=599, _) => ChatError::Unavailable(detail),
        _ => ChatError::Rejected(detail),
    }
}

/// Discord's JSON error codes for a 403 that concerns one resource: "Missing Access" (the bot
/// cannot see the channel) and "Missing Permissions" (it may not do this there).
const MISSING_ACCESS_CODE: isize = 50001;
const MISSING_PERMISSIONS_CODE: isize = 50013;

/// A nonce Discord accepts (≤ 25 characters) that is the same on every retry of one item,
/// so a post whose answer was lost is not posted twice.
fn nonce(key: &str) -> String {
    // FNV-1a: stable across builds and processes, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("wr{hash:x}")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn snowflake_user(user: &UserId) -> Option<serenity::UserId> {
    crate::config::parse_snowflake(&user.0).map(serenity::UserId::new)
}

#[async_trait]
impl ChatPort for DiscordChat {
    async fn open_room(
        &self,
        _key: &str,
        incident: IncidentId,
        name: &str,
        topic: &RichText,
        members: &[UserId],
    ) -> Result<RoomId, ChatError> {
        let _one_at_a_time = self.rooms.lock().await;
        let guild = serenity::GuildId::new(self.settings.guild_id);
        let listed: Vec<serenity::GuildChannel> = self
            .rest
            .send(
                "guild-channels-list",
                Major::Guild(guild),
                pacing::GLOBAL,
                serenity::http::Request::new(
                    serenity::http::Route::GuildChannels { guild_id: guild },
                    serenity::http::LightMethod::Get,
                ),
            )
            .await?;
        let channels: HashMap<serenity::ChannelId, serenity::GuildChannel> =
            listed.into_iter().map(|c| (c.id, c)).collect();
        // Idempotent across retries and restarts: a channel whose name starts with the
        // incident id is this incident's, whether or not we heard the create answer.
        let prefix = incident.to_string().to_ascii_lowercase();
        if let Some(existing) = channels.values().find(|c| {
            c.kind == serenity::ChannelType::Text
                && (c.name == prefix || c.name.starts_with(&format!("{prefix}-")))
        }) {
            return Ok(RoomId(existing.id.to_string()));
        }
        // Retried, not dropped: once old channels are archived the room is created.
        if channels.len() >= MAX_GUILD_CHANNELS {
            return Err(ChatError::Unavailable(format!(
                "the guild already has {MAX_GUILD_CHANNELS} channels, Discord's limit; archive old incident channels"
            )));
        }
        let category = self.category_with_room(&channels).await?;
        let mut builder = serenity::CreateChannel::new(name)
            .kind(serenity::ChannelType::Text)
            .category(category)
            .topic(escape::render(topic, MAX_TOPIC_CHARS).text);
        if self.settings.private_category {
            let allow = serenity::Permissions::VIEW_CHANNEL
                | serenity::Permissions::SEND_MESSAGES
                | serenity::Permissions::READ_MESSAGE_HISTORY
                | serenity::Permissions::ADD_REACTIONS
                | serenity::Permissions::USE_APPLICATION_COMMANDS;
            let mut overwrites = Vec::new();
            if let Some(parent) = channels.get(&category) {
                overwrites.extend(parent.permission_overwrites.iter().cloned());
            }
            for member in members.iter().filter_map(snowflake_user) {
                overwrites.push(serenity::PermissionOverwrite {
                    allow,
                    deny: serenity::Permissions::empty(),
                    kind: serenity::PermissionOverwriteType::Member(member),
                });
            }
            builder = builder.permissions(overwrites);
        }
        let channel = self.create_channel(builder).await?;
        Ok(RoomId(channel.id.to_string()))
    }

    async fn post(
        &self,
        room: &RoomId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError> {
        let channel = room_channel(room)?;
        let allowed_mentions = message_parts(message).allowed_mentions;
        let posted = self
            .post_in(channel, key, message, allowed_mentions)
            .await?;
        if message.pin {
            let pinned: Result<(), ChatError> = self
                .rest
                .send(
                    "pins",
                    Major::Channel(channel),
                    PER_CHANNEL,
                    serenity::http::Request::new(
                        serenity::http::Route::ChannelPin {
                            channel_id: channel,
                            message_id: posted.id,
                        },
                        serenity::http::LightMethod::Put,
                    ),
                )
                .await;
            match pinned {
                Ok(()) => {}
                // Worth another try: the item is retried, and the repeated post is answered
                // with this same message (same nonce), so only the pin happens again.
                Err(error @ (ChatError::RateLimited { .. } | ChatError::Unavailable(_))) => {
                    return Err(error);
                }
                // An unpinned card is still a card; say so and go on.
                Err(error) => {
                    warn!(%channel, message = %posted.id, %error, "Could not pin the incident card.");
                }
            }
        }
        Ok(MessageId(posted.id.to_string()))
    }

    async fn edit(
        &self,
        room: &RoomId,
        message: &MessageId,
        content: &OutgoingMessage,
    ) -> Result<(), ChatError> {
        let channel = room_channel(room)?;
        let id = crate::config::parse_snowflake(&message.0)
            .map(serenity::MessageId::new)
            .ok_or_else(|| ChatError::Rejected(format!("{message} is not a Discord message id")))?;
        let DiscordParts {
            content: text,
            embed,
            rows,
            allowed_mentions,
        } = message_parts(content);
        let mut builder = serenity::EditMessage::new()
            .allowed_mentions(allowed_mentions)
            .components(rows);
        if let Some(text) = text {
            builder = builder.content(text);
        }
        if let Some(embed) = embed {
            builder = builder.embed(embed);
        }
        let body = serde_json::to_vec(&builder)
            .map_err(|error| ChatError::Rejected(format!("cannot encode the edit: {error}")))?;
        // Edits have their own bucket on Discord: a card refreshing does not hold back the
        // notices posted into its room.
        let _: serde::de::IgnoredAny = self
            .rest
            .send(
                "edits",
                Major::Channel(channel),
                PER_CHANNEL,
                serenity::http::Request::new(
                    serenity::http::Route::ChannelMessage {
                        channel_id: channel,
                        message_id: id,
                    },
                    serenity::http::LightMethod::Patch,
                )
                .body(Some(body)),
            )
            .await?;
        Ok(())
    }

    fn alerts_room(&self) -> Option<RoomId> {
        self.settings
            .alerts_channel_id
            .map(|id| RoomId(id.to_string()))
    }

    /// Opens (or finds) the person's DM channel and posts there, calling nobody: a direct
    /// message reaches its one reader without a ping. Only Discord users can be written to.
    async fn direct(
        &self,
        user: &UserId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError> {
        let recipient = snowflake_user(user).ok_or_else(|| {
            ChatError::Rejected(format!(
                "{user} is not a Discord user id; link the person with discord_id to reach them by direct message"
            ))
        })?;
        let channel = self.dm_channel(recipient).await?;
        let posted = self
            .post_in(channel, key, message, allowed_mentions(&[]))
            .await?;
        Ok(MessageId(posted.id.to_string()))
    }

    /// `discord.announce_channel_id`, if set.
    fn announce_room(&self) -> Option<RoomId> {
        self.settings
            .announce_channel_id
            .map(|id| RoomId(id.to_string()))
    }
}

fn room_channel(room: &RoomId) -> Result<serenity::ChannelId, ChatError> {
    crate::config::parse_snowflake(&room.0)
        .map(serenity::ChannelId::new)
        .ok_or_else(|| ChatError::Rejected(format!("{room} is not a Discord channel id")))
}

/// The warroom person behind a Discord member: their mapped roles, plus the on-call role
/// they hold. Members without a mapped role get no roles and may not act.
pub fn person_of(
    settings: &DiscordSettings,
    oncall: &Roles,
    user: serenity::UserId,
    member_roles: &[serenity::RoleId],
    display_name: String,
    locale: &str,
) -> Person {
    let mut roles = BTreeSet::new();
    for role in member_roles {
        if let Some(mapped) = settings.role_map.get(&role.get()) {
            roles.extend(mapped.iter().copied());
        }
    }
    let id = UserId(user.to_string());
    if !roles.is_empty() {
        let on_call = [
            (oncall.commander.as_ref(), PersonRole::Commander),
            (oncall.communications.as_ref(), PersonRole::Communications),
            (oncall.operations.as_ref(), PersonRole::Operations),
        ];
        for (holder, role) in on_call {
            if holder == Some(&id) {
                roles.insert(role);
            }
        }
    }
    Person {
        id,
        display_name,
        roles,
        locale: locale.to_owned(),
    }
}

/// Connects to Discord and runs the gateway until `shutdown`. Returns the chat port for the
/// outbox; readiness flips once the guild's commands are registered.
pub async fn start(
    data: DiscordData,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(Arc<DiscordChat>, tokio::task::JoinHandle<()>), Error> {
    let settings = data.settings.clone();
    let guild = serenity::GuildId::new(data.settings.guild_id);
    let commands = build_commands(&data.i18n);
    let ready = data.ready.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands,
            event_handler: |framework, event| Box::pin(commands::on_event(framework, event)),
            // poise's own replies (errors, built-ins) call nobody either.
            allowed_mentions: Some(allowed_mentions(&[])),
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild)
                    .await?;
                ready.store(true, Ordering::Relaxed);
                info!(%guild, "Discord is ready: slash commands registered.");
                Ok(data)
            })
        })
        .build();
    let intents =
        serenity::GatewayIntents::GUILDS | serenity::GatewayIntents::GUILD_MESSAGE_REACTIONS;
    let mut client = serenity::ClientBuilder::new_with_http(http_client(&settings), intents)
        .framework(framework)
        .await?;
    // The outbox sends its REST calls itself (see `rest.rs`: serenity hides the rate-limit
    // answers), with its own pacer; the gateway client's HTTP handle only lends it the token
    // and the API base.
    let chat = Arc::new(DiscordChat::new(client.http.clone(), settings));
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        tokio::select! {
            result = client.start() => {
                if let Err(error) = result {
                    warn!(%error, "The Discord gateway client stopped.");
                }
            }
            _ = stopped(&mut shutdown) => {
                // With Discord unreachable a shard may sit in its reconnect loop and never
                // answer; the process must stop anyway (the caller aborts this task too).
                if tokio::time::timeout(GATEWAY_STOP_GRACE, shard_manager.shutdown_all())
                    .await
                    .is_err()
                {
                    warn!(grace_ms = GATEWAY_STOP_GRACE.as_millis() as u64, "The Discord gateway did not stop in time; abandoning it.");
                }
            }
        }
    });
    Ok((chat, task))
}

/// Resolves once shutdown is asked for (without holding the watch's lock across an await).
async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_sorted_into_retry_block_and_drop() {
        let kind = |error: ChatError| match error {
            ChatError::Unavailable(_) => "retry",
            ChatError::RateLimited { .. } => "rate limited",
            ChatError::Blocked {
                reason: BlockReason::Unauthorized,
                ..
            } => "blocked: unauthorized",
            ChatError::Blocked {
                reason: BlockReason::Forbidden,
                ..
            } => "blocked: forbidden",
            ChatError::Rejected(_) => "drop",
            ChatError::NoRoom(_) => "no room",
            ChatError::RoomForbidden { .. } => "room forbidden",
            ChatError::DirectRefused { .. } => "direct refused",
        };
        const CHANNEL: Option<u64> = Some(42);
        let table = [
            (500, Some(0), None, "retry"),
            (502, None, CHANNEL, "retry"),
            (503, Some(0), None, "retry"),
            (429, Some(0), CHANNEL, "rate limited"),
            (401, Some(0), None, "blocked: unauthorized"),
            (401, Some(0), CHANNEL, "blocked: unauthorized"),
            // Listing or creating channels: the guild refuses warroom, every room waits.
            (403, Some(50013), None, "blocked: forbidden"),
            (403, Some(50001), None, "blocked: forbidden"),
            // One channel's route: only that room waits.
            (403, Some(50013), CHANNEL, "room forbidden"),
            (403, Some(50001), CHANNEL, "room forbidden"),
            // A 403 that names no access or permission is not known to concern one room.
            (403, None, CHANNEL, "blocked: forbidden"),
            (403, Some(0), CHANNEL, "blocked: forbidden"),
            (403, Some(40001), CHANNEL, "blocked: forbidden"),
            (400, Some(50035), CHANNEL, "drop"),
            (404, Some(10003), CHANNEL, "drop"),
            // The person closed their DMs: neither warroom's access nor the room's.
            (403, Some(50007), CHANNEL, "direct refused"),
            (400, Some(50007), None, "direct refused"),
        ];
        for (status, code, channel, expected) in table {
            let error = classify_status(status, code, "Discord said no".to_owned(), channel);
            assert_eq!(kind(error), expected, "{status} {code:?} {channel:?}");
        }
        let detail = classify_status(403, Some(50013), "Missing Permissions".to_owned(), None);
        assert_eq!(
            detail.to_string(),
            "the chat service refuses warroom (forbidden): 403: Missing Permissions (Discord code 50013)"
        );
    }
}
