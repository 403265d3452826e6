//! The database holds Roster's invariants by itself, on SQLite and PostgreSQL alike.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;

async fn try_exec(app: &TestApp, sql: &str) -> Result<(), sqlx::Error> {
    app.db.execute(sql).await.map(drop)
}

/// Ada (1, admin), Grace (2), and profile 1 that Ada manages and Grace belongs to.
async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.exec("INSERT INTO users (email, display_name, password_hash) VALUES ('ada@example.com', 'Ada', 'x')")
        .await;
    app.exec(
        "INSERT INTO users (email, display_name, password_hash) VALUES ('grace@example.com', 'Grace', 'x')",
    )
    .await;
    app.exec("INSERT INTO user_roles (user_id, role_id) SELECT 1, id FROM roles WHERE name = 'admin'").await;
    app.exec("INSERT INTO profiles (name, created_by) VALUES ('Compilers', 1)").await;
    app.exec("INSERT INTO memberships (profile_id, user_id, access, added_by) VALUES (1, 1, 'manager', 1)")
        .await;
    app.exec("INSERT INTO memberships (profile_id, user_id, access, added_by) VALUES (1, 2, 'member', 1)")
        .await;
    app
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let app = TestApp::new().await;
    assert_eq!(app.db.migrate().await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM roles WHERE name = 'admin'").await, 1);
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let app = seeded().await;
    let err = try_exec(
        &app,
        "INSERT INTO users (email, display_name, password_hash) VALUES ('ADA@example.com', 'A', 'x')",
    )
    .await
    .unwrap_err();
    assert!(roster::server::db::is_unique_violation(&err), "{err}");
}

#[tokio::test]
async fn linking_twice_keeps_one_row() {
    let app = seeded().await;
    let err =
        try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access) VALUES (1, 2, 'manager')")
            .await
            .unwrap_err();
    assert!(roster::server::db::is_unique_violation(&err), "{err}");
    let again = try_exec(
        &app,
        "INSERT INTO user_roles (user_id, role_id) SELECT 1, id FROM roles WHERE name = 'admin'",
    )
    .await;
    assert!(again.is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 2);
}

#[tokio::test]
async fn access_is_manager_or_member_and_nothing_else() {
    let app = seeded().await;
    app.exec(
        "INSERT INTO users (email, display_name, password_hash) VALUES ('alan@example.com', 'Alan', 'x')",
    )
    .await;
    let err = try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access) VALUES (1, 3, 'owner')")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sqlx::Error::Database(e) if e.kind() == sqlx::error::ErrorKind::CheckViolation),
        "{err}"
    );
}

#[tokio::test]
async fn links_to_missing_rows_are_refused() {
    let app = seeded().await;
    let err =
        try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access) VALUES (1, 99, 'member')")
            .await
            .unwrap_err();
    assert!(
        matches!(&err, sqlx::Error::Database(e) if e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation),
        "{err}"
    );
}

#[tokio::test]
async fn deleting_a_user_removes_their_links_and_keeps_what_they_made() {
    let app = seeded().await;
    app.exec("DELETE FROM users WHERE id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 0, "role grants go");
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE user_id = 1").await, 0, "memberships go");
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 1, "the profile stays");
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles WHERE created_by IS NULL").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM memberships WHERE user_id = 2 AND added_by IS NULL").await,
        1,
        "Grace stays on it"
    );
}

#[tokio::test]
async fn deleting_a_profile_removes_its_memberships() {
    let app = seeded().await;
    app.exec("DELETE FROM profiles WHERE id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn deleting_a_role_removes_its_grants() {
    let app = seeded().await;
    app.exec("DELETE FROM roles WHERE name = 'admin'").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 0);
}

#[tokio::test]
async fn the_reverse_direction_of_each_link_has_an_index() {
    let app = TestApp::new().await;
    let sql = match app.db.dialect() {
        roster::server::db::Dialect::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
             AND name IN ('memberships_user_idx', 'user_roles_role_idx', 'users_email_key')"
        }
        roster::server::db::Dialect::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN \
             ('memberships_user_idx', 'user_roles_role_idx', 'users_email_key')"
        }
    };
    assert_eq!(app.count(sql).await, 3);
}
