//! Users: the account record and the queries that create and find accounts.

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::{
        domain::{DisplayName, Email, UserId},
        error::AppError,
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
}
