//! The run as a CSV file finance opens in Excel: UTF-8 with a BOM (without it Excel reads the
//! Chinese as the ANSI code page), the summary first, then the per-day money, then every
//! discrepancy. Money is written as exact two-decimal text; text from bills and customers
//! (subjects, notes, names) goes through [`guard_text`], so Excel never runs it as a formula.

use std::io::Write;

use rust_decimal::Decimal;

use super::runs::RunReport;
use super::{ReconError, ReconResult};
use crate::export::guard_text;

fn money(d: Decimal) -> String {
    let mut v = d;
    v.rescale(2);
    v.to_string()
}

fn opt_money(d: Option<Decimal>) -> String {
    d.map(money).unwrap_or_default()
}

/// Writes the report; the caller picks the destination (a file, a buffer for the app).
pub fn write_csv<W: Write>(run: &RunReport, out: W) -> ReconResult<()> {
    let io = |e: csv::Error| ReconError::File("the CSV report".into(), e.to_string());
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")
        .map_err(|e| ReconError::File("the CSV report".into(), e.to_string()))?;
    // Sections have different widths: a flexible writer keeps each row as long as it is.
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let s = &run.summary;
    let rows: Vec<Vec<String>> = vec![
        vec![
            "Paydesk reconciliation".into(),
            format!("run {}", run.run_id),
        ],
        vec!["period".into(), run.period.to_string()],
        vec!["status".into(), run.status.clone()],
        vec!["operator".into(), guard_text(&run.operator).into_owned()],
        vec!["profile".into(), guard_text(&run.profile).into_owned()],
        vec!["started".into(), run.started_time.to_string()],
        vec!["bill".into(), guard_text(&run.bill.source).into_owned()],
        vec!["bill sha256".into(), run.bill.sha256.clone()],
        vec!["account".into(), run.bill.account.clone()],
        vec!["bill rows".into(), s.bill_rows.to_string()],
        vec!["open discrepancies".into(), s.open.to_string()],
    ];
    for r in rows {
        w.write_record(&r).map_err(io)?;
    }
    w.write_record([""]).map_err(io)?;
    w.write_record(["category", "count", "bill amount", "platform amount"])
        .map_err(io)?;
    for (c, t) in &s.categories {
        w.write_record([
            c.as_str().to_string(),
            t.count.to_string(),
            money(t.bill_amount),
            money(t.order_amount),
        ])
        .map_err(io)?;
    }
    w.write_record([""]).map_err(io)?;
    w.write_record([
        "day",
        "payments",
        "received",
        "refunds",
        "refunded",
        "service fees",
        "net",
    ])
    .map_err(io)?;
    for d in s.days.iter().chain(std::iter::once(&s.total)) {
        w.write_record([
            d.day.map_or_else(|| "total".to_string(), |d| d.to_string()),
            d.payments.to_string(),
            money(d.received),
            d.refunds.to_string(),
            money(d.refunded),
            money(d.fees),
            money(d.net),
        ])
        .map_err(io)?;
    }
    w.write_record([""]).map_err(io)?;
    w.write_record([
        "id",
        "category",
        "open",
        "out_trade_no",
        "trade_no",
        "out_request_no",
        "order_id",
        "bill amount",
        "platform amount",
        "at",
        "subject",
        "local status",
        "message",
        "suggested",
        "action",
        "action time",
        "action by",
    ])
    .map_err(io)?;
    for d in &run.discrepancies {
        // Long digit strings get a tab suffix, as in Alipay's own bill, so Excel keeps them as
        // text instead of rounding them to 15 significant digits.
        let id = |s: &Option<String>| {
            s.as_ref()
                .map(|v| format!("{}\t", guard_text(v)))
                .unwrap_or_default()
        };
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(guard_text)
                .unwrap_or_default()
                .into_owned()
        };
        w.write_record([
            d.id.map(|i| i.to_string()).unwrap_or_default(),
            d.category.as_str().to_string(),
            if d.open() { "yes".into() } else { "no".into() },
            id(&d.out_trade_no),
            id(&d.trade_no),
            id(&d.out_request_no),
            d.order_id.map(|i| i.to_string()).unwrap_or_default(),
            opt_money(d.bill_amount),
            opt_money(d.order_amount),
            d.at.map(|t| t.to_string()).unwrap_or_default(),
            text(&d.subject),
            text(&d.local_status),
            guard_text(&d.message).into_owned(),
            d.suggested
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            text(&d.action),
            d.action_time.map(|t| t.to_string()).unwrap_or_default(),
            text(&d.action_by),
        ])
        .map_err(io)?;
    }
    w.flush()
        .map_err(|e| ReconError::File("the CSV report".into(), e.to_string()))?;
    Ok(())
}

/// The report as bytes.
pub fn to_csv(run: &RunReport) -> ReconResult<Vec<u8>> {
    let mut buf = Vec::new();
    write_csv(run, &mut buf)?;
    Ok(buf)
}
