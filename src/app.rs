//! The application shell, the layout every page shares, and the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    auth::Session,
    flash::FlashData,
    pages::{
        account::AccountPage,
        auth::{ConfirmPage, ForgotPasswordPage, RegisterPage, ResetPasswordPage, SetupPage, SignInPage},
        bulk::BulkPage,
        history::{AccessOnPage, ProfileHistoryPage, WhyPage},
        home::HomePage,
        invitations::{InvitationPage, InvitationsPage},
        islands::{Look, SignOutForm},
        not_found::NotFound,
        profiles::{AllProfilesPage, MyProfilesPage, ProfileCopyPage, ProfilePage, ProfileSettingsPage},
        reauth::ConfirmPasswordPage,
        reference::ApiReferencePage,
        reviews::ReviewPage,
        roles::{RolePage, RolesPage},
        security::SecurityLogPage,
        tokens::TokensPage,
        users::{UserPage, UsersPage},
    },
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Roster: who belongs to what." />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" id="leptos" href="/pkg/roster.css" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app, rendered on the server; in the browser only its islands run (`pages::islands`).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Roster".to_string() } else { format!("{page} · Roster") }
        } />
        <FlashData />
        <Router>
            <Layout />
        </Router>
    }
}

#[component]
fn Layout() -> impl IntoView {
    let session = Session::load();
    provide_context(session);
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <Header />
        <main id="main" class="page">
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                <Route path=path!("/forgot") view=ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/confirm") view=ConfirmPage ssr=SsrMode::Async />
                <Route path=path!("/reset") view=ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/invitation") view=InvitationPage ssr=SsrMode::Async />
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                <Route path=path!("/account/tokens") view=TokensPage ssr=SsrMode::Async />
                <Route path=path!("/api/v1/docs") view=ApiReferencePage ssr=SsrMode::Async />
                <Route path=path!("/account/confirm-password") view=ConfirmPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/profiles") view=MyProfilesPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/all") view=AllProfilesPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id") view=ProfilePage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/history") view=ProfileHistoryPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/access") view=AccessOnPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/settings") view=ProfileSettingsPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/copy") view=ProfileCopyPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/why/:user") view=WhyPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/bulk/:bulk") view=BulkPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/review") view=ReviewPage ssr=SsrMode::Async />
                <Route path=path!("/profiles/:id/invitations") view=InvitationsPage ssr=SsrMode::Async />
                <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                <Route path=path!("/users/:id") view=UserPage ssr=SsrMode::Async />
                <Route path=path!("/users/:id/security") view=SecurityLogPage ssr=SsrMode::Async />
                <Route path=path!("/roles") view=RolesPage ssr=SsrMode::Async />
                <Route path=path!("/roles/:id") view=RolePage ssr=SsrMode::Async />
            </Routes>
        </main>
        <footer class="site-footer">
            <p>"Roster — who belongs to what."</p>
        </footer>
    }
}

/// A link of the top navigation, marked as the current section (`aria-current`) when the
/// page is in it: "page" on the section's own page, "true" below it.
#[component]
fn NavLink(href: &'static str, text: &'static str) -> impl IntoView {
    let path = leptos_router::hooks::use_location().pathname;
    let current = move || {
        let path = path.get();
        if path == href {
            Some("page")
        } else if path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/')) {
            Some("true")
        } else {
            None
        }
    };
    view! {
        <a href=href aria-current=current>
            {text}
        </a>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = expect_context::<Session>();
    let account = move || {
        Suspend::new(async move {
            match session.user.await {
                Ok(Some(user)) => view! {
                    <span class="nav">
                        <NavLink href="/profiles" text="My profiles" />
                        <NavLink href="/account" text="Account" />
                        {user
                            .is_admin
                            .then(|| {
                                view! {
                                    <NavLink href="/users" text="Users" />
                                    <NavLink href="/roles" text="Roles" />
                                }
                            })}
                    </span>
                    <span class="who" data-testid="signed-in-as">
                        <span class="who-label">"Signed in as "</span>
                        <a href=format!("/users/{}", user.id) title="Your page, as others see it">
                            <strong>{user.display_name}</strong>
                        </a>
                        {user.is_admin.then(|| view! { <span class="badge">"admin"</span> })}
                    </span>
                    <SignOutForm look=Look::new("Sign out", "Signing out…")
                        .class("inline-form")
                        .button("button subtle")>""</SignOutForm>
                }
                .into_any(),
                _ => view! {
                    <a class="button subtle" href="/signin">
                        "Sign in"
                    </a>
                    <a class="button" href="/register">
                        "Create account"
                    </a>
                }
                .into_any(),
            }
        })
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">
                    "R"
                </span>
                <span class="brand-name">"Roster"</span>
            </a>
            <nav class="account" aria-label="Account">
                <Transition fallback=|| ()>{account}</Transition>
            </nav>
        </header>
    }
}
