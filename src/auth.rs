//! Accounts and sessions: register, sign in, sign out, and who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{domain::UserId, error::AppError};

/// The signed-in user as every page sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionUser {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
}

/// Who is signed in, or `None`. Public: every page asks.
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    ssr::session_user().await
}

/// Creates an account and signs it in. The first account on a fresh install becomes admin.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(email: String, display_name: String, password: String) -> Result<(), AppError> {
    use crate::{
        domain::{DisplayName, Email, Password},
        users::ssr::{create, AdminGrant},
    };
    // Public by design: anyone may create an account.
    let email = Email::parse(&email)?;
    let name = DisplayName::parse(&display_name)?;
    let password = Password::parse(&password)?;
    let state = crate::server::state()?;
    let hash = ssr::hash_password(password).await?;
    let id = create(&state.db, &email, &name, &hash, AdminGrant::IfFirst).await?;
    tracing::info!(user = %id, "account registered");
    ssr::start_session(&state, id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs in. A wrong password and an unknown email get the same answer.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::{Email, Password};
    use crate::server::limits;
    // Public by design: this is how one becomes authorized. Limited instead: past too many
    // failures for this account or this address, no password is even checked.
    let state = crate::server::state()?;
    let keys = limits::keys(&email, ssr::client_address());
    let now = chrono::Utc::now().timestamp();
    limits::check(&state.db, &keys, now).await?;
    let found = match Email::parse(&email) {
        Ok(email) => crate::users::ssr::credentials(&state.db, &email).await?,
        Err(_) => None,
    };
    let too_long = password.chars().count() > Password::MAX_CHARS;
    let user = match found {
        Some((id, hash)) if !too_long => ssr::verify_password(password, hash).await?.then_some(id),
        // Spend the same work as a real check, so timing doesn't tell which emails exist.
        _ if !too_long => {
            ssr::verify_password(password, ssr::dummy_hash().await?).await?;
            None
        }
        _ => None,
    };
    let Some(id) = user else {
        tracing::info!("sign-in refused");
        limits::record_failure(&state.db, &keys, now).await?;
        return Err(AppError::Unauthorized(ssr::BAD_CREDENTIALS.into()));
    };
    limits::clear_account(&state.db, &keys).await?;
    // A session id the browser held before signing in is worth nothing after.
    if let Some(old) = ssr::session_token() {
        ssr::end_session(&state.db, &old).await?;
    }
    ssr::start_session(&state, id).await?;
    tracing::info!(user = %id, "signed in");
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs out: the session is deleted on the server and the cookie cleared.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    // Open to all: signing out without a session is harmless and simply clears the cookie.
    let state = crate::server::state()?;
    if let Some(token) = ssr::session_token() {
        ssr::end_session(&state.db, &token).await?;
    }
    ssr::set_session_cookie(&state.settings, None);
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs the user out of every browser, this one included.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let me = ssr::require_user().await?;
    let state = crate::server::state()?;
    let ended = ssr::end_all_sessions(&state.db, me.id).await?;
    ssr::set_session_cookie(&state.settings, None);
    tracing::info!(user = %me.id, sessions = ended, "signed out everywhere");
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Changes the signed-in user's password, given the current one. Every other session ends;
/// this browser gets a fresh session id.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current: String, new_password: String) -> Result<(), AppError> {
    use crate::{domain::Password, server::limits};
    let me = ssr::require_user().await?;
    let state = crate::server::state()?;
    // Guessing the current password from a stolen session is a sign-in attempt like any other.
    let keys = limits::keys(&me.email, ssr::client_address());
    let now = chrono::Utc::now().timestamp();
    limits::check(&state.db, &keys, now).await?;
    let new_password = Password::parse(&new_password).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::invalid("new_password", message),
        other => other,
    })?;
    let hash =
        crate::users::ssr::password_hash(&state.db, me.id).await?.ok_or_else(AppError::sign_in_required)?;
    if current.chars().count() > Password::MAX_CHARS || !ssr::verify_password(current, hash).await? {
        limits::record_failure(&state.db, &keys, now).await?;
        return Err(AppError::invalid("current", "That is not your current password."));
    }
    let hash = ssr::hash_password(new_password).await?;
    let ended = crate::users::ssr::set_password(&state.db, me.id, &hash).await?;
    ssr::start_session(&state, me.id).await?;
    tracing::info!(user = %me.id, other_sessions = ended.saturating_sub(1), "password changed");
    leptos_axum::redirect("/account?changed=1");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::OnceLock;

    use argon2::{
        password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
        Argon2,
    };
    use axum::http::{header, request::Parts, HeaderValue};
    use base64::Engine;
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;
    use rand::RngCore;
    use sha2::{Digest, Sha256};

    use super::SessionUser;
    use crate::{
        domain::{Password, UserId},
        error::AppError,
        server::{config::Settings, db::Db, AppState},
        with_db,
    };

    pub const COOKIE: &str = "roster_session";
    pub const BAD_CREDENTIALS: &str = "Incorrect email or password.";
    /// How stale `last_seen_at` may get before a request refreshes it: one write a minute per
    /// session at most, instead of one per request.
    const TOUCH_AFTER_SECS: i64 = 60;

    /// Hashes with Argon2id (the crate's defaults follow OWASP), on a blocking thread so the
    /// async workers keep serving.
    pub async fn hash_password(password: Password) -> Result<String, AppError> {
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string())
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// How many password checks this process has run. A sign-in with an unknown email must
    /// cost one, like a wrong password, so timing can't tell which emails have accounts;
    /// tests/sign_in_cost.rs counts them.
    pub static PASSWORD_CHECKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
        PASSWORD_CHECKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash)?;
            Ok::<_, argon2::password_hash::Error>(
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            )
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
    }

    /// A real hash of a random password, made once, to verify against for unknown emails.
    pub async fn dummy_hash() -> Result<String, AppError> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        if let Some(hash) = DUMMY.get() {
            return Ok(hash.clone());
        }
        let random = base64::engine::general_purpose::STANDARD.encode(random_bytes());
        let hash = hash_password(Password::parse(&random)?).await?;
        Ok(DUMMY.get_or_init(|| hash).clone())
    }

    fn random_bytes() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes
    }

    /// The database key for a cookie token: its SHA-256, so stored ids can't be replayed.
    fn session_id(token: &str) -> String {
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
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == COOKIE && !c.value().is_empty())
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
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(settings.secure_cookies)
            .max_age(max_age)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.append_header(header::SET_COOKIE, value);
        }
    }

    /// Creates a session for `user` with a fresh token and sends its cookie. A new token at
    /// every sign-in means a session id planted before sign-in is worth nothing after.
    pub async fn start_session(state: &AppState, user: UserId) -> Result<(), AppError> {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes());
        create_session(&state.db, &state.settings, user, &token).await?;
        set_session_cookie(&state.settings, Some(&token));
        Ok(())
    }

    pub async fn create_session(
        db: &Db,
        settings: &Settings,
        user: UserId,
        token: &str,
    ) -> Result<(), AppError> {
        let now = now();
        with_db!(db, pool => {
            // Sweep expired sessions while here; the expires_at index makes this cheap.
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(session_id(token))
            .bind(user)
            .bind(now)
            .bind(now + settings.session_absolute_secs())
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(())
    }

    /// Ends every session of `user`; returns how many there were.
    pub async fn end_all_sessions(db: &Db, user: UserId) -> Result<u64, AppError> {
        Ok(with_db!(db, pool => {
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
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let state = crate::server::state().ok();
        let trusted = state.as_ref().map_or(&[][..], |s| &s.settings.trusted_proxies[..]);
        crate::server::security::client_address(peer, &parts.headers, trusted)
    }

    pub async fn end_session(db: &Db, token: &str) -> Result<(), AppError> {
        with_db!(db, pool => {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(session_id(token))
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(())
    }

    #[derive(sqlx::FromRow)]
    struct SessionRow {
        #[sqlx(flatten)]
        user: SessionUser,
        last_seen_at: i64,
    }

    /// The user behind `token`, if the session exists and has neither idled out nor expired.
    pub async fn lookup(db: &Db, settings: &Settings, token: &str) -> Result<Option<SessionUser>, AppError> {
        let now = now();
        let id = session_id(token);
        let row: Option<SessionRow> = with_db!(db, pool => {
            sqlx::query_as(
                "SELECT u.id, u.email, u.display_name, s.last_seen_at, \
                        EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                                WHERE ur.user_id = u.id AND r.name = 'admin') AS is_admin \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .bind(&id)
            .bind(now)
            .bind(now - settings.session_idle_secs())
            .fetch_optional(pool)
            .await
        })?;
        let Some(row) = row else { return Ok(None) };
        if now - row.last_seen_at >= TOUCH_AFTER_SECS {
            with_db!(db, pool => {
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

    /// The signed-in user of the current request, or `None`.
    pub async fn session_user() -> Result<Option<SessionUser>, AppError> {
        let find = || async {
            let Some(token) = session_token() else { return Ok(None) };
            let state = crate::server::state()?;
            lookup(&state.db, &state.settings, &token).await
        };
        match use_context::<RequestSession>() {
            Some(cache) => cache.0.get_or_try_init(find).await.cloned(),
            None => find().await,
        }
    }

    /// The signed-in user, or a 401 asking them to sign in.
    pub async fn require_user() -> Result<SessionUser, AppError> {
        session_user().await?.ok_or_else(AppError::sign_in_required)
    }

    /// The signed-in user if they are an admin; 401 for no one, 403 for anyone else.
    pub async fn require_admin() -> Result<SessionUser, AppError> {
        let user = require_user().await?;
        if user.is_admin {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }
}
