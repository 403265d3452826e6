//! Load: 256 concurrent clients, mixed reads and writes, and not one error.
//!
//! 5 seconds against the test build by default. The long run is 60 seconds against the
//! release build (BENCHMARKS.md has its figures):
//!
//!     ROSTER_LOAD_SECONDS=60 ROSTER_BIN=target/release/roster \
//!         cargo test --features ssr --test load -- --nocapture
#![cfg(all(feature = "ssr", unix))]

mod common;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::process::{form, free_port, http, roster, serve, wait_until_up};
use roster::{server::db::Db, with_db};

const PW: &str = "correct horse battery";
const CLIENTS: usize = 256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_fifty_six_clients_mixing_reads_and_writes_see_no_errors() {
    let seconds: u64 = std::env::var("ROSTER_LOAD_SECONDS").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    let (url, _dir) = common::fresh_database().await;
    // A realistic dataset, and an admin to drive it.
    let migrated = roster(&url).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "roster migrate: {}", String::from_utf8_lossy(&migrated.stderr));
    let seeded = roster(&url)
        .args(["seed", "--users", "5000", "--profiles", "200", "--per-user", "5"])
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let port = free_port();
    let mut server = serve(&url, port, "warn");
    wait_until_up(port).await;
    let body = form(&[("email", "load@example.com"), ("display_name", "Load"), ("password", PW)]);
    let cookie = http(port, "POST", "/api/register", &body, "").await.unwrap().cookie().unwrap();
    let db = Db::connect(&url, 1).await.unwrap();
    // Writes toggle people who joined as members, so no profile ever loses its managers and
    // every write is legitimate: each must succeed.
    let members: Vec<(i64, i64)> = with_db!(&db, |pool| sqlx::query_as(
        "SELECT profile_id, user_id FROM memberships WHERE access = 'member' ORDER BY profile_id, user_id LIMIT 2000"
    ).fetch_all(pool).await)
    .unwrap();
    with_db!(&db, |pool| sqlx::query("INSERT INTO user_roles (user_id, role_id, name_key, email) SELECT u.id, r.id, u.name_key, u.email FROM users u, roles r WHERE u.email = 'load@example.com' AND r.name = 'admin'").execute(pool).await.map(drop)).unwrap();
    db.close().await;
    let members = Arc::new(members);

    let done = Instant::now() + Duration::from_secs(seconds);
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let clients = (0..CLIENTS).map(|c| {
        let (cookie, members, requests, errors, latencies) =
            (cookie.clone(), members.clone(), requests.clone(), errors.clone(), latencies.clone());
        tokio::spawn(async move {
            let mut n = c as u64 * 7919;
            while Instant::now() < done {
                n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let (profile, user) = members[(n >> 33) as usize % members.len()];
                let (method, path, body) = match (n >> 20) % 10 {
                    0..=3 => ("GET", format!("/profiles/{profile}"), String::new()),
                    4 => ("GET", "/users?q=ma".to_owned(), String::new()),
                    5 => ("GET", "/profiles".to_owned(), String::new()),
                    6 => ("POST", "/api/members/list".to_owned(), format!("profile={profile}&sort=since")),
                    7 => ("POST", "/api/users/suggest".to_owned(), format!("profile={profile}&q=an")),
                    _ => {
                        let access = if (n >> 40).is_multiple_of(2) { "manager" } else { "member" };
                        (
                            "POST",
                            "/api/members/change_access".to_owned(),
                            format!("profile={profile}&user={user}&access={access}"),
                        )
                    }
                };
                let started = Instant::now();
                let outcome = http(port, method, &path, &body, &cookie).await;
                latencies.lock().unwrap().push(started.elapsed().as_micros() as u32);
                requests.fetch_add(1, Ordering::Relaxed);
                match outcome {
                    Some(answer) if answer.status < 400 => {}
                    Some(answer) => errors.lock().unwrap().push(format!(
                        "{method} {path} {body}: {} {}",
                        answer.status,
                        &answer.body[..answer.body.len().min(300)]
                    )),
                    None => errors.lock().unwrap().push(format!("{method} {path}: connection failed")),
                }
            }
        })
    });
    futures::future::join_all(clients).await;
    server.kill().ok();
    let _ = server.wait();

    let requests = requests.load(Ordering::Relaxed);
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    eprintln!(
        "{CLIENTS} clients, {seconds} s: {requests} requests ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms, {} errors",
        requests as f64 / seconds as f64,
        at(0.5),
        at(0.99),
        errors.lock().unwrap().len()
    );
    let errors = errors.lock().unwrap();
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), &errors[..errors.len().min(5)]);
    assert!(requests > CLIENTS as u64, "every client got through");
}
