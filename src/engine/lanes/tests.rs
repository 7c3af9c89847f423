//! Lane planning and the scheduler's backoff, without a chat.

use super::*;
use crate::domain::alert::AlertIdentity;

fn incident(n: u32) -> IncidentId {
    IncidentId::parse(&format!("INC-20261121-{n:03}")).unwrap()
}

fn item(key: u64, effect: Effect) -> OutboxItem {
    OutboxItem { key, effect }
}

fn keys(planned: &[(Lane, Vec<OutboxItem>)]) -> Vec<(Lane, Vec<u64>)> {
    planned
        .iter()
        .map(|(lane, items)| (*lane, items.iter().map(|i| i.key).collect()))
        .collect()
}

#[test]
fn items_are_grouped_by_room_in_stored_order_and_busy_lanes_wait() {
    let alert = AlertIdentity {
        source: crate::domain::alert::AlertSource::Alertmanager,
        fingerprint: "f".into(),
    };
    let items = || {
        vec![
            item(
                1,
                Effect::OpenRoom {
                    incident: incident(1),
                },
            ),
            item(
                2,
                Effect::OpenRoom {
                    incident: incident(2),
                },
            ),
            item(
                3,
                Effect::PostCard {
                    incident: incident(1),
                },
            ),
            item(
                4,
                Effect::PostAlert {
                    alert: alert.clone(),
                },
            ),
            item(
                5,
                Effect::PostCard {
                    incident: incident(2),
                },
            ),
            item(
                6,
                Effect::MentionRoles {
                    incident: incident(1),
                },
            ),
            item(
                7,
                Effect::OpenRoom {
                    incident: incident(3),
                },
            ),
        ]
    };
    let one = Lane::Incident(incident(1));
    let two = Lane::Incident(incident(2));
    let three = Lane::Incident(incident(3));
    type Case<'a> = (&'a [Lane], usize, Vec<(Lane, Vec<u64>)>);
    let table: [Case; 4] = [
        (
            &[],
            8,
            vec![
                (one, vec![1, 3, 6]),
                (two, vec![2, 5]),
                (Lane::Alerts, vec![4]),
                (three, vec![7]),
            ],
        ),
        // A busy room (in flight, or waiting out a 429) holds back only itself.
        (
            &[one],
            8,
            vec![(two, vec![2, 5]), (Lane::Alerts, vec![4]), (three, vec![7])],
        ),
        // Slots go to the lanes with the oldest items.
        (
            &[two],
            2,
            vec![(one, vec![1, 3, 6]), (Lane::Alerts, vec![4])],
        ),
        (&[], 0, vec![]),
    ];
    for (busy, slots, expected) in table {
        let planned = plan(items(), |lane| busy.contains(&lane), slots);
        assert_eq!(keys(&planned), expected, "busy {busy:?}, {slots} slots");
    }
}

#[test]
fn a_failing_lane_backs_off_alone_doubling_unless_the_chat_says_how_long() {
    let mut scheduler = Scheduler::default();
    let now = Instant::now();
    let lane = Lane::Incident(incident(1));
    let first = scheduler.lane_failed(lane, now, None);
    let second = scheduler.lane_failed(lane, now, None);
    assert_eq!((first, second), (FIRST_BACKOFF, FIRST_BACKOFF * 2));
    // What the chat said wins over the lane's own backoff, capped.
    assert_eq!(
        scheduler.lane_failed(lane, now, Some(Duration::from_millis(1234))),
        Duration::from_millis(1234)
    );
    assert_eq!(
        scheduler.lane_failed(lane, now, Some(Duration::from_secs(3600))),
        MAX_BACKOFF
    );
    // Another lane has its own backoff, and is held by nothing.
    assert!(!scheduler.waits.contains_key(&Lane::Alerts));
    assert_eq!(
        scheduler.lane_failed(Lane::Incident(incident(2)), now, None),
        FIRST_BACKOFF
    );
    // Waits the chat named do not move the lane's own backoff on: after them, the next
    // guess continues where the lane's own failures left it (two so far).
    for _ in 0..6 {
        scheduler.lane_failed(lane, now, Some(Duration::from_millis(500)));
    }
    assert_eq!(scheduler.lane_failed(lane, now, None), FIRST_BACKOFF * 4);
}

#[test]
fn a_room_that_refuses_warroom_is_logged_as_an_error_at_most_once_a_minute() {
    let mut scheduler = Scheduler::default();
    let now = Instant::now();
    let lane = Lane::Incident(incident(1));
    scheduler.lane_failed(lane, now, None);
    assert!(scheduler.forbidden_log_due(lane, now), "the first refusal");
    scheduler.lane_failed(lane, now + Duration::from_secs(30), None);
    assert!(
        !scheduler.forbidden_log_due(lane, now + Duration::from_secs(30)),
        "again within the minute"
    );
    assert!(scheduler.forbidden_log_due(lane, now + BLOCKED_LOG_INTERVAL));
    // Another room is logged on its own.
    let other = Lane::Incident(incident(2));
    scheduler.lane_failed(other, now, None);
    assert!(scheduler.forbidden_log_due(other, now + Duration::from_secs(1)));
}
