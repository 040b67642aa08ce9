//! Small named query functions, one file per table, each taking the caller's `&mut Tx` so the use
//! case (settle, refund, grant …) owns the transaction and its boundaries.
//!
//! Platform conventions live here: every INSERT supplies all BaseModel columns (none has a DB
//! default), every UPDATE of a BaseModel table sets `updated_time`, and existence is checked in
//! code because the platform declares no foreign keys.

pub mod audit;
pub mod counters;
pub mod coupons;
pub mod courses;
pub mod credits;
pub mod grants;
pub mod ops;
pub mod orders;
pub mod recon_carry;
pub mod recon_rows;
pub mod reconcile;
pub mod refunds;
pub mod revenue;
pub mod settings;
pub mod users;

use chrono::NaiveDateTime;

use crate::db::{Dialect, Names, Query, Tx, Val};
use crate::error::Result;

/// BaseModel column names for an INSERT, with the configured deleted-flag spelling (quoted).
pub fn base_insert_cols(n: &Names) -> [String; 6] {
    [
        "name".into(),
        n.deleted.clone(),
        "orders".into(),
        "is_show".into(),
        "created_time".into(),
        "updated_time".into(),
    ]
}

/// BaseModel values for a new, visible, not-deleted row created at `at`, as the model's defaults
/// would fill them. `name` is `CharField(max_length=255, default="")`: NOT NULL with no database
/// default on the schema Django makes, so "no name" is `''`, never NULL (NULL fails with 1048).
pub fn base_values(name: Option<&str>, at: NaiveDateTime) -> [Val; 6] {
    [
        Val::Str(truncate_chars(name.unwrap_or(""), 255)),
        Val::I64(0),
        // `orders = IntegerField(default=1)`: the sort position Django gives a new row.
        Val::I64(1),
        Val::I64(1),
        Val::Time(at),
        Val::Time(at),
    ]
}

/// At most `max` characters (not bytes): a varchar(n) holds n characters, and strict mode refuses more.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_string(),
        None => s.to_string(),
    }
}

/// Multi-row INSERT, split so no statement exceeds the backend's bind-parameter limit.
/// `table` is already quoted; `cols` are quoted or plain names.
pub async fn insert_many(
    tx: &mut Tx,
    table: &str,
    cols: &[String],
    rows: Vec<Vec<Val>>,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = cols.len();
    let per_stmt = (tx.dialect().max_params() / width).max(1);
    let one = format!("({})", vec!["?"; width].join(", "));
    let mut done = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_stmt).collect();
        let mut q = Query::new(format!(
            "INSERT INTO {table} ({}) VALUES {}",
            cols.join(", "),
            vec![one.as_str(); chunk.len()].join(", ")
        ));
        for row in chunk {
            debug_assert_eq!(row.len(), width);
            q.args.extend(row);
        }
        done += tx.execute_once(q).await?.rows_affected;
    }
    Ok(done)
}

/// `FOR UPDATE` where it means something: MySQL row locks. SQLite's write transaction
/// (BEGIN IMMEDIATE) already holds the database lock.
pub fn for_update(d: Dialect) -> &'static str {
    match d {
        Dialect::MySql => " FOR UPDATE",
        Dialect::Sqlite => "",
    }
}

/// `IN (?, ?, …)` for `n` values (`n ≥ 1`).
pub fn in_list(n: usize) -> String {
    format!("({})", vec!["?"; n.max(1)].join(", "))
}
