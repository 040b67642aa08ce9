//! Each injected fault yields the typed error crates/alipay promises, and money never moves twice.

mod common;

use std::time::Duration;

use alipay::{GatewayError, RefundRequest, TradeRef, TransportKind};
use sim::{Fault, FaultRule, LedgerKind, SimHandle};

use common::*;

const QUERY: &str = "alipay.trade.query";
const REFUND: &str = "alipay.trade.refund";

async fn paid_trade(sim: &SimHandle, otn: &str) {
    let mut req = pay_request(otn, "10.00", "fault test");
    req.notify_url = None;
    open_cashier(&link(sim, &req)).await;
    sim.pay(otn).unwrap();
}

fn by(otn: &str) -> TradeRef {
    TradeRef::OutTradeNo(otn.into())
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_a_transport_timeout() {
    let sim = start().await;
    paid_trade(&sim, "lat_1").await;
    sim.set_fault(QUERY, Fault::Latency(Duration::from_millis(1500)))
        .unwrap();
    let c = client_with_timeout(&sim, Duration::from_millis(500));
    let e = c.query(by("lat_1")).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    // One-shot: the next query is fine.
    c.query(by("lat_1")).await.unwrap();
    sim.stop().await;
}

#[tokio::test]
async fn http_5xx_is_a_transport_error_with_the_status() {
    let sim = start().await;
    paid_trade(&sim, "h5_1").await;
    sim.add_fault("alipay.trade.query:http=502:x2".parse().unwrap())
        .unwrap();
    let c = client(&sim);
    for _ in 0..2 {
        let e = c.query(by("h5_1")).await.unwrap_err();
        assert!(
            matches!(
                e,
                GatewayError::Transport {
                    kind: TransportKind::Http5xx(502),
                    ..
                }
            ),
            "{e:?}"
        );
    }
    c.query(by("h5_1")).await.unwrap();
    sim.stop().await;
}

#[tokio::test]
async fn dropped_connection_is_a_transport_error() {
    let sim = start().await;
    paid_trade(&sim, "dr_1").await;
    sim.set_fault(
        QUERY,
        Fault::Drop {
            after_state_change: false,
        },
    )
    .unwrap();
    let e = client(&sim).query(by("dr_1")).await.unwrap_err();
    assert!(
        matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Dropped,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.outcome_unknown());
    sim.stop().await;
}

#[tokio::test]
async fn bad_response_signature_is_a_signature_error() {
    let sim = start().await;
    paid_trade(&sim, "bs_1").await;
    sim.set_fault(QUERY, Fault::BadSignature).unwrap();
    let e = client(&sim).query(by("bs_1")).await.unwrap_err();
    assert!(matches!(e, GatewayError::Signature(_)), "{e:?}");
    sim.stop().await;
}

#[tokio::test]
async fn code_20000_is_an_unknown_outcome() {
    let sim = start().await;
    paid_trade(&sim, "se_1").await;
    sim.set_fault(
        QUERY,
        Fault::SystemError {
            after_state_change: false,
        },
    )
    .unwrap();
    let e = client(&sim).query(by("se_1")).await.unwrap_err();
    assert!(matches!(e, GatewayError::UnknownOutcome { .. }), "{e:?}");
    sim.stop().await;
}

#[tokio::test]
async fn business_refusal_is_a_business_error() {
    let sim = start().await;
    let e = client(&sim).query(by("nobody")).await.unwrap_err();
    assert!(
        matches!(e, GatewayError::Business { signed: true, .. }),
        "{e:?}"
    );
    assert_eq!(e.sub_code(), Some("ACQ.TRADE_NOT_EXIST"));
    sim.stop().await;
}

/// The refund is made, then the connection drops: the client resends the same out_request_no and
/// gets fund_change=N; the ledger holds exactly one refund.
#[tokio::test]
async fn drop_after_a_refund_never_refunds_twice() {
    let sim = start().await;
    paid_trade(&sim, "da_1").await;
    sim.set_fault(
        REFUND,
        Fault::Drop {
            after_state_change: true,
        },
    )
    .unwrap();
    let r = RefundRequest::new(by("da_1"), "3.00".parse().unwrap(), "da_rf_1");
    let out = client(&sim).refund(&r).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(!out.fund_change, "the retry found the refund already made");
    assert_eq!(out.refund_fee, "3.00".parse().unwrap());
    let refunds: Vec<_> = sim
        .ledger()
        .into_iter()
        .filter(|e| e.kind == LedgerKind::Refund)
        .collect();
    assert_eq!(refunds.len(), 1);
    sim.stop().await;
}

/// 20000 after the state change with retries disabled: the caller learns "unknown", and a query
/// of the refund shows it did happen.
#[tokio::test]
async fn system_error_after_a_refund_is_unknown_but_the_refund_happened() {
    let sim = start().await;
    paid_trade(&sim, "sa_1").await;
    sim.set_fault(
        REFUND,
        Fault::SystemError {
            after_state_change: true,
        },
    )
    .unwrap();
    let c = client(&sim).with_refund_retries(0, Duration::ZERO);
    let r = RefundRequest::new(by("sa_1"), "10.00".parse().unwrap(), "sa_rf_1");
    let e = c.refund(&r).await.unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    let rq = c.refund_query(by("sa_1"), "sa_rf_1").await.unwrap();
    assert!(rq.is_refunded());
    sim.stop().await;
}

/// A dropped connection *before* the change: nothing happened, the retry makes the refund once.
#[tokio::test]
async fn drop_before_a_refund_then_retry_refunds_once() {
    let sim = start().await;
    paid_trade(&sim, "db_1").await;
    sim.set_fault(
        REFUND,
        Fault::Drop {
            after_state_change: false,
        },
    )
    .unwrap();
    let r = RefundRequest::new(by("db_1"), "4.00".parse().unwrap(), "db_rf_1");
    let out = client(&sim).refund(&r).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(out.fund_change);
    assert_eq!(
        sim.ledger()
            .iter()
            .filter(|e| e.kind == LedgerKind::Refund)
            .count(),
        1
    );
    sim.stop().await;
}

#[tokio::test]
async fn sticky_faults_stay_until_cleared_and_star_hits_every_method() {
    let sim = start().await;
    sim.add_fault(FaultRule::sticky(
        "*",
        Fault::HttpStatus {
            status: 503,
            after_state_change: false,
        },
    ))
    .unwrap();
    let c = client(&sim);
    for _ in 0..3 {
        let e = c.query(by("x")).await.unwrap_err();
        assert!(matches!(
            e,
            GatewayError::Transport {
                kind: TransportKind::Http5xx(503),
                ..
            }
        ));
    }
    let e = c.close(by("x")).await.unwrap_err();
    assert!(matches!(
        e,
        GatewayError::Transport {
            kind: TransportKind::Http5xx(503),
            ..
        }
    ));
    sim.clear_faults();
    assert!(c.query(by("x")).await.unwrap_err().is_trade_not_exist());
    sim.stop().await;
}

#[tokio::test]
async fn notify_fails_n_times_then_arrives() {
    let sim = start().await;
    let listener = NotifyListener::start(0).await;
    sim.add_fault("notify:notify-fail=2".parse().unwrap())
        .unwrap();
    let mut req = pay_request("nf_1", "1.00", "notify");
    req.notify_url = Some(listener.url.clone());
    open_cashier(&link(&sim, &req)).await;
    sim.pay("nf_1").unwrap();
    listener.wait_for(1).await;
    let rec = &sim.notifications()[0];
    assert!(rec.delivered);
    assert_eq!(rec.attempts.len(), 3, "{:?}", rec.attempts);
    assert!(rec.attempts[0].outcome.contains("notify-fail"));
    sim.stop().await;
}

#[tokio::test]
async fn notify_is_retried_until_the_answer_is_exactly_success() {
    let sim = start().await;
    let listener = NotifyListener::start(2).await; // answers "fail" twice
    let mut req = pay_request("nr_1", "1.00", "notify");
    req.notify_url = Some(listener.url.clone());
    open_cashier(&link(&sim, &req)).await;
    sim.pay("nr_1").unwrap();
    let bodies = listener.wait_for(3).await;
    // Each attempt is re-signed with its own notify_time, and all carry the same notify_id.
    let ids: Vec<_> = bodies
        .iter()
        .map(|b| {
            alipay::verify_callback(b, sim.alipay_public_key())
                .unwrap()
                .notify_id()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(listener.bodies().len(), 3, "no more attempts after success");
    assert!(sim.notifications()[0].delivered);
    sim.stop().await;
}

#[tokio::test]
async fn faults_can_be_set_through_the_control_endpoint() {
    let sim = start().await;
    let http = http();
    let r = http
        .post(format!("{}/sim/faults", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"rule": "alipay.trade.query:bad-signature"}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let e = client(&sim).query(by("x")).await.unwrap_err();
    assert!(matches!(e, GatewayError::Signature(_)), "{e:?}");
    let r = http
        .post(format!("{}/sim/faults", sim.base_url()))
        .header("content-type", "application/json")
        .body(r#"{"method": "alipay.trade.query", "fault": "explode"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("unknown fault"));
    sim.stop().await;
}
