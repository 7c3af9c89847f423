//! `/task …` and the overdue-task ladder of one incident: reminders grouped per person, then
//! the commander, then the duty manager.
//!
//! The decisions are `domain::task`'s; this reads the incident's tasks (the store's, with
//! this group's changes laid over them), writes each changed task whole, and keeps the one
//! `TaskReminder` deadline per incident at `task::next_due` in the same write, so a task
//! marked done or snoozed never fires afterwards.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::commands::task_words;
use super::{CommandReply, Engine, Pending};
use crate::domain::access::{Permission, Person, PersonRole, authorize};
use crate::domain::command::TaskCommand;
use crate::domain::deadline::{Deadline, DeadlineChange, DeadlineKind};
use crate::domain::decide::{Decision, NOT_ALLOWED};
use crate::domain::effect::Effect;
use crate::domain::ids::{Actor, IncidentId, UserId};
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::domain::task::{
    self, NewTask, Recipient, Reminder, TASKS_PER_PAGE, Task, TaskError, TaskState,
    task_deadline_key,
};
use crate::domain::timeline::EntryKind;
use crate::engine::commands::local_time;
use crate::store::StoreError;

impl Engine {
    /// Fires an incident's task deadline: every task whose next rung is due climbs one, the
    /// reminders go out grouped per recipient and assignee, and the deadline moves to the
    /// next rung of any task (or goes when nothing is left to chase).
    pub(super) fn tasks_due(
        &mut self,
        pending: &mut Pending,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let DeadlineKind::TaskReminder { incident: id } = deadline.kind else {
            pending.batch.deadlines.push(DeadlineChange::Cancel {
                key: deadline.key.clone(),
            });
            return Ok(());
        };
        let Some(incident) = self.incident(pending, id)? else {
            warn!(incident = %id, "Task deadline of a missing incident removed.");
            pending.batch.deadlines.push(DeadlineChange::Cancel {
                key: deadline.key.clone(),
            });
            return Ok(());
        };
        let mut tasks = self.current_tasks(pending, id)?;
        let before = tasks.clone();
        let reminders = task::due_actions(&mut tasks, &self.policy.tasks, now);
        let mut decision = Decision::default();
        for reminder in &reminders {
            self.remind(&incident, reminder, &mut decision, now);
        }
        if !reminders.is_empty() {
            metrics::counter!("warroom_task_reminders_total").increment(reminders.len() as u64);
            info!(
                incident = %id,
                reminders = reminders.len(),
                late_seconds = (now - deadline.due).num_seconds(),
                "Overdue-task reminders sent."
            );
        }
        for (after, before) in tasks.iter().zip(&before) {
            if after != before {
                pending.batch.tasks.push(after.clone());
            }
        }
        decision.deadlines.push(self.task_deadline(id, &tasks));
        if decision.entries.is_empty() {
            // Nothing was due after all (the deadline was early): only move it, leaving the
            // incident unwritten.
            pending.batch.deadlines.extend(decision.deadlines);
        } else {
            self.apply(pending, incident, decision, now);
        }
        Ok(())
    }

    /// `/task add|done|list|assign|snooze` in `incident`. Listing needs only the right to
    /// read; everything else the right to respond.
    pub(super) fn task_command(
        &mut self,
        person: &Person,
        incident: Incident,
        command: &TaskCommand,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let id = incident.id;
        let reply = |ok: bool, lines: Vec<Msg>| CommandReply {
            ok,
            lines,
            incident: Some(id),
        };
        let needs = match command {
            TaskCommand::List { .. } => Permission::Read,
            _ => Permission::Respond,
        };
        if authorize(person, Some(&incident.roles), needs).is_err() {
            return Ok(reply(
                false,
                vec![Msg::new(NOT_ALLOWED).word("action", "task")],
            ));
        }
        let mut tasks = self.current_tasks(pending, id)?;
        if let Some(user) = command_user(command)
            && !self.people.lock().contains(user)
        {
            return Ok(reply(
                false,
                vec![Msg::new("reply-unknown-user").user("user", user)],
            ));
        }
        match self.change_tasks(person, &incident, command, &mut tasks, now) {
            Ok(None) => Ok(reply(true, self.task_list(id, tasks, command, now))),
            Ok(Some((changed, mut decision))) => {
                info!(incident = %id, user = %person.id, task = %changed.id, command = ?command, "Task command applied.");
                let answer = decision.reply.take();
                pending.batch.tasks.push(changed);
                decision.deadlines.push(self.task_deadline(id, &tasks));
                self.apply(pending, incident, decision, now);
                Ok(reply(
                    true,
                    answer.map(|msg| self.named(msg)).into_iter().collect(),
                ))
            }
            Err(error) => Ok(reply(false, vec![error.message()])),
        }
    }

    /// Decides a task command over `tasks` (changed in place): the changed task and what to
    /// record, post and answer; `None` for `/task list`, which changes nothing.
    fn change_tasks(
        &self,
        person: &Person,
        incident: &Incident,
        command: &TaskCommand,
        tasks: &mut Vec<Task>,
        now: DateTime<Utc>,
    ) -> Result<Option<(Task, Decision)>, TaskError> {
        let actor = Actor::user(&person.id);
        let zone = self.policy.time_zone;
        let mut decision = Decision::default();
        let changed = match command {
            TaskCommand::Add {
                title,
                assignee,
                due,
            } => {
                let new = NewTask {
                    title,
                    assignee: assignee.clone(),
                    due: due.as_deref(),
                    by: &person.id,
                };
                let added = task::add_task(
                    tasks,
                    incident.id,
                    incident.state,
                    new,
                    &self.policy.tasks,
                    zone,
                    now,
                )?;
                decision.entry(
                    &actor,
                    EntryKind::TaskAdded {
                        task: added.id,
                        title: added.title.clone(),
                        assignee: added.assignee.clone(),
                        due: added.due,
                    },
                );
                let notice = match &added.assignee {
                    Some(assignee) => Msg::new("notice-task-added-for").call("assignee", assignee),
                    None => Msg::new("notice-task-added"),
                };
                decision.effects.push(Effect::Notify {
                    incident: incident.id,
                    message: notice
                        .word("task", added.id)
                        .outside("title", &added.title)
                        .person("user", person),
                });
                // A due time nobody typed is the follow-up of an action item.
                decision.reply = Some(match (added.due, due) {
                    (Some(_), None) => Msg::new("reply-task-added-followup"),
                    (Some(_), Some(_)) => Msg::new("reply-task-added-due"),
                    (None, _) => Msg::new("reply-task-added"),
                });
                tasks.push(added.clone());
                added
            }
            TaskCommand::Done { task } => {
                let found = task::find_task_mut(tasks, task)?;
                found.mark_done(&person.id, now)?;
                decision.entry(&actor, EntryKind::TaskDone { task: found.id });
                decision.effects.push(Effect::Notify {
                    incident: incident.id,
                    message: Msg::new("notice-task-done")
                        .word("task", found.id)
                        .outside("title", &found.title)
                        .person("user", person),
                });
                decision.reply = Some(Msg::new("reply-task-done"));
                found.clone()
            }
            TaskCommand::Assign { task, user } => {
                let found = task::find_task_mut(tasks, task)?;
                found.assign(user.clone())?;
                decision.entry(
                    &actor,
                    EntryKind::TaskAssigned {
                        task: found.id,
                        user: user.clone(),
                    },
                );
                decision.effects.push(Effect::Notify {
                    incident: incident.id,
                    message: Msg::new("notice-task-assigned")
                        .word("task", found.id)
                        .outside("title", &found.title)
                        .call("assignee", user)
                        .person("user", person),
                });
                decision.reply = Some(Msg::new("reply-task-assigned").user("assignee", user));
                found.clone()
            }
            TaskCommand::Snooze { task, duration } => {
                let found = task::find_task_mut(tasks, task)?;
                found.snooze(duration, now)?;
                // A snooze always leaves a due time (it is `for` past now or the old one).
                let until = found.due.unwrap_or(now);
                decision.entry(
                    &actor,
                    EntryKind::TaskSnoozed {
                        task: found.id,
                        until,
                    },
                );
                decision.reply = Some(Msg::new("reply-task-snoozed"));
                found.clone()
            }
            // Listing changes nothing.
            TaskCommand::List { .. } => return Ok(None),
        };
        decision.reply = decision.reply.take().map(|reply| {
            let reply = reply.word("task", changed.id).word("incident", incident.id);
            match changed.due {
                Some(due) => reply.word("due", local_time(due, zone)),
                None => reply,
            }
        });
        Ok(Some((changed, decision)))
    }

    /// The incident's tasks as this group sees them: the stored ones with the group's
    /// changes laid over them, in id order.
    fn current_tasks(
        &self,
        pending: &Pending,
        incident: IncidentId,
    ) -> Result<Vec<Task>, StoreError> {
        let mut tasks = self.store.tasks(incident)?;
        for changed in pending
            .batch
            .tasks
            .iter()
            .filter(|task| task.incident == incident)
        {
            match tasks.iter_mut().find(|task| task.id == changed.id) {
                Some(task) => *task = changed.clone(),
                None => tasks.push(changed.clone()),
            }
        }
        tasks.sort_by_key(|task| task.id);
        Ok(tasks)
    }

    /// The incident's one task deadline at the next rung of any of `tasks`, or its removal
    /// when nothing is left to chase.
    fn task_deadline(&self, incident: IncidentId, tasks: &[Task]) -> DeadlineChange {
        let key = task_deadline_key(incident);
        match task::next_due(tasks, &self.policy.tasks) {
            Some(due) => DeadlineChange::Set(Deadline {
                key,
                due,
                kind: DeadlineKind::TaskReminder { incident },
            }),
            None => DeadlineChange::Cancel { key },
        }
    }

    /// One grouped reminder: a room post calling whom it is for, and its timeline entry.
    /// The commander and the duty manager are whoever holds the role now
    /// ([`Engine::callees`]); several duty managers get one message each.
    fn remind(
        &self,
        incident: &Incident,
        reminder: &Reminder,
        decision: &mut Decision,
        now: DateTime<Utc>,
    ) {
        let tasks = task_words(&reminder.tasks);
        let count = reminder.tasks.len() as u64;
        let warroom = Actor::warroom();
        let (role, person_role) = match &reminder.to {
            Recipient::User(user) => {
                decision.entry(
                    &warroom,
                    EntryKind::TaskReminded {
                        tasks: reminder.tasks.clone(),
                        to: user.clone(),
                    },
                );
                decision.effects.push(Effect::Notify {
                    incident: incident.id,
                    message: Msg::new("notice-task-reminder")
                        .call("user", user)
                        .number("count", count)
                        .word("tasks", &tasks)
                        .word("incident", incident.id),
                });
                return;
            }
            Recipient::Commander => ("commander", PersonRole::Commander),
            Recipient::DutyManager => ("duty_manager", PersonRole::DutyManager),
        };
        let callees = self.callees(incident, person_role, now);
        decision.entry(
            &warroom,
            EntryKind::TaskEscalated {
                tasks: reminder.tasks.clone(),
                role: role.to_owned(),
                to: match callees.as_slice() {
                    [one] => Some(one.clone()),
                    _ => None,
                },
            },
        );
        let about = |id: &str| {
            let msg = Msg::new(id)
                .number("count", count)
                .word("tasks", &tasks)
                .word("role", role);
            match &reminder.about {
                Some(assignee) => msg.user("assignee", assignee),
                None => msg,
            }
        };
        let (called, nobody) = match reminder.about {
            Some(_) => ("notice-task-escalated", "notice-task-escalated-nobody"),
            None => (
                "notice-task-escalated-unassigned",
                "notice-task-escalated-unassigned-nobody",
            ),
        };
        if callees.is_empty() {
            decision.effects.push(Effect::Notify {
                incident: incident.id,
                message: about(nobody),
            });
        }
        for callee in &callees {
            decision.effects.push(Effect::Notify {
                incident: incident.id,
                message: about(called).call("callee", callee),
            });
        }
    }

    /// `/task list`: open tasks first, each part in id order, [`TASKS_PER_PAGE`] to a page,
    /// and a line saying how to see the next page.
    fn task_list(
        &self,
        incident: IncidentId,
        mut tasks: Vec<Task>,
        command: &TaskCommand,
        now: DateTime<Utc>,
    ) -> Vec<Msg> {
        if tasks.is_empty() {
            return vec![Msg::new("reply-task-list-empty").word("incident", incident)];
        }
        let page = match command {
            TaskCommand::List { page } => (*page).max(1) as usize,
            _ => 1,
        };
        task::listing_order(&mut tasks);
        let open = tasks
            .iter()
            .filter(|task| task.state == TaskState::Open)
            .count();
        let pages = tasks.len().div_ceil(TASKS_PER_PAGE);
        // Past the last page is the last page: the list may have shrunk since it was read.
        let page = page.min(pages);
        let zone = self.policy.time_zone;
        let mut lines = vec![
            Msg::new("reply-task-list-header")
                .word("incident", incident)
                .number("open", open as u64)
                .number("done", (tasks.len() - open) as u64)
                .number("page", page as u64)
                .number("pages", pages as u64),
        ];
        let shown = tasks
            .iter()
            .skip((page - 1) * TASKS_PER_PAGE)
            .take(TASKS_PER_PAGE);
        for task in shown {
            let status = |due: DateTime<Utc>| if due <= now { "overdue" } else { "due" };
            let line = match (task.state, &task.assignee, task.due) {
                (TaskState::Done, _, _) => Msg::new("reply-task-line-done").word(
                    "when",
                    local_time(task.done_at.unwrap_or(task.created_at), zone),
                ),
                (TaskState::Open, Some(assignee), Some(due)) => Msg::new("reply-task-line")
                    .user("assignee", assignee)
                    .word("status", status(due))
                    .word("when", local_time(due, zone)),
                (TaskState::Open, Some(assignee), None) => {
                    Msg::new("reply-task-line-no-due").user("assignee", assignee)
                }
                (TaskState::Open, None, Some(due)) => Msg::new("reply-task-line-unassigned")
                    .word("status", status(due))
                    .word("when", local_time(due, zone)),
                (TaskState::Open, None, None) => Msg::new("reply-task-line-unassigned-no-due"),
            };
            lines.push(self.named(line.word("task", task.id).outside("title", &task.title)));
        }
        if page < pages {
            lines.push(
                Msg::new("reply-task-list-more")
                    .number("count", (tasks.len() - page * TASKS_PER_PAGE) as u64)
                    .number("next", (page + 1) as u64),
            );
        }
        lines
    }
}

/// The person a task command names, who must be someone warroom knows.
fn command_user(command: &TaskCommand) -> Option<&UserId> {
    match command {
        TaskCommand::Add { assignee, .. } => assignee.as_ref(),
        TaskCommand::Assign { user, .. } => Some(user),
        TaskCommand::Done { .. } | TaskCommand::List { .. } | TaskCommand::Snooze { .. } => None,
    }
}
