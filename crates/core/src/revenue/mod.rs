//! The revenue report: how much came in over a period, per day, week, month or course.
//!
//! - payments: paid orders (`order_status` 已支付) by `pay_time`, in the platform's clock, worth
//!   their `real_price`; refunds: Paydesk's succeeded refunds by when they succeeded; net = the two
//!   apart. Average order, credits spent, and the discounts (list price − paid, of which credits
//!   are `credits / CREDIT_TO_MONEY` and the rest is coupons) alongside.
//! - per course, an order's `real_price` (and its refunds, credits and discounts) is split across
//!   its courses in proportion to their `real_price` by largest remainder ([`split`]), so the
//!   courses of every order, and so the course rows, add up exactly to the totals.
//! - every day (week, month) of the range has a row, empty ones too: a chart with a missing day
//!   reads as a day that did not exist.

pub mod export;
pub mod split;

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::Store;
use crate::domain::CREDIT_TO_MONEY;
use crate::error::{Result, StoreError};
use crate::queries::revenue as q;

/// How the report's rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Week,
    Month,
    Course,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<GroupBy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" => Ok(GroupBy::Day),
            "week" => Ok(GroupBy::Week),
            "month" => Ok(GroupBy::Month),
            "course" => Ok(GroupBy::Course),
            other => Err(StoreError::InvalidInput(format!(
                "cannot group a report by {other:?}: use day, week, month or course"
            ))),
        }
    }
}

/// The longest period one report covers: ten years of days is still a readable CSV, and a
/// mistyped year (20226) is caught instead of scanning nothing for minutes.
pub const MAX_DAYS: i64 = 3_700;

/// One row of the report (or its totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RevenueLine {
    /// What the row is: `2026-11-24` (day), the Monday `2026-11-23` (week), `2026-11` (month), the
    /// course id (course; empty for orders without course lines); `total` for the totals.
    pub key: String,
    /// How a person names it: the date, `2026-W48`, the month, the course name.
    pub label: String,
    pub course_id: Option<i64>,
    /// The first and last day the row covers (a week's or a month's, clipped to the period).
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Paid orders (per course: orders that contain the course).
    pub orders: i64,
    pub payments: Decimal,
    pub refunds: Decimal,
    pub refund_count: i64,
    pub net: Decimal,
    /// payments / orders, to the fen (half away from zero); 0 without orders.
    pub average_order: Decimal,
    pub credits: i64,
    /// What the credits took off: credits / 10.
    pub credit_discount: Decimal,
    /// What coupons took off: list price − paid − credit discount.
    pub coupon_discount: Decimal,
}

impl RevenueLine {
    fn finish(&mut self) {
        self.net = self.payments - self.refunds;
        self.average_order = if self.orders > 0 {
            (self.payments / Decimal::from(self.orders))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        } else {
            Decimal::ZERO
        };
        for m in [
            &mut self.payments,
            &mut self.refunds,
            &mut self.net,
            &mut self.average_order,
            &mut self.credit_discount,
            &mut self.coupon_discount,
        ] {
            m.rescale(2);
        }
    }

    fn add_hour(&mut self, h: &q::PaidHour) {
        self.orders += h.orders;
        self.payments += h.payments;
        self.credits += h.credits;
        let credit_money = Decimal::from(h.credits) / Decimal::from(CREDIT_TO_MONEY);
        self.credit_discount += credit_money;
        self.coupon_discount += h.list_price - h.payments - credit_money;
    }
}

/// Totals of the period before, as long as this one: "this period vs the previous".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: RevenueLine,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueReport {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub by: GroupBy,
    pub rows: Vec<RevenueLine>,
    pub totals: RevenueLine,
    /// Coupons the period's paid orders used; `None` when the site keeps no coupon log.
    pub coupons_used: Option<i64>,
    pub previous: PreviousPeriod,
    /// Whether the platform's datetimes are naive UTC (the days are Beijing days either way).
    pub platform_utc: bool,
}

/// The period `[from 00:00, to+1 00:00)` in Beijing time, checked.
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDateTime, NaiveDateTime)> {
    if from > to {
        return Err(StoreError::InvalidInput(format!(
            "the report starts on {from}, after it ends on {to}: swap --from and --to"
        )));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_DAYS {
        return Err(StoreError::InvalidInput(format!(
            "{from} to {to} is {days} days; one report covers at most {MAX_DAYS}: check the years, \
             or split the period"
        )));
    }
    let end = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| StoreError::InvalidInput(format!("{to} is past the last date")))?;
    Ok((midnight(from), midnight(end)))
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// The bucket a Beijing day falls in: (key, label, first day, last day), clipped to the period.
fn bucket(
    by: GroupBy,
    day: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> (String, String, NaiveDate, NaiveDate) {
    match by {
        GroupBy::Week => {
            let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
            let iso = day.iso_week();
            (
                monday.to_string(),
                format!("{}-W{:02}", iso.year(), iso.week()),
                monday.max(from),
                (monday + Days::new(6)).min(to),
            )
        }
        GroupBy::Month => {
            let first = day.with_day(1).unwrap_or(day);
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
            let key = first.format("%Y-%m").to_string();
            (
                key.clone(),
                key,
                first.max(from),
                (next - Days::new(1)).min(to),
            )
        }
        GroupBy::Day | GroupBy::Course => (day.to_string(), day.to_string(), day, day),
    }
}

/// Builds the report for `from..=to` (Beijing days).
pub async fn report(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    by: GroupBy,
) -> Result<RevenueReport> {
    let (start, end) = period(from, to)?;
    let days = (to - from).num_days() + 1;
    let prev_to = from.pred_opt().unwrap_or(from);
    let prev_from = from - Days::new(u64::try_from(days).unwrap_or(0));
    let (prev_start, prev_end) = (midnight(prev_from), start);

    let mut tx = store.begin_read().await?;
    let hours = q::paid_hours(&mut tx, start, end).await?;
    let refunds = q::refunds_succeeded(&mut tx, start, end).await?;
    let coupons_used = q::coupons_used(&mut tx, start, end).await?;
    let prev_hours = q::paid_hours(&mut tx, prev_start, prev_end).await?;
    let prev_refunds = q::refunds_succeeded(&mut tx, prev_start, prev_end).await?;

    let mut totals = totals_of(&hours, &refunds);
    totals.first_day = Some(from);
    totals.last_day = Some(to);
    let mut prev = totals_of(&prev_hours, &prev_refunds);
    prev.first_day = Some(prev_from);
    prev.last_day = Some(prev_to);

    let rows = match by {
        GroupBy::Course => {
            let refund_lines = q::lines_of_orders(&mut tx, &refund_order_ids(&refunds)).await?;
            tx.rollback().await?;
            let mut rows = courses::rows(store, start, end, &refunds, &refund_lines).await?;
            let mut tx = store.begin_read().await?;
            let ids: Vec<i64> = rows.iter().filter_map(|r| r.course_id).collect();
            let names: HashMap<i64, String> =
                q::course_names(&mut tx, &ids).await?.into_iter().collect();
            tx.rollback().await?;
            for r in &mut rows {
                r.label = match r.course_id {
                    Some(id) => names
                        .get(&id)
                        .filter(|n| !n.is_empty())
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}")),
                    None => "(no course)".into(),
                };
            }
            rows
        }
        _ => {
            tx.rollback().await?;
            time_rows(by, from, to, &hours, &refunds)
        }
    };
    Ok(RevenueReport {
        from,
        to,
        by,
        rows,
        totals,
        coupons_used,
        previous: PreviousPeriod {
            from: prev_from,
            to: prev_to,
            totals: prev,
        },
        platform_utc: store.platform_utc(),
    })
}

fn refund_order_ids(refunds: &[q::SucceededRefund]) -> Vec<i64> {
    let mut ids: Vec<i64> = refunds.iter().map(|r| r.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn totals_of(hours: &[q::PaidHour], refunds: &[q::SucceededRefund]) -> RevenueLine {
    let mut t = RevenueLine {
        key: "total".into(),
        label: "total".into(),
        ..RevenueLine::default()
    };
    for h in hours {
        t.add_hour(h);
    }
    for r in refunds {
        t.refunds += r.amount;
        t.refund_count += 1;
    }
    t.finish();
    t
}

fn time_rows(
    by: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
    hours: &[q::PaidHour],
    refunds: &[q::SucceededRefund],
) -> Vec<RevenueLine> {
    let mut rows: Vec<RevenueLine> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut day = from;
    while day <= to {
        let (key, label, first, last) = bucket(by, day, from, to);
        if !index.contains_key(&key) {
            index.insert(key.clone(), rows.len());
            rows.push(RevenueLine {
                key,
                label,
                first_day: Some(first),
                last_day: Some(last),
                ..RevenueLine::default()
            });
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    let slot = |t: NaiveDateTime| index.get(&bucket(by, t.date(), from, to).0).copied();
    for h in hours {
        if let Some(i) = slot(h.hour) {
            rows[i].add_hour(h);
        }
    }
    for r in refunds {
        if let Some(i) = slot(r.at) {
            rows[i].refunds += r.amount;
            rows[i].refund_count += 1;
        }
    }
    for r in &mut rows {
        r.finish();
    }
    rows
}

mod courses;
