//! Refunds, full or partial, that can never happen twice.
//!
//! 1. One transaction records the refund as `pending` with a deterministic `out_request_no`
//!    (`<order_number>R<n>`, n = the order's n-th refund) and commits — BEFORE Alipay is asked.
//!    The amount may not exceed paid − (succeeded + pending + unknown refunds), and no new refund
//!    starts while one of the order is unresolved.
//! 2. The gateway call (the client itself resends the same request on an unknown outcome).
//! 3. One transaction resolves it: `succeeded` (fund_change=Y, or N confirmed by a refund query),
//!    `failed` (a signed business refusal: nothing moved), or `unknown` (timeout, 5xx, 20000, an
//!    unverifiable answer). Resolution is guarded (`WHERE status IN ('pending','unknown')`), so a
//!    concurrent resume cannot apply the side effects twice.
//!
//! Alipay wants refunds of one trade at least 3 s apart (a sooner one is answered 20000, outcome
//! unknown). So before any refund request goes out — new or resumed — step 2 waits out what is
//! left of [`REFUND_SPACING`] since the order's previous refund request, outside any transaction.
//!
//! A refusal (order not found or not paid, a refund still open, an amount above what is left,
//! bad input) changes nothing and is on record: the audit row has the operator's reason and the
//! refusal's cause.
//!
//! A crash between 1 and 3, or an unknown outcome, leaves the row unresolved; `resume` sends the
//! very same out_request_no and amount again, which Alipay answers without moving money when the
//! refund was made already. The order's status never changes (the site has no refund status);
//! on a full refund, per [`crate::desk::Policy`], the order's grants are revoked (whole rows kept
//! in the audit log; a course also bought in another paid order stays) and its credits come back.

use std::time::Duration;

use alipay::client::RefundRequest;
use alipay::{Amount, GatewayError, TradeRef};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    OpsError, OpsResult, OrderRef, Outcome, credit_remark, find_order, json, lock_order,
    status_phrase,
};
use crate::db::{Tx, money_to_fen};
use crate::desk::Desk;
use crate::domain::{CreditOperation, OrderStatus, RefundStatus};
use crate::error::ErrorKind;
use crate::queries::refunds::{NewRefund, RefundResult};
use crate::queries::{self, credits::NewCredit};
use crate::rows::{GrantRow, OrderRow, RefundRow};

#[derive(Debug, Clone, Serialize)]
pub struct RefundReport {
    pub outcome: Outcome,
    pub order_id: i64,
    pub order_number: String,
    pub out_request_no: String,
    pub amount: Decimal,
    pub status: RefundStatus,
    pub full_refund: bool,
    /// Sum of the order's succeeded refunds after this one.
    pub refunded_total: Decimal,
    pub grants_revoked: Vec<GrantRow>,
    pub credits_returned: i64,
    pub message: String,
}

/// Alipay's least time between two refund requests of one trade.
pub const REFUND_SPACING: Duration = Duration::from_secs(3);

/// Waited on top of [`REFUND_SPACING`]: the desk's clock and Alipay's tick apart, and a request
/// a hair short of 3 s is refused all the same.
const SPACING_MARGIN: Duration = Duration::from_millis(100);

/// Refunds `amount` (default: all that is left) of a paid order.
pub async fn refund(
    desk: &Desk,
    r: &OrderRef,
    amount: Option<Decimal>,
    reason: &str,
) -> OpsResult<RefundReport> {
    let gw = desk.gateway()?;
    let reason = reason.trim();
    // Refused once the order is looked up, so the audit row names the order it was about.
    let bad_input = check_input(amount, reason).err();
    let row = match begin_refund(desk, r, amount, reason, bad_input).await? {
        Begun::Pending(row) => *row,
        Begun::Nothing(report) => return Ok(*report),
    };
    drive(desk, gw, row).await
}

fn check_input(amount: Option<Decimal>, reason: &str) -> OpsResult<()> {
    if reason.is_empty() {
        return Err(OpsError::InvalidInput(
            "a reason is required for a refund (the buyer sees it)".into(),
        ));
    }
    if reason.chars().count() > 256 {
        return Err(OpsError::InvalidInput(
            "the refund reason is longer than 256 characters".into(),
        ));
    }
    if let Some(a) = amount {
        if a <= Decimal::ZERO {
            return Err(OpsError::InvalidInput(format!(
                "refund amount {a} must be positive"
            )));
        }
        money_to_fen(a)?;
    }
    Ok(())
}

/// Records a refused refund (nothing was changed): what the operator asked for and why
/// (their reason) next to why it was refused (the cause, in `detail`).
async fn refuse_refund(
    desk: &Desk,
    order: Option<&OrderRow>,
    claimed: Option<&OrderRef>,
    reason: &str,
    e: &OpsError,
) {
    let mut a = desk.audit("refund", "refused");
    if let Some(o) = order {
        fill(&mut a, o);
        a.before = Some(json(o));
    } else if let Some(c) = claimed {
        a.order_number = Some(c.to_string().chars().take(64).collect());
    }
    a.reason = (!reason.is_empty()).then(|| reason.to_string());
    a.detail = Some(e.to_string());
    desk.audit_alone(&a).await;
}

enum Begun {
    Pending(Box<RefundRow>),
    Nothing(Box<RefundReport>),
}

/// Step 1: the pending record, committed before any gateway call.
async fn begin_refund(
    desk: &Desk,
    r: &OrderRef,
    amount: Option<Decimal>,
    reason: &str,
    bad_input: Option<OpsError>,
) -> OpsResult<Begun> {
    let mut tx = desk.store.begin_write().await?;
    let order = match find_order(&mut tx, r).await {
        Ok(o) => lock_order(&mut tx, o.id).await?,
        Err(e) => {
            tx.rollback().await?;
            refuse_refund(desk, None, Some(r), reason, &e).await;
            return Err(e);
        }
    };
    if let Some(e) = bad_input {
        tx.rollback().await?;
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    if order.order_status != OrderStatus::Paid {
        tx.rollback().await?;
        let e = OpsError::Refused(format!(
            "order {} is {}: only paid orders can be refunded",
            order.order_number,
            status_phrase(order.order_status)
        ));
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    let existing = queries::refunds::for_order(&mut tx, order.id).await?;
    if let Some(open) = existing
        .iter()
        .find(|x| matches!(x.status, RefundStatus::Pending | RefundStatus::Unknown))
    {
        tx.rollback().await?;
        let e = OpsError::Refused(format!(
            "refund {} of order {} ({}) is still {}: another refund of this order is being made \
             or its outcome is unknown; refresh in a moment, and if it stays so, resolve it with \
             `paydesk refunds resume`",
            open.out_request_no,
            order.order_number,
            open.amount,
            open.status.as_str()
        ));
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    let committed: Decimal = existing
        .iter()
        .filter(|x| x.status != RefundStatus::Failed)
        .map(|x| x.amount)
        .sum();
    let left = order.real_price - committed;
    if left <= Decimal::ZERO {
        tx.rollback().await?;
        let message = format!(
            "order {} is fully refunded already ({}): nothing to do",
            order.order_number, committed
        );
        let mut a = desk.audit("refund", "noop");
        fill(&mut a, &order);
        a.reason = Some(reason.to_string());
        a.detail = Some(message.clone());
        desk.audit_alone(&a).await;
        return Ok(Begun::Nothing(Box::new(RefundReport {
            outcome: Outcome::Noop,
            order_id: order.id,
            order_number: order.order_number.clone(),
            out_request_no: String::new(),
            amount: Decimal::ZERO,
            status: RefundStatus::Succeeded,
            full_refund: true,
            refunded_total: committed,
            grants_revoked: Vec::new(),
            credits_returned: 0,
            message,
        })));
    }
    let mut amount = amount.unwrap_or(left);
    if amount > left {
        tx.rollback().await?;
        let e = OpsError::InvalidInput(format!(
            "refund amount {amount} is above what is left to refund on order {}: {left} (paid {}, refunded or pending {committed})",
            order.order_number, order.real_price
        ));
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    amount.rescale(2);
    let out_request_no = format!("{}R{}", order.order_number, existing.len() + 1);
    if out_request_no.len() > 64 {
        tx.rollback().await?;
        let e = OpsError::InvalidInput(format!(
            "order number {} is too long to derive a refund request number (64 characters at most)",
            order.order_number
        ));
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    let new = NewRefund {
        out_request_no: out_request_no.clone(),
        order_id: order.id,
        order_number: order.order_number.clone(),
        trade_no: None,
        amount,
        reason: reason.to_string(),
        operator: desk.operator.clone(),
        profile: desk.profile_name.clone(),
        full_refund: committed + amount == order.real_price,
    };
    // The policy applies when the refund resolves; an unreadable one stops a full refund here,
    // before Alipay is asked, instead of after the money has moved.
    if new.full_refund
        && let Err(e) = super::policy::read(&mut tx).await
    {
        tx.rollback().await?;
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    if let Err(e) = queries::refunds::insert_pending(&mut tx, &new).await {
        // The out_request_no is unique: losing that race means another operator's refund of this
        // order was recorded first. Say so in words, not the driver's.
        let e = match e.kind() {
            ErrorKind::Conflict => OpsError::Refused(format!(
                "another refund of order {} is being made at this moment: nothing was refunded \
                 here; refresh the order and look at its refunds before refunding again",
                order.order_number
            )),
            _ => OpsError::from(e),
        };
        let _ = tx.rollback().await;
        refuse_refund(desk, Some(&order), None, reason, &e).await;
        return Err(e);
    }
    let row = queries::refunds::get_by_request_no(&mut tx, &out_request_no)
        .await?
        .ok_or_else(|| OpsError::NotFound {
            what: format!("refund {out_request_no} just recorded"),
        })?;
    let mut a = desk.audit("refund", "pending");
    fill(&mut a, &order);
    a.reason = Some(reason.to_string());
    a.before = Some(serde_json::json!({ "order": json(&order), "refunds": json(&existing) }));
    a.after = Some(serde_json::json!({ "refund": json(&row) }));
    a.detail = Some(format!(
        "{out_request_no}: {amount} recorded before calling Alipay"
    ));
    desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(Begun::Pending(Box::new(row)))
}

fn fill(a: &mut crate::queries::audit::NewAudit, order: &OrderRow) {
    a.order_id = Some(order.id);
    a.order_number = Some(order.order_number.clone());
    a.user_id = Some(order.user_id);
}

/// Waits until the order's previous refund request is [`REFUND_SPACING`] old, by the desk's
/// clock (the simulator's in the simulator profile). Reads in a transaction of its own and waits
/// outside it: nothing is locked meanwhile.
async fn keep_spacing(desk: &Desk, row: &RefundRow) -> OpsResult<()> {
    let last = {
        let mut tx = desk.store.begin_read().await?;
        let last = queries::refunds::last_request_time(&mut tx, row.order_id, row.id).await?;
        tx.rollback().await?;
        last
    };
    let Some(last) = last else {
        return Ok(());
    };
    let spacing = chrono::Duration::from_std(REFUND_SPACING + SPACING_MARGIN)
        .unwrap_or_else(|_| chrono::Duration::seconds(4));
    // A clock moved back makes the previous request look recent for longer: never wait more
    // than the spacing itself.
    let wait = (last + spacing - desk.now()).clamp(chrono::Duration::zero(), spacing);
    if let Ok(wait) = wait.to_std()
        && !wait.is_zero()
    {
        tracing::info!(
            out_request_no = %row.out_request_no,
            wait_ms = wait.as_millis() as u64,
            "waiting: refunds of one trade go at least 3 s apart"
        );
        tokio::time::sleep(wait).await;
    }
    Ok(())
}

/// Steps 2 and 3 for one recorded refund (new or resumed).
async fn drive(desk: &Desk, gw: &crate::desk::Gateway, row: RefundRow) -> OpsResult<RefundReport> {
    keep_spacing(desk, &row).await?;
    let trade = TradeRef::OutTradeNo(row.order_number.clone());
    let amount = Amount::new(row.amount)
        .map_err(|e| OpsError::InvalidInput(format!("refund {}: {e}", row.out_request_no)))?;
    let mut req = RefundRequest::new(trade.clone(), amount, row.out_request_no.clone());
    req.refund_reason = Some(row.reason.clone());
    let verdict = match gw.client.refund(&req).await {
        Ok(o) if o.fund_change => Verdict::Succeeded(RefundResult {
            status: Some(RefundStatus::Succeeded),
            trade_no: Some(o.trade_no.clone()),
            gateway_code: Some("10000".into()),
            fund_change: Some("Y".into()),
            refund_fee: Some(o.refund_fee),
            gmt_refund_pay: o.gmt_refund_pay,
            ..Default::default()
        }),
        // N: nothing moved by this call — a repeat of a refund already made, or not made at all.
        // Only the refund query can tell, and only REFUND_SUCCESS counts.
        Ok(o) => match gw.client.refund_query(trade, &row.out_request_no).await {
            Ok(q) if q.is_refunded() => Verdict::Succeeded(RefundResult {
                status: Some(RefundStatus::Succeeded),
                trade_no: q.trade_no.clone().or(Some(o.trade_no.clone())),
                gateway_code: Some("10000".into()),
                fund_change: Some("N".into()),
                refund_fee: Some(o.refund_fee),
                gmt_refund_pay: q.gmt_refund_pay.or(o.gmt_refund_pay),
                ..Default::default()
            }),
            Ok(_) => Verdict::Unknown(format!(
                "Alipay answered fund_change=N but the refund query does not show {} as refunded",
                row.out_request_no
            )),
            Err(e) => Verdict::Unknown(format!("fund_change=N and the refund query failed: {e}")),
        },
        Err(e @ GatewayError::Business { signed: true, .. })
            if e.sub_code() != Some("ACQ.DISCORDANT_REPEAT_REQUEST") =>
        {
            let GatewayError::Business {
                code,
                msg,
                sub_code,
                sub_msg,
                ..
            } = &e
            else {
                unreachable!()
            };
            Verdict::Failed(
                RefundResult {
                    status: Some(RefundStatus::Failed),
                    gateway_code: Some(code.clone()),
                    gateway_sub_code: sub_code.clone(),
                    gateway_msg: Some(
                        [Some(msg.as_str()), sub_msg.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(": "),
                    ),
                    last_error: Some(e.to_string()),
                    ..Default::default()
                },
                e.clone(),
            )
        }
        Err(e) => Verdict::Unknown(e.to_string()),
    };
    resolve(desk, row, verdict).await
}

enum Verdict {
    Succeeded(RefundResult),
    Failed(RefundResult, GatewayError),
    Unknown(String),
}

async fn resolve(desk: &Desk, row: RefundRow, verdict: Verdict) -> OpsResult<RefundReport> {
    let mut tx = desk.store.begin_write().await?;
    let order = lock_order(&mut tx, row.order_id).await?;
    match verdict {
        Verdict::Unknown(err) => {
            let res = RefundResult {
                last_error: Some(err.clone()),
                ..Default::default()
            };
            queries::ops::mark_refund_unknown_if_open(&mut tx, row.id, &res).await?;
            let mut a = desk.audit("refund", "unknown");
            fill(&mut a, &order);
            a.reason = Some(row.reason.clone());
            a.detail = Some(format!(
                "{}: outcome unknown ({err}); resolve with `paydesk refunds resume`",
                row.out_request_no
            ));
            desk.audit_in(&mut tx, &a).await?;
            tx.commit().await?;
            Err(OpsError::UnknownOutcome(format!(
                "refund {} of order {} ({}): outcome unknown ({err}). It is recorded; `paydesk refunds resume` resolves it with the same out_request_no and cannot refund twice",
                row.out_request_no, row.order_number, row.amount
            )))
        }
        Verdict::Failed(res, e) => {
            let won =
                queries::ops::resolve_refund_if_open(&mut tx, row.id, RefundStatus::Failed, &res)
                    .await?
                    == 1;
            let mut a = desk.audit("refund", if won { "failed" } else { "noop" });
            fill(&mut a, &order);
            a.reason = Some(row.reason.clone());
            a.detail = Some(format!("{}: Alipay refused: {e}", row.out_request_no));
            desk.audit_in(&mut tx, &a).await?;
            tx.commit().await?;
            Err(OpsError::Gateway(Box::new(e)))
        }
        Verdict::Succeeded(res) => {
            if queries::ops::resolve_refund_if_open(&mut tx, row.id, RefundStatus::Succeeded, &res)
                .await?
                != 1
            {
                // Someone else resolved it a moment ago; their side effects stand.
                tx.rollback().await?;
                let mut tx = desk.store.begin_read().await?;
                let now_row =
                    queries::refunds::get_by_request_no(&mut tx, &row.out_request_no).await?;
                tx.rollback().await?;
                let status = now_row.map_or(RefundStatus::Succeeded, |r| r.status);
                return Ok(RefundReport {
                    outcome: Outcome::Noop,
                    order_id: order.id,
                    order_number: order.order_number.clone(),
                    out_request_no: row.out_request_no.clone(),
                    amount: row.amount,
                    status,
                    full_refund: row.full_refund,
                    refunded_total: Decimal::ZERO,
                    grants_revoked: Vec::new(),
                    credits_returned: 0,
                    message: format!(
                        "refund {} was resolved by someone else meanwhile ({})",
                        row.out_request_no,
                        status.as_str()
                    ),
                });
            }
            let (grants_revoked, credits_returned) = if row.full_refund {
                full_refund_effects(&mut tx, &order).await?
            } else {
                (Vec::new(), 0)
            };
            let refunded_total: Decimal = queries::refunds::for_order(&mut tx, order.id)
                .await?
                .iter()
                .filter(|x| x.status == RefundStatus::Succeeded)
                .map(|x| x.amount)
                .sum();
            let mut a = desk.audit("refund", "ok");
            fill(&mut a, &order);
            a.reason = Some(row.reason.clone());
            a.before = Some(
                serde_json::json!({ "refund": json(&row), "revoked_grants": json(&grants_revoked) }),
            );
            a.after = Some(serde_json::json!({
                "status": "succeeded",
                "fund_change": res.fund_change,
                "refund_fee": res.refund_fee.map(|d| d.to_string()),
                "refunded_total": refunded_total.to_string(),
                "full_refund": row.full_refund,
                "grants_revoked": grants_revoked.iter().map(|g| g.id).collect::<Vec<_>>(),
                "credits_returned": credits_returned,
            }));
            a.detail = Some(format!("{}: {} refunded", row.out_request_no, row.amount));
            desk.audit_in(&mut tx, &a).await?;
            tx.commit().await?;
            let mut message = format!(
                "refunded {} of order {} ({})",
                row.amount, order.order_number, row.out_request_no
            );
            if row.full_refund {
                message.push_str(&format!(
                    "; full refund: {} grant(s) revoked, {credits_returned} credits returned",
                    grants_revoked.len()
                ));
            }
            Ok(RefundReport {
                outcome: Outcome::Done,
                order_id: order.id,
                order_number: order.order_number.clone(),
                out_request_no: row.out_request_no.clone(),
                amount: row.amount,
                status: RefundStatus::Succeeded,
                full_refund: row.full_refund,
                refunded_total,
                grants_revoked,
                credits_returned,
                message,
            })
        }
    }
}

/// What a full refund takes back, per the policy, inside the resolving transaction.
async fn full_refund_effects(tx: &mut Tx, order: &OrderRow) -> OpsResult<(Vec<GrantRow>, i64)> {
    // Read here, in the resolving transaction, so a change made anywhere applies to the next
    // refund without restarting Paydesk (see ops::policy).
    let policy = super::policy::read(tx).await?;
    let mut revoked = Vec::new();
    if policy.revoke_grants_on_full_refund {
        for oc in queries::orders::courses(tx, order.id).await? {
            if queries::ops::course_paid_elsewhere(tx, order.user_id, oc.course_id, order.id)
                .await?
            {
                continue;
            }
            for g in queries::grants::live_for(tx, order.user_id, oc.course_id).await? {
                if queries::grants::delete(tx, g.id).await? == 1 {
                    revoked.push(g);
                }
            }
        }
    }
    let mut returned = 0;
    let credit = order.credit.unwrap_or(0);
    if policy.return_credits_on_full_refund
        && credit > 0
        && queries::users::add_credit(tx, order.user_id, credit).await? == 1
    {
        let created_time = tx.now();
        queries::credits::insert(
            tx,
            &NewCredit {
                user_id: order.user_id,
                operation: CreditOperation::Business,
                number: credit,
                remark: Some(credit_remark(&order.order_number, "全额退款，退还积分")),
                created_time,
            },
        )
        .await?;
        returned = credit;
    }
    Ok((revoked, returned))
}

/// One resumed refund's result.
#[derive(Debug, Clone, Serialize)]
pub struct Resumed {
    pub out_request_no: String,
    pub order_number: String,
    pub amount: Decimal,
    pub status: RefundStatus,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ResumeReport {
    pub examined: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub still_unknown: usize,
    pub refunds: Vec<Resumed>,
}

/// Resolves every pending or unknown refund by resending it with its own out_request_no.
pub async fn resume(desk: &Desk, progress: impl Fn(usize, usize)) -> OpsResult<ResumeReport> {
    let gw = desk.gateway()?;
    let open = {
        let mut tx = desk.store.begin_read().await?;
        let rows = queries::refunds::unresolved(&mut tx).await?;
        tx.rollback().await?;
        rows
    };
    let total = open.len();
    let mut report = ResumeReport {
        examined: total,
        ..Default::default()
    };
    progress(0, total);
    for (i, row) in open.into_iter().enumerate() {
        let (out_request_no, order_number, amount) = (
            row.out_request_no.clone(),
            row.order_number.clone(),
            row.amount,
        );
        let (status, message) = match drive(desk, gw, row).await {
            Ok(r) => (r.status, r.message),
            Err(OpsError::UnknownOutcome(m)) => (RefundStatus::Unknown, m),
            Err(OpsError::Gateway(e)) => (RefundStatus::Failed, e.to_string()),
            Err(e) => return Err(e),
        };
        match status {
            RefundStatus::Succeeded => report.succeeded += 1,
            RefundStatus::Failed => report.failed += 1,
            RefundStatus::Pending | RefundStatus::Unknown => report.still_unknown += 1,
        }
        report.refunds.push(Resumed {
            out_request_no,
            order_number,
            amount,
            status,
            message,
        });
        progress(i + 1, total);
    }
    Ok(report)
}

/// Refunds recorded for an order, or all unresolved ones.
pub async fn list(desk: &Desk, order: Option<&OrderRef>) -> OpsResult<Vec<RefundRow>> {
    let mut tx = desk.store.begin_read().await?;
    let rows = match order {
        Some(r) => {
            let o = find_order(&mut tx, r).await?;
            queries::refunds::for_order(&mut tx, o.id).await?
        }
        None => queries::refunds::unresolved(&mut tx).await?,
    };
    tx.rollback().await?;
    Ok(rows)
}
