//! What the web console needs of the console chat beyond the chat port: a room's newest
//! messages paged backwards, reads that fail loudly instead of leaving gaps, what people
//! typed, and the live feed every stored message is published to.

use std::collections::BTreeMap;

use chrono::Utc;
use tracing::warn;

use super::*;

impl ConsoleChat {
    /// The newest `limit` messages of `room` numbered before `before` (the room's newest
    /// when `None`), oldest first, and whether older ones exist; `None` when there is no
    /// such room. Messages older than memory keeps are read from the tree after the lock is
    /// let go, and a failed read is an error, never a gap. Blocking: the web console calls
    /// it on the blocking pool.
    pub fn messages_before(
        &self,
        room: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Option<(Vec<ConsoleMessage>, bool)>, ConsoleError> {
        let (wanted, older) = {
            let state = self.lock();
            if !state.rooms.contains_key(room) {
                return Ok(None);
            }
            let numbers = state
                .room_messages
                .get(room)
                .map(Vec::as_slice)
                .unwrap_or_default();
            // Numbers only grow, so each room's list is sorted.
            let end = before.map_or(numbers.len(), |before| {
                numbers.partition_point(|number| *number < before)
            });
            let start = end.saturating_sub(limit);
            let wanted: Vec<(u64, Option<ConsoleMessage>)> = numbers[start..end]
                .iter()
                .map(|number| (*number, state.messages.get(number).cloned()))
                .collect();
            (wanted, start > 0)
        };
        let mut page = Vec::with_capacity(wanted.len());
        for (number, kept) in wanted {
            match kept {
                Some(message) => page.push(message),
                None => page.extend(self.read_stored_message(number)?),
            }
        }
        Ok(Some((page, older)))
    }

    /// Message `id` like [`ConsoleChat::message`], but a failed read of an older message is
    /// an error, and the tree is read without holding the lock. Blocking.
    pub fn find_message(&self, id: &str) -> Result<Option<ConsoleMessage>, ConsoleError> {
        let Some(number) = message_number(id) else {
            return Ok(None);
        };
        if let Some(message) = self.lock().messages.get(&number).cloned() {
            return Ok(Some(message));
        }
        self.read_stored_message(number)
    }

    /// Message `number` from the tree; an unreadable record is skipped as before.
    fn read_stored_message(&self, number: u64) -> Result<Option<ConsoleMessage>, ConsoleError> {
        let Some(bytes) = self
            .tree
            .get(&message_key(number))
            .map_err(|error| ConsoleError::Storage(error.to_string()))?
        else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes)
            .inspect_err(|error| warn!(number, %error, "Unreadable console message skipped."))
            .ok())
    }

    /// The web console's live feed hears every message stored from now on.
    pub fn set_live(&self, feed: std::sync::Arc<crate::live::LiveFeed>) {
        if self.live.set(feed).is_err() {
            warn!("The console's live feed was set twice; the first one stays.");
        }
    }

    /// Records what a person typed (a command, as typed) in `room`, so everyone reading the
    /// room sees it in order with the bot's messages.
    pub fn record_typed(
        &self,
        room: &str,
        author: &str,
        text: &str,
    ) -> Result<ConsoleMessage, ConsoleError> {
        // Refused here too, not only by the callers: what is typed is kept in memory, on
        // disk, in the live feed and in every open page.
        let chars = text.chars().count();
        if chars > MAX_TYPED_CHARS {
            return Err(ConsoleError::TypedTooLong {
                max: MAX_TYPED_CHARS,
                chars,
            });
        }
        self.store_new_message(room, author, text.to_owned(), Vec::new(), Vec::new(), false)
    }

    /// Numbers, stores and remembers a new message, then tells the live feed.
    pub(super) fn store_new_message(
        &self,
        room: &str,
        author: &str,
        text: String,
        fields: Vec<Field>,
        buttons: Vec<Button>,
        pinned: bool,
    ) -> Result<ConsoleMessage, ConsoleError> {
        let mut state = self.lock();
        if !state.rooms.contains_key(room) {
            return Err(ConsoleError::NoRoom(room.to_owned()));
        }
        // A number refused by the disk is skipped, never reused: ids stay unique.
        state.next_message += 1;
        let number = state.next_message;
        let stored = ConsoleMessage {
            id: format!("m{number}"),
            room: room.to_owned(),
            author: author.to_owned(),
            text,
            fields,
            buttons,
            pinned,
            created_at: Utc::now(),
            edited_at: None,
            reactions: BTreeMap::new(),
        };
        // Stored first, shown after: a message the disk refused is never visible.
        self.persist_message(&stored)?;
        remember_message(&mut state, number, stored.clone());
        state
            .room_messages
            .entry(room.to_owned())
            .or_default()
            .push(number);
        self.publish_live(&state, &stored, false);
        Ok(stored)
    }

    /// Tells the live feed, still under the console's lock (`state`), so the feed hears
    /// messages in the order they were numbered and stored. The feed's own lock is only ever
    /// taken inside this one, never the other way round.
    pub(super) fn publish_live(&self, state: &State, message: &ConsoleMessage, edited: bool) {
        let Some(feed) = self.live.get() else {
            return;
        };
        let incident = state
            .rooms
            .get(&message.room)
            .and_then(|room| room.incident);
        feed.publish(
            incident,
            crate::live::LiveChange::Message {
                room: message.room.clone(),
                message: Box::new(message.clone()),
                edited,
            },
        );
    }
}
