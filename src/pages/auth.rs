//! The sign-in, registration and first-administrator pages.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use super::islands::{RegisterForm, SetupAdminForm, SignInForm};

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <SignInForm />
            <p class="muted">"New to Roster? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Create account" />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <RegisterForm />
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}

/// Where the link the server prints on a fresh install leads: the first administrator.
#[component]
pub fn SetupPage() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Set up Roster" />
        <section class="card narrow">
            <h1>"Create the administrator"</h1>
            <p class="muted">"This account may see and change everything. The link works once."</p>
            <SetupAdminForm token />
        </section>
    }
}
