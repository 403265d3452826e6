//! A SCIM filter as SQL: each resource says what its attributes are in SQL ([`Column`]),
//! and this writes the `WHERE` clause with bound values, for either database. Nothing a
//! client sends is ever written into the SQL itself.

use super::{
    error::{ScimError, ScimType},
    filter::{AttrPath, CompareOp, Filter, Literal},
    resource::ListQuery,
};
use crate::{
    server::db::{Db, Dialect},
    with_db,
};

/// A value bound to a placeholder.
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// What an attribute is in SQL.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    /// A text expression; `exact` when comparisons heed case.
    Text { expr: &'static str, exact: bool },
    /// A resource's id.
    Id(&'static str),
    /// A condition that is true or false (`active`).
    Flag(&'static str),
    /// An attribute every resource has, such as `userName`: `pr` is always true.
    Always(&'static Column),
    /// A custom comparison the resource writes itself (`userName eq`, `members.value eq`).
    Custom(Custom),
}

/// The comparisons a resource writes itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Custom {
    /// A user's `userName`: their email, or the provider's name for them.
    UserName,
    /// A group's members, compared by user id.
    Member,
}

/// A `WHERE` clause being written, and its values.
pub struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
    pub dialect: Dialect,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Sql {
        Sql { text: String::new(), binds: Vec::new(), dialect }
    }

    /// Binds `value`, returning its placeholder.
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Writes `filter` as a condition, naming attributes through `column`.
    pub fn filter(
        &mut self,
        filter: &Filter,
        column: &dyn Fn(&AttrPath) -> Result<Column, ScimError>,
    ) -> Result<String, ScimError> {
        Ok(match filter {
            Filter::And(a, b) => format!("({} AND {})", self.filter(a, column)?, self.filter(b, column)?),
            Filter::Or(a, b) => format!("({} OR {})", self.filter(a, column)?, self.filter(b, column)?),
            Filter::Not(inner) => format!("NOT ({})", self.filter(inner, column)?),
            Filter::Present(path) => self.present(column(path)?),
            Filter::Compare(path, op, value) => self.compare(column(path)?, *op, value)?,
            Filter::ValuePath(path, inner) => {
                // `emails[value eq "…"]`, `members[value eq "…"]`: the element's `value` is
                // the attribute's own; no other sub-attribute can be filtered on.
                let rewrite = |sub: &AttrPath| -> Result<Column, ScimError> {
                    if sub.name != "value" || sub.sub.is_some() {
                        return Err(unfilterable(&format!("{}.{}", path.name, sub.name)));
                    }
                    column(&AttrPath { schema: None, name: path.name.clone(), sub: Some("value".into()) })
                };
                self.filter(inner, &rewrite)?
            }
        })
    }

    fn present(&mut self, column: Column) -> String {
        match column {
            Column::Text { expr, .. } => format!("({expr} IS NOT NULL AND {expr} <> '')"),
            Column::Id(_) | Column::Flag(_) | Column::Always(_) => "1 = 1".into(),
            Column::Custom(Custom::UserName) => "1 = 1".into(),
            Column::Custom(Custom::Member) => {
                "EXISTS (SELECT 1 FROM memberships pm WHERE pm.profile_id = p.id)".into()
            }
        }
    }

    fn compare(&mut self, column: Column, op: CompareOp, value: &Literal) -> Result<String, ScimError> {
        match column {
            Column::Always(inner) => self.compare(*inner, op, value),
            Column::Text { expr, exact } => self.text(expr, exact, op, value),
            Column::Id(expr) => Ok(self.id(expr, op, value)),
            Column::Flag(expr) => {
                let Literal::Bool(wanted) = value else {
                    return Err(ScimError::bad(ScimType::InvalidFilter, "That attribute is true or false."));
                };
                match op {
                    CompareOp::Eq if *wanted => Ok(format!("({expr})")),
                    CompareOp::Ne if !*wanted => Ok(format!("({expr})")),
                    CompareOp::Eq | CompareOp::Ne => Ok(format!("NOT ({expr})")),
                    _ => Err(ScimError::bad(ScimType::InvalidFilter, "A boolean is compared with eq or ne.")),
                }
            }
            Column::Custom(Custom::UserName) => self.user_name(op, value),
            Column::Custom(Custom::Member) => {
                let id = self.id("pm.user_id", op, value);
                Ok(format!("EXISTS (SELECT 1 FROM memberships pm WHERE pm.profile_id = p.id AND {id})"))
            }
        }
    }

    fn text(&mut self, expr: &str, exact: bool, op: CompareOp, value: &Literal) -> Result<String, ScimError> {
        let text = match value {
            Literal::String(s) => s.clone(),
            Literal::Null => {
                return match op {
                    CompareOp::Eq => Ok(format!("{expr} IS NULL")),
                    CompareOp::Ne => Ok(format!("{expr} IS NOT NULL")),
                    _ => Err(ScimError::bad(ScimType::InvalidFilter, "null is compared with eq or ne.")),
                }
            }
            _ => {
                return Err(ScimError::bad(
                    ScimType::InvalidFilter,
                    "That attribute is compared with a string.",
                ))
            }
        };
        let like = |sql: &mut Sql, pattern: String| {
            let at = sql.bind(Bind::Text(pattern));
            match (sql.dialect, exact) {
                (Dialect::Postgres, false) => format!("{expr} ILIKE {at} ESCAPE '\\'"),
                (Dialect::Sqlite, false) => format!("{expr} LIKE {at} ESCAPE '\\'"),
                // SQLite's LIKE ignores case; GLOB heeds it, and has no escape but brackets.
                (Dialect::Sqlite, true) => format!("{expr} GLOB {at}"),
                (Dialect::Postgres, true) => format!("{expr} LIKE {at} ESCAPE '\\'"),
            }
        };
        let glob = self.dialect == Dialect::Sqlite && exact;
        let (wild, escaped) = if glob { ("*", glob_escape(&text)) } else { ("%", like_escape(&text)) };
        let (lead, trail) = match op {
            CompareOp::Co => (wild, wild),
            CompareOp::Sw => ("", wild),
            _ => (wild, ""),
        };
        Ok(match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => like(self, format!("{lead}{escaped}{trail}")),
            _ => {
                let sign = match op {
                    CompareOp::Eq => "=",
                    CompareOp::Ne => "<>",
                    CompareOp::Gt => ">",
                    CompareOp::Lt => "<",
                    CompareOp::Ge => ">=",
                    _ => "<=",
                };
                self.equal(expr, exact, sign, text)
            }
        })
    }

    /// `expr sign value`, ignoring case unless `exact`, written so the indexes that ignore
    /// case serve it (`COLLATE NOCASE` on SQLite, `lower(…)` on PostgreSQL).
    fn equal(&mut self, expr: &str, exact: bool, sign: &str, value: String) -> String {
        let at = self.bind(Bind::Text(value));
        match (self.dialect, exact) {
            (_, true) => format!("{expr} {sign} {at}"),
            (Dialect::Sqlite, false) => format!("{expr} {sign} {at} COLLATE NOCASE"),
            (Dialect::Postgres, false) => format!("lower({expr}) {sign} lower({at})"),
        }
    }

    fn id(&mut self, expr: &str, op: CompareOp, value: &Literal) -> String {
        let id = match value {
            Literal::String(s) => s.trim().parse::<i64>().ok(),
            Literal::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            _ => None,
        };
        let sign = match op {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Gt => ">",
            CompareOp::Lt => "<",
            CompareOp::Ge => ">=",
            CompareOp::Le => "<=",
            // An id is a number: no part of one names anything.
            _ => return "1 = 0".into(),
        };
        match id {
            Some(id) => {
                let at = self.bind(Bind::Int(id));
                format!("{expr} {sign} {at}")
            }
            None if op == CompareOp::Ne => "1 = 1".into(),
            None => "1 = 0".into(),
        }
    }

    /// `userName`: the provider's name for the person when it has one, else their email. An
    /// equality goes to the index of the one it can be: a name with an "@" is an email.
    fn user_name(&mut self, op: CompareOp, value: &Literal) -> Result<String, ScimError> {
        let Literal::String(name) = value else {
            return Err(ScimError::bad(ScimType::InvalidFilter, "userName is compared with a string."));
        };
        if op != CompareOp::Eq {
            let column = Column::Text { expr: "COALESCE(u.scim_user_name, u.email)", exact: false };
            return self.compare(column, op, value);
        }
        Ok(if name.contains('@') {
            let email = self.equal("u.email", false, "=", name.clone());
            format!("(u.scim_user_name IS NULL AND {email})")
        } else {
            self.equal("u.scim_user_name", false, "=", name.clone())
        })
    }
}

/// A resource type's list: what a row is, where rows come from, and its attributes in SQL.
pub struct Listing<'a> {
    pub columns: &'a str,
    /// The table and its alias, such as `users u`.
    pub table: &'a str,
    /// The id column, the order after any other.
    pub key: &'a str,
    /// What every listed row is, besides the filter's condition.
    pub scope: &'a str,
    pub column: &'a (dyn Fn(&AttrPath) -> Result<Column, ScimError> + Sync),
}

impl Listing<'_> {
    /// One page of the rows `query` filters, in its order, and how many it filters in all.
    pub async fn page<R>(&self, db: &Db, query: &ListQuery) -> Result<(u64, Vec<R>), ScimError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut sql = Sql::new(db.dialect());
        let condition = match &query.filter {
            Some(filter) => sql.filter(filter, self.column)?,
            None => "1 = 1".into(),
        };
        let order = match query.sort_by.as_ref().map(self.column).transpose()? {
            Some(Column::Text { expr, .. } | Column::Always(&Column::Text { expr, .. })) => expr,
            Some(Column::Custom(Custom::UserName)) => "COALESCE(u.scim_user_name, u.email)",
            _ => self.key,
        };
        let direction = if query.descending { "DESC" } else { "ASC" };
        let from = format!("FROM {} WHERE {} AND ({condition})", self.table, self.scope);
        let count_sql = format!("SELECT COUNT(*) {from}");
        let page_sql = format!(
            "SELECT {} {from} ORDER BY {order} {direction}, {} {direction} LIMIT {} OFFSET {}",
            self.columns,
            self.key,
            query.count,
            query.start - 1
        );
        let binds = sql.binds;
        with_db!(db, |pool| {
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
            let mut page = sqlx::query_as::<_, R>(&page_sql);
            for bind in &binds {
                (count, page) = match bind {
                    Bind::Text(t) => (count.bind(t.clone()), page.bind(t.clone())),
                    Bind::Int(n) => (count.bind(*n), page.bind(*n)),
                };
            }
            let total = count.fetch_one(pool).await?;
            let rows = if query.count == 0 { Vec::new() } else { page.fetch_all(pool).await? };
            Ok((total.max(0) as u64, rows))
        })
    }
}

/// The refusal of a filter on an attribute Roster doesn't search.
pub fn unfilterable(name: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, format!("Roster can't filter by {name}."))
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn glob_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '*' | '?' | '[' | ']' => format!("[{c}]"),
            '%' => "[%]".into(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    fn users(path: &AttrPath) -> Result<Column, ScimError> {
        Ok(match (path.name.as_str(), path.sub.as_deref()) {
            ("username", None) => Column::Custom(Custom::UserName),
            ("externalid", None) => Column::Text { expr: "u.external_id", exact: true },
            ("active", None) => Column::Flag("u.deactivated_at IS NULL"),
            ("id", None) => Column::Id("u.id"),
            _ => return Err(unfilterable(&path.name)),
        })
    }

    fn sql(dialect: Dialect, filter: &str) -> (String, Vec<Bind>) {
        let mut sql = Sql::new(dialect);
        let text = sql.filter(&parse_filter(filter).unwrap(), &users).unwrap();
        (text, sql.binds)
    }

    #[test]
    fn filters_become_bound_sql() {
        let (text, binds) = sql(Dialect::Sqlite, r#"userName eq "Ann@Example.com" and active eq true"#);
        assert_eq!(
            text,
            "((u.scim_user_name IS NULL AND u.email = $1 COLLATE NOCASE) AND (u.deactivated_at IS NULL))"
        );
        assert_eq!(binds, [Bind::Text("Ann@Example.com".into())]);
        let (text, _) = sql(Dialect::Postgres, r#"userName eq "jdoe" or externalId sw "a%""#);
        assert_eq!(text, "(lower(u.scim_user_name) = lower($1) OR u.external_id LIKE $2 ESCAPE '\\')");
        let (_, binds) = sql(Dialect::Postgres, r#"externalId sw "a%""#);
        assert_eq!(binds, [Bind::Text("a\\%%".into())]);
        let (text, binds) = sql(Dialect::Sqlite, r#"externalId co "a*b""#);
        assert_eq!((text.as_str(), binds), ("u.external_id GLOB $1", vec![Bind::Text("*a[*]b*".into())]));
        assert_eq!(sql(Dialect::Sqlite, r#"id eq "x""#).0, "1 = 0");
        assert_eq!(sql(Dialect::Sqlite, r#"not (id eq "7")"#).0, "NOT (u.id = $1)");
        let mut bad = Sql::new(Dialect::Sqlite);
        assert!(bad.filter(&parse_filter(r#"name.givenName eq "A""#).unwrap(), &users).is_err());
    }
}
