//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2), read into a tree.
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
//! valuePath = attrPath "[" FILTER "]"
//! attrExp   = attrPath "pr" / attrPath compareOp compValue
//! compValue = false / null / true / number / string
//! ```
//!
//! Operators and attribute names are case-insensitive; `not` binds tighter than `and`,
//! which binds tighter than `or`. What a filter may name, and how it becomes SQL, is the
//! resource's business: this only reads it, and refuses what isn't a filter with the
//! `invalidFilter` error the RFC names.

/// An attribute's path: `userName`, `name.familyName`,
/// `urn:ietf:params:scim:schemas:core:2.0:User:userName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN, when the path names one.
    pub schema: Option<String>,
    /// The attribute, lower-cased.
    pub name: String,
    /// The sub-attribute, lower-cased.
    pub sub: Option<String>,
}

/// A comparison's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

/// A literal a filter compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Compare(AttrPath, CompareOp, Literal),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: an element of a multi-valued attribute that matches.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH operation's path: `members`, `name.givenName`, `members[value eq "2"]`,
/// `emails[type eq "work"].value`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// After a value filter: the sub-attribute of the matching elements.
    pub sub: Option<String>,
}

/// Why a filter or path can't be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

/// Reads `text` as a filter.
pub fn parse_filter(text: &str) -> Result<Filter, Invalid> {
    let mut reader = Reader { tokens: tokenize(text)?, at: 0 };
    let filter = reader.or()?;
    match reader.peek() {
        None => Ok(filter),
        Some(token) => Err(Invalid(format!("Unexpected {token:?} in the filter."))),
    }
}

/// Reads `text` as a PATCH operation's path.
pub fn parse_path(text: &str) -> Result<PatchPath, Invalid> {
    let (head, rest) = match text.find('[') {
        Some(open) => (&text[..open], Some(&text[open..])),
        None => (text, None),
    };
    let attr = attr_path(head.trim())?;
    let Some(rest) = rest else { return Ok(PatchPath { attr, filter: None, sub: None }) };
    let close = rest.rfind(']').ok_or_else(|| Invalid("A value filter's \"[\" is never closed.".into()))?;
    let filter = parse_filter(&rest[1..close])?;
    let sub = match rest[close + 1..].trim() {
        "" => None,
        tail => match tail.strip_prefix('.') {
            Some(sub) if is_name(sub) => Some(sub.to_ascii_lowercase()),
            _ => return Err(Invalid(format!("\"{tail}\" after a value filter is not a sub-attribute."))),
        },
    };
    Ok(PatchPath { attr, filter: Some(filter), sub })
}

fn is_name(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

/// `text` as an attribute path: an optional URN up to its last `:`, a name, a sub-attribute.
fn attr_path(text: &str) -> Result<AttrPath, Invalid> {
    let (schema, local) = match text.rfind(':') {
        Some(colon) if text.to_ascii_lowercase().starts_with("urn:") => {
            (Some(text[..colon].to_owned()), &text[colon + 1..])
        }
        _ => (None, text),
    };
    let (name, sub) = match local.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (local, None),
    };
    if !is_name(name) || sub.is_some_and(|s| !is_name(s)) {
        return Err(Invalid(format!("\"{text}\" is not an attribute.")));
    }
    Ok(AttrPath { schema, name: name.to_ascii_lowercase(), sub: sub.map(|s| s.to_ascii_lowercase()) })
}

fn tokenize(text: &str) -> Result<Vec<Token>, Invalid> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => tokens.push(Token::Text(string(text, at, &mut chars)?)),
            _ => {
                let mut end = at;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || "()[]\"".contains(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let word = &text[at..end];
                let number = word.starts_with(|c: char| c.is_ascii_digit() || c == '-');
                tokens.push(match word.parse::<f64>() {
                    Ok(n) if number => Token::Number(n),
                    _ => Token::Word(word.to_owned()),
                });
            }
        }
    }
    Ok(tokens)
}

/// A JSON string starting at `start` (its opening quote), read to its closing quote.
fn string(
    text: &str,
    start: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<String, Invalid> {
    chars.next();
    let mut escaped = false;
    for (i, c) in chars.by_ref() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                return serde_json::from_str(&text[start..=i])
                    .map_err(|_| Invalid("A string in the filter is not valid JSON.".into()));
            }
            _ => escaped = false,
        }
    }
    Err(Invalid("A string in the filter is never closed.".into()))
}

struct Reader {
    tokens: Vec<Token>,
    at: usize,
}

impl Reader {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, Invalid> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.next();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, Invalid> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, Invalid> {
        if self.keyword("not") {
            self.next();
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.peek() == Some(&Token::Open) {
            return self.group();
        }
        self.expression()
    }

    fn group(&mut self) -> Result<Filter, Invalid> {
        if self.next() != Some(Token::Open) {
            return Err(Invalid("\"not\" takes a filter in parentheses.".into()));
        }
        let inner = self.or()?;
        match self.next() {
            Some(Token::Close) => Ok(inner),
            _ => Err(Invalid("A \"(\" is never closed.".into())),
        }
    }

    fn expression(&mut self) -> Result<Filter, Invalid> {
        let Some(Token::Word(word)) = self.next() else {
            return Err(Invalid("The filter is missing an attribute.".into()));
        };
        let path = attr_path(&word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(Invalid("A \"[\" is never closed.".into()));
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let Some(Token::Word(op)) = self.next() else {
            return Err(Invalid(format!("\"{word}\" is missing its operator.")));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "lt" => CompareOp::Lt,
            "ge" => CompareOp::Ge,
            "le" => CompareOp::Le,
            _ => return Err(Invalid(format!("\"{op}\" is not an operator."))),
        };
        let value = match self.next() {
            Some(Token::Text(text)) => Literal::String(text),
            Some(Token::Number(n)) => Literal::Number(n),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(Invalid(format!("\"{word}\" is compared with nothing a filter can hold."))),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str) -> AttrPath {
        AttrPath { schema: None, name: name.into(), sub: None }
    }

    fn eq(name: &str, value: &str) -> Filter {
        Filter::Compare(path(name), CompareOp::Eq, Literal::String(value.into()))
    }

    #[test]
    fn what_identity_providers_send() {
        assert_eq!(
            parse_filter(r#"userName eq "ann@example.com""#).unwrap(),
            eq("username", "ann@example.com")
        );
        assert_eq!(parse_filter(r#"externalId Eq "a\"b""#).unwrap(), eq("externalid", "a\"b"));
        assert_eq!(parse_filter("displayName pr").unwrap(), Filter::Present(path("displayname")));
        assert_eq!(
            parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap(),
            Filter::ValuePath(
                path("emails"),
                Box::new(Filter::And(
                    Box::new(eq("type", "work")),
                    Box::new(Filter::Compare(
                        path("value"),
                        CompareOp::Co,
                        Literal::String("@example.com".into())
                    )),
                )),
            )
        );
        let urn =
            parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName sw "Le""#).unwrap();
        let Filter::Compare(attr, CompareOp::Sw, _) = urn else { panic!("{urn:?}") };
        assert_eq!(attr.schema.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
        assert_eq!((attr.name.as_str(), attr.sub.as_deref()), ("name", Some("familyname")));
        assert_eq!(
            parse_filter("active eq False").unwrap(),
            Filter::Compare(path("active"), CompareOp::Eq, Literal::Bool(false))
        );
    }

    #[test]
    fn not_binds_before_and_before_or() {
        let read = parse_filter(r#"a eq "1" or b eq "2" and not (c eq "3")"#).unwrap();
        let expected = Filter::Or(
            Box::new(eq("a", "1")),
            Box::new(Filter::And(Box::new(eq("b", "2")), Box::new(Filter::Not(Box::new(eq("c", "3")))))),
        );
        assert_eq!(read, expected);
        let grouped = parse_filter(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap();
        assert!(matches!(grouped, Filter::And(..)));
    }

    #[test]
    fn what_is_not_a_filter_is_refused() {
        for bad in [
            "",
            "userName",
            r#"userName xx "a""#,
            r#"userName eq"#,
            r#"(a eq "1""#,
            r#"a eq "open"#,
            "a eq b",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad:?} was read");
        }
    }

    #[test]
    fn patch_paths() {
        assert_eq!(
            parse_path("members").unwrap(),
            PatchPath { attr: path("members"), filter: None, sub: None }
        );
        let member = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert_eq!(member.filter, Some(eq("value", "2819c223")));
        let sub = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(sub.sub.as_deref(), Some("value"));
        assert_eq!(parse_path("name.givenName").unwrap().attr.sub.as_deref(), Some("givenname"));
        assert!(parse_path(r#"members[value eq "2""#).is_err());
        assert!(parse_path("members]").is_err());
    }
}
