//! The engine's on-call handling over a real store, with no outbox running, so what it
//! queued (announcements) stays readable: hand-offs announced once, after downtime once,
//! overrides recorded, announced, shared with the one source and removed when they end.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::domain::access::{Person, PersonRole};
use crate::domain::command::Command;
use crate::domain::deadline::HANDOFF_KEY;
use crate::domain::decide::Policy;
use crate::domain::effect::Effect;
use crate::domain::ids::UserId;
use crate::domain::message::{Arg, Msg};
use crate::domain::rotation::{FixedOnCall, OnCallBook, OnCallRole, RawRotation, Rotation};
use crate::engine::clock::{Clock, ManualClock};
use crate::engine::{EngineHandle, EngineParts, spawn};
use crate::oncall::{OnCall, SharedOnCall};
use crate::store::{DeliveryStore, SledStore, Store, StoreRead};

struct Bot {
    engine: EngineHandle,
    store: Arc<SledStore>,
    oncall: Arc<SharedOnCall>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn person(name: &str, roles: &[PersonRole]) -> Person {
    Person {
        id: UserId(name.to_owned()),
        display_name: name.to_owned(),
        roles: roles.iter().copied().collect(),
        locale: "en-US".to_owned(),
    }
}

fn alice() -> Person {
    person("alice", &[PersonRole::Commander, PersonRole::DutyManager])
}

fn carol() -> Person {
    person("carol", &[PersonRole::Communications])
}

/// Commanders alice then dave, handing off Mondays 09:00 in Shanghai (01:00 UTC) from
/// 2026-11-02; operations fixed to bob.
fn book() -> OnCallBook {
    let rotation = Rotation::parse(&RawRotation {
        role: "commander".to_owned(),
        participants: vec!["alice".to_owned(), "dave".to_owned()],
        handoff: "0 0 9 * * Mon".to_owned(),
        time_zone: "Asia/Shanghai".to_owned(),
        start: "2026-11-02T09:00:00+08:00".to_owned(),
        services: Vec::new(),
    })
    .unwrap();
    OnCallBook {
        rotations: Arc::new(vec![rotation]),
        fixed: FixedOnCall(
            [(OnCallRole::Operations, UserId("bob".to_owned()))]
                .into_iter()
                .collect(),
        ),
        overrides: Arc::default(),
    }
}

fn start_in(dir: tempfile::TempDir, now: DateTime<Utc>) -> Bot {
    let store = Arc::new(SledStore::open(dir.path(), 1 << 20).unwrap());
    let oncall = Arc::new(SharedOnCall::new(book()));
    let clock = Arc::new(ManualClock::new(now));
    let (engine, _task) = spawn(EngineParts {
        store: store.clone(),
        clock: clock.clone(),
        policy: Policy {
            time_zone: chrono_tz::Asia::Shanghai,
            ..Policy::standard()
        },
        oncall: oncall.clone(),
        people: vec![alice(), carol(), person("dave", &[PersonRole::Commander])],
        outbox_wake: Arc::new(Notify::new()),
        jobs_wake: Arc::new(Notify::new()),
        live: Default::default(),
    })
    .unwrap();
    Bot {
        engine,
        store,
        oncall,
        clock,
        _dir: dir,
    }
}

fn start(now: DateTime<Utc>) -> Bot {
    start_in(tempfile::tempdir().unwrap(), now)
}

impl Bot {
    /// Waits (bounded) until the hand-off deadline is due at `due`: the engine writes it
    /// from the scheduler's `Due`, asynchronously.
    async fn handoff_due_at(&self, due: DateTime<Utc>) {
        for _ in 0..400 {
            if self
                .store
                .deadline(HANDOFF_KEY)
                .unwrap()
                .is_some_and(|deadline| deadline.due == due)
            {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        panic!(
            "the hand-off deadline is {:?}, not at {due}",
            self.store.deadline(HANDOFF_KEY).unwrap()
        );
    }

    /// The announcements queued so far, as message ids with their keys.
    fn announcements(&self) -> Vec<(String, Msg)> {
        self.store
            .outbox_pending(1_000)
            .unwrap()
            .into_iter()
            .filter_map(|item| match item.effect {
                Effect::Announce { key, message } => Some((key, message)),
                _ => None,
            })
            .collect()
    }

    /// Waits (bounded) until `count` announcements are queued.
    async fn wait_announcements(&self, count: usize) -> Vec<(String, Msg)> {
        for _ in 0..400 {
            let found = self.announcements();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        panic!(
            "expected {count} announcements: {:#?}",
            self.announcements()
        );
    }

    /// Waits (bounded) until the one on-call source names `name` commander.
    async fn commander_becomes(&self, name: &str) {
        let expected = Some(UserId(name.to_owned()));
        for _ in 0..400 {
            if self.oncall.book().roles(None, self.clock.now()).commander == expected {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        panic!("the source never named {name} commander");
    }

    async fn command(&self, person: Person, command: Command) -> crate::engine::CommandReply {
        self.engine
            .command(person, Vec::new(), None, command)
            .await
            .unwrap()
    }
}

fn user_arg(msg: &Msg, name: &str) -> Option<String> {
    msg.args.iter().find_map(|(arg, value)| match value {
        Arg::Person { id, .. } if arg == name => Some(id.0.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn a_hand_off_is_announced_once_and_the_next_one_set() {
    let bot = start(utc("2026-11-21T10:00:00Z"));
    // A first start has no hand-off deadline: the engine sets it at the next Monday.
    bot.handoff_due_at(utc("2026-11-23T01:00:00Z")).await;
    assert!(bot.announcements().is_empty());

    bot.clock.set(utc("2026-11-23T01:00:00Z"));
    bot.handoff_due_at(utc("2026-11-30T01:00:00Z")).await;
    let announced = bot.wait_announcements(1).await;
    assert_eq!(announced.len(), 1, "{announced:#?}");
    let (key, message) = &announced[0];
    assert_eq!(
        key,
        &format!(
            "handoff:{}:commander:",
            utc("2026-11-23T01:00:00Z").timestamp_millis()
        )
    );
    assert_eq!(message.id, "announce-oncall-handoff");
    // Three hand-offs since 2026-11-02: alice, dave, alice, dave.
    assert_eq!(user_arg(message, "user").as_deref(), Some("dave"));
    bot.commander_becomes("dave").await;
}

#[tokio::test]
async fn after_downtime_missed_hand_offs_fire_once_and_re_arm_from_now() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let bot = start_in(dir, utc("2026-11-21T10:00:00Z"));
    bot.handoff_due_at(utc("2026-11-23T01:00:00Z")).await;
    let Bot {
        engine,
        store,
        _dir,
        ..
    } = bot;
    drop(engine);
    // Let go of the store before opening it again (the engine thread holds a clone).
    drop(store);
    let mut reopened = None;
    for _ in 0..200 {
        match SledStore::open(&path, 1 << 20) {
            Ok(store) => {
                reopened = Some(store);
                break;
            }
            Err(_) => tokio::time::sleep(StdDuration::from_millis(25)).await,
        }
    }
    drop(reopened.expect("the store opens again"));
    // Down for three hand-offs (11-23, 11-30, 12-07); back on 12-08.
    let bot = start_in(_dir, utc("2026-12-08T00:00:00Z"));
    bot.handoff_due_at(utc("2026-12-14T01:00:00Z")).await;
    let announced = bot.wait_announcements(1).await;
    assert_eq!(announced.len(), 1, "{announced:#?}");
    // 12-07 is the fifth hand-off since start: dave holds now, and that is what is said.
    assert_eq!(user_arg(&announced[0].1, "user").as_deref(), Some("dave"));
}

#[tokio::test]
async fn an_override_is_recorded_announced_shared_and_removed_when_it_ends() {
    let bot = start(utc("2026-11-21T10:00:00Z"));
    bot.handoff_due_at(utc("2026-11-23T01:00:00Z")).await;
    let reply = bot
        .command(
            alice(),
            Command::OnCallOverride {
                role: OnCallRole::Commander,
                user: UserId("carol".to_owned()),
                until: "4h".to_owned(),
            },
        )
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.lines[0].id, "reply-oncall-override-set");
    // Stored, shared with the one source (the Discord adapter asks it), announced, and the
    // hand-off deadline moved to the override's end.
    let until = utc("2026-11-21T14:00:00Z");
    assert_eq!(bot.store.overrides().unwrap().len(), 1);
    // The source hears of it once the group is published, just after the reply.
    bot.commander_becomes("carol").await;
    assert_eq!(
        bot.store.deadline(HANDOFF_KEY).unwrap().map(|d| d.due),
        Some(until)
    );
    let announced = bot.wait_announcements(1).await;
    assert_eq!(announced[0].1.id, "announce-oncall-override");
    assert_eq!(user_arg(&announced[0].1, "by").as_deref(), Some("alice"));

    // `/oncall show` names the override and who comes after it.
    let shown = bot.command(carol(), Command::OnCall).await;
    assert!(shown.ok);
    let commander = shown
        .lines
        .iter()
        .find(|line| {
            line.args
                .contains(&("role".to_owned(), Arg::Word("commander".to_owned())))
        })
        .unwrap();
    assert_eq!(commander.id, "reply-oncall-role-next");
    assert_eq!(user_arg(commander, "holder").as_deref(), Some("carol"));
    assert_eq!(user_arg(commander, "next").as_deref(), Some("alice"));
    assert!(commander.args.contains(&(
        "at".to_owned(),
        Arg::Word("2026-11-21 22:00:00 +08:00".to_owned())
    )));

    // At its end the commander goes back to the rotation, the override is removed and the
    // change announced.
    bot.clock.set(until);
    bot.handoff_due_at(utc("2026-11-23T01:00:00Z")).await;
    let announced = bot.wait_announcements(2).await;
    assert_eq!(announced[1].1.id, "announce-oncall-handoff");
    assert_eq!(user_arg(&announced[1].1, "user").as_deref(), Some("alice"));
    assert!(bot.store.overrides().unwrap().is_empty());
    bot.commander_becomes("alice").await;
}

#[tokio::test]
async fn overrides_are_refused_with_a_reason() {
    let bot = start(utc("2026-11-21T10:00:00Z"));
    let over = |user: &str, until: &str| Command::OnCallOverride {
        role: OnCallRole::Commander,
        user: UserId(user.to_owned()),
        until: until.to_owned(),
    };
    let cases: Vec<(&str, Person, Command, &str)> = vec![
        (
            "not a duty manager",
            carol(),
            over("carol", "4h"),
            "reply-not-allowed",
        ),
        (
            "unknown user",
            alice(),
            over("zed", "4h"),
            "reply-oncall-unknown-user",
        ),
        (
            "not a time",
            alice(),
            over("carol", "soon"),
            "reply-oncall-until-not-a-time",
        ),
        (
            "in the past",
            alice(),
            over("carol", "2026-11-21 08:00"),
            "reply-oncall-until-past",
        ),
        (
            "too far",
            alice(),
            over("carol", "60d"),
            "reply-oncall-until-too-far",
        ),
    ];
    for (name, who, command, expected) in cases {
        let reply = bot.command(who, command).await;
        assert!(!reply.ok, "{name}: {reply:?}");
        assert_eq!(reply.lines[0].id, expected, "{name}");
    }
    assert!(bot.store.overrides().unwrap().is_empty());
}
