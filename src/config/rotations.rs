//! Who is on call, from the config: `[oncall]` (a role's fixed holder) and `[[rotations]]`
//! (a role handed from participant to participant on a cron schedule). Both name people as
//! `[[users]]` names or, with Discord, Discord user ids; both are resolved to the person's
//! id here, so the book never holds a name another part of warroom would not recognise.

use std::collections::BTreeMap;

use super::file::{OncallSection, RotationConfig};
use super::parse_snowflake;
use crate::domain::access::Person;
use crate::domain::ids::UserId;
use crate::domain::rotation::{
    FixedOnCall, OnCallBook, OnCallRole, RawRotation, Rotation, validate_rotation_set,
};

/// The most `[[rotations]]` tables: far more than any team has, and every incident that
/// opens asks each of them who holds it.
pub(super) const MAX_ROTATIONS: usize = 100;

/// The on-call book the config describes, with every problem pushed by key path. A role
/// with neither a rotation nor an `[oncall]` entry falls back to the first configured person
/// holding that role, except the duty manager: without one named, every duty manager is
/// called.
pub(super) fn oncall_book(
    oncall: &OncallSection,
    rotations: &[RotationConfig],
    people: &[Person],
    discord: bool,
    problems: &mut Vec<String>,
) -> OnCallBook {
    let mut parsed = Vec::new();
    if rotations.len() > MAX_ROTATIONS {
        problems.push(format!(
            "rotations: {} tables; at most {MAX_ROTATIONS} (one per role, or per role and services)",
            rotations.len()
        ));
    }
    for (index, config) in rotations.iter().enumerate().take(MAX_ROTATIONS) {
        let key = format!("rotations[{index}]");
        let mut participants = Vec::new();
        for (position, name) in config.participants.iter().enumerate() {
            if name.trim().is_empty() {
                // `Rotation::parse` names the empty participant.
                participants.push(String::new());
                continue;
            }
            match resolve_person(name.trim(), people, discord) {
                Some(id) => participants.push(id.0),
                None => problems.push(format!(
                    "{key}.participants[{position}]: \"{name}\" is not one of the configured users"
                )),
            }
        }
        let raw = RawRotation {
            role: config.role.clone(),
            participants,
            handoff: config.handoff.clone(),
            time_zone: config.time_zone.clone(),
            start: config.start.clone(),
            services: config.services.clone(),
        };
        match Rotation::parse(&raw) {
            Ok(rotation) => parsed.push((index, rotation)),
            Err(found) => problems.extend(
                found
                    .into_iter()
                    .map(|problem| format!("{key}.{}: {}", problem.field, problem.message)),
            ),
        }
    }

    let mut fixed = BTreeMap::new();
    for role in OnCallRole::ALL {
        let configured = match role {
            OnCallRole::Commander => oncall.commander.as_ref(),
            OnCallRole::Communications => oncall.communications.as_ref(),
            OnCallRole::Operations => oncall.operations.as_ref(),
            OnCallRole::DutyManager => oncall.duty_manager.as_ref(),
        };
        // Only a rotation for every service leaves no service to a default holder.
        let has_rotation = rotations.iter().any(|rotation| {
            OnCallRole::parse(&rotation.role) == Some(role) && rotation.services.is_empty()
        });
        let user = match configured {
            Some(name) => {
                let resolved = resolve_person(name.trim(), people, discord);
                if resolved.is_none() {
                    problems.push(format!(
                        "oncall.{}: \"{name}\" is not one of the configured users",
                        role.as_str()
                    ));
                }
                Some(resolved.unwrap_or_else(|| UserId(name.clone())))
            }
            // A role with a rotation takes nobody by default: the rotation says who.
            None if has_rotation => None,
            // Without one named, every duty manager is called.
            None if role == OnCallRole::DutyManager => None,
            // Without an explicit rota, the first person holding the role is on call.
            None => people
                .iter()
                .find(|person| {
                    person.roles.iter().any(|held| {
                        held.on_call_role().is_some() && held.on_call_role() == role.incident_role()
                    })
                })
                .map(|person| person.id.clone()),
        };
        if let Some(user) = user {
            fixed.insert(role, user);
        }
    }
    let fixed = FixedOnCall(fixed);

    // Indexes in the problems must be those of the file, not of the rotations that parsed.
    let (indexes, valid): (Vec<usize>, Vec<Rotation>) = parsed.into_iter().unzip();
    for problem in validate_rotation_set(&valid, &fixed) {
        problems.push(renumber(&problem.field, &problem.message, &indexes));
    }
    OnCallBook {
        rotations: std::sync::Arc::new(valid),
        fixed,
        overrides: std::sync::Arc::default(),
    }
}

/// A person named in `[oncall]` or a rotation: a configured user by name or id, or (with
/// Discord) any Discord user id.
fn resolve_person(name: &str, people: &[Person], discord: bool) -> Option<UserId> {
    let known = people
        .iter()
        .find(|person| person.id.0 == name || person.display_name == name);
    match known {
        Some(person) => Some(person.id.clone()),
        None if discord && parse_snowflake(name).is_some() => Some(UserId(name.to_owned())),
        None => None,
    }
}

/// `validate_rotation_set` numbers rotations by their place among those that parsed; the
/// problem must name their place in the file.
fn renumber(field: &str, message: &str, indexes: &[usize]) -> String {
    let mut text = format!("{field}: {message}");
    // Highest first, so replacing `rotations[1]` never touches an already renumbered one;
    // a marker keeps replaced numbers from being replaced again.
    for (position, original) in indexes.iter().enumerate().rev() {
        text = text.replace(
            &format!("rotations[{position}]"),
            &format!("rotations\u{0}[{original}]"),
        );
    }
    text.replace('\u{0}', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::PersonRole;

    fn person(name: &str, roles: &[PersonRole]) -> Person {
        Person {
            id: UserId(name.to_owned()),
            display_name: name.to_owned(),
            roles: roles.iter().copied().collect(),
            locale: "en-US".to_owned(),
        }
    }

    fn rotation(role: &str, participants: &[&str]) -> RotationConfig {
        RotationConfig {
            role: role.to_owned(),
            participants: participants.iter().map(|p| p.to_string()).collect(),
            handoff: "0 0 9 * * Mon".to_owned(),
            time_zone: "Asia/Shanghai".to_owned(),
            start: "2026-11-02T09:00:00+08:00".to_owned(),
            services: Vec::new(),
        }
    }

    fn people() -> Vec<Person> {
        vec![
            person("alice", &[PersonRole::Commander, PersonRole::DutyManager]),
            person("bob", &[PersonRole::Operations]),
            person("carol", &[PersonRole::Communications]),
        ]
    }

    #[test]
    fn problems_name_their_key_paths() {
        let cases: Vec<(&str, RotationConfig, OncallSection, &str)> = vec![
            (
                "unknown participant",
                rotation("commander", &["alice", "zed"]),
                OncallSection::default(),
                "rotations[0].participants[1]: \"zed\" is not one of the configured users",
            ),
            (
                "no participants",
                rotation("commander", &[]),
                OncallSection::default(),
                "rotations[0].participants: a rotation needs at least one participant",
            ),
            (
                "unknown role",
                rotation("janitor", &["alice"]),
                OncallSection::default(),
                "rotations[0].role: \"janitor\" is not a role",
            ),
            (
                "bad cron",
                RotationConfig {
                    handoff: "every monday".to_owned(),
                    ..rotation("commander", &["alice"])
                },
                OncallSection::default(),
                "rotations[0].handoff: \"every monday\" has 2 fields",
            ),
            (
                "bad zone",
                RotationConfig {
                    time_zone: "Mars/Olympus".to_owned(),
                    ..rotation("commander", &["alice"])
                },
                OncallSection::default(),
                "rotations[0].time_zone: \"Mars/Olympus\" is not an IANA time zone",
            ),
            (
                "both a rotation and an [oncall] entry",
                rotation("commander", &["alice"]),
                OncallSection {
                    commander: Some("alice".to_owned()),
                    ..OncallSection::default()
                },
                "rotations[0].role: role commander has both rotations[0] and oncall.commander",
            ),
            (
                "unknown [oncall] duty manager",
                rotation("commander", &["alice"]),
                OncallSection {
                    duty_manager: Some("zed".to_owned()),
                    ..OncallSection::default()
                },
                "oncall.duty_manager: \"zed\" is not one of the configured users",
            ),
        ];
        for (name, config, oncall, expected) in cases {
            let mut problems = Vec::new();
            oncall_book(&oncall, &[config], &people(), false, &mut problems);
            assert!(
                problems.iter().any(|problem| problem.starts_with(expected)),
                "{name}: {problems:#?}"
            );
        }
    }

    #[test]
    fn too_many_rotations_are_refused() {
        let many: Vec<RotationConfig> = (0..=MAX_ROTATIONS)
            .map(|_| rotation("commander", &["alice"]))
            .collect();
        let mut problems = Vec::new();
        oncall_book(
            &OncallSection::default(),
            &many,
            &people(),
            false,
            &mut problems,
        );
        assert!(
            problems
                .iter()
                .any(|problem| problem.starts_with("rotations: 101 tables; at most 100")),
            "{:#?}",
            &problems[..3]
        );
    }

    #[test]
    fn a_second_rotation_problem_names_its_place_in_the_file() {
        let broken = RotationConfig {
            handoff: "nonsense".to_owned(),
            ..rotation("operations", &["bob"])
        };
        let mut problems = Vec::new();
        oncall_book(
            &OncallSection {
                commander: Some("alice".to_owned()),
                ..OncallSection::default()
            },
            &[broken, rotation("commander", &["alice"])],
            &people(),
            false,
            &mut problems,
        );
        assert!(
            problems.iter().any(|problem| problem
                == "rotations[1].role: role commander has both rotations[1] and oncall.commander; keep one"),
            "{problems:#?}"
        );
    }

    #[test]
    fn defaults_fill_roles_without_a_rotation_but_never_the_duty_manager() {
        let mut problems = Vec::new();
        let book = oncall_book(
            &OncallSection::default(),
            &[rotation("commander", &["carol", "bob"])],
            &people(),
            false,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:#?}");
        // The commander comes from the rotation only (alice holds the role but is not its
        // default); operations and communications from the first holder of the role.
        assert!(!book.fixed.0.contains_key(&OnCallRole::Commander));
        assert_eq!(
            book.fixed.0.get(&OnCallRole::Operations),
            Some(&UserId("bob".into()))
        );
        assert!(!book.fixed.0.contains_key(&OnCallRole::DutyManager));
        let at = "2026-11-03T00:00:00Z".parse().unwrap();
        assert_eq!(book.roles(None, at).commander, Some(UserId("carol".into())));
    }

    #[test]
    fn participants_resolve_by_name_to_the_person_id_and_discord_ids_pass_with_discord() {
        let mut linked = person("dave", &[PersonRole::Commander]);
        linked.id = UserId("123456789012345678".to_owned());
        let mut everyone = people();
        everyone.push(linked);
        let mut problems = Vec::new();
        let book = oncall_book(
            &OncallSection {
                duty_manager: Some("alice".to_owned()),
                ..OncallSection::default()
            },
            &[rotation("commander", &["dave", "alice"])],
            &everyone,
            false,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(
            book.rotations[0].participants()[0],
            UserId("123456789012345678".into())
        );
        assert_eq!(
            book.fixed.0.get(&OnCallRole::DutyManager),
            Some(&UserId("alice".into()))
        );
    }
}
