//! The people the engine knows: the configured ones, and those adapters introduce with each
//! command, button or reaction (Discord members with their mapped roles). Bounded: the
//! introduced are kept up to [`MAX_INTRODUCED_PEOPLE`], the least recently seen going first,
//! and each introduction replaces what was known, roles included.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::domain::access::Person;
use crate::domain::ids::UserId;

/// How many introduced people are remembered at most.
pub const MAX_INTRODUCED_PEOPLE: usize = 10_000;

/// The registry, shared by the engine and the queries the adapters run.
#[derive(Clone, Debug)]
pub struct SharedPeople(Arc<Mutex<People>>);

impl SharedPeople {
    pub fn new(configured: Vec<Person>, capacity: usize) -> SharedPeople {
        SharedPeople(Arc::new(Mutex::new(People::new(configured, capacity))))
    }

    /// The registry for one step. A panic while it was held leaves it consistent (every
    /// method finishes its bookkeeping before returning), so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, People> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
pub struct People {
    /// From the config: few, fixed, the fallback when nobody introduced them since.
    configured: HashMap<UserId, Person>,
    /// Introduced by adapters, with the moment (a counter) each was last seen.
    introduced: HashMap<UserId, (Person, u64)>,
    /// The same, by moment: the first is the least recently seen.
    by_seen: BTreeMap<u64, UserId>,
    seen: u64,
    capacity: usize,
}

impl People {
    pub fn new(configured: Vec<Person>, capacity: usize) -> People {
        People {
            configured: configured
                .into_iter()
                .map(|person| (person.id.clone(), person))
                .collect(),
            introduced: HashMap::new(),
            by_seen: BTreeMap::new(),
            seen: 0,
            capacity: capacity.max(1),
        }
    }

    /// An adapter vouches for `person` as it is now: their roles and name replace what was
    /// known (a configured entry included), and they become the most recently seen.
    pub fn introduce(&mut self, person: Person) {
        self.seen += 1;
        if let Some((_, previous)) = self.introduced.remove(&person.id) {
            self.by_seen.remove(&previous);
        }
        self.by_seen.insert(self.seen, person.id.clone());
        self.introduced
            .insert(person.id.clone(), (person, self.seen));
        while self.introduced.len() > self.capacity {
            let Some((_, oldest)) = self.by_seen.pop_first() else {
                break;
            };
            self.introduced.remove(&oldest);
        }
    }

    /// The freshest knowledge of `user`: their last introduction, else the config.
    pub fn get(&self, user: &UserId) -> Option<&Person> {
        self.introduced
            .get(user)
            .map(|(person, _)| person)
            .or_else(|| self.configured.get(user))
    }

    pub fn contains(&self, user: &UserId) -> bool {
        self.get(user).is_some()
    }

    /// How many introduced people are remembered (the configured are not counted).
    pub fn introduced_len(&self) -> usize {
        self.introduced.len()
    }

    /// Everyone known (configured or introduced) who holds `role`, by id, at most `limit`:
    /// whom "every duty manager" calls when no rotation or `[oncall]` names one.
    pub fn with_role(&self, role: crate::domain::access::PersonRole, limit: usize) -> Vec<UserId> {
        let mut ids: Vec<UserId> = self
            .configured
            .keys()
            .chain(self.introduced.keys())
            .filter(|id| {
                self.get(id)
                    .is_some_and(|person| person.roles.contains(&role))
            })
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids.truncate(limit);
        ids
    }

    /// The id of the person shown as `name` (a console user typed by name who is linked to
    /// a Discord id), configured people first.
    pub fn id_by_name(&self, name: &str) -> Option<UserId> {
        self.configured
            .values()
            .chain(self.introduced.values().map(|(person, _)| person))
            .find(|person| person.display_name == name)
            .map(|person| person.id.clone())
    }

    /// The display name of a person, if known and not blank.
    pub fn display_name(&self, user: &UserId) -> Option<String> {
        self.get(user)
            .map(|person| person.display_name.trim())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::PersonRole;

    fn person(id: &str, role: PersonRole) -> Person {
        Person {
            id: UserId(id.to_owned()),
            roles: [role].into_iter().collect(),
            locale: "en-US".to_owned(),
            display_name: id.to_owned(),
        }
    }

    #[test]
    fn the_registry_is_bounded_and_forgets_the_least_recently_seen() {
        let mut people = People::new(Vec::new(), 3);
        for id in ["a", "b", "c"] {
            people.introduce(person(id, PersonRole::Responder));
        }
        // Seeing "a" again makes "b" the least recently seen.
        people.introduce(person("a", PersonRole::Responder));
        people.introduce(person("d", PersonRole::Responder));
        assert_eq!(people.introduced_len(), 3);
        let known: Vec<bool> = ["a", "b", "c", "d"]
            .iter()
            .map(|id| people.contains(&UserId((*id).to_owned())))
            .collect();
        assert_eq!(known, [true, false, true, true]);
        for n in 0..(MAX_INTRODUCED_PEOPLE * 2) {
            people.introduce(person(&format!("u{n}"), PersonRole::Responder));
        }
        assert_eq!(people.introduced_len(), 3);
        let mut big = People::new(Vec::new(), MAX_INTRODUCED_PEOPLE);
        for n in 0..(MAX_INTRODUCED_PEOPLE + 10) {
            big.introduce(person(&format!("u{n}"), PersonRole::Responder));
        }
        assert_eq!(big.introduced_len(), MAX_INTRODUCED_PEOPLE);
        assert!(!big.contains(&UserId("u9".to_owned())));
        assert!(big.contains(&UserId("u10".to_owned())));
    }

    #[test]
    fn an_introduction_refreshes_roles_even_of_a_configured_person() {
        let commands = |people: &People| {
            people
                .get(&UserId("alice".to_owned()))
                .is_some_and(|alice| alice.roles.contains(&PersonRole::Commander))
        };
        let configured = person("alice", PersonRole::Commander);
        let mut people = People::new(vec![configured], 2);
        let alice = UserId("alice".to_owned());
        assert!(commands(&people));
        people.introduce(person("alice", PersonRole::Responder));
        let roles = &people.get(&alice).unwrap().roles;
        assert!(roles.contains(&PersonRole::Responder) && !roles.contains(&PersonRole::Commander));
        // Forgotten once others push her out: the config is the fallback again.
        people.introduce(person("b", PersonRole::Responder));
        people.introduce(person("c", PersonRole::Responder));
        assert!(commands(&people));
    }
}
