//! What Roster writes: each kind of mail as data, rendered once as plain text and once as
//! HTML, so the two always say the same thing and only one place escapes HTML.

use std::fmt::Write;

use crate::domain::Access;

/// Every mail Roster sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Letter {
    /// `roster mail test`: proof that the settings reach a mailbox.
    Test,
    /// A link that sets a new password, good for `minutes`.
    ResetPassword { name: String, link: String, minutes: i64 },
    /// To a person an identity provider gave an account: the link that sets their first
    /// password, good for `days`.
    Welcome { name: String, link: String, days: i64 },
    /// A link that confirms a new account's address, good for `hours`.
    ConfirmEmail { name: String, link: String, hours: i64 },
    /// To an account's owner: someone tried to register with their address.
    RegistrationAttempt { name: String },
    /// To a new address: the link that moves the account to it, good for `hours`.
    ConfirmNewEmail { name: String, link: String, hours: i64 },
    /// To the old address, once the account has moved to `new_email`.
    EmailChanged { name: String, new_email: String },
    /// To an address invited onto a profile: the link that joins it, good for `days`.
    Invitation { profile: String, inviter: String, access: Access, link: String, days: i64 },
    /// To a member: their access to a profile ends after `last_day` (UTC).
    AccessEnding { name: String, profile: String, last_day: String, link: String },
    /// To a profile's managers: these people's access ends soon, each after its last day.
    MembersEnding { profile: String, people: Vec<(String, String)>, link: String },
    /// To a profile's managers: its access review was due on `due`.
    ReviewDue { profile: String, due: String, link: String },
}

/// One paragraph of a letter.
enum Block {
    Text(String),
    /// A link on a line of its own, spelled out in the plain text.
    Link {
        label: &'static str,
        url: String,
    },
}

/// A letter ready to queue: its subject and both bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Letter {
    /// The letter as it goes out from the site at `site` (the `public_url` setting).
    pub fn render(&self, site: &str) -> Rendered {
        let (subject, blocks) = self.compose(site);
        Rendered { text: text(&blocks, site), html: html(&subject, &blocks, site), subject }
    }

    fn compose(&self, site: &str) -> (String, Vec<Block>) {
        use Block::{Link, Text};
        match self {
            Letter::Test => (
                "Roster can send you mail".into(),
                vec![
                    Text("This is a test message from Roster. Its mail settings work.".into()),
                    Link { label: "Open Roster", url: site.to_owned() },
                ],
            ),
            Letter::ResetPassword { name, link, minutes } => (
                "Set a new Roster password".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(
                        "Someone asked to set a new password for your Roster account. If it was you, \
                          follow this link to choose one:"
                            .into(),
                    ),
                    Link { label: "Set a new password", url: link.clone() },
                    Text(format!(
                        "The link works once, within {minutes} minutes. Setting a password signs your \
                         account out everywhere."
                    )),
                    Text("If it wasn't you, ignore this mail: your password stays as it is.".into()),
                ],
            ),
            Letter::Welcome { name, link, days } => (
                "Your Roster account is ready".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(
                        "Your organisation made you a Roster account with this address. Follow this \
                          link to choose your password and sign in:"
                            .into(),
                    ),
                    Link { label: "Choose my password", url: link.clone() },
                    Text(format!(
                        "The link works once, within {days} days. After that, ask for a new one on the \
                         sign-in page (\"Forgot your password?\")."
                    )),
                ],
            ),
            Letter::ConfirmEmail { name, link, hours } => (
                "Confirm your address for Roster".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(
                        "Someone registered a Roster account with this address. If it was you, \
                          follow this link to confirm it and open your account:"
                            .into(),
                    ),
                    Link { label: "Confirm my address", url: link.clone() },
                    Text(format!("The link works once, within {hours} hours.")),
                    Text("If it wasn't you, ignore this mail: no account is made without it.".into()),
                ],
            ),
            Letter::ConfirmNewEmail { name, link, hours } => (
                "Confirm your new address for Roster".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(
                        "You asked to use this address for your Roster account. Follow this link to \
                          confirm it; until then, your old address stays."
                            .into(),
                    ),
                    Link { label: "Confirm my new address", url: link.clone() },
                    Text(format!("The link works once, within {hours} hours.")),
                    Text("If it wasn't you, ignore this mail: nothing changes without it.".into()),
                ],
            ),
            Letter::EmailChanged { name, new_email } => (
                "Your Roster address was changed".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(format!(
                        "Your Roster account now uses the address {new_email}, which confirmed it. \
                         Mail for the account goes there from now on."
                    )),
                    Text("If it wasn't you, tell an administrator at once, and set a new password:".into()),
                    Link { label: "Set a new password", url: format!("{site}/forgot") },
                ],
            ),
            Letter::Invitation { profile, inviter, access, link, days } => (
                format!("You're invited to {profile} on Roster"),
                vec![
                    Text(format!("{inviter} invited you to join {profile} on Roster, as a {access}.")),
                    Text(
                        "Follow this link to accept. If you have no Roster account yet, you can \
                          make one there with this address."
                            .into(),
                    ),
                    Link { label: "Accept the invitation", url: link.clone() },
                    Text(format!("The link works once, within {days} days.")),
                    Text("If you don't want to join, ignore this mail: nothing happens without it.".into()),
                ],
            ),
            Letter::AccessEnding { name, profile, last_day, link } => (
                format!("Your access to {profile} ends after {last_day}"),
                vec![
                    Text(format!("Hello {name},")),
                    Text(format!(
                        "Your membership of {profile} on Roster ends at the end of {last_day} (UTC). \
                         After that you can no longer see or use it."
                    )),
                    Text("If you still need it, ask one of its managers to extend it.".into()),
                    Link { label: "Open the profile", url: link.clone() },
                ],
            ),
            Letter::MembersEnding { profile, people, link } => (
                format!(
                    "Access to {profile} ends soon for {} {}",
                    people.len(),
                    if people.len() == 1 { "person" } else { "people" }
                ),
                vec![
                    Text(format!("Access to {profile} on Roster ends within a week for:")),
                    Text(
                        people
                            .iter()
                            .map(|(name, day)| format!("{name}, after {day}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    Text("As a manager you can extend or clear an end on the profile's page.".into()),
                    Link { label: "Open the profile", url: link.clone() },
                ],
            ),
            Letter::ReviewDue { profile, due, link } => (
                format!("An access review of {profile} is due"),
                vec![
                    Text(format!(
                        "{profile} on Roster must have its access reviewed regularly, and a review was \
                         due on {due}."
                    )),
                    Text(
                        "Go through its members and keep, change or remove each; completing the review \
                          applies your decisions at once."
                            .into(),
                    ),
                    Link { label: "Review its members", url: link.clone() },
                ],
            ),
            Letter::RegistrationAttempt { name } => (
                "Someone tried to register with your address".into(),
                vec![
                    Text(format!("Hello {name},")),
                    Text(
                        "Someone just tried to register a new Roster account with this address, \
                          which already has one: yours. Nothing has changed, and no new account was made."
                            .into(),
                    ),
                    Text(
                        "If it was you, sign in instead. If you've forgotten your password, set a new one:"
                            .into(),
                    ),
                    Link { label: "Set a new password", url: format!("{site}/forgot") },
                    Text("If it wasn't you, you can ignore this mail.".into()),
                ],
            ),
        }
    }
}

fn text(blocks: &[Block], site: &str) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Text(text) => out.push_str(text),
            Block::Link { label, url } => {
                let _ = write!(out, "{label}:\n{url}");
            }
        }
        out.push_str("\n\n");
    }
    let _ = writeln!(out, "-- \nRoster, {site}");
    out
}

fn html(subject: &str, blocks: &[Block], site: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 36em\">\n",
        escape(subject)
    );
    for block in blocks {
        match block {
            Block::Text(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Block::Link { label, url } => {
                let _ = writeln!(out, "<p><a href=\"{}\">{}</a></p>", escape(url), escape(label));
            }
        }
    }
    let _ = write!(out, "<p style=\"color: #666\">Roster, {}</p>\n</body></html>\n", escape(site));
    out
}

/// `raw` with HTML's special characters escaped, for text and attribute values alike.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bodies_carry_the_link_and_only_the_html_escapes() {
        let letter = Letter::ResetPassword {
            name: "Ada <script>".into(),
            link: "https://r.example/reset?token=a&b".into(),
            minutes: 60,
        };
        let mail = letter.render("https://r.example");
        assert_eq!(mail.subject, "Set a new Roster password");
        assert!(mail.text.contains("Hello Ada <script>,"), "{}", mail.text);
        assert!(
            mail.text.contains("Set a new password:\nhttps://r.example/reset?token=a&b"),
            "{}",
            mail.text
        );
        assert!(mail.html.contains("Hello Ada &lt;script&gt;,"), "{}", mail.html);
        assert!(mail.html.contains("href=\"https://r.example/reset?token=a&amp;b\""), "{}", mail.html);
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
    }
}
