//! Verify pasted return URLs / notify bodies, and settle.

use alipay::parse_callback;
use paydesk_core::desk::Desk;
use paydesk_core::ops::{OpsError, Outcome, settle as core_settle};
use paydesk_core::verify_report;
use tauri::{AppHandle, Runtime, State};

use super::require_confirm;
use crate::dto::events::ChangedEntity;
use crate::dto::orders::OrderRow;
use crate::dto::verify::*;
use crate::dto::{money, opt_time};
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed};
use paydesk_core::confirm::Guarded;

/// Most inputs one call takes (a pasted log can hold thousands; the UI batches).
const MAX_INPUTS: usize = 5_000;

#[tauri::command]
pub async fn verify_inputs(
    state: State<'_, AppState>,
    inputs: Vec<String>,
) -> IpcResult<Vec<VerifyReport>> {
    if inputs.len() > MAX_INPUTS {
        return Err(IpcError::invalid(format!(
            "{} inputs at once is more than {MAX_INPUTS}: verify the file in parts",
            inputs.len()
        )));
    }
    let a = state.current().await?;
    let mut out = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        out.push(report(&a.desk, i as u32, input).await?);
    }
    Ok(out)
}

/// One verdict, decided in core; here only its shape for the UI.
async fn report(desk: &Desk, index: u32, input: String) -> IpcResult<VerifyReport> {
    let r = verify_report::verify_report(desk, &input).await?;
    Ok(VerifyReport {
        index,
        input,
        valid: r.valid,
        kind: r.kind.into(),
        reason: r.reason,
        hint: r.hint,
        canonical: r.canonical,
        fields: r
            .fields
            .into_iter()
            .map(|f| VerifyField {
                name: f.name,
                value: f.value,
                signed: f.signed,
            })
            .collect(),
        order: r.order.map(|o| VerifyOrderMatch {
            exists: o.exists(),
            status: o.status.map(|s| s.code()),
            status_label: o.status.map(|s| s.label_zh()),
            real_price: o.real_price.map(money),
            amount_matches: o.amount_matches,
            app_id_matches: o.app_id_matches,
            seller_id_matches: o.seller_id_matches,
            order_number: o.order_number,
        }),
    })
}

/// Settles from a pasted callback, or by order number (core asks Alipay). A refusal (bad
/// signature, wrong amount, not paid) is an answer, not a failure: it comes back as `refused`.
/// `reason`, when given, is the operator's why, kept on the settle's audit row.
#[tauri::command]
pub async fn settle<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: Option<String>,
    order_number: Option<String>,
    confirm: Option<String>,
    reason: Option<String>,
) -> IpcResult<SettleResult> {
    let a = state.current().await?;
    let (what, subject) = match (
        input.filter(|s| !s.trim().is_empty()),
        order_number.filter(|s| !s.trim().is_empty()),
    ) {
        (Some(text), _) => {
            let claimed = parse_callback(&text)
                .ok()
                .and_then(|c| c.get("out_trade_no").map(str::to_string))
                .unwrap_or_default();
            (core_settle::SettleInput::Callback(text), claimed)
        }
        (None, Some(n)) => (
            core_settle::SettleInput::Order(super::order_ref(&n)?),
            n.trim().to_string(),
        ),
        (None, None) => {
            return Err(IpcError::invalid(
                "paste a return URL / notify body, or give an order number",
            ));
        }
    };
    require_confirm(&a.desk, Guarded::Settle, confirm.as_deref(), &subject)?;
    match core_settle::settle_with_reason(&a.desk, what, reason.as_deref()).await {
        Ok(r) => {
            changed(&app, ChangedEntity::Order, Some(&r.order_number));
            let detail = paydesk_core::browse::order_detail(&a.desk.store, r.order_id).await?;
            Ok(SettleResult {
                outcome: if r.outcome == Outcome::Done {
                    SettleOutcome::Settled
                } else {
                    SettleOutcome::AlreadySettled
                },
                message: r.message,
                order: Some(OrderRow::from_detail(&detail)),
                pay_time: opt_time(r.pay_time.or(detail.order.pay_time)),
                amount: Some(money(r.paid_amount.unwrap_or(detail.order.real_price))),
                courses: detail
                    .courses
                    .iter()
                    .map(|c| SettledCourse {
                        course_id: c.course_id,
                        name: c
                            .base
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("course {}", c.course_id)),
                    })
                    .collect(),
            })
        }
        Err(
            e @ (OpsError::Signature(_)
            | OpsError::Mismatch { .. }
            | OpsError::NotPaid { .. }
            | OpsError::Refused(_)),
        ) => {
            // Core recorded the refusal in the audit log.
            changed(&app, ChangedEntity::Audit, None);
            Ok(SettleResult {
                outcome: SettleOutcome::Refused,
                message: e.to_string(),
                order: None,
                pay_time: None,
                amount: None,
                courses: Vec::new(),
            })
        }
        Err(e) => Err(e.into()),
    }
}
