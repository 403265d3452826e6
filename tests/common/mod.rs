//! The integration-test harness: the real router on a fresh database for each test.
//!
//! SQLite by default. With `ROSTER_TEST_POSTGRES_URL` set (scripts/test.sh sets it to a
//! throwaway cluster), every test gets its own new PostgreSQL database instead.
#![allow(dead_code)]

pub mod mail;
#[cfg(unix)]
pub mod process;

use std::sync::atomic::{AtomicU32, Ordering};

use axum::{
    body::Body,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use roster::server::{
    config::Settings,
    db::{Db, Open},
    router, AppState,
};
use sqlx::{Connection, Executor};
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub db: Db,
    pub settings: Settings,
    /// Where this app's mail arrives, and the tag in its sender's address.
    pub inbox: mail::Inbox,
    pub mail_tag: String,
    _dir: tempfile::TempDir,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh, migrated database URL for one test, and the folder that holds it (SQLite).
pub async fn fresh_database() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    match std::env::var("ROSTER_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            let name = format!(
                "roster_test_{}_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                chrono::Utc::now().timestamp_micros()
            );
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to test cluster");
            admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
            (format!("{base}/{name}"), dir)
        }
        Err(_) => {
            let url = format!("sqlite://{}", dir.path().join("roster.db").display());
            (url, dir)
        }
    }
}

/// The tables that hold what people made: a call that may change nothing leaves them as
/// they were (tests/guards.rs, tests/fuzz.rs).
pub const DATA_TABLES: &[&str] = &[
    "users",
    "profiles",
    "memberships",
    "history",
    "roles",
    "user_roles",
    "bulk_changes",
    "invitations",
    "end_date_changes",
    "reviews",
    "review_decisions",
    "api_tokens",
];

pub fn backend() -> &'static str {
    if std::env::var("ROSTER_TEST_POSTGRES_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(|_| {}).await
    }

    pub async fn with_settings(adjust: impl FnOnce(&mut Settings)) -> Self {
        let (url, dir) = fresh_database().await;
        let mut settings = Settings { database_url: url, ..Settings::default() };
        settings.site_root = Some(dir.path().join("site"));
        let mail_tag = format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let inbox = mail::configure(&mut settings, dir.path(), &mail_tag);
        // Most tests register accounts to use them at once. The default, `required`, is
        // tests/confirmation.rs's (and every browser test's), through the mail.
        settings.email_confirmation = roster::server::config::Confirmation::Off;
        // Most tests add the people they register to profiles directly, as in an
        // organisation whose directory is open to all. The default, `shared`, in which adding
        // an account one may not see invites it, is tests/privacy.rs's and
        // tests/invitations.rs's (and every browser test's).
        settings.people_directory = roster::server::config::Directory::Everyone;
        adjust(&mut settings);
        let connections = settings.database_max_connections.unwrap_or(5);
        let db = Db::open(&settings.database_url, connections, Open::from_settings(&settings, true))
            .await
            .expect("connect");
        db.migrate().await.expect("migrate");
        let router = router(AppState::new(settings.clone(), db.clone()));
        TestApp { router, db, settings, inbox, mail_tag, _dir: dir }
    }

    /// [`Self::mail_to`] until at least `n` messages have reached `to`: for mail a request
    /// queues after answering. Gives up after a minute (a bound on a broken test, not a
    /// measure of speed).
    pub async fn mail_arriving(&self, to: &str, n: usize) -> Vec<mail::Received> {
        for _ in 0..600 {
            let received = self.mail_to(to).await;
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{n} message(s) to {to} never arrived");
    }

    /// Delivers the mail that is due, as the server's sender does, and returns every message
    /// this app has sent to `to`, oldest first.
    pub async fn mail_to(&self, to: &str) -> Vec<mail::Received> {
        let mailer = roster::server::mail::Mailer::from_settings(&self.settings);
        roster::server::mail::deliver_due(&self.db, &mailer).await.expect("deliver the mail that is due");
        self.inbox.messages(&format!("roster-{}@", self.mail_tag), to)
    }

    /// Accepts, as the invitee signed in with `cookie`, the `nth` invitation mailed to
    /// `email`, and checks that it worked.
    pub async fn accept_invitation(&self, email: &str, cookie: &str, nth: usize) {
        let mail = self.mail_arriving(email, nth).await;
        let invitations: Vec<_> = mail.iter().filter(|m| m.text.contains("/invitation?token=")).collect();
        let link = invitations.get(nth - 1).expect("the invitation's mail").link("/invitation?token=");
        let token = link.split_once("token=").map(|(_, t)| t.to_owned()).expect("a token");
        let res = self.call("/api/invitations/accept", &[("token", &token)], Some(cookie)).await;
        assert!(res.status.is_success(), "accept the invitation to {email}: {} {}", res.status, res.body);
    }

    /// The same database behind a brand-new router: what a restart or a second process sees.
    pub fn restarted(&self) -> Router {
        router(AppState::new(self.settings.clone(), self.db.clone()))
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await
    }

    /// Calls a server function as the hydrated app does (fetch, expecting data back).
    pub async fn call(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> TestResponse {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// [`Self::call`], from the client address `address` (as `roster serve` records it).
    pub async fn call_from(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        address: &str,
    ) -> TestResponse {
        self.send(request_from(path, form, cookie, address)).await
    }

    /// Submits a form as a browser without JavaScript does, from the page `referer`.
    pub async fn submit(
        &self,
        path: &str,
        form: &[(&str, &str)],
        referer: &str,
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
            .header(header::REFERER, format!("http://localhost{referer}"));
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        get(&self.router, path, cookie).await
    }

    /// Registers an account through the server function and returns its session cookie.
    pub async fn register(&self, email: &str, name: &str, password: &str) -> String {
        let res = self
            .call("/api/register", &[("email", email), ("display_name", name), ("password", password)], None)
            .await;
        assert!(res.status.is_success(), "register {email}: {} {}", res.status, res.body);
        res.session_cookie().expect("register sets a session cookie")
    }

    /// An administrator, made as `roster user create --admin` makes one (a registration never
    /// is one), signed in: returns the session cookie.
    pub async fn admin(&self, email: &str, name: &str, password: &str) -> String {
        use roster::domain::{DisplayName, Email, Password};
        let hash = roster::auth::ssr::hash_password(Password::parse(password).unwrap()).await.unwrap();
        let (email_ok, name_ok) = (Email::parse(email).unwrap(), DisplayName::parse(name).unwrap());
        let grant = roster::users::ssr::AdminGrant::Always;
        roster::users::ssr::create(&self.db, &email_ok, &name_ok, &hash, grant).await.expect("create admin");
        self.sign_in(email, password).await
    }

    /// Signs in through the server function and returns the session cookie.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let res = self.call("/api/sign_in", &[("email", email), ("password", password)], None).await;
        assert!(res.status.is_success(), "sign in {email}: {} {}", res.status, res.body);
        res.session_cookie().expect("sign-in sets a session cookie")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        roster::with_db!(&self.db, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).expect(sql)
    }

    /// See [`assert_history_tallies_add_up`].
    pub async fn assert_history_tallies_add_up(&self) {
        assert_history_tallies_add_up(&self.db).await;
    }

    pub async fn exec(&self, sql: &str) {
        self.db.execute(sql).await.expect(sql);
    }

    /// Accounts made straight in the database (hashing real passwords would take seconds):
    /// `names` become `name@example.com` with no usable password. Returns their ids.
    pub async fn people(&self, names: &[String]) -> Vec<i64> {
        let mut ids = Vec::new();
        for name in names {
            let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
            let sql = format!(
                "INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('{email}', '{name}', '{}', 'x') RETURNING id",
                name.to_lowercase()
            );
            ids.push(self.count(&sql).await);
        }
        self.write_search_words().await;
        ids
    }

    /// Writes the search words ([`words`](roster::server::lists::words)) of the people made
    /// by SQL here, as the app writes them for the people it makes.
    pub async fn write_search_words(&self) {
        use roster::server::lists::words::SearchWords;
        roster::with_db!(&self.db, |pool| {
            let people: Vec<(roster::domain::UserId, String, String)> = sqlx::query_as(
                "SELECT id, name_key, email FROM users u \
                 WHERE NOT EXISTS (SELECT 1 FROM search_words w WHERE w.user_id = u.id)",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            let people: Vec<_> =
                people.iter().map(|(id, key, email)| (*id, key.as_str(), email.as_str())).collect();
            let mut conn = pool.acquire().await.unwrap();
            conn.write_words(&people).await.unwrap();
        })
    }

    /// `n` accounts made in one statement, as [`Self::people`] makes them: `{email}1@example.com`
    /// named "`{name} 1`", and so on to `n`.
    pub async fn accounts(&self, email: &str, name: &str, n: usize) {
        let key = name.to_lowercase();
        self.exec(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO users (email, display_name, name_key, password_hash) \
             SELECT '{email}' || i || '@example.com', '{name} ' || i, '{key} ' || i, 'x' FROM n"
        ))
        .await;
        self.write_search_words().await;
    }

    /// Calls a server function and decodes its JSON answer, failing the test on an error.
    pub async fn json(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> serde_json::Value {
        let res = self.call(path, form, cookie).await;
        assert!(res.status.is_success(), "{path} {form:?}: {} {}", res.status, res.body);
        serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", res.body))
    }

    /// Every page of a list server function, following its cursors: the ids (under `id_key`)
    /// in order, and the total each page reported.
    pub async fn walk(
        &self,
        path: &str,
        form: &[(&str, &str)],
        id_key: &str,
        cookie: &str,
    ) -> (Vec<i64>, Vec<i64>) {
        let mut ids = Vec::new();
        let mut totals = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut args: Vec<(&str, &str)> = form.to_vec();
            if let Some(cursor) = &after {
                args.push(("after", cursor));
            }
            let page = self.json(path, &args, Some(cookie)).await;
            ids.extend(page["items"].as_array().unwrap().iter().map(|r| r[id_key].as_i64().unwrap()));
            totals.push(page["total"].as_i64().unwrap());
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => return (ids, totals),
            }
        }
    }
}

/// A server-function call as the hydrated app makes it, from the client address `address`.
pub fn request_from(path: &str, form: &[(&str, &str)], cookie: Option<&str>, address: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    let mut req = req.body(Body::from(serde_urlencoded::to_string(form).unwrap())).unwrap();
    let address: std::net::IpAddr = address.parse().expect("an IP address");
    req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((address, 40000))));
    req
}

pub async fn get(router: &Router, path: &str, cookie: Option<&str>) -> TestResponse {
    let mut req = Request::builder().uri(path).header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    send(router, req.body(Body::empty()).unwrap()).await
}

pub async fn send(router: &Router, request: Request<Body>) -> TestResponse {
    let response = router.clone().oneshot(request).await.expect("router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// `roster_session=TOKEN` from a Set-Cookie that sets (not clears) the session.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie()
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .filter(|pair| pair != "roster_session=")
    }

    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("roster_session="))
            .map(str::to_owned)
    }

    /// `NAME=VALUE` from the Set-Cookie for `name` (empty when it clears it).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next().map(str::to_owned))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The body decoded as a server function's JSON error.
    pub fn error(&self) -> roster::error::AppError {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not an AppError ({e}): {}", self.body))
    }
}

/// Every history total the schema keeps (history_tallies) equals a count of the entries, and
/// there is one for each profile and person with entries.
pub async fn assert_history_tallies_add_up(db: &roster::server::db::Db) {
    let counted = "SELECT 'profile' AS subject, profile_id AS subject_id, action, COUNT(*) AS entries \
        FROM history WHERE profile_id IS NOT NULL GROUP BY profile_id, action \
        UNION ALL SELECT 'user', user_id, action, COUNT(*) FROM history GROUP BY user_id, action";
    let wrong = format!(
        "SELECT COUNT(*) FROM ({counted}) AS c FULL OUTER JOIN history_tallies t \
         ON t.subject = c.subject AND t.subject_id = c.subject_id AND t.action = c.action \
         WHERE c.entries IS DISTINCT FROM t.entries"
    );
    let count = |sql: String| async move {
        roster::with_db!(db, |pool| sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await).expect(&sql)
    };
    let wrong = count(wrong).await;
    assert_eq!(wrong, 0, "history_tallies differs from the history in {wrong} places");
    assert!(count("SELECT COUNT(*) FROM history_tallies".to_owned()).await > 0);
}
