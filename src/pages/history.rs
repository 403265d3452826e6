//! History views: a profile's and a user's changes, who had access to a profile on a day,
//! and why someone has access now.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    error_view, id_or_not_found,
    invitations::InvitationRecords,
    islands::{Look, SetEndForm, UndoRows},
    param_id, query, DownloadLink, Empty, ListQuery, Pager, Total, When,
};
use crate::{
    domain::{ProfileId, UserId},
    error::AppError,
    expiry::{list_end_changes, EndChange},
    export::Export,
    history::{
        explain_access, list_profile_changes, list_profile_history, who_had_access, AccessAt, AccessPath,
        Action, Entry, Explanation, SubjectEntry, UndoRemoval,
    },
    invitations::list_invitations,
    paging::Page,
    profiles::{get_profile, ProfileDetail},
};

/// The filter above a history list: one kind of change, as a GET form.
#[component]
pub fn HistoryFilter(
    action: Memo<Option<String>>,
    /// Offer a search by person too (a profile's history).
    #[prop(optional)]
    search: Option<Memo<Option<String>>>,
) -> impl IntoView {
    view! {
        // Autocomplete off: on Back, the browser would otherwise put back what was typed last
        // rather than what the address (and so the list) says.
        <form
            method="get"
            action=""
            class="row-form list-controls"
            role="search"
            autocomplete="off"
            aria-label="Filter the history"
        >
            {search
                .map(|q| {
                    view! {
                        <div class="field grow">
                            <label for="history-q">"Person"</label>
                            <input
                                id="history-q"
                                name="q"
                                type="search"
                                maxlength=crate::paging::SEARCH_MAX
                                placeholder="Any word of a name, or of an email…"
                                value=q.get_untracked()
                            />
                        </div>
                    }
                })}
            <div class="field">
                <label for="history-action">"Change"</label>
                <select id="history-action" name="action">
                    <option value="" selected=move || action.get().is_none()>
                        "Every change"
                    </option>
                    {Action::ALL
                        .iter()
                        .map(|a| {
                            let a = a.as_str();
                            view! {
                                <option value=a selected=move || action.get().as_deref() == Some(a)>
                                    {a}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button">
                "Show"
            </button>
        </form>
    }
}

/// A page of history entries, newest first. On a profile (`show_subject` false) each names
/// the person; on a user's page, the profile or role. `undo` offers to undo removals.
#[component]
pub fn HistoryList(
    page: Page<Entry>,
    #[prop(into)] base: String,
    on_later_page: bool,
    show_subject: bool,
    #[prop(optional)] undo: bool,
) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <Empty>"No changes recorded."</Empty> }.into_any();
    }
    let (total, more, next) = (page.total, page.more, page.next);
    let rows = page.items.into_iter().map(|entry| view! { <HistoryRow entry show_subject undo /> });
    let table = view! {
        <table class="table" data-testid="history">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    {(!show_subject).then(|| view! { <th scope="col">"Person"</th> })}
                    <th scope="col">"Change"</th>
                    <th scope="col">"By"</th>
                    {undo
                        .then(|| {
                            view! {
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            }
                        })}
                </tr>
            </thead>
            <tbody>{rows.collect_view()}</tbody>
        </table>
    };
    view! {
        <Total total noun="change" narrowed=false more />
        // The undo buttons are plain forms; the island sends them in the background.
        {if undo { view! { <UndoRows>{table}</UndoRows> }.into_any() } else { table.into_any() }}
        <Pager next base on_later_page param="history_after" />
    }
    .into_any()
}

/// One entry of [`HistoryList`].
#[component]
fn HistoryRow(entry: Entry, show_subject: bool, undo: bool) -> impl IntoView {
    let e = entry;
    // On a person's page, one sentence naming the profile or role; on a profile's, the
    // person, then what happened to them.
    let change = if show_subject {
        let (lead, rest) = e.describe_around();
        let name = match (e.profile_id, e.role_id) {
            (Some(p), _) => {
                let name = e.profile_name.clone().unwrap_or_else(|| format!("profile #{p} (deleted)"));
                view! { <a href=format!("/profiles/{p}")>{name}</a> }.into_any()
            }
            (_, Some(r)) => {
                let name = e.role_name.clone().unwrap_or_else(|| format!("role #{r} (deleted)"));
                view! { <strong>{name}</strong> }.into_any()
            }
            (None, None) => ().into_any(),
        };
        view! { <td data-label="Change">{lead} {name} {rest} {e.undone.then_some(" · undone")}</td> }
            .into_any()
    } else {
        let name = e.user_name.clone().unwrap_or_else(|| format!("Account #{} (deleted)", e.user_id));
        view! {
            <td data-label="Person">{name}</td>
            <td data-label="Change">{e.describe()} {e.undone.then_some(" · undone")}</td>
        }
        .into_any()
    };
    let undo_label = format!("Undo: {}", e.user_name.clone().unwrap_or_default());
    let undo_form = e.undoable().then(|| {
        view! {
            <form action=UndoRemoval::PATH method="post" class="inline-form">
                <input type="hidden" name="entry" value=e.id />
                <button type="submit" class="button small" aria-label=undo_label>
                    "Undo"
                </button>
            </form>
        }
    });
    view! {
        <tr>
            <td>
                <When at=e.at />
            </td>
            {change}
            <td data-label="By">{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
            {undo.then(|| view! { <td class="row-actions">{undo_form}</td> })}
        </tr>
    }
}

/// The latest changes to a role or a profile itself: created, renamed, described, deleted.
#[component]
pub fn SubjectChanges(changes: Vec<SubjectEntry>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <Empty>"No changes recorded."</Empty> }.into_any();
    }
    view! {
        <table class="table" data-testid="subject-changes">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Change"</th>
                    <th scope="col">"By"</th>
                </tr>
            </thead>
            <tbody>
                {changes
                    .into_iter()
                    .map(|c| {
                        view! {
                            <tr>
                                <td>
                                    <When at=c.at />
                                </td>
                                <td>{c.describe()}</td>
                                <td>{c.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The tabs of a profile's pages.
#[component]
pub fn ProfileTabs(
    id: ProfileId,
    current: &'static str,
    /// Whether to offer the settings tab (`ProfileDetail::has_settings`).
    settings: bool,
    /// Whether to offer the managers' tabs: invitations and the access review.
    #[prop(optional)]
    manage: bool,
) -> impl IntoView {
    let tabs = [
        ("members", "Members", format!("/profiles/{id}")),
        ("history", "History", format!("/profiles/{id}/history")),
        ("access", "Access on a date", format!("/profiles/{id}/access")),
    ]
    .into_iter()
    .chain(manage.then(|| ("invitations", "Invitations", format!("/profiles/{id}/invitations"))))
    .chain(manage.then(|| ("review", "Review", format!("/profiles/{id}/review"))))
    .chain(settings.then(|| ("settings", "Settings", format!("/profiles/{id}/settings"))));
    view! {
        <nav class="tabs" aria-label="Profile">
            {tabs
                .map(|(key, label, href)| {
                    view! {
                        <a href=href aria-current=(key == current).then_some("page")>
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// The head of one of a profile's tabs: the page's title, the way back, the profile's name
/// and its tabs, `current` marked.
#[component]
pub fn ProfileHead(profile: ProfileDetail, current: &'static str, title: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · {}", profile.name) />
        <p class="crumbs">
            <a href="/profiles">"My profiles"</a>
        </p>
        <h1>{profile.name.clone()}</h1>
        <ProfileTabs
            id=profile.id
            current
            settings=profile.has_settings()
            manage=profile.can_manage_members()
        />
    }
}

#[component]
pub fn ProfileHistoryPage() -> impl IntoView {
    let id = param_id("id");
    let list = ListQuery::from_url();
    let action = query("action");
    let after = query("history_after");
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let history = Resource::new(
        move || (id.get(), action.get(), list.q.get(), after.get()),
        |(id, action, q, after)| async move {
            list_profile_history(ProfileId(id_or_not_found(id)?), action, q, after).await
        },
    );
    let changes = Resource::new(
        move || id.get(),
        |id| async move { list_profile_changes(ProfileId(id_or_not_found(id)?)).await },
    );
    // Every invitation and what became of it, for a manager (anyone else is refused).
    let invitations = Resource::new(
        move || (id.get(), query("invitations_after").get()),
        |(id, after)| async move {
            list_invitations(ProfileId(id_or_not_found(id)?), Some("yes".into()), after).await
        },
    );
    let ends = Resource::new(
        move || id.get(),
        |id| async move { list_end_changes(ProfileId(id_or_not_found(id)?)).await },
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
                let pid = profile.id;
                let mut base = format!("/profiles/{pid}/history?");
                if let Some(a) = action.get_untracked() {
                    base.push_str(&format!("action={a}&"));
                }
                if let Some(q) = list.q.get_untracked() {
                    base.push_str(&format!("q={}&", super::urlencode(&q)));
                }
                let entries = match history.await {
                    Err(err) => error_view(err),
                    Ok(page) => {
                        view! {
                            <HistoryList
                                page
                                base
                                on_later_page=after.get_untracked().is_some()
                                show_subject=false
                                undo=profile.can_manage
                            />
                        }
                            .into_any()
                    }
                };
                view! {
                    <ProfileHead profile=profile.clone() current="history" title="History" />
                    <section class="card" aria-labelledby="history-heading">
                        <h2 id="history-heading">"History"</h2>
                        <HistoryFilter action search=list.q />
                        {entries}
                        {profile
                            .can_manage
                            .then(|| {
                                view! {
                                    <DownloadLink href=Export::History
                                        .href(pid)>"Download the whole history as a CSV file"</DownloadLink>
                                }
                            })}
                    </section>
                    <section class="card" aria-labelledby="changes-heading">
                        <h2 id="changes-heading">"Changes to the profile"</h2>
                        {match changes.await {
                            Ok(changes) => view! { <SubjectChanges changes /> }.into_any(),
                            Err(err) => error_view(err),
                        }}
                    </section>
                    <section class="card" aria-labelledby="ends-heading">
                        <h2 id="ends-heading">"Ends of access"</h2>
                        {match ends.await {
                            Ok(changes) => view! { <EndChanges changes /> }.into_any(),
                            Err(err) => error_view(err),
                        }}
                    </section>
                    {invitations
                        .await
                        .ok()
                        .filter(|_| profile.can_manage)
                        .map(|page| {
                            let base = format!("/profiles/{pid}/history?");
                            view! {
                                <section class="card" aria-labelledby="invitations-heading">
                                    <h2 id="invitations-heading">"Invitations"</h2>
                                    <InvitationRecords page base />
                                </section>
                            }
                        })}
                }
                    .into_any()
            })}
        </Transition>
    }
}

#[component]
pub fn AccessOnPage() -> impl IntoView {
    let id = param_id("id");
    let on = query("on");
    let after = query("after");
    let profile = Resource::new(
        move || id.get(),
        |id| async move { get_profile(ProfileId(id_or_not_found(id)?)).await },
    );
    let rows = Resource::new(
        move || (id.get(), on.get(), after.get()),
        |(id, on, after)| async move {
            match on {
                Some(on) => who_had_access(ProfileId(id_or_not_found(id)?), on, after).await.map(Some),
                None => Ok(None),
            }
        },
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
                let pid = profile.id;
                let day = on.get_untracked().unwrap_or_default();
                let base = format!("/profiles/{pid}/access?on={day}&");
                let on_later_page = after.get_untracked().is_some();
                let answer = view! { <AccessOnAnswer answer=rows.await day base on_later_page /> };
                view! {
                    <ProfileHead profile=profile.clone() current="access" title="Access on a date" />
                    <section class="card" aria-labelledby="access-heading">
                        <h2 id="access-heading">"Who had access on a date"</h2>
                        <form method="get" action="" class="row-form" autocomplete="off">
                            <div class="field">
                                <label for="on">"Date"</label>
                                <input id="on" name="on" type="date" required value=on.get_untracked() />
                            </div>
                            <button type="submit" class="button">
                                "Show"
                            </button>
                        </form>
                        {answer}
                    </section>
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// Who had access at the end of `day`, or why that can't be told.
#[component]
fn AccessOnAnswer(
    answer: Result<Option<Page<AccessAt>>, AppError>,
    day: String,
    base: String,
    on_later_page: bool,
) -> impl IntoView {
    let page = match answer {
        Ok(None) => {
            return view! { <p class="muted">"Choose a day to see who had access at its end (UTC)."</p> }
                .into_any();
        }
        Err(AppError::Invalid { message, .. }) => {
            return view! {
                <p class="form-error" role="alert">
                    {message}
                </p>
            }
            .into_any();
        }
        Err(err) => return error_view(err),
        Ok(Some(page)) if page.items.is_empty() => {
            return view! { <Empty>{format!("No one had access at the end of {day}.")}</Empty> }.into_any();
        }
        Ok(Some(page)) => page,
    };
    let row = |r: AccessAt| {
        view! {
            <tr>
                <td>{r.user_name.unwrap_or_else(|| format!("Account #{} (deleted)", r.user_id))}</td>
                <td class="email">{r.email.unwrap_or_default()}</td>
                <td>{r.access.as_str()}</td>
                <td>{r.since.map(|s| s.date()).unwrap_or_default()}</td>
            </tr>
        }
    };
    view! {
        <Total total=page.total noun="person" narrowed=false more=page.more />
        <table class="table" data-testid="access-on">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Access"</th>
                    <th scope="col">"Since"</th>
                </tr>
            </thead>
            <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
        </table>
        <Pager next=page.next base on_later_page />
    }
    .into_any()
}

#[component]
pub fn WhyPage() -> impl IntoView {
    let id = param_id("id");
    let user = param_id("user");
    let saved = query("saved").get_untracked().is_some();
    let why = Resource::new(
        move || (id.get(), user.get()),
        |(id, user)| async move {
            explain_access(ProfileId(id_or_not_found(id)?), UserId(id_or_not_found(user)?)).await
        },
    );
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let why = match why.await {
                    Ok(why) => why,
                    Err(err) => return error_view(err),
                };
                let title = format!("Why {} has access to {}", why.user_name, why.profile_name);
                view! {
                    <Title text=title.clone() />
                    <p class="crumbs">
                        <a href=format!("/profiles/{}", why.profile_id)>{why.profile_name.clone()}</a>
                    </p>
                    <h1>{title}</h1>
                    {saved
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="end-saved">
                                    "The end of their access is saved."
                                </p>
                            }
                        })}
                    <section class="card" data-testid="why">
                        <AccessPaths who=why.user_name.clone() paths=why.paths.clone() />
                    </section>
                    {why.may_set_end.then(|| view! { <EndSection why /> })}
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// Every path that gives `who` access to a profile, or that none does.
#[component]
fn AccessPaths(who: String, paths: Vec<AccessPath>) -> impl IntoView {
    if paths.is_empty() {
        return view! { <p>{format!("{who} has no access to this profile.")}</p> }.into_any();
    }
    let item = |path: AccessPath| {
        let text = match path {
            AccessPath::Membership { access, since, added_by, ends } => {
                let adder = added_by.unwrap_or_else(|| "someone whose account is gone".into());
                let until = ends
                    .map(|ends| format!(" It ends after {} (UTC).", crate::expiry::last_day(ends)))
                    .unwrap_or_default();
                format!("A direct membership as {access}, since {}, added by {adder}.{until}", since.date())
            }
            AccessPath::AdminRole { since } => {
                format!("The admin role, held since {}: admins see and change every profile.", since.date())
            }
        };
        view! { <li>{text}</li> }
    };
    view! { <ul class="plain-list">{paths.into_iter().map(item).collect_view()}</ul> }.into_any()
}

/// The latest ends set, moved or cleared on a profile, newest first.
#[component]
fn EndChanges(changes: Vec<EndChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No one's access to this profile has been given an end."</p> }
            .into_any();
    }
    let row = |c: EndChange| {
        let who = c.user_name.clone().unwrap_or_else(|| "an account that is gone".into());
        let by = c.actor.clone().unwrap_or_else(|| "—".into());
        view! {
            <tr>
                <td>
                    <When at=c.at />
                </td>
                <td>{who}</td>
                <td>{c.describe()}</td>
                <td>{by}</td>
            </tr>
        }
    };
    view! {
        <p class="hint">
            "Each end is the last day of access, UTC. Access that ended shows in the history above \
             as “access ended”."
        </p>
        <table class="table" data-testid="end-changes">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"Change"</th>
                    <th scope="col">"By"</th>
                </tr>
            </thead>
            <tbody>{changes.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// A manager's forms for the end of someone's membership: a last day to set or move, and,
/// when it has one, taking the end away.
#[component]
fn EndSection(why: Explanation) -> impl IntoView {
    let ends = why.paths.iter().find_map(|path| match path {
        AccessPath::Membership { ends, .. } => *ends,
        AccessPath::AdminRole { .. } => None,
    });
    let last_day = ends.map(crate::expiry::last_day);
    let (profile, user) = (why.profile_id.0, why.user_id.0);
    let clear = last_day.is_some().then(|| {
        view! {
            <SetEndForm look=Look::new("Remove the end", "Removing…")
                .id("clear-end")
                .named("Remove the end of their access")>
                <input type="hidden" name="profile" value=profile />
                <input type="hidden" name="user" value=user />
                <input type="hidden" name="ends_on" value="" />
            </SetEndForm>
        }
    });
    view! {
        <section class="card stack" aria-labelledby="end-heading" data-testid="end-of-access">
            <h2 id="end-heading">"End of access"</h2>
            <p class="hint">
                {match &last_day {
                    Some(day) => format!("Their access ends after {day} (UTC)."),
                    None => "Their access doesn't end.".to_owned(),
                }}
            </p>
            <SetEndForm look=Look::new("Save the last day", "Saving…")
                .class("row-form")
                .id("set-end")
                .named("Set the last day of their access")>
                <input type="hidden" name="profile" value=profile />
                <input type="hidden" name="user" value=user />
                <div class="field">
                    <label for="ends-on">"Last day of access"</label>
                    <input
                        id="ends-on"
                        name="ends_on"
                        type="date"
                        required
                        value=last_day.unwrap_or_default()
                    />
                </div>
            </SetEndForm>
            {clear}
        </section>
    }
}
