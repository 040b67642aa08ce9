//! The simulator's clock: the system clock plus an offset that tests (and testers) move, so a bill
//! for "yesterday" exists without waiting a day while time still flows between requests (the
//! 30-second bill URL, notify timestamps, expiring trades).

use std::sync::Mutex;

use alipay::Clock;
use alipay::clock::{TIMESTAMP_FORMAT, beijing};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

#[derive(Debug, Default)]
pub struct SimClock {
    offset: Mutex<Duration>,
}

impl SimClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_offset(offset: Duration) -> Self {
        SimClock {
            offset: Mutex::new(offset),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        *self.lock() += by;
    }

    /// Makes "now" the given instant; time keeps flowing from there.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at - Utc::now();
    }

    /// `set` from a Beijing wall time `yyyy-MM-dd HH:mm:ss`.
    pub fn set_beijing(&self, s: &str) -> Result<(), String> {
        let naive = NaiveDateTime::parse_from_str(s.trim(), TIMESTAMP_FORMAT)
            .map_err(|_| format!("{s:?} is not a Beijing time like 2026-11-25 10:00:00"))?;
        let at = naive
            .and_local_timezone(beijing())
            .single()
            .ok_or_else(|| format!("{s:?} is not a valid Beijing time"))?;
        self.set(at.with_timezone(&Utc));
        Ok(())
    }

    pub fn offset(&self) -> Duration {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Duration> {
        self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for SimClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_beijing_time_by_a_day() {
        let c = SimClock::new();
        let before = c.now_beijing();
        c.advance(Duration::days(1));
        let moved = c.now_beijing() - before;
        assert!(moved >= Duration::days(1) && moved < Duration::days(1) + Duration::seconds(5));
    }

    #[test]
    fn set_beijing_pins_now_and_rejects_garbage() {
        let c = SimClock::new();
        c.set_beijing("2026-11-25 10:00:00").unwrap();
        assert!(c.alipay_timestamp().starts_with("2026-11-25 10:00:0"));
        assert!(c.set_beijing("25/11/2026").is_err());
    }
}
