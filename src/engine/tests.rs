//! The engine as a whole over a real store: where it runs, what passes through the writer,
//! and whom it asks who is on call.

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use async_trait::async_trait;

use super::*;
use crate::domain::access::PersonRole;
use crate::domain::alert::{AlertSource, AlertStatus};
use crate::domain::ids::MessageId;
use crate::domain::incident::IncidentState;
use crate::engine::clock::ManualClock;
use crate::store::{DirtyCard, OutboxItem, SledStore, StoreRead};

/// A store that counts flushes and notes the threads commits run on; a test can hold its
/// flushes (`hold_flush`) and make them fail (`fail_flush`).
pub(super) struct Watched {
    pub(super) inner: SledStore,
    pub(super) flushes: AtomicUsize,
    commit_threads: Mutex<Vec<Option<String>>>,
    pub(super) hold_flush: std::sync::atomic::AtomicBool,
    fail_flush: std::sync::atomic::AtomicBool,
    /// Set by a failed flush: reads are refused, as the real store refuses them while it
    /// re-opens.
    failed: std::sync::atomic::AtomicBool,
}

impl StoreRead for Watched {
    fn failure(&self) -> Option<String> {
        self.inner.failure()
    }
    fn generation(&self) -> u64 {
        self.inner.generation()
    }
    fn incident(&self, id: IncidentId) -> Result<Option<Incident>, StoreError> {
        self.inner.incident(id)
    }
    fn incidents(&self, state: Option<IncidentState>) -> Result<Vec<Incident>, StoreError> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("re-opening".to_owned()));
        }
        self.inner.incidents(state)
    }
    fn incidents_page(
        &self,
        state: Option<IncidentState>,
        before: Option<IncidentId>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        self.inner.incidents_page(state, before, limit)
    }
    fn alert(&self, identity: &AlertIdentity) -> Result<Option<StoredAlert>, StoreError> {
        self.inner.alert(identity)
    }
    fn timeline(
        &self,
        id: IncidentId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        self.inner.timeline(id, after, limit)
    }
    fn last_sequence(&self, date: NaiveDate) -> Result<u32, StoreError> {
        self.inner.last_sequence(date)
    }
    fn outbox_depth(&self) -> usize {
        self.inner.outbox_depth()
    }
    fn chat_ref(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.chat_ref(key)
    }
    fn jobs(&self, limit: usize) -> Result<Vec<crate::domain::job::Job>, StoreError> {
        self.inner.jobs(limit)
    }
    fn job(
        &self,
        id: crate::domain::job::JobId,
    ) -> Result<Option<crate::domain::job::Job>, StoreError> {
        self.inner.job(id)
    }
    fn tracked(&self, key: &str) -> Result<Option<crate::store::TrackedMessage>, StoreError> {
        self.inner.tracked(key)
    }
    fn dirty_tracked(&self) -> Result<Vec<crate::store::DirtyTracked>, StoreError> {
        self.inner.dirty_tracked()
    }
    fn message_owner(
        &self,
        message: &MessageId,
    ) -> Result<Option<crate::store::MessageOwner>, StoreError> {
        self.inner.message_owner(message)
    }
    fn action_requests(
        &self,
        incident: IncidentId,
        after: Option<crate::domain::action::RequestId>,
        limit: usize,
    ) -> Result<Vec<crate::domain::action::ActionRequest>, StoreError> {
        self.inner.action_requests(incident, after, limit)
    }
    fn action_request(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionRequest>, StoreError> {
        self.inner.action_request(incident, request)
    }
    fn last_request_id(&self, incident: IncidentId) -> Result<u32, StoreError> {
        self.inner.last_request_id(incident)
    }

    fn tasks(&self, incident: IncidentId) -> Result<Vec<crate::domain::task::Task>, StoreError> {
        self.inner.tasks(incident)
    }

    fn overrides(&self) -> Result<Vec<crate::domain::rotation::Override>, StoreError> {
        self.inner.overrides()
    }
}

impl Store for Watched {
    fn commit(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.commit_threads
            .lock()
            .unwrap()
            .push(std::thread::current().name().map(str::to_owned));
        self.inner.commit(batch)
    }
    fn flush_blocking(&self) -> Result<(), StoreError> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        while self.hold_flush.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if self.fail_flush.load(Ordering::SeqCst) {
            // Like the real store: a failed flush refuses reads until it re-opens from disk.
            self.failed.store(true, Ordering::SeqCst);
            return Err(StoreError::Sync("injected by the test".to_owned()));
        }
        self.inner.flush_blocking()
    }
    fn deadlines_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<crate::domain::deadline::Deadline>, StoreError> {
        self.inner.deadlines_due(now, limit)
    }
    fn deadline(&self, key: &str) -> Result<Option<crate::domain::deadline::Deadline>, StoreError> {
        self.inner.deadline(key)
    }
    fn reserve_job_id(&self) -> Result<crate::domain::job::JobId, StoreError> {
        self.inner.reserve_job_id()
    }
    fn last_scale(&self, service: &str) -> Result<Option<crate::store::LastScale>, StoreError> {
        self.inner.last_scale(service)
    }
    fn planned_job(
        &self,
        incident: IncidentId,
        request: crate::domain::action::RequestId,
    ) -> Result<Option<crate::domain::action::ActionJob>, StoreError> {
        self.inner.planned_job(incident, request)
    }
    fn earliest_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.earliest_deadline()
    }
}

#[async_trait]
impl crate::store::DeliveryStore for Watched {
    async fn flush(&self) -> Result<(), StoreError> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        self.inner.flush().await
    }

    fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner.outbox_pending(limit)
    }

    fn outbox_pending_pages(&self, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner.outbox_pending_pages(limit)
    }

    fn outbox_complete(&self, key: u64) -> Result<(), StoreError> {
        self.inner.outbox_complete(key)
    }

    fn dirty_cards(&self) -> Result<Vec<DirtyCard>, StoreError> {
        self.inner.dirty_cards()
    }

    fn clear_dirty_card(&self, card: DirtyCard) -> Result<(), StoreError> {
        self.inner.clear_dirty_card(card)
    }

    fn set_chat_ref(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set_chat_ref(key, value)
    }

    fn mark_job_started(
        &self,
        id: crate::domain::job::JobId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner.mark_job_started(id, at)
    }

    fn clear_dirty_tracked(&self, mark: &crate::store::DirtyTracked) -> Result<(), StoreError> {
        self.inner.clear_dirty_tracked(mark)
    }

    fn record_message(
        &self,
        message: &MessageId,
        owner: &crate::store::MessageOwner,
    ) -> Result<(), StoreError> {
        self.inner.record_message(message, owner)
    }
}

/// On call: alice until noon, bob after; notes the threads it is asked on.
#[derive(Debug, Default)]
struct ShiftChange {
    asked_on: Mutex<Vec<Option<String>>>,
}

impl OnCall for ShiftChange {
    fn book(&self) -> crate::domain::rotation::OnCallBook {
        use crate::domain::rotation::{FixedOnCall, OnCallBook, OnCallRole, Override};
        self.asked_on
            .lock()
            .unwrap()
            .push(std::thread::current().name().map(str::to_owned));
        let commander = |name: &str| UserId(name.to_owned());
        OnCallBook {
            fixed: FixedOnCall([(OnCallRole::Commander, commander("alice"))].into()),
            overrides: Arc::new(vec![Override {
                role: OnCallRole::Commander,
                user: commander("bob"),
                from: "2026-11-21T12:00:00Z".parse().unwrap(),
                until: "2027-11-21T12:00:00Z".parse().unwrap(),
            }]),
            ..OnCallBook::default()
        }
    }

    fn set_overrides(&self, _overrides: Vec<crate::domain::rotation::Override>) {}
}

struct Running {
    engine: EngineHandle,
    outbox_wake: Arc<Notify>,
    store: Arc<Watched>,
    oncall: Arc<ShiftChange>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn carol() -> Person {
    Person {
        id: UserId("carol".to_owned()),
        display_name: "Carol".to_owned(),
        roles: [PersonRole::Responder].into_iter().collect(),
        locale: "en-US".to_owned(),
    }
}

/// A watched store over a new sled store in `dir`.
pub(super) fn watched(dir: &std::path::Path) -> Arc<Watched> {
    Arc::new(Watched {
        inner: SledStore::open(dir, 1 << 20).unwrap(),
        flushes: AtomicUsize::new(0),
        commit_threads: Mutex::new(Vec::new()),
        hold_flush: false.into(),
        fail_flush: false.into(),
        failed: false.into(),
    })
}

fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = watched(dir.path());
    let outbox_wake = Arc::new(Notify::new());
    let oncall = Arc::new(ShiftChange::default());
    let clock = Arc::new(ManualClock::new("2026-11-21T10:00:00Z".parse().unwrap()));
    let (engine, _task) = spawn(EngineParts {
        store: store.clone(),
        clock: clock.clone(),
        policy: Policy::standard(),
        oncall: oncall.clone(),
        people: vec![carol()],
        outbox_wake: outbox_wake.clone(),
        jobs_wake: Arc::new(Notify::new()),
        live: Default::default(),
    })
    .unwrap();
    Running {
        engine,
        outbox_wake,
        store,
        oncall,
        clock,
        _dir: dir,
    }
}

pub(super) fn alert(fingerprint: &str, service: &str, now: DateTime<Utc>) -> Alert {
    Alert {
        source: AlertSource::Alertmanager,
        fingerprint: fingerprint.to_owned(),
        name: "HighErrorRate".to_owned(),
        status: AlertStatus::Firing,
        severity_label: Some("critical".to_owned()),
        service: Some(service.to_owned()),
        host: None,
        value: None,
        labels: [("service".to_owned(), service.to_owned())]
            .into_iter()
            .collect(),
        annotations: Default::default(),
        starts_at: now,
        ends_at: None,
        generator_url: None,
    }
}

/// Waits until the engine has handled its start-up `Due`: the on-call source has a hand-off
/// ahead (its override at noon), and the engine sets that deadline in a group of its own just
/// after it starts. A test that counts flushes, or moves the clock, starts after it; otherwise
/// an event could join that group and be decided at its earlier `now`.
async fn settled(bot: &Running) {
    for _ in 0..500 {
        if bot
            .store
            .deadline(crate::domain::deadline::HANDOFF_KEY)
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The engine takes events one group at a time: once it answers this, the group that set
    // the deadline is committed and flushed.
    bot.engine
        .command(carol(), Vec::new(), None, Command::Help)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_engine_commits_on_its_own_thread_and_asks_the_on_call_source_each_step() {
    let bot = start();
    settled(&bot).await;
    let now = bot.clock.now();
    let first = bot
        .engine
        .ingest(vec![alert("a", "checkout", now)])
        .await
        .unwrap();
    bot.clock.set("2026-11-21T13:00:00Z".parse().unwrap());
    let later = bot.clock.now();
    let second = bot
        .engine
        .ingest(vec![alert("b", "billing", later)])
        .await
        .unwrap();

    let commander = |id: IncidentId| {
        bot.store
            .incident(id)
            .unwrap()
            .unwrap()
            .roles
            .commander
            .unwrap()
            .0
    };
    assert_eq!(commander(first.incidents[0]), "alice");
    assert_eq!(commander(second.incidents[0]), "bob");
    let engine_thread = Some("warroom-engine".to_owned());
    assert!(
        bot.store
            .commit_threads
            .lock()
            .unwrap()
            .iter()
            .all(|t| *t == engine_thread),
        "{:?}",
        bot.store.commit_threads.lock().unwrap()
    );
    assert!(
        bot.oncall
            .asked_on
            .lock()
            .unwrap()
            .iter()
            .all(|t| *t == engine_thread)
    );
}

#[tokio::test]
async fn queries_are_answered_without_a_flush() {
    let bot = start();
    let now = bot.clock.now();
    let report = bot
        .engine
        .ingest(vec![alert("a", "checkout", now)])
        .await
        .unwrap();
    let id = report.incidents[0];
    settled(&bot).await;
    let flushes = bot.store.flushes.load(Ordering::SeqCst);
    let port = bot.engine.port();
    let queries = [
        Command::Help,
        Command::List,
        Command::Status { incident: None },
        Command::Timeline { limit: 5 },
    ];
    for command in queries {
        // Through the port (views) and straight to the engine: neither flushes.
        let via_port = port
            .command(carol(), Vec::new(), Some(id), command.clone())
            .await
            .unwrap();
        let via_engine = bot
            .engine
            .command(carol(), Vec::new(), Some(id), command.clone())
            .await
            .unwrap();
        assert!(via_port.ok, "{command:?}: {via_port:?}");
        assert_eq!(via_port, via_engine, "{command:?}");
    }
    assert_eq!(bot.store.flushes.load(Ordering::SeqCst), flushes);
    // A command that changes something does go through the writer.
    let note = Command::Note("checking".to_owned());
    assert!(
        port.command(carol(), Vec::new(), Some(id), note)
            .await
            .unwrap()
            .ok
    );
    assert!(bot.store.flushes.load(Ordering::SeqCst) > flushes);
}

#[tokio::test]
async fn a_refused_declare_takes_no_incident_id() {
    let bot = start();
    let today = bot.clock.now().date_naive();
    let too_long = Command::Declare {
        title: "x".repeat(crate::domain::decide::MAX_TITLE_CHARS + 1),
        severity: None,
    };
    let refused = bot
        .engine
        .command(carol(), Vec::new(), None, too_long)
        .await
        .unwrap();
    assert!(!refused.ok);
    assert_eq!(refused.lines[0].id, "reply-title-too-long");
    assert_eq!(bot.store.last_sequence(today).unwrap(), 0);
    let declare = Command::Declare {
        title: "Checkout is down".to_owned(),
        severity: None,
    };
    let declared = bot
        .engine
        .command(carol(), Vec::new(), None, declare)
        .await
        .unwrap();
    assert_eq!(declared.incident, Some(IncidentId::new(today, 1)));
    assert_eq!(bot.store.last_sequence(today).unwrap(), 1);
}

/// Nothing hears of a change before its flush holds: not the outbox (which would post it),
/// not the queries (which would show it); and after a failed flush the change is gone from
/// the queries at once, as it is from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_sees_a_change_before_its_flush_holds_or_after_it_failed() {
    use crate::domain::effect::Effect;
    use crate::store::DeliveryStore as _;

    let bot = start();
    let now = bot.clock.now();
    bot.store.hold_flush.store(true, Ordering::SeqCst);
    bot.store.fail_flush.store(true, Ordering::SeqCst);
    let caller = bot.engine.clone();
    let ingest =
        tokio::spawn(async move { caller.ingest(vec![alert("a", "checkout", now)]).await });
    // The witness: the group is committed and its flush has begun.
    for _ in 0..5_000 {
        if bot.store.flushes.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(bot.store.flushes.load(Ordering::SeqCst), 1);
    assert!(!ingest.is_finished(), "no answer before the flush");
    let woken = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        bot.outbox_wake.notified(),
    )
    .await;
    assert!(woken.is_err(), "the outbox was woken before the flush");
    assert!(
        bot.store.inner.outbox_pending(10).unwrap().is_empty(),
        "the outbox can read an item that is not yet on disk"
    );
    let id = IncidentId::parse("INC-20261121-001").unwrap();
    assert!(
        bot.engine.views().open.get(id).is_none(),
        "queries show the incident before its flush"
    );

    bot.store.hold_flush.store(false, Ordering::SeqCst);
    assert!(matches!(
        ingest.await.unwrap(),
        Err(EngineError::NotDurable(_))
    ));
    assert!(
        bot.engine.views().open.get(id).is_none(),
        "a failed flush leaves the lost incident in the views"
    );
    assert!(
        bot.store
            .inner
            .outbox_pending(10)
            .unwrap()
            .iter()
            .all(|item| !matches!(item.effect, Effect::OpenRoom { .. }))
    );
}
