//! Lists: a page of rows, an opaque cursor to the next one, the exact total for the current
//! filter, and the search and sort choices every list shares.
//!
//! Pages never use OFFSET: each query starts after the last row shown, along an index, so
//! page 1000 costs what page 1 does.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How many rows a list shows at once.
pub const PAGE_SIZE: usize = 50;

/// The longest search text a list accepts.
pub const SEARCH_MAX: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page; `None` on the last one.
    pub next: Option<String>,
    /// How many rows the whole list has under the current search and filter; when `more` is
    /// set, a lower bound.
    pub total: i64,
    /// A search matched more rows than its list counts ([`COUNT_CAP`], or for a list of
    /// people `lists::people::count_cap`): the count stopped there, so a broad search costs
    /// what a narrow one does.
    #[serde(default)]
    pub more: bool,
}

/// How far a search's total is counted exactly, where each match counted is one index entry
/// read (a list of people counts less far: each match found by a word is a look-up).
pub const COUNT_CAP: i64 = 1_000;

impl<T> Page<T> {
    /// The same page with each item made into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            total: self.total,
            more: self.more,
        }
    }

    /// For a total counted with `LIMIT cap + 1` (`searched`): "more than `cap`" when the
    /// count hit the limit. Other totals are exact counts the schema keeps.
    pub fn counted_to(mut self, cap: i64, searched: bool) -> Self {
        if searched && self.total > cap {
            self.total = cap;
            self.more = true;
        }
        self
    }
}

/// The order of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// By name, A to Z.
    #[default]
    Name,
    /// By "since", longest-standing first.
    Since,
}

impl Sort {
    /// Reads `?sort=`; none means by name.
    pub fn parse(raw: Option<&str>) -> Result<Sort, AppError> {
        match raw.unwrap_or("") {
            "" | "name" => Ok(Sort::Name),
            "since" => Ok(Sort::Since),
            _ => Err(AppError::invalid("sort", "Sort by name or by since.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Since => "since",
        }
    }
}

/// Reads `?q=`: trimmed, lower-cased, at most [`SEARCH_MAX`] characters; empty means no search.
pub fn search_text(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let text = raw.unwrap_or("").trim();
    if text.chars().count() > SEARCH_MAX {
        return Err(AppError::invalid("q", format!("Search for at most {SEARCH_MAX} characters.")));
    }
    if text.chars().any(char::is_control) {
        // No name or email holds one, and PostgreSQL can't even compare a NUL.
        return Err(AppError::invalid("q", "Search for letters, digits and punctuation only."));
    }
    Ok((!text.is_empty()).then(|| text.to_lowercase()))
}

/// Reads `?access=`: empty means every access level.
pub fn access_filter(raw: Option<&str>) -> Result<Option<crate::domain::Access>, AppError> {
    match raw.unwrap_or("") {
        "" | "all" => Ok(None),
        other => crate::domain::Access::parse(other).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_choices_parse_and_refuse_nonsense() {
        assert_eq!(Sort::parse(None).unwrap(), Sort::Name);
        assert_eq!(Sort::parse(Some("since")).unwrap(), Sort::Since);
        assert_eq!(Sort::parse(Some("age")).unwrap_err().status(), 422);
        assert_eq!(search_text(Some("  Ann ")).unwrap().as_deref(), Some("ann"));
        assert_eq!(search_text(Some("   ")).unwrap(), None);
        assert_eq!(search_text(Some(&"x".repeat(101))).unwrap_err().status(), 422);
        assert_eq!(search_text(Some("a\0b")).unwrap_err().status(), 422);
        assert_eq!(access_filter(Some("")).unwrap(), None);
        assert_eq!(access_filter(Some("manager")).unwrap(), Some(crate::domain::Access::Manager));
        assert!(access_filter(Some("owner")).is_err());
    }
}
