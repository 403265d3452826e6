//! The sign-in, registration, password-reset and first-administrator pages.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use super::islands::{
    ConfirmEmailForm, Look, RegisterForm, RequestResetForm, ResendConfirmationForm, ResetPasswordForm,
    SetupAdminForm, SignInForm,
};
use crate::confirmation::{registration_rules, Rules};

#[component]
pub fn SignInPage() -> impl IntoView {
    // Where to go once signed in, such as the invitation that asked to sign in first.
    let next = use_query_map().read_untracked().get("next").filter(|n| crate::auth::local_path(n).is_some());
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <SignInForm next />
            <p class="muted">
                <a href="/forgot">"Forgot your password?"</a>
            </p>
            <p class="muted">"New to Roster? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let rules = Resource::new(|| (), |_| registration_rules());
    let sent = use_query_map().read_untracked().get("sent").is_some();
    view! {
        <Title text="Create account" />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Ok(rules) => register_body(rules, sent),
                        Err(err) => super::error_view(err),
                    }
                })}
            </Transition>
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}

/// The registration form as the rules allow, or what they say instead.
fn register_body(rules: Rules, sent: bool) -> AnyView {
    if sent {
        return view! {
            <p class="notice" role="status" data-testid="registration-sent">
                "Check your inbox: we've mailed you a link to confirm your address. "
                "Your account opens when you follow it, within 48 hours."
            </p>
            <p class="muted">"No mail? " <a href="/confirm">"Send the link again"</a></p>
        }
        .into_any();
    }
    if !rules.open {
        return view! {
            <p class="notice" data-testid="registration-closed">
                "New accounts can't be registered here: ask an administrator for one."
            </p>
        }
        .into_any();
    }
    let domains = (!rules.domains.is_empty()).then(|| {
        let list = rules.domains.iter().map(|d| format!("@{d}")).collect::<Vec<_>>().join(", ");
        view! { <p class="muted">{format!("Only addresses at {list} may register here.")}</p> }
    });
    let confirm = rules
        .confirm_first
        .then(|| view! { <p class="muted">"We'll mail you a link to confirm your address first."</p> });
    view! {
        {domains}
        {confirm}
        <RegisterForm />
    }
    .into_any()
}

/// Where confirmation links lead, and where to ask for a new one.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let query = use_query_map().read_untracked();
    let token = query.get("token");
    let notice = [
        ("pending", "Your address isn't confirmed yet: follow the link we mailed you when you registered."),
        ("sent", "If a registration waits for that address, a new link is on its way."),
        ("confirmed", "Your address is confirmed. Thank you!"),
        ("moved", "Your account uses its new address now. Sign in with it from now on."),
    ]
    .into_iter()
    .find(|(key, _)| query.get(key).is_some())
    .map(|(_, text)| {
        view! {
            <p class="notice" role="status" data-testid="confirm-notice">
                {text}
            </p>
        }
    });
    view! {
        <Title text="Confirm your address" />
        <section class="card narrow">
            <h1>"Confirm your address"</h1>
            {notice}
            {match token {
                Some(token) => {
                    view! {
                        <ConfirmEmailForm look=Look::new("Confirm my address", "Confirming…")
                            .named("Confirm my address")
                            .button("button primary")>
                            <input type="hidden" name="token" value=token />
                        </ConfirmEmailForm>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="muted">"Lost the link, or did it expire? We'll mail you a new one."</p>
                        <ResendConfirmationForm />
                    }
                        .into_any()
                }
            }}
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
