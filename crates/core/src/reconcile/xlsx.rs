//! A run as an Excel workbook: 汇总 (the run and its categories), 每日 (the bill's money per day)
//! and 差异 (every discrepancy), through [`crate::export`]: amounts as numbers, times as dates,
//! trade numbers as text, customer text never a formula.

use crate::export::{self, Cell, Kind, Table, col};

use super::runs::RunReport;
use super::{ReconError, ReconResult};

fn i(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

pub fn tables(run: &RunReport) -> Vec<Table> {
    let s = &run.summary;
    let mut summary = Table::new(
        "汇总",
        vec![
            col("类别", Kind::Text, 26.0),
            col("笔数", Kind::Int, 10.0),
            col("账单金额（元）", Kind::Money, 16.0),
            col("平台金额（元）", Kind::Money, 16.0),
        ],
    );
    summary.note("对账批次", run.run_id);
    summary.note("周期", run.period.to_string());
    summary.note("状态", run.status.clone());
    summary.note("操作员", run.operator.clone());
    summary.note("配置", run.profile.clone());
    summary.note("开始时间", run.started_time);
    summary.note("账单", run.bill.source.clone());
    summary.note("账单 SHA-256", run.bill.sha256.clone());
    summary.note("账户", run.bill.account.clone());
    summary.note("账单行数", i(s.bill_rows));
    summary.note("待处理", i(s.open));
    for (c, t) in &s.categories {
        summary.push(vec![
            c.as_str().into(),
            i(t.count),
            t.bill_amount.into(),
            t.order_amount.into(),
        ]);
    }

    let mut days = Table::new(
        "每日",
        vec![
            col("日期", Kind::Date, 12.0),
            col("收款笔数", Kind::Int, 10.0),
            col("商家实收（元）", Kind::Money, 16.0),
            col("退款笔数", Kind::Int, 10.0),
            col("退款（元）", Kind::Money, 14.0),
            col("服务费（元）", Kind::Money, 14.0),
            col("净额（元）", Kind::Money, 14.0),
        ],
    );
    for d in s.days.iter().chain(std::iter::once(&s.total)) {
        days.push(vec![
            d.day.map_or_else(|| "合计".into(), Cell::Date),
            i(d.payments),
            d.received.into(),
            i(d.refunds),
            d.refunded.into(),
            d.fees.into(),
            d.net.into(),
        ]);
    }

    let mut rows = Table::new(
        "差异",
        vec![
            col("编号", Kind::Int, 10.0),
            col("类别", Kind::Text, 24.0),
            col("待处理", Kind::Text, 8.0),
            col("商户订单号", Kind::Id, 28.0),
            col("支付宝交易号", Kind::Id, 32.0),
            col("退款请求号", Kind::Id, 28.0),
            col("订单ID", Kind::Int, 10.0),
            col("账单金额（元）", Kind::Money, 16.0),
            col("平台金额（元）", Kind::Money, 16.0),
            col("时间", Kind::DateTime, 20.0),
            col("商品名称", Kind::Text, 24.0),
            col("本地状态", Kind::Text, 12.0),
            col("说明", Kind::Text, 60.0),
            col("建议", Kind::Text, 14.0),
            col("处理", Kind::Text, 14.0),
            col("处理时间", Kind::DateTime, 20.0),
            col("处理人", Kind::Text, 14.0),
        ],
    );
    for d in &run.discrepancies {
        rows.push(vec![
            d.id.into(),
            d.category.as_str().into(),
            if d.open() { "是" } else { "否" }.into(),
            d.out_trade_no.clone().into(),
            d.trade_no.clone().into(),
            d.out_request_no.clone().into(),
            d.order_id.into(),
            d.bill_amount.into(),
            d.order_amount.into(),
            d.at.into(),
            d.subject.clone().into(),
            d.local_status.clone().into(),
            d.message.clone().into(),
            d.suggested.map(|a| a.as_str().to_string()).into(),
            d.action.clone().into(),
            d.action_time.into(),
            d.action_by.clone().into(),
        ]);
    }
    vec![summary, days, rows]
}

/// The run as the bytes of an .xlsx file.
pub fn to_xlsx(run: &RunReport) -> ReconResult<Vec<u8>> {
    export::to_xlsx(&tables(run))
        .map_err(|e| ReconError::File("the xlsx report".into(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;
    use rust_decimal::Decimal;

    use super::*;
    use crate::reconcile::{BillMeta, Category, Discrepancy, Period, Summary, report};

    fn run_with_subject(subject: &str) -> RunReport {
        let at = NaiveDateTime::parse_from_str("2026-11-24 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        RunReport {
            run_id: 7,
            period: Period::parse("2026-11-24").unwrap(),
            operator: "@finance".into(),
            profile: "simulator".into(),
            started_time: at,
            finished_time: Some(at),
            status: "open".into(),
            bill: BillMeta::default(),
            summary: Summary::default(),
            discrepancies: vec![Discrepancy {
                id: Some(1),
                category: Category::UnknownOrder,
                out_trade_no: Some("202611240000000100000001".into()),
                trade_no: Some("2026112422001400000000000001".into()),
                out_request_no: None,
                order_id: None,
                bill_amount: Some(Decimal::new(-1050, 2)),
                order_amount: None,
                at: Some(at),
                subject: Some(subject.into()),
                local_status: None,
                message: "-1 is not an order".into(),
                suggested: Category::UnknownOrder.suggested(),
                action: None,
                action_time: None,
                action_by: None,
            }],
        }
    }

    #[test]
    fn csv_and_xlsx_keep_customer_text_inert() {
        let run = run_with_subject("=cmd|' /C calc'!A0");
        let csv = String::from_utf8(report::to_csv(&run).unwrap()).unwrap();
        assert!(csv.contains(",'=cmd|"), "{csv}");
        assert!(csv.contains(",'-1 is not an order,"), "{csv}");
        assert!(csv.contains("operator,'@finance"), "{csv}");
        // Amounts stay numbers: a negative amount is not text to guard.
        assert!(csv.contains(",-10.50,"), "{csv}");
        let bytes = to_xlsx(&run).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let t = tables(&run);
        assert_eq!(t.len(), 3);
        assert_eq!(t[2].rows[0][7], Cell::Money(Decimal::new(-1050, 2)));
        assert_eq!(t[2].rows[0][10], Cell::Text("=cmd|' /C calc'!A0".into()));
    }
}
