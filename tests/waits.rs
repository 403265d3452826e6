//! Nothing hangs and nothing grows without bound: a stuck database lock, an exhausted pool,
//! a client that sends its headers or its body too slowly, a shutdown with a request still in
//! flight, and a person's bulk work. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use std::time::{Duration, Instant};

use common::{
    process::{free_port, http, roster, wait_until_up},
    TestApp, TestResponse,
};
use sqlx::{Connection, Executor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PW: &str = "correct horse battery";

/// A connection of the test's own that holds the lock a change to `profile` needs until it is
/// dropped: SQLite's write lock, or on PostgreSQL the profile's row (a membership change
/// updates the profile's counts).
enum Holder {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

async fn hold_the_lock(app: &TestApp, profile: &str) -> Holder {
    let url = &app.settings.database_url;
    if common::backend() == "postgres" {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        conn.execute("BEGIN").await.unwrap();
        conn.execute(format!("SELECT id FROM profiles WHERE id = {profile} FOR UPDATE").as_str())
            .await
            .unwrap();
        Holder::Postgres(conn)
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        conn.execute("BEGIN IMMEDIATE").await.unwrap();
        Holder::Sqlite(conn)
    }
}

async fn release(holder: Holder) {
    match holder {
        Holder::Sqlite(mut c) => c.execute("ROLLBACK").await.map(drop).unwrap(),
        Holder::Postgres(mut c) => c.execute("ROLLBACK").await.map(drop).unwrap(),
    }
}

/// An app that waits at most a second for the database, and a profile Pat manages.
async fn impatient_app(connections: u32) -> (TestApp, String, String) {
    app_with(|s| s.database_max_connections = Some(connections)).await
}

/// The same, with `adjust` applied to its settings.
async fn app_with(adjust: impl FnOnce(&mut roster::server::config::Settings)) -> (TestApp, String, String) {
    let app = TestApp::with_settings(|s| {
        s.database_wait_secs = 1;
        s.request_timeout_secs = 2;
        adjust(s);
    })
    .await;
    let pat = app.register("pat@example.com", "Pat", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&pat)).await;
    app.accounts("p", "Person", 20).await;
    (app, pat, profile.to_string())
}

/// Adds `p{n}@example.com` to `profile` as its manager.
async fn add(app: &TestApp, profile: &str, n: usize, cookie: &str) -> TestResponse {
    let email = format!("p{n}@example.com");
    app.call(
        "/api/members/add",
        &[("profile", profile), ("email", &email), ("access", "member")],
        Some(cookie),
    )
    .await
}

#[tokio::test]
async fn a_change_stuck_behind_a_held_lock_answers_503_in_time_and_changes_nothing() {
    let (app, pat, profile) = impatient_app(4).await;
    let holder = hold_the_lock(&app, &profile).await;
    let started = Instant::now();
    let stuck = add(&app, &profile, 1, &pat).await;
    assert_eq!(stuck.status.as_u16(), 503, "{}", stuck.body);
    assert!(stuck.headers.contains_key("retry-after"));
    assert!(started.elapsed() < Duration::from_secs(10), "answered in {:?}", started.elapsed());
    release(holder).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1, "nothing changed");
    let retried = add(&app, &profile, 1, &pat).await;
    assert_eq!(retried.status.as_u16(), 200, "{}", retried.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_stuck_requests_than_connections_still_get_answers_or_a_503_in_time() {
    let (app, pat, profile) = impatient_app(2).await;
    let holder = hold_the_lock(&app, &profile).await;
    let started = Instant::now();
    let writes = (1..=6).map(|n| add(&app, &profile, n, &pat));
    let list =
        async || app.call("/api/members/list", &[("profile", profile.as_str())], Some(pat.as_str())).await;
    let reads = (0..6).map(|_| list());
    let (writes, reads) = tokio::join!(futures::future::join_all(writes), futures::future::join_all(reads));
    let elapsed = started.elapsed();
    release(holder).await;
    for res in writes.iter().chain(&reads) {
        assert!(matches!(res.status.as_u16(), 200 | 503), "{} {}", res.status, res.body);
    }
    assert!(writes.iter().all(|r| r.status.as_u16() == 503), "every write waited on the lock");
    assert!(elapsed < Duration::from_secs(20), "all answered in {elapsed:?}");
    assert_eq!(list().await.status.as_u16(), 200, "and the server serves on");
}

#[tokio::test]
async fn bulk_work_is_bounded_per_person() {
    let (app, pat, profile) = app_with(|s| s.bulk_per_minute = 25).await;
    let start = async || {
        let form = [("profile", profile.as_str()), ("emails", "p1@example.com"), ("access", "member")];
        app.call("/api/bulk/add", &form, Some(pat.as_str())).await
    };
    let mut drafts = Vec::new();
    for _ in 0..roster::bulk::MAX_OPEN_DRAFTS {
        let res = start().await;
        assert_eq!(res.status.as_u16(), 200, "{}", res.body);
        drafts.push(res.body);
    }
    let refused = start().await;
    assert_eq!(refused.status.as_u16(), 429);
    assert_eq!(refused.error().to_string(), roster::bulk::ssr::TOO_MANY_DRAFTS);
    let open = "SELECT COUNT(*) FROM bulk_changes WHERE applied_at IS NULL";
    assert_eq!(app.count(open).await, roster::bulk::MAX_OPEN_DRAFTS, "the refused one saved nothing");
    // Applying makes room; the bulk requests allowed a minute then run out.
    let limit = 25;
    let done = drafts.len() + 1;
    for draft in &drafts[..limit - done] {
        let res = app.call("/api/bulk/apply", &[("id", draft.as_str())], Some(&pat)).await;
        assert_eq!(res.status.as_u16(), 200, "{}", res.body);
    }
    let refused = app.call("/api/bulk/apply", &[("id", drafts[limit - done].as_str())], Some(&pat)).await;
    assert_eq!(refused.status.as_u16(), 429);
    assert_eq!(refused.error().to_string(), "Too many bulk changes in a short time. Try again in a minute.");
    assert!(refused.headers.contains_key("retry-after"));
}

/// `roster serve` on a new database with the given settings; waits until it answers.
async fn server(settings: &[(&str, &str)]) -> (std::process::Child, u16, tempfile::TempDir) {
    let (url, dir) = common::fresh_database().await;
    let port = free_port();
    let mut command = roster(&url);
    command.arg("serve").env("ROSTER_LISTEN", format!("127.0.0.1:{port}")).env("ROSTER_LOG", "warn");
    command.envs(settings.iter().copied()).stdout(std::process::Stdio::null());
    let child = command.spawn().unwrap();
    wait_until_up(port).await;
    (child, port, dir)
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let (mut child, port, _dir) = server(&[("ROSTER_HEADER_TIMEOUT_SECS", "1")]).await;
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was closed, not left open");
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
    assert_eq!(http(port, "GET", "/", "", "").await.map(|a| a.status), Some(200), "others are served");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn sigterm_stops_within_the_grace_period_even_with_a_request_stuck_in_flight() {
    let settings = [("ROSTER_SHUTDOWN_GRACE_SECS", "1"), ("ROSTER_REQUEST_TIMEOUT_SECS", "60")];
    let (mut child, port, _dir) = server(&settings).await;
    // A request whose body never finishes arriving: in flight until the drain gives up.
    let mut stuck = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = "POST /api/sign_in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 100\r\n\r\nemail=a";
    stuck.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let term = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "{exit:?}");
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(8), "stopped after {waited:?}");
    assert!(waited >= Duration::from_millis(900), "it gave the request its grace: {waited:?}");
}
