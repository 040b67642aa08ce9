//! The gateway commands end to end: the binary against the offline simulator (crates/sim),
//! started in-process through its library on a free loopback port.

mod common;

use common::Sandbox;
use sim::{Fault, SimConfig, SimHandle, Simulator};

const APP_ID: &str = "2021000000009999";

struct World {
    sb: Sandbox,
    sim: SimHandle,
    // Keeps the simulator's server running while the binary talks to it.
    _rt: tokio::runtime::Runtime,
}

/// A simulator that knows our app (its key from `paydesk keys gen`) and a profile pointing at it.
fn world() -> World {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = SimConfig::ephemeral();
    // The bill test moves the simulator's clock a day ahead; our requests carry real time.
    cfg.timestamp_tolerance = chrono::Duration::days(3);
    let sim = rt.block_on(Simulator::start(cfg)).unwrap();
    let sb = Sandbox::new();
    let app = sb.keys("keys/app");
    sim.register_app(APP_ID, app.public_key().clone());
    sb.write(
        "keys/alipay_public_key.pem",
        &sim.alipay_public_key().to_pem(),
    );
    sb.write(
        "paydesk.toml",
        &format!(
            "[profiles.simulator]\nkind = \"simulator\"\ngateway = \"{}\"\napp_id = \"{APP_ID}\"\n\
             app_private_key = \"keys/app/app_private_key.pem\"\nalipay_public_key = \"keys/alipay_public_key.pem\"\n\
             timeout_secs = 5\n",
            sim.gateway_url()
        ),
    );
    World { sb, sim, _rt: rt }
}

impl World {
    /// A trade opened at the cashier through a link made by `paydesk pay-link`, optionally paid.
    fn trade(&self, out_trade_no: &str, amount: &str, paid: bool) -> Option<String> {
        let r = self.sb.run(&[
            "pay-link",
            "--out-trade-no",
            out_trade_no,
            "--amount",
            amount,
            "--subject",
            "课程 course",
            "--return-url",
            "https://shop.example/alipay/return",
        ]);
        r.expect(0);
        self.sim
            .open_pay_link(r.stdout.trim())
            .expect("the simulator accepts our link");
        paid.then(|| {
            self.sim
                .pay_for(APP_ID, out_trade_no)
                .expect("paid")
                .return_url
                .expect("a return URL")
        })
    }
}

#[test]
fn pay_query_refund_refund_query_close_against_the_simulator() {
    let w = world();
    let return_url = w.trade("CLI0001", "1579.00", true).unwrap();

    // The simulator's signed return URL verifies with its Alipay key (from the profile).
    let v = w.sb.run(&["verify", &return_url]);
    v.expect(0);
    assert!(v.stdout.contains("VALID"), "{}", v.stdout);

    let q = w.sb.run(&["query", "--out-trade-no", "CLI0001"]);
    q.expect(0);
    assert!(q.stdout.contains("TRADE_SUCCESS (paid)"), "{}", q.stdout);
    assert!(q.stdout.contains("1579.00"), "{}", q.stdout);
    let qj = w.sb.run(&["--json", "query", "--out-trade-no", "CLI0001"]);
    qj.expect(0);
    let qj = qj.json();
    assert_eq!(qj["trade_status"], "TRADE_SUCCESS");
    assert_eq!(qj["total_amount"], "1579.00");
    let trade_no = qj["trade_no"].as_str().unwrap().to_string();
    w.sb.run(&["query", "--trade-no", &trade_no]).expect(0);

    // A partial refund, then the same request again: idempotent, no second money movement.
    let args = [
        "--json",
        "refund",
        "--out-trade-no",
        "CLI0001",
        "--amount",
        "100.00",
        "--out-request-no",
        "CLI0001-R1",
        "--reason",
        "test",
    ];
    let r1 = w.sb.run(&args);
    r1.expect(0);
    assert_eq!(r1.json()["fund_change"], true);
    assert_eq!(r1.json()["refund_fee"], "100.00");
    let r2 = w.sb.run(&args);
    r2.expect(0);
    assert_eq!(
        r2.json()["fund_change"],
        false,
        "a repeat must not move money"
    );
    assert_eq!(r2.json()["refund_fee"], "100.00");

    let rq = w.sb.run(&[
        "refund-query",
        "--out-trade-no",
        "CLI0001",
        "--out-request-no",
        "CLI0001-R1",
    ]);
    rq.expect(0);
    assert!(
        rq.stdout.contains("REFUND_SUCCESS (refunded)"),
        "{}",
        rq.stdout
    );

    // Same out_request_no, other amount: a business refusal with its sub_code, exit 1.
    let bad = w.sb.run(&[
        "--json",
        "refund",
        "--out-trade-no",
        "CLI0001",
        "--amount",
        "5.00",
        "--out-request-no",
        "CLI0001-R1",
    ]);
    bad.expect(1);
    assert_eq!(bad.json()["error"]["kind"], "business");
    assert!(
        bad.json()["error"]["details"]["sub_code"]
            .as_str()
            .unwrap()
            .starts_with("ACQ.")
    );

    // Close an unpaid trade; a paid one cannot be closed.
    w.trade("CLI0002", "9.90", false);
    let c = w.sb.run(&["close", "--out-trade-no", "CLI0002"]);
    c.expect(0);
    assert!(c.stdout.contains("closed"), "{}", c.stdout);
    let q2 = w.sb.run(&["query", "--out-trade-no", "CLI0002"]);
    q2.expect(0);
    assert!(
        q2.stdout.contains("TRADE_CLOSED (not paid)"),
        "{}",
        q2.stdout
    );
    let c2 = w.sb.run(&["close", "--out-trade-no", "CLI0001"]);
    c2.expect(1);
    assert!(
        c2.stderr.contains("ACQ.TRADE_STATUS_ERROR"),
        "{}",
        c2.stderr
    );
}

#[test]
fn gateway_errors_are_told_apart() {
    let w = world();
    // No such trade: a signed business refusal with advice.
    let r = w.sb.run(&["query", "--out-trade-no", "NOPE"]);
    r.expect(1);
    assert!(r.stderr.contains("ACQ.TRADE_NOT_EXIST"), "{}", r.stderr);
    assert!(r.stderr.contains("opened the cashier"), "{}", r.stderr);

    // ACQ.SYSTEM_ERROR once, after the refund took effect: the client retries with the same
    // out_request_no, and the answer must not read as "nothing happened".
    w.trade("CLI0100", "1.00", true);
    w.sim
        .set_fault(
            "alipay.trade.refund",
            Fault::SystemError {
                after_state_change: true,
            },
        )
        .unwrap();
    let r = w.sb.run(&[
        "refund",
        "--out-trade-no",
        "CLI0100",
        "--amount",
        "0.50",
        "--out-request-no",
        "CLI0100-R1",
    ]);
    r.expect(0);
    assert!(r.stdout.contains("attempts        2"), "{}", r.stdout);
    assert!(r.stdout.contains("earlier attempt"), "{}", r.stdout);
    assert!(r.stdout.contains("0.50 (cumulative"), "{}", r.stdout);

    // Always ACQ.SYSTEM_ERROR: unknown outcome, never reported as a failure.
    w.sim
        .add_fault(sim::FaultRule::sticky(
            "*",
            Fault::SystemError {
                after_state_change: false,
            },
        ))
        .unwrap();
    let r = w.sb.run(&[
        "--json",
        "refund",
        "--out-trade-no",
        "CLI0100",
        "--amount",
        "0.50",
        "--out-request-no",
        "CLI0100-R2",
    ]);
    r.expect(1);
    let e = &r.json()["error"];
    assert_eq!(e["kind"], "unknown_outcome", "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("UNKNOWN OUTCOME"), "{msg}");
    assert!(msg.contains("SAME --out-request-no CLI0100-R2"), "{msg}");
    let r = w.sb.run(&["query", "--out-trade-no", "CLI0100"]);
    r.expect(1);
    assert!(
        r.stderr
            .contains("UNKNOWN OUTCOME — query again, never assume failure"),
        "{}",
        r.stderr
    );
    w.sim.clear_faults();

    // An answer whose signature does not verify.
    w.sim
        .set_fault("alipay.trade.query", Fault::BadSignature)
        .unwrap();
    let r = w.sb.run(&["--json", "query", "--out-trade-no", "CLI0100"]);
    r.expect(1);
    assert_eq!(r.json()["error"]["kind"], "signature");

    // Nothing listening: transport, exit 1.
    let r = w.sb.run(&[
        "query",
        "--out-trade-no",
        "X",
        "--gateway",
        "http://127.0.0.1:9/gateway.do",
    ]);
    r.expect(1);
    assert!(r.stderr.contains("transport"), "{}", r.stderr);

    // Settings problems are exit 2: the app's own key configured as Alipay's.
    let r = w.sb.run(&[
        "query",
        "--out-trade-no",
        "X",
        "--alipay-public-key",
        "keys/app/app_public_key.pem",
    ]);
    r.expect(2);
    assert!(
        r.stderr.contains("your app's own public key"),
        "{}",
        r.stderr
    );
    // And a production profile wants the trade named again before moving money.
    let conf = std::fs::read_to_string(w.sb.path("paydesk.toml")).unwrap();
    w.sb.write(
        "prod.toml",
        &conf.replace(
            "[profiles.simulator]\nkind = \"simulator\"",
            "[profiles.live]\nkind = \"production\"",
        ),
    );
    let r = w.sb.run(&[
        "--config",
        "prod.toml",
        "--profile",
        "live",
        "refund",
        "--out-trade-no",
        "CLI0100",
        "--amount",
        "1",
        "--out-request-no",
        "R9",
    ]);
    r.expect(2);
    assert!(r.stderr.contains("--confirm CLI0100"), "{}", r.stderr);
    // A confirmation naming another trade is refused too, before anything is sent.
    let wrong = [
        "--config",
        "prod.toml",
        "--profile",
        "live",
        "close",
        "--out-trade-no",
        "CLI0100",
        "--confirm",
        "CLI0101",
    ];
    let r = w.sb.run(&wrong);
    r.expect(2);
    assert!(r.stderr.contains("does not match"), "{}", r.stderr);
}

#[test]
fn bill_downloads_a_zip() {
    let w = world();
    w.trade("CLI0200", "12.34", true);
    let trade = w
        .sim
        .trades()
        .into_iter()
        .find(|t| t.out_trade_no == "CLI0200")
        .unwrap();
    let day = trade.gmt_create.date();
    w.sim.clock().advance(chrono::Duration::days(1));
    let date = day.format("%Y-%m-%d").to_string();
    let r =
        w.sb.run(&["--json", "bill", "--date", &date, "--out", "bills/day.zip"]);
    r.expect(0);
    assert_eq!(r.json()["is_zip"], true);
    let zip = std::fs::read(w.sb.path("bills/day.zip")).unwrap();
    assert!(zip.starts_with(b"PK\x03\x04"));
    // Today's bill does not exist yet: Alipay refuses, exit 1.
    let today = (day + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    w.sb.run(&["bill", "--date", &today]).expect(1);
    // A malformed date never reaches the gateway.
    let r = w.sb.run(&["bill", "--date", "2026/11/23"]);
    r.expect(2);
    assert!(r.stderr.contains("yyyy-MM-dd"), "{}", r.stderr);
}
