//! Members from a CSV file: each row an email, an access and an optional last day. The file
//! is kept as a draft and previewed like any bulk change, every row as will add, will invite,
//! will change, unchanged or refused with its reason and line; applying carries out every row
//! in one transaction, or none. A header row is optional (a members export has one, and
//! imports as it is); without one the columns are email, access, last day.
//!
//! The upload is a plain multipart form post (`POST /api/bulk/import`), so it works without
//! JavaScript; [`routes`] answers it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::{
    ssr::{planned, until, Account, Grant, Mine, Plan, Planned},
    RowStatus, MAX_ROWS,
};
use crate::{
    domain::{Access, Email},
    error::AppError,
    expiry::{last_day, parse_last_day},
};

/// One data row of a file: its line, the email as written, and what it asks for, or why it
/// can't be read.
pub struct Line {
    pub number: u64,
    pub written: String,
    pub asks: Result<(Email, Grant), String>,
}

/// Where a file's columns are.
struct Columns {
    email: usize,
    access: usize,
    last_day: Option<usize>,
}

/// What a header may call the last-day column.
const LAST_DAY_NAMES: &[&str] = &["last_day", "last day", "ends_on", "ends", "end date", "end_date", "until"];

impl Columns {
    /// The columns a header row names, if `record` is one (it has a cell "email").
    fn from_header(record: &csv::StringRecord) -> Result<Option<Columns>, AppError> {
        let names: Vec<String> = record.iter().map(|cell| cell.trim().to_lowercase()).collect();
        let find = |wanted: &[&str]| names.iter().position(|name| wanted.contains(&name.as_str()));
        let Some(email) = find(&["email"]) else { return Ok(None) };
        let access = find(&["access"])
            .ok_or_else(|| AppError::invalid("file", "The header row has no “access” column."))?;
        Ok(Some(Columns { email, access, last_day: find(LAST_DAY_NAMES) }))
    }
}

/// Reads a file's rows. A file that can't be read as CSV, or that has no rows or more than
/// a bulk change takes, is refused whole; a bad row is refused alone, in the preview.
pub fn read(text: &str, today: NaiveDate) -> Result<Vec<Line>, AppError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let (mut columns, mut lines) = (None::<Columns>, Vec::new());
    let mut counted = (0, 1);
    for record in reader.records() {
        let record = record.map_err(|err| {
            let line = err.position().map_or(0, |p| p.line());
            AppError::invalid("file", format!("Line {line} can't be read as CSV."))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let number = line_at(text, start, &mut counted);
        let at = match &columns {
            Some(at) => at,
            None => {
                let found = Columns::from_header(&record)?;
                let header = found.is_some();
                let at = columns.insert(found.unwrap_or(Columns { email: 0, access: 1, last_day: Some(2) }));
                if header {
                    continue;
                }
                at
            }
        };
        if lines.len() == MAX_ROWS {
            return Err(AppError::invalid("file", format!("Import at most {MAX_ROWS} rows at once.")));
        }
        lines.push(line(&record, number, at, today));
    }
    if lines.is_empty() {
        return Err(AppError::invalid("file", "The file has no rows to import."));
    }
    Ok(lines)
}

/// The line a record starting at byte `start` of `text` is on, counting on from `counted`
/// (a byte and its line, before `start`). The reader's own count says where the blank lines
/// before a record begin, not the record.
fn line_at(text: &str, start: usize, counted: &mut (usize, u64)) -> u64 {
    let rest = &text.as_bytes()[start.min(text.len())..];
    let blank = rest.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
    let end = start + blank;
    let (from, line) = *counted;
    let newlines = text.as_bytes()[from.min(end)..end].iter().filter(|b| **b == b'\n').count() as u64;
    *counted = (end, line + newlines);
    line + newlines
}

/// One row, read.
fn line(record: &csv::StringRecord, number: u64, at: &Columns, today: NaiveDate) -> Line {
    // A cell an export kept from being read as a formula ('-x) is read as it was (-x).
    let cell = |i: usize| {
        let cell = record.get(i).unwrap_or("");
        cell.strip_prefix('\'').filter(|rest| rest.starts_with(['=', '+', '-', '@'])).unwrap_or(cell)
    };
    let written = cell(at.email).to_owned();
    let asks = (|| {
        if written.is_empty() {
            return Err("no email".to_owned());
        }
        let email = Email::parse(&written).map_err(|_| "not an email address".to_owned())?;
        let access = match cell(at.access).to_lowercase().as_str() {
            "" => return Err("no access: give manager or member".into()),
            raw => {
                Access::parse(raw).map_err(|_| format!("unknown access “{raw}”: give manager or member"))?
            }
        };
        let ends = at.last_day.map(cell).filter(|day| !day.is_empty());
        let ends = parse_last_day(ends, today).map_err(|err| err.to_string())?;
        Ok((email, (access, ends)))
    })();
    Line { number, written, asks }
}

/// The addresses of the rows that can be read, each once.
pub fn addresses(lines: &[Line]) -> Vec<String> {
    let mut seen = HashSet::new();
    lines
        .iter()
        .filter_map(|line| line.asks.as_ref().ok())
        .map(|(email, _)| email.as_str().to_owned())
        .filter(|email| seen.insert(email.clone()))
        .collect()
}

/// Each row of an import: whom it adds, invites or changes, or why no one. `lasting`: how
/// many managers without an end the profile has; rows that would take away every one of
/// them are refused.
pub fn plan(
    lines: Vec<Line>,
    (accounts, invited): (&HashMap<String, Account>, &HashSet<String>),
    lasting: i64,
    mine: Mine,
    apply: bool,
) -> Vec<Planned> {
    let mut first: HashMap<String, u64> = HashMap::new();
    let mut rows: Vec<(Planned, Lasting)> = lines
        .into_iter()
        .map(|line| {
            let (number, written) = (line.number, line.written);
            let (mut row, lasting) = match line.asks {
                Err(why) => {
                    let note = format!("refused: {why}");
                    (planned(written, RowStatus::Refused, note, Plan::Nothing), Lasting::Same)
                }
                Ok((email, grant)) => match first.get(email.as_str()) {
                    Some(earlier) => {
                        let note = format!("listed twice (first on line {earlier})");
                        (planned(written, RowStatus::Unchanged, note, Plan::Nothing), Lasting::Same)
                    }
                    None => {
                        first.insert(email.as_str().to_owned(), number);
                        let account = accounts.get(email.as_str());
                        let row = decide(written, email, grant, (account, invited), mine, apply);
                        let lasting = match (&row.1, account) {
                            (Plan::Add(..) | Plan::Update(..), Some((_, _, before))) => {
                                Lasting::of(*before, grant)
                            }
                            _ => Lasting::Same,
                        };
                        (row, lasting)
                    }
                },
            };
            row.0.line = Some(number);
            (row, lasting)
        })
        .collect();
    keep_a_lasting_manager(&mut rows, lasting);
    rows.into_iter().map(|(row, _)| row).collect()
}

/// What a row does to the profile's managers without an end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lasting {
    Same,
    /// Its person is one, and won't be.
    Loses,
    /// Its person will be one, and isn't.
    Gains,
}

impl Lasting {
    fn of(before: Option<Grant>, after: Grant) -> Lasting {
        let lasting = |grant: Option<Grant>| grant == Some((Access::Manager, None));
        match (lasting(before), lasting(Some(after))) {
            (true, false) => Lasting::Loses,
            (false, true) => Lasting::Gains,
            _ => Lasting::Same,
        }
    }
}

/// What one readable row does to the person it names.
fn decide(
    written: String,
    email: Email,
    grant: Grant,
    (account, invited): (Option<&Account>, &HashSet<String>),
    mine: Mine,
    apply: bool,
) -> Planned {
    let (access, ends) = grant;
    let (add, invite, change) =
        if apply { ("added", "invited", "changed") } else { ("will add", "will invite", "will change") };
    let Some((id, name, current)) = account else {
        if invited.contains(email.as_str()) {
            return planned(written, RowStatus::Unchanged, "invited already", Plan::Nothing);
        }
        let note = format!("{invite} as {access}{}", until(ends));
        return planned(written, RowStatus::Invite, note, Plan::Invite(email, grant));
    };
    let Some((was, was_ending)) = *current else {
        let note = format!("{add} {name} as {access}{}", until(ends));
        return planned(written, RowStatus::Change, note, Plan::Add(*id, grant));
    };
    if (was, was_ending) == grant {
        let note = format!("{name} is already a {was}{}", until(ends));
        return planned(written, RowStatus::Unchanged, note, Plan::Nothing);
    }
    let mine_alone = *id == mine.me && !mine.me_admin;
    let extends = match (was_ending, ends) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(before), Some(after)) => after > before,
    };
    let refuse =
        |why: &str| planned(written.clone(), RowStatus::Refused, format!("refused: {why}"), Plan::Nothing);
    if mine_alone && was == Access::Manager && access == Access::Member {
        return refuse("you would lose your own right to manage this profile");
    }
    if mine_alone && extends {
        return refuse("you can't extend your own access");
    }
    let mut parts = Vec::new();
    let new_access = (was != access).then(|| {
        parts.push(format!("{was} → {access}"));
        access
    });
    let moved = (was_ending != ends).then(|| {
        let day = |ends: Option<_>| ends.map_or_else(|| "none".to_owned(), last_day);
        parts.push(format!("last day {} → {}", day(was_ending), day(ends)));
        (*id, was_ending, ends)
    });
    let note = format!("{change} {name}: {}", parts.join("; "));
    planned(written, RowStatus::Change, note, Plan::Update(*id, new_access, moved))
}

/// Refuses the rows that take away a manager without an end, when together they would take
/// away every one the profile has and gives.
fn keep_a_lasting_manager(rows: &mut [(Planned, Lasting)], lasting: i64) {
    let count = |which: Lasting| rows.iter().filter(|(_, l)| *l == which).count() as i64;
    let (losing, gaining) = (count(Lasting::Loses), count(Lasting::Gains));
    if losing == 0 || lasting + gaining > losing {
        return;
    }
    for ((row, plan), _) in rows.iter_mut().filter(|(_, l)| *l == Lasting::Loses) {
        row.status = RowStatus::Refused;
        row.note = "refused: the profile would have no manager whose access doesn't end".into();
        *plan = Plan::Nothing;
    }
}

/// The upload: its profile and file, as the form sends them.
#[derive(Default)]
struct Upload {
    profile: Option<crate::domain::ProfileId>,
    file: Option<Vec<u8>>,
}

/// `POST /api/bulk/import`: a plain multipart form post. `context` provides what a server
/// function has (the app's state, the request's session cache), as the router gives its
/// pages.
pub fn routes<S>(context: impl Fn() + Clone + Send + Sync + 'static) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use axum::extract::Request;
    axum::Router::new().route(
        super::IMPORT_PATH,
        axum::routing::post(move |request: Request| upload(context.clone(), request)),
    )
}

async fn upload<C>(context: C, request: axum::extract::Request) -> axum::response::Response
where
    C: Fn() + Send + 'static,
{
    use axum::extract::{FromRequest, Multipart};
    use leptos::{prelude::*, reactive::computed::ScopedFuture};

    let page = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let (parts, body) = request.into_parts();
    let read =
        match Multipart::from_request(axum::extract::Request::from_parts(parts.clone(), body), &()).await {
            Ok(multipart) => read_upload(multipart).await,
            Err(_) => Err(AppError::BadRequest("Send the file as a multipart form.".into())),
        };
    let profile = read.as_ref().ok().and_then(|upload| upload.profile);
    let owner = Owner::new();
    let answer = owner.with(|| {
        ScopedFuture::new(async move {
            provide_context(parts);
            context();
            start(read?).await
        })
    });
    respond(page, profile, answer.await)
}

async fn read_upload(mut multipart: axum::extract::Multipart) -> Result<Upload, AppError> {
    let unreadable = |_| AppError::BadRequest("The upload could not be read.".into());
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("profile") => {
                let text = field.text().await.map_err(unreadable)?;
                upload.profile = text.trim().parse().ok().map(crate::domain::ProfileId);
            }
            Some("file") => upload.file = Some(field.bytes().await.map_err(unreadable)?.to_vec()),
            _ => {}
        }
    }
    Ok(upload)
}

/// Checks the caller may import into the profile, reads the file and saves it as a draft:
/// its id. A file refused whole is never saved.
async fn start(upload: Upload) -> Result<i64, AppError> {
    let profile = upload.profile.ok_or(AppError::NotFound)?;
    let (me, _) = crate::access::require_manage_members(profile).await?;
    super::ssr::count_bulk_work(me.id).await?;
    let file = upload.file.filter(|file| !file.is_empty());
    let file = file.ok_or_else(|| AppError::invalid("file", "Choose a CSV file to import."))?;
    let not_csv =
        || AppError::invalid("file", "That isn't a CSV text file: save it as CSV (UTF-8) and try again.");
    let text = String::from_utf8(file).map_err(|_| not_csv())?;
    // No CSV holds a NUL, and PostgreSQL can't store one: a spreadsheet's own format, say.
    if text.contains('\0') {
        return Err(not_csv());
    }
    read(&text, chrono::Utc::now().date_naive())?;
    let state = crate::server::state::current()?;
    super::ssr::save(&state.db, profile, me.id, (super::BulkKind::Import, None, None), &text).await
}

/// The answer: to a page, the preview or the form again with its error (carried as a server
/// function's is, `crate::flash`); to a script, the draft's id or the error as JSON.
fn respond(
    page: bool,
    profile: Option<crate::domain::ProfileId>,
    answer: Result<i64, AppError>,
) -> axum::response::Response {
    use axum::{
        http::{header, HeaderValue, StatusCode},
        response::IntoResponse,
    };
    let back = |location: String| {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    };
    match (answer, page) {
        (Ok(id), true) => back(format!("/profiles/{}/bulk/{id}", profile.map_or(0, |p| p.0))),
        (Ok(id), false) => (StatusCode::OK, axum::Json(id)).into_response(),
        (Err(err), true) => {
            let form = profile.map_or_else(|| "/profiles".to_owned(), |p| format!("/profiles/{p}"));
            let url = leptos::server_fn::error::ServerFnUrlError::new(super::IMPORT_PATH, err)
                .to_url(&format!("http://roster{form}"));
            back(url.map_or(form, |url| format!("{}?{}#import", url.path(), url.query().unwrap_or(""))))
        }
        (Err(err), false) => {
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, axum::Json(&err)).into_response();
            if let AppError::Busy { retry_after } | AppError::TooManyRequests { retry_after, .. } = err {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    #[test]
    fn rows_keep_their_lines_past_blank_lines_a_header_and_quoted_line_breaks() {
        let text = concat!(
            "\u{feff}Email,Access,Last day\r\n\r\n",
            "a@x.org,member,2027-01-31\n\n",
            "\"b@x.org\",\"mem\nber\"\n",
            "c@x.org,Manager\n",
        );
        let lines = read(text, today()).unwrap();
        let numbers: Vec<u64> = lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [3, 5, 7]);
        assert!(lines[0].asks.as_ref().is_ok_and(|(_, (_, ends))| ends.is_some()));
        assert_eq!(
            lines[1].asks.as_ref().err().map(String::as_str),
            Some("unknown access “mem\nber”: give manager or member")
        );
        assert!(lines[2].asks.is_ok(), "access in any case");
    }

    #[test]
    fn without_a_header_the_columns_are_email_access_last_day() {
        let lines = read("'-x@y.org,member\nz@y.org,,\n", today()).unwrap();
        assert_eq!(
            lines[0].asks.as_ref().map(|(e, _)| e.as_str()),
            Ok("-x@y.org"),
            "an export's guard undone"
        );
        assert_eq!(
            lines[1].asks.as_ref().err().map(String::as_str),
            Some("no access: give manager or member")
        );
    }
}
