//! The site's order pricing (orders/serializers.py `create`), exactly, in Decimal.
//!
//! - each course costs its activity price when it has one (`real_price` of the order course),
//!   else its price; the order's `total_price` is the sum of those (the site stores
//!   `order.total_price = real_price`, i.e. after activity prices);
//! - a coupon must be within its validity and the order must reach its `condition`; a minus
//!   coupon (`-30`) takes its amount off the order; a times coupon (`*0.88`) takes
//!   `price × (1 − 0.88)` off the single most expensive course WITHOUT an activity price (on a tie
//!   the later course wins, as the site's `>=` does), rounded to the fen half-to-even as Django's
//!   DecimalField quantizes;
//! - credits: at most the user's balance and at most the sum of the courses' credit caps; each
//!   `CREDIT_TO_MONEY` (10) credits take ¥1 off;
//! - the site overwrites the coupon discount with the credit discount when both are used (a bug
//!   that charges the customer the coupon); Paydesk applies both, as the page shows the customer;
//! - Alipay needs at least ¥0.01, so an order priced below that is refused.

use chrono::NaiveDateTime;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::domain::{CREDIT_TO_MONEY, CouponSale};

#[derive(Debug, Clone)]
pub struct CourseToPrice {
    pub course_id: i64,
    pub name: String,
    pub price: Decimal,
    /// Activity price (from the site's activity tables), if the course is in an activity.
    pub activity_price: Option<Decimal>,
    /// The activity's name (`discount_name`), empty without one.
    pub discount_name: String,
    /// `course.credit`: most credits this course absorbs (None/0: none).
    pub credit_cap: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
pub struct CouponToApply {
    pub sale: CouponSale,
    /// Minimum order amount, in yuan (the site's integer `condition`).
    pub condition: i64,
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct PricedLine {
    pub course_id: i64,
    pub name: String,
    pub price: Decimal,
    pub real_price: Decimal,
    pub discount_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Priced {
    pub lines: Vec<PricedLine>,
    /// Σ line real prices (what the site stores as total_price).
    pub total_price: Decimal,
    pub coupon_discount: Decimal,
    pub credits_used: i64,
    pub credit_discount: Decimal,
    /// What the customer pays (`ly_order.real_price`).
    pub real_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("an order needs at least one course")]
    NoCourses,
    #[error("course {0} is in the order twice")]
    DuplicateCourse(i64),
    #[error("course {0} has a negative or over-precise price")]
    BadPrice(i64),
    #[error("the coupon is not valid before {0}")]
    CouponNotYetValid(NaiveDateTime),
    #[error("the coupon expired at {0}")]
    CouponExpired(NaiveDateTime),
    #[error("the order total {total} does not reach the coupon's condition of {condition}")]
    CouponCondition { condition: i64, total: Decimal },
    #[error("a percent coupon needs a course without an activity price, and every course has one")]
    CouponNoEligibleCourse,
    #[error("credits cannot be negative ({0})")]
    NegativeCredits(i64),
    #[error("{used} credits exceed the user's balance of {balance}")]
    CreditsAboveBalance { used: i64, balance: i64 },
    #[error("{used} credits exceed what these courses accept ({cap})")]
    CreditsAboveCap { used: i64, cap: i64 },
    #[error("the discounts bring the order to {0}, below Alipay's minimum of 0.01")]
    BelowMinimum(Decimal),
}

pub fn price_order(
    courses: &[CourseToPrice],
    coupon: Option<&CouponToApply>,
    credits: i64,
    user_credit: i64,
    at: NaiveDateTime,
) -> Result<Priced, PricingError> {
    if courses.is_empty() {
        return Err(PricingError::NoCourses);
    }
    let mut lines = Vec::with_capacity(courses.len());
    let mut total = Decimal::ZERO;
    let mut best: Option<&CourseToPrice> = None;
    let mut cap = 0i64;
    for (i, c) in courses.iter().enumerate() {
        if courses[..i].iter().any(|p| p.course_id == c.course_id) {
            return Err(PricingError::DuplicateCourse(c.course_id));
        }
        let real = c.activity_price.unwrap_or(c.price);
        for p in [c.price, real] {
            if p.is_sign_negative() || p.normalize().scale() > 2 {
                return Err(PricingError::BadPrice(c.course_id));
            }
        }
        total += real;
        if c.activity_price.is_none() && best.is_none_or(|b| c.price >= b.price) {
            best = Some(c);
        }
        cap += c.credit_cap.unwrap_or(0).max(0);
        lines.push(PricedLine {
            course_id: c.course_id,
            name: c.name.clone(),
            price: c.price,
            real_price: real,
            discount_name: c.discount_name.clone(),
        });
    }

    let coupon_discount = match coupon {
        None => Decimal::ZERO,
        Some(cp) => {
            if at < cp.start_time {
                return Err(PricingError::CouponNotYetValid(cp.start_time));
            }
            if at >= cp.end_time {
                return Err(PricingError::CouponExpired(cp.end_time));
            }
            if total < Decimal::from(cp.condition) {
                return Err(PricingError::CouponCondition {
                    condition: cp.condition,
                    total,
                });
            }
            match cp.sale {
                CouponSale::Minus(m) => m,
                CouponSale::Times(f) => {
                    let c = best.ok_or(PricingError::CouponNoEligibleCourse)?;
                    (c.price * (Decimal::ONE - f))
                        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
                }
            }
        }
    };

    if credits < 0 {
        return Err(PricingError::NegativeCredits(credits));
    }
    if credits > user_credit {
        return Err(PricingError::CreditsAboveBalance {
            used: credits,
            balance: user_credit,
        });
    }
    if credits > cap {
        return Err(PricingError::CreditsAboveCap { used: credits, cap });
    }
    let credit_discount = Decimal::from(credits) / Decimal::from(CREDIT_TO_MONEY);

    let mut real_price = total - coupon_discount - credit_discount;
    if real_price < Decimal::new(1, 2) {
        return Err(PricingError::BelowMinimum(real_price));
    }
    real_price.rescale(2);
    let mut total_price = total;
    total_price.rescale(2);
    Ok(Priced {
        lines,
        total_price,
        coupon_discount,
        credits_used: credits,
        credit_discount,
        real_price,
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }
    fn course(id: i64, price: &str, activity: Option<&str>, cap: i64) -> CourseToPrice {
        CourseToPrice {
            course_id: id,
            name: format!("c{id}"),
            price: d(price),
            activity_price: activity.map(d),
            discount_name: if activity.is_some() {
                "限时折扣".into()
            } else {
                String::new()
            },
            credit_cap: Some(cap),
        }
    }
    fn coupon(sale: &str, condition: i64) -> CouponToApply {
        CouponToApply {
            sale: CouponSale::parse(sale).unwrap(),
            condition,
            start_time: t("2026-01-01 00:00:00"),
            end_time: t("2027-01-01 00:00:00"),
        }
    }
    const AT: &str = "2026-06-01 12:00:00";

    #[test]
    fn times_coupon_hits_the_most_expensive_course_without_activity() {
        let cs = [
            course(1, "1579.00", None, 0),
            course(2, "2999.00", Some("1999.00"), 0),
            course(3, "899.90", None, 0),
        ];
        let p = price_order(&cs, Some(&coupon("*0.88", 100)), 0, 0, t(AT)).unwrap();
        assert_eq!(p.total_price, d("4477.90"));
        assert_eq!(p.coupon_discount, d("189.48")); // 1579.00 × 0.12
        assert_eq!(p.real_price, d("4288.42"));
    }

    #[test]
    fn fen_rounding_is_half_even_and_exact() {
        // 99.99 × 0.12 = 11.9988 → 12.00; 0.125 style midpoints go to even.
        let p = price_order(
            &[course(1, "99.99", None, 0)],
            Some(&coupon("*0.88", 0)),
            0,
            0,
            t(AT),
        )
        .unwrap();
        assert_eq!(p.coupon_discount, d("12.00"));
        assert_eq!(p.real_price, d("87.99"));
        let p = price_order(
            &[course(1, "0.25", None, 0)],
            Some(&coupon("*0.5", 0)),
            0,
            0,
            t(AT),
        )
        .unwrap();
        assert_eq!(p.coupon_discount, d("0.12")); // 0.125 → 0.12 (half to even)
    }

    #[test]
    fn minus_coupon_and_credits_add_up() {
        let cs = [course(1, "0.10", None, 0), course(2, "300.20", None, 500)];
        let p = price_order(&cs, Some(&coupon("-30", 300)), 255, 1000, t(AT)).unwrap();
        assert_eq!(p.total_price, d("300.30"));
        assert_eq!(p.credit_discount, d("25.5"));
        assert_eq!(p.real_price, d("244.80"));
    }

    #[test]
    fn each_refusal_is_distinct() {
        let cs = [course(1, "100.00", Some("80.00"), 100)];
        let at = t(AT);
        assert_eq!(
            price_order(&[], None, 0, 0, at).unwrap_err(),
            PricingError::NoCourses
        );
        assert_eq!(
            price_order(&cs, Some(&coupon("*0.9", 0)), 0, 0, at).unwrap_err(),
            PricingError::CouponNoEligibleCourse
        );
        assert!(matches!(
            price_order(&cs, Some(&coupon("-30", 100)), 0, 0, at),
            Err(PricingError::CouponCondition { .. })
        ));
        assert!(matches!(
            price_order(&cs, Some(&coupon("-30", 0)), 0, 0, t("2025-01-01 00:00:00")),
            Err(PricingError::CouponNotYetValid(_))
        ));
        assert!(matches!(
            price_order(&cs, Some(&coupon("-30", 0)), 0, 0, t("2027-01-01 00:00:00")),
            Err(PricingError::CouponExpired(_))
        ));
        assert!(matches!(
            price_order(&cs, None, 50, 40, at),
            Err(PricingError::CreditsAboveBalance { .. })
        ));
        assert!(matches!(
            price_order(&cs, None, 150, 400, at),
            Err(PricingError::CreditsAboveCap { .. })
        ));
        assert!(matches!(
            price_order(&cs, None, -1, 400, at),
            Err(PricingError::NegativeCredits(-1))
        ));
        assert!(matches!(
            price_order(&cs, Some(&coupon("-80", 0)), 0, 0, at),
            Err(PricingError::BelowMinimum(_))
        ));
        assert!(matches!(
            price_order(
                &[course(1, "1.00", None, 0), course(1, "1.00", None, 0)],
                None,
                0,
                0,
                at
            ),
            Err(PricingError::DuplicateCourse(1))
        ));
    }
}
