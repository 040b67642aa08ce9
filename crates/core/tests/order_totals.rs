//! The orders list's paid-date filter and the totals of whatever is filtered agree with brute
//! force over demo data, on both backends.

mod common;

use chrono::NaiveDateTime;
use paydesk_core::browse::{self, OrderFilter};
use paydesk_core::db::Query;
use paydesk_core::demo::{DemoSpec, generate};
use paydesk_core::domain::OrderStatus;
use paydesk_core::order_totals::order_totals;
use paydesk_core::rows::{OrderRow, order_cols};
use paydesk_core::{Store, admin};
use rust_decimal::Decimal;

use common::{Backend, clock};

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn all_orders(store: &Store) -> Vec<OrderRow> {
    let n = store.names().clone();
    let mut tx = store.begin_read().await.unwrap();
    let rows = tx
        .fetch_all(Query::new(format!(
            "SELECT {} FROM {} o",
            order_cols(&n, "o"),
            n.order
        )))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| OrderRow::from_row(r).unwrap())
        .collect()
}

async fn paid_filter_and_totals(b: &Backend) {
    let store = admin::init_new(&b.config, clock()).await.unwrap();
    let mut spec = DemoSpec::new(900, 11);
    spec.days = 30;
    generate(&store, &spec, |_, _| {}).await.unwrap();
    let all = all_orders(&store).await;
    let (from, to) = (t("2026-05-10 00:00:00"), t("2026-05-20 00:00:00"));
    let f = OrderFilter {
        paid_from: Some(from),
        paid_to: Some(to),
        limit: 500,
        ..Default::default()
    };
    let want: Vec<&OrderRow> = all
        .iter()
        .filter(|o| !o.base.is_deleted && o.pay_time.is_some_and(|p| p >= from && p < to))
        .collect();
    assert!(want.len() > 20, "{} orders paid in the range", want.len());
    let page = browse::orders(&store, &f).await.unwrap();
    let mut got: Vec<i64> = page.orders.iter().map(|o| o.order.id).collect();
    let mut ids: Vec<i64> = want.iter().map(|o| o.id).collect();
    got.sort_unstable();
    ids.sort_unstable();
    assert_eq!(got, ids);

    let totals = order_totals(&store, &f).await.unwrap();
    assert_eq!(totals.orders, want.len() as i64);
    assert_eq!(
        totals.real_price,
        want.iter().map(|o| o.real_price).sum::<Decimal>()
    );
    let paid: Vec<_> = want
        .iter()
        .filter(|o| o.order_status == OrderStatus::Paid)
        .collect();
    assert_eq!(totals.paid_orders, paid.len() as i64);
    assert_eq!(
        totals.paid,
        paid.iter().map(|o| o.real_price).sum::<Decimal>()
    );

    // Totals follow every other filter too (status + amount), and an empty range says why.
    let f2 = OrderFilter {
        statuses: vec![OrderStatus::Unpaid],
        min_amount: Some(Decimal::new(10_000, 2)),
        ..Default::default()
    };
    let want2: Vec<_> = all
        .iter()
        .filter(|o| {
            !o.base.is_deleted
                && o.order_status == OrderStatus::Unpaid
                && o.real_price >= Decimal::new(10_000, 2)
        })
        .collect();
    let t2 = order_totals(&store, &f2).await.unwrap();
    assert_eq!(t2.orders, want2.len() as i64);
    assert_eq!(
        t2.real_price,
        want2.iter().map(|o| o.real_price).sum::<Decimal>()
    );
    assert_eq!(t2.paid_orders, 0);
    let bad = OrderFilter {
        paid_from: Some(to),
        paid_to: Some(from),
        ..Default::default()
    };
    let e = order_totals(&store, &bad).await.unwrap_err().to_string();
    assert!(e.contains("paid date range is empty"), "{e}");
    store.close().await;
}
both!(paid_filter_and_totals);
