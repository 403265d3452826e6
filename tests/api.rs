//! Access tokens and the JSON API: a token is shown once and stored as a hash, works only
//! as a bearer without a cookie, within its scopes, its owner's power and its rate; every
//! route is in the OpenAPI document, refuses a caller without a token, and answers as the
//! document says.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use common::{TestApp, TestResponse};
use serde_json::Value;

const PW: &str = "correct horse battery";

/// Makes a token through the tokens form, then reads its secret off the tokens page, where
/// the browser lands: the only place it is ever shown.
async fn make_token(app: &TestApp, cookie: &str, kind: &str, name: &str, scopes: &[&str]) -> String {
    let mut form = vec![("kind", kind), ("name", name), ("expires", "90")];
    form.extend(scopes.iter().map(|scope| ("scopes[]", *scope)));
    let made = app.call("/api/tokens/create", &form, Some(cookie)).await;
    assert!(made.status.is_success(), "make {name}: {} {}", made.status, made.body);
    let reveal = made.cookie("roster_new_token").expect("the secret travels to the tokens page");
    let page = app.get("/account/tokens", Some(&format!("{cookie}; {reveal}"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = page
        .body
        .split("value=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|value| value.starts_with("roster_"))
        .unwrap_or_else(|| panic!("the page shows the new token: {}", page.body))
        .to_owned();
    assert_eq!(page.cookie("roster_new_token").as_deref(), Some("roster_new_token="), "read once");
    secret
}

async fn api(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> TestResponse {
    let mut req = Request::builder().method(method).uri(path).header(header::ACCEPT, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

fn json(res: &TestResponse) -> Value {
    serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", res.body))
}

/// A problem's status and content type, as RFC 9457 has them.
fn assert_problem(res: &TestResponse, status: u16) {
    assert_eq!(res.status.as_u16(), status, "{}", res.body);
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/problem+json");
    let problem = json(res);
    assert_eq!(problem["status"], status);
    assert!(problem["title"].is_string() && problem["detail"].is_string(), "{problem}");
}

struct World {
    app: TestApp,
    admin: String,
    ann: String,
    bob: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let ann = app.register("ann@example.com", "Ann Lee", PW).await;
    let bob = app.register("bob@example.com", "Bob Ray", PW).await;
    World { app, admin, ann, bob }
}

#[tokio::test]
async fn a_token_is_shown_once_and_kept_only_as_a_hash() {
    let w = world().await;
    let secret = make_token(&w.app, &w.ann, "personal", "laptop script", &["read"]).await;
    assert!(secret.len() > 40, "{secret}");
    let stored = w.app.count("SELECT COUNT(*) FROM api_tokens WHERE name = 'laptop script'").await;
    assert_eq!(stored, 1);
    let digest = roster::access::session::digest(&secret);
    let sql = format!("SELECT COUNT(*) FROM api_tokens WHERE digest = '{digest}'");
    assert_eq!(w.app.count(&sql).await, 1, "the row keeps the SHA-256");
    // Nothing the page or the list sends again carries the secret.
    let page = w.app.get("/account/tokens", Some(&w.ann)).await;
    assert!(page.body.contains("laptop script") && !page.body.contains(&secret));
    let list = w.app.call("/api/tokens/list", &[], Some(&w.ann)).await;
    assert!(!list.body.contains(&secret));
    let me = api(&w.app, Method::GET, "/api/v1/me", Some(&secret)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me = json(&me);
    assert_eq!(
        (me["person"]["email"].as_str(), me["admin"].as_bool()),
        (Some("ann@example.com"), Some(false))
    );
    assert_eq!(me["token"]["scopes"], serde_json::json!(["read"]));
    let used = "SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL";
    assert_eq!(w.app.count(used).await, 1, "its last use is recorded");
}

#[tokio::test]
async fn a_token_must_come_alone_as_a_bearer() {
    let w = world().await;
    let secret = make_token(&w.app, &w.ann, "personal", "cli", &["read"]).await;
    let none = api(&w.app, Method::GET, "/api/v1/me", None).await;
    assert_problem(&none, 401);
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer realm=\"roster\"");
    let wrong = api(&w.app, Method::GET, "/api/v1/me", Some("roster_not-a-real-token")).await;
    assert_problem(&wrong, 401);
    assert!(wrong.headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("invalid_token"));
    // A session cookie alone opens nothing here, and with a token it is refused.
    let req = |cookie: &str, token: Option<&str>| {
        let mut req = Request::builder().uri("/api/v1/me").header(header::COOKIE, cookie);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Body::empty()).unwrap()
    };
    assert_problem(&w.app.send(req(&w.ann, None)).await, 401);
    assert_problem(&w.app.send(req(&w.ann, Some(&secret))).await, 400);
    // Another kind of credential is no token.
    let basic = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, "Basic YW5uOnB3")
        .body(Body::empty())
        .unwrap();
    assert_problem(&w.app.send(basic).await, 401);
}

#[tokio::test]
async fn a_token_does_only_what_its_scopes_and_its_owner_allow() {
    let w = world().await;
    let reader = make_token(&w.app, &w.admin, "personal", "reader", &["read"]).await;
    let admin = make_token(&w.app, &w.admin, "personal", "admin reader", &["read", "admin"]).await;
    let writer = make_token(&w.app, &w.admin, "personal", "writer", &["write"]).await;
    // Without the admin scope an admin's token acts as anyone's: no directory.
    assert_problem(&api(&w.app, Method::GET, "/api/v1/users", Some(&reader)).await, 403);
    let listed = api(&w.app, Method::GET, "/api/v1/users", Some(&admin)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(json(&listed)["total"], 3);
    // Reading needs `read`.
    let refused = api(&w.app, Method::GET, "/api/v1/me", Some(&writer)).await;
    assert_problem(&refused, 403);
    assert!(refused.headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("scope=\"read\""));
    // No one gets a scope beyond their power, nor a personal token that provisions.
    for (scopes, field) in
        [(&["read", "admin"][..], "scopes"), (&["read", "scim"][..], "scopes"), (&[][..], "scopes")]
    {
        let mut form = vec![("kind", "personal"), ("name", "too much"), ("expires", "30")];
        form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
        let res = w.app.call("/api/tokens/create", &form, Some(&w.ann)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{scopes:?}: {}", res.body);
        assert_eq!(res.error().field(), Some(field));
    }
    let service = [("kind", "service"), ("name", "idp"), ("scopes[]", "scim"), ("expires", "never")];
    let res = w.app.call("/api/tokens/create", &service, Some(&w.ann)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "only admins make service tokens");
    assert_eq!(w.app.count("SELECT COUNT(*) FROM api_tokens WHERE user_id IS NULL").await, 0);
}

#[tokio::test]
async fn a_token_stops_working_when_revoked_expired_or_its_owner_is_deactivated() {
    let w = world().await;
    let revoked = make_token(&w.app, &w.ann, "personal", "one", &["read"]).await;
    let expired = make_token(&w.app, &w.ann, "personal", "two", &["read"]).await;
    let bobs = make_token(&w.app, &w.bob, "personal", "three", &["read"]).await;
    let ok = |res: &TestResponse| res.status == StatusCode::OK;
    assert!(ok(&api(&w.app, Method::GET, "/api/v1/me", Some(&revoked)).await));
    let id = w.app.count("SELECT id FROM api_tokens WHERE name = 'one'").await.to_string();
    // Someone else's token is "not found" to them; its owner revokes it.
    let res = w.app.call("/api/tokens/revoke", &[("id", &id)], Some(&w.bob)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(ok(&api(&w.app, Method::GET, "/api/v1/me", Some(&revoked)).await));
    assert!(w.app.call("/api/tokens/revoke", &[("id", &id)], Some(&w.ann)).await.status.is_success());
    assert_problem(&api(&w.app, Method::GET, "/api/v1/me", Some(&revoked)).await, 401);
    let (made, ended) = ("'2020-01-01T00:00:00.000Z'", "'2020-02-01T00:00:00.000Z'");
    w.app
        .exec(&format!("UPDATE api_tokens SET created_at = {made}, expires_at = {ended} WHERE name = 'two'"))
        .await;
    assert_problem(&api(&w.app, Method::GET, "/api/v1/me", Some(&expired)).await, 401);
    let bob = w.app.count("SELECT id FROM users WHERE email = 'bob@example.com'").await.to_string();
    let res = w.app.call("/api/users/deactivate", &[("user", &bob)], Some(&w.admin)).await;
    assert!(res.status.is_success(), "{}", res.body);
    assert_problem(&api(&w.app, Method::GET, "/api/v1/me", Some(&bobs)).await, 401);
    let res = w.app.call("/api/users/reactivate", &[("user", &bob)], Some(&w.admin)).await;
    assert!(res.status.is_success(), "{}", res.body);
    assert!(ok(&api(&w.app, Method::GET, "/api/v1/me", Some(&bobs)).await), "back with its owner");
}

#[tokio::test]
async fn each_token_has_its_own_rate() {
    let app = TestApp::with_settings(|s| s.api_requests_per_minute = 3).await;
    let ann = app.register("ann@example.com", "Ann Lee", PW).await;
    let first = make_token(&app, &ann, "personal", "busy", &["read"]).await;
    let second = make_token(&app, &ann, "personal", "calm", &["read"]).await;
    for _ in 0..3 {
        assert_eq!(api(&app, Method::GET, "/api/v1/me", Some(&first)).await.status, StatusCode::OK);
    }
    let refused = api(&app, Method::GET, "/api/v1/me", Some(&first)).await;
    assert_problem(&refused, 429);
    let wait: u64 = refused.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(api(&app, Method::GET, "/api/v1/me", Some(&second)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_sees_only_what_its_owner_may() {
    let w = world().await;
    let profile = w
        .app
        .call("/api/profiles/create", &[("name", "Bob's"), ("description", "")], Some(&w.bob))
        .await
        .body;
    let ann = make_token(&w.app, &w.ann, "personal", "nosy", &["read"]).await;
    let bob = make_token(&w.app, &w.bob, "personal", "own", &["read"]).await;
    let bob_id = w.app.count("SELECT id FROM users WHERE email = 'bob@example.com'").await;
    let paths = |profile: &str, user: &str| {
        [
            format!("/api/v1/profiles/{profile}"),
            format!("/api/v1/profiles/{profile}/members"),
            format!("/api/v1/users/{user}"),
            format!("/api/v1/users/{user}/profiles"),
        ]
    };
    let missing = paths("999999", "999999");
    for (path, missing) in paths(&profile, &bob_id.to_string()).into_iter().zip(missing) {
        let theirs = api(&w.app, Method::GET, &path, Some(&ann)).await;
        let missing = api(&w.app, Method::GET, &missing, Some(&ann)).await;
        assert_problem(&theirs, 404);
        assert_eq!(theirs.body, missing.body, "{path}: someone else's looks like nothing");
        assert_eq!(api(&w.app, Method::GET, &path, Some(&bob)).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn lists_page_by_cursor_with_a_capped_limit() {
    let w = world().await;
    let profile = w
        .app
        .call("/api/profiles/create", &[("name", "Crew"), ("description", "")], Some(&w.admin))
        .await
        .body;
    w.app.accounts("crew", "Crew", 7).await;
    for n in 1..=7 {
        let email = format!("crew{n}@example.com");
        let form = [("profile", profile.as_str()), ("email", &email), ("access", "member")];
        let added = w.app.call("/api/members/add", &form, Some(&w.admin)).await;
        assert!(added.status.is_success(), "{}", added.body);
    }
    let token = make_token(&w.app, &w.admin, "personal", "pager", &["read"]).await;
    let mut next = Some(format!("/api/v1/profiles/{profile}/members?limit=3&sort=name"));
    let (mut seen, mut pages) = (Vec::new(), 0);
    while let Some(path) = next {
        let res = api(&w.app, Method::GET, &path, Some(&token)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let page = json(&res);
        assert_eq!(page["total"], 8, "the manager and seven");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|m| m["email"].as_str().unwrap().to_owned()));
        next = page["next"].as_str().map(str::to_owned);
        if let Some(next) = &next {
            assert_eq!(res.headers[header::LINK].to_str().unwrap(), format!("<{next}>; rel=\"next\""));
        }
        pages += 1;
    }
    assert_eq!((seen.len(), pages), (8, 3));
    let mut sorted = seen.clone();
    sorted.sort_by_key(|e| e.to_lowercase());
    sorted.dedup();
    assert_eq!(sorted.len(), 8, "no one twice");
    // A search counts two of the caller's pages: seven match, so at three a page the total
    // is a lower bound of six, and at four an exact seven.
    for (limit, total, lower_bound) in [(3, 6, true), (4, 7, false)] {
        let path = format!("/api/v1/profiles/{profile}/members?limit={limit}&q=crew");
        let page = json(&api(&w.app, Method::GET, &path, Some(&token)).await);
        assert_eq!(
            (page["total"].as_i64(), page["total_is_lower_bound"].as_bool()),
            (Some(total), Some(lower_bound))
        );
    }
    for limit in ["0", "201", "x"] {
        let res = api(
            &w.app,
            Method::GET,
            &format!("/api/v1/profiles/{profile}/members?limit={limit}"),
            Some(&token),
        )
        .await;
        assert!(matches!(res.status.as_u16(), 400 | 422), "limit={limit}: {}", res.body);
        assert_eq!(res.headers[header::CONTENT_TYPE], "application/problem+json");
    }
}

/// Every API route, as `METHOD path`, with an address and a body that work for an admin's
/// token, in an order where each does (the deletions last): a route the document has and
/// this list lacks (or the other way round) fails
/// [`every_route_is_documented_guarded_and_answers_as_documented`].
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET /api/v1/me", "/api/v1/me", ""),
    ("GET /api/v1/users", "/api/v1/users", ""),
    ("GET /api/v1/users/{id}", "/api/v1/users/{ann}", ""),
    ("GET /api/v1/users/{id}/profiles", "/api/v1/users/{ann}/profiles", ""),
    ("GET /api/v1/users/{id}/history", "/api/v1/users/{ann}/history", ""),
    ("GET /api/v1/profiles", "/api/v1/profiles", ""),
    ("POST /api/v1/profiles", "/api/v1/profiles", r#"{"name": "Made here", "description": "by a script"}"#),
    ("GET /api/v1/profiles/{id}", "/api/v1/profiles/{profile}", ""),
    ("PATCH /api/v1/profiles/{id}", "/api/v1/profiles/{profile}", r#"{"description": "Changed"}"#),
    ("GET /api/v1/profiles/{id}/members", "/api/v1/profiles/{profile}/members", ""),
    (
        "POST /api/v1/profiles/{id}/members",
        "/api/v1/profiles/{profile}/members",
        r#"{"email": "bob@example.com", "access": "member"}"#,
    ),
    (
        "PUT /api/v1/profiles/{id}/members/{user_id}",
        "/api/v1/profiles/{profile}/members/{ann}",
        r#"{"access": "manager", "ends_on": "2030-01-31"}"#,
    ),
    ("GET /api/v1/profiles/{id}/history", "/api/v1/profiles/{profile}/history", ""),
    ("GET /api/v1/profiles/{id}/invitations", "/api/v1/profiles/{profile}/invitations?all=true", ""),
    ("GET /api/v1/roles", "/api/v1/roles", ""),
    ("GET /api/v1/roles/{id}", "/api/v1/roles/{role}", ""),
    ("GET /api/v1/roles/{id}/holders", "/api/v1/roles/{role}/holders", ""),
    ("PUT /api/v1/roles/{id}/holders/{user_id}", "/api/v1/roles/{role}/holders/{bob}", ""),
    ("DELETE /api/v1/roles/{id}/holders/{user_id}", "/api/v1/roles/{role}/holders/{ann}", ""),
    (
        "DELETE /api/v1/profiles/{id}/invitations/{invitation_id}",
        "/api/v1/profiles/{profile}/invitations/{invitation}",
        "",
    ),
    ("DELETE /api/v1/profiles/{id}/members/{user_id}", "/api/v1/profiles/{profile}/members/{bob}", ""),
    ("DELETE /api/v1/profiles/{id}", "/api/v1/profiles/{spare}", ""),
];

async fn send_json(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> TestResponse {
    let mut req = Request::builder().method(method).uri(path).header(header::ACCEPT, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if !body.is_empty() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    app.send(req.body(Body::from(body.to_owned())).unwrap()).await
}

/// `body` checked against the schema the document gives `method path` for `status`.
fn assert_matches_document(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method.to_lowercase()];
    let response = &op["responses"][status.to_string()];
    let content =
        response["content"].as_object().unwrap_or_else(|| panic!("{method} {path} {status} undocumented"));
    let schema = &content.values().next().unwrap()["schema"];
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root).expect("the document's schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {path} {status} doesn't match the document: {errors:?}\n{body}");
}

#[tokio::test]
async fn every_route_is_documented_guarded_and_answers_as_documented() {
    let w = world().await;
    let doc = w.app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = json(&doc);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut listed: Vec<String> = ROUTES.iter().map(|(route, ..)| route.to_string()).collect();
    listed.sort();
    listed.dedup();
    assert_eq!(documented, listed, "the document and ROUTES must list the same routes");

    let make = |name: &'static str| {
        let (app, admin) = (&w.app, w.admin.clone());
        async move {
            app.call("/api/profiles/create", &[("name", name), ("description", "d")], Some(&admin)).await.body
        }
    };
    let (profile, spare) = (make("Crew").await, make("Spare").await);
    let form = [("profile", profile.as_str()), ("email", "ann@example.com"), ("access", "member")];
    assert!(w.app.call("/api/members/add", &form, Some(&w.admin)).await.status.is_success());
    let form = [("profile", profile.as_str()), ("email", "nobody@example.com"), ("access", "member")];
    assert!(w.app.call("/api/members/add", &form, Some(&w.admin)).await.status.is_success());
    let role = w
        .app
        .call("/api/roles/create", &[("name", "mentor"), ("description", "")], Some(&w.admin))
        .await
        .body;
    let form = [("role", role.as_str()), ("email", "ann@example.com")];
    assert!(w.app.call("/api/roles/assign", &form, Some(&w.admin)).await.status.is_success());
    let id_of = |email: &str| format!("SELECT id FROM users WHERE email = '{email}'");
    let ann = w.app.count(&id_of("ann@example.com")).await.to_string();
    let bob = w.app.count(&id_of("bob@example.com")).await.to_string();
    let invitation = w.app.count("SELECT id FROM invitations").await.to_string();
    let names =
        [("{profile}", &profile), ("{spare}", &spare), ("{role}", &role), ("{ann}", &ann), ("{bob}", &bob)];
    let fill = |address: &str| {
        names
            .iter()
            .chain([("{invitation}", &invitation)].iter())
            .fold(address.to_owned(), |address, (name, value)| address.replace(name, value))
    };

    let full = make_token(&w.app, &w.admin, "personal", "all", &["read", "write", "admin"]).await;
    let writer = make_token(&w.app, &w.admin, "personal", "writer", &["write", "admin"]).await;
    let reader = make_token(&w.app, &w.admin, "personal", "reader", &["read", "admin"]).await;
    for (route, address, body) in ROUTES {
        let (method, path) = route.split_once(' ').unwrap();
        let (method, address) = (Method::from_bytes(method.as_bytes()).unwrap(), fill(address));
        // Deny by default: no token, or one without the scope, gets nowhere.
        assert_problem(&send_json(&w.app, method.clone(), &address, None, body).await, 401);
        let lacking = if method == Method::GET { &writer } else { &reader };
        assert_problem(&send_json(&w.app, method.clone(), &address, Some(lacking), body).await, 403);
        let res = send_json(&w.app, method.clone(), &address, Some(&full), body).await;
        assert!(res.status.is_success(), "{route}: {} {}", res.status, res.body);
        if res.status != StatusCode::NO_CONTENT {
            assert_matches_document(&doc, method.as_str(), path, res.status.as_u16(), &json(&res));
        }
    }
    // The changes are in history, with the token that made them.
    let sql = "SELECT COUNT(*) FROM history WHERE via_token = 'all'";
    assert!(w.app.count(sql).await >= 5, "history names the token");
}

#[tokio::test]
async fn refusals_are_problems_the_document_describes() {
    let w = world().await;
    let doc = json(&w.app.get("/api/v1/openapi.json", None).await);
    let token = make_token(&w.app, &w.ann, "personal", "mine", &["read"]).await;
    for (path, status) in [("/api/v1/users", 403), ("/api/v1/profiles/424242", 404), ("/api/v1/me", 401)] {
        let token = if status == 401 { None } else { Some(token.as_str()) };
        let res = api(&w.app, Method::GET, path, token).await;
        assert_problem(&res, status);
        let documented = if path.starts_with("/api/v1/profiles/") { "/api/v1/profiles/{id}" } else { path };
        assert_matches_document(&doc, "GET", documented, status, &json(&res));
    }
    let nowhere = api(&w.app, Method::GET, "/api/v1/nowhere", Some(&token)).await;
    assert_problem(&nowhere, 404);
    // The reference page draws every documented operation.
    let page = w.app.get("/api/v1/docs", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let operations = ROUTES.iter().map(|(route, ..)| *route).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(page.body.matches("data-testid=\"operation\"").count(), operations.len());
}

#[tokio::test]
async fn the_document_check_can_fail() {
    let w = world().await;
    let doc = json(&w.app.get("/api/v1/openapi.json", None).await);
    let wrong = serde_json::json!({"items": [{"id": "seven"}], "total": 1});
    let checked =
        std::panic::catch_unwind(|| assert_matches_document(&doc, "GET", "/api/v1/users", 200, &wrong));
    assert!(checked.is_err(), "a body unlike the document is caught");
}

#[tokio::test]
async fn put_sets_a_membership_exactly_and_again_changes_nothing() {
    let app =
        TestApp::with_settings(|s| s.people_directory = roster::server::config::Directory::Shared).await;
    let ann = app.register("ann@example.com", "Ann Lee", PW).await;
    let bob = app.register("bob@example.com", "Bob Ray", PW).await;
    app.register("cy@example.com", "Cy Stranger", PW).await;
    let team =
        app.call("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&ann)).await.body;
    // An admin puts Ann and Bob on a profile together: then Ann may find Bob, and not Cy.
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let shared =
        app.call("/api/profiles/create", &[("name", "Shared"), ("description", "")], Some(&bob)).await.body;
    let form = [("profile", shared.as_str()), ("email", "ann@example.com"), ("access", "member")];
    assert!(app.call("/api/members/add", &form, Some(&admin)).await.status.is_success());
    let token = make_token(&app, &ann, "personal", "sync", &["read", "write"]).await;
    let id_of = |email: &str| format!("SELECT id FROM users WHERE email = '{email}'");
    let (bob_id, cy_id) =
        (app.count(&id_of("bob@example.com")).await, app.count(&id_of("cy@example.com")).await);
    let put = |user: i64, body: &'static str| {
        let (app, token, path) = (&app, token.clone(), format!("/api/v1/profiles/{team}/members/{user}"));
        async move { send_json(app, Method::PUT, &path, Some(&token), body).await }
    };
    let first = put(bob_id, r#"{"access": "member"}"#).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(json(&first)["access"], "member");
    let again = put(bob_id, r#"{"access": "member"}"#).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let entries = format!("SELECT COUNT(*) FROM history WHERE profile_id = {team} AND user_id = {bob_id}");
    assert_eq!(app.count(&entries).await, 1, "the same PUT twice is one change");
    let changed = put(bob_id, r#"{"access": "manager", "ends_on": "2030-06-30"}"#).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let member = json(&changed);
    assert_eq!((member["access"].as_str(), member["ends_at"].is_string()), (Some("manager"), true));
    assert_eq!(app.count(&format!("{entries} AND via_token = 'sync'")).await, 2, "history names the token");
    let page = app.get(&format!("/profiles/{team}/history"), Some(&ann)).await;
    assert!(page.body.contains("with the token “sync”"), "the page says which token");
    // Someone Ann may not see looks like no one at all, and joins nothing.
    let hidden = put(cy_id, r#"{"access": "member"}"#).await;
    let missing = put(999_999, r#"{"access": "member"}"#).await;
    assert_problem(&hidden, 404);
    assert_eq!(hidden.body, missing.body);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM memberships WHERE user_id = {cy_id}")).await, 0);
}

#[tokio::test]
async fn a_refused_put_changes_nothing() {
    let w = world().await;
    let team = w
        .app
        .call("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&w.admin))
        .await
        .body;
    let form = [
        ("profile", team.as_str()),
        ("email", "ann@example.com"),
        ("access", "manager"),
        ("ends_on", "2030-01-31"),
    ];
    assert!(w.app.call("/api/members/add", &form, Some(&w.admin)).await.status.is_success());
    let ann_id = w.app.count("SELECT id FROM users WHERE email = 'ann@example.com'").await;
    let token = make_token(&w.app, &w.ann, "personal", "mine", &["read", "write"]).await;
    let path = format!("/api/v1/profiles/{team}/members/{ann_id}");
    // A manager can't extend their own end, nor quietly step down while at it.
    let res = send_json(
        &w.app,
        Method::PUT,
        &path,
        Some(&token),
        r#"{"access": "member", "ends_on": "2031-01-31"}"#,
    )
    .await;
    assert_problem(&res, 422);
    assert_eq!(json(&res)["field"], "ends_on");
    let sql = format!("SELECT COUNT(*) FROM memberships WHERE user_id = {ann_id} AND access = 'manager'");
    assert_eq!(w.app.count(&sql).await, 1, "still a manager");
    // Bodies that aren't what the route takes are problems, never a 5xx.
    for (body, content_type, status) in [
        ("{not json", "application/json", 400),
        (r#"{"access": "boss"}"#, "application/json", 422),
        (r#"{"access": "member", "role": "admin"}"#, "application/json", 422),
        (r#"{"access": "member"}"#, "text/plain", 415),
    ] {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(&path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        assert_problem(&w.app.send(req).await, status);
    }
}

#[tokio::test]
async fn a_retried_post_with_the_same_key_does_its_work_once() {
    let w = world().await;
    let token = make_token(&w.app, &w.ann, "personal", "deploy", &["read", "write"]).await;
    let other = make_token(&w.app, &w.ann, "personal", "other", &["read", "write"]).await;
    let post = |token: &str, key: &str, body: &'static str| {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/profiles")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body))
            .unwrap();
        w.app.send(req)
    };
    let first = post(&token, "k-1", r#"{"name": "Once"}"#).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = post(&token, "k-1", r#"{"name": "Once"}"#).await;
    assert_eq!((again.status, again.body.as_str()), (StatusCode::CREATED, first.body.as_str()));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers[header::LOCATION], first.headers[header::LOCATION]);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM profiles WHERE name = 'Once'").await, 1, "made once");
    assert_problem(&post(&token, "k-1", r#"{"name": "Twice"}"#).await, 422);
    assert_problem(&post(&token, "", r#"{"name": "Twice"}"#).await, 400);
    // A key is the token's own: another token's same key is another request.
    let theirs = post(&other, "k-1", r#"{"name": "Other"}"#).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    // A refusal is kept too: the retry is told the same.
    let refused = post(&token, "k-2", r#"{"name": ""}"#).await;
    assert_problem(&refused, 422);
    assert_eq!(post(&token, "k-2", r#"{"name": ""}"#).await.body, refused.body);
}

#[tokio::test]
async fn a_service_token_reads_with_admin_power_and_changes_nothing_through_the_api() {
    let w = world().await;
    let service = make_token(&w.app, &w.admin, "service", "auditor", &["read", "admin"]).await;
    let me = json(&api(&w.app, Method::GET, "/api/v1/me", Some(&service)).await);
    assert_eq!((me["person"].is_null(), me["admin"].as_bool()), (true, Some(true)));
    assert_eq!(api(&w.app, Method::GET, "/api/v1/users", Some(&service)).await.status, StatusCode::OK);
    let form = [
        ("kind", "service"),
        ("name", "writer"),
        ("scopes[]", "write"),
        ("scopes[]", "admin"),
        ("expires", "30"),
    ];
    let res = w.app.call("/api/tokens/create", &form, Some(&w.admin)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    // And the database holds to it.
    let sql = "INSERT INTO api_tokens (user_id, name, digest, scopes) \
               VALUES (NULL, 'x', '0000000000000000000000000000000000000000000000000000000000000000', 6)";
    let refused = roster::with_db!(&w.app.db, |pool| sqlx::query(sql).execute(pool).await.map(drop));
    assert!(refused.is_err(), "a service token with write is refused by the schema");
    // It outlives the admin who made it.
    let listed = w.app.call("/api/tokens/list", &[], Some(&w.admin)).await;
    assert!(listed.body.contains("auditor"));
}

#[tokio::test]
async fn idempotency_keys_are_forgotten_after_a_day() {
    let w = world().await;
    let token = make_token(&w.app, &w.ann, "personal", "old", &["read", "write"]).await;
    let req = || {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/profiles")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "yesterday")
            .body(Body::from(r#"{"name": "Daily"}"#))
            .unwrap()
    };
    assert_eq!(w.app.send(req()).await.status, StatusCode::CREATED);
    w.app.exec("UPDATE api_idempotency SET created_at = '2020-01-01T00:00:00.000Z'").await;
    let state = roster::server::AppState::new(w.app.settings.clone(), w.app.db.clone());
    roster::server::sweep::once(&state).await.unwrap();
    assert_eq!(w.app.count("SELECT COUNT(*) FROM api_idempotency").await, 0, "the sweep forgets it");
}
