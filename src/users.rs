//! Users: the account record, the user page, the admins' directory, and the queries that
//! create and find accounts.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{RoleId, Timestamp, UserId},
    error::AppError,
    paging::Page,
};

/// A row of the users directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserRow {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    pub created_at: Timestamp,
    /// The lower-cased name the directory sorts by.
    pub name_key: String,
}

/// A person the member picker offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Suggestion {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    /// Their access to the profile, if they are on it already.
    pub access: Option<String>,
    /// Whether an admin deactivated their account: they can be added, and have the access
    /// once reactivated.
    pub deactivated: bool,
}

/// How many people the member picker suggests at most.
pub const SUGGESTIONS: i64 = 10;

/// A role as a user's page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct HeldRole {
    pub id: RoleId,
    pub name: String,
    pub assigned_at: Timestamp,
}

/// A user's page: who they are and which roles they hold. Their profiles come in pages from
/// `profiles::list_user_profiles`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserRow,
    pub roles: Vec<HeldRole>,
    /// When an admin deactivated the account, if one did.
    pub deactivated_at: Option<Timestamp>,
}

/// One's own page, or anyone's for an admin. Everyone else gets "not found".
#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: UserId) -> Result<UserDetail, AppError> {
    crate::access::require_self_or_admin(id).await?;
    let state = crate::server::state::current()?;
    ssr::detail(&state.db, id).await
}

/// All users, for admins: those whose name or email starts with `q`, by name or by the date
/// they joined.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<Page<UserRow>, AppError> {
    crate::access::require_admin().await?;
    let q = crate::paging::search_text(q.as_deref())?;
    let sort = crate::paging::Sort::parse(sort.as_deref())?;
    let state = crate::server::state::current()?;
    ssr::directory(&state.db, q.as_deref(), sort, after.as_deref()).await
}

/// Up to ten accounts whose name or email starts with `q`, for the member picker, with
/// whether each is on `profile` already. Managers of the profile only; never a whole list,
/// and only people the manager may find (`access::findable`).
#[server(prefix = "/api", endpoint = "users/suggest")]
pub async fn suggest_users(
    profile: crate::domain::ProfileId,
    q: String,
) -> Result<Vec<Suggestion>, AppError> {
    let (me, _) = crate::access::require_manage(profile).await?;
    let Some(q) = crate::paging::search_text(Some(&q))? else { return Ok(Vec::new()) };
    let state = crate::server::state::current()?;
    ssr::suggest(&state.db, crate::access::findable(&me)?, profile, &q).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{HeldRole, Suggestion, UserDetail, UserRow, SUGGESTIONS};
    use crate::{
        access::Findable,
        domain::{DisplayName, Email, ProfileId, RoleId, Timestamp, UserId},
        error::AppError,
        history::{ssr::Change, Action},
        paging::{Page, Sort},
        record_history,
        server::{
            db::{is_unique_violation, Db, Pool},
            lists::{
                people::{Listed, People, Rows, Scope},
                words::SearchWords,
            },
        },
        with_db,
    };

    /// Whether a new account gets the `admin` role.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum AdminGrant {
        /// The operator's `roster user create --admin`.
        Always,
        /// The one-time setup link the server offers while there is no admin: the digest of
        /// its token, which the same transaction uses up (`auth::ssr::offer_setup_link`).
        SetupToken(String),
        Never,
    }

    pub const EMAIL_TAKEN: &str = "An account with this email already exists.";
    pub const SETUP_LINK_SPENT: &str = "This setup link is not valid: it has been used, has expired or was \
        mistyped. Restart the server for a new one, or run `roster user create --admin`.";

    /// Creates an account. A taken email is a [`AppError::Conflict`], detected by the unique
    /// index, not by a check beforehand that could race.
    pub async fn create(
        db: &Db,
        email: &Email,
        name: &DisplayName,
        password_hash: &str,
        admin: AdminGrant,
    ) -> Result<UserId, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let id = tx.insert_account(email, name, password_hash, admin).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Making an account inside a caller's transaction, as [`create`] and joining by
    /// invitation do.
    pub trait NewAccounts {
        /// The new account's id; a taken email is a [`AppError::Conflict`].
        fn insert_account(
            &mut self,
            email: &Email,
            name: &DisplayName,
            password_hash: &str,
            admin: AdminGrant,
        ) -> impl std::future::Future<Output = Result<UserId, AppError>> + Send;
    }

    crate::impl_for_connections! {
        impl NewAccounts {
            async fn insert_account(
                &mut self,
                email: &Email,
                name: &DisplayName,
                password_hash: &str,
                admin: AdminGrant,
            ) -> Result<UserId, AppError> {
                let grant_admin = match admin {
                    AdminGrant::Always => true,
                    AdminGrant::Never => false,
                    AdminGrant::SetupToken(digest) => {
                        // Used up here, in the transaction that makes the admin: of two uses at
                        // once, one deletes the row and the other finds none.
                        let spent: Option<String> = sqlx::query_scalar(
                            "DELETE FROM setup_tokens WHERE id = $1 AND expires_at > $2 RETURNING id",
                        )
                        .bind(&digest)
                        .bind(chrono::Utc::now().timestamp())
                        .fetch_optional(&mut *self)
                        .await?;
                        if spent.is_none() {
                            return Err(AppError::Conflict(SETUP_LINK_SPENT.into()));
                        }
                        true
                    }
                };
                let inserted = sqlx::query_scalar(
                    "INSERT INTO users (email, display_name, name_key, password_hash) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(email.as_str())
                .bind(name.as_str())
                .bind(name.key())
                .bind(password_hash)
                .fetch_one(&mut *self)
                .await;
                let id: UserId = match inserted {
                    Ok(id) => id,
                    Err(e) if is_unique_violation(&e) => return Err(AppError::Conflict(EMAIL_TAKEN.into())),
                    Err(e) => return Err(e.into()),
                };
                self.write_words(&[(id, &name.key(), email.as_str())]).await?;
                if grant_admin {
                    let (role, since): (RoleId, Timestamp) = sqlx::query_as(
                        "INSERT INTO user_roles (user_id, role_id, name_key, email) \
                         SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r \
                         WHERE u.id = $1 AND r.name = 'admin' RETURNING role_id, assigned_at",
                    )
                    .bind(id)
                    .fetch_one(&mut *self)
                    .await?;
                    let change = Change { since: Some(since), ..Change::role(None, id, role, Action::Added) };
                    record_history!(&mut *self, &change)?;
                }
                Ok(id)
            }
        }
    }

    /// The id and password hash for `email`, if an account has it.
    pub async fn credentials(db: &Db, email: &Email) -> Result<Option<(UserId, String)>, AppError> {
        let sql = "SELECT id, password_hash FROM users WHERE email = $1";
        let row =
            with_db!(db, |pool| { sqlx::query_as(sql).bind(email.as_str()).fetch_optional(pool).await })?;
        Ok(row)
    }

    pub async fn password_hash(db: &Db, id: UserId) -> Result<Option<String>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Sets `id`'s password hash as they change it themselves, from `address`, and ends every
    /// session of theirs (the caller starts a new one), with an entry in their security log,
    /// in one transaction: a password change can't leave an old session alive. Returns how
    /// many sessions ended.
    pub async fn set_password(
        db: &Db,
        id: UserId,
        hash: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<u64, AppError> {
        use crate::security_log::{ssr::SecurityLog, EventKind};
        Ok(with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.log_event(id, EventKind::PasswordChanged, address, None).await?;
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            let ended =
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await.map(|_| ended.rows_affected())
        })?)
    }

    pub async fn detail(db: &Db, id: UserId) -> Result<UserDetail, AppError> {
        let user: Option<UserRow> = with_db!(db, |pool| {
            sqlx::query_as("SELECT id, display_name, email, created_at, name_key FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        let user = user.ok_or(AppError::NotFound)?;
        let roles: Vec<HeldRole> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT r.id, r.name, ur.assigned_at FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                 WHERE ur.user_id = $1 ORDER BY r.name",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })?;
        let deactivated_at: Option<Timestamp> = with_db!(db, |pool| {
            sqlx::query_scalar("SELECT deactivated_at FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
        })?;
        Ok(UserDetail { user, roles, deactivated_at })
    }

    /// The directory, a page at a time. Unsearched, it reads along users_name_idx or
    /// users_created_idx and its total is a tally the schema keeps. Searched, the name and
    /// email matches are read apart along their own indexes and merged; sorted by name, the
    /// name matches come first, then the email matches by email
    /// ([`MatchPart`](crate::server::lists::people::MatchPart)), so a page reads a page's rows
    /// from each.
    pub async fn directory(
        db: &Db,
        q: Option<&str>,
        sort: Sort,
        after: Option<&str>,
    ) -> Result<Page<UserRow>, AppError> {
        // How many users there are: the unsearched total, and what a search by "since"
        // chooses its way by. A search by name needs neither.
        let users: i64 = if q.is_none() || sort == Sort::Since {
            with_db!(db, |pool| {
                sqlx::query_scalar("SELECT value FROM tallies WHERE name = 'users'").fetch_one(pool).await
            })?
        } else {
            0
        };
        let everyone_scope = Scope { columns: &[], size: users };
        let everyone = People {
            table: "users",
            person: "id",
            since: "created_at",
            scopes: &[everyone_scope],
            size: users,
        };
        let shown = Rows { select: "x.id, x.display_name, x.email, x.created_at, x.name_key", joins: "" };
        everyone.page(db, &shown, users, (q, sort, after)).await
    }

    impl Listed for UserRow {
        fn position(&self) -> (&str, &str, Timestamp, UserId) {
            (&self.name_key, &self.email, self.created_at, self.id)
        }
    }

    /// How many accounts matching a prefix the picker looks through for people the caller
    /// shares a profile with. Past them, typing more of the name finds the rest: a
    /// suggestion's cost stays a few pages' whoever asks and however many accounts match.
    pub const SHARED_SCAN: i64 = 1000;

    /// At most [`SUGGESTIONS`] accounts whose name, email, or a later word of either starts
    /// with `q` ([`words`](crate::server::lists::words)), each part read along its index and
    /// stopped at ten: the picker never loads more than it shows. The ten are chosen from
    /// the three indexes alone (users_name_idx, users_email_idx and search_words' key carry
    /// the name key and the id), and only then are their accounts and links to the profile
    /// looked up.
    /// For someone who may find only the people they share a profile with, each part keeps
    /// those among its first [`SHARED_SCAN`] matches (one primary-key look-up per profile of
    /// theirs for each).
    pub async fn suggest(
        db: &Db,
        findable: Findable,
        profile: ProfileId,
        q: &str,
    ) -> Result<Vec<Suggestion>, AppError> {
        let (low, high) = crate::server::lists::prefix_range(q);
        // `$5` is the person whose profiles a suggestion must share, or 0 for anyone.
        let (scan, sharing) = match findable {
            Findable::Everyone => (SUGGESTIONS, UserId(0)),
            Findable::SharingWith(me) => (SHARED_SCAN, me),
        };
        const SHARED: &str = "($5 = 0 OR EXISTS (SELECT 1 FROM memberships mine JOIN memberships theirs \
            ON theirs.profile_id = mine.profile_id AND theirs.user_id = c.id WHERE mine.user_id = $5))";
        let sql = format!(
            "SELECT u.id, u.display_name, u.email, m.access, \
                    u.deactivated_at IS NOT NULL AS deactivated FROM ( \
               SELECT * FROM (SELECT id, name_key FROM (SELECT id, name_key FROM users \
                   WHERE name_key >= $1 AND name_key < $2 ORDER BY name_key, id LIMIT $6) AS c \
                 WHERE {SHARED} ORDER BY name_key, id LIMIT $3) AS by_name \
               UNION \
               SELECT * FROM (SELECT id, name_key FROM (SELECT id, name_key, email FROM users \
                   WHERE email >= $1 AND email < $2 ORDER BY email LIMIT $6) AS c \
                 WHERE {SHARED} ORDER BY email LIMIT $3) AS by_email \
               UNION \
               SELECT * FROM (SELECT id, name_key FROM (SELECT user_id AS id, name_key, word \
                   FROM search_words WHERE word >= $1 AND word < $2 ORDER BY word, user_id LIMIT $6) AS c \
                 WHERE {SHARED} ORDER BY word, id LIMIT $3) AS by_word \
               ORDER BY name_key, id LIMIT $3 \
             ) AS k JOIN users u ON u.id = k.id \
             LEFT JOIN memberships m ON m.profile_id = $4 AND m.user_id = k.id \
             ORDER BY k.name_key, k.id"
        );
        Ok(with_db!(db, |pool| {
            sqlx::query_as(&sql)
                .bind(&low)
                .bind(&high)
                .bind(SUGGESTIONS)
                .bind(profile)
                .bind(sharing)
                .bind(scan)
                .fetch_all(pool)
                .await
        })?)
    }

    /// The id of the account with `email`, if any.
    pub async fn id_by_email(db: &Db, email: &Email) -> Result<Option<UserId>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(pool)
                .await
        })?)
    }
}
