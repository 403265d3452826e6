//! The life of an account: admins deactivate and reactivate accounts, and delete them; a
//! person deletes their own. A deactivated account can't sign in, loses its sessions and
//! links at once, and stays on its profiles, marked, with its history. A deleted account's
//! links to profiles and roles are recorded as removals as it goes, so its history stays true
//! (naming it as a deleted account); deletion is refused while it is the last manager of a
//! profile, or the last administrator.

use leptos::prelude::*;

use crate::{domain::UserId, error::AppError};

/// What a deactivated account is told when its password is right.
pub const DEACTIVATED: &str = "This account has been deactivated. Ask an administrator to reactivate it.";

/// Deactivates `user` (an admin's doing): their sessions end at once.
#[server(prefix = "/api", endpoint = "users/deactivate")]
pub async fn deactivate_user(user: UserId) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    if me.id == user {
        return Err(AppError::Conflict("You can't deactivate your own account.".into()));
    }
    let state = crate::server::state::current()?;
    ssr::set_active(&state.db, user, false, Some(me.id)).await?;
    tracing::info!(user = %user, admin = %me.id, "account deactivated");
    leptos_axum::redirect(&format!("/users/{user}"));
    Ok(())
}

/// Reactivates `user` (an admin's doing).
#[server(prefix = "/api", endpoint = "users/reactivate")]
pub async fn reactivate_user(user: UserId) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::set_active(&state.db, user, true, Some(me.id)).await?;
    tracing::info!(user = %user, admin = %me.id, "account reactivated");
    leptos_axum::redirect(&format!("/users/{user}"));
    Ok(())
}

/// Deletes the account `id`, once the admin has ticked the box to confirm, with a recent
/// password (`crate::reauth`).
#[server(prefix = "/api", endpoint = "users/delete")]
pub async fn delete_user(
    id: UserId,
    confirm: Option<String>,
    confirm_password: Option<String>,
) -> Result<(), AppError> {
    let user = id;
    let me = crate::access::require_admin().await?;
    ssr::confirmed(confirm.as_deref())?;
    if me.id == user {
        return Err(AppError::Conflict("Delete your own account from your account page.".into()));
    }
    let state = crate::server::state::current()?;
    crate::reauth::ssr::require_recent_password(&state, &me, confirm_password).await?;
    ssr::delete(&state.db, user, Some(me.id)).await?;
    tracing::info!(user = %user, admin = %me.id, "account deleted");
    leptos_axum::redirect("/users?deleted=1");
    Ok(())
}

/// Deletes the signed-in person's own account, given their password and the ticked box.
#[server(prefix = "/api", endpoint = "account/delete")]
pub async fn delete_my_account(password: String, confirm: Option<String>) -> Result<(), AppError> {
    use crate::access::session;
    let me = crate::access::require_user().await?;
    ssr::confirmed(confirm.as_deref())?;
    let state = crate::server::state::current()?;
    let wrong = ("password", "That is not your password.");
    crate::auth::ssr::recheck_password(&state, &me, password, wrong).await?;
    ssr::delete(&state.db, me.id, Some(me.id)).await?;
    session::set_session_cookie(&state.settings, None);
    tracing::info!(user = %me.id, "account deleted by its owner");
    leptos_axum::redirect("/?deleted=1");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::{
        domain::{Timestamp, UserId},
        error::AppError,
        security_log::{ssr::SecurityLog, EventKind},
        server::db::{dialect_of, Db, Dialect, Pool},
        with_db,
    };

    /// Refuses a deletion whose box wasn't ticked.
    pub fn confirmed(confirm: Option<&str>) -> Result<(), AppError> {
        match confirm {
            Some("yes") => Ok(()),
            _ => Err(AppError::invalid("confirm", "Tick the box to confirm the deletion.")),
        }
    }

    /// The SQL that says whether `user` ($1) holds admin and no one else active does.
    const LAST_ADMIN: &str = "SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
         WHERE ur.user_id = $1 AND r.name = 'admin') AND NOT EXISTS (SELECT 1 FROM user_roles ur \
         JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id \
         WHERE r.name = 'admin' AND ur.user_id <> $1 AND u.deactivated_at IS NULL)";

    /// Deactivates (`active = false`) or reactivates `user`, as `actor` (`None` for the CLI),
    /// in one transaction with its log entry ([`Activation::set_active_in`]). Not found when
    /// there is no such account.
    pub async fn set_active(
        db: &Db,
        user: UserId,
        active: bool,
        actor: Option<UserId>,
    ) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            if dialect_of(pool) == Dialect::Postgres {
                // Two admins deactivating each other at once queue here, as grants do.
                sqlx::query("SELECT 1 FROM roles WHERE name = 'admin' FOR UPDATE").execute(&mut *tx).await?;
            }
            tx.set_active_in(user, active, actor).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Activating and deactivating inside a caller's transaction (on PostgreSQL, one that
    /// holds the admin role's row, as [`set_active`] takes it).
    pub trait Activation {
        /// Sets whether `user` is active and logs it; deactivating ends every session and
        /// link of theirs, and is refused for the last active administrator. Setting what
        /// is so already does nothing. Not found when there is no such account.
        fn set_active_in(
            &mut self,
            user: UserId,
            active: bool,
            actor: Option<UserId>,
        ) -> impl std::future::Future<Output = Result<(), AppError>> + Send;
    }

    crate::impl_for_connections! {
        impl Activation {
            async fn set_active_in(
                &mut self,
                user: UserId,
                active: bool,
                actor: Option<UserId>,
            ) -> Result<(), AppError> {
                if !active {
                    let last: bool = sqlx::query_scalar(LAST_ADMIN).bind(user).fetch_one(&mut *self).await?;
                    if last {
                        let refusal = "The last active administrator can't be deactivated.";
                        return Err(AppError::Conflict(refusal.into()));
                    }
                }
                let found: Option<bool> =
                    sqlx::query_scalar("SELECT deactivated_at IS NULL FROM users WHERE id = $1")
                        .bind(user)
                        .fetch_optional(&mut *self)
                        .await?;
                let was_active = found.ok_or(AppError::NotFound)?;
                if was_active == active {
                    return Ok(());
                }
                sqlx::query("UPDATE users SET deactivated_at = $2 WHERE id = $1")
                    .bind(user)
                    .bind((!active).then(Timestamp::now))
                    .execute(&mut *self)
                    .await?;
                if !active {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user)
                        .execute(&mut *self)
                        .await?;
                    sqlx::query("DELETE FROM account_tokens WHERE user_id = $1")
                        .bind(user)
                        .execute(&mut *self)
                        .await?;
                }
                let kind = if active { EventKind::Reactivated } else { EventKind::Deactivated };
                self.log_event(user, kind, None, actor).await?;
                Ok(())
            }
        }
    }

    /// Whether `user`'s account is deactivated.
    pub async fn is_deactivated(db: &Db, user: UserId) -> Result<bool, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar("SELECT deactivated_at IS NOT NULL FROM users WHERE id = $1")
                .bind(user)
                .fetch_optional(pool)
                .await
        })?
        .unwrap_or(false))
    }

    /// Deletes `user`, as `actor` (`None` for the CLI): each of their links to a profile or a
    /// role is recorded as a removal, then the account goes, all in one transaction. Refused,
    /// naming the profiles, while they are the last manager of any; and for the last
    /// administrator.
    pub async fn delete(db: &Db, user: UserId, actor: Option<UserId>) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            if dialect_of(pool) == Dialect::Postgres {
                // Changes to these profiles' managers queue behind this deletion, as they
                // queue behind each other (migrations/postgres/0002_rules.sql).
                sqlx::query(
                    "SELECT 1 FROM profiles WHERE id IN (SELECT profile_id FROM memberships \
                     WHERE user_id = $1 AND access = 'manager') ORDER BY id FOR UPDATE",
                )
                .bind(user)
                .execute(&mut *tx)
                .await?;
                sqlx::query("SELECT 1 FROM roles WHERE name = 'admin' FOR UPDATE").execute(&mut *tx).await?;
            }
            let exists: Option<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            exists.ok_or(AppError::NotFound)?;
            {
                use crate::expiry::ssr::{Due, Ends};
                tx.expire_due(Due::User(user), crate::domain::Timestamp::now()).await?;
            }
            // The rule of migrations/*/0029: a profile keeps a manager whose access doesn't end,
            // unless an identity provider manages it (0034).
            let sole: Vec<String> = sqlx::query_scalar(
                "SELECT p.name FROM memberships m JOIN profiles p ON p.id = m.profile_id \
                 WHERE m.user_id = $1 AND m.access = 'manager' AND m.ends_at IS NULL \
                 AND p.provisioned_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.profile_id = m.profile_id \
                 AND o.access = 'manager' AND o.ends_at IS NULL AND o.user_id <> $1) \
                 ORDER BY p.name LIMIT 11",
            )
            .bind(user)
            .fetch_all(&mut *tx)
            .await?;
            if !sole.is_empty() {
                return Err(AppError::Conflict(last_manager_of(&sole)));
            }
            if sqlx::query_scalar::<_, bool>(LAST_ADMIN).bind(user).fetch_one(&mut *tx).await? {
                return Err(AppError::Conflict("The last active administrator can't be deleted.".into()));
            }
            sqlx::query(
                "INSERT INTO history (actor_id, user_id, profile_id, action, access_before, since, added_by, \
                 via_token) SELECT $2, user_id, profile_id, 'removed', access, added_at, added_by, $3 \
                 FROM memberships WHERE user_id = $1",
            )
            .bind(user)
            .bind(actor)
            .bind(crate::api_tokens::ssr::acting())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO history (actor_id, user_id, role_id, action, since, via_token) \
                 SELECT $2, user_id, role_id, 'removed', assigned_at, $3 FROM user_roles WHERE user_id = $1",
            )
            .bind(user)
            .bind(actor)
            .bind(crate::api_tokens::ssr::acting())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM users WHERE id = $1").bind(user).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The refusal to delete the last manager of `profiles` (at most ten named).
    fn last_manager_of(profiles: &[String]) -> String {
        let named: Vec<&str> = profiles.iter().take(10).map(String::as_str).collect();
        let more = if profiles.len() > 10 { " and more" } else { "" };
        format!(
            "This account is the last manager of {}{more}. Make someone else a manager there, or delete \
             those profiles, first.",
            named.join(", ")
        )
    }
}
