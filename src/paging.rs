//! Keyset pagination: a page of rows and an opaque cursor to the next one.
//!
//! Pages never use OFFSET: each query starts after the last row shown, along an index, so
//! page 1000 costs what page 1 does.

use serde::{Deserialize, Serialize};

/// How many rows a list shows at once.
pub const PAGE_SIZE: usize = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page; `None` on the last one.
    pub next: Option<String>,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use serde::{de::DeserializeOwned, Serialize};

    use super::{Page, PAGE_SIZE};
    use crate::{domain::Timestamp, error::AppError};

    /// The LIMIT to fetch: one more than a page, to learn whether another page follows.
    pub const FETCH: i64 = PAGE_SIZE as i64 + 1;

    /// Reads a cursor from the URL; a tampered or stale one is the caller's mistake.
    pub fn decode<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, AppError> {
        let Some(cursor) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| {
                AppError::BadRequest("That page link is not valid. Start again from the first page.".into())
            })
    }

    /// Reads a (moment, id) cursor; without one, the first page starts before every row.
    pub fn decode_since<Id: DeserializeOwned + Default>(
        cursor: Option<&str>,
    ) -> Result<(Timestamp, Id), AppError> {
        let (micros, id): (i64, Id) = decode(cursor)?.unwrap_or((0, Id::default()));
        let since = Timestamp::from_micros(micros.max(0)).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH));
        Ok((since, id))
    }

    /// Trims the extra row fetched with [`FETCH`] and makes the cursor from the last row kept.
    pub fn page<T, K: Serialize>(mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T> {
        let next = if rows.len() > PAGE_SIZE {
            rows.truncate(PAGE_SIZE);
            rows.last().map(|last| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key(last)).unwrap_or_default()))
        } else {
            None
        };
        Page { items: rows, next }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_full_page_has_a_cursor_that_decodes_to_its_last_key() {
            let page = page((0..=PAGE_SIZE as i64).collect(), |n| *n);
            assert_eq!(page.items.len(), PAGE_SIZE);
            let key: Option<i64> = decode(page.next.as_deref()).unwrap();
            assert_eq!(key, Some(PAGE_SIZE as i64 - 1));
        }

        #[test]
        fn the_last_page_has_no_cursor() {
            assert_eq!(page(vec![1, 2, 3], |n| *n).next, None);
        }

        #[test]
        fn a_tampered_cursor_is_a_bad_request() {
            assert_eq!(decode::<(i64, i64)>(Some("!!!")).unwrap_err().status(), 400);
            assert_eq!(decode::<(i64, i64)>(Some("")).unwrap(), None);
        }
    }
}
