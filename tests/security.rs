//! The defences every request passes through (src/server/security.rs): cross-site refusal,
//! security headers, body limit, request ids and caught panics. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    routing::get,
    Router,
};
use common::TestApp;

const PW: &str = "correct horse battery";

fn post(path: &str, body: &str, cookie: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn a_state_change_from_another_site_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let attacks: [&[(&str, &str)]; 4] = [
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", "https://evil.example"), ("host", "localhost")],
        &[("origin", "null"), ("host", "localhost")],
    ];
    for headers in attacks {
        let res = app.send(post("/api/profiles/create", "name=Stolen&description=", &cookie, headers)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{headers:?}: {}", res.body);
        assert!(res.body.contains("another site"), "{}", res.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 0);
    // Signing out is a state change too: a cross-site page can't end your session.
    let res = app.send(post("/api/sign_out", "", &cookie, &[("sec-fetch-site", "cross-site")])).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.json("/api/me", &[], Some(&cookie)).await["email"], "ada@example.com");

    // The same form from the site itself, with and without fetch metadata, goes through.
    let same: [&[(&str, &str)]; 3] = [
        &[("sec-fetch-site", "same-origin"), ("origin", "http://localhost")],
        &[("origin", "http://localhost"), ("host", "localhost")],
        &[],
    ];
    for (i, headers) in same.into_iter().enumerate() {
        let body = format!("name=Mine{i}&description=");
        let res = app.send(post("/api/profiles/create", &body, &cookie, headers)).await;
        assert!(
            res.status.is_success() || res.status.is_redirection(),
            "{headers:?}: {} {}",
            res.status,
            res.body
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 3);
}

#[tokio::test]
async fn server_functions_that_change_data_do_not_answer_get() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let res = app.get("/api/profiles/create?name=ByGet&description=", Some(&cookie)).await;
    assert!(!res.status.is_success(), "{}", res.status);
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 0);
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_every_response_the_security_headers() {
    let app = TestApp::new().await;
    let page = app.get("/signin", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce");
    assert!(nonce.len() >= 16, "{policy}");
    assert!(policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"), "{policy}");
    // Every inline script Leptos wrote carries it.
    let scripts = page.body.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(page.body.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{}", page.body);
    // A second page gets a fresh nonce.
    let again = app.get("/signin", None).await;
    assert_ne!(again.headers[header::CONTENT_SECURITY_POLICY], page.headers[header::CONTENT_SECURITY_POLICY]);

    let api = app.call("/api/me", &[], None).await;
    for res in [&page, &api] {
        assert_eq!(res.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(res.headers[header::X_FRAME_OPTIONS], "DENY");
        assert!(res.headers.contains_key("x-request-id"));
    }
    // Data answers allow no script at all.
    assert!(api.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'none'"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_changes_nothing() {
    let app = TestApp::new().await;
    let cookie = app.register("ada@example.com", "Ada", PW).await;
    let huge = format!("name=Big&description={}", "x".repeat(3 * 1024 * 1024));
    let res = app.send(post("/api/profiles/create", &huge, &cookie, &[])).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a Content-Length (chunked), the limit holds as the body streams in.
    let stream = chunked(huge.into_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/profiles/create")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(stream)
        .unwrap();
    let res = app.send(req).await;
    assert!(res.status.is_client_error(), "{} {}", res.status, res.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 0);
}

/// A body with no length: the bytes in 64 KiB chunks.
fn chunked(bytes: Vec<u8>) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    Body::from_stream(futures::stream::iter(chunks))
}

#[tokio::test]
async fn a_panic_answers_500_with_a_request_id_and_the_server_keeps_serving() {
    let app: Router = roster::server::with_defences(
        Router::new()
            .route("/boom", get(|| async { panic!("boom") as &'static str }))
            .route("/ok", get(|| async { "fine" })),
        std::time::Duration::from_secs(30),
    );
    for _ in 0..3 {
        let res = common::send(&app, Request::get("/boom").body(Body::empty()).unwrap()).await;
        assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!res.body.contains("boom"), "the panic message stays in the log: {}", res.body);
        assert!(res.headers.contains_key("x-request-id"));
        let ok = common::send(&app, Request::get("/ok").body(Body::empty()).unwrap()).await;
        assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "fine"));
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_off_with_503_its_slow_body_too() {
    use futures::StreamExt;
    use std::time::{Duration, Instant};
    let app: Router = roster::server::with_defences(
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route("/api/echo", axum::routing::post(|body: String| async move { body })),
        Duration::from_millis(500),
    );
    let started = Instant::now();
    let res = common::send(&app, Request::get("/slow").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers["retry-after"], "5");
    assert!(res.headers.contains_key("x-request-id") && res.headers.contains_key("x-content-type-options"));
    assert!(started.elapsed() < Duration::from_secs(5), "cut off at the deadline: {:?}", started.elapsed());
    // A body that stops arriving is cut off the same way; a server function's caller gets JSON.
    let stalled = futures::stream::iter([Ok::<_, std::io::Error>(b"half a bo".to_vec())])
        .chain(futures::stream::pending());
    let request = Request::post("/api/echo")
        .header("sec-fetch-site", "same-origin")
        .header("content-length", "100")
        .body(Body::from_stream(stalled))
        .unwrap();
    let res = common::send(&app, request).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.error(), roster::error::AppError::Busy { retry_after: 5 });
    // Quick requests are untouched.
    let request =
        Request::post("/api/echo").header("sec-fetch-site", "same-origin").body(Body::from("hi")).unwrap();
    let res = common::send(&app, request).await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "hi"));
}
