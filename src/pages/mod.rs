//! Pages, one module each, and the small pieces of UI they share.

pub mod auth;
pub mod home;
pub mod not_found;

use leptos::prelude::*;

use crate::error::AppError;

/// The last submission's error that belongs to no one field, as an alert above the form.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|err| err.field().is_none()).map(|err| {
            view! {
                <p class="form-error" role="alert" data-testid="form-error">{err.to_string()}</p>
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

/// A labelled input with its own error line. With WASM, `validate` runs as soon as the
/// field changes; the server's verdict on the same field shows in the same place.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<usize>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] validate: Option<fn(&str) -> Result<(), AppError>>,
    #[prop(into)] server_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (local_error, set_local_error) = signal(None::<String>);
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
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <p class="field-error" id=error_id aria-live="polite">{message}</p>
        </div>
    }
}
