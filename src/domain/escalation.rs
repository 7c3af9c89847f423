//! Escalation (`[[escalation]]`, `[quiet_hours]`): when an incident stays triggered, later
//! steps call more people, by direct message, `@here` or a page. Every step and repeat is a
//! durable deadline planned when the incident opens; leaving `triggered` cancels them all and
//! a reopen plans them again from the reopen. Quiet hours hold direct messages and pages for
//! the severities they name until the window ends; the room mention still goes out.
//!
//! Everything here is pure: config arrives as raw fields, `now` is an argument, and the
//! results are data (deadline keys and due times, who to call and how) for the engine to
//! turn into deadlines, effects and timeline entries.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::domain::access::PersonRole;
use crate::domain::ids::IncidentId;
use crate::domain::incident::IncidentState;
use crate::domain::severity::Severity;

/// The most repeats one step may ask for, so a step can never page forever.
pub const MAX_REPEAT: u32 = 10;
/// The shortest `after` a step may have.
pub const MIN_AFTER: Duration = Duration::minutes(1);
/// The longest `after` a step may have.
pub const MAX_AFTER: Duration = Duration::days(7);

/// One `[[escalation]]` table as written in config, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEscalationPolicy {
    pub severity: Vec<String>,
    pub steps: Vec<RawEscalationStep>,
}

/// One `[[escalation.steps]]` table as written in config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEscalationStep {
    pub after: String,
    pub notify: Vec<String>,
    pub direct: bool,
    pub here: bool,
    pub page: bool,
    pub repeat: u32,
}

/// `[quiet_hours]` as written in config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawQuietHours {
    pub time_zone: String,
    pub from: String,
    pub to: String,
    pub severities: Vec<String>,
}

/// A config problem, naming the key it is about (`escalation[0].steps[1].notify`), so
/// `warroom check` can point at the line to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EscalationProblem {
    pub field: String,
    pub message: String,
}

/// A validated escalation policy for a set of severities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub severities: BTreeSet<Severity>,
    /// In config order, which is also due order: `after` strictly increases.
    pub steps: Vec<EscalationStep>,
    pub origin: PolicyOrigin,
}

/// One validated step. `notify` holds only on-call roles (commander, communications,
/// operations, duty_manager), each once, in config order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    pub after: Duration,
    pub notify: Vec<PersonRole>,
    pub direct: bool,
    pub here: bool,
    pub page: bool,
    /// How many times the step fires again after its first firing (0 to [`MAX_REPEAT`]).
    pub repeat: u32,
}

/// Validated quiet hours: local times `from`..`to` in `time_zone`, crossing midnight when
/// `from` is later than `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHours {
    pub time_zone: Tz,
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub severities: BTreeSet<Severity>,
}

/// Where a policy comes from: an `[[escalation]]` table, or `[incidents] ack_reminder` for a
/// severity without one (the acknowledgement reminder is escalation step one: it calls the
/// commander and the operations lead in the room, every interval, up to the maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyOrigin {
    #[default]
    Configured,
    AckReminder,
}

/// One deadline to set for an escalation step. `step` counts from 1 (the mention at open is
/// step zero and is not planned here); `repeat_index` is 0 for the first firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub key: String,
    pub due: DateTime<Utc>,
    pub step: u32,
    pub repeat_index: u32,
}

/// What a transition does to escalation: the deadline keys to remove and the steps to plan,
/// to be written in the same transaction as the transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscalationChange {
    pub cancel: Vec<String>,
    pub plan: Vec<PlannedStep>,
}

/// What a due step does. The room mention (with `@here` when `here`) goes out now; direct
/// messages and the page go out now unless `delayed_until` is set, in which case quiet
/// hours hold them until then. `next` is the step's next repeat, due one `after` from now
/// (so after downtime a step fires once and re-arms from now: no burst); `None` after the
/// last repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAction {
    pub step: u32,
    pub repeat_index: u32,
    pub notify: Vec<PersonRole>,
    pub direct: bool,
    pub here: bool,
    pub page: bool,
    pub delayed_until: Option<DateTime<Utc>>,
    pub next: Option<PlannedStep>,
}

/// Validates the `[[escalation]]` tables. A severity may belong to one policy only, so
/// which policy applies to an incident never depends on table order.
pub fn parse_policies(
    raw: &[RawEscalationPolicy],
) -> Result<Vec<EscalationPolicy>, Vec<EscalationProblem>> {
    let mut problems = Vec::new();
    let mut policies = Vec::new();
    let mut claimed: BTreeSet<Severity> = BTreeSet::new();
    for (index, policy) in raw.iter().enumerate() {
        let field = format!("escalation[{index}]");
        let Some(parsed) = parse_policy(&field, policy, &mut problems) else {
            continue;
        };
        for severity in &parsed.severities {
            if !claimed.insert(*severity) {
                problems.push(problem(
                    &format!("{field}.severity"),
                    format!("{severity} already has an escalation policy; name each severity in one [[escalation]] only"),
                ));
            }
        }
        policies.push(parsed);
    }
    if problems.is_empty() {
        Ok(policies)
    } else {
        Err(problems)
    }
}

/// Validates `[quiet_hours]`.
pub fn parse_quiet_hours(raw: &RawQuietHours) -> Result<QuietHours, Vec<EscalationProblem>> {
    let mut problems = Vec::new();
    let time_zone = raw.time_zone.trim().parse::<Tz>().map_err(|_| {
        problem(
            "quiet_hours.time_zone",
            format!(
                "\"{}\" is not a time zone; use an IANA name like Asia/Shanghai",
                raw.time_zone
            ),
        )
    });
    let from = parse_clock("quiet_hours.from", &raw.from);
    let to = parse_clock("quiet_hours.to", &raw.to);
    let severities = parse_severities("quiet_hours.severities", &raw.severities, &mut problems);
    let (time_zone, from, to) = match (time_zone, from, to) {
        (Ok(time_zone), Ok(from), Ok(to)) => (time_zone, from, to),
        (time_zone, from, to) => {
            problems.extend(time_zone.err());
            problems.extend(from.err());
            problems.extend(to.err());
            return Err(problems);
        }
    };
    if from == to {
        problems.push(problem(
            "quiet_hours.to",
            format!("quiet hours from {from} to {to} are empty; give two different times like 22:00 and 08:00"),
        ));
    }
    if problems.is_empty() {
        Ok(QuietHours {
            time_zone,
            from,
            to,
            severities,
        })
    } else {
        Err(problems)
    }
}

/// The configured policy for a severity, if any.
pub fn policy_for(policies: &[EscalationPolicy], severity: Severity) -> Option<&EscalationPolicy> {
    policies
        .iter()
        .find(|policy| policy.severities.contains(&severity))
}

/// The policy an incident of `severity` escalates by: its `[[escalation]]` table, else the
/// acknowledgement reminder as a one-step policy (commander and operations lead, in the
/// room, every `ack_reminder`, `ack_reminder_max` times in all), else none. One decision
/// path for both, so the reminder is escalation step one and not a second mechanism.
pub fn effective_policy(
    policies: &[EscalationPolicy],
    ack_reminder: Option<Duration>,
    ack_reminder_max: u32,
    severity: Severity,
) -> Option<Cow<'_, EscalationPolicy>> {
    if let Some(policy) = policy_for(policies, severity) {
        return Some(Cow::Borrowed(policy));
    }
    let after = ack_reminder?;
    let repeat = ack_reminder_max.checked_sub(1)?;
    Some(Cow::Owned(EscalationPolicy {
        severities: BTreeSet::from([severity]),
        steps: vec![EscalationStep {
            after,
            notify: vec![PersonRole::Commander, PersonRole::Operations],
            direct: false,
            here: false,
            page: false,
            repeat,
        }],
        origin: PolicyOrigin::AckReminder,
    }))
}

/// The deadline key of a step: one pending deadline per step, whose kind carries which
/// repeat is next (a repeat replaces it).
pub fn step_key(incident: IncidentId, step: u32) -> String {
    format!("{}{step}", key_prefix(incident))
}

/// The deadline key of a step's direct messages and page held back by quiet hours. One per
/// step: repeats held in the same window go out once, when it ends.
pub fn held_key(incident: IncidentId, step: u32) -> String {
    format!("{}:held", step_key(incident, step))
}

/// The prefix every escalation key of an incident starts with.
pub fn key_prefix(incident: IncidentId) -> String {
    format!("escalation:{incident}:")
}

/// What tells one triggered cycle of an incident from the next in the keys of its direct
/// messages and pages: nothing in the first cycle, `:r<ms>` (when the incident was last
/// reopened) after a reopen. Chats and pagers drop a key they have seen, so without it a
/// reopened incident's calls would be silently skipped; within one cycle the same step and
/// repeat keep one key, so a re-planned step calls nobody twice.
pub fn cycle_tag(reopened: Option<DateTime<Utc>>) -> String {
    reopened.map_or_else(String::new, |at| format!(":r{}", at.timestamp_millis()))
}

/// The first firing of every step, counted from `opened_at`. Repeats are not planned here:
/// each firing sets the next one (`StepAction::next`), one `after` later.
pub fn plan_on_open(
    policy: &EscalationPolicy,
    incident: IncidentId,
    opened_at: DateTime<Utc>,
) -> Vec<PlannedStep> {
    policy
        .steps
        .iter()
        .zip(1u32..)
        .map(|(step, number)| PlannedStep {
            key: step_key(incident, number),
            due: opened_at + step.after,
            step: number,
            repeat_index: 0,
        })
        .collect()
}

/// The steps of `policy` when an incident's policy changes at `now` (a severity change):
/// each step counts from `since`, when the incident's current triggered cycle began. Of the
/// steps already past their time only the latest is planned (it fires at once); the earlier
/// ones are skipped, so a change calls once, at the level the incident has reached, instead
/// of firing every passed step in a burst.
pub fn plan_on_change(
    policy: &EscalationPolicy,
    incident: IncidentId,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<PlannedStep> {
    let planned = plan_on_open(policy, incident, since);
    let latest_past = planned
        .iter()
        .filter(|step| step.due <= now)
        .map(|step| step.step)
        .max();
    planned
        .into_iter()
        .filter(|step| step.due > now || Some(step.step) == latest_past)
        .collect()
}

/// Every key escalation may hold for an incident under `policy`: each step's and each
/// step's held key.
pub fn all_keys(policy: &EscalationPolicy, incident: IncidentId) -> Vec<String> {
    (1..=u32::try_from(policy.steps.len()).unwrap_or(u32::MAX))
        .flat_map(|step| [step_key(incident, step), held_key(incident, step)])
        .collect()
}

/// What a state change does to escalation. Leaving `triggered` (acknowledge, mitigate,
/// resolve, close) cancels every step and every held message; coming back to `triggered`
/// (a reopen) plans the policy again from `now`, since someone must acknowledge again.
/// Anything else changes nothing. `policy` is the one for the incident's severity now
/// (`None`: no escalation).
pub fn on_transition(
    policy: Option<&EscalationPolicy>,
    incident: IncidentId,
    from: IncidentState,
    to: IncidentState,
    now: DateTime<Utc>,
) -> EscalationChange {
    let triggered = IncidentState::Triggered;
    if from == triggered && to != triggered {
        return EscalationChange {
            cancel: policy
                .map(|policy| all_keys(policy, incident))
                .unwrap_or_default(),
            plan: Vec::new(),
        };
    }
    if from != triggered && to == triggered {
        return EscalationChange {
            cancel: Vec::new(),
            plan: policy
                .map(|policy| plan_on_open(policy, incident, now))
                .unwrap_or_default(),
        };
    }
    EscalationChange::default()
}

/// Decides a due step. `None` means the deadline only goes away: the incident is no longer
/// triggered (an ack stops escalation for good even if a cancellation was missed), or the
/// step or repeat is not in the policy (a deadline left from an earlier config).
#[allow(clippy::too_many_arguments)]
pub fn decide_step(
    policy: &EscalationPolicy,
    incident: IncidentId,
    step: u32,
    repeat_index: u32,
    state: IncidentState,
    severity: Severity,
    now: DateTime<Utc>,
    quiet: Option<&QuietHours>,
) -> Option<StepAction> {
    if state != IncidentState::Triggered {
        return None;
    }
    let index = usize::try_from(step.checked_sub(1)?).ok()?;
    let configured = policy.steps.get(index)?;
    if repeat_index > configured.repeat {
        return None;
    }
    let held = configured.direct || configured.page;
    let delayed_until = if held {
        quiet.and_then(|quiet| quiet_until(quiet, severity, now))
    } else {
        None
    };
    let next = (repeat_index < configured.repeat).then(|| PlannedStep {
        key: step_key(incident, step),
        due: now + configured.after,
        step,
        repeat_index: repeat_index + 1,
    });
    Some(StepAction {
        step,
        repeat_index,
        notify: configured.notify.clone(),
        direct: configured.direct,
        here: configured.here,
        page: configured.page,
        delayed_until,
        next,
    })
}

/// When quiet hours for `severity` hold at `now`, the instant they end; `None` when they do
/// not apply. The window is in local time of the zone: it may cross midnight, and an end
/// that falls in a skipped hour (spring forward) is the end of the gap; one that falls in a
/// repeated hour (fall back) is its first occurrence.
pub fn quiet_until(
    quiet: &QuietHours,
    severity: Severity,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !quiet.severities.contains(&severity) {
        return None;
    }
    let local = now.with_timezone(&quiet.time_zone).naive_local();
    let (date, time) = (local.date(), local.time());
    let end_date = if quiet.from < quiet.to {
        (quiet.from <= time && time < quiet.to).then_some(date)?
    } else if time >= quiet.from {
        date.succ_opt()?
    } else if time < quiet.to {
        date
    } else {
        return None;
    };
    let end = crate::domain::when::local_instant(end_date.and_time(quiet.to), quiet.time_zone);
    // A window that ends in a fall-back hour already passed once is over.
    (end > now).then_some(end)
}

mod fire;
mod parse;
pub use fire::{EscalationFiring, fire_step, release_held};
use parse::{parse_clock, parse_policy, parse_severities, problem};

#[cfg(test)]
mod tests;
