//! "My profiles" and a profile's own page: its people, and for managers the ways to change it.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    action_error, error_view, errors_of, history::ProfileTabs, id_or_not_found, param_id, push_escaped,
    query, Empty, Field, FormError, ListControls, ListQuery, Pager, Total,
};
use crate::{
    bulk::{StartBulkAdd, StartBulkChange, MAX_ROWS},
    domain::{Access, ProfileId},
    history::{get_entry, UndoRemoval},
    memberships::{list_members, AddMember, ChangeAccess, LeaveProfile, RemoveMember},
    profiles::{
        get_profile, list_user_profiles, CreateProfile, DeleteProfile, UpdateProfile, DESCRIPTION_MAX,
        NAME_MAX,
    },
    users::suggest_users,
};

#[component]
pub fn MyProfilesPage() -> impl IntoView {
    let create = ServerAction::<CreateProfile>::new();
    let list = ListQuery::from_url();
    let profiles = Resource::new(
        move || (list.q.get(), list.access.get(), list.sort.get(), list.after.get(), create.version().get()),
        |(q, access, sort, after, _)| list_user_profiles(None, q, access, sort, after),
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
                    <ListControls list label="Search your profiles" access=true sorts=&[("name", "Name"), ("since", "Since")]/>
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match profiles.await {
                                Err(err) => error_view(err),
                                Ok(page) if page.items.is_empty() && list.narrowed() => view! {
                                    <Empty>"None of your profiles match."</Empty>
                                }.into_any(),
                                Ok(page) if page.items.is_empty() => view! {
                                    <Empty>"You are not on any profiles yet. Create one, or ask a manager to add you."</Empty>
                                }.into_any(),
                                Ok(page) => view! {
                                    <Total total=page.total noun="profile" narrowed=list.narrowed()/>
                                    <ProfileTable profiles=page.items access_heading="Your access" testid="my-profiles"/>
                                    <Pager next=page.next base=list.base("/profiles") on_later_page=list.after.get_untracked().is_some()/>
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
/// about 140,000 instructions to render, and written here about 9,000 (BENCHMARKS.md). They
/// have no reactive parts: their boxes belong to the bulk form by its id, and the table body's
/// one submit handler sends their forms. So the server writes the string, hydration keeps what
/// the server sent, and the browser writes the rows again only when the page of members
/// changes. Every text goes through `push_escaped`; ids, dates and our own words need none.
pub fn member_rows(items: &[crate::memberships::Member], profile: ProfileId, can_manage: bool) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;

    let mut out = String::with_capacity(items.len() * if can_manage { 1_300 } else { 450 });
    let mut name = String::new();
    for m in items {
        let (id, pid) = (m.user_id.0, profile.0);
        name.clear();
        push_escaped(&mut name, &m.display_name);
        out.push_str("<tr>");
        if can_manage {
            let _ = write!(
                out,
                r#"<td><input type="checkbox" name="users[]" value="{id}" form="bulk-change" aria-label="Select {name}"></td>"#
            );
        }
        let _ = write!(out, r#"<td>{name}</td><td class="email">"#);
        push_escaped(&mut out, &m.email);
        let at = m.added_at.0;
        let (year, month, day) = (at.year(), at.month(), at.day());
        let _ = write!(
            out,
            concat!(
                r#"</td><td><span class="{pill}">{access}</span> "#,
                r#"<a class="why" href="/profiles/{pid}/why/{id}" aria-label="Why {name} has access">why?</a></td>"#,
                r#"<td><time datetime="{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z">"#,
                r#"{year:04}-{month:02}-{day:02}</time></td><td>"#,
            ),
            pill = pill_class(m.access),
            access = m.access.label(),
            pid = pid,
            id = id,
            name = name,
            year = year,
            month = month,
            day = day,
            hour = at.hour(),
            minute = at.minute(),
            second = at.second(),
        );
        push_escaped(&mut out, m.added_by.as_deref().unwrap_or("—"));
        out.push_str("</td>");
        if can_manage {
            let (flip_to, flip_label) = match m.access {
                Access::Manager => (Access::Member, "Make member"),
                Access::Member => (Access::Manager, "Make manager"),
            };
            let _ = write!(
                out,
                concat!(
                    r#"<td class="row-actions">"#,
                    r#"<form action="{change}" method="post" class="inline-form">"#,
                    r#"<input type="hidden" name="profile" value="{pid}"><input type="hidden" name="user" value="{id}">"#,
                    r#"<input type="hidden" name="access" value="{flip_to}">"#,
                    r#"<button type="submit" class="button small" aria-label="{flip_label}: {name}">{flip_label}</button></form>"#,
                    r#"<form action="{remove}" method="post" class="inline-form">"#,
                    r#"<input type="hidden" name="profile" value="{pid}"><input type="hidden" name="user" value="{id}">"#,
                    r#"<button type="submit" class="button small danger" aria-label="Remove {name}">Remove</button></form></td>"#,
                ),
                change = ChangeAccess::PATH,
                remove = RemoveMember::PATH,
                flip_to = flip_to.as_str(),
                pid = pid,
                id = id,
                name = name,
                flip_label = flip_label,
            );
        }
        out.push_str("</tr>");
    }
    out
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
    let list = ListQuery::from_url();
    let removed = query("removed");
    let find = query("find");
    let update = ServerAction::<UpdateProfile>::new();
    let delete = ServerAction::<DeleteProfile>::new();
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeAccess>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let leave = ServerAction::<LeaveProfile>::new();
    let undo = ServerAction::<UndoRemoval>::new();
    let bulk_add = ServerAction::<StartBulkAdd>::new();
    let bulk_change = ServerAction::<StartBulkChange>::new();
    let changed = move || {
        (
            update.version().get(),
            add.version().get(),
            change.version().get(),
            remove.version().get(),
            undo.version().get(),
        )
    };
    let profile = Resource::new(
        move || (id.get(), changed()),
        |(id, _)| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let members = Resource::new(
        move || (id.get(), list.q.get(), list.access.get(), list.sort.get(), list.after.get(), changed()),
        |(id, q, access, sort, after, _)| async move {
            list_members(ProfileId(id_or_not_found(id)?), q, access, sort, after).await
        },
    );
    // The removal just made, for the "Undo" banner: from the address, so it shows without JS.
    let removal = Resource::new(
        move || (removed.get().and_then(|r| r.parse::<i64>().ok()), undo.version().get()),
        |(entry, _)| async move {
            match entry {
                Some(entry) => get_entry(entry).await.ok().filter(|e| e.undoable()),
                None => None,
            }
        },
    );
    // Picker suggestions without JS: `?find=` renders them with the page.
    let found = Resource::new(
        move || (id.get(), find.get(), add.version().get()),
        |(id, find, _)| async move {
            match (id, find) {
                (Some(id), Some(q)) => suggest_users(ProfileId(id), q).await.unwrap_or_default(),
                _ => Vec::new(),
            }
        },
    );
    let member_error = errors_of(vec![
        action_error(add),
        action_error(change),
        action_error(remove),
        action_error(leave),
        action_error(undo),
        action_error(bulk_change),
    ]);
    // One flag for every row's buttons, rather than a memo per button.
    let row_busy = Memo::new(move |_| change.pending().get() || remove.pending().get());
    // The rows' buttons are plain forms, so they post without JavaScript. With it, this one
    // handler on the table sends them through their actions: a page of fifty rows would
    // otherwise render a hundred ActionForms, each with its own closures, on every request.
    let on_row_submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::{form::FromFormData, wasm_bindgen::JsCast};
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let url = form.get_attribute("action").unwrap_or_default();
        let sent = if row_busy.get_untracked() {
            true // One change at a time: the rows show they are busy.
        } else if url == ChangeAccess::PATH {
            ChangeAccess::from_event(&ev).map(|input| change.dispatch(input)).is_ok()
        } else if url == RemoveMember::PATH {
            RemoveMember::from_event(&ev).map(|input| remove.dispatch(input)).is_ok()
        } else {
            false
        };
        // Anything the handler can't send goes as a plain form post.
        if sent {
            ev.prevent_default();
        }
    };
    let update_error = action_error(update);
    let delete_error = action_error(delete);
    let bulk_error = action_error(bulk_add);

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let profile = match profile.await {
                    Ok(profile) => profile,
                    Err(err) => return error_view(err),
                };
                let pid = profile.id;
                let can_manage = profile.can_manage;
                let removal = removal.await;
                let found = found.await;
                let members_view = match members.await {
                    Err(err) => error_view(err),
                    Ok(page) if page.items.is_empty() => view! {
                        <Empty>{if list.narrowed() { "No members match." } else { "No members." }}</Empty>
                    }.into_any(),
                    Ok(page) => view! {
                        <Total total=page.total more=page.more noun="member" narrowed=list.narrowed()/>
                        {can_manage.then(|| view! {
                            // The ticked boxes below belong to this form (by their form attribute).
                            <ActionForm action=bulk_change attr:id="bulk-change" attr:class="row-form bulk-bar" attr:aria-label="Change the ticked members">
                                <input type="hidden" name="profile" value=pid.0/>
                                <div class="field">
                                    <label for="bulk-change-to">"With the ticked members"</label>
                                    <select id="bulk-change-to" name="change">
                                        <option value="member">"Make members"</option>
                                        <option value="manager">"Make managers"</option>
                                        <option value="remove">"Remove"</option>
                                    </select>
                                </div>
                                <button type="submit" class="button" disabled=move || bulk_change.pending().get()>
                                    {move || if bulk_change.pending().get() { "Preparing…" } else { "Preview" }}
                                </button>
                            </ActionForm>
                        })}
                        <table class="table" data-testid="members" aria-busy=move || row_busy.get().then_some("true")>
                            <thead><tr>
                                {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Access"</th>
                                <th scope="col">"Since"</th><th scope="col">"Added by"</th>
                                {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr></thead>
                            // The rows are written as a string, not built as views: see `member_rows`. As a
                            // closure, it is written once, when the page is, and not on each of the
                            // Suspense's runs to find its resources.
                            <tbody on:submit=on_row_submit inner_html={
                                let items = page.items;
                                move || member_rows(&items, pid, can_manage)
                            }></tbody>
                        </table>
                        <Pager next=page.next base=list.base(&format!("/profiles/{pid}")) on_later_page=list.after.get_untracked().is_some()/>
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
                    <ProfileTabs id=pid current="members"/>

                    {removal.filter(|_| can_manage).map(|entry| view! {
                        <div class="notice" role="status" data-testid="undo-banner">
                            <span>{format!("Removed {} (was {}).", entry.user_name.clone().unwrap_or_default(), entry.access_before.clone().unwrap_or_default())}</span>
                            <ActionForm action=undo attr:class="inline-form">
                                <input type="hidden" name="entry" value=entry.id/>
                                <button type="submit" class="button small" disabled=move || undo.pending().get()>
                                    {move || if undo.pending().get() { "Undoing…" } else { "Undo" }}
                                </button>
                            </ActionForm>
                        </div>
                    })}

                    <section class="card" aria-labelledby="members-heading">
                        <h2 id="members-heading">"Members"</h2>
                        <FormError error=member_error all=true/>
                        {can_manage.then(|| view! { <MemberPicker profile=pid add found/> })}
                        <ListControls list label="Search members" access=true people=true sorts=&[("name", "Name"), ("since", "Since")]/>
                        {members_view}
                    </section>

                    {can_manage.then(|| view! {
                        <section class="card" aria-labelledby="bulk-heading">
                            <h2 id="bulk-heading">"Add many people"</h2>
                            <ActionForm action=bulk_add attr:class="stack" attr:aria-label="Add many people">
                                <FormError error=bulk_error all=true/>
                                <input type="hidden" name="profile" value=pid.0/>
                                <div class="field">
                                    <label for="bulk-emails">{format!("Emails, one per line or separated by commas or semicolons (up to {MAX_ROWS})")}</label>
                                    <textarea id="bulk-emails" name="emails" rows="5" required></textarea>
                                </div>
                                <div class="field">
                                    <label for="bulk-access">"Add them as"</label>
                                    <select id="bulk-access" name="access">
                                        <option value="member" selected>"Members"</option>
                                        <option value="manager">"Managers"</option>
                                    </select>
                                </div>
                                <button type="submit" class="button" disabled=move || bulk_add.pending().get()>
                                    {move || if bulk_add.pending().get() { "Preparing…" } else { "Preview" }}
                                </button>
                            </ActionForm>
                        </section>
                    })}

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

/// How long typing must pause before the picker asks for suggestions.
const PICKER_PAUSE_MS: u64 = 150;

/// Adding one person: type a name or email and pick from at most ten suggestions. With
/// JavaScript the suggestions follow the typing; without it, "Find" reloads the page with
/// them (`?find=`), each with its own "Add" button.
#[component]
fn MemberPicker(
    profile: ProfileId,
    add: ServerAction<AddMember>,
    found: Vec<crate::users::Suggestion>,
) -> impl IntoView {
    let (typed, set_typed) = signal(String::new());
    // Reference-counted, so the suggestions' Suspend owns what it awaits: the picker is made
    // again whenever the page around it reloads (after each add), and a Suspend started just
    // before that would otherwise await a resource already disposed, a panic in the browser.
    let live = ArcResource::new(
        move || typed.get(),
        move |q| async move {
            if q.trim().is_empty() {
                Vec::new()
            } else {
                suggest_users(profile, q).await.unwrap_or_default()
            }
        },
    );
    // Ask for suggestions once typing pauses, not on every key. A pause still pending when
    // the form is sent, or when the picker goes away, is dropped: nothing is asked for then.
    let waiting = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
    let stop_waiting = move || {
        if let Some(Some(timer)) = waiting.try_get_value() {
            timer.clear();
        }
    };
    on_cleanup(stop_waiting);
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        stop_waiting();
        let timer = leptos::leptos_dom::helpers::set_timeout_with_handle(
            move || {
                set_typed.try_set(value);
            },
            std::time::Duration::from_millis(PICKER_PAUSE_MS),
        );
        waiting.try_set_value(timer.ok());
    };
    let email_ref = NodeRef::<leptos::html::Input>::new();
    let pick = move |email: String| {
        if let Some(input) = email_ref.get() {
            input.set_value(&email);
        }
        stop_waiting();
        set_typed.set(String::new());
    };
    let suggestion_row = move |s: crate::users::Suggestion, with_js: bool| {
        let label = format!("{} <{}>", s.display_name, s.email);
        let email = s.email.clone();
        let status = s.access.clone().map(|a| format!("already a {a}"));
        view! {
            <li>
                <span class="suggestion">{label.clone()}</span>
                {match (status, with_js) {
                    (Some(status), _) => view! { <span class="muted">" · "{status}</span> }.into_any(),
                    (None, true) => view! {
                        <button type="button" class="button small" aria-label=format!("Pick {label}")
                            on:click=move |_| pick(email.clone())>"Pick"</button>
                    }.into_any(),
                    (None, false) => view! {
                        <ActionForm action=add attr:class="inline-form">
                            <input type="hidden" name="profile" value=profile.0/>
                            <input type="hidden" name="email" value=email.clone()/>
                            <input type="hidden" name="access" value="member"/>
                            <button type="submit" class="button small" aria-label=format!("Add {label}")>"Add"</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </li>
        }
    };
    view! {
        <ActionForm action=add attr:class="row-form" attr:aria-label="Add a member">
            <input type="hidden" name="profile" value=profile.0/>
            <div class="field grow picker">
                <label for="add-email">"Name or email of the person to add"</label>
                <input id="add-email" name="email" type="text" required autocomplete="off" node_ref=email_ref
                    aria-describedby="picker-hint" aria-controls="suggestions"
                    on:input=on_input/>
                <p class="hint" id="picker-hint">"Type to see up to ten matching people; add by email."</p>
                <Transition fallback=|| ()>
                    {move || {
                        let live = live.clone();
                        Suspend::new(async move {
                            let live = live.await;
                            (!live.is_empty()).then(|| view! {
                                <ul class="suggestions" id="suggestions" data-testid="suggestions" aria-label="Suggestions">
                                    {live.into_iter().map(|s| suggestion_row(s, true)).collect_view()}
                                </ul>
                            })
                        })
                    }}
                </Transition>
            </div>
            <div class="field">
                <label for="add-access">"As"</label>
                <select id="add-access" name="access">
                    <option value="member" selected>"Member"</option>
                    <option value="manager">"Manager"</option>
                </select>
            </div>
            <button type="submit" class="button primary" disabled=move || add.pending().get()
                on:click=move |_| stop_waiting()>
                {move || if add.pending().get() { "Adding…" } else { "Add" }}
            </button>
        </ActionForm>
        <form method="get" action="" class="row-form find-form" role="search">
            <div class="field grow">
                <label for="find">"Find people to add"</label>
                <input id="find" name="find" type="search" maxlength=crate::paging::SEARCH_MAX/>
            </div>
            <button type="submit" class="button">"Find"</button>
        </form>
        {(!found.is_empty()).then(|| view! {
            <ul class="suggestions static" data-testid="found" aria-label="People found">
                {found.into_iter().map(|s| suggestion_row(s, false)).collect_view()}
            </ul>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::member_rows;
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
        }
    }

    /// The open elements, checked closed in order: a typo in the string would break the page.
    fn assert_balanced(html: &str) {
        let mut open = Vec::new();
        for tag in html.split('<').skip(1) {
            let tag = tag.split(['>', ' ']).next().unwrap();
            if let Some(closing) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(closing), "in {html}");
            } else if tag != "input" {
                open.push(tag);
            }
        }
        assert!(open.is_empty(), "left open: {open:?}");
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
        assert_eq!(rows.matches("<tr>").count(), 2);
        assert!(rows.starts_with(r#"<tr><td><input type="checkbox" name="users[]" value="7" form="bulk-change" aria-label="Select Ada"></td><td>Ada</td><td class="email">ada@example.com</td><td><span class="pill manager">Manager</span> <a class="why" href="/profiles/3/why/7" aria-label="Why Ada has access">why?</a></td><td><time datetime="2024-02-29T23:05:09Z">2024-02-29</time></td><td>Bob</td>"#), "{rows}");
        // Each row offers the other level, and removal, to the same profile and user.
        assert!(rows.contains(r#"<input type="hidden" name="access" value="member"><button type="submit" class="button small" aria-label="Make member: Ada">Make member</button>"#));
        assert!(rows.contains(r#"<input type="hidden" name="access" value="manager"><button type="submit" class="button small" aria-label="Make manager: Cy">Make manager</button>"#));
        assert_eq!(
            rows.matches(
                r#"<input type="hidden" name="profile" value="3"><input type="hidden" name="user" value="8">"#
            )
            .count(),
            2
        );
        assert!(rows.contains(r#"aria-label="Remove Cy">Remove</button>"#));
        assert!(rows.contains(r#"<td><span class="pill">Member</span>"#));
        assert!(rows.contains("<td>—</td>"), "an adder whose account is gone");
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
        assert!(rows.contains("<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</td>"));
        assert!(rows.contains(r#"aria-label="Select &lt;img src=x onerror=&quot;alert(1)&quot;&gt;""#));
        assert!(rows.contains("a&amp;b@example.com"));
        assert!(rows.contains("<td>&lt;/td&gt;&lt;script&gt;</td>"));
    }

    #[test]
    fn no_members_no_rows() {
        assert_eq!(member_rows(&[], ProfileId(1), true), "");
    }
}
