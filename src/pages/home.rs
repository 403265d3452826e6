//! The home page: a welcome for the signed-in, an introduction for everyone else.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{auth::Session, domain::SessionUser, profiles::getting_started};

#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<Session>();
    // Where deleting one's own account lands.
    let deleted = super::query("deleted").get_untracked().is_some();
    let content = move || {
        Suspend::new(async move {
            match session.user.await {
                Ok(Some(user)) => view! { <Welcome user /> }.into_any(),
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

/// The signed-in person's way in: where each of their pages is and what it is for, and for
/// the first admin of a brand-new Roster, the first steps.
#[component]
fn Welcome(user: SessionUser) -> impl IntoView {
    let admin = user.is_admin;
    let new_here = Resource::new(
        move || admin,
        |admin| async move { admin && getting_started().await.unwrap_or(false) },
    );
    view! {
        <section class="hero">
            <h1>{format!("Welcome, {}", user.display_name)}</h1>
            <p class="lede">"You are signed in as " <strong>{user.email.clone()}</strong> "."</p>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move { new_here.await.then(|| view! { <FirstSteps /> }) })}
        </Transition>
        <nav class="features" aria-label="Your pages">
            <Place href="/profiles".into() title="Your profiles">
                "The teams, projects and classes you are on or look after, and a new one."
            </Place>
            <Place href=format!("/users/{}", user.id) title="Your page">
                "What people who share a profile with you see of you: your name, email and profiles."
            </Place>
            <Place href="/account".into() title="Your account">
                "Your name, email and password, where you're signed in, and your security log."
            </Place>
            {admin
                .then(|| {
                    view! {
                        <Place href="/users".into() title="Users">
                            "Everyone with an account: find, deactivate or help them back in."
                        </Place>
                        <Place href="/roles".into() title="Roles">
                            "Labels an admin gives people across the organisation, and who has admin."
                        </Place>
                    }
                })}
        </nav>
    }
}

/// One of the signed-in person's pages, as the home page lists it.
#[component]
fn Place(href: String, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <article class="card">
            <h2>
                <a href=href>{title}</a>
            </h2>
            <p class="muted">{children()}</p>
        </article>
    }
}

/// For the first admin, while Roster is empty: what to do first.
#[component]
fn FirstSteps() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="first-steps-heading" data-testid="first-steps">
            <h2 id="first-steps-heading">"Getting started"</h2>
            <ol class="steps">
                <li>
                    <a href="/profiles">"Create a profile"</a>
                    " for a team, a project or a class. You become its first manager."
                </li>
                <li>
                    "Ask people to " <a href="/register">"create their accounts"</a> ", or make them with "
                    <code>"roster user create"</code> ". "
                    "Then add them to the profile by their email, one at a time or many at once."
                </li>
                <li>
                    <a href="/roles">"Make roles"</a>
                    " (such as auditor or mentor) for what people are across the organisation, "
                    "and share admin with a second person, so Roster never has only one."
                </li>
            </ol>
        </section>
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
