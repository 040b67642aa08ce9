//! Splitting an amount across parts in proportion to weights, exactly: largest-remainder
//! (Hamilton) rounding in whole units (fen, credits), so the parts always add up to the whole —
//! the per-course figures of an order add up to its `real_price` to the fen, and a report's
//! course rows add up to its total. Integer arithmetic only (i128 products): no float anywhere.

use rust_decimal::Decimal;

/// `total` units split by `weights` (negative weights count as zero). All-zero weights (free
/// courses in a paid order, a bad row) split evenly, so the money still lands somewhere. Ties in
/// the remainders go to the earlier part, so the result is deterministic for a given order.
pub fn split_units(total: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let w: Vec<i128> = if weights.iter().any(|&w| w > 0) {
        weights.iter().map(|&w| i128::from(w.max(0))).collect()
    } else {
        vec![1; weights.len()]
    };
    let sum: i128 = w.iter().sum();
    let negative = total < 0;
    let t = i128::from(total).abs();
    let mut parts: Vec<i128> = w.iter().map(|wi| t * wi / sum).collect();
    let mut left = t - parts.iter().sum::<i128>();
    // Indices by remainder, largest first; a stable sort keeps the earlier part first on a tie.
    let mut by_rest: Vec<usize> = (0..w.len()).collect();
    by_rest.sort_by_key(|&i| std::cmp::Reverse(t * w[i] % sum));
    for &i in &by_rest {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|p| {
            // Each part is at most |total|, which came from an i64.
            let p = i64::try_from(p).unwrap_or(i64::MAX);
            if negative { -p } else { p }
        })
        .collect()
}

/// An amount in yuan as whole fen. Amounts here come from `decimal(10,2)` columns, so they have
/// at most two places; anything finer is rounded half away from zero, as a till would.
pub fn to_fen(m: Decimal) -> i64 {
    let f = (m * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(f.mantissa() / 10i128.pow(f.scale())).unwrap_or(i64::MAX)
}

pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// `amount` split across parts weighted by `weights` (yuan), to the fen.
pub fn split_money(amount: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let w: Vec<i64> = weights.iter().map(|&w| to_fen(w)).collect();
    split_units(to_fen(amount), &w)
        .into_iter()
        .map(from_fen)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn parts_add_up_to_the_whole() {
        // 100.00 over three equal courses: 33.34 + 33.33 + 33.33, not 33.33 × 3 = 99.99.
        let p = split_money(d("100.00"), &[d("10"), d("10"), d("10")]);
        assert_eq!(p, vec![d("33.34"), d("33.33"), d("33.33")]);
        // An order of 2398.00 + 399.50 paid 2697.50 after a ¥100 coupon: proportional, exact.
        let p = split_money(d("2697.50"), &[d("2398.00"), d("399.50")]);
        assert_eq!(p.iter().sum::<Decimal>(), d("2697.50"));
        assert_eq!(p, vec![d("2312.28"), d("385.22")]);
    }

    #[test]
    fn largest_remainder_not_first_come() {
        // 0.05 over weights 1, 3, 6: exact shares 0.5, 1.5, 3 fen → floors 0, 1, 3 (4 fen), and the
        // fifth fen goes to the part with the largest remainder — a tie at 0.5 between the first
        // two, which the earlier one wins.
        assert_eq!(split_units(5, &[1, 3, 6]), vec![1, 1, 3]);
        // Remainders 0.2, 0.4, 0.4 of 7 × (1,2,2)/5 → floors 1, 2, 2 and the two spare units go
        // to the two largest remainders (parts 2 and 3), not to part 1.
        assert_eq!(split_units(7, &[1, 2, 2]), vec![1, 3, 3]);
    }

    #[test]
    fn zero_weights_and_negative_totals() {
        assert_eq!(split_units(10, &[0, 0, 0]), vec![4, 3, 3]);
        assert_eq!(split_units(-10, &[1, 1, 1]), vec![-4, -3, -3]);
        assert_eq!(split_units(0, &[5, 7]), vec![0, 0]);
        assert!(split_units(10, &[]).is_empty());
    }

    #[test]
    fn fen_round_trip() {
        assert_eq!(to_fen(d("399.5")), 39950);
        assert_eq!(to_fen(d("0.01")), 1);
        assert_eq!(from_fen(39950), d("399.50"));
    }
}
