//! Matching, with no database and no I/O: bill rows against the period's orders (by
//! out_trade_no = order_number) and Paydesk refunds (by out_request_no). One pass over the
//! bill, then one over what the bill did not mention.

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};

use alipay::bill::{BillKind, BillRow};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::{Category, CategoryTotals, Control, DayTotals, Discrepancy, ReconResult, Summary};
use crate::db::{fen_to_money, money_to_fen};
use crate::domain::{OrderNumber, OrderStatus};
use crate::queries::reconcile::{OrderKey, RefundKey};

/// How often matching reports progress and looks at the cancel flag.
const BATCH: usize = 50_000;

struct OrderSlot {
    key: OrderKey,
    /// Payment rows seen for this order number.
    seen: u32,
    /// Hash of the first payment's trade_no: a second row with the same hash is the same trade
    /// listed twice, another hash a second payment.
    first_trade: u64,
}

struct RefundSlot {
    key: RefundKey,
    seen: bool,
}

/// The platform side of a run: orders by number, Paydesk refunds by out_request_no.
#[derive(Default)]
pub struct Ledger {
    orders: HashMap<String, OrderSlot>,
    /// Order numbers used by more than one order (the column is not unique): all their ids.
    shared: HashMap<String, Vec<i64>>,
    refunds: HashMap<String, RefundSlot>,
}

impl Ledger {
    pub fn with_capacity(orders: usize) -> Ledger {
        Ledger { orders: HashMap::with_capacity(orders), ..Ledger::default() }
    }

    pub fn add_order(&mut self, number: String, key: OrderKey) {
        match self.orders.entry(number) {
            Entry::Vacant(v) => {
                v.insert(OrderSlot { key, seen: 0, first_trade: 0 });
            }
            Entry::Occupied(o) if o.get().key.id != key.id => {
                let first = o.get().key.id;
                let ids = self.shared.entry(o.key().clone()).or_insert_with(|| vec![first]);
                if !ids.contains(&key.id) {
                    ids.push(key.id);
                }
            }
            Entry::Occupied(_) => {}
        }
    }

    pub fn add_refund(&mut self, key: RefundKey) {
        self.refunds.entry(key.out_request_no.clone()).or_insert(RefundSlot { key, seen: false });
    }

    pub fn has_order(&self, number: &str) -> bool {
        self.orders.contains_key(number)
    }

    pub fn has_refund(&self, out_request_no: &str) -> bool {
        self.refunds.contains_key(out_request_no)
    }

    pub fn orders_len(&self) -> usize {
        self.orders.len()
    }
}

/// What a run found, before it is stored.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub discrepancies: Vec<Discrepancy>,
    pub summary: Summary,
}

fn trade_hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish() | 1
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
        bill_amount: Some(if row.kind == BillKind::Payment { row.order_amount } else { row.received }),
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

/// Matches every bill row, then flags what the platform has in `[start, end)` that the bill
/// lacks. `ledger` must hold the period's orders and refunds plus those the rows name.
pub fn match_bill(
    rows: &[BillRow],
    ledger: &mut Ledger,
    start: NaiveDateTime,
    end: NaiveDateTime,
    ctl: &Control,
) -> ReconResult<Findings> {
    let mut acc = Acc { found: Vec::new(), categories: BTreeMap::new() };
    let mut days: BTreeMap<chrono::NaiveDate, DayTotals> = BTreeMap::new();
    let mut outside_refunds: HashSet<&str> = HashSet::new();
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
                match_payment(row, ledger, &mut acc);
            }
            BillKind::Refund => {
                day.refunds += 1;
                day.refunded += row.received;
                match_refund(row, ledger, &mut outside_refunds, &mut acc);
            }
            BillKind::Other(kind) => {
                acc.push(from_row(row, Category::OtherType, format!("a bill row of type {kind:?}, neither 交易 nor 退款")));
            }
        }
    }
    ctl.check()?;
    ctl.report("match", total, total);

    let within = |t: Option<NaiveDateTime>| t.is_some_and(|t| t >= start && t < end);
    let mut missing: Vec<(&String, &OrderSlot)> = ledger
        .orders
        .iter()
        .filter(|(number, s)| {
            s.seen == 0
                && OrderStatus::from(s.key.status) == OrderStatus::Paid
                && within(s.key.pay_time)
                // Balance-paid and free orders never go through Alipay.
                && s.key.pay_type != 2
                && s.key.real_price_fen > 0
                && !ledger.shared.contains_key(*number)
        })
        .collect();
    missing.sort_by_key(|(_, s)| (s.key.pay_time, s.key.id));
    for (number, s) in missing {
        let amount = fen_to_money(s.key.real_price_fen);
        acc.push(Discrepancy {
            id: None,
            category: Category::MissingFromBill,
            out_trade_no: Some(number.clone()),
            trade_no: None,
            out_request_no: None,
            order_id: Some(s.key.id),
            bill_amount: None,
            order_amount: Some(amount),
            at: s.key.pay_time,
            subject: None,
            local_status: Some(status_label(s.key.status)),
            message: format!("paid locally ({amount}) but not in Alipay's bill: query Alipay to see whether the money came"),
            suggested: Category::MissingFromBill.suggested(),
            action: None,
            action_time: None,
            action_by: None,
        });
    }
    let mut lost: Vec<&RefundSlot> = ledger
        .refunds
        .values()
        .filter(|r| !r.seen && r.key.status == "succeeded" && within(r.key.refunded_at))
        .collect();
    lost.sort_by_key(|r| (r.key.refunded_at, r.key.id));
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
            message: format!("Paydesk recorded this refund of {} as succeeded, but the bill does not list it", r.key.amount),
            suggested: Category::RefundMissingFromBill.suggested(),
            action: None,
            action_time: None,
            action_by: None,
        });
    }

    let mut total_day = DayTotals::default();
    for d in days.values() {
        total_day.payments += d.payments;
        total_day.received += d.received;
        total_day.refunds += d.refunds;
        total_day.refunded += d.refunded;
        total_day.fees += d.fees;
        total_day.net += d.net;
    }
    let days = days.into_iter().map(|(day, t)| DayTotals { day: Some(day), ..t }).collect();
    let open = acc.found.iter().filter(|d| d.open()).count() as u64;
    Ok(Findings {
        discrepancies: acc.found,
        summary: Summary { categories: acc.categories, days, total: total_day, bill_rows: total, open },
    })
}

fn match_payment(row: &BillRow, ledger: &mut Ledger, acc: &mut Acc) {
    if let Some(ids) = ledger.shared.get(&row.out_trade_no) {
        let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        acc.push(from_row(
            row,
            Category::Duplicate,
            format!("order number {} is used by several orders (ids {ids}): settle the right one by id", row.out_trade_no),
        ));
        return;
    }
    let Some(slot) = ledger.orders.get_mut(&row.out_trade_no) else {
        let (category, message) = if OrderNumber::parse(&row.out_trade_no).is_ok() {
            (Category::UnknownOrder, format!("paid at Alipay, but there is no order {} on the platform", row.out_trade_no))
        } else {
            (Category::OtherApp, format!("{:?} is not a platform order number: a trade of another app or shop", row.out_trade_no))
        };
        acc.push(from_row(row, category, message));
        return;
    };
    let amount = fen_to_money(slot.key.real_price_fen);
    let status = OrderStatus::from(slot.key.status);
    let mut d = from_row(row, Category::Matched, String::new());
    d.order_id = Some(slot.key.id);
    d.order_amount = Some(amount);
    d.local_status = Some(status.label());
    let h = trade_hash(&row.trade_no);
    if slot.seen > 0 {
        slot.seen += 1;
        d.category = Category::Duplicate;
        d.message = if slot.first_trade == h {
            format!("trade {} is listed twice in the bill", row.trade_no)
        } else {
            format!("order {} was paid again in another trade ({}): refund one of them", row.out_trade_no, row.trade_no)
        };
        d.suggested = d.category.suggested();
        acc.push(d);
        return;
    }
    slot.seen = 1;
    slot.first_trade = h;
    let (category, message) = if fen(row.order_amount) != Some(slot.key.real_price_fen) {
        (Category::AmountMismatch, format!("Alipay has {} for the order, the platform {amount}", row.order_amount))
    } else {
        match status {
            OrderStatus::Paid => (Category::Matched, String::new()),
            OrderStatus::Unpaid => {
                (Category::MissedNotify, "paid at Alipay but still unpaid here (missed notify): settle it".to_string())
            }
            OrderStatus::Cancelled | OrderStatus::TimedOut => (
                Category::PaidAfterClose,
                format!("paid at Alipay after the order was {} here: settle it (flagged for review)", status.label()),
            ),
            OrderStatus::Unknown(n) => (Category::StatusUnknown, format!("paid at Alipay; the order has unknown status {n}")),
        }
    };
    if category == Category::Matched {
        acc.count(category, Some(row.order_amount), Some(amount));
        return;
    }
    d.category = category;
    d.message = message;
    d.suggested = category.suggested();
    acc.push(d);
}

fn match_refund<'r>(row: &'r BillRow, ledger: &mut Ledger, outside: &mut HashSet<&'r str>, acc: &mut Acc) {
    let Some(no) = row.out_request_no.as_deref() else {
        acc.push(from_row(
            row,
            Category::RefundOutsidePaydesk,
            "a refund without 退款批次号/请求号: not made by Paydesk".to_string(),
        ));
        return;
    };
    let Some(slot) = ledger.refunds.get_mut(no) else {
        let (category, message) = if outside.insert(no) {
            (Category::RefundOutsidePaydesk, format!("refund {no} of {} was not made in Paydesk (merchant portal?)", -row.received))
        } else {
            (Category::Duplicate, format!("refund {no} is listed twice in the bill"))
        };
        acc.push(from_row(row, category, message));
        return;
    };
    let mut d = from_row(row, Category::RefundMatched, String::new());
    d.order_id = Some(slot.key.order_id);
    d.order_amount = Some(slot.key.amount);
    d.local_status = Some(slot.key.status.clone());
    if slot.seen {
        d.category = Category::Duplicate;
        d.message = format!("refund {no} is listed twice in the bill");
        d.suggested = d.category.suggested();
        acc.push(d);
        return;
    }
    slot.seen = true;
    let (category, message) = match slot.key.status.as_str() {
        "succeeded" if -row.received != slot.key.amount => (
            Category::RefundMismatch,
            format!("Alipay refunded {}, Paydesk recorded {}", -row.received, slot.key.amount),
        ),
        "succeeded" if slot.key.order_number != row.out_trade_no => (
            Category::RefundMismatch,
            format!("the bill puts refund {no} on order {}, Paydesk on {}", row.out_trade_no, slot.key.order_number),
        ),
        "succeeded" => (Category::RefundMatched, String::new()),
        "failed" => (Category::RefundFailedLocally, format!("Paydesk recorded refund {no} as failed, but Alipay refunded it")),
        other => (Category::RefundUnresolved, format!("refund {no} is {other} in Paydesk: resume refunds to resolve it")),
    };
    if category == Category::RefundMatched {
        acc.count(category, Some(row.received), Some(slot.key.amount));
        return;
    }
    d.category = category;
    d.message = message;
    d.suggested = category.suggested();
    acc.push(d);
}
