//! Runtime settings: defaults, then `Leptos.toml`, then `ROSTER_*` environment variables.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{bail, Context};
use serde::Deserialize;

/// Everything an operator can set. The README lists each key with its variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address and port to listen on. `ROSTER_LISTEN`.
    pub listen: SocketAddr,
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`. `ROSTER_DATABASE_URL`. A
    /// relative SQLite path is taken from the settings file's folder when the file names it,
    /// else from the working folder; unset, it is `roster.db` in the user's data folder
    /// ([`default_database_url`]). Either way the server works on one absolute path, which it
    /// logs at start.
    pub database_url: String,
    /// How SQLite commits: `full` (the default) makes each acknowledged commit durable across
    /// power loss; `normal` skips a sync per commit and may lose the last commits (never the
    /// database's integrity). `ROSTER_SQLITE_SYNCHRONOUS`.
    pub sqlite_synchronous: Durability,
    /// Most connections the pool opens. `ROSTER_DATABASE_MAX_CONNECTIONS`. Unset, see
    /// [`Settings::max_connections`].
    pub database_max_connections: Option<u32>,
    /// A session ends after this many minutes without a request. `ROSTER_SESSION_IDLE_MINUTES`.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, however active. `ROSTER_SESSION_ABSOLUTE_HOURS`.
    pub session_absolute_hours: u32,
    /// Granting or revoking admin and deleting an account ask for the password again once
    /// it was last given more than this many minutes ago; `0` asks every time.
    /// `ROSTER_RECENT_PASSWORD_MINUTES`.
    pub recent_password_minutes: u32,
    /// Mark cookies `Secure`; turn on when served over HTTPS. `ROSTER_SECURE_COOKIES`.
    pub secure_cookies: bool,
    /// Folder with the built site (`pkg/`, assets). Found beside the binary when unset.
    /// `ROSTER_SITE_ROOT`.
    pub site_root: Option<PathBuf>,
    /// Log filter in `tracing` syntax, such as `info` or `roster=debug,info`. `ROSTER_LOG`.
    pub log: String,
    /// Addresses of reverse proxies in front of Roster. A request from one of them is
    /// attributed to the client its `X-Forwarded-For` names (for the per-address sign-in
    /// limit); from anyone else, that header is ignored. Empty by default: no proxy is
    /// trusted. `ROSTER_TRUSTED_PROXIES`, comma-separated.
    pub trusted_proxies: Vec<IpAddr>,
    /// Whom a signed-in person who is not an admin may find by name or email. `shared` (the
    /// default): only people they share a profile with. `everyone`: every account, for an
    /// organisation where all may find all. `ROSTER_PEOPLE_DIRECTORY`.
    pub people_directory: Directory,
    /// How many accounts may be registered from one client address in 15 minutes (a school's
    /// or an office's shared address may want more). `ROSTER_SIGNUPS_PER_ADDRESS`.
    pub signups_per_address: u32,
    /// How many bulk requests (a bulk change started or applied) one person may make in a
    /// minute. `ROSTER_BULK_PER_MINUTE`.
    pub bulk_per_minute: u32,
    /// How many requests one access token may make to the API and SCIM in a minute, in
    /// bursts of up to as many; past it, 429 with `Retry-After`. Counted by each server
    /// process. `ROSTER_API_REQUESTS_PER_MINUTE`.
    pub api_requests_per_minute: u32,
    /// How many days an invitation's link works (1 to 90). `ROSTER_INVITATION_DAYS`.
    pub invitation_days: u32,
    /// A request that takes longer than this many seconds is cut off with 503 (a slow body
    /// included), and on PostgreSQL no statement runs longer. `ROSTER_REQUEST_TIMEOUT_SECS`.
    pub request_timeout_secs: u32,
    /// A connection whose request headers take longer than this many seconds to arrive is
    /// closed (slowloris). `ROSTER_HEADER_TIMEOUT_SECS`.
    pub header_timeout_secs: u32,
    /// The longest a request waits for a database connection, or for SQLite's write lock,
    /// before it is answered with 503 and Retry-After. `ROSTER_DATABASE_WAIT_SECS`.
    pub database_wait_secs: u32,
    /// On SIGTERM or Ctrl-C, requests in flight get this many seconds to finish before the
    /// server exits anyway. `ROSTER_SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace_secs: u32,
    /// The address people reach Roster at, such as `https://roster.example.org`: every link in
    /// a mail starts with it. Unset, `http://` and the `listen` address. `ROSTER_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// The SMTP server mail goes out through, as `smtps://user:pass@host` (TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25` (plain, for a
    /// relay on the same machine). Unset, mail is written to [`Settings::mail_outbox`]
    /// instead. `ROSTER_SMTP_URL`.
    pub smtp_url: Option<SmtpUrl>,
    /// A PEM file of the certificate authority (or the self-signed certificate) to trust for
    /// a TLS `smtp_url`, besides the public ones: a mail server inside an organisation.
    /// `ROSTER_SMTP_CA_FILE`.
    pub smtp_ca_file: Option<PathBuf>,
    /// Who mail comes from, as `Name <address>`. `ROSTER_MAIL_FROM`.
    pub mail_from: String,
    /// Where mail is written as `.eml` files while no SMTP server is set: unset, `outbox/`
    /// beside a SQLite database, else in the user's data folder. `ROSTER_MAIL_OUTBOX`.
    pub mail_outbox: Option<PathBuf>,
    /// Whether a new account must confirm its email by a mailed link: `required` (the
    /// default: the account exists only once confirmed), `optional` (it works at once, and
    /// the link marks it confirmed) or `off`. `ROSTER_EMAIL_CONFIRMATION`.
    pub email_confirmation: Confirmation,
    /// Who may register: `open` (anyone), `domains` (addresses at `registration_domains`)
    /// or `closed` (accounts come from admins and the CLI). `ROSTER_REGISTRATION`.
    pub registration: Registration,
    /// The email domains that may register when `registration = "domains"`, such as
    /// `["example.org"]`. `ROSTER_REGISTRATION_DOMAINS`, comma-separated.
    pub registration_domains: Vec<String>,
}

/// See [`Settings::email_confirmation`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confirmation {
    #[default]
    Required,
    Optional,
    Off,
}

impl std::str::FromStr for Confirmation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "required" => Ok(Confirmation::Required),
            "optional" => Ok(Confirmation::Optional),
            "off" => Ok(Confirmation::Off),
            _ => Err("expected \"required\", \"optional\" or \"off\"".into()),
        }
    }
}

/// See [`Settings::registration`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    #[default]
    Open,
    Domains,
    Closed,
}

impl std::str::FromStr for Registration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Registration::Open),
            "domains" => Ok(Registration::Domains),
            "closed" => Ok(Registration::Closed),
            _ => Err("expected \"open\", \"domains\" or \"closed\"".into()),
        }
    }
}

/// An SMTP server's URL, which may hold a password: its `Debug` shows neither credential.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match self.0.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://…@{host}"),
                None => self.0.clone(),
            },
            None => "…".to_owned(),
        };
        f.write_str(&shown)
    }
}

/// How SQLite makes commits durable: see [`Settings::sqlite_synchronous`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    #[default]
    Full,
    Normal,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            _ => Err("expected \"full\" or \"normal\"".into()),
        }
    }
}

/// The database when none is set: `roster.db` in the user's data folder (`$XDG_DATA_HOME`,
/// else `~/.local/share`, then `roster/`), the same from whichever folder Roster starts.
pub fn default_database_url() -> String {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    format!("sqlite://{}", data.join("roster").join("roster.db").display())
}

/// `url` with a relative SQLite path made absolute against `base`; anything else as it is.
fn absolute_sqlite(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return url.to_owned();
    };
    let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
    if path.is_empty() || path == ":memory:" || Path::new(path).is_absolute() {
        return url.to_owned();
    }
    let absolute = base.join(path);
    match query {
        Some(query) => format!("sqlite://{}?{query}", absolute.display()),
        None => format!("sqlite://{}", absolute.display()),
    }
}

/// Who is in a person's directory: see [`Settings::people_directory`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Directory {
    #[default]
    Shared,
    Everyone,
}

impl std::str::FromStr for Directory {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "shared" => Ok(Directory::Shared),
            "everyone" => Ok(Directory::Everyone),
            _ => Err("expected \"shared\" or \"everyone\"".into()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: default_database_url(),
            sqlite_synchronous: Durability::Full,
            database_max_connections: None,
            session_idle_minutes: 60 * 24 * 7,
            session_absolute_hours: 24 * 30,
            recent_password_minutes: 10,
            secure_cookies: false,
            site_root: None,
            log: "info".into(),
            trusted_proxies: Vec::new(),
            people_directory: Directory::Shared,
            signups_per_address: 20,
            bulk_per_minute: 60,
            api_requests_per_minute: 600,
            invitation_days: 14,
            request_timeout_secs: 30,
            header_timeout_secs: 10,
            database_wait_secs: 5,
            shutdown_grace_secs: 30,
            public_url: None,
            smtp_url: None,
            smtp_ca_file: None,
            mail_from: "Roster <roster@localhost>".into(),
            mail_outbox: None,
            email_confirmation: Confirmation::Required,
            registration: Registration::Open,
            registration_domains: Vec::new(),
        }
    }
}

/// A variable's value, parsed; the error names the variable.
fn parsed<T: std::str::FromStr>(key: &str, value: String) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e| anyhow::anyhow!("{key}={value:?}: {e}"))
}

/// Where settings come from when `--config` is not given.
pub const DEFAULT_FILE: &str = "Leptos.toml";

impl Settings {
    /// Reads `file` if it exists (it must, when given explicitly), then applies the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match file {
            Some(path) => (path.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        let mut settings = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mut settings: Settings = toml::from_str(&text)
                    .with_context(|| format!("{} is not valid settings", path.display()))?;
                // The file's own paths are read from its folder, wherever Roster starts.
                let folder = std::path::absolute(&path)?.parent().map(Path::to_path_buf).unwrap_or_default();
                settings.database_url = absolute_sqlite(&settings.database_url, &folder);
                settings.mail_outbox = settings.mail_outbox.map(|dir| folder.join(dir));
                settings
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => Settings::default(),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        settings.apply_env(|key| std::env::var(key).ok())?;
        settings.database_url = absolute_sqlite(&settings.database_url, &std::env::current_dir()?);
        settings.validate()?;
        Ok(settings)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("ROSTER_LISTEN") {
            self.listen = parsed("ROSTER_LISTEN", v)?;
        }
        if let Some(v) = var("ROSTER_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("ROSTER_DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = Some(parsed("ROSTER_DATABASE_MAX_CONNECTIONS", v)?);
        }
        if let Some(v) = var("ROSTER_SESSION_IDLE_MINUTES") {
            self.session_idle_minutes = parsed("ROSTER_SESSION_IDLE_MINUTES", v)?;
        }
        if let Some(v) = var("ROSTER_SESSION_ABSOLUTE_HOURS") {
            self.session_absolute_hours = parsed("ROSTER_SESSION_ABSOLUTE_HOURS", v)?;
        }
        if let Some(v) = var("ROSTER_RECENT_PASSWORD_MINUTES") {
            self.recent_password_minutes = parsed("ROSTER_RECENT_PASSWORD_MINUTES", v)?;
        }
        if let Some(v) = var("ROSTER_SECURE_COOKIES") {
            self.secure_cookies = parsed("ROSTER_SECURE_COOKIES", v)?;
        }
        // cargo-leptos tells the server where it put the site through LEPTOS_SITE_ROOT.
        if let Some(v) = var("ROSTER_SITE_ROOT").or_else(|| var("LEPTOS_SITE_ROOT")) {
            self.site_root = Some(PathBuf::from(v));
        }
        if let Some(v) = var("ROSTER_LOG") {
            self.log = v;
        }
        if let Some(v) = var("ROSTER_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| parsed("ROSTER_TRUSTED_PROXIES", a.to_owned()))
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(v) = var("ROSTER_SQLITE_SYNCHRONOUS") {
            self.sqlite_synchronous = parsed("ROSTER_SQLITE_SYNCHRONOUS", v)?;
        }
        for (key, field) in [
            ("ROSTER_REQUEST_TIMEOUT_SECS", &mut self.request_timeout_secs),
            ("ROSTER_HEADER_TIMEOUT_SECS", &mut self.header_timeout_secs),
            ("ROSTER_DATABASE_WAIT_SECS", &mut self.database_wait_secs),
            ("ROSTER_SHUTDOWN_GRACE_SECS", &mut self.shutdown_grace_secs),
            ("ROSTER_BULK_PER_MINUTE", &mut self.bulk_per_minute),
            ("ROSTER_API_REQUESTS_PER_MINUTE", &mut self.api_requests_per_minute),
            ("ROSTER_INVITATION_DAYS", &mut self.invitation_days),
        ] {
            if let Some(v) = var(key) {
                *field = parsed(key, v)?;
            }
        }
        if let Some(v) = var("ROSTER_SIGNUPS_PER_ADDRESS") {
            self.signups_per_address = parsed("ROSTER_SIGNUPS_PER_ADDRESS", v)?;
        }
        if let Some(v) = var("ROSTER_PEOPLE_DIRECTORY") {
            self.people_directory = parsed("ROSTER_PEOPLE_DIRECTORY", v)?;
        }
        self.apply_mail_env(var)
    }

    fn apply_mail_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("ROSTER_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = var("ROSTER_SMTP_URL") {
            self.smtp_url = Some(SmtpUrl(v)).filter(|url| !url.0.trim().is_empty());
        }
        if let Some(v) = var("ROSTER_SMTP_CA_FILE") {
            self.smtp_ca_file = Some(PathBuf::from(v)).filter(|path| !path.as_os_str().is_empty());
        }
        if let Some(v) = var("ROSTER_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = var("ROSTER_MAIL_OUTBOX") {
            self.mail_outbox = Some(PathBuf::from(v));
        }
        if let Some(v) = var("ROSTER_EMAIL_CONFIRMATION") {
            self.email_confirmation = parsed("ROSTER_EMAIL_CONFIRMATION", v)?;
        }
        if let Some(v) = var("ROSTER_REGISTRATION") {
            self.registration = parsed("ROSTER_REGISTRATION", v)?;
        }
        if let Some(v) = var("ROSTER_REGISTRATION_DOMAINS") {
            self.registration_domains =
                v.split(',').map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()).collect();
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.database_max_connections == Some(0) {
            bail!("database_max_connections must be at least 1");
        }
        if self.signups_per_address == 0 || self.bulk_per_minute == 0 || self.api_requests_per_minute == 0 {
            bail!("signups_per_address, bulk_per_minute and api_requests_per_minute must be at least 1");
        }
        if !(1..=90).contains(&self.invitation_days) {
            bail!("invitation_days must be from 1 to 90");
        }
        let waits = [self.request_timeout_secs, self.header_timeout_secs, self.database_wait_secs];
        if waits.contains(&0) {
            bail!("request_timeout_secs, header_timeout_secs and database_wait_secs must be at least 1");
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            bail!("session lifetimes must be at least 1");
        }
        if self.recent_password_minutes > 24 * 60 {
            bail!("recent_password_minutes must be at most 1440 (a day)");
        }
        if let Some(url) = &self.public_url {
            let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|rest| rest.trim_end_matches('/').is_empty() || rest.contains(['?', '#'])) {
                bail!(
                    "public_url must be an http:// or https:// address with no query, \
                     such as https://roster.example.org"
                );
            }
        }
        super::mail::check_settings(self)?;
        if self.registration == Registration::Domains && self.registration_domains.is_empty() {
            bail!("registration = \"domains\" needs registration_domains, such as [\"example.org\"]");
        }
        if let Some(bad) = self
            .registration_domains
            .iter()
            .find(|d| d.is_empty() || d.contains(['@', ' ']) || !d.contains('.'))
        {
            bail!("registration_domains: {bad:?} is not a domain such as example.org");
        }
        Ok(())
    }

    /// Where people reach Roster, with no trailing slash: [`Settings::public_url`].
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Where mail is written while no SMTP server is set: [`Settings::mail_outbox`].
    pub fn resolved_mail_outbox(&self) -> PathBuf {
        if let Some(dir) = &self.mail_outbox {
            return dir.clone();
        }
        let file =
            self.database_url.strip_prefix("sqlite://").or_else(|| self.database_url.strip_prefix("sqlite:"));
        let file = file.map(|rest| rest.split_once('?').map_or(rest, |(path, _)| path));
        match file.filter(|path| !path.is_empty() && *path != ":memory:") {
            Some(path) => Path::new(path).parent().unwrap_or(Path::new(".")).join("outbox"),
            None => {
                let default = default_database_url();
                let data = Path::new(default.trim_start_matches("sqlite://"));
                data.parent().unwrap_or(Path::new(".")).join("outbox")
            }
        }
    }

    /// The pool's size: as set, or else two SQLite connections per core (4 to 16), and 8 for
    /// PostgreSQL. Each SQLite connection is a thread of this process with its own page cache
    /// and its own map of the file, and when the file is in memory its queries are CPU work
    /// here: past a few per core, more connections only take turns on the same cores. On 2
    /// cores at ten million links, 4 connections served the profile page with about a tenth
    /// less CPU a request than 8, in five of six paired runs. One per core did about as well
    /// as 4 there, but a file bigger than memory waits on the disk, and 2 could overlap fewer
    /// of those waits (BENCHMARKS.md).
    pub fn max_connections(&self) -> u32 {
        self.database_max_connections.unwrap_or_else(|| {
            if self.database_url.starts_with("sqlite:") {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
                (2 * cores).clamp(4, 16)
            } else {
                8
            }
        })
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.into())
    }

    pub fn session_idle_secs(&self) -> i64 {
        i64::from(self.session_idle_minutes) * 60
    }

    pub fn session_absolute_secs(&self) -> i64 {
        i64::from(self.session_absolute_hours) * 3600
    }

    /// The built site: the setting, else `site/` beside the binary's folder
    /// (`target/release/roster` finds `target/site`), else `target/site` here.
    pub fn resolved_site_root(&self) -> PathBuf {
        if let Some(root) = &self.site_root {
            return root.clone();
        }
        let beside_binary =
            std::env::current_exe().ok().and_then(|exe| exe.parent()?.parent().map(|dir| dir.join("site")));
        match beside_binary {
            Some(dir) if dir.join("pkg").is_dir() => dir,
            _ => PathBuf::from("target/site"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file() {
        let mut s: Settings = toml::from_str("listen = \"127.0.0.1:4000\"\nlog = \"debug\"").unwrap();
        s.apply_env(|k| (k == "ROSTER_LISTEN").then(|| "0.0.0.0:5000".to_string())).unwrap();
        assert_eq!(s.listen.port(), 5000);
        assert_eq!(s.log, "debug");
    }

    #[test]
    fn a_malformed_variable_names_itself() {
        let mut s = Settings::default();
        let err = s.apply_env(|k| (k == "ROSTER_SECURE_COOKIES").then(|| "maybe".to_string())).unwrap_err();
        assert!(err.to_string().contains("ROSTER_SECURE_COOKIES"), "{err}");
    }

    #[test]
    fn trusted_proxies_are_a_comma_separated_list_of_addresses() {
        let mut s = Settings::default();
        assert!(s.trusted_proxies.is_empty(), "no proxy is trusted by default");
        s.apply_env(|k| (k == "ROSTER_TRUSTED_PROXIES").then(|| "127.0.0.1, ::1".to_string())).unwrap();
        assert_eq!(s.trusted_proxies, vec![IpAddr::from([127, 0, 0, 1]), "::1".parse::<IpAddr>().unwrap()]);
        let err =
            s.apply_env(|k| (k == "ROSTER_TRUSTED_PROXIES").then(|| "10.0.0.0/8".to_string())).unwrap_err();
        assert!(err.to_string().contains("ROSTER_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn the_pool_has_two_sqlite_connections_per_core_unless_set() {
        let cores = std::thread::available_parallelism().unwrap().get() as u32;
        let mut s = Settings::default();
        assert_eq!(s.max_connections(), (2 * cores).clamp(4, 16));
        s.database_url = "postgres://roster@db/roster".into();
        assert_eq!(s.max_connections(), 8);
        s.apply_env(|k| (k == "ROSTER_DATABASE_MAX_CONNECTIONS").then(|| "3".to_string())).unwrap();
        assert_eq!(s.max_connections(), 3);
        let zero: Settings = toml::from_str("database_max_connections = 0").unwrap();
        assert!(zero.validate().is_err());
    }

    #[test]
    fn the_people_directory_is_shared_unless_opened() {
        assert_eq!(Settings::default().people_directory, Directory::Shared);
        let open: Settings = toml::from_str("people_directory = \"everyone\"").unwrap();
        assert_eq!(open.people_directory, Directory::Everyone);
        assert!(toml::from_str::<Settings>("people_directory = \"all\"").is_err());
        let mut s = Settings::default();
        s.apply_env(|k| (k == "ROSTER_PEOPLE_DIRECTORY").then(|| "everyone".to_string())).unwrap();
        assert_eq!(s.people_directory, Directory::Everyone);
        assert!(s.apply_env(|k| (k == "ROSTER_PEOPLE_DIRECTORY").then(|| "open".to_string())).is_err());
    }

    #[test]
    fn a_relative_sqlite_path_is_made_absolute_and_the_default_does_not_depend_on_the_folder() {
        let base = Path::new("/srv/roster");
        assert_eq!(absolute_sqlite("sqlite://data/roster.db", base), "sqlite:///srv/roster/data/roster.db");
        assert_eq!(absolute_sqlite("sqlite:x.db?mode=rwc", base), "sqlite:///srv/roster/x.db?mode=rwc");
        assert_eq!(absolute_sqlite("sqlite:///var/lib/r.db", base), "sqlite:///var/lib/r.db");
        assert_eq!(absolute_sqlite("sqlite::memory:", base), "sqlite::memory:");
        assert_eq!(absolute_sqlite("postgres://u@h/db", base), "postgres://u@h/db");
        let default = default_database_url();
        assert!(default.starts_with("sqlite:///") && default.ends_with("/roster/roster.db"), "{default}");
    }

    #[test]
    fn sqlite_commits_are_durable_unless_set_otherwise() {
        assert_eq!(Settings::default().sqlite_synchronous, Durability::Full);
        let mut s: Settings = toml::from_str("sqlite_synchronous = \"normal\"").unwrap();
        assert_eq!(s.sqlite_synchronous, Durability::Normal);
        s.apply_env(|k| (k == "ROSTER_SQLITE_SYNCHRONOUS").then(|| "full".to_string())).unwrap();
        assert_eq!(s.sqlite_synchronous, Durability::Full);
        assert!(toml::from_str::<Settings>("sqlite_synchronous = \"off\"").is_err());
    }

    #[test]
    fn timeouts_come_from_the_environment_and_none_may_be_zero() {
        let mut s = Settings::default();
        assert_eq!((s.request_timeout_secs, s.header_timeout_secs, s.database_wait_secs), (30, 10, 5));
        s.apply_env(|k| (k == "ROSTER_HEADER_TIMEOUT_SECS").then(|| "2".to_string())).unwrap();
        assert_eq!(s.header_timeout_secs, 2);
        s.apply_env(|k| (k == "ROSTER_REQUEST_TIMEOUT_SECS").then(|| "0".to_string())).unwrap();
        assert!(s.validate().is_err());
    }

    #[test]
    fn mail_settings_are_checked_at_start() {
        let s = Settings::default();
        assert_eq!(s.public_url(), "http://127.0.0.1:3000");
        let set: Settings = toml::from_str("public_url = \"https://roster.example.org/\"").unwrap();
        set.validate().unwrap();
        assert_eq!(set.public_url(), "https://roster.example.org");
        for bad in [
            "public_url = \"roster.example.org\"",
            "public_url = \"https://\"",
            "public_url = \"https://r.example/?a=1\"",
            "smtp_url = \"smtq://mail.example.org\"",
            "mail_from = \"not an address\"",
        ] {
            let s: Settings = toml::from_str(bad).unwrap();
            assert!(s.validate().is_err(), "{bad}");
        }
        let smtp: Settings =
            toml::from_str("smtp_url = \"smtp://u:p@mail.example.org:587?tls=required\"").unwrap();
        smtp.validate().unwrap();
    }

    #[test]
    fn the_outbox_is_beside_a_sqlite_database_unless_set() {
        let mut s = Settings {
            database_url: "sqlite:///srv/roster/roster.db?mode=rwc".into(),
            ..Settings::default()
        };
        assert_eq!(s.resolved_mail_outbox(), Path::new("/srv/roster/outbox"));
        s.apply_env(|k| (k == "ROSTER_MAIL_OUTBOX").then(|| "/var/mail/roster".to_string())).unwrap();
        assert_eq!(s.resolved_mail_outbox(), Path::new("/var/mail/roster"));
        let pg = Settings { database_url: "postgres://u@h/db".into(), ..Settings::default() };
        assert!(pg.resolved_mail_outbox().ends_with("roster/outbox"), "{:?}", pg.resolved_mail_outbox());
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<Settings>("lisen = \"127.0.0.1:1\"").is_err());
    }

    #[test]
    fn the_committed_file_parses() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml")).unwrap();
        let s: Settings = toml::from_str(&text).unwrap();
        s.validate().unwrap();
    }
}
