//! Commands inside the engine: decided by `domain::decide` and applied to the pending batch
//! (queries — help, list, status, timeline — are answered by `views`); chat records; and how
//! a timeline entry reads in chat.

use super::*;
use crate::engine::action_render::command_line;

impl Engine {
    pub(super) fn command(
        &mut self,
        user: &UserId,
        incident_id: Option<IncidentId>,
        command: &Command,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let Some(person) = self.people.lock().get(user).cloned() else {
            return Ok(CommandReply::refused(
                Msg::new("reply-unknown-person").user("user", user),
            ));
        };
        if let Command::Declare { title, severity } = command {
            // Checked before an id is taken: a refused declare uses no sequence number.
            if let Err(msg) = check_declare(&person, title) {
                return Ok(CommandReply::refused(msg));
            }
            let id = self.next_incident_id(pending, now)?;
            return Ok(
                match declare_incident(&self.policy, id, title, *severity, &person, now) {
                    Ok((incident, decision)) => {
                        info!(incident = %id, user = %user, "Incident declared by hand.");
                        metrics::counter!("warroom_incidents_opened_total", "how" => "declared")
                            .increment(1);
                        self.apply(pending, incident, decision, now);
                        CommandReply {
                            ok: true,
                            lines: vec![Msg::new("reply-declared").word("incident", id)],
                            incident: Some(id),
                        }
                    }
                    // check_declare refuses everything declare_incident refuses; this is the
                    // same refusal, should they ever drift apart.
                    Err(msg) => CommandReply::refused(msg),
                },
            );
        }
        if matches!(command, Command::OnCall | Command::OnCallOverride { .. }) {
            return self.oncall_command(&person, command, pending, now);
        }
        let Some(incident_id) = incident_id else {
            return Ok(CommandReply::refused(Msg::new("reply-no-incident-here")));
        };
        let Some(mut incident) = self.incident(pending, incident_id)? else {
            return Ok(CommandReply::refused(
                Msg::new("reply-incident-not-found").word("incident", incident_id),
            ));
        };
        match command {
            Command::Reprobe => return self.reprobe(&person, incident, pending, now),
            Command::Action { command, params } => {
                return self.request_action(&person, incident, command, params, pending, now);
            }
            Command::Vote {
                request,
                approve,
                via,
            } => {
                let ballot = crate::domain::action::rules::Ballot {
                    person: &person,
                    approve: *approve,
                    via: *via,
                };
                return self.vote(ballot, incident, *request, pending, now);
            }
            Command::Update(text) => {
                return self.status_update(&person, incident, text, pending, now);
            }
            Command::Task(task) => return self.task_command(&person, incident, task, pending, now),
            _ => {}
        }
        let decided = {
            let people = self.people.lock();
            let is_known = |user: &UserId| people.contains(user);
            apply_command(
                &self.policy,
                &mut incident,
                &person,
                command,
                &is_known,
                now,
            )
        };
        match decided {
            Ok(mut decision) => {
                info!(incident = %incident_id, user = %user, command = ?command, "Command applied.");
                let reply = decision.reply.take();
                self.apply(pending, incident, decision, now);
                Ok(CommandReply {
                    ok: true,
                    lines: reply.map(|reply| self.named(reply)).into_iter().collect(),
                    incident: Some(incident_id),
                })
            }
            Err(msg) => Ok(CommandReply {
                ok: false,
                lines: vec![msg],
                incident: Some(incident_id),
            }),
        }
    }

    pub(super) fn chat_record(
        &mut self,
        record: ChatRecord,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Records are idempotent: the outbox repeats them after a crash between delivering
        // and recording, and a repeat must neither be lost nor doubled on the timeline.
        let (id, actor, kind) = match record {
            ChatRecord::RoomCreated { incident, room } => {
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Room record for a missing incident ignored.");
                    return Ok(());
                };
                if current.room.as_ref() == Some(&room) {
                    return Ok(());
                }
                current.room = Some(room.clone());
                pending.incidents.insert(incident, current);
                (incident, Actor::warroom(), EntryKind::RoomCreated { room })
            }
            ChatRecord::CardPosted {
                incident,
                room,
                message,
            } => {
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Card record for a missing incident ignored.");
                    return Ok(());
                };
                if current.card.as_ref() == Some(&message) {
                    return Ok(());
                }
                current.card = Some(message.clone());
                pending.incidents.insert(incident, current);
                (
                    incident,
                    Actor::warroom(),
                    EntryKind::CardPosted { room, message },
                )
            }
            ChatRecord::Reaction {
                incident,
                person,
                message,
                emoji,
            } => {
                // Only people warroom knows (configured or role-mapped) leave a mark.
                if person.roles.is_empty() {
                    return Ok(());
                }
                let Some(mut current) = self.incident(pending, incident)? else {
                    warn!(incident = %incident, "Reaction for a missing incident ignored.");
                    return Ok(());
                };
                let owner = self.store.message_owner(&message)?;
                // A ✅ or ❌ on a request's message is a vote, not a reaction.
                if let Some(owner) = &owner
                    && owner.key.starts_with("action:")
                    && let Some(vote) =
                        self.reaction_vote(&person, incident, &owner.key, &emoji, pending, now)?
                {
                    self.people.lock().introduce(person);
                    debug!(incident = %incident, ok = vote.ok, "Reaction counted as a vote.");
                    return Ok(());
                }
                let mut recorded = record_reaction(&mut current, &person, &message, &emoji);
                // Say what the message was, when warroom posted it.
                if let Ok(applied) = &mut recorded
                    && let Some(owner) = owner
                {
                    for (_, kind) in &mut applied.entries {
                        if let EntryKind::ReactionAdded { on, .. } = kind {
                            *on = Some(owner.key.clone());
                        }
                    }
                }
                self.people.lock().introduce(person);
                match recorded {
                    Ok(applied) => self.apply(pending, current, applied, now),
                    Err(reason) => {
                        debug!(incident = %incident, message = %message.0, ?reason, "Reaction not recorded.");
                    }
                }
                return Ok(());
            }
        };
        let Some(incident) = self.incident(pending, id)? else {
            warn!(incident = %id, "Chat record for a missing incident ignored.");
            return Ok(());
        };
        let mut applied = Applied::default();
        applied.entries.push((actor, kind));
        self.apply(pending, incident, applied, now);
        Ok(())
    }
}

/// A moment as chat lines show it: date, time and UTC offset in `zone`, so a reader never
/// has to guess the day or the zone (`2026-11-21 18:00:00 +08:00`). An offset, because
/// abbreviations such as CST name several zones; the reply's first line names the zone.
pub(super) fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// One timeline entry as a chat line, its time with the date in `zone`.
pub fn timeline_line(entry: &TimelineEntry, zone: chrono_tz::Tz) -> Msg {
    let base = |id: &str| {
        let msg = Msg::new(id)
            .number("seq", entry.seq)
            .word("at", local_time(entry.at, zone));
        // People by name (or, for entries older than names, by id); sources by their tag.
        match (entry.actor.0.strip_prefix("user:"), &entry.actor_name) {
            (Some(id), name) => msg.with_person("actor", UserId(id.to_owned()), name.clone()),
            (None, _) => msg.word("actor", &entry.actor.0),
        }
    };
    match &entry.kind {
        EntryKind::IncidentOpened {
            title, severity, ..
        } => base("tl-incident-opened")
            .outside("title", title)
            .word("severity", severity),
        EntryKind::AlertReceived { name, status, .. } => base("tl-alert-received")
            .outside("alert", name)
            .word("status", format!("{status:?}").to_lowercase()),
        EntryKind::AlertUpdated { name, .. } => base("tl-alert-updated").outside("alert", name),
        EntryKind::AlertResolved { name, .. } => base("tl-alert-resolved").outside("alert", name),
        EntryKind::AllAlertsResolved => base("tl-all-alerts-resolved"),
        EntryKind::StateChanged { from, to } => base("tl-state-changed")
            .word("from", from)
            .word("state", to),
        EntryKind::SeverityChanged { from, to, .. } => base("tl-severity-changed")
            .word("from", from)
            .word("severity", to),
        EntryKind::RoleAssigned {
            role,
            user,
            user_name,
            ..
        } => base("tl-role-assigned")
            .word("role", role.as_str())
            .with_person("user", user.clone(), user_name.clone()),
        EntryKind::RoomCreated { room } => base("tl-room-created").word("room", room),
        EntryKind::CardPosted { .. } => base("tl-card-posted"),
        EntryKind::NoteAdded { text } => base("tl-note-added").outside("text", text),
        EntryKind::ReactionAdded { emoji, .. } => base("tl-reaction-added").outside("emoji", emoji),
        EntryKind::StaleAlertIgnored {
            name, starts_at, ..
        } => base("tl-stale-alert-ignored")
            .outside("alert", name)
            .word("started", local_time(*starts_at, zone)),
        EntryKind::AlertStartCorrected { name, original, .. } => base("tl-alert-start-corrected")
            .outside("alert", name)
            .word("original", original.to_rfc3339()),
        EntryKind::AlertsTruncated { count } => base("tl-alerts-truncated").number("count", *count),
        EntryKind::AckReminder { number, max } => base("tl-ack-reminder")
            .number("number", u64::from(*number))
            .number("max", u64::from(*max)),
        EntryKind::ProbeResult {
            url,
            status,
            error,
            latency_ms,
            refused,
            failure,
        } => match (status, refused, error) {
            (Some(status), _, _) => base("tl-probe-answered")
                .outside("url", url)
                .number("status", u64::from(*status))
                .number("latency", latency_ms.unwrap_or(0)),
            (None, Some(reason), _) => base("tl-probe-refused")
                .outside("url", url)
                .word("reason", reason),
            // The kind in the reader's language (`failure-` words); older entries kept only
            // English text in `error`, shown as it was stored.
            (None, None, Some(error)) => base("tl-probe-failed")
                .outside("url", url)
                .word("failure", failure.as_deref().unwrap_or("request"))
                .outside("error", error),
            (None, None, None) => base("tl-probe-no-answer")
                .outside("url", url)
                .word("failure", failure.as_deref().unwrap_or("request")),
        },
        EntryKind::JobInterrupted {
            job_kind, rerun, ..
        } => base(if *rerun {
            "tl-job-interrupted-rerun"
        } else {
            "tl-job-interrupted"
        })
        .word("job", job_kind),
        EntryKind::ProbeRequested { url } => base("tl-probe-requested").outside("url", url),
        EntryKind::ActionRequested {
            request,
            command,
            params,
            approvals_required,
            ..
        } => base("tl-action-requested")
            .word("request", request)
            .outside("line", command_line(command, params))
            .number("required", u64::from(*approvals_required)),
        EntryKind::ActionVote {
            request,
            approve,
            counted: true,
            approvals,
            required,
            ..
        } => match approve {
            true => base("tl-action-approved")
                .word("request", request)
                .number("approvals", u64::from(*approvals))
                .number("required", u64::from(*required)),
            false => base("tl-action-rejected").word("request", request),
        },
        EntryKind::ActionVote {
            request,
            approve,
            counted: false,
            reason,
            ..
        } => base("tl-action-vote-ignored")
            .word("request", request)
            .word("vote", if *approve { "approve" } else { "reject" })
            .word("vote_reason", reason.as_deref().unwrap_or("not_pending")),
        EntryKind::ActionExpired { request } => base("tl-action-expired").word("request", request),
        EntryKind::ActionCancelled { request, reason } => base("tl-action-cancelled")
            .word("request", request)
            .word("cancel_reason", reason),
        EntryKind::ActionStarted { request, job } => base("tl-action-started")
            .word("request", request)
            .number("job", *job),
        EntryKind::ActionFinished {
            request, status, ..
        } => base("tl-action-finished")
            .word("request", request)
            .word("outcome", status.as_str()),
        EntryKind::ActionInterrupted { request, rerun } => base(if *rerun {
            "tl-action-interrupted-rerun"
        } else {
            "tl-action-interrupted"
        })
        .word("request", request),
        EntryKind::EscalationStep {
            step,
            notified,
            how,
            ..
        } => base("tl-escalation-step")
            .number("step", u64::from(*step))
            .number("count", notified.len() as u64)
            .word("how", how.join(", ")),
        EntryKind::TaskAdded { task, title, .. } => base("tl-task-added")
            .word("task", task)
            .outside("title", title),
        EntryKind::TaskAssigned { task, user } => base("tl-task-assigned")
            .word("task", task)
            .user("user", user),
        EntryKind::TaskDone { task } => base("tl-task-done").word("task", task),
        EntryKind::TaskSnoozed { task, until } => base("tl-task-snoozed")
            .word("task", task)
            .word("until", local_time(*until, zone)),
        EntryKind::TaskReminded { tasks, to } => base("tl-task-reminded")
            .word("tasks", task_words(tasks))
            .user("user", to),
        EntryKind::TaskEscalated { tasks, role, .. } => base("tl-task-escalated")
            .word("tasks", task_words(tasks))
            .word("role", role),
        EntryKind::StatusUpdate { text } => base("tl-status-update").outside("text", text),
        EntryKind::StatusUpdateReminded { number, .. } => {
            base("tl-status-update-reminded").number("number", u64::from(*number))
        }
    }
}

/// Task ids as one word: `T3 T21 T40`.
pub(super) fn task_words(tasks: &[crate::domain::task::TaskId]) -> String {
    tasks
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines a timeline entry takes in chat: its line, and for a finished action the
/// executor's summary under it, as its own message (Fluent cannot nest one message in
/// another's argument).
pub fn timeline_lines(entry: &TimelineEntry, zone: chrono_tz::Tz) -> Vec<Msg> {
    let line = timeline_line(entry, zone);
    match &entry.kind {
        EntryKind::ActionFinished { summary, .. } => vec![line, summary.clone()],
        _ => vec![line],
    }
}
