//! [`Table`]s as one .xlsx workbook (rust_xlsxwriter): one sheet per table.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::{Cell, ExportError, Kind, Table, looks_like_formula};

struct Formats {
    header: Format,
    note: Format,
    money: Format,
    int: Format,
    date: Format,
    datetime: Format,
    text: Format,
    /// Excel's own "this is text" mark (the `'` typed before a value), kept when the cell is
    /// edited: for text that starts like a formula.
    quoted: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color("DDEBF7")
                .set_align(FormatAlign::Center),
            note: Format::new().set_bold(),
            money: Format::new().set_num_format("0.00"),
            int: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            text: Format::new(),
            quoted: Format::new().set_quote_prefix(),
        }
    }
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`, unique in the workbook.
fn sheet_name(title: &str, used: &mut Vec<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let mut name = clean.clone();
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        name = format!("{clean} {n}");
        n += 1;
    }
    used.push(name.clone());
    name
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    kind: Kind,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        // write_string stores a string cell, which a spreadsheet never evaluates, with the text
        // as it is; the quote prefix keeps formula-looking text inert when someone edits it.
        Cell::Text(s) => {
            let fmt = if kind != Kind::Id && looks_like_formula(s) {
                &f.quoted
            } else {
                &f.text
            };
            ws.write_string_with_format(row, col, s, fmt)?;
        }
        Cell::Int(i) => {
            ws.write_with_format(row, col, Decimal::from(*i), &f.int)?;
        }
        Cell::Money(m) => {
            ws.write_with_format(row, col, *m, &f.money)?;
        }
        Cell::Date(d) => {
            ws.write_datetime_with_format(row, col, d, &f.date)?;
        }
        Cell::DateTime(t) => {
            ws.write_datetime_with_format(row, col, t, &f.datetime)?;
        }
    }
    Ok(())
}

fn write_sheet(ws: &mut Worksheet, t: &Table, f: &Formats) -> Result<(), XlsxError> {
    let mut row: u32 = 0;
    if !t.notes.is_empty() {
        ws.write_string_with_format(row, 0, &t.title, &f.note)?;
        row += 1;
        for (label, value) in &t.notes {
            ws.write_string_with_format(row, 0, label, &f.note)?;
            write_cell(ws, row, 1, value, Kind::Text, f)?;
            row += 1;
        }
        row += 1;
    }
    let header_row = row;
    for (i, c) in t.columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        ws.write_string_with_format(header_row, col, c.header, &f.header)?;
        ws.set_column_width(col, c.width)?;
    }
    // Freeze everything down to the header, so it stays in sight while scrolling the rows.
    ws.set_freeze_panes(header_row + 1, 0)?;
    for (r, cells) in t.rows.iter().enumerate() {
        let r = header_row + 1 + u32::try_from(r).unwrap_or(u32::MAX - header_row - 1);
        for (i, (cell, c)) in cells.iter().zip(&t.columns).enumerate() {
            write_cell(ws, r, u16::try_from(i).unwrap_or(u16::MAX), cell, c.kind, f)?;
        }
    }
    if !t.rows.is_empty() {
        let last_col = u16::try_from(t.columns.len().saturating_sub(1)).unwrap_or(0);
        let last_row = header_row + u32::try_from(t.rows.len()).unwrap_or(0);
        ws.autofilter(header_row, 0, last_row, last_col)?;
    }
    Ok(())
}

/// The tables as the bytes of one .xlsx file.
pub fn to_xlsx(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let err = |e: XlsxError| ExportError {
        what: "spreadsheet".into(),
        message: e.to_string(),
    };
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut used = Vec::new();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.title, &mut used)).map_err(err)?;
        write_sheet(ws, t, &f).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = Vec::new();
        assert_eq!(sheet_name("收入/日", &mut used), "收入_日");
        assert_eq!(sheet_name("收入/日", &mut used), "收入_日 2");
        assert_eq!(sheet_name("", &mut used), "Sheet");
    }
}
