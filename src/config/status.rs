//! `[status_updates]`: how long an open incident of each severity may go without a status
//! update (`sev1 = "30m"`) before its commander and communications lead are reminded.

use super::*;

/// The shortest and longest interval a severity may have.
pub const STATUS_UPDATE_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(24 * 3600));

/// The intervals by severity; problems name the key (`status_updates.sev1`).
pub(super) fn status_update_intervals(
    section: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> BTreeMap<Severity, chrono::Duration> {
    let mut intervals = BTreeMap::new();
    for (name, text) in section {
        let Ok(severity) = Severity::parse(name) else {
            problems.push(format!(
                "status_updates.{name}: \"{name}\" is not a severity; use sev1, sev2, sev3 or sev4"
            ));
            continue;
        };
        let key = format!("status_updates.{name}");
        let before = problems.len();
        let interval = parse_duration(&key, Some(text), "30m", STATUS_UPDATE_BOUNDS, problems);
        if problems.len() > before {
            continue;
        }
        if intervals.contains_key(&severity) {
            problems.push(format!(
                "{key}: {severity} already has an interval under another spelling"
            ));
            continue;
        }
        match chrono::Duration::from_std(interval) {
            Ok(interval) => {
                intervals.insert(severity, interval);
            }
            Err(error) => problems.push(format!("{key}: \"{text}\" is too long ({error})")),
        }
    }
    intervals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_read_by_severity_and_problems_name_their_key() {
        let section = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let mut problems = Vec::new();
        let read = status_update_intervals(
            &section(&[("sev1", " 30m"), ("sev2", "1h ")]),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            read,
            BTreeMap::from([
                (Severity::Sev1, chrono::Duration::minutes(30)),
                (Severity::Sev2, chrono::Duration::hours(1)),
            ])
        );
        let table: [(&str, &str, &str); 5] = [
            (
                "sev9",
                "30m",
                "status_updates.sev9: \"sev9\" is not a severity",
            ),
            (
                "sev1",
                "soon",
                "status_updates.sev1: \"soon\" is not a duration like 30s or 4h",
            ),
            (
                "sev1",
                "10s",
                "status_updates.sev1: \"10s\" is outside 1m to 1day",
            ),
            (
                "sev2",
                "2days",
                "status_updates.sev2: \"2days\" is outside 1m to 1day",
            ),
            ("sev3", "", "status_updates.sev3: \"\" is not a duration"),
        ];
        for (name, value, expected) in table {
            let mut problems = Vec::new();
            let read = status_update_intervals(&section(&[(name, value)]), &mut problems);
            assert!(read.is_empty(), "{name} = {value}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].starts_with(expected), "{}", problems[0]);
        }
        let mut problems = Vec::new();
        status_update_intervals(&section(&[("1", "30m"), ("sev1", "1h")]), &mut problems);
        assert!(
            problems[0].contains("already has an interval"),
            "{problems:?}"
        );
    }
}
