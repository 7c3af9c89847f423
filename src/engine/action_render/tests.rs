use chrono::{DateTime, Utc};

use super::*;
use crate::chat::discord::escape;
use crate::domain::access::PersonRole;
use crate::domain::action::RequestId;

fn incident() -> IncidentId {
    IncidentId::parse("INC-20261121-001").unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

pub(super) fn awaiting() -> ActionView {
    ActionView {
        request: RequestId(1),
        command: "scale".into(),
        params: params(&[("service", "checkout-api"), ("replicas", "3")]),
        requester: UserId("carol".into()),
        requester_name: Some("Carol".into()),
        risk: Risk::High,
        approvals_required: 2,
        approved_by: vec![(UserId("alice".into()), Some("Alice".into()))],
        rejected_by: None,
        expires_at: Some(at("2026-11-21T10:15:00Z")),
        state: RequestState::AwaitingApproval,
        summary: None,
        details: Vec::new(),
        excerpt: None,
    }
}

fn render(locale: &str, view: &ActionView) -> OutgoingMessage {
    let i18n = I18n::builtin().unwrap();
    render_action(
        &i18n,
        locale,
        chrono_tz::Tz::Asia__Shanghai,
        incident(),
        view,
    )
}

/// The message as Discord would show it, uncut: the renderer must fit on its own.
fn discord_text(message: &OutgoingMessage) -> String {
    escape::render(&message.text, usize::MAX).text
}

#[test]
fn an_awaiting_request_names_the_requester_command_risk_votes_expiry_and_offers_both_buttons() {
    let message = render("en-US", &awaiting());
    let text = message.text.plain();
    for wanted in [
        "A1",
        "scale replicas:3 service:checkout-api",
        "awaiting approval",
        "Requested by Carol",
        "risk: high",
        "Approvals: 1 of 2",
        "Approved by: Alice",
        // The expiry in `[chat] time_zone` (Asia/Shanghai), with its offset.
        "Expires 2026-11-21 18:15:00 +08:00",
        "react ✅ or ❌",
    ] {
        assert!(text.contains(wanted), "{wanted:?} missing from {text}");
    }
    let ids: Vec<&str> = message.buttons.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "apr:approve:INC-20261121-001:A1",
            "apr:reject:INC-20261121-001:A1"
        ]
    );
    assert_eq!(message.buttons[0].label, "Approve");
    assert!(!message.pin);
}

#[test]
fn a_request_in_a_zh_cn_room_reads_in_chinese() {
    let message = render("zh-CN", &awaiting());
    let text = message.text.plain();
    for wanted in [
        "待审批",
        "申请人 Carol",
        "风险：高",
        "审批：1/2",
        "已批准：Alice",
    ] {
        assert!(text.contains(wanted), "{wanted:?} missing from {text}");
    }
    for unwanted in ["awaiting", "high", "Approvals"] {
        assert!(!text.contains(unwanted), "{unwanted:?} in {text}");
    }
    assert_eq!(message.buttons[0].label, "批准");
    assert_eq!(message.buttons[1].label, "驳回");
}

#[test]
fn buttons_show_only_while_the_request_awaits_approval() {
    for (state, buttons) in [
        (RequestState::AwaitingApproval, 2),
        (RequestState::Queued, 0),
        (RequestState::Running, 0),
        (RequestState::Succeeded, 0),
        (RequestState::Failed, 0),
        (RequestState::Rejected, 0),
        (RequestState::Expired, 0),
        (RequestState::Cancelled, 0),
        (RequestState::Interrupted, 0),
    ] {
        let view = ActionView {
            state,
            ..awaiting()
        };
        let message = render("en-US", &view);
        assert_eq!(message.buttons.len(), buttons, "{state:?}");
        let text = message.text.plain();
        for awaiting_only in ["Expires", "react ✅"] {
            assert_eq!(
                text.contains(awaiting_only),
                state == RequestState::AwaitingApproval,
                "{state:?}: {text}"
            );
        }
    }
}

#[test]
fn a_rejected_and_a_read_only_request_say_so() {
    let rejected = ActionView {
        state: RequestState::Rejected,
        rejected_by: Some((UserId("bob".into()), Some("Bob".into()))),
        ..awaiting()
    };
    let text = render("en-US", &rejected).text.plain();
    assert!(text.contains("Rejected by Bob"), "{text}");
    assert!(text.contains("· rejected"), "{text}");
    let read_only = ActionView {
        command: "diag".into(),
        params: params(&[("service", "checkout-api")]),
        approvals_required: 0,
        approved_by: Vec::new(),
        expires_at: None,
        state: RequestState::Running,
        risk: Risk::Low,
        ..awaiting()
    };
    let text = render("en-US", &read_only).text.plain();
    assert!(text.contains("Read-only"), "{text}");
    assert!(!text.contains("Approvals"), "{text}");
}

#[test]
fn a_finished_request_shows_summary_details_and_an_excerpt_in_a_code_block() {
    let view = ActionView {
        state: RequestState::Succeeded,
        summary: Some(Msg::new("act-state-succeeded")),
        details: vec![Msg::new("act-risk-low"), Msg::new("act-risk-high")],
        excerpt: Some("replicas: 2 -> 3\n".into()),
        ..awaiting()
    };
    let message = render("en-US", &view);
    assert!(message.buttons.is_empty());
    let shown = discord_text(&message);
    assert!(shown.contains("\nsucceeded\n• low\n• high\n"), "{shown}");
    assert!(
        shown.ends_with("```\nreplicas: 2 -> 3\n```"),
        "the excerpt goes verbatim in a code block: {shown}"
    );
    assert!(!shown.contains("cut"), "{shown}");
}

#[test]
fn the_message_never_exceeds_discords_limit_whatever_the_output() {
    // Output that escaping would double, a huge excerpt, and many long details.
    let hostile = "*_`|@everyone ".repeat(10_000);
    let details: Vec<Msg> = (0..60)
        .map(|index| {
            Msg::new("notice-note")
                .word("user", index)
                .outside("text", "<@1> ~~x~~ ".repeat(20))
        })
        .collect();
    for (details, excerpt) in [
        (Vec::new(), Some(hostile.clone())),
        (details.clone(), None),
        (details.clone(), Some(hostile.clone())),
        (Vec::new(), Some("x".repeat(5_000))),
    ] {
        let view = ActionView {
            state: RequestState::Failed,
            params: params(&[("query", &"(".repeat(1_000))]),
            summary: Some(Msg::new("notice-note").outside("text", "*".repeat(500))),
            details: details.clone(),
            excerpt: excerpt.clone(),
            ..awaiting()
        };
        let message = render("en-US", &view);
        let shown = discord_text(&message);
        let length = shown.chars().count();
        assert!(length <= MAX_ACTION_MESSAGE_CHARS, "{length} characters");
        if excerpt.is_some() {
            assert!(shown.contains("Output cut to fit"), "{shown}");
            assert!(shown.ends_with("…\n```"), "the excerpt is cut, not dropped");
            assert_eq!(shown.matches("```").count(), 2, "one code block");
            // It used the room it had: nearly the whole limit.
            assert!(length > MAX_ACTION_MESSAGE_CHARS - 50, "{length}");
        }
        if !details.is_empty() {
            assert!(shown.contains("more, and the whole output"), "{shown}");
        }
        let text = message.text.plain();
        assert!(
            text.contains("GET /v1/incidents/INC-20261121-001/actions/A1"),
            "it points at the whole output"
        );
    }
}

#[test]
fn outside_text_is_escaped_and_output_cannot_leave_its_code_block() {
    let view = ActionView {
        state: RequestState::Succeeded,
        params: params(&[("query", "@everyone **bold** <@930000000000000002>")]),
        requester_name: Some("@here".into()),
        summary: Some(Msg::new("act-state-succeeded")),
        excerpt: Some("done\n```\n@everyone <@&1> **x**\n```".into()),
        ..awaiting()
    };
    let message = render("en-US", &view);
    let shown = escape::render(&message.text, 2000);
    assert!(shown.calls.is_empty(), "a request message calls nobody");
    assert!(!shown.text.contains("@everyone **"), "{}", shown.text);
    assert!(
        shown.text.contains("@\u{200B}everyone \\*\\*bold"),
        "{}",
        shown.text
    );
    assert!(shown.text.contains("@\u{200B}here"), "{}", shown.text);
    assert_eq!(
        shown.text.matches("```").count(),
        2,
        "the output's own fences are neutralised: {}",
        shown.text
    );
}

#[test]
fn command_lines_name_every_parameter_and_quote_what_needs_it() {
    for (pairs, wanted) in [
        (vec![], "scale"),
        (
            vec![("service", "checkout-api"), ("replicas", "3")],
            "scale replicas:3 service:checkout-api",
        ),
        (vec![("query", "up == 0")], r#"scale query:"up == 0""#),
        (
            vec![("query", r#"say "hi""#)],
            r#"scale query:"say \"hi\"""#,
        ),
        (vec![("note", "")], r#"scale note:"""#),
    ] {
        assert_eq!(command_line("scale", &params(&pairs)), wanted);
    }
    let long = command_line("promql", &params(&[("query", &"x".repeat(1_000))]));
    assert_eq!(long.chars().count(), MAX_COMMAND_LINE_CHARS);
    assert!(long.ends_with('…'));
}

#[test]
fn every_state_risk_role_status_and_reason_reads_as_words_in_every_locale() {
    use crate::domain::action::ActionStatus;
    let i18n = I18n::builtin().unwrap();
    let states = [
        RequestState::AwaitingApproval,
        RequestState::Queued,
        RequestState::Running,
        RequestState::Succeeded,
        RequestState::Failed,
        RequestState::Rejected,
        RequestState::Expired,
        RequestState::Cancelled,
        RequestState::Interrupted,
    ]
    .map(|state| format!("act-state-{}", state.as_str()));
    let statuses = [
        ActionStatus::Succeeded,
        ActionStatus::Failed,
        ActionStatus::TimedOut,
        ActionStatus::Refused,
    ]
    .map(|status| format!("act-status-{}", status.as_str()));
    let risks = [Risk::Low, Risk::Medium, Risk::High].map(|r| format!("act-risk-{}", risk_word(r)));
    let roles = [
        PersonRole::Commander,
        PersonRole::Communications,
        PersonRole::Operations,
        PersonRole::DutyManager,
        PersonRole::Responder,
        PersonRole::Viewer,
    ]
    .map(|role| format!("act-role-{}", role.as_str()));
    let reasons = [
        "self_approval",
        "already_voted",
        "not_approver",
        "expired",
        "digest_mismatch",
        "not_pending",
    ]
    .map(|code| format!("act-vote-reason-{code}"));
    let cancels = [
        "rejected",
        "incident_closed",
        "plan_missing",
        "plan_mismatch",
    ]
    .map(|code| format!("act-cancel-reason-{code}"));
    for locale in i18n.locales() {
        let ids = i18n.message_ids(locale);
        for id in states
            .iter()
            .chain(&statuses)
            .chain(&risks)
            .chain(&roles)
            .chain(&reasons)
            .chain(&cancels)
        {
            assert!(ids.contains(id), "{locale} lacks {id}");
        }
    }
}

#[test]
fn action_timeline_lines_read_as_words_in_both_locales() {
    use crate::domain::action::ActionStatus;
    use crate::domain::ids::Actor;
    use crate::domain::timeline::{EntryKind, TimelineEntry};

    let i18n = I18n::builtin().unwrap();
    let lines = |locale: &str, kind: EntryKind| {
        let entry = TimelineEntry {
            incident: incident(),
            seq: 9,
            at: at("2026-11-21T10:00:00Z"),
            actor: Actor("user:alice".into()),
            actor_name: Some("Alice".into()),
            kind,
        };
        crate::engine::timeline_lines(&entry, chrono_tz::UTC)
            .iter()
            .map(|line| i18n.render(locale, line))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let request = RequestId(2);
    let vote = |approve: bool, counted: bool, reason: Option<&str>| EntryKind::ActionVote {
        request,
        approve,
        counted,
        reason: reason.map(str::to_owned),
        approvals: 1,
        required: 2,
    };
    let cases: Vec<(EntryKind, &str, &str, &str)> = vec![
        (
            EntryKind::ActionRequested {
                request,
                command: "scale".into(),
                params: params(&[("service", "checkout-api"), ("replicas", "3")]),
                digest: "ab".into(),
                approvals_required: 2,
            },
            "Alice requested A2: scale replicas:3 service:checkout-api (2 approvals needed)",
            "Alice 申请 A2：scale replicas:3 service:checkout-api（需要 2 人批准）",
            "",
        ),
        (
            EntryKind::ActionRequested {
                request,
                command: "diag".into(),
                params: params(&[("service", "checkout-api")]),
                digest: "ab".into(),
                approvals_required: 0,
            },
            "(read-only, runs at once)",
            "（只读，立即执行）",
            "",
        ),
        (
            vote(true, true, None),
            "Alice approved A2 (1 of 2)",
            "Alice 批准了 A2（1/2）",
            "",
        ),
        (
            vote(false, true, None),
            "Alice rejected A2",
            "Alice 驳回了 A2",
            "",
        ),
        (
            vote(true, false, Some("self_approval")),
            "Alice's approval of A2 did not count: the requester cannot approve their own request",
            "Alice 对 A2 的批准未计入：申请人不能批准自己的申请",
            "self_approval",
        ),
        (
            vote(false, false, Some("not_approver")),
            "Alice's rejection of A2 did not count: they do not hold the approver role",
            "的驳回未计入：此人没有审批角色",
            "not_approver",
        ),
        (
            EntryKind::ActionExpired { request },
            "A2 expired before enough approvals",
            "A2 在获得足够批准前已过期",
            "",
        ),
        (
            EntryKind::ActionCancelled {
                request,
                reason: "incident_closed".into(),
            },
            "A2 was cancelled: the incident was closed",
            "A2 已取消：事件已关闭",
            "incident_closed",
        ),
        (
            EntryKind::ActionStarted { request, job: 17 },
            "A2 started (job 17)",
            "A2 开始执行（任务 17）",
            "",
        ),
        (
            EntryKind::ActionFinished {
                request,
                status: ActionStatus::TimedOut,
                summary: Msg::new("act-cancel-reason-rejected"),
            },
            "A2 finished: timed out\nan approver rejected it",
            "A2 执行结束：超时\n审批人已驳回",
            "timed_out",
        ),
        (
            EntryKind::ActionInterrupted {
                request,
                rerun: false,
            },
            "not run again",
            "不再运行",
            "",
        ),
        (
            EntryKind::ActionInterrupted {
                request,
                rerun: true,
            },
            "it runs again",
            "正在重新运行",
            "",
        ),
    ];
    for (kind, english, chinese, code) in cases {
        let en = lines("en-US", kind.clone());
        assert!(en.starts_with("#9 2026-11-21 10:00:00 +00:00 "), "{en}");
        assert!(en.contains(english), "{en}");
        let zh = lines("zh-CN", kind);
        assert!(zh.contains(chinese), "{zh}");
        if !code.is_empty() {
            assert!(
                !en.contains(code) && !zh.contains(code),
                "raw code in {en} / {zh}"
            );
        }
    }
}
