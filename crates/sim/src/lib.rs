//! An offline Alipay gateway (`gateway.do`, v2) on loopback that real clients cannot tell from
//! the real one: signature and parameter checks with Alipay's error codes, the cashier of
//! page/wap pay, return URLs and async notifies, query/refund/refund query/close, the trade bill,
//! fault injection and a clock tests can move.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = sim::Simulator::start(sim::SimConfig::ephemeral()).await?;
//! println!("{} app_id={}", sim.gateway_url(), sim.app_id());
//! sim.stop().await;
//! # Ok(()) }
//! ```

pub mod bill;
mod cashier;
pub mod cli;
pub mod clock;
mod core;
pub mod envelope;
pub mod fault;
mod history;
pub mod keystore;
mod methods;
pub mod notify;
pub mod protocol;
mod server;
pub mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use alipay::{AppIdentity, PrivateKey, PublicKey};
use anyhow::Context as _;
use rust_decimal::Decimal;
use tokio::sync::watch;

pub use cashier::Paid;
pub use clock::SimClock;
pub use fault::{Fault, FaultRule};
pub use history::{HistoricRefund, HistoricTrade, ImportError};
pub use keystore::{Identity, KeyPaths, SimKeys};
pub use notify::NotifyRecord;
pub use protocol::AlipayError;
pub use state::{LedgerEntry, LedgerKind, Refund, Trade, TradeStatus};

use crate::core::{Settings, Sim};
use crate::state::{Persister, State};

/// How to start a simulator. `SimConfig::ephemeral()` is the test default: a free port, keys
/// generated in memory, nothing written to disk.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// 0 = any free port. The server binds 127.0.0.1 only.
    pub port: u16,
    /// Keys and identity are loaded from (or generated into) this directory.
    pub data_dir: Option<PathBuf>,
    /// Trades, ledger, registered apps and the clock offset survive restarts in this file.
    pub state_file: Option<PathBuf>,
    /// The default app's id (default `2021000000000001`, or what the data dir remembers).
    pub app_id: Option<String>,
    /// More apps that may call the gateway.
    pub apps: Vec<(String, PublicKey)>,
    /// Pre-made keys (tests share one pair to avoid generating keys per test). Beats data_dir.
    pub keys: Option<SimKeys>,
    /// Divides Alipay's notify retry schedule (4m, 10m, …, 15h). 1 = real time.
    pub notify_speedup: u32,
    /// How far a request's `timestamp` may be from the simulator clock.
    pub timestamp_tolerance: chrono::Duration,
    /// Alipay's service fee rate, shown in bills (0.6 % by default).
    pub fee_rate: Decimal,
    /// After this, a paid trade becomes TRADE_FINISHED and can no longer be refunded.
    pub refund_window: chrono::Duration,
    /// Alipay's rule that refunds of one trade are at least 3 s apart: a new refund sooner than
    /// this after the trade's previous one (simulator clock) is answered 20000
    /// `ACQ.SYSTEM_ERROR` and changes nothing. Zero turns the rule off (load tests only).
    pub refund_min_interval: chrono::Duration,
    /// An unpaid trade without time_expire/timeout_express closes after this.
    pub default_pay_timeout: chrono::Duration,
    /// Faults active from the start.
    pub faults: Vec<FaultRule>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            data_dir: None,
            state_file: None,
            app_id: None,
            apps: Vec::new(),
            keys: None,
            notify_speedup: 1,
            timestamp_tolerance: chrono::Duration::minutes(10),
            fee_rate: Decimal::new(6, 3),
            refund_window: chrono::Duration::days(365),
            refund_min_interval: chrono::Duration::seconds(3),
            default_pay_timeout: chrono::Duration::days(15),
            faults: Vec::new(),
        }
    }
}

impl SimConfig {
    pub fn ephemeral() -> Self {
        Self::default()
    }
}

pub struct Simulator;

impl Simulator {
    pub async fn start(cfg: SimConfig) -> anyhow::Result<SimHandle> {
        let app_id = cfg.app_id.clone();
        let data_dir = cfg.data_dir.clone();
        let given_keys = cfg.keys.clone();
        // Key generation and file IO are blocking work.
        let (keys, identity, key_paths) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                Ok(match (given_keys, data_dir) {
                    (Some(k), _) => (k, Identity::generate(app_id.as_deref()), None),
                    (None, Some(dir)) => {
                        let (k, id, paths) = keystore::load_or_create(&dir, app_id.as_deref())?;
                        (k, id, Some(paths))
                    }
                    (None, None) => (
                        SimKeys::generate()?,
                        Identity::generate(app_id.as_deref()),
                        None,
                    ),
                })
            })
            .await
            .context("key setup panicked")??;

        let (state, persister) = match &cfg.state_file {
            Some(p) => (State::load(p)?, Some(Persister::new(p.clone()))),
            None => (State::default(), None),
        };
        let mut apps: HashMap<String, PublicKey> = HashMap::new();
        for (id, text) in &state.apps {
            let k = PublicKey::parse(text, &format!("state file app {id}"))?;
            apps.insert(id.clone(), k);
        }
        apps.insert(identity.app_id.clone(), keys.app.public_key().clone());
        for (id, k) in &cfg.apps {
            apps.insert(id.clone(), k.clone());
        }
        let clock = Arc::new(SimClock::with_offset(chrono::Duration::seconds(
            state.clock_offset_secs,
        )));

        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", cfg.port))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");

        let faults = fault::Faults::default();
        for r in &cfg.faults {
            faults.add(r.clone())?;
        }
        // Notifies the last run had not delivered yet; started below, on the remaining schedule.
        let pending = state.pending_notifies.clone();
        let notify_client = notify::http_client()?;
        let rt = tokio::runtime::Handle::current();
        let sim = Arc::new_cyclic(|weak| Sim {
            settings: Settings {
                timestamp_tolerance: cfg.timestamp_tolerance,
                fee_rate: cfg.fee_rate,
                refund_window: cfg.refund_window,
                refund_min_interval: cfg.refund_min_interval,
                default_pay_timeout: cfg.default_pay_timeout,
                bill_url_validity: chrono::Duration::seconds(30),
            },
            keys,
            identity,
            apps: RwLock::new(apps),
            state: Mutex::new(state),
            persister,
            version: AtomicU64::new(0),
            faults,
            clock,
            base_url,
            bills: Mutex::default(),
            notifier: notify::Notifier::new(cfg.notify_speedup, rt, notify_client, weak.clone()),
        });
        for p in pending {
            sim.notifier.start(&sim, p);
        }
        let (tx, rx) = watch::channel(false);
        let server = tokio::spawn(server::serve(listener, server::router(sim.clone()), rx));
        tracing::info!("Alipay simulator on {}/gateway.do", sim.base_url);
        Ok(SimHandle {
            sim,
            addr,
            shutdown: tx,
            server,
            key_paths,
        })
    }
}

/// A running simulator. Dropping it without `stop` leaves the server running until the runtime
/// ends.
pub struct SimHandle {
    sim: Arc<Sim>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    key_paths: Option<KeyPaths>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.sim.base_url
    }

    /// `http://127.0.0.1:PORT/gateway.do`
    pub fn gateway_url(&self) -> String {
        format!("{}/gateway.do", self.sim.base_url)
    }

    pub fn app_id(&self) -> &str {
        &self.sim.identity.app_id
    }

    pub fn seller_id(&self) -> &str {
        &self.sim.identity.seller_id
    }

    pub fn seller_email(&self) -> &str {
        &self.sim.identity.seller_email
    }

    /// The bill account: seller_id + `0156`.
    pub fn account(&self) -> String {
        self.sim.account()
    }

    /// The simulator's "Alipay public key": what merchants verify answers and callbacks with.
    pub fn alipay_public_key(&self) -> &PublicKey {
        self.sim.keys.alipay.public_key()
    }

    /// The default app's private key (in memory; for test clients).
    pub fn app_private_key(&self) -> Arc<PrivateKey> {
        self.sim.keys.app.clone()
    }

    /// The default app as a client would configure it.
    pub fn app_identity(&self) -> AppIdentity {
        AppIdentity::new(self.app_id(), self.app_private_key())
    }

    /// Where the keys live, when started with a data dir.
    pub fn key_paths(&self) -> Option<&KeyPaths> {
        self.key_paths.as_ref()
    }

    pub fn register_app(&self, app_id: &str, app_public_key: PublicKey) {
        self.sim.register_app(app_id, app_public_key.clone());
        let mut st = self.sim.lock();
        st.apps
            .insert(app_id.to_string(), app_public_key.to_one_line());
        self.sim.save(&mut st);
    }

    /// Opens the cashier for a pay link (what a browser does), creating the trade.
    pub fn open_pay_link(&self, link: &str) -> Result<Trade, AlipayError> {
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or(link);
        let req = protocol::RawRequest::decode(Some(query), None);
        let c = protocol::check_common(
            &req,
            |a| self.sim.app_key(a),
            self.sim.now(),
            self.sim.settings.timestamp_tolerance,
        )
        .map_err(|r| r.error)?;
        if c.method != protocol::PAGE_PAY && c.method != protocol::WAP_PAY {
            return Err(AlipayError::invalid(
                "isv.invalid-method",
                format!("{} is not a pay method", c.method),
            ));
        }
        let biz = core::Biz::parse(c.biz_content.as_deref())?;
        self.sim.open_cashier(&c, &biz)
    }

    /// The buyer pays a trade of the default app (its cashier must have been opened). Returns
    /// the signed return URL; the notify is on its way.
    pub fn pay(&self, out_trade_no: &str) -> Result<Paid, AlipayError> {
        self.pay_for(&self.sim.identity.app_id.clone(), out_trade_no)
    }

    pub fn pay_for(&self, app_id: &str, out_trade_no: &str) -> Result<Paid, AlipayError> {
        self.sim.pay(cashier::Which::OutTradeNo {
            app_id,
            out_trade_no,
        })
    }

    /// Records trades of the default app as paid through the cashier at their `gmt_payment`
    /// (TRADE_SUCCESS, buyer, service fee, a ledger payment), so bills for those days list them.
    /// No notify goes out: they are history. Out_trade_nos the app already has are skipped;
    /// returns how many were recorded. The state file is written once, after the batch.
    pub fn import_paid_trades(
        &self,
        trades: impl IntoIterator<Item = HistoricTrade>,
    ) -> Result<usize, ImportError> {
        self.sim.import_paid(trades)
    }

    /// Adds a one-shot fault for `method` (`*`, a gateway method, `notify`, `bill.download`).
    pub fn set_fault(&self, method: &str, fault: Fault) -> Result<(), fault::FaultParseError> {
        self.sim.faults.add(FaultRule::once(method, fault))
    }

    pub fn add_fault(&self, rule: FaultRule) -> Result<(), fault::FaultParseError> {
        self.sim.faults.add(rule)
    }

    pub fn clear_faults(&self) {
        self.sim.faults.clear();
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.sim.faults.list()
    }

    /// The simulator's clock: also usable as the client's clock, so request timestamps follow
    /// when a test moves time.
    pub fn clock(&self) -> Arc<SimClock> {
        self.sim.clock.clone()
    }

    /// Every money movement so far (payments positive, refunds negative).
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.sim.lock().ledger.clone()
    }

    pub fn trade(&self, out_trade_no: &str) -> Option<Trade> {
        let st = self.sim.lock();
        st.by_out_trade_no(self.app_id(), out_trade_no)
            .map(|i| st.trades[i].clone())
    }

    pub fn trades(&self) -> Vec<Trade> {
        self.sim.lock().trades.clone()
    }

    pub fn notifications(&self) -> Vec<NotifyRecord> {
        self.sim.notifier.records()
    }

    /// Stops serving and delivering notifies, and writes the state file one last time; notifies
    /// not yet delivered stay in it, for the next start on the same file.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        // Served requests first (they may schedule notifies), then the delivery tasks: after
        // this nothing but the save below writes the state file.
        let _ = self.server.await;
        self.sim.notifier.stop().await;
        // The clock may have been moved through the library API since the last change.
        let mut st = self.sim.lock();
        self.sim.save(&mut st);
    }
}
