//! Accounts: register, sign in, sign out, passwords, and the signed-in user as pages see it.
//! Who a request's session belongs to is `access::session`'s; what they may do, `access`'s.

use leptos::prelude::*;

use crate::{domain::SessionUser, error::AppError};

/// The signed-in user, shared by the header and the pages.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl Session {
    /// Created inside the `<Router>`: a form post without JavaScript comes back with its
    /// error in the URL, and providing that error before the forms' islands exist lands it
    /// in the form it belongs to. (`<Routes>` does the same, but only for the pages below
    /// it, and the header has a form too.)
    pub fn load() -> Self {
        leptos_router::hooks::use_url().read_untracked().provide_server_action_error();
        // Blocking: the page waits for it, so the header is right in the server's HTML.
        Session { user: Resource::new_blocking(|| (), |_| current_user()) }
    }
}

/// Who is signed in, or `None`. Public: every page asks.
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    crate::access::session::session_user().await
}

/// Creates an account and signs it in. It is never an admin: the first admin comes from the
/// setup link ([`setup_admin`]) or `roster user create --admin`.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(email: String, display_name: String, password: String) -> Result<(), AppError> {
    use crate::server::limits::{self, Limited};
    use crate::{access::session, users::ssr::AdminGrant};
    use crate::{confirmation::ssr as confirmation, server::config::Confirmation};
    // Public by design: anyone may register, as the registration setting allows, a limited
    // number from each address.
    let account = ssr::NewAccount::parse(&email, &display_name, &password)?;
    let state = crate::server::state::current()?;
    confirmation::check_policy(&state.settings, &account.email)?;
    let address = session::client_address();
    let keys = limits::registration_keys(address, state.settings.signups_per_address);
    limits::claim(&state.db, Limited::Registration, &keys, chrono::Utc::now().timestamp()).await?;
    match state.settings.email_confirmation {
        Confirmation::Required => {
            // The same work and the same answer whether or not the address has an account:
            // the password is hashed either way, and the rest happens after the answer.
            let (email, name, hash) = account.hashed().await?;
            tokio::spawn(async move {
                if let Err(err) = confirmation::register_pending(&state, &email, &name, &hash, address).await
                {
                    tracing::error!(%err, "a registration could not be kept");
                }
            });
            leptos_axum::redirect("/register?sent=1");
        }
        mode => {
            let id = account.open(&state, AdminGrant::Never).await?;
            if mode == Confirmation::Optional {
                confirmation::ask_to_confirm(&state.db, &state.mail, id).await?;
            }
            tracing::info!(user = %id, "account registered");
            leptos_axum::redirect("/");
        }
    }
    Ok(())
}

/// Creates the first administrator from the one-time link the server offers at start while
/// there is none, and signs them in. The link works once.
#[server(prefix = "/api", endpoint = "setup_admin")]
pub async fn setup_admin(
    token: String,
    email: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::{access::session, users::ssr::AdminGrant};
    // Public by design: the link's token is the authorization, checked as the account is made.
    let account = ssr::NewAccount::parse(&email, &display_name, &password)?;
    let state = crate::server::state::current()?;
    let id = account.open(&state, AdminGrant::SetupToken(session::digest(token.trim()))).await?;
    tracing::info!(user = %id, "first administrator created from the setup link");
    leptos_axum::redirect("/");
    Ok(())
}

/// Where a sign-in may send the browser afterwards: a path on this site, never another site
/// (`//host`, `/\host`), so a link can't make the sign-in page an open redirect.
pub fn local_path(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    local.then_some(next)
}

/// Signs in, then goes to `next` (a path on this site) or home. A wrong password and an
/// unknown email get the same answer.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::access::session;
    use crate::server::limits::{self, Guesser, Limited};
    // Public by design: this is how one becomes authorized. Limited instead: past too many
    // failures for this account (or, from a browser that has signed in to it before, for
    // that browser) or for this address, no password is even checked.
    let state = crate::server::state::current()?;
    let found = ssr::credentials(&state.db, &email).await?;
    let device = session::trusted_device(&state.db).await?;
    let device = device.filter(|(_, user)| found.as_ref().is_some_and(|(id, _)| id == user)).map(|(d, _)| d);
    let guesser = match &device {
        Some(device) => Guesser::TrustedDevice { device },
        None => Guesser::Anyone { email: &email },
    };
    let keys = limits::sign_in_keys(guesser, session::client_address());
    let now = chrono::Utc::now().timestamp();
    let claim = limits::claim(&state.db, Limited::SignIn, &keys, now).await?;
    let waiting = crate::confirmation::ssr::pending_hash(&state.db, &email).await?;
    let known = found.as_ref().map(|(id, _)| *id);
    match ssr::check_password(found, waiting, password).await? {
        ssr::Checked::Account(id) => {
            limits::forgive(&state.db, claim, keys.first()).await?;
            // The right password: its owner may know the account is deactivated.
            if crate::lifecycle::ssr::is_deactivated(&state.db, id).await? {
                return Err(AppError::Unauthorized(crate::lifecycle::DEACTIVATED.into()));
            }
            ssr::begin_session(&state, id, device.is_none()).await?;
            leptos_axum::redirect(next.as_deref().and_then(local_path).unwrap_or("/"));
        }
        ssr::Checked::Waiting => {
            // The password of a registration still waiting for its address to be confirmed:
            // its owner, told to confirm it first. No account, no session.
            limits::forgive(&state.db, claim, keys.first()).await?;
            leptos_axum::redirect("/confirm?pending=1");
        }
        ssr::Checked::Refused => {
            tracing::info!("sign-in refused");
            ssr::log_failed_sign_in(&state.db, known);
            return Err(AppError::Unauthorized(ssr::BAD_CREDENTIALS.into()));
        }
    }
    Ok(())
}

/// Signs out: the session is deleted on the server and the cookie cleared.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::access::session;
    // Open to all: signing out without a session is harmless and simply clears the cookie.
    let state = crate::server::state::current()?;
    if let Some(token) = session::session_token() {
        session::end_session(&state.db, &token).await?;
    }
    session::set_session_cookie(&state.settings, None);
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs the user out of every browser, this one included.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::access::session;
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let ended = session::end_all_sessions(&state.db, me.id).await?;
    let event = crate::security_log::EventKind::SignedOutEverywhere;
    crate::security_log::ssr::record(&state.db, me.id, event, session::client_address(), None).await?;
    session::set_session_cookie(&state.settings, None);
    tracing::info!(user = %me.id, sessions = ended, "signed out everywhere");
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Changes the signed-in user's password, given the current one. Every other session ends;
/// this browser gets a fresh session id.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current: String, new_password: String) -> Result<(), AppError> {
    use crate::access::session;
    use crate::domain::Password;
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let new_password = Password::parse(&new_password).map_err(|e| match e {
        AppError::Invalid { message, .. } => AppError::invalid("new_password", message),
        other => other,
    })?;
    ssr::recheck_password(&state, &me, current, ("current", "That is not your current password.")).await?;
    let hash = ssr::hash_password(new_password).await?;
    let ended = crate::users::ssr::set_password(&state.db, me.id, &hash, session::client_address()).await?;
    session::start_session(&state, me.id).await?;
    tracing::info!(user = %me.id, other_sessions = ended.saturating_sub(1), "password changed");
    leptos_axum::redirect("/account?changed=1");
    Ok(())
}

/// One of the signed-in person's sessions: where they are signed in.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActiveSession {
    /// The handle to end it by.
    pub id: String,
    /// Such as "Firefox 128 on Linux".
    pub browser: String,
    pub address: Option<String>,
    pub started: crate::domain::Timestamp,
    pub last_seen: crate::domain::Timestamp,
    /// Whether it is this browser's.
    pub current: bool,
}

/// Where the signed-in person is signed in: their live sessions, the most recently used first.
#[server(prefix = "/api", endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<Vec<ActiveSession>, AppError> {
    use crate::access::session;
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let current = session::session_token().map(|token| session::digest(&token));
    let rows = session::sessions_of(&state.db, &state.settings, me.id).await?;
    Ok(rows.into_iter().map(|row| ssr::describe_session(row, current.as_deref())).collect())
}

/// Ends one of the signed-in person's sessions (this browser's included: that signs out).
#[server(prefix = "/api", endpoint = "sessions/end")]
pub async fn end_session(session: String) -> Result<(), AppError> {
    use crate::{access::session, security_log::EventKind};
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    // Someone else's session, or one that has ended, is not found alike.
    if !session::end_session_of(&state.db, me.id, &session).await? {
        return Err(AppError::NotFound);
    }
    let address = session::client_address();
    crate::security_log::ssr::record(&state.db, me.id, EventKind::SessionEnded, address, None).await?;
    let this_one = session::session_token().is_some_and(|token| session::digest(&token) == session);
    if this_one {
        session::set_session_cookie(&state.settings, None);
        leptos_axum::redirect("/signin");
    } else {
        leptos_axum::redirect("/account?ended=1");
    }
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::OnceLock;

    use argon2::{
        password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
        Argon2,
    };
    use base64::Engine;

    use crate::{
        access::session::random_bytes,
        domain::{DisplayName, Email, Password, UserId},
        error::AppError,
        server::db::Db,
    };

    pub const BAD_CREDENTIALS: &str = "Incorrect email or password.";

    /// A session row as its owner sees it; `current` is this browser's session id.
    pub fn describe_session(
        row: crate::access::session::SessionRow,
        current: Option<&str>,
    ) -> super::ActiveSession {
        let moment = |secs: i64| {
            crate::domain::Timestamp(chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default())
        };
        super::ActiveSession {
            browser: browser_name(row.user_agent.as_deref()),
            address: row.address,
            started: moment(row.created_at),
            last_seen: moment(row.last_seen_at),
            current: current == Some(row.id.as_str()),
            id: row.id,
        }
    }

    /// "Firefox 128 on Linux", from a User-Agent; "An unknown browser" when it says nothing.
    pub fn browser_name(user_agent: Option<&str>) -> String {
        let parsed = user_agent.and_then(|agent| woothee::parser::Parser::new().parse(agent));
        let Some(found) = parsed.filter(|found| found.name != woothee::woothee::VALUE_UNKNOWN) else {
            return "An unknown browser".into();
        };
        let major = found
            .version
            .split('.')
            .next()
            .filter(|v| !v.is_empty() && *v != woothee::woothee::VALUE_UNKNOWN);
        let name = match major {
            Some(version) => format!("{} {version}", found.name),
            None => found.name.to_owned(),
        };
        if found.os == woothee::woothee::VALUE_UNKNOWN {
            name
        } else {
            format!("{name} on {}", found.os)
        }
    }

    /// A new account's fields, each checked.
    pub struct NewAccount {
        pub email: Email,
        name: DisplayName,
        password: Password,
    }

    impl NewAccount {
        pub fn parse(email: &str, name: &str, password: &str) -> Result<Self, AppError> {
            Ok(NewAccount {
                email: Email::parse(email)?,
                name: DisplayName::parse(name)?,
                password: Password::parse(password)?,
            })
        }

        /// The fields, with the password hashed.
        pub async fn hashed(self) -> Result<(Email, DisplayName, String), AppError> {
            let hash = hash_password(self.password).await?;
            Ok((self.email, self.name, hash))
        }

        /// Creates the account with its password hashed, and signs this browser in to it, a
        /// browser trusted from now on (`access::session::trust_device`).
        pub async fn open(
            self,
            state: &crate::server::state::AppState,
            grant: crate::users::ssr::AdminGrant,
        ) -> Result<UserId, AppError> {
            use crate::access::session;
            let hash = hash_password(self.password).await?;
            let id = crate::users::ssr::create(&state.db, &self.email, &self.name, &hash, grant).await?;
            session::start_session(state, id).await?;
            record_sign_in(&state.db, id, session::client_address()).await?;
            session::trust_device(state, id).await?;
            Ok(id)
        }
    }

    /// Checks `password` is `me`'s own, before a change that needs it; a wrong one is refused
    /// on `field` with `wrong`, and a right one counts as recently given
    /// ([`crate::reauth`]). Guessing it from a stolen session is a sign-in attempt like
    /// any other, counted against the same limits.
    pub async fn recheck_password(
        state: &crate::server::state::AppState,
        me: &crate::domain::SessionUser,
        password: String,
        (field, wrong): (&str, &str),
    ) -> Result<(), AppError> {
        use crate::{access::session, server::limits};
        let keys =
            limits::sign_in_keys(limits::Guesser::Anyone { email: &me.email }, session::client_address());
        let now = chrono::Utc::now().timestamp();
        let claim = limits::claim(&state.db, limits::Limited::SignIn, &keys, now).await?;
        let hash = crate::users::ssr::password_hash(&state.db, me.id)
            .await?
            .ok_or_else(AppError::sign_in_required)?;
        if password.chars().count() > Password::MAX_CHARS || !verify_password(password, hash).await? {
            return Err(AppError::invalid(field, wrong));
        }
        if let Some(token) = session::session_token() {
            session::password_given(&state.db, &token).await?;
        }
        limits::forgive(&state.db, claim, None).await
    }

    /// Counts a sign-in to `user` from `address`: the one before becomes the last, this one
    /// the current, and the security log says so, in one transaction.
    pub async fn record_sign_in(
        db: &Db,
        user: UserId,
        address: Option<std::net::IpAddr>,
    ) -> Result<(), AppError> {
        use crate::{domain::Timestamp, security_log::ssr::SecurityLog, server::db::Pool, with_db};
        let now = Timestamp::now();
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE users SET last_sign_in_at = current_sign_in_at, \
                 last_sign_in_address = current_sign_in_address, current_sign_in_at = $2, \
                 current_sign_in_address = $3, sign_in_count = sign_in_count + 1 WHERE id = $1",
            )
            .bind(user)
            .bind(now)
            .bind(address.map(|a| a.to_string()))
            .execute(&mut *tx)
            .await?;
            tx.log_event(user, crate::security_log::EventKind::SignedIn, address, None).await?;
            tx.commit().await
        })?;
        Ok(())
    }
    /// How long the setup link works.
    const SETUP_LINK_HOURS: i64 = 24;

    /// While no one holds `admin`, a new one-time link to make the first administrator
    /// (earlier links stop working); `None` once there is an admin. `serve` prints it at start.
    pub async fn offer_setup_link(db: &Db, base: &str) -> Result<Option<String>, AppError> {
        use crate::{access::session, server::db::Pool, with_db};
        let token = session::random_token();
        let now = chrono::Utc::now().timestamp();
        let offered = with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let admin: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                 WHERE r.name = 'admin')",
            )
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
            if !admin {
                sqlx::query("INSERT INTO setup_tokens (id, expires_at) VALUES ($1, $2)")
                    .bind(session::digest(&token))
                    .bind(now + SETUP_LINK_HOURS * 3600)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|_| !admin)
        })?;
        Ok(offered.then(|| crate::server::mail::Landing::Setup.link(base, &token)))
    }

    /// Hashes with Argon2id (the crate's defaults follow OWASP), on a blocking thread so the
    /// async workers keep serving, and no more at once than [`hashing`] allows.
    pub async fn hash_password(password: Password) -> Result<String, AppError> {
        hashing::run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string())
        })
        .await?
        .map_err(AppError::internal)
    }

    /// The id and password hash of the account `email` names, if it is an email and an
    /// account has it.
    pub async fn credentials(db: &Db, email: &str) -> Result<Option<(UserId, String)>, AppError> {
        match Email::parse(email) {
            Ok(email) => crate::users::ssr::credentials(db, &email).await,
            Err(_) => Ok(None),
        }
    }

    /// What a sign-in's password turned out to be.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Checked {
        /// The account's.
        Account(UserId),
        /// No account's, but that of a registration still waiting for its address.
        Waiting,
        Refused,
    }

    /// Checks `password` against the account whose credentials were `found`, else against
    /// the `waiting` registration's hash. With neither, a dummy hash is checked instead: one
    /// password check each way, so timing doesn't tell which emails exist.
    pub async fn check_password(
        found: Option<(UserId, String)>,
        waiting: Option<String>,
        password: String,
    ) -> Result<Checked, AppError> {
        if password.chars().count() > Password::MAX_CHARS {
            return Ok(Checked::Refused);
        }
        let refused_unless = |ok: bool, checked: Checked| if ok { checked } else { Checked::Refused };
        Ok(match (found, waiting) {
            (Some((id, hash)), _) => {
                refused_unless(verify_password(password, hash).await?, Checked::Account(id))
            }
            (None, Some(hash)) => refused_unless(verify_password(password, hash).await?, Checked::Waiting),
            (None, None) => {
                verify_password(password, dummy_hash().await?).await?;
                Checked::Refused
            }
        })
    }

    /// Signs this browser in to `id` after its password passed: a new session (one the
    /// browser held before is worth nothing after), the sign-in counted and logged, and the
    /// browser trusted from now on when `trust`.
    pub async fn begin_session(
        state: &crate::server::state::AppState,
        id: UserId,
        trust: bool,
    ) -> Result<(), AppError> {
        use crate::access::session;
        if let Some(old) = session::session_token() {
            session::end_session(&state.db, &old).await?;
        }
        session::start_session(state, id).await?;
        record_sign_in(&state.db, id, session::client_address()).await?;
        if trust {
            session::trust_device(state, id).await?;
        }
        tracing::info!(user = %id, "signed in");
        Ok(())
    }

    /// Logs a failed sign-in to `user` (when the email was an account's) after the answer, so
    /// that its cost doesn't tell which emails have accounts.
    pub fn log_failed_sign_in(db: &Db, user: Option<UserId>) {
        let Some(user) = user else { return };
        let (db, address) = (db.clone(), crate::access::session::client_address());
        tokio::spawn(async move {
            use crate::security_log::{ssr::record, EventKind};
            if let Err(err) = record(&db, user, EventKind::SignInFailed, address, None).await {
                tracing::warn!(%err, "a failed sign-in could not be logged");
            }
        });
    }

    /// How many password checks this process has run. A sign-in with an unknown email must
    /// cost one, like a wrong password, so timing can't tell which emails have accounts;
    /// tests/sign_in_cost.rs counts them.
    pub static PASSWORD_CHECKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
        PASSWORD_CHECKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        hashing::run(move || {
            let parsed = PasswordHash::new(&hash)?;
            Ok::<_, argon2::password_hash::Error>(
                Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            )
        })
        .await?
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

    /// Argon2 work, bounded: each hash takes about 19 MiB and a core for a moment, so at most
    /// one per core runs at once, a few more per core wait their turn, and past those the
    /// caller is told to come back (503 with Retry-After): a thousand sign-ups at once can't
    /// exhaust memory or starve the server.
    pub mod hashing {
        use std::sync::{
            atomic::{AtomicUsize, Ordering},
            LazyLock,
        };

        use tokio::sync::Semaphore;

        use crate::error::AppError;

        /// How many may wait for a turn, per running one.
        const WAITING_PER_SLOT: usize = 8;

        struct Gate {
            slots: Semaphore,
            size: usize,
            waiting: AtomicUsize,
            busy: AtomicUsize,
            peak: AtomicUsize,
        }

        static GATE: LazyLock<Gate> = LazyLock::new(|| {
            let size = std::thread::available_parallelism().map_or(2, |n| n.get());
            Gate {
                slots: Semaphore::new(size),
                size,
                waiting: AtomicUsize::new(0),
                busy: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            }
        });

        /// How many hashes may run at once, and the most that have so far (for tests).
        pub fn slots_and_peak() -> (usize, usize) {
            (GATE.size, GATE.peak.load(Ordering::Relaxed))
        }

        /// How many wait for a slot now (for tests).
        pub fn waiting() -> usize {
            GATE.waiting.load(Ordering::Acquire)
        }

        /// Counts one in `counter` until dropped: a request given up while it waits or
        /// hashes (its client gone, its deadline passed) still leaves the counts right.
        struct Counted(&'static AtomicUsize);

        impl Counted {
            fn new(counter: &'static AtomicUsize) -> (Self, usize) {
                (Counted(counter), counter.fetch_add(1, Ordering::AcqRel) + 1)
            }
        }

        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }

        /// Runs `work` on a blocking thread once a slot is free; 503 when too many wait. The
        /// slot goes with the work, so a hash whose request was given up still holds it until
        /// it is done.
        pub async fn run<T: Send + 'static>(
            work: impl FnOnce() -> T + Send + 'static,
        ) -> Result<T, AppError> {
            let gate: &'static Gate = &GATE;
            let (waiting, queued) = Counted::new(&gate.waiting);
            if queued > gate.size * WAITING_PER_SLOT {
                tracing::warn!("password hashing is saturated; a request was turned away");
                return Err(AppError::Busy { retry_after: 5 });
            }
            let slot = gate.slots.acquire().await.map_err(AppError::internal)?;
            drop(waiting);
            tokio::task::spawn_blocking(move || {
                let (busy, running) = Counted::new(&gate.busy);
                gate.peak.fetch_max(running, Ordering::AcqRel);
                let done = work();
                drop(busy);
                drop(slot);
                done
            })
            .await
            .map_err(AppError::internal)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::browser_name;

        #[test]
        fn a_session_names_its_browser_and_system() {
            let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/120.0.6099.71 Safari/537.36";
            assert_eq!(browser_name(Some(chrome)), "Chrome 120 on Linux");
            let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
            assert_eq!(browser_name(Some(firefox)), "Firefox 128 on Windows 10");
            assert_eq!(browser_name(None), "An unknown browser");
            assert_eq!(browser_name(Some("curl-ish thing")), "An unknown browser");
        }
    }
}
