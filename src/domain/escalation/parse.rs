//! Validation of the raw escalation config: each problem names its key.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveTime};

use super::{
    EscalationPolicy, EscalationProblem, EscalationStep, MAX_AFTER, MAX_REPEAT, MIN_AFTER,
    RawEscalationPolicy, RawEscalationStep,
};
use crate::domain::access::PersonRole;
use crate::domain::severity::Severity;
use crate::domain::when;

/// The roles a step may notify: the on-call roles, not responder or viewer.
const NOTIFY_ROLES: &str = "commander, communications, operations or duty_manager";

pub(super) fn problem(field: &str, message: String) -> EscalationProblem {
    EscalationProblem {
        field: field.to_owned(),
        message,
    }
}

/// One policy, or `None` with its problems pushed.
pub(super) fn parse_policy(
    field: &str,
    raw: &RawEscalationPolicy,
    problems: &mut Vec<EscalationProblem>,
) -> Option<EscalationPolicy> {
    let before = problems.len();
    let severity_field = format!("{field}.severity");
    let severities = parse_severities(&severity_field, &raw.severity, problems);
    if raw.severity.is_empty() {
        problems.push(problem(
            &severity_field,
            "names no severity; list at least one, like [\"sev1\"]".to_owned(),
        ));
    }
    if raw.steps.is_empty() {
        problems.push(problem(
            &format!("{field}.steps"),
            "has no steps; add at least one [[escalation.steps]]".to_owned(),
        ));
    }
    let mut steps = Vec::new();
    let mut previous: Option<Duration> = None;
    for (index, step) in raw.steps.iter().enumerate() {
        let step_field = format!("{field}.steps[{index}]");
        let Some(parsed) = parse_step(&step_field, step, problems) else {
            continue;
        };
        if let Some(previous) = previous
            && parsed.after <= previous
        {
            problems.push(problem(
                &format!("{step_field}.after"),
                format!(
                    "\"{}\" is not later than the step before it; list steps in the order they fire",
                    step.after
                ),
            ));
        }
        previous = Some(parsed.after);
        steps.push(parsed);
    }
    (problems.len() == before).then_some(EscalationPolicy {
        severities,
        steps,
        origin: super::PolicyOrigin::Configured,
    })
}

fn parse_step(
    field: &str,
    raw: &RawEscalationStep,
    problems: &mut Vec<EscalationProblem>,
) -> Option<EscalationStep> {
    let before = problems.len();
    let after = parse_after(&format!("{field}.after"), &raw.after, problems);
    let notify_field = format!("{field}.notify");
    if raw.notify.is_empty() {
        problems.push(problem(
            &notify_field,
            format!("is empty; name at least one of {NOTIFY_ROLES}"),
        ));
    }
    let mut notify = Vec::new();
    for word in &raw.notify {
        match PersonRole::parse(word.trim()).filter(notifiable) {
            Some(role) if !notify.contains(&role) => notify.push(role),
            Some(_) => problems.push(problem(&notify_field, format!("names \"{word}\" twice"))),
            None => problems.push(problem(
                &notify_field,
                format!("\"{word}\" is not a role to notify; use {NOTIFY_ROLES}"),
            )),
        }
    }
    if raw.repeat > MAX_REPEAT {
        problems.push(problem(
            &format!("{field}.repeat"),
            format!(
                "{} is more than {MAX_REPEAT}; use 0 to {MAX_REPEAT}",
                raw.repeat
            ),
        ));
    }
    (problems.len() == before).then_some(EscalationStep {
        after: after?,
        notify,
        direct: raw.direct,
        here: raw.here,
        page: raw.page,
        repeat: raw.repeat,
    })
}

fn parse_after(field: &str, text: &str, problems: &mut Vec<EscalationProblem>) -> Option<Duration> {
    when::parse_duration_within(text, MIN_AFTER, MAX_AFTER)
        .map_err(|error| problems.push(problem(field, error.to_string())))
        .ok()
}

pub(super) fn parse_severities(
    field: &str,
    words: &[String],
    problems: &mut Vec<EscalationProblem>,
) -> BTreeSet<Severity> {
    let mut severities = BTreeSet::new();
    for word in words {
        match Severity::parse(word) {
            Ok(severity) => {
                severities.insert(severity);
            }
            Err(error) => problems.push(problem(field, error.to_string())),
        }
    }
    severities
}

/// A local wall-clock time `HH:MM` (or `HH:MM:SS`).
pub(super) fn parse_clock(field: &str, text: &str) -> Result<NaiveTime, EscalationProblem> {
    let trimmed = text.trim();
    NaiveTime::parse_from_str(trimmed, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(trimmed, "%H:%M:%S"))
        .map_err(|_| {
            problem(
                field,
                format!("\"{text}\" is not a time of day; use HH:MM like 22:00"),
            )
        })
}

/// Only on-call roles are held by someone who can be called; responder and viewer are not.
fn notifiable(role: &PersonRole) -> bool {
    matches!(
        role,
        PersonRole::Commander
            | PersonRole::Communications
            | PersonRole::Operations
            | PersonRole::DutyManager
    )
}
