//! Reconciliation for finance staff: Alipay's trade bill for a day or a month against the
//! platform's orders and Paydesk's refunds.
//!
//! A run: take the bill (fetched through `alipay.data.dataservice.bill.downloadurl.query`, or a
//! file the user downloaded from the merchant portal) → parse and check it against its own
//! totals ([`alipay::bill`]) → load the period's orders and refunds (one streaming query each)
//! → match ([`matcher`]) → store the run and every discrepancy ([`runs`]). Nothing is written
//! unless the whole run succeeds: a refused bill, a bill for another account or a cancelled run
//! leaves the database as it was. Actions on discrepancies (settle a missed notify, query an
//! order the bill lacks, accept with a note) are separate, explicit steps ([`actions`]).

pub mod actions;
pub mod browse;
pub mod checks;
pub mod intake;
mod ledger;
pub mod matcher;
pub mod report;
pub mod runs;
pub mod xlsx;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use alipay::GatewayError;
use alipay::bill::BillError;
use chrono::{Months, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, StoreError};
use crate::ops::OpsError;

pub use intake::BillSource;
pub use runs::{RunDiff, RunOutcome, RunReport, RunRequest, RunSummary, compare, list, load, run};

/// A bill's period: a day (`yyyy-MM-dd`) or a month (`yyyy-MM`), naive Asia/Shanghai. In JSON
/// it is that text (`"2026-11-24"`, `"2026-11"`), as the user types it and Alipay names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day(NaiveDate),
    /// Holds the first day of the month.
    Month(NaiveDate),
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, ReconError> {
        let t = s.trim();
        let bad = || {
            ReconError::InvalidInput(format!(
                "{s:?}: give a day as yyyy-MM-dd or a month as yyyy-MM"
            ))
        };
        match t.len() {
            10 => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Period::Day)
                .map_err(|_| bad()),
            7 => NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d")
                .map(Period::Month)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        match self {
            Period::Day(d) | Period::Month(d) => d,
        }
    }

    /// The day after the period.
    pub fn end_day(self) -> NaiveDate {
        match self {
            Period::Day(d) => d.succ_opt().unwrap_or(d),
            Period::Month(d) => d.checked_add_months(Months::new(1)).unwrap_or(d),
        }
    }

    pub fn start(self) -> NaiveDateTime {
        self.first_day().and_time(chrono::NaiveTime::MIN)
    }

    pub fn end(self) -> NaiveDateTime {
        self.end_day().and_time(chrono::NaiveTime::MIN)
    }

    /// Alipay's `bill_date`.
    pub fn bill_date(self) -> String {
        match self {
            Period::Day(d) => d.format("%Y-%m-%d").to_string(),
            Period::Month(d) => d.format("%Y-%m").to_string(),
        }
    }

    /// The period a bill covers, when it is a whole day or a whole month.
    pub fn of_range(start: NaiveDateTime, end: NaiveDateTime) -> Option<Period> {
        if start.time() != chrono::NaiveTime::MIN || end.time() != chrono::NaiveTime::MIN {
            return None;
        }
        let day = Period::Day(start.date());
        if day.end() == end {
            return Some(day);
        }
        let month = Period::Month(start.date());
        (start.date() == start.date().with_day0(0)? && month.end() == end).then_some(month)
    }
}

use chrono::Datelike as _;

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.bill_date())
    }
}

impl FromStr for Period {
    type Err = ReconError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.bill_date())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Period::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a bill row (or an order the bill lacks) turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A payment that agrees with a paid order.
    Matched,
    /// A refund that agrees with a succeeded Paydesk refund.
    RefundMatched,
    /// Paid at Alipay, a different amount than the order's real_price.
    AmountMismatch,
    /// Agrees with its order, but the 服务费 Alipay took is not the profile's fee rate of the
    /// amount (rounded to the fen, half away from zero).
    FeeMismatch,
    /// Paid at Alipay, still unpaid locally: the notify was missed. Action: settle.
    MissedNotify,
    /// Paid at Alipay after the order was cancelled or timed out locally. Action: settle (flagged).
    PaidAfterClose,
    /// Paid at Alipay; the order's status code is one the site does not define.
    StatusUnknown,
    /// Paid locally in the period, absent from the bill. Action: query Alipay.
    MissingFromBill,
    /// A refund in the bill that Paydesk did not make (the merchant portal, another tool).
    RefundOutsidePaydesk,
    /// A refund Paydesk made, with another amount or order in the bill.
    RefundMismatch,
    /// In the bill, still pending/unknown in Paydesk. Action: resume refunds.
    RefundUnresolved,
    /// In the bill, recorded as failed in Paydesk.
    RefundFailedLocally,
    /// A refund Paydesk recorded as succeeded in the period, absent from the bill.
    RefundMissingFromBill,
    /// The same trade or refund twice in the bill, a second payment for one order, or one
    /// order number shared by several orders.
    Duplicate,
    /// A platform-looking order number with no order.
    UnknownOrder,
    /// A trade of another app or shop under the same Alipay account (not a platform order number).
    OtherApp,
    /// A bill row of a type other than 交易/退款.
    OtherType,
}

impl Category {
    pub const ALL: [Category; 17] = [
        Category::Matched,
        Category::RefundMatched,
        Category::AmountMismatch,
        Category::FeeMismatch,
        Category::MissedNotify,
        Category::PaidAfterClose,
        Category::StatusUnknown,
        Category::MissingFromBill,
        Category::RefundOutsidePaydesk,
        Category::RefundMismatch,
        Category::RefundUnresolved,
        Category::RefundFailedLocally,
        Category::RefundMissingFromBill,
        Category::Duplicate,
        Category::UnknownOrder,
        Category::OtherApp,
        Category::OtherType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Matched => "matched",
            Category::RefundMatched => "refund_matched",
            Category::AmountMismatch => "amount_mismatch",
            Category::FeeMismatch => "fee_mismatch",
            Category::MissedNotify => "missed_notify",
            Category::PaidAfterClose => "paid_after_close",
            Category::StatusUnknown => "status_unknown",
            Category::MissingFromBill => "missing_from_bill",
            Category::RefundOutsidePaydesk => "refund_outside_paydesk",
            Category::RefundMismatch => "refund_mismatch",
            Category::RefundUnresolved => "refund_unresolved",
            Category::RefundFailedLocally => "refund_failed_locally",
            Category::RefundMissingFromBill => "refund_missing_from_bill",
            Category::Duplicate => "duplicate",
            Category::UnknownOrder => "unknown_order",
            Category::OtherApp => "other_app",
            Category::OtherType => "other_type",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Explained categories need nobody's attention: agreement, or rows that are not the
    /// platform's (other apps, other row types) shown for completeness.
    pub fn explained(self) -> bool {
        matches!(
            self,
            Category::Matched | Category::RefundMatched | Category::OtherApp | Category::OtherType
        )
    }

    /// What the report offers to do about it.
    pub fn suggested(self) -> Option<Action> {
        match self {
            Category::MissedNotify | Category::PaidAfterClose => Some(Action::Settle),
            Category::MissingFromBill | Category::AmountMismatch | Category::StatusUnknown => {
                Some(Action::Query)
            }
            Category::RefundUnresolved => Some(Action::ResumeRefunds),
            Category::Matched
            | Category::RefundMatched
            | Category::OtherApp
            | Category::OtherType => None,
            _ => Some(Action::Accept),
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can be done about a discrepancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Re-query Alipay and settle through the normal settle path.
    Settle,
    /// Ask Alipay about the trade (alipay.trade.query).
    Query,
    /// Resolve pending refunds (same out_request_no; never a second refund).
    ResumeRefunds,
    /// Accept it as explained, with a note.
    Accept,
}

impl Action {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Settle => "settle",
            Action::Query => "query",
            Action::ResumeRefunds => "resume_refunds",
            Action::Accept => "accept",
        }
    }
}

/// One discrepancy (or informational row) of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// `paydesk_recon_rows.id` once stored.
    pub id: Option<i64>,
    pub category: Category,
    pub out_trade_no: Option<String>,
    pub trade_no: Option<String>,
    pub out_request_no: Option<String>,
    pub order_id: Option<i64>,
    /// What the bill says (商家实收 for refunds, 订单金额 for payments).
    pub bill_amount: Option<Decimal>,
    /// What the platform says (real_price, or the Paydesk refund's amount).
    pub order_amount: Option<Decimal>,
    /// When it happened (bill 完成时间, or the local pay/refund time).
    pub at: Option<NaiveDateTime>,
    pub subject: Option<String>,
    /// The order's status (or the Paydesk refund's) when the run looked.
    pub local_status: Option<String>,
    pub message: String,
    pub suggested: Option<Action>,
    /// What was done about it, when and by whom.
    pub action: Option<String>,
    pub action_time: Option<NaiveDateTime>,
    pub action_by: Option<String>,
}

impl Discrepancy {
    /// Open = needs someone: not an explained category and nothing done about it yet (a query
    /// only informs; settling or accepting closes it).
    pub fn open(&self) -> bool {
        !self.category.explained()
            && self
                .action
                .as_deref()
                .is_none_or(|a| a.starts_with(QUERIED))
    }

    /// Identity across runs (for comparing a run with a later one).
    pub fn key(&self) -> (Category, Option<String>, Option<String>, Option<String>) {
        (
            self.category,
            self.out_trade_no.clone(),
            self.trade_no.clone(),
            self.out_request_no.clone(),
        )
    }
}

/// Money per day, from the bill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayTotals {
    pub day: Option<NaiveDate>,
    pub payments: u64,
    /// Σ 商家实收 of payments.
    pub received: Decimal,
    pub refunds: u64,
    /// Σ 商家实收 of refunds (negative).
    pub refunded: Decimal,
    /// Σ 服务费 (negative when charged).
    pub fees: Decimal,
    /// received + refunded + other rows + fees.
    pub net: Decimal,
}

/// A category's count and sums.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryTotals {
    pub count: u64,
    pub bill_amount: Decimal,
    pub order_amount: Decimal,
}

/// Counts and sums per category, per-day money, and how much needs attention.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub categories: BTreeMap<Category, CategoryTotals>,
    pub days: Vec<DayTotals>,
    pub total: DayTotals,
    pub bill_rows: u64,
    /// Discrepancies not explained and not acted upon.
    pub open: u64,
}

/// Which bill a run used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BillMeta {
    /// `alipay:<bill_date>` or the imported file's name.
    pub source: String,
    pub sha256: String,
    pub bytes: u64,
    pub account: String,
    pub encoding: String,
    pub detail_name: Option<String>,
    pub summary_name: Option<String>,
    pub export_time: Option<NaiveDateTime>,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

/// Progress reporting and cancellation for a run. The cancel flag is checked between batches
/// (every few thousand rows) and before anything is written.
#[derive(Clone, Default)]
pub struct Control {
    pub progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    pub cancel: Arc<AtomicBool>,
}

impl fmt::Debug for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Control")
            .field("cancelled", &self.cancelled())
            .finish_non_exhaustive()
    }
}

impl Control {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
    pub fn report(&self, stage: &'static str, done: u64, total: u64) {
        if let Some(p) = &self.progress {
            p(Progress { stage, done, total });
        }
    }
    fn check(&self) -> Result<(), ReconError> {
        if self.cancelled() {
            Err(ReconError::Cancelled)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{0}")]
    Bill(Box<BillError>),
    #[error(
        "the bill is for Alipay account {bill_account}, not this profile's seller {seller_id}: nothing was reconciled"
    )]
    OtherAccount {
        bill_account: String,
        seller_id: String,
    },
    #[error("the bill covers {bill}, but {requested} was asked for")]
    OtherPeriod { bill: String, requested: String },
    #[error("the bill covers {0}, which is neither a whole day nor a whole month")]
    OddPeriod(String),
    #[error("Alipay: {0}")]
    Gateway(Box<GatewayError>),
    #[error("the bill download did not finish within 30 s (the URL expires after 30 s): try again")]
    DownloadTimeout,
    #[error("{0}: cannot read: {1}")]
    File(String, String),
    #[error("reconciliation run {0} not found")]
    RunNotFound(i64),
    #[error("discrepancy {0} not found")]
    RowNotFound(i64),
    #[error("{0}")]
    Refused(String),
    #[error("cancelled: nothing was stored")]
    Cancelled,
    #[error(transparent)]
    Ops(Box<OpsError>),
    #[error(transparent)]
    Store(Box<StoreError>),
}

// The wrapped errors are large; boxed, a `ReconResult` stays small on the happy path.
impl From<BillError> for ReconError {
    fn from(e: BillError) -> Self {
        ReconError::Bill(Box::new(e))
    }
}
impl From<GatewayError> for ReconError {
    fn from(e: GatewayError) -> Self {
        ReconError::Gateway(Box::new(e))
    }
}
impl From<OpsError> for ReconError {
    fn from(e: OpsError) -> Self {
        ReconError::Ops(Box::new(e))
    }
}
impl From<StoreError> for ReconError {
    fn from(e: StoreError) -> Self {
        ReconError::Store(Box::new(e))
    }
}

impl ReconError {
    /// The IPC error code (DESIGN.md).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ReconError::InvalidInput(_)
            | ReconError::Bill(_)
            | ReconError::OtherAccount { .. }
            | ReconError::OtherPeriod { .. }
            | ReconError::OddPeriod(_)
            | ReconError::File(..) => ErrorKind::InvalidInput,
            ReconError::Gateway(e) if e.outcome_unknown() => ErrorKind::UnknownOutcome,
            ReconError::Gateway(_) | ReconError::DownloadTimeout => ErrorKind::Gateway,
            ReconError::RunNotFound(_) | ReconError::RowNotFound(_) => ErrorKind::NotFound,
            ReconError::Refused(_) => ErrorKind::Conflict,
            ReconError::Cancelled => ErrorKind::Cancelled,
            ReconError::Ops(e) => e.kind(),
            ReconError::Store(e) => e.kind(),
        }
    }
}

/// Prefix of the action text a query records.
pub const QUERIED: &str = "queried";

pub type ReconResult<T> = Result<T, ReconError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_cover_whole_days_or_months() {
        let d = Period::parse("2026-11-24").unwrap();
        assert_eq!(d.start().to_string(), "2026-11-24 00:00:00");
        assert_eq!(d.end().to_string(), "2026-11-25 00:00:00");
        let m = Period::parse("2026-12").unwrap();
        assert_eq!(m.bill_date(), "2026-12");
        assert_eq!(m.end().to_string(), "2027-01-01 00:00:00");
        for bad in ["2026-13", "2026-11-31", "20261124", "", "2026-1-1"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Period::of_range(d.start(), d.end()), Some(d));
        assert_eq!(Period::of_range(m.start(), m.end()), Some(m));
        let mid = NaiveDate::from_ymd_opt(2026, 11, 2)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN);
        assert_eq!(Period::of_range(mid, m.end()), None);
    }

    #[test]
    fn periods_are_their_text_in_json() {
        let d = Period::parse("2026-11-24").unwrap();
        let m = Period::parse("2026-11").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), r#""2026-11-24""#);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#""2026-11""#);
        assert_eq!(
            serde_json::from_str::<Period>(r#""2026-11-24""#).unwrap(),
            d
        );
        assert_eq!(serde_json::from_str::<Period>(r#""2026-11""#).unwrap(), m);
        for bad in [r#""2026-13""#, r#"{"day":"2026-11-24"}"#, "20261124"] {
            assert!(serde_json::from_str::<Period>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn categories_round_trip_and_only_agreement_and_foreign_rows_are_explained() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        let explained: Vec<_> = Category::ALL
            .into_iter()
            .filter(|c| c.explained())
            .collect();
        assert_eq!(
            explained,
            [
                Category::Matched,
                Category::RefundMatched,
                Category::OtherApp,
                Category::OtherType
            ]
        );
        for a in [
            Action::Settle,
            Action::Query,
            Action::ResumeRefunds,
            Action::Accept,
        ] {
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.as_str())
            );
        }
        assert_eq!(Category::MissedNotify.suggested(), Some(Action::Settle));
        assert_eq!(Category::MissingFromBill.suggested(), Some(Action::Query));
    }
}
