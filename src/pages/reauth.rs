//! "Confirm it's you" (`crate::reauth`): the password again, then back where the person was.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    islands::{ConfirmPasswordForm, Look},
    query, YourPassword,
};
use crate::{auth::Session, reauth};

#[component]
pub fn ConfirmPasswordPage() -> impl IntoView {
    let session = expect_context::<Session>();
    // Back to the `next` the link names, else to the page the link was on.
    let next = reauth::back_to(query("next").get_untracked().or_else(referer).as_deref());
    view! {
        <Title text="Confirm it's you" />
        <section class="card narrow">
            <h1>"Confirm it's you"</h1>
            <Transition fallback=|| ()>
                {move || {
                    let next = next.clone();
                    Suspend::new(async move {
                        match session.user.await {
                            Ok(Some(_)) => {
                                view! {
                                    <p class="muted">{reauth::asking(reauth::recent_minutes())}</p>
                                    <ConfirmPasswordForm look=Look::new("Confirm", "Confirming…")
                                        .class("stack")
                                        .named("Confirm your password")
                                        .button("button primary")>
                                        <input type="hidden" name="next" value=next />
                                        <YourPassword id="password" name="password" />
                                    </ConfirmPasswordForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! { <p>"Please " <a href="/signin">"sign in"</a> " first."</p> }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The page this request came from, as the browser says (same-site pages send it whole).
fn referer() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<axum::http::request::Parts>()?;
        let value = parts.headers.get(axum::http::header::REFERER)?.to_str().ok()?;
        Some(value.to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    None
}
