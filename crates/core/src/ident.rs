//! SQL identifiers that come from configuration (table names, the `is_deleted` spelling). They are
//! interpolated into SQL text, so they are validated once, here, and quoted per dialect.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::db::Dialect;

/// A table or column name: ASCII letters, digits and `_`, not starting with a digit, ≤ 64 chars
/// (MySQL's limit). Anything else is refused rather than escaped, so no configured name can ever
/// change the meaning of a statement.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[serde(try_from = "String", into = "String")]
pub struct Ident(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("empty SQL name")]
    Empty,
    #[error("SQL name {0:?} is longer than 64 characters")]
    TooLong(String),
    #[error("SQL name {0:?} starts with a digit")]
    LeadingDigit(String),
    #[error("SQL name {0:?} may only contain ASCII letters, digits and '_'")]
    BadChar(String),
}

impl Ident {
    pub fn new(s: &str) -> Result<Self, IdentError> {
        if s.is_empty() {
            return Err(IdentError::Empty);
        }
        if s.len() > 64 {
            return Err(IdentError::TooLong(s.to_string()));
        }
        if s.as_bytes()[0].is_ascii_digit() {
            return Err(IdentError::LeadingDigit(s.to_string()));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(IdentError::BadChar(s.to_string()));
        }
        Ok(Ident(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Quoted for the dialect. Validation already excludes the quote characters, so no escaping.
    pub fn quoted(&self, d: Dialect) -> String {
        match d {
            Dialect::MySql => format!("`{}`", self.0),
            Dialect::Sqlite => format!("\"{}\"", self.0),
        }
    }
}

impl TryFrom<String> for Ident {
    type Error = IdentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Ident::new(&s)
    }
}

impl From<Ident> for String {
    fn from(i: Ident) -> String {
        i.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ident({})", self.0)
    }
}

/// Quotes a fixed column name known at compile time (platform column names such as `condition`).
pub fn q(d: Dialect, name: &str) -> String {
    match d {
        Dialect::MySql => format!("`{name}`"),
        Dialect::Sqlite => format!("\"{name}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_platform_names_and_quotes_per_dialect() {
        let i = Ident::new("ly_order").unwrap();
        assert_eq!(i.quoted(Dialect::MySql), "`ly_order`");
        assert_eq!(i.quoted(Dialect::Sqlite), "\"ly_order\"");
    }

    #[test]
    fn refuses_anything_that_could_escape_a_quote() {
        assert_eq!(Ident::new(""), Err(IdentError::Empty));
        assert!(matches!(
            Ident::new("ly_order`; DROP TABLE x"),
            Err(IdentError::BadChar(_))
        ));
        assert!(matches!(Ident::new("a\"b"), Err(IdentError::BadChar(_))));
        assert!(matches!(Ident::new("订单"), Err(IdentError::BadChar(_))));
        assert!(matches!(
            Ident::new("1order"),
            Err(IdentError::LeadingDigit(_))
        ));
        assert!(matches!(
            Ident::new(&"a".repeat(65)),
            Err(IdentError::TooLong(_))
        ));
    }
}
