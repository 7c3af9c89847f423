//! Renders incidents into chat messages in a given locale.

use crate::chat::{Button, Field, OutgoingMessage, button_id};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentRole, allowed_transitions};
use crate::i18n::I18n;

/// Discord's limit for an embed field value; we cut below it and say so.
const FIELD_LIMIT: usize = 1000;

/// The incident card: title, severity, state, service, alert counts, roles, summary,
/// description, links, and the buttons that make sense in the current state.
pub fn card(
    i18n: &I18n,
    locale: &str,
    incident: &Incident,
    mention: &dyn Fn(&UserId) -> String,
) -> OutgoingMessage {
    let t = |id: &str| i18n.text(locale, id, &[]);
    let id = incident.id.to_string();
    let mut fields = vec![
        Field {
            name: t("card-severity"),
            value: incident.severity.to_string().to_uppercase(),
        },
        Field {
            name: t("card-state"),
            value: t(&format!("state-{}", incident.state.as_str())),
        },
        Field {
            name: t("card-service"),
            value: incident.service.clone().unwrap_or_else(|| "-".to_owned()),
        },
    ];
    let firing = incident.alerts.firing.to_string();
    let resolved = incident.alerts.resolved.to_string();
    let alerts = if incident.all_alerts_resolved() {
        i18n.text(
            locale,
            "card-alerts-all-resolved",
            &[("resolved", &resolved), ("state", incident.state.as_str())],
        )
    } else {
        i18n.text(
            locale,
            "card-alerts-counts",
            &[("firing", &firing), ("resolved", &resolved)],
        )
    };
    fields.push(Field {
        name: t("card-alerts"),
        value: alerts,
    });
    for role in IncidentRole::ALL {
        fields.push(Field {
            name: t(&format!("role-{}", role.as_str())),
            value: incident
                .roles
                .get(role)
                .map(mention)
                .unwrap_or_else(|| t("card-unassigned")),
        });
    }
    if let Some(summary) = &incident.summary {
        fields.push(Field {
            name: t("card-summary"),
            value: cut(summary),
        });
    }
    if let Some(description) = &incident.description {
        fields.push(Field {
            name: t("card-description"),
            value: cut(description),
        });
    }
    if let Some(url) = &incident.generator_url {
        fields.push(Field {
            name: t("card-generator"),
            value: cut(url),
        });
    }
    if let Some(url) = &incident.runbook_url {
        fields.push(Field {
            name: t("card-runbook"),
            value: cut(url),
        });
    }
    let transitions = allowed_transitions(incident.state);
    let buttons = transitions
        .iter()
        .map(|transition| Button {
            id: button_id(*transition, incident.id),
            label: t(&format!("button-{}", transition.as_str())),
        })
        .collect();
    OutgoingMessage {
        text: i18n.text(
            locale,
            "card-title",
            &[("incident", &id), ("title", &incident.title)],
        ),
        fields,
        buttons,
        pin: true,
    }
}

/// The message that calls the on-call people into their roles.
pub fn mentions(
    i18n: &I18n,
    locale: &str,
    incident: &Incident,
    mention: &dyn Fn(&UserId) -> String,
) -> OutgoingMessage {
    let mut lines = vec![i18n.text(
        locale,
        "mention-header",
        &[
            ("incident", &incident.id.to_string()),
            ("severity", &incident.severity.to_string().to_uppercase()),
        ],
    )];
    for role in IncidentRole::ALL {
        let role_name = i18n.text(locale, &format!("role-{}", role.as_str()), &[]);
        let line = match incident.roles.get(role) {
            Some(user) => i18n.text(
                locale,
                "mention-line",
                &[("role", &role_name), ("user", &mention(user))],
            ),
            None => i18n.text(locale, "mention-unassigned", &[("role", &role_name)]),
        };
        lines.push(line);
    }
    OutgoingMessage {
        text: lines.join("\n"),
        ..OutgoingMessage::default()
    }
}

pub fn topic(i18n: &I18n, locale: &str, incident: &Incident) -> String {
    i18n.text(
        locale,
        "room-topic",
        &[
            ("title", &incident.title),
            ("severity", &incident.severity.to_string().to_uppercase()),
        ],
    )
}

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
    OutgoingMessage {
        text: i18n.text(
            locale,
            "alert-below-threshold",
            &[
                ("severity", &stored.severity.to_string().to_uppercase()),
                ("alert", &alert.name),
                ("service", alert.service.as_deref().unwrap_or("-")),
                ("summary", &cut(&summary)),
            ],
        ),
        ..OutgoingMessage::default()
    }
}
