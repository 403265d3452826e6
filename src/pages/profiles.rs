//! "My profiles" and a profile's own page: its people, and for managers the ways to change it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    action_error, error_view, errors_of, id_or_not_found, param_id, query, Empty, Field, FormError, Pager,
};
use crate::{
    domain::{Access, ProfileId},
    memberships::{list_members, AddMember, ChangeAccess, LeaveProfile, RemoveMember},
    profiles::{
        get_profile, list_user_profiles, CreateProfile, DeleteProfile, UpdateProfile, DESCRIPTION_MAX,
        NAME_MAX,
    },
};

#[component]
pub fn MyProfilesPage() -> impl IntoView {
    let create = ServerAction::<CreateProfile>::new();
    let after = query("after");
    let profiles = Resource::new(
        move || (after.get(), create.version().get()),
        |(after, _)| list_user_profiles(None, after),
    );
    let error = action_error(create);
    let pending = create.pending();
    let session = expect_context::<crate::app::Session>();
    // Signed out, the whole page is the way to sign in, not a form that can't be used.
    let page = move || {
        view! {
            <h1>"My profiles"</h1>
            <div class="columns">
                <section class="card" aria-labelledby="my-profiles-heading">
                    <h2 id="my-profiles-heading">"Profiles you are on"</h2>
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match profiles.await {
                                Err(err) => error_view(err),
                                Ok(page) if page.items.is_empty() => view! {
                                    <Empty>"You are not on any profiles yet. Create one, or ask a manager to add you."</Empty>
                                }.into_any(),
                                Ok(page) => view! {
                                    <ProfileTable profiles=page.items access_heading="Your access" testid="my-profiles"/>
                                    <Pager next=page.next base="/profiles?" on_later_page=after.get_untracked().is_some()/>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                </section>
                <section class="card" aria-labelledby="new-profile-heading">
                    <h2 id="new-profile-heading">"New profile"</h2>
                    <p class="muted">"A team, project or class. You will be its first manager."</p>
                    <ActionForm action=create attr:class="stack" attr:aria-label="New profile">
                        <FormError error/>
                        <Field name="name" label="Name" maxlength=NAME_MAX server_error=error/>
                        <TextArea name="description" label="Description (optional)" max=DESCRIPTION_MAX value=String::new() server_error=error/>
                        <button type="submit" class="button primary" disabled=pending>
                            {move || if pending.get() { "Creating…" } else { "Create profile" }}
                        </button>
                    </ActionForm>
                </section>
            </div>
        }
    };
    view! {
        <Title text="My profiles"/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(_)) => page().into_any(),
                    _ => error_view(crate::error::AppError::sign_in_required()),
                }
            })}
        </Transition>
    }
}

/// Profiles with someone's access to each and the member count: "My profiles", a user's page.
#[component]
pub fn ProfileTable(
    profiles: Vec<crate::profiles::ProfileSummary>,
    access_heading: &'static str,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <table class="table" data-testid=testid>
            <thead><tr><th scope="col">"Profile"</th><th scope="col">{access_heading}</th><th scope="col" class="num">"Members"</th></tr></thead>
            <tbody>
                {profiles.into_iter().map(|p| view! {
                    <tr>
                        <td><a href=format!("/profiles/{}", p.id)>{p.name}</a></td>
                        <td><AccessBadge access=p.access/></td>
                        <td class="num">{p.member_count}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn AccessBadge(access: Access) -> impl IntoView {
    let class = match access {
        Access::Manager => "pill manager",
        Access::Member => "pill",
    };
    view! { <span class=class>{access.label()}</span> }
}

/// A labelled, optional textarea with its server error line.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    max: usize,
    value: String,
    #[prop(into)] server_error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let message = move || server_error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let error_id = format!("{name}-error");
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <textarea id=name name=name rows="3" maxlength=max aria-describedby=error_id.clone()>{value}</textarea>
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let id = param_id("id");
    let after = query("after");
    let update = ServerAction::<UpdateProfile>::new();
    let delete = ServerAction::<DeleteProfile>::new();
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeAccess>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let leave = ServerAction::<LeaveProfile>::new();
    let changed =
        move || (update.version().get(), add.version().get(), change.version().get(), remove.version().get());
    let profile = Resource::new(
        move || (id.get(), changed()),
        |(id, _)| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let members = Resource::new(
        move || (id.get(), after.get(), changed()),
        |(id, after, _)| async move { list_members(ProfileId(id_or_not_found(id)?), after).await },
    );
    let member_error =
        errors_of(vec![action_error(add), action_error(change), action_error(remove), action_error(leave)]);
    let update_error = action_error(update);
    let delete_error = action_error(delete);

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let profile = match profile.await {
                    Ok(profile) => profile,
                    Err(err) => return error_view(err),
                };
                let pid = profile.id;
                let can_manage = profile.can_manage;
                let members_view = match members.await {
                    Err(err) => error_view(err),
                    Ok(page) => view! {
                        <table class="table" data-testid="members">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Access"</th>
                                <th scope="col">"Since"</th><th scope="col">"Added by"</th>
                                {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr></thead>
                            <tbody>
                                {page.items.into_iter().map(|m| {
                                    let (flip_to, flip_label) = match m.access {
                                        Access::Manager => (Access::Member, "Make member"),
                                        Access::Member => (Access::Manager, "Make manager"),
                                    };
                                    let flip_aria = format!("{flip_label}: {}", m.display_name);
                                    let remove_aria = format!("Remove {}", m.display_name);
                                    view! {
                                        <tr>
                                            <td>{m.display_name}</td>
                                            <td class="email">{m.email}</td>
                                            <td><AccessBadge access=m.access/></td>
                                            <td><time datetime=m.added_at.0.to_rfc3339()>{m.added_at.date()}</time></td>
                                            <td>{m.added_by.unwrap_or_else(|| "—".into())}</td>
                                            {can_manage.then(|| view! {
                                                <td class="row-actions">
                                                    <ActionForm action=change attr:class="inline-form">
                                                        <input type="hidden" name="profile" value=pid.0/>
                                                        <input type="hidden" name="user" value=m.user_id.0/>
                                                        <input type="hidden" name="access" value=flip_to.as_str()/>
                                                        <button type="submit" class="button small" aria-label=flip_aria
                                                            disabled=move || change.pending().get()>{flip_label}</button>
                                                    </ActionForm>
                                                    <ActionForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="profile" value=pid.0/>
                                                        <input type="hidden" name="user" value=m.user_id.0/>
                                                        <button type="submit" class="button small danger" aria-label=remove_aria
                                                            disabled=move || remove.pending().get()>"Remove"</button>
                                                    </ActionForm>
                                                </td>
                                            })}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager next=page.next base=format!("/profiles/{pid}?") on_later_page=after.get_untracked().is_some()/>
                    }.into_any(),
                };
                view! {
                    <Title text=profile.name.clone()/>
                    <p class="crumbs"><a href="/profiles">"My profiles"</a></p>
                    <h1>{profile.name.clone()}</h1>
                    {(!profile.description.is_empty()).then(|| view! { <p class="lede">{profile.description.clone()}</p> })}
                    <p class="muted" data-testid="profile-facts">
                        <span data-testid="member-count">{profile.member_count}</span>
                        {if profile.member_count == 1 { " member" } else { " members" }}
                        {profile.my_access.map(|a| format!(" · You are a {}", a.as_str()))}
                    </p>

                    <section class="card" aria-labelledby="members-heading">
                        <h2 id="members-heading">"Members"</h2>
                        <FormError error=member_error all=true/>
                        {can_manage.then(|| view! {
                            <ActionForm action=add attr:class="row-form" attr:aria-label="Add a member">
                                <input type="hidden" name="profile" value=pid.0/>
                                <div class="field grow">
                                    <label for="add-email">"Email of the person to add"</label>
                                    <input id="add-email" name="email" type="email" required autocomplete="off"/>
                                </div>
                                <div class="field">
                                    <label for="add-access">"As"</label>
                                    <select id="add-access" name="access">
                                        <option value="member" selected>"Member"</option>
                                        <option value="manager">"Manager"</option>
                                    </select>
                                </div>
                                <button type="submit" class="button primary" disabled=move || add.pending().get()>
                                    {move || if add.pending().get() { "Adding…" } else { "Add" }}
                                </button>
                            </ActionForm>
                        })}
                        {members_view}
                    </section>

                    {can_manage.then(|| view! {
                        <section class="card" aria-labelledby="edit-heading">
                            <h2 id="edit-heading">"Edit profile"</h2>
                            <ActionForm action=update attr:class="stack" attr:aria-label="Edit profile">
                                <FormError error=update_error/>
                                <input type="hidden" name="id" value=pid.0/>
                                <div class="field">
                                    <label for="name">"Name"</label>
                                    <input id="name" name="name" required maxlength=NAME_MAX value=profile.name.clone()/>
                                </div>
                                <TextArea name="description" label="Description" max=DESCRIPTION_MAX value=profile.description.clone() server_error=update_error/>
                                <button type="submit" class="button" disabled=move || update.pending().get()>
                                    {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                                </button>
                            </ActionForm>
                        </section>
                    })}

                    {profile.my_access.is_some().then(|| view! {
                        <section class="card" aria-labelledby="leave-heading">
                            <h2 id="leave-heading">"Leave"</h2>
                            <ActionForm action=leave attr:aria-label="Leave this profile">
                                <input type="hidden" name="profile" value=pid.0/>
                                <button type="submit" class="button" disabled=move || leave.pending().get()>"Leave this profile"</button>
                            </ActionForm>
                        </section>
                    })}

                    {can_manage.then(|| view! {
                        <section class="card danger-zone" aria-labelledby="delete-heading">
                            <h2 id="delete-heading">"Delete profile"</h2>
                            <p>"Deleting removes the profile and every membership on it. This can't be undone."</p>
                            <ActionForm action=delete attr:class="stack" attr:aria-label="Delete profile">
                                <FormError error=delete_error all=true/>
                                <input type="hidden" name="id" value=pid.0/>
                                <label class="check">
                                    <input type="checkbox" name="confirm" value="yes" required/>
                                    " I understand: delete this profile and its memberships"
                                </label>
                                <button type="submit" class="button danger" disabled=move || delete.pending().get()>"Delete profile"</button>
                            </ActionForm>
                        </section>
                    })}
                }.into_any()
            })}
        </Transition>
    }
}
