//! The payment operations end to end through the built `paydesk` binary, in the world of
//! `common/world.rs`: a demo database, the real simulator on loopback and a notify receiver.
//! The database is read back directly only to pick fixtures and to check what the commands claim.

mod common;

use std::sync::Arc;

use alipay::SystemClock;
use chrono::TimeDelta;
use common::world::{OPERATOR, beijing_now, s, world};
use common::{Run, Sandbox};
use paydesk_core::{OpenMode, Store, StoreConfig};
use serde_json::Value;

#[test]
fn the_whole_story_through_the_binary() {
    let w = world();

    // A new database passes the check; the JSON report says so.
    let check = w.json(0, &["db", "check"]);
    assert_eq!(check["problems"], Value::Array(vec![]), "{check}");
    assert_eq!(check["dialect"], "SQLite", "{check}");
    let human = w.run(&["db", "check"]);
    human.expect(0);
    assert!(
        human.stdout.contains("platform tables: OK"),
        "{}",
        human.stdout
    );

    // Browse: filters narrow the page and every row obeys them.
    let paid = w.json(0, &["orders", "--status", "paid", "--limit", "500"]);
    let rows = paid["orders"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|o| o["order_status"] == 1));
    assert!(
        rows.iter().all(|o| o["real_price"].is_string()),
        "money as strings"
    );
    let all = w.json(0, &["orders", "--limit", "500"]);
    assert_eq!(all["orders"].as_array().unwrap().len(), 200);
    let cheap = w.json(0, &["orders", "--max-amount", "100.00", "--limit", "500"]);
    for o in cheap["orders"].as_array().unwrap() {
        let p: rust_decimal::Decimal = s(&o["real_price"]).parse().unwrap();
        assert!(p <= rust_decimal::Decimal::new(10000, 2), "{o}");
    }
    let page = w.json(0, &["orders", "--limit", "5"]);
    assert_eq!(page["orders"].as_array().unwrap().len(), 5);
    let next = w.json(0, &["orders", "--limit", "5", "--after", s(&page["next"])]);
    assert_ne!(
        page["orders"][0]["id"], next["orders"][0]["id"],
        "keyset page 2"
    );

    // Test order: two courses, a discount coupon, 100 credits (deducted at once).
    let (user, coupon, courses) = w.fixtures();
    let credit0 = w.credit(user);
    let made = w.test_order(user, &courses, 100, Some(coupon));
    let number = s(&made["order"]["order_number"]).to_string();
    assert_eq!(number.len(), 24);
    assert_eq!(&number[8..16], format!("{user:08}"));
    assert_eq!(made["coupon_log_id"], coupon);
    assert_eq!(w.credit(user), credit0 - 100);
    let real_price = s(&made["order"]["real_price"]).to_string();

    // Bad input: an order that does not exist.
    let missing = "202001010000000100000001";
    for args in [
        vec!["order", missing],
        vec!["refund", missing, "--reason", "x"],
        vec!["close", missing, "--reason", "x"],
        vec!["settle", "--order", missing],
        vec!["pay-link", "--order", missing],
    ] {
        let r = w.run(&args);
        r.expect(2);
        assert!(
            r.stderr.contains(&format!("order {missing} not found")),
            "{args:?}: {}",
            r.stderr
        );
    }
    let e = w.json(2, &["order", missing]);
    assert_eq!(e["error"]["kind"], "not_found");

    // Pay link (JSON shape), the cashier, the buyer pays.
    let link = w.json(
        0,
        &[
            "pay-link",
            "--order",
            &number,
            "--notify-url",
            &w.notify_url,
            "--return-url",
            "https://shop.example/alipay/return",
        ],
    );
    assert_eq!(link["order_number"], number.as_str());
    assert_eq!(link["real_price"], real_price.as_str());
    w.sim.open_pay_link(s(&link["link"])).expect("cashier");
    let return_url = w
        .sim
        .pay(&number)
        .expect("the buyer pays")
        .return_url
        .expect("a return URL");
    let notify = w.wait_notify();
    assert!(notify.contains("trade_status=TRADE_SUCCESS"), "{notify}");

    // Bad input: a tampered return URL (the amount lowered) is refused; nothing changes.
    let before = w.order_state(&number);
    let tampered = return_url.replace(&format!("total_amount={real_price}"), "total_amount=0.01");
    assert_ne!(tampered, return_url);
    let r = w.run(&["settle", &tampered]);
    r.expect(1);
    assert!(r.stderr.contains("does not verify"), "{}", r.stderr);
    let e = w.json(1, &["settle", &tampered]);
    assert_eq!(e["error"]["kind"], "signature");
    assert_eq!(
        w.order_state(&number),
        before,
        "a refused settle changes nothing"
    );
    assert_eq!(before["order"]["order_status"], 0);

    // Settle from the return URL; then the notify and the URL again are no-ops.
    let st = w.json(0, &["settle", &return_url]);
    assert_eq!(st["outcome"], "done", "{st}");
    assert_eq!(st["status_after"], 1);
    assert_eq!(st["paid_amount"], real_price.as_str());
    assert_eq!(st["grants_created"].as_array().unwrap().len(), 2);
    assert_eq!(st["coupon_logs_used"], serde_json::json!([coupon]));
    let again = w.json(0, &["settle", &notify]);
    assert_eq!(again["outcome"], "noop", "{again}");
    let r = w.run(&["settle", &return_url]);
    r.expect(0);
    assert!(r.stdout.contains("already settled"), "{}", r.stdout);

    // The order: paid, its grants, the ledger row for the credits, the coupon used.
    let o = w.order_state(&number);
    assert_eq!(o["order"]["order_status"], 1);
    assert!(o["order"]["pay_time"].is_string());
    let grants = o["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2);
    let mut granted: Vec<i64> = grants
        .iter()
        .map(|g| g["course_id"].as_i64().unwrap())
        .collect();
    granted.sort();
    assert_eq!(granted, courses.to_vec());
    assert!(
        o["credits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["number"].as_i64().unwrap().abs() == 100),
        "a ledger row for the 100 credits: {}",
        o["credits"]
    );
    assert_eq!(o["coupons"][0]["log"]["use_status"], 1, "{}", o["coupons"]);
    assert_eq!(o["user"]["credit"], credit0 - 100);

    // Partial refund.
    let p = w.json(
        0,
        &[
            "refund",
            &number,
            "--amount",
            "10.00",
            "--reason",
            "one chapter missing",
        ],
    );
    assert_eq!(p["outcome"], "done", "{p}");
    assert_eq!(p["out_request_no"], format!("{number}R1"));
    assert_eq!(p["amount"], "10.00");
    assert_eq!(p["full_refund"], false);
    assert_eq!(w.sim_refunds(&number), 1);

    // Bad input: more than what is left is refused; nothing changes, Alipay not asked.
    let paid_price: rust_decimal::Decimal = real_price.parse().unwrap();
    let too_much = (paid_price - rust_decimal::Decimal::new(999, 2)).to_string();
    let before = w.order_state(&number);
    let r = w.run(&[
        "refund", &number, "--amount", &too_much, "--reason", "too much",
    ]);
    r.expect(2);
    assert!(r.stderr.contains("above what is left"), "{}", r.stderr);
    assert_eq!(w.order_state(&number), before);
    assert_eq!(w.sim_refunds(&number), 1);

    // The rest: a full refund revokes the grants and gives the credits back.
    let f = w.json(0, &["refund", &number, "--reason", "customer cancelled"]);
    assert_eq!(f["full_refund"], true, "{f}");
    assert_eq!(
        f["amount"],
        (paid_price - rust_decimal::Decimal::new(1000, 2)).to_string()
    );
    assert_eq!(f["grants_revoked"].as_array().unwrap().len(), 2);
    assert_eq!(f["credits_returned"], 100);
    assert_eq!(w.credit(user), credit0);
    let o = w.order_state(&number);
    assert_eq!(o["grants"], Value::Array(vec![]), "grants revoked");
    assert_eq!(o["refunded"], real_price.as_str());
    assert_eq!(w.sim_refunds(&number), 2);
    let rr = w.json(0, &["refunds", "--order", &number]);
    let statuses: Vec<&str> = rr
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(&r["status"]))
        .collect();
    assert_eq!(statuses, ["succeeded", "succeeded"], "{rr}");
    assert_eq!(
        w.json(0, &["refunds"]),
        Value::Array(vec![]),
        "nothing unresolved"
    );
    let repeat = w.json(0, &["refund", &number, "--reason", "again"]);
    assert_eq!(repeat["outcome"], "noop", "{repeat}");
    assert_eq!(w.sim_refunds(&number), 2, "a repeat moves no money");

    // Another order, cashier opened, closed by hand: credits back.
    let c = w.test_order(user, &courses[..1], 30, None);
    let closed = s(&c["order"]["order_number"]).to_string();
    assert_eq!(w.credit(user), credit0 - 30);
    w.open_cashier(&closed);
    let r = w.json(0, &["close", &closed, "--reason", "customer asked"]);
    assert_eq!(r["status_after"], 2, "{r}");
    assert_eq!(r["credits_returned"], 30);
    assert_eq!(r["alipay"], "Alipay trade closed");
    assert_eq!(w.credit(user), credit0);
    assert_eq!(
        w.sim.trade(&closed).unwrap().status,
        sim::TradeStatus::TradeClosed
    );
    let r = w.run(&["close", &closed, "--reason", "again"]);
    r.expect(0);
    assert_eq!(w.json(0, &["order", &closed])["order"]["order_status"], 2);

    // An old unpaid order: `expire` times it out, credits back.
    let x = w.test_order(user, &courses[1..], 20, None);
    let expired = s(&x["order"]["order_number"]).to_string();
    let expired_id = x["order"]["id"].as_i64().unwrap();
    w.exec(
        "UPDATE ly_order SET created_time = ? WHERE id = ?",
        vec![
            (beijing_now() - TimeDelta::hours(1)).into(),
            expired_id.into(),
        ],
    );
    let e = w.json(0, &["expire"]);
    assert!(e["examined"].as_u64().unwrap() >= 1, "{e}");
    let mine = e["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_number"] == expired.as_str())
        .unwrap_or_else(|| panic!("{expired} not in {e}"));
    assert_eq!(mine["result"], "expired");
    assert_eq!(mine["credits_returned"], 20);
    assert_eq!(w.json(0, &["order", &expired])["order"]["order_status"], 3);
    assert_eq!(w.credit(user), credit0);
    let e2 = w.json(0, &["expire"]);
    assert_eq!(e2["examined"], 0, "expire twice: nothing left {e2}");

    // Duplicate grants left by the racy site: listed, merged, gone.
    let dups = w.json(0, &["grants", "--duplicates"]);
    let dups = dups.as_array().unwrap().clone();
    assert!(!dups.is_empty(), "the demo leaves duplicate grants");
    for d in &dups {
        assert!(d["count"].as_i64().unwrap() >= 2, "{d}");
        assert_eq!(
            d["grant_ids"].as_array().unwrap().len() as i64,
            d["count"].as_i64().unwrap()
        );
    }
    let m = w.json(
        0,
        &["grants", "--merge", "--reason", "clean up double grants"],
    );
    assert_eq!(m["pairs"].as_u64().unwrap() as usize, dups.len(), "{m}");
    assert!(m["grants_removed"].as_u64().unwrap() >= dups.len() as u64);
    assert_eq!(w.json(0, &["grants", "--duplicates"]), Value::Array(vec![]));

    // Revoke a grant and restore it from the revoke's audit row.
    let ug = w.json(0, &["grants", "--user", &user.to_string()]);
    let g = &ug.as_array().unwrap()[0];
    let gid = g["id"].as_i64().unwrap().to_string();
    let rv = w.json(0, &["revoke", &gid, "--reason", "given by mistake"]);
    assert_eq!(rv["outcome"], "done", "{rv}");
    let audit_id = rv["audit_id"].as_i64().unwrap().to_string();
    let after = w.json(0, &["grants", "--user", &user.to_string()]);
    assert!(after.as_array().unwrap().iter().all(|x| x["id"] != g["id"]));
    let rs = w.json(
        0,
        &[
            "grant",
            "--restore",
            &audit_id,
            "--reason",
            "it was right after all",
        ],
    );
    assert_eq!(rs["grant"]["id"], g["id"], "restored with its own id: {rs}");
    let ids = |v: &Value| -> Vec<(i64, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| (g["id"].as_i64().unwrap(), g["course_id"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(
        ids(&w.json(0, &["grants", "--user", &user.to_string()])),
        ids(&ug)
    );

    // Bad input: a grant that does not exist.
    let live_grants = "SELECT COUNT(*) AS v FROM ly_user_course WHERE is_deleted = 0";
    let before = w.int(live_grants, vec![]);
    let r = w.run(&["revoke", "987654321", "--reason", "x"]);
    r.expect(2);
    assert!(
        r.stderr.contains("987654321") && r.stderr.contains("not found"),
        "{}",
        r.stderr
    );
    assert_eq!(
        w.json(2, &["revoke", "987654321", "--reason", "x"])["error"]["kind"],
        "not_found"
    );
    assert_eq!(w.int(live_grants, vec![]), before);

    // The audit log has every step, with the operator and the reason.
    let audit = w.json(0, &["audit", "--limit", "500"]);
    let rows = audit.as_array().unwrap();
    assert!(rows.iter().all(|a| a["operator"] == OPERATOR), "{audit}");
    assert!(rows.iter().all(|a| a["profile"] == "simulator"));
    let has = |action: &str, outcome: &str, order: Option<&str>, reason: Option<&str>| {
        rows.iter().any(|a| {
            a["action"] == action
                && a["outcome"] == outcome
                && order.is_none_or(|n| a["order_number"] == n)
                && reason.is_none_or(|r| a["reason"] == r)
        })
    };
    for (action, outcome, order, reason) in [
        ("test_order", "ok", Some(number.as_str()), None),
        ("settle", "ok", Some(number.as_str()), None),
        ("settle", "noop", Some(number.as_str()), None),
        (
            "refund",
            "ok",
            Some(number.as_str()),
            Some("one chapter missing"),
        ),
        (
            "refund",
            "ok",
            Some(number.as_str()),
            Some("customer cancelled"),
        ),
        ("refund", "noop", Some(number.as_str()), Some("again")),
        ("close", "ok", Some(closed.as_str()), Some("customer asked")),
        ("close", "noop", Some(closed.as_str()), None),
        ("expire", "ok", Some(expired.as_str()), None),
        ("merge_grants", "ok", None, Some("clean up double grants")),
        ("revoke", "ok", None, Some("given by mistake")),
        ("restore_grant", "ok", None, Some("it was right after all")),
    ] {
        assert!(
            has(action, outcome, order, reason),
            "audit lacks {action}/{outcome} {order:?} {reason:?}: {audit:#}"
        );
    }
    assert!(
        rows.iter().any(|a| a["action"] == "refund"
            && a["outcome"] == "refused"
            && a["order_number"] == number.as_str()
            && s(&a["detail"]).contains("above what is left")),
        "the refused refund is recorded"
    );
    // An unverified callback's claimed number only finds the order (read-only) for the audit
    // row; the detail says the claim was unverified.
    assert!(
        rows.iter().any(|a| a["action"] == "settle"
            && a["outcome"] == "refused"
            && a["order_id"].is_number()
            && s(&a["detail"]).contains("unverified")
            && s(&a["detail"]).contains(&format!("claimed out_trade_no {number}"))),
        "the tampered URL's refusal is recorded"
    );
    let revoked = rows
        .iter()
        .find(|a| a["action"] == "revoke" && a["outcome"] == "ok")
        .unwrap();
    assert_eq!(
        revoked["before"]["id"], g["id"],
        "the revoked row is kept whole"
    );
    let filtered = w.json(0, &["audit", "--order", &number, "--action", "refund"]);
    assert!(
        filtered
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] == "refund" && a["order_number"] == number.as_str())
    );
}

/// On a production profile the commands that change a real customer's order or money want the
/// thing they act on typed again; a missing or wrong confirmation says what to type and changes
/// nothing, the right one goes through.
#[test]
fn production_wants_the_order_number_typed_again() {
    let w = world();
    let (user, _, courses) = w.fixtures();

    // Made on the simulator profile (test orders are refused on production).
    let r = w.run(&[
        "--profile",
        "prod",
        "test-order",
        "--user",
        &user.to_string(),
        "--course",
        &courses[0].to_string(),
    ]);
    assert_ne!(r.code, 0, "test orders are not for production");
    let paid = w.test_order(user, &courses[..1], 0, None);
    let paid_no = s(&paid["order"]["order_number"]).to_string();
    let paid_id = paid["order"]["id"].as_i64().unwrap();
    w.open_cashier(&paid_no);
    let url = w.sim.pay(&paid_no).unwrap().return_url.unwrap();
    w.json(0, &["settle", &url]);
    // Paid at Alipay, the notify lost: to be settled by hand.
    let missed = w.test_order(user, &courses[1..], 0, None);
    let missed_no = s(&missed["order"]["order_number"]).to_string();
    w.open_cashier(&missed_no);
    w.sim.pay(&missed_no).unwrap();
    // Unpaid, cashier open: to be closed.
    let open = w.test_order(user, &courses[..1], 10, None);
    let open_no = s(&open["order"]["order_number"]).to_string();
    w.open_cashier(&open_no);

    let prod = |args: &[&str]| {
        let mut all = vec!["--profile", "prod"];
        all.extend_from_slice(args);
        w.run(&all)
    };
    #[track_caller]
    fn refused(r: &Run, expected: &str) {
        r.expect(2);
        assert!(
            r.stderr
                .contains(&format!("re-run with --confirm {expected}")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("Nothing was changed"), "{}", r.stderr);
    }
    let state = |n: &str| (w.order_state(n), w.sim_refunds(n), w.credit(user));

    // refund
    let before = state(&paid_no);
    refused(&prod(&["refund", &paid_no, "--reason", "r"]), &paid_no);
    refused(
        &prod(&["refund", &paid_no, "--reason", "r", "--confirm", &missed_no]),
        &paid_no,
    );
    refused(
        &prod(&[
            "refund",
            &format!("id:{paid_id}"),
            "--reason",
            "r",
            "--confirm",
            "yes",
        ]),
        &paid_no,
    );
    let e = prod(&["--json", "refund", &paid_no, "--reason", "r"]);
    e.expect(2);
    let e = e.json();
    assert_eq!(e["error"]["kind"], "confirmation_required");
    assert_eq!(e["error"]["details"]["confirm"], paid_no.as_str());
    // A wrong confirmation is refused on any profile: the operator means another order.
    refused(
        &w.run(&["refund", &paid_no, "--reason", "r", "--confirm", &missed_no]),
        &paid_no,
    );
    assert_eq!(state(&paid_no), before, "nothing changed, Alipay not asked");
    let r = prod(&[
        "refund",
        &format!("id:{paid_id}"),
        "--amount",
        "1.00",
        "--reason",
        "partial",
        "--confirm",
        &paid_no,
    ]);
    r.expect(0);
    assert_eq!(w.sim_refunds(&paid_no), 1);

    // settle by hand
    let before = state(&missed_no);
    refused(&prod(&["settle", "--order", &missed_no]), &missed_no);
    refused(
        &prod(&["settle", "--order", &missed_no, "--confirm", &paid_no]),
        &missed_no,
    );
    assert_eq!(state(&missed_no), before);
    assert_eq!(before.0["order"]["order_status"], 0);
    prod(&["settle", "--order", &missed_no, "--confirm", &missed_no]).expect(0);
    assert_eq!(w.order_state(&missed_no)["order"]["order_status"], 1);

    // close
    let before = state(&open_no);
    refused(&prod(&["close", &open_no, "--reason", "r"]), &open_no);
    refused(
        &prod(&["close", &open_no, "--reason", "r", "--confirm", " "]),
        &open_no,
    );
    assert_eq!(state(&open_no), before);
    assert_eq!(
        w.sim.trade(&open_no).unwrap().status,
        sim::TradeStatus::WaitBuyerPay
    );
    prod(&["close", &open_no, "--reason", "r", "--confirm", &open_no]).expect(0);
    assert_eq!(w.order_state(&open_no)["order"]["order_status"], 2);

    // revoke
    let grant = w.json(0, &["grants", "--user", &user.to_string()])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let live = "SELECT COUNT(*) AS v FROM ly_user_course WHERE is_deleted = 0";
    let before = w.int(live, vec![]);
    refused(&prod(&["revoke", &grant, "--reason", "r"]), &grant);
    refused(
        &prod(&["revoke", &grant, "--reason", "r", "--confirm", &paid_no]),
        &grant,
    );
    assert_eq!(w.int(live, vec![]), before);
    prod(&["revoke", &grant, "--reason", "r", "--confirm", &grant]).expect(0);
    assert_eq!(w.int(live, vec![]), before - 1);

    // expire: the demo's old unpaid orders are due
    let unpaid = "SELECT COUNT(*) AS v FROM ly_order WHERE order_status = 0";
    let before = w.int(unpaid, vec![]);
    assert!(before > 0);
    refused(&prod(&["expire"]), "EXPIRE");
    refused(&prod(&["expire", "--confirm", "expire"]), "EXPIRE");
    assert_eq!(w.int(unpaid, vec![]), before);
    let e = w.json(0, &["--profile", "prod", "expire", "--confirm", "EXPIRE"]);
    assert!(e["expired"].as_u64().unwrap() > 0, "{e}");
    assert!(w.int(unpaid, vec![]) < before);

    // What went through on production is audited under that profile.
    let audit = w.json(0, &["audit", "--limit", "500"]);
    for action in ["refund", "settle", "close", "revoke", "expire"] {
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == action && a["outcome"] == "ok" && a["profile"] == "prod"),
            "{action} on prod: {audit:#}"
        );
    }
}

/// `db check` on a SQLite file that belongs to something else: every mismatch in one message,
/// and the file left as it was.
#[test]
fn db_check_refuses_a_database_that_is_not_the_platforms() {
    let sb = Sandbox::new();
    let path = sb.p("other.sqlite");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::connect(
            &StoreConfig::new(path.clone()),
            Arc::new(SystemClock),
            OpenMode::CreateIfMissing,
        )
        .await
        .unwrap();
        store
            .execute_raw("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
            .await
            .unwrap();
        // A table with a platform name but not the platform's columns.
        store
            .execute_raw(
                "CREATE TABLE ly_order (id INTEGER PRIMARY KEY, order_number TEXT, \
                 order_status TEXT)",
            )
            .await
            .unwrap();
        store.close().await;
    });
    let before = std::fs::read(&path).unwrap();

    let r = sb.run(&["db", "check", "--database", &path]);
    r.expect(1);
    assert!(
        r.stdout
            .contains("mismatch(es) — not the platform's database"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("run paydesk db migrate"), "{}", r.stdout);
    for want in [
        "fg_users",
        "ly_user_course",
        "ly_coupon_log",
        "ly_order",
        "real_price",
        "order_status",
    ] {
        assert!(r.stdout.contains(want), "{want} not listed:\n{}", r.stdout);
    }
    let j = sb.run(&["--json", "db", "check", "--database", &path]);
    j.expect(1);
    let j = j.json();
    let problems = j["problems"].as_array().unwrap();
    let has = |kind: &str, table: &str, column: Option<&str>| {
        problems.iter().any(|p| {
            p["kind"] == kind && p["table"] == table && column.is_none_or(|c| p["column"] == c)
        })
    };
    assert!(has("missing_table", "fg_users", None), "{j:#}");
    // Grant, coupon and ledger tables are optional: their absence is a feature off, said as a note.
    assert!(!has("missing_table", "ly_user_course", None), "{j:#}");
    let notes = j["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["kind"] == "feature_off" && n["feature"] == "grants"),
        "{j:#}"
    );
    assert!(
        has("missing_column", "ly_order", Some("real_price")),
        "{j:#}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["table"] == "ly_order" && p["column"] == "order_status"),
        "the wrong type is listed: {j:#}"
    );
    assert!(!has("missing_column", "ly_order", Some("order_number")));
    assert!(
        problems.iter().all(|p| p["table"] != "invoices"),
        "foreign tables are none of our business"
    );

    // Operations refuse it too, before touching anything.
    let o = sb.run(&["orders", "--database", &path]);
    o.expect(2);
    assert!(o.stderr.contains("fg_users"), "{}", o.stderr);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "nothing created or altered"
    );
}
