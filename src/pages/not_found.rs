//! The page for any address Roster doesn't know, answered with status 404.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="card narrow center">
            <h1>"Not found"</h1>
            <p>"There is nothing here, or you don't have access to it."</p>
            <p>
                <a class="button" href="/">
                    "Go to the home page"
                </a>
            </p>
        </section>
    }
}
