//! The alerts-over-time chart, drawn as SVG on the server: no script, no CDN.
//!
//! A pure function of the alert times it is given (and the range and zone to draw them in):
//! it reads no clock and no store, so a test pins every pixel. The SVG carries presentation
//! attributes only (`fill`, `font-size`), never a `style=` attribute, because the
//! Content-Security-Policy allows styles from warroom's own stylesheet alone; and every
//! text it prints (the incident's title, the labels) is escaped, because titles come from
//! alerts.

use chrono::{DateTime, Utc};

/// The texts a chart shows, already in the viewer's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLabels {
    /// The chart's accessible title (`<title>`), e.g. "Alerts over time: checkout down".
    pub title: String,
    /// The legend for alerts that fired.
    pub firing: String,
    /// The legend for alerts that resolved.
    pub resolved: String,
    /// Shown instead of bars when there are no alerts at all (a declared incident).
    pub empty: String,
}

/// What a chart draws: when alerts fired and resolved, over `from..=to`, with times shown in
/// `zone`.
#[derive(Debug, Clone)]
pub struct AlertsChart<'a> {
    pub labels: &'a ChartLabels,
    pub firing: &'a [DateTime<Utc>],
    pub resolved: &'a [DateTime<Utc>],
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub zone: chrono_tz::Tz,
}

/// The chart's size in CSS pixels (the `<img>` shows it at this size unless CSS says else).
pub const CHART_WIDTH: u32 = 480;
pub const CHART_HEIGHT: u32 = 170;
/// At most this many bars (buckets) across; wider ranges get wider buckets.
pub const MAX_BUCKETS: usize = 48;

/// Alerts counted per bucket of equal width starting at `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    pub start: DateTime<Utc>,
    pub step_seconds: i64,
    pub firing: Vec<u32>,
    pub resolved: Vec<u32>,
}

/// The SVG document of `chart`.
pub fn alerts_chart_svg(chart: &AlertsChart<'_>) -> String {
    let buckets = buckets(chart.firing, chart.resolved, chart.from, chart.to);
    let width = f64::from(CHART_WIDTH);
    let height = f64::from(CHART_HEIGHT);
    let (left, right, top, bottom) = (36.0, width - 8.0, 10.0, height - 46.0);
    let mut svg = String::with_capacity(4096);
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{CHART_WIDTH}\" height=\"{CHART_HEIGHT}\" \
         viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" role=\"img\" aria-labelledby=\"chart-title\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    ));
    svg.push_str(&format!(
        "<title id=\"chart-title\">{}</title>",
        escape_xml(&chart.labels.title)
    ));
    svg.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{CHART_WIDTH}\" height=\"{CHART_HEIGHT}\" fill=\"#ffffff\"/>"
    ));
    // The axes.
    svg.push_str(&format!(
        "<path d=\"M{left} {top}V{bottom}H{right}\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1\"/>"
    ));
    let highest = buckets
        .firing
        .iter()
        .chain(&buckets.resolved)
        .copied()
        .max()
        .unwrap_or(0);
    if highest == 0 {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555555\">{}</text>",
            (left + right) / 2.0,
            (top + bottom) / 2.0,
            escape_xml(&chart.labels.empty)
        ));
    } else {
        let slot = (right - left) / buckets.firing.len().max(1) as f64;
        // Two bars per slot (fired, resolved), centred; never so wide that one lone bucket
        // fills the chart.
        let bar = (slot / 2.0 - 1.0).clamp(0.5, 16.0);
        let scale = (bottom - top) / f64::from(highest);
        for (index, (firing, resolved)) in buckets.firing.iter().zip(&buckets.resolved).enumerate()
        {
            let x = left + slot * index as f64 + (slot - 2.0 * bar) / 2.0;
            for (offset, count, fill) in
                [(0.0, *firing, FIRING_FILL), (bar, *resolved, RESOLVED_FILL)]
            {
                if count == 0 {
                    continue;
                }
                let bar_height = f64::from(count) * scale;
                svg.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{bar_height:.1}\" fill=\"{fill}\"><title>{count}</title></rect>",
                    x + offset,
                    bottom - bar_height,
                ));
            }
        }
        // The scale: zero and the highest count.
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">{highest}</text>\
             <text x=\"{}\" y=\"{bottom}\" text-anchor=\"end\" fill=\"#555555\">0</text>",
            left - 4.0,
            top + 8.0,
            left - 4.0,
        ));
    }
    // The range's ends, in the viewer's zone.
    let end = buckets.start
        + chrono::Duration::seconds(buckets.step_seconds * buckets.firing.len() as i64);
    let (first, last) = time_labels(buckets.start, end, chart.zone);
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"{}\" text-anchor=\"start\" fill=\"#555555\">{}</text>\
         <text x=\"{right}\" y=\"{}\" text-anchor=\"end\" fill=\"#555555\">{}</text>",
        bottom + 14.0,
        escape_xml(&first),
        bottom + 14.0,
        escape_xml(&last),
    ));
    // The legend.
    let legend_y = height - 10.0;
    svg.push_str(&format!(
        "<rect x=\"{left}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{FIRING_FILL}\"/>\
         <text x=\"{}\" y=\"{legend_y}\" fill=\"#333333\">{}</text>\
         <rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{RESOLVED_FILL}\"/>\
         <text x=\"{}\" y=\"{legend_y}\" fill=\"#333333\">{}</text>",
        legend_y - 9.0,
        left + 14.0,
        escape_xml(&chart.labels.firing),
        left + 140.0,
        legend_y - 9.0,
        left + 154.0,
        escape_xml(&chart.labels.resolved),
    ));
    svg.push_str("</svg>");
    svg
}

/// Counts `firing` and `resolved` into at most [`MAX_BUCKETS`] buckets of a round width
/// (1 min, 5 min, … 1 week) covering `from..=to`; times outside the range count in the
/// nearest end bucket.
pub fn buckets(
    firing: &[DateTime<Utc>],
    resolved: &[DateTime<Utc>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Buckets {
    let to = to.max(from);
    let span = (to - from).num_seconds().max(1);
    let step_seconds = ROUND_STEPS_SECONDS
        .iter()
        .copied()
        .find(|step| ceil_div(span, *step) <= MAX_BUCKETS as i64)
        .unwrap_or_else(|| ceil_div(span, MAX_BUCKETS as i64));
    let start_seconds = from.timestamp().div_euclid(step_seconds) * step_seconds;
    let start = DateTime::from_timestamp(start_seconds, 0).unwrap_or(from);
    let count = usize::try_from(ceil_div(to.timestamp() - start_seconds, step_seconds))
        .unwrap_or(1)
        .clamp(1, MAX_BUCKETS);
    let count_into = |times: &[DateTime<Utc>]| {
        let mut counts = vec![0u32; count];
        for at in times {
            let index = (at.timestamp() - start_seconds).div_euclid(step_seconds);
            let index = usize::try_from(index.max(0)).unwrap_or(0).min(count - 1);
            if let Some(slot) = counts.get_mut(index) {
                *slot = slot.saturating_add(1);
            }
        }
        counts
    };
    Buckets {
        start,
        step_seconds,
        firing: count_into(firing),
        resolved: count_into(resolved),
    }
}

/// Text for XML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 allows no other control characters, even escaped.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator - 1).div_euclid(denominator.max(1))
}

const FIRING_FILL: &str = "#d9480f";
const RESOLVED_FILL: &str = "#2b8a3e";

const ROUND_STEPS_SECONDS: [i64; 13] = [
    60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
];

/// The range's first and last moments in `zone`: clock times when both fall on one day,
/// else dates too.
fn time_labels(from: DateTime<Utc>, to: DateTime<Utc>, zone: chrono_tz::Tz) -> (String, String) {
    let (from, to) = (from.with_timezone(&zone), to.with_timezone(&zone));
    let format = if from.date_naive() == to.date_naive() {
        "%H:%M"
    } else {
        "%m-%d %H:%M"
    };
    (
        from.format(format).to_string(),
        to.format(format).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn labels(title: &str) -> ChartLabels {
        ChartLabels {
            title: title.to_owned(),
            firing: "firing".to_owned(),
            resolved: "resolved".to_owned(),
            empty: "no alerts".to_owned(),
        }
    }

    #[test]
    fn alerts_count_into_round_buckets_that_cover_the_range() {
        struct Case {
            name: &'static str,
            firing: &'static [&'static str],
            resolved: &'static [&'static str],
            from: &'static str,
            to: &'static str,
            step: i64,
            start: &'static str,
            firing_counts: Vec<u32>,
            resolved_counts: Vec<u32>,
        }
        let cases = [
            Case {
                name: "minutes over a quarter hour",
                firing: &[
                    "2026-11-21T10:00:10Z",
                    "2026-11-21T10:00:50Z",
                    "2026-11-21T10:02:00Z",
                ],
                resolved: &["2026-11-21T10:04:59Z"],
                from: "2026-11-21T10:00:10Z",
                to: "2026-11-21T10:04:59Z",
                step: 60,
                start: "2026-11-21T10:00:00Z",
                firing_counts: vec![2, 0, 1, 0, 0],
                resolved_counts: vec![0, 0, 0, 0, 1],
            },
            Case {
                name: "a day in hours",
                firing: &["2026-11-21T00:30:00Z", "2026-11-21T23:59:00Z"],
                resolved: &[],
                from: "2026-11-21T00:30:00Z",
                to: "2026-11-22T00:00:00Z",
                step: 1_800,
                start: "2026-11-21T00:30:00Z",
                // 23.5 hours in 47 half hours; 23:59 falls in the last.
                firing_counts: [vec![1], vec![0; 45], vec![1]].concat(),
                resolved_counts: vec![0; 47],
            },
            Case {
                name: "times outside the range count at its ends",
                firing: &["2026-11-21T09:00:00Z", "2026-11-21T11:00:00Z"],
                resolved: &[],
                from: "2026-11-21T10:00:00Z",
                to: "2026-11-21T10:02:00Z",
                step: 60,
                start: "2026-11-21T10:00:00Z",
                firing_counts: vec![1, 1],
                resolved_counts: vec![0, 0],
            },
            Case {
                name: "one moment",
                firing: &["2026-11-21T10:00:00Z"],
                resolved: &[],
                from: "2026-11-21T10:00:00Z",
                to: "2026-11-21T10:00:00Z",
                step: 60,
                start: "2026-11-21T10:00:00Z",
                firing_counts: vec![1],
                resolved_counts: vec![0],
            },
            Case {
                name: "an end before the start is the start",
                firing: &[],
                resolved: &[],
                from: "2026-11-21T10:00:00Z",
                to: "2026-11-21T09:00:00Z",
                step: 60,
                start: "2026-11-21T10:00:00Z",
                firing_counts: vec![0],
                resolved_counts: vec![0],
            },
        ];
        for case in cases {
            let times = |texts: &[&str]| texts.iter().map(|text| at(text)).collect::<Vec<_>>();
            let got = buckets(
                &times(case.firing),
                &times(case.resolved),
                at(case.from),
                at(case.to),
            );
            assert_eq!(got.step_seconds, case.step, "{}", case.name);
            assert_eq!(got.start, at(case.start), "{}", case.name);
            assert_eq!(got.firing, case.firing_counts, "{}", case.name);
            assert_eq!(got.resolved, case.resolved_counts, "{}", case.name);
        }
    }

    #[test]
    fn a_range_of_years_still_draws_at_most_the_bucket_limit() {
        let got = buckets(
            &[at("2020-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z")],
            &[],
            at("2020-01-01T00:00:00Z"),
            at("2026-01-01T00:00:00Z"),
        );
        assert!(got.firing.len() <= MAX_BUCKETS, "{}", got.firing.len());
        assert_eq!(got.firing.iter().sum::<u32>(), 2);
    }

    #[test]
    fn the_chart_escapes_every_text_and_has_no_style_attributes() {
        let labels = ChartLabels {
            title: "<script>alert(1)</script> & \"><img src=x onerror=alert(1)>".to_owned(),
            firing: "<b>firing</b>".to_owned(),
            resolved: "res'olved".to_owned(),
            empty: "none".to_owned(),
        };
        let svg = alerts_chart_svg(&AlertsChart {
            labels: &labels,
            firing: &[at("2026-11-21T10:00:00Z")],
            resolved: &[at("2026-11-21T10:03:00Z")],
            from: at("2026-11-21T10:00:00Z"),
            to: at("2026-11-21T10:05:00Z"),
            zone: chrono_tz::UTC,
        });
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<img"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(
            svg.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
            ),
            "{svg}"
        );
        assert!(svg.contains("res&#39;olved"), "{svg}");
        assert!(!svg.contains("style="), "{svg}");
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"), "{svg}");
    }

    #[test]
    fn bars_stand_for_the_counts_and_the_scale_names_the_highest() {
        let labels = labels("t");
        let svg = alerts_chart_svg(&AlertsChart {
            labels: &labels,
            firing: &[
                at("2026-11-21T10:00:00Z"),
                at("2026-11-21T10:00:30Z"),
                at("2026-11-21T10:00:40Z"),
                at("2026-11-21T10:02:00Z"),
            ],
            resolved: &[at("2026-11-21T10:03:00Z")],
            from: at("2026-11-21T10:00:00Z"),
            to: at("2026-11-21T10:04:00Z"),
            zone: chrono_tz::UTC,
        });
        // Three bars (buckets with firing 3 and 1, resolved 1), each titled with its count.
        assert_eq!(svg.matches("<title>").count(), 3, "{svg}");
        assert!(svg.contains("<title>3</title>"), "{svg}");
        assert!(svg.contains(">3</text>"), "{svg}");
        assert!(!svg.contains("no alerts"), "{svg}");
    }

    #[test]
    fn the_range_is_labelled_in_the_viewers_zone_with_dates_when_it_spans_days() {
        let labels = labels("t");
        let chart = |zone, to| {
            alerts_chart_svg(&AlertsChart {
                labels: &labels,
                firing: &[at("2026-11-21T10:00:00Z")],
                resolved: &[],
                from: at("2026-11-21T10:00:00Z"),
                to: at(to),
                zone,
            })
        };
        let shanghai = chart(chrono_tz::Asia::Shanghai, "2026-11-21T10:04:00Z");
        assert!(shanghai.contains(">18:00</text>"), "{shanghai}");
        assert!(shanghai.contains(">18:04</text>"), "{shanghai}");
        let days = chart(chrono_tz::UTC, "2026-11-23T10:00:00Z");
        assert!(days.contains(">11-21 10:00</text>"), "{days}");
    }

    #[test]
    fn no_alerts_draw_the_empty_text_and_no_bars() {
        let labels = labels("t");
        let svg = alerts_chart_svg(&AlertsChart {
            labels: &labels,
            firing: &[],
            resolved: &[],
            from: at("2026-11-21T10:00:00Z"),
            to: at("2026-11-21T10:30:00Z"),
            zone: chrono_tz::UTC,
        });
        assert!(svg.contains(">no alerts</text>"), "{svg}");
        assert_eq!(svg.matches("<title>").count(), 0, "{svg}");
    }
}
