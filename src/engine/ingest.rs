//! Alert intake inside the engine: each alert routed (duplicate, stale, record only, existing,
//! join, open) and applied to its incident in the pending batch.

use super::*;

impl Engine {
    pub(super) fn ingest(
        &mut self,
        alerts: Vec<Alert>,
        truncated: u64,
        pending: &mut Pending,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let mut report = IngestReport {
            received: alerts.len(),
            ..IngestReport::default()
        };
        for alert in alerts {
            let identity = alert.identity();
            let previous = self.stored_alert(pending, &identity)?;
            let previous_incident = match previous.as_ref().and_then(|p| p.incident) {
                Some(id) => self.incident(pending, id)?,
                None => None,
            };
            let key = group_key(&self.policy, &alert);
            let group_incident = match self.by_group.get(&key) {
                Some(id) => self.incident(pending, *id)?,
                None => None,
            };
            let route = route_alert(
                &self.policy,
                previous.as_ref(),
                previous_incident.as_ref(),
                group_incident.as_ref(),
                &alert,
                now,
            );
            let severity = self.policy.severity.map(alert.severity_label.as_deref());
            let source = alert.source.as_str();
            let outcome = match &route {
                AlertRoute::Duplicate => "duplicate",
                AlertRoute::RecordOnly(RecordReason::BelowThreshold) => "below_threshold",
                AlertRoute::RecordOnly(_) => "recorded",
                AlertRoute::Existing(_) => "updated",
                AlertRoute::Join(_) => "joined",
                AlertRoute::Open { .. } => "opened",
                AlertRoute::Stale { .. } => "stale",
            };
            metrics::counter!("warroom_alerts_received_total", "source" => source, "outcome" => outcome).increment(1);
            let incident_id = match route {
                AlertRoute::Duplicate => {
                    report.duplicates += 1;
                    continue;
                }
                AlertRoute::Stale { incident } => {
                    report.stale += 1;
                    info!(alert = %identity, starts_at = %alert.starts_at, "A firing older than its stored resolve was ignored.");
                    // The stored resolve stays: it is the newer truth about this alert. A
                    // replay of the same stale firing is noted once.
                    let Some(mut stored) = previous else {
                        continue;
                    };
                    if stored.stale_noted == Some(alert.starts_at) {
                        continue;
                    }
                    if let Some(id) = incident
                        && let Some(current) = self.incident(pending, id)?
                    {
                        self.apply(pending, current, note_stale_alert(&alert), now);
                    }
                    stored.stale_noted = Some(alert.starts_at);
                    pending.alerts.insert(identity, stored);
                    continue;
                }
                AlertRoute::RecordOnly(reason) => {
                    report.recorded += 1;
                    debug!(alert = %identity, ?reason, "Alert recorded without an incident.");
                    // Below the threshold but firing: people still see it in the alerts room.
                    if reason == RecordReason::BelowThreshold {
                        pending
                            .batch
                            .effects
                            .push(crate::domain::effect::Effect::PostAlert {
                                alert: identity.clone(),
                            });
                    }
                    previous.as_ref().and_then(|p| p.incident)
                }
                AlertRoute::Existing(id) | AlertRoute::Join(id) => {
                    match self.incident(pending, id)? {
                        Some(mut incident) => {
                            let applied = apply_alert_to_incident(
                                &self.policy,
                                &mut incident,
                                previous.as_ref(),
                                &alert,
                                now,
                            );
                            self.apply(pending, incident, applied, now);
                            if matches!(route, AlertRoute::Join(_)) {
                                report.joined += 1;
                            } else {
                                report.updated += 1;
                            }
                            Some(id)
                        }
                        None => {
                            warn!(alert = %identity, incident = %id, "Alert points at a missing incident; recording it alone.");
                            report.recorded += 1;
                            None
                        }
                    }
                }
                AlertRoute::Open { group_key } => {
                    let id = self.next_incident_id(pending, now)?;
                    let (incident, applied) =
                        open_incident_from_alert(&self.policy, id, &alert, group_key.clone(), now);
                    info!(incident = %id, group = %group_key, severity = %incident.severity, "Incident opened from an alert.");
                    metrics::counter!("warroom_incidents_opened_total", "how" => "alert")
                        .increment(1);
                    self.by_group.insert(group_key, id);
                    self.apply(pending, incident, applied, now);
                    self.auto_diagnose(pending, id, now)?;
                    report.opened += 1;
                    Some(id)
                }
            };
            if let Some(id) = incident_id
                && !report.incidents.contains(&id)
            {
                report.incidents.push(id);
            }
            let first_seen = previous.as_ref().map(|p| p.first_seen).unwrap_or(now);
            pending.alerts.insert(
                identity,
                StoredAlert {
                    alert,
                    severity,
                    incident: incident_id,
                    first_seen,
                    last_changed: now,
                    stale_noted: None,
                },
            );
        }
        if truncated > 0 {
            for id in report.incidents.clone() {
                if let Some(incident) = self.incident(pending, id)? {
                    let mut applied = Applied::default();
                    applied.entries.push((
                        Actor::warroom(),
                        EntryKind::AlertsTruncated { count: truncated },
                    ));
                    self.apply(pending, incident, applied, now);
                }
            }
        }
        Ok(report)
    }
}
