//! Profiles an identity provider manages, from the web's side: an admin links an existing
//! profile to a provider's token, so its members change only over SCIM (crate::scim::groups),
//! and takes it back, after which its managers change them again. A profile made over SCIM
//! starts linked.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{domain::ProfileId, error::AppError};

/// A token a profile can be linked to: a service token with the `scim` scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Provider {
    pub id: i64,
    pub name: String,
}

/// The tokens an admin may link a profile to, by name.
#[server(prefix = "/api", endpoint = "profiles/providers")]
pub async fn list_providers() -> Result<Vec<Provider>, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::providers(&state.db).await
}

/// Links `profile` to the provider whose token is `token`: from then on its members change
/// only over SCIM, and its open invitations are withdrawn. Admins only.
#[server(prefix = "/api", endpoint = "profiles/link_provider")]
pub async fn link_provider(profile: ProfileId, token: i64) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::link(&state.db, profile, token, me.id).await?;
    tracing::info!(profile = %profile, token, admin = %me.id, "profile linked to an identity provider");
    leptos_axum::redirect(&format!("/profiles/{profile}"));
    Ok(())
}

/// Takes `profile` back from its provider: its managers change its members again. When it
/// has no manager whose access lasts, the admin taking it back becomes one. Admins only.
#[server(prefix = "/api", endpoint = "profiles/release_provider")]
pub async fn release_provider(profile: ProfileId) -> Result<(), AppError> {
    let me = crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::release(&state.db, profile, me.id).await?;
    tracing::info!(profile = %profile, admin = %me.id, "profile taken back from its identity provider");
    leptos_axum::redirect(&format!("/profiles/{profile}"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::Provider;
    use crate::{
        domain::{Access, ProfileId, Timestamp, UserId},
        error::AppError,
        expiry::ssr::{Due, Ends},
        history::{ssr::Change, Action},
        memberships::ssr::MemberRows,
        record_history,
        server::db::{dialect_of, Db, Dialect, Pool},
        with_db,
    };

    const SCIM: i32 = crate::api_tokens::Scope::Scim.bit();

    pub async fn providers(db: &Db) -> Result<Vec<Provider>, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT id, name FROM api_tokens WHERE user_id IS NULL AND scopes & $1 <> 0 \
                 AND (expires_at IS NULL OR expires_at > $2) ORDER BY name LIMIT 100",
            )
            .bind(SCIM)
            .bind(Timestamp::now())
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn link(db: &Db, profile: ProfileId, token: i64, by: UserId) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let usable: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM api_tokens \
                 WHERE id = $1 AND user_id IS NULL AND scopes & $2 <> 0)",
            )
            .bind(token)
            .bind(SCIM)
            .fetch_one(&mut *tx)
            .await?;
            if !usable {
                return Err(AppError::invalid("token", "Choose a service token with the scim scope."));
            }
            let now = Timestamp::now();
            let linked = sqlx::query(
                "UPDATE profiles SET provisioned_at = $2, provisioned_by = $3 \
                 WHERE id = $1 AND provisioned_at IS NULL",
            )
            .bind(profile)
            .bind(now)
            .bind(token)
            .execute(&mut *tx)
            .await?;
            if linked.rows_affected() == 0 {
                let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM profiles WHERE id = $1)")
                    .bind(profile)
                    .fetch_one(&mut *tx)
                    .await?;
                return Err(match exists {
                    true => AppError::Conflict("An identity provider manages this profile already.".into()),
                    false => AppError::NotFound,
                });
            }
            // Accepting one would add a member the provider doesn't know of.
            sqlx::query(
                "UPDATE invitations SET outcome = 'revoked', closed_at = $2, closed_by = $3 \
                 WHERE profile_id = $1 AND outcome IS NULL",
            )
            .bind(profile)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn release(db: &Db, profile: ProfileId, by: UserId) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let lock = if dialect_of(pool) == Dialect::Postgres { " FOR NO KEY UPDATE" } else { "" };
            let sql = format!("SELECT provisioned_at IS NOT NULL FROM profiles WHERE id = $1{lock}");
            let provisioned: Option<bool> =
                sqlx::query_scalar(&sql).bind(profile).fetch_optional(&mut *tx).await?;
            match provisioned {
                None => return Err(AppError::NotFound),
                Some(false) => {
                    return Err(AppError::Conflict("No identity provider manages this profile.".into()))
                }
                Some(true) => {}
            }
            let lasting: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM memberships WHERE profile_id = $1 AND access = 'manager' \
                 AND ends_at IS NULL)",
            )
            .bind(profile)
            .fetch_one(&mut *tx)
            .await?;
            if !lasting {
                // Whoever takes it back keeps it managed: they become a lasting manager.
                tx.expire_due(Due::Pair(profile, by), Timestamp::now()).await?;
                let manager = (Access::Manager, None);
                let change = match tx.insert_member(profile, by, manager, Some(by)).await? {
                    Some(since) => Some(Change {
                        after: Some(Access::Manager),
                        since: Some(since),
                        added_by: Some(by),
                        ..Change::membership(by, by, profile, Action::Added)
                    }),
                    None => {
                        type Had = (String, Timestamp, Option<UserId>, Option<Timestamp>);
                        let (access, since, added_by, ends): Had = sqlx::query_as(
                            "SELECT access, added_at, added_by, ends_at FROM memberships \
                             WHERE profile_id = $1 AND user_id = $2",
                        )
                        .bind(profile)
                        .bind(by)
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query(
                            "UPDATE memberships SET access = 'manager', ends_at = NULL, end_notice_at = NULL \
                             WHERE profile_id = $1 AND user_id = $2",
                        )
                        .bind(profile)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                        if ends.is_some() {
                            tx.record_ends(by, profile, &[(by, ends, None)]).await?;
                        }
                        // A manager whose access was to end keeps it, and the record says so.
                        let before = Access::parse(&access)?;
                        (before == Access::Member).then(|| Change {
                            before: Some(before),
                            after: Some(Access::Manager),
                            since: Some(since),
                            added_by,
                            ..Change::membership(by, by, profile, Action::Changed)
                        })
                    }
                };
                if let Some(change) = change {
                    record_history!(&mut *tx, &change)?;
                }
            }
            sqlx::query(
                "UPDATE profiles SET provisioned_at = NULL, provisioned_by = NULL, external_id = NULL \
                 WHERE id = $1",
            )
            .bind(profile)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
