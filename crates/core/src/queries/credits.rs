//! `fg_credit`, the credit ledger.

use chrono::NaiveDateTime;

use super::{base_insert_cols, base_values, in_list};
use crate::db::{Query, Tx, Val};
use crate::domain::CreditOperation;
use crate::error::Result;
use crate::rows::{CreditRow, credit_cols};

#[derive(Debug, Clone)]
pub struct NewCredit {
    pub user_id: i64,
    pub operation: CreditOperation,
    /// Signed as the caller decides; readers go by `operation` (see [`CreditOperation`]).
    pub number: i64,
    pub remark: Option<String>,
    pub created_time: NaiveDateTime,
}

pub fn insert_cols(tx: &Tx) -> Vec<String> {
    let mut c: Vec<String> = base_insert_cols(tx.names()).into();
    c.push(tx.names().credit_operation.clone());
    c.extend(["number", "remark", "user_id"].map(String::from));
    c
}

pub fn insert_values(c: &NewCredit) -> Vec<Val> {
    let mut v: Vec<Val> = base_values(None, c.created_time).into();
    v.extend([
        Val::I64(c.operation.code()),
        Val::I64(c.number),
        Val::from(c.remark.clone()),
        Val::I64(c.user_id),
    ]);
    v
}

/// Adds a ledger row; on a site without a ledger table (db check: credit ledger off) nothing is
/// written and 0 is returned — the balance on the user is what the site reads.
pub async fn insert(tx: &mut Tx, c: &NewCredit) -> Result<i64> {
    if !tx.store().features().credit_ledger {
        return Ok(0);
    }
    let cols = insert_cols(tx);
    let mut q = Query::new(format!(
        "INSERT INTO {} ({}) VALUES {}",
        tx.names().credit,
        cols.join(", "),
        in_list(cols.len())
    ));
    q.args = insert_values(c);
    Ok(tx.execute(q).await?.last_insert_id)
}

pub async fn for_user(tx: &mut Tx, user_id: i64, limit: i64) -> Result<Vec<CreditRow>> {
    if !tx.store().features().credit_ledger {
        return Ok(Vec::new());
    }
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} c WHERE c.user_id = ? ORDER BY c.created_time DESC, c.id DESC LIMIT ?",
        credit_cols(&n, "c"),
        n.credit
    ))
    .bind(user_id)
    .bind(limit);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(CreditRow::from_row)
        .collect()
}

/// Ledger rows that belong to an order. The ledger has no order column: Paydesk's rows name the
/// order number in `remark`; the site's purchase rows are recognised as operation 1 of the order's
/// user, of the order's credit amount (either sign), booked at or after the order was created.
pub async fn for_order(
    tx: &mut Tx,
    user_id: i64,
    order_number: &str,
    credit: i64,
    since: NaiveDateTime,
) -> Result<Vec<CreditRow>> {
    if !tx.store().features().credit_ledger {
        return Ok(Vec::new());
    }
    let n = tx.names().clone();
    let q = Query::new(format!(
        "SELECT {} FROM {} c WHERE c.user_id = ? AND (c.remark LIKE ? OR \
         (c.{} = ? AND c.number IN (?, ?) AND c.number <> 0 AND c.created_time >= ?)) ORDER BY c.id",
        credit_cols(&n, "c"),
        n.credit,
        n.credit_operation
    ))
    .bind(user_id)
    .bind(format!("%{order_number}%"))
    .bind(CreditOperation::Purchase.code())
    .bind(credit)
    .bind(-credit)
    .bind(since);
    tx.fetch_all(q)
        .await?
        .iter()
        .map(CreditRow::from_row)
        .collect()
}
