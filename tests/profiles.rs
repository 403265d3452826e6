//! Profiles and memberships through the real router: behaviour, rules and who may do what.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::{TestApp, TestResponse};
use roster::error::AppError;

const PW: &str = "correct horse battery";

/// Admin (the first account), Manny who manages "Compilers", Mel who is a member of it, and
/// Otto who is on nothing.
struct World {
    app: TestApp,
    admin: String,
    manager: String,
    member: String,
    outsider: String,
    profile: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let manager = app.register("manny@example.com", "Manny", PW).await;
    let member = app.register("mel@example.com", "Mel", PW).await;
    let outsider = app.register("otto@example.com", "Otto", PW).await;
    let res = app
        .call(
            "/api/profiles/create",
            &[("name", "Compilers"), ("description", "Front to back")],
            Some(&manager),
        )
        .await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    let profile = res.body.clone();
    let w = World { app, admin, manager, member, outsider, profile };
    w.ok(w.add("mel@example.com", "member", &w.manager).await);
    w
}

impl World {
    fn as_who(&self, who: &str) -> Option<&str> {
        match who {
            "anonymous" => None,
            "outsider" => Some(&self.outsider),
            "member" => Some(&self.member),
            "manager" => Some(&self.manager),
            "admin" => Some(&self.admin),
            _ => unreachable!(),
        }
    }

    async fn add(&self, email: &str, access: &str, cookie: &str) -> TestResponse {
        self.app
            .call(
                "/api/members/add",
                &[("profile", &self.profile), ("email", email), ("access", access)],
                Some(cookie),
            )
            .await
    }

    async fn user_id(&self, email: &str) -> String {
        self.app.count(&format!("SELECT id FROM users WHERE email = '{email}'")).await.to_string()
    }

    async fn managers(&self) -> i64 {
        self.app
            .count(&format!(
                "SELECT COUNT(*) FROM memberships WHERE profile_id = {} AND access = 'manager'",
                self.profile
            ))
            .await
    }

    async fn members(&self) -> i64 {
        self.app.count(&format!("SELECT COUNT(*) FROM memberships WHERE profile_id = {}", self.profile)).await
    }

    fn ok(&self, res: TestResponse) -> TestResponse {
        assert!(res.status.is_success(), "{} {}", res.status, res.body);
        res
    }
}

const PEOPLE: [&str; 5] = ["anonymous", "outsider", "member", "manager", "admin"];

#[tokio::test]
async fn a_profile_is_seen_by_its_people_and_admins_and_not_found_by_anyone_else() {
    let w = world().await;
    for (who, expected) in PEOPLE.iter().zip([401, 404, 200, 200, 200]) {
        let get = w.app.call("/api/profiles/get", &[("id", &w.profile)], w.as_who(who)).await;
        assert_eq!(get.status.as_u16(), expected, "get_profile as {who}");
        let list = w.app.call("/api/members/list", &[("profile", &w.profile)], w.as_who(who)).await;
        assert_eq!(list.status.as_u16(), expected, "list_members as {who}");
    }
    // To an outsider, a real profile and a missing one look the same.
    let real = w.app.call("/api/profiles/get", &[("id", &w.profile)], Some(&w.outsider)).await;
    let missing = w.app.call("/api/profiles/get", &[("id", "999999")], Some(&w.outsider)).await;
    assert_eq!((real.status, real.body), (missing.status, missing.body));
}

#[tokio::test]
async fn the_profile_page_renders_for_members_and_is_a_404_page_for_outsiders() {
    let w = world().await;
    let path = format!("/profiles/{}", w.profile);
    let page = w.app.get(&path, Some(&w.member)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in ["Compilers", "Front to back", "Manny", "mel@example.com", "/settings\""] {
        assert!(page.body.contains(text), "member's page shows {text:?}");
    }
    assert!(!page.body.contains("Leave this profile"), "settings have a tab of their own");
    // Stacked on a phone, each cell says which column it is.
    for label in ["Email", "Access", "Since", "Added by"] {
        assert!(page.body.contains(&format!("data-label=\"{label}\"")), "{label}");
    }
    let settings = w.app.get(&format!("{path}/settings"), Some(&w.member)).await;
    assert!(settings.body.contains("Leave this profile"), "{}", settings.body);
    assert!(!settings.body.contains("Delete profile"), "members get no management forms");
    let managed = w.app.get(&path, Some(&w.manager)).await;
    assert!(managed.body.contains("Add a member") && !managed.body.contains("Delete profile"));
    let managed = w.app.get(&format!("{path}/settings"), Some(&w.manager)).await;
    assert!(managed.body.contains("Delete profile") && managed.body.contains("Edit profile"));
    let outsider = w.app.get(&format!("{path}/settings"), Some(&w.outsider)).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    let outsider = w.app.get(&path, Some(&w.outsider)).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    assert!(!outsider.body.contains("Compilers"));
}

#[tokio::test]
async fn creating_a_profile_makes_the_creator_its_manager() {
    let w = world().await;
    let res = w.ok(w
        .app
        .call("/api/profiles/create", &[("name", "  Chess club "), ("description", "")], Some(&w.outsider))
        .await);
    let id = res.body;
    let sql = format!("SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.profile_id = {id} AND u.email = 'otto@example.com' AND m.access = 'manager'");
    assert_eq!(w.app.count(&sql).await, 1);
    assert_eq!(
        w.app.count(&format!("SELECT COUNT(*) FROM profiles WHERE id = {id} AND name = 'Chess club'")).await,
        1
    );
    let anon = w.app.call("/api/profiles/create", &[("name", "X"), ("description", "")], None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let blank =
        w.app.call("/api/profiles/create", &[("name", "  "), ("description", "")], Some(&w.outsider)).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.error().field(), Some("name"));
}

#[tokio::test]
async fn only_managers_and_admins_edit_a_profile() {
    let w = world().await;
    for (who, expected) in PEOPLE.iter().zip([401, 404, 403, 200, 200]) {
        let name = format!("Renamed by {who}");
        let res = w
            .app
            .call(
                "/api/profiles/update",
                &[("id", &w.profile), ("name", &name), ("description", "d")],
                w.as_who(who),
            )
            .await;
        assert_eq!(res.status.as_u16(), expected, "update as {who}");
        let renamed = w.app.count(&format!("SELECT COUNT(*) FROM profiles WHERE name = '{name}'")).await;
        assert_eq!(renamed, i64::from(expected == 200), "{who}'s rename applied only if allowed");
    }
}

#[tokio::test]
async fn only_managers_and_admins_add_members() {
    let w = world().await;
    for (who, expected) in PEOPLE.iter().zip([401, 404, 403, 200, 200]) {
        let email = format!("new-{who}@example.com");
        w.app.register(&email, who, PW).await;
        let res = match w.as_who(who) {
            Some(cookie) => w.add(&email, "member", cookie).await,
            None => {
                w.app
                    .call(
                        "/api/members/add",
                        &[("profile", &w.profile), ("email", &email), ("access", "member")],
                        None,
                    )
                    .await
            }
        };
        assert_eq!(res.status.as_u16(), expected, "add as {who}: {}", res.body);
    }
    assert_eq!(w.members().await, 2 + 2, "the manager's and the admin's adds only");
}

#[tokio::test]
async fn adding_someone_twice_keeps_one_link_and_says_so() {
    let w = world().await;
    let again = w.add("MEL@example.com", "manager", &w.manager).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error(), AppError::Conflict("Mel is already on this profile, as member.".into()));
    assert_eq!(w.members().await, 2);
    assert_eq!(w.managers().await, 1, "the second add changed nothing");
}

#[tokio::test]
async fn an_address_with_no_account_is_invited_and_bad_input_is_a_clear_error() {
    let w = world().await;
    let res = w.add("ghost@example.com", "member", &w.manager).await;
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM invitations WHERE email = 'ghost@example.com'").await, 1);
    let bad_email = w.add("ghost at example", "member", &w.manager).await;
    assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_email.error().field(), Some("email"));
    let bad_access = w.add("otto@example.com", "owner", &w.manager).await;
    assert_eq!(bad_access.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(w.members().await, 2);
}

#[tokio::test]
async fn the_link_records_who_added_whom_and_since_when() {
    let w = world().await;
    let page = w.ok(w.app.call("/api/members/list", &[("profile", &w.profile)], Some(&w.member)).await);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mel = items.iter().find(|m| m["email"] == "mel@example.com").unwrap();
    assert_eq!(mel["access"], "member");
    assert_eq!(mel["added_by"], "Manny");
    assert!(mel["added_at"].as_str().unwrap().starts_with("20"), "{mel}");
}

#[tokio::test]
async fn managers_change_access_but_never_demote_the_last_manager() {
    let w = world().await;
    let mel = w.user_id("mel@example.com").await;
    let manny = w.user_id("manny@example.com").await;
    let denied = w
        .app
        .call(
            "/api/members/change_access",
            &[("profile", &w.profile), ("user", &manny), ("access", "member")],
            Some(&w.member),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let last = w
        .app
        .call(
            "/api/members/change_access",
            &[("profile", &w.profile), ("user", &manny), ("access", "member")],
            Some(&w.manager),
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert_eq!(last.error(), AppError::Conflict(roster::memberships::LAST_MANAGER.into()));
    w.ok(w
        .app
        .call(
            "/api/members/change_access",
            &[("profile", &w.profile), ("user", &mel), ("access", "manager")],
            Some(&w.manager),
        )
        .await);
    assert_eq!(w.managers().await, 2);
    // Now Mel, a manager, may demote Manny.
    w.ok(w
        .app
        .call(
            "/api/members/change_access",
            &[("profile", &w.profile), ("user", &manny), ("access", "member")],
            Some(&w.member),
        )
        .await);
    assert_eq!(w.managers().await, 1);
}

#[tokio::test]
async fn managers_remove_members_but_never_the_last_manager() {
    let w = world().await;
    let mel = w.user_id("mel@example.com").await;
    let manny = w.user_id("manny@example.com").await;
    let by_member = w
        .app
        .call("/api/members/remove", &[("profile", &w.profile), ("user", &manny)], Some(&w.member))
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let by_outsider = w
        .app
        .call("/api/members/remove", &[("profile", &w.profile), ("user", &mel)], Some(&w.outsider))
        .await;
    assert_eq!(by_outsider.status, StatusCode::NOT_FOUND);
    let last = w
        .app
        .call("/api/members/remove", &[("profile", &w.profile), ("user", &manny)], Some(&w.manager))
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    w.ok(w
        .app
        .call("/api/members/remove", &[("profile", &w.profile), ("user", &mel)], Some(&w.manager))
        .await);
    assert_eq!(w.members().await, 1);
    let gone =
        w.app.call("/api/members/remove", &[("profile", &w.profile), ("user", &mel)], Some(&w.manager)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "removing someone not on it");
}

#[tokio::test]
async fn a_member_may_leave_but_the_last_manager_may_not() {
    let w = world().await;
    let last = w
        .app
        .call("/api/members/leave", &[("profile", &w.profile), ("confirm", "yes")], Some(&w.manager))
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    let outsider = w.app.call("/api/members/leave", &[("profile", &w.profile)], Some(&w.outsider)).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    let unconfirmed = w.app.call("/api/members/leave", &[("profile", &w.profile)], Some(&w.member)).await;
    assert_eq!(
        (unconfirmed.status, unconfirmed.error().field()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm"))
    );
    assert_eq!(w.members().await, 2, "nothing changed");
    let yes = [("profile", w.profile.as_str()), ("confirm", "yes")];
    w.ok(w.app.call("/api/members/leave", &yes, Some(&w.member)).await);
    assert_eq!(w.members().await, 1);
    let after = w.app.call("/api/profiles/get", &[("id", &w.profile)], Some(&w.member)).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "once gone, Mel is an outsider");
}

#[tokio::test]
async fn deleting_a_profile_needs_confirmation_and_removes_its_memberships() {
    let w = world().await;
    let unconfirmed = w.app.call("/api/profiles/delete", &[("id", &w.profile)], Some(&w.manager)).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unconfirmed.error().field(), Some("confirm"));
    for (who, expected) in [("anonymous", 401), ("outsider", 404), ("member", 403)] {
        let res = w
            .app
            .call("/api/profiles/delete", &[("id", &w.profile), ("confirm", "yes")], w.as_who(who))
            .await;
        assert_eq!(res.status.as_u16(), expected, "delete as {who}");
    }
    assert_eq!(w.members().await, 2);
    w.ok(w
        .app
        .call("/api/profiles/delete", &[("id", &w.profile), ("confirm", "yes")], Some(&w.manager))
        .await);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM profiles").await, 0);
    assert_eq!(w.members().await, 0);
}

#[tokio::test]
async fn admins_may_delete_any_profile() {
    let w = world().await;
    w.ok(w.app.call("/api/profiles/delete", &[("id", &w.profile), ("confirm", "yes")], Some(&w.admin)).await);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM profiles").await, 0);
}

#[tokio::test]
async fn my_profiles_lists_mine_with_my_access_and_the_member_count() {
    let w = world().await;
    let res = w.ok(w.app.call("/api/profiles/of_user", &[], Some(&w.member)).await);
    let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(json["items"][0]["name"], "Compilers");
    assert_eq!(json["items"][0]["access"], "member");
    assert_eq!(json["items"][0]["member_count"], 2);
    let none = w.ok(w.app.call("/api/profiles/of_user", &[], Some(&w.outsider)).await);
    assert!(none.body.contains("\"items\":[]"));
    let page = w.app.get("/profiles", Some(&w.outsider)).await;
    assert!(page.body.contains("You are not on any profiles yet"), "an empty state, not a blank");
}

#[tokio::test]
async fn another_users_profiles_are_for_admins_only() {
    let w = world().await;
    let mel = w.user_id("mel@example.com").await;
    let peek = w.app.call("/api/profiles/of_user", &[("user", &mel)], Some(&w.outsider)).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let admin = w.ok(w.app.call("/api/profiles/of_user", &[("user", &mel)], Some(&w.admin)).await);
    assert!(admin.body.contains("Compilers"));
}

#[tokio::test]
async fn members_come_fifty_to_a_page_with_no_gaps_or_repeats() {
    let w = world().await;
    for n in 0..118 {
        w.app.exec(&format!("INSERT INTO users (email, display_name, name_key, password_hash) VALUES ('bulk{n}@example.com', 'Bulk {n}', 'bulk {n}', 'x')")).await;
        w.app.exec(&format!(
            "INSERT INTO memberships (profile_id, user_id, access, name_key, email) SELECT {}, id, 'member', name_key, email FROM users WHERE email = 'bulk{n}@example.com'",
            w.profile
        ))
        .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let mut form = vec![("profile", w.profile.clone())];
        if let Some(cursor) = &after {
            form.push(("after", cursor.clone()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = w.ok(w.app.call("/api/members/list", &form, Some(&w.member)).await);
        let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let items = json["items"].as_array().unwrap();
        sizes.push(items.len());
        seen.extend(items.iter().map(|m| m["user_id"].as_i64().unwrap()));
        match json["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, vec![50, 50, 20]);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 120, "every member exactly once");
    assert_eq!(
        w.app.count(&format!("SELECT member_count FROM profiles WHERE id = {}", w.profile)).await,
        120
    );
    let bad = w
        .app
        .call("/api/members/list", &[("profile", &w.profile), ("after", "garbage")], Some(&w.member))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_javascript_adding_a_member_returns_to_the_profile_page() {
    let w = world().await;
    let path = format!("/profiles/{}", w.profile);
    let res = w
        .app
        .submit(
            "/api/members/add",
            &[("profile", &w.profile), ("email", "otto@example.com"), ("access", "member")],
            &path,
            Some(&w.manager),
        )
        .await;
    assert_eq!(res.status, StatusCode::FOUND);
    // Back to the profile, saying what changed (tests/pages.rs reads what it says).
    assert!(res.location().unwrap().starts_with(&format!("{path}?changed=")), "{:?}", res.location());
    assert!(w.app.get(&path, Some(&w.manager)).await.body.contains("otto@example.com"));
    let twice = w
        .app
        .submit(
            "/api/members/add",
            &[("profile", &w.profile), ("email", "otto@example.com"), ("access", "member")],
            &path,
            Some(&w.manager),
        )
        .await;
    let back = twice.location().unwrap().trim_start_matches("http://localhost").to_owned();
    assert_eq!(back, path, "the error is not in the address");
    let flash = format!("{}; {}", w.manager, twice.cookie("roster_flash").expect("it is in a flash"));
    let page = w.app.get(&back, Some(&flash)).await.body;
    assert_eq!(page.matches("Otto is already on this profile").count(), 1, "said once: {page}");
}

#[tokio::test]
async fn signed_out_my_profiles_offers_a_way_in_and_no_forms() {
    let app = TestApp::new().await;
    let page = app.get("/profiles", None).await;
    assert!(page.body.contains("Please sign in"), "{}", page.body);
    assert!(!page.body.contains("New profile"), "no form that can't be used");
}

#[tokio::test]
async fn no_one_makes_two_profiles_of_the_same_name() {
    let w = world().await;
    let create = |name: &'static str, who: String| {
        let app = &w.app;
        async move { app.call("/api/profiles/create", &[("name", name), ("description", "")], Some(&who)).await }
    };
    let again = create("COMPILERS", w.manager.clone()).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert_eq!(again.error().field(), Some("name"));
    assert_eq!(
        again.error().to_string(),
        "You already have a profile called “COMPILERS”. Choose another name."
    );
    // Someone else may use the name; the maker may use another.
    w.ok(create("Compilers", w.member.clone()).await);
    let other = w.ok(create("Linkers", w.manager.clone()).await).body;

    // Renaming one's own profile to the name of another of one's own is refused too, and a
    // manager who didn't make it is told why without being shown the other profile.
    let rename = |id: String, who: String| {
        let app = &w.app;
        async move {
            let form = [("id", id.as_str()), ("name", "compilers"), ("description", "")];
            app.call("/api/profiles/update", &form, Some(&who)).await
        }
    };
    let refused = rename(other.clone(), w.manager.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.error().to_string().starts_with("You already have a profile called"));
    w.app
        .call(
            "/api/members/add",
            &[("profile", &other), ("email", "otto@example.com"), ("access", "manager")],
            Some(&w.manager),
        )
        .await;
    let refused = rename(other.clone(), w.outsider.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.error().to_string().starts_with("The person who made this profile has another"));
    let names = w.app.count("SELECT COUNT(*) FROM profiles WHERE name = 'Linkers'").await;
    assert_eq!(names, 1, "nothing renamed");
    // Its own name in other capitals is a rename like any other.
    let form = [("id", w.profile.as_str()), ("name", "compilers"), ("description", "")];
    w.ok(w.app.call("/api/profiles/update", &form, Some(&w.manager)).await);
}
