//! The one error type of Roster's server functions, and the HTTP status each variant earns.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What can go wrong in a server function, as the browser may see it.
///
/// Every variant's text is safe to show to a user. Internal causes are logged where they
/// happen (see `AppError::internal`) and reach the browser only as [`AppError::Internal`],
/// with the request id to find them by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A field failed validation; `field` names the form input it belongs to.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The request itself was malformed (missing or mistyped arguments).
    #[error("{0}")]
    BadRequest(String),
    /// No one is signed in, or the credentials were wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed to do this.
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// The thing does not exist, or the caller may not know that it does.
    #[error("Not found.")]
    NotFound,
    /// The change clashes with the current state, such as a taken email.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after `retry_after` seconds (sent as `Retry-After`).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// The server is too busy to do this now; try again after `retry_after` seconds (sent as
    /// `Retry-After`). Nothing was done.
    #[error("The server is busy. Please try again in a few seconds.")]
    Busy { retry_after: u64 },
    /// Something failed on our side; the details are in the server log, under the request
    /// id this carries (empty when there was none).
    #[error("Something went wrong on our side. Please try again.{}", reference(.0))]
    Internal(String),
}

fn reference(request_id: &str) -> String {
    if request_id.is_empty() {
        String::new()
    } else {
        format!(" (Reference: {request_id})")
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub fn sign_in_required() -> Self {
        AppError::Unauthorized("Please sign in to continue.".into())
    }

    /// The form field this error belongs to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The HTTP status for this error; the only place where that choice is made.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid { .. } => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal(_) => 500,
            AppError::Busy { .. } => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The caller sent something the function cannot read: their mistake, not ours.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::BadRequest("The request was missing or had malformed fields.".into())
            }
            // On the server, a body that can't be read as text (not UTF-8, say) or a method the
            // function doesn't take: the caller's mistake too.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                AppError::BadRequest("The request was missing or had malformed fields.".into())
            }
            // Seen in the browser when the network or server fails.
            ServerFnErrorErr::Request(_) => {
                AppError::BadRequest("Could not reach the server. Check your connection.".into())
            }
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function plumbing failed");
                let _ = other;
                AppError::Internal(current_request_id())
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an internal failure with its cause and returns the generic error the browser sees.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let at = std::panic::Location::caller();
        let request_id = current_request_id();
        tracing::error!(%cause, file = at.file(), line = at.line(), request_id, "internal error");
        AppError::Internal(request_id)
    }
}

/// The id of the request being served, to tie what the browser sees to the server log.
#[cfg(feature = "ssr")]
fn current_request_id() -> String {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| crate::server::security::request_id(&parts.headers))
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn current_request_id() -> String {
    String::new()
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(err: sqlx::Error) -> Self {
        // Text PostgreSQL can't store (a NUL) is the client's. Input checks refuse it first;
        // this keeps any path they miss a 400, not a 500.
        const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
        if let sqlx::Error::Database(e) = &err {
            if e.code().as_deref() == Some(CHARACTER_NOT_IN_REPERTOIRE) {
                tracing::warn!(%err, "text the database can't store");
                return AppError::BadRequest("The text sent holds a character that can't be stored.".into());
            }
        }
        // Waits that ran out are the server being busy, not broken: no connection came free,
        // SQLite's write lock stayed taken (its busy timeout), or PostgreSQL cancelled a
        // statement at its statement_timeout. Nothing was done; the client may retry.
        const SQLITE_BUSY: u32 = 5;
        const SQLITE_LOCKED: u32 = 6;
        const QUERY_CANCELED: &str = "57014";
        let busy = match &err {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(e) => match e.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                // An extended code keeps its primary code in its low byte.
                Some(_) => {
                    let primary = e.code().and_then(|c| c.parse::<u32>().ok()).map(|c| c & 0xff);
                    matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED))
                }
                None => e.code().as_deref() == Some(QUERY_CANCELED),
            },
            _ => false,
        };
        if busy {
            tracing::warn!(%err, "a database wait ran out; answered 503");
            return AppError::Busy { retry_after: 2 };
        }
        // The pool closes only as the server stops, after the last connection has gone. What
        // still asks for it is work left behind by a client that hung up mid-request, such as
        // a page's data still loading: nobody is waiting for the answer, and nothing failed.
        if let sqlx::Error::PoolClosed = err {
            tracing::debug!("work for a request whose client has gone, stopped by the shutdown");
            return AppError::Internal(current_request_id());
        }
        AppError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_mistake_maps_below_500() {
        let client = [
            AppError::invalid("email", "bad"),
            AppError::BadRequest("x".into()),
            AppError::sign_in_required(),
            AppError::Forbidden,
            AppError::NotFound,
            AppError::Conflict("x".into()),
        ];
        for err in client {
            assert!((400..500).contains(&err.status()), "{err:?} -> {}", err.status());
        }
        assert_eq!(AppError::TooManyRequests { message: "x".into(), retry_after: 60 }.status(), 429);
        assert_eq!(AppError::Internal(String::new()).status(), 500);
        assert_eq!(AppError::Busy { retry_after: 5 }.status(), 503);
    }

    #[test]
    fn malformed_arguments_are_a_bad_request() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("nope".into()));
        assert_eq!(err.status(), 400);
    }

    /// How many ERROR events `f` logs.
    #[cfg(feature = "ssr")]
    fn errors_logged_by(f: impl FnOnce()) -> usize {
        use std::sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        };
        use tracing_subscriber::layer::SubscriberExt;
        struct Count(Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
            fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
                if *event.metadata().level() == tracing::Level::ERROR {
                    self.0.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let count = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(Count(count.clone()));
        tracing::subscriber::with_default(subscriber, f);
        count.load(Ordering::SeqCst)
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_pool_closed_by_the_shutdown_is_not_logged_as_a_failure() {
        let mut seen = Vec::new();
        assert_eq!(errors_logged_by(|| seen.push(AppError::from(sqlx::Error::PoolClosed))), 0);
        assert_eq!(errors_logged_by(|| seen.push(AppError::from(sqlx::Error::WorkerCrashed))), 1);
        assert!(seen.iter().all(|e| e.status() == 500), "{seen:?}");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_wait_that_ran_out_is_a_503_to_retry_not_a_failure() {
        let mut seen = None;
        assert_eq!(errors_logged_by(|| seen = Some(AppError::from(sqlx::Error::PoolTimedOut))), 0);
        assert_eq!(seen, Some(AppError::Busy { retry_after: 2 }));
    }

    #[test]
    fn errors_survive_the_round_trip_through_the_wire_encoding() {
        let err = AppError::invalid("password", "Too short.");
        assert_eq!(AppError::de(err.ser()), err);
    }
}
