//! Pages, one module each, and the small pieces of UI they share.

/// Appends each piece in turn to a `String`: for rows written as a string (`push_escaped`).
macro_rules! push {
    ($out:expr, $($piece:expr),+ $(,)?) => {{ $($out.push_str($piece);)+ }};
}

pub mod account;
pub mod auth;
pub mod bulk;
pub mod history;
pub mod home;
pub mod invitations;
pub mod islands;
pub mod not_found;
pub mod profiles;
pub mod reauth;
pub mod reference;
pub mod reviews;
pub mod roles;
pub mod security;
pub mod tokens;
pub mod users;

use leptos::prelude::*;

use crate::error::AppError;

/// The last submission's error as an alert above the form: only those that belong to no one
/// field (the others show beside their `Field`), or with `all`, every one.
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] all: bool,
    /// Whether a request for the password again (`crate::reauth`) links to the page that
    /// takes it, for forms with no field of their own for it.
    #[prop(optional)]
    confirm_link: bool,
) -> impl IntoView {
    move || {
        error.get().filter(|err| all || err.field().is_none()).map(|err| {
            let link = (confirm_link && crate::reauth::is_asked_for(&err)).then(|| {
                view! {
                    " "
                    <a href=crate::reauth::PAGE>"Confirm your password"</a>
                }
            });
            view! {
                <p class="form-error" role="alert" data-testid="form-error">
                    {err.to_string()}
                    {link}
                </p>
            }
        })
    }
}

/// The error of an action's last result, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// Checks a field's text as it is typed, as the server would.
pub type Validate = fn(&str) -> Result<(), AppError>;

/// A labelled input with its own error line. In an island, `validate` runs as soon as the
/// field changes, and the server's verdict on the same field shows in the same place.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] validate: Option<Validate>,
    /// What the field holds to begin with.
    #[prop(optional, into)]
    value: Option<String>,
    /// The server's verdict, for a field inside an island (else the island shows it above).
    #[prop(optional, into)]
    server_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (local_error, set_local_error) = signal(None::<String>);
    let value = crate::flash::kept(name).or(value);
    let message = move || {
        local_error
            .get()
            .or_else(|| server_error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string()))
    };
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let error_id = format!("{name}-error");
    let described_by = match &hint_id {
        Some(hint_id) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <input
                id=name
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                minlength=minlength
                maxlength=maxlength
                required
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=described_by
                on:change=move |ev| {
                    if let Some(validate) = validate {
                        set_local_error.set(validate(&event_target_value(&ev)).err().map(|e| e.to_string()));
                    }
                }
            />
            {hint
                .map(|hint| {
                    view! {
                        <p class="hint" id=hint_id.clone()>
                            {hint}
                        </p>
                    }
                })}
            <p class="field-error" id=error_id aria-live="polite">
                {message}
            </p>
        </div>
    }
}

/// "Your password", given again before a change: `id` unique on the page, `name` the
/// server function's argument.
#[component]
pub fn YourPassword(
    #[prop(into)] id: String,
    name: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label for=id.clone()>"Your password"</label>
            <input
                id=id
                name=name
                type="password"
                autocomplete="current-password"
                required
                aria-describedby=hint_id.clone()
            />
            {hint
                .map(|hint| {
                    view! {
                        <p class="hint" id=hint_id>
                            {hint}
                        </p>
                    }
                })}
        </div>
    }
}

/// The access level for people being added, members first: the picker's and the bulk add's.
#[component]
pub fn AccessChoice(id: &'static str, label: &'static str, #[prop(optional)] plural: bool) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name="access">
                <option value="member" selected>
                    {if plural { "Members" } else { "Member" }}
                </option>
                <option value="manager">{if plural { "Managers" } else { "Manager" }}</option>
            </select>
        </div>
    }
}

/// One person the picker suggests, "Name <email>": what they already are on the profile,
/// or else `children`, the way to add them.
#[component]
pub fn Suggested(
    label: String,
    access: Option<String>,
    #[prop(optional)] deactivated: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <li>
            <span class="suggestion">{label}</span>
            {deactivated
                .then(|| {
                    view! {
                        " "
                        <span class="pill muted">"deactivated"</span>
                        " "
                    }
                })}
            {match access {
                Some(access) => {
                    view! { <span class="muted">{format!(" · already a {access}")}</span> }.into_any()
                }
                None => children(),
            }}
        </li>
    }
}

/// What a page shows instead of its content when loading it failed: the 404 page for
/// "not found", a way to sign in for "sign in first", else the error's (safe) message.
pub fn error_view(err: AppError) -> AnyView {
    // The page's status says what went wrong, as the error would over the API.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
    }
    match err {
        AppError::NotFound => view! { <not_found::NotFound /> }.into_any(),
        AppError::Unauthorized(_) => view! {
            <section class="card narrow center">
                <h1>"Please sign in"</h1>
                <p>"You need to be signed in to see this page."</p>
                <p>
                    <a class="button primary" href="/signin">
                        "Sign in"
                    </a>
                </p>
            </section>
        }
        .into_any(),
        AppError::Forbidden => view! {
            <section class="card narrow center">
                <h1>"Not allowed"</h1>
                <p>"Your account can't open this page."</p>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="card narrow center">
                <h1>"Something went wrong"</h1>
                <p role="alert">{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// A list's state in the address: its search, access filter, sort and page. Every list
/// keeps these in the URL, so a list can be shared, Back works, and plain forms drive it.
#[derive(Clone, Copy)]
pub struct ListQuery {
    pub q: Memo<Option<String>>,
    pub access: Memo<Option<String>>,
    pub sort: Memo<Option<String>>,
    pub after: Memo<Option<String>>,
}

impl ListQuery {
    pub fn from_url() -> Self {
        ListQuery { q: query("q"), access: query("access"), sort: query("sort"), after: query("after") }
    }

    /// `path` with this list's search, filter and sort but no cursor, ending in `?` or `&`,
    /// ready for [`Pager`].
    pub fn base(&self, path: &str) -> String {
        let mut href = format!("{path}?");
        for (name, value) in [
            ("q", self.q.get_untracked()),
            ("access", self.access.get_untracked()),
            ("sort", self.sort.get_untracked()),
        ] {
            if let Some(value) = value {
                href.push_str(&format!("{name}={}&", urlencode(&value)));
            }
        }
        href
    }

    /// Whether a search or filter narrows the list.
    pub fn narrowed(&self) -> bool {
        self.q.get_untracked().is_some() || self.access.get_untracked().is_some()
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The search, filter and sort controls above a list: a GET form, so the list's state is
/// its address.
#[component]
pub fn ListControls(
    list: ListQuery,
    /// What the search box is for, such as "Search members".
    label: &'static str,
    /// Offer the access filter.
    #[prop(optional)]
    access: bool,
    /// The sort choices as (value, label); none hides the sort control.
    #[prop(optional)]
    sorts: &'static [(&'static str, &'static str)],
    /// The search covers people's names and emails, any word of either: sorted by name, name
    /// matches come first.
    #[prop(optional)]
    people: bool,
) -> impl IntoView {
    // The form's own name, told apart from its search box's ("Search members").
    let landmark = format!("Which {} to show", label.strip_prefix("Search ").unwrap_or(label));
    view! {
        // Autocomplete off: on Back, the browser would otherwise put back what was typed last
        // rather than what the address (and so the list) says.
        <form
            method="get"
            action=""
            class="row-form list-controls"
            role="search"
            autocomplete="off"
            aria-label=landmark
        >
            <div class="field grow">
                <label for="q">{label}</label>
                <input
                    id="q"
                    name="q"
                    type="search"
                    maxlength=crate::paging::SEARCH_MAX
                    placeholder=if people {
                        "Any word of a name, or of an email…"
                    } else {
                        "Name starts with…"
                    }
                    value=list.q.get_untracked()
                />
            </div>
            {access
                .then(|| {
                    let choices = &[("", "Everyone"), ("manager", "Managers"), ("member", "Members")];
                    view! {
                        <ChoiceField
                            id="access-filter"
                            name="access"
                            label="Access"
                            choices
                            chosen=list.access
                        />
                    }
                })}
            {(!sorts.is_empty())
                .then(|| {
                    view! {
                        <ChoiceField id="sort" name="sort" label="Sort by" choices=sorts chosen=list.sort />
                    }
                })}
            <button type="submit" class="button">
                "Show"
            </button>
        </form>
        {move || {
            let by_name = list.sort.get().is_none_or(|sort| sort.is_empty() || sort == "name");
            (people && by_name && list.q.get().is_some())
                .then(|| {
                    view! {
                        <p class="hint">
                            "People whose name starts with it come first, then those whose email does, \
                             then those with a later word of either that does."
                        </p>
                    }
                })
        }}
    }
}

/// A section for what can't be undone: its heading (`id` names it for the section), what
/// happens, then the form that does it.
#[component]
pub fn DangerZone(
    id: &'static str,
    heading: &'static str,
    warning: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card danger-zone" aria-labelledby=id>
            <h2 id=id>{heading}</h2>
            <p>{warning}</p>
            {children()}
        </section>
    }
}

/// A delete form's fields: what it deletes, and the box that must be ticked first, saying
/// what the person `understood`.
#[component]
pub fn ConfirmDelete(id: i64, understood: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name="id" value=id />
        <label class="check">
            <input type="checkbox" name="confirm" value="yes" required />
            {understood}
        </label>
    }
}

/// A list's choice in a GET form, such as its sort: `choices` as (value, label), the one in
/// the address selected, and without one, the first.
#[component]
fn ChoiceField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    choices: &'static [(&'static str, &'static str)],
    chosen: Memo<Option<String>>,
) -> impl IntoView {
    let options = choices.iter().enumerate().map(move |(i, &(value, text))| {
        let selected = move || chosen.get().map_or(i == 0, |c| c == value);
        view! {
            <option value=value selected=selected>
                {text}
            </option>
        }
    });
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                {options.collect_view()}
            </select>
        </div>
    }
}

/// "123 members", or "7 of them match" under a search: the exact total for the current filter.
#[component]
pub fn Total(
    total: i64,
    noun: &'static str,
    narrowed: bool,
    /// The total is a lower bound: the search matched more.
    #[prop(optional)]
    more: bool,
) -> impl IntoView {
    let noun = if total == 1 && !more { noun.to_owned() } else { plural_of(noun) };
    let count = if more { format!("More than {}", thousands(total)) } else { thousands(total) };
    let text = if narrowed { format!("{count} matching {noun}") } else { format!("{count} {noun}") };
    view! {
        <p class="total muted" data-testid="total" aria-live="polite">
            {text}
        </p>
    }
}

/// A moment, to the minute, its time zone named, readable by machines too.
#[component]
pub fn When(at: crate::domain::Timestamp) -> impl IntoView {
    view! { <time datetime=at.0.to_rfc3339()>{at.minute()}</time> }
}

/// The plural of a list's noun.
pub fn plural_of(noun: &str) -> String {
    match noun {
        "person" => "people".into(),
        _ => format!("{noun}s"),
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many earlier pages a list's address remembers for "Previous page": lists are read
/// forward from a cursor, so the way back is the cursors of the pages before, carried along
/// in the address (`back_after=…`, oldest first). Enough to step back through any run of
/// pages a person reads; past it, "First page" still goes back.
const TRAIL: usize = 20;

/// Where the trail marks the first page, which has no cursor.
const FIRST: &str = "first";

/// Links to the first, previous and next pages of a keyset list. `base` is the list's
/// address with its search, filter and sort, ending in `?` or `&`; `next` the next page's
/// cursor. The current cursor and the trail of earlier ones come from the address.
#[component]
pub fn Pager(
    next: Option<String>,
    #[prop(into)] base: String,
    on_later_page: bool,
    /// The query parameter that carries the cursor.
    #[prop(default = "after")]
    param: &'static str,
) -> impl IntoView {
    let first = base.trim_end_matches(['?', '&']).to_owned();
    let back_param = format!("back_{param}");
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let trail: Vec<String> = query
        .get(&back_param)
        .map(|trail| trail.split('.').filter(|c| !c.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let with_trail = |href: String, trail: &[String]| match trail {
        [] => href,
        trail => format!("{href}&{back_param}={}", trail.join(".")),
    };
    let href_of = |cursor: &str, trail: &[String]| match cursor {
        FIRST => first.clone(),
        cursor => with_trail(format!("{base}{param}={cursor}"), trail),
    };
    // Back: the trail's last page, with the rest of the trail.
    let previous = match trail.split_last() {
        Some((last, rest)) if on_later_page => Some(href_of(last, rest)),
        _ => None,
    };
    // Forward: this page joins the trail.
    let here =
        query.get(param).filter(|c| on_later_page && !c.is_empty()).unwrap_or_else(|| FIRST.to_owned());
    let mut onward = trail;
    onward.push(here);
    let onward = &onward[onward.len().saturating_sub(TRAIL)..];
    let next_href = next.map(|cursor| with_trail(format!("{base}{param}={cursor}"), onward));
    (on_later_page || next_href.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {on_later_page.then(|| view! { <a href=first.clone()>"« First page"</a> })}
                {previous
                    .map(|href| {
                        view! {
                            <a href=href rel="prev">
                                "← Previous page"
                            </a>
                        }
                    })}
                {next_href
                    .map(|href| {
                        view! {
                            <a href=href rel="next">
                                "Next page →"
                            </a>
                        }
                    })}
            </nav>
        }
    })
}

/// A route parameter as a number, if it is one.
pub fn param_id(name: &'static str) -> Memo<Option<i64>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get(name).and_then(|v| v.parse().ok()))
}

/// The id from the address, or "not found" when it has none that parses (`/profiles/abc`).
pub fn id_or_not_found(id: Option<i64>) -> Result<i64, AppError> {
    id.ok_or(AppError::NotFound)
}

/// A query parameter, if present and not empty.
pub fn query(name: &'static str) -> Memo<Option<String>> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.read().get(name).filter(|v| !v.is_empty()))
}

/// The message of the last failed run of any of `actions`, for an alert beside their forms.
pub fn errors_of(sources: Vec<Signal<Option<AppError>>>) -> Signal<Option<AppError>> {
    Signal::derive(move || sources.iter().find_map(|s| s.get()))
}

/// Said before a destructive action that can be taken back: how.
#[component]
pub fn UndoHint(children: Children) -> impl IntoView {
    view! {
        <p class="hint" data-testid="undo-hint">
            {children()}
        </p>
    }
}

/// A link to one of a profile's files ([`crate::export::Export`]), shown to those who
/// manage it: a plain download, the same with or without JavaScript.
#[component]
pub fn DownloadLink(href: String, children: Children) -> impl IntoView {
    view! {
        <p class="download">
            <a href=href download="" data-testid="download">
                {children()}
            </a>
        </p>
    }
}

/// A small note that a list is empty, saying what to do about it.
#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! {
        <p class="empty" data-testid="empty">
            {children()}
        </p>
    }
}

/// Appends `text` to `out` escaped for HTML, as element text or as a quoted attribute's
/// value. For markup written as a string (`inner_html`), where Leptos doesn't escape.
pub fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::push_escaped;

    /// The open elements of rows written as a string, checked closed in order: a typo in
    /// the string would break the page.
    pub(crate) fn assert_balanced(html: &str) {
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

    fn escaped(text: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, text);
        out
    }

    #[test]
    fn escaping_leaves_plain_text_alone_and_replaces_each_markup_character() {
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("Zoë O’Brien"), "Zoë O’Brien");
        assert_eq!(
            escaped(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escaped("&amp;"), "&amp;amp;", "an entity is text, escaped again");
        assert_eq!(escaped("a>b<"), "a&gt;b&lt;", "at either end");
    }
}
