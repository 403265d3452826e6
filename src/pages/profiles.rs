//! "My profiles" and a profile's own page: its people, and for managers the ways to change it.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::thousands;
use super::{
    error_view,
    history::{ProfileHead, ProfileTabs},
    id_or_not_found,
    islands::{
        BulkAddForm, BulkChangeForm, BulkCopyForm, CreateProfileForm, DeleteProfileForm, ImportForm,
        LeaveProfileForm, LinkProviderForm, Look, MemberPicker, MemberRows, ReleaseProviderForm, TickedCount,
        UndoForm, UpdateProfileForm, BULK_BAR, BULK_COUNT, TICK_PAGE,
    },
    param_id, push_escaped, query, AccessChoice, ConfirmDelete, DangerZone, DownloadLink, Empty, Field,
    ListControls, ListQuery, Pager, Suggested, Total, UndoHint,
};
use crate::{
    bulk::MAX_ROWS,
    domain::{Access, ProfileId},
    error::AppError,
    export::Export,
    history::{get_entry, Entry},
    memberships::{list_members, AddMember, ChangeAccess, Member, RemoveMember},
    paging::Page,
    profiles::{
        get_profile, list_all_profiles, list_user_profiles, ProfileDetail, ProfileListing, ProfileSummary,
        DESCRIPTION_MAX, NAME_MAX,
    },
    users::{suggest_users, Suggestion},
};

#[component]
pub fn MyProfilesPage() -> impl IntoView {
    let list = ListQuery::from_url();
    let profiles = Resource::new(
        move || (list.q.get(), list.access.get(), list.sort.get(), list.after.get()),
        |(q, access, sort, after)| list_user_profiles(None, q, access, sort, after),
    );
    let session = expect_context::<crate::auth::Session>();
    // Signed out, the whole page is the way to sign in, not a form that can't be used.
    let page = move |admin: bool| {
        view! {
            <h1>"My profiles"</h1>
            {admin
                .then(|| {
                    view! {
                        <p class="muted">
                            "As an admin you can also see " <a href="/profiles/all">"all profiles"</a> "."
                        </p>
                    }
                })}
            <div class="columns">
                <section class="card" aria-labelledby="my-profiles-heading">
                    <h2 id="my-profiles-heading">"Profiles you are on"</h2>
                    <ListControls
                        list
                        label="Search your profiles"
                        access=true
                        sorts=&[("name", "Name"), ("since", "Since")]
                    />
                    <Transition fallback=|| {
                        view! { <p class="muted">"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            view! { <MyProfilesList profiles=profiles.await list /> }
                        })}
                    </Transition>
                </section>
                <section class="card" aria-labelledby="new-profile-heading">
                    <h2 id="new-profile-heading">"New profile"</h2>
                    <p class="muted">"A team, project or class. You will be its first manager."</p>
                    <CreateProfileForm look=Look::new("Create profile", "Creating…")
                        .class("stack")
                        .named("New profile")
                        .button("button primary")>
                        <NewNameAndDescription limits=(NAME_MAX, DESCRIPTION_MAX) />
                    </CreateProfileForm>
                </section>
            </div>
        }
    };
    view! {
        <Title text="My profiles" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(me)) => page(me.is_admin).into_any(),
                    _ => error_view(crate::error::AppError::sign_in_required()),
                }
            })}
        </Transition>
    }
}

/// Every profile, for admins: searched by name, sorted by name or by when it was made.
#[component]
pub fn AllProfilesPage() -> impl IntoView {
    let list = ListQuery::from_url();
    let profiles = Resource::new(
        move || (list.q.get(), list.sort.get(), list.after.get()),
        |(q, sort, after)| list_all_profiles(q, sort, after),
    );
    view! {
        <Title text="All profiles" />
        <h1>"All profiles"</h1>
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match profiles.await {
                    Err(err) => error_view(err),
                    Ok(page) => {
                        view! {
                            <p class="muted">
                                "Every profile, whoever is on it. "
                                <a href="/profiles">"Your own profiles"</a> " are listed apart."
                            </p>
                            <ListControls
                                list
                                label="Search all profiles"
                                sorts=&[("name", "Name"), ("since", "Created")]
                            />
                            <section class="card">
                                <AllProfilesList page list />
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A page of every profile, each with its size and who made it when.
#[component]
fn AllProfilesList(page: Page<ProfileListing>, list: ListQuery) -> impl IntoView {
    if page.items.is_empty() {
        let text = match list.q.get_untracked() {
            Some(q) => format!("No profile's name starts with “{q}”."),
            None => "No profiles yet.".to_owned(),
        };
        return view! { <Empty>{text}</Empty> }.into_any();
    }
    let row = |p: ProfileListing| {
        let made = match p.created_by {
            Some(by) => format!("{} by {by}", p.created_at.date()),
            None => p.created_at.date().to_string(),
        };
        view! {
            <tr>
                <td class="who-cell">
                    <a href=format!("/profiles/{}", p.id)>{p.name}</a>
                </td>
                <td class="num" data-label="Members">
                    {super::thousands(p.member_count)}
                </td>
                <td data-label="Created">{made}</td>
            </tr>
        }
    };
    view! {
        <Total total=page.total more=page.more noun="profile" narrowed=list.narrowed() />
        <table class="table" data-testid="all-profiles">
            <thead>
                <tr>
                    <th scope="col">"Profile"</th>
                    <th scope="col" class="num">
                        "Members"
                    </th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
        </table>
        <Pager
            next=page.next
            base=list.base("/profiles/all")
            on_later_page=list.after.get_untracked().is_some()
        />
    }
    .into_any()
}

/// A page of the profiles one is on, or what to do without any.
#[component]
fn MyProfilesList(profiles: Result<Page<ProfileSummary>, AppError>, list: ListQuery) -> impl IntoView {
    match profiles {
        Err(err) => error_view(err),
        Ok(page) if page.items.is_empty() && list.narrowed() => {
            view! { <Empty>"None of your profiles match."</Empty> }.into_any()
        }
        Ok(page) if page.items.is_empty() => {
            let text = "You are not on any profiles yet. Create one, or ask a manager to add you.";
            view! { <Empty>{text}</Empty> }.into_any()
        }
        Ok(page) => view! {
            <Total total=page.total noun="profile" narrowed=list.narrowed() />
            <ProfileTable profiles=page.items access_heading="Your access" testid="my-profiles" />
            <Pager
                next=page.next
                base=list.base("/profiles")
                on_later_page=list.after.get_untracked().is_some()
            />
        }
        .into_any(),
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
            <thead>
                <tr>
                    <th scope="col">"Profile"</th>
                    <th scope="col">{access_heading}</th>
                    <th scope="col" class="num">
                        "Members"
                    </th>
                </tr>
            </thead>
            <tbody>
                {profiles
                    .into_iter()
                    .map(|p| {
                        view! {
                            <tr>
                                <td class="who-cell">
                                    <a href=format!("/profiles/{}", p.id)>{p.name}</a>
                                </td>
                                <td data-label=access_heading>
                                    <AccessBadge access=p.access />
                                </td>
                                <td class="num" data-label="Members">
                                    {thousands(p.member_count)}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn AccessBadge(access: Access) -> impl IntoView {
    view! { <span class=pill_class(access)>{access.label()}</span> }
}

/// The badge's classes: a manager's stands out.
fn pill_class(access: Access) -> &'static str {
    match access {
        Access::Manager => "pill manager",
        Access::Member => "pill",
    }
}

/// A page of members as the rows of their table, written straight into a string.
///
/// These rows are most of the most visited page. Built as views, each row cost the server
/// about 140,000 instructions to render; written with `write!`, about 9,000, and pushed
/// piece by piece, as here, fewer still (BENCHMARKS.md). They have no reactive parts: their
/// boxes belong to the bulk form by its id, and with JavaScript the `MemberRows` island
/// around the table sends their forms. So the server writes the string, and the browser
/// never renders them. Every text goes through `push_escaped`; ids, dates and our own words
/// need none.
pub fn member_rows(items: &[crate::memberships::Member], profile: ProfileId, can_manage: bool) -> String {
    let mut out = String::with_capacity(items.len() * if can_manage { 1_100 } else { 450 });
    let mut pid = itoa::Buffer::new();
    let pid = pid.format(profile.0);
    let (mut name, mut id) = (String::new(), itoa::Buffer::new());
    for m in items {
        let id = id.format(m.user_id.0);
        name.clear();
        push_escaped(&mut name, &m.display_name);
        push!(out, r#"<tr id="member-"#, id, r#"">"#);
        if can_manage {
            push!(out, r#"<td><input type="checkbox" name="users[]" value=""#, id);
            push!(out, r#"" form="bulk-change" aria-label="Select "#, &name, r#""></td>"#);
        }
        push!(out, r#"<td class="who-cell">"#, &name);
        if m.deactivated {
            out.push_str(r#" <span class="pill muted">deactivated</span>"#);
        }
        // On a phone the cells stack, each after its column's name (data-label, style/main.css).
        push!(out, r#"</td><td class="email" data-label="Email">"#);
        push_escaped(&mut out, &m.email);
        push!(out, r#"</td><td data-label="Access">"#);
        push_access_pill(&mut out, m.access);
        out.push(' ');
        if let Some(ends) = m.ends_at {
            push!(out, r#"<span class="pill muted" title="Last day of access (UTC)">until "#);
            push!(out, &crate::expiry::last_day(ends), "</span> ");
        }
        push!(out, r#"<a class="why" href="/profiles/"#, pid, "/why/", id);
        push!(out, r#"" aria-label="Why "#, &name, r#" has access">why?</a></td>"#);
        push!(out, r#"<td data-label="Since"><time datetime=""#);
        m.added_at.push_iso(&mut out);
        out.push_str(r#"">"#);
        m.added_at.push_date(&mut out);
        push!(out, r#"</time></td><td data-label="Added by">"#);
        push_escaped(&mut out, m.added_by.as_deref().unwrap_or("—"));
        out.push_str("</td>");
        if can_manage {
            push_row_actions(&mut out, pid, id, &name, m.access);
        }
        out.push_str("</tr>");
    }
    out
}

/// An access level's badge, as `AccessBadge` draws it, for rows written as a string.
pub fn push_access_pill(out: &mut String, access: Access) {
    push!(out, r#"<span class=""#, pill_class(access), r#"">"#, access.label(), "</span>");
}

/// A manager's cell of a member's row: one form, two buttons. The change sends its level as
/// the button's own value, and the removal goes to its own server function by `formaction`.
/// `name` is escaped already.
fn push_row_actions(out: &mut String, pid: &str, id: &str, name: &str, access: Access) {
    let (flip_to, flip_label) = match access {
        Access::Manager => (Access::Member, "Make member"),
        Access::Member => (Access::Manager, "Make manager"),
    };
    for piece in [
        r#"<td class="row-actions"><form action=""#,
        ChangeAccess::PATH,
        r#"" method="post" class="inline-form"><input type="hidden" name="profile" value=""#,
        pid,
        r#""><input type="hidden" name="user" value=""#,
        id,
        r#""><button name="access" value=""#,
        flip_to.as_str(),
        r#"" class="button small" aria-label=""#,
        flip_label,
        ": ",
        name,
        r#"">"#,
        flip_label,
        r#"</button><button formaction=""#,
        RemoveMember::PATH,
        r#"" class="button small danger" aria-label="Remove "#,
        name,
        r#"">Remove</button></form></td>"#,
    ] {
        out.push_str(piece);
    }
}

/// The fields that edit a profile's or a role's name and description, as they are now,
/// each with its longest length.
#[component]
pub fn NameAndDescription(name: String, description: String, limits: (usize, usize)) -> impl IntoView {
    view! {
        <div class="field">
            <label for="name">"Name"</label>
            <input id="name" name="name" required maxlength=limits.0 value=name />
        </div>
        <TextArea name="description" label="Description" max=limits.1 value=description />
    }
}

/// The fields that name and describe a new profile or role, each with its longest length.
#[component]
pub fn NewNameAndDescription(limits: (usize, usize)) -> impl IntoView {
    view! {
        <Field name="name" label="Name" maxlength=limits.0 />
        <TextArea name="description" label="Description (optional)" max=limits.1 value=String::new() />
    }
}

/// A labelled, optional textarea. (A form's island shows its errors.)
#[component]
pub fn TextArea(name: &'static str, label: &'static str, max: usize, value: String) -> impl IntoView {
    let value = crate::flash::kept(name).unwrap_or(value);
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <textarea id=name name=name rows="3" maxlength=max>
                {value}
            </textarea>
        </div>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let id = param_id("id");
    let list = ListQuery::from_url();
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let members = Resource::new(
        move || (id.get(), list.q.get(), list.access.get(), list.sort.get(), list.after.get()),
        |(id, q, access, sort, after)| async move {
            list_members(ProfileId(id_or_not_found(id)?), q, access, sort, after).await
        },
    );
    // Only the server renders this page (the browser runs its islands alone), so its address
    // is fixed, and what only some addresses ask for is read only when they do.
    // The removal just made, for the "Undo" banner: from the address, so it shows without JS.
    let removal = query("removed").get_untracked().and_then(|r| r.parse::<i64>().ok()).map(|entry| {
        Resource::new(|| (), move |_| async move { get_entry(entry).await.ok().filter(|e| e.undoable()) })
    });
    // The addition or change of access just made, said where it happened.
    let changed = query("changed")
        .get_untracked()
        .and_then(|r| r.parse::<i64>().ok())
        .map(|entry| Resource::new(|| (), move |_| async move { get_entry(entry).await.ok() }));
    // People to add, found by the "Find" form (`?find=`): the picker's way without JS.
    let found = id.get_untracked().zip(query("find").get_untracked()).map(|(id, q)| {
        Resource::new(
            || (),
            move |_| {
                let q = q.clone();
                async move { suggest_users(ProfileId(id), q).await.unwrap_or_default() }
            },
        )
    });

    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let profile = match profile.await {
                    Ok(profile) => profile,
                    Err(err) => return error_view(err),
                };
                let removal = match removal {
                    Some(removal) => removal.await.filter(|_| profile.can_manage_members()),
                    None => None,
                };
                let changed = match changed {
                    Some(changed) => changed.await.filter(|e| e.profile_id == Some(profile.id)),
                    None => None,
                };
                let found = match found {
                    Some(found) => Some(found.await),
                    None => None,
                };
                let members = members.await;
                view! { <ProfileSections profile removal changed found members list /> }.into_any()
            })}
        </Transition>
    }
}

/// A profile's page once its data is in: what everyone who sees it sees, then, for those who
/// may, the ways to change it.
#[component]
fn ProfileSections(
    profile: ProfileDetail,
    removal: Option<Entry>,
    changed: Option<Entry>,
    found: Option<Vec<Suggestion>>,
    members: Result<Page<Member>, AppError>,
    list: ListQuery,
) -> impl IntoView {
    let pid = profile.id;
    // Just joined by accepting an invitation.
    let joined = query("joined").get_untracked().and(profile.my_access).map(|access| {
        view! {
            <p class="notice" role="status" data-testid="joined-notice">
                {format!("Welcome: you joined {} as a {access}.", profile.name)}
            </p>
        }
    });
    let can_manage = profile.can_manage_members();
    let everyone = profile.finds_everyone;
    view! {
        <Title text=profile.name.clone() />
        <p class="crumbs">
            <a href="/profiles">"My profiles"</a>
        </p>
        <h1>{profile.name.clone()}</h1>
        {(!profile.description.is_empty())
            .then(|| view! { <p class="lede lines">{profile.description.clone()}</p> })}
        <p class="muted" data-testid="profile-facts">
            <span data-testid="member-count">{thousands(profile.member_count)}</span>
            {if profile.member_count == 1 { " member" } else { " members" }}
            {profile.my_access.map(|a| format!(" · You are a {}", a.as_str()))}
        </p>
        <ProfileTabs
            id=pid
            current="members"
            settings=profile.has_settings()
            manage=profile.can_manage_members()
        />
        {joined}
        {profile.provisioned.then(|| view! { <ProviderNotice provider=profile.provider.clone() /> })}
        {removal.map(|entry| view! { <UndoBanner entry /> })}
        {changed
            .map(|entry| {
                let who = entry.user_name.clone().unwrap_or_default();
                view! {
                    <p class="notice" role="status" data-testid="change-notice">
                        {format!("{who} {}.", entry.describe())}
                    </p>
                }
            })}
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            {can_manage
                .then(|| {
                    view! {
                        <MemberPicker profile=pid everyone />
                        <FindPeople profile=pid found everyone typed=query("find").get_untracked() />
                    }
                })}
            <ListControls
                list
                label="Search members"
                access=true
                people=true
                sorts=&[("name", "Name"), ("since", "Since")]
            />
            {can_manage
                .then(|| {
                    view! { <UndoHint>{REMOVE_HINT}</UndoHint> }
                })}
            <MembersList members profile=pid can_manage list />
            {can_manage
                .then(|| {
                    view! {
                        <DownloadLink href=Export::Members
                            .href(pid)>"Download every member as a CSV file"</DownloadLink>
                    }
                })}
        </section>
        {can_manage.then(|| view! { <BulkAddSection profile=pid /> })}
    }
}

/// A profile's settings tab: renaming and deleting it for those who manage it, leaving it
/// for those on it; apart from the members, so no one meets them on the way to a member.
#[component]
pub fn ProfileSettingsPage() -> impl IntoView {
    let id = param_id("id");
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
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
                let (pid, can_manage) = (profile.id, profile.can_manage);
                view! {
                    <ProfileHead profile=profile.clone() current="settings" title="Settings" />
                    {(!profile.has_settings())
                        .then(|| {
                            view! {
                                <Empty>"You are not on this profile: nothing here is yours to change."</Empty>
                            }
                        })}
                    {can_manage
                        .then(|| {
                            view! {
                                <EditProfileSection
                                    profile=pid
                                    name=profile.name.clone()
                                    description=profile.description.clone()
                                />
                            }
                        })}
                    {(profile.my_access.is_some() && !profile.provisioned)
                        .then(|| view! { <LeaveSection profile=pid /> })}
                    {profile
                        .admin
                        .then(|| {
                            view! { <ProviderSection profile=pid provisioned=profile.provisioned /> }
                        })}
                    {can_manage.then(|| view! { <DeleteProfileSection profile=pid /> })}
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// Copying the members of another profile one manages into this one, through the bulk
/// preview: the profiles one manages, searched by name a page at a time, to choose from.
#[component]
pub fn ProfileCopyPage() -> impl IntoView {
    let id = param_id("id");
    let list = ListQuery::from_url();
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let managed = Resource::new(
        move || (list.q.get(), list.after.get()),
        |(q, after)| list_user_profiles(None, q, Some("manager".into()), Some("name".into()), after),
    );
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let profile = match profile.await {
                    Ok(profile) if profile.can_manage => profile,
                    Ok(_) => return error_view(AppError::Forbidden),
                    Err(err) => return error_view(err),
                };
                let pid = profile.id;
                let choices = match managed.await {
                    Ok(page) => view! { <CopyForm profile=pid page list /> }.into_any(),
                    Err(err) => error_view(err),
                };
                view! {
                    <Title text=format!("Copy members · {}", profile.name) />
                    <p class="crumbs">
                        <a href="/profiles">"My profiles"</a>
                        " / "
                        <a href=format!("/profiles/{pid}")>{profile.name.clone()}</a>
                    </p>
                    <h1>"Copy members from another profile"</h1>
                    <section class="card" aria-labelledby="copy-heading">
                        <h2 id="copy-heading">{format!("Into {}", profile.name)}</h2>
                        <p class="muted">
                            "Everyone on the profile you choose, at the access you choose. "
                            "You see what will happen to each person before anything changes."
                        </p>
                        <ListControls list label="Search profiles you manage" />
                        {choices}
                    </section>
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// The choice of a profile to copy from, among a page of those one manages (not this one).
#[component]
fn CopyForm(profile: ProfileId, page: Page<ProfileSummary>, list: ListQuery) -> impl IntoView {
    let on_later_page = list.after.get_untracked().is_some();
    let base = match list.q.get_untracked() {
        Some(q) => format!("/profiles/{profile}/copy?q={}&", super::urlencode(&q)),
        None => format!("/profiles/{profile}/copy?"),
    };
    let others: Vec<ProfileSummary> = page.items.into_iter().filter(|p| p.id != profile).collect();
    if others.is_empty() {
        return view! { <Empty>"You manage no other profile that matches."</Empty> }.into_any();
    }
    view! {
        <BulkCopyForm look=Look::new("Preview", "Preparing…").class("stack").named("Copy members")>
            <input type="hidden" name="profile" value=profile.0 />
            <div class="field">
                <label for="copy-from">"Copy the members of"</label>
                <select id="copy-from" name="from" required>
                    {others
                        .into_iter()
                        .map(|p| {
                            let label = format!("{} ({})", p.name, member_total(p.member_count));
                            view! { <option value=p.id.0>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <AccessChoice id="copy-access" label="Add them as" plural=true />
        </BulkCopyForm>
        <Pager next=page.next base on_later_page />
    }
    .into_any()
}

/// "1 member", "1,204 members".
fn member_total(n: i64) -> String {
    format!("{} {}", thousands(n), if n == 1 { "member" } else { "members" })
}

const REMOVE_HINT: &str =
    "Removing someone can be undone: from the notice that follows, or from the history.";

/// The removal just made, with the way to take it back.
#[component]
fn UndoBanner(entry: Entry) -> impl IntoView {
    let who = entry.user_name.clone().unwrap_or_default();
    let was = entry.access_before.map_or("", Access::as_str);
    view! {
        <div class="notice" role="status" data-testid="undo-banner" id="removed">
            <span>{format!("Removed {who} (was {was}).")}</span>
            <UndoForm look=Look::new("Undo", "Undoing…").class("inline-form").button("button small")>
                <input type="hidden" name="entry" value=entry.id />
            </UndoForm>
        </div>
    }
}

/// A page of members, with the bulk bar that acts on the ticked ones for a manager.
#[component]
fn MembersList(
    members: Result<Page<Member>, AppError>,
    profile: ProfileId,
    can_manage: bool,
    list: ListQuery,
) -> impl IntoView {
    let page = match members {
        Err(err) => return error_view(err),
        Ok(page) if page.items.is_empty() => {
            let text = if list.narrowed() { "No members match." } else { "No members." };
            return view! { <Empty>{text}</Empty> }.into_any();
        }
        Ok(page) => page,
    };
    let table = view! { <MembersTable items=&page.items profile can_manage /> };
    // More than this page: the bar offers every match, chosen by the server from the search.
    let every = page.next.is_some().then(|| EveryMatch::of(&page, &list));
    view! {
        <Total total=page.total more=page.more noun="member" narrowed=list.narrowed() />
        {if can_manage {
            view! {
                <TickedCount>
                    // Hidden until something is ticked, once the page is live (style/main.css).
                    <div class="bulk-bar" id=BULK_BAR data-empty="">
                        // The ticked boxes in the rows belong to this form, by their form attribute.
                        <BulkChangeForm look=Look::new("Preview", "Preparing…")
                            .id("bulk-change")
                            .class("row-form")
                            .named("Change the ticked members")>
                            <input type="hidden" name="profile" value=profile.0 />
                            <p class="bulk-count js-only" id=BULK_COUNT data-testid="bulk-count"></p>
                            <div class="field">
                                <label for="bulk-change-to">"With the ticked members"</label>
                                <select id="bulk-change-to" name="change">
                                    <option value="member">"Make members"</option>
                                    <option value="manager">"Make managers"</option>
                                    <option value="remove">"Remove"</option>
                                </select>
                            </div>
                            {every.map(|every| view! { <EveryMatchChoice every /> })}
                        </BulkChangeForm>
                    </div>
                    <MemberRows>{table}</MemberRows>
                </TickedCount>
            }
                .into_any()
        } else {
            table.into_any()
        }}
        <Pager
            next=page.next
            base=list.base(&format!("/profiles/{profile}"))
            on_later_page=list.after.get_untracked().is_some()
        />
    }
    .into_any()
}

/// "All N matching": the whole of a list longer than its page, as its search and filter
/// choose it.
#[derive(Clone, Debug)]
struct EveryMatch {
    label: String,
    q: Option<String>,
    access: Option<String>,
}

impl EveryMatch {
    fn of(page: &Page<Member>, list: &ListQuery) -> Self {
        let (q, access) = (list.q.get_untracked(), list.access.get_untracked());
        let noun = match access.as_deref() {
            Some("manager") => "managers",
            Some("member") => "members (not managers)",
            _ => "members",
        };
        let count = if page.more { format!("{}+", thousands(page.total)) } else { thousands(page.total) };
        let label = match &q {
            Some(q) => format!("All {count} {noun} matching “{q}”, on every page"),
            None => format!("All {count} {noun}, on every page"),
        };
        EveryMatch { label, q, access }
    }
}

#[component]
fn EveryMatchChoice(every: EveryMatch) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" name="matching" value="yes" data-testid="every-match" />
            {every.label}
        </label>
        <input type="hidden" name="q" value=every.q />
        <input type="hidden" name="access" value=every.access />
    }
}

/// The members table. Its rows are written as a string, not built as views: see
/// [`member_rows`].
#[component]
fn MembersTable<'a>(items: &'a [Member], profile: ProfileId, can_manage: bool) -> impl IntoView {
    let rows = member_rows(items, profile, can_manage);
    let hidden_heading = |text: &'static str| {
        can_manage.then(|| {
            view! {
                <th scope="col">
                    <span class="visually-hidden">{text}</span>
                </th>
            }
        })
    };
    // Ticking the page at once is the live page's (`TickedCount`); without it, each row's box.
    let select_page = can_manage.then(|| {
        view! {
            <th scope="col">
                <input
                    type="checkbox"
                    id=TICK_PAGE
                    class="js-only"
                    aria-label="Select everyone on this page"
                />
            </th>
        }
    });
    view! {
        <table class="table" data-testid="members">
            <thead>
                <tr>
                    {select_page} <th scope="col">"Name"</th> <th scope="col">"Email"</th>
                    <th scope="col">"Access"</th> <th scope="col">"Since"</th> <th scope="col">"Added by"</th>
                    {hidden_heading("Actions")}
                </tr>
            </thead>
            <tbody inner_html=rows></tbody>
        </table>
    }
}

/// Pasting many emails to add at once, previewed on a page of its own.
#[component]
fn BulkAddSection(profile: ProfileId) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">"Add many people"</h2>
            <p class="hint">
                "Or "
                <a href=format!(
                    "/profiles/{profile}/copy",
                )>"copy the members of another profile you manage"</a> "."
            </p>
            <BulkAddForm look=Look::new("Preview", "Preparing…").class("stack").named("Add many people")>
                <input type="hidden" name="profile" value=profile.0 />
                <div class="field">
                    <label for="bulk-emails">
                        {format!(
                            "Emails, one per line or separated by commas or semicolons (up to {MAX_ROWS})",
                        )}
                    </label>
                    <textarea id="bulk-emails" name="emails" rows="5" required></textarea>
                </div>
                <AccessChoice id="bulk-access" label="Add them as" plural=true />
                <div class="field">
                    <label for="bulk-ends-on">"Last day (optional)"</label>
                    <input id="bulk-ends-on" name="ends_on" type="date" />
                </div>
            </BulkAddForm>
            <h3 id="import">"Import a CSV file"</h3>
            <p class="hint">
                "One person a row: email, access (manager or member) and an optional last day \
                 (YYYY-MM-DD). A header row naming the columns is optional: a members file \
                 downloaded here imports as it is. Everyone in the file is set to what their row \
                 says; you see every row before anything changes."
            </p>
            <ImportForm profile />
        </section>
    }
}

#[component]
fn EditProfileSection(profile: ProfileId, name: String, description: String) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit profile"</h2>
            <UpdateProfileForm look=Look::new("Save changes", "Saving…")
                .class("stack")
                .named("Edit profile")>
                <input type="hidden" name="id" value=profile.0 />
                <NameAndDescription name description limits=(NAME_MAX, DESCRIPTION_MAX) />
            </UpdateProfileForm>
        </section>
    }
}

/// Says who manages a provisioned profile's members: its provider, through a token.
#[component]
fn ProviderNotice(provider: Option<String>) -> impl IntoView {
    let text = match provider {
        Some(token) => format!(
            "An identity provider manages who is on this profile, with the token “{token}”: people \
             join and leave it there, not here."
        ),
        None => "An identity provider manages who is on this profile, but its token has been revoked. \
                 An admin can take the profile back on its settings tab."
            .to_owned(),
    };
    view! {
        <p class="notice" data-testid="provider-notice">
            {text}
        </p>
    }
}

/// An admin's link between the profile and an identity provider: made, or taken back.
#[component]
fn ProviderSection(profile: ProfileId, provisioned: bool) -> impl IntoView {
    if provisioned {
        return view! {
            <section class="card" aria-labelledby="provider-heading">
                <h2 id="provider-heading">"Identity provider"</h2>
                <p class="muted">
                    "Take this profile back, and its managers change its members here again. "
                    "If it has no manager, you become one."
                </p>
                <ReleaseProviderForm look=Look::new("Take back from the provider", "Taking back…")
                    .class("stack")
                    .named("Take back from the provider")>
                    <input type="hidden" name="profile" value=profile.0 />
                </ReleaseProviderForm>
            </section>
        }
        .into_any();
    }
    let providers = Resource::new(|| (), |_| crate::provisioning::list_providers());
    view! {
        <section class="card" aria-labelledby="provider-heading">
            <h2 id="provider-heading">"Identity provider"</h2>
            <p class="muted">
                "Link this profile to an identity provider's group: its members then change only there "
                "(over SCIM), and its open invitations are withdrawn."
            </p>
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    let providers = providers.await.unwrap_or_default();
                    if providers.is_empty() {
                        return view! {
                            <p>
                                "First make a service token with the scim scope on the "
                                <a href="/account/tokens">"Access tokens"</a> " page."
                            </p>
                        }
                            .into_any();
                    }
                    view! {
                        <LinkProviderForm look=Look::new("Link to the provider", "Linking…")
                            .class("stack")
                            .named("Link to an identity provider")>
                            <input type="hidden" name="profile" value=profile.0 />
                            <label for="provider-token">"The provider's token"</label>
                            <select id="provider-token" name="token" required>
                                {providers
                                    .into_iter()
                                    .map(|p| view! { <option value=p.id>{p.name}</option> })
                                    .collect_view()}
                            </select>
                        </LinkProviderForm>
                    }
                        .into_any()
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn LeaveSection(profile: ProfileId) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="leave-heading">
            <h2 id="leave-heading">"Leave"</h2>
            <p class="muted">"You can't undo this yourself: only a manager can add you back."</p>
            <LeaveProfileForm look=Look::new("Leave this profile", "Leaving…")
                .class("stack")
                .named("Leave this profile")>
                <input type="hidden" name="profile" value=profile.0 />
                <label class="check">
                    <input type="checkbox" name="confirm" value="yes" required />
                    "I understand I'll lose access to this profile."
                </label>
            </LeaveProfileForm>
        </section>
    }
}

#[component]
fn DeleteProfileSection(profile: ProfileId) -> impl IntoView {
    view! {
        <DangerZone
            id="delete-heading"
            heading="Delete profile"
            warning="Deleting removes the profile and every membership on it. This can't be undone."
        >
            <DeleteProfileForm look=Look::new("Delete profile", "Deleting…")
                .class("stack")
                .named("Delete profile")
                .button("button danger")>
                <ConfirmDelete
                    id=profile.0
                    understood=" I understand: delete this profile and its memberships"
                />
            </DeleteProfileForm>
        </DangerZone>
    }
}

/// Finding people to add without JavaScript: "Find" loads the page again with up to ten
/// matches (`?find=`), each with its own "Add" button; `found` is `None` before a search.
/// `everyone`: whether the viewer may find every account, or only people they share a
/// profile with.
#[component]
fn FindPeople(
    profile: ProfileId,
    found: Option<Vec<Suggestion>>,
    everyone: bool,
    /// What was searched for, kept in the box.
    typed: Option<String>,
) -> impl IntoView {
    let none_found = match &found {
        Some(found) if found.is_empty() => Some(if everyone {
            "No one matches. Add them by their email above."
        } else {
            "No one you share a profile with matches. Type anyone else's email above to invite them."
        }),
        _ => None,
    };
    let found = found.unwrap_or_default();
    view! {
        <form method="get" action="" class="row-form find-form" role="search" aria-label="People finder">
            <div class="field grow">
                <label for="find">"Find people to add"</label>
                <input id="find" name="find" type="search" maxlength=crate::paging::SEARCH_MAX value=typed />
            </div>
            <button type="submit" class="button">
                "Find"
            </button>
        </form>
        {none_found
            .map(|text| {
                view! {
                    <p class="hint" data-testid="none-found" role="status">
                        {text}
                    </p>
                }
            })}
        {(!found.is_empty())
            .then(|| {
                view! {
                    <ul class="suggestions static" data-testid="found" aria-label="People found">
                        {found
                            .into_iter()
                            .map(|s| {
                                let label = format!("{} <{}>", s.display_name, s.email);
                                view! {
                                    <Suggested label=label.clone() access=s.access deactivated=s.deactivated>
                                        <form action=AddMember::PATH method="post" class="inline-form">
                                            <input type="hidden" name="profile" value=profile.0 />
                                            <input type="hidden" name="email" value=s.email.clone() />
                                            <input type="hidden" name="access" value="member" />
                                            <button
                                                type="submit"
                                                class="button small"
                                                aria-label=format!("Add {label}")
                                            >
                                                "Add"
                                            </button>
                                        </form>
                                    </Suggested>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}

#[cfg(test)]
mod tests {
    use super::member_rows;
    use crate::pages::tests::assert_balanced;
    use crate::{
        domain::{Access, ProfileId, Timestamp, UserId},
        memberships::Member,
    };

    fn member(id: i64, name: &str, email: &str, access: Access, added_by: Option<&str>) -> Member {
        Member {
            user_id: UserId(id),
            display_name: name.into(),
            email: email.into(),
            name_key: name.to_lowercase(),
            access,
            added_at: Timestamp("2024-02-29T23:05:09.123456Z".parse().unwrap()),
            added_by: added_by.map(Into::into),
            deactivated: false,
            ends_at: None,
        }
    }

    #[test]
    fn a_deactivated_member_is_marked_beside_their_name() {
        let mut cy = member(8, "Cy", "cy@example.com", Access::Member, None);
        cy.deactivated = true;
        let rows = member_rows(&[cy], ProfileId(3), false);
        assert_balanced(&rows);
        assert!(
            rows.contains(r#"<td class="who-cell">Cy <span class="pill muted">deactivated</span></td>"#),
            "{rows}"
        );
    }

    #[test]
    fn a_managers_rows_have_a_box_a_why_link_and_the_two_changes() {
        let rows = member_rows(
            &[
                member(7, "Ada", "ada@example.com", Access::Manager, Some("Bob")),
                member(8, "Cy", "cy@example.com", Access::Member, None),
            ],
            ProfileId(3),
            true,
        );
        assert_balanced(&rows);
        assert_eq!(rows.matches("<tr id=").count(), 2);
        let first = concat!(
            r#"<tr id="member-7"><td><input type="checkbox" name="users[]" value="7" form="bulk-change" "#,
            r#"aria-label="Select Ada"></td><td class="who-cell">Ada</td>"#,
            r#"<td class="email" data-label="Email">ada@example.com</td>"#,
            r#"<td data-label="Access"><span class="pill manager">Manager</span> "#,
            r#"<a class="why" href="/profiles/3/why/7" aria-label="Why Ada has access">why?</a></td>"#,
            r#"<td data-label="Since"><time datetime="2024-02-29T23:05:09Z">2024-02-29</time></td>"#,
            r#"<td data-label="Added by">Bob</td>"#,
        );
        assert!(rows.starts_with(first), "{rows}");
        // Each row's one form offers the other level, and removal, for the same profile and user.
        assert_eq!(rows.matches("<form ").count(), 2);
        let form = concat!(
            r#"<form action="/api/members/change_access" method="post" class="inline-form">"#,
            r#"<input type="hidden" name="profile" value="3"><input type="hidden" name="user" value="8">"#,
            r#"<button name="access" value="manager" class="button small" aria-label="Make manager: Cy">"#,
            r#"Make manager</button><button formaction="/api/members/remove" class="button small danger" "#,
            r#"aria-label="Remove Cy">Remove</button></form>"#,
        );
        assert!(rows.contains(form), "{rows}");
        let make_member = concat!(
            r#"<button name="access" value="member" class="button small" aria-label="Make member: Ada">"#,
            r#"Make member</button>"#,
        );
        assert!(rows.contains(make_member));
        assert!(rows.contains(r#"<td data-label="Access"><span class="pill">Member</span>"#));
        assert!(rows.contains(r#"<td data-label="Added by">—</td>"#), "an adder whose account is gone");
    }

    #[test]
    fn a_members_rows_have_no_controls() {
        let rows = member_rows(
            &[member(7, "Ada", "ada@example.com", Access::Member, Some("Bob"))],
            ProfileId(3),
            false,
        );
        assert_balanced(&rows);
        assert!(!rows.contains("<input") && !rows.contains("<form"), "{rows}");
        assert!(rows.contains(r#"href="/profiles/3/why/7""#));
    }

    #[test]
    fn every_text_in_the_rows_is_escaped() {
        let rows = member_rows(
            &[member(
                1,
                r#"<img src=x onerror="alert(1)">"#,
                "a&b@example.com",
                Access::Manager,
                Some("</td><script>"),
            )],
            ProfileId(1),
            true,
        );
        assert_balanced(&rows);
        assert!(!rows.contains("<img") && !rows.contains("<script"), "{rows}");
        assert!(rows.contains(r#"<td class="who-cell">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</td>"#));
        assert!(rows.contains(r#"aria-label="Select &lt;img src=x onerror=&quot;alert(1)&quot;&gt;""#));
        assert!(rows.contains("a&amp;b@example.com"));
        assert!(rows.contains(r#"<td data-label="Added by">&lt;/td&gt;&lt;script&gt;</td>"#));
    }

    #[test]
    fn no_members_no_rows() {
        assert_eq!(member_rows(&[], ProfileId(1), true), "");
    }
}
