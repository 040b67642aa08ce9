//! Refund rules beyond the happy path: Alipay's "refunds of one trade at least 3 s apart" kept by
//! Paydesk for new and resumed refunds (the simulator enforces it, so a refund sent too soon
//! would come back 20000 and stay unknown), and refusals on record with the operator's reason
//! and the cause.

mod ops_support;

use std::time::Instant;

use ops_support::*;
use paydesk_core::audit::{AuditFilter, query as audit_query};
use paydesk_core::ops::OpsError;
use paydesk_core::ops::Outcome;
use paydesk_core::ops::refund::{REFUND_SPACING, refund, resume};
use paydesk_core::ops::settle::{SettleInput, settle};
use paydesk_core::queries::refunds::{NewRefund, insert_pending};
use paydesk_core::rows::AuditRow;

/// When the simulator made each refund of the order (its ledger, on its clock).
fn refund_times(env: &Env, number: &str) -> Vec<chrono::NaiveDateTime> {
    env.sim
        .ledger()
        .iter()
        .filter(|e| e.kind == sim::LedgerKind::Refund && e.out_trade_no == number)
        .map(|e| e.at)
        .collect()
}

fn assert_spaced(times: &[chrono::NaiveDateTime]) {
    let spacing = chrono::Duration::from_std(REFUND_SPACING).unwrap();
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= spacing, "refunds too close: {times:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_back_to_back_go_3_s_apart_sqlite() {
    back_to_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_back_to_back_go_3_s_apart_mariadb() {
    back_to_back(Backend::MySql).await;
}

/// A partial refund then the rest, at once (what the app's operator does): both succeed, and
/// Alipay saw the second one 3 s or more after the first.
async fn back_to_back(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let (_, number) = site_order(&env, s.user, s.courses[0], "1579.00", 0, None, "1579.00").await;
    let ret = env.pay(&number).await;
    settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    let t0 = Instant::now();
    let p = refund(&env.desk, &order_ref(&number), Some(d("79.00")), "part")
        .await
        .expect("partial refund");
    assert_eq!(p.outcome, Outcome::Done);
    assert!(t0.elapsed() < REFUND_SPACING, "the first one does not wait");
    let f = refund(&env.desk, &order_ref(&number), None, "the rest")
        .await
        .expect("full refund");
    assert_eq!((f.outcome, f.full_refund), (Outcome::Done, true));
    assert!(t0.elapsed() >= REFUND_SPACING);
    assert_eq!(env.sim_money(&number), (d("1579.00"), d("1579.00"), 2));
    assert_spaced(&refund_times(&env, &number));
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_keeps_the_spacing_too_sqlite() {
    resume_spacing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_keeps_the_spacing_too_mariadb() {
    resume_spacing(Backend::MySql).await;
}

/// A refund recorded right after another one succeeded, and the process died before sending it:
/// `refunds resume` sends it — not sooner than 3 s after the first.
async fn resume_spacing(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let (id, number) = site_order(&env, s.user, s.courses[1], "899.90", 0, None, "899.90").await;
    let ret = env.pay(&number).await;
    settle(&env.desk, SettleInput::Callback(ret)).await.unwrap();
    refund(&env.desk, &order_ref(&number), Some(d("0.90")), "first")
        .await
        .unwrap();
    // What step 1 of a second refund leaves behind when the process dies right after it.
    let mut tx = env.store().begin_write().await.unwrap();
    insert_pending(
        &mut tx,
        &NewRefund {
            out_request_no: format!("{number}R2"),
            order_id: id,
            order_number: number.clone(),
            trade_no: None,
            amount: d("899.00"),
            reason: "crashed".into(),
            operator: "tester".into(),
            profile: "simulator".into(),
            full_refund: true,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let rep = resume(&env.desk, |_, _| {}).await.unwrap();
    assert_eq!((rep.examined, rep.succeeded), (1, 1), "{rep:?}");
    assert_eq!(env.sim_money(&number), (d("899.90"), d("899.90"), 2));
    assert_spaced(&refund_times(&env, &number));
    env.finish().await;
}

async fn refund_audits(env: &Env, order_id: Option<i64>, number: Option<&str>) -> Vec<AuditRow> {
    audit_query(
        env.store(),
        &AuditFilter {
            action: Some("refund".into()),
            order_id,
            order_number: number.map(str::to_string),
            limit: 1000,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_record_the_reason_and_the_cause_sqlite() {
    refusals(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_record_the_reason_and_the_cause_mariadb() {
    refusals(Backend::MySql).await;
}

async fn refusals(backend: Backend) {
    let env = env(backend).await;
    let s = seed(&env).await;
    let desk = &env.desk;
    let (paid_id, paid) =
        site_order(&env, s.user, s.courses[0], "1579.00", 0, None, "1579.00").await;
    let ret = env.pay(&paid).await;
    settle(desk, SettleInput::Callback(ret)).await.unwrap();
    let (unpaid_id, unpaid) =
        site_order(&env, s.user, s.courses[1], "899.90", 0, None, "899.90").await;

    let long = "长".repeat(257);
    // (order, amount, reason, error kind, words of the cause)
    let cases = [
        (
            unpaid.as_str(),
            unpaid_id,
            None,
            "buyer changed mind",
            "conflict",
            "only paid orders",
        ),
        (
            paid.as_str(),
            paid_id,
            Some("1579.01"),
            "too much",
            "invalid_input",
            "above what is left",
        ),
        (
            paid.as_str(),
            paid_id,
            Some("-1"),
            "negative",
            "invalid_input",
            "must be positive",
        ),
        (
            paid.as_str(),
            paid_id,
            Some("1.001"),
            "fractions",
            "invalid_input",
            "two decimals",
        ),
        (
            paid.as_str(),
            paid_id,
            None,
            "   ",
            "invalid_input",
            "a reason is required",
        ),
        (
            paid.as_str(),
            paid_id,
            None,
            long.as_str(),
            "invalid_input",
            "longer than 256",
        ),
    ];
    for (number, order_id, amount, reason, code, cause) in cases {
        let e = refund(desk, &order_ref(number), amount.map(d), reason)
            .await
            .unwrap_err();
        assert_eq!(e.kind().as_str(), code, "{reason}: {e}");
        let rows = refund_audits(&env, Some(order_id), None).await;
        let a = &rows[0];
        assert_eq!(a.outcome, "refused", "{reason}: {a:?}");
        assert_eq!(a.order_number.as_deref(), Some(number));
        assert_eq!(
            a.reason.as_deref(),
            Some(reason.trim()).filter(|r| !r.is_empty()),
            "the operator's reason"
        );
        let detail = a.detail.as_deref().unwrap_or_default();
        assert!(detail.contains(cause), "the cause: {detail}");
        assert_eq!(detail, e.to_string());
    }

    // An order that does not exist: the claimed number, the reason, the cause.
    let ghost = "209901010000000100000001";
    let e = refund(desk, &order_ref(ghost), None, "who is this")
        .await
        .unwrap_err();
    assert!(matches!(e, OpsError::NotFound { .. }), "{e}");
    let rows = refund_audits(&env, None, Some(ghost)).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].reason.as_deref()),
        ("refused", Some("who is this"))
    );
    assert_eq!(rows[0].detail.as_deref(), Some(e.to_string().as_str()));

    // A refund still open blocks a new one: on record the same way.
    let mut tx = env.store().begin_write().await.unwrap();
    insert_pending(
        &mut tx,
        &NewRefund {
            out_request_no: format!("{paid}R1"),
            order_id: paid_id,
            order_number: paid.clone(),
            trade_no: None,
            amount: d("1.00"),
            reason: "open".into(),
            operator: "tester".into(),
            profile: "simulator".into(),
            full_refund: false,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let e = refund(desk, &order_ref(&paid), Some(d("2.00")), "second one")
        .await
        .unwrap_err();
    assert!(
        matches!(e, OpsError::Refused(ref m) if m.contains("resume")),
        "{e}"
    );
    let a = &refund_audits(&env, Some(paid_id), None).await[0];
    assert_eq!(
        (a.outcome.as_str(), a.reason.as_deref()),
        ("refused", Some("second one"))
    );
    assert!(a.detail.as_deref().unwrap().contains("still pending"));
    assert_eq!(env.sim_money(&paid).2, 0, "nothing was sent");
    env.finish().await;
}
