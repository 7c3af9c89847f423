//! A warroom message as Discord takes it: escaped content or an embed (the card) within
//! Discord's limits, buttons, and the `allowed_mentions` that lets exactly the called users be
//! pinged.

use poise::serenity_prelude as serenity;

use crate::chat::OutgoingMessage;
use crate::chat::discord::{
    MAX_BUTTONS_PER_ROW, MAX_CONTENT_CHARS, MAX_EMBED_FIELDS, MAX_EMBED_TITLE_CHARS, cut, escape,
};

/// Discord's limits on embed text: field values and the sum of all of an embed's text.
pub const MAX_EMBED_FIELD_NAME_CHARS: usize = 256;
pub const MAX_EMBED_FIELD_VALUE_CHARS: usize = 1024;
pub const MAX_EMBED_TOTAL_CHARS: usize = 6000;

/// A message as Discord takes it: content or an embed (a card), buttons, and the mentions
/// allowed to ping.
pub(super) struct DiscordParts {
    pub content: Option<String>,
    pub embed: Option<serenity::CreateEmbed>,
    pub rows: Vec<serenity::CreateActionRow>,
    pub allowed_mentions: serenity::CreateAllowedMentions,
}

/// Exactly the users `calls` lists may be pinged: no `@everyone`, no roles, nothing parsed
/// from the text.
pub fn allowed_mentions(calls: &[u64]) -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .users(calls.iter().copied().map(serenity::UserId::new))
        .empty_roles()
}

pub(super) fn message_parts(message: &OutgoingMessage) -> DiscordParts {
    let rows = message
        .buttons
        .chunks(MAX_BUTTONS_PER_ROW)
        .take(5)
        .map(|chunk| {
            serenity::CreateActionRow::Buttons(
                chunk
                    .iter()
                    .map(|button| {
                        serenity::CreateButton::new(&button.id)
                            .label(cut(&button.label, 80))
                            .style(serenity::ButtonStyle::Primary)
                    })
                    .collect(),
            )
        })
        .collect();
    if message.fields.is_empty() {
        let content = escape::render(&message.text, MAX_CONTENT_CHARS);
        return DiscordParts {
            content: Some(content.text),
            embed: None,
            rows,
            // `@here` pings only when warroom's own span said it (outside text is escaped).
            allowed_mentions: allowed_mentions(&content.calls).everyone(content.here),
        };
    }
    // Mentions inside an embed never ping; the card names people and calls nobody.
    let title = escape::render(&message.text, MAX_EMBED_TITLE_CHARS).text;
    let mut budget = MAX_EMBED_TOTAL_CHARS.saturating_sub(title.chars().count());
    let mut embed = serenity::CreateEmbed::new().title(title);
    for field in message.fields.iter().take(MAX_EMBED_FIELDS) {
        let name = escape::render(&field.name, MAX_EMBED_FIELD_NAME_CHARS.min(budget)).text;
        let room = budget.saturating_sub(name.chars().count());
        let value = escape::render(&field.value, MAX_EMBED_FIELD_VALUE_CHARS.min(room)).text;
        // Discord refuses an empty field name or value: a field that no longer fits is left
        // out rather than sent broken.
        if name.is_empty() || value.is_empty() {
            break;
        }
        budget = room.saturating_sub(value.chars().count());
        embed = embed.field(name, value, true);
    }
    DiscordParts {
        content: None,
        embed: Some(embed),
        rows,
        allowed_mentions: allowed_mentions(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{RichField, RichText, Span};
    use crate::domain::ids::UserId;

    fn json(parts: &DiscordParts) -> (serde_json::Value, serde_json::Value) {
        (
            serde_json::to_value(&parts.embed).unwrap(),
            serde_json::to_value(&parts.allowed_mentions).unwrap(),
        )
    }

    #[test]
    fn a_card_of_escaped_markdown_stays_within_every_embed_limit() {
        let stars = RichText::outside("*".repeat(1000));
        let message = OutgoingMessage {
            text: RichText::outside("_".repeat(400)),
            fields: (0..30)
                .map(|i| RichField {
                    name: RichText::outside(format!("[{i}]").repeat(100)),
                    value: stars.clone(),
                })
                .collect(),
            ..OutgoingMessage::default()
        };
        let parts = message_parts(&message);
        assert!(parts.content.is_none());
        let (embed, allowed) = json(&parts);
        let title = embed["title"].as_str().unwrap();
        // 127 whole escapes and the ellipsis: the 128th escape would not fit whole.
        assert_eq!(title.chars().count(), MAX_EMBED_TITLE_CHARS - 1);
        assert!(title.ends_with("\\_…"), "{title}");
        let fields = embed["fields"].as_array().unwrap();
        assert!(!fields.is_empty() && fields.len() <= MAX_EMBED_FIELDS);
        let mut total = title.chars().count();
        for field in fields {
            let name = field["name"].as_str().unwrap();
            let value = field["value"].as_str().unwrap();
            assert!(!name.is_empty() && name.chars().count() <= MAX_EMBED_FIELD_NAME_CHARS);
            assert!(!value.is_empty() && value.chars().count() <= MAX_EMBED_FIELD_VALUE_CHARS);
            // Escapes stay whole: the text before the cut is pairs of `\*`.
            let body = value.trim_end_matches('…');
            assert!(
                body.chars().count() % 2 == 0 && body.starts_with("\\*"),
                "{value}"
            );
            total += name.chars().count() + value.chars().count();
        }
        assert!(total <= MAX_EMBED_TOTAL_CHARS, "{total}");
        assert_eq!(
            allowed,
            serde_json::json!({"parse": [], "users": [], "roles": []})
        );
    }

    #[test]
    fn content_lists_exactly_the_called_users() {
        let message = OutgoingMessage {
            text: RichText(vec![
                Span::Own("📣 ".to_owned()),
                Span::Call(UserId("930000000000000001".to_owned())),
                Span::Own(" ".to_owned()),
                Span::Person {
                    id: UserId("930000000000000002".to_owned()),
                    name: None,
                },
                Span::Outside(" @everyone <@930000000000000003>".to_owned()),
            ]),
            ..OutgoingMessage::default()
        };
        let parts = message_parts(&message);
        let content = parts.content.clone().unwrap();
        assert_eq!(
            content,
            "📣 <@930000000000000001> <@930000000000000002> @\u{200B}everyone \\<@\u{200B}930000000000000003>"
        );
        let (_, allowed) = json(&parts);
        assert_eq!(
            allowed,
            serde_json::json!({"parse": [], "users": ["930000000000000001"], "roles": []})
        );
        let long = OutgoingMessage {
            text: RichText::outside("@".repeat(3000)),
            ..OutgoingMessage::default()
        };
        let cut = message_parts(&long).content.unwrap();
        assert_eq!(cut.chars().count(), MAX_CONTENT_CHARS);
        assert!(!cut.contains("@@"), "an @ lost its zero-width space");
    }
}
