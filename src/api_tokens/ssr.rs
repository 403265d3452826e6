//! Tokens on the server: making, listing and revoking them, showing a new one once, and
//! knowing who a request's bearer token acts for.

use axum::http::{header, request::Parts, HeaderValue};
use base64::Engine;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::{NewToken, Scope, Scopes, TokenInfo, NAME_MAX_CHARS};
use crate::{
    access::session::{cookie_from_headers, digest, random_token},
    domain::{SessionUser, Timestamp, UserId},
    error::AppError,
    server::{
        config::Settings,
        db::{is_unique_violation, Db},
    },
    with_db,
};

/// The tokens page, where a new token is shown.
pub const PAGE: &str = "/account/tokens";
/// The cookie that carries a new token's secret to [`PAGE`], once.
const REVEAL_COOKIE: &str = "roster_new_token";
/// Every secret starts so, for secret scanners (and people) to recognise one.
pub const SECRET_PREFIX: &str = "roster_";
/// How stale `last_used_at` may get before a request refreshes it: a write a minute per
/// token at most.
const TOUCH_AFTER_SECS: i64 = 60;

/// `name` as a token's name: trimmed, not empty, not too long, no control characters.
pub fn checked_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let invalid = |message: &str| Err(AppError::invalid("name", message));
    if name.is_empty() {
        return invalid("Name the token after what uses it, such as \"deploy script\".");
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return invalid("A token's name is at most 80 characters.");
    }
    if name.chars().any(char::is_control) {
        return invalid("A token's name can't contain control characters.");
    }
    Ok(name.to_owned())
}

/// The days a token works for, from the form's choice (`never`: no expiry).
pub fn lifetime(choice: &str) -> Result<Option<i64>, AppError> {
    match super::LIFETIMES.iter().find(|(value, _)| *value == choice) {
        Some(("never", _)) => Ok(None),
        Some((days, _)) => Ok(days.parse().ok()),
        None => Err(AppError::invalid("expires", "Choose how long the token works.")),
    }
}

/// Makes a token for `owner` (`None`: a service token), made `by` an admin (`None`: an
/// operator at the command line), and returns its secret, the only time it exists outside
/// the caller's hands.
pub async fn create(
    db: &Db,
    owner: Option<UserId>,
    by: Option<UserId>,
    name: &str,
    scopes: Scopes,
    days: Option<i64>,
) -> Result<String, AppError> {
    let secret = format!("{SECRET_PREFIX}{}", random_token());
    let now = Timestamp::now();
    let expires = days.map(|days| Timestamp(now.0 + chrono::Duration::days(days)));
    let done = with_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO api_tokens (user_id, created_by, name, digest, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(owner)
        .bind(by)
        .bind(name)
        .bind(digest(&secret))
        .bind(scopes.0)
        .bind(now)
        .bind(expires)
        .execute(pool)
        .await
        .map(drop)
    });
    match done {
        Ok(_) => Ok(secret),
        Err(e) if is_unique_violation(&e) => {
            let whose = if owner.is_some() { "You already have" } else { "There is already" };
            Err(AppError::invalid("name", format!("{whose} a token named \"{name}\": choose another name.")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The tokens of `owner` (`None`: the service tokens), newest first.
pub async fn list(db: &Db, owner: Option<UserId>) -> Result<Vec<TokenInfo>, AppError> {
    let sql = match owner {
        Some(_) => "WHERE t.user_id = $1",
        None => "WHERE t.user_id IS NULL AND $1 IS NULL",
    };
    let now = Timestamp::now();
    let sql = format!(
        "SELECT t.id, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, \
                u.display_name AS created_by, \
                (t.expires_at IS NOT NULL AND t.expires_at <= $2) AS expired \
         FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by AND t.user_id IS NULL \
         {sql} ORDER BY t.created_at DESC, t.id DESC LIMIT 500"
    );
    Ok(with_db!(db, |pool| sqlx::query_as(&sql).bind(owner).bind(now).fetch_all(pool).await)?)
}

/// Revokes the service token named `name`, as an operator does; whether there was one.
pub async fn revoke_service(db: &Db, name: &str) -> Result<bool, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query("DELETE FROM api_tokens WHERE user_id IS NULL AND name = $1")
            .bind(name)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
    })?)
}

/// Revokes token `id` if it is `user`'s, or a service token and `admin`; whether it was.
pub async fn revoke(db: &Db, id: i64, user: UserId, admin: bool) -> Result<bool, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND (user_id = $2 OR (user_id IS NULL AND $3))")
            .bind(id)
            .bind(user)
            .bind(admin)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
    })?)
}

/// Sends `token` to the tokens page in a cookie that only that page receives, lives a minute
/// and is read once: the secret shows on the page the browser lands on, with or without
/// JavaScript, and never again.
pub fn reveal_next(settings: &Settings, token: &NewToken) {
    let json = serde_json::to_vec(token).unwrap_or_default();
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    set_reveal_cookie(settings, value, 60);
}

/// The token [`reveal_next`] sent with this request, if any; the cookie is cleared.
pub fn take_revealed(settings: &Settings) -> Option<NewToken> {
    let parts = use_context::<Parts>()?;
    let value = cookie_from_headers(&parts.headers, REVEAL_COOKIE)?;
    set_reveal_cookie(settings, String::new(), 0);
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
    serde_json::from_slice(&json).ok()
}

fn set_reveal_cookie(settings: &Settings, value: String, max_age: i64) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let cookie = cookie::Cookie::build((REVEAL_COOKIE, value))
        .path(PAGE)
        .http_only(true)
        .secure(settings.secure_cookies)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The name of the token the current request acts with, if any: history records it beside
/// what the request changes.
pub fn acting() -> Option<String> {
    use_context::<Caller>().map(|caller| caller.name)
}

/// The id of the token the current request acts with, if any: the one that manages what a
/// provider's request changes.
pub fn acting_token() -> Option<i64> {
    use_context::<Caller>().map(|caller| caller.token)
}

/// Who a request's token acts for.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: i64,
    /// The token's name, which history records beside what it changed.
    pub name: String,
    pub scopes: Scopes,
    /// The person it acts for, as the access rules see them: admin only when they are one
    /// and the token has the `admin` scope. A service token's is no one's account
    /// ([`UserId::NO_ONE`]), an admin when the token has `admin`.
    pub user: SessionUser,
    pub service: bool,
}

#[derive(sqlx::FromRow)]
struct Found {
    id: i64,
    name: String,
    scopes: i32,
    user_id: Option<UserId>,
    last_used_at: Option<Timestamp>,
    email: Option<String>,
    display_name: Option<String>,
    usable: bool,
    owner_admin: bool,
}

/// The caller behind `secret`, if it is a live token whose owner (for a personal token) is
/// active. Its last use is recorded, a write a minute at most.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<Caller>, AppError> {
    let now = Timestamp::now();
    let found: Option<Found> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT t.id, t.name, t.scopes, t.user_id, t.last_used_at, u.email, u.display_name, \
                    (t.user_id IS NULL OR (u.id IS NOT NULL AND u.deactivated_at IS NULL)) AS usable, \
                    EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                            WHERE ur.user_id = t.user_id AND r.name = 'admin') AS owner_admin \
             FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id \
             WHERE t.digest = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(digest(secret))
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    let Some(found) = found.filter(|f| f.usable) else { return Ok(None) };
    let stale = found.last_used_at.is_none_or(|at| (now.0 - at.0).num_seconds() >= TOUCH_AFTER_SECS);
    if stale {
        with_db!(db, |pool| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(found.id)
                .bind(now)
                .execute(pool)
                .await
                .map(drop)
        })?;
    }
    Ok(Some(caller(found)))
}

fn caller(found: Found) -> Caller {
    let scopes = Scopes(found.scopes);
    let service = found.user_id.is_none();
    let user = SessionUser {
        id: found.user_id.unwrap_or(UserId::NO_ONE),
        email: found.email.unwrap_or_default(),
        display_name: found.display_name.unwrap_or_else(|| found.name.clone()),
        is_admin: scopes.has(Scope::Admin) && (service || found.owner_admin),
        // The token is the credential: its maker gave their password to make it.
        password_recent: true,
    };
    Caller { token: found.id, name: found.name, scopes, user, service }
}
