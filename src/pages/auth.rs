//! The sign-in and registration pages.

use leptos::prelude::*;
use leptos_meta::Title;

use super::islands::{RegisterForm, SignInForm};

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <SignInForm/>
            <p class="muted">"New to Roster? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Create account"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <RegisterForm/>
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
