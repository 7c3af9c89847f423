//! Integration tests, one binary, one harness (`support::TestBot`).

// A failed expectation in a test or its helpers should stop that test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chat;
mod discord;
mod discord_crash;
mod discord_storm;
mod e2e;
mod fake_discord_selftest;
mod http_limits;
mod identity;
mod intake;
mod restart;
mod support;
mod tidy;
