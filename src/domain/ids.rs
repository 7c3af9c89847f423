//! Identifiers parsed at the edge: incident ids, user names, rooms and messages.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `INC-YYYYMMDD-NNN`: the day the incident was opened and that day's sequence number
/// (at least three digits, more once a day passes 999 incidents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentId {
    date: NaiveDate,
    sequence: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an incident id; expected INC-YYYYMMDD-NNN, e.g. INC-20261121-003")]
pub struct IncidentIdParseError(pub String);

impl IncidentId {
    pub fn new(date: NaiveDate, sequence: u32) -> IncidentId {
        IncidentId { date, sequence }
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    pub fn parse(text: &str) -> Result<IncidentId, IncidentIdParseError> {
        let error = || IncidentIdParseError(text.to_owned());
        let rest = text
            .trim()
            .strip_prefix("INC-")
            .or_else(|| text.trim().strip_prefix("inc-"))
            .ok_or_else(error)?;
        let (day, sequence) = rest.split_once('-').ok_or_else(error)?;
        if day.len() != 8 || sequence.len() < 3 || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let date = NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| error())?;
        let sequence: u32 = sequence.parse().map_err(|_| error())?;
        if sequence == 0 {
            return Err(error());
        }
        Ok(IncidentId { date, sequence })
    }
}

impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "INC-{}-{:03}", self.date.format("%Y%m%d"), self.sequence)
    }
}

impl std::str::FromStr for IncidentId {
    type Err = IncidentIdParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IncidentId::parse(s)
    }
}

impl Serialize for IncidentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IncidentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IncidentId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A person as the chat knows them (console user name, or Discord user id later).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did something on the timeline: a person, or warroom itself, or an alert source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(pub String);

impl Actor {
    pub fn warroom() -> Actor {
        Actor("warroom".to_owned())
    }

    pub fn user(user: &UserId) -> Actor {
        Actor(format!("user:{}", user.0))
    }

    pub fn source(source: crate::domain::alert::AlertSource) -> Actor {
        Actor(format!("source:{source}"))
    }
}

/// A chat room (console room id or Discord channel id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoomId(pub String);

impl std::fmt::Display for RoomId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A chat message (console message id or Discord message id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub String);

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_id_round_trips_and_pads_to_three_digits() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let cases = [
            (3, "INC-20261121-003"),
            (42, "INC-20261121-042"),
            (999, "INC-20261121-999"),
            (1000, "INC-20261121-1000"),
        ];
        for (sequence, text) in cases {
            let id = IncidentId::new(date, sequence);
            assert_eq!(id.to_string(), text);
            assert_eq!(IncidentId::parse(text).unwrap(), id);
        }
    }

    #[test]
    fn incident_id_rejects_malformed_text() {
        for text in [
            "",
            "INC-",
            "INC-20261121",
            "INC-20261121-1",
            "INC-20261321-001",
            "INC-2026112-001",
            "INC-20261121-000",
            "INC-20261121-00a",
            "XYZ-20261121-001",
            "INC-20261121-99999999999",
        ] {
            assert!(IncidentId::parse(text).is_err(), "accepted {text:?}");
        }
    }

    #[test]
    fn incident_ids_order_by_day_then_sequence() {
        let a = IncidentId::parse("INC-20261121-999").unwrap();
        let b = IncidentId::parse("INC-20261121-1000").unwrap();
        let c = IncidentId::parse("INC-20261122-001").unwrap();
        assert!(a < b && b < c);
    }
}
