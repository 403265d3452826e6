//! Invitations' pages: a profile's open invitations, for its managers; the page an
//! invitation's link lands on; and every invitation the profile has had, on its history.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    error_view,
    islands::{AcceptInvitationForm, InvitationRows, JoinByInvitationForm, Look},
    profiles::AccessBadge,
    query, thousands,
};
use crate::{
    domain::ProfileId,
    invitations::{
        closed_message, get_invitation, Invitation, Offer, ResendInvitation, RevokeInvitation, Standing,
    },
    paging::Page,
};

/// What the address says was just done to an invitation, for the notice above the list.
fn notice(page: &Page<Invitation>) -> Option<String> {
    let named = |key: &'static str| {
        let id = query(key).get_untracked()?.parse::<i64>().ok()?;
        Some(page.items.iter().find(|i| i.id == id).cloned())
    };
    if let Some(found) = named("invited") {
        return Some(match found {
            Some(i) => format!(
                "Invited {} as {}: they join when they accept. The link works until {}.",
                i.email,
                i.access,
                i.expires_at.minute()
            ),
            None => "Invitation sent.".into(),
        });
    }
    if let Some(found) = named("resent") {
        let to = found.map(|i| format!(" to {}", i.email)).unwrap_or_default();
        return Some(format!("Sent the invitation{to} again, with a new link; the old one no longer works."));
    }
    query("revoked_invitation")
        .get_untracked()
        .map(|_| "Invitation withdrawn: its link no longer works.".into())
}

/// What the list says when no invitation is waiting.
const NONE_WAITING: &str = "None. Adding the email of someone you can't find here invites them; they \
    count as members once they accept.";

/// A profile's open invitations, newest first, each with "send again" and "withdraw".
#[component]
pub fn InvitationsSection(profile: ProfileId, page: Page<Invitation>) -> impl IntoView {
    let said = notice(&page);
    let count = if page.more { format!("{}+", thousands(page.total)) } else { thousands(page.total) };
    let next = page.next.clone();
    let rows = page
        .items
        .into_iter()
        .map(|invitation| view! { <InvitationRow profile invitation /> })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="invitations-heading" id="invitations">
            <h2 id="invitations-heading">
                "Invitations waiting " <span class="muted" data-testid="invitation-count">
                    {format!("({count})")}
                </span>
            </h2>
            {said
                .map(|text| {
                    view! {
                        <p class="notice" role="status" data-testid="invitation-notice">
                            {text}
                        </p>
                    }
                })}
            {if page.total == 0 {
                view! { <p class="muted">{NONE_WAITING}</p> }.into_any()
            } else {
                view! {
                    <InvitationRows>
                        <table class="table" data-testid="invitations">
                            <thead>
                                <tr>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Access"</th>
                                    <th scope="col">"Invited by"</th>
                                    <th scope="col">"Invited"</th>
                                    <th scope="col">"Link works until"</th>
                                    <th scope="col">
                                        <span class="visually-hidden">"Actions"</span>
                                    </th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </InvitationRows>
                }
                    .into_any()
            }}
            {next
                .map(|after| {
                    view! {
                        <p>
                            <a href=format!("?invitations_after={after}#invitations")>"Older invitations"</a>
                        </p>
                    }
                })}
        </section>
    }
}

#[component]
fn InvitationRow(profile: ProfileId, invitation: Invitation) -> impl IntoView {
    let Invitation { id, email, access, invited_by, invited_at, sent_at, expires_at, .. } = invitation;
    let resent = (sent_at != invited_at).then(|| format!(" (sent again {})", sent_at.date()));
    view! {
        <tr id=format!("invitation-{id}")>
            <td>{email.clone()}</td>
            <td>
                <AccessBadge access />
            </td>
            <td>{invited_by.unwrap_or_else(|| "—".into())}</td>
            <td>{invited_at.date()} {resent}</td>
            <td>{expires_at.minute()}</td>
            <td>
                <form action=ResendInvitation::PATH method="post" class="inline-form">
                    <input type="hidden" name="profile" value=profile.0 />
                    <input type="hidden" name="invitation" value=id />
                    <button type="submit" class="button small" aria-label=format!("Send again to {email}")>
                        "Send again"
                    </button>
                    <button
                        type="submit"
                        class="button small danger"
                        formaction=RevokeInvitation::PATH
                        aria-label=format!("Withdraw the invitation to {email}")
                    >
                        "Withdraw"
                    </button>
                </form>
            </td>
        </tr>
    }
}

/// Every invitation the profile has had, newest first, and what became of each.
#[component]
pub fn InvitationRecords(page: Page<Invitation>, base: String) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="muted">"No one has been invited to this profile."</p> }.into_any();
    }
    let next = page.next.clone();
    view! {
        <table class="table" data-testid="invitation-records">
            <thead>
                <tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Access"</th>
                    <th scope="col">"Invited"</th>
                    <th scope="col">"What became of it"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .items
                    .into_iter()
                    .map(|i| {
                        let by = i.invited_by.clone().map(|who| format!(" by {who}")).unwrap_or_default();
                        view! {
                            <tr>
                                <td>{i.email.clone()}</td>
                                <td>
                                    <AccessBadge access=i.access />
                                </td>
                                <td>{format!("{}{by}", i.invited_at.minute())}</td>
                                <td>{i.fate()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {next
            .map(|after| {
                view! {
                    <p>
                        <a href=format!(
                            "{base}invitations_after={after}#invitations-heading",
                        )>"Older invitations"</a>
                    </p>
                }
            })}
    }
    .into_any()
}

/// Where an invitation's link lands (`/invitation?token=…`): what it offers, and the way to
/// accept it as the person stands: accept, sign in, or register.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let offer = Resource::new(|| (), {
        let token = token.clone();
        move |_| get_invitation(token.clone())
    });
    view! {
        <Title text="Invitation" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || {
                let token = token.clone();
                Suspend::new(async move {
                    match offer.await {
                        Ok(offer) => view! { <OfferView offer token /> }.into_any(),
                        Err(err) => error_view(err),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn OfferView(offer: Offer, token: String) -> impl IntoView {
    let who = offer.invited_by.clone().unwrap_or_else(|| "A manager".into());
    let (email, profile) = (offer.email.clone(), offer.profile_name.clone());
    let here = format!("/invitation?token={}", super::urlencode(&token));
    let open = !matches!(offer.standing, Standing::Closed(_));
    let next = match offer.standing {
        Standing::Invitee => view! {
            <AcceptInvitationForm look=Look::new("Accept and join", "Joining…").class("row-form")>
                <input type="hidden" name="token" value=token />
            </AcceptInvitationForm>
        }
        .into_any(),
        Standing::SomeoneElse(me) => view! {
            <p class="notice" role="status">
                {format!(
                    "You're signed in as {me}, but this invitation is for {email}. Sign out, then \
                     sign in with {email} to accept it.",
                )}
            </p>
        }
        .into_any(),
        Standing::HasAccount => view! {
            <p>{format!("An account uses {email}: sign in with it to accept.")}</p>
            <p>
                <a class="button primary" href=format!("/signin?next={}", super::urlencode(&here))>
                    "Sign in to accept"
                </a>
            </p>
        }
        .into_any(),
        Standing::NoAccount { may_register: true } => view! {
            <p>"Create your account to join. Your address is confirmed by this link."</p>
            <JoinByInvitationForm token email />
        }
        .into_any(),
        Standing::NoAccount { may_register: false } => view! {
            <p class="notice" role="status">
                {format!(
                    "New accounts can't be registered here. Ask an administrator to make an \
                     account for {email}, then follow this link again to accept.",
                )}
            </p>
        }
        .into_any(),
        Standing::Closed(outcome) => view! {
            <p class="notice" role="status" data-testid="invitation-closed">
                {closed_message(outcome)}
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card narrow">
            <h1>{format!("Join {profile}")}</h1>
            <p class="lede">
                {format!(
                    "{who} invited {} to join {profile} as a {}{}.",
                    offer.email,
                    offer.access,
                    offer
                        .membership_ends_at
                        .map(|ends| format!(", until {} (UTC)", crate::expiry::last_day(ends)))
                        .unwrap_or_default(),
                )}
            </p>
            {next}
            {open
                .then(|| {
                    view! {
                        <p class="muted">
                            {format!("This link works once, until {}.", offer.expires_at.minute())}
                        </p>
                    }
                })}
        </section>
    }
}
