//! A profile's access review page (`/profiles/ID/review`): start a review, decide about each
//! member a page at a time (with when they were added and last signed in), complete it; and
//! how often one is required.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use super::{
    error_view,
    history::ProfileTabs,
    id_or_not_found,
    islands::{CompleteReviewForm, DecisionRows, Look, ScheduleReviewsForm, StartReviewForm},
    param_id,
    profiles::AccessBadge,
    query, Pager, When,
};
use crate::{
    domain::{Access, ProfileId},
    reviews::{changed_to, get_reviews, Decide, Decision, Review, ReviewState, Reviewed, MOST_DAYS},
};

#[component]
pub fn ReviewPage() -> impl IntoView {
    let id = param_id("id");
    let after = query("after");
    let state = Resource::new(
        move || (id.get(), after.get()),
        |(id, after)| async move { get_reviews(ProfileId(id_or_not_found(id)?), None, after).await },
    );
    let completed = query("completed").get_untracked().is_some();
    let scheduled = query("scheduled").get_untracked().is_some();
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let state = match state.await {
                    Ok(state) => state,
                    Err(err) => return error_view(err),
                };
                let on_later_page = after.get_untracked().is_some();
                view! {
                    <Title text=format!("Access review · {}", state.profile_name) />
                    <p class="crumbs">
                        <a href="/profiles">"My profiles"</a>
                    </p>
                    <h1>{state.profile_name.clone()}</h1>
                    <ProfileTabs id=state.profile_id current="review" settings=true manage=true />
                    {completed
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="review-completed">
                                    "Review completed: its decisions are applied."
                                </p>
                            }
                        })}
                    {scheduled
                        .then(|| {
                            view! {
                                <p class="notice" role="status" data-testid="review-scheduled">
                                    "Saved."
                                </p>
                            }
                        })}
                    <ReviewSection state=state.clone() on_later_page />
                    <ScheduleSection state />
                }
                    .into_any()
            })}
        </Transition>
    }
}

/// The review under way, with its members and the button that completes it; or the last
/// one and the button that starts one.
#[component]
fn ReviewSection(state: ReviewState, on_later_page: bool) -> impl IntoView {
    let profile = state.profile_id;
    let Some(open) = state.open.clone() else {
        let last = match &state.last {
            Some(last) => summary("The last review", last),
            None => "This profile has never been reviewed.".to_owned(),
        };
        return view! {
            <section class="card stack" aria-labelledby="review-heading">
                <h2 id="review-heading">"Access review"</h2>
                <p data-testid="last-review">{last}</p>
                <p class="hint">
                    "A review lists everyone on the profile: keep, change or remove each. \
                     Nothing changes until you complete it, and you can leave and come back."
                </p>
                <StartReviewForm look=Look::new("Start a review", "Starting…")
                    .named("Start a review")
                    .button("button primary")>
                    <input type="hidden" name="profile" value=profile.0 />
                </StartReviewForm>
            </section>
        }
        .into_any();
    };
    let undecided = (state.member_count - open.decided).max(0);
    let base = format!("/profiles/{profile}/review?");
    let after = query("after").get_untracked().unwrap_or_default();
    view! {
        <section class="card stack" aria-labelledby="review-heading">
            <h2 id="review-heading">"Access review under way"</h2>
            <p data-testid="review-progress">
                {format!(
                    "Decided {} of {}: {} to remove, {} to change. ",
                    open.decided,
                    state.member_count,
                    open.removals,
                    open.changes,
                )} {summary("Started", &open)}
            </p>
            <progress max=state.member_count.max(1) value=open.decided aria-label="Decided so far"></progress>
            <DecisionRows>
                <ReviewTable rows=state.members.items.clone() profile after />
            </DecisionRows>
            <Pager next=state.members.next.clone() base on_later_page />
            <CompleteReviewForm look=Look::new("Complete the review", "Completing…")
                .class("stack")
                .id("complete-review")
                .named("Complete the review")
                .button("button primary")>
                <input type="hidden" name="profile" value=profile.0 />
                {(undecided > 0)
                    .then(|| {
                        view! {
                            <label class="check">
                                <input type="checkbox" name="keep_rest" value="yes" />
                                {format!("Keep everyone not decided ({undecided})")}
                            </label>
                        }
                    })}
            </CompleteReviewForm>
        </section>
    }
    .into_any()
}

/// "Started 2026-12-07 10:00 UTC by Manny", "completed … by …".
fn summary(what: &str, review: &Review) -> String {
    let by = |who: &Option<String>| who.clone().map(|who| format!(" by {who}")).unwrap_or_default();
    match review.completed_at {
        Some(at) => format!("{what} was completed {}{}.", at.minute(), by(&review.completed_by)),
        None => format!("{what} {}{}.", review.started_at.minute(), by(&review.started_by)),
    }
}

/// A page of the review's members, each with its three decisions: one form a row, the
/// decision its pressed button's value. `after` brings the decision back to this page.
#[component]
fn ReviewTable(rows: Vec<Reviewed>, profile: ProfileId, after: String) -> impl IntoView {
    let row = move |row: Reviewed| {
        let m = row.member;
        let decided = match (row.decision, changed_to(Decision::Change, m.access)) {
            (None, _) => "not decided".to_owned(),
            (Some(Decision::Keep), _) => "keep".to_owned(),
            (Some(Decision::Remove), _) => "remove".to_owned(),
            (Some(Decision::Change), to) => format!("make {}", to.map_or("", Access::as_str)),
        };
        let to = if m.access == Access::Manager { "Make member" } else { "Make manager" };
        let name = m.display_name.clone();
        let button = |decision: Decision, label: &'static str, class: &'static str| {
            let pressed = (row.decision == Some(decision)).then_some("true");
            view! {
                <button
                    name="decision"
                    value=decision.as_str()
                    class=class
                    aria-pressed=pressed.unwrap_or("false")
                    aria-label=format!("{label}: {name}")
                >
                    {label}
                </button>
            }
        };
        view! {
            <tr id=format!("member-{}", m.user_id.0)>
                <td>{m.display_name.clone()}</td>
                <td class="email">{m.email.clone()}</td>
                <td>
                    <AccessBadge access=m.access />
                </td>
                <td>
                    <When at=m.added_at />
                </td>
                <td>
                    {match row.last_sign_in {
                        Some(at) => view! { <When at /> }.into_any(),
                        None => view! { <span class="muted">"never"</span> }.into_any(),
                    }}
                </td>
                <td data-testid="decision">{decided}</td>
                <td class="row-actions">
                    <form action=Decide::PATH method="post" class="inline-form">
                        <input type="hidden" name="profile" value=profile.0 />
                        <input type="hidden" name="user" value=m.user_id.0 />
                        <input type="hidden" name="after" value=after.clone() />
                        {button(Decision::Keep, "Keep", "button small")}
                        {button(Decision::Change, to, "button small")}
                        {button(Decision::Remove, "Remove", "button small danger")}
                    </form>
                </td>
            </tr>
        }
    };
    view! {
        <table class="table" data-testid="review-members">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Access"</th>
                    <th scope="col">"Added"</th>
                    <th scope="col">"Last signed in"</th>
                    <th scope="col">"Decision"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Decide"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}

/// How often a review is required, and when the next is due.
#[component]
fn ScheduleSection(state: ReviewState) -> impl IntoView {
    let due = match (state.every_days, state.due_at) {
        (Some(days), Some(due)) => {
            format!("A review is required every {days} days; the next is due {}.", due.date())
        }
        _ => "No review is required.".to_owned(),
    };
    view! {
        <section class="card stack" aria-labelledby="schedule-heading">
            <h2 id="schedule-heading">"Required reviews"</h2>
            <p data-testid="review-due">{due}</p>
            <ScheduleReviewsForm look=Look::new("Save", "Saving…")
                .class("row-form")
                .id("schedule-reviews")
                .named("Required reviews")>
                <input type="hidden" name="profile" value=state.profile_id.0 />
                <div class="field">
                    <label for="every-days">"Require a review every (days; empty for never)"</label>
                    <input
                        id="every-days"
                        name="every_days"
                        type="number"
                        min="1"
                        max=MOST_DAYS
                        value=state.every_days.map(|d| d.to_string()).unwrap_or_default()
                    />
                </div>
            </ScheduleReviewsForm>
            <p class="hint">"When one is due, the profile's managers are mailed."</p>
        </section>
    }
}
