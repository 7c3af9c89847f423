//! `[tasks]`: the overdue-task ladder (`reminder_interval`, `max_reminders`) and the due time
//! of action items added after resolve (`followup`). The bounds live with the settings in
//! `domain::task`; this only reads the section and words its problems by key.

use serde::Deserialize;

use crate::domain::task::TaskSettings;

/// The section as written; every key is optional and takes its default when missing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct TasksSection {
    pub(super) reminder_interval: Option<String>,
    pub(super) max_reminders: Option<i64>,
    pub(super) followup: Option<String>,
}

/// The settings `[tasks]` asks for; each bad key adds a problem naming it (the defaults are
/// returned then, and the problems stop the start).
pub(super) fn task_settings(section: &TasksSection, problems: &mut Vec<String>) -> TaskSettings {
    match TaskSettings::parse(
        section.reminder_interval.as_deref(),
        section.max_reminders,
        section.followup.as_deref(),
    ) {
        Ok(settings) => settings,
        Err(found) => {
            problems.extend(
                found
                    .into_iter()
                    .map(|problem| format!("{}: {}", problem.field, problem.message)),
            );
            TaskSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> (TaskSettings, Vec<String>) {
        let section: TasksSection = toml::from_str(text).expect("the section parses");
        let mut problems = Vec::new();
        let settings = task_settings(&section, &mut problems);
        (settings, problems)
    }

    #[test]
    fn each_key_is_read_and_each_bad_one_is_named() {
        let (settings, problems) =
            problems_of("reminder_interval = \"10m\"\nmax_reminders = 2\nfollowup = \"24h\"\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(settings.reminder_interval, chrono::Duration::minutes(10));
        assert_eq!(settings.max_reminders, 2);
        assert_eq!(settings.followup, chrono::Duration::hours(24));

        let (settings, problems) = problems_of("");
        assert!(problems.is_empty());
        assert_eq!(settings, TaskSettings::default());

        let (_, problems) =
            problems_of("reminder_interval = \"soon\"\nmax_reminders = 11\nfollowup = \"10s\"\n");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("tasks.reminder_interval: \"soon\""));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("tasks.max_reminders: 11"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("tasks.followup: \"10s\""))
        );
    }
}
