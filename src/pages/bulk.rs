//! A bulk change's own page: its preview, row by row, with the button that applies it; once
//! applied, its report.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    error_view, id_or_not_found,
    islands::{ApplyBulkForm, Look},
    param_id,
};
use crate::bulk::{get_bulk, BulkChange, BulkRow, RowStatus};

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
        (RowStatus::Unchanged, "unchanged"),
        (RowStatus::Unknown, "unknown"),
        (RowStatus::Refused, "refused"),
    ];
    let summary = counts
        .iter()
        .map(|(status, label)| format!("{} {label}", bulk.count(*status)))
        .collect::<Vec<_>>()
        .join(" · ");
    let changes = bulk.count(RowStatus::Change);
    let profile = format!("/profiles/{}", bulk.profile_id);
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
            RowStatus::Change => "ok",
            RowStatus::Unchanged => "muted",
            RowStatus::Unknown | RowStatus::Refused => "bad",
        };
        view! {
            <tr class=class>
                <td>{row.label}</td>
                <td>{row.note}</td>
            </tr>
        }
    };
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
            <table class="table" data-testid="bulk-rows">
                <thead>
                    <tr>
                        <th scope="col">"Row"</th>
                        <th scope="col">"Outcome"</th>
                    </tr>
                </thead>
                <tbody>{bulk.rows.into_iter().map(row).collect_view()}</tbody>
            </table>
        </section>
    }
}
