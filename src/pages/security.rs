//! An account's security log (`/users/ID/security`): the person's own, or anyone's for admins.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    error_view, id_or_not_found,
    islands::{Look, ResendLinkForm},
    param_id, query, Empty, Pager, When,
};
use crate::{
    domain::{Timestamp, UserId},
    security_log::{security_log, sign_ins, SecurityEvent, SignInRecord},
    users::get_user,
};

#[component]
pub fn SecurityLogPage() -> impl IntoView {
    let id = param_id("id");
    let before = query("before");
    let session = expect_context::<crate::auth::Session>();
    let log = Resource::new(
        move || (id.get(), before.get()),
        |(id, before)| async move {
            let user = UserId(id_or_not_found(id)?);
            let detail = get_user(user).await?;
            Ok((detail.user, security_log(user, before).await?))
        },
    );
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let (user, page) = match log.await {
                    Ok(found) => found,
                    Err(err) => return error_view(err),
                };
                let mine = matches!(session.user.await, Ok(Some(ref me)) if me.id == user.id);
                let title = if mine {
                    "Your security log".to_string()
                } else {
                    format!("Security log of {}", user.display_name)
                };
                let base = format!("/users/{}/security?", user.id);
                view! {
                    <Title text=title.clone() />
                    <h1>{title}</h1>
                    <p class="lede">
                        "Sign-ins, password and email changes, reset links and more, newest first. "
                        {if mine { "Anything you don't recognise? Change your password." } else { "" }}
                    </p>
                    <section class="card">
                        {if page.items.is_empty() {
                            view! { <Empty>"Nothing logged yet."</Empty> }.into_any()
                        } else {
                            view! { <EventTable events=page.items /> }.into_any()
                        }}
                        <Pager
                            next=page.next
                            base
                            on_later_page=before.get_untracked().is_some()
                            param="before"
                        />
                    </section>
                }
                    .into_any()
            })}
        </Transition>
    }
}

#[component]
fn EventTable(events: Vec<SecurityEvent>) -> impl IntoView {
    view! {
        <table class="table" data-testid="security-log">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"From"</th>
                </tr>
            </thead>
            <tbody>
                {events
                    .into_iter()
                    .map(|e| {
                        let by = e.actor.map(|name| format!(" (by {name})")).unwrap_or_default();
                        view! {
                            <tr data-kind=e.kind.as_str()>
                                <td>
                                    <When at=e.at />
                                </td>
                                <td>{format!("{}{by}", e.kind.describe())}</td>
                                <td>{e.address.unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// An account's sign-ins in sum: how many, the newest and the one before, with their
/// addresses, and whether its address is confirmed. On the person's own page (`resend_to`
/// their address), an unconfirmed address comes with a way to mail its link again.
#[component]
pub fn SignInSummary(user: UserId, #[prop(optional)] resend_to: Option<String>) -> impl IntoView {
    let summary = Resource::new(move || user, sign_ins);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let resend_to = resend_to.clone();
                Suspend::new(async move {
                    match summary.await {
                        Ok(summary) => view! { <SignInFacts summary resend_to /> }.into_any(),
                        Err(err) => error_view(err),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn SignInFacts(summary: SignInRecord, resend_to: Option<String>) -> impl IntoView {
    let at = |when: Option<Timestamp>, address: Option<String>| match when {
        Some(when) => {
            let from = address.map(|a| format!(" from {a}")).unwrap_or_default();
            view! {
                <time datetime=when.0.to_rfc3339()>{when.minute()}</time>
                {from}
            }
            .into_any()
        }
        None => view! { "never" }.into_any(),
    };
    let times = match summary.count {
        0 => "never".to_string(),
        1 => "once".to_string(),
        n => format!("{n} times"),
    };
    let resend = resend_to.filter(|_| !summary.email_confirmed).map(|email| {
        view! {
            <p class="notice" role="status" data-testid="unconfirmed">
                "Your email address isn't confirmed yet: use the link we mailed to it."
            </p>
            <ResendLinkForm look=Look::new("Mail the link again", "Sending…").named("Mail the link again")>
                <input type="hidden" name="email" value=email />
            </ResendLinkForm>
        }
    });
    view! {
        <dl class="facts" data-testid="sign-ins">
            <dt>"Signed in"</dt>
            <dd>{times}</dd>
            <dt>"Latest sign-in"</dt>
            <dd>{at(summary.current_at, summary.current_address)}</dd>
            <dt>"The one before"</dt>
            <dd>{at(summary.last_at, summary.last_address)}</dd>
            <dt>"Email address"</dt>
            <dd data-testid="email-state">
                {if summary.email_confirmed { "confirmed" } else { "not confirmed yet" }}
            </dd>
        </dl>
        {resend}
    }
}
