//! Crashes: the server is killed with SIGKILL in the middle of bulk imports and single adds,
//! round after round. Each time the database must pass its integrity and foreign-key checks,
//! hold every change the server acknowledged, and hold each bulk change wholly or not at all.
//!
//! 3 rounds by default; the long run sets `ROSTER_CRASH_ROUNDS=20` (see SECURITY.md).
#![cfg(all(feature = "ssr", unix))]

mod common;

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use roster::{server::db::Db, with_db};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PW: &str = "correct horse battery";
const PER_BULK: usize = 150;

/// One HTTP/1.1 request over a fresh connection: the status and body, or None when the
/// server is gone.
async fn http(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    cookie: &str,
) -> Option<(u16, String, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_owned(), rest.to_owned()))
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn start(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_DATABASE_URL", url)
        .env("ROSTER_LISTEN", format!("127.0.0.1:{port}"))
        .env("ROSTER_LOG", "error")
        .env_remove("ROSTER_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start roster")
}

async fn wait_until_up(port: u16) {
    for _ in 0..300 {
        if http(port, "GET", "/", "", "").await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What the clients saw acknowledged.
#[derive(Default)]
struct Acked {
    adds: Vec<String>,
    bulks: Vec<Vec<String>>,
    /// Draft id → its emails, for every draft whose creation was acknowledged.
    drafts: HashMap<i64, Vec<String>>,
}

#[tokio::test]
async fn sigkill_during_bulk_imports_loses_nothing_acknowledged_and_splits_no_transaction() {
    let rounds: usize = std::env::var("ROSTER_CRASH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let (url, _dir) = common::fresh_database().await;
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["user", "create", "--email", "admin@example.com", "--name", "Admin", "--admin"])
        .env("ROSTER_DATABASE_URL", &url)
        .env_remove("ROSTER_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(format!("{PW}\n").as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(out.success());
    let db = Db::connect(&url, 2).await.unwrap();
    // People to import: more than every round can use.
    let people = rounds * 4 * 30 * PER_BULK;
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {people}) \
         INSERT INTO users (email, display_name, name_key, password_hash) \
         SELECT 'p' || i || '@example.com', 'P ' || i, 'p ' || i, 'x' FROM n"
    );
    with_db!(&db, pool => sqlx::query(&sql).execute(pool).await.map(drop)).unwrap();

    let port = free_port();
    let mut server = start(&url, port);
    wait_until_up(port).await;
    let (status, head, _) =
        http(port, "POST", "/api/sign_in", &form(&[("email", "admin@example.com"), ("password", PW)]), "")
            .await
            .unwrap();
    assert_eq!(status, 200);
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let (_, _, profile) = http(
        port,
        "POST",
        "/api/profiles/create",
        &form(&[("name", "Imports"), ("description", "")]),
        &cookie,
    )
    .await
    .unwrap();

    let next = Arc::new(AtomicUsize::new(1));
    let acked = Arc::new(Mutex::new(Acked::default()));
    for round in 0..rounds {
        if round > 0 {
            server = start(&url, port);
            wait_until_up(port).await;
        }
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (next, acked, cookie, profile) =
                    (next.clone(), acked.clone(), cookie.clone(), profile.clone());
                tokio::spawn(async move {
                    loop {
                        if w == 0 {
                            // Single adds, one person each.
                            let email = format!("p{}@example.com", next.fetch_add(1, Ordering::SeqCst));
                            let body =
                                form(&[("profile", &profile), ("email", &email), ("access", "member")]);
                            match http(port, "POST", "/api/members/add", &body, &cookie).await {
                                Some((200, ..)) => acked.lock().unwrap().adds.push(email),
                                Some((status, _, body)) => panic!("add answered {status}: {body}"),
                                None => return,
                            }
                            continue;
                        }
                        let start = next.fetch_add(PER_BULK, Ordering::SeqCst);
                        let emails: Vec<String> =
                            (start..start + PER_BULK).map(|i| format!("p{i}@example.com")).collect();
                        let body = form(&[
                            ("profile", &profile),
                            ("emails", &emails.join("\n")),
                            ("access", "member"),
                        ]);
                        let draft: i64 = match http(port, "POST", "/api/bulk/add", &body, &cookie).await {
                            Some((200, _, id)) => id.trim().parse().unwrap(),
                            Some((status, _, body)) => panic!("bulk/add answered {status}: {body}"),
                            None => return,
                        };
                        acked.lock().unwrap().drafts.insert(draft, emails.clone());
                        match http(
                            port,
                            "POST",
                            "/api/bulk/apply",
                            &form(&[("id", &draft.to_string())]),
                            &cookie,
                        )
                        .await
                        {
                            Some((200, ..)) => acked.lock().unwrap().bulks.push(emails),
                            Some((status, _, body)) => panic!("bulk/apply answered {status}: {body}"),
                            None => return,
                        }
                    }
                })
            })
            .collect();
        // Let the work run, then kill the server mid-stride.
        tokio::time::sleep(Duration::from_millis(400 + (round as u64 * 277) % 900)).await;
        server.kill().expect("SIGKILL");
        server.wait().unwrap();
        for worker in workers {
            worker.await.unwrap();
        }
        check(&db, &url, &profile, &acked.lock().unwrap(), round).await;
    }
    let acked = acked.lock().unwrap();
    assert!(!acked.bulks.is_empty() && !acked.adds.is_empty(), "work was acknowledged before the kills");
    db.close().await;
}

async fn check(db: &Db, url: &str, profile: &str, acked: &Acked, round: usize) {
    if url.starts_with("sqlite:") {
        let integrity: String =
            with_db!(db, pool => sqlx::query_scalar("PRAGMA integrity_check").fetch_one(pool).await).unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let broken: i64 = with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check").fetch_one(pool).await).unwrap();
        assert_eq!(broken, 0, "round {round}");
    }
    let sql = format!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.profile_id = {profile}"
    );
    let members: std::collections::HashSet<String> =
        with_db!(db, pool => sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap().into_iter().collect();
    for email in &acked.adds {
        assert!(members.contains(email), "round {round}: acknowledged add of {email} lost");
    }
    for bulk in &acked.bulks {
        assert!(
            bulk.iter().all(|e| members.contains(e)),
            "round {round}: an acknowledged bulk change lost rows"
        );
    }
    // Every draft is all or nothing, applied or not, acknowledged or not.
    for (draft, emails) in &acked.drafts {
        let present = emails.iter().filter(|e| members.contains(*e)).count();
        assert!(
            present == 0 || present == emails.len(),
            "round {round}: draft {draft} half applied ({present})"
        );
        let sql = format!("SELECT COUNT(*) FROM bulk_changes WHERE id = {draft} AND applied_at IS NOT NULL");
        let applied: i64 = with_db!(db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        assert_eq!(
            applied == 1,
            present == emails.len(),
            "round {round}: draft {draft}'s report and rows disagree"
        );
    }
    // The stored counts and the history agree with the rows.
    let sql = format!("SELECT member_count FROM profiles WHERE id = {profile}");
    let count: i64 = with_db!(db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(count as usize, members.len(), "round {round}");
    let sql = format!("SELECT COUNT(*) FROM history WHERE profile_id = {profile} AND action = 'added'");
    let added: i64 = with_db!(db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(added as usize, members.len(), "round {round}: one history row per link");
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits_cleanly() {
    let (url, _dir) = common::fresh_database().await;
    let port = free_port();
    let mut server = start(&url, port);
    wait_until_up(port).await;
    let body = form(&[("email", "ada@example.com"), ("display_name", "Ada"), ("password", PW)]);
    let (status, head, _) = http(port, "POST", "/api/register", &body, "").await.unwrap();
    assert_eq!(status, 200);
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let db = Db::connect(&url, 1).await.unwrap();
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
               INSERT INTO users (email, display_name, name_key, password_hash) \
               SELECT 'q' || i || '@example.com', 'Q ' || i, 'q ' || i, 'x' FROM n";
    with_db!(&db, pool => sqlx::query(sql).execute(pool).await.map(drop)).unwrap();
    let (_, _, profile) =
        http(port, "POST", "/api/profiles/create", &form(&[("name", "Big"), ("description", "")]), &cookie)
            .await
            .unwrap();
    let emails: Vec<String> = (1..=10_000).map(|i| format!("q{i}@example.com")).collect();
    let body = form(&[("profile", &profile), ("emails", &emails.join("\n")), ("access", "member")]);
    let (status, _, draft) = http(port, "POST", "/api/bulk/add", &body, &cookie).await.unwrap();
    assert_eq!(status, 200);

    // Apply 10,000 rows, and ask the server to stop while it works.
    let apply = tokio::spawn({
        let cookie = cookie.clone();
        async move { http(port, "POST", "/api/bulk/apply", &form(&[("id", draft.trim())]), &cookie).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let (status, _, body) = apply.await.unwrap().expect("the request in flight got its answer");
    assert_eq!(status, 200, "{body}");
    let exit = server.wait().unwrap();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert!(http(port, "GET", "/", "", "").await.is_none(), "no longer listening");
    let sql = format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {profile}");
    let members: i64 = with_db!(&db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(members, 10_001);
    db.close().await;
}
