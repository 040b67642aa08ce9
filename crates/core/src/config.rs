//! `StoreConfig`: where the database is and what the platform's tables are called there. Meant to
//! be embedded in the profile TOML (`[store]`); every field has the default of PLATFORM.md.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::ident::Ident;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `mysql://user:pass@host:port/db`, `sqlite:///abs/path.sqlite`, or a plain file path (SQLite).
    pub database: String,
    #[serde(default)]
    pub tables: TableNames,
    /// Some copies of the site spell BaseModel's flag `is_delete`.
    #[serde(default)]
    pub deleted_column: DeletedColumn,
    /// Column names that differ from the models Paydesk knows (`[columns.users] name = "nickname"`).
    #[serde(default)]
    pub columns: ColumnNames,
    /// How the platform stores datetimes, as Django's `USE_TZ`: `false` (the course's settings) is
    /// naive Beijing time, `true` (Django's default) is naive UTC. Unset: detected when the
    /// database is opened (see `db check`), Beijing time when nothing tells.
    #[serde(default)]
    pub use_tz: Option<bool>,
    /// The site's coupon Redis (`redis://host:port/5`; DB 5 in the course's settings). The site
    /// lists a user's coupons only from there, so a coupon Paydesk gives back (close, expire) is
    /// written back as the site writes it, and one a late settle uses again is removed.
    #[serde(default)]
    pub redis: Option<String>,
    /// Pool size; SQLite writes are serialised anyway, so a handful is plenty.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// How long a SQLite writer waits for the file lock before failing.
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u64,
}

fn default_max_connections() -> u32 {
    8
}
fn default_busy_timeout_ms() -> u64 {
    10_000
}

impl StoreConfig {
    pub fn new(database: impl Into<String>) -> Self {
        StoreConfig {
            database: database.into(),
            tables: TableNames::default(),
            deleted_column: DeletedColumn::default(),
            columns: ColumnNames::default(),
            use_tz: None,
            redis: None,
            max_connections: default_max_connections(),
            busy_timeout_ms: default_busy_timeout_ms(),
        }
    }

    /// Which backend the `database` string names.
    pub fn target(&self) -> Result<Target> {
        let s = self.database.trim();
        if s.is_empty() {
            return Err(StoreError::Config(
                "`database` is empty: give a SQLite file path or a mysql:// URL".into(),
            ));
        }
        if s.starts_with("mysql://") || s.starts_with("mariadb://") {
            // sqlx only knows the mysql scheme; MariaDB speaks the same protocol.
            return Ok(Target::MySql(s.replacen("mariadb://", "mysql://", 1)));
        }
        if let Some(rest) = s.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() {
                return Err(StoreError::Config(format!("{s:?} names no SQLite file")));
            }
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(StoreError::Config(format!(
                "unsupported database URL {:?}: use mysql://… (MySQL/MariaDB) or a SQLite file path",
                redact_url(s)
            )));
        }
        Ok(Target::Sqlite(PathBuf::from(s)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    MySql(String),
}

/// Hides the password of a URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DeletedColumn {
    #[default]
    #[serde(rename = "is_deleted")]
    IsDeleted,
    #[serde(rename = "is_delete")]
    IsDelete,
}

impl DeletedColumn {
    pub fn name(self) -> &'static str {
        match self {
            DeletedColumn::IsDeleted => "is_deleted",
            DeletedColumn::IsDelete => "is_delete",
        }
    }
}

/// Columns whose name differs between copies of the site. Only the ones that are known to
/// differ are mappable; each defaults to the name in the seed's models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnNames {
    pub users: UserColumns,
    pub order: OrderColumns,
    pub credit: CreditColumns,
}

/// `[columns.users]`: the display name is `nickname` in some copies. Only displayed, so a site
/// without either column still works (`db check` says the name is not shown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserColumns {
    pub name: Option<Ident>,
}

/// `[columns.order]`: the order's title is `order_title` in some copies (BaseModel's `name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderColumns {
    pub name: Option<Ident>,
}

/// `[columns.credit]`: the ledger's operation is `opera` in some copies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreditColumns {
    pub operation: Option<Ident>,
}

/// The platform's table names (Django `db_table`s). Validated identifiers: see [`Ident`].
/// Exported to the UI's TypeScript, so the Settings form can only send the keys read here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct TableNames {
    pub users: Ident,
    pub credit: Ident,
    pub course: Ident,
    pub order: Ident,
    pub order_course: Ident,
    pub coupon: Ident,
    pub coupon_log: Ident,
    pub user_course: Ident,
}

impl Default for TableNames {
    fn default() -> Self {
        let i = |s: &str| Ident::new(s).expect("default table names are valid identifiers");
        TableNames {
            users: i("fg_users"),
            credit: i("fg_credit"),
            course: i("fg_course_info"),
            order: i("ly_order"),
            order_course: i("ly_order_course"),
            coupon: i("ly_coupon"),
            coupon_log: i("ly_coupon_log"),
            user_course: i("ly_user_course"),
        }
    }
}

impl TableNames {
    pub fn all(&self) -> [(&'static str, &Ident); 8] {
        [
            ("users", &self.users),
            ("credit", &self.credit),
            ("course", &self.course),
            ("order", &self.order),
            ("order_course", &self.order_course),
            ("coupon", &self.coupon),
            ("coupon_log", &self.coupon_log),
            ("user_course", &self.user_course),
        ]
    }

    /// Two roles mapped to one table would make every query wrong in a way no check catches later.
    pub fn validate(&self) -> Result<()> {
        let all = self.all();
        for (i, (role_a, a)) in all.iter().enumerate() {
            if a.as_str().starts_with("paydesk_") {
                return Err(StoreError::Config(format!(
                    "table name {a} for `{role_a}` uses the prefix paydesk_, reserved for Paydesk's own tables"
                )));
            }
            for (role_b, b) in &all[i + 1..] {
                if a == b {
                    return Err(StoreError::Config(format!(
                        "tables `{role_a}` and `{role_b}` are both configured as {a}"
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_names_and_spelling_and_rejects_bad_names() {
        #[derive(Deserialize)]
        struct Profile {
            store: StoreConfig,
        }
        let p: Profile = toml_like(
            r#"{"store": {"database": "/tmp/x.sqlite", "tables": {"order": "orders_order"}, "deleted_column": "is_delete"}}"#,
        );
        assert_eq!(p.store.tables.order.as_str(), "orders_order");
        assert_eq!(p.store.tables.users.as_str(), "fg_users");
        assert_eq!(p.store.deleted_column.name(), "is_delete");
        let bad = serde_json::from_str::<StoreConfig>(
            r#"{"database": "x", "tables": {"order": "ly_order; drop"}}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("may only contain"));
    }

    fn toml_like<T: for<'de> Deserialize<'de>>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn targets_and_redaction() {
        assert_eq!(
            StoreConfig::new("/a/b.sqlite").target().unwrap(),
            Target::Sqlite("/a/b.sqlite".into())
        );
        assert_eq!(
            StoreConfig::new("mariadb://u:p@127.0.0.1:33306/x")
                .target()
                .unwrap(),
            Target::MySql("mysql://u:p@127.0.0.1:33306/x".into())
        );
        assert!(StoreConfig::new("postgres://x").target().is_err());
        assert!(StoreConfig::new("  ").target().is_err());
        assert_eq!(
            redact_url("mysql://u:secret@h:1/db"),
            "mysql://u:***@h:1/db"
        );
    }

    #[test]
    fn duplicate_roles_are_refused() {
        let t = TableNames {
            credit: Ident::new("fg_users").unwrap(),
            ..Default::default()
        };
        assert!(
            t.validate()
                .unwrap_err()
                .to_string()
                .contains("both configured as fg_users")
        );
        let t = TableNames {
            order: Ident::new("paydesk_orders").unwrap(),
            ..Default::default()
        };
        assert!(t.validate().is_err());
    }
}
