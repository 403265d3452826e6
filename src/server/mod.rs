//! The server: application state, the router every caller shares, and the CLI around it.

pub mod backup;
pub mod cli;
mod cli_accounts;
pub mod config;
pub mod db;
pub mod http;
pub mod limits;
pub mod lists;
pub mod mail;
pub mod security;
pub mod seed;
pub mod state;
pub mod sweep;
pub mod tokens;

pub use state::AppState;

use std::{path::Path, sync::OnceLock, time::Duration};

use axum::{
    body::Body,
    http::{header, HeaderValue, Response, StatusCode},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{CompressionLayer, CompressionLevel},
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    app::{shell, App},
    error::AppError,
};
use config::Settings;
use db::{Db, Open};

/// The app's routes, worked out once per process.
///
/// Working them out renders the app with resource loading switched off, and Leptos keeps that
/// switch in one process-wide flag. Done more than once, say for a second router in the same
/// process, it would stall any page rendering at that moment. Once, before any router exists,
/// it can't.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: pages, server functions and static files. `roster serve` and the
/// tests use this same router.
pub fn router(state: AppState) -> Router {
    let routes = routes();
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(crate::access::session::RequestSession::default());
            provide_context(crate::access::RequestProfiles::default());
            // The nonce the page's policy names (security::page_nonce), in place of the one
            // Leptos made: its inline scripts carry this one.
            let nonce = use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<security::PageNonce>().cloned());
            if let Some(nonce) = nonce {
                provide_context(leptos::nonce::Nonce::from_value(nonce.0));
            }
            let flash = use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<crate::flash::Flash>().cloned());
            if let Some(flash) = flash {
                provide_context(flash);
            }
        }
    };
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let app = Router::new()
        .merge(crate::export::ssr::routes(context.clone()))
        .merge(crate::bulk::import_routes(context.clone()))
        .merge(crate::api::routes(state.clone()))
        .merge(crate::scim::routes(state.clone()))
        .leptos_routes_with_context(&state, routes, context.clone(), app)
        .nest_service("/pkg", bundle(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell));
    let secure = state.settings.secure_cookies;
    let app = app.layer(axum::middleware::from_fn(move |request, next| {
        crate::flash::ssr::carry(secure, request, next)
    }));
    with_defences(app, state.settings.request_timeout()).with_state(state)
}

/// The browser bundle (`pkg/`: the WASM, its JS glue and the CSS).
///
/// - Compressed for every browser that accepts it. A release built with `--precompress` has
///   `.br` and `.gz` copies beside each file, made once at the highest settings; any other
///   build's files are compressed as they are sent.
/// - The names carry no hash, so a browser may keep a copy but must ask before reusing it
///   (`no-cache`): unchanged, the answer is a bodiless 304. Without a policy, Chromium
///   fetched the 10 MB debug bundle whole on every page load, even without JavaScript, where
///   the page's preload links still ask for it.
/// - A missing file is a plain 404, not the app's not-found page.
fn bundle(options: &LeptosOptions) -> Router {
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .fallback_service(files)
        // Leaves a response alone when it is already encoded (a precompressed copy) or empty.
        // The fastest settings: the copies `--precompress` makes are the small ones.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        // A shared cache must keep one copy per encoding. Compressing adds this; a
        // precompressed copy comes without it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// Wraps `app` in the layers every request passes, listed here innermost first (see
/// `security` for what each one promises); a request is cut off after `deadline`.
pub fn with_defences<S: Clone + Send + Sync + 'static>(app: Router<S>, deadline: Duration) -> Router<S> {
    use security::{RequestIds, REQUEST_ID};
    let span = |request: &axum::http::Request<Body>| {
        let id = security::request_id(request.headers()).unwrap_or_default();
        tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
    };
    app.layer(axum::middleware::map_response(server_fn_status))
        .layer(axum::middleware::from_fn(security::page_nonce))
        .layer(axum::middleware::from_fn(security::refuse_cross_site))
        .layer(axum::middleware::from_fn(security::limit_body))
        .layer(axum::middleware::from_fn(move |request, next| self::deadline(deadline, request, next)))
        .layer(CatchPanicLayer::custom(security::panic_response))
        .layer(axum::middleware::map_response(security::security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RequestIds::default()))
}

/// Cuts a request off with 503 and `Retry-After` when its answer (its body's arrival, its
/// queries, its page) takes longer than `limit`. Dropping the handler's future rolls back any
/// transaction it had open and hands its connection back to the pool (see `db`).
async fn deadline(
    limit: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path, seconds = limit.as_secs_f32(), "request cut off at its deadline");
            let mut response = if crate::api::is_api_path(&path) {
                use axum::response::IntoResponse;
                crate::api::problem::Problem::from(AppError::Busy { retry_after: 5 }).into_response()
            } else if path.starts_with("/api/") {
                // A server function's caller reads its errors as JSON.
                let busy = AppError::Busy { retry_after: 5 };
                let mut json = Response::new(Body::from(serde_json::to_string(&busy).unwrap_or_default()));
                *json.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                json.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                json
            } else {
                security::text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The server took too long to answer. Please try again.",
                )
            };
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

/// Leptos answers every server-function error with 500. This gives each error the status its
/// variant earns (`AppError::status`), so a client mistake is never a 5xx. Form posts without
/// JavaScript are left alone: they are redirects back to the form (`crate::flash`).
async fn server_fn_status(response: Response<Body>) -> Response<Body> {
    const HEADER: &str = leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().contains_key(HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match err {
            AppError::Unauthorized(_) => {
                parts.headers.insert("www-authenticate", HeaderValue::from_static("Cookie"));
            }
            AppError::TooManyRequests { retry_after, .. } | AppError::Busy { retry_after } => {
                parts.headers.insert("retry-after", HeaderValue::from(retry_after));
            }
            _ => {}
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Binds, migrates and serves until Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let db =
        Db::open(&settings.database_url, settings.max_connections(), Open::from_settings(&settings, true))
            .await?;
    if settings.database_url.starts_with("sqlite:") {
        // Absolute by now (`Settings::load`): the one file this server works on.
        let (url, synchronous) = (&settings.database_url, settings.sqlite_synchronous);
        tracing::info!(%url, ?synchronous, "SQLite database");
    } else {
        // The URL may hold a password: only the database's kind is said.
        tracing::info!("PostgreSQL database");
    }
    let ran = db.migrate().await?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let address = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(with_public_url(settings, &address), db.clone());
    tracing::info!(site_root = %state.leptos_options.site_root, "serving the site");
    let sender = mail::spawn(db.clone(), state.mail.clone());
    let sweeper = sweep::spawn(state.clone());
    // A fresh install has no administrator, and no one who registers becomes one: the
    // operator opens this link (or runs `roster user create --admin`).
    if let Some(link) = crate::auth::ssr::offer_setup_link(&db, state.mail.site()).await? {
        tracing::warn!("no administrator yet: create one at {link} (works once, for 24 hours)");
    }
    tracing::info!("listening on {address}");
    let patience = http::Patience {
        headers: Duration::from_secs(state.settings.header_timeout_secs.into()),
        drain: Duration::from_secs(state.settings.shutdown_grace_secs.into()),
    };
    http::serve(listener, router(state), patience, shutdown_signal()).await;
    // A mail cut off mid-delivery stays claimed, and goes again once its claim lapses.
    sender.abort();
    sweeper.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// `settings` with `public_url` set: as given, else the address the server is listening on
/// (whose port is known only once bound), with a warning when no one else could reach it.
fn with_public_url(mut settings: Settings, listening: &str) -> Settings {
    if settings.public_url.is_none() {
        if settings.listen.ip().is_unspecified() {
            tracing::warn!("links in mail say {listening}: set public_url to the address people use");
        }
        settings.public_url = Some(listening.to_owned());
    }
    settings
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
