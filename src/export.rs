//! A profile's members and its history as CSV files, for a spreadsheet or another system.
//! The files are plain downloads (`GET /profiles/{id}/members.csv`), so a link is all a page
//! needs, with or without JavaScript; only the profile's managers and admins get them.

use crate::domain::ProfileId;

/// What a profile can be exported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// Everyone on the profile: email, access, name, since when, added by whom.
    Members,
    /// Every change to who is on it, newest first.
    History,
}

impl Export {
    /// The file's address for `profile`.
    pub fn href(self, profile: ProfileId) -> String {
        format!("/profiles/{}/{}.csv", profile.0, self.stem())
    }

    /// What the file holds, in its address and its name.
    fn stem(self) -> &'static str {
        match self {
            Export::Members => "members",
            Export::History => "history",
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The downloads: each access-checked as a server function is, then streamed a chunk at
    //! a time. A chunk's query reads along the profile's own index from where the last one
    //! stopped, on a pooled connection it hands back before the next, so the biggest profile
    //! (590,000 members) goes out without being held in memory or holding a connection
    //! while a slow client reads. Each chunk is read at its own moment: a change during a
    //! download shows in the rows not sent yet, and no one is sent twice (the order is by a
    //! key that never changes).

    use std::borrow::Cow;

    use axum::{
        body::Body,
        extract::{Path, Request},
        http::{header, HeaderValue, Response},
        routing::get,
        Router,
    };
    use futures::{Stream, TryStreamExt};
    use leptos::{prelude::*, reactive::computed::ScopedFuture};

    use super::Export;
    use crate::{
        domain::{ProfileId, Timestamp, UserId},
        error::AppError,
        server::db::Db,
        with_db,
    };

    /// Rows read per query.
    const CHUNK: i64 = 2_000;

    /// The download routes. `context` provides what a server function has (the app's state,
    /// the request's session cache), as the router gives its pages.
    pub fn routes<S>(context: impl Fn() + Clone + Send + Sync + 'static) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        [Export::Members, Export::History].into_iter().fold(Router::new(), |router, kind| {
            let context = context.clone();
            let path = format!("/profiles/{{id}}/{}.csv", kind.stem());
            router.route(
                &path,
                get(move |Path(id): Path<String>, request: Request| {
                    download(context.clone(), kind, id, request)
                }),
            )
        })
    }

    async fn download<C>(context: C, kind: Export, id: String, request: Request) -> Response<Body>
    where
        C: Fn() + Send + 'static,
    {
        let (parts, _) = request.into_parts();
        let owner = Owner::new();
        let answer = owner.with(|| {
            ScopedFuture::new(async move {
                provide_context(parts);
                context();
                start(kind, &id).await
            })
        });
        match answer.await {
            Ok(response) => response,
            Err(err) => refusal(&err),
        }
    }

    /// Checks the caller may have the file, and starts it: 404 for a profile they may not
    /// see (or none), 403 for a member who doesn't manage it.
    async fn start(kind: Export, id: &str) -> Result<Response<Body>, AppError> {
        let profile = id.parse().map(ProfileId).map_err(|_| AppError::NotFound)?;
        crate::access::require_manage(profile).await?;
        let (_, seen) = crate::access::require_seen(profile).await?;
        let state = crate::server::state::current()?;
        let stream = rows(kind, state.db.clone(), profile).inspect_err(move |err| {
            // The client sees the download fail (its body is cut short), never a file
            // that looks whole.
            tracing::error!(%err, profile = profile.0, ?kind, "an export stopped part way");
        });
        let mut response = Response::new(Body::from_stream(stream));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let disposition = disposition(&seen.name, kind);
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).map_err(AppError::internal)?,
        );
        Ok(response)
    }

    /// An error as a short page: its text is always safe to show.
    fn refusal(err: &AppError) -> Response<Body> {
        let mut response = Response::new(Body::from(err.to_string()));
        *response.status_mut() =
            axum::http::StatusCode::from_u16(err.status()).unwrap_or(axum::http::StatusCode::NOT_FOUND);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if let AppError::Busy { retry_after } | AppError::TooManyRequests { retry_after, .. } = err {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        response
    }

    /// "attachment", named after the profile, what it holds and the day:
    /// `platform-team-members-2026-12-06.csv`. The name as it is (RFC 6266's `filename*`)
    /// for browsers, with an ASCII one beside it for older clients.
    fn disposition(profile: &str, kind: Export) -> String {
        let name = format!("{}-{}-{}.csv", slug(profile), kind.stem(), chrono::Utc::now().format("%Y-%m-%d"));
        let ascii: String = name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encoded(&name))
    }

    /// The profile's name in lower case, a dash between its words ("Platform team" →
    /// "platform-team"): nothing a disk or a shell would stumble on.
    fn slug(name: &str) -> String {
        let words: Vec<String> = name
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        match words.is_empty() {
            true => "profile".to_owned(),
            false => words.join("-"),
        }
    }

    /// Each byte of `text` but letters, digits, `-`, `.` and `_` as `%XX` (RFC 8187).
    fn percent_encoded(text: &str) -> String {
        text.bytes()
            .map(|b| match b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                true => char::from(b).to_string(),
                false => format!("%{b:02X}"),
            })
            .collect()
    }

    /// Where a download stands: its header row next, then chunks after a key, then done.
    enum At {
        Header,
        After(i64),
        Done,
    }

    /// The file as a stream of chunks of CSV text.
    pub fn rows(
        kind: Export,
        db: Db,
        profile: ProfileId,
    ) -> impl Stream<Item = Result<Vec<u8>, AppError>> + Send + 'static {
        futures::stream::try_unfold(At::Header, move |at| {
            let db = db.clone();
            async move {
                let mut out = csv::Writer::from_writer(Vec::new());
                let next = match at {
                    At::Done => return Ok(None),
                    At::Header => {
                        out.write_record(kind.header()).map_err(AppError::internal)?;
                        At::After(kind.first())
                    }
                    At::After(after) => match kind.chunk(&db, profile, after, &mut out).await? {
                        Some(last) => At::After(last),
                        None => At::Done,
                    },
                };
                let bytes = out.into_inner().map_err(AppError::internal)?;
                Ok(Some((bytes, next)))
            }
        })
    }

    /// One member, as the file has them.
    type MemberRow = (UserId, String, String, Option<Timestamp>, String, Timestamp, Option<String>);
    /// One change, as the file has them.
    type ChangeRow = (
        i64,
        Timestamp,
        String,
        bool,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );

    impl Export {
        fn header(self) -> &'static [&'static str] {
            match self {
                // Email and access first: the columns an import reads.
                Export::Members => &["email", "access", "last_day", "name", "added_at", "added_by"],
                Export::History => &["at", "change", "access_before", "access_after", "email", "name", "by"],
            }
        }

        /// The key before the first row: members go by their id up, changes newest first.
        fn first(self) -> i64 {
            match self {
                Export::Members => i64::MIN,
                Export::History => i64::MAX,
            }
        }

        /// Writes the rows after `after` to `out`, a chunk of them; returns the last one's
        /// key, or `None` when none are left after these.
        async fn chunk(
            self,
            db: &Db,
            profile: ProfileId,
            after: i64,
            out: &mut csv::Writer<Vec<u8>>,
        ) -> Result<Option<i64>, AppError> {
            let (written, last) = match self {
                Export::Members => write_members(db, profile, after, out).await?,
                Export::History => write_changes(db, profile, after, out).await?,
            };
            Ok(last.filter(|_| written == CHUNK as usize))
        }
    }

    async fn write_members(
        db: &Db,
        profile: ProfileId,
        after: i64,
        out: &mut csv::Writer<Vec<u8>>,
    ) -> Result<(usize, Option<i64>), AppError> {
        // Along the profile's key (profile_id, user_id); each person's name by their id.
        let rows: Vec<MemberRow> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT x.user_id, x.email, x.access, x.ends_at, u.display_name, x.added_at, a.email \
                 FROM memberships x CROSS JOIN users u LEFT JOIN users a ON a.id = x.added_by \
                 WHERE x.profile_id = $1 AND x.user_id > $2 AND u.id = x.user_id \
                 ORDER BY x.user_id LIMIT $3",
            )
            .bind(profile)
            .bind(after)
            .bind(CHUNK)
            .fetch_all(pool)
            .await
        })?;
        for (_, email, access, ends, name, since, by) in &rows {
            let by = by.as_deref().map(cell).unwrap_or_default();
            let last_day = ends.map(crate::expiry::last_day).unwrap_or_default();
            let record = [cell(email), access.into(), last_day.into(), cell(name), instant(since).into(), by];
            out.write_record(record.iter().map(|c| c.as_bytes())).map_err(AppError::internal)?;
        }
        Ok((rows.len(), rows.last().map(|r| r.0 .0)))
    }

    async fn write_changes(
        db: &Db,
        profile: ProfileId,
        before: i64,
        out: &mut csv::Writer<Vec<u8>>,
    ) -> Result<(usize, Option<i64>), AppError> {
        // Newest first along history_profile_idx (profile_id, id); the people by their ids.
        let rows: Vec<ChangeRow> = with_db!(db, |pool| {
            sqlx::query_as(
                "SELECT h.id, h.at, h.action, h.expired, h.access_before, h.access_after, u.email, \
                        u.display_name, a.email \
                 FROM history h LEFT JOIN users u ON u.id = h.user_id \
                 LEFT JOIN users a ON a.id = h.actor_id \
                 WHERE h.profile_id = $1 AND h.id < $2 ORDER BY h.id DESC LIMIT $3",
            )
            .bind(profile)
            .bind(before)
            .bind(CHUNK)
            .fetch_all(pool)
            .await
        })?;
        fn text(value: &Option<String>) -> Cow<'_, str> {
            value.as_deref().map(cell).unwrap_or_default()
        }
        for (_, at, action, expired, was, now, email, name, by) in &rows {
            // An end is a removal by no one: the file says which.
            let action = if *expired { "expired" } else { action.as_str() };
            let record = [
                instant(at).into(),
                Cow::from(action),
                text(was),
                text(now),
                text(email),
                text(name),
                text(by),
            ];
            out.write_record(record.iter().map(|c| c.as_bytes())).map_err(AppError::internal)?;
        }
        Ok((rows.len(), rows.last().map(|r| r.0)))
    }

    /// "2026-11-22T14:03:05Z": an instant, in UTC, as spreadsheets read it.
    fn instant(at: &Timestamp) -> String {
        at.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// A cell of text someone typed, made safe to open in a spreadsheet: one that starts
    /// like a formula (`=`, `+`, `-`, `@`, a tab or a return) gets a `'` before it, so that
    /// it is shown as text and never run.
    pub fn cell(text: &str) -> Cow<'_, str> {
        match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            true => Cow::Owned(format!("'{text}")),
            false => Cow::Borrowed(text),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_cell_that_starts_like_a_formula_is_kept_as_text() {
            assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
            assert_eq!(cell("+1"), "'+1");
            assert_eq!(cell("-2"), "'-2");
            assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
            assert_eq!(cell("Ada Lovelace"), "Ada Lovelace");
            assert_eq!(cell("ada-l@example.com"), "ada-l@example.com");
        }

        #[test]
        fn a_file_is_named_after_its_profile_in_words_a_disk_takes() {
            assert_eq!(slug("Platform team"), "platform-team");
            assert_eq!(slug("  Équipe / R&D  2026 "), "équipe-r-d-2026");
            assert_eq!(slug("¿¡"), "profile");
            let named = disposition("Équipe", Export::History);
            assert!(named.starts_with("attachment; filename=\"_quipe-history-2"), "{named}");
            assert!(named.contains("; filename*=UTF-8''%C3%A9quipe-history-2"), "{named}");
            assert!(named.ends_with(".csv"), "{named}");
        }
    }
}
