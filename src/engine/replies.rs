//! Replies the engine builds from its caches without changing anything: `/help` and
//! `/incident list`.

use crate::domain::command::COMMAND_TREE;
use crate::domain::incident::Incident;
use crate::domain::message::Msg;

/// Every command's syntax (derived from its options), description and example.
pub(crate) fn help_lines() -> Vec<Msg> {
    let mut lines = vec![Msg::new("reply-help-header")];
    for leaf in COMMAND_TREE {
        lines.push(
            Msg::new("reply-help-line")
                .word("command", leaf.syntax())
                .word("description", leaf.description_id()),
        );
    }
    lines
}

/// At most this many incidents are listed by `/incident list`; the rest are counted.
/// Few enough that the reply fits one Discord message (2000 characters) with
/// [`MAX_LISTED_TITLE_CHARS`]-character titles.
pub const MAX_LISTED_INCIDENTS: usize = 15;

/// Titles are cut to this many characters in the list (the card shows them whole).
pub const MAX_LISTED_TITLE_CHARS: usize = 60;

/// The open incidents, newest first, at most [`MAX_LISTED_INCIDENTS`] of them.
pub(crate) fn list_lines<'a>(incidents: impl Iterator<Item = &'a Incident>) -> Vec<Msg> {
    let mut open: Vec<&Incident> = incidents.filter(|i| i.state.is_open()).collect();
    open.sort_by_key(|incident| std::cmp::Reverse(incident.id));
    if open.is_empty() {
        return vec![Msg::new("reply-list-empty")];
    }
    let mut lines = vec![Msg::new("reply-list-header").number("count", open.len() as u64)];
    for incident in open.iter().take(MAX_LISTED_INCIDENTS) {
        lines.push(
            Msg::new("reply-list-line")
                .word("incident", incident.id)
                .outside("title", short_title(&incident.title))
                .word("state", incident.state)
                .word("severity", incident.severity)
                .number("firing", incident.alerts.firing),
        );
    }
    let more = open.len().saturating_sub(MAX_LISTED_INCIDENTS);
    if more > 0 {
        lines.push(Msg::new("reply-list-more").number("more", more as u64));
    }
    lines
}

fn short_title(title: &str) -> String {
    if title.chars().count() <= MAX_LISTED_TITLE_CHARS {
        return title.to_owned();
    }
    let mut short: String = title.chars().take(MAX_LISTED_TITLE_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::domain::access::{Person, PersonRole};
    use crate::domain::decide::{Policy, declare_incident};
    use crate::domain::ids::{IncidentId, UserId};
    use crate::domain::incident::IncidentState;

    fn incidents(count: u32) -> Vec<Incident> {
        let now: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        let person = Person {
            id: UserId("carol".to_owned()),
            roles: [PersonRole::Responder].into_iter().collect(),
            locale: "en-US".to_owned(),
            display_name: "carol".to_owned(),
        };
        (1..=count)
            .map(|n| {
                let id = IncidentId::new(now.date_naive(), n);
                let title = format!("Outage {n}");
                declare_incident(&Policy::standard(), id, &title, None, &person, now)
                    .unwrap()
                    .0
            })
            .collect()
    }

    #[test]
    fn the_list_is_open_incidents_newest_first_and_bounded() {
        let max = MAX_LISTED_INCIDENTS as u32;
        let cases = [
            (0, 0, false),
            (3, 3, false),
            (max, max as usize, false),
            (max + 5, max as usize, true),
        ];
        for (count, shown, more) in cases {
            let all = incidents(count);
            let lines = list_lines(all.iter());
            let listed: Vec<&Msg> = lines.iter().filter(|m| m.id == "reply-list-line").collect();
            assert_eq!(listed.len(), shown, "{count}");
            assert_eq!(
                lines.iter().any(|m| m.id == "reply-list-more"),
                more,
                "{count}"
            );
            if count == 0 {
                assert_eq!(lines[0].id, "reply-list-empty");
            } else {
                let newest = IncidentId::new(all[0].id.date(), count).to_string();
                assert!(listed[0].args.contains(&(
                    "incident".to_owned(),
                    crate::domain::message::Arg::Word(newest)
                )));
            }
        }
        let mut closed = incidents(2);
        closed[1].state = IncidentState::Closed;
        let lines = list_lines(closed.iter());
        assert_eq!(
            lines.iter().filter(|m| m.id == "reply-list-line").count(),
            1
        );
    }

    #[test]
    fn long_titles_are_cut_on_a_character_boundary() {
        assert_eq!(short_title("短"), "短");
        let long = "数".repeat(MAX_LISTED_TITLE_CHARS + 1);
        let cut = short_title(&long);
        assert_eq!(cut.chars().count(), MAX_LISTED_TITLE_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(
            short_title(&long[..MAX_LISTED_TITLE_CHARS * 3]),
            long[..MAX_LISTED_TITLE_CHARS * 3]
        );
    }

    #[test]
    fn help_has_a_line_per_command_and_fits_one_discord_message() {
        let lines = help_lines();
        assert_eq!(lines.len(), 1 + COMMAND_TREE.len());
        let i18n = crate::i18n::I18n::builtin().unwrap();
        for locale in i18n.locales() {
            let text: Vec<String> = lines.iter().map(|m| i18n.render(locale, m)).collect();
            let chars = text.join("\n").chars().count();
            assert!(
                chars <= crate::chat::discord::MAX_CONTENT_CHARS,
                "{locale}: {chars} characters"
            );
        }
    }
}
