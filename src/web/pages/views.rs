//! What the templates print, built from the incident and the console's messages: plain
//! values (the templates escape every one of them), in the viewer's language and zone.

use chrono::{DateTime, Utc};
use minijinja::Value;
use serde::Serialize;

use crate::chat::console::{BOT_AUTHOR, ConsoleMessage};
use crate::chat::{RichText, Span};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentRole};
use crate::http::AppState;
use crate::web::Viewer;

#[derive(Debug, Serialize)]
struct RoleView {
    role: &'static str,
    label: String,
    /// The holder's name; `None` when nobody holds the role.
    holder: Option<String>,
}

/// A row of the incident list.
pub(super) fn incident_row(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Value {
    let text = |id: &str| state.i18n.text(&viewer.locale, id, &[]);
    let roles: Vec<RoleView> = IncidentRole::ALL
        .iter()
        .map(|role| RoleView {
            role: role.as_str(),
            label: text(&format!("role-{}", role.as_str())),
            holder: incident
                .roles
                .get(*role)
                .map(|user| person_name(state, user)),
        })
        .collect();
    minijinja::context! {
        id => incident.id.to_string(),
        title => incident.title,
        state => incident.state.as_str(),
        state_label => text(&format!("state-{}", incident.state.as_str())),
        severity => incident.severity.as_str(),
        severity_label => incident.severity.as_str().to_uppercase(),
        service => incident.service,
        opened_at => incident.opened_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        opened_local => local_time(viewer, incident.opened_at),
        age => age(state, viewer, now, incident.opened_at),
        firing => incident.alerts.firing,
        resolved => incident.alerts.resolved,
        roles,
    }
}

#[derive(Debug, Serialize)]
struct FieldView {
    name: String,
    value: String,
    /// Set when the value is one web address (an alert's generator or runbook URL).
    link: Option<String>,
}

#[derive(Debug, Serialize)]
struct ButtonView {
    id: String,
    label: String,
}

/// A message's buttons as a page shows them: the chat's id and label.
fn button_views(buttons: &[crate::chat::Button]) -> Vec<ButtonView> {
    buttons
        .iter()
        .map(|button| ButtonView {
            id: button.id.clone(),
            label: button.label.clone(),
        })
        .collect()
}

/// The card: chat's card (`chat::render::card`) in the viewer's language.
pub(super) fn card(state: &AppState, viewer: &Viewer, incident: &Incident) -> Value {
    let diagnose = state
        .port
        .actions()
        .diagnosis_for(incident.service.as_deref())
        .is_some();
    let card = crate::chat::render::card(&state.i18n, &viewer.locale, incident, diagnose);
    let fields: Vec<FieldView> = card
        .fields
        .iter()
        .map(|field| FieldView {
            name: plain(state, &field.name),
            value: plain(state, &field.value),
            link: web_link(&field.value),
        })
        .collect();
    let buttons = button_views(&card.buttons);
    minijinja::context! {
        id => incident.id.to_string(),
        state => incident.state.as_str(),
        severity => incident.severity.as_str(),
        title => plain(state, &card.text),
        fields,
        buttons,
    }
}

#[derive(Debug, Serialize)]
struct ReactionView {
    emoji: String,
    count: usize,
    names: String,
}

/// The reactions a message with buttons (an approval) offers: a vote for and against.
const VOTE_EMOJI: [&str; 2] = ["✅", "❌"];

/// A message of a room.
pub(super) fn message(state: &AppState, viewer: &Viewer, message: &ConsoleMessage) -> Value {
    let author_name = if message.author == BOT_AUTHOR {
        BOT_AUTHOR.to_owned()
    } else {
        person_name(state, &UserId(message.author.clone()))
    };
    let reactions: Vec<ReactionView> = message
        .reactions
        .iter()
        .map(|(emoji, users)| ReactionView {
            emoji: emoji.clone(),
            count: users.len(),
            names: users
                .iter()
                .map(|user| person_name(state, &UserId(user.clone())))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let buttons = button_views(&message.buttons);
    let votes: Vec<&str> = if buttons.is_empty() {
        Vec::new()
    } else {
        VOTE_EMOJI.to_vec()
    };
    minijinja::context! {
        id => message.id,
        room => message.room,
        author => message.author,
        author_name,
        bot => message.author == BOT_AUTHOR,
        text => message.text,
        fields => message.fields,
        pinned => message.pinned,
        created_at => message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        created_local => local_time(viewer, message.created_at),
        edited => message.edited_at.is_some(),
        reactions,
        buttons,
        votes,
    }
}

/// A person's name as chats show it; their id when they are not configured here.
fn person_name(state: &AppState, user: &UserId) -> String {
    state
        .people
        .get(user)
        .map_or_else(|| user.0.clone(), |person| person.display_name.clone())
}

/// Text as a plain medium shows it, with people named by their configured names.
fn plain(state: &AppState, text: &RichText) -> String {
    let named = RichText(
        text.0
            .iter()
            .map(|span| match span {
                Span::Person { id, name: None } => Span::Person {
                    id: id.clone(),
                    name: Some(person_name(state, id)),
                },
                other => other.clone(),
            })
            .collect(),
    );
    named.plain()
}

/// The address when `text` is one `http(s)` link: only those become clickable, so an
/// alert's `javascript:` URL stays text.
fn web_link(text: &RichText) -> Option<String> {
    match text.0.as_slice() {
        [Span::Link(url)] if url.starts_with("https://") || url.starts_with("http://") => {
            Some(url.clone())
        }
        _ => None,
    }
}

/// `time` in the viewer's zone, to the second.
fn local_time(viewer: &Viewer, time: DateTime<Utc>) -> String {
    time.with_timezone(&viewer.time_zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// How long ago `then` was, in the largest whole unit: "12 min", "3 h", "2 d".
fn age(state: &AppState, viewer: &Viewer, now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    let (id, amount) = age_unit(seconds);
    state
        .i18n
        .text(&viewer.locale, id, &[("n", &amount.to_string())])
}

fn age_unit(seconds: i64) -> (&'static str, i64) {
    match seconds {
        0..60 => ("web-age-seconds", seconds),
        60..3600 => ("web-age-minutes", seconds / 60),
        3600..86400 => ("web-age-hours", seconds / 3600),
        _ => ("web-age-days", seconds / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_take_the_largest_whole_unit() {
        let cases = [
            (0, ("web-age-seconds", 0)),
            (59, ("web-age-seconds", 59)),
            (60, ("web-age-minutes", 1)),
            (3599, ("web-age-minutes", 59)),
            (3600, ("web-age-hours", 1)),
            (86399, ("web-age-hours", 23)),
            (86400, ("web-age-days", 1)),
            (10 * 86400 + 5, ("web-age-days", 10)),
        ];
        for (seconds, want) in cases {
            assert_eq!(age_unit(seconds), want, "{seconds} s");
        }
    }

    #[test]
    fn only_web_addresses_become_links() {
        let cases = [
            (RichText::link("https://grafana.example/d/1"), true),
            (RichText::link("http://runbooks.example/x"), true),
            (RichText::link("javascript:alert(1)"), false),
            (RichText::outside("https://grafana.example"), false),
        ];
        for (text, link) in cases {
            assert_eq!(web_link(&text).is_some(), link, "{text:?}");
        }
    }
}
