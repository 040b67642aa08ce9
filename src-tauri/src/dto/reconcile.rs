//! Reconciliation (`.tmp/RECON_CONTRACT.md`): runs, their reports, a page of discrepancy rows at a
//! time, actions on a row, export and comparison.

use paydesk_core::reconcile::browse::{RowPage, RunHeader};
use paydesk_core::reconcile::{
    Action, BillMeta, Category, DayTotals, Discrepancy, RunDiff, RunSummary,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{money, opt_time, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReconCategory {
    Matched,
    RefundMatched,
    AmountMismatch,
    FeeMismatch,
    MissedNotify,
    PaidAfterClose,
    StatusUnknown,
    MissingFromBill,
    RefundOutsidePaydesk,
    RefundMismatch,
    RefundUnresolved,
    RefundFailedLocally,
    RefundMissingFromBill,
    Duplicate,
    UnknownOrder,
    OtherApp,
    OtherType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReconAction {
    Settle,
    Query,
    ResumeRefunds,
    Accept,
}

/// A run's state: `clean` when nothing is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReconStatus {
    Clean,
    Open,
}

/// Where `recon_run` takes the bill from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReconSource {
    Fetch,
    File,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconOverview {
    /// The desk clock's date (the simulator's clock on the simulator profile).
    pub today: String,
    pub yesterday: String,
    /// `YYYY-MM`.
    pub last_month: String,
    /// The profile has a gateway, so bills can be fetched.
    pub can_fetch: bool,
    pub seller_id: Option<String>,
    /// A run is in progress.
    pub running: bool,
    /// Newest first, at most 50.
    pub runs: Vec<ReconRunItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconRunItem {
    pub run_id: i64,
    pub period: String,
    pub started_time: String,
    pub operator: String,
    pub status: ReconStatus,
    pub bill_checksum: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconDay {
    /// `None` for the total.
    pub day: Option<String>,
    pub payments: u64,
    pub received: String,
    pub refunds: u64,
    /// Negative or zero.
    pub refunded: String,
    pub fees: String,
    pub net: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconCategoryTotal {
    pub category: ReconCategory,
    pub count: u64,
    pub bill_amount: String,
    pub order_amount: String,
    pub explained: bool,
    pub suggested: Option<ReconAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconBill {
    pub source: String,
    pub sha256: String,
    pub bytes: u64,
    pub account: String,
    pub encoding: String,
    pub detail_name: Option<String>,
    pub summary_name: Option<String>,
    pub export_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconReport {
    pub run_id: i64,
    /// `2026-11-24` or `2026-11`.
    pub period: String,
    pub operator: String,
    pub profile: String,
    pub started_time: String,
    pub finished_time: Option<String>,
    pub status: ReconStatus,
    pub bill: ReconBill,
    pub total: ReconDay,
    pub days: Vec<ReconDay>,
    /// In `ReconCategory` order, categories with rows only.
    pub categories: Vec<ReconCategoryTotal>,
    pub bill_rows: u64,
    /// Stored discrepancy and informational rows.
    pub rows: u64,
    pub open: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconRow {
    pub id: i64,
    pub category: ReconCategory,
    pub out_trade_no: Option<String>,
    pub trade_no: Option<String>,
    pub out_request_no: Option<String>,
    pub order_id: Option<i64>,
    pub bill_amount: Option<String>,
    pub order_amount: Option<String>,
    pub at: Option<String>,
    pub subject: Option<String>,
    pub local_status: Option<String>,
    pub message: String,
    pub suggested: Option<ReconAction>,
    pub open: bool,
    pub action: Option<String>,
    pub action_time: Option<String>,
    pub action_by: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ReconRowFilter {
    pub category: Option<ReconCategory>,
    pub open_only: bool,
    /// A substring of out_trade_no, trade_no or out_request_no.
    pub search: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconRowPage {
    pub rows: Vec<ReconRow>,
    /// Rows matching the filter (all pages).
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReconRunResult {
    Reconciled {
        // Boxed: the report is far larger than the other variant (serialized the same).
        report: Box<ReconReport>,
    },
    /// Alipay has no bill for the period; nothing was stored.
    NoBill {
        period: String,
        message: String,
        paid_orders: i64,
        paid_amount: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconActionResult {
    pub action: ReconAction,
    pub changed: bool,
    pub message: String,
    pub row: ReconRow,
    /// The run's open count afterwards.
    pub open: u64,
    pub status: ReconStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconDiff {
    pub earlier: i64,
    pub later: i64,
    pub resolved: Vec<ReconRow>,
    pub new: Vec<ReconRow>,
    pub still_open: Vec<ReconRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReconExport {
    pub path: String,
    pub bytes: u64,
}

impl From<Category> for ReconCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Matched => ReconCategory::Matched,
            Category::RefundMatched => ReconCategory::RefundMatched,
            Category::AmountMismatch => ReconCategory::AmountMismatch,
            Category::FeeMismatch => ReconCategory::FeeMismatch,
            Category::MissedNotify => ReconCategory::MissedNotify,
            Category::PaidAfterClose => ReconCategory::PaidAfterClose,
            Category::StatusUnknown => ReconCategory::StatusUnknown,
            Category::MissingFromBill => ReconCategory::MissingFromBill,
            Category::RefundOutsidePaydesk => ReconCategory::RefundOutsidePaydesk,
            Category::RefundMismatch => ReconCategory::RefundMismatch,
            Category::RefundUnresolved => ReconCategory::RefundUnresolved,
            Category::RefundFailedLocally => ReconCategory::RefundFailedLocally,
            Category::RefundMissingFromBill => ReconCategory::RefundMissingFromBill,
            Category::Duplicate => ReconCategory::Duplicate,
            Category::UnknownOrder => ReconCategory::UnknownOrder,
            Category::OtherApp => ReconCategory::OtherApp,
            Category::OtherType => ReconCategory::OtherType,
        }
    }
}

impl From<ReconCategory> for Category {
    fn from(c: ReconCategory) -> Self {
        // Every core category maps to one DTO variant and back (tested below).
        Category::ALL
            .into_iter()
            .find(|x| ReconCategory::from(*x) == c)
            .unwrap_or(Category::OtherType)
    }
}

impl From<Action> for ReconAction {
    fn from(a: Action) -> Self {
        match a {
            Action::Settle => ReconAction::Settle,
            Action::Query => ReconAction::Query,
            Action::ResumeRefunds => ReconAction::ResumeRefunds,
            Action::Accept => ReconAction::Accept,
        }
    }
}

impl ReconStatus {
    /// Core stores and reports `clean` / `open`.
    pub fn from_core(s: &str) -> Self {
        if s == "clean" {
            ReconStatus::Clean
        } else {
            ReconStatus::Open
        }
    }

    pub fn of_open(open: u64) -> Self {
        if open == 0 {
            ReconStatus::Clean
        } else {
            ReconStatus::Open
        }
    }
}

impl ReconRow {
    pub fn from_core(d: &Discrepancy) -> Self {
        ReconRow {
            // Rows read back from the database always have their id.
            id: d.id.unwrap_or_default(),
            category: d.category.into(),
            out_trade_no: d.out_trade_no.clone(),
            trade_no: d.trade_no.clone(),
            out_request_no: d.out_request_no.clone(),
            order_id: d.order_id,
            bill_amount: d.bill_amount.map(money),
            order_amount: d.order_amount.map(money),
            at: opt_time(d.at),
            subject: d.subject.clone(),
            local_status: d.local_status.clone(),
            message: d.message.clone(),
            suggested: d.suggested.map(Into::into),
            open: d.open(),
            action: d.action.clone(),
            action_time: opt_time(d.action_time),
            action_by: d.action_by.clone(),
        }
    }
}

impl ReconRowPage {
    pub fn from_core(p: &RowPage) -> Self {
        ReconRowPage {
            rows: p.rows.iter().map(ReconRow::from_core).collect(),
            total: p.total,
        }
    }
}

impl ReconDay {
    pub fn from_core(d: &DayTotals) -> Self {
        ReconDay {
            day: d.day.map(|d| d.format("%Y-%m-%d").to_string()),
            payments: d.payments,
            received: money(d.received),
            refunds: d.refunds,
            refunded: money(d.refunded),
            fees: money(d.fees),
            net: money(d.net),
        }
    }
}

impl ReconBill {
    pub fn from_core(b: &BillMeta) -> Self {
        ReconBill {
            source: b.source.clone(),
            sha256: b.sha256.clone(),
            bytes: b.bytes,
            account: b.account.clone(),
            encoding: b.encoding.clone(),
            detail_name: b.detail_name.clone(),
            summary_name: b.summary_name.clone(),
            export_time: opt_time(b.export_time),
        }
    }
}

impl ReconReport {
    pub fn from_header(h: &RunHeader) -> Self {
        let s = &h.summary;
        ReconReport {
            run_id: h.run_id,
            period: h.period.to_string(),
            operator: h.operator.clone(),
            profile: h.profile.clone(),
            started_time: time(h.started_time),
            finished_time: opt_time(h.finished_time),
            status: ReconStatus::from_core(&h.status),
            bill: ReconBill::from_core(&h.bill),
            total: ReconDay::from_core(&s.total),
            days: s.days.iter().map(ReconDay::from_core).collect(),
            // The map is ordered as Category::ALL (declaration order).
            categories: s
                .categories
                .iter()
                .filter(|(_, t)| t.count > 0)
                .map(|(c, t)| ReconCategoryTotal {
                    category: (*c).into(),
                    count: t.count,
                    bill_amount: money(t.bill_amount),
                    order_amount: money(t.order_amount),
                    explained: c.explained(),
                    suggested: c.suggested().map(Into::into),
                })
                .collect(),
            bill_rows: s.bill_rows,
            rows: h.rows,
            open: s.open,
        }
    }
}

impl ReconRunItem {
    pub fn from_core(r: &RunSummary) -> Self {
        ReconRunItem {
            run_id: r.run_id,
            period: r.period.clone(),
            started_time: time(r.started_time),
            operator: r.operator.clone(),
            status: ReconStatus::from_core(&r.status),
            bill_checksum: r.bill_checksum.clone(),
        }
    }
}

impl ReconDiff {
    pub fn from_core(d: &RunDiff) -> Self {
        let rows = |v: &[Discrepancy]| v.iter().map(ReconRow::from_core).collect();
        ReconDiff {
            earlier: d.earlier,
            later: d.later,
            resolved: rows(&d.resolved),
            new: rows(&d.new),
            still_open: rows(&d.still_open),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_actions_serialize_as_core_does() {
        for c in Category::ALL {
            let dto = ReconCategory::from(c);
            assert_eq!(
                serde_json::to_value(dto).unwrap(),
                serde_json::to_value(c).unwrap()
            );
            assert_eq!(Category::from(dto), c);
        }
        for a in [
            Action::Settle,
            Action::Query,
            Action::ResumeRefunds,
            Action::Accept,
        ] {
            assert_eq!(
                serde_json::to_value(ReconAction::from(a)).unwrap(),
                serde_json::to_value(a).unwrap()
            );
        }
    }

    #[test]
    fn a_run_result_is_tagged_by_outcome() {
        let v = serde_json::to_value(ReconRunResult::NoBill {
            period: "2026-11-24".into(),
            message: "no bill".into(),
            paid_orders: 0,
            paid_amount: "0.00".into(),
        })
        .unwrap();
        assert_eq!(v["outcome"], "no_bill");
        assert_eq!(v["paid_amount"], "0.00");
    }
}
