//! Shared profiles: a team, project or class that several people look after together.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, Timestamp},
    error::AppError,
    paging::Page,
};

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;

/// A profile as its page shows it, with what the viewer may do there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileDetail {
    pub id: ProfileId,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: Timestamp,
    /// The viewer's own link to the profile, if any.
    pub my_access: Option<Access>,
    /// Managers and admins may change the profile and its members.
    pub can_manage: bool,
    /// Whether an identity provider manages its members: then no one changes them here.
    #[serde(default)]
    pub provisioned: bool,
    /// The name of the token that manages it, while that token exists.
    #[serde(default)]
    pub provider: Option<String>,
    /// Whether the viewer is an admin: who links a profile to a provider and takes it back.
    #[serde(default)]
    pub admin: bool,
    /// Whether the viewer may find every account by name (`access::findable`), or only the
    /// people they share a profile with: what the member picker tells them.
    pub finds_everyone: bool,
}

impl ProfileDetail {
    /// Whether the viewer has anything on the profile's settings tab: rename and delete for
    /// those who manage it, leave for those on it.
    pub fn has_settings(&self) -> bool {
        self.can_manage || self.my_access.is_some()
    }

    /// Whether the viewer may change who is on it, and how: a manager, unless an identity
    /// provider manages its members.
    pub fn can_manage_members(&self) -> bool {
        self.can_manage && !self.provisioned
    }
}

/// One row of a list of profiles: "my profiles", or a user's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProfileSummary {
    pub id: ProfileId,
    pub name: String,
    pub access: Access,
    pub member_count: i64,
    /// When the user joined it, and the lower-cased name: the list's sort keys.
    pub added_at: Timestamp,
    pub name_key: String,
}

/// The profiles `user` is on; `None` means the signed-in user. Searched by the profile's
/// name, filtered by the user's access, sorted by name or by "since".
#[server(prefix = "/api", endpoint = "profiles/of_user")]
pub async fn list_user_profiles(
    user: Option<crate::domain::UserId>,
    q: Option<String>,
    access: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<Page<ProfileSummary>, AppError> {
    let me = crate::access::require_user().await?;
    let user = user.unwrap_or(me.id);
    // One's own profiles, or anyone's for an admin; no one else learns whether `user` exists.
    crate::access::require_self_or_admin(user).await?;
    let filter = crate::server::lists::Filter {
        q: crate::paging::search_text(q.as_deref())?,
        access: crate::paging::access_filter(access.as_deref())?,
        sort: crate::paging::Sort::parse(sort.as_deref())?,
    };
    let state = crate::server::state::current()?;
    crate::expiry::ssr::settle(&state.db).await?;
    crate::server::lists::links::profiles_of(&state.db, user, &filter, after.as_deref()).await
}

/// One row of the list of every profile: its name, size, when it was made and by whom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProfileListing {
    pub id: ProfileId,
    pub name: String,
    pub member_count: i64,
    pub created_at: Timestamp,
    /// Who made it, while their account lasts: beside the date, what tells apart two
    /// profiles of one name.
    pub created_by: Option<String>,
    /// The lower-cased name: a sort key.
    pub name_key: String,
}

/// Every profile, for admins: searched by the start of its name, sorted by name or by when
/// it was made.
#[server(prefix = "/api", endpoint = "profiles/all")]
pub async fn list_all_profiles(
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<Page<ProfileListing>, AppError> {
    crate::access::require_admin().await?;
    let q = crate::paging::search_text(q.as_deref())?;
    let sort = crate::paging::Sort::parse(sort.as_deref())?;
    let state = crate::server::state::current()?;
    crate::server::lists::links::every_profile(&state.db, q.as_deref(), sort, after.as_deref()).await
}

#[server(prefix = "/api", endpoint = "profiles/get")]
pub async fn get_profile(id: ProfileId) -> Result<ProfileDetail, AppError> {
    let (me, seen) = crate::access::require_seen(id).await?;
    Ok(ProfileDetail {
        id,
        name: seen.name,
        description: seen.description,
        member_count: seen.member_count,
        created_at: seen.created_at,
        my_access: seen.standing.access,
        can_manage: seen.standing.can_manage(),
        provisioned: seen.provisioned,
        provider: seen.provider,
        admin: seen.standing.admin,
        finds_everyone: crate::access::findable(&me)? == crate::access::Findable::Everyone,
    })
}

/// Creates a profile; its creator becomes its first manager.
#[server(prefix = "/api", endpoint = "profiles/create")]
pub async fn create_profile(name: String, description: String) -> Result<ProfileId, AppError> {
    let me = crate::access::require_user().await?;
    let name = crate::domain::bounded_text("name", "name", &name, NAME_MAX, true)?;
    let description =
        crate::domain::bounded_text("description", "description", &description, DESCRIPTION_MAX, false)?;
    let state = crate::server::state::current()?;
    let id = ssr::create(&state.db, me.id, &name, &description).await?;
    tracing::info!(profile = %id, user = %me.id, "profile created");
    leptos_axum::redirect(&format!("/profiles/{id}"));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "profiles/update")]
pub async fn update_profile(id: ProfileId, name: String, description: String) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage(id).await?;
    let name = crate::domain::bounded_text("name", "name", &name, NAME_MAX, true)?;
    let description =
        crate::domain::bounded_text("description", "description", &description, DESCRIPTION_MAX, false)?;
    let state = crate::server::state::current()?;
    ssr::update(&state.db, id, &name, &description, me.id).await
}

/// Deletes a profile and, through the schema's cascade, all its memberships.
#[server(prefix = "/api", endpoint = "profiles/delete")]
pub async fn delete_profile(id: ProfileId, confirm: Option<String>) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage(id).await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::invalid("confirm", "Tick the box to confirm the deletion."));
    }
    let state = crate::server::state::current()?;
    ssr::delete(&state.db, id, me.id).await?;
    tracing::info!(profile = %id, user = %me.id, "profile deleted");
    leptos_axum::redirect("/profiles");
    Ok(())
}

/// Whether Roster is brand new: no profile yet, and no role but admin. The home page then
/// shows an admin the first steps. Admins only.
#[server(prefix = "/api", endpoint = "profiles/getting_started")]
pub async fn getting_started() -> Result<bool, AppError> {
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    ssr::brand_new(&state.db).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::{
        domain::{Access, ProfileId, Timestamp, UserId},
        error::AppError,
        history::{
            ssr::{Change, On},
            Action, SubjectAction,
        },
        record_edits, record_history, record_subject,
        server::db::{dialect_of, is_unique_violation, Db, Dialect, Pool},
        with_db,
    };

    /// No profile exists, and no role but admin: two lookups of one row at most.
    pub async fn brand_new(db: &Db) -> Result<bool, AppError> {
        Ok(with_db!(db, |pool| {
            sqlx::query_scalar(
                "SELECT NOT EXISTS (SELECT 1 FROM profiles) \
                 AND NOT EXISTS (SELECT 1 FROM roles WHERE name <> 'admin')",
            )
            .fetch_one(pool)
            .await
        })?)
    }

    /// A clash with another profile by the same maker (`profiles_creator_name_idx`) as the
    /// refusal of the name, said to its maker (`mine`) or to another manager; anything else
    /// as it is.
    fn name_taken(err: sqlx::Error, name: &str, mine: bool) -> AppError {
        if !is_unique_violation(&err) {
            return err.into();
        }
        let message = if mine {
            format!("You already have a profile called “{name}”. Choose another name.")
        } else {
            "The person who made this profile has another by that name. Choose another name.".to_owned()
        };
        AppError::Invalid { field: "name".into(), message }
    }

    /// Creates the profile and its creator's manager link in one transaction.
    pub async fn create(
        db: &Db,
        creator: UserId,
        name: &str,
        description: &str,
    ) -> Result<ProfileId, AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let id: ProfileId = sqlx::query_scalar(
                "INSERT INTO profiles (name, name_key, description, created_by) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(name.to_lowercase())
            .bind(description)
            .bind(creator)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| name_taken(e, name, true))?;
            let since: Timestamp = sqlx::query_scalar(
                "INSERT INTO memberships (profile_id, user_id, access, added_by, name_key, email) \
                 SELECT $1, id, 'manager', id, name_key, email FROM users WHERE id = $2 RETURNING added_at",
            )
            .bind(id)
            .bind(creator)
            .fetch_one(&mut *tx)
            .await?;
            let change = Change {
                after: Some(Access::Manager),
                since: Some(since),
                added_by: Some(creator),
                ..Change::membership(creator, creator, id, Action::Added)
            };
            record_history!(&mut *tx, &change)?;
            record_subject!(
                &mut *tx,
                creator,
                On::Profile(id),
                SubjectAction::Created,
                None::<&str>,
                Some(name)
            )?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Renames and describes a profile, recording each change made, in one transaction.
    pub async fn update(
        db: &Db,
        id: ProfileId,
        name: &str,
        description: &str,
        actor: UserId,
    ) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            // The row as it was, locked until the change is recorded (NO KEY UPDATE: rows
            // that refer to it, such as new members, need not wait).
            let lock = if dialect_of(pool) == Dialect::Postgres { " FOR NO KEY UPDATE" } else { "" };
            let sql = format!("SELECT name, description, created_by FROM profiles WHERE id = $1{lock}");
            let was: Option<(String, String, Option<UserId>)> =
                sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await?;
            let (old_name, old_description, creator) = was.ok_or(AppError::NotFound)?;
            sqlx::query("UPDATE profiles SET name = $2, name_key = $4, description = $3 WHERE id = $1")
                .bind(id)
                .bind(name)
                .bind(description)
                .bind(name.to_lowercase())
                .execute(&mut *tx)
                .await
                .map_err(|e| name_taken(e, name, creator == Some(actor)))?;
            record_edits!(tx, actor, On::Profile(id), (old_name, name), (old_description, description))?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes a profile (its memberships go by the schema's cascade) and records it, in one
    /// transaction.
    pub async fn delete(db: &Db, id: ProfileId, actor: UserId) -> Result<(), AppError> {
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await?;
            let name: Option<String> =
                sqlx::query_scalar("DELETE FROM profiles WHERE id = $1 RETURNING name")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let name = name.ok_or(AppError::NotFound)?;
            record_subject!(
                &mut *tx,
                actor,
                On::Profile(id),
                SubjectAction::Deleted,
                Some(name),
                None::<&str>
            )?;
            tx.commit().await?;
            Ok(())
        })
    }
}
