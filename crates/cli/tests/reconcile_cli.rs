//! `paydesk reconcile` through the built binary, in the world of `common/world.rs`: its exit
//! codes, its JSON and CSV, the confirmation production wants, messages that say what to do, and
//! that refused input stores and changes nothing. How a bill is matched is core's business
//! (crates/core/tests/reconcile_*.rs); here the bill comes from the real simulator.
//!
//! The day reconciled lies before all demo data (`demo --days 30`), so its bill lists only the
//! test's own trades and no demo payment shows up as missing from it. Not after: `pay-link`
//! stamps `time_expire` 15 minutes after the order's creation on the CLI's clock (the system
//! clock), and a simulator moved to a later day would find every link expired. So the simulator's
//! clock is moved back to that day to pay, and to the next morning to hand out the bill (Alipay
//! has a day's bill from the next day on); the CLI keeps signing with the system clock, hence the
//! simulator's wide timestamp tolerance.

mod common;

use chrono::{NaiveDate, TimeDelta, Utc};
use common::world::{OPERATOR, World, beijing_now, s, world_with};
use rust_decimal::Decimal;
use serde_json::Value;
use sim::{Fault, FaultRule, SimConfig};

/// A day at the simulator with two test orders paid at the cashier: A settled and refunded
/// twice (1.00 went through; 2.00 went through at Alipay but its answer was lost, so Paydesk
/// has it as unknown), B never settled (no notify reaches Paydesk in this world: a missed
/// notify). The simulator's clock is the next morning.
struct PaidDay {
    w: World,
    day: NaiveDate,
    a: String,
    a_price: Decimal,
    b: String,
    b_price: Decimal,
}

impl PaidDay {
    fn d(&self) -> String {
        self.day.to_string()
    }

    /// What a refused command must leave alone: both orders (without their audit trail, where
    /// refusals are recorded on purpose), A's refunds, Alipay's ledger and every stored run.
    fn snapshot(&self) -> Value {
        let w = &self.w;
        let runs = w.json(0, &["reconcile", "list", "--limit", "100"]);
        let shown: Vec<Value> = runs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["run_id"].as_i64().unwrap().to_string();
                let r = w.run(&["--json", "reconcile", "show", &id]);
                assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
                r.json()
            })
            .collect();
        serde_json::json!({
            "a": w.order_state(&self.a),
            "b": w.order_state(&self.b),
            "refunds": w.json(0, &["refunds", "--order", &self.a]),
            "ledger": w.sim.ledger().len(),
            "runs": runs,
            "shown": shown,
        })
    }
}

fn paid_day() -> PaidDay {
    let w = world_with(SimConfig {
        timestamp_tolerance: TimeDelta::days(100),
        ..SimConfig::ephemeral()
    });
    let day = beijing_now().date() - TimeDelta::days(45);
    let clock = w.sim.clock();
    clock.set_beijing(&format!("{day} 10:00:00")).unwrap();

    let (user, _, courses) = w.fixtures();
    let price = |o: &Value| s(&o["order"]["real_price"]).parse::<Decimal>().unwrap();
    let a = w.test_order(user, &courses[..1], 0, None);
    let b = w.test_order(user, &courses[1..], 0, None);
    let (a_no, b_no) = (
        s(&a["order"]["order_number"]),
        s(&b["order"]["order_number"]),
    );
    for n in [a_no, b_no] {
        w.open_cashier(n);
        w.sim.pay(n).expect("the buyer pays");
    }
    w.json(0, &["settle", "--order", a_no]);
    let r = w.json(
        0,
        &[
            "refund",
            a_no,
            "--amount",
            "1.00",
            "--reason",
            "one chapter",
        ],
    );
    assert_eq!(r["status"], "succeeded", "{r}");
    // Made at Alipay, every answer lost on the way back (the client's retries too).
    w.sim
        .add_fault(FaultRule::sticky(
            "alipay.trade.refund",
            Fault::Drop {
                after_state_change: true,
            },
        ))
        .unwrap();
    let r = w.run(&[
        "refund",
        a_no,
        "--amount",
        "2.00",
        "--reason",
        "two chapters",
    ]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    w.sim.clear_faults();
    let pending = w.json(0, &["refunds"]);
    assert_eq!(pending[0]["status"], "unknown", "{pending}");
    assert_eq!(w.order_state(b_no)["order"]["order_status"], 0);

    clock
        .set_beijing(&format!("{} 08:30:00", day + TimeDelta::days(1)))
        .unwrap();
    PaidDay {
        day,
        a: a_no.to_string(),
        a_price: price(&a),
        b: b_no.to_string(),
        b_price: price(&b),
        w,
    }
}

/// Money as the JSON carries it: a string with two decimals.
fn yuan(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string()
}

fn row<'a>(run: &'a Value, category: &str) -> &'a Value {
    run["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["category"] == category)
        .unwrap_or_else(|| panic!("no {category} row: {run:#}"))
}

fn id(v: &Value) -> String {
    v["id"].as_i64().unwrap().to_string()
}

#[test]
fn a_missed_notify_is_found_settled_on_production_and_gone_the_next_run() {
    let p = paid_day();
    let w = &p.w;
    let d = p.d();

    // The bill against the platform: one payment matched, one missed notify, one refund matched,
    // one still unknown here. Something is open: exit 1.
    let r = w.run(&["--json", "reconcile", "--date", &d]);
    r.expect(1);
    let first = r.json();
    assert_eq!(first["period"], d.as_str(), "the period is its plain text");
    assert_eq!(first["status"], "open");
    assert_eq!(first["operator"], OPERATOR);
    assert_eq!(first["profile"], "simulator");
    assert_eq!(first["bill"]["source"], format!("alipay:{d}"));
    let sum = &first["summary"];
    let cat = |c: &str| &sum["categories"][c];
    assert_eq!(cat("matched")["count"], 1, "{sum:#}");
    assert_eq!(cat("matched")["bill_amount"], yuan(p.a_price));
    assert_eq!(cat("matched")["order_amount"], yuan(p.a_price));
    assert_eq!(cat("refund_matched")["count"], 1);
    assert_eq!(cat("refund_matched")["bill_amount"], "-1.00");
    assert_eq!(cat("refund_matched")["order_amount"], "1.00");
    assert_eq!(cat("missed_notify")["count"], 1);
    assert_eq!(cat("missed_notify")["bill_amount"], yuan(p.b_price));
    assert_eq!(cat("missed_notify")["order_amount"], yuan(p.b_price));
    assert_eq!(cat("refund_unresolved")["count"], 1);
    assert_eq!(cat("refund_unresolved")["bill_amount"], "-2.00");
    assert_eq!(sum["categories"].as_object().unwrap().len(), 4, "{sum:#}");
    assert_eq!(sum["open"], 2);
    assert_eq!(sum["bill_rows"], 4);
    let total = &sum["total"];
    let money = |v: &Value| s(v).parse::<Decimal>().unwrap();
    assert_eq!(total["payments"], 2);
    assert_eq!(total["received"], yuan(p.a_price + p.b_price));
    assert_eq!(total["refunds"], 2);
    assert_eq!(total["refunded"], "-3.00");
    assert!(money(&total["fees"]) < Decimal::ZERO, "{total}");
    assert_eq!(
        money(&total["net"]),
        money(&total["received"]) + money(&total["refunded"]) + money(&total["fees"])
    );
    assert_eq!(sum["days"].as_array().unwrap().len(), 1);
    assert_eq!(sum["days"][0]["day"], d.as_str());
    let missed = row(&first, "missed_notify");
    assert_eq!(missed["out_trade_no"], p.b.as_str());
    assert_eq!(missed["local_status"], "unpaid");
    assert_eq!(missed["suggested"], "settle");
    assert!(missed["action"].is_null());
    let unresolved = row(&first, "refund_unresolved");
    assert_eq!(unresolved["out_request_no"], format!("{}R2", p.a));
    assert_eq!(unresolved["suggested"], "resume_refunds");
    assert_eq!(first["discrepancies"].as_array().unwrap().len(), 2);

    // Again with a CSV report (UTF-8 with a BOM, for Excel); the human report lists the rows.
    let r = w.run(&["reconcile", "--date", &d, "--csv", "out.csv"]);
    r.expect(1);
    assert!(r.stdout.contains(&p.b), "{}", r.stdout);
    assert!(r.stdout.contains("2 discrepancies open"), "{}", r.stdout);
    let bytes = std::fs::read(w.sb.path("out.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM first");
    let csv = String::from_utf8(bytes).expect("UTF-8");
    assert!(csv.contains(&format!("period,{d}\n")), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains(",missed_notify,yes,") && l.contains(&p.b)),
        "{csv}"
    );
    let second = w.json(0, &["reconcile", "list"])[0].clone();
    let (run1, run2) = (first["run_id"].to_string(), second["run_id"].to_string());
    assert_ne!(run1, run2);
    let run2_report = w.run(&["--json", "reconcile", "show", &run2]);
    run2_report.expect(1);
    let run2_report = run2_report.json();
    let missed2 = id(row(&run2_report, "missed_notify"));
    let unresolved2 = id(row(&run2_report, "refund_unresolved"));

    // Actions that do not fit the row are refused with what fits it, and change nothing.
    let before = p.snapshot();
    let r = w.run(&["reconcile", "resume", &missed2]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("only refund_unresolved rows")
            && r.stderr
                .contains(&format!("paydesk reconcile settle {missed2}")),
        "{}",
        r.stderr
    );
    // On production a row settle refuses wants no confirmation first: it is refused as is.
    let r = w.run(&["--profile", "prod", "reconcile", "settle", &unresolved2]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("only missed_notify and paid_after_close")
            && r.stderr
                .contains(&format!("paydesk reconcile resume {unresolved2}"))
            && !r.stderr.contains("--confirm"),
        "{}",
        r.stderr
    );
    let r = w.run(&["reconcile", "accept", &missed2]);
    r.expect(2);
    assert!(r.stderr.contains("--note"), "{}", r.stderr);
    let r = w.run(&["reconcile", "accept", &missed2, "--note", "  "]);
    r.expect(2);
    assert!(r.stderr.contains("a note is required"), "{}", r.stderr);
    let r = w.run(&["reconcile", "settle", "987654"]);
    r.expect(2);
    assert!(
        r.stderr.contains("discrepancy 987654 not found"),
        "{}",
        r.stderr
    );

    // Settling on production wants the order number typed again.
    let prod_settle = |extra: &[&str]| {
        let mut args = vec!["--profile", "prod", "reconcile", "settle", &missed2];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    let r = prod_settle(&[]);
    r.expect(2);
    assert!(
        r.stderr.contains(&format!("re-run with --confirm {}", p.b))
            && r.stderr.contains("Nothing was changed"),
        "{}",
        r.stderr
    );
    let r = w.run(&[
        "--json",
        "--profile",
        "prod",
        "reconcile",
        "settle",
        &missed2,
    ]);
    r.expect(2);
    let e = r.json();
    assert_eq!(e["error"]["kind"], "confirmation_required");
    assert_eq!(e["error"]["details"]["confirm"], p.b.as_str());
    let r = prod_settle(&["--confirm", &p.a]);
    r.expect(2);
    assert!(r.stderr.contains("does not match"), "{}", r.stderr);
    assert_eq!(p.snapshot(), before, "refused actions change nothing");
    assert_eq!(before["b"]["order"]["order_status"], 0);

    let r = w.run(&[
        "--json",
        "--profile",
        "prod",
        "reconcile",
        "settle",
        &missed2,
        "--confirm",
        &p.b,
    ]);
    r.expect(0);
    let done = r.json();
    assert_eq!(done["changed"], true, "{done:#}");
    assert_eq!(done["row"]["action"], "settled");
    assert_eq!(w.order_state(&p.b)["order"]["order_status"], 1);
    // The refund Paydesk did not know the outcome of: asked again under its own number.
    let r = w.json(0, &["reconcile", "resume", &unresolved2]);
    assert!(
        s(&r["row"]["action"]).starts_with("resumed"),
        "{:#}",
        r["row"]
    );
    assert_eq!(w.json(0, &["refunds"]), Value::Array(vec![]));
    assert_eq!(w.sim_refunds(&p.a), 2, "no second refund");

    // The next run is clean: exit 0.
    let third = w.json(0, &["reconcile", "--date", &d]);
    assert_eq!(third["status"], "clean");
    assert_eq!(third["summary"]["open"], 0);
    assert_eq!(third["summary"]["categories"]["matched"]["count"], 2);
    assert_eq!(third["summary"]["categories"]["refund_matched"]["count"], 2);
    assert_eq!(third["discrepancies"], Value::Array(vec![]));
    let run3 = third["run_id"].to_string();
    let r = w.run(&["reconcile", "--date", &d]);
    r.expect(0);
    assert!(
        r.stdout.contains("CLEAN: nothing unexplained"),
        "{}",
        r.stdout
    );

    // Every run listed, newest first, with its status as of now: the rows of the second were
    // dealt with, the first's were not.
    let runs = w.json(0, &["reconcile", "list"]);
    let listed: Vec<(String, String)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["run_id"].to_string(), s(&r["status"]).to_string()))
        .collect();
    assert_eq!(listed.len(), 4, "{runs:#}");
    assert_eq!(
        listed[1..],
        [
            (run3.clone(), "clean".to_string()),
            (run2.clone(), "clean".to_string()),
            (run1.clone(), "open".to_string()),
        ]
    );
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|r| r["period"] == d.as_str())
    );
    let human = w.run(&["reconcile", "list"]);
    human.expect(0);
    assert_eq!(human.stdout.lines().count(), 4, "{}", human.stdout);

    // The first run against the clean one: both of its discrepancies resolved, nothing new.
    let diff = w.json(0, &["reconcile", "compare", &run1, &run3]);
    let cats = |k: &str| {
        diff[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| s(&x["category"]).to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        cats("resolved"),
        ["missed_notify".to_string(), "refund_unresolved".to_string()].into(),
        "{diff:#}"
    );
    assert!(cats("new").is_empty() && cats("still_open").is_empty());
    let r = w.run(&["reconcile", "compare", &run1, &run3]);
    r.expect(0);
    assert!(r.stdout.contains("resolved: 2"), "{}", r.stdout);
    // Dealt with in the second run counts as resolved too.
    let diff = w.json(0, &["reconcile", "compare", &run1, &run2]);
    assert_eq!(diff["resolved"].as_array().unwrap().len(), 2, "{diff:#}");

    // The second run reopened: the row, what was done, by whom.
    let shown = w.json(0, &["reconcile", "show", &run2]);
    let settled = row(&shown, "missed_notify");
    assert_eq!(settled["action"], "settled");
    assert_eq!(settled["action_by"], OPERATOR);
    assert!(settled["action_time"].is_string());
    assert_eq!(shown["summary"]["open"], 0);
    let r = w.run(&["reconcile", "show", &run2, "--csv", "run2.csv"]);
    r.expect(0);
    assert!(r.stdout.contains("[settled]"), "{}", r.stdout);
    let csv = String::from_utf8(std::fs::read(w.sb.path("run2.csv")).unwrap()).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.lines()
            .any(|l| l.contains(",missed_notify,no,") && l.contains(OPERATOR)),
        "{csv}"
    );
    // The first run still has its rows open: exit 1.
    w.run(&["reconcile", "show", &run1]).expect(1);

    // Settling a row whose order is already paid moves nothing and says so.
    let missed1 = id(row(&first, "missed_notify"));
    let r = w.json(
        0,
        &[
            "--profile",
            "prod",
            "reconcile",
            "settle",
            &missed1,
            "--confirm",
            &p.b,
        ],
    );
    assert_eq!(r["changed"], false, "{r:#}");
    assert!(s(&r["message"]).contains("already settled"), "{r:#}");
    assert_eq!(
        w.sim.ledger().len(),
        before["ledger"].as_u64().unwrap() as usize
    );
    // Settling run 2's settled row again keeps who settled it and when.
    let settled_id = id(settled);
    let again = w.json(
        0,
        &[
            "--profile",
            "prod",
            "reconcile",
            "settle",
            &settled_id,
            "--confirm",
            &p.b,
        ],
    );
    assert_eq!(again["changed"], false, "{again:#}");
    assert_eq!(again["row"]["action"], "settled", "{again:#}");
    assert_eq!(again["row"]["action_time"], settled["action_time"]);
}

#[test]
fn refused_input_stores_nothing() {
    let p = paid_day();
    let w = &p.w;
    let d = p.d();
    let day_before = (p.day - TimeDelta::days(1)).to_string();

    // The day's bill as the merchant portal would give it, then damaged copies.
    w.run(&["bill", "--date", &d, "--out", "bill.zip"])
        .expect(0);
    let bill = std::fs::read(w.sb.path("bill.zip")).unwrap();
    assert!(bill.starts_with(b"PK\x03\x04"));
    std::fs::write(w.sb.path("cut.zip"), &bill[..bill.len() / 2]).unwrap();
    w.sb.write("garbage.zip", "this is not a bill\n");
    // Tomorrow, not today: the CLI reads the clock a moment after the test, maybe past midnight.
    let tomorrow = (beijing_now().date() + TimeDelta::days(1)).to_string();

    let before = p.snapshot();
    assert_eq!(before["runs"], Value::Array(vec![]));
    for (args, says) in [
        (
            vec!["--date", d.as_str(), "--bill", "cut.zip"],
            "damaged or cut short",
        ),
        (
            vec!["--date", d.as_str(), "--bill", "garbage.zip"],
            "no header row",
        ),
        (vec!["--bill", "garbage.zip"], "no header row"),
        (
            vec!["--date", d.as_str(), "--bill", "missing.zip"],
            "missing.zip",
        ),
        (
            vec!["--date", day_before.as_str(), "--bill", "bill.zip"],
            "was asked for",
        ),
        (vec!["--date", "2026-13-01"], "yyyy-MM-dd"),
        (vec!["--date", "2026-10"], "use --month"),
        (vec!["--month", "2026-10-01"], "not a month"),
        (vec![], "give --date"),
        (vec!["--date", tomorrow.as_str()], "no bill for"),
        (
            vec!["--date", d.as_str(), "--csv", "no-such-dir/out.csv"],
            "cannot write",
        ),
        (vec!["--date", d.as_str(), "--csv", "."], "is a directory"),
    ] {
        let mut all = vec!["reconcile"];
        all.extend_from_slice(&args);
        let r = w.run(&all);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    let r = w.run(&["--json", "reconcile", "--date", &d, "--bill", "cut.zip"]);
    r.expect(2);
    let e = r.json();
    assert_eq!(e["error"]["kind"], "invalid_input");
    assert_eq!(e["error"]["exit_code"], 2);
    assert!(
        s(&e["error"]["message"]).contains("download the bill again"),
        "{e}"
    );
    assert!(!w.sb.path("no-such-dir").exists());

    // A day Alipay has no bill for (nothing happened): said so, nothing stored, exit 0.
    let r = w.run(&["reconcile", "--date", &day_before]);
    r.expect(0);
    assert!(
        r.stdout.contains(&format!(
            "no bill for {day_before}: Alipay recorded no trades"
        )),
        "{}",
        r.stdout
    );
    let none = w.json(0, &["reconcile", "--date", &day_before]);
    assert_eq!(none["outcome"], "no_bill");
    assert_eq!(none["period"], day_before.as_str());
    assert_eq!(none["paid_orders"], 0);
    assert_eq!(p.snapshot(), before, "nothing stored, nothing changed");

    // The undamaged file goes through (a run for the day, the file named as its source), and
    // an existing CSV report is only replaced by a run that succeeds.
    w.sb.write("report.csv", "an older report\n");
    let r = w.run(&[
        "--json",
        "reconcile",
        "--date",
        &d,
        "--bill",
        "bill.zip",
        "--csv",
        "report.csv",
    ]);
    r.expect(1);
    let run = r.json();
    assert_eq!(run["bill"]["source"], "bill.zip");
    assert_eq!(run["summary"]["categories"]["missed_notify"]["count"], 1);
    let runs = w.json(0, &["reconcile", "list"]);
    assert_eq!(runs.as_array().unwrap().len(), 1);
    let report = std::fs::read(w.sb.path("report.csv")).unwrap();
    assert!(report.starts_with(b"\xEF\xBB\xBF"));
    w.run(&[
        "reconcile",
        "--date",
        &d,
        "--bill",
        "cut.zip",
        "--csv",
        "report.csv",
    ])
    .expect(2);
    assert_eq!(std::fs::read(w.sb.path("report.csv")).unwrap(), report);
    assert_eq!(w.json(0, &["reconcile", "list"]), runs);
    let leftovers: Vec<_> = std::fs::read_dir(w.sb.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // No bill for a day on which orders were paid here (the demo's, which the simulator never
    // saw): a discrepancy in itself, exit 1.
    w.sim.clock().set(Utc::now());
    let paid_day = (1..30)
        .map(|n| beijing_now().date() - TimeDelta::days(n))
        .find(|day| {
            let start = day.and_time(chrono::NaiveTime::MIN);
            w.int(
                "SELECT COUNT(*) AS v FROM ly_order WHERE order_status = 1 AND pay_type <> 2 \
                 AND real_price > 0 AND pay_time >= ? AND pay_time < ?",
                vec![start.into(), (start + TimeDelta::days(1)).into()],
            ) > 0
        })
        .expect("a demo day with paid orders")
        .to_string();
    let r = w.json(1, &["reconcile", "--date", &paid_day]);
    assert_eq!(r["outcome"], "no_bill", "{r}");
    assert!(r["paid_orders"].as_i64().unwrap() > 0, "{r}");
    assert_eq!(w.json(0, &["reconcile", "list"]), runs);

    // A report to a device is written straight to it (nothing staged beside it).
    w.run(&["reconcile", "--date", &d, "--csv", "/dev/null"])
        .expect(1);
}
