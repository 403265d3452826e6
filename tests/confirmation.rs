//! Confirming addresses and who may register: with `email_confirmation = "required"` (the
//! default) an account exists only once its address is confirmed by a mailed link, and
//! registering tells no one which addresses have accounts. The mail is read from the real
//! SMTP server scripts/test.sh starts. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{TestApp, TestResponse};
use roster::server::config::{Confirmation, Registration};

const PW: &str = "correct horse battery";

async fn required() -> TestApp {
    TestApp::with_settings(|s| s.email_confirmation = Confirmation::Required).await
}

async fn register(app: &TestApp, email: &str, name: &str) -> TestResponse {
    app.call("/api/register", &[("email", email), ("display_name", name), ("password", PW)], None).await
}

async fn confirm(app: &TestApp, link: &str) -> TestResponse {
    let token = link.split_once("token=").map_or(link, |(_, t)| t);
    app.call("/api/confirm_email", &[("token", token)], None).await
}

#[tokio::test]
async fn a_registration_makes_no_account_until_its_mailed_link_confirms_the_address() {
    let app = required().await;
    let asked = register(&app, "ada@example.com", "Ada").await;
    assert!(asked.status.is_success(), "{} {}", asked.status, asked.body);
    assert_eq!(asked.session_cookie(), None, "no one is signed in");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0, "no account yet");

    // Until then the address can't be found or added: there is no account, and adding it
    // invites it, as any address with none.
    let admin = app.admin("root@example.com", "Root", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&admin)).await;
    let add =
        [("profile", profile.to_string()), ("email", "ada@example.com".into()), ("access", "member".into())];
    let add: Vec<(&str, &str)> = add.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(app.call("/api/members/add", &add, Some(&admin)).await.status.is_success());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM memberships m JOIN profiles p ON p.id = m.profile_id").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'ada@example.com'").await, 1);

    // Signing in with the registration's password says to confirm first.
    let early = app.call("/api/sign_in", &[("email", "ada@example.com"), ("password", PW)], None).await;
    assert!(early.status.is_success(), "{} {}", early.status, early.body);
    assert_eq!(early.session_cookie(), None);

    let mail = app.mail_arriving("ada@example.com", 2).await;
    let mail = mail.into_iter().find(|m| m.subject == "Confirm your address for Roster").expect("its link");
    let link = mail.link("/confirm?token=");
    assert!(link.starts_with("http://roster.test/confirm?token="), "{link}");
    let page = app.get(&mail.local_link("/confirm?token="), None).await;
    assert!(
        page.body.contains("Confirm my address"),
        "a button to press, not a GET that acts: {}",
        page.body
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "viewing the page changed nothing");

    let confirmed = confirm(&app, &link).await;
    assert!(confirmed.status.is_success(), "{} {}", confirmed.status, confirmed.body);
    let cookie = confirmed.session_cookie().expect("the confirmed account is signed in");
    assert!(app.call("/api/me", &[], Some(&cookie)).await.body.contains("ada@example.com"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com' AND email_confirmed").await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM registrations").await, 0);
    assert!(
        app.call("/api/members/add", &add, Some(&admin)).await.status.is_success(),
        "now she can be added"
    );
    let again = confirm(&app, &link).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "the link works once");
    app.sign_in("ada@example.com", PW).await;
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_tells_the_owner() {
    let app = required().await;
    register(&app, "ada@example.com", "Ada").await;
    let link = app.mail_arriving("ada@example.com", 1).await[0].link("token=");
    confirm(&app, &link).await;

    let taken = register(&app, "ADA@example.com", "Impostor").await;
    let fresh = register(&app, "grace@example.com", "Grace").await;
    assert_eq!((taken.status, &taken.body, taken.location()), (fresh.status, &fresh.body, fresh.location()));
    assert_eq!((taken.session_cookie(), fresh.session_cookie()), (None, None));
    let told = app.mail_arriving("ada@example.com", 2).await.remove(1);
    assert_eq!(told.subject, "Someone tried to register with your address");
    assert!(told.text.contains("Hello Ada,") && told.link("/forgot") == "http://roster.test/forgot");
    app.mail_arriving("grace@example.com", 1).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Impostor'").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'registration_attempted'").await,
        1
    );
}

#[tokio::test]
async fn an_address_registered_twice_opens_with_either_link_and_only_once() {
    let app = required().await;
    register(&app, "ada@example.com", "Squatter").await;
    register(&app, "ada@example.com", "Ada").await;
    let mails = app.mail_arriving("ada@example.com", 2).await;
    let (first, second) = (mails[0].link("token="), mails[1].link("token="));
    assert!(confirm(&app, &second).await.status.is_success());
    let late = confirm(&app, &first).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    assert_eq!(late.error().to_string(), roster::confirmation::ALREADY_CONFIRMED);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE display_name = 'Ada'").await, 1);
}

#[tokio::test]
async fn a_new_link_replaces_the_last_and_expired_ones_are_refused() {
    let app = required().await;
    register(&app, "ada@example.com", "Ada").await;
    let old = app.mail_arriving("ada@example.com", 1).await[0].link("token=");
    let resent = app.call("/api/resend_confirmation", &[("email", "ada@example.com")], None).await;
    let nobody = app.call("/api/resend_confirmation", &[("email", "nobody@example.com")], None).await;
    assert_eq!((resent.status, resent.location()), (nobody.status, nobody.location()), "the same answer");
    let new = app.mail_arriving("ada@example.com", 2).await[1].link("token=");
    assert_eq!(confirm(&app, &old).await.status, StatusCode::BAD_REQUEST, "the old link stopped working");
    app.exec("UPDATE registrations SET created_at = 0, expires_at = 1").await;
    assert_eq!(confirm(&app, &new).await.status, StatusCode::BAD_REQUEST, "expired");
    assert_eq!(confirm(&app, "forged").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    assert!(app.mail_to("nobody@example.com").await.is_empty());
}

#[tokio::test]
async fn with_optional_confirmation_the_account_works_at_once_and_the_link_confirms_it() {
    let app = TestApp::with_settings(|s| s.email_confirmation = Confirmation::Optional).await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE NOT email_confirmed").await, 1);
    let account = app.get("/account", Some(&cookie)).await.body;
    assert!(account.contains("not confirmed yet") && account.contains("Mail the link again"), "{account}");
    let first = app.mail_arriving("ada@example.com", 1).await[0].link("token=");
    let again = app.call("/api/resend_confirmation", &[("email", "ada@example.com")], Some(&cookie)).await;
    assert!(again.status.is_success(), "{} {}", again.status, again.body);
    let link = app.mail_arriving("ada@example.com", 2).await[1].link("token=");
    assert_ne!(first, link, "a new link, and the first stops working");
    assert_eq!(confirm(&app, &first).await.status, StatusCode::BAD_REQUEST);
    let confirmed = confirm(&app, &link).await;
    assert!(confirmed.status.is_success(), "{} {}", confirmed.status, confirmed.body);
    assert_eq!(confirmed.location(), Some("/confirm?confirmed=1"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email_confirmed").await, 1);
    assert!(app.call("/api/me", &[], Some(&cookie)).await.body.contains("ada@example.com"));
    let account = app.get("/account", Some(&cookie)).await.body;
    assert!(account.contains(">confirmed</dd>") && !account.contains("Mail the link again"), "{account}");
}

#[tokio::test]
async fn registration_can_be_limited_to_domains_or_closed() {
    let app = TestApp::with_settings(|s| {
        s.registration = Registration::Domains;
        s.registration_domains = vec!["example.org".into()];
    })
    .await;
    let outsider = register(&app, "ada@example.com", "Ada").await;
    assert_eq!(outsider.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outsider.error().to_string().contains("@example.org"), "{}", outsider.body);
    assert!(register(&app, "ada@Example.org", "Ada").await.status.is_success());

    let closed = TestApp::with_settings(|s| s.registration = Registration::Closed).await;
    let refused = register(&closed, "ada@example.org", "Ada").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(closed.count("SELECT COUNT(*) FROM users").await, 0);
    let page = closed.get("/register", None).await;
    assert!(page.body.contains("ask an administrator"), "{}", page.body);
}
