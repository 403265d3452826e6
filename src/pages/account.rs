//! The signed-in user's own account: change the password, see where they are signed in and
//! end any of those sessions, sign out everywhere.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    error_view,
    islands::{
        ChangeEmailForm, ChangeNameForm, ChangePasswordForm, DeleteMyAccountForm, Look, SessionRows,
        SignOutEverywhereForm,
    },
    query,
    security::SignInSummary,
    DangerZone, When, YourPassword,
};
use crate::auth::{list_sessions, ActiveSession, EndSession, Session};

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <Title text="Your account" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(user)) => view! { <YourAccount user /> }.into_any(),
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

/// The signed-in person's account: their password, where they are signed in, and the ways
/// out.
#[component]
fn YourAccount(user: crate::domain::SessionUser) -> impl IntoView {
    // Where a successful change lands (`ChangePassword` redirects here).
    let changed = query("changed");
    // Where a reset link lands once used (`ResetPassword` redirects here).
    let reset = query("reset");
    view! {
        <h1>"Your account"</h1>
        <p class="lede">
            {format!("Signed in as {} <{}>", user.display_name, user.email)} " · "
            <a href=format!("/users/{}", user.id)>"Your page"</a> " (as others see it) · "
            <a href=format!("/users/{}/security", user.id)>"Your security log"</a> " · "
            <a href="/account/tokens">"Access tokens"</a>
        </p>
        {reset
            .get_untracked()
            .is_some()
            .then(|| {
                view! {
                    <p class="notice" role="status" data-testid="password-reset">
                        "Your new password is set. "
                        "Every other session of your account has ended."
                    </p>
                }
            })}
        <section class="card narrow" aria-labelledby="sign-ins-heading">
            <h2 id="sign-ins-heading">"Sign-ins"</h2>
            <SignInSummary user=user.id resend_to=user.email.clone() />
        </section>
        <NameAndEmail name=user.display_name.clone() />
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
        <SessionsSection />
        <section class="card narrow" aria-labelledby="everywhere-heading">
            <h2 id="everywhere-heading">"Sign out everywhere"</h2>
            <p class="muted">"Ends every session of this account, on every device, this one included."</p>
            <SignOutEverywhereForm look=Look::new("Sign out everywhere", "Signing out…")
                .named("Sign out everywhere")
                .button("button danger")>""</SignOutEverywhereForm>
        </section>
        <DeleteMine />
    }
}

/// Where the person is signed in, each session with its browser, address and times, and a
/// button to end it.
#[component]
fn SessionsSection() -> impl IntoView {
    let sessions = Resource::new(|| (), |_| list_sessions());
    let ended = query("ended").get_untracked().is_some();
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you're signed in"</h2>
            {ended
                .then(|| {
                    view! {
                        <p class="notice" role="status" data-testid="session-ended">
                            "That session has ended."
                        </p>
                    }
                })}
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! { <SessionTable list /> }.into_any(),
                        Err(err) => error_view(err),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionTable(list: Vec<ActiveSession>) -> impl IntoView {
    let when = |t: crate::domain::Timestamp| {
        view! { <When at=t /> }
    };
    view! {
        <SessionRows>
            <table class="table" data-testid="sessions">
                <thead>
                    <tr>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|s| {
                            let end = if s.current {
                                view! { <strong>"This browser"</strong> }.into_any()
                            } else {
                                view! {
                                    <form action=EndSession::PATH method="post" class="inline-form">
                                        <input type="hidden" name="session" value=s.id.clone() />
                                        <button
                                            type="submit"
                                            class="button small"
                                            aria-label=format!("Sign out {}", s.browser)
                                        >
                                            "Sign out"
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            };
                            view! {
                                <tr data-current=s.current.then_some("true")>
                                    <td class="who-cell">{s.browser.clone()}</td>
                                    <td data-label="Address">{s.address.unwrap_or_else(|| "—".into())}</td>
                                    <td data-label="Signed in">{when(s.started)}</td>
                                    <td data-label="Last seen">{when(s.last_seen)}</td>
                                    <td>{end}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </SessionRows>
    }
}

/// Deleting one's own account: the password and a ticked box first.
#[component]
fn DeleteMine() -> impl IntoView {
    view! {
        <DangerZone
            id="delete-mine-heading"
            heading="Delete your account"
            warning="You leave every profile and role, and can't sign in again. Profiles' histories keep \
            naming you as a deleted account. If you are the last manager of a profile, make someone else \
            a manager first."
        >
            <DeleteMyAccountForm look=Look::new("Delete my account", "Deleting…")
                .class("stack")
                .named("Delete my account")
                .button("button danger")>
                <YourPassword id="delete-password" name="password" />
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required />
                    " I understand: delete my account for good"
                </label>
            </DeleteMyAccountForm>
        </DangerZone>
    }
}

/// The person's name, changed at once, and their email, changed once the new address
/// confirms it.
#[component]
fn NameAndEmail(name: String) -> impl IntoView {
    let notice = [
        ("renamed", "Your name is changed."),
        ("email_sent", "A link is on its way to your new address. Your address changes when you follow it."),
    ]
    .into_iter()
    .find(|(key, _)| query(key).get_untracked().is_some())
    .map(|(_, text)| {
        view! {
            <p class="notice" role="status" data-testid="identity-notice">
                {text}
            </p>
        }
    });
    view! {
        <section class="card narrow" aria-labelledby="identity-heading">
            <h2 id="identity-heading">"Name and email"</h2>
            {notice}
            <ChangeNameForm current=name />
            <ChangeEmailForm />
        </section>
    }
}
