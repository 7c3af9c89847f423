//! Rendering rich text for Discord: outside text escaped so it can neither ping nor format
//! nor spoof a link, people named, calls turned into mentions that the message's
//! `allowed_mentions` lists, and Discord's limits applied after escaping without ever cutting
//! an escape in half.

use crate::chat::{RichText, Span};
use crate::domain::ids::UserId;

/// Discord text with the users it calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscordText {
    pub text: String,
    /// The users whose mentions in `text` are meant to ping: exactly what `allowed_mentions`
    /// lists.
    pub calls: Vec<u64>,
    /// The text says `@here` (an escalation step), so `allowed_mentions` lets it ping.
    pub here: bool,
}

/// Renders `rich` for Discord and cuts it to `max` characters.
pub fn render(rich: &RichText, max: usize) -> DiscordText {
    let mut text = String::new();
    let mut calls = Vec::new();
    let mut here = false;
    for span in &rich.0 {
        match span {
            Span::Own(own) => text.push_str(own),
            Span::Outside(outside) => text.push_str(&escape(outside)),
            Span::Person {
                name: Some(name), ..
            } if !name.trim().is_empty() => text.push_str(&escape(name)),
            // Only the id is known: a user mention shows the member's name in every client
            // and, absent from `allowed_mentions`, pings nobody.
            Span::Person { id, .. } => match snowflake(id) {
                Some(user) => text.push_str(&format!("<@{user}>")),
                None => text.push_str(&escape(&id.0)),
            },
            Span::Link(url) => match plain_link(url) {
                // `<url>`: Discord links it, shows the address itself and adds no preview.
                Some(url) => text.push_str(&format!("<{url}>")),
                None => text.push_str(&escape(url)),
            },
            Span::Call(id) => match snowflake(id) {
                Some(user) => {
                    text.push_str(&format!("<@{user}>"));
                    if !calls.contains(&user) {
                        calls.push(user);
                    }
                }
                None => text.push_str(&escape(&format!("@{}", id.0))),
            },
            Span::Code(code) => text.push_str(&code_block(code)),
            Span::Here => {
                text.push_str("@here");
                here = true;
            }
        }
    }
    DiscordText {
        text: cut(&text, max),
        calls,
        here,
    }
}

/// Program output as a Discord code block. Nothing inside a code block is formatted or
/// parsed as a mention, so only what could end the block is changed: each backtick becomes
/// `ˋ` (U+02CB, one character for one, so a length measured before still holds), and control
/// characters other than newline and tab become `�`.
pub fn code_block(code: &str) -> String {
    let body: String = code
        .chars()
        .map(|c| match c {
            '`' => '\u{02CB}',
            '\n' | '\t' => c,
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect();
    let body = body.trim_end_matches('\n');
    format!("```\n{body}\n```")
}

/// The URL when it can be shown as a plain `<url>` link: http or https, at most 512
/// characters, nothing that could end the brackets or start a new line. Anything else is
/// shown escaped, as text.
fn plain_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'));
    (scheme_ok && clean && url.chars().count() <= 512 && url.len() > "https://".len())
        .then_some(url)
}

/// Escapes text from outside so Discord shows it as typed: inline markdown and mention
/// syntax get a backslash, the line-start markers (quote `>`, heading `#`, list and subtext
/// `-`) get one where they start a line, and `@` a zero-width space after it so `@everyone`
/// and `@here` are never parsed.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    // A span may itself start a line; escaping its first marker costs nothing if not.
    let mut line_start = true;
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            '>' | '#' | '-' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                out.push('\u{200B}');
            }
            _ => out.push(c),
        }
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    out
}

/// Cuts escaped text to at most `max` characters, ending in `…`, on a character boundary and
/// never between an escaping backslash and the character it escapes.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    let trailing_backslashes = out.chars().rev().take_while(|c| *c == '\\').count();
    if trailing_backslashes % 2 == 1 {
        out.pop();
    }
    out.push('…');
    out
}

fn snowflake(id: &UserId) -> Option<u64> {
    crate::config::parse_snowflake(&id.0)
}

#[cfg(test)]
mod tests {

    #[test]
    fn links_from_outside_are_plain_addresses_or_escaped_text() {
        let render_link = |url: &str| render(&RichText::link(url), 2000).text;
        let cases: [(&str, &str); 5] = [
            (
                "http://127.0.0.1:18080/runbook/high_latency",
                "<http://127.0.0.1:18080/runbook/high_latency>",
            ),
            (
                "https://grafana.example/d/a_b?x=(1)&y=*2*",
                "<https://grafana.example/d/a_b?x=(1)&y=*2*>",
            ),
            // Not a link warroom will show as one: escaped text, clickable or not.
            ("javascript:alert(1)", &escape("javascript:alert(1)")),
            (
                "https://evil.example> @everyone",
                &escape("https://evil.example> @everyone"),
            ),
            (
                "[docs](https://evil.example)",
                &escape("[docs](https://evil.example)"),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(render_link(url), expected, "{url}");
        }
    }

    use super::*;

    #[test]
    fn escaping_table() {
        let zw = '\u{200B}';
        let cases: &[(&str, String)] = &[
            ("plain words", "plain words".to_owned()),
            ("@everyone wake up", format!("@{zw}everyone wake up")),
            ("@here", format!("@{zw}here")),
            ("<@123>", format!("\\<@{zw}123>")),
            ("<@!123>", format!("\\<@{zw}!123>")),
            ("<@&456>", format!("\\<@{zw}&456>")),
            ("<#789>", "\\<#789>".to_owned()),
            ("<t:1700000000:R>", "\\<t:1700000000:R>".to_owned()),
            ("<:party:123>", "\\<:party:123>".to_owned()),
            (
                "**bold** _it_ ~~x~~",
                "\\*\\*bold\\*\\* \\_it\\_ \\~\\~x\\~\\~".to_owned(),
            ),
            ("||spoiler||", "\\|\\|spoiler\\|\\|".to_owned()),
            ("> quote", "\\> quote".to_owned()),
            ("# Heading", "\\# Heading".to_owned()),
            ("-# subtext", "\\-# subtext".to_owned()),
            ("a > b - c # d", "a > b - c # d".to_owned()),
            ("ok\n  > quote\n# h", "ok\n  \\> quote\n\\# h".to_owned()),
            (
                "[link](https://evil.example)",
                "\\[link\\]\\(https://evil.example\\)".to_owned(),
            ),
            ("```rm -rf```", "\\`\\`\\`rm -rf\\`\\`\\`".to_owned()),
            ("a\\b", "a\\\\b".to_owned()),
            ("延迟 p99 过高 🚨", "延迟 p99 过高 🚨".to_owned()),
        ];
        for (input, expected) in cases {
            assert_eq!(&escape(input), expected, "{input:?}");
        }
    }

    #[test]
    fn cutting_table() {
        let cases: &[(&str, usize, &str)] = &[
            ("short", 10, "short"),
            ("exactly10!", 10, "exactly10!"),
            ("abcdefghijk", 5, "abcd…"),
            // The fifth character would be an escaping backslash: it goes too.
            ("abc\\*def", 5, "abc…"),
            ("abcd\\*ef", 6, "abcd…"),
            // An escaped backslash is whole: both stay.
            ("ab\\\\cdef", 5, "ab\\\\…"),
            ("延迟过高延迟过高", 4, "延迟过…"),
            ("🚨🚨🚨🚨", 3, "🚨🚨…"),
            ("anything", 0, ""),
        ];
        for (input, max, expected) in cases {
            let got = cut(input, *max);
            assert_eq!(&got, expected, "{input:?} at {max}");
            assert!(got.chars().count() <= *max);
        }
    }

    #[test]
    fn cutting_escaped_text_never_leaves_a_dangling_escape() {
        let escaped = escape(&"*_@<".repeat(600));
        for max in 1..60 {
            let cut = cut(&escaped, max);
            assert!(cut.chars().count() <= max);
            let body = cut.trim_end_matches('…');
            let trailing = body.chars().rev().take_while(|c| *c == '\\').count();
            assert_eq!(trailing % 2, 0, "{cut:?}");
        }
    }

    #[test]
    fn rendering_escapes_outside_text_names_people_and_lists_only_calls() {
        let alice = UserId("930000000000000002".to_owned());
        let bob = UserId("930000000000000003".to_owned());
        let rich = RichText(vec![
            Span::Own("📣 ".to_owned()),
            Span::Outside("@here <@&1>".to_owned()),
            Span::Own(" by ".to_owned()),
            Span::Person {
                id: alice.clone(),
                name: Some("Alice *ops*".to_owned()),
            },
            Span::Own(", calling ".to_owned()),
            Span::Call(bob.clone()),
            Span::Own(" and ".to_owned()),
            Span::Person {
                id: bob.clone(),
                name: None,
            },
        ]);
        let out = render(&rich, 2000);
        assert_eq!(
            out.text,
            "📣 @\u{200B}here \\<@\u{200B}&1> by Alice \\*ops\\*, calling <@930000000000000003> and <@930000000000000003>"
        );
        assert_eq!(out.calls, vec![930000000000000003]);
        let none = render(&RichText::outside("@everyone"), 2000);
        assert!(none.calls.is_empty());
    }
}
