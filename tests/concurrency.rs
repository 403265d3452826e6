//! Races settled by the database, not by luck: identical adds, managers removing each
//! other, and thousands of random concurrent changes checked against a model. On SQLite and
//! PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use std::{collections::HashMap, sync::Arc};

use axum::http::StatusCode;
use common::TestApp;

const PW: &str = "correct horse battery";

async fn profile(app: &TestApp, cookie: &str, name: &str) -> String {
    app.call("/api/profiles/create", &[("name", name), ("description", "")], Some(cookie)).await.body
}

#[tokio::test]
async fn a_hundred_identical_adds_at_once_leave_one_link_and_one_history_row() {
    let app = Arc::new(TestApp::new().await);
    let boss = app.register("boss@example.com", "Boss", PW).await;
    app.people(&["Ada Lovelace".to_owned()]).await;
    let p = profile(&app, &boss, "Crowd").await;
    let calls = (0..100).map(|_| {
        let (app, boss, p) = (app.clone(), boss.clone(), p.clone());
        tokio::spawn(async move {
            let form = [("profile", p.as_str()), ("email", "ada.lovelace@example.com"), ("access", "member")];
            app.call("/api/members/add", &form, Some(&boss)).await.status
        })
    });
    let statuses: Vec<StatusCode> =
        futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| s.is_success()).count(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| s.is_success() || *s == StatusCode::CONFLICT),
        "no 5xx, no locked database: {statuses:?}"
    );
    let links = app.count(&format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {p}")).await;
    assert_eq!(links, 2, "the boss and Ada");
    let added =
        app.count(&format!("SELECT COUNT(*) FROM history WHERE profile_id = {p} AND action = 'added'")).await;
    assert_eq!(added, 2);
    assert_eq!(app.count(&format!("SELECT member_count FROM profiles WHERE id = {p}")).await, 2);
}

#[tokio::test]
async fn drafts_saved_while_bulk_changes_apply_never_deadlock() {
    // A draft's save queues on its author's row, an apply on its profile's row; each also
    // checks the other row as a foreign key. On PostgreSQL those locks once made a deadlock.
    let app = Arc::new(TestApp::with_settings(|s| s.bulk_per_minute = 10_000).await);
    let boss = app.register("boss@example.com", "Boss", PW).await;
    app.accounts("imported", "Imported", 4 * 8 * 20).await;
    let p = profile(&app, &boss, "Imports").await;
    let workers = (0..4).map(|w| {
        let (app, boss, p) = (app.clone(), boss.clone(), p.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..8 {
                let first = (w * 8 + round) * 20 + 1;
                let emails: Vec<String> =
                    (first..first + 20).map(|i| format!("imported{i}@example.com")).collect();
                let form = [("profile", p.as_str()), ("emails", &emails.join("\n")), ("access", "member")];
                let draft = app.call("/api/bulk/add", &form, Some(&boss)).await;
                statuses.push(draft.status);
                let apply = app.call("/api/bulk/apply", &[("id", draft.body.trim())], Some(&boss)).await;
                statuses.push(apply.status);
            }
            statuses
        })
    });
    let statuses: Vec<StatusCode> =
        futures::future::join_all(workers).await.into_iter().flat_map(Result::unwrap).collect();
    assert!(statuses.iter().all(StatusCode::is_success), "{statuses:?}");
    let links = app.count(&format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {p}")).await;
    assert_eq!(links, 1 + 4 * 8 * 20, "the boss and everyone imported");
}

#[tokio::test]
async fn two_managers_removing_each_other_at_once_leave_one_manager() {
    let app = Arc::new(TestApp::new().await);
    app.admin("admin@example.com", "Admin", PW).await;
    for round in 0..10 {
        let ann = app.register(&format!("ann{round}@example.com"), "Ann", PW).await;
        let bea = app.register(&format!("bea{round}@example.com"), "Bea", PW).await;
        let p = profile(&app, &ann, &format!("Pair {round}")).await;
        app.json(
            "/api/members/add",
            &[("profile", &p), ("email", &format!("bea{round}@example.com")), ("access", "manager")],
            Some(&ann),
        )
        .await;
        let ann_id = app.json("/api/me", &[], Some(&ann)).await["id"].to_string();
        let bea_id = app.json("/api/me", &[], Some(&bea)).await["id"].to_string();
        let one = {
            let (app, p) = (app.clone(), p.clone());
            tokio::spawn(async move {
                app.call("/api/members/remove", &[("profile", &p), ("user", &bea_id)], Some(&ann)).await
            })
        };
        let two = {
            let (app, p) = (app.clone(), p.clone());
            tokio::spawn(async move {
                app.call("/api/members/remove", &[("profile", &p), ("user", &ann_id)], Some(&bea)).await
            })
        };
        let (one, two) = (one.await.unwrap(), two.await.unwrap());
        let statuses = [one.status, two.status];
        assert_eq!(statuses.iter().filter(|s| s.is_success()).count(), 1, "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| s.is_success() || s.is_client_error()), "{statuses:?}");
        let managers = app
            .count(&format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {p} AND access = 'manager'"))
            .await;
        assert_eq!(managers, 1, "round {round}");
        assert_eq!(app.count(&format!("SELECT manager_count FROM profiles WHERE id = {p}")).await, 1);
    }
}

/// One operation on a (profile, person) pair, and what the model expects back.
#[derive(Clone, Copy, Debug)]
enum Op {
    Add(&'static str),
    Change(&'static str),
    Remove,
}

/// The model: each pair's access, or none; and the status each operation should get.
fn apply(state: &mut Option<&'static str>, op: Op) -> u16 {
    match (op, *state) {
        (Op::Add(_), Some(_)) => 409,
        (Op::Add(access), None) => {
            *state = Some(access);
            200
        }
        (Op::Change(access), Some(_)) => {
            *state = Some(access);
            200
        }
        (Op::Change(_), None) | (Op::Remove, None) => 404,
        (Op::Remove, Some(_)) => {
            *state = None;
            200
        }
    }
}

#[tokio::test]
async fn ten_thousand_random_concurrent_changes_match_a_model() {
    const TASKS: usize = 8;
    const OPS_PER_TASK: usize = 1_250;
    const PEOPLE_PER_TASK: usize = 6;
    const PROFILES: usize = 4;
    let app = Arc::new(TestApp::new().await);
    let boss = app.register("boss@example.com", "Boss", PW).await;
    let mut profiles = Vec::new();
    for i in 0..PROFILES {
        profiles.push(profile(&app, &boss, &format!("P{i}")).await);
    }
    let names: Vec<String> = (0..TASKS * PEOPLE_PER_TASK).map(|i| format!("Person {i:03}")).collect();
    let ids = app.people(&names).await;

    // Each task owns its own people, so its model is exact whatever the interleaving; the
    // profiles (and their counts and history) are shared by all, where the races are.
    let tasks = (0..TASKS).map(|t| {
        let (app, boss, profiles) = (app.clone(), boss.clone(), profiles.clone());
        let people: Vec<(i64, String)> = (0..PEOPLE_PER_TASK)
            .map(|k| {
                let i = t * PEOPLE_PER_TASK + k;
                (ids[i], format!("{}@example.com", names[i].to_lowercase().replace(' ', ".")))
            })
            .collect();
        tokio::spawn(async move {
            let mut rng = t as u64 * 7919 + 17;
            let mut next = move |n: usize| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng % n as u64) as usize
            };
            let mut model: HashMap<(String, i64), Option<&'static str>> = HashMap::new();
            let mut changes = 0;
            for step in 0..OPS_PER_TASK {
                let profile = profiles[next(profiles.len())].clone();
                let (user, email) = people[next(people.len())].clone();
                let access = if next(2) == 0 { "member" } else { "manager" };
                let op = match next(3) {
                    0 => Op::Add(access),
                    1 => Op::Change(access),
                    _ => Op::Remove,
                };
                let state = model.entry((profile.clone(), user)).or_default();
                let before = *state;
                let expected = apply(state, op);
                let user_s = user.to_string();
                let res = match op {
                    Op::Add(a) => {
                        app.call(
                            "/api/members/add",
                            &[("profile", &profile), ("email", &email), ("access", a)],
                            Some(&boss),
                        )
                        .await
                    }
                    Op::Change(a) => {
                        app.call(
                            "/api/members/change_access",
                            &[("profile", &profile), ("user", &user_s), ("access", a)],
                            Some(&boss),
                        )
                        .await
                    }
                    Op::Remove => {
                        app.call(
                            "/api/members/remove",
                            &[("profile", &profile), ("user", &user_s)],
                            Some(&boss),
                        )
                        .await
                    }
                };
                assert_eq!(
                    res.status.as_u16(),
                    expected,
                    "task {t} step {step}: {op:?} on {before:?}: {}",
                    res.body
                );
                if expected == 200 && before != *state {
                    changes += 1;
                }
            }
            (model, changes)
        })
    });
    let mut model = HashMap::new();
    let mut changes = 0;
    for task in futures::future::join_all(tasks).await {
        let (part, n) = task.unwrap();
        model.extend(part);
        changes += n;
    }

    // The database holds exactly the model's links, at the model's levels.
    let rows: Vec<(i64, i64, String)> = roster::with_db!(&app.db, |pool| {
        sqlx::query_as(
        "SELECT profile_id, user_id, access FROM memberships WHERE user_id <> (SELECT MIN(id) FROM users)"
    ).fetch_all(pool).await
    })
    .unwrap();
    let actual: HashMap<(String, i64), &str> =
        rows.iter().map(|(p, u, a)| ((p.to_string(), *u), a.as_str())).collect();
    let expected: HashMap<(String, i64), &str> =
        model.iter().filter_map(|(k, v)| v.map(|a| (k.clone(), a))).collect();
    assert_eq!(actual, expected);
    // Counts kept by triggers agree with the rows, and history has one row per change.
    let drift = app
        .count(
            "SELECT COUNT(*) FROM profiles p WHERE member_count <> (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = p.id) \
             OR manager_count <> (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = p.id AND m.access = 'manager')",
        )
        .await;
    assert_eq!(drift, 0);
    let history =
        app.count("SELECT COUNT(*) FROM history WHERE user_id <> (SELECT MIN(id) FROM users)").await;
    assert_eq!(history, changes as i64);
}

/// The pool never hands back a connection stuck inside a transaction: one that began but was
/// never finished (as when a request is cancelled just as BEGIN completes) is closed, which
/// releases SQLite's write lock at once, instead of holding it until the next use.
#[tokio::test]
async fn a_connection_left_inside_a_transaction_is_closed_not_pooled() {
    if common::backend() != "sqlite" {
        return; // PostgreSQL's row locks are per transaction; this guards SQLite's one writer.
    }
    let app = TestApp::new().await;
    let roster::server::db::Db::Sqlite(pool) = &app.db else { unreachable!() };
    {
        use sqlx::{sqlite::SqliteTransactionManager, TransactionManager};
        let mut conn = pool.acquire().await.unwrap();
        SqliteTransactionManager::begin(&mut conn, Some("BEGIN IMMEDIATE".into())).await.unwrap();
        // Dropped with no Transaction to roll it back.
    }
    let write = sqlx::query("INSERT INTO roles (name, description) VALUES ('after', '')").execute(pool);
    let done = tokio::time::timeout(std::time::Duration::from_secs(3), write).await;
    assert!(matches!(done, Ok(Ok(_))), "the write lock was released: {done:?}");
}
