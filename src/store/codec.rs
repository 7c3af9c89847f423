//! Keys and versioned values.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::ids::IncidentId;
use crate::store::StoreError;

/// The record version this build writes.
const RECORD_VERSION: u32 = 1;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u32,
    data: &'a T,
}

#[derive(serde::Deserialize)]
struct EnvelopeIn<T> {
    v: u32,
    data: T,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&EnvelopeOut {
        v: RECORD_VERSION,
        data: value,
    })
    .map_err(|error| StoreError::Encode(error.to_string()))
}

pub fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason,
    };
    let envelope: EnvelopeIn<T> =
        serde_json::from_slice(bytes).map_err(|error| corrupt(error.to_string()))?;
    if envelope.v != RECORD_VERSION {
        return Err(corrupt(format!("unknown record version {}", envelope.v)));
    }
    Ok(envelope.data)
}

pub fn date_key(date: NaiveDate) -> u32 {
    // Dates are CE years in practice; the cast keeps yyyymmdd ordering.
    (date.year().max(0) as u32) * 10_000 + date.month() * 100 + date.day()
}

/// 8 bytes: yyyymmdd then the day's sequence, both big-endian, so incidents sort by id.
pub fn incident_key(id: IncidentId) -> [u8; 8] {
    let mut key = [0u8; 8];
    key[..4].copy_from_slice(&date_key(id.date()).to_be_bytes());
    key[4..].copy_from_slice(&id.sequence().to_be_bytes());
    key
}

pub fn timeline_key(id: IncidentId, seq: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&incident_key(id));
    key[8..].copy_from_slice(&seq.to_be_bytes());
    key
}

pub fn sequence_key(date: NaiveDate) -> Vec<u8> {
    format!("seq:{}", date_key(date)).into_bytes()
}

pub fn incident_from_key(key: &[u8]) -> Option<IncidentId> {
    let date = u32::from_be_bytes(key.get(..4)?.try_into().ok()?);
    let sequence = u32::from_be_bytes(key.get(4..8)?.try_into().ok()?);
    let date = NaiveDate::from_ymd_opt((date / 10_000) as i32, (date / 100) % 100, date % 100)?;
    Some(IncidentId::new(date, sequence))
}

pub fn u64_from(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_keys_sort_like_ids_and_round_trip() {
        let ids = [
            "INC-20251231-999",
            "INC-20261121-002",
            "INC-20261121-010",
            "INC-20261121-1000",
            "INC-20261122-001",
        ]
        .map(|text| IncidentId::parse(text).unwrap());
        for pair in ids.windows(2) {
            assert!(incident_key(pair[0]) < incident_key(pair[1]));
        }
        for id in ids {
            assert_eq!(incident_from_key(&incident_key(id)), Some(id));
        }
    }

    #[test]
    fn decode_rejects_unknown_versions_and_garbage() {
        let key = b"k";
        assert!(decode::<u32>(key, br#"{"v":2,"data":1}"#).is_err());
        assert!(decode::<u32>(key, b"not json").is_err());
        assert_eq!(decode::<u32>(key, &encode(&7u32).unwrap()).unwrap(), 7);
    }
}
