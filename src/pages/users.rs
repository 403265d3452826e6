//! The users directory (admins) and a user's page: their roles and their profiles.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    error_view,
    history::{HistoryFilter, HistoryList},
    id_or_not_found,
    islands::{
        AssignRoleForm, DeactivateUserForm, DeleteUserForm, Look, ReactivateUserForm, SendResetLinkForm,
        UnassignRows,
    },
    param_id, query,
    security::SignInSummary,
    ConfirmDelete, DangerZone, Empty, ListControls, ListQuery, Pager, Total, UndoHint,
};
use crate::{
    domain::{RoleId, UserId},
    error::AppError,
    history::{list_user_history, Entry},
    pages::profiles::ProfileTable,
    paging::Page,
    profiles::{list_user_profiles, ProfileSummary},
    roles::{list_roles, Role, UnassignRole},
    users::{get_user, list_users, HeldRole, UserRow},
};

#[component]
pub fn UsersPage() -> impl IntoView {
    let list = ListQuery::from_url();
    let users = Resource::new(
        move || (list.q.get(), list.sort.get(), list.after.get()),
        |(q, sort, after)| list_users(q, sort, after),
    );
    let deleted = query("deleted").get_untracked().is_some();
    view! {
        <Title text="Users" />
        <h1>"Users"</h1>
        {deleted
            .then(|| {
                view! {
                    <p class="notice" role="status" data-testid="account-deleted">
                        "The account was deleted."
                    </p>
                }
            })}
        <MailTrouble />
        <ListControls list label="Search users" people=true sorts=&[("name", "Name"), ("since", "Joined")] />
        <section class="card">
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(err) => error_view(err),
                        Ok(page) if page.items.is_empty() => {
                            view! {
                                <Empty>
                                    {match list.q.get_untracked() {
                                        Some(q) => format!("No user matches “{q}”."),
                                        None => "No users yet.".to_string(),
                                    }}
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => view! { <UsersTable page list /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A page of the directory.
#[component]
fn UsersTable(page: Page<UserRow>, list: ListQuery) -> impl IntoView {
    let row = |u: UserRow| {
        view! {
            <tr>
                <td class="who-cell">
                    <a href=format!("/users/{}", u.id)>{u.display_name}</a>
                </td>
                <td class="email" data-label="Email">
                    {u.email}
                </td>
                <td data-label="Joined">{u.created_at.date()}</td>
            </tr>
        }
    };
    view! {
        <Total total=page.total more=page.more noun="user" narrowed=list.narrowed() />
        <table class="table" data-testid="users">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Joined"</th>
                </tr>
            </thead>
            <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
        </table>
        <Pager next=page.next base=list.base("/users") on_later_page=list.after.get_untracked().is_some() />
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let id = param_id("id");
    let list = ListQuery::from_url();
    let action = query("action");
    let history_after = query("history_after");
    let session = expect_context::<crate::auth::Session>();
    let detail =
        Resource::new(move || id.get(), |id| async move { get_user(UserId(id_or_not_found(id)?)).await });
    let profiles = Resource::new(
        move || (id.get(), list.q.get(), list.access.get(), list.sort.get(), list.after.get()),
        |(id, q, access, sort, after)| async move {
            list_user_profiles(Some(UserId(id_or_not_found(id)?)), q, access, sort, after).await
        },
    );
    let history = Resource::new(
        move || (id.get(), action.get(), history_after.get()),
        |(id, action, after)| async move {
            let user = UserId(id_or_not_found(id)?);
            list_user_history(user, action, after).await
        },
    );
    let roles = grantable_roles(session);

    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let detail = match detail.await {
                    Ok(detail) => detail,
                    Err(err) => return error_view(err),
                };
                let me = session.user.await.ok().flatten();
                let is_admin = me.as_ref().is_some_and(|me| me.is_admin);
                let is_me = me.as_ref().is_some_and(|me| me.id == detail.user.id);
                let reauth = me.as_ref().is_some_and(|me| !me.password_recent);
                let all_roles = if is_admin { roles.await.unwrap_or_default() } else { Vec::new() };
                let user = detail.user;
                let uid = user.id;
                let (profiles, history) = (profiles.await, history.await);
                let on_later_page = history_after.get_untracked().is_some();
                view! {
                    <Title text=user.display_name.clone() />
                    <h1>{user.display_name.clone()}</h1>
                    <UserLede user=user.clone() deactivated_at=detail.deactivated_at is_me />
                    {(is_admin && !is_me)
                        .then(|| {
                            view! {
                                <AccountSection user=uid active=detail.deactivated_at.is_none() reauth />
                            }
                        })}
                    <div class="columns">
                        <UserRolesSection
                            user=uid
                            email=user.email
                            held=detail.roles
                            all_roles
                            is_admin
                            reauth
                        />
                        <UserProfilesSection user=uid profiles list />
                    </div>
                    <UserHistorySection user=uid history action on_later_page />
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// The roles one could grant: only admins may list them, so only admins ask.
fn grantable_roles(session: crate::auth::Session) -> Resource<Result<Vec<Role>, AppError>> {
    let viewer_is_admin = move || matches!(session.user.get(), Some(Ok(Some(ref me))) if me.is_admin);
    Resource::new(viewer_is_admin, |admin| async move {
        if admin {
            list_roles().await
        } else {
            Ok(Vec::new())
        }
    })
}

/// The profiles a user is on, searchable.
#[component]
fn UserProfilesSection(
    user: UserId,
    profiles: Result<Page<ProfileSummary>, AppError>,
    list: ListQuery,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="profiles-heading">
            <h2 id="profiles-heading">"Profiles"</h2>
            <ListControls
                list
                label="Search profiles"
                access=true
                sorts=&[("name", "Name"), ("since", "Since")]
            />
            <UserProfiles user profiles list />
        </section>
    }
}

/// Under a user's name: their email, when they joined, their security log, and whether their
/// account is deactivated; on the person's own page, what the page is.
#[component]
fn UserLede(user: UserRow, deactivated_at: Option<crate::domain::Timestamp>, is_me: bool) -> impl IntoView {
    let uid = user.id;
    let yours = is_me.then(|| {
        view! {
            <p class="notice" data-testid="your-page">
                "This is your page as people who share a profile with you see it. "
                "Your name, email and password are in "
                <a href="/account">"your account"</a>
                "."
            </p>
        }
    });
    view! {
        <p class="lede">
            <span class="email">{user.email}</span>
            " · joined "
            {user.created_at.date()}
            " · "
            <a href=format!("/users/{uid}/security")>"Security log"</a>
            {deactivated_at
                .map(|at| {
                    view! {
                        " · "
                        <span class="pill muted" data-testid="deactivated">
                            {format!("deactivated on {}", at.date())}
                        </span>
                    }
                })}
        </p>
        {yours}
    }
}

/// What an admin does to someone else's account: send it a password reset link, deactivate
/// or reactivate it, delete it.
#[component]
fn AccountSection(user: UserId, active: bool, reauth: bool) -> impl IntoView {
    let sent = query("reset_sent").get_untracked().is_some();
    view! {
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Account"</h2>
            <SignInSummary user />
            {sent
                .then(|| {
                    view! {
                        <p class="notice" role="status" data-testid="reset-link-sent">
                            "A link to set a new password is on its way to them. "
                            "It works once, within an hour."
                        </p>
                    }
                })}
            {active
                .then(|| {
                    view! {
                        <SendResetLinkForm look=Look::new("Send a password reset link", "Sending…")
                            .named("Send a password reset link")>
                            <input type="hidden" name="user" value=user.0 />
                        </SendResetLinkForm>
                    }
                })}
            <p class="muted">
                {if active {
                    concat!(
                        "A deactivated account can't sign in, and its sessions end at once. ",
                        "It stays on its profiles, marked as such.",
                    )
                } else {
                    "This account is deactivated: it can't sign in."
                }}
            </p>
            <ActiveToggle user active />
        </section>
        <DangerZone
            id="delete-account-heading"
            heading="Delete account"
            warning="Deleting takes the person off every profile and role, each recorded in the history, \
            which keeps naming them as a deleted account. It can't be undone."
        >
            <DeleteUserForm look=Look::new("Delete account", "Deleting…")
                .class("stack")
                .reauth(reauth)
                .named("Delete account")
                .button("button danger")>
                <ConfirmDelete id=user.0 understood=" I understand: delete this account for good" />
            </DeleteUserForm>
        </DangerZone>
    }
}

/// "Deactivate account", or "Reactivate account" for one that is.
#[component]
fn ActiveToggle(user: UserId, active: bool) -> impl IntoView {
    if active {
        view! {
            <DeactivateUserForm look=Look::new("Deactivate account", "Deactivating…")
                .named("Deactivate account")
                .button("button danger")>
                <input type="hidden" name="user" value=user.0 />
            </DeactivateUserForm>
        }
        .into_any()
    } else {
        view! {
            <ReactivateUserForm look=Look::new("Reactivate account", "Reactivating…")
                .named("Reactivate account")>
                <input type="hidden" name="user" value=user.0 />
            </ReactivateUserForm>
        }
        .into_any()
    }
}

/// A user's history on every profile and role, one kind of change when `action` asks.
#[component]
fn UserHistorySection(
    user: UserId,
    history: Result<Page<Entry>, AppError>,
    action: Memo<Option<String>>,
    on_later_page: bool,
) -> impl IntoView {
    let base = format!(
        "/users/{user}?{}",
        action.get_untracked().map(|a| format!("action={a}&")).unwrap_or_default()
    );
    view! {
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <HistoryFilter action />
            {match history {
                Err(err) => error_view(err),
                Ok(page) => view! { <HistoryList page base on_later_page show_subject=true /> }.into_any(),
            }}
        </section>
    }
}

/// A page of the profiles a user is on.
#[component]
fn UserProfiles(
    user: UserId,
    profiles: Result<Page<ProfileSummary>, AppError>,
    list: ListQuery,
) -> impl IntoView {
    match profiles {
        Err(err) => error_view(err),
        Ok(page) if page.items.is_empty() => {
            let text = if list.narrowed() { "No profiles match." } else { "Not on any profiles yet." };
            view! { <Empty>{text}</Empty> }.into_any()
        }
        Ok(page) => view! {
            <Total total=page.total noun="profile" narrowed=list.narrowed() />
            <ProfileTable profiles=page.items access_heading="Access" testid="user-profiles" />
            <Pager
                next=page.next
                base=list.base(&format!("/users/{user}"))
                on_later_page=list.after.get_untracked().is_some()
            />
        }
        .into_any(),
    }
}

/// The roles a user holds; for an admin, the ways to take one away or grant another.
#[component]
fn UserRolesSection(
    user: UserId,
    email: String,
    held: Vec<HeldRole>,
    all_roles: Vec<Role>,
    is_admin: bool,
    /// Whether granting admin would ask for the password again.
    reauth: bool,
) -> impl IntoView {
    let grantable: Vec<_> = all_roles.into_iter().filter(|r| !held.iter().any(|h| h.id == r.id)).collect();
    // The role just taken away, while it still is: offered back.
    let revoked = query("revoked")
        .get_untracked()
        .and_then(|r| r.parse::<i64>().ok())
        .and_then(|r| grantable.iter().find(|role| role.id.0 == r).cloned())
        .filter(|_| is_admin)
        .map(|role| {
            let reauth = reauth && role.name == crate::roles::ADMIN;
            view! {
                <GrantBack
                    role=role.id
                    text=format!("Took the role {} away.", role.name)
                    email=email.clone()
                    reauth
                />
            }
        });
    let held = if held.is_empty() {
        view! { <Empty>"No roles."</Empty> }.into_any()
    } else {
        let items = held.into_iter().map(|role| view! { <HeldRoleItem user role is_admin /> }).collect_view();
        view! {
            {is_admin.then(|| view! { <UndoHint>{REVOKE_HINT}</UndoHint> })}
            <UnassignRows>
                <ul class="plain-list" data-testid="user-roles">
                    {items}
                </ul>
            </UnassignRows>
        }
        .into_any()
    };
    let grant = (is_admin && !grantable.is_empty()).then(|| {
        let reauth = reauth && grantable.iter().any(|r| r.name == crate::roles::ADMIN);
        let options = grantable.into_iter().map(|r| view! { <option value=r.id.0>{r.name}</option> });
        view! {
            <AssignRoleForm look=Look::new("Grant", "Granting…")
                .id("grant")
                .class("row-form")
                .named("Grant a role")
                .reauth(reauth)>
                <input type="hidden" name="email" value=email />
                <div class="field grow">
                    <label for="grant-role">"Grant a role"</label>
                    <select id="grant-role" name="role">
                        {options.collect_view()}
                    </select>
                </div>
            </AssignRoleForm>
        }
    });
    view! {
        <section class="card" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Roles"</h2>
            {revoked}
            {held}
            {grant}
        </section>
    }
}

/// What the page says before a role is taken away: it can be given back.
pub const REVOKE_HINT: &str = "Taking a role away can be undone: the page then offers to grant it back.";

/// After a role is taken away: what happened, and the way to grant it back (from today: a
/// grant's date is when it was made).
#[component]
pub fn GrantBack(role: RoleId, text: String, email: String, reauth: bool) -> impl IntoView {
    view! {
        <div class="notice" role="status" data-testid="revoked-banner">
            <span>{text}</span>
            <AssignRoleForm look=Look::new("Grant it back", "Granting…")
                .id("grant-back")
                .class("inline-form")
                .button("button small")
                .named("Grant it back")
                .reauth(reauth)>
                <input type="hidden" name="email" value=email />
                <input type="hidden" name="role" value=role.0 />
            </AssignRoleForm>
        </div>
    }
}

/// One role a user holds: a link and a "Remove" for an admin, its name alone for them.
#[component]
fn HeldRoleItem(user: UserId, role: HeldRole, is_admin: bool) -> impl IntoView {
    let name = if is_admin {
        view! { <a href=format!("/roles/{}", role.id)>{role.name.clone()}</a> }.into_any()
    } else {
        view! { <span>{role.name.clone()}</span> }.into_any()
    };
    let remove = is_admin.then(|| {
        view! {
            <form action=UnassignRole::PATH method="post" class="inline-form">
                <input type="hidden" name="role" value=role.id.0 />
                <input type="hidden" name="user" value=user.0 />
                <input type="hidden" name="from" value="user" />
                <button type="submit" class="button small" aria-label=format!("Remove role {}", role.name)>
                    "Remove"
                </button>
            </form>
        }
    });
    view! { <li>{name} <span class="muted">" since " {role.assigned_at.date()}</span> {remove}</li> }
}

const GIVEN_UP: &str =
    "These were given up on after every retry: check the mail settings with `roster mail test`.";

/// For admins: mail that could not be delivered after every retry, when there is some.
#[component]
fn MailTrouble() -> impl IntoView {
    let status = Resource::new(|| (), |_| crate::mail_status::mail_status());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let status = status.await.ok().filter(|s| !s.failed.is_empty())?;
                Some(
                    view! {
                        <section class="card" aria-labelledby="mail-heading" data-testid="undelivered-mail">
                            <h2 id="mail-heading">"Mail that could not be delivered"</h2>
                            <p class="muted">
                                {format!("{} waiting to be sent. {GIVEN_UP}", status.waiting)}
                            </p>
                            <ul>
                                {status
                                    .failed
                                    .into_iter()
                                    .map(|m| {
                                        view! {
                                            <li>
                                                {format!(
                                                    "{} to {}: “{}”, after {} attempts: {}",
                                                    m.failed_at,
                                                    m.recipient,
                                                    m.subject,
                                                    m.attempts,
                                                    m.error,
                                                )}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    },
                )
            })}
        </Transition>
    }
}
