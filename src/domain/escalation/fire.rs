//! A due escalation deadline turned into what it does: the room post calling the step's
//! people, direct messages, a page, the timeline entry and the next deadline. Pure: who
//! holds a role is asked through `callees`, and `now` is an argument.

use chrono::{DateTime, Utc};

use super::{
    EscalationPolicy, PolicyOrigin, QuietHours, StepAction, cycle_tag, decide_step, held_key,
    step_key,
};
use crate::domain::access::PersonRole;
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::Decision;
use crate::domain::effect::Effect;
use crate::domain::ids::{Actor, UserId};
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::message::Msg;
use crate::domain::timeline::EntryKind;

/// One due escalation deadline and what its decision needs to know.
#[derive(Debug, Clone, Copy)]
pub struct EscalationFiring<'a> {
    pub policy: &'a EscalationPolicy,
    pub incident: &'a Incident,
    /// The key the deadline is stored under (a legacy `ack_reminder:…` key is removed and
    /// the next repeat set under the step's own key).
    pub key: &'a str,
    pub step: u32,
    pub repeat_index: u32,
    pub quiet: Option<&'a QuietHours>,
    pub now: DateTime<Utc>,
}

/// Fires a due step: the room post goes out now; direct messages and the page go out now,
/// or at the end of quiet hours through a held deadline; the next repeat is set one `after`
/// from now. When the step no longer applies (the incident left `triggered`, the step is
/// gone from config) the deadline is only removed.
pub fn fire_step(
    firing: &EscalationFiring<'_>,
    callees: &dyn Fn(PersonRole) -> Vec<UserId>,
) -> Decision {
    let mut decision = Decision::default();
    let incident = firing.incident;
    let Some(action) = decide_step(
        firing.policy,
        incident.id,
        firing.step,
        firing.repeat_index,
        incident.state,
        incident.severity,
        firing.now,
        firing.quiet,
    ) else {
        decision.deadlines.push(cancel(firing.key));
        return decision;
    };
    let people = called(&action.notify, callees);
    decision.effects.push(Effect::Notify {
        incident: incident.id,
        message: room_message(firing, &action, &people),
    });
    let mut how: Vec<String> = vec!["room".to_owned()];
    if action.here {
        how.push("here".to_owned());
    }
    if action.direct {
        how.push("direct".to_owned());
    }
    if action.page {
        how.push("page".to_owned());
    }
    match action.delayed_until {
        Some(until) => decision.deadlines.push(DeadlineChange::Set(Deadline {
            key: held_key(incident.id, firing.step),
            due: until,
            kind: DeadlineKind::Escalation {
                incident: incident.id,
                step: firing.step,
                repeat_index: firing.repeat_index,
                held: true,
            },
        })),
        None => call_directly(&mut decision, firing, &action, &people),
    }
    let entry = match firing.policy.origin {
        PolicyOrigin::AckReminder => EntryKind::AckReminder {
            number: firing.repeat_index + 1,
            max: repeats_of(firing) + 1,
        },
        PolicyOrigin::Configured => EntryKind::EscalationStep {
            step: firing.step,
            repeat: firing.repeat_index,
            notified: people,
            how,
            held_until: action.delayed_until,
        },
    };
    decision.entry(&Actor::warroom(), entry);
    match action.next {
        Some(next) => {
            if next.key != firing.key {
                decision.deadlines.push(cancel(firing.key));
            }
            decision.deadlines.push(DeadlineChange::Set(Deadline {
                key: next.key,
                due: next.due,
                kind: DeadlineKind::Escalation {
                    incident: incident.id,
                    step: next.step,
                    repeat_index: next.repeat_index,
                    held: false,
                },
            }));
        }
        None => decision.deadlines.push(cancel(firing.key)),
    }
    decision
}

/// Sends the direct messages and the page quiet hours held back, if the incident is still
/// triggered; the held deadline goes away either way. The room post went out when the step
/// fired, so only what was held is recorded (`escalation_step`, how: direct, page).
pub fn release_held(
    firing: &EscalationFiring<'_>,
    callees: &dyn Fn(PersonRole) -> Vec<UserId>,
) -> Decision {
    let mut decision = Decision::default();
    decision.deadlines.push(cancel(firing.key));
    let configured = firing
        .step
        .checked_sub(1)
        .and_then(|index| usize::try_from(index).ok())
        .and_then(|index| firing.policy.steps.get(index));
    let Some(configured) = configured else {
        return decision;
    };
    if firing.incident.state != IncidentState::Triggered {
        return decision;
    }
    let action = StepAction {
        step: firing.step,
        repeat_index: firing.repeat_index,
        notify: configured.notify.clone(),
        direct: configured.direct,
        here: false,
        page: configured.page,
        delayed_until: None,
        next: None,
    };
    let people = called(&action.notify, callees);
    call_directly(&mut decision, firing, &action, &people);
    let how = [(action.direct, "direct"), (action.page, "page")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, word)| word.to_owned())
        .collect();
    decision.entry(
        &Actor::warroom(),
        EntryKind::EscalationStep {
            step: firing.step,
            repeat: firing.repeat_index,
            notified: people,
            how,
            held_until: None,
        },
    );
    decision
}

/// The people a step calls: each role's holders in the step's order, each person once.
fn called(roles: &[PersonRole], callees: &dyn Fn(PersonRole) -> Vec<UserId>) -> Vec<UserId> {
    let mut people: Vec<UserId> = Vec::new();
    for role in roles {
        for person in callees(*role) {
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    people
}

/// Direct messages (one per person, idempotent per step, repeat, triggered cycle and
/// person) and the page.
fn call_directly(
    decision: &mut Decision,
    firing: &EscalationFiring<'_>,
    action: &StepAction,
    people: &[UserId],
) {
    let incident = firing.incident;
    if action.direct {
        for person in people {
            decision.effects.push(Effect::Direct {
                user: person.clone(),
                incident: Some(incident.id),
                key: format!(
                    "{}:{}{}:{}",
                    step_key(incident.id, action.step),
                    action.repeat_index,
                    cycle_tag(incident.milestones.reopened),
                    person.0
                ),
                message: Msg::new("dm-escalation-step")
                    .word("incident", incident.id)
                    .word("severity", incident.severity)
                    .outside("title", incident.title.clone())
                    .number("minutes", minutes_open(incident, firing.now))
                    .number("step", u64::from(action.step)),
            });
        }
    }
    if action.page {
        decision.effects.push(Effect::Page {
            incident: incident.id,
            step: action.step,
            repeat_index: action.repeat_index,
            notify: people.to_vec(),
            reopened: incident.milestones.reopened,
        });
    }
}

/// The room post. The acknowledgement reminder keeps its own words (calling exactly the
/// commander and the operations lead); a configured step names its number and calls
/// everyone it notifies, and says so when nobody holds its roles.
fn room_message(firing: &EscalationFiring<'_>, action: &StepAction, people: &[UserId]) -> Msg {
    let incident = firing.incident;
    let minutes = minutes_open(incident, firing.now);
    let number = u64::from(firing.repeat_index) + 1;
    let max = u64::from(repeats_of(firing)) + 1;
    let msg = match (firing.policy.origin, people) {
        (PolicyOrigin::AckReminder, []) => Msg::new("notice-ack-reminder-nobody"),
        (PolicyOrigin::AckReminder, [one]) => Msg::new("notice-ack-reminder-one").call("user", one),
        (PolicyOrigin::AckReminder, [commander, operations, ..]) => Msg::new("notice-ack-reminder")
            .call("commander", commander)
            .call("operations", operations),
        // A `here` step calls the room even when nobody holds its roles: that is when the
        // room is needed most.
        (PolicyOrigin::Configured, []) if action.here => Msg::new("notice-escalation-here-nobody")
            .here("here")
            .number("step", u64::from(action.step)),
        (PolicyOrigin::Configured, []) => {
            Msg::new("notice-escalation-nobody").number("step", u64::from(action.step))
        }
        (PolicyOrigin::Configured, people) if action.here => Msg::new("notice-escalation-here")
            .here("here")
            .number("step", u64::from(action.step))
            .calls("people", people),
        (PolicyOrigin::Configured, people) => Msg::new("notice-escalation")
            .number("step", u64::from(action.step))
            .calls("people", people),
    };
    msg.word("incident", incident.id)
        .number("minutes", minutes)
        .number("number", number)
        .number("max", max)
}

fn repeats_of(firing: &EscalationFiring<'_>) -> u32 {
    firing
        .step
        .checked_sub(1)
        .and_then(|index| usize::try_from(index).ok())
        .and_then(|index| firing.policy.steps.get(index))
        .map_or(0, |step| step.repeat)
}

fn minutes_open(incident: &Incident, now: DateTime<Utc>) -> u64 {
    u64::try_from((now - incident.opened_at).num_minutes()).unwrap_or(0)
}

fn cancel(key: &str) -> DeadlineChange {
    DeadlineChange::Cancel {
        key: key.to_owned(),
    }
}
