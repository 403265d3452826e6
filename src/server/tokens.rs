//! One-time links sent by mail: each carries a random token; the database keeps only its
//! SHA-256 (`account_tokens`), so a copy of the table can't be used as links. A link is good
//! for its purpose's lifetime and works once: using it deletes its row in the same
//! transaction as what it does. A new link of the same purpose replaces the account's last.

use crate::{
    access::session::{digest, random_token},
    domain::{Email, UserId},
    impl_for_connections,
};

crate::text_enum! {
    /// What a link does.
    pub enum Purpose {
        ResetPassword = "reset_password",
        ConfirmEmail = "confirm_email",
        ChangeEmail = "change_email",
    }
    invalid: ("purpose", "Unknown kind of link.")
}

impl Purpose {
    /// How long a link works.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            Purpose::ResetPassword => 3600,
            Purpose::ConfirmEmail => 48 * 3600,
            Purpose::ChangeEmail => 24 * 3600,
        }
    }
}

/// What a used link was for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Taken {
    pub user_id: UserId,
    /// For [`Purpose::ChangeEmail`]: the address the link confirms.
    pub new_email: Option<String>,
}

/// The statements on links, run inside a caller's transaction.
pub trait Tokens {
    /// A new link's token for `user`; the account's earlier link of this purpose stops working.
    fn issue_token(
        &mut self,
        user: UserId,
        purpose: Purpose,
        new_email: Option<&Email>,
    ) -> impl std::future::Future<Output = Result<String, sqlx::Error>> + Send;

    /// [`Tokens::issue_token`], for a link that works `lifetime_secs` instead of its
    /// purpose's usual time: a welcome's set-password link waits for its reader longer than
    /// a reset asked for a minute ago.
    fn issue_token_lasting(
        &mut self,
        user: UserId,
        purpose: Purpose,
        new_email: Option<&Email>,
        lifetime_secs: i64,
    ) -> impl std::future::Future<Output = Result<String, sqlx::Error>> + Send;

    /// Uses up `token`: what it was for, if it was issued for `purpose` and hasn't expired.
    /// A token that has expired is deleted all the same.
    fn take_token(
        &mut self,
        token: &str,
        purpose: Purpose,
    ) -> impl std::future::Future<Output = Result<Option<Taken>, sqlx::Error>> + Send;

    /// Ends every link of `user` for `purpose`, such as the reset links a new password
    /// makes pointless.
    fn drop_tokens(
        &mut self,
        user: UserId,
        purpose: Purpose,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl_for_connections! {
    impl Tokens {
        async fn issue_token(
            &mut self,
            user: UserId,
            purpose: Purpose,
            new_email: Option<&Email>,
        ) -> Result<String, sqlx::Error> {
            self.issue_token_lasting(user, purpose, new_email, purpose.lifetime_secs()).await
        }

        async fn issue_token_lasting(
            &mut self,
            user: UserId,
            purpose: Purpose,
            new_email: Option<&Email>,
            lifetime_secs: i64,
        ) -> Result<String, sqlx::Error> {
            let now = chrono::Utc::now().timestamp();
            // Expired links of anyone's go while here; the expires_at index makes this cheap.
            sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *self)
                .await?;
            self.drop_tokens(user, purpose).await?;
            let token = random_token();
            sqlx::query(
                "INSERT INTO account_tokens (id, user_id, purpose, new_email, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(digest(&token))
            .bind(user)
            .bind(purpose)
            .bind(new_email.map(Email::as_str))
            .bind(now)
            .bind(now + lifetime_secs)
            .execute(&mut *self)
            .await?;
            Ok(token)
        }

        async fn take_token(&mut self, token: &str, purpose: Purpose) -> Result<Option<Taken>, sqlx::Error> {
            let row: Option<(UserId, Option<String>, i64)> = sqlx::query_as(
                "DELETE FROM account_tokens WHERE id = $1 AND purpose = $2 \
                 RETURNING user_id, new_email, expires_at",
            )
            .bind(digest(token.trim()))
            .bind(purpose)
            .fetch_optional(&mut *self)
            .await?;
            let now = chrono::Utc::now().timestamp();
            let live = row.filter(|(_, _, expires)| *expires > now);
            Ok(live.map(|(user_id, new_email, _)| Taken { user_id, new_email }))
        }

        async fn drop_tokens(&mut self, user: UserId, purpose: Purpose) -> Result<(), sqlx::Error> {
            sqlx::query("DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2")
                .bind(user)
                .bind(purpose)
                .execute(&mut *self)
                .await
                .map(drop)
        }
    }
}
