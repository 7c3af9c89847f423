//! The timeline view (`/incidents/{id}/timeline`, filtered by kind, times in the viewer's
//! zone and language), the incident's durations and its alerts chart.
//!
//! Entries read as they do in chat: each is the chat's own timeline line
//! ([`crate::engine::timeline_lines`]) in the viewer's language and zone, with its number and
//! time shown in columns of their own. Pages are read through the same store paging as the
//! JSON read API ([`crate::http::read::read_timeline_page`]).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::domain::alert::AlertStatus;
use crate::domain::ids::IncidentId;
use crate::domain::incident::Incident;
use crate::domain::message::{Arg, Msg};
use crate::domain::timeline::{EntryKind, TimelineEntry};
use crate::http::AppState;
use crate::http::read::{read_incident, read_timeline_page};
use crate::i18n::I18n;
use crate::web::chart::{AlertsChart, ChartLabels, alerts_chart_svg};
use crate::web::{Viewer, WebError, WebRoutes, web_of};

pub(super) fn routes(mut routes: WebRoutes) -> WebRoutes {
    routes.pages = routes
        .pages
        .route("/incidents/{id}/timeline", get(timeline_page))
        .route("/incidents/{id}/alerts.svg", get(alerts_chart));
    routes
}

/// The durations block of a war room (`section#durations`): detect, acknowledge, mitigate,
/// resolve, with units in the viewer's language, the alerts chart and the timeline's link.
/// The war room shows it, and so does the timeline page, above the entries.
pub(super) fn durations_html(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
) -> Result<String, WebError> {
    render_durations(state, viewer, incident, true)
}

fn render_durations(
    state: &AppState,
    viewer: &Viewer,
    incident: &Incident,
    timeline_link: bool,
) -> Result<String, WebError> {
    let web = web_of(state)?;
    let durations = incident.milestones.durations();
    let rows: Vec<DurationRow> = [
        ("detect", durations.time_to_detect_seconds),
        ("acknowledge", durations.time_to_acknowledge_seconds),
        ("mitigate", durations.time_to_mitigate_seconds),
        ("resolve", durations.time_to_resolve_seconds),
    ]
    .into_iter()
    .map(|(key, seconds)| DurationRow {
        key,
        label: state
            .i18n
            .text(&viewer.locale, &format!("web-duration-{key}"), &[]),
        seconds,
        text: match seconds {
            Some(seconds) => duration_text(&state.i18n, &viewer.locale, seconds),
            None => state.i18n.text(&viewer.locale, "web-duration-pending", &[]),
        },
    })
    .collect();
    Ok(web.templates.render(
        "durations.html",
        viewer.context(minijinja::context! {
            incident_id => incident.id.to_string(),
            durations => rows,
            timeline_link => timeline_link,
        }),
    )?)
}

/// Seconds as the two largest units that say them, in `locale`: "4 min 12 s", "4分12秒",
/// "2 h 5 min"; a negative span (an alert that claimed to start after it was detected)
/// keeps its sign.
pub fn duration_text(i18n: &I18n, locale: &str, seconds: i64) -> String {
    let sign = if seconds < 0 { "−" } else { "" };
    let total = seconds.unsigned_abs();
    let (days, hours, minutes, secs) = (
        total / 86_400,
        total % 86_400 / 3_600,
        total % 3_600 / 60,
        total % 60,
    );
    let text = |id: &str, args: &[(&str, u64)]| {
        let args: Vec<(&str, String)> = args
            .iter()
            .map(|(name, value)| (*name, value.to_string()))
            .collect();
        let args: Vec<(&str, &str)> = args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        i18n.text(locale, id, &args)
    };
    let words = if days > 0 {
        text("web-duration-days", &[("days", days), ("hours", hours)])
    } else if hours > 0 {
        text(
            "web-duration-hours",
            &[("hours", hours), ("minutes", minutes)],
        )
    } else if minutes > 0 {
        text(
            "web-duration-minutes",
            &[("minutes", minutes), ("seconds", secs)],
        )
    } else {
        text("web-duration-seconds", &[("seconds", secs)])
    };
    format!("{sign}{words}")
}

/// The groups the timeline can be filtered by: the `kind=` values of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindGroup {
    Alerts,
    State,
    People,
    Notes,
    Actions,
    Tasks,
    Room,
}

impl KindGroup {
    pub const ALL: [KindGroup; 7] = [
        KindGroup::Alerts,
        KindGroup::State,
        KindGroup::People,
        KindGroup::Notes,
        KindGroup::Actions,
        KindGroup::Tasks,
        KindGroup::Room,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KindGroup::Alerts => "alerts",
            KindGroup::State => "state",
            KindGroup::People => "people",
            KindGroup::Notes => "notes",
            KindGroup::Actions => "actions",
            KindGroup::Tasks => "tasks",
            KindGroup::Room => "room",
        }
    }

    pub fn parse(text: &str) -> Option<KindGroup> {
        KindGroup::ALL
            .into_iter()
            .find(|group| group.as_str() == text)
    }

    /// The group of an entry. Exhaustive, so a new kind of entry cannot be left out of
    /// every filter.
    pub fn of(kind: &EntryKind) -> KindGroup {
        match kind {
            EntryKind::AlertReceived { .. }
            | EntryKind::AlertUpdated { .. }
            | EntryKind::AlertResolved { .. }
            | EntryKind::AllAlertsResolved
            | EntryKind::StaleAlertIgnored { .. }
            | EntryKind::AlertStartCorrected { .. }
            | EntryKind::AlertsTruncated { .. } => KindGroup::Alerts,
            EntryKind::IncidentOpened { .. }
            | EntryKind::StateChanged { .. }
            | EntryKind::SeverityChanged { .. } => KindGroup::State,
            EntryKind::RoleAssigned { .. }
            | EntryKind::EscalationStep { .. }
            | EntryKind::AckReminder { .. }
            | EntryKind::StatusUpdateReminded { .. } => KindGroup::People,
            EntryKind::NoteAdded { .. }
            | EntryKind::StatusUpdate { .. }
            | EntryKind::ReactionAdded { .. } => KindGroup::Notes,
            EntryKind::ActionRequested { .. }
            | EntryKind::ActionVote { .. }
            | EntryKind::ActionExpired { .. }
            | EntryKind::ActionCancelled { .. }
            | EntryKind::ActionStarted { .. }
            | EntryKind::ActionFinished { .. }
            | EntryKind::ActionInterrupted { .. }
            | EntryKind::ProbeResult { .. }
            | EntryKind::ProbeRequested { .. }
            | EntryKind::JobInterrupted { .. } => KindGroup::Actions,
            EntryKind::TaskAdded { .. }
            | EntryKind::TaskAssigned { .. }
            | EntryKind::TaskDone { .. }
            | EntryKind::TaskSnoozed { .. }
            | EntryKind::TaskReminded { .. }
            | EntryKind::TaskEscalated { .. } => KindGroup::Tasks,
            EntryKind::RoomCreated { .. } | EntryKind::CardPosted { .. } => KindGroup::Room,
        }
    }
}

/// Entries on one timeline page.
pub const TIMELINE_PAGE_ENTRIES: usize = 100;
/// A filtered page reads at most this many entries before it ends (early) with a next link.
pub const TIMELINE_PAGE_SCAN: usize = 5_000;
/// The chart counts the alerts among an incident's first this many entries.
pub const CHART_SCAN: usize = 20_000;

#[derive(Debug, Deserialize)]
struct TimelineQuery {
    kind: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

#[derive(Debug, Serialize)]
struct DurationRow {
    key: &'static str,
    label: String,
    seconds: Option<i64>,
    text: String,
}

/// One entry as the page shows it.
#[derive(Debug, Serialize, PartialEq)]
struct EntryView {
    seq: u64,
    /// The stored kind (`note_added`), as the JSON read API names it.
    kind: String,
    group: &'static str,
    /// RFC 3339 in UTC, for `<time datetime>`.
    datetime: String,
    /// The time in the viewer's zone, as chat shows it.
    local: String,
    /// The chat's line without its number and time.
    text: String,
    /// Lines under it (an action's summary).
    more: Vec<String>,
}

#[derive(Debug, Serialize)]
struct GroupOption {
    value: &'static str,
    label: String,
}

async fn timeline_page(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<TimelineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Html<String>, WebError> {
    let web = web_of(&state)?;
    let Query(query) = query
        .map_err(|error| WebError::new(StatusCode::BAD_REQUEST, format!("bad query: {error}")))?;
    let id = parse_id(&id)?;
    let group = match query.kind.as_deref() {
        None | Some("") => None,
        Some(text) => Some(KindGroup::parse(text).ok_or_else(|| {
            let known: Vec<&str> = KindGroup::ALL.iter().map(|group| group.as_str()).collect();
            WebError::new(
                StatusCode::BAD_REQUEST,
                format!("kind: \"{text}\" is not one of {}", known.join(", ")),
            )
        })?),
    };
    let after = match query.after.as_deref() {
        None | Some("") => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            WebError::new(
                StatusCode::BAD_REQUEST,
                format!("after: \"{text}\" is not an entry number; follow the page's next link"),
            )
        })?,
    };
    let limit = crate::http::parse_page_limit(
        query.limit.as_deref(),
        TIMELINE_PAGE_ENTRIES,
        crate::http::MAX_TIMELINE_PAGE,
    )?;
    let incident = read_incident(&state, id).await?;
    let page = read_timeline_page(&state, id, after, limit, TIMELINE_PAGE_SCAN, move |entry| {
        group.is_none_or(|group| KindGroup::of(&entry.kind) == group)
    })
    .await?;
    let entries: Vec<EntryView> = page
        .entries
        .iter()
        .map(|entry| entry_view(&state.i18n, &viewer.locale, viewer.time_zone, entry))
        .collect();
    let kind = group.map(KindGroup::as_str).unwrap_or("");
    let next = page.next_after.map(|after| {
        let mut link = format!("/incidents/{id}/timeline?");
        if !kind.is_empty() {
            link.push_str(&format!("kind={kind}&"));
        }
        if query.limit.is_some() {
            link.push_str(&format!("limit={limit}&"));
        }
        link.push_str(&format!("after={after}"));
        link
    });
    let groups: Vec<GroupOption> = KindGroup::ALL
        .iter()
        .map(|group| GroupOption {
            value: group.as_str(),
            label: state.i18n.text(
                &viewer.locale,
                &format!("web-timeline-kind-{}", group.as_str()),
                &[],
            ),
        })
        .collect();
    let durations = render_durations(&state, &viewer, &incident, false)?;
    let html = web.templates.render(
        "timeline.html",
        viewer.context(minijinja::context! {
            incident_id => id.to_string(),
            durations => minijinja::Value::from_safe_string(durations),
            title => incident.title,
            kind => kind,
            groups => groups,
            entries => entries,
            next => next,
        }),
    )?;
    Ok(Html(html))
}

async fn alerts_chart(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let incident = read_incident(&state, id).await?;
    // Every page view of a war room asks for the chart; while its timeline has not grown
    // (and the viewer's language and zone are the same) the browser's copy is still right,
    // and answering 304 spares reading the timeline again.
    let tag = chart_tag(&incident, &viewer);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|presented| presented.split(',').any(|one| one.trim() == tag))
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, tag),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
        )
            .into_response());
    }
    let page = read_timeline_page(&state, id, 0, CHART_SCAN, CHART_SCAN, |entry| {
        matches!(
            entry.kind,
            EntryKind::AlertReceived {
                status: AlertStatus::Firing,
                ..
            } | EntryKind::AlertResolved { .. }
        )
    })
    .await?;
    let (firing, resolved): (Vec<&TimelineEntry>, Vec<&TimelineEntry>) = page
        .entries
        .iter()
        .partition(|entry| matches!(entry.kind, EntryKind::AlertReceived { .. }));
    let firing: Vec<_> = firing.iter().map(|entry| entry.at).collect();
    let resolved: Vec<_> = resolved.iter().map(|entry| entry.at).collect();
    let milestones = &incident.milestones;
    let from = firing
        .iter()
        .copied()
        .chain([incident.opened_at])
        .min()
        .unwrap_or(incident.opened_at);
    // The chart ends at the last thing known to have happened; it reads no clock, so the
    // same incident always draws the same chart.
    let to = firing
        .iter()
        .chain(&resolved)
        .copied()
        .chain(incident.last_alert_at)
        .chain(milestones.resolved)
        .chain(milestones.closed)
        .max()
        .unwrap_or(from);
    let text =
        |message: &str, args: &[(&str, &str)]| state.i18n.text(&viewer.locale, message, args);
    let labels = ChartLabels {
        title: text(
            "web-chart-title",
            &[("incident", &id.to_string()), ("title", &incident.title)],
        ),
        firing: text("web-chart-firing", &[]),
        resolved: text("web-chart-resolved", &[]),
        empty: text("web-chart-empty", &[]),
    };
    let svg = alerts_chart_svg(&AlertsChart {
        labels: &labels,
        firing: &firing,
        resolved: &resolved,
        from,
        to,
        zone: viewer.time_zone,
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_owned(),
            ),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
            (header::ETAG, tag),
        ],
        svg,
    )
        .into_response())
}

/// The chart's entity tag: what the chart is drawn from (the timeline's length, which every
/// alert and state change grows, and the title) and for whom (language and zone).
fn chart_tag(incident: &Incident, viewer: &Viewer) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    incident.title.hash(&mut hasher);
    viewer.locale.hash(&mut hasher);
    viewer.time_zone.name().hash(&mut hasher);
    format!(
        "\"{}-{}-{:016x}\"",
        incident.id,
        incident.timeline_len,
        hasher.finish()
    )
}

fn parse_id(text: &str) -> Result<IncidentId, WebError> {
    IncidentId::parse(text)
        .map_err(|error| WebError::new(StatusCode::BAD_REQUEST, error.to_string()))
}

/// An entry as the page shows it: the chat's lines in `locale` and `zone`, the first one's
/// number and time lifted into columns of their own.
fn entry_view(i18n: &I18n, locale: &str, zone: chrono_tz::Tz, entry: &TimelineEntry) -> EntryView {
    let lines = crate::engine::timeline_lines(entry, zone);
    let mut rendered = lines.iter().map(|msg| i18n.render(locale, msg));
    let first = rendered.next().unwrap_or_default();
    let local = lines
        .first()
        .and_then(|msg| word_argument(msg, "at"))
        .unwrap_or_else(|| entry.at.with_timezone(&zone).to_rfc3339());
    let prefix = format!("#{} {} ", entry.seq, local);
    let text = first
        .strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(first);
    // The stored kind's own name, exactly as the JSON read API serialises it.
    let kind = serde_json::to_value(&entry.kind)
        .ok()
        .and_then(|value| value.get("kind")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    EntryView {
        seq: entry.seq,
        kind,
        group: KindGroup::of(&entry.kind).as_str(),
        datetime: entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        local,
        text,
        more: rendered.collect(),
    }
}

fn word_argument(msg: &Msg, name: &str) -> Option<String> {
    msg.args.iter().find_map(|(arg, value)| match value {
        Arg::Word(word) if arg == name => Some(word.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{Actor, UserId};

    fn i18n() -> I18n {
        I18n::builtin().unwrap()
    }

    fn entry(seq: u64, kind: EntryKind) -> TimelineEntry {
        TimelineEntry {
            incident: IncidentId::parse("INC-20261121-001").unwrap(),
            seq,
            at: "2026-11-21T10:00:00Z".parse().unwrap(),
            actor: Actor::user(&UserId("alice".to_owned())),
            actor_name: Some("Alice".to_owned()),
            kind,
        }
    }

    #[test]
    fn durations_read_with_units_in_both_languages() {
        let i18n = i18n();
        let cases = [
            (0, "0 s", "0秒"),
            (42, "42 s", "42秒"),
            (252, "4 min 12 s", "4分12秒"),
            (3_600, "1 h 0 min", "1小时0分"),
            (7_500, "2 h 5 min", "2小时5分"),
            (90_061, "1 d 1 h", "1天1小时"),
            (-30, "−30 s", "−30秒"),
        ];
        for (seconds, english, chinese) in cases {
            assert_eq!(duration_text(&i18n, "en-US", seconds), english, "{seconds}");
            assert_eq!(duration_text(&i18n, "zh-CN", seconds), chinese, "{seconds}");
        }
    }

    #[test]
    fn an_entry_reads_as_the_chats_line_with_its_number_and_time_apart() {
        let i18n = i18n();
        let note = entry(
            7,
            EntryKind::NoteAdded {
                text: "<b>db</b> restarted".to_owned(),
            },
        );
        let shanghai = chrono_tz::Asia::Shanghai;
        let view = entry_view(&i18n, "en-US", shanghai, &note);
        let chat = i18n.render("en-US", &crate::engine::timeline_line(&note, shanghai));
        assert_eq!(chat, format!("#7 2026-11-21 18:00:00 +08:00 {}", view.text));
        assert_eq!(view.text, "Alice note: <b>db</b> restarted");
        assert_eq!(view.local, "2026-11-21 18:00:00 +08:00");
        assert_eq!(view.datetime, "2026-11-21T10:00:00Z");
        assert_eq!((view.kind.as_str(), view.group), ("note_added", "notes"));
        let chinese = entry_view(&i18n, "zh-CN", chrono_tz::UTC, &note);
        assert_eq!(chinese.text, "Alice 备注：<b>db</b> restarted");
        assert_eq!(chinese.local, "2026-11-21 10:00:00 +00:00");
    }

    #[test]
    fn kind_groups_parse_from_their_names_and_nothing_else() {
        for group in KindGroup::ALL {
            assert_eq!(KindGroup::parse(group.as_str()), Some(group));
        }
        assert_eq!(KindGroup::parse("note_added"), None);
        assert_eq!(KindGroup::parse("Alerts"), None);
        assert_eq!(
            KindGroup::of(&EntryKind::AllAlertsResolved),
            KindGroup::Alerts
        );
    }

    #[test]
    fn every_kind_group_has_a_label_in_both_languages() {
        let i18n = i18n();
        for locale in ["en-US", "zh-CN"] {
            let ids = i18n.message_ids(locale);
            for group in KindGroup::ALL {
                let id = format!("web-timeline-kind-{}", group.as_str());
                assert!(ids.contains(&id), "{locale} lacks {id}");
            }
            for key in ["detect", "acknowledge", "mitigate", "resolve"] {
                let id = format!("web-duration-{key}");
                assert!(ids.contains(&id), "{locale} lacks {id}");
            }
        }
    }
}
