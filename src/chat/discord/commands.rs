//! Slash commands built from the shared command tree (`domain::command::COMMAND_TREE`) with
//! names and descriptions from the locales, and the gateway handlers for commands, buttons
//! and reactions.

use std::collections::BTreeMap;

use poise::serenity_prelude as serenity;
use tracing::{debug, warn};

use crate::chat::discord::{
    DiscordData, Error, MAX_CONTENT_CHARS, allowed_mentions, autocomplete, display_name, escape,
    person_of,
};
use crate::chat::{RichText, parse_button};
use crate::domain::access::Person;
use crate::domain::command::{COMMAND_TREE, Command, OptionKind, OptionValues, build};
use crate::domain::emoji::normalize_reaction;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::message::Msg;
use crate::i18n::{DEFAULT_LOCALE, I18n};

type Ctx<'a> = poise::ApplicationContext<'a, DiscordData, Error>;
type PoiseCommand = poise::Command<DiscordData, Error>;

/// The locales Discord knows that warroom speaks besides en-US (Discord's codes).
const OTHER_LOCALES: &[&str] = &["zh-CN"];

/// Every command of the tree as a poise command: `/incident` with its subcommands, and the
/// top-level leaves. Each leaf carries its index in the tree as custom data.
pub fn build_commands(i18n: &I18n) -> Vec<PoiseCommand> {
    let mut roots: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    for (index, leaf) in COMMAND_TREE.iter().enumerate() {
        roots.entry(leaf.path[0]).or_default().push(index);
    }
    let mut commands = Vec::new();
    for (root, leaves) in roots {
        let single = leaves.len() == 1 && COMMAND_TREE[leaves[0]].path.len() == 1;
        if single {
            commands.push(leaf_command(i18n, leaves[0]));
            continue;
        }
        let subcommands = leaves
            .iter()
            .map(|index| leaf_command(i18n, *index))
            .collect();
        let name_id = format!("cmd-{root}-name");
        let description_id = format!("cmd-{root}-description");
        commands.push(PoiseCommand {
            name: root.into(),
            qualified_name: root.into(),
            identifying_name: root.into(),
            name_localizations: localized(i18n, &name_id),
            description: Some(i18n.text(DEFAULT_LOCALE, &description_id, &[]).into()),
            description_localizations: localized(i18n, &description_id),
            subcommands,
            subcommand_required: true,
            // poise registers only commands with an action; Discord never invokes a parent
            // whose subcommands are required, so this one is never run.
            slash_action: Some(|ctx| Box::pin(run_slash(ctx))),
            guild_only: true,
            ..Default::default()
        });
    }
    commands
}

type Localizations = std::borrow::Cow<
    'static,
    [(
        std::borrow::Cow<'static, str>,
        std::borrow::Cow<'static, str>,
    )],
>;

fn localized(i18n: &I18n, id: &str) -> Localizations {
    localized_with(i18n, id, &[])
}

fn localized_with(i18n: &I18n, id: &str, args: &[(&str, &str)]) -> Localizations {
    OTHER_LOCALES
        .iter()
        .map(|locale| ((*locale).into(), i18n.text(locale, id, args).into()))
        .collect::<Vec<_>>()
        .into()
}

/// The arguments of an option's description: an integer option's bounds, so the text
/// shows the same bounds the tree enforces.
fn bound_args(kind: OptionKind) -> Vec<(&'static str, String)> {
    match kind {
        OptionKind::Integer { min, max } => {
            vec![("min", min.to_string()), ("max", max.to_string())]
        }
        _ => Vec::new(),
    }
}

fn leaf_command(i18n: &I18n, index: usize) -> PoiseCommand {
    let leaf = &COMMAND_TREE[index];
    let name = leaf.path[leaf.path.len() - 1];
    let name_id = format!("cmd-{}-name", leaf.path.join("-"));
    let parameters = leaf
        .options
        .iter()
        .map(|option| {
            let description_id = leaf.option_description_id(option);
            let name_id = format!("{description_id}-name");
            let bounds = bound_args(option.kind);
            let args: Vec<(&str, &str)> = bounds.iter().map(|(k, v)| (*k, v.as_str())).collect();
            poise::CommandParameter {
                name: option.name.into(),
                name_localizations: localized(i18n, &name_id),
                description: Some(i18n.text(DEFAULT_LOCALE, &description_id, &args).into()),
                description_localizations: localized_with(i18n, &description_id, &args),
                required: option.required,
                choices: match option.kind {
                    OptionKind::Choice(choices) => choices
                        .iter()
                        .map(|choice| poise::CommandParameterChoice {
                            name: (*choice).into(),
                            localizations: Default::default(),
                            __non_exhaustive: (),
                        })
                        .collect(),
                    _ => Vec::new(),
                }
                .into(),
                type_setter: match option.kind {
                    OptionKind::Text
                    | OptionKind::Choice(_)
                    | OptionKind::Incident
                    | OptionKind::CatalogCommand
                    | OptionKind::Service => Some(set_string),
                    OptionKind::User => Some(set_user),
                    OptionKind::Integer { min, max } => integer_setter(min, max),
                },
                channel_types: None,
                // Catalog commands and services come from config, not from the static tree:
                // Discord asks for them as the member types.
                autocomplete_callback: match option.kind {
                    OptionKind::CatalogCommand => Some(autocomplete::command_choices),
                    OptionKind::Service => Some(autocomplete::service_choices),
                    _ => None,
                },
                __non_exhaustive: (),
            }
        })
        .collect();
    PoiseCommand {
        name: name.into(),
        qualified_name: leaf.path.join(" ").into(),
        identifying_name: leaf.path.join("-").into(),
        name_localizations: localized(i18n, &name_id),
        description: Some(
            i18n.text(DEFAULT_LOCALE, &leaf.description_id(), &[])
                .into(),
        ),
        description_localizations: localized(i18n, &leaf.description_id()),
        parameters,
        slash_action: Some(|ctx| Box::pin(run_slash(ctx))),
        custom_data: Box::new(index),
        guild_only: true,
        ..Default::default()
    }
}

fn set_string(option: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
    option.kind(serenity::CommandOptionType::String)
}

fn set_user(option: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
    option.kind(serenity::CommandOptionType::User)
}

/// poise takes a type setter as a plain `fn`, which cannot capture an option's bounds; each
/// pair of bounds used in `COMMAND_TREE` therefore gets its own instance of
/// [`set_integer`]. A test checks that every integer option registers its own bounds.
const INTEGER_SETTERS: &[(i64, i64, TypeSetter)] = &[
    (1, 50, set_integer::<1, 50>),
    (
        0,
        crate::domain::command::MAX_SCALE_REPLICAS,
        set_integer::<0, { crate::domain::command::MAX_SCALE_REPLICAS }>,
    ),
];

type TypeSetter = fn(serenity::CreateCommandOption) -> serenity::CreateCommandOption;

fn integer_setter(min: i64, max: i64) -> Option<TypeSetter> {
    match INTEGER_SETTERS
        .iter()
        .find(|(lo, hi, _)| *lo == min && *hi == max)
    {
        Some((_, _, setter)) => Some(*setter),
        None => {
            // Without its setter the option would register without a type; the engine still
            // checks the bounds, and the test below fails first.
            warn!(
                min,
                max, "No integer type setter for these bounds; add one to INTEGER_SETTERS."
            );
            Some(set_unbounded_integer)
        }
    }
}

fn set_unbounded_integer(option: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
    option.kind(serenity::CommandOptionType::Integer)
}

fn set_integer<const MIN: i64, const MAX: i64>(
    option: serenity::CreateCommandOption,
) -> serenity::CreateCommandOption {
    let option = option.kind(serenity::CommandOptionType::Integer);
    // serenity takes integer bounds as u64; a negative bound goes as a JSON number instead.
    let option = match u64::try_from(MIN) {
        Ok(min) => option.min_int_value(min),
        Err(_) => option.min_number_value(MIN as f64),
    };
    match u64::try_from(MAX) {
        Ok(max) => option.max_int_value(max),
        Err(_) => option.max_number_value(MAX as f64),
    }
}

/// The user's language: the interaction's locale if warroom speaks it, else the guild's,
/// else en-US.
pub(super) fn reply_locale<'a>(
    i18n: &'a I18n,
    locale: &str,
    guild_locale: Option<&str>,
) -> &'a str {
    let chosen = i18n.resolve_locale(locale);
    if chosen != DEFAULT_LOCALE || locale.starts_with("en") {
        return chosen;
    }
    guild_locale
        .map(|l| i18n.resolve_locale(l))
        .unwrap_or(DEFAULT_LOCALE)
}

/// A reply as Discord shows it: outside text escaped, cut to the content limit. Replies call
/// nobody, so their `allowed_mentions` (see [`reply_mentions`]) list no one.
fn render(i18n: &I18n, locale: &str, lines: &[Msg]) -> String {
    let rich = RichText::lines(lines.iter().map(|line| i18n.rich(locale, line)));
    escape::render(&rich, MAX_CONTENT_CHARS).text
}

/// Interaction replies and follow-ups never ping anyone.
fn reply_mentions() -> serenity::CreateAllowedMentions {
    allowed_mentions(&[])
}

async fn incident_of(data: &DiscordData, channel: serenity::ChannelId) -> Option<IncidentId> {
    let room = RoomId(channel.to_string());
    match data.port.incident_of_room(room).await {
        Ok(found) => found,
        Err(error) => {
            warn!(%channel, %error, "Could not look up the incident of a channel.");
            None
        }
    }
}

/// Every slash command lands here; the leaf is known from the command's custom data.
async fn run_slash(ctx: Ctx<'_>) -> Result<(), poise::FrameworkError<'_, DiscordData, Error>> {
    // Answer within Discord's 3 s first; the engine's durable write may take longer
    // during a storm.
    if let Err(error) = ctx.defer_ephemeral().await {
        warn!(%error, "Could not defer a slash command.");
        return Ok(());
    }
    let data = ctx.data();
    let interaction = ctx.interaction;
    let locale = reply_locale(
        &data.i18n,
        &interaction.locale,
        interaction.guild_locale.as_deref(),
    )
    .to_owned();
    let text = match slash_reply(ctx, &locale).await {
        Ok(lines) => render(&data.i18n, &locale, &lines),
        Err(error) => {
            warn!(%error, "A slash command failed.");
            render(&data.i18n, &locale, &[Msg::new("reply-internal-error")])
        }
    };
    if let Err(error) = ctx
        .send(
            poise::CreateReply::default()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(reply_mentions()),
        )
        .await
    {
        warn!(%error, "Could not send a slash command's reply.");
    }
    Ok(())
}

async fn slash_reply(ctx: Ctx<'_>, locale: &str) -> Result<Vec<Msg>, Error> {
    let data = ctx.data();
    let interaction = ctx.interaction;
    let Some(index) = ctx.command().custom_data.downcast_ref::<usize>() else {
        return Ok(vec![Msg::new("reply-internal-error")]);
    };
    let Some(leaf) = COMMAND_TREE.get(*index) else {
        return Ok(vec![Msg::new("reply-internal-error")]);
    };
    let person = data.person(&interaction.user, interaction.member.as_deref(), locale);
    if person.roles.is_empty() {
        return Ok(vec![Msg::new("reply-unmapped-discord-user")]);
    }
    let mut values = OptionValues::new();
    let mut introduced = Vec::new();
    for option in ctx.args {
        let value = match &option.value {
            serenity::ResolvedValue::String(text) => (*text).to_owned(),
            serenity::ResolvedValue::Integer(number) => number.to_string(),
            serenity::ResolvedValue::User(user, member) => {
                let roles = member.map(|m| m.roles.as_slice()).unwrap_or(&[]);
                let name = display_name(user, member.and_then(|m| m.nick.as_deref()));
                let named = person_of(
                    &data.settings,
                    &data.on_call_now(),
                    user.id,
                    roles,
                    name,
                    DEFAULT_LOCALE,
                );
                if !named.roles.is_empty() {
                    introduced.push(named);
                }
                user.id.to_string()
            }
            other => {
                debug!(?other, "Ignoring an option of an unexpected type.");
                continue;
            }
        };
        values.insert(option.name.to_owned(), value);
    }
    let command = match build(leaf, &values) {
        Ok(command) => command,
        Err(error) => return Ok(vec![error.to_msg()]),
    };
    let incident = incident_of(data, interaction.channel_id).await;
    let reply = data
        .port
        .command(person, introduced, incident, command)
        .await?;
    Ok(reply.lines)
}

/// Buttons and reactions: the same engine calls as console clicks and reactions.
pub async fn on_event(
    framework: poise::FrameworkContext<'_, DiscordData, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let ctx = framework.serenity_context;
    let data = framework.user_data;
    match event {
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(component),
        } => on_button(ctx, component, data).await,
        serenity::FullEvent::ReactionAdd { add_reaction } => on_reaction(add_reaction, data).await,
        _ => Ok(()),
    }
}

async fn on_button(
    ctx: &serenity::Context,
    component: &serenity::ComponentInteraction,
    data: &DiscordData,
) -> Result<(), Error> {
    let defer = serenity::CreateInteractionResponse::Defer(
        serenity::CreateInteractionResponseMessage::new()
            .ephemeral(true)
            .allowed_mentions(reply_mentions()),
    );
    component.create_response(ctx, defer).await?;
    let locale = reply_locale(
        &data.i18n,
        &component.locale,
        component.guild_locale.as_deref(),
    )
    .to_owned();
    let person = data.person(&component.user, component.member.as_ref(), &locale);
    let lines = if person.roles.is_empty() {
        vec![Msg::new("reply-unmapped-discord-user")]
    } else {
        match parse_button(&component.data.custom_id) {
            // Discord checks a custom id against the message's components; a vote is checked
            // here too, as its docs advise: an approval counts only from its incident's room.
            Some((command @ Command::Vote { .. }, incident))
                if incident_of(data, component.channel_id).await != Some(incident) =>
            {
                warn!(incident = %incident, channel = %component.channel_id, ?command, "An approval button pressed outside its incident's room was refused.");
                vec![Msg::new("reply-unknown-button")]
            }
            Some((command, incident)) => {
                data.port
                    .command(person, Vec::new(), Some(incident), command)
                    .await?
                    .lines
            }
            None => vec![Msg::new("reply-unknown-button")],
        }
    };
    let followup = serenity::CreateInteractionResponseFollowup::new()
        .content(render(&data.i18n, &locale, &lines))
        .ephemeral(true)
        .allowed_mentions(reply_mentions());
    component.create_followup(ctx, followup).await?;
    Ok(())
}

async fn on_reaction(reaction: &serenity::Reaction, data: &DiscordData) -> Result<(), Error> {
    let Some(incident) = incident_of(data, reaction.channel_id).await else {
        return Ok(());
    };
    let Some(user) = reaction.user_id else {
        return Ok(());
    };
    // Only emoji are recorded; anything else is dropped here (the engine checks again).
    let emoji = match normalize_reaction(&reaction.emoji.to_string()) {
        Ok(emoji) => emoji,
        Err(error) => {
            debug!(%error, "Reaction is not an emoji; not recorded.");
            return Ok(());
        }
    };
    let person: Person = match reaction.member.as_ref() {
        Some(member) => data.person(&member.user, Some(member), DEFAULT_LOCALE),
        None => {
            // Guild reactions carry the member; without one only the id is known, and the
            // name stays blank so nothing shows the raw id as a name.
            let roles: &[serenity::RoleId] = &[];
            person_of(
                &data.settings,
                &data.on_call_now(),
                user,
                roles,
                String::new(),
                DEFAULT_LOCALE,
            )
        }
    };
    data.port
        .reaction(
            incident,
            person,
            MessageId(reaction.message_id.to_string()),
            emoji,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::command::LeafSpec;

    /// Every integer option goes to Discord with its own bounds from `COMMAND_TREE`.
    #[test]
    fn integer_options_register_their_own_bounds() {
        let i18n = I18n::builtin().unwrap();
        let commands = build_commands(&i18n);
        let mut checked = 0;
        for leaf in COMMAND_TREE {
            for option in leaf.options {
                let OptionKind::Integer { min, max } = option.kind else {
                    continue;
                };
                let parameter = find_parameter(&commands, leaf, option.name);
                let registered =
                    serde_json::to_value(parameter.create_as_slash_command_option().unwrap())
                        .unwrap();
                assert_eq!(registered["type"], 4, "{:?}", leaf.path);
                assert_eq!(registered["min_value"].as_f64(), Some(min as f64));
                assert_eq!(registered["max_value"].as_f64(), Some(max as f64));
                let description = parameter.description.as_deref().unwrap_or_default();
                assert!(
                    description.contains(&format!("{min}–{max}")),
                    "{description}"
                );
                checked += 1;
            }
        }
        assert!(checked > 0);
    }

    fn find_parameter<'a>(
        commands: &'a [PoiseCommand],
        leaf: &LeafSpec,
        option: &str,
    ) -> &'a poise::CommandParameter<DiscordData, Error> {
        let name = leaf.path.join(" ");
        commands
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
            .find(|c| c.qualified_name == name)
            .and_then(|c| c.parameters.iter().find(|p| p.name == option))
            .unwrap()
    }

    /// Catalog commands and services are offered as the member types; nothing else is.
    #[test]
    fn catalog_command_and_service_options_register_autocomplete() {
        let i18n = I18n::builtin().unwrap();
        let commands = build_commands(&i18n);
        let mut autocompleted = Vec::new();
        for leaf in COMMAND_TREE {
            for option in leaf.options {
                let parameter = find_parameter(&commands, leaf, option.name);
                let registered =
                    serde_json::to_value(parameter.create_as_slash_command_option().unwrap())
                        .unwrap();
                let wanted = matches!(
                    option.kind,
                    OptionKind::CatalogCommand | OptionKind::Service
                );
                assert_eq!(
                    registered["autocomplete"] == serde_json::json!(true),
                    wanted,
                    "{:?} {}: {registered}",
                    leaf.path,
                    option.name
                );
                if wanted {
                    assert_eq!(registered["type"], 3, "a string option");
                    assert!(
                        registered
                            .get("choices")
                            .is_none_or(|c| c.as_array().is_some_and(Vec::is_empty))
                    );
                    autocompleted.push(format!("{}:{}", leaf.path.join(" "), option.name));
                }
            }
        }
        assert_eq!(
            autocompleted,
            ["run:command", "diag:service", "scale:service"]
        );
    }

    /// `/help` shows an example for every command, in every locale.
    #[test]
    fn every_command_has_an_example_in_every_locale() {
        let i18n = I18n::builtin().unwrap();
        for locale in i18n.locales() {
            let ids = i18n.message_ids(locale);
            for leaf in COMMAND_TREE {
                assert!(
                    ids.contains(&leaf.example_id()),
                    "{locale} lacks {}",
                    leaf.example_id()
                );
            }
        }
    }

    /// Discord refuses a registration whose names break its rules; catch that here.
    #[test]
    fn every_command_and_option_has_valid_localized_names_and_descriptions() {
        let i18n = I18n::builtin().unwrap();
        let name_rule = regex::Regex::new(r"^[-_\p{L}\p{N}]{1,32}$").unwrap();
        let commands = build_commands(&i18n);
        let mut seen = 0;
        let mut check = |name: &str,
                         description: Option<&str>,
                         localizations: &[(
            std::borrow::Cow<'static, str>,
            std::borrow::Cow<'static, str>,
        )]| {
            seen += 1;
            assert!(
                name_rule.is_match(name) && name == name.to_lowercase(),
                "bad name {name:?}"
            );
            if let Some(description) = description {
                assert!(
                    (1..=100).contains(&description.chars().count()),
                    "description of {name}: {description:?}"
                );
                assert!(
                    !description.starts_with("cmd-"),
                    "untranslated description {description}"
                );
            }
            assert_eq!(localizations.len(), OTHER_LOCALES.len(), "{name}");
            for (_, localized) in localizations {
                assert!(!localized.starts_with("cmd-"), "untranslated {localized}");
                assert!(localized.chars().count() <= 100, "{localized}");
            }
        };
        for command in &commands {
            check(
                &command.name,
                command.description.as_deref(),
                &command.name_localizations,
            );
            for sub in &command.subcommands {
                check(
                    &sub.name,
                    sub.description.as_deref(),
                    &sub.name_localizations,
                );
                check(
                    &sub.name,
                    sub.description.as_deref(),
                    &sub.description_localizations,
                );
                for parameter in &sub.parameters {
                    check(
                        &parameter.name,
                        parameter.description.as_deref(),
                        &parameter.name_localizations,
                    );
                }
            }
            for parameter in &command.parameters {
                check(
                    &parameter.name,
                    parameter.description.as_deref(),
                    &parameter.name_localizations,
                );
            }
        }
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "actions", "diag", "help", "incident", "oncall", "run", "scale", "task", "timeline"
            ]
        );
        let incident = commands.iter().find(|c| c.name == "incident").unwrap();
        let status = incident
            .subcommands
            .iter()
            .find(|c| c.name == "status")
            .unwrap();
        assert_eq!(status.parameters.len(), 1);
        assert!(!status.parameters[0].required);
        assert!(incident.subcommands.iter().any(|c| c.name == "list"));
        assert!(seen > 20);
        let zh: Vec<String> = commands
            .iter()
            .flat_map(|c| c.name_localizations.iter().map(|(_, n)| n.to_string()))
            .collect();
        assert!(zh.contains(&"事件".to_owned()), "{zh:?}");
    }
}
