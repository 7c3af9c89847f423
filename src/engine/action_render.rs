//! How an action request looks in chat: the approval message (who asked, the exact command
//! and parameters, risk, approvals with names, expiry, state, and the result once it ran),
//! edited in place as votes come; and the words request lines share (`/actions`, timeline).
//!
//! The message never exceeds [`MAX_ACTION_MESSAGE_CHARS`] as Discord shows it, whatever the
//! output: it is measured with Discord's escaping (the most expansive rendering; the console
//! shows text as typed, so never longer), and the excerpt is cut first, then the details.

use std::collections::BTreeMap;

use crate::chat::discord::escape;
use crate::chat::{Button, OutgoingMessage, RichText, Span, approval_button_id};
use crate::domain::action::{
    ActionView, MAX_ACTION_MESSAGE_CHARS, RequestState, Risk, whole_command_line,
};
use crate::domain::ids::{IncidentId, UserId};
use crate::domain::message::Msg;
use crate::i18n::I18n;

pub use crate::domain::action::MAX_COMMAND_LINE_CHARS;

/// An excerpt shorter than this is left out rather than shown as a stub.
const MIN_EXCERPT_CHARS: usize = 40;

/// The exact command as one line (see [`whole_command_line`]), cut to
/// [`MAX_COMMAND_LINE_CHARS`]; the binder refuses a request needing approval whose line
/// would be cut, so approvers always see it whole.
pub fn command_line(command: &str, params: &BTreeMap<String, String>) -> String {
    cut_chars(&whole_command_line(command, params), MAX_COMMAND_LINE_CHARS)
}

/// A risk as the word `act-risk-…` messages translate.
pub fn risk_word(risk: Risk) -> &'static str {
    match risk {
        Risk::Low => "low",
        Risk::Medium => "medium",
        Risk::High => "high",
    }
}

/// A request's message in the room. `zone` is `[chat] time_zone`, for the expiry.
pub fn render_action(
    i18n: &I18n,
    locale: &str,
    zone: chrono_tz::Tz,
    incident: IncidentId,
    view: &ActionView,
) -> OutgoingMessage {
    let rich = |msg: &Msg| i18n.rich(locale, msg);
    let mut head = vec![
        rich(
            &Msg::new("act-msg-title")
                .word("request", view.request)
                .outside("line", command_line(&view.command, &view.params))
                .word("request_state", view.state.as_str()),
        ),
        rich(
            &Msg::new("act-msg-requested")
                .with_person(
                    "requester",
                    view.requester.clone(),
                    view.requester_name.clone(),
                )
                .word("risk", risk_word(view.risk)),
        ),
    ];
    if view.approvals_required == 0 {
        head.push(rich(&Msg::new("act-msg-read-only")));
    } else {
        head.push(rich(
            &Msg::new("act-msg-approvals")
                .number("approved", view.approved_by.len() as u64)
                .number("required", u64::from(view.approvals_required)),
        ));
        if !view.approved_by.is_empty() {
            let mut line = rich(&Msg::new("act-msg-approved-by"));
            let separator = i18n.text(locale, "act-msg-separator", &[]);
            for (index, (id, name)) in view.approved_by.iter().enumerate() {
                if index > 0 {
                    line.append(RichText::own(separator.clone()));
                }
                line.push(person(id, name));
            }
            head.push(line);
        }
    }
    if let Some((id, name)) = &view.rejected_by {
        head.push(rich(&Msg::new("act-msg-rejected").with_person(
            "user",
            id.clone(),
            name.clone(),
        )));
    }
    let awaiting = view.state == RequestState::AwaitingApproval;
    if awaiting && let Some(expires_at) = view.expires_at {
        head.push(rich(
            &Msg::new("act-msg-expires").word("at", super::commands::local_time(expires_at, zone)),
        ));
    }
    if awaiting {
        head.push(rich(&Msg::new("act-msg-how-to-vote")));
    }
    if let Some(summary) = &view.summary {
        head.push(rich(summary));
    }
    let details: Vec<RichText> = view
        .details
        .iter()
        .map(|detail| {
            let mut line = RichText::own("• ");
            line.append(rich(detail));
            line
        })
        .collect();
    let where_all = |id: &str| {
        Msg::new(id)
            .word("incident", incident)
            .word("request", view.request)
    };
    let lines = fit_details(head, details, |left| {
        rich(&where_all("act-msg-more-details").number("count", left as u64))
    });
    let lines = match view
        .excerpt
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        Some(excerpt) => fit_excerpt(lines, excerpt, rich(&where_all("act-msg-output-cut"))),
        None => lines,
    };
    let buttons = if awaiting {
        vec![
            Button {
                id: approval_button_id(incident, view.request, true),
                label: i18n.text(locale, "button-approve", &[]),
            },
            Button {
                id: approval_button_id(incident, view.request, false),
                label: i18n.text(locale, "button-reject", &[]),
            },
        ]
    } else {
        Vec::new()
    };
    OutgoingMessage {
        text: RichText::lines(lines),
        fields: Vec::new(),
        buttons,
        pin: false,
    }
}

fn person(id: &UserId, name: &Option<String>) -> Span {
    Span::Person {
        id: id.clone(),
        name: name.clone().filter(|name| !name.trim().is_empty()),
    }
}

/// The length of `lines` as Discord shows them (escaped), the longest any chat makes them.
fn shown_len(lines: &[RichText]) -> usize {
    escape::render(&RichText::lines(lines.iter().cloned()), usize::MAX)
        .text
        .chars()
        .count()
}

/// `head` and as many `details` as fit, then a line saying how many did not (`more`).
fn fit_details(
    head: Vec<RichText>,
    details: Vec<RichText>,
    more: impl Fn(usize) -> RichText,
) -> Vec<RichText> {
    let total = details.len();
    let mut lines = head;
    for (index, detail) in details.into_iter().enumerate() {
        let left_after = total - index - 1;
        let mut candidate = lines.clone();
        candidate.push(detail);
        if left_after > 0 {
            candidate.push(more(left_after));
        }
        if shown_len(&candidate) > MAX_ACTION_MESSAGE_CHARS {
            lines.push(more(total - index));
            return lines;
        }
        lines = candidate;
        if left_after > 0 {
            lines.pop();
        }
    }
    lines
}

/// `lines` and the start of `excerpt` in a code block, cut to what is left of the message
/// (with `cut_notice` above it when cut); left out when too little is left.
fn fit_excerpt(mut lines: Vec<RichText>, excerpt: &str, cut_notice: RichText) -> Vec<RichText> {
    let code = |text: &str| RichText(vec![Span::Code(text.to_owned())]);
    let whole = [lines.clone(), vec![code(excerpt)]].concat();
    if shown_len(&whole) <= MAX_ACTION_MESSAGE_CHARS {
        return whole;
    }
    let with_notice = [lines.clone(), vec![cut_notice.clone(), code("")]].concat();
    let left = MAX_ACTION_MESSAGE_CHARS.saturating_sub(shown_len(&with_notice));
    // The code block keeps one character for one (see `escape::code_block`), so `left`
    // characters of the excerpt fit exactly; one goes to the `…` that says it was cut.
    if left < MIN_EXCERPT_CHARS {
        lines.push(cut_notice);
        return lines;
    }
    lines.push(cut_notice);
    lines.push(code(&cut_chars(excerpt, left)));
    lines
}

/// At most `max` characters, the last being `…` when cut.
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod delivery_tests;
#[cfg(test)]
mod tests;
