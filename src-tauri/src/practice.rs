//! A new demo world gets practice cases (core's `demo_practice` picks them): yesterday at the
//! simulator a missed notify, an amount that differs and a portal refund, so reconciling
//! yesterday has something to explain; and refunds made through the desk — in part, in full,
//! and one whose outcome is left unknown for the Refunds view's "resume". Nothing here is
//! needed for the desk to work: a failure is logged, not raised.

use alipay::Amount;
use paydesk_core::demo::DemoPayment;
use paydesk_core::demo_practice::{PracticeCases, practice_cases};
use paydesk_core::desk::Desk;
use paydesk_core::ops::refund::refund;
use rust_decimal::Decimal;
use sim::{Fault, FaultRule, HistoricRefund, HistoricTrade, SimHandle};

/// Picks the cases; call before the demo's payments are imported into the simulator, so the
/// versions below are the ones it keeps.
pub async fn alipay_side(sim: &SimHandle, store: &paydesk_core::Store) -> PracticeCases {
    let today = store.now().date();
    let cases = match practice_cases(store, today).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot pick the demo's practice cases: {e}");
            return PracticeCases::default();
        }
    };
    let trade = |p: &DemoPayment, amount: Decimal| -> Option<HistoricTrade> {
        Some(HistoricTrade {
            out_trade_no: p.order_number.clone(),
            subject: p.subject.clone(),
            total_amount: Amount::new(amount).ok()?,
            gmt_create: p.created_time,
            gmt_payment: p.pay_time,
            refunds: Vec::new(),
        })
    };
    let mut trades = Vec::new();
    if let Some(p) = &cases.missed_notify {
        trades.extend(trade(p, p.real_price));
    }
    if let Some(p) = &cases.amount_mismatch {
        // Alipay took a yuan more than the order says.
        trades.extend(trade(p, p.real_price + Decimal::ONE));
    }
    if let (Some(p), Some(at)) = (&cases.portal_refund, cases.portal_refund_at)
        && let Some(mut t) = trade(p, p.real_price)
    {
        let half = (p.real_price / Decimal::TWO)
            .round_dp(2)
            .max(Decimal::new(1, 2));
        if let Ok(amount) = Amount::new(half) {
            t.refunds.push(HistoricRefund {
                out_request_no: format!("PORTAL{}", p.order_number),
                amount,
                reason: Some("商家后台退款".into()),
                gmt_refund: at,
            });
        }
        trades.push(t);
    }
    match sim.import_paid_trades(trades) {
        Ok(n) => tracing::info!(
            imported = n,
            "demo practice cases recorded in the simulator"
        ),
        Err(e) => tracing::error!("cannot record the demo's practice cases in the simulator: {e}"),
    }
    cases
}

/// Refunds through the desk, as an operator would make them.
pub async fn refunds(desk: &Desk, sim: &SimHandle, cases: &PracticeCases) {
    let by_number = |p: &DemoPayment| p.order_number.parse().ok();
    if let Some(p) = &cases.refund_partial
        && let Some(r) = by_number(p)
    {
        let part = (p.real_price / Decimal::TEN)
            .round_dp(2)
            .max(Decimal::new(1, 2));
        log(refund(desk, &r, Some(part), "演示：部分退款").await, p);
    }
    if let Some(p) = &cases.refund_full
        && let Some(r) = by_number(p)
    {
        log(refund(desk, &r, None, "演示：全额退款").await, p);
    }
    if let Some(p) = &cases.refund_pending
        && let Some(r) = by_number(p)
    {
        // Alipay busy on every try: the refund is recorded and its outcome stays unknown until
        // someone resumes it.
        let rule = FaultRule {
            method: "alipay.trade.refund".into(),
            fault: Fault::SystemError {
                after_state_change: false,
            },
            times: None,
        };
        if sim.add_fault(rule).is_ok() {
            log(refund(desk, &r, None, "演示：结果未知的退款").await, p);
            sim.clear_faults();
        }
    }
}

fn log<T, E: std::fmt::Display>(r: Result<T, E>, p: &DemoPayment) {
    match r {
        Ok(_) => tracing::info!(order = %p.order_number, "demo practice refund made"),
        Err(e) => tracing::info!(order = %p.order_number, "demo practice refund: {e}"),
    }
}
