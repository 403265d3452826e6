//! Getting back into an account: "forgot password" links by mail, admins' reset links, the
//! security log and sign-in tracking. The mail is read from the real SMTP server that
//! scripts/test.sh starts. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use roster::recovery::LINK_UNUSABLE;

const PW: &str = "correct horse battery";
const NEW_PW: &str = "a brand new password";

async fn forgot(app: &TestApp, email: &str) -> common::TestResponse {
    app.call_from("/api/request_password_reset", &[("email", email)], None, "198.51.100.7").await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> common::TestResponse {
    app.call("/api/reset_password", &[("token", token), ("password", password)], None).await
}

fn token_of(link: &str) -> String {
    link.split_once("token=").map(|(_, t)| t.to_owned()).expect("a token in the link")
}

async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    app.call("/api/me", &[], Some(cookie)).await.body != "null"
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_mailed_link_that_works_once_and_ends_every_session() {
    let app = TestApp::new().await;
    let first = app.register("ada@example.com", "Ada", PW).await;
    let second = app.sign_in("ada@example.com", PW).await;
    let asked = forgot(&app, "Ada@Example.com").await;
    assert!(asked.status.is_success(), "{} {}", asked.status, asked.body);
    let mail = app.mail_arriving("ada@example.com", 1).await.remove(0);
    assert_eq!(mail.subject, "Set a new Roster password");
    assert!(mail.text.contains("Hello Ada,"), "{}", mail.text);
    let link = mail.link("/reset?token=");
    assert!(link.starts_with("http://roster.test/reset?token="), "the public address: {link}");
    assert!(mail.html.contains(&format!("href=\"{link}\"")), "{}", mail.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM account_tokens").await, 1);
    let stored = app.count("SELECT COUNT(*) FROM account_tokens WHERE length(id) = 64").await;
    assert_eq!(stored, 1, "the link is stored as a SHA-256, never as itself");

    let page = app.get(&mail.local_link("/reset?token="), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Set a new password"), "{}", page.body);
    let done = reset(&app, &token_of(&link), NEW_PW).await;
    assert!(done.status.is_success(), "{} {}", done.status, done.body);
    let cookie = done.session_cookie().expect("the browser that reset it is signed in");
    assert!(signed_in(&app, &cookie).await);
    assert!(!signed_in(&app, &first).await && !signed_in(&app, &second).await, "every old session ended");
    app.sign_in("ada@example.com", NEW_PW).await;
    let old = app.call("/api/sign_in", &[("email", "ada@example.com"), ("password", PW)], None).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);

    let again = reset(&app, &token_of(&link), "yet another password").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a link works once");
    assert_eq!(again.error().to_string(), LINK_UNUSABLE);
    let kinds = "SELECT COUNT(*) FROM security_events e JOIN users u ON u.id = e.user_id \
                 WHERE u.email = 'ada@example.com' AND e.kind IN ('reset_requested', 'password_reset')";
    assert_eq!(app.count(kinds).await, 2);
}

#[tokio::test]
async fn asking_for_an_unknown_email_answers_the_same_and_sends_nothing() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let unknown = forgot(&app, "nobody@example.com").await;
    let known = forgot(&app, "ada@example.com").await;
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    assert_eq!(unknown.location(), known.location());
    app.mail_arriving("ada@example.com", 1).await;
    assert!(app.mail_to("nobody@example.com").await.is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM account_tokens").await, 1);
    let mistyped = forgot(&app, "ada.example.com").await;
    assert_eq!(mistyped.status, StatusCode::UNPROCESSABLE_ENTITY, "a mistyped email is a clear error");
    assert_eq!(mistyped.error().field(), Some("email"));
}

#[tokio::test]
async fn expired_forged_and_replaced_links_are_refused_and_a_short_password_keeps_the_link() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    forgot(&app, "ada@example.com").await;
    let first = token_of(&app.mail_arriving("ada@example.com", 1).await[0].link("token="));
    forgot(&app, "ada@example.com").await;
    let second = token_of(&app.mail_arriving("ada@example.com", 2).await[1].link("token="));
    let replaced = reset(&app, &first, NEW_PW).await;
    assert_eq!(
        (replaced.status, replaced.error().to_string()),
        (StatusCode::BAD_REQUEST, LINK_UNUSABLE.into())
    );
    let forged = reset(&app, "not-a-token", NEW_PW).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let short = reset(&app, &second, "short").await;
    assert_eq!((short.status, short.error().field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    app.exec("UPDATE account_tokens SET created_at = 0, expires_at = 1").await;
    let expired = reset(&app, &second, NEW_PW).await;
    assert_eq!(
        (expired.status, expired.error().to_string()),
        (StatusCode::BAD_REQUEST, LINK_UNUSABLE.into())
    );
    app.sign_in("ada@example.com", PW).await;
}

#[tokio::test]
async fn reset_links_are_limited_per_address_asked_for() {
    let app = TestApp::new().await;
    for _ in 0..roster::server::limits::RESETS_PER_ACCOUNT {
        assert!(forgot(&app, "nobody@example.com").await.status.is_success());
    }
    let refused = forgot(&app, "nobody@example.com").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert!(forgot(&app, "somebody@example.com").await.status.is_success(), "another address is its own");
}

#[tokio::test]
async fn an_admin_sends_a_reset_link_from_a_persons_page_and_no_one_else_can() {
    let app = TestApp::new().await;
    let admin = app.admin("root@example.com", "Root", PW).await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    let id = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await.to_string();
    let page = app.get(&format!("/users/{id}"), Some(&admin)).await;
    assert!(page.body.contains("Send a password reset link"), "{}", page.body);
    let sent = app.call("/api/users/send_reset_link", &[("user", &id)], Some(&admin)).await;
    assert!(sent.status.is_success(), "{} {}", sent.status, sent.body);
    let link = app.mail_to("ada@example.com").await.remove(0).link("token=");
    assert!(reset(&app, &token_of(&link), NEW_PW).await.status.is_success());
    let by_ada = app.call("/api/users/send_reset_link", &[("user", &id)], Some(&ada)).await;
    assert_eq!(by_ada.status, StatusCode::UNAUTHORIZED, "her sessions ended with the reset");
    let grace = app.register("grace@example.com", "Grace", PW).await;
    assert_eq!(
        app.call("/api/users/send_reset_link", &[("user", &id)], Some(&grace)).await.status,
        StatusCode::FORBIDDEN
    );
    let missing = app.call("/api/users/send_reset_link", &[("user", "999999")], Some(&admin)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let log = app.json("/api/users/security_log", &[("user", &id)], Some(&admin)).await;
    let sent_by = log["items"].as_array().unwrap().iter().find(|e| e["kind"] == "reset_link_sent").unwrap();
    assert_eq!(sent_by["actor"], "Root");
}

#[tokio::test]
async fn the_security_log_and_sign_in_tracking_follow_each_sign_in() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let right = [("email", "ada@example.com"), ("password", PW)];
    app.call_from("/api/sign_in", &right, None, "192.0.2.1").await;
    let cookie = app.call_from("/api/sign_in", &right, None, "192.0.2.2").await.session_cookie().unwrap();
    let wrong = [("email", "ada@example.com"), ("password", "wrong password")];
    assert_eq!(
        app.call_from("/api/sign_in", &wrong, None, "192.0.2.9").await.status,
        StatusCode::UNAUTHORIZED
    );
    let tracked = "SELECT COUNT(*) FROM users WHERE email = 'ada@example.com' AND sign_in_count = 3 \
                   AND last_sign_in_address = '192.0.2.1' AND current_sign_in_address = '192.0.2.2' \
                   AND last_sign_in_at <= current_sign_in_at";
    assert_eq!(app.count(tracked).await, 1, "registering counts as the first sign-in");
    let id = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await.to_string();
    // A failed sign-in is logged after its answer.
    let mut kinds = Vec::new();
    for _ in 0..600 {
        let log = app.json("/api/users/security_log", &[("user", &id)], Some(&cookie)).await;
        kinds =
            log["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
        if kinds.len() == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(kinds, ["sign_in_failed", "signed_in", "signed_in", "signed_in"]);
    let page = app.get(&format!("/users/{id}/security"), Some(&cookie)).await;
    assert!(page.body.contains("Your security log") && page.body.contains("192.0.2.9"), "{}", page.body);
    let grace = app.register("grace@example.com", "Grace", PW).await;
    let peek = app.call("/api/users/security_log", &[("user", &id)], Some(&grace)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND, "another person's log doesn't exist for her");
    assert_eq!(app.get(&format!("/users/{id}/security"), Some(&grace)).await.status, StatusCode::NOT_FOUND);

    // The account page sums it up; an admin sees it on the person's page; no one else at all.
    let summary = app.json("/api/users/sign_ins", &[("user", &id)], Some(&cookie)).await;
    assert_eq!(
        (&summary["count"], &summary["current_address"], &summary["last_address"]),
        (&3.into(), &"192.0.2.2".into(), &"192.0.2.1".into())
    );
    let account = app.get("/account", Some(&cookie)).await.body;
    assert!(account.contains("3 times") && account.contains(" UTC</time> from 192.0.2.2"), "{account}");
    let peek = app.call("/api/users/sign_ins", &[("user", &id)], Some(&grace)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let root = app.admin("root@example.com", "Root", PW).await;
    let seen = app.get(&format!("/users/{id}"), Some(&root)).await.body;
    assert!(seen.contains("from 192.0.2.1") && seen.contains(">confirmed</dd>"), "{seen}");
}
