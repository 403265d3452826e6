//! SCIM 2.0 provisioning (RFC 7643, RFC 7644) at `/scim/v2`, for identity providers: behind
//! the API's door (`api::auth`), which lets in only a token with the `scim` scope and says
//! its refusals as SCIM errors here.
//!
//! Discovery (`ServiceProviderConfig`, `ResourceTypes`, `Schemas`) says what Roster keeps;
//! `Users` are people's accounts, `Groups` the profiles the provider manages. Searching
//! across both at once (`POST /.search` at the root) is the one optional part left out: it
//! answers 501, as RFC 7644 §3.4.3 allows.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod resource;
pub mod sql;
pub mod users;

use axum::{
    extract::{Path, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{any, get, post, MethodRouter},
    Router,
};
use serde_json::Value;

use crate::server::AppState;
use error::{ScimError, SCIM_JSON};

/// Where the service provider lives.
pub const BASE: &str = "/scim/v2";

/// Whether `path` is SCIM's: its callers read SCIM errors.
pub fn is_scim_path(path: &str) -> bool {
    path == BASE || path.starts_with("/scim/v2/")
}

/// SCIM's routes behind the door, and a SCIM 404 for any other address under [`BASE`].
pub fn routes(state: AppState) -> Router<AppState> {
    let only_get = |route: MethodRouter<AppState>| route.fallback(not_allowed);
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", only_get(get(config)))
        .route("/scim/v2/ResourceTypes", only_get(get(resource_types)))
        .route("/scim/v2/ResourceTypes/{name}", only_get(get(resource_type)))
        .route("/scim/v2/Schemas", only_get(get(schemas)))
        .route("/scim/v2/Schemas/{id}", only_get(get(schema)))
        .route("/scim/v2/Users", get(users::list).post(users::create).fallback(not_allowed))
        .route("/scim/v2/Users/.search", post(users::search).fallback(not_allowed))
        .route(
            "/scim/v2/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::modify)
                .delete(users::delete)
                .fallback(not_allowed),
        )
        .route("/scim/v2/Groups", get(groups::list).post(groups::create).fallback(not_allowed))
        .route("/scim/v2/Groups/.search", post(groups::search).fallback(not_allowed))
        .route(
            "/scim/v2/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::modify)
                .delete(groups::delete)
                .fallback(not_allowed),
        )
        .route("/scim/v2/.search", any(search_everything))
        .layer(from_fn_with_state(state, crate::api::auth::authenticate))
        .route("/scim/v2", any(no_route))
        .route("/scim/v2/{*rest}", any(no_route))
}

/// The service provider's own address, for `meta.location` and references.
fn base() -> String {
    let public = crate::server::state::current()
        .ok()
        .and_then(|state| state.settings.public_url.clone())
        .unwrap_or_default();
    format!("{}{BASE}", public.trim_end_matches('/'))
}

/// `value` as a SCIM answer.
pub fn scim_json(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

async fn config() -> Response {
    scim_json(StatusCode::OK, &discovery::service_provider_config(&base()))
}

async fn resource_types() -> Response {
    scim_json(StatusCode::OK, &discovery::list(discovery::resource_types(&base())))
}

async fn resource_type(Path(name): Path<String>) -> Response {
    match discovery::resource_types(&base()).into_iter().find(|t| t["id"] == name.as_str()) {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => ScimError::not_found().into_response(),
    }
}

async fn schemas() -> Response {
    scim_json(StatusCode::OK, &discovery::list(discovery::schemas(&base())))
}

async fn schema(Path(id): Path<String>) -> Response {
    match discovery::schemas(&base()).into_iter().find(|s| s["id"] == id.as_str()) {
        Some(found) => scim_json(StatusCode::OK, &found),
        None => ScimError::not_found().into_response(),
    }
}

async fn not_allowed() -> Response {
    ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "This endpoint doesn't answer that method.")
        .into_response()
}

/// A search across every resource type at once: optional (RFC 7644 §3.4.3), and left out.
async fn search_everything() -> Response {
    let detail = "Search Users or Groups on their own (POST /Users/.search, /Groups/.search).";
    ScimError::new(StatusCode::NOT_IMPLEMENTED, None, detail).into_response()
}

async fn no_route(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    ScimError::new(StatusCode::NOT_FOUND, None, format!("There is nothing at {path}.")).into_response()
}
