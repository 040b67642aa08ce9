//! Amounts as Alipay takes them: yuan with exactly two decimals, 0.01 – 100000000.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// An amount of money in yuan, exact, at most two decimals, within Alipay's range.
/// Rendered always with two decimals (`1579.00`), as Alipay signs and sends it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount {0:?} is not a number: write yuan with up to two decimals, e.g. 1579.00")]
    NotANumber(String),
    #[error("amount {0} has more than two decimals: Alipay takes yuan with at most two (fen)")]
    TooPrecise(String),
    #[error("amount {0} is out of Alipay's range 0.01 – 100000000.00")]
    OutOfRange(String),
}

impl Amount {
    pub const MIN: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
    pub const MAX: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 0);

    /// Checks precision and Alipay's range.
    pub fn new(value: Decimal) -> Result<Self, AmountError> {
        if value.normalize().scale() > 2 {
            return Err(AmountError::TooPrecise(value.to_string()));
        }
        if value < Self::MIN || value > Self::MAX {
            return Err(AmountError::OutOfRange(value.to_string()));
        }
        let mut v = value;
        v.rescale(2);
        Ok(Amount(v))
    }

    /// A non-negative amount that may be zero (refund totals, cumulative fees): same rules but
    /// 0.00 allowed.
    pub fn zero_or_more(value: Decimal) -> Result<Decimal, AmountError> {
        if value.normalize().scale() > 2 {
            return Err(AmountError::TooPrecise(value.to_string()));
        }
        if value.is_sign_negative() && !value.is_zero() || value > Self::MAX {
            return Err(AmountError::OutOfRange(value.to_string()));
        }
        let mut v = value;
        v.rescale(2);
        Ok(v)
    }

    pub fn value(&self) -> Decimal {
        self.0
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        // Decimal::from_str accepts things like "1e3" only via from_scientific; plain digits here.
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(AmountError::NotANumber(s.to_string()));
        }
        let d = Decimal::from_str(t).map_err(|_| AmountError::NotANumber(s.to_string()))?;
        Amount::new(d)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({self})")
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_two_decimals() {
        assert_eq!("1579".parse::<Amount>().unwrap().to_string(), "1579.00");
        assert_eq!("0.1".parse::<Amount>().unwrap().to_string(), "0.10");
        assert_eq!(
            "100000000".parse::<Amount>().unwrap().to_string(),
            "100000000.00"
        );
    }

    #[test]
    fn rejects_bad_amounts_with_reasons() {
        assert!(matches!(
            "0".parse::<Amount>(),
            Err(AmountError::OutOfRange(_))
        ));
        assert!(matches!(
            "0.001".parse::<Amount>(),
            Err(AmountError::TooPrecise(_))
        ));
        assert!(matches!(
            "100000000.01".parse::<Amount>(),
            Err(AmountError::OutOfRange(_))
        ));
        assert!(matches!(
            "-1".parse::<Amount>(),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            "1e3".parse::<Amount>(),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            "".parse::<Amount>(),
            Err(AmountError::NotANumber(_))
        ));
        // Trailing zeros beyond two places are still exact fen.
        assert_eq!("12.3400".parse::<Amount>().unwrap().to_string(), "12.34");
    }
}
