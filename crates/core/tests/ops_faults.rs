//! Every simulator fault during settle and during refund: the database is unchanged (settle) or
//! the refund stays recorded as unresolved and `refunds resume` resolves it — and the simulator's
//! own ledger proves no refund was ever made twice.

mod ops_support;

use std::time::Duration;

use ops_support::*;
use paydesk_core::ops::refund::{refund, resume};
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::ops::{OpsError, Outcome};
use sim::Fault;

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        // Longer than the client's 1 s timeout: the request is still handled afterwards.
        ("timeout", Fault::Latency(Duration::from_millis(1500))),
        (
            "5xx",
            Fault::HttpStatus {
                status: 502,
                after_state_change: false,
            },
        ),
        (
            "5xx after",
            Fault::HttpStatus {
                status: 503,
                after_state_change: true,
            },
        ),
        (
            "cut before",
            Fault::Drop {
                after_state_change: false,
            },
        ),
        (
            "cut after",
            Fault::Drop {
                after_state_change: true,
            },
        ),
        ("bad signature", Fault::BadSignature),
        (
            "20000",
            Fault::SystemError {
                after_state_change: false,
            },
        ),
        (
            "20000 after",
            Fault::SystemError {
                after_state_change: true,
            },
        ),
    ]
}

fn opts() -> Opts {
    Opts {
        refund_retries: 0,
        timeout: Duration::from_secs(1),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settle_faults_change_nothing_sqlite() {
    settle_faults(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settle_faults_change_nothing_mariadb() {
    settle_faults(Backend::MySql).await;
}

async fn settle_faults(backend: Backend) {
    let env = env_with(backend, opts()).await;
    let s = seed(&env).await;
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
    let ret = env.pay(&number).await;
    let before = env.snapshot(s.user, id).await;
    for (name, fault) in faults() {
        env.sim.set_fault("alipay.trade.query", fault).unwrap();
        let e = settle(&env.desk, SettleInput::Callback(ret.clone()))
            .await
            .expect_err(name);
        assert!(
            matches!(e, OpsError::UnknownOutcome(_) | OpsError::Gateway(_)),
            "{name}: {e}"
        );
        assert_eq!(
            env.snapshot(s.user, id).await,
            before,
            "{name}: nothing changed"
        );
        let (action, outcome) = env.audit_of(id).await.into_iter().next().unwrap();
        assert_eq!(
            (action.as_str(), outcome.as_str()),
            ("settle", "error"),
            "{name}: the failure is on record"
        );
    }
    env.sim.clear_faults();
    let r = settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(env.snapshot(s.user, id).await.status, 1);
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refund_faults_are_resolved_without_refunding_twice_sqlite() {
    refund_faults(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refund_faults_are_resolved_without_refunding_twice_mariadb() {
    refund_faults(Backend::MySql).await;
}

async fn refund_faults(backend: Backend) {
    let env = env_with(backend, opts()).await;
    let s = seed(&env).await;
    let (id, number) = site_order(&env, s.user, s.courses[2], "2999.00", 0, None, "2999.00").await;
    let ret = env.pay(&number).await;
    settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    let mut refunded = rust_decimal::Decimal::ZERO;
    for (i, (name, fault)) in faults().into_iter().enumerate() {
        let out_request_no = format!("{number}R{}", i + 1);
        env.sim.set_fault("alipay.trade.refund", fault).unwrap();
        let e = refund(&env.desk, &order_ref(&number), Some(d("10.00")), name)
            .await
            .expect_err(name);
        assert!(
            matches!(e, OpsError::UnknownOutcome(ref m) if m.contains(&out_request_no)),
            "{name}: {e}"
        );
        let snap = env.snapshot(s.user, id).await;
        assert_eq!(
            snap.refunds.last().unwrap(),
            &(out_request_no.clone(), "unknown".to_string()),
            "{name}"
        );
        assert_eq!(snap.status, 1);
        // Alipay made it at most once so far.
        let made = env
            .sim
            .ledger()
            .iter()
            .filter(|e| e.out_request_no.as_deref() == Some(out_request_no.as_str()))
            .count();
        assert!(made <= 1, "{name}");
        // A new refund is refused while this one is unresolved.
        let blocked = refund(&env.desk, &order_ref(&number), Some(d("1.00")), "blocked")
            .await
            .unwrap_err();
        assert!(
            matches!(blocked, OpsError::Refused(ref m) if m.contains("resume")),
            "{name}: {blocked}"
        );

        // The latency fault keeps the server busy until the refund is made; wait it out.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let rep = resume(&env.desk, |_, _| {}).await.unwrap();
        assert_eq!((rep.examined, rep.succeeded), (1, 1), "{name}: {rep:?}");
        let made = env
            .sim
            .ledger()
            .iter()
            .filter(|e| e.out_request_no.as_deref() == Some(out_request_no.as_str()))
            .count();
        assert_eq!(made, 1, "{name}: exactly one refund at Alipay");
        refunded += d("10.00");
        assert_eq!(env.sim_money(&number).1, refunded, "{name}");
        assert_eq!(
            env.snapshot(s.user, id).await.refunds.last().unwrap().1,
            "succeeded",
            "{name}"
        );
        // Resuming again finds nothing and moves nothing.
        assert_eq!(resume(&env.desk, |_, _| {}).await.unwrap().examined, 0);
        assert_eq!(env.sim_money(&number).2, i + 1, "{name}");
    }
    env.finish().await;
}

/// A crash right after the pending record (the process died before calling Alipay): the row
/// stays `pending`, resume makes the refund once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pending_refund_after_a_crash_is_resumed_once() {
    let env = env_with(Backend::Sqlite, opts()).await;
    let s = seed(&env).await;
    let (id, number) = site_order(&env, s.user, s.courses[1], "899.90", 0, None, "899.90").await;
    let ret = env.pay(&number).await;
    settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    // The gateway is unreachable for this attempt: the refund is recorded, never sent.
    env.sim
        .set_fault(
            "alipay.trade.refund",
            Fault::Drop {
                after_state_change: false,
            },
        )
        .unwrap();
    let _ = refund(&env.desk, &order_ref(&number), None, "crash")
        .await
        .unwrap_err();
    assert_eq!(env.sim_money(&number).2, 0, "nothing refunded yet");
    let rep = resume(&env.desk, |_, _| {}).await.unwrap();
    assert_eq!(rep.succeeded, 1);
    assert_eq!(env.sim_money(&number), (d("899.90"), d("899.90"), 1));
    let snap = env.snapshot(s.user, id).await;
    assert_eq!(
        snap.grants, 0,
        "full refund via resume revokes the grant too"
    );
    env.finish().await;
}
