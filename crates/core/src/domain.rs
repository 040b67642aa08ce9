//! The platform's vocabulary as types (parse, don't validate). Choice fields keep values the
//! site may add later (`Unknown(n)`) instead of failing on them.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// 10 credits = ¥1 (the site's `constants.CREDIT_TO_MONEY`).
pub const CREDIT_TO_MONEY: i64 = 10;
/// Unpaid orders time out after 15 minutes (`constants.ORDER_TIMEOUT`).
pub const ORDER_TIMEOUT_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("order number {0:?} is empty")]
    EmptyOrderNumber(String),
    #[error("order number {0:?} must be digits only")]
    OrderNumberNotDigits(String),
    #[error("order number {0:?} is longer than the column's 64 characters")]
    OrderNumberTooLong(String),
    #[error("user id {0} does not fit the order number's 8 digits")]
    UserIdTooLarge(i64),
    #[error("order number counter {0} does not fit 8 digits")]
    CounterTooLarge(i64),
    #[error("coupon sale {0:?} is empty: write -30 (minus ¥30) or *0.88 (pay 88%)")]
    EmptySale(String),
    #[error("coupon sale {0:?} must start with '-' (minus) or '*' (times)")]
    SaleOperator(String),
    #[error("coupon sale {0:?}: {1:?} is not a plain decimal number")]
    SaleNumber(String, String),
    #[error("coupon sale {0:?}: a minus coupon takes a positive amount with at most two decimals")]
    SaleMinusRange(String),
    #[error("coupon sale {0:?}: a times coupon takes a factor strictly between 0 and 1")]
    SaleTimesRange(String),
}

/// A platform order number (`order_number varchar(64)`): digits only. The site makes them as
/// `YYYYMMDD` + 8-digit user id + 8-digit Redis counter; older copies used other digit layouts,
/// so any digit string is accepted when reading.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

impl OrderNumber {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(DomainError::EmptyOrderNumber(s.to_string()));
        }
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::OrderNumberNotDigits(s.to_string()));
        }
        if t.len() > 64 {
            return Err(DomainError::OrderNumberTooLong(s.to_string()));
        }
        Ok(OrderNumber(t.to_string()))
    }

    /// The site's layout: `YYYYMMDD` + `%08d` user id + `%08d` counter (24 digits).
    pub fn generate(date: NaiveDate, user_id: i64, counter: i64) -> Result<Self, DomainError> {
        if !(0..=99_999_999).contains(&user_id) {
            return Err(DomainError::UserIdTooLarge(user_id));
        }
        if !(0..=99_999_999).contains(&counter) {
            return Err(DomainError::CounterTooLarge(counter));
        }
        Ok(OrderNumber(format!(
            "{}{user_id:08}{counter:08}",
            date.format("%Y%m%d")
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        OrderNumber::parse(&s)
    }
}
impl From<OrderNumber> for String {
    fn from(o: OrderNumber) -> String {
        o.0
    }
}
impl FromStr for OrderNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderNumber::parse(s)
    }
}
impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Defines a `smallint` choice enum with an `Unknown(i64)` catch-all, its codes and labels.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "i64", into = "i64")]
        pub enum $name {
            $($variant,)*
            Unknown(i64),
        }

        impl $name {
            pub fn code(self) -> i64 {
                match self {
                    $($name::$variant => $code,)*
                    $name::Unknown(n) => n,
                }
            }
            /// The site's own (Chinese) label.
            pub fn label_zh(self) -> String {
                match self {
                    $($name::$variant => $zh.to_string(),)*
                    $name::Unknown(n) => format!("未知({n})"),
                }
            }
            pub fn label(self) -> String {
                match self {
                    $($name::$variant => $en.to_string(),)*
                    $name::Unknown(n) => format!("unknown ({n})"),
                }
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                match n {
                    $($code => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }
        }
        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.code()
            }
        }
    };
}

choice!(
    /// `ly_order.order_status`. There is no refund status: refunds live in `paydesk_refunds`.
    OrderStatus {
        Unpaid = 0, "未支付", "unpaid";
        Paid = 1, "已支付", "paid";
        Cancelled = 2, "已取消", "cancelled";
        TimedOut = 3, "超时取消", "timed out";
    }
);
choice!(
    /// `ly_order.pay_type` (Django default 1, though only Alipay is implemented by the site).
    PayType {
        Alipay = 0, "支付宝", "Alipay";
        Wechat = 1, "微信", "WeChat";
        Balance = 2, "余额", "balance";
    }
);
choice!(
    /// `fg_credit.operation`. The site writes purchase rows with a POSITIVE number although its
    /// help text says consumption is negative: read ledger rows by operation, not by sign.
    CreditOperation {
        Business = 0, "业务增值", "business";
        Purchase = 1, "购物消费", "purchase";
        Gift = 2, "系统赠送", "gift";
    }
);
choice!(
    /// `ly_coupon.discount`.
    CouponDiscount {
        Minus = 1, "减免", "minus";
        Percent = 2, "折扣", "percent";
    }
);
choice!(
    /// `ly_coupon.coupon_type`.
    CouponType {
        General = 0, "通用类型", "general";
        Direction = 1, "指定方向", "direction";
        Category = 2, "指定分类", "category";
        Course = 3, "指定课程", "course";
    }
);
choice!(
    /// `ly_coupon_log.use_status` (nullable in the table).
    UseStatus {
        Unused = 0, "未使用", "unused";
        Used = 1, "已使用", "used";
        Expired = 2, "已过期", "expired";
    }
);

impl OrderStatus {
    pub const KNOWN: [OrderStatus; 4] = [
        OrderStatus::Unpaid,
        OrderStatus::Paid,
        OrderStatus::Cancelled,
        OrderStatus::TimedOut,
    ];
}

/// A coupon's `sale` formula, parsed exactly (the site does `float(sale[1:])`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CouponSale {
    /// `-30`: ¥30 off.
    Minus(Decimal),
    /// `*0.88`: pay 88 % of the course.
    Times(Decimal),
}

impl CouponSale {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let mut chars = t.chars();
        let op = chars
            .next()
            .ok_or_else(|| DomainError::EmptySale(s.to_string()))?;
        let num = chars.as_str().trim();
        if op != '-' && op != '*' {
            return Err(DomainError::SaleOperator(s.to_string()));
        }
        // Plain digits and one dot only: no exponent, no sign, no spaces inside.
        let plain = !num.is_empty()
            && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && num.bytes().filter(|b| *b == b'.').count() <= 1
            && num != ".";
        if !plain {
            return Err(DomainError::SaleNumber(s.to_string(), num.to_string()));
        }
        let d = Decimal::from_str(num)
            .map_err(|_| DomainError::SaleNumber(s.to_string(), num.to_string()))?;
        match op {
            '-' => {
                if d <= Decimal::ZERO || d.normalize().scale() > 2 {
                    return Err(DomainError::SaleMinusRange(s.to_string()));
                }
                Ok(CouponSale::Minus(d))
            }
            _ => {
                if d <= Decimal::ZERO || d >= Decimal::ONE {
                    return Err(DomainError::SaleTimesRange(s.to_string()));
                }
                Ok(CouponSale::Times(d))
            }
        }
    }
}

impl FromStr for CouponSale {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CouponSale::parse(s)
    }
}

impl fmt::Display for CouponSale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CouponSale::Minus(d) => write!(f, "-{}", d.normalize()),
            CouponSale::Times(d) => write!(f, "*{}", d.normalize()),
        }
    }
}

impl Serialize for CouponSale {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Paydesk's refund record state (`paydesk_refunds.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Recorded before the gateway call; resolved by retrying with the same out_request_no.
    Pending,
    Succeeded,
    Failed,
    /// The gateway's answer was lost or ambiguous; resolved by a refund query.
    Unknown,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Unknown => "unknown",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RefundStatus::Pending),
            "succeeded" => Some(RefundStatus::Succeeded),
            "failed" => Some(RefundStatus::Failed),
            "unknown" => Some(RefundStatus::Unknown),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn sale_formulas_parse_exactly() {
        assert_eq!(
            CouponSale::parse("-30").unwrap(),
            CouponSale::Minus(dec("30"))
        );
        assert_eq!(
            CouponSale::parse("*0.88").unwrap(),
            CouponSale::Times(dec("0.88"))
        );
        assert_eq!(CouponSale::parse(" *0.1 ").unwrap().to_string(), "*0.1");
        assert_eq!(
            CouponSale::parse("-0.01").unwrap(),
            CouponSale::Minus(dec("0.01"))
        );
    }

    #[test]
    fn sale_errors_are_distinct() {
        assert!(matches!(
            CouponSale::parse(""),
            Err(DomainError::EmptySale(_))
        ));
        assert!(matches!(
            CouponSale::parse("30"),
            Err(DomainError::SaleOperator(_))
        ));
        assert!(matches!(
            CouponSale::parse("*"),
            Err(DomainError::SaleNumber(..))
        ));
        assert!(matches!(
            CouponSale::parse("*8e-1"),
            Err(DomainError::SaleNumber(..))
        ));
        assert!(matches!(
            CouponSale::parse("--30"),
            Err(DomainError::SaleNumber(..))
        ));
        assert!(matches!(
            CouponSale::parse("-0"),
            Err(DomainError::SaleMinusRange(_))
        ));
        assert!(matches!(
            CouponSale::parse("-1.005"),
            Err(DomainError::SaleMinusRange(_))
        ));
        assert!(matches!(
            CouponSale::parse("*1"),
            Err(DomainError::SaleTimesRange(_))
        ));
        assert!(matches!(
            CouponSale::parse("*0"),
            Err(DomainError::SaleTimesRange(_))
        ));
    }

    #[test]
    fn order_numbers_follow_the_site_layout() {
        let d = NaiveDate::from_ymd_opt(2022, 7, 12).unwrap();
        assert_eq!(
            OrderNumber::generate(d, 1, 22).unwrap().as_str(),
            "202207120000000100000022"
        );
        assert_eq!(
            OrderNumber::generate(d, 100_000_000, 1),
            Err(DomainError::UserIdTooLarge(100_000_000))
        );
        assert_eq!(
            OrderNumber::generate(d, 1, 100_000_000),
            Err(DomainError::CounterTooLarge(100_000_000))
        );
        assert!(matches!(
            OrderNumber::parse("2022x"),
            Err(DomainError::OrderNumberNotDigits(_))
        ));
        assert!(matches!(
            OrderNumber::parse(" "),
            Err(DomainError::EmptyOrderNumber(_))
        ));
        assert!(matches!(
            OrderNumber::parse(&"1".repeat(65)),
            Err(DomainError::OrderNumberTooLong(_))
        ));
    }

    #[test]
    fn choices_keep_unknown_values() {
        assert_eq!(OrderStatus::from(1), OrderStatus::Paid);
        assert_eq!(OrderStatus::from(7), OrderStatus::Unknown(7));
        assert_eq!(OrderStatus::Unknown(7).code(), 7);
        assert_eq!(OrderStatus::TimedOut.label_zh(), "超时取消");
        assert_eq!(serde_json::to_string(&OrderStatus::Cancelled).unwrap(), "2");
        assert_eq!(
            serde_json::from_str::<UseStatus>("9").unwrap(),
            UseStatus::Unknown(9)
        );
    }
}
