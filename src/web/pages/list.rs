//! Which incidents a page of the list shows: open ones first (newest first), then the
//! others (newest first), filtered by state and severity, paged by a cursor that names the
//! part of the list and the last incident shown.

use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentState};
use crate::domain::severity::Severity;
use crate::engine::port::{StoreError, StoreRead};

/// How many incidents one read of the store takes.
const SCAN_BATCH: usize = 200;
/// How many incidents one page may look at: a filter that matches few of many stops here
/// and offers the next page from where it stopped, so no request scans the whole store.
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

/// Reads one page from `store` (blocking: call it off the async runtime).
pub(crate) fn read_page(
    store: &dyn StoreRead,
    filter: &ListFilter,
) -> Result<ListPage, StoreError> {
    let limit = filter.limit.max(1);
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
        loop {
            let batch = store.incidents_page(None, before, SCAN_BATCH)?;
            let full = batch.len() == SCAN_BATCH;
            for incident in batch {
                scanned += 1;
                before = Some(incident.id);
                if filter.matches(*part, &incident) {
                    if incidents.len() == limit {
                        // One more matches: the next page starts after the last one shown.
                        let after = incidents.last().map(|shown| shown.id);
                        return Ok(ListPage {
                            incidents,
                            next: Some(Cursor { part: *part, after }),
                        });
                    }
                    incidents.push(incident);
                }
                if scanned >= SCAN_BUDGET {
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
