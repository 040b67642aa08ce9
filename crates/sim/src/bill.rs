//! The trade bill (业务明细) in Alipay's layout: a zip with GBK entry names (no UTF-8 flag)
//! holding the GBK detail CSV and its summary (汇总).

use std::io::{Cursor, Write as _};

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use zip::write::SimpleFileOptions;

use crate::core::{money, ts};
use crate::state::State;

#[derive(Debug, Clone)]
pub struct BillFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillPeriod {
    Day(NaiveDate),
    /// The first day of the month.
    Month(NaiveDate),
}

impl BillPeriod {
    pub fn start(&self) -> NaiveDate {
        match self {
            BillPeriod::Day(d) | BillPeriod::Month(d) => *d,
        }
    }

    pub fn end(&self) -> NaiveDate {
        match self {
            BillPeriod::Day(d) => d.succ_opt().unwrap_or(*d),
            BillPeriod::Month(d) => d.checked_add_months(Months::new(1)).unwrap_or(*d),
        }
    }

    /// `yyyyMMdd` or `yyyyMM`, as in the file names.
    pub fn file_date(&self) -> String {
        match self {
            BillPeriod::Day(d) => d.format("%Y%m%d").to_string(),
            BillPeriod::Month(d) => d.format("%Y%m").to_string(),
        }
    }
}

// One list of the 25 columns for the parser and for the bills the simulator writes.
pub const DETAIL_HEADER: [&str; 25] = alipay::bill::DETAIL_COLUMNS;

const SUMMARY_HEADER: [&str; 12] = [
    "门店编号",
    "门店名称",
    "交易订单总笔数",
    "退款订单总笔数",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "卡消费金额（元）",
    "服务费（元）",
    "分润（元）",
    "实收净额（元）",
];

/// One bill row before rendering: payments and refunds in the period, by completion time.
struct Row {
    at: NaiveDateTime,
    fields: [String; 25],
}

/// Ids and the business type end with a tab, as Alipay writes them so spreadsheets keep the
/// digits as text.
fn tabbed(s: &str) -> String {
    format!("{s}\t")
}

/// A CSV field: quoted only when it must be (commas, quotes, line breaks in a subject).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn cn_datetime(d: NaiveDateTime) -> String {
    d.format("%Y年%m月%d日 %H:%M:%S").to_string()
}

/// Builds the zip, or `None` when nothing happened in the period (`isp.bill_not_exist`).
pub fn build(
    st: &State,
    account: &str,
    period: BillPeriod,
    export_time: NaiveDateTime,
) -> Result<Option<Vec<u8>>, zip::result::ZipError> {
    let start = period.start().and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = period.end().and_hms_opt(0, 0, 0).unwrap_or_default();
    let within = |t: NaiveDateTime| t >= start && t < end;

    let mut rows = Vec::new();
    let (mut pay_n, mut pay_total, mut pay_received, mut pay_fee) =
        (0u64, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut ref_n, mut ref_received, mut ref_fee) = (0u64, Decimal::ZERO, Decimal::ZERO);
    for t in &st.trades {
        let blank = || std::array::from_fn::<String, 25, _>(|_| String::new());
        if let Some(paid) = t.gmt_payment.filter(|p| within(*p)) {
            let mut f = blank();
            f[0] = tabbed(&t.trade_no);
            f[1] = tabbed(&t.out_trade_no);
            f[2] = tabbed("交易");
            f[3] = csv_field(&t.subject);
            f[4] = ts(t.gmt_create);
            f[5] = ts(paid);
            f[10] = csv_field(t.buyer_logon_id.as_deref().unwrap_or(""));
            f[11] = t.total_amount.to_string();
            f[12] = t.total_amount.to_string();
            for i in [13, 14, 15, 16, 17, 19, 20, 23] {
                f[i] = "0.00".into();
            }
            f[22] = money(-t.fee);
            rows.push(Row {
                at: paid,
                fields: f,
            });
            pay_n += 1;
            pay_total += t.total_amount.value();
            pay_received += t.total_amount.value();
            pay_fee -= t.fee;
        }
        for r in t.refunds.iter().filter(|r| within(r.gmt_refund)) {
            let mut f = blank();
            f[0] = tabbed(&t.trade_no);
            f[1] = tabbed(&t.out_trade_no);
            f[2] = tabbed("退款");
            f[3] = csv_field(&t.subject);
            f[4] = ts(t.gmt_create);
            f[5] = ts(r.gmt_refund);
            f[10] = csv_field(t.buyer_logon_id.as_deref().unwrap_or(""));
            // The order amount stays the trade's; what the merchant gives back is negative.
            f[11] = t.total_amount.to_string();
            f[12] = money(-r.amount);
            for i in [13, 14, 15, 16, 17, 19, 20, 23] {
                f[i] = "0.00".into();
            }
            f[21] = tabbed(&r.out_request_no);
            f[22] = money(r.fee_returned);
            f[24] = csv_field(r.reason.as_deref().unwrap_or(""));
            rows.push(Row {
                at: r.gmt_refund,
                fields: f,
            });
            ref_n += 1;
            ref_received -= r.amount;
            ref_fee += r.fee_returned;
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by_key(|r| r.at);

    let range = format!(
        "#起始日期：[{}]   终止日期：[{}]",
        cn_datetime(start),
        cn_datetime(end)
    );
    let mut detail = String::new();
    detail.push_str("#支付宝业务明细查询\r\n");
    detail.push_str(&format!("#账号：[{account}]\r\n"));
    detail.push_str(&range);
    detail.push_str("\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n");
    detail.push_str(&DETAIL_HEADER.join(","));
    detail.push_str("\r\n");
    for r in &rows {
        detail.push_str(&r.fields.join(","));
        detail.push_str("\r\n");
    }
    detail.push_str("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
    detail.push_str(&format!(
        "#交易合计：{pay_n}笔，商家实收共{}元，商家优惠共0.00元\r\n",
        money(pay_received)
    ));
    detail.push_str(&format!(
        "#退款合计：{ref_n}笔，商家实收退款共{}元，商家优惠退款共0.00元\r\n",
        money(ref_received)
    ));
    detail.push_str(&format!("#导出时间：[{}]\r\n", cn_datetime(export_time)));

    let received = pay_received + ref_received;
    let fee = pay_fee + ref_fee;
    let totals = [
        pay_n.to_string(),
        ref_n.to_string(),
        money(pay_total),
        money(received),
        "0.00".into(),
        "0.00".into(),
        "0.00".into(),
        money(fee),
        "0.00".into(),
        money(received + fee),
    ];
    let mut summary = String::new();
    summary.push_str("#支付宝业务汇总查询\r\n");
    summary.push_str(&format!("#账号：[{account}]\r\n"));
    summary.push_str(&range);
    summary.push_str("\r\n#-----------------------------------------业务汇总列表----------------------------------------\r\n");
    summary.push_str(&SUMMARY_HEADER.join(","));
    summary.push_str("\r\n");
    summary.push_str(&format!(",,{}\r\n", totals.join(",")));
    summary.push_str(&format!("合计,,{}\r\n", totals.join(",")));
    summary.push_str("#-----------------------------------------业务汇总列表结束------------------------------------\r\n");
    summary.push_str(&format!("#导出时间：[{}]\r\n", cn_datetime(export_time)));

    let date = period.file_date();
    let detail_name = format!("{account}_{date}_业务明细.csv");
    let summary_name = format!("{account}_{date}_业务明细(汇总).csv");
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();

    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let modified = zip::DateTime::from_date_and_time(
        u16::try_from(export_time.year()).unwrap_or(1980),
        export_time.month() as u8,
        export_time.day() as u8,
        chrono::Timelike::hour(&export_time) as u8,
        chrono::Timelike::minute(&export_time) as u8,
        chrono::Timelike::second(&export_time) as u8,
    )
    .unwrap_or_default();
    for (name, text) in [(&detail_name, &detail), (&summary_name, &summary)] {
        let name_bytes = gbk(name);
        // Raw GBK name bytes: `start_file_with_options` writes them as given and leaves the
        // UTF-8 flag (bit 11) clear because they are not valid UTF-8, as in Alipay's own zips.
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(modified)
            .name(&name_bytes);
        zw.start_file_with_options(opts)?;
        zw.write_all(&gbk(text))?;
    }
    Ok(Some(zw.finish()?.into_inner()))
}
