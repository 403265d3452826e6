//! Typed ids and validated values, parsed by the same code in the browser and on the server.
//!
//! The browser runs each `parse` for instant feedback; the server always parses again.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A closed set whose values are stored and sent as text: each value's text is written once,
/// here, and serves serde (the wire), sqlx (the database: bind it, decode it) and `parse` (a
/// form's field, answered with `$field`'s error `$invalid` when it isn't one of them).
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$doc:meta])*
        pub enum $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }
        invalid: ($field:literal, $invalid:literal)
    ) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::error::AppError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::AppError::invalid($field, $invalid)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "ssr")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::parse(text).map_err(|_| format!("{text:?} is no {}", stringify!($name)).into())
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }
    };
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user's primary key.
    UserId
);
impl UserId {
    /// No account's id (keys start at 1): whom a service token acts for, which is no one.
    pub const NO_ONE: UserId = UserId(0);
}

id_type!(
    /// A role's primary key.
    RoleId
);
id_type!(
    /// A shared profile's primary key.
    ProfileId
);

/// The signed-in user as every page and every check sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionUser {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    /// Whether this session's password was given within the last `recent_password_minutes`
    /// (a setting): changes that hand out or take away power ask for it again otherwise
    /// (`crate::reauth`).
    pub password_recent: bool,
}

/// A moment in UTC, as the database stores it.
///
/// On SQLite it is fixed-width ISO-8601 text with milliseconds (the format of the schema's
/// defaults), so that text order is time order and a value read back compares equal when
/// bound again, as keyset cursors need. On PostgreSQL it is a plain `timestamptz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub chrono::DateTime<chrono::Utc>);

impl Timestamp {
    /// This moment.
    #[cfg(feature = "ssr")]
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now())
    }

    /// The same instant as a whole number of microseconds, for cursors.
    pub fn micros(&self) -> i64 {
        self.0.timestamp_micros()
    }

    pub fn from_micros(micros: i64) -> Option<Self> {
        chrono::DateTime::from_timestamp_micros(micros).map(Timestamp)
    }

    /// "2026-11-22", for tables.
    pub fn date(&self) -> String {
        let mut out = String::with_capacity(10);
        self.push_date(&mut out);
        out
    }

    /// "2026-11-22 14:03 UTC", to the minute, its time zone named.
    pub fn minute(&self) -> String {
        let mut out = String::with_capacity(20);
        self.push_minute(&mut out);
        out
    }

    /// Appends "2026-11-22". Written digit by digit: pages show dozens of these, and
    /// chrono's `format` reads its pattern again for each one.
    pub fn push_date(&self, out: &mut String) {
        use chrono::Datelike;
        let day = self.0.date_naive();
        push_padded(out, day.year().into(), 4);
        for part in [day.month(), day.day()] {
            out.push('-');
            push_padded(out, part.into(), 2);
        }
    }

    /// Appends "2026-11-22 14:03 UTC", as `minute`.
    pub fn push_minute(&self, out: &mut String) {
        self.push_date(out);
        out.push(' ');
        self.push_time(out, false);
        out.push_str(" UTC");
    }

    /// Appends "2026-11-22T14:03:09Z", for a `<time datetime>`.
    pub fn push_iso(&self, out: &mut String) {
        self.push_date(out);
        out.push('T');
        self.push_time(out, true);
        out.push('Z');
    }

    /// Appends "14:03", or "14:03:09" with `seconds`.
    fn push_time(&self, out: &mut String, seconds: bool) {
        use chrono::Timelike;
        let parts = [self.0.hour(), self.0.minute(), self.0.second()];
        for (i, part) in parts.into_iter().take(if seconds { 3 } else { 2 }).enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_padded(out, part.into(), 2);
        }
    }
}

/// Appends `n` in decimal, with leading zeros up to `width` digits.
fn push_padded(out: &mut String, n: i64, width: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(digits);
}

#[cfg(feature = "ssr")]
mod timestamp_sql {
    use chrono::{DateTime, Utc};
    use sqlx::{
        encode::IsNull, error::BoxDynError, postgres::PgTypeInfo, sqlite::SqliteTypeInfo, Decode, Encode,
        Postgres, Sqlite, Type,
    };

    use super::Timestamp;

    /// Matches `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` in migrations/sqlite.
    const SQLITE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

    impl Type<Sqlite> for Timestamp {
        fn type_info() -> SqliteTypeInfo {
            <String as Type<Sqlite>>::type_info()
        }
        fn compatible(ty: &SqliteTypeInfo) -> bool {
            <DateTime<Utc> as Type<Sqlite>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, Sqlite> for Timestamp {
        fn encode_by_ref(
            &self,
            buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer<'q>,
        ) -> Result<IsNull, BoxDynError> {
            Encode::<Sqlite>::encode(self.0.format(SQLITE_FORMAT).to_string(), buf)
        }
    }

    impl<'r> Decode<'r, Sqlite> for Timestamp {
        fn decode(value: <Sqlite as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(Timestamp(<DateTime<Utc> as Decode<Sqlite>>::decode(value)?))
        }
    }

    impl Type<Postgres> for Timestamp {
        fn type_info() -> PgTypeInfo {
            <DateTime<Utc> as Type<Postgres>>::type_info()
        }
    }

    impl<'q> Encode<'q, Postgres> for Timestamp {
        fn encode_by_ref(
            &self,
            buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer<'q>,
        ) -> Result<IsNull, BoxDynError> {
            Encode::<Postgres>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for Timestamp {
        fn decode(value: <Postgres as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(Timestamp(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
        }
    }
}

/// An email address, trimmed and lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let invalid = |msg: &str| Err(AppError::invalid("email", msg));
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return invalid("Enter your email address.");
        }
        if email.chars().count() > Self::MAX_LEN {
            return invalid("That email address is too long.");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("Enter an email address like name@example.com.");
        };
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return invalid("Enter an email address like name@example.com.");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a person is shown to others: 1 to 100 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::invalid("display_name", "Enter your name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "display_name",
                format!("Keep your name to {} characters or fewer.", Self::MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid("display_name", "Your name has characters we can't show."));
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as lists sort and search it: in lower case, Unicode and all, folded here
    /// rather than by either database so that both order and match it alike.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trimmed free text of at most `max` characters; `required` refuses an empty one.
pub fn bounded_text(
    field: &str,
    label: &str,
    raw: &str,
    max: usize,
    required: bool,
) -> Result<String, AppError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(AppError::invalid(field, format!("Enter a {label}.")));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(field, format!("Keep the {label} to {max} characters or fewer.")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(AppError::invalid(field, format!("The {label} has characters we can't show.")));
    }
    Ok(text.to_owned())
}

crate::text_enum! {
    /// In what capacity someone is on a profile.
    pub enum Access {
        Manager = "manager",
        Member = "member",
    }
    invalid: ("access", "Choose manager or member.")
}

impl Access {
    pub fn label(self) -> &'static str {
        match self {
            Access::Manager => "Manager",
            Access::Member => "Member",
        }
    }
}

/// A new password. Never serialized and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Hashing cost grows with length, so an attacker can't send megabytes to hash.
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("Use at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "password",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_chrono_would_write_them() {
        for micros in [0, 1_764_000_000_123_456, 1_767_225_599_999_999, 253_402_300_799_000_000] {
            let at = Timestamp::from_micros(micros).unwrap();
            assert_eq!(at.date(), at.0.format("%Y-%m-%d").to_string());
            assert_eq!(at.minute(), at.0.format("%Y-%m-%d %H:%M UTC").to_string());
            let mut iso = String::new();
            at.push_iso(&mut iso);
            assert_eq!(iso, at.0.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        let early = Timestamp::from_micros(-62_135_596_800_000_000).unwrap(); // 0001-01-01
        assert_eq!(early.minute(), "0001-01-01 00:00 UTC");
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_email_field() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@example..com",
            "ada@.example.com",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.field(), Some("email"), "{bad}");
        }
    }

    #[test]
    fn overlong_email_is_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok(), "counts characters, not bytes");
        assert!(DisplayName::parse("Ada\u{0}").is_err());
    }

    #[test]
    fn password_needs_eight_characters_and_keeps_spaces() {
        assert_eq!(Password::parse("short").unwrap_err().field(), Some("password"));
        assert_eq!(Password::parse(" 1234567").unwrap().expose(), " 1234567");
        assert!(Password::parse(&"x".repeat(257)).is_err());
    }

    #[test]
    fn bounded_text_trims_requires_and_limits() {
        assert_eq!(bounded_text("name", "name", "  Team A ", 10, true).unwrap(), "Team A");
        assert_eq!(bounded_text("name", "name", "  ", 10, true).unwrap_err().field(), Some("name"));
        assert_eq!(bounded_text("d", "description", "", 10, false).unwrap(), "");
        assert!(bounded_text("d", "description", &"x".repeat(11), 10, false).is_err());
        assert!(bounded_text("d", "description", "line\nbreak", 20, false).is_ok());
    }

    #[test]
    fn access_is_manager_or_member() {
        assert_eq!(Access::parse("manager").unwrap(), Access::Manager);
        assert_eq!(Access::parse("owner").unwrap_err().field(), Some("access"));
    }

    #[test]
    fn password_debug_never_shows_the_secret() {
        let pw = Password::parse("correct horse").unwrap();
        assert!(!format!("{pw:?}").contains("horse"));
    }
}
