//! The roles admins manage: the list, and a role's page with its holders.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    error_view,
    history::{HistoryList, SubjectChanges},
    id_or_not_found,
    islands::{AssignRoleForm, CreateRoleForm, DeleteRoleForm, Look, UnassignRows, UpdateRoleForm},
    param_id, query, ConfirmDelete, DangerZone, Empty, ListControls, ListQuery, Pager, Total, UndoHint,
};
use crate::{
    domain::{RoleId, UserId},
    error::AppError,
    history::{list_role_changes, list_role_history, Entry, SubjectEntry},
    pages::{
        profiles::{NameAndDescription, NewNameAndDescription},
        users::{GrantBack, REVOKE_HINT},
    },
    paging::Page,
    roles::{get_role, list_holders, list_roles, Holder, Role, UnassignRole, DESCRIPTION_MAX, NAME_MAX},
};

#[component]
pub fn RolesPage() -> impl IntoView {
    let roles = Resource::new(|| (), |_| list_roles());
    view! {
        <Title text="Roles" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match roles.await {
                    Err(err) => error_view(err),
                    Ok(roles) => {
                        // Only admins see roles, and only they get the form to make one.
                        view! { <RolesBody roles /> }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// What roles are for, every role, and the form for a new one.
#[component]
fn RolesBody(roles: Vec<Role>) -> impl IntoView {
    view! {
        <h1>"Roles"</h1>
        <p class="lede">
            "A role is a label for what someone is across the organisation, such as auditor or "
            "mentor, held until an admin takes it away; each grant and removal is in the role's "
            "history. Roles grant nothing inside Roster except " <strong>"admin"</strong>
            ", which may see and change everything. Profiles decide who is on them."
        </p>
        <div class="columns">
            <section class="card" aria-labelledby="all-roles-heading">
                <h2 id="all-roles-heading">"All roles"</h2>
                {if roles.is_empty() {
                    view! { <Empty>"No roles yet."</Empty> }.into_any()
                } else {
                    view! { <RolesTable roles /> }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="new-role-heading">
                <h2 id="new-role-heading">"New role"</h2>
                <CreateRoleForm look=Look::new("Create role", "Creating…")
                    .class("stack")
                    .named("New role")
                    .button("button primary")>
                    <NewNameAndDescription limits=(NAME_MAX, DESCRIPTION_MAX) />
                </CreateRoleForm>
            </section>
        </div>
    }
}

#[component]
fn RolesTable(roles: Vec<Role>) -> impl IntoView {
    let row = |r: Role| {
        view! {
            <tr>
                <td class="who-cell">
                    <a href=format!("/roles/{}", r.id)>{r.name}</a>
                </td>
                <td class="lines" data-label="Description">
                    {r.description}
                </td>
                <td class="num" data-label="Holders">
                    {r.holder_count}
                </td>
            </tr>
        }
    };
    view! {
        <table class="table" data-testid="roles">
            <thead>
                <tr>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">
                        "Holders"
                    </th>
                </tr>
            </thead>
            <tbody>{roles.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}

#[component]
pub fn RolePage() -> impl IntoView {
    let session = expect_context::<crate::auth::Session>();
    let id = param_id("id");
    let list = ListQuery::from_url();
    let role =
        Resource::new(move || id.get(), |id| async move { get_role(RoleId(id_or_not_found(id)?)).await });
    let holders = Resource::new(
        move || (id.get(), list.q.get(), list.sort.get(), list.after.get()),
        |(id, q, sort, after)| async move {
            let role = RoleId(id_or_not_found(id)?);
            list_holders(role, q, sort, after).await
        },
    );
    let history_after = query("history_after");
    let history = Resource::new(
        move || (id.get(), history_after.get()),
        |(id, after)| async move { list_role_history(RoleId(id_or_not_found(id)?), after).await },
    );
    let changes = Resource::new(
        move || id.get(),
        |id| async move { list_role_changes(RoleId(id_or_not_found(id)?)).await },
    );
    // The person the role was just taken from, to offer it back.
    let revoked = query("revoked").get_untracked().and_then(|r| r.parse::<i64>().ok()).map(|user| {
        Resource::new(|| (), move |_| async move { crate::users::get_user(UserId(user)).await.ok() })
    });

    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let role = match role.await {
                    Ok(role) => role,
                    Err(err) => return error_view(err),
                };
                let rid = role.id;
                let me = session.user.await.ok().flatten();
                let reauth = role.name == crate::roles::ADMIN && me.is_some_and(|me| !me.password_recent);
                let (holders, history, changes) = (holders.await, history.await, changes.await);
                let revoked = match revoked {
                    Some(revoked) => revoked.await,
                    None => None,
                };
                let revoked = revoked
                    .filter(|u| !u.roles.iter().any(|held| held.id == rid))
                    .map(|u| {
                        let text = format!("Took this role from {}.", u.user.display_name);
                        view! { <GrantBack role=rid text email=u.user.email reauth /> }
                    });
                let on_later_page = history_after.get_untracked().is_some();
                view! {
                    <Title text=format!("Role {}", role.name) />
                    <p class="crumbs">
                        <a href="/roles">"Roles"</a>
                    </p>
                    <h1>{role.name.clone()}</h1>
                    {(!role.description.is_empty())
                        .then(|| view! { <p class="lede lines">{role.description.clone()}</p> })}
                    <p class="muted">
                        <span data-testid="holder-count">{role.holder_count}</span>
                        {if role.holder_count == 1 { " holder" } else { " holders" }}
                    </p>
                    {revoked}
                    <HoldersSection role=rid holders list reauth />
                    <section class="card" aria-labelledby="edit-role-heading">
                        <h2 id="edit-role-heading">"Edit role"</h2>
                        <UpdateRoleForm look=Look::new("Save changes", "Saving…")
                            .class("stack")
                            .named("Edit role")>
                            <input type="hidden" name="id" value=rid.0 />
                            <NameAndDescription
                                name=role.name
                                description=role.description
                                limits=(NAME_MAX, DESCRIPTION_MAX)
                            />
                        </UpdateRoleForm>
                    </section>
                    <RoleHistorySection role=rid history changes on_later_page />
                    <DeleteRoleSection role=rid />
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// Who holds a role, and the way to grant it.
#[component]
fn HoldersSection(
    role: RoleId,
    holders: Result<Page<Holder>, AppError>,
    list: ListQuery,
    /// Whether granting this role asks for the password again (it is admin).
    reauth: bool,
) -> impl IntoView {
    let holders = match holders {
        Err(err) => error_view(err),
        Ok(page) if page.items.is_empty() => {
            let text = if list.narrowed() { "No holders match." } else { "No one holds this role yet." };
            view! { <Empty>{text}</Empty> }.into_any()
        }
        Ok(page) => view! {
            <Total total=page.total more=page.more noun="holder" narrowed=list.narrowed() />
            <UndoHint>{REVOKE_HINT}</UndoHint>
            <UnassignRows>
                <HoldersTable role holders=page.items />
            </UnassignRows>
            <Pager
                next=page.next
                base=list.base(&format!("/roles/{role}"))
                on_later_page=list.after.get_untracked().is_some()
            />
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="holders-heading">
            <h2 id="holders-heading">"Holders"</h2>
            <AssignRoleForm look=Look::new("Grant", "Granting…")
                .id("grant")
                .class("row-form")
                .named("Grant this role")
                .button("button primary")
                .reauth(reauth)>
                <input type="hidden" name="role" value=role.0 />
                <div class="field grow">
                    <label for="assign-email">"Grant to (email)"</label>
                    <input id="assign-email" name="email" type="email" required autocomplete="off" />
                </div>
            </AssignRoleForm>
            <ListControls
                list
                label="Search holders"
                people=true
                sorts=&[("name", "Name"), ("since", "Since")]
            />
            {holders}
        </section>
    }
}

#[component]
fn HoldersTable(role: RoleId, holders: Vec<Holder>) -> impl IntoView {
    let row = move |h: Holder| {
        let name = h.display_name.clone();
        view! {
            <tr>
                <td class="who-cell">
                    <a href=format!("/users/{}", h.user_id)>{h.display_name}</a>
                </td>
                <td class="email" data-label="Email">
                    {h.email}
                </td>
                <td data-label="Since">{h.assigned_at.date()}</td>
                <td class="row-actions">
                    <form action=UnassignRole::PATH method="post" class="inline-form">
                        <input type="hidden" name="role" value=role.0 />
                        <input type="hidden" name="user" value=h.user_id.0 />
                        <input type="hidden" name="from" value="role" />
                        <button
                            type="submit"
                            class="button small"
                            aria-label=format!("Remove this role from {name}")
                        >
                            "Remove"
                        </button>
                    </form>
                </td>
            </tr>
        }
    };
    view! {
        <table class="table" data-testid="holders">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Since"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{holders.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}

/// Who was granted the role or lost it, and what happened to the role itself.
#[component]
fn RoleHistorySection(
    role: RoleId,
    history: Result<Page<Entry>, AppError>,
    changes: Result<Vec<SubjectEntry>, AppError>,
    on_later_page: bool,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="role-history-heading">
            <h2 id="role-history-heading">"History"</h2>
            {match history {
                Ok(page) => {
                    view! {
                        <HistoryList page base=format!("/roles/{role}?") on_later_page show_subject=false />
                    }
                        .into_any()
                }
                Err(err) => error_view(err),
            }}
            <h3>"Changes to the role"</h3>
            {match changes {
                Ok(changes) => view! { <SubjectChanges changes /> }.into_any(),
                Err(err) => error_view(err),
            }}
        </section>
    }
}

#[component]
fn DeleteRoleSection(role: RoleId) -> impl IntoView {
    view! {
        <DangerZone
            id="delete-role-heading"
            heading="Delete role"
            warning="Deleting removes the role from everyone who holds it. \
            The history keeps a record of both."
        >
            <DeleteRoleForm look=Look::new("Delete role", "Deleting…")
                .class("stack")
                .named("Delete role")
                .button("button danger")>
                <ConfirmDelete
                    id=role.0
                    understood=" I understand: delete this role and take it from everyone who holds it"
                />
            </DeleteRoleForm>
        </DangerZone>
    }
}
