//! Forty operators refund one order at the same moment, each with its own `paydesk` process, on
//! the test MariaDB (row locks and a unique refund key are what keep it to one refund there).
//! Exactly one refund happens; every other process exits 1 with a sentence that says another
//! refund is being made or that nothing is left, and none shows the database's own text.

mod common;

use std::sync::Arc;

use alipay::SystemClock;
use common::world::{s, world_on};
use paydesk_core::db::Val;
use paydesk_core::{OpenMode, Store, StoreConfig};
use sim::SimConfig;

const OPERATORS: usize = 40;

fn mariadb() -> Option<(String, String, String)> {
    let base = std::env::var("PAYDESK_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "mysql://paydesk:paydesk-test@127.0.0.1:33306/paydesk_test".into());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin = match rt.block_on(Store::connect(
        &StoreConfig::new(base.clone()),
        Arc::new(SystemClock),
        OpenMode::MustExist,
    )) {
        Ok(a) => a,
        Err(e) if std::env::var("PAYDESK_REQUIRE_MYSQL").is_err() => {
            eprintln!(
                "skipped: MariaDB at {base} is not reachable ({e}); scripts/mariadb.sh start"
            );
            return None;
        }
        Err(e) => panic!("MariaDB at {base} is not reachable ({e}): run scripts/mariadb.sh start"),
    };
    let name = format!(
        "race_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    rt.block_on(admin.execute_raw(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4")))
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    Some((format!("{head}/{name}"), base.clone(), name))
}

#[test]
fn forty_concurrent_refunds_of_one_order_make_one_refund_and_thirty_nine_conflicts() {
    let Some((url, base, name)) = mariadb() else {
        return;
    };
    let w = world_on(SimConfig::ephemeral(), Some(url));

    // A paid order: made as the site makes it, paid at the simulator's cashier, settled.
    let user = w.ints("SELECT id AS v FROM fg_users ORDER BY id LIMIT 1", vec![])[0];
    let course = w.ints(
        "SELECT id AS v FROM fg_course_info WHERE is_deleted = 0 AND id NOT IN \
         (SELECT course_id FROM ly_user_course WHERE user_id = ?) ORDER BY id LIMIT 1",
        vec![Val::I64(user)],
    )[0];
    let made = w.test_order(user, &[course], 0, None);
    let number = s(&made["order"]["order_number"]).to_string();
    w.open_cashier(&number);
    let return_url = w.sim.pay(&number).unwrap().return_url.unwrap();
    w.json(0, &["settle", &return_url]);

    // Alipay takes its time over the refund, so the forty processes overlap with it for sure.
    w.sim
        .add_fault(sim::FaultRule::sticky(
            "alipay.trade.refund",
            sim::Fault::Latency(std::time::Duration::from_millis(1500)),
        ))
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_paydesk");
    let config = w.sb.p("paydesk.toml");
    let children: Vec<_> = (0..OPERATORS)
        .map(|i| {
            std::process::Command::new(bin)
                .args(["--config", &config, "refund", &number, "--reason"])
                .arg(format!("operator {i}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    // Exit 0 is the refund itself, or — for a process that started after it had finished — the
    // idempotent answer a repeat gets ("fully refunded already: nothing to do").
    let stdout = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
    let ok: Vec<_> = outs.iter().filter(|o| o.status.code() == Some(0)).collect();
    let made = ok
        .iter()
        .filter(|o| !stdout(o).contains("fully refunded already"))
        .count();
    assert_eq!(
        made,
        1,
        "exactly one refund: {:?}",
        ok.iter().map(|o| stdout(o)).collect::<Vec<_>>()
    );
    assert_eq!(w.sim_refunds(&number), 1, "Alipay refunded once");
    let refunds = w.ints(
        "SELECT COUNT(*) AS v FROM paydesk_refunds WHERE order_number = ?",
        vec![Val::Str(number.clone())],
    );
    assert_eq!(refunds, vec![1], "one refund row");
    let lost = outs.len() - ok.len();
    eprintln!(
        "{} refund, {} idempotent repeats, {lost} lost races",
        made,
        ok.len() - made
    );
    assert!(
        lost > 0,
        "the processes overlapped with the refund: some lost the race"
    );
    for o in outs.iter().filter(|o| o.status.code() != Some(0)) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "a lost race is exit 1: {err}");
        for driver in [
            "Duplicate entry",
            "1062",
            "INSERT INTO",
            "database error",
            "Deadlock",
        ] {
            assert!(!err.contains(driver), "driver text shown: {err}");
        }
        assert!(
            err.contains("another refund of")
                || err.contains("nothing left to refund")
                || err.contains("someone else changed the same record")
                || err.contains("already"),
            "a sentence an operator can act on: {err}"
        );
    }

    drop(w);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let admin = Store::connect(
            &StoreConfig::new(base),
            Arc::new(SystemClock),
            OpenMode::MustExist,
        )
        .await
        .unwrap();
        admin
            .execute_raw(&format!("DROP DATABASE `{name}`"))
            .await
            .unwrap();
    });
}
