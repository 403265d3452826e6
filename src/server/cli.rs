//! The `roster` command line: serve, migrate, and manage users.

use std::{
    io::{BufRead, IsTerminal},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand};

use super::{
    config::Settings,
    db::{Db, Open},
};
use crate::{domain::Email, error::AppError};

/// Roster: who belongs to what. With no command, serves the web app.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about)]
pub struct Cli {
    /// Settings file; defaults to ./Leptos.toml when present. ROSTER_* variables override it.
    #[arg(long, global = true, env = "ROSTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default). Migrates the database first.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Grant or revoke roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Make, list and revoke service tokens: the organisation's, for scripts and identity
    /// providers (people make their own on their account page).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the mail settings, and see mail that could not be delivered.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Fill an empty database with a realistic dataset: believable people, profiles whose
    /// sizes follow a power law, and a history of every link. Shows its progress.
    Seed(super::seed::SeedArgs),
    /// Copy a live SQLite database to FILE, consistently, while the server keeps serving.
    /// The copy is checked before it is kept. (For PostgreSQL, use pg_dump: see the README.)
    Backup {
        /// Where to write the copy. It must not exist yet.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// List the roles, with how many hold each.
    List,
    /// Create a role.
    Create {
        /// Its name, such as mentor.
        #[arg(long)]
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Delete a role, taking it from everyone who holds it (recorded in the history). The
    /// admin role can't be deleted.
    Delete {
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Grant a role to the account with an email.
    Assign {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// Name of the role, such as admin.
        #[arg(long)]
        role: String,
    },
    /// Revoke a role. The last admin can't lose the admin role.
    Unassign {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// Name of the role.
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a service token and print its secret, the only time it is shown.
    Create {
        /// What uses it, such as "Okta".
        #[arg(long)]
        name: String,
        /// What it may do: scim (an identity provider), or read and admin (read everything).
        #[arg(long = "scope", required = true, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Days it works for; without it, until revoked.
        #[arg(long)]
        days: Option<u32>,
    },
    /// List the service tokens.
    List,
    /// Revoke a service token: it stops working at once.
    Revoke {
        /// Its name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one message now, straight through the configured SMTP server (or into the
    /// outbox), and say what happened.
    Test {
        /// Where to send it.
        #[arg(long)]
        to: String,
    },
    /// How much mail waits to be sent, and the latest that could not be delivered.
    Queue,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Asks for the password without echoing it; when standard input is
    /// not a terminal, reads the password from its first line instead.
    Create {
        /// Email address to sign in with.
        #[arg(long)]
        email: String,
        /// Name shown to other people.
        #[arg(long)]
        name: String,
        /// Also grant the admin role.
        #[arg(long)]
        admin: bool,
    },
    /// List accounts, 50 to a page, oldest first: id, email, name, and whether each is an
    /// admin or deactivated.
    List {
        /// Only accounts whose email or name starts with this.
        #[arg(long)]
        search: Option<String>,
        /// Show the page after this account id (the last line of a page says it).
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Deactivate an account: it can't sign in, and its sessions and links end at once.
    Disable {
        /// Email of the account.
        #[arg(long)]
        email: String,
    },
    /// Reactivate a deactivated account.
    Enable {
        /// Email of the account.
        #[arg(long)]
        email: String,
    },
    /// Delete an account for good. Refused while it is the last manager of a profile, or
    /// the last administrator.
    Delete {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// Confirm the deletion (required).
        #[arg(long)]
        yes: bool,
    },
    /// Reset an account's password: print a one-time link, good for an hour, to hand to its
    /// owner (no mail is sent); or, with --password, set a new password now, read as `create`
    /// reads it. Setting it ends every session of the account.
    ResetPassword {
        /// Email of the account.
        #[arg(long)]
        email: String,
        /// Set the password now instead of printing a link.
        #[arg(long)]
        password: bool,
    },
}

/// Exit codes, as the README documents them.
pub mod exit {
    pub const FAILURE: u8 = 1;
    /// Bad usage or invalid input (clap also exits 2 for usage errors).
    pub const INVALID: u8 = 2;
    /// The change clashes with existing data, such as a taken email.
    pub const CONFLICT: u8 = 3;
    /// No such account or role.
    pub const NOT_FOUND: u8 = 4;
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("roster: {err:#}");
            return ExitCode::from(exit::INVALID);
        }
    };
    // Seed and backup run statements that are slow by design (building indexes over
    // millions of rows, copying the database): sqlx's slow-statement warnings would only be
    // noise beside their own progress.
    let bulk_job = matches!(cli.command, Some(Command::Seed(_) | Command::Backup { .. }));
    let filter = if bulk_job { format!("{},sqlx::query=error", settings.log) } else { settings.log.clone() };
    init_tracing(&filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("roster: cannot start the async runtime: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { message, code }) => {
            eprintln!("roster: {message}");
            ExitCode::from(code)
        }
    }
}

/// An error worth a specific exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure { message: format!("{err:#}"), code: exit::FAILURE }
    }
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Self {
        let code = match err {
            AppError::Invalid { .. } | AppError::BadRequest(_) => exit::INVALID,
            AppError::Conflict(_) => exit::CONFLICT,
            AppError::NotFound => exit::NOT_FOUND,
            _ => exit::FAILURE,
        };
        let message = match &err {
            AppError::Invalid { field, message } => format!("{field}: {message}"),
            other => other.to_string(),
        };
        Failure { message, code }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Failure> {
    match command {
        Command::Serve => Ok(super::serve(settings).await?),
        Command::Migrate => {
            let db = Db::open(&settings.database_url, 1, Open::from_settings(&settings, true)).await?;
            let ran = db.migrate().await?;
            println!("{ran} migration(s) applied; the database is up to date.");
            db.close().await;
            Ok(())
        }
        Command::User(command) => super::cli_accounts::user(command, &settings).await,
        Command::Seed(args) => {
            let db = Db::open(&settings.database_url, 1, Open::from_settings(&settings, false)).await?;
            db.migrate().await?;
            let outcome = super::seed::seed(&db, &args).await;
            db.close().await;
            let report = outcome?;
            println!("{report}");
            Ok(())
        }
        Command::Backup { file } => {
            let db = Db::open(&settings.database_url, 1, Open::from_settings(&settings, false)).await?;
            let outcome = super::backup::backup(&db, &file).await;
            db.close().await;
            let report = outcome?;
            println!("{report}");
            Ok(())
        }
        Command::Mail(command) => mail(command, &settings).await,
        Command::Role(command) => super::cli_accounts::role(command, &settings).await,
        Command::Token(command) => super::cli_accounts::token(command, &settings).await,
    }
}

async fn mail(command: MailCommand, settings: &Settings) -> Result<(), Failure> {
    use super::mail::{self, Delivered, Letter, Mailer};
    let mailer = Mailer::from_settings(settings);
    match command {
        MailCommand::Test { to } => {
            let to = Email::parse(&to)?;
            match mailer.deliver(to.as_str(), &mailer.render(&Letter::Test)).await {
                Ok(Delivered::Smtp) => println!("Sent a test message to {to} through the SMTP server."),
                Ok(Delivered::File(path)) => {
                    println!("No SMTP server is set: wrote the test message to {}.", path.display())
                }
                Err(why) => {
                    return Err(Failure { message: format!("not sent: {}", why.reason), code: exit::FAILURE })
                }
            }
            Ok(())
        }
        MailCommand::Queue => {
            let db = Db::open(&settings.database_url, 1, Open::from_settings(settings, false)).await?;
            db.migrate().await?;
            let waiting = mail::waiting(&db).await;
            let failed = mail::failures(&db, 20).await;
            db.close().await;
            let waiting = match waiting? {
                n if n >= mail::WAITING_CAP => format!("{n} or more"),
                n => n.to_string(),
            };
            println!("{waiting} message(s) waiting for {}.", mailer.describe());
            for mail in failed? {
                let when = chrono::DateTime::from_timestamp(mail.failed_at, 0).unwrap_or_default();
                println!(
                    "failed {} to {} ({:?}) after {} attempt(s): {}",
                    when.format("%Y-%m-%d %H:%M UTC"),
                    mail.recipient,
                    mail.subject,
                    mail.attempts,
                    mail.last_error
                );
            }
            Ok(())
        }
    }
}

pub(super) async fn change_role(db: &Db, email: &Email, role: &str, assign: bool) -> Result<(), Failure> {
    let not_found = |what: String| Failure { message: what, code: exit::NOT_FOUND };
    let role_id = crate::roles::ssr::by_name(db, role)
        .await?
        .ok_or_else(|| not_found(format!("no role is named {role:?}")))?;
    if assign {
        crate::roles::ssr::assign(db, role_id, email, None).await.map_err(|err| match err {
            AppError::Invalid { .. } => not_found(format!("no account uses {email}")),
            other => other.into(),
        })
    } else {
        let user = crate::users::ssr::id_by_email(db, email)
            .await?
            .ok_or_else(|| not_found(format!("no account uses {email}")))?;
        crate::roles::ssr::unassign(db, role_id, user, None).await.map_err(|err| match err {
            AppError::NotFound => not_found(format!("{email} does not hold the role {role}")),
            other => other.into(),
        })
    }
}

/// Asks twice on a terminal, without echo; otherwise takes the first line of standard input.
pub(super) fn read_password() -> Result<String, Failure> {
    let invalid = |message: String| Failure { message, code: exit::INVALID };
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")
            .map_err(|e| invalid(format!("cannot read the password: {e}")))?;
        let again = rpassword::prompt_password("Password again: ")
            .map_err(|e| invalid(format!("cannot read the password: {e}")))?;
        if first != again {
            return Err(invalid("the passwords do not match".into()));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| invalid(format!("cannot read the password from standard input: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn init_tracing(filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to standard error, leaving standard output to the commands' results.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
