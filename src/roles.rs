//! Roles: named grants that users hold, managed by admins. `admin` is one of them, and the
//! schema keeps it (it can't be deleted or renamed, and its last holder can't lose it).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{RoleId, Timestamp, UserId},
    error::AppError,
    paging::Page,
};

pub const NAME_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 500;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub holder_count: i64,
}

/// Someone who holds a role, and since when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Holder {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub assigned_at: Timestamp,
    /// The lower-cased name the list sorts by.
    pub name_key: String,
}

pub const ADMIN_IS_PERMANENT: &str = "The admin role can't be deleted or renamed.";
/// The role that may do everything.
pub const ADMIN: &str = "admin";
pub const LAST_ADMIN: &str = "This is the last admin. Make someone else an admin first.";
pub const NAME_TAKEN: &str = "A role with that name already exists (capitals aside).";

#[server(prefix = "/api", endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<Role>, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::list(&state.db).await
}

#[server(prefix = "/api", endpoint = "roles/get")]
pub async fn get_role(id: RoleId) -> Result<Role, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::get(&state.db, id).await
}

/// A role's holders: searched by name or email prefix, sorted by name or by "since".
#[server(prefix = "/api", endpoint = "roles/holders")]
pub async fn list_holders(
    role: RoleId,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<Page<Holder>, AppError> {
    crate::access::require_admin().await?;
    let q = crate::paging::search_text(q.as_deref())?;
    let sort = crate::paging::Sort::parse(sort.as_deref())?;
    let state = crate::server::state::current()?;
    ssr::holders(&state.db, role, q.as_deref(), sort, after.as_deref()).await
}

#[server(prefix = "/api", endpoint = "roles/create")]
pub async fn create_role(name: String, description: String) -> Result<RoleId, AppError> {
    let me = crate::access::require_admin().await?;
    let (name, description) = ssr::parse(&name, &description)?;
    let state = crate::server::state::current()?;
    let id = ssr::create(&state.db, &name, &description, Some(me.id)).await?;
    tracing::info!(role = %id, by = %me.id, "role created");
    leptos_axum::redirect(&format!("/roles/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "roles/update")]
pub async fn update_role(id: RoleId, name: String, description: String) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let (name, description) = ssr::parse(&name, &description)?;
    let state = crate::server::state::current()?;
    ssr::update(&state.db, id, &name, &description, me.id).await
}

/// Deletes a role and every grant of it, once the admin has ticked the box to confirm.
#[server(prefix = "/api", endpoint = "roles/delete")]
pub async fn delete_role(id: RoleId, confirm: Option<String>) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::invalid("confirm", "Tick the box to confirm the deletion."));
    }
    let state = crate::server::state::current()?;
    ssr::delete(&state.db, id, Some(me.id)).await?;
    tracing::info!(role = %id, by = %me.id, "role deleted");
    leptos_axum::redirect("/roles");
    Ok(())
}

/// Grants `role` to the account with `email`. Granting it again changes nothing and says so.
/// Granting admin asks for a recent password (`crate::reauth`).
#[server(prefix = "/api", endpoint = "roles/assign")]
pub async fn assign_role(
    role: RoleId,
    email: String,
    confirm_password: Option<String>,
) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let email = crate::domain::Email::parse(&email)?;
    let state = crate::server::state::current()?;
    ssr::confirm_if_admin(&state, &me, role, confirm_password).await?;
    ssr::assign(&state.db, role, &email, Some(me.id)).await
}

/// Takes `role` from `user`. Revoking admin asks for a recent password (`crate::reauth`).
/// Then back to the page it was done from (`from`: "role" for the role's page, else the
/// person's), which offers to grant it back.
#[server(prefix = "/api", endpoint = "roles/unassign")]
pub async fn unassign_role(
    role: RoleId,
    user: UserId,
    confirm_password: Option<String>,
    from: Option<String>,
) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::confirm_if_admin(&state, &me, role, confirm_password).await?;
    ssr::unassign(&state.db, role, user, Some(me.id)).await?;
    leptos_axum::redirect(&match from.as_deref() {
        Some("role") => format!("/roles/{role}?revoked={user}"),
        _ => format!("/users/{user}?revoked={role}"),
    });
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::{Holder, Role, ADMIN, ADMIN_IS_PERMANENT, DESCRIPTION_MAX, LAST_ADMIN, NAME_MAX, NAME_TAKEN};
    use crate::{
        domain::{bounded_text, Email, RoleId, Timestamp, UserId},
        error::AppError,
        history::{
            ssr::{Change, On},
            Action, SubjectAction,
        },
        paging::{Page, Sort},
        record_edits, record_history, record_subject,
        server::{
            db::{broken_rule, dialect_of, is_unique_violation, Db, Dialect, Pool, Rule},
            lists::people::{Bound, Listed, People, Rows, Scope},
        },
        with_db,
    };

    pub fn parse(name: &str, description: &str) -> Result<(String, String), AppError> {
        Ok((
            bounded_text("name", "name", name, NAME_MAX, true)?,
            bounded_text("description", "description", description, DESCRIPTION_MAX, false)?,
        ))
    }

    fn to_error(err: sqlx::Error) -> AppError {
        if is_unique_violation(&err) {
            return AppError::Conflict(NAME_TAKEN.into());
        }
        match broken_rule(&err) {
            Some(Rule::AdminRoleIsPermanent) => AppError::Conflict(ADMIN_IS_PERMANENT.into()),
            Some(Rule::LastAdmin) => AppError::Conflict(LAST_ADMIN.into()),
            _ => err.into(),
        }
    }

    const SELECT: &str = "SELECT r.id, r.name, r.description, r.holder_count FROM roles r";

    pub async fn list(db: &Db) -> Result<Vec<Role>, AppError> {
        let sql = format!("{SELECT} ORDER BY r.name");
        Ok(with_db!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?)
    }

    pub async fn get(db: &Db, id: RoleId) -> Result<Role, AppError> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let role = with_db!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        role.ok_or(AppError::NotFound)
    }

    /// Whether the role exists.
    async fn require_exists(db: &Db, id: RoleId) -> Result<(), AppError> {
        let found: Option<RoleId> = with_db!(db, |pool| {
            sqlx::query_scalar("SELECT id FROM roles WHERE id = $1").bind(id).fetch_optional(pool).await
        })?;
        found.map(drop).ok_or(AppError::NotFound)
    }

    /// Asks for a recent password when `role` is admin: granting or revoking it hands out or
    /// takes away every power there is.
    pub async fn confirm_if_admin(
        state: &crate::server::state::AppState,
        me: &crate::domain::SessionUser,
        role: RoleId,
        given: Option<String>,
    ) -> Result<(), AppError> {
        if by_name(&state.db, ADMIN).await? == Some(role) {
            crate::reauth::ssr::require_recent_password(state, me, given).await?;
        }
        Ok(())
    }

    pub async fn by_name(db: &Db, name: &str) -> Result<Option<RoleId>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar("SELECT id FROM roles WHERE name = $1").bind(name).fetch_optional(pool).await
        })?)
    }

    /// A role's holders, a page at a time, read as the directory is ([`People`]) along the
    /// role's own indexes, on the copies of its holders' names and emails a grant keeps:
    /// user_roles_name_idx, user_roles_email_idx and user_roles_role_since_idx.
    pub async fn holders(
        db: &Db,
        role: RoleId,
        q: Option<&str>,
        sort: Sort,
        after: Option<&str>,
    ) -> Result<Page<Holder>, AppError> {
        let holder_count = get(db, role).await?.holder_count;
        let holders = People {
            table: "user_roles",
            person: "user_id",
            since: "assigned_at",
            scopes: &[Scope { columns: &[("role_id", Bound::Id(role.0))], size: holder_count }],
            size: holder_count,
        };
        let shown = Rows {
            select: "x.user_id, u.display_name, x.email, x.assigned_at, x.name_key",
            joins: "JOIN users u ON u.id = x.user_id",
        };
        holders.page(db, &shown, holder_count, (q, sort, after)).await
    }

    impl Listed for Holder {
        fn position(&self) -> (&str, &str, Timestamp, UserId) {
            (&self.name_key, &self.email, self.assigned_at, self.user_id)
        }
    }

    /// Creates a role and records it, in one transaction.
    pub async fn create(
        db: &Db,
        name: &str,
        description: &str,
        actor: Option<UserId>,
    ) -> Result<RoleId, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: RoleId = sqlx::query_scalar(
                "INSERT INTO roles (name, description, name_key) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(name)
            .bind(description)
            .bind(name.to_lowercase())
            .fetch_one(&mut *tx)
            .await
            .map_err(to_error)?;
            record_subject!(&mut *tx, actor, On::Role(id), SubjectAction::Created, None::<&str>, Some(name))?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Renames and describes a role, recording each change made, in one transaction.
    pub async fn update(
        db: &Db,
        id: RoleId,
        name: &str,
        description: &str,
        actor: UserId,
    ) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // The row as it was, locked until the change is recorded (NO KEY UPDATE: rows
            // that refer to it, such as new members, need not wait).
            let lock = if dialect_of(pool) == Dialect::Postgres { " FOR NO KEY UPDATE" } else { "" };
            let was: Option<(String, String)> =
                sqlx::query_as(&format!("SELECT name, description FROM roles WHERE id = $1{lock}"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (old_name, old_description) = was.ok_or(AppError::NotFound)?;
            sqlx::query("UPDATE roles SET name = $2, description = $3, name_key = $4 WHERE id = $1")
                .bind(id)
                .bind(name)
                .bind(description)
                .bind(name.to_lowercase())
                .execute(&mut *tx)
                .await
                .map_err(to_error)?;
            record_edits!(tx, actor, On::Role(id), (old_name, name), (old_description, description))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes a role. Its grants go with it, each recorded as a removal by `actor`, and the
    /// deletion itself is recorded: all in one transaction.
    pub async fn delete(db: &Db, id: RoleId, actor: Option<UserId>) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM roles WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let name = name.ok_or(AppError::NotFound)?;
            sqlx::query(
                "INSERT INTO history (actor_id, user_id, role_id, action, since) \
                 SELECT $2, user_id, role_id, 'removed', assigned_at FROM user_roles WHERE role_id = $1",
            )
            .bind(id)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM roles WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(to_error)?;
            record_subject!(&mut *tx, actor, On::Role(id), SubjectAction::Deleted, Some(name), None::<&str>)?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn assign(db: &Db, role: RoleId, email: &Email, actor: Option<UserId>) -> Result<(), AppError> {
        require_exists(db, role).await?;
        let added = with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let added: Option<(UserId, Timestamp)> = sqlx::query_as(
                "INSERT INTO user_roles (user_id, role_id, name_key, email) \
                 SELECT u.id, $1, u.name_key, u.email FROM users u WHERE u.email = $2 \
                 ON CONFLICT (user_id, role_id) DO NOTHING RETURNING user_id, assigned_at",
            )
            .bind(role)
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((user, since)) = added {
                let change = Change { since: Some(since), ..Change::role(actor, user, role, Action::Added) };
                record_history!(&mut *tx, &change)?;
                tx.commit().await?;
            }
            Ok::<_, AppError>(added.is_some())
        })?;
        if added {
            return Ok(());
        }
        let holder: Option<String> = with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT u.display_name FROM users u \
                 JOIN user_roles ur ON ur.user_id = u.id AND ur.role_id = $1 WHERE u.email = $2",
            )
            .bind(role)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await
        })?;
        match holder {
            Some(name) => Err(AppError::Conflict(format!("{name} already holds this role."))),
            None => Err(AppError::invalid("email", format!("No account uses {email}."))),
        }
    }

    pub async fn unassign(
        db: &Db,
        role: RoleId,
        user: UserId,
        actor: Option<UserId>,
    ) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let since: Option<Timestamp> = sqlx::query_scalar(
                "DELETE FROM user_roles WHERE role_id = $1 AND user_id = $2 RETURNING assigned_at",
            )
            .bind(role)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(to_error)?;
            let since = since.ok_or(AppError::NotFound)?;
            let change = Change { since: Some(since), ..Change::role(actor, user, role, Action::Removed) };
            record_history!(&mut *tx, &change)?;
            tx.commit().await?;
            Ok(())
        })
    }
}
