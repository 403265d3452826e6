//! The API's reads: each calls the server function its page calls, whose first line is the
//! access check, and shapes the answer as `types` says.

use axum::{
    extract::{FromRequestParts, Path, Query},
    http::{request::Parts, Uri},
    response::Response,
    Json,
};
use leptos::prelude::{provide_context, use_context};
use serde::de::DeserializeOwned;

use super::{
    page_response,
    problem::{Problem, Refusals},
    types::{
        Account, AccountDetail, HistoryEntry, HistoryQuery, Holder, Invitation, InvitationQuery, LinkQuery,
        List, ListQuery, Me, Member, Membership, Person, Profile, ProfileListing, Role, Token,
    },
    Answer, LIMIT_MAX,
};
use crate::{
    api_tokens::{ssr::Caller, Scope},
    domain::{ProfileId, RoleId, UserId},
    error::AppError,
    server::lists::PageSize,
};

/// A query string read as `T`; a malformed one is a 400 problem, not axum's plain text.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(params)) => Ok(Params(params)),
            Err(rejection) => Err(Problem::from(AppError::BadRequest(format!(
                "The query string is malformed: {}",
                rejection.body_text()
            )))),
        }
    }
}

/// A path's id: anything but a number names nothing, the same "not found" as a missing one.
pub(super) fn id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Sets this request's page size from `limit`, when given.
pub(super) fn page_size(limit: Option<usize>) -> Result<(), AppError> {
    match limit {
        None => Ok(()),
        Some(n) if (1..=LIMIT_MAX).contains(&n) => {
            provide_context(PageSize(n));
            Ok(())
        }
        Some(_) => Err(AppError::invalid("limit", format!("limit is from 1 to {LIMIT_MAX}."))),
    }
}

/// Who the token acts for.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "What was asked for.", body = Me), Refusals))]
pub async fn me() -> Answer<Me> {
    let caller = use_context::<Caller>().ok_or_else(|| Problem::from(AppError::sign_in_required()))?;
    let token = Token {
        id: caller.token,
        name: caller.name.clone(),
        kind: if caller.service { "service" } else { "personal" }.into(),
        scopes: caller.scopes.iter().map(|s| Scope::name(s).to_owned()).collect(),
    };
    let person = (!caller.service).then(|| Person {
        id: caller.user.id.0,
        name: caller.user.display_name.clone(),
        email: caller.user.email.clone(),
    });
    Ok(Json(Me { token, person, admin: caller.user.is_admin }))
}

/// Every account (admins): searched by the start of a name or email, by name or newest.
#[utoipa::path(get, path = "/api/v1/users", tag = "people", params(ListQuery),
    responses((status = 200, description = "What was asked for.", body = List<Account>), Refusals))]
pub async fn users(uri: Uri, Params(q): Params<ListQuery>) -> Result<Response, Problem> {
    page_size(q.limit)?;
    let page = crate::users::list_users(q.q, q.sort, q.cursor).await?;
    Ok(page_response(List::from_page(page, Account::from, &uri)))
}

/// One account: the caller's own, or anyone's for an admin.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people",
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 200, description = "What was asked for.", body = AccountDetail), Refusals))]
pub async fn user(Path(raw): Path<String>) -> Answer<AccountDetail> {
    let detail = crate::users::get_user(UserId(id(&raw)?)).await?;
    Ok(Json(detail.into()))
}

/// The profiles a person is on: the caller's own, or anyone's for an admin.
#[utoipa::path(get, path = "/api/v1/users/{id}/profiles", tag = "people",
    params(("id" = i64, Path, description = "The account's id"), LinkQuery),
    responses((status = 200, description = "What was asked for.", body = List<Membership>), Refusals))]
pub async fn user_profiles(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<LinkQuery>,
) -> Result<Response, Problem> {
    let user = UserId(id(&raw)?);
    page_size(q.limit)?;
    let page = crate::profiles::list_user_profiles(Some(user), q.q, q.access, q.sort, q.cursor).await?;
    Ok(page_response(List::from_page(page, Membership::from, &uri)))
}

/// Every profile (admins): searched by the start of its name, by name or newest.
#[utoipa::path(get, path = "/api/v1/profiles", tag = "profiles", params(ListQuery),
    responses((status = 200, description = "What was asked for.", body = List<ProfileListing>), Refusals))]
pub async fn profiles(uri: Uri, Params(q): Params<ListQuery>) -> Result<Response, Problem> {
    page_size(q.limit)?;
    let page = crate::profiles::list_all_profiles(q.q, q.sort, q.cursor).await?;
    Ok(page_response(List::from_page(page, ProfileListing::from, &uri)))
}

/// One profile, for its members and admins.
#[utoipa::path(get, path = "/api/v1/profiles/{id}", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id")),
    responses((status = 200, description = "What was asked for.", body = Profile), Refusals))]
pub async fn profile(Path(raw): Path<String>) -> Answer<Profile> {
    let detail = crate::profiles::get_profile(ProfileId(id(&raw)?)).await?;
    Ok(Json(detail.into()))
}

/// Who is on a profile, for its members and admins: searched, filtered by access, by name
/// or newest.
#[utoipa::path(get, path = "/api/v1/profiles/{id}/members", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"), LinkQuery),
    responses((status = 200, description = "What was asked for.", body = List<Member>), Refusals))]
pub async fn members(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<LinkQuery>,
) -> Result<Response, Problem> {
    let profile = ProfileId(id(&raw)?);
    page_size(q.limit)?;
    let page = crate::memberships::list_members(profile, q.q, q.access, q.sort, q.cursor).await?;
    Ok(page_response(List::from_page(page, Member::from, &uri)))
}

/// A profile's invitations, newest first, for its managers and admins: the open ones, or
/// with `all` every one.
#[utoipa::path(get, path = "/api/v1/profiles/{id}/invitations", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"), InvitationQuery),
    responses((status = 200, description = "What was asked for.", body = List<Invitation>), Refusals))]
pub async fn invitations(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<InvitationQuery>,
) -> Result<Response, Problem> {
    let profile = ProfileId(id(&raw)?);
    let all = q.all.unwrap_or(false).then(|| "yes".to_owned());
    let page = crate::invitations::list_invitations(profile, all, q.cursor).await?;
    Ok(page_response(List::from_page(page, Invitation::from, &uri)))
}

/// Every role (admins).
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles",
    responses((status = 200, description = "What was asked for.", body = Vec<Role>), Refusals))]
pub async fn roles() -> Answer<Vec<Role>> {
    let roles = crate::roles::list_roles().await?;
    Ok(Json(roles.into_iter().map(Role::from).collect()))
}

/// One role (admins).
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles",
    params(("id" = i64, Path, description = "The role's id")),
    responses((status = 200, description = "What was asked for.", body = Role), Refusals))]
pub async fn role(Path(raw): Path<String>) -> Answer<Role> {
    let role = crate::roles::get_role(RoleId(id(&raw)?)).await?;
    Ok(Json(role.into()))
}

/// Who holds a role (admins): searched, by name or newest.
#[utoipa::path(get, path = "/api/v1/roles/{id}/holders", tag = "roles",
    params(("id" = i64, Path, description = "The role's id"), ListQuery),
    responses((status = 200, description = "What was asked for.", body = List<Holder>), Refusals))]
pub async fn holders(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<ListQuery>,
) -> Result<Response, Problem> {
    let role = RoleId(id(&raw)?);
    page_size(q.limit)?;
    let page = crate::roles::list_holders(role, q.q, q.sort, q.cursor).await?;
    Ok(page_response(List::from_page(page, Holder::from, &uri)))
}

/// A profile's history, newest first, for its members and admins: filtered by action,
/// searched by the start of a name or email.
#[utoipa::path(get, path = "/api/v1/profiles/{id}/history", tag = "profiles",
    params(("id" = i64, Path, description = "The profile's id"), HistoryQuery),
    responses((status = 200, description = "What was asked for.", body = List<HistoryEntry>), Refusals))]
pub async fn profile_history(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<HistoryQuery>,
) -> Result<Response, Problem> {
    let profile = ProfileId(id(&raw)?);
    page_size(q.limit)?;
    let page = crate::history::list_profile_history(profile, q.action, q.q, q.cursor).await?;
    Ok(page_response(List::from_page(page, HistoryEntry::from, &uri)))
}

/// A person's history across profiles and roles, newest first: one's own, or anyone's for
/// an admin.
#[utoipa::path(get, path = "/api/v1/users/{id}/history", tag = "people",
    params(("id" = i64, Path, description = "The account's id"), HistoryQuery),
    responses((status = 200, description = "What was asked for.", body = List<HistoryEntry>), Refusals))]
pub async fn user_history(
    uri: Uri,
    Path(raw): Path<String>,
    Params(q): Params<HistoryQuery>,
) -> Result<Response, Problem> {
    let user = UserId(id(&raw)?);
    page_size(q.limit)?;
    if q.q.is_some() {
        return Err(
            AppError::invalid("q", "A person's history can't be searched; filter it by action.").into()
        );
    }
    let page = crate::history::list_user_history(user, q.action, q.cursor).await?;
    Ok(page_response(List::from_page(page, HistoryEntry::from, &uri)))
}
