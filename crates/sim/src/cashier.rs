//! The cashier of `alipay.trade.page.pay` / `alipay.trade.wap.pay`: opening it creates the trade,
//! *Pay* settles it, redirects to return_url with a signed return and sends the async notify.

use alipay::sign::{CALLBACK_EXCLUDE, canonical_content};
use alipay::{Amount, Clock};
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use crate::core::{Biz, Sim, money, ts};
use crate::notify::NotifyKind;
use crate::protocol::{AlipayError, Checked, form_encode};
use crate::state::{LedgerEntry, LedgerKind, Product, Trade, TradeStatus};

/// What paying produced: the merchant's return URL (None when the request had none).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Paid {
    pub trade_no: String,
    pub out_trade_no: String,
    pub return_url: Option<String>,
}

/// How the cashier page refers to a trade.
pub(crate) enum Which<'a> {
    Token(&'a str),
    OutTradeNo {
        app_id: &'a str,
        out_trade_no: &'a str,
    },
}

impl Sim {
    /// Validates the pay request and creates (or reopens) the trade.
    pub(crate) fn open_cashier(&self, c: &Checked, biz: &Biz) -> Result<Trade, AlipayError> {
        let product = if c.method == crate::protocol::WAP_PAY {
            Product::Wap
        } else {
            Product::Page
        };
        let out_trade_no = biz.require("out_trade_no")?;
        if out_trade_no.len() > 64
            || !out_trade_no
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            return Err(AlipayError::bad_param(format!(
                "out_trade_no={out_trade_no}: 64 个字符以内，仅支持字母、数字、下划线"
            )));
        }
        let amount_text = biz.require("total_amount")?;
        let total_amount: Amount = amount_text
            .parse()
            .map_err(|e| AlipayError::bad_param(format!("total_amount={amount_text}: {e}")))?;
        let subject = biz.require("subject")?;
        if subject.chars().count() > 256 {
            return Err(AlipayError::bad_param("subject 超过 256 个字符"));
        }
        if let Some(pc) = biz.get("product_code")
            && pc != product.product_code()
        {
            return Err(AlipayError::bad_param(format!(
                "product_code={pc}: {} 应为 {}",
                c.method,
                product.product_code()
            )));
        }
        let now = self.now();
        let mut deadline = now + self.settings.default_pay_timeout;
        if let Some(te) = biz.get("time_expire") {
            let at = NaiveDateTime::parse_from_str(&te, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(&te, "%Y-%m-%d %H:%M"))
                .map_err(|_| {
                    AlipayError::bad_param(format!("time_expire={te}: 格式为 yyyy-MM-dd HH:mm:ss"))
                })?;
            deadline = deadline.min(at);
        }
        if let Some(tx) = biz.get("timeout_express") {
            deadline = deadline.min(timeout_deadline(&tx, now)?);
        }

        let mut st = self.lock();
        if let Some(i) = st.by_out_trade_no(&c.app_id, &out_trade_no) {
            let aged = self.age(&mut st.trades[i], now);
            let t = &st.trades[i];
            let res = match t.status {
                TradeStatus::TradeSuccess | TradeStatus::TradeFinished => Err(
                    AlipayError::business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
                ),
                TradeStatus::TradeClosed => {
                    Err(AlipayError::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"))
                }
                TradeStatus::WaitBuyerPay
                    if t.total_amount != total_amount || t.subject != subject =>
                {
                    Err(AlipayError::business(
                        "ACQ.CONTEXT_INCONSISTENT",
                        format!(
                            "交易信息被篡改: 该订单号已以金额 {} 、标题 {:?} 创建",
                            t.total_amount, t.subject
                        ),
                    ))
                }
                TradeStatus::WaitBuyerPay => Ok(t.clone()),
            };
            if aged {
                self.save(&mut st);
            }
            return res;
        }
        if deadline <= now {
            return Err(AlipayError::business(
                "ACQ.TRADE_HAS_CLOSE",
                format!("交易已经关闭: 付款截止时间 {} 已过", ts(deadline)),
            ));
        }
        let trade_no = self.new_trade_no(&mut st, now);
        let t = Trade {
            trade_no,
            app_id: c.app_id.clone(),
            out_trade_no,
            product,
            subject,
            body: biz.get("body"),
            total_amount,
            status: TradeStatus::WaitBuyerPay,
            gmt_create: now,
            gmt_payment: None,
            gmt_close: None,
            expires_at: Some(deadline),
            buyer_id: None,
            buyer_logon_id: None,
            return_url: c.return_url.clone(),
            notify_url: c.notify_url.clone(),
            passback_params: biz.get("passback_params"),
            charset: c.charset,
            sign_type: c.sign_type,
            fee: self.fee(total_amount.value()),
            refunds: Vec::new(),
            cashier_token: hex::encode(rand::random::<[u8; 16]>()),
        };
        st.insert(t.clone());
        self.save(&mut st);
        Ok(t)
    }

    /// The buyer pays: TRADE_SUCCESS, a ledger entry, the notify, the signed return URL.
    pub(crate) fn pay(&self, which: Which<'_>) -> Result<Paid, AlipayError> {
        let now = self.now();
        let mut st = self.lock();
        let i = match which {
            Which::Token(tok) => st.trades.iter().position(|t| t.cashier_token == tok),
            Which::OutTradeNo {
                app_id,
                out_trade_no,
            } => st.by_out_trade_no(app_id, out_trade_no),
        }
        .ok_or_else(|| {
            AlipayError::business("ACQ.TRADE_NOT_EXIST", "交易不存在: 请先打开收银台")
        })?;
        let aged = self.age(&mut st.trades[i], now);
        let refusal = match st.trades[i].status {
            TradeStatus::WaitBuyerPay => None,
            TradeStatus::TradeSuccess | TradeStatus::TradeFinished => Some(AlipayError::business(
                "ACQ.TRADE_HAS_SUCCESS",
                "交易已被支付",
            )),
            TradeStatus::TradeClosed => {
                Some(AlipayError::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"))
            }
        };
        if let Some(e) = refusal {
            if aged {
                self.save(&mut st);
            }
            return Err(e);
        }
        let seq = st.next_seq();
        let t = &mut st.trades[i];
        t.status = TradeStatus::TradeSuccess;
        t.gmt_payment = Some(now);
        t.buyer_id = Some(format!(
            "2088{:012}",
            rand::random_range(0..1_000_000_000_000u64)
        ));
        t.buyer_logon_id = Some(format!("138****{:04}", rand::random_range(0..10_000u32)));
        let snapshot = t.clone();
        st.ledger.push(LedgerEntry {
            seq,
            at: now,
            kind: LedgerKind::Payment,
            app_id: snapshot.app_id.clone(),
            trade_no: snapshot.trade_no.clone(),
            out_trade_no: snapshot.out_trade_no.clone(),
            out_request_no: None,
            amount: snapshot.total_amount.value(),
        });
        // The notify is part of the change: saved with it, so a restart still delivers it.
        let notify = self.notifier.prepare(self, &snapshot, NotifyKind::Payment);
        st.pending_notifies.extend(notify.clone());
        self.save(&mut st);
        drop(st);
        if let Some(n) = notify {
            self.notifier.start(self, n);
        }
        Ok(Paid {
            trade_no: snapshot.trade_no.clone(),
            out_trade_no: snapshot.out_trade_no.clone(),
            return_url: self.return_url(&snapshot),
        })
    }

    pub(crate) fn trade_by_token(&self, token: &str) -> Option<Trade> {
        self.lock()
            .trades
            .iter()
            .find(|t| t.cashier_token == token)
            .cloned()
    }

    /// return_url + the signed return parameters, in the order Alipay sends them.
    fn return_url(&self, t: &Trade) -> Option<String> {
        let base = t.return_url.as_deref()?;
        let method = format!("{}.return", t.product.method());
        let total = t.total_amount.to_string();
        let timestamp = self.clock.alipay_timestamp();
        let mut fields: Vec<(&str, &str)> = vec![
            ("charset", t.charset.as_str()),
            ("out_trade_no", &t.out_trade_no),
            ("method", &method),
            ("total_amount", &total),
            ("trade_no", &t.trade_no),
            ("auth_app_id", &t.app_id),
            ("version", "1.0"),
            ("app_id", &t.app_id),
            ("sign_type", t.sign_type.as_str()),
            ("seller_id", &self.identity.seller_id),
            ("timestamp", &timestamp),
        ];
        let content = canonical_content(fields.iter().copied(), CALLBACK_EXCLUDE);
        let sign = self
            .keys
            .alipay
            .sign(&t.charset.encode(&content), t.sign_type)
            .ok()?;
        fields.insert(4, ("sign", &sign));
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{sep}{}", form_encode(fields, t.charset)))
    }
}

/// `timeout_express`: `Nm`, `Nh`, `Nd` (1m – 15d) or `1c` (closes at the coming midnight).
fn timeout_deadline(s: &str, now: NaiveDateTime) -> Result<NaiveDateTime, AlipayError> {
    let bad = || {
        AlipayError::bad_param(format!(
            "timeout_express={s}: 取值 1m～15d 或 1c，不接受小数"
        ))
    };
    if s == "1c" {
        let midnight = now
            .date()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(bad)?;
        return Ok(midnight);
    }
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    let d = match unit {
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(bad()),
    };
    if d < Duration::minutes(1) || d > Duration::days(15) {
        return Err(bad());
    }
    Ok(now + d)
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(ch),
        }
    }
    o
}

const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;background:#eef3fb;color:#1f2937}
header{background:#1677ff;color:#fff;padding:14px 32px;display:flex;align-items:center;gap:12px}
header .logo{width:34px;height:34px;border-radius:8px;background:#fff;color:#1677ff;font-weight:700;display:flex;align-items:center;justify-content:center;font-size:20px}
header .t{font-size:18px;font-weight:600}header .s{margin-left:auto;font-size:13px;opacity:.85}
main{max-width:760px;margin:40px auto;padding:0 16px}
.card{background:#fff;border-radius:14px;box-shadow:0 6px 24px rgba(22,119,255,.10);overflow:hidden}
.top{padding:28px 36px;border-bottom:1px solid #eef0f4}
.subject{font-size:18px;font-weight:600;margin:0 0 6px}.muted{color:#6b7280;font-size:13px}
.amount{font-size:44px;font-weight:700;color:#ff5000;margin:18px 0 4px}.amount small{font-size:22px;margin-right:4px}
dl{display:grid;grid-template-columns:140px 1fr;margin:0;padding:22px 36px;row-gap:10px;font-size:14px}
dt{color:#6b7280}dd{margin:0;font-family:ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
.actions{display:flex;gap:14px;padding:8px 36px 30px}
button{font:inherit;font-size:16px;border-radius:8px;padding:12px 34px;cursor:pointer;border:1px solid #d0d7e2;background:#fff;color:#374151}
button.pay{background:#1677ff;border-color:#1677ff;color:#fff;font-weight:600;flex:1}
button.pay:hover{background:#0e5fd8}
.note{margin:18px 4px;color:#6b7280;font-size:12px;line-height:1.6}
.badge{display:inline-block;background:#fff4e5;color:#b45309;border-radius:999px;padding:2px 10px;font-size:12px;margin-left:8px;vertical-align:middle}
.err{color:#b91c1c}.ok{color:#15803d}
"#;

fn page(title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body><header><div class=\"logo\">支</div><div class=\"t\">支付宝 · 收银台</div><div class=\"s\">Paydesk offline simulator</div></header><main>{inner}<p class=\"note\">这是 Paydesk 的离线支付宝模拟器，不会产生任何真实扣款。This is Paydesk's offline Alipay simulator: no real money moves.</p></main></body></html>",
        esc(title)
    )
}

pub(crate) fn cashier_html(t: &Trade, seller_id: &str) -> String {
    let deadline = t.expires_at.map(ts).unwrap_or_default();
    let kind = match t.product {
        Product::Page => "电脑网站支付 PC",
        Product::Wap => "手机网站支付 WAP",
    };
    let body = t
        .body
        .as_deref()
        .map(|b| format!("<dt>商品描述</dt><dd>{}</dd>", esc(b)))
        .unwrap_or_default();
    let inner = format!(
        r#"<div class="card"><div class="top"><p class="subject">{subject}<span class="badge">{kind}</span></p><div class="muted">请在 {deadline} 前完成付款 · Pay before {deadline}</div><div class="amount"><small>¥</small>{amount}</div></div>
<dl><dt>商户订单号</dt><dd>{otn}</dd><dt>支付宝交易号</dt><dd>{tn}</dd><dt>应用 App ID</dt><dd>{app}</dd><dt>收款方 Seller</dt><dd>{seller}</dd>{body}</dl>
<form method="post" class="actions"><input type="hidden" name="token" value="{token}"><button class="pay" formaction="/cashier/pay">确认付款 Pay ¥{amount}</button><button formaction="/cashier/cancel">取消 Cancel</button></form></div>"#,
        subject = esc(&t.subject),
        amount = t.total_amount,
        otn = esc(&t.out_trade_no),
        tn = esc(&t.trade_no),
        app = esc(&t.app_id),
        seller = esc(seller_id),
        token = esc(&t.cashier_token),
    );
    page("支付宝收银台", &inner)
}

pub(crate) fn error_html(e: &AlipayError) -> String {
    let inner = format!(
        r#"<div class="card"><div class="top"><p class="subject err">支付请求出错 · The payment request was refused</p><div class="muted">这是支付宝网关会显示的错误 (what Alipay's gateway would show)</div></div><dl><dt>错误代码 code</dt><dd>{}</dd><dt>sub_code</dt><dd id="sub_code">{}</dd><dt>错误原因 sub_msg</dt><dd>{}</dd></dl></div>"#,
        esc(e.code),
        esc(&e.sub_code),
        esc(&e.sub_msg)
    );
    page("支付请求出错", &inner)
}

pub(crate) fn paid_html(t: &Paid) -> String {
    let inner = format!(
        r#"<div class="card"><div class="top"><p class="subject ok">付款成功 · Paid</p><div class="muted">请求未带 return_url，没有可返回的商户页面 (the request had no return_url)</div></div><dl><dt>商户订单号</dt><dd>{}</dd><dt>支付宝交易号</dt><dd>{}</dd></dl></div>"#,
        esc(&t.out_trade_no),
        esc(&t.trade_no)
    );
    page("付款成功", &inner)
}

pub(crate) fn cancelled_html(t: &Trade) -> String {
    let back = t
        .return_url
        .as_deref()
        .and_then(|u| {
            let rest = u.split_once("://")?;
            let host = rest.1.split('/').next()?;
            Some(format!("{}://{}/", rest.0, host))
        })
        .map(|u| {
            format!(
                r#"<p class="note"><a href="{0}">返回商户 Back to the merchant</a></p>"#,
                esc(&u)
            )
        })
        .unwrap_or_default();
    let inner = format!(
        r#"<div class="card"><div class="top"><p class="subject">已取消付款 · Payment cancelled</p><div class="muted">交易仍在等待付款 (WAIT_BUYER_PAY)，可重新打开支付链接 · the trade still waits for payment</div></div><dl><dt>商户订单号</dt><dd>{}</dd><dt>金额</dt><dd>¥{}</dd></dl></div>{back}"#,
        esc(&t.out_trade_no),
        money(t.total_amount.value())
    );
    page("已取消付款", &inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_express_forms() {
        let now =
            NaiveDateTime::parse_from_str("2026-11-25 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            timeout_deadline("90m", now).unwrap(),
            now + Duration::minutes(90)
        );
        assert_eq!(
            timeout_deadline("2h", now).unwrap(),
            now + Duration::hours(2)
        );
        assert_eq!(
            ts(timeout_deadline("1c", now).unwrap()),
            "2026-11-26 00:00:00"
        );
        for bad in ["0m", "16d", "1.5h", "10x", "", "h"] {
            assert!(timeout_deadline(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn html_escapes_merchant_text() {
        assert_eq!(
            esc("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
