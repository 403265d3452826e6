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
}

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
}

/// One's own page, or anyone's for an admin. Everyone else gets "not found".
#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: UserId) -> Result<UserDetail, AppError> {
    let me = crate::auth::ssr::require_user().await?;
    if me.id != id && !me.is_admin {
        return Err(AppError::NotFound);
    }
    let state = crate::server::state()?;
    ssr::detail(&state.db, id).await
}

/// All users, for admins: by name, optionally those whose name or email starts with `q`.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(q: Option<String>, after: Option<String>) -> Result<Page<UserRow>, AppError> {
    crate::auth::ssr::require_admin().await?;
    let state = crate::server::state()?;
    ssr::directory(&state.db, q.as_deref().unwrap_or("").trim(), after.as_deref()).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{HeldRole, UserDetail, UserRow};
    use crate::{
        domain::{DisplayName, Email, UserId},
        error::AppError,
        paging::{self, Page},
        server::db::{dialect_of, is_unique_violation, Db, Dialect, Pool},
        with_db,
    };

    /// Whether a new account gets the `admin` role.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum AdminGrant {
        Always,
        /// Only the very first account: how a fresh install gets its administrator.
        IfFirst,
        Never,
    }

    pub const EMAIL_TAKEN: &str = "An account with this email already exists.";

    /// Creates an account. A taken email is a [`AppError::Conflict`], detected by the unique
    /// index, not by a check beforehand that could race.
    pub async fn create(
        db: &Db,
        email: &Email,
        name: &DisplayName,
        password_hash: &str,
        admin: AdminGrant,
    ) -> Result<UserId, AppError> {
        with_db!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let grant_admin = match admin {
                AdminGrant::Always => true,
                AdminGrant::Never => false,
                AdminGrant::IfFirst => {
                    let exists = "SELECT EXISTS (SELECT 1 FROM users)";
                    let mut any: bool = sqlx::query_scalar(exists).fetch_one(&mut *tx).await?;
                    if !any && dialect_of(pool) == Dialect::Postgres {
                        // Two first sign-ups at once must not both become admin: queue them
                        // on the admin role's row and look again. (SQLite's write lock,
                        // taken by begin_write, already orders them.)
                        sqlx::query("SELECT id FROM roles WHERE name = 'admin' FOR UPDATE")
                            .execute(&mut *tx)
                            .await?;
                        any = sqlx::query_scalar(exists).fetch_one(&mut *tx).await?;
                    }
                    !any
                }
            };
            let inserted = sqlx::query_scalar(
                "INSERT INTO users (email, display_name, password_hash) \
                 VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(email.as_str())
            .bind(name.as_str())
            .bind(password_hash)
            .fetch_one(&mut *tx)
            .await;
            let id: UserId = match inserted {
                Ok(id) => id,
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::Conflict(EMAIL_TAKEN.into()))
                }
                Err(e) => return Err(e.into()),
            };
            if grant_admin {
                sqlx::query(
                    "INSERT INTO user_roles (user_id, role_id) \
                     SELECT $1, id FROM roles WHERE name = 'admin'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// The id and password hash for `email`, if an account has it.
    pub async fn credentials(db: &Db, email: &Email) -> Result<Option<(UserId, String)>, AppError> {
        let sql = "SELECT id, password_hash FROM users WHERE email = $1";
        let row = with_db!(db, pool => {
            sqlx::query_as(sql).bind(email.as_str()).fetch_optional(pool).await
        })?;
        Ok(row)
    }

    pub async fn detail(db: &Db, id: UserId) -> Result<UserDetail, AppError> {
        let user: Option<UserRow> = with_db!(db, pool => {
            sqlx::query_as("SELECT id, display_name, email, created_at FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        let user = user.ok_or(AppError::NotFound)?;
        let roles: Vec<HeldRole> = with_db!(db, pool => {
            sqlx::query_as(
                "SELECT r.id, r.name, ur.assigned_at FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                 WHERE ur.user_id = $1 ORDER BY r.name",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })?;
        Ok(UserDetail { user, roles })
    }

    /// `text` with LIKE's wildcards escaped, followed by `%`: a prefix pattern.
    pub fn prefix_pattern(text: &str) -> String {
        let mut pattern = String::with_capacity(text.len() + 1);
        for c in text.to_lowercase().chars() {
            if matches!(c, '\\' | '%' | '_') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    pub async fn directory(db: &Db, q: &str, after: Option<&str>) -> Result<Page<UserRow>, AppError> {
        let (name, id): (String, UserId) =
            paging::ssr::decode(after)?.unwrap_or_else(|| (String::new(), UserId(0)));
        let pattern = prefix_pattern(q);
        let rows: Vec<UserRow> = with_db!(db, pool => {
            sqlx::query_as(
                "SELECT id, display_name, email, created_at FROM users \
                 WHERE (lower(display_name) LIKE $1 ESCAPE '\\' OR email LIKE $1 ESCAPE '\\') \
                   AND (display_name, id) > ($2, $3) \
                 ORDER BY display_name, id LIMIT $4",
            )
            .bind(&pattern)
            .bind(&name)
            .bind(id)
            .bind(paging::ssr::FETCH)
            .fetch_all(pool)
            .await
        })?;
        Ok(paging::ssr::page(rows, |u| (u.display_name.clone(), u.id)))
    }

    /// The id of the account with `email`, if any.
    pub async fn id_by_email(db: &Db, email: &Email) -> Result<Option<UserId>, AppError> {
        Ok(with_db!(db, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(pool).await
        })?)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn prefix_patterns_escape_like_wildcards() {
            assert_eq!(super::prefix_pattern("Ad"), "ad%");
            assert_eq!(super::prefix_pattern("50%_a\\"), "50\\%\\_a\\\\%");
        }
    }
}
