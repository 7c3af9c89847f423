//! Log output that cannot be forged: every field value, the message included, has its
//! control characters escaped, so an alert name or a note with a newline cannot start a fake
//! log line, and one with terminal escapes cannot repaint the operator's screen.

use std::fmt::Write as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{Writer, debug_fn};

/// Installs the process-wide subscriber: human-readable lines on stderr, filtered by
/// `filter`, with escaped field values.
pub fn init(filter: EnvFilter) {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(escaped_fields())
        .with_writer(std::io::stderr)
        .init();
}

/// The field formatter: `name=value` pairs separated by spaces, the message bare, every
/// value escaped by [`escape_control`].
pub fn escaped_fields() -> impl for<'writer> tracing_subscriber::fmt::FormatFields<'writer> + 'static
{
    debug_fn(
        |writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
            let text = escape_control(&format!("{value:?}"));
            if field.name() == "message" {
                write!(writer, "{text}")
            } else {
                write!(writer, "{}={text}", field.name())
            }
        },
    )
    .delimited(" ")
}

/// Escapes control characters (newlines, carriage returns, terminal escapes, …), Unicode line
/// separators and bidirectional overrides as `\n`, `\r`, `\t` or `\u{…}`; everything else is
/// kept.
pub fn escape_control(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            ("a\nb", "a\\nb"),
            ("a\r\nINFO forged", "a\\r\\nINFO forged"),
            ("tab\there", "tab\\there"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("nul\0", "nul\\u{0}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
            ("\u{202E}txt.exe", "\\u{202e}txt.exe"),
            ("延迟 🚨", "延迟 🚨"),
        ];
        for (input, expected) in cases {
            assert_eq!(&escape_control(input), expected, "{input:?}");
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
    fn a_logged_alert_name_cannot_start_a_new_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let name = "HighLatency\n2026-11-21T10:00:00Z  INFO warroom: Incident closed.";
            tracing::warn!(alert = %name, note = name, "Alert\r\nrejected.");
        });
        let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(logged.lines().count(), 1, "{logged}");
        assert!(
            logged.contains("Alert\\r\\nrejected. alert=HighLatency\\n2026-11-21T10:00:00Z"),
            "{logged}"
        );
        assert!(logged.contains("note=\"HighLatency\\n2026"), "{logged}");
    }
}
