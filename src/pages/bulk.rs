//! A bulk change's own page: its preview, row by row, with the button that applies it; once
//! applied, its report, and for a removal, the button that puts everyone back.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    error_view, id_or_not_found,
    islands::{ApplyBulkForm, Look, UndoBulkForm},
    param_id, plural_of, query,
};
use crate::bulk::{get_bulk, BulkChange, BulkKind, BulkRow, RowStatus};

#[component]
pub fn BulkPage() -> impl IntoView {
    let id = param_id("bulk");
    let bulk = Resource::new(move || id.get(), |id| async move { get_bulk(id_or_not_found(id)?).await });
    view! {
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match bulk.await {
                    Ok(bulk) => view! { <BulkView bulk /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

/// A bulk change: how many rows do what, the button that applies it (until it is applied),
/// and every row.
#[component]
fn BulkView(bulk: BulkChange) -> impl IntoView {
    let counts = [
        (RowStatus::Change, if bulk.applied { "changed" } else { "to change" }),
        (RowStatus::Invite, if bulk.applied { "invited" } else { "to invite" }),
        (RowStatus::Unchanged, "unchanged"),
        (RowStatus::Unknown, "unknown"),
        (RowStatus::Refused, "refused"),
    ];
    // Only an add or an import invites anyone.
    let adding = matches!(bulk.kind, BulkKind::Add | BulkKind::Import);
    // An import's rows are its file's lines.
    let lines = bulk.rows.iter().any(|row| row.line.is_some());
    let summary = counts
        .iter()
        .filter(|(status, _)| adding || *status != RowStatus::Invite)
        .map(|(status, label)| format!("{} {label}", bulk.count(*status)))
        .collect::<Vec<_>>()
        .join(" · ");
    let changes = bulk.actionable();
    let profile = format!("/profiles/{}", bulk.profile_id);
    let undo = (bulk.kind == BulkKind::Remove).then_some(UndoRemovals {
        id: bulk.id,
        applied: bulk.applied,
        undoable: bulk.undoable,
    });
    let cancel = profile.clone();
    // A preview with nothing to change offers no button that would do nothing.
    let apply = match (bulk.applied, changes) {
        (true, _) => None,
        (false, 0) => Some(
            view! {
                <p class="notice" data-testid="nothing-to-apply">
                    "Nothing to apply: every row is unchanged, unknown or refused. "
                    <a href=cancel>"Back to the profile"</a>
                </p>
            }
            .into_any(),
        ),
        (false, _) => {
            let label = format!("Apply {changes} change{}", if changes == 1 { "" } else { "s" });
            Some(
                view! {
                    <ApplyBulkForm look=Look::new(label, "Applying…")
                        .class("row-form")
                        .named("Apply this change")
                        .button("button primary")>
                        <input type="hidden" name="id" value=bulk.id />
                        <a class="button subtle" href=cancel>
                            "Cancel"
                        </a>
                    </ApplyBulkForm>
                }
                .into_any(),
            )
        }
    };
    let row = |row: BulkRow| {
        let class = match row.status {
            RowStatus::Change | RowStatus::Invite => "ok",
            RowStatus::Unchanged => "muted",
            RowStatus::Unknown | RowStatus::Refused => "bad",
        };
        let line = lines.then(|| view! { <td>{row.line.map(|n| n.to_string()).unwrap_or_default()}</td> });
        view! { <tr class=class>{line} <td>{row.label}</td> <td>{row.note}</td></tr> }
    };
    let line_heading = lines.then(|| view! { <th scope="col">"Line"</th> });
    view! {
        <Title text=bulk.title() />
        <p class="crumbs">
            <a href=profile>{bulk.profile_name.clone()}</a>
        </p>
        <h1>{bulk.title()}</h1>
        <section class="card" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">
                {if bulk.applied { "Done" } else { "Preview: nothing has changed yet" }}
            </h2>
            <p data-testid="bulk-summary">{summary}</p>
            {apply}
            {undo.map(|undo| view! { <UndoRemovalsView undo /> })}
            <table class="table" data-testid="bulk-rows">
                <thead>
                    <tr>{line_heading} <th scope="col">"Row"</th> <th scope="col">"Outcome"</th></tr>
                </thead>
                <tbody>{bulk.rows.into_iter().map(row).collect_view()}</tbody>
            </table>
        </section>
    }
}

/// What a bulk removal's page offers to put back.
#[derive(Clone, Copy)]
struct UndoRemovals {
    id: i64,
    applied: bool,
    /// How many of the people it removed are not back yet.
    undoable: i64,
}

/// Before a bulk removal: that it can be undone. After: the button that undoes it whole,
/// and once used, how many came back.
#[component]
fn UndoRemovalsView(undo: UndoRemovals) -> impl IntoView {
    let count = |n: i64| format!("{n} {}", if n == 1 { "person".to_owned() } else { plural_of("person") });
    let restored = query("restored").get_untracked().and_then(|n| n.parse::<i64>().ok());
    let stayed = query("stayed").get_untracked().and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
    let notice = restored.map(|n| {
        let mut text = format!("Put back {}, each with their access and date as before.", count(n));
        if stayed > 0 {
            text.push_str(&format!(" {} stayed as they were: on the profile again, or gone.", count(stayed)));
        }
        view! {
            <p class="notice" role="status" data-testid="bulk-undone">
                {text}
            </p>
        }
    });
    let offer = match (undo.applied, undo.undoable) {
        (false, _) => Some(
            view! {
                <p class="muted" data-testid="bulk-undo-hint">
                    "Once applied, you can put everyone back in one step from this page."
                </p>
            }
            .into_any(),
        ),
        (true, 0) => None,
        (true, n) => Some(
            view! {
                <UndoBulkForm look=Look::new(format!("Undo: put back {}", count(n)), "Putting back…")
                    .class("row-form")
                    .named("Undo this removal")>
                    <input type="hidden" name="id" value=undo.id />
                </UndoBulkForm>
            }
            .into_any(),
        ),
    };
    view! {
        {notice}
        {offer}
    }
}
