//! "Confirm it's you": changes that hand out or take away power (granting or revoking
//! admin, deleting someone's account) ask for the password again once this session's was
//! last given more than `recent_password_minutes` ago (a setting, 10 by default), so that a
//! session left open on a shared computer, or stolen, can't make its holder an admin or
//! erase someone.
//!
//! Signing in counts as giving the password, and so does every check of it
//! (`auth::ssr::recheck_password`). A form for such a change carries a password field while
//! it is needed; a refusal anywhere else links to [`PAGE`], which takes the password and
//! goes back. A person's own email, password and deletion ask for the password every time.

use leptos::prelude::*;

use crate::error::AppError;

/// The form field that gives the password again.
pub const FIELD: &str = "confirm_password";
/// The page that takes the password again on its own, and goes back.
pub const PAGE: &str = "/account/confirm-password";

/// Whether `error` is the refusal of a change that needs the password again.
pub fn is_asked_for(error: &AppError) -> bool {
    error.field() == Some(FIELD)
}

/// Takes the signed-in person's password again, then goes back to `next` (a path on this
/// site; anything else goes to the account page).
#[server(prefix = "/api", endpoint = "account/confirm-password")]
pub async fn confirm_password(password: String, next: Option<String>) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let wrong = ("password", "That is not your password.");
    crate::auth::ssr::recheck_password(&state, &me, password, wrong).await?;
    leptos_axum::redirect(&back_to(next.as_deref()));
    Ok(())
}

/// Where to send someone back to from `next`: its path, query and fragment on this site
/// (a whole URL, as a `Referer` is, loses its origin), without the error a plain form post
/// brought back; the account page when there is no such path.
pub fn back_to(next: Option<&str>) -> String {
    let next = next.unwrap_or_default().trim();
    let path = match next.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => next,
    };
    // "//host" and "/\host" would leave the site, and so would "/\t/host": browsers drop tabs
    // and line breaks from an address. Anything not starting at the root is no path.
    let on_site = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    if !on_site || path.starts_with(PAGE) {
        return "/account".into();
    }
    let (path, fragment) = path.split_once('#').map_or((path, None), |(p, f)| (p, Some(f)));
    let path = crate::flash::without_error_params(path).unwrap_or_else(|| path.to_owned());
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{path}{fragment}")
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::FIELD;
    use crate::{domain::SessionUser, error::AppError, server::state::AppState};

    /// Lets a change that needs a recent password go ahead: the session's password is recent,
    /// or `given` is right (and recent from now on). A wrong one is refused as at sign-in,
    /// and none, when it is needed, is refused with a request for it.
    pub async fn require_recent_password(
        state: &AppState,
        me: &SessionUser,
        given: Option<String>,
    ) -> Result<(), AppError> {
        match given.filter(|password| !password.is_empty()) {
            Some(password) => {
                let wrong = (FIELD, "That is not your password.");
                crate::auth::ssr::recheck_password(state, me, password, wrong).await
            }
            None if me.password_recent => Ok(()),
            None => Err(AppError::invalid(FIELD, super::asking(state.settings.recent_password_minutes))),
        }
    }
}

/// Why the password is asked for, when a recent one counts for `minutes`.
pub fn asking(minutes: u32) -> String {
    match minutes {
        0 => "Confirm it's you: enter your password. Changes like this one ask for it every time.".into(),
        _ => format!(
            "Confirm it's you: enter your password. Changes like this one ask for it when you \
             last gave it more than {minutes} minutes ago."
        ),
    }
}

/// How many minutes a given password counts as recent, as the server is set up (pages only).
pub fn recent_minutes() -> u32 {
    #[cfg(feature = "ssr")]
    {
        crate::server::state::current().map_or(10, |state| state.settings.recent_password_minutes)
    }
    #[cfg(not(feature = "ssr"))]
    10
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn going_back_stays_on_the_site_and_drops_a_returned_error() {
        assert_eq!(back_to(Some("/roles/1")), "/roles/1");
        assert_eq!(back_to(Some("http://roster.example/users/4?q=a#roles")), "/users/4?q=a#roles");
        assert_eq!(back_to(Some("/users/4?__path=x&__err=y&q=a")), "/users/4?q=a");
        assert_eq!(back_to(Some("/users/4?__err=y")), "/users/4");
        let sneaky = ["/\t/evil.example", "/\n/evil.example", "/ /evil.example"];
        for elsewhere in
            ["//evil.example/x", "/\\evil.example", "https://evil.example", "users", ""].iter().chain(&sneaky)
        {
            assert_eq!(back_to(Some(elsewhere)), "/account", "{elsewhere}");
        }
        assert_eq!(back_to(None), "/account");
        assert_eq!(back_to(Some("/account/confirm-password?next=/x")), "/account");
    }
}
