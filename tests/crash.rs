//! Crashes: the server is killed with SIGKILL in the middle of bulk imports and single adds,
//! round after round. Each time the database must pass its integrity and foreign-key checks,
//! hold every change the server acknowledged, and hold each bulk change wholly or not at all.
//!
//! 3 rounds by default; the long run sets `ROSTER_CRASH_ROUNDS=20` (see SECURITY.md).
#![cfg(all(feature = "ssr", unix))]

mod common;

use std::{
    collections::HashMap,
    process::Child,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use common::process::{create_admin, form, free_port, http, wait_until_up, Answer};
use roster::{server::db::Db, with_db};

const PW: &str = "correct horse battery";
const PER_BULK: usize = 150;
/// People one round can import at most: 3 bulk workers and 1 single adder, for under 2 s.
const PER_ROUND: usize = 4 * 30 * PER_BULK;

fn start(url: &str, port: u16) -> Child {
    // Bulk imports as fast as the workers can send them: far past what one person may do a
    // minute (the bulk_per_minute setting), which this test is not about.
    common::process::roster(url)
        .arg("serve")
        .env("ROSTER_LISTEN", format!("127.0.0.1:{port}"))
        // ROSTER_CRASH_LOG=error shows the servers' errors, to find out why a run failed.
        .env("ROSTER_LOG", std::env::var("ROSTER_CRASH_LOG").unwrap_or("off".into()))
        .env("ROSTER_BULK_PER_MINUTE", "1000000")
        // Whoever imports adds the accounts they name, rather than inviting them.
        .env("ROSTER_PEOPLE_DIRECTORY", "everyone")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start roster")
}

/// Adds people `p{from}…p{to - 1}@example.com`, to be imported.
async fn add_people(db: &Db, from: usize, to: usize) {
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO users (email, display_name, name_key, password_hash) \
         SELECT 'p' || i || '@example.com', 'P ' || i, 'p ' || i, 'x' FROM n",
        to - 1
    );
    with_db!(db, |pool| sqlx::query(&sql).execute(pool).await.map(drop)).unwrap();
}

/// What the clients saw acknowledged.
#[derive(Clone, Default)]
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
    create_admin(&url, "admin@example.com", PW);
    let db = Db::connect(&url, 2).await.unwrap();

    let port = free_port();
    let mut server = start(&url, port);
    wait_until_up(port).await;
    let signed_in =
        http(port, "POST", "/api/sign_in", &form(&[("email", "admin@example.com"), ("password", PW)]), "")
            .await
            .unwrap();
    assert_eq!(signed_in.status, 200);
    let cookie = signed_in.cookie().unwrap();
    let profile = http(
        port,
        "POST",
        "/api/profiles/create",
        &form(&[("name", "Imports"), ("description", "")]),
        &cookie,
    )
    .await
    .unwrap()
    .body;

    let next = Arc::new(AtomicUsize::new(1));
    let mut people = 1;
    let acked = Arc::new(Mutex::new(Acked::default()));
    for round in 0..rounds {
        // Enough people to import for this round, beyond whoever is already in the database.
        let wanted = next.load(Ordering::SeqCst) + PER_ROUND;
        add_people(&db, people, wanted).await;
        people = wanted;
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
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            if i >= wanted {
                                return; // This round's people are used up.
                            }
                            let email = format!("p{i}@example.com");
                            let body =
                                form(&[("profile", &profile), ("email", &email), ("access", "member")]);
                            match http(port, "POST", "/api/members/add", &body, &cookie).await {
                                Some(Answer { status: 200, .. }) => acked.lock().unwrap().adds.push(email),
                                Some(Answer { status, body, .. }) => panic!("add answered {status}: {body}"),
                                None => return,
                            }
                            continue;
                        }
                        let start = next.fetch_add(PER_BULK, Ordering::SeqCst);
                        if start + PER_BULK > wanted {
                            return;
                        }
                        let emails: Vec<String> =
                            (start..start + PER_BULK).map(|i| format!("p{i}@example.com")).collect();
                        let body = form(&[
                            ("profile", &profile),
                            ("emails", &emails.join("\n")),
                            ("access", "member"),
                        ]);
                        let draft: i64 = match http(port, "POST", "/api/bulk/add", &body, &cookie).await {
                            Some(Answer { status: 200, body, .. }) => body.trim().parse().unwrap(),
                            Some(Answer { status, body, .. }) => panic!("bulk/add answered {status}: {body}"),
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
                            Some(Answer { status: 200, .. }) => acked.lock().unwrap().bulks.push(emails),
                            Some(Answer { status, body, .. }) => {
                                panic!("bulk/apply answered {status}: {body}")
                            }
                            None => return,
                        }
                    }
                })
            })
            .collect();
        // Let the work run until this round has had a bulk import acknowledged (however slow
        // the host is today), then a little more, and kill the server mid-stride.
        let bulks_before = acked.lock().unwrap().bulks.len();
        for waited in 0.. {
            if acked.lock().unwrap().bulks.len() > bulks_before {
                break;
            }
            assert!(waited < 1200, "no bulk import was acknowledged in a minute");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis((round as u64 * 277) % 600)).await;
        server.kill().expect("SIGKILL");
        server.wait().unwrap();
        for worker in workers {
            worker.await.unwrap();
        }
        let seen = acked.lock().unwrap().clone();
        check(&db, &url, &profile, &seen, round).await;
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    eprintln!(
        "{rounds} kills: {} single adds and {} bulk imports acknowledged, {} drafts made",
        acked.adds.len(),
        acked.bulks.len(),
        acked.drafts.len()
    );
    assert!(!acked.bulks.is_empty() && !acked.adds.is_empty(), "work was acknowledged before the kills");
    db.close().await;
}

async fn check(db: &Db, url: &str, profile: &str, acked: &Acked, round: usize) {
    if url.starts_with("sqlite:") {
        let integrity: String =
            with_db!(db, |pool| sqlx::query_scalar("PRAGMA integrity_check").fetch_one(pool).await).unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let broken: i64 =
            with_db!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_check")
                .fetch_one(pool)
                .await)
            .unwrap();
        assert_eq!(broken, 0, "round {round}");
    }
    let sql = format!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.profile_id = {profile}"
    );
    let members: std::collections::HashSet<String> =
        with_db!(db, |pool| sqlx::query_scalar(&sql).fetch_all(pool).await).unwrap().into_iter().collect();
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
        let applied: i64 = with_db!(db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        assert_eq!(
            applied == 1,
            present == emails.len(),
            "round {round}: draft {draft}'s report and rows disagree"
        );
    }
    // The stored counts and the history agree with the rows.
    let sql = format!("SELECT member_count FROM profiles WHERE id = {profile}");
    let count: i64 = with_db!(db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(count as usize, members.len(), "round {round}");
    let sql = format!("SELECT COUNT(*) FROM history WHERE profile_id = {profile} AND action = 'added'");
    let added: i64 = with_db!(db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(added as usize, members.len(), "round {round}: one history row per link");
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_then_exits_cleanly() {
    let (url, _dir) = common::fresh_database().await;
    let port = free_port();
    let mut server = start(&url, port);
    wait_until_up(port).await;
    let body = form(&[("email", "ada@example.com"), ("display_name", "Ada"), ("password", PW)]);
    let registered = http(port, "POST", "/api/register", &body, "").await.unwrap();
    assert_eq!(registered.status, 200);
    let cookie = registered.cookie().unwrap();
    let db = Db::connect(&url, 1).await.unwrap();
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
               INSERT INTO users (email, display_name, name_key, password_hash) \
               SELECT 'q' || i || '@example.com', 'Q ' || i, 'q ' || i, 'x' FROM n";
    with_db!(&db, |pool| sqlx::query(sql).execute(pool).await.map(drop)).unwrap();
    let profile =
        http(port, "POST", "/api/profiles/create", &form(&[("name", "Big"), ("description", "")]), &cookie)
            .await
            .unwrap()
            .body;
    let emails: Vec<String> = (1..=10_000).map(|i| format!("q{i}@example.com")).collect();
    let body = form(&[("profile", &profile), ("emails", &emails.join("\n")), ("access", "member")]);
    let draft = http(port, "POST", "/api/bulk/add", &body, &cookie).await.unwrap();
    assert_eq!(draft.status, 200);
    let draft = draft.body;

    // Apply 10,000 rows, and ask the server to stop while it works.
    let apply = tokio::spawn({
        let cookie = cookie.clone();
        async move { http(port, "POST", "/api/bulk/apply", &form(&[("id", draft.trim())]), &cookie).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let term = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let applied = apply.await.unwrap().expect("the request in flight got its answer");
    assert_eq!(applied.status, 200, "{}", applied.body);
    let exit = server.wait().unwrap();
    assert!(exit.success(), "a clean exit: {exit:?}");
    assert!(http(port, "GET", "/", "", "").await.is_none(), "no longer listening");
    let sql = format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {profile}");
    let members: i64 = with_db!(&db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
    assert_eq!(members, 10_001);
    db.close().await;
}
