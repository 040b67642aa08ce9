//! Verify pasted return URLs / notify bodies, and settle.

use alipay::parse_callback;
use paydesk_core::desk::Desk;
use paydesk_core::ops::{OpsError, Outcome, settle as core_settle};
use tauri::{AppHandle, Runtime, State};

use super::{find_order, require_confirm};
use crate::dto::events::ChangedEntity;
use crate::dto::orders::OrderRow;
use crate::dto::verify::*;
use crate::dto::{money, opt_time};
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed};

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

/// One verdict: alipay's verification (with its hint) and how the claimed order compares.
async fn report(desk: &Desk, index: u32, input: String) -> IpcResult<VerifyReport> {
    let gw = desk.gateway()?;
    let parsed = match parse_callback(&input) {
        Ok(p) => p,
        Err(e) => {
            return Ok(VerifyReport {
                index,
                input,
                valid: false,
                kind: VerifyKind::Unknown,
                reason: Some(e.to_string()),
                hint: None,
                canonical: None,
                fields: Vec::new(),
                order: None,
            });
        }
    };
    let breakdown = parsed.breakdown();
    let claimed = |k: &str| parsed.get(k).map(str::to_string);
    let (out_trade_no, total_amount, app_id, seller_id) = (
        claimed("out_trade_no"),
        claimed("total_amount"),
        claimed("app_id"),
        claimed("seller_id"),
    );
    let app_public = gw.app.private_key.public_key().clone();
    let verdict = parsed.verify_with_hint(gw.alipay_public_key(), Some(&app_public));
    let (valid, reason) = match &verdict {
        Ok(_) => (true, None),
        Err(e) => (false, Some(e.to_string())),
    };
    let hint = if breakdown.notes.is_empty() {
        None
    } else {
        Some(breakdown.notes.join("; "))
    };
    let order = match out_trade_no {
        None => None,
        Some(number) => Some(match find_order(desk, &number).await {
            Ok(o) => VerifyOrderMatch {
                order_number: number,
                exists: true,
                status: Some(o.order_status.code()),
                status_label: Some(o.order_status.label_zh()),
                real_price: Some(money(o.real_price)),
                amount_matches: total_amount
                    .map(|t| t.parse::<rust_decimal::Decimal>().ok() == Some(o.real_price)),
                app_id_matches: app_id.map(|x| x == gw.app.app_id),
                seller_id_matches: seller_id.map(|x| x == gw.seller_id),
            },
            Err(e)
                if e.code == crate::error::IpcErrorCode::NotFound
                    || e.code == crate::error::IpcErrorCode::InvalidInput =>
            {
                VerifyOrderMatch {
                    order_number: number,
                    exists: false,
                    status: None,
                    status_label: None,
                    real_price: None,
                    amount_matches: None,
                    app_id_matches: app_id.map(|x| x == gw.app.app_id),
                    seller_id_matches: seller_id.map(|x| x == gw.seller_id),
                }
            }
            Err(e) => return Err(e),
        }),
    };
    Ok(VerifyReport {
        index,
        input,
        valid,
        kind: breakdown.kind.into(),
        reason,
        hint,
        canonical: Some(breakdown.canonical),
        fields: breakdown
            .fields
            .into_iter()
            .map(|f| VerifyField {
                name: f.name,
                value: f.decoded,
                signed: f.signed,
            })
            .collect(),
        order,
    })
}

/// Settles from a pasted callback, or by order number (core asks Alipay). A refusal (bad
/// signature, wrong amount, not paid) is an answer, not a failure: it comes back as `refused`.
#[tauri::command]
pub async fn settle<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: Option<String>,
    order_number: Option<String>,
    confirm: Option<String>,
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
    require_confirm(&a.desk, confirm.as_deref(), &subject)?;
    match core_settle::settle(&a.desk, what).await {
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
