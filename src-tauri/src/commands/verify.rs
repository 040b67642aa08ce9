//! Verify pasted return URLs / notify bodies / gateway responses, and settle.
//!
//! `verify_text` takes a whole paste or file (megabytes, thousands of lines): the parsing and
//! RSA work runs chunk by chunk on blocking threads, so neither the window nor the async
//! runtime waits on it; each chunk reports progress, a newer job or `verify_cancel` stops it
//! between chunks, and only the first inputs come back in full.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use alipay::parse_callback;
use alipay::visible::visible;
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
use crate::state::{AppState, changed, progress};
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
    Ok(to_dto(index, input, r))
}

/// Longest text shown for one value or reason in the UI (the full input stays in `input`).
const SHOWN_CHARS: usize = 4000;

fn shown(s: &str) -> String {
    shorten(&visible(s), SHOWN_CHARS)
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} chars)", &s[..cut], s.chars().count()),
    }
}

fn to_dto(index: u32, input: String, r: verify_report::VerifyReport) -> VerifyReport {
    let opt = |s: Option<String>| s.map(|s| shown(&s));
    VerifyReport {
        index,
        input_preview: shorten(&visible(&input), 600),
        input,
        valid: r.valid,
        kind: r.kind.into(),
        signed_over: r.signed_over.map(Into::into),
        response: r.response.map(|b| VerifyBusiness {
            key: opt(b.key),
            code: opt(b.business.code),
            msg: opt(b.business.msg),
            sub_code: opt(b.business.sub_code),
            sub_msg: opt(b.business.sub_msg),
            alipay_cert_sn: opt(b.alipay_cert_sn),
        }),
        reason: opt(r.reason),
        hint: opt(r.hint),
        canonical: opt(r.canonical),
        fields: r
            .fields
            .into_iter()
            .map(|f| VerifyField {
                name: shown(&f.name),
                value: shown(&f.value),
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
            order_number: shown(&o.order_number),
        }),
    }
}

/// The Verify view's jobs: the newest started, and the last one cancelled. A job stops between
/// chunks when either says it is no longer wanted (new input replaced it, or Cancel).
#[derive(Default)]
pub struct VerifyJobs {
    latest: AtomicU32,
    cancelled: AtomicU32,
}

impl VerifyJobs {
    /// The newest call wins whatever its number (the view numbers its jobs from 1 each time it
    /// is opened); a number cancelled before is free again.
    fn start(&self, job: u32) {
        self.latest.store(job, Ordering::SeqCst);
        let _ = self
            .cancelled
            .compare_exchange(job, 0, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn wanted(&self, job: u32) -> bool {
        self.latest.load(Ordering::SeqCst) == job && self.cancelled.load(Ordering::SeqCst) != job
    }
}

/// Most text one `verify_text` takes (a day of notify logs is a few MB).
const MAX_TEXT_BYTES: usize = 64 << 20;
/// Inputs per blocking chunk: a few milliseconds of RSA each, so Cancel answers at once.
const CHUNK: usize = 256;
/// Inputs returned in full (with fields and the order match); the UI renders each as a card.
const DETAILED: usize = 20;
/// One-line verdicts returned after those; the rest are only counted.
const LINES: usize = 2000;
const TASK: &str = "verify";

/// A paste is one input per non-empty line — unless the whole text is one JSON object: a
/// gateway response, possibly pretty-printed over many lines.
pub fn split_inputs(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok() {
        return vec![t.to_string()];
    }
    t.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Verifies a whole paste or file off the UI thread, with progress events (task `verify`).
/// `job` is the UI's number for this run: a newer job or `verify_cancel(job)` stops it.
#[tauri::command]
pub async fn verify_text<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    job: u32,
    text: String,
) -> IpcResult<VerifyBatch> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(IpcError::invalid(format!(
            "{} MB is more than the {} MB one verification takes: split the file",
            text.len() >> 20,
            MAX_TEXT_BYTES >> 20
        )));
    }
    state.verify.start(job);
    let a = state.current().await?;
    a.desk.gateway()?;
    let inputs: Arc<Vec<String>> = Arc::new(split_inputs(&text));
    drop(text);
    let total = inputs.len();
    let mut batch = VerifyBatch {
        job,
        total: total as u32,
        done: 0,
        cancelled: false,
        valid: 0,
        invalid: 0,
        valid_documented: 0,
        valid_sign_type_kept: 0,
        valid_responses: 0,
        reports: Vec::new(),
        lines: Vec::new(),
        lines_omitted: 0,
    };
    // One chunk is over before a bar could be read: only longer batches report progress.
    let report_progress = total > CHUNK;
    if report_progress {
        progress(&app, TASK, 0, total);
    }
    let mut start = 0;
    while start < total {
        if !state.verify.wanted(job) {
            batch.cancelled = true;
            break;
        }
        let end = (start + CHUNK).min(total);
        let (desk, chunk) = (a.desk.clone(), inputs.clone());
        let judged = tokio::task::spawn_blocking(move || {
            let gw = desk.gateway()?;
            Ok::<_, OpsError>(
                chunk[start..end]
                    .iter()
                    .map(|s| verify_report::judge(gw, s))
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .map_err(|e| IpcError::internal("verification worker", &e))??;
        for (i, j) in judged.into_iter().enumerate() {
            let index = start + i;
            let r = if index < DETAILED {
                verify_report::with_order(&a.desk, j).await?
            } else {
                j.into_report()
            };
            count(&mut batch, &r);
            if index < DETAILED {
                batch
                    .reports
                    .push(to_dto(index as u32, inputs[index].clone(), r));
            } else if batch.lines.len() < LINES {
                batch.lines.push(VerifyLine {
                    index: index as u32,
                    valid: r.valid,
                    kind: r.kind.into(),
                    signed_over: r.signed_over.map(Into::into),
                    reason: r.reason.map(|s| shorten(&visible(&s), 300)),
                    preview: shorten(&visible(&inputs[index]), 120),
                });
            } else {
                batch.lines_omitted += 1;
            }
        }
        batch.done = end as u32;
        if report_progress {
            progress(&app, TASK, end, total);
        }
        start = end;
    }
    if batch.cancelled && report_progress {
        // Close the progress bar: done == total.
        progress(&app, TASK, total, total);
    }
    Ok(batch)
}

fn count(b: &mut VerifyBatch, r: &verify_report::VerifyReport) {
    if !r.valid {
        b.invalid += 1;
        return;
    }
    b.valid += 1;
    match (r.kind, r.signed_over) {
        (verify_report::InputKind::Response, _) => b.valid_responses += 1,
        (_, Some(alipay::SignedOver::SignTypeKept)) => b.valid_sign_type_kept += 1,
        _ => b.valid_documented += 1,
    }
}

/// Stops `job` between chunks; what was verified so far comes back with `cancelled`.
#[tauri::command]
pub async fn verify_cancel(state: State<'_, AppState>, job: u32) -> IpcResult<()> {
    state.verify.cancelled.store(job, Ordering::SeqCst);
    Ok(())
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
