//! A profile's members and history as CSV files: what they hold, who may have them, and that
//! a profile bigger than one chunk comes out whole, each person once. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::{header, StatusCode};
use common::TestApp;

const PW: &str = "correct horse battery";

/// The records of a CSV body, its header first.
fn records(body: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// Pat manages a profile Sam is a member of; Olive is on none. Returns the app, the cookies
/// of Pat, Sam and Olive, and the profile's id.
async fn team() -> (TestApp, [String; 3], String) {
    let app = TestApp::new().await;
    let pat = app.register("pat@example.com", "Pat Manager", PW).await;
    let sam = app.register("sam@example.com", "=HYPERLINK(\"http://evil\")", PW).await;
    let olive = app.register("olive@example.com", "Olive Outsider", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Platform Team"), ("description", "")], Some(&pat)).await;
    let profile = profile.to_string();
    let add = [("profile", profile.as_str()), ("email", "sam@example.com"), ("access", "member")];
    app.json("/api/members/add", &add, Some(&pat)).await;
    (app, [pat, sam, olive], profile)
}

#[tokio::test]
async fn a_manager_downloads_the_members_as_a_csv_file_safe_to_open_in_a_spreadsheet() {
    let (app, [pat, ..], profile) = team().await;
    let res = app.get(&format!("/profiles/{profile}/members.csv"), Some(&pat)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let named = res.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(named.starts_with("attachment; filename=\"platform-team-members-20"), "{named}");
    let rows = records(&res.body);
    assert_eq!(rows[0], ["email", "access", "last_day", "name", "added_at", "added_by"]);
    assert_eq!(rows.len(), 3, "the header and two people: {rows:?}");
    let pat_row = rows.iter().find(|r| r[0] == "pat@example.com").unwrap();
    assert_eq!(&pat_row[1..4], ["manager", "", "Pat Manager"]);
    assert!(chrono::DateTime::parse_from_rfc3339(&pat_row[4]).is_ok(), "{}", pat_row[4]);
    let sam_row = rows.iter().find(|r| r[0] == "sam@example.com").unwrap();
    assert_eq!(sam_row[1], "member");
    assert_eq!(sam_row[3], "'=HYPERLINK(\"http://evil\")", "a formula is kept as text");
    assert_eq!(sam_row[5], "pat@example.com", "added by Pat");
}

#[tokio::test]
async fn only_managers_and_admins_get_the_files_and_outsiders_learn_nothing() {
    let (app, [_, sam, olive], profile) = team().await;
    let admin = app.admin("root@example.com", "Root", PW).await;
    for file in ["members.csv", "history.csv"] {
        let path = format!("/profiles/{profile}/{file}");
        assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED, "{path}, signed out");
        assert_eq!(app.get(&path, Some(&sam)).await.status, StatusCode::FORBIDDEN, "{path}, a member");
        let outsider = app.get(&path, Some(&olive)).await;
        let nowhere = app.get(&format!("/profiles/999999/{file}"), Some(&olive)).await;
        assert_eq!(outsider.status, StatusCode::NOT_FOUND, "{path}, an outsider");
        assert_eq!((outsider.status, outsider.body), (nowhere.status, nowhere.body), "as if it didn't exist");
        assert_eq!(
            app.get(&format!("/profiles/abc/{file}"), Some(&olive)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get(&path, Some(&admin)).await.status, StatusCode::OK, "{path}, an admin");
    }
}

#[tokio::test]
async fn the_history_file_lists_every_change_newest_first() {
    let (app, [pat, ..], profile) = team().await;
    let sam = app.count("SELECT id FROM users WHERE email = 'sam@example.com'").await.to_string();
    let change = [("profile", profile.as_str()), ("user", sam.as_str()), ("access", "manager")];
    app.json("/api/members/change_access", &change, Some(&pat)).await;
    app.json("/api/members/remove", &[("profile", profile.as_str()), ("user", sam.as_str())], Some(&pat))
        .await;
    let res = app.get(&format!("/profiles/{profile}/history.csv"), Some(&pat)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rows = records(&res.body);
    assert_eq!(rows[0], ["at", "change", "access_before", "access_after", "email", "name", "by"]);
    let changes: Vec<[&str; 4]> =
        rows[1..].iter().map(|r| [r[1].as_str(), r[2].as_str(), r[3].as_str(), r[4].as_str()]).collect();
    assert_eq!(
        changes,
        [
            ["removed", "manager", "", "sam@example.com"],
            ["changed", "member", "manager", "sam@example.com"],
            ["added", "", "member", "sam@example.com"],
            ["added", "", "manager", "pat@example.com"],
        ]
    );
    assert!(rows[1..].iter().all(|r| r[6] == "pat@example.com"), "all by Pat: {rows:?}");
}

#[tokio::test]
async fn a_profile_of_several_chunks_comes_out_whole_each_person_once() {
    let (app, [pat, ..], profile) = team().await;
    // More than two chunks of people, added straight in the database.
    app.accounts("bulk", "Bulk Person", 4_321).await;
    app.exec(&format!(
        "INSERT INTO memberships (profile_id, user_id, access, added_by, name_key, email) \
         SELECT {profile}, id, 'member', NULL, name_key, email FROM users WHERE email LIKE 'bulk%'"
    ))
    .await;
    let res = app.get(&format!("/profiles/{profile}/members.csv"), Some(&pat)).await;
    assert_eq!(res.status, StatusCode::OK);
    let rows = records(&res.body);
    let emails: std::collections::BTreeSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(rows.len() - 1, 4_323, "everyone");
    assert_eq!(emails.len(), 4_323, "each once");
    assert_eq!(rows.iter().filter(|r| r[0] == "email").count(), 1, "one header");
}
