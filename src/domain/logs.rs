//! Reading a service's recent log lines, purely: how many are errors, which known failure
//! patterns they show (connection pool exhausted, out of memory, null pointers, timeouts,
//! refused connections, a full disk, deadlocks), the most frequent messages once numbers and
//! ids are masked, and the first stack trace. Everything is bounded: at most
//! [`MAX_ANALYSED_LINES`] lines are read, each cut to [`MAX_LINE_CHARS`], at most
//! [`MAX_DISTINCT_MESSAGES`] distinct messages are counted, and the stack trace is cut too.
//!
//! The logs executor fetches the lines (Loki or Elasticsearch) and passes them here in
//! chronological order; link diagnosis turns an analysis into evidence.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::message::Msg;

/// The most lines one analysis reads; the rest are counted as not read.
pub const MAX_ANALYSED_LINES: usize = 5_000;
/// The most characters of one line that are looked at.
pub const MAX_LINE_CHARS: usize = 2_000;
/// The most distinct normalised messages counted; later new ones are not ranked.
pub const MAX_DISTINCT_MESSAGES: usize = 1_000;
/// How many of the most frequent messages an analysis keeps.
pub const TOP_MESSAGES: usize = 5;
/// The longest a top message is shown, in characters.
pub const MAX_MESSAGE_CHARS: usize = 160;
/// The most lines and characters of the first stack trace that are kept.
pub const MAX_STACK_TRACE_LINES: usize = 40;
pub const MAX_STACK_TRACE_CHARS: usize = 4_000;
/// Error lines from which a service's logs count as failing even without a known pattern:
/// a few errors are normal background noise for most services.
pub const ERROR_LINES_BREACH: u64 = 10;

/// One log line (or one multi-line entry, as Loki and Elasticsearch keep a stack trace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: Option<DateTime<Utc>>,
    pub text: String,
}

impl LogLine {
    pub fn new(at: Option<DateTime<Utc>>, text: impl Into<String>) -> LogLine {
        LogLine {
            at,
            text: text.into(),
        }
    }
}

/// A failure signature recognised in log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogPattern {
    PoolExhausted,
    OutOfMemory,
    NullPointer,
    Timeout,
    ConnectionRefused,
    DiskFull,
    Deadlock,
}

impl LogPattern {
    pub const ALL: [LogPattern; 7] = [
        LogPattern::PoolExhausted,
        LogPattern::OutOfMemory,
        LogPattern::NullPointer,
        LogPattern::Timeout,
        LogPattern::ConnectionRefused,
        LogPattern::DiskFull,
        LogPattern::Deadlock,
    ];

    /// The pattern as outputs and the API name it.
    pub fn code(self) -> &'static str {
        match self {
            LogPattern::PoolExhausted => "pool_exhausted",
            LogPattern::OutOfMemory => "out_of_memory",
            LogPattern::NullPointer => "null_pointer",
            LogPattern::Timeout => "timeout",
            LogPattern::ConnectionRefused => "connection_refused",
            LogPattern::DiskFull => "disk_full",
            LogPattern::Deadlock => "deadlock",
        }
    }

    /// Lower-case fragments any of which marks a line (matched in the lower-cased line), as
    /// the common runtimes and drivers word them (HikariCP, PostgreSQL, MySQL, JVM, Go,
    /// Python, Node, the kernel and Kubernetes).
    fn fragments(self) -> &'static [&'static str] {
        match self {
            LogPattern::PoolExhausted => &[
                "pool exhausted",
                "pool is exhausted",
                "connection is not available, request timed out",
                "too many connections",
                "remaining connection slots are reserved",
                "waiting for connection from pool",
                "could not get a resource from the pool",
                "unable to acquire jdbc connection",
            ],
            LogPattern::OutOfMemory => &[
                "outofmemoryerror",
                "out of memory",
                "oomkilled",
                "oom-kill",
                "oom killer",
                "cannot allocate memory",
                "memoryerror",
                "heap out of memory",
            ],
            LogPattern::NullPointer => &[
                "nullpointerexception",
                "null pointer",
                "nil pointer dereference",
                "'nonetype' object",
                "cannot read properties of undefined",
                "cannot read properties of null",
            ],
            LogPattern::Timeout => &[
                "timed out",
                "timeout",
                "deadline exceeded",
                "deadline_exceeded",
            ],
            LogPattern::ConnectionRefused => {
                &["connection refused", "econnrefused", "no route to host"]
            }
            LogPattern::DiskFull => &["no space left on device", "disk full", "enospc"],
            LogPattern::Deadlock => &["deadlock"],
        }
    }

    /// Whether a lower-cased line shows this pattern.
    fn matches(self, lower: &str) -> bool {
        self.fragments()
            .iter()
            .any(|fragment| lower.contains(fragment))
    }

    /// The room line naming this pattern and how many lines showed it.
    pub fn msg(self, count: u64) -> Msg {
        let msg = match self {
            LogPattern::PoolExhausted => Msg::new("logs-pattern-pool_exhausted"),
            LogPattern::OutOfMemory => Msg::new("logs-pattern-out_of_memory"),
            LogPattern::NullPointer => Msg::new("logs-pattern-null_pointer"),
            LogPattern::Timeout => Msg::new("logs-pattern-timeout"),
            LogPattern::ConnectionRefused => Msg::new("logs-pattern-connection_refused"),
            LogPattern::DiskFull => Msg::new("logs-pattern-disk_full"),
            LogPattern::Deadlock => Msg::new("logs-pattern-deadlock"),
        };
        msg.number("count", count)
    }
}

/// A pattern and the number of lines that showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternCount {
    pub pattern: LogPattern,
    pub count: u64,
}

/// A normalised message (numbers and ids masked) and how often it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCount {
    pub message: String,
    pub count: u64,
}

/// What a batch of log lines shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogAnalysis {
    /// Lines read.
    pub lines: u64,
    /// Lines given but not read (beyond [`MAX_ANALYSED_LINES`]).
    pub skipped: u64,
    /// Lines that are errors: an error word (error, exception, fatal, panic, critical,
    /// severe, traceback) or a known pattern.
    pub errors: u64,
    /// Known patterns seen, most frequent first.
    pub patterns: Vec<PatternCount>,
    /// The most frequent error messages, normalised, most frequent first.
    pub top_messages: Vec<MessageCount>,
    /// The first stack trace, cut to [`MAX_STACK_TRACE_LINES`] lines and
    /// [`MAX_STACK_TRACE_CHARS`] characters.
    pub stack_trace: Option<String>,
    pub first_error_at: Option<DateTime<Utc>>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl LogAnalysis {
    /// Whether these logs point at a failure: a known pattern, or at least
    /// [`ERROR_LINES_BREACH`] error lines.
    pub fn breached(&self) -> bool {
        !self.patterns.is_empty() || self.errors >= ERROR_LINES_BREACH
    }

    /// Room lines: each pattern, the top messages, the stack trace's first line.
    pub fn details(&self) -> Vec<Msg> {
        let mut out: Vec<Msg> = self
            .patterns
            .iter()
            .map(|found| found.pattern.msg(found.count))
            .collect();
        out.extend(self.top_messages.iter().take(3).map(|top| {
            Msg::new("logs-top-message")
                .number("count", top.count)
                .outside("message", &top.message)
        }));
        if let Some(trace) = &self.stack_trace {
            let first = trace.lines().next().unwrap_or_default();
            out.push(
                Msg::new("logs-stack-trace").outside("line", cut_chars(first, MAX_MESSAGE_CHARS)),
            );
        }
        out
    }

    /// A plain-text report for the action's output (the API shows it whole).
    pub fn report(&self) -> String {
        let mut out = format!("lines read: {}, error lines: {}", self.lines, self.errors);
        if self.skipped > 0 {
            out.push_str(&format!(", not read: {}", self.skipped));
        }
        out.push('\n');
        if let (Some(first), Some(last)) = (self.first_error_at, self.last_error_at) {
            out.push_str(&format!(
                "errors from {} to {}\n",
                first.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        if !self.patterns.is_empty() {
            out.push_str("patterns:\n");
            for found in &self.patterns {
                out.push_str(&format!("  {} x{}\n", found.pattern.code(), found.count));
            }
        }
        if !self.top_messages.is_empty() {
            out.push_str("top messages:\n");
            for top in &self.top_messages {
                out.push_str(&format!("  {:>5}x {}\n", top.count, top.message));
            }
        }
        if let Some(trace) = &self.stack_trace {
            out.push_str("first stack trace:\n");
            out.push_str(trace);
            out.push('\n');
        }
        out
    }
}

/// Reads `lines` (in chronological order): error count, patterns, top messages, the first
/// stack trace. Bounded whatever it is given.
pub fn analyze(lines: &[LogLine]) -> LogAnalysis {
    let read = &lines[..lines.len().min(MAX_ANALYSED_LINES)];
    let mut analysis = LogAnalysis {
        lines: count(read.len()),
        skipped: count(lines.len() - read.len()),
        ..LogAnalysis::default()
    };
    let mut patterns: BTreeMap<LogPattern, u64> = BTreeMap::new();
    let mut messages: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for (index, line) in read.iter().enumerate() {
        let text = cut_chars(&line.text, MAX_LINE_CHARS);
        let lower = text.to_lowercase();
        let mut known = false;
        for pattern in LogPattern::ALL {
            if pattern.matches(&lower) {
                known = true;
                *patterns.entry(pattern).or_default() += 1;
            }
        }
        if !(known || is_error_text(&lower)) {
            continue;
        }
        analysis.errors += 1;
        if let Some(at) = line.at {
            analysis.first_error_at = Some(analysis.first_error_at.map_or(at, |t| t.min(at)));
            analysis.last_error_at = Some(analysis.last_error_at.map_or(at, |t| t.max(at)));
        }
        let message = normalise(text);
        if message.is_empty() {
            continue;
        }
        let distinct = messages.len();
        match messages.get_mut(&message) {
            Some((seen, _)) => *seen += 1,
            None if distinct < MAX_DISTINCT_MESSAGES => {
                messages.insert(message, (1, index));
            }
            None => {}
        }
    }
    let mut patterns: Vec<PatternCount> = patterns
        .into_iter()
        .map(|(pattern, count)| PatternCount { pattern, count })
        .collect();
    patterns.sort_by(|a, b| b.count.cmp(&a.count).then(a.pattern.cmp(&b.pattern)));
    analysis.patterns = patterns;
    let mut top: Vec<(String, u64, usize)> = messages
        .into_iter()
        .map(|(message, (count, first))| (message, count, first))
        .collect();
    // Most frequent first; ties go to the message seen first.
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    analysis.top_messages = top
        .into_iter()
        .take(TOP_MESSAGES)
        .map(|(message, count, _)| MessageCount { message, count })
        .collect();
    analysis.stack_trace = first_stack_trace(read);
    analysis
}

/// Whether a lower-cased line carries an error word.
fn is_error_text(lower: &str) -> bool {
    const WORDS: [&str; 7] = [
        "error",
        "exception",
        "fatal",
        "panic",
        "critical",
        "severe",
        "traceback",
    ];
    WORDS.iter().any(|word| lower.contains(word))
}

/// The first line of `text` with numbers and ids masked (`<n>` for a run of digits, `<id>` for
/// a run of letters and digits that holds a digit), whitespace collapsed, cut to
/// [`MAX_MESSAGE_CHARS`]: lines that differ only in a request id or a duration count as one.
pub fn normalise(text: &str) -> String {
    let first = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        if run.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("<n>");
        } else if run.bytes().any(|b| b.is_ascii_digit()) {
            out.push_str("<id>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    let mut last_space = true;
    for c in first.chars() {
        if c.is_alphanumeric() {
            run.push(c);
            last_space = false;
            continue;
        }
        flush(&mut run, &mut out);
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    flush(&mut run, &mut out);
    cut_chars(out.trim_end(), MAX_MESSAGE_CHARS).to_owned()
}

/// Whether a line is a frame or a continuation of a stack trace (JVM `at …`, `Caused by:`,
/// `... 12 more`; Python `File "…"`; Go `goroutine 1 [running]:` and tab-indented frames).
fn is_frame(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("at ")
        || trimmed.starts_with("Caused by:")
        || (trimmed.starts_with("...") && trimmed.ends_with("more"))
        || trimmed.starts_with("File \"")
        || trimmed.starts_with("goroutine ")
        || (line.starts_with('\t') && !trimmed.is_empty())
}

/// Whether a line can open a stack trace.
fn is_trace_head(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.contains("exception")
        || lower.contains("error")
        || lower.contains("traceback (most recent call last)")
        || lower.contains("panic:")
}

/// The first stack trace: a multi-line entry with frames in it, or an error line followed by
/// frame lines (when each line of the trace was logged on its own).
fn first_stack_trace(lines: &[LogLine]) -> Option<String> {
    for (index, line) in lines.iter().enumerate() {
        let text = cut_chars(&line.text, MAX_STACK_TRACE_CHARS);
        let inner: Vec<&str> = text.lines().collect();
        // `last_before` indexes the line just before the first frame (frames never open an
        // entry).
        if let Some(last_before) = inner.iter().skip(1).position(|l| is_frame(l)) {
            // The trace starts at the last non-empty line before its first frame (the
            // exception's own line), not at whatever the entry said before it.
            let start = inner[..=last_before]
                .iter()
                .rposition(|l| !l.trim().is_empty())
                .unwrap_or(0);
            return Some(bounded_trace(inner[start..].iter().copied()));
        }
        if is_trace_head(text) {
            let frames: Vec<&str> = lines[index + 1..]
                .iter()
                .take(MAX_STACK_TRACE_LINES)
                .map(|next| cut_chars(&next.text, MAX_LINE_CHARS))
                .take_while(|next| is_frame(next))
                .collect();
            if !frames.is_empty() {
                return Some(bounded_trace(std::iter::once(text).chain(frames)));
            }
        }
    }
    None
}

fn bounded_trace<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for line in lines.take(MAX_STACK_TRACE_LINES) {
        if out.len() + line.len() + 1 > MAX_STACK_TRACE_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// At most `max` characters of `text`, cut on a character boundary.
pub fn cut_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
