//! Practice cases for a new demo world, so a new user finds something in every view: refunds in
//! part, in full and one whose outcome is not known yet (made through the desk, by whoever seeds
//! the demo), and yesterday at Alipay a missed notify, an amount that differs and a refund made
//! in the merchant portal (what the simulator is told happened). Picked from the demo's own
//! orders; a small demo may not have each case, and then it is left out.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::db::Store;
use crate::demo::DemoPayment;
use crate::error::Result;
use crate::queries;

#[derive(Debug, Clone, Default)]
pub struct PracticeCases {
    /// Paid before yesterday: to refund in part, in full, and with an outcome left unknown.
    pub refund_partial: Option<DemoPayment>,
    pub refund_full: Option<DemoPayment>,
    pub refund_pending: Option<DemoPayment>,
    /// Not paid here (unpaid, or else cancelled or timed out), created yesterday: Alipay was
    /// paid, the notify never came.
    pub missed_notify: Option<DemoPayment>,
    /// Paid yesterday: Alipay's bill shows another amount.
    pub amount_mismatch: Option<DemoPayment>,
    /// Paid earlier: partly refunded in the merchant portal yesterday (at `portal_refund_at`),
    /// not through Paydesk.
    pub portal_refund: Option<DemoPayment>,
    pub portal_refund_at: Option<NaiveDateTime>,
}

/// Picks the cases among the demo's orders, `today` being the desk's day (Beijing).
pub async fn practice_cases(store: &Store, today: NaiveDate) -> Result<PracticeCases> {
    let yesterday = today - TimeDelta::days(1);
    let start = yesterday.and_hms_opt(0, 0, 0).expect("midnight exists");
    let end = today.and_hms_opt(0, 0, 0).expect("midnight exists");
    let paid = crate::demo::paid_orders(store, 5_000).await?;
    // Newest first.
    let mut earlier = paid.iter().rev().filter(|p| p.pay_time < start).cloned();
    let mut of_yesterday = paid
        .iter()
        .rev()
        .filter(|p| p.pay_time >= start && p.pay_time < end)
        .cloned();
    let mut tx = store.begin_read().await?;
    let unpaid =
        queries::orders::unpaid_created_between(&mut tx, start, end - TimeDelta::hours(1), 1)
            .await?;
    tx.rollback().await?;
    let missed_notify =
        unpaid
            .into_iter()
            .next()
            .map(
                |(order_number, real_price, created_time, name)| DemoPayment {
                    subject: crate::ops::pay_link::subject_of(name.as_deref()),
                    order_number,
                    real_price,
                    created_time,
                    pay_time: created_time + TimeDelta::minutes(2),
                },
            );
    Ok(PracticeCases {
        refund_partial: earlier.next(),
        refund_full: earlier.next(),
        refund_pending: earlier.next(),
        missed_notify,
        amount_mismatch: of_yesterday.next(),
        portal_refund: earlier.next(),
        portal_refund_at: yesterday.and_hms_opt(15, 0, 0),
    })
}
