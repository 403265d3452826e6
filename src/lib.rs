//! Roster: who belongs to what. Users, roles and shared profiles, linked many-to-many.
//!
//! The same crate builds the server (feature `ssr`) and the browser bundle (`hydrate`).
//! Each resource's module owns its shared types and server functions, with its queries in
//! an `ssr` submodule; pages live in `pages`, the server's wiring in `server`.

pub mod app;
pub mod auth;
pub mod bulk;
pub mod domain;
pub mod error;
pub mod history;
pub mod memberships;
pub mod pages;
pub mod paging;
pub mod profiles;
pub mod roles;
pub mod users;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
