//! People are private: someone who is not an admin learns nothing of an account they share no
//! profile with, not even that it exists. Each endpoint that returns people is asked about a
//! stranger (a real account that shares nothing with the caller) and about an id or a name
//! that no account has; the two answers must be the same.
#![cfg(feature = "ssr")]

mod common;

use common::{TestApp, TestResponse};
use roster::server::config::Directory;

const PW: &str = "correct horse battery";

/// The caller, Carl, manages "Mine"; Stan, a stranger, manages "Theirs". Fay is on both, so
/// Carl shares a profile with her. Nobody has `ghost`'s id.
struct World {
    app: TestApp,
    carl: String,
    mine: String,
    stan: i64,
    fay: i64,
    ghost: i64,
}

/// Stan's id and the ghost's: numbers that appear nowhere else in an answer, so that taking
/// them out leaves only what could tell the two apart.
const STAN: i64 = 734_521;
const GHOST: i64 = 734_529;

async fn world(directory: Directory) -> World {
    let app = TestApp::with_settings(|s| s.people_directory = directory).await;
    let admin = app.admin("admin@example.com", "Admin", PW).await;
    let carl = app.register("carl@example.com", "Carl Caller", PW).await;
    app.register("fay@example.com", "Fay Friend", PW).await;
    let hash = roster::auth::ssr::hash_password(roster::domain::Password::parse(PW).unwrap()).await.unwrap();
    let overriding = if common::backend() == "postgres" { "OVERRIDING SYSTEM VALUE" } else { "" };
    app.exec(&format!(
        "INSERT INTO users (id, email, display_name, name_key, password_hash) {overriding} \
         VALUES ({STAN}, 'stan@example.com', 'Stan Stranger', 'stan stranger', '{hash}')"
    ))
    .await;
    let stan_cookie = app.sign_in("stan@example.com", PW).await;
    let mine = make_profile(&app, "Mine", &carl).await;
    let theirs = make_profile(&app, "Theirs", &stan_cookie).await;
    // An admin, who sees everyone, adds her to both (their managers would invite her).
    for profile in [&mine, &theirs] {
        let add = [("profile", profile.as_str()), ("email", "fay@example.com"), ("access", "member")];
        app.json("/api/members/add", &add, Some(&admin)).await;
    }
    let fay = app.count("SELECT id FROM users WHERE email = 'fay@example.com'").await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM users WHERE id = {GHOST}")).await, 0);
    World { app, carl, mine, stan: STAN, fay, ghost: GHOST }
}

async fn make_profile(app: &TestApp, name: &str, cookie: &str) -> String {
    app.json("/api/profiles/create", &[("name", name), ("description", "")], Some(cookie)).await.to_string()
}

/// An answer with the asked-about id taken out, and of a page only what it shows (`<main>`;
/// the scripts after it carry a fresh nonce, and whether a resource was inlined or streamed
/// depends on timing): what is left must not tell the stranger from nobody.
fn normalized(res: &TestResponse, id: i64) -> (u16, String) {
    let body = match (res.body.find("<main"), res.body.find("</main>")) {
        (Some(start), Some(end)) => &res.body[start..end],
        _ => res.body.as_str(),
    };
    (res.status.as_u16(), body.replace(&id.to_string(), "ID"))
}

impl World {
    /// Asks the same thing about Stan and about the ghost, and checks the answers match and
    /// never name Stan.
    async fn same_for_stranger_and_nobody(&self, what: &str, ask: impl AsyncFn(i64) -> TestResponse) {
        let stranger = ask(self.stan).await;
        let nobody = ask(self.ghost).await;
        assert_eq!(normalized(&stranger, self.stan), normalized(&nobody, self.ghost), "{what}");
        for secret in ["Stan", "stan@"] {
            assert!(!stranger.body.contains(secret), "{what} names the stranger: {}", stranger.body);
        }
    }
}

#[tokio::test]
async fn a_stranger_is_indistinguishable_from_a_missing_account_everywhere() {
    let w = world(Directory::Shared).await;
    let (app, carl, mine) = (&w.app, Some(w.carl.as_str()), w.mine.as_str());

    w.same_for_stranger_and_nobody("why (server function)", async |id| {
        app.call("/api/history/why", &[("profile", mine), ("user", &id.to_string())], carl).await
    })
    .await;
    w.same_for_stranger_and_nobody("why (page)", async |id| {
        app.get(&format!("/profiles/{mine}/why/{id}"), carl).await
    })
    .await;
    w.same_for_stranger_and_nobody("a user's page", async |id| {
        app.call("/api/users/get", &[("id", &id.to_string())], carl).await
    })
    .await;
    w.same_for_stranger_and_nobody("a user's profiles", async |id| {
        app.call("/api/profiles/of_user", &[("user", &id.to_string())], carl).await
    })
    .await;
    w.same_for_stranger_and_nobody("a user's history", async |id| {
        app.call("/api/history/user", &[("user", &id.to_string())], carl).await
    })
    .await;
    // A bulk change drafted with the stranger's id labels them as it labels no one.
    w.same_for_stranger_and_nobody("a bulk change's preview", async |id| {
        let draft = [("profile", mine), ("users[]", &id.to_string()), ("change", "remove")];
        let draft = app.json("/api/bulk/change", &draft, carl).await.to_string();
        let mut preview = app.call("/api/bulk/get", &[("id", &draft)], carl).await;
        // The drafts' own ids differ; nothing else may.
        preview.body = preview.body.replacen(&format!("\"id\":{draft}"), "\"id\":DRAFT", 1);
        preview
    })
    .await;
    // The picker, with and without JavaScript: a stranger's name finds what a name no
    // account has finds.
    let suggest = async |q: &str| app.call("/api/users/suggest", &[("profile", mine), ("q", q)], carl).await;
    let (stranger, nobody) = (suggest("stan").await, suggest("zed").await);
    assert_eq!((stranger.status.as_u16(), stranger.body.as_str()), (200, "[]"));
    assert_eq!((nobody.status.as_u16(), nobody.body.as_str()), (200, "[]"));
    let find = async |q: &str| app.get(&format!("/profiles/{mine}?find={q}"), carl).await;
    let (stranger, nobody) = (find("stan").await, find("zed").await);
    // The search is kept in the box: that, and the address, differ.
    let typed = |body: String| body.replace("=stan", "=zed").replace(r#"value="stan""#, r#"value="zed""#);
    assert_eq!(typed(normalized(&stranger, 0).1), normalized(&nobody, 0).1);
    assert!(!stranger.body.contains("Stan Stranger") && !stranger.body.contains("stan@example.com"));
    assert!(stranger.body.contains("No one you share a profile with matches"), "{}", stranger.body);
}

#[tokio::test]
async fn people_one_shares_a_profile_with_stay_findable_and_explainable() {
    let w = world(Directory::Shared).await;
    let (app, carl, mine) = (&w.app, Some(w.carl.as_str()), w.mine.as_str());
    // Fay is on Carl's profile: named in the picker, explained on the profile.
    let found = app.json("/api/users/suggest", &[("profile", mine), ("q", "fay")], carl).await;
    assert_eq!(found[0]["display_name"], "Fay Friend");
    let why = app.json("/api/history/why", &[("profile", mine), ("user", &w.fay.to_string())], carl).await;
    assert_eq!(why["user_name"], "Fay Friend");
    // Someone who left the profile is still in its history, so still explained (no paths).
    app.json("/api/members/remove", &[("profile", mine), ("user", &w.fay.to_string())], carl).await;
    let why = app.json("/api/history/why", &[("profile", mine), ("user", &w.fay.to_string())], carl).await;
    assert_eq!(
        (why["user_name"].as_str(), why["paths"].as_array().map(Vec::len)),
        (Some("Fay Friend"), Some(0))
    );
    // Shared through another profile: Carl joins Stan's profile, and then finds Stan.
    let stan_cookie = app.sign_in("stan@example.com", PW).await;
    let theirs = app.count("SELECT id FROM profiles WHERE name = 'Theirs'").await.to_string();
    let add = [("profile", theirs.as_str()), ("email", "carl@example.com"), ("access", "member")];
    app.json("/api/members/add", &add, Some(&stan_cookie)).await;
    app.accept_invitation("carl@example.com", carl.unwrap(), 1).await;
    let found = app.json("/api/users/suggest", &[("profile", mine), ("q", "stan")], carl).await;
    assert_eq!(found[0]["id"], w.stan);
    // Adding a stranger by their exact email invites them, as it would an address with no
    // account: nothing says the account exists until they accept.
    app.register("nell@example.com", "Nell New", PW).await;
    let add = [("profile", mine), ("email", "nell@example.com"), ("access", "member")];
    app.json("/api/members/add", &add, carl).await;
    let nell = "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'nell@example.com'";
    assert_eq!(app.count(nell).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'nell@example.com'").await, 1);
}

#[tokio::test]
async fn an_open_directory_lets_anyone_find_everyone_and_admins_always_can() {
    let w = world(Directory::Everyone).await;
    let (app, carl, mine) = (&w.app, Some(w.carl.as_str()), w.mine.as_str());
    let found = app.json("/api/users/suggest", &[("profile", mine), ("q", "stan")], carl).await;
    assert_eq!(found[0]["display_name"], "Stan Stranger");
    let page = app.get(&format!("/profiles/{mine}"), carl).await;
    assert!(page.body.contains("Type to see up to ten matching people"), "{}", page.body);

    let w = world(Directory::Shared).await;
    let admin = w.app.sign_in("admin@example.com", PW).await;
    let mine = w.mine.as_str();
    let found = w.app.json("/api/users/suggest", &[("profile", mine), ("q", "stan")], Some(&admin)).await;
    assert_eq!(found[0]["display_name"], "Stan Stranger");
    let page = w.app.get(&format!("/profiles/{mine}"), Some(&w.carl)).await;
    assert!(page.body.contains("Type to see up to ten people you share a profile with"), "{}", page.body);
}
