//! The inbound port: all an adapter (chat, HTTP) needs from the core. Events go to the engine;
//! queries and lookups read views on the blocking pool. Adapters import from here only, not
//! from the engine's internals, the outbox or the store's write port.

use std::sync::Arc;

use super::ChatRecord;
pub use super::views::is_query;
pub use super::{CommandReply, EngineError, IngestReport};
pub use crate::store::{StoreError, StoreRead};

use crate::domain::access::Person;
use crate::domain::alert::Alert;
use crate::domain::command::Command;
use crate::domain::ids::{IncidentId, RoomId};
use crate::domain::incident::Incident;
use crate::engine::EngineHandle;
use crate::engine::views::Views;
use crate::intake::AlertBatch;

/// Cheap to clone; one per adapter.
#[derive(Clone, Debug)]
pub struct InboundPort {
    engine: EngineHandle,
}

impl InboundPort {
    pub(super) fn new(engine: EngineHandle) -> InboundPort {
        InboundPort { engine }
    }

    /// Alerts from an intake; answered once they are durable.
    pub async fn ingest_batch(&self, batch: AlertBatch) -> Result<IngestReport, EngineError> {
        self.engine.ingest_batch(batch).await
    }

    pub async fn ingest(&self, alerts: Vec<Alert>) -> Result<IngestReport, EngineError> {
        self.engine.ingest(alerts).await
    }

    /// A command by `person` (identified by the adapter), `introduced` being the other people
    /// it names. A query is answered from views without the writer; anything else is an
    /// event for the engine, answered once durable.
    pub async fn command(
        &self,
        person: Person,
        introduced: Vec<Person>,
        incident: Option<IncidentId>,
        command: Command,
    ) -> Result<CommandReply, EngineError> {
        if !is_query(&command) {
            return self
                .engine
                .command(person, introduced, incident, command)
                .await;
        }
        let views = self.views().clone();
        let answer = blocking(move || {
            {
                let mut people = views.people.lock();
                for known in introduced {
                    people.introduce(known);
                }
            }
            views.query(&person, incident, &command).unwrap_or_else(|| {
                Ok(CommandReply::refused(crate::domain::message::Msg::new(
                    "reply-internal-error",
                )))
            })
        })
        .await?;
        Ok(answer)
    }

    /// A reaction `person` added to `message` in `incident`'s room; answered once durable.
    /// The only chat fact an adapter reports: rooms and cards are the outbox's own facts, and
    /// deadlines and job results the engine's, so an adapter cannot forge them.
    pub async fn reaction(
        &self,
        incident: IncidentId,
        person: Person,
        message: crate::domain::ids::MessageId,
        emoji: String,
    ) -> Result<(), EngineError> {
        self.engine
            .record(ChatRecord::Reaction {
                incident,
                person,
                message,
                emoji,
            })
            .await
    }

    /// The incident whose room `room` is, if any.
    pub async fn incident_of_room(&self, room: RoomId) -> Result<Option<IncidentId>, EngineError> {
        let views = self.views().clone();
        blocking(move || views.incident_of_room(&room)).await
    }

    /// An incident as last committed.
    pub async fn incident(&self, id: IncidentId) -> Result<Option<Incident>, EngineError> {
        let views = self.views().clone();
        blocking(move || views.incident(id)).await
    }

    /// Every open incident as of the last commit, from memory: the web console's list
    /// shows them first, whatever the number of closed ones.
    pub fn open_incidents(&self) -> Vec<Incident> {
        self.views().open_incidents()
    }

    /// The command catalog and the configured services (chats offer them as people type).
    pub fn actions(&self) -> Arc<crate::domain::action::ActionPolicy> {
        self.views().actions()
    }

    /// The store's read port, for the read API (which pages it on the blocking pool).
    pub fn read(&self) -> Arc<dyn StoreRead> {
        self.views().store()
    }

    /// Whether the engine still takes events.
    pub fn is_running(&self) -> bool {
        self.engine.is_running()
    }

    fn views(&self) -> &Views {
        self.engine.views()
    }
}

/// Runs a view read on the blocking pool: store reads never run on an async worker.
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, EngineError> {
    match tokio::task::spawn_blocking(read).await {
        Ok(result) => result.map_err(EngineError::from),
        Err(_) => Err(EngineError::Stopped),
    }
}
