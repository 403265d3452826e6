//! Reading the OpenAPI document as JSON into the reference's plain parts.

use serde_json::{Map, Value};

use super::{Answer, Field, Group, Operation, Reference, SchemaDoc};

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// The reference of `openapi`.
pub fn reference(openapi: &utoipa::openapi::OpenApi) -> Reference {
    let doc = serde_json::to_value(openapi).unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Group {
            tag: text(&tag["name"]),
            description: text(&tag["description"]),
            operations: vec![],
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tag = op["tags"][0].as_str().unwrap_or("other");
            let operation = operation(method, path, op);
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(Group {
                    tag: tag.to_owned(),
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| schema_doc(name, schema, &doc))
        .collect();
    Reference { version: text(&doc["info"]["version"]), groups, schemas }
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            location: p["in"].as_str().unwrap_or_default().to_owned(),
            kind: kind_of(&p["schema"]),
            required: p["required"].as_bool().unwrap_or(false),
            description: p["description"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    let body = op["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.values().next())
        .map(|c| kind_of(&c["schema"]));
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| Answer {
            status: status.clone(),
            description: r["description"].as_str().unwrap_or_default().to_owned(),
            kind: r["content"].as_object().and_then(|c| c.values().next()).map(|c| kind_of(&c["schema"])),
        })
        .collect();
    let scope = if method == "get" { "read" } else { "write" };
    Operation {
        id: format!("{method}-{}", path.trim_start_matches('/').replace(['/', '{', '}'], "-")),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: op["summary"].as_str().unwrap_or_default().to_owned(),
        description: op["description"].as_str().unwrap_or_default().to_owned(),
        scope: scope.to_owned(),
        params,
        body,
        responses,
    }
}

fn schema_doc(name: &str, schema: &Value, doc: &Value) -> SchemaDoc {
    let mut fields = Vec::new();
    collect_fields(schema, doc, &mut fields);
    let values = schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let description = schema["description"].as_str().unwrap_or_default().to_owned();
    SchemaDoc { name: name.to_owned(), description, fields, values }
}

/// The fields of `schema`, those of the schemas it is made of (`allOf`) included.
fn collect_fields(schema: &Value, doc: &Value, fields: &mut Vec<Field>) {
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            collect_fields(resolve(part, doc), doc, fields);
        }
    }
    let required: Vec<&str> =
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, field) in schema["properties"].as_object().unwrap_or(&Map::new()) {
        fields.push(Field {
            name: name.clone(),
            location: String::new(),
            kind: kind_of(field),
            required: required.contains(&name.as_str()),
            description: field["description"].as_str().unwrap_or_default().to_owned(),
        });
    }
}

/// The schema `schema` refers to, or itself.
fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// A schema's type in a few words: `Member`, `list of Member`, `date-time or null`.
pub fn kind_of(schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return name.to_owned();
    }
    if let Some(options) = schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array()) {
        return options.iter().map(kind_of).collect::<Vec<_>>().join(" or ");
    }
    if let Some(parts) = schema["allOf"].as_array() {
        return parts.iter().map(kind_of).collect::<Vec<_>>().join(" and ");
    }
    let one = |ty: &str| match (ty, schema["format"].as_str()) {
        ("array", _) => format!("list of {}", kind_of(&schema["items"])),
        ("string", Some(format)) => format.to_owned(),
        (ty, _) => ty.to_owned(),
    };
    match &schema["type"] {
        Value::String(ty) => one(ty),
        Value::Array(types) => {
            types.iter().filter_map(Value::as_str).map(one).collect::<Vec<_>>().join(" or ")
        }
        _ => "any".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::kind_of;

    #[test]
    fn types_read_as_words() {
        assert_eq!(kind_of(&json!({"$ref": "#/components/schemas/Member"})), "Member");
        assert_eq!(kind_of(&json!({"type": "array", "items": {"$ref": "#/x/Role"}})), "list of Role");
        assert_eq!(kind_of(&json!({"type": ["string", "null"], "format": "date-time"})), "date-time or null");
        assert_eq!(kind_of(&json!({"oneOf": [{"type": "null"}, {"$ref": "#/x/Access"}]})), "null or Access");
        assert_eq!(kind_of(&json!({"type": "integer", "format": "int64"})), "integer");
    }
}
