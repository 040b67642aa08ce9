//! The two backends behind one `Store` (Atuin style): a SQLite file or a MySQL/MariaDB server.
//!
//! SQL text is shared (both take `?` placeholders; identifiers are quoted per [`Dialect`]); what
//! differs is how money and datetimes travel, and that lives only in [`Val`] binding and [`Row`]
//! decoding:
//! - money: `decimal(10,2)` ↔ `Decimal` on MySQL; **integer fen** on SQLite. SQLite has no exact
//!   decimal (a `decimal` column has NUMERIC affinity and stores 0.10 as a binary float); TEXT would
//!   be exact but compares as text (`"9.00" > "10.00"`), breaking amount ranges and sums. Integer fen is
//!   exact, orders and sums correctly, and converts losslessly at this boundary only.
//! - datetimes: naive Asia/Shanghai. MySQL `datetime(6)`; SQLite TEXT `YYYY-MM-DD HH:MM:SS.ffffff`
//!   (fixed width, so text order is time order and range filters use the index).
//!
//! Use cases own their transaction ([`Store::begin_write`]) and pass `&mut Tx` to small named query
//! functions (zero2prod style); sqlx types never leave this module.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use alipay::Clock;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, MySql, Row as _, Sqlite, Transaction};

use crate::config::{StoreConfig, Target, redact_url};
use crate::error::{DbContext, Result, StoreError};
use crate::ident::q;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    MySql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }

    /// Most bind parameters one statement may carry (SQLite ≥ 3.32: 32766; MySQL: 65535), with margin.
    pub fn max_params(self) -> usize {
        match self {
            Dialect::Sqlite => 32_000,
            Dialect::MySql => 60_000,
        }
    }
}

/// Quoted names of the configured platform tables and the `is_deleted`/`is_delete` column.
#[derive(Debug, Clone)]
pub struct Names {
    pub users: String,
    pub credit: String,
    pub course: String,
    pub order: String,
    pub order_course: String,
    pub coupon: String,
    pub coupon_log: String,
    pub user_course: String,
    /// The quoted deleted-flag column.
    pub deleted: String,
    /// Its bare spelling, for column lists in schema checks and DDL.
    pub deleted_bare: &'static str,
}

impl Names {
    fn new(cfg: &StoreConfig, d: Dialect) -> Self {
        let t = &cfg.tables;
        Names {
            users: t.users.quoted(d),
            credit: t.credit.quoted(d),
            course: t.course.quoted(d),
            order: t.order.quoted(d),
            order_course: t.order_course.quoted(d),
            coupon: t.coupon.quoted(d),
            coupon_log: t.coupon_log.quoted(d),
            user_course: t.user_course.quoted(d),
            deleted: q(d, cfg.deleted_column.name()),
            deleted_bare: cfg.deleted_column.name(),
        }
    }
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    MySql(MySqlPool),
}

struct Inner {
    pool: Pool,
    dialect: Dialect,
    names: Names,
    config: StoreConfig,
    clock: Arc<dyn Clock>,
}

/// A connection pool to the platform database plus what every query needs (names, clock).
/// Cheap to clone.
#[derive(Clone)]
pub struct Store(Arc<Inner>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Store")
            .field("dialect", &self.0.dialect)
            .field("database", &redact_url(&self.0.config.database))
            .finish()
    }
}

/// Whether opening may create a missing SQLite file (a new database) or must find one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    CreateIfMissing,
    MustExist,
}

impl Store {
    /// Opens the pool only: no schema check, no migration (see [`crate::admin`] for those).
    pub async fn connect(
        config: &StoreConfig,
        clock: Arc<dyn Clock>,
        mode: OpenMode,
    ) -> Result<Store> {
        config.tables.validate()?;
        if config.max_connections == 0 {
            return Err(StoreError::Config(
                "max_connections must be at least 1".into(),
            ));
        }
        let (pool, dialect) = match config.target()? {
            Target::Sqlite(path) => {
                if mode == OpenMode::MustExist && !path.exists() {
                    return Err(StoreError::Config(format!(
                        "SQLite database {} does not exist (create one with `paydesk db init`)",
                        path.display()
                    )));
                }
                let opts = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(mode == OpenMode::CreateIfMissing)
                    // WAL lets readers (browse) run while a writer (settle, demo) holds the lock.
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL is durable across application crashes in WAL mode; FULL would fsync
                    // every commit, which only matters for power loss.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_millis(config.busy_timeout_ms))
                    // The platform declares no foreign keys (db_constraint=False); nothing to enforce.
                    .foreign_keys(false);
                let pool = SqlitePoolOptions::new()
                    .max_connections(config.max_connections)
                    .connect_with(opts)
                    .await
                    .map_err(|source| StoreError::Connect {
                        target: path.display().to_string(),
                        source,
                    })?;
                (Pool::Sqlite(pool), Dialect::Sqlite)
            }
            Target::MySql(url) => {
                let opts = MySqlConnectOptions::from_str(&url).map_err(|e| {
                    StoreError::Config(format!("bad MySQL URL {}: {e}", redact_url(&url)))
                })?;
                if opts.get_database().is_none() {
                    return Err(StoreError::Config(format!(
                        "MySQL URL {} names no database (add /dbname)",
                        redact_url(&url)
                    )));
                }
                let pool = MySqlPoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(opts)
                    .await
                    .map_err(|source| StoreError::Connect {
                        target: redact_url(&url),
                        source,
                    })?;
                (Pool::MySql(pool), Dialect::MySql)
            }
        };
        let names = Names::new(config, dialect);
        Ok(Store(Arc::new(Inner {
            pool,
            dialect,
            names,
            config: config.clone(),
            clock,
        })))
    }

    pub fn dialect(&self) -> Dialect {
        self.0.dialect
    }
    pub fn names(&self) -> &Names {
        &self.0.names
    }
    pub fn config(&self) -> &StoreConfig {
        &self.0.config
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }
    /// Naive Asia/Shanghai now, from the injected clock (never the machine's zone).
    pub fn now(&self) -> NaiveDateTime {
        self.0.clock.now_beijing()
    }

    /// A transaction for reads.
    pub async fn begin_read(&self) -> Result<Tx> {
        self.begin_inner(false).await
    }

    /// A transaction that will write. On SQLite it takes the write lock at BEGIN (IMMEDIATE): a
    /// deferred transaction that reads first and writes later can fail with SQLITE_BUSY when
    /// another writer got in between, which busy_timeout cannot fix. MySQL locks per row instead
    /// (use cases lock with `SELECT … FOR UPDATE` / conditional UPDATEs).
    pub async fn begin_write(&self) -> Result<Tx> {
        self.begin_inner(true).await
    }

    async fn begin_inner(&self, write: bool) -> Result<Tx> {
        let inner = match &self.0.pool {
            Pool::Sqlite(p) => {
                let tx = if write {
                    p.begin_with("BEGIN IMMEDIATE").await
                } else {
                    p.begin().await
                };
                TxInner::Sqlite(tx.context("begin a SQLite transaction")?)
            }
            Pool::MySql(p) => TxInner::MySql(p.begin().await.context("begin a MySQL transaction")?),
        };
        Ok(Tx {
            inner,
            store: self.clone(),
        })
    }

    /// Runs one statement outside a transaction (DDL, migrations helpers).
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        match &self.0.pool {
            Pool::Sqlite(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .map(|_| ()),
            Pool::MySql(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .map(|_| ()),
        }
        .context(format!("run {}", first_words(sql)))
    }

    pub(crate) fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.0.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::MySql(_) => None,
        }
    }
    pub(crate) fn mysql_pool(&self) -> Option<&MySqlPool> {
        match &self.0.pool {
            Pool::MySql(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    pub async fn close(&self) {
        match &self.0.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

/// A bind value. Money and time are logical here; [`Tx`] turns them into what the backend stores.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    I64(i64),
    Str(String),
    Money(Decimal),
    Time(NaiveDateTime),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I64(v.into())
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::I64(v.into())
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Str(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Str(v)
    }
}
impl From<Decimal> for Val {
    fn from(v: Decimal) -> Val {
        Val::Money(v)
    }
}
impl From<NaiveDateTime> for Val {
    fn from(v: NaiveDateTime) -> Val {
        Val::Time(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// SQLite's datetime text: fixed six fractional digits, as Django's datetime(6) holds.
pub const SQLITE_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

pub fn sqlite_time(t: NaiveDateTime) -> String {
    t.format(SQLITE_TIME_FORMAT).to_string()
}

/// Money → fen, refusing what `decimal(10,2)` could not hold either, so SQLite and MySQL accept
/// and refuse the same values.
pub fn money_to_fen(m: Decimal) -> Result<i64> {
    let scaled = m * Decimal::ONE_HUNDRED;
    if scaled.fract() != Decimal::ZERO {
        return Err(StoreError::InvalidInput(format!(
            "amount {m} has more than two decimals"
        )));
    }
    if m.abs() >= Decimal::from(100_000_000) {
        return Err(StoreError::InvalidInput(format!(
            "amount {m} does not fit decimal(10,2)"
        )));
    }
    i64::try_from(scaled.trunc().mantissa() / 10i128.pow(scaled.trunc().scale()))
        .map_err(|_| StoreError::InvalidInput(format!("amount {m} out of range")))
}

pub fn fen_to_money(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// A SQL statement and its arguments.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub sql: String,
    pub args: Vec<Val>,
}

impl Query {
    pub fn new(sql: impl Into<String>) -> Self {
        Query {
            sql: sql.into(),
            args: Vec::new(),
        }
    }
    pub fn bind(mut self, v: impl Into<Val>) -> Self {
        self.args.push(v.into());
        self
    }
    pub fn push_arg(&mut self, v: impl Into<Val>) {
        self.args.push(v.into());
    }
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    MySql(Transaction<'static, MySql>),
}

/// One transaction on either backend. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    inner: TxInner,
    store: Store,
}

/// What a write did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    pub rows_affected: u64,
    pub last_insert_id: i64,
}

macro_rules! bind_all {
    ($q:expr, $args:expr, sqlite) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::Null => q.bind(None::<i64>),
                Val::I64(v) => q.bind(*v),
                Val::Str(s) => q.bind(s.clone()),
                Val::Money(m) => q.bind(money_to_fen(*m)?),
                Val::Time(t) => q.bind(sqlite_time(*t)),
            };
        }
        q
    }};
    ($q:expr, $args:expr, mysql) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::Null => q.bind(None::<i64>),
                Val::I64(v) => q.bind(*v),
                Val::Str(s) => q.bind(s.clone()),
                Val::Money(m) => {
                    // Same refusal as SQLite's fen conversion: decimal(10,2) would silently round.
                    money_to_fen(*m)?;
                    q.bind(*m)
                }
                Val::Time(t) => q.bind(*t),
            };
        }
        q
    }};
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        self.store.dialect()
    }
    pub fn names(&self) -> &Names {
        self.store.names()
    }
    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn now(&self) -> NaiveDateTime {
        self.store.now()
    }

    pub async fn execute(&mut self, q: Query) -> Result<Done> {
        let ctx = || format!("execute {}", first_words(&q.sql));
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let query = bind_all!(
                    sqlx::query::<Sqlite>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    sqlite
                );
                let r = query.execute(&mut **tx).await.context(ctx())?;
                Ok(Done {
                    rows_affected: r.rows_affected(),
                    last_insert_id: r.last_insert_rowid(),
                })
            }
            TxInner::MySql(tx) => {
                let query = bind_all!(
                    sqlx::query::<MySql>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    mysql
                );
                let r = query.execute(&mut **tx).await.context(ctx())?;
                let id = i64::try_from(r.last_insert_id()).unwrap_or(i64::MAX);
                Ok(Done {
                    rows_affected: r.rows_affected(),
                    last_insert_id: id,
                })
            }
        }
    }

    /// A large, one-off statement (batched inserts): not kept in the prepared-statement cache.
    pub async fn execute_once(&mut self, q: Query) -> Result<Done> {
        let ctx = || format!("execute {}", first_words(&q.sql));
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let query = bind_all!(
                    sqlx::query::<Sqlite>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    sqlite
                );
                let r = query
                    .persistent(false)
                    .execute(&mut **tx)
                    .await
                    .context(ctx())?;
                Ok(Done {
                    rows_affected: r.rows_affected(),
                    last_insert_id: r.last_insert_rowid(),
                })
            }
            TxInner::MySql(tx) => {
                let query = bind_all!(
                    sqlx::query::<MySql>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    mysql
                );
                let r = query
                    .persistent(false)
                    .execute(&mut **tx)
                    .await
                    .context(ctx())?;
                let id = i64::try_from(r.last_insert_id()).unwrap_or(i64::MAX);
                Ok(Done {
                    rows_affected: r.rows_affected(),
                    last_insert_id: id,
                })
            }
        }
    }

    pub async fn fetch_all(&mut self, q: Query) -> Result<Vec<Row>> {
        let ctx = || format!("query {}", first_words(&q.sql));
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                let query = bind_all!(
                    sqlx::query::<Sqlite>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    sqlite
                );
                Ok(query
                    .fetch_all(&mut **tx)
                    .await
                    .context(ctx())?
                    .into_iter()
                    .map(Row::Sqlite)
                    .collect())
            }
            TxInner::MySql(tx) => {
                let query = bind_all!(
                    sqlx::query::<MySql>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    mysql
                );
                Ok(query
                    .fetch_all(&mut **tx)
                    .await
                    .context(ctx())?
                    .into_iter()
                    .map(Row::MySql)
                    .collect())
            }
        }
    }

    pub async fn fetch_optional(&mut self, q: Query) -> Result<Option<Row>> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    pub async fn fetch_one(&mut self, q: Query, what: &str) -> Result<Row> {
        self.fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: what.to_string(),
            })
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await.context("commit"),
            TxInner::MySql(tx) => tx.commit().await.context("commit"),
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await.context("roll back"),
            TxInner::MySql(tx) => tx.rollback().await.context("roll back"),
        }
    }
}

/// A result row from either backend; typed getters hide the storage differences.
pub enum Row {
    Sqlite(SqliteRow),
    MySql(MySqlRow),
}

fn corrupt(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

impl Row {
    pub fn i64(&self, col: &str) -> Result<i64> {
        self.opt_i64(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
        match self {
            Row::Sqlite(r) => r
                .try_get::<Option<i64>, _>(col)
                .map_err(|e| corrupt(col, e)),
            Row::MySql(r) => {
                // SUM() over integers is DECIMAL on MySQL; accept it when it is whole.
                match r.try_get::<Option<i64>, _>(col) {
                    Ok(v) => Ok(v),
                    Err(sqlx::Error::ColumnDecode { .. }) => {
                        let d = r
                            .try_get::<Option<Decimal>, _>(col)
                            .map_err(|e| corrupt(col, e))?;
                        d.map(|d| {
                            if d.fract().is_zero() {
                                i64::try_from(d.trunc().mantissa() / 10i128.pow(d.trunc().scale()))
                                    .map_err(|_| {
                                        StoreError::Corrupt(format!(
                                            "column {col}: {d} out of range"
                                        ))
                                    })
                            } else {
                                Err(StoreError::Corrupt(format!(
                                    "column {col}: {d} is not whole"
                                )))
                            }
                        })
                        .transpose()
                    }
                    Err(e) => Err(corrupt(col, e)),
                }
            }
        }
    }

    pub fn bool(&self, col: &str) -> Result<bool> {
        Ok(self.i64(col)? != 0)
    }

    pub fn opt_bool(&self, col: &str) -> Result<Option<bool>> {
        Ok(self.opt_i64(col)?.map(|v| v != 0))
    }

    pub fn money(&self, col: &str) -> Result<Decimal> {
        self.opt_money(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_money(&self, col: &str) -> Result<Option<Decimal>> {
        match self {
            Row::Sqlite(r) => Ok(r
                .try_get::<Option<i64>, _>(col)
                .map_err(|e| corrupt(col, e))?
                .map(fen_to_money)),
            Row::MySql(r) => Ok(r
                .try_get::<Option<Decimal>, _>(col)
                .map_err(|e| corrupt(col, e))?
                .map(|mut d| {
                    // decimal(10,2) always has two places; SUM() may widen, so normalise for display.
                    d.rescale(2);
                    d
                })),
        }
    }

    pub fn string(&self, col: &str) -> Result<String> {
        self.opt_string(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_string(&self, col: &str) -> Result<Option<String>> {
        match self {
            Row::Sqlite(r) => r
                .try_get::<Option<String>, _>(col)
                .map_err(|e| corrupt(col, e)),
            Row::MySql(r) => r
                .try_get::<Option<String>, _>(col)
                .map_err(|e| corrupt(col, e)),
        }
    }

    pub fn time(&self, col: &str) -> Result<NaiveDateTime> {
        self.opt_time(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_time(&self, col: &str) -> Result<Option<NaiveDateTime>> {
        match self {
            Row::Sqlite(r) => {
                let s = r
                    .try_get::<Option<String>, _>(col)
                    .map_err(|e| corrupt(col, e))?;
                s.map(|s| {
                    parse_sqlite_time(&s).ok_or_else(|| {
                        StoreError::Corrupt(format!("column {col}: bad datetime {s:?}"))
                    })
                })
                .transpose()
            }
            Row::MySql(r) => r
                .try_get::<Option<NaiveDateTime>, _>(col)
                .map_err(|e| corrupt(col, e)),
        }
    }
}

/// Accepts Paydesk's fixed format and what Django/other tools write into SQLite (no fraction, 'T').
pub fn parse_sqlite_time(s: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_round_trip_is_exact_and_refuses_what_decimal_10_2_cannot_hold() {
        for s in [
            "0.10",
            "0.20",
            "0.30",
            "99999999.99",
            "-12.34",
            "0.00",
            "1579.00",
        ] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(fen_to_money(money_to_fen(d).unwrap()), d, "{s}");
        }
        assert_eq!(money_to_fen(Decimal::from_str("0.1").unwrap()).unwrap(), 10);
        assert!(money_to_fen(Decimal::from_str("0.001").unwrap()).is_err());
        assert!(money_to_fen(Decimal::from_str("100000000.00").unwrap()).is_err());
    }

    #[test]
    fn sqlite_times_are_fixed_width_and_parse_back() {
        let t = NaiveDateTime::parse_from_str("2026-01-02 03:04:05", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(sqlite_time(t), "2026-01-02 03:04:05.000000");
        assert_eq!(parse_sqlite_time("2026-01-02 03:04:05.000000"), Some(t));
        assert_eq!(parse_sqlite_time("2026-01-02T03:04:05"), Some(t));
        assert_eq!(parse_sqlite_time("yesterday"), None);
    }
}
