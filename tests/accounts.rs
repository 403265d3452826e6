//! Accounts through the real router: registration, sign-in, sessions and sign-out.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{backend, TestApp};
use roster::error::AppError;

const PW: &str = "correct horse battery";

#[tokio::test]
async fn registering_creates_an_account_and_signs_it_in_but_never_as_admin() {
    let app = TestApp::new().await;
    let cookie = app.register("Ada@Example.com", "Ada Lovelace", PW).await;

    let page = app.get("/", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Ada Lovelace"), "home shows the name on {}", backend());
    assert!(page.body.contains("ada@example.com"), "email is stored lower-cased");
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 0, "not even the first account is admin");
}

/// The token of a setup link.
fn token_of(link: &str) -> String {
    link.split("token=").nth(1).expect("a token in the link").to_owned()
}

#[tokio::test]
async fn the_setup_link_makes_the_first_admin_once() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let link =
        roster::auth::ssr::offer_setup_link(&app.db, "http://roster.test").await.unwrap().expect("a link");
    assert!(link.starts_with("http://roster.test/setup?token="), "{link}");
    let setup = async |token: String, email: &'static str| {
        let form = [("token", token.as_str()), ("email", email), ("display_name", "Root"), ("password", PW)];
        app.call("/api/setup_admin", &form, None).await
    };
    let wrong = setup("not-the-token".into(), "root@example.com").await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "a wrong token makes no account");
    // The setup page carries the token into its form, with and without JavaScript.
    let page = app.get(&format!("/setup?token={}", token_of(&link)), None).await;
    assert!(page.body.contains(&format!("value=\"{}\"", token_of(&link))), "{}", page.body);
    let made = setup(token_of(&link), "root@example.com").await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.session_cookie().is_some(), "the new admin is signed in");
    let admins = "SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.email = 'root@example.com'";
    assert_eq!(app.count(admins).await, 1);
    let again = setup(token_of(&link), "second@example.com").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "the link works once");
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 1);
    // With an admin, no link is offered.
    assert_eq!(roster::auth::ssr::offer_setup_link(&app.db, "http://roster.test").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_setup_link_used_at_once_from_many_browsers_makes_exactly_one_admin() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let link = roster::auth::ssr::offer_setup_link(&app.db, "http://roster.test").await.unwrap().unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (app, token) = (app.clone(), token_of(&link));
            tokio::spawn(async move {
                let email = format!("user{i}@example.com");
                let form =
                    [("token", token.as_str()), ("email", &email), ("display_name", "U"), ("password", PW)];
                app.call("/api/setup_admin", &form, None).await.status
            })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => made += 1,
            status => assert_eq!(status, StatusCode::CONFLICT),
        }
    }
    assert_eq!(made, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "the others made no account");
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 1);
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_whatever_its_case() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let res = app
        .call(
            "/api/register",
            &[("email", "ADA@example.COM"), ("display_name", "Impostor"), ("password", PW)],
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.error(), AppError::Conflict("An account with this email already exists.".into()));
    assert!(res.session_cookie().is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn invalid_registration_fields_are_422_naming_the_field() {
    let app = TestApp::new().await;
    for (email, name, password, field) in [
        ("not-an-email", "Ada", PW, "email"),
        ("ada@example.com", "   ", PW, "display_name"),
        ("ada@example.com", "Ada", "short", "password"),
    ] {
        let res = app
            .call("/api/register", &[("email", email), ("display_name", name), ("password", password)], None)
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(res.error().field(), Some(field));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn missing_fields_are_a_bad_request_not_a_server_error() {
    let app = TestApp::new().await;
    let res = app.call("/api/register", &[("email", "ada@example.com")], None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
}

#[tokio::test]
async fn signing_in_sets_an_httponly_samesite_lax_session_cookie() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let res = app.call("/api/sign_in", &[("email", "ada@example.com"), ("password", PW)], None).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let set_cookie = res.set_cookie().expect("cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "not Secure unless configured: {set_cookie}");
}

#[tokio::test]
async fn secure_cookies_can_be_switched_on() {
    let app = TestApp::with_settings(|s| s.secure_cookies = true).await;
    let res = app
        .call(
            "/api/register",
            &[("email", "ada@example.com"), ("display_name", "Ada"), ("password", PW)],
            None,
        )
        .await;
    assert!(res.set_cookie().unwrap().contains("Secure"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let wrong =
        app.call("/api/sign_in", &[("email", "ada@example.com"), ("password", "wrong password")], None).await;
    let unknown = app.call("/api/sign_in", &[("email", "nobody@example.com"), ("password", PW)], None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.error(), AppError::Unauthorized("Incorrect email or password.".into()));
    assert!(wrong.session_cookie().is_none() && unknown.session_cookie().is_none());
}

#[tokio::test]
async fn sign_in_is_case_insensitive_in_the_email() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let res = app.call("/api/sign_in", &[("email", " ADA@Example.com "), ("password", PW)], None).await;
    assert!(res.session_cookie().is_some(), "{} {}", res.status, res.body);
}

#[tokio::test]
async fn sessions_live_in_the_database_and_survive_a_restart() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    let page = common::get(&app.restarted(), "/", Some(&cookie)).await;
    assert!(page.body.contains("data-testid=\"signed-in-as\""), "still signed in after restart");
}

#[tokio::test]
async fn the_database_keeps_only_a_hash_of_the_session_token() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let token = cookie.trim_start_matches("roster_session=");
    let sql = format!("SELECT COUNT(*) FROM sessions WHERE id = '{token}'");
    assert_eq!(app.count(&sql).await, 0);
}

#[tokio::test]
async fn signing_out_deletes_the_session_on_the_server() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let res = app.call("/api/sign_out", &[], Some(&cookie)).await;
    assert!(res.status.is_success());
    assert!(res.set_cookie().unwrap().contains("Max-Age=0"), "cookie cleared");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // The old cookie, replayed, no longer signs anyone in.
    let me = app.call("/api/me", &[], Some(&cookie)).await;
    assert_eq!(me.body, "null");
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = TestApp::with_settings(|s| s.session_idle_minutes = 1).await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    assert_ne!(app.call("/api/me", &[], Some(&cookie)).await.body, "null");
    app.exec("UPDATE sessions SET last_seen_at = last_seen_at - 120, created_at = created_at - 120").await;
    assert_eq!(app.call("/api/me", &[], Some(&cookie)).await.body, "null");
}

#[tokio::test]
async fn an_expired_session_ends_however_active() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    app.exec("UPDATE sessions SET created_at = created_at - 10, last_seen_at = last_seen_at - 10, expires_at = last_seen_at - 5").await;
    assert_eq!(app.call("/api/me", &[], Some(&cookie)).await.body, "null");
}

#[tokio::test]
async fn a_forged_cookie_signs_no_one_in() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let me = app.call("/api/me", &[], Some("roster_session=forged")).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, "null");
}

#[tokio::test]
async fn without_javascript_a_failed_form_comes_back_once_with_its_message_and_typing() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let typed = [("email", "ada@example.com"), ("password", "nope nope")];
    let res = app.submit("/api/sign_in", &typed, "/signin?next=%2Froles", None).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.location(), Some("http://localhost/signin?next=%2Froles"), "no error in the address");
    let flash = res.cookie("roster_flash").expect("the error travels in a flash");

    let page = app.get("/signin?next=%2Froles", Some(&flash)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("Incorrect email or password.").count(), 1, "{}", page.body);
    assert!(page.body.contains(r#"value="ada@example.com""#), "the email is kept: {}", page.body);
    assert!(!page.body.contains("nope nope"), "a password is never kept");
    assert_eq!(page.cookie("roster_flash").as_deref(), Some("roster_flash="), "read once");

    // Reloaded, without the flash, the page is as new.
    let again = app.get("/signin?next=%2Froles", None).await;
    assert!(!again.body.contains("Incorrect email or password."));
    assert!(!again.body.contains(r#"value="ada@example.com""#));
    // An address that still carries an error, as Leptos writes one, goes to the same without it.
    let old = app.get("/signin?__path=%2Fapi%2Fsign_in&__err=eyJ9&next=%2Froles", None).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.location(), Some("/signin?next=%2Froles"));
}

#[tokio::test]
async fn without_javascript_registering_redirects_home_signed_in() {
    let app = TestApp::new().await;
    let res = app
        .submit(
            "/api/register",
            &[("email", "ada@example.com"), ("display_name", "Ada"), ("password", PW)],
            "/register",
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.location(), Some("/"));
    let cookie = res.session_cookie().expect("signed in");
    assert!(app.get("/", Some(&cookie)).await.body.contains("Welcome, Ada"));
}

#[tokio::test]
async fn pages_render_on_the_server_for_everyone() {
    let app = TestApp::new().await;
    for (path, text) in
        [("/", "Who belongs to what"), ("/signin", "Sign in"), ("/register", "Create your account")]
    {
        let page = app.get(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(text), "{path} shows {text:?}");
        assert!(page.body.contains("/pkg/roster.css"), "{path} links the stylesheet");
    }
}

#[tokio::test]
async fn an_unknown_address_is_a_404_page() {
    let app = TestApp::new().await;
    let page = app.get("/no/such/page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Not found"));
}

#[tokio::test]
async fn internal_errors_never_reach_the_browser_in_detail() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    app.exec("DROP TABLE sessions").await;
    let res = app.call("/api/me", &[], Some(&cookie)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    // The browser gets a generic message and the request id to quote, also sent as a header.
    let id = res.headers.get("x-request-id").expect("a request id").to_str().unwrap().to_owned();
    assert_eq!(res.error(), AppError::Internal(id.clone()));
    assert!(res.error().to_string().ends_with(&format!("(Reference: {id})")));
    assert!(!res.body.contains("sessions"), "no SQL or table names: {}", res.body);
}

#[tokio::test]
async fn signing_in_goes_on_to_a_path_of_this_site_and_never_to_another_site() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let cases = [
        ("/invitation?token=abc", "/invitation?token=abc"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ];
    for (next, to) in cases {
        let form = [("email", "ada@example.com"), ("password", PW), ("next", next)];
        let res = app.submit("/api/sign_in", &form, "/signin", None).await;
        assert_eq!(res.status, StatusCode::FOUND, "{next}");
        assert_eq!(res.location(), Some(to), "{next}");
    }
    // The page keeps a local `next` for its form, and drops any other.
    let page = app.get("/signin?next=%2Finvitation%3Ftoken%3Dabc", None).await.body;
    assert!(page.contains(r#"name="next" value="/invitation?token=abc""#), "{page}");
    let page = app.get("/signin?next=%2F%2Fevil.example", None).await.body;
    assert!(!page.contains("evil.example"), "{page}");
}
