//! A fake Discord (REST API v10 + gateway websocket) on 127.0.0.1 for the real serenity client.
//!
//! It models one application, one bot user and one guild. It answers in the JSON shapes that
//! serenity 0.12 deserializes, enforces the platform limits warroom must respect (message and
//! embed sizes, component limits, channel caps, rename and per-route rate limits, the 3-second
//! interaction deadline) and records every call and every violation so tests can assert that
//! the bot behaves the way real Discord demands.
//!
//! Point serenity at it with `HttpBuilder::new(FakeDiscord::TOKEN).proxy(fake.url())
//! .ratelimiter_disabled(true)`; the gateway URL is served by `GET /api/v10/gateway`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

/// Discord's epoch (2015-01-01) in Unix milliseconds; snowflakes count from here.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Gateway intent bits the fake cares about.
pub const INTENT_GUILDS: u64 = 1;
pub const INTENT_GUILD_MEMBERS: u64 = 1 << 1;
pub const INTENT_GUILD_PRESENCES: u64 = 1 << 8;
pub const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
pub const INTENT_GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
pub const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;
const PRIVILEGED_INTENTS: u64 =
    INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT;

/// Channel types used by the fake.
pub const CHANNEL_TEXT: u8 = 0;
pub const CHANNEL_CATEGORY: u8 = 4;
/// A direct-message channel (Discord's `DM`, type 1): one person and the bot, in no guild.
pub const CHANNEL_DM: u8 = 1;

/// Message flag for ephemeral messages.
pub const EPHEMERAL: u64 = 64;

/// Every permission bit Discord defined at the time of writing, as the bot's permissions.
const ALL_PERMISSIONS: &str = "2251799813685247";

/// A per-route rate limit: `limit` requests per `window`, counted per route template and major
/// parameter (channel, guild or interaction token), like Discord's buckets.
#[derive(Debug, Clone)]
pub struct RouteLimit {
    /// A route template as in [`Call::route`], e.g. `POST /channels/{id}/messages`.
    pub route: String,
    pub limit: u32,
    pub window: Duration,
}

/// Knobs of the fake; tests shrink windows and intervals so they run fast.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub application_id: u64,
    pub bot_user_id: u64,
    pub bot_name: String,
    pub owner_user_id: u64,
    pub guild_id: u64,
    pub guild_name: String,
    pub guild_owner_id: u64,
    pub guild_locale: String,
    /// Sent in HELLO; serenity heartbeats at this interval.
    pub heartbeat_interval_ms: u64,
    /// Discord's 3 s: an interaction not acknowledged within it is gone.
    pub interaction_deadline: Duration,
    /// How long follow-ups and @original edits are accepted after the interaction (15 min).
    pub interaction_token_ttl: Duration,
    /// Global cap over all routes except interaction callbacks and follow-ups.
    pub global_limit: u32,
    pub global_window: Duration,
    pub route_limits: Vec<RouteLimit>,
    /// Channel renames: `rename_limit` per `rename_window` per channel.
    pub rename_limit: u32,
    pub rename_window: Duration,
    /// How long Discord remembers a nonce for `enforce_nonce` de-duplication.
    pub nonce_window: Duration,
    pub max_channels_per_category: usize,
    pub max_channels_per_guild: usize,
    pub max_pins_per_channel: usize,
    /// Whether RESUME is honoured; when false the fake answers INVALID_SESSION (d: false).
    pub resume_supported: bool,
    /// Privileged intents enabled "in the developer portal"; asking for others closes with 4014.
    pub allowed_privileged_intents: u64,
    /// Whether an ordinary per-route or global 429 also counts as a violation. Off by default:
    /// an occasional 429 is legal and the outbox must cope; renames over the limit always count.
    pub rate_limit_is_violation: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            application_id: 900_000_000_000_000_001,
            // Discord gives modern applications a bot user with the same id.
            bot_user_id: 900_000_000_000_000_001,
            bot_name: "warroom".into(),
            owner_user_id: 900_000_000_000_000_099,
            guild_id: 910_000_000_000_000_001,
            guild_name: "Warroom Test Guild".into(),
            guild_owner_id: 900_000_000_000_000_099,
            guild_locale: "en-US".into(),
            heartbeat_interval_ms: 41_250,
            interaction_deadline: Duration::from_secs(3),
            interaction_token_ttl: Duration::from_secs(15 * 60),
            global_limit: 50,
            global_window: Duration::from_secs(1),
            route_limits: vec![
                RouteLimit {
                    route: "POST /channels/{id}/messages".into(),
                    limit: 5,
                    window: Duration::from_secs(5),
                },
                RouteLimit {
                    route: "PATCH /channels/{id}/messages/{mid}".into(),
                    limit: 5,
                    window: Duration::from_secs(5),
                },
                RouteLimit {
                    route: "POST /guilds/{guild}/channels".into(),
                    limit: 10,
                    window: Duration::from_secs(10),
                },
            ],
            rename_limit: 2,
            rename_window: Duration::from_secs(600),
            nonce_window: Duration::from_secs(300),
            max_channels_per_category: 50,
            max_channels_per_guild: 500,
            max_pins_per_channel: 50,
            resume_supported: true,
            allowed_privileged_intents: 0,
            rate_limit_is_violation: false,
        }
    }
}

impl FakeConfig {
    /// Buckets as a busy production guild sees them: 5 channel creations per second per
    /// guild, 5 messages (and 5 edits) per 5 s per channel, 50 requests per second in all.
    pub fn realistic_buckets() -> FakeConfig {
        let mut cfg = FakeConfig::default();
        for limit in &mut cfg.route_limits {
            if limit.route == "POST /guilds/{guild}/channels" {
                limit.limit = 5;
                limit.window = Duration::from_secs(1);
            }
        }
        cfg
    }
}

/// One REST call as the fake saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// `METHOD /template`, e.g. `POST /channels/{id}/messages`.
    pub route: String,
    pub path: String,
    pub status: u16,
    /// Time since the fake started.
    pub at: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    ContentTooLong,
    EmbedLimit,
    ComponentLimit,
    EmptyMessage,
    ChannelName,
    CategoryFull,
    GuildFull,
    PinsFull,
    RenameRateLimit,
    RateLimited,
    InteractionDeadline,
    InteractionAlreadyAcknowledged,
    InteractionBadCallback,
    FollowupWithoutAck,
    UnknownInteraction,
    InvalidCommand,
    UnknownRoute,
    UnknownResource,
    BadRequest,
    MissingIntent,
    DisallowedIntent,
}

/// Something real Discord would have refused or punished.
#[derive(Debug, Clone)]
pub struct Violation {
    pub kind: ViolationKind,
    pub route: String,
    pub detail: String,
    pub at: Duration,
}

/// How REST fails while a failure window is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    Status500,
    Status503,
    /// Hold every request until the window ends, then answer 503 without doing anything, so
    /// a client without its own timeout stalls the way it would against a black hole.
    Hang,
    /// 401 `{"message": "401: Unauthorized", "code": 0}`: the bot token was revoked.
    Status401,
    /// 403 `{"message": "Missing Permissions", "code": 50013}`: the bot lost a permission.
    Status403,
    /// 400 `{"code": 50035, "message": "Invalid Form Body", …}`: Discord calls the body invalid.
    Status400Invalid,
}

/// How `drop_gateway_with` ends the current gateway connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayDrop {
    /// A close frame with this code (4000 "unknown error" is resumable).
    Close(u16),
    /// Drop the TCP connection without a close frame, like a network failure (1006 client-side).
    Reset,
    /// INVALID_SESSION with d:false and forget the session, forcing a fresh IDENTIFY.
    InvalidSession,
}

#[derive(Debug, Clone)]
pub struct FakeChannel {
    pub id: u64,
    pub kind: u8,
    pub name: String,
    pub parent_id: Option<u64>,
    pub topic: Option<String>,
    pub position: u64,
    pub permission_overwrites: Value,
    /// Successful renames so far.
    pub renames: u32,
}

#[derive(Debug, Clone)]
pub struct FakeMessage {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub flags: u64,
    pub pinned: bool,
    /// How many times it was edited (REST PATCH or an UPDATE_MESSAGE interaction callback).
    pub edits: u32,
    pub nonce: Option<String>,
    /// Reactions added by the bot over REST, as emoji names.
    pub bot_reactions: Vec<String>,
    /// Set when the message was created by an interaction response or follow-up.
    pub interaction_id: Option<u64>,
    /// The `allowed_mentions` the bot sent with it, if any.
    pub allowed_mentions: Option<Value>,
    /// Who posting it would have notified on Discord.
    pub pings: Pings,
}

/// Who a message would have notified, the way Discord decides: mentions parsed from the
/// content (never from embeds), filtered by `allowed_mentions`; without `allowed_mentions`
/// everything in the content pings, `@everyone`, `@here` and roles included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pings {
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
    /// `@everyone` or `@here`.
    pub everyone: bool,
}

impl Pings {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.roles.is_empty() && !self.everyone
    }
}

/// One request that carried message text (a post, an edit, an interaction reply or
/// follow-up), with the `allowed_mentions` it sent and what it would have pinged.
#[derive(Debug, Clone)]
pub struct MentionRecord {
    pub route: String,
    pub content: String,
    pub allowed_mentions: Option<Value>,
    pub pings: Pings,
}

impl FakeMessage {
    /// Content plus embed titles, descriptions, field names and values, footers: all the text
    /// a user sees, for substring assertions.
    pub fn text(&self) -> String {
        visible_text(&self.content, &self.embeds)
    }

    /// The custom ids of all components.
    pub fn custom_ids(&self) -> Vec<String> {
        custom_ids(&self.components)
    }
}

/// An interaction callback (`POST /interactions/{id}/{token}/callback`).
#[derive(Debug, Clone)]
pub struct Callback {
    /// 4 message, 5 deferred message, 6 deferred update, 7 update message, 8 autocomplete
    /// result, 9 modal.
    pub kind: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub flags: u64,
    pub ephemeral: bool,
    /// Time from dispatching the interaction to the callback.
    pub latency: Duration,
    pub status: u16,
    /// An autocomplete result's (type 8) suggestions: `{name, value, name_localizations?}`.
    pub choices: Vec<Value>,
}

/// A follow-up (`POST /webhooks/{app}/{token}`) or an edit of the original response
/// (`PATCH /webhooks/{app}/{token}/messages/@original`).
#[derive(Debug, Clone)]
pub struct Followup {
    /// `followup` or `edit_original`.
    pub kind: &'static str,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub flags: u64,
    /// Whether the user alone sees it. The first follow-up after a deferred response replaces
    /// the deferred message and keeps its visibility, whatever flags it sends, as on Discord.
    pub ephemeral: bool,
    pub latency: Duration,
    pub status: u16,
}

/// What a bot answered to one interaction.
#[derive(Debug, Clone, Default)]
pub struct InteractionAnswer {
    pub callbacks: Vec<Callback>,
    pub followups: Vec<Followup>,
}

impl InteractionAnswer {
    /// Latency of the first successful acknowledgement.
    pub fn ack_latency(&self) -> Option<Duration> {
        self.callbacks
            .iter()
            .find(|c| c.status < 300)
            .map(|c| c.latency)
    }

    pub fn acked(&self) -> bool {
        self.ack_latency().is_some()
    }

    /// The type of the first successful callback.
    pub fn kind(&self) -> Option<u64> {
        self.callbacks
            .iter()
            .find(|c| c.status < 300)
            .map(|c| c.kind)
    }

    /// Whether everything the user was shown in answer was ephemeral.
    pub fn ephemeral(&self) -> bool {
        let shown: Vec<bool> = self
            .callbacks
            .iter()
            .filter(|c| c.status < 300 && matches!(c.kind, 4 | 5))
            .map(|c| c.ephemeral)
            .chain(
                self.followups
                    .iter()
                    .filter(|f| f.status < 300)
                    .map(|f| f.ephemeral),
            )
            .collect();
        !shown.is_empty() && shown.iter().all(|e| *e)
    }

    /// All text shown in answer: callback contents and follow-ups, in order.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for c in self.callbacks.iter().filter(|c| c.status < 300) {
            parts.push(visible_text(&c.content, &c.embeds));
        }
        for f in self.followups.iter().filter(|f| f.status < 300) {
            parts.push(visible_text(&f.content, &f.embeds));
        }
        parts.retain(|p| !p.is_empty());
        parts.join("\n")
    }

    /// Whether the bot has said all a user would wait for: an immediate answer, an update, a
    /// deferred update, or a deferral followed by a follow-up or an edit of the original.
    fn complete(&self) -> bool {
        match self.kind() {
            Some(4 | 6 | 7 | 8 | 9) => true,
            Some(5) => self.followups.iter().any(|f| f.status < 300),
            _ => false,
        }
    }
}

/// A dispatched interaction; ask it what the bot answered.
#[derive(Clone)]
pub struct InteractionHandle {
    shared: Arc<Shared>,
    pub id: u64,
    pub token: String,
}

impl InteractionHandle {
    /// What has been answered so far.
    pub fn answer(&self) -> InteractionAnswer {
        let st = self.shared.lock();
        st.interactions
            .get(&self.token)
            .map(|i| i.answer.clone())
            .unwrap_or_default()
    }

    /// Waits until the answer is complete (see [`InteractionAnswer`]) or `timeout` passes, and
    /// returns what there is.
    pub async fn wait_answer(&self, timeout: Duration) -> InteractionAnswer {
        self.wait_until(timeout, InteractionAnswer::complete).await
    }

    /// Waits for the first acknowledgement only.
    pub async fn wait_ack(&self, timeout: Duration) -> InteractionAnswer {
        self.wait_until(timeout, InteractionAnswer::acked).await
    }

    /// Waits until at least `n` follow-ups (or @original edits) arrived.
    pub async fn wait_followups(&self, n: usize, timeout: Duration) -> InteractionAnswer {
        self.wait_until(timeout, |a| a.followups.len() >= n).await
    }

    async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&InteractionAnswer) -> bool,
    ) -> InteractionAnswer {
        let deadline = Instant::now() + timeout;
        loop {
            let answer = self.answer();
            if done(&answer) || Instant::now() >= deadline {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The fake; cheap to clone, the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeDiscord {
    shared: Arc<Shared>,
    _server: Arc<ServerGuard>,
}

struct ServerGuard(tokio::task::JoinHandle<()>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Shared {
    cfg: FakeConfig,
    addr: SocketAddr,
    started: Instant,
    next_id: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    roles: BTreeMap<u64, String>,
    members: BTreeMap<u64, MemberRec>,
    channels: BTreeMap<u64, FakeChannel>,
    messages: HashMap<u64, Vec<MsgRec>>,
    renames: HashMap<u64, VecDeque<Instant>>,
    nonces: HashMap<(u64, String), (u64, Instant)>,
    commands: Vec<Value>,
    interactions: HashMap<String, InteractionRec>,
    calls: Vec<Call>,
    violations: Vec<Violation>,
    rate_limited: usize,
    /// Every 429 answered, counted per bucket (`global`, or route template and major
    /// parameter, e.g. `POST /guilds/{guild}/channels 910…`).
    rate_limited_by_bucket: BTreeMap<String, usize>,
    buckets: HashMap<String, Bucket>,
    global: Bucket,
    failure: Option<(FailMode, Instant)>,
    /// Channels whose routes answer 403 Missing Access (50001), as when the bot lost View
    /// Channel there.
    forbidden_channels: HashSet<u64>,
    /// DM channels opened with `POST /users/@me/channels`: channel id → the person.
    dm_channels: BTreeMap<u64, u64>,
    /// People who closed direct messages from server members: posting in their DM channel
    /// answers 403 with code 50007 ("Cannot send messages to this user").
    dms_closed: HashSet<u64>,
    // Gateway.
    conns: HashMap<u64, mpsc::UnboundedSender<Out>>,
    sessions: HashMap<String, Session>,
    current_session: Option<String>,
    pending: Vec<(String, Value)>,
    identifies: Vec<(u64, Duration)>,
    resumes: usize,
    connections_opened: usize,
    heartbeats: usize,
    dispatched: Vec<Value>,
    mention_log: Vec<MentionRecord>,
}

struct MemberRec {
    name: String,
    nick: Option<String>,
    roles: Vec<u64>,
    locale: String,
}

struct MsgRec {
    msg: FakeMessage,
    timestamp: String,
    edited_timestamp: Option<String>,
}

struct InteractionRec {
    id: u64,
    kind: u8,
    channel_id: u64,
    message_id: Option<u64>,
    created: Instant,
    /// Visibility of the original response once acknowledged with type 4 or 5.
    original_ephemeral: Option<bool>,
    /// The channel message holding the original response, when it is not ephemeral.
    original_message_id: Option<u64>,
    deferred_pending: bool,
    answer: InteractionAnswer,
}

#[derive(Default)]
struct Bucket {
    start: Option<Instant>,
    count: u32,
}

struct Session {
    seq: u64,
    log: VecDeque<(u64, String)>,
    conn: Option<u64>,
    intents: u64,
}

enum Out {
    Frame(String),
    Close(u16, &'static str),
    Reset,
}

/// A REST answer before it becomes an HTTP response.
struct Answer {
    status: u16,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn empty() -> Answer {
        Answer {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Answer {
        Answer::json(status, json!({"message": message, "code": code}))
    }

    fn form(errors: Value) -> Answer {
        Answer::json(
            400,
            json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
        )
    }
}

impl FakeDiscord {
    /// Any token works; serenity sends it as `Bot <token>`.
    pub const TOKEN: &'static str = "fake-discord-token";

    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(FakeConfig::default()).await
    }

    pub async fn start_with(cfg: FakeConfig) -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord on 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(DISCORD_EPOCH_MS);
        let shared = Arc::new(Shared {
            cfg,
            addr,
            started: Instant::now(),
            // Real snowflakes, so ids sort by creation time and serenity's `created_at` works.
            next_id: AtomicU64::new((now_ms.saturating_sub(DISCORD_EPOCH_MS)) << 22),
            state: Mutex::new(State::default()),
        });
        {
            let mut st = shared.lock();
            st.roles.insert(shared.cfg.guild_id, "@everyone".into());
        }
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord {
            shared,
            _server: Arc::new(ServerGuard(server)),
        }
    }

    /// The base URL to give serenity's `HttpBuilder::proxy` (and warroom's `discord.api_base`).
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url()
    }

    /// The fake's clock, the one [`Call::at`] is measured on.
    pub fn now(&self) -> Duration {
        self.shared.since()
    }

    pub fn config(&self) -> &FakeConfig {
        &self.shared.cfg
    }

    pub fn application_id(&self) -> u64 {
        self.shared.cfg.application_id
    }

    pub fn bot_user_id(&self) -> u64 {
        self.shared.cfg.bot_user_id
    }

    pub fn guild_id(&self) -> u64 {
        self.shared.cfg.guild_id
    }

    /// A serenity HTTP client pointed at the fake, rate limiter off (the proxy needs that).
    pub fn http(&self) -> serenity::http::Http {
        serenity::http::HttpBuilder::new(Self::TOKEN)
            .proxy(self.url())
            .ratelimiter_disabled(true)
            .application_id(self.application_id().into())
            .build()
    }

    /// Adds a guild role (before the bot connects, so GUILD_CREATE carries it).
    pub fn add_role(&self, role_id: u64, name: &str) {
        self.shared.lock().roles.insert(role_id, name.to_string());
    }

    /// Adds a guild member with roles and a Discord locale such as `zh-CN`; unknown role ids are
    /// created as roles named after their id.
    pub fn add_member(&self, user_id: u64, name: &str, role_ids: &[u64], locale: &str) {
        let mut st = self.shared.lock();
        for r in role_ids {
            st.roles.entry(*r).or_insert_with(|| format!("role-{r}"));
        }
        st.members.insert(
            user_id,
            MemberRec {
                name: name.to_string(),
                nick: None,
                roles: role_ids.to_vec(),
                locale: locale.to_string(),
            },
        );
    }

    /// Creates a channel directly (not through REST), e.g. a pre-existing category or alerts
    /// channel, and announces it on the gateway.
    pub fn add_channel(&self, name: &str, kind: u8, parent_id: Option<u64>) -> u64 {
        let id = self.shared.id();
        let mut st = self.shared.lock();
        let position = st.channels.len() as u64;
        let ch = FakeChannel {
            id,
            kind,
            name: name.to_string(),
            parent_id,
            topic: None,
            position,
            permission_overwrites: json!([]),
            renames: 0,
        };
        let value = self.shared.channel_json(&ch);
        st.channels.insert(id, ch);
        self.shared
            .dispatch_if(&mut st, INTENT_GUILDS, "CHANNEL_CREATE", value);
        id
    }

    /// Deletes a channel directly (an admin archiving it) and announces it on the gateway.
    pub fn remove_channel(&self, id: u64) {
        let mut st = self.shared.lock();
        if let Some(ch) = st.channels.remove(&id) {
            let value = self.shared.channel_json(&ch);
            self.shared
                .dispatch_if(&mut st, INTENT_GUILDS, "CHANNEL_DELETE", value);
        }
    }

    /// Sends a slash command. `path` is the command and its subcommand (group) names; option
    /// values are JSON (user, channel and role options as id strings or numbers). `locale`
    /// `None` uses the member's locale. Panics when the command was never registered, because
    /// a Discord user could not invoke it.
    pub fn slash(
        &self,
        user_id: u64,
        channel_id: u64,
        path: &[&str],
        options: &[(&str, Value)],
        locale: Option<&str>,
    ) -> InteractionHandle {
        self.command_interaction(2, user_id, channel_id, path, options, None, locale)
    }

    /// A member typing into an autocomplete option (APPLICATION_COMMAND_AUTOCOMPLETE,
    /// interaction type 4): `options` as already filled in, and `focused` the option being
    /// typed with its partial text, sent as a string with `"focused": true` as Discord does.
    /// Panics when that option was not registered with `autocomplete: true`, because Discord
    /// would never ask. The bot answers with callback type 8 and its `choices`
    /// ([`Callback::choices`]).
    pub fn autocomplete(
        &self,
        user_id: u64,
        channel_id: u64,
        path: &[&str],
        options: &[(&str, Value)],
        focused: (&str, &str),
        locale: Option<&str>,
    ) -> InteractionHandle {
        self.command_interaction(4, user_id, channel_id, path, options, Some(focused), locale)
    }

    #[allow(clippy::too_many_arguments)]
    fn command_interaction(
        &self,
        interaction_kind: u8,
        user_id: u64,
        channel_id: u64,
        path: &[&str],
        options: &[(&str, Value)],
        focused: Option<(&str, &str)>,
        locale: Option<&str>,
    ) -> InteractionHandle {
        let sh = &self.shared;
        let mut st = sh.lock();
        let (root, rest) = path.split_first().expect("slash: empty command path");
        let command = st
            .commands
            .iter()
            .rev()
            .find(|c| c["name"] == *root && c["type"].as_u64().unwrap_or(1) == 1)
            .cloned()
            .unwrap_or_else(|| panic!("slash /{root}: command not registered with the fake"));
        // Walk the registered schema down the subcommand path to type the options.
        let mut schema = command["options"].as_array().cloned().unwrap_or_default();
        for name in rest {
            let next = schema
                .iter()
                .find(|o| o["name"] == *name)
                .unwrap_or_else(|| panic!("slash /{}: no subcommand {name}", path.join(" ")));
            schema = next["options"].as_array().cloned().unwrap_or_default();
        }
        let mut resolved = Map::new();
        let mut leaf = Vec::new();
        for (name, value) in options {
            let declared = schema.iter().find(|o| o["name"] == *name);
            let kind = declared
                .and_then(|o| o["type"].as_u64())
                .unwrap_or_else(|| infer_option_type(value));
            let value = match kind {
                6..=9 => Value::String(id_string(value)),
                _ => value.clone(),
            };
            if kind == 6 || kind == 9 {
                if let Ok(uid) = id_string(&value).parse::<u64>() {
                    if st.members.contains_key(&uid) || kind == 6 {
                        let users = resolved.entry("users").or_insert_with(|| json!({}));
                        users[uid.to_string()] = sh.user_json(&st, uid);
                        if let Some(m) = sh.member_json(&st, uid) {
                            let mut m = m;
                            if let Some(obj) = m.as_object_mut() {
                                obj.remove("user");
                            }
                            let members = resolved.entry("members").or_insert_with(|| json!({}));
                            members[uid.to_string()] = m;
                        }
                    }
                }
            }
            if kind == 7 {
                if let Ok(cid) = id_string(&value).parse::<u64>() {
                    if let Some(ch) = st.channels.get(&cid) {
                        let mut c = sh.channel_json(ch);
                        c["permissions"] = json!(ALL_PERMISSIONS);
                        let chans = resolved.entry("channels").or_insert_with(|| json!({}));
                        chans[cid.to_string()] = c;
                    }
                }
            }
            if kind == 8 {
                if let Ok(rid) = id_string(&value).parse::<u64>() {
                    if let Some(name) = st.roles.get(&rid) {
                        let r = sh.role_json(rid, name);
                        let roles = resolved.entry("roles").or_insert_with(|| json!({}));
                        roles[rid.to_string()] = r;
                    }
                }
            }
            leaf.push(json!({"name": name, "type": kind, "value": value}));
        }
        if let Some((name, typed)) = focused {
            let declared = schema
                .iter()
                .find(|o| o["name"] == *name)
                .unwrap_or_else(|| panic!("autocomplete /{}: no option {name}", path.join(" ")));
            assert!(
                declared["autocomplete"] == json!(true),
                "autocomplete /{} {name}: the option is not registered with autocomplete, so Discord would never ask",
                path.join(" ")
            );
            leaf.push(
                json!({"name": name, "type": declared["type"], "value": typed, "focused": true}),
            );
        }
        // Nest the leaf options under the subcommand and group, innermost first.
        let mut opts = leaf;
        for (depth, name) in rest.iter().enumerate().rev() {
            let kind = if depth + 1 == rest.len() { 1 } else { 2 };
            opts = vec![json!({"name": name, "type": kind, "options": opts})];
        }
        let mut data = json!({
            "id": command["id"],
            "name": root,
            "type": 1,
            "options": opts,
        });
        if command.get("guild_id").is_some_and(|g| !g.is_null()) {
            data["guild_id"] = command["guild_id"].clone();
        }
        if !resolved.is_empty() {
            data["resolved"] = Value::Object(resolved);
        }
        let (id, token) = sh.new_interaction(
            &mut st,
            interaction_kind,
            user_id,
            channel_id,
            None,
            data,
            locale,
        );
        InteractionHandle {
            shared: Arc::clone(sh),
            id,
            token,
        }
    }

    /// Presses a button (component type 2) on a stored message.
    pub fn click(
        &self,
        user_id: u64,
        channel_id: u64,
        message_id: u64,
        custom_id: &str,
        locale: Option<&str>,
    ) -> InteractionHandle {
        let sh = &self.shared;
        let mut st = sh.lock();
        let data = json!({"custom_id": custom_id, "component_type": 2});
        let (id, token) = sh.new_interaction(
            &mut st,
            3,
            user_id,
            channel_id,
            Some(message_id),
            data,
            locale,
        );
        InteractionHandle {
            shared: Arc::clone(sh),
            id,
            token,
        }
    }

    /// A member adds a unicode emoji reaction; delivered as MESSAGE_REACTION_ADD when the bot
    /// asked for GUILD_MESSAGE_REACTIONS.
    pub fn react(&self, user_id: u64, channel_id: u64, message_id: u64, emoji: &str) {
        let sh = &self.shared;
        let mut st = sh.lock();
        let member = sh
            .member_json(&st, user_id)
            .unwrap_or_else(|| panic!("react: {user_id} is not a member; add_member first"));
        let author = st
            .messages
            .get(&channel_id)
            .and_then(|ms| ms.iter().find(|m| m.msg.id == message_id))
            .map(|m| m.msg.author_id);
        let mut d = json!({
            "user_id": user_id.to_string(),
            "channel_id": channel_id.to_string(),
            "message_id": message_id.to_string(),
            "guild_id": sh.cfg.guild_id.to_string(),
            "member": member,
            "emoji": {"id": null, "name": emoji},
            "burst": false,
            "burst_colors": [],
            "type": 0,
        });
        if let Some(a) = author {
            d["message_author_id"] = json!(a.to_string());
        }
        if !sh.dispatch_if(
            &mut st,
            INTENT_GUILD_MESSAGE_REACTIONS,
            "MESSAGE_REACTION_ADD",
            d,
        ) {
            sh.violate(
                &mut st,
                ViolationKind::MissingIntent,
                "gateway",
                "a reaction was not delivered: the bot did not ask for GUILD_MESSAGE_REACTIONS",
            );
        }
    }

    /// Makes every REST call fail (except `GET /gateway`, which serenity needs to find the
    /// gateway at all) for `for_duration`.
    pub fn fail_rest(&self, mode: FailMode, for_duration: Duration) {
        self.shared.lock().failure = Some((mode, Instant::now() + for_duration));
    }

    /// Ends the failure window now.
    pub fn heal_rest(&self) {
        self.shared.lock().failure = None;
    }

    /// Makes every REST call on `channel_id`'s routes answer 403 with Discord's code 50001
    /// (Missing Access) until [`FakeDiscord::allow_channel`]; other channels are unaffected.
    pub fn forbid_channel(&self, channel_id: u64) {
        self.shared.lock().forbidden_channels.insert(channel_id);
    }

    /// Lets the bot into `channel_id` again.
    pub fn allow_channel(&self, channel_id: u64) {
        self.shared.lock().forbidden_channels.remove(&channel_id);
    }

    /// Closes every gateway websocket with code 4000; serenity should reconnect and RESUME.
    pub fn drop_gateway(&self) {
        self.drop_gateway_with(GatewayDrop::Close(4000));
    }

    pub fn drop_gateway_with(&self, how: GatewayDrop) {
        let mut st = self.shared.lock();
        if how == GatewayDrop::InvalidSession {
            let frame = json!({"op": 9, "d": false}).to_string();
            for tx in st.conns.values() {
                let _ = tx.send(Out::Frame(frame.clone()));
            }
            st.sessions.clear();
            st.current_session = None;
            return;
        }
        for tx in st.conns.values() {
            let _ = tx.send(match how {
                GatewayDrop::Close(code) => Out::Close(code, "fake Discord dropped the gateway"),
                _ => Out::Reset,
            });
        }
    }

    /// Waits until a session is live (IDENTIFY answered, or RESUME done) after `min_identifies`
    /// identifies and `min_resumes` resumes; false on timeout.
    pub async fn wait_gateway(
        &self,
        min_identifies: usize,
        min_resumes: usize,
        timeout: Duration,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let st = self.shared.lock();
                let live = st
                    .current_session
                    .as_ref()
                    .and_then(|s| st.sessions.get(s))
                    .is_some_and(|s| s.conn.is_some());
                if live && st.identifies.len() >= min_identifies && st.resumes >= min_resumes {
                    return true;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the first READY to be sent.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        self.wait_gateway(1, 0, timeout).await
    }

    /// Intents of each IDENTIFY, with the time since start.
    pub fn identifies(&self) -> Vec<(u64, Duration)> {
        self.shared.lock().identifies.clone()
    }

    pub fn resumes(&self) -> usize {
        self.shared.lock().resumes
    }

    pub fn gateway_connections(&self) -> usize {
        self.shared.lock().connections_opened
    }

    pub fn heartbeats(&self) -> usize {
        self.shared.lock().heartbeats
    }

    /// Gives a member a server nickname (Discord's display name wins over the global name).
    pub fn set_nick(&self, user_id: u64, nick: &str) {
        if let Some(m) = self.shared.lock().members.get_mut(&user_id) {
            m.nick = Some(nick.to_string());
        }
    }

    /// Every request that carried message text, in order, with what it would have pinged.
    pub fn mention_log(&self) -> Vec<MentionRecord> {
        self.shared.lock().mention_log.clone()
    }

    /// Every dispatch frame sent (op 0, with t, s, d), in order, across sessions.
    pub fn dispatched(&self) -> Vec<Value> {
        self.shared.lock().dispatched.clone()
    }

    pub fn channels(&self) -> Vec<FakeChannel> {
        self.shared.lock().channels.values().cloned().collect()
    }

    pub fn channel(&self, id: u64) -> Option<FakeChannel> {
        self.shared.lock().channels.get(&id).cloned()
    }

    /// The first channel (by id) whose name starts with `prefix`.
    pub fn channel_by_name(&self, prefix: &str) -> Option<FakeChannel> {
        self.shared
            .lock()
            .channels
            .values()
            .find(|c| c.name.starts_with(prefix))
            .cloned()
    }

    /// The person closes direct messages from server members: the bot may still open their
    /// DM channel, but posting there answers 403 with code 50007, as Discord does.
    pub fn close_dms(&self, user_id: u64) {
        self.shared.lock().dms_closed.insert(user_id);
    }

    /// The DM channel the bot opened with `user_id`, if any.
    pub fn dm_channel(&self, user_id: u64) -> Option<u64> {
        self.shared
            .lock()
            .dm_channels
            .iter()
            .find(|(_, recipient)| **recipient == user_id)
            .map(|(channel, _)| *channel)
    }

    /// The messages the bot sent `user_id` directly, oldest first.
    pub fn dm_messages(&self, user_id: u64) -> Vec<FakeMessage> {
        self.dm_channel(user_id)
            .map(|channel| self.messages(channel))
            .unwrap_or_default()
    }

    /// Messages of a channel, oldest first (ephemeral answers are not channel messages).
    pub fn messages(&self, channel_id: u64) -> Vec<FakeMessage> {
        self.shared
            .lock()
            .messages
            .get(&channel_id)
            .map(|ms| ms.iter().map(|m| m.msg.clone()).collect())
            .unwrap_or_default()
    }

    pub fn message(&self, channel_id: u64, message_id: u64) -> Option<FakeMessage> {
        self.messages(channel_id)
            .into_iter()
            .find(|m| m.id == message_id)
    }

    /// Registered application commands as stored (with `id`, `guild_id` for guild commands,
    /// `name_localizations`, `description_localizations`, options).
    pub fn commands(&self) -> Vec<Value> {
        self.shared.lock().commands.clone()
    }

    pub fn command(&self, name: &str) -> Option<Value> {
        self.shared
            .lock()
            .commands
            .iter()
            .rev()
            .find(|c| c["name"] == name)
            .cloned()
    }

    pub fn violations(&self) -> Vec<Violation> {
        self.shared.lock().violations.clone()
    }

    /// Panics with the list when any violation was recorded.
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "fake Discord recorded violations: {v:#?}");
    }

    pub fn rate_limited_count(&self) -> usize {
        self.shared.lock().rate_limited
    }

    /// Every 429 answered so far, per bucket: `global`, `rename <channel>`, or the route
    /// template and its major parameter.
    pub fn rate_limited_by_bucket(&self) -> BTreeMap<String, usize> {
        self.shared.lock().rate_limited_by_bucket.clone()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// How many calls matched a route template such as `POST /channels/{id}/messages`.
    pub fn count(&self, route: &str) -> usize {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.route == route)
            .count()
    }

    /// The guild as sent in GUILD_CREATE.
    pub fn guild_json(&self) -> Value {
        let st = self.shared.lock();
        self.shared.guild_json(&st, true)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock already fails the test; keep serving the rest.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn since(&self) -> Duration {
        self.started.elapsed()
    }

    fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }

    fn violate(&self, st: &mut State, kind: ViolationKind, route: &str, detail: &str) {
        st.violations.push(Violation {
            kind,
            route: route.to_string(),
            detail: detail.to_string(),
            at: self.since(),
        });
    }

    // ---- JSON shapes ----

    fn bot_user_json(&self) -> Value {
        json!({
            "id": self.cfg.bot_user_id.to_string(),
            "username": self.cfg.bot_name,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "system": false,
            "mfa_enabled": true,
            "verified": true,
            "email": null,
            "flags": 0,
            "public_flags": 0,
        })
    }

    fn user_json(&self, st: &State, user_id: u64) -> Value {
        if user_id == self.cfg.bot_user_id {
            return self.bot_user_json();
        }
        let name = st
            .members
            .get(&user_id)
            .map_or_else(|| format!("user{user_id}"), |m| m.name.clone());
        json!({
            "id": user_id.to_string(),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": null,
            "public_flags": 0,
        })
    }

    fn member_json(&self, st: &State, user_id: u64) -> Option<Value> {
        let m = st.members.get(&user_id)?;
        Some(json!({
            "user": self.user_json(st, user_id),
            "nick": m.nick,
            "avatar": null,
            "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "communication_disabled_until": null,
        }))
    }

    fn bot_member_json(&self, st: &State) -> Value {
        json!({
            "user": self.user_json(st, self.cfg.bot_user_id),
            "nick": null,
            "avatar": null,
            "roles": [],
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
        })
    }

    fn role_json(&self, id: u64, name: &str) -> Value {
        let everyone = id == self.cfg.guild_id;
        json!({
            "id": id.to_string(),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
            "hoist": false,
            "icon": null,
            "unicode_emoji": null,
            "position": if everyone { 0 } else { 1 },
            "permissions": if everyone { "1071698660929" } else { "0" },
            "managed": false,
            "mentionable": !everyone,
            "flags": 0,
        })
    }

    fn channel_json(&self, ch: &FakeChannel) -> Value {
        json!({
            "id": ch.id.to_string(),
            "type": ch.kind,
            "guild_id": self.cfg.guild_id.to_string(),
            "name": ch.name,
            "position": ch.position,
            "parent_id": ch.parent_id.map(|p| p.to_string()),
            "topic": ch.topic,
            "permission_overwrites": ch.permission_overwrites,
            "nsfw": false,
            "rate_limit_per_user": 0,
            "last_message_id": null,
            "flags": 0,
        })
    }

    fn guild_json(&self, st: &State, with_extras: bool) -> Value {
        let mut g = json!({
            "id": self.cfg.guild_id.to_string(),
            "name": self.cfg.guild_name,
            "icon": null,
            "icon_hash": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": self.cfg.guild_owner_id.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": st.roles.iter().map(|(id, n)| self.role_json(*id, n)).collect::<Vec<_>>(),
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null,
            "max_members": 500_000,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.cfg.guild_locale,
            "public_updates_channel_id": null,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
            "incidents_data": null,
        });
        if with_extras {
            let mut members: Vec<Value> = st
                .members
                .keys()
                .filter_map(|id| self.member_json(st, *id))
                .collect();
            members.push(self.bot_member_json(st));
            let extras = json!({
                "joined_at": "2026-01-01T00:00:00.000000+00:00",
                "large": false,
                "unavailable": false,
                "member_count": members.len(),
                "voice_states": [],
                "members": members,
                "channels": st.channels.values().map(|c| self.channel_json(c)).collect::<Vec<_>>(),
                "threads": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "embedded_activities": [],
            });
            if let (Some(g), Some(e)) = (g.as_object_mut(), extras.as_object()) {
                g.extend(e.clone());
            }
        }
        g
    }

    fn message_json(&self, st: &State, rec: &MsgRec) -> Value {
        let m = &rec.msg;
        let mut v = json!({
            "id": m.id.to_string(),
            "channel_id": m.channel_id.to_string(),
            "guild_id": self.cfg.guild_id.to_string(),
            "author": self.user_json(st, m.author_id),
            "content": m.content,
            "timestamp": rec.timestamp,
            "edited_timestamp": rec.edited_timestamp,
            "tts": false,
            "mention_everyone": false,
            "mentions": mentions(&m.content, "<@").into_iter()
                .filter(|id| st.members.contains_key(id) || *id == self.cfg.bot_user_id)
                .map(|id| self.user_json(st, id)).collect::<Vec<_>>(),
            "mention_roles": mentions(&m.content, "<@&").into_iter()
                .map(|id| id.to_string()).collect::<Vec<_>>(),
            "attachments": [],
            "embeds": m.embeds,
            "components": m.components,
            "reactions": [],
            "pinned": m.pinned,
            "type": 0,
            "flags": m.flags,
        });
        if let Some(n) = &m.nonce {
            v["nonce"] = json!(n);
        }
        if m.interaction_id.is_some() {
            v["webhook_id"] = json!(self.cfg.application_id.to_string());
            v["application_id"] = json!(self.cfg.application_id.to_string());
        }
        v
    }

    // ---- Gateway dispatch ----

    /// Sends a dispatch to the current session (queued if there is none yet) and returns
    /// whether the session's intents let it through.
    fn dispatch_if(&self, st: &mut State, intent: u64, t: &str, d: Value) -> bool {
        if let Some(sid) = st.current_session.clone() {
            let Some(intents) = st.sessions.get(&sid).map(|s| s.intents) else {
                return false;
            };
            if intent != 0 && intents & intent == 0 {
                return false;
            }
            self.dispatch(st, &sid, t, d);
        } else if !t.starts_with("CHANNEL_") {
            // Channel changes before the first IDENTIFY are already in GUILD_CREATE; other
            // events wait for the session, as Discord queues interactions for a bot coming up.
            st.pending.push((t.to_string(), d));
        }
        true
    }

    fn dispatch(&self, st: &mut State, sid: &str, t: &str, d: Value) {
        let Some(session) = st.sessions.get_mut(sid) else {
            return;
        };
        session.seq += 1;
        let frame = json!({"op": 0, "t": t, "s": session.seq, "d": d});
        let text = frame.to_string();
        session.log.push_back((session.seq, text.clone()));
        // Discord keeps a bounded replay buffer; so does the fake.
        if session.log.len() > 10_000 {
            session.log.pop_front();
        }
        if let Some(conn) = session.conn {
            if let Some(tx) = st.conns.get(&conn) {
                let _ = tx.send(Out::Frame(text));
            }
        }
        st.dispatched.push(frame);
    }

    #[allow(clippy::too_many_arguments)]
    fn new_interaction(
        &self,
        st: &mut State,
        kind: u8,
        user_id: u64,
        channel_id: u64,
        message_id: Option<u64>,
        data: Value,
        locale: Option<&str>,
    ) -> (u64, String) {
        let member = self
            .member_json(st, user_id)
            .unwrap_or_else(|| panic!("interaction: {user_id} is not a member; add_member first"));
        let locale = locale
            .map(str::to_string)
            .or_else(|| st.members.get(&user_id).map(|m| m.locale.clone()))
            .unwrap_or_else(|| "en-US".into());
        let channel = st
            .channels
            .get(&channel_id)
            .unwrap_or_else(|| panic!("interaction: no channel {channel_id}"));
        let mut channel = self.channel_json(channel);
        channel["permissions"] = json!(ALL_PERMISSIONS);
        let mut member = member;
        member["permissions"] = json!(ALL_PERMISSIONS);
        let id = self.id();
        let token = format!("fake-interaction-token-{id}");
        let mut payload = json!({
            "id": id.to_string(),
            "application_id": self.cfg.application_id.to_string(),
            "type": kind,
            "data": data,
            "guild_id": self.cfg.guild_id.to_string(),
            "guild": {"id": self.cfg.guild_id.to_string(), "locale": self.cfg.guild_locale, "features": []},
            "channel": channel,
            "channel_id": channel_id.to_string(),
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": ALL_PERMISSIONS,
            "locale": locale,
            "guild_locale": self.cfg.guild_locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.cfg.guild_id.to_string()},
            "context": 0,
            "attachment_size_limit": 10_485_760,
        });
        if let Some(mid) = message_id {
            let rec = st
                .messages
                .get(&channel_id)
                .and_then(|ms| ms.iter().find(|m| m.msg.id == mid))
                .unwrap_or_else(|| panic!("click: no message {mid} in channel {channel_id}"));
            payload["message"] = self.message_json(st, rec);
        }
        st.interactions.insert(
            token.clone(),
            InteractionRec {
                id,
                kind,
                channel_id,
                message_id,
                created: Instant::now(),
                original_ephemeral: None,
                original_message_id: None,
                deferred_pending: false,
                answer: InteractionAnswer::default(),
            },
        );
        // Interactions reach the bot whatever its intents.
        self.dispatch_if(st, 0, "INTERACTION_CREATE", payload);
        (id, token)
    }

    // ---- REST: commands ----

    fn commands_list(&self, st: &State, guild: Option<u64>) -> Vec<Value> {
        st.commands
            .iter()
            .filter(|c| command_scope(c) == guild)
            .cloned()
            .collect()
    }

    fn store_command(
        &self,
        st: &mut State,
        guild: Option<u64>,
        cmd: &Value,
        version: u64,
    ) -> Value {
        let name = cmd["name"].as_str().unwrap_or_default();
        let kind = cmd["type"].as_u64().unwrap_or(1);
        // Discord keeps a command's id when it is overwritten under the same name and type.
        let id = st
            .commands
            .iter()
            .find(|c| command_scope(c) == guild && c["name"] == name && c["type"] == kind)
            .and_then(|c| c["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.id().to_string());
        let mut stored = json!({
            "id": id,
            "application_id": self.cfg.application_id.to_string(),
            "version": version.to_string(),
            "type": kind,
            "name": name,
            "name_localizations": null,
            "description": "",
            "description_localizations": null,
            "options": [],
            "default_member_permissions": null,
            "dm_permission": true,
            "nsfw": false,
            "integration_types": [0],
            "contexts": null,
        });
        if let (Some(out), Some(given)) = (stored.as_object_mut(), cmd.as_object()) {
            for (k, v) in given {
                if k != "id" && k != "application_id" && k != "version" && !v.is_null() {
                    out.insert(k.clone(), v.clone());
                }
            }
            if let Some(g) = guild {
                out.insert("guild_id".into(), json!(g.to_string()));
            }
        }
        st.commands
            .retain(|c| !(command_scope(c) == guild && c["name"] == name && c["type"] == kind));
        st.commands.push(stored.clone());
        stored
    }

    // ---- REST: dispatch by route ----

    fn handle(
        &self,
        st: &mut State,
        route: &str,
        p: &HashMap<&'static str, String>,
        body: &Value,
        query: &str,
    ) -> Answer {
        let cfg = &self.cfg;
        let param = |k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let guild_ok = |g: u64| g == cfg.guild_id;
        match route {
            "GET /gateway" => Answer::json(200, json!({"url": self.gateway_url()})),
            "GET /gateway/bot" => Answer::json(
                200,
                json!({
                    "url": self.gateway_url(),
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000, "remaining": 999, "reset_after": 14_400_000,
                        "max_concurrency": 1
                    }
                }),
            ),
            "GET /users/@me" => Answer::json(200, self.bot_user_json()),
            "GET /oauth2/applications/@me" | "GET /applications/@me" => {
                let owner = self.user_json(st, cfg.owner_user_id);
                Answer::json(
                    200,
                    json!({
                        "id": cfg.application_id.to_string(),
                        "name": cfg.bot_name,
                        "icon": null,
                        "description": "",
                        "rpc_origins": [],
                        "bot_public": false,
                        "bot_require_code_grant": false,
                        "bot": self.bot_user_json(),
                        "owner": owner,
                        "team": null,
                        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
                        "flags": 0,
                        "install_params": null,
                        "integration_types_config": {},
                        "approximate_guild_count": 1,
                    }),
                )
            }
            "GET /applications/{app}/commands"
            | "GET /applications/{app}/guilds/{guild}/commands" => {
                let guild = p.get("{guild}").map(|_| param("{guild}"));
                if param("{app}") != cfg.application_id || guild.is_some_and(|g| !guild_ok(g)) {
                    return Answer::error(404, 10002, "Unknown Application");
                }
                Answer::json(200, Value::Array(self.commands_list(st, guild)))
            }
            "PUT /applications/{app}/commands"
            | "PUT /applications/{app}/guilds/{guild}/commands"
            | "POST /applications/{app}/commands"
            | "POST /applications/{app}/guilds/{guild}/commands" => {
                let guild = p.get("{guild}").map(|_| param("{guild}"));
                if param("{app}") != cfg.application_id || guild.is_some_and(|g| !guild_ok(g)) {
                    return Answer::error(404, 10002, "Unknown Application");
                }
                let bulk = route.starts_with("PUT");
                let list: Vec<Value> = if bulk {
                    match body.as_array() {
                        Some(a) => a.clone(),
                        None => {
                            return self.bad_request(st, route, "expected an array of commands");
                        }
                    }
                } else {
                    vec![body.clone()]
                };
                let mut errors = Map::new();
                for (i, c) in list.iter().enumerate() {
                    let mut e = Map::new();
                    validate_command(c, &mut e);
                    if !e.is_empty() {
                        if bulk {
                            errors.insert(i.to_string(), Value::Object(e));
                        } else {
                            errors.extend(e);
                        }
                    }
                }
                if list.len() > 100 {
                    errors.insert(
                        "_errors".into(),
                        err_list("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."),
                    );
                }
                if !errors.is_empty() {
                    let detail = Value::Object(errors.clone()).to_string();
                    self.violate(st, ViolationKind::InvalidCommand, route, &detail);
                    return Answer::form(Value::Object(errors));
                }
                let version = self.id();
                let stored: Vec<Value> = list
                    .iter()
                    .map(|c| self.store_command(st, guild, c, version))
                    .collect();
                if bulk {
                    // A bulk overwrite deletes the scope's commands it does not name.
                    let keep: Vec<&Value> = stored.iter().map(|c| &c["id"]).collect();
                    st.commands
                        .retain(|c| command_scope(c) != guild || keep.contains(&&c["id"]));
                }
                if bulk {
                    Answer::json(200, Value::Array(stored))
                } else {
                    Answer::json(201, stored.into_iter().next().unwrap_or(Value::Null))
                }
            }
            "DELETE /applications/{app}/commands/{cmd}"
            | "DELETE /applications/{app}/guilds/{guild}/commands/{cmd}" => {
                let id = p.get("{cmd}").cloned().unwrap_or_default();
                st.commands.retain(|c| c["id"] != id.as_str());
                Answer::empty()
            }
            "GET /guilds/{guild}" => {
                if !guild_ok(param("{guild}")) {
                    return self.unknown(st, route, 10004, "Unknown Guild");
                }
                Answer::json(200, self.guild_json(st, false))
            }
            "GET /guilds/{guild}/roles" => {
                if !guild_ok(param("{guild}")) {
                    return self.unknown(st, route, 10004, "Unknown Guild");
                }
                let roles: Vec<Value> = st
                    .roles
                    .iter()
                    .map(|(id, n)| self.role_json(*id, n))
                    .collect();
                Answer::json(200, Value::Array(roles))
            }
            "GET /guilds/{guild}/members/{user}" => {
                let user = param("{user}");
                let m = if user == cfg.bot_user_id {
                    Some(self.bot_member_json(st))
                } else {
                    self.member_json(st, user)
                };
                match m {
                    Some(m) if guild_ok(param("{guild}")) => Answer::json(200, m),
                    _ => Answer::error(404, 10007, "Unknown Member"),
                }
            }
            "GET /guilds/{guild}/channels" => {
                if !guild_ok(param("{guild}")) {
                    return self.unknown(st, route, 10004, "Unknown Guild");
                }
                let list: Vec<Value> = st.channels.values().map(|c| self.channel_json(c)).collect();
                Answer::json(200, Value::Array(list))
            }
            "POST /guilds/{guild}/channels" => {
                if !guild_ok(param("{guild}")) {
                    return self.unknown(st, route, 10004, "Unknown Guild");
                }
                self.create_channel(st, route, body)
            }
            "GET /channels/{id}" => match st.channels.get(&param("{id}")) {
                Some(c) => Answer::json(200, self.channel_json(c)),
                None => self.unknown(st, route, 10003, "Unknown Channel"),
            },
            "PATCH /channels/{id}" => self.patch_channel(st, route, param("{id}"), body),
            "DELETE /channels/{id}" => {
                let id = param("{id}");
                match st.channels.remove(&id) {
                    Some(c) => {
                        let v = self.channel_json(&c);
                        st.messages.remove(&id);
                        self.dispatch_if(st, INTENT_GUILDS, "CHANNEL_DELETE", v.clone());
                        Answer::json(200, v)
                    }
                    None => self.unknown(st, route, 10003, "Unknown Channel"),
                }
            }
            "POST /users/@me/channels" => self.create_dm(st, route, body),
            "POST /channels/{id}/messages" => self.create_message(st, route, param("{id}"), body),
            "GET /channels/{id}/messages" => {
                let id = param("{id}");
                if !st.channels.contains_key(&id) {
                    return self.unknown(st, route, 10003, "Unknown Channel");
                }
                let limit = query_param(query, "limit")
                    .and_then(|l| l.parse::<usize>().ok())
                    .unwrap_or(50)
                    .min(100);
                let list: Vec<Value> = st
                    .messages
                    .get(&id)
                    .map(|ms| {
                        ms.iter()
                            .rev()
                            .take(limit)
                            .map(|m| self.message_json(st, m))
                            .collect()
                    })
                    .unwrap_or_default();
                Answer::json(200, Value::Array(list))
            }
            "GET /channels/{id}/messages/{mid}" => {
                match find_msg(st, param("{id}"), param("{mid}")) {
                    Some(m) => Answer::json(200, self.message_json(st, m)),
                    None => self.unknown(st, route, 10008, "Unknown Message"),
                }
            }
            "PATCH /channels/{id}/messages/{mid}" => {
                self.record_mentions(st, route, body);
                self.edit_message(st, route, param("{id}"), param("{mid}"), body, true)
            }
            "DELETE /channels/{id}/messages/{mid}" => {
                let (cid, mid) = (param("{id}"), param("{mid}"));
                let before = st.messages.get(&cid).map_or(0, Vec::len);
                if let Some(ms) = st.messages.get_mut(&cid) {
                    ms.retain(|m| m.msg.id != mid);
                }
                if st.messages.get(&cid).map_or(0, Vec::len) == before {
                    return self.unknown(st, route, 10008, "Unknown Message");
                }
                let d = json!({"id": mid.to_string(), "channel_id": cid.to_string(), "guild_id": cfg.guild_id.to_string()});
                self.dispatch_if(st, INTENT_GUILD_MESSAGES, "MESSAGE_DELETE", d);
                Answer::empty()
            }
            "GET /channels/{id}/pins" => {
                let list: Vec<Value> = st
                    .messages
                    .get(&param("{id}"))
                    .map(|ms| {
                        ms.iter()
                            .rev()
                            .filter(|m| m.msg.pinned)
                            .map(|m| self.message_json(st, m))
                            .collect()
                    })
                    .unwrap_or_default();
                Answer::json(200, Value::Array(list))
            }
            "PUT /channels/{id}/pins/{mid}" | "DELETE /channels/{id}/pins/{mid}" => {
                let (cid, mid) = (param("{id}"), param("{mid}"));
                let pin = route.starts_with("PUT");
                let pinned = st
                    .messages
                    .get(&cid)
                    .map_or(0, |ms| ms.iter().filter(|m| m.msg.pinned).count());
                let Some(already) = find_msg(st, cid, mid).map(|m| m.msg.pinned) else {
                    return self.unknown(st, route, 10008, "Unknown Message");
                };
                if pin && !already && pinned >= cfg.max_pins_per_channel {
                    let msg = format!(
                        "Maximum number of pins reached ({})",
                        cfg.max_pins_per_channel
                    );
                    self.violate(st, ViolationKind::PinsFull, route, &msg);
                    return Answer::error(400, 30003, &msg);
                }
                if let Some(m) = find_msg_mut(st, cid, mid) {
                    m.msg.pinned = pin;
                }
                let d =
                    json!({"channel_id": cid.to_string(), "guild_id": cfg.guild_id.to_string()});
                self.dispatch_if(st, INTENT_GUILDS, "CHANNEL_PINS_UPDATE", d);
                Answer::empty()
            }
            "PUT /channels/{id}/messages/{mid}/reactions/{emoji}/@me" => {
                let emoji = p.get("{emoji}").cloned().unwrap_or_default();
                match find_msg_mut(st, param("{id}"), param("{mid}")) {
                    Some(m) => {
                        if !m.msg.bot_reactions.contains(&emoji) {
                            m.msg.bot_reactions.push(emoji);
                        }
                        Answer::empty()
                    }
                    None => self.unknown(st, route, 10008, "Unknown Message"),
                }
            }
            "POST /interactions/{id}/{token}/callback" => {
                let token = p.get("{token}").cloned().unwrap_or_default();
                self.interaction_callback(st, route, param("{id}"), &token, body)
            }
            "POST /webhooks/{app}/{token}"
            | "PATCH /webhooks/{app}/{token}/messages/@original"
            | "GET /webhooks/{app}/{token}/messages/@original"
            | "PATCH /webhooks/{app}/{token}/messages/{mid}"
            | "DELETE /webhooks/{app}/{token}/messages/@original"
            | "DELETE /webhooks/{app}/{token}/messages/{mid}" => {
                if param("{app}") != cfg.application_id {
                    return self.unknown(st, route, 10015, "Unknown Webhook");
                }
                let token = p.get("{token}").cloned().unwrap_or_default();
                self.interaction_webhook(st, route, &token, param("{mid}"), body)
            }
            _ => {
                self.violate(
                    st,
                    ViolationKind::UnknownRoute,
                    route,
                    "the fake does not model this route",
                );
                Answer::error(404, 0, "404: Not Found")
            }
        }
    }

    fn unknown(&self, st: &mut State, route: &str, code: u64, message: &str) -> Answer {
        self.violate(st, ViolationKind::UnknownResource, route, message);
        Answer::error(404, code, message)
    }

    fn bad_request(&self, st: &mut State, route: &str, detail: &str) -> Answer {
        self.violate(st, ViolationKind::BadRequest, route, detail);
        Answer::form(json!({"_errors": err_list("BASE_TYPE_BAD_REQUEST", detail)}))
    }

    /// Rejects a message body that breaks Discord's limits, recording the violation.
    fn check_message(&self, st: &mut State, route: &str, body: &Value) -> Option<Answer> {
        let problems = validate_message(body);
        if problems.is_empty() {
            return None;
        }
        let mut errors = Map::new();
        for p in &problems {
            self.violate(
                st,
                p.kind,
                route,
                &format!("{}: {}", p.path.join("."), p.message),
            );
            if p.kind == ViolationKind::EmptyMessage {
                return Some(Answer::error(400, 50006, "Cannot send an empty message"));
            }
            insert_error(&mut errors, &p.path, p.code, &p.message);
        }
        Some(Answer::form(Value::Object(errors)))
    }

    // ---- REST: channels ----

    fn create_channel(&self, st: &mut State, route: &str, body: &Value) -> Answer {
        let cfg = &self.cfg;
        let kind = body["type"].as_u64().unwrap_or(0) as u8;
        let given = body["name"].as_str().unwrap_or_default().to_string();
        let len = given.chars().count();
        if !(1..=100).contains(&len) {
            self.violate(
                st,
                ViolationKind::ChannelName,
                route,
                &format!("name length {len}"),
            );
            return Answer::form(
                json!({"name": {"_errors": err_list("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")}}),
            );
        }
        if st.channels.len() >= cfg.max_channels_per_guild {
            let msg = format!(
                "Maximum number of guild channels reached ({})",
                cfg.max_channels_per_guild
            );
            self.violate(st, ViolationKind::GuildFull, route, &msg);
            return Answer::error(400, 30013, &msg);
        }
        let parent_id = id_opt(&body["parent_id"]);
        if let Some(parent) = parent_id {
            if let Some(answer) = self.check_parent(st, route, parent, kind) {
                return answer;
            }
        }
        if let Some(a) = self.check_topic(st, route, &body["topic"]) {
            return a;
        }
        let name = if kind == CHANNEL_TEXT {
            let clean = sanitize_text_channel_name(&given);
            if clean != given {
                let detail = format!("text channel name {given:?} would be shown as {clean:?}");
                self.violate(st, ViolationKind::ChannelName, route, &detail);
            }
            clean
        } else {
            given
        };
        let id = self.id();
        let ch = FakeChannel {
            id,
            kind,
            name,
            parent_id,
            topic: body["topic"].as_str().map(str::to_string),
            position: body["position"]
                .as_u64()
                .unwrap_or(st.channels.len() as u64),
            permission_overwrites: normalize_overwrites(&body["permission_overwrites"]),
            renames: 0,
        };
        let v = self.channel_json(&ch);
        st.channels.insert(id, ch);
        self.dispatch_if(st, INTENT_GUILDS, "CHANNEL_CREATE", v.clone());
        Answer::json(201, v)
    }

    fn check_parent(&self, st: &mut State, route: &str, parent: u64, kind: u8) -> Option<Answer> {
        let ok = kind != CHANNEL_CATEGORY
            && st
                .channels
                .get(&parent)
                .is_some_and(|c| c.kind == CHANNEL_CATEGORY);
        if !ok {
            self.violate(
                st,
                ViolationKind::UnknownResource,
                route,
                "parent_id is not a category",
            );
            return Some(Answer::form(
                json!({"parent_id": {"_errors": err_list("CHANNEL_PARENT_INVALID", "Category does not exist")}}),
            ));
        }
        let children = st
            .channels
            .values()
            .filter(|c| c.parent_id == Some(parent))
            .count();
        if children >= self.cfg.max_channels_per_category {
            let msg = format!(
                "Maximum number of channels in category reached ({})",
                self.cfg.max_channels_per_category
            );
            self.violate(st, ViolationKind::CategoryFull, route, &msg);
            return Some(Answer::form(
                json!({"parent_id": {"_errors": err_list("CHANNEL_PARENT_MAX_CHANNELS", &msg)}}),
            ));
        }
        None
    }

    fn check_topic(&self, st: &mut State, route: &str, topic: &Value) -> Option<Answer> {
        let n = topic.as_str().map_or(0, |t| t.chars().count());
        if n > 1024 {
            self.violate(
                st,
                ViolationKind::BadRequest,
                route,
                &format!("topic length {n}"),
            );
            return Some(Answer::form(
                json!({"topic": {"_errors": err_list("BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")}}),
            ));
        }
        None
    }

    fn patch_channel(&self, st: &mut State, route: &str, id: u64, body: &Value) -> Answer {
        let Some(current) = st.channels.get(&id).cloned() else {
            return self.unknown(st, route, 10003, "Unknown Channel");
        };
        let mut ch = current.clone();
        if let Some(given) = body.get("name").and_then(Value::as_str) {
            let len = given.chars().count();
            if !(1..=100).contains(&len) {
                self.violate(
                    st,
                    ViolationKind::ChannelName,
                    route,
                    &format!("name length {len}"),
                );
                return Answer::form(
                    json!({"name": {"_errors": err_list("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")}}),
                );
            }
            let name = if ch.kind == CHANNEL_TEXT {
                let clean = sanitize_text_channel_name(given);
                if clean != given {
                    let detail = format!("text channel name {given:?} would be shown as {clean:?}");
                    self.violate(st, ViolationKind::ChannelName, route, &detail);
                }
                clean
            } else {
                given.to_string()
            };
            if name != ch.name {
                let now = Instant::now();
                let window = self.cfg.rename_window;
                let history = st.renames.entry(id).or_default();
                while history
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= window)
                {
                    history.pop_front();
                }
                if history.len() >= self.cfg.rename_limit as usize {
                    let retry = history
                        .front()
                        .map_or(window, |t| window.saturating_sub(now.duration_since(*t)));
                    st.rate_limited += 1;
                    *st.rate_limited_by_bucket
                        .entry(format!("rename {id}"))
                        .or_default() += 1;
                    let detail = format!(
                        "more than {} renames in {:?}",
                        self.cfg.rename_limit, window
                    );
                    self.violate(st, ViolationKind::RenameRateLimit, route, &detail);
                    return too_many(retry, false, "shared");
                }
                history.push_back(now);
                ch.name = name;
                ch.renames += 1;
            }
        }
        if let Some(topic) = body.get("topic") {
            if let Some(a) = self.check_topic(st, route, topic) {
                return a;
            }
            ch.topic = topic.as_str().map(str::to_string);
        }
        if let Some(parent) = body.get("parent_id") {
            let parent = id_opt(parent);
            if parent != ch.parent_id {
                if let Some(p) = parent {
                    if let Some(a) = self.check_parent(st, route, p, ch.kind) {
                        return a;
                    }
                }
                ch.parent_id = parent;
            }
        }
        if let Some(po) = body.get("permission_overwrites") {
            ch.permission_overwrites = normalize_overwrites(po);
        }
        if let Some(pos) = body.get("position").and_then(Value::as_u64) {
            ch.position = pos;
        }
        let v = self.channel_json(&ch);
        st.channels.insert(id, ch);
        self.dispatch_if(st, INTENT_GUILDS, "CHANNEL_UPDATE", v.clone());
        Answer::json(200, v)
    }

    // ---- REST: messages ----

    /// Logs a request that carries message text with what it would have pinged.
    fn record_mentions(&self, st: &mut State, route: &str, body: &Value) -> Pings {
        let content = body["content"].as_str().unwrap_or_default().to_string();
        let pinged = pings(&content, body.get("allowed_mentions"));
        let carries_text = ["content", "embeds"]
            .iter()
            .any(|k| body.get(*k).is_some_and(|v| !v.is_null()));
        if carries_text {
            st.mention_log.push(MentionRecord {
                route: route.to_string(),
                content,
                allowed_mentions: allowed_mentions_of(body),
                pings: pinged.clone(),
            });
        }
        pinged
    }

    /// Create DM: `{"recipient_id": "<user id>"}` opens (or finds: one per person) the DM
    /// channel and answers the DM channel object (`id`, `type` 1, `last_message_id`,
    /// `recipients`, `flags`). A person outside the fake's guild is an Unknown User.
    fn create_dm(&self, st: &mut State, route: &str, body: &Value) -> Answer {
        let recipient = match &body["recipient_id"] {
            Value::String(text) => text.parse::<u64>().ok(),
            Value::Number(number) => number.as_u64(),
            _ => None,
        };
        let Some(recipient) = recipient else {
            self.violate(st, ViolationKind::BadRequest, route, "recipient_id missing");
            return Answer::form(
                json!({"recipient_id": {"_errors": err_list("BASE_TYPE_REQUIRED", "This field is required")}}),
            );
        };
        if !st.members.contains_key(&recipient) {
            return self.unknown(st, route, 10013, "Unknown User");
        }
        let existing = st
            .dm_channels
            .iter()
            .find(|(_, person)| **person == recipient)
            .map(|(channel, _)| *channel);
        let channel = match existing {
            Some(channel) => channel,
            None => {
                let channel = self.id();
                st.dm_channels.insert(channel, recipient);
                channel
            }
        };
        let last_message_id = st
            .messages
            .get(&channel)
            .and_then(|messages| messages.last())
            .map(|message| message.msg.id.to_string());
        Answer::json(
            200,
            json!({
                "id": channel.to_string(),
                "type": CHANNEL_DM,
                "last_message_id": last_message_id,
                "recipients": [self.user_json(st, recipient)],
                "flags": 0,
            }),
        )
    }

    fn create_message(&self, st: &mut State, route: &str, channel_id: u64, body: &Value) -> Answer {
        if let Some(recipient) = st.dm_channels.get(&channel_id).copied() {
            if st.dms_closed.contains(&recipient) {
                return Answer::error(403, 50007, "Cannot send messages to this user");
            }
        } else if st
            .channels
            .get(&channel_id)
            .is_none_or(|c| c.kind != CHANNEL_TEXT)
        {
            return self.unknown(st, route, 10003, "Unknown Channel");
        }
        if let Some(a) = self.check_message(st, route, body) {
            return a;
        }
        let nonce = match &body["nonce"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let Some(n) = &nonce {
            if n.chars().count() > 25 {
                self.violate(st, ViolationKind::BadRequest, route, "nonce longer than 25");
                return Answer::form(
                    json!({"nonce": {"_errors": err_list("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")}}),
                );
            }
        }
        let enforce = body["enforce_nonce"].as_bool().unwrap_or(false);
        if let (true, Some(n)) = (enforce, &nonce) {
            let window = self.cfg.nonce_window;
            if let Some((mid, at)) = st.nonces.get(&(channel_id, n.clone())).copied() {
                if at.elapsed() < window {
                    if let Some(m) = find_msg(st, channel_id, mid) {
                        // Discord answers a repeated nonce with the original message.
                        return Answer::json(200, self.message_json(st, m));
                    }
                }
            }
        }
        let id = self.id();
        let msg = FakeMessage {
            id,
            channel_id,
            author_id: self.cfg.bot_user_id,
            content: body["content"].as_str().unwrap_or_default().to_string(),
            embeds: normalize_embeds(&body["embeds"]),
            components: body["components"].as_array().cloned().unwrap_or_default(),
            flags: body["flags"].as_u64().unwrap_or(0),
            pinned: false,
            edits: 0,
            nonce: nonce.clone(),
            bot_reactions: Vec::new(),
            interaction_id: None,
            allowed_mentions: allowed_mentions_of(body),
            pings: self.record_mentions(st, route, body),
        };
        if let Some(n) = nonce {
            st.nonces.insert((channel_id, n), (id, Instant::now()));
        }
        let v = self.push_message(st, msg);
        Answer::json(200, v)
    }

    fn push_message(&self, st: &mut State, msg: FakeMessage) -> Value {
        let channel_id = msg.channel_id;
        let rec = MsgRec {
            msg,
            timestamp: now_rfc3339(),
            edited_timestamp: None,
        };
        let v = self.message_json(st, &rec);
        st.messages.entry(channel_id).or_default().push(rec);
        self.dispatch_if(st, INTENT_GUILD_MESSAGES, "MESSAGE_CREATE", v.clone());
        v
    }

    /// Applies an edit (REST PATCH, UPDATE_MESSAGE callback or webhook edit) to a stored
    /// message; `count` says whether it counts as an edit.
    fn edit_message(
        &self,
        st: &mut State,
        route: &str,
        channel_id: u64,
        message_id: u64,
        body: &Value,
        count: bool,
    ) -> Answer {
        let Some(current) = find_msg(st, channel_id, message_id) else {
            return self.unknown(st, route, 10008, "Unknown Message");
        };
        let mut merged = json!({
            "content": current.msg.content,
            "embeds": current.msg.embeds,
            "components": current.msg.components,
        });
        for k in ["content", "embeds", "components"] {
            if let Some(v) = body.get(k) {
                merged[k] = if v.is_null() && k == "content" {
                    json!("")
                } else if v.is_null() {
                    json!([])
                } else {
                    v.clone()
                };
            }
        }
        if let Some(a) = self.check_message(st, route, &merged) {
            return a;
        }
        let Some(rec) = find_msg_mut(st, channel_id, message_id) else {
            return Answer::error(404, 10008, "Unknown Message");
        };
        rec.msg.content = merged["content"].as_str().unwrap_or_default().to_string();
        rec.msg.embeds = normalize_embeds(&merged["embeds"]);
        rec.msg.components = merged["components"].as_array().cloned().unwrap_or_default();
        if let Some(f) = body.get("flags").and_then(Value::as_u64) {
            rec.msg.flags = f;
        }
        // Resolving a "thinking…" message is not an edit the user would notice as one.
        rec.msg.flags &= !128;
        if count {
            rec.msg.edits += 1;
            rec.edited_timestamp = Some(now_rfc3339());
        }
        let v = match find_msg(st, channel_id, message_id) {
            Some(r) => self.message_json(st, r),
            None => Value::Null,
        };
        self.dispatch_if(st, INTENT_GUILD_MESSAGES, "MESSAGE_UPDATE", v.clone());
        Answer::json(200, v)
    }

    // ---- REST: interactions ----

    fn interaction_callback(
        &self,
        st: &mut State,
        route: &str,
        id: u64,
        token: &str,
        body: &Value,
    ) -> Answer {
        let Some(rec) = st.interactions.get(token).filter(|r| r.id == id) else {
            self.violate(
                st,
                ViolationKind::UnknownInteraction,
                route,
                "no such interaction",
            );
            return Answer::error(404, 10062, "Unknown interaction");
        };
        let latency = rec.created.elapsed();
        let (ikind, channel_id, message_id) = (rec.kind, rec.channel_id, rec.message_id);
        let acked = rec.answer.acked();
        let kind = body["type"].as_u64().unwrap_or(0);
        let data = body.get("data").cloned().unwrap_or(Value::Null);
        let flags = data["flags"].as_u64().unwrap_or(0);
        let ephemeral = flags & EPHEMERAL != 0;
        if matches!(kind, 4 | 7) {
            self.record_mentions(st, route, &data);
        }
        let mut record = Callback {
            kind,
            content: data["content"].as_str().unwrap_or_default().to_string(),
            embeds: normalize_embeds(&data["embeds"]),
            components: data["components"].as_array().cloned().unwrap_or_default(),
            flags,
            ephemeral,
            latency,
            status: 204,
            choices: data["choices"].as_array().cloned().unwrap_or_default(),
        };
        let answer = if acked {
            self.violate(
                st,
                ViolationKind::InteractionAlreadyAcknowledged,
                route,
                "second callback",
            );
            Answer::error(400, 40060, "Interaction has already been acknowledged.")
        } else if latency > self.cfg.interaction_deadline {
            let detail = format!("acknowledged after {latency:?}");
            self.violate(st, ViolationKind::InteractionDeadline, route, &detail);
            Answer::error(404, 10062, "Unknown interaction")
        } else if (ikind == 4) != (kind == 8) {
            // An autocomplete interaction takes only an autocomplete result, and only it.
            let detail = format!("callback type {kind} for interaction type {ikind}");
            self.violate(st, ViolationKind::InteractionBadCallback, route, &detail);
            Answer::form(
                json!({"type": {"_errors": err_list("INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid for this interaction.")}}),
            )
        } else {
            match kind {
                8 => match autocomplete_problems(&data) {
                    Some(detail) => {
                        self.violate(st, ViolationKind::BadRequest, route, &detail);
                        Answer::form(
                            json!({"data": {"choices": {"_errors": err_list("BASE_TYPE_BAD_LENGTH", &detail)}}}),
                        )
                    }
                    None => Answer::empty(),
                },
                4 => match self.check_message(st, route, &data) {
                    Some(a) => a,
                    None => {
                        let original = (!ephemeral).then(|| {
                            let id = self.id();
                            self.push_message(
                                st,
                                self.interaction_message(id, channel_id, &data, rec_id(st, token)),
                            );
                            id
                        });
                        if let Some(r) = st.interactions.get_mut(token) {
                            r.original_ephemeral = Some(ephemeral);
                            r.original_message_id = original;
                        }
                        Answer::empty()
                    }
                },
                5 => {
                    let original = (!ephemeral).then(|| {
                        let id = self.id();
                        let mut m =
                            self.interaction_message(id, channel_id, &json!({}), rec_id(st, token));
                        // The "is thinking…" placeholder Discord shows until the follow-up.
                        m.flags = 128;
                        self.push_message(st, m);
                        id
                    });
                    if let Some(r) = st.interactions.get_mut(token) {
                        r.original_ephemeral = Some(ephemeral);
                        r.deferred_pending = true;
                        r.original_message_id = original;
                    }
                    Answer::empty()
                }
                6 if ikind == 3 => Answer::empty(),
                7 if ikind == 3 => match message_id {
                    Some(mid) => {
                        let a = self.edit_message(st, route, channel_id, mid, &data, true);
                        if a.status < 300 { Answer::empty() } else { a }
                    }
                    None => Answer::empty(),
                },
                9 => Answer::empty(),
                _ => {
                    let detail = format!("callback type {kind} for interaction type {ikind}");
                    self.violate(st, ViolationKind::InteractionBadCallback, route, &detail);
                    Answer::form(
                        json!({"type": {"_errors": err_list("BASE_TYPE_CHOICES", "Value must be one of {4, 5, 6, 7, 9}.")}}),
                    )
                }
            }
        };
        record.status = answer.status;
        if let Some(r) = st.interactions.get_mut(token) {
            r.answer.callbacks.push(record);
        }
        answer
    }

    fn interaction_message(
        &self,
        id: u64,
        channel_id: u64,
        data: &Value,
        interaction: u64,
    ) -> FakeMessage {
        FakeMessage {
            id,
            channel_id,
            author_id: self.cfg.bot_user_id,
            content: data["content"].as_str().unwrap_or_default().to_string(),
            embeds: normalize_embeds(&data["embeds"]),
            components: data["components"].as_array().cloned().unwrap_or_default(),
            flags: data["flags"].as_u64().unwrap_or(0),
            pinned: false,
            edits: 0,
            nonce: None,
            bot_reactions: Vec::new(),
            interaction_id: Some(interaction),
            allowed_mentions: allowed_mentions_of(data),
            pings: pings(
                data["content"].as_str().unwrap_or_default(),
                data.get("allowed_mentions"),
            ),
        }
    }

    fn interaction_webhook(
        &self,
        st: &mut State,
        route: &str,
        token: &str,
        mid: u64,
        body: &Value,
    ) -> Answer {
        let Some(rec) = st.interactions.get(token) else {
            self.violate(
                st,
                ViolationKind::UnknownInteraction,
                route,
                "no such interaction token",
            );
            return Answer::error(404, 10015, "Unknown Webhook");
        };
        let latency = rec.created.elapsed();
        let (rid, ikind, channel_id, clicked) = (rec.id, rec.kind, rec.channel_id, rec.message_id);
        let (acked, kind) = (rec.answer.acked(), rec.answer.kind());
        let (deferred, original, original_ephemeral) = (
            rec.deferred_pending,
            rec.original_message_id,
            rec.original_ephemeral.unwrap_or(false),
        );
        if !acked {
            self.violate(
                st,
                ViolationKind::FollowupWithoutAck,
                route,
                "webhook call before the interaction was acknowledged",
            );
            return Answer::error(404, 10015, "Unknown Webhook");
        }
        if latency > self.cfg.interaction_token_ttl {
            self.violate(
                st,
                ViolationKind::UnknownInteraction,
                route,
                "interaction token expired",
            );
            return Answer::error(401, 50027, "Invalid Webhook Token");
        }
        if !route.starts_with("GET") && !route.starts_with("DELETE") {
            self.record_mentions(st, route, body);
        }
        let flags = body["flags"].as_u64().unwrap_or(0);
        let mut record = Followup {
            kind: "followup",
            content: body["content"].as_str().unwrap_or_default().to_string(),
            embeds: normalize_embeds(&body["embeds"]),
            components: body["components"].as_array().cloned().unwrap_or_default(),
            flags,
            ephemeral: flags & EPHEMERAL != 0,
            latency,
            status: 200,
        };
        let answer = if route.starts_with("GET") {
            return match original.and_then(|o| find_msg(st, channel_id, o)) {
                Some(m) => Answer::json(200, self.message_json(st, m)),
                None => Answer::error(404, 10008, "Unknown Message"),
            };
        } else if route.starts_with("DELETE") {
            let target = if route.ends_with("@original") {
                original
            } else {
                Some(mid)
            };
            if let (Some(t), Some(ms)) = (target, st.messages.get_mut(&channel_id)) {
                ms.retain(|m| m.msg.id != t);
            }
            return Answer::empty();
        } else if let Some(a) = self.check_message(st, route, body) {
            a
        } else if route.starts_with("POST") {
            // The first follow-up after a deferral replaces the placeholder and keeps its
            // visibility; later ones are new messages with their own flags.
            if deferred {
                record.ephemeral = original_ephemeral;
                if let Some(r) = st.interactions.get_mut(token) {
                    r.deferred_pending = false;
                }
                match original {
                    Some(o) => self.edit_message(st, route, channel_id, o, body, false),
                    None => Answer::json(200, self.ephemeral_json(st, channel_id, body)),
                }
            } else if record.ephemeral {
                Answer::json(200, self.ephemeral_json(st, channel_id, body))
            } else {
                let id = self.id();
                let v = self.push_message(st, self.interaction_message(id, channel_id, body, rid));
                Answer::json(200, v)
            }
        } else if route.ends_with("@original") {
            record.kind = "edit_original";
            let component_ack = ikind == 3 && matches!(kind, Some(6 | 7));
            if component_ack {
                // After a deferred update the original response is the clicked message.
                record.ephemeral = false;
                match clicked {
                    Some(m) => self.edit_message(st, route, channel_id, m, body, true),
                    None => Answer::error(404, 10008, "Unknown Message"),
                }
            } else {
                record.ephemeral = original_ephemeral;
                if let Some(r) = st.interactions.get_mut(token) {
                    r.deferred_pending = false;
                }
                match original {
                    Some(o) => self.edit_message(st, route, channel_id, o, body, !deferred),
                    None => Answer::json(200, self.ephemeral_json(st, channel_id, body)),
                }
            }
        } else {
            record.kind = "edit_followup";
            self.edit_message(st, route, channel_id, mid, body, true)
        };
        record.status = answer.status;
        if let Some(r) = st.interactions.get_mut(token) {
            r.answer.followups.push(record);
        }
        answer
    }

    /// An ephemeral message exists only for the user; it is answered but not stored.
    fn ephemeral_json(&self, st: &State, channel_id: u64, body: &Value) -> Value {
        let id = self.id();
        let mut m = self.interaction_message(id, channel_id, body, 0);
        m.flags |= EPHEMERAL;
        let rec = MsgRec {
            msg: m,
            timestamp: now_rfc3339(),
            edited_timestamp: None,
        };
        self.message_json(st, &rec)
    }
}

fn rec_id(st: &State, token: &str) -> u64 {
    st.interactions.get(token).map_or(0, |r| r.id)
}

fn command_scope(c: &Value) -> Option<u64> {
    c.get("guild_id")
        .and_then(Value::as_str)
        .and_then(|g| g.parse().ok())
}

fn find_msg(st: &State, channel_id: u64, message_id: u64) -> Option<&MsgRec> {
    st.messages
        .get(&channel_id)?
        .iter()
        .find(|m| m.msg.id == message_id)
}

fn find_msg_mut(st: &mut State, channel_id: u64, message_id: u64) -> Option<&mut MsgRec> {
    st.messages
        .get_mut(&channel_id)?
        .iter_mut()
        .find(|m| m.msg.id == message_id)
}

// ---- Validation ----

struct Problem {
    kind: ViolationKind,
    path: Vec<String>,
    code: &'static str,
    message: String,
}

fn too_long(kind: ViolationKind, path: &[&str], max: usize) -> Problem {
    Problem {
        kind,
        path: path.iter().map(|s| s.to_string()).collect(),
        code: "BASE_TYPE_MAX_LENGTH",
        message: format!("Must be {max} or fewer in length."),
    }
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// Discord's documented message limits: content, embeds, components.
fn validate_message(body: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    if chars(&body["content"]) > 2000 {
        out.push(too_long(ViolationKind::ContentTooLong, &["content"], 2000));
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        out.push(too_long(ViolationKind::EmbedLimit, &["embeds"], 10));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let i = i.to_string();
        let checks: [(&str, &Value, usize); 4] = [
            ("title", &e["title"], 256),
            ("description", &e["description"], 4096),
            ("footer", &e["footer"]["text"], 2048),
            ("author", &e["author"]["name"], 256),
        ];
        for (field, v, max) in checks {
            let n = chars(v);
            total += n;
            if n > max {
                let path: Vec<&str> = if field == "footer" || field == "author" {
                    vec![
                        "embeds",
                        &i,
                        field,
                        if field == "footer" { "text" } else { "name" },
                    ]
                } else {
                    vec!["embeds", &i, field]
                };
                out.push(too_long(ViolationKind::EmbedLimit, &path, max));
            }
        }
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            out.push(too_long(
                ViolationKind::EmbedLimit,
                &["embeds", &i, "fields"],
                25,
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            let j = j.to_string();
            let (name, value) = (chars(&f["name"]), chars(&f["value"]));
            total += name + value;
            if name > 256 {
                out.push(too_long(
                    ViolationKind::EmbedLimit,
                    &["embeds", &i, "fields", &j, "name"],
                    256,
                ));
            }
            if value > 1024 {
                out.push(too_long(
                    ViolationKind::EmbedLimit,
                    &["embeds", &i, "fields", &j, "value"],
                    1024,
                ));
            }
        }
    }
    if total > 6000 {
        out.push(Problem {
            kind: ViolationKind::EmbedLimit,
            path: vec!["embeds".into()],
            code: "MAX_EMBED_SIZE_EXCEEDED",
            message: "Embed size exceeds maximum size of 6000".into(),
        });
    }
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        out.push(too_long(ViolationKind::ComponentLimit, &["components"], 5));
    }
    for (i, row) in rows.iter().enumerate() {
        let i = i.to_string();
        let items = row["components"].as_array().cloned().unwrap_or_default();
        if row["type"].as_u64() != Some(1) {
            out.push(Problem {
                kind: ViolationKind::ComponentLimit,
                path: vec!["components".into(), i.clone(), "type".into()],
                code: "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                message: "top-level components must be action rows (type 1)".into(),
            });
        }
        if items.len() > 5 {
            out.push(too_long(
                ViolationKind::ComponentLimit,
                &["components", &i, "components"],
                5,
            ));
        }
        for (j, c) in items.iter().enumerate() {
            let j = j.to_string();
            if chars(&c["custom_id"]) > 100 {
                out.push(too_long(
                    ViolationKind::ComponentLimit,
                    &["components", &i, "components", &j, "custom_id"],
                    100,
                ));
            }
            if chars(&c["label"]) > 80 {
                out.push(too_long(
                    ViolationKind::ComponentLimit,
                    &["components", &i, "components", &j, "label"],
                    80,
                ));
            }
            let link = c["style"].as_u64() == Some(5);
            if c["type"].as_u64() == Some(2) && !link && chars(&c["custom_id"]) == 0 {
                out.push(Problem {
                    kind: ViolationKind::ComponentLimit,
                    path: vec![
                        "components".into(),
                        i.clone(),
                        "components".into(),
                        j,
                        "custom_id".into(),
                    ],
                    code: "BASE_TYPE_REQUIRED",
                    message: "This field is required".into(),
                });
            }
        }
    }
    let empty = chars(&body["content"]) == 0
        && embeds.is_empty()
        && rows.is_empty()
        && body["sticker_ids"].as_array().is_none_or(Vec::is_empty)
        && body["attachments"].as_array().is_none_or(Vec::is_empty);
    if empty && out.is_empty() {
        out.push(Problem {
            kind: ViolationKind::EmptyMessage,
            path: vec![],
            code: "",
            message: "Cannot send an empty message".into(),
        });
    }
    out
}

const LOCALES: &[&str] = &[
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

fn valid_command_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name
            .chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
}

/// Discord's rules for chat-input commands and their options, localizations included.
fn validate_command(c: &Value, errors: &mut Map<String, Value>) {
    let chat_input = c["type"].as_u64().unwrap_or(1) == 1;
    check_name_and_description(c, chat_input, errors);
    if let Some(opts) = c["options"].as_array() {
        validate_options(opts, errors);
    }
}

fn check_name_and_description(c: &Value, chat_input: bool, errors: &mut Map<String, Value>) {
    let name = c["name"].as_str().unwrap_or_default();
    if chat_input && !valid_command_name(name) {
        errors.insert("name".into(), json!({"_errors": err_list("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")}));
    }
    let d = chars(&c["description"]);
    if chat_input && !(1..=100).contains(&d) {
        errors.insert("description".into(), json!({"_errors": err_list("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")}));
    }
    for (field, is_name) in [
        ("name_localizations", true),
        ("description_localizations", false),
    ] {
        let Some(map) = c[field].as_object() else {
            continue;
        };
        let mut e = Map::new();
        for (locale, v) in map {
            let s = v.as_str().unwrap_or_default();
            let bad_value = if is_name {
                chat_input && !valid_command_name(s)
            } else {
                !(1..=100).contains(&s.chars().count())
            };
            if !LOCALES.contains(&locale.as_str()) {
                e.insert(
                    locale.clone(),
                    json!({"_errors": err_list("LOCALE_INVALID", "Invalid locale")}),
                );
            } else if bad_value {
                e.insert(locale.clone(), json!({"_errors": err_list("APPLICATION_COMMAND_INVALID_LOCALIZATION", "Invalid localized value")}));
            }
        }
        if !e.is_empty() {
            errors.insert(field.into(), Value::Object(e));
        }
    }
}

fn validate_options(opts: &[Value], errors: &mut Map<String, Value>) {
    let mut oe = Map::new();
    if opts.len() > 25 {
        oe.insert(
            "_errors".into(),
            err_list("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
        );
    }
    let mut seen_optional = false;
    for (i, o) in opts.iter().enumerate() {
        let mut e = Map::new();
        check_name_and_description(o, true, &mut e);
        let required = o["required"].as_bool().unwrap_or(false);
        if required && seen_optional {
            e.insert("required".into(), json!({"_errors": err_list("APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")}));
        }
        seen_optional |= !required && !matches!(o["type"].as_u64(), Some(1 | 2));
        if o["choices"].as_array().is_some_and(|c| c.len() > 25) {
            e.insert("choices".into(), json!({"_errors": err_list("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")}));
        }
        if let Some(sub) = o["options"].as_array() {
            validate_options(sub, &mut e);
        }
        if !e.is_empty() {
            oe.insert(i.to_string(), Value::Object(e));
        }
    }
    if !oe.is_empty() {
        errors.insert("options".into(), Value::Object(oe));
    }
}

/// What Discord refuses in an autocomplete result: more than 25 choices, a name outside
/// 1–100 characters, a string value over 100 characters.
fn autocomplete_problems(data: &Value) -> Option<String> {
    let Some(choices) = data["choices"].as_array() else {
        return Some("an autocomplete result needs a choices array".into());
    };
    if choices.len() > 25 {
        return Some(format!("{} choices; at most 25", choices.len()));
    }
    for (i, choice) in choices.iter().enumerate() {
        let name = chars(&choice["name"]);
        if !(1..=100).contains(&name) {
            return Some(format!("choices[{i}].name has {name} characters; 1 to 100"));
        }
        match &choice["value"] {
            Value::String(value) if value.chars().count() > 100 => {
                return Some(format!("choices[{i}].value is over 100 characters"));
            }
            Value::String(_) | Value::Number(_) => {}
            other => return Some(format!("choices[{i}].value is {other}; a string or number")),
        }
    }
    None
}

fn err_list(code: &str, message: &str) -> Value {
    json!([{"code": code, "message": message}])
}

fn insert_error(errors: &mut Map<String, Value>, path: &[String], code: &str, message: &str) {
    let mut node = errors;
    for key in path {
        let entry = node.entry(key.clone()).or_insert_with(|| json!({}));
        let Some(obj) = entry.as_object_mut() else {
            return;
        };
        node = obj;
    }
    let list = node.entry("_errors").or_insert_with(|| json!([]));
    if let Some(a) = list.as_array_mut() {
        a.push(json!({"code": code, "message": message}));
    }
}

/// What Discord does to a text channel name: lowercase, spaces to dashes, other characters
/// outside letters, digits, `-` and `_` removed.
pub fn sanitize_text_channel_name(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect()
}

fn normalize_embeds(v: &Value) -> Vec<Value> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if e.get("type").is_none() {
                        e["type"] = json!("rich");
                    }
                    e
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Discord answers overwrite ids and permission sets as strings, whatever the request used.
fn normalize_overwrites(v: &Value) -> Value {
    let list = v.as_array().cloned().unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|o| {
                json!({
                    "id": id_string(&o["id"]),
                    "type": o["type"].as_u64().unwrap_or(0),
                    "allow": id_string(&o["allow"]).parse::<u64>().unwrap_or(0).to_string(),
                    "deny": id_string(&o["deny"]).parse::<u64>().unwrap_or(0).to_string(),
                })
            })
            .collect(),
    )
}

fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn id_opt(v: &Value) -> Option<u64> {
    id_string(v).parse().ok()
}

fn infer_option_type(v: &Value) -> u64 {
    match v {
        Value::Bool(_) => 5,
        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
        Value::Number(_) => 10,
        _ => 3,
    }
}

fn allowed_mentions_of(body: &Value) -> Option<Value> {
    body.get("allowed_mentions")
        .filter(|v| !v.is_null())
        .cloned()
}

/// What `content` would ping under `allowed` (see [`Pings`]). A backslash before `<@` or
/// `@everyone` escapes it, as on Discord.
fn pings(content: &str, allowed: Option<&Value>) -> Pings {
    let mut parsed = Pings::default();
    let chars: Vec<char> = content.chars().collect();
    for i in 0..chars.len() {
        if i > 0 && chars[i - 1] == '\\' {
            continue;
        }
        let rest: String = chars[i + 1..].iter().collect();
        match chars[i] {
            '@' if rest.starts_with("everyone") || rest.starts_with("here") => {
                parsed.everyone = true;
            }
            '<' => {
                let (role, tail) = if let Some(t) = rest.strip_prefix("@&") {
                    (true, t)
                } else if let Some(t) = rest.strip_prefix("@!") {
                    (false, t)
                } else if let Some(t) = rest.strip_prefix('@') {
                    (false, t)
                } else {
                    continue;
                };
                let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
                let closed = tail[digits.len()..].starts_with('>');
                if let (true, Ok(id)) = (closed, digits.parse::<u64>()) {
                    let list = if role {
                        &mut parsed.roles
                    } else {
                        &mut parsed.users
                    };
                    if !list.contains(&id) {
                        list.push(id);
                    }
                }
            }
            _ => {}
        }
    }
    let Some(allowed) = allowed.filter(|a| !a.is_null()) else {
        return parsed;
    };
    let parse: Vec<&str> = allowed["parse"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let listed = |key: &str| -> Vec<u64> {
        allowed[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| {
                v.as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| v.as_u64())
            })
            .collect()
    };
    let (users, roles) = (listed("users"), listed("roles"));
    Pings {
        users: parsed
            .users
            .into_iter()
            .filter(|u| parse.contains(&"users") || users.contains(u))
            .collect(),
        roles: parsed
            .roles
            .into_iter()
            .filter(|r| parse.contains(&"roles") || roles.contains(r))
            .collect(),
        everyone: parsed.everyone && parse.contains(&"everyone"),
    }
}

/// Ids mentioned as `<@id>` (users; also `<@!id>`) or `<@&id>` (roles) in message content.
fn mentions(content: &str, prefix: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        if prefix == "<@" && rest.starts_with('&') {
            continue;
        }
        let digits: String = rest
            .trim_start_matches('!')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(id) = digits.parse() {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

fn visible_text(content: &str, embeds: &[Value]) -> String {
    let mut parts = vec![content.to_string()];
    for e in embeds {
        for v in [&e["author"]["name"], &e["title"], &e["description"]] {
            parts.push(v.as_str().unwrap_or_default().to_string());
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            parts.push(f["name"].as_str().unwrap_or_default().to_string());
            parts.push(f["value"].as_str().unwrap_or_default().to_string());
        }
        parts.push(e["footer"]["text"].as_str().unwrap_or_default().to_string());
    }
    parts.retain(|p| !p.is_empty());
    parts.join("\n")
}

fn custom_ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns a request path into its route template (ids replaced by `{id}`, `{mid}`…) and the
/// parameters, and names the major parameter Discord buckets by.
fn route_template(segs: &[&str]) -> (String, HashMap<&'static str, String>, String) {
    let mut out: Vec<String> = Vec::new();
    let mut params = HashMap::new();
    let mut major = String::new();
    let mut i = 0;
    while i < segs.len() {
        let s = segs[i];
        out.push(s.to_string());
        let name: Option<&'static str> = match s {
            "applications" => Some("{app}"),
            "guilds" => Some("{guild}"),
            "channels" => Some("{id}"),
            "messages" | "pins" => Some("{mid}"),
            "commands" => Some("{cmd}"),
            "members" => Some("{user}"),
            "reactions" => Some("{emoji}"),
            "interactions" => Some("{id}"),
            "webhooks" => Some("{app}"),
            _ => None,
        };
        if let Some(name) = name {
            if let Some(next) = segs.get(i + 1).filter(|n| !n.starts_with('@')) {
                out.push(name.to_string());
                params.insert(name, percent_decode(next));
                if major.is_empty() && matches!(s, "guilds" | "channels") {
                    major = next.to_string();
                }
                i += 1;
                if matches!(s, "interactions" | "webhooks") {
                    if let Some(token) = segs.get(i + 1) {
                        out.push("{token}".into());
                        params.insert("{token}", token.to_string());
                        major = token.to_string();
                        i += 1;
                    }
                }
            }
        }
        i += 1;
    }
    (format!("/{}", out.join("/")), params, major)
}

/// Takes one request from a fixed-window bucket; `Err(retry_after)` when it is exhausted.
fn take(
    bucket: &mut Bucket,
    limit: u32,
    window: Duration,
    now: Instant,
) -> Result<(u32, Duration), Duration> {
    let start = match bucket.start {
        Some(s) if now.duration_since(s) < window => s,
        _ => {
            bucket.start = Some(now);
            bucket.count = 0;
            now
        }
    };
    let reset_after = window.saturating_sub(now.duration_since(start));
    if bucket.count >= limit {
        return Err(reset_after);
    }
    bucket.count += 1;
    Ok((limit - bucket.count, reset_after))
}

fn too_many(retry: Duration, global: bool, scope: &str) -> Answer {
    let secs = (retry.as_secs_f64() * 1000.0).ceil() / 1000.0;
    let mut a = Answer::json(
        429,
        json!({"message": "You are being rate limited.", "retry_after": secs, "global": global}),
    );
    a.headers.push(("retry-after".into(), format!("{secs:.3}")));
    a.headers.push(("x-ratelimit-scope".into(), scope.into()));
    if global {
        a.headers.push(("x-ratelimit-global".into(), "true".into()));
    }
    a
}

fn epoch_secs_after(d: Duration) -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |n| (n + d).as_secs_f64())
}

/// Pulls `payload_json` out of a multipart body (messages with attachments).
fn multipart_payload(body: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(body);
    let at = text.find("name=\"payload_json\"")?;
    let rest = &text[at..];
    let start = rest.find("\r\n\r\n")? + 4;
    let end = rest[start..].find("\r\n--")? + start;
    serde_json::from_str(&rest[start..end]).ok()
}

async fn rest(
    AxumState(sh): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let segs = match segs.as_slice() {
        ["api", v, rest @ ..] if v.starts_with('v') => rest.to_vec(),
        other => other.to_vec(),
    };
    let (template, params, major) = route_template(&segs);
    let route = format!("{} {}", method.as_str(), template);
    let multipart = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    let body_json = if multipart {
        multipart_payload(&body).unwrap_or(Value::Null)
    } else if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };

    let failure = {
        let mut st = sh.lock();
        match st.failure {
            Some((_, until)) if Instant::now() >= until => {
                st.failure = None;
                None
            }
            f => f,
        }
    };
    let exempt = route == "GET /gateway";
    let forbidden = template.starts_with("/channels/")
        && params
            .get("{id}")
            .and_then(|id| id.parse::<u64>().ok())
            .is_some_and(|id| sh.lock().forbidden_channels.contains(&id));
    let answer = match failure {
        _ if forbidden => Answer::error(403, 50001, "Missing Access"),
        Some((mode, until)) if !exempt => {
            if mode == FailMode::Hang {
                tokio::time::sleep_until(until.into()).await;
            }
            match mode {
                FailMode::Status500 => Answer::error(500, 0, "500: Internal Server Error"),
                FailMode::Status503 | FailMode::Hang => Answer::error(
                    503,
                    0,
                    "upstream connect error or disconnect/reset before headers",
                ),
                FailMode::Status401 => Answer::error(401, 0, "401: Unauthorized"),
                FailMode::Status403 => Answer::error(403, 50013, "Missing Permissions"),
                FailMode::Status400Invalid => Answer::form(json!({
                    "content": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be 2000 or fewer in length."}]}
                })),
            }
        }
        _ => {
            let mut st = sh.lock();
            let st = &mut *st;
            let now = Instant::now();
            // Interaction callbacks and follow-ups are not bound by the global limit.
            let global_exempt = exempt
                || template.starts_with("/interactions/")
                || template.starts_with("/webhooks/");
            let global = if global_exempt {
                Ok((sh.cfg.global_limit, sh.cfg.global_window))
            } else {
                take(
                    &mut st.global,
                    sh.cfg.global_limit,
                    sh.cfg.global_window,
                    now,
                )
            };
            match global {
                Err(retry) => {
                    st.rate_limited += 1;
                    *st.rate_limited_by_bucket
                        .entry("global".to_owned())
                        .or_default() += 1;
                    if sh.cfg.rate_limit_is_violation {
                        sh.violate(st, ViolationKind::RateLimited, &route, "global rate limit");
                    }
                    let mut a = too_many(retry, true, "global");
                    a.headers
                        .push(("x-ratelimit-limit".into(), sh.cfg.global_limit.to_string()));
                    a.headers.push(("x-ratelimit-remaining".into(), "0".into()));
                    a.headers.push((
                        "x-ratelimit-reset-after".into(),
                        format!("{:.3}", retry.as_secs_f64()),
                    ));
                    a.headers.push((
                        "x-ratelimit-reset".into(),
                        format!("{:.3}", epoch_secs_after(retry)),
                    ));
                    a
                }
                Ok((g_remaining, g_reset)) => {
                    let limit = sh
                        .cfg
                        .route_limits
                        .iter()
                        .find(|l| l.route == route)
                        .cloned();
                    let bucket = match &limit {
                        Some(l) => {
                            let key = format!("{route} {major}");
                            let b = st.buckets.entry(key).or_default();
                            take(b, l.limit, l.window, now)
                                .map(|(rem, reset)| (l.limit, rem, reset))
                        }
                        None => Ok((sh.cfg.global_limit, g_remaining, g_reset)),
                    };
                    match bucket {
                        Err(retry) => {
                            st.rate_limited += 1;
                            *st.rate_limited_by_bucket
                                .entry(format!("{route} {major}"))
                                .or_default() += 1;
                            if sh.cfg.rate_limit_is_violation {
                                sh.violate(
                                    st,
                                    ViolationKind::RateLimited,
                                    &route,
                                    "route rate limit",
                                );
                            }
                            let mut a = too_many(retry, false, "user");
                            a.headers.push((
                                "x-ratelimit-limit".into(),
                                limit.map_or(0, |l| l.limit).to_string(),
                            ));
                            a.headers.push(("x-ratelimit-remaining".into(), "0".into()));
                            a.headers.push((
                                "x-ratelimit-reset-after".into(),
                                format!("{:.3}", retry.as_secs_f64()),
                            ));
                            a.headers.push((
                                "x-ratelimit-reset".into(),
                                format!("{:.3}", epoch_secs_after(retry)),
                            ));
                            a.headers
                                .push(("x-ratelimit-bucket".into(), bucket_hash(&route)));
                            a
                        }
                        Ok((lim, remaining, reset)) => {
                            let mut a = sh.handle(st, &route, &params, &body_json, &query);
                            if !a.headers.iter().any(|(k, _)| k == "retry-after") {
                                a.headers
                                    .push(("x-ratelimit-limit".into(), lim.to_string()));
                                a.headers
                                    .push(("x-ratelimit-remaining".into(), remaining.to_string()));
                                a.headers.push((
                                    "x-ratelimit-reset-after".into(),
                                    format!("{:.3}", reset.as_secs_f64()),
                                ));
                                a.headers.push((
                                    "x-ratelimit-reset".into(),
                                    format!("{:.3}", epoch_secs_after(reset)),
                                ));
                                a.headers
                                    .push(("x-ratelimit-bucket".into(), bucket_hash(&route)));
                            }
                            a
                        }
                    }
                }
            }
        }
    };
    {
        let mut st = sh.lock();
        let at = sh.since();
        st.calls.push(Call {
            method: method.as_str().to_string(),
            route,
            path,
            status: answer.status,
            at,
        });
    }
    into_response(answer)
}

fn bucket_hash(route: &str) -> String {
    // A stable opaque id per bucket, like Discord's bucket hashes: the fake counts each
    // route (method and template) apart, so each has its own hash.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in route.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

fn into_response(a: Answer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match a.body {
        Some(b) => (
            status,
            [("content-type", "application/json")],
            b.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    };
    for (k, v) in a.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

// ---- Gateway ----

async fn gateway_upgrade(ws: WebSocketUpgrade, AxumState(sh): AxumState<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| gateway_conn(socket, sh))
}

async fn gateway_conn(mut socket: WebSocket, sh: Arc<Shared>) {
    let conn = sh.id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut st = sh.lock();
        st.conns.insert(conn, tx);
        st.connections_opened += 1;
    }
    let hello = json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": sh.cfg.heartbeat_interval_ms, "_trace": []}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_ok()
    {
        loop {
            tokio::select! {
                incoming = socket.recv() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => gateway_op(&sh, conn, text.as_str()),
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
                out = rx.recv() => match out {
                    Some(Out::Frame(frame)) => {
                        if socket.send(WsMessage::Text(frame.into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Out::Close(code, reason)) => {
                        let frame = CloseFrame { code, reason: reason.into() };
                        let _ = socket.send(WsMessage::Close(Some(frame))).await;
                        break;
                    }
                    Some(Out::Reset) | None => break,
                },
            }
        }
    }
    let mut st = sh.lock();
    st.conns.remove(&conn);
    for s in st.sessions.values_mut() {
        if s.conn == Some(conn) {
            s.conn = None;
        }
    }
}

fn send_to(st: &State, conn: u64, frame: Value) {
    if let Some(tx) = st.conns.get(&conn) {
        let _ = tx.send(Out::Frame(frame.to_string()));
    }
}

fn gateway_op(sh: &Shared, conn: u64, text: &str) {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        if let Some(tx) = sh.lock().conns.get(&conn) {
            let _ = tx.send(Out::Close(4002, "Error while decoding payload."));
        }
        return;
    };
    let mut st = sh.lock();
    let st = &mut *st;
    match v["op"].as_u64() {
        Some(1) => {
            st.heartbeats += 1;
            send_to(st, conn, json!({"op": 11, "s": null, "t": null, "d": null}));
        }
        Some(2) => {
            let intents = v["d"]["intents"].as_u64().unwrap_or(0);
            st.identifies.push((intents, sh.since()));
            let disallowed = intents & PRIVILEGED_INTENTS & !sh.cfg.allowed_privileged_intents;
            if disallowed != 0 {
                let detail =
                    format!("privileged intents {disallowed:#x} not enabled for the application");
                sh.violate(
                    st,
                    ViolationKind::DisallowedIntent,
                    "gateway IDENTIFY",
                    &detail,
                );
                if let Some(tx) = st.conns.get(&conn) {
                    let _ = tx.send(Out::Close(4014, "Disallowed intent(s)."));
                }
                return;
            }
            let sid = format!("fake-session-{}", sh.id());
            st.sessions.insert(
                sid.clone(),
                Session {
                    seq: 0,
                    log: VecDeque::new(),
                    conn: Some(conn),
                    intents,
                },
            );
            st.current_session = Some(sid.clone());
            let shard = if v["d"]["shard"].is_array() {
                v["d"]["shard"].clone()
            } else {
                json!([0, 1])
            };
            let ready = json!({
                "v": 10,
                "user": sh.bot_user_json(),
                "guilds": [{"id": sh.cfg.guild_id.to_string(), "unavailable": true}],
                "session_id": sid,
                "resume_gateway_url": sh.gateway_url(),
                "shard": shard,
                "application": {"id": sh.cfg.application_id.to_string(), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "session_type": "normal",
                "auth_session_id_hash": "",
                "_trace": [],
            });
            sh.dispatch(st, &sid, "READY", ready);
            if intents & INTENT_GUILDS != 0 {
                let guild = sh.guild_json(st, true);
                sh.dispatch(st, &sid, "GUILD_CREATE", guild);
            }
            for (t, d) in std::mem::take(&mut st.pending) {
                sh.dispatch(st, &sid, &t, d);
            }
        }
        Some(6) => {
            let sid = v["d"]["session_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let seq = v["d"]["seq"].as_u64().unwrap_or(0);
            let resumable = sh.cfg.resume_supported && st.sessions.contains_key(&sid);
            if !resumable {
                send_to(st, conn, json!({"op": 9, "s": null, "t": null, "d": false}));
                return;
            }
            st.resumes += 1;
            st.current_session = Some(sid.clone());
            let replay: Vec<String> = match st.sessions.get_mut(&sid) {
                Some(s) => {
                    s.conn = Some(conn);
                    s.log
                        .iter()
                        .filter(|(n, _)| *n > seq)
                        .map(|(_, f)| f.clone())
                        .collect()
                }
                None => Vec::new(),
            };
            if let Some(tx) = st.conns.get(&conn) {
                for f in replay {
                    let _ = tx.send(Out::Frame(f));
                }
            }
            sh.dispatch(st, &sid, "RESUMED", json!({"_trace": []}));
        }
        // Presence updates, voice state and member requests are accepted and ignored.
        _ => {}
    }
}
