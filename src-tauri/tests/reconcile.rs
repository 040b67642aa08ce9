//! Reconciliation through Tauri's IPC without a window (tauri's `test` feature), on the built-in
//! simulator profile with a small demo: payments whose notify never arrives show up as
//! `missed_notify` in the next day's bill, are browsed a page at a time, acted upon, exported,
//! compared with a later run, and a clean run follows once everything is settled.

mod support;

use std::time::Duration;

use paydesk_app::state::AppState;
use paydesk_core::reconcile::Control;
use serde_json::{Value, json};
use support::{Harness, harness, http, new_test_orders, sim_base, wait_until};
use tauri::Manager;

impl Harness {
    fn rows(&self, run_id: i64, filter: Value, offset: u64, limit: u64) -> Value {
        self.ok(
            "recon_rows",
            json!({ "runId": run_id, "filter": filter, "offset": offset, "limit": limit }),
        )
    }

    fn action(&self, row_id: i64, action: &str, note: Option<&str>) -> Result<Value, Value> {
        self.call(
            "recon_action",
            json!({ "rowId": row_id, "action": action, "note": note, "confirm": null }),
        )
    }
}

fn all_rows() -> Value {
    json!({ "category": null, "open_only": false, "search": null })
}

fn day_after(d: &str, n: i64) -> String {
    (chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap() + chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn row_of<'a>(page: &'a Value, number: &str) -> &'a Value {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["out_trade_no"] == number)
        .unwrap_or_else(|| panic!("no row for {number} in {page}"))
}

#[test]
fn missed_notifies_are_found_browsed_settled_and_a_later_run_is_clean() {
    let h = harness(60);
    let status = h.ok("app_status", json!({}));
    let sim_base = sim_base(&status);
    let sim = http();

    // Pay on a day after all demo data, so that day's bill holds only this test's trades.
    let before = h.ok("recon_overview", json!({}));
    assert_eq!(before["can_fetch"], true);
    assert_eq!(before["running"], false);
    assert!(before["runs"].as_array().unwrap().is_empty());
    let day = day_after(before["today"].as_str().unwrap(), 2);
    let (st, clock) = sim.post_json(
        &format!("{sim_base}/sim/clock"),
        json!({ "set": format!("{day} 10:00:00") }),
    );
    assert_eq!(st, 200, "{clock}");

    // One payment whose notify arrives (matched), three whose notify never does.
    let orders = new_test_orders(&h, 4);
    let matched = &orders[0].number;
    sim.pay(&sim_base, &orders[0].url, matched);
    wait_until("the notify to settle the first order", || {
        h.order(matched)["order"]["status"] == 1
    });
    let (st, faults) = sim.post_json(
        &format!("{sim_base}/sim/faults"),
        json!({ "rule": "notify:notify-fail=100:sticky" }),
    );
    assert_eq!(st, 200, "{faults}");
    let missed: Vec<String> = orders[1..].iter().map(|o| o.number.clone()).collect();
    for o in &orders[1..] {
        sim.pay(&sim_base, &o.url, &o.number);
    }
    std::thread::sleep(Duration::from_millis(500));
    for n in &missed {
        assert_eq!(
            h.order(n)["order"]["status"],
            0,
            "{n} should still be unpaid"
        );
    }
    assert_eq!(sim.delete(&format!("{sim_base}/sim/faults")), 200);
    let (st, _) = sim.post_json(
        &format!("{sim_base}/sim/clock"),
        json!({ "advance_secs": 86_400 }),
    );
    assert_eq!(st, 200);

    // The overview follows the desk clock (the simulator's).
    let overview = h.ok("recon_overview", json!({}));
    assert_eq!(overview["yesterday"], day);
    assert_eq!(overview["today"], day_after(&day, 1));
    assert_eq!(overview["last_month"].as_str().unwrap().len(), 7);
    assert!(overview["seller_id"].as_str().unwrap().starts_with("2088"));

    // Run the day: three missed notifies, one match (counted, not stored).
    h.take_events();
    let first = h.ok(
        "recon_run",
        json!({ "period": day, "source": "fetch", "path": null }),
    );
    assert_eq!(first["outcome"], "reconciled", "{first}");
    let report = &first["report"];
    let run1 = report["run_id"].as_i64().unwrap();
    assert_eq!(report["period"], day);
    assert_eq!(report["status"], "open");
    assert_eq!(report["open"], 3, "{report}");
    assert_eq!(report["rows"], 3);
    assert_eq!(report["total"]["payments"], 4);
    assert!(report["total"]["received"].as_str().unwrap().contains('.'));
    let cats: Vec<(&str, i64)> = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(cats, [("matched", 1), ("missed_notify", 3)]);
    assert_eq!(report["categories"][1]["suggested"], "settle");
    assert_eq!(report["categories"][0]["explained"], true);
    let events = h.take_events();
    let stages: Vec<&str> = events
        .iter()
        .filter(|(n, v)| n == "paydesk://progress" && v["task"] == "reconcile")
        .filter_map(|(_, v)| v["message"].as_str())
        .collect();
    for want in ["download", "parse", "load", "match", "store"] {
        assert!(stages.contains(&want), "{want} missing from {stages:?}");
    }
    assert!(
        events
            .iter()
            .any(|(n, v)| n == "paydesk://changed" && v["entity"] == "reconcile")
    );

    // Paging, filters and search.
    let all = h.rows(run1, all_rows(), 0, 500);
    assert_eq!(all["total"], 3);
    for n in &missed {
        let r = row_of(&all, n);
        assert_eq!(r["category"], "missed_notify");
        assert_eq!(r["open"], true);
        assert_eq!(r["suggested"], "settle");
        assert!(r["bill_amount"].as_str().unwrap().contains('.'));
    }
    let p1 = h.rows(run1, all_rows(), 0, 2);
    let p2 = h.rows(run1, all_rows(), 2, 2);
    assert_eq!(p1["total"], 3);
    assert_eq!(p1["rows"].as_array().unwrap().len(), 2);
    assert_eq!(p2["rows"].as_array().unwrap().len(), 1);
    let ids: Vec<i64> = p1["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["rows"].as_array().unwrap())
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let none = h.rows(
        run1,
        json!({ "category": "amount_mismatch", "open_only": false, "search": null }),
        0,
        50,
    );
    assert_eq!(none["total"], 0);
    assert!(none["rows"].as_array().unwrap().is_empty());
    let tail = &missed[1][missed[1].len() - 6..];
    let found = h.rows(
        run1,
        json!({ "category": "missed_notify", "open_only": true, "search": format!(" {tail} ") }),
        0,
        50,
    );
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["rows"][0]["out_trade_no"], missed[1]);
    for bad in [0, 501] {
        let e = h.err(
            "recon_rows",
            json!({ "runId": run1, "filter": all_rows(), "offset": 0, "limit": bad }),
        );
        assert_eq!(e["code"], "invalid_input", "{e}");
    }
    let e = h.err("recon_report", json!({ "runId": 999_999 }));
    assert_eq!(e["code"], "not_found", "{e}");

    // Settle the first from the report: the order is paid, the row closed.
    let (a, b, c) = (
        row_of(&all, &missed[0])["id"].as_i64().unwrap(),
        row_of(&all, &missed[1])["id"].as_i64().unwrap(),
        row_of(&all, &missed[2])["id"].as_i64().unwrap(),
    );
    h.take_events();
    let settled = h.action(a, "settle", None).expect("settle");
    assert_eq!(settled["action"], "settle");
    assert_eq!(settled["changed"], true, "{settled}");
    assert_eq!(settled["row"]["open"], false);
    assert_eq!(settled["open"], 2);
    assert_eq!(settled["status"], "open");
    assert_eq!(h.order(&missed[0])["order"]["status"], 1);
    let events = h.take_events();
    assert!(events.iter().any(|(n, v)| n == "paydesk://changed"
        && v["entity"] == "order"
        && v["order_number"] == missed[0].as_str()));
    assert!(
        events
            .iter()
            .any(|(n, v)| n == "paydesk://changed" && v["entity"] == "reconcile")
    );
    // Open rows come first.
    let ordered = h.rows(run1, all_rows(), 0, 10);
    assert_eq!(ordered["rows"][2]["id"], a, "{ordered}");

    // A query informs and keeps the row open; accepting needs a note.
    let queried = h.action(b, "query", None).expect("query");
    assert_eq!(queried["row"]["open"], true);
    assert!(
        queried["row"]["action"]
            .as_str()
            .unwrap()
            .starts_with("queried"),
        "{queried}"
    );
    for note in [None, Some("   ")] {
        let e = h.action(c, "accept", note).unwrap_err();
        assert_eq!(e["code"], "invalid_input", "{e}");
    }
    let accepted = h
        .action(c, "accept", Some("paid by phone, ticket 12"))
        .expect("accept");
    assert_eq!(accepted["row"]["open"], false);
    assert_eq!(accepted["open"], 1);
    let e = h.action(a, "resume_refunds", None).unwrap_err();
    assert_eq!(e["code"], "conflict", "{e}");
    let report1 = h.ok("recon_report", json!({ "runId": run1 }));
    assert_eq!(report1["open"], 1);
    let only_open = h.rows(
        run1,
        json!({ "category": null, "open_only": true, "search": null }),
        0,
        50,
    );
    assert_eq!(only_open["total"], 1);
    assert_eq!(only_open["rows"][0]["id"], b);

    // Export: UTF-8 with a BOM; a folder is refused.
    let csv = h.dir.path().join("run1.csv");
    let export = h.ok(
        "recon_export_csv",
        json!({ "runId": run1, "path": csv.to_string_lossy() }),
    );
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(export["bytes"], bytes.len() as u64);
    assert!(String::from_utf8_lossy(&bytes).contains(&missed[1]));
    let e = h.err(
        "recon_export_csv",
        json!({ "runId": run1, "path": h.dir.path().to_string_lossy() }),
    );
    assert_eq!(e["code"], "invalid_input", "{e}");

    // The other two are settled outside the report (as after a late notify or by hand).
    for n in &missed[1..] {
        let s = h.ok(
            "settle",
            json!({ "input": null, "orderNumber": n, "confirm": null }),
        );
        assert_eq!(s["outcome"], "settled", "{s}");
    }
    let second = h.ok(
        "recon_run",
        json!({ "period": day, "source": "fetch", "path": null }),
    );
    assert_eq!(second["outcome"], "reconciled", "{second}");
    let run2 = second["report"]["run_id"].as_i64().unwrap();
    assert_eq!(second["report"]["status"], "clean", "{second}");
    assert_eq!(second["report"]["open"], 0);
    assert_eq!(second["report"]["categories"][0]["count"], 4);

    // The missed notify still open in the first run is resolved in the second.
    let diff = h.ok("recon_compare", json!({ "earlier": run1, "later": run2 }));
    let resolved: Vec<&str> = diff["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["out_trade_no"].as_str().unwrap())
        .collect();
    assert_eq!(resolved, [missed[1].as_str()], "{diff}");
    assert!(diff["new"].as_array().unwrap().is_empty());
    assert!(diff["still_open"].as_array().unwrap().is_empty());

    let runs = h.ok("recon_overview", json!({}))["runs"].clone();
    assert_eq!(runs[0]["run_id"], run2);
    assert_eq!(runs[0]["status"], "clean");
    assert_eq!(runs[1]["run_id"], run1);
    assert_eq!(runs[1]["status"], "open");

    // A file that is not a bill: refused, nothing stored. Bad requests say what is wrong.
    let garbage = h.dir.path().join("garbage.zip");
    std::fs::write(&garbage, b"this is not a bill at all\n1,2,3\n").unwrap();
    let e = h.err(
        "recon_run",
        json!({ "period": null, "source": "file", "path": garbage.to_string_lossy() }),
    );
    assert_eq!(e["code"], "invalid_input", "{e}");
    for (args, what) in [
        (
            json!({ "period": null, "source": "fetch", "path": null }),
            "no period",
        ),
        (
            json!({ "period": "2026-13", "source": "fetch", "path": null }),
            "bad period",
        ),
        (
            json!({ "period": null, "source": "file", "path": null }),
            "no file",
        ),
        (
            json!({ "period": null, "source": "file", "path": h.dir.path().to_string_lossy() }),
            "a folder",
        ),
        (
            json!({ "period": null, "source": "file", "path": h.dir.path().join("nope.zip").to_string_lossy() }),
            "a missing file",
        ),
    ] {
        let e = h.err("recon_run", args);
        assert_eq!(e["code"], "invalid_input", "{what}: {e}");
    }
    assert_eq!(
        h.ok("recon_overview", json!({}))["runs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // One run at a time; cancel reaches the running one.
    assert_eq!(h.ok("recon_cancel", json!({})), false);
    let ctl = Control::default();
    let state = h.app.state::<AppState>();
    let slot = state.start_recon(ctl.clone()).expect("free slot");
    assert_eq!(h.ok("recon_overview", json!({}))["running"], true);
    let e = h.err(
        "recon_run",
        json!({ "period": day, "source": "fetch", "path": null }),
    );
    assert_eq!(e["code"], "conflict", "{e}");
    assert_eq!(h.ok("recon_cancel", json!({})), true);
    assert!(ctl.cancelled());
    drop(slot);
    assert_eq!(h.ok("recon_overview", json!({}))["running"], false);
}

#[test]
fn a_production_profile_wants_the_order_number_to_settle_from_the_report() {
    let h = harness(40);
    let status = h.ok("app_status", json!({}));
    let sim_base = sim_base(&status);
    let sim = http();
    let today = h.ok("recon_overview", json!({}))["today"]
        .as_str()
        .unwrap()
        .to_string();
    let day = day_after(&today, 2);
    sim.post_json(
        &format!("{sim_base}/sim/clock"),
        json!({ "set": format!("{day} 10:00:00") }),
    );
    let order = new_test_orders(&h, 1).remove(0);
    let number = order.number;
    sim.post_json(
        &format!("{sim_base}/sim/faults"),
        json!({ "rule": "notify:notify-fail=100:sticky" }),
    );
    sim.pay(&sim_base, &order.url, &number);
    sim.post_json(
        &format!("{sim_base}/sim/clock"),
        json!({ "advance_secs": 86_400 }),
    );
    let run = h.ok(
        "recon_run",
        json!({ "period": day, "source": "fetch", "path": null }),
    );
    let run_id = run["report"]["run_id"].as_i64().unwrap();
    let page = h.rows(run_id, all_rows(), 0, 10);
    let row = row_of(&page, &number)["id"].as_i64().unwrap();

    // The same database as a production profile without keys.
    let db = status["database"].as_str().unwrap().to_string();
    h.write_live_profile(&db, "seller_id = \"2088000000000001\"\n");
    h.ok("profile_activate", json!({ "name": "live" }));
    let overview = h.ok("recon_overview", json!({}));
    assert_eq!(overview["can_fetch"], false);
    assert_eq!(overview["seller_id"], "2088000000000001");
    let e = h.err(
        "recon_run",
        json!({ "period": day, "source": "fetch", "path": null }),
    );
    assert_eq!(e["code"], "invalid_input", "{e}");
    for confirm in [Value::Null, json!("123")] {
        let e = h.err(
            "recon_action",
            json!({ "rowId": row, "action": "settle", "note": null, "confirm": confirm }),
        );
        assert_eq!(e["code"], "confirmation_required", "{e}");
        assert!(e["message"].as_str().unwrap().contains(&number), "{e}");
    }
    // Typed, it gets past the confirmation; without keys it cannot ask Alipay.
    let e = h.err(
        "recon_action",
        json!({ "rowId": row, "action": "settle", "note": null, "confirm": number }),
    );
    assert_ne!(e["code"], "confirmation_required", "{e}");
    assert_eq!(h.order(&number)["order"]["status"], 0);
    h.ok("profile_activate", json!({ "name": "simulator" }));
}
