//! A run from bill to stored report, reopening runs, and comparing a run with a later one.

use std::collections::{BTreeMap, HashSet};

use alipay::bill::{Bill, read_bill};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::intake::{BillSource, obtain};
use super::matcher::{Findings, Ledger, derived_message, match_bill};
use super::{
    BillMeta, Category, CategoryTotals, Control, DayTotals, Discrepancy, Period, ReconError,
    ReconResult, Summary,
};
use crate::db::Store;
use crate::desk::Desk;
use crate::queries::reconcile::{
    self as q, NewRow, NewRun, RowBatch, RowRecord, RowWriter, RunRecord,
};

/// Orders created this long before the period are loaded with it: an order is usually paid
/// within its 15-minute timeout, so one day covers the period's first payments. Older orders
/// the bill names are looked up by number afterwards.
const CREATED_SLACK_DAYS: i64 = 1;
/// Paydesk refunds are looked for this far back (a refund resolves within minutes to days).
const REFUND_SLACK_DAYS: i64 = 35;
const PROGRESS_EVERY: u64 = 50_000;

#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The day or month; for an imported file it may be left out (the bill says).
    pub period: Option<Period>,
    pub source: BillSource,
    /// The profile's seller id (2088…), when known without a gateway; the bill's account must
    /// be this seller's. Defaults to the desk gateway's seller.
    pub seller_id: Option<String>,
}

/// A stored run, with every discrepancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: i64,
    pub period: Period,
    pub operator: String,
    pub profile: String,
    pub started_time: NaiveDateTime,
    pub finished_time: Option<NaiveDateTime>,
    /// `clean` (nothing open) or `open`.
    pub status: String,
    pub bill: BillMeta,
    pub summary: Summary,
    pub discrepancies: Vec<Discrepancy>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    Reconciled(Box<RunReport>),
    /// Alipay has no bill for the period (`isp.bill_not_exist`). Nothing is stored. Paid orders
    /// in the period are counted: with no bill there should be none.
    NoBill {
        period: Period,
        message: String,
        paid_orders: i64,
        paid_amount: Decimal,
    },
}

/// One line of the run list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub period: String,
    pub started_time: NaiveDateTime,
    pub operator: String,
    pub status: String,
    pub bill_checksum: Option<String>,
}

/// Discrepancies of one run against a later one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub earlier: i64,
    pub later: i64,
    /// Open in the earlier run, gone or dealt with in the later one.
    pub resolved: Vec<Discrepancy>,
    /// Open in the later run only.
    pub new: Vec<Discrepancy>,
    /// Open in both (as in the later run).
    pub still_open: Vec<Discrepancy>,
}

#[derive(Serialize, Deserialize)]
struct StoredCounts {
    categories: BTreeMap<Category, u64>,
    bill_rows: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredSums {
    categories: BTreeMap<Category, (Decimal, Decimal)>,
    days: Vec<DayTotals>,
    total: DayTotals,
    bill: BillMeta,
}

/// `paydesk_recon_rows.detail`: what has no column of its own. An absent `message` is the
/// category's fixed wording ([`derived_message`]).
#[derive(Deserialize)]
struct StoredDetail {
    out_request_no: Option<String>,
    at: Option<NaiveDateTime>,
    subject: Option<String>,
    local_status: Option<String>,
    message: Option<String>,
}

/// [`StoredDetail`] as written: borrowed from the row, and without the absent fields (a
/// missing order has two of five) or a message its category always has, which read back the
/// same.
#[derive(Serialize)]
struct DetailOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    out_request_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// The detail JSON of `d`, written into `buf` (reused from row to row).
fn detail_json<'b>(d: &Discrepancy, buf: &'b mut Vec<u8>) -> ReconResult<&'b str> {
    buf.clear();
    let derived = derived_message(d.category, d.order_amount);
    let message = (derived.as_deref() != Some(d.message.as_str())).then_some(d.message.as_str());
    serde_json::to_writer(
        &mut *buf,
        &DetailOut {
            out_request_no: d.out_request_no.as_deref(),
            at: d.at,
            subject: d.subject.as_deref(),
            local_status: d.local_status.as_deref(),
            message,
        },
    )
    .map_err(|e| ReconError::Refused(format!("cannot encode the run: {e}")))?;
    std::str::from_utf8(buf).map_err(|e| ReconError::Refused(format!("cannot encode the run: {e}")))
}

/// A time as the database keeps it (to the microsecond), so the report a run returns reads
/// the same as the run reopened.
fn as_stored(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike as _;
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

fn status_of(open: u64) -> String {
    if open == 0 { "clean" } else { "open" }.to_string()
}

/// Reconciles one bill and stores the run. Nothing is written when the bill is refused, is for
/// another account or period, or the run is cancelled.
pub async fn run(desk: &Desk, req: RunRequest, ctl: &Control) -> ReconResult<RunOutcome> {
    let started = desk.now();
    let store = &desk.store;
    let client = desk.gateway().ok().map(|g| &g.client);
    ctl.report("download", 0, 1);
    let Some((source, bytes)) = obtain(req.source, req.period, client).await? else {
        let period = req
            .period
            .ok_or_else(|| ReconError::InvalidInput("no period".into()))?;
        let mut tx = store.begin_read().await?;
        let (paid_orders, paid_amount) =
            q::paid_in_period(&mut tx, period.start(), period.end()).await?;
        tx.rollback().await?;
        let message = if paid_orders == 0 {
            format!("no bill for {period}: Alipay recorded no trades, and no order was paid here")
        } else {
            format!(
                "no bill for {period}, yet {paid_orders} orders ({paid_amount}) were paid here: every paid order belongs in the bill, so ask Alipay about each of them (the order's trade status)"
            )
        };
        return Ok(RunOutcome::NoBill {
            period,
            message,
            paid_orders,
            paid_amount,
        });
    };
    ctl.check()?;
    ctl.report("parse", 0, 1);
    let byte_len = bytes.len() as u64;
    // Parsing is CPU work off the async threads; with the period known it overlaps the order load.
    let ctl_parse = ctl.clone();
    let parse = tokio::task::spawn_blocking(move || -> ReconResult<(Bill, String)> {
        let sha = hex::encode(Sha256::digest(&bytes));
        let mut rows = Vec::new();
        let info = read_bill(&bytes, |r| {
            rows.push(r);
            if rows.len() % PROGRESS_EVERY as usize != 0 {
                return true;
            }
            ctl_parse.report("parse", rows.len() as u64, 0);
            !ctl_parse.cancelled()
        })
        .map_err(|e| {
            if e == alipay::bill::BillError::Stopped {
                ReconError::Cancelled
            } else {
                e.into()
            }
        })?;
        Ok((Bill { info, rows }, sha))
    });
    let (bill, sha, mut ledger) = match req.period {
        Some(p) => {
            let (parsed, ledger) = tokio::join!(parse, load_ledger(store, p, ctl));
            let (bill, sha) =
                parsed.map_err(|e| ReconError::Refused(format!("bill parser stopped: {e}")))??;
            (bill, sha, ledger?)
        }
        None => {
            let (bill, sha) = parse
                .await
                .map_err(|e| ReconError::Refused(format!("bill parser stopped: {e}")))??;
            let p = Period::of_range(bill.info.start, bill.info.end).ok_or_else(|| {
                ReconError::OddPeriod(format!("{} – {}", bill.info.start, bill.info.end))
            })?;
            let ledger = load_ledger(store, p, ctl).await?;
            (bill, sha, ledger)
        }
    };
    let period = Period::of_range(bill.info.start, bill.info.end)
        .ok_or_else(|| ReconError::OddPeriod(format!("{} – {}", bill.info.start, bill.info.end)))?;
    if let Some(asked) = req.period
        && asked != period
    {
        return Err(ReconError::OtherPeriod {
            bill: period.to_string(),
            requested: asked.to_string(),
        });
    }
    let seller = req
        .seller_id
        .clone()
        .or_else(|| desk.gateway().ok().map(|g| g.seller_id.clone()));
    if let Some(seller) = seller.filter(|s| !s.is_empty())
        && !bill.info.account.starts_with(seller.as_str())
    {
        return Err(ReconError::OtherAccount {
            bill_account: bill.info.account.clone(),
            seller_id: seller,
        });
    }
    ctl.check()?;

    let meta = BillMeta {
        source,
        sha256: sha,
        bytes: byte_len,
        account: bill.info.account.clone(),
        encoding: bill.info.encoding.to_string(),
        detail_name: bill.info.detail_name.clone(),
        summary_name: bill.info.summary_name.clone(),
        export_time: bill.info.export_time,
    };
    // Fees are checked only when the bill has the column (without it each fee reads 0.00).
    ledger.check_fees(
        bill.info
            .has_service_fee
            .then(|| super::checks::FeeRate::new(desk.fee_rate))
            .flatten(),
    );
    let mut tx = store.begin_read().await?;
    let last = period.end_day().pred_opt().unwrap_or(period.end_day());
    for id in
        crate::queries::recon_carry::billed_elsewhere(&mut tx, period.first_day(), last).await?
    {
        ledger.add_billed_elsewhere(id);
    }
    tx.rollback().await?;
    let ctl_match = ctl.clone();
    let handle = tokio::runtime::Handle::current();
    let store_match = store.clone();
    let mut findings = tokio::task::spawn_blocking(move || {
        // Rows naming orders or refunds outside the period (an old order paid late, a refund of
        // an old order): fetched in one batched read from this blocking thread.
        let mut lookup = |numbers: Vec<String>, nos: Vec<String>| {
            handle.block_on(async {
                let mut tx = store_match.begin_read().await?;
                let orders = q::orders_by_numbers(&mut tx, &numbers).await?;
                let refunds = q::refunds_by_request_nos(&mut tx, &nos).await?;
                tx.rollback().await?;
                Ok::<_, ReconError>((orders, refunds))
            })
        };
        match_bill(
            &bill.rows,
            &mut ledger,
            period.start(),
            period.end(),
            &ctl_match,
            &mut lookup,
        )
    })
    .await
    .map_err(|e| ReconError::Refused(format!("matching stopped: {e}")))??;
    ctl.check()?;
    let finished = desk.now();
    let (run_id, discrepancies) =
        save(desk, period, started, finished, &meta, &mut findings, ctl).await?;
    // The report is what was just stored, from memory: reading a million rows back (as `load`
    // does for a stored run) would only give the same rows again.
    let summary = findings.summary;
    Ok(RunOutcome::Reconciled(Box::new(RunReport {
        run_id,
        period,
        operator: desk.operator.clone(),
        profile: desk.profile_name.clone(),
        started_time: as_stored(started),
        finished_time: Some(as_stored(finished)),
        status: status_of(summary.open),
        bill: meta,
        summary,
        discrepancies,
    })))
}

async fn load_ledger(store: &Store, period: Period, ctl: &Control) -> ReconResult<Ledger> {
    let mut ledger = Ledger::default();
    let (start, end) = (period.start(), period.end());
    let mut n = 0u64;
    let mut cancelled = false;
    q::stream_period_orders(
        store,
        start - chrono::Duration::days(CREATED_SLACK_DAYS),
        start,
        end,
        |number, key| {
            ledger.add_order(number, key);
            n += 1;
            if n.is_multiple_of(PROGRESS_EVERY) {
                ctl.report("load orders", n, 0);
                cancelled = ctl.cancelled();
            }
            !cancelled
        },
    )
    .await?;
    ctl.check()?;
    // A refund asked for just before midnight may be recorded after it: one day of slack.
    let created_to = end + chrono::Duration::days(1);
    q::stream_period_refunds(
        store,
        start - chrono::Duration::days(REFUND_SLACK_DAYS),
        created_to,
        |r| {
            ledger.add_refund(r);
            true
        },
    )
    .await?;
    ctl.report("load orders", n, n);
    Ok(ledger)
}

fn last_day(p: Period) -> String {
    p.end_day()
        .pred_opt()
        .unwrap_or(p.end_day())
        .format("%Y-%m-%d")
        .to_string()
}

/// Stores the run and every row in one write transaction (all or nothing), the rows streamed
/// into batched INSERTs as `f` yields them. Returns the run id and the rows, with their ids.
async fn save(
    desk: &Desk,
    period: Period,
    started: NaiveDateTime,
    finished: NaiveDateTime,
    meta: &BillMeta,
    f: &mut Findings,
    ctl: &Control,
) -> ReconResult<(i64, Vec<Discrepancy>)> {
    let s = &f.summary;
    let counts = StoredCounts {
        categories: s.categories.iter().map(|(c, t)| (*c, t.count)).collect(),
        bill_rows: s.bill_rows,
    };
    let sums = StoredSums {
        categories: s
            .categories
            .iter()
            .map(|(c, t)| (*c, (t.bill_amount, t.order_amount)))
            .collect(),
        days: s.days.clone(),
        total: s.total.clone(),
        bill: meta.clone(),
    };
    let run = NewRun {
        operator: desk.operator.clone(),
        profile: desk.profile_name.clone(),
        started_time: started,
        finished_time: finished,
        bill_type: "trade".into(),
        period_start: period.first_day().format("%Y-%m-%d").to_string(),
        period_end: last_day(period),
        bill_checksum: meta.sha256.clone(),
        status: status_of(s.open),
        counts_json: json(&counts)?,
        sums_json: json(&sums)?,
    };
    let total = f.len();
    ctl.report("store", 0, total as u64);
    let mut stored: Vec<Discrepancy> = Vec::with_capacity(total);
    let mut rows = f.take_rows();
    let mut buf = Vec::new();
    let mut tx = desk.store.begin_write().await?;
    let id = q::insert_run(&mut tx, &run).await?;
    let w = RowWriter::new(&tx, id);
    // Builds the next batch of rows (the missing orders' on the way), keeping each row for the
    // report.
    let mut fill = |stored: &mut Vec<Discrepancy>| -> ReconResult<RowBatch> {
        let mut b = w.batch();
        while !b.is_full() {
            let Some(d) = rows.next() else { break };
            b.push(NewRow {
                category: d.category.as_str(),
                trade_no: d.trade_no.as_deref(),
                out_trade_no: d.out_trade_no.as_deref(),
                order_id: d.order_id,
                bill_amount: d.bill_amount,
                order_amount: d.order_amount,
                detail: detail_json(&d, &mut buf)?,
            });
            stored.push(d);
        }
        Ok(b)
    };
    let mut batch = fill(&mut stored)?;
    let mut written = 0;
    while !batch.is_empty() {
        // The database writes one batch (on SQLite, on its own thread; on MySQL, on the
        // server) while this thread builds the next: on two cores that hides most of the
        // building.
        let (done, next) = tokio::join!(w.write(&mut tx, batch), async { fill(&mut stored) });
        written += done?;
        batch = next?;
        // Between statements: a cancel now rolls back what was written (the transaction is
        // dropped uncommitted).
        ctl.check()?;
        ctl.report("store", written, total as u64);
    }
    if written != total as u64 {
        return Err(corrupt(format!(
            "run {id}: {written} of {total} rows were written"
        )));
    }
    let ids = q::row_ids(&mut tx, id, total).await?;
    tx.commit().await?;
    for (d, row_id) in stored.iter_mut().zip(ids) {
        d.id = Some(row_id);
    }
    ctl.report("store", total as u64, total as u64);
    Ok((id, stored))
}

/// The run's JSON columns.
fn json<T: Serialize>(v: &T) -> ReconResult<String> {
    serde_json::to_string(v).map_err(|e| ReconError::Refused(format!("cannot encode the run: {e}")))
}

fn corrupt(what: String) -> ReconError {
    crate::error::StoreError::Corrupt(what).into()
}

/// A stored row as a [`Discrepancy`] (also for [`super::browse`] and [`super::actions`]).
pub(crate) fn discrepancy(r: RowRecord) -> ReconResult<Discrepancy> {
    let category = Category::parse(&r.category)
        .ok_or_else(|| corrupt(format!("paydesk_recon_rows.category {:?}", r.category)))?;
    let detail: StoredDetail = match &r.detail {
        Some(t) => serde_json::from_str(t)
            .map_err(|e| corrupt(format!("paydesk_recon_rows {} detail: {e}", r.id)))?,
        None => StoredDetail {
            out_request_no: None,
            at: None,
            subject: None,
            local_status: None,
            message: None,
        },
    };
    let message = match detail.message {
        Some(m) => m,
        None => derived_message(category, r.order_amount).unwrap_or_default(),
    };
    Ok(Discrepancy {
        id: Some(r.id),
        category,
        out_trade_no: r.out_trade_no,
        trade_no: r.trade_no,
        out_request_no: detail.out_request_no,
        order_id: r.order_id,
        bill_amount: r.bill_amount,
        order_amount: r.order_amount,
        at: detail.at,
        subject: detail.subject,
        local_status: detail.local_status,
        message,
        suggested: category.suggested(),
        action: r.action,
        action_time: r.action_time,
        action_by: r.action_by,
    })
}

fn period_of(run: &RunRecord) -> ReconResult<Period> {
    let bad = || {
        corrupt(format!(
            "paydesk_recon_runs {} period {}..{}",
            run.id, run.period_start, run.period_end
        ))
    };
    let start =
        chrono::NaiveDate::parse_from_str(&run.period_start, "%Y-%m-%d").map_err(|_| bad())?;
    let last = chrono::NaiveDate::parse_from_str(&run.period_end, "%Y-%m-%d").map_err(|_| bad())?;
    let end = last.succ_opt().ok_or_else(bad)?;
    Period::of_range(
        start.and_time(chrono::NaiveTime::MIN),
        end.and_time(chrono::NaiveTime::MIN),
    )
    .ok_or_else(bad)
}

/// Reopens a stored run: summary, bill, every discrepancy and what was done about it.
pub async fn load(store: &Store, run_id: i64) -> ReconResult<RunReport> {
    let mut tx = store.begin_read().await?;
    let run = q::get_run(&mut tx, run_id)
        .await?
        .ok_or(ReconError::RunNotFound(run_id))?;
    tx.rollback().await?;
    // Streamed and converted row by row: a run can hold a million rows. A run's rows are never
    // added or removed once it is stored, so reading them outside the run's read is the same.
    let mut discrepancies = Vec::new();
    let mut bad = None;
    q::stream_rows_of_run(store, run_id, |r| match discrepancy(r) {
        Ok(d) => {
            discrepancies.push(d);
            Ok(true)
        }
        Err(e) => {
            bad = Some(e);
            Ok(false)
        }
    })
    .await?;
    if let Some(e) = bad {
        return Err(e);
    }
    let open = discrepancies.iter().filter(|d| d.open()).count() as u64;
    assemble(run, discrepancies, open)
}

/// The report of a stored run from its record, the rows wanted (all of them for [`load`], none
/// for [`super::browse::header`]) and the open count.
pub(crate) fn assemble(
    run: RunRecord,
    discrepancies: Vec<Discrepancy>,
    open: u64,
) -> ReconResult<RunReport> {
    let run_id = run.id;
    let counts: StoredCounts = serde_json::from_str(run.counts_json.as_deref().unwrap_or("{}"))
        .map_err(|e| corrupt(format!("paydesk_recon_runs {run_id} counts: {e}")))?;
    let sums: StoredSums = serde_json::from_str(run.sums_json.as_deref().unwrap_or("{}"))
        .map_err(|e| corrupt(format!("paydesk_recon_runs {run_id} sums: {e}")))?;
    let categories = counts
        .categories
        .iter()
        .map(|(c, n)| {
            let (bill_amount, order_amount) = sums.categories.get(c).copied().unwrap_or_default();
            (
                *c,
                CategoryTotals {
                    count: *n,
                    bill_amount,
                    order_amount,
                },
            )
        })
        .collect();
    Ok(RunReport {
        run_id,
        period: period_of(&run)?,
        operator: run.operator,
        profile: run.profile,
        started_time: run.started_time,
        finished_time: run.finished_time,
        status: if open == 0 {
            "clean".into()
        } else {
            "open".into()
        },
        bill: sums.bill,
        summary: Summary {
            categories,
            days: sums.days,
            total: sums.total,
            bill_rows: counts.bill_rows,
            open,
        },
        discrepancies,
    })
}

/// Runs, newest first.
pub async fn list(
    store: &Store,
    period: Option<Period>,
    limit: i64,
) -> ReconResult<Vec<RunSummary>> {
    let mut tx = store.begin_read().await?;
    let start = period.map(|p| p.first_day().format("%Y-%m-%d").to_string());
    let runs = q::list_runs(&mut tx, start.as_deref(), limit).await?;
    tx.rollback().await?;
    Ok(runs
        .into_iter()
        .map(|r| RunSummary {
            period: period_of(&r).map_or_else(
                |_| format!("{}..{}", r.period_start, r.period_end),
                |p| p.to_string(),
            ),
            run_id: r.id,
            started_time: r.started_time,
            operator: r.operator,
            status: r.status,
            bill_checksum: r.bill_checksum,
        })
        .collect())
}

/// What changed between an earlier run and a later one.
pub async fn compare(store: &Store, earlier: i64, later: i64) -> ReconResult<RunDiff> {
    let a = load(store, earlier).await?;
    let b = load(store, later).await?;
    // Keys borrowed from the rows, and each row moved (not copied) into the diff: two runs of
    // a million rows each are already in memory once.
    type Key<'a> = (Category, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    fn key(d: &Discrepancy) -> Key<'_> {
        (
            d.category,
            d.out_trade_no.as_deref(),
            d.trade_no.as_deref(),
            d.out_request_no.as_deref(),
        )
    }
    fn open_keys(r: &RunReport) -> HashSet<Key<'_>> {
        r.discrepancies
            .iter()
            .filter(|d| d.open())
            .map(key)
            .collect()
    }
    // Per row of `a`: resolved? Per row of `b`: open, and if so also open in `a`?
    let (resolved, in_a): (Vec<bool>, Vec<Option<bool>>) = {
        let (open_a, open_b) = (open_keys(&a), open_keys(&b));
        (
            a.discrepancies
                .iter()
                .map(|d| d.open() && !open_b.contains(&key(d)))
                .collect(),
            b.discrepancies
                .iter()
                .map(|d| d.open().then(|| open_a.contains(&key(d))))
                .collect(),
        )
    };
    let mut diff = RunDiff {
        earlier,
        later,
        resolved: Vec::new(),
        new: Vec::new(),
        still_open: Vec::new(),
    };
    for (d, gone) in a.discrepancies.into_iter().zip(resolved) {
        if gone {
            diff.resolved.push(d);
        }
    }
    for (d, seen) in b.discrepancies.into_iter().zip(in_a) {
        match seen {
            Some(true) => diff.still_open.push(d),
            Some(false) => diff.new.push(d),
            None => {}
        }
    }
    Ok(diff)
}
