//! The store's error type. Driver text stays in `Db` (logged by callers, not shown to users as-is);
//! every other variant is a sentence an operator can act on.

use crate::schema::SchemaReport;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid store configuration: {0}")]
    Config(String),
    #[error("cannot open the database {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{0}")]
    Schema(SchemaReport),
    #[error(
        "this database does not look like the Luffycity platform's: none of the configured tables \
         ({tables}) exist. Create a new database with `paydesk db init`, or fix the table names \
         in the profile"
    )]
    NotPlatform { tables: String },
    #[error("migrating Paydesk's tables failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
    #[error("database error while trying to {context}: {source}")]
    Db {
        context: String,
        #[source]
        source: sqlx::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// zero2prod's `.context(..)` for sqlx results, so each failing step names what it was doing.
pub trait DbContext<T> {
    fn context(self, what: impl Into<String>) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, sqlx::Error> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|source| StoreError::Db {
            context: what.into(),
            source,
        })
    }
}
