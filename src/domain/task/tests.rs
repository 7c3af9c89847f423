use super::*;
use crate::domain::decide::tests::at;

fn incident() -> IncidentId {
    IncidentId::parse("INC-20261121-001").unwrap()
}

fn user(name: &str) -> UserId {
    UserId(name.to_owned())
}

fn settings(max_reminders: u32) -> TaskSettings {
    TaskSettings {
        reminder_interval: Duration::minutes(30),
        max_reminders,
        followup: Duration::hours(48),
    }
}

/// An open task `number` of INC-20261121-001, assigned to `assignee`, due at `due`.
fn task(number: u32, assignee: Option<&str>, due: Option<&str>) -> Task {
    Task {
        id: TaskId(number),
        incident: incident(),
        title: format!("task {number}"),
        assignee: assignee.map(user),
        due: due.map(at),
        state: TaskState::Open,
        reminders_sent: 0,
        escalated_to: None,
        last_step_at: None,
        created_by: user("alice"),
        created_at: at("2026-11-21T09:00:00Z"),
        done_at: None,
        done_by: None,
    }
}

fn add(
    existing: &[Task],
    state: IncidentState,
    title: &str,
    due: Option<&str>,
) -> Result<Task, TaskError> {
    let alice = user("alice");
    let new = NewTask {
        title,
        assignee: Some(user("ops")),
        due,
        by: &alice,
    };
    add_task(
        existing,
        incident(),
        state,
        new,
        &settings(3),
        chrono_tz::Tz::Asia__Shanghai,
        at("2026-11-21T10:00:00Z"),
    )
}

#[test]
fn task_ids_parse_display_and_serialise_as_text() {
    for (text, id) in [("T1", Some(1)), ("t12", Some(12)), (" T3 ", Some(3))] {
        assert_eq!(TaskId::parse(text).map(|id| id.0), id, "{text:?}");
    }
    for text in ["", "T", "T0", "A1", "T-1", "T1x", "T1234567890", "1"] {
        assert_eq!(TaskId::parse(text), None, "accepted {text:?}");
    }
    assert_eq!(TaskId(40).to_string(), "T40");
    assert_eq!(serde_json::to_string(&TaskId(7)).unwrap(), "\"T7\"");
    assert_eq!(serde_json::from_str::<TaskId>("\"T7\"").unwrap(), TaskId(7));
    assert!(serde_json::from_str::<TaskId>("\"A7\"").is_err());
}

#[test]
fn adding_numbers_tasks_and_checks_the_title() {
    let first = add(&[], IncidentState::Acknowledged, "  roll back  ", None).unwrap();
    assert_eq!(first.id, TaskId(1));
    assert_eq!(first.title, "roll back");
    assert_eq!(first.due, None, "no due time while the incident is open");
    let mut done = task(7, None, None);
    done.state = TaskState::Done;
    let next = add(
        &[task(2, None, None), done],
        IncidentState::Triggered,
        "x",
        None,
    )
    .unwrap();
    assert_eq!(next.id, TaskId(8), "ids are never reused, done tasks count");

    let long = "x".repeat(MAX_TASK_TITLE_CHARS + 1);
    let exact = "é".repeat(MAX_TASK_TITLE_CHARS);
    // (title, outcome)
    let cases: [(&str, Result<(), TaskError>); 4] = [
        ("", Err(TaskError::EmptyTitle)),
        ("   ", Err(TaskError::EmptyTitle)),
        (&long, Err(TaskError::TitleTooLong { chars: 201 })),
        (&exact, Ok(())),
    ];
    for (title, outcome) in cases {
        let result = add(&[], IncidentState::Triggered, title, None).map(|_| ());
        assert_eq!(result, outcome, "{title:?}");
    }
    let full: Vec<Task> = (1..=MAX_TASKS_PER_INCIDENT as u32)
        .map(|n| task(n, None, None))
        .collect();
    assert_eq!(
        add(&full, IncidentState::Triggered, "one more", None),
        Err(TaskError::TooManyTasks)
    );
}

#[test]
fn due_times_parse_as_durations_local_times_or_rfc_3339() {
    let now = at("2026-11-21T10:00:00Z");
    let shanghai = chrono_tz::Tz::Asia__Shanghai;
    let berlin = chrono_tz::Tz::Europe__Berlin;
    // (text, zone, outcome)
    let cases = [
        ("30m", shanghai, Ok(at("2026-11-21T10:30:00Z"))),
        ("2h", shanghai, Ok(at("2026-11-21T12:00:00Z"))),
        ("1d", shanghai, Ok(at("2026-11-22T10:00:00Z"))),
        // 18:00 in Shanghai (UTC+8) is 10:00 UTC: one minute later is ahead.
        ("2026-11-21 18:01", shanghai, Ok(at("2026-11-21T10:01:00Z"))),
        (
            "2026-11-21 18:00",
            shanghai,
            Err(TaskError::DueInPast("2026-11-21 18:00".into())),
        ),
        (
            "2026-11-21T12:00:00+01:00",
            shanghai,
            Ok(at("2026-11-21T11:00:00Z")),
        ),
        (
            "2026-11-21T09:00:00Z",
            shanghai,
            Err(TaskError::DueInPast("2026-11-21T09:00:00Z".into())),
        ),
        // Berlin springs forward on 2027-03-28 at 02:00: 02:30 never happens, so the end
        // of the gap (03:00 CEST) is meant, as for on-call overrides and hand-offs.
        ("2027-03-28 02:30", berlin, Ok(at("2027-03-28T01:00:00Z"))),
        // The `T` form overrides take is a due time too.
        ("2026-11-21T18:01", shanghai, Ok(at("2026-11-21T10:01:00Z"))),
        // Berlin falls back on 2027-10-31: 02:30 happens twice; the first is meant (UTC+2).
        ("2027-10-31 02:30", berlin, Ok(at("2027-10-31T00:30:00Z"))),
        (
            "tomorrow",
            shanghai,
            Err(TaskError::BadDue("tomorrow".into())),
        ),
        (
            "2026-11-31 10:00",
            shanghai,
            Err(TaskError::BadDue("2026-11-31 10:00".into())),
        ),
        ("0s", shanghai, Err(TaskError::DueInPast("0s".into()))),
        ("400d", shanghai, Err(TaskError::DueTooFar("400d".into()))),
    ];
    for (text, zone, outcome) in cases {
        assert_eq!(parse_due(text, zone, now), outcome, "{text:?} in {zone}");
    }
}

#[test]
fn a_task_added_after_resolve_is_a_follow_up_due_later() {
    let now = at("2026-11-21T10:00:00Z");
    // (incident state, due text, due)
    let cases = [
        (IncidentState::Triggered, None, None),
        (IncidentState::Mitigated, None, None),
        (
            IncidentState::Resolved,
            None,
            Some(now + Duration::hours(48)),
        ),
        (IncidentState::Closed, None, Some(now + Duration::hours(48))),
        (
            IncidentState::Resolved,
            Some("2h"),
            Some(now + Duration::hours(2)),
        ),
        (
            IncidentState::Triggered,
            Some("2h"),
            Some(now + Duration::hours(2)),
        ),
    ];
    for (state, text, due) in cases {
        let added = add(&[], state, "write the postmortem", text).unwrap();
        assert_eq!(added.due, due, "{state:?} {text:?}");
    }
}

/// Fires the incident's deadline at each of `times` in turn, as the wiring would, and
/// returns each firing's reminders as (recipient, task numbers).
fn run(
    tasks: &mut [Task],
    settings: &TaskSettings,
    times: &[&str],
) -> Vec<Vec<(Recipient, Vec<u32>)>> {
    times
        .iter()
        .map(|time| {
            due_actions(tasks, settings, at(time))
                .into_iter()
                .map(|reminder| (reminder.to, reminder.tasks.iter().map(|id| id.0).collect()))
                .collect()
        })
        .collect()
}

#[test]
fn the_ladder_reminds_the_assignee_then_the_commander_then_the_duty_manager() {
    let ops = || Recipient::User(user("ops"));
    let mut tasks = vec![task(3, Some("ops"), Some("2026-11-21T10:00:00Z"))];
    let settings = settings(2);
    // (firing time, reminders, next due after it)
    let cases = [
        ("2026-11-21T09:59:00Z", vec![], Some("2026-11-21T10:00:00Z")),
        (
            "2026-11-21T10:00:00Z",
            vec![(ops(), vec![3])],
            Some("2026-11-21T10:30:00Z"),
        ),
        ("2026-11-21T10:29:00Z", vec![], Some("2026-11-21T10:30:00Z")),
        (
            "2026-11-21T10:30:00Z",
            vec![(ops(), vec![3])],
            Some("2026-11-21T11:00:00Z"),
        ),
        (
            "2026-11-21T11:00:00Z",
            vec![(Recipient::Commander, vec![3])],
            Some("2026-11-21T11:30:00Z"),
        ),
        (
            "2026-11-21T11:30:00Z",
            vec![(Recipient::DutyManager, vec![3])],
            None,
        ),
        ("2026-11-21T15:00:00Z", vec![], None),
    ];
    for (time, reminders, next) in cases {
        let fired = run(&mut tasks, &settings, &[time]);
        assert_eq!(fired, vec![reminders], "at {time}");
        assert_eq!(next_due(&tasks, &settings), next.map(at), "after {time}");
    }
    assert_eq!(tasks[0].reminders_sent, 2);
    assert_eq!(tasks[0].escalated_to, Some(EscalatedTo::DutyManager));
}

#[test]
fn without_reminders_or_an_assignee_the_ladder_starts_at_the_commander() {
    let times = [
        "2026-11-21T10:00:00Z",
        "2026-11-21T10:30:00Z",
        "2026-11-21T11:00:00Z",
    ];
    let expected = vec![
        vec![(Recipient::Commander, vec![1])],
        vec![(Recipient::DutyManager, vec![1])],
        vec![],
    ];
    let mut assigned = vec![task(1, Some("ops"), Some("2026-11-21T10:00:00Z"))];
    assert_eq!(
        run(&mut assigned, &settings(0), &times),
        expected,
        "max_reminders 0"
    );
    let mut unassigned = vec![task(1, None, Some("2026-11-21T10:00:00Z"))];
    assert_eq!(
        run(&mut unassigned, &settings(3), &times),
        expected,
        "unassigned"
    );
    let mut undated = vec![task(1, Some("ops"), None)];
    assert_eq!(
        run(&mut undated, &settings(3), &times),
        vec![vec![], vec![], vec![]]
    );
    assert_eq!(
        next_due(&undated, &settings(3)),
        None,
        "no due time: never chased"
    );
}

#[test]
fn after_downtime_each_overdue_step_fires_once_and_the_next_counts_from_now() {
    let mut tasks = vec![task(3, Some("ops"), Some("2026-11-21T10:00:00Z"))];
    let settings = settings(3);
    // Down from 09:00 to 14:00: nine rungs' worth of intervals passed, one fires.
    let fired = run(&mut tasks, &settings, &["2026-11-21T14:00:00Z"]);
    assert_eq!(fired, vec![vec![(Recipient::User(user("ops")), vec![3])]]);
    assert_eq!(tasks[0].reminders_sent, 1);
    assert_eq!(
        next_due(&tasks, &settings),
        Some(at("2026-11-21T14:30:00Z"))
    );
    let again = run(&mut tasks, &settings, &["2026-11-21T14:00:00Z"]);
    assert_eq!(
        again,
        vec![vec![]],
        "a second firing at the same moment sends nothing"
    );
}

#[test]
fn reminders_due_together_form_one_entry_per_recipient_and_assignee() {
    let other = IncidentId::parse("INC-20261121-002").unwrap();
    let mut tasks = vec![
        task(58, Some("ops"), Some("2026-11-21T09:00:00Z")),
        task(3, Some("ops"), Some("2026-11-21T08:00:00Z")),
        task(21, Some("ops"), Some("2026-11-21T09:59:00Z")),
        task(40, Some("ops"), Some("2026-11-21T10:00:00Z")),
        task(41, Some("ops"), Some("2026-11-21T10:01:00Z")),
        task(5, Some("dba"), Some("2026-11-21T09:00:00Z")),
        task(6, None, Some("2026-11-21T09:00:00Z")),
        task(7, None, Some("2026-11-21T09:00:00Z")),
    ];
    // The commander is already chasing ops about T9, and T10 is done.
    let mut chased = task(9, Some("ops"), Some("2026-11-21T08:00:00Z"));
    chased.reminders_sent = 3;
    chased.last_step_at = Some(at("2026-11-21T09:30:00Z"));
    tasks.push(chased);
    let mut done = task(10, Some("ops"), Some("2026-11-21T08:00:00Z"));
    done.state = TaskState::Done;
    tasks.push(done);
    let mut elsewhere = task(3, Some("ops"), Some("2026-11-21T09:00:00Z"));
    elsewhere.incident = other;
    tasks.push(elsewhere);

    let reminders = due_actions(&mut tasks, &settings(3), at("2026-11-21T10:00:00Z"));
    let ids = |numbers: &[u32]| numbers.iter().map(|n| TaskId(*n)).collect::<Vec<_>>();
    let reminder = |incident, to, about: Option<&str>, numbers: &[u32]| Reminder {
        incident,
        to,
        about: about.map(user),
        tasks: ids(numbers),
    };
    assert_eq!(
        reminders,
        vec![
            reminder(incident(), Recipient::User(user("dba")), Some("dba"), &[5]),
            reminder(
                incident(),
                Recipient::User(user("ops")),
                Some("ops"),
                &[3, 21, 40, 58]
            ),
            reminder(incident(), Recipient::Commander, None, &[6, 7]),
            reminder(incident(), Recipient::Commander, Some("ops"), &[9]),
            reminder(other, Recipient::User(user("ops")), Some("ops"), &[3]),
        ]
    );
    assert_eq!(
        next_due(&tasks, &settings(3)),
        Some(at("2026-11-21T10:01:00Z"))
    );
}

#[test]
fn snoozing_pushes_the_due_time_and_restarts_the_ladder() {
    let now = at("2026-11-21T12:00:00Z");
    // (due before, snooze text, due after)
    let cases = [
        (
            Some("2026-11-21T10:00:00Z"),
            "1h",
            Ok(Some(at("2026-11-21T13:00:00Z"))),
        ),
        (
            Some("2026-11-21T18:00:00Z"),
            "1h",
            Ok(Some(at("2026-11-21T19:00:00Z"))),
        ),
        (None, "30m", Ok(Some(at("2026-11-21T12:30:00Z")))),
        (
            Some("2026-11-21T10:00:00Z"),
            "soon",
            Err(TaskError::BadSnooze("soon".into())),
        ),
        (
            Some("2026-11-21T10:00:00Z"),
            "0s",
            Err(TaskError::BadSnooze("0s".into())),
        ),
        (
            Some("2026-11-21T10:00:00Z"),
            "400d",
            Err(TaskError::DueTooFar("400d".into())),
        ),
    ];
    for (due, text, outcome) in cases {
        let mut snoozed = task(3, Some("ops"), due);
        snoozed.reminders_sent = 3;
        snoozed.escalated_to = Some(EscalatedTo::Commander);
        snoozed.last_step_at = Some(at("2026-11-21T11:30:00Z"));
        let before = snoozed.clone();
        let result = snoozed.snooze(text, now).map(|()| snoozed.due);
        assert_eq!(result, outcome, "{due:?} {text}");
        if result.is_ok() {
            assert_eq!(
                (
                    snoozed.reminders_sent,
                    snoozed.escalated_to,
                    snoozed.last_step_at
                ),
                (0, None, None)
            );
            let (step, at) = snoozed.next_step(&settings(3)).unwrap();
            assert_eq!(step, LadderStep::RemindAssignee { number: 1 });
            assert_eq!(
                Some(at),
                snoozed.due,
                "the assignee is reminded first again"
            );
        } else {
            assert_eq!(snoozed, before, "a refused snooze changes nothing");
        }
    }
}

#[test]
fn done_stops_everything_and_reassigning_restarts_the_ladder() {
    let mut tasks = vec![task(3, Some("ops"), Some("2026-11-21T10:00:00Z"))];
    let settings = settings(1);
    run(
        &mut tasks,
        &settings,
        &["2026-11-21T10:00:00Z", "2026-11-21T10:30:00Z"],
    );
    assert_eq!(tasks[0].escalated_to, Some(EscalatedTo::Commander));

    find_task_mut(&mut tasks, "t3")
        .unwrap()
        .assign(user("dba"))
        .unwrap();
    assert_eq!(
        run(&mut tasks, &settings, &["2026-11-21T10:31:00Z"]),
        vec![vec![(Recipient::User(user("dba")), vec![3])]],
        "the new assignee is told first"
    );

    let done_at = at("2026-11-21T10:40:00Z");
    find_task_mut(&mut tasks, "T3")
        .unwrap()
        .mark_done(&user("dba"), done_at)
        .unwrap();
    assert_eq!(
        next_due(&tasks, &settings),
        None,
        "done: the deadline is cancelled"
    );
    assert_eq!(
        run(
            &mut tasks,
            &settings,
            &["2026-11-21T11:30:00Z", "2026-11-22T11:30:00Z"]
        ),
        vec![vec![], vec![]]
    );
    let task = find_task(&tasks, "T3").unwrap();
    assert_eq!(
        (task.done_at, task.done_by.clone()),
        (Some(done_at), Some(user("dba")))
    );

    // Done tasks refuse every change; unknown and malformed ids are named.
    let done = find_task_mut(&mut tasks, "T3").unwrap();
    assert_eq!(
        done.mark_done(&user("ops"), done_at),
        Err(TaskError::AlreadyDone(TaskId(3)))
    );
    assert_eq!(
        done.assign(user("ops")),
        Err(TaskError::AlreadyDone(TaskId(3)))
    );
    assert_eq!(
        done.snooze("1h", done_at),
        Err(TaskError::AlreadyDone(TaskId(3)))
    );
    assert_eq!(
        find_task(&tasks, "T4").err(),
        Some(TaskError::UnknownTask(TaskId(4)))
    );
    assert_eq!(
        find_task(&tasks, "X4").err(),
        Some(TaskError::NotATaskId("X4".into()))
    );
}

#[test]
fn settings_parse_with_defaults_and_name_each_bad_key() {
    assert_eq!(
        TaskSettings::parse(None, None, None),
        Ok(TaskSettings::default())
    );
    assert_eq!(
        TaskSettings::parse(Some("15m"), Some(0), Some("72h")),
        Ok(TaskSettings {
            reminder_interval: Duration::minutes(15),
            max_reminders: 0,
            followup: Duration::hours(72),
        })
    );
    // (interval, max, followup, the keys named)
    type Case<'a> = (Option<&'a str>, Option<i64>, Option<&'a str>, Vec<&'a str>);
    let cases: [Case; 5] = [
        (Some("soon"), None, None, vec!["tasks.reminder_interval"]),
        (Some("30s"), None, None, vec!["tasks.reminder_interval"]),
        (None, Some(11), None, vec!["tasks.max_reminders"]),
        (
            None,
            Some(-1),
            Some("31d"),
            vec!["tasks.followup", "tasks.max_reminders"],
        ),
        (
            Some("8d"),
            Some(3),
            Some("10m"),
            vec!["tasks.reminder_interval", "tasks.followup"],
        ),
    ];
    for (interval, max, followup, fields) in cases {
        let problems = TaskSettings::parse(interval, max, followup).unwrap_err();
        let named: Vec<&str> = problems.iter().map(|problem| problem.field).collect();
        assert_eq!(named, fields, "{interval:?} {max:?} {followup:?}");
    }
}

#[test]
fn listing_puts_open_tasks_first_in_id_order() {
    let mut done = task(1, None, None);
    done.state = TaskState::Done;
    let mut tasks = vec![task(12, None, None), done, task(2, None, None)];
    listing_order(&mut tasks);
    let order: Vec<u32> = tasks.iter().map(|task| task.id.0).collect();
    assert_eq!(order, vec![2, 12, 1]);
    assert_eq!(task_deadline_key(incident()), "tasks:INC-20261121-001");
}

#[test]
fn a_clock_time_alone_means_its_next_occurrence_in_the_zone() {
    // 10:00 UTC is 18:00 in Shanghai.
    let now = at("2026-11-21T10:00:00Z");
    let shanghai = chrono_tz::Tz::Asia__Shanghai;
    let berlin = chrono_tz::Tz::Europe__Berlin;
    let cases = [
        ("18:30", shanghai, now, Ok(at("2026-11-21T10:30:00Z"))),
        // 18:00 is now, not ahead: tomorrow's.
        ("18:00", shanghai, now, Ok(at("2026-11-22T10:00:00Z"))),
        ("09:00", shanghai, now, Ok(at("2026-11-22T01:00:00Z"))),
        // The evening before Berlin springs forward, 02:30 of the next day never happens:
        // the end of the gap (03:00 CEST) is meant.
        (
            "02:30",
            berlin,
            at("2027-03-27T22:00:00Z"),
            Ok(at("2027-03-28T01:00:00Z")),
        ),
        // The night Berlin falls back, 02:30 comes twice; the first is meant.
        (
            "02:30",
            berlin,
            at("2027-10-30T22:00:00Z"),
            Ok(at("2027-10-31T00:30:00Z")),
        ),
        (
            "25:00",
            shanghai,
            now,
            Err(TaskError::BadDue("25:00".into())),
        ),
    ];
    for (text, zone, now, outcome) in cases {
        assert_eq!(
            parse_due(text, zone, now),
            outcome,
            "{text:?} in {zone} at {now}"
        );
    }
}

#[test]
fn every_task_error_has_its_own_message_naming_what_was_wrong() {
    let errors = [
        (TaskError::EmptyTitle, "task-error-empty-title", None),
        (
            TaskError::TitleTooLong { chars: 201 },
            "task-error-title-too-long",
            None,
        ),
        (
            TaskError::NotATaskId("X9".into()),
            "task-error-not-a-task-id",
            Some("X9"),
        ),
        (
            TaskError::UnknownTask(TaskId(7)),
            "task-error-unknown-task",
            Some("T7"),
        ),
        (
            TaskError::AlreadyDone(TaskId(2)),
            "task-error-already-done",
            Some("T2"),
        ),
        (TaskError::TooManyTasks, "task-error-too-many", None),
        (
            TaskError::BadDue("soon".into()),
            "task-error-bad-due",
            Some("soon"),
        ),
        (
            TaskError::DueInPast("0s".into()),
            "task-error-due-in-past",
            Some("0s"),
        ),
        (
            TaskError::DueTooFar("400d".into()),
            "task-error-due-too-far",
            Some("400d"),
        ),
        (
            TaskError::BadSnooze("later".into()),
            "task-error-bad-snooze",
            Some("later"),
        ),
    ];
    for (error, id, named) in errors {
        let msg = error.message();
        assert_eq!(msg.id, id, "{error:?}");
        if let Some(named) = named {
            assert!(
                msg.args.iter().any(|(_, arg)| matches!(arg,
                    crate::domain::message::Arg::Text(text) | crate::domain::message::Arg::Word(text)
                        if text == named)),
                "{error:?} names {named}: {msg:?}"
            );
        }
    }
}

/// One firing of the task deadline: when, and the reminders as (recipient, task numbers).
type Firing = (String, Vec<(Recipient, Vec<u32>)>);

#[test]
fn rungs_due_within_a_minute_fire_together_and_stay_aligned() {
    let ops = || Recipient::User(user("ops"));
    // Added 20 s apart with the same `due:30m`; a third a full two minutes later.
    let mut tasks = vec![
        task(1, Some("ops"), Some("2026-11-21T10:00:00Z")),
        task(2, Some("ops"), Some("2026-11-21T10:00:20Z")),
        task(3, Some("ops"), Some("2026-11-21T10:01:00Z")),
        task(4, Some("ops"), Some("2026-11-21T10:03:00Z")),
    ];
    let settings = settings(2);
    // Fire as the wiring does: at whatever `next_due` armed, until nothing is left.
    let mut firings: Vec<Firing> = Vec::new();
    while let Some(due) = next_due(&tasks, &settings) {
        let reminders = due_actions(&mut tasks, &settings, due);
        let grouped: Vec<(Recipient, Vec<u32>)> = reminders
            .into_iter()
            .map(|reminder| (reminder.to, reminder.tasks.iter().map(|id| id.0).collect()))
            .collect();
        firings.push((due.to_rfc3339(), grouped));
        assert!(firings.len() < 20, "the ladder ends");
    }
    let expected = [
        ("2026-11-21T10:01:00+00:00", vec![(ops(), vec![1, 2, 3])]),
        ("2026-11-21T10:03:00+00:00", vec![(ops(), vec![4])]),
        ("2026-11-21T10:31:00+00:00", vec![(ops(), vec![1, 2, 3])]),
        ("2026-11-21T10:33:00+00:00", vec![(ops(), vec![4])]),
        (
            "2026-11-21T11:01:00+00:00",
            vec![(Recipient::Commander, vec![1, 2, 3])],
        ),
        (
            "2026-11-21T11:03:00+00:00",
            vec![(Recipient::Commander, vec![4])],
        ),
        (
            "2026-11-21T11:31:00+00:00",
            vec![(Recipient::DutyManager, vec![1, 2, 3])],
        ),
        (
            "2026-11-21T11:33:00+00:00",
            vec![(Recipient::DutyManager, vec![4])],
        ),
    ];
    let expected: Vec<Firing> = expected
        .into_iter()
        .map(|(time, reminders)| (time.to_owned(), reminders))
        .collect();
    assert_eq!(firings, expected);
}
