//! Renders incidents into chat messages in a given locale, as structured text each chat
//! renders for its medium (see [`RichText`]).

use crate::chat::{
    Button, OutgoingMessage, RichField, RichText, Span, button_id, diagnose_button_id,
};
use crate::domain::incident::{Incident, IncidentRole, allowed_transitions};
use crate::domain::message::Msg;
use crate::i18n::I18n;

/// How much of one piece of outside text a card or line carries, whatever the chat: chats
/// with tighter limits cut again after their own escaping.
const FIELD_LIMIT: usize = 1000;

/// The incident card: title, severity, state, service, alert counts, roles, summary,
/// description, links, and the buttons that make sense in the current state. Role holders are
/// named, not called: the mention message calls them once, the card stays quiet on every edit.
/// `diagnose` adds a Diagnose button (the incident's service can be diagnosed) while the
/// incident is still open.
pub fn card(i18n: &I18n, locale: &str, incident: &Incident, diagnose: bool) -> OutgoingMessage {
    let t = |id: &str| i18n.text(locale, id, &[]);
    let own = |id: &str| RichText::own(t(id));
    let severity = incident.severity.to_string().to_uppercase();
    let mut fields = vec![
        field(own("card-severity"), RichText::own(severity)),
        field(
            own("card-state"),
            own(&format!("state-{}", incident.state.as_str())),
        ),
        field(
            own("card-service"),
            match &incident.service {
                Some(service) => RichText::outside(cut(service)),
                None => RichText::own("-"),
            },
        ),
    ];
    let alerts = if incident.all_alerts_resolved() {
        Msg::new("card-alerts-all-resolved")
            .number("resolved", incident.alerts.resolved)
            .word("stage", incident.state.as_str())
    } else {
        Msg::new("card-alerts-counts")
            .number("firing", incident.alerts.firing)
            .number("resolved", incident.alerts.resolved)
    };
    fields.push(field(own("card-alerts"), i18n.rich(locale, &alerts)));
    for role in IncidentRole::ALL {
        let holder = match incident.roles.get(role) {
            Some(user) => RichText(vec![Span::Person {
                id: user.clone(),
                name: None,
            }]),
            None => own("card-unassigned"),
        };
        fields.push(field(own(&format!("role-{}", role.as_str())), holder));
    }
    let outside = [
        ("card-summary", &incident.summary),
        ("card-description", &incident.description),
    ];
    for (name, value) in outside {
        if let Some(value) = value {
            fields.push(field(own(name), RichText::outside(cut(value))));
        }
    }
    for (name, url) in [
        ("card-generator", &incident.generator_url),
        ("card-runbook", &incident.runbook_url),
    ] {
        if let Some(url) = url {
            fields.push(field(own(name), RichText::link(cut(url))));
        }
    }
    let transitions = allowed_transitions(incident.state);
    let mut buttons: Vec<Button> = transitions
        .iter()
        .map(|transition| Button {
            id: button_id(*transition, incident.id),
            label: t(&format!("button-{}", transition.as_str())),
        })
        .collect();
    if diagnose && incident.state.is_open() {
        buttons.push(Button {
            id: diagnose_button_id(incident.id),
            label: t("button-diagnose"),
        });
    }
    OutgoingMessage {
        text: i18n.rich(
            locale,
            &Msg::new("card-title")
                .word("incident", incident.id)
                .outside("title", &incident.title),
        ),
        fields,
        buttons,
        pin: true,
    }
}

fn field(name: RichText, value: RichText) -> RichField {
    RichField { name, value }
}

/// The message that calls the on-call people into their roles: the one message that pings.
pub fn mentions(i18n: &I18n, locale: &str, incident: &Incident) -> OutgoingMessage {
    let mut lines = vec![
        i18n.rich(
            locale,
            &Msg::new("mention-header")
                .word("incident", incident.id)
                .word("severity", incident.severity.to_string().to_uppercase()),
        ),
    ];
    for role in IncidentRole::ALL {
        let line = match incident.roles.get(role) {
            Some(user) => Msg::new("mention-line")
                .word("role", role.as_str())
                .call("user", user),
            None => Msg::new("mention-unassigned").word("role", role.as_str()),
        };
        lines.push(i18n.rich(locale, &line));
    }
    OutgoingMessage {
        text: RichText::lines(lines),
        ..OutgoingMessage::default()
    }
}

/// The room's topic; each chat renders it and cuts it to its own limit.
pub fn topic(i18n: &I18n, locale: &str, incident: &Incident) -> RichText {
    i18n.rich(
        locale,
        &Msg::new("room-topic")
            .outside("title", &incident.title)
            .word("severity", incident.severity.to_string().to_uppercase()),
    )
}

/// Outside text on a card is cut well below any chat's limit, before any escaping, so a
/// runaway annotation cannot crowd out the rest.
fn cut(text: &str) -> String {
    if text.chars().count() <= FIELD_LIMIT {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(FIELD_LIMIT - 1).collect();
    out.push('…');
    out
}

/// One line for an alert that opened no incident (the alerts room).
pub fn alert_line(
    i18n: &I18n,
    locale: &str,
    stored: &crate::domain::decide::StoredAlert,
) -> OutgoingMessage {
    let alert = &stored.alert;
    let summary = alert.summary().unwrap_or(&alert.name).to_owned();
    let msg = match &alert.service {
        Some(service) => Msg::new("alert-below-threshold").outside("service", service),
        None => Msg::new("alert-below-threshold").word("service", "-"),
    };
    OutgoingMessage {
        text: i18n.rich(
            locale,
            &msg.word("severity", stored.severity.to_string().to_uppercase())
                .outside("alert", &alert.name)
                .outside("summary", cut(&summary)),
        ),
        ..OutgoingMessage::default()
    }
}
