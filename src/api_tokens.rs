//! Access tokens: how scripts and identity providers call the JSON API and SCIM without a
//! browser or a password.
//!
//! - A **personal** token acts for the person who made it, on their account page; a
//!   **service** token, made by an admin, acts for the organisation and outlives whoever made
//!   it. Each has a name, [`Scopes`], an optional expiry and a last-used time.
//! - The secret is shown once, on the page that made it (carried there in a cookie that
//!   lives a minute and is read once), and stored only as its SHA-256: a copy of the table
//!   opens nothing. Revoking deletes the row, and the secret stops working at once.
//! - A token never does more than its owner could: a person's token is refused once they
//!   are deactivated, and it uses their admin power only with the `admin` scope
//!   (`ssr::Caller`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{domain::Timestamp, error::AppError};

/// One thing a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read through the API what the owner may see.
    Read,
    /// Change through the API what the owner may change.
    Write,
    /// Use the owner's admin power; without it an admin's token acts as anyone else's.
    Admin,
    /// Provision people and groups over SCIM (service tokens only).
    Scim,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Admin, Scope::Scim];

    pub const fn bit(self) -> i32 {
        match self {
            Scope::Read => 1,
            Scope::Write => 2,
            Scope::Admin => 4,
            Scope::Scim => 8,
        }
    }

    /// The scope's name, as forms and the API spell it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::Scim => "scim",
        }
    }

    /// What the scope lets a token do, for the form that grants it.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Read => "read what you may see",
            Scope::Write => "make the changes you may make",
            Scope::Admin => "use admin power",
            Scope::Scim => "provision people and groups over SCIM",
        }
    }
}

/// A set of scopes, stored as bits (`api_tokens.scopes`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(pub i32);

impl Scopes {
    pub fn has(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.has(*s))
    }

    /// The scopes' names, such as `read, write`.
    pub fn names(self) -> String {
        self.iter().map(Scope::name).collect::<Vec<_>>().join(", ")
    }

    /// The scopes named in `names`; an unknown name is refused.
    pub fn parse(names: &[String]) -> Result<Scopes, AppError> {
        names.iter().try_fold(Scopes::default(), |scopes, name| {
            match Scope::ALL.into_iter().find(|s| s.name() == name) {
                Some(scope) => Ok(scopes.with(scope)),
                None => Err(AppError::invalid("scopes", "Unknown scope.")),
            }
        })
    }

    /// The scopes a token of `kind` may be given, checked: at least one, `scim` on service
    /// tokens alone, and a service token either an admin's or a provider's.
    pub fn for_kind(self, kind: TokenKind) -> Result<Scopes, AppError> {
        let invalid = |message: &str| Err(AppError::invalid("scopes", message));
        if self.0 == 0 {
            return invalid("Choose at least one scope.");
        }
        match kind {
            TokenKind::Personal if self.has(Scope::Scim) => {
                invalid("Only a service token may provision over SCIM.")
            }
            TokenKind::Service if self.has(Scope::Write) => invalid(
                "A service token can't change things through the API: every change there names a person. \
                 Use read and admin to read everything, or scim to provision.",
            ),
            TokenKind::Service if !self.has(Scope::Admin) && !self.has(Scope::Scim) => invalid(
                "A service token belongs to no one, so it sees nothing without admin or scim: choose one.",
            ),
            _ => Ok(self),
        }
    }
}

/// Whom a token acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Personal,
    Service,
}

/// How long a new token works, as its form offers.
pub const LIFETIMES: [(&str, &str); 5] =
    [("30", "30 days"), ("90", "90 days"), ("180", "180 days"), ("365", "A year"), ("never", "No expiry")];

/// The most characters in a token's name.
pub const NAME_MAX_CHARS: usize = 80;

/// One token, as its owner (or, for service tokens, an admin) sees it; never its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i32"))]
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// For a service token: the admin who made it, while their account exists.
    pub created_by: Option<String>,
    /// Whether it has expired (and so works no more).
    pub expired: bool,
}

impl From<i32> for Scopes {
    fn from(bits: i32) -> Self {
        Scopes(bits)
    }
}

/// The tokens the tokens page lists: the person's own, and for an admin the service tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenList {
    pub personal: Vec<TokenInfo>,
    pub service: Option<Vec<TokenInfo>>,
}

/// A token just made: shown once, on the page that made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub secret: String,
}

/// The signed-in person's tokens, and the service tokens for an admin.
#[server(prefix = "/api", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<TokenList, AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    let personal = ssr::list(&state.db, Some(me.id)).await?;
    let service = match me.is_admin {
        true => Some(ssr::list(&state.db, None).await?),
        false => None,
    };
    Ok(TokenList { personal, service })
}

/// Makes a token: a personal one for the signed-in person, or (admins only) a service token.
/// Needs a recent password, as anything that hands out power does. The secret comes back
/// once, on the tokens page, and is never readable again.
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(
    kind: TokenKind,
    name: String,
    /// The ticked scopes' names.
    #[server(default)]
    scopes: Vec<String>,
    expires: String,
    confirm_password: Option<String>,
) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    if kind == TokenKind::Service && !me.is_admin {
        return Err(AppError::Forbidden);
    }
    let name = ssr::checked_name(&name)?;
    let scopes = Scopes::parse(&scopes)?.for_kind(kind)?;
    if scopes.has(Scope::Admin) && !me.is_admin {
        return Err(AppError::invalid("scopes", "Only an admin's token may use admin power."));
    }
    let lifetime = ssr::lifetime(&expires)?;
    let state = crate::server::state::current()?;
    crate::reauth::ssr::require_recent_password(&state, &me, confirm_password).await?;
    let owner = (kind == TokenKind::Personal).then_some(me.id);
    let secret = ssr::create(&state.db, owner, Some(me.id), &name, scopes, lifetime).await?;
    tracing::info!(?kind, by = me.id.0, scopes = scopes.0, "access token made");
    ssr::reveal_next(&state.settings, &NewToken { name, secret });
    leptos_axum::redirect(ssr::PAGE);
    Ok(())
}

/// Revokes a token: one's own, or for an admin a service token. Any other id is "not found".
#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let me = crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    if !ssr::revoke(&state.db, id, me.id, me.is_admin).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(token = id, by = me.id.0, "access token revoked");
    leptos_axum::redirect(&format!("{}?revoked=1", ssr::PAGE));
    Ok(())
}

/// The token this browser just made, once: the tokens page reads it and it is gone.
#[server(prefix = "/api", endpoint = "tokens/new")]
pub async fn take_new_token() -> Result<Option<NewToken>, AppError> {
    crate::access::require_user().await?;
    let state = crate::server::state::current()?;
    Ok(ssr::take_revealed(&state.settings))
}

#[cfg(feature = "ssr")]
pub mod ssr;
