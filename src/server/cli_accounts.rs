//! The `roster user` commands, and `roster role list|create|delete` (granting roles stays
//! in `cli`).

use super::{
    cli::{exit, read_password, Failure, RoleCommand, TokenCommand, UserCommand},
    config::Settings,
    db::{Db, Open},
};
use crate::{
    domain::{DisplayName, Email, Password, UserId},
    users::ssr::AdminGrant,
    with_db,
};

/// How many accounts `user list` shows at a time.
const PAGE: i64 = 50;

/// The database the settings name, migrated; never created (only `serve` and `migrate` do).
async fn open(settings: &Settings) -> Result<Db, Failure> {
    let db = Db::open(&settings.database_url, 1, Open::from_settings(settings, false)).await?;
    db.migrate().await?;
    Ok(db)
}

fn not_found(message: String) -> Failure {
    Failure { message, code: exit::NOT_FOUND }
}

/// The account with `email`, or exit code 4 saying there is none.
async fn account(db: &Db, email: &Email) -> Result<UserId, Failure> {
    crate::users::ssr::id_by_email(db, email)
        .await?
        .ok_or_else(|| not_found(format!("no account uses {email}")))
}

pub async fn user(command: UserCommand, settings: &Settings) -> Result<(), Failure> {
    // What must be read or checked before the database is opened, first.
    // A mistyped email or name is said before the password is asked for.
    let password = match &command {
        UserCommand::Create { email, name, .. } => {
            Email::parse(email)?;
            DisplayName::parse(name)?;
            Some(Password::parse(&read_password()?)?)
        }
        UserCommand::ResetPassword { email, password: true } => {
            Email::parse(email)?;
            Some(Password::parse(&read_password()?)?)
        }
        _ => None,
    };
    if let UserCommand::Delete { yes: false, .. } = command {
        return Err(Failure { message: "deleting an account needs --yes".into(), code: exit::INVALID });
    }
    let db = open(settings).await?;
    let outcome = match command {
        UserCommand::Create { email, name, admin } => create(&db, &email, &name, admin, password).await,
        UserCommand::ResetPassword { email, .. } => reset_password(&db, settings, &email, password).await,
        UserCommand::List { search, after } => list(&db, search.as_deref(), after).await,
        UserCommand::Disable { email } => set_active(&db, &email, false).await,
        UserCommand::Enable { email } => set_active(&db, &email, true).await,
        UserCommand::Delete { email, .. } => delete(&db, &email).await,
    };
    db.close().await;
    outcome
}

async fn create(
    db: &Db,
    email: &str,
    name: &str,
    admin: bool,
    password: Option<Password>,
) -> Result<(), Failure> {
    let (email, name) = (Email::parse(email)?, DisplayName::parse(name)?);
    let Some(password) = password else { return Ok(()) };
    let hash = crate::auth::ssr::hash_password(password).await?;
    let grant = if admin { AdminGrant::Always } else { AdminGrant::Never };
    let id = crate::users::ssr::create(db, &email, &name, &hash, grant).await?;
    let role = if admin { " with the admin role" } else { "" };
    println!("Created user {id} <{email}>{role}.");
    Ok(())
}

/// Prints a one-time reset link, or sets `password` now when given.
async fn reset_password(
    db: &Db,
    settings: &Settings,
    email: &str,
    password: Option<Password>,
) -> Result<(), Failure> {
    use crate::recovery::ssr;
    let email = Email::parse(email)?;
    account(db, &email).await?;
    match password {
        Some(password) => {
            let hash = crate::auth::ssr::hash_password(password).await?;
            ssr::set_password_by_operator(db, &email, &hash).await?;
            println!("Set the password of <{email}>; every session of the account ended.");
        }
        None => {
            let link = ssr::make_reset_link(db, &settings.public_url(), &email).await?;
            println!("A one-time link to set the password of <{email}>, good for an hour:\n{link}");
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Listed {
    id: i64,
    email: String,
    display_name: String,
    admin: bool,
    deactivated: bool,
}

/// A page of accounts after the id `after`, whose email or lower-cased name, or any later
/// word of either (`lists::words`), starts with `search`.
async fn list(db: &Db, search: Option<&str>, after: i64) -> Result<(), Failure> {
    // A prefix, with LIKE's own characters taken literally.
    let prefix = search.unwrap_or_default().trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%");
    let prefix = format!("{}%", prefix.replace('_', "\\_"));
    let rows: Vec<Listed> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.email, u.display_name, u.deactivated_at IS NOT NULL AS deactivated, \
             EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
                     WHERE ur.user_id = u.id AND r.name = 'admin') AS admin \
             FROM users u WHERE u.id > $1 \
             AND (u.email LIKE $2 ESCAPE '\\' OR u.name_key LIKE $2 ESCAPE '\\' \
                  OR EXISTS (SELECT 1 FROM search_words w WHERE w.user_id = u.id \
                             AND w.word LIKE $2 ESCAPE '\\')) \
             ORDER BY u.id LIMIT $3",
        )
        .bind(after)
        .bind(&prefix)
        .bind(PAGE)
        .fetch_all(pool)
        .await
    })
    .map_err(crate::error::AppError::from)?;
    if rows.is_empty() {
        println!("No accounts{}.", if after > 0 { " after that one" } else { "" });
    }
    for row in &rows {
        let mut notes = Vec::new();
        if row.admin {
            notes.push("admin");
        }
        if row.deactivated {
            notes.push("deactivated");
        }
        let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join(", ")) };
        println!("{:>8}  {}  {}{notes}", row.id, row.email, row.display_name);
    }
    if rows.len() as i64 == PAGE {
        let last = rows.last().map_or(after, |r| r.id);
        println!(
            "More: roster user list --after {last}{}",
            search.map(|q| format!(" --search {q:?}")).unwrap_or_default()
        );
    }
    Ok(())
}

async fn set_active(db: &Db, email: &str, active: bool) -> Result<(), Failure> {
    let email = Email::parse(email)?;
    let user = account(db, &email).await?;
    crate::lifecycle::ssr::set_active(db, user, active, None).await?;
    let done = if active { "Reactivated" } else { "Deactivated" };
    println!("{done} <{email}>.");
    Ok(())
}

async fn delete(db: &Db, email: &str) -> Result<(), Failure> {
    let email = Email::parse(email)?;
    let user = account(db, &email).await?;
    crate::lifecycle::ssr::delete(db, user, None).await?;
    println!("Deleted <{email}>; the history keeps naming it as a deleted account.");
    Ok(())
}

pub async fn role(command: RoleCommand, settings: &Settings) -> Result<(), Failure> {
    let db = open(settings).await?;
    let outcome = match command {
        RoleCommand::List => list_roles(&db).await,
        RoleCommand::Create { name, description } => {
            let (name, description) = crate::roles::ssr::parse(&name, &description)?;
            let id = crate::roles::ssr::create(&db, &name, &description, None).await?;
            println!("Created role {id} {name:?}.");
            Ok(())
        }
        RoleCommand::Delete { name } => match crate::roles::ssr::by_name(&db, &name).await? {
            Some(id) => {
                crate::roles::ssr::delete(&db, id, None).await?;
                println!("Deleted role {name:?}.");
                Ok(())
            }
            None => Err(not_found(format!("no role is named {name:?}"))),
        },
        RoleCommand::Assign { email, role } => grant(&db, &email, &role, true).await,
        RoleCommand::Unassign { email, role } => grant(&db, &email, &role, false).await,
    };
    db.close().await;
    outcome
}

async fn grant(db: &Db, email: &str, role: &str, assign: bool) -> Result<(), Failure> {
    let email = Email::parse(email)?;
    super::cli::change_role(db, &email, role, assign).await?;
    let verb = if assign { "Granted" } else { "Revoked" };
    println!("{verb} role {role} {} <{email}>.", if assign { "to" } else { "from" });
    Ok(())
}

async fn list_roles(db: &Db) -> Result<(), Failure> {
    for role in crate::roles::ssr::list(db).await? {
        println!("{:>6}  {}  ({} holding)  {}", role.id, role.name, role.holder_count, role.description);
    }
    Ok(())
}

pub async fn token(command: TokenCommand, settings: &Settings) -> Result<(), Failure> {
    use crate::api_tokens::{ssr, Scopes, TokenKind};
    let db = open(settings).await?;
    match command {
        TokenCommand::Create { name, scopes, days } => {
            let name = ssr::checked_name(&name)?;
            let scopes = Scopes::parse(&scopes)?.for_kind(TokenKind::Service)?;
            let secret = ssr::create(&db, None, None, &name, scopes, days.map(i64::from)).await?;
            eprintln!("Made the service token \"{name}\" ({}). Its secret, shown only now:", scopes.names());
            println!("{secret}");
        }
        TokenCommand::List => {
            let tokens = ssr::list(&db, None).await?;
            if tokens.is_empty() {
                println!("No service tokens.");
            }
            for token in tokens {
                let expires = match (token.expired, token.expires_at) {
                    (true, _) => "expired".to_owned(),
                    (false, Some(at)) => format!("expires {}", at.0.format("%Y-%m-%d")),
                    (false, None) => "never expires".to_owned(),
                };
                let used = token.last_used_at.map_or("never used".to_owned(), |at| {
                    format!("last used {}", at.0.format("%Y-%m-%d %H:%M"))
                });
                println!("{}\t{}\t{expires}\t{used}", token.name, token.scopes.names());
            }
        }
        TokenCommand::Revoke { name } => {
            if !ssr::revoke_service(&db, &name).await? {
                return Err(not_found(format!("no service token is named \"{name}\"")));
            }
            println!("Revoked the service token \"{name}\".");
        }
    }
    Ok(())
}
