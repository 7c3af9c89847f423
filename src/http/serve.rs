//! Serving connections with hyper directly: `axum::serve` cannot bound how long a client may
//! take to send its headers, so a slow client could hold a connection (and its memory) for
//! as long as it liked.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::config::HttpLimits;

/// How long shutdown waits for in-flight requests. A client still sending a body (allowed up
/// to `http.body_timeout`) must not keep the process alive past its stop deadline; whatever
/// it sent is either committed or answered with nothing, and alert senders retry.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (idle connections close at once) and returns once every connection is closed, or
/// after [`SHUTDOWN_DRAIN`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let service = TowerToHyperService::new(app);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Connection tasks, so shutdown can wait for them and, after the drain, abort them: each
    // holds the router, and with it a handle that keeps the engine running.
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(%error, "Cannot accept a connection.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Reap finished connections so the set stays as small as the open ones.
        while connections.try_join_next().is_some() {}
        if let Err(error) = stream.set_nodelay(true) {
            debug!(%error, "Cannot set TCP_NODELAY.");
        }
        let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            tokio::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            debug!(%error, "An HTTP connection ended with an error.");
                        }
                        break;
                    }
                    _ = stop.wait_for(|stop| *stop), if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(
            open = connections.len(),
            "Connections still busy after the shutdown drain; closing them."
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}
