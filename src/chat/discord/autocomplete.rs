//! Discord's autocomplete for the options whose values come from config, not from the
//! static command tree: `OptionKind::CatalogCommand` (the catalog's names, with their
//! descriptions in the member's language) and `OptionKind::Service` (the configured services).
//! Suggestions match what was typed so far (names that start with it first, then names or
//! labels that contain it), at most [`MAX_CHOICES`], Discord's limit.

use poise::serenity_prelude as serenity;

use crate::chat::discord::DiscordData;
use crate::chat::discord::commands::reply_locale;
use crate::domain::action::Catalog;
use crate::domain::message::Msg;
use crate::domain::service::{ServiceDef, Services};
use crate::i18n::I18n;

/// Discord shows at most 25 choices and refuses more.
pub const MAX_CHOICES: usize = 25;
/// A choice's name and a string choice's value are 1–100 characters.
const MAX_CHOICE_CHARS: usize = 100;

type Ctx<'a> = poise::ApplicationContext<'a, DiscordData, crate::chat::discord::Error>;

/// What an autocompleted option offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    Commands,
    Services,
}

/// poise's autocomplete callback for a catalog command option.
pub(super) fn command_choices<'a>(
    ctx: Ctx<'a>,
    typed: &'a str,
) -> poise::BoxFuture<'a, serenity::CreateAutocompleteResponse> {
    Box::pin(answer(ctx, typed, Offer::Commands))
}

/// poise's autocomplete callback for a service option.
pub(super) fn service_choices<'a>(
    ctx: Ctx<'a>,
    typed: &'a str,
) -> poise::BoxFuture<'a, serenity::CreateAutocompleteResponse> {
    Box::pin(answer(ctx, typed, Offer::Services))
}

async fn answer(ctx: Ctx<'_>, typed: &str, offer: Offer) -> serenity::CreateAutocompleteResponse {
    let data = ctx.data();
    let interaction = ctx.interaction;
    let locale = reply_locale(
        &data.i18n,
        &interaction.locale,
        interaction.guild_locale.as_deref(),
    );
    // Someone warroom does not know gets no suggestions: the catalog and the services are
    // for responders (an early refusal; the engine refuses their commands anyway).
    let person = data.person(&interaction.user, interaction.member.as_deref(), locale);
    let choices = if person.roles.is_empty() {
        Vec::new()
    } else {
        let actions = data.port.actions();
        match offer {
            Offer::Commands => catalog_choices(&data.i18n, locale, &actions.catalog, typed),
            Offer::Services => services_choices(&actions.services, typed),
        }
    };
    serenity::CreateAutocompleteResponse::new().set_choices(
        choices
            .into_iter()
            .map(|(label, value)| serenity::AutocompleteChoice::new(label, value))
            .collect(),
    )
}

/// `(label, value)` pairs for the catalog: `scale — Scale a service's deployment`.
pub fn catalog_choices(
    i18n: &I18n,
    locale: &str,
    catalog: &Catalog,
    typed: &str,
) -> Vec<(String, String)> {
    let candidates = catalog.iter().map(|command| {
        let label = i18n.render(
            locale,
            &Msg::new("autocomplete-command")
                .outside("command", &command.name)
                .word("description", &command.description),
        );
        (command.name.clone(), label)
    });
    suggest(candidates, typed)
}

/// `(label, value)` pairs for the services: `checkout-api (shop/checkout-api)`.
pub fn services_choices(services: &Services, typed: &str) -> Vec<(String, String)> {
    let candidates = services.iter().map(|service: &ServiceDef| {
        let label = match (&service.namespace, &service.deployment) {
            (Some(namespace), Some(deployment)) => {
                format!("{} ({namespace}/{deployment})", service.name)
            }
            _ => service.name.clone(),
        };
        (service.name.clone(), label)
    });
    suggest(candidates, typed)
}

/// The candidates (`(value, label)`) that match `typed`, case-insensitively: values that
/// start with it first, then values or labels that contain it, each group in the given
/// order; at most [`MAX_CHOICES`], labels cut to Discord's 100 characters. A value longer than
/// 100 characters cannot be sent as a choice and is left out.
pub fn suggest(
    candidates: impl Iterator<Item = (String, String)>,
    typed: &str,
) -> Vec<(String, String)> {
    let typed = typed.trim().to_lowercase();
    let mut starts = Vec::new();
    let mut contains = Vec::new();
    for (value, label) in candidates {
        let value_chars = value.chars().count();
        if value_chars == 0 || value_chars > MAX_CHOICE_CHARS {
            continue;
        }
        let lower = value.to_lowercase();
        if lower.starts_with(&typed) {
            starts.push((cut_label(&label, &value), value));
        } else if lower.contains(&typed) || label.to_lowercase().contains(&typed) {
            contains.push((cut_label(&label, &value), value));
        }
    }
    starts.extend(contains);
    starts.truncate(MAX_CHOICES);
    starts
}

/// A label within 100 characters (the value itself when the label is empty).
fn cut_label(label: &str, value: &str) -> String {
    let label = if label.trim().is_empty() {
        value
    } else {
        label
    };
    if label.chars().count() <= MAX_CHOICE_CHARS {
        return label.to_owned();
    }
    let mut out: String = label.chars().take(MAX_CHOICE_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(names: &[&str]) -> impl Iterator<Item = (String, String)> {
        names
            .iter()
            .map(|name| ((*name).to_owned(), format!("{name} label")))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn suggestions_match_what_was_typed_prefixes_first() {
        let names = [
            "checkout-api",
            "payments-api",
            "postgres-main",
            "api-gateway",
        ];
        let values = |typed: &str| -> Vec<String> {
            suggest(pairs(&names), typed)
                .into_iter()
                .map(|(_, value)| value)
                .collect()
        };
        assert_eq!(values(""), names);
        assert_eq!(values("  "), names);
        assert_eq!(
            values("p"),
            [
                "payments-api",
                "postgres-main",
                "checkout-api",
                "api-gateway"
            ]
        );
        assert_eq!(
            values("API"),
            ["api-gateway", "checkout-api", "payments-api"]
        );
        assert_eq!(values("pay"), ["payments-api"]);
        assert_eq!(values("label"), names, "labels match too");
        assert!(values("nothing-like-it").is_empty());
    }

    #[test]
    fn suggestions_respect_discords_limits() {
        let many: Vec<String> = (0..60).map(|n| format!("svc-{n:02}")).collect();
        let long_value = "x".repeat(101);
        let candidates = many
            .iter()
            .map(|name| (name.clone(), "y".repeat(300)))
            .chain([
                (long_value.clone(), "long".to_owned()),
                (String::new(), "empty".to_owned()),
            ]);
        let choices = suggest(candidates, "");
        assert_eq!(choices.len(), MAX_CHOICES);
        for (label, value) in &choices {
            assert!((1..=100).contains(&label.chars().count()), "{label}");
            assert!((1..=100).contains(&value.chars().count()), "{value}");
        }
        assert!(!choices.iter().any(|(_, value)| *value == long_value));
    }

    #[test]
    fn services_show_where_they_run_and_commands_their_description_in_the_members_language() {
        let services = Services::new([
            ServiceDef {
                name: "checkout-api".into(),
                namespace: Some("shop".into()),
                deployment: Some("checkout".into()),
                ..ServiceDef::default()
            },
            ServiceDef {
                name: "postgres-main".into(),
                ..ServiceDef::default()
            },
        ]);
        assert_eq!(
            services_choices(&services, "check"),
            [(
                "checkout-api (shop/checkout)".to_owned(),
                "checkout-api".to_owned()
            )]
        );
        let i18n = I18n::builtin().unwrap();
        let command = |name: &str, description: &str| crate::domain::action::CommandDef {
            name: name.into(),
            description: description.into(),
            executor: crate::domain::action::ExecutorKind::Kubernetes,
            action: name.into(),
            approvals: 2,
            approver_role: crate::domain::access::PersonRole::DutyManager,
            risk: crate::domain::action::Risk::High,
            timeout: std::time::Duration::from_secs(30),
            cooldown: None,
            idempotent: true,
            params: Vec::new(),
            argv: Vec::new(),
            env: Vec::new(),
        };
        let catalog = Catalog::new([
            command("scale", "cmd-scale-description"),
            command("diag", "cmd-diag-description"),
        ]);
        assert_eq!(
            catalog_choices(&i18n, "en-US", &catalog, "sc"),
            [(
                "scale — Scale a service's deployment (needs approvals)".to_owned(),
                "scale".to_owned()
            )]
        );
        let zh = catalog_choices(&i18n, "zh-CN", &catalog, "diag");
        assert_eq!(zh.len(), 1);
        assert!(zh[0].0.starts_with("diag — "), "{zh:?}");
        assert!(!zh[0].0.contains("Diagnose"), "{zh:?}");
    }
}
