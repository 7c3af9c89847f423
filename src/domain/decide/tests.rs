//! Table tests for the incident decisions, and the fixtures (`alert`, `at`, `id`) other
//! modules' tests build on.

use std::collections::BTreeMap;

use super::*;
use crate::domain::access::PersonRole;
use crate::domain::alert::AlertSource;

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

pub(crate) fn alert(
    fingerprint: &str,
    service: &str,
    severity: &str,
    status: AlertStatus,
) -> Alert {
    let mut labels = BTreeMap::new();
    labels.insert("alertname".to_owned(), "HighLatency".to_owned());
    labels.insert("service".to_owned(), service.to_owned());
    labels.insert("severity".to_owned(), severity.to_owned());
    Alert {
        source: AlertSource::Alertmanager,
        fingerprint: fingerprint.to_owned(),
        name: "HighLatency".to_owned(),
        status,
        severity_label: Some(severity.to_owned()),
        service: Some(service.to_owned()),
        host: None,
        value: None,
        starts_at: at("2026-11-21T10:00:00Z"),
        ends_at: match status {
            AlertStatus::Firing => None,
            AlertStatus::Resolved => Some(at("2026-11-21T10:20:00Z")),
        },
        labels,
        annotations: BTreeMap::new(),
        generator_url: None,
    }
}

/// `apply_command` under the standard policy, where everyone but "mallory" is a known
/// user.
fn apply_standard(
    incident: &mut Incident,
    person: &Person,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Decision, Msg> {
    let known = |user: &UserId| user.0 != "mallory";
    apply_command(&Policy::standard(), incident, person, command, &known, now)
}

fn stored(alert: Alert, incident: Option<IncidentId>) -> StoredAlert {
    StoredAlert {
        alert,
        severity: Severity::Sev1,
        incident,
        first_seen: at("2026-11-21T10:00:00Z"),
        last_changed: at("2026-11-21T10:00:00Z"),
        stale_noted: None,
    }
}

pub(crate) fn id(n: u32) -> IncidentId {
    IncidentId::new(chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), n)
}

fn opened(policy: &Policy, first: &Alert, now: DateTime<Utc>) -> Incident {
    open_incident_from_alert(policy, id(1), first, group_key(policy, first), now).0
}

pub(crate) fn person(name: &str, roles: &[PersonRole]) -> Person {
    Person {
        id: UserId(name.to_owned()),
        display_name: name.to_owned(),
        roles: roles.iter().copied().collect(),
        locale: "en-US".to_owned(),
    }
}

#[test]
fn group_key_uses_configured_labels_then_service_then_name() {
    let mut policy = Policy::standard();
    let mut a = alert("f1", "checkout", "critical", AlertStatus::Firing);
    assert_eq!(group_key(&policy, &a), "service=checkout");
    a.service = None;
    a.labels.remove("service");
    assert_eq!(group_key(&policy, &a), "alertname=HighLatency");
    policy.grouping_labels = vec!["cluster".to_owned(), "alertname".to_owned()];
    a.labels.insert("cluster".to_owned(), "eu-1".to_owned());
    assert_eq!(group_key(&policy, &a), "cluster=eu-1,alertname=HighLatency");
}

type RouteCase<'a> = (
    &'a str,
    Option<&'a StoredAlert>,
    Option<&'a Incident>,
    Option<&'a Incident>,
    &'a Alert,
    AlertRoute,
);

#[test]
fn routing_table() {
    let policy = Policy::standard();
    let now = at("2026-11-21T10:05:00Z");
    let firing = alert("f1", "checkout", "critical", AlertStatus::Firing);
    let resolved = alert("f1", "checkout", "critical", AlertStatus::Resolved);
    let open = opened(&policy, &firing, at("2026-11-21T10:01:00Z"));
    let mut closed = open.clone();
    closed.state = IncidentState::Closed;
    let mut stale = open.clone();
    stale.last_alert_at = Some(now - Duration::hours(5));
    let mut refreshed = firing.clone();
    refreshed
        .annotations
        .insert("description".to_owned(), "value 3".to_owned());
    let info = alert("f9", "checkout", "info", AlertStatus::Firing);
    let other = alert("f2", "checkout", "critical", AlertStatus::Firing);
    let open_route = AlertRoute::Open {
        group_key: "service=checkout".to_owned(),
    };
    let in_open = stored(firing.clone(), Some(open.id));
    let cases: Vec<RouteCase> = vec![
        (
            "new alert, no incident",
            None,
            None,
            None,
            &firing,
            open_route.clone(),
        ),
        (
            "new alert joins open group",
            None,
            None,
            Some(&open),
            &other,
            AlertRoute::Join(open.id),
        ),
        (
            "stale group opens anew",
            None,
            None,
            Some(&stale),
            &other,
            open_route.clone(),
        ),
        (
            "closed group opens anew",
            None,
            None,
            Some(&closed),
            &other,
            open_route.clone(),
        ),
        (
            "exact duplicate",
            Some(&in_open),
            Some(&open),
            Some(&open),
            &firing,
            AlertRoute::Duplicate,
        ),
        (
            "fresher annotations",
            Some(&in_open),
            Some(&open),
            Some(&open),
            &refreshed,
            AlertRoute::RecordOnly(RecordReason::Refreshed),
        ),
        (
            "resolve of known",
            Some(&in_open),
            Some(&open),
            Some(&open),
            &resolved,
            AlertRoute::Existing(open.id),
        ),
        (
            "resolve of unseen",
            None,
            None,
            None,
            &resolved,
            AlertRoute::RecordOnly(RecordReason::ResolvedUnseen),
        ),
        (
            "below threshold",
            None,
            None,
            None,
            &info,
            AlertRoute::RecordOnly(RecordReason::BelowThreshold),
        ),
        (
            "below threshold joins open group",
            None,
            None,
            Some(&open),
            &info,
            AlertRoute::Join(open.id),
        ),
    ];
    for (name, previous, previous_incident, group, incoming, expected) in cases {
        assert_eq!(
            route_alert(&policy, previous, previous_incident, group, incoming, now),
            expected,
            "{name}"
        );
    }
    // A firing of the occurrence that already resolved (same start, or older) is stale,
    // whether its incident is still open, closed, or it never had one.
    let resolved_in_open = stored(resolved.clone(), Some(open.id));
    let resolved_in_closed = stored(resolved.clone(), Some(closed.id));
    let resolved_alone = stored(resolved.clone(), None);
    let mut older = firing.clone();
    older.starts_at = at("2026-11-21T09:00:00Z");
    let stale_cases: Vec<(&str, &StoredAlert, Option<&Incident>, &Alert, AlertRoute)> = vec![
        (
            "late firing, incident open",
            &resolved_in_open,
            Some(&open),
            &firing,
            AlertRoute::Stale {
                incident: Some(open.id),
            },
        ),
        (
            "replayed firing, incident closed",
            &resolved_in_closed,
            Some(&closed),
            &firing,
            AlertRoute::Stale {
                incident: Some(closed.id),
            },
        ),
        (
            "older firing, incident closed",
            &resolved_in_closed,
            Some(&closed),
            &older,
            AlertRoute::Stale {
                incident: Some(closed.id),
            },
        ),
        (
            "late firing of an alert resolved unseen",
            &resolved_alone,
            None,
            &firing,
            AlertRoute::Stale { incident: None },
        ),
    ];
    for (name, previous, previous_incident, incoming, expected) in stale_cases {
        assert_eq!(
            route_alert(
                &policy,
                Some(previous),
                previous_incident,
                previous_incident,
                incoming,
                now
            ),
            expected,
            "{name}"
        );
    }
    // Firing again after its incident closed: grouped afresh, opening a new incident.
    let in_closed = stored(resolved.clone(), Some(closed.id));
    let mut refire = firing.clone();
    refire.starts_at = at("2026-11-21T11:00:00Z");
    assert_eq!(
        route_alert(
            &policy,
            Some(&in_closed),
            Some(&closed),
            Some(&closed),
            &refire,
            now
        ),
        open_route
    );
}

#[test]
fn closed_incidents_refuse_severity_and_role_changes_and_say_what_is_possible() {
    let policy = Policy::standard();
    let now = at("2026-11-21T10:30:00Z");
    let firing = alert("f1", "checkout", "critical", AlertStatus::Firing);
    let alice = person("alice", &[PersonRole::Commander, PersonRole::DutyManager]);
    let severity = Command::Severity(Severity::Sev4);
    let role = Command::AssignRole {
        role: IncidentRole::Operations,
        user: UserId("bob".to_owned()),
    };
    let cases = [
        (IncidentState::Triggered, true),
        (IncidentState::Acknowledged, true),
        (IncidentState::Mitigated, true),
        (IncidentState::Resolved, true),
        (IncidentState::Closed, false),
    ];
    for (state, allowed) in cases {
        for command in [&severity, &role] {
            let mut incident = opened(&policy, &firing, now);
            incident.state = state;
            let before = incident.clone();
            let outcome = apply_standard(&mut incident, &alice, command, now);
            match outcome {
                Ok(_) => assert!(allowed, "{state:?} {command:?}"),
                Err(msg) => {
                    assert!(!allowed, "{state:?} {command:?}: {msg:?}");
                    assert_eq!(msg.id, "reply-incident-closed");
                    assert_eq!(incident, before);
                }
            }
        }
    }
    let mut incident = opened(&policy, &firing, now);
    incident.state = IncidentState::Closed;
    let close = Command::Transition(Transition::Close);
    let refused = apply_standard(&mut incident, &alice, &close, now).unwrap_err();
    assert_eq!(refused.id, "reply-transition-refused");
    assert!(
        refused.args.contains(&(
            "allowed".to_owned(),
            crate::domain::message::Arg::Word("/incident reopen".to_owned())
        )),
        "{refused:?}"
    );
}

#[test]
fn resolving_while_alerts_fire_warns_in_the_reply_and_the_room() {
    let policy = Policy::standard();
    let now = at("2026-11-21T10:30:00Z");
    let alice = person("alice", &[PersonRole::Commander]);
    let resolve = Command::Transition(Transition::Resolve);
    for firing_count in [0_u64, 1, 3] {
        let first = alert("f1", "checkout", "critical", AlertStatus::Firing);
        let mut incident = opened(&policy, &first, now);
        incident.alerts = AlertCounts {
            firing: firing_count,
            resolved: 1,
        };
        let outcome = apply_standard(&mut incident, &alice, &resolve, now).unwrap();
        assert_eq!(incident.state, IncidentState::Resolved);
        let warned = outcome.effects.iter().any(|effect| {
            matches!(effect, Effect::Notify { message, .. }
                if message.id == "notice-resolved-while-firing")
        });
        if firing_count > 0 {
            assert_eq!(
                outcome.reply.as_ref().unwrap().id,
                "reply-resolved-while-firing"
            );
            assert!(outcome.reply.as_ref().unwrap().args.contains(&(
                "firing".to_owned(),
                crate::domain::message::Arg::Number(firing_count)
            )));
            assert!(warned);
        } else {
            assert_eq!(outcome.reply.as_ref().unwrap().id, "reply-state-changed");
            assert!(!warned);
        }
    }
}

#[test]
fn every_transition_has_its_typed_command() {
    for transition in Transition::ALL {
        let command = transition_command(transition);
        assert_eq!(
            crate::domain::command::parse_typed(&command),
            Ok(Command::Transition(transition)),
            "{command}"
        );
    }
}

#[test]
fn opening_assigns_on_call_and_asks_for_room_card_and_mentions() {
    let mut policy = Policy::standard();
    policy.oncall.fixed.0.insert(
        crate::domain::rotation::OnCallRole::Commander,
        UserId("alice".to_owned()),
    );
    policy.oncall.fixed.0.insert(
        crate::domain::rotation::OnCallRole::Operations,
        UserId("bob".to_owned()),
    );
    let now = at("2026-11-21T10:01:00Z");
    let mut first = alert("f1", "checkout", "critical", AlertStatus::Firing);
    first
        .annotations
        .insert("summary".to_owned(), "Checkout p99 > 2s".to_owned());
    let (incident, applied) =
        open_incident_from_alert(&policy, id(3), &first, "service=checkout".to_owned(), now);
    assert_eq!(incident.title, "Checkout p99 > 2s");
    assert_eq!(incident.severity, Severity::Sev1);
    assert_eq!(
        incident.alerts,
        AlertCounts {
            firing: 1,
            resolved: 0
        }
    );
    assert_eq!(incident.roles.commander, Some(UserId("alice".to_owned())));
    assert_eq!(incident.roles.communications, None);
    assert_eq!(incident.milestones.occurred, Some(first.starts_at));
    let kinds: Vec<&str> = applied
        .entries
        .iter()
        .map(|(_, kind)| match kind {
            EntryKind::IncidentOpened { .. } => "opened",
            EntryKind::RoleAssigned { .. } => "role",
            EntryKind::AlertReceived { .. } => "alert",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["opened", "role", "role", "alert"]);
    assert_eq!(
        applied.effects,
        vec![
            Effect::OpenRoom { incident: id(3) },
            Effect::PostCard { incident: id(3) },
            Effect::MentionRoles { incident: id(3) },
        ]
    );
}

#[test]
fn resolving_every_alert_says_so_and_auto_resolves_only_when_configured() {
    for auto_resolve in [false, true] {
        let mut policy = Policy::standard();
        policy.auto_resolve = auto_resolve;
        let now = at("2026-11-21T10:30:00Z");
        let firing = alert("f1", "checkout", "critical", AlertStatus::Firing);
        let mut incident = opened(&policy, &firing, at("2026-11-21T10:01:00Z"));
        let previous = stored(firing.clone(), Some(incident.id));
        let resolved = alert("f1", "checkout", "critical", AlertStatus::Resolved);
        let applied =
            apply_alert_to_incident(&policy, &mut incident, Some(&previous), &resolved, now);
        assert_eq!(
            incident.alerts,
            AlertCounts {
                firing: 0,
                resolved: 1
            }
        );
        assert!(
            applied
                .entries
                .iter()
                .any(|(_, k)| *k == EntryKind::AllAlertsResolved)
        );
        let expected = if auto_resolve {
            IncidentState::Resolved
        } else {
            IncidentState::Triggered
        };
        assert_eq!(incident.state, expected, "auto_resolve={auto_resolve}");
        assert!(applied.effects.contains(&Effect::RefreshCard {
            incident: incident.id
        }));
    }
}

#[test]
fn a_more_severe_alert_raises_the_incident_severity() {
    let policy = Policy::standard();
    let now = at("2026-11-21T10:30:00Z");
    let warning = alert("f1", "checkout", "warning", AlertStatus::Firing);
    let mut incident = opened(&policy, &warning, now);
    assert_eq!(incident.severity, Severity::Sev3);
    let critical = alert("f2", "checkout", "critical", AlertStatus::Firing);
    let applied = apply_alert_to_incident(&policy, &mut incident, None, &critical, now);
    assert_eq!(incident.severity, Severity::Sev1);
    assert_eq!(incident.alerts.firing, 2);
    assert!(applied.entries.iter().any(|(_, k)| matches!(
        k,
        EntryKind::SeverityChanged {
            from: Severity::Sev3,
            to: Severity::Sev1,
            ..
        }
    )));
    // A less severe one never lowers it.
    let info = alert("f3", "checkout", "info", AlertStatus::Firing);
    apply_alert_to_incident(&policy, &mut incident, None, &info, now);
    assert_eq!(incident.severity, Severity::Sev1);
}

#[test]
fn a_severity_raised_by_an_alert_moves_the_status_update_reminder_to_its_interval() {
    let mut policy = Policy::standard();
    policy
        .status_updates
        .insert(Severity::Sev1, Duration::minutes(30));
    let now = at("2026-11-21T10:30:00Z");
    let warning = alert("f1", "checkout", "warning", AlertStatus::Firing);
    let mut incident = opened(&policy, &warning, now);
    let critical = alert("f2", "checkout", "critical", AlertStatus::Firing);
    let later = now + Duration::minutes(7);
    let applied = apply_alert_to_incident(&policy, &mut incident, None, &critical, later);
    let key = crate::domain::deadline::status_update_key(incident.id);
    let set = applied.deadlines.iter().find_map(|change| match change {
        DeadlineChange::Set(deadline) if deadline.key == key => Some(deadline.due),
        _ => None,
    });
    assert_eq!(
        set,
        Some(later + Duration::minutes(30)),
        "{:?}",
        applied.deadlines
    );
}

#[test]
fn commands_respect_permissions_and_the_state_machine() {
    let mut policy = Policy::standard();
    policy.oncall.fixed.0.insert(
        crate::domain::rotation::OnCallRole::Commander,
        UserId("alice".to_owned()),
    );
    let now = at("2026-11-21T10:30:00Z");
    let firing = alert("f1", "checkout", "critical", AlertStatus::Firing);
    let mut incident = opened(&policy, &firing, now);
    let alice = person("alice", &[PersonRole::Commander]);
    let carol = person("carol", &[PersonRole::Communications]);

    let ack = Command::Transition(Transition::Acknowledge);
    let outcome = apply_standard(&mut incident, &carol, &ack, now).unwrap();
    assert_eq!(outcome.reply.as_ref().unwrap().id, "reply-state-changed");
    assert_eq!(incident.state, IncidentState::Acknowledged);
    assert_eq!(incident.milestones.acknowledged, Some(now));

    let again = apply_standard(&mut incident, &carol, &ack, now).unwrap_err();
    assert_eq!(again.id, "reply-transition-refused");

    let resolve = Command::Transition(Transition::Resolve);
    let refused = apply_standard(&mut incident, &carol, &resolve, now).unwrap_err();
    assert_eq!(refused.id, "reply-not-allowed");
    assert_eq!(incident.state, IncidentState::Acknowledged);

    let assign = Command::AssignRole {
        role: IncidentRole::Communications,
        user: UserId("mallory".to_owned()),
    };
    let unknown = apply_standard(&mut incident, &alice, &assign, now).unwrap_err();
    assert_eq!(unknown.id, "reply-unknown-user");

    let severity = Command::Severity(Severity::Sev2);
    apply_standard(&mut incident, &alice, &severity, now).unwrap();
    assert_eq!(incident.severity, Severity::Sev2);
    let unchanged = apply_standard(&mut incident, &alice, &severity, now).unwrap_err();
    assert_eq!(unchanged.id, "reply-severity-unchanged");

    let outcome = apply_standard(&mut incident, &alice, &resolve, now).unwrap();
    assert_eq!(incident.state, IncidentState::Resolved);
    assert!(outcome.effects.contains(&Effect::RefreshCard {
        incident: incident.id
    }));

    let long_note = Command::Note("x".repeat(MAX_NOTE_CHARS + 1));
    let too_long = apply_standard(&mut incident, &carol, &long_note, now).unwrap_err();
    assert_eq!(too_long.id, "reply-note-too-long");
}
