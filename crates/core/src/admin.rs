//! `db check`, `db migrate`, `db init`, and opening a platform database safely.

use std::sync::Arc;

use alipay::Clock;
use serde::Serialize;
use sqlx::migrate::Migrator;

use crate::config::StoreConfig;
use crate::db::{Dialect, OpenMode, Query, Store};
use crate::error::{Result, StoreError};
use crate::platform_clock::{self, ClockReport};
use crate::schema::{self, IndexSuggestion, Layout, Note, Problem};

/// Paydesk's migrations bookkeeping table: named paydesk_* like everything else Paydesk adds to a
/// shared database (sqlx's default `_sqlx_migrations` would be a foreign table on the platform DB).
pub const MIGRATIONS_TABLE: &str = "paydesk_migrations";

fn migrator(d: Dialect) -> Migrator {
    let mut m = match d {
        Dialect::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
        Dialect::MySql => sqlx::migrate!("../../migrations/mysql"),
    };
    m.dangerous_set_table_name(MIGRATIONS_TABLE);
    m
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrationState {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

async fn migration_states(store: &Store) -> Result<Vec<MigrationState>> {
    let applied: Vec<i64> = if schema::table_exists(store, MIGRATIONS_TABLE).await? {
        let mut tx = store.begin_read().await?;
        let rows = tx
            .fetch_all(Query::new(format!(
                "SELECT version FROM {MIGRATIONS_TABLE} WHERE success = 1"
            )))
            .await?;
        tx.rollback().await?;
        rows.iter()
            .map(|r| r.i64("version"))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    Ok(migrator(store.dialect())
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| MigrationState {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.contains(&m.version),
        })
        .collect())
}

/// Applies Paydesk's pending migrations (only `paydesk_*` tables). Returns the versions applied now.
pub async fn migrate(store: &Store) -> Result<Vec<i64>> {
    let before: Vec<i64> = migration_states(store)
        .await?
        .iter()
        .filter(|m| m.applied)
        .map(|m| m.version)
        .collect();
    let m = migrator(store.dialect());
    if let Some(p) = store.sqlite_pool() {
        m.run(p).await?;
    } else if let Some(p) = store.mysql_pool() {
        m.run(p).await?;
    }
    Ok(migration_states(store)
        .await?
        .into_iter()
        .filter(|s| s.applied && !before.contains(&s.version))
        .map(|s| s.version)
        .collect())
}

/// What `paydesk db check` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub dialect: &'static str,
    /// Mismatches in the platform tables; empty when Paydesk can work on this database.
    pub problems: Vec<Problem>,
    /// What works differently here: features off for lack of a table, names not shown.
    pub notes: Vec<Note>,
    /// The optional parts found, and the users' display column.
    pub layout: Layout,
    /// How the platform stores datetimes, and how Paydesk knows.
    pub clock: ClockReport,
    /// Indexes Paydesk's queries would benefit from (never created on an existing database).
    pub suggested_indexes: Vec<IndexSuggestion>,
    pub migrations: Vec<MigrationState>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads only: a check never changes the database (no migration, no journal-mode switch).
pub async fn check(store: &Store) -> Result<CheckReport> {
    let found = schema::check_platform_schema(store).await?;
    let suggested_indexes = if found.problems.is_empty() {
        schema::suggest_indexes(store).await?
    } else {
        Vec::new()
    };
    let clock = if found
        .problems
        .iter()
        .any(|p| matches!(p, Problem::MissingTable { .. }))
    {
        // No orders table to look at: say what the profile says.
        ClockReport::from_profile(store.config().use_tz)
    } else {
        platform_clock::settle_clock(store).await?
    };
    Ok(CheckReport {
        dialect: store.dialect().name(),
        problems: found.problems,
        notes: found.notes,
        layout: found.layout,
        clock,
        suggested_indexes,
        migrations: migration_states(store).await?,
    })
}

/// What a command will do with the database it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Browse only: Paydesk's own tables are not created, so reading a database never changes it.
    Read,
    /// Operations: Paydesk's own tables are brought up to date first.
    Write,
}

/// Opens an EXISTING platform database: checks the platform tables (every problem in one error,
/// or "not the platform's" when none is there), settles the platform's clock, works on the
/// layout found (features off where a table is missing) and, to write, brings Paydesk's own
/// tables up to date.
pub async fn open_platform(
    config: &StoreConfig,
    clock: Arc<dyn Clock>,
    access: Access,
) -> Result<Store> {
    let store = Store::connect(config, clock, OpenMode::MustExist).await?;
    let found = schema::check_platform_schema(&store).await?;
    let problems: Vec<Problem> = found
        .problems
        .into_iter()
        // An earlier Paydesk's fen layout: converted by `migrate` below (backup first) when this
        // open is for writing; a read must not change the file, so it is refused then.
        .filter(|p| !(access == Access::Write && matches!(p, Problem::FenMoney { .. })))
        .collect();
    schema::problems_to_error(&store, problems)?;
    platform_clock::settle_clock(&store).await?;
    let ready = match access {
        Access::Write => {
            crate::fen_layout::convert_if_needed(&store).await?;
            migrate(&store).await?;
            true
        }
        Access::Read => migration_states(&store).await?.iter().all(|m| m.applied),
    };
    Ok(store.with_layout(&found.layout).with_paydesk_tables(ready))
}

/// Creates a NEW database: the platform tables (as Django would), Paydesk's indexes on them and
/// Paydesk's own tables. Refuses a database that already has any platform table, so it can never
/// touch a live platform database.
pub async fn init_new(config: &StoreConfig, clock: Arc<dyn Clock>) -> Result<Store> {
    let store = Store::connect(config, clock, OpenMode::CreateIfMissing).await?;
    let existing = schema::existing_platform_tables(&store).await?;
    if !existing.is_empty() {
        let names: Vec<&str> = existing.iter().map(|r| r.table(&store)).collect();
        return Err(StoreError::Config(format!(
            "this database already has platform tables ({}): open it as an existing database instead of creating one",
            names.join(", ")
        )));
    }
    schema::create_platform_tables(&store).await?;
    migrate(&store).await?;
    Ok(store)
}
