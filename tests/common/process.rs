//! The real `roster` binary as a separate process, spoken to over raw HTTP/1.1: for the tests
//! that kill it, stop it or load it, which an in-process router can't stand in for.
#![allow(dead_code)]

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The binary under test: `ROSTER_BIN` when set (the release build, for long runs), else the
/// one cargo built for these tests.
pub fn binary() -> String {
    std::env::var("ROSTER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_roster").to_owned())
}

/// A `roster` command on `url`, isolated from any settings file where it runs. Accounts
/// registered with it work at once: these tests are about the server, not confirmation.
pub fn roster(url: &str) -> Command {
    let mut command = Command::new(binary());
    command.env("ROSTER_DATABASE_URL", url).env_remove("ROSTER_CONFIG").current_dir(std::env::temp_dir());
    command.env("ROSTER_EMAIL_CONFIRMATION", "off");
    command
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `roster serve` on `port`, logging at `log` to the test's stderr, or nowhere when `off`.
pub fn serve(url: &str, port: u16, log: &str) -> Child {
    roster(url)
        .arg("serve")
        .env("ROSTER_LISTEN", format!("127.0.0.1:{port}"))
        .env("ROSTER_LOG", log)
        .stdout(Stdio::null())
        .stderr(if log == "off" { Stdio::null() } else { Stdio::inherit() })
        .spawn()
        .expect("start roster")
}

/// Waits until the server on `port` answers, for up to 15 s.
pub async fn wait_until_up(port: u16) {
    for _ in 0..300 {
        if http(port, "GET", "/", "", "").await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server on port {port} did not come up");
}

/// `roster user create` an admin with `password`, migrating the database first, as an
/// operator does on a new one (no command but `serve` and `migrate` creates a database).
pub fn create_admin(url: &str, email: &str, password: &str) {
    use std::io::Write;
    assert!(roster(url).arg("migrate").stdout(Stdio::null()).status().unwrap().success(), "roster migrate");
    let mut child = roster(url)
        .args(["user", "create", "--email", email, "--name", "Admin", "--admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run roster user create");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "roster user create");
}

pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The session cookie the answer set, as a `Cookie` header value.
    pub fn cookie(&self) -> Option<String> {
        let line = self.head.lines().find_map(|l| l.strip_prefix("set-cookie: "))?;
        Some(line.split(';').next()?.to_owned())
    }
}

/// One request over a fresh connection: a GET asks for a page, anything else posts a form to
/// a server function and asks for its JSON answer. None when the server is gone.
pub async fn http(port: u16, method: &str, path: &str, body: &str, cookie: &str) -> Option<Answer> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let accept = if method == "GET" { "text/html" } else { "application/json" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Answer { status, head: head.to_owned(), body: body.to_owned() })
}

/// A form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}
