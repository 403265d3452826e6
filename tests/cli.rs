//! The `roster` binary as an operator runs it.
#![cfg(feature = "ssr")]

mod common;

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

fn roster(args: &[&str], database_url: &str, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .env("ROSTER_DATABASE_URL", database_url)
        .env_remove("ROSTER_CONFIG")
        // Away from the repository's Leptos.toml, so only the defaults and the URL apply.
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run roster");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A new database, migrated as an operator does first: no command but `serve` and `migrate`
/// creates one.
async fn migrated_database() -> (String, tempfile::TempDir) {
    let (url, dir) = common::fresh_database().await;
    let out = roster(&["migrate"], &url, "");
    assert!(out.status.success(), "{}", text(&out));
    (url, dir)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn migrate_brings_a_new_database_up_to_date_and_is_idempotent() {
    let (url, _dir) = common::fresh_database().await;
    let first = roster(&["migrate"], &url, "");
    assert!(first.status.success(), "{}", text(&first));
    let dir = format!("{}/migrations/{}", env!("CARGO_MANIFEST_DIR"), common::backend());
    let migrations = std::fs::read_dir(dir).unwrap().count();
    assert!(text(&first).contains(&format!("{migrations} migration(s) applied")), "{}", text(&first));
    let again = roster(&["migrate"], &url, "");
    assert!(text(&again).contains("0 migration(s) applied"), "{}", text(&again));
}

#[tokio::test]
async fn user_create_makes_an_admin_that_can_sign_in() {
    let (url, _dir) = migrated_database().await;
    let out = roster(
        &["user", "create", "--email", "Ops@Example.com", "--name", "Ops", "--admin"],
        &url,
        "a long password\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("<ops@example.com> with the admin role"), "{}", text(&out));
    assert!(!text(&out).contains("a long password"), "the password is never printed");

    let db = roster::server::db::Db::connect(&url, 1).await.unwrap();
    let admins: i64 = roster::with_db!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.email = 'ops@example.com'"
    ).fetch_one(pool).await).unwrap();
    assert_eq!(admins, 1);
    let creds =
        roster::users::ssr::credentials(&db, &roster::domain::Email::parse("ops@example.com").unwrap())
            .await
            .unwrap()
            .expect("account exists");
    assert!(roster::auth::ssr::verify_password("a long password".into(), creds.1).await.unwrap());
}

#[tokio::test]
async fn user_create_refuses_a_taken_email_with_exit_code_3() {
    let (url, _dir) = migrated_database().await;
    assert!(roster(&["user", "create", "--email", "a@example.com", "--name", "A"], &url, "password1\n")
        .status
        .success());
    let out = roster(&["user", "create", "--email", "A@example.com", "--name", "B"], &url, "password2\n");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("already exists"), "{}", text(&out));
}

#[tokio::test]
async fn user_create_refuses_invalid_input_with_exit_code_2() {
    let (url, _dir) = migrated_database().await;
    let bad_email = roster(&["user", "create", "--email", "nope", "--name", "A"], &url, "password1\n");
    assert_eq!(bad_email.status.code(), Some(2));
    assert!(text(&bad_email).contains("email:"), "{}", text(&bad_email));
    let short = roster(&["user", "create", "--email", "a@example.com", "--name", "A"], &url, "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(text(&short).contains("at least 8"), "{}", text(&short));
    let usage = roster(&["user", "create", "--name", "A"], &url, "");
    assert_eq!(usage.status.code(), Some(2), "missing --email is a usage error");
}

#[test]
fn commands_other_than_serve_and_migrate_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped.db");
    let url = format!("sqlite://{}", missing.display());
    let backup = dir.path().join("copy.db");
    for args in [
        vec!["user", "create", "--email", "a@example.com", "--name", "A"],
        vec!["role", "assign", "--email", "a@example.com", "--role", "admin"],
        vec!["seed", "--users", "10", "--profiles", "2", "--per-user", "1"],
        vec!["backup", backup.to_str().unwrap()],
    ] {
        let out = roster(&args, &url, "password1\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("there is no database at"), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(missing.to_str().unwrap()), "names the path: {}", text(&out));
        assert!(!missing.exists() && !backup.exists(), "{args:?} created a file");
    }
    assert!(roster(&["migrate"], &url, "").status.success());
    assert!(missing.exists(), "migrate creates it");
}

#[test]
fn a_relative_database_path_in_a_settings_file_is_the_same_file_from_any_folder() {
    // A settings file naming `data/roster.db`, read from two other folders: both the file's.
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("roster.toml");
    std::fs::write(&config, "database_url = \"sqlite://data/roster.db\"\n").unwrap();
    for folder in [std::env::temp_dir(), home.path().join("..")] {
        let out = Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["--config", config.to_str().unwrap(), "migrate"])
            .env_remove("ROSTER_DATABASE_URL")
            .current_dir(folder)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(home.path().join("data/roster.db").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .env_remove("ROSTER_DATABASE_URL")
        .output()
        .unwrap();
    assert!(text(&out).contains("0 migration(s) applied"), "the same, migrated file: {}", text(&out));
}

/// What `roster serve` on `url` logs until it listens.
fn logged_by_serve_until_it_listens(url: &str) -> String {
    use std::io::BufRead;
    let port = common::process::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_DATABASE_URL", url)
        .env("ROSTER_LISTEN", format!("127.0.0.1:{port}"))
        .env("ROSTER_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("ROSTER_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut logged = String::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        logged.push_str(&line);
        logged.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    logged
}

#[tokio::test]
async fn serve_logs_its_database_and_offers_a_setup_link_while_there_is_no_admin() {
    let (url, _dir) = common::fresh_database().await;
    let logged = logged_by_serve_until_it_listens(&url);
    assert!(logged.contains("no administrator yet: create one at http://127.0.0.1:"), "{logged}");
    if common::backend() == "sqlite" {
        let file = url.trim_start_matches("sqlite://");
        assert!(logged.contains(&format!("SQLite database url=sqlite://{file}")), "{logged}");
    }
    let out = roster(
        &["user", "create", "--email", "a@example.com", "--name", "A", "--admin"],
        &url,
        "password1\n",
    );
    assert!(out.status.success(), "{}", text(&out));
    let logged = logged_by_serve_until_it_listens(&url);
    assert!(logged.contains("listening on") && !logged.contains("setup?token="), "{logged}");
}

#[test]
fn every_command_has_help() {
    for args in
        [vec!["--help"], vec!["serve", "--help"], vec!["migrate", "--help"], vec!["user", "create", "--help"]]
    {
        let out = roster(&args, "sqlite::memory:", "");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = roster(&["migrate"], "mysql://nope", "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("must start with sqlite: or postgres:"), "{}", text(&out));
}

#[tokio::test]
async fn role_assign_and_unassign_keep_the_last_admin() {
    let (url, _dir) = migrated_database().await;
    assert!(roster(
        &["user", "create", "--email", "a@example.com", "--name", "A", "--admin"],
        &url,
        "password1\n"
    )
    .status
    .success());
    assert!(roster(&["user", "create", "--email", "b@example.com", "--name", "B"], &url, "password2\n")
        .status
        .success());

    let last = roster(&["role", "unassign", "--email", "a@example.com", "--role", "admin"], &url, "");
    assert_eq!(last.status.code(), Some(3), "{}", text(&last));
    assert!(text(&last).contains("last admin"), "{}", text(&last));

    let grant = roster(&["role", "assign", "--email", "B@example.com", "--role", "admin"], &url, "");
    assert!(grant.status.success(), "{}", text(&grant));
    assert!(text(&grant).contains("Granted role admin to <b@example.com>"), "{}", text(&grant));
    let again = roster(&["role", "assign", "--email", "b@example.com", "--role", "admin"], &url, "");
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));

    let revoke = roster(&["role", "unassign", "--email", "a@example.com", "--role", "admin"], &url, "");
    assert!(revoke.status.success(), "{}", text(&revoke));
    let no_role = roster(&["role", "assign", "--email", "a@example.com", "--role", "wizard"], &url, "");
    assert_eq!(no_role.status.code(), Some(4), "{}", text(&no_role));
    let no_user = roster(&["role", "assign", "--email", "z@example.com", "--role", "admin"], &url, "");
    assert_eq!(no_user.status.code(), Some(4), "{}", text(&no_user));
}

#[tokio::test]
async fn seed_fills_an_empty_database_with_consistent_data_and_refuses_a_full_one() {
    let (url, _dir) = migrated_database().await;
    let out = roster(&["seed", "--users", "2000", "--profiles", "150", "--per-user", "5"], &url, "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Seeded 2000 people, 150 profiles"), "{}", text(&out));
    let db = roster::server::db::Db::connect(&url, 1).await.unwrap();
    let one = |sql: &'static str| {
        let db = db.clone();
        async move {
            roster::with_db!(&db, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).expect(sql)
        }
    };
    assert_eq!(one("SELECT value FROM tallies WHERE name = 'users'").await, 2000);
    let links = one("SELECT COUNT(*) FROM memberships").await;
    assert!(links >= 2000 * 5, "{links}");
    assert_eq!(
        one("SELECT COUNT(*) FROM history WHERE action = 'added'").await,
        links,
        "a history row per link"
    );
    assert_eq!(one("SELECT CAST(SUM(member_count) AS BIGINT) FROM profiles").await, links, "counts agree");
    assert_eq!(
        one("SELECT COUNT(*) FROM profiles WHERE manager_count = 0").await,
        0,
        "every profile has a manager"
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM profiles p WHERE manager_count <> (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = p.id AND m.access = 'manager')").await,
        0
    );
    // A power law: the biggest profile is far bigger than the median one.
    let biggest = one("SELECT MAX(member_count) FROM profiles").await;
    assert!(biggest > 10 * links / 150, "biggest {biggest} of {links}");
    // The schema is whole again: the indexes and triggers set aside are back.
    let id = one("SELECT MAX(id) FROM users").await;
    let added = roster::with_db!(&db, |pool| {
        sqlx::query("INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('new@example.com', 'New', 'new', 'x')").execute(pool).await.map(drop)
    });
    assert!(added.is_ok(), "ids continue after the seeded ones: {added:?}");
    assert_eq!(one("SELECT MAX(id) FROM users").await, id + 1);
    // The history's totals are counted, and kept again as the history grows.
    common::assert_history_tallies_add_up(&db).await;
    roster::with_db!(&db, |pool| sqlx::query(
        "INSERT INTO history (user_id, profile_id, action, access_after) VALUES (1, 1, 'added', 'member')"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    common::assert_history_tallies_add_up(&db).await;
    db.close().await;

    let again = roster(&["seed", "--users", "10", "--profiles", "2", "--per-user", "1"], &url, "");
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    let bad = roster(&["seed", "--users", "10", "--profiles", "2", "--per-user", "3"], &url, "");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}

#[tokio::test]
async fn backup_copies_a_live_database_consistently_and_never_overwrites() {
    let (url, dir) = migrated_database().await;
    let file = dir.path().join("copy.db");
    let file_arg = file.to_str().unwrap().to_owned();
    if common::backend() == "postgres" {
        let out = roster(&["backup", &file_arg], &url, "");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
        assert!(!file.exists());
        return;
    }
    let seeded = roster(&["seed", "--users", "3000", "--profiles", "100", "--per-user", "5"], &url, "");
    assert!(seeded.status.success(), "{}", text(&seeded));

    // A writer keeps adding people, each a transaction that also bumps the users tally, for
    // the whole copy.
    let db = roster::server::db::Db::connect(&url, 2).await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sql = format!(
                    "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('w{n}@example.com', 'W {n}', 'w {n}', 'x')"
                );
                roster::with_db!(&db, |pool| sqlx::query(&sql).execute(pool).await.map(drop)).unwrap();
                n += 1;
            }
            n
        })
    };
    let out = tokio::task::spawn_blocking({
        let (url, file_arg) = (url.clone(), file_arg.clone());
        move || roster(&["backup", &file_arg], &url, "")
    })
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("passed its integrity and foreign-key checks"), "{}", text(&out));
    assert!(written > 0, "the writer ran during the copy");

    // The copy is one moment of the database: whole, linked, and its tallies agree.
    let copy = roster::server::db::Db::connect(&format!("sqlite://{file_arg}"), 1).await.unwrap();
    let one = |sql: &'static str| {
        let copy = copy.clone();
        async move {
            roster::with_db!(&copy, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await)
                .expect(sql)
        }
    };
    assert_eq!(one("SELECT COUNT(*) FROM pragma_foreign_key_check").await, 0);
    assert_eq!(
        one("SELECT value FROM tallies WHERE name = 'users'").await,
        one("SELECT COUNT(*) FROM users").await
    );
    assert_eq!(
        one("SELECT SUM(member_count) FROM profiles").await,
        one("SELECT COUNT(*) FROM memberships").await
    );
    assert!(one("SELECT COUNT(*) FROM users").await >= 3000);
    copy.close().await;
    db.close().await;

    // An existing file is never overwritten.
    let again = roster(&["backup", &file_arg], &url, "");
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
}

/// `roster mail test`, with the mail settings in `env`.
fn mail_test(url: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    command.args(["mail", "test", "--to", "ops@example.com"]).env("ROSTER_DATABASE_URL", url);
    command.env_remove("ROSTER_CONFIG").env_remove("ROSTER_SMTP_URL").current_dir(std::env::temp_dir());
    command.envs(env.iter().copied()).output().expect("run roster")
}

#[tokio::test]
async fn mail_test_sends_through_the_smtp_server_or_writes_the_outbox_and_says_which() {
    let (url, dir) = migrated_database().await;
    let outbox = dir.path().join("mail");
    let out = mail_test(&url, &[("ROSTER_MAIL_OUTBOX", outbox.to_str().unwrap())]);
    assert!(out.status.success(), "{}", text(&out));
    let written: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(text(&out).contains(&written[0].display().to_string()), "names the file: {}", text(&out));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = mail_test(&url, &[("ROSTER_SMTP_URL", &format!("smtp://{closed}"))]);
    assert_eq!(down.status.code(), Some(1), "{}", text(&down));
    assert!(text(&down).contains("not sent"), "{}", text(&down));
    if let Ok(smtp) = std::env::var("ROSTER_TEST_SMTP_URL") {
        let sent = mail_test(&url, &[("ROSTER_SMTP_URL", &smtp)]);
        assert!(sent.status.success(), "{}", text(&sent));
        assert!(text(&sent).contains("through the SMTP server"), "{}", text(&sent));
    }
}

#[tokio::test]
async fn user_reset_password_prints_a_one_time_link_or_sets_the_password_from_stdin() {
    let (url, _dir) = migrated_database().await;
    let made =
        roster(&["user", "create", "--email", "ada@example.com", "--name", "Ada"], &url, "first password\n");
    assert!(made.status.success(), "{}", text(&made));
    let db = roster::server::db::Db::connect(&url, 1).await.unwrap();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            roster::with_db!(&db, |pool| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).unwrap()
        }
    };

    let out = roster(&["user", "reset-password", "--email", "Ada@Example.com"], &url, "");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let link = stdout.lines().find(|l| l.contains("/reset?token=")).expect("a link").trim().to_owned();
    assert!(link.starts_with("http://127.0.0.1:3000/reset?token="), "{link}");
    let token = link.rsplit_once("token=").unwrap().1;
    let digest = roster::access::session::digest(token);
    let stored: i64 = roster::with_db!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM account_tokens WHERE id = $1 AND purpose = 'reset_password'"
    )
    .bind(&digest)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(stored, 1, "the link's token, stored as its digest");

    roster::with_db!(&db, |pool| sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) \
         SELECT 'x', id, 1, 1, 9999999999 FROM users WHERE email = 'ada@example.com'"
    )
    .execute(pool)
    .await
    .map(drop))
    .unwrap();
    let set = roster(
        &["user", "reset-password", "--email", "ada@example.com", "--password"],
        &url,
        "second password\n",
    );
    assert!(set.status.success(), "{}", text(&set));
    assert!(!text(&set).contains("second password"), "the password is never printed");
    assert_eq!(count("SELECT COUNT(*) FROM sessions").await, 0, "every session ended");
    assert_eq!(count("SELECT COUNT(*) FROM account_tokens").await, 0, "the link made before stops working");
    let logged = "SELECT COUNT(*) FROM security_events WHERE kind IN ('reset_link_sent', 'password_set')";
    assert_eq!(count(logged).await, 2);
    let creds =
        roster::users::ssr::credentials(&db, &roster::domain::Email::parse("ada@example.com").unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(roster::auth::ssr::verify_password("second password".into(), creds.1).await.unwrap());

    let nobody = roster(&["user", "reset-password", "--email", "nobody@example.com"], &url, "");
    assert_eq!(nobody.status.code(), Some(4), "{}", text(&nobody));
    let short =
        roster(&["user", "reset-password", "--email", "ada@example.com", "--password"], &url, "short\n");
    assert_eq!(short.status.code(), Some(2), "{}", text(&short));
}

#[tokio::test]
async fn user_list_disable_enable_delete_and_role_list_create_delete() {
    let (url, _dir) = migrated_database().await;
    let run = |args: &[&str], stdin: &str| roster(args, &url, stdin);
    assert!(run(
        &["user", "create", "--email", "root@example.com", "--name", "Root", "--admin"],
        "root password\n"
    )
    .status
    .success());
    for (email, name) in [("ada@example.com", "Ada"), ("grace@example.com", "Grace")] {
        assert!(run(&["user", "create", "--email", email, "--name", name], "a long password\n")
            .status
            .success());
    }
    let listed = run(&["user", "list"], "");
    assert!(listed.status.success(), "{}", text(&listed));
    let out = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        out.contains("root@example.com  Root  [admin]") && out.contains("grace@example.com  Grace"),
        "{out}"
    );
    let searched = String::from_utf8_lossy(&run(&["user", "list", "--search", "GR"], "").stdout).into_owned();
    assert!(searched.contains("grace@example.com") && !searched.contains("ada@"), "{searched}");
    // A later word of a name, or of an email, finds its person too.
    assert!(run(
        &["user", "create", "--email", "a.turing@example.com", "--name", "Alan Mathison Turing"],
        "a long password\n"
    )
    .status
    .success());
    for later in ["mathison", "TUR"] {
        let searched =
            String::from_utf8_lossy(&run(&["user", "list", "--search", later], "").stdout).into_owned();
        assert!(
            searched.contains("a.turing@example.com") && !searched.contains("grace@"),
            "{later}: {searched}"
        );
    }

    assert!(run(&["user", "disable", "--email", "ada@example.com"], "").status.success());
    let out = String::from_utf8_lossy(&run(&["user", "list"], "").stdout).into_owned();
    assert!(out.contains("Ada  [deactivated]"), "{out}");
    assert!(run(&["user", "enable", "--email", "ada@example.com"], "").status.success());
    let last_admin = run(&["user", "disable", "--email", "root@example.com"], "");
    assert_eq!(last_admin.status.code(), Some(3), "{}", text(&last_admin));
    let unconfirmed = run(&["user", "delete", "--email", "grace@example.com"], "");
    assert_eq!(unconfirmed.status.code(), Some(2), "{}", text(&unconfirmed));
    assert!(run(&["user", "delete", "--email", "grace@example.com", "--yes"], "").status.success());
    let gone = run(&["user", "delete", "--email", "grace@example.com", "--yes"], "");
    assert_eq!(gone.status.code(), Some(4), "{}", text(&gone));

    assert!(run(&["role", "create", "--name", "mentor", "--description", "Guides others"], "")
        .status
        .success());
    assert!(run(&["role", "assign", "--email", "ada@example.com", "--role", "mentor"], "").status.success());
    let roles = String::from_utf8_lossy(&run(&["role", "list"], "").stdout).into_owned();
    assert!(roles.contains("mentor  (1 holding)  Guides others"), "{roles}");
    assert!(run(&["role", "delete", "--name", "mentor"], "").status.success());
    assert_eq!(run(&["role", "delete", "--name", "admin"], "").status.code(), Some(3));
    assert_eq!(run(&["role", "delete", "--name", "mentor"], "").status.code(), Some(4));
}
