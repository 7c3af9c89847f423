//! Localized text. Every user-facing chat string is a Fluent message in `locales/<locale>/`;
//! the files are compiled into the binary so a deployed warroom cannot lose them.

use std::collections::BTreeSet;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::chat::{RichText, Span};
use crate::domain::message::{Arg, Msg};

pub const DEFAULT_LOCALE: &str = "en-US";

/// The locales warroom ships, with their Fluent sources (Discord's locale codes).
pub const SOURCES: &[(&str, &str)] = &[
    ("en-US", include_str!("../locales/en-US/warroom.ftl")),
    ("zh-CN", include_str!("../locales/zh-CN/warroom.ftl")),
];

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("locale {locale}: {detail}")]
    Invalid { locale: String, detail: String },
}

pub struct I18n {
    bundles: Vec<(String, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n")
            .field("locales", &self.locales())
            .finish()
    }
}

impl I18n {
    /// Loads the built-in locales; fails on a syntax error or a duplicate message.
    pub fn builtin() -> Result<I18n, I18nError> {
        I18n::from_sources(SOURCES.iter().map(|(l, s)| (l.to_string(), s.to_string())))
    }

    pub fn from_sources(
        sources: impl IntoIterator<Item = (String, String)>,
    ) -> Result<I18n, I18nError> {
        let mut bundles = Vec::new();
        for (locale, source) in sources {
            let invalid = |detail: String| I18nError::Invalid {
                locale: locale.clone(),
                detail,
            };
            let langid: LanguageIdentifier = locale
                .parse()
                .map_err(|_| invalid("not a language tag".to_owned()))?;
            let resource = FluentResource::try_new(source)
                .map_err(|(_, errors)| invalid(format!("syntax errors: {errors:?}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Chat clients show Unicode isolation marks as stray characters.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| invalid(format!("{errors:?}")))?;
            bundles.push((locale, bundle));
        }
        Ok(I18n { bundles })
    }

    pub fn locales(&self) -> Vec<&str> {
        self.bundles
            .iter()
            .map(|(locale, _)| locale.as_str())
            .collect()
    }

    /// The supported locale closest to `requested`: exact, then same language, then en-US.
    pub fn resolve_locale<'a>(&'a self, requested: &str) -> &'a str {
        let exact = self
            .bundles
            .iter()
            .find(|(locale, _)| locale.eq_ignore_ascii_case(requested));
        let language = requested.split(['-', '_']).next().unwrap_or_default();
        let same_language = || {
            self.bundles.iter().find(|(locale, _)| {
                locale
                    .split('-')
                    .next()
                    .is_some_and(|l| l.eq_ignore_ascii_case(language))
            })
        };
        exact
            .or_else(same_language)
            .map(|(locale, _)| locale.as_str())
            .unwrap_or(DEFAULT_LOCALE)
    }

    pub fn is_supported(&self, locale: &str) -> bool {
        self.bundles.iter().any(|(l, _)| l == locale)
    }

    /// The message ids of one locale.
    pub fn message_ids(&self, locale: &str) -> BTreeSet<String> {
        SOURCES
            .iter()
            .filter(|(l, _)| *l == locale)
            .flat_map(|(_, source)| message_ids_of(source))
            .collect()
    }

    /// Renders a core message as plain text, the way the console shows it (outside text as
    /// typed, people by name).
    pub fn render(&self, locale: &str, msg: &Msg) -> String {
        self.rich(locale, msg).plain()
    }

    /// Renders a core message into spans a chat renders for its medium. Fluent formats the
    /// message with numbers as numbers (so plurals select) and words translated
    /// (`state-acknowledged`, `role-commander`, … when such a message exists); text and
    /// people enter as opaque placeholders that become their own spans afterwards, so no
    /// outside text is ever mistaken for warroom's.
    pub fn rich(&self, locale: &str, msg: &Msg) -> RichText {
        let mut fluent_args = FluentArgs::new();
        let mut held: Vec<Span> = Vec::new();
        for (name, value) in &msg.args {
            let value: FluentValue = match value {
                Arg::Number(number) => FluentValue::from(*number),
                Arg::Word(word) => FluentValue::from(self.translate_word(locale, name, word)),
                Arg::Text(text) => placeholder(&mut held, Span::Outside(text.clone())),
                Arg::Person { id, name } => placeholder(
                    &mut held,
                    Span::Person {
                        id: id.clone(),
                        name: name.clone(),
                    },
                ),
                Arg::Call { id } => placeholder(&mut held, Span::Call(id.clone())),
                Arg::Here => placeholder(&mut held, Span::Here),
                Arg::Calls { ids } => FluentValue::from(
                    ids.iter()
                        .map(|id| placeholder_text(&mut held, Span::Call(id.clone())))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            };
            fluent_args.set(name.as_str(), value);
        }
        let formatted = self.format(locale, &msg.id, Some(&fluent_args));
        spans_of(&formatted, &held)
    }

    /// A word argument in the reader's language when it names a state, role or action.
    fn translate_word(&self, locale: &str, name: &str, word: &str) -> String {
        // How an escalation step called people: a list of codes (`room, here, page`).
        if name == "how" {
            return word
                .split(", ")
                .map(|code| self.translate_word(locale, "how_code", code))
                .collect::<Vec<_>>()
                .join(", ");
        }
        let prefix = match name {
            "how_code" => Some("escalation-how-"),
            "state" | "from" => Some("state-"),
            "role" => Some("role-"),
            "action" => Some("action-"),
            // Probe refusals and failures, and job kinds, are stored as codes.
            "reason" => Some("probe-refusal-"),
            "failure" => Some("probe-failure-"),
            "job" => Some("job-kind-"),
            // Action requests: their states, risks, approver roles, outcomes and the codes
            // of ignored votes and cancellations.
            "request_state" => Some("act-state-"),
            "risk" => Some("act-risk-"),
            "approver" => Some("act-role-"),
            "outcome" => Some("act-status-"),
            "vote_reason" => Some("act-vote-reason-"),
            "cancel_reason" => Some("act-cancel-reason-"),
            // Help lines carry the id of the command's description.
            "description" => Some(""),
            _ => None,
        };
        match prefix {
            Some(prefix) => {
                let id = format!("{prefix}{word}");
                if self.has(&id) {
                    self.text(locale, &id, &[])
                } else {
                    word.to_owned()
                }
            }
            None => word.to_owned(),
        }
    }

    fn has(&self, id: &str) -> bool {
        self.bundles
            .iter()
            .any(|(locale, bundle)| locale == DEFAULT_LOCALE && bundle.has_message(id))
    }

    /// Formats message `id` in `locale` with warroom's own words as arguments (falling back
    /// to en-US, then to the id itself, which is logged: a missing message is a bug the
    /// locale test should have caught). Text from outside goes through [`I18n::rich`].
    pub fn text(&self, locale: &str, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        self.format(locale, id, Some(&fluent_args))
    }

    fn format(&self, locale: &str, id: &str, args: Option<&FluentArgs>) -> String {
        let locale = self.resolve_locale(locale);
        for candidate in [locale, DEFAULT_LOCALE] {
            let Some((_, bundle)) = self.bundles.iter().find(|(l, _)| l == candidate) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(
                        message = id,
                        locale = candidate,
                        ?errors,
                        "Message formatted with errors."
                    );
                }
                return text.into_owned();
            }
        }
        tracing::warn!(
            message = id,
            locale,
            "Message id missing from every locale."
        );
        id.to_owned()
    }
}

/// Placeholders are private-use characters around the index of the held span: no
/// translation contains them, and outside text never reaches Fluent.
const PLACEHOLDER_OPEN: char = '\u{E000}';
const PLACEHOLDER_CLOSE: char = '\u{E001}';

fn placeholder(held: &mut Vec<Span>, span: Span) -> FluentValue<'static> {
    FluentValue::from(placeholder_text(held, span))
}

fn placeholder_text(held: &mut Vec<Span>, span: Span) -> String {
    held.push(span);
    format!("{PLACEHOLDER_OPEN}{}{PLACEHOLDER_CLOSE}", held.len() - 1)
}

/// Splits Fluent's output into own text and the held spans its placeholders stand for.
fn spans_of(formatted: &str, held: &[Span]) -> RichText {
    let mut out = RichText::default();
    let mut rest = formatted;
    while let Some(open) = rest.find(PLACEHOLDER_OPEN) {
        let after = &rest[open + PLACEHOLDER_OPEN.len_utf8()..];
        let Some(close) = after.find(PLACEHOLDER_CLOSE) else {
            break;
        };
        let Some(span) = after[..close]
            .parse::<usize>()
            .ok()
            .and_then(|i| held.get(i))
        else {
            break;
        };
        if open > 0 {
            out.append(RichText::own(&rest[..open]));
        }
        out.push(span.clone());
        rest = &after[close + PLACEHOLDER_CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        out.append(RichText::own(rest));
    }
    out
}

/// The ids of the messages (not terms) defined in a Fluent source.
pub fn message_ids_of(source: &str) -> BTreeSet<String> {
    let resource = match fluent_syntax::parser::parse(source) {
        Ok(resource) => resource,
        Err((resource, _)) => resource,
    };
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_message_and_no_extras() {
        let i18n = I18n::builtin().unwrap();
        let reference = i18n.message_ids(DEFAULT_LOCALE);
        assert!(reference.len() > 20, "en-US looks empty");
        for (locale, _) in SOURCES {
            let ids = i18n.message_ids(locale);
            let missing: Vec<_> = reference.difference(&ids).collect();
            let extra: Vec<_> = ids.difference(&reference).collect();
            assert!(missing.is_empty(), "{locale} lacks {missing:?}");
            assert!(extra.is_empty(), "{locale} has ids en-US lacks: {extra:?}");
        }
    }

    #[test]
    fn every_message_id_used_in_the_code_exists() {
        // Scans the sources for Msg::new("…") and text(…, "…") literals so a typo in an id
        // fails here instead of showing the raw id to someone at 3 a.m.
        let i18n = I18n::builtin().unwrap();
        let known = i18n.message_ids(DEFAULT_LOCALE);
        let pattern =
            regex::Regex::new(r#"(?:Msg::new|\.text)\(\s*(?:[a-z_&.]+,\s*)?"([a-z0-9-]+)""#)
                .unwrap();
        let mut missing = Vec::new();
        let mut seen = 0;
        for path in rust_files(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))) {
            let source = std::fs::read_to_string(&path).unwrap();
            for capture in pattern.captures_iter(&source) {
                seen += 1;
                let id = &capture[1];
                if !known.contains(id) {
                    missing.push(format!("{}: {id}", path.display()));
                }
            }
        }
        assert!(
            seen > 20,
            "the scan found only {seen} ids; is the pattern still right?"
        );
        assert!(missing.is_empty(), "ids used but not defined: {missing:#?}");
    }

    #[test]
    fn every_message_id_a_web_template_uses_exists() {
        // Templates name their texts as t("web-…"); a typo would show the raw id on the page.
        let i18n = I18n::builtin().unwrap();
        let known = i18n.message_ids(DEFAULT_LOCALE);
        let pattern = regex::Regex::new(r#"\bt\(\s*"([a-z0-9-]+)""#).unwrap();
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/web/templates"));
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            for capture in pattern.captures_iter(&source) {
                seen += 1;
                if !known.contains(&capture[1]) {
                    missing.push(format!("{}: {}", path.display(), &capture[1]));
                }
            }
        }
        assert!(seen > 0, "the scan found no t(\"…\") in the templates");
        assert!(missing.is_empty(), "ids used but not defined: {missing:#?}");
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn locale_resolution_falls_back_sensibly() {
        let i18n = I18n::builtin().unwrap();
        assert_eq!(i18n.resolve_locale("zh-CN"), "zh-CN");
        assert_eq!(i18n.resolve_locale("zh-TW"), "zh-CN");
        assert_eq!(i18n.resolve_locale("en-GB"), "en-US");
        assert_eq!(i18n.resolve_locale("fr"), "en-US");
        assert_eq!(i18n.resolve_locale(""), "en-US");
    }

    #[test]
    fn rendering_fills_arguments_without_isolation_marks() {
        let i18n = I18n::builtin().unwrap();
        let msg = Msg::new("reply-state-changed")
            .word("incident", "INC-20261121-001")
            .word("state", "acknowledged");
        let en = i18n.render("en-US", &msg);
        assert!(en.contains("INC-20261121-001"), "{en}");
        assert!(!en.contains('\u{2068}'), "isolation marks in {en:?}");
        let zh = i18n.render("zh-CN", &msg);
        assert_ne!(en, zh);
    }

    #[test]
    fn counts_select_plural_forms_in_every_locale() {
        let i18n = I18n::builtin().unwrap();
        let all = |n: u64, locale: &str| {
            i18n.render(
                locale,
                &Msg::new("card-alerts-all-resolved").number("resolved", n),
            )
        };
        let cases: &[(&str, u64, &str)] = &[
            ("en-US", 1, "all 1 alert resolved"),
            ("en-US", 2, "all 2 alerts resolved"),
            ("en-US", 0, "all 0 alerts resolved"),
            ("zh-CN", 1, "全部 1 条告警已恢复"),
            ("zh-CN", 7, "全部 7 条告警已恢复"),
        ];
        for (locale, n, expected) in cases {
            let text = all(*n, locale);
            assert!(text.contains(expected), "{locale} {n}: {text}");
        }
        let header = |total: u64| {
            i18n.render(
                "en-US",
                &Msg::new("reply-timeline-header")
                    .word("incident", "INC-20261121-001")
                    .number("shown", total)
                    .number("total", total),
            )
        };
        assert!(header(1).contains("1 entry"), "{}", header(1));
        assert!(header(3).contains("3 entries"), "{}", header(3));
        let note = i18n.render(
            "en-US",
            &Msg::new("reply-note-too-long").number("max", 4000),
        );
        assert!(note.contains("4000 characters"), "{note}");
    }

    #[test]
    fn outside_text_and_people_become_their_own_spans() {
        let i18n = I18n::builtin().unwrap();
        let alice = crate::domain::access::Person {
            id: crate::domain::ids::UserId("930000000000000002".to_owned()),
            display_name: "Alice".to_owned(),
            roles: Default::default(),
            locale: "en-US".to_owned(),
        };
        let msg = Msg::new("notice-note")
            .person("user", &alice)
            .outside("text", "@everyone { $text } \u{E000}0\u{E001}");
        let rich = i18n.rich("en-US", &msg);
        assert_eq!(
            rich.0,
            vec![
                Span::Own("📝 ".to_owned()),
                Span::Person {
                    id: alice.id.clone(),
                    name: Some("Alice".to_owned()),
                },
                Span::Own(": ".to_owned()),
                Span::Outside("@everyone { $text } \u{E000}0\u{E001}".to_owned()),
            ]
        );
        assert_eq!(
            i18n.render("en-US", &msg),
            "📝 Alice: @everyone { $text } \u{E000}0\u{E001}"
        );
        // Words naming a state are translated; numbers are not text.
        let zh = i18n.render(
            "zh-CN",
            &Msg::new("reply-state-changed")
                .word("incident", "INC-20261121-001")
                .word("state", "acknowledged"),
        );
        assert!(!zh.contains("acknowledged"), "{zh}");
    }

    /// An escalation step's timeline line names how it called people in the reader's
    /// language, and calls listed together each become their own span.
    #[test]
    fn escalation_words_and_call_lists_render_in_every_locale() {
        use crate::domain::ids::UserId;
        let i18n = I18n::builtin().unwrap();
        let line = Msg::new("tl-escalation-step")
            .number("seq", 4)
            .word("at", "10:05")
            .number("step", 2)
            .number("count", 1)
            .word("how", "room, direct, page");
        let en = i18n.render("en-US", &line);
        assert!(en.contains("in the room, direct message, page"), "{en}");
        let zh = i18n.render("zh-CN", &line);
        assert!(zh.contains("房间内, 私信, 呼叫"), "{zh}");
        let ids = [UserId("alice".to_owned()), UserId("bob".to_owned())];
        let post = Msg::new("notice-escalation-here")
            .here("here")
            .number("step", 1)
            .calls("people", &ids)
            .word("incident", "INC-20261121-001")
            .number("minutes", 5)
            .number("number", 1)
            .number("max", 1);
        let rich = i18n.rich("en-US", &post);
        assert_eq!(rich.calls(), ids.to_vec());
        assert!(rich.0.contains(&Span::Here));
        let plain = rich.plain();
        assert!(plain.starts_with("⏫ @here INC-20261121-001"), "{plain}");
        assert!(plain.contains("@alice, @bob"), "{plain}");
    }
}
