//! The Revenue view's commands and the orders list's totals through Tauri's IPC, without a window,
//! against the embedded demo database: what the view shows adds up, exports open as what they
//! claim to be, and bad input says what to do.

mod support;

use serde_json::json;
use support::{all_orders, harness};

fn cents(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("money is text: {v}"));
    let (whole, frac) = s.split_once('.').expect("two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + frac.parse::<i64>().unwrap())
}

#[test]
fn revenue_report_adds_up_and_exports() {
    let h = harness(300);
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .date_naive();
    let from = (today - chrono::Days::new(60)).to_string();
    let to = today.to_string();
    let r = h.ok(
        "revenue_report",
        json!({ "from": from, "to": to, "by": "day" }),
    );
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 61, "a row per day");
    let sum: i64 = rows.iter().map(|r| cents(&r["payments"])).sum();
    assert_eq!(sum, cents(&r["totals"]["payments"]));
    assert!(sum > 0, "the demo has paid orders in the last 60 days");
    assert_eq!(
        r["previous_to"],
        (today - chrono::Days::new(61)).to_string()
    );

    // The orders list, filtered to the same paid days and to paid orders, totals the same money.
    let mut filter = all_orders();
    filter["status"] = json!([1]);
    filter["paid_from"] = json!(from);
    filter["paid_to"] = json!(to);
    let totals = h.ok("orders_totals", json!({ "filter": filter }));
    assert_eq!(cents(&totals["paid"]), sum);
    assert_eq!(totals["paid_orders"], r["totals"]["orders"]);

    let courses = h.ok(
        "revenue_report",
        json!({ "from": from, "to": to, "by": "course" }),
    );
    let split: i64 = courses["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| cents(&r["payments"]))
        .sum();
    assert_eq!(split, sum, "the courses add up to the total");

    let xlsx = h.dir.path().join("revenue.xlsx");
    let out = h.ok(
        "revenue_export",
        json!({ "from": from, "to": to, "by": "course", "path": xlsx.display().to_string() }),
    );
    assert!(out["bytes"].as_u64().unwrap() > 1000);
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    let csv = h.dir.path().join("revenue.csv");
    h.ok(
        "revenue_export",
        json!({ "from": from, "to": to, "by": "day", "path": csv.display().to_string() }),
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with('\u{feff}') && text.contains("日期,订单数,收款（元）"),
        "{text}"
    );

    let e = h.err(
        "revenue_report",
        json!({ "from": to, "to": from, "by": "day" }),
    );
    assert_eq!(e["code"], "invalid_input");
    assert!(e["message"].as_str().unwrap().contains("swap"), "{e}");
    let e = h.err(
        "revenue_report",
        json!({ "from": "yesterday", "to": to, "by": "day" }),
    );
    assert!(e["message"].as_str().unwrap().contains("YYYY-MM-DD"), "{e}");
}
