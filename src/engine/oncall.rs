//! Who is on call, in motion: `/oncall show` and `/oncall override`, the hand-off deadline
//! that announces each change of holder, and keeping the one on-call source
//! (`crate::oncall::OnCall`) in step with the `overrides` tree.
//!
//! The engine decides with its own copy of the book (`policy.oncall`, taken from the source
//! before each step and updated by the overrides decided in it); the source hears of a
//! change only after the flush that made it durable (`Engine::published`), so the Discord
//! adapter never grants a role that a failed flush takes back.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::commands::local_time;
use super::{CommandReply, Engine, Pending};
use crate::domain::access::{Person, PersonRole};
use crate::domain::command::Command;
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind, HANDOFF_KEY};
use crate::domain::effect::Effect;
use crate::domain::ids::UserId;
use crate::domain::message::Msg;
use crate::domain::rotation::{
    MAX_OVERRIDE_DAYS, OnCallBook, OnCallRole, OnCallSource, Override, RoleOnCall, UntilError,
    parse_until,
};
use crate::store::{MAX_OVERRIDES, OverrideWrite, StoreError};

impl Engine {
    /// `/oncall show` (anyone, from any room) and `/oncall override` (duty managers).
    pub(super) fn oncall_command(
        &mut self,
        person: &Person,
        command: &Command,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        match command {
            Command::OnCallOverride { role, user, until } => {
                Ok(self.override_oncall(person, *role, user, until, pending, now))
            }
            _ => Ok(CommandReply {
                ok: true,
                lines: self.oncall_lines(now),
                incident: None,
            }),
        }
    }

    /// A due hand-off: announces every holder that changed since the deadline's time, removes
    /// the overrides that ended, and sets the next hand-off from `now` (after downtime it
    /// fires once; the missed ones are not replayed).
    pub(super) fn handoff_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let book = self.policy.oncall.clone();
        let before = deadline.due - chrono::Duration::milliseconds(1);
        let changes = book.changes_between(before, now);
        for change in &changes {
            let message = match (&change.holder, change.services.is_empty()) {
                (Some(holder), true) => Msg::new("announce-oncall-handoff")
                    .word("role", change.role.as_str())
                    .user("user", holder),
                (Some(holder), false) => Msg::new("announce-oncall-handoff-services")
                    .word("role", change.role.as_str())
                    .user("user", holder)
                    .outside("services", change.services.join(", ")),
                (None, _) => {
                    Msg::new("announce-oncall-handoff-nobody").word("role", change.role.as_str())
                }
            };
            pending.batch.effects.push(Effect::Announce {
                key: format!(
                    "handoff:{}:{}:{}",
                    deadline.due.timestamp_millis(),
                    change.role.as_str(),
                    change.services.join(",")
                ),
                message: self.named(message),
            });
        }
        self.remove_ended_overrides(pending, now);
        info!(
            changes = changes.len(),
            due = %deadline.due,
            late_seconds = (now - deadline.due).num_seconds(),
            "On-call hand-off announced."
        );
        self.plan_handoff(pending, now);
        Ok(())
    }

    /// Sets the hand-off deadline at the book's next change after `now`, or removes it when
    /// nothing will change.
    pub(super) fn plan_handoff(&self, pending: &mut Pending, now: DateTime<Utc>) {
        pending
            .batch
            .deadlines
            .push(match self.policy.oncall.next_change_after(now) {
                Some(due) => DeadlineChange::Set(Deadline {
                    key: HANDOFF_KEY.to_owned(),
                    due,
                    kind: DeadlineKind::Handoff,
                }),
                None => DeadlineChange::Cancel {
                    key: HANDOFF_KEY.to_owned(),
                },
            });
    }

    /// Whether the stored hand-off deadline is not the one the book asks for (at start the
    /// config may have changed; a first start has none). A stored one already due is left
    /// to fire.
    pub(super) fn handoff_out_of_step(&self, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let stored = self.store.deadline(HANDOFF_KEY)?;
        if stored.as_ref().is_some_and(|deadline| deadline.due <= now) {
            return Ok(false);
        }
        Ok(stored.map(|deadline| deadline.due) != self.policy.oncall.next_change_after(now))
    }

    /// On a `Due`: puts the hand-off deadline in step with the book unless this group
    /// already set it (a hand-off fired, an override was recorded).
    pub(super) fn keep_handoff_in_step(
        &self,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if pending
            .batch
            .deadlines
            .iter()
            .any(|change| change.key() == HANDOFF_KEY)
        {
            return Ok(());
        }
        if self.handoff_out_of_step(now)? {
            self.plan_handoff(pending, now);
        }
        Ok(())
    }

    /// At (re)load: the source and the engine's book take the stored overrides. The source
    /// is told, not asked: the first load runs on the thread that spawns the engine, and
    /// the book is only read on the engine's own.
    pub(super) fn load_overrides(&mut self) -> Result<(), StoreError> {
        let overrides = self.store.overrides()?;
        self.oncall.set_overrides(overrides.clone());
        self.policy.oncall.overrides = std::sync::Arc::new(overrides);
        Ok(())
    }

    /// When the engine starts on its thread: if the hand-off deadline is out of step with
    /// the book (a first start has none; the config may have changed), the scheduler is
    /// told to come now, so the `Due` that follows sets it (a deadline is only ever written
    /// in a commit).
    pub(super) fn nudge_handoff(&mut self) {
        let now = self.clock.now();
        self.policy.oncall = self.oncall.book();
        match self.handoff_out_of_step(now) {
            Ok(true) => {
                self.earliest.send_modify(|earliest| {
                    *earliest = Some(earliest.map_or(now, |at| at.min(now)));
                });
            }
            Ok(false) => {}
            Err(error) => {
                warn!(%error, "The on-call hand-off deadline could not be read; it is looked at with the next due deadline.");
            }
        }
    }

    /// After a flush that changed overrides: the one source hears the engine's book.
    pub(super) fn publish_overrides(&self) {
        self.oncall
            .set_overrides(self.policy.oncall.overrides.as_ref().clone());
    }

    fn remove_ended_overrides(&mut self, pending: &mut Pending, now: DateTime<Utc>) {
        let ended = self.policy.oncall.ended_overrides(now);
        if ended.is_empty() {
            return;
        }
        pending
            .batch
            .overrides
            .extend(ended.into_iter().map(OverrideWrite::Remove));
        self.policy.oncall = self.policy.oncall.without_ended(now);
    }

    fn override_oncall(
        &mut self,
        person: &Person,
        role: OnCallRole,
        user: &UserId,
        until: &str,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> CommandReply {
        let refused = |lines: Vec<Msg>| CommandReply {
            ok: false,
            lines,
            incident: None,
        };
        // Approval rights and overrides come from the configured roles, never from being on
        // call: a duty manager by `[[users]]` or `[discord.roles]`.
        if !person.roles.contains(&PersonRole::DutyManager) {
            return refused(vec![
                Msg::new(crate::domain::decide::NOT_ALLOWED).word("action", "oncall-override"),
                Msg::new("reply-oncall-override-duty-managers"),
            ]);
        }
        let Some(user) = self.known_person(user) else {
            return refused(vec![
                Msg::new("reply-oncall-unknown-user").outside("user", user.0.clone()),
            ]);
        };
        let until = match parse_until(until, self.policy.time_zone, now) {
            Ok(until) => until,
            Err(error) => return refused(vec![until_refusal(&error)]),
        };
        let active = self
            .policy
            .oncall
            .overrides
            .iter()
            .filter(|entry| entry.until > now)
            .count();
        if active >= MAX_OVERRIDES {
            return refused(vec![
                Msg::new("reply-oncall-too-many-overrides").number("max", MAX_OVERRIDES as u64),
            ]);
        }
        let entry = Override {
            role,
            user: user.clone(),
            from: now,
            until,
        };
        self.remove_ended_overrides(pending, now);
        pending
            .batch
            .overrides
            .push(OverrideWrite::Set(entry.clone()));
        self.policy.oncall = self.policy.oncall.with_override(entry, now);
        let zone = self.policy.time_zone;
        pending.batch.effects.push(Effect::Announce {
            key: format!(
                "oncall-override:{}:{}",
                role.as_str(),
                now.timestamp_millis()
            ),
            message: self.named(
                Msg::new("announce-oncall-override")
                    .word("role", role.as_str())
                    .user("user", &user)
                    .user("by", &person.id)
                    .word("until", local_time(until, zone)),
            ),
        });
        self.plan_handoff(pending, now);
        info!(role = role.as_str(), user = %user, %until, by = %person.id, "On-call override recorded.");
        CommandReply {
            ok: true,
            lines: vec![
                self.named(
                    Msg::new("reply-oncall-override-set")
                        .word("role", role.as_str())
                        .user("user", &user)
                        .word("until", local_time(until, zone)),
                ),
            ],
            incident: None,
        }
    }

    /// The person an override names: someone warroom knows (configured, or met in chat),
    /// by id or by name, or a Discord user id (Discord's user option only offers members).
    fn known_person(&self, user: &UserId) -> Option<UserId> {
        let people = self.people.lock();
        if people.contains(user) {
            return Some(user.clone());
        }
        if let Some(id) = people.id_by_name(&user.0) {
            return Some(id);
        }
        crate::config::parse_snowflake(&user.0).map(|_| user.clone())
    }

    /// `/oncall show`: each role's holder now and next with the hand-off time, in `[chat]
    /// time_zone`; then the rotations limited to some services.
    fn oncall_lines(&self, now: DateTime<Utc>) -> Vec<Msg> {
        let book: &OnCallBook = &self.policy.oncall;
        let zone = self.policy.time_zone;
        let mut lines = vec![Msg::new("reply-oncall-header").word("zone", zone.name())];
        let general = book.at(None, now);
        for role in OnCallRole::ALL {
            let line = match general.roles.iter().find(|held| held.role == role) {
                Some(held) => role_line(held, zone),
                None if role == OnCallRole::DutyManager => {
                    Msg::new("reply-oncall-every-duty-manager").word("role", role.as_str())
                }
                None => Msg::new("reply-oncall-nobody").word("role", role.as_str()),
            };
            lines.push(line);
        }
        for rotation in book.rotations.iter().filter(|r| !r.services().is_empty()) {
            let service = rotation.services().first().map(String::as_str);
            let scoped = book.at(service, now);
            if let Some(held) = scoped
                .roles
                .iter()
                .find(|held| held.role == rotation.role())
            {
                lines.push(
                    Msg::new("reply-oncall-services")
                        .outside("services", rotation.services().join(", ")),
                );
                lines.push(role_line(held, zone));
            }
        }
        if lines.len() > 64 {
            warn!(
                lines = lines.len(),
                "The on-call answer is long; it is cut."
            );
            lines.truncate(64);
        }
        lines.into_iter().map(|line| self.named(line)).collect()
    }
}

fn role_line(held: &RoleOnCall, zone: chrono_tz::Tz) -> Msg {
    let source = match held.source {
        OnCallSource::Override => "override",
        OnCallSource::Rotation { .. } => "rotation",
        OnCallSource::Fixed => "fixed",
    };
    let base = |id: &str| {
        Msg::new(id)
            .word("role", held.role.as_str())
            .user("holder", &held.holder)
            .word("source", source)
    };
    match &held.next {
        Some(next) => match &next.to {
            Some(to) => base("reply-oncall-role-next")
                .user("next", to)
                .word("at", local_time(next.at, zone)),
            None => base("reply-oncall-role-until").word("at", local_time(next.at, zone)),
        },
        None => base("reply-oncall-role"),
    }
}

fn until_refusal(error: &UntilError) -> Msg {
    match error {
        UntilError::NotATime(text) => {
            Msg::new("reply-oncall-until-not-a-time").outside("until", text.clone())
        }
        UntilError::InPast(text) => {
            Msg::new("reply-oncall-until-past").outside("until", text.clone())
        }
        UntilError::TooFar(text) => Msg::new("reply-oncall-until-too-far")
            .outside("until", text.clone())
            .number("days", MAX_OVERRIDE_DAYS as u64),
    }
}

#[cfg(test)]
mod tests;
