//! The page templates, embedded in the binary and rendered by minijinja with HTML
//! autoescaping: every value a template prints is escaped unless it is marked safe, so text
//! from alerts, notes and names can never become markup.
//!
//! Templates name their texts with `t("web-…", name=value)`: the message from the Fluent
//! files in the page's `locale` (a variable every page context carries).

use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, State};

use crate::i18n::I18n;

/// Every template, by name. Names end in `.html`, which turns autoescaping on.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../web/templates/layout.html"),
    ),
    ("login.html", include_str!("../../web/templates/login.html")),
    (
        "incidents.html",
        include_str!("../../web/templates/incidents.html"),
    ),
    (
        "incident_row.html",
        include_str!("../../web/templates/incident_row.html"),
    ),
    ("room.html", include_str!("../../web/templates/room.html")),
    ("card.html", include_str!("../../web/templates/card.html")),
    (
        "message.html",
        include_str!("../../web/templates/message.html"),
    ),
    (
        "timeline.html",
        include_str!("../../web/templates/timeline.html"),
    ),
    (
        "durations.html",
        include_str!("../../web/templates/durations.html"),
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct TemplateError {
    name: String,
    #[source]
    source: minijinja::Error,
}

pub struct Templates {
    environment: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Loads (and so checks) every embedded template.
    pub fn new(i18n: Arc<I18n>) -> Result<Templates, TemplateError> {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            environment
                .add_template(name, source)
                .map_err(|source| TemplateError {
                    name: (*name).to_owned(),
                    source,
                })?;
        }
        environment.add_function(
            "t",
            move |state: &State, id: String, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let locale = state
                    .lookup("locale")
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_else(|| crate::i18n::DEFAULT_LOCALE.to_owned());
                let mut args: Vec<(String, String)> = Vec::new();
                for key in kwargs.args() {
                    let value: Value = kwargs.get(key)?;
                    args.push((key.to_owned(), value.to_string()));
                }
                let args: Vec<(&str, &str)> = args
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect();
                Ok(i18n.text(&locale, &id, &args))
            },
        );
        Ok(Templates { environment })
    }

    /// Renders template `name` with `context` (which must carry `locale`).
    pub fn render(&self, name: &str, context: Value) -> Result<String, TemplateError> {
        let error = |source| TemplateError {
            name: name.to_owned(),
            source,
        };
        self.environment
            .get_template(name)
            .map_err(error)?
            .render(context)
            .map_err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        Templates::new(Arc::new(I18n::builtin().unwrap())).unwrap();
    }
}
