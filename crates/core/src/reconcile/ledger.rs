//! The platform side of a run, as matching holds it: the period's orders by number (a million of
//! them as compact keys), Paydesk refunds by out_request_no, the orders other runs' bills listed,
//! and the fee rate each trade is checked against.

use std::collections::hash_map::Entry;

use super::checks::FeeRate;
use crate::queries::reconcile::{OrderKey, RefundKey};

/// Hash maps with a fast non-cryptographic hasher: the keys come from our own database and
/// Alipay's bill, and a million of them are hashed twice per run.
pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// An order number as a map key: the platform's are digit strings, held as the number
/// `1<digits>` (the leading 1 keeps leading zeros apart) so a million of them need no
/// allocation and hash as one integer; anything longer or not all digits is kept as text.
pub(super) fn digits_key(s: &str) -> Option<u128> {
    (!s.is_empty() && s.len() <= 37 && s.bytes().all(|b| b.is_ascii_digit())).then(|| {
        s.bytes()
            .fold(1u128, |acc, b| acc * 10 + u128::from(b - b'0'))
    })
}

pub(super) fn digits_text(k: u128) -> String {
    let s = k.to_string();
    s[1..].to_string()
}

pub(super) struct OrderSlot {
    pub(super) key: OrderKey,
    /// Payment rows seen for this order number.
    pub(super) seen: u32,
    /// Hash of the first payment's trade_no: a second row with the same hash is the same trade
    /// listed twice, another hash a second payment.
    pub(super) first_trade: u64,
}

pub(super) struct RefundSlot {
    pub(super) key: RefundKey,
    pub(super) seen: bool,
}

/// The platform side of a run: orders by number, Paydesk refunds by out_request_no.
#[derive(Default)]
pub struct Ledger {
    pub(super) orders: HashMap<u128, OrderSlot>,
    /// Order numbers that are not short digit strings.
    pub(super) other_orders: HashMap<Box<str>, OrderSlot>,
    /// Order numbers used by more than one order (the column is not unique): all their ids.
    pub(super) shared: HashMap<String, Vec<i64>>,
    pub(super) refunds: HashMap<String, RefundSlot>,
    /// Orders another run's bill listed (an earlier day's, for a payment completed before
    /// midnight and settled here after it, or days late): never missing from this one.
    pub(super) billed_elsewhere: std::collections::HashSet<i64, foldhash::fast::RandomState>,
    /// Each matched payment's 服务费 is checked against this rate; `None`: fees not checked (the
    /// bill has no 服务费 column).
    pub(super) fee_rate: Option<FeeRate>,
}

impl Ledger {
    pub fn with_capacity(orders: usize) -> Ledger {
        Ledger {
            orders: HashMap::with_capacity_and_hasher(orders, Default::default()),
            ..Ledger::default()
        }
    }

    pub fn add_order(&mut self, number: &str, key: OrderKey) {
        let entry = match digits_key(number) {
            Some(k) => self.orders.entry(k),
            None => {
                // Rare (not a platform number): the text map, same rules.
                match self.other_orders.entry(number.into()) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(OrderSlot {
                            key,
                            seen: 0,
                            first_trade: 0,
                        });
                    }
                    std::collections::hash_map::Entry::Occupied(o) => {
                        let first = o.get().key.id;
                        self.note_shared(number, first, key.id);
                    }
                }
                return;
            }
        };
        match entry {
            Entry::Vacant(v) => {
                v.insert(OrderSlot {
                    key,
                    seen: 0,
                    first_trade: 0,
                });
            }
            Entry::Occupied(o) => {
                let first = o.get().key.id;
                self.note_shared(number, first, key.id);
            }
        }
    }

    fn note_shared(&mut self, number: &str, first: i64, id: i64) {
        if first == id {
            return;
        }
        let ids = self
            .shared
            .entry(number.to_string())
            .or_insert_with(|| vec![first]);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    pub(super) fn slot_mut(&mut self, number: &str) -> Option<&mut OrderSlot> {
        match digits_key(number) {
            Some(k) => self.orders.get_mut(&k),
            None => self.other_orders.get_mut(number),
        }
    }

    pub(super) fn is_shared(&self, number: &str) -> Option<&Vec<i64>> {
        if self.shared.is_empty() {
            None
        } else {
            self.shared.get(number)
        }
    }

    pub fn add_refund(&mut self, key: RefundKey) {
        self.refunds
            .entry(key.out_request_no.clone())
            .or_insert(RefundSlot { key, seen: false });
    }

    /// An order that another run's bill listed as paid.
    pub fn add_billed_elsewhere(&mut self, order_id: i64) {
        self.billed_elsewhere.insert(order_id);
    }

    pub fn check_fees(&mut self, rate: Option<FeeRate>) {
        self.fee_rate = rate;
    }

    pub fn orders_len(&self) -> usize {
        self.orders.len() + self.other_orders.len()
    }
}
