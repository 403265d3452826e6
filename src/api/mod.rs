//! The JSON API, `/api/v1`: what the pages show and change, for scripts, with an access
//! token (`crate::api_tokens`) and a contract.
//!
//! - Every route is behind [`auth::authenticate`]: a bearer token and no cookie, the scope
//!   its method needs (`read` to look, `write` to change), within its token's rate. Past
//!   that, a handler calls the same server functions the pages call, so the same
//!   `access::require_*` check decides in its body what the caller may see or do, and the
//!   same "not found" hides what they may not.
//! - Lists come a page at a time, along the same keyset cursors as the pages: `limit` (at
//!   most [`LIMIT_MAX`]) and `cursor`, with the next page's address in the body and in a
//!   `Link` header.
//! - Errors are RFC 9457 problem details ([`problem::Problem`]).
//! - The OpenAPI 3.1 document ([`openapi`]) is generated from the handlers and types here,
//!   served at `/api/v1/openapi.json` and drawn as a reference at `/api/v1/docs`.

pub mod auth;
pub mod idempotency;
pub mod problem;
mod read;
pub mod types;
mod write;

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{any, get},
    Json, Router,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::server::AppState;
use problem::Problem;

/// Where the API lives.
pub const BASE: &str = "/api/v1";
/// The most rows one page of a list holds.
pub const LIMIT_MAX: usize = 200;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster API",
        description = "Who belongs to what: people, roles and shared profiles. Authenticate with an \
            access token (Authorization: Bearer …) made on your account's Access tokens page; a \
            token can do no more than its owner, and only what its scopes allow.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(Problem)),
    modifiers(&Security),
    security(("token" = [])),
    tags(
        (name = "account", description = "Who the token acts for."),
        (name = "people", description = "People's accounts, as the caller may see them."),
        (name = "profiles", description = "Shared profiles and who is on them."),
        (name = "roles", description = "Roles and who holds them (admins)."),
    )
)]
struct Document;

/// Declares the bearer scheme every route needs.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An access token: read to look, write to change, admin for admin power."))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// The API's routes and the document that describes them, from one list.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Document::openapi())
        .routes(routes!(read::me))
        .routes(routes!(read::users))
        .routes(routes!(read::user))
        .routes(routes!(read::user_profiles))
        .routes(routes!(read::user_history))
        .routes(routes!(read::profiles, write::post_profile))
        .routes(routes!(read::profile, write::patch_profile, write::delete_profile))
        .routes(routes!(read::members, write::post_member))
        .routes(routes!(write::put_member, write::delete_member))
        .routes(routes!(read::profile_history))
        .routes(routes!(read::invitations))
        .routes(routes!(write::delete_invitation))
        .routes(routes!(read::roles))
        .routes(routes!(read::role))
        .routes(routes!(read::holders))
        .routes(routes!(write::put_holder, write::delete_holder))
}

/// Whether `path` is the API's (or SCIM's): its callers read problems, not pages.
pub fn is_api_path(path: &str) -> bool {
    path == BASE || path.starts_with("/api/v1/") || crate::scim::is_scim_path(path)
}

/// The OpenAPI document of every route [`routes`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The API's routes, behind [`auth::authenticate`], with its document (which needs no token)
/// and a problem for any other address under [`BASE`]. The reference page drawn from the
/// document, `/api/v1/docs`, is one of the app's pages (`crate::reference`).
pub fn routes(state: AppState) -> Router<AppState> {
    let (routes, document) = api().split_for_parts();
    let document = std::sync::Arc::new(document.to_json().unwrap_or_default());
    routes
        .layer(from_fn_with_state(state, auth::authenticate))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document.as_str().to_owned()) }
            }),
        )
        .route("/api/v1", any(no_route))
        .route("/api/v1/{*rest}", any(no_route))
}

/// Any address under [`BASE`] that no route serves, with or without a token.
async fn no_route(request: Request) -> Response {
    let path = request.uri().path();
    Problem::new(StatusCode::NOT_FOUND, format!("The API has no {path}: see {BASE}/docs.")).into_response()
}

/// A handler's answer: JSON, or a problem.
pub type Answer<T> = Result<Json<T>, Problem>;

/// A page of a list as JSON, with its next page's address in a `Link` header too.
pub fn page_response<T: serde::Serialize>(page: types::List<T>) -> Response {
    let link =
        page.next.as_ref().and_then(|next| HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok());
    let mut response = Json(page).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}
