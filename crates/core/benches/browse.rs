//! Browse latency on a large demo database (`cargo bench -p paydesk-core --bench browse`).
//!
//! PAYDESK_BENCH_DB: a SQLite path or mysql:// URL (default: a SQLite file in the temp dir; a
//! MySQL database must exist and be empty or already hold the demo).
//! PAYDESK_BENCH_ORDERS: demo size when the database is new (default 1,000,000).
//! Prints demo generation time and p50/p95/max per filtered page query.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use paydesk_core::browse::{self, OrderFilter, UserRef};
use paydesk_core::demo::{DemoSpec, generate};
use paydesk_core::domain::OrderStatus;
use paydesk_core::{StoreConfig, admin};
use rust_decimal::Decimal;

fn pct(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    v[((v.len() * p) / 100).min(v.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let orders: u64 = std::env::var("PAYDESK_BENCH_ORDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let db = std::env::var("PAYDESK_BENCH_DB").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join(format!("paydesk-bench-{orders}.sqlite"))
            .display()
            .to_string()
    });
    let cfg = StoreConfig::new(db.clone());
    let clock: Arc<dyn alipay::Clock> = Arc::new(alipay::SystemClock);
    let store = match admin::open_platform(&cfg, clock.clone(), admin::Access::Write).await {
        Ok(s) => {
            println!(
                "using existing database {}",
                paydesk_core::config::redact_url(&db)
            );
            s
        }
        Err(_) => {
            let s = admin::init_new(&cfg, clock.clone())
                .await
                .expect("create bench database");
            let t = Instant::now();
            let rep = generate(&s, &DemoSpec::new(orders, 1), |d, n| {
                if d % 100_000 == 0 || d == n {
                    eprintln!("  demo {d}/{n} ({:.0?})", t.elapsed());
                }
            })
            .await
            .expect("demo");
            println!(
                "demo: {} orders, {} order courses, {} users, {} grants, {} credit rows in {:.1?} on {}",
                rep.orders,
                rep.order_courses,
                rep.users,
                rep.grants,
                rep.credit_rows,
                t.elapsed(),
                s.dialect().name()
            );
            s
        }
    };
    let first = browse::orders(
        &store,
        &OrderFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let newest = first.orders[0].order.base.created_time;
    let user = first.orders[0].mobile.clone().unwrap();
    let prefix = first.orders[0].order.order_number[..8].to_string();
    let cases: Vec<(&str, OrderFilter)> = vec![
        ("all, newest first", OrderFilter::default()),
        (
            "status=paid",
            OrderFilter {
                statuses: vec![OrderStatus::Paid],
                ..Default::default()
            },
        ),
        (
            "status=cancelled|timed out",
            OrderFilter {
                statuses: vec![OrderStatus::Cancelled, OrderStatus::TimedOut],
                ..Default::default()
            },
        ),
        (
            "status=unpaid, last 90 days",
            OrderFilter {
                statuses: vec![OrderStatus::Unpaid],
                created_from: Some(newest - TimeDelta::days(90)),
                ..Default::default()
            },
        ),
        (
            "paid, 100–500 yuan",
            OrderFilter {
                statuses: vec![OrderStatus::Paid],
                min_amount: Some(Decimal::new(10000, 2)),
                max_amount: Some(Decimal::new(50000, 2)),
                ..Default::default()
            },
        ),
        (
            "user by mobile",
            OrderFilter {
                user: Some(UserRef::Mobile(user)),
                ..Default::default()
            },
        ),
        (
            "order number prefix (a day)",
            OrderFilter {
                number_prefix: Some(prefix),
                ..Default::default()
            },
        ),
    ];
    println!(
        "{:<32} {:>9} {:>9} {:>9}  (page of 50, 3 pages deep, 60 runs)",
        "filter", "p50", "p95", "max"
    );
    for (name, f) in cases {
        let mut times = Vec::new();
        for _ in 0..60 {
            let mut f = f.clone();
            f.limit = 50;
            // Page 1 and two keyset pages further.
            for _ in 0..3 {
                let t = Instant::now();
                let p = browse::orders(&store, &f).await.unwrap();
                times.push(t.elapsed());
                match p.next {
                    Some(c) => f.after = Some(c),
                    None => break,
                }
            }
        }
        let max = *times.iter().max().unwrap();
        println!(
            "{name:<32} {:>9.2?} {:>9.2?} {:>9.2?}",
            pct(times.clone(), 50),
            pct(times, 95),
            max
        );
    }
}
