//! What the service provider says about itself (RFC 7644 §4): its features
//! (`ServiceProviderConfig`), its resource types (User, Group) and their schemas, which
//! list only the attributes Roster keeps, so a client fills in nothing it would lose.

use serde_json::{json, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The most resources one page of a list holds.
pub const MAX_RESULTS: usize = 200;

/// `base` is the service provider's address, `…/scim/v2`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": format!("{}/api/v1/docs", base.trim_end_matches("/scim/v2")),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description":
                "A service token with the scim scope, made by an admin on Roster's Access tokens page.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// The resource types, by name.
pub fn resource_types(base: &str) -> Vec<Value> {
    [("User", "/Users", USER_SCHEMA, "People's accounts."), ("Group", "/Groups", GROUP_SCHEMA, "Profiles.")]
        .into_iter()
        .map(|(name, endpoint, schema, description)| {
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": name,
                "name": name,
                "endpoint": endpoint,
                "description": description,
                "schema": schema,
                "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
            })
        })
        .collect()
}

/// One attribute's definition.
struct Attribute {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    sub: Vec<Attribute>,
    references: &'static [&'static str],
    canonical: &'static [&'static str],
}

impl Attribute {
    fn new(name: &'static str, kind: &'static str) -> Self {
        Attribute {
            name,
            kind,
            multi: false,
            required: false,
            case_exact: false,
            mutability: "readWrite",
            uniqueness: "none",
            sub: Vec::new(),
            references: &[],
            canonical: &[],
        }
    }

    fn json(&self) -> Value {
        let mut value = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": "default",
            "uniqueness": self.uniqueness,
        });
        if !self.sub.is_empty() {
            value["subAttributes"] = Value::Array(self.sub.iter().map(Attribute::json).collect());
        }
        if !self.references.is_empty() {
            value["referenceTypes"] = json!(self.references);
        }
        if !self.canonical.is_empty() {
            value["canonicalValues"] = json!(self.canonical);
        }
        value
    }
}

fn user_attributes() -> Vec<Attribute> {
    let name = Attribute {
        sub: vec![
            Attribute::new("formatted", "string"),
            Attribute::new("familyName", "string"),
            Attribute::new("givenName", "string"),
        ],
        ..Attribute::new("name", "complex")
    };
    // Required: a person needs an address to sign in with. A userName that is an address
    // is one, and then emails may be left out.
    let emails = Attribute {
        multi: true,
        required: true,
        sub: vec![
            Attribute { required: true, ..Attribute::new("value", "string") },
            Attribute { canonical: &["work", "home", "other"], ..Attribute::new("type", "string") },
            Attribute::new("primary", "boolean"),
        ],
        ..Attribute::new("emails", "complex")
    };
    vec![
        Attribute { required: true, uniqueness: "server", ..Attribute::new("userName", "string") },
        name,
        Attribute::new("displayName", "string"),
        Attribute::new("active", "boolean"),
        emails,
    ]
}

fn group_attributes() -> Vec<Attribute> {
    let members = Attribute {
        multi: true,
        sub: vec![
            Attribute { mutability: "immutable", case_exact: true, ..Attribute::new("value", "string") },
            Attribute {
                mutability: "immutable",
                case_exact: true,
                references: &["User"],
                ..Attribute::new("$ref", "reference")
            },
            Attribute { mutability: "immutable", canonical: &["User"], ..Attribute::new("type", "string") },
        ],
        ..Attribute::new("members", "complex")
    };
    vec![Attribute { required: true, ..Attribute::new("displayName", "string") }, members]
}

/// The schemas, each with its attributes.
pub fn schemas(base: &str) -> Vec<Value> {
    [
        (USER_SCHEMA, "User", "A person's account.", user_attributes()),
        (GROUP_SCHEMA, "Group", "A profile: who belongs to it.", group_attributes()),
    ]
    .into_iter()
    .map(|(id, name, description, attributes)| {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": id,
            "name": name,
            "description": description,
            "attributes": attributes.iter().map(Attribute::json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    })
    .collect()
}

/// `items` as a whole list (RFC 7644 §3.4.2).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}
