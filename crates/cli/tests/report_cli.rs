//! `paydesk report` through the built binary: its JSON agrees to the fen with the database, the
//! CSV and xlsx files hold what finance needs (numbers as numbers, formula-looking names as text),
//! and bad input is refused with a message that says what to do.

mod common;

use std::io::Read;

use chrono::{Days, NaiveDate};
use common::world::{World, beijing_now, world};
use paydesk_core::db::Val;
use rust_decimal::Decimal;

fn money(v: &serde_json::Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("money is a string: {v}"))
        .parse()
        .unwrap()
}

/// Σ real_price in fen of the orders paid on `[from, to]`, straight from the table.
fn paid_fen(w: &World, from: NaiveDate, to: NaiveDate) -> i64 {
    w.ints(
        "SELECT CAST(ROUND(real_price * 100) AS INTEGER) AS v FROM ly_order \
         WHERE order_status = 1 AND pay_time >= ? AND pay_time < ?",
        vec![
            Val::Time(from.and_hms_opt(0, 0, 0).unwrap()),
            Val::Time(
                to.checked_add_days(Days::new(1))
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            ),
        ],
    )
    .iter()
    .sum()
}

fn xlsx_entry(path: &std::path::Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn report_agrees_with_the_database_and_exports_safely() {
    let w = world();
    let to = beijing_now().date();
    let from = to - Days::new(40);
    let (f, t) = (from.to_string(), to.to_string());

    let rep = w.json(0, &["report", "--from", &f, "--to", &t]);
    assert_eq!(rep["rows"].as_array().unwrap().len(), 41, "a row per day");
    let want = Decimal::new(paid_fen(&w, from, to), 2);
    assert_eq!(money(&rep["totals"]["payments"]), want);
    let by_rows: Decimal = rep["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| money(&r["payments"]))
        .sum();
    assert_eq!(by_rows, want);
    for r in rep["rows"].as_array().unwrap() {
        let d: NaiveDate = r["key"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            money(&r["payments"]),
            Decimal::new(paid_fen(&w, d, d), 2),
            "{d}"
        );
    }

    // A course whose name a spreadsheet would run as a formula.
    let course = w.int(
        "SELECT oc.course_id AS v FROM ly_order_course oc JOIN ly_order o ON o.id = oc.order_id \
         WHERE o.order_status = 1 ORDER BY o.pay_time DESC LIMIT 1",
        vec![],
    );
    w.exec(
        "UPDATE fg_course_info SET name = ? WHERE id = ?",
        vec!["=HYPERLINK(\"http://x\",\"y\")".into(), course.into()],
    );
    let csv = w.sb.path("courses.csv");
    let xlsx = w.sb.path("courses.xlsx");
    let rep = w.json(
        0,
        &[
            "report",
            "--from",
            &f,
            "--to",
            &t,
            "--by",
            "course",
            "--csv",
            csv.to_str().unwrap(),
            "--xlsx",
            xlsx.to_str().unwrap(),
        ],
    );
    let rows = rep["rows"].as_array().unwrap();
    let split: Decimal = rows.iter().map(|r| money(&r["payments"])).sum();
    assert_eq!(split, want, "the courses add up to the total to the fen");

    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(text.contains("课程ID,课程,订单数,收款（元）"), "{text}");
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","),
        "the formula-looking name is written behind a quote:\n{text}"
    );
    assert!(!text.contains(",=HYPERLINK"), "{text}");

    let sheet = xlsx_entry(&xlsx, "xl/worksheets/sheet1.xml");
    let strings = xlsx_entry(&xlsx, "xl/sharedStrings.xml");
    // The name is a shared string (text), never a formula cell.
    assert!(strings.contains("=HYPERLINK("), "{strings}");
    assert!(!sheet.contains("<f>"), "no formula anywhere");
    // The header row is frozen, and amounts are numeric cells.
    assert!(sheet.contains("state=\"frozen\""), "{sheet}");
    let total = want.to_string();
    let total = total.trim_end_matches('0').trim_end_matches('.');
    assert!(
        sheet.contains(&format!("<v>{total}</v>")),
        "the total {total} as a number"
    );
}

#[test]
fn bad_input_says_what_to_do() {
    let sb = common::Sandbox::new();
    let r = sb.run(&["report", "--from", "2026-12-01", "--to", "2026-11-01"]);
    r.expect(2);
    assert!(r.stderr.contains("swap --from and --to"), "{}", r.stderr);
    let r = sb.run(&["report", "--from", "2026-13-01", "--to", "2026-12-01"]);
    r.expect(2);
    assert!(r.stderr.contains("use YYYY-MM-DD"), "{}", r.stderr);
    let r = sb.run(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-12-01",
        "--by",
        "year",
    ]);
    r.expect(2);
    assert!(
        r.stderr.contains("day, week, month or course"),
        "{}",
        r.stderr
    );
}
