//! The revenue report (`paydesk_core::revenue`): money as two-decimal strings, days as
//! `YYYY-MM-DD`.

use paydesk_core::revenue::{GroupBy, RevenueLine, RevenueReport};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RevenueGroup {
    Day,
    Week,
    Month,
    Course,
}

impl From<RevenueGroup> for GroupBy {
    fn from(g: RevenueGroup) -> GroupBy {
        match g {
            RevenueGroup::Day => GroupBy::Day,
            RevenueGroup::Week => GroupBy::Week,
            RevenueGroup::Month => GroupBy::Month,
            RevenueGroup::Course => GroupBy::Course,
        }
    }
}

impl From<GroupBy> for RevenueGroup {
    fn from(g: GroupBy) -> RevenueGroup {
        match g {
            GroupBy::Day => RevenueGroup::Day,
            GroupBy::Week => RevenueGroup::Week,
            GroupBy::Month => RevenueGroup::Month,
            GroupBy::Course => RevenueGroup::Course,
        }
    }
}

/// One row (a day, week, month or course) or the totals.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevenueRow {
    pub key: String,
    pub label: String,
    pub course_id: Option<i64>,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub orders: i64,
    pub payments: String,
    pub refunds: String,
    pub refund_count: i64,
    pub net: String,
    pub average_order: String,
    pub credits: i64,
    pub credit_discount: String,
    pub coupon_discount: String,
}

impl From<&RevenueLine> for RevenueRow {
    fn from(l: &RevenueLine) -> Self {
        let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        RevenueRow {
            key: l.key.clone(),
            label: l.label.clone(),
            course_id: l.course_id,
            first_day: day(l.first_day),
            last_day: day(l.last_day),
            orders: l.orders,
            payments: money(l.payments),
            refunds: money(l.refunds),
            refund_count: l.refund_count,
            net: money(l.net),
            average_order: money(l.average_order),
            credits: l.credits,
            credit_discount: money(l.credit_discount),
            coupon_discount: money(l.coupon_discount),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevenueReportDto {
    pub from: String,
    pub to: String,
    pub by: RevenueGroup,
    pub rows: Vec<RevenueRow>,
    pub totals: RevenueRow,
    pub coupons_used: Option<i64>,
    pub previous_from: String,
    pub previous_to: String,
    pub previous: RevenueRow,
}

impl From<&RevenueReport> for RevenueReportDto {
    fn from(r: &RevenueReport) -> Self {
        RevenueReportDto {
            from: r.from.to_string(),
            to: r.to.to_string(),
            by: r.by.into(),
            rows: r.rows.iter().map(RevenueRow::from).collect(),
            totals: RevenueRow::from(&r.totals),
            coupons_used: r.coupons_used,
            previous_from: r.previous.from.to_string(),
            previous_to: r.previous.to.to_string(),
            previous: RevenueRow::from(&r.previous.totals),
        }
    }
}

/// Where an export went.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevenueExport {
    pub path: String,
    pub bytes: u64,
}
