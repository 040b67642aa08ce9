//! Browsing a stored run's rows a page at a time (the desktop app's report table): counts per
//! (category, pending) group and one window of one group. A run can hold a million rows, and
//! every page asks for the counts again, so nothing here reads the rows' table to count:
//!
//! - rows per category come from the `(run_id, category)` index alone;
//! - rows acted upon (the few that are not pending) from the partial index
//!   `paydesk_recon_rows_acted`, which holds only rows with an action, and pending = rows − those;
//! - a page skips its offset in the `(run_id, category)` index, in id order, and reads only the
//!   rows it shows. A page of pending rows in a category where some rows were acted upon takes
//!   a window of ids that covers the skipped acted rows and drops them here, instead of testing
//!   every skipped row.
//!
//! Searching: a whole number (see [`WHOLE_NUMBER_LEN`]) is looked up by prefix in the indexes
//! on out_trade_no, trade_no and out_request_no; anything shorter is a substring, which only a
//! scan of the run can find.
//!
//! "Pending" = nothing done about the row yet, or only a query (`action` starting with
//! [`QUERIED`]); whether a pending row is *open* also depends on its category, which the caller
//! decides (`Category::explained`), so that rule stays in one place.

use std::collections::BTreeMap;

use super::reconcile::{ROW_COLS, RowRecord, row_from};
use crate::db::{Dialect, Query, Tx};
use crate::error::Result;
use crate::reconcile::QUERIED;

/// A search of at least this many characters, all ASCII letters, digits, `_` or `-`, is a whole
/// number (an order number has 24 digits, an Alipay trade number 28): it matches the rows whose
/// out_trade_no, trade_no or out_request_no *starts with* it, found through their indexes.
/// A shorter one matches anywhere inside them, which takes a scan of the run.
pub const WHOLE_NUMBER_LEN: usize = 20;

/// Pending rows of a category with at most this many acted-upon rows are paged through a
/// window of ids (see [`group_page`]); with more, the acted rows are filtered out in SQL.
const WINDOW_MAX_ACTED: usize = 1000;

/// SQL for "pending". QUERIED is a constant of letters, so it is safe to inline; inlining keeps
/// the expression usable twice in one statement (SELECT and GROUP BY) without repeated binds.
fn pending_sql() -> String {
    debug_assert!(QUERIED.bytes().all(|b| b.is_ascii_lowercase()));
    format!("(action IS NULL OR action LIKE '{QUERIED}%')")
}

/// NOT pending, spelled so that the partial index on rows with an action serves it.
fn closed_sql() -> String {
    format!("action IS NOT NULL AND NOT (action LIKE '{QUERIED}%')")
}

/// The rows table read through the index of rows acted upon. SQLite has no statistics to tell
/// that `run_id = ?` matches the whole run, so it would pick the run index and test every row.
fn acted_from(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "paydesk_recon_rows INDEXED BY paydesk_recon_rows_acted",
        Dialect::MySql => "paydesk_recon_rows FORCE INDEX (paydesk_recon_rows_acted)",
    }
}

enum Needle<'a> {
    /// A whole number: a prefix of one of the three numbers, by index.
    Whole(&'a str),
    /// A substring of one of them, by scanning.
    Part(&'a str),
}

fn needle(search: Option<&str>) -> Option<Needle<'_>> {
    let s = search?;
    let word = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    Some(if word && s.len() >= WHOLE_NUMBER_LEN {
        Needle::Whole(s)
    } else {
        Needle::Part(s)
    })
}

/// `FROM` for a search: the whole table, or the ids whose numbers start with a whole number
/// (one index range each) joined to their rows. SQLite is kept off the run index with unary
/// `+` in the conditions that follow ([`run_col`]), so the few hits drive the join.
fn push_from(q: &mut Query, d: Dialect, n: &Option<Needle>) {
    let Some(Needle::Whole(n)) = n else {
        q.sql.push_str(" FROM paydesk_recon_rows");
        return;
    };
    let parts: Vec<String> = ["out_trade_no", "trade_no", "out_request_no"]
        .iter()
        .map(|c| {
            let cond = match d {
                // BINARY order: every string starting with n sorts in [n, n + U+10FFFF).
                Dialect::Sqlite => format!("{c} >= ? AND {c} < ?"),
                Dialect::MySql => format!("{c} LIKE ? ESCAPE '!'"),
            };
            format!("SELECT id AS hit FROM paydesk_recon_rows WHERE {cond}")
        })
        .collect();
    q.sql.push_str(&format!(
        " FROM ({}) AS hits JOIN paydesk_recon_rows ON id = hit",
        parts.join(" UNION ")
    ));
    for _ in 0..3 {
        match d {
            Dialect::Sqlite => {
                q.push_arg(*n);
                q.push_arg(format!("{n}\u{10FFFF}"));
            }
            // The needle is letters, digits, '_' and '-': only '_' is special to LIKE.
            Dialect::MySql => q.push_arg(format!("{}%", n.replace('_', "!_"))),
        }
    }
}

/// A column in the WHERE of a search by whole number: `+col` on SQLite, so that it is tested
/// on the hits rather than chosen to drive the query.
fn run_col(d: Dialect, n: &Option<Needle>, col: &str) -> String {
    match (d, n) {
        (Dialect::Sqlite, Some(Needle::Whole(_))) => format!("+{col}"),
        _ => col.to_string(),
    }
}

/// out_request_no for a scan. MySQL computes a virtual column for every row it reads once the
/// statement names it, before any condition could spare it; the expression itself is only
/// evaluated when the conditions before it in an AND hold.
fn request_no_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "out_request_no",
        // A JSON null would unquote to the text 'null'.
        Dialect::MySql => "NULLIF(JSON_UNQUOTE(JSON_EXTRACT(detail, '$.out_request_no')), 'null')",
    }
}

/// Appends the substring condition: `needle` is a substring of out_trade_no, trade_no or
/// out_request_no. INSTR exists on both backends and needs no LIKE escaping of `%`/`_`.
/// out_request_no is parsed out of the JSON detail, which costs more than the rest of the
/// scan; a needle that JSON writes as it is (no `"`, `\` or control character) must also be in
/// the detail's text, a cheaper test that spares nearly every row the parse.
fn push_part(q: &mut Query, d: Dialect, n: &Option<Needle>) {
    let Some(Needle::Part(n)) = n else { return };
    let verbatim = !n.chars().any(|c| c == '"' || c == '\\' || c.is_control());
    let request_no = request_no_sql(d);
    q.sql.push_str(&if verbatim {
        format!(
            " AND (INSTR(out_trade_no, ?) > 0 OR INSTR(trade_no, ?) > 0 \
             OR (INSTR(detail, ?) > 0 AND INSTR({request_no}, ?) > 0))"
        )
    } else {
        format!(
            " AND (INSTR(out_trade_no, ?) > 0 OR INSTR(trade_no, ?) > 0 \
             OR INSTR({request_no}, ?) > 0)"
        )
    });
    for _ in 0..if verbatim { 4 } else { 3 } {
        q.push_arg(*n);
    }
}

/// Row count of one (category, pending) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    pub category: String,
    pub pending: bool,
    pub rows: u64,
}

fn count_of(r: &crate::db::Row) -> Result<(String, u64)> {
    Ok((
        r.string("category")?,
        u64::try_from(r.i64("n")?).unwrap_or(0),
    ))
}

/// Rows of a run per (category, pending), optionally of one category and matching a search.
/// Groups without rows are left out.
pub async fn group_counts(
    tx: &mut Tx,
    run_id: i64,
    category: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<GroupCount>> {
    let d = tx.dialect();
    let n = needle(search);
    if n.is_some() {
        let pending = pending_sql();
        let mut q = Query::new(format!(
            "SELECT category, CASE WHEN {pending} THEN 1 ELSE 0 END AS pending, COUNT(*) AS n"
        ));
        push_from(&mut q, d, &n);
        q.sql
            .push_str(&format!(" WHERE {} = ?", run_col(d, &n, "run_id")));
        q.push_arg(run_id);
        if let Some(c) = category {
            q.sql
                .push_str(&format!(" AND {} = ?", run_col(d, &n, "category")));
            q.push_arg(c);
        }
        push_part(&mut q, d, &n);
        q.sql.push_str(&format!(
            " GROUP BY category, CASE WHEN {pending} THEN 1 ELSE 0 END"
        ));
        return tx
            .fetch_all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(GroupCount {
                    category: r.string("category")?,
                    pending: r.i64("pending")? != 0,
                    rows: u64::try_from(r.i64("n")?).unwrap_or(0),
                })
            })
            .collect();
    }

    // No search: rows per category from the run index, minus the acted-upon ones.
    let mut q = Query::new(
        "SELECT category, COUNT(*) AS n FROM paydesk_recon_rows WHERE run_id = ?".to_string(),
    )
    .bind(run_id);
    let mut closed_q = Query::new(format!(
        "SELECT category, COUNT(*) AS n FROM {} WHERE run_id = ? AND {}",
        acted_from(d),
        closed_sql()
    ))
    .bind(run_id);
    if let Some(c) = category {
        for q in [&mut q, &mut closed_q] {
            q.sql.push_str(" AND category = ?");
            q.push_arg(c);
        }
    }
    q.sql.push_str(" GROUP BY category");
    closed_q.sql.push_str(" GROUP BY category");
    let closed: BTreeMap<String, u64> = tx
        .fetch_all(closed_q)
        .await?
        .iter()
        .map(count_of)
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for r in tx.fetch_all(q).await? {
        let (category, rows) = count_of(&r)?;
        let shut = closed.get(&category).copied().unwrap_or(0).min(rows);
        if rows > shut {
            out.push(GroupCount {
                category: category.clone(),
                pending: true,
                rows: rows - shut,
            });
        }
        if shut > 0 {
            out.push(GroupCount {
                category,
                pending: false,
                rows: shut,
            });
        }
    }
    Ok(out)
}

/// One window (`offset`, `limit`) of one category's rows, pending or not (`None`: both), by id.
/// The `(run_id, category)` index hands the ids over in id order, so this skips the offset in
/// the index and reads only the window's rows.
pub async fn group_page(
    tx: &mut Tx,
    run_id: i64,
    category: &str,
    pending: Option<bool>,
    search: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<RowRecord>> {
    let d = tx.dialect();
    let n = needle(search);
    let lim = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    if n.is_some() {
        // The few rows of a search: filtered as they are.
        let mut q = Query::new(format!("SELECT {ROW_COLS}"));
        push_from(&mut q, d, &n);
        q.sql.push_str(&format!(
            " WHERE {} = ? AND {} = ?",
            run_col(d, &n, "run_id"),
            run_col(d, &n, "category")
        ));
        q.push_arg(run_id);
        q.push_arg(category);
        match pending {
            Some(true) => q.sql.push_str(&format!(" AND {}", pending_sql())),
            Some(false) => q.sql.push_str(&format!(" AND NOT {}", pending_sql())),
            None => {}
        }
        push_part(&mut q, d, &n);
        q.sql.push_str(" ORDER BY id LIMIT ? OFFSET ?");
        q.push_arg(lim(limit));
        q.push_arg(lim(offset));
        return tx.fetch_all(q).await?.iter().map(row_from).collect();
    }

    // The window's ids first, from the index alone, then their rows: MySQL would otherwise
    // read every skipped row in full (the SQLite plan is the same either way).
    let page = |extra: &str| {
        Query::new(format!(
            "SELECT {ROW_COLS} FROM paydesk_recon_rows JOIN (SELECT id AS pid \
             FROM paydesk_recon_rows WHERE run_id = ? AND category = ?{extra} \
             ORDER BY id LIMIT ? OFFSET ?) AS p ON id = pid ORDER BY id"
        ))
        .bind(run_id)
        .bind(category)
    };
    let closed_ids = format!(
        "SELECT id FROM {} WHERE run_id = ? AND category = ? AND {}",
        acted_from(d),
        closed_sql()
    );
    let q = match pending {
        None => page(""),
        // The acted-upon rows, by id from their index.
        Some(false) => page(&format!(" AND id IN ({closed_ids})"))
            .bind(run_id)
            .bind(category),
        Some(true) => {
            let q = Query::new(format!("{closed_ids} ORDER BY id"))
                .bind(run_id)
                .bind(category);
            let closed: Vec<i64> = tx
                .fetch_all(q)
                .await?
                .iter()
                .map(|r| r.i64("id"))
                .collect::<Result<_>>()?;
            if closed.is_empty() {
                page("")
            } else if closed.len() <= WINDOW_MAX_ACTED {
                return pending_window(tx, run_id, category, &closed, offset, limit).await;
            } else {
                page(&format!(" AND id NOT IN ({closed_ids})"))
                    .bind(run_id)
                    .bind(category)
            }
        }
    };
    let mut q = q;
    q.push_arg(lim(limit));
    q.push_arg(lim(offset));
    tx.fetch_all(q).await?.iter().map(row_from).collect()
}

/// Pending rows `offset..offset + limit` of a category whose acted-upon rows are `closed`
/// (ascending ids, a few). The row of rank r among all the category's rows is pending rank
/// r − (acted rows before it), so the wanted rows lie among all-rows ranks
/// `offset..offset + limit + closed.len()`: one index-only window of ids, then those rows.
async fn pending_window(
    tx: &mut Tx,
    run_id: i64,
    category: &str,
    closed: &[i64],
    offset: u64,
    limit: u64,
) -> Result<Vec<RowRecord>> {
    let lim = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let q = Query::new(
        "SELECT id FROM paydesk_recon_rows WHERE run_id = ? AND category = ? \
         ORDER BY id LIMIT ? OFFSET ?",
    )
    .bind(run_id)
    .bind(category)
    .bind(lim(limit + closed.len() as u64))
    .bind(lim(offset));
    let mut ids = Vec::new();
    for (i, r) in tx.fetch_all(q).await?.iter().enumerate() {
        let id = r.i64("id")?;
        let before = closed.partition_point(|c| *c < id) as u64;
        if closed.binary_search(&id).is_ok() {
            continue;
        }
        let rank = offset + i as u64 - before;
        if rank >= offset + limit {
            break;
        }
        if rank >= offset {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(format!(
        "SELECT {ROW_COLS} FROM paydesk_recon_rows WHERE id IN ({}) ORDER BY id",
        vec!["?"; ids.len()].join(", ")
    ));
    for id in ids {
        q.push_arg(id);
    }
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;
    use serde_json::json;

    use super::*;
    use crate::db::Store;
    use crate::queries::reconcile::{self as rq, NewRow, NewRun, RowWriter};

    /// A stored row as the test knows it.
    struct R {
        id: i64,
        category: &'static str,
        action: Option<String>,
        out_trade_no: String,
        trade_no: Option<String>,
        out_request_no: Option<String>,
    }

    impl R {
        fn pending(&self) -> bool {
            self.action
                .as_deref()
                .is_none_or(|a| a.starts_with(QUERIED))
        }
        fn numbers(&self) -> [Option<&str>; 3] {
            [
                Some(self.out_trade_no.as_str()),
                self.trade_no.as_deref(),
                self.out_request_no.as_deref(),
            ]
        }
        fn matches(&self, search: Option<&str>) -> bool {
            match needle(search) {
                None => true,
                Some(Needle::Whole(n)) => self.numbers().iter().flatten().any(|s| s.starts_with(n)),
                Some(Needle::Part(n)) => self.numbers().iter().flatten().any(|s| s.contains(n)),
            }
        }
    }

    const N: usize = 1500;

    /// A run of N rows: missed_notify (4 in 5; out_trade_no = 24 digits, most with a trade_no,
    /// some with an out_request_no) and other_app (SHOP_… and SHOPX… numbers). `act` says
    /// what was done about row i.
    async fn store_run(store: &Store, act: impl Fn(usize) -> Option<String>) -> (i64, Vec<R>) {
        let t = NaiveDateTime::parse_from_str("2026-11-25 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let run = NewRun {
            operator: "tester".into(),
            profile: "test".into(),
            started_time: t,
            finished_time: t,
            bill_type: "trade".into(),
            period_start: "2026-11-24".into(),
            period_end: "2026-11-24".into(),
            bill_checksum: "00".into(),
            status: "open".into(),
            counts_json: "{}".into(),
            sums_json: "{}".into(),
        };
        let mut tx = store.begin_write().await.unwrap();
        let run_id = rq::insert_run(&mut tx, &run).await.unwrap();
        let mut w = RowWriter::new(&tx, run_id);
        let mut rows = Vec::new();
        for i in 0..N {
            let (category, out_trade_no) = match i % 10 {
                4 => ("other_app", format!("SHOP_{i:020}")),
                9 => ("other_app", format!("SHOPX{i:020}")),
                _ => ("missed_notify", format!("20261124{:08}{i:08}", i % 7)),
            };
            let trade_no = (i % 3 != 0).then(|| format!("2026112422001{i:015}"));
            let out_request_no = (i % 10 == 3).then(|| format!("{out_trade_no}R1"));
            let detail = json!({
                "out_request_no": out_request_no, "at": null, "subject": null,
                "local_status": null, "message": format!("row {i}"),
            })
            .to_string();
            let r = NewRow {
                category,
                trade_no: trade_no.as_deref(),
                out_trade_no: Some(&out_trade_no),
                order_id: None,
                bill_amount: None,
                order_amount: None,
                detail: &detail,
            };
            w.push(&mut tx, r).await.unwrap();
            rows.push(R {
                id: 0,
                category,
                action: act(i),
                out_trade_no,
                trade_no,
                out_request_no,
            });
        }
        assert_eq!(w.finish(&mut tx).await.unwrap(), N as u64);
        let ids = rq::row_ids(&mut tx, run_id, N).await.unwrap();
        for (r, id) in rows.iter_mut().zip(ids) {
            r.id = id;
            if let Some(a) = &r.action {
                rq::set_row_action(&mut tx, id, a, "tester").await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        (run_id, rows)
    }

    /// group_counts and group_page against the rows as the test knows them.
    async fn agrees(store: &Store, run_id: i64, rows: &[R], search: Option<&str>) {
        let hits: Vec<&R> = rows.iter().filter(|r| r.matches(search)).collect();
        let mut tx = store.begin_read().await.unwrap();
        for category in [None, Some("missed_notify"), Some("other_app")] {
            let mut got = group_counts(&mut tx, run_id, category, search)
                .await
                .unwrap();
            got.sort_by(|a, b| (&a.category, a.pending).cmp(&(&b.category, b.pending)));
            let mut want = Vec::new();
            for c in ["missed_notify", "other_app"] {
                for pending in [false, true] {
                    let n = hits
                        .iter()
                        .filter(|r| r.category == c && r.pending() == pending)
                        .count() as u64;
                    if n > 0 && category.is_none_or(|x| x == c) {
                        want.push(GroupCount {
                            category: c.into(),
                            pending,
                            rows: n,
                        });
                    }
                }
            }
            assert_eq!(got, want, "counts of {category:?} matching {search:?}");
        }
        for c in ["missed_notify", "other_app"] {
            for pending in [None, Some(true), Some(false)] {
                let all: Vec<i64> = hits
                    .iter()
                    .filter(|r| r.category == c && pending.is_none_or(|p| r.pending() == p))
                    .map(|r| r.id)
                    .collect();
                let n = all.len() as u64;
                for offset in [0, 1, 37, n / 2, n.saturating_sub(3), n, n + 5] {
                    for limit in [1, 7, 50] {
                        let got: Vec<i64> =
                            group_page(&mut tx, run_id, c, pending, search, offset, limit)
                                .await
                                .unwrap()
                                .iter()
                                .map(|r| r.id)
                                .collect();
                        let from = (offset as usize).min(all.len());
                        let to = (from + limit as usize).min(all.len());
                        assert_eq!(
                            got,
                            all[from..to],
                            "{c} pending {pending:?} matching {search:?} at {offset}+{limit}"
                        );
                    }
                }
            }
        }
        tx.rollback().await.unwrap();
    }

    async fn pages_on(store: Store) {
        // Many rows acted upon (more than a window takes), then a few, with queried ones
        // (still pending) among them; the same numbers in both runs.
        let (many, many_rows) = store_run(&store, |i| match i % 11 {
            0 if i % 2 == 0 => Some(format!("{QUERIED}: WAIT_BUYER_PAY")),
            0 => None,
            _ => Some("accepted: fine".into()),
        })
        .await;
        let acted = many_rows
            .iter()
            .filter(|r| r.category == "missed_notify" && !r.pending())
            .count();
        assert!(acted > WINDOW_MAX_ACTED, "{acted} acted rows");
        let (few, few_rows) = store_run(&store, |i| match i % 50 {
            1 => Some("settled".into()),
            2 => Some(format!("{QUERIED}: TRADE_SUCCESS")),
            _ => None,
        })
        .await;
        let r = &few_rows[1234];
        let searches = [
            None,
            // Whole numbers: one row's out_trade_no, trade_no, out_request_no (its prefix); the
            // 20-digit prefix a seventh of the platform rows share; SHOP_ must not match SHOPX.
            Some(r.out_trade_no.clone()),
            Some(r.trade_no.clone().unwrap()),
            Some(few_rows[13].out_request_no.clone().unwrap()[..25].to_string()),
            Some(r.out_trade_no[..20].to_string()),
            Some("SHOP_000000000000000".to_string()),
            Some("20991231000000000000000000".to_string()),
            // Parts: the middle of a trade_no, of an out_request_no, nothing, and characters
            // JSON escapes.
            Some("1220010000".to_string()),
            Some("013R".to_string()),
            Some("NOPE".to_string()),
            Some("R1\"".to_string()),
        ];
        for s in &searches {
            agrees(&store, many, &many_rows, s.as_deref()).await;
            agrees(&store, few, &few_rows, s.as_deref()).await;
        }
    }

    #[tokio::test]
    async fn browse_counts_and_pages_sqlite() {
        crate::test_stores::on_sqlite(async |store| pages_on(store).await).await;
    }

    /// On the test MariaDB: fails when it is unreachable.
    #[tokio::test]
    async fn browse_counts_and_pages_mariadb() {
        crate::test_stores::on_mariadb("pd_recon_rows", async |store| pages_on(store).await).await;
    }
}
