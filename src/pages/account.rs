//! The signed-in user's own account: change the password, sign out everywhere.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{action_error, query, Field, FormError};
use crate::{app::Session, auth::ChangePassword, domain::Password};

fn check_password(raw: &str) -> Result<(), crate::error::AppError> {
    Password::parse(raw).map(drop)
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change);
    let changing = change.pending();
    let everywhere = session.sign_out_everywhere;
    let changed = query("changed");
    let done = move || changed.get().is_some() || matches!(change.value().get(), Some(Ok(())));
    view! {
        <Title text="Your account"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(user)) => view! {
                        <h1>"Your account"</h1>
                        <p class="lede">{format!("Signed in as {} <{}>", user.display_name, user.email)}</p>
                        <section class="card narrow" aria-labelledby="password-heading">
                            <h2 id="password-heading">"Change password"</h2>
                            {move || done().then(|| view! {
                                <p class="notice" role="status" data-testid="password-changed">
                                    "Password changed. You were signed out everywhere else."
                                </p>
                            })}
                            <ActionForm action=change attr:class="stack" attr:aria-label="Change password">
                                <FormError error/>
                                <Field name="current" label="Current password" kind="password"
                                    autocomplete="current-password" server_error=error/>
                                <Field name="new_password" label="New password" kind="password"
                                    autocomplete="new-password" hint="At least 8 characters."
                                    minlength=Password::MIN_CHARS maxlength=Password::MAX_CHARS
                                    validate=check_password server_error=error/>
                                <button type="submit" class="button primary" disabled=changing>
                                    {move || if changing.get() { "Changing…" } else { "Change password" }}
                                </button>
                            </ActionForm>
                        </section>
                        <section class="card narrow" aria-labelledby="everywhere-heading">
                            <h2 id="everywhere-heading">"Sign out everywhere"</h2>
                            <p class="muted">"Ends every session of this account, on every device, this one included."</p>
                            <ActionForm action=everywhere attr:aria-label="Sign out everywhere">
                                <button type="submit" class="button danger" disabled=move || everywhere.pending().get()>
                                    "Sign out everywhere"
                                </button>
                            </ActionForm>
                        </section>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <section class="card narrow">
                            <h1>"Your account"</h1>
                            <p>"Please " <a href="/signin">"sign in"</a> " to see your account."</p>
                        </section>
                    }
                    .into_any(),
                    Err(err) => super::error_view(err),
                }
            })}
        </Transition>
    }
}
