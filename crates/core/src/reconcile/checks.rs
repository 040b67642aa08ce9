//! Checks on a payment that already agrees with its order: the service fee Alipay took, and
//! whether the order was paid here on another day than Alipay completed it (a payment near
//! midnight, a settle days late) — which the run records, so that day's run knows the bill of
//! this one listed it and does not report it missing.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use crate::db::fen_to_money;

/// The default rate of Alipay's 电脑网站支付 / 手机网站支付: 0.6 %.
pub const DEFAULT_FEE_RATE: Decimal = Decimal::from_parts(6, 0, 0, false, 3);

/// A fee rate as an exact fraction, so a million fees are integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeeRate {
    rate: Decimal,
    num: i128,
    den: i128,
}

impl FeeRate {
    /// `None` for a negative rate or one of more than 100 %: a typo, not a rate.
    pub fn new(rate: Decimal) -> Option<FeeRate> {
        if rate.is_sign_negative() || rate > Decimal::ONE {
            return None;
        }
        Some(FeeRate {
            rate,
            num: rate.mantissa(),
            den: 10i128.pow(rate.scale()),
        })
    }

    /// A rate as written in the profile: `0.006`, `0.6%`.
    pub fn parse(s: &str) -> Option<FeeRate> {
        let t = s.trim();
        let r = match t.strip_suffix('%') {
            Some(p) => p.trim().parse::<Decimal>().ok()? / Decimal::ONE_HUNDRED,
            None => t.parse::<Decimal>().ok()?,
        };
        FeeRate::new(r.normalize())
    }

    pub fn rate(self) -> Decimal {
        self.rate
    }

    /// The fee on `amount_fen`, in fen, rounded to the fen half away from zero — as Alipay's
    /// bills show it (0.6 % of 0.01 is 0.00; of 0.25, 0.0015 → 0.00; of 0.75, 0.0045 → 0.00;
    /// of 1.25, 0.0075 → 0.01).
    pub fn fee_fen(self, amount_fen: i64) -> i64 {
        let q = i128::from(amount_fen.unsigned_abs()) * self.num;
        let f = (2 * q + self.den) / (2 * self.den);
        let f = i64::try_from(f).unwrap_or(i64::MAX);
        if amount_fen < 0 { -f } else { f }
    }

    /// What is wrong with a payment's 服务费 (`fee_fen`, negative when charged) on `amount_fen`,
    /// or `None` when it is what the rate says.
    pub fn check(self, amount_fen: i64, fee_fen: i64) -> Option<String> {
        let want = -self.fee_fen(amount_fen);
        (fee_fen != want).then(|| {
            format!(
                "Alipay's 服务费 is {} on {}; at the profile's fee rate {} it is {}: check the \
                 rate in the contract (fee_rate in the profile) or ask Alipay",
                fen_to_money(fee_fen),
                fen_to_money(amount_fen),
                self.rate,
                fen_to_money(want),
            )
        })
    }
}

/// The message of a payment that agrees with its order but was paid here on another day.
pub fn cross_day_message(finished: NaiveDateTime, pay_time: Option<NaiveDateTime>) -> String {
    match pay_time {
        Some(t) => format!(
            "matched: Alipay completed it at {finished}, paid here at {t} (another day); kept so \
             the run of that day knows this bill listed it"
        ),
        None => format!("matched: Alipay completed it at {finished}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_half_away_from_zero() {
        let r = FeeRate::new(DEFAULT_FEE_RATE).unwrap();
        assert_eq!(r.fee_fen(1), 0);
        assert_eq!(r.fee_fen(125), 1); // 0.0075
        assert_eq!(r.fee_fen(75), 0); // 0.0045
        assert_eq!(r.fee_fen(25_000), 150); // 250.00 → 1.50
        assert_eq!(r.fee_fen(239_800), 1439); // 2398.00 → 14.388
        assert_eq!(r.fee_fen(8_333), 50); // 83.33 → 0.49998
        assert_eq!(r.fee_fen(-125), -1);
        assert!(r.check(239_800, -1439).is_none());
        let m = r.check(239_800, -1438).unwrap();
        assert!(m.contains("-14.38") && m.contains("-14.39"), "{m}");
    }

    #[test]
    fn rates_as_people_write_them() {
        assert_eq!(FeeRate::parse("0.6%").unwrap().rate(), DEFAULT_FEE_RATE);
        assert_eq!(FeeRate::parse("0.006").unwrap().rate(), DEFAULT_FEE_RATE);
        assert_eq!(FeeRate::parse(" 0.38 % ").unwrap().fee_fen(10_000), 38);
        assert!(FeeRate::parse("-1%").is_none());
        assert!(FeeRate::parse("six").is_none());
        assert!(FeeRate::parse("150%").is_none());
    }
}
