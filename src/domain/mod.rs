//! The pure core. Architecture invariant: nothing here does I/O, reads the clock, or imports
//! serenity, poise, axum, sled, kube, reqwest or tokio; `now` is always an argument.
//! `tests/tidy.rs` checks the imports.

pub mod access;
pub mod action;
pub mod alert;
pub mod alert_rules;
pub mod command;
pub mod command_text;
pub mod deadline;
pub mod decide;
pub mod diagnosis;
pub mod effect;
pub mod emoji;
pub mod escalation;
pub mod ids;
pub mod incident;
pub mod job;
pub mod logs;
pub mod message;
pub mod probe;
pub mod reminder;
pub mod room;
pub mod rotation;
pub mod service;
pub mod severity;
pub mod task;
pub mod timeline;
pub mod timers;
pub mod when;
