//! What other runs' bills listed, so one day's run does not report as missing an order that
//! another day's bill holds: a payment completed at Alipay at 23:59:58 and settled here at
//! 00:00:04 is in day D's bill but paid here on D+1; a settle days late is the same, further
//! apart. Every bill row that named a platform order as paid is stored with its trade number
//! (a discrepancy, or a cross-day match kept for this purpose), so those rows tell.

use chrono::NaiveDate;

use crate::db::{Query, Tx};
use crate::error::Result;

/// Payment rows (a trade number, no refund request number) that name an order.
const BILLED: &str = "'matched', 'fee_mismatch', 'amount_mismatch', 'missed_notify', \
                      'paid_after_close', 'status_unknown'";

/// How far apart Alipay's completion and the local pay_time may be and still be looked for: a
/// settle is never more than a month late in practice (Alipay stops notifying after a day).
pub const CARRY_DAYS: u64 = 45;

/// Order ids that the bill of a run of another period within [`CARRY_DAYS`] of `first..=last`
/// listed as paid. Earlier runs cover a late settle; later runs (run first) a payment Alipay
/// completed just after midnight.
pub async fn billed_elsewhere(tx: &mut Tx, first: NaiveDate, last: NaiveDate) -> Result<Vec<i64>> {
    if !tx.store().has_paydesk_tables() {
        return Ok(Vec::new());
    }
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let from = first - chrono::Days::new(CARRY_DAYS);
    let to = last + chrono::Days::new(CARRY_DAYS);
    let q = Query::new(format!(
        "SELECT DISTINCT r.order_id AS id FROM paydesk_recon_runs u \
         JOIN paydesk_recon_rows r ON r.run_id = u.id \
         WHERE u.period_end >= ? AND u.period_start <= ? \
         AND NOT (u.period_start = ? AND u.period_end = ?) \
         AND r.category IN ({BILLED}) AND r.order_id IS NOT NULL \
         AND r.trade_no IS NOT NULL AND r.out_request_no IS NULL"
    ))
    .bind(day(from))
    .bind(day(to))
    .bind(day(first))
    .bind(day(last));
    tx.fetch_all(q).await?.iter().map(|r| r.i64("id")).collect()
}
