//! The built-in console chat: rooms and messages inside warroom, served over the console API.
//! It is the default when no Discord token is configured and the surface integration tests
//! drive. Its state lives in a sled tree beside the store so rooms survive restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::chat::{Button, ChatError, ChatPort, Field, OutgoingMessage, RichText};
use crate::domain::emoji::MAX_REACTIONS_PER_MESSAGE;
use crate::domain::ids::{IncidentId, MessageId, RoomId, UserId};
use crate::store::AdapterTree;

/// The room that exists from the start, for commands that belong to no incident.
pub const GENERAL_ROOM: &str = "general";
/// Alerts below the incident threshold are posted here.
pub const ALERTS_ROOM: &str = "alerts";
pub const BOT_AUTHOR: &str = "warroom";
/// The longest text a person may type into a room: a Discord message's limit, so the
/// console takes what chat takes (the longest command, a note, fits well within it).
pub const MAX_TYPED_CHARS: usize = crate::chat::discord::MAX_CONTENT_CHARS;
/// A person's direct messages go to room `dm-<user id>`, which only that person can list,
/// read or type in.
pub const DIRECT_ROOM_PREFIX: &str = "dm-";
/// The first room id after every `dm-…` id (`.` follows `-`): listing skips other people's
/// direct rooms by jumping here, so a page costs the same however many there are.
const AFTER_DIRECT_ROOMS: &str = "dm.";

/// The room `user`'s direct messages go to.
pub fn direct_room(user: &UserId) -> String {
    format!("{DIRECT_ROOM_PREFIX}{}", user.0)
}

/// Whether `reader` (a person's id; `None` for the read-only integration token) may see
/// room `room`: every room but another person's direct messages.
pub fn room_visible_to(room: &str, reader: Option<&UserId>) -> bool {
    match room.strip_prefix(DIRECT_ROOM_PREFIX) {
        Some(owner) => reader.is_some_and(|reader| reader.0 == owner),
        None => true,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleRoom {
    pub id: String,
    pub name: String,
    pub topic: String,
    pub incident: Option<IncidentId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleMessage {
    pub id: String,
    pub room: String,
    pub author: String,
    pub text: String,
    pub fields: Vec<Field>,
    pub buttons: Vec<Button>,
    pub pinned: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Emoji → the users who reacted with it.
    pub reactions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("no room {0}")]
    NoRoom(String),
    #[error("no message {0}")]
    NoMessage(String),
    #[error("console storage failed: {0}")]
    Storage(String),
    #[error("a message holds at most {0} different reactions")]
    TooManyReactions(u32),
    #[error("typed text holds at most {max} characters; this has {chars}")]
    TypedTooLong { max: usize, chars: usize },
}

#[derive(Default)]
struct State {
    rooms: BTreeMap<String, ConsoleRoom>,
    /// Message ids per room, oldest first.
    room_messages: HashMap<String, Vec<u64>>,
    messages: BTreeMap<u64, ConsoleMessage>,
    /// Idempotency keys of delivered posts and rooms → the id they produced: a cache of the
    /// tree's `key:` records, emptied when it grows past [`MAX_KEYS_IN_MEMORY`].
    keys: HashMap<String, String>,
    next_message: u64,
}

pub struct ConsoleChat {
    state: Mutex<State>,
    /// The console's tree, by name: it follows the store when the store re-opens.
    tree: AdapterTree,
    /// The store generation `state` was read under. After a re-open (a storage failure)
    /// the memory may hold writes the disk never got, so it is read again from the tree.
    generation: AtomicU64,
    /// Hears every stored message (the web console's live pages); set once at start.
    live: std::sync::OnceLock<std::sync::Arc<crate::live::LiveFeed>>,
}

impl std::fmt::Debug for ConsoleChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleChat").finish_non_exhaustive()
    }
}

impl ConsoleChat {
    /// Loads the console's rooms and messages from `tree` and makes sure `general` exists.
    pub fn open(tree: AdapterTree, now: DateTime<Utc>) -> Result<ConsoleChat, ConsoleError> {
        let generation = tree.generation();
        let state = load_state(&tree)?;
        let console = ConsoleChat {
            state: Mutex::new(state),
            tree,
            generation: AtomicU64::new(generation),
            live: std::sync::OnceLock::new(),
        };
        for room in [GENERAL_ROOM, ALERTS_ROOM] {
            if console.room(room).is_none() {
                console.insert_room(ConsoleRoom {
                    id: room.to_owned(),
                    name: room.to_owned(),
                    topic: String::new(),
                    incident: None,
                    created_at: now,
                })?;
            }
        }
        Ok(console)
    }

    pub fn room(&self, id: &str) -> Option<ConsoleRoom> {
        self.lock().rooms.get(id).cloned()
    }

    /// Up to `limit` rooms `reader` may see (see [`room_visible_to`]) whose ids sort after
    /// `after`, in id order, and whether more follow: ranges of the map, whatever the number
    /// of rooms. Other people's direct rooms sort together and are skipped in one jump.
    pub fn rooms_page(
        &self,
        after: &str,
        limit: usize,
        reader: Option<&UserId>,
    ) -> (Vec<ConsoleRoom>, bool) {
        use std::ops::Bound;
        let own = reader.map(direct_room);
        let state = self.lock();
        let want = limit.saturating_add(1);
        let mut page: Vec<ConsoleRoom> = Vec::new();
        let mut lower: Bound<&str> = Bound::Excluded(after);
        while page.len() < want {
            let Some((id, room)) = state
                .rooms
                .range::<str, _>((lower, Bound::Unbounded))
                .next()
            else {
                break;
            };
            if !room_visible_to(id, reader) {
                // Someone else's direct room: jump to the reader's own when it lies ahead,
                // else past every direct room. Either target sorts after `id`, itself after
                // `after`, so the walk only moves forward.
                lower = match own.as_deref() {
                    Some(own) if own > id.as_str() => Bound::Included(own),
                    _ => Bound::Included(AFTER_DIRECT_ROOMS),
                };
                continue;
            }
            page.push(room.clone());
            lower = Bound::Excluded(id);
        }
        let more = page.len() > limit;
        page.truncate(limit);
        (page, more)
    }

    /// Up to `limit` messages of `room` numbered after `after`, oldest first, and whether
    /// more follow; `None` when there is no such room. Finds the start by binary search, so a
    /// page costs the same in a room of ten messages or of a million.
    pub fn messages_page(
        &self,
        room: &str,
        after: u64,
        limit: usize,
    ) -> Option<(Vec<ConsoleMessage>, bool)> {
        let state = self.lock();
        state.rooms.get(room)?;
        let numbers = state
            .room_messages
            .get(room)
            .map(Vec::as_slice)
            .unwrap_or_default();
        // Numbers only grow, so each room's list is sorted.
        let start = numbers.partition_point(|number| *number <= after);
        let mut page: Vec<ConsoleMessage> = numbers[start..]
            .iter()
            .take(limit.saturating_add(1))
            .filter_map(|number| self.stored_message(&state, *number))
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        Some((page, more))
    }

    pub fn message(&self, id: &str) -> Option<ConsoleMessage> {
        let number = message_number(id)?;
        let state = self.lock();
        self.stored_message(&state, number)
    }

    /// A message from memory, or, when it is older than what memory keeps, from the tree.
    fn stored_message(&self, state: &State, number: u64) -> Option<ConsoleMessage> {
        if let Some(message) = state.messages.get(&number) {
            return Some(message.clone());
        }
        match self.tree.get(&message_key(number)) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes)
                .inspect_err(|error| warn!(number, %error, "Unreadable console message skipped."))
                .ok(),
            Ok(None) => None,
            Err(error) => {
                warn!(number, %error, "Cannot read an older console message.");
                None
            }
        }
    }

    /// Records `user`'s reaction; returns the message and whether the reaction is new.
    pub fn react(
        &self,
        message: &str,
        user: &UserId,
        emoji: &str,
    ) -> Result<(ConsoleMessage, bool), ConsoleError> {
        let number =
            message_number(message).ok_or_else(|| ConsoleError::NoMessage(message.to_owned()))?;
        let mut state = self.lock();
        let mut snapshot = self
            .stored_message(&state, number)
            .ok_or_else(|| ConsoleError::NoMessage(message.to_owned()))?;
        let already = snapshot
            .reactions
            .get(emoji)
            .is_some_and(|users| users.contains(&user.0));
        if already {
            return Ok((snapshot, false));
        }
        // Discord keeps at most this many different reactions on a message; so does the console.
        if !snapshot.reactions.contains_key(emoji)
            && snapshot.reactions.len() >= MAX_REACTIONS_PER_MESSAGE as usize
        {
            return Err(ConsoleError::TooManyReactions(MAX_REACTIONS_PER_MESSAGE));
        }
        snapshot
            .reactions
            .entry(emoji.to_owned())
            .or_default()
            .push(user.0.clone());
        // Stored first, shown after: a reaction the disk refused is never visible.
        self.persist_message(&snapshot)?;
        remember_message(&mut state, number, snapshot.clone());
        self.publish_live(&state, &snapshot, true);
        Ok((snapshot, true))
    }

    fn insert_room(&self, room: ConsoleRoom) -> Result<(), ConsoleError> {
        let bytes = serde_json::to_vec(&room).map_err(|e| ConsoleError::Storage(e.to_string()))?;
        self.tree
            .insert(&format!("room:{}", room.id), &bytes)
            .map_err(|e| ConsoleError::Storage(e.to_string()))?;
        self.lock().rooms.insert(room.id.clone(), room);
        Ok(())
    }

    fn persist_message(&self, message: &ConsoleMessage) -> Result<(), ConsoleError> {
        let bytes =
            serde_json::to_vec(message).map_err(|e| ConsoleError::Storage(e.to_string()))?;
        let number = message_number(&message.id).unwrap_or_default();
        self.tree
            .insert(&message_key(number), &bytes)
            .map_err(|e| ConsoleError::Storage(e.to_string()))?;
        Ok(())
    }

    fn remember_key(&self, key: &str, value: &str) -> Result<(), ConsoleError> {
        self.tree
            .insert(&format!("key:{key}"), value.as_bytes())
            .map_err(|e| ConsoleError::Storage(e.to_string()))?;
        let mut state = self.lock();
        if state.keys.len() >= MAX_KEYS_IN_MEMORY {
            // Every key is in the tree too: forgetting the cache loses nothing.
            state.keys.clear();
        }
        state.keys.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn known_key(&self, key: &str) -> Option<String> {
        if let Some(value) = self.lock().keys.get(key) {
            return Some(value.clone());
        }
        match self.tree.get(&format!("key:{key}")) {
            Ok(value) => value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
            Err(error) => {
                warn!(%error, "Cannot read a console delivery key.");
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-written in a way that
        // matters more than losing the console entirely, so keep serving.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.tree.generation();
        if self.generation.load(Ordering::Acquire) != current {
            match load_state(&self.tree) {
                Ok(fresh) => {
                    *state = fresh;
                    self.generation.store(current, Ordering::Release);
                }
                // Still failing: keep serving what is in memory; the next call tries again.
                Err(error) => warn!(%error, "Cannot re-read the console after a store re-open."),
            }
        }
        state
    }
}

/// Reads every room, message and delivery key from the console's tree.
fn load_state(tree: &AdapterTree) -> Result<State, ConsoleError> {
    let mut state = State::default();
    let entries = tree
        .entries()
        .map_err(|e| ConsoleError::Storage(e.to_string()))?;
    for (key, value) in entries {
        let key = String::from_utf8_lossy(&key).into_owned();
        let parsed = if let Some(id) = key.strip_prefix("room:") {
            serde_json::from_slice::<ConsoleRoom>(&value).map(|room| {
                state.rooms.insert(id.to_owned(), room);
            })
        } else if key.starts_with("msg:") {
            serde_json::from_slice::<ConsoleMessage>(&value).map(|message| {
                if let Some(number) = message_number(&message.id) {
                    state.next_message = state.next_message.max(number);
                    // Keys come in number order, so each room's list stays sorted.
                    state
                        .room_messages
                        .entry(message.room.clone())
                        .or_default()
                        .push(number);
                    remember_message(&mut state, number, message);
                }
            })
        } else if key.starts_with("key:") {
            // Delivery keys are read from the tree when asked for; memory caches new ones.
            Ok(())
        } else {
            Ok(())
        };
        if let Err(error) = parsed {
            warn!(key, %error, "Unreadable console record skipped.");
        }
    }
    Ok(state)
}

/// How many messages (the newest) the console keeps in memory; older ones are read from its
/// tree when asked for, so a long history costs disk, not memory.
pub const MAX_MESSAGES_IN_MEMORY: usize = 10_000;

/// How many delivery keys the console caches in memory before it starts over.
const MAX_KEYS_IN_MEMORY: usize = 10_000;

fn message_key(number: u64) -> String {
    format!("msg:{number:020}")
}

/// Puts a message in memory and forgets the oldest beyond [`MAX_MESSAGES_IN_MEMORY`].
fn remember_message(state: &mut State, number: u64, message: ConsoleMessage) {
    state.messages.insert(number, message);
    while state.messages.len() > MAX_MESSAGES_IN_MEMORY {
        state.messages.pop_first();
    }
}

fn message_number(id: &str) -> Option<u64> {
    id.strip_prefix('m')?.parse().ok()
}

/// The console shows text as typed (its pages escape HTML); people by name, calls as `@name`.
fn plain_fields(message: &OutgoingMessage) -> Vec<Field> {
    message
        .fields
        .iter()
        .map(|field| Field {
            name: field.name.plain(),
            value: field.value.plain(),
        })
        .collect()
}

fn storage(error: ConsoleError) -> ChatError {
    ChatError::Unavailable(error.to_string())
}

#[async_trait]
impl ChatPort for ConsoleChat {
    async fn open_room(
        &self,
        key: &str,
        incident: IncidentId,
        name: &str,
        topic: &RichText,
        _members: &[UserId],
    ) -> Result<RoomId, ChatError> {
        if let Some(room) = self.known_key(key) {
            return Ok(RoomId(room));
        }
        let id = incident.to_string().to_ascii_lowercase();
        self.insert_room(ConsoleRoom {
            id: id.clone(),
            name: name.to_owned(),
            topic: topic.plain(),
            incident: Some(incident),
            created_at: Utc::now(),
        })
        .map_err(storage)?;
        self.remember_key(key, &id).map_err(storage)?;
        Ok(RoomId(id))
    }

    async fn post(
        &self,
        room: &RoomId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError> {
        if let Some(id) = self.known_key(key) {
            return Ok(MessageId(id));
        }
        let stored = self
            .store_new_message(
                &room.0,
                BOT_AUTHOR,
                message.text.plain(),
                plain_fields(message),
                message.buttons.clone(),
                message.pin,
            )
            .map_err(|error| match error {
                ConsoleError::NoRoom(_) => ChatError::Rejected(format!("no room {room}")),
                other => storage(other),
            })?;
        self.remember_key(key, &stored.id).map_err(storage)?;
        Ok(MessageId(stored.id))
    }

    async fn edit(
        &self,
        _room: &RoomId,
        message: &MessageId,
        content: &OutgoingMessage,
    ) -> Result<(), ChatError> {
        let number = message_number(&message.0)
            .ok_or_else(|| ChatError::Rejected(format!("no message {message}")))?;
        let mut state = self.lock();
        let mut snapshot = self
            .stored_message(&state, number)
            .ok_or_else(|| ChatError::Rejected(format!("no message {message}")))?;
        snapshot.text = content.text.plain();
        snapshot.fields = plain_fields(content);
        snapshot.buttons = content.buttons.clone();
        snapshot.edited_at = Some(Utc::now());
        // Stored first, shown after.
        self.persist_message(&snapshot).map_err(storage)?;
        remember_message(&mut state, number, snapshot.clone());
        self.publish_live(&state, &snapshot, true);
        Ok(())
    }

    fn alerts_room(&self) -> Option<RoomId> {
        Some(RoomId(ALERTS_ROOM.to_owned()))
    }

    /// Posts into room `dm-<user>`, opened on first use; only that person can read it.
    async fn direct(
        &self,
        user: &UserId,
        key: &str,
        message: &OutgoingMessage,
    ) -> Result<MessageId, ChatError> {
        if let Some(id) = self.known_key(key) {
            return Ok(MessageId(id));
        }
        let room = direct_room(user);
        if self.room(&room).is_none() {
            self.insert_room(ConsoleRoom {
                id: room.clone(),
                name: room.clone(),
                topic: String::new(),
                incident: None,
                created_at: Utc::now(),
            })
            .map_err(storage)?;
        }
        self.post(&RoomId(room), key, message).await
    }

    /// Announcements go to `general`, the room everyone reads.
    fn announce_room(&self) -> Option<RoomId> {
        Some(RoomId(GENERAL_ROOM.to_owned()))
    }
}

mod web;

#[cfg(test)]
mod tests;
