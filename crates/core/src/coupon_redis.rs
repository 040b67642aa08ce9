//! The site's coupon Redis. The site lists a user's coupons only from there (one hash per issued
//! coupon at `{user_id}:{coupon_log_id}` in DB 5, expiring at the coupon's end), and removes the
//! hash when an order takes the coupon. So a coupon Paydesk gives back (close, expire) is written
//! back exactly as the site's own code writes it, and one that a late settle uses again is
//! removed. Redis comes after the database: its commit stands whatever Redis does; a failed
//! write-back is retried briefly and then reported in the operation's result, never hidden.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::config::redact_url;
use crate::db::Store;
use crate::rows::{CouponLogRow, CouponRow};

/// What happened in the site's Redis, for the operation's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RedisWriteBack {
    /// Hash keys written (or removed), `{user_id}:{coupon_log_id}`.
    pub keys: Vec<String>,
    /// Set when the site will not show a coupon as it should: no Redis configured, an expired
    /// coupon, or Redis failing. Says what to do.
    pub note: Option<String>,
}

const ATTEMPTS: u32 = 3;
const TIMEOUT: Duration = Duration::from_secs(2);

fn key(log: &CouponLogRow) -> String {
    format!("{}:{}", log.user_id, log.id)
}

/// `get_get_type_display()`: ly_coupon.get_type has no enum of its own in Paydesk. Like Django,
/// an unknown code shows as itself.
fn get_type_label(code: i64) -> &'static str {
    match code {
        0 => "系统赠送",
        1 => "自行领取",
        _ => "",
    }
}

/// Django's `get_*_display()`: the label, or the value itself when it is not a known choice.
fn display(known: bool, label: String, code: i64) -> String {
    if known { label } else { code.to_string() }
}

/// The hash fields of the site's `add_coupon_to_redis`. Times are formatted as the site's ORM
/// hands them over (so UTC on a `USE_TZ=True` site). The direction/category/course lists come
/// from relation tables Paydesk does not read: empty lists, as on a site without them.
pub fn coupon_hash(store: &Store, coupon: &CouponRow) -> Vec<(&'static str, String)> {
    let fmt = |t: NaiveDateTime| store.to_stored(t).format("%Y-%m-%d %H:%M:%S").to_string();
    use crate::domain::{CouponDiscount, CouponType};
    let discount = coupon.discount.code();
    let coupon_type = coupon.coupon_type.code();
    let get_type = match get_type_label(coupon.get_type) {
        "" => coupon.get_type.to_string(),
        l => l.to_string(),
    };
    vec![
        ("coupon_id", coupon.id.to_string()),
        ("name", coupon.base.name.clone().unwrap_or_default()),
        ("discount", discount.to_string()),
        (
            "get_discount_display",
            display(
                !matches!(coupon.discount, CouponDiscount::Unknown(_)),
                coupon.discount.label_zh(),
                discount,
            ),
        ),
        ("coupon_type", coupon_type.to_string()),
        (
            "get_coupon_type_display",
            display(
                !matches!(coupon.coupon_type, CouponType::Unknown(_)),
                coupon.coupon_type.label_zh(),
                coupon_type,
            ),
        ),
        ("start_time", fmt(coupon.start_time)),
        ("end_time", fmt(coupon.end_time)),
        ("get_type", coupon.get_type.to_string()),
        ("get_get_type_display", get_type),
        ("condition", coupon.condition.to_string()),
        ("sale", coupon.sale.clone()),
        ("to_direction", "[]".into()),
        ("to_category", "[]".into()),
        ("to_course", "[]".into()),
    ]
}

/// Unix time of a Beijing time (UTC+8 all year).
fn unix(beijing: NaiveDateTime) -> i64 {
    (beijing - TimeDelta::hours(8)).and_utc().timestamp()
}

async fn run(url: &str, pipe: &redis::Pipeline) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        let step = async {
            let mut con = client
                .get_multiplexed_async_connection()
                .await
                .map_err(|e| e.to_string())?;
            pipe.query_async::<()>(&mut con)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(TIMEOUT, step).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = e,
            Err(_) => last = format!("no answer within {} s", TIMEOUT.as_secs()),
        }
    }
    Err(last)
}

fn list(logs: &[String]) -> String {
    logs.join(", ")
}

/// Writes given-back coupons into the site's Redis. Call after the database commit.
pub async fn put_back(store: &Store, coupons: &[(CouponLogRow, CouponRow)]) -> RedisWriteBack {
    if coupons.is_empty() {
        return RedisWriteBack::default();
    }
    let ids: Vec<String> = coupons.iter().map(|(l, _)| l.id.to_string()).collect();
    let Some(url) = store.config().redis.as_deref() else {
        return RedisWriteBack {
            keys: Vec::new(),
            note: Some(format!(
                "the site lists coupons only from its Redis, and this profile names none: coupon log(s) {} \
                 will not show for the user until re-issued (set redis = \"redis://…/5\" in the profile's [database])",
                list(&ids)
            )),
        };
    };
    let now = store.now();
    let mut pipe = redis::pipe();
    pipe.atomic();
    let mut keys = Vec::new();
    let mut expired = Vec::new();
    for (log, coupon) in coupons {
        if coupon.end_time <= now {
            // The site's hash would expire at once: nothing to list.
            expired.push(log.id.to_string());
            continue;
        }
        let k = key(log);
        pipe.del(&k)
            .ignore()
            .hset_multiple(&k, &coupon_hash(store, coupon))
            .ignore()
            .expire_at(&k, unix(coupon.end_time))
            .ignore();
        keys.push(k);
    }
    let mut notes = Vec::new();
    if !expired.is_empty() {
        notes.push(format!(
            "coupon log(s) {} ended already, so the site does not list them again",
            list(&expired)
        ));
    }
    if !keys.is_empty()
        && let Err(e) = run(url, &pipe).await
    {
        tracing::warn!(redis = %redact_url(url), error = %e, "coupon write-back failed");
        notes.push(format!(
            "the order change is saved, but writing coupon(s) {} back to the site's Redis ({}) failed: {e}; \
             until they are re-issued the site will not list them",
            keys.join(", "),
            redact_url(url)
        ));
        keys.clear();
    }
    RedisWriteBack {
        keys,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// Removes coupons a late settle used again, as the site removes a coupon an order takes.
pub async fn remove(store: &Store, user_id: i64, log_ids: &[i64]) -> RedisWriteBack {
    let Some(url) = store.config().redis.as_deref() else {
        return RedisWriteBack::default();
    };
    if log_ids.is_empty() {
        return RedisWriteBack::default();
    }
    let keys: Vec<String> = log_ids.iter().map(|id| format!("{user_id}:{id}")).collect();
    let mut pipe = redis::pipe();
    pipe.atomic();
    for k in &keys {
        pipe.del(k).ignore();
    }
    match run(url, &pipe).await {
        Ok(()) => RedisWriteBack { keys, note: None },
        Err(e) => RedisWriteBack {
            keys: Vec::new(),
            note: Some(format!(
                "the settle is saved, but removing coupon(s) {} from the site's Redis ({}) failed: {e}; the \
                 site may still offer them until they expire",
                keys.join(", "),
                redact_url(url)
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_times_become_unix_time() {
        let t = NaiveDateTime::parse_from_str("2026-12-02 08:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(unix(t), 1_796_169_600); // 2026-12-02 00:00:00 UTC
    }
}
