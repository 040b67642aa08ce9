//! The store's error type and the one error [`ErrorKind`] both front ends map from.
//!
//! Driver text stays in `Db`'s source (logged by callers, never in its sentence); every variant's
//! `Display` is a sentence an operator can act on.

use serde::{Deserialize, Serialize};

use crate::schema::SchemaReport;

/// What went wrong, as a consumer acts on it. One list for both front ends: the app sends it over
/// IPC as the error code (and the UI picks its advice by it), the CLI turns it into an exit code.
/// Only kinds a consumer treats differently exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The order, grant, run … named does not exist.
    NotFound,
    /// Bad input or settings: fix them and run again; nothing was changed.
    InvalidInput,
    /// The record is not in a state that allows it, or someone else changed it at the same
    /// moment: refresh and look before trying again.
    Conflict,
    /// The operator stopped it; nothing was stored.
    Cancelled,
    /// A production action needs the operator to type what it acts on.
    ConfirmationRequired,
    /// Alipay answered with a refusal or could not be reached before anything was sent.
    Gateway,
    /// What claims to come from Alipay does not verify.
    Signature,
    /// A gateway call may or may not have happened: resolve it before repeating (money).
    UnknownOutcome,
    /// The database (or another service) did not answer: try again when it is back.
    Unavailable,
    /// A fault the operator cannot fix; details are in the log.
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::NotFound,
        ErrorKind::InvalidInput,
        ErrorKind::Conflict,
        ErrorKind::Cancelled,
        ErrorKind::ConfirmationRequired,
        ErrorKind::Gateway,
        ErrorKind::Signature,
        ErrorKind::UnknownOutcome,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
    ];

    /// The wire name (IPC code, the CLI's `--json` `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::ConfirmationRequired => "confirmation_required",
            ErrorKind::Gateway => "gateway",
            ErrorKind::Signature => "signature",
            ErrorKind::UnknownOutcome => "unknown_outcome",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a driver error reads to an operator. A unique key or a lock refusing a write means two
/// operators acted on one record at once (the guard worked: the loser changed nothing); a dropped
/// or exhausted connection means the server is away. Anything else is internal.
fn classify_db(e: &sqlx::Error) -> ErrorKind {
    match e {
        sqlx::Error::Database(d) => {
            if d.is_unique_violation() {
                return ErrorKind::Conflict;
            }
            // MySQL/MariaDB: 1205 lock wait timeout, 1213 deadlock. SQLite: 5 busy, 6 locked.
            match d.code().as_deref() {
                Some("1205" | "1213" | "40001" | "5" | "6" | "517" | "261") => ErrorKind::Conflict,
                _ => ErrorKind::Internal,
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

fn db_sentence(context: &str, source: &sqlx::Error) -> String {
    match classify_db(source) {
        ErrorKind::Conflict => format!(
            "someone else changed the same record at this moment (while trying to {context}); \
             nothing was changed here: refresh and look before trying again"
        ),
        ErrorKind::Unavailable => format!(
            "the database did not answer (while trying to {context}): check that it is running \
             and reachable, then try again"
        ),
        _ => format!("database error while trying to {context} (details in the log)"),
    }
}

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
    /// The sentence never carries driver text (SQL, keys of rows): that is in `source`, for logs.
    #[error("{}", db_sentence(context, source))]
    Db {
        context: String,
        #[source]
        source: sqlx::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Config(_)
            | StoreError::Schema(_)
            | StoreError::NotPlatform { .. }
            | StoreError::InvalidInput(_) => ErrorKind::InvalidInput,
            StoreError::Connect { .. } => ErrorKind::Unavailable,
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Migrate(_) | StoreError::Corrupt(_) => ErrorKind::Internal,
            StoreError::Db { source, .. } => classify_db(source),
        }
    }

    /// The driver's own words, for the log and for `--verbose` output; never for the UI.
    pub fn detail(&self) -> Option<String> {
        match self {
            StoreError::Db { source, .. } | StoreError::Connect { source, .. } => {
                Some(source.to_string())
            }
            StoreError::Migrate(e) => Some(e.to_string()),
            _ => None,
        }
    }
}

/// `.context(..)` for sqlx results, so each failing step names what it was doing.
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
