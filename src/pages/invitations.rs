//! Invitations' pages: a profile's open invitations, on a tab of their own for its
//! managers; the page an invitation's link lands on; and every invitation the profile has
//! had, on its history.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    error_view,
    history::ProfileHead,
    id_or_not_found,
    islands::{AcceptInvitationForm, InvitationRows, JoinByInvitationForm, Look},
    param_id,
    profiles::{push_access_pill, AccessBadge},
    push_escaped, query, thousands,
};
use crate::{
    domain::ProfileId,
    invitations::{
        closed_message, get_invitation, list_invitations, Invitation, Offer, ResendInvitation,
        RevokeInvitation, Standing,
    },
    paging::Page,
    profiles::get_profile,
};

/// A profile's invitations tab (`/profiles/:id/invitations`): the invitations waiting, for
/// its managers. Apart from the members, so the most visited page doesn't pay for them.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    let id = param_id("id");
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let invitations = Resource::new(
        move || (id.get(), query("invitations_after").get()),
        |(id, after)| async move { list_invitations(ProfileId(id_or_not_found(id)?), None, after).await },
    );
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let profile = match profile.await {
                    Ok(profile) => profile,
                    Err(err) => return error_view(err),
                };
                let page = match invitations.await {
                    Ok(page) => page,
                    Err(err) => return error_view(err),
                };
                view! {
                    <ProfileHead profile=profile.clone() current="invitations" title="Invitations" />
                    <InvitationsSection profile=profile.id page />
                }
                    .into_any()
            })}
        </Transition>
    }
}

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
const NONE_WAITING: &str = "None. Adding, on the Members tab, the email of someone you can't find \
    there invites them; they count as members once they accept.";

/// A profile's open invitations, newest first, each with "send again" and "withdraw".
#[component]
fn InvitationsSection(profile: ProfileId, page: Page<Invitation>) -> impl IntoView {
    let said = notice(&page);
    let count = if page.more { format!("{}+", thousands(page.total)) } else { thousands(page.total) };
    let next = page.next.clone();
    let rows = invitation_rows(&page.items, profile);
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
                            <tbody inner_html=rows></tbody>
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

/// A page of open invitations as the rows of their table, written straight into a string,
/// as the member rows beside them are (`profiles::member_rows`, which says why): the
/// section sits on the most visited page, and a manager's view of a busy profile fills it.
fn invitation_rows(items: &[Invitation], profile: ProfileId) -> String {
    let mut out = String::with_capacity(items.len() * 1_000);
    let mut pid = itoa::Buffer::new();
    let pid = pid.format(profile.0);
    let (mut email, mut id) = (String::new(), itoa::Buffer::new());
    for invitation in items {
        let id = id.format(invitation.id);
        email.clear();
        push_escaped(&mut email, &invitation.email);
        push!(out, r#"<tr id="invitation-"#, id, r#""><td>"#, &email, "</td><td>");
        push_access_pill(&mut out, invitation.access);
        out.push_str("</td><td>");
        push_escaped(&mut out, invitation.invited_by.as_deref().unwrap_or("—"));
        out.push_str("</td><td>");
        invitation.invited_at.push_date(&mut out);
        if invitation.sent_at != invitation.invited_at {
            out.push_str(" (sent again ");
            invitation.sent_at.push_date(&mut out);
            out.push(')');
        }
        out.push_str("</td><td>");
        invitation.expires_at.push_minute(&mut out);
        push!(out, r#"</td><td><form action=""#, ResendInvitation::PATH);
        push!(out, r#"" method="post" class="inline-form">"#);
        push!(out, r#"<input type="hidden" name="profile" value=""#, pid, r#"">"#);
        push!(out, r#"<input type="hidden" name="invitation" value=""#, id, r#"">"#);
        push!(out, r#"<button type="submit" class="button small" aria-label="Send again to "#, &email);
        push!(out, r#"">Send again</button><button type="submit" class="button small danger" formaction=""#);
        push!(out, RevokeInvitation::PATH, r#"" aria-label="Withdraw the invitation to "#, &email);
        out.push_str(r#"">Withdraw</button></form></td></tr>"#);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::invitation_rows;
    use crate::{
        domain::{Access, ProfileId, Timestamp},
        invitations::Invitation,
        pages::tests::assert_balanced,
    };

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse().unwrap())
    }

    #[test]
    fn each_row_escapes_what_people_typed_and_offers_resend_and_withdraw() {
        let invitation = Invitation {
            id: 41,
            email: "o'brien@example.com".into(),
            access: Access::Manager,
            invited_by: Some("<Ada & co>".into()),
            invited_at: at("2026-12-01T09:30:00Z"),
            sent_at: at("2026-12-03T10:00:00Z"),
            expires_at: at("2026-12-17T10:00:00Z"),
            outcome: None,
            closed_at: None,
            closed_by: None,
        };
        let gone =
            Invitation { id: 42, invited_by: None, sent_at: invitation.invited_at, ..invitation.clone() };
        let rows = invitation_rows(&[invitation, gone], ProfileId(3));
        assert_balanced(&rows);
        let first = concat!(
            r#"<tr id="invitation-41"><td>o&#39;brien@example.com</td>"#,
            r#"<td><span class="pill manager">Manager</span></td><td>&lt;Ada &amp; co&gt;</td>"#,
            r#"<td>2026-12-01 (sent again 2026-12-03)</td><td>2026-12-17 10:00 UTC</td>"#,
            r#"<td><form action="/api/invitations/resend" method="post" class="inline-form">"#,
            r#"<input type="hidden" name="profile" value="3">"#,
            r#"<input type="hidden" name="invitation" value="41">"#,
            r#"<button type="submit" class="button small" "#,
            r#"aria-label="Send again to o&#39;brien@example.com">Send again</button>"#,
            r#"<button type="submit" class="button small danger" formaction="/api/invitations/revoke" "#,
            r#"aria-label="Withdraw the invitation to o&#39;brien@example.com">Withdraw</button>"#,
            "</form></td></tr>",
        );
        assert!(rows.starts_with(first), "{rows}");
        assert!(rows.contains(r#"<tr id="invitation-42"><td>o&#39;brien@example.com</td>"#), "{rows}");
        // Sent once, by an account that is gone: no "sent again", and a dash for who.
        let second = "<td>—</td><td>2026-12-01</td><td>2026-12-17 10:00 UTC</td>";
        assert!(rows.split("invitation-42").nth(1).is_some_and(|row| row.contains(second)), "{rows}");
    }
}
