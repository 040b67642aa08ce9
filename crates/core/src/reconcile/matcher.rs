//! Matching, with no database and no I/O: bill rows against the period's orders (by
//! out_trade_no = order_number) and Paydesk refunds (by out_request_no). One pass over the
//! bill, then one over what the bill did not mention.

use std::collections::{BTreeMap, HashSet};

use alipay::bill::{BillKind, BillRow};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::checks::cross_day_message;
use super::{Category, CategoryTotals, Control, DayTotals, Discrepancy, ReconResult, Summary};
use crate::db::{fen_to_money, money_to_fen};
use crate::domain::{OrderNumber, OrderStatus};
use crate::queries::reconcile::{OrderKey, RefundKey};

/// How often matching reports progress and looks at the cancel flag.
const BATCH: usize = 50_000;

pub use super::ledger::Ledger;
use super::ledger::{OrderSlot, RefundSlot, digits_text};

/// An order number as the ledger holds it.
#[derive(Debug, Clone)]
enum Number {
    Digits(u128),
    Text(Box<str>),
}

impl Number {
    fn text(&self) -> String {
        match self {
            Number::Digits(k) => digits_text(*k),
            Number::Text(t) => t.to_string(),
        }
    }
}

/// A paid order the bill lacks, kept as compactly as the ledger holds it: a bill that lacks
/// most of a month names a million of these, and each one's row (a dozen fields, three of them
/// text) is only built on its way to the database.
#[derive(Debug, Clone)]
pub struct MissingOrder {
    number: Number,
    key: OrderKey,
}

impl MissingOrder {
    pub fn discrepancy(&self) -> Discrepancy {
        let amount = fen_to_money(self.key.real_price_fen);
        Discrepancy {
            id: None,
            category: Category::MissingFromBill,
            out_trade_no: Some(self.number.text()),
            trade_no: None,
            out_request_no: None,
            order_id: Some(self.key.id),
            bill_amount: None,
            order_amount: Some(amount),
            at: self.key.pay_time,
            subject: None,
            local_status: Some(status_label(self.key.status)),
            message: missing_message(amount),
            suggested: Category::MissingFromBill.suggested(),
            action: None,
            action_time: None,
            action_by: None,
        }
    }
}

fn missing_message(amount: Decimal) -> String {
    format!(
        "paid locally ({amount}) but not in Alipay's bill: query Alipay to see whether the money came"
    )
}

/// The message a row of `category` with this platform amount always gets, when the category
/// has one fixed wording. A stored row leaves such a message out (for a missing order it is
/// half the row's bytes, and a bill that lacks a month lacks a million orders) and reading the
/// row back rebuilds it from the same two columns.
pub fn derived_message(category: Category, order_amount: Option<Decimal>) -> Option<String> {
    match (category, order_amount) {
        (Category::MissingFromBill, Some(amount)) => Some(missing_message(amount)),
        _ => None,
    }
}

/// Missing orders per chunk in [`Findings::take_rows`].
const MISSING_CHUNK: usize = 4096;

/// What a run found, before it is stored. Rows are stored, and reported, in the order
/// [`Findings::take_rows`] gives them: bill rows, then orders and refunds the bill lacks.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Discrepancies of bill rows, in bill order (rows that needed a look-up last).
    pub bill: Vec<Discrepancy>,
    /// Paid orders the bill lacks, by pay time then id.
    pub missing: Vec<MissingOrder>,
    /// Succeeded Paydesk refunds the bill lacks, by refund time then id.
    pub lost_refunds: Vec<Discrepancy>,
    pub summary: Summary,
}

impl Findings {
    /// Rows to store.
    pub fn len(&self) -> usize {
        self.bill.len() + self.missing.len() + self.lost_refunds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row in storage order, leaving the summary behind. A missing order's row is built
    /// as the iterator reaches it, so storing never holds a second copy of the findings.
    pub fn take_rows(&mut self) -> impl Iterator<Item = Discrepancy> + use<> {
        let bill = std::mem::take(&mut self.bill);
        // Re-cut into chunks that are freed as their rows are built, so the compact list does
        // not stay allocated beside the full rows it turns into.
        let missing: Vec<Vec<MissingOrder>> = std::mem::take(&mut self.missing)
            .chunks(MISSING_CHUNK)
            .map(<[MissingOrder]>::to_vec)
            .collect();
        let lost = std::mem::take(&mut self.lost_refunds);
        bill.into_iter()
            .chain(missing.into_iter().flatten().map(|m| m.discrepancy()))
            .chain(lost)
    }
}

fn trade_hash(s: &str) -> u64 {
    use std::hash::BuildHasher as _;
    // Fixed seed: the hashes of one run are only compared with each other.
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(s) | 1
}

fn status_label(code: i64) -> String {
    OrderStatus::from(code).label()
}

fn fen(d: Decimal) -> Option<i64> {
    money_to_fen(d).ok()
}

struct Acc {
    found: Vec<Discrepancy>,
    categories: BTreeMap<Category, CategoryTotals>,
    /// The run's period: a payment matched to an order paid here outside it is recorded.
    start: NaiveDateTime,
    end: NaiveDateTime,
}

impl Acc {
    fn count(&mut self, c: Category, bill: Option<Decimal>, order: Option<Decimal>) {
        let t = self.categories.entry(c).or_default();
        t.count += 1;
        t.bill_amount += bill.unwrap_or_default();
        t.order_amount += order.unwrap_or_default();
    }

    fn push(&mut self, d: Discrepancy) {
        self.count(d.category, d.bill_amount, d.order_amount);
        self.found.push(d);
    }
}

fn from_row(row: &BillRow, category: Category, message: String) -> Discrepancy {
    Discrepancy {
        id: None,
        category,
        out_trade_no: Some(row.out_trade_no.clone()).filter(|s| !s.is_empty()),
        trade_no: Some(row.trade_no.clone()),
        out_request_no: row.out_request_no.clone(),
        order_id: None,
        bill_amount: Some(if row.kind == BillKind::Payment {
            row.order_amount
        } else {
            row.received
        }),
        order_amount: None,
        at: Some(row.finished),
        subject: Some(row.subject.clone()).filter(|s| !s.is_empty()),
        local_status: None,
        message,
        suggested: category.suggested(),
        action: None,
        action_time: None,
        action_by: None,
    }
}

/// Orders (by number) and Paydesk refunds (by out_request_no) the period's queries did not
/// bring: looked up once, in batches, for the rows that named them.
pub type Lookup<'a> = dyn FnMut(Vec<String>, Vec<String>) -> ReconResult<(Vec<(String, OrderKey)>, Vec<RefundKey>)>
    + 'a;

/// Matches every bill row, then flags what the platform has in `[start, end)` that the bill
/// lacks. `ledger` holds the period's orders and refunds; rows naming others (an old order, a
/// refund of one) are set aside, `lookup` fetches what they name in one go, and they are
/// matched after the rest.
pub fn match_bill(
    rows: &[BillRow],
    ledger: &mut Ledger,
    start: NaiveDateTime,
    end: NaiveDateTime,
    ctl: &Control,
    lookup: &mut Lookup<'_>,
) -> ReconResult<Findings> {
    let mut acc = Acc {
        found: Vec::new(),
        categories: BTreeMap::new(),
        start,
        end,
    };
    let mut days: BTreeMap<chrono::NaiveDate, DayTotals> = BTreeMap::new();
    let mut outside_refunds: HashSet<&str> = HashSet::new();
    let mut deferred: Vec<usize> = Vec::new();
    let total = rows.len() as u64;
    for (i, row) in rows.iter().enumerate() {
        if i % BATCH == 0 {
            ctl.check()?;
            ctl.report("match", i as u64, total);
        }
        let day = days.entry(row.finished.date()).or_default();
        day.fees += row.service_fee;
        day.net += row.received + row.service_fee;
        match &row.kind {
            BillKind::Payment => {
                day.payments += 1;
                day.received += row.received;
                if !match_payment(row, ledger, &mut acc, true) {
                    deferred.push(i);
                }
            }
            BillKind::Refund => {
                day.refunds += 1;
                day.refunded += row.received;
                if !match_refund(row, ledger, &mut outside_refunds, &mut acc, true) {
                    deferred.push(i);
                }
            }
            BillKind::Other(kind) => {
                acc.push(from_row(
                    row,
                    Category::OtherType,
                    format!("a bill row of type {kind:?}, neither 交易 nor 退款"),
                ));
            }
        }
    }
    ctl.check()?;
    if !deferred.is_empty() {
        let mut numbers: Vec<String> = Vec::new();
        let mut nos: Vec<String> = Vec::new();
        for &i in &deferred {
            match (&rows[i].kind, &rows[i].out_request_no) {
                (BillKind::Refund, Some(no)) => nos.push(no.clone()),
                _ => numbers.push(rows[i].out_trade_no.clone()),
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        nos.sort_unstable();
        nos.dedup();
        let (orders, refunds) = lookup(numbers, nos)?;
        for (number, key) in orders {
            ledger.add_order(&number, key);
        }
        for r in refunds {
            ledger.add_refund(r);
        }
        for &i in &deferred {
            let row = &rows[i];
            match row.kind {
                BillKind::Refund => {
                    match_refund(row, ledger, &mut outside_refunds, &mut acc, false);
                }
                _ => {
                    match_payment(row, ledger, &mut acc, false);
                }
            }
        }
    }
    ctl.report("match", total, total);

    let within = |t: Option<NaiveDateTime>| t.is_some_and(|t| t >= start && t < end);
    let lacks = |s: &OrderSlot| {
        s.seen == 0
            && OrderStatus::from(s.key.status) == OrderStatus::Paid
            && within(s.key.pay_time)
            // Balance-paid and free orders never go through Alipay.
            && s.key.pay_type != 2
            && s.key.real_price_fen > 0
            && (ledger.billed_elsewhere.is_empty() || !ledger.billed_elsewhere.contains(&s.key.id))
    };
    // Order numbers shared by several orders were reported as such when the bill named them;
    // the text is only needed to look them up when there are any.
    let shared = |n: &Number| !ledger.shared.is_empty() && ledger.shared.contains_key(&n.text());
    let mut missing: Vec<MissingOrder> = ledger
        .orders
        .iter()
        .filter(|(_, s)| lacks(s))
        .map(|(k, s)| MissingOrder {
            number: Number::Digits(*k),
            key: s.key,
        })
        .chain(
            ledger
                .other_orders
                .iter()
                .filter(|(_, s)| lacks(s))
                .map(|(k, s)| MissingOrder {
                    number: Number::Text(k.clone()),
                    key: s.key,
                }),
        )
        .filter(|m| !shared(&m.number))
        .collect();
    missing.sort_unstable_by_key(|m| (m.key.pay_time, m.key.id));
    // Counted here, in fen (exact; i128 cannot overflow on any number of orders); their rows
    // are built when stored.
    let missing_fen: i128 = missing
        .iter()
        .map(|m| i128::from(m.key.real_price_fen))
        .sum();
    if !missing.is_empty() {
        let t = acc.categories.entry(Category::MissingFromBill).or_default();
        t.count += missing.len() as u64;
        t.order_amount += Decimal::from_i128_with_scale(missing_fen, 2);
    }
    let mut lost: Vec<&RefundSlot> = ledger
        .refunds
        .values()
        .filter(|r| !r.seen && r.key.status == "succeeded" && within(r.key.refunded_at))
        .collect();
    lost.sort_by_key(|r| (r.key.refunded_at, r.key.id));
    let bill_found = std::mem::take(&mut acc.found);
    for r in lost {
        acc.push(Discrepancy {
            id: None,
            category: Category::RefundMissingFromBill,
            out_trade_no: Some(r.key.order_number.clone()),
            trade_no: None,
            out_request_no: Some(r.key.out_request_no.clone()),
            order_id: Some(r.key.order_id),
            bill_amount: None,
            order_amount: Some(r.key.amount),
            at: r.key.refunded_at,
            subject: None,
            local_status: Some(r.key.status.clone()),
            message: format!(
                "Paydesk recorded this refund of {} as succeeded, but the bill does not list it",
                r.key.amount
            ),
            suggested: Category::RefundMissingFromBill.suggested(),
            action: None,
            action_time: None,
            action_by: None,
        });
    }
    let lost_refunds = std::mem::take(&mut acc.found);

    let mut total_day = DayTotals::default();
    for d in days.values() {
        total_day.payments += d.payments;
        total_day.received += d.received;
        total_day.refunds += d.refunds;
        total_day.refunded += d.refunded;
        total_day.fees += d.fees;
        total_day.net += d.net;
    }
    let days = days
        .into_iter()
        .map(|(day, t)| DayTotals {
            day: Some(day),
            ..t
        })
        .collect();
    // A missing order is never explained and nothing has been done about it yet: open.
    let open = bill_found.iter().filter(|d| d.open()).count()
        + missing.len()
        + lost_refunds.iter().filter(|d| d.open()).count();
    Ok(Findings {
        bill: bill_found,
        missing,
        lost_refunds,
        summary: Summary {
            categories: acc.categories,
            days,
            total: total_day,
            bill_rows: total,
            open: open as u64,
        },
    })
}

/// Returns `false` (and records nothing) when `defer` and the order is not loaded yet.
fn match_payment(row: &BillRow, ledger: &mut Ledger, acc: &mut Acc, defer: bool) -> bool {
    if let Some(ids) = ledger.is_shared(&row.out_trade_no) {
        let ids = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        acc.push(from_row(
            row,
            Category::Duplicate,
            format!(
                "order number {} is used by several orders (ids {ids}): settle the right one by id",
                row.out_trade_no
            ),
        ));
        return true;
    }
    let ledger_fee = ledger.fee_rate;
    let Some(slot) = ledger.slot_mut(&row.out_trade_no) else {
        if defer {
            return false;
        }
        let (category, message) = if OrderNumber::parse(&row.out_trade_no).is_ok() {
            (
                Category::UnknownOrder,
                format!(
                    "paid at Alipay, but there is no order {} on the platform",
                    row.out_trade_no
                ),
            )
        } else {
            (
                Category::OtherApp,
                format!(
                    "{:?} is not a platform order number: a trade of another app or shop",
                    row.out_trade_no
                ),
            )
        };
        acc.push(from_row(row, category, message));
        return true;
    };
    let amount = fen_to_money(slot.key.real_price_fen);
    let status = OrderStatus::from(slot.key.status);
    // Built only for a discrepancy: a million matched rows need no copies of their fields.
    let discrepancy = |category: Category, message: String| {
        let mut d = from_row(row, category, message);
        d.order_id = Some(slot.key.id);
        d.order_amount = Some(amount);
        d.local_status = Some(status.label());
        d
    };
    let h = trade_hash(&row.trade_no);
    if slot.seen > 0 {
        let message = if slot.first_trade == h {
            format!("trade {} is listed twice in the bill", row.trade_no)
        } else {
            format!(
                "order {} was paid again in another trade ({}): refund one of them",
                row.out_trade_no, row.trade_no
            )
        };
        let d = discrepancy(Category::Duplicate, message);
        slot.seen += 1;
        acc.push(d);
        return true;
    }
    let (category, message) = if fen(row.order_amount) != Some(slot.key.real_price_fen) {
        (
            Category::AmountMismatch,
            format!(
                "Alipay has {} for the order, the platform {amount}",
                row.order_amount
            ),
        )
    } else {
        match status {
            OrderStatus::Paid => (Category::Matched, String::new()),
            OrderStatus::Unpaid => (
                Category::MissedNotify,
                "paid at Alipay but still unpaid here (missed notify): settle it".to_string(),
            ),
            OrderStatus::Cancelled | OrderStatus::TimedOut => (
                Category::PaidAfterClose,
                format!(
                    "paid at Alipay after the order was {} here: settle it (flagged for review)",
                    status.label()
                ),
            ),
            OrderStatus::Unknown(n) => (
                Category::StatusUnknown,
                format!("paid at Alipay; the order has unknown status {n}"),
            ),
        }
    };
    let (category, message) = match (category, ledger_fee) {
        (Category::Matched, Some(rate)) => {
            match fen(row.service_fee).and_then(|fee| rate.check(slot.key.real_price_fen, fee)) {
                Some(m) => (Category::FeeMismatch, m),
                None => (category, message),
            }
        }
        _ => (category, message),
    };
    let elsewhere = slot
        .key
        .pay_time
        .is_none_or(|t| t < acc.start || t >= acc.end);
    let d = if category == Category::Matched && elsewhere {
        // Stored (explained, so never open) as the record the other day's run looks for.
        Some(discrepancy(
            category,
            cross_day_message(row.finished, slot.key.pay_time),
        ))
    } else {
        (category != Category::Matched).then(|| discrepancy(category, message))
    };
    slot.seen = 1;
    slot.first_trade = h;
    match d {
        Some(d) => acc.push(d),
        None => acc.count(category, Some(row.order_amount), Some(amount)),
    }
    true
}

/// Returns `false` (and records nothing) when `defer` and the refund is not loaded yet.
fn match_refund<'r>(
    row: &'r BillRow,
    ledger: &mut Ledger,
    outside: &mut HashSet<&'r str>,
    acc: &mut Acc,
    defer: bool,
) -> bool {
    // A refund of a trade that is not the platform's (another app or shop on the same account)
    // is none of Paydesk's business, whoever made it.
    let other_app = || {
        from_row(
            row,
            Category::OtherApp,
            format!(
                "a refund of {:?}, not a platform order number: a trade of another app or shop",
                row.out_trade_no
            ),
        )
    };
    let Some(no) = row.out_request_no.as_deref() else {
        if OrderNumber::parse(&row.out_trade_no).is_err() {
            acc.push(other_app());
            return true;
        }
        acc.push(from_row(
            row,
            Category::RefundOutsidePaydesk,
            "a refund without 退款批次号/请求号: not made by Paydesk".to_string(),
        ));
        return true;
    };
    let Some(slot) = ledger.refunds.get_mut(no) else {
        if defer && !outside.contains(no) {
            return false;
        }
        if OrderNumber::parse(&row.out_trade_no).is_err() {
            acc.push(other_app());
            return true;
        }
        let (category, message) = if outside.insert(no) {
            (
                Category::RefundOutsidePaydesk,
                format!(
                    "refund {no} of {} was not made in Paydesk (merchant portal?)",
                    -row.received
                ),
            )
        } else {
            (
                Category::Duplicate,
                format!("refund {no} is listed twice in the bill"),
            )
        };
        acc.push(from_row(row, category, message));
        return true;
    };
    let discrepancy = |category: Category, message: String| {
        let mut d = from_row(row, category, message);
        d.order_id = Some(slot.key.order_id);
        d.order_amount = Some(slot.key.amount);
        d.local_status = Some(slot.key.status.clone());
        d
    };
    if slot.seen {
        let d = discrepancy(
            Category::Duplicate,
            format!("refund {no} is listed twice in the bill"),
        );
        acc.push(d);
        return true;
    }
    let (category, message) = match slot.key.status.as_str() {
        "succeeded" if -row.received != slot.key.amount => (
            Category::RefundMismatch,
            format!(
                "Alipay refunded {}, Paydesk recorded {}",
                -row.received, slot.key.amount
            ),
        ),
        "succeeded" if slot.key.order_number != row.out_trade_no => (
            Category::RefundMismatch,
            format!(
                "the bill puts refund {no} on order {}, Paydesk on {}",
                row.out_trade_no, slot.key.order_number
            ),
        ),
        "succeeded" => (Category::RefundMatched, String::new()),
        "failed" => (
            Category::RefundFailedLocally,
            format!("Paydesk recorded refund {no} as failed, but Alipay refunded it"),
        ),
        other => (
            Category::RefundUnresolved,
            format!("refund {no} is {other} in Paydesk: resume refunds to resolve it"),
        ),
    };
    let d = (category != Category::RefundMatched).then(|| discrepancy(category, message));
    let amount = slot.key.amount;
    slot.seen = true;
    match d {
        Some(d) => acc.push(d),
        None => acc.count(category, Some(row.received), Some(amount)),
    }
    true
}
