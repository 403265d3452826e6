//! The API's reference page, `/api/v1/docs`: how to call it, then every operation and
//! schema as the OpenAPI document describes them.

use leptos::prelude::*;
use leptos_meta::Title;

use super::error_view;
use crate::reference::{api_reference, Field, Group, Operation, Reference, SchemaDoc};

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| api_reference());
    view! {
        <Title text="API reference" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(reference) => view! { <ReferenceBody reference /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn ReferenceBody(reference: Reference) -> impl IntoView {
    let contents = reference
        .groups
        .iter()
        .map(|g| {
            let ops = g
                .operations
                .iter()
                .map(|op| {
                    view! {
                        <li>
                            <a href=format!("#{}", op.id)>
                                <code>{format!("{} {}", op.method, op.path)}</code>
                            </a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li>
                    <a href=format!("#tag-{}", g.tag)>{g.tag.clone()}</a>
                    <ul>{ops}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <h1>"Roster API " <span class="muted">{format!("v{}", reference.version)}</span></h1>
        <p class="lede">
            "Everything the pages show and change, as JSON under " <code>"/api/v1"</code>
            ". The same rules decide what a caller may see and do: a token does no more than its owner could."
        </p>
        <section class="card" aria-labelledby="using-heading">
            <h2 id="using-heading">"Using it"</h2>
            <ul class="lines">
                <li>
                    "Make a token on your " <a href="/account/tokens">"Access tokens"</a>
                    " page and send it as " <code>"Authorization: Bearer <token>"</code>
                    ", never with a session cookie (a request with both is refused). " <code>"read"</code>
                    " lets a token look, " <code>"write"</code> " change, " <code>"admin"</code>
                    " use an admin's power."
                </li>
                <li>
                    "Lists come a page at a time: " <code>"limit"</code> " (1 to 200, 50 by default) and "
                    <code>"cursor"</code> ". Follow " <code>"next"</code>
                    " (also in the Link header) until it is null."
                </li>
                <li>
                    "Errors are problem details (RFC 9457, " <code>"application/problem+json"</code>
                    "). Something you may not see answers 404, the same as something that doesn't exist."
                </li>
                <li>
                    "Each token has a rate; past it, 429 with Retry-After. The machine-readable document is "
                    <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> " (OpenAPI 3.1)."
                </li>
            </ul>
            <nav aria-label="Operations">
                <ul class="lines">{contents}</ul>
            </nav>
        </section>
        {reference.groups.into_iter().map(|group| view! { <GroupSection group /> }).collect_view()}
        <section class="card" aria-labelledby="schemas-heading">
            <h2 id="schemas-heading">"Schemas"</h2>
            {reference.schemas.into_iter().map(|schema| view! { <Schema schema /> }).collect_view()}
        </section>
    }
}

#[component]
fn GroupSection(group: Group) -> impl IntoView {
    view! {
        <section class="card" id=format!("tag-{}", group.tag) aria-label=group.tag.clone()>
            <h2>{group.tag.clone()}</h2>
            <p class="muted">{group.description}</p>
            {group.operations.into_iter().map(|op| view! { <OperationView op /> }).collect_view()}
        </section>
    }
}

#[component]
fn OperationView(op: Operation) -> impl IntoView {
    let answers = op
        .responses
        .into_iter()
        .map(|a| {
            view! {
                <tr>
                    <td>
                        <code>{a.status}</code>
                    </td>
                    <td>{a.kind.map(|k| view! { <code>{k}</code> })}</td>
                    <td>{a.description}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="operation" id=op.id.clone() data-testid="operation">
            <h3>
                <code>{format!("{} {}", op.method, op.path)}</code>
            </h3>
            <p>{op.summary}</p>
            {(!op.description.is_empty()).then(|| view! { <p class="muted">{op.description}</p> })}
            <p class="muted">"Needs the " <code>{op.scope}</code> " scope."</p>
            {(!op.params.is_empty()).then(|| view! { <Fields fields=op.params caption="Parameters" /> })}
            {op.body.map(|body| view! { <p>"Body: " <code>{body}</code></p> })}
            <table class="table">
                <caption>"Answers"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Body"</th>
                        <th scope="col">"When"</th>
                    </tr>
                </thead>
                <tbody>{answers}</tbody>
            </table>
        </article>
    }
}

#[component]
fn Fields(fields: Vec<Field>, caption: &'static str) -> impl IntoView {
    let rows = fields
        .into_iter()
        .map(|f| {
            let place = (!f.location.is_empty()).then(|| format!(" ({})", f.location));
            view! {
                <tr>
                    <td>
                        <code>{f.name}</code>
                        {place}
                    </td>
                    <td>
                        <code>{f.kind}</code>
                    </td>
                    <td>{if f.required { "yes" } else { "no" }}</td>
                    <td>{f.description}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Required"</th>
                    <th scope="col">"Meaning"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn Schema(schema: SchemaDoc) -> impl IntoView {
    let values = (!schema.values.is_empty())
        .then(|| view! { <p>"One of: " <code>{schema.values.join(", ")}</code></p> });
    let anchor = format!("schema-{}", schema.name);
    view! {
        <article class="operation" id=anchor>
            <h3>
                <code>{schema.name}</code>
            </h3>
            {(!schema.description.is_empty()).then(|| view! { <p class="muted">{schema.description}</p> })}
            {values}
            {(!schema.fields.is_empty()).then(|| view! { <Fields fields=schema.fields caption="Fields" /> })}
        </article>
    }
}
