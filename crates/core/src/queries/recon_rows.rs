//! Browsing a stored run's rows a page at a time (the desktop app's report table): counts per
//! (category, pending) group and one window of one group. A month's run can hold many rows:
//! the grouped count scans the run's index entries once, and a page then reads only the rows
//! it shows, in index order, with no sort.
//!
//! "Pending" = nothing done about the row yet, or only a query (`action` starting with
//! [`QUERIED`]); whether a pending row is *open* also depends on its category, which the caller
//! decides (`Category::explained`), so that rule stays in one place.

use super::reconcile::{ROW_COLS, RowRecord, row_from};
use crate::db::{Dialect, Query, Tx};
use crate::error::Result;
use crate::reconcile::QUERIED;

/// SQL for "pending". QUERIED is a constant of letters, so it is safe to inline; inlining keeps
/// the expression usable twice in one statement (SELECT and GROUP BY) without repeated binds.
fn pending_sql() -> String {
    debug_assert!(QUERIED.bytes().all(|b| b.is_ascii_lowercase()));
    format!("(action IS NULL OR action LIKE '{QUERIED}%')")
}

/// The refund's out_request_no lives in the JSON `detail` column (runs.rs `StoredDetail`).
fn out_request_no_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "json_extract(detail, '$.out_request_no')",
        // A JSON null would unquote to the text 'null'.
        Dialect::MySql => "NULLIF(JSON_UNQUOTE(JSON_EXTRACT(detail, '$.out_request_no')), 'null')",
    }
}

/// Appends the search condition: `needle` is a substring of out_trade_no, trade_no or
/// out_request_no. INSTR exists on both backends and needs no LIKE escaping of `%`/`_`.
fn push_search(q: &mut Query, d: Dialect, needle: Option<&str>) {
    if let Some(n) = needle {
        q.sql.push_str(&format!(
            " AND (INSTR(out_trade_no, ?) > 0 OR INSTR(trade_no, ?) > 0 OR INSTR({}, ?) > 0)",
            out_request_no_sql(d)
        ));
        for _ in 0..3 {
            q.push_arg(n);
        }
    }
}

/// Row count of one (category, pending) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    pub category: String,
    pub pending: bool,
    pub rows: u64,
}

/// Rows of a run per (category, pending), optionally of one category and matching a search.
pub async fn group_counts(
    tx: &mut Tx,
    run_id: i64,
    category: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<GroupCount>> {
    let pending = pending_sql();
    let mut q = Query::new(format!(
        "SELECT category, CASE WHEN {pending} THEN 1 ELSE 0 END AS pending, COUNT(*) AS n \
         FROM paydesk_recon_rows WHERE run_id = ?"
    ))
    .bind(run_id);
    if let Some(c) = category {
        q.sql.push_str(" AND category = ?");
        q.push_arg(c);
    }
    push_search(&mut q, tx.dialect(), search);
    q.sql.push_str(&format!(
        " GROUP BY category, CASE WHEN {pending} THEN 1 ELSE 0 END"
    ));
    tx.fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok(GroupCount {
                category: r.string("category")?,
                pending: r.i64("pending")? != 0,
                rows: u64::try_from(r.i64("n")?).unwrap_or(0),
            })
        })
        .collect()
}

/// One window (`offset`, `limit`) of one category's rows, pending or not (`None`: both), by id.
/// The `(run_id, category)` index hands the rows over in id order, so this reads the window,
/// not the category.
pub async fn group_page(
    tx: &mut Tx,
    run_id: i64,
    category: &str,
    pending: Option<bool>,
    search: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<RowRecord>> {
    let mut q = Query::new(format!(
        "SELECT {ROW_COLS} FROM paydesk_recon_rows WHERE run_id = ? AND category = ?"
    ))
    .bind(run_id)
    .bind(category);
    match pending {
        Some(true) => q.sql.push_str(&format!(" AND {}", pending_sql())),
        Some(false) => q.sql.push_str(&format!(" AND NOT {}", pending_sql())),
        None => {}
    }
    push_search(&mut q, tx.dialect(), search);
    q.sql.push_str(" ORDER BY id LIMIT ? OFFSET ?");
    q.push_arg(i64::try_from(limit).unwrap_or(i64::MAX));
    q.push_arg(i64::try_from(offset).unwrap_or(i64::MAX));
    tx.fetch_all(q).await?.iter().map(row_from).collect()
}

/// The run's stored status (`clean` / `open`), kept current after an action so the run list
/// need not count every run's rows.
pub async fn set_run_status(tx: &mut Tx, run_id: i64, status: &str) -> Result<u64> {
    let q = Query::new("UPDATE paydesk_recon_runs SET status = ? WHERE id = ?")
        .bind(status)
        .bind(run_id);
    Ok(tx.execute(q).await?.rows_affected)
}
