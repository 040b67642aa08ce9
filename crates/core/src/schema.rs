//! The platform tables as the Django models make them: DDL for a new database, and the check of an
//! existing one (every table and column Paydesk needs, with a compatible type) that reports every
//! problem at once. Paydesk never creates or alters platform tables on an existing database.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::db::{Dialect, Query, Store};
use crate::error::{Result, StoreError};
use crate::ident::q;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// `bigint AUTO_INCREMENT PRIMARY KEY` (Django's BigAutoField).
    Id,
    BigInt,
    Int,
    SmallInt,
    /// `tinyint(1)`.
    Bool,
    /// `decimal(precision, 2)`; integer fen on SQLite.
    Money {
        precision: u8,
    },
    /// `varchar(len)`; an existing column must hold at least `min` characters.
    Str {
        len: u32,
        min: u32,
    },
    /// Django TextField: `longtext`.
    Text,
    /// `datetime(6)`, naive Asia/Shanghai.
    DateTime,
}

impl ColType {
    fn ddl(self, d: Dialect) -> String {
        match (self, d) {
            (ColType::Id, Dialect::MySql) => "bigint NOT NULL AUTO_INCREMENT PRIMARY KEY".into(),
            (ColType::Id, Dialect::Sqlite) => "integer NOT NULL PRIMARY KEY AUTOINCREMENT".into(),
            (ColType::BigInt, Dialect::MySql) => "bigint".into(),
            (ColType::Int, Dialect::MySql) => "int".into(),
            (ColType::SmallInt, Dialect::MySql) => "smallint".into(),
            (ColType::Bool, Dialect::MySql) => "tinyint(1)".into(),
            (
                ColType::BigInt | ColType::Int | ColType::SmallInt | ColType::Bool,
                Dialect::Sqlite,
            ) => "integer".into(),
            (ColType::Money { precision }, Dialect::MySql) => format!("decimal({precision},2)"),
            // Integer fen: see db.rs for why SQLite never stores money as decimal/REAL.
            (ColType::Money { .. }, Dialect::Sqlite) => "integer".into(),
            (ColType::Str { len, .. }, Dialect::MySql) => format!("varchar({len})"),
            (ColType::Str { len, .. }, Dialect::Sqlite) => format!("varchar({len})"),
            (ColType::Text, Dialect::MySql) => "longtext".into(),
            (ColType::Text, Dialect::Sqlite) => "text".into(),
            (ColType::DateTime, Dialect::MySql) => "datetime(6)".into(),
            (ColType::DateTime, Dialect::Sqlite) => "text".into(),
        }
    }

    fn expected(self, d: Dialect) -> String {
        match (self, d) {
            (ColType::Id | ColType::BigInt, Dialect::MySql) => "bigint or int".into(),
            (ColType::Int, Dialect::MySql) => "int or bigint".into(),
            (ColType::SmallInt, Dialect::MySql) => "smallint, int or bigint".into(),
            (ColType::Bool, Dialect::MySql) => "tinyint(1)".into(),
            (ColType::Money { precision }, Dialect::MySql) => {
                format!("decimal({precision},2) (any precision, scale 2)")
            }
            (ColType::Str { min, .. }, Dialect::MySql) => {
                format!("varchar/char of at least {min} characters, or text")
            }
            (ColType::Text, Dialect::MySql) => "text or varchar".into(),
            (ColType::DateTime, Dialect::MySql) => "datetime(6)".into(),
            (ColType::Money { .. }, Dialect::Sqlite) => {
                "integer (money is stored as integer fen on SQLite)".into()
            }
            (
                ColType::Id | ColType::BigInt | ColType::Int | ColType::SmallInt | ColType::Bool,
                Dialect::Sqlite,
            ) => "integer".into(),
            (ColType::Str { .. } | ColType::Text, Dialect::Sqlite) => "text/varchar".into(),
            (ColType::DateTime, Dialect::Sqlite) => "text (YYYY-MM-DD HH:MM:SS.ffffff)".into(),
        }
    }

    /// `data_type` is lower-case: information_schema DATA_TYPE on MySQL, the declared type on SQLite.
    fn accepts(
        self,
        d: Dialect,
        data_type: &str,
        char_len: Option<i64>,
        scale: Option<i64>,
    ) -> bool {
        let t = data_type.trim().to_ascii_lowercase();
        match d {
            Dialect::MySql => match self {
                ColType::Id | ColType::BigInt => matches!(t.as_str(), "bigint" | "int"),
                ColType::Int => matches!(t.as_str(), "int" | "bigint"),
                ColType::SmallInt => {
                    matches!(t.as_str(), "smallint" | "mediumint" | "int" | "bigint")
                }
                ColType::Bool => matches!(t.as_str(), "tinyint" | "smallint" | "int" | "bigint"),
                ColType::Money { .. } => {
                    matches!(t.as_str(), "decimal" | "numeric") && scale == Some(2)
                }
                ColType::Str { min, .. } => match t.as_str() {
                    "varchar" | "char" => char_len.is_none_or(|l| l >= i64::from(min)),
                    "text" | "tinytext" | "mediumtext" | "longtext" => true,
                    _ => false,
                },
                ColType::Text => {
                    matches!(t.as_str(), "text" | "mediumtext" | "longtext" | "varchar")
                }
                ColType::DateTime => t == "datetime",
            },
            Dialect::Sqlite => {
                // SQLite's own affinity rules (§3.1 of its datatype docs) decide what a column holds.
                let int_affinity = t.contains("int");
                let text_affinity = t.contains("char") || t.contains("clob") || t.contains("text");
                match self {
                    ColType::Id
                    | ColType::BigInt
                    | ColType::Int
                    | ColType::SmallInt
                    | ColType::Money { .. } => int_affinity,
                    ColType::Bool => int_affinity || t == "bool" || t == "boolean",
                    ColType::Str { .. } | ColType::Text => text_affinity,
                    ColType::DateTime => text_affinity || t == "datetime",
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ColDef {
    pub name: &'static str,
    pub ty: ColType,
    pub nullable: bool,
    /// Paydesk reads or writes it, so an existing database must have it. Columns that are only
    /// created (for a complete Django-like table) are not checked.
    pub needed: bool,
}

const fn col(name: &'static str, ty: ColType) -> ColDef {
    ColDef {
        name,
        ty,
        nullable: false,
        needed: true,
    }
}
const fn null(name: &'static str, ty: ColType) -> ColDef {
    ColDef {
        name,
        ty,
        nullable: true,
        needed: true,
    }
}
const fn extra(name: &'static str, ty: ColType, nullable: bool) -> ColDef {
    ColDef {
        name,
        ty,
        nullable,
        needed: false,
    }
}

const fn s(len: u32, min: u32) -> ColType {
    ColType::Str { len, min }
}
const MONEY: ColType = ColType::Money { precision: 10 };

/// Which platform table (by role in [`crate::config::TableNames`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Users,
    Credit,
    Course,
    Order,
    OrderCourse,
    Coupon,
    CouponLog,
    UserCourse,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Users,
        Role::Credit,
        Role::Course,
        Role::Order,
        Role::OrderCourse,
        Role::Coupon,
        Role::CouponLog,
        Role::UserCourse,
    ];

    pub fn table(self, store: &Store) -> &str {
        let t = &store.config().tables;
        match self {
            Role::Users => t.users.as_str(),
            Role::Credit => t.credit.as_str(),
            Role::Course => t.course.as_str(),
            Role::Order => t.order.as_str(),
            Role::OrderCourse => t.order_course.as_str(),
            Role::Coupon => t.coupon.as_str(),
            Role::CouponLog => t.coupon_log.as_str(),
            Role::UserCourse => t.user_course.as_str(),
        }
    }
}

fn base(deleted: &'static str) -> [ColDef; 6] {
    [
        // BaseModel: name is nullable (CharField null=True); none of these has a DB default.
        null("name", s(255, 1)),
        col(deleted, ColType::Bool),
        col("orders", ColType::Int),
        col("is_show", ColType::Bool),
        col("created_time", ColType::DateTime),
        col("updated_time", ColType::DateTime),
    ]
}

/// Columns per table, in the order Django creates them.
pub fn columns(role: Role, deleted: &'static str) -> Vec<ColDef> {
    use ColType::*;
    let mut v = vec![col("id", Id)];
    match role {
        Role::Users => v.extend([
            extra("password", s(128, 1), false),
            extra("last_login", DateTime, true),
            extra("is_superuser", Bool, false),
            col("username", s(150, 1)),
            extra("first_name", s(150, 1), false),
            extra("last_name", s(150, 1), false),
            extra("email", s(254, 1), false),
            extra("is_staff", Bool, false),
            col("is_active", Bool),
            col("date_joined", DateTime),
            null("name", s(150, 1)),
            col("mobile", s(15, 11)),
            col("money", Money { precision: 9 }),
            col("credit", Int),
            extra("avatar", s(100, 1), true),
            extra("study_time", Int, false),
        ]),
        Role::Credit => {
            v.extend(base(deleted));
            v.extend([
                col("operation", SmallInt),
                col("number", Int),
                null("remark", s(500, 1)),
                col("user_id", BigInt),
            ]);
        }
        Role::Course => {
            v.extend(base(deleted));
            v.extend([
                extra("course_type", SmallInt, false),
                extra("level", SmallInt, false),
                extra("description", Text, true),
                extra("period", Int, false),
                extra("status", SmallInt, false),
                extra("students", Int, false),
                extra("lessons", Int, false),
                extra("pub_lessons", Int, false),
                // Nullable in some copies; Paydesk treats NULL as "not for sale".
                null("price", MONEY),
                null("credit", Int),
                extra("direction_id", BigInt, true),
                extra("category_id", BigInt, true),
                extra("teacher_id", BigInt, true),
            ]);
        }
        Role::Order => {
            v.extend(base(deleted));
            v.extend([
                col("total_price", MONEY),
                col("real_price", MONEY),
                col("order_number", s(64, 24)),
                col("order_status", SmallInt),
                col("pay_type", SmallInt),
                null("order_desc", Text),
                null("pay_time", DateTime),
                col("user_id", BigInt),
                null("credit", Int),
            ]);
        }
        Role::OrderCourse => {
            v.extend(base(deleted));
            v.extend([
                col("price", MONEY),
                col("real_price", MONEY),
                col("discount_name", s(120, 1)),
                col("course_id", BigInt),
                col("order_id", BigInt),
            ]);
        }
        Role::Coupon => {
            v.extend(base(deleted));
            v.extend([
                col("discount", SmallInt),
                col("coupon_type", SmallInt),
                col("total", Int),
                col("has_total", Int),
                col("start_time", DateTime),
                col("end_time", DateTime),
                col("get_type", SmallInt),
                col("condition", Int),
                col("per_limit", SmallInt),
                col("sale", Text),
            ]);
        }
        Role::CouponLog => {
            v.extend(base(deleted));
            v.extend([
                col("user_id", BigInt),
                col("coupon_id", BigInt),
                null("order_id", BigInt),
                null("use_time", DateTime),
                null("use_status", SmallInt),
            ]);
        }
        Role::UserCourse => {
            v.extend(base(deleted));
            v.extend([
                col("user_id", BigInt),
                col("course_id", BigInt),
                null("chapter_id", BigInt),
                null("lesson_id", BigInt),
                col("study_time", Int),
            ]);
        }
    }
    v
}

/// Indexes Paydesk's queries rely on. Created on a new database; only suggested on an existing one.
pub struct IndexDef {
    pub role: Role,
    pub suffix: &'static str,
    pub columns: &'static [&'static str],
    pub unique: bool,
}

pub const INDEXES: &[IndexDef] = &[
    IndexDef {
        role: Role::Users,
        suffix: "username_uniq",
        columns: &["username"],
        unique: true,
    },
    IndexDef {
        role: Role::Users,
        suffix: "mobile_uniq",
        columns: &["mobile"],
        unique: true,
    },
    // Orders are looked up by number (callbacks, bills) and browsed newest first, by status.
    IndexDef {
        role: Role::Order,
        suffix: "order_number_pd",
        columns: &["order_number"],
        unique: false,
    },
    IndexDef {
        role: Role::Order,
        suffix: "status_created_pd",
        columns: &["order_status", "created_time"],
        unique: false,
    },
    IndexDef {
        role: Role::Order,
        suffix: "created_pd",
        columns: &["created_time"],
        unique: false,
    },
    IndexDef {
        role: Role::Order,
        suffix: "user_created_pd",
        columns: &["user_id", "created_time"],
        unique: false,
    },
    IndexDef {
        role: Role::OrderCourse,
        suffix: "order_id_pd",
        columns: &["order_id"],
        unique: false,
    },
    IndexDef {
        role: Role::CouponLog,
        suffix: "order_id_pd",
        columns: &["order_id"],
        unique: false,
    },
    IndexDef {
        role: Role::CouponLog,
        suffix: "user_id_pd",
        columns: &["user_id"],
        unique: false,
    },
    IndexDef {
        role: Role::Credit,
        suffix: "user_id_pd",
        columns: &["user_id"],
        unique: false,
    },
    IndexDef {
        role: Role::UserCourse,
        suffix: "user_course_pd",
        columns: &["user_id", "course_id"],
        unique: false,
    },
    IndexDef {
        role: Role::UserCourse,
        suffix: "course_id_pd",
        columns: &["course_id"],
        unique: false,
    },
];

fn index_name(table: &str, suffix: &str) -> String {
    // MySQL caps names at 64; SQLite index names share one namespace, so keep the table in them.
    let room = 64 - suffix.len() - 1;
    let t: String = table.chars().take(room).collect();
    format!("{t}_{suffix}")
}

fn index_sql(store: &Store, idx: &IndexDef, if_not_exists: bool) -> String {
    let d = store.dialect();
    let table = idx.role.table(store);
    let cols: Vec<String> = idx.columns.iter().map(|c| q(d, c)).collect();
    let ine = if if_not_exists && d == Dialect::Sqlite {
        "IF NOT EXISTS "
    } else {
        ""
    };
    format!(
        "CREATE {}INDEX {ine}{} ON {} ({})",
        if idx.unique { "UNIQUE " } else { "" },
        q(d, &index_name(table, idx.suffix)),
        q(d, table),
        cols.join(", ")
    )
}

/// `CREATE TABLE` for one platform table with the configured name and deleted-flag spelling.
pub fn create_table_sql(store: &Store, role: Role) -> String {
    let d = store.dialect();
    let cols: Vec<String> = columns(role, store.names().deleted_bare)
        .iter()
        .map(|c| {
            let null = if c.ty == ColType::Id {
                ""
            } else if c.nullable {
                " NULL"
            } else {
                " NOT NULL"
            };
            format!("    {} {}{null}", q(d, c.name), c.ty.ddl(d))
        })
        .collect();
    let tail = match d {
        Dialect::MySql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        Dialect::Sqlite => "",
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n){tail}",
        q(d, role.table(store)),
        cols.join(",\n")
    )
}

/// Creates every platform table and Paydesk's indexes on them. For a NEW database only: the
/// caller ([`crate::admin::init_new`]) has checked that none of the tables exists.
pub async fn create_platform_tables(store: &Store) -> Result<()> {
    for role in Role::ALL {
        store.execute_raw(&create_table_sql(store, role)).await?;
    }
    for idx in INDEXES {
        store.execute_raw(&index_sql(store, idx, true)).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    MissingTable {
        role: Role,
        table: String,
    },
    MissingColumn {
        table: String,
        column: String,
        expected: String,
    },
    WrongType {
        table: String,
        column: String,
        found: String,
        expected: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingTable { role, table } => {
                write!(f, "table {table} ({role:?}) is missing")
            }
            Problem::MissingColumn {
                table,
                column,
                expected,
            } => {
                write!(
                    f,
                    "column {table}.{column} is missing (expected {expected})"
                )
            }
            Problem::WrongType {
                table,
                column,
                found,
                expected,
            } => {
                write!(
                    f,
                    "column {table}.{column} has type {found}, expected {expected}"
                )
            }
        }
    }
}

/// Every mismatch between the database and what Paydesk needs, for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaReport {
    pub dialect: &'static str,
    pub problems: Vec<Problem>,
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} database does not have the platform tables Paydesk needs ({} problem{}); check the \
             table names and deleted_column in the profile:",
            self.dialect,
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexSuggestion {
    pub table: String,
    pub columns: Vec<String>,
    pub sql: String,
}

struct ColumnInfo {
    data_type: String,
    shown: String,
    char_len: Option<i64>,
    scale: Option<i64>,
}

/// Existing tables among `names` → their columns (lower-cased names).
async fn describe(
    store: &Store,
    names: &[&str],
) -> Result<BTreeMap<String, BTreeMap<String, ColumnInfo>>> {
    let mut out: BTreeMap<String, BTreeMap<String, ColumnInfo>> = BTreeMap::new();
    let mut tx = store.begin_read().await?;
    match store.dialect() {
        Dialect::MySql => {
            let placeholders = vec!["?"; names.len()].join(", ");
            // Unsigned information_schema numbers do not decode as i64: cast them.
            let mut qy = Query::new(format!(
                "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS dt, COLUMN_TYPE AS ct, \
                 CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED) AS len, CAST(NUMERIC_SCALE AS SIGNED) AS scale \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({placeholders})"
            ));
            for n in names {
                qy.push_arg(*n);
            }
            for r in tx.fetch_all(qy).await? {
                let table = r.string("t")?;
                out.entry(table).or_default().insert(
                    r.string("c")?.to_ascii_lowercase(),
                    ColumnInfo {
                        data_type: r.string("dt")?.to_ascii_lowercase(),
                        shown: r.string("ct")?,
                        char_len: r.opt_i64("len")?,
                        scale: r.opt_i64("scale")?,
                    },
                );
            }
        }
        Dialect::Sqlite => {
            for n in names {
                let exists = tx
                    .fetch_optional(
                        Query::new(
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                        )
                        .bind(*n),
                    )
                    .await?
                    .is_some();
                if !exists {
                    continue;
                }
                let rows = tx
                    .fetch_all(Query::new("SELECT name, type FROM pragma_table_info(?)").bind(*n))
                    .await?;
                let cols = out.entry(n.to_string()).or_default();
                for r in rows {
                    let ty = r.string("type")?;
                    cols.insert(
                        r.string("name")?.to_ascii_lowercase(),
                        ColumnInfo {
                            data_type: ty.to_ascii_lowercase(),
                            shown: ty,
                            char_len: None,
                            scale: None,
                        },
                    );
                }
            }
        }
    }
    tx.rollback().await?;
    Ok(out)
}

/// The platform tables that exist, by role.
pub async fn existing_platform_tables(store: &Store) -> Result<Vec<Role>> {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.table(store)).collect();
    let found = describe(store, &names).await?;
    Ok(Role::ALL
        .into_iter()
        .filter(|r| found.contains_key(r.table(store)))
        .collect())
}

/// Checks every needed table and column. `Ok(problems)`; empty means usable.
pub async fn check_platform_schema(store: &Store) -> Result<Vec<Problem>> {
    let d = store.dialect();
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.table(store)).collect();
    let found = describe(store, &names).await?;
    let mut problems = Vec::new();
    for role in Role::ALL {
        let table = role.table(store);
        let Some(cols) = found.get(table) else {
            problems.push(Problem::MissingTable {
                role,
                table: table.to_string(),
            });
            continue;
        };
        for c in columns(role, store.names().deleted_bare)
            .iter()
            .filter(|c| c.needed)
        {
            match cols.get(c.name) {
                None => problems.push(Problem::MissingColumn {
                    table: table.to_string(),
                    column: c.name.to_string(),
                    expected: c.ty.expected(d),
                }),
                Some(info) if !c.ty.accepts(d, &info.data_type, info.char_len, info.scale) => {
                    problems.push(Problem::WrongType {
                        table: table.to_string(),
                        column: c.name.to_string(),
                        found: info.shown.clone(),
                        expected: c.ty.expected(d),
                    })
                }
                Some(_) => {}
            }
        }
    }
    Ok(problems)
}

/// Turns the check into the connect-time error: nothing there → "not the platform's"; anything
/// missing or mistyped → one message with every problem.
pub fn problems_to_error(store: &Store, problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    if problems
        .iter()
        .filter(|p| matches!(p, Problem::MissingTable { .. }))
        .count()
        == Role::ALL.len()
    {
        let tables: Vec<&str> = Role::ALL.iter().map(|r| r.table(store)).collect();
        return Err(StoreError::NotPlatform {
            tables: tables.join(", "),
        });
    }
    Err(StoreError::Schema(SchemaReport {
        dialect: store.dialect().name(),
        problems,
    }))
}

/// Indexes Paydesk would like on an existing database, with the statement a DBA could run.
pub async fn suggest_indexes(store: &Store) -> Result<Vec<IndexSuggestion>> {
    let d = store.dialect();
    // table -> list of index column lists
    let mut have: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let tables: BTreeSet<&str> = INDEXES.iter().map(|i| i.role.table(store)).collect();
    let mut tx = store.begin_read().await?;
    for table in &tables {
        let mut lists: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        let rows = match d {
            Dialect::MySql => {
                tx.fetch_all(
                    Query::new(
                        "SELECT INDEX_NAME AS idx, CAST(SEQ_IN_INDEX AS SIGNED) AS seq, COLUMN_NAME AS col \
                         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                    )
                    .bind(*table),
                )
                .await?
            }
            Dialect::Sqlite => {
                tx.fetch_all(
                    Query::new(
                        "SELECT il.name AS idx, ii.seqno AS seq, ii.name AS col \
                         FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii",
                    )
                    .bind(*table),
                )
                .await?
            }
        };
        for r in rows {
            lists
                .entry(r.string("idx")?)
                .or_default()
                .push((r.i64("seq")?, r.string("col")?.to_ascii_lowercase()));
        }
        let entry = have.entry(table.to_string()).or_default();
        for (_, mut cols) in lists {
            cols.sort();
            entry.push(cols.into_iter().map(|(_, c)| c).collect());
        }
    }
    tx.rollback().await?;
    let mut out = Vec::new();
    for idx in INDEXES.iter().filter(|i| !i.unique) {
        let table = idx.role.table(store);
        let covered = have.get(table).is_some_and(|lists| {
            lists.iter().any(|l| {
                l.len() >= idx.columns.len() && l.iter().zip(idx.columns).all(|(a, b)| a == b)
            })
        });
        if !covered {
            out.push(IndexSuggestion {
                table: table.to_string(),
                columns: idx.columns.iter().map(|c| c.to_string()).collect(),
                sql: index_sql(store, idx, false),
            });
        }
    }
    Ok(out)
}

/// Used by the schema check to read a value that must exist; kept for callers with a plain pool.
pub(crate) async fn table_exists(store: &Store, table: &str) -> Result<bool> {
    let sql = match store.dialect() {
        Dialect::MySql => {
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
        }
        Dialect::Sqlite => "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    let mut tx = store.begin_read().await?;
    let found = tx
        .fetch_optional(Query::new(sql).bind(table))
        .await
        .map(|r| r.is_some());
    tx.rollback().await.ok();
    found.map_err(|e| match e {
        StoreError::Db { source, .. } => StoreError::Db {
            context: format!("look for table {table}"),
            source,
        },
        other => other,
    })
}
