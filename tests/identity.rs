//! A person's own name and email: the name at once, the email once the new address confirms
//! it, given the password, with the old address told. The mail is read from the real SMTP
//! server scripts/test.sh starts. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;

const PW: &str = "correct horse battery";

#[tokio::test]
async fn a_person_renames_themselves_and_every_list_follows() {
    let app = TestApp::new().await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&ada)).await;
    let renamed = app.call("/api/account/name", &[("display_name", "Ada Lovelace")], Some(&ada)).await;
    assert!(renamed.status.is_success(), "{} {}", renamed.status, renamed.body);
    assert!(app.call("/api/me", &[], Some(&ada)).await.body.contains("Ada Lovelace"));
    let members =
        app.json("/api/members/list", &[("profile", &profile.to_string()), ("q", "ada l")], Some(&ada)).await;
    assert_eq!(members["items"][0]["display_name"], "Ada Lovelace", "the list's copy followed: {members}");
    // Found by the new surname, in the list and the picker; the old words went with the name.
    let found = |q: &'static str| {
        let (app, ada, profile) = (&app, ada.clone(), profile.to_string());
        async move {
            let members = app.json("/api/members/list", &[("profile", &profile), ("q", q)], Some(&ada)).await;
            members["total"].as_i64().unwrap()
        }
    };
    assert_eq!(found("love").await, 1);
    app.call("/api/account/name", &[("display_name", "Ada King")], Some(&ada)).await;
    assert_eq!((found("love").await, found("kin").await), (0, 1));
    let words = app.count("SELECT COUNT(*) FROM search_words WHERE word LIKE 'love%'").await;
    assert_eq!(words, 0);
    let empty = app.call("/api/account/name", &[("display_name", "  ")], Some(&ada)).await;
    assert_eq!(
        (empty.status, empty.error().field()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("display_name"))
    );
}

#[tokio::test]
async fn a_new_email_takes_the_password_and_a_link_from_the_new_address_and_the_old_is_told() {
    let app = TestApp::new().await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    let wrong = app
        .call("/api/account/email", &[("new_email", "ada@new.example"), ("password", "no")], Some(&ada))
        .await;
    assert_eq!((wrong.status, wrong.error().field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let same = app
        .call("/api/account/email", &[("new_email", "ADA@example.com"), ("password", PW)], Some(&ada))
        .await;
    assert_eq!(same.error().field(), Some("new_email"));

    let asked = app
        .call("/api/account/email", &[("new_email", "ada@new.example"), ("password", PW)], Some(&ada))
        .await;
    assert!(asked.status.is_success(), "{} {}", asked.status, asked.body);
    assert!(
        app.call("/api/me", &[], Some(&ada)).await.body.contains("ada@example.com"),
        "nothing changed yet"
    );
    let mail = app.mail_to("ada@new.example").await.remove(0);
    assert_eq!(mail.subject, "Confirm your new address for Roster");
    let token = mail.link("/confirm?token=").split_once("token=").unwrap().1.to_owned();
    let moved = app.call("/api/confirm_email", &[("token", &token)], None).await;
    assert!(moved.status.is_success(), "{} {}", moved.status, moved.body);
    assert_eq!(moved.location(), Some("/confirm?moved=1"));
    assert!(app.call("/api/me", &[], Some(&ada)).await.body.contains("ada@new.example"));
    let words = "SELECT COUNT(*) FROM search_words WHERE word IN ('new.example', 'example.com')";
    assert_eq!(app.count(words).await, 1, "the address's words moved with it");
    assert_eq!(app.count("SELECT COUNT(*) FROM search_words WHERE word = 'new.example'").await, 1);
    let told = app.mail_to("ada@example.com").await;
    assert_eq!(told.last().unwrap().subject, "Your Roster address was changed");
    assert!(told.last().unwrap().text.contains("ada@new.example"));
    app.sign_in("ada@new.example", PW).await;
    let again = app.call("/api/confirm_email", &[("token", &token)], None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "the link works once");
    let logged =
        "SELECT COUNT(*) FROM security_events WHERE kind IN ('email_change_requested', 'email_changed')";
    assert_eq!(app.count(logged).await, 2);
}

#[tokio::test]
async fn an_address_taken_in_the_meantime_leaves_the_account_as_it_was() {
    let app = TestApp::new().await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    app.call("/api/account/email", &[("new_email", "grace@example.com"), ("password", PW)], Some(&ada)).await;
    let token =
        app.mail_to("grace@example.com").await[0].link("token=").split_once("token=").unwrap().1.to_owned();
    app.register("grace@example.com", "Grace", PW).await;
    let taken = app.call("/api/confirm_email", &[("token", &token)], None).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(app.call("/api/me", &[], Some(&ada)).await.body.contains("ada@example.com"));
}
