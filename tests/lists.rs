//! Every list searches, filters, sorts and pages correctly, and says its total (exact, or
//! for a broad search "more than" its count's cap), on SQLite and PostgreSQL alike.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;
use roster::server::lists::people::count_cap;

const PW: &str = "correct horse battery";

/// Names that share prefixes in both cases and sort differently by name and by age.
fn names(n: usize) -> Vec<String> {
    let firsts = ["Ann", "anna", "Bob", "Béla", "Carl", "Annika", "Dora", "Bo"];
    (0..n).map(|i| format!("{} {:03}", firsts[i % firsts.len()], (i * 37) % 1000)).collect()
}

/// A manager (the admin, who registered first), `n` more people on one profile (every
/// fifth a manager), and the profile's id.
async fn big_profile(n: usize) -> (TestApp, String, String, Vec<i64>) {
    let app = TestApp::new().await;
    let boss = app.register("boss@example.com", "Zed Boss", PW).await;
    let profile =
        app.call("/api/profiles/create", &[("name", "Big"), ("description", "")], Some(&boss)).await.body;
    let ids = app.people(&names(n)).await;
    for (i, id) in ids.iter().enumerate() {
        let access = if i % 5 == 0 { "manager" } else { "member" };
        // Spread "since" over time so the two sorts differ.
        let at = format!("2026-01-01T00:{:02}:{:02}.000Z", (i * 7) % 60, i % 60);
        app.exec(&format!(
            "INSERT INTO memberships (profile_id, user_id, access, added_at, name_key, email) \
             SELECT {profile}, id, '{access}', '{at}', name_key, email FROM users WHERE id = {id}"
        ))
        .await;
    }
    (app, boss, profile, ids)
}

/// Where a person stands in a search by name for `q`, worked out plainly: name matches
/// first, by name key; then email matches, by email; then people with a later word of their
/// name (after a space or `-`) or part of their email (after `.`, `-`, `_`, `+` or `@`)
/// that starts with `q`, by the first such word (the key from there on). `None`: no match.
fn search_position(name_key: &str, email: &str, q: &str) -> Option<(u8, String)> {
    if name_key.starts_with(q) {
        return Some((0, name_key.to_owned()));
    }
    if email.starts_with(q) {
        return Some((1, email.to_owned()));
    }
    let later = |key: &str, breaks: &str| -> Vec<String> {
        let chars: Vec<char> = key.chars().collect();
        (1..chars.len())
            .filter(|&i| breaks.contains(chars[i - 1]) && !breaks.contains(chars[i]))
            .map(|i| chars[i..].iter().collect())
            .collect()
    };
    let mut words = later(name_key, " -");
    words.extend(later(email, ".-_+@"));
    words.into_iter().filter(|w| w.starts_with(q)).min().map(|w| (2, w))
}

/// The ids of `rows` (id, name key, email, in the list's unsearched order) that a search
/// for `q` lists, in its order: by `search_position` when sorted by name, else as given.
fn searched(rows: Vec<(i64, String, String)>, q: &str, by_name: bool) -> Vec<i64> {
    let q = q.to_lowercase();
    let mut found: Vec<((u8, String), i64)> = rows
        .into_iter()
        .filter_map(|(id, name_key, email)| Some((search_position(&name_key, &email, &q)?, id)))
        .collect();
    if by_name && !q.is_empty() {
        found.sort();
    }
    found.into_iter().map(|(_, id)| id).collect()
}

/// Everyone a search by name for `prefix` lists, in its order, worked out plainly.
async fn matching_people(app: &TestApp, prefix: &str) -> Vec<i64> {
    let sql = "SELECT id, name_key, email FROM users ORDER BY name_key, id";
    let rows = roster::with_db!(&app.db, |pool| sqlx::query_as(sql).fetch_all(pool).await).unwrap();
    searched(rows, prefix, true)
}

/// What a member list should hold, worked out plainly: ids in order.
async fn expected_members(app: &TestApp, profile: &str, q: &str, access: &str, sort: &str) -> Vec<i64> {
    let mut filter = format!("m.profile_id = {profile}");
    if !access.is_empty() {
        filter.push_str(&format!(" AND m.access = '{access}'"));
    }
    let order = if sort == "since" { "m.added_at, m.user_id" } else { "u.name_key, m.user_id" };
    let sql = format!(
        "SELECT m.user_id, u.name_key, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE {filter} ORDER BY {order}"
    );
    let rows = roster::with_db!(&app.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await).unwrap();
    searched(rows, q, sort == "name")
}

#[tokio::test]
async fn member_lists_search_filter_and_sort_with_totals_counted_to_two_pages() {
    let (app, boss, profile, _) = big_profile(130).await;
    // A profile this size among so few people is searched by reading all its members; one
    // holding a large share of many people, along everyone's words. Pretending there are
    // no people at all makes it read the second way.
    for people in ["", "0"] {
        if !people.is_empty() {
            app.exec(&format!("UPDATE tallies SET value = {people} WHERE name = 'users'")).await;
        }
        for sort in ["name", "since"] {
            for access in ["", "manager", "member"] {
                for q in ["", "ann", "ANN", "b", "bo", "béla", "anna.", "zzz", "0", "07", "037@", "example.c"]
                {
                    let form = [("profile", profile.as_str()), ("q", q), ("access", access), ("sort", sort)];
                    let (ids, totals) = app.walk("/api/members/list", &form, "user_id", &boss).await;
                    let expected = expected_members(&app, &profile, q, access, sort).await;
                    let case = format!("sort={sort} access={access} q={q} people={people}");
                    assert_eq!(ids, expected, "{case}");
                    // A search counts two pages' worth, and says "more" past them.
                    let total = match q {
                        "" => expected.len() as i64,
                        _ => (expected.len() as i64).min(count_cap()),
                    };
                    assert!(totals.iter().all(|t| *t == total), "total for {case}: {totals:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn pages_have_no_gaps_or_repeats_while_members_come_and_go() {
    let (app, boss, profile, ids) = big_profile(120).await;
    for sort in ["name", "since"] {
        let mut seen: Vec<i64> = Vec::new();
        let mut after: Option<String> = None;
        let mut removed = Vec::new();
        let newcomers = app.people(&[format!("Aaron {sort}"), format!("Zoe {sort}")]).await;
        let mut round = 0;
        loop {
            let mut form = vec![("profile", profile.as_str()), ("sort", sort)];
            if let Some(cursor) = &after {
                form.push(("after", cursor));
            }
            let page = app.json("/api/members/list", &form, Some(&boss)).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|m| m["user_id"].as_i64().unwrap()));
            // Between pages, someone joins at each end and someone not yet seen leaves.
            if round == 0 {
                for (id, name) in newcomers.iter().zip(["aaron", "zoe"]) {
                    let email = format!("{name}.{sort}@example.com");
                    app.json(
                        "/api/members/add",
                        &[("profile", &profile), ("email", &email), ("access", "member")],
                        Some(&boss),
                    )
                    .await;
                    let _ = id;
                }
                let unseen = ids.iter().rev().find(|id| !seen.contains(id)).copied().unwrap();
                app.json(
                    "/api/members/remove",
                    &[("profile", &profile), ("user", &unseen.to_string())],
                    Some(&boss),
                )
                .await;
                removed.push(unseen);
            }
            round += 1;
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no member twice ({sort})");
        for id in &ids {
            if !removed.contains(id) {
                assert!(seen.contains(id), "member {id} who stayed throughout was shown ({sort})");
            }
        }
        // Put things back for the next sort.
        for id in removed.iter().chain(newcomers.iter()) {
            app.exec(&format!("DELETE FROM memberships WHERE user_id = {id}")).await;
        }
        for id in &removed {
            app.exec(&format!(
                "INSERT INTO memberships (profile_id, user_id, access, name_key, email) \
                 SELECT {profile}, id, 'member', name_key, email FROM users WHERE id = {id}"
            ))
            .await;
        }
    }
}

#[tokio::test]
async fn lists_refuse_nonsense_choices_with_clear_errors() {
    let (app, boss, profile, _) = big_profile(3).await;
    let long = "x".repeat(101);
    for (name, value) in [("sort", "age"), ("access", "owner"), ("q", long.as_str()), ("after", "garbage")] {
        let res = app.call("/api/members/list", &[("profile", &profile), (name, value)], Some(&boss)).await;
        let expected = if name == "after" { 400 } else { 422 };
        assert_eq!(res.status.as_u16(), expected, "{name}={value}: {}", res.body);
    }
}

#[tokio::test]
async fn the_users_directory_searches_sorts_and_counts() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    app.people(&names(75)).await;
    let all: i64 = app.count("SELECT COUNT(*) FROM users").await;
    let (ids, totals) = app.walk("/api/users/list", &[], "id", &admin).await;
    assert_eq!(ids.len() as i64, all);
    assert!(totals.iter().all(|t| *t == all));
    let by_name: Vec<i64> =
        roster::with_db!(&app.db, |pool| sqlx::query_scalar("SELECT id FROM users ORDER BY name_key, id")
            .fetch_all(pool)
            .await)
        .unwrap();
    assert_eq!(ids, by_name);
    let (ids, _) = app.walk("/api/users/list", &[("sort", "since")], "id", &admin).await;
    let by_age: Vec<i64> =
        roster::with_db!(&app.db, |pool| sqlx::query_scalar("SELECT id FROM users ORDER BY created_at, id")
            .fetch_all(pool)
            .await)
        .unwrap();
    assert_eq!(ids, by_age);
    // "ann" matches Ann…, anna…, Annika… by name, and nobody else; "admin@" matches by email.
    let (ids, totals) = app.walk("/api/users/list", &[("q", "Ann")], "id", &admin).await;
    let expected = app.count("SELECT COUNT(*) FROM users WHERE name_key LIKE 'ann%'").await;
    assert_eq!(ids.len() as i64, expected);
    assert_eq!(totals[0], expected);
    let (ids, _) = app.walk("/api/users/list", &[("q", "admin@")], "id", &admin).await;
    assert_eq!(ids.len(), 1);
    // A later word of a name or a part of an email finds people too, after the name and
    // email matches, in the order of the word that matched; sorted by "since", by age.
    app.people(&["Bob Brown".into(), "Brody Ash-Brook".into(), "Cy Ray".into()]).await;
    for q in ["bro", "07", "exa", "037@", "ash-b", "brook"] {
        let expected = matching_people(&app, q).await;
        assert!(!expected.is_empty(), "{q}");
        let (ids, totals) = app.walk("/api/users/list", &[("q", q)], "id", &admin).await;
        assert_eq!(ids, expected, "q={q}");
        assert_eq!(totals[0], expected.len() as i64, "q={q}");
        let (mut ids, _) = app.walk("/api/users/list", &[("q", q), ("sort", "since")], "id", &admin).await;
        ids.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(ids, expected, "q={q} by since");
    }
    let named = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let page = app.json("/api/users/list", &[("q", q)], Some(&admin)).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["display_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(named("bro").await, ["Brody Ash-Brook", "Bob Brown"], "a name match, then by word");
    assert_eq!(named("ray").await, ["Cy Ray"]);
    // Not an admin: refused.
    let other = app.register("x@example.com", "X", PW).await;
    assert_eq!(app.call("/api/users/list", &[], Some(&other)).await.status.as_u16(), 403);
}

#[tokio::test]
async fn my_profiles_and_role_holders_search_filter_sort_and_count() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    for name in ["Alpha", "alpine", "Beta", "Gamma"] {
        app.json("/api/profiles/create", &[("name", name), ("description", "")], Some(&admin)).await;
    }
    let (ids, totals) = app.walk("/api/profiles/of_user", &[("q", "AL")], "id", &admin).await;
    assert_eq!(ids.len(), 2);
    assert_eq!(totals, vec![2]);
    let (ids, _) = app.walk("/api/profiles/of_user", &[("access", "member")], "id", &admin).await;
    assert!(ids.is_empty());
    let (by_name, _) = app.walk("/api/profiles/of_user", &[], "id", &admin).await;
    let profile_names: Vec<String> = {
        let page = app.json("/api/profiles/of_user", &[], Some(&admin)).await;
        page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(profile_names, ["Alpha", "alpine", "Beta", "Gamma"], "by name, whatever the case");
    let (by_since, _) = app.walk("/api/profiles/of_user", &[("sort", "since")], "id", &admin).await;
    let mut sorted = by_since.clone();
    sorted.sort();
    assert_eq!(by_since, sorted, "created one after the other");
    assert_eq!(by_name.len(), 4);

    let role = app.json("/api/roles/create", &[("name", "editor"), ("description", "")], Some(&admin)).await;
    let role = role.to_string();
    app.people(&names(60)).await;
    // And some whose email alone matches "bo".
    app.exec(
        "INSERT INTO users (email, display_name, name_key, password_hash) VALUES \
         ('bonnie@example.com', 'Zara', 'zara', 'x'), ('bo@example.com', 'Yann', 'yann', 'x')",
    )
    .await;
    app.write_search_words().await;
    app.exec(&format!("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT id, {role}, name_key, email FROM users WHERE email <> 'admin@example.com'")).await;
    let (ids, totals) = app.walk("/api/roles/holders", &[("role", &role)], "user_id", &admin).await;
    assert_eq!((ids.len(), totals[0]), (62, 62));
    // Searched by name: the name matches by name, then the email matches by email.
    let (ids, _) = app.walk("/api/roles/holders", &[("role", &role), ("q", "BO")], "user_id", &admin).await;
    assert_eq!(ids, matching_people(&app, "bo").await);
    assert_eq!(
        app.count("SELECT id FROM users WHERE email = 'bonnie@example.com'").await,
        *ids.last().unwrap()
    );
    for q in ["07", "example.c"] {
        let (ids, _) = app.walk("/api/roles/holders", &[("role", &role), ("q", q)], "user_id", &admin).await;
        let admin_id = app.count("SELECT id FROM users WHERE email = 'admin@example.com'").await;
        let holders: Vec<i64> =
            matching_people(&app, q).await.into_iter().filter(|id| *id != admin_id).collect();
        assert_eq!(ids, holders, "q={q}");
        assert!(!ids.is_empty(), "q={q}");
    }
    let (ids, totals) = app
        .walk("/api/roles/holders", &[("role", &role), ("q", "bo"), ("sort", "since")], "user_id", &admin)
        .await;
    let expected =
        app.count("SELECT COUNT(*) FROM users WHERE name_key LIKE 'bo%' OR email LIKE 'bo%'").await;
    assert_eq!((ids.len() as i64, totals[0]), (expected, expected));
    assert!(expected > 0);
}

#[tokio::test]
async fn the_member_picker_suggests_at_most_ten_and_marks_who_is_on_already() {
    let (app, boss, profile, _) = big_profile(40).await;
    app.people(&names(60).into_iter().map(|n| format!("{n} x")).collect::<Vec<_>>()).await;
    // An admin finds everyone, on the profile or not (tests/privacy.rs: who else finds whom).
    app.exec(
        "INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email \
         FROM users u, roles r WHERE u.email = 'boss@example.com' AND r.name = 'admin'",
    )
    .await;
    let found = app.json("/api/users/suggest", &[("profile", &profile), ("q", "ann")], Some(&boss)).await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 10, "never more than ten");
    assert!(found.iter().all(|s| s["display_name"].as_str().unwrap().to_lowercase().starts_with("ann")));
    assert!(found.iter().any(|s| s["access"].is_string()), "some are on the profile already");
    assert!(found.iter().any(|s| s["access"].is_null()), "some are not");
    let by_email =
        app.json("/api/users/suggest", &[("profile", &profile), ("q", "boss@")], Some(&boss)).await;
    assert_eq!(by_email.as_array().unwrap().len(), 1);
    let none = app.json("/api/users/suggest", &[("profile", &profile), ("q", "  ")], Some(&boss)).await;
    assert!(none.as_array().unwrap().is_empty());
    // Only the profile's managers may look people up through it.
    let outsider = app.register("out@example.com", "Out", PW).await;
    assert_eq!(
        app.call("/api/users/suggest", &[("profile", &profile), ("q", "a")], Some(&outsider))
            .await
            .status
            .as_u16(),
        404
    );
    assert_eq!(
        app.call("/api/users/suggest", &[("profile", &profile), ("q", "a")], None).await.status.as_u16(),
        401
    );
}

/// `n` people named "Quinn 1"… straight in the database, plus `others` whose name doesn't
/// match "quinn" but whose email does.
async fn quinns(app: &TestApp, n: usize, others: usize) {
    app.accounts("quinn.", "Quinn", n).await;
    app.accounts("quinnie", "Other", others).await;
}

#[tokio::test]
async fn a_broad_search_counts_two_pages_then_says_more_and_still_pages_through_everyone() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    // 1,110 name matches: the email matches start in the middle of a page.
    quinns(&app, 1_110, 30).await;
    let expected = matching_people(&app, "quinn").await;
    assert_eq!(expected.len(), 1_140);

    // The directory: the count stops at two pages (100) and says there are more; the pages
    // don't stop.
    assert_eq!(count_cap(), 100);
    let first = app.json("/api/users/list", &[("q", "quinn")], Some(&admin)).await;
    assert_eq!((first["total"].as_i64(), first["more"].as_bool()), (Some(100), Some(true)));
    let (ids, _) = app.walk("/api/users/list", &[("q", "quinn")], "id", &admin).await;
    assert_eq!(ids, expected, "every match once: the name matches by name, then the email matches by email");
    // A narrower search is counted exactly.
    let narrow = app.json("/api/users/list", &[("q", "quinn 11")], Some(&admin)).await;
    assert_eq!(
        (narrow["total"].as_i64(), narrow["more"].as_bool()),
        (Some(22), Some(false)),
        "11, 110…119, 1100…1110"
    );
    let just = app.json("/api/users/list", &[("q", "quinn 10")], Some(&admin)).await;
    assert_eq!((just["total"].as_i64(), just["more"].as_bool()), (Some(100), Some(true)), "111 match");

    // A profile's members, the same way.
    let profile =
        app.call("/api/profiles/create", &[("name", "Crowd"), ("description", "")], Some(&admin)).await.body;
    app.exec(&format!(
        "INSERT INTO memberships (profile_id, user_id, access, name_key, email) \
         SELECT {profile}, id, 'member', name_key, email FROM users WHERE id <> (SELECT MIN(id) FROM users)"
    ))
    .await;
    let first = app.json("/api/members/list", &[("profile", &profile), ("q", "QUINN")], Some(&admin)).await;
    assert_eq!((first["total"].as_i64(), first["more"].as_bool()), (Some(100), Some(true)));
    let (ids, _) =
        app.walk("/api/members/list", &[("profile", &profile), ("q", "quinn")], "user_id", &admin).await;
    assert_eq!(ids, expected);
    // Unsearched, the total is the exact stored count, however large.
    let all = app.json("/api/members/list", &[("profile", &profile)], Some(&admin)).await;
    assert_eq!((all["total"].as_i64(), all["more"].as_bool()), (Some(1_141), Some(false)));

    // Sorted by "since", the 1,110 name matches are too many to sort (`sort_at_most` is 1,000
    // here), so the list walks the "since" order and tests each row for a name or an email
    // match. Dates are shuffled, so that "since" order is not the order of ids.
    let shuffled = |column: &str| match common::backend() {
        "postgres" => {
            "TIMESTAMPTZ '2026-01-01 00:00:00+00' + ((user_id * 7919) % 10007) * INTERVAL '1 second'"
                .replace("user_id", column)
        }
        _ => format!(
            "strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (({column} * 7919) % 10007) || ' seconds')"
        ),
    };
    app.exec(&format!("UPDATE users SET created_at = {}", shuffled("id"))).await;
    app.exec(&format!("UPDATE memberships SET added_at = {}", shuffled("user_id"))).await;
    let by_since = |sql: &'static str| {
        let app = &app;
        async move { roster::with_db!(&app.db, |pool| sqlx::query_scalar(sql).fetch_all(pool).await).unwrap() }
    };
    let expected: Vec<i64> = by_since(
        "SELECT id FROM users WHERE name_key LIKE 'quinn%' OR email LIKE 'quinn%' ORDER BY created_at, id",
    )
    .await;
    assert_eq!(expected.len(), 1_140);
    let (ids, _) = app.walk("/api/users/list", &[("q", "quinn"), ("sort", "since")], "id", &admin).await;
    assert_eq!(ids, expected, "the directory by \"since\"");
    let expected: Vec<i64> = by_since(
        "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE u.name_key LIKE 'quinn%' OR u.email LIKE 'quinn%' ORDER BY m.added_at, m.user_id",
    )
    .await;
    let form = [("profile", profile.as_str()), ("q", "quinn"), ("sort", "since")];
    let (ids, totals) = app.walk("/api/members/list", &form, "user_id", &admin).await;
    assert_eq!(ids, expected, "the members by \"since\"");
    assert_eq!(totals[0], 100, "counted to the cap");
    // Fewer matches than the switch point: the name and the email matches are read and sorted.
    let form = [("profile", profile.as_str()), ("q", "quinn 1"), ("sort", "since")];
    let (ids, _) = app.walk("/api/members/list", &form, "user_id", &admin).await;
    let narrow: Vec<i64> = by_since(
        "SELECT m.user_id FROM memberships m WHERE m.name_key LIKE 'quinn 1%' ORDER BY m.added_at, m.user_id",
    )
    .await;
    assert_eq!((ids.len(), ids), (222, narrow), "1, 10…19, 100…199, 1000…1110 by \"since\"");
}

#[tokio::test]
async fn people_here_before_search_words_get_theirs_at_the_next_start_and_keep_them_right() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    // As the migration that made search_words leaves an older database: people without words
    // and the tally that asks for them.
    app.exec(
        "INSERT INTO users (email, display_name, name_key, password_hash) \
         VALUES ('old.timer@example.org', 'Old Timer', 'old timer', 'x')",
    )
    .await;
    app.exec("INSERT INTO tallies (name, value) VALUES ('search_words_backlog', 1)").await;
    let total = |q: &'static str| {
        let (app, admin) = (&app, admin.clone());
        async move { app.json("/api/users/list", &[("q", q)], Some(&admin)).await["total"].as_i64().unwrap() }
    };
    assert_eq!(total("tim").await, 0);
    app.db.migrate().await.unwrap();
    assert_eq!((total("tim").await, total("example.org").await), (1, 1));
    assert_eq!(app.count("SELECT COUNT(*) FROM tallies WHERE name = 'search_words_backlog'").await, 0);
    // The database refuses a name or an address that leaves the words cut from the old one.
    for change in ["name_key = 'new timer'", "email = 'new@example.org'"] {
        let refused = roster::with_db!(&app.db, |pool| {
            sqlx::query(&format!("UPDATE users SET {change} WHERE email = 'old.timer@example.org'"))
                .execute(pool)
                .await
                .map(drop)
        });
        assert!(refused.is_err(), "{change}");
    }
}

#[tokio::test]
async fn admins_list_every_profile_searched_sorted_and_paged() {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    for i in 0..70 {
        let name = format!("{} {i:02}", ["Alpha", "beta", "Gamma"][i % 3]);
        let maker = if i % 2 == 0 { &ada } else { &admin };
        app.json("/api/profiles/create", &[("name", &name), ("description", "")], Some(maker)).await;
    }
    let plain = |sql: &'static str| {
        let app = &app;
        async move {
            roster::with_db!(&app.db, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_all(pool).await).unwrap()
        }
    };
    let (ids, totals) = app.walk("/api/profiles/all", &[], "id", &admin).await;
    assert_eq!(ids, plain("SELECT id FROM profiles ORDER BY name_key, id").await);
    assert!(totals.iter().all(|t| *t == 70), "{totals:?}");
    let (ids, _) = app.walk("/api/profiles/all", &[("sort", "since")], "id", &admin).await;
    assert_eq!(ids, plain("SELECT id FROM profiles ORDER BY created_at, id").await);
    let (ids, totals) = app.walk("/api/profiles/all", &[("q", "BETA")], "id", &admin).await;
    assert_eq!(ids, plain("SELECT id FROM profiles WHERE name_key LIKE 'beta%' ORDER BY name_key, id").await);
    assert_eq!(totals, vec![23]);
    let (ids, _) = app.walk("/api/profiles/all", &[("q", "beta"), ("sort", "since")], "id", &admin).await;
    assert_eq!(
        ids,
        plain("SELECT id FROM profiles WHERE name_key LIKE 'beta%' ORDER BY created_at, id").await
    );
    // More matches than a search sorted by making counts: it walks the "created" order instead.
    app.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1010) \
         INSERT INTO profiles (name, name_key, description) SELECT 'Many ' || i, 'many ' || i, '' FROM n",
    )
    .await;
    let (ids, totals) =
        app.walk("/api/profiles/all", &[("q", "many"), ("sort", "since")], "id", &admin).await;
    assert_eq!(
        ids,
        plain("SELECT id FROM profiles WHERE name_key LIKE 'many%' ORDER BY created_at, id").await
    );
    assert_eq!((ids.len(), totals[0]), (1010, 1000), "counted to a thousand");
    // Whoever made them, and on which the admin is or isn't: every profile, with its maker.
    let page = app.json("/api/profiles/all", &[("q", "alpha 00")], Some(&admin)).await;
    assert_eq!(page["items"][0]["created_by"], "Ada", "{page}");
    assert_eq!(app.call("/api/profiles/all", &[], Some(&ada)).await.status.as_u16(), 403);
    assert_eq!(app.call("/api/profiles/all", &[], None).await.status.as_u16(), 401);
}
