//! Log output that outsiders cannot forge.
//!
//! Alert names, notes and chat names reach log fields. A field holding a newline could start
//! what looks like a second, genuine log line; an ANSI escape could repaint the terminal; a
//! right-to-left override could reverse what an operator reads. Every field value and message
//! is therefore written with control and bidirectional-formatting characters escaped
//! (`\n`, `\u{1b}`, `\u{202e}`), so one event is always exactly one line.

use std::fmt::Write as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{FmtSpan, Writer};

/// Installs the process-wide subscriber: human-readable lines on stderr, filtered by `filter`,
/// every field escaped.
pub fn init(filter: EnvFilter) {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr)
        .fmt_fields(escaping_fields())
        .init();
}

/// The field formatter: `name=value` pairs separated by spaces, the message bare, each
/// escaped with [`escape_control`].
pub fn escaping_fields()
-> impl for<'writer> tracing_subscriber::fmt::FormatFields<'writer> + 'static {
    tracing_subscriber::fmt::format::debug_fn(
        |writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
            // `%value` fields arrive as Debug wrappers that print their Display form raw, and
            // the message arrives as format arguments: render, then escape.
            let rendered = format!("{value:?}");
            let escaped = escape_control(&rendered);
            if field.name() == "message" {
                write!(writer, "{escaped}")
            } else {
                write!(writer, "{}={escaped}", field.name())
            }
        },
    )
    .delimited(" ")
}

/// `text` with every control character and every bidirectional-formatting character written
/// as a Rust-style escape; everything else, including non-ASCII text, unchanged.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if needs_escape(ch) {
            match ch {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                // Writing to a String cannot fail.
                other => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
                }
            }
        } else {
            out.push(ch);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn needs_escape(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_text_is_kept() {
        let cases = [
            ("plain text", "plain text"),
            ("数据库已切换", "数据库已切换"),
            ("two\nlines", "two\\nlines"),
            ("cr\rlf", "cr\\rlf"),
            ("tab\there", "tab\\there"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("abc\u{202e}cba", "abc\\u{202e}cba"),
            ("nul\0", "nul\\u{0}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
        ];
        for (input, expected) in cases {
            assert_eq!(escape_control(input), expected, "{input:?}");
        }
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_forged_line_in_a_field_stays_on_its_event_line() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .fmt_fields(escaping_fields())
            .finish();
        let forged = "HighLatency\n2026-12-01T03:00:00Z  INFO warroom: Incident closed by alice.";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(alert = %forged, note = ?"x\ny", "Alert\nreceived.");
        });
        let output = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(output.lines().count(), 1, "one event, one line: {output}");
        assert!(
            output.contains("alert=HighLatency\\n2026-12-01T03:00:00Z"),
            "{output}"
        );
        assert!(output.contains("Alert\\nreceived."), "{output}");
    }
}
