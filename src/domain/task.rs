//! Tasks in an incident (`/task add|done|list|assign|snooze`) and the overdue ladder: at its
//! due time a task's assignee is reminded, then again every `reminder_interval` up to
//! `max_reminders` reminders; then the incident's commander is asked to follow up, then the
//! duty manager. Tasks added after the incident resolved are action items: they fall due
//! `followup` later unless given a due time.
//!
//! Pure: `now` is an argument, and the decisions only change the [`Task`]s they are given.
//! The wiring keeps one deadline per incident ([`task_deadline_key`]) at [`next_due`]; when it
//! fires, [`due_actions`] says who to remind and advances each task's ladder, so after
//! downtime each overdue step fires once and the next one is counted from `now` (no burst).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::ids::{IncidentId, UserId};
use crate::domain::incident::IncidentState;
use crate::domain::message::Msg;
use crate::domain::when;

/// The longest task title, in characters: a title is one line in a list, not a document.
pub const MAX_TASK_TITLE_CHARS: usize = 200;
/// The most tasks one incident may hold, so the per-incident task list stays bounded.
pub const MAX_TASKS_PER_INCIDENT: usize = 500;
/// The most tasks `/task list` shows on one page: a chat message holds about 2,000
/// characters.
pub const TASKS_PER_PAGE: usize = 15;
/// The furthest ahead a due time or a snooze may reach; further is surely a typo.
pub const MAX_DUE_AHEAD_DAYS: i64 = 365;

/// Rungs of one incident's ladders due within this of the earliest fire together, so
/// reminders for tasks added moments apart group into one message.
pub const REMINDER_ALIGNMENT: Duration = Duration::minutes(1);

/// A task's number within its incident, shown as `T1`, `T2`, …
/// Serialised as its text (`"T1"`), as people name it in commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TaskId(pub u32);

impl TaskId {
    /// `T12` (any case) → 12; anything else is `None`.
    pub fn parse(text: &str) -> Option<TaskId> {
        let digits = text.trim().strip_prefix(['T', 't'])?;
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u32 = digits.parse().ok()?;
        (number > 0).then_some(TaskId(number))
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{}", self.0)
    }
}

impl From<TaskId> for String {
    fn from(id: TaskId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for TaskId {
    type Error = String;

    fn try_from(text: String) -> Result<TaskId, String> {
        TaskId::parse(&text).ok_or_else(|| format!("{text:?} is not a task id like T1"))
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Open,
    Done,
}

/// How far up the ladder an overdue task has been escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalatedTo {
    Commander,
    DutyManager,
}

/// One task of one incident, as stored (tree `tasks`, keyed by incident and id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub incident: IncidentId,
    pub title: String,
    pub assignee: Option<UserId>,
    /// When it falls due; `None` for a task nobody is chased about. A snooze moves it.
    pub due: Option<DateTime<Utc>>,
    pub state: TaskState,
    /// Reminders sent to the assignee since it last fell due (a snooze or a new assignee
    /// starts the ladder again).
    pub reminders_sent: u32,
    /// The highest rung reached after the reminders ran out.
    pub escalated_to: Option<EscalatedTo>,
    /// When the last rung fired: the next one is counted from here, not from `due`, so a
    /// step fired late after downtime does not pull the next one into the same minute.
    pub last_step_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<UserId>,
}

/// The `[tasks]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSettings {
    /// Between one rung of the ladder and the next.
    pub reminder_interval: Duration,
    /// Reminders to the assignee before the commander is asked (0: straight to the commander).
    pub max_reminders: u32,
    /// The due time of a task added after its incident resolved and given none.
    pub followup: Duration,
}

impl Default for TaskSettings {
    fn default() -> TaskSettings {
        TaskSettings {
            reminder_interval: Duration::minutes(30),
            max_reminders: 3,
            followup: Duration::hours(48),
        }
    }
}

/// One thing wrong with `[tasks]`, naming its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSettingsProblem {
    pub field: &'static str,
    pub message: String,
}

impl TaskSettings {
    /// Builds the settings from the raw `[tasks]` values; a missing value takes its default.
    /// Bounds: `reminder_interval` 1m–7d, `max_reminders` 0–10, `followup` 1h–30d.
    pub fn parse(
        reminder_interval: Option<&str>,
        max_reminders: Option<i64>,
        followup: Option<&str>,
    ) -> Result<TaskSettings, Vec<TaskSettingsProblem>> {
        let mut settings = TaskSettings::default();
        let mut problems = Vec::new();
        let mut duration = |field, text: Option<&str>, least, most, into: &mut Duration| {
            let Some(text) = text else { return };
            match when::parse_duration_within(text, least, most) {
                Ok(value) => *into = value,
                Err(error) => problems.push(TaskSettingsProblem {
                    field,
                    message: error.to_string(),
                }),
            }
        };
        duration(
            "tasks.reminder_interval",
            reminder_interval,
            Duration::minutes(1),
            Duration::days(7),
            &mut settings.reminder_interval,
        );
        duration(
            "tasks.followup",
            followup,
            Duration::hours(1),
            Duration::days(30),
            &mut settings.followup,
        );
        if let Some(max) = max_reminders {
            match u32::try_from(max) {
                Ok(max) if max <= 10 => settings.max_reminders = max,
                _ => problems.push(TaskSettingsProblem {
                    field: "tasks.max_reminders",
                    message: format!("{max} is outside 0 to 10"),
                }),
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

/// Why a task command was refused; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("a task needs a title")]
    EmptyTitle,
    #[error("a task title holds at most {MAX_TASK_TITLE_CHARS} characters; this one has {chars}")]
    TitleTooLong { chars: usize },
    #[error("\"{0}\" is not a task id like T1")]
    NotATaskId(String),
    #[error("this incident has no task {0}; /task list shows its tasks")]
    UnknownTask(TaskId),
    #[error("task {0} is already done")]
    AlreadyDone(TaskId),
    #[error("this incident already holds {MAX_TASKS_PER_INCIDENT} tasks")]
    TooManyTasks,
    #[error(
        "\"{0}\" is not a due time; use a duration like 30m or 4h, a time like 2026-11-21 18:00, or RFC 3339"
    )]
    BadDue(String),
    #[error("\"{0}\" is in the past")]
    DueInPast(String),
    #[error("\"{0}\" is more than {MAX_DUE_AHEAD_DAYS} days ahead")]
    DueTooFar(String),
    #[error("\"{0}\" is not a duration like 30m or 4h")]
    BadSnooze(String),
}

impl TaskError {
    /// The reply that says what went wrong, in the reader's language.
    pub fn message(&self) -> Msg {
        match self {
            TaskError::EmptyTitle => Msg::new("task-error-empty-title"),
            TaskError::TitleTooLong { chars } => Msg::new("task-error-title-too-long")
                .number("max", MAX_TASK_TITLE_CHARS as u64)
                .number("chars", *chars as u64),
            TaskError::NotATaskId(text) => {
                Msg::new("task-error-not-a-task-id").outside("text", text)
            }
            TaskError::UnknownTask(id) => Msg::new("task-error-unknown-task").word("task", id),
            TaskError::AlreadyDone(id) => Msg::new("task-error-already-done").word("task", id),
            TaskError::TooManyTasks => {
                Msg::new("task-error-too-many").number("max", MAX_TASKS_PER_INCIDENT as u64)
            }
            TaskError::BadDue(text) => Msg::new("task-error-bad-due").outside("text", text),
            TaskError::DueInPast(text) => Msg::new("task-error-due-in-past").outside("text", text),
            TaskError::DueTooFar(text) => Msg::new("task-error-due-too-far")
                .outside("text", text)
                .number("days", MAX_DUE_AHEAD_DAYS as u64),
            TaskError::BadSnooze(text) => Msg::new("task-error-bad-snooze").outside("text", text),
        }
    }
}

/// Who a reminder goes to. The commander and duty manager are resolved by the wiring from
/// the incident's roles and who is on call, so a hand-off between firings is respected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "user", rename_all = "snake_case")]
pub enum Recipient {
    User(UserId),
    Commander,
    DutyManager,
}

/// One message to send: `to` is told about `tasks` of `incident`, whose assignee is `about`
/// (`None`: unassigned). Everything due at once for one recipient about one assignee is one
/// reminder: "@ops has 4 overdue tasks (T3 T21 T40 T58) — commander, please follow up".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub incident: IncidentId,
    pub to: Recipient,
    pub about: Option<UserId>,
    /// In id order, never empty.
    pub tasks: Vec<TaskId>,
}

/// A rung of the overdue ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LadderStep {
    /// The assignee's `number`th reminder (from 1).
    RemindAssignee {
        number: u32,
    },
    EscalateToCommander,
    EscalateToDutyManager,
}

/// The logical key of an incident's one task deadline: it is set at [`next_due`] over the
/// incident's tasks, so reminders due together fire together and can be grouped.
pub fn task_deadline_key(incident: IncidentId) -> String {
    format!("tasks:{incident}")
}

/// The task `text` names (`T3`, any case) among `tasks`.
pub fn find_task<'a>(tasks: &'a [Task], text: &str) -> Result<&'a Task, TaskError> {
    let id = TaskId::parse(text).ok_or_else(|| TaskError::NotATaskId(text.trim().to_owned()))?;
    tasks
        .iter()
        .find(|task| task.id == id)
        .ok_or(TaskError::UnknownTask(id))
}

/// The task `text` names, to change it.
pub fn find_task_mut<'a>(tasks: &'a mut [Task], text: &str) -> Result<&'a mut Task, TaskError> {
    let id = TaskId::parse(text).ok_or_else(|| TaskError::NotATaskId(text.trim().to_owned()))?;
    tasks
        .iter_mut()
        .find(|task| task.id == id)
        .ok_or(TaskError::UnknownTask(id))
}

/// What `/task add` asks for, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask<'a> {
    pub title: &'a str,
    pub assignee: Option<UserId>,
    /// A duration (`30m`), a local time (`2026-11-21 18:00` in `zone`) or RFC 3339.
    pub due: Option<&'a str>,
    pub by: &'a UserId,
}

/// Decides `/task add`: a new task with the next id of the incident (`existing` are all its
/// tasks, done ones included, so ids are never reused). Without a due time, a task added once
/// the incident resolved (or closed) is an action item due `followup` from now.
pub fn add_task(
    existing: &[Task],
    incident: IncidentId,
    incident_state: IncidentState,
    new: NewTask<'_>,
    settings: &TaskSettings,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Task, TaskError> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err(TaskError::EmptyTitle);
    }
    let chars = title.chars().count();
    if chars > MAX_TASK_TITLE_CHARS {
        return Err(TaskError::TitleTooLong { chars });
    }
    if existing.len() >= MAX_TASKS_PER_INCIDENT {
        return Err(TaskError::TooManyTasks);
    }
    let due = match new.due {
        Some(text) => Some(parse_due(text, zone, now)?),
        None if matches!(
            incident_state,
            IncidentState::Resolved | IncidentState::Closed
        ) =>
        {
            Some(now + settings.followup)
        }
        None => None,
    };
    let number = existing.iter().map(|task| task.id.0).max().unwrap_or(0);
    Ok(Task {
        id: TaskId(number.saturating_add(1)),
        incident,
        title: title.to_owned(),
        assignee: new.assignee,
        due,
        state: TaskState::Open,
        reminders_sent: 0,
        escalated_to: None,
        last_step_at: None,
        created_by: new.by.clone(),
        created_at: now,
        done_at: None,
        done_by: None,
    })
}

/// Parses a due time with [`when::parse_when`]: a duration from `now` (`30m`, `2h`, `1d`), a
/// local time in `zone` (`18:00` for its next occurrence, `2026-11-21 18:00`; a skipped hour
/// means the end of the gap, a repeated one its first instant) or an RFC 3339 time. It must
/// lie ahead of `now` and within [`MAX_DUE_AHEAD_DAYS`].
pub fn parse_due(text: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, TaskError> {
    let text = text.trim();
    let due = when::parse_when(text, zone, now).map_err(|error| match error {
        when::WhenError::NotATime(_) => TaskError::BadDue(text.to_owned()),
        when::WhenError::TooFar(_) => TaskError::DueTooFar(text.to_owned()),
    })?;
    if due <= now {
        return Err(TaskError::DueInPast(text.to_owned()));
    }
    if due - now > Duration::days(MAX_DUE_AHEAD_DAYS) {
        return Err(TaskError::DueTooFar(text.to_owned()));
    }
    Ok(due)
}

impl Task {
    /// `/task assign`: a new assignee starts the ladder again, so they are reminded
    /// themselves before anyone is asked to chase them.
    pub fn assign(&mut self, user: UserId) -> Result<(), TaskError> {
        self.require_open()?;
        self.assignee = Some(user);
        self.restart_ladder();
        Ok(())
    }

    /// `/task done`: nothing about it fires afterwards.
    pub fn mark_done(&mut self, by: &UserId, now: DateTime<Utc>) -> Result<(), TaskError> {
        self.require_open()?;
        self.state = TaskState::Done;
        self.done_at = Some(now);
        self.done_by = Some(by.clone());
        Ok(())
    }

    /// `/task snooze <for>`: pushes the due time `for` past the later of now and the current
    /// due time (a snooze never brings a task forward) and starts the ladder again.
    pub fn snooze(&mut self, text: &str, now: DateTime<Utc>) -> Result<(), TaskError> {
        self.require_open()?;
        let text = text.trim();
        let period = when::parse_duration(text)
            .ok()
            .filter(|period| *period > Duration::zero())
            .ok_or_else(|| TaskError::BadSnooze(text.to_owned()))?;
        if period > Duration::days(MAX_DUE_AHEAD_DAYS) {
            return Err(TaskError::DueTooFar(text.to_owned()));
        }
        let from = self.due.map_or(now, |due| due.max(now));
        self.due = Some(from + period);
        self.restart_ladder();
        Ok(())
    }

    /// The next rung of its ladder and when it is due; `None` when done, without a due
    /// time, or with the ladder climbed to the top. An unassigned task has nobody to remind,
    /// so its ladder starts at the commander.
    pub fn next_step(&self, settings: &TaskSettings) -> Option<(LadderStep, DateTime<Utc>)> {
        if self.state != TaskState::Open {
            return None;
        }
        let due = self.due?;
        let step = match self.escalated_to {
            None if self.assignee.is_some() && self.reminders_sent < settings.max_reminders => {
                LadderStep::RemindAssignee {
                    number: self.reminders_sent + 1,
                }
            }
            None => LadderStep::EscalateToCommander,
            Some(EscalatedTo::Commander) => LadderStep::EscalateToDutyManager,
            Some(EscalatedTo::DutyManager) => return None,
        };
        let at = self
            .last_step_at
            .map_or(due, |last| last + settings.reminder_interval);
        Some((step, at))
    }

    fn record_step(&mut self, step: LadderStep, now: DateTime<Utc>) {
        match step {
            LadderStep::RemindAssignee { number } => self.reminders_sent = number,
            LadderStep::EscalateToCommander => self.escalated_to = Some(EscalatedTo::Commander),
            LadderStep::EscalateToDutyManager => self.escalated_to = Some(EscalatedTo::DutyManager),
        }
        self.last_step_at = Some(now);
    }

    fn restart_ladder(&mut self) {
        self.reminders_sent = 0;
        self.escalated_to = None;
        self.last_step_at = None;
    }

    fn require_open(&self) -> Result<(), TaskError> {
        match self.state {
            TaskState::Open => Ok(()),
            TaskState::Done => Err(TaskError::AlreadyDone(self.id)),
        }
    }
}

/// When the incident's task deadline should fire next: the earliest next rung among its
/// tasks, moved on to the last rung due within [`REMINDER_ALIGNMENT`] of it, so rungs a few
/// seconds apart (tasks added 20 s apart) fire in one firing and stay aligned afterwards
/// (each climbed rung counts the next from the same `now`); `None` when nothing is left to
/// chase (cancel the deadline). No rung fires early; one fires at most that much late.
pub fn next_due(tasks: &[Task], settings: &TaskSettings) -> Option<DateTime<Utc>> {
    let rungs = || {
        tasks
            .iter()
            .filter_map(|task| task.next_step(settings).map(|(_, at)| at))
    };
    let earliest = rungs().min()?;
    rungs()
        .filter(|at| *at - earliest <= REMINDER_ALIGNMENT)
        .max()
}

/// Decides a fired task deadline: every task whose next rung is due by `now` climbs one rung
/// (only one, however late: after downtime each overdue step fires once and the next counts
/// from `now`), and the reminders are grouped by incident, recipient and assignee, in that
/// order, each listing its task ids in order. The changed tasks are to be written back with
/// the deadline re-set at [`next_due`].
pub fn due_actions(
    tasks: &mut [Task],
    settings: &TaskSettings,
    now: DateTime<Utc>,
) -> Vec<Reminder> {
    let mut grouped: std::collections::BTreeMap<
        (IncidentId, Recipient, Option<UserId>),
        Vec<TaskId>,
    > = std::collections::BTreeMap::new();
    for task in tasks.iter_mut() {
        let Some((step, at)) = task.next_step(settings) else {
            continue;
        };
        if at > now {
            continue;
        }
        let to = match (step, &task.assignee) {
            (LadderStep::RemindAssignee { .. }, Some(assignee)) => {
                Recipient::User(assignee.clone())
            }
            (LadderStep::RemindAssignee { .. } | LadderStep::EscalateToCommander, _) => {
                Recipient::Commander
            }
            (LadderStep::EscalateToDutyManager, _) => Recipient::DutyManager,
        };
        let key = (task.incident, to, task.assignee.clone());
        grouped.entry(key).or_default().push(task.id);
        task.record_step(step, now);
    }
    grouped
        .into_iter()
        .map(|((incident, to, about), mut ids)| {
            ids.sort_unstable();
            Reminder {
                incident,
                to,
                about,
                tasks: ids,
            }
        })
        .collect()
}

/// Open tasks first, each part in id order: what `/task list` shows, and its paging order.
pub fn listing_order(tasks: &mut [Task]) {
    tasks.sort_by_key(|task| (task.state == TaskState::Done, task.id));
}

#[cfg(test)]
mod tests;
