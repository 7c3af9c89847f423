//! Queries: `/help`, `/incident list`, `status` and `timeline` answered from read views — the
//! open incidents the engine publishes after each commit, the store's read port and the
//! people registry — without passing through the writer: no transaction, no flush.

mod actions;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::domain::access::Person;
use crate::domain::action::ActionPolicy;
use crate::domain::command::Command;
use crate::domain::ids::{IncidentId, RoomId, UserId};
use crate::domain::incident::Incident;
use crate::domain::message::{Arg, Msg};
use crate::engine::outbox::incident_of_key;
use crate::engine::people::SharedPeople;
use crate::engine::{CommandReply, replies, timeline_lines};
use crate::store::{StoreError, StoreRead};

/// Whether `command` only reads: it is answered from views, never by the writer.
pub fn is_query(command: &Command) -> bool {
    matches!(
        command,
        Command::Help
            | Command::List
            | Command::Status { .. }
            | Command::Timeline { .. }
            | Command::Actions
    )
}

/// The open incidents as of the last commit. The engine is their only writer; it publishes
/// each committed change here, so a query never sees a change that is not yet written.
#[derive(Clone, Debug, Default)]
pub struct OpenIncidents(Arc<RwLock<HashMap<IncidentId, Incident>>>);

impl OpenIncidents {
    /// Nothing holding the lock can leave the map half-changed (single inserts and removes),
    /// so a poisoned lock is used as is.
    pub(super) fn read(&self) -> RwLockReadGuard<'_, HashMap<IncidentId, Incident>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, HashMap<IncidentId, Incident>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, id: IncidentId) -> Option<Incident> {
        self.read().get(&id).cloned()
    }
}

/// What adapters and the engine read: cheap to clone. Methods that read the store block;
/// async callers run them on the blocking pool (see `port::InboundPort`).
#[derive(Clone)]
pub struct Views {
    pub(super) store: Arc<dyn StoreRead>,
    pub(super) open: OpenIncidents,
    pub(super) people: SharedPeople,
    pub(super) time_zone: chrono_tz::Tz,
    /// The command catalog and the services, for `/actions` and chats' suggestions.
    pub(super) actions: Arc<ActionPolicy>,
}

impl std::fmt::Debug for Views {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Views").finish_non_exhaustive()
    }
}

impl Views {
    /// The read port, for the HTTP read API.
    pub fn store(&self) -> Arc<dyn StoreRead> {
        self.store.clone()
    }

    /// The command catalog and the configured services.
    pub fn actions(&self) -> Arc<ActionPolicy> {
        self.actions.clone()
    }

    /// Every open incident as of the last commit, from memory (no store read).
    pub fn open_incidents(&self) -> Vec<Incident> {
        self.open.read().values().cloned().collect()
    }

    /// An incident as last committed.
    pub fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        match self.open.get(id) {
            Some(incident) => Ok(Some(incident)),
            None => self.store.incident(id),
        }
    }

    /// The incident whose room `room` is, once the outbox has opened it.
    pub fn incident_of_room(&self, room: &RoomId) -> Result<Option<IncidentId>, StoreError> {
        Ok(self
            .store
            .chat_ref(&incident_of_key(room))?
            .and_then(|text| IncidentId::parse(&text).ok()))
    }

    /// Answers a query for `person` (already identified by the adapter, who vouches for
    /// them), or `None` when `command` changes something and belongs to the engine.
    pub fn query(
        &self,
        person: &Person,
        incident: Option<IncidentId>,
        command: &Command,
    ) -> Option<Result<CommandReply, StoreError>> {
        if !is_query(command) {
            return None;
        }
        self.people.lock().introduce(person.clone());
        Some(self.answer(incident, command))
    }

    fn answer(
        &self,
        incident: Option<IncidentId>,
        command: &Command,
    ) -> Result<CommandReply, StoreError> {
        match command {
            Command::Help => {
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::help_lines(),
                    incident: None,
                });
            }
            Command::List => {
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::list_lines(self.open.read().values()),
                    incident: None,
                });
            }
            _ => {}
        }
        // `/incident status id:…` names its incident; everything else acts on the room's.
        let incident_id = match command {
            Command::Status {
                incident: Some(named),
            } => Some(*named),
            _ => incident,
        };
        let Some(incident_id) = incident_id else {
            // Outside an incident room `/actions` still shows what can be run.
            if let Command::Actions = command {
                return Ok(CommandReply {
                    ok: true,
                    lines: self.catalog_lines(),
                    incident: None,
                });
            }
            return Ok(CommandReply::refused(Msg::new("reply-no-incident-here")));
        };
        let Some(incident) = self.incident(incident_id)? else {
            return Ok(CommandReply::refused(
                Msg::new("reply-incident-not-found").word("incident", incident_id),
            ));
        };
        let lines = match command {
            // Anyone configured may read; Permission::Read never refuses.
            Command::Timeline { limit } => {
                let total = incident.timeline_len;
                let after = total.saturating_sub(*limit as u64);
                let entries = self.store.timeline(incident_id, after, *limit)?;
                let mut lines = vec![
                    Msg::new("reply-timeline-header")
                        .word("incident", incident_id)
                        .number("shown", entries.len() as u64)
                        .number("total", total),
                ];
                let zone = self.time_zone;
                lines.push(Msg::new("reply-timeline-zone").word("zone", zone.name()));
                lines.extend(entries.iter().flat_map(|entry| timeline_lines(entry, zone)));
                lines
            }
            Command::Actions => self.actions_lines(&incident)?,
            _ => status_lines(&incident)
                .into_iter()
                .map(|line| self.named(line))
                .collect(),
        };
        Ok(CommandReply {
            ok: true,
            lines,
            incident: Some(incident_id),
        })
    }

    /// Fills in the display names of the people a message names by id only: the core knows
    /// people by id, the registry knows who they are.
    pub(super) fn named(&self, mut msg: Msg) -> Msg {
        let people = self.people.lock();
        for (_, arg) in &mut msg.args {
            if let Arg::Person { id, name: None } = arg {
                *arg = Arg::Person {
                    id: id.clone(),
                    name: people.display_name(id),
                };
            }
        }
        msg
    }
}

fn status_lines(incident: &Incident) -> Vec<Msg> {
    let holder = |msg: Msg, name: &str, user: Option<&UserId>| match user {
        Some(user) => msg.user(name, user),
        None => msg.word(name, "-"),
    };
    let msg = Msg::new("reply-status")
        .word("incident", incident.id)
        .outside("title", &incident.title)
        .word("state", incident.state)
        .word("severity", incident.severity)
        .number("firing", incident.alerts.firing)
        .number("resolved", incident.alerts.resolved);
    let msg = holder(msg, "commander", incident.roles.commander.as_ref());
    let msg = holder(
        msg,
        "communications",
        incident.roles.communications.as_ref(),
    );
    vec![holder(
        msg,
        "operations",
        incident.roles.operations.as_ref(),
    )]
}
