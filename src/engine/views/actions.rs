//! `/actions`: the catalogued commands with their syntax and whether they need approvals,
//! then this incident's newest requests with their state, sized to fit one chat message (the
//! HTTP API, `GET /v1/incidents/{id}/actions`, pages through all of them).

use crate::domain::action::{ActionRequest, Catalog, CommandDef, ParamKind, RequestId};
use crate::domain::ids::IncidentId;
use crate::domain::incident::Incident;
use crate::domain::message::Msg;
use crate::engine::action_render::command_line;
use crate::engine::views::Views;
use crate::store::StoreError;

/// Commands listed by `/actions`; the rest are counted.
pub const MAX_LISTED_COMMANDS: usize = 10;
/// Requests listed by `/actions` (the newest); the earlier ones are counted.
pub const MAX_LISTED_REQUESTS: usize = 8;
/// How much of a request's command line a `/actions` line shows.
const LISTED_LINE_CHARS: usize = 80;

impl Views {
    /// The catalog part of `/actions`, all of it outside an incident room.
    pub(super) fn catalog_lines(&self) -> Vec<Msg> {
        catalog_lines(&self.actions.catalog)
    }

    /// The `/actions` reply for `incident`.
    pub(super) fn actions_lines(&self, incident: &Incident) -> Result<Vec<Msg>, StoreError> {
        let mut lines = catalog_lines(&self.actions.catalog);
        let (newest, total) = self.newest_requests(incident.id, MAX_LISTED_REQUESTS)?;
        if total == 0 {
            lines.push(Msg::new("reply-actions-requests-empty").word("incident", incident.id));
            return Ok(lines);
        }
        lines.push(
            Msg::new("reply-actions-requests-header")
                .word("incident", incident.id)
                .number("count", total as u64),
        );
        let earlier = total - newest.len();
        if earlier > 0 {
            lines.push(
                Msg::new("reply-actions-requests-earlier")
                    .word("incident", incident.id)
                    .number("count", earlier as u64),
            );
        }
        lines.extend(newest.iter().map(request_line));
        Ok(lines)
    }

    /// The newest `keep` requests of an incident, oldest of them first, and how many there
    /// are in all. Requests are numbered densely from 1 and never removed, so the last
    /// number is the count and the newest are those after `last - keep`: one key read and
    /// one page of `keep`, however many requests (and outputs) the incident holds.
    fn newest_requests(
        &self,
        incident: IncidentId,
        keep: usize,
    ) -> Result<(Vec<ActionRequest>, usize), StoreError> {
        let last = self.store.last_request_id(incident)?;
        if last == 0 || keep == 0 {
            return Ok((Vec::new(), last as usize));
        }
        let skipped = last.saturating_sub(u32::try_from(keep).unwrap_or(u32::MAX));
        let after = (skipped > 0).then_some(RequestId(skipped));
        let newest = self.store.action_requests(incident, after, keep)?;
        Ok((newest, last as usize))
    }
}

/// The catalog part of `/actions`.
fn catalog_lines(catalog: &Catalog) -> Vec<Msg> {
    if catalog.is_empty() {
        return vec![Msg::new("reply-actions-catalog-empty")];
    }
    let total = catalog.iter().count();
    let mut lines = vec![Msg::new("reply-actions-catalog-header").number("count", total as u64)];
    lines.extend(catalog.iter().take(MAX_LISTED_COMMANDS).map(|command| {
        Msg::new("reply-actions-command")
            .outside("syntax", command_syntax(command))
            .word("description", &command.description)
            .number("approvals", u64::from(command.approvals))
            .word("approver", command.approver_role.as_str())
    }));
    if total > MAX_LISTED_COMMANDS {
        lines.push(
            Msg::new("reply-actions-more").number("count", (total - MAX_LISTED_COMMANDS) as u64),
        );
    }
    lines
}

/// How a catalogued command is typed: `/run scale service:<service> replicas:<0-50>`,
/// optional parameters in brackets.
pub fn command_syntax(command: &CommandDef) -> String {
    let mut out = format!("/run {}", command.name);
    for param in &command.params {
        let placeholder = match &param.kind {
            ParamKind::String { .. } => "<text>".to_owned(),
            ParamKind::Integer { min, max } => match (min, max) {
                (Some(min), Some(max)) => format!("<{min}-{max}>"),
                (Some(min), None) => format!("<≥{min}>"),
                (None, Some(max)) => format!("<≤{max}>"),
                (None, None) => "<number>".to_owned(),
            },
            ParamKind::Enum { values } => format!("<{}>", values.join("|")),
            ParamKind::Service => "<service>".to_owned(),
            ParamKind::Duration => "<duration>".to_owned(),
        };
        let part = format!("{}:{placeholder}", param.name);
        if param.required {
            out.push_str(&format!(" {part}"));
        } else {
            out.push_str(&format!(" [{part}]"));
        }
    }
    out
}

fn request_line(request: &ActionRequest) -> Msg {
    let mut line = command_line(&request.command, &request.params);
    if line.chars().count() > LISTED_LINE_CHARS {
        line = line.chars().take(LISTED_LINE_CHARS - 1).collect();
        line.push('…');
    }
    Msg::new("reply-actions-request")
        .word("request", request.id)
        .word("request_state", request.state.as_str())
        .outside("line", line)
        .with_person(
            "requester",
            request.requester.clone(),
            request.requester_name.clone(),
        )
        .number("approved", u64::from(request.approvals()))
        .number("required", u64::from(request.approvals_required))
}

#[cfg(test)]
mod tests;
