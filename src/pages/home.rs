//! The home page: a welcome for the signed-in, an introduction for everyone else.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::Session;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<Session>();
    // Where deleting one's own account lands.
    let deleted = super::query("deleted").get_untracked().is_some();
    let content = move || {
        Suspend::new(async move {
            match session.user.await {
                Ok(Some(user)) => view! {
                    <section class="hero">
                        <h1>{format!("Welcome, {}", user.display_name)}</h1>
                        <p class="lede">"You are signed in as " <strong>{user.email.clone()}</strong> "."</p>
                    </section>
                    <section class="card">
                        <h2>"Your account"</h2>
                        <dl class="facts">
                            <dt>"Name"</dt>
                            <dd>{user.display_name}</dd>
                            <dt>"Email"</dt>
                            <dd>{user.email}</dd>
                            <dt>"Roles"</dt>
                            <dd>{if user.is_admin { "admin" } else { "No roles yet" }}</dd>
                        </dl>
                    </section>
                }
                .into_any(),
                _ => view! {
                    {deleted
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="account-deleted">
                                    "Your account was deleted. Goodbye!"
                                </p>
                            }
                        })}
                    <section class="hero">
                        <h1>"Who belongs to what, in one place."</h1>
                        <p class="lede">
                            "Roster keeps track of the people on your teams, projects and classes: "
                            "who manages each one, who is a member, and since when."
                        </p>
                        <p class="actions">
                            <a class="button primary" href="/register">
                                "Create an account"
                            </a>
                            <a class="button subtle" href="/signin">
                                "Sign in"
                            </a>
                        </p>
                    </section>
                    <Features />
                }
                .into_any(),
            }
        })
    };
    view! {
        <Title text="" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>{content}</Transition>
    }
}

/// What Roster does, for someone who hasn't signed in.
#[component]
fn Features() -> impl IntoView {
    view! {
        <section class="features">
            <article class="card">
                <h2>"Shared profiles"</h2>
                <p>"A team, a project or a class that several people look after together."</p>
            </article>
            <article class="card">
                <h2>"Memberships"</h2>
                <p>
                    {concat!(
                        "Every link says in what capacity someone belongs, ",
                        "since when, and who added them.",
                    )}
                </p>
            </article>
            <article class="card">
                <h2>"Roles"</h2>
                <p>"Grant roles to people and see at a glance who holds each one."</p>
            </article>
        </section>
    }
}
