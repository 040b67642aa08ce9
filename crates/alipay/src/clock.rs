//! One clock for Alipay timestamps. Alipay reads `timestamp` as GMT+8 whatever the machine's zone
//! (the Python and Node SDKs use local time, a known trap), so formatting pins the offset here.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

/// Beijing time. China has had no daylight saving since 1991, so a fixed offset is exact.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

pub trait Clock: Send + Sync {
    fn now_utc(&self) -> DateTime<Utc>;

    /// Now as naive Beijing time (the platform's `USE_TZ=False` datetimes).
    fn now_beijing(&self) -> NaiveDateTime {
        self.now_utc().with_timezone(&beijing()).naive_local()
    }

    /// `yyyy-MM-dd HH:mm:ss` in GMT+8, as the `timestamp` request parameter.
    fn alipay_timestamp(&self) -> String {
        self.now_beijing().format(TIMESTAMP_FORMAT).to_string()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set and move.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    /// A clock at the given Beijing wall time, e.g. `"2026-11-24 10:00:00"`.
    pub fn at_beijing(s: &str) -> Option<Self> {
        let naive = NaiveDateTime::parse_from_str(s, TIMESTAMP_FORMAT).ok()?;
        let local = naive.and_local_timezone(beijing()).single()?;
        Some(Self::new(local.with_timezone(&Utc)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *g += by;
    }
}

impl Clock for FixedClock {
    fn now_utc(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Parses an Alipay/platform `yyyy-MM-dd HH:mm:ss` Beijing time.
pub fn parse_beijing(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), TIMESTAMP_FORMAT).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_gmt8_regardless_of_utc_instant() {
        let c = FixedClock::new("2026-11-24T18:30:05Z".parse().unwrap());
        assert_eq!(c.alipay_timestamp(), "2026-11-25 02:30:05");
        let c = FixedClock::at_beijing("2022-07-12 12:50:02").unwrap();
        assert_eq!(c.alipay_timestamp(), "2022-07-12 12:50:02");
    }
}
