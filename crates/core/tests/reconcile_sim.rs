//! A scripted day against the real simulator, on SQLite and on MariaDB: payments settled the
//! normal way, a partial and a full refund through Paydesk, a missed notify, an order that timed
//! out locally but was paid at Alipay. The next morning the bill is fetched from the simulator
//! (download URL, then the zip) and reconciles to exactly the expected categories and sums;
//! settling the two from the report and running again is clean, and the comparison says both
//! were resolved.

mod ops_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use ops_support::*;
use paydesk_core::browse::UserRef;
use paydesk_core::db::{Query, Val};
use paydesk_core::ops::refund::refund;
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::ops::test_order::{TestCourse, TestOrderRequest, test_order};
use paydesk_core::reconcile::actions::settle_row;
use paydesk_core::reconcile::report::to_csv;
use paydesk_core::reconcile::{
    BillSource, Category, Control, Period, RunOutcome, RunReport, RunRequest, compare, load, run,
};
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scripted_day_sqlite() {
    scripted_day(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scripted_day_mariadb() {
    scripted_day(Backend::MySql).await;
}

async fn order(env: &Env, user: i64, course: i64) -> (i64, String, Decimal) {
    let o = test_order(
        &env.desk,
        &TestOrderRequest {
            user: UserRef::Id(user),
            courses: vec![TestCourse {
                course_id: course,
                activity_price: None,
                activity_name: None,
            }],
            coupon_log_id: None,
            credits: 0,
            note: None,
        },
    )
    .await
    .expect("test order")
    .order;
    (o.id, o.order_number, o.real_price)
}

fn counts(r: &RunReport) -> BTreeMap<Category, u64> {
    r.summary
        .categories
        .iter()
        .map(|(c, t)| (*c, t.count))
        .collect()
}

async fn fetch_run(env: &Env, day: &str, ctl: &Control) -> RunReport {
    let req = RunRequest {
        period: Some(Period::parse(day).unwrap()),
        source: BillSource::Fetch,
        seller_id: None,
    };
    match run(&env.desk, req, ctl).await.expect("reconcile") {
        RunOutcome::Reconciled(r) => *r,
        other => panic!("{other:?}"),
    }
}

async fn scripted_day(backend: Backend) {
    let env = env(backend).await;
    env.sim.clock().set_beijing("2026-11-24 09:00:00").unwrap();
    let s = seed(&env).await;
    let desk = &env.desk;

    // A and B and C: paid and settled from the return URL.
    let mut settled = Vec::new();
    for course in [s.courses[0], s.courses[1], s.courses[2]] {
        let (_, number, price) = order(&env, s.user, course).await;
        let ret = env.pay(&number).await;
        settle(desk, SettleInput::Callback(ret))
            .await
            .expect("settle");
        settled.push((number, price));
        env.sim.clock().advance(TimeDelta::minutes(7));
    }
    // B partly refunded, C fully, through Paydesk.
    refund(
        desk,
        &order_ref(&settled[1].0),
        Some(d("100.00")),
        "部分退款",
    )
    .await
    .expect("partial refund");
    env.sim.clock().advance(TimeDelta::minutes(3));
    refund(desk, &order_ref(&settled[2].0), None, "全额退款")
        .await
        .expect("full refund");
    env.sim.clock().advance(TimeDelta::minutes(3));

    // D: paid at Alipay; the notify went nowhere useful and nobody settled it.
    let (d_id, d_number, d_price) = order(&env, s.other_user, s.courses[1]).await;
    env.pay(&d_number).await;

    // E: cashier opened, the site's timeout job marks it timed out (without closing the Alipay
    // trade), then the buyer pays anyway.
    let (e_id, e_number, e_price) = order(&env, s.other_user, s.courses[0]).await;
    env.open(&e_number).await;
    let mut tx = env.store().begin_write().await.unwrap();
    let q = Query::new(format!(
        "UPDATE {} SET order_status = 3 WHERE id = ?",
        env.store().names().order
    ))
    .bind(Val::I64(e_id));
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
    env.sim
        .pay(&e_number)
        .expect("paid after the local timeout");

    // F: never paid.
    order(&env, s.user, s.courses[2]).await;

    // The next morning.
    env.sim.clock().set_beijing("2026-11-25 08:30:00").unwrap();
    let stages = Arc::new(Mutex::new(Vec::new()));
    let st = stages.clone();
    let ctl = Control {
        progress: Some(Arc::new(move |p| st.lock().unwrap().push(p.stage))),
        ..Control::default()
    };
    let first = fetch_run(&env, "2026-11-24", &ctl).await;
    for stage in ["download", "parse", "match", "store"] {
        assert!(
            stages.lock().unwrap().contains(&stage),
            "progress reports {stage}"
        );
    }

    let expected: BTreeMap<Category, u64> = [
        (Category::Matched, 3),
        (Category::RefundMatched, 2),
        (Category::MissedNotify, 1),
        (Category::PaidAfterClose, 1),
    ]
    .into();
    assert_eq!(counts(&first), expected);
    assert_eq!(first.summary.open, 2);
    assert_eq!(first.status, "open");
    assert_eq!(first.bill.account, env.sim.account());
    assert_eq!(first.bill.sha256.len(), 64);
    assert!(
        first
            .bill
            .detail_name
            .as_deref()
            .unwrap()
            .ends_with("_20261124_业务明细.csv")
    );

    let paid: Decimal = settled.iter().map(|(_, p)| *p).sum::<Decimal>() + d_price + e_price;
    let refunded = d("100.00") + settled[2].1;
    let t = &first.summary.total;
    assert_eq!((t.payments, t.refunds), (5, 2));
    assert_eq!(t.received, paid);
    assert_eq!(t.refunded, -refunded);
    // The simulator's 0.6 % fee, half away from zero, given back pro rata on refunds.
    let fee_of = |a: Decimal| {
        (a * d("0.006"))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let charged: Decimal = settled.iter().map(|(_, p)| fee_of(*p)).sum::<Decimal>()
        + fee_of(d_price)
        + fee_of(e_price);
    let returned: Decimal = env
        .sim
        .trades()
        .iter()
        .flat_map(|t| t.refunds.iter().map(|r| r.fee_returned))
        .sum();
    assert_eq!(t.fees, returned - charged);
    assert_eq!(t.net, paid - refunded + returned - charged);
    assert_eq!(first.summary.days.len(), 1);
    assert_eq!(
        first.summary.categories[&Category::Matched].bill_amount,
        settled.iter().map(|(_, p)| *p).sum::<Decimal>()
    );
    assert_eq!(
        first.summary.categories[&Category::RefundMatched].bill_amount,
        -refunded
    );

    let missed = first
        .discrepancies
        .iter()
        .find(|x| x.category == Category::MissedNotify)
        .unwrap();
    assert_eq!(
        (missed.order_id, missed.out_trade_no.as_deref()),
        (Some(d_id), Some(d_number.as_str()))
    );
    assert_eq!(missed.bill_amount, Some(d_price));
    let late = first
        .discrepancies
        .iter()
        .find(|x| x.category == Category::PaidAfterClose)
        .unwrap();
    assert_eq!(late.order_id, Some(e_id));
    assert_eq!(late.local_status.as_deref(), Some("timed out"));

    // The CSV report: BOM, summary, the two discrepancies.
    let csv = String::from_utf8(to_csv(&first).unwrap()).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("missed_notify")
            && csv.contains("paid_after_close")
            && csv.contains(&format!("{d_number}\t"))
    );

    // Reopened from the database, the run is the same.
    assert_eq!(load(env.store(), first.run_id).await.unwrap(), first);

    // The missed notify is settled from the report (the normal settle path, which queries
    // Alipay first); the late payment from the order screen, outside the report.
    let r = settle_row(desk, missed.id.unwrap())
        .await
        .expect("settle from the report");
    assert!(r.changed);
    assert!(
        r.row.action.as_deref().unwrap().starts_with("settled"),
        "{:?}",
        r.row.action
    );
    assert!(!r.row.open());
    let again = settle_row(desk, missed.id.unwrap())
        .await
        .expect("settling twice is a no-op");
    assert!(!again.changed);
    settle(desk, SettleInput::parse(&e_number))
        .await
        .expect("late settle");
    assert_eq!(
        env.scalar(
            "SELECT order_status AS v FROM {order} WHERE id = ?",
            vec![d_id.into()]
        )
        .await,
        1
    );
    assert_eq!(
        env.scalar(
            "SELECT order_status AS v FROM {order} WHERE id = ?",
            vec![e_id.into()]
        )
        .await,
        1
    );
    let audits = env.audit_of(e_id).await;
    assert!(audits.iter().any(|(a, _)| a == "settle_late"), "{audits:?}");
    let reopened = load(env.store(), first.run_id).await.unwrap();
    assert_eq!(
        (reopened.summary.open, reopened.status.as_str()),
        (1, "open"),
        "the late one was not dealt with in this run"
    );

    // Run again: everything matches now; the comparison shows what was resolved since.
    let second = fetch_run(&env, "2026-11-24", &Control::default()).await;
    assert_eq!(
        counts(&second),
        [(Category::Matched, 5), (Category::RefundMatched, 2)].into()
    );
    assert_eq!(second.status, "clean");
    assert_eq!(second.bill.sha256, first.bill.sha256, "the same bill");
    let diff = compare(env.store(), first.run_id, second.run_id)
        .await
        .unwrap();
    assert_eq!(
        diff.resolved.iter().map(|x| x.order_id).collect::<Vec<_>>(),
        vec![Some(e_id)]
    );
    assert!(diff.new.is_empty() && diff.still_open.is_empty());

    // A cancelled run stores nothing.
    let runs_before = env
        .scalar("SELECT COUNT(*) AS v FROM paydesk_recon_runs", vec![])
        .await;
    let ctl = Control::default();
    ctl.cancel();
    let e = run(
        desk,
        RunRequest {
            period: Some(Period::parse("2026-11-24").unwrap()),
            source: BillSource::Fetch,
            seller_id: None,
        },
        &ctl,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert_eq!(
        env.scalar("SELECT COUNT(*) AS v FROM paydesk_recon_runs", vec![])
            .await,
        runs_before
    );
    env.finish().await;
}
