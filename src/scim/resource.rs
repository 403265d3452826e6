//! What Users and Groups share: a list's query (`filter`, `startIndex`, `count`, `sortBy`,
//! `sortOrder`), the partial representations `attributes` and `excludedAttributes` ask for,
//! ETags and `If-Match`, and the reading of a PATCH request's operations as identity
//! providers send them (Entra's `"Replace"` and `"False"` included).

use std::collections::HashMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{
    discovery::MAX_RESULTS,
    error::{ScimError, ScimType},
    filter::{parse_filter, parse_path, AttrPath, Filter, PatchPath},
};

/// A list request's parameters, from the query string or a `/.search` body.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based, as SCIM counts.
    pub start: u64,
    pub count: u64,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    pub shape: Shape,
}

impl ListQuery {
    /// Reads the query string's parameters (their names ignore case).
    pub fn from_query(query: &HashMap<String, String>) -> Result<ListQuery, ScimError> {
        let get = |name: &str| {
            query.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
        };
        let filter = match get("filter") {
            Some(text) if !text.trim().is_empty() => {
                Some(parse_filter(text).map_err(|e| ScimError::bad(ScimType::InvalidFilter, e.0))?)
            }
            _ => None,
        };
        let number = |name: &str, default: u64| match get(name) {
            None | Some("") => Ok(default),
            // A negative or zero startIndex means 1, a negative count 0 (RFC 7644 §3.4.2.4).
            Some(raw) => raw.trim().parse::<i64>().map(|n| n.max(0) as u64).map_err(|_| {
                ScimError::bad(ScimType::InvalidValue, format!("{name} must be a whole number."))
            }),
        };
        let start = number("startIndex", 1)?.max(1);
        let count = number("count", MAX_RESULTS as u64)?.min(MAX_RESULTS as u64);
        let sort_by = match get("sortBy") {
            Some(text) if !text.trim().is_empty() => Some(
                parse_path(text)
                    .ok()
                    .filter(|p| p.filter.is_none())
                    .map(|p| p.attr)
                    .ok_or_else(|| ScimError::bad(ScimType::InvalidPath, "sortBy names no attribute."))?,
            ),
            _ => None,
        };
        let descending = get("sortOrder").is_some_and(|o| o.eq_ignore_ascii_case("descending"));
        let shape = Shape::new(get("attributes"), get("excludedAttributes"))?;
        Ok(ListQuery { filter, start, count, sort_by, descending, shape })
    }

    /// Reads a `POST …/.search` body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> Result<ListQuery, ScimError> {
        let mut query = HashMap::new();
        for (key, value) in body.as_object().into_iter().flatten() {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
                _ => continue,
            };
            query.insert(key.clone(), text);
        }
        ListQuery::from_query(&query)
    }
}

/// Which attributes a representation holds: all it returns by default, only those named by
/// `attributes`, or all but those named by `excludedAttributes`.
#[derive(Clone, Debug, Default)]
pub enum Shape {
    #[default]
    Default,
    Only(Vec<(String, Option<String>)>),
    Without(Vec<(String, Option<String>)>),
}

impl Shape {
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Result<Shape, ScimError> {
        let names = |text: &str| -> Result<Vec<(String, Option<String>)>, ScimError> {
            text.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| {
                    let path = parse_path(name).ok().filter(|p| p.filter.is_none()).ok_or_else(|| {
                        ScimError::bad(ScimType::InvalidPath, format!("\"{name}\" is no attribute."))
                    })?;
                    Ok((path.attr.name, path.attr.sub))
                })
                .collect()
        };
        match (attributes.filter(|a| !a.trim().is_empty()), excluded.filter(|e| !e.trim().is_empty())) {
            (Some(_), Some(_)) => Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "Ask for attributes or excludedAttributes, not both.",
            )),
            (Some(only), None) => Ok(Shape::Only(names(only)?)),
            (None, Some(without)) => Ok(Shape::Without(names(without)?)),
            (None, None) => Ok(Shape::Default),
        }
    }

    /// Whether the representation holds `name` (lower-cased) at all.
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Shape::Default => true,
            Shape::Only(names) => ALWAYS.contains(&name) || names.iter().any(|(n, _)| n == name),
            Shape::Without(names) => !names.iter().any(|(n, sub)| n == name && sub.is_none()),
        }
    }

    /// `resource` cut to this shape; `id`, `schemas` and `meta` always stay.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(fields) = resource else { return resource };
        let mut kept = Map::new();
        for (key, value) in fields {
            let lower = key.to_ascii_lowercase();
            let value = match self {
                _ if ALWAYS.contains(&lower.as_str()) => Some(value),
                Shape::Default => Some(value),
                Shape::Only(names) => only(names, &lower, value),
                Shape::Without(names) => without(names, &lower, value),
            };
            if let Some(value) = value {
                kept.insert(key, value);
            }
        }
        Value::Object(kept)
    }
}

/// What every representation holds, whatever was asked for.
const ALWAYS: [&str; 3] = ["id", "schemas", "meta"];

fn only(names: &[(String, Option<String>)], key: &str, value: Value) -> Option<Value> {
    let asked: Vec<&Option<String>> = names.iter().filter(|(n, _)| n == key).map(|(_, s)| s).collect();
    if asked.is_empty() {
        return None;
    }
    if asked.iter().any(|sub| sub.is_none()) {
        return Some(value);
    }
    let subs: Vec<&str> = asked.iter().filter_map(|s| s.as_deref()).collect();
    Some(map_subs(value, |sub| subs.contains(&sub)))
}

fn without(names: &[(String, Option<String>)], key: &str, value: Value) -> Option<Value> {
    let dropped: Vec<&Option<String>> = names.iter().filter(|(n, _)| n == key).map(|(_, s)| s).collect();
    if dropped.iter().any(|sub| sub.is_none()) {
        return None;
    }
    let subs: Vec<&str> = dropped.iter().filter_map(|s| s.as_deref()).collect();
    Some(map_subs(value, |sub| !subs.contains(&sub)))
}

/// `value` (an object, or a list of them) keeping the sub-attributes `keep` says yes to.
fn map_subs(value: Value, keep: impl Fn(&str) -> bool + Copy) -> Value {
    let cut = |object: Map<String, Value>| {
        Value::Object(object.into_iter().filter(|(k, _)| keep(&k.to_ascii_lowercase())).collect())
    };
    match value {
        Value::Object(object) => cut(object),
        Value::Array(items) => Value::Array(
            items.into_iter().map(|item| if let Value::Object(o) = item { cut(o) } else { item }).collect(),
        ),
        other => other,
    }
}

/// The id a resource's path names; anything but a positive number names nothing (404).
pub fn path_id(raw: &str) -> Result<i64, ScimError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ScimError::not_found()),
    }
}

/// A request's JSON body; anything else is `invalidSyntax`.
pub fn read_body(body: &[u8]) -> Result<Value, ScimError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ScimError::bad(ScimType::InvalidSyntax, "The body must be a JSON object.")),
        Err(e) => Err(ScimError::bad(ScimType::InvalidSyntax, format!("The body is not valid JSON: {e}."))),
    }
}

/// A resource as an answer, with its ETag and, for a new one, its `Location`.
pub fn answer(
    status: StatusCode,
    resource: &Value,
    tag: &str,
    location: Option<&str>,
) -> axum::response::Response {
    let mut response = super::scim_json(status, resource);
    let headers = response.headers_mut();
    if let Some(tag) = etag_header(tag) {
        headers.insert(header::ETAG, tag);
    }
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// One page of a list (RFC 7644 §3.4.2): `total` in all, from `start` (1-based).
pub fn list(total: u64, start: u64, items: Vec<Value>) -> Value {
    serde_json::json!({
        "schemas": [super::discovery::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

/// A weak ETag over what identifies a version of a resource.
pub fn etag(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// Refuses a change whose `If-Match` names no ETag the resource has now (412).
pub fn check_if_match(headers: &HeaderMap, current: &str) -> Result<(), ScimError> {
    let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    let now = bare(current);
    if wanted.split(',').any(|tag| tag.trim() == "*" || bare(tag) == now) {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        "The resource has changed since that version (If-Match). Read it again.",
    ))
}

/// Whether a GET's `If-None-Match` names the version the resource has now (304).
pub fn not_modified(headers: &HeaderMap, current: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == current || tag.trim() == "*"))
}

pub fn etag_header(tag: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(tag).ok()
}

/// A PATCH operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

/// One operation of a PATCH request, read.
#[derive(Clone, Debug)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The operations of a PATCH body (RFC 7644 §3.5.2). `op` ignores case, as Entra sends
/// `"Replace"`.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let schemas_ok = body["schemas"].as_array().is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA));
    if !schemas_ok {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("A PATCH body's schemas must hold {PATCH_SCHEMA}."),
        ));
    }
    let Some(list) = body.get("Operations").or_else(|| body.get("operations")).and_then(Value::as_array)
    else {
        return Err(ScimError::bad(ScimType::InvalidSyntax, "A PATCH body needs its Operations."));
    };
    list.iter().map(operation).collect()
}

fn operation(item: &Value) -> Result<Operation, ScimError> {
    let op = match item["op"].as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("add") => Op::Add,
        Some("remove") => Op::Remove,
        Some("replace") => Op::Replace,
        _ => {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                "Each operation's op is add, remove or replace.",
            ))
        }
    };
    let path = match item.get("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if !text.trim().is_empty() => {
            Some(parse_path(text.trim()).map_err(|e| ScimError::bad(ScimType::InvalidPath, e.0))?)
        }
        Some(_) => return Err(ScimError::bad(ScimType::InvalidPath, "An operation's path is a string.")),
    };
    let value = item.get("value").filter(|v| !v.is_null()).cloned();
    match (op, &path, &value) {
        (Op::Remove, None, _) => Err(ScimError::bad(ScimType::NoTarget, "A remove operation needs a path.")),
        (Op::Add | Op::Replace, _, None) => {
            Err(ScimError::bad(ScimType::InvalidValue, "An add or replace operation needs a value."))
        }
        _ => Ok(Operation { op, path, value }),
    }
}

/// A boolean as providers send one: `true`, or Entra's `"True"` and `"False"`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The attribute `name` (any case) of a JSON object.
pub fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// A path-less add or replace's value as (attribute, value) pairs, with attributes named
/// by URN (`urn:…:User:name.givenName`) read as their own paths.
pub fn pathless(value: &Value) -> Result<Vec<(PatchPath, Value)>, ScimError> {
    let Some(object) = value.as_object() else {
        return Err(ScimError::bad(ScimType::InvalidValue, "An operation without a path takes an object."));
    };
    object
        .iter()
        .filter(|(key, _)| !key.eq_ignore_ascii_case("schemas"))
        .map(|(key, value)| {
            let path = parse_path(key).map_err(|e| ScimError::bad(ScimType::InvalidPath, e.0))?;
            Ok((path, value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_cut_representations() {
        let user = json!({"schemas": ["s"], "id": "1", "userName": "a",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x", "type": "work"}], "meta": {}});
        let only = Shape::new(Some("name.givenName,emails"), None).unwrap().apply(user.clone());
        assert_eq!(
            only,
            json!({"schemas": ["s"], "id": "1", "name": {"givenName": "A"},
            "emails": [{"value": "a@x", "type": "work"}], "meta": {}})
        );
        let without =
            Shape::new(None, Some("emails.type,urn:ietf:params:scim:schemas:core:2.0:User:userName"))
                .unwrap()
                .apply(user);
        assert_eq!(without["emails"], json!([{"value": "a@x"}]));
        assert!(without.get("userName").is_none());
        assert!(Shape::new(Some("a"), Some("b")).is_err());
    }

    #[test]
    fn if_match_compares_tags() {
        let tag = etag(&["1", "x"]);
        let mut headers = HeaderMap::new();
        assert!(check_if_match(&headers, &tag).is_ok());
        headers.insert(header::IF_MATCH, HeaderValue::from_str(&tag).unwrap());
        assert!(check_if_match(&headers, &tag).is_ok());
        headers.insert(header::IF_MATCH, HeaderValue::from_static("W/\"stale\""));
        assert_eq!(check_if_match(&headers, &tag).unwrap_err().status, StatusCode::PRECONDITION_FAILED);
        assert_ne!(etag(&["1", "x"]), etag(&["1", "y"]));
    }

    #[test]
    fn operations_as_entra_sends_them() {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Remove", "path": "members[value eq \"7\"]"},
            {"op": "add", "value": {"displayName": "X"}}]});
        let ops = operations(&body).unwrap();
        assert_eq!(ops.iter().map(|o| o.op).collect::<Vec<_>>(), [Op::Replace, Op::Remove, Op::Add]);
        assert_eq!(boolean(ops[0].value.as_ref().unwrap()), Some(false));
        assert!(ops[1].path.as_ref().unwrap().filter.is_some());
        assert!(operations(&json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove"}]})).is_err());
        assert!(operations(&json!({"Operations": []})).is_err());
    }
}
