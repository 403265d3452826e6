//! Invitations: adding an address whose account the manager can't see, or that has none,
//! invites it; the link joins the profile once, for that address only; the answer never
//! says whether the address has an account; every invitation's fate is kept.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use roster::server::config::Directory;

const PW: &str = "correct horse battery";

/// A manager's profile, in the default directory (people see only those they share a
/// profile with): the app, the manager's cookie, the profile's id.
async fn setup() -> (TestApp, String, String) {
    let app = TestApp::with_settings(|s| s.people_directory = Directory::Shared).await;
    let manager = app.register("manny@example.com", "Manny", PW).await;
    let profile = app
        .json("/api/profiles/create", &[("name", "Crew"), ("description", "")], Some(&manager))
        .await
        .to_string();
    (app, manager, profile)
}

async fn add(app: &TestApp, profile: &str, email: &str, cookie: &str) -> common::TestResponse {
    app.call(
        "/api/members/add",
        &[("profile", profile), ("email", email), ("access", "member")],
        Some(cookie),
    )
    .await
}

/// The token of the newest invitation mailed to `email`.
async fn mailed_token(app: &TestApp, email: &str, nth: usize) -> String {
    let mail = app.mail_arriving(email, nth).await;
    let link = mail[nth - 1].link("/invitation?token=");
    assert!(link.starts_with("http://roster.test/invitation?token="), "{link}");
    link.split_once("token=").unwrap().1.to_owned()
}

async fn offer(app: &TestApp, token: &str, cookie: Option<&str>) -> serde_json::Value {
    app.json("/api/invitations/get", &[("token", token)], cookie).await
}

#[tokio::test]
async fn an_address_with_no_account_is_invited_and_joins_by_registering_with_the_link() {
    let (app, manager, profile) = setup().await;
    let res = add(&app, &profile, "newbie@example.com", &manager).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let invitation = app.count("SELECT id FROM invitations WHERE email = 'newbie@example.com'").await;
    let members = format!("SELECT member_count FROM profiles WHERE id = {profile}");
    assert_eq!(app.count(&members).await, 1, "an invitation counts in no member total");
    let open = app.json("/api/invitations/list", &[("profile", &profile)], Some(&manager)).await;
    assert_eq!(open["total"], 1);
    assert_eq!(open["items"][0]["id"], invitation);
    assert_eq!(open["items"][0]["invited_by"], "Manny");

    let mail = &app.mail_arriving("newbie@example.com", 1).await[0];
    assert_eq!(mail.subject, "You're invited to Crew on Roster");
    assert!(mail.text.contains("Manny invited you to join Crew on Roster, as a member."), "{}", mail.text);
    let token = mailed_token(&app, "newbie@example.com", 1).await;
    assert_eq!(
        offer(&app, &token, None).await["standing"],
        serde_json::json!({"NoAccount": {"may_register": true}})
    );

    let joined = app
        .call(
            "/api/invitations/join",
            &[("token", &token), ("display_name", "Nina New"), ("password", PW)],
            None,
        )
        .await;
    assert!(joined.status.is_success(), "{} {}", joined.status, joined.body);
    let cookie = joined.session_cookie().expect("signed in");
    let me = app.json("/api/me", &[], Some(&cookie)).await;
    assert_eq!(me["email"], "newbie@example.com");
    let nina = me["id"].as_i64().unwrap();
    assert_eq!(app.count(&members).await, 2);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {nina} AND email_confirmed")).await,
        1
    );
    let entry = app
        .count(&format!(
            "SELECT COUNT(*) FROM history WHERE user_id = {nina} AND action = 'added' \
             AND invitation_id = {invitation} AND actor_id = {nina}"
        ))
        .await;
    assert_eq!(entry, 1, "the history says they joined by invitation");
    let history = app.json("/api/history/profile", &[("profile", &profile)], Some(&manager)).await;
    assert_eq!(history["items"][0]["by_invitation"], true);
    let closed = app
        .count(&format!(
            "SELECT COUNT(*) FROM invitations WHERE id = {invitation} AND outcome = 'accepted' AND closed_by = {nina}"
        ))
        .await;
    assert_eq!(closed, 1);

    // The link works once.
    let again = app.call("/api/invitations/accept", &[("token", &token)], Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("already been accepted"), "{}", again.body);
    let records =
        app.json("/api/invitations/list", &[("profile", &profile), ("all", "yes")], Some(&manager)).await;
    assert_eq!(records["items"][0]["outcome"], "accepted");
    assert_eq!(records["items"][0]["closed_by"], "Nina New");
    assert_eq!(app.json("/api/invitations/list", &[("profile", &profile)], Some(&manager)).await["total"], 0);
}

#[tokio::test]
async fn the_answer_is_the_same_whether_or_not_the_address_has_an_account() {
    let (app, manager, profile) = setup().await;
    // Sam has an account, but shares no profile with the manager.
    let sam = app.register("sam@example.com", "Sam Secret", PW).await;
    let with_account = add(&app, &profile, "sam@example.com", &manager).await;
    let without = add(&app, &profile, "nobody@example.com", &manager).await;
    assert_eq!(with_account.status, without.status);
    assert_eq!(with_account.body, without.body);
    let (sam_id, nobody_id) = (
        app.count("SELECT id FROM invitations WHERE email = 'sam@example.com'").await,
        app.count("SELECT id FROM invitations WHERE email = 'nobody@example.com'").await,
    );
    let said = |res: &common::TestResponse, id: i64| {
        let header = |name: &str| res.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let id = |l: String| l.replace(&format!("={id}#"), "=N#").replace(&format!("-{id}"), "-N");
        [header("location"), header("serverfnredirect")].map(|h| h.map(id))
    };
    assert_eq!(said(&with_account, sam_id), said(&without, nobody_id), "the same answer but for the id");
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 1);
    let open = app.json("/api/invitations/list", &[("profile", &profile)], Some(&manager)).await;
    assert!(!open.to_string().contains("Sam Secret"), "no name of an account: {open}");

    // A bulk add can't be used to probe either: both rows invite, neither names anyone.
    let id = app
        .json(
            "/api/bulk/add",
            &[
                ("profile", &profile),
                ("emails", "sam@example.com\nsomeone@example.com"),
                ("access", "member"),
            ],
            Some(&manager),
        )
        .await
        .to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows[0]["status"], "Unchanged", "sam@ is invited already: {preview}");
    assert_eq!(rows[1]["status"], "Invite");
    assert!(!preview.to_string().contains("Sam Secret"), "{preview}");

    // Sam learns of it by mail, and signed in, accepts.
    let token = mailed_token(&app, "sam@example.com", 1).await;
    assert_eq!(offer(&app, &token, None).await["standing"], "HasAccount");
    assert_eq!(offer(&app, &token, Some(&sam)).await["standing"], "Invitee");
    let accepted = app.call("/api/invitations/accept", &[("token", &token)], Some(&sam)).await;
    assert!(accepted.status.is_success(), "{} {}", accepted.status, accepted.body);
    let access = app
        .count(&format!(
            "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.profile_id = {profile} AND u.email = 'sam@example.com' AND m.access = 'member'"
        ))
        .await;
    assert_eq!(access, 1);
    // Now they share a profile: adding Sam elsewhere adds them directly.
    let other =
        app.json("/api/profiles/create", &[("name", "Other"), ("description", "")], Some(&manager)).await;
    let res = add(&app, &other.to_string(), "sam@example.com", &manager).await;
    assert!(res.status.is_success());
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {other}")).await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'sam@example.com'").await, 1);
}

#[tokio::test]
async fn a_link_works_for_its_own_address_only_and_says_why_it_cant() {
    let (app, manager, profile) = setup().await;
    add(&app, &profile, "ivy@example.com", &manager).await;
    let token = mailed_token(&app, "ivy@example.com", 1).await;
    // Someone else, signed in, can't take it.
    let eve = app.register("eve@example.com", "Eve", PW).await;
    assert_eq!(
        offer(&app, &token, Some(&eve)).await["standing"],
        serde_json::json!({"SomeoneElse": "eve@example.com"})
    );
    let taken = app.call("/api/invitations/accept", &[("token", &token)], Some(&eve)).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body.contains("This invitation is for ivy@example.com"), "{}", taken.body);
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 1);
    // Nor register the address once it has an account.
    app.register("ivy@example.com", "Ivy", PW).await;
    let join = app
        .call(
            "/api/invitations/join",
            &[("token", &token), ("display_name", "Ivy 2"), ("password", PW)],
            None,
        )
        .await;
    assert_eq!(join.status, StatusCode::CONFLICT);
    assert!(join.body.contains("Sign in with it"), "{}", join.body);

    // Sent again: a new link, and the old one stops working.
    let invitation = app.count("SELECT id FROM invitations").await.to_string();
    let resent = app
        .call(
            "/api/invitations/resend",
            &[("profile", &profile), ("invitation", &invitation)],
            Some(&manager),
        )
        .await;
    assert!(resent.status.is_success(), "{} {}", resent.status, resent.body);
    let fresh = mailed_token(&app, "ivy@example.com", 2).await;
    assert_ne!(fresh, token);
    let old = app.call("/api/invitations/get", &[("token", &token)], None).await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
    assert!(old.body.contains("isn't valid"), "{}", old.body);

    // Withdrawn, it says so, and can't be withdrawn or sent again.
    let form = [("profile", profile.as_str()), ("invitation", invitation.as_str())];
    let revoked = app.call("/api/invitations/revoke", &form, Some(&manager)).await;
    assert!(revoked.status.is_success());
    assert_eq!(offer(&app, &fresh, None).await["standing"], serde_json::json!({"Closed": "revoked"}));
    let ivy = app.sign_in("ivy@example.com", PW).await;
    let late = app.call("/api/invitations/accept", &[("token", &fresh)], Some(&ivy)).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("withdrawn"), "{}", late.body);
    for path in ["/api/invitations/revoke", "/api/invitations/resend"] {
        assert_eq!(app.call(path, &form, Some(&manager)).await.status, StatusCode::CONFLICT, "{path}");
    }
    // An invitation of another profile is not found here.
    let other =
        app.json("/api/profiles/create", &[("name", "Else"), ("description", "")], Some(&manager)).await;
    let elsewhere = [("profile", other.to_string()), ("invitation", invitation.clone())];
    let elsewhere: Vec<(&str, &str)> = elsewhere.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.call("/api/invitations/revoke", &elsewhere, Some(&manager)).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_expired_invitation_is_refused_at_once_and_recorded_as_expired_by_the_sweep() {
    let (app, manager, profile) = setup().await;
    add(&app, &profile, "late@example.com", &manager).await;
    let token = mailed_token(&app, "late@example.com", 1).await;
    // Its time runs out (written as the clock would have it).
    app.exec("UPDATE invitations SET invited_at = '2020-01-01T00:00:00.000Z', sent_at = '2020-01-01T00:00:00.000Z', \
              expires_at = '2020-01-15T00:00:00.000Z'")
        .await;
    assert_eq!(offer(&app, &token, None).await["standing"], serde_json::json!({"Closed": "expired"}));
    let join = app
        .call("/api/invitations/join", &[("token", &token), ("display_name", "Late"), ("password", PW)], None)
        .await;
    assert_eq!(join.status, StatusCode::BAD_REQUEST);
    assert!(join.body.contains("expired"), "{}", join.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'late@example.com'").await, 0);
    assert_eq!(app.json("/api/invitations/list", &[("profile", &profile)], Some(&manager)).await["total"], 0);

    assert_eq!(roster::invitations::ssr::sweep(&app.db).await.unwrap(), 1);
    assert_eq!(roster::invitations::ssr::sweep(&app.db).await.unwrap(), 0, "once");
    let records =
        app.json("/api/invitations/list", &[("profile", &profile), ("all", "yes")], Some(&manager)).await;
    assert_eq!(records["items"][0]["outcome"], "expired");
    assert!(
        records["items"][0]["closed_at"].as_str().unwrap().starts_with("2020-01-15T00:00:00"),
        "{records}"
    );
    // The address can be invited again.
    assert!(add(&app, &profile, "late@example.com", &manager).await.status.is_success());
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE outcome IS NULL").await, 1);
}

#[tokio::test]
async fn one_address_has_one_open_invitation_however_many_ask_at_once() {
    let (app, manager, profile) = setup().await;
    let asks = (0..6).map(|_| add(&app, &profile, "twice@example.com", &manager));
    let answers = futures::future::join_all(asks).await;
    let made = answers.iter().filter(|r| r.status.is_success()).count();
    assert_eq!(made, 1, "{:?}", answers.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    for refused in answers.iter().filter(|r| !r.status.is_success()) {
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.body.contains("invited already"), "{}", refused.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
}

#[tokio::test]
async fn an_invitation_accepted_twice_at_once_makes_one_membership() {
    let (app, manager, profile) = setup().await;
    add(&app, &profile, "dup@example.com", &manager).await;
    let token = mailed_token(&app, "dup@example.com", 1).await;
    let dup = app.register("dup@example.com", "Dup", PW).await;
    let form = [("token", token.as_str())];
    let accepts = (0..4).map(|_| app.call("/api/invitations/accept", &form, Some(&dup)));
    let answers = futures::future::join_all(accepts).await;
    assert_eq!(answers.iter().filter(|r| r.status.is_success()).count(), 1);
    assert!(answers.iter().all(|r| r.status.is_success() || r.status == StatusCode::BAD_REQUEST));
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM history WHERE invitation_id IS NOT NULL").await, 1);

    // Registering with one link twice at once makes one account.
    add(&app, &profile, "pair@example.com", &manager).await;
    let token = mailed_token(&app, "pair@example.com", 1).await;
    let joins = (0..3).map(|i| {
        let name = format!("Pair {i}");
        let app = &app;
        let token = token.clone();
        async move {
            app.call(
                "/api/invitations/join",
                &[("token", &token), ("display_name", &name), ("password", PW)],
                None,
            )
            .await
        }
    });
    let answers = futures::future::join_all(joins).await;
    assert_eq!(answers.iter().filter(|r| r.status.is_success()).count(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'pair@example.com'").await, 1);
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 3);
    common::assert_history_tallies_add_up(&app.db).await;
}

#[tokio::test]
async fn only_managers_see_invitations_and_a_bulk_add_invites_in_its_one_transaction() {
    let (app, manager, profile) = setup().await;
    let mia = app.register("mia@example.com", "Mia", PW).await;
    // Mia joins as a member (she made a profile where she added the manager, so they share one).
    let hers = app.json("/api/profiles/create", &[("name", "Hers"), ("description", "")], Some(&mia)).await;
    add(&app, &hers.to_string(), "manny@example.com", &mia).await;
    let token = mailed_token(&app, "manny@example.com", 1).await;
    app.call("/api/invitations/accept", &[("token", &token)], Some(&manager)).await;
    let res = add(&app, &profile, "mia@example.com", &manager).await;
    assert!(res.status.is_success());
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 2);

    let pasted = "alpha@example.com\nbeta@example.com\nmia@example.com\nnot an email";
    let id = app
        .json(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", pasted), ("access", "manager")],
            Some(&manager),
        )
        .await
        .to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    let statuses: Vec<&str> =
        preview["rows"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Invite", "Invite", "Unchanged", "Unknown"]);
    assert_eq!(preview["rows"][0]["note"], "will invite as manager");
    let invited = format!("SELECT COUNT(*) FROM invitations WHERE profile_id = {profile}");
    assert_eq!(app.count(&invited).await, 0, "a preview invites no one");
    app.json("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    let report = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    assert_eq!(report["rows"][0]["note"], "invited as manager");
    let open = app.json("/api/invitations/list", &[("profile", &profile)], Some(&manager)).await;
    assert_eq!(open["total"], 2);
    assert_eq!(open["items"][0]["access"], "manager");
    assert_eq!(app.mail_arriving("beta@example.com", 1).await.len(), 1);

    // A member sees no invitations.
    let listed = app.call("/api/invitations/list", &[("profile", &profile)], Some(&mia)).await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN);
    let tab = format!("/profiles/{profile}/invitations");
    let page = app.get(&tab, Some(&mia)).await;
    assert!(!page.body.contains("alpha@example.com"));
    assert!(
        !app.get(&format!("/profiles/{profile}"), Some(&mia)).await.body.contains(&tab),
        "no tab for her"
    );
    let page = app.get(&tab, Some(&manager)).await;
    assert!(page.body.contains("alpha@example.com") && page.body.contains("Invitations waiting"));
    // They have a tab of their own: the members' page doesn't read them.
    let members = app.get(&format!("/profiles/{profile}"), Some(&manager)).await;
    assert!(members.body.contains(&tab) && !members.body.contains("alpha@example.com"));
}

#[tokio::test]
async fn a_closed_invitation_is_final_but_outlives_the_accounts_it_names() {
    let (app, manager, profile) = setup().await;
    add(&app, &profile, "gone@example.com", &manager).await;
    let invitation = app.count("SELECT id FROM invitations").await.to_string();
    let form = [("profile", profile.as_str()), ("invitation", invitation.as_str())];
    app.call("/api/invitations/revoke", &form, Some(&manager)).await;
    let reopen = roster::with_db!(&app.db, |pool| {
        sqlx::query("UPDATE invitations SET outcome = NULL, closed_at = NULL").execute(pool).await.map(drop)
    });
    assert!(reopen.is_err(), "a closed invitation can't be reopened");
    // The manager's account goes (another manager stays); the record stays, naming no one.
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    app.register("max@example.com", "Max", PW).await;
    let max = [("profile", profile.as_str()), ("email", "max@example.com"), ("access", "manager")];
    app.json("/api/members/add", &max, Some(&admin)).await;
    let deleted =
        app.call("/api/account/delete", &[("password", PW), ("confirm", "yes")], Some(&manager)).await;
    assert!(deleted.status.is_success(), "{} {}", deleted.status, deleted.body);
    let kept = app
        .count(&format!(
            "SELECT COUNT(*) FROM invitations WHERE id = {invitation} AND outcome = 'revoked' \
             AND invited_by IS NULL AND closed_by IS NULL"
        ))
        .await;
    assert_eq!(kept, 1);
}
