//! Invitations: how someone joins a profile before its manager may see them, or before they
//! have an account at all.
//!
//! Adding an address that no account the manager may see uses ([`crate::access::Findable`])
//! invites it: a single-use link, good for `invitation_days`, goes to the address with the
//! profile and the access offered. The manager is told "invited" whether or not the address
//! has an account, so adding can't be used to probe who is registered. Following the link,
//! the address's owner signs in, or registers (the link confirms the address), and joins.
//! An invitation's row is its record: accepted, revoked or expired, it stays, and the
//! profile's history lists it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Access, ProfileId, Timestamp},
    error::AppError,
    paging::Page,
};

crate::text_enum! {
    /// How an invitation closed.
    pub enum Outcome {
        Accepted = "accepted",
        Revoked = "revoked",
        /// Not accepted in time: the sweeper closes it at its expiry.
        Expired = "expired",
    }
    invalid: ("outcome", "Choose accepted, revoked or expired.")
}

/// One invitation: open, as a profile's managers see it, or closed, as its history lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub access: Access,
    /// `None` when the account that invited is gone.
    pub invited_by: Option<String>,
    pub invited_at: Timestamp,
    /// When the link last went out: resending sends a new one.
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<Timestamp>,
    /// Who accepted or revoked it, while their account exists.
    pub closed_by: Option<String>,
}

impl Invitation {
    /// What became of it: "accepted by Ada Lovelace on 2026-12-01", "expired on …", or
    /// "waiting, until …".
    pub fn fate(&self) -> String {
        let on = self.closed_at.map(|t| t.minute()).unwrap_or_default();
        let by = self.closed_by.as_deref().map(|who| format!(" by {who}")).unwrap_or_default();
        match self.outcome {
            None => format!("waiting, until {}", self.expires_at.minute()),
            Some(Outcome::Accepted) => format!("accepted{by} on {on}"),
            Some(Outcome::Revoked) => format!("revoked{by} on {on}"),
            Some(Outcome::Expired) => format!("expired on {on}"),
        }
    }
}

/// Where the person who follows an invitation's link stands with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Standing {
    /// Signed in as the address invited: they may accept.
    Invitee,
    /// Signed in as someone else, whose address this is.
    SomeoneElse(String),
    /// Signed out, and an account uses the address: they sign in to accept.
    HasAccount,
    /// Signed out, and no account uses the address: they register here, when the rules let
    /// the address register (`may_register`), to accept.
    NoAccount { may_register: bool },
    /// The invitation is closed.
    Closed(Outcome),
}

/// What an invitation's link offers, as the page it lands on shows it. Only the link's
/// holder learns this: the address it went to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub profile_id: ProfileId,
    pub profile_name: String,
    pub email: String,
    pub access: Access,
    pub invited_by: Option<String>,
    pub expires_at: Timestamp,
    /// When the membership it offers ends, if it does.
    #[serde(default)]
    pub membership_ends_at: Option<Timestamp>,
    pub standing: Standing,
}

/// What a link that matches no invitation says: mistyped, or replaced by a resent one.
pub const LINK_UNKNOWN: &str = "This invitation link isn't valid: it may have been mistyped, or a \
    newer invitation replaced it. Use the link in the newest mail, or ask the profile's manager to \
    invite you again.";

/// What a closed invitation's link says.
pub fn closed_message(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Accepted => "This invitation has already been accepted. Sign in to see the profile.",
        Outcome::Revoked => "This invitation was withdrawn by the profile's manager.",
        Outcome::Expired => "This invitation has expired. Ask the profile's manager to invite you again.",
    }
}

/// The most open invitations one page lists.
pub const PAGE: i64 = 25;

/// A profile's invitations, newest first, a page at a time (`after`: the last id shown):
/// the open ones, or with `all` every one, closed too, as its history lists them. Managers
/// only: an invitation names an address that may belong to no one the members know.
#[server(prefix = "/api", endpoint = "invitations/list")]
pub async fn list_invitations(
    profile: ProfileId,
    #[server(default)] all: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<Page<Invitation>, AppError> {
    crate::access::require_manage_members(profile).await?;
    let after = match after.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return Err(AppError::BadRequest("That page of invitations doesn't exist.".into())),
    };
    let state = crate::server::state::current()?;
    ssr::list(&state.db, profile, all.as_deref() == Some("yes"), after).await
}

/// Sends an open invitation again, with a new link good for the full time again; the link
/// mailed before stops working.
#[server(prefix = "/api", endpoint = "invitations/resend")]
pub async fn resend_invitation(profile: ProfileId, invitation: i64) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage_members(profile).await?;
    let state = crate::server::state::current()?;
    ssr::resend(&state, profile, invitation, me.id).await?;
    leptos_axum::redirect(&format!(
        "/profiles/{profile}/invitations?resent={invitation}#invitation-{invitation}"
    ));
    Ok(())
}

/// Withdraws an open invitation: its link stops working, and its record says who withdrew it.
#[server(prefix = "/api", endpoint = "invitations/revoke")]
pub async fn revoke_invitation(profile: ProfileId, invitation: i64) -> Result<(), AppError> {
    let (me, _) = crate::access::require_manage(profile).await?;
    let state = crate::server::state::current()?;
    ssr::revoke(&state.db, profile, invitation, me.id).await?;
    leptos_axum::redirect(&format!("/profiles/{profile}/invitations?revoked_invitation={invitation}"));
    Ok(())
}

/// What the invitation with `token` offers, and where the caller stands with it.
#[server(prefix = "/api", endpoint = "invitations/get")]
pub async fn get_invitation(token: String) -> Result<Offer, AppError> {
    // Public by design: the link's token is the authorization; it tells its holder only
    // what the mail that carried it said, and whether to sign in or register.
    let me = crate::access::session::session_user().await?;
    let state = crate::server::state::current()?;
    ssr::offer(&state, &token, me.as_ref()).await
}

/// Accepts an invitation as the signed-in person, whose address it must be: they join the
/// profile with the access offered.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let profile = ssr::accept(&state.db, &token, &me).await?;
    tracing::info!(user = %me.id, %profile, "invitation accepted");
    leptos_axum::redirect(&format!("/profiles/{profile}?joined=1"));
    Ok(())
}

/// Registers the invited address (the link confirms it) and accepts the invitation, in one
/// transaction, then signs this browser in.
#[server(prefix = "/api", endpoint = "invitations/join")]
pub async fn join_by_invitation(
    token: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::{
        access::session,
        domain::{DisplayName, Password},
        server::limits::{self, Limited},
    };
    // Public by design: the link's token is the authorization, used up as the account is
    // made; registering from one address is limited as the registration page's is.
    let name = DisplayName::parse(&display_name)?;
    let password = Password::parse(&password)?;
    let state = crate::server::state::current()?;
    // A forged or spent link costs a lookup, not a password hash.
    let email = ssr::open_address(&state.db, &token).await?;
    crate::confirmation::ssr::check_policy(&state.settings, &email)?;
    let address = session::client_address();
    let keys = limits::registration_keys(address, state.settings.signups_per_address);
    limits::claim(&state.db, Limited::Registration, &keys, chrono::Utc::now().timestamp()).await?;
    let hash = crate::auth::ssr::hash_password(password).await?;
    let (user, profile) = ssr::join(&state.db, &token, &name, &hash).await?;
    session::start_session(&state, user).await?;
    crate::auth::ssr::record_sign_in(&state.db, user, address).await?;
    session::trust_device(&state, user).await?;
    tracing::info!(%user, %profile, "account made from an invitation");
    leptos_axum::redirect(&format!("/profiles/{profile}?joined=1"));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr;
