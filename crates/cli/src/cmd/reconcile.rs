//! `paydesk reconcile`: Alipay's trade bill for a day or month against the platform's orders.
//!
//! Exit 0 when nothing is unexplained, 1 when discrepancies remain open (or, with no bill for
//! the day, orders were paid here anyway), 2 for a refused bill or a usage error.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use paydesk_core::reconcile::actions::{accept_row, query_row, resume_refunds_row, settle_row};
use paydesk_core::reconcile::browse;
use paydesk_core::reconcile::report;
use paydesk_core::reconcile::{
    Action, BillSource, Category, Control, Discrepancy, Period, ReconError, RunOutcome, RunReport,
    RunRequest, compare, list, load, run,
};

use crate::cmd::desk::{DbArgs, open_desk, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;
use paydesk_core::confirm::Guarded;

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  paydesk reconcile --date 2026-11-24                 fetch the day's bill from Alipay
  paydesk reconcile --month 2026-11 --csv nov.csv     a month, with a CSV report (UTF-8 BOM)
  paydesk reconcile --date 2026-11-24 --bill 2088…_20261124.zip   a bill from the merchant portal
  paydesk reconcile show 12 | compare 11 12 | settle 345 | query 346 | resume 348 | accept 347 --note \"…\"
  (on a production profile, settle also needs --confirm <ORDER_NUMBER>)

Exit codes: 0 nothing unexplained, 1 discrepancies remain, 2 a refused bill or a usage error."
)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    sub: Option<ReconcileCmd>,
    /// The day, yyyy-MM-dd (yesterday or earlier)
    #[arg(long, value_name = "DAY", conflicts_with = "month")]
    date: Option<String>,
    /// The month, yyyy-MM (last month or earlier)
    #[arg(long, value_name = "MONTH")]
    month: Option<String>,
    /// Use this bill (zip or CSV from the merchant portal) instead of fetching it
    #[arg(long, value_name = "FILE")]
    bill: Option<PathBuf>,
    /// Also write the report as CSV (UTF-8 with BOM, opens in Excel)
    #[arg(long, value_name = "OUT")]
    csv: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Subcommand)]
enum ReconcileCmd {
    /// Reopen a stored run
    Show {
        run_id: i64,
        #[arg(long, value_name = "OUT")]
        csv: Option<PathBuf>,
    },
    /// Runs, newest first
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// What was resolved, what is new and what is still open between two runs
    Compare { earlier: i64, later: i64 },
    /// Settle the order of a missed_notify / paid_after_close discrepancy (queries Alipay first)
    Settle {
        row_id: i64,
        /// Required on a production profile: the row's order number again
        #[arg(long, value_name = "ORDER_NUMBER")]
        confirm: Option<String>,
    },
    /// Resolve the pending refund of a refund_unresolved discrepancy (same out_request_no,
    /// never a second refund)
    Resume { row_id: i64 },
    /// Ask Alipay about a discrepancy's trade (changes nothing)
    Query { row_id: i64 },
    /// Accept a discrepancy as explained
    Accept {
        row_id: i64,
        #[arg(long)]
        note: String,
    },
}

fn failure(e: ReconError) -> Failure {
    Failure::from(e)
}

fn yuan(d: rust_decimal::Decimal) -> String {
    let mut v = d;
    v.rescale(2);
    v.to_string()
}

fn print_run(ctx: &Ctx, r: &RunReport) {
    if ctx.json {
        output::json(r);
        return;
    }
    let s = &r.summary;
    output::line(&format!(
        "run {} · {} · bill {} ({} rows, sha256 {}…) · account {}",
        r.run_id,
        r.period,
        r.bill.source,
        s.bill_rows,
        &r.bill.sha256[..r.bill.sha256.len().min(12)],
        r.bill.account
    ));
    for (c, t) in &s.categories {
        output::line(&format!(
            "  {:<26} {:>8}  bill {:>14}  platform {:>14}",
            c.as_str(),
            t.count,
            yuan(t.bill_amount),
            yuan(t.order_amount)
        ));
    }
    output::line(
        "  day         payments      received  refunds      refunded        fees           net",
    );
    for d in s.days.iter().chain(std::iter::once(&s.total)) {
        output::line(&format!(
            "  {:<10} {:>9} {:>13} {:>8} {:>13} {:>11} {:>13}",
            d.day.map_or_else(|| "total".into(), |d| d.to_string()),
            d.payments,
            d.received,
            d.refunds,
            d.refunded,
            d.fees,
            d.net
        ));
    }
    // One buffered write for all rows: a run can hold a million, and stdout flushes per line.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for x in &r.discrepancies {
        let line = writeln!(
            out,
            "  #{:<6} {:<24} {:<26} {}{}",
            x.id.unwrap_or_default(),
            x.category.as_str(),
            x.out_trade_no
                .as_deref()
                .or(x.out_request_no.as_deref())
                .unwrap_or("-"),
            x.message,
            x.action
                .as_deref()
                .map(|a| format!(" [{a}]"))
                .unwrap_or_default()
        );
        // A closed stdout (`| head`): stop quietly, as output::line does.
        if line.is_err() {
            break;
        }
    }
    let _ = out.flush();
    drop(out);
    output::line(&if s.open == 0 {
        "CLEAN: nothing unexplained".to_string()
    } else {
        format!("{} discrepancies open", s.open)
    });
}

/// `--csv OUT`, written to a sibling file made before the run and renamed over OUT at the end:
/// an unwritable OUT is refused before a run is stored (a retry would store a second one), and
/// a refused run or a failed write leaves an existing OUT as it was. OUT that exists and is not
/// a regular file (`/dev/stdout`, a pipe) is written directly: there is nothing to keep.
struct CsvOut {
    path: PathBuf,
    staged: Option<PathBuf>,
    file: Option<std::fs::File>,
}

impl CsvOut {
    fn create(out: &Option<PathBuf>) -> Result<Option<CsvOut>, Failure> {
        let Some(path) = out else { return Ok(None) };
        let cannot =
            |e: std::io::Error| Failure::input(format!("{}: cannot write: {e}", path.display()));
        let meta = std::fs::metadata(path).ok();
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(Failure::input(format!(
                "{}: is a directory: give a file name for the report",
                path.display()
            )));
        }
        let special = meta.is_some_and(|m| !m.is_file());
        let staged = match path.file_name() {
            Some(name) if !special => {
                let mut staged_name = std::ffi::OsString::from(".");
                staged_name.push(name);
                staged_name.push(".partial");
                Some(path.with_file_name(staged_name))
            }
            _ => None,
        };
        let file = std::fs::File::create(staged.as_ref().unwrap_or(path)).map_err(cannot)?;
        Ok(Some(CsvOut {
            path: path.clone(),
            staged,
            file: Some(file),
        }))
    }

    fn finish(mut self, r: &RunReport) -> Result<(), Failure> {
        let cannot = |e: std::io::Error| {
            Failure::input(format!("{}: cannot write: {e}", self.path.display()))
        };
        // Straight into the file: a run's report can hold a million rows.
        let mut file = std::io::BufWriter::new(self.file.take().expect("written once"));
        report::write_csv(r, &mut file).map_err(failure)?;
        file.flush().map_err(cannot)?;
        drop(file);
        match &self.staged {
            Some(staged) => std::fs::rename(staged, &self.path).map_err(cannot),
            None => Ok(()),
        }
    }
}

impl Drop for CsvOut {
    fn drop(&mut self) {
        // Not renamed (refused, failed or interrupted): the staged file is nobody's report.
        // After a rename it is gone already and this does nothing.
        if let Some(staged) = &self.staged {
            let _ = std::fs::remove_file(staged);
        }
    }
}

fn write_csv(r: &RunReport, out: &Option<PathBuf>) -> Result<(), Failure> {
    match CsvOut::create(out)? {
        Some(c) => c.finish(r),
        None => Ok(()),
    }
}

/// The command for what the report suggests doing about a row, for a refusal to say what to
/// do instead; nothing when the row needs nothing or was already dealt with.
fn suggestion(row_id: i64, row: &Discrepancy) -> String {
    if !row.open() {
        return String::new();
    }
    let cmd = match row.suggested {
        Some(Action::Settle) => format!("paydesk reconcile settle {row_id}"),
        Some(Action::Query) => format!("paydesk reconcile query {row_id}"),
        Some(Action::ResumeRefunds) => format!("paydesk reconcile resume {row_id}"),
        Some(Action::Accept) => format!("paydesk reconcile accept {row_id} --note \"…\""),
        None => return String::new(),
    };
    format!("; for this row: {cmd}")
}

/// A refusal of an action that does not fit the row, with what fits it.
fn refused_with_hint(e: ReconError, row_id: i64, row: &Discrepancy) -> Failure {
    let refused = matches!(e, ReconError::Refused(_));
    let mut f = failure(e);
    if refused {
        f.message.push_str(&suggestion(row_id, row));
    }
    f
}

fn verdict(r: &RunReport) -> Exit {
    if r.summary.open == 0 {
        Exit::Ok
    } else {
        Exit::Negative
    }
}

pub fn run_cmd(ctx: &Ctx, a: ReconcileArgs) -> CmdResult {
    let rt = runtime()?;
    match a.sub {
        Some(ReconcileCmd::Show { run_id, csv }) => {
            let desk = open_desk(ctx, &a.db, false, &rt)?;
            let r = rt.block_on(load(&desk.store, run_id)).map_err(failure)?;
            write_csv(&r, &csv)?;
            print_run(ctx, &r);
            Ok(verdict(&r))
        }
        Some(ReconcileCmd::List { limit }) => {
            let desk = open_desk(ctx, &a.db, false, &rt)?;
            let runs = rt
                .block_on(list(&desk.store, None, limit))
                .map_err(failure)?;
            if ctx.json {
                output::json(&runs);
            } else {
                for r in &runs {
                    output::line(&format!(
                        "{:>6}  {}  {}  {}  {}",
                        r.run_id, r.period, r.started_time, r.operator, r.status
                    ));
                }
            }
            Ok(Exit::Ok)
        }
        Some(ReconcileCmd::Compare { earlier, later }) => {
            let desk = open_desk(ctx, &a.db, false, &rt)?;
            let d = rt
                .block_on(compare(&desk.store, earlier, later))
                .map_err(failure)?;
            if ctx.json {
                output::json(&d);
            } else {
                for (label, rows) in [
                    ("resolved", &d.resolved),
                    ("new", &d.new),
                    ("still open", &d.still_open),
                ] {
                    output::line(&format!("{label}: {}", rows.len()));
                    for x in rows.iter() {
                        output::line(&format!(
                            "  {:<24} {} {}",
                            x.category.as_str(),
                            x.out_trade_no.as_deref().unwrap_or("-"),
                            x.message
                        ));
                    }
                }
            }
            Ok(if d.new.is_empty() && d.still_open.is_empty() {
                Exit::Ok
            } else {
                Exit::Negative
            })
        }
        Some(ReconcileCmd::Settle { row_id, confirm }) => {
            action(ctx, &rt, &a.db, true, move |desk| {
                Box::pin(async move {
                    // Settling moves an order to paid and grants its courses: on production the
                    // operator types the order number, as for `settle --order`.
                    let (_, row) = browse::row(&desk.store, row_id).await.map_err(failure)?;
                    // Only a row settle acts on wants its order typed: any other is refused
                    // below, and a confirmation asked first would only lead to that refusal.
                    if matches!(
                        row.category,
                        Category::MissedNotify | Category::PaidAfterClose
                    ) {
                        let number = row.out_trade_no.as_deref().unwrap_or_default();
                        desk.confirm(Guarded::Settle, confirm.as_deref(), number)?;
                    }
                    settle_row(desk, row_id)
                        .await
                        .map_err(|e| refused_with_hint(e, row_id, &row))
                })
            })
        }
        Some(ReconcileCmd::Resume { row_id }) => action(ctx, &rt, &a.db, true, |desk| {
            Box::pin(async move {
                let (_, row) = browse::row(&desk.store, row_id).await.map_err(failure)?;
                resume_refunds_row(desk, row_id)
                    .await
                    .map_err(|e| refused_with_hint(e, row_id, &row))
            })
        }),
        Some(ReconcileCmd::Query { row_id }) => action(ctx, &rt, &a.db, true, |desk| {
            Box::pin(async move { query_row(desk, row_id).await.map_err(failure) })
        }),
        Some(ReconcileCmd::Accept { row_id, note }) => {
            action(ctx, &rt, &a.db, false, move |desk| {
                Box::pin(async move { accept_row(desk, row_id, &note).await.map_err(failure) })
            })
        }
        None => reconcile(ctx, &rt, a),
    }
}

type ActionFuture<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<paydesk_core::reconcile::actions::ActionResult, Failure>,
            > + 'a,
    >,
>;

fn action(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    db: &DbArgs,
    gateway: bool,
    f: impl for<'a> FnOnce(&'a paydesk_core::desk::Desk) -> ActionFuture<'a>,
) -> CmdResult {
    let desk = open_desk(ctx, db, gateway, rt)?;
    let r = rt.block_on(f(&desk))?;
    if ctx.json {
        output::json(&r);
    } else {
        output::line(&format!(
            "#{} {}: {}",
            r.row.id.unwrap_or_default(),
            r.row.category.as_str(),
            r.message
        ));
    }
    Ok(Exit::Ok)
}

fn reconcile(ctx: &Ctx, rt: &tokio::runtime::Runtime, a: ReconcileArgs) -> CmdResult {
    let period = match (&a.date, &a.month) {
        (Some(d), _) => Some(Period::parse(d).map_err(failure)?),
        (None, Some(m)) => Some(Period::parse(m).map_err(failure)?),
        (None, None) if a.bill.is_some() => None,
        (None, None) => {
            return Err(Failure::usage(
                "give --date yyyy-MM-dd or --month yyyy-MM (or --bill FILE)",
            ));
        }
    };
    if let (Some(Period::Day(_)), Some(m)) = (period, &a.month) {
        return Err(Failure::usage(format!("--month {m} is not a month")));
    }
    if let (Some(Period::Month(_)), Some(d)) = (period, &a.date) {
        return Err(Failure::usage(format!(
            "--date {d} is not a day: use --month"
        )));
    }
    // Fetching needs the gateway; an imported bill only uses it to check the account, so a
    // profile without keys can still import.
    let desk = match &a.bill {
        None => open_desk(ctx, &a.db, true, rt)?,
        Some(_) => open_desk(ctx, &a.db, true, rt).or_else(|_| open_desk(ctx, &a.db, false, rt))?,
    };
    // Alipay has a day's bill from the next day on, a month's from the next month on. Asked
    // sooner it refuses like any business error (exit 1), which would read as "discrepancies
    // open": a period not over yet is the caller's mistake, said here with exit 2.
    if let (None, Some(p)) = (&a.bill, period) {
        let today = desk.now().date();
        if p.end_day() > today {
            return Err(Failure::usage(format!(
                "Alipay has no bill for {p} yet: a day's bill exists from the next day on, a \
                 month's from the 1st of the next month (today is {today}, Beijing time); give \
                 an earlier --date or --month"
            )));
        }
    }
    // Before the run: an OUT that cannot be written is refused before anything is stored.
    let csv = CsvOut::create(&a.csv)?;
    let source = a.bill.clone().map_or(BillSource::Fetch, BillSource::File);
    // The profile's seller, even when no gateway could be built for an import.
    let seller_id = crate::cmd::desk::resolve(ctx)?.profile.seller_id.clone();
    let show_progress = !ctx.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let ctl = Control {
        progress: Some(Arc::new(move |p| {
            if show_progress {
                if p.total > 0 {
                    eprint!("\r{:<12} {}/{}        ", p.stage, p.done, p.total);
                } else {
                    eprint!("\r{:<12} {}        ", p.stage, p.done);
                }
            }
        })),
        ..Control::default()
    };
    let flag = ctl.cancel.clone();
    let outcome = rt
        .block_on(async {
            tokio::select! {
                r = run(&desk, RunRequest { period, source, seller_id }, &ctl) => r,
                _ = tokio::signal::ctrl_c() => {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                    Err(ReconError::Cancelled)
                }
            }
        })
        .map_err(failure);
    if show_progress {
        eprintln!();
    }
    match outcome? {
        RunOutcome::Reconciled(r) => {
            if let Some(c) = csv {
                c.finish(&r)?;
            }
            print_run(ctx, &r);
            Ok(verdict(&r))
        }
        RunOutcome::NoBill {
            period,
            message,
            paid_orders,
            paid_amount,
        } => {
            if ctx.json {
                output::json(&serde_json::json!({
                    "outcome": "no_bill", "period": period, "message": message,
                    "paid_orders": paid_orders, "paid_amount": paid_amount,
                }));
            } else {
                output::line(&message);
            }
            Ok(if paid_orders == 0 {
                Exit::Ok
            } else {
                Exit::Negative
            })
        }
    }
}
