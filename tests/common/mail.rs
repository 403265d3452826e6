//! What Roster sent, read back: from the real SMTP server scripts/test.sh starts (aiosmtpd,
//! which keeps a maildir), or, when the tests run without it, from the test's outbox folder.
//! Either way each test app sends from an address of its own, so tests running at once, which
//! share the SMTP server, read only their own mail.

use std::path::{Path, PathBuf};

use mailparse::MailHeaderMap;
use roster::server::config::{Settings, SmtpUrl};

/// Where a test app's mail arrives.
#[derive(Clone, Debug)]
pub enum Inbox {
    Maildir(PathBuf),
    Outbox(PathBuf),
}

/// One message as a mail client shows it.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Received {
    /// The first link in the plain text that contains `path`, such as `/reset?token=`.
    pub fn link(&self, path: &str) -> String {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(path))
            .unwrap_or_else(|| panic!("no link with {path} in: {}", self.text))
            .to_owned()
    }

    /// The link's path and query, to request from the router.
    pub fn local_link(&self, path: &str) -> String {
        let link = self.link(path);
        let after_scheme = link.split_once("://").map_or(link.as_str(), |(_, rest)| rest);
        after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
    }
}

/// Points `settings` at the test SMTP server when there is one, else at an outbox in `dir`,
/// with a sender address of this app's own (`tag`). Returns where the mail will arrive.
pub fn configure(settings: &mut Settings, dir: &Path, tag: &str) -> Inbox {
    settings.mail_from = format!("Roster <roster-{tag}@test.invalid>");
    settings.public_url = Some("http://roster.test".into());
    match (std::env::var("ROSTER_TEST_SMTP_URL"), std::env::var("ROSTER_TEST_MAILDIR")) {
        (Ok(url), Ok(maildir)) => {
            settings.smtp_url = Some(SmtpUrl(url));
            Inbox::Maildir(PathBuf::from(maildir))
        }
        _ => {
            let outbox = dir.join("outbox");
            settings.mail_outbox = Some(outbox.clone());
            Inbox::Outbox(outbox)
        }
    }
}

impl Inbox {
    /// Every message from `from` to `to` that has arrived, oldest first.
    pub fn messages(&self, from: &str, to: &str) -> Vec<Received> {
        let mut files: Vec<PathBuf> = match self {
            Inbox::Maildir(dir) => ["new", "cur"].iter().flat_map(|sub| list(&dir.join(sub))).collect(),
            Inbox::Outbox(dir) => {
                list(dir).into_iter().filter(|f| f.extension().is_some_and(|e| e == "eml")).collect()
            }
        };
        files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|file| parse(&std::fs::read(file).ok()?))
            .filter(|m| m.from.contains(from) && m.to.eq_ignore_ascii_case(to))
            .collect()
    }
}

fn list(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect()).unwrap_or_default()
}

fn parse(bytes: &[u8]) -> Option<Received> {
    let mail = mailparse::parse_mail(bytes).ok()?;
    let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
    let part = |kind: &str| {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == kind)
            .and_then(|p| p.get_body().ok())
            .unwrap_or_default()
            // Line ends as sent (CRLF) or as a mailbox stores them (LF).
            .replace("\r\n", "\n")
    };
    Some(Received {
        from: header("From"),
        to: header("To"),
        subject: header("Subject"),
        text: part("text/plain"),
        html: part("text/html"),
    })
}
