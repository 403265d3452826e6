//! The API's reference, drawn from its OpenAPI document (`crate::api::openapi`) for the page
//! at `/api/v1/docs`: every operation with its parameters and answers, and every schema
//! with its fields. The document is the source; this only lays it out for people.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The whole reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub version: String,
    pub groups: Vec<Group>,
    pub schemas: Vec<SchemaDoc>,
}

/// The operations under one tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub tag: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// An anchor for the operation.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// The token scope it needs.
    pub scope: String,
    pub params: Vec<Field>,
    /// The request body's type, if it takes one.
    pub body: Option<String>,
    pub responses: Vec<Answer>,
}

/// A parameter or a schema's field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// Where a parameter goes (`path`, `query`, `header`); empty for a field.
    pub location: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub status: String,
    pub description: String,
    pub kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaDoc {
    pub name: String,
    pub description: String,
    pub fields: Vec<Field>,
    /// For a closed set of strings: its values.
    pub values: Vec<String>,
}

/// The API's reference, for anyone: it describes, and opens nothing.
#[server(prefix = "/api", endpoint = "reference")]
pub async fn api_reference() -> Result<Reference, AppError> {
    static REFERENCE: std::sync::OnceLock<Reference> = std::sync::OnceLock::new();
    Ok(REFERENCE.get_or_init(|| ssr::reference(&crate::api::openapi())).clone())
}

#[cfg(feature = "ssr")]
pub mod ssr;
