//! The API's JSON: its own types, not the pages', so the contract holds while the pages
//! change; each built from what the server functions return.

use axum::http::Uri;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{domain, paging::Page};

/// A moment, in RFC 3339 (UTC).
type Moment = domain::Timestamp;

/// In what capacity someone is on a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Manager,
    Member,
}

impl From<domain::Access> for Access {
    fn from(access: domain::Access) -> Self {
        match access {
            domain::Access::Manager => Access::Manager,
            domain::Access::Member => Access::Member,
        }
    }
}

/// One page of a list. Ask for the next with `cursor` (or follow `next`) until it is null.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// How many rows the list has under its search and filter; with `total_is_lower_bound`,
    /// at least this many (a broad search stops counting).
    pub total: i64,
    pub total_is_lower_bound: bool,
    /// The `cursor` of the next page; null on the last.
    pub next_cursor: Option<String>,
    /// The next page's address (also in the `Link` header); null on the last.
    pub next: Option<String>,
}

impl<T> List<T> {
    /// `page` as the API shows it, each row made by `row`; `uri` is this page's address.
    pub fn from_page<U>(page: Page<U>, row: impl FnMut(U) -> T, uri: &Uri) -> Self {
        let next = page.next.as_deref().map(|cursor| with_cursor(uri, cursor));
        List {
            total: page.total,
            total_is_lower_bound: page.more,
            next_cursor: page.next.clone(),
            next,
            items: page.items.into_iter().map(row).collect(),
        }
    }
}

/// `uri` with its `cursor` parameter set to `cursor`, the rest kept.
fn with_cursor(uri: &Uri, cursor: &str) -> String {
    let kept = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(name, _)| name != "cursor")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect::<Vec<_>>();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .append_pair("cursor", cursor)
        .finish();
    format!("{}?{query}", uri.path())
}

/// A list's search, order and page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The start of a name or email (of a name, for profiles), any case.
    pub q: Option<String>,
    /// `name` (A to Z, the default) or `since` (newest first).
    pub sort: Option<String>,
    /// Where the page starts: a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows on the page, 1 to 200; 50 when left out.
    pub limit: Option<usize>,
}

/// A list of links' search, order, filter and page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The start of a name or email (of a name, for profiles), any case.
    pub q: Option<String>,
    /// Only links of this access: `manager` or `member`.
    pub access: Option<String>,
    /// `name` (A to Z, the default) or `since` (newest first).
    pub sort: Option<String>,
    /// Where the page starts: a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows on the page, 1 to 200; 50 when left out.
    pub limit: Option<usize>,
}

/// A history's filter and page.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only entries of this action: `added`, `removed`, `changed` or `restored`.
    pub action: Option<String>,
    /// The start of the name or email of the person an entry is about (a profile's only).
    pub q: Option<String>,
    /// Where the page starts: a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows on the page, 1 to 200; 50 when left out.
    pub limit: Option<usize>,
}

/// Where a page of invitations starts.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    /// `true`: closed invitations too (accepted, revoked, expired), not only open ones.
    pub all: Option<bool>,
    /// Where the page starts: a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// The token a request came with, and whom it acts for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Me {
    pub token: Token,
    /// The person a personal token acts for; null for a service token.
    pub person: Option<Person>,
    /// Whether the token uses admin power (its owner is an admin, or it is a service token,
    /// and it has the `admin` scope).
    pub admin: bool,
}

/// An access token, never its secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// `personal` or `service`.
    pub kind: String,
    /// Of `read`, `write`, `admin`, `scim`.
    pub scopes: Vec<String>,
}

/// A person's account.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// An account in the directory (admins).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Moment,
}

impl From<crate::users::UserRow> for Account {
    fn from(row: crate::users::UserRow) -> Self {
        Account { id: row.id.0, name: row.display_name, email: row.email, created_at: row.created_at }
    }
}

/// An account, its roles and whether it is deactivated.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: Account,
    pub roles: Vec<HeldRole>,
    /// When an admin deactivated it, if one did: it can't sign in, nor can its tokens.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deactivated_at: Option<Moment>,
}

/// A role someone holds, and since when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HeldRole {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub since: Moment,
}

impl From<crate::users::UserDetail> for AccountDetail {
    fn from(detail: crate::users::UserDetail) -> Self {
        let roles = detail
            .roles
            .into_iter()
            .map(|r| HeldRole { id: r.id.0, name: r.name, since: r.assigned_at })
            .collect();
        AccountDetail { account: detail.user.into(), roles, deactivated_at: detail.deactivated_at }
    }
}

/// A profile someone is on, in what capacity and since when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Membership {
    pub profile_id: i64,
    pub name: String,
    pub access: Access,
    pub member_count: i64,
    #[schema(value_type = String, format = DateTime)]
    pub since: Moment,
}

impl From<crate::profiles::ProfileSummary> for Membership {
    fn from(p: crate::profiles::ProfileSummary) -> Self {
        Membership {
            profile_id: p.id.0,
            name: p.name,
            access: p.access.into(),
            member_count: p.member_count,
            since: p.added_at,
        }
    }
}

/// A profile in the list of every profile (admins).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProfileListing {
    pub id: i64,
    pub name: String,
    pub member_count: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Moment,
    /// Who made it, while their account lasts.
    pub created_by: Option<String>,
}

impl From<crate::profiles::ProfileListing> for ProfileListing {
    fn from(p: crate::profiles::ProfileListing) -> Self {
        ProfileListing {
            id: p.id.0,
            name: p.name,
            member_count: p.member_count,
            created_at: p.created_at,
            created_by: p.created_by,
        }
    }
}

/// A profile, as the caller sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Moment,
    /// The caller's own access to it, if they are on it.
    pub your_access: Option<Access>,
    /// Whether the caller may change it and its members.
    pub can_manage: bool,
}

impl From<crate::profiles::ProfileDetail> for Profile {
    fn from(p: crate::profiles::ProfileDetail) -> Self {
        Profile {
            id: p.id.0,
            name: p.name,
            description: p.description,
            member_count: p.member_count,
            created_at: p.created_at,
            your_access: p.my_access.map(Access::from),
            can_manage: p.can_manage,
        }
    }
}

/// Someone on a profile.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub access: Access,
    #[schema(value_type = String, format = DateTime)]
    pub since: Moment,
    /// Who added them, while that account lasts.
    pub added_by: Option<String>,
    /// When the membership ends, if it does.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Moment>,
    /// Whether their account is deactivated.
    pub deactivated: bool,
}

impl From<crate::memberships::Member> for Member {
    fn from(m: crate::memberships::Member) -> Self {
        Member {
            user_id: m.user_id.0,
            name: m.display_name,
            email: m.email,
            access: m.access.into(),
            since: m.added_at,
            added_by: m.added_by,
            ends_at: m.ends_at,
            deactivated: m.deactivated,
        }
    }
}

/// An invitation to a profile, open or closed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub access: Access,
    pub invited_by: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub invited_at: Moment,
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Moment,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Moment,
    /// Null while open; else `accepted`, `revoked` or `expired`.
    pub outcome: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Moment>,
    pub closed_by: Option<String>,
}

impl From<crate::invitations::Invitation> for Invitation {
    fn from(i: crate::invitations::Invitation) -> Self {
        Invitation {
            id: i.id,
            email: i.email,
            access: i.access.into(),
            invited_by: i.invited_by,
            invited_at: i.invited_at,
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            outcome: i.outcome.map(|o| o.as_str().to_owned()),
            closed_at: i.closed_at,
            closed_by: i.closed_by,
        }
    }
}

/// A role.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub holder_count: i64,
}

impl From<crate::roles::Role> for Role {
    fn from(r: crate::roles::Role) -> Self {
        Role { id: r.id.0, name: r.name, description: r.description, holder_count: r.holder_count }
    }
}

/// Someone who holds a role, and since when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Holder {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    #[schema(value_type = String, format = DateTime)]
    pub since: Moment,
}

impl From<crate::roles::Holder> for Holder {
    fn from(h: crate::roles::Holder) -> Self {
        Holder { user_id: h.user_id.0, name: h.display_name, email: h.email, since: h.assigned_at }
    }
}

/// One change in a history: who did what to whom, on which profile or role, and when.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Moment,
    /// Who made the change; null for Roster itself (an end date passing) or an account
    /// that is gone.
    pub actor: Option<String>,
    /// The access token it was made with, as it was named then.
    pub via_token: Option<String>,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub profile_id: Option<i64>,
    pub profile_name: Option<String>,
    pub role_id: Option<i64>,
    pub role_name: Option<String>,
    /// `added`, `removed`, `changed` or `restored`.
    pub action: String,
    pub access_before: Option<Access>,
    pub access_after: Option<Access>,
    /// The change in words, as the pages say it.
    pub description: String,
}

impl From<crate::history::Entry> for HistoryEntry {
    fn from(e: crate::history::Entry) -> Self {
        HistoryEntry {
            description: e.describe(),
            id: e.id,
            at: e.at,
            actor: e.actor,
            via_token: e.via_token,
            user_id: e.user_id.0,
            user_name: e.user_name,
            profile_id: e.profile_id.map(|p| p.0),
            profile_name: e.profile_name,
            role_id: e.role_id.map(|r| r.0),
            role_name: e.role_name,
            action: e.action.as_str().to_owned(),
            access_before: e.access_before.map(Access::from),
            access_after: e.access_after.map(Access::from),
        }
    }
}
