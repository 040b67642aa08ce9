//! The revenue report agrees to the fen with an independent computation on demo data, per day
//! and per course, on both backends and on both platform clocks.

mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use paydesk_core::db::Query;
use paydesk_core::demo::{DemoSpec, generate};
use paydesk_core::domain::RefundStatus;
use paydesk_core::queries::{
    self,
    refunds::{NewRefund, RefundResult},
};
use paydesk_core::revenue::{self, GroupBy, split::split_money};
use paydesk_core::{Store, admin};
use rust_decimal::Decimal;

use common::{Backend, clock};

/// Every paid order, read row by row through the typed getters (which put the platform's
/// clock right): (id, pay_time in Beijing time, real_price, total_price, credit).
async fn paid_orders(store: &Store) -> Vec<(i64, NaiveDateTime, Decimal, Decimal, i64)> {
    let n = store.names().clone();
    let d = store.dialect();
    let mut tx = store.begin_read().await.unwrap();
    let rows = tx
        .fetch_all(Query::new(format!(
            "SELECT id, pay_time, {}, {}, credit FROM {} WHERE order_status = 1 AND pay_time IS NOT NULL",
            paydesk_core::db::yuan_col(d, "real_price", "rp"),
            paydesk_core::db::yuan_col(d, "total_price", "tp"),
            n.order
        )))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            (
                r.i64("id").unwrap(),
                r.time("pay_time").unwrap(),
                r.yuan("rp").unwrap(),
                r.yuan("tp").unwrap(),
                r.opt_i64("credit").unwrap().unwrap_or(0),
            )
        })
        .collect()
}

async fn refund_some(store: &Store, ids: &[(i64, Decimal)], at: NaiveDateTime) {
    let mut tx = store.begin_write().await.unwrap();
    for (i, (id, amount)) in ids.iter().enumerate() {
        let rid = queries::refunds::insert_pending(
            &mut tx,
            &NewRefund {
                out_request_no: format!("REV-{id}-{i}"),
                order_id: *id,
                order_number: format!("n{id}"),
                trade_no: None,
                amount: *amount,
                reason: "test".into(),
                operator: "t".into(),
                profile: "simulator".into(),
                full_refund: false,
            },
        )
        .await
        .unwrap();
        queries::refunds::record_attempt(
            &mut tx,
            rid,
            &RefundResult {
                status: Some(RefundStatus::Succeeded),
                gmt_refund_pay: Some(at),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn report_agrees_with_brute_force(b: &Backend, utc: bool) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let mut spec = DemoSpec::new(1200, 7);
    spec.days = 40;
    generate(&store, &spec, |_, _| {}).await.unwrap();
    store.set_platform_utc(utc);
    let orders = paid_orders(&store).await;
    assert!(orders.len() > 100, "{} paid orders", orders.len());
    // A few refunds, one of them late in the evening of a day of the period.
    let refunded: Vec<(i64, Decimal)> = orders
        .iter()
        .take(5)
        .map(|o| (o.0, Decimal::new(123, 2)))
        .collect();
    let refund_at =
        NaiveDateTime::parse_from_str("2026-05-20 23:59:59", "%Y-%m-%d %H:%M:%S").unwrap();
    refund_some(&store, &refunded, refund_at).await;

    let (from, to) = (day("2026-05-01"), day("2026-05-31"));
    let rep = revenue::report(&store, from, to, GroupBy::Day)
        .await
        .unwrap();
    assert_eq!(rep.rows.len(), 31, "every day has a row, empty ones too");

    // Brute force, per Beijing day.
    let mut want: BTreeMap<NaiveDate, (i64, Decimal, i64)> = BTreeMap::new();
    for (_, t, rp, _, credit) in &orders {
        if t.date() >= from && t.date() <= to {
            let e = want.entry(t.date()).or_default();
            e.0 += 1;
            e.1 += rp;
            e.2 += credit;
        }
    }
    for row in &rep.rows {
        let d = row.first_day.unwrap();
        let (n, paid, credits) = want.get(&d).cloned().unwrap_or_default();
        assert_eq!(
            (row.orders, row.payments, row.credits),
            (n, paid, credits),
            "{d}"
        );
        let refunds = if d == refund_at.date() {
            Decimal::new(123 * 5, 2)
        } else {
            Decimal::ZERO
        };
        assert_eq!(row.refunds, refunds, "{d}");
        assert_eq!(row.net, row.payments - row.refunds);
    }
    let total: Decimal = want.values().map(|v| v.1).sum();
    assert_eq!(rep.totals.payments, total);
    assert_eq!(rep.totals.refunds, Decimal::new(615, 2));

    // Per course: the course rows add up to the totals to the fen, and each matches the
    // brute-force split of every order across its courses.
    let by_course = revenue::report(&store, from, to, GroupBy::Course)
        .await
        .unwrap();
    let sum =
        |f: fn(&revenue::RevenueLine) -> Decimal| -> Decimal { by_course.rows.iter().map(f).sum() };
    assert_eq!(sum(|r| r.payments), by_course.totals.payments);
    assert_eq!(sum(|r| r.refunds), by_course.totals.refunds);
    assert_eq!(sum(|r| r.coupon_discount), by_course.totals.coupon_discount);
    assert_eq!(sum(|r| r.credit_discount), by_course.totals.credit_discount);
    assert_eq!(
        by_course.rows.iter().map(|r| r.credits).sum::<i64>(),
        by_course.totals.credits
    );
    let in_period: Vec<i64> = orders
        .iter()
        .filter(|o| o.1.date() >= from && o.1.date() <= to)
        .map(|o| o.0)
        .collect();
    let mut tx = store.begin_read().await.unwrap();
    let lines = queries::orders::courses_of_orders(&mut tx, &in_period)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let price: HashMap<i64, Decimal> = orders.iter().map(|o| (o.0, o.2)).collect();
    let mut per_order: BTreeMap<i64, Vec<(i64, Decimal)>> = BTreeMap::new();
    for l in &lines {
        per_order
            .entry(l.order_id)
            .or_default()
            .push((l.course_id, l.real_price));
    }
    let mut want_course: HashMap<i64, Decimal> = HashMap::new();
    for (oid, ls) in &per_order {
        let weights: Vec<Decimal> = ls.iter().map(|l| l.1).collect();
        let parts = split_money(price[oid], &weights);
        assert_eq!(parts.iter().sum::<Decimal>(), price[oid], "order {oid}");
        for (l, p) in ls.iter().zip(parts) {
            *want_course.entry(l.0).or_default() += p;
        }
    }
    for r in &by_course.rows {
        let id = r.course_id.expect("demo orders all have courses");
        assert_eq!(r.payments, want_course[&id], "course {id}");
    }
    // Ranked: most net first.
    assert!(by_course.rows.windows(2).all(|w| w[0].net >= w[1].net));

    // Weeks and months hold the same money as the days.
    for by in [GroupBy::Week, GroupBy::Month] {
        let r = revenue::report(&store, from, to, by).await.unwrap();
        assert_eq!(
            r.rows.iter().map(|l| l.payments).sum::<Decimal>(),
            total,
            "{by:?}"
        );
        assert_eq!(
            r.rows.iter().map(|l| l.orders).sum::<i64>(),
            rep.totals.orders
        );
    }
    // The previous period is the 31 days before.
    assert_eq!(rep.previous.from, day("2026-03-31"));
    assert_eq!(rep.previous.to, day("2026-04-30"));
    store.close().await;
}

async fn report_on_beijing_clock(b: &Backend) {
    report_agrees_with_brute_force(b, false).await;
}
both!(report_on_beijing_clock);

async fn report_on_utc_clock(b: &Backend) {
    report_agrees_with_brute_force(b, true).await;
}
both!(report_on_utc_clock);

#[tokio::test]
async fn bad_periods_say_what_to_do() {
    let e = revenue::period(day("2026-06-02"), day("2026-06-01")).unwrap_err();
    assert!(e.to_string().contains("swap --from and --to"), "{e}");
    let e = revenue::period(day("2016-01-01"), day("2026-06-01")).unwrap_err();
    assert!(e.to_string().contains("at most"), "{e}");
    assert!(
        GroupBy::parse("year")
            .unwrap_err()
            .to_string()
            .contains("day, week, month or course")
    );
}
