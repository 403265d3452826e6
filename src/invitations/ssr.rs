//! Invitations' reads and writes. Each change is one transaction; the database settles
//! races: the open-invitation key makes two invitations of one address one, and accepting
//! closes the row with a conditional update, so of two accepts at once one finds it open.

use std::collections::HashMap;

use super::{closed_message, Invitation, Offer, Outcome, Standing, LINK_UNKNOWN, PAGE};
use crate::{
    access::{
        session::{digest, random_token},
        Findable,
    },
    domain::{Access, DisplayName, Email, ProfileId, SessionUser, Timestamp, UserId},
    error::AppError,
    expiry::ssr::{Due, Ends},
    history::{ssr::Change, Action},
    memberships::ssr::MemberRows,
    paging::{Page, COUNT_CAP},
    record_history,
    server::{
        db::{Db, Pool},
        mail::{Landing, Letter, Mailer, Queue},
        state::AppState,
    },
    users::ssr::{AdminGrant, NewAccounts, EMAIL_TAKEN},
    with_db,
};

/// How many invitations one statement writes.
const CHUNK: usize = 500;

/// Adding an address that already has an open invitation.
pub fn already_invited(email: &Email) -> AppError {
    AppError::Conflict(format!(
        "{email} is invited already. If the mail went astray, send it again from the invitations below."
    ))
}

/// Resending or revoking an invitation that was accepted, revoked or has expired meanwhile.
pub const NOT_OPEN: &str = "That invitation isn't open any more: it was accepted, withdrawn or has \
    expired. The list below is as it is now.";

/// Registering from an invitation to an address that has an account meanwhile.
pub const SIGN_IN_INSTEAD: &str =
    "An account already uses this address. Sign in with it to accept the invitation.";

/// An account, named by its address or by its id.
#[derive(Clone, Copy, Debug)]
pub enum Account<'a> {
    Email(&'a Email),
    Id(UserId),
}

/// The account `account` names, if the person `findable` describes may see it: everyone's
/// for an admin or an open directory, else only those who share a profile with them.
pub async fn findable_account(
    db: &Db,
    findable: Findable,
    account: Account<'_>,
) -> Result<Option<UserId>, AppError> {
    let sharing = match findable {
        Findable::Everyone => UserId(0),
        Findable::SharingWith(me) => me,
    };
    let key = match account {
        Account::Email(_) => "u.email",
        Account::Id(_) => "u.id",
    };
    let sql = format!(
        "SELECT u.id FROM users u WHERE {key} = $1 AND ($2 = 0 OR EXISTS (SELECT 1 \
         FROM memberships theirs JOIN memberships mine ON mine.profile_id = theirs.profile_id \
         AND mine.user_id = $2 WHERE theirs.user_id = u.id))"
    );
    Ok(with_db!(db, |pool| {
        let query = sqlx::query_scalar(&sql);
        let query = match account {
            Account::Email(email) => query.bind(email.as_str()),
            Account::Id(id) => query.bind(id),
        };
        query.bind(sharing).fetch_optional(pool).await
    })?)
}

/// An invitation's terms: to which profile, as what, from whom, for how many days, and when
/// the membership it offers ends (the link stops working then at the latest).
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub profile: ProfileId,
    pub access: Access,
    pub by: UserId,
    pub days: u32,
    pub ends: Option<Timestamp>,
}

impl Terms {
    pub fn new(state: &AppState, profile: ProfileId, access: Access, by: UserId) -> Terms {
        Terms { profile, access, by, days: state.settings.invitation_days, ends: None }
    }
}

/// Invites `email` onto the profile and mails the link; the invitation's id. An address
/// with an open invitation is a conflict.
pub async fn invite(state: &AppState, terms: Terms, email: &Email) -> Result<i64, AppError> {
    let made = with_db!(&state.db, |pool| {
        let mut tx = pool.begin_write().await?;
        let made = tx.invite_all(&state.mail, terms, std::slice::from_ref(email)).await?;
        tx.commit().await?;
        Ok::<_, AppError>(made)
    })?;
    state.mail.wake();
    made.first().map(|(_, id)| *id).ok_or_else(|| already_invited(email))
}

/// The statements of invitations, inside a caller's transaction.
pub trait InvitationStatements {
    /// Invites each of `emails` that has no open invitation on the profile, queueing each
    /// one's mail: the (email, id) of those made. Expired ones are closed first.
    fn invite_all(
        &mut self,
        mailer: &Mailer,
        terms: Terms,
        emails: &[Email],
    ) -> impl std::future::Future<Output = Result<Vec<(String, i64)>, AppError>> + Send;

    /// Accepts the open invitation with `token` to `email` as `user`, who joins the profile
    /// unless already on it: the profile, or `None` when no such invitation is open.
    fn take_invitation(
        &mut self,
        token: &str,
        user: UserId,
        email: &str,
    ) -> impl std::future::Future<Output = Result<Option<ProfileId>, AppError>> + Send;

    /// The address of the open invitation with `token`, if there is one.
    fn open_email(
        &mut self,
        token: &str,
    ) -> impl std::future::Future<Output = Result<Option<String>, AppError>> + Send;

    /// Why the invitation with `token` can't be used by the person with `email` (or by
    /// anyone, with `None`): the error to answer with.
    fn why_not(
        &mut self,
        token: &str,
        email: Option<&str>,
    ) -> impl std::future::Future<Output = Result<AppError, AppError>> + Send;
}

crate::impl_for_connections! {
    impl InvitationStatements {
        async fn invite_all(
            &mut self,
            mailer: &Mailer,
            terms: Terms,
            emails: &[Email],
        ) -> Result<Vec<(String, i64)>, AppError> {
            if emails.is_empty() {
                return Ok(Vec::new());
            }
            let now = Timestamp::now();
            let expires = Timestamp(now.0 + chrono::Duration::days(terms.days.into()));
            let expires = terms.ends.map_or(expires, |ends| expires.min(ends));
            sqlx::query(
                "UPDATE invitations SET outcome = 'expired', closed_at = expires_at \
                 WHERE profile_id = $1 AND outcome IS NULL AND expires_at <= $2",
            )
            .bind(terms.profile)
            .bind(now)
            .execute(&mut *self)
            .await?;
            // Both were just checked; one that went meanwhile is not found.
            let (profile, inviter): (String, String) = sqlx::query_as(
                "SELECT p.name, u.display_name FROM profiles p, users u WHERE p.id = $1 AND u.id = $2",
            )
            .bind(terms.profile)
            .bind(terms.by)
            .fetch_optional(&mut *self)
            .await?
            .ok_or(AppError::NotFound)?;
            let mut made = Vec::new();
            for chunk in emails.chunks(CHUNK) {
                let tokens: HashMap<&str, String> =
                    chunk.iter().map(|email| (email.as_str(), random_token())).collect();
                let mut sql = sqlx::QueryBuilder::new(
                    "INSERT INTO invitations \
                     (profile_id, email, access, token, invited_by, invited_at, sent_at, expires_at, \
                     membership_ends_at) ",
                );
                sql.push_values(&tokens, |mut row, (email, token)| {
                    row.push_bind(terms.profile)
                        .push_bind(*email)
                        .push_bind(terms.access)
                        .push_bind(digest(token))
                        .push_bind(terms.by)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(expires)
                        .push_bind(terms.ends);
                });
                sql.push(
                    " ON CONFLICT (profile_id, email) WHERE outcome IS NULL \
                     DO NOTHING RETURNING email, id",
                );
                let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *self).await?;
                for (email, _) in &rows {
                    let letter = Letter::Invitation {
                        profile: profile.clone(),
                        inviter: inviter.clone(),
                        access: terms.access,
                        link: mailer.link(Landing::Invitation, &tokens[email.as_str()]),
                        days: terms.days.into(),
                    };
                    self.queue_mail(&Email::parse(email)?, &mailer.render(&letter)).await?;
                }
                made.extend(rows);
            }
            Ok(made)
        }

        async fn take_invitation(
            &mut self,
            token: &str,
            user: UserId,
            email: &str,
        ) -> Result<Option<ProfileId>, AppError> {
            let now = Timestamp::now();
            type Taken = (i64, ProfileId, Access, Option<UserId>, Option<Timestamp>);
            let taken: Option<Taken> = sqlx::query_as(
                "UPDATE invitations SET outcome = 'accepted', closed_at = $4, closed_by = $3 \
                 WHERE token = $1 AND email = $2 AND outcome IS NULL AND expires_at > $4 \
                 RETURNING id, profile_id, access, invited_by, membership_ends_at",
            )
            .bind(digest(token.trim()))
            .bind(email)
            .bind(user)
            .bind(now)
            .fetch_optional(&mut *self)
            .await?;
            let Some((invitation, profile, access, invited_by, ends)) = taken else { return Ok(None) };
            self.expire_due(Due::Pair(profile, user), now).await?;
            if let Some(since) = self.insert_member(profile, user, (access, ends), invited_by).await? {
                let change = Change {
                    after: Some(access),
                    since: Some(since),
                    added_by: invited_by,
                    invitation: Some(invitation),
                    ..Change::membership(user, user, profile, Action::Added)
                };
                record_history!(&mut *self, &change)?;
            }
            Ok(Some(profile))
        }

        async fn open_email(&mut self, token: &str) -> Result<Option<String>, AppError> {
            Ok(sqlx::query_scalar(
                "SELECT email FROM invitations WHERE token = $1 AND outcome IS NULL AND expires_at > $2",
            )
            .bind(digest(token.trim()))
            .bind(Timestamp::now())
            .fetch_optional(&mut *self)
            .await?)
        }

        async fn why_not(&mut self, token: &str, email: Option<&str>) -> Result<AppError, AppError> {
            let row: Option<(String, Option<Outcome>, Timestamp)> = sqlx::query_as(
                "SELECT email, outcome, expires_at FROM invitations WHERE token = $1",
            )
            .bind(digest(token.trim()))
            .fetch_optional(&mut *self)
            .await?;
            let Some((invited, outcome, expires)) = row else {
                return Ok(AppError::BadRequest(LINK_UNKNOWN.into()));
            };
            Ok(match outcome {
                Some(outcome) => AppError::BadRequest(closed_message(outcome).into()),
                None if expires.0 <= chrono::Utc::now() => {
                    AppError::BadRequest(closed_message(Outcome::Expired).into())
                }
                None => match email {
                    Some(email) if email != invited => AppError::Conflict(format!(
                        "This invitation is for {invited}. Sign in with that address to accept it."
                    )),
                    _ => AppError::Conflict(SIGN_IN_INSTEAD.into()),
                },
            })
        }
    }
}

/// The address of the open invitation with `token`; why it can't be used otherwise.
pub async fn open_address(db: &Db, token: &str) -> Result<Email, AppError> {
    with_db!(db, |pool| {
        let mut conn = pool.acquire().await?;
        match conn.open_email(token).await? {
            Some(email) => Email::parse(&email),
            None => Err(conn.why_not(token, None).await?),
        }
    })
}

/// What the invitation with `token` offers, and where `me` (signed in or not) stands.
pub async fn offer(state: &AppState, token: &str, me: Option<&SessionUser>) -> Result<Offer, AppError> {
    type Row = (
        ProfileId,
        String,
        String,
        Access,
        Option<String>,
        Timestamp,
        Option<Timestamp>,
        Option<Outcome>,
        bool,
    );
    let row: Option<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT i.profile_id, p.name, i.email, i.access, u.display_name, i.expires_at, \
                    i.membership_ends_at, i.outcome, EXISTS (SELECT 1 FROM users a WHERE a.email = i.email) \
             FROM invitations i JOIN profiles p ON p.id = i.profile_id \
             LEFT JOIN users u ON u.id = i.invited_by WHERE i.token = $1",
        )
        .bind(digest(token.trim()))
        .fetch_optional(pool)
        .await
    })?;
    let Some((profile_id, profile_name, email, access, invited_by, expires_at, ends, outcome, has_account)) =
        row
    else {
        return Err(AppError::BadRequest(LINK_UNKNOWN.into()));
    };
    let standing = match (outcome, me) {
        (Some(outcome), _) => Standing::Closed(outcome),
        _ if expires_at.0 <= chrono::Utc::now() => Standing::Closed(Outcome::Expired),
        (None, Some(me)) if me.email == email => Standing::Invitee,
        (None, Some(me)) => Standing::SomeoneElse(me.email.clone()),
        (None, None) if has_account => Standing::HasAccount,
        (None, None) => {
            let address = Email::parse(&email)?;
            let may_register = crate::confirmation::ssr::check_policy(&state.settings, &address).is_ok();
            Standing::NoAccount { may_register }
        }
    };
    let membership_ends_at = ends;
    Ok(Offer {
        profile_id,
        profile_name,
        email,
        access,
        invited_by,
        expires_at,
        membership_ends_at,
        standing,
    })
}

/// Accepts the invitation with `token` as `me`: the profile they are on now.
pub async fn accept(db: &Db, token: &str, me: &SessionUser) -> Result<ProfileId, AppError> {
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        match tx.take_invitation(token, me.id, &me.email).await? {
            Some(profile) => {
                tx.commit().await?;
                Ok(profile)
            }
            None => Err(tx.why_not(token, Some(&me.email)).await?),
        }
    })
}

/// Makes the invited address's account and accepts the invitation with it, in one
/// transaction: the new account and the profile it is on.
pub async fn join(
    db: &Db,
    token: &str,
    name: &DisplayName,
    password_hash: &str,
) -> Result<(UserId, ProfileId), AppError> {
    with_db!(db, |pool| {
        let mut tx = pool.begin_write().await?;
        let Some(email) = tx.open_email(token).await? else { return Err(tx.why_not(token, None).await?) };
        let user =
            match tx.insert_account(&Email::parse(&email)?, name, password_hash, AdminGrant::Never).await {
                Err(AppError::Conflict(message)) if message == EMAIL_TAKEN => {
                    return Err(AppError::Conflict(SIGN_IN_INSTEAD.into()))
                }
                other => other?,
            };
        let Some(profile) = tx.take_invitation(token, user, &email).await? else {
            return Err(tx.why_not(token, None).await?);
        };
        tx.commit().await?;
        Ok((user, profile))
    })
}

/// One page of the profile's invitations, newest first: the open ones, or `all`.
pub async fn list(
    db: &Db,
    profile: ProfileId,
    all: bool,
    after: Option<i64>,
) -> Result<Page<Invitation>, AppError> {
    let now = Timestamp::now();
    let (mut items, total): (Vec<Invitation>, i64) = with_db!(db, |pool| {
        // Open: not closed, and not past its expiry though the sweeper hasn't closed it yet.
        let of_profile = |sql: &mut sqlx::QueryBuilder<_>| {
            sql.push(" FROM invitations WHERE profile_id = ").push_bind(profile);
            if !all {
                sql.push(" AND outcome IS NULL AND expires_at > ").push_bind(now);
            }
        };
        let mut rows = sqlx::QueryBuilder::new(
            "SELECT i.id, i.email, i.access, a.display_name AS invited_by, i.invited_at, i.sent_at, \
                    i.expires_at, i.outcome, i.closed_at, c.display_name AS closed_by FROM (SELECT *",
        );
        of_profile(&mut rows);
        rows.push(" AND id < ").push_bind(after.unwrap_or(i64::MAX));
        rows.push(" ORDER BY id DESC LIMIT ").push_bind(PAGE + 1);
        rows.push(
            ") AS i LEFT JOIN users a ON a.id = i.invited_by LEFT JOIN users c ON c.id = i.closed_by \
             ORDER BY i.id DESC",
        );
        let items = rows.build_query_as().fetch_all(pool).await?;
        let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1");
        of_profile(&mut count);
        count.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") AS c");
        let total = count.build_query_scalar().fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((items, total))
    })?;
    let next = (items.len() as i64 > PAGE).then(|| {
        items.truncate(PAGE as usize);
        items.last().map(|i| i.id.to_string()).unwrap_or_default()
    });
    Ok(Page { items, next, total: total.min(COUNT_CAP), more: total > COUNT_CAP })
}

/// Why an invitation of the profile isn't open to resend or revoke: not found when the
/// profile has no such invitation, else a conflict.
async fn not_open(db: &Db, profile: ProfileId, invitation: i64) -> Result<AppError, AppError> {
    let exists: bool = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM invitations WHERE id = $1 AND profile_id = $2)")
            .bind(invitation)
            .bind(profile)
            .fetch_one(pool)
            .await
    })?;
    Ok(if exists { AppError::Conflict(NOT_OPEN.into()) } else { AppError::NotFound })
}

/// Mails an open invitation again with a new link, good for the full time from now.
pub async fn resend(
    state: &AppState,
    profile: ProfileId,
    invitation: i64,
    by: UserId,
) -> Result<(), AppError> {
    let (mailer, days) = (&state.mail, state.settings.invitation_days);
    let token = random_token();
    let now = Timestamp::now();
    let expires = Timestamp(now.0 + chrono::Duration::days(days.into()));
    let sent = with_db!(&state.db, |pool| {
        let mut tx = pool.begin_write().await?;
        let row: Option<(String, Access, String, String)> = sqlx::query_as(
            "UPDATE invitations SET token = $1, sent_at = $2, \
             expires_at = CASE WHEN membership_ends_at < $3 THEN membership_ends_at ELSE $3 END \
             WHERE id = $4 AND profile_id = $5 AND outcome IS NULL AND expires_at > $2 \
             RETURNING email, access, (SELECT name FROM profiles WHERE id = $5), \
                       (SELECT display_name FROM users WHERE id = $6)",
        )
        .bind(digest(&token))
        .bind(now)
        .bind(expires)
        .bind(invitation)
        .bind(profile)
        .bind(by)
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some((email, access, profile_name, inviter)) => {
                let letter = Letter::Invitation {
                    profile: profile_name,
                    inviter,
                    access,
                    link: mailer.link(Landing::Invitation, &token),
                    days: days.into(),
                };
                tx.queue_mail(&Email::parse(&email)?, &mailer.render(&letter)).await?;
                tx.commit().await?;
                Ok::<_, AppError>(true)
            }
            None => Ok(false),
        }
    })?;
    if !sent {
        return Err(not_open(&state.db, profile, invitation).await?);
    }
    mailer.wake();
    Ok(())
}

/// Withdraws an open invitation, recording who did.
pub async fn revoke(db: &Db, profile: ProfileId, invitation: i64, by: UserId) -> Result<(), AppError> {
    let now = Timestamp::now();
    let revoked = with_db!(db, |pool| {
        sqlx::query(
            "UPDATE invitations SET outcome = 'revoked', closed_at = $3, closed_by = $4 \
             WHERE id = $1 AND profile_id = $2 AND outcome IS NULL AND expires_at > $3",
        )
        .bind(invitation)
        .bind(profile)
        .bind(now)
        .bind(by)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    if revoked == 0 {
        return Err(not_open(db, profile, invitation).await?);
    }
    Ok(())
}

/// Closes every invitation past its expiry, as expired at that moment, a batch a statement:
/// how many it closed.
pub async fn sweep(db: &Db) -> Result<u64, AppError> {
    let now = Timestamp::now();
    let mut closed = 0;
    loop {
        let done = with_db!(db, |pool| {
            sqlx::query(
                "UPDATE invitations SET outcome = 'expired', closed_at = expires_at WHERE id IN \
                 (SELECT id FROM invitations WHERE outcome IS NULL AND expires_at <= $1 \
                  ORDER BY expires_at LIMIT $2)",
            )
            .bind(now)
            .bind(CHUNK as i64)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        closed += done;
        if done < CHUNK as u64 {
            return Ok(closed);
        }
    }
}
