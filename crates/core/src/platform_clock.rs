//! How the platform stores datetimes. The course's settings use `USE_TZ=False` (naive Beijing
//! time); a copy left on Django's default `USE_TZ=True` stores naive UTC in the same columns,
//! eight hours "behind". Read wrong, `expire` cancels orders seconds old and every time Paydesk
//! writes is eight hours off, so the profile may say which (`use_tz`), and when it does not the
//! newest rows tell, where they can.

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::db::{Query, Store};
use crate::error::Result;
use crate::schema;

/// Where the answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockSource {
    /// `use_tz` in the profile.
    Profile,
    /// The newest rows of the database.
    Detected,
    /// Nothing told: the course's own setting, Beijing time.
    Default,
}

/// What `db check` shows about the platform's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockReport {
    /// true: naive UTC (`USE_TZ=True`); false: naive Beijing time.
    pub use_tz: bool,
    pub source: ClockSource,
    /// What the rows suggest, when they suggest anything.
    pub detected: Option<bool>,
    /// The newest datetime found, as stored, and where.
    pub evidence: Option<String>,
    /// Set when the profile says one thing and the rows clearly the other.
    pub warning: Option<String>,
}

impl ClockReport {
    /// What the profile alone says, when there are no rows to look at.
    pub fn from_profile(use_tz: Option<bool>) -> ClockReport {
        ClockReport {
            use_tz: use_tz.unwrap_or(false),
            source: if use_tz.is_some() {
                ClockSource::Profile
            } else {
                ClockSource::Default
            },
            detected: None,
            evidence: None,
            warning: None,
        }
    }

    pub fn describe(&self) -> String {
        let how = if self.use_tz {
            "naive UTC (Django USE_TZ=True)"
        } else {
            "naive Beijing time (USE_TZ=False)"
        };
        let source = match self.source {
            ClockSource::Profile => "set by use_tz in the profile",
            ClockSource::Detected => {
                "detected from the newest rows; set use_tz in the profile to fix it"
            }
            ClockSource::Default => {
                "the course's default: the rows do not tell; set use_tz in the profile to be sure"
            }
        };
        let mut s = format!("{how}, {source}");
        if let Some(e) = &self.evidence {
            s.push_str(&format!(" [{e}]"));
        }
        s
    }
}

/// How far apart clocks may be and still count as "now" (a server's clock is rarely exact).
const SLACK_MINUTES: i64 = 10;

/// The newest datetime the site wrote: Django's own migrations record and the newest orders
/// (by id, so no index on created_time is needed). Read as stored.
async fn newest_written(store: &Store) -> Result<Option<(NaiveDateTime, String)>> {
    let mut found: Vec<(NaiveDateTime, String)> = Vec::new();
    let mut tx = store.begin_read().await?;
    if schema::table_exists(store, "django_migrations").await? {
        let r = tx
            .fetch_optional(Query::new(
                "SELECT applied AS t FROM django_migrations ORDER BY id DESC LIMIT 1",
            ))
            .await?;
        if let Some(t) = r.map(|r| r.opt_time("t")).transpose()?.flatten() {
            found.push((t, "django_migrations.applied".into()));
        }
    }
    let n = store.names();
    let q = Query::new(format!(
        "SELECT MAX(t) AS t FROM (SELECT created_time AS t FROM {} ORDER BY id DESC LIMIT 50) x",
        n.order
    ));
    if let Some(t) = tx
        .fetch_optional(q)
        .await?
        .map(|r| r.opt_time("t"))
        .transpose()?
        .flatten()
    {
        found.push((t, format!("{}.created_time", store.config().tables.order)));
    }
    tx.rollback().await?;
    Ok(found.into_iter().max_by_key(|(t, _)| *t))
}

/// What the rows say: `Some(false)` when the newest one lies in the future for a UTC clock (it
/// can only be Beijing time); `Some(true)` when it was written within minutes of now in UTC
/// (as Beijing time it would have to be exactly eight hours old); `None` otherwise.
fn judge(newest: NaiveDateTime, now_utc: NaiveDateTime) -> Option<bool> {
    let slack = TimeDelta::minutes(SLACK_MINUTES);
    if newest > now_utc + slack {
        Some(false)
    } else if newest >= now_utc - slack {
        Some(true)
    } else {
        None
    }
}

/// Decides the platform's clock (the profile first, then the rows) and sets it on the store.
/// Must run before anything else reads times from this store: detection reads them as stored.
pub async fn settle_clock(store: &Store) -> Result<ClockReport> {
    let configured = store.config().use_tz;
    store.set_platform_utc(false);
    let newest = newest_written(store).await?;
    let now_utc = store.clock().now_utc().naive_utc();
    let detected = newest.as_ref().and_then(|(t, _)| judge(*t, now_utc));
    let secs = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let evidence =
        newest.map(|(t, where_)| format!("newest {where_} {}, now {} UTC", secs(t), secs(now_utc)));
    let (use_tz, source) = match (configured, detected) {
        (Some(v), _) => (v, ClockSource::Profile),
        (None, Some(v)) => (v, ClockSource::Detected),
        (None, None) => (false, ClockSource::Default),
    };
    let warning = match (configured, detected) {
        (Some(c), Some(d)) if c != d => Some(format!(
            "the profile says use_tz = {c}, but the newest rows look like {}: check the site's USE_TZ",
            if d { "UTC" } else { "Beijing time" }
        )),
        _ => None,
    };
    store.set_platform_utc(use_tz);
    Ok(ClockReport {
        use_tz,
        source,
        detected,
        evidence,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn only_clear_evidence_decides() {
        let now = t("2026-12-02 12:00:00");
        // Written a minute ago in Beijing time: 8 h ahead of UTC, only Beijing time explains it.
        assert_eq!(judge(t("2026-12-02 19:59:00"), now), Some(false));
        // Written a minute ago in UTC.
        assert_eq!(judge(t("2026-12-02 11:59:00"), now), Some(true));
        // Three hours "ago" in UTC, or eleven in Beijing time: nothing tells.
        assert_eq!(judge(t("2026-12-02 09:00:00"), now), None);
    }
}
