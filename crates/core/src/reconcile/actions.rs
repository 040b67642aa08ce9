//! What finance does about a discrepancy: settle a missed notify (re-query Alipay and settle
//! through the normal settle path), query Alipay about an order the bill lacks, resume a refund
//! still pending here, or accept it with a note. Each records what was done on the discrepancy
//! row, so a reopened run shows it, and keeps the run's stored status current.

use alipay::TradeRef;
use serde::Serialize;

use super::{Action, Category, Discrepancy, QUERIED, ReconError, ReconResult};
use crate::desk::Desk;
use crate::domain::RefundStatus;
use crate::ops::OrderRef;
use crate::ops::refund::resume;
use crate::ops::settle::{SettleInput, SettleReport, settle};
use crate::queries::reconcile as q;

#[derive(Debug, Clone, Serialize)]
pub struct ActionResult {
    /// The run the row belongs to.
    pub run_id: i64,
    pub action: Action,
    /// Whether anything changed (a settle that was already done is `false`).
    pub changed: bool,
    pub message: String,
    /// The row as stored afterwards.
    pub row: Discrepancy,
    pub settle: Option<SettleReport>,
}

/// One stored row and its run, read by id (never the whole run: a month's can be large).
async fn get_with_run(desk: &Desk, row_id: i64) -> ReconResult<(i64, Discrepancy)> {
    super::browse::row(&desk.store, row_id).await
}

async fn get(desk: &Desk, row_id: i64) -> ReconResult<Discrepancy> {
    Ok(get_with_run(desk, row_id).await?.1)
}

/// `paydesk_recon_rows.action` is varchar(64): the gist goes there, the whole story into the
/// audit log (settle's own rows, or the accept row with the full note).
fn gist(s: &str) -> String {
    if s.chars().count() <= 64 {
        return s.to_string();
    }
    let mut t: String = s.chars().take(63).collect();
    t.push('…');
    t
}

async fn record(desk: &Desk, row_id: i64, what: &str) -> ReconResult<(i64, Discrepancy)> {
    let mut tx = desk.store.begin_write().await?;
    q::set_row_action(&mut tx, row_id, &gist(what), &desk.operator).await?;
    tx.commit().await?;
    let (run_id, row) = get_with_run(desk, row_id).await?;
    super::browse::refresh_status(&desk.store, run_id).await?;
    Ok((run_id, row))
}

/// Settles the order of a `missed_notify` or `paid_after_close` row. The settle path queries
/// Alipay itself and refuses unless Alipay says paid for the order's amount; a late settle is
/// flagged there (audit `settle_late`).
pub async fn settle_row(desk: &Desk, row_id: i64) -> ReconResult<ActionResult> {
    let d = get(desk, row_id).await?;
    if !matches!(
        d.category,
        Category::MissedNotify | Category::PaidAfterClose
    ) {
        return Err(ReconError::Refused(format!(
            "discrepancy {row_id} is {}: only missed_notify and paid_after_close rows are settled from the report",
            d.category
        )));
    }
    let order_id = d
        .order_id
        .ok_or_else(|| ReconError::Refused(format!("discrepancy {row_id} names no order")))?;
    let report = settle(desk, SettleInput::Order(OrderRef::Id(order_id))).await?;
    let changed = report.outcome == crate::ops::Outcome::Done;
    let what = if changed {
        "settled"
    } else {
        "already settled"
    };
    // A second settle of a row already closed changes nothing, and must not overwrite who
    // settled it and when (`show` and the CSV report that, not the audit log alone).
    let (run_id, row) = if !changed && !d.open() {
        get_with_run(desk, row_id).await?
    } else {
        record(desk, row_id, what).await?
    };
    Ok(ActionResult {
        run_id,
        action: Action::Settle,
        changed,
        message: report.message.clone(),
        row,
        settle: Some(report),
    })
}

/// Asks Alipay about the row's trade and records the answer. Changes no order.
pub async fn query_row(desk: &Desk, row_id: i64) -> ReconResult<ActionResult> {
    let d = get(desk, row_id).await?;
    let gw = desk.gateway()?;
    let by = match (&d.out_trade_no, &d.trade_no) {
        (_, Some(t)) => TradeRef::TradeNo(t.clone()),
        (Some(o), None) => TradeRef::OutTradeNo(o.clone()),
        (None, None) => {
            return Err(ReconError::Refused(format!(
                "discrepancy {row_id} names no trade to query"
            )));
        }
    };
    let message = match gw.client.query(by).await {
        Ok(t) => format!(
            "{} {}{}",
            t.trade_status.as_str(),
            t.total_amount,
            t.send_pay_date
                .map(|p| format!(" paid {p}"))
                .unwrap_or_default()
        ),
        Err(e) if e.is_trade_not_exist() => "no such trade (ACQ.TRADE_NOT_EXIST)".to_string(),
        Err(e) => return Err(e.into()),
    };
    let (run_id, row) = record(desk, row_id, &format!("{QUERIED}: {message}")).await?;
    Ok(ActionResult {
        run_id,
        action: Action::Query,
        changed: false,
        message,
        row,
        settle: None,
    })
}

/// Marks a discrepancy as explained, with the operator's note, and audits it.
pub async fn accept_row(desk: &Desk, row_id: i64, note: &str) -> ReconResult<ActionResult> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ReconError::InvalidInput(
            "say why the discrepancy is accepted (a note is required)".into(),
        ));
    }
    let d = get(desk, row_id).await?;
    let mut a = desk.audit("reconcile_accept", "ok");
    a.order_id = d.order_id;
    a.order_number = d.out_trade_no.clone();
    a.reason = Some(note.to_string());
    a.detail = Some(format!(
        "discrepancy {row_id} ({}): {}",
        d.category, d.message
    ));
    let mut tx = desk.store.begin_write().await?;
    q::set_row_action(
        &mut tx,
        row_id,
        &gist(&format!("accepted: {note}")),
        &desk.operator,
    )
    .await?;
    desk.audit_in(&mut tx, &a).await?;
    tx.commit().await?;
    let (run_id, row) = get_with_run(desk, row_id).await?;
    super::browse::refresh_status(&desk.store, run_id).await?;
    Ok(ActionResult {
        run_id,
        action: Action::Accept,
        changed: true,
        message: format!("accepted: {note}"),
        row,
        settle: None,
    })
}

/// Resolves pending refunds for a `refund_unresolved` row: core's refund resume resends every
/// pending or unknown refund with its own out_request_no (never a second refund), then the row
/// records what became of its refund. Only a refund now succeeded closes the row (the bill says
/// the money moved); one still unknown, or failed although the bill lists it, is recorded as
/// a query so the row stays open for someone to look at.
pub async fn resume_refunds_row(desk: &Desk, row_id: i64) -> ReconResult<ActionResult> {
    let d = get(desk, row_id).await?;
    if d.category != Category::RefundUnresolved {
        return Err(ReconError::Refused(format!(
            "discrepancy {row_id} is {}: only refund_unresolved rows resume refunds",
            d.category
        )));
    }
    let no = d.out_request_no.clone().ok_or_else(|| {
        ReconError::Refused(format!("discrepancy {row_id} names no refund request"))
    })?;
    let report = resume(desk, |_, _| {}).await?;
    let changed = report.succeeded + report.failed > 0;
    let (status, detail) = match report.refunds.iter().find(|r| r.out_request_no == no) {
        Some(r) => (r.status, r.message.clone()),
        // Not pending any more (resolved since the run): say what it is now.
        None => {
            let mut tx = desk.store.begin_read().await?;
            let now = crate::queries::refunds::get_by_request_no(&mut tx, &no).await?;
            tx.rollback().await?;
            let now = now.ok_or_else(|| {
                ReconError::Refused(format!("refund {no} is not recorded in Paydesk"))
            })?;
            (now.status, String::from("already resolved"))
        }
    };
    let what = match status {
        RefundStatus::Succeeded => format!("resumed: refund {no} succeeded"),
        other => format!("{QUERIED}: refund {no} {} after resume", other.as_str()),
    };
    let (run_id, row) = record(desk, row_id, &what).await?;
    Ok(ActionResult {
        run_id,
        action: Action::ResumeRefunds,
        changed,
        message: format!(
            "{what} ({detail}); {} refund(s) examined, {} succeeded, {} failed, {} still unknown",
            report.examined, report.succeeded, report.failed, report.still_unknown
        ),
        row,
        settle: None,
    })
}
