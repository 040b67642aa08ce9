//! Trades paid before the simulator existed: a demo database's paid orders recorded as if their
//! buyers had gone through the cashier back then, so Alipay's bill for a past day lists them and
//! reconciling that day matches instead of reporting every demo payment missing.

use alipay::{Amount, SignType};
use chrono::NaiveDateTime;

use crate::core::Sim;
use crate::protocol::Charset;
use crate::state::{LedgerEntry, LedgerKind, Product, Refund, Trade, TradeStatus};

/// One payment to record. Amounts are [`Amount`]s, so a value Alipay would refuse (0, more than
/// two decimals, above 100,000,000) cannot be imported either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricTrade {
    /// The platform's order number.
    pub out_trade_no: String,
    /// What the site sent as `subject` (the bill's 商品名称).
    pub subject: String,
    pub total_amount: Amount,
    /// When the cashier was opened (the bill's 创建时间), Beijing time.
    pub gmt_create: NaiveDateTime,
    /// When the buyer paid (the bill's 完成时间), Beijing time.
    pub gmt_payment: NaiveDateTime,
    /// Refunds made since, oldest first (a refund made in the merchant portal, say).
    pub refunds: Vec<HistoricRefund>,
}

/// One refund of an imported payment, as Alipay made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricRefund {
    pub out_request_no: String,
    pub amount: Amount,
    pub reason: Option<String>,
    /// When the money went back, Beijing time.
    pub gmt_refund: NaiveDateTime,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("cannot import trade {out_trade_no:?}: {reason}")]
    Invalid {
        out_trade_no: String,
        reason: String,
    },
}

impl Sim {
    /// Records paid trades of the default app. The whole batch is checked before anything is
    /// written, so a bad entry leaves the state untouched; trades whose out_trade_no the app
    /// already has are skipped, which makes importing the same history again a no-op.
    pub(crate) fn import_paid(
        &self,
        trades: impl IntoIterator<Item = HistoricTrade>,
    ) -> Result<usize, ImportError> {
        let now = self.now();
        let mut batch: Vec<HistoricTrade> = trades.into_iter().collect();
        for h in &batch {
            check(h, now)?;
        }
        // Trade numbers carry the state's sequence and the ledger is kept in sequence order:
        // numbering the batch by payment time keeps both in the order things happened.
        batch.sort_by(|a, b| {
            (a.gmt_payment, &a.out_trade_no).cmp(&(b.gmt_payment, &b.out_trade_no))
        });
        let app_id = self.identity.app_id.clone();
        let mut st = self.lock();
        let mut imported = 0;
        for mut h in batch {
            if st.by_out_trade_no(&app_id, &h.out_trade_no).is_some() {
                continue;
            }
            let refunds = std::mem::take(&mut h.refunds);
            // Like the cashier's, but dated the day of payment: the bill shows the number next
            // to that day's date.
            let trade_no = self.new_trade_no(&mut st, h.gmt_payment);
            let t = Trade {
                trade_no,
                app_id: app_id.clone(),
                out_trade_no: h.out_trade_no,
                product: Product::Page,
                subject: h.subject,
                body: None,
                total_amount: h.total_amount,
                status: TradeStatus::TradeSuccess,
                gmt_create: h.gmt_create,
                gmt_payment: Some(h.gmt_payment),
                gmt_close: None,
                // What the cashier sets when the request has no time_expire; it only matters for
                // unpaid trades.
                expires_at: Some(h.gmt_create + self.settings.default_pay_timeout),
                buyer_id: Some(format!(
                    "2088{:012}",
                    rand::random_range(0..1_000_000_000_000u64)
                )),
                buyer_logon_id: Some(format!("138****{:04}", rand::random_range(0..10_000u32))),
                return_url: None,
                notify_url: None,
                passback_params: None,
                charset: Charset::Utf8,
                sign_type: SignType::Rsa2,
                fee: self.fee(h.total_amount.value()),
                refunds: Vec::new(),
                cashier_token: hex::encode(rand::random::<[u8; 16]>()),
            };
            let seq = st.next_seq();
            st.ledger.push(LedgerEntry {
                seq,
                at: h.gmt_payment,
                kind: LedgerKind::Payment,
                app_id: t.app_id.clone(),
                trade_no: t.trade_no.clone(),
                out_trade_no: t.out_trade_no.clone(),
                out_request_no: None,
                amount: t.total_amount.value(),
            });
            let mut t = t;
            for r in refunds {
                // As the refund method does: the fee of the cumulative refund, less what was
                // given back already, never more than was charged.
                let after = t.refunded() + r.amount.value();
                let before: rust_decimal::Decimal = t.refunds.iter().map(|x| x.fee_returned).sum();
                let fee_back =
                    (self.fee(after).min(t.fee) - before).max(rust_decimal::Decimal::ZERO);
                t.refunds.push(Refund {
                    out_request_no: r.out_request_no.clone(),
                    amount: r.amount.value(),
                    reason: r.reason,
                    gmt_refund: r.gmt_refund,
                    fee_returned: fee_back,
                });
                if t.refunded() == t.total_amount.value() {
                    t.status = TradeStatus::TradeClosed;
                    t.gmt_close = Some(r.gmt_refund);
                }
                let seq = st.next_seq();
                st.ledger.push(LedgerEntry {
                    seq,
                    at: r.gmt_refund,
                    kind: LedgerKind::Refund,
                    app_id: t.app_id.clone(),
                    trade_no: t.trade_no.clone(),
                    out_trade_no: t.out_trade_no.clone(),
                    out_request_no: Some(r.out_request_no),
                    amount: -r.amount.value(),
                });
            }
            st.insert(t);
            imported += 1;
        }
        // One write for the batch: thousands of trades, one state file.
        if imported > 0 {
            self.save(&mut st);
        }
        Ok(imported)
    }
}

/// What the cashier would have refused, and times that cannot be history.
fn check(h: &HistoricTrade, now: NaiveDateTime) -> Result<(), ImportError> {
    let bad = |reason: String| {
        Err(ImportError::Invalid {
            out_trade_no: h.out_trade_no.clone(),
            reason,
        })
    };
    if h.out_trade_no.is_empty()
        || h.out_trade_no.len() > 64
        || !h
            .out_trade_no
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        return bad("out_trade_no must be 1-64 letters, digits or underscores".into());
    }
    if h.subject.trim().is_empty() || h.subject.chars().count() > 256 {
        return bad("subject must be 1-256 characters".into());
    }
    if h.gmt_payment < h.gmt_create {
        return bad(format!(
            "paid at {} before it was created at {}",
            h.gmt_payment, h.gmt_create
        ));
    }
    if h.gmt_payment > now {
        return bad(format!(
            "paid at {}, after the simulator's now ({now})",
            h.gmt_payment
        ));
    }
    let mut refunded = rust_decimal::Decimal::ZERO;
    for r in &h.refunds {
        refunded += r.amount.value();
        if r.gmt_refund < h.gmt_payment || r.gmt_refund > now {
            return bad(format!(
                "refund {} at {} is not between the payment and now",
                r.out_request_no, r.gmt_refund
            ));
        }
        if r.out_request_no.is_empty() || r.out_request_no.len() > 64 {
            return bad("out_request_no must be 1-64 characters".into());
        }
    }
    if refunded > h.total_amount.value() {
        return bad(format!(
            "refunds of {refunded} exceed the payment of {}",
            h.total_amount.value()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bill::{BillPeriod, build};
    use crate::{SimConfig, Simulator};
    use alipay::bill::{BillKind, parse_bill};
    use chrono::{Duration, NaiveDate};
    use rust_decimal::Decimal;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn trade(no: &str, amount: &str, created: &str, paid: &str) -> HistoricTrade {
        HistoricTrade {
            out_trade_no: no.into(),
            subject: "购买课程".into(),
            total_amount: amount.parse().unwrap(),
            gmt_create: at(created),
            gmt_payment: at(paid),
            refunds: Vec::new(),
        }
    }

    /// One key pair for the module's tests: RSA generation is slow.
    fn keys() -> crate::SimKeys {
        static KEYS: std::sync::OnceLock<crate::SimKeys> = std::sync::OnceLock::new();
        KEYS.get_or_init(|| crate::SimKeys::generate().unwrap())
            .clone()
    }

    async fn start(dir: &std::path::Path) -> crate::SimHandle {
        Simulator::start(SimConfig {
            keys: Some(keys()),
            state_file: Some(dir.join("state.json")),
            ..SimConfig::ephemeral()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn an_imported_portal_refund_is_in_its_days_bill() {
        let dir = tempfile::tempdir().unwrap();
        let sim = start(dir.path()).await;
        sim.clock().set_beijing("2026-03-10 12:00:00").unwrap();
        let mut t = trade(
            "2026030100000200000002000009",
            "100.00",
            "2026-03-01 09:00:00",
            "2026-03-01 09:03:10",
        );
        t.refunds.push(HistoricRefund {
            out_request_no: "PORTAL20260302".into(),
            amount: "30.00".parse().unwrap(),
            reason: Some("客服退款".into()),
            gmt_refund: at("2026-03-02 18:00:00"),
        });
        assert_eq!(sim.import_paid_trades([t.clone()]).unwrap(), 1);
        let traded = sim.trade(&t.out_trade_no).unwrap();
        assert_eq!(traded.status, TradeStatus::TradeSuccess, "partly refunded");
        assert_eq!(traded.refunded(), "30.00".parse::<Decimal>().unwrap());
        let zip = build(
            &sim.sim.lock(),
            &sim.account(),
            BillPeriod::Day(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
            sim.sim.now(),
        )
        .unwrap()
        .expect("a bill for the refund's day");
        let bill = parse_bill(&zip).unwrap();
        assert_eq!(bill.rows.len(), 1);
        let r = &bill.rows[0];
        assert_eq!(r.kind, BillKind::Refund);
        assert_eq!(r.out_trade_no, t.out_trade_no);
        assert_eq!(r.received, "-30.00".parse::<Decimal>().unwrap());
        // More than was paid cannot be history.
        let mut over = trade(
            "2026030100000200000002000010",
            "1.00",
            "2026-03-01 09:00:00",
            "2026-03-01 09:01:00",
        );
        over.refunds.push(HistoricRefund {
            out_request_no: "R1".into(),
            amount: "2.00".parse().unwrap(),
            reason: None,
            gmt_refund: at("2026-03-01 10:00:00"),
        });
        assert!(sim.import_paid_trades([over]).is_err());
    }

    #[tokio::test]
    async fn imported_history_is_in_the_day_bill_once() {
        let dir = tempfile::tempdir().unwrap();
        let sim = start(dir.path()).await;
        // Clock pinned well after the history, so every day below is in the past.
        sim.clock().set_beijing("2026-03-10 12:00:00").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let history = vec![
            // Created the evening before, paid just after midnight: in the 1st's bill.
            trade(
                "2026022823595900000001000001",
                "0.01",
                "2026-02-28 23:59:50",
                "2026-03-01 00:00:05",
            ),
            trade(
                "2026030100000200000002000002",
                "1579.00",
                "2026-03-01 09:00:00",
                "2026-03-01 09:03:10",
            ),
            // Half a fen of fee: rounds away from zero (4.995 -> 5.00).
            trade(
                "2026030100000300000003000003",
                "832.50",
                "2026-03-01 23:50:00",
                "2026-03-01 23:59:59",
            ),
            // The next day: not in the 1st's bill.
            trade(
                "2026030100000400000004000004",
                "20.00",
                "2026-03-01 23:58:00",
                "2026-03-02 00:00:00",
            ),
        ];
        assert_eq!(sim.import_paid_trades(history.clone()).unwrap(), 4);

        // What the bill download method builds for the day.
        let zip = build(
            &sim.sim.lock(),
            &sim.account(),
            BillPeriod::Day(day),
            sim.sim.now(),
        )
        .unwrap()
        .expect("a bill for the day");
        let bill = parse_bill(&zip).unwrap();
        let mut rows: Vec<_> = bill
            .rows
            .iter()
            .map(|r| {
                assert_eq!(r.kind, BillKind::Payment);
                assert_eq!(r.subject, "购买课程");
                assert_eq!(r.trade_no.len(), 28, "{}", r.trade_no);
                assert!(r.trade_no.starts_with("20260301"), "{}", r.trade_no);
                (
                    r.out_trade_no.clone(),
                    r.created,
                    r.finished,
                    r.order_amount,
                    r.received,
                    r.service_fee,
                )
            })
            .collect();
        rows.sort();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    history[0].out_trade_no.clone(),
                    Some(at("2026-02-28 23:59:50")),
                    at("2026-03-01 00:00:05"),
                    d("0.01"),
                    d("0.01"),
                    d("0.00")
                ),
                (
                    history[1].out_trade_no.clone(),
                    Some(at("2026-03-01 09:00:00")),
                    at("2026-03-01 09:03:10"),
                    d("1579.00"),
                    d("1579.00"),
                    d("-9.47")
                ),
                (
                    history[2].out_trade_no.clone(),
                    Some(at("2026-03-01 23:50:00")),
                    at("2026-03-01 23:59:59"),
                    d("832.50"),
                    d("832.50"),
                    d("-5.00")
                ),
            ]
        );
        assert_eq!(bill.info.stated.payments, 3);
        assert_eq!(bill.info.stated.payments_received, d("2411.51"));
        assert_eq!(bill.info.stated.refunds, 0);
        let summary = bill.info.summary.as_ref().expect("summary file");
        assert_eq!(summary.payments, 3);
        assert_eq!(summary.received, d("2411.51"));
        assert_eq!(summary.service_fee, Some(d("-14.47")));
        assert_eq!(summary.net, Some(d("2397.04")));

        // Paid trades with a payment in the ledger, like the cashier's, and no notify.
        let t = sim.trade(&history[1].out_trade_no).unwrap();
        assert_eq!(t.status, TradeStatus::TradeSuccess);
        assert!(t.buyer_id.as_deref().is_some_and(|b| b.starts_with("2088")));
        assert!(t.buyer_logon_id.is_some());
        assert_eq!(t.fee, d("9.47"));
        let ledger = sim.ledger();
        assert_eq!(ledger.len(), 4);
        assert!(ledger.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(sim.notifications().is_empty());

        // Again (and once more with a new trade): only the new one is recorded.
        assert_eq!(sim.import_paid_trades(history.clone()).unwrap(), 0);
        let more = trade(
            "2026030500000500000005000005",
            "9.90",
            "2026-03-05 10:00:00",
            "2026-03-05 10:01:00",
        );
        let mut again = history.clone();
        again.push(more.clone());
        assert_eq!(sim.import_paid_trades(again).unwrap(), 1);
        assert_eq!(sim.trades().len(), 5);
        assert_eq!(sim.ledger().len(), 5);
        sim.stop().await;

        // The state file has them: a restarted simulator skips them all.
        let sim = start(dir.path()).await;
        assert_eq!(sim.trades().len(), 5);
        assert_eq!(sim.import_paid_trades(history).unwrap(), 0);
        assert_eq!(sim.import_paid_trades([more]).unwrap(), 0);
        sim.stop().await;
    }

    #[tokio::test]
    async fn a_bad_entry_imports_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let sim = start(dir.path()).await;
        let now = sim.sim.now();
        let ts = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let yesterday = now - Duration::days(1);
        let good = trade(
            "good_1",
            "1.00",
            &ts(yesterday),
            &ts(yesterday + Duration::minutes(1)),
        );
        let cases = [
            trade(
                "future",
                "1.00",
                &ts(yesterday),
                &ts(now + Duration::hours(1)),
            ),
            trade(
                "backwards",
                "1.00",
                &ts(yesterday),
                &ts(yesterday - Duration::minutes(1)),
            ),
            HistoricTrade {
                out_trade_no: "has-dash".into(),
                ..good.clone()
            },
            HistoricTrade {
                subject: " ".into(),
                out_trade_no: "blank_subject".into(),
                ..good.clone()
            },
        ];
        for bad in cases {
            let name = bad.out_trade_no.clone();
            let e = sim.import_paid_trades([good.clone(), bad]).unwrap_err();
            assert!(
                matches!(&e, ImportError::Invalid { out_trade_no, .. } if *out_trade_no == name),
                "{e}"
            );
        }
        assert!(sim.trades().is_empty());
        assert!(sim.ledger().is_empty());
        assert!(!dir.path().join("state.json").exists());
        sim.stop().await;
    }
}
