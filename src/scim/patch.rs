//! PATCH on a User's whole representation (RFC 7644 §3.5.2): each operation changes the
//! document, and the document then goes where a PUT's body goes, through the same checks.
//! Attributes Roster doesn't keep (an extension's, a read-only one) are left alone, as a
//! replace leaves them; a value filter that matches nothing on `add` or `replace` adds the
//! element it describes (`emails[type eq "work"].value`, as Entra sends it).

use serde_json::{json, Map, Value};

use super::{
    error::{ScimError, ScimType},
    filter::{CompareOp, Filter, Literal, PatchPath},
    resource::{field, pathless, Op, Operation},
};

/// The attributes a patch may change, by their names lower-cased, and whether each holds a
/// list.
const ATTRIBUTES: [(&str, &str, bool); 6] = [
    ("username", "userName", false),
    ("name", "name", false),
    ("displayname", "displayName", false),
    ("active", "active", false),
    ("emails", "emails", true),
    ("externalid", "externalId", false),
];

const SUB_ATTRIBUTES: [(&str, &str); 6] = [
    ("formatted", "formatted"),
    ("familyname", "familyName"),
    ("givenname", "givenName"),
    ("value", "value"),
    ("type", "type"),
    ("primary", "primary"),
];

/// Applies `operations` to `doc` in order; `schema` is the resource's own schema URN.
pub fn apply(doc: &mut Value, operations: &[Operation], schema: &str) -> Result<(), ScimError> {
    for operation in operations {
        match (&operation.path, &operation.value) {
            (Some(path), value) => one(doc, operation.op, path, value.as_ref(), schema)?,
            (None, Some(value)) => {
                for (path, value) in pathless(value)? {
                    one(doc, operation.op, &path, Some(&value), schema)?;
                }
            }
            (None, None) => return Err(ScimError::bad(ScimType::NoTarget, "The operation names nothing.")),
        }
    }
    Ok(())
}

fn one(
    doc: &mut Value,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
    schema: &str,
) -> Result<(), ScimError> {
    if path.attr.schema.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(schema)) {
        return Ok(());
    }
    let Some(&(_, key, multi)) = ATTRIBUTES.iter().find(|(lower, _, _)| *lower == path.attr.name) else {
        return Ok(());
    };
    let object = doc.as_object_mut().expect("a resource is an object");
    if let Some(filter) = &path.filter {
        if !multi {
            return Err(ScimError::bad(ScimType::InvalidPath, format!("{key} is not a list to filter.")));
        }
        let list = object.entry(key).or_insert_with(|| json!([]));
        return filtered(list, op, filter, path.sub.as_deref().map(canonical), value);
    }
    if let Some(sub) = path.attr.sub.as_deref().map(canonical) {
        let target = object.entry(key).or_insert_with(|| if multi { json!([]) } else { json!({}) });
        return set_sub(target, op, &sub, value);
    }
    match (op, value) {
        (Op::Remove, _) => {
            object.remove(key);
        }
        (_, Some(value)) if multi && op == Op::Add => {
            let list = object.entry(key).or_insert_with(|| json!([]));
            let Value::Array(items) = list else { return Ok(()) };
            let new = match value {
                Value::Array(values) => values.clone(),
                single => vec![single.clone()],
            };
            for item in new {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        }
        (_, Some(Value::Object(parts))) if !multi && object.get(key).is_some_and(Value::is_object) => {
            // A complex attribute's parts given replace those parts; the others stay.
            let existing = object.get_mut(key).and_then(Value::as_object_mut).expect("checked");
            for (part, value) in parts {
                existing.insert(canonical(&part.to_ascii_lowercase()), value.clone());
            }
        }
        (_, Some(value)) => {
            object.insert(key.to_owned(), value.clone());
        }
        (_, None) => return Err(ScimError::bad(ScimType::InvalidValue, "The operation needs a value.")),
    }
    Ok(())
}

/// A sub-attribute's name as Roster writes it.
fn canonical(lower: &str) -> String {
    SUB_ATTRIBUTES
        .iter()
        .find(|(l, _)| *l == lower)
        .map_or_else(|| lower.to_owned(), |(_, c)| (*c).to_owned())
}

/// Sets or removes `sub` of an object, or of every element of a list.
fn set_sub(target: &mut Value, op: Op, sub: &str, value: Option<&Value>) -> Result<(), ScimError> {
    let set = |object: &mut Map<String, Value>| match (op, value) {
        (Op::Remove, _) => {
            object.remove(sub);
        }
        (_, Some(value)) => {
            object.insert(sub.to_owned(), value.clone());
        }
        (_, None) => {}
    };
    match target {
        Value::Object(object) => set(object),
        Value::Array(items) if items.is_empty() && op != Op::Remove => {
            let mut object = Map::new();
            set(&mut object);
            items.push(Value::Object(object));
        }
        Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).for_each(set),
        _ => return Err(ScimError::bad(ScimType::InvalidPath, format!("{sub} names nothing here."))),
    }
    Ok(())
}

/// An operation on the elements of `list` that `filter` matches.
fn filtered(
    list: &mut Value,
    op: Op,
    filter: &Filter,
    sub: Option<String>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let Value::Array(items) = list else {
        return Err(ScimError::bad(ScimType::InvalidPath, "That attribute is not a list."));
    };
    if op == Op::Remove {
        match &sub {
            Some(sub) => items
                .iter_mut()
                .filter(|item| matches(filter, item))
                .filter_map(Value::as_object_mut)
                .for_each(|item| drop(item.remove(sub))),
            None => items.retain(|item| !matches(filter, item)),
        }
        return Ok(());
    }
    if !items.iter().any(|item| matches(filter, item)) {
        let element = described(filter).ok_or_else(|| {
            ScimError::bad(
                ScimType::NoTarget,
                "The value filter matches nothing, and describes no element to add.",
            )
        })?;
        items.push(Value::Object(element));
    }
    let value =
        value.ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "The operation needs a value."))?;
    for item in items.iter_mut().filter(|item| matches(filter, item)) {
        match (&sub, item.as_object_mut(), value) {
            (Some(sub), Some(object), value) => {
                object.insert(sub.clone(), value.clone());
            }
            (None, Some(object), Value::Object(parts)) if op == Op::Add => {
                object.extend(parts.iter().map(|(k, v)| (canonical(&k.to_ascii_lowercase()), v.clone())));
            }
            (None, _, value) => *item = value.clone(),
            (Some(_), None, _) => {}
        }
    }
    Ok(())
}

/// Whether a list's element matches a value filter.
pub fn matches(filter: &Filter, item: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, item) && matches(b, item),
        Filter::Or(a, b) => matches(a, item) || matches(b, item),
        Filter::Not(inner) => !matches(inner, item),
        Filter::Present(path) => field(item, &path.name).is_some_and(|v| !v.is_null()),
        Filter::ValuePath(..) => false,
        Filter::Compare(path, op, literal) => {
            let found = field(item, &path.name).unwrap_or(&Value::Null);
            compare(found, *op, literal)
        }
    }
}

fn compare(found: &Value, op: CompareOp, literal: &Literal) -> bool {
    match (found, literal) {
        (Value::String(have), Literal::String(want)) => {
            let (have, want) = (have.to_lowercase(), want.to_lowercase());
            match op {
                CompareOp::Eq => have == want,
                CompareOp::Ne => have != want,
                CompareOp::Co => have.contains(&want),
                CompareOp::Sw => have.starts_with(&want),
                CompareOp::Ew => have.ends_with(&want),
                CompareOp::Gt => have > want,
                CompareOp::Lt => have < want,
                CompareOp::Ge => have >= want,
                CompareOp::Le => have <= want,
            }
        }
        (Value::Bool(have), Literal::Bool(want)) => match op {
            CompareOp::Eq => have == want,
            CompareOp::Ne => have != want,
            _ => false,
        },
        (Value::Null, Literal::Null) => op == CompareOp::Eq,
        (_, Literal::Null) => op == CompareOp::Ne,
        _ => op == CompareOp::Ne,
    }
}

/// The element a filter of equalities describes: `type eq "work"` is `{"type": "work"}`.
fn described(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(path, CompareOp::Eq, literal) if path.sub.is_none() => {
            let value = match literal {
                Literal::String(s) => json!(s),
                Literal::Bool(b) => json!(b),
                _ => return None,
            };
            Some(Map::from_iter([(canonical(&path.name), value)]))
        }
        Filter::And(a, b) => {
            let mut element = described(a)?;
            element.extend(described(b)?);
            Some(element)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{discovery::USER_SCHEMA, resource::operations};

    fn patch(doc: &mut Value, ops: Value) -> Result<(), ScimError> {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        apply(doc, &operations(&body)?, USER_SCHEMA)
    }

    #[test]
    fn entra_style_operations() {
        let mut doc = json!({"userName": "a@example.com", "active": true,
            "emails": [{"value": "a@example.com", "type": "work", "primary": true}]});
        patch(
            &mut doc,
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@example.com"},
                {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "h@example.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Bea"},
                {"op": "replace", "value": {"active": "False", "displayName": "Bea L",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"}},
            ]),
        )
        .unwrap();
        assert_eq!(doc["emails"][0]["value"], "b@example.com");
        assert_eq!(doc["emails"][1], json!({"type": "home", "value": "h@example.com"}));
        assert_eq!(doc["name"], json!({"givenName": "Bea"}));
        assert_eq!((&doc["active"], &doc["displayName"]), (&json!("False"), &json!("Bea L")));
        patch(
            &mut doc,
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "remove", "path": "name"}]),
        )
        .unwrap();
        assert_eq!(doc["emails"].as_array().unwrap().len(), 1);
        assert!(doc.get("name").is_none());
        let bad = patch(
            &mut doc,
            json!([{"op": "replace", "path": "emails[value co \"zzz\"].type", "value": "w"}]),
        );
        assert_eq!(bad.unwrap_err().scim_type, Some(ScimType::NoTarget));
    }
}
