//! The sign-in, registration, password-reset and first-administrator pages.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use super::islands::{RegisterForm, RequestResetForm, ResetPasswordForm, SetupAdminForm, SignInForm};

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <SignInForm />
            <p class="muted">
                <a href="/forgot">"Forgot your password?"</a>
            </p>
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

/// "Forgot password": asks for the email to send a reset link to, then says one is on its
/// way, whether or not an account uses it.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let sent = use_query_map().read_untracked().get("sent").is_some();
    view! {
        <Title text="Forgot password" />
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            {if sent {
                view! {
                    <p class="notice" role="status" data-testid="reset-sent">
                        "If an account uses that address, a link to set a new password is on its way. "
                        "It works once, within an hour. Check your inbox, and your spam folder."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">
                        "Type your account's email, and we'll mail you a link to set a new password."
                    </p>
                }
                    .into_any()
            }}
            <RequestResetForm />
            <p class="muted">"Remembered it? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}

/// Where a reset link leads: a new password for the account.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Set a new password" />
        <section class="card narrow">
            <h1>"Set a new password"</h1>
            <p class="muted">"Setting it signs your account out everywhere else."</p>
            <ResetPasswordForm token />
            <p class="muted">"Link not working? " <a href="/forgot">"Ask for a new one"</a></p>
        </section>
    }
}
