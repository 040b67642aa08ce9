//! Settle latency excluding the gateway, on a database of demo data (default 1,000,000 orders):
//! the whole settlement transaction (lock, guarded 0 → 1, ledger row, coupon, grants, audit) of
//! distinct unpaid orders, one after another, as `paydesk settle` runs it once Alipay confirmed.
//!
//! ```text
//! cargo run --release -p paydesk-core --example settle_bench -- [DB] [ORDERS] [SAMPLES]
//!   DB       SQLite file (reused if it already holds demo data) or mysql://… URL of an empty DB
//!   ORDERS   demo orders to generate when the database is new (default 1000000)
//!   SAMPLES  settlements to time (default 500)
//! ```

use std::sync::Arc;
use std::time::Instant;

use alipay::{Clock, SystemClock};
use chrono::TimeDelta;
use paydesk_core::db::Query;
use paydesk_core::demo::{DemoSpec, generate};
use paydesk_core::desk::Desk;
use paydesk_core::ops::settle::{Confirmed, Via, apply_payment};
use paydesk_core::profile::ProfileKind;
use paydesk_core::rows::{OrderRow, order_cols};
use paydesk_core::{OpenMode, Store, StoreConfig, admin, schema};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "/tmp/paydesk-settle-bench.sqlite".into());
    let orders: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let samples: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(500);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let cfg = StoreConfig::new(db.clone());

    let probe = Store::connect(&cfg, clock.clone(), OpenMode::CreateIfMissing)
        .await
        .expect("connect");
    let fresh = schema::existing_platform_tables(&probe)
        .await
        .expect("probe")
        .is_empty();
    probe.close().await;
    let store = if fresh {
        let store = admin::init_new(&cfg, clock.clone()).await.expect("init");
        let t = Instant::now();
        let r = generate(&store, &DemoSpec::new(orders, 7), |done, total| {
            if done % 100_000 == 0 || done == total {
                eprintln!("demo {done}/{total}");
            }
        })
        .await
        .expect("demo");
        eprintln!(
            "demo: {} orders in {:.1}s",
            r.orders,
            t.elapsed().as_secs_f64()
        );
        store
    } else {
        admin::open_platform(&cfg, clock.clone(), admin::Access::Write)
            .await
            .expect("open")
    };
    let n = store.names().clone();
    let total = {
        let mut tx = store.begin_read().await.unwrap();
        let r = tx
            .fetch_one(
                Query::new(format!("SELECT COUNT(*) AS c FROM {}", n.order)),
                "count",
            )
            .await
            .unwrap();
        r.i64("c").unwrap()
    };

    // Unpaid orders, oldest first: each sample settles a different one.
    let due: Vec<OrderRow> = {
        let mut tx = store.begin_read().await.unwrap();
        let q = Query::new(format!(
            "SELECT {} FROM {} o WHERE o.order_status = 0 ORDER BY o.created_time, o.id LIMIT ?",
            order_cols(&n, "o"),
            n.order
        ))
        .bind(samples as i64);
        tx.fetch_all(q)
            .await
            .unwrap()
            .iter()
            .map(|r| OrderRow::from_row(r).unwrap())
            .collect()
    };
    assert!(
        !due.is_empty(),
        "no unpaid orders left in {db}: use a new database"
    );
    let desk = Desk::new(store.clone(), "bench", ProfileKind::Simulator, "bench");
    let mut times = Vec::with_capacity(due.len());
    for (i, o) in due.iter().enumerate() {
        let paid = Confirmed {
            trade_no: format!("2026{i:024}"),
            amount: o.real_price,
            pay_time: Some(o.base.created_time + TimeDelta::minutes(3)),
            trade_status: "TRADE_SUCCESS".into(),
        };
        let t = Instant::now();
        apply_payment(&desk, o.id, &paid, Via::Query)
            .await
            .expect("settle");
        times.push(t.elapsed());
    }
    times.sort();
    // Integer percentiles (per mille) and microseconds: no float arithmetic in money code's crate.
    let pct = |per_mille: usize| {
        let us = times[(times.len() * per_mille)
            .div_ceil(1000)
            .clamp(1, times.len())
            - 1]
        .as_micros();
        format!("{}.{:02}", us / 1000, (us % 1000) / 10)
    };
    println!(
        "{} on {} ({total} orders): {} settlements, p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
        store.dialect().name(),
        paydesk_core::config::redact_url(&db),
        times.len(),
        pct(500),
        pct(950),
        pct(990),
        pct(1000)
    );
    store.close().await;
}
