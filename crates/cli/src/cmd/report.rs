//! `paydesk report`: how much came in over a period — payments, refunds, net, orders, average
//! order, credits and coupons — per day, week, month or course, on screen, as JSON, CSV or xlsx.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Args;
use paydesk_core::export;
use paydesk_core::revenue::{self, GroupBy, RevenueLine, RevenueReport};

use crate::cmd::desk::{DbArgs, open_desk_to_read, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        format!("{s:?} is not a date: use YYYY-MM-DD (a Beijing day, e.g. 2026-11-24)")
    })
}

fn parse_by(s: &str) -> Result<GroupBy, String> {
    GroupBy::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
#[command(
    after_help = "Days are Beijing days, whatever clock the platform stores (use_tz).
Payments are paid orders by pay_time; refunds are Paydesk's refunds by when they succeeded.
Per course, each order's real_price is split across its courses by their real_price, to the fen.

Examples:
  paydesk report --from 2026-11-01 --to 2026-11-30
  paydesk report --from 2026-01-01 --to 2026-12-31 --by month --xlsx 2026.xlsx
  paydesk report --from 2026-11-01 --to 2026-11-30 --by course --csv courses.csv
  paydesk --json report --from 2026-11-24 --to 2026-11-24"
)]
pub struct ReportArgs {
    /// First day (YYYY-MM-DD, Beijing)
    #[arg(long, value_parser = parse_day)]
    from: NaiveDate,
    /// Last day, included (YYYY-MM-DD, Beijing)
    #[arg(long, value_parser = parse_day)]
    to: NaiveDate,
    /// day, week, month or course
    #[arg(long, value_parser = parse_by, default_value = "day")]
    by: GroupBy,
    /// Also write the report as CSV (UTF-8 with a BOM, for Excel)
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Also write the report as an Excel workbook
    #[arg(long, value_name = "FILE")]
    xlsx: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| {
        Failure::input(format!(
            "cannot write {}: {e} (check that the folder exists and the file is not open in Excel)",
            path.display()
        ))
    })
}

pub fn run(ctx: &Ctx, a: ReportArgs) -> CmdResult {
    // Checked before opening anything, so a typo costs no connection.
    revenue::period(a.from, a.to).map_err(crate::exit::Failure::from)?;
    let rt = runtime()?;
    let desk = open_desk_to_read(ctx, &a.db, false, &rt)?;
    let rep = rt
        .block_on(revenue::report(&desk.store, a.from, a.to, a.by))
        .map_err(crate::exit::Failure::from)?;
    let table = revenue::export::table(&rep);
    let export_failure = |e: export::ExportError| Failure::input(e.to_string());
    if let Some(p) = &a.csv {
        write_file(p, &export::to_csv(&table).map_err(export_failure)?)?;
    }
    if let Some(p) = &a.xlsx {
        write_file(p, &export::to_xlsx(&[table]).map_err(export_failure)?)?;
    }
    if ctx.json {
        output::json(&rep);
    } else {
        print_human(&rep);
        for p in a.csv.iter().chain(&a.xlsx) {
            output::line(&format!("written: {}", p.display()));
        }
    }
    Ok(Exit::Ok)
}

fn line_text(first: &str, l: &RevenueLine) -> String {
    format!(
        "{first:<24} {:>7} {:>14} {:>12} {:>14} {:>10} {:>8} {:>10}",
        l.orders, l.payments, l.refunds, l.net, l.average_order, l.credits, l.coupon_discount
    )
}

fn print_human(r: &RevenueReport) {
    output::line(&format!("revenue {} to {} (Beijing days)", r.from, r.to));
    output::line(&format!(
        "{:<24} {:>7} {:>14} {:>12} {:>14} {:>10} {:>8} {:>10}",
        match r.by {
            GroupBy::Course => "course",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Day => "day",
        },
        "orders",
        "payments",
        "refunds",
        "net",
        "average",
        "credits",
        "coupons"
    ));
    for l in &r.rows {
        let name: String = match r.by {
            GroupBy::Course => l.label.chars().take(22).collect(),
            _ => l.label.clone(),
        };
        output::line(&line_text(&name, l));
    }
    output::line(&line_text("total", &r.totals));
    let p = &r.previous;
    output::line(&format!(
        "previous period {} to {}: payments {}, refunds {}, net {} ({} orders)",
        p.from, p.to, p.totals.payments, p.totals.refunds, p.totals.net, p.totals.orders
    ));
    if let Some(n) = r.coupons_used {
        output::line(&format!("coupons used: {n}"));
    }
}
