//! The console API: the built-in chat's rooms and messages (paged), and commands, button
//! presses and reactions, each acting as the person behind the bearer token.

use super::*;
use crate::chat::console::{ConsoleError, room_visible_to};
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

#[derive(Debug, Serialize)]
struct ReplyView {
    ok: bool,
    reply: String,
    incident: Option<IncidentId>,
}

fn reply_view(state: &AppState, person: &Person, reply: CommandReply) -> ReplyView {
    let lines: Vec<String> = reply
        .lines
        .iter()
        .map(|line| state.i18n.render(&person.locale, line))
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
    let command = match parse_typed(&body.text) {
        Ok(command) => command,
        Err(error) => {
            // The command's example under the refusal: where an example helps most.
            let example = crate::domain::command::leaf_typed(&body.text)
                .map(|leaf| crate::domain::message::Msg::new(&leaf.example_id()));
            let reply = CommandReply {
                ok: false,
                lines: std::iter::once(error.to_msg()).chain(example).collect(),
                incident: room.incident,
            };
            return Ok(axum::Json(reply_view(&state, person, reply)).into_response());
        }
    };
    run_command(&state, person, room.incident, command).await
}

async fn run_command(
    state: &AppState,
    person: &Person,
    incident: Option<IncidentId>,
    command: Command,
) -> Result<Response, ApiError> {
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
    Ok((status, axum::Json(reply_view(state, person, reply))).into_response())
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
    let (command, incident) = parse_button(&body.button).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("unknown button \"{}\"", body.button),
        )
    })?;
    run_command(&state, person, Some(incident), command).await
}

pub(super) async fn console_react(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (body, console, person) = console_write::<ReactBody>(&state, &headers, body).await?;
    let emoji = crate::domain::emoji::normalize_reaction(&body.emoji)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    let emoji = emoji.as_str();
    // Someone else's direct message is answered as a message that does not exist.
    if console
        .message(&body.message)
        .is_some_and(|message| !room_visible_to(&message.room, Some(&person.id)))
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no message \"{}\"", body.message),
        ));
    }
    let (message, new) = console
        .react(&body.message, &person.id, emoji)
        .map_err(|error| {
            let status = match &error {
                ConsoleError::NoRoom(_) | ConsoleError::NoMessage(_) => StatusCode::NOT_FOUND,
                ConsoleError::TooManyReactions(_) => StatusCode::CONFLICT,
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
    Ok(
        axum::Json(json!({ "ok": true, "message": message.id, "incident": incident }))
            .into_response(),
    )
}
