//! The API's changes. Each runs the check its form's server function runs, in its body,
//! before it changes anything; each change is in history with the token's name
//! (`api_tokens::ssr::acting`). PUT and DELETE are idempotent by nature; a POST with an
//! `Idempotency-Key` is made so (`idempotency`).

use axum::{
    extract::{FromRequest, Path, Request},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    problem::{Problem, Refusals},
    read::id,
    types::{Access, Member, Profile},
    Answer,
};
use crate::{
    domain::{self, ProfileId, RoleId, UserId},
    error::AppError,
    invitations::ssr::{findable_account, Account},
};

/// A JSON body read as `T`; one that isn't JSON, or isn't a `T`, is a problem with the
/// status axum gives it (400, 415 or 422), never a plain-text answer.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(Body(body)),
            Err(rejection) => Err(Problem::new(rejection.status(), rejection.body_text())),
        }
    }
}

impl From<Access> for domain::Access {
    fn from(access: Access) -> Self {
        match access {
            Access::Manager => domain::Access::Manager,
            Access::Member => domain::Access::Member,
        }
    }
}

/// A membership as PUT sets it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipBody {
    pub access: Access,
    /// The membership's last day (`YYYY-MM-DD`, in UTC); null or left out, it doesn't end.
    #[serde(default)]
    pub ends_on: Option<String>,
}

/// Someone to add by email: they join if the caller may see their account, else the
/// address is invited (whether or not it has an account, so the answer tells nothing).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub email: String,
    pub access: Access,
    /// The membership's last day (`YYYY-MM-DD`); null or left out, it doesn't end.
    #[serde(default)]
    pub ends_on: Option<String>,
}

/// What adding by email did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Added {
    /// `added` or `invited`.
    pub outcome: String,
    /// Who joined, when someone did.
    pub member: Option<Member>,
    /// The invitation sent, when one was.
    pub invitation_id: Option<i64>,
}

/// A new profile; its creator becomes its first manager.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A change to a profile: the fields given change, the rest stay.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub description: Option<String>,
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn created<T: Serialize>(location: &str, body: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Puts someone on a profile, or sets their membership, to exactly `access` until
/// `ends_on`: 201 when they joined, 200 when they were on it already. Managers and admins;
/// the person must be one the caller may find.
#[utoipa::path(put, path = "/api/v1/profiles/{id}/members/{user_id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"),
        ("user_id" = i64, Path, description = "The person's account id")),
    request_body = MembershipBody,
    responses((status = 200, description = "The membership was changed, or was so already.", body = Member),
        (status = 201, description = "They joined.", body = Member), Refusals))]
pub async fn put_member(
    Path((raw_profile, raw_user)): Path<(String, String)>,
    Body(body): Body<MembershipBody>,
) -> Result<Response, Problem> {
    let (profile, user) = (ProfileId(id(&raw_profile)?), UserId(id(&raw_user)?));
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let access = domain::Access::from(body.access);
    let ends = crate::expiry::parse_last_day(body.ends_on.as_deref(), chrono::Utc::now().date_naive())?;
    let state = crate::server::state::current()?;
    let findable = crate::access::findable(&me)?;
    if findable_account(&state.db, findable, Account::Id(user)).await?.is_none() {
        return Err(AppError::NotFound.into());
    }
    let joined = match crate::memberships::ssr::add(&state.db, (profile, user), (access, ends), me.id).await {
        Ok(_) => true,
        Err(AppError::Conflict(_)) => {
            // The end first: it is the change that may be refused (a manager extending
            // their own), so a refusal leaves the membership as it was.
            let may_extend = me.id != user || me.is_admin;
            crate::expiry::ssr::set_end(&state.db, (profile, user), ends, me.id, may_extend).await?;
            crate::memberships::ssr::set_access(&state.db, profile, user, access, me.id).await?;
            false
        }
        Err(err) => return Err(err.into()),
    };
    let member =
        crate::memberships::ssr::member(&state.db, profile, user).await?.ok_or(AppError::NotFound)?;
    let member = Member::from(member);
    Ok(match joined {
        true => created(&format!("/api/v1/profiles/{profile}/members/{user}"), member),
        false => Json(member).into_response(),
    })
}

/// Takes someone off a profile (managers and admins); the removal can be undone on the
/// profile's page.
#[utoipa::path(delete, path = "/api/v1/profiles/{id}/members/{user_id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"),
        ("user_id" = i64, Path, description = "The person's account id")),
    responses((status = 204, description = "They are off the profile."), Refusals))]
pub async fn delete_member(
    Path((raw_profile, raw_user)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (profile, user) = (ProfileId(id(&raw_profile)?), UserId(id(&raw_user)?));
    crate::memberships::remove_member(profile, user).await?;
    Ok(no_content())
}

/// Adds someone by email, as the profile page's form does: they join when the caller may
/// see their account, else the address is invited.
#[utoipa::path(post, path = "/api/v1/profiles/{id}/members", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"), super::idempotency::KeyHeader),
    request_body = NewMember,
    responses((status = 201, description = "They joined, or were invited.", body = Added), Refusals))]
pub async fn post_member(Path(raw): Path<String>, Body(body): Body<NewMember>) -> Result<Response, Problem> {
    use crate::invitations::ssr as invitations;
    let profile = ProfileId(id(&raw)?);
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let email = domain::Email::parse(&body.email)?;
    let access = domain::Access::from(body.access);
    let ends = crate::expiry::parse_last_day(body.ends_on.as_deref(), chrono::Utc::now().date_naive())?;
    let state = crate::server::state::current()?;
    let findable = crate::access::findable(&me)?;
    let added = match findable_account(&state.db, findable, Account::Email(&email)).await? {
        Some(user) => {
            crate::memberships::ssr::add(&state.db, (profile, user), (access, ends), me.id).await?;
            let member = crate::memberships::ssr::member(&state.db, profile, user).await?;
            Added { outcome: "added".into(), member: member.map(Member::from), invitation_id: None }
        }
        None => {
            let terms =
                invitations::Terms { ends, ..invitations::Terms::new(&state, profile, access, me.id) };
            let invitation = invitations::invite(&state, terms, &email).await?;
            Added { outcome: "invited".into(), member: None, invitation_id: Some(invitation) }
        }
    };
    Ok(created(&format!("/api/v1/profiles/{profile}/members"), added))
}

/// Makes a profile; the caller becomes its first manager.
#[utoipa::path(post, path = "/api/v1/profiles", tag = "profiles", params(super::idempotency::KeyHeader),
    request_body = NewProfile,
    responses((status = 201, description = "Made.", body = Profile), Refusals))]
pub async fn post_profile(Body(body): Body<NewProfile>) -> Result<Response, Problem> {
    let id = crate::profiles::create_profile(body.name, body.description).await?;
    let profile = Profile::from(crate::profiles::get_profile(id).await?);
    Ok(created(&format!("/api/v1/profiles/{id}"), profile))
}

/// Renames a profile or changes its description (managers and admins).
#[utoipa::path(patch, path = "/api/v1/profiles/{id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"), super::idempotency::KeyHeader),
    request_body = ProfileChange,
    responses((status = 200, description = "Changed.", body = Profile), Refusals))]
pub async fn patch_profile(Path(raw): Path<String>, Body(body): Body<ProfileChange>) -> Answer<Profile> {
    let id = ProfileId(id(&raw)?);
    let now = crate::profiles::get_profile(id).await?;
    let name = body.name.unwrap_or(now.name);
    let description = body.description.unwrap_or(now.description);
    crate::profiles::update_profile(id, name, description).await?;
    Ok(Json(crate::profiles::get_profile(id).await?.into()))
}

/// Deletes a profile and every membership of it (managers and admins).
#[utoipa::path(delete, path = "/api/v1/profiles/{id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id")),
    responses((status = 204, description = "Deleted."), Refusals))]
pub async fn delete_profile(Path(raw): Path<String>) -> Result<Response, Problem> {
    crate::profiles::delete_profile(ProfileId(id(&raw)?), Some("yes".into())).await?;
    Ok(no_content())
}

/// Withdraws an open invitation (managers and admins); its link stops working.
#[utoipa::path(delete, path = "/api/v1/profiles/{id}/invitations/{invitation_id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"),
        ("invitation_id" = i64, Path, description = "The invitation's id")),
    responses((status = 204, description = "Withdrawn."), Refusals))]
pub async fn delete_invitation(
    Path((raw_profile, raw)): Path<(String, String)>,
) -> Result<Response, Problem> {
    crate::invitations::revoke_invitation(ProfileId(id(&raw_profile)?), id(&raw)?).await?;
    Ok(no_content())
}

/// Grants a role to someone (admins); granting it again changes nothing.
#[utoipa::path(put, path = "/api/v1/roles/{id}/holders/{user_id}", tag = "roles",
    params(("id" = i64, Path, description = "The role's id"),
        ("user_id" = i64, Path, description = "The person's account id")),
    responses((status = 204, description = "They hold it."), Refusals))]
pub async fn put_holder(Path((raw_role, raw_user)): Path<(String, String)>) -> Result<Response, Problem> {
    let (role, user) = (RoleId(id(&raw_role)?), UserId(id(&raw_user)?));
    crate::access::require_admin().await?;
    let state = crate::server::state::current()?;
    let email: Option<String> = crate::with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(user).fetch_optional(pool).await
    })
    .map_err(AppError::from)?;
    let email = email.ok_or(AppError::NotFound)?;
    match crate::roles::assign_role(role, email, None).await {
        Ok(()) | Err(AppError::Conflict(_)) => Ok(no_content()),
        Err(err) => Err(err.into()),
    }
}

/// Takes a role from someone (admins).
#[utoipa::path(delete, path = "/api/v1/roles/{id}/holders/{user_id}", tag = "roles",
    params(("id" = i64, Path, description = "The role's id"),
        ("user_id" = i64, Path, description = "The person's account id")),
    responses((status = 204, description = "They no longer hold it."), Refusals))]
pub async fn delete_holder(Path((raw_role, raw_user)): Path<(String, String)>) -> Result<Response, Problem> {
    let (role, user) = (RoleId(id(&raw_role)?), UserId(id(&raw_user)?));
    crate::roles::unassign_role(role, user, None, None).await?;
    Ok(no_content())
}
