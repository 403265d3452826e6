//! Mail: a queue in the database and the sender that empties it.
//!
//! A request never waits on a mail server. It queues its mail ([`Queue::queue_mail`]), in
//! its own transaction when the mail belongs to a change (a reset link and the token behind
//! it are written together, or neither is), and wakes the sender. The sender ([`spawn`])
//! delivers what is due, over SMTP or, with no SMTP server set, as `.eml` files in an outbox
//! folder. A delivery that fails is tried again later, each wait twice the last
//! ([`retry_delay`]), and after [`MAX_ATTEMPTS`] (or at once, when the server refuses the
//! mail for good) it is marked failed, logged and shown to admins. Because the queue is in
//! the database, a restart loses nothing; a mail being sent when the process dies is sent
//! again once its claim lapses ([`LEASE_SECS`]): delivered at least once, never lost.

pub mod letters;

use std::{path::PathBuf, sync::Arc, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::AsyncSmtpTransportBuilder,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use tokio::sync::Notify;

use super::{
    config::{Settings, SmtpUrl},
    db::Db,
};
use crate::{domain::Email, error::AppError, impl_for_connections, with_db};
pub use letters::{Letter, Rendered};

/// How many times a mail is tried before it is marked failed: the waits between add up to
/// about three hours.
pub const MAX_ATTEMPTS: i32 = 10;
/// How long a sender's claim on a mail lasts: a mail claimed by a process that died is due
/// again after this.
pub const LEASE_SECS: i64 = 300;
/// How many mails one round of the sender claims.
const BATCH: i64 = 20;
/// The longest the sender sleeps with nothing due (a mail queued by another process wakes no
/// one here).
const IDLE_SECS: i64 = 60;
/// The longest one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The wait before attempt `attempts + 1`: 30 seconds, doubling, at most an hour.
pub fn retry_delay(attempts: i32) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// Checks the mail settings at start, so a mistyped URL or sender stops the server at once
/// instead of failing every mail later.
pub fn check_settings(settings: &Settings) -> anyhow::Result<()> {
    settings.mail_from.parse::<Mailbox>().map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
    if let Some(url) = &settings.smtp_url {
        smtp_client(url, settings.smtp_ca_file.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    } else if settings.smtp_ca_file.is_some() {
        anyhow::bail!("smtp_ca_file is set but smtp_url is not");
    }
    Ok(())
}

/// The SMTP client `url` describes, trusting the certificates in `ca_file` as well as the
/// public ones when it is given; not yet built (building starts its connection pool, which
/// needs the async runtime).
fn smtp_client(
    url: &SmtpUrl,
    ca_file: Option<&std::path::Path>,
) -> Result<AsyncSmtpTransportBuilder, String> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
        .map_err(|e| format!("smtp_url ({url:?}): {e}"))?
        .timeout(Some(SMTP_TIMEOUT));
    let Some(ca_file) = ca_file else { return Ok(builder) };
    let shown = ca_file.display();
    let pem = std::fs::read(ca_file).map_err(|e| format!("smtp_ca_file ({shown}): {e}"))?;
    // A file with no certificate in it would parse as an empty list and trust nothing new.
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(BEGIN.len()).any(|w| w == BEGIN) {
        return Err(format!("smtp_ca_file ({shown}) holds no PEM certificate"));
    }
    let ca = Certificate::from_pem(&pem).map_err(|e| format!("smtp_ca_file ({shown}): {e}"))?;
    // The URL parsed already, as lettre read it: the host to check the certificate against,
    // and how TLS starts.
    let parsed = url::Url::parse(&url.0).map_err(|e| format!("smtp_url ({url:?}): {e}"))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let tls_mode = parsed.query_pairs().find(|(key, _)| key == "tls").map(|(_, mode)| mode.into_owned());
    let params = TlsParameters::builder(host)
        .add_root_certificate(ca)
        .build()
        .map_err(|e| format!("smtp_ca_file ({shown}): {e}"))?;
    let tls = match (parsed.scheme(), tls_mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(params),
        (_, Some("required")) => Tls::Required(params),
        (_, Some("opportunistic")) => Tls::Opportunistic(params),
        _ => return Err("smtp_ca_file needs an smtp_url with TLS: smtps://… or ?tls=required".into()),
    };
    Ok(builder.tls(tls))
}

/// Where mail goes.
#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
    /// Settings that never passed [`check_settings`] (a test's, say): every delivery fails
    /// with this, and the mail waits.
    Broken(String),
}

/// Sends mail, and wakes the sender when some is queued. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Option<Mailbox>,
    site: String,
    wake: Arc<Notify>,
}

/// The pages a one-time link lands on, its token in the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    /// Confirms an address: a registration's, an account's or a new one.
    Confirm,
    /// Sets a new password.
    Reset,
    /// Makes the first administrator.
    Setup,
    /// Joins a profile one was invited to.
    Invitation,
}

impl Landing {
    /// The link to this page with `token`, on the site `site`.
    pub fn link(self, site: &str, token: &str) -> String {
        let path = match self {
            Landing::Confirm => "/confirm",
            Landing::Reset => "/reset",
            Landing::Setup => "/setup",
            Landing::Invitation => "/invitation",
        };
        format!("{}{path}?token={token}", site.trim_end_matches('/'))
    }
}

/// Where one delivery went.
#[derive(Debug)]
pub enum Delivered {
    Smtp,
    File(PathBuf),
}

/// Why one delivery failed, and whether trying again could help.
#[derive(Debug)]
pub struct Undelivered {
    pub reason: String,
    pub permanent: bool,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Mailer {
        let transport = match &settings.smtp_url {
            Some(url) => match smtp_client(url, settings.smtp_ca_file.as_deref()) {
                Ok(client) => Transport::Smtp(client.build()),
                Err(err) => Transport::Broken(err),
            },
            None => Transport::Outbox(settings.resolved_mail_outbox()),
        };
        Mailer {
            transport,
            from: settings.mail_from.parse().ok(),
            site: settings.public_url(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// The site's address, which every link in a mail starts with.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The link to the page at `path` ("/profiles/7"), on this site.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.site)
    }

    /// The link to `landing` with `token`, on this site.
    pub fn link(&self, landing: Landing, token: &str) -> String {
        landing.link(&self.site, token)
    }

    /// `letter`, rendered for this site.
    pub fn render(&self, letter: &Letter) -> Rendered {
        letter.render(&self.site)
    }

    /// Tells the sender that mail is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Where undelivered mail is described to operators: the SMTP server or the outbox.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "the SMTP server".into(),
            Transport::Outbox(dir) => format!("the outbox {}", dir.display()),
            Transport::Broken(why) => why.clone(),
        }
    }

    /// Delivers one mail now.
    pub async fn deliver(&self, to: &str, mail: &Rendered) -> Result<Delivered, Undelivered> {
        let message = self.message(to, mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| Delivered::Smtp).map_err(|err| {
                let permanent = err.is_permanent();
                Undelivered { reason: err.to_string(), permanent }
            }),
            Transport::Outbox(dir) => {
                write_to_outbox(dir, to, &message.formatted()).await.map(Delivered::File)
            }
            Transport::Broken(why) => Err(Undelivered { reason: why.clone(), permanent: false }),
        }
    }

    fn message(&self, to: &str, mail: &Rendered) -> Result<Message, Undelivered> {
        let permanent = |reason: String| Undelivered { reason, permanent: true };
        let from = self
            .from
            .clone()
            .ok_or_else(|| Undelivered { reason: "mail_from is not an address".into(), permanent: false })?;
        let to: Mailbox = to.parse().map_err(|e| permanent(format!("the recipient {to:?}: {e}")))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(&mail.subject)
            .message_id(None)
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| permanent(e.to_string()))
    }
}

/// Writes one message into `dir` as an `.eml` file, whole or not at all (a temporary file,
/// renamed), in a folder only this user may read: the links in it are secrets.
async fn write_to_outbox(dir: &std::path::Path, to: &str, bytes: &[u8]) -> Result<PathBuf, Undelivered> {
    let failed = |what: &str, err: std::io::Error| Undelivered {
        reason: format!("cannot {what} in {}: {err}", dir.display()),
        permanent: false,
    };
    let mut folder = tokio::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    folder.mode(0o700);
    folder.create(dir).await.map_err(|e| failed("create the outbox", e))?;
    let who: String =
        to.chars().map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' }).collect();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name = format!("{stamp}-{who}-{}.eml", &crate::access::session::random_token()[..8]);
    let (part, path) = (dir.join(format!(".{name}.part")), dir.join(name));
    tokio::fs::write(&part, bytes).await.map_err(|e| failed("write a message", e))?;
    tokio::fs::rename(&part, &path).await.map_err(|e| failed("write a message", e))?;
    Ok(path)
}

/// Writing a mail into the queue, inside a caller's transaction.
pub trait Queue {
    /// Queues `mail` to `to`, due at once.
    fn queue_mail(
        &mut self,
        to: &Email,
        mail: &Rendered,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl_for_connections! {
    impl Queue {
        async fn queue_mail(&mut self, to: &Email, mail: &Rendered) -> Result<(), sqlx::Error> {
            let now = chrono::Utc::now().timestamp();
            sqlx::query(
                "INSERT INTO mail_queue \
                 (recipient, subject, text_body, html_body, queued_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(to.as_str())
            .bind(&mail.subject)
            .bind(&mail.text)
            .bind(&mail.html)
            .bind(now)
            .execute(self)
            .await
            .map(drop)
        }
    }
}

/// Queues `letter` to `to` on its own and wakes the sender.
pub async fn send_later(db: &Db, mailer: &Mailer, to: &Email, letter: &Letter) -> Result<(), AppError> {
    let mail = mailer.render(letter);
    with_db!(db, |pool| {
        let mut conn = pool.acquire().await?;
        conn.queue_mail(to, &mail).await
    })?;
    mailer.wake();
    Ok(())
}

/// A mail the sender has claimed.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
}

/// What one round of the sender did, and when the next mail is due.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    pub next_due: Option<i64>,
}

/// Delivers up to [`BATCH`] mails that are due, each claimed first so that two senders (two
/// processes on one database) never take the same one.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> Result<Round, AppError> {
    let now = chrono::Utc::now().timestamp();
    let claimed: Vec<Claimed> = with_db!(db, |pool| {
        sqlx::query_as(
            "UPDATE mail_queue SET next_attempt_at = $2 \
             WHERE failed_at IS NULL AND next_attempt_at <= $1 AND id IN ( \
                 SELECT id FROM mail_queue WHERE failed_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, id LIMIT $3) \
             RETURNING id, recipient, subject, text_body, html_body, attempts",
        )
        .bind(now)
        .bind(now + LEASE_SECS)
        .bind(BATCH)
        .fetch_all(pool)
        .await
    })?;
    let mut round = Round::default();
    for mail in claimed {
        match deliver_one(db, mailer, mail, now).await? {
            Outcome::Delivered => round.delivered += 1,
            Outcome::Retrying => round.retrying += 1,
            Outcome::Failed => round.failed += 1,
        }
    }
    round.next_due = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM mail_queue WHERE failed_at IS NULL")
            .fetch_one(pool)
            .await
    })?;
    Ok(round)
}

/// What became of one claimed mail.
enum Outcome {
    Delivered,
    Retrying,
    Failed,
}

/// Delivers one claimed mail and records what became of it.
async fn deliver_one(db: &Db, mailer: &Mailer, mail: Claimed, now: i64) -> Result<Outcome, AppError> {
    let rendered = Rendered { subject: mail.subject, text: mail.text_body, html: mail.html_body };
    let why = match mailer.deliver(&mail.recipient, &rendered).await {
        Ok(delivered) => {
            forget(db, mail.id).await?;
            match delivered {
                Delivered::Smtp => tracing::info!(mail = mail.id, "mail delivered"),
                Delivered::File(path) => {
                    tracing::info!(mail = mail.id, path = %path.display(), "mail written to the outbox")
                }
            }
            return Ok(Outcome::Delivered);
        }
        Err(why) => why,
    };
    let attempts = mail.attempts + 1;
    let gave_up = why.permanent || attempts >= MAX_ATTEMPTS;
    record_failure(db, mail.id, attempts, &why.reason, gave_up, now).await?;
    if gave_up {
        tracing::error!(mail = mail.id, attempts, reason = why.reason, "mail could not be delivered");
        Ok(Outcome::Failed)
    } else {
        let retry_in = retry_delay(attempts - 1);
        tracing::warn!(mail = mail.id, attempts, retry_in, reason = why.reason, "mail not delivered yet");
        Ok(Outcome::Retrying)
    }
}

async fn forget(db: &Db, id: i64) -> Result<(), AppError> {
    with_db!(db, |pool| sqlx::query("DELETE FROM mail_queue WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(drop))?;
    Ok(())
}

/// Counts a failed attempt; when `gave_up`, marks the mail failed and erases its body.
async fn record_failure(
    db: &Db,
    id: i64,
    attempts: i32,
    reason: &str,
    gave_up: bool,
    now: i64,
) -> Result<(), AppError> {
    let reason: String = reason.chars().take(1000).collect();
    let sql = if gave_up {
        "UPDATE mail_queue SET attempts = $2, last_error = $3, failed_at = $4, \
         text_body = '', html_body = '' \
         WHERE id = $1"
    } else {
        "UPDATE mail_queue SET attempts = $2, last_error = $3, next_attempt_at = $4 WHERE id = $1"
    };
    let at = if gave_up { now } else { now + retry_delay(attempts - 1) };
    with_db!(db, |pool| {
        sqlx::query(sql).bind(id).bind(attempts).bind(&reason).bind(at).execute(pool).await.map(drop)
    })?;
    Ok(())
}

/// Starts the sender: a task that delivers what is due, then sleeps until the next mail is
/// due, a new one is queued here, or [`IDLE_SECS`] pass.
pub fn spawn(db: Db, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tracing::info!("mail goes to {}", mailer.describe());
    tokio::spawn(async move {
        loop {
            let wait = match deliver_due(&db, &mailer).await {
                Ok(round) => {
                    let now = chrono::Utc::now().timestamp();
                    round.next_due.map_or(IDLE_SECS, |due| (due - now).clamp(0, IDLE_SECS))
                }
                Err(err) => {
                    tracing::warn!(%err, "the mail queue could not be read");
                    IDLE_SECS
                }
            };
            if wait == 0 {
                continue;
            }
            tokio::select! {
                _ = mailer.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(wait as u64)) => {}
            }
        }
    })
}

/// The most waiting mails [`waiting`] counts: the queue drains as mail is sent, and past
/// this many what matters is that something is wrong, not the exact number.
pub const WAITING_CAP: i64 = 1000;

/// How many mails wait to be delivered, up to [`WAITING_CAP`].
pub async fn waiting(db: &Db) -> Result<i64, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mail_queue WHERE failed_at IS NULL LIMIT $1) AS waiting",
        )
        .bind(WAITING_CAP)
        .fetch_one(pool)
        .await
    })?)
}

/// A mail that could not be delivered, for admins.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct FailedMail {
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: String,
    pub failed_at: i64,
}

/// The mails that most recently failed for good, newest first, at most `limit`.
pub async fn failures(db: &Db, limit: i64) -> Result<Vec<FailedMail>, AppError> {
    Ok(with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT recipient, subject, attempts, last_error, failed_at FROM mail_queue \
             WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let waits: Vec<i64> = (0..MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(retry_delay(50), 3600);
    }

    #[test]
    fn an_smtp_url_is_shown_without_its_credentials() {
        let url = crate::server::config::SmtpUrl("smtps://ada:s3cret@mail.example.org:465".into());
        assert_eq!(format!("{url:?}"), "smtps://…@mail.example.org:465");
    }
}
