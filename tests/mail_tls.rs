//! Mail over TLS: STARTTLS (`smtp://…?tls=required`) and implicit TLS (`smtps://`), to real
//! SMTP servers (aiosmtpd from `.venv`, which `scripts/setup.sh --tests` installs) whose
//! certificate a private certificate authority signed, made here. Roster trusts that
//! authority only when `smtp_ca_file` names it; until then the mail waits.
#![cfg(feature = "ssr")]

mod common;

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{mail::Inbox, TestApp};
use roster::{
    domain::Email,
    server::{
        config::SmtpUrl,
        mail::{self, Letter, Mailer, Round},
    },
};

/// The Python with aiosmtpd, or `None` (and a note) outside the test command's setup; in CI,
/// where the setup always runs, its absence is a failure.
fn aiosmtpd_python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run scripts/setup.sh --tests",
        python.display()
    );
    eprintln!("skipped: no {} (scripts/setup.sh --tests installs it)", python.display());
    None
}

/// A certificate authority, and a certificate for 127.0.0.1 that it signed with its key:
/// (the authority's PEM, the server's PEM, the server key's PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "Roster test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let server = server.signed_by(&server_key, &ca, &ca_key).unwrap();
    (ca.pem(), server.pem(), server_key.serialize_pem())
}

/// An aiosmtpd process on a free loopback port, keeping what it receives in `maildir`;
/// stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(python: &Path, tls: &[&str], maildir: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(tls)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = Server { child, port };
        // Ready once it accepts connections; a bound on a broken setup, not a measure.
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("aiosmtpd did not start on port {port}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn mail_goes_over_starttls_and_smtps_once_the_servers_authority_is_trusted() {
    let Some(python) = aiosmtpd_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (ca, cert, key) = (file("ca.pem", &ca), file("server.pem", &cert), file("server.key", &key));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let maildir = dir.path().join("maildir");
    // The STARTTLS server refuses to take mail before TLS starts (aiosmtpd's default).
    let starttls = Server::start(&python, &["--tlscert", cert, "--tlskey", key], &maildir);
    let smtps = Server::start(&python, &["--smtpscert", cert, "--smtpskey", key], &maildir);

    let app = TestApp::new().await;
    let to = Email::parse("tls@example.com").unwrap();
    let urls = [
        format!("smtp://127.0.0.1:{}?tls=required", starttls.port),
        format!("smtps://127.0.0.1:{}", smtps.port),
    ];
    for url in urls {
        let mut settings = app.settings.clone();
        settings.smtp_url = Some(SmtpUrl(url.clone()));
        settings.smtp_ca_file = None;
        let untrusting = Mailer::from_settings(&settings);
        mail::send_later(&app.db, &untrusting, &to, &Letter::Test).await.unwrap();
        let refused = mail::deliver_due(&app.db, &untrusting).await.unwrap();
        assert_eq!((refused.delivered, refused.retrying), (0, 1), "{url}: an unknown authority is refused");

        settings.smtp_ca_file = Some(ca.clone());
        mail::check_settings(&settings).unwrap();
        app.exec("UPDATE mail_queue SET next_attempt_at = 0").await;
        let round = mail::deliver_due(&app.db, &Mailer::from_settings(&settings)).await.unwrap();
        assert_eq!(round, Round { delivered: 1, ..Round::default() }, "{url}");
    }
    let inbox = Inbox::Maildir(maildir);
    let received = inbox.messages(&format!("roster-{}@", app.mail_tag), "tls@example.com");
    assert_eq!(received.len(), 2, "one through each server");
    assert!(received.iter().all(|m| m.subject == "Roster can send you mail"));
}

#[tokio::test]
async fn a_ca_file_needs_a_tls_smtp_url_and_a_readable_certificate() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = app.settings.clone();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, certificates().0).unwrap();
    settings.smtp_ca_file = Some(ca);
    settings.smtp_url = Some(SmtpUrl("smtp://127.0.0.1:25".into()));
    let plain = mail::check_settings(&settings).unwrap_err().to_string();
    assert!(plain.contains("needs an smtp_url with TLS"), "{plain}");
    settings.smtp_url = Some(SmtpUrl("smtps://127.0.0.1".into()));
    mail::check_settings(&settings).unwrap();
    settings.smtp_ca_file = Some(dir.path().join("missing.pem"));
    let missing = mail::check_settings(&settings).unwrap_err().to_string();
    assert!(missing.contains("smtp_ca_file") && missing.contains("missing.pem"), "{missing}");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    settings.smtp_ca_file = Some(not_pem);
    assert!(mail::check_settings(&settings).is_err());
    settings.smtp_url = None;
    assert!(mail::check_settings(&settings).unwrap_err().to_string().contains("smtp_url is not"));
}
