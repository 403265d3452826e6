//! Who is signed in: the session cookie, the session rows behind it, and the signed-in user
//! of the current request (looked up once per request).

use axum::http::{header, request::Parts, HeaderValue};
use base64::Engine;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    domain::{SessionUser, UserId},
    error::AppError,
    server::{
        config::Settings,
        db::{Db, Pool},
        state::AppState,
    },
    with_db,
};

pub const COOKIE: &str = "roster_session";
/// The cookie that marks a browser as one that has signed in to an account before.
pub const DEVICE_COOKIE: &str = "roster_device";
/// How long a browser stays trusted after the sign-in that marked it.
const DEVICE_DAYS: i64 = 365;
/// How stale `last_seen_at` may get before a request refreshes it: one write a minute per
/// session at most, instead of one per request.
const TOUCH_AFTER_SECS: i64 = 60;

/// 32 bytes from the operating system's generator: session tokens and other secrets.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A fresh random token, URL-safe: for cookies and one-off ids.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes())
}

/// What the database keeps of a secret token (a session's, a device's, a link's): its SHA-256,
/// so stored ids can't be replayed.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The session token from this request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    token_from_headers(&parts.headers)
}

pub fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_from_headers(headers, COOKIE)
}

pub fn cookie_from_headers(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Sets the session cookie on the response, or clears it with `None`.
pub fn set_session_cookie(settings: &Settings, token: Option<&str>) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let max_age = match token {
        Some(_) => cookie::time::Duration::seconds(settings.session_absolute_secs()),
        None => cookie::time::Duration::ZERO,
    };
    let cookie = cookie::Cookie::build((COOKIE, token.unwrap_or_default().to_owned()))
        .same_site(cookie::SameSite::Lax)
        .max_age(max_age);
    send_cookie(&response, settings, cookie);
}

/// Adds `cookie` to the response, for the whole site, out of scripts' reach, and `Secure`
/// when configured.
fn send_cookie(response: &ResponseOptions, settings: &Settings, cookie: cookie::CookieBuilder<'static>) {
    let cookie = cookie.path("/").http_only(true).secure(settings.secure_cookies).build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// Creates a session for `user` with a fresh token and sends its cookie. A new token at
/// every sign-in means a session id planted before sign-in is worth nothing after.
pub async fn start_session(state: &AppState, user: UserId) -> Result<(), AppError> {
    let token = random_token();
    let browser = Browser { user_agent: user_agent(), address: client_address() };
    create_session(&state.db, &state.settings, user, &token, &browser).await?;
    set_session_cookie(&state.settings, Some(&token));
    Ok(())
}

/// What a session records of the browser that started it, for its owner to tell sessions
/// apart.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    pub user_agent: Option<String>,
    pub address: Option<std::net::IpAddr>,
}

/// This request's `User-Agent`, cut to what the database keeps.
fn user_agent() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let agent = parts.headers.get(header::USER_AGENT)?.to_str().ok()?;
    Some(agent.chars().filter(|c| !c.is_control()).take(300).collect())
}

pub async fn create_session(
    db: &Db,
    settings: &Settings,
    user: UserId,
    token: &str,
    browser: &Browser,
) -> Result<(), AppError> {
    let now = now();
    with_db!(db, |pool| {
        // Sweep expired sessions while here; the expires_at index makes this cheap.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, user_agent, address, \
             password_at) VALUES ($1, $2, $3, $3, $4, $5, $6, $3)",
        )
        .bind(digest(token))
        .bind(user)
        .bind(now)
        .bind(now + settings.session_absolute_secs())
        .bind(&browser.user_agent)
        .bind(browser.address.map(|a| a.to_string()))
        .execute(pool)
        .await
        .map(drop)
    })?;
    Ok(())
}

/// Ends every session of `user`; returns how many there were.
pub async fn end_all_sessions(db: &Db, user: UserId) -> Result<u64, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?)
}

/// The client's address, when the server knows it (`roster serve` records the TCP peer;
/// behind a trusted proxy, `X-Forwarded-For` says who the client is).
pub fn client_address() -> Option<std::net::IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer =
        parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let state = crate::server::state::current().ok();
    let trusted = state.as_ref().map_or(&[][..], |s| &s.settings.trusted_proxies[..]);
    crate::server::security::client_address(peer, &parts.headers, trusted)
}

/// Marks the session behind `token` as having just been given its password.
pub async fn password_given(db: &Db, token: &str) -> Result<(), AppError> {
    with_db!(db, |pool| {
        sqlx::query("UPDATE sessions SET password_at = $2 WHERE id = $1")
            .bind(digest(token))
            .bind(now())
            .execute(pool)
            .await
            .map(drop)
    })?;
    Ok(())
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), AppError> {
    with_db!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(digest(token)).execute(pool).await.map(drop)
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Signed {
    #[sqlx(flatten)]
    user: SessionUser,
    last_seen_at: i64,
}

/// The user behind `token`, if the session exists and has neither idled out nor expired.
pub async fn lookup(db: &Db, settings: &Settings, token: &str) -> Result<Option<SessionUser>, AppError> {
    let now = now();
    let id = digest(token);
    let row: Option<Signed> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.email, u.display_name, s.last_seen_at, \
                    COALESCE(s.password_at, 0) > $4 AS password_recent, \
                    EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                            WHERE ur.user_id = u.id AND r.name = 'admin') AS is_admin \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.deactivated_at IS NULL",
        )
        .bind(&id)
        .bind(now)
        .bind(now - settings.session_idle_secs())
        .bind(now - i64::from(settings.recent_password_minutes) * 60)
        .fetch_optional(pool)
        .await
    })?;
    let Some(row) = row else { return Ok(None) };
    if now - row.last_seen_at >= TOUCH_AFTER_SECS {
        with_db!(db, |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND expires_at >= $2")
                .bind(&id)
                .bind(now)
                .execute(pool)
                .await
                .map(drop)
        })?;
    }
    Ok(Some(row.user))
}

/// The signed-in user of the current request, looked up once per request: a page whose
/// layout and resources each ask still costs one query.
#[derive(Clone, Default)]
pub struct RequestSession(std::sync::Arc<tokio::sync::OnceCell<Option<SessionUser>>>);

impl RequestSession {
    /// A request whose caller is known already, with no cookie to look up: an access
    /// token's (`crate::api`).
    pub fn known(user: SessionUser) -> Self {
        RequestSession(std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(Some(user)))))
    }
}

/// The signed-in user of the current request, or `None`.
pub async fn session_user() -> Result<Option<SessionUser>, AppError> {
    let find = || async {
        let Some(token) = session_token() else { return Ok(None) };
        let state = crate::server::state::current()?;
        lookup(&state.db, &state.settings, &token).await
    };
    match use_context::<RequestSession>() {
        Some(cache) => cache.0.get_or_try_init(find).await.cloned(),
        None => find().await,
    }
}

/// This browser's device id and the account it has signed in to, if it has and its trust has
/// not expired: a sign-in to that account counts its failures against the browser
/// (`server::limits`). Looked up whatever the email typed, so its cost tells nothing.
pub async fn trusted_device(db: &Db) -> Result<Option<(String, UserId)>, AppError> {
    let Some(token) = use_context::<Parts>().and_then(|p| cookie_from_headers(&p.headers, DEVICE_COOKIE))
    else {
        return Ok(None);
    };
    let id = digest(&token);
    let user: Option<UserId> = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT user_id FROM trusted_devices WHERE id = $1 AND expires_at > $2")
            .bind(&id)
            .bind(now())
            .fetch_optional(pool)
            .await
    })?;
    Ok(user.map(|user| (id, user)))
}

/// Marks this browser as one that has signed in to `user`: a new device token, remembered for
/// [`DEVICE_DAYS`], in a cookie of its own. A browser trusted for another account before
/// now trusts this one.
pub async fn trust_device(state: &AppState, user: UserId) -> Result<(), AppError> {
    let token = random_token();
    let now = now();
    let expires = now + DEVICE_DAYS * 86_400;
    with_db!(&state.db, |pool| {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM trusted_devices WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO trusted_devices (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest(&token))
        .bind(user)
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })?;
    if let Some(response) = use_context::<ResponseOptions>() {
        let cookie = cookie::Cookie::build((DEVICE_COOKIE, token))
            .same_site(cookie::SameSite::Strict)
            .max_age(cookie::time::Duration::days(DEVICE_DAYS));
        send_cookie(&response, &state.settings, cookie);
    }
    Ok(())
}

/// One of a person's sessions, as their account page lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    /// The session's id (the SHA-256 of its token): a handle to end it by, worth nothing as a
    /// cookie.
    pub id: String,
    pub user_agent: Option<String>,
    pub address: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// `user`'s sessions that are still alive, the most recently used first.
pub async fn sessions_of(db: &Db, settings: &Settings, user: UserId) -> Result<Vec<SessionRow>, AppError> {
    let now = now();
    Ok(with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, user_agent, address, created_at, last_seen_at FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
             ORDER BY last_seen_at DESC, created_at DESC LIMIT 100",
        )
        .bind(user)
        .bind(now)
        .bind(now - settings.session_idle_secs())
        .fetch_all(pool)
        .await
    })?)
}

/// Ends `user`'s session with the id `id`; whether there was one.
pub async fn end_session_of(db: &Db, user: UserId, id: &str) -> Result<bool, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() > 0)
    })?)
}
