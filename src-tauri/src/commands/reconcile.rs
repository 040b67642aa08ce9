//! Reconciliation (`.tmp/RECON_CONTRACT.md`): run one bill at a time with progress and cancel,
//! browse a stored run a page at a time, act on a row, export, compare. Core does every rule
//! and every query; these only adapt.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Datelike as _, Months};
use paydesk_core::reconcile::{
    self as core, BillSource, Control, Period, ReconError, RunOutcome, RunRequest, actions, browse,
};
use tauri::{AppHandle, Runtime, State};

use super::require_confirm;
use crate::dto::events::ChangedEntity;
use crate::dto::money;
use crate::dto::reconcile::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{AppState, changed, progress_message};
use paydesk_core::confirm::Guarded;

/// How many runs the overview lists.
const RUNS_LISTED: i64 = 50;

#[tauri::command]
pub async fn recon_overview(state: State<'_, AppState>) -> IpcResult<ReconOverview> {
    let a = state.current().await?;
    // The desk clock: on the simulator profile that is the simulator's (movable) clock, so
    // "yesterday" is the day its bills exist for.
    let today = a.desk.now().date();
    let yesterday = today.pred_opt().unwrap_or(today);
    let last_month = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(1)))
        .unwrap_or(today);
    let runs = core::list(&a.desk.store, None, RUNS_LISTED).await?;
    Ok(ReconOverview {
        today: today.format("%Y-%m-%d").to_string(),
        yesterday: yesterday.format("%Y-%m-%d").to_string(),
        last_month: last_month.format("%Y-%m").to_string(),
        can_fetch: a.desk.gateway().is_ok(),
        seller_id: seller_id(&state, &a).await,
        running: state.recon_running(),
        runs: runs.iter().map(ReconRunItem::from_core).collect(),
    })
}

/// The profile's seller: the gateway's, else the settings file's (a profile without keys can
/// still import a bill, and the bill's account must be this seller's).
async fn seller_id(state: &AppState, a: &crate::active::Active) -> Option<String> {
    if let Ok(g) = a.desk.gateway() {
        return Some(g.seller_id.clone()).filter(|s| !s.is_empty());
    }
    let file = state.paths.load().ok()?;
    file.profiles
        .get(a.name())
        .and_then(|p| p.seller_id.clone())
        .filter(|s| !s.trim().is_empty())
}

#[tauri::command]
pub async fn recon_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    period: Option<String>,
    source: ReconSource,
    path: Option<String>,
) -> IpcResult<ReconRunResult> {
    let a = state.current().await?;
    let period = period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Period::parse)
        .transpose()?;
    let source = match source {
        ReconSource::Fetch => {
            if period.is_none() {
                return Err(IpcError::invalid(
                    "choose the day or month whose bill to fetch",
                ));
            }
            if a.desk.gateway().is_err() {
                return Err(IpcError::invalid(
                    "this profile has no Alipay keys, so bills cannot be fetched: import the bill file from the merchant portal, or add the keys in Settings",
                ));
            }
            BillSource::Fetch
        }
        ReconSource::File => {
            let p = path
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| IpcError::invalid("pick the bill file (zip or CSV) to reconcile"))?;
            let p = PathBuf::from(p);
            if p.is_dir() {
                return Err(IpcError::invalid(format!(
                    "{} is a folder: pick the bill zip or CSV inside it",
                    p.display()
                )));
            }
            BillSource::File(p)
        }
    };
    let events = app.clone();
    let ctl = Control {
        progress: Some(Arc::new(move |p| {
            // Core names its stages ("load orders"); the contract's message is the stage's
            // first word ("download" | "parse" | "load" | "match" | "store").
            let stage = p.stage.split_whitespace().next().unwrap_or(p.stage);
            progress_message(&events, "reconcile", p.done, p.total, stage);
        })),
        ..Control::default()
    };
    let slot = state.start_recon(ctl.clone())?;
    let req = RunRequest {
        period,
        source,
        seller_id: seller_id(&state, &a).await,
    };
    let outcome = core::run(&a.desk, req, &ctl).await;
    // Free the slot before telling anyone: a view reloading the overview on the events below
    // must not see this run as still going.
    drop(slot);
    // Whatever happened (stored, no bill, refused, cancelled), the run's progress bar ends here:
    // without a final event the shared progress panel would show "reconcile" forever.
    let last = match &outcome {
        Ok(_) => "done",
        Err(ReconError::Cancelled) => "cancelled",
        Err(_) => "failed",
    };
    progress_message(&app, "reconcile", 1, 1, last);
    match outcome? {
        RunOutcome::Reconciled(r) => {
            changed(&app, ChangedEntity::Reconcile, None);
            let header = browse::header(&a.desk.store, r.run_id).await?;
            Ok(ReconRunResult::Reconciled {
                report: Box::new(ReconReport::from_header(&header)),
            })
        }
        RunOutcome::NoBill {
            period,
            message,
            paid_orders,
            paid_amount,
        } => Ok(ReconRunResult::NoBill {
            period: period.to_string(),
            message,
            paid_orders,
            paid_amount: money(paid_amount),
        }),
    }
}

#[tauri::command]
pub fn recon_cancel(state: State<'_, AppState>) -> bool {
    state.cancel_recon()
}

#[tauri::command]
pub async fn recon_report(state: State<'_, AppState>, run_id: i64) -> IpcResult<ReconReport> {
    let a = state.current().await?;
    let h = browse::header(&a.desk.store, run_id).await?;
    Ok(ReconReport::from_header(&h))
}

#[tauri::command]
pub async fn recon_rows(
    state: State<'_, AppState>,
    run_id: i64,
    filter: ReconRowFilter,
    offset: u64,
    limit: u64,
) -> IpcResult<ReconRowPage> {
    let a = state.current().await?;
    let f = browse::RowFilter {
        category: filter.category.map(Into::into),
        open_only: filter.open_only,
        search: filter.search,
    };
    let page = browse::rows(&a.desk.store, run_id, &f, offset, limit).await?;
    Ok(ReconRowPage::from_core(&page))
}

#[tauri::command]
pub async fn recon_action<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    row_id: i64,
    action: ReconAction,
    note: Option<String>,
    confirm: Option<String>,
) -> IpcResult<ReconActionResult> {
    let a = state.current().await?;
    let desk = &a.desk;
    let result = match action {
        ReconAction::Settle => {
            let (_, row) = browse::row(&desk.store, row_id).await?;
            // Settling moves an order to paid and grants its courses: on production the
            // operator types the order number, as for settle by order.
            require_confirm(
                desk,
                Guarded::Settle,
                confirm.as_deref(),
                row.out_trade_no.as_deref().unwrap_or_default(),
            )?;
            let r = actions::settle_row(desk, row_id).await;
            if let Some(n) = row.out_trade_no.as_deref() {
                changed(&app, ChangedEntity::Order, Some(n));
            }
            r
        }
        ReconAction::Query => actions::query_row(desk, row_id).await,
        ReconAction::ResumeRefunds => {
            let r = actions::resume_refunds_row(desk, row_id).await;
            changed(&app, ChangedEntity::Refund, None);
            r
        }
        ReconAction::Accept => {
            actions::accept_row(desk, row_id, note.as_deref().unwrap_or("")).await
        }
    };
    // A failed action may still have written (audit rows, a refund attempt): look again.
    changed(&app, ChangedEntity::Reconcile, None);
    let r = result?;
    let header = browse::header(&desk.store, r.run_id).await?;
    Ok(ReconActionResult {
        action: r.action.into(),
        changed: r.changed,
        message: r.message,
        row: ReconRow::from_core(&r.row),
        open: header.summary.open,
        status: ReconStatus::of_open(header.summary.open),
    })
}

#[tauri::command]
pub async fn recon_export_csv(
    state: State<'_, AppState>,
    run_id: i64,
    path: String,
) -> IpcResult<ReconExport> {
    let a = state.current().await?;
    let target = PathBuf::from(path.trim());
    if path.trim().is_empty() {
        return Err(IpcError::invalid("choose where to save the CSV report"));
    }
    if target.is_dir() {
        return Err(IpcError::invalid(format!(
            "{} is a folder: give a file name for the CSV report",
            target.display()
        )));
    }
    // The export holds every row, so this is the one place a whole run is loaded.
    let report = core::load(&a.desk.store, run_id).await?;
    let shown = target.display().to_string();
    let bytes = tokio::task::spawn_blocking(move || -> IpcResult<u64> {
        let cannot = |e: std::io::Error| {
            IpcError::invalid(format!(
                "cannot write {}: {e} (check that the folder exists and is writable)",
                target.display()
            ))
        };
        let file = std::fs::File::create(&target).map_err(cannot)?;
        let mut out = std::io::BufWriter::new(file);
        // A name ending in .xlsx gets the workbook (numbers as numbers), anything else the CSV.
        let xlsx = target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        if xlsx {
            use std::io::Write as _;
            out.write_all(&core::xlsx::to_xlsx(&report)?)
                .map_err(cannot)?;
        } else {
            core::report::write_csv(&report, &mut out)?;
        }
        let file = out.into_inner().map_err(|e| cannot(e.into_error()))?;
        file.sync_all().map_err(cannot)?;
        Ok(file.metadata().map_err(cannot)?.len())
    })
    .await
    .map_err(|e| IpcError::internal("writing the CSV report", &e))??;
    Ok(ReconExport { path: shown, bytes })
}

#[tauri::command]
pub async fn recon_compare(
    state: State<'_, AppState>,
    earlier: i64,
    later: i64,
) -> IpcResult<ReconDiff> {
    let a = state.current().await?;
    let d = core::compare(&a.desk.store, earlier, later).await?;
    Ok(ReconDiff::from_core(&d))
}
