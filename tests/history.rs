//! History: one row per change, written with the change; who had access on a day; undo;
//! and why someone has access.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;

const PW: &str = "correct horse battery";

struct World {
    app: TestApp,
    admin: String,
    manager: String,
    member: String,
    profile: String,
    mel: i64,
}

/// Admin; Manny manages "Compilers" (made through the app); Mel is a member of it.
async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let manager = app.register("manny@example.com", "Manny", PW).await;
    let member = app.register("mel@example.com", "Mel", PW).await;
    let profile = app
        .json("/api/profiles/create", &[("name", "Compilers"), ("description", "")], Some(&manager))
        .await
        .to_string();
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "mel@example.com"), ("access", "member")],
        Some(&manager),
    )
    .await;
    let mel = app.count("SELECT id FROM users WHERE email = 'mel@example.com'").await;
    World { app, admin, manager, member, profile, mel }
}

impl World {
    async fn history(&self, form: &[(&str, &str)], cookie: &str) -> Vec<serde_json::Value> {
        let page = self.app.json("/api/history/profile", form, Some(cookie)).await;
        page["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn every_change_writes_exactly_one_history_row() {
    let w = world().await;
    let p = w.profile.as_str();
    let mel = w.mel.to_string();
    w.app
        .json(
            "/api/members/change_access",
            &[("profile", p), ("user", &mel), ("access", "manager")],
            Some(&w.manager),
        )
        .await;
    // Setting the level someone has already is no change and no row.
    w.app
        .json(
            "/api/members/change_access",
            &[("profile", p), ("user", &mel), ("access", "manager")],
            Some(&w.manager),
        )
        .await;
    w.app.json("/api/members/remove", &[("profile", p), ("user", &mel)], Some(&w.manager)).await;
    // A refused change writes nothing.
    let manny = w.app.count("SELECT id FROM users WHERE email = 'manny@example.com'").await.to_string();
    assert_eq!(
        w.app
            .call("/api/members/remove", &[("profile", p), ("user", &manny)], Some(&w.manager))
            .await
            .status
            .as_u16(),
        409
    );
    let rows = w.history(&[("profile", p)], &w.manager).await;
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["removed", "changed", "added", "added"], "newest first");
    assert_eq!(rows[0]["access_before"], "manager");
    assert_eq!(rows[1]["access_before"], "member");
    assert_eq!(rows[1]["access_after"], "manager");
    assert_eq!(rows[0]["actor"], "Manny");
    assert_eq!(w.app.count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {p}")).await, 4);

    // Role grants: the first account's admin role, then a grant and a revocation.
    let role = w
        .app
        .json("/api/roles/create", &[("name", "editor"), ("description", "")], Some(&w.admin))
        .await
        .to_string();
    w.app.json("/api/roles/assign", &[("role", &role), ("email", "mel@example.com")], Some(&w.admin)).await;
    w.app.json("/api/roles/unassign", &[("role", &role), ("user", &mel)], Some(&w.admin)).await;
    assert_eq!(w.app.count(&format!("SELECT COUNT(*) FROM history WHERE role_id = {role}")).await, 2);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM history WHERE role_id IS NOT NULL").await, 3);
    // Mel sees her own history, on the profile and the role; Manny can't see Mel's.
    let mine = w.app.json("/api/history/user", &[("user", &mel)], Some(&w.member)).await;
    assert_eq!(mine["total"], 5);
    w.app.assert_history_tallies_add_up().await;
    assert_eq!(
        w.app.call("/api/history/user", &[("user", &mel)], Some(&w.manager)).await.status.as_u16(),
        404
    );
}

#[tokio::test]
async fn history_filters_by_change_and_person_and_pages() {
    let w = world().await;
    let p = w.profile.as_str();
    let ids = w.app.people(&(0..60).map(|i| format!("Pat {i:02}")).collect::<Vec<_>>()).await;
    for i in 0..60 {
        let email = format!("pat.{i:02}@example.com");
        w.app
            .json(
                "/api/members/add",
                &[("profile", p), ("email", &email), ("access", "member")],
                Some(&w.manager),
            )
            .await;
    }
    for id in &ids[..5] {
        w.app
            .json("/api/members/remove", &[("profile", p), ("user", &id.to_string())], Some(&w.manager))
            .await;
    }
    let (all, totals) = w.app.walk("/api/history/profile", &[("profile", p)], "id", &w.member).await;
    assert_eq!((all.len(), totals[0]), (67, 67));
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted, "newest first, no repeats");
    let (removed, totals) =
        w.app.walk("/api/history/profile", &[("profile", p), ("action", "removed")], "id", &w.member).await;
    assert_eq!((removed.len(), totals[0]), (5, 5));
    let (pat01, _) =
        w.app.walk("/api/history/profile", &[("profile", p), ("q", "pat 01")], "id", &w.member).await;
    assert_eq!(pat01.len(), 2, "Pat 01 added and removed: {pat01:?}");
    assert_eq!(
        w.app
            .call("/api/history/profile", &[("profile", p), ("action", "exploded")], Some(&w.member))
            .await
            .status
            .as_u16(),
        422
    );
}

#[tokio::test]
async fn undo_restores_the_access_and_the_original_since() {
    let w = world().await;
    let p = w.profile.as_str();
    let mel = w.mel.to_string();
    w.app
        .json(
            "/api/members/change_access",
            &[("profile", p), ("user", &mel), ("access", "manager")],
            Some(&w.manager),
        )
        .await;
    let since_before: String =
        roster::with_db!(&w.app.db, |pool| sqlx::query_scalar::<_, roster::domain::Timestamp>(&format!(
            "SELECT added_at FROM memberships WHERE user_id = {mel}"
        ))
        .fetch_one(pool)
        .await)
        .unwrap()
        .0
        .to_rfc3339();
    // Without JavaScript, removing comes back to the profile page with the removal named.
    let res = w
        .app
        .submit(
            "/api/members/remove",
            &[("profile", p), ("user", &mel)],
            &format!("/profiles/{p}"),
            Some(&w.manager),
        )
        .await;
    let location = res.location().unwrap().to_owned();
    assert!(location.starts_with(&format!("/profiles/{p}?removed=")), "{location}");
    // The page opens at the notice, where the row was.
    let (location, at) = location.split_once('#').expect("an anchor");
    assert_eq!(at, "removed");
    let entry = location.rsplit('=').next().unwrap().to_owned();
    let page = w.app.get(location, Some(&w.manager)).await;
    assert!(page.body.contains("id=\"removed\""), "the page offers to undo, at its anchor");
    assert!(page.body.contains("data-testid=\"undo-banner\""), "the page offers to undo");
    // A member may not undo; a manager may, once.
    assert_eq!(
        w.app.call("/api/history/undo", &[("entry", &entry)], Some(&w.member)).await.status.as_u16(),
        404,
        "Mel is off the profile now"
    );
    w.app.json("/api/history/undo", &[("entry", &entry)], Some(&w.manager)).await;
    let since_after: String =
        roster::with_db!(&w.app.db, |pool| sqlx::query_scalar::<_, roster::domain::Timestamp>(&format!(
            "SELECT added_at FROM memberships WHERE user_id = {mel}"
        ))
        .fetch_one(pool)
        .await)
        .unwrap()
        .0
        .to_rfc3339();
    assert_eq!(since_after, since_before, "the original since");
    assert_eq!(
        w.app
            .count(&format!("SELECT COUNT(*) FROM memberships WHERE user_id = {mel} AND access = 'manager'"))
            .await,
        1
    );
    let again = w.app.call("/api/history/undo", &[("entry", &entry)], Some(&w.manager)).await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.body);
    let rows = w.history(&[("profile", p)], &w.manager).await;
    assert_eq!(rows[0]["action"], "restored");
    assert_eq!(rows[1]["undone"], true);
    // Undo is for removals only.
    let added = rows.iter().find(|r| r["action"] == "added").unwrap()["id"].to_string();
    assert_eq!(
        w.app.call("/api/history/undo", &[("entry", &added)], Some(&w.manager)).await.status.as_u16(),
        409
    );
    w.app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn undo_is_refused_when_the_person_is_back_already() {
    let w = world().await;
    let p = w.profile.as_str();
    let mel = w.mel.to_string();
    let entry = w
        .app
        .json("/api/members/remove", &[("profile", p), ("user", &mel)], Some(&w.manager))
        .await
        .to_string();
    w.app
        .json(
            "/api/members/add",
            &[("profile", p), ("email", "mel@example.com"), ("access", "member")],
            Some(&w.manager),
        )
        .await;
    let res = w.app.call("/api/history/undo", &[("entry", &entry)], Some(&w.manager)).await;
    assert_eq!(res.status.as_u16(), 409);
    assert_eq!(
        w.app.count("SELECT COUNT(*) FROM history WHERE action = 'restored'").await,
        0,
        "nothing recorded"
    );
}

#[tokio::test]
async fn who_had_access_on_a_day_follows_the_history() {
    let w = world().await;
    let p = w.profile.as_str();
    let ids = w.app.people(&["Early Bird".to_string(), "Late Comer".to_string()]).await;
    // A past written straight into the record: Early joined in March and left in June;
    // Late joined in May as a member and became a manager in July.
    let (early, late) = (ids[0], ids[1]);
    for (at, user, action, before, after) in [
        ("2026-03-01T10:00:00.000Z", early, "added", "NULL", "'member'"),
        ("2026-06-01T10:00:00.000Z", early, "removed", "'member'", "NULL"),
        ("2026-05-01T10:00:00.000Z", late, "added", "NULL", "'member'"),
        ("2026-07-01T10:00:00.000Z", late, "changed", "'member'", "'manager'"),
    ] {
        w.app
            .exec(&format!(
                "INSERT INTO history (at, user_id, profile_id, action, access_before, access_after, since) \
             VALUES ('{at}', {user}, {p}, '{action}', {before}, {after}, '2026-03-01T10:00:00.000Z')"
            ))
            .await;
    }
    let on = |day: &'static str| {
        let app = &w.app;
        let cookie = w.member.clone();
        async move {
            let page =
                app.json("/api/history/access_on", &[("profile", p), ("on", day)], Some(&cookie)).await;
            let rows: Vec<(i64, String)> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["user_id"].as_i64().unwrap(), r["access"].as_str().unwrap().to_owned()))
                .collect();
            assert_eq!(page["total"].as_i64().unwrap(), rows.len() as i64);
            rows
        }
    };
    assert_eq!(on("2026-02-28").await, vec![]);
    assert_eq!(on("2026-03-01").await, vec![(early, "member".into())]);
    assert_eq!(on("2026-05-15").await, vec![(early, "member".into()), (late, "member".into())]);
    assert_eq!(on("2026-06-15").await, vec![(late, "member".into())]);
    assert_eq!(on("2026-07-01").await, vec![(late, "manager".into())]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let now = w.app.json("/api/history/access_on", &[("profile", p), ("on", &today)], Some(&w.member)).await;
    assert_eq!(now["total"], 3, "Manny, Mel and Late today: {now}");
    // Past 1,000 people, the total says "more than 1,000" and the pages go on.
    w.app.accounts("many", "Many", 1_100).await;
    // One in twenty of them joined in mid-July, the rest in August.
    for (day, which) in [("2026-07-15", "= 0"), ("2026-08-01", "<> 0")] {
        w.app
            .exec(&format!(
                "INSERT INTO history (at, user_id, profile_id, action, access_after, since) \
                 SELECT '{day}T10:00:00.000Z', id, {p}, 'added', 'member', '{day}T10:00:00.000Z' \
                 FROM users WHERE email LIKE 'many%' AND id % 20 {which}"
            ))
            .await;
    }
    let july = w.app.count("SELECT COUNT(*) FROM users WHERE email LIKE 'many%' AND id % 20 = 0").await;
    // Today, over 1,100 of the profile's entries come before the date: the profile is walked
    // in person order. On July 20th, 59 do: all of them are read, in time order. Both ways
    // page through everyone, in person order, and agree with the record.
    for (day, expected) in [(today.as_str(), 1_103), ("2026-07-20", july + 1)] {
        let page =
            w.app.json("/api/history/access_on", &[("profile", p), ("on", day)], Some(&w.member)).await;
        let total = expected.min(1_000);
        assert_eq!((page["total"].as_i64(), page["more"].as_bool()), (Some(total), Some(expected > 1_000)));
        let (people, _) =
            w.app.walk("/api/history/access_on", &[("profile", p), ("on", day)], "user_id", &w.member).await;
        assert_eq!(people.len(), expected as usize, "{day}");
        assert!(people.windows(2).all(|w| w[0] < w[1]), "{day}: in user order, no repeats");
        assert!(people.contains(&late) && !people.contains(&early), "{day}");
    }
    let bad = w
        .app
        .call("/api/history/access_on", &[("profile", p), ("on", "last tuesday")], Some(&w.member))
        .await;
    assert_eq!(bad.status.as_u16(), 422);
}

#[tokio::test]
async fn why_lists_every_path_to_access() {
    let w = world().await;
    let p = w.profile.as_str();
    let admin_id = w.app.count("SELECT id FROM users WHERE email = 'admin@example.com'").await.to_string();
    let mel = w
        .app
        .json("/api/history/why", &[("profile", p), ("user", &w.mel.to_string())], Some(&w.member))
        .await;
    let paths = mel["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1);
    assert_eq!(paths[0]["Membership"]["access"], "member");
    assert_eq!(paths[0]["Membership"]["added_by"], "Manny");
    // The admin sees every profile through their role. A manager can't ask about them while
    // they are neither on the profile nor in its history: people are private.
    let admin = w.app.json("/api/history/why", &[("profile", p), ("user", &admin_id)], Some(&w.admin)).await;
    let paths = admin["paths"].as_array().unwrap();
    assert_eq!(paths.len(), 1);
    assert!(paths[0]["AdminRole"].is_object());
    let asked =
        w.app.call("/api/history/why", &[("profile", p), ("user", &admin_id)], Some(&w.manager)).await;
    assert_eq!(asked.status.as_u16(), 404);
    // The admin joins too: two paths.
    w.app
        .json(
            "/api/members/add",
            &[("profile", p), ("email", "admin@example.com"), ("access", "manager")],
            Some(&w.manager),
        )
        .await;
    let admin =
        w.app.json("/api/history/why", &[("profile", p), ("user", &admin_id)], Some(&w.manager)).await;
    assert_eq!(admin["paths"].as_array().unwrap().len(), 2);
    // An outsider learns nothing.
    let outsider = w.app.register("otto@example.com", "Otto", PW).await;
    assert_eq!(
        w.app
            .call("/api/history/why", &[("profile", p), ("user", &admin_id)], Some(&outsider))
            .await
            .status
            .as_u16(),
        404
    );
    let page = w.app.get(&format!("/profiles/{p}/why/{}", w.mel), Some(&w.member)).await;
    assert!(page.body.contains("A direct membership as member"), "{}", page.body);
}

/// `FROM … WHERE …` for a profile's entries whose person's name or email starts with `q`,
/// the plain way: what a searched history should find.
fn entries_matching(profile: &str, q: &str) -> String {
    format!(
        "FROM history h JOIN users u ON u.id = h.user_id WHERE h.profile_id = {profile} \
         AND (u.name_key LIKE '{q}%' OR u.email LIKE '{q}%' \
              OR EXISTS (SELECT 1 FROM search_words w WHERE w.user_id = u.id AND w.word LIKE '{q}%'))"
    )
}

/// A profile's history searched by name or email, with more matching people than are worth
/// sorting (`sort_at_most` is 1,000 here) and with fewer, each checked against a plain query;
/// and totals past 1,000: exact unsearched, counted to 1,000 searched.
#[tokio::test]
async fn a_searched_history_pages_through_every_match_however_many_people_match() {
    let w = world().await;
    let p = w.profile.as_str();
    // 1,100 people named Quinn and 20 whose email alone starts with "quinn"; the profile's
    // history gets an entry for every second person, in a shuffled order.
    w.app.accounts("q", "Quinn", 1_100).await;
    w.app.accounts("quinnie", "Other", 20).await;
    w.app
        .exec(&format!(
            "INSERT INTO history (user_id, profile_id, action, access_after) \
             SELECT id, {p}, 'added', 'member' FROM users WHERE id % 2 = 0 ORDER BY (id * 7919) % 10007"
        ))
        .await;
    let expected = |q: &'static str| {
        let app = &w.app;
        let sql = format!("SELECT h.id {} ORDER BY h.id DESC", entries_matching(p, q));
        async move {
            roster::with_db!(&app.db, |pool| sqlx::query_scalar::<_, i64>(&sql).fetch_all(pool).await)
                .unwrap()
        }
    };
    // Many: 550 Quinns and 10 others match, too many people to gather one by one, so the
    // history is walked newest first.
    let many = expected("quinn").await;
    assert_eq!(many.len(), 560);
    let (ids, totals) =
        w.app.walk("/api/history/profile", &[("profile", p), ("q", "quinn")], "id", &w.member).await;
    assert_eq!((ids, totals[0]), (many, 560));
    // Few: Quinn 10, 100…109 and 1000…1099, of whom every second one has an entry: more
    // than a page.
    let few = expected("quinn 10").await;
    assert!((55..=56).contains(&few.len()), "{}", few.len());
    let (ids, _) =
        w.app.walk("/api/history/profile", &[("profile", p), ("q", "Quinn 10")], "id", &w.member).await;
    assert_eq!(ids, few);
    // Few, by email alone: quinnie1 and quinnie10…19, every second one.
    let by_email = expected("quinnie1").await;
    assert!((5..=6).contains(&by_email.len()), "{}", by_email.len());
    let (ids, _) =
        w.app.walk("/api/history/profile", &[("profile", p), ("q", "quinnie1")], "id", &w.member).await;
    assert_eq!(ids, by_email);
    // Past 1,000 entries, the total is exact, by kind of change too; a search's says
    // "more than 1,000"; and the pages go on.
    w.app
        .exec(&format!(
            "INSERT INTO history (user_id, profile_id, action, access_before, access_after) \
             SELECT id, {p}, 'changed', 'member', 'manager' FROM users WHERE id % 2 = 0"
        ))
        .await;
    let entries = w.app.count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {p}")).await;
    let changed = w
        .app
        .count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {p} AND action = 'changed'"))
        .await;
    assert!(entries > 1_000 && changed < entries, "{changed} of {entries}");
    let page = w.app.json("/api/history/profile", &[("profile", p)], Some(&w.member)).await;
    assert_eq!((page["total"].as_i64(), page["more"].as_bool()), (Some(entries), Some(false)));
    let page =
        w.app.json("/api/history/profile", &[("profile", p), ("action", "changed")], Some(&w.member)).await;
    assert_eq!((page["total"].as_i64(), page["more"].as_bool()), (Some(changed), Some(false)));
    let page = w.app.json("/api/history/profile", &[("profile", p), ("q", "quinn")], Some(&w.member)).await;
    assert_eq!((page["total"].as_i64(), page["more"].as_bool()), (Some(1_000), Some(true)));
    let (all, totals) = w.app.walk("/api/history/profile", &[("profile", p)], "id", &w.member).await;
    assert_eq!((all.len() as i64, totals[0]), (entries, entries));
    w.app.assert_history_tallies_add_up().await;
}

/// A searched history's total counts each matching entry once, whichever way it is counted:
/// from the people who match (when fewer match than the profile has entries) or from the
/// profile's entries; exact to 1,000, then "more than 1,000".
#[tokio::test]
async fn a_searched_historys_total_is_the_same_counted_from_people_or_from_entries() {
    let w = world().await;
    let p = w.profile.as_str();
    // 300 people whose name ("Rhea 1") and email ("rhea1@…") both start with "rhea", so each
    // must count once, and 40 whose email alone does.
    w.app.accounts("rhea", "Rhea", 300).await;
    w.app.accounts("rhealm", "Zed", 40).await;
    // An entry on the profile for everyone whose email starts with `emails`.
    let entries = |action: &str, emails: &str| {
        let (before, after) = match action {
            "added" => ("NULL", "'member'"),
            "changed" => ("'member'", "'manager'"),
            _ => ("'manager'", "NULL"),
        };
        format!(
            "INSERT INTO history (user_id, profile_id, action, access_before, access_after) \
             SELECT id, {p}, '{action}', {before}, {after} FROM users WHERE email LIKE '{emails}%' \
             ORDER BY (id * 7919) % 10007"
        )
    };
    let check = |q: &'static str, action: &'static str, want: i64| {
        let w = &w;
        let filter = if action.is_empty() { String::new() } else { format!(" AND h.action = '{action}'") };
        let expected = format!("SELECT COUNT(*) {}{filter}", entries_matching(p, q));
        async move {
            assert_eq!(w.app.count(&expected).await, want, "the data for {q:?} {action:?}");
            let page = w
                .app
                .json(
                    "/api/history/profile",
                    &[("profile", p), ("q", q), ("action", action)],
                    Some(&w.member),
                )
                .await;
            let total = (page["total"].as_i64().unwrap(), page["more"].as_bool().unwrap());
            assert_eq!(total, (want.min(1_000), want > 1_000), "{q:?} {action:?}");
        }
    };

    // One entry each: 342 entries in all. "rhea" matches 300 names and 340 emails, more than
    // that, so it is counted from the profile's entries; "rhea 1" (111 names, no email) and
    // "rhealm" (40 emails) from the people.
    w.app.exec(&entries("added", "rhea")).await;
    check("rhea", "", 340).await;
    check("rhea 1", "", 111).await;
    check("rhealm", "added", 40).await;
    check("zed", "", 40).await;
    check("nobody", "", 0).await;

    // 400 others join: 742 entries, more than the 640 matches, so "rhea" is counted from the
    // people, by name and then by email, and the 300 found both ways count once.
    w.app.accounts("other", "Other", 400).await;
    w.app.exec(&entries("added", "other")).await;
    check("rhea", "", 340).await;
    check("rhea 1", "", 111).await;

    // Three entries each: 1,422 in all. Still from the people, now past 1,000; the changes
    // alone (340) are fewer than the people who match, so counted from the entries.
    w.app.exec(&entries("changed", "rhea")).await;
    w.app.exec(&entries("removed", "rhea")).await;
    check("rhea", "", 1_020).await;
    check("rhea 1", "", 333).await;
    check("rhea", "changed", 340).await;
    check("rhea 1", "changed", 111).await;

    // 1,200 more named "Rhealm Crowd" with no entries: 1,840 people now match "rhea", more
    // than the entries, so the entries are walked, and past 1,000 too.
    w.app.accounts("crowd", "Rhealm Crowd", 1_200).await;
    check("rhea", "", 1_020).await;
    check("rhealm", "", 120).await;

    // 39,200 more changes among the others: 40,622 entries, so many that the people who match
    // are counted only to 20 × 1,001 × 1,943 people / 40,622 entries = 957, and past that,
    // found from the people. "rhealm" matches 1,200 names past that count, and its 40
    // emails, not counted, must still be read.
    w.app
        .exec(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 98) \
             INSERT INTO history (user_id, profile_id, action, access_before, access_after) \
             SELECT u.id, {p}, 'changed', 'member', 'manager' FROM users u CROSS JOIN n \
             WHERE u.email LIKE 'other%'"
        ))
        .await;
    assert_eq!(w.app.count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {p}")).await, 40_622);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM users").await, 1_943);
    check("rhea", "", 1_020).await;
    check("rhealm", "", 120).await;
    check("rhea 1", "", 333).await;
    check("other", "", 39_600).await;
    check("rhealm crowd", "", 0).await;
    w.app.assert_history_tallies_add_up().await;
}

#[tokio::test]
async fn renaming_describing_and_deleting_a_profile_are_recorded() {
    let w = world().await;
    let p = w.profile.as_str();
    let form = [("id", p), ("name", "Compiler Club"), ("description", "We build compilers")];
    w.app.json("/api/profiles/update", &form, Some(&w.manager)).await;
    let changes = w.app.json("/api/history/profile_changes", &[("profile", p)], Some(&w.member)).await;
    let actions: Vec<&str> =
        changes.as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["described", "renamed", "created"]);
    assert_eq!(
        (changes[1]["old_value"].as_str(), changes[1]["new_value"].as_str()),
        (Some("Compilers"), Some("Compiler Club"))
    );
    assert_eq!(changes[1]["actor"], "Manny");
    let page = w.app.get(&format!("/profiles/{p}/history"), Some(&w.member)).await;
    assert!(page.body.contains("renamed from “Compilers” to “Compiler Club”"), "{}", page.body);
    // Saving without a change records nothing.
    w.app.json("/api/profiles/update", &form, Some(&w.manager)).await;
    assert_eq!(w.app.count(&format!("SELECT COUNT(*) FROM subject_history WHERE profile_id = {p}")).await, 3);
    // An outsider learns nothing of a profile's changes.
    let outsider = w.app.register("otto@example.com", "Otto", PW).await;
    let res = w.app.call("/api/history/profile_changes", &[("profile", p)], Some(&outsider)).await;
    assert_eq!(res.status.as_u16(), 404);
    w.app.json("/api/profiles/delete", &[("id", p), ("confirm", "yes")], Some(&w.manager)).await;
    let deleted = format!(
        "SELECT COUNT(*) FROM subject_history WHERE profile_id = {p} AND action = 'deleted' AND old_value = 'Compiler Club'"
    );
    assert_eq!(w.app.count(&deleted).await, 1);
}

/// A profile's history is searched by any later word of a name or an email, as the lists of
/// people are: each entry found once, in order, and counted once, whichever way the search
/// and its count go (from the people, or walking the entries).
#[tokio::test]
async fn a_history_is_searched_by_any_word_of_a_name_or_email() {
    let w = world().await;
    let p = w.profile.as_str();
    // 30 Tess Marlowes (mar1@…: their email starts with "mar" too) and 20 people whose email
    // alone has a later word "marlo…" (x.marlo1@…).
    w.app.accounts("mar", "Tess Marlowe", 30).await;
    w.app.accounts("x.marlo", "Ivo", 20).await;
    w.app
        .exec(&format!(
            "INSERT INTO history (user_id, profile_id, action, access_after) \
             SELECT id, {p}, 'added', 'member' FROM users \
             WHERE email LIKE 'mar%' OR email LIKE 'x.marlo%' ORDER BY (id * 7919) % 10007"
        ))
        .await;
    let check = |q: &'static str| {
        let w = &w;
        async move {
            let sql = format!("SELECT h.id {} ORDER BY h.id DESC", entries_matching(p, q));
            let expected: Vec<i64> =
                roster::with_db!(&w.app.db, |pool| sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap();
            let form = [("profile", p), ("q", q)];
            let (ids, totals) = w.app.walk("/api/history/profile", &form, "id", &w.member).await;
            assert_eq!(ids, expected, "{q:?}");
            assert_eq!(totals[0], expected.len().min(1_000) as i64, "{q:?}");
            expected.len()
        }
    };
    // Few people, fewer than the entries: found and counted from the people.
    assert_eq!(check("marlowe").await, 30, "by surname");
    assert_eq!(check("marlo").await, 50, "by surname or a later word of an email");
    assert_eq!(check("mar").await, 50, "the Marlowes by email and surname at once, each once");
    assert_eq!(check("tess mar").await, 30, "by the name's start");
    // More people match than the profile has entries: counted walking the entries. And past
    // three times `sort_at_most` (1,000 here) words, the page walks them too.
    w.app.accounts("crowd", "Crowd Marlowe", 3_100).await;
    assert_eq!(check("marlowe").await, 30);
    assert_eq!(check("marlo").await, 50);
    assert_eq!(check("nobody").await, 0);
}
