//! The signed-in user's own account: change the password, sign out everywhere.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    islands::{ChangePasswordForm, Look, SignOutEverywhereForm},
    query,
};
use crate::auth::Session;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = expect_context::<Session>();
    // Where a successful change lands (`ChangePassword` redirects here).
    let changed = query("changed");
    // Where a reset link lands once used (`ResetPassword` redirects here).
    let reset = query("reset");
    view! {
        <Title text="Your account" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(user)) => {
                        view! {
                            <h1>"Your account"</h1>
                            <p class="lede">
                                {format!("Signed in as {} <{}>", user.display_name, user.email)} " · "
                                <a href=format!("/users/{}/security", user.id)>"Your security log"</a>
                            </p>
                            {reset
                                .get_untracked()
                                .is_some()
                                .then(|| {
                                    view! {
                                        <p class="notice" role="status" data-testid="password-reset">
                                            "Your new password is set. Every other session of your account has ended."
                                        </p>
                                    }
                                })}
                            <section class="card narrow" aria-labelledby="password-heading">
                                <h2 id="password-heading">"Change password"</h2>
                                {changed
                                    .get_untracked()
                                    .is_some()
                                    .then(|| {
                                        view! {
                                            <p class="notice" role="status" data-testid="password-changed">
                                                "Password changed. You were signed out everywhere else."
                                            </p>
                                        }
                                    })}
                                <ChangePasswordForm />
                            </section>
                            <section class="card narrow" aria-labelledby="everywhere-heading">
                                <h2 id="everywhere-heading">"Sign out everywhere"</h2>
                                <p class="muted">
                                    "Ends every session of this account, on every device, this one included."
                                </p>
                                <SignOutEverywhereForm look=Look::new("Sign out everywhere", "Signing out…")
                                    .named("Sign out everywhere")
                                    .button("button danger")>""</SignOutEverywhereForm>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(None) => {
                        view! {
                            <section class="card narrow">
                                <h1>"Your account"</h1>
                                <p>"Please " <a href="/signin">"sign in"</a> " to see your account."</p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(err) => super::error_view(err),
                }
            })}
        </Transition>
    }
}
