//! The simulator's shared state and the helpers every handler uses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use alipay::{Clock, PublicKey};
use chrono::{Duration, NaiveDateTime};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::bill::BillFile;
use crate::clock::SimClock;
use crate::fault::Faults;
use crate::keystore::{Identity, SimKeys};
use crate::notify::Notifier;
use crate::protocol::AlipayError;
use crate::state::{Persister, State, Trade, TradeStatus};

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub timestamp_tolerance: Duration,
    pub fee_rate: Decimal,
    pub refund_window: Duration,
    /// Least time between two refunds of one trade (zero: no such rule).
    pub refund_min_interval: Duration,
    pub default_pay_timeout: Duration,
    pub bill_url_validity: Duration,
}

pub(crate) struct Sim {
    pub settings: Settings,
    pub keys: SimKeys,
    pub identity: Identity,
    pub apps: RwLock<HashMap<String, PublicKey>>,
    pub state: Mutex<State>,
    pub persister: Option<Persister>,
    pub version: AtomicU64,
    pub faults: Faults,
    pub clock: Arc<SimClock>,
    pub base_url: String,
    pub bills: Mutex<HashMap<String, BillFile>>,
    pub notifier: Notifier,
}

impl Sim {
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now_beijing()
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn app_key(&self, app_id: &str) -> Option<PublicKey> {
        self.apps
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(app_id)
            .cloned()
    }

    pub fn register_app(&self, app_id: &str, key: PublicKey) {
        self.apps
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(app_id.to_string(), key);
    }

    /// Writes the state file after a change. Runs under the state lock so snapshots are taken
    /// in order; the write itself is small and only happens on changes, never on queries.
    pub fn save(&self, st: &mut State) {
        let Some(p) = &self.persister else { return };
        st.clock_offset_secs = self.clock.offset().num_seconds();
        let version = self.version.fetch_add(1, Ordering::Relaxed) + 1;
        match serde_json::to_string_pretty(&*st) {
            Ok(json) => p.write(version, &json),
            Err(e) => tracing::error!("cannot serialise the simulator state: {e}"),
        }
    }

    /// Applies the passage of time to a trade: an unpaid trade closes at its deadline, a paid
    /// one becomes TRADE_FINISHED when its refund window ends. Returns whether it changed.
    pub fn age(&self, t: &mut Trade, now: NaiveDateTime) -> bool {
        match t.status {
            TradeStatus::WaitBuyerPay => match t.expires_at {
                Some(at) if at <= now => {
                    t.status = TradeStatus::TradeClosed;
                    t.gmt_close = Some(at);
                    true
                }
                _ => false,
            },
            TradeStatus::TradeSuccess => match t.gmt_payment {
                Some(p) if p + self.settings.refund_window <= now => {
                    t.status = TradeStatus::TradeFinished;
                    true
                }
                _ => false,
            },
            TradeStatus::TradeClosed | TradeStatus::TradeFinished => false,
        }
    }

    /// 28 digits like Alipay's: `yyyyMMdd` + 20 digits (`22` + 18 more; the tail carries a
    /// sequence number so two trades never share one).
    pub fn new_trade_no(&self, st: &mut State, now: NaiveDateTime) -> String {
        let seq = st.next_seq();
        format!(
            "{}2200{:07}{:09}",
            now.format("%Y%m%d"),
            rand::random_range(0..10_000_000u32),
            seq % 1_000_000_000
        )
    }

    /// Service fee on an amount, rounded to the fen as Alipay does (half away from zero).
    pub fn fee(&self, amount: Decimal) -> Decimal {
        (amount * self.settings.fee_rate)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    /// The account number in bills: the seller id with Alipay's `0156` (CNY account) suffix.
    pub fn account(&self) -> String {
        format!("{}0156", self.identity.seller_id)
    }
}

/// Two decimals, as every amount in Alipay's answers.
pub(crate) fn money(d: Decimal) -> String {
    let mut v = d;
    v.rescale(2);
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v.to_string()
}

pub(crate) fn ts(t: NaiveDateTime) -> String {
    t.format(alipay::clock::TIMESTAMP_FORMAT).to_string()
}

/// `biz_content` as Alipay reads it.
pub(crate) struct Biz(serde_json::Map<String, Value>);

impl Biz {
    pub fn parse(s: Option<&str>) -> Result<Self, AlipayError> {
        match s {
            None => Ok(Biz(serde_json::Map::new())),
            Some(s) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => Ok(Biz(m)),
                _ => Err(AlipayError::bad_param("biz_content 不是合法的 JSON 对象")),
            },
        }
    }

    /// A string field (numbers are taken as their text, as Alipay tolerates them); empty = absent.
    pub fn get(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn require(&self, k: &str) -> Result<String, AlipayError> {
        self.get(k)
            .ok_or_else(|| AlipayError::bad_param(format!("{k} 不能为空")))
    }

    /// `trade_no` and/or `out_trade_no`; at least one.
    pub fn trade_ref(&self) -> Result<(Option<String>, Option<String>), AlipayError> {
        let tn = self.get("trade_no");
        let otn = self.get("out_trade_no");
        if tn.is_none() && otn.is_none() {
            return Err(AlipayError::bad_param(
                "out_trade_no 和 trade_no 不能同时为空",
            ));
        }
        Ok((tn, otn))
    }
}

/// A positive amount with at most two decimals, or `ACQ.INVALID_PARAMETER` naming the field.
pub(crate) fn parse_amount(field: &str, s: &str) -> Result<Decimal, AlipayError> {
    s.parse::<alipay::Amount>()
        .map(|a| a.value())
        .map_err(|e| AlipayError::bad_param(format!("{field}={s}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_always_has_two_decimals_and_no_negative_zero() {
        assert_eq!(money(Decimal::new(1, 2)), "0.01");
        assert_eq!(money(Decimal::new(5, 0)), "5.00");
        assert_eq!(money(Decimal::new(-4, 2)), "-0.04");
        assert_eq!(money(-Decimal::ZERO), "0.00");
    }

    #[test]
    fn biz_reads_strings_and_numbers() {
        let b = Biz::parse(Some(r#"{"total_amount":0.01,"subject":"书","body":""}"#)).unwrap();
        assert_eq!(b.get("total_amount").as_deref(), Some("0.01"));
        assert_eq!(b.get("subject").as_deref(), Some("书"));
        assert_eq!(b.get("body"), None);
        assert!(Biz::parse(Some("[1]")).is_err());
        assert_eq!(b.trade_ref().unwrap_err().sub_code, "ACQ.INVALID_PARAMETER");
    }
}
