//! warroom: a ChatOps incident-response bot.
//!
//! - [`domain`]: the pure core (alerts, incidents, roles, commands, decisions). No I/O.
//! - [`engine`]: the single writer that applies events, commits and group-flushes; the outbox.
//! - [`store`]: the store port and its sled backend.
//! - [`chat`]: the chat port, renderers and the built-in console adapter.
//! - [`intake`]: Alertmanager, Grafana, Zabbix and generic alerts into the normalised alert.
//! - [`http`]: webhooks, read API, console API, health and metrics.
//! - [`health`]: readiness facts the outbox learns and `/readyz` reports.
//! - [`config`], [`i18n`], [`check`], [`app`]: settings, localized text, `warroom check`, and
//!   the composition root; [`logging`]: log lines outsiders cannot forge.

pub mod app;
pub mod chat;
pub mod check;
pub mod config;
pub mod credentials;
pub mod domain;
pub mod engine;
pub mod exec;
pub mod health;
pub mod http;
pub mod i18n;
pub mod intake;
pub mod live;
pub mod logging;
pub mod oncall;
pub mod paging;
pub mod store;
#[cfg(test)]
pub(crate) mod test_reads;
pub mod web;
