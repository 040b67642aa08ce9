//! Trade bills written here by hand, the way Alipay and the tools finance staff use write them:
//! GBK zips with GBK entry names (summary first or second), bare CSVs in GBK or UTF-8 (BOM or
//! not), half-width parentheses, extra columns — and broken ones, each refused with its reason.

use std::io::{Cursor, Write as _};

use alipay::bill::{BillError, BillKind, parse_bill, read_bill};
use zip::write::SimpleFileOptions;

const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

/// (trade_no, out_trade_no, type, subject, finished, order amount, received, out_request_no, fee)
type R<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

const ROWS: [R<'static>; 4] = [
    (
        "2026112422001458860515315453",
        "202611240000000100000001",
        "交易",
        "Python全栈,进阶",
        "2026-11-24 10:55:23",
        "0.01",
        "0.01",
        "",
        "0.00",
    ),
    (
        "2026112422001458860515315454",
        "202611240000000200000002",
        "交易",
        "Go 微服务",
        "2026-11-24 11:00:00",
        "1579.00",
        "1579.00",
        "",
        "-9.47",
    ),
    (
        "2026112422001458860515315454",
        "202611240000000200000002",
        "退款",
        "Go 微服务",
        "2026-11-24 15:00:00",
        "1579.00",
        "-500.00",
        "202611240000000200000002R1",
        "3.00",
    ),
    (
        "2026112422001458860515315455",
        "202611240000000300000003",
        "交易",
        "爬虫",
        "2026-11-24 23:59:59",
        "99.90",
        "99.90",
        "",
        "-0.60",
    ),
];

fn row_line(r: &R<'_>) -> String {
    let (trade_no, out, kind, subject, fin, amount, recv, req, fee) = *r;
    let subject = if subject.contains(',') {
        format!("\"{subject}\"")
    } else {
        subject.to_string()
    };
    let req = if req.is_empty() {
        String::new()
    } else {
        format!("{req}\t")
    };
    format!(
        "{trade_no}\t,{out}\t,{kind}\t,{subject},2026-11-24 10:55:16,{fin},,,,,buyer@example.com,{amount},{recv},0.00,0.00,0.00,0.00,0.00,,0.00,0.00,{req},{fee},0.00,"
    )
}

struct Spec {
    header: String,
    rows: Vec<String>,
    pay_line: String,
    refund_line: String,
    end_marker: bool,
}

impl Spec {
    fn standard() -> Spec {
        Spec {
            header: HEADER.to_string(),
            rows: ROWS.iter().map(row_line).collect(),
            pay_line: "#交易合计：3笔，商家实收共1678.91元，商家优惠共0.00元".into(),
            refund_line: "#退款合计：1笔，商家实收退款共-500.00元，商家优惠退款共0.00元".into(),
            end_marker: true,
        }
    }

    fn detail(&self) -> String {
        let mut s = String::from(
            "#支付宝业务明细查询\r\n#账号：[20880211096256330156]\r\n#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n",
        );
        s.push_str(&self.header);
        s.push_str("\r\n");
        for r in &self.rows {
            s.push_str(r);
            s.push_str("\r\n");
        }
        if self.end_marker {
            s.push_str("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
            s.push_str(&format!("{}\r\n{}\r\n", self.pay_line, self.refund_line));
            s.push_str("#导出时间：[2026年11月25日 05:46:49]\r\n");
        }
        s
    }
}

fn summary(received: &str, fee: &str, net: &str) -> String {
    format!(
        "#支付宝业务汇总查询\r\n#账号：[20880211096256330156]\r\n#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n\
         #-----------------------------------------业务汇总列表----------------------------------------\r\n\
         门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n\
         ,,3,1,1678.91,{received},0.00,0.00,0.00,{fee},0.00,{net}\r\n\
         合计,,3,1,1678.91,{received},0.00,0.00,0.00,{fee},0.00,{net}\r\n\
         #-----------------------------------------业务汇总列表结束------------------------------------\r\n\
         #导出时间：[2026年11月25日 05:46:49]\r\n"
    )
}

fn gbk(s: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GBK.encode(s);
    assert!(!bad);
    b.into_owned()
}

/// A zip like Alipay's: GBK entry names written as raw bytes (no UTF-8 flag), deflated.
fn zip_of(entries: &[(&str, Vec<u8>)], gbk_names: bool) -> Vec<u8> {
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        if gbk_names {
            zw.start_file_with_options(opts.name(&gbk(name))).unwrap();
        } else {
            zw.start_file(*name, opts).unwrap();
        }
        zw.write_all(data).unwrap();
    }
    zw.finish().unwrap().into_inner()
}

const DETAIL_NAME: &str = "20880211096256330156_20261124_业务明细.csv";
const SUMMARY_NAME: &str = "20880211096256330156_20261124_业务明细(汇总).csv";

fn alipay_zip(summary_first: bool) -> Vec<u8> {
    let d = (DETAIL_NAME, gbk(&Spec::standard().detail()));
    let s = (SUMMARY_NAME, gbk(&summary("1178.91", "-7.07", "1171.84")));
    if summary_first {
        zip_of(&[s, d], true)
    } else {
        zip_of(&[d, s], true)
    }
}

#[test]
fn gbk_zip_with_gbk_entry_names_parses_every_field() {
    let raw = alipay_zip(false);
    // The names really are GBK bytes without the UTF-8 flag.
    assert!(
        raw.windows(gbk("业务明细").len())
            .any(|w| w == gbk("业务明细").as_slice())
    );
    let bill = parse_bill(&raw).unwrap();
    let i = &bill.info;
    assert_eq!(i.account, "20880211096256330156");
    assert_eq!(i.start.to_string(), "2026-11-24 00:00:00");
    assert_eq!(i.end.to_string(), "2026-11-25 00:00:00");
    assert_eq!(i.encoding, "GBK");
    assert_eq!(i.detail_name.as_deref(), Some(DETAIL_NAME));
    assert_eq!(i.summary_name.as_deref(), Some(SUMMARY_NAME));
    assert_eq!(
        i.summary.as_ref().unwrap().net.unwrap().to_string(),
        "1171.84"
    );
    assert_eq!(bill.rows.len(), 4);
    let first = &bill.rows[0];
    // Tab suffixes gone; a quoted subject with a comma kept whole.
    assert_eq!(first.trade_no, "2026112422001458860515315453");
    assert_eq!(first.out_trade_no, "202611240000000100000001");
    assert_eq!(first.subject, "Python全栈,进阶");
    assert_eq!(first.kind, BillKind::Payment);
    assert_eq!(first.received.to_string(), "0.01");
    assert_eq!(first.line, 6);
    let refund = &bill.rows[2];
    assert_eq!(refund.kind, BillKind::Refund);
    assert_eq!(refund.received.to_string(), "-500.00");
    assert_eq!(
        refund.out_request_no.as_deref(),
        Some("202611240000000200000002R1")
    );
    assert_eq!(refund.service_fee.to_string(), "3.00");
    assert_eq!(i.computed.received.to_string(), "1178.91");
    assert_eq!(i.computed.service_fee.to_string(), "-7.07");
}

#[test]
fn summary_first_in_the_zip_is_the_same_bill() {
    let a = parse_bill(&alipay_zip(false)).unwrap();
    let b = parse_bill(&alipay_zip(true)).unwrap();
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.info.summary, b.info.summary);
}

#[test]
fn utf8_entry_names_and_utf8_contents_in_a_zip() {
    let raw = zip_of(
        &[
            (
                SUMMARY_NAME,
                summary("1178.91", "-7.07", "1171.84").into_bytes(),
            ),
            (DETAIL_NAME, Spec::standard().detail().into_bytes()),
        ],
        false,
    );
    let bill = parse_bill(&raw).unwrap();
    assert_eq!(bill.info.encoding, "UTF-8");
    assert_eq!(bill.info.detail_name.as_deref(), Some(DETAIL_NAME));
    assert_eq!(bill.rows.len(), 4);
}

#[test]
fn bare_csv_in_utf8_with_and_without_bom_and_in_gbk() {
    let text = Spec::standard().detail();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let plain = parse_bill(text.as_bytes()).unwrap();
    let with_bom = parse_bill(&bom).unwrap();
    let in_gbk = parse_bill(&gbk(&text)).unwrap();
    assert_eq!(plain.info.encoding, "UTF-8");
    assert_eq!(in_gbk.info.encoding, "GBK");
    assert_eq!(plain.rows, with_bom.rows);
    assert_eq!(plain.rows, in_gbk.rows);
    assert_eq!(plain.info.detail_name, None);
    assert_eq!(plain.info.summary, None);
}

#[test]
fn columns_are_found_by_name_half_width_parentheses_reordered_and_extra() {
    // Swap 商户订单号 and 支付宝交易号, write (元), add a column at the end.
    let mut spec = Spec::standard();
    spec.header = HEADER.replace("（元）", "(元)").replacen(
        "支付宝交易号,商户订单号",
        "商户订单号,支付宝交易号",
        1,
    ) + ",结算币种";
    spec.rows = ROWS
        .iter()
        .map(|r| {
            let swapped = (r.1, r.0, r.2, r.3, r.4, r.5, r.6, r.7, r.8);
            row_line(&swapped) + ",CNY"
        })
        .collect();
    let bill = parse_bill(spec.detail().as_bytes()).unwrap();
    assert_eq!(bill.rows[0].trade_no, "2026112422001458860515315453");
    assert_eq!(bill.rows[0].out_trade_no, "202611240000000100000001");
    assert_eq!(bill.info.extra_columns, vec!["结算币种".to_string()]);
}

#[test]
fn rows_that_do_not_add_up_are_refused_saying_by_how_much() {
    let mut spec = Spec::standard();
    spec.pay_line = "#交易合计：3笔，商家实收共1678.92元，商家优惠共0.00元".into();
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    match &e {
        BillError::TotalsMismatch {
            stated,
            computed,
            difference,
            ..
        } => {
            assert_eq!(stated, "1678.92 yuan");
            assert_eq!(computed, "1678.91 yuan");
            assert_eq!(difference, "-0.01 yuan");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("off by -0.01 yuan"), "{e}");

    let mut spec = Spec::standard();
    spec.refund_line = "#退款合计：2笔，商家实收退款共-500.00元，商家优惠退款共0.00元".into();
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    assert!(
        matches!(&e, BillError::TotalsMismatch { difference, .. } if difference == "1 rows"),
        "{e}"
    );

    // The detail agrees with itself but not with the summary's 服务费.
    let raw = zip_of(
        &[
            (DETAIL_NAME, gbk(&Spec::standard().detail())),
            (SUMMARY_NAME, gbk(&summary("1178.91", "-7.00", "1171.91"))),
        ],
        true,
    );
    let e = parse_bill(&raw).unwrap_err();
    assert!(
        matches!(&e, BillError::TotalsMismatch { what, difference, .. } if what.contains("服务费") && difference == "-0.07 yuan"),
        "{e}"
    );
}

#[test]
fn truncated_files_are_refused() {
    // The end marker and totals cut off.
    let mut spec = Spec::standard();
    spec.end_marker = false;
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    assert!(
        matches!(&e, BillError::Truncated { detail, .. } if detail.contains("业务明细列表结束")),
        "{e}"
    );

    // The end marker present but the totals lines gone.
    let text = Spec::standard().detail();
    let cut = &text[..text.find("#交易合计").unwrap()];
    let e = parse_bill(cut.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, BillError::Truncated { detail, .. } if detail.contains("#交易合计")),
        "{e}"
    );

    // A zip cut in half: the central directory is gone.
    let raw = alipay_zip(false);
    let e = parse_bill(&raw[..raw.len() / 2]).unwrap_err();
    assert!(matches!(e, BillError::DamagedZip(_)), "{e}");

    // A zip whose detail data is damaged (deflate stream corrupted).
    let mut bad = alipay_zip(false);
    let at = bad.windows(4).position(|w| w == b"PK\x01\x02").unwrap() / 3;
    for b in &mut bad[at..at + 40] {
        *b ^= 0x5A;
    }
    let e = parse_bill(&bad).unwrap_err();
    assert!(matches!(e, BillError::DamagedZip(_)), "{e}");
}

#[test]
fn malformed_rows_and_files_each_say_what_is_wrong() {
    let e = parse_bill(b"").unwrap_err();
    assert_eq!(e, BillError::Empty);

    let mut spec = Spec::standard();
    spec.rows[1] = spec.rows[1].replace("1579.00,1579.00", "1579.00,15.79e2");
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    assert!(
        matches!(&e, BillError::BadLine { line: 7, reason, .. } if reason.contains("商家实收")),
        "{e}"
    );

    let mut spec = Spec::standard();
    spec.rows[2] = spec.rows[2].replace("-500.00", "500.00");
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    assert!(
        matches!(&e, BillError::BadLine { reason, .. } if reason.contains("refunds are negative")),
        "{e}"
    );

    let mut spec = Spec::standard();
    spec.header = HEADER.replace(",退款批次号/请求号", ",退款号");
    let e = parse_bill(spec.detail().as_bytes()).unwrap_err();
    assert!(
        matches!(
            &e,
            BillError::MissingColumn {
                column: "退款批次号/请求号",
                ..
            }
        ),
        "{e}"
    );

    let e = parse_bill(summary("1", "0", "1").as_bytes()).unwrap_err();
    assert_eq!(e, BillError::SummaryOnly);

    let only_summary = zip_of(
        &[(SUMMARY_NAME, gbk(&summary("1178.91", "-7.07", "1171.84")))],
        true,
    );
    assert!(
        matches!(parse_bill(&only_summary).unwrap_err(), BillError::NoDetail(names) if names == vec![SUMMARY_NAME.to_string()])
    );

    // A UTF-8 file with a stray GBK subject: the line is named.
    let text = Spec::standard().detail();
    let mut bytes = text.as_bytes().to_vec();
    let at = text.find("爬虫").unwrap();
    bytes.splice(at..at + "爬虫".len(), gbk("爬虫"));
    let e = parse_bill(&bytes).unwrap_err();
    assert!(
        matches!(
            &e,
            BillError::Encoding {
                line: 9,
                encoding: "UTF-8",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn streaming_can_stop_early() {
    let mut seen = 0;
    let e = read_bill(&alipay_zip(false), |_| {
        seen += 1;
        seen < 2
    })
    .unwrap_err();
    assert_eq!(e, BillError::Stopped);
    assert_eq!(seen, 2);
}
