//! Tables finance opens in a spreadsheet, written the same way everywhere: as CSV (UTF-8 with a
//! BOM, money as exact two-place text) and as .xlsx (Chinese headers, money as numbers in a
//! `0.00` format, dates as dates, the header row frozen, columns wide enough to read).
//!
//! Text that came from customers or bills (subjects, names, notes, reasons) may start with `=`,
//! `+`, `-` or `@`, which a spreadsheet reads as a formula ("CSV injection"): [`looks_like_formula`]
//! is the one place that decides which text that is; CSV writes it behind a `'` ([`guard_text`]),
//! xlsx as a string cell marked with Excel's quote prefix.

mod xlsx;

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

pub use xlsx::to_xlsx;

#[derive(Debug, thiserror::Error)]
#[error("could not write the {what}: {message}")]
pub struct ExportError {
    pub what: String,
    pub message: String,
}

/// What a column holds: decides the CSV text and the xlsx cell type and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Long digit strings (order numbers, trade numbers): text, never a number Excel would round
    /// to 15 digits.
    Id,
    Int,
    Money,
    Date,
    DateTime,
}

#[derive(Debug, Clone)]
pub struct Column {
    /// The header as finance reads it (Chinese).
    pub header: &'static str,
    pub kind: Kind,
    /// Width in characters (a Chinese character counts about two).
    pub width: f64,
}

pub const fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column {
        header,
        kind,
        width,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Money(Decimal),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}
impl From<Decimal> for Cell {
    fn from(v: Decimal) -> Cell {
        Cell::Money(v)
    }
}
impl From<NaiveDate> for Cell {
    fn from(v: NaiveDate) -> Cell {
        Cell::Date(v)
    }
}
impl From<NaiveDateTime> for Cell {
    fn from(v: NaiveDateTime) -> Cell {
        Cell::DateTime(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// One sheet: a title (the sheet's name; also the CSV's first line when it has notes), optional
/// lines above the header (period, totals), the columns and the rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub title: String,
    pub notes: Vec<(String, Cell)>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Table {
        Table {
            title: title.into(),
            notes: Vec::new(),
            columns,
            rows: Vec::new(),
        }
    }

    pub fn note(&mut self, label: impl Into<String>, value: impl Into<Cell>) {
        self.notes.push((label.into(), value.into()));
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

/// Text that a spreadsheet would run as a formula, made inert: a leading `'` (the spreadsheet
/// convention for "this is text"; Excel and LibreOffice hide it when they show the cell). Also
/// for a leading tab or carriage return, which some spreadsheets strip before looking for `=`.
pub fn guard_text(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Whether a text would be read as a formula if written as it is.
pub fn looks_like_formula(s: &str) -> bool {
    matches!(guard_text(s), Cow::Owned(_))
}

pub fn money_text(d: Decimal) -> String {
    let mut v = d;
    v.rescale(2);
    v.to_string()
}

fn csv_cell(c: &Cell, kind: Kind) -> String {
    match c {
        Cell::Empty => String::new(),
        // An id gets Alipay's own trick, a trailing tab, so Excel keeps every digit.
        Cell::Text(s) if kind == Kind::Id => format!("{}\t", guard_text(s)),
        Cell::Text(s) => guard_text(s).into_owned(),
        Cell::Int(i) => i.to_string(),
        Cell::Money(m) => money_text(*m),
        Cell::Date(d) => d.to_string(),
        Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// The table as CSV bytes (UTF-8 with a BOM: without it Excel reads the Chinese as the ANSI
/// code page). Notes first, a blank line, then the header and the rows.
pub fn to_csv(t: &Table) -> Result<Vec<u8>, ExportError> {
    let err = |e: csv::Error| ExportError {
        what: format!("CSV of {}", t.title),
        message: e.to_string(),
    };
    let mut buf = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut buf);
        if !t.notes.is_empty() {
            w.write_record([guard_text(&t.title).as_ref()])
                .map_err(err)?;
            for (label, value) in &t.notes {
                w.write_record([guard_text(label).into_owned(), csv_cell(value, Kind::Text)])
                    .map_err(err)?;
            }
            w.write_record([""]).map_err(err)?;
        }
        w.write_record(t.columns.iter().map(|c| c.header))
            .map_err(err)?;
        for row in &t.rows {
            w.write_record(
                row.iter()
                    .zip(&t.columns)
                    .map(|(cell, c)| csv_cell(cell, c.kind)),
            )
            .map_err(err)?;
        }
        w.flush().map_err(|e| ExportError {
            what: format!("CSV of {}", t.title),
            message: e.to_string(),
        })?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_text_is_made_inert() {
        for s in ["=1+2", "+86 138", "-2+3", "@SUM(A1)", "\t=cmd"] {
            assert_eq!(guard_text(s), format!("'{s}"), "{s:?}");
            assert!(looks_like_formula(s));
        }
        for s in ["Python 入门", "", "1+1", "a=b", "'quoted"] {
            assert_eq!(guard_text(s), s, "{s:?}");
        }
    }

    #[test]
    fn csv_guards_text_but_not_numbers() {
        let mut t = Table::new(
            "orders",
            vec![
                col("商品名称", Kind::Text, 20.0),
                col("商户订单号", Kind::Id, 28.0),
                col("金额（元）", Kind::Money, 12.0),
            ],
        );
        t.push(vec![
            "=HYPERLINK(\"x\")".into(),
            "202611250000000700000001".into(),
            Decimal::new(-1, 2).into(),
        ]);
        let text = String::from_utf8(to_csv(&t).unwrap()).unwrap();
        let body = text.trim_start_matches('\u{feff}');
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], "商品名称,商户订单号,金额（元）");
        // The subject starts with its guard; the negative amount stays a number.
        assert_eq!(
            lines[1],
            "\"'=HYPERLINK(\"\"x\"\")\",202611250000000700000001\t,-0.01"
        );
    }
}
