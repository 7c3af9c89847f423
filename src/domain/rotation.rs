//! On-call rotations (`[[rotations]]`), overrides and the fixed `[oncall]` entries, answering
//! one question for everyone who needs it: who holds each on-call role now, why, and who is
//! next. Pure: `now` is always an argument.
//!
//! Hand-offs are local wall-clock times in the rotation's zone. The `cron` crate evaluates a
//! schedule in a zone but silently skips a local time that does not exist (a spring-forward
//! gap) and yields an ambiguous one twice (a fall-back fold); the issue wants the opposite, so
//! this module walks the schedule over naive local times (the crate in UTC, where no time is
//! skipped or repeated) and maps each one to an instant itself: inside a gap, the end of the
//! gap; inside a fold, the first occurrence; two hand-offs landing on one instant count once.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::ids::UserId;
use crate::domain::when;

/// A role someone can be on call for. Wider than `IncidentRole`: the duty manager is on call
/// but holds no role inside an incident.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OnCallRole {
    Commander,
    Communications,
    Operations,
    DutyManager,
}

impl OnCallRole {
    pub const ALL: [OnCallRole; 4] = [
        OnCallRole::Commander,
        OnCallRole::Communications,
        OnCallRole::Operations,
        OnCallRole::DutyManager,
    ];

    /// The config and command word for the role (const, so the command tree's choices are
    /// derived from [`OnCallRole::ALL`]).
    pub const fn as_str(self) -> &'static str {
        match self {
            OnCallRole::Commander => "commander",
            OnCallRole::Communications => "communications",
            OnCallRole::Operations => "operations",
            OnCallRole::DutyManager => "duty_manager",
        }
    }

    /// The incident role this on-call role fills when an incident opens; the duty manager
    /// holds none.
    pub fn incident_role(self) -> Option<crate::domain::incident::IncidentRole> {
        use crate::domain::incident::IncidentRole;
        match self {
            OnCallRole::Commander => Some(IncidentRole::Commander),
            OnCallRole::Communications => Some(IncidentRole::Communications),
            OnCallRole::Operations => Some(IncidentRole::Operations),
            OnCallRole::DutyManager => None,
        }
    }

    /// The one table of on-call role words: the incident roles' words are
    /// `IncidentRole::parse`'s (`ic`, `comms`, `ops`, …), the duty manager's are here; any
    /// case, blanks around ignored. `PersonRole::parse` reads on-call roles through this.
    pub fn parse(text: &str) -> Option<OnCallRole> {
        use crate::domain::incident::IncidentRole;
        if let Some(role) = IncidentRole::parse(text) {
            return Some(match role {
                IncidentRole::Commander => OnCallRole::Commander,
                IncidentRole::Communications => OnCallRole::Communications,
                IncidentRole::Operations => OnCallRole::Operations,
            });
        }
        match text.trim().to_ascii_lowercase().as_str() {
            "duty_manager" | "duty-manager" | "dutymanager" | "dm" => Some(OnCallRole::DutyManager),
            _ => None,
        }
    }
}

/// One `[[rotations]]` table as written, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRotation {
    pub role: String,
    pub participants: Vec<String>,
    pub handoff: String,
    pub time_zone: String,
    pub start: String,
    pub services: Vec<String>,
}

/// One thing wrong with a rotation, naming the key (`role`, `participants`, `handoff`,
/// `time_zone`, `start`, `services`) so `check` can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationProblem {
    pub field: String,
    pub message: String,
}

/// A validated rotation. Fields are private so every `Rotation` has a parsed schedule, a
/// zone and at least one participant.
#[derive(Debug, Clone)]
pub struct Rotation {
    role: OnCallRole,
    participants: Vec<UserId>,
    handoff: cron::Schedule,
    time_zone: Tz,
    start: DateTime<Utc>,
    services: Vec<String>,
}

/// Who holds a rotation at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub participant: UserId,
    /// Position in `participants` (hand-offs since `start`, modulo their number).
    pub index: usize,
    /// When this holder took over: `start` or the last hand-off.
    pub since: DateTime<Utc>,
    /// `None` when the schedule has no later time (the cron crate stops at its last year).
    pub next_handoff: Option<DateTime<Utc>>,
    pub next_participant: UserId,
}

/// `/oncall override`: `user` holds `role` from `from` until `until`, whatever the rotation
/// or `[oncall]` says. Stored in the `overrides` tree until it ends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Override {
    pub role: OnCallRole,
    pub user: UserId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The `[oncall]` entries: a role's fixed holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedOnCall(pub BTreeMap<OnCallRole, UserId>);

/// Where a role's holder comes from, so `/oncall` can say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnCallSource {
    Override,
    /// The rotation at this position in the list given to `on_call_at`.
    Rotation {
        rotation: usize,
    },
    Fixed,
}

/// The next change of holder for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHandoff {
    pub at: DateTime<Utc>,
    /// `None` when nobody holds the role after the change (an override ending on a role with
    /// no rotation and no `[oncall]` entry).
    pub to: Option<UserId>,
}

/// One role's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOnCall {
    pub role: OnCallRole,
    pub holder: UserId,
    pub source: OnCallSource,
    pub next: Option<NextHandoff>,
}

/// Every role someone holds now, in `OnCallRole::ALL` order; a role nobody holds is absent
/// (for the duty manager that means "call every duty manager").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnCallNow {
    pub roles: Vec<RoleOnCall>,
}

impl OnCallNow {
    pub fn holder(&self, role: OnCallRole) -> Option<&UserId> {
        self.roles
            .iter()
            .find(|held| held.role == role)
            .map(|held| &held.holder)
    }
}

/// Hand-offs closer together than this are refused: a rotation is a shift, and the bound
/// keeps `holder_at`'s count of hand-offs since `start` small.
pub const MIN_HANDOFF_SPACING: Duration = Duration::hours(1);

/// How many hand-offs `holder_at` counts before giving up: over 22 years of hourly shifts.
pub const MAX_COUNTED_HANDOFFS: u32 = 200_000;

impl Rotation {
    /// Validates one `[[rotations]]` table, reporting every problem at once.
    pub fn parse(raw: &RawRotation) -> Result<Rotation, Vec<RotationProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(RotationProblem {
                field: field.to_owned(),
                message,
            });
        };
        let role = OnCallRole::parse(&raw.role);
        if role.is_none() {
            problem(
                "role",
                format!(
                    "\"{}\" is not a role; use commander, communications, operations or duty_manager",
                    raw.role
                ),
            );
        }
        let participants: Vec<UserId> = raw
            .participants
            .iter()
            .map(|name| name.trim())
            .filter(|name| !name.is_empty())
            .map(|name| UserId(name.to_owned()))
            .collect();
        if participants.is_empty() {
            problem(
                "participants",
                "a rotation needs at least one participant".to_owned(),
            );
        } else if participants.len() != raw.participants.len() {
            problem("participants", "a participant name is empty".to_owned());
        }
        let handoff = parse_handoff(&raw.handoff);
        if let Err(message) = &handoff {
            problem("handoff", message.clone());
        }
        let time_zone = raw.time_zone.trim().parse::<Tz>().ok();
        if time_zone.is_none() {
            problem(
                "time_zone",
                format!(
                    "\"{}\" is not an IANA time zone such as Asia/Shanghai",
                    raw.time_zone
                ),
            );
        }
        let start = time_zone.and_then(|zone| when::parse_absolute(&raw.start, zone));
        if time_zone.is_some() && start.is_none() {
            problem(
                "start",
                format!(
                    "\"{}\" is not a time; write RFC 3339 such as 2026-11-02T09:00:00+08:00",
                    raw.start
                ),
            );
        }
        if raw.services.iter().any(|service| service.trim().is_empty()) {
            problem("services", "a service name is empty".to_owned());
        }
        let (Some(role), Ok(handoff), Some(time_zone), Some(start)) =
            (role, handoff, time_zone, start)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let rotation = Rotation {
            role,
            participants,
            handoff,
            time_zone,
            start,
            services: raw.services.iter().map(|s| s.trim().to_owned()).collect(),
        };
        if let Some(message) = rotation.spacing_problem() {
            return Err(vec![RotationProblem {
                field: "handoff".to_owned(),
                message,
            }]);
        }
        Ok(rotation)
    }

    pub fn role(&self) -> OnCallRole {
        self.role
    }

    pub fn participants(&self) -> &[UserId] {
        &self.participants
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Empty means every service.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// Whether this rotation covers an incident of `service` (`None`: no service known).
    pub fn covers(&self, service: Option<&str>) -> bool {
        self.services.is_empty()
            || service.is_some_and(|service| self.services.iter().any(|s| s == service))
    }

    /// The holder at `now`; `None` before `start`, or when more than `MAX_COUNTED_HANDOFFS`
    /// hand-offs lie between `start` and `now`. It counts hand-offs from `start` (a bounded
    /// loop: a cron schedule has no closed form for "how many times between"), which is about
    /// 52 steps a year for a weekly rotation.
    pub fn holder_at(&self, now: DateTime<Utc>) -> Option<Holding> {
        if now < self.start {
            return None;
        }
        let mut handoffs = self.handoffs_after(self.start);
        let mut count: u64 = 0;
        let mut since = self.start;
        let mut next_handoff = None;
        for instant in handoffs.by_ref() {
            if instant > now {
                next_handoff = Some(instant);
                break;
            }
            count += 1;
            if count > u64::from(MAX_COUNTED_HANDOFFS) {
                return None;
            }
            since = instant;
        }
        let len = self.participants.len() as u64;
        // `len` is at least 1 (checked in `parse`), so the remainders are valid indexes.
        let index = (count % len) as usize;
        let next_index = ((count + 1) % len) as usize;
        Some(Holding {
            participant: self.participants[index].clone(),
            index,
            since,
            next_handoff,
            next_participant: self.participants[next_index].clone(),
        })
    }

    /// Hand-off instants strictly after `after`, in order, each once (see the module doc for
    /// gaps and folds).
    pub fn handoffs_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let zone = self.time_zone;
        // The naive walk starts a day early so a hand-off that a gap moves past `after` is
        // still seen; the instant filter below drops everything at or before `after`.
        let naive_from = after.with_timezone(&zone).naive_local() - Duration::days(1);
        let mut last = after;
        self.handoff
            .after(&Utc.from_utc_datetime(&naive_from))
            .map(move |naive| when::local_instant(naive.naive_utc(), zone))
            .filter(move |instant| {
                if *instant > last {
                    last = *instant;
                    true
                } else {
                    false
                }
            })
    }

    fn spacing_problem(&self) -> Option<String> {
        let naive_from = self.start.with_timezone(&self.time_zone).naive_local();
        let naive: Vec<NaiveDateTime> = self
            .handoff
            .after(&Utc.from_utc_datetime(&naive_from))
            .take(16)
            .map(|time| time.naive_utc())
            .collect();
        if naive.is_empty() {
            return Some("the schedule has no hand-off after start".to_owned());
        }
        let too_close = naive
            .windows(2)
            .any(|pair| pair[1] - pair[0] < MIN_HANDOFF_SPACING);
        too_close.then(|| "hand-offs must be at least an hour apart".to_owned())
    }
}

/// Whether one role has both a rotation and an `[oncall]` entry, or two rotations that could
/// both cover one incident (both for every service, or sharing a service). Fields name both
/// keys, as `rotations[2].role` and `oncall.commander`, with indexes into `rotations`.
pub fn validate_rotation_set(rotations: &[Rotation], fixed: &FixedOnCall) -> Vec<RotationProblem> {
    let mut problems = Vec::new();
    for (index, rotation) in rotations.iter().enumerate() {
        let role = rotation.role.as_str();
        // A rotation limited to some services leaves the others to `[oncall]`.
        if rotation.services.is_empty() && fixed.0.contains_key(&rotation.role) {
            problems.push(RotationProblem {
                field: format!("rotations[{index}].role"),
                message: format!(
                    "role {role} has both rotations[{index}] and oncall.{role}; keep one"
                ),
            });
        }
        for (earlier, other) in rotations.iter().enumerate().take(index) {
            if other.role != rotation.role {
                continue;
            }
            let overlap = other.services.is_empty() && rotation.services.is_empty()
                || rotation.services.iter().any(|s| other.services.contains(s));
            if overlap {
                problems.push(RotationProblem {
                    field: format!("rotations[{index}].services"),
                    message: format!(
                        "rotations[{earlier}] and rotations[{index}] both cover role {role} for the same services"
                    ),
                });
            }
        }
    }
    problems
}

/// Who holds each role at `now` for an incident of `service`: an active override (the latest
/// begun wins), else the covering rotation (one naming the service before one for every
/// service), else the `[oncall]` entry.
pub fn on_call_at(
    rotations: &[Rotation],
    overrides: &[Override],
    fixed: &FixedOnCall,
    service: Option<&str>,
    now: DateTime<Utc>,
) -> OnCallNow {
    let roles = OnCallRole::ALL
        .into_iter()
        .filter_map(|role| role_on_call(rotations, overrides, fixed, service, role, now))
        .collect();
    OnCallNow { roles }
}

fn role_on_call(
    rotations: &[Rotation],
    overrides: &[Override],
    fixed: &FixedOnCall,
    service: Option<&str>,
    role: OnCallRole,
    now: DateTime<Utc>,
) -> Option<RoleOnCall> {
    let base = base_on_call(rotations, fixed, service, role, now);
    let active = overrides
        .iter()
        .filter(|o| o.role == role && o.from <= now && now < o.until)
        .max_by_key(|o| o.from);
    let Some(active) = active else {
        return base;
    };
    // When the override ends, whoever the rotation or `[oncall]` names then takes over,
    // unless another override is already running by then.
    let after = role_on_call(rotations, overrides, fixed, service, role, active.until);
    Some(RoleOnCall {
        role,
        holder: active.user.clone(),
        source: OnCallSource::Override,
        next: Some(NextHandoff {
            at: active.until,
            to: after.map(|held| held.holder),
        }),
    })
}

fn base_on_call(
    rotations: &[Rotation],
    fixed: &FixedOnCall,
    service: Option<&str>,
    role: OnCallRole,
    now: DateTime<Utc>,
) -> Option<RoleOnCall> {
    let named = rotations
        .iter()
        .position(|r| r.role == role && !r.services.is_empty() && r.covers(service));
    let general = || {
        rotations
            .iter()
            .position(|r| r.role == role && r.services.is_empty())
    };
    if let Some(index) = named.or_else(general) {
        let rotation = &rotations[index];
        if let Some(holding) = rotation.holder_at(now) {
            return Some(RoleOnCall {
                role,
                holder: holding.participant,
                source: OnCallSource::Rotation { rotation: index },
                next: holding.next_handoff.map(|at| NextHandoff {
                    at,
                    to: Some(holding.next_participant),
                }),
            });
        }
        // Before its start a rotation names nobody; `[oncall]` can only fill in when the
        // set failed `validate_rotation_set`.
    }
    fixed_on_call(fixed, role)
}

fn fixed_on_call(fixed: &FixedOnCall, role: OnCallRole) -> Option<RoleOnCall> {
    fixed.0.get(&role).map(|user| RoleOnCall {
        role,
        holder: user.clone(),
        source: OnCallSource::Fixed,
        next: None,
    })
}

fn parse_handoff(text: &str) -> Result<cron::Schedule, String> {
    let fields = text.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "\"{text}\" has {fields} fields; write 6 or 7, seconds first, such as \"0 0 9 * * Mon\""
        ));
    }
    cron::Schedule::from_str(text)
        .map_err(|error| format!("\"{text}\" is not a cron expression: {error}"))
}

mod book;

pub use book::{HandoffChange, MAX_OVERRIDE_DAYS, OnCallBook, UntilError, parse_until};

#[cfg(test)]
mod tests;
