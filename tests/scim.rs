//! SCIM 2.0: the door lets in only a service token with the scim scope and answers in
//! SCIM's error format; discovery says what Roster serves.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use common::{TestApp, TestResponse};
use serde_json::Value;

const PW: &str = "correct horse battery";

async fn scim(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> TestResponse {
    let mut req = Request::builder().method(method).uri(path).header(header::ACCEPT, "application/scim+json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

/// A token made through the tokens form; its secret read from the cookie that carries it to
/// the tokens page.
async fn token(app: &TestApp, cookie: &str, kind: &str, scopes: &[&str]) -> String {
    use base64::Engine;
    let name = scopes.join("-");
    let mut form = vec![("kind", kind), ("name", name.as_str()), ("expires", "30")];
    form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
    let made = app.call("/api/tokens/create", &form, Some(cookie)).await;
    assert!(made.status.is_success(), "{}", made.body);
    let reveal = made.cookie("roster_new_token").unwrap();
    let value = reveal.split_once('=').unwrap().1;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).unwrap();
    serde_json::from_slice::<Value>(&json).unwrap()["secret"].as_str().unwrap().to_owned()
}

fn assert_scim_error(res: &TestResponse, status: u16) {
    assert_eq!(res.status.as_u16(), status, "{}", res.body);
    assert_eq!(res.headers[header::CONTENT_TYPE], "application/scim+json");
    let body: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(body["status"], status.to_string());
}

#[tokio::test]
async fn only_a_scim_token_gets_in_and_refusals_are_scim_errors() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let provider = token(&app, &admin, "service", &["scim"]).await;
    let reader = token(&app, &admin, "service", &["read", "admin"]).await;
    let path = "/scim/v2/ServiceProviderConfig";
    let none = scim(&app, Method::GET, path, None).await;
    assert_scim_error(&none, 401);
    assert!(none.headers[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer"));
    assert_scim_error(&scim(&app, Method::GET, path, Some("roster_nothing")).await, 401);
    let wrong = scim(&app, Method::GET, path, Some(&reader)).await;
    assert_scim_error(&wrong, 403);
    assert!(wrong.headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("scope=\"scim\""));
    // And a scim token opens nothing of the JSON API.
    assert_eq!(scim(&app, Method::GET, "/api/v1/me", Some(&provider)).await.status, StatusCode::FORBIDDEN);
    let ok = scim(&app, Method::GET, path, Some(&provider)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.headers[header::CONTENT_TYPE], "application/scim+json");
    assert_scim_error(&scim(&app, Method::POST, path, Some(&provider)).await, 405);
    assert_scim_error(&scim(&app, Method::GET, "/scim/v2/Nothing", Some(&provider)).await, 404);
    assert_scim_error(&scim(&app, Method::GET, "/scim/v2/Schemas/urn:x", Some(&provider)).await, 404);
}

#[tokio::test]
async fn discovery_describes_users_and_groups() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let provider = token(&app, &admin, "service", &["scim"]).await;
    let get = |path: &'static str| {
        let (app, provider) = (&app, provider.clone());
        async move {
            let res = scim(app, Method::GET, path, Some(&provider)).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
            serde_json::from_str::<Value>(&res.body).unwrap()
        }
    };
    let config = get("/scim/v2/ServiceProviderConfig").await;
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["bulk"]["supported"], false);
    assert_eq!(config["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let types = get("/scim/v2/ResourceTypes").await;
    assert_eq!(types["totalResults"], 2);
    let names: Vec<&str> =
        types["Resources"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["User", "Group"]);
    assert_eq!(get("/scim/v2/ResourceTypes/Group").await["endpoint"], "/Groups");
    let user = get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    let attributes: Vec<&str> =
        user["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(attributes, ["userName", "name", "displayName", "active", "emails", "groups"]);
    assert_eq!(user["attributes"][0]["uniqueness"], "server");
    assert_eq!(get("/scim/v2/Schemas").await["totalResults"], 2);
}
