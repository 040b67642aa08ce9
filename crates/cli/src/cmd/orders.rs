//! `paydesk orders`, `paydesk order N` and `paydesk audit`: browsing the platform's orders and
//! Paydesk's audit log.

use alipay::TradeRef;
use chrono::NaiveDateTime;
use clap::Args;
use paydesk_core::audit::{AuditFilter, query as audit_query};
use paydesk_core::browse::{Cursor, OrderFilter, RefundFilter, order_detail, orders};
use paydesk_core::domain::{OrderStatus, RefundStatus};
use paydesk_core::ops::{OrderRef, find_order};
use rust_decimal::Decimal;

use crate::cmd::desk::{DbArgs, open_desk, open_desk_to_read, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

fn parse_time(s: &str) -> Result<NaiveDateTime, String> {
    let t = s.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| format!("{s:?}: use YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\" (Beijing time)"))
}

fn parse_status(s: &str) -> Result<OrderStatus, String> {
    Ok(match s.trim() {
        "0" | "unpaid" => OrderStatus::Unpaid,
        "1" | "paid" => OrderStatus::Paid,
        "2" | "cancelled" => OrderStatus::Cancelled,
        "3" | "timed-out" | "timedout" | "expired" => OrderStatus::TimedOut,
        other => {
            return Err(format!(
                "status {other:?}: use 0-3 or unpaid, paid, cancelled, timed-out"
            ));
        }
    })
}

fn parse_refund(s: &str) -> Result<RefundFilter, String> {
    Ok(match s.trim() {
        "none" => RefundFilter::None,
        "any" => RefundFilter::Any,
        other => RefundFilter::State(RefundStatus::parse(other).ok_or_else(|| {
            format!("refund {other:?}: use none, any, pending, succeeded, failed or unknown")
        })?),
    })
}

fn parse_money(s: &str) -> Result<Decimal, String> {
    s.trim()
        .parse::<Decimal>()
        .map_err(|e| format!("{s:?}: {e}"))
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk orders --status paid --from 2026-11-01 --to 2026-12-01 --limit 20
  paydesk orders --user 13800000001 --refund any
  paydesk orders --after '2026-11-20 10:00:00.000000|4711'   # the next page")]
pub struct OrdersArgs {
    /// Any of these statuses (repeat or comma-separate): 0-3, unpaid, paid, cancelled, timed-out
    #[arg(long, value_delimiter = ',', value_parser = parse_status)]
    status: Vec<OrderStatus>,
    /// created_time ≥ this (Beijing)
    #[arg(long, value_parser = parse_time)]
    from: Option<NaiveDateTime>,
    /// created_time < this (Beijing)
    #[arg(long, value_parser = parse_time)]
    to: Option<NaiveDateTime>,
    /// pay_time ≥ this (Beijing)
    #[arg(long, value_parser = parse_time)]
    paid_from: Option<NaiveDateTime>,
    /// pay_time < this (Beijing)
    #[arg(long, value_parser = parse_time)]
    paid_to: Option<NaiveDateTime>,
    /// The buyer: user id, 11-digit mobile, or username
    #[arg(long)]
    user: Option<String>,
    /// Order numbers starting with these digits
    #[arg(long)]
    prefix: Option<String>,
    #[arg(long, value_parser = parse_money)]
    min_amount: Option<Decimal>,
    #[arg(long, value_parser = parse_money)]
    max_amount: Option<Decimal>,
    /// none, any, pending, succeeded, failed, unknown
    #[arg(long, value_parser = parse_refund)]
    refund: Option<RefundFilter>,
    /// Include soft-deleted orders
    #[arg(long)]
    deleted: bool,
    /// The cursor printed after the previous page
    #[arg(long)]
    after: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[command(flatten)]
    db: DbArgs,
}

pub fn list(ctx: &Ctx, a: OrdersArgs) -> CmdResult {
    let after = a
        .after
        .as_deref()
        .map(str::parse::<Cursor>)
        .transpose()
        .map_err(Failure::from)?;
    let user = a.user.as_deref().map(|u| {
        let t = u.trim();
        match t.parse::<i64>() {
            Ok(id) if t.len() < 11 => paydesk_core::browse::UserRef::Id(id),
            _ if t.len() == 11 && t.bytes().all(|b| b.is_ascii_digit()) => {
                paydesk_core::browse::UserRef::Mobile(t.to_string())
            }
            _ => paydesk_core::browse::UserRef::Username(t.to_string()),
        }
    });
    let f = OrderFilter {
        statuses: a.status,
        created_from: a.from,
        created_to: a.to,
        paid_from: a.paid_from,
        paid_to: a.paid_to,
        user,
        number_prefix: a.prefix,
        min_amount: a.min_amount,
        max_amount: a.max_amount,
        refund: a.refund,
        include_deleted: a.deleted,
        after,
        limit: a.limit,
    };
    let rt = runtime()?;
    let desk = open_desk_to_read(ctx, &a.db, false, &rt)?;
    let page = rt
        .block_on(orders(&desk.store, &f))
        .map_err(Failure::from)?;
    if ctx.json {
        output::json(&page);
    } else {
        for o in &page.orders {
            output::line(&format!(
                "{}  {}  {:<8}  {:>10}  user {} {}{}",
                o.order.order_number,
                o.order.base.created_time.format("%Y-%m-%d %H:%M:%S"),
                o.order.order_status.label(),
                o.order.real_price,
                o.order.user_id,
                o.mobile.clone().unwrap_or_default(),
                if o.refunded > Decimal::ZERO || o.refund_unresolved {
                    format!(
                        "  refunded {}{}",
                        o.refunded,
                        if o.refund_unresolved {
                            " (+ unresolved)"
                        } else {
                            ""
                        }
                    )
                } else {
                    String::new()
                }
            ));
        }
        match page.next {
            Some(c) => output::line(&format!("next page: --after '{c}'")),
            None => output::line(&format!("{} order(s), last page", page.orders.len())),
        }
    }
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The order: its number, or id:N
    #[arg(value_name = "N")]
    order: String,
    /// Also ask Alipay for the trade's status (alipay.trade.query)
    #[arg(long)]
    alipay: bool,
    #[command(flatten)]
    db: DbArgs,
}

pub fn show(ctx: &Ctx, a: OrderArgs) -> CmdResult {
    let r: OrderRef = a.order.parse().map_err(Failure::from)?;
    let rt = runtime()?;
    let desk = open_desk_to_read(ctx, &a.db, a.alipay, &rt)?;
    let order = rt
        .block_on(async {
            let mut tx = desk.store.begin_read().await?;
            let o = find_order(&mut tx, &r).await;
            tx.rollback().await?;
            o
        })
        .map_err(Failure::from)?;
    let detail = rt
        .block_on(order_detail(&desk.store, order.id))
        .map_err(Failure::from)?;
    let trade = if a.alipay {
        let gw = desk.gateway().map_err(Failure::from)?;
        Some(
            match rt.block_on(
                gw.client
                    .query(TradeRef::OutTradeNo(order.order_number.clone())),
            ) {
                Ok(q) => {
                    serde_json::json!({ "trade_status": q.trade_status, "trade_no": q.trade_no, "total_amount": q.total_amount.to_string(), "send_pay_date": q.send_pay_date })
                }
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            },
        )
    } else {
        None
    };
    if ctx.json {
        let mut v = serde_json::to_value(&detail).map_err(|e| Failure::usage(e.to_string()))?;
        if let Some(t) = trade {
            v["alipay"] = t;
        }
        output::json(&v);
        return Ok(Exit::Ok);
    }
    let o = &detail.order;
    output::rows(&[
        ("order_number", o.order_number.clone()),
        ("id", o.id.to_string()),
        (
            "status",
            format!("{} ({})", o.order_status.label_zh(), o.order_status.label()),
        ),
        (
            "created",
            o.base.created_time.format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        (
            "paid",
            o.pay_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        ("total_price", o.total_price.to_string()),
        ("real_price", o.real_price.to_string()),
        ("credits", o.credit.unwrap_or(0).to_string()),
        (
            "user",
            detail
                .user
                .as_ref()
                .map(|u| format!("{} {} {}", u.id, u.username, u.mobile))
                .unwrap_or_else(|| format!("{} (missing)", o.user_id)),
        ),
        ("refunded", detail.refunded.to_string()),
    ]);
    for c in &detail.courses {
        output::line(&format!(
            "  course {} {}  {} → {} {}",
            c.course_id,
            c.base.name.clone().unwrap_or_default(),
            c.price,
            c.real_price,
            c.discount_name
        ));
    }
    for c in &detail.coupons {
        output::line(&format!(
            "  coupon log {} (coupon {}) use_status {:?}",
            c.log.id,
            c.log.coupon_id,
            c.log.use_status.map(|s| s.label())
        ));
    }
    for g in &detail.grants {
        output::line(&format!("  grant {} course {}", g.id, g.course_id));
    }
    for r in &detail.refunds {
        output::line(&format!(
            "  refund {} {} {}",
            r.out_request_no,
            r.amount,
            r.status.as_str()
        ));
    }
    for a in detail.audit.iter().take(20) {
        output::line(&format!(
            "  audit {} {} {} {} {}",
            a.id,
            a.at.format("%Y-%m-%d %H:%M:%S"),
            a.operator,
            a.action,
            a.outcome
        ));
    }
    if let Some(t) = trade {
        output::line(&format!("  alipay {t}"));
    }
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long)]
    operator: Option<String>,
    /// settle, settle_late, refund, close, expire, test_order, grant, revoke, merge_grants …
    #[arg(long)]
    action: Option<String>,
    /// Order number
    #[arg(long)]
    order: Option<String>,
    #[arg(long)]
    user: Option<i64>,
    #[arg(long, value_parser = parse_time)]
    from: Option<NaiveDateTime>,
    #[arg(long, value_parser = parse_time)]
    to: Option<NaiveDateTime>,
    /// Rows with id below this (next page)
    #[arg(long)]
    before: Option<i64>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[command(flatten)]
    db: DbArgs,
}

pub fn audit(ctx: &Ctx, a: AuditArgs) -> CmdResult {
    let f = AuditFilter {
        operator: a.operator,
        action: a.action,
        order_id: None,
        order_number: a.order,
        user_id: a.user,
        from: a.from,
        to: a.to,
        before_id: a.before,
        limit: a.limit,
    };
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    let rows = rt
        .block_on(audit_query(&desk.store, &f))
        .map_err(Failure::from)?;
    if ctx.json {
        output::json(&rows);
    } else {
        for r in &rows {
            output::line(&format!(
                "{:>6}  {}  {:<10} {:<12} {:<8} {}  {}",
                r.id,
                r.at.format("%Y-%m-%d %H:%M:%S"),
                r.operator,
                r.action,
                r.outcome,
                r.order_number.clone().unwrap_or_default(),
                r.detail.clone().unwrap_or_default()
            ));
        }
    }
    Ok(Exit::Ok)
}
