//! Integration tests, one binary, one harness (`support::TestBot`).

// A failed expectation in a test or its helpers should stop that test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actions;
mod actions_kill;
mod browser;
mod catalog;
mod chat;
mod chat_refusals;
mod commands;
mod compat;
mod deadlines;
mod direct;
mod discord;
mod discord_actions;
mod discord_approval;
mod discord_crash;
mod discord_lanes;
mod discord_storm;
mod disk_full;
mod e2e;
mod escalation;
mod exec_diagnose;
mod exec_kubernetes;
mod exec_logs;
mod exec_prometheus;
mod exec_shell;
mod fake_discord_selftest;
mod http_actions;
mod http_limits;
mod identity;
mod intake;
mod jobs;
mod oncall;
mod output_safety;
mod paging;
mod probe;
mod restart;
mod shutdown;
mod stale;
mod status_updates;
mod support;
mod tasks;
mod tidy;
mod time_e2e;
mod time_kill;
mod web;
mod web_events;
mod web_language;
mod web_limits;
mod web_pages;
mod web_timeline;
