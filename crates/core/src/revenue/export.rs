//! The report as a spreadsheet table (CSV and .xlsx through [`crate::export`]).

use crate::export::{Cell, Column, Kind, Table, col};

use super::{GroupBy, RevenueLine, RevenueReport};

fn figures() -> Vec<Column> {
    vec![
        col("订单数", Kind::Int, 10.0),
        col("收款（元）", Kind::Money, 14.0),
        col("退款（元）", Kind::Money, 14.0),
        col("退款笔数", Kind::Int, 10.0),
        col("净收入（元）", Kind::Money, 14.0),
        col("客单价（元）", Kind::Money, 14.0),
        col("积分", Kind::Int, 10.0),
        col("积分抵扣（元）", Kind::Money, 16.0),
        col("优惠券抵扣（元）", Kind::Money, 18.0),
    ]
}

fn figure_cells(l: &RevenueLine) -> Vec<Cell> {
    vec![
        l.orders.into(),
        l.payments.into(),
        l.refunds.into(),
        l.refund_count.into(),
        l.net.into(),
        l.average_order.into(),
        l.credits.into(),
        l.credit_discount.into(),
        l.coupon_discount.into(),
    ]
}

fn by_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Day => "按日",
        GroupBy::Week => "按周",
        GroupBy::Month => "按月",
        GroupBy::Course => "按课程",
    }
}

/// The report's table: the period and totals on top, one row per day / week / month / course,
/// and a 合计 row.
pub fn table(r: &RevenueReport) -> Table {
    let mut cols = match r.by {
        GroupBy::Day => vec![col("日期", Kind::Date, 12.0)],
        GroupBy::Week => vec![
            col("周", Kind::Text, 10.0),
            col("起", Kind::Date, 12.0),
            col("止", Kind::Date, 12.0),
        ],
        GroupBy::Month => vec![
            col("月份", Kind::Text, 10.0),
            col("起", Kind::Date, 12.0),
            col("止", Kind::Date, 12.0),
        ],
        GroupBy::Course => vec![
            col("课程ID", Kind::Int, 10.0),
            col("课程", Kind::Text, 30.0),
        ],
    };
    cols.extend(figures());
    let mut t = Table::new(format!("收入 {} 至 {}", r.from, r.to), cols);
    t.note("起始日期", r.from);
    t.note("截止日期", r.to);
    t.note("分组", by_label(r.by));
    t.note("收款（元）", r.totals.payments);
    t.note("退款（元）", r.totals.refunds);
    t.note("净收入（元）", r.totals.net);
    t.note("订单数", r.totals.orders);
    if let Some(n) = r.coupons_used {
        t.note("使用优惠券（张）", n);
    }
    t.note(
        format!("上期 {} 至 {} 净收入（元）", r.previous.from, r.previous.to),
        r.previous.totals.net,
    );
    for l in &r.rows {
        let mut cells: Vec<Cell> = match r.by {
            GroupBy::Day => vec![l.first_day.into()],
            GroupBy::Week | GroupBy::Month => vec![
                l.label.clone().into(),
                l.first_day.into(),
                l.last_day.into(),
            ],
            GroupBy::Course => vec![l.course_id.into(), l.label.clone().into()],
        };
        cells.extend(figure_cells(l));
        t.push(cells);
    }
    let lead = match r.by {
        GroupBy::Day => 1,
        GroupBy::Course => 2,
        GroupBy::Week | GroupBy::Month => 3,
    };
    let mut total: Vec<Cell> = vec![Cell::Empty; lead];
    total[lead - 1] = "合计".into();
    // Course rows count an order once per course it holds; the total counts it once, so on
    // that table the orders column does not add up, while every amount does.
    total.extend(figure_cells(&r.totals));
    t.push(total);
    t
}
