//! The composition root: builds the store, engine, chat adapter, outbox and HTTP server from
//! settings, runs them, and shuts them down cooperatively.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

use crate::chat::ChatPort;
use crate::chat::console::ConsoleChat;
use crate::chat::discord::DiscordData;
use crate::config::{DEMO_TOKENS, Settings};
use crate::engine::clock::Clock;
use crate::engine::outbox::OutboxWorker;
use crate::engine::{EngineParts, spawn};
use crate::health::Health;
use crate::http::auth::Credentials;
use crate::http::{AppState, metrics_handle, router};
use crate::i18n::I18n;
use crate::oncall::{OnCall, SharedOnCall};
use crate::store::{SledStore, Store};

/// A running warroom.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting requests, lets the outbox and engine finish, flushes, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("warroom task panicked")?
    }
}

/// Binds `settings.http_addr` and starts everything.
pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
    start_on(settings, listener, clock).await
}

/// Starts everything on an already-bound listener (tests bind port 0).
pub async fn start_on(
    settings: Settings,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Running> {
    // The shell executor checks values against the catalog's declarations (patterns).
    let executors = crate::exec::build(&settings.exec).await.with(
        crate::domain::action::ExecutorKind::Shell,
        Arc::new(crate::exec::shell::ShellExecutor::for_catalog(
            &settings.policy.actions.catalog,
        )),
    );
    start_with_executors(settings, listener, clock, executors).await
}

/// Starts everything with the given executors instead of those the settings build (tests run
/// actions against executors of their own).
pub async fn start_with_executors(
    settings: Settings,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    executors: crate::exec::Executors,
) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let i18n = Arc::new(I18n::builtin().context("the built-in locales are broken")?);
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            settings.data_dir.display()
        )
    })?;
    let sled_store =
        SledStore::open(&settings.data_dir, settings.cache_capacity).map_err(|error| {
            if is_held_by_another_process(&error) {
                anyhow::anyhow!(
                    "another warroom holds {}; stop it, or give this one its own --data-dir",
                    settings.data_dir.display()
                )
            } else {
                anyhow::Error::new(error).context(format!(
                    "cannot open the store in {}",
                    settings.data_dir.display()
                ))
            }
        })?;
    let console_tree = sled_store.adapter_tree("console")?;
    let store: Arc<dyn Store> = Arc::new(sled_store);
    let outbox_wake = Arc::new(Notify::new());
    // What the web console's live pages hear: the engine's incidents, the console's messages.
    let live = Arc::new(crate::live::LiveFeed::default());
    let jobs_wake = Arc::new(Notify::new());
    // One source of who is on call, asked by the engine and the Discord adapter alike.
    let mut policy = settings.policy.clone();
    let oncall: Arc<dyn OnCall> = Arc::new(SharedOnCall::new(std::mem::take(&mut policy.oncall)));
    let (engine, engine_task) = spawn(EngineParts {
        store: store.clone(),
        clock: clock.clone(),
        policy,
        oncall: oncall.clone(),
        people: settings.people.clone(),
        outbox_wake: outbox_wake.clone(),
        jobs_wake: jobs_wake.clone(),
        live: live.clone(),
    })?;

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let health = Arc::new(Health::new());
    // The chat: Discord when a token is configured, else the built-in console.
    let chat_ready = Arc::new(AtomicBool::new(false));
    // The chat, the console the console API serves, the console that is the chat (whose
    // rooms the web console shows), and the Discord gateway's task.
    #[allow(clippy::type_complexity)]
    let (chat, console, chat_console, discord_task): (
        Arc<dyn ChatPort>,
        Option<Arc<ConsoleChat>>,
        Option<Arc<ConsoleChat>>,
        _,
    ) = match &settings.discord {
        Some(discord) => {
            let data = DiscordData {
                port: engine.port(),
                i18n: i18n.clone(),
                settings: discord.clone(),
                oncall: oncall.clone(),
                clock: clock.clone(),
                ready: chat_ready.clone(),
            };
            let (chat, task) = crate::chat::discord::start(data, shutdown_rx.clone())
                .await
                .map_err(|error| anyhow::anyhow!("cannot start the Discord client: {error}"))?;
            // `[console] enabled = true` serves the console API beside Discord.
            let console = if settings.console_api {
                Some(Arc::new(ConsoleChat::open(console_tree, clock.now())?))
            } else {
                None
            };
            (chat, console, None, Some(task))
        }
        None => {
            let console = Arc::new(ConsoleChat::open(console_tree, clock.now())?);
            console.set_live(live.clone());
            chat_ready.store(true, Ordering::Relaxed);
            let api = settings.console_api.then(|| console.clone());
            (console.clone(), api, Some(console), None)
        }
    };
    let outbox = OutboxWorker {
        store: store.clone(),
        chat,
        engine: engine.clone(),
        i18n: i18n.clone(),
        locale: settings.room_locale.clone(),
        card_edit_interval: settings.card_edit_interval,
        wake: outbox_wake,
        health: health.clone(),
        pager: match settings.paging.as_ref().map(crate::paging::Pager::new) {
            Some(Ok(pager)) => Some(Arc::new(pager)),
            Some(Err(error)) => return Err(anyhow::anyhow!("the pager cannot be set up: {error}")),
            None => None,
        },
    };
    let outbox_task = tokio::spawn(outbox.run(shutdown_rx.clone()));
    let jobs = crate::engine::jobs::JobPool {
        store: store.clone(),
        engine: engine.clone(),
        clock: clock.clone(),
        probes: settings.policy.probes.clone(),
        wake: jobs_wake,
        report_retry: crate::engine::jobs::ReportRetry::default(),
        executors,
        approval_expiry: settings.policy.actions.approval_expiry,
    };
    let jobs_task = tokio::spawn(jobs.run(shutdown_rx.clone()));

    let stop_engine = engine.stopper();
    // The web console shows the console chat's rooms; with Discord the rooms are there.
    let web = match settings.web.mode {
        crate::config::WebMode::Off => None,
        _ => Some(Arc::new(
            crate::web::Web::new(
                settings.web.clone(),
                i18n.clone(),
                live.clone(),
                chat_console,
                settings.demo_users,
                settings.policy.time_zone,
                settings.room_locale.clone(),
                clock.clone(),
                settings.http_limits.max_event_streams(),
            )
            .context("the web console's templates are broken")?
            .listening_on(settings.http_addr),
        )),
    };
    let state = AppState {
        store: engine.views().store(),
        port: engine.port(),
        console,
        chat_ready,
        health,
        i18n,
        people: Arc::new(
            settings
                .people
                .iter()
                .map(|person| (person.id.clone(), person.clone()))
                .collect::<HashMap<_, _>>(),
        ),
        ingest_token: settings.ingest_token.clone(),
        body_limit: settings.body_limit,
        metrics: metrics_handle(),
        credentials: Arc::new(Credentials::from_settings(&settings)),
        http_limits: settings.http_limits.clone(),
        web,
    };
    let app = router(state);
    info!(
        %addr,
        data_dir = %settings.data_dir.display(),
        chat = if settings.discord.is_some() { "discord" } else { "console" },
        token = settings.ingest_token.is_some(),
        "warroom is listening. Alertmanager webhook: http://{addr}/v1/alerts/alertmanager; console: http://{addr}/console/api/rooms"
    );
    if settings.web.mode != crate::config::WebMode::Off {
        let url = settings
            .web
            .public_url
            .as_ref()
            .map_or_else(|| format!("http://{addr}/"), ToString::to_string);
        info!(
            %url,
            mode = settings.web.mode.as_str(),
            "The web console is served; open it in a browser."
        );
    }
    if settings.demo_users {
        // The demo tokens are public by design (README); real tokens are never logged.
        let tokens = DEMO_TOKENS
            .iter()
            .map(|(user, token)| format!("{user}: {token}"))
            .collect::<Vec<_>>()
            .join(", ");
        warn!(
            %tokens,
            "No config file: the demo users alice, bob and carol are active, on loopback only. They are for trying warroom out only; send Authorization: Bearer <token>."
        );
    }
    let tokenless: Vec<&str> = settings
        .people
        .iter()
        .filter(|person| !settings.user_tokens.iter().any(|(id, _)| *id == person.id))
        .map(|person| person.id.0.as_str())
        .collect();
    if settings.console_api && !tokenless.is_empty() {
        warn!(
            users = %tokenless.join(", "),
            "These users have no token_sha256, so they cannot use the console API. Give them tokens with `warroom token new <user>`."
        );
    }
    let http_limits = settings.http_limits.clone();
    let mut http_shutdown = shutdown_rx.clone();
    let live_at_stop = live.clone();
    let mut stop_asked = shutdown_rx.clone();
    let task = tokio::spawn(async move {
        let mut http = tokio::spawn(async move {
            crate::http::serve(listener, app, &http_limits, async move {
                let _ = http_shutdown.wait_for(|stop| *stop).await;
                // The web console's event streams never finish on their own: ended here,
                // they let the server's graceful stop complete instead of timing out.
                live_at_stop.close();
            })
            .await
        });
        // Until shutdown is asked for, the server runs; a failure of its own ends warroom.
        let served = tokio::select! {
            result = &mut http => Some(result),
            _ = stop_asked.wait_for(|stop| *stop) => None,
        };
        let stopping = tokio::time::Instant::now();
        // Every step is bounded, so warroom stops within ten seconds whatever hangs: a
        // client that never finishes its request, a chat that never answers, a gateway
        // stuck reconnecting, a disk that never returns from a flush.
        let served = match served {
            Some(result) => Some(result),
            None => bounded("the HTTP server", HTTP_STOP_GRACE, &mut http).await,
        };
        let mut outbox_task = outbox_task;
        bounded("the outbox", OUTBOX_STOP_GRACE, &mut outbox_task).await;
        // Running jobs are abandoned: they stay marked started and are reported interrupted
        // (and re-run if idempotent) at the next start.
        let mut jobs_task = jobs_task;
        bounded("the job pool", JOBS_STOP_GRACE, &mut jobs_task).await;
        if let Some(mut task) = discord_task {
            bounded("the Discord gateway", GATEWAY_STOP_GRACE, &mut task).await;
        }
        // A handle may outlive its holder (a gateway task just abandoned): stop explicitly.
        stop_engine.stop();
        let mut engine_task = engine_task;
        bounded("the engine", ENGINE_STOP_GRACE, &mut engine_task).await;
        let flushed = tokio::time::timeout(FLUSH_STOP_GRACE, store.flush()).await;
        info!(
            stop_ms = stopping.elapsed().as_millis() as u64,
            "warroom stopped."
        );
        match served {
            Some(Ok(Err(error))) => Err(error).context("the HTTP server failed")?,
            Some(Err(error)) if error.is_panic() => {
                anyhow::bail!("the HTTP server panicked: {error}")
            }
            _ => {}
        }
        match flushed {
            Ok(result) => result.context("final flush failed")?,
            Err(_) => anyhow::bail!(
                "the final flush did not finish within {} ms",
                FLUSH_STOP_GRACE.as_millis()
            ),
        }
        Ok(())
    });
    Ok(Running {
        addr,
        shutdown: shutdown_tx,
        task,
    })
}

/// How long each step of a stop may take; together well inside ten seconds.
const HTTP_STOP_GRACE: Duration = Duration::from_secs(2);
const OUTBOX_STOP_GRACE: Duration = Duration::from_millis(1500);
const GATEWAY_STOP_GRACE: Duration = Duration::from_millis(1500);
const JOBS_STOP_GRACE: Duration = Duration::from_millis(500);
const ENGINE_STOP_GRACE: Duration = Duration::from_millis(1500);
const FLUSH_STOP_GRACE: Duration = Duration::from_secs(2);

/// Waits for `task` up to `grace`, then aborts it. `None` when it had to be aborted.
async fn bounded<T>(
    what: &str,
    grace: Duration,
    task: &mut tokio::task::JoinHandle<T>,
) -> Option<Result<T, tokio::task::JoinError>> {
    match tokio::time::timeout(grace, &mut *task).await {
        Ok(result) => Some(result),
        Err(_) => {
            warn!(
                step = what,
                grace_ms = grace.as_millis() as u64,
                "A shutdown step did not finish in time; abandoning it."
            );
            task.abort();
            None
        }
    }
}

/// sled locks its files exclusively and reports a held lock only as an I/O error whose
/// text says so; there is no more specific signal to test for.
fn is_held_by_another_process(error: &crate::store::StoreError) -> bool {
    matches!(
        error,
        crate::store::StoreError::Sled(sled::Error::Io(io))
            if io.to_string().contains("could not acquire lock")
    )
}

/// Runs until SIGINT or SIGTERM. A second signal while stopping exits at once.
pub async fn serve(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    // Listening starts before anything else and never stops: once tokio handles a signal its
    // default action is gone, so a signal nobody listens for would be ignored.
    let mut signals = Signals::listen();
    let running = start(settings, clock).await?;
    signals.next().await;
    info!("Shutdown requested; finishing in-flight work. Signal again to exit at once.");
    tokio::select! {
        result = running.stop() => result,
        _ = signals.next() => {
            warn!("Second signal: exiting at once; unfinished work resumes from the store on the next start.");
            std::process::exit(130);
        }
    }
}

/// SIGINT and SIGTERM, registered once so no signal between two waits is lost.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    warn!(%error, signal = name, "Cannot listen for a signal.");
                    None
                }
            };
            Signals {
                interrupt: listen(SignalKind::interrupt(), "SIGINT"),
                terminate: listen(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        if signal.recv().await.is_none() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.interrupt) => {}
                _ = recv(&mut self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            warn!(%error, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    }
}
