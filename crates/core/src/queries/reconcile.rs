//! Reconciliation's SQL: the period's orders and Paydesk refunds in one streaming query each (a
//! month can hold millions of orders: never one query per bill row), batched look-ups of the
//! few bill rows left over, and the `paydesk_recon_runs` / `paydesk_recon_rows` records.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::in_list;
use crate::db::{Dialect, Query, Row, Store, Tx, Val, yuan_as_money, yuan_col, yuan_sum};
use crate::error::{Result, StoreError};

/// What matching needs of an order; money in fen so a million of them stay small.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderKey {
    pub id: i64,
    pub real_price_fen: i64,
    pub status: i64,
    pub pay_type: i64,
    pub pay_time: Option<NaiveDateTime>,
}

/// What matching needs of a Paydesk refund.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundKey {
    pub id: i64,
    pub out_request_no: String,
    pub order_id: i64,
    pub order_number: String,
    pub amount: Decimal,
    pub status: String,
    /// When the money moved: Alipay's gmt_refund_pay, else when Paydesk resolved it.
    pub refunded_at: Option<NaiveDateTime>,
}

fn order_sql(store: &Store, filter: &str) -> String {
    format!(
        "SELECT id, order_number, {}, order_status, pay_type, pay_time FROM {} WHERE {filter}",
        yuan_col(store.dialect(), "real_price", "real_price"),
        store.names().order
    )
}

fn order_from(r: &Row) -> Result<(String, OrderKey)> {
    let fen = crate::db::money_to_fen(r.yuan("real_price")?)?;
    Ok((
        r.string("order_number")?,
        OrderKey {
            id: r.i64("id")?,
            real_price_fen: fen,
            status: r.i64("order_status")?,
            pay_type: r.i64("pay_type")?,
            pay_time: r.opt_time("pay_time")?,
        },
    ))
}

const REFUND_SQL: &str = "SELECT id, out_request_no, order_id, order_number, amount, status, gmt_refund_pay, resolved_time FROM paydesk_refunds";

fn refund_from(r: &Row) -> Result<RefundKey> {
    Ok(RefundKey {
        id: r.i64("id")?,
        out_request_no: r.string("out_request_no")?,
        order_id: r.i64("order_id")?,
        order_number: r.string("order_number")?,
        amount: r.money("amount")?,
        status: r.string("status")?,
        refunded_at: r
            .opt_time("gmt_refund_pay")?
            .or(r.opt_time("resolved_time")?),
    })
}

/// The fixed-width text Paydesk and Django write into SQLite, read without chrono's format
/// parser (a million rows per month); anything else goes the general way.
fn sqlite_time_fast(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && (b.len() == 19 || b[19] == b'.')
    {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let micros = if b.len() > 20 {
            n(20..b.len().min(26))? * 10u32.pow(26 - b.len().min(26) as u32)
        } else {
            0
        };
        let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
        return date.and_hms_micro_opt(n(11..13)?, n(14..16)?, n(17..19)?, micros);
    }
    crate::db::parse_sqlite_time(s)
}

/// Decodes by position on SQLite (the hot path of a month's reconciliation: name look-ups and
/// the general datetime parser were most of its cost); by name through [`Row`] on MySQL.
fn with_order(r: &Row, f: &mut impl FnMut(&str, OrderKey) -> bool) -> Result<bool> {
    if !r.is_sqlite() {
        let (number, key) = order_from(r)?;
        return Ok(f(&number, key));
    }
    let pay_time = match r.str_at(5)? {
        None => None,
        Some(t) => Some(
            r.stored_time(
                sqlite_time_fast(t)
                    .ok_or_else(|| StoreError::Corrupt(format!("bad pay_time {t:?}")))?,
            ),
        ),
    };
    let price = r.str_at(2)?.unwrap_or_default();
    let key = OrderKey {
        id: r.i64_at(0)?,
        real_price_fen: yuan_text_fen(price)
            .ok_or_else(|| StoreError::Corrupt(format!("bad real_price {price:?}")))?,
        status: r.i64_at(3)?,
        pay_type: r.i64_at(4)?,
        pay_time,
    };
    let number = r.str_at(1)?.unwrap_or_default();
    Ok(f(number, key))
}

/// A platform amount as SQLite's text gives it (see [`crate::db::parse_yuan`]), in fen.
fn yuan_text_fen(s: &str) -> Option<i64> {
    crate::db::money_to_fen(crate::db::parse_yuan(s)?).ok()
}

const PERIOD_FILTER: &str =
    "((created_time >= ? AND created_time < ?) OR (pay_time >= ? AND pay_time < ?))";

/// Every order created in `[created_from, end)` or paid in `[start, end)`, in one streaming
/// query. `f` returns `false` to stop (cancellation).
///
/// On SQLite the rows come packed, ~16k orders per result row (`group_concat` with ASCII unit
/// and record separators): sqlx hands each SQLite row from its worker thread to the caller
/// through a channel, and for a month's million orders that handoff cost more than SQLite's
/// own work. Order numbers that contain a separator (none on a real platform) are read by a
/// second, ordinary query so nothing is ever mis-split.
pub async fn stream_period_orders(
    store: &Store,
    created_from: NaiveDateTime,
    start: NaiveDateTime,
    end: NaiveDateTime,
    mut f: impl FnMut(&str, OrderKey) -> bool,
) -> Result<()> {
    let bind = |q: Query| q.bind(created_from).bind(end).bind(start).bind(end);
    if store.dialect() != crate::db::Dialect::Sqlite {
        let q = bind(Query::new(order_sql(store, PERIOD_FILTER)));
        return store.stream(q, |r| with_order(&r, &mut f)).await;
    }
    let clean = "instr(order_number, char(30)) = 0 AND instr(order_number, char(31)) = 0";
    let packed = bind(Query::new(format!(
        "SELECT group_concat(id || char(31) || order_number || char(31) || {fen} || char(31) || order_status \
         || char(31) || pay_type || char(31) || COALESCE(pay_time, ''), char(30)) AS g \
         FROM {} WHERE {PERIOD_FILTER} AND {clean} GROUP BY id >> 14",
        store.names().order,
        // Fen, rounded per row from the stored yuan: exact, and an integer to parse.
        fen = yuan_as_money(Dialect::Sqlite, "real_price"),
    )));
    let mut go = true;
    store
        .stream(packed, |r| {
            let g = r.opt_string("g")?.unwrap_or_default();
            for rec in g.split('\x1e').filter(|x| !x.is_empty()) {
                let (number, key) = unpack(rec)?;
                if !f(number, shift_pay_time(store, key)) {
                    go = false;
                    return Ok(false);
                }
            }
            Ok(true)
        })
        .await?;
    if !go {
        return Ok(());
    }
    let odd = bind(Query::new(order_sql(
        store,
        &format!("{PERIOD_FILTER} AND NOT ({clean})"),
    )));
    store.stream(odd, |r| with_order(&r, &mut f)).await
}

/// One packed order: `id␟number␟fen␟status␟pay_type␟pay_time`.
fn unpack(rec: &str) -> Result<(&str, OrderKey)> {
    let bad = || {
        StoreError::Corrupt(format!(
            "order row {rec:?} (a non-integer amount or status?)"
        ))
    };
    let mut it = rec.split('\x1f');
    let mut next = || it.next().ok_or_else(bad);
    let id = next()?.parse().map_err(|_| bad())?;
    let number = next()?;
    let real_price_fen = next()?.parse().map_err(|_| bad())?;
    let status = next()?.parse().map_err(|_| bad())?;
    let pay_type = next()?.parse().map_err(|_| bad())?;
    let pay_time = match next()? {
        "" => None,
        t => Some(sqlite_time_fast(t).ok_or_else(bad)?),
    };
    Ok((
        number,
        OrderKey {
            id,
            real_price_fen,
            status,
            pay_type,
            pay_time,
        },
    ))
}

/// The platform's times in Beijing time: the packed text bypasses [`Row`]'s decoding.
fn shift_pay_time(store: &Store, mut key: OrderKey) -> OrderKey {
    key.pay_time = key.pay_time.map(|t| store.from_stored(t));
    key
}

/// Orders by number, for the few bill rows the period query did not cover (an order created
/// long before it was paid, a refund of an old order). Batched `IN` lists.
pub async fn orders_by_numbers(tx: &mut Tx, numbers: &[String]) -> Result<Vec<(String, OrderKey)>> {
    let mut out = Vec::new();
    for chunk in numbers.chunks(500) {
        let mut q = Query::new(order_sql(
            tx.store(),
            &format!("order_number IN {}", in_list(chunk.len())),
        ));
        for n in chunk {
            q.push_arg(n.as_str());
        }
        for r in tx.fetch_all(q).await? {
            out.push(order_from(&r)?);
        }
    }
    Ok(out)
}

/// Paydesk refunds created in `[created_from, end)` or still unresolved, in one streaming query.
pub async fn stream_period_refunds(
    store: &Store,
    created_from: NaiveDateTime,
    end: NaiveDateTime,
    mut f: impl FnMut(RefundKey) -> bool,
) -> Result<()> {
    let q = Query::new(format!(
        "{REFUND_SQL} WHERE (created_time >= ? AND created_time < ?) OR status IN ('pending', 'unknown')"
    ))
    .bind(created_from)
    .bind(end);
    store.stream(q, |r| Ok(f(refund_from(&r)?))).await
}

pub async fn refunds_by_request_nos(tx: &mut Tx, nos: &[String]) -> Result<Vec<RefundKey>> {
    let mut out = Vec::new();
    for chunk in nos.chunks(500) {
        let mut q = Query::new(format!(
            "{REFUND_SQL} WHERE out_request_no IN {}",
            in_list(chunk.len())
        ));
        for n in chunk {
            q.push_arg(n.as_str());
        }
        for r in tx.fetch_all(q).await? {
            out.push(refund_from(&r)?);
        }
    }
    Ok(out)
}

/// Paid orders of the period (the "no bill for that day" check): count and sum.
pub async fn paid_in_period(
    tx: &mut Tx,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<(i64, Decimal)> {
    let q = Query::new(format!(
        "SELECT COUNT(*) AS n, {} AS total FROM {} \
         WHERE order_status = 1 AND pay_time >= ? AND pay_time < ? AND pay_type <> 2 AND real_price > 0",
        yuan_sum(tx.dialect(), "real_price"),
        tx.names().order
    ))
    .bind(start)
    .bind(end);
    let r = tx.fetch_one(q, "paid order count").await?;
    Ok((r.i64("n")?, r.money("total")?))
}

#[derive(Debug, Clone)]
pub struct NewRun {
    pub operator: String,
    pub profile: String,
    pub started_time: NaiveDateTime,
    pub finished_time: NaiveDateTime,
    pub bill_type: String,
    pub period_start: String,
    pub period_end: String,
    pub bill_checksum: String,
    pub status: String,
    pub counts_json: String,
    pub sums_json: String,
}

pub async fn insert_run(tx: &mut Tx, r: &NewRun) -> Result<i64> {
    let q = Query::new(
        "INSERT INTO paydesk_recon_runs (operator, profile, started_time, finished_time, bill_type, period_start, \
         period_end, bill_checksum, status, counts_json, sums_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.operator.as_str())
    .bind(r.profile.as_str())
    .bind(r.started_time)
    .bind(r.finished_time)
    .bind(r.bill_type.as_str())
    .bind(r.period_start.as_str())
    .bind(r.period_end.as_str())
    .bind(r.bill_checksum.as_str())
    .bind(r.status.as_str())
    .bind(r.counts_json.as_str())
    .bind(r.sums_json.as_str());
    Ok(tx.execute(q).await?.last_insert_id)
}

/// One discrepancy row to store, borrowed from the caller's row: nothing is copied to describe it.
#[derive(Debug, Clone, Copy)]
pub struct NewRow<'a> {
    pub category: &'a str,
    pub trade_no: Option<&'a str>,
    pub out_trade_no: Option<&'a str>,
    pub order_id: Option<i64>,
    pub bill_amount: Option<Decimal>,
    pub order_amount: Option<Decimal>,
    pub detail: &'a str,
}

const ROW_INSERT_COLS: [&str; 8] = [
    "run_id",
    "category",
    "trade_no",
    "out_trade_no",
    "order_id",
    "bill_amount",
    "order_amount",
    "detail",
];

/// Writes a run's rows within the caller's transaction, in multi-row INSERTs of as many rows
/// as the backend's bind limit allows (4,000 on SQLite, 7,500 on MySQL). Every full batch has
/// the same SQL, so the driver prepares that statement once and reuses it; only the last,
/// shorter batch is prepared for itself. A caller with rows to build fills the next
/// [`RowBatch`] while [`RowWriter::write`] writes the last, so building and the database's work
/// overlap; [`RowWriter::push`] and [`RowWriter::finish`] are the simple way for a few rows.
pub struct RowWriter {
    run_id: i64,
    dialect: Dialect,
    per_stmt: usize,
    full_sql: String,
    /// For `push`/`finish`.
    pending: Option<RowBatch>,
    written: u64,
}

/// Up to one statement's worth of rows, as bind arguments.
pub struct RowBatch {
    run_id: i64,
    per_stmt: usize,
    args: Vec<Val>,
    rows: usize,
}

impl RowBatch {
    pub fn push(&mut self, r: NewRow<'_>) {
        self.args.extend([
            Val::I64(self.run_id),
            Val::from(r.category),
            Val::from(r.trade_no),
            Val::from(r.out_trade_no),
            Val::from(r.order_id),
            r.bill_amount.map_or(Val::Null, Val::Money),
            r.order_amount.map_or(Val::Null, Val::Money),
            Val::from(r.detail),
        ]);
        self.rows += 1;
    }

    pub fn is_full(&self) -> bool {
        self.rows >= self.per_stmt
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

impl RowWriter {
    pub fn new(tx: &Tx, run_id: i64) -> RowWriter {
        let dialect = tx.dialect();
        let per_stmt = (dialect.max_params() / ROW_INSERT_COLS.len()).max(1);
        RowWriter {
            run_id,
            dialect,
            per_stmt,
            full_sql: row_insert_sql(dialect, per_stmt),
            pending: None,
            written: 0,
        }
    }

    /// Queues a row; writes the batch when it is full. Returns whether it wrote.
    pub async fn push(&mut self, tx: &mut Tx, r: NewRow<'_>) -> Result<bool> {
        let mut b = self.pending.take().unwrap_or_else(|| self.batch());
        b.push(r);
        if !b.is_full() {
            self.pending = Some(b);
            return Ok(false);
        }
        self.written += self.write(tx, b).await?;
        Ok(true)
    }

    /// Writes what [`RowWriter::push`] queued. Returns the rows it wrote in all.
    pub async fn finish(mut self, tx: &mut Tx) -> Result<u64> {
        if let Some(b) = self.pending.take() {
            self.written += self.write(tx, b).await?;
        }
        Ok(self.written)
    }

    /// An empty batch.
    pub fn batch(&self) -> RowBatch {
        RowBatch {
            run_id: self.run_id,
            per_stmt: self.per_stmt,
            args: Vec::with_capacity(self.per_stmt * ROW_INSERT_COLS.len()),
            rows: 0,
        }
    }

    /// Writes a batch. Returns the rows written.
    pub async fn write(&self, tx: &mut Tx, b: RowBatch) -> Result<u64> {
        if b.rows == 0 {
            return Ok(0);
        }
        if b.rows == self.per_stmt {
            let q = Query {
                sql: self.full_sql.clone(),
                args: b.args,
            };
            return Ok(tx.execute(q).await?.rows_affected);
        }
        let q = Query {
            sql: row_insert_sql(self.dialect, b.rows),
            args: b.args,
        };
        Ok(tx.execute_once(q).await?.rows_affected)
    }
}

fn row_insert_sql(d: Dialect, rows: usize) -> String {
    // OR FAIL on SQLite: a failing row then leaves the statement's earlier rows in place
    // instead of undoing the statement, so SQLite keeps no statement journal (a copy of every
    // page a 4,000-row INSERT touches). Nothing partial survives: any error drops the whole
    // run's transaction. (No row can fail here anyway: every column is ours, the id is new.)
    let verb = match d {
        Dialect::Sqlite => "INSERT OR FAIL INTO",
        Dialect::MySql => "INSERT INTO",
    };
    let one = format!("({})", vec!["?"; ROW_INSERT_COLS.len()].join(", "));
    format!(
        "{verb} paydesk_recon_rows ({}) VALUES {}",
        ROW_INSERT_COLS.join(", "),
        vec![one.as_str(); rows].join(", ")
    )
}

/// The ids of a run's rows, in the order they were inserted. Ids grow with every insert on both
/// backends (SQLite AUTOINCREMENT, InnoDB auto-increment), so when the run's `n` rows span
/// exactly `n` ids they are those ids in order, and one aggregate says so; otherwise (MySQL
/// interleaving another session's inserts, or an auto_increment_increment above 1) they are
/// read.
pub async fn row_ids(tx: &mut Tx, run_id: i64, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let q = Query::new(
        "SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM paydesk_recon_rows WHERE run_id = ?",
    )
    .bind(run_id);
    let r = tx.fetch_one(q, "recon row span").await?;
    let (count, lo, hi) = (r.i64("n")?, r.i64("lo")?, r.i64("hi")?);
    if usize::try_from(count).ok() == Some(n) && hi - lo + 1 == count {
        return Ok((lo..=hi).collect());
    }
    let q =
        Query::new("SELECT id FROM paydesk_recon_rows WHERE run_id = ? ORDER BY id").bind(run_id);
    let ids: Vec<i64> = tx
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| r.i64("id"))
        .collect::<Result<_>>()?;
    if ids.len() != n {
        return Err(StoreError::Corrupt(format!(
            "run {run_id}: {} rows stored, {n} written",
            ids.len()
        )));
    }
    Ok(ids)
}

#[derive(Debug, Clone)]
pub struct RunRecord {
    pub id: i64,
    pub operator: String,
    pub profile: String,
    pub started_time: NaiveDateTime,
    pub finished_time: Option<NaiveDateTime>,
    pub bill_type: String,
    pub period_start: String,
    pub period_end: String,
    pub bill_checksum: Option<String>,
    pub status: String,
    pub counts_json: Option<String>,
    pub sums_json: Option<String>,
}

const RUN_COLS: &str = "id, operator, profile, started_time, finished_time, bill_type, period_start, period_end, \
                        bill_checksum, status, counts_json, sums_json";

fn run_from(r: &Row) -> Result<RunRecord> {
    Ok(RunRecord {
        id: r.i64("id")?,
        operator: r.string("operator")?,
        profile: r.string("profile")?,
        started_time: r.time("started_time")?,
        finished_time: r.opt_time("finished_time")?,
        bill_type: r.string("bill_type")?,
        period_start: r.string("period_start")?,
        period_end: r.string("period_end")?,
        bill_checksum: r.opt_string("bill_checksum")?,
        status: r.string("status")?,
        counts_json: r.opt_string("counts_json")?,
        sums_json: r.opt_string("sums_json")?,
    })
}

pub async fn get_run(tx: &mut Tx, id: i64) -> Result<Option<RunRecord>> {
    let q = Query::new(format!(
        "SELECT {RUN_COLS} FROM paydesk_recon_runs WHERE id = ?"
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| run_from(&r))
        .transpose()
}

/// Runs newest first, optionally of one period start.
pub async fn list_runs(
    tx: &mut Tx,
    period_start: Option<&str>,
    limit: i64,
) -> Result<Vec<RunRecord>> {
    let mut q = Query::new(format!("SELECT {RUN_COLS} FROM paydesk_recon_runs"));
    if let Some(p) = period_start {
        q.sql.push_str(" WHERE period_start = ?");
        q.push_arg(p);
    }
    q.sql.push_str(" ORDER BY id DESC LIMIT ?");
    q.push_arg(limit);
    tx.fetch_all(q).await?.iter().map(run_from).collect()
}

#[derive(Debug, Clone)]
pub struct RowRecord {
    pub id: i64,
    pub run_id: i64,
    pub category: String,
    pub trade_no: Option<String>,
    pub out_trade_no: Option<String>,
    pub order_id: Option<i64>,
    pub bill_amount: Option<Decimal>,
    pub order_amount: Option<Decimal>,
    pub detail: Option<String>,
    pub action: Option<String>,
    pub action_time: Option<NaiveDateTime>,
    pub action_by: Option<String>,
}

pub(crate) const ROW_COLS: &str = "id, run_id, category, trade_no, out_trade_no, order_id, bill_amount, order_amount, detail, action, action_time, action_by";

pub(crate) fn row_from(r: &Row) -> Result<RowRecord> {
    Ok(RowRecord {
        id: r.i64("id")?,
        run_id: r.i64("run_id")?,
        category: r.string("category")?,
        trade_no: r.opt_string("trade_no")?,
        out_trade_no: r.opt_string("out_trade_no")?,
        order_id: r.opt_i64("order_id")?,
        bill_amount: r.opt_money("bill_amount")?,
        order_amount: r.opt_money("order_amount")?,
        detail: r.opt_string("detail")?,
        action: r.opt_string("action")?,
        action_time: r.opt_time("action_time")?,
        action_by: r.opt_string("action_by")?,
    })
}

/// A run's rows by id, one at a time: a run can hold a million rows, which as a collected
/// result set (every row's values, then the records) would take gigabytes. `f` returning
/// `false` stops early.
///
/// On SQLite the rows come packed, 4,096 per result row, for the reason given at
/// [`stream_period_orders`]: handing a million rows one by one from sqlx's worker thread cost
/// more than reading them. Rows with a separator in their text (none that Paydesk writes) are
/// read the ordinary way and merged in by id.
pub async fn stream_rows_of_run(
    store: &Store,
    run_id: i64,
    mut f: impl FnMut(RowRecord) -> Result<bool>,
) -> Result<()> {
    // By primary key over the run's id span (found in the run index): rows come in id order
    // as they lie, where `run_id = ?` through the (run_id, category) index would first sort the
    // whole run. The unary + keeps SQLite off that index; MySQL picks the cheaper itself.
    const SPAN: &str = "id BETWEEN (SELECT MIN(id) FROM paydesk_recon_rows WHERE run_id = ?) \
                        AND (SELECT MAX(id) FROM paydesk_recon_rows WHERE run_id = ?)";
    let bind = |q: Query| q.bind(run_id).bind(run_id).bind(run_id);
    if store.dialect() != Dialect::Sqlite {
        let q = bind(Query::new(format!(
            "SELECT {ROW_COLS} FROM paydesk_recon_rows WHERE run_id = ? AND {SPAN} ORDER BY id"
        )));
        return store.stream(q, |r| f(row_from(&r)?)).await;
    }
    let text = "COALESCE(trade_no, '') || COALESCE(out_trade_no, '') || COALESCE(detail, '') \
                || COALESCE(action, '') || COALESCE(action_by, '') || COALESCE(category, '')";
    let clean = format!("instr({text}, char(30)) = 0 AND instr({text}, char(31)) = 0");
    let mut odd = Vec::new();
    let q = bind(Query::new(format!(
        "SELECT {ROW_COLS} FROM paydesk_recon_rows WHERE +run_id = ? AND {SPAN} AND NOT ({clean}) \
         ORDER BY id"
    )));
    store
        .stream(q, |r| {
            odd.push(row_from(&r)?);
            Ok(true)
        })
        .await?;
    let mut odd = odd.into_iter().peekable();
    // Text columns carry a leading '=' so that '' stays apart from NULL (which packs as '').
    let packed = bind(Query::new(format!(
        "SELECT group_concat(id || char(31) || run_id || char(31) || COALESCE('=' || category, '') || char(31) \
         || COALESCE('=' || trade_no, '') || char(31) || COALESCE('=' || out_trade_no, '') || char(31) \
         || COALESCE(order_id, '') || char(31) || COALESCE(bill_amount, '') || char(31) \
         || COALESCE(order_amount, '') || char(31) || COALESCE('=' || detail, '') || char(31) \
         || COALESCE('=' || action, '') || char(31) || COALESCE(action_time, '') || char(31) \
         || COALESCE('=' || action_by, ''), char(30) ORDER BY id) AS g \
         FROM paydesk_recon_rows WHERE +run_id = ? AND {SPAN} AND {clean} \
         GROUP BY id >> 12 ORDER BY id >> 12"
    )));
    let mut go = true;
    store
        .stream(packed, |r| {
            let g = r.opt_string("g")?.unwrap_or_default();
            for rec in g.split('\x1e').filter(|x| !x.is_empty()) {
                let row = unpack_row(rec)?;
                while let Some(o) = odd.next_if(|o| o.id < row.id) {
                    if !f(o)? {
                        go = false;
                        return Ok(false);
                    }
                }
                if !f(row)? {
                    go = false;
                    return Ok(false);
                }
            }
            Ok(true)
        })
        .await?;
    if go {
        for o in odd {
            if !f(o)? {
                break;
            }
        }
    }
    Ok(())
}

/// One packed row of [`stream_rows_of_run`], decoded as [`row_from`] decodes it on SQLite.
fn unpack_row(rec: &str) -> Result<RowRecord> {
    let bad = |what: &str| StoreError::Corrupt(format!("paydesk_recon_rows {what} in {rec:?}"));
    let mut it = rec.split('\x1f');
    let mut next = |what: &str| it.next().ok_or_else(|| bad(what));
    let int = |s: &str, what: &str| -> Result<Option<i64>> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| bad(what))
        }
    };
    let text = |s: &str| s.strip_prefix('=').map(str::to_string);
    let id = int(next("id")?, "id")?.ok_or_else(|| bad("id"))?;
    let run_id = int(next("run_id")?, "run_id")?.ok_or_else(|| bad("run_id"))?;
    let category = text(next("category")?).ok_or_else(|| bad("category"))?;
    let trade_no = text(next("trade_no")?);
    let out_trade_no = text(next("out_trade_no")?);
    let order_id = int(next("order_id")?, "order_id")?;
    let bill_amount = int(next("bill_amount")?, "bill_amount")?.map(crate::db::fen_to_money);
    let order_amount = int(next("order_amount")?, "order_amount")?.map(crate::db::fen_to_money);
    let detail = text(next("detail")?);
    let action = text(next("action")?);
    let action_time = match next("action_time")? {
        "" => None,
        t => Some(sqlite_time_fast(t).ok_or_else(|| bad("action_time"))?),
    };
    let action_by = text(next("action_by")?);
    if it.next().is_some() {
        return Err(bad("extra fields"));
    }
    Ok(RowRecord {
        id,
        run_id,
        category,
        trade_no,
        out_trade_no,
        order_id,
        bill_amount,
        order_amount,
        detail,
        action,
        action_time,
        action_by,
    })
}

pub async fn get_row(tx: &mut Tx, id: i64) -> Result<Option<RowRecord>> {
    let q = Query::new(format!(
        "SELECT {ROW_COLS} FROM paydesk_recon_rows WHERE id = ?"
    ))
    .bind(id);
    tx.fetch_optional(q)
        .await?
        .map(|r| row_from(&r))
        .transpose()
}

/// Records what was done about a discrepancy. Returns rows affected.
pub async fn set_row_action(tx: &mut Tx, id: i64, action: &str, by: &str) -> Result<u64> {
    let now = tx.now();
    let q = Query::new(
        "UPDATE paydesk_recon_rows SET action = ?, action_time = ?, action_by = ? WHERE id = ?",
    )
    .bind(action)
    .bind(now)
    .bind(by)
    .bind(id);
    Ok(tx.execute(q).await?.rows_affected)
}
