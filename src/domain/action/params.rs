//! Binding a request's parameters to its catalogued command: typed text (`/run scale
//! checkout-api 3`, `/run scale service:checkout-api replicas:3`) or values a chat already
//! split (`/scale`), checked against each parameter's type and rule and against the service's
//! own bounds, into canonical values.

use std::collections::BTreeMap;

use crate::domain::action::{ActionPolicy, CommandDef};
use crate::domain::command::ActionParams;
use crate::domain::message::Msg;

/// The command `name` and its parameters, checked and canonical; or a localized refusal
/// naming the command, parameter and rule (`replicas: 99 is above checkout-api's
/// max_replicas 10`).
pub fn bind_action(
    policy: &ActionPolicy,
    name: &str,
    params: &ActionParams,
) -> Result<(CommandDef, BTreeMap<String, String>), Msg> {
    // SKELETON: the real binder (types, rules, service bounds, errors) replaces this.
    let Some(command) = policy.catalog.get(name) else {
        return Err(Msg::new("cmd-error-unknown-command").outside("command", name));
    };
    let values = match params {
        ActionParams::Named(values) => values.clone(),
        ActionParams::Raw(text) => command
            .params
            .iter()
            .zip(text.split_whitespace())
            .map(|(param, value)| (param.name.clone(), value.to_owned()))
            .collect(),
    };
    Ok((command.clone(), values))
}
