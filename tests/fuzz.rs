//! Malformed input: generated requests hit every server function and every page with wrong
//! types, missing and repeated fields, huge strings, invalid UTF-8, odd encodings, methods and
//! content types. None may answer 5xx (a panic would: it answers 500), and the data must be
//! unchanged. On SQLite and PostgreSQL.
//!
//! 3,000 requests by default; the long run sets `ROSTER_FUZZ_REQUESTS` (SECURITY.md runs
//! 100,000, in release).
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Method, Request},
};
use common::TestApp;

const PW: &str = "correct horse battery";

/// A small, seedable generator (xorshift), so a failure can be replayed with its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const FIELDS: &[&str] = &[
    "profile",
    "user",
    "email",
    "access",
    "id",
    "name",
    "description",
    "q",
    "sort",
    "after",
    "entry",
    "on",
    "users[]",
    "users",
    "change",
    "emails",
    "role",
    "confirm",
    "current",
    "new_password",
    "password",
    "display_name",
    "action",
    "find",
    "removed",
    "",
    "a[b][c]",
    "profile[]",
    "%",
];

/// A value meant to be wrong somewhere: as bytes, since some aren't UTF-8 at all.
fn value(rng: &mut Rng) -> Vec<u8> {
    let fixed: &[&[u8]] = &[
        b"",
        b"0",
        b"-1",
        b"1",
        b"2",
        b"99999999999999999999999",
        b"1.5",
        b"1e9",
        b"abc",
        b"true",
        b"null",
        b"[]",
        b"{}",
        b"manager",
        b"member",
        b"owner",
        b"remove",
        b"since",
        b"name",
        b"added",
        b"2026-13-45",
        b"2026-02-30",
        b"9999-12-31",
        b"%FF%FE",
        b"%",
        b"%%",
        b"%zz",
        b"%00",
        b"\xff\xfe\xfd",
        b"\xc3\x28",
        b"\xed\xa0\x80",
        b"not-an-email",
        b"@",
        b"a@",
        b"WyJ4IiwxXQ",
        b"!!!!",
        b"eyJ",
        b"\0",
        b"\xe2\x80\xae",
        b"\xf0\x9f\x92\xa9",
        b"' OR 1=1 --",
        b"<script>alert(1)</script>",
        b"../../etc/passwd",
        b"+",
        b"&&&",
        b"=",
        b"\r\n",
        b" ",
        b"yes",
        b"no",
    ];
    match rng.below(10) {
        0 => {
            // Huge: past every field's limit, up to 1 MB.
            let len = *rng.pick(&[101, 257, 4_097, 70_000, 1_000_000]);
            let units: [&[u8]; 4] = [b"x", "é".as_bytes(), "💩".as_bytes(), b"%FF"];
            let unit = *rng.pick(&units);
            unit.iter().copied().cycle().take(len).collect()
        }
        1 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
        2 => rng.next().to_string().into_bytes(),
        _ => rng.pick(fixed).to_vec(),
    }
}

/// A form body: some fields, repeated or missing, with wrong values.
fn form(rng: &mut Rng) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..rng.below(7) {
        if i > 0 {
            body.push(b'&');
        }
        body.extend_from_slice(rng.pick(FIELDS).as_bytes());
        if !rng.chance(5) {
            body.push(b'=');
            body.extend(value(rng));
        }
    }
    body
}

fn body(rng: &mut Rng) -> (Option<&'static str>, Vec<u8>) {
    let form_type = Some("application/x-www-form-urlencoded");
    match rng.below(12) {
        0 => (Some("application/json"), br#"{"profile": "1", "user": [1, 2], "q": {"a": null}}"#.to_vec()),
        1 => (
            Some("multipart/form-data"),
            b"--x\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nhi\r\n--x--".to_vec(),
        ),
        2 => (Some("text/plain"), form(rng)),
        3 => (None, form(rng)),
        4 => (Some("application/x-www-form-urlencoded; charset=utf-16"), form(rng)),
        5 => (form_type, (0..rng.below(3000)).map(|_| rng.next() as u8).collect()),
        _ => (form_type, form(rng)),
    }
}

const PAGES: &[&str] = &[
    "/",
    "/profiles",
    "/profiles/1",
    "/profiles/1/history",
    "/profiles/1/access",
    "/profiles/1/settings",
    "/profiles/1/copy",
    "/profiles/1/members.csv",
    "/profiles/1/history.csv",
    "/profiles/x/members.csv",
    "/profiles/1/why/2",
    "/profiles/1/bulk/1",
    "/profiles/1/review",
    "/profiles/1/invitations",
    "/profiles/1/invitations?invitations_after=x",
    "/profiles/x",
    "/profiles/99999999999999999999",
    "/users",
    "/users/1",
    "/users/-1",
    "/roles",
    "/roles/1",
    "/account",
    "/account/tokens",
    "/api/v1",
    "/api/v1/docs",
    "/api/v1/openapi.json",
    "/api/v1/me",
    "/api/v1/users/1",
    "/api/v1/users/x/profiles",
    "/api/v1/profiles/1/members?limit=0",
    "/api/v1/profiles/1/members?limit=x&cursor=%ff",
    "/api/v1/nowhere",
    "/signin",
    "/register",
    "/setup",
    "/setup?token=x",
    "/invitation",
    "/invitation?token=x",
    "/nowhere",
    "/pkg/../Cargo.toml",
];

/// Server functions that only read: called with the admin's cookie, so parsing past the
/// sign-in check is exercised too. Writers are called without a valid session, or as a
/// signed-in outsider who may change nothing the data holds (see [`OUTSIDER_MAY`]), so no
/// generated request, however well formed, may change the data.
const READERS: &[&str] = &[
    "/api/me",
    "/api/members/list",
    "/api/history/profile",
    "/api/history/user",
    "/api/history/get",
    "/api/history/access_on",
    "/api/history/why",
    "/api/history/end_changes",
    "/api/reviews/get",
    "/api/history/role",
    "/api/history/role_changes",
    "/api/history/profile_changes",
    "/api/users/get",
    "/api/users/list",
    "/api/users/suggest",
    "/api/profiles/get",
    "/api/profiles/of_user",
    "/api/profiles/all",
    "/api/bulk/get",
    "/api/invitations/list",
    "/api/invitations/get",
    "/api/roles/list",
    "/api/roles/get",
    "/api/roles/holders",
    "/api/tokens/list",
    "/api/tokens/new",
    "/api/reference",
    "/api/profiles/providers",
];

/// Writers a signed-in outsider may use successfully, so they never get the outsider's
/// cookie: creating a profile, ending or re-keying the outsider's own sessions, and changing
/// or deleting the outsider's own account.
const OUTSIDER_MAY: &[&str] = &[
    "/api/profiles/create",
    "/api/sign_out",
    "/api/sign_out_everywhere",
    "/api/change_password",
    "/api/sessions/end",
    "/api/account/name",
    "/api/account/email",
    "/api/account/delete",
    "/api/tokens/create",
    "/api/tokens/revoke",
];

/// The data: every table's rows, as text, but the sign-in bookkeeping.
async fn data(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for table in common::DATA_TABLES {
        all.push(format!("{table}: {}", app.count(&format!("SELECT COUNT(*) FROM {table}")).await));
    }
    for sql in [
        "SELECT COALESCE(string_agg(name || description, ',' ORDER BY id), '') FROM profiles",
        "SELECT COALESCE(string_agg(email || display_name || password_hash, ',' ORDER BY id), '') FROM users",
        "SELECT COALESCE(string_agg(profile_id || ':' || user_id || access, ',' ORDER BY profile_id, user_id), '') FROM memberships",
    ] {
        let sql = if common::backend() == "sqlite" {
            sql.replace("string_agg(", "group_concat(").replace(" ORDER BY id)", ")").replace(" ORDER BY profile_id, user_id)", ")")
        } else {
            sql.to_owned()
        };
        let text: String = roster::with_db!(&app.db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        all.push(text);
    }
    all
}

#[tokio::test]
async fn generated_malformed_requests_never_get_a_5xx_and_change_nothing() {
    let requests: usize =
        std::env::var("ROSTER_FUZZ_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(3_000);
    let seed: u64 =
        std::env::var("ROSTER_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x5eed_f00d);
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let profile = app
        .call("/api/profiles/create", &[("name", "Target"), ("description", "x")], Some(&admin))
        .await
        .body;
    app.register("mem@example.com", "Mem", PW).await;
    let outsider = app.register("outsider@example.com", "Outsider", PW).await;
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "mem@example.com"), ("access", "member")],
        Some(&admin),
    )
    .await;
    app.json(
        "/api/bulk/add",
        &[("profile", &profile), ("emails", "mem@example.com"), ("access", "member")],
        Some(&admin),
    )
    .await;
    let before = data(&app).await;

    let functions: Vec<&'static str> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    assert!(functions.len() > 30);
    let mut rng = Rng(seed);
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for n in 0..requests {
        let is_page = rng.chance(20);
        let path = if is_page { *rng.pick(PAGES) } else { *rng.pick(&functions) };
        let mut uri = path.to_owned();
        if rng.chance(30) {
            uri.push('?');
            uri.push_str(
                &String::from_utf8_lossy(&form(&mut rng)).replace([' ', '\0', '\r', '\n', '#'], "%20"),
            );
        }
        let method = if is_page {
            rng.pick(&[Method::GET, Method::GET, Method::POST, Method::HEAD]).clone()
        } else if rng.chance(85) {
            Method::POST
        } else {
            rng.pick(&[Method::GET, Method::PUT, Method::DELETE, Method::PATCH]).clone()
        };
        let (content_type, bytes) = body(&mut rng);
        let mut req = Request::builder().method(method.clone()).uri(uri.as_str());
        if let Some(content_type) = content_type {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        req = req.header(header::ACCEPT, *rng.pick(&["application/json", "text/html", "*/*", "image/png"]));
        if is_page || READERS.contains(&path) {
            req = req.header(header::COOKIE, admin.as_str());
        } else if !OUTSIDER_MAY.contains(&path) && rng.chance(40) {
            req = req.header(header::COOKIE, outsider.as_str());
        } else if rng.chance(50) {
            req = req.header(
                header::COOKIE,
                *rng.pick(&["roster_session=forged", "roster_session=", "x=y; roster_session=%FF"]),
            );
        }
        if rng.chance(10) {
            req = req.header(header::REFERER, "http://localhost/profiles/1");
        }
        let Ok(request) = req.body(Body::from(bytes.clone())) else { continue };
        let res = app.send(request).await;
        *by_status.entry(res.status.as_u16()).or_default() += 1;
        assert!(
            res.status.as_u16() < 500,
            "request {n} (seed {seed}): {method} {uri} {content_type:?} {:?} -> {} {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)]),
            res.status,
            &res.body[..res.body.len().min(500)]
        );
    }
    eprintln!("{requests} requests by status: {by_status:?}");
    assert_eq!(data(&app).await, before, "the data is unchanged");
    // And the app still works.
    let page = app.json("/api/members/list", &[("profile", &profile)], Some(&admin)).await;
    assert_eq!(page["total"], 2);
}

/// What the fuzzing above found on PostgreSQL: a NUL, which PostgreSQL can't store or even
/// compare, in a search reached the database and answered 500. Every text a client sends is
/// tried with one here, with everything else valid, so the request gets as far as it can.
#[tokio::test]
async fn a_nul_in_any_text_is_a_client_mistake_never_a_server_error() {
    use base64::Engine;
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let profile =
        app.call("/api/profiles/create", &[("name", "Target"), ("description", "")], Some(&admin)).await.body;
    let role = app.json("/api/roles/list", &[], Some(&admin)).await[0]["id"].to_string();
    let user = app.json("/api/me", &[], Some(&admin)).await["id"].to_string();
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"["a\u0000",1]"#);
    let before = data(&app).await;
    let p = || ("profile", profile.as_str());
    // (path, form, the status expected)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);
    let cases: Vec<Case> = vec![
        ("/api/members/list", vec![p(), ("q", "a\0")], 422),
        ("/api/members/list", vec![p(), ("after", &cursor)], 400),
        ("/api/users/list", vec![("q", "\0")], 422),
        ("/api/users/list", vec![("after", &cursor)], 400),
        ("/api/users/suggest", vec![p(), ("q", "a\0b")], 422),
        ("/api/profiles/of_user", vec![("user", &user), ("q", "t\0")], 422),
        ("/api/profiles/of_user", vec![("user", &user), ("after", &cursor)], 400),
        ("/api/roles/holders", vec![("role", &role), ("q", "a\0")], 422),
        ("/api/roles/holders", vec![("role", &role), ("after", &cursor)], 400),
        ("/api/history/profile", vec![p(), ("q", "a\0")], 422),
        ("/api/history/access_on", vec![p(), ("on", "2026-01-01\0")], 422),
        ("/api/members/add", vec![p(), ("email", "x\0@example.com"), ("access", "member")], 422),
        ("/api/profiles/create", vec![("name", "N\0"), ("description", "")], 422),
        ("/api/profiles/update", vec![("id", &profile), ("name", "Target"), ("description", "\0")], 422),
        ("/api/roles/create", vec![("name", "r\0"), ("description", "")], 422),
        ("/api/register", vec![("email", "n\0@example.com"), ("display_name", "N"), ("password", PW)], 422),
        ("/api/register", vec![("email", "n@example.com"), ("display_name", "N\0"), ("password", PW)], 422),
        ("/api/sign_in", vec![("email", "admin\0@example.com"), ("password", "wrong\0")], 401),
    ];
    for (path, form, expected) in &cases {
        let res = app.call(path, form, Some(&admin)).await;
        assert_eq!(res.status.as_u16(), *expected, "{path} {form:?}: {}", res.body);
    }
    // Pasted emails: a NUL separates like a comma, and the draft is saved.
    let draft = app
        .call(
            "/api/bulk/add",
            &[p(), ("emails", "a@example.com\0b@example.com"), ("access", "member")],
            Some(&admin),
        )
        .await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    let preview = app.json("/api/bulk/get", &[("id", draft.body.trim())], Some(&admin)).await;
    let labels: Vec<&str> =
        preview["rows"].as_array().unwrap().iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["a@example.com", "b@example.com"], "{preview}");
    app.exec("DELETE FROM bulk_changes").await;
    assert_eq!(data(&app).await, before, "nothing changed");
}
