//! The life of an account: deactivated and reactivated by admins, deleted by admins or by its
//! owner, with its history kept true. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use roster::lifecycle::DEACTIVATED;

const PW: &str = "correct horse battery";

/// Root (admin), Ada who manages "Team", Grace a member of it. Returns the app, Root's and
/// Ada's cookies, the profile's id and Ada's and Grace's ids.
async fn world() -> (TestApp, String, String, String, String, String) {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    app.register("grace@example.com", "Grace", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&ada)).await;
    let profile = profile.to_string();
    let add = [("profile", profile.as_str()), ("email", "grace@example.com"), ("access", "member")];
    assert!(app.call("/api/members/add", &add, Some(&ada)).await.status.is_success());
    let id = |email: &str| format!("SELECT id FROM users WHERE email = '{email}'");
    let (ada_id, grace_id) =
        (app.count(&id("ada@example.com")).await, app.count(&id("grace@example.com")).await);
    (app, root, ada, profile, ada_id.to_string(), grace_id.to_string())
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_and_stays_on_its_profiles_marked() {
    let (app, root, ada, profile, _, grace_id) = world().await;
    let grace = app.sign_in("grace@example.com", PW).await;
    let done = app.call("/api/users/deactivate", &[("user", &grace_id)], Some(&root)).await;
    assert!(done.status.is_success(), "{} {}", done.status, done.body);
    assert_eq!(app.call("/api/me", &[], Some(&grace)).await.body, "null", "her session ended at once");
    let refused = app.call("/api/sign_in", &[("email", "grace@example.com"), ("password", PW)], None).await;
    assert_eq!((refused.status, refused.error().to_string()), (StatusCode::UNAUTHORIZED, DEACTIVATED.into()));
    let wrong =
        app.call("/api/sign_in", &[("email", "grace@example.com"), ("password", "wrong one")], None).await;
    assert_eq!(wrong.error().to_string(), roster::auth::ssr::BAD_CREDENTIALS, "a stranger learns nothing");
    app.call("/api/request_password_reset", &[("email", "grace@example.com")], None).await;

    let members = app.json("/api/members/list", &[("profile", &profile)], Some(&ada)).await;
    let row =
        members["items"].as_array().unwrap().iter().find(|m| m["email"] == "grace@example.com").unwrap();
    assert_eq!(row["deactivated"], true, "still a member, marked");
    let page = app.get(&format!("/profiles/{profile}"), Some(&ada)).await;
    assert!(page.body.contains(">deactivated</span>"), "{}", page.body);
    assert!(app.get(&format!("/users/{grace_id}"), Some(&root)).await.body.contains("deactivated on"));
    let suggested = app.json("/api/users/suggest", &[("profile", &profile), ("q", "gra")], Some(&ada)).await;
    assert_eq!(suggested[0]["deactivated"], true, "the picker marks her too: {suggested}");

    let back = app.call("/api/users/reactivate", &[("user", &grace_id)], Some(&root)).await;
    assert!(back.status.is_success(), "{} {}", back.status, back.body);
    app.sign_in("grace@example.com", PW).await;
    let log = app.json("/api/users/security_log", &[("user", &grace_id)], Some(&root)).await;
    let kinds: Vec<&str> =
        log["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..4], ["signed_in", "reactivated", "sign_in_failed", "deactivated"], "{kinds:?}");
    assert_eq!((&log["items"][1]["actor"], &log["items"][3]["actor"]), (&"Root".into(), &"Root".into()));
    assert!(app.mail_to("grace@example.com").await.is_empty(), "no reset link for a deactivated account");
}

#[tokio::test]
async fn only_admins_deactivate_and_never_themselves_or_the_last_admin() {
    let (app, root, ada, _, _, grace_id) = world().await;
    let by_ada = app.call("/api/users/deactivate", &[("user", &grace_id)], Some(&ada)).await;
    assert_eq!(by_ada.status, StatusCode::FORBIDDEN);
    let root_id = app.count("SELECT id FROM users WHERE email = 'root@example.com'").await.to_string();
    let own = app.call("/api/users/deactivate", &[("user", &root_id)], Some(&root)).await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    let missing = app.call("/api/users/deactivate", &[("user", "999999")], Some(&root)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let err = roster::lifecycle::ssr::set_active(
        &app.db,
        roster::domain::UserId(root_id.parse().unwrap()),
        false,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("last active administrator"), "{err}");
}

#[tokio::test]
async fn deleting_an_account_is_refused_while_it_is_the_last_manager_and_keeps_the_history_true() {
    let (app, root, ada, profile, ada_id, grace_id) = world().await;
    let refused = app.call("/api/users/delete", &[("id", &ada_id), ("confirm", "yes")], Some(&root)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.error().to_string().contains("last manager of Team"), "{}", refused.body);
    let unconfirmed = app.call("/api/users/delete", &[("id", &grace_id)], Some(&root)).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = app.call("/api/users/delete", &[("id", &grace_id), ("confirm", "yes")], Some(&root)).await;
    assert!(deleted.status.is_success(), "{} {}", deleted.status, deleted.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'grace@example.com'").await, 0);
    let removed = format!(
        "SELECT COUNT(*) FROM history h JOIN users a ON a.id = h.actor_id WHERE h.user_id = {grace_id} \
         AND h.profile_id = {profile} AND h.action = 'removed' AND h.access_before = 'member' AND a.display_name = 'Root'"
    );
    assert_eq!(app.count(&removed).await, 1, "her leaving is in the history");
    let history = app.get(&format!("/profiles/{profile}/history"), Some(&ada)).await;
    assert!(history.body.contains(&format!("Account #{grace_id} (deleted)")), "{}", history.body);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let then = app.json("/api/history/access_on", &[("profile", &profile), ("on", &today)], Some(&ada)).await;
    assert_eq!(then["items"].as_array().unwrap().len(), 1, "only Ada has access today: {then}");
    app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn a_person_deletes_their_own_account_with_their_password() {
    let (app, _, _, _, _, grace_id) = world().await;
    let grace = app.sign_in("grace@example.com", PW).await;
    let wrong =
        app.call("/api/account/delete", &[("password", "not mine"), ("confirm", "yes")], Some(&grace)).await;
    assert_eq!((wrong.status, wrong.error().field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let unticked = app.call("/api/account/delete", &[("password", PW)], Some(&grace)).await;
    assert_eq!(unticked.error().field(), Some("confirm"));
    let done = app.call("/api/account/delete", &[("password", PW), ("confirm", "yes")], Some(&grace)).await;
    assert!(done.status.is_success(), "{} {}", done.status, done.body);
    assert_eq!(app.call("/api/me", &[], Some(&grace)).await.body, "null");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {grace_id}")).await, 0);
    let again = app.call("/api/sign_in", &[("email", "grace@example.com"), ("password", PW)], None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}
