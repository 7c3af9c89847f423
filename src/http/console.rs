//! The console API: the built-in chat's rooms and messages (paged), and commands, button
//! presses and reactions, each acting as the person behind the bearer token.

use super::*;
use crate::chat::console::{ConsoleError, ConsoleMessage, room_visible_to};
use crate::http::auth::Caller;

fn console(state: &AppState) -> Result<&Arc<ConsoleChat>, ApiError> {
    state
        .console
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "the console chat is not enabled"))
}

#[derive(Debug, Serialize)]
struct RoomView {
    id: String,
    name: String,
    topic: String,
    incident: Option<IncidentId>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RoomsQuery {
    limit: Option<String>,
    after: Option<String>,
}

/// The person reading (`None` for the integration's read token): direct-message rooms are
/// theirs alone.
fn reader(state: &AppState, headers: &HeaderMap) -> Result<Option<UserId>, ApiError> {
    Ok(match state.credentials.reader(headers)? {
        Caller::Person(id) => Some(id),
        Caller::Reader => None,
    })
}

/// The same answer for a room that does not exist and for someone else's direct room, so
/// nobody learns who received direct messages.
fn no_room(room: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no room \"{room}\""))
}

/// Rooms by id, `limit` (default 100, at most 500) after the room id `after`; header
/// `x-next-after` when more follow. Direct-message rooms are listed to their person only.
pub(super) async fn console_rooms(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RoomsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let limit = parse_page_limit(query.limit.as_deref(), DEFAULT_ROOM_PAGE, MAX_ROOM_PAGE)?;
    let after = query.after.unwrap_or_default();
    let reader = reader(&state, &headers)?;
    let (rooms, more) = console(&state)?.rooms_page(&after, limit, reader.as_ref());
    let page: Vec<RoomView> = rooms
        .into_iter()
        .map(|room| RoomView {
            id: room.id,
            name: room.name,
            topic: room.topic,
            incident: room.incident,
        })
        .collect();
    Ok(paged(&page, more, |last| last.id.clone()))
}

/// A room's messages, oldest first, `limit` (default 100, at most 500) after the message id
/// `after`; header `x-next-after` when more follow. A direct-message room reads only with
/// its person's token.
pub(super) async fn console_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(room): Path<String>,
    query: Result<Query<RoomsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    if !room_visible_to(&room, reader(&state, &headers)?.as_ref()) {
        return Err(no_room(&room));
    }
    let Query(query) = query
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let limit = parse_page_limit(
        query.limit.as_deref(),
        DEFAULT_MESSAGE_PAGE,
        MAX_MESSAGE_PAGE,
    )?;
    // Console message ids are `m` and a number that grows with every message.
    let number = |id: &str| id.strip_prefix('m').and_then(|n| n.parse::<u64>().ok());
    let after = match query.after.as_deref() {
        None | Some("") => 0,
        Some(text) => number(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("after: \"{text}\" is not a message id like m12"),
            )
        })?,
    };
    let Some((page, more)) = console(&state)?.messages_page(&room, after, limit) else {
        return Err(no_room(&room));
    };
    Ok(paged(&page, more, |last| last.id.clone()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommandBody {
    user: Option<String>,
    room: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClickBody {
    user: Option<String>,
    message: String,
    button: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactBody {
    user: Option<String>,
    message: String,
    emoji: String,
}

/// What a command, a button or a reaction answers, on the console API and the web console.
#[derive(Debug, Serialize)]
pub(crate) struct ReplyView {
    pub(crate) ok: bool,
    pub(crate) reply: String,
    pub(crate) incident: Option<IncidentId>,
}

fn reply_view(state: &AppState, locale: &str, reply: CommandReply) -> ReplyView {
    let lines: Vec<String> = reply
        .lines
        .iter()
        .map(|line| state.i18n.render(locale, line))
        .collect();
    ReplyView {
        ok: reply.ok,
        reply: lines.join("\n"),
        incident: reply.incident,
    }
}

/// A console write's body, with the `user` it may name (which must be the token's holder).
trait ConsoleWrite: DeserializeOwned {
    fn claimed_user(&self) -> Option<&str>;
}

impl ConsoleWrite for CommandBody {
    fn claimed_user(&self) -> Option<&str> {
        self.user.as_deref()
    }
}

impl ConsoleWrite for ClickBody {
    fn claimed_user(&self) -> Option<&str> {
        self.user.as_deref()
    }
}

impl ConsoleWrite for ReactBody {
    fn claimed_user(&self) -> Option<&str> {
        self.user.as_deref()
    }
}

/// What every console write does first: refuse a missing or unknown token before reading
/// the body, read and parse the body, and name the acting person (the token's holder).
async fn console_write<'a, T: ConsoleWrite>(
    state: &'a AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(T, &'a Arc<ConsoleChat>, &'a Person), ApiError> {
    state.credentials.precheck(headers)?;
    let bytes = read_json_bytes(
        headers,
        body,
        state.body_limit,
        state.http_limits.body_timeout,
    )
    .await?;
    let body: T = parse_json(&bytes)?;
    let console = console(state)?;
    let person = state
        .credentials
        .actor(&state.people, headers, body.claimed_user())?;
    Ok((body, console, person))
}

pub(super) async fn console_command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (body, console, person) = console_write::<CommandBody>(&state, &headers, body).await?;
    let room = console
        .room(&body.room)
        .filter(|room| room_visible_to(&room.id, Some(&person.id)))
        .ok_or_else(|| no_room(&body.room))?;
    // Over-long text is refused before it is recorded: nothing of it reaches the room.
    if let Some(refusal) = typed_too_long(&state, &person.locale, room.incident, &body.text) {
        return Ok(refusal.into_response());
    }
    // What was typed goes into the room first, as in the web console: everyone reading the
    // room sees who typed what, in order with what it caused.
    let typed = body.text.trim();
    if !typed.is_empty()
        && let Err(error) = console.record_typed(&room.id, &person.id.0, typed)
    {
        warn!(room = %room.id, %error, "A typed command was not recorded in its room.");
    }
    let (status, view) =
        typed_command(&state, person, &person.locale, room.incident, &body.text).await?;
    Ok((status, axum::Json(view)).into_response())
}

/// Runs a command as typed by `person` in the room of `incident` (or a room of none), with
/// the reply in `locale`: 403 when a right is missing. The console API and the web
/// console's command box both come here, so both answer as chat does.
pub(crate) async fn typed_command(
    state: &AppState,
    person: &Person,
    locale: &str,
    incident: Option<IncidentId>,
    text: &str,
) -> Result<(StatusCode, ReplyView), ApiError> {
    if let Some((status, axum::Json(view))) = typed_too_long(state, locale, incident, text) {
        return Ok((status, view));
    }
    let command = match parse_typed(text) {
        Ok(command) => command,
        Err(error) => {
            // The command's example under the refusal: where an example helps most.
            let example = crate::domain::command::leaf_typed(text)
                .map(|leaf| crate::domain::message::Msg::new(&leaf.example_id()));
            let reply = CommandReply {
                ok: false,
                lines: std::iter::once(error.to_msg()).chain(example).collect(),
                incident,
            };
            return Ok((StatusCode::OK, reply_view(state, locale, reply)));
        }
    };
    run_command(state, person, locale, incident, command).await
}

/// The refusal of typed text longer than a chat message may be
/// ([`MAX_TYPED_CHARS`](crate::chat::console::MAX_TYPED_CHARS)): 400 with the reply in
/// `locale`; `None` when it fits. Callers check before recording what was typed.
pub(crate) fn typed_too_long(
    state: &AppState,
    locale: &str,
    incident: Option<IncidentId>,
    text: &str,
) -> Option<(StatusCode, axum::Json<ReplyView>)> {
    let max = crate::chat::console::MAX_TYPED_CHARS;
    let chars = text.trim().chars().count();
    if chars <= max {
        return None;
    }
    let reply = CommandReply {
        ok: false,
        lines: vec![
            crate::domain::message::Msg::new("reply-typed-too-long")
                .number("max", max as u64)
                .number("chars", chars as u64),
        ],
        incident,
    };
    Some((
        StatusCode::BAD_REQUEST,
        axum::Json(reply_view(state, locale, reply)),
    ))
}

/// Runs the command behind button `button` (a card's or a message's) as `person`; the
/// caller has checked that the button is on the message pressed.
pub(crate) async fn button_command(
    state: &AppState,
    person: &Person,
    locale: &str,
    button: &str,
) -> Result<(StatusCode, ReplyView), ApiError> {
    let (command, incident) = parse_button(button).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("unknown button \"{button}\""),
        )
    })?;
    run_command(state, person, locale, Some(incident), command).await
}

async fn run_command(
    state: &AppState,
    person: &Person,
    locale: &str,
    incident: Option<IncidentId>,
    command: Command,
) -> Result<(StatusCode, ReplyView), ApiError> {
    // Console users are the configured people; a role assignee must be one of them too.
    let introduced = match &command {
        Command::AssignRole { user, .. } => state.people.get(user).cloned().into_iter().collect(),
        _ => Vec::new(),
    };
    let reply = state
        .port
        .command(person.clone(), introduced, incident, command)
        .await?;
    // A right the person lacks is a 403, with the same reply for whoever shows it.
    let status = if reply.is_forbidden() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    Ok((status, reply_view(state, locale, reply)))
}

pub(super) async fn console_click(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (body, console, person) = console_write::<ClickBody>(&state, &headers, body).await?;
    let message = console
        .message(&body.message)
        .filter(|message| room_visible_to(&message.room, Some(&person.id)))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no message \"{}\"", body.message),
            )
        })?;
    if !message
        .buttons
        .iter()
        .any(|button| button.id == body.button)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("message {} has no button \"{}\"", body.message, body.button),
        ));
    }
    let (status, view) = button_command(&state, person, &person.locale, &body.button).await?;
    Ok((status, axum::Json(view)).into_response())
}

pub(super) async fn console_react(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (body, console, person) = console_write::<ReactBody>(&state, &headers, body).await?;
    let (message, incident) = react(&state, console, person, &body.message, &body.emoji).await?;
    Ok(
        axum::Json(json!({ "ok": true, "message": message.id, "incident": incident }))
            .into_response(),
    )
}

/// Records `person`'s reaction `emoji` on console message `message_id` and, when it is new
/// on a message of an incident's room, hands it to the engine (✅/❌ on an approval count
/// as a vote). The console API and the web console both come here. Returns the message and
/// its incident.
pub(crate) async fn react(
    state: &AppState,
    console: &ConsoleChat,
    person: &Person,
    message_id: &str,
    emoji: &str,
) -> Result<(ConsoleMessage, Option<IncidentId>), ApiError> {
    let emoji = crate::domain::emoji::normalize_reaction(emoji)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    let emoji = emoji.as_str();
    // Someone else's direct message is answered as a message that does not exist.
    if console
        .message(message_id)
        .is_some_and(|message| !room_visible_to(&message.room, Some(&person.id)))
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no message \"{message_id}\""),
        ));
    }
    let (message, new) = console
        .react(message_id, &person.id, emoji)
        .map_err(|error| {
            let status = match &error {
                ConsoleError::NoRoom(_) | ConsoleError::NoMessage(_) => StatusCode::NOT_FOUND,
                ConsoleError::TooManyReactions(_) => StatusCode::CONFLICT,
                ConsoleError::TypedTooLong { .. } => StatusCode::BAD_REQUEST,
                // The store is failing or re-opening: nothing was recorded; try again.
                ConsoleError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            ApiError::new(status, error.to_string())
        })?;
    let incident = console.room(&message.room).and_then(|room| room.incident);
    if let (true, Some(incident)) = (new, incident) {
        state
            .port
            .reaction(
                incident,
                person.clone(),
                MessageId(message.id.clone()),
                emoji.to_owned(),
            )
            .await?;
    }
    Ok((message, incident))
}
