//! Memberships that end: access stops at the end whether or not anything has swept it; the
//! end is recorded as "access ended" at its moment, once; managers set, move and clear ends,
//! no one extends their own; a profile keeps a manager whose access doesn't end; notices go
//! a week before; an end and an extension racing leave one story.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::TestApp;
use roster::{
    domain::{ProfileId, Timestamp, UserId},
    expiry::ssr as expiry,
};

const PW: &str = "correct horse battery";

struct World {
    app: TestApp,
    manny: String,
    ann: String,
    ann_id: String,
    profile: String,
}

/// Manny's profile "Crew", and Ann, registered but not on it.
async fn world() -> World {
    let app = TestApp::new().await;
    let manny = app.register("manny@example.com", "Manny", PW).await;
    let ann = app.register("ann@example.com", "Ann", PW).await;
    let ann_id = app.count("SELECT id FROM users WHERE email = 'ann@example.com'").await.to_string();
    let profile = app
        .json("/api/profiles/create", &[("name", "Crew"), ("description", "")], Some(&manny))
        .await
        .to_string();
    World { app, manny, ann, ann_id, profile }
}

/// The date `days` from today (UTC), as a form gives it.
fn day(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// A moment as both databases read it in SQL.
fn sql_time(at: chrono::DateTime<Utc>) -> String {
    at.format("'%Y-%m-%dT%H:%M:%S%.3fZ'").to_string()
}

impl World {
    async fn add(&self, email: &str, access: &str, ends_on: &str) -> common::TestResponse {
        let form =
            [("profile", self.profile.as_str()), ("email", email), ("access", access), ("ends_on", ends_on)];
        self.app.call("/api/members/add", &form, Some(&self.manny)).await
    }

    async fn set_end(&self, cookie: &str, user: &str, ends_on: &str) -> common::TestResponse {
        let form = [("profile", self.profile.as_str()), ("user", user), ("ends_on", ends_on)];
        self.app.call("/api/members/set_end", &form, Some(cookie)).await
    }

    async fn history(&self) -> serde_json::Value {
        self.app.json("/api/history/profile", &[("profile", &self.profile)], Some(&self.manny)).await
    }
}

#[tokio::test]
async fn an_end_stops_access_at_once_and_is_recorded_as_ended_at_its_moment() {
    let w = world().await;
    let res = w.add("ann@example.com", "member", &day(3)).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let members = w.app.json("/api/members/list", &[("profile", &w.profile)], Some(&w.manny)).await;
    let ann = members["items"].as_array().unwrap().iter().find(|m| m["email"] == "ann@example.com").unwrap();
    let ends = ann["ends_at"].as_str().unwrap();
    assert!(ends.starts_with(&format!("{}T00:00:00", day(4))), "the midnight after the last day: {ends}");
    let get = [("id", w.profile.as_str())];
    assert!(w.app.call("/api/profiles/get", &get, Some(&w.ann)).await.status.is_success());

    // The end comes a moment from now (written as the clock would have it).
    let end = Utc::now() + Duration::milliseconds(800);
    w.app
        .exec(&format!("UPDATE memberships SET ends_at = {} WHERE user_id = {}", sql_time(end), w.ann_id))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    // Nothing has swept it, and it grants nothing.
    assert_eq!(w.app.count("SELECT COUNT(*) FROM memberships").await, 2);
    assert_eq!(w.app.call("/api/profiles/get", &get, Some(&w.ann)).await.status, StatusCode::NOT_FOUND);

    // Who had access today settles it first: Ann's end is in history, at its moment.
    let today = w
        .app
        .json("/api/history/access_on", &[("profile", &w.profile), ("on", &day(0))], Some(&w.manny))
        .await;
    assert_eq!(today["total"], 1, "{today}");
    assert_eq!(today["items"][0]["user_name"], "Manny");
    let history = w.history().await;
    let entry = &history["items"][0];
    assert_eq!(
        (entry["action"].as_str(), entry["expired"].as_bool()),
        (Some("removed"), Some(true)),
        "{entry}"
    );
    assert_eq!(entry["actor"], serde_json::Value::Null);
    assert_eq!(entry["access_before"], "member");
    let at: chrono::DateTime<Utc> = entry["at"].as_str().unwrap().parse().unwrap();
    assert!((at - end).num_milliseconds().abs() <= 1, "recorded at the end, {at} vs {end}");
    assert_eq!(w.app.count("SELECT member_count FROM profiles").await, 1);
    assert_eq!(expiry::expire(&w.app.db, Timestamp(Utc::now())).await.unwrap(), 0, "recorded once");
    // An end is not undone.
    let undo = w.app.call("/api/history/undo", &[("entry", &entry["id"].to_string())], Some(&w.manny)).await;
    assert_eq!(undo.status, StatusCode::CONFLICT, "{}", undo.body);
    let why =
        w.app.json("/api/history/why", &[("profile", &w.profile), ("user", &w.ann_id)], Some(&w.manny)).await;
    assert_eq!(why["paths"], serde_json::json!([]));
    // Added again, with no end.
    assert!(w.add("ann@example.com", "member", "").await.status.is_success());
    assert!(w.app.call("/api/profiles/get", &get, Some(&w.ann)).await.status.is_success());
    w.app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn managers_set_move_and_clear_ends_and_no_one_extends_their_own() {
    let w = world().await;
    w.add("ann@example.com", "manager", &day(10)).await;
    // Ann may shorten her own, never lengthen or clear it.
    for ends_on in [day(20), String::new()] {
        let res = w.set_end(&w.ann, &w.ann_id, &ends_on).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert_eq!(res.error().to_string(), expiry::NOT_YOUR_OWN);
    }
    assert!(w.set_end(&w.ann, &w.ann_id, &day(5)).await.status.is_success());
    // Manny may do all three.
    assert!(w.set_end(&w.manny, &w.ann_id, &day(30)).await.status.is_success());
    assert!(w.set_end(&w.manny, &w.ann_id, "").await.status.is_success());
    assert_eq!(w.app.count("SELECT COUNT(*) FROM memberships WHERE ends_at IS NOT NULL").await, 0);
    // Bad last days are refused, with why.
    for (ends_on, why) in [(day(-1), "past"), ("31/12/2030".into(), "YYYY-MM-DD"), (day(4000), "ten years")] {
        let res = w.set_end(&w.manny, &w.ann_id, &ends_on).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains(why), "{}", res.body);
    }
    // Every change is recorded, newest first.
    let changes = w.app.json("/api/history/end_changes", &[("profile", &w.profile)], Some(&w.ann)).await;
    let said: Vec<(String, String)> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["actor"].as_str().unwrap().to_owned(), c["ends_after"].to_string()))
        .collect();
    assert_eq!(said.len(), 4, "{changes}");
    assert_eq!(said[0], ("Manny".into(), "null".into()));
    assert_eq!(said[2].0, "Ann");
    assert_eq!(said[3].0, "Manny", "the end set when adding");
    // Someone not on the profile learns nothing of it.
    let outsider = w.app.register("olive@example.com", "Olive", PW).await;
    let res = w.app.call("/api/history/end_changes", &[("profile", &w.profile)], Some(&outsider)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = w.set_end(&outsider, &w.ann_id, &day(3)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_profile_keeps_a_manager_whose_access_does_not_end() {
    let w = world().await;
    let manny_id = w.app.count("SELECT id FROM users WHERE email = 'manny@example.com'").await.to_string();
    let last = |res: common::TestResponse| {
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
        assert_eq!(res.error().to_string(), roster::memberships::LAST_MANAGER);
    };
    last(w.set_end(&w.manny, &manny_id, &day(30)).await);
    // A second manager who ends doesn't count.
    w.add("ann@example.com", "manager", &day(10)).await;
    last(w.set_end(&w.manny, &manny_id, &day(30)).await);
    let profile = [("profile", w.profile.as_str()), ("user", manny_id.as_str())];
    last(w.app.call("/api/members/remove", &profile, Some(&w.ann)).await);
    let demote = [("profile", w.profile.as_str()), ("user", manny_id.as_str()), ("access", "member")];
    last(w.app.call("/api/members/change_access", &demote, Some(&w.ann)).await);
    let leave = [("profile", w.profile.as_str()), ("confirm", "yes")];
    last(w.app.call("/api/members/leave", &leave, Some(&w.manny)).await);
    // A bulk removal's preview counts the same way: Manny's row is refused, Ann's may go.
    let both = [
        ("profile", w.profile.as_str()),
        ("change", "remove"),
        ("users[]", manny_id.as_str()),
        ("users[]", w.ann_id.as_str()),
    ];
    let bulk = w.app.json("/api/bulk/change", &both, Some(&w.ann)).await.to_string();
    let preview = w.app.json("/api/bulk/get", &[("id", &bulk)], Some(&w.ann)).await;
    let rows: Vec<_> =
        preview["rows"].as_array().unwrap().iter().map(|r| (&r["status"], &r["note"])).collect();
    assert_eq!(rows[0].0, "Refused", "{preview}");
    assert_eq!(rows[0].1, "refused: the profile would have no manager left");
    assert_eq!(rows[1].0, "Refused", "Ann may not remove herself: {preview}");
    let bulk = w.app.json("/api/bulk/change", &both, Some(&w.manny)).await.to_string();
    let preview = w.app.json("/api/bulk/get", &[("id", &bulk)], Some(&w.manny)).await;
    let statuses: Vec<_> = preview["rows"].as_array().unwrap().iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, ["Refused", "Change"], "{preview}");
    let delete = [("password", PW), ("confirm", "yes")];
    let res = w.app.call("/api/account/delete", &delete, Some(&w.manny)).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    // Once Ann's access doesn't end, Manny's may.
    assert!(w.set_end(&w.manny, &w.ann_id, "").await.status.is_success());
    assert!(w.set_end(&w.manny, &manny_id, &day(30)).await.status.is_success());
    last(w.set_end(&w.manny, &w.ann_id, &day(40)).await);
}

#[tokio::test]
async fn notices_go_a_week_before_to_the_member_and_the_managers_once_per_end() {
    let w = world().await;
    w.add("ann@example.com", "member", &day(3)).await;
    w.app.register("bo@example.com", "Bo", PW).await;
    w.add("bo@example.com", "member", &day(30)).await;
    let mailer = roster::server::mail::Mailer::from_settings(&w.app.settings);
    let now = Timestamp(Utc::now());
    assert_eq!(
        expiry::send_notices(&w.app.db, &mailer, now).await.unwrap(),
        1,
        "Ann's alone is within the week"
    );
    assert_eq!(expiry::send_notices(&w.app.db, &mailer, now).await.unwrap(), 0, "once");
    let to_ann = w.app.mail_arriving("ann@example.com", 1).await;
    assert_eq!(to_ann[0].subject, format!("Your access to Crew ends after {}", day(3)));
    let to_manny = w.app.mail_arriving("manny@example.com", 1).await;
    assert_eq!(to_manny[0].subject, "Access to Crew ends soon for 1 person");
    assert!(to_manny[0].text.contains(&format!("Ann, after {}", day(3))), "{}", to_manny[0].text);
    assert!(w.app.mail_to("bo@example.com").await.is_empty());
    // A new end is noticed again.
    assert!(w.set_end(&w.manny, &w.ann_id, &day(5)).await.status.is_success());
    assert_eq!(expiry::send_notices(&w.app.db, &mailer, now).await.unwrap(), 1);
    assert_eq!(w.app.mail_arriving("ann@example.com", 2).await.len(), 2);
}

#[tokio::test]
async fn an_invitation_offers_its_end_and_the_link_lapses_by_then() {
    let w = world().await;
    let res = w.add("newbie@example.com", "member", &day(2)).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    // Its link lapses when the membership it offers would end (PostgreSQL reads the text as
    // a moment).
    let lapses = format!(
        "SELECT COUNT(*) FROM invitations WHERE expires_at = membership_ends_at \
         AND membership_ends_at = '{}T00:00:00.000Z'",
        day(3)
    );
    assert_eq!(w.app.count(&lapses).await, 1);
    let newbie = w.app.register("newbie@example.com", "Newbie", PW).await;
    w.app.accept_invitation("newbie@example.com", &newbie, 1).await;
    let ends: i64 = w
        .app
        .count(
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
                WHERE u.email = 'newbie@example.com' AND m.ends_at IS NOT NULL",
        )
        .await;
    assert_eq!(ends, 1);
    let changes = w.app.json("/api/history/end_changes", &[("profile", &w.profile)], Some(&w.manny)).await;
    assert_eq!(changes[0]["actor"], "Manny", "set by the inviter");
}

#[tokio::test]
async fn an_end_and_an_extension_racing_leave_one_story() {
    for round in 0..6 {
        let w = world().await;
        w.add("ann@example.com", "member", &day(3)).await;
        let (profile, ann) = (ProfileId(w.profile.parse().unwrap()), UserId(w.ann_id.parse().unwrap()));
        let manny = UserId(w.app.count("SELECT id FROM users WHERE email = 'manny@example.com'").await);
        let end = Utc::now() + Duration::milliseconds(300);
        w.app
            .exec(&format!("UPDATE memberships SET ends_at = {} WHERE user_id = {ann}", sql_time(end)))
            .await;
        let later = Some(Timestamp(Utc::now() + Duration::days(30)));
        let pause = |ms| tokio::time::sleep(std::time::Duration::from_millis(ms));
        let (db1, db2) = (w.app.db.clone(), w.app.db.clone());
        let sweep = tokio::spawn(async move {
            pause(300).await;
            expiry::expire(&db1, Timestamp(Utc::now())).await
        });
        let extend = tokio::spawn(async move {
            pause(290 + round * 4).await;
            expiry::set_end(&db2, (profile, ann), later, manny, true).await
        });
        let (swept, extended) = (sweep.await.unwrap().unwrap(), extend.await.unwrap());
        let on = w.app.count(&format!("SELECT COUNT(*) FROM memberships WHERE user_id = {ann}")).await;
        let ended =
            w.app.count(&format!("SELECT COUNT(*) FROM history WHERE user_id = {ann} AND expired")).await;
        let moved = w
            .app
            .count(&format!("SELECT COUNT(*) FROM end_date_changes WHERE user_id = {ann} AND actor_id = {manny} AND ends_before IS NOT NULL"))
            .await;
        match extended {
            Ok(()) => assert_eq!((on, ended, moved, swept), (1, 0, 1, 0), "extended in time"),
            Err(err) => {
                // Settled by the extension itself, or found gone after the sweep.
                let said = err.to_string();
                assert!(said == expiry::ENDED_ALREADY || said == "Not found.", "{said}");
                assert_eq!((on, ended, moved), (0, 1, 0), "ended first");
            }
        }
        w.app.assert_history_tallies_add_up().await;
    }
}

#[tokio::test]
async fn undoing_a_removal_gives_back_its_end_date_and_never_a_lapsed_one() {
    let w = world().await;
    assert!(w.add("ann@example.com", "member", &day(5)).await.status.is_success());
    let ends = || async {
        let members = w.app.json("/api/members/list", &[("profile", &w.profile)], Some(&w.manny)).await;
        let ann =
            members["items"].as_array().unwrap().iter().find(|m| m["email"] == "ann@example.com").cloned();
        ann.map(|ann| ann["ends_at"].clone())
    };
    let before = ends().await.expect("Ann is on it");
    assert!(before.is_string());
    let remove = [("profile", w.profile.as_str()), ("user", w.ann_id.as_str())];
    let last_removal = "SELECT MAX(id) FROM history WHERE action = 'removed'";
    assert!(w.app.call("/api/members/remove", &remove, Some(&w.manny)).await.status.is_success());
    let entry = w.app.count(last_removal).await.to_string();
    let undo = w.app.call("/api/history/undo", &[("entry", &entry)], Some(&w.manny)).await;
    assert!(undo.status.is_success(), "{} {}", undo.status, undo.body);
    assert_eq!(ends().await, Some(before), "back with the end it had");

    // Removed a moment before its end, it has nothing to come back to after it.
    let end = Utc::now() + Duration::milliseconds(800);
    w.app
        .exec(&format!("UPDATE memberships SET ends_at = {} WHERE user_id = {}", sql_time(end), w.ann_id))
        .await;
    assert!(w.app.call("/api/members/remove", &remove, Some(&w.manny)).await.status.is_success());
    let entry = w.app.count(last_removal).await.to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let undo = w.app.call("/api/history/undo", &[("entry", &entry)], Some(&w.manny)).await;
    assert_eq!(undo.status, StatusCode::CONFLICT, "{}", undo.body);
    assert!(undo.error().to_string().contains("was to end after"), "{}", undo.body);
    assert_eq!(ends().await, None, "Ann stays off");
    w.app.assert_history_tallies_add_up().await;
}
