//! Who may do what. Adapters check this first for a quick refusal; the engine checks it again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::ids::UserId;
use crate::domain::incident::{IncidentRole, Roles};

/// A role a person holds in config (not in one incident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// On call as Incident Commander (static on-call until rotations exist).
    Commander,
    Communications,
    Operations,
    /// 值班经理: may steer any incident and, later, approve risky actions.
    DutyManager,
    /// May act on incidents (acknowledge, mitigate, note, declare) but holds no on-call role.
    Responder,
    /// May only read.
    Viewer,
}

impl PersonRole {
    /// The role as config writes it (`duty_manager`), the inverse of [`PersonRole::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::Commander => "commander",
            PersonRole::Communications => "communications",
            PersonRole::Operations => "operations",
            PersonRole::DutyManager => "duty_manager",
            PersonRole::Responder => "responder",
            PersonRole::Viewer => "viewer",
        }
    }

    /// The on-call roles by `OnCallRole::parse`'s words (so `ops` and `dm` mean here what
    /// they mean in `/oncall` and `[[rotations]]`), plus `responder` and `viewer`; any case,
    /// blanks around ignored.
    pub fn parse(text: &str) -> Option<PersonRole> {
        use crate::domain::rotation::OnCallRole;
        if let Some(role) = OnCallRole::parse(text) {
            return Some(match role {
                OnCallRole::Commander => PersonRole::Commander,
                OnCallRole::Communications => PersonRole::Communications,
                OnCallRole::Operations => PersonRole::Operations,
                OnCallRole::DutyManager => PersonRole::DutyManager,
            });
        }
        match text.trim().to_ascii_lowercase().as_str() {
            "responder" => Some(PersonRole::Responder),
            "viewer" => Some(PersonRole::Viewer),
            _ => None,
        }
    }

    pub fn on_call_role(self) -> Option<IncidentRole> {
        match self {
            PersonRole::Commander => Some(IncidentRole::Commander),
            PersonRole::Communications => Some(IncidentRole::Communications),
            PersonRole::Operations => Some(IncidentRole::Operations),
            _ => None,
        }
    }
}

/// A person known to warroom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    /// How chats name this person: a console user's configured name; on Discord the member's
    /// server nickname, else their global name, else their username. Never a mention.
    pub display_name: String,
    pub roles: BTreeSet<PersonRole>,
    pub locale: String,
}

/// How much an action asks of the person doing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Look at status and timeline.
    Read,
    /// Acknowledge, mitigate, add notes, declare incidents.
    Respond,
    /// Resolve, close, reopen, change severity, hand out roles: the incident's commander or a
    /// duty manager.
    Steer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this person may only read")]
    ReadOnly,
    #[error("only the incident commander or a duty manager may do this")]
    NotCommanderOrDutyManager,
}

pub fn authorize(
    person: &Person,
    incident_roles: Option<&Roles>,
    permission: Permission,
) -> Result<(), Refusal> {
    let can_respond = person.roles.iter().any(|role| *role != PersonRole::Viewer);
    match permission {
        Permission::Read => Ok(()),
        Permission::Respond if can_respond => Ok(()),
        Permission::Respond => Err(Refusal::ReadOnly),
        Permission::Steer => {
            if !can_respond {
                return Err(Refusal::ReadOnly);
            }
            let duty_manager = person.roles.contains(&PersonRole::DutyManager);
            let commander_of_incident =
                match incident_roles.and_then(|roles| roles.commander.as_ref()) {
                    Some(commander) => *commander == person.id,
                    // Nobody commands this incident yet: anyone on call as commander may step in.
                    None => person.roles.contains(&PersonRole::Commander),
                };
            if duty_manager || commander_of_incident {
                Ok(())
            } else {
                Err(Refusal::NotCommanderOrDutyManager)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decide::tests::person;

    type Case<'a> = (
        &'a str,
        &'a [PersonRole],
        Option<&'a Roles>,
        Permission,
        bool,
    );

    #[test]
    fn authorization_table() {
        use Permission::*;
        use PersonRole::*;
        let alice_commands = Roles {
            commander: Some(UserId("alice".to_owned())),
            ..Roles::default()
        };
        let nobody = Roles::default();
        let cases: &[Case] = &[
            ("vic", &[Viewer], Some(&alice_commands), Read, true),
            ("vic", &[Viewer], Some(&alice_commands), Respond, false),
            ("vic", &[Viewer], Some(&alice_commands), Steer, false),
            ("rob", &[Responder], Some(&alice_commands), Respond, true),
            ("rob", &[Responder], Some(&alice_commands), Steer, false),
            ("alice", &[Commander], Some(&alice_commands), Steer, true),
            (
                "carol",
                &[Communications],
                Some(&alice_commands),
                Steer,
                false,
            ),
            ("dave", &[Commander], Some(&alice_commands), Steer, false),
            ("dave", &[Commander], Some(&nobody), Steer, true),
            ("dave", &[Commander], None, Steer, true),
            (
                "bob",
                &[Operations, DutyManager],
                Some(&alice_commands),
                Steer,
                true,
            ),
            ("nobody", &[], Some(&alice_commands), Respond, false),
        ];
        for (name, roles, incident_roles, permission, allowed) in cases {
            let result = authorize(&person(name, roles), *incident_roles, *permission);
            assert_eq!(result.is_ok(), *allowed, "{name} {roles:?} {permission:?}");
        }
    }
}
