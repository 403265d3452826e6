//! SCIM's errors (RFC 7644 §3.12): the error message schema, its status as a string, and a
//! `scimType` where the RFC names one, as `application/scim+json`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{api::problem::Problem, error::AppError};

/// SCIM's media type.
pub const SCIM_JSON: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType`s Roster answers with (RFC 7644 Table 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// A refused SCIM request.
#[derive(Clone, Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
    /// Headers a refusal at the door carries (`WWW-Authenticate`, `Retry-After`).
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into(), headers: Vec::new() }
    }

    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found() -> Self {
        ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found.")
    }
}

impl From<AppError> for ScimError {
    fn from(err: AppError) -> Self {
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if matches!(err, AppError::NotFound) {
            return ScimError::not_found();
        }
        // A conflict here is a state the change would break (a last manager, the last
        // admin); a taken name is said as `uniqueness` where it is detected.
        let scim_type = match &err {
            AppError::Invalid { .. } => Some(ScimType::InvalidValue),
            AppError::BadRequest(_) => Some(ScimType::InvalidSyntax),
            _ => None,
        };
        // The RFC has 400 for a value that isn't valid, where the pages answer 422.
        let status =
            if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
        let mut error = ScimError::new(status, scim_type, err.to_string());
        if let AppError::TooManyRequests { retry_after, .. } | AppError::Busy { retry_after } = err {
            error.headers.push((header::RETRY_AFTER, HeaderValue::from(retry_after)));
        }
        error
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(err: sqlx::Error) -> Self {
        ScimError::from(AppError::from(err))
    }
}

/// A refusal at the API's door, said as SCIM says it, with the same headers.
impl From<Problem> for ScimError {
    fn from(problem: Problem) -> Self {
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let carried = problem.clone().into_response();
        let mut error = ScimError::new(status, None, problem.detail);
        for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
            if let Some(value) = carried.headers().get(&name) {
                error.headers.push((name, value.clone()));
            }
        }
        error
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type.as_str());
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}
