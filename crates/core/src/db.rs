//! The two backends behind one `Store` (Atuin style): a SQLite file or a MySQL/MariaDB server.
//!
//! SQL text is shared (both take `?` placeholders; identifiers are quoted per [`Dialect`]); what
//! differs is how money and datetimes travel, and that lives only in [`Val`] binding and [`Row`]
//! decoding:
//! - Paydesk's own money columns: `decimal(10,2)` ↔ `Decimal` on MySQL; **integer fen** on SQLite. SQLite has no exact
//!   decimal (a `decimal` column has NUMERIC affinity and stores 0.10 as a binary float); TEXT would
//!   be exact but compares as text (`"9.00" > "10.00"`), breaking amount ranges and sums. Integer fen is
//!   exact, orders and sums correctly, and converts losslessly at this boundary only.
//! - platform money (`decimal(10,2)` columns of the Django tables, bound as [`Val::Yuan`], read with
//!   [`Row::yuan`]): on SQLite Django declares them `decimal` (NUMERIC affinity) and stores yuan —
//!   `2398.00` as the integer 2398, `399.50` as the real 399.5. Paydesk binds the decimal's text
//!   (as Django does, so the file holds what Django would write) and reads the column back as text
//!   (`CAST(x AS TEXT)`, see [`yuan_col`]) into a `Decimal`: never through `f64`. Sums go through
//!   [`yuan_sum`] (integer fen per row, so a million rows add up exactly).
//! - datetimes: the domain works in naive Asia/Shanghai time. MySQL `datetime(6)`; SQLite TEXT
//!   `YYYY-MM-DD HH:MM:SS.ffffff` (fixed width, so text order is time order and range filters use
//!   the index). A platform on Django's `USE_TZ=True` stores naive UTC: the shift happens here, at
//!   binding and decoding, so no use case ever sees a UTC time.
//!
//! Use cases own their transaction ([`Store::begin_write`]) and pass `&mut Tx` to small named query
//! functions (zero2prod style); sqlx types never leave this module.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use alipay::Clock;
use chrono::NaiveDateTime;
use futures_util::TryStreamExt as _;
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
use crate::schema::{Features, Layout};

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
    /// The users' display-name column (quoted; `name`, or `nickname` in some copies). `None`: the
    /// site has none, and Paydesk shows no name.
    pub user_name: Option<String>,
    /// The order title column (BaseModel `name`; `order_title` in some copies).
    pub order_name: String,
    /// The credit ledger's operation column (`opera` in some copies).
    pub credit_operation: String,
    pub dialect: Dialect,
}

impl Names {
    fn new(cfg: &StoreConfig, d: Dialect) -> Self {
        let t = &cfg.tables;
        let c = &cfg.columns;
        let col = |m: &Option<crate::ident::Ident>, default: &str| {
            m.as_ref().map_or_else(|| q(d, default), |i| i.quoted(d))
        };
        Names {
            user_name: Some(col(&c.users.name, "name")),
            order_name: col(&c.order.name, "name"),
            credit_operation: col(&c.credit.operation, "operation"),
            dialect: d,
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
    /// The platform stores naive UTC (Django `USE_TZ=True`) instead of naive Beijing time. Set
    /// from the profile, or once at open from what the database shows ([`crate::admin`]).
    utc: AtomicBool,
    /// Which optional parts of the platform this database has ([`crate::schema::Features`]).
    features: Features,
    /// Paydesk's own tables are there and current. False only for a database opened to read
    /// that Paydesk never wrote to: there are no refunds or audit rows of Paydesk's to show.
    paydesk_tables: bool,
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
                let exists = path.exists();
                if mode == OpenMode::MustExist && !exists {
                    return Err(StoreError::Config(format!(
                        "SQLite database {} does not exist (create one with `paydesk db init`)",
                        path.display()
                    )));
                }
                let mut opts = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(mode == OpenMode::CreateIfMissing);
                if !exists {
                    // A file Paydesk creates uses WAL, so readers (browse) run while a writer
                    // (settle, demo) holds the lock. An existing file keeps the journal mode its
                    // owner chose: switching it is a write, and a check or a read must leave a
                    // Django site's file exactly as it was.
                    opts = opts.journal_mode(SqliteJournalMode::Wal);
                }
                let opts = opts
                    // NORMAL is durable across application crashes in WAL mode; FULL would fsync
                    // every commit, which only matters for power loss. Per connection: not stored.
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
            utc: AtomicBool::new(config.use_tz.unwrap_or(false)),
            features: Features::default(),
            paydesk_tables: true,
        })))
    }

    /// The same pool, working on the platform as the schema check found it: optional tables
    /// that are not there switch their feature off, a missing display column is not selected.
    pub fn with_layout(&self, layout: &Layout) -> Store {
        let mut names = self.0.names.clone();
        names.user_name = layout.user_name.as_deref().map(|c| q(self.0.dialect, c));
        self.derived(names, layout.features, self.0.paydesk_tables)
    }

    /// Whether Paydesk's own tables are there (see [`crate::admin::Access::Read`]).
    pub fn with_paydesk_tables(&self, ready: bool) -> Store {
        self.derived(self.0.names.clone(), self.0.features, ready)
    }

    /// The same pool with other names or layout facts; everything else as it is.
    fn derived(&self, names: Names, features: Features, paydesk_tables: bool) -> Store {
        Store(Arc::new(Inner {
            pool: self.0.pool.clone(),
            dialect: self.0.dialect,
            names,
            config: self.0.config.clone(),
            clock: self.0.clock.clone(),
            utc: AtomicBool::new(self.platform_utc()),
            features,
            paydesk_tables,
        }))
    }

    pub fn has_paydesk_tables(&self) -> bool {
        self.0.paydesk_tables
    }

    /// The optional parts of the platform this database has.
    pub fn features(&self) -> Features {
        self.0.features
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

    /// Whether the platform stores naive UTC (Django `USE_TZ=True`).
    pub fn platform_utc(&self) -> bool {
        self.0.utc.load(Ordering::Relaxed)
    }

    /// Set once at open, when the profile leaves `use_tz` unset and the database shows which.
    pub fn set_platform_utc(&self, utc: bool) {
        self.0.utc.store(utc, Ordering::Relaxed);
    }

    /// A Beijing time as the platform stores it.
    pub fn to_stored(&self, t: NaiveDateTime) -> NaiveDateTime {
        shift(t, self.platform_utc(), -1)
    }

    /// A stored platform time as Beijing time.
    pub fn from_stored(&self, t: NaiveDateTime) -> NaiveDateTime {
        shift(t, self.platform_utc(), 1)
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

    /// Runs one SELECT as a stream (rows are decoded as they arrive, never collected by the driver),
    /// calling `f` per row; `f` returning `false` stops early. Streaming reads bind only integers,
    /// strings and times, so the storage rules for money stay in db.rs alone.
    pub async fn stream(&self, q: Query, mut f: impl FnMut(Row) -> Result<bool>) -> Result<()> {
        let ctx = || {
            format!(
                "stream {}",
                q.sql
                    .split_whitespace()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        let refuse =
            |v: &Val| StoreError::InvalidInput(format!("cannot bind {v:?} in a streaming read"));
        if let Some(pool) = self.sqlite_pool() {
            let mut query = sqlx::query::<Sqlite>(AssertSqlSafe(q.sql.clone()));
            for a in &q.args {
                query = match a {
                    Val::I64(i) => query.bind(*i),
                    Val::Str(s) => query.bind(s.clone()),
                    Val::Time(t) => query.bind(sqlite_time(self.to_stored(*t))),
                    other => return Err(refuse(other)),
                };
            }
            let mut rows = query.fetch(pool);
            while let Some(row) = rows.try_next().await.context(ctx())? {
                if !f(Row::new(RawRow::Sqlite(row), self))? {
                    break;
                }
            }
        } else if let Some(pool) = self.mysql_pool() {
            let mut query = sqlx::query::<MySql>(AssertSqlSafe(q.sql.clone()));
            for a in &q.args {
                query = match a {
                    Val::I64(i) => query.bind(*i),
                    Val::Str(s) => query.bind(s.clone()),
                    Val::Time(t) => query.bind(self.to_stored(*t)),
                    other => return Err(refuse(other)),
                };
            }
            let mut rows = query.fetch(pool);
            while let Some(row) = rows.try_next().await.context(ctx())? {
                if !f(Row::new(RawRow::MySql(row), self))? {
                    break;
                }
            }
        } else {
            return Err(StoreError::Config("no database pool".into()));
        }
        Ok(())
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

/// Beijing is UTC+8 all year (no daylight saving since 1991).
const BEIJING_OFFSET_SECS: i64 = 8 * 3600;

fn shift(t: NaiveDateTime, utc: bool, sign: i64) -> NaiveDateTime {
    if utc {
        t + chrono::TimeDelta::seconds(sign * BEIJING_OFFSET_SECS)
    } else {
        t
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
    /// Money in one of Paydesk's own tables (integer fen on SQLite).
    Money(Decimal),
    /// Money in a platform table's `decimal(m,2)` column (yuan, as Django stores it, on both).
    Yuan(Decimal),
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
// No `From<Decimal>`: an amount is either Paydesk's own ([`Val::Money`]) or a platform column's
// ([`Val::Yuan`]), stored differently on SQLite; binding one as the other is a 100x error, so
// every binding says which.
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

/// A platform amount as the text SQLite stores in a `decimal` column (two places, as Django's
/// `DecimalField` formats it), after the same range check as everywhere else.
fn yuan_text(m: Decimal) -> Result<String> {
    fen_to_money(money_to_fen(m)?);
    let mut m = m;
    m.rescale(2);
    Ok(m.to_string())
}

/// A platform `decimal` column in a SELECT list, under its own name: on SQLite as text (the
/// exact digits, never a binary float on the way to `Decimal`), on MySQL as it is.
pub fn yuan_col(d: Dialect, expr: &str, alias: &str) -> String {
    match d {
        Dialect::Sqlite => format!("CAST({expr} AS TEXT) AS {alias}"),
        Dialect::MySql => format!("{expr} AS {alias}"),
    }
}

/// A platform `decimal` column in the unit of Paydesk's own money columns, for comparing or
/// summing them together: integer fen on SQLite (each row rounded to the fen it holds, so sums
/// are exact), the decimal itself on MySQL. Read the result with [`Row::money`].
pub fn yuan_as_money(d: Dialect, expr: &str) -> String {
    match d {
        Dialect::Sqlite => format!("CAST(ROUND(({expr}) * 100) AS INTEGER)"),
        Dialect::MySql => expr.to_string(),
    }
}

/// `SUM` of a platform `decimal` column, exact on both backends; read it with [`Row::money`].
pub fn yuan_sum(d: Dialect, expr: &str) -> String {
    format!("COALESCE(SUM({}), 0)", yuan_as_money(d, expr))
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
    ($q:expr, $args:expr, $store:expr, sqlite) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::Null => q.bind(None::<i64>),
                Val::I64(v) => q.bind(*v),
                Val::Str(s) => q.bind(s.clone()),
                Val::Money(m) => q.bind(money_to_fen(*m)?),
                // The decimal's text, as Django binds it: the column's NUMERIC affinity stores it
                // as Django's own writes are stored, and compares it as a number.
                Val::Yuan(m) => q.bind(yuan_text(*m)?),
                Val::Time(t) => q.bind(sqlite_time($store.to_stored(*t))),
            };
        }
        q
    }};
    ($q:expr, $args:expr, $store:expr, mysql) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::Null => q.bind(None::<i64>),
                Val::I64(v) => q.bind(*v),
                Val::Str(s) => q.bind(s.clone()),
                Val::Money(m) | Val::Yuan(m) => {
                    // Same refusal as SQLite's fen conversion: decimal(10,2) would silently round.
                    money_to_fen(*m)?;
                    q.bind(*m)
                }
                Val::Time(t) => q.bind($store.to_stored(*t)),
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
                    self.store,
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
                    self.store,
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
                    self.store,
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
                    self.store,
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
                    self.store,
                    sqlite
                );
                Ok(query
                    .fetch_all(&mut **tx)
                    .await
                    .context(ctx())?
                    .into_iter()
                    .map(|r| Row::new(RawRow::Sqlite(r), &self.store))
                    .collect())
            }
            TxInner::MySql(tx) => {
                let query = bind_all!(
                    sqlx::query::<MySql>(AssertSqlSafe(q.sql.clone())),
                    &q.args,
                    self.store,
                    mysql
                );
                Ok(query
                    .fetch_all(&mut **tx)
                    .await
                    .context(ctx())?
                    .into_iter()
                    .map(|r| Row::new(RawRow::MySql(r), &self.store))
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

/// A result row from either backend; typed getters hide the storage differences (money units,
/// datetime text, the platform's UTC clock).
pub struct Row {
    raw: RawRow,
    utc: bool,
}

enum RawRow {
    Sqlite(SqliteRow),
    MySql(MySqlRow),
}

fn corrupt(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

impl Row {
    fn new(raw: RawRow, store: &Store) -> Row {
        Row {
            raw,
            utc: store.platform_utc(),
        }
    }

    /// By position, for hot loops that read a million rows (name look-ups cost more than
    /// SQLite's own work there). Integers only.
    pub fn i64_at(&self, i: usize) -> Result<i64> {
        match &self.raw {
            RawRow::Sqlite(r) => r.try_get::<i64, _>(i),
            RawRow::MySql(r) => r.try_get::<i64, _>(i),
        }
        .map_err(|e| corrupt(&format!("#{i}"), e))
    }

    /// By position: text (or NULL); see [`Row::i64_at`].
    pub fn str_at(&self, i: usize) -> Result<Option<&str>> {
        match &self.raw {
            RawRow::Sqlite(r) => r.try_get::<Option<&str>, _>(i),
            RawRow::MySql(r) => r.try_get::<Option<&str>, _>(i),
        }
        .map_err(|e| corrupt(&format!("#{i}"), e))
    }

    /// A platform datetime read by hand (as [`Row::str_at`]) into Beijing time.
    pub fn stored_time(&self, t: NaiveDateTime) -> NaiveDateTime {
        shift(t, self.utc, 1)
    }

    /// Whether the row came from SQLite (callers that decode by position choose their path).
    pub fn is_sqlite(&self) -> bool {
        matches!(self.raw, RawRow::Sqlite(_))
    }

    pub fn i64(&self, col: &str) -> Result<i64> {
        self.opt_i64(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
        match &self.raw {
            RawRow::Sqlite(r) => r
                .try_get::<Option<i64>, _>(col)
                .map_err(|e| corrupt(col, e)),
            RawRow::MySql(r) => {
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
        match &self.raw {
            RawRow::Sqlite(r) => Ok(r
                .try_get::<Option<i64>, _>(col)
                .map_err(|e| corrupt(col, e))?
                .map(fen_to_money)),
            RawRow::MySql(r) => Ok(r
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
        match &self.raw {
            RawRow::Sqlite(r) => r
                .try_get::<Option<String>, _>(col)
                .map_err(|e| corrupt(col, e)),
            RawRow::MySql(r) => r
                .try_get::<Option<String>, _>(col)
                .map_err(|e| corrupt(col, e)),
        }
    }

    pub fn time(&self, col: &str) -> Result<NaiveDateTime> {
        self.opt_time(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_time(&self, col: &str) -> Result<Option<NaiveDateTime>> {
        match &self.raw {
            RawRow::Sqlite(r) => {
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
            RawRow::MySql(r) => r
                .try_get::<Option<NaiveDateTime>, _>(col)
                .map_err(|e| corrupt(col, e)),
        }
        .map(|t| t.map(|t| shift(t, self.utc, 1)))
    }

    /// A platform `decimal` column selected with [`yuan_col`].
    pub fn yuan(&self, col: &str) -> Result<Decimal> {
        self.opt_yuan(col)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
    }

    pub fn opt_yuan(&self, col: &str) -> Result<Option<Decimal>> {
        match &self.raw {
            RawRow::Sqlite(r) => {
                // Text only: a number here would mean the column was selected without
                // `yuan_col`, and guessing its unit is how a price ends up 100x off.
                let s = r
                    .try_get::<Option<String>, _>(col)
                    .map_err(|e| corrupt(col, e))?;
                s.map(|s| {
                    parse_yuan(&s).ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "column {col}: {s:?} is not an amount with at most two decimals"
                        ))
                    })
                })
                .transpose()
            }
            RawRow::MySql(r) => Ok(r
                .try_get::<Option<Decimal>, _>(col)
                .map_err(|e| corrupt(col, e))?
                .map(|mut d| {
                    d.rescale(2);
                    d
                })),
        }
    }
}

/// The text SQLite gives for a NUMERIC value (`2398`, `399.5`, `0.3`, `1.0e-05`) as an amount
/// with two places; `None` when it is not one (more places than a fen, or not a number).
pub fn parse_yuan(s: &str) -> Option<Decimal> {
    let s = s.trim();
    let d = if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()?
    } else {
        Decimal::from_str(s).ok()?
    };
    let mut d = d.normalize();
    if d.scale() > 2 {
        return None;
    }
    d.rescale(2);
    Some(d)
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
