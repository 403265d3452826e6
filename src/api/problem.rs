//! The API's errors: RFC 9457 problem details, each with the status its [`AppError`]
//! earns, a title for its kind and the same safe text the pages show.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What went wrong with a request (RFC 9457).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind of problem, the same for every occurrence.
    pub title: String,
    pub status: u16,
    /// This occurrence, in words fit to show a person.
    pub detail: String,
    /// For a field that failed validation: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a failure on the server's side: the request id its log entry carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Seconds to wait before trying again (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// For a refused token: the RFC 6750 error code, sent in `WWW-Authenticate` too.
    #[serde(skip)]
    pub bearer_error: Option<BearerError>,
}

/// Why a bearer token was refused (RFC 6750 §3.1), for the `WWW-Authenticate` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No token at all: the header names the scheme and no error.
    Missing,
    InvalidToken,
    /// The token lacks the scope the request needs.
    InsufficientScope(crate::api_tokens::Scope),
}

impl Problem {
    /// A problem of `status` with `detail`, of no more specific kind than its status.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            reference: None,
            retry_after: None,
            bearer_error: None,
        }
    }

    /// A request without a usable token: 401, saying how to authenticate.
    pub fn unauthenticated(error: BearerError, detail: &str) -> Self {
        Problem { bearer_error: Some(error), ..Problem::new(StatusCode::UNAUTHORIZED, detail) }
    }

    /// A token without the scope a request needs: 403.
    pub fn insufficient_scope(scope: crate::api_tokens::Scope) -> Self {
        let detail = format!("This token lacks the \"{}\" scope this request needs.", scope.name());
        Problem {
            bearer_error: Some(BearerError::InsufficientScope(scope)),
            ..Problem::new(StatusCode::FORBIDDEN, detail)
        }
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = Problem::new(status, err.to_string());
        match err {
            AppError::Invalid { field, .. } => problem.field = Some(field),
            AppError::TooManyRequests { retry_after, .. } | AppError::Busy { retry_after } => {
                problem.retry_after = Some(retry_after)
            }
            AppError::Internal(reference) if !reference.is_empty() => problem.reference = Some(reference),
            // An API caller is never asked to sign in: it sends a token.
            AppError::Unauthorized(_) => {
                problem.detail = "This token can't do that.".into();
                problem.bearer_error = Some(BearerError::InvalidToken);
            }
            _ => {}
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(error) = self.bearer_error {
            let challenge = match error {
                BearerError::Missing => "Bearer realm=\"roster\"".to_owned(),
                BearerError::InvalidToken => "Bearer realm=\"roster\", error=\"invalid_token\"".to_owned(),
                BearerError::InsufficientScope(scope) => {
                    format!(
                        "Bearer realm=\"roster\", error=\"insufficient_scope\", scope=\"{}\"",
                        scope.name()
                    )
                }
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// The refusals any route may answer with, for the document: each a [`Problem`].
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        use utoipa::openapi::{schema::Ref, ContentBuilder, ResponseBuilder};
        [
            ("400", "The request is malformed, or sends both a token and a session cookie."),
            ("401", "No token, or one that doesn't work (see WWW-Authenticate)."),
            ("403", "The token lacks the scope (see WWW-Authenticate), or may see this but not change it."),
            ("404", "No such thing, or the token's owner may not see it: the two look the same."),
            ("409", "The change clashes with what is there."),
            ("422", "A value failed validation: `field` names it."),
            ("429", "Too many requests from this token: wait as Retry-After says."),
        ]
        .into_iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            let response =
                ResponseBuilder::new().description(description).content(PROBLEM_JSON, content).build();
            (status.to_owned(), response.into())
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_status_and_safe_text() {
        let invalid = Problem::from(AppError::invalid("access", "Choose manager or member."));
        assert_eq!((invalid.status, invalid.field.as_deref()), (422, Some("access")));
        assert_eq!(invalid.detail, "Choose manager or member.");
        let internal = Problem::from(AppError::Internal("abc-1".into()));
        assert_eq!((internal.status, internal.reference.as_deref()), (500, Some("abc-1")));
        assert!(!internal.detail.contains("sqlx"));
        let busy = Problem::from(AppError::Busy { retry_after: 5 }).into_response();
        assert_eq!(busy.status(), 503);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "5");
        assert_eq!(busy.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }

    #[test]
    fn a_refused_token_is_told_how_to_authenticate() {
        let missing = Problem::unauthenticated(BearerError::Missing, "Send a token.").into_response();
        assert_eq!(missing.status(), 401);
        assert_eq!(missing.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"roster\"");
        let scope = Problem::insufficient_scope(crate::api_tokens::Scope::Write).into_response();
        assert_eq!(scope.status(), 403);
        assert!(scope.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().contains("scope=\"write\""));
    }
}
