//! The engine's public face: the events it is asked to apply, what it answers, and the
//! handle and stopper the composition root and the adapters hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tokio::sync::{Notify, mpsc, oneshot};
use tracing::warn;

use crate::domain::access::Person;
use crate::domain::alert::Alert;
use crate::domain::command::Command;
use crate::domain::ids::{IncidentId, MessageId, RoomId};
use crate::domain::message::Msg;
use crate::engine::EngineError;
use crate::engine::port;
use crate::engine::views::Views;
use crate::intake::AlertBatch;

/// What an ingest request did, alert by alert, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub received: usize,
    pub opened: usize,
    pub joined: usize,
    pub updated: usize,
    pub duplicates: usize,
    pub recorded: usize,
    /// Firings older than the resolve already stored: noted, nothing opened.
    pub stale: usize,
    pub incidents: Vec<IncidentId>,
}

/// A reply to the person who typed a command or pressed a button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandReply {
    pub ok: bool,
    pub lines: Vec<Msg>,
    pub incident: Option<IncidentId>,
}

impl CommandReply {
    /// Refused because the person lacks the right (not because of the incident's state).
    pub fn is_forbidden(&self) -> bool {
        !self.ok
            && self
                .lines
                .first()
                .is_some_and(|line| line.id == crate::domain::decide::NOT_ALLOWED)
    }

    pub(super) fn refused(msg: Msg) -> CommandReply {
        CommandReply {
            ok: false,
            lines: vec![msg],
            incident: None,
        }
    }
}

/// Facts the chat adapters report back after delivering.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatRecord {
    RoomCreated {
        incident: IncidentId,
        room: RoomId,
    },
    CardPosted {
        incident: IncidentId,
        room: RoomId,
        message: MessageId,
    },
    Reaction {
        incident: IncidentId,
        person: Person,
        message: MessageId,
        emoji: String,
    },
}

/// Everything the engine is asked to do, each with the channel its answer goes back on. The
/// engine applies events one at a time; queries never become events (see
/// [`views`](crate::engine::views)).
#[derive(Debug)]
pub enum Event {
    /// Alerts from an intake adapter.
    Ingest {
        alerts: Vec<Alert>,
        /// Alerts the sender left out of the request (Alertmanager's `truncatedAlerts`).
        truncated: u64,
        reply: oneshot::Sender<Result<IngestReport, EngineError>>,
    },
    /// A command typed or clicked by `person`, whom the adapter identified.
    Command {
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
        reply: oneshot::Sender<Result<CommandReply, EngineError>>,
    },
    /// A fact a chat adapter or the outbox reports.
    Chat {
        record: ChatRecord,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// A deadline is due (from the scheduler in `deadlines.rs`).
    Due,
    JobFinished {
        job: crate::domain::job::JobId,
        outcome: crate::domain::job::JobOutcome,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
}

/// The cheap, cloneable way in.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    pub(super) tx: mpsc::Sender<Event>,
    pub(super) views: Views,
    pub(super) running: Arc<AtomicBool>,
    /// See [`EngineStopper`].
    pub(super) stop: Arc<Notify>,
}

impl EngineHandle {
    pub async fn ingest(&self, alerts: Vec<Alert>) -> Result<IngestReport, EngineError> {
        self.ingest_with_truncated(alerts, 0).await
    }

    /// Ingests a parsed request; a truncated one is logged, counted and noted on the
    /// incidents it touched.
    pub async fn ingest_batch(&self, batch: AlertBatch) -> Result<IngestReport, EngineError> {
        if batch.truncated > 0 {
            warn!(source = %batch.source, truncated = batch.truncated, received = batch.alerts.len(), "The sender left alerts out of a notification; raise its max_alerts to see them all.");
            metrics::counter!("warroom_alerts_truncated_total", "source" => batch.source.as_str())
                .increment(batch.truncated);
        }
        self.ingest_with_truncated(batch.alerts, batch.truncated)
            .await
    }

    async fn ingest_with_truncated(
        &self,
        alerts: Vec<Alert>,
        truncated: u64,
    ) -> Result<IngestReport, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Ingest {
            alerts,
            truncated,
            reply,
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Runs a command for `person`, whom the chat adapter identified (console: config;
    /// Discord: the member's mapped roles). `introduced` are other people the command names
    /// (a role assignee), vouched for by the adapter the same way. The core checks `person`'s
    /// permissions again.
    pub async fn command(
        &self,
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
    ) -> Result<CommandReply, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Command {
            person,
            introduced,
            incident,
            command,
            reply,
        })
        .await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    pub async fn record(&self, record: ChatRecord) -> Result<(), EngineError> {
        let (reply, rx) = oneshot::channel();
        self.send(Event::Chat { record, reply }).await?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// What the engine has committed, for queries and the read API.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// The way in for adapters: events and views.
    pub fn port(&self) -> port::InboundPort {
        port::InboundPort::new(self.clone())
    }

    /// A way to stop the engine that does not itself keep it running.
    pub fn stopper(&self) -> EngineStopper {
        EngineStopper {
            stop: self.stop.clone(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed) && !self.tx.is_closed()
    }

    pub(super) async fn send(&self, request: Event) -> Result<(), EngineError> {
        self.tx
            .send(request)
            .await
            .map_err(|_| EngineError::Stopped)
    }
}

#[cfg(test)]
impl EngineHandle {
    /// A handle whose events go to `tx`, for tests that play the engine themselves; its
    /// views read `store`.
    pub(crate) fn for_tests(
        tx: mpsc::Sender<Event>,
        store: Arc<dyn crate::store::StoreRead>,
    ) -> EngineHandle {
        EngineHandle {
            tx,
            views: Views {
                store,
                open: crate::engine::views::OpenIncidents::default(),
                people: crate::engine::people::SharedPeople::new(Vec::new(), 1),
                time_zone: chrono_tz::Tz::UTC,
                actions: Arc::default(),
            },
            running: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(Notify::new()),
        }
    }
}

/// Stops the engine even while handles remain (one may be held by a gateway task that will
/// not end in time).
#[derive(Clone, Debug)]
pub struct EngineStopper {
    stop: Arc<Notify>,
}

impl EngineStopper {
    /// Stops taking requests: queued ones are refused, committed ones still get their flush
    /// and their reply. The engine task ends once the last group is flushed.
    pub fn stop(&self) {
        self.stop.notify_one();
    }
}
