//! The database holds Roster's invariants by itself, on SQLite and PostgreSQL alike.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;
use roster::server::db::{broken_rule, Rule};

async fn try_exec(app: &TestApp, sql: &str) -> Result<(), sqlx::Error> {
    app.db.execute(sql).await.map(drop)
}

/// Ada (1, admin), Grace (2), and profile 1 that Ada manages and Grace belongs to.
async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.exec("INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('ada@example.com', 'Ada', 'ada', 'x')")
        .await;
    app.exec(
        "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('grace@example.com', 'Grace', 'grace', 'x')",
    )
    .await;
    app.exec("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r WHERE u.id = 1 AND r.name = 'admin'").await;
    app.exec("INSERT INTO profiles (name, created_by) VALUES ('Compilers', 1)").await;
    app.exec("INSERT INTO memberships (profile_id, user_id, access, added_by, name_key, email) SELECT 1, id, 'manager', 1, name_key, email FROM users WHERE id = 1")
        .await;
    app.exec("INSERT INTO memberships (profile_id, user_id, access, added_by, name_key, email) SELECT 1, id, 'member', 1, name_key, email FROM users WHERE id = 2")
        .await;
    app
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let app = TestApp::new().await;
    assert_eq!(app.db.migrate().await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM roles WHERE name = 'admin'").await, 1);
}

#[tokio::test]
async fn emails_are_unique_whatever_their_case() {
    let app = seeded().await;
    let err = try_exec(
        &app,
        "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('ADA@example.com', 'A', 'a', 'x')",
    )
    .await
    .unwrap_err();
    assert!(roster::server::db::is_unique_violation(&err), "{err}");
}

#[tokio::test]
async fn linking_twice_keeps_one_row() {
    let app = seeded().await;
    let err =
        try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access, name_key, email) VALUES (1, 2, 'manager', 'grace', 'grace@example.com')")
            .await
            .unwrap_err();
    assert!(roster::server::db::is_unique_violation(&err), "{err}");
    let again = try_exec(
        &app,
        "INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r WHERE u.id = 1 AND r.name = 'admin'",
    )
    .await;
    assert!(again.is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 2);
}

#[tokio::test]
async fn access_is_manager_or_member_and_nothing_else() {
    let app = seeded().await;
    app.exec(
        "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('alan@example.com', 'Alan', 'alan', 'x')",
    )
    .await;
    let err = try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access, name_key, email) VALUES (1, 3, 'owner', 'alan', 'alan@example.com')")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sqlx::Error::Database(e) if e.kind() == sqlx::error::ErrorKind::CheckViolation),
        "{err}"
    );
}

#[tokio::test]
async fn links_to_missing_rows_are_refused() {
    let app = seeded().await;
    let err =
        try_exec(&app, "INSERT INTO memberships (profile_id, user_id, access, name_key, email) VALUES (1, 99, 'member', 'x', 'x@example.com')")
            .await
            .unwrap_err();
    assert!(
        matches!(&err, sqlx::Error::Database(e) if e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation),
        "{err}"
    );
}

#[tokio::test]
async fn deleting_a_user_removes_their_links_and_keeps_what_they_made() {
    let app = seeded().await;
    app.exec("DELETE FROM users WHERE id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 0, "role grants go");
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE user_id = 1").await, 0, "memberships go");
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles").await, 1, "the profile stays");
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles WHERE created_by IS NULL").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM memberships WHERE user_id = 2 AND added_by IS NULL").await,
        1,
        "Grace stays on it"
    );
}

#[tokio::test]
async fn deleting_a_profile_removes_its_memberships() {
    let app = seeded().await;
    app.exec("DELETE FROM profiles WHERE id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn deleting_a_role_removes_its_grants() {
    let app = seeded().await;
    app.exec("INSERT INTO roles (name) VALUES ('editor')").await;
    app.exec("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r WHERE u.id = 2 AND r.name = 'editor'").await;
    app.exec("DELETE FROM roles WHERE name = 'editor'").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 1, "only the admin grant is left");
}

fn rule(err: sqlx::Error) -> Option<Rule> {
    broken_rule(&err)
}

#[tokio::test]
async fn the_admin_role_can_be_neither_deleted_nor_renamed() {
    let app = seeded().await;
    let delete = app.db.execute("DELETE FROM roles WHERE name = 'admin'").await.unwrap_err();
    assert_eq!(rule(delete), Some(Rule::AdminRoleIsPermanent));
    let rename = app.db.execute("UPDATE roles SET name = 'boss' WHERE name = 'admin'").await.unwrap_err();
    assert_eq!(rule(rename), Some(Rule::AdminRoleIsPermanent));
    app.exec("UPDATE roles SET description = 'Runs the place.' WHERE name = 'admin'").await;
}

#[tokio::test]
async fn the_last_admin_keeps_the_role_but_one_of_two_can_go() {
    let app = seeded().await;
    let last = app.db.execute("DELETE FROM user_roles WHERE user_id = 1").await.unwrap_err();
    assert_eq!(rule(last), Some(Rule::LastAdmin));
    app.exec("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r WHERE u.id = 2 AND r.name = 'admin'").await;
    app.exec("DELETE FROM user_roles WHERE user_id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, 1);
}

#[tokio::test]
async fn the_last_manager_can_be_neither_removed_nor_demoted() {
    let app = seeded().await;
    let remove = app.db.execute("DELETE FROM memberships WHERE user_id = 1").await.unwrap_err();
    assert_eq!(rule(remove), Some(Rule::ProfileNeedsAManager));
    let demote =
        app.db.execute("UPDATE memberships SET access = 'member' WHERE user_id = 1").await.unwrap_err();
    assert_eq!(rule(demote), Some(Rule::ProfileNeedsAManager));
    // With a second manager, either one may go.
    app.exec("UPDATE memberships SET access = 'manager' WHERE user_id = 2").await;
    app.exec("DELETE FROM memberships WHERE user_id = 1").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE access = 'manager'").await, 1);
}

#[tokio::test]
async fn two_managers_removing_each_other_at_once_leave_one() {
    for _ in 0..5 {
        let app = seeded().await;
        app.exec("UPDATE memberships SET access = 'manager' WHERE user_id = 2").await;
        let (a, b) = tokio::join!(
            app.db.execute("DELETE FROM memberships WHERE profile_id = 1 AND user_id = 1"),
            app.db.execute("DELETE FROM memberships WHERE profile_id = 1 AND user_id = 2"),
        );
        assert!(a.is_ok() != b.is_ok(), "exactly one removal succeeds: {a:?} {b:?}");
        let refused = a.err().or(b.err()).unwrap();
        assert_eq!(rule(refused), Some(Rule::ProfileNeedsAManager));
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships WHERE access = 'manager'").await, 1);
    }
}

#[tokio::test]
async fn member_counts_follow_every_insert_and_delete() {
    let app = seeded().await;
    assert_eq!(app.count("SELECT member_count FROM profiles WHERE id = 1").await, 2);
    app.exec(
        "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('alan@example.com', 'Alan', 'alan', 'x')",
    )
    .await;
    app.exec("INSERT INTO memberships (profile_id, user_id, access, name_key, email) VALUES (1, 3, 'member', 'alan', 'alan@example.com')").await;
    assert_eq!(app.count("SELECT member_count FROM profiles WHERE id = 1").await, 3);
    app.exec("DELETE FROM users WHERE id = 3").await;
    app.exec("DELETE FROM memberships WHERE user_id = 2").await;
    assert_eq!(app.count("SELECT member_count FROM profiles WHERE id = 1").await, 1);
}

#[tokio::test]
async fn the_reverse_direction_of_each_link_has_an_index() {
    let app = TestApp::new().await;
    let sql = match app.db.dialect() {
        roster::server::db::Dialect::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
             AND name IN ('memberships_user_idx', 'user_roles_role_idx', 'users_email_key')"
        }
        roster::server::db::Dialect::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN \
             ('memberships_user_idx', 'user_roles_role_idx', 'users_email_key')"
        }
    };
    assert_eq!(app.count(sql).await, 3);
}

#[tokio::test]
async fn copies_of_name_and_email_must_match_their_user_and_follow_changes() {
    let app = seeded().await;
    app.exec("INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('alan@example.com', 'Alan', 'alan', 'x')").await;
    app.exec("INSERT INTO roles (name) VALUES ('editor')").await;
    // A membership and a role grant each keep a copy; a wrong one is refused.
    for wrong in [
        "INSERT INTO memberships (profile_id, user_id, access, name_key, email) VALUES (1, 3, 'member', 'bob', 'alan@example.com')",
        "INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT 3, id, 'bob', 'alan@example.com' FROM roles WHERE name = 'editor'",
    ] {
        let err = try_exec(&app, wrong).await.unwrap_err();
        assert!(roster::server::db::is_foreign_key_violation(&err), "{wrong}: {err}");
    }
    app.exec("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT 2, id, 'grace', 'grace@example.com' FROM roles WHERE name = 'editor'").await;
    app.exec("UPDATE users SET display_name = 'Grace H', name_key = 'grace h', email = 'gh@example.com' WHERE id = 2").await;
    for table in ["memberships", "user_roles"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table} WHERE user_id = 2 AND name_key = 'grace h' AND email = 'gh@example.com'")).await,
            1,
            "the copy in {table} follows the user"
        );
    }
}

#[tokio::test]
async fn counts_follow_every_change() {
    let app = seeded().await;
    let counts = "SELECT member_count * 1000 + manager_count FROM profiles WHERE id = 1";
    assert_eq!(app.count(counts).await, 2001);
    app.exec("UPDATE memberships SET access = 'manager' WHERE user_id = 2").await;
    assert_eq!(app.count(counts).await, 2002);
    app.exec("DELETE FROM memberships WHERE user_id = 2").await;
    assert_eq!(app.count(counts).await, 1001);
    assert_eq!(app.count("SELECT holder_count FROM roles WHERE name = 'admin'").await, 1);
    assert_eq!(app.count("SELECT value FROM tallies WHERE name = 'users'").await, 2);
    app.exec("DELETE FROM users WHERE id = 2").await;
    assert_eq!(app.count("SELECT value FROM tallies WHERE name = 'users'").await, 1);
}

/// PostgreSQL keeps its counts once per statement (migrations/postgres/0010), so each step
/// here changes many rows, on several profiles and roles, in one statement.
#[tokio::test]
async fn counts_follow_statements_that_change_many_rows() {
    let app = seeded().await;
    let wrong = "SELECT \
        (SELECT COUNT(*) FROM profiles p \
         WHERE member_count <> (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = p.id) \
            OR manager_count <> (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = p.id AND m.access = 'manager')) \
      + (SELECT COUNT(*) FROM roles r WHERE holder_count <> (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = r.id)) \
      + (SELECT COUNT(*) FROM tallies WHERE name = 'users' AND value <> (SELECT COUNT(*) FROM users)) \
      + (SELECT COUNT(*) FROM tallies WHERE name = 'profiles' AND value <> (SELECT COUNT(*) FROM profiles))";
    let totals = "SELECT CAST((SELECT value FROM tallies WHERE name = 'users') * 1000000000 \
        + (SELECT SUM(member_count) FROM profiles) * 1000000 + (SELECT SUM(manager_count) FROM profiles) * 1000 \
        + (SELECT SUM(holder_count) FROM roles) AS BIGINT)";
    // Each statement, and whether it moves any count.
    let steps = [
        // People 3 to 62.
        (
            "WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < 62) \
             INSERT INTO users (email, display_name, name_key, password_hash) \
             SELECT 'p' || i || '@example.com', 'P ' || i, 'p ' || i, 'x' FROM n",
            true,
        ),
        ("INSERT INTO profiles (name, name_key, created_by) VALUES ('Kernels', 'kernels', 1), ('Parsers', 'parsers', 1)", false),
        ("INSERT INTO roles (name) VALUES ('editor')", false),
        // Everyone new on all three profiles, a quarter of them as managers.
        (
            "INSERT INTO memberships (profile_id, user_id, access, name_key, email) \
             SELECT p.id, u.id, CASE WHEN u.id % 4 = 0 THEN 'manager' ELSE 'member' END, u.name_key, u.email \
             FROM users u CROSS JOIN profiles p WHERE u.id > 2",
            true,
        ),
        (
            "INSERT INTO user_roles (user_id, role_id, name_key, email) \
             SELECT u.id, r.id, u.name_key, u.email FROM users u CROSS JOIN roles r WHERE u.id BETWEEN 3 AND 40",
            true,
        ),
        // Managers become members and members managers, both ways in one statement.
        (
            "UPDATE memberships SET access = CASE access WHEN 'manager' THEN 'member' ELSE 'manager' END \
             WHERE user_id > 2 AND user_id % 3 = 0",
            true,
        ),
        // Updates that change no one's access, one of them through a rename's copies.
        ("UPDATE memberships SET added_by = 1", false),
        ("UPDATE users SET display_name = display_name || '!', name_key = name_key || '!' WHERE id > 2 AND id < 30", false),
        ("DELETE FROM memberships WHERE user_id > 2 AND user_id % 5 = 0", true),
        ("DELETE FROM users WHERE id > 2 AND id % 7 = 0", true),
        ("DELETE FROM user_roles WHERE user_id % 2 = 0 AND role_id IN (SELECT id FROM roles WHERE name = 'editor')", true),
    ];
    let mut before = app.count(totals).await;
    for (step, moves) in steps {
        app.exec(step).await;
        assert_eq!(app.count(wrong).await, 0, "the counts are wrong after {step}");
        let after = app.count(totals).await;
        assert_eq!(after != before, moves, "the counts moved, or stood, after {step}");
        before = after;
    }

    // Entries for many people on many profiles, and a role's, in one statement.
    app.exec(
        "INSERT INTO history (actor_id, user_id, profile_id, action, access_after, since) \
         SELECT 1, m.user_id, m.profile_id, 'added', m.access, m.added_at FROM memberships m",
    )
    .await;
    app.exec(
        "INSERT INTO history (actor_id, user_id, role_id, action, since) \
         SELECT 1, ur.user_id, ur.role_id, 'added', ur.assigned_at FROM user_roles ur",
    )
    .await;
    app.assert_history_tallies_add_up().await;
    let profiles_with_many =
        "SELECT COUNT(*) FROM history_tallies WHERE subject = 'profile' AND entries > 20";
    assert_eq!(app.count(profiles_with_many).await, 3);
}

#[tokio::test]
async fn history_is_append_only() {
    let app = seeded().await;
    app.exec(
        "INSERT INTO history (user_id, profile_id, action, access_after, since) VALUES (2, 1, 'added', 'member', '2026-01-01T00:00:00.000Z')",
    )
    .await;
    for sql in ["UPDATE history SET action = 'removed'", "DELETE FROM history"] {
        let err = try_exec(&app, sql).await.unwrap_err();
        assert!(matches!(broken_rule(&err), Some(Rule::HistoryIsAppendOnly)), "{sql}: {err}");
    }
    // A row that says nothing consistent is refused.
    let err =
        try_exec(&app, "INSERT INTO history (user_id, profile_id, action) VALUES (2, 1, 'changed')").await;
    assert!(err.is_err());
    // Only a removal keeps the end date the membership had.
    let ended_addition =
        "INSERT INTO history (user_id, profile_id, action, access_after, since, ends_before) \
        VALUES (2, 1, 'added', 'member', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')";
    assert!(try_exec(&app, ended_addition).await.is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM history").await, 1);
}

#[tokio::test]
async fn sqlite_commits_are_synchronous_full_unless_set_otherwise() {
    use roster::server::db::{Db, Durability, Open};
    if common::backend() != "sqlite" {
        return; // PostgreSQL's durability is its server's own setting.
    }
    let (url, _dir) = common::fresh_database().await;
    for (durability, expected) in [(Durability::Full, 2), (Durability::Normal, 1)] {
        let db = Db::open(&url, 1, Open { durability, ..Open::CREATE }).await.unwrap();
        let level: i64 =
            roster::with_db!(&db, |pool| sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await)
                .unwrap();
        assert_eq!(level, expected, "{durability:?}");
        db.close().await;
    }
}

#[tokio::test]
async fn migrations_run_to_the_end_however_short_the_statement_timeout() {
    use roster::server::db::{Db, Open};
    if common::backend() != "postgres" {
        return; // SQLite has no statement timeout.
    }
    let (url, _dir) = common::fresh_database().await;
    // A table rewrite on a big database takes minutes; here every migration outlasts 5 ms.
    let open = Open { statement_timeout: Some(std::time::Duration::from_millis(5)), ..Open::CREATE };
    let db = Db::open(&url, 2, open).await.unwrap();
    assert!(db.migrate().await.unwrap() > 20, "every migration ran");
    assert!(db.execute("SELECT pg_sleep(0.1)").await.is_err(), "the app's own statements keep the limit");
    db.close().await;
}

#[tokio::test]
async fn postgres_connections_run_generic_plans_without_parallel_workers() {
    use roster::server::db::{Db, Open};
    if common::backend() != "postgres" {
        return; // Planner settings of PostgreSQL's own.
    }
    let (url, _dir) = common::fresh_database().await;
    let db = Db::open(&url, 2, Open::CREATE).await.unwrap();
    let Db::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    // Every pooled connection, not just the first: hold both at once.
    let mut first = pool.acquire().await.unwrap();
    let mut second = pool.acquire().await.unwrap();
    for conn in [&mut first, &mut second] {
        let settings: (String, String) = sqlx::query_as(
            "SELECT current_setting('plan_cache_mode'), current_setting('max_parallel_workers_per_gather')",
        )
        .fetch_one(&mut **conn)
        .await
        .unwrap();
        assert_eq!(settings, ("force_generic_plan".to_owned(), "0".to_owned()));
    }
    drop((first, second));
    db.close().await;
}

#[tokio::test]
async fn a_maker_has_one_profile_of_each_name_and_older_repeats_get_their_id() {
    let app = seeded().await;
    app.exec("UPDATE profiles SET name_key = 'compilers' WHERE id = 1").await;
    let again = try_exec(
        &app,
        "INSERT INTO profiles (name, name_key, created_by) VALUES ('COMPILERS', 'compilers', 1)",
    );
    assert!(again.await.is_err(), "one maker, one name");
    app.exec("INSERT INTO profiles (name, name_key, created_by) VALUES ('Compilers', 'compilers', 2)").await;
    app.exec("INSERT INTO profiles (name, name_key, created_by) VALUES ('Orphan', 'orphan', NULL)").await;
    app.exec("INSERT INTO profiles (name, name_key, created_by) VALUES ('Orphan', 'orphan', NULL)").await;

    // A database from before the rule, with a repeat, as the migration finds it.
    app.exec("DROP INDEX profiles_creator_name_idx").await;
    app.exec("INSERT INTO profiles (name, name_key, created_by) VALUES ('COMPILERS', 'compilers', 1)").await;
    let migration = match app.db.dialect() {
        roster::server::db::Dialect::Sqlite => {
            include_str!("../migrations/sqlite/0026_profile_names_per_creator.sql")
        }
        roster::server::db::Dialect::Postgres => {
            include_str!("../migrations/postgres/0026_profile_names_per_creator.sql")
        }
    };
    let code: String = migration.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
    for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        app.exec(statement).await;
    }
    let renamed = app
        .count("SELECT COUNT(*) FROM profiles WHERE name = 'COMPILERS (' || id || ')' AND name_key = 'compilers (' || id || ')'");
    assert_eq!(renamed.await, 1, "the newer repeat has its id added");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM profiles WHERE name = 'Compilers'").await,
        2,
        "the rest keep theirs"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM profiles WHERE name = 'Orphan'").await, 2);
}

#[tokio::test]
async fn the_migration_names_each_word_before_as_the_app_writes_it() {
    let app = TestApp::new().await;
    app.register("bob.brown@mail-box.example.com", "Bob van der Brown", "correct horse battery").await;
    app.register("ann@ann.org", "Ann Ann", "correct horse battery").await;
    let words = "SELECT COUNT(*) FROM search_words";
    let written =
        "SELECT COUNT(*) FROM search_words w WHERE previous IS NULL OR EXISTS (SELECT 1 FROM search_words v \
                   WHERE v.user_id = w.user_id AND v.word = w.previous)";
    assert!(app.count(words).await > 8);
    assert_eq!(app.count(written).await, app.count(words).await, "the app names a word of the person's");
    let firsts = "SELECT COUNT(*) FROM search_words WHERE previous IS NULL";
    assert_eq!(app.count(firsts).await, 2, "one first word each");
    let app_wrote: Vec<(String, Option<String>)> = roster::with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT word, previous FROM search_words ORDER BY word, user_id").fetch_all(pool).await
    })
    .unwrap();

    // As the migration finds the words of the people already here: none named.
    app.exec("UPDATE search_words SET previous = NULL").await;
    let migration = match app.db.dialect() {
        roster::server::db::Dialect::Sqlite => {
            include_str!("../migrations/sqlite/0027_search_words_previous.sql")
        }
        roster::server::db::Dialect::Postgres => {
            include_str!("../migrations/postgres/0027_search_words_previous.sql")
        }
    };
    let code: String = migration.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
    let fill = code.split(';').map(str::trim).find(|s| s.starts_with("UPDATE search_words")).unwrap();
    app.exec(fill).await;
    let migrated: Vec<(String, Option<String>)> = roster::with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT word, previous FROM search_words ORDER BY word, user_id").fetch_all(pool).await
    })
    .unwrap();
    assert_eq!(migrated, app_wrote);
}
