//! An unknown email costs the same password check as a wrong password: one Argon2id
//! verification (against a dummy hash), so how long a refusal takes doesn't say whether the
//! account exists. Counted, not timed; alone in its own test binary so nothing else signs
//! in meanwhile.
#![cfg(feature = "ssr")]

mod common;

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use common::TestApp;
use roster::auth::ssr::PASSWORD_CHECKS;

const PW: &str = "correct horse battery";

#[tokio::test]
async fn an_unknown_email_costs_one_password_check_like_a_wrong_password() {
    let app = TestApp::new().await;
    app.register("ada@example.com", "Ada", PW).await;
    let mut cost = Vec::new();
    for (email, password) in [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", "wrong password"),
        ("ada@example.com", PW),
    ] {
        let before = PASSWORD_CHECKS.load(Ordering::SeqCst);
        let res = app.call("/api/sign_in", &[("email", email), ("password", password)], None).await;
        cost.push((res.status, PASSWORD_CHECKS.load(Ordering::SeqCst) - before));
    }
    assert_eq!(
        cost,
        vec![(StatusCode::UNAUTHORIZED, 1), (StatusCode::UNAUTHORIZED, 1), (StatusCode::OK, 1)],
        "wrong password, unknown email, right password: one check each"
    );
}
