//! What pages say and answer, rendered on the server as a browser without JavaScript gets
//! them: statuses, navigation, first steps, wording. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use axum::http::StatusCode;
use common::TestApp;

const PW: &str = "correct horse battery";

#[tokio::test]
async fn a_page_someone_may_not_see_answers_403_and_offers_no_forms() {
    let app = TestApp::new().await;
    app.admin("root@example.com", "Root", PW).await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    let roles = app.get("/roles", Some(&ada)).await;
    assert_eq!(roles.status, StatusCode::FORBIDDEN);
    assert!(roles.body.contains("Not allowed") && !roles.body.contains("New role"), "{}", roles.body);
    assert_eq!(app.get("/users", Some(&ada)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/roles", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/profiles/999999", Some(&ada)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_navigation_marks_the_section_the_page_is_in() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    let nav =
        |body: &str| body.split("<nav").nth(1).unwrap_or_default().split("</nav>").next().unwrap().to_owned();
    let roles = nav(&app.get("/roles", Some(&root)).await.body);
    assert!(roles.contains(r#"href="/roles" aria-current="page""#), "{roles}");
    assert_eq!(roles.matches("aria-current").count(), 1, "{roles}");
    let admin = app.count("SELECT id FROM roles WHERE name = 'admin'").await;
    let role = nav(&app.get(&format!("/roles/{admin}"), Some(&root)).await.body);
    assert!(role.contains(r#"href="/roles" aria-current="true""#), "{role}");
    assert!(!nav(&app.get("/", Some(&root)).await.body).contains("aria-current"));
}

#[tokio::test]
async fn the_first_admin_is_shown_the_first_steps_until_there_is_something() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    let home = app.get("/", Some(&root)).await.body;
    assert!(home.contains("Getting started") && home.contains("Your page"), "{home}");
    let ada = app.register("ada@example.com", "Ada", PW).await;
    let theirs = app.get("/", Some(&ada)).await.body;
    assert!(!theirs.contains("Getting started") && !theirs.contains("href=\"/roles\""), "{theirs}");
    app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&root)).await;
    assert!(!app.get("/", Some(&root)).await.body.contains("Getting started"));
}

#[tokio::test]
async fn role_names_are_one_whatever_their_capitals() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    let create = |name: &'static str| {
        let (app, root) = (&app, root.clone());
        async move { app.call("/api/roles/create", &[("name", name), ("description", "")], Some(&root)).await }
    };
    assert!(create("Auditor").await.status.is_success());
    let clash = create("auditor").await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    assert_eq!(create("ADMIN").await.status, StatusCode::CONFLICT);
    // Beyond ASCII too, the same on both databases.
    assert!(create("Équipe").await.status.is_success());
    assert_eq!(create("équipe").await.status, StatusCode::CONFLICT);
    let mentor = create("Mentor").await.body;
    let rename = [("id", mentor.as_str()), ("name", "AUDITOR"), ("description", "")];
    assert_eq!(app.call("/api/roles/update", &rename, Some(&root)).await.status, StatusCode::CONFLICT);
    let recase = [("id", mentor.as_str()), ("name", "mentor"), ("description", "")];
    assert!(app.call("/api/roles/update", &recase, Some(&root)).await.status.is_success(), "its own name");
}

#[tokio::test]
async fn a_persons_history_names_the_profile_and_the_role_and_descriptions_keep_their_lines() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    app.register("ada@example.com", "Ada", PW).await;
    let form = [("name", "Platform team"), ("description", "Builds things.\nRuns them too.")];
    let profile = app.json("/api/profiles/create", &form, Some(&root)).await.to_string();
    let add = [("profile", profile.as_str()), ("email", "ada@example.com"), ("access", "manager")];
    assert!(app.call("/api/members/add", &add, Some(&root)).await.status.is_success());
    let role = app.call("/api/roles/create", &[("name", "auditor"), ("description", "")], Some(&root)).await;
    let grant = [("role", role.body.as_str()), ("email", "ada@example.com")];
    assert!(app.call("/api/roles/assign", &grant, Some(&root)).await.status.is_success());

    let ada = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await;
    let page = app.get(&format!("/users/{ada}"), Some(&root)).await.body;
    assert!(
        page.contains(&format!(r#"added to <a href="/profiles/{profile}">Platform team</a> as manager"#)),
        "{page}"
    );
    assert!(page.contains("was granted <strong>auditor</strong>"), "{page}");
    assert!(page.contains(" UTC</time>"), "times name their zone");
    let profile_page = app.get(&format!("/profiles/{profile}"), Some(&root)).await.body;
    assert!(
        profile_page.contains("class=\"lede lines\">Builds things.\nRuns them too.</p>"),
        "{profile_page}"
    );
}

#[tokio::test]
async fn the_find_box_keeps_its_query_and_javascript_hints_wait_for_javascript() {
    let app = TestApp::new().await;
    let root = app.register("root@example.com", "Root", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&root)).await;
    let page = app.get(&format!("/profiles/{profile}?find=zed"), Some(&root)).await.body;
    assert!(page.contains(r#"name="find" type="search""#) && page.contains(r#"value="zed""#), "{page}");
    assert!(page.contains(r#"<p id="picker-hint" class="hint js-only">"#), "{page}");
}

#[tokio::test]
async fn a_preview_with_nothing_to_change_offers_no_button_that_would_do_nothing() {
    let app = TestApp::new().await;
    let boss = app.register("boss@example.com", "Boss", PW).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&boss)).await;
    let profile = profile.to_string();
    let form =
        [("profile", profile.as_str()), ("emails", "not an email\nboss@example.com"), ("access", "member")];
    let draft = app.call("/api/bulk/add", &form, Some(&boss)).await.body;
    let page = app.get(&format!("/profiles/{profile}/bulk/{}", draft.trim()), Some(&boss)).await.body;
    assert!(page.contains("data-testid=\"nothing-to-apply\""), "{page}");
    assert!(!page.contains("Apply 0 changes") && !page.contains("Apply this change"), "{page}");
}

#[tokio::test]
async fn a_list_goes_back_a_page_at_a_time_as_well_as_forward() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    app.accounts("reader", "Reader", 130).await;
    // The pager's links, decoded from the HTML (`&amp;` back to `&`).
    let links = |body: &str| -> Vec<(String, String)> {
        let pager = body.split(r#"aria-label="Pages""#).nth(1).unwrap_or_default();
        let pager = pager.split("</nav>").next().unwrap();
        pager
            .split("<a href=\"")
            .skip(1)
            .map(|a| {
                let (href, rest) = a.split_once('"').unwrap();
                let text = rest.split_once('>').unwrap().1.split('<').next().unwrap();
                (text.to_owned(), href.replace("&amp;", "&"))
            })
            .collect()
    };
    let link = |links: &[(String, String)], text: &str| {
        links.iter().find(|(t, _)| t.contains(text)).map(|(_, href)| href.clone())
    };
    let first = app.get("/users?q=reader", Some(&root)).await.body;
    let on_first = links(&first);
    assert!(link(&on_first, "Previous").is_none() && link(&on_first, "First").is_none(), "{on_first:?}");
    let second_href = link(&on_first, "Next").unwrap();
    let second = app.get(&second_href, Some(&root)).await.body;
    let on_second = links(&second);
    assert_eq!(link(&on_second, "Previous").as_deref(), Some("/users?q=reader"), "{on_second:?}");
    let third = app.get(&link(&on_second, "Next").unwrap(), Some(&root)).await.body;
    let on_third = links(&third);
    // Back from the third page: the second again, and from there, the first.
    assert_eq!(link(&on_third, "Previous").as_deref(), Some(second_href.as_str()), "{on_third:?}");
    let shown = |body: &str| body.matches("/users/").count();
    assert_eq!(shown(&app.get(&second_href, Some(&root)).await.body), shown(&second));
    assert_eq!(link(&on_third, "Next"), None, "130 people fill three pages of 50");
}

#[tokio::test]
async fn admins_see_all_profiles_on_a_page_of_their_own_and_others_are_refused() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    let ada = app.register("ada@example.com", "Ada", PW).await;
    app.json("/api/profiles/create", &[("name", "Ada's team"), ("description", "")], Some(&ada)).await;
    let all = app.get("/profiles/all", Some(&root)).await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("Ada&#x27;s team") || all.body.contains("Ada's team"), "{}", all.body);
    assert!(all.body.contains("by Ada"), "who made it");
    assert!(app.get("/profiles", Some(&root)).await.body.contains(r#"href="/profiles/all""#));
    assert!(!app.get("/profiles", Some(&ada)).await.body.contains(r#"href="/profiles/all""#));
    assert_eq!(app.get("/profiles/all", Some(&ada)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_addition_or_change_of_access_is_confirmed_at_its_row() {
    let app = TestApp::new().await;
    let boss = app.register("boss@example.com", "Boss", PW).await;
    let ids = app.people(&["Ann Lee".to_string()]).await;
    let profile =
        app.json("/api/profiles/create", &[("name", "Team"), ("description", "")], Some(&boss)).await;
    let page = format!("/profiles/{profile}");
    let form = [
        ("profile", profile.to_string()),
        ("email", "ann.lee@example.com".into()),
        ("access", "member".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = app.submit("/api/members/add", &form, &page, Some(&boss)).await;
    let back = added.location().expect("back to the profile").to_owned();
    assert!(back.starts_with(&format!("{page}?changed=")), "{back}");
    assert!(back.ends_with(&format!("#member-{}", ids[0])), "at Ann's row: {back}");
    let shown = app.get(back.split('#').next().unwrap(), Some(&boss)).await.body;
    assert!(shown.contains("Ann Lee added as member."), "{shown}");
    assert!(shown.contains(&format!(r#"<tr id="member-{}">"#, ids[0])), "the row to land on");

    let (user, profile_id) = (ids[0].to_string(), profile.to_string());
    let form = [("profile", profile_id.as_str()), ("user", user.as_str()), ("access", "manager")];
    let changed = app.submit("/api/members/change_access", &form, &page, Some(&boss)).await;
    let back = changed.location().expect("back to the profile").to_owned();
    let shown = app.get(back.split('#').next().unwrap(), Some(&boss)).await.body;
    assert!(shown.contains("Ann Lee changed from member to manager."), "{shown}");
    // A change on another profile isn't told here.
    let other =
        app.json("/api/profiles/create", &[("name", "Other"), ("description", "")], Some(&boss)).await;
    let entry = back.split("changed=").nth(1).unwrap().split('#').next().unwrap().to_owned();
    let elsewhere = app.get(&format!("/profiles/{other}?changed={entry}"), Some(&boss)).await.body;
    assert!(!elsewhere.contains("change-notice"), "{elsewhere}");
}

#[tokio::test]
async fn a_role_taken_away_is_offered_back_where_it_was_taken() {
    let app = TestApp::new().await;
    let root = app.admin("root@example.com", "Root", PW).await;
    app.register("ada@example.com", "Ada", PW).await;
    let ada = app.count("SELECT id FROM users WHERE email = 'ada@example.com'").await.to_string();
    let role = app.json("/api/roles/create", &[("name", "auditor"), ("description", "")], Some(&root)).await;
    let role = role.to_string();
    let grant_form = [("role", role.as_str()), ("email", "ada@example.com")];
    app.json("/api/roles/assign", &grant_form, Some(&root)).await;
    let user_page = format!("/users/{ada}");
    let form = [("role", role.as_str()), ("user", ada.as_str()), ("from", "user")];
    let taken = app.submit("/api/roles/unassign", &form, &user_page, Some(&root)).await;
    let back = taken.location().expect("back to the person's page").to_owned();
    assert_eq!(back, format!("{user_page}?revoked={role}"));
    let shown = app.get(&back, Some(&root)).await.body;
    assert!(shown.contains("Took the role auditor away.") && shown.contains("Grant it back"), "{shown}");

    // The page has two forms that grant a role: a failed "Grant it back" without JavaScript
    // shows its error in that form alone.
    let gone = [("role", "999999"), ("email", "ada@example.com"), ("__form", "grant-back")];
    let refused = app.submit("/api/roles/assign", &gone, &back, Some(&root)).await;
    assert_eq!(refused.location(), Some(format!("http://localhost{back}").as_str()));
    let flash = format!("{root}; {}", refused.cookie("roster_flash").expect("a flash"));
    let shown = app.get(&back, Some(&flash)).await.body;
    assert_eq!(shown.matches(r#"data-testid="form-error""#).count(), 1, "{shown}");
    let form = shown.find(r#"id="grant-back""#).expect("the banner's form");
    let error = shown.find(r#"data-testid="form-error""#).unwrap();
    let end = form + shown[form..].find("</form>").unwrap();
    assert!(form < error && error < end, "the error is in the banner's form: {shown}");
    app.json("/api/roles/assign", &grant_form, Some(&root)).await;
    assert!(
        !app.get(&back, Some(&root)).await.body.contains("revoked-banner"),
        "held again: nothing to offer"
    );

    let role_page = format!("/roles/{role}");
    let form = [("role", role.as_str()), ("user", ada.as_str()), ("from", "role")];
    let taken = app.submit("/api/roles/unassign", &form, &role_page, Some(&root)).await;
    let back = taken.location().expect("back to the role's page").to_owned();
    assert_eq!(back, format!("{role_page}?revoked={ada}"));
    let shown = app.get(&back, Some(&root)).await.body;
    assert!(shown.contains("Took this role from Ada.") && shown.contains("Grant it back"), "{shown}");
}
