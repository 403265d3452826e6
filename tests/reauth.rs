//! "Confirm it's you": granting or revoking admin and deleting someone's account ask for the
//! password again once the session's was given more than a few minutes ago. On SQLite and
//! PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use roster::reauth::FIELD;

const PW: &str = "correct horse battery";

/// Root (admin) and Ada, with the ids of Ada and of the admin role; Root's session gave its
/// password long ago.
async fn world() -> (TestApp, String, String, String) {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    app.register("ada@example.com", "Ada", PW).await;
    let ada = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await.to_string();
    let admin = app.count("SELECT id FROM roles WHERE name = 'admin'").await.to_string();
    age_sessions(&app).await;
    (app, root, ada, admin)
}

/// Makes every session's password an hour old.
async fn age_sessions(app: &TestApp) {
    let hour_ago = chrono::Utc::now().timestamp() - 3600;
    app.exec(&format!("UPDATE sessions SET password_at = {hour_ago}")).await;
}

fn asks_for_password(response: &common::TestResponse) -> bool {
    response.status == StatusCode::UNPROCESSABLE_ENTITY && response.error().field() == Some(FIELD)
}

#[tokio::test]
async fn granting_admin_with_an_old_password_asks_for_it_again() {
    let (app, root, _, admin) = world().await;
    let grant = [("role", admin.as_str()), ("email", "ada@example.com")];
    let asked = app.call("/api/roles/assign", &grant, Some(&root)).await;
    assert!(asks_for_password(&asked), "{} {}", asked.status, asked.body);
    let holders =
        "SELECT COUNT(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'admin'";
    assert_eq!(app.count(holders).await, 1, "nothing granted");

    let wrong = [grant[0], grant[1], (FIELD, "not my password")];
    let refused = app.call("/api/roles/assign", &wrong, Some(&root)).await;
    assert_eq!(refused.error().to_string(), "That is not your password.");
    assert_eq!(app.count(holders).await, 1);

    let right = [grant[0], grant[1], (FIELD, PW)];
    let granted = app.call("/api/roles/assign", &right, Some(&root)).await;
    assert!(granted.status.is_success(), "{} {}", granted.status, granted.body);
    assert_eq!(app.count(holders).await, 2);

    // The password just given is recent: revoking at once needs it no more.
    let ada = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await.to_string();
    let revoke = app.call("/api/roles/unassign", &[("role", &admin), ("user", &ada)], Some(&root)).await;
    assert!(revoke.status.is_success(), "{} {}", revoke.status, revoke.body);
    assert_eq!(app.count(holders).await, 1);
}

#[tokio::test]
async fn revoking_admin_and_deleting_accounts_ask_but_other_roles_do_not() {
    let (app, root, ada, admin) = world().await;
    let grant = [("role", admin.as_str()), ("email", "ada@example.com"), (FIELD, PW)];
    assert!(app.call("/api/roles/assign", &grant, Some(&root)).await.status.is_success());
    age_sessions(&app).await;

    let revoke = app.call("/api/roles/unassign", &[("role", &admin), ("user", &ada)], Some(&root)).await;
    assert!(asks_for_password(&revoke), "{} {}", revoke.status, revoke.body);
    let delete = app.call("/api/users/delete", &[("id", &ada), ("confirm", "yes")], Some(&root)).await;
    assert!(asks_for_password(&delete), "{} {}", delete.status, delete.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'").await, 1);

    let role = app.json("/api/roles/create", &[("name", "auditor"), ("description", "")], Some(&root)).await;
    let role = role.to_string();
    let plain =
        app.call("/api/roles/assign", &[("role", &role), ("email", "ada@example.com")], Some(&root)).await;
    assert!(plain.status.is_success(), "other roles grant as before: {} {}", plain.status, plain.body);

    let deleted =
        app.call("/api/users/delete", &[("id", &ada), ("confirm", "yes"), (FIELD, PW)], Some(&root)).await;
    assert!(deleted.status.is_success(), "{} {}", deleted.status, deleted.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'").await, 0);
}

#[tokio::test]
async fn the_confirm_page_takes_the_password_and_goes_back() {
    let (app, root, ada, admin) = world().await;
    let page = app.get("/account/confirm-password?next=/roles/1", Some(&root)).await;
    assert!(page.body.contains("name=\"next\" value=\"/roles/1\""), "{}", page.body);

    let wrong = [("password", "nope"), ("next", "/roles/1")];
    let refused = app.call("/api/account/confirm-password", &wrong, Some(&root)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let elsewhere = [("password", PW), ("next", "//evil.example")];
    let back = app.submit("/api/account/confirm-password", &elsewhere, "/roles/1", Some(&root)).await;
    assert_eq!(back.location(), Some("/account"), "never off the site");
    let grant = [("role", admin.as_str()), ("email", "ada@example.com")];
    assert!(app.call("/api/roles/assign", &grant, Some(&root)).await.status.is_success(), "recent now");

    // Linked to from a refusal, it goes back to the page the link was on, without its error.
    let from = format!("http://localhost/users/{ada}?__path=x&__err=y");
    let request = axum::http::Request::get(roster::reauth::PAGE)
        .header("cookie", &root)
        .header("referer", from)
        .body(axum::body::Body::empty())
        .unwrap();
    let page = app.send(request).await.body;
    assert!(page.contains(&format!("name=\"next\" value=\"/users/{ada}\"")), "{page}");
    let back = app.submit(
        "/api/account/confirm-password",
        &[("password", PW), ("next", "/roles/1")],
        "/",
        Some(&root),
    );
    assert_eq!(back.await.location(), Some("/roles/1"));

    let nobody = app.call("/api/account/confirm-password", &[("password", PW)], None).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stale_admin_sees_the_password_field_where_it_is_needed() {
    let (app, root, ada, admin) = world().await;
    let user_page = app.get(&format!("/users/{ada}"), Some(&root)).await.body;
    assert!(user_page.contains(&format!("name=\"{FIELD}\"")), "delete and grant forms ask");
    let role_page = app.get(&format!("/roles/{admin}"), Some(&root)).await.body;
    assert!(role_page.contains(&format!("name=\"{FIELD}\"")));

    let fresh = app.sign_in("root@example.com", PW).await;
    let role_page = app.get(&format!("/roles/{admin}"), Some(&fresh)).await.body;
    assert!(!role_page.contains(&format!("name=\"{FIELD}\"")), "a fresh sign-in needs no field");
}
