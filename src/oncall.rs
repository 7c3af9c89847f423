//! Who is on call: one source, asked by the engine (to fill a new incident's roles, and to
//! know whom escalation and reminders call) and by the Discord adapter (to know the on-call
//! role a member holds). The source holds the rotations and `[oncall]` from the config and
//! the overrides the engine keeps in the `overrides` tree.

use std::sync::{PoisonError, RwLock};

use crate::domain::rotation::{OnCallBook, Override};

/// Who holds each on-call role, as a book the caller asks at its own `now`.
pub trait OnCall: Send + Sync + std::fmt::Debug {
    /// The rotations, fixed holders and overrides as of the last change.
    fn book(&self) -> OnCallBook;
    /// The overrides in force changed (the engine committed `/oncall override`, or loaded
    /// them at start).
    fn set_overrides(&self, overrides: Vec<Override>);
}

/// The on-call source built from the config, with the engine's overrides.
#[derive(Debug, Default)]
pub struct SharedOnCall {
    book: RwLock<OnCallBook>,
}

impl SharedOnCall {
    pub fn new(book: OnCallBook) -> SharedOnCall {
        SharedOnCall {
            book: RwLock::new(book),
        }
    }
}

impl OnCall for SharedOnCall {
    fn book(&self) -> OnCallBook {
        // Writers replace the whole book in one assignment: a poisoned lock still holds a
        // whole book.
        self.book
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_overrides(&self, overrides: Vec<Override>) {
        let mut book = self.book.write().unwrap_or_else(PoisonError::into_inner);
        book.overrides = std::sync::Arc::new(overrides);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::rotation::{FixedOnCall, OnCallRole};

    #[test]
    fn the_shared_source_answers_the_config_and_then_the_overrides() {
        let alice = UserId("alice".to_owned());
        let bob = UserId("bob".to_owned());
        let fixed = FixedOnCall(
            [(OnCallRole::Commander, alice.clone())]
                .into_iter()
                .collect(),
        );
        let source = SharedOnCall::new(OnCallBook::fixed(fixed));
        let at = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(source.book().roles(None, at).commander, Some(alice));
        source.set_overrides(vec![Override {
            role: OnCallRole::Commander,
            user: bob.clone(),
            from: "2025-12-31T00:00:00Z".parse().unwrap(),
            until: "2026-01-02T00:00:00Z".parse().unwrap(),
        }]);
        assert_eq!(source.book().roles(None, at).commander, Some(bob));
    }

    /// The engine records an override; the Discord adapter, asking the same source, grants
    /// the member the role at once (after the flush), and `/oncall show` says the same.
    #[tokio::test]
    async fn the_engine_and_the_discord_adapter_answer_from_one_source() {
        use std::sync::Arc;

        use crate::domain::access::{Person, PersonRole};
        use crate::domain::command::Command;
        use crate::engine::clock::{Clock, ManualClock};

        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("warroom.toml");
        std::fs::write(
            &config,
            r#"
            [discord]
            token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD"
            guild_id = "111111111111111111"
            incidents_category_id = "222222222222222222"
            [discord.roles]
            "333333333333333333" = ["responder"]
            [[rotations]]
            role = "commander"
            participants = ["555555555555555555", "666666666666666666"]
            handoff = "0 0 9 * * Mon"
            time_zone = "Asia/Shanghai"
            start = "2026-11-02T09:00:00+08:00"
            "#,
        )
        .unwrap();
        let settings = crate::config::Settings::load(
            Some(&config),
            &crate::config::Overrides {
                data_dir: Some(dir.path().join("data")),
                ..Default::default()
            },
        )
        .unwrap();
        let discord = settings.discord.clone().unwrap();
        let source = Arc::new(SharedOnCall::new(settings.policy.oncall.clone()));
        let clock = Arc::new(ManualClock::new("2026-11-21T10:00:00Z".parse().unwrap()));
        let store =
            Arc::new(crate::store::SledStore::open(&dir.path().join("data"), 1 << 20).unwrap());
        let (engine, _task) = crate::engine::spawn(crate::engine::EngineParts {
            store,
            clock: clock.clone(),
            policy: settings.policy.clone(),
            oncall: source.clone(),
            people: Vec::new(),
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            live: Default::default(),
        })
        .unwrap();

        // What `DiscordData::person` does for a member holding only the responder role.
        let member = |id: u64| {
            crate::chat::discord::person_of(
                &discord,
                &source.book().roles(None, clock.now()),
                poise::serenity_prelude::UserId::new(id),
                &[poise::serenity_prelude::RoleId::new(333333333333333333)],
                "member".to_owned(),
                "en-US",
            )
        };
        // Third week since start: the first participant holds the rotation.
        assert!(
            member(555555555555555555)
                .roles
                .contains(&PersonRole::Commander)
        );
        assert!(
            !member(777777777777777777)
                .roles
                .contains(&PersonRole::Commander)
        );

        let duty_manager = Person {
            id: UserId("888888888888888888".to_owned()),
            display_name: "dm".to_owned(),
            roles: [PersonRole::DutyManager].into_iter().collect(),
            locale: "en-US".to_owned(),
        };
        let reply = engine
            .command(
                duty_manager.clone(),
                Vec::new(),
                None,
                Command::OnCallOverride {
                    role: OnCallRole::Commander,
                    user: UserId("777777777777777777".to_owned()),
                    until: "2h".to_owned(),
                },
            )
            .await
            .unwrap();
        assert!(reply.ok, "{reply:?}");
        // The source hears of the override once the group is published, just after the
        // reply: bounded polling.
        for _ in 0..400 {
            if member(777777777777777777)
                .roles
                .contains(&PersonRole::Commander)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(
            member(777777777777777777)
                .roles
                .contains(&PersonRole::Commander)
        );
        assert!(
            !member(555555555555555555)
                .roles
                .contains(&PersonRole::Commander)
        );
        let shown = engine
            .command(duty_manager, Vec::new(), None, Command::OnCall)
            .await
            .unwrap();
        let holder = shown.lines.iter().find_map(|line| {
            line.args.iter().find_map(|(name, value)| match value {
                crate::domain::message::Arg::Person { id, .. } if name == "holder" => {
                    Some(id.0.clone())
                }
                _ => None,
            })
        });
        assert_eq!(holder.as_deref(), Some("777777777777777777"));
    }
}
