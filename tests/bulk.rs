//! Bulk changes: a preview row by row, then one transaction that reports on every row.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;

const PW: &str = "correct horse battery";

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let manager = app.register("manny@example.com", "Manny", PW).await;
    let profile = app
        .json("/api/profiles/create", &[("name", "Big"), ("description", "")], Some(&manager))
        .await
        .to_string();
    let _ = admin;
    (app, manager, profile)
}

fn statuses(bulk: &serde_json::Value) -> Vec<(String, String)> {
    bulk["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap().to_owned(), r["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_bulk_add_previews_every_row_then_applies_in_one_go() {
    let (app, manager, profile) = setup().await;
    app.people(&["Ann".to_string(), "Bob".to_string(), "Cy".to_string()]).await;
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "bob@example.com"), ("access", "member")],
        Some(&manager),
    )
    .await;
    let pasted =
        "ann@example.com, bob@example.com;nobody@example.com\nnot-an-email\nANN@example.com\ncy@example.com";
    let id = app
        .json(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", pasted), ("access", "manager")],
            Some(&manager),
        )
        .await
        .to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    assert_eq!(preview["applied"], false);
    assert_eq!(
        statuses(&preview),
        [
            ("ann@example.com", "Change"),
            ("bob@example.com", "Unchanged"),
            ("nobody@example.com", "Invite"),
            ("not-an-email", "Unknown"),
            ("ANN@example.com", "Unchanged"),
            ("cy@example.com", "Change"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(
        app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await,
        2,
        "a preview changes nothing"
    );
    // Someone else can't see or apply it.
    let other = app.register("otto@example.com", "Otto", PW).await;
    assert_eq!(app.call("/api/bulk/get", &[("id", &id)], Some(&other)).await.status.as_u16(), 404);
    assert_eq!(app.call("/api/bulk/apply", &[("id", &id)], Some(&other)).await.status.as_u16(), 404);

    app.json("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    let report = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    assert_eq!(report["applied"], true);
    assert_eq!(statuses(&report)[0].1, "Change");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM memberships WHERE profile_id = {profile} AND access = 'manager'"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {profile} AND action = 'added'"))
            .await,
        4,
        "creator, Bob, Ann, Cy"
    );
    let again = app.call("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    assert_eq!(again.status.as_u16(), 409);
}

#[tokio::test]
async fn a_bulk_add_takes_up_to_ten_thousand_emails() {
    let (app, manager, profile) = setup().await;
    let names: Vec<String> = (0..1000).map(|i| format!("P{i}")).collect();
    app.people(&names).await;
    let pasted: String = (0..1000).map(|i| format!("p{i}@example.com\n")).collect();
    let id = app
        .json(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", &pasted), ("access", "member")],
            Some(&manager),
        )
        .await
        .to_string();
    app.json("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await, 1001);
    app.assert_history_tallies_add_up().await;
    let too_many: String = (0..10_001).map(|i| format!("q{i}@example.com,")).collect();
    let res = app
        .call(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", &too_many), ("access", "member")],
            Some(&manager),
        )
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.body);
    let res = app
        .call(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", " ,; "), ("access", "member")],
            Some(&manager),
        )
        .await;
    assert_eq!(res.status.as_u16(), 422);
}

#[tokio::test]
async fn bulk_removal_refuses_the_last_manager_and_locking_yourself_out() {
    let (app, manager, profile) = setup().await;
    let ids = app.people(&["Ann".to_string(), "Bob".to_string()]).await;
    for email in ["ann@example.com", "bob@example.com"] {
        app.json(
            "/api/members/add",
            &[("profile", &profile), ("email", email), ("access", "member")],
            Some(&manager),
        )
        .await;
    }
    let manny = app.count("SELECT id FROM users WHERE email = 'manny@example.com'").await;
    let pick = |ids: &[i64]| ids.iter().map(|i| ("users[]", i.to_string())).collect::<Vec<_>>();
    // Manny, the only manager, removes everyone including himself.
    let mut form: Vec<(&str, String)> = vec![("profile", profile.clone()), ("change", "remove".into())];
    form.extend(pick(&[ids[0], ids[1], manny]));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let id = app.json("/api/bulk/change", &form, Some(&manager)).await.to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    assert_eq!(
        statuses(&preview).into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        ["Change", "Change", "Refused"]
    );
    app.json("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    assert_eq!(
        app.count(&format!("SELECT member_count FROM profiles WHERE id = {profile}")).await,
        1,
        "only Manny is left"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM history WHERE profile_id = {profile} AND action = 'removed'"
        ))
        .await,
        2
    );

    // An admin may demote Manny only if another manager stays.
    let admin = app
        .call("/api/sign_in", &[("email", "admin@example.com"), ("password", PW)], None)
        .await
        .session_cookie()
        .unwrap();
    let form = [("profile", profile.as_str()), ("change", "member"), ("users[]", &manny.to_string())];
    let id = app.json("/api/bulk/change", &form, Some(&admin)).await.to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&admin)).await;
    assert_eq!(statuses(&preview)[0].1, "Refused");
    assert!(preview["rows"][0]["note"].as_str().unwrap().contains("no manager"));
    // Nothing ticked is a clear error.
    let res = app
        .call("/api/bulk/change", &[("profile", profile.as_str()), ("change", "remove")], Some(&manager))
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.body);
}

#[tokio::test]
async fn bulk_changes_work_as_plain_forms() {
    let (app, manager, profile) = setup().await;
    app.people(&["Ann".to_string()]).await;
    let from = format!("/profiles/{profile}");
    let res = app
        .submit(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", "ann@example.com"), ("access", "member")],
            &from,
            Some(&manager),
        )
        .await;
    let page = res.location().unwrap().to_owned();
    assert!(page.starts_with(&format!("/profiles/{profile}/bulk/")), "{page}");
    let html = app.get(&page, Some(&manager)).await;
    assert!(html.body.contains("will add Ann as member"), "{}", html.body);
    let id = page.rsplit('/').next().unwrap();
    let res = app.submit("/api/bulk/apply", &[("id", id)], &page, Some(&manager)).await;
    assert_eq!(res.location(), Some(page.as_str()));
    let html = app.get(&page, Some(&manager)).await;
    assert!(html.body.contains("added Ann as member"));
    // The ticked boxes arrive as users[] with the browser's encoding.
    let ann = app.count("SELECT id FROM users WHERE email = 'ann@example.com'").await.to_string();
    let res = app
        .submit(
            "/api/bulk/change",
            &[("profile", &profile), ("change", "manager"), ("users[]", &ann)],
            &from,
            Some(&manager),
        )
        .await;
    assert!(res.location().unwrap().contains("/bulk/"), "{:?} {}", res.location(), res.body);
}

#[tokio::test]
async fn an_undone_bulk_removal_puts_everyone_back_as_they_were_in_one_step() {
    let (app, manager, profile) = setup().await;
    let names: Vec<String> = ["Ann", "Bob", "Cy", "Di"].iter().map(|n| n.to_string()).collect();
    let ids = app.people(&names).await;
    for (i, name) in names.iter().enumerate() {
        let access = if i == 1 { "manager" } else { "member" };
        let email = format!("{}@example.com", name.to_lowercase());
        app.json(
            "/api/members/add",
            &[("profile", &profile), ("email", &email), ("access", access)],
            Some(&manager),
        )
        .await;
    }
    let before = links_as_text(&app, &profile).await;
    let mut form: Vec<(&str, String)> = vec![("profile", profile.clone()), ("change", "remove".into())];
    form.extend(ids[..3].iter().map(|i| ("users[]", i.to_string())));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bulk = app.json("/api/bulk/change", &form, Some(&manager)).await.to_string();
    let preview = app.json("/api/bulk/get", &[("id", &bulk)], Some(&manager)).await;
    assert_eq!(preview["undoable"], 0, "nothing to put back before it is applied");
    app.json("/api/bulk/apply", &[("id", &bulk)], Some(&manager)).await;
    let done = app.json("/api/bulk/get", &[("id", &bulk)], Some(&manager)).await;
    assert_eq!(done["undoable"], 3);
    assert_eq!(links_as_text(&app, &profile).await.len(), before.len() - 3);

    // Cy comes back by hand meanwhile; the undo puts back the other two and leaves Cy be.
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "cy@example.com"), ("access", "manager")],
        Some(&manager),
    )
    .await;
    let undone = app.call("/api/bulk/undo", &[("id", &bulk)], Some(&manager)).await;
    assert!(undone.status.is_success(), "{} {}", undone.status, undone.body);
    let after = links_as_text(&app, &profile).await;
    for (id, access, since) in &before {
        let now = after.iter().find(|(i, ..)| i == id).expect("everyone is back");
        if *id == ids[2] {
            assert_eq!(now.1, "manager", "Cy stays as re-added");
        } else {
            assert_eq!((&now.1, &now.2), (access, since), "back with their access and original date");
        }
    }
    let restored =
        format!("SELECT COUNT(*) FROM history WHERE profile_id = {profile} AND action = 'restored'");
    assert_eq!(app.count(&restored).await, 2);
    assert_eq!(
        app.json("/api/bulk/get", &[("id", &bulk)], Some(&manager)).await["undoable"],
        0,
        "Cy is on it"
    );
    // Once is enough: a second undo finds no one left to put back, and changes nothing.
    let again = app.call("/api/bulk/undo", &[("id", &bulk)], Some(&manager)).await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.body);
    assert_eq!(app.count(&restored).await, 2);
    // Someone else can't, and can't learn of it.
    let other = app.register("zed@example.com", "Zed", PW).await;
    assert_eq!(app.call("/api/bulk/undo", &[("id", &bulk)], Some(&other)).await.status.as_u16(), 404);
}

/// A profile's links as (person, access, since as text), in person order.
async fn links_as_text(app: &TestApp, profile: &str) -> Vec<(i64, String, String)> {
    let since = if common::backend() == "postgres" { "CAST(added_at AS TEXT)" } else { "added_at" };
    let sql = format!(
        "SELECT user_id, access, {since} FROM memberships WHERE profile_id = {profile} ORDER BY user_id"
    );
    roster::with_db!(&app.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await).unwrap()
}

#[tokio::test]
async fn every_member_a_search_matches_is_chosen_on_the_server_across_pages() {
    let (app, manager, profile) = setup().await;
    let quills: Vec<String> = (0..60).map(|i| format!("Pat{i:02} Quill")).collect();
    let others: Vec<String> = (0..30).map(|i| format!("Other{i:02}")).collect();
    app.people(&quills).await;
    app.people(&others).await;
    app.exec(&format!(
        "INSERT INTO memberships (profile_id, user_id, access, added_by, name_key, email) \
         SELECT {profile}, id, 'member', id, name_key, email FROM users WHERE email LIKE 'pat%' OR email LIKE 'other%'"
    ))
    .await;
    let page = app.json("/api/members/list", &[("profile", &profile), ("q", "quill")], Some(&manager)).await;
    assert!(page["next"].is_string(), "more than a page matches");
    let html = app.get(&format!("/profiles/{profile}?q=quill"), Some(&manager)).await.body;
    assert!(html.contains("All 60 members matching “quill”, on every page"), "{html}");
    let html = app.get(&format!("/profiles/{profile}?q=other"), Some(&manager)).await.body;
    assert!(!html.contains("data-testid=\"every-match\""), "one page holds them all");

    // No ids are sent: the server reads every match of the search, past the first page.
    let form = [("profile", profile.as_str()), ("change", "manager"), ("matching", "yes"), ("q", "quill")];
    let id = app.json("/api/bulk/change", &form, Some(&manager)).await.to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    let rows = statuses(&preview);
    assert_eq!(rows.len(), 60, "{rows:?}");
    assert!(rows.iter().all(|(label, status)| label.contains("Quill") && status == "Change"), "{rows:?}");

    // A filter narrows it as the list does; without "matching", the ticked ids count.
    let form =
        [("profile", profile.as_str()), ("change", "remove"), ("matching", "yes"), ("access", "manager")];
    let id = app.json("/api/bulk/change", &form, Some(&manager)).await.to_string();
    let rows = statuses(&app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await);
    assert_eq!(rows.len(), 1, "only Manny manages it yet: {rows:?}");
    let none = [("profile", profile.as_str()), ("change", "remove"), ("q", "quill")];
    let refused = app.call("/api/bulk/change", &none, Some(&manager)).await;
    assert_eq!(refused.error().to_string(), "Tick at least one member first.");
}

#[tokio::test]
async fn a_manager_copies_the_members_of_another_profile_they_manage_through_the_preview() {
    let (app, manager, profile) = setup().await;
    app.people(&["Ann".to_string(), "Bob".to_string()]).await;
    let other = app
        .json("/api/profiles/create", &[("name", "Choir"), ("description", "")], Some(&manager))
        .await
        .to_string();
    for email in ["ann@example.com", "bob@example.com"] {
        let add = [("profile", other.as_str()), ("email", email), ("access", "member")];
        app.json("/api/members/add", &add, Some(&manager)).await;
    }
    let copy = [("profile", profile.as_str()), ("from", other.as_str()), ("access", "member")];
    let id = app.json("/api/bulk/copy", &copy, Some(&manager)).await.to_string();
    let preview = app.json("/api/bulk/get", &[("id", &id)], Some(&manager)).await;
    let mut rows = statuses(&preview);
    rows.sort();
    assert_eq!(
        rows,
        [
            ("ann@example.com".to_owned(), "Change".to_owned()),
            ("bob@example.com".to_owned(), "Change".to_owned()),
            ("manny@example.com".to_owned(), "Unchanged".to_owned()),
        ],
        "everyone on Choir, and Manny is already here"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 4, "nothing changed before applying");
    app.json("/api/bulk/apply", &[("id", &id)], Some(&manager)).await;
    let on_big = format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {profile}");
    assert_eq!(app.count(&on_big).await, 3);
}

#[tokio::test]
async fn copying_from_a_profile_one_does_not_manage_says_the_same_as_from_none() {
    let (app, manager, profile) = setup().await;
    let stranger = app.register("stranger@example.com", "Stranger", PW).await;
    let theirs = app
        .json("/api/profiles/create", &[("name", "Theirs"), ("description", "")], Some(&stranger))
        .await
        .to_string();
    let refused = |from: &str| {
        let form = [("profile", profile.clone()), ("from", from.to_owned()), ("access", "member".to_owned())];
        let app = &app;
        let manager = manager.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call("/api/bulk/copy", &form, Some(&manager)).await;
            (res.status, res.body)
        }
    };
    let (status, body) = refused(&theirs).await;
    assert_eq!(status.as_u16(), 422, "{body}");
    assert!(body.contains("Choose a profile you manage"), "{body}");
    assert_eq!(refused("999999").await, (status, body), "the same as for no profile");
    let (same, why) = refused(&profile).await;
    assert_eq!(same.as_u16(), 422);
    assert!(why.contains("another profile than this one"), "{why}");
    assert_eq!(app.count("SELECT COUNT(*) FROM bulk_changes").await, 0, "no draft");
}
