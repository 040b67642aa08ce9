//! Alipay keeps retrying a notify on its schedule even while the merchant was down: a notify
//! not yet delivered when the simulator stops is in its state file, and a simulator started on
//! that file delivers it on the remaining schedule — signed, once.

mod common;

use std::path::Path;
use std::time::Duration;

use alipay::TradeStatus;
use sim::{SimConfig, SimHandle, Simulator};

use common::*;

/// 100× faster than Alipay: the retry after 4 minutes comes after 2.4 s, time enough to stop
/// the simulator in between.
fn cfg(dir: &Path) -> SimConfig {
    SimConfig {
        keys: Some(keys()),
        state_file: Some(dir.join("state.json")),
        notify_speedup: 100,
        ..SimConfig::ephemeral()
    }
}

fn pending_in_file(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["pending_notifies"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn pay(sim: &SimHandle, otn: &str, notify_url: &str) {
    let mut req = pay_request(otn, "12.34", "重启后的通知");
    req.notify_url = Some(notify_url.to_string());
    open_cashier(&link(sim, &req)).await;
    sim.pay(otn).unwrap();
}

/// Waits until the first notify has `n` attempts (or panics after 10 s).
async fn attempts(sim: &SimHandle, n: usize) {
    for _ in 0..1000 {
        if sim
            .notifications()
            .first()
            .is_some_and(|r| r.attempts.len() >= n)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no attempt {n}: {:?}", sim.notifications());
}

/// Checks a delivered body the way a merchant does, with crates/alipay's verifier.
fn verified(sim: &SimHandle, body: &str, otn: &str) -> String {
    let n = alipay::verify_callback(body, sim.alipay_public_key()).expect("notify verifies");
    assert_eq!(n.get("out_trade_no"), Some(otn));
    assert_eq!(n.trade_status(), Some(TradeStatus::TradeSuccess));
    assert_eq!(n.get("total_amount"), Some("12.34"));
    n.notify_id().unwrap().to_string()
}

#[tokio::test]
async fn a_notify_pending_at_stop_is_delivered_after_a_restart_once() {
    let dir = tempfile::tempdir().unwrap();
    let merchant = NotifyListener::start(0).await;
    let sim = Simulator::start(cfg(dir.path())).await.unwrap();
    // The first attempt does not reach the merchant.
    sim.add_fault("notify:notify-fail=1".parse().unwrap())
        .unwrap();
    pay(&sim, "nr_1", &merchant.url).await;
    attempts(&sim, 1).await;
    let before = sim.notifications()[0].clone();
    assert!(!before.delivered);
    sim.stop().await;

    // The state file has it, due for its second attempt.
    let pending = pending_in_file(dir.path());
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["next_attempt"], 1);
    assert_eq!(pending[0]["record"]["notify_id"], before.notify_id.as_str());
    assert!(merchant.bodies().is_empty());

    let sim = Simulator::start(cfg(dir.path())).await.unwrap();
    let bodies = merchant.wait_for(1).await;
    assert_eq!(verified(&sim, &bodies[0], "nr_1"), before.notify_id);
    let rec = &sim.notifications()[0];
    assert!(rec.delivered);
    assert_eq!(
        rec.attempts.len(),
        2,
        "the attempt before the restart is kept"
    );
    assert!(rec.attempts[0].outcome.contains("notify-fail"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(merchant.bodies().len(), 1, "no more attempts after success");
    sim.stop().await;
    assert!(pending_in_file(dir.path()).is_empty());

    // Delivered is done with: a third start sends nothing.
    let sim = Simulator::start(cfg(dir.path())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sim.notifications().is_empty());
    assert_eq!(merchant.bodies().len(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_merchant_down_at_payment_gets_the_notify_when_both_are_back() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on (yet): the merchant is down.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/notify");
    let sim = Simulator::start(cfg(dir.path())).await.unwrap();
    pay(&sim, "nr_2", &url).await;
    attempts(&sim, 1).await;
    assert!(
        sim.notifications()[0].attempts[0]
            .outcome
            .starts_with("failed")
    );
    sim.stop().await;
    assert_eq!(pending_in_file(dir.path()).len(), 1);

    // The merchant comes back first; a simulator restarted 10× slower still honours the
    // remaining 2.4 s, not a new 4 minutes.
    let merchant = NotifyListener::start_on(port, 0).await;
    let sim = Simulator::start(SimConfig {
        notify_speedup: 10,
        ..cfg(dir.path())
    })
    .await
    .unwrap();
    let bodies = merchant.wait_for(1).await;
    verified(&sim, &bodies[0], "nr_2");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(merchant.bodies().len(), 1);
    assert!(sim.notifications()[0].delivered);
    sim.stop().await;
    assert!(pending_in_file(dir.path()).is_empty());
}
