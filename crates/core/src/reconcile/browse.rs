//! A stored run for a screen: its header (the report without the rows, with the row and open
//! counts from SQL) and one page of rows at a time. The desktop app shows runs this way so a
//! month with many rows is never loaded, or sent over IPC, whole.
//!
//! Page order: open rows first, then by category in [`Category::ALL`] order, then by id. The
//! order is realised as a sequence of (open, category) groups whose sizes one grouped count
//! gives; a page reads only the groups it overlaps, each by index in id order.

use chrono::NaiveDateTime;
use serde::Serialize;

use super::runs::{assemble, discrepancy};
use super::{BillMeta, Category, Discrepancy, Period, ReconError, ReconResult, Summary};
use crate::db::Store;
use crate::queries::recon_rows::{self as q, GroupCount};
use crate::queries::reconcile::get_run;

/// The most rows one page may hold.
pub const MAX_PAGE: u64 = 500;

/// A run's report without its rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunHeader {
    pub run_id: i64,
    pub period: Period,
    pub operator: String,
    pub profile: String,
    pub started_time: NaiveDateTime,
    pub finished_time: Option<NaiveDateTime>,
    /// `clean` (nothing open) or `open`, as of now.
    pub status: String,
    pub bill: BillMeta,
    /// `summary.open` is counted now, so it reflects actions taken since the run.
    pub summary: Summary,
    /// Stored rows (discrepancies and informational rows; matches are only counted).
    pub rows: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub category: Option<Category>,
    pub open_only: bool,
    /// A substring of out_trade_no, trade_no or out_request_no; blank = no search.
    pub search: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowPage {
    pub rows: Vec<Discrepancy>,
    /// Rows matching the filter, on every page.
    pub total: u64,
}

/// Open = pending (nothing done, or only queried) in a category that is not explained.
fn group_open(g: &GroupCount) -> ReconResult<(Category, bool)> {
    let c = Category::parse(&g.category).ok_or_else(|| {
        ReconError::from(crate::error::StoreError::Corrupt(format!(
            "paydesk_recon_rows.category {:?}",
            g.category
        )))
    })?;
    Ok((c, g.pending && !c.explained()))
}

/// Rows and open rows of a run, counted in SQL.
async fn counts(tx: &mut crate::db::Tx, run_id: i64) -> ReconResult<(u64, u64)> {
    let (mut rows, mut open) = (0, 0);
    for g in q::group_counts(tx, run_id, None, None).await? {
        rows += g.rows;
        if group_open(&g)?.1 {
            open += g.rows;
        }
    }
    Ok((rows, open))
}

fn status_of(open: u64) -> &'static str {
    if open == 0 { "clean" } else { "open" }
}

/// One stored row by id, with its run's id.
pub async fn row(store: &Store, row_id: i64) -> ReconResult<(i64, Discrepancy)> {
    let mut tx = store.begin_read().await?;
    let r = crate::queries::reconcile::get_row(&mut tx, row_id)
        .await?
        .ok_or(ReconError::RowNotFound(row_id))?;
    tx.rollback().await?;
    Ok((r.run_id, discrepancy(r)?))
}

/// Recounts a run's open rows after an action and stores its status to match (the run list
/// shows the stored status). Returns the open count.
pub async fn refresh_status(store: &Store, run_id: i64) -> ReconResult<u64> {
    let mut tx = store.begin_write().await?;
    let (_, open) = counts(&mut tx, run_id).await?;
    q::set_run_status(&mut tx, run_id, status_of(open)).await?;
    tx.commit().await?;
    Ok(open)
}

/// The run's report without rows, with the stored row count and the open count from SQL.
pub async fn header(store: &Store, run_id: i64) -> ReconResult<RunHeader> {
    let mut tx = store.begin_read().await?;
    let run = get_run(&mut tx, run_id)
        .await?
        .ok_or(ReconError::RunNotFound(run_id))?;
    let (rows, open) = counts(&mut tx, run_id).await?;
    tx.rollback().await?;
    let r = assemble(run, Vec::new(), open)?;
    Ok(RunHeader {
        run_id: r.run_id,
        period: r.period,
        operator: r.operator,
        profile: r.profile,
        started_time: r.started_time,
        finished_time: r.finished_time,
        status: r.status,
        bill: r.bill,
        summary: r.summary,
        rows,
    })
}

/// One page of a run's rows matching `filter`: `limit` (1..=[`MAX_PAGE`]) rows from `offset`
/// in page order, and how many match in all.
pub async fn rows(
    store: &Store,
    run_id: i64,
    filter: &RowFilter,
    offset: u64,
    limit: u64,
) -> ReconResult<RowPage> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ReconError::InvalidInput(format!(
            "a page holds 1 to {MAX_PAGE} rows, not {limit}"
        )));
    }
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let category = filter.category.map(Category::as_str);
    let mut tx = store.begin_read().await?;
    if get_run(&mut tx, run_id).await?.is_none() {
        return Err(ReconError::RunNotFound(run_id));
    }
    // (open, category, which pending state, rows) in page order. An unexplained category splits
    // into its open (pending) and closed groups; an explained one is a single closed group, so
    // its rows stay in id order whatever was done about them.
    let mut groups: Vec<(bool, Category, Option<bool>, u64)> = Vec::new();
    for g in q::group_counts(&mut tx, run_id, category, search).await? {
        let (c, open) = group_open(&g)?;
        if filter.open_only && !open {
            continue;
        }
        if c.explained() {
            match groups.iter_mut().find(|x| x.1 == c) {
                Some(x) => x.3 += g.rows,
                None => groups.push((false, c, None, g.rows)),
            }
        } else {
            groups.push((open, c, Some(g.pending), g.rows));
        }
    }
    let rank = |c: Category| Category::ALL.iter().position(|x| *x == c);
    groups.sort_by_key(|(open, c, _, _)| (!*open, rank(*c)));
    let total = groups.iter().map(|g| g.3).sum();

    let mut out = Vec::new();
    let (mut skip, mut want) = (offset, limit);
    for (_, c, pending, n) in groups {
        if want == 0 {
            break;
        }
        if skip >= n {
            skip -= n;
            continue;
        }
        let take = want.min(n - skip);
        for r in q::group_page(&mut tx, run_id, c.as_str(), pending, search, skip, take).await? {
            out.push(discrepancy(r)?);
        }
        skip = 0;
        want -= take;
    }
    tx.rollback().await?;
    Ok(RowPage { rows: out, total })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::queries::reconcile::{self as rq, NewRow, NewRun, RowWriter};
    use crate::reconcile::{BillMeta, DayTotals};

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// (category, out_trade_no, trade_no, detail JSON) of a test row.
    fn row(category: &str, out_trade_no: &str, out_request_no: Option<&str>) -> [String; 4] {
        [
            category.into(),
            out_trade_no.into(),
            format!("2026112422001{out_trade_no}"),
            json!({
                "out_request_no": out_request_no, "at": null, "subject": null,
                "local_status": null, "message": format!("{category} {out_trade_no}"),
            })
            .to_string(),
        ]
    }

    /// A run of eight rows: open and closed, explained and not, queried and acted upon.
    async fn browse_on(store: Store) {
        let run = NewRun {
            operator: "tester".into(),
            profile: "test".into(),
            started_time: t("2026-11-25 09:00:00"),
            finished_time: t("2026-11-25 09:00:01"),
            bill_type: "trade".into(),
            period_start: "2026-11-24".into(),
            period_end: "2026-11-24".into(),
            bill_checksum: "00".into(),
            status: "open".into(),
            counts_json: json!({ "categories": { "missed_notify": 3 }, "bill_rows": 9 })
                .to_string(),
            sums_json: json!({
                "categories": {}, "days": [], "total": DayTotals::default(),
                "bill": BillMeta::default(),
            })
            .to_string(),
        };
        let new_rows = [
            row("missing_from_bill", "A1", None),
            row("other_app", "SHOP-1", None),
            row("missed_notify", "A2", None),
            row("missed_notify", "A3", None),
            row("refund_unresolved", "A4", Some("R-77")),
            row("missed_notify", "A5", None),
            row("other_type", "X", None),
            row("other_app", "SHOP-2", None),
        ];
        let mut tx = store.begin_write().await.unwrap();
        let run_id = rq::insert_run(&mut tx, &run).await.unwrap();
        let mut w = RowWriter::new(&tx, run_id);
        for [category, out_trade_no, trade_no, detail] in &new_rows {
            let r = NewRow {
                category,
                trade_no: Some(trade_no),
                out_trade_no: Some(out_trade_no),
                order_id: None,
                bill_amount: Some(rust_decimal::Decimal::new(1000, 2)),
                order_amount: None,
                detail,
            };
            w.push(&mut tx, r).await.unwrap();
        }
        assert_eq!(w.finish(&mut tx).await.unwrap(), 8);
        let ids = rq::row_ids(&mut tx, run_id, 8).await.unwrap();
        rq::set_row_action(&mut tx, ids[3], "settled", "tester")
            .await
            .unwrap();
        rq::set_row_action(&mut tx, ids[5], "queried: WAIT_BUYER_PAY", "tester")
            .await
            .unwrap();
        rq::set_row_action(&mut tx, ids[6], "accepted: fine", "tester")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let id = |i: usize| ids[i];

        let h = header(&store, run_id).await.unwrap();
        assert_eq!((h.rows, h.summary.open, h.status.as_str()), (8, 4, "open"));
        assert_eq!(h.summary.bill_rows, 9);
        assert_eq!(h.period, Period::parse("2026-11-24").unwrap());

        let page = |f: RowFilter, offset, limit| {
            let store = store.clone();
            async move {
                let p = rows(&store, run_id, &f, offset, limit).await.unwrap();
                (
                    p.total,
                    p.rows.iter().map(|d| d.id.unwrap()).collect::<Vec<_>>(),
                )
            }
        };
        let all = RowFilter::default();
        // Open first (missed_notify, missing_from_bill, refund_unresolved), then closed, each by
        // category order and id; a queried row is still open.
        let order = vec![id(2), id(5), id(0), id(4), id(3), id(1), id(7), id(6)];
        assert_eq!(page(all.clone(), 0, 500).await, (8, order.clone()));
        assert_eq!(page(all.clone(), 3, 3).await, (8, order[3..6].to_vec()));
        assert_eq!(page(all.clone(), 7, 5).await, (8, order[7..].to_vec()));
        assert_eq!(page(all.clone(), 20, 5).await, (8, vec![]));
        let open = RowFilter {
            open_only: true,
            ..RowFilter::default()
        };
        assert_eq!(page(open.clone(), 0, 10).await, (4, order[..4].to_vec()));
        let by_request_no = RowFilter {
            search: Some(" R-7 ".into()),
            ..RowFilter::default()
        };
        assert_eq!(page(by_request_no, 0, 10).await, (1, vec![id(4)]));
        let shops = RowFilter {
            search: Some("SHOP".into()),
            ..RowFilter::default()
        };
        assert_eq!(page(shops, 0, 10).await, (2, vec![id(1), id(7)]));
        let by_trade_no = RowFilter {
            search: Some("22001A3".into()),
            ..RowFilter::default()
        };
        assert_eq!(page(by_trade_no, 0, 10).await, (1, vec![id(3)]));
        let missed = RowFilter {
            category: Some(Category::MissedNotify),
            ..RowFilter::default()
        };
        assert_eq!(page(missed, 1, 10).await, (3, vec![id(5), id(3)]));
        let got = rows(&store, run_id, &all, 0, 500).await.unwrap();
        assert_eq!(got.rows[3].out_request_no.as_deref(), Some("R-77"));
        assert_eq!(got.rows[3].message, "refund_unresolved A4");
        assert!(got.rows.iter().take(4).all(Discrepancy::open));
        assert!(!got.rows.iter().skip(4).any(Discrepancy::open));

        for bad in [0, MAX_PAGE + 1] {
            assert!(matches!(
                rows(&store, run_id, &all, 0, bad).await,
                Err(ReconError::InvalidInput(_))
            ));
        }
        assert!(matches!(
            header(&store, run_id + 1).await,
            Err(ReconError::RunNotFound(_))
        ));
        assert!(matches!(
            rows(&store, run_id + 1, &all, 0, 10).await,
            Err(ReconError::RunNotFound(_))
        ));

        // Closing the last open rows makes the stored status clean.
        let mut tx = store.begin_write().await.unwrap();
        for i in [0, 2, 4, 5] {
            rq::set_row_action(&mut tx, id(i), "accepted: ok", "tester")
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(refresh_status(&store, run_id).await.unwrap(), 0);
        assert_eq!(header(&store, run_id).await.unwrap().status, "clean");
        let listed = crate::reconcile::list(&store, None, 5).await.unwrap();
        assert_eq!(listed[0].status, "clean");
    }

    #[tokio::test]
    async fn pages_filters_and_counts_sqlite() {
        crate::test_stores::on_sqlite(async |store| browse_on(store).await).await;
    }

    /// On the test MariaDB: fails when it is unreachable.
    #[tokio::test]
    async fn pages_filters_and_counts_mariadb() {
        crate::test_stores::on_mariadb("pd_browse", async |store| browse_on(store).await).await;
    }
}
