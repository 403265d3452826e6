//! SCIM Users: people's accounts, as an identity provider sees and changes them.
//!
//! A person's `userName` is their email, the address they sign in with. A provider that names
//! people otherwise ("jdoe") keeps its name, and the email then comes from the person's
//! `emails` (the primary one, else the first). The provider sees every account, so that it
//! can match the people who were here before it by `userName`. What it states and Roster has
//! no column for (the parts of a name, its list of addresses) is kept as it was sent, and it
//! is served back as sent; `displayName` and `active` are Roster's own, and always current.
//! An account the provider has never written shows what Roster knows of it.

use axum::{
    body::Bytes,
    extract::{Path, Query},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

use super::{
    base,
    discovery::USER_SCHEMA,
    error::{ScimError, ScimType},
    filter::AttrPath,
    patch,
    resource::{self, boolean, field, ListQuery},
    sql::{unfilterable, Column, Custom},
};
use crate::{
    domain::{DisplayName, Email, Timestamp, UserId},
    error::AppError,
};

/// How long a welcome's set-password link works.
pub const WELCOME_DAYS: i64 = 7;

/// An account as SCIM reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Row {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub scim_user_name: Option<String>,
    pub external_id: Option<String>,
    pub scim_attributes: Option<String>,
    pub deactivated_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

pub const COLUMNS: &str = "u.id, u.email, u.display_name, u.scim_user_name, u.external_id, \
    u.scim_attributes, u.deactivated_at, u.created_at";

/// What the provider said of a person that Roster keeps only for it, and which of Roster's
/// own attributes it stated (users.scim_attributes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stated {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Map<String, Value>>,
    #[serde(default)]
    pub display_name: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<Value>>,
    #[serde(default)]
    pub active: bool,
}

/// A person as a create, a replace or a patch leaves them.
#[derive(Clone, Debug)]
pub struct Wanted {
    pub email: Email,
    /// The provider's name for them, when it isn't their email.
    pub scim_user_name: Option<String>,
    pub display_name: DisplayName,
    pub external_id: Option<String>,
    /// Whether the account is to be active; `None` leaves it as it is.
    pub active: Option<bool>,
    pub stated: Stated,
}

/// The person as SCIM shows them, and its ETag.
pub fn resource(row: &Row) -> (Value, String) {
    let stated: Option<Stated> = row.scim_attributes.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "id": row.id.to_string(),
        "userName": row.scim_user_name.clone().unwrap_or_else(|| row.email.clone()),
    });
    if let Some(external) = &row.external_id {
        user["externalId"] = json!(external);
    }
    let active = row.deactivated_at.is_none();
    match stated {
        None => {
            user["displayName"] = json!(row.display_name);
            user["active"] = json!(active);
            user["emails"] = json!([{"value": row.email, "primary": true}]);
        }
        Some(stated) => {
            if let Some(name) = stated.name {
                user["name"] = Value::Object(name);
            }
            if stated.display_name {
                user["displayName"] = json!(row.display_name);
            }
            if stated.active {
                user["active"] = json!(active);
            }
            if let Some(emails) = stated.emails {
                user["emails"] = Value::Array(current_emails(emails, &row.email));
            }
        }
    }
    let tag = resource::etag(&[&user.to_string()]);
    user["meta"] = json!({
        "resourceType": "User",
        "created": row.created_at,
        "location": format!("{}/Users/{}", base(), row.id),
        "version": tag,
    });
    (user, tag)
}

/// The addresses as sent, with the sign-in address as it is now: if it moved since (the
/// person changed it on their account page), the one it came from shows the new one.
fn current_emails(mut emails: Vec<Value>, email: &str) -> Vec<Value> {
    let value = |e: &Value| e["value"].as_str().unwrap_or_default().to_owned();
    if emails.iter().any(|e| value(e).eq_ignore_ascii_case(email)) || emails.is_empty() {
        return emails;
    }
    let at = emails.iter().position(|e| e["primary"] == json!(true)).unwrap_or(0);
    emails[at]["value"] = json!(email);
    emails
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// A string attribute, if given; anything but a string is refused.
fn text(doc: &Value, name: &str) -> Result<Option<String>, ScimError> {
    match field(doc, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(format!("{name} is a string."))),
    }
}

/// Reads a whole User (a create's or a replace's body, or a patched one).
pub fn wanted(doc: &Value) -> Result<Wanted, ScimError> {
    let user_name = text(doc, "userName")?.ok_or_else(|| invalid("A User needs its userName."))?;
    let emails = emails(doc)?;
    let name = name(doc)?;
    let display = text(doc, "displayName")?;
    let external_id = text(doc, "externalId")?;
    if external_id.as_ref().is_some_and(|e| e.chars().count() > 255) {
        return Err(invalid("externalId is at most 255 characters."));
    }
    let active = match field(doc, "active") {
        None | Some(Value::Null) => None,
        Some(value) => Some(boolean(value).ok_or_else(|| invalid("active is true or false."))?),
    };
    let (email, scim_user_name) = match Email::parse(&user_name) {
        Ok(email) => (email, None),
        Err(_) if user_name.contains('@') => {
            return Err(invalid("A userName with an \"@\" is an email address, and this one isn't valid."))
        }
        Err(_) if user_name.chars().count() > 254 => {
            return Err(invalid("userName is at most 254 characters."))
        }
        Err(_) => (sign_in_address(emails.as_deref().unwrap_or_default())?, Some(user_name.clone())),
    };
    let shown = display.clone().or_else(|| full_name(name.as_ref())).unwrap_or_else(|| user_name.clone());
    let display_name =
        DisplayName::parse(&shown).map_err(|_| invalid("displayName is 1 to 100 characters."))?;
    let stated = Stated { name, display_name: display.is_some(), emails, active: active.is_some() };
    Ok(Wanted { email, scim_user_name, display_name, external_id, active, stated })
}

/// The address a person named otherwise signs in with: their primary email, else the first.
fn sign_in_address(emails: &[Value]) -> Result<Email, ScimError> {
    let primary = emails.iter().find(|e| e["primary"] == json!(true)).or(emails.first());
    let Some(value) = primary.and_then(|e| e["value"].as_str()) else {
        return Err(invalid(
            "A person needs an email address to sign in with: send it as the userName, or in emails.",
        ));
    };
    Email::parse(value).map_err(|_| invalid(format!("\"{value}\" is not an email address.")))
}

/// `emails` as kept: each with its `value`, and its `type` and `primary` when given.
fn emails(doc: &Value) -> Result<Option<Vec<Value>>, ScimError> {
    let items = match field(doc, "emails") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid("emails is a list.")),
    };
    if items.len() > 10 {
        return Err(invalid("Roster keeps at most 10 emails for a person."));
    }
    let kept = items
        .iter()
        .map(|item| {
            let value = field(item, "value").and_then(Value::as_str).map(str::trim).unwrap_or_default();
            if value.is_empty() || value.len() > 254 {
                return Err(invalid("Each of emails has a value, an address of at most 254 characters."));
            }
            let mut email = json!({"value": value});
            if let Some(kind) = field(item, "type").and_then(Value::as_str) {
                email["type"] = json!(kind.chars().take(40).collect::<String>());
            }
            if let Some(primary) = field(item, "primary").filter(|p| !p.is_null()) {
                email["primary"] =
                    json!(boolean(primary).ok_or_else(|| invalid("primary is true or false."))?);
            }
            Ok(email)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(kept).filter(|k| !k.is_empty()))
}

const NAME_PARTS: [&str; 3] = ["formatted", "familyName", "givenName"];

/// `name`'s parts Roster keeps, as sent.
fn name(doc: &Value) -> Result<Option<Map<String, Value>>, ScimError> {
    let object = match field(doc, "name") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(_)) => field(doc, "name").unwrap_or(&Value::Null),
        Some(_) => return Err(invalid("name is an object.")),
    };
    let mut kept = Map::new();
    for part in NAME_PARTS {
        match field(object, part) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() <= 200 => {
                kept.insert(part.to_owned(), json!(s));
            }
            Some(_) => return Err(invalid(format!("name.{part} is a string of at most 200 characters."))),
        }
    }
    Ok(Some(kept).filter(|k| !k.is_empty()))
}

/// A display name made of `name`: its `formatted`, else given and family names.
fn full_name(name: Option<&Map<String, Value>>) -> Option<String> {
    let name = name?;
    let part = |key: &str| name.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    part("formatted").map(str::to_owned).or_else(|| {
        let joined =
            [part("givenName"), part("familyName")].into_iter().flatten().collect::<Vec<_>>().join(" ");
        Some(joined).filter(|j| !j.is_empty())
    })
}

/// What a User's attribute is in a filter or a sort.
pub fn column(path: &AttrPath) -> Result<Column, ScimError> {
    if path.schema.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(USER_SCHEMA)) {
        return Err(unfilterable(&path.name));
    }
    Ok(match (path.name.as_str(), path.sub.as_deref()) {
        ("id", None) => Column::Id("u.id"),
        ("username", None) => Column::Custom(Custom::UserName),
        ("externalid", None) => Column::Text { expr: "u.external_id", exact: true },
        ("displayname", None) => Column::Always(&Column::Text { expr: "u.display_name", exact: false }),
        ("emails", None | Some("value")) => Column::Always(&Column::Text { expr: "u.email", exact: false }),
        ("active", None) => Column::Flag("u.deactivated_at IS NULL"),
        (name, None) => return Err(unfilterable(name)),
        (name, Some(sub)) => return Err(unfilterable(&format!("{name}.{sub}"))),
    })
}

/// The user id in a path; anything else names no one.
pub fn parse_id(raw: &str) -> Result<UserId, ScimError> {
    resource::path_id(raw).map(UserId)
}

/// [`ScimError::from`], with a taken email said as SCIM's `uniqueness`.
fn from_app(err: AppError) -> ScimError {
    match err {
        AppError::Conflict(detail) if detail == crate::users::ssr::EMAIL_TAKEN => ScimError::new(
            StatusCode::CONFLICT,
            Some(ScimType::Uniqueness),
            "Another account has that email address (userName or emails).",
        ),
        other => ScimError::from(other),
    }
}

async fn listing(query: ListQuery) -> Result<Response, ScimError> {
    let state = crate::server::state::current().map_err(from_app)?;
    let (total, rows) = store::list(&state.db, &query).await?;
    let items = rows.iter().map(|row| query.shape.apply(resource(row).0)).collect();
    Ok(super::scim_json(StatusCode::OK, &resource::list(total, query.start, items)))
}

pub async fn list(Query(query): Query<HashMap<String, String>>) -> Result<Response, ScimError> {
    listing(ListQuery::from_query(&query)?).await
}

pub async fn search(body: Bytes) -> Result<Response, ScimError> {
    listing(ListQuery::from_search(&resource::read_body(&body)?)?).await
}

pub async fn get(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    let id = parse_id(&raw)?;
    let shape = ListQuery::from_query(&query)?.shape;
    let state = crate::server::state::current().map_err(from_app)?;
    let row = store::get(&state.db, id).await?.ok_or_else(ScimError::not_found)?;
    let (user, tag) = resource(&row);
    if resource::not_modified(&headers, &tag) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(resource::answer(StatusCode::OK, &shape.apply(user), &tag, None))
}

pub async fn create(
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let shape = ListQuery::from_query(&query)?.shape;
    let wanted = wanted(&resource::read_body(&body)?)?;
    let state = crate::server::state::current().map_err(from_app)?;
    let id = store::create(&state, &wanted).await?;
    tracing::info!(user = %id, token = ?crate::api_tokens::ssr::acting(), "account provisioned over SCIM");
    let row = store::get(&state.db, id).await?.ok_or_else(ScimError::not_found)?;
    let (user, tag) = resource(&row);
    let location = user["meta"]["location"].as_str().map(str::to_owned);
    Ok(resource::answer(StatusCode::CREATED, &shape.apply(user), &tag, location.as_deref()))
}

/// Changes the account the path names to what `make` makes of the body and the account as
/// it is now.
async fn apply_body(
    raw: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
    make: fn(&Value, &Row) -> Result<Wanted, ScimError>,
) -> Result<Response, ScimError> {
    let id = parse_id(raw)?;
    let shape = ListQuery::from_query(query)?.shape;
    let body = resource::read_body(body)?;
    let state = crate::server::state::current().map_err(from_app)?;
    let row = store::change(&state.db, id, headers, |current| make(&body, current)).await?;
    let (user, tag) = resource(&row);
    Ok(resource::answer(StatusCode::OK, &shape.apply(user), &tag, None))
}

pub async fn replace(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    apply_body(&raw, &query, &headers, &body, |doc, _| wanted(doc)).await
}

pub async fn modify(
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    apply_body(&raw, &query, &headers, &body, |body, current| {
        let operations = resource::operations(body)?;
        let mut doc = resource(current).0;
        patch::apply(&mut doc, &operations, USER_SCHEMA)?;
        wanted(&doc)
    })
    .await
}

/// Deletes the account as the web does: refused while it is a profile's last manager, or
/// the last administrator.
pub async fn delete(Path(raw): Path<String>, headers: HeaderMap) -> Result<Response, ScimError> {
    let id = parse_id(&raw)?;
    let state = crate::server::state::current().map_err(from_app)?;
    let row = store::get(&state.db, id).await?.ok_or_else(ScimError::not_found)?;
    resource::check_if_match(&headers, &resource(&row).1)?;
    crate::lifecycle::ssr::delete(&state.db, id, None).await.map_err(from_app)?;
    tracing::info!(user = %id, token = ?crate::api_tokens::ssr::acting(), "account deleted over SCIM");
    Ok(StatusCode::NO_CONTENT.into_response())
}

mod store {
    use axum::http::HeaderMap;

    use super::{from_app, resource, Row, Wanted, COLUMNS, WELCOME_DAYS};
    use crate::{
        auth::ssr::dummy_hash,
        domain::{Timestamp, UserId},
        error::AppError,
        lifecycle::ssr::Activation,
        scim::{
            error::{ScimError, ScimType},
            resource::{check_if_match, ListQuery},
            sql::Listing,
        },
        server::{
            db::{dialect_of, is_unique_violation, Db, Dialect, Pool},
            lists::words::SearchWords,
            mail::{Landing, Letter, Queue},
            state::AppState,
            tokens::{Purpose, Tokens},
        },
        users::ssr::{AdminGrant, NewAccounts},
        with_db,
    };

    fn taken(err: sqlx::Error) -> ScimError {
        if is_unique_violation(&err) {
            ScimError::new(
                axum::http::StatusCode::CONFLICT,
                Some(ScimType::Uniqueness),
                "Another account has that userName or email address.",
            )
        } else {
            from_app(err.into())
        }
    }

    pub async fn get(db: &Db, id: UserId) -> Result<Option<Row>, ScimError> {
        let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1");
        let row = with_db!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await);
        row.map_err(|e| from_app(e.into()))
    }

    /// One page of the accounts `query` filters, and how many it filters in all.
    pub async fn list(db: &Db, query: &ListQuery) -> Result<(u64, Vec<Row>), ScimError> {
        let listing = Listing {
            columns: COLUMNS,
            table: "users u",
            key: "u.id",
            scope: "1 = 1",
            column: &super::column,
        };
        listing.page(db, query).await
    }

    /// Makes the account, and mails the person a link to choose their password unless it
    /// starts deactivated, in one transaction.
    pub async fn create(state: &AppState, wanted: &Wanted) -> Result<UserId, ScimError> {
        let hash = dummy_hash().await.map_err(from_app)?;
        let stated = serde_json::to_string(&wanted.stated).map_err(|e| from_app(AppError::internal(e)))?;
        let mailer = &state.mail;
        let id = with_db!(&state.db, |pool| {
            let mut tx = pool.begin_write().await.map_err(|e| from_app(e.into()))?;
            let id = tx
                .insert_account(&wanted.email, &wanted.display_name, &hash, AdminGrant::Never)
                .await
                .map_err(from_app)?;
            let off = (wanted.active == Some(false)).then(Timestamp::now);
            sqlx::query(
                "UPDATE users SET scim_user_name = $2, external_id = $3, scim_attributes = $4, \
                 deactivated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(&wanted.scim_user_name)
            .bind(&wanted.external_id)
            .bind(&stated)
            .bind(off)
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
            if off.is_none() {
                let lasting = WELCOME_DAYS * 24 * 3600;
                let token = tx
                    .issue_token_lasting(id, Purpose::ResetPassword, None, lasting)
                    .await
                    .map_err(|e| from_app(e.into()))?;
                let name = wanted.display_name.as_str().to_owned();
                let letter =
                    Letter::Welcome { name, link: mailer.link(Landing::Reset, &token), days: WELCOME_DAYS };
                tx.queue_mail(&wanted.email, &mailer.render(&letter))
                    .await
                    .map_err(|e| from_app(e.into()))?;
            }
            tx.commit().await.map_err(|e| from_app(e.into()))?;
            id
        });
        mailer.wake();
        Ok(id)
    }

    /// Changes the account to what `change` makes of it as it is now, in one transaction
    /// that holds it meanwhile, so `If-Match` compares with the version being changed.
    pub async fn change(
        db: &Db,
        id: UserId,
        headers: &HeaderMap,
        change: impl FnOnce(&Row) -> Result<Wanted, ScimError>,
    ) -> Result<Row, ScimError> {
        let internal = |e: sqlx::Error| from_app(e.into());
        with_db!(db, |pool| {
            let mut tx = pool.begin_write().await.map_err(internal)?;
            let postgres = dialect_of(pool) == Dialect::Postgres;
            if postgres {
                // Activation's rule about the last admin reads the admin role's holders.
                sqlx::query("SELECT 1 FROM roles WHERE name = 'admin' FOR UPDATE")
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
            }
            let lock = if postgres { " FOR UPDATE" } else { "" };
            let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1{lock}");
            let row: Option<Row> =
                sqlx::query_as(&sql).bind(id).fetch_optional(&mut *tx).await.map_err(internal)?;
            let row = row.ok_or_else(ScimError::not_found)?;
            check_if_match(headers, &resource(&row).1)?;
            let wanted = change(&row)?;
            let renamed = row.display_name != wanted.display_name.as_str();
            if renamed || !row.email.eq(wanted.email.as_str()) {
                tx.drop_words(id).await.map_err(internal)?;
                sqlx::query(
                    "UPDATE users SET email = $2, display_name = $3, name_key = $4, email_confirmed = $5 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(wanted.email.as_str())
                .bind(wanted.display_name.as_str())
                .bind(wanted.display_name.key())
                .bind(true)
                .execute(&mut *tx)
                .await
                .map_err(taken)?;
                let key = wanted.display_name.key();
                tx.write_words(&[(id, &key, wanted.email.as_str())]).await.map_err(internal)?;
            }
            let stated =
                serde_json::to_string(&wanted.stated).map_err(|e| from_app(AppError::internal(e)))?;
            sqlx::query(
                "UPDATE users SET scim_user_name = $2, external_id = $3, scim_attributes = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(&wanted.scim_user_name)
            .bind(&wanted.external_id)
            .bind(&stated)
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
            if let Some(active) = wanted.active {
                tx.set_active_in(id, active, None).await.map_err(from_app)?;
            }
            let row: Row = sqlx::query_as(&sql).bind(id).fetch_one(&mut *tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(row)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_that_are_not_addresses_take_the_primary_email() {
        let doc = json!({"userName": "jdoe", "emails": [{"value": "x@example.com"},
            {"value": "j@example.com", "primary": "True", "type": "work"}],
            "name": {"givenName": "Jo", "familyName": "Doe"}});
        let wanted = wanted(&doc).unwrap();
        assert_eq!(wanted.email.as_str(), "j@example.com");
        assert_eq!(wanted.scim_user_name.as_deref(), Some("jdoe"));
        assert_eq!(wanted.display_name.as_str(), "Jo Doe");
        assert!(!wanted.stated.display_name && !wanted.stated.active);
        let by_address = super::wanted(&json!({"userName": "Ann@Example.com", "active": "False"})).unwrap();
        assert_eq!((by_address.scim_user_name, by_address.active), (None, Some(false)));
        assert!(super::wanted(&json!({"userName": "jdoe"})).is_err());
        assert!(super::wanted(&json!({"userName": "a@b@c"})).is_err());
        assert!(super::wanted(&json!({"emails": [{"value": "a@example.com"}]})).is_err());
    }

    #[test]
    fn a_moved_address_shows_in_the_list_sent() {
        let sent =
            vec![json!({"value": "old@example.com", "primary": true}), json!({"value": "b@example.com"})];
        let shown = current_emails(sent, "new@example.com");
        assert_eq!(shown[0]["value"], "new@example.com");
        assert_eq!(shown[1]["value"], "b@example.com");
    }
}
