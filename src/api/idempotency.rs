//! `Idempotency-Key` (the IETF httpapi draft): a POST or PATCH sent again with the same key
//! by the same token gets the first answer again, and the work is done once.
//!
//! The key is claimed in the database before the request runs (a unique row per token and
//! key), so two copies sent at once can't both run: the second is told the first is under
//! way (409). The answer is kept with the claim for a day; a failure on the server's side
//! (5xx) gives the claim back, so the retry runs. The same key with a different request
//! (method, path or body) is the caller's mistake (422).

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::problem::Problem;
use crate::{
    api_tokens::ssr::Caller,
    domain::Timestamp,
    error::AppError,
    server::db::{Db, Pool},
    with_db,
};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
const LIFETIME_HOURS: i64 = 24;

/// The header, for the document.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct KeyHeader {
    /// A key of your choosing (up to 255 visible characters, such as a UUID): sent again
    /// with the same request, the first answer comes back and nothing is done twice.
    #[param(rename = "Idempotency-Key")]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// What a claim found.
enum Claim {
    /// The key is new: run the request.
    Mine,
    /// A request with the key is still under way.
    Running,
    /// The key was used for another request.
    Other,
    /// The key's answer, to send again.
    Done { status: u16, body: String, location: Option<String> },
}

/// Runs `request` once per key: the middleware's part for requests that carry one.
pub async fn once(db: &Db, caller: &Caller, request: Request, next: Next) -> Response {
    let Some(key) = request.headers().get(HEADER) else { return next.run(request).await };
    if !matches!(*request.method(), Method::POST | Method::PATCH) {
        return next.run(request).await;
    }
    let key = match key.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            key.to_owned()
        }
        _ => return bad_key(),
    };
    let (parts, body) = request.into_parts();
    // Whole already, within the body limit (`security::limit_body`).
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or_default();
    let fingerprint = fingerprint(parts.method.as_str(), target, &bytes);
    match claim(db, caller.token, &key, &fingerprint).await {
        Ok(Claim::Mine) => {}
        Ok(Claim::Running) => return running(),
        Ok(Claim::Other) => return Problem::from(AppError::invalid(
            "Idempotency-Key",
            "This Idempotency-Key was sent before with a different request. Use a new key for a new request.",
        ))
        .into_response(),
        Ok(Claim::Done { status, body, location }) => return replay(status, body, location),
        Err(err) => return Problem::from(err).into_response(),
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    match keep(db, caller.token, &key, response).await {
        Ok(response) => response,
        Err(err) => Problem::from(err).into_response(),
    }
}

fn fingerprint(method: &str, target: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b" ");
    hash.update(target.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims `key` for `token`, or says what an earlier request with it left. Keys past their
/// lifetime are forgotten first.
async fn claim(db: &Db, token: i64, key: &str, fingerprint: &str) -> Result<Claim, AppError> {
    let stale = Timestamp(chrono::Utc::now() - chrono::Duration::hours(LIFETIME_HOURS));
    type Row = (String, Option<i32>, Option<String>, Option<String>);
    let found: Option<Row> = with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM api_idempotency WHERE token_id = $1 AND key = $2 AND created_at < $3")
            .bind(token)
            .bind(key)
            .bind(stale)
            .execute(&mut *tx)
            .await?;
        let claimed = sqlx::query(
            "INSERT INTO api_idempotency (token_id, key, fingerprint) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(token)
        .bind(key)
        .bind(fingerprint)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let found = match claimed {
            1 => None,
            _ => {
                sqlx::query_as(
                    "SELECT fingerprint, status, body, location FROM api_idempotency \
                     WHERE token_id = $1 AND key = $2",
                )
                .bind(token)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok::<_, sqlx::Error>(found)
    })?;
    Ok(match found {
        None => Claim::Mine,
        Some((theirs, _, _, _)) if theirs != fingerprint => Claim::Other,
        Some((_, None, _, _)) => Claim::Running,
        Some((_, Some(status), body, location)) => {
            Claim::Done { status: status as u16, body: body.unwrap_or_default(), location }
        }
    })
}

/// Forgets every key past its lifetime (the sweep, `server::sweep`), along
/// api_idempotency_created_idx.
pub async fn forget_stale(db: &Db) -> Result<u64, AppError> {
    let stale = Timestamp(chrono::Utc::now() - chrono::Duration::hours(LIFETIME_HOURS));
    Ok(with_db!(db, |pool| {
        sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1")
            .bind(stale)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?)
}

/// Keeps `response` as the answer to `key`, or gives the claim back when the server failed.
async fn keep(db: &Db, token: i64, key: &str, response: Response) -> Result<Response, AppError> {
    let status = response.status();
    if status.is_server_error() {
        with_db!(db, |pool| {
            sqlx::query("DELETE FROM api_idempotency WHERE token_id = $1 AND key = $2")
                .bind(token)
                .bind(key)
                .execute(pool)
                .await
                .map(drop)
        })?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(AppError::internal)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let location = parts.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    with_db!(db, |pool| {
        sqlx::query(
            "UPDATE api_idempotency SET status = $3, body = $4, location = $5 \
             WHERE token_id = $1 AND key = $2",
        )
        .bind(token)
        .bind(key)
        .bind(i32::from(status.as_u16()))
        .bind(&text)
        .bind(&location)
        .execute(pool)
        .await
        .map(drop)
    })?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// The first answer again, marked as such.
fn replay(status: u16, body: String, location: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let kind = if status.is_success() { "application/json" } else { super::problem::PROBLEM_JSON };
    let empty = body.is_empty();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if !empty {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

fn running() -> Response {
    let mut problem = Problem::new(
        StatusCode::CONFLICT,
        "A request with this Idempotency-Key is still under way. Try again in a moment.",
    );
    problem.retry_after = Some(1);
    problem.into_response()
}

fn bad_key() -> Response {
    Problem::new(StatusCode::BAD_REQUEST, "An Idempotency-Key is 1 to 255 visible ASCII characters.")
        .into_response()
}
