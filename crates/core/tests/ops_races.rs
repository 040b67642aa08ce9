//! Races, on SQLite and MariaDB: 100 concurrent settle attempts of one order (return URL, notify
//! and query-only mixed, as the site's three paths race), and settle racing expire → exactly one
//! settlement, one ledger row, one grant per course.

mod ops_support;

use std::sync::Arc;

use chrono::TimeDelta;
use ops_support::*;
use paydesk_core::db::Val;
use paydesk_core::ops::Outcome;
use paydesk_core::ops::close::{Expired, expire};
use paydesk_core::ops::settle::{SettleInput, settle};

async fn ledger_rows_of(env: &Env, user: i64, number: &str) -> i64 {
    let n = env.store().names().clone();
    env.scalar(
        &format!(
            "SELECT COUNT(*) AS v FROM {} WHERE user_id = ? AND remark LIKE ?",
            n.credit
        ),
        vec![user.into(), Val::from(format!("%{number}%"))],
    )
    .await
}

async fn grants_of(env: &Env, user: i64, course: i64) -> i64 {
    let n = env.store().names().clone();
    env.scalar(
        &format!(
            "SELECT COUNT(*) AS v FROM {} WHERE user_id = ? AND course_id = ?",
            n.user_course
        ),
        vec![user.into(), course.into()],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn hundred_settles_sqlite() {
    hundred_settles(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn hundred_settles_mariadb() {
    hundred_settles(Backend::MySql).await;
}

async fn hundred_settles(backend: Backend) {
    let env = env_with(
        backend,
        Opts {
            max_connections: 16,
            ..Default::default()
        },
    )
    .await;
    let s = seed(&env).await;
    let log = issue_coupon(&env, s.user, s.minus_coupon).await;
    // A site-made order: its purchase ledger row is the settlement's to write.
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
    let notify = env.notify(0).await;

    let mut tasks = Vec::new();
    for i in 0..100 {
        let desk = env.desk.clone();
        let input = match i % 3 {
            0 => SettleInput::Callback(return_url.clone()),
            1 => SettleInput::Callback(notify.clone()),
            _ => SettleInput::Order(order_ref(&number)),
        };
        tasks.push(tokio::spawn(async move { settle(&desk, input).await }));
    }
    let mut done = 0;
    let mut noop = 0;
    for t in tasks {
        match t
            .await
            .unwrap()
            .expect("every attempt succeeds or says it was done")
        {
            r if r.outcome == Outcome::Done => done += 1,
            _ => noop += 1,
        }
    }
    assert_eq!((done, noop), (1, 99), "exactly one settlement");
    let snap = env.snapshot(s.user, id).await;
    assert_eq!(snap.status, 1);
    assert_eq!(snap.credit, 900, "credits deducted once, at order creation");
    assert_eq!(
        ledger_rows_of(&env, s.user, &number).await,
        1,
        "one ledger row"
    );
    assert_eq!(
        grants_of(&env, s.user, s.courses[0]).await,
        1,
        "one grant per course"
    );
    assert_eq!(snap.coupon_logs, vec![(log, Some(id), Some(1))]);
    let audit = env.audit_of(id).await;
    assert_eq!(
        audit
            .iter()
            .filter(|(a, o)| a == "settle" && o == "ok")
            .count(),
        1
    );
    assert_eq!(
        audit
            .iter()
            .filter(|(a, o)| a == "settle" && o == "noop")
            .count(),
        99
    );
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn settle_races_expire_sqlite() {
    settle_races_expire(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn settle_races_expire_mariadb() {
    settle_races_expire(Backend::MySql).await;
}

/// The buyer paid at minute 14; the notify and the expiry job arrive together at minute 16.
/// Whichever wins, the order ends paid exactly once: expire asks Alipay first and settles a paid
/// order instead of expiring it, and a settle that comes after an expiry re-settles it.
async fn settle_races_expire(backend: Backend) {
    let env = env_with(
        backend,
        Opts {
            max_connections: 16,
            ..Default::default()
        },
    )
    .await;
    let s = seed(&env).await;
    let mut orders = Vec::new();
    for (k, course) in s.courses.iter().enumerate() {
        let price = ["1579.00", "899.90", "2999.00"][k];
        let (id, number) = site_order(&env, s.user, *course, price, 0, None, price).await;
        env.open(&number).await;
        orders.push((id, number, *course));
    }
    env.sim.clock().advance(TimeDelta::minutes(14));
    let mut returns = Vec::new();
    for (_, number, _) in &orders {
        returns.push(env.sim.pay(number).unwrap().return_url.unwrap());
    }
    env.sim.clock().advance(TimeDelta::minutes(2));

    let mut tasks = Vec::new();
    for round in 0..10 {
        for (k, ret) in returns.iter().enumerate() {
            let desk = env.desk.clone();
            let ret = ret.clone();
            tasks.push(tokio::spawn(async move {
                let r = settle(&desk, SettleInput::Callback(ret))
                    .await
                    .expect("settle");
                (k, r.outcome == Outcome::Done)
            }));
        }
        if round % 3 == 0 {
            let desk: Arc<_> = env.desk.clone();
            tasks.push(tokio::spawn(async move {
                let rep = expire(&desk, |_, _| {}).await.expect("expire");
                assert!(
                    rep.orders
                        .iter()
                        .all(|o| !matches!(o, Expired::Expired(r) if r.outcome == Outcome::Done)),
                    "a paid order was expired: {rep:?}"
                );
                (usize::MAX, false)
            }));
        }
    }
    let mut settled_by_settle = [0; 3];
    for t in tasks {
        let (k, done) = t.await.unwrap();
        if k != usize::MAX && done {
            settled_by_settle[k] += 1;
        }
    }
    for (k, (id, number, course)) in orders.iter().enumerate() {
        let audit = env.audit_of(*id).await;
        let oks = audit
            .iter()
            .filter(|(a, o)| a.starts_with("settle") && o == "ok")
            .count();
        assert_eq!(
            oks, 1,
            "order {k}: exactly one settlement ({audit:?}); by settle: {}",
            settled_by_settle[k]
        );
        assert_eq!(env.snapshot(s.user, *id).await.status, 1);
        assert_eq!(grants_of(&env, s.user, *course).await, 1);
        assert_eq!(
            ledger_rows_of(&env, s.user, number).await,
            0,
            "no credits used, no ledger row"
        );
    }
    env.finish().await;
}

/// Credits and one ledger row when the settlement and an expiry race on an order with credits.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn settle_races_expire_with_credits_both_backends() {
    for backend in BACKENDS {
        let env = env_with(
            backend,
            Opts {
                max_connections: 16,
                ..Default::default()
            },
        )
        .await;
        let s = seed(&env).await;
        let (id, number) =
            site_order(&env, s.user, s.courses[0], "1579.00", 100, None, "1569.00").await;
        env.open(&number).await;
        env.sim.clock().advance(TimeDelta::minutes(10));
        let ret = env.sim.pay(&number).unwrap().return_url.unwrap();
        env.sim.clock().advance(TimeDelta::minutes(10));
        let mut tasks = Vec::new();
        for i in 0..40 {
            let desk = env.desk.clone();
            let ret = ret.clone();
            tasks.push(tokio::spawn(async move {
                if i % 8 == 0 {
                    expire(&desk, |_, _| {})
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                } else {
                    settle(&desk, SettleInput::Callback(ret))
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("no attempt fails");
        }
        let snap = env.snapshot(s.user, id).await;
        assert_eq!(snap.status, 1, "{backend:?}");
        assert_eq!(snap.credit, 900, "{backend:?}: credits deducted once");
        assert_eq!(
            ledger_rows_of(&env, s.user, &number).await,
            1,
            "{backend:?}"
        );
        assert_eq!(
            grants_of(&env, s.user, s.courses[0]).await,
            1,
            "{backend:?}"
        );
        env.finish().await;
    }
}
