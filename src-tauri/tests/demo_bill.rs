//! The built-in simulator agrees with the demo history: a new embedded database's paid orders are
//! in the simulator's bills, so reconciling a past day or month of the demo matches every
//! payment instead of reporting them missing from the bill.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use paydesk_app::active::{self, Active, Events};
use paydesk_core::db::Query;
use paydesk_core::domain::{OrderStatus, PayType};
use paydesk_core::reconcile::{
    self, BillSource, Category, Control, Period, RunOutcome, RunRequest,
};
use rust_decimal::Decimal;

/// Enough orders for several payments on the busiest day, few enough to generate quickly.
const DEMO_ORDERS: u64 = 1_500;

struct Quiet;

impl Events for Quiet {
    fn progress(&self, _: &str, _: u64, _: u64, _: Option<String>) {}
    fn order_changed(&self, _: &str) {}
}

/// Payments the bill should list, by pay day: counted straight from the order table.
async fn paid_by_day(a: &Active) -> BTreeMap<NaiveDate, (u64, Decimal)> {
    let mut tx = a.desk.store.begin_read().await.unwrap();
    let q = Query::new(format!(
        "SELECT order_status, pay_type, {}, pay_time FROM {}",
        paydesk_core::db::yuan_col(tx.dialect(), "real_price", "real_price"),
        tx.names().order
    ));
    let rows = tx.fetch_all(q).await.unwrap();
    tx.rollback().await.unwrap();
    let mut days: BTreeMap<NaiveDate, (u64, Decimal)> = BTreeMap::new();
    for r in rows {
        let price = r.yuan("real_price").unwrap();
        if OrderStatus::from(r.i64("order_status").unwrap()) != OrderStatus::Paid
            || PayType::from(r.i64("pay_type").unwrap()) == PayType::Balance
            || price <= Decimal::ZERO
        {
            continue;
        }
        let paid = r
            .opt_time("pay_time")
            .unwrap()
            .expect("a paid order's pay_time");
        let e = days.entry(paid.date()).or_default();
        e.0 += 1;
        e.1 += price;
    }
    days
}

async fn reconcile(a: &Active, period: Period) -> reconcile::RunReport {
    let req = RunRequest {
        period: Some(period),
        source: BillSource::Fetch,
        seller_id: None,
    };
    match reconcile::run(&a.desk, req, &Control::default())
        .await
        .unwrap_or_else(|e| panic!("reconciling {period:?}: {e}"))
    {
        RunOutcome::Reconciled(r) => *r,
        other => panic!("{period:?}: expected a bill, got {other:?}"),
    }
}

fn assert_all_matched(r: &reconcile::RunReport, payments: u64, amount: Decimal) {
    let matched = r
        .summary
        .categories
        .get(&Category::Matched)
        .map(|c| c.count)
        .unwrap_or(0);
    let others: Vec<_> = r
        .discrepancies
        .iter()
        .filter(|d| d.category != Category::Matched)
        .map(|d| format!("{:?} {:?}: {}", d.category, d.out_trade_no, d.message))
        .collect();
    assert!(others.is_empty(), "{:?}: {others:#?}", r.period);
    assert_eq!(matched, payments, "{:?}", r.period);
    assert_eq!(r.summary.open, 0, "{:?}", r.period);
    assert_eq!(r.summary.bill_rows, payments, "{:?}", r.period);
    assert_eq!(r.summary.total.payments, payments, "{:?}", r.period);
    assert_eq!(r.summary.total.received, amount, "{:?}", r.period);
    assert_eq!(r.status, "clean", "{:?}", r.period);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciling_a_past_demo_day_and_month_matches_every_payment() {
    let (dir, paths) = support::temp_paths(DEMO_ORDERS);
    let a = active::activate(&paths, "simulator", Arc::new(Quiet))
        .await
        .expect("the simulator profile starts");

    // Alipay has bills up to yesterday (and months up to the last one). Yesterday holds the
    // demo's practice discrepancies (see the next test): the days before it agree in full.
    let today = a.desk.now().date();
    let yesterday = today.pred_opt().unwrap();
    let days = paid_by_day(&a).await;
    let past: BTreeMap<_, _> = days.range(..yesterday).map(|(d, v)| (*d, *v)).collect();
    let all: u64 = days.values().map(|v| v.0).sum();
    assert!(all > 500, "the demo should have paid orders, has {all}");

    // The busiest past day; the earliest of equals, so the choice does not depend on order.
    let (&day, &(n, amount)) = past
        .iter()
        .max_by_key(|(d, v)| (v.0, std::cmp::Reverse(**d)))
        .expect("a past day with payments");
    assert!(n >= 2, "the busiest day has {n} payments");
    let r = reconcile(&a, Period::Day(day)).await;
    assert_all_matched(&r, n, amount);
    assert_eq!(r.summary.days.len(), 1);

    // Last month: complete, and inside the demo's 365 days.
    // The last month that ended before yesterday.
    let this_month = yesterday.with_day(1).unwrap();
    let month = this_month.checked_sub_months(Months::new(1)).unwrap();
    let (mn, mamount) = past
        .range(month..this_month)
        .fold((0, Decimal::ZERO), |(n, s), (_, v)| (n + v.0, s + v.1));
    assert!(mn > 30, "last month has {mn} payments");
    let r = reconcile(&a, Period::Month(month)).await;
    assert_all_matched(&r, mn, mamount);
    // The daily chart: one entry per day with payments, each day's count as in the store.
    let chart: BTreeMap<NaiveDate, u64> = r
        .summary
        .days
        .iter()
        .map(|d| (d.day.expect("a day"), d.payments))
        .collect();
    let expected: BTreeMap<NaiveDate, u64> = past
        .range(month..this_month)
        .map(|(d, v)| (*d, v.0))
        .collect();
    assert_eq!(chart, expected);

    // A restart keeps the simulator's history without importing it again.
    let state = dir.path().join("data").join("sim").join("state.json");
    let trades_in = |p: &std::path::Path| -> usize {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["trades"].as_array().unwrap().len()
    };
    // Every payment, plus the practice missed notify (paid at Alipay only).
    assert_eq!(trades_in(&state) as u64, all + 1);
    a.stop().await;
    let a = active::activate(&paths, "simulator", Arc::new(Quiet))
        .await
        .expect("the simulator profile restarts");
    let r = reconcile(&a, Period::Day(day)).await;
    assert_all_matched(&r, n, amount);
    a.stop().await;
    assert_eq!(trades_in(&state) as u64, all + 1);
}

/// A new demo world has something in every view: refunds in part, in full and one left with an
/// unknown outcome, and yesterday's bill disagrees three ways for the Reconcile view to explain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_world_has_practice_refunds_and_discrepancies() {
    let (_dir, paths) = support::temp_paths(DEMO_ORDERS);
    let a = active::activate(&paths, "simulator", Arc::new(Quiet))
        .await
        .expect("the simulator profile starts");
    let mut tx = a.desk.store.begin_read().await.unwrap();
    let refunds: Vec<(String, bool)> = tx
        .fetch_all(Query::new(
            "SELECT status, full_refund FROM paydesk_refunds",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.string("status").unwrap(), r.bool("full_refund").unwrap()))
        .collect();
    tx.rollback().await.unwrap();
    let by_status = |s: &str| refunds.iter().filter(|r| r.0 == s).count();
    assert_eq!(refunds.len(), 3, "{refunds:?}");
    assert_eq!(by_status("succeeded"), 2, "{refunds:?}");
    assert_eq!(
        by_status("unknown") + by_status("pending"),
        1,
        "{refunds:?}"
    );
    assert!(
        refunds.iter().any(|r| r.1 && r.0 == "succeeded"),
        "{refunds:?}"
    );

    let yesterday = a.desk.now().date().pred_opt().unwrap();
    let r = reconcile(&a, Period::Day(yesterday)).await;
    let mut open: Vec<Category> = r
        .discrepancies
        .iter()
        .filter(|d| d.category != Category::Matched)
        .map(|d| d.category)
        .collect();
    open.sort();
    // A small demo may lack a case on a given day (no payment yesterday, say): the cases picked
    // are exactly the ones the bill disagrees on.
    let cases =
        paydesk_core::demo_practice::practice_cases(&a.desk.store, yesterday.succ_opt().unwrap())
            .await
            .unwrap();
    let mut want = Vec::new();
    if cases.amount_mismatch.is_some() {
        want.push(Category::AmountMismatch);
    }
    if cases.portal_refund.is_some() {
        want.push(Category::RefundOutsidePaydesk);
    }
    assert!(
        cases.missed_notify.is_some() || cases.portal_refund.is_some(),
        "{cases:?}"
    );
    let missed = open
        .iter()
        .filter(|c| matches!(c, Category::MissedNotify | Category::PaidAfterClose))
        .count();
    assert_eq!(
        missed,
        usize::from(cases.missed_notify.is_some()),
        "{open:?}"
    );
    assert_eq!(open.len(), want.len() + missed, "{:#?}", r.discrepancies);
    for c in want {
        assert!(open.contains(&c), "{open:?}");
    }
    a.stop().await;
}
