//! Which reactions warroom records: a Unicode emoji (one emoji, possibly a sequence joined
//! with ZWJ, with variation selectors, skin tones, keycaps, flags or tag sequences) or a
//! Discord custom emoji `name:id` (also as Discord writes it, `<:name:id>` / `<a:name:id>`).
//! Anything else — words, markup, mentions — is refused, so a reaction cannot smuggle text
//! onto the timeline.

use crate::domain::access::Person;
use crate::domain::decide::Applied;
use crate::domain::ids::{Actor, MessageId};
use crate::domain::incident::{Incident, MAX_TRACKED_REACTION_MESSAGES};
use crate::domain::timeline::EntryKind;

/// At most this many reactions of one message are recorded on the timeline.
pub const MAX_REACTIONS_PER_MESSAGE: u32 = 20;

/// The longest Unicode emoji sequence accepted, in code points (family and flag sequences
/// are the longest real ones, at about ten).
pub const MAX_EMOJI_CODE_POINTS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmojiError {
    #[error("emoji: must not be empty")]
    Empty,
    #[error("emoji: must be one emoji, at most {MAX_EMOJI_CODE_POINTS} code points")]
    TooLong,
    #[error("emoji: must be one emoji, not several")]
    Several,
    #[error("emoji: must be a Unicode emoji or a custom emoji written name:id")]
    NotAnEmoji,
}

/// The reaction as recorded: the emoji itself, or `name:id` for a custom one.
pub fn normalize_reaction(text: &str) -> Result<String, EmojiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EmojiError::Empty);
    }
    if let Some(custom) = custom_emoji(text) {
        return Ok(custom);
    }
    if !is_unicode_emoji(text) {
        return Err(EmojiError::NotAnEmoji);
    }
    if text.chars().count() > MAX_EMOJI_CODE_POINTS {
        return Err(EmojiError::TooLong);
    }
    if emoji_count(text) != 1 {
        return Err(EmojiError::Several);
    }
    Ok(text.to_owned())
}

/// Why a reaction left no mark on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactionIgnored {
    /// Not an emoji (see [`crate::domain::emoji`]).
    NotAnEmoji(EmojiError),
    /// The message already has [`MAX_REACTIONS_PER_MESSAGE`] reactions recorded.
    MessageFull,
    /// The incident already counts reactions on [`MAX_TRACKED_REACTION_MESSAGES`] messages.
    TooManyMessages,
}

/// Records a reaction on the incident's timeline, at most [`MAX_REACTIONS_PER_MESSAGE`] per
/// message; the count lives on the incident so it survives restarts.
pub fn record_reaction(
    incident: &mut Incident,
    person: &Person,
    message: &MessageId,
    emoji: &str,
) -> Result<Applied, ReactionIgnored> {
    let emoji = normalize_reaction(emoji).map_err(ReactionIgnored::NotAnEmoji)?;
    let counted = incident.reactions_recorded.get(message).copied();
    match counted {
        Some(count) if count >= MAX_REACTIONS_PER_MESSAGE => {
            return Err(ReactionIgnored::MessageFull);
        }
        None if incident.reactions_recorded.len() >= MAX_TRACKED_REACTION_MESSAGES => {
            return Err(ReactionIgnored::TooManyMessages);
        }
        _ => {}
    }
    *incident
        .reactions_recorded
        .entry(message.clone())
        .or_insert(0) += 1;
    let mut applied = Applied::default();
    applied.entry(
        &Actor::user(&person.id),
        EntryKind::ReactionAdded {
            message: message.clone(),
            emoji,
            on: None,
        },
    );
    Ok(applied)
}

/// `name:id`, `<:name:id>` or `<a:name:id>` with Discord's rules: a name of 2–32 letters,
/// digits or underscores and a snowflake id of 17–20 digits.
fn custom_emoji(text: &str) -> Option<String> {
    let inner = match text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        Some(wrapped) => wrapped
            .strip_prefix("a:")
            .or_else(|| wrapped.strip_prefix(':'))?,
        None => text,
    };
    let (name, id) = inner.split_once(':')?;
    let name_ok = (2..=32).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let id_ok = (17..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    (name_ok && id_ok).then(|| format!("{name}:{id}"))
}

const ZWJ: char = '\u{200D}';
const KEYCAP: char = '\u{20E3}';

fn is_unicode_emoji(text: &str) -> bool {
    let has_keycap = text.contains(KEYCAP);
    let mut pictographs = 0;
    for ch in text.chars() {
        if is_pictograph(ch) {
            pictographs += 1;
        } else if is_modifier(ch) || (has_keycap && matches!(ch, '0'..='9' | '#' | '*')) {
            continue;
        } else {
            return false;
        }
    }
    // A keycap's base is a digit, so `1️⃣` has no pictograph but is an emoji.
    pictographs > 0 || has_keycap
}

/// How many emoji a valid emoji text shows: pictographs joined by ZWJ are one, a skin tone
/// belongs to the pictograph before it, two regional indicators make one flag, and each
/// keycap is one.
fn emoji_count(text: &str) -> usize {
    let mut count = text.matches(KEYCAP).count();
    let mut after_joiner = false;
    let mut open_flag = false;
    for ch in text.chars() {
        if ch == ZWJ {
            after_joiner = true;
            continue;
        }
        let starts_new = match ch {
            // Skin tones (Fitzpatrick modifiers) modify the emoji before them.
            '\u{1F3FB}'..='\u{1F3FF}' => false,
            // Regional indicators come in pairs: the second one completes a flag.
            '\u{1F1E6}'..='\u{1F1FF}' => {
                open_flag = !open_flag;
                open_flag && !after_joiner
            }
            _ => is_pictograph(ch) && !after_joiner,
        };
        if starts_new {
            count += 1;
        }
        if !is_modifier(ch) {
            after_joiner = false;
        }
    }
    count
}

/// Joiners and modifiers that only exist inside an emoji sequence.
fn is_modifier(ch: char) -> bool {
    matches!(
        ch,
        ZWJ
        | '\u{FE0E}' | '\u{FE0F}' // variation selectors (text / emoji presentation)
        | KEYCAP
        | '\u{E0020}'..='\u{E007F}' // tag sequences (subdivision flags)
    )
}

/// Code points that are emoji on their own: the emoji blocks (which include skin tones and
/// regional indicators) and the older symbols that have emoji presentation.
fn is_pictograph(ch: char) -> bool {
    matches!(ch,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{2190}'..='\u{21FF}'
        | '\u{25A0}'..='\u{25FF}'
        | '\u{2934}' | '\u{2935}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}' | '\u{24C2}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::PersonRole;
    use crate::domain::decide::{Policy, open_incident_from_alert};
    use crate::domain::ids::{IncidentId, UserId};

    fn incident() -> Incident {
        let at = "2026-11-21T10:00:00Z".parse().unwrap();
        let alert = crate::domain::alert::Alert {
            source: crate::domain::alert::AlertSource::Generic,
            fingerprint: "f1".to_owned(),
            name: "Down".to_owned(),
            status: crate::domain::alert::AlertStatus::Firing,
            severity_label: Some("critical".to_owned()),
            service: None,
            host: None,
            value: None,
            starts_at: at,
            ends_at: None,
            labels: Default::default(),
            annotations: Default::default(),
            generator_url: None,
        };
        let id = IncidentId::new(at.date_naive(), 1);
        open_incident_from_alert(&Policy::standard(), id, &alert, "g".to_owned(), at).0
    }

    #[test]
    fn at_most_twenty_reactions_per_message_are_recorded_and_the_count_is_kept() {
        let mut incident = incident();
        let person = Person {
            id: UserId("alice".to_owned()),
            roles: [PersonRole::Commander].into_iter().collect(),
            locale: "en-US".to_owned(),
            display_name: "alice".to_owned(),
        };
        let card = MessageId("m1".to_owned());
        for _ in 0..MAX_REACTIONS_PER_MESSAGE {
            let applied = record_reaction(&mut incident, &person, &card, "👍").unwrap();
            assert_eq!(applied.entries.len(), 1);
        }
        assert_eq!(
            record_reaction(&mut incident, &person, &card, "👍"),
            Err(ReactionIgnored::MessageFull)
        );
        // The count travels with the stored incident, so a restart does not reset it.
        let mut reloaded: Incident =
            serde_json::from_value(serde_json::to_value(&incident).unwrap()).unwrap();
        assert_eq!(
            record_reaction(&mut reloaded, &person, &card, "✅"),
            Err(ReactionIgnored::MessageFull)
        );
        let other = MessageId("m2".to_owned());
        assert!(record_reaction(&mut reloaded, &person, &other, "✅").is_ok());
        assert_eq!(
            record_reaction(&mut reloaded, &person, &other, "hello"),
            Err(ReactionIgnored::NotAnEmoji(EmojiError::NotAnEmoji))
        );
        // The map of counted messages is bounded too.
        for n in 0..MAX_TRACKED_REACTION_MESSAGES {
            let _ = record_reaction(&mut reloaded, &person, &MessageId(format!("x{n}")), "✅");
        }
        assert_eq!(
            reloaded.reactions_recorded.len(),
            MAX_TRACKED_REACTION_MESSAGES
        );
        assert_eq!(
            record_reaction(&mut reloaded, &person, &MessageId("new".to_owned()), "✅"),
            Err(ReactionIgnored::TooManyMessages)
        );
    }

    #[test]
    fn emoji_are_accepted_and_text_is_refused() {
        let accepted = [
            ("👍", "👍"),
            ("  ✅ ", "✅"),
            ("❤️", "❤️"),
            ("👍🏽", "👍🏽"),
            ("👩‍💻", "👩‍💻"),
            ("👨‍👩‍👧‍👦", "👨‍👩‍👧‍👦"),
            ("🇩🇪", "🇩🇪"),
            ("🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"),
            ("1️⃣", "1️⃣"),
            ("⏰", "⏰"),
            ("🫡", "🫡"),
            (
                "party_parrot:123456789012345678",
                "party_parrot:123456789012345678",
            ),
            ("<:ok:123456789012345678>", "ok:123456789012345678"),
            ("<a:spin:12345678901234567890>", "spin:12345678901234567890"),
        ];
        for (input, expected) in accepted {
            assert_eq!(
                normalize_reaction(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
        }
        let refused = [
            ("", EmojiError::Empty),
            ("   ", EmojiError::Empty),
            ("ok", EmojiError::NotAnEmoji),
            ("+1", EmojiError::NotAnEmoji),
            ("1", EmojiError::NotAnEmoji),
            ("@everyone", EmojiError::NotAnEmoji),
            ("👍 nice", EmojiError::NotAnEmoji),
            ("<@123456789012345678>", EmojiError::NotAnEmoji),
            ("[x](https://evil.example)", EmojiError::NotAnEmoji),
            ("\u{200D}\u{FE0F}", EmojiError::NotAnEmoji),
            ("a:123456789012345678", EmojiError::NotAnEmoji),
            ("ok:123", EmojiError::NotAnEmoji),
            ("👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍", EmojiError::TooLong),
            ("👍👍", EmojiError::Several),
            ("✅❌", EmojiError::Several),
            ("🇩🇪🇫🇷", EmojiError::Several),
            ("1️⃣2️⃣", EmojiError::Several),
            ("👍🏽👍🏽", EmojiError::Several),
        ];
        for (input, expected) in refused {
            assert_eq!(normalize_reaction(input), Err(expected), "{input:?}");
        }
    }
}
