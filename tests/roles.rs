//! Roles, the users directory and user pages: admins only, with the admin role kept safe.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use roster::{error::AppError, roles};

const PW: &str = "correct horse battery";

struct Admins {
    app: TestApp,
    admin: String,
    user: String,
}

async fn setup() -> Admins {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let user = app.register("grace@example.com", "Grace Hopper", PW).await;
    Admins { app, admin, user }
}

impl Admins {
    async fn id(&self, sql: &str) -> String {
        self.app.count(sql).await.to_string()
    }
    async fn admin_role(&self) -> String {
        self.id("SELECT id FROM roles WHERE name = 'admin'").await
    }
}

#[tokio::test]
async fn only_admins_manage_roles() {
    let a = setup().await;
    for (cookie, expected) in [(None, 401), (Some(a.user.as_str()), 403)] {
        let res = a.app.call("/api/roles/create", &[("name", "editor"), ("description", "")], cookie).await;
        assert_eq!(res.status.as_u16(), expected);
        assert_eq!(a.app.call("/api/roles/list", &[], cookie).await.status.as_u16(), expected);
        let role = a.admin_role().await;
        assert_eq!(
            a.app.call("/api/roles/holders", &[("role", &role)], cookie).await.status.as_u16(),
            expected
        );
        let grant =
            a.app.call("/api/roles/assign", &[("role", &role), ("email", "grace@example.com")], cookie).await;
        assert_eq!(grant.status.as_u16(), expected, "a non-admin can't make themselves admin");
    }
    assert_eq!(a.app.count("SELECT COUNT(*) FROM roles").await, 1);
    assert_eq!(a.app.count("SELECT COUNT(*) FROM user_roles").await, 1);
}

#[tokio::test]
async fn only_admins_read_change_delete_or_revoke_a_role() {
    let a = setup().await;
    let created =
        a.app.call("/api/roles/create", &[("name", "editor"), ("description", "")], Some(&a.admin)).await;
    let role = created.body;
    let admin_id = a.id("SELECT id FROM users WHERE email = 'admin@example.com'").await;
    let admin_role = a.admin_role().await;
    for (who, cookie, expected) in [("anonymous", None, 401), ("a non-admin", Some(a.user.as_str()), 403)] {
        let calls: [(&str, Vec<(&str, &str)>); 4] = [
            ("/api/roles/get", vec![("id", &role)]),
            ("/api/roles/update", vec![("id", &role), ("name", "hijacked"), ("description", "")]),
            ("/api/roles/delete", vec![("id", &role), ("confirm", "yes")]),
            ("/api/roles/unassign", vec![("role", &admin_role), ("user", &admin_id)]),
        ];
        for (path, form) in calls {
            let res = a.app.call(path, &form, cookie).await;
            assert_eq!(res.status.as_u16(), expected, "{path} as {who}");
        }
    }
    assert_eq!(a.app.count("SELECT COUNT(*) FROM roles WHERE name = 'editor'").await, 1, "nothing changed");
    assert_eq!(a.app.count("SELECT COUNT(*) FROM user_roles").await, 1);
}

#[tokio::test]
async fn admins_create_rename_and_delete_roles() {
    let a = setup().await;
    let created = a
        .app
        .call("/api/roles/create", &[("name", "editor"), ("description", "Edits")], Some(&a.admin))
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    let id = created.body;
    let dup =
        a.app.call("/api/roles/create", &[("name", "editor"), ("description", "")], Some(&a.admin)).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.error(), AppError::Conflict(roles::NAME_TAKEN.into()));
    let renamed = a
        .app
        .call(
            "/api/roles/update",
            &[("id", &id), ("name", "reviewer"), ("description", "Reviews")],
            Some(&a.admin),
        )
        .await;
    assert!(renamed.status.is_success());
    assert_eq!(
        a.app.count("SELECT COUNT(*) FROM roles WHERE name = 'reviewer' AND description = 'Reviews'").await,
        1
    );
    let unconfirmed = a.app.call("/api/roles/delete", &[("id", &id)], Some(&a.admin)).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY, "deleting asks for confirmation");
    assert_eq!(a.app.count("SELECT COUNT(*) FROM roles").await, 2);
    let deleted = a.app.call("/api/roles/delete", &[("id", &id), ("confirm", "yes")], Some(&a.admin)).await;
    assert!(deleted.status.is_success());
    assert_eq!(a.app.count("SELECT COUNT(*) FROM roles").await, 1);
}

#[tokio::test]
async fn the_admin_role_cannot_be_deleted_or_renamed() {
    let a = setup().await;
    let role = a.admin_role().await;
    let delete = a.app.call("/api/roles/delete", &[("id", &role), ("confirm", "yes")], Some(&a.admin)).await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    assert_eq!(delete.error(), AppError::Conflict(roles::ADMIN_IS_PERMANENT.into()));
    let rename = a
        .app
        .call("/api/roles/update", &[("id", &role), ("name", "boss"), ("description", "")], Some(&a.admin))
        .await;
    assert_eq!(rename.status, StatusCode::CONFLICT);
    let describe = a
        .app
        .call(
            "/api/roles/update",
            &[("id", &role), ("name", "admin"), ("description", "Runs it")],
            Some(&a.admin),
        )
        .await;
    assert!(describe.status.is_success(), "the description may change");
}

#[tokio::test]
async fn assigning_shows_on_the_role_page_and_the_last_admin_keeps_the_role() {
    let a = setup().await;
    let role = a.admin_role().await;
    let admin_id = a.id("SELECT id FROM users WHERE email = 'admin@example.com'").await;
    let last =
        a.app.call("/api/roles/unassign", &[("role", &role), ("user", &admin_id)], Some(&a.admin)).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert_eq!(last.error(), AppError::Conflict(roles::LAST_ADMIN.into()));

    let grant = a
        .app
        .call("/api/roles/assign", &[("role", &role), ("email", "grace@example.com")], Some(&a.admin))
        .await;
    assert!(grant.status.is_success(), "{}", grant.body);
    let twice = a
        .app
        .call("/api/roles/assign", &[("role", &role), ("email", "grace@example.com")], Some(&a.admin))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let unknown = a
        .app
        .call("/api/roles/assign", &[("role", &role), ("email", "ghost@example.com")], Some(&a.admin))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = a.app.get(&format!("/roles/{role}"), Some(&a.admin)).await;
    assert!(page.body.contains("Grace Hopper") && page.body.contains("grace@example.com"), "holders listed");
    // Grace is an admin now, at once: her session sees the Users page.
    assert_eq!(a.app.call("/api/users/list", &[], Some(&a.user)).await.status, StatusCode::OK);
    // With two admins, one may step down.
    let step_down =
        a.app.call("/api/roles/unassign", &[("role", &role), ("user", &admin_id)], Some(&a.admin)).await;
    assert!(step_down.status.is_success());
    assert_eq!(a.app.call("/api/roles/list", &[], Some(&a.admin)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_users_directory_is_for_admins_and_searches_name_and_email_prefixes() {
    let a = setup().await;
    a.app.register("alan@turing.example", "Alan Turing", PW).await;
    a.app.register("ada@example.com", "Ada 100%_Lovelace", PW).await;
    assert_eq!(a.app.call("/api/users/list", &[], None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.app.call("/api/users/list", &[], Some(&a.user)).await.status, StatusCode::FORBIDDEN);
    let names = |body: &str| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = a.app.call("/api/users/list", &[], Some(&a.admin)).await;
    assert_eq!(names(&all.body), ["Ada 100%_Lovelace", "Admin", "Alan Turing", "Grace Hopper"]);
    let by_name = a.app.call("/api/users/list", &[("q", "gRa")], Some(&a.admin)).await;
    assert_eq!(names(&by_name.body), ["Grace Hopper"]);
    let by_email = a.app.call("/api/users/list", &[("q", "alan@")], Some(&a.admin)).await;
    assert_eq!(names(&by_email.body), ["Alan Turing"]);
    let wildcard = a.app.call("/api/users/list", &[("q", "%")], Some(&a.admin)).await;
    assert!(names(&wildcard.body).is_empty(), "% is a character, not a wildcard");
    let page = a.app.get("/users?q=zzz", Some(&a.admin)).await;
    assert!(page.body.contains("No user matches “zzz”."), "an empty state that names the search");
}

#[tokio::test]
async fn a_user_page_is_for_oneself_or_an_admin() {
    let a = setup().await;
    let grace = a.id("SELECT id FROM users WHERE email = 'grace@example.com'").await;
    let admin_id = a.id("SELECT id FROM users WHERE email = 'admin@example.com'").await;
    assert_eq!(a.app.call("/api/users/get", &[("id", &grace)], Some(&a.user)).await.status, StatusCode::OK);
    assert_eq!(
        a.app.call("/api/users/get", &[("id", &admin_id)], Some(&a.user)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.app.call("/api/users/get", &[("id", &grace)], None).await.status, StatusCode::UNAUTHORIZED);
    let own = a.app.get(&format!("/users/{admin_id}"), Some(&a.admin)).await;
    assert!(own.body.contains("admin") && own.body.contains("Not on any profiles yet"));
    let other = a.app.get(&format!("/users/{admin_id}"), Some(&a.user)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_page_shows_both_directions_of_each_link() {
    let a = setup().await;
    let created =
        a.app.call("/api/profiles/create", &[("name", "Navy"), ("description", "")], Some(&a.user)).await;
    assert!(created.status.is_success());
    let grace = a.id("SELECT id FROM users WHERE email = 'grace@example.com'").await;
    let page = a.app.get(&format!("/users/{grace}"), Some(&a.admin)).await;
    assert!(page.body.contains("Navy"), "her profiles");
    assert!(page.body.contains("No roles."), "her roles, empty");
    let admin_id = a.id("SELECT id FROM users WHERE email = 'admin@example.com'").await;
    let admin_page = a.app.get(&format!("/users/{admin_id}"), Some(&a.admin)).await;
    assert!(admin_page.body.contains("data-testid=\"user-roles\""), "the admin's roles are listed");
}

#[tokio::test]
async fn every_change_to_a_role_is_recorded_with_the_grants_its_deletion_took() {
    let a = setup().await;
    let form = [("name", "editor"), ("description", "Edits")];
    let id = a.app.json("/api/roles/create", &form, Some(&a.admin)).await.to_string();
    a.app.json("/api/roles/assign", &[("role", &id), ("email", "grace@example.com")], Some(&a.admin)).await;
    let form = [("id", id.as_str()), ("name", "reviewer"), ("description", "Reviews")];
    a.app.json("/api/roles/update", &form, Some(&a.admin)).await;
    // The role's page shows both histories: its holders' and its own.
    let page = a.app.get(&format!("/roles/{id}"), Some(&a.admin)).await;
    for shown in
        ["renamed from “editor” to “reviewer”", "created as “editor”", "was granted the role", "Grace Hopper"]
    {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    a.app.json("/api/roles/delete", &[("id", &id), ("confirm", "yes")], Some(&a.admin)).await;

    let changes = a.app.json("/api/history/role_changes", &[("role", &id)], Some(&a.admin)).await;
    let actions: Vec<&str> =
        changes.as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["deleted", "described", "renamed", "created"], "newest first");
    assert!(changes.as_array().unwrap().iter().all(|c| c["actor"] == "Admin"));
    assert_eq!(changes[0]["old_value"], "reviewer");
    // Grace's grant went with the role, recorded as a removal by the admin.
    let history = a.app.json("/api/history/role", &[("role", &id)], Some(&a.admin)).await;
    let entries = history["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history}");
    assert_eq!(
        (entries[0]["action"].as_str(), entries[0]["actor"].as_str()),
        (Some("removed"), Some("Admin"))
    );
    assert_eq!(entries[0]["since"], entries[1]["since"], "the removal keeps when the grant began");
    a.app.assert_history_tallies_add_up().await;
    // Only admins read a role's history.
    let res = a.app.call("/api/history/role", &[("role", &id)], Some(&a.user)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_refused_change_to_the_admin_role_records_nothing() {
    let a = setup().await;
    let role = a.admin_role().await;
    a.app
        .call("/api/roles/update", &[("id", &role), ("name", "boss"), ("description", "")], Some(&a.admin))
        .await;
    a.app.call("/api/roles/delete", &[("id", &role), ("confirm", "yes")], Some(&a.admin)).await;
    assert_eq!(a.app.count("SELECT COUNT(*) FROM subject_history").await, 0);
    assert_eq!(a.app.count("SELECT COUNT(*) FROM history WHERE action = 'removed'").await, 0);
}
