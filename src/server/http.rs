//! The HTTP server around the router: accepting connections, closing those whose request
//! headers arrive too slowly, and a bounded drain on shutdown.
//!
//! Why not `axum::serve`: hyper enforces a header read timeout only when it is given a timer,
//! which `axum::serve` doesn't give it, so a client trickling a header byte by byte
//! (slowloris) could hold a connection forever. And its graceful shutdown waits for every
//! request in flight without limit.

use std::{future::Future, net::SocketAddr, pin::pin, time::Duration};

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long the server waits on clients.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// For a request's headers to arrive whole.
    pub headers: Duration,
    /// After a stop is asked for, for the requests in flight to finish.
    pub drain: Duration,
}

/// Serves `app` on `listener` until `stop` completes, then lets the requests in flight
/// finish for at most `patience.drain`. Each request carries its client's address
/// (`ConnectInfo`), for the per-address limits.
pub async fn serve(listener: TcpListener, app: Router, patience: Patience, stop: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut stop = pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        serve_connection(&graceful, stream, peer, app.clone(), patience.headers);
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    if tokio::time::timeout(patience.drain, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            seconds = patience.drain.as_secs(),
            "requests still in flight at the end of the drain; stopping anyway"
        );
    }
}

fn serve_connection(
    graceful: &GracefulShutdown,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    headers: Duration,
) {
    let service = app.map_request(move |request: axum::http::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(headers);
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
        .into_owned();
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            // A client that hung up, or whose headers were too slow: nothing to do.
            tracing::debug!(%err, %peer, "connection ended");
        }
    });
}
