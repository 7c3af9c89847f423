//! Rules about alerts as senders deliver them: which firings are stale (a late or replayed
//! delivery of an occurrence that already resolved) and which start times are implausible.

use chrono::{DateTime, Duration, Utc};

use crate::domain::alert::{Alert, AlertStatus};
use crate::domain::decide::Applied;
use crate::domain::ids::Actor;
use crate::domain::timeline::EntryKind;

/// A firing that started no later than the resolve stored for the same alert describes the
/// occurrence that already ended: Alertmanager retries and replays can deliver it after the
/// resolve. A real new occurrence starts after the old one.
pub fn is_stale_firing(stored: &Alert, incoming: &Alert) -> bool {
    stored.status == AlertStatus::Resolved
        && incoming.status == AlertStatus::Firing
        && incoming.starts_at <= stored.starts_at
}

/// The earliest plausible start of an alert: senders without a clock or with a zero value
/// send 1970 or year 1, and some send a start in the future.
pub fn earliest_plausible_start() -> DateTime<Utc> {
    // 2000-01-01T00:00:00Z is 946684800 s after the epoch, a valid timestamp.
    DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or_default()
}

/// How far a sender's clock may run ahead of warroom's before a start "after receipt" is
/// called implausible rather than skew.
pub const CLOCK_SKEW_TOLERANCE_SECONDS: i64 = 60;

/// The start used for durations: the alert's own, or the receipt time `now` when the
/// alert's is before 2000 or after `now` (beyond a little clock skew, which is clamped to
/// `now` silently). `Some(original)` says it was corrected.
pub fn effective_start(
    alert: &Alert,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let skew = Duration::seconds(CLOCK_SKEW_TOLERANCE_SECONDS);
    if alert.starts_at < earliest_plausible_start() || alert.starts_at > now + skew {
        (now, Some(alert.starts_at))
    } else {
        (alert.starts_at.min(now), None)
    }
}

/// What to record about a stale firing on the incident it belonged to.
pub fn note_stale_alert(alert: &Alert) -> Applied {
    let mut applied = Applied::default();
    applied.entry(
        &Actor::source(alert.source),
        EntryKind::StaleAlertIgnored {
            source: alert.source,
            fingerprint: alert.fingerprint.clone(),
            name: alert.name.clone(),
            starts_at: alert.starts_at,
        },
    );
    applied
}

#[cfg(test)]
mod tests {
    use super::*;
    // One set of alert fixtures for the domain's tests: decide's.
    use crate::domain::decide::tests::{alert, at, id};
    use crate::domain::decide::{Policy, apply_alert_to_incident, open_incident_from_alert};

    #[test]
    fn stale_firings_are_those_not_newer_than_the_stored_resolve() {
        let resolved = alert("f1", "checkout", "critical", AlertStatus::Resolved);
        let firing = alert("f1", "checkout", "critical", AlertStatus::Firing);
        let cases = [
            ("same start", &resolved, "2026-11-21T10:00:00Z", true),
            ("older start", &resolved, "2026-11-21T09:00:00Z", true),
            ("newer start", &resolved, "2026-11-21T10:00:01Z", false),
            ("stored is firing", &firing, "2026-11-21T09:00:00Z", false),
        ];
        for (name, stored, start, stale) in cases {
            let mut incoming = firing.clone();
            incoming.starts_at = at(start);
            assert_eq!(is_stale_firing(stored, &incoming), stale, "{name}");
        }
        // A resolve is never stale: it is how an occurrence ends.
        assert!(!is_stale_firing(&resolved, &resolved));
    }

    #[test]
    fn implausible_starts_use_the_receipt_time_and_say_so() {
        let policy = Policy::standard();
        let now = at("2026-11-21T10:01:00Z");
        let cases = [
            ("0001-01-01T00:00:00Z", true),
            ("1970-01-01T00:00:00Z", true),
            ("1999-12-31T23:59:59Z", true),
            ("2026-11-21T10:30:00Z", true),
            ("2026-11-21T10:02:01Z", true),
            ("2000-01-01T00:00:00Z", false),
            ("2026-11-21T10:01:00Z", false),
            ("2026-11-21T10:02:00Z", false),
            ("2026-11-21T09:00:00Z", false),
        ];
        for (start, corrected) in cases {
            let mut first = alert("f1", "checkout", "critical", AlertStatus::Firing);
            first.starts_at = at(start);
            let (incident, applied) =
                open_incident_from_alert(&policy, id(1), &first, "g".to_owned(), now);
            let expected_occurred = if corrected { now } else { at(start).min(now) };
            assert_eq!(
                incident.milestones.occurred,
                Some(expected_occurred),
                "{start}"
            );
            let noted = applied.entries.iter().any(|(_, kind)| {
                matches!(kind, EntryKind::AlertStartCorrected { original, used, .. }
                    if *original == at(start) && *used == now)
            });
            assert_eq!(noted, corrected, "{start}");
            // A later alert with a bad start does not drag the incident's start back.
            let mut incident = incident;
            let mut bad = alert("f2", "checkout", "critical", AlertStatus::Firing);
            bad.starts_at = at("1970-01-01T00:00:00Z");
            apply_alert_to_incident(&policy, &mut incident, None, &bad, now);
            assert_eq!(
                incident.milestones.occurred,
                Some(expected_occurred),
                "{start}"
            );
        }
    }
}
