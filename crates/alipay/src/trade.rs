//! Trade vocabulary shared by callbacks and the gateway client: trade and refund statuses, and
//! how a trade is referred to.

use std::fmt;
use std::str::FromStr;

use chrono::Timelike as _;
use rust_decimal::Decimal;

use crate::money::{Amount, AmountError};

/// An Alipay time, naive Beijing: `yyyy-MM-dd HH:mm:ss`, or with milliseconds as notifies send
/// `gmt_refund` (`2015-04-28 15:45:57.320`).
pub(crate) fn parse_time(s: &str) -> Option<chrono::NaiveDateTime> {
    // chrono lets whitespace through; a signed value with stray spaces is not Alipay's format.
    if s.len() < 19 || s.trim() != s || s.contains("  ") {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            (w, Some(f))
        }
        Some(_) => return None,
        None => (s, None),
    };
    let t = chrono::NaiveDateTime::parse_from_str(whole, crate::clock::TIMESTAMP_FORMAT).ok()?;
    match frac {
        None => Some(t),
        Some(f) => {
            let nanos: u32 = format!("{f:0<9}").parse().ok()?;
            t.with_nanosecond(nanos)
        }
    }
}

/// A money string from Alipay (`"1579.00"`, `"0"`): plain digits, exact, at most two decimals,
/// not negative. Anything else is refused, never rounded.
pub(crate) fn parse_money(s: &str) -> Result<Decimal, AmountError> {
    let bad = || AmountError::NotANumber(s.to_string());
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    if int.is_empty() || frac.is_empty() {
        return Err(bad());
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let d = Decimal::from_str(s).map_err(|_| bad())?;
    Amount::zero_or_more(d)
}

/// `trade_status`. Unknown values are kept, never mapped to a known one: a status Alipay adds
/// later must not be mistaken for "paid" (or "unpaid").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TradeStatus {
    WaitBuyerPay,
    /// Closed unpaid, or fully refunded.
    TradeClosed,
    /// Paid and still refundable.
    TradeSuccess,
    /// Paid, no longer refundable.
    TradeFinished,
    Unknown(String),
}

impl TradeStatus {
    pub fn parse(s: &str) -> TradeStatus {
        match s {
            "WAIT_BUYER_PAY" => TradeStatus::WaitBuyerPay,
            "TRADE_CLOSED" => TradeStatus::TradeClosed,
            "TRADE_SUCCESS" => TradeStatus::TradeSuccess,
            "TRADE_FINISHED" => TradeStatus::TradeFinished,
            other => TradeStatus::Unknown(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
            TradeStatus::TradeClosed => "TRADE_CLOSED",
            TradeStatus::TradeSuccess => "TRADE_SUCCESS",
            TradeStatus::TradeFinished => "TRADE_FINISHED",
            TradeStatus::Unknown(s) => s,
        }
    }

    /// Money was received: only TRADE_SUCCESS and TRADE_FINISHED mean that.
    pub fn is_paid(&self) -> bool {
        matches!(self, TradeStatus::TradeSuccess | TradeStatus::TradeFinished)
    }
}

impl fmt::Display for TradeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for TradeStatus {
    fn from(s: &str) -> Self {
        TradeStatus::parse(s)
    }
}

impl serde::Serialize for TradeStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TradeStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(TradeStatus::parse(&s))
    }
}

/// `refund_status` of `alipay.trade.fastpay.refund.query`. Alipay omits it while the refund is
/// unknown to it or failed, so "absent" is its own state (an `Option` at the use site).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    RefundSuccess,
    Unknown(String),
}

impl RefundStatus {
    pub fn parse(s: &str) -> RefundStatus {
        match s {
            "REFUND_SUCCESS" => RefundStatus::RefundSuccess,
            other => RefundStatus::Unknown(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RefundStatus::RefundSuccess => "REFUND_SUCCESS",
            RefundStatus::Unknown(s) => s,
        }
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RefundStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which trade a server call is about: our order number or Alipay's trade number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TradeRef {
    /// `out_trade_no`: the platform's `order_number`.
    OutTradeNo(String),
    /// `trade_no`: Alipay's 28-digit number.
    TradeNo(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TradeRefError {
    #[error("{0} is empty: give the order number (out_trade_no) or Alipay's trade_no")]
    Empty(&'static str),
    #[error("{field} is {len} characters; Alipay allows at most 64")]
    TooLong { field: &'static str, len: usize },
    #[error(
        "{field} {value:?} contains whitespace or control characters: copy it again without them"
    )]
    BadCharacters { field: &'static str, value: String },
}

impl TradeRef {
    /// The biz_content key this reference is sent under.
    pub fn key(&self) -> &'static str {
        match self {
            TradeRef::OutTradeNo(_) => "out_trade_no",
            TradeRef::TradeNo(_) => "trade_no",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            TradeRef::OutTradeNo(v) | TradeRef::TradeNo(v) => v,
        }
    }

    /// Refuses what Alipay would refuse anyway, before a signed request is spent on it.
    pub fn validate(&self) -> Result<(), TradeRefError> {
        let (field, v) = (self.key(), self.value());
        if v.is_empty() {
            return Err(TradeRefError::Empty(field));
        }
        if v.chars().count() > 64 {
            return Err(TradeRefError::TooLong {
                field,
                len: v.chars().count(),
            });
        }
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TradeRefError::BadCharacters {
                field,
                value: v.to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for TradeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key(), self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_success_and_finished_are_paid() {
        let all = [
            "WAIT_BUYER_PAY",
            "TRADE_CLOSED",
            "TRADE_SUCCESS",
            "TRADE_FINISHED",
            "TRADE_PENDING",
            "",
        ];
        let paid: Vec<_> = all
            .iter()
            .filter(|s| TradeStatus::parse(s).is_paid())
            .collect();
        assert_eq!(paid, [&"TRADE_SUCCESS", &"TRADE_FINISHED"]);
        for s in all {
            assert_eq!(TradeStatus::parse(s).as_str(), s, "round trip");
        }
        assert_eq!(
            TradeStatus::parse("trade_success"),
            TradeStatus::Unknown("trade_success".into())
        );
    }

    #[test]
    fn status_serde_is_the_wire_string() {
        let s: TradeStatus = serde_json::from_str("\"NEW_STATE\"").unwrap();
        assert_eq!(s, TradeStatus::Unknown("NEW_STATE".into()));
        assert_eq!(
            serde_json::to_string(&TradeStatus::TradeSuccess).unwrap(),
            "\"TRADE_SUCCESS\""
        );
    }

    #[test]
    fn money_is_exact_or_refused() {
        assert_eq!(parse_money("1579.00").unwrap().to_string(), "1579.00");
        assert_eq!(parse_money("0").unwrap().to_string(), "0.00");
        assert_eq!(parse_money("0.1").unwrap().to_string(), "0.10");
        assert!(matches!(
            parse_money("0.001"),
            Err(AmountError::TooPrecise(_))
        ));
        for bad in [
            "", "-1.00", "+1", "1e3", "1.", ".5", "1,00", " 1.00", "1.0.0", "NaN",
        ] {
            assert!(
                matches!(parse_money(bad), Err(AmountError::NotANumber(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn times_with_and_without_milliseconds() {
        assert_eq!(
            parse_time("2022-07-12 12:50:02").unwrap().to_string(),
            "2022-07-12 12:50:02"
        );
        assert_eq!(
            parse_time("2015-04-28 15:45:57.320").unwrap().to_string(),
            "2015-04-28 15:45:57.320"
        );
        for bad in [
            "2022-07-12",
            "2022-07-12 12:50:02.",
            "2022-07-12 12:50:02.x",
            "2022/07/12 12:50:02",
            " 2022-07-12 12:50:02",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn trade_ref_validation() {
        assert!(
            TradeRef::OutTradeNo("202207120000000100000022".into())
                .validate()
                .is_ok()
        );
        assert_eq!(
            TradeRef::TradeNo(String::new()).validate(),
            Err(TradeRefError::Empty("trade_no"))
        );
        assert!(matches!(
            TradeRef::OutTradeNo("x".repeat(65)).validate(),
            Err(TradeRefError::TooLong { len: 65, .. })
        ));
        assert!(matches!(
            TradeRef::OutTradeNo("2022 07".into()).validate(),
            Err(TradeRefError::BadCharacters { .. })
        ));
    }
}
