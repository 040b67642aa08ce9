//! Per-course rows: each paid order's figures split across its courses by their `real_price`.
//! Sums are kept in whole fen (and whole credits) while millions of lines stream past, and
//! turned into money once at the end.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::RevenueLine;
use super::split::{from_fen, split_units, to_fen};
use crate::Store;
use crate::domain::CREDIT_TO_MONEY;
use crate::error::Result;
use crate::queries::revenue::{self as q, PaidLine};

#[derive(Default)]
struct Acc {
    orders: i64,
    payments: i64,
    credits: i64,
    credit_fen: i64,
    coupon_fen: i64,
    refunds: i64,
    refund_count: i64,
}

#[derive(Default)]
struct Sums(HashMap<Option<i64>, Acc>);

impl Sums {
    /// One order's lines (all of the same order, in line order).
    fn add_order(&mut self, lines: &[PaidLine]) {
        let Some(first) = lines.first() else { return };
        let courses: Vec<Option<i64>> = lines.iter().map(|l| l.course_id).collect();
        let weights: Vec<i64> = lines.iter().map(|l| to_fen(l.line_real_price)).collect();
        let paid = to_fen(first.order_real_price);
        let credit_fen = first.order_credits * (100 / CREDIT_TO_MONEY);
        let coupon_fen = to_fen(first.order_list_price) - paid - credit_fen;
        let shares = [
            split_units(paid, &weights),
            split_units(first.order_credits, &weights),
            split_units(credit_fen, &weights),
            split_units(coupon_fen, &weights),
        ];
        for (i, c) in courses.iter().enumerate() {
            let a = self.0.entry(*c).or_default();
            // A course listed twice in one order still counts that order once.
            if !courses[..i].contains(c) {
                a.orders += 1;
            }
            a.payments += shares[0][i];
            a.credits += shares[1][i];
            a.credit_fen += shares[2][i];
            a.coupon_fen += shares[3][i];
        }
    }

    fn add_refund(&mut self, amount: Decimal, lines: &[(Option<i64>, i64)]) {
        let courses: Vec<Option<i64>> = lines.iter().map(|l| l.0).collect();
        let weights: Vec<i64> = lines.iter().map(|l| l.1).collect();
        let shares = split_units(to_fen(amount), &weights);
        for (i, c) in courses.iter().enumerate() {
            let a = self.0.entry(*c).or_default();
            a.refunds += shares[i];
            if !courses[..i].contains(c) {
                a.refund_count += 1;
            }
        }
    }
}

pub(super) async fn rows(
    store: &Store,
    start: NaiveDateTime,
    end: NaiveDateTime,
    refunds: &[q::SucceededRefund],
    refund_lines: &[(i64, i64, Decimal)],
) -> Result<Vec<RevenueLine>> {
    let mut sums = Sums::default();
    let mut order: Vec<PaidLine> = Vec::new();
    q::stream_paid_lines(store, start, end, |line| {
        if order.first().is_some_and(|l| l.order_id != line.order_id) {
            sums.add_order(&order);
            order.clear();
        }
        order.push(line);
        Ok(())
    })
    .await?;
    sums.add_order(&order);

    let mut by_order: HashMap<i64, Vec<(Option<i64>, i64)>> = HashMap::new();
    for (oid, cid, rp) in refund_lines {
        by_order
            .entry(*oid)
            .or_default()
            .push((Some(*cid), to_fen(*rp)));
    }
    for r in refunds {
        // A refund of an order whose lines are gone still counts, on the "no course" row.
        let lines = by_order
            .get(&r.order_id)
            .cloned()
            .unwrap_or_else(|| vec![(None, 1)]);
        sums.add_refund(r.amount, &lines);
    }

    let mut rows: Vec<RevenueLine> = sums
        .0
        .into_iter()
        .map(|(course, a)| {
            let mut l = RevenueLine {
                key: course.map(|c| c.to_string()).unwrap_or_default(),
                course_id: course,
                orders: a.orders,
                payments: from_fen(a.payments),
                refunds: from_fen(a.refunds),
                refund_count: a.refund_count,
                credits: a.credits,
                credit_discount: from_fen(a.credit_fen),
                coupon_discount: from_fen(a.coupon_fen),
                ..RevenueLine::default()
            };
            l.finish();
            l
        })
        .collect();
    // The ranking: most money first.
    rows.sort_by(|a, b| b.net.cmp(&a.net).then(a.course_id.cmp(&b.course_id)));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(order: i64, paid: &str, list: &str, credits: i64, course: i64, rp: &str) -> PaidLine {
        PaidLine {
            order_id: order,
            order_real_price: paid.parse().unwrap(),
            order_list_price: list.parse().unwrap(),
            order_credits: credits,
            course_id: Some(course),
            line_real_price: rp.parse().unwrap(),
        }
    }

    #[test]
    fn an_order_splits_exactly_across_its_courses() {
        let mut s = Sums::default();
        // 3 courses of 100.00; a ¥10 coupon and 50 credits (¥5): paid 285.00.
        s.add_order(&[
            line(1, "285.00", "300.00", 50, 7, "100.00"),
            line(1, "285.00", "300.00", 50, 8, "100.00"),
            line(1, "285.00", "300.00", 50, 9, "100.00"),
        ]);
        let pay: i64 = s.0.values().map(|a| a.payments).sum();
        assert_eq!(pay, 28500);
        assert_eq!(s.0[&Some(7)].payments, 9500);
        assert_eq!(s.0.values().map(|a| a.credits).sum::<i64>(), 50);
        assert_eq!(s.0[&Some(7)].credits, 17);
        assert_eq!(s.0.values().map(|a| a.coupon_fen).sum::<i64>(), 1000);
        assert_eq!(s.0.values().map(|a| a.credit_fen).sum::<i64>(), 500);
        s.add_refund("0.10".parse().unwrap(), &[(Some(7), 1), (Some(8), 2)]);
        assert_eq!(s.0[&Some(7)].refunds, 3);
        assert_eq!(s.0[&Some(8)].refunds, 7);
        assert_eq!(s.0[&Some(8)].refund_count, 1);
    }
}
