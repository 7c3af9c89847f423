//! The one reading of "a duration" and of "a duration or a time", for config values
//! (`after = "5m"`, `sev1 = "30m"`), task due times, snoozes and on-call overrides, and the
//! one rule for turning a local wall-clock time into an instant (quiet hours, rotations'
//! hand-offs and starts, due times, overrides).
//!
//! The rules, stated once:
//! - a duration is humantime's (`30s`, `15m`, `4h`, `2d`, `1h 30m`), surrounding blanks
//!   ignored;
//! - a time is a duration from `now`, `HH:MM` (its next occurrence in the zone, today's
//!   while still ahead), a local `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (seconds optional)
//!   in the zone, or an RFC 3339 instant;
//! - a local time in a skipped hour means the end of the gap, and one in a repeated hour the
//!   first of its two instants, as the issue states for hand-offs.
//!
//! Bounds (how far ahead, how short) and the wording of refusals are the callers' own.
//! Pure: `now` is an argument.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Why a duration was refused; the text is as typed, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("\"{text}\" is not a duration like 30s or 4h ({reason})")]
    NotADuration { text: String, reason: String },
    #[error("\"{text}\" is outside {} to {}", describe_duration(*.least), describe_duration(*.most))]
    OutOfRange {
        text: String,
        least: Duration,
        most: Duration,
    },
}

/// Why a time was refused; the text is as typed, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error(
        "\"{0}\" is not a time; use a duration like 4h, a time like 18:00 or 2026-12-02 09:00, or RFC 3339"
    )]
    NotATime(String),
    /// A duration or date beyond what an instant can hold.
    #[error("\"{0}\" is too far ahead")]
    TooFar(String),
}

/// A duration (`30s`, `15m`, `4h`, `2d`), blanks around it ignored.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let not_a_duration = |reason: String| DurationError::NotADuration {
        text: text.to_owned(),
        reason,
    };
    let std = humantime::parse_duration(text).map_err(|error| not_a_duration(error.to_string()))?;
    Duration::from_std(std).map_err(|_| not_a_duration("too long".to_owned()))
}

/// A duration within `least..=most`: what every config key with bounds reads.
pub fn parse_duration_within(
    text: &str,
    least: Duration,
    most: Duration,
) -> Result<Duration, DurationError> {
    let duration = parse_duration(text)?;
    if (least..=most).contains(&duration) {
        Ok(duration)
    } else {
        Err(DurationError::OutOfRange {
            text: text.trim().to_owned(),
            least,
            most,
        })
    }
}

/// `1m`, `7days`, `1h 30m`: a duration as the config would write it.
pub fn describe_duration(duration: Duration) -> String {
    duration
        .to_std()
        .map(|std| humantime::format_duration(std).to_string())
        .unwrap_or_else(|_| duration.to_string())
}

/// The instant `text` names, read in `zone` at `now` (see the module doc for the forms). It
/// may lie in the past: whether that is allowed, and how far ahead is, is the caller's.
pub fn parse_when(text: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, WhenError> {
    let text = text.trim();
    match form(text) {
        Some(Form::Duration(std)) => Duration::from_std(std)
            .ok()
            .and_then(|duration| now.checked_add_signed(duration))
            .ok_or_else(|| WhenError::TooFar(text.to_owned())),
        Some(Form::Instant(instant)) => Ok(instant),
        Some(Form::Clock(clock)) => {
            next_local_time(clock, zone, now).ok_or_else(|| WhenError::TooFar(text.to_owned()))
        }
        Some(Form::Local(naive)) => Ok(local_instant(naive, zone)),
        None => Err(WhenError::NotATime(text.to_owned())),
    }
}

/// An absolute time: an RFC 3339 instant or a local `YYYY-MM-DD HH:MM` /
/// `YYYY-MM-DDTHH:MM` (seconds optional) read in `zone`; what a config file's `start` takes,
/// where "in 4h" or "18:00" would depend on when the file was read. `None` when it is
/// neither.
pub fn parse_absolute(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    match form(text.trim())? {
        Form::Instant(instant) => Some(instant),
        Form::Local(naive) => Some(local_instant(naive, zone)),
        Form::Duration(_) | Form::Clock(_) => None,
    }
}

/// Whether `text` has the form of a time [`parse_when`] reads, and starts with a digit (so a
/// title word like `week` is never taken for one); whether it is a good one is for
/// [`parse_when`] and the caller's bounds to say.
pub fn looks_like_when(text: &str) -> bool {
    let text = text.trim();
    text.starts_with(|c: char| c.is_ascii_digit()) && form(text).is_some()
}

/// The instant a local wall-clock time names in `zone`: the first of two in a repeated hour,
/// the end of the gap in a skipped one. Gaps in the time zone database begin and end on
/// whole minutes and last at most a day, so the end is found minute by minute within two
/// days; past that (no zone has such a gap) the wall time is read as UTC rather than fail.
pub fn local_instant(naive: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => {
            return time.with_timezone(&Utc);
        }
        LocalResult::None => {}
    }
    let minute = naive
        .with_second(0)
        .and_then(|time| time.with_nanosecond(0))
        .unwrap_or(naive);
    (1..=2 * 24 * 60)
        .find_map(
            |step| match zone.from_local_datetime(&(minute + Duration::minutes(step))) {
                LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => {
                    Some(time.with_timezone(&Utc))
                }
                LocalResult::None => None,
            },
        )
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// The forms of a time, recognised without a zone or a clock.
enum Form {
    Duration(std::time::Duration),
    Clock(NaiveTime),
    Local(NaiveDateTime),
    Instant(DateTime<Utc>),
}

const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
];

fn form(text: &str) -> Option<Form> {
    if let Ok(std) = humantime::parse_duration(text) {
        return Some(Form::Duration(std));
    }
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(Form::Instant(instant.with_timezone(&Utc)));
    }
    if let Ok(clock) = NaiveTime::parse_from_str(text, "%H:%M") {
        return Some(Form::Clock(clock));
    }
    LOCAL_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(Form::Local)
}

/// The next moment after `now` when the clock in `zone` shows `clock` (a skipped hour's
/// clock: the end of the gap): today's while still ahead, else tomorrow's.
fn next_local_time(clock: NaiveTime, zone: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&zone).date_naive();
    [today, today.succ_opt()?, today.succ_opt()?.succ_opt()?]
        .into_iter()
        .map(|day| local_instant(day.and_time(clock), zone))
        .find(|time| *time > now)
}

#[cfg(test)]
mod tests;
