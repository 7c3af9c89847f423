//! Which incidents a page of the list shows: open ones first (newest first), then the
//! others (newest first), filtered by state and severity, paged by a cursor that names the
//! part of the list and the last incident shown. The open ones come from the engine's
//! in-memory open set, so no number of closed incidents can push them off page 1; only the
//! others are scanned from the store, within a budget.

use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::severity::Severity;
use crate::engine::port::{StoreError, StoreRead};

/// How many incidents one read of the store takes.
const SCAN_BATCH: usize = 200;
/// How many closed incidents one page may read from the store: a filter that matches few of
/// many stops here and offers the next page from where it stopped, so no request scans the
/// whole store. Open incidents come from memory and do not count.
const SCAN_BUDGET: usize = 5000;

/// The two parts of the list, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    Open,
    Recent,
}

/// Where a page starts: in `part`, after incident `after` (from its start when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub part: Part,
    pub after: Option<IncidentId>,
}

impl Cursor {
    pub const START: Cursor = Cursor {
        part: Part::Open,
        after: None,
    };

    /// Reads `open:INC-…`, `recent:INC-…`, `recent:` or nothing (the start).
    pub fn parse(text: &str) -> Result<Cursor, String> {
        if text.is_empty() {
            return Ok(Cursor::START);
        }
        let wrong = || {
            format!("after: \"{text}\" is not a list position; use the next-page link of the list")
        };
        let (part, id) = text.split_once(':').ok_or_else(wrong)?;
        let part = match part {
            "open" => Part::Open,
            "recent" => Part::Recent,
            _ => return Err(wrong()),
        };
        let after = match id {
            "" => None,
            id => Some(IncidentId::parse(id).map_err(|_| wrong())?),
        };
        Ok(Cursor { part, after })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let part = match self.part {
            Part::Open => "open",
            Part::Recent => "recent",
        };
        match self.after {
            Some(id) => write!(f, "{part}:{id}"),
            None => write!(f, "{part}:"),
        }
    }
}

/// What the person asked the list for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListFilter {
    pub state: Option<IncidentState>,
    pub severity: Option<Severity>,
    pub cursor: Cursor,
    pub limit: usize,
}

impl ListFilter {
    fn matches(&self, part: Part, incident: &Incident) -> bool {
        part_of(incident.state) == part
            && self.state.is_none_or(|state| incident.state == state)
            && self
                .severity
                .is_none_or(|severity| incident.severity == severity)
    }

    /// The parts this filter can show, in order.
    fn parts(&self) -> &'static [Part] {
        match self.state {
            Some(state) if state.is_open() => &[Part::Open],
            Some(_) => &[Part::Recent],
            None => &[Part::Open, Part::Recent],
        }
    }
}

fn part_of(state: IncidentState) -> Part {
    if state.is_open() {
        Part::Open
    } else {
        Part::Recent
    }
}

/// One page of the list and where the next one starts (`None`: this is the last).
#[derive(Debug)]
pub(crate) struct ListPage {
    pub incidents: Vec<Incident>,
    pub next: Option<Cursor>,
}

/// Reads one page: the open part from `open` (the engine's open incidents, in any order),
/// the rest from `store` (blocking: call it off the async runtime).
pub(crate) fn read_page(
    store: &dyn StoreRead,
    open: Vec<Incident>,
    filter: &ListFilter,
) -> Result<ListPage, StoreError> {
    scan(
        open,
        |before, limit| store.incidents_page(None, before, limit),
        filter,
        SCAN_BATCH,
        SCAN_BUDGET,
    )
}

/// Walks the open incidents (from memory), then the store's newest first
/// (`fetch(before, limit)` gives the next `limit` older than `before`) for the others,
/// keeping what the filter wants, until the page is full (one more than it shows says
/// another follows) or `budget` incidents were read from the store.
fn scan<E>(
    mut open: Vec<Incident>,
    fetch: impl Fn(Option<IncidentId>, usize) -> Result<Vec<Incident>, E>,
    filter: &ListFilter,
    batch: usize,
    budget: usize,
) -> Result<ListPage, E> {
    open.retain(|incident| incident.state.is_open());
    open.sort_by_key(|incident| std::cmp::Reverse(incident.id));
    let limit = filter.limit.max(1);
    let batch = batch.max(1);
    let mut incidents: Vec<Incident> = Vec::new();
    let mut scanned = 0usize;
    for part in filter.parts() {
        if *part < filter.cursor.part {
            continue;
        }
        let mut before = if *part == filter.cursor.part {
            filter.cursor.after
        } else {
            None
        };
        // The last incident of this part the reader has seen: where its next page starts.
        let mut shown_in_part = before;
        loop {
            let fetched = match part {
                Part::Open => open
                    .iter()
                    .filter(|incident| before.is_none_or(|before| incident.id < before))
                    .take(batch)
                    .cloned()
                    .collect(),
                Part::Recent => fetch(before, batch)?,
            };
            let full = fetched.len() == batch;
            for incident in fetched {
                let from_store = *part == Part::Recent;
                if from_store {
                    scanned += 1;
                }
                before = Some(incident.id);
                if filter.matches(*part, &incident) {
                    if incidents.len() == limit {
                        // One more matches: the next page starts after the last one shown
                        // of this part (at its start when the page ended in the part before).
                        return Ok(ListPage {
                            incidents,
                            next: Some(Cursor {
                                part: *part,
                                after: shown_in_part,
                            }),
                        });
                    }
                    shown_in_part = Some(incident.id);
                    incidents.push(incident);
                }
                if from_store && scanned >= budget {
                    return Ok(ListPage {
                        incidents,
                        next: Some(Cursor {
                            part: *part,
                            after: before,
                        }),
                    });
                }
            }
            if !full {
                break;
            }
        }
    }
    Ok(ListPage {
        incidents,
        next: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    use crate::domain::incident::{AlertCounts, Milestones, Roles};

    /// Incident number `n` of the day in `state` with `severity`.
    fn incident(n: u32, state: IncidentState, severity: Severity) -> Incident {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        Incident {
            id: IncidentId::new(day, n),
            title: format!("incident {n}"),
            severity,
            state,
            service: None,
            group_key: None,
            room: None,
            card: None,
            roles: Roles::default(),
            alerts: AlertCounts::default(),
            opened_at: Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap(),
            opened_by: "test".into(),
            summary: None,
            description: None,
            generator_url: None,
            runbook_url: None,
            last_alert_at: None,
            milestones: Milestones::default(),
            timeline_len: 0,
            reactions_recorded: Default::default(),
        }
    }

    /// Incidents 1..=8: odd ones resolved or closed, even ones open; 3 and 6 are sev1.
    fn store() -> Vec<Incident> {
        use IncidentState::*;
        let states = [
            Resolved,
            Triggered,
            Closed,
            Acknowledged,
            Resolved,
            Mitigated,
            Closed,
            Triggered,
        ];
        states
            .iter()
            .enumerate()
            .map(|(index, state)| {
                let n = index as u32 + 1;
                let severity = if n == 3 || n == 6 {
                    Severity::Sev1
                } else {
                    Severity::Sev3
                };
                incident(n, *state, severity)
            })
            .collect()
    }

    /// Every page of `filter` read with `batch` and `budget`: the ids per page.
    fn pages(filter: ListFilter, batch: usize, budget: usize) -> Vec<Vec<u32>> {
        pages_of(store(), filter, batch, budget)
    }

    /// Every page of `filter` over the incidents `all`, the open ones also given from
    /// memory as the engine does.
    fn pages_of(
        all: Vec<Incident>,
        filter: ListFilter,
        batch: usize,
        budget: usize,
    ) -> Vec<Vec<u32>> {
        let open: Vec<Incident> = all
            .iter()
            .filter(|incident| incident.state.is_open())
            .cloned()
            .collect();
        // Newest first, older than `before`, like the store.
        let fetch = |before: Option<IncidentId>, limit: usize| -> Result<Vec<Incident>, ()> {
            let mut older: Vec<Incident> = all
                .iter()
                .filter(|incident| before.is_none_or(|before| incident.id < before))
                .cloned()
                .collect();
            older.sort_by_key(|incident| std::cmp::Reverse(incident.id));
            older.truncate(limit);
            Ok(older)
        };
        let mut out = Vec::new();
        let mut filter = filter;
        for _ in 0..20 {
            let page = scan(open.clone(), fetch, &filter, batch, budget).unwrap();
            out.push(
                page.incidents
                    .iter()
                    .map(|incident| incident.id.to_string()[13..].parse().unwrap())
                    .collect(),
            );
            match page.next {
                Some(cursor) => filter.cursor = cursor,
                None => return out,
            }
        }
        panic!("the pages never end: {out:?}");
    }

    fn filter(
        state: Option<IncidentState>,
        severity: Option<Severity>,
        limit: usize,
    ) -> ListFilter {
        ListFilter {
            state,
            severity,
            cursor: Cursor::START,
            limit,
        }
    }

    #[test]
    fn open_incidents_come_first_then_the_others_each_newest_first_across_pages() {
        let cases: [(ListFilter, usize, usize, Vec<Vec<u32>>); 6] = [
            (
                filter(None, None, 50),
                200,
                5000,
                vec![vec![8, 6, 4, 2, 7, 5, 3, 1]],
            ),
            (
                filter(None, None, 3),
                200,
                5000,
                vec![vec![8, 6, 4], vec![2, 7, 5], vec![3, 1]],
            ),
            (
                filter(None, None, 4),
                2,
                5000,
                vec![vec![8, 6, 4, 2], vec![7, 5, 3, 1]],
            ),
            (
                filter(Some(IncidentState::Resolved), None, 50),
                3,
                5000,
                vec![vec![5, 1]],
            ),
            (
                filter(None, Some(Severity::Sev1), 1),
                200,
                5000,
                vec![vec![6], vec![3]],
            ),
            // A budget of 3 incidents read from the store a page still reaches every match,
            // in order; the open part (from memory) does not count.
            (
                filter(None, Some(Severity::Sev1), 50),
                2,
                3,
                vec![vec![6], vec![3], vec![]],
            ),
        ];
        for (filter, batch, budget, want) in cases {
            assert_eq!(
                pages(filter, batch, budget),
                want,
                "{filter:?} batch {batch} budget {budget}"
            );
        }
    }

    #[test]
    fn open_incidents_lead_page_one_whatever_the_number_of_newer_closed_ones() {
        // Incident 1 stays open while 2..=30, all newer, were resolved: more than the
        // budget of closed incidents one page may read.
        let mut all = vec![incident(1, IncidentState::Acknowledged, Severity::Sev2)];
        all.extend((2..=30).map(|n| incident(n, IncidentState::Resolved, Severity::Sev2)));
        let got = pages_of(all, filter(None, None, 5), 4, 3);
        assert_eq!(got[0], vec![1, 30, 29, 28], "page 1: {got:?}");
        let shown: Vec<u32> = got.concat();
        let mut want = vec![1];
        want.extend((2..=30).rev());
        assert_eq!(shown, want, "every incident once, in order: {got:?}");
    }

    #[test]
    fn cursors_read_back_what_they_write_and_refuse_anything_else() {
        let id = IncidentId::parse("INC-20261202-007").unwrap();
        let cases = [
            ("", Ok(Cursor::START)),
            (
                "open:INC-20261202-007",
                Ok(Cursor {
                    part: Part::Open,
                    after: Some(id),
                }),
            ),
            (
                "recent:",
                Ok(Cursor {
                    part: Part::Recent,
                    after: None,
                }),
            ),
            (
                "recent:INC-20261202-007",
                Ok(Cursor {
                    part: Part::Recent,
                    after: Some(id),
                }),
            ),
        ];
        for (text, want) in cases {
            let got = Cursor::parse(text);
            assert_eq!(got, want, "{text}");
            if let Ok(cursor) = got
                && !text.is_empty()
            {
                assert_eq!(cursor.to_string(), text);
            }
        }
        for bad in ["INC-20261202-007", "closed:", "open:nope", "open"] {
            let error = Cursor::parse(bad).unwrap_err();
            assert!(error.contains("next-page link"), "{bad}: {error}");
        }
    }
}
