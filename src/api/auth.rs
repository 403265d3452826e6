//! The door of the JSON API: every request shows a bearer token, never a cookie, and is let
//! in only with the scope its method needs and within its token's rate. Past it, a request
//! runs as its token's caller, with what a server function has (`in_context`), so the same
//! `access::require_*` checks decide what it may see and do.

use std::num::NonZeroU32;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::{
    prelude::{provide_context, Owner},
    reactive::computed::ScopedFuture,
};

use super::problem::{BearerError, Problem};
use crate::{
    access::{session::RequestSession, RequestProfiles},
    api_tokens::{ssr::Caller, Scope},
    server::AppState,
};

/// Each token's allowance of requests, shared by every request this process serves.
pub type Limiter = DefaultKeyedRateLimiter<i64>;

/// A limiter allowing each token `per_minute` requests a minute, in bursts of as many.
pub fn limiter(per_minute: u32) -> Limiter {
    RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN)))
}

/// The scope a request needs: provisioning for SCIM; else reading to look, writing to
/// change.
pub fn scope_for(method: &Method, path: &str) -> Scope {
    if crate::scim::is_scim_path(path) {
        return Scope::Scim;
    }
    match *method {
        Method::GET | Method::HEAD | Method::OPTIONS => Scope::Read,
        _ => Scope::Write,
    }
}

const NO_TOKEN: &str = "Send an access token as \"Authorization: Bearer <token>\". \
    Make one on your account's Access tokens page.";
/// One answer for every token that doesn't work, so it tells nothing about which it was.
const BAD_TOKEN: &str =
    "This token doesn't work: it is unknown, expired or revoked, or its account is deactivated.";

/// The middleware: authenticates the token, checks its scope and rate, and runs the rest of
/// the request as its caller.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let needs = scope_for(request.method(), path);
    let caller = match caller(&state, request.headers(), needs).await {
        Ok(caller) => caller,
        Err(problem) if crate::scim::is_scim_path(path) => {
            return crate::scim::error::ScimError::from(*problem).into_response()
        }
        Err(problem) => return problem.into_response(),
    };
    in_context(state, caller, request, next).await
}

/// A refusal at the door; boxed, as the way in is the common path.
type Refused = Box<Problem>;

async fn caller(state: &AppState, headers: &HeaderMap, needs: Scope) -> Result<Caller, Refused> {
    let secret = bearer(headers)?;
    if crate::access::session::token_from_headers(headers).is_some() {
        return Err(Box::new(Problem::new(
            StatusCode::BAD_REQUEST,
            "Send an access token or a session cookie, not both: the API takes only the token.",
        )));
    }
    let caller = crate::api_tokens::ssr::authenticate(&state.db, secret)
        .await
        .map_err(|err| Box::new(Problem::from(err)))?
        .ok_or_else(|| Box::new(Problem::unauthenticated(BearerError::InvalidToken, BAD_TOKEN)))?;
    if let Err(not_until) = state.api_limits.check_key(&caller.token) {
        let wait = not_until.wait_time_from(state.api_limits.clock().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(token = caller.token, seconds, "API request over its token's rate");
        return Err(Box::new(Problem {
            retry_after: Some(seconds.max(1)),
            ..Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("This token has made too many requests. Try again in {} seconds.", seconds.max(1)),
            )
        }));
    }
    if !caller.scopes.has(needs) {
        return Err(Box::new(Problem::insufficient_scope(needs)));
    }
    Ok(caller)
}

/// The token in `Authorization: Bearer <token>`; a missing or other kind of credential is
/// refused with 401.
fn bearer(headers: &HeaderMap) -> Result<&str, Refused> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Box::new(Problem::unauthenticated(BearerError::Missing, NO_TOKEN)));
    };
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim())
        }
        _ => Err(Box::new(Problem::unauthenticated(BearerError::Missing, NO_TOKEN))),
    }
}

/// Runs the rest of `request` inside a reactive owner that gives it what a server function
/// has: the app's state, the request, and a session that is already known, the caller's.
async fn in_context(state: AppState, caller: Caller, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let owner = Owner::new();
    let answer = owner.with(|| {
        ScopedFuture::new(async move {
            let db = state.db.clone();
            provide_context(state);
            provide_context(parts.clone());
            provide_context(RequestSession::known(caller.user.clone()));
            provide_context(RequestProfiles::default());
            provide_context(leptos_axum::ResponseOptions::default());
            provide_context(caller.clone());
            super::idempotency::once(&db, &caller, Request::from_parts(parts, body), next).await
        })
    });
    answer.await
}
