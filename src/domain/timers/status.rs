//! Status updates (`/incident update`) and their reminder (`[status_updates]`): an open
//! incident whose severity has an interval must get a status update at least that often.
//! The reminder is one deadline per incident (`status_update:<incident>`), set when the
//! incident opens (or reopens) and after each update, removed when it is no longer open.
//! When it fires, the commander and the communications lead are reminded in the room; from
//! the second reminder on the duty manager is told too, by direct message. It re-arms from
//! `now` (after downtime it fires once, not once per missed interval), at most
//! [`MAX_STATUS_REMINDERS`] times between two updates.

use chrono::{DateTime, Duration, Utc};

use crate::domain::access::{Permission, Person, authorize};
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind, status_update_key};
use crate::domain::decide::{Decision, MAX_NOTE_CHARS, Policy};
use crate::domain::effect::Effect;
use crate::domain::ids::{Actor, UserId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::message::Msg;
use crate::domain::timeline::EntryKind;

/// Reminders between two status updates, at most; the last ones also tell the duty manager.
pub const MAX_STATUS_REMINDERS: u32 = 3;

/// The reminder to set when `incident` opens at `now`: only for an open incident whose
/// severity has an interval.
pub fn status_on_open(
    policy: &Policy,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    if !incident.state.is_open() {
        return Vec::new();
    }
    arm(policy, incident, 0, now).into_iter().collect()
}

/// What a state change does to the reminder: leaving the open states removes it (whatever
/// this severity's interval is now, so one set before a severity change goes too); coming
/// back to an open state (a reopen) sets a fresh one. Moving between open states changes
/// nothing: an acknowledgement is no status update. With `[status_updates]` gone from the
/// config altogether nothing is cancelled: a reminder left from before fires once, finds
/// nothing to remind (see [`status_due`]) and is removed.
pub fn status_on_transition(
    policy: &Policy,
    incident: &Incident,
    from: IncidentState,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    match (from.is_open(), incident.state.is_open()) {
        (true, false) if !policy.status_updates.is_empty() => vec![cancel(incident)],
        (false, true) => arm(policy, incident, 0, now).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// What a severity change does to the reminder of an open incident: the new severity's
/// interval counts from the change (a fresh series), or, when it has none, the reminder goes.
/// Without `[status_updates]` at all nothing is written.
pub fn status_on_severity_change(
    policy: &Policy,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Vec<DeadlineChange> {
    if !incident.state.is_open() || policy.status_updates.is_empty() {
        return Vec::new();
    }
    vec![arm(policy, incident, 0, now).unwrap_or_else(|| cancel(incident))]
}

/// `/incident update <text>` by `person`: anyone who may respond, on an incident that is not
/// closed. The update goes on the timeline (`status_update`), into the room and to the
/// announcement room, and the reminder starts over (or goes, when the incident's severity
/// has no interval any more). `seq` is the number the update's timeline entry will take; it
/// keys the announcement.
pub fn status_update(
    policy: &Policy,
    incident: &Incident,
    person: &Person,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Decision, Msg> {
    authorize(person, Some(&incident.roles), Permission::Respond)
        .map_err(|_| Msg::new("reply-not-allowed").word("action", "update"))?;
    if incident.state == IncidentState::Closed {
        return Err(Msg::new("reply-incident-closed")
            .word("incident", incident.id)
            .word("action", "update"));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(Msg::new("reply-update-empty"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Msg::new("reply-update-too-long").number("max", MAX_NOTE_CHARS as u64));
    }
    let mut decision = Decision::default();
    decision.entry(
        &Actor::user(&person.id),
        EntryKind::StatusUpdate {
            text: text.to_owned(),
        },
    );
    decision.effects.push(Effect::Notify {
        incident: incident.id,
        message: Msg::new("notice-status-update")
            .person("user", person)
            .outside("text", text),
    });
    decision.effects.push(Effect::Announce {
        key: announce_key(incident),
        message: Msg::new("announce-status-update")
            .word("incident", incident.id)
            .word("severity", incident.severity)
            .outside("title", &incident.title)
            .person("user", person)
            .outside("text", text),
    });
    if incident.state.is_open() {
        decision
            .deadlines
            .push(arm(policy, incident, 0, now).unwrap_or_else(|| cancel(incident)));
    }
    Ok(decision.replying(Msg::new("reply-update-posted").word("incident", incident.id)))
}

/// Decides a due reminder. `incident` is the incident as it is now (`None` if it is gone),
/// `sent` how many reminders went out since the last update, `reminded` the commander and
/// communications lead (each once), `duty_managers` whom the duty manager role calls. A
/// reminder goes out only for an incident still open whose severity has an interval, fewer
/// than [`MAX_STATUS_REMINDERS`] sent; it re-arms from `now` until the maximum. Otherwise the
/// deadline is removed.
pub fn status_due(
    policy: &Policy,
    incident: Option<&Incident>,
    key: &str,
    sent: u32,
    reminded: &[UserId],
    duty_managers: &[UserId],
    now: DateTime<Utc>,
) -> Decision {
    let mut decision = Decision::default();
    let remove = DeadlineChange::Cancel {
        key: key.to_owned(),
    };
    let Some(incident) = incident else {
        decision.deadlines.push(remove);
        return decision;
    };
    let Some(interval) = interval(policy, incident) else {
        decision.deadlines.push(remove);
        return decision;
    };
    if !incident.state.is_open() || sent >= MAX_STATUS_REMINDERS {
        decision.deadlines.push(remove);
        return decision;
    }
    let number = sent + 1;
    // The first reminder is the leads' alone; from the second the duty manager hears too.
    let told: &[UserId] = if number >= 2 { duty_managers } else { &[] };
    let mut to: Vec<UserId> = reminded.to_vec();
    for user in told {
        if !to.contains(user) {
            to.push(user.clone());
        }
    }
    decision.entry(
        &Actor::warroom(),
        EntryKind::StatusUpdateReminded {
            number,
            to,
            duty_manager: !told.is_empty(),
        },
    );
    decision.effects.push(Effect::Notify {
        incident: incident.id,
        message: reminder_message(incident, reminded, number, interval),
    });
    // The reminder's number starts over after each update and reopen, and a chat drops a
    // direct-message key it has seen, so the firing's instant tells one series from the next.
    for user in told {
        decision.effects.push(Effect::Direct {
            user: user.clone(),
            incident: Some(incident.id),
            key: format!("{key}:{number}:{}:{}", now.timestamp_millis(), user.0),
            message: Msg::new("direct-status-update-overdue")
                .word("incident", incident.id)
                .word("severity", incident.severity)
                .outside("title", &incident.title)
                .number("number", u64::from(number))
                .number("minutes", minutes(interval)),
        });
    }
    decision.deadlines.push(if number < MAX_STATUS_REMINDERS {
        set(incident, interval, number, now)
    } else {
        remove
    });
    decision
}

/// The key of the announcement of a status update: the incident and the update's place on
/// its timeline, so each update is announced once.
fn announce_key(incident: &Incident) -> String {
    format!("status:{}:{}", incident.id, incident.timeline_len + 1)
}

fn interval(policy: &Policy, incident: &Incident) -> Option<Duration> {
    policy
        .status_updates
        .get(&incident.severity)
        .copied()
        .filter(|interval| *interval > Duration::zero())
}

fn arm(
    policy: &Policy,
    incident: &Incident,
    sent: u32,
    now: DateTime<Utc>,
) -> Option<DeadlineChange> {
    interval(policy, incident).map(|interval| set(incident, interval, sent, now))
}

fn set(incident: &Incident, interval: Duration, sent: u32, now: DateTime<Utc>) -> DeadlineChange {
    DeadlineChange::Set(Deadline {
        key: status_update_key(incident.id),
        due: now + interval,
        kind: DeadlineKind::StatusUpdate {
            incident: incident.id,
            sent,
        },
    })
}

fn cancel(incident: &Incident) -> DeadlineChange {
    DeadlineChange::Cancel {
        key: status_update_key(incident.id),
    }
}

fn minutes(interval: Duration) -> u64 {
    u64::try_from(interval.num_minutes()).unwrap_or(0)
}

/// Calls the commander and the communications lead (once if one person holds both); with
/// neither role held it says so instead of calling anyone.
fn reminder_message(
    incident: &Incident,
    reminded: &[UserId],
    number: u32,
    interval: Duration,
) -> Msg {
    let msg = match reminded {
        [] => Msg::new("notice-status-update-due-nobody"),
        [one] => Msg::new("notice-status-update-due-one").call("user", one),
        [first, second, ..] => Msg::new("notice-status-update-due")
            .call("first", first)
            .call("second", second),
    };
    msg.word("incident", incident.id)
        .number("minutes", minutes(interval))
        .number("number", u64::from(number))
        .number("max", u64::from(MAX_STATUS_REMINDERS))
}

#[cfg(test)]
mod tests;
