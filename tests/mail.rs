//! Mail goes out through the queue: over a real SMTP server (scripts/test.sh starts one), or
//! into the outbox without one; a server that is down costs a retry, never the mail.
#![cfg(feature = "ssr")]

mod common;

use common::TestApp;
use roster::{
    domain::Email,
    server::{
        config::SmtpUrl,
        mail::{self, Letter, Mailer, Round, MAX_ATTEMPTS},
    },
};

/// A mailer whose SMTP server is down: a port on loopback that nothing listens on.
fn unreachable_mailer(app: &TestApp) -> Mailer {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut settings = app.settings.clone();
    settings.smtp_url = Some(SmtpUrl(format!("smtp://{closed}")));
    Mailer::from_settings(&settings)
}

async fn queue(app: &TestApp, to: &str) {
    let mailer = Mailer::from_settings(&app.settings);
    mail::send_later(&app.db, &mailer, &Email::parse(to).unwrap(), &Letter::Test).await.unwrap();
}

#[tokio::test]
async fn queued_mail_arrives_with_both_bodies_and_leaves_the_queue() {
    let app = TestApp::new().await;
    queue(&app, "ada@example.com").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue").await, 1, "queued, not sent in the request");
    let received = app.mail_to("ada@example.com").await;
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail.subject, "Roster can send you mail");
    assert!(mail.from.contains(&format!("roster-{}@test.invalid", app.mail_tag)), "{}", mail.from);
    assert!(mail.text.contains("Open Roster:\nhttp://roster.test"), "{}", mail.text);
    assert!(mail.html.contains("<a href=\"http://roster.test\">Open Roster</a>"), "{}", mail.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue").await, 0, "a delivered mail is forgotten");
}

#[tokio::test]
async fn a_mail_server_that_is_down_keeps_the_mail_for_later_and_it_goes_once_back() {
    let app = TestApp::new().await;
    queue(&app, "ada@example.com").await;
    let before = chrono::Utc::now().timestamp();
    let round = mail::deliver_due(&app.db, &unreachable_mailer(&app)).await.unwrap();
    assert_eq!((round.delivered, round.retrying, round.failed), (0, 1, 0));
    let waiting = "SELECT COUNT(*) FROM mail_queue WHERE attempts = 1 AND failed_at IS NULL \
                   AND last_error IS NOT NULL AND text_body <> ''";
    assert_eq!(app.count(waiting).await, 1, "the mail waits, its failure noted");
    let due = app.count("SELECT next_attempt_at FROM mail_queue").await;
    assert!(due >= before + mail::retry_delay(0), "retried later, not at once: {due} vs {before}");
    // Not due yet: a second round leaves it alone.
    let again = mail::deliver_due(&app.db, &unreachable_mailer(&app)).await.unwrap();
    assert_eq!(again, Round { next_due: Some(due), ..Round::default() });
    // Once due with the server back, it goes.
    app.exec("UPDATE mail_queue SET next_attempt_at = 0").await;
    assert_eq!(app.mail_to("ada@example.com").await.len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue").await, 0);
}

#[tokio::test]
async fn a_mail_that_fails_its_last_attempt_is_marked_failed_with_its_body_erased() {
    let app = TestApp::new().await;
    queue(&app, "ada@example.com").await;
    app.exec(&format!("UPDATE mail_queue SET attempts = {}", MAX_ATTEMPTS - 1)).await;
    let round = mail::deliver_due(&app.db, &unreachable_mailer(&app)).await.unwrap();
    assert_eq!((round.failed, round.next_due), (1, None));
    let failed = mail::failures(&app.db, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].recipient.as_str(), failed[0].attempts), ("ada@example.com", MAX_ATTEMPTS));
    assert!(!failed[0].last_error.is_empty());
    let erased = "SELECT COUNT(*) FROM mail_queue WHERE text_body = '' AND html_body = ''";
    assert_eq!(app.count(erased).await, 1, "the links in a failed mail are not kept");
    assert_eq!(mail::waiting(&app.db).await.unwrap(), 0);
    // A failed mail is never tried again.
    app.exec("UPDATE mail_queue SET next_attempt_at = 0").await;
    assert!(app.mail_to("ada@example.com").await.is_empty());
}

#[tokio::test]
async fn two_senders_at_once_deliver_each_mail_once() {
    let app = TestApp::new().await;
    for i in 0..12 {
        queue(&app, &format!("person{i}@example.com")).await;
    }
    let mailer = Mailer::from_settings(&app.settings);
    let (a, b) = tokio::join!(mail::deliver_due(&app.db, &mailer), mail::deliver_due(&app.db, &mailer));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.delivered + b.delivered, 12, "{a:?} {b:?}");
    for i in 0..12 {
        assert_eq!(app.mail_to(&format!("person{i}@example.com")).await.len(), 1, "person{i}");
    }
}

#[tokio::test]
async fn the_queue_refuses_what_no_mail_could_be() {
    let app = TestApp::new().await;
    for bad in [
        "INSERT INTO mail_queue (recipient, subject, text_body, html_body, queued_at, next_attempt_at) \
         VALUES ('a@b.c', '', 't', 'h', 1, 1)",
        "INSERT INTO mail_queue (recipient, subject, text_body, html_body, queued_at, next_attempt_at, failed_at) \
         VALUES ('a@b.c', 's', 't', 'h', 1, 1, 2)",
    ] {
        assert!(app.db.execute(bad).await.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn admins_see_the_mail_that_could_not_be_delivered_and_no_one_else_does() {
    let app = TestApp::new().await;
    let admin = app.admin("root@example.com", "Root", "correct horse battery").await;
    let ada = app.register("ada@example.com", "Ada", "correct horse battery").await;
    let page = app.get("/users", Some(&admin)).await;
    assert!(!page.body.contains("Mail that could not be delivered"), "nothing to show yet");
    queue(&app, "nobody@example.com").await;
    app.exec(&format!("UPDATE mail_queue SET attempts = {}", MAX_ATTEMPTS - 1)).await;
    mail::deliver_due(&app.db, &unreachable_mailer(&app)).await.unwrap();
    let page = app.get("/users", Some(&admin)).await;
    assert!(page.body.contains("Mail that could not be delivered"), "{}", page.body);
    assert!(page.body.contains("nobody@example.com"), "{}", page.body);
    let status = app.json("/api/mail/status", &[], Some(&admin)).await;
    assert_eq!(status["failed"][0]["attempts"], MAX_ATTEMPTS);
    assert_eq!(app.call("/api/mail/status", &[], Some(&ada)).await.status, axum::http::StatusCode::FORBIDDEN);
}
