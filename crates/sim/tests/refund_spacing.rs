//! Alipay's rule that refunds of one trade are at least 3 s apart: a refund sooner than that is
//! answered like a busy gateway (20000 `ACQ.SYSTEM_ERROR`) and changes nothing, so a client that
//! resends the same out_request_no gets the refund made exactly once.

mod common;

use std::time::Duration;

use alipay::{GatewayError, RefundRequest, TradeRef};
use rust_decimal::Decimal;
use sim::{LedgerKind, SimConfig, SimHandle, Simulator};

use common::*;

fn refund(no: &str, otn: &str, amount: &str) -> RefundRequest {
    RefundRequest::new(
        TradeRef::OutTradeNo(otn.into()),
        amount.parse().unwrap(),
        no,
    )
}

async fn paid(sim: &SimHandle, otn: &str, amount: &str) {
    let mut req = pay_request(otn, amount, "退款间隔");
    req.notify_url = None;
    open_cashier(&link(sim, &req)).await;
    sim.pay(otn).unwrap();
}

fn refunds_at(sim: &SimHandle, otn: &str) -> Vec<(String, chrono::NaiveDateTime)> {
    sim.ledger()
        .into_iter()
        .filter(|e| e.kind == LedgerKind::Refund && e.out_trade_no == otn)
        .map(|e| (e.out_request_no.unwrap_or_default(), e.at))
        .collect()
}

#[tokio::test]
async fn a_refund_within_3_s_of_the_last_is_busy_and_a_resend_later_makes_it_once() {
    let sim = start().await;
    paid(&sim, "sp_1", "10.00").await;
    let once = client(&sim).with_refund_retries(0, Duration::ZERO);

    assert!(
        once.refund(&refund("a", "sp_1", "1.00"))
            .await
            .unwrap()
            .fund_change
    );

    // Right after: 20000 ACQ.SYSTEM_ERROR (signed), which crates/alipay takes as outcome unknown.
    let e = once.refund(&refund("b", "sp_1", "2.00")).await.unwrap_err();
    assert!(
        matches!(e, GatewayError::UnknownOutcome { .. }) && e.outcome_unknown(),
        "{e:?}"
    );
    let body = raw_call(
        &sim,
        &signed_params(
            &sim,
            "alipay.trade.refund",
            r#"{"out_trade_no":"sp_1","refund_amount":"2.00","out_request_no":"b"}"#,
        ),
    )
    .await;
    let v = answer(&sim, &body, "alipay.trade.refund");
    assert_eq!(v["code"], "20000", "{v}");
    assert_eq!(v["sub_code"], "ACQ.SYSTEM_ERROR");
    assert!(
        v["sub_msg"].as_str().unwrap().starts_with("系统繁忙"),
        "{v}"
    );
    // Nothing changed: one refund, and b is not one.
    assert_eq!(refunds_at(&sim, "sp_1").len(), 1);
    assert_eq!(sim.trade("sp_1").unwrap().refunds.len(), 1);
    let q = once
        .refund_query(TradeRef::OutTradeNo("sp_1".into()), "b")
        .await
        .unwrap();
    assert!(!q.is_refunded());

    // A repeat of the refund already made is no new refund: answered N, not held back.
    let again = once.refund(&refund("a", "sp_1", "1.00")).await.unwrap();
    assert!(!again.fund_change);

    // A client that resends the same out_request_no on an unknown outcome gets b made once,
    // as soon as 3 s have passed (backoff 0.4, 0.8, 1.2, 1.6 s: the fourth resend is past it).
    let patient = client(&sim).with_refund_retries(5, Duration::from_millis(400));
    let out = patient.refund(&refund("b", "sp_1", "2.00")).await.unwrap();
    assert!(out.fund_change);
    assert_eq!(out.refund_fee, Decimal::new(300, 2));
    let made = refunds_at(&sim, "sp_1");
    assert_eq!(
        made.iter().map(|(no, _)| no.as_str()).collect::<Vec<_>>(),
        ["a", "b"],
        "exactly one refund each"
    );
    assert!(
        made[1].1 - made[0].1 >= chrono::Duration::seconds(3),
        "{made:?}"
    );

    // The rule is per trade: another trade's refund goes through at once.
    paid(&sim, "sp_2", "5.00").await;
    assert!(
        once.refund(&refund("c", "sp_2", "5.00"))
            .await
            .unwrap()
            .fund_change
    );
    sim.stop().await;
}

#[tokio::test]
async fn time_moved_on_lets_the_next_refund_through() {
    let sim = start().await;
    paid(&sim, "sp_3", "10.00").await;
    let c = client(&sim).with_refund_retries(0, Duration::ZERO);
    assert!(
        c.refund(&refund("a", "sp_3", "1.00"))
            .await
            .unwrap()
            .fund_change
    );
    sim.clock().advance(chrono::Duration::milliseconds(2900));
    assert!(
        c.refund(&refund("b", "sp_3", "1.00"))
            .await
            .unwrap_err()
            .outcome_unknown()
    );
    sim.clock().advance(chrono::Duration::milliseconds(100));
    assert!(
        c.refund(&refund("b", "sp_3", "1.00"))
            .await
            .unwrap()
            .fund_change
    );
    // A clock moved back puts the last refund "in the future": that is not "less than 3 s ago".
    sim.clock().advance(chrono::Duration::minutes(-10));
    assert!(
        c.refund(&refund("c", "sp_3", "1.00"))
            .await
            .unwrap()
            .fund_change
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_rule_can_be_turned_off_for_load_tests_only_on_purpose() {
    assert_eq!(
        SimConfig::default().refund_min_interval,
        chrono::Duration::seconds(3),
        "enforced unless turned off"
    );
    let sim = Simulator::start(SimConfig {
        refund_min_interval: chrono::Duration::zero(),
        ..config()
    })
    .await
    .unwrap();
    paid(&sim, "sp_4", "10.00").await;
    let c = client(&sim).with_refund_retries(0, Duration::ZERO);
    for no in ["a", "b", "c"] {
        assert!(
            c.refund(&refund(no, "sp_4", "1.00"))
                .await
                .unwrap()
                .fund_change
        );
    }
    sim.stop().await;
}
