use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::domain::access::PersonRole;
use crate::domain::action::{ActionPolicy, ExecutorKind, ParamDef, Risk};
use crate::domain::alert::AlertStatus;
use crate::domain::decide::tests::{alert, at, id};
use crate::domain::decide::{Policy, open_incident_from_alert};
use crate::engine::views::{OpenIncidents, Views};
use crate::i18n::I18n;
use crate::test_reads::{FakeStore, request};

fn incident() -> Incident {
    open_incident_from_alert(
        &Policy::standard(),
        id(1),
        &alert("fp", "checkout", "critical", AlertStatus::Firing),
        "service=checkout".to_owned(),
        at("2026-11-21T10:00:00Z"),
    )
    .0
}

fn command(name: &str, approvals: u32, params: Vec<ParamDef>) -> CommandDef {
    CommandDef {
        name: name.into(),
        description: "cmd-scale-description".into(),
        executor: ExecutorKind::Kubernetes,
        action: name.into(),
        approvals,
        approver_role: PersonRole::DutyManager,
        risk: Risk::High,
        timeout: Duration::from_secs(30),
        cooldown: None,
        idempotent: true,
        params,
        argv: Vec::new(),
        env: Vec::new(),
    }
}

fn param(name: &str, kind: ParamKind, required: bool) -> ParamDef {
    ParamDef {
        name: name.into(),
        kind,
        required,
    }
}

fn views(store: FakeStore, catalog: Catalog) -> Views {
    let incident = incident();
    let mut store = store;
    store.incidents.push(incident);
    Views {
        store: Arc::new(store),
        open: OpenIncidents::default(),
        people: crate::engine::people::SharedPeople::new(Vec::new(), 1),
        time_zone: chrono_tz::UTC,
        actions: Arc::new(ActionPolicy {
            catalog,
            ..ActionPolicy::default()
        }),
    }
}

fn reply(views: &Views, locale: &str) -> String {
    let i18n = I18n::builtin().unwrap();
    let person = crate::domain::access::Person {
        id: crate::domain::ids::UserId("alice".into()),
        display_name: "Alice".into(),
        roles: Default::default(),
        locale: locale.into(),
    };
    let answer = views
        .query(
            &person,
            Some(id(1)),
            &crate::domain::command::Command::Actions,
        )
        .expect("/actions is a query")
        .unwrap();
    assert!(answer.ok);
    answer
        .lines
        .iter()
        .map(|line| i18n.render(locale, line))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn syntax_shows_each_parameter_with_its_rule() {
    let scale = command(
        "scale",
        2,
        vec![
            param("service", ParamKind::Service, true),
            param(
                "replicas",
                ParamKind::Integer {
                    min: Some(0),
                    max: Some(50),
                },
                true,
            ),
            param("range", ParamKind::Duration, false),
            param(
                "level",
                ParamKind::Enum {
                    values: vec!["info".into(), "error".into()],
                },
                false,
            ),
            param("query", ParamKind::String { pattern: None }, false),
            param(
                "n",
                ParamKind::Integer {
                    min: Some(1),
                    max: None,
                },
                false,
            ),
        ],
    );
    assert_eq!(
        command_syntax(&scale),
        "/run scale service:<service> replicas:<0-50> [range:<duration>] [level:<info|error>] [query:<text>] [n:<≥1>]"
    );
}

#[test]
fn actions_lists_the_catalog_and_the_newest_requests_within_one_message() {
    let catalog = Catalog::new((0..14).map(|n| {
        command(
            &format!("cmd{n:02}"),
            if n == 0 { 0 } else { 2 },
            Vec::new(),
        )
    }));
    let store = FakeStore {
        requests: (1..=450).map(|n| request(id(1), n)).collect(),
        ..FakeStore::default()
    };
    let views = views(store, catalog);
    let text = reply(&views, "en-US");
    assert!(text.contains("Commands (14):"), "{text}");
    assert!(
        text.contains("• /run cmd00 — Scale a service's deployment (needs approvals) · read-only"),
        "{text}"
    );
    assert!(
        text.contains("· needs 2 approvals from duty managers"),
        "{text}"
    );
    assert!(text.contains("… and 4 more"), "{text}");
    assert!(!text.contains("cmd10"), "only the first ten: {text}");
    assert!(
        text.contains("Requests in INC-20261121-001 (450):"),
        "{text}"
    );
    assert!(
        text.contains("… 442 earlier; GET /v1/incidents/INC-20261121-001/actions"),
        "{text}"
    );
    assert!(text.contains("• A450 · awaiting approval · scale replicas:3 service:checkout-api · by Carol · approvals 1/2"), "{text}");
    assert!(text.contains("• A443 ·"), "{text}");
    assert!(!text.contains("• A442 ·"), "{text}");
    // Fits one Discord message.
    assert!(
        text.chars().count() <= 2000,
        "{} characters",
        text.chars().count()
    );
    let zh = reply(&views, "zh-CN");
    assert!(zh.contains("可用命令（14 个）"), "{zh}");
    assert!(zh.contains("待审批"), "{zh}");
    assert!(zh.contains("需要 2 名值班经理批准"), "{zh}");
}

#[test]
fn actions_reads_only_the_requests_it_shows() {
    for (case, count, keep, shown, page) in [
        ("many", 450_u32, 3, vec![448, 449, 450], (Some(447), 3)),
        ("exactly as many", 3, 3, vec![1, 2, 3], (None, 3)),
        ("fewer", 2, 8, vec![1, 2], (None, 8)),
    ] {
        let store = Arc::new(FakeStore {
            requests: (1..=count).map(|n| request(id(1), n)).collect(),
            ..FakeStore::default()
        });
        let views = Views {
            store: store.clone(),
            ..views(FakeStore::default(), Catalog::default())
        };
        let (newest, total) = views.newest_requests(id(1), keep).unwrap();
        assert_eq!(total, count as usize, "{case}");
        let ids: Vec<u32> = newest.iter().map(|r| r.id.0).collect();
        assert_eq!(ids, shown, "{case}");
        // One page of what is shown, never a scan of every request with its output.
        let pages = store.pages.lock().unwrap().clone();
        assert_eq!(
            pages,
            [(page.0.map(crate::domain::action::RequestId), page.1)],
            "{case}"
        );
    }
}

#[test]
fn an_empty_catalog_and_no_requests_say_so() {
    let views = views(FakeStore::default(), Catalog::default());
    let text = reply(&views, "en-US");
    assert!(text.contains("No command is catalogued"), "{text}");
    assert!(
        text.contains("No request in INC-20261121-001 yet."),
        "{text}"
    );
}

#[test]
fn outside_an_incident_room_actions_shows_the_catalog() {
    let catalog = Catalog::new([command("diag", 0, Vec::new())]);
    let views = views(FakeStore::default(), catalog);
    let person = crate::domain::access::Person {
        id: crate::domain::ids::UserId("alice".into()),
        display_name: "Alice".into(),
        roles: Default::default(),
        locale: "en-US".into(),
    };
    let answer = views
        .query(&person, None, &crate::domain::command::Command::Actions)
        .unwrap()
        .unwrap();
    assert!(answer.ok);
    let i18n = I18n::builtin().unwrap();
    let text: Vec<String> = answer
        .lines
        .iter()
        .map(|line| i18n.render("en-US", line))
        .collect();
    assert_eq!(text[0], "Commands (1):");
    assert!(text[1].starts_with("• /run diag — "), "{text:?}");
    assert_eq!(text.len(), 2, "no requests without an incident: {text:?}");
}
