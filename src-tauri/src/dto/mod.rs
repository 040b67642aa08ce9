//! Types that cross IPC, one group per capability. Their TypeScript twins in `ui/src/bindings/`
//! are generated from these (see `bindings.rs`); names follow the contract
//! (`.tmp/APP_CONTRACT.md`) and `ui/src/bindings/README.md`.
//!
//! Conventions: money is a string with two decimals, datetimes are naive Beijing
//! `YYYY-MM-DD HH:MM:SS` strings, integers are TS `number` (generated with ts-rs's large-int type set
//! to `number`: ids and amounts in fen stay far below 2^53).

pub mod audit;
pub mod events;
pub mod grants;
pub mod keys;
pub mod orders;
pub mod policy;
pub mod profiles;
pub mod reconcile;
pub mod refunds;
pub mod revenue;
pub mod verify;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

pub fn time(t: NaiveDateTime) -> String {
    t.format(TIME_FORMAT).to_string()
}

pub fn opt_time(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(time)
}

/// Two decimals always ("1579.00"), as the UI's money helpers expect.
pub fn money(d: Decimal) -> String {
    let mut d = d;
    d.rescale(2);
    d.to_string()
}

/// A date filter `YYYY-MM-DD` → midnight of that day.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDateTime, crate::error::IpcError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
        .map_err(|_| {
            crate::error::IpcError::invalid(format!("{field} {s:?} is not a date (YYYY-MM-DD)"))
        })
}

pub fn parse_money(field: &str, s: &str) -> Result<Decimal, crate::error::IpcError> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|b| *b == b'.').count() <= 1;
    t.parse::<Decimal>().ok().filter(|_| ok).ok_or_else(|| {
        crate::error::IpcError::invalid(format!("{field} {s:?} is not an amount like 99.00"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_always_has_two_decimals() {
        assert_eq!(money(Decimal::new(1579, 0)), "1579.00");
        assert_eq!(money(Decimal::new(15, 1)), "1.50");
        assert_eq!(money(Decimal::new(1, 2)), "0.01");
    }

    #[test]
    fn amounts_are_plain_decimals() {
        assert_eq!(parse_money("min", "12.5").unwrap(), Decimal::new(125, 1));
        for bad in ["", "-1", "1e3", "1,5", "abc"] {
            assert!(parse_money("min", bad).is_err(), "{bad}");
        }
    }
}
