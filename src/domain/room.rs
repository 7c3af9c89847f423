//! Room names: derived once from the incident id and title, never from changing state
//! (Discord allows about two renames per ten minutes).

use crate::domain::ids::IncidentId;

pub const MAX_ROOM_NAME_CHARS: usize = 100;

/// `inc-20261121-003-payment-gateway-latency`: lowercase ASCII letters, digits and single
/// dashes, at most 100 characters, cut at a word boundary where possible.
pub fn room_name(id: &IncidentId, title: &str) -> String {
    let prefix = id.to_string().to_ascii_lowercase();
    let mut slug = String::new();
    for ch in title.chars() {
        let ch = ch.to_ascii_lowercase();
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let budget = MAX_ROOM_NAME_CHARS - prefix.len() - 1;
    if slug.len() > budget {
        slug.truncate(budget);
        if let Some(cut) = slug.rfind('-').filter(|cut| *cut > budget / 2) {
            slug.truncate(cut);
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        prefix
    } else {
        format!("{prefix}-{slug}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_sanitized_and_bounded() {
        let id = IncidentId::parse("INC-20261121-003").unwrap();
        let cases = [
            (
                "Payment gateway latency",
                "inc-20261121-003-payment-gateway-latency",
            ),
            (
                "  Checkout API p99 latency > 2s!! ",
                "inc-20261121-003-checkout-api-p99-latency-2s",
            ),
            ("支付网关延迟", "inc-20261121-003"),
            ("DB: 主库 failover", "inc-20261121-003-db-failover"),
            ("---", "inc-20261121-003"),
        ];
        for (title, expected) in cases {
            assert_eq!(room_name(&id, title), expected, "title {title:?}");
        }
        let long = "word ".repeat(60);
        let name = room_name(&id, &long);
        assert!(name.len() <= MAX_ROOM_NAME_CHARS, "{name}");
        assert!(!name.ends_with('-'));
        assert!(name.starts_with("inc-20261121-003-word-word"));
    }
}
