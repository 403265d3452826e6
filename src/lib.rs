//! Roster: who belongs to what. Users, roles and shared profiles, linked many-to-many.
//!
//! The same crate builds the server (feature `ssr`) and the browser bundle (`hydrate`).
//! Each resource's module owns its shared types and server functions, with its queries in
//! an `ssr` submodule; pages live in `pages`, the server's wiring in `server`.

// Without `--cfg erase_components` (as `cargo test` builds it), a page's view is one deeply
// nested type, and the compiler needs more room to lay out the biggest.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod api;
pub mod api_tokens;
pub mod app;
pub mod auth;
pub mod bulk;
pub mod confirmation;
pub mod domain;
pub mod error;
pub mod expiry;
pub mod export;
pub mod flash;
pub mod history;
pub mod identity;
pub mod invitations;
pub mod lifecycle;
pub mod mail_status;
pub mod memberships;
pub mod pages;
pub mod paging;
pub mod profiles;
pub mod provisioning;
pub mod reauth;
pub mod recovery;
pub mod reference;
pub mod reviews;
pub mod roles;
#[cfg(feature = "ssr")]
pub mod scim;
pub mod security_log;
pub mod users;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point, run before the page's islands (`pages::islands`) come to life.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;

    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    pages::islands::follow_redirects();
    // A form posted before the WASM arrived came back with its error: the server showed it
    // in the form's island, so the island must find it too.
    flash::provide_from_page();
    // Mark the page as live, so tests (and curious people) can tell it from plain HTML.
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
