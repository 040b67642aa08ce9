//! Trades, refunds and the ledger of every money movement. In memory; optionally written to a
//! JSON file after each change so a tester's trades survive a restart.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use alipay::{Amount, SignType};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::notify::PendingNotify;
use crate::protocol::Charset;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeStatus {
    WaitBuyerPay,
    TradeClosed,
    TradeSuccess,
    TradeFinished,
}

impl TradeStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::TradeClosed => "TRADE_CLOSED",
            TradeStatus::TradeSuccess => "TRADE_SUCCESS",
            TradeStatus::TradeFinished => "TRADE_FINISHED",
        }
    }

    pub fn is_paid(&self) -> bool {
        matches!(self, TradeStatus::TradeSuccess | TradeStatus::TradeFinished)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    Page,
    Wap,
}

impl Product {
    pub fn method(&self) -> &'static str {
        match self {
            Product::Page => crate::protocol::PAGE_PAY,
            Product::Wap => crate::protocol::WAP_PAY,
        }
    }

    pub fn product_code(&self) -> &'static str {
        match self {
            Product::Page => "FAST_INSTANT_TRADE_PAY",
            Product::Wap => "QUICK_WAP_WAY",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub out_request_no: String,
    pub amount: Decimal,
    pub reason: Option<String>,
    pub gmt_refund: NaiveDateTime,
    /// Service fee Alipay gives back with this refund (shown positive in the bill).
    pub fee_returned: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub trade_no: String,
    pub app_id: String,
    pub out_trade_no: String,
    pub product: Product,
    pub subject: String,
    pub body: Option<String>,
    pub total_amount: Amount,
    pub status: TradeStatus,
    pub gmt_create: NaiveDateTime,
    pub gmt_payment: Option<NaiveDateTime>,
    pub gmt_close: Option<NaiveDateTime>,
    /// When an unpaid trade closes by itself (time_expire / timeout_express).
    pub expires_at: Option<NaiveDateTime>,
    pub buyer_id: Option<String>,
    pub buyer_logon_id: Option<String>,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    /// Returned to the merchant exactly as given (still URL-encoded).
    pub passback_params: Option<String>,
    pub charset: Charset,
    pub sign_type: SignType,
    /// Service fee charged at payment (shown negative in the bill).
    pub fee: Decimal,
    pub refunds: Vec<Refund>,
    /// Proves a cashier form came from the page we rendered.
    pub cashier_token: String,
}

impl Trade {
    pub fn refunded(&self) -> Decimal {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    pub fn refund(&self, out_request_no: &str) -> Option<&Refund> {
        self.refunds
            .iter()
            .find(|r| r.out_request_no == out_request_no)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Payment,
    Refund,
}

/// One money movement. `amount` is signed: payments positive, refunds negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: u64,
    pub at: NaiveDateTime,
    pub kind: LedgerKind,
    pub app_id: String,
    pub trade_no: String,
    pub out_trade_no: String,
    pub out_request_no: Option<String>,
    pub amount: Decimal,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub trades: Vec<Trade>,
    pub ledger: Vec<LedgerEntry>,
    /// Apps registered at run time (app_id → one-line public key), kept across restarts.
    #[serde(default)]
    pub apps: BTreeMap<String, String>,
    #[serde(default)]
    pub clock_offset_secs: i64,
    #[serde(default)]
    pub seq: u64,
    /// Notifies still being delivered: a restart goes on with their schedule, as Alipay keeps
    /// retrying while the merchant (or the simulator) is down.
    #[serde(default)]
    pub pending_notifies: Vec<PendingNotify>,
    #[serde(skip)]
    by_out: HashMap<(String, String), usize>,
    #[serde(skip)]
    by_trade_no: HashMap<String, usize>,
}

impl State {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => anyhow::bail!("cannot read the simulator state {}: {e}", path.display()),
        };
        let mut s: State = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a simulator state file ({e}); move it away to start fresh",
                path.display()
            )
        })?;
        s.reindex();
        Ok(s)
    }

    fn reindex(&mut self) {
        self.by_out.clear();
        self.by_trade_no.clear();
        for (i, t) in self.trades.iter().enumerate() {
            self.by_out
                .insert((t.app_id.clone(), t.out_trade_no.clone()), i);
            self.by_trade_no.insert(t.trade_no.clone(), i);
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn insert(&mut self, t: Trade) -> usize {
        let i = self.trades.len();
        self.by_out
            .insert((t.app_id.clone(), t.out_trade_no.clone()), i);
        self.by_trade_no.insert(t.trade_no.clone(), i);
        self.trades.push(t);
        i
    }

    pub fn by_out_trade_no(&self, app_id: &str, out_trade_no: &str) -> Option<usize> {
        self.by_out
            .get(&(app_id.to_string(), out_trade_no.to_string()))
            .copied()
    }

    /// A trade of `app_id` by trade_no and/or out_trade_no (both given must name the same one).
    pub fn find(
        &self,
        app_id: &str,
        trade_no: Option<&str>,
        out_trade_no: Option<&str>,
    ) -> Option<usize> {
        let i = match (trade_no, out_trade_no) {
            (Some(tn), _) => self.by_trade_no.get(tn).copied()?,
            (None, Some(otn)) => self.by_out_trade_no(app_id, otn)?,
            (None, None) => return None,
        };
        let t = &self.trades[i];
        (t.app_id == app_id && out_trade_no.is_none_or(|o| o == t.out_trade_no)).then_some(i)
    }
}

/// Writes snapshots of the state atomically (temp file + rename), newest wins.
#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    written: std::sync::Mutex<u64>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Persister {
            path,
            written: std::sync::Mutex::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `version` orders snapshots taken under the state lock: an older one never overwrites
    /// a newer one when two writers race.
    pub fn write(&self, version: u64, json: &str) {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if version <= *written {
            return;
        }
        let tmp = self.path.with_extension("json.tmp");
        let res = std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, &self.path));
        match res {
            Ok(()) => *written = version,
            Err(e) => tracing::error!(
                "cannot save the simulator state to {}: {e}",
                self.path.display()
            ),
        }
    }
}
