//! How a `promql` result reads: the summary, room lines (series outside the thresholds
//! first) and the output, all bounded.

use std::collections::BTreeMap;

use super::{MAX_SERIES_IN_OUTPUT, MAX_SERIES_SHOWN, QueryResult};
use crate::domain::diagnosis::{format_value, threshold_breached};
use crate::domain::logs::cut_chars;
use crate::domain::message::Msg;
use crate::exec::http::one_line;

/// The longest label set shown, in characters.
const MAX_LABELS_CHARS: usize = 200;

/// `name{label="value", …}`, cut to a readable length.
pub fn format_labels(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("__name__").map(String::as_str).unwrap_or("");
    let rest: Vec<String> = labels
        .iter()
        .filter(|(key, _)| key.as_str() != "__name__")
        .map(|(key, value)| format!("{key}={value:?}"))
        .collect();
    let text = if rest.is_empty() && !name.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", rest.join(", "))
    };
    cut_chars(&text, MAX_LABELS_CHARS).to_owned()
}

/// The summary, room lines and output for a `promql` result, with `thresholds` (min, max)
/// marking the series outside them.
pub(super) fn describe_result(
    result: &QueryResult,
    range: Option<&str>,
    thresholds: (Option<f64>, Option<f64>),
) -> (Msg, Vec<Msg>, String) {
    let (min, max) = thresholds;
    let has_thresholds = min.is_some() || max.is_some();
    // Each series: its labels, the value judged (a range: the highest for a max threshold,
    // else the lowest for a min one, else the last) and its room and output lines.
    let mut lines: Vec<(bool, Msg, String)> = Vec::new();
    let count: usize;
    match result {
        QueryResult::Scalar(value) => {
            let summary = Msg::new("prom-scalar").word("value", format_value(*value));
            return (
                summary,
                Vec::new(),
                format!("scalar {}\n", format_value(*value)),
            );
        }
        QueryResult::Text(text) => {
            let summary = Msg::new("prom-scalar").outside("value", one_line(text));
            return (summary, Vec::new(), format!("string {text}\n"));
        }
        QueryResult::Vector(samples) => {
            count = samples.len();
            for sample in samples {
                let labels = format_labels(&sample.labels);
                let breached = has_thresholds && threshold_breached(sample.value, min, max);
                let room =
                    series_msg(&labels, sample.value, breached, min, max).unwrap_or_else(|| {
                        Msg::new("prom-series")
                            .outside("labels", &labels)
                            .word("value", format_value(sample.value))
                    });
                let output = format!("{labels} => {}", format_value(sample.value));
                lines.push((breached, room, output));
            }
        }
        QueryResult::Matrix(series) => {
            count = series.len();
            for one in series {
                let labels = format_labels(&one.labels);
                let values: Vec<f64> = one.values.iter().copied().filter(|v| !v.is_nan()).collect();
                let low = values.iter().copied().reduce(f64::min).unwrap_or(f64::NAN);
                let high = values.iter().copied().reduce(f64::max).unwrap_or(f64::NAN);
                let last = one.values.last().copied().unwrap_or(f64::NAN);
                let judged = if max.is_some_and(|max| high > max) {
                    high
                } else if min.is_some_and(|min| low < min) {
                    low
                } else {
                    last
                };
                let breached = has_thresholds && threshold_breached(judged, min, max);
                let room = series_msg(&labels, judged, breached, min, max).unwrap_or_else(|| {
                    Msg::new("prom-series-range")
                        .outside("labels", &labels)
                        .word("min", format_value(low))
                        .word("max", format_value(high))
                        .word("last", format_value(last))
                });
                let output = format!(
                    "{labels}: min {}, max {}, last {} ({} points)",
                    format_value(low),
                    format_value(high),
                    format_value(last),
                    one.values.len()
                );
                lines.push((breached, room, output));
            }
        }
    }
    if count == 0 {
        return (Msg::new("prom-no-data"), Vec::new(), "no data\n".to_owned());
    }
    // Breached series first, so the room shows them.
    lines.sort_by_key(|(breached, _, _)| !breached);
    let breached = lines.iter().filter(|(b, _, _)| *b).count();
    let series = u64::try_from(count).unwrap_or(u64::MAX);
    let summary = if has_thresholds {
        Msg::new("prom-threshold-summary")
            .number("breached", u64::try_from(breached).unwrap_or(u64::MAX))
            .number("series", series)
    } else if let Some(range) = range {
        Msg::new("prom-matrix")
            .number("series", series)
            .word("range", range)
    } else {
        Msg::new("prom-vector").number("series", series)
    };
    let mut details: Vec<Msg> = lines
        .iter()
        .take(MAX_SERIES_SHOWN)
        .map(|(_, room, _)| room.clone())
        .collect();
    if count > MAX_SERIES_SHOWN {
        details.push(Msg::new("prom-more-series").number(
            "count",
            u64::try_from(count - MAX_SERIES_SHOWN).unwrap_or(u64::MAX),
        ));
    }
    let mut output = String::new();
    for (breached, _, line) in lines.iter().take(MAX_SERIES_IN_OUTPUT) {
        output.push_str(line);
        if *breached {
            output.push_str("  [outside the thresholds]");
        }
        output.push('\n');
    }
    if count > MAX_SERIES_IN_OUTPUT {
        output.push_str(&format!("… {} more series\n", count - MAX_SERIES_IN_OUTPUT));
    }
    (summary, details, output)
}

/// The room line of a series outside its thresholds.
fn series_msg(
    labels: &str,
    value: f64,
    breached: bool,
    min: Option<f64>,
    max: Option<f64>,
) -> Option<Msg> {
    if !breached {
        return None;
    }
    match (max, min) {
        (Some(max), _) if value > max => Some(
            Msg::new("prom-series-above")
                .outside("labels", labels)
                .word("value", format_value(value))
                .word("threshold", format_value(max)),
        ),
        (_, Some(min)) => Some(
            Msg::new("prom-series-below")
                .outside("labels", labels)
                .word("value", format_value(value))
                .word("threshold", format_value(min)),
        ),
        _ => None,
    }
}
