//! What finance does about a discrepancy: settle a missed notify (re-query Alipay and settle
//! through the normal settle path), query Alipay about an order the bill lacks, or accept it
//! with a note. Each records what was done on the discrepancy row, so a reopened run shows it.

use alipay::TradeRef;
use serde::Serialize;

use super::{Action, Category, Discrepancy, ReconError, ReconResult};
use crate::desk::Desk;
use crate::ops::OrderRef;
use crate::ops::settle::{SettleInput, SettleReport, settle};
use crate::queries::reconcile as q;

#[derive(Debug, Clone, Serialize)]
pub struct ActionResult {
    pub action: Action,
    /// Whether anything changed (a settle that was already done is `false`).
    pub changed: bool,
    pub message: String,
    /// The row as stored afterwards.
    pub row: Discrepancy,
    pub settle: Option<SettleReport>,
}

async fn get(desk: &Desk, row_id: i64) -> ReconResult<Discrepancy> {
    let mut tx = desk.store.begin_read().await?;
    let r = q::get_row(&mut tx, row_id)
        .await?
        .ok_or(ReconError::RowNotFound(row_id))?;
    tx.rollback().await?;
    let run = super::load(&desk.store, r.run_id).await?;
    run.discrepancies
        .into_iter()
        .find(|d| d.id == Some(row_id))
        .ok_or(ReconError::RowNotFound(row_id))
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

async fn record(desk: &Desk, row_id: i64, what: &str) -> ReconResult<Discrepancy> {
    let mut tx = desk.store.begin_write().await?;
    q::set_row_action(&mut tx, row_id, &gist(what), &desk.operator).await?;
    tx.commit().await?;
    get(desk, row_id).await
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
    let row = record(desk, row_id, what).await?;
    Ok(ActionResult {
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
    let row = record(desk, row_id, &format!("{}: {message}", super::QUERIED)).await?;
    Ok(ActionResult {
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
    let row = get(desk, row_id).await?;
    Ok(ActionResult {
        action: Action::Accept,
        changed: true,
        message: format!("accepted: {note}"),
        row,
        settle: None,
    })
}
