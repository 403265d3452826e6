//! The sign-in and registration pages.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{action_error, Field, FormError};
use crate::{
    app::Session,
    domain::{DisplayName, Email, Password},
};

fn check_email(raw: &str) -> Result<(), crate::error::AppError> {
    Email::parse(raw).map(drop)
}

fn check_name(raw: &str) -> Result<(), crate::error::AppError> {
    DisplayName::parse(raw).map(drop)
}

fn check_password(raw: &str) -> Result<(), crate::error::AppError> {
    Password::parse(raw).map(drop)
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = expect_context::<Session>().sign_in;
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=action attr:class="stack" attr:aria-label="Sign in">
                <FormError error/>
                <Field name="email" label="Email" kind="email" autocomplete="username"
                    server_error=error/>
                <Field name="password" label="Password" kind="password"
                    autocomplete="current-password" server_error=error/>
                <button type="submit" class="button primary" disabled=pending>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New to Roster? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = expect_context::<Session>().register;
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Create account"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=action attr:class="stack" attr:aria-label="Create account">
                <FormError error/>
                <Field name="email" label="Email" kind="email" autocomplete="email"
                    maxlength=Email::MAX_LEN validate=check_email server_error=error/>
                <Field name="display_name" label="Display name" autocomplete="name"
                    hint="How other people will see you."
                    maxlength=DisplayName::MAX_CHARS validate=check_name server_error=error/>
                <Field name="password" label="Password" kind="password"
                    autocomplete="new-password" hint="At least 8 characters."
                    minlength=Password::MIN_CHARS maxlength=Password::MAX_CHARS
                    validate=check_password server_error=error/>
                <button type="submit" class="button primary" disabled=pending>
                    {move || if pending.get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
