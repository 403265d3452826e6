//! Password hashing is bounded: each Argon2 hash takes about 19 MiB, so no more run at once
//! than there are cores, a few more wait, and the rest are told to come back (503 with
//! Retry-After). Alone in its test binary: the bound is one per process.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;

#[tokio::test]
async fn a_thousand_registrations_at_once_hash_at_most_one_password_per_core() {
    let app = TestApp::new().await;
    let register = async |n: usize| {
        let (email, name) = (format!("user{n}@example.com"), format!("User {n}"));
        let form =
            [("email", email.as_str()), ("display_name", &name), ("password", "correct horse battery")];
        // Each from its own address, past the per-address limit on registrations.
        let address = format!("10.{}.{}.1", n / 250, n % 250);
        app.call_from("/api/register", &form, None, &address).await
    };
    let answers = futures::future::join_all((0..1000).map(register)).await;
    let created = answers.iter().filter(|r| r.status == 200).count();
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert_eq!(created + busy.len(), 1000, "every answer is a success or a 503");
    assert!(created >= 1 && !busy.is_empty(), "{created} created, {} busy", busy.len());
    assert!(busy.iter().all(|r| r.headers.contains_key("retry-after")));
    assert_eq!(busy[0].error().to_string(), "The server is busy. Please try again in a few seconds.");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        created as i64,
        "a turned-away sign-up made nothing"
    );
    let (slots, peak) = roster::auth::ssr::hashing::slots_and_peak();
    assert!(peak <= slots, "{peak} hashes ran at once, with {slots} slots");

    // Sign-ups given up while they wait their turn (their clients gone, their deadlines
    // passed) leave no trace: once some wait, all are dropped, and nobody is counted as
    // waiting any more; a later sign-up is served.
    use roster::auth::ssr::hashing;
    let given_up = futures::future::join_all((1000..1300).map(register));
    let some_wait = async {
        while hashing::waiting() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        _ = given_up => panic!("300 sign-ups at once all ran without waiting for a slot"),
        _ = some_wait => {}
    }
    assert_eq!(hashing::waiting(), 0, "a dropped sign-up is still counted as waiting");
    let later = register(2000).await;
    assert_eq!(later.status, 200, "{}", later.body);
}
