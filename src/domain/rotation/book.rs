//! The on-call book: everything that says who is on call (rotations, `[oncall]`,
//! overrides), the questions the engine asks of it (holders now, the next change, what
//! changed at a hand-off) and `/oncall override`'s `until`. Pure: `now` is an argument.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::{FixedOnCall, OnCallNow, OnCallRole, OnCallSource, Override, Rotation, on_call_at};
use crate::domain::ids::UserId;
use crate::domain::when;

/// Everything that says who is on call: the rotations, the `[oncall]` entries and the
/// overrides in force. Cheap to clone (shared lists); the engine takes a fresh one before each
/// step, so a decision never sees half an update.
#[derive(Debug, Clone, Default)]
pub struct OnCallBook {
    pub rotations: std::sync::Arc<Vec<Rotation>>,
    pub fixed: FixedOnCall,
    pub overrides: std::sync::Arc<Vec<Override>>,
}

impl OnCallBook {
    /// A book of fixed holders only (no rotations, no overrides).
    pub fn fixed(fixed: FixedOnCall) -> OnCallBook {
        OnCallBook {
            fixed,
            ..OnCallBook::default()
        }
    }

    /// Who holds each role at `now` for an incident of `service`.
    pub fn at(&self, service: Option<&str>, now: DateTime<Utc>) -> OnCallNow {
        on_call_at(&self.rotations, &self.overrides, &self.fixed, service, now)
    }

    /// The incident roles an incident of `service` opening at `now` takes.
    pub fn roles(
        &self,
        service: Option<&str>,
        now: DateTime<Utc>,
    ) -> crate::domain::incident::Roles {
        let mut roles = crate::domain::incident::Roles::default();
        for held in self.at(service, now).roles {
            if let Some(role) = held.role.incident_role() {
                roles.set(role, Some(held.holder));
            }
        }
        roles
    }

    /// The duty manager on call for `service` at `now`; `None` means every duty manager.
    pub fn duty_manager(&self, service: Option<&str>, now: DateTime<Utc>) -> Option<UserId> {
        self.at(service, now)
            .holder(OnCallRole::DutyManager)
            .cloned()
    }
}

/// The longest `/oncall override`: an override is cover for a shift, not a new rota.
pub const MAX_OVERRIDE_DAYS: i64 = 30;

/// Why an override's `until` was refused; each names the text as typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntilError {
    #[error("\"{0}\" is neither a duration such as 4h nor a time such as 2026-12-02 09:00")]
    NotATime(String),
    #[error("\"{0}\" is not in the future")]
    InPast(String),
    #[error("\"{0}\" is more than {MAX_OVERRIDE_DAYS} days ahead")]
    TooFar(String),
}

/// Parses `/oncall override`'s `until` with [`when::parse_when`]: a duration from `now`
/// (`30m`, `4h`, `2d`), a local time in `zone` (`18:00` for its next occurrence,
/// `2026-12-02 09:00`; in a repeated hour the first, in a skipped hour the end of the gap,
/// as hand-offs do) or an RFC 3339 time. It must lie ahead of `now` and within
/// [`MAX_OVERRIDE_DAYS`].
pub fn parse_until(text: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, UntilError> {
    let text = text.trim();
    let until = when::parse_when(text, zone, now).map_err(|error| match error {
        when::WhenError::NotATime(_) => UntilError::NotATime(text.to_owned()),
        when::WhenError::TooFar(_) => UntilError::TooFar(text.to_owned()),
    })?;
    if until <= now {
        return Err(UntilError::InPast(text.to_owned()));
    }
    if until - now > Duration::days(MAX_OVERRIDE_DAYS) {
        return Err(UntilError::TooFar(text.to_owned()));
    }
    Ok(until)
}

/// One role's holder changing at a hand-off, for the announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffChange {
    pub role: OnCallRole,
    /// The services of the rotation that handed off; empty for every service.
    pub services: Vec<String>,
    /// `None` when nobody holds the role any more (an override ended on a role with no
    /// rotation and no `[oncall]` entry).
    pub holder: Option<UserId>,
}

impl OnCallBook {
    /// The next moment any holder may change after `now`: a rotation's hand-off, or an
    /// override's start or end. `None` when nothing ever changes (fixed holders only).
    pub fn next_change_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let handoffs = self.rotations.iter().filter_map(|rotation| {
            if rotation.start > now {
                Some(rotation.start)
            } else {
                rotation.handoffs_after(now).next()
            }
        });
        let overrides = self
            .overrides
            .iter()
            .flat_map(|entry| [entry.from, entry.until])
            .filter(|at| *at > now);
        handoffs.chain(overrides).min()
    }

    /// The overrides that have ended by `now` (they can be removed).
    pub fn ended_overrides(&self, now: DateTime<Utc>) -> Vec<Override> {
        self.overrides
            .iter()
            .filter(|entry| entry.until <= now)
            .cloned()
            .collect()
    }

    /// The book with `entry` added and the overrides ended by `now` dropped.
    pub fn with_override(&self, entry: Override, now: DateTime<Utc>) -> OnCallBook {
        let mut overrides: Vec<Override> = self
            .overrides
            .iter()
            .filter(|kept| {
                kept.until > now && !(kept.role == entry.role && kept.from == entry.from)
            })
            .cloned()
            .collect();
        overrides.push(entry);
        OnCallBook {
            overrides: std::sync::Arc::new(overrides),
            ..self.clone()
        }
    }

    /// The book without the overrides ended by `now`.
    pub fn without_ended(&self, now: DateTime<Utc>) -> OnCallBook {
        OnCallBook {
            overrides: std::sync::Arc::new(
                self.overrides
                    .iter()
                    .filter(|entry| entry.until > now)
                    .cloned()
                    .collect(),
            ),
            ..self.clone()
        }
    }

    /// The holders that differ between `before` and `now`: for every service (the general
    /// rotations, `[oncall]` and overrides), then for each rotation limited to services.
    /// After downtime `before` is the missed hand-off, so one announcement says where
    /// things stand now, whatever happened in between.
    pub fn changes_between(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Vec<HandoffChange> {
        let mut changes = Vec::new();
        let earlier = self.at(None, before);
        let later = self.at(None, now);
        for role in OnCallRole::ALL {
            let holder = later.holder(role);
            if earlier.holder(role) != holder {
                changes.push(HandoffChange {
                    role,
                    services: Vec::new(),
                    holder: holder.cloned(),
                });
            }
        }
        for rotation in self.rotations.iter().filter(|r| !r.services.is_empty()) {
            // The rotation's first service stands for all of them: it covers each alike.
            let service = rotation.services.first().map(String::as_str);
            let earlier = self.at(service, before);
            let later = self.at(service, now);
            let holder = later.holder(rotation.role);
            if earlier.holder(rotation.role) != holder
                && later.roles.iter().any(|held| {
                    held.role == rotation.role && !matches!(held.source, OnCallSource::Override)
                })
            {
                changes.push(HandoffChange {
                    role: rotation.role,
                    services: rotation.services.clone(),
                    holder: holder.cloned(),
                });
            }
        }
        changes
    }
}
