//! Commands inside the engine: help, list, status and timeline answered from its caches, the
//! rest decided by `domain::decide` and applied to the pending batch; chat records; and how a
//! timeline entry reads in chat.

use super::*;

impl Engine {
    pub(super) fn command(
        &mut self,
        user: &UserId,
        incident_id: Option<IncidentId>,
        command: &Command,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<CommandReply, StoreError> {
        let Some(person) = self.people.get(user).cloned() else {
            return Ok(CommandReply::refused(
                Msg::new("reply-unknown-person").user("user", user),
            ));
        };
        match command {
            Command::Help => {
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::help_lines(),
                    incident: None,
                });
            }
            Command::List => {
                // The pending copy of an incident is newer than the cached one.
                let mut current: HashMap<IncidentId, &Incident> =
                    self.open.iter().map(|(id, i)| (*id, i)).collect();
                current.extend(pending.incidents.iter().map(|(id, i)| (*id, i)));
                return Ok(CommandReply {
                    ok: true,
                    lines: replies::list_lines(current.into_values()),
                    incident: None,
                });
            }
            Command::Declare { title, severity } => {
                let id = self.next_incident_id(pending, now)?;
                return Ok(
                    match declare_incident(&self.policy, id, title, *severity, &person, now) {
                        Ok((incident, applied)) => {
                            info!(incident = %id, user = %user, "Incident declared by hand.");
                            metrics::counter!("warroom_incidents_opened_total", "how" => "declared").increment(1);
                            self.apply(pending, incident, applied, now);
                            CommandReply {
                                ok: true,
                                lines: vec![Msg::new("reply-declared").word("incident", id)],
                                incident: Some(id),
                            }
                        }
                        Err(msg) => {
                            // The id was not used; give it back so the day's sequence has no gap.
                            self.sequences.insert(id.date(), id.sequence() - 1);
                            pending
                                .batch
                                .sequences
                                .retain(|(d, s)| !(*d == id.date() && *s == id.sequence()));
                            CommandReply::refused(msg)
                        }
                    },
                );
            }
            _ => {}
        }
        // `/incident status id:…` names its incident; everything else acts on the room's.
        let incident_id = match command {
            Command::Status {
                incident: Some(named),
            } => Some(*named),
            _ => incident_id,
        };
        let Some(incident_id) = incident_id else {
            return Ok(CommandReply::refused(Msg::new("reply-no-incident-here")));
        };
        let Some(mut incident) = self.incident(pending, incident_id)? else {
            return Ok(CommandReply::refused(
                Msg::new("reply-incident-not-found").word("incident", incident_id),
            ));
        };
        match command {
            Command::Status { .. } => {
                // Anyone configured may read; Permission::Read never refuses.
                return Ok(CommandReply {
                    ok: true,
                    lines: status_lines(&incident)
                        .into_iter()
                        .map(|line| self.named(line))
                        .collect(),
                    incident: Some(incident_id),
                });
            }
            Command::Reprobe => return self.reprobe(&person, incident, pending, now),
            Command::Timeline { limit } => {
                let total = incident.timeline_len;
                let after = total.saturating_sub(*limit as u64);
                let entries = self.pending_aware_timeline(pending, &incident, after, *limit)?;
                let mut lines = vec![
                    Msg::new("reply-timeline-header")
                        .word("incident", incident_id)
                        .number("shown", entries.len() as u64)
                        .number("total", total),
                ];
                let zone = self.policy.time_zone;
                lines.push(Msg::new("reply-timeline-zone").word("zone", zone.name()));
                lines.extend(entries.iter().map(|entry| timeline_line(entry, zone)));
                return Ok(CommandReply {
                    ok: true,
                    lines,
                    incident: Some(incident_id),
                });
            }
            _ => {}
        }
        let people = &self.people;
        let is_known = |user: &UserId| people.contains_key(user);
        match apply_command(&mut incident, &person, command, &is_known, now) {
            Ok(outcome) => {
                info!(incident = %incident_id, user = %user, command = ?command, "Command applied.");
                self.apply(pending, incident, outcome.applied, now);
                Ok(CommandReply {
                    ok: true,
                    lines: vec![self.named(outcome.reply)],
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

    fn pending_aware_timeline(
        &self,
        pending: &Pending,
        incident: &Incident,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut entries = self.store.timeline(incident.id, after, limit)?;
        entries.extend(
            pending
                .batch
                .timeline
                .iter()
                .filter(|e| e.incident == incident.id && e.seq > after)
                .cloned(),
        );
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        let skip = entries.len().saturating_sub(limit);
        Ok(entries.into_iter().skip(skip).collect())
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
                let mut recorded = record_reaction(&mut current, &person, &message, &emoji);
                // Say what the message was, when warroom posted it.
                if let Ok(applied) = &mut recorded
                    && let Some(owner) = self.store.message_owner(&message)?
                {
                    for (_, kind) in &mut applied.entries {
                        if let EntryKind::ReactionAdded { on, .. } = kind {
                            *on = Some(owner.key.clone());
                        }
                    }
                }
                self.people.insert(person.id.clone(), person);
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

fn status_lines(incident: &Incident) -> Vec<Msg> {
    let holder = |msg: Msg, name: &str, user: Option<&UserId>| match user {
        Some(user) => msg.user(name, user),
        None => msg.word(name, "-"),
    };
    let msg = Msg::new("reply-status")
        .word("incident", incident.id)
        .outside("title", &incident.title)
        .word("state", incident.state)
        .word("severity", incident.severity)
        .number("firing", incident.alerts.firing)
        .number("resolved", incident.alerts.resolved);
    let msg = holder(msg, "commander", incident.roles.commander.as_ref());
    let msg = holder(
        msg,
        "communications",
        incident.roles.communications.as_ref(),
    );
    vec![holder(
        msg,
        "operations",
        incident.roles.operations.as_ref(),
    )]
}

/// A moment as chat lines show it: date, time and UTC offset in `zone`, so a reader never
/// has to guess the day or the zone (`2026-11-21 18:00:00 +08:00`). An offset, because
/// abbreviations such as CST name several zones; the reply's first line names the zone.
fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
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
    }
}
