//! SCIM Groups: the profiles an identity provider manages (profiles.provisioned_at). A group
//! made over SCIM is such a profile from the start; an admin links an existing one from its
//! page. Its members join as members, change only through SCIM, and it needs no manager
//! while the provider owns it; every change names no person in history, and the token it was
//! made with. The token that last changed a group is the one that manages it.
//!
//! A big group is never written out whole: `members` is left out of a group with more than
//! [`MEMBERS_SHOWN`] members, as RFC 7644 §3.4.2.5 lets a service provider, and a PATCH of one
//! member costs what one membership change costs.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use super::{
    base,
    discovery::GROUP_SCHEMA,
    error::{ScimError, ScimType},
    filter::{AttrPath, CompareOp, Filter, Literal},
    resource::{self, field, pathless, ListQuery, Op, Operation, Shape},
    sql::{unfilterable, Column, Custom},
};
use crate::domain::{ProfileId, Timestamp, UserId};

/// The most members a group's representation lists.
pub const MEMBERS_SHOWN: i64 = 1000;

/// A provisioned profile as SCIM reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Row {
    pub id: ProfileId,
    pub name: String,
    pub external_id: Option<String>,
    pub member_count: i64,
    pub created_at: Timestamp,
    pub provisioned_by: Option<i64>,
    /// The group's latest history entry: its members' version.
    pub version: Option<i64>,
}

pub const COLUMNS: &str = "p.id, p.name, p.external_id, p.member_count, p.created_at, p.provisioned_by, \
    (SELECT MAX(h.id) FROM history h WHERE h.profile_id = p.id) AS version";

/// One change to a group, read from a request before anything changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Rename(String),
    SetExternalId(Option<String>),
    Add(Vec<UserId>),
    Remove(Vec<UserId>),
    RemoveAll,
    /// Exactly these members.
    Set(Vec<UserId>),
}

/// The group's ETag: its name, provider id, manager and the latest change to its members.
pub fn etag(row: &Row) -> String {
    let version = row.version.unwrap_or(0).to_string();
    let by = row.provisioned_by.unwrap_or(0).to_string();
    resource::etag(&[&row.id.to_string(), &row.name, row.external_id.as_deref().unwrap_or(""), &version, &by])
}

/// The group as SCIM shows it; `members` are its members' ids, when it shows them.
pub fn resource(row: &Row, members: Option<&[UserId]>) -> Value {
    let mut group = json!({"schemas": [GROUP_SCHEMA], "id": row.id.to_string(), "displayName": row.name});
    if let Some(external) = &row.external_id {
        group["externalId"] = json!(external);
    }
    let base = base();
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let listed: Vec<Value> = members
            .iter()
            .map(|id| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}"), "type": "User"}))
            .collect();
        group["members"] = Value::Array(listed);
    }
    group["meta"] = json!({
        "resourceType": "Group",
        "created": row.created_at,
        "location": format!("{base}/Groups/{}", row.id),
        "version": etag(row),
    });
    group
}

/// Whether a representation in `shape` lists the group's members.
pub fn shows_members(row: &Row, shape: &Shape) -> bool {
    row.member_count <= MEMBERS_SHOWN && shape.wants("members")
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// A group's name, as a profile's.
fn display_name(value: &Value) -> Result<String, ScimError> {
    match value.as_str().map(str::trim) {
        Some(name) if (1..=100).contains(&name.chars().count()) => Ok(name.to_owned()),
        _ => Err(invalid("displayName is 1 to 100 characters.")),
    }
}

fn external_id(value: &Value) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) if s.chars().count() <= 255 => Ok(Some(s.trim().to_owned())),
        _ => Err(invalid("externalId is a string of at most 255 characters.")),
    }
}

/// The people a `members` value names: a list of `{"value": "<user id>"}`, or one of them.
pub fn member_ids(value: &Value) -> Result<Vec<UserId>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    items
        .iter()
        .map(|item| {
            if field(item, "type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("group")) {
                return Err(invalid("A group's members are people: Roster has no groups within groups."));
            }
            let id = match field(item, "value") {
                Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
                Some(Value::Number(n)) => n.as_i64(),
                _ => None,
            };
            id.filter(|id| *id > 0).map(UserId).ok_or_else(|| invalid("Each member's value is a User's id."))
        })
        .collect()
}

/// The people a `members[…]` filter names: `value eq "…"`, alone or joined by `or`.
fn filtered_ids(filter: &Filter) -> Result<Vec<UserId>, ScimError> {
    match filter {
        Filter::Or(a, b) => Ok([filtered_ids(a)?, filtered_ids(b)?].concat()),
        Filter::Compare(path, CompareOp::Eq, Literal::String(id)) if path.name == "value" => {
            Ok(id.trim().parse::<i64>().ok().filter(|id| *id > 0).map(UserId).into_iter().collect())
        }
        _ => Err(ScimError::bad(
            ScimType::InvalidFilter,
            "A members filter is value eq \"<id>\", or several joined by or.",
        )),
    }
}

/// A whole Group (a create's or a replace's body) as the changes that make a group so.
pub fn replacement(doc: &Value) -> Result<Vec<Change>, ScimError> {
    let name = field(doc, "displayName").ok_or_else(|| invalid("A Group needs its displayName."))?;
    let members = match field(doc, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => member_ids(value)?,
    };
    Ok(vec![
        Change::Rename(display_name(name)?),
        Change::SetExternalId(external_id(field(doc, "externalId").unwrap_or(&Value::Null))?),
        Change::Set(members),
    ])
}

/// A PATCH's operations as changes (RFC 7644 §3.5.2), as Okta and Entra send them.
pub fn changes(operations: &[Operation]) -> Result<Vec<Change>, ScimError> {
    let mut changes = Vec::new();
    for operation in operations {
        match (&operation.path, &operation.value) {
            (Some(path), value) => {
                if let Some(change) = change(operation.op, path, value.as_ref())? {
                    changes.push(change);
                }
            }
            (None, Some(value)) => {
                for (path, value) in pathless(value)? {
                    if let Some(change) = change(operation.op, &path, Some(&value))? {
                        changes.push(change);
                    }
                }
            }
            (None, None) => return Err(ScimError::bad(ScimType::NoTarget, "The operation names nothing.")),
        }
    }
    Ok(changes)
}

fn change(
    op: Op,
    path: &super::filter::PatchPath,
    value: Option<&Value>,
) -> Result<Option<Change>, ScimError> {
    if path.attr.schema.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(GROUP_SCHEMA)) {
        return Ok(None);
    }
    let needs = || value.ok_or_else(|| invalid("The operation needs a value."));
    Ok(Some(match (path.attr.name.as_str(), op) {
        ("displayname", Op::Remove) => return Err(invalid("A group keeps its displayName.")),
        ("displayname", _) => Change::Rename(display_name(needs()?)?),
        ("externalid", Op::Remove) => Change::SetExternalId(None),
        ("externalid", _) => Change::SetExternalId(external_id(needs()?)?),
        ("members", _) if path.attr.sub.is_some() || path.sub.is_some() => {
            return Err(ScimError::bad(ScimType::InvalidPath, "A member is added or removed whole."));
        }
        ("members", Op::Remove) => match (&path.filter, value) {
            (Some(filter), _) => Change::Remove(filtered_ids(filter)?),
            (None, Some(value)) => Change::Remove(member_ids(value)?),
            (None, None) => Change::RemoveAll,
        },
        ("members", _) if path.filter.is_some() => {
            return Err(ScimError::bad(ScimType::InvalidPath, "Add members without a filter."));
        }
        ("members", Op::Add) => Change::Add(member_ids(needs()?)?),
        ("members", Op::Replace) => Change::Set(member_ids(needs()?)?),
        // What Roster doesn't keep, or the client can't change (id, meta), stays as it is.
        _ => return Ok(None),
    }))
}

/// What a Group's attribute is in a filter or a sort.
pub fn column(path: &AttrPath) -> Result<Column, ScimError> {
    if path.schema.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(GROUP_SCHEMA)) {
        return Err(unfilterable(&path.name));
    }
    Ok(match (path.name.as_str(), path.sub.as_deref()) {
        ("id", None) => Column::Id("p.id"),
        ("displayname", None) => Column::Always(&Column::Text { expr: "p.name", exact: false }),
        ("externalid", None) => Column::Text { expr: "p.external_id", exact: true },
        ("members", None | Some("value")) => Column::Custom(Custom::Member),
        (name, None) => return Err(unfilterable(name)),
        (name, Some(sub)) => return Err(unfilterable(&format!("{name}.{sub}"))),
    })
}

pub fn parse_id(raw: &str) -> Result<ProfileId, ScimError> {
    resource::path_id(raw).map(ProfileId)
}

/// The group as an answer: its representation in `shape`, with its members when it shows them.
async fn answer(
    state: &crate::server::state::AppState,
    row: &Row,
    shape: &Shape,
    status: StatusCode,
) -> Result<Response, ScimError> {
    let members = match shows_members(row, shape) {
        true => Some(store::members(&state.db, row.id).await?),
        false => None,
    };
    let group = resource(row, members.as_deref());
    let location = (status == StatusCode::CREATED)
        .then(|| group["meta"]["location"].as_str().unwrap_or_default().to_owned());
    Ok(resource::answer(status, &shape.apply(group), &etag(row), location.as_deref()))
}

async fn listing(query: ListQuery) -> Result<Response, ScimError> {
    let state = crate::server::state::current().map_err(ScimError::from)?;
    let (total, rows) = store::list(&state.db, &query).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let members = match shows_members(row, &query.shape) {
            true => Some(store::members(&state.db, row.id).await?),
            false => None,
        };
        items.push(query.shape.apply(resource(row, members.as_deref())));
    }
    Ok(super::scim_json(StatusCode::OK, &resource::list(total, query.start, items)))
}

pub async fn list(Query(query): Query<HashMap<String, String>>) -> Result<Response, ScimError> {
    listing(ListQuery::from_query(&query)?).await
}

pub async fn search(body: Bytes) -> Result<Response, ScimError> {
    listing(ListQuery::from_search(&resource::read_body(&body)?)?).await
}

pub async fn get(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let id = parse_id(&raw)?;
    let shape = ListQuery::from_query(&query)?.shape;
    let state = crate::server::state::current().map_err(ScimError::from)?;
    let row = store::get(&state.db, id).await?.ok_or_else(ScimError::not_found)?;
    if resource::not_modified(&headers, &etag(&row)) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    answer(&state, &row, &shape, StatusCode::OK).await
}

pub async fn create(
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let shape = ListQuery::from_query(&query)?.shape;
    let changes = replacement(&resource::read_body(&body)?)?;
    let state = crate::server::state::current().map_err(ScimError::from)?;
    let id = store::create(&state.db, &changes).await?;
    tracing::info!(profile = %id, token = ?crate::api_tokens::ssr::acting(), "group provisioned over SCIM");
    let row = store::get(&state.db, id).await?.ok_or_else(ScimError::not_found)?;
    answer(&state, &row, &shape, StatusCode::CREATED).await
}

/// Applies the changes `read` makes of the body to the group the path names.
async fn apply_body(
    raw: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
    read: fn(&Value) -> Result<Vec<Change>, ScimError>,
) -> Result<Response, ScimError> {
    let id = parse_id(raw)?;
    let shape = ListQuery::from_query(query)?.shape;
    let changes = read(&resource::read_body(body)?)?;
    let state = crate::server::state::current().map_err(ScimError::from)?;
    let row = store::change(&state.db, id, headers, &changes).await?;
    answer(&state, &row, &shape, StatusCode::OK).await
}

pub async fn replace(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    apply_body(&raw, &query, &headers, &body, replacement).await
}

pub async fn modify(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    apply_body(&raw, &query, &headers, &body, |doc| changes(&resource::operations(doc)?)).await
}

pub async fn delete(Path(raw): Path<String>, headers: HeaderMap) -> Result<Response, ScimError> {
    let id = parse_id(&raw)?;
    let state = crate::server::state::current().map_err(ScimError::from)?;
    store::delete(&state.db, id, &headers).await?;
    tracing::info!(profile = %id, token = ?crate::api_tokens::ssr::acting(), "group deleted over SCIM");
    Ok(StatusCode::NO_CONTENT.into_response())
}

mod store;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::resource::operations;

    fn patch(ops: Value) -> Result<Vec<Change>, ScimError> {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        changes(&operations(&body)?)
    }

    #[test]
    fn member_changes_as_providers_send_them() {
        assert_eq!(
            patch(json!([{"op": "remove", "path": "members[value eq \"7\"]"}])).unwrap(),
            [Change::Remove(vec![UserId(7)])]
        );
        assert_eq!(
            patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "7"}, {"value": "8"}]}]))
                .unwrap(),
            [Change::Remove(vec![UserId(7), UserId(8)])]
        );
        assert_eq!(
            patch(json!([{"op": "Add", "path": "members", "value": [{"value": "9", "display": "Ann"}]}]))
                .unwrap(),
            [Change::Add(vec![UserId(9)])]
        );
        assert_eq!(
            patch(
                json!([{"op": "replace", "value": {"displayName": "Ops", "externalId": "g-1", "id": "3"}}])
            )
            .unwrap(),
            [Change::Rename("Ops".into()), Change::SetExternalId(Some("g-1".into()))]
        );
        assert_eq!(patch(json!([{"op": "remove", "path": "members"}])).unwrap(), [Change::RemoveAll]);
        assert!(patch(json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}])).is_err());
        assert!(patch(json!([{"op": "add", "path": "members", "value": [{"value": "4", "type": "Group"}]}]))
            .is_err());
        assert!(patch(json!([{"op": "remove", "path": "displayName"}])).is_err());
    }
}
