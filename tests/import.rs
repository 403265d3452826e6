//! Importing members from a CSV file: every row previewed with its line and what it will do
//! or why it can't; applied whole or not at all; a file that can't be read is refused whole
//! and saves nothing; only a profile's managers may import, and no one else learns of it.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use chrono::{Duration, Utc};
use common::{TestApp, TestResponse};

const PW: &str = "correct horse battery";
const BOUNDARY: &str = "roster-test-boundary";

/// Manny's profile, with Bo on it as a member; Ann and Cy registered but not on it.
async fn team() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    let manny = app.register("manny@example.com", "Manny", PW).await;
    for (email, name) in [("ann@example.com", "Ann"), ("bo@example.com", "Bo"), ("cy@example.com", "Cy")] {
        app.register(email, name, PW).await;
    }
    let profile = app
        .json("/api/profiles/create", &[("name", "Crew"), ("description", "")], Some(&manny))
        .await
        .to_string();
    let add = [("profile", profile.as_str()), ("email", "bo@example.com"), ("access", "member")];
    assert!(app.call("/api/members/add", &add, Some(&manny)).await.status.is_success());
    (app, manny, profile)
}

fn day(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// Posts `file` as the import form does, from a script (JSON) or a page (HTML).
async fn upload(app: &TestApp, profile: &str, file: &[u8], cookie: Option<&str>, page: bool) -> TestResponse {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\n{profile}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crew.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/bulk/import")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, if page { "text/html" } else { "application/json" });
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body)).unwrap()).await
}

/// The preview's (or report's) rows as (line, label, status, note).
async fn rows(app: &TestApp, draft: &str, cookie: &str) -> Vec<(u64, String, String, String)> {
    let bulk = app.json("/api/bulk/get", &[("id", draft)], Some(cookie)).await;
    bulk["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap().to_owned();
            (r["line"].as_u64().unwrap(), text("label"), text("status"), text("note"))
        })
        .collect()
}

#[tokio::test]
async fn every_row_is_previewed_with_its_line_and_the_file_applies_whole() {
    let (app, manny, profile) = team().await;
    let file = format!(
        "email,access,last_day\n\
         ann@example.com,member,{}\n\
         Bo@Example.com,manager,\n\
         newbie@example.com,member,\n\
         not-an-email,member,\n\
         cy@example.com,boss,\n\
         cy@example.com,member,31/12/2030\n\
         \n\
         ann@example.com,manager,\n\
         manny@example.com,manager\n",
        day(10)
    );
    let res = upload(&app, &profile, file.as_bytes(), Some(&manny), false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let draft = res.body.clone();
    let before = app.count("SELECT COUNT(*) FROM history").await;
    let preview = rows(&app, &draft, &manny).await;
    let expect = |line: u64, status: &str, note: &str| (line, status.to_owned(), note.to_owned());
    let seen: Vec<_> =
        preview.iter().map(|(line, _, status, note)| (*line, status.clone(), note.clone())).collect();
    assert_eq!(
        seen,
        [
            expect(2, "Change", &format!("will add Ann as member until {}", day(10))),
            expect(3, "Change", "will change Bo: member → manager"),
            expect(4, "Invite", "will invite as member"),
            expect(5, "Refused", "refused: not an email address"),
            expect(6, "Refused", "refused: unknown access “boss”: give manager or member"),
            expect(7, "Refused", "refused: Enter the last day as YYYY-MM-DD."),
            expect(9, "Unchanged", "listed twice (first on line 2)"),
            expect(10, "Unchanged", "Manny is already a manager"),
        ]
    );
    assert_eq!(preview[1].1, "Bo@Example.com", "each row as written");
    assert_eq!(app.count("SELECT COUNT(*) FROM history").await, before, "a preview changes nothing");

    let res = app.call("/api/bulk/apply", &[("id", &draft)], Some(&manny)).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let ann = "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
               WHERE u.email = 'ann@example.com' AND m.access = 'member' AND m.ends_at IS NOT NULL";
    assert_eq!(app.count(ann).await, 1);
    let bo = "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
              WHERE u.email = 'bo@example.com' AND m.access = 'manager'";
    assert_eq!(app.count(bo).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'newbie@example.com'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM end_date_changes").await, 1, "Ann's end, as set");
    let bulk = format!("SELECT COUNT(*) FROM history WHERE bulk_id = {draft}");
    assert_eq!(app.count(&bulk).await, 2, "Ann added, Bo changed, both naming the change");
    let report = rows(&app, &draft, &manny).await;
    assert_eq!(report[0].3, format!("added Ann as member until {}", day(10)));
    let again = app.call("/api/bulk/apply", &[("id", &draft)], Some(&manny)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "once");
    app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn an_import_moves_ends_and_always_leaves_a_manager_without_one() {
    let (app, manny, profile) = team().await;
    let bo_id = app.count("SELECT id FROM users WHERE email = 'bo@example.com'").await.to_string();
    let set = [("profile", profile.as_str()), ("user", bo_id.as_str()), ("ends_on", &day(10))];
    assert!(app.call("/api/members/set_end", &set, Some(&manny)).await.status.is_success());

    // Manny alone would give the only manager without an end an end: refused.
    let file = format!("manny@example.com,manager,{}\nbo@example.com,member,\n", day(30));
    let draft = upload(&app, &profile, file.as_bytes(), Some(&manny), false).await.body;
    let preview = rows(&app, &draft, &manny).await;
    assert_eq!(preview[0].2, "Refused");
    assert_eq!(preview[0].3, "refused: the profile would have no manager whose access doesn't end");
    assert_eq!(preview[1].3, format!("will change Bo: last day {} → none", day(10)));

    // With Cy coming in as a manager without an end, it may.
    let file = format!("manny@example.com,manager,{}\ncy@example.com,manager,\n", day(30));
    let draft = upload(&app, &profile, file.as_bytes(), Some(&manny), false).await.body;
    let preview = rows(&app, &draft, &manny).await;
    assert_eq!(preview[0].3, format!("will change Manny: last day none → {}", day(30)));
    let res = app.call("/api/bulk/apply", &[("id", &draft)], Some(&manny)).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let lasting = format!(
        "SELECT COUNT(*) FROM memberships WHERE profile_id = {profile} AND access = 'manager' AND ends_at IS NULL"
    );
    assert_eq!(app.count(&lasting).await, 1, "Cy");
}

#[tokio::test]
async fn a_members_file_downloaded_here_imports_as_it_is() {
    let (app, manny, profile) = team().await;
    let file = app.get(&format!("/profiles/{profile}/members.csv"), Some(&manny)).await.body;
    let draft = upload(&app, &profile, file.as_bytes(), Some(&manny), false).await.body;
    let statuses: Vec<String> = rows(&app, &draft, &manny).await.into_iter().map(|r| r.2).collect();
    assert_eq!(statuses, ["Unchanged", "Unchanged"]);
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_refused_whole_and_saves_nothing() {
    let (app, manny, profile) = team().await;
    let drafts = "SELECT COUNT(*) FROM bulk_changes";
    for (file, says) in [
        (&b""[..], "Choose a CSV file"),
        (&b"email,name\nann@example.com,Ann\n"[..], "no \u{201c}access\u{201d} column"),
        (&b"\n\n"[..], "no rows"),
        (&b"ann@example.com,member\xff\n"[..], "isn't a CSV text file"),
        (&b"ann@example.com,member\0\n"[..], "isn't a CSV text file"),
    ] {
        let res = upload(&app, &profile, file, Some(&manny), false).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains(says), "{says}: {}", res.body);
    }
    assert_eq!(app.count(drafts).await, 0);

    // From a page: back to the form, its error carried once in the flash cookie.
    let res = upload(&app, &profile, b"", Some(&manny), true).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), Some(format!("/profiles/{profile}#import").as_str()));
    assert!(res.cookie("roster_flash").is_some_and(|c| !c.is_empty()), "the error travels in the flash");
    // And a good file, to its preview.
    let res = upload(&app, &profile, b"ann@example.com,member\n", Some(&manny), true).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let draft = app.count(drafts).await;
    assert_eq!(draft, 1);
    let id = app.count("SELECT id FROM bulk_changes").await;
    assert_eq!(res.location(), Some(format!("/profiles/{profile}/bulk/{id}").as_str()));

    // Not a multipart form at all: the caller's mistake.
    let res = app.call("/api/bulk/import", &[("profile", profile.as_str())], Some(&manny)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
}

#[tokio::test]
async fn only_the_profiles_managers_may_import_and_no_one_else_learns_of_it() {
    let (app, _, profile) = team().await;
    let bo = app.sign_in("bo@example.com", PW).await;
    let cy = app.sign_in("cy@example.com", PW).await;
    let file = b"ann@example.com,member\n";
    assert_eq!(upload(&app, &profile, file, None, false).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(upload(&app, &profile, file, Some(&cy), false).await.status, StatusCode::NOT_FOUND);
    assert_eq!(upload(&app, "999999", file, Some(&cy), false).await.status, StatusCode::NOT_FOUND);
    assert_eq!(upload(&app, &profile, file, Some(&bo), false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_changes").await, 0);
}
