//! Command bodies through Tauri's IPC, without a window (tauri's `test` feature), against a fresh
//! embedded database with demo data and the built-in simulator.

mod support;

use serde_json::json;
use support::{Harness, all_orders, harness, http, new_test_orders, page, sim_base, wait_until};

impl Harness {
    /// Private key files the simulator profile generated: none of their content may ever appear.
    fn assert_no_private_key_leaked(&self) {
        let mut secrets = Vec::new();
        for entry in walk(self.dir.path()) {
            let text = std::fs::read_to_string(&entry).unwrap_or_default();
            if text.contains("PRIVATE KEY") {
                // Lines of the base64 body: any of them in an answer is a leak.
                secrets.extend(
                    text.lines()
                        .filter(|l| l.len() > 40 && !l.starts_with("-----"))
                        .map(str::to_string),
                );
            }
        }
        assert!(
            !secrets.is_empty(),
            "the simulator profile should have written its keys"
        );
        for answer in self.seen.borrow().iter() {
            assert!(
                !answer.contains("PRIVATE KEY"),
                "an answer holds a private key: {answer}"
            );
            for s in &secrets {
                assert!(
                    !answer.contains(s.as_str()),
                    "an answer holds private key material"
                );
            }
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Makes a test order for a (demo user, demo course) pair the user does not own yet, and its
/// pay link.
fn new_test_order(h: &Harness) -> (String, String) {
    let order = new_test_orders(h, 1).remove(0);
    assert_eq!(order.created["status"], 0);
    assert!(order.link["qr_svg"].as_str().unwrap().contains("<svg"));
    (order.number, order.url)
}

/// What a buyer does: open the cashier (creates the trade), then pay through the test hook.
fn pay_in_simulator(link: &str, number: &str, sim_base: &str) -> String {
    http().pay(sim_base, link, number)["return_url"]
        .as_str()
        .expect("a return URL")
        .to_string()
}

#[test]
fn the_simulator_profile_takes_an_order_from_payment_to_full_refund() {
    let h = harness(300);
    let status = h.ok("app_status", json!({}));
    assert_eq!(status["kind"], "simulator");
    let sim_base = sim_base(&status);
    assert!(
        status["notify_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );

    // Browse: demo data, filters, paging.
    let paid = h.ok("orders_list", json!({ "filter": { "status": [1], "from": null, "to": null, "user": null, "number_prefix": null, "min_amount": "1.00", "max_amount": null, "refund": "any" }, "page": page(10) }));
    let rows = paid["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["status"] == 1));
    assert!(
        rows.iter()
            .all(|r| r["real_price"].as_str().unwrap().contains('.')),
        "money is text with decimals"
    );
    let next = h.ok(
        "orders_list",
        json!({ "filter": all_orders(), "page": { "after": paid["next"], "limit": 10 } }),
    );
    assert!(!next["rows"].as_array().unwrap().is_empty());

    // Pay a test order; its return URL verifies with every field, a tampered copy does not.
    let (number, link) = new_test_order(&h);
    let return_url = pay_in_simulator(&link, &number, &sim_base);
    let tampered = return_url.replacen("total_amount=", "total_amount=1", 1);
    let reports = h.ok("verify_inputs", json!({ "inputs": [return_url, tampered] }));
    assert_eq!(reports[0]["valid"], true, "{}", reports[0]);
    assert_eq!(reports[0]["kind"], "return");
    assert_eq!(reports[0]["order"]["exists"], true);
    assert_eq!(reports[0]["order"]["amount_matches"], true);
    assert!(
        reports[0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "out_trade_no" && f["signed"] == true)
    );
    assert_eq!(reports[1]["valid"], false);
    assert!(
        reports[1]["reason"].as_str().unwrap().contains("signature"),
        "{}",
        reports[1]
    );

    // The same through verify_text, with a hostile field: escaped for display, never raw.
    let hostile = format!("{return_url}&body=x%0D%0AVALID%1B%5B8m%E2%80%AE");
    let batch = h.ok(
        "verify_text",
        json!({ "job": 1, "text": format!("{return_url}\n\n{hostile}\n") }),
    );
    assert_eq!(
        (batch["total"].clone(), batch["valid"].clone()),
        (json!(2), json!(1)),
        "{batch}"
    );
    assert_eq!(batch["valid_documented"], 1);
    assert_eq!(batch["reports"][0]["order"]["amount_matches"], true);
    let body = batch["reports"][1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "body")
        .unwrap()["value"]
        .clone();
    assert_eq!(body, "x\\r\\nVALID\\u{1b}[8m\\u{202e}");
    // A 5 MB paste: verified in chunks with progress, the first inputs in full, the rest as
    // lines, and the counts of all.
    let n = 5 * 1024 * 1024 / (return_url.len() + 1) + 1;
    let big = vec![return_url.as_str(); n].join("\n");
    h.take_events();
    let started = std::time::Instant::now();
    let batch = h.ok("verify_text", json!({ "job": 2, "text": big }));
    println!("verify_text: {n} inputs in {:?}", started.elapsed());
    assert_eq!(batch["total"], n);
    assert_eq!(batch["valid"], n);
    assert_eq!(batch["reports"].as_array().unwrap().len(), 20);
    assert_eq!(batch["lines"].as_array().unwrap().len(), (n - 20).min(2000));
    assert_eq!(batch["lines_omitted"], (n - 20).saturating_sub(2000));
    let steps = h
        .take_events()
        .into_iter()
        .filter(|(name, e)| name == "paydesk://progress" && e["task"] == "verify")
        .count();
    assert!(steps >= n / 256, "{steps} progress events for {n} inputs");

    // Settle from the return URL (the notify may have settled it a moment earlier).
    let settled = h.ok(
        "settle",
        json!({ "input": return_url, "orderNumber": null, "confirm": null }),
    );
    assert!(
        settled["outcome"] == "settled" || settled["outcome"] == "already_settled",
        "{settled}"
    );
    assert_eq!(settled["order"]["status"], 1);
    assert!(!settled["courses"].as_array().unwrap().is_empty());
    let refused = h.ok(
        "settle",
        json!({ "input": tampered, "orderNumber": null, "confirm": null }),
    );
    assert_eq!(refused["outcome"], "refused");
    let detail = h.order(&number);
    assert_eq!(detail["grants"].as_array().unwrap().len(), 1, "{detail}");

    // A second order settles by itself through the simulator's notify.
    let (second, link2) = new_test_order(&h);
    pay_in_simulator(&link2, &second, &sim_base);
    wait_until("the notify to settle the second order", || {
        h.order(&second)["order"]["status"] == 1
    });

    // Refund part, then the rest: grants revoked.
    let real: rust_decimal::Decimal = detail["order"]["real_price"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(real > rust_decimal::Decimal::ONE);
    let part = h.ok(
        "refund_create",
        json!({ "orderNumber": number, "amount": "1.00", "reason": "test partial", "confirm": null }),
    );
    assert_eq!(part["status"], "succeeded", "{part}");
    assert_eq!(h.order(&number)["order"]["refund_state"], "partial");
    let rest = h.ok(
        "refund_create",
        json!({ "orderNumber": number, "amount": null, "reason": "test full", "confirm": null }),
    );
    assert_eq!(rest["status"], "succeeded", "{rest}");
    let after = h.order(&number);
    assert_eq!(after["order"]["refund_state"], "full");
    assert_eq!(after["refunds"].as_array().unwrap().len(), 2);
    assert!(
        h.ok(
            "grants_list",
            json!({ "filter": { "user": null, "course_id": null, "order_number": number } })
        )
        .as_array()
        .unwrap()
        .is_empty()
    );

    // Every step is in the audit log.
    let audit = h.ok("audit_list", json!({ "filter": { "operator": null, "action": null, "order_number": number, "user_id": null, "from": null, "to": null }, "page": page(100) }));
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for want in ["test_order", "settle", "refund"] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }

    // Errors keep their shape; a missing order is not_found.
    let e = h.err("order_detail", json!({ "orderNumber": "999999999999" }));
    assert_eq!(e["code"], "not_found", "{e}");
    assert_eq!(e.as_object().unwrap().len(), 2);

    h.assert_no_private_key_leaked();
}

#[test]
fn a_production_profile_wants_the_typed_confirmation() {
    let h = harness(50);
    let status = h.ok("app_status", json!({}));
    let db = status["database"].as_str().unwrap().to_string();
    h.write_live_profile(&db, "");
    let names: Vec<String> = h.ok("profiles_list", json!({}))["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["simulator", "live"]);
    let live = h.ok("profile_activate", json!({ "name": "live" }));
    assert_eq!(live["kind"], "production");
    assert_eq!(live["operator"], "finance");

    let paid = h.ok("orders_list", json!({ "filter": { "status": [1], "from": null, "to": null, "user": null, "number_prefix": null, "min_amount": null, "max_amount": null, "refund": "any" }, "page": page(1) }));
    let number = paid["rows"][0]["order_number"]
        .as_str()
        .unwrap()
        .to_string();
    for (cmd, args) in [
        (
            "refund_create",
            json!({ "orderNumber": number, "amount": null, "reason": "x", "confirm": null }),
        ),
        (
            "refund_create",
            json!({ "orderNumber": number, "amount": null, "reason": "x", "confirm": "123" }),
        ),
        (
            "settle",
            json!({ "input": null, "orderNumber": number, "confirm": null }),
        ),
        ("orders_expire", json!({ "confirm": "expire" })),
        (
            "grant_revoke",
            json!({ "grantId": 1, "reason": "x", "confirm": null }),
        ),
    ] {
        let e = h.err(cmd, args);
        assert_eq!(e["code"], "confirmation_required", "{cmd}: {e}");
    }
    let e = h.err(
        "test_order_create",
        json!({ "req": { "user_id": 1, "course_ids": [1], "coupon_log_id": null, "credits": 0 } }),
    );
    assert_ne!(e["code"], "internal", "{e}");

    let back = h.ok("profile_activate", json!({ "name": "simulator" }));
    assert_eq!(back["kind"], "simulator");
    h.assert_no_private_key_leaked();
}
