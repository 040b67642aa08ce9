//! The whole story against the simulator, on SQLite and on MariaDB: test order → pay link →
//! pay → settle from the return URL and from the notify (a no-op) → partial refund → full refund
//! (grants revoked, credits back) → another order expired (credits and coupon back) → a manual
//! close → the expired-but-paid decision. Every step is checked in the database.

mod ops_support;

use chrono::TimeDelta;
use ops_support::*;
use paydesk_core::browse::UserRef;
use paydesk_core::desk::Desk;
use paydesk_core::ops::close::{Expired, close, expire};
use paydesk_core::ops::grant;
use paydesk_core::ops::pay_link::{PayLinkRequest, pay_link};
use paydesk_core::ops::refund::{refund, resume};
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::ops::test_order::{TestCourse, TestOrderRequest, test_order};
use paydesk_core::ops::{OpsError, Outcome};
use paydesk_core::profile::ProfileKind;
use paydesk_core::queries::grants::GrantFilter;

fn course(id: i64) -> TestCourse {
    TestCourse {
        course_id: id,
        activity_price: None,
        activity_name: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_flow_sqlite() {
    full_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_flow_mariadb() {
    full_flow(Backend::MySql).await;
}

async fn full_flow(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;
    let coupon = issue_coupon(&env, s.user, s.minus_coupon).await;

    // Test order: 1579.00 + 899.90 (activity price 799.00) − 30 coupon − 100 credits (¥10).
    let made = test_order(
        desk,
        &TestOrderRequest {
            user: UserRef::Id(s.user),
            courses: vec![
                course(s.courses[0]),
                TestCourse {
                    course_id: s.courses[1],
                    activity_price: Some(d("799.00")),
                    activity_name: Some("限时折扣".into()),
                },
            ],
            coupon_log_id: Some(coupon),
            credits: 100,
            note: Some("flow".into()),
        },
    )
    .await
    .expect("test order");
    let order = made.order.clone();
    assert_eq!(order.total_price, d("2378.00"));
    assert_eq!(order.real_price, d("2338.00"));
    assert_eq!(order.order_number.len(), 24);
    assert!(
        order
            .order_number
            .starts_with(&env.desk.now().format("%Y%m%d").to_string())
    );
    assert_eq!(&order.order_number[8..16], &format!("{:08}", s.user));
    let snap = env.snapshot(s.user, order.id).await;
    assert_eq!(snap.status, 0);
    assert_eq!(snap.credit, 900, "credits deducted at once");
    assert_eq!(
        snap.ledger_rows, 1,
        "one purchase row, written with the deduction"
    );
    assert_eq!(
        snap.coupon_logs,
        vec![(coupon, Some(order.id), Some(0))],
        "coupon bound, not yet used"
    );
    assert_eq!(snap.grants, 0);

    // Pay link → cashier → pay.
    let return_url = env.pay(&order.order_number).await;
    assert!(return_url.contains("alipay.trade.page.pay.return"));
    let notify = env.notify(0).await;
    assert!(notify.contains("trade_status=TRADE_SUCCESS"));

    // Settle from the return URL.
    let r = settle(desk, SettleInput::Callback(return_url.clone()))
        .await
        .expect("settle from the return URL");
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(r.grants_created.len(), 2);
    assert_eq!(
        r.credit_row, None,
        "the purchase row exists since the order was made"
    );
    let snap = env.snapshot(s.user, order.id).await;
    assert_eq!(snap.status, 1);
    assert!(snap.pay_time.is_some());
    assert_eq!(snap.credit, 900);
    assert_eq!(snap.ledger_rows, 1);
    assert_eq!(snap.grants, 2);
    assert_eq!(
        snap.coupon_logs,
        vec![(coupon, Some(order.id), Some(1))],
        "coupon used"
    );

    // The notify, the return URL again and a query-only settle are no-ops that say so.
    for input in [
        SettleInput::Callback(notify.clone()),
        SettleInput::Callback(return_url.clone()),
        SettleInput::parse(&order.order_number),
    ] {
        let again = settle(desk, input).await.expect("repeat settle");
        assert_eq!(again.outcome, Outcome::Noop);
        assert!(
            again.message.contains("already settled"),
            "{}",
            again.message
        );
    }
    assert_eq!(
        env.snapshot(s.user, order.id).await,
        snap,
        "repeats change nothing"
    );

    // A pay link for a paid order is refused with the reason.
    let e = pay_link(desk, &PayLinkRequest::page(order_ref(&order.order_number)))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpsError::Refused(ref m) if m.contains("is paid")),
        "{e}"
    );

    // Partial refund.
    let p = refund(
        desk,
        &order_ref(&order.order_number),
        Some(d("100.00")),
        "partial: one chapter missing",
    )
    .await
    .expect("partial refund");
    assert_eq!(p.outcome, Outcome::Done);
    assert_eq!(p.out_request_no, format!("{}R1", order.order_number));
    assert!(!p.full_refund);
    let snap = env.snapshot(s.user, order.id).await;
    assert_eq!(snap.grants, 2, "a partial refund keeps the courses");
    assert_eq!(snap.credit, 900);
    assert_eq!(
        snap.refunds,
        vec![(format!("{}R1", order.order_number), "succeeded".to_string())]
    );
    assert_eq!(
        env.sim_money(&order.order_number),
        (d("2338.00"), d("100.00"), 1)
    );

    // More than what is left is refused, nothing recorded.
    let e = refund(
        desk,
        &order_ref(&order.order_number),
        Some(d("2238.01")),
        "too much",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, OpsError::InvalidInput(ref m) if m.contains("above what is left")),
        "{e}"
    );
    assert_eq!(env.snapshot(s.user, order.id).await.refunds.len(), 1);

    // Full refund of the rest: grants revoked, credits back.
    let f = refund(
        desk,
        &order_ref(&order.order_number),
        None,
        "customer cancelled",
    )
    .await
    .expect("full refund");
    assert_eq!(f.amount, d("2238.00"));
    assert!(f.full_refund);
    assert_eq!(f.grants_revoked.len(), 2);
    assert_eq!(f.credits_returned, 100);
    let snap = env.snapshot(s.user, order.id).await;
    assert_eq!(
        snap.status, 1,
        "no refund status on the platform: the order stays paid"
    );
    assert_eq!(snap.grants, 0);
    assert_eq!(snap.credit, 1000);
    assert_eq!(snap.ledger_rows, 2, "purchase −100 and return +100");
    assert_eq!(
        env.sim_money(&order.order_number),
        (d("2338.00"), d("2338.00"), 2)
    );
    let again = refund(desk, &order_ref(&order.order_number), None, "again")
        .await
        .expect("repeat");
    assert_eq!(again.outcome, Outcome::Noop);
    assert_eq!(resume(desk, |_, _| {}).await.unwrap().examined, 0);
    assert_eq!(
        env.sim_money(&order.order_number).2,
        2,
        "still two refunds at Alipay"
    );

    // The revoked grants are in the audit log whole.
    let audit = env.audit_of(order.id).await;
    for want in [
        ("test_order", "ok"),
        ("settle", "ok"),
        ("settle", "noop"),
        ("refund", "pending"),
        ("refund", "ok"),
        ("refund", "refused"),
        ("refund", "noop"),
    ] {
        assert!(
            audit.iter().any(|(a, o)| (a.as_str(), o.as_str()) == want),
            "audit lacks {want:?}: {audit:?}"
        );
    }

    // Another order, left unpaid (cashier opened) until it times out.
    let coupon2 = issue_coupon(&env, s.user, s.times_coupon).await;
    let o2 = test_order(
        desk,
        &TestOrderRequest {
            user: UserRef::Id(s.user),
            courses: vec![course(s.courses[0])],
            coupon_log_id: Some(coupon2),
            credits: 50,
            note: None,
        },
    )
    .await
    .unwrap()
    .order;
    // 1579.00 − 1579.00×0.12 (189.48) − ¥5 = 1384.52
    assert_eq!(o2.real_price, d("1384.52"));
    env.open(&o2.order_number).await;
    assert_eq!(env.snapshot(s.user, o2.id).await.credit, 950);
    // Not due yet: expire leaves it alone.
    assert_eq!(expire(desk, |_, _| {}).await.unwrap().examined, 0);
    env.sim.clock().advance(TimeDelta::minutes(16));
    let e = pay_link(desk, &PayLinkRequest::page(order_ref(&o2.order_number)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("time out"), "{e}");
    let progress = std::sync::Mutex::new(Vec::new());
    let rep = expire(desk, |done, total| {
        progress.lock().unwrap().push((done, total))
    })
    .await
    .unwrap();
    assert_eq!((rep.examined, rep.expired, rep.settled), (1, 1, 0));
    assert_eq!(progress.into_inner().unwrap(), vec![(0, 1), (1, 1)]);
    let Expired::Expired(ex) = &rep.orders[0] else {
        panic!("{:?}", rep.orders[0])
    };
    assert_eq!(ex.credits_returned, 50);
    assert_eq!(ex.released_coupon_logs, vec![coupon2]);
    let snap = env.snapshot(s.user, o2.id).await;
    assert_eq!(snap.status, 3);
    assert_eq!(snap.credit, 1000);
    assert!(
        snap.coupon_logs.contains(&(coupon2, None, Some(0))),
        "coupon released: {:?}",
        snap.coupon_logs
    );
    assert_ne!(
        env.sim.trade(&o2.order_number).unwrap().status,
        sim::TradeStatus::WaitBuyerPay,
        "the Alipay trade is closed"
    );
    assert_eq!(
        expire(desk, |_, _| {}).await.unwrap().examined,
        0,
        "expire twice: nothing left"
    );

    // A manual close of a third order (cashier open): Alipay trade closed, status 2.
    let o3 = test_order(
        desk,
        &TestOrderRequest {
            user: UserRef::Id(s.user),
            courses: vec![course(s.courses[2])],
            coupon_log_id: None,
            credits: 0,
            note: None,
        },
    )
    .await
    .unwrap()
    .order;
    env.open(&o3.order_number).await;
    let c = close(desk, &order_ref(&o3.order_number), "customer asked")
        .await
        .unwrap();
    assert_eq!(c.outcome, Outcome::Done);
    assert_eq!(c.alipay.as_deref(), Some("Alipay trade closed"));
    assert_eq!(
        env.sim.trade(&o3.order_number).unwrap().status,
        sim::TradeStatus::TradeClosed
    );
    assert_eq!(env.snapshot(s.user, o3.id).await.status, 2);
    let c = close(desk, &order_ref(&o3.order_number), "again")
        .await
        .unwrap();
    assert_eq!(c.outcome, Outcome::Noop);
    let e = pay_link(desk, &PayLinkRequest::page(order_ref(&o3.order_number)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");

    // Grants by hand, revoke (reason required), restore from the audit row.
    let g = grant::grant(desk, s.other_user, s.courses[2], "gift for beta testing")
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::Done);
    assert_eq!(
        grant::grant(desk, s.other_user, s.courses[2], "again")
            .await
            .unwrap()
            .outcome,
        Outcome::Noop
    );
    let gid = g.grant.unwrap().id;
    assert!(matches!(
        grant::revoke(desk, gid, " ").await,
        Err(OpsError::InvalidInput(_))
    ));
    let rv = grant::revoke(desk, gid, "given by mistake").await.unwrap();
    assert_eq!(rv.outcome, Outcome::Done);
    let again = grant::revoke(desk, gid, "given by mistake").await.unwrap();
    assert_eq!(again.outcome, Outcome::Noop, "{}", again.message);
    assert!(again.message.contains("already revoked"));
    let restored = grant::restore(desk, rv.audit_id.unwrap(), "it was right after all")
        .await
        .unwrap();
    assert_eq!(
        restored.grant.as_ref().unwrap().id,
        gid,
        "restored with its original id"
    );
    let listed = grant::list(
        desk,
        &GrantFilter {
            user_id: Some(s.other_user),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);

    env.finish().await;
}

/// Paid after the site timed the order out: settled (the money is real), credits and coupon taken
/// back when possible, flagged for finance when not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_after_timeout_sqlite() {
    paid_after_timeout(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paid_after_timeout_mariadb() {
    paid_after_timeout(Backend::MySql).await;
}

async fn paid_after_timeout(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;

    // 1. Everything can be taken back: settle_late / ok.
    let log = issue_coupon(&env, s.user, s.minus_coupon).await;
    let (id, number) = site_order(
        &env,
        s.user,
        s.courses[0],
        "1579.00",
        100,
        Some(log),
        "1539.00",
    )
    .await;
    let return_url = env.pay(&number).await;
    site_times_out(&env, id, s.user, 100).await;
    assert_eq!(env.snapshot(s.user, id).await.credit, 1000);
    let r = settle(desk, SettleInput::Callback(return_url))
        .await
        .unwrap();
    assert!(r.late && r.flags.is_empty(), "{r:?}");
    let snap = env.snapshot(s.user, id).await;
    assert_eq!(snap.status, 1);
    assert_eq!(snap.credit, 900, "credits taken again");
    assert_eq!(snap.ledger_rows, 1);
    assert_eq!(snap.grants, 1);
    assert!(snap.coupon_logs.contains(&(log, Some(id), Some(1))));
    assert!(
        env.audit_of(id)
            .await
            .contains(&("settle_late".into(), "ok".into()))
    );

    // 2. The balance no longer covers the credits and the coupon went to another order: still
    //    settled (the customer paid), flagged for finance.
    let log3 = issue_coupon(&env, s.other_user, s.times_coupon).await;
    // 1579.00 − 189.48 (×0.88) − ¥4 (40 credits)
    let (id3, number3) = site_order(
        &env,
        s.other_user,
        s.courses[0],
        "1579.00",
        40,
        Some(log3),
        "1385.52",
    )
    .await;
    let ret3 = env.pay(&number3).await;
    site_times_out(&env, id3, s.other_user, 40).await;
    // Before anyone settles it, the user spends the returned credits and the coupon elsewhere.
    let (_, _) = site_order(
        &env,
        s.other_user,
        s.courses[1],
        "899.90",
        480,
        Some(log3),
        "851.90",
    )
    .await;
    let before = env.snapshot(s.other_user, id3).await;
    assert_eq!(before.credit, 20, "balance must not cover the 40 credits");
    let r = settle(desk, SettleInput::Callback(ret3)).await.unwrap();
    assert!(r.late);
    assert_eq!(r.flags.len(), 2, "{:?}", r.flags);
    assert!(r.message.contains("FLAGGED"), "{}", r.message);
    let snap = env.snapshot(s.other_user, id3).await;
    assert_eq!(snap.status, 1, "settled anyway: the money is real");
    assert_eq!(
        snap.credit, 20,
        "nothing taken from a balance that does not cover it"
    );
    assert_eq!(snap.grants, 1);
    assert!(
        snap.coupon_logs
            .iter()
            .all(|(l, o, _)| *l != log3 || *o != Some(id3)),
        "the coupon stays with the other order"
    );
    assert!(
        env.audit_of(id3)
            .await
            .contains(&("settle_late".into(), "flagged".into()))
    );

    // 3. Cancelled by hand on the site while the buyer was paying: same rules for status 2.
    let log4 = issue_coupon(&env, s.user, s.minus_coupon).await;
    let (id4, number4) = site_order(
        &env,
        s.user,
        s.courses[1],
        "899.90",
        50,
        Some(log4),
        "864.90",
    )
    .await;
    let ret4 = env.pay(&number4).await;
    // The site's cancel raced the payment: it saw the order unpaid and gave the credits back.
    site_cancels(&env, id4, s.user, 50, 2).await;
    assert_eq!(env.snapshot(s.user, id4).await.credit, 900);
    let r = settle(desk, SettleInput::Callback(ret4)).await.unwrap();
    assert!(r.late, "{r:?}");
    assert_eq!(r.coupon_logs_used, vec![log4]);
    let snap = env.snapshot(s.user, id4).await;
    assert_eq!(snap.status, 1);
    assert_eq!(snap.credit, 850, "the 50 credits taken again");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_orders_are_refused_on_production() {
    let env = env(Backend::Sqlite).await;
    let s = seed(&env).await;
    let prod = Desk::new(
        env.store().clone(),
        "live",
        ProfileKind::Production,
        "finance",
    );
    let before = env.audit_count().await;
    let e = test_order(
        &prod,
        &TestOrderRequest {
            user: UserRef::Id(s.user),
            courses: vec![course(s.courses[0])],
            coupon_log_id: None,
            credits: 0,
            note: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, OpsError::Refused(ref m) if m.contains("production")),
        "{e}"
    );
    assert_eq!(
        env.audit_count().await,
        before + 1,
        "the refusal is audited"
    );
    assert_eq!(
        env.scalar("SELECT COUNT(*) AS v FROM {order}", vec![])
            .await,
        0
    );
    env.finish().await;
}
