//! Access reviews: kept as they go, applied whole with history that names them, refused whole
//! when they would leave a profile without a manager; required reviews fall due and their
//! managers are reminded once.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use chrono::Utc;
use common::TestApp;
use roster::domain::Timestamp;

const PW: &str = "correct horse battery";

struct Team {
    app: TestApp,
    manny: String,
    profile: String,
    ids: std::collections::HashMap<&'static str, String>,
}

/// Manny's profile "Crew" with Ann and Bo as members and Cy as a manager.
async fn team() -> Team {
    let app = TestApp::new().await;
    let manny = app.register("manny@example.com", "Manny", PW).await;
    let profile = app
        .json("/api/profiles/create", &[("name", "Crew"), ("description", "")], Some(&manny))
        .await
        .to_string();
    let mut ids = std::collections::HashMap::new();
    for (name, access) in [("ann", "member"), ("bo", "member"), ("cy", "manager")] {
        let email = format!("{name}@example.com");
        app.register(&email, name, PW).await;
        let add = [("profile", profile.as_str()), ("email", email.as_str()), ("access", access)];
        assert!(app.call("/api/members/add", &add, Some(&manny)).await.status.is_success());
        ids.insert(
            name,
            app.count(&format!("SELECT id FROM users WHERE email = '{email}'")).await.to_string(),
        );
    }
    ids.insert(
        "manny",
        app.count("SELECT id FROM users WHERE email = 'manny@example.com'").await.to_string(),
    );
    Team { app, manny, profile, ids }
}

impl Team {
    async fn decide(&self, cookie: &str, who: &str, decision: &str) -> common::TestResponse {
        let form =
            [("profile", self.profile.as_str()), ("user", self.ids[who].as_str()), ("decision", decision)];
        self.app.call("/api/reviews/decide", &form, Some(cookie)).await
    }

    async fn state(&self) -> serde_json::Value {
        self.app.json("/api/reviews/get", &[("profile", &self.profile)], Some(&self.manny)).await
    }

    async fn complete(&self, cookie: &str, keep_rest: bool) -> common::TestResponse {
        let mut form = vec![("profile", self.profile.as_str())];
        if keep_rest {
            form.push(("keep_rest", "yes"));
        }
        self.app.call("/api/reviews/complete", &form, Some(cookie)).await
    }
}

#[tokio::test]
async fn a_review_is_kept_as_it_goes_and_applied_whole_naming_itself() {
    let t = team().await;
    assert_eq!(t.state().await["open"], serde_json::Value::Null);
    let start = [("profile", t.profile.as_str())];
    let (a, b) = tokio::join!(
        t.app.call("/api/reviews/start", &start, Some(&t.manny)),
        t.app.call("/api/reviews/start", &start, Some(&t.manny)),
    );
    assert!(a.status.is_success() && b.status.is_success(), "{} {}", a.body, b.body);
    assert_eq!(t.app.count("SELECT COUNT(*) FROM reviews").await, 1, "two starts at once make one");
    let ann = t.app.sign_in("ann@example.com", PW).await;
    let bo = t.app.sign_in("bo@example.com", PW).await;

    for (who, decision) in [("ann", "keep"), ("ann", "remove"), ("bo", "change"), ("cy", "keep")] {
        let res = t.decide(&t.manny, who, decision).await;
        assert!(res.status.is_success(), "{who} {decision}: {} {}", res.status, res.body);
    }
    // A member doesn't review; no one removes themselves by it.
    let res = t.app.call("/api/reviews/get", &[("profile", &t.profile)], Some(&bo)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(t.decide(&t.manny, "manny", "remove").await.status, StatusCode::UNPROCESSABLE_ENTITY);

    let state = t.state().await;
    let open = &state["open"];
    assert_eq!(
        (open["decided"].as_i64(), open["removals"].as_i64(), open["changes"].as_i64()),
        (Some(3), Some(1), Some(1))
    );
    let rows = state["members"]["items"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|r| r["member"]["display_name"] == name).unwrap().clone();
    assert_eq!(row("ann")["decision"], "remove");
    assert_eq!(row("Manny")["decision"], serde_json::Value::Null);
    assert!(row("ann")["last_sign_in"].is_string(), "Ann signed in");

    // Manny is not decided: completing asks to keep him first, and changes nothing.
    let res = t.complete(&t.manny, false).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("1 person has no decision yet"), "{}", res.body);
    assert_eq!(t.app.count("SELECT COUNT(*) FROM memberships").await, 4);
    let res = t.complete(&t.manny, true).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);

    let review = t.app.count("SELECT id FROM reviews").await;
    let members = format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {}", t.profile);
    assert_eq!(t.app.count(&members).await, 3, "Ann removed");
    let bo_access =
        format!("SELECT COUNT(*) FROM memberships WHERE user_id = {} AND access = 'manager'", t.ids["bo"]);
    assert_eq!(t.app.count(&bo_access).await, 1, "Bo made a manager");
    assert_eq!(t.app.count(&format!("SELECT COUNT(*) FROM history WHERE review_id = {review}")).await, 2);
    let history = t.app.json("/api/history/profile", &[("profile", &t.profile)], Some(&t.manny)).await;
    let said: Vec<_> =
        history["items"].as_array().unwrap()[..2].iter().map(|e| e["review_id"].as_i64()).collect();
    assert_eq!(said, [Some(review), Some(review)]);
    assert_eq!(
        t.app.call("/api/profiles/get", &[("id", &t.profile)], Some(&ann)).await.status,
        StatusCode::NOT_FOUND
    );

    // Completed, it is a record: no more decisions, and the next review starts fresh.
    let res = t.decide(&t.manny, "bo", "keep").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let sql = format!("UPDATE review_decisions SET decision = 'keep' WHERE review_id = {review}");
    let changed = roster::with_db!(&t.app.db, |pool| sqlx::query(&sql).execute(pool).await.map(drop));
    assert!(changed.is_err(), "a completed review's decisions are final");
    let state = t.state().await;
    assert_eq!(state["open"], serde_json::Value::Null);
    assert_eq!(state["last"]["id"], review);
    t.app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn a_review_that_would_leave_no_manager_without_an_end_is_refused_whole() {
    let t = team().await;
    let cy = t.app.sign_in("cy@example.com", PW).await;
    assert!(t
        .app
        .call("/api/reviews/start", &[("profile", &t.profile)], Some(&cy))
        .await
        .status
        .is_success());
    // Cy removes Manny and Manny makes Cy a member: no manager would be left.
    assert!(t.decide(&cy, "manny", "remove").await.status.is_success());
    assert!(t.decide(&t.manny, "cy", "change").await.status.is_success());
    assert!(t.decide(&t.manny, "ann", "remove").await.status.is_success());
    let res = t.complete(&t.manny, true).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(res.error().to_string(), roster::memberships::LAST_MANAGER);
    assert_eq!(t.app.count("SELECT COUNT(*) FROM memberships").await, 4, "nothing applied");
    assert_eq!(
        t.app.count("SELECT COUNT(*) FROM reviews WHERE completed_at IS NULL").await,
        1,
        "still under way"
    );
    // Changing one decision lets it through.
    assert!(t.decide(&t.manny, "cy", "keep").await.status.is_success());
    assert!(t.complete(&t.manny, true).await.status.is_success());
    assert_eq!(t.app.count("SELECT COUNT(*) FROM memberships").await, 2, "Manny and Ann gone");
}

#[tokio::test]
async fn required_reviews_fall_due_and_their_managers_are_reminded_once() {
    let t = team().await;
    let schedule = |days: &'static str| [("profile", t.profile.clone()), ("every_days", days.to_owned())];
    for bad in ["0", "4000", "monthly"] {
        let form = schedule(bad);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = t.app.call("/api/reviews/schedule", &form, Some(&t.manny)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let form = schedule("30");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(t.app.call("/api/reviews/schedule", &form, Some(&t.manny)).await.status.is_success());
    let state = t.state().await;
    assert_eq!(state["every_days"], 30);
    let due: chrono::DateTime<Utc> = state["due_at"].as_str().unwrap().parse().unwrap();
    assert!((due - Utc::now() - chrono::Duration::days(30)).num_minutes().abs() < 5, "{due}");

    let mailer = roster::server::mail::Mailer::from_settings(&t.app.settings);
    let now = Timestamp(Utc::now());
    assert_eq!(roster::reviews::ssr::remind(&t.app.db, &mailer, now).await.unwrap(), 0, "not due yet");
    t.app.exec("UPDATE profiles SET review_due_at = '2020-01-01T00:00:00.000Z'").await;
    assert_eq!(roster::reviews::ssr::remind(&t.app.db, &mailer, now).await.unwrap(), 1);
    assert_eq!(roster::reviews::ssr::remind(&t.app.db, &mailer, now).await.unwrap(), 0, "once");
    for manager in ["manny@example.com", "cy@example.com"] {
        let mail = t.app.mail_arriving(manager, 1).await;
        assert_eq!(mail[0].subject, "An access review of Crew is due");
        assert!(mail[0].text.contains(&format!("/profiles/{}/review", t.profile)), "{}", mail[0].text);
    }
    assert!(t.app.mail_to("ann@example.com").await.is_empty(), "members aren't asked");

    // A completed review sets the next one due its days from now.
    assert!(t
        .app
        .call("/api/reviews/start", &[("profile", &t.profile)], Some(&t.manny))
        .await
        .status
        .is_success());
    assert!(t.complete(&t.manny, true).await.status.is_success());
    let due: chrono::DateTime<Utc> = t.state().await["due_at"].as_str().unwrap().parse().unwrap();
    assert!(due > Utc::now() + chrono::Duration::days(29), "{due}");
    assert_eq!(t.app.count("SELECT COUNT(*) FROM profiles WHERE review_reminded_at IS NOT NULL").await, 0);
}
