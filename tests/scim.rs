//! SCIM 2.0: the door lets in only a service token with the scim scope and answers in
//! SCIM's error format; discovery says what Roster serves; and what identity providers rely
//! on and conformance checkers miss: unique userNames, filters that filter, member changes
//! as Okta and Entra send them, ETags, deactivation, deletion, and the welcome mail.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use common::{TestApp, TestResponse};
use serde_json::{json, Value};

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
    assert_eq!(attributes, ["userName", "name", "displayName", "active", "emails"]);
    assert_eq!(user["attributes"][0]["uniqueness"], "server");
    assert_eq!(get("/scim/v2/Schemas").await["totalResults"], 2);
}

/// An identity provider: a scim token, and requests made with it.
struct Provider<'a> {
    app: &'a TestApp,
    token: String,
}

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

impl<'a> Provider<'a> {
    async fn new(app: &'a TestApp) -> Provider<'a> {
        let admin = app.admin("admin@example.com", "Admin", PW).await;
        Provider { app, token: token(app, &admin, "service", &["scim"]).await }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> TestResponse {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/scim+json");
        if let Some(tag) = if_match {
            req = req.header(header::IF_MATCH, tag);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        self.app.send(req.body(body).unwrap()).await
    }

    /// A request that must succeed with `status`; its JSON body.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let res = self.send(method.clone(), path, body, None).await;
        assert_eq!(res.status.as_u16(), status, "{method} {path}: {}", res.body);
        if res.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&res.body).unwrap()
        }
    }

    async fn user(&self, user_name: &str, extra: Value) -> Value {
        let mut body = json!({"schemas": [USER], "userName": user_name});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        self.ok(Method::POST, "/scim/v2/Users", Some(body), 201).await
    }

    async fn patch(&self, path: &str, operations: Value) -> TestResponse {
        self.send(Method::PATCH, path, Some(json!({"schemas": [PATCH_OP], "Operations": operations})), None)
            .await
    }

    /// The userNames a filter finds.
    async fn find(&self, filter: &str) -> Vec<String> {
        let path = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let list = self.ok(Method::GET, &path, None, 200).await;
        let found: Vec<String> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(list["totalResults"], found.len(), "{filter}");
        found
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_owned()
}

fn scim_type(res: &TestResponse) -> Value {
    serde_json::from_str::<Value>(&res.body).unwrap()["scimType"].clone()
}

#[tokio::test]
async fn user_names_are_unique_and_filters_filter() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    idp.user("ann@example.com", json!({"externalId": "e-ann", "displayName": "Ann Lee"})).await;
    let jdoe = idp
        .user(
            "jdoe",
            json!({"emails": [{"value": "jo@example.com", "type": "work", "primary": true}],
            "name": {"givenName": "Jo", "familyName": "Doe"}}),
        )
        .await;
    assert_eq!(jdoe["userName"], "jdoe");
    assert!(jdoe.get("displayName").is_none(), "not stated, not shown: {jdoe}");
    // The same userName in other capitals is taken, as is an address another account uses.
    for (user_name, extra) in [
        ("ANN@example.com", json!({})),
        ("JDOE", json!({"emails": [{"value": "other@example.com"}]})),
        ("someone", json!({"emails": [{"value": "jo@example.com"}]})),
    ] {
        let mut body = json!({"schemas": [USER], "userName": user_name});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap());
        let res = idp.send(Method::POST, "/scim/v2/Users", Some(body), None).await;
        assert_scim_error(&res, 409);
        assert_eq!(scim_type(&res), "uniqueness", "{user_name}");
    }
    let mut found = idp.find(r#"userName eq "Ann@Example.com""#).await;
    assert_eq!(found, ["ann@example.com"]);
    assert_eq!(idp.find(r#"userName eq "JDOE""#).await, ["jdoe"]);
    // An account made on the web is found by its email, so a provider can take it over.
    assert_eq!(idp.find(r#"userName eq "admin@example.com""#).await, ["admin@example.com"]);
    assert_eq!(idp.find(r#"userName eq "jo@example.com""#).await, Vec::<String>::new());
    assert_eq!(idp.find(r#"externalId eq "e-ann""#).await, ["ann@example.com"]);
    assert_eq!(idp.find(r#"externalId eq "E-ANN""#).await, Vec::<String>::new(), "externalId heeds case");
    assert_eq!(idp.find(r#"emails.value eq "JO@example.com""#).await, ["jdoe"]);
    assert_eq!(idp.find(r#"emails[value co "jo@"]"#).await, ["jdoe"]);
    found = idp.find(r#"userName sw "a" or displayName co "lee""#).await;
    found.sort();
    assert_eq!(found, ["admin@example.com", "ann@example.com"]);
    assert_eq!(idp.find(r#"userName sw "a" and not (externalId pr)"#).await, ["admin@example.com"]);
    assert_eq!(idp.find(r#"active eq true and userName ew "doe""#).await, ["jdoe"]);
    // Sorted, and paged from a startIndex.
    let path = "/scim/v2/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=1";
    let page = idp.ok(Method::GET, path, None, 200).await;
    assert_eq!(
        (&page["totalResults"], &page["startIndex"], &page["itemsPerPage"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(page["Resources"][0]["userName"], "ann@example.com");
    for bad in [r#"userName eq"#, r#"name.givenName eq "Jo""#, "nickName pr"] {
        let res =
            idp.send(Method::GET, &format!("/scim/v2/Users?filter={}", urlencode(bad)), None, None).await;
        assert_scim_error(&res, 400);
        assert_eq!(scim_type(&res), "invalidFilter", "{bad}");
    }
}

#[tokio::test]
async fn deactivating_ends_sessions_and_entra_sends_strings() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let cookie = app.register("bea@example.com", "Bea", PW).await;
    assert_ne!(app.call("/api/me", &[], Some(&cookie)).await.body, "null");
    let found =
        idp.ok(Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22bea@example.com%22", None, 200).await;
    let path = format!("/scim/v2/Users/{}", id(&found["Resources"][0]));
    let res = idp.patch(&path, json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(serde_json::from_str::<Value>(&res.body).unwrap()["active"], false);
    assert_eq!(app.call("/api/me", &[], Some(&cookie)).await.body, "null", "the session ended");
    let signed_in = app.call("/api/sign_in", &[("email", "bea@example.com"), ("password", PW)], None).await;
    assert!(!signed_in.status.is_success(), "a deactivated account can't sign in");
    // Path-less replace, as Entra sends it, with a string boolean and a name.
    let ops = json!([{"op": "replace", "value": {"active": "True", "name.givenName": "Beatrix",
        "displayName": "Beatrix L", "externalId": "b-1"}}]);
    let res = idp.patch(&path, ops).await;
    let user: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(
        (&user["active"], &user["name"]["givenName"], &user["externalId"]),
        (&json!(true), &json!("Beatrix"), &json!("b-1"))
    );
    app.sign_in("bea@example.com", PW).await;
    let shown = app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Beatrix L'").await;
    assert_eq!(shown, 1, "displayName is the name Roster shows");
    // The last admin is refused, as on the web.
    let admin =
        idp.ok(Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22admin@example.com%22", None, 200).await;
    let admin_path = format!("/scim/v2/Users/{}", id(&admin["Resources"][0]));
    let refused = idp.patch(&admin_path, json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_scim_error(&refused, 409);
}

#[tokio::test]
async fn etags_guard_changes() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let user = idp.user("cy@example.com", json!({"displayName": "Cy"})).await;
    let path = format!("/scim/v2/Users/{}", id(&user));
    let tag = user["meta"]["version"].as_str().unwrap().to_owned();
    let get = idp.send(Method::GET, &path, None, None).await;
    assert_eq!(get.headers[header::ETAG].to_str().unwrap(), tag);
    let rename = json!({"op": "replace", "path": "displayName", "value": "Cyd"});
    let ops = json!({"schemas": [PATCH_OP], "Operations": [rename]});
    let changed = idp.send(Method::PATCH, &path, Some(ops.clone()), Some(&tag)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let stale = idp.send(Method::PATCH, &path, Some(ops), Some(&tag)).await;
    assert_scim_error(&stale, 412);
    let stale_put = idp
        .send(Method::PUT, &path, Some(json!({"schemas": [USER], "userName": "cy@example.com"})), Some(&tag))
        .await;
    assert_scim_error(&stale_put, 412);
    assert_scim_error(&idp.send(Method::DELETE, &path, None, Some(&tag)).await, 412);
    let group = idp
        .ok(Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "Ops"})), 201)
        .await;
    let group_path = format!("/scim/v2/Groups/{}", id(&group));
    let group_tag = group["meta"]["version"].as_str().unwrap().to_owned();
    let member = json!({"op": "add", "path": "members", "value": [{"value": id(&user)}]});
    let add = json!({"schemas": [PATCH_OP], "Operations": [member]});
    assert_eq!(
        idp.send(Method::PATCH, &group_path, Some(add.clone()), Some(&group_tag)).await.status,
        StatusCode::OK
    );
    assert_scim_error(&idp.send(Method::PATCH, &group_path, Some(add), Some(&group_tag)).await, 412);
}

#[tokio::test]
async fn group_members_change_as_okta_and_entra_send_them() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let mut people = Vec::new();
    for name in ["dee", "eve", "fay", "gus"] {
        people.push(id(&idp.user(&format!("{name}@example.com"), json!({})).await));
    }
    let body = json!({"schemas": [GROUP], "displayName": "Platform", "externalId": "g-1",
        "members": [{"value": people[0]}]});
    let group = idp.ok(Method::POST, "/scim/v2/Groups", Some(body), 201).await;
    let path = format!("/scim/v2/Groups/{}", id(&group));
    let members = |group: &Value| -> Vec<String> {
        group["members"]
            .as_array()
            .map_or(Vec::new(), |m| m.iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect())
    };
    assert_eq!(members(&group), [people[0].clone()]);
    let added = idp
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": people[1..].iter()
            .map(|id| json!({"value": id})).collect::<Vec<_>>()}]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    // Okta: one member by a value filter. Entra: a list of values.
    let by_filter = format!("members[value eq \"{}\"]", people[1]);
    assert_eq!(idp.patch(&path, json!([{"op": "remove", "path": by_filter}])).await.status, StatusCode::OK);
    let by_value =
        idp.patch(&path, json!([{"op": "Remove", "path": "members", "value": [{"value": people[2]}]}])).await;
    assert_eq!(
        members(&serde_json::from_str(&by_value.body).unwrap()),
        [people[0].clone(), people[3].clone()]
    );
    // A path-less replace renames it; the members stay.
    let renamed = idp
        .patch(
            &path,
            json!([{"op": "replace", "value": {"displayName": "Platform team", "externalId": "g-2"}}]),
        )
        .await;
    let renamed: Value = serde_json::from_str(&renamed.body).unwrap();
    assert_eq!((&renamed["displayName"], &renamed["externalId"]), (&json!("Platform team"), &json!("g-2")));
    assert_eq!(members(&renamed).len(), 2);
    // Entra asks whether someone is a member with a filter, and leaves the members out.
    let asked = format!(
        "/scim/v2/Groups?filter={}&excludedAttributes=members",
        urlencode(&format!("id eq \"{}\" and members[value eq \"{}\"]", id(&group), people[3]))
    );
    let answer = idp.ok(Method::GET, &asked, None, 200).await;
    assert_eq!(answer["totalResults"], 1);
    assert!(answer["Resources"][0].get("members").is_none());
    let asked =
        format!("/scim/v2/Groups?filter={}", urlencode(&format!("members[value eq \"{}\"]", people[1])));
    assert_eq!(idp.ok(Method::GET, &asked, None, 200).await["totalResults"], 0);
    // An unknown person is the provider's mistake.
    let res =
        idp.patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": "999999"}]}])).await;
    assert_scim_error(&res, 400);
    // History names the token and no person.
    let by_token = app
        .count(&format!(
            "SELECT COUNT(*) FROM history WHERE profile_id = {} AND actor_id IS NULL AND via_token = 'scim'",
            id(&group)
        ))
        .await;
    assert_eq!(by_token, 6, "4 added, 2 removed");
    // The provider's group needs no manager; it has none.
    assert_eq!(app.count(&format!("SELECT manager_count FROM profiles WHERE id = {}", id(&group))).await, 0);
    assert_eq!(idp.send(Method::DELETE, &path, None, None).await.status, StatusCode::NO_CONTENT);
    assert_scim_error(&idp.send(Method::GET, &path, None, None).await, 404);
}

#[tokio::test]
async fn deleting_a_last_manager_is_refused() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let cookie = app.register("hal@example.com", "Hal", PW).await;
    let made =
        app.call("/api/profiles/create", &[("name", "Hal's team"), ("description", "")], Some(&cookie)).await;
    assert!(made.status.is_success(), "{}", made.body);
    let found =
        idp.ok(Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22hal@example.com%22", None, 200).await;
    let path = format!("/scim/v2/Users/{}", id(&found["Resources"][0]));
    let refused = idp.send(Method::DELETE, &path, None, None).await;
    assert_scim_error(&refused, 409);
    assert!(refused.body.contains("Hal's team"), "{}", refused.body);
    let user = idp.user("ida@example.com", json!({})).await;
    let gone = format!("/scim/v2/Users/{}", id(&user));
    assert_eq!(idp.send(Method::DELETE, &gone, None, None).await.status, StatusCode::NO_CONTENT);
    assert_scim_error(&idp.send(Method::GET, &gone, None, None).await, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ida@example.com'").await, 0);
}

#[tokio::test]
async fn a_provisioned_person_is_welcomed_with_a_link_to_set_a_password() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    idp.user("jay", json!({"emails": [{"value": "jay@example.com", "primary": true}], "displayName": "Jay"}))
        .await;
    let mail = app.mail_arriving("jay@example.com", 1).await;
    assert!(mail[0].subject.contains("account is ready"), "{}", mail[0].subject);
    let link = mail[0].link("/reset?token=");
    let token = link.split_once("token=").unwrap().1.to_owned();
    let new_password = "a new password for jay";
    let set = app.call("/api/reset_password", &[("token", &token), ("password", new_password)], None).await;
    assert!(set.status.is_success(), "{} {}", set.status, set.body);
    app.sign_in("jay@example.com", new_password).await;
    // A person provisioned inactive is not mailed.
    idp.user("kim@example.com", json!({"active": false})).await;
    assert!(app.mail_to("kim@example.com").await.is_empty());
}

#[tokio::test]
async fn a_big_group_leaves_its_members_out() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let group = idp
        .ok(Method::POST, "/scim/v2/Groups", Some(json!({"schemas": [GROUP], "displayName": "All"})), 201)
        .await;
    let names: Vec<String> = (0..1001).map(|n| format!("Person {n}")).collect();
    let ids = app.people(&names).await;
    let values: Vec<Value> = ids.iter().map(|id| json!({"value": id.to_string()})).collect();
    let path = format!("/scim/v2/Groups/{}", id(&group));
    let added = idp.patch(&path, json!([{"op": "add", "path": "members", "value": values}])).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let shown: Value = serde_json::from_str(&added.body).unwrap();
    assert!(shown.get("members").is_none(), "1,001 members are left out");
    let one = idp
        .patch(&path, json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        app.count(&format!("SELECT member_count FROM profiles WHERE id = {}", id(&group))).await,
        1000
    );
    let listed = idp.ok(Method::GET, &path, None, 200).await;
    assert_eq!(listed["members"].as_array().unwrap().len(), 1000, "1,000 are shown");
}

#[tokio::test]
async fn a_provisioned_profile_changes_members_only_over_scim() {
    let app = TestApp::new().await;
    let idp = Provider::new(&app).await;
    let admin = app.sign_in("admin@example.com", PW).await;
    let owner = app.register("lou@example.com", "Lou", PW).await;
    app.register("max@example.com", "Max", PW).await;
    let profile =
        app.call("/api/profiles/create", &[("name", "Lab"), ("description", "")], Some(&owner)).await.body;
    let invite = [("profile", profile.as_str()), ("email", "new@example.com"), ("access", "member")];
    assert!(app.call("/api/members/add", &invite, Some(&owner)).await.status.is_success());
    // Not the provider's yet: SCIM doesn't see it.
    assert_scim_error(&idp.send(Method::GET, &format!("/scim/v2/Groups/{profile}"), None, None).await, 404);
    let token = app.count("SELECT id FROM api_tokens").await.to_string();
    let link = [("profile", profile.as_str()), ("token", token.as_str())];
    assert_eq!(
        app.call("/api/profiles/link_provider", &link, Some(&owner)).await.status,
        StatusCode::FORBIDDEN
    );
    let linked = app.call("/api/profiles/link_provider", &link, Some(&admin)).await;
    assert!(linked.status.is_success(), "{}", linked.body);
    let open = app
        .count(&format!("SELECT COUNT(*) FROM invitations WHERE profile_id = {profile} AND outcome IS NULL"))
        .await;
    assert_eq!(open, 0, "its open invitations are withdrawn");
    // Its manager can't change its members on the web, nor can an admin, nor can anyone leave.
    let add = [("profile", profile.as_str()), ("email", "max@example.com"), ("access", "member")];
    for cookie in [&owner, &admin] {
        let refused = app.call("/api/members/add", &add, Some(cookie)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    }
    let leave = [("profile", profile.as_str()), ("confirm", "yes")];
    assert_eq!(app.call("/api/members/leave", &leave, Some(&owner)).await.status, StatusCode::CONFLICT);
    let page = app.get(&format!("/profiles/{profile}"), Some(&owner)).await;
    assert!(
        page.body.contains("provider-notice") && page.body.contains("“scim”"),
        "the page says who manages it"
    );
    assert!(!page.body.contains("/api/members/add"), "and offers no member forms");
    // The provider may remove its last manager: it needs none while it owns it.
    let lou = app.count("SELECT id FROM users WHERE email = 'lou@example.com'").await;
    let path = format!("/scim/v2/Groups/{profile}");
    let removed =
        idp.patch(&path, json!([{"op": "remove", "path": format!("members[value eq \"{lou}\"]")}])).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(app.count(&format!("SELECT manager_count FROM profiles WHERE id = {profile}")).await, 0);
    // Revoking the token leaves it the provider's; taking it back makes the admin its manager.
    assert!(app
        .call("/api/tokens/revoke", &[("id", token.as_str())], Some(&admin))
        .await
        .status
        .is_success());
    let page = app.get(&format!("/profiles/{profile}"), Some(&admin)).await;
    assert!(page.body.contains("its token has been revoked"), "{}", page.body);
    let back =
        app.call("/api/profiles/release_provider", &[("profile", profile.as_str())], Some(&admin)).await;
    assert!(back.status.is_success(), "{}", back.body);
    let managers = app
        .count(&format!(
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.profile_id = {profile} AND m.access = 'manager' AND u.email = 'admin@example.com'"
        ))
        .await;
    assert_eq!(managers, 1);
    assert!(
        app.call("/api/members/add", &add, Some(&admin)).await.status.is_success(),
        "its members change here again"
    );
}
