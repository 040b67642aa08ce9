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
            // SQLite: the declared types Django's backend writes, so a file Paydesk creates is one
            // a Django site with these models uses as is (and `decimal` gives money its NUMERIC
            // affinity: yuan, as Django stores it).
            (ColType::Id, Dialect::Sqlite) => "integer NOT NULL PRIMARY KEY AUTOINCREMENT".into(),
            (ColType::BigInt, Dialect::MySql) => "bigint".into(),
            (ColType::Int, Dialect::MySql) => "int".into(),
            (ColType::SmallInt, Dialect::MySql) => "smallint".into(),
            (ColType::Bool, Dialect::MySql) => "tinyint(1)".into(),
            (ColType::BigInt, Dialect::Sqlite) => "bigint".into(),
            (ColType::Int, Dialect::Sqlite) => "integer".into(),
            (ColType::SmallInt, Dialect::Sqlite) => "smallint".into(),
            (ColType::Bool, Dialect::Sqlite) => "bool".into(),
            (ColType::Money { precision }, Dialect::MySql) => format!("decimal({precision},2)"),
            (ColType::Money { .. }, Dialect::Sqlite) => "decimal".into(),
            (ColType::Str { len, .. }, Dialect::MySql) => format!("varchar({len})"),
            (ColType::Str { len, .. }, Dialect::Sqlite) => format!("varchar({len})"),
            (ColType::Text, Dialect::MySql) => "longtext".into(),
            (ColType::Text, Dialect::Sqlite) => "text".into(),
            (ColType::DateTime, Dialect::MySql) => "datetime(6)".into(),
            (ColType::DateTime, Dialect::Sqlite) => "datetime".into(),
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
                "decimal (yuan, as Django stores it)".into()
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
                    ColType::Id | ColType::BigInt | ColType::Int | ColType::SmallInt => {
                        int_affinity
                    }
                    // NUMERIC affinity (Django's `decimal`). Integer affinity is an earlier
                    // Paydesk's fen layout, reported on its own (see [`Problem::FenMoney`]).
                    ColType::Money { .. } => {
                        !int_affinity && !text_affinity && (t.contains("dec") || t.contains("num"))
                    }
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

    /// The key of this role in the profile's `[database.tables]`.
    pub fn key(self) -> &'static str {
        match self {
            Role::Users => "users",
            Role::Credit => "credit",
            Role::Course => "course",
            Role::Order => "order",
            Role::OrderCourse => "order_course",
            Role::Coupon => "coupon",
            Role::CouponLog => "coupon_log",
            Role::UserCourse => "user_course",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Role::Users => "users",
            Role::Credit => "credit ledger",
            Role::Course => "courses",
            Role::Order => "orders",
            Role::OrderCourse => "order courses",
            Role::Coupon => "coupons",
            Role::CouponLog => "issued coupons",
            Role::UserCourse => "course grants",
        }
    }

    /// How copies of the site end this role's table name (`fg_users`, `lf_users`, `ly_user` …).
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Role::Users => &["users", "user"],
            Role::Credit => &["credit"],
            Role::Course => &["course_info", "course"],
            Role::Order => &["order", "orders"],
            Role::OrderCourse => &["order_course", "order_detail"],
            Role::Coupon => &["coupon"],
            Role::CouponLog => &["coupon_log", "user_coupon"],
            Role::UserCourse => &["user_course"],
        }
    }

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
        // BaseModel: `name = CharField(max_length=255, default="")` is NOT NULL; none of these
        // has a database default (Django fills them), so Paydesk writes every one.
        col("name", s(255, 1)),
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

/// A part of the platform that some copies of the site do not have. Without its table the
/// feature is off: everything else still works, and each operation says what it skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The credit ledger (`fg_credit`): ledger rows for credits spent on or returned to an order.
    /// The balance itself lives on the user and is always kept.
    CreditLedger,
    /// Coupons (`ly_coupon` + `ly_coupon_log`): using, and giving back, an order's coupon.
    Coupons,
    /// Course grants (`ly_user_course`): granting the courses of a paid order, revoke, restore.
    Grants,
    /// Test orders: the one thing that adds rows to the order tables. Off when an insert there
    /// would fail (a NOT NULL column Paydesk does not know); browsing and paying are unaffected.
    TestOrders,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::CreditLedger,
        Feature::Coupons,
        Feature::Grants,
        Feature::TestOrders,
    ];

    fn roles(self) -> &'static [Role] {
        match self {
            Feature::CreditLedger => &[Role::Credit],
            Feature::Coupons => &[Role::Coupon, Role::CouponLog],
            Feature::Grants => &[Role::UserCourse],
            // Not a table of its own: see [`check_platform_schema`].
            Feature::TestOrders => &[],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Feature::CreditLedger => "credit ledger",
            Feature::Coupons => "coupons",
            Feature::Grants => "course grants",
            Feature::TestOrders => "test orders",
        }
    }

    fn consequence(self) -> &'static str {
        match self {
            Feature::CreditLedger => {
                "credits are still taken from and given back to the user's balance, but no ledger row is written"
            }
            Feature::Coupons => "orders are settled, closed and refunded without touching coupons",
            Feature::Grants => {
                "paid orders grant no courses, and grant/revoke/restore/merge are unavailable"
            }
            Feature::TestOrders => {
                "Paydesk cannot add an order here; browsing, paying, settling and refunds work"
            }
        }
    }
}

/// Which optional parts this platform database has (all of them unless the check says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Features {
    pub credit_ledger: bool,
    pub coupons: bool,
    pub grants: bool,
    pub test_orders: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            credit_ledger: true,
            coupons: true,
            grants: true,
            test_orders: true,
        }
    }
}

impl Features {
    pub fn has(self, f: Feature) -> bool {
        match f {
            Feature::CreditLedger => self.credit_ledger,
            Feature::Coupons => self.coupons,
            Feature::Grants => self.grants,
            Feature::TestOrders => self.test_orders,
        }
    }

    fn set(&mut self, f: Feature, on: bool) {
        match f {
            Feature::CreditLedger => self.credit_ledger = on,
            Feature::Coupons => self.coupons = on,
            Feature::Grants => self.grants = on,
            Feature::TestOrders => self.test_orders = on,
        }
    }

    pub fn off(self) -> Vec<Feature> {
        Feature::ALL.into_iter().filter(|f| !self.has(*f)).collect()
    }
}

/// The platform as this database has it, decided once when it is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layout {
    pub features: Features,
    /// The users' display-name column; `None`: the site has none and no name is shown.
    pub user_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    MissingTable {
        role: Role,
        table: String,
        /// The profile setting that fixes it.
        fix: String,
    },
    MissingColumn {
        table: String,
        column: String,
        expected: String,
        fix: String,
    },
    WrongType {
        table: String,
        column: String,
        found: String,
        expected: String,
    },
    /// NOT NULL without a default, and not a column Paydesk fills: every insert Paydesk makes
    /// into this table would fail.
    NoDefault {
        table: String,
        column: String,
        fix: String,
    },
    /// Paydesk writes NULL here (an unpaid order's pay_time, a grant's chapter), but the column
    /// does not allow it.
    NotNullable {
        table: String,
        column: String,
        fix: String,
    },
    /// A SQLite file from an earlier Paydesk, which kept platform money as integer fen.
    FenMoney { columns: Vec<String> },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingTable { role, table, fix } => {
                write!(f, "table {table} ({}) is missing: {fix}", role.label())
            }
            Problem::MissingColumn {
                table,
                column,
                expected,
                fix,
            } => write!(
                f,
                "column {table}.{column} is missing (expected {expected}): {fix}"
            ),
            Problem::WrongType {
                table,
                column,
                found,
                expected,
            } => write!(
                f,
                "column {table}.{column} has type {found}, expected {expected}"
            ),
            Problem::NoDefault { table, column, fix } => write!(
                f,
                "column {table}.{column} is NOT NULL without a default and Paydesk does not fill it, so \
                 every row Paydesk adds to {table} would be refused: {fix}"
            ),
            Problem::NotNullable { table, column, fix } => write!(
                f,
                "column {table}.{column} does not allow NULL, which Paydesk writes there: {fix}"
            ),
            Problem::FenMoney { columns } => write!(
                f,
                "money is stored as integer fen ({}), the layout of an earlier Paydesk; Django keeps \
                 yuan in decimal columns: run `paydesk db migrate` to convert it (the file is backed \
                 up first)",
                columns.join(", ")
            ),
        }
    }
}

/// Something `db check` says that does not stop Paydesk: a feature that is off, a name not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    FeatureOff {
        feature: Feature,
        tables: Vec<String>,
        consequence: String,
        fix: String,
    },
    NoUserName {
        table: String,
        fix: String,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::FeatureOff {
                feature: Feature::TestOrders,
                consequence,
                fix,
                ..
            } => write!(f, "test orders off: {consequence} ({fix})"),
            Note::FeatureOff {
                feature,
                tables,
                consequence,
                fix,
            } => write!(
                f,
                "{} off: no table {} — {consequence} ({fix})",
                feature.label(),
                tables.join(" / ")
            ),
            Note::NoUserName { table, fix } => {
                write!(
                    f,
                    "{table} has no name column: user names are not shown ({fix})"
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
            "the {} database does not have the platform tables Paydesk needs ({} problem{}); nothing \
             was changed:",
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

/// The result of checking a database against what Paydesk needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaCheck {
    pub problems: Vec<Problem>,
    pub notes: Vec<Note>,
    pub layout: Layout,
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
    not_null: bool,
    /// A database default, or filled by the database itself (auto-increment, generated).
    filled: bool,
}

type Tables = BTreeMap<String, BTreeMap<String, ColumnInfo>>;

/// What the database has: every table's name (to suggest one a role could be), and the columns
/// of the platform tables the profile names — only those, so opening a site with hundreds of
/// tables reads no more than it needs.
struct Found {
    names: BTreeSet<String>,
    columns: Tables,
}

async fn describe(store: &Store) -> Result<Found> {
    let wanted: Vec<&str> = Role::ALL.iter().map(|r| r.table(store)).collect();
    let mut columns: Tables = BTreeMap::new();
    let mut tx = store.begin_read().await?;
    let names: BTreeSet<String> = match store.dialect() {
        Dialect::MySql => tx.fetch_all(Query::new(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
        )),
        Dialect::Sqlite => tx.fetch_all(Query::new(
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )),
    }
    .await?
    .iter()
    .map(|r| r.string("t"))
    .collect::<Result<_>>()?;
    match store.dialect() {
        Dialect::MySql => {
            // Unsigned information_schema numbers do not decode as i64: cast them.
            let mut qy = Query::new(format!(
                "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS dt, COLUMN_TYPE AS ct, \
                 CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED) AS len, CAST(NUMERIC_SCALE AS SIGNED) AS scale, \
                 IS_NULLABLE AS nullable, \
                 CASE WHEN COLUMN_DEFAULT IS NULL THEN 0 ELSE 1 END AS has_default, EXTRA AS extra \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN {}",
                crate::queries::in_list(wanted.len())
            ));
            for t in &wanted {
                qy.push_arg(*t);
            }
            for r in tx.fetch_all(qy).await? {
                let extra = r
                    .opt_string("extra")?
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let generated = ["auto_increment", "generated", "virtual", "persistent"]
                    .iter()
                    .any(|w| extra.contains(w));
                columns.entry(r.string("t")?).or_default().insert(
                    r.string("c")?.to_ascii_lowercase(),
                    ColumnInfo {
                        data_type: r.string("dt")?.to_ascii_lowercase(),
                        shown: r.string("ct")?,
                        char_len: r.opt_i64("len")?,
                        scale: r.opt_i64("scale")?,
                        not_null: r.string("nullable")? == "NO",
                        filled: generated || r.i64("has_default")? == 1,
                    },
                );
            }
        }
        Dialect::Sqlite => {
            for n in wanted.iter().filter(|n| names.contains(**n)) {
                let rows = tx
                    .fetch_all(
                        Query::new(
                            "SELECT name, type, \"notnull\" AS nn, dflt_value IS NOT NULL AS has_default, pk \
                             FROM pragma_table_info(?)",
                        )
                        .bind(*n),
                    )
                    .await?;
                let cols = columns.entry(n.to_string()).or_default();
                for r in rows {
                    let ty = r.string("type")?;
                    cols.insert(
                        r.string("name")?.to_ascii_lowercase(),
                        ColumnInfo {
                            data_type: ty.to_ascii_lowercase(),
                            shown: ty,
                            char_len: None,
                            scale: None,
                            not_null: r.i64("nn")? != 0,
                            // An INTEGER PRIMARY KEY is the rowid: SQLite fills it.
                            filled: r.i64("has_default")? != 0 || r.i64("pk")? != 0,
                        },
                    );
                }
            }
        }
    }
    tx.rollback().await?;
    Ok(Found { names, columns })
}

/// The platform tables that exist, by role.
pub async fn existing_platform_tables(store: &Store) -> Result<Vec<Role>> {
    let found = describe(store).await?;
    Ok(Role::ALL
        .into_iter()
        .filter(|r| found.names.contains(r.table(store)))
        .collect())
}

/// Roles Paydesk cannot work without; the others belong to a [`Feature`].
const REQUIRED: [Role; 4] = [Role::Users, Role::Course, Role::Order, Role::OrderCourse];

/// Tables Paydesk adds rows to in its operations (settle, refund, expire, grants, test orders):
/// each must take an INSERT of exactly the columns Paydesk knows.
const INSERTED: [Role; 4] = [
    Role::Credit,
    Role::UserCourse,
    Role::Order,
    Role::OrderCourse,
];

/// Columns Paydesk writes NULL into: an unpaid test order's pay_time, a grant's chapter/lesson.
const WRITES_NULL: [(Role, &str); 3] = [
    (Role::Order, "pay_time"),
    (Role::UserCourse, "chapter_id"),
    (Role::UserCourse, "lesson_id"),
];

/// The column a logical name maps to in this profile (`[columns.*]`), bare.
fn mapped(store: &Store, role: Role, name: &'static str) -> String {
    let c = &store.config().columns;
    let m = match (role, name) {
        (Role::Users, "name") => c.users.name.as_ref(),
        (Role::Order, "name") => c.order.name.as_ref(),
        (Role::Credit, "operation") => c.credit.operation.as_ref(),
        _ => None,
    };
    m.map_or_else(|| name.to_string(), |i| i.as_str().to_ascii_lowercase())
}

/// Alternative spellings seen in copies of the site, with the setting that selects each.
fn spelling_fix(
    store: &Store,
    role: Role,
    column: &str,
    cols: &BTreeMap<String, ColumnInfo>,
) -> String {
    let other_deleted = match store.names().deleted_bare {
        "is_deleted" => "is_delete",
        _ => "is_deleted",
    };
    let known: &[(&str, &str, String)] = &[
        (
            store.names().deleted_bare,
            other_deleted,
            format!("set deleted_column = \"{other_deleted}\" in the profile's [database]"),
        ),
        (
            "name",
            "order_title",
            "set [database.columns.order] name = \"order_title\" in the profile".to_string(),
        ),
        (
            "operation",
            "opera",
            "set [database.columns.credit] operation = \"opera\" in the profile".to_string(),
        ),
    ];
    for (want, alt, fix) in known {
        if column == *want && cols.contains_key(*alt) {
            return fix.clone();
        }
    }
    let key = match (role, column) {
        (Role::Order, "name") => Some("order"),
        (Role::Credit, "operation") => Some("credit"),
        _ => None,
    };
    match key {
        Some(k) => format!(
            "add it, or name the column this site uses with [database.columns.{k}] {column} = \"…\""
        ),
        None if column == store.names().deleted_bare => {
            "the site's soft-delete flag has another name; set deleted_column (\"is_deleted\" or \"is_delete\")"
                .to_string()
        }
        None => {
            "this copy of the site differs from the models Paydesk knows; add the column".into()
        }
    }
}

/// Tables of this database that could be the one a role is looking for (`lf_users` for
/// `fg_users`), not already used by another role.
fn candidates(store: &Store, role: Role, found: &Found) -> Vec<String> {
    let used: BTreeSet<&str> = Role::ALL.iter().map(|r| r.table(store)).collect();
    found
        .names
        .iter()
        .filter(|t| !used.contains(t.as_str()) && !t.starts_with("paydesk_"))
        .filter(|t| {
            role.suffixes()
                .iter()
                .any(|s| t.as_str() == *s || t.ends_with(&format!("_{s}")))
        })
        .cloned()
        .collect()
}

fn table_fix(store: &Store, role: Role, found: &Found) -> String {
    let c = candidates(store, role, found);
    match c.as_slice() {
        [one] => format!(
            "set [database.tables] {} = \"{one}\" in the profile",
            role.key()
        ),
        [] => format!(
            "name this site's table in the profile: [database.tables] {} = \"…\"",
            role.key()
        ),
        many => format!(
            "name this site's table in the profile: [database.tables] {} = one of {}",
            role.key(),
            many.join(", ")
        ),
    }
}

/// A default a DBA could give a column Paydesk does not know, by its type.
fn default_fix(store: &Store, table: &str, column: &str, info: &ColumnInfo) -> String {
    match store.dialect() {
        Dialect::MySql => {
            let v = match info.data_type.as_str() {
                "datetime" | "timestamp" => "CURRENT_TIMESTAMP(6)",
                "date" => "(CURRENT_DATE)",
                t if t.contains("char") || t.contains("text") => "''",
                _ => "0",
            };
            format!(
                "give it a default (ALTER TABLE `{table}` ALTER COLUMN `{column}` SET DEFAULT {v}) or \
                 a default in its Django model"
            )
        }
        Dialect::Sqlite => format!(
            "give {column} a default in its Django model and migrate (SQLite cannot add a default in place)"
        ),
    }
}

/// Checks every table and column Paydesk needs, every insert it would make, and which optional
/// parts the site has. Reads only.
pub async fn check_platform_schema(store: &Store) -> Result<SchemaCheck> {
    let d = store.dialect();
    let found = describe(store).await?;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut features = Features::default();
    let mut fen_columns = Vec::new();
    for feature in Feature::ALL {
        let missing: Vec<Role> = feature
            .roles()
            .iter()
            .copied()
            .filter(|r| !found.names.contains(r.table(store)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        features.set(feature, false);
        let fix = missing
            .iter()
            .map(|r| table_fix(store, *r, &found))
            .collect::<Vec<_>>()
            .join("; ");
        notes.push(Note::FeatureOff {
            feature,
            tables: feature
                .roles()
                .iter()
                .map(|r| r.table(store).to_string())
                .collect(),
            consequence: feature.consequence().to_string(),
            fix: format!("if the site has it under another name: {fix}"),
        });
    }
    let mut user_name = Some(mapped(store, Role::Users, "name"));
    for role in Role::ALL {
        let table = role.table(store);
        let Some(cols) = found.columns.get(table) else {
            if REQUIRED.contains(&role) {
                problems.push(Problem::MissingTable {
                    role,
                    table: table.to_string(),
                    fix: table_fix(store, role, &found),
                });
            }
            continue;
        };
        let defs = columns(role, store.names().deleted_bare);
        let known: BTreeSet<String> = defs.iter().map(|c| mapped(store, role, c.name)).collect();
        for c in defs.iter().filter(|c| c.needed) {
            let name = mapped(store, role, c.name);
            match cols.get(&name) {
                // Only displayed: a site without a user name still works.
                None if role == Role::Users && c.name == "name" => {
                    user_name = None;
                    let fix = if store.config().columns.users.name.is_some() {
                        problems.push(Problem::MissingColumn {
                            table: table.to_string(),
                            column: name.clone(),
                            expected: c.ty.expected(d),
                            fix: "[database.columns.users] name names a column this table does not have".into(),
                        });
                        continue;
                    } else if cols.contains_key("nickname") {
                        "set [database.columns.users] name = \"nickname\" in the profile to show it".to_string()
                    } else {
                        "name the column with [database.columns.users] name = \"…\" to show it".to_string()
                    };
                    notes.push(Note::NoUserName {
                        table: table.to_string(),
                        fix,
                    });
                }
                None => problems.push(Problem::MissingColumn {
                    table: table.to_string(),
                    column: name.clone(),
                    expected: c.ty.expected(d),
                    fix: spelling_fix(store, role, &name, cols),
                }),
                Some(info) if matches!(c.ty, ColType::Money { .. })
                    && d == Dialect::Sqlite
                    && info.data_type.contains("int") =>
                {
                    fen_columns.push(format!("{table}.{name}"));
                }
                Some(info) if !c.ty.accepts(d, &info.data_type, info.char_len, info.scale) => {
                    problems.push(Problem::WrongType {
                        table: table.to_string(),
                        column: name.clone(),
                        found: info.shown.clone(),
                        expected: c.ty.expected(d),
                    })
                }
                Some(info) if info.not_null && WRITES_NULL.contains(&(role, c.name)) => {
                    problems.push(Problem::NotNullable {
                        table: table.to_string(),
                        column: name.clone(),
                        fix: match d {
                            Dialect::MySql => format!(
                                "allow NULL (ALTER TABLE `{table}` MODIFY `{name}` {} NULL), as the site's model does",
                                info.shown
                            ),
                            Dialect::Sqlite => "allow NULL in its Django model (null=True) and migrate".into(),
                        },
                    })
                }
                Some(_) => {}
            }
        }
        if INSERTED.contains(&role) {
            for (name, info) in cols {
                if info.not_null && !info.filled && !known.contains(name) {
                    problems.push(Problem::NoDefault {
                        table: table.to_string(),
                        column: name.clone(),
                        fix: default_fix(store, table, name, info),
                    });
                }
            }
        }
    }
    // An insert into the order tables that would fail only stops test orders: Paydesk adds
    // orders for testers alone, and must not refuse a live site's settles and refunds for it.
    let order_tables = [Role::Order.table(store), Role::OrderCourse.table(store)];
    let (order_inserts, rest): (Vec<Problem>, Vec<Problem>) =
        problems.into_iter().partition(|p| match p {
            Problem::NoDefault { table, .. } | Problem::NotNullable { table, .. } => {
                order_tables.contains(&table.as_str())
            }
            _ => false,
        });
    let mut problems = rest;
    if !order_inserts.is_empty() {
        features.set(Feature::TestOrders, false);
        notes.push(Note::FeatureOff {
            feature: Feature::TestOrders,
            tables: order_tables.iter().map(|t| t.to_string()).collect(),
            consequence: Feature::TestOrders.consequence().to_string(),
            fix: order_inserts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    if !fen_columns.is_empty() {
        problems.push(Problem::FenMoney {
            columns: fen_columns,
        });
    }
    Ok(SchemaCheck {
        problems,
        notes,
        layout: Layout {
            features,
            user_name,
        },
    })
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
        == REQUIRED.len()
    {
        let tables: Vec<&str> = REQUIRED.iter().map(|r| r.table(store)).collect();
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
    let existing = existing_platform_tables(store).await?;
    for idx in INDEXES
        .iter()
        .filter(|i| !i.unique && existing.contains(&i.role))
    {
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
