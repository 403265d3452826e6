//! Sign-in limits and the life of a session: rotation at sign-in, password change, sign out
//! everywhere. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Method, Request, StatusCode},
};
use common::{TestApp, TestResponse};

const PW: &str = "correct horse battery";

/// A sign-in attempt as the browser's fetch makes it, from `address` when given.
async fn sign_in(app: &TestApp, email: &str, password: &str, address: Option<&str>) -> TestResponse {
    sign_in_via(app, email, password, address, None).await
}

/// The same, with an `X-Forwarded-For` header, as a proxy (or a client pretending) adds it.
async fn sign_in_via(
    app: &TestApp,
    email: &str,
    password: &str,
    address: Option<&str>,
    forwarded_for: Option<&str>,
) -> TestResponse {
    let body = serde_urlencoded::to_string([("email", email), ("password", password)]).unwrap();
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body))
        .unwrap();
    if let Some(forwarded_for) = forwarded_for {
        req.headers_mut().insert("x-forwarded-for", forwarded_for.parse().unwrap());
    }
    if let Some(address) = address {
        req.extensions_mut()
            .insert(ConnectInfo(format!("{address}:40000").parse::<std::net::SocketAddr>().unwrap()));
    }
    app.send(req).await
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account_with_a_429_that_says_when_to_retry() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    app.register("bob@example.com", "Bob", PW).await;
    for _ in 0..10 {
        assert_eq!(
            sign_in(&app, "ada@example.com", "wrong password", None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused, without being checked, for a while.
    let refused = sign_in(&app, "ADA@example.com", PW, None).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error().to_string(), "Too many failed sign-ins. Try again in 15 minutes.");
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    assert!(refused.session_cookie().is_none());
    // Other accounts are untouched.
    assert_eq!(sign_in(&app, "bob@example.com", PW, None).await.status, StatusCode::OK);
    // An unknown email is limited the same way, so limits don't tell which accounts exist.
    for _ in 0..10 {
        assert_eq!(sign_in(&app, "nobody@example.com", "guess", None).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in(&app, "nobody@example.com", "guess", None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Once the failures leave the 15-minute window, the right password works again, and a
    // success clears the account's count.
    app.exec("UPDATE sign_in_failures SET at = at - 900").await;
    assert_eq!(sign_in(&app, "ada@example.com", PW, None).await.status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_failures WHERE key = 'account:ada@example.com'").await,
        0
    );
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_limited_too() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    for i in 0..50 {
        let res = sign_in(&app, &format!("target{i}@example.com"), "guess", Some("203.0.113.9")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = sign_in(&app, "ada@example.com", PW, Some("203.0.113.9")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // Ada, from her own address, is fine.
    assert_eq!(sign_in(&app, "ada@example.com", PW, Some("198.51.100.4")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_counts_the_forwarded_client_and_no_one_else_can_forge_it() {
    let app = TestApp::with_settings(|s| s.trusted_proxies = vec!["10.0.0.1".parse().unwrap()]).await;
    app.register("ada@example.com", "Ada", PW).await;
    // An attacker behind the proxy, rotating a made-up address in front of the real one.
    for i in 0..50 {
        let forged = format!("192.0.2.{i}, 203.0.113.9");
        let res =
            sign_in_via(&app, &format!("t{i}@example.com"), "guess", Some("10.0.0.1"), Some(&forged)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = sign_in_via(&app, "ada@example.com", PW, Some("10.0.0.1"), Some("203.0.113.9")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "the attacker's real address is limited");
    // Ada, behind the same proxy, is not: the proxy itself is never the one limited.
    let res = sign_in_via(&app, "ada@example.com", PW, Some("10.0.0.1"), Some("198.51.100.4")).await;
    assert_eq!(res.status, StatusCode::OK);
    // A client that talks to Roster directly can't pick its address with the header.
    for i in 0..50 {
        let res = sign_in_via(
            &app,
            &format!("u{i}@example.com"),
            "guess",
            Some("198.51.100.77"),
            Some(&format!("192.0.2.{i}")),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = sign_in_via(&app, "ada@example.com", PW, Some("198.51.100.77"), Some("192.0.2.200")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn signing_in_replaces_the_session_the_browser_already_had() {
    let app = TestApp::new().await;
    let first = app.register("ada@example.com", "Ada", PW).await;
    let res = app.call("/api/sign_in", &[("email", "ada@example.com"), ("password", PW)], Some(&first)).await;
    let second = res.session_cookie().expect("a new session");
    assert_ne!(first, second);
    assert_eq!(app.json("/api/me", &[], Some(&first)).await, serde_json::Value::Null, "the old id is dead");
    assert_eq!(app.json("/api/me", &[], Some(&second)).await["email"], "ada@example.com");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::new().await;
    let here = app.register("ada@example.com", "Ada", PW).await;
    let laptop = sign_in(&app, "ada@example.com", PW, None).await.session_cookie().unwrap();
    let phone = sign_in(&app, "ada@example.com", PW, None).await.session_cookie().unwrap();

    // The current password must be right; a wrong one changes nothing.
    let res = app
        .call(
            "/api/change_password",
            &[("current", "not it at all"), ("new_password", "a brand new secret")],
            Some(&here),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.error().field(), Some("current"));
    let res =
        app.call("/api/change_password", &[("current", PW), ("new_password", "short")], Some(&here)).await;
    assert_eq!((res.status, res.error().field()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password")));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 3);

    let res = app
        .call("/api/change_password", &[("current", PW), ("new_password", "a brand new secret")], Some(&here))
        .await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let fresh = res.session_cookie().expect("this browser stays signed in, under a new id");
    for old in [&here, &laptop, &phone] {
        assert_eq!(app.json("/api/me", &[], Some(old)).await, serde_json::Value::Null);
    }
    assert_eq!(app.json("/api/me", &[], Some(&fresh)).await["email"], "ada@example.com");
    assert_eq!(sign_in(&app, "ada@example.com", PW, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, "ada@example.com", "a brand new secret", None).await.status, StatusCode::OK);
    // Anonymous callers can't change anything.
    let res =
        app.call("/api/change_password", &[("current", PW), ("new_password", "whatever works")], None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_account_only() {
    let app = TestApp::new().await;
    let here = app.register("ada@example.com", "Ada", PW).await;
    let there = sign_in(&app, "ada@example.com", PW, None).await.session_cookie().unwrap();
    let bob = app.register("bob@example.com", "Bob", PW).await;
    let res = app.call("/api/sign_out_everywhere", &[], Some(&here)).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    assert_eq!(res.set_cookie().as_deref().map(|c| c.starts_with("roster_session=;")), Some(true));
    for gone in [&here, &there] {
        assert_eq!(app.json("/api/me", &[], Some(gone)).await, serde_json::Value::Null);
    }
    assert_eq!(app.json("/api/me", &[], Some(&bob)).await["email"], "bob@example.com");
    assert_eq!(app.call("/api/sign_out_everywhere", &[], None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_account_page_offers_both_without_javascript() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let page = app.get("/account", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"action="/api/change_password""#), "{}", page.body);
    assert!(page.body.contains(r#"action="/api/sign_out_everywhere""#));
    // A plain form post changes the password and comes back to the page saying so.
    let res = app
        .submit(
            "/api/change_password",
            &[("current", PW), ("new_password", "a brand new secret")],
            "/account",
            Some(&cookie),
        )
        .await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    assert_eq!(res.location(), Some("/account?changed=1"));
    let fresh = res.session_cookie().expect("a fresh session");
    let page = app.get("/account?changed=1", Some(&fresh)).await;
    assert!(page.body.contains("Password changed."), "{}", page.body);
}

/// A sign-in with the browser's cookies (`cookie`, such as its device cookie) from `address`.
async fn sign_in_from(
    app: &TestApp,
    email: &str,
    password: &str,
    address: &str,
    cookie: Option<&str>,
) -> TestResponse {
    app.call_from("/api/sign_in", &[("email", email), ("password", password)], cookie, address).await
}

#[tokio::test]
async fn forty_guesses_at_once_check_at_most_ten_passwords() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let guesses = (0..40).map(|_| sign_in(&app, "ada@example.com", "wrong password", None));
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let refused = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (10, 30), "each guess is counted before its password is checked");
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 10);
}

#[tokio::test]
async fn a_strangers_guesses_do_not_lock_the_owner_out_of_a_browser_that_signed_in_before() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    // Ada signs in from her browser once: it is trusted from then on.
    let first = sign_in_from(&app, "ada@example.com", PW, "198.51.100.7", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let device = first
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("roster_device="))
        .expect("a device cookie");
    assert!(device.contains("HttpOnly") && device.contains("SameSite=Strict"), "{device}");
    let device = device.split(';').next().unwrap().to_owned();
    // A stranger uses up the account's failures: the account is locked for every other browser.
    for _ in 0..10 {
        let guess = sign_in_from(&app, "ada@example.com", "guess", "203.0.113.9", None).await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let stranger = sign_in_from(&app, "ada@example.com", PW, "203.0.113.9", None).await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    let new_browser = sign_in_from(&app, "ada@example.com", PW, "198.51.100.7", None).await;
    assert_eq!(new_browser.status, StatusCode::TOO_MANY_REQUESTS);
    // Ada's own browser still signs in.
    let owner = sign_in_from(&app, "ada@example.com", PW, "198.51.100.7", Some(&device)).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
    // Her browser's guesses are limited too, on their own count.
    for _ in 0..10 {
        let guess = sign_in_from(&app, "ada@example.com", "typo", "198.51.100.7", Some(&device)).await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let locked = sign_in_from(&app, "ada@example.com", PW, "198.51.100.7", Some(&device)).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    // A device cookie for another account counts for nothing on this one.
    app.register("bob@example.com", "Bob", PW).await;
    let bob = sign_in_from(&app, "bob@example.com", PW, "198.51.100.8", None).await;
    let bob_device = bob
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("roster_device="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let borrowed = sign_in_from(&app, "ada@example.com", PW, "198.51.100.8", Some(&bob_device)).await;
    assert_eq!(borrowed.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = TestApp::new().await;
    let register_from = async |n: usize, address: &str| {
        let email = format!("user{n}@example.com");
        let form = [("email", email.as_str()), ("display_name", "U"), ("password", PW)];
        app.call_from("/api/register", &form, None, address).await
    };
    for n in 0..20 {
        assert_eq!(register_from(n, "198.51.100.7").await.status, StatusCode::OK);
    }
    let refused = register_from(20, "198.51.100.7").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.error().to_string(),
        "Too many new accounts from your address. Try again in 15 minutes."
    );
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'user20@example.com'").await, 0);
    // Another address is not affected.
    assert_eq!(register_from(21, "198.51.100.8").await.status, StatusCode::OK);
}

/// Signs in to `email` from a browser that says `user_agent`, at `address`; its cookie.
async fn sign_in_as_browser(app: &TestApp, email: &str, user_agent: &str, address: &str) -> String {
    let mut req = common::request_from("/api/sign_in", &[("email", email), ("password", PW)], None, address);
    req.headers_mut().insert(header::USER_AGENT, user_agent.parse().unwrap());
    let res = app.send(req).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    res.session_cookie().unwrap()
}

#[tokio::test]
async fn a_person_sees_where_they_are_signed_in_and_ends_any_one_session() {
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/120.0.0.0 Safari/537.36";
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let laptop = sign_in_as_browser(&app, "ada@example.com", FIREFOX, "192.0.2.10").await;
    let office = sign_in_as_browser(&app, "ada@example.com", CHROME, "192.0.2.20").await;
    let grace = app.register("grace@example.com", "Grace", PW).await;

    let list = app.json("/api/sessions/list", &[], Some(&laptop)).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let mine = list.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(
        (mine["browser"].as_str(), mine["address"].as_str()),
        (Some("Firefox 128 on Linux"), Some("192.0.2.10"))
    );
    let other = list.iter().find(|s| s["browser"] == "Chrome 120 on Windows 10").unwrap();
    assert_eq!(other["address"], "192.0.2.20");
    let other_id = other["id"].as_str().unwrap();

    // Grace can't end it: to her it doesn't exist.
    let theirs = app.call("/api/sessions/end", &[("session", other_id)], Some(&grace)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_ne!(app.call("/api/me", &[], Some(&office)).await.body, "null");

    let ended = app.call("/api/sessions/end", &[("session", other_id)], Some(&laptop)).await;
    assert!(ended.status.is_success(), "{} {}", ended.status, ended.body);
    assert_eq!(app.call("/api/me", &[], Some(&office)).await.body, "null", "that session is over");
    assert_ne!(app.call("/api/me", &[], Some(&laptop)).await.body, "null", "this one goes on");
    let again = app.call("/api/sessions/end", &[("session", other_id)], Some(&laptop)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'session_ended'").await, 1);

    let page = app.get("/account", Some(&laptop)).await;
    assert!(
        page.body.contains("Where you&#x27;re signed in") || page.body.contains("Where you're signed in")
    );
    assert!(
        page.body.contains("Firefox 128 on Linux") && page.body.contains("This browser"),
        "{}",
        page.body
    );
}
