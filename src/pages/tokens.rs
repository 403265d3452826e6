//! Access tokens: a person's own, and for admins the service tokens; making one (its secret
//! shown once, here) and revoking any.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    error_view,
    islands::{CreateTokenForm, Look, RevokeTokenForm},
    query, Empty, When,
};
use crate::{
    api_tokens::{
        list_tokens, take_new_token, NewToken, Scope, TokenInfo, TokenKind, TokenList, LIFETIMES,
        NAME_MAX_CHARS,
    },
    auth::Session,
    domain::SessionUser,
};

#[component]
pub fn TokensPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let tokens = Resource::new(|| (), |_| list_tokens());
    let fresh = Resource::new(|| (), |_| take_new_token());
    view! {
        <Title text="Access tokens" />
        <Transition fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                let me = match session.user.await {
                    Ok(Some(me)) => me,
                    Ok(None) => return error_view(crate::error::AppError::sign_in_required()),
                    Err(err) => return error_view(err),
                };
                match tokens.await {
                    Ok(list) => {
                        let fresh = fresh.await.ok().flatten();
                        view! { <TokensBody me list fresh /> }.into_any()
                    }
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokensBody(me: SessionUser, list: TokenList, fresh: Option<NewToken>) -> impl IntoView {
    let revoked = query("revoked").get_untracked().is_some().then(|| {
        view! {
            <p class="notice" role="status" data-testid="token-revoked">
                "The token is revoked: it stops working at once."
            </p>
        }
    });
    let reauth = !me.password_recent;
    view! {
        <h1>"Access tokens"</h1>
        <p class="lede">
            "A token lets a script call Roster's " <a href="/api/v1/docs">"JSON API"</a>
            " as you, with no password and no browser. It can do no more than you can, only what its "
            "scopes allow, and nothing once your account is deactivated. Keep it as secret as a password."
        </p>
        <p>
            <a href="/account">"Back to your account"</a>
        </p>
        {fresh.map(|token| view! { <Revealed token /> })}
        {revoked}
        <section class="card" aria-labelledby="personal-heading">
            <h2 id="personal-heading">"Your tokens"</h2>
            <TokenTable tokens=list.personal testid="personal-tokens" service=false />
        </section>
        <section class="card narrow" aria-labelledby="new-personal-heading">
            <h2 id="new-personal-heading">"New token"</h2>
            <NewTokenForm kind=TokenKind::Personal admin=me.is_admin reauth />
        </section>
        {list
            .service
            .map(|service| {
                view! {
                    <section class="card" aria-labelledby="service-heading">
                        <h2 id="service-heading">"Service tokens"</h2>
                        <p class="muted">
                            "A service token acts for the organisation, not for a person: for an identity "
                            "provider's provisioning (scope scim) or an automation that needs admin power. "
                            "It keeps working when the admin who made it leaves. Only admins see them."
                        </p>
                        <TokenTable tokens=service testid="service-tokens" service=true />
                    </section>
                    <section class="card narrow" aria-labelledby="new-service-heading">
                        <h2 id="new-service-heading">"New service token"</h2>
                        <NewTokenForm kind=TokenKind::Service admin=true reauth />
                    </section>
                }
            })}
    }
}

/// A token just made: its secret, this once.
#[component]
fn Revealed(token: NewToken) -> impl IntoView {
    view! {
        <section class="card reveal" role="status" aria-labelledby="revealed-heading" data-testid="new-token">
            <h2 id="revealed-heading">{format!("Your new token \u{201c}{}\u{201d}", token.name)}</h2>
            <p>"Copy it now: it is shown only this once. Roster keeps only a fingerprint of it."</p>
            <div class="field">
                <label for="new-token-secret">"Token"</label>
                <input
                    id="new-token-secret"
                    class="secret"
                    type="text"
                    readonly
                    value=token.secret
                    autocomplete="off"
                    spellcheck="false"
                    data-testid="new-token-secret"
                />
            </div>
            <p class="hint">
                "Send it as " <code>"Authorization: Bearer <token>"</code> ", never with a cookie."
            </p>
        </section>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenInfo>, testid: &'static str, service: bool) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <Empty>"No tokens yet."</Empty> }.into_any();
    }
    let row = move |t: TokenInfo| {
        let expires = match t.expires_at {
            None => view! { "Never" }.into_any(),
            Some(at) if t.expired => view! {
                <span class="pill">"Expired"</span>
                " "
                <When at />
            }
            .into_any(),
            Some(at) => view! { <When at /> }.into_any(),
        };
        let used = t
            .last_used_at
            .map_or_else(|| view! { "Never" }.into_any(), |at| view! { <When at /> }.into_any());
        let maker = service.then(|| {
            let maker = t.created_by.clone().unwrap_or_else(|| "a deleted account".into());
            view! { <td data-label="Made by">{maker}</td> }
        });
        view! {
            <tr>
                <td class="who-cell">{t.name.clone()}</td>
                <td data-label="Scopes">{t.scopes.names()}</td>
                {maker}
                <td data-label="Made">
                    <When at=t.created_at />
                </td>
                <td data-label="Last used">{used}</td>
                <td data-label="Expires">{expires}</td>
                <td>
                    <RevokeTokenForm look=Look::new("Revoke", "Revoking…")
                        .class("inline-form")
                        .button("button small danger")
                        .button_named(format!("Revoke {}", t.name))>
                        <input type="hidden" name="id" value=t.id />
                    </RevokeTokenForm>
                </td>
            </tr>
        }
    };
    view! {
        <table class="table" data-testid=testid>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Scopes"</th>
                    {service.then(|| view! { <th scope="col">"Made by"</th> })}
                    <th scope="col">"Made"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{tokens.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// The form for a new token of `kind`; `admin` offers the admin scope.
#[component]
fn NewTokenForm(kind: TokenKind, admin: bool, reauth: bool) -> impl IntoView {
    let (prefix, label) = match kind {
        TokenKind::Personal => ("personal", "New token"),
        TokenKind::Service => ("service", "New service token"),
    };
    let offered: Vec<Scope> = match kind {
        TokenKind::Personal => {
            Scope::ALL.into_iter().filter(|s| *s != Scope::Scim && (admin || *s != Scope::Admin)).collect()
        }
        TokenKind::Service => vec![Scope::Read, Scope::Admin, Scope::Scim],
    };
    let scope_box = move |scope: Scope| {
        view! {
            <label class="check">
                <input
                    id=format!("{prefix}-scope-{}", scope.name())
                    type="checkbox"
                    name="scopes[]"
                    value=scope.name()
                    checked=scope == Scope::Read
                />
                <span>
                    <strong>{scope.name()}</strong>
                    {format!(": {}", scope.describe())}
                </span>
            </label>
        }
    };
    let kind_value = match kind {
        TokenKind::Personal => "personal",
        TokenKind::Service => "service",
    };
    view! {
        <CreateTokenForm look=Look::new("Make token", "Making…")
            .id(prefix)
            .class("stack")
            .named(label)
            .button("button primary")
            .reauth(reauth)>
            <input type="hidden" name="kind" value=kind_value />
            <div class="field">
                <label for=format!("{prefix}-token-name")>"Name"</label>
                <input
                    id=format!("{prefix}-token-name")
                    name="name"
                    required
                    maxlength=NAME_MAX_CHARS
                    autocomplete="off"
                    placeholder="What uses it, such as \u{201c}nightly sync\u{201d}"
                />
            </div>
            <fieldset class="field">
                <legend>"Scopes"</legend>
                {offered.into_iter().map(scope_box).collect_view()}
            </fieldset>
            <div class="field">
                <label for=format!("{prefix}-token-expires")>"Expires"</label>
                <select id=format!("{prefix}-token-expires") name="expires">
                    {LIFETIMES
                        .iter()
                        .map(|(value, text)| {
                            view! {
                                <option value=*value selected=*value == "90">
                                    {*text}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </CreateTokenForm>
    }
}
