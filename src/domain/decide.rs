//! The decisions: given what is stored, an event and `now`, what changes, what goes on the
//! timeline and what the world must be told. No I/O here; the engine loads and stores.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::access::{Permission, Person, authorize};
use crate::domain::alert::{Alert, AlertStatus};
use crate::domain::alert_rules::{effective_start, is_stale_firing};
use crate::domain::command::{COMMAND_TREE, Command, OptionValues, build};
use crate::domain::deadline::DeadlineChange;
use crate::domain::effect::Effect;
use crate::domain::ids::{Actor, IncidentId, UserId};
use crate::domain::incident::{
    AlertCounts, Incident, IncidentRole, IncidentState, Milestones, Roles, Transition,
    allowed_transitions, apply_transition,
};
use crate::domain::message::Msg;
use crate::domain::severity::{Severity, SeverityMapping};
use crate::domain::timeline::EntryKind;

/// The knobs of the core, built from config.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Labels whose values make the group key; empty means "service, else alertname".
    pub grouping_labels: Vec<String>,
    /// How long after an incident's last alert a new alert of its group still joins it.
    pub grouping_window: Duration,
    pub severity: SeverityMapping,
    /// Alerts less severe than this are recorded but open no incident.
    pub min_incident_severity: Severity,
    /// Resolve the incident when its last alert resolves (off by default: a human decides).
    pub auto_resolve: bool,
    /// Who is on call: rotations, `[oncall]` and overrides. Not a setting: the engine fills
    /// it before each step from its one on-call source (`crate::oncall::OnCall`).
    pub oncall: crate::domain::rotation::OnCallBook,
    /// The zone timelines are shown in (`[chat] time_zone`); stored times stay UTC.
    pub time_zone: chrono_tz::Tz,
    /// Remind a still-triggered incident's room after this long (`[incidents] ack_reminder`);
    /// `None` turns reminders off.
    pub ack_reminder: Option<Duration>,
    /// How many reminders an incident gets in all.
    pub ack_reminder_max: u32,
    /// Health probes: allowed hosts, services' URLs, timeout.
    pub probes: crate::domain::probe::ProbePolicy,
    /// The command catalog, the services and the approval settings.
    pub actions: crate::domain::action::ActionPolicy,
    /// `[[escalation]]`: later steps for incidents still triggered, by severity.
    pub escalation: Vec<crate::domain::escalation::EscalationPolicy>,
    /// `[quiet_hours]`: when direct messages and pages for some severities wait.
    pub quiet_hours: Option<crate::domain::escalation::QuietHours>,
    /// `[tasks]`: the overdue-task ladder and the follow-up due time.
    pub tasks: crate::domain::task::TaskSettings,
    /// `[status_updates]`: how long an open incident of each severity may go without a
    /// status update before its commander and communications lead are reminded.
    pub status_updates: std::collections::BTreeMap<Severity, Duration>,
}

impl Policy {
    pub fn standard() -> Policy {
        Policy {
            grouping_labels: Vec::new(),
            grouping_window: Duration::hours(4),
            severity: SeverityMapping::standard(),
            min_incident_severity: Severity::Sev3,
            auto_resolve: false,
            oncall: crate::domain::rotation::OnCallBook::default(),
            time_zone: chrono_tz::Tz::UTC,
            ack_reminder: None,
            ack_reminder_max: 3,
            probes: crate::domain::probe::ProbePolicy::default(),
            actions: crate::domain::action::ActionPolicy::default(),
            escalation: Vec::new(),
            quiet_hours: None,
            tasks: crate::domain::task::TaskSettings::default(),
            status_updates: std::collections::BTreeMap::new(),
        }
    }
}

/// An alert as stored: the last state seen and the incident it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAlert {
    pub alert: Alert,
    pub severity: Severity,
    pub incident: Option<IncidentId>,
    pub first_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    /// The start of the last stale firing noted on the timeline: a sender replaying the same
    /// stale firing is noted once, not once per replay.
    #[serde(default)]
    pub stale_noted: Option<DateTime<Utc>>,
}

/// Where an incoming alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertRoute {
    /// The same state again (retry, HA pair, repeat interval): change nothing.
    Duplicate,
    /// Keep the alert up to date but involve no incident.
    RecordOnly(RecordReason),
    /// Apply to the incident the alert already belongs to.
    Existing(IncidentId),
    /// Join the open incident of the alert's group.
    Join(IncidentId),
    /// Open a new incident for the group.
    Open { group_key: String },
    /// A firing not newer than the resolve already stored (a late or replayed delivery):
    /// noted on the incident it belonged to, if any, and otherwise ignored.
    Stale { incident: Option<IncidentId> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordReason {
    /// Same state, fresher annotations.
    Refreshed,
    /// Less severe than the incident threshold.
    BelowThreshold,
    /// Resolved before warroom ever saw it firing.
    ResolvedUnseen,
}

/// What the core decided for one event: timeline entries (with their actors), effects, and
/// the reply to whoever asked (a command's answer). A plain struct: each kind of output is a
/// field, so a new kind (deadlines, jobs) is a new field with a default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub entries: Vec<(Actor, EntryKind)>,
    pub effects: Vec<Effect>,
    /// Deadlines set or cancelled, written in the same transaction as the rest.
    pub deadlines: Vec<DeadlineChange>,
    /// Jobs to create in the same transaction (see `domain::job`).
    pub jobs: Vec<crate::domain::job::NewJob>,
    /// The answer to the person who typed or clicked, when the event was a command.
    pub reply: Option<Msg>,
}

/// The former name of [`Decision`], kept so code written against it still reads.
pub type Applied = Decision;

impl Decision {
    /// The same decision answering `reply`.
    pub fn replying(mut self, reply: Msg) -> Decision {
        self.reply = Some(reply);
        self
    }

    pub(crate) fn entry(&mut self, actor: &Actor, kind: EntryKind) {
        self.entries.push((actor.clone(), kind));
    }

    fn refresh_card(&mut self, incident: IncidentId) {
        if !self.effects.contains(&Effect::RefreshCard { incident }) {
            self.effects.push(Effect::RefreshCard { incident });
        }
    }
}

/// The group key of an alert: the configured labels' values, or the service, or the name.
pub fn group_key(policy: &Policy, alert: &Alert) -> String {
    if !policy.grouping_labels.is_empty() {
        let parts: Vec<String> = policy
            .grouping_labels
            .iter()
            .filter_map(|label| {
                alert
                    .labels
                    .get(label)
                    .map(|value| format!("{label}={value}"))
            })
            .collect();
        if !parts.is_empty() {
            return parts.join(",");
        }
    }
    match alert
        .service
        .as_deref()
        .or(alert.labels.get("service").map(String::as_str))
    {
        Some(service) => format!("service={service}"),
        None => format!("alertname={}", alert.name),
    }
}

/// Decides where an alert goes. `previous` is the stored copy (if any), `previous_incident`
/// the incident it belongs to, and `group_incident` the newest incident of its group.
pub fn route_alert(
    policy: &Policy,
    previous: Option<&StoredAlert>,
    previous_incident: Option<&Incident>,
    group_incident: Option<&Incident>,
    alert: &Alert,
    now: DateTime<Utc>,
) -> AlertRoute {
    if let Some(previous) = previous {
        if is_stale_firing(&previous.alert, alert) {
            return AlertRoute::Stale {
                incident: previous.incident,
            };
        }
        if previous.alert.same_state_as(alert) {
            return if previous.alert == *alert {
                AlertRoute::Duplicate
            } else {
                AlertRoute::RecordOnly(RecordReason::Refreshed)
            };
        }
        match (alert.status, previous.incident) {
            (AlertStatus::Resolved, Some(incident)) => return AlertRoute::Existing(incident),
            (AlertStatus::Resolved, None) => {
                return AlertRoute::RecordOnly(RecordReason::ResolvedUnseen);
            }
            (AlertStatus::Firing, Some(incident))
                if previous_incident.is_some_and(|i| i.id == incident && i.state.is_open()) =>
            {
                return AlertRoute::Existing(incident);
            }
            // Firing again after its incident ended: a new occurrence, grouped afresh.
            (AlertStatus::Firing, _) => {}
        }
    } else if alert.status == AlertStatus::Resolved {
        return AlertRoute::RecordOnly(RecordReason::ResolvedUnseen);
    }
    if let Some(incident) = group_incident {
        let last = incident.last_alert_at.unwrap_or(incident.opened_at);
        if incident.state.is_open() && now - last <= policy.grouping_window {
            return AlertRoute::Join(incident.id);
        }
    }
    let severity = policy.severity.map(alert.severity_label.as_deref());
    if !severity.at_least(policy.min_incident_severity) {
        return AlertRoute::RecordOnly(RecordReason::BelowThreshold);
    }
    AlertRoute::Open {
        group_key: group_key(policy, alert),
    }
}

/// Opens an incident for the first alert of a group.
pub fn open_incident_from_alert(
    policy: &Policy,
    id: IncidentId,
    alert: &Alert,
    group_key: String,
    now: DateTime<Utc>,
) -> (Incident, Applied) {
    let severity = policy.severity.map(alert.severity_label.as_deref());
    let title = alert
        .summary()
        .map(str::to_owned)
        .unwrap_or_else(|| alert.name.clone());
    let mut incident = Incident {
        id,
        title,
        severity,
        state: IncidentState::Triggered,
        service: alert.service.clone(),
        group_key: Some(group_key),
        room: None,
        card: None,
        roles: Roles::default(),
        alerts: AlertCounts::default(),
        opened_at: now,
        opened_by: Actor::source(alert.source).0,
        summary: alert.summary().map(str::to_owned),
        description: alert.description().map(str::to_owned),
        generator_url: alert.generator_url.clone(),
        runbook_url: alert.runbook_url().map(str::to_owned),
        last_alert_at: None,
        milestones: Milestones {
            occurred: Some(effective_start(alert, now).0),
            detected: Some(now),
            ..Milestones::default()
        },
        timeline_len: 0,
        reactions_recorded: Default::default(),
    };
    let mut applied = Applied::default();
    applied.entry(
        &Actor::source(alert.source),
        EntryKind::IncidentOpened {
            title: incident.title.clone(),
            severity,
            service: incident.service.clone(),
            declared: false,
        },
    );
    assign_on_call(policy, &mut incident, &mut applied, now);
    let joined = apply_alert_to_incident(policy, &mut incident, None, alert, now);
    applied.entries.extend(joined.entries);
    applied.effects = vec![
        Effect::OpenRoom { incident: id },
        Effect::PostCard { incident: id },
        Effect::MentionRoles { incident: id },
    ];
    applied
        .deadlines
        .extend(crate::domain::timers::on_open(policy, &incident, now));
    // After the card: the probe message follows it in the room.
    let probe = crate::domain::probe::probe_on_open(&policy.probes, id, alert);
    applied.entries.extend(probe.entries);
    applied.effects.extend(probe.effects);
    applied.jobs.extend(probe.jobs);
    (incident, applied)
}

/// Whether `person` may declare an incident titled `title`: checked before an id is taken, so
/// a refused declare uses no sequence number.
pub fn check_declare(person: &Person, title: &str) -> Result<(), Msg> {
    authorize(person, None, Permission::Respond).map_err(|_| refusal_msg("declare"))?;
    if title.trim().chars().count() > MAX_TITLE_CHARS {
        return Err(Msg::new("reply-title-too-long").number("max", MAX_TITLE_CHARS as u64));
    }
    Ok(())
}

/// Opens an incident by hand (`/incident declare`); refuses what [`check_declare`] refuses.
pub fn declare_incident(
    policy: &Policy,
    id: IncidentId,
    title: &str,
    severity: Option<Severity>,
    person: &Person,
    now: DateTime<Utc>,
) -> Result<(Incident, Decision), Msg> {
    check_declare(person, title)?;
    let title = title.trim();
    let severity = severity.unwrap_or(Severity::Sev3);
    let actor = Actor::user(&person.id);
    let mut incident = Incident {
        id,
        title: title.to_owned(),
        severity,
        state: IncidentState::Triggered,
        service: None,
        group_key: None,
        room: None,
        card: None,
        roles: Roles::default(),
        alerts: AlertCounts::default(),
        opened_at: now,
        opened_by: actor.0.clone(),
        summary: None,
        description: None,
        generator_url: None,
        runbook_url: None,
        last_alert_at: None,
        milestones: Milestones {
            occurred: Some(now),
            detected: Some(now),
            ..Milestones::default()
        },
        timeline_len: 0,
        reactions_recorded: Default::default(),
    };
    let mut applied = Applied::default();
    applied.entry(
        &actor,
        EntryKind::IncidentOpened {
            title: incident.title.clone(),
            severity,
            service: None,
            declared: true,
        },
    );
    assign_on_call(policy, &mut incident, &mut applied, now);
    applied.effects = vec![
        Effect::OpenRoom { incident: id },
        Effect::PostCard { incident: id },
        Effect::MentionRoles { incident: id },
    ];
    applied
        .deadlines
        .extend(crate::domain::timers::on_open(policy, &incident, now));
    Ok((incident, applied))
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 1500;

fn assign_on_call(
    policy: &Policy,
    incident: &mut Incident,
    applied: &mut Applied,
    now: DateTime<Utc>,
) {
    let on_call = policy.oncall.roles(incident.service.as_deref(), now);
    for role in IncidentRole::ALL {
        if let Some(user) = on_call.get(role) {
            incident.roles.set(role, Some(user.clone()));
            applied.entry(
                &Actor::warroom(),
                EntryKind::RoleAssigned {
                    role,
                    user: user.clone(),
                    user_name: None,
                    previous: None,
                },
            );
        }
    }
}

/// Applies an alert to an incident it belongs to or joins. `previous` is the stored copy.
pub fn apply_alert_to_incident(
    policy: &Policy,
    incident: &mut Incident,
    previous: Option<&StoredAlert>,
    alert: &Alert,
    now: DateTime<Utc>,
) -> Applied {
    let mut applied = Applied::default();
    let actor = Actor::source(alert.source);
    let severity = policy.severity.map(alert.severity_label.as_deref());
    let was_all_resolved = incident.all_alerts_resolved();
    let before = previous
        .filter(|previous| previous.incident == Some(incident.id))
        .map(|previous| previous.alert.status);
    let (start, corrected) = effective_start(alert, now);
    let counts = &mut incident.alerts;
    let newly_firing =
        alert.status == AlertStatus::Firing && matches!(before, None | Some(AlertStatus::Resolved));
    match (before, alert.status) {
        (None, status) => {
            match status {
                AlertStatus::Firing => counts.firing += 1,
                AlertStatus::Resolved => counts.resolved += 1,
            }
            applied.entry(
                &actor,
                EntryKind::AlertReceived {
                    source: alert.source,
                    fingerprint: alert.fingerprint.clone(),
                    name: alert.name.clone(),
                    severity,
                    status,
                },
            );
        }
        (Some(AlertStatus::Firing), AlertStatus::Resolved) => {
            counts.firing = counts.firing.saturating_sub(1);
            counts.resolved += 1;
            applied.entry(
                &actor,
                EntryKind::AlertResolved {
                    source: alert.source,
                    fingerprint: alert.fingerprint.clone(),
                    name: alert.name.clone(),
                },
            );
        }
        (Some(AlertStatus::Resolved), AlertStatus::Firing) => {
            counts.resolved = counts.resolved.saturating_sub(1);
            counts.firing += 1;
            applied.entry(
                &actor,
                EntryKind::AlertReceived {
                    source: alert.source,
                    fingerprint: alert.fingerprint.clone(),
                    name: alert.name.clone(),
                    severity,
                    status: AlertStatus::Firing,
                },
            );
        }
        (Some(_), status) => applied.entry(
            &actor,
            EntryKind::AlertUpdated {
                source: alert.source,
                fingerprint: alert.fingerprint.clone(),
                name: alert.name.clone(),
                status,
            },
        ),
    }
    if let Some(original) = corrected
        && newly_firing
    {
        applied.entry(
            &Actor::warroom(),
            EntryKind::AlertStartCorrected {
                fingerprint: alert.fingerprint.clone(),
                name: alert.name.clone(),
                original,
                used: start,
            },
        );
    }
    if alert.status == AlertStatus::Firing {
        incident.last_alert_at = Some(now);
        if let Some(occurred) = incident.milestones.occurred {
            incident.milestones.occurred = Some(occurred.min(start));
        }
        if severity < incident.severity {
            applied.entry(
                &actor,
                EntryKind::SeverityChanged {
                    from: incident.severity,
                    to: severity,
                    reason: "alert".to_owned(),
                },
            );
            applied.effects.push(Effect::Notify {
                incident: incident.id,
                message: Msg::new("notice-severity-raised-by-alert")
                    .word("severity", severity)
                    .outside("alert", &alert.name),
            });
            let from = incident.severity;
            incident.severity = severity;
            applied
                .deadlines
                .extend(crate::domain::timers::on_severity_change(
                    policy, incident, from, now,
                ));
        }
    }
    if incident.all_alerts_resolved() && !was_all_resolved {
        applied.entry(&Actor::warroom(), EntryKind::AllAlertsResolved);
        applied.effects.push(Effect::Notify {
            incident: incident.id,
            message: Msg::new("notice-all-alerts-resolved"),
        });
        if policy.auto_resolve && incident.state.is_open() {
            let from = incident.state;
            if let Ok(to) = apply_transition(incident, Transition::Resolve, now) {
                applied
                    .deadlines
                    .extend(crate::domain::timers::on_transition(
                        policy, incident, from, now,
                    ));
                applied.entry(&Actor::warroom(), EntryKind::StateChanged { from, to });
                applied.effects.push(Effect::Notify {
                    incident: incident.id,
                    message: Msg::new("notice-auto-resolved"),
                });
            }
        }
    }
    applied.refresh_card(incident.id);
    applied
}

/// Applies an incident command typed or clicked by `person`. `is_known` says whether a user
/// named in the command exists. Refusals come back as the localized reply to send.
pub fn apply_command(
    policy: &Policy,
    incident: &mut Incident,
    person: &Person,
    command: &Command,
    is_known: &dyn Fn(&UserId) -> bool,
    now: DateTime<Utc>,
) -> Result<Decision, Msg> {
    let actor = Actor::user(&person.id);
    let id = incident.id;
    let mut applied = Applied::default();
    let reply = match command {
        Command::Transition(transition) => {
            let permission = match transition {
                Transition::Acknowledge | Transition::Mitigate => Permission::Respond,
                Transition::Resolve | Transition::Close | Transition::Reopen => Permission::Steer,
            };
            authorize(person, Some(&incident.roles), permission)
                .map_err(|_| refusal_msg(transition.as_str()))?;
            let from = incident.state;
            let to = apply_transition(incident, *transition, now)
                .map_err(|refused| {
                    Msg::new("reply-transition-refused")
                        .word("action", refused.transition.as_str())
                        .word("state", refused.from)
                })
                .map_err(|refusal| with_next_steps(refusal, from))?;
            applied.entry(&actor, EntryKind::StateChanged { from, to });
            applied
                .deadlines
                .extend(crate::domain::timers::on_transition(
                    policy, incident, from, now,
                ));
            applied.effects.push(Effect::Notify {
                incident: id,
                message: Msg::new("notice-state-changed")
                    .person("user", person)
                    .word("state", to),
            });
            let firing = incident.alerts.firing;
            if to == IncidentState::Resolved && firing > 0 {
                // Resolving is a person's call, but one made knowing what still fires.
                applied.effects.push(Effect::Notify {
                    incident: id,
                    message: Msg::new("notice-resolved-while-firing").number("firing", firing),
                });
                Msg::new("reply-resolved-while-firing")
                    .word("incident", id)
                    .number("firing", firing)
            } else {
                Msg::new("reply-state-changed")
                    .word("incident", id)
                    .word("state", to)
            }
        }
        Command::Severity(severity) => {
            authorize(person, Some(&incident.roles), Permission::Steer)
                .map_err(|_| refusal_msg("severity"))?;
            refuse_when_closed(incident, "severity")?;
            if *severity == incident.severity {
                return Err(Msg::new("reply-severity-unchanged").word("severity", severity));
            }
            applied.entry(
                &actor,
                EntryKind::SeverityChanged {
                    from: incident.severity,
                    to: *severity,
                    reason: "manual".to_owned(),
                },
            );
            let from = incident.severity;
            incident.severity = *severity;
            applied
                .deadlines
                .extend(crate::domain::timers::on_severity_change(
                    policy, incident, from, now,
                ));
            applied.effects.push(Effect::Notify {
                incident: id,
                message: Msg::new("notice-severity-changed")
                    .person("user", person)
                    .word("severity", severity),
            });
            Msg::new("reply-severity-changed")
                .word("incident", id)
                .word("severity", severity)
        }
        Command::AssignRole { role, user } => {
            authorize(person, Some(&incident.roles), Permission::Steer)
                .map_err(|_| refusal_msg("role"))?;
            refuse_when_closed(incident, "role")?;
            if !is_known(user) {
                return Err(Msg::new("reply-unknown-user").user("user", user));
            }
            let previous = incident.roles.get(*role).cloned();
            if previous.as_ref() == Some(user) {
                return Err(Msg::new("reply-role-unchanged")
                    .user("user", user)
                    .word("role", role.as_str()));
            }
            incident.roles.set(*role, Some(user.clone()));
            applied.entry(
                &actor,
                EntryKind::RoleAssigned {
                    role: *role,
                    user: user.clone(),
                    user_name: None,
                    previous,
                },
            );
            applied.effects.push(Effect::Notify {
                incident: id,
                message: Msg::new("notice-role-assigned")
                    .user("user", user)
                    .word("role", role.as_str())
                    .person("by", person),
            });
            Msg::new("reply-role-assigned")
                .user("user", user)
                .word("role", role.as_str())
        }
        Command::Note(text) => {
            authorize(person, Some(&incident.roles), Permission::Respond)
                .map_err(|_| refusal_msg("note"))?;
            let text = text.trim();
            if text.chars().count() > MAX_NOTE_CHARS {
                return Err(Msg::new("reply-note-too-long").number("max", MAX_NOTE_CHARS as u64));
            }
            applied.entry(
                &actor,
                EntryKind::NoteAdded {
                    text: text.to_owned(),
                },
            );
            applied.effects.push(Effect::Notify {
                incident: id,
                message: Msg::new("notice-note")
                    .person("user", person)
                    .outside("text", text),
            });
            return Ok(applied.replying(Msg::new("reply-note-added").word("incident", id)));
        }
        Command::Status { .. }
        | Command::List
        | Command::Timeline { .. }
        | Command::Declare { .. }
        | Command::Reprobe
        | Command::Action { .. }
        | Command::Actions
        | Command::Vote { .. }
        | Command::Update(_)
        | Command::Task(_)
        | Command::OnCall
        | Command::OnCallOverride { .. }
        | Command::Help => {
            // Read-only and incident-less commands are answered by the engine's queries, which
            // read views; nothing changes here.
            return Ok(applied.replying(
                Msg::new("reply-status")
                    .word("incident", id)
                    .outside("title", &incident.title)
                    .word("state", incident.state)
                    .word("severity", incident.severity)
                    .number("firing", incident.alerts.firing)
                    .number("resolved", incident.alerts.resolved),
            ));
        }
    };
    applied.refresh_card(id);
    Ok(applied.replying(reply))
}

/// The message id of a refusal for lack of a right: adapters answer it as such (the console
/// API with 403).
pub const NOT_ALLOWED: &str = "reply-not-allowed";

fn refusal_msg(action: &str) -> Msg {
    Msg::new("reply-not-allowed").word("action", action)
}

/// A closed incident is the record of what happened: its severity and roles stay as they
/// were unless someone reopens it.
fn refuse_when_closed(incident: &Incident, action: &str) -> Result<(), Msg> {
    if incident.state == IncidentState::Closed {
        return Err(Msg::new("reply-incident-closed")
            .word("incident", incident.id)
            .word("action", action));
    }
    Ok(())
}

/// A refused transition also says what the state machine allows from here.
fn with_next_steps(refusal: Msg, state: IncidentState) -> Msg {
    let allowed: Vec<String> = allowed_transitions(state)
        .into_iter()
        .map(transition_command)
        .collect();
    refusal.word("allowed", allowed.join(", "))
}

/// The typed command that asks for `transition`, found in the command tree.
pub fn transition_command(transition: Transition) -> String {
    COMMAND_TREE
        .iter()
        .find(|leaf| build(leaf, &OptionValues::new()) == Ok(Command::Transition(transition)))
        .map(|leaf| format!("/{}", leaf.path.join(" ")))
        .unwrap_or_else(|| transition.as_str().to_owned())
}

#[cfg(test)]
pub(crate) mod tests;
