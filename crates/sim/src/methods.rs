//! The server methods: query, refund, refund query, close and the bill URL. Each takes the
//! checked request and answers the response object (or an Alipay error), changing state as the
//! real gateway does.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::bill::{BillFile, BillPeriod};
use crate::core::{Biz, Sim, money, parse_amount, ts};
use crate::envelope::Obj;
use crate::notify::NotifyKind;
use crate::protocol::AlipayError;
use crate::state::{LedgerEntry, LedgerKind, Refund, TradeStatus};

impl Sim {
    pub(crate) fn query(&self, app_id: &str, biz: &Biz) -> Result<Obj, AlipayError> {
        let (tn, otn) = biz.trade_ref()?;
        let now = self.now();
        let mut st = self.lock();
        let i = st
            .find(app_id, tn.as_deref(), otn.as_deref())
            .ok_or_else(AlipayError::trade_not_exist)?;
        if self.age(&mut st.trades[i], now) {
            self.save(&mut st);
        }
        let t = &st.trades[i];
        let paid = t.gmt_payment.is_some();
        let received = if paid {
            money(t.total_amount.value())
        } else {
            "0.00".into()
        };
        let mut o = Obj::success();
        o.put("trade_no", t.trade_no.as_str())
            .put("out_trade_no", t.out_trade_no.as_str())
            .put_opt("buyer_logon_id", t.buyer_logon_id.as_deref())
            .put("trade_status", t.status.as_str())
            .put("total_amount", t.total_amount.to_string())
            .put("buyer_pay_amount", received.as_str())
            .put("point_amount", "0.00")
            .put("invoice_amount", received.as_str())
            .put_opt("send_pay_date", t.gmt_payment.map(ts))
            .put("receipt_amount", received.as_str())
            .put_opt("buyer_user_id", t.buyer_id.as_deref());
        Ok(o)
    }

    pub(crate) fn refund(&self, app_id: &str, biz: &Biz) -> Result<Obj, AlipayError> {
        let (tn, otn) = biz.trade_ref()?;
        let amount = parse_amount("refund_amount", &biz.require("refund_amount")?)?;
        let out_request_no = biz.get("out_request_no");
        let now = self.now();
        let mut st = self.lock();
        let i = st
            .find(app_id, tn.as_deref(), otn.as_deref())
            .ok_or_else(AlipayError::trade_not_exist)?;
        let aged = self.age(&mut st.trades[i], now);
        // Without out_request_no, Alipay takes out_trade_no as the request number: a repeated
        // full refund is then the same request.
        let req_no = out_request_no
            .clone()
            .unwrap_or_else(|| st.trades[i].out_trade_no.clone());

        let t = &st.trades[i];
        if let Some(done) = t.refund(&req_no) {
            if done.amount != amount {
                return Err(AlipayError::business(
                    "ACQ.DISCORDANT_REPEAT_REQUEST",
                    format!(
                        "请求信息不一致: out_request_no {req_no} 已用于退款 {}，本次 {}",
                        money(done.amount),
                        money(amount)
                    ),
                ));
            }
            let gmt = done.gmt_refund;
            let o = refund_answer(t, "N", gmt, Decimal::ZERO);
            if aged {
                self.save(&mut st);
            }
            return Ok(o);
        }
        let refusal = match t.status {
            TradeStatus::WaitBuyerPay => Some(AlipayError::business(
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法: 交易未支付",
            )),
            TradeStatus::TradeClosed => Some(AlipayError::business(
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法: 交易已关闭",
            )),
            TradeStatus::TradeFinished => Some(AlipayError::business(
                "ACQ.TRADE_NOT_ALLOW_REFUND",
                "当前交易不允许退款: 已超过退款期限",
            )),
            TradeStatus::TradeSuccess => None,
        };
        if let Some(e) = refusal {
            if aged {
                self.save(&mut st);
            }
            return Err(e);
        }
        if out_request_no.is_none() && amount != t.total_amount.value() {
            return Err(AlipayError::business(
                "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                "退款金额与交易金额不一致: 部分退款必须传 out_request_no",
            ));
        }
        let left = t.total_amount.value() - t.refunded();
        if amount > left {
            return Err(AlipayError::business(
                "ACQ.REASON_TRADE_REFUND_FEE_ERR",
                format!("退款金额超限: 可退 {}，申请 {}", money(left), money(amount)),
            ));
        }

        // Alipay's rule: refunds of one trade at least 3 s apart. One sooner is answered like a
        // busy gateway (20000 ACQ.SYSTEM_ERROR) and changes nothing, so a client that resends
        // the same out_request_no later gets it made exactly once. A repeat of a refund already
        // made was answered above and is never held back; a previous refund "in the future"
        // (the clock was moved back) does not count.
        let gap = self.settings.refund_min_interval;
        if gap > chrono::Duration::zero()
            && let Some(last) = t.refunds.iter().map(|r| r.gmt_refund).max()
            && now >= last
            && now - last < gap
        {
            return Err(AlipayError::system_busy(format!(
                "同一笔交易的退款需间隔 {} 毫秒以上: 上一笔退款于 {}，请稍后用相同的 out_request_no 重试",
                gap.num_milliseconds(),
                last.format("%Y-%m-%d %H:%M:%S%.3f")
            )));
        }

        // Fee given back: what the cumulative refund's fee would be, less what was given back
        // already, never more than was charged.
        let refunded_after = t.refunded() + amount;
        let returned_before: Decimal = t.refunds.iter().map(|r| r.fee_returned).sum();
        let fee_back = self.fee(refunded_after).min(t.fee) - returned_before;
        let seq = st.next_seq();
        let t = &mut st.trades[i];
        t.refunds.push(Refund {
            out_request_no: req_no.clone(),
            amount,
            reason: biz.get("refund_reason"),
            gmt_refund: now,
            fee_returned: fee_back.max(Decimal::ZERO),
        });
        if t.refunded() == t.total_amount.value() {
            t.status = TradeStatus::TradeClosed;
            t.gmt_close = Some(now);
        }
        let o = refund_answer(t, "Y", now, amount);
        let entry = LedgerEntry {
            seq,
            at: now,
            kind: LedgerKind::Refund,
            app_id: t.app_id.clone(),
            trade_no: t.trade_no.clone(),
            out_trade_no: t.out_trade_no.clone(),
            out_request_no: Some(req_no.clone()),
            amount: -amount,
        };
        let snapshot = t.clone();
        st.ledger.push(entry);
        // The notify is part of the change: saved with it, so a restart still delivers it.
        let notify = self.notifier.prepare(
            self,
            &snapshot,
            NotifyKind::Refund {
                out_request_no: req_no,
            },
        );
        st.pending_notifies.extend(notify.clone());
        self.save(&mut st);
        drop(st);
        if let Some(n) = notify {
            self.notifier.start(self, n);
        }
        Ok(o)
    }

    pub(crate) fn refund_query(&self, app_id: &str, biz: &Biz) -> Result<Obj, AlipayError> {
        let (tn, otn) = biz.trade_ref()?;
        let req_no = biz.require("out_request_no")?;
        let st = self.lock();
        let i = st
            .find(app_id, tn.as_deref(), otn.as_deref())
            .ok_or_else(AlipayError::trade_not_exist)?;
        let t = &st.trades[i];
        let mut o = Obj::success();
        o.put("trade_no", t.trade_no.as_str())
            .put("out_trade_no", t.out_trade_no.as_str())
            .put("out_request_no", req_no.as_str());
        // An unknown request answers 10000 without refund_status: "not refunded", which is
        // why clients must look for REFUND_SUCCESS rather than for a success code.
        if let Some(r) = t.refund(&req_no) {
            o.put("total_amount", t.total_amount.to_string())
                .put("refund_amount", money(r.amount))
                .put("refund_status", "REFUND_SUCCESS")
                .put("gmt_refund_pay", ts(r.gmt_refund));
        }
        Ok(o)
    }

    pub(crate) fn close(&self, app_id: &str, biz: &Biz) -> Result<Obj, AlipayError> {
        let (tn, otn) = biz.trade_ref()?;
        let now = self.now();
        let mut st = self.lock();
        let i = st
            .find(app_id, tn.as_deref(), otn.as_deref())
            .ok_or_else(AlipayError::trade_not_exist)?;
        let aged = self.age(&mut st.trades[i], now);
        let t = &mut st.trades[i];
        let res = match t.status {
            TradeStatus::WaitBuyerPay => {
                t.status = TradeStatus::TradeClosed;
                t.gmt_close = Some(now);
                let mut o = Obj::success();
                o.put("trade_no", t.trade_no.as_str())
                    .put("out_trade_no", t.out_trade_no.as_str());
                Ok(o)
            }
            TradeStatus::TradeClosed => Err(AlipayError::business(
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法: 交易已关闭",
            )),
            TradeStatus::TradeSuccess | TradeStatus::TradeFinished => Err(AlipayError::business(
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法: 交易已支付，不能关闭",
            )),
        };
        if aged || res.is_ok() {
            self.save(&mut st);
        }
        res
    }

    pub(crate) fn bill_url(&self, biz: &Biz) -> Result<Obj, AlipayError> {
        let bill_type = biz
            .get("bill_type")
            .ok_or_else(|| invalid_args("bill_type 不能为空 (trade 或 signcustomer)"))?;
        let date = biz
            .get("bill_date")
            .ok_or_else(|| invalid_args("bill_date 不能为空 (yyyy-MM-dd 或 yyyy-MM)"))?;
        let today = self.now().date();
        let period = parse_bill_date(&date, today)?;
        match bill_type.as_str() {
            "trade" => {}
            "signcustomer" => {
                return Err(AlipayError::business(
                    "isp.bill_not_exist",
                    "账单不存在: 模拟器只生成 trade 类型的账单",
                ));
            }
            other => {
                return Err(invalid_args(&format!(
                    "bill_type={other} 不合法 (trade 或 signcustomer)"
                )));
            }
        }
        let now = self.now();
        let zip = {
            let mut st = self.lock();
            let mut aged = false;
            for t in st.trades.iter_mut() {
                aged |= self.age(t, now);
            }
            if aged {
                self.save(&mut st);
            }
            crate::bill::build(&st, &self.account(), period, now)
        };
        let Some(zip) = zip.map_err(|e| {
            tracing::error!("building the bill failed: {e}");
            AlipayError::system_error()
        })?
        else {
            return Err(AlipayError::business("isp.bill_not_exist", "账单不存在"));
        };
        let token = hex::encode(rand::random::<[u8; 16]>());
        let biz_dates = period.file_date();
        let url = format!(
            "{}/downloadBillFile.resource?bizType=trade&userId={}&fileType=csv.zip&bizDates={}&downloadFileName={}_{}.csv.zip&fileId=%2Ftrade%2F{}%2F{}&timestamp={}&token={}",
            self.base_url,
            self.identity.seller_id,
            biz_dates,
            self.account(),
            biz_dates,
            self.identity.seller_id,
            biz_dates,
            self.clock_millis(),
            token
        );
        {
            let mut bills = self.bills.lock().unwrap_or_else(|p| p.into_inner());
            bills.retain(|_, b| b.expires_at > now);
            bills.insert(
                token,
                BillFile {
                    bytes: zip,
                    file_name: format!("{}_{}.csv.zip", self.account(), biz_dates),
                    expires_at: now + self.settings.bill_url_validity,
                },
            );
        }
        let mut o = Obj::success();
        o.put("bill_download_url", url);
        Ok(o)
    }

    fn clock_millis(&self) -> i64 {
        use alipay::Clock;
        self.clock.now_utc().timestamp_millis()
    }
}

fn refund_answer(
    t: &crate::state::Trade,
    fund_change: &str,
    gmt: chrono::NaiveDateTime,
    this_refund: Decimal,
) -> Obj {
    let mut o = Obj::success();
    o.put("trade_no", t.trade_no.as_str())
        .put("out_trade_no", t.out_trade_no.as_str())
        .put_opt("buyer_logon_id", t.buyer_logon_id.as_deref())
        .put("fund_change", fund_change)
        .put("refund_fee", money(t.refunded()))
        .put("gmt_refund_pay", ts(gmt))
        .put_opt("buyer_user_id", t.buyer_id.as_deref())
        .put("send_back_fee", money(this_refund));
    o
}

fn invalid_args(detail: &str) -> AlipayError {
    AlipayError::invalid("isv.invalid-arguments", format!("参数有误: {detail}"))
}

/// `yyyy-MM-dd` before today, or `yyyy-MM` before this month (Beijing dates of the sim clock).
fn parse_bill_date(s: &str, today: NaiveDate) -> Result<BillPeriod, AlipayError> {
    if s.len() == 10 {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| invalid_args(&format!("bill_date={s} 不是 yyyy-MM-dd 日期")))?;
        if d >= today {
            return Err(invalid_args(&format!(
                "bill_date={s}: 只能查询昨天及以前的日账单 (今天是 {today})"
            )));
        }
        return Ok(BillPeriod::Day(d));
    }
    if s.len() == 7 {
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .map_err(|_| invalid_args(&format!("bill_date={s} 不是 yyyy-MM 月份")))?;
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        if first >= this_month {
            return Err(invalid_args(&format!(
                "bill_date={s}: 只能查询上个月及以前的月账单"
            )));
        }
        return Ok(BillPeriod::Month(first));
    }
    Err(invalid_args(&format!(
        "bill_date={s} 格式应为 yyyy-MM-dd 或 yyyy-MM"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_dates_must_be_past_and_well_formed() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert!(matches!(
            parse_bill_date("2026-11-24", today),
            Ok(BillPeriod::Day(_))
        ));
        assert!(matches!(
            parse_bill_date("2026-10", today),
            Ok(BillPeriod::Month(_))
        ));
        for bad in [
            "2026-11-25",
            "2026-12-01",
            "2026-11",
            "2026-13",
            "2026/11/24",
            "yesterday",
        ] {
            let e = parse_bill_date(bad, today).unwrap_err();
            assert_eq!(e.sub_code, "isv.invalid-arguments", "{bad}");
        }
    }
}
