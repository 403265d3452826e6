//! The islands: the only parts of the pages the browser runs.
//!
//! Every page is rendered on the server and works as plain HTML: links, GET forms for lists
//! and POST forms for changes. Leptos' islands mode sends WASM for these pieces alone, which
//! makes the bundle half the size of hydrating whole pages (BENCHMARKS.md). Each gives its
//! forms what a plain form lacks: the request goes in the background, the button shows it
//! is busy, an error shows at once without losing what was typed, and the fields check
//! themselves as they change. When a change succeeds, the page loads again from the server,
//! or goes where the server function redirects to, so what it shows is the server's truth.
//!
//! An island's props travel in the page as JSON, so they stay small: the forms' fields are
//! its children, rendered on the server and never sent as data.

use leptos::{prelude::*, server_fn::ServerFn};
use serde::{Deserialize, Serialize};

use super::{action_error, errors_of, AccessChoice, Field, FormError, YourPassword};
use crate::{
    api_tokens::{CreateToken, RevokeToken},
    auth::{ChangePassword, EndSession, Register, SetupAdmin, SignIn, SignOut, SignOutEverywhere},
    bulk::IMPORT_PATH,
    bulk::{ApplyBulk, StartBulkAdd, StartBulkChange, StartBulkCopy, UndoBulk},
    confirmation::{ConfirmEmail, ResendConfirmation},
    domain::{DisplayName, Email, Password, ProfileId},
    error::AppError,
    expiry::SetEnd,
    flash::FORM_FIELD,
    history::UndoRemoval,
    identity::{ChangeEmail, ChangeName},
    invitations::{AcceptInvitation, JoinByInvitation, ResendInvitation, RevokeInvitation},
    lifecycle::{DeactivateUser, DeleteMyAccount, DeleteUser, ReactivateUser},
    memberships::{AddMember, ChangeAccess, LeaveProfile, RemoveMember},
    profiles::{CreateProfile, DeleteProfile, UpdateProfile},
    provisioning::{LinkProvider, ReleaseProvider},
    reauth::ConfirmPassword,
    recovery::{RequestPasswordReset, ResetPassword, SendResetLink},
    reviews::{CompleteReview, Decide, ScheduleReviews, StartReview},
    roles::{AssignRole, CreateRole, DeleteRole, UnassignRole, UpdateRole},
    users::{suggest_users, Suggestion},
};

/// Set once a server function has sent the browser elsewhere: the page must not reload over
/// that navigation.
#[cfg(feature = "hydrate")]
static LEAVING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Follows server functions' redirects (`leptos_axum::redirect`) with a full page load: with
/// no router in the browser, nothing else would. Called once, as the WASM starts. Back to
/// this same page at an anchor (`#member-7`), the browser would only scroll: it loads it too.
#[cfg(feature = "hydrate")]
pub fn follow_redirects() {
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        LEAVING.store(true, std::sync::atomic::Ordering::Relaxed);
        let here = window().location();
        let page = format!("{}{}", here.pathname().unwrap_or_default(), here.search().unwrap_or_default());
        let _ = here.assign(to);
        if to.split_once('#').is_some_and(|(target, _)| target == page) {
            let _ = here.reload();
        }
    });
}

/// Whether `action` has succeeded, and loads the page again when it does, unless the server
/// function already sent the browser elsewhere.
fn settle<A>(action: ServerAction<A>) -> Signal<bool>
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    let done = Signal::derive(move || matches!(action.value().get(), Some(Ok(_))));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if done.get() && !LEAVING.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = window().location().reload();
        }
    });
    done
}

/// How an enhanced form looks: its button, and the attributes of the form itself.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Look {
    label: String,
    busy: String,
    class: Option<String>,
    id: Option<String>,
    aria_label: Option<String>,
    button_class: String,
    button_aria_label: Option<String>,
    reauth: bool,
}

impl Look {
    /// A button reading `label`, and `busy` while the change is under way.
    pub fn new(label: impl Into<String>, busy: impl Into<String>) -> Self {
        Look { label: label.into(), busy: busy.into(), button_class: "button".into(), ..Look::default() }
    }
    pub fn class(mut self, class: &str) -> Self {
        self.class = Some(class.into());
        self
    }
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }
    /// The form's accessible name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.aria_label = Some(name.into());
        self
    }
    pub fn button(mut self, class: &str) -> Self {
        self.button_class = class.into();
        self
    }
    /// The button's accessible name, when its text alone is ambiguous ("Remove").
    pub fn button_named(mut self, name: impl Into<String>) -> Self {
        self.button_aria_label = Some(name.into());
        self
    }
    /// Asks for the password (`crate::reauth`) when `needed`, as the page knew it when
    /// rendered; the form asks anyway when the server turns out to need it.
    pub fn reauth(mut self, needed: bool) -> Self {
        self.reauth = needed;
        self
    }
}

/// Whether `action` is busy: under way, or done and the page about to reload (so nothing is
/// sent twice).
fn busy<A>(action: ServerAction<A>) -> Signal<bool>
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    // The server renders every form idle, and what it renders never changes.
    if cfg!(not(feature = "hydrate")) {
        return Signal::stored(false);
    }
    let done = settle(action);
    let pending = action.pending();
    Signal::derive(move || pending.get() || done.get())
}

/// The inside of an enhanced form: its error, its fields (`children`) and its button.
fn form_body(
    look: Look,
    error: Signal<Option<AppError>>,
    busy: Signal<bool>,
    children: Children,
) -> impl IntoView {
    let Look { label, busy: busy_label, button_class, button_aria_label, reauth, id, .. } = look;
    let asked = Memo::new(move |_| reauth || error.get().as_ref().is_some_and(crate::reauth::is_asked_for));
    // The form's own id when it has one: two forms with one button label on a page (a
    // person's token and a service token) each label their own field.
    let own = id.unwrap_or_else(|| label.to_lowercase().replace(' ', "-"));
    let password_id = format!("{}-{own}", crate::reauth::FIELD);
    view! {
        <FormError error all=true />
        {children()}
        {move || {
            asked
                .get()
                .then(|| {
                    view! {
                        <YourPassword id=password_id.clone() name=crate::reauth::FIELD hint=REAUTH_HINT />
                    }
                })
        }}
        <button type="submit" class=button_class aria-label=button_aria_label disabled=busy>
            {move || if busy.get() { busy_label.clone() } else { label.clone() }}
        </button>
    }
}

const REAUTH_HINT: &str = "Changes like this one ask for it again once you haven't given it for a while.";

/// An island for one server function's form: `<Name look=Look::new(..)>fields</Name>`.
macro_rules! form_island {
    ($($(#[$doc:meta])* $name:ident => $action:ty;)+) => {$(
        $(#[$doc])*
        #[island]
        pub fn $name(look: Look, children: Children) -> impl IntoView {
            crate::flash::enter(&[<$action as ServerFn>::PATH], look.id.as_deref());
            let action = ServerAction::<$action>::new();
            let (class, id, name) = (look.class.clone(), look.id.clone(), look.aria_label.clone());
            // A form with an id names itself in its post, so its error comes back to it alone.
            let key = id.clone().map(|id| view! { <input type="hidden" name=FORM_FIELD value=id /> });
            view! {
                <ActionForm action=action attr:class=class attr:id=id attr:aria-label=name>
                    {key}
                    {form_body(look, action_error(action), busy(action), children)}
                </ActionForm>
            }
        }
    )+};
}

form_island! {
    SignOutForm => SignOut;
    SignOutEverywhereForm => SignOutEverywhere;
    CreateProfileForm => CreateProfile;
    UpdateProfileForm => UpdateProfile;
    DeleteProfileForm => DeleteProfile;
    LeaveProfileForm => LeaveProfile;
    LinkProviderForm => LinkProvider;
    ReleaseProviderForm => ReleaseProvider;
    UndoForm => UndoRemoval;
    BulkAddForm => StartBulkAdd;
    BulkCopyForm => StartBulkCopy;
    BulkChangeForm => StartBulkChange;
    ApplyBulkForm => ApplyBulk;
    UndoBulkForm => UndoBulk;
    SetEndForm => SetEnd;
    StartReviewForm => StartReview;
    CompleteReviewForm => CompleteReview;
    ScheduleReviewsForm => ScheduleReviews;
    CreateRoleForm => CreateRole;
    UpdateRoleForm => UpdateRole;
    DeleteRoleForm => DeleteRole;
    AssignRoleForm => AssignRole;
    SendResetLinkForm => SendResetLink;
    ConfirmEmailForm => ConfirmEmail;
    DeactivateUserForm => DeactivateUser;
    ReactivateUserForm => ReactivateUser;
    DeleteUserForm => DeleteUser;
    DeleteMyAccountForm => DeleteMyAccount;
    ConfirmPasswordForm => ConfirmPassword;
    ResendLinkForm => ResendConfirmation;
    AcceptInvitationForm => AcceptInvitation;
    CreateTokenForm => CreateToken;
    RevokeTokenForm => RevokeToken;
}

/// Sends `ev`'s form through `action` if the form posts to it; whether it did.
fn dispatch_if_for<A>(action: ServerAction<A>, ev: &leptos::ev::SubmitEvent, to: &str) -> bool
where
    A: ServerFn<Error = AppError> + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    use leptos::form::FromFormData;
    to == A::PATH && A::from_event(ev).map(|input| action.dispatch(input)).is_ok()
}

/// An island around a list whose rows carry small plain forms (`<form action=PATH>`, whose
/// buttons may go elsewhere by `formaction`): rows are many, so rather than an island each,
/// one submit handler sends any of them through its action, one at a time, while the list
/// shows it is busy.
macro_rules! rows_island {
    ($($(#[$doc:meta])* $name:ident { $($var:ident: $action:ty),+ })+) => {$(
        $(#[$doc])*
        #[island]
        pub fn $name(children: Children) -> impl IntoView {
            crate::flash::enter(&[$(<$action as ServerFn>::PATH),+], None);
            $(let $var = ServerAction::<$action>::new();)+
            let each = [$(busy($var)),+];
            let busy = Memo::new(move |_| each.iter().any(|b| b.get()));
            let error = errors_of(vec![$(action_error($var)),+]);
            let on_submit = move |ev: leptos::ev::SubmitEvent| {
                use leptos::wasm_bindgen::JsCast;
                let form = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
                let Some(form) = form else {
                    return;
                };
                // Where the form goes: the pressed button's own `formaction`, or the form's.
                let to = ev
                    .submitter()
                    .and_then(|button| button.get_attribute("formaction"))
                    .or_else(|| form.get_attribute("action"))
                    .unwrap_or_default();
                // One change at a time; anything not ours goes as a plain form post.
                let ours = busy.get_untracked() $(|| dispatch_if_for($var, &ev, &to))+;
                if ours {
                    ev.prevent_default();
                }
            };
            view! {
                <FormError error all=true confirm_link=true/>
                <div class="rows" on:submit=on_submit aria-busy=move || busy.get().then_some("true")>
                    {children()}
                </div>
            }
        }
    )+};
}

rows_island! {
    /// A profile's member table: each row's "make manager/member" and "remove".
    MemberRows { change: ChangeAccess, remove: RemoveMember }
    /// A history list's "undo" buttons.
    UndoRows { undo: UndoRemoval }
    /// A role's holders, or a user's roles: each one's "remove".
    UnassignRows { unassign: UnassignRole }
    /// The account page's sessions: each one's "sign out".
    SessionRows { end: EndSession }
    /// A profile's open invitations: each one's "send again" and "withdraw".
    InvitationRows { resend: ResendInvitation, revoke: RevokeInvitation }
    /// An access review's members: each one's "keep", "change" and "remove".
    DecisionRows { decide: Decide }
}

/// The bulk bar's container: hidden, once the page is live, while nothing is ticked.
pub const BULK_BAR: &str = "bulk-bar";
/// Where the bulk bar says how many are ticked.
pub const BULK_COUNT: &str = "bulk-count";
/// The box in the member table's head that ticks the whole page.
pub const TICK_PAGE: &str = "tick-page";

/// A member table and its bulk bar: keeps the bar out of the way until a row is ticked, says
/// how many are ("3 selected"), and ticks the whole page from the box in the table's head.
/// Without JavaScript the bar is always there, and each row's box is ticked by hand.
#[island]
pub fn TickedCount(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        // A page come back to may have ticks the browser kept.
        Effect::new(|_| count_ticks(None));
    }
    let on_change = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let target = _ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok());
            count_ticks(target.filter(|t| t.id() == TICK_PAGE).map(|t| t.checked()));
        }
    };
    view! { <div on:change=on_change>{children()}</div> }
}

/// Ticks or clears every row with `page` (the head's box, when it changed), then shows the
/// bar with the count of ticked rows, or hides it when there are none.
#[cfg(feature = "hydrate")]
fn count_ticks(page: Option<bool>) {
    use leptos::wasm_bindgen::JsCast;
    let document = document();
    let inputs = document.get_elements_by_tag_name("input");
    let rows: Vec<_> = (0..inputs.length())
        .filter_map(|i| inputs.item(i)?.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        .filter(|input| input.name() == "users[]")
        .collect();
    if let Some(ticked) = page {
        rows.iter().for_each(|row| row.set_checked(ticked));
    }
    let ticked = rows.iter().filter(|row| row.checked()).count();
    if let Some(head) = document.get_element_by_id(TICK_PAGE) {
        if let Ok(head) = head.dyn_into::<leptos::web_sys::HtmlInputElement>() {
            head.set_checked(ticked > 0 && ticked == rows.len());
            head.set_indeterminate(ticked > 0 && ticked < rows.len());
        }
    }
    if let Some(count) = document.get_element_by_id(BULK_COUNT) {
        count.set_text_content(Some(&format!("{ticked} selected")));
    }
    if let Some(bar) = document.get_element_by_id(BULK_BAR) {
        let _ =
            if ticked > 0 { bar.remove_attribute("data-empty") } else { bar.set_attribute("data-empty", "") };
    }
}

fn check_email(raw: &str) -> Result<(), AppError> {
    Email::parse(raw).map(drop)
}

fn check_name(raw: &str) -> Result<(), AppError> {
    DisplayName::parse(raw).map(drop)
}

fn check_password(raw: &str) -> Result<(), AppError> {
    Password::parse(raw).map(drop)
}

/// The button of an account form, whose fields check themselves.
fn account_button(busy: Signal<bool>, label: &'static str, busy_label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="button primary" disabled=busy>
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}

/// An island for an account form (sign in, register, a password, a link by mail): its
/// error above, its fields, each checked as it changes, and its button.
/// `Name(props) => Action, "form's name", ("Button", "Busy…"), |error| { fields }`.
macro_rules! account_form {
    ($(
        $(#[$doc:meta])*
        $name:ident($($prop:ident: $ty:ty),*) => $action:ty, $aria:literal, ($label:literal, $busy:literal),
        |$error:ident| $fields:block
    )+) => {$(
        $(#[$doc])*
        #[island]
        pub fn $name($($prop: $ty),*) -> impl IntoView {
            crate::flash::enter(&[<$action as ServerFn>::PATH], None);
            let action = ServerAction::<$action>::new();
            let $error = action_error(action);
            view! {
                <ActionForm action attr:class="stack" attr:aria-label=$aria>
                    <FormError error=$error />
                    {$fields}
                    {account_button(busy(action), $label, $busy)}
                </ActionForm>
            }
        }
    )+};
}

account_form! {
    /// Signing in, then going to `next` (a path on this site) or home.
    SignInForm(next: Option<String>) => SignIn, "Sign in", ("Sign in", "Signing in…"), |error| {
        view! {
            <input type="hidden" name="next" value=next.unwrap_or_default() />
            <Field name="email" label="Email" kind="email" autocomplete="username" server_error=error />
            <Field
                name="password"
                label="Password"
                kind="password"
                autocomplete="current-password"
                server_error=error
            />
        }
    }

    RegisterForm() => Register, "Create account", ("Create account", "Creating account…"), |error| {
        view! { <NewAccountFields error /> }
    }

    /// The first administrator's account, made with the setup link's `token`.
    SetupAdminForm(token: String) => SetupAdmin, "Create the administrator",
    ("Create administrator", "Creating…"),
    |error| {
        view! {
            <input type="hidden" name="token" value=token />
            <NewAccountFields error />
        }
    }

    /// An account for the address an invitation (`token`) went to, which joins its profile.
    JoinByInvitationForm(token: String, email: String) => JoinByInvitation, "Create your account and join",
    ("Create account and join", "Joining…"),
    |error| {
        view! {
            <input type="hidden" name="token" value=token />
            <div class="field">
                <label for="invited-email">"Email"</label>
                <input
                    id="invited-email"
                    type="email"
                    value=email
                    readonly
                    aria-describedby="invited-email-hint"
                />
                <p class="hint" id="invited-email-hint">
                    "The address the invitation went to: following its link confirmed it."
                </p>
            </div>
            <NameAndPasswordFields error />
        }
    }

    /// "Forgot password": the email to send a reset link to.
    RequestResetForm() => RequestPasswordReset, "Send a reset link", ("Send me a link", "Sending…"),
    |error| {
        view! { <LinkEmailField error /> }
    }

    /// The email to send a confirmation link to again.
    ResendConfirmationForm() => ResendConfirmation, "Send the confirmation link again",
    ("Send the link again", "Sending…"), |error| {
        view! { <LinkEmailField error /> }
    }

    /// A new password, set with the reset link's `token`.
    ResetPasswordForm(token: String) => ResetPassword, "Set a new password", ("Set password", "Setting…"),
    |error| {
        view! {
            <input type="hidden" name="token" value=token />
            <NewPasswordField name="password" label="New password" error />
        }
    }

    /// One's own display name, `current` to begin with.
    ChangeNameForm(current: String) => ChangeName, "Change your name", ("Change name", "Changing…"),
    |error| {
        view! {
            <Field
                name="display_name"
                label="Display name"
                autocomplete="name"
                maxlength=DisplayName::MAX_CHARS
                validate=check_name
                value=current
                server_error=error
            />
        }
    }

    /// A new address for one's account, and the password that allows it.
    ChangeEmailForm() => ChangeEmail, "Change your email", ("Send a link to the new address", "Sending…"),
    |error| {
        view! {
            <Field
                name="new_email"
                label="New email"
                kind="email"
                autocomplete="email"
                maxlength=Email::MAX_LEN
                validate=check_email
                server_error=error
            />
            <Field
                name="password"
                label="Your password"
                kind="password"
                autocomplete="current-password"
                server_error=error
            />
        }
    }

    ChangePasswordForm() => ChangePassword, "Change password", ("Change password", "Changing…"), |error| {
        view! {
            <Field
                name="current"
                label="Current password"
                kind="password"
                autocomplete="current-password"
                server_error=error
            />
            <NewPasswordField name="new_password" label="New password" error />
        }
    }
}

/// A new account's email, name and password, each checked as it changes.
#[component]
fn NewAccountFields(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field
            name="email"
            label="Email"
            kind="email"
            autocomplete="email"
            maxlength=Email::MAX_LEN
            validate=check_email
            server_error=error
        />
        <NameAndPasswordFields error />
    }
}

/// A new account's name and password, each checked as it changes.
#[component]
fn NameAndPasswordFields(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field
            name="display_name"
            label="Display name"
            autocomplete="name"
            hint="How other people will see you."
            maxlength=DisplayName::MAX_CHARS
            validate=check_name
            server_error=error
        />
        <NewPasswordField name="password" label="Password" error />
    }
}

/// A field for a new password, checked as it is typed as the server will check it.
#[component]
fn NewPasswordField(
    name: &'static str,
    label: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <Field
            name=name
            label=label
            kind="password"
            autocomplete="new-password"
            hint="At least 8 characters."
            minlength=Password::MIN_CHARS
            maxlength=Password::MAX_CHARS
            validate=check_password
            server_error=error
        />
    }
}

/// The email field of a form that asks for a link by mail.
#[component]
fn LinkEmailField(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field
            name="email"
            label="Email"
            kind="email"
            autocomplete="username"
            maxlength=Email::MAX_LEN
            validate=check_email
            server_error=error
        />
    }
}

/// How long typing must pause before the picker asks for suggestions.
const PICKER_PAUSE_MS: u64 = 150;

/// Adding one person: type a name or email and pick from at most ten suggestions, which
/// follow the typing. (Without JavaScript, the page's "Find" form does the same.) `everyone`:
/// whether the viewer may find every account, or only people they share a profile with.
///
/// The field is an ARIA combobox (the WAI-ARIA authoring practices' list autocomplete):
/// arrow keys move through the suggestions, Enter picks the highlighted one and never sends
/// half-typed text while the list is open, Escape closes it; the pick is announced, and
/// focus comes back to the field after a pick and after a refused add.
#[island]
pub fn MemberPicker(profile: ProfileId, everyone: bool) -> impl IntoView {
    crate::flash::enter(&[AddMember::PATH], None);
    let add = ServerAction::<AddMember>::new();
    let busy = busy(add);
    let (typed, set_typed) = signal(String::new());
    let live = Resource::new(
        move || typed.get(),
        move |q| async move {
            if q.trim().is_empty() {
                Vec::new()
            } else {
                suggest_users(profile, q).await.unwrap_or_default()
            }
        },
    );
    let typing = Debounced::new(set_typed);
    let field = NodeRef::<leptos::html::Input>::new();
    let picker = Picker::new(field, live, typing, set_typed);
    let error = action_error(add);
    // A refused add leaves the person where they were typing.
    Effect::new(move |_| {
        if error.get().is_some() {
            picker.focus();
        }
    });
    view! {
        <FormError error all=true />
        <ActionForm action=add attr:class="row-form" attr:aria-label="Add a member">
            <input type="hidden" name="profile" value=profile.0 />
            <div class="field grow picker">
                <label for="add-email">"Name or email of the person to add"</label>
                <input
                    id="add-email"
                    name="email"
                    type="text"
                    required
                    autocomplete="off"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-expanded=move || if picker.is_open() { "true" } else { "false" }
                    aria-controls="suggestions"
                    aria-activedescendant=move || picker.highlighted().map(option_id)
                    aria-describedby="picker-hint"
                    node_ref=field
                    on:input=move |ev| picker.typed(event_target_value(&ev))
                    on:keydown=move |ev| picker.key(&ev)
                />
                // Only live suggestions make this true: hidden until the WASM runs.
                <p class="hint js-only" id="picker-hint">
                    {picker_hint(everyone)}
                </p>
                <ul
                    class="suggestions"
                    id="suggestions"
                    role="listbox"
                    aria-label="Suggestions"
                    data-testid="suggestions"
                    hidden=move || !picker.is_open()
                >
                    {move || {
                        picker
                            .options()
                            .into_iter()
                            .enumerate()
                            .map(|(i, suggestion)| view! { <SuggestionOption i suggestion picker /> })
                            .collect_view()
                    }}
                </ul>
                <p class="visually-hidden" aria-live="polite" data-testid="picked">
                    {move || picker.announcement()}
                </p>
            </div>
            <AccessChoice id="add-access" label="As" />
            <div class="field">
                <label for="add-ends-on">"Last day (optional)"</label>
                <input id="add-ends-on" name="ends_on" type="date" />
            </div>
            <button type="submit" class="button primary" disabled=busy on:click=move |_| typing.stop()>
                {move || if busy.get() { "Adding…" } else { "Add" }}
            </button>
        </ActionForm>
    }
}

/// How to use the picker, for a viewer who may find `everyone` or only people they share a
/// profile with.
fn picker_hint(everyone: bool) -> &'static str {
    if everyone {
        concat!(
            "Type to see up to ten matching people, then pick one with the arrow keys and Enter; ",
            "or type an email.",
        )
    } else {
        concat!(
            "Type to see up to ten people you share a profile with, then pick one with the ",
            "arrow keys and Enter; type anyone else's email to invite them.",
        )
    }
}

/// The id of the picker's `i`th suggestion, for `aria-activedescendant`.
fn option_id(i: usize) -> String {
    format!("suggestion-{i}")
}

/// One suggestion in the picker's list: a person, and what they already are on the profile
/// (then it can't be picked).
#[component]
fn SuggestionOption(i: usize, suggestion: Suggestion, picker: Picker) -> impl IntoView {
    let label = format!("{} <{}>", suggestion.display_name, suggestion.email);
    let taken = suggestion.access.clone();
    let disabled = taken.is_some().then_some("true");
    view! {
        <li
            role="option"
            id=option_id(i)
            aria-selected=move || if picker.highlighted() == Some(i) { "true" } else { "false" }
            aria-disabled=disabled
            // Pressing doesn't move the focus from the field; letting go picks.
            on:mousedown=|ev| ev.prevent_default()
            on:click=move |_| picker.pick(i)
        >
            <span class="suggestion">{label}</span>
            {suggestion
                .deactivated
                .then(|| {
                    view! {
                        " "
                        <span class="pill muted">"deactivated"</span>
                    }
                })}
            {taken.map(|access| view! { <span class="muted">{format!(" · already a {access}")}</span> })}
        </li>
    }
}

/// The picker's state: its suggestions, whether the list is open, which one is highlighted,
/// and what was last picked.
#[derive(Clone, Copy)]
struct Picker {
    field: NodeRef<leptos::html::Input>,
    live: Resource<Vec<Suggestion>>,
    typing: Debounced,
    set_typed: WriteSignal<String>,
    open: RwSignal<bool>,
    highlight: RwSignal<Option<usize>>,
    picked: RwSignal<String>,
}

impl Picker {
    fn new(
        field: NodeRef<leptos::html::Input>,
        live: Resource<Vec<Suggestion>>,
        typing: Debounced,
        set_typed: WriteSignal<String>,
    ) -> Self {
        let (open, highlight, picked) =
            (RwSignal::new(false), RwSignal::new(None), RwSignal::new(String::new()));
        Picker { field, live, typing, set_typed, open, highlight, picked }
    }

    fn options(self) -> Vec<Suggestion> {
        self.live.get().unwrap_or_default()
    }

    fn count(self) -> usize {
        self.live.with(|live| live.as_ref().map_or(0, Vec::len))
    }

    fn is_open(self) -> bool {
        self.open.get() && self.count() > 0
    }

    fn highlighted(self) -> Option<usize> {
        self.highlight.get().filter(|_| self.is_open())
    }

    fn announcement(self) -> String {
        self.picked.get()
    }

    fn focus(self) {
        if let Some(field) = self.field.get_untracked() {
            let _ = field.focus();
        }
    }

    fn typed(self, text: String) {
        self.open.set(true);
        self.highlight.set(None);
        self.typing.input(text);
    }

    /// Puts the `i`th suggestion's email in the field, unless they are on the profile already.
    fn pick(self, i: usize) {
        let Some(chosen) = self.live.get_untracked().unwrap_or_default().into_iter().nth(i) else { return };
        if chosen.access.is_some() {
            return;
        }
        if let Some(field) = self.field.get_untracked() {
            field.set_value(&chosen.email);
        }
        self.picked.set(format!("Picked {} <{}>", chosen.display_name, chosen.email));
        self.typing.stop();
        self.set_typed.set(String::new());
        self.open.set(false);
        self.highlight.set(None);
        self.focus();
    }

    /// The keys of the combobox pattern; the rest type as usual.
    fn key(self, ev: &leptos::ev::KeyboardEvent) {
        let n = self.count();
        let open = self.is_open();
        let step = |from: Option<usize>, forward: bool| match (from, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if n > 0 => {
                ev.prevent_default();
                let from = self.highlighted();
                self.open.set(true);
                self.highlight.set(Some(step(from, ev.key() == "ArrowDown")));
            }
            // With the list open, Enter picks: it never sends half-typed text.
            "Enter" if open => {
                ev.prevent_default();
                match self.highlighted() {
                    Some(i) => self.pick(i),
                    None => self.highlight.set(Some(0)),
                }
            }
            "Escape" if open => {
                ev.prevent_default();
                self.open.set(false);
                self.highlight.set(None);
            }
            _ => {}
        }
    }
}

/// Typed text passed on once typing pauses ([`PICKER_PAUSE_MS`]), not on every key, so that
/// suggestions are asked for only then. A pause still pending when the form is sent is
/// dropped (`stop`): nothing is asked for then.
#[derive(Clone, Copy)]
struct Debounced {
    waiting: StoredValue<Option<leptos::leptos_dom::helpers::TimeoutHandle>>,
    set: WriteSignal<String>,
}

impl Debounced {
    fn new(set: WriteSignal<String>) -> Self {
        Debounced { waiting: StoredValue::new(None), set }
    }

    fn stop(self) {
        if let Some(Some(timer)) = self.waiting.try_get_value() {
            timer.clear();
        }
    }

    fn input(self, value: String) {
        self.stop();
        let set = self.set;
        let timer = leptos::leptos_dom::helpers::set_timeout_with_handle(
            move || {
                set.try_set(value);
            },
            std::time::Duration::from_millis(PICKER_PAUSE_MS),
        );
        self.waiting.try_set_value(timer.ok());
    }
}

/// Importing members from a CSV file: a plain multipart post to [`IMPORT_PATH`] (the browser
/// sends the file; no server function takes one), which answers with the preview's page or
/// this form again with its error. With JavaScript the button says the file is on its way.
#[island]
pub fn ImportForm(profile: ProfileId) -> impl IntoView {
    let error = crate::flash::error_for(IMPORT_PATH);
    let (busy, set_busy) = signal(false);
    view! {
        <FormError error=Signal::stored(error) all=true />
        <form
            action=IMPORT_PATH
            method="post"
            enctype="multipart/form-data"
            class="row-form"
            aria-label="Import members from a CSV file"
            on:submit=move |_| set_busy.set(true)
        >
            <input type="hidden" name="profile" value=profile.0 />
            <div class="field grow">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
            </div>
            <button type="submit" class="button" disabled=busy>
                {move || if busy.get() { "Uploading…" } else { "Preview the import" }}
            </button>
        </form>
    }
}
