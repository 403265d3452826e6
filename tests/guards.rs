//! Deny by default, checked for every server function the app registers: each refuses an
//! anonymous caller unless it is on the public list, and each refuses a signed-in outsider
//! on someone else's profile, role or account. A new server function missing from `CALLS`
//! fails `every_server_function_is_listed_here`, so it can't ship without its guard tested.
#![cfg(feature = "ssr")]

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::TestApp;

const PW: &str = "correct horse battery";

/// Who may call a function.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Open {
    /// Anyone: this is how one signs in, or it only reports who is signed in.
    Public,
    /// Any signed-in user, on their own account or for something new of their own.
    Own,
    /// Only people with standing on the thing named (a manager, a member, an admin).
    Guarded,
}

/// The things the calls name, made by `world`.
struct World {
    app: TestApp,
    owner: String,
    outsider: String,
    owner_id: String,
    profile: String,
    removal: String,
    bulk: String,
    role: String,
    invitation: String,
    token: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let owner = app.register("owner@example.com", "Owner", PW).await;
    let outsider = app.register("outsider@example.com", "Outsider", PW).await;
    app.register("mem@example.com", "Mem", PW).await;
    let owner_id = app.json("/api/me", &[], Some(&owner)).await["id"].to_string();
    let profile = app
        .call("/api/profiles/create", &[("name", "Private"), ("description", "")], Some(&owner))
        .await
        .body;
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "mem@example.com"), ("access", "member")],
        Some(&owner),
    )
    .await;
    let mem_id = app.count("SELECT id FROM users WHERE email = 'mem@example.com'").await.to_string();
    let removal = app
        .json("/api/members/remove", &[("profile", &profile), ("user", &mem_id)], Some(&owner))
        .await
        .to_string();
    let bulk = app
        .json(
            "/api/bulk/add",
            &[("profile", &profile), ("emails", "mem@example.com"), ("access", "member")],
            Some(&owner),
        )
        .await
        .to_string();
    let role = app
        .json("/api/roles/create", &[("name", "mentor"), ("description", "")], Some(&admin))
        .await
        .to_string();
    // No account uses the address: an invitation, whoever's directory.
    app.json(
        "/api/members/add",
        &[("profile", &profile), ("email", "stranger@example.com"), ("access", "member")],
        Some(&owner),
    )
    .await;
    let invitation = app.count("SELECT id FROM invitations").await.to_string();
    let made = app
        .call(
            "/api/tokens/create",
            &[("kind", "personal"), ("name", "script"), ("scopes[]", "read"), ("expires", "30")],
            Some(&owner),
        )
        .await;
    assert!(made.status.is_success(), "a token: {}", made.body);
    let token = app.count("SELECT id FROM api_tokens").await.to_string();
    World { app, owner, outsider, owner_id, profile, removal, bulk, role, invitation, token }
}

/// A server function's path, who may call it, and its form.
type Call = (&'static str, Open, Vec<(&'static str, String)>);

/// Every server function, with arguments that would succeed for the right caller.
fn calls(w: &World) -> Vec<Call> {
    let p = || ("profile", w.profile.clone());
    let s = |v: &str| v.to_owned();
    vec![
        ("/api/me", Open::Public, vec![]),
        (
            "/api/register",
            Open::Public,
            vec![("email", s("new@example.com")), ("display_name", s("New")), ("password", s(PW))],
        ),
        (
            "/api/setup_admin",
            Open::Public,
            vec![
                ("token", s("not-a-token")),
                ("email", s("root@example.com")),
                ("display_name", s("Root")),
                ("password", s(PW)),
            ],
        ),
        ("/api/sign_in", Open::Public, vec![("email", s("owner@example.com")), ("password", s(PW))]),
        ("/api/sign_out", Open::Public, vec![]),
        ("/api/request_password_reset", Open::Public, vec![("email", s("owner@example.com"))]),
        ("/api/reset_password", Open::Public, vec![("token", s("not-a-token")), ("password", s(PW))]),
        ("/api/registration_rules", Open::Public, vec![]),
        ("/api/confirm_email", Open::Public, vec![("token", s("not-a-token"))]),
        ("/api/resend_confirmation", Open::Public, vec![("email", s("owner@example.com"))]),
        ("/api/sign_out_everywhere", Open::Own, vec![]),
        ("/api/sessions/list", Open::Own, vec![]),
        (
            "/api/sessions/end",
            Open::Guarded,
            vec![("session", roster::access::session::digest(w.owner.trim_start_matches("roster_session=")))],
        ),
        (
            "/api/change_password",
            Open::Own,
            vec![("current", s(PW)), ("new_password", s("another good secret"))],
        ),
        ("/api/profiles/create", Open::Own, vec![("name", s("Mine")), ("description", s(""))]),
        ("/api/profiles/getting_started", Open::Guarded, vec![]),
        ("/api/profiles/of_user", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/profiles/get", Open::Guarded, vec![("id", w.profile.clone())]),
        (
            "/api/profiles/update",
            Open::Guarded,
            vec![("id", w.profile.clone()), ("name", s("Taken")), ("description", s(""))],
        ),
        ("/api/profiles/delete", Open::Guarded, vec![("id", w.profile.clone()), ("confirm", s("yes"))]),
        ("/api/members/list", Open::Guarded, vec![p()]),
        (
            "/api/members/add",
            Open::Guarded,
            vec![p(), ("email", s("outsider@example.com")), ("access", s("manager"))],
        ),
        (
            "/api/members/change_access",
            Open::Guarded,
            vec![p(), ("user", w.owner_id.clone()), ("access", s("member"))],
        ),
        ("/api/members/remove", Open::Guarded, vec![p(), ("user", w.owner_id.clone())]),
        ("/api/members/leave", Open::Guarded, vec![p()]),
        ("/api/history/profile", Open::Guarded, vec![p()]),
        ("/api/history/user", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/history/get", Open::Guarded, vec![("entry", w.removal.clone())]),
        ("/api/history/access_on", Open::Guarded, vec![p(), ("on", s("2026-01-01"))]),
        ("/api/history/undo", Open::Guarded, vec![("entry", w.removal.clone())]),
        ("/api/history/role", Open::Guarded, vec![("role", w.role.clone())]),
        ("/api/history/role_changes", Open::Guarded, vec![("role", w.role.clone())]),
        ("/api/history/profile_changes", Open::Guarded, vec![p()]),
        ("/api/history/why", Open::Guarded, vec![p(), ("user", w.owner_id.clone())]),
        ("/api/history/end_changes", Open::Guarded, vec![p()]),
        ("/api/reviews/get", Open::Guarded, vec![p()]),
        ("/api/reviews/start", Open::Guarded, vec![p()]),
        (
            "/api/reviews/decide",
            Open::Guarded,
            vec![p(), ("user", w.owner_id.clone()), ("decision", s("keep"))],
        ),
        ("/api/reviews/complete", Open::Guarded, vec![p(), ("keep_rest", s("yes"))]),
        ("/api/reviews/schedule", Open::Guarded, vec![p(), ("every_days", s("30"))]),
        (
            "/api/members/set_end",
            Open::Guarded,
            vec![p(), ("user", w.owner_id.clone()), ("ends_on", s("2030-06-30"))],
        ),
        (
            "/api/bulk/add",
            Open::Guarded,
            vec![p(), ("emails", s("outsider@example.com")), ("access", s("manager"))],
        ),
        ("/api/bulk/copy", Open::Guarded, vec![p(), ("from", w.profile.clone()), ("access", s("member"))]),
        (
            "/api/bulk/change",
            Open::Guarded,
            vec![p(), ("users[]", w.owner_id.clone()), ("change", s("remove"))],
        ),
        ("/api/bulk/get", Open::Guarded, vec![("id", w.bulk.clone())]),
        ("/api/bulk/apply", Open::Guarded, vec![("id", w.bulk.clone())]),
        ("/api/bulk/undo", Open::Guarded, vec![("id", w.bulk.clone())]),
        ("/api/invitations/list", Open::Guarded, vec![p(), ("all", s("yes"))]),
        ("/api/invitations/resend", Open::Guarded, vec![p(), ("invitation", w.invitation.clone())]),
        ("/api/invitations/revoke", Open::Guarded, vec![p(), ("invitation", w.invitation.clone())]),
        ("/api/invitations/get", Open::Public, vec![("token", s("not-a-token"))]),
        ("/api/invitations/accept", Open::Own, vec![("token", s("not-a-token"))]),
        (
            "/api/invitations/join",
            Open::Public,
            vec![("token", s("not-a-token")), ("display_name", s("New")), ("password", s(PW))],
        ),
        ("/api/users/get", Open::Guarded, vec![("id", w.owner_id.clone())]),
        ("/api/users/list", Open::Guarded, vec![]),
        ("/api/profiles/all", Open::Guarded, vec![]),
        ("/api/users/suggest", Open::Guarded, vec![p(), ("q", s("mem"))]),
        ("/api/users/send_reset_link", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/mail/status", Open::Guarded, vec![]),
        ("/api/users/deactivate", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/users/reactivate", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/users/delete", Open::Guarded, vec![("id", w.owner_id.clone()), ("confirm", s("yes"))]),
        ("/api/account/confirm-password", Open::Own, vec![("password", s(PW)), ("next", s("/"))]),
        ("/api/account/delete", Open::Own, vec![("password", s(PW)), ("confirm", s("yes"))]),
        ("/api/account/name", Open::Own, vec![("display_name", s("Renamed"))]),
        ("/api/account/email", Open::Own, vec![("new_email", s("moved@example.com")), ("password", s(PW))]),
        ("/api/users/security_log", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/users/sign_ins", Open::Guarded, vec![("user", w.owner_id.clone())]),
        ("/api/roles/list", Open::Guarded, vec![]),
        ("/api/roles/get", Open::Guarded, vec![("id", w.role.clone())]),
        ("/api/roles/holders", Open::Guarded, vec![("role", w.role.clone())]),
        ("/api/roles/create", Open::Guarded, vec![("name", s("boss")), ("description", s(""))]),
        (
            "/api/roles/update",
            Open::Guarded,
            vec![("id", w.role.clone()), ("name", s("tutor")), ("description", s(""))],
        ),
        ("/api/roles/delete", Open::Guarded, vec![("id", w.role.clone()), ("confirm", s("yes"))]),
        (
            "/api/roles/assign",
            Open::Guarded,
            vec![("role", w.role.clone()), ("email", s("outsider@example.com"))],
        ),
        ("/api/roles/unassign", Open::Guarded, vec![("role", w.role.clone()), ("user", w.owner_id.clone())]),
        ("/api/tokens/list", Open::Own, vec![]),
        (
            "/api/tokens/create",
            Open::Own,
            vec![("kind", s("personal")), ("name", s("sync")), ("scopes[]", s("read")), ("expires", s("90"))],
        ),
        ("/api/tokens/revoke", Open::Guarded, vec![("id", w.token.clone())]),
        ("/api/tokens/new", Open::Own, vec![]),
        ("/api/profiles/providers", Open::Guarded, vec![]),
        ("/api/profiles/link_provider", Open::Guarded, vec![p(), ("token", w.token.clone())]),
        ("/api/profiles/release_provider", Open::Guarded, vec![p()]),
        ("/api/reference", Open::Public, vec![]),
    ]
}

/// Row counts of everything a call could change.
async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in common::DATA_TABLES {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    counts.push(app.count("SELECT COUNT(*) FROM profiles WHERE name = 'Private'").await);
    counts.push(app.count("SELECT COUNT(*) FROM roles WHERE name = 'mentor'").await);
    counts.push(app.count("SELECT COUNT(*) FROM bulk_changes WHERE applied_at IS NULL").await);
    counts.push(app.count("SELECT COUNT(*) FROM invitations WHERE outcome IS NULL").await);
    counts
}

#[tokio::test]
async fn every_server_function_is_listed_here_and_answers_post_only() {
    let w = world().await;
    let registered: BTreeSet<(String, Method)> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (path.to_owned(), method)).collect();
    let listed: BTreeSet<(String, Method)> =
        calls(&w).iter().map(|(path, ..)| (path.to_string(), Method::POST)).collect();
    assert_eq!(registered, listed, "a server function is missing from CALLS (or not POST): give it a row");
}

#[tokio::test]
async fn anonymous_callers_are_refused_everywhere_but_the_public_list() {
    let w = world().await;
    let before = snapshot(&w.app).await;
    for (path, open, args) in calls(&w) {
        if open == Open::Public {
            continue;
        }
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = w.app.call(path, &form, None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path} answered an anonymous caller: {}", res.body);
    }
    assert_eq!(snapshot(&w.app).await, before, "nothing changed");
}

#[tokio::test]
async fn an_outsider_is_refused_on_everyone_elses_things() {
    let w = world().await;
    let before = snapshot(&w.app).await;
    for (path, open, args) in calls(&w) {
        if open != Open::Guarded {
            continue;
        }
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = w.app.call(path, &form, Some(&w.outsider)).await;
        assert!(
            matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path} let an outsider through: {} {}",
            res.status,
            res.body
        );
    }
    assert_eq!(snapshot(&w.app).await, before, "nothing changed");
    // The same calls work for the right person: the refusals above were about the caller.
    let res = w.app.call("/api/members/list", &[("profile", &w.profile)], Some(&w.owner)).await;
    assert_eq!(res.status, StatusCode::OK);
}
