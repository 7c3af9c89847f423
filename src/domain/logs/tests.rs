use chrono::TimeZone;

use super::*;

fn at(second: u32) -> Option<DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, second).unwrap())
}

fn lines(texts: &[&str]) -> Vec<LogLine> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| LogLine::new(at(u32::try_from(i % 60).unwrap()), *text))
        .collect()
}

#[test]
fn known_patterns_are_recognised_in_the_ways_runtimes_word_them() {
    let table: &[(&str, &[LogPattern])] = &[
        (
            "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            &[LogPattern::PoolExhausted, LogPattern::Timeout],
        ),
        (
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            &[LogPattern::PoolExhausted],
        ),
        (
            "ERROR 1040 (HY000): Too many connections",
            &[LogPattern::PoolExhausted],
        ),
        (
            "java.lang.OutOfMemoryError: Java heap space",
            &[LogPattern::OutOfMemory],
        ),
        (
            "container checkout was OOMKilled",
            &[LogPattern::OutOfMemory],
        ),
        (
            "Exception in thread \"main\" java.lang.NullPointerException",
            &[LogPattern::NullPointer],
        ),
        (
            "panic: runtime error: invalid memory address or nil pointer dereference",
            &[LogPattern::NullPointer],
        ),
        (
            "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
            &[LogPattern::Timeout],
        ),
        (
            "dial tcp 10.0.0.7:5432: connect: connection refused",
            &[LogPattern::ConnectionRefused],
        ),
        (
            "write /var/lib/data: no space left on device",
            &[LogPattern::DiskFull],
        ),
        ("ERROR: deadlock detected", &[LogPattern::Deadlock]),
        ("GET /healthz 200 3ms", &[]),
    ];
    for (text, expected) in table {
        let analysis = analyze(&lines(&[text]));
        let mut found: Vec<LogPattern> = analysis.patterns.iter().map(|p| p.pattern).collect();
        found.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(found, expected, "{text}");
    }
}

#[test]
fn errors_are_counted_by_word_or_pattern_and_info_lines_are_not() {
    let analysis = analyze(&lines(&[
        "INFO started in 2.1s",
        "ERROR payment declined for order 1234",
        "WARN connection refused by 10.0.0.9",
        "level=info msg=\"GET /healthz\"",
        "Exception in thread main",
        "FATAL cannot start",
    ]));
    assert_eq!(analysis.lines, 6);
    assert_eq!(analysis.errors, 4);
    assert_eq!(analysis.first_error_at, at(1));
    assert_eq!(analysis.last_error_at, at(5));
}

#[test]
fn top_messages_mask_numbers_and_ids_and_rank_by_frequency() {
    let analysis = analyze(&lines(&[
        "ERROR order 1234 failed: upstream 503",
        "ERROR user a1b2c3 not found",
        "ERROR order 99 failed: upstream 502",
        "ERROR order 7 failed: upstream 500",
        "ERROR user ff00aa11 not found",
        "ERROR disk slow",
    ]));
    let top: Vec<(&str, u64)> = analysis
        .top_messages
        .iter()
        .map(|m| (m.message.as_str(), m.count))
        .collect();
    assert_eq!(
        top,
        [
            ("ERROR order <n> failed: upstream <n>", 3),
            ("ERROR user <id> not found", 2),
            ("ERROR disk slow", 1),
        ]
    );
}

#[test]
fn normalise_keeps_the_first_line_collapses_spaces_and_is_bounded() {
    assert_eq!(normalise("  a   b\t c \nsecond"), "a b c");
    assert_eq!(
        normalise("took 12.5ms id=550e8400-e29b"),
        "took <n>.<id> id=<id>-<id>"
    );
    assert_eq!(normalise(""), "");
    let long = "é".repeat(1000);
    assert_eq!(normalise(&long).chars().count(), MAX_MESSAGE_CHARS);
}

#[test]
fn the_first_stack_trace_is_found_in_one_entry_or_across_lines() {
    let java = "java.lang.NullPointerException: boom\n\tat com.shop.Cart.total(Cart.java:42)\n\tat com.shop.Api.get(Api.java:7)";
    let analysis = analyze(&lines(&["INFO ok", java, "ERROR later"]));
    assert_eq!(analysis.stack_trace.as_deref(), Some(java));

    let python = [
        "ERROR request failed",
        "Traceback (most recent call last):",
        "  File \"app.py\", line 3, in <module>",
        "  File \"db.py\", line 9, in connect",
        "ConnectionRefusedError: [Errno 111] Connection refused",
    ];
    let analysis = analyze(&lines(&python));
    assert_eq!(
        analysis.stack_trace.as_deref(),
        Some(
            "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n  File \"db.py\", line 9, in connect"
        )
    );

    let go = "level=error msg=\"request failed\"\npanic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d";
    let analysis = analyze(&lines(&[go]));
    assert_eq!(
        analysis.stack_trace.as_deref(),
        Some(
            "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d"
        )
    );

    let none = analyze(&lines(&["ERROR one", "ERROR two"]));
    assert_eq!(none.stack_trace, None);
}

#[test]
fn a_stack_trace_is_bounded_in_lines_and_characters() {
    let mut text = String::from("java.lang.IllegalStateException: x");
    for i in 0..500 {
        text.push_str(&format!("\n\tat com.shop.Frame{i}.call(Frame.java:{i})"));
    }
    let analysis = analyze(&lines(&[&text]));
    let trace = analysis.stack_trace.unwrap();
    assert!(trace.lines().count() <= MAX_STACK_TRACE_LINES);
    assert!(trace.len() <= MAX_STACK_TRACE_CHARS);
    assert!(trace.starts_with("java.lang.IllegalStateException"));
}

#[test]
fn analysis_is_bounded_however_much_it_is_given() {
    let many: Vec<LogLine> = (0..MAX_ANALYSED_LINES + 250)
        .map(|i| {
            LogLine::new(
                None,
                format!("ERROR distinct message kind{}", "x".repeat(i % 3000)),
            )
        })
        .collect();
    let analysis = analyze(&many);
    assert_eq!(analysis.lines, u64::try_from(MAX_ANALYSED_LINES).unwrap());
    assert_eq!(analysis.skipped, 250);
    assert!(analysis.top_messages.len() <= TOP_MESSAGES);
    assert!(
        analysis
            .top_messages
            .iter()
            .all(|m| m.message.chars().count() <= MAX_MESSAGE_CHARS)
    );
}

#[test]
fn logs_breach_on_a_known_pattern_or_many_errors_not_on_a_few() {
    let few = analyze(&lines(&["ERROR a", "ERROR b"]));
    assert!(!few.breached());
    let pattern = analyze(&lines(&["WARN pool exhausted"]));
    assert!(pattern.breached());
    let texts: Vec<String> = (0..ERROR_LINES_BREACH)
        .map(|i| format!("ERROR {i}"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert!(analyze(&lines(&refs)).breached());
}

#[test]
fn details_name_patterns_then_top_messages_then_the_trace() {
    let analysis = analyze(&lines(&[
        "java.lang.OutOfMemoryError: heap\n\tat a.b(C.java:1)",
        "ERROR pool exhausted",
        "ERROR pool exhausted",
    ]));
    let details = analysis.details();
    let ids: Vec<&str> = details.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "logs-pattern-pool_exhausted",
            "logs-pattern-out_of_memory",
            "logs-top-message",
            "logs-top-message",
            "logs-stack-trace",
        ]
    );
    let report = analysis.report();
    assert!(report.contains("pool_exhausted x2"), "{report}");
    assert!(report.contains("first stack trace:"), "{report}");
}
