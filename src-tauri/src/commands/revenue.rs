//! The revenue report (收入): read it, export it as CSV or xlsx.

use std::path::PathBuf;

use chrono::NaiveDate;
use paydesk_core::{export, revenue};
use tauri::State;

use crate::dto::revenue::{RevenueExport, RevenueGroup, RevenueReportDto};
use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

fn day(what: &str, s: &str) -> IpcResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        IpcError::invalid(format!(
            "{what} {s:?} is not a date: pick a day (YYYY-MM-DD, Beijing time)"
        ))
    })
}

#[tauri::command]
pub async fn revenue_report(
    state: State<'_, AppState>,
    from: String,
    to: String,
    by: RevenueGroup,
) -> IpcResult<RevenueReportDto> {
    let a = state.current().await?;
    let (from, to) = (day("the first day", &from)?, day("the last day", &to)?);
    let r = revenue::report(&a.desk.store, from, to, by.into()).await?;
    Ok(RevenueReportDto::from(&r))
}

#[tauri::command]
pub async fn revenue_export(
    state: State<'_, AppState>,
    from: String,
    to: String,
    by: RevenueGroup,
    path: String,
) -> IpcResult<RevenueExport> {
    let a = state.current().await?;
    let target = PathBuf::from(path.trim());
    if path.trim().is_empty() {
        return Err(IpcError::invalid("choose where to save the report"));
    }
    if target.is_dir() {
        return Err(IpcError::invalid(format!(
            "{} is a folder: give a file name ending in .xlsx or .csv",
            target.display()
        )));
    }
    let (from, to) = (day("the first day", &from)?, day("the last day", &to)?);
    let r = revenue::report(&a.desk.store, from, to, by.into()).await?;
    let table = revenue::export::table(&r);
    let xlsx = target
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let bytes = if xlsx {
        export::to_xlsx(&[table])
    } else {
        export::to_csv(&table)
    }
    .map_err(|e| IpcError::internal("writing the report", &e))?;
    std::fs::write(&target, &bytes).map_err(|e| {
        IpcError::invalid(format!(
            "cannot write {}: {e} (check that the folder exists and the file is not open in Excel)",
            target.display()
        ))
    })?;
    Ok(RevenueExport {
        path: target.display().to_string(),
        bytes: bytes.len() as u64,
    })
}
