//! The trade bill (业务明细) as Alipay hands it out: a zip holding the detail CSV and its summary
//! (`…业务明细(汇总).csv`, in either order), entry names in GBK without the UTF-8 flag, contents
//! GBK — or the same CSV saved bare, or re-saved as UTF-8 (with or without a BOM).
//!
//! Columns are found by header name (variants add columns, and some tools write `(元)` with
//! half-width parentheses); ids carry a trailing tab; refunds are rows of type `退款` with a
//! negative 商家实收 and our `out_request_no` in `退款批次号/请求号`. The bill states its own
//! totals twice (the `#交易合计`/`#退款合计` lines and the summary file): a bill whose rows do not
//! add up to them is refused, saying by how much, and so is a file cut short.
//!
//! [`read_bill`] streams the rows to a callback (a month's bill can hold millions of rows);
//! [`parse_bill`] collects them.

use std::io::{Cursor, Read};
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;

/// The detail file's end marker: without it the file was cut short.
const END_MARKER: &str = "业务明细列表结束";
/// How much of a file is looked at to tell GBK from UTF-8 (the header lines are in it).
const SNIFF: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BillError {
    #[error("the file is empty")]
    Empty,
    #[error("this is not a bill: {0}")]
    NotABill(String),
    #[error("the zip is damaged or cut short ({0}): download the bill again")]
    DamagedZip(String),
    #[error("the zip holds no 业务明细 detail file (entries: {})", .0.join(", "))]
    NoDetail(Vec<String>),
    #[error("the zip holds two detail files ({0} and {1}): import them one at a time")]
    TwoDetails(String, String),
    #[error("this is the summary file (业务明细(汇总)); import the zip or the detail file")]
    SummaryOnly,
    #[error("{file}: line {line} is not valid {encoding}")]
    Encoding {
        file: String,
        line: u64,
        encoding: &'static str,
    },
    #[error("{file}: no header row (a row naming 支付宝交易号 and 商户订单号) before line {line}")]
    NoHeader { file: String, line: u64 },
    #[error("{file}: the header has no {column:?} column (found: {})", .found.join(", "))]
    MissingColumn {
        file: String,
        column: &'static str,
        found: Vec<String>,
    },
    #[error("{file}: the header names {0:?} twice", .column)]
    DuplicateColumn { file: String, column: String },
    #[error("{file} is cut short: {detail}")]
    Truncated { file: String, detail: String },
    #[error("{file}: line {line}: {reason}")]
    BadLine {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("{file}: the {what} line is missing or unreadable")]
    MissingMeta { file: String, what: &'static str },
    #[error(
        "the bill does not add up: {what} is stated as {stated} but its rows give {computed} (off by {difference})"
    )]
    TotalsMismatch {
        what: String,
        stated: String,
        computed: String,
        difference: String,
    },
    #[error("the summary file is for {summary}, the detail file for {detail}")]
    SummaryOtherBill { summary: String, detail: String },
    #[error("stopped before the end of the bill")]
    Stopped,
}

/// What a bill row is. Types other than payments and refunds are kept, not guessed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillKind {
    /// 交易
    Payment,
    /// 退款
    Refund,
    Other(String),
}

impl BillKind {
    fn parse(s: &str) -> BillKind {
        match s {
            "交易" => BillKind::Payment,
            "退款" => BillKind::Refund,
            other => BillKind::Other(other.to_string()),
        }
    }

    pub fn label_zh(&self) -> &str {
        match self {
            BillKind::Payment => "交易",
            BillKind::Refund => "退款",
            BillKind::Other(s) => s,
        }
    }
}

/// One detail row. Amounts are exact; a refund's `received` is negative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillRow {
    /// Line in the detail file (1-based), for messages.
    pub line: u64,
    /// 支付宝交易号
    pub trade_no: String,
    /// 商户订单号 (the platform's order_number)
    pub out_trade_no: String,
    pub kind: BillKind,
    /// 商品名称
    pub subject: String,
    pub created: Option<NaiveDateTime>,
    /// 完成时间: paid at, or refunded at.
    pub finished: NaiveDateTime,
    /// 订单金额（元）: the trade's amount (also on refund rows).
    pub order_amount: Decimal,
    /// 商家实收（元）: what the merchant got (negative: what it gave back).
    pub received: Decimal,
    /// 商家优惠（元）
    pub merchant_discount: Decimal,
    /// 服务费（元）: negative when charged, positive when given back with a refund.
    pub service_fee: Decimal,
    /// 退款批次号/请求号: the refund's out_request_no.
    pub out_request_no: Option<String>,
    /// 备注
    pub remark: Option<String>,
}

/// The detail file's own `#交易合计` / `#退款合计` lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatedTotals {
    pub payments: u64,
    pub payments_received: Decimal,
    pub payments_merchant_discount: Decimal,
    pub refunds: u64,
    /// Negative.
    pub refunds_received: Decimal,
    pub refunds_merchant_discount: Decimal,
}

/// The summary file's 合计 row (the columns it has).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SummaryTotals {
    pub payments: u64,
    pub refunds: u64,
    pub received: Decimal,
    pub service_fee: Option<Decimal>,
    pub net: Option<Decimal>,
}

/// What the rows add up to (computed, then checked against the stated totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RowTotals {
    pub payments: u64,
    pub payments_received: Decimal,
    pub payments_merchant_discount: Decimal,
    pub refunds: u64,
    pub refunds_received: Decimal,
    pub refunds_merchant_discount: Decimal,
    pub other_rows: u64,
    pub received: Decimal,
    pub service_fee: Decimal,
}

impl RowTotals {
    fn add(&mut self, r: &BillRow) {
        match r.kind {
            BillKind::Payment => {
                self.payments += 1;
                self.payments_received += r.received;
                self.payments_merchant_discount += r.merchant_discount;
            }
            BillKind::Refund => {
                self.refunds += 1;
                self.refunds_received += r.received;
                self.refunds_merchant_discount += r.merchant_discount;
            }
            BillKind::Other(_) => self.other_rows += 1,
        }
        self.received += r.received;
        self.service_fee += r.service_fee;
    }
}

/// Everything about a bill except its rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillInfo {
    /// `#账号：[…]`: the seller id with Alipay's account suffix (e.g. `…0156`).
    pub account: String,
    /// `#起始日期` (inclusive) and `终止日期` (exclusive), naive Beijing time.
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub export_time: Option<NaiveDateTime>,
    /// "GBK" or "UTF-8".
    pub encoding: &'static str,
    /// Zip entry names (None for a bare CSV).
    pub detail_name: Option<String>,
    pub summary_name: Option<String>,
    /// Header columns beyond the 25 of Alipay's standard layout.
    pub extra_columns: Vec<String>,
    /// Whether the detail has a 服务费（元） column: without one every row's fee reads as 0.00,
    /// which says nothing about what Alipay charged.
    pub has_service_fee: bool,
    pub stated: StatedTotals,
    pub summary: Option<SummaryTotals>,
    pub computed: RowTotals,
}

impl BillInfo {
    /// The bill's days, `start` inclusive, `end` exclusive.
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        (self.start.date(), self.end.date())
    }
}

/// A bill with its rows in memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bill {
    pub info: BillInfo,
    pub rows: Vec<BillRow>,
}

/// Parses a whole bill (zip or CSV) into memory.
pub fn parse_bill(bytes: &[u8]) -> Result<Bill, BillError> {
    let mut rows = Vec::new();
    let info = read_bill(bytes, |r| {
        rows.push(r);
        true
    })?;
    Ok(Bill { info, rows })
}

/// Streams the detail rows to `on_row` (return `false` to stop: [`BillError::Stopped`]), then
/// checks the rows against the bill's own totals. Rows handed out before an error must be
/// discarded by the caller: the bill as a whole is refused.
pub fn read_bill(bytes: &[u8], on_row: impl FnMut(BillRow) -> bool) -> Result<BillInfo, BillError> {
    if bytes.is_empty() {
        return Err(BillError::Empty);
    }
    if bytes.starts_with(b"PK") {
        return read_zip(bytes, on_row);
    }
    let text_start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text_start.iter().take(4096).any(|b| *b == 0) {
        return Err(BillError::NotABill(
            "binary content that is neither a zip nor a CSV".into(),
        ));
    }
    let mut info = read_detail(bytes, "the bill", on_row)?;
    info.detail_name = None;
    check_stated(&info)?;
    Ok(info)
}

fn read_zip(bytes: &[u8], on_row: impl FnMut(BillRow) -> bool) -> Result<BillInfo, BillError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| BillError::DamagedZip(e.to_string()))?;
    let (mut detail, mut summary) = (None::<(usize, String)>, None::<(usize, String)>);
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| BillError::DamagedZip(e.to_string()))?;
        if f.is_dir() {
            continue;
        }
        let name = entry_name(f.name_raw());
        names.push(name.clone());
        if !name.to_ascii_lowercase().ends_with(".csv") {
            continue;
        }
        if name.contains("汇总") {
            summary = Some((i, name));
        } else if let Some((_, first)) = &detail {
            return Err(BillError::TwoDetails(first.clone(), name));
        } else {
            detail = Some((i, name));
        }
    }
    let Some((detail_idx, detail_name)) = detail else {
        return Err(BillError::NoDetail(names));
    };
    // The summary is small: read it first, so a bad summary is refused before any row is streamed.
    let summary_info = match &summary {
        Some((i, name)) => {
            let mut buf = Vec::new();
            zip.by_index(*i)
                .and_then(|mut f| f.read_to_end(&mut buf).map_err(Into::into))
                .map_err(|e| BillError::DamagedZip(format!("{name}: {e}")))?;
            Some(read_summary(&buf, name)?)
        }
        None => None,
    };
    let entry = zip
        .by_index(detail_idx)
        .map_err(|e| BillError::DamagedZip(format!("{detail_name}: {e}")))?;
    let mut info = read_detail(entry, &detail_name, on_row).map_err(|e| match e {
        // A read error inside the entry (bad deflate data, CRC) is a damaged zip.
        BillError::BadLine { reason, .. } if reason.starts_with("read error") => {
            BillError::DamagedZip(format!("{detail_name}: {reason}"))
        }
        other => other,
    })?;
    info.detail_name = Some(detail_name);
    if let (Some((_, name)), Some(s)) = (summary, summary_info) {
        if (s.account.as_str(), s.start, s.end) != (info.account.as_str(), info.start, info.end) {
            return Err(BillError::SummaryOtherBill {
                summary: format!("account {} {}–{}", s.account, s.start, s.end),
                detail: format!("account {} {}–{}", info.account, info.start, info.end),
            });
        }
        info.summary_name = Some(name);
        info.summary = Some(s.totals);
    }
    check_stated(&info)?;
    Ok(info)
}

/// Zip entry names: UTF-8 when they are (flag set, or re-zipped by a modern tool), else GBK as
/// Alipay writes them.
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Utf8,
    Gbk,
}

impl Enc {
    fn name(self) -> &'static str {
        match self {
            Enc::Utf8 => "UTF-8",
            Enc::Gbk => "GBK",
        }
    }
}

/// Reads the first bytes to decide the encoding; returns them chained back in front of the rest.
/// GBK's trail bytes are ≥ 0x40, so commas, quotes and line breaks are never inside a character:
/// the CSV can be split on raw bytes and only the fields decoded.
fn sniff<R: Read>(mut r: R, file: &str) -> Result<(Enc, impl Read), BillError> {
    let mut head = Vec::new();
    (&mut r)
        .take(SNIFF)
        .read_to_end(&mut head)
        .map_err(|e| BillError::BadLine {
            file: file.to_string(),
            line: 1,
            reason: format!("read error: {e}"),
        })?;
    if head.is_empty() {
        return Err(BillError::Empty);
    }
    let (enc, skip) = if head.starts_with(b"\xEF\xBB\xBF") {
        (Enc::Utf8, 3)
    } else {
        // The first line with non-ASCII bytes (the title comment, at the latest the header)
        // decides; a later stray byte is then reported on its own line, not as "wrong encoding".
        let first = head.split(|b| *b == b'\n').find(|l| !l.is_ascii());
        match first.map(std::str::from_utf8) {
            None | Some(Ok(_)) => (Enc::Utf8, 0),
            // Cut in the middle of a character at the end of the sniffed block: still UTF-8.
            Some(Err(e)) if e.error_len().is_none() && head.len() as u64 == SNIFF => (Enc::Utf8, 0),
            Some(Err(_)) => (Enc::Gbk, 0),
        }
    };
    head.drain(..skip);
    Ok((enc, Cursor::new(head).chain(r)))
}

struct Fields<'a> {
    rec: &'a csv::ByteRecord,
    enc: Enc,
    file: &'a str,
    line: u64,
}

impl Fields<'_> {
    /// A field decoded and trimmed, borrowed when it is plain ASCII/UTF-8 (most are).
    fn str(&self, i: usize) -> Result<std::borrow::Cow<'_, str>, BillError> {
        let raw = self.rec.get(i).unwrap_or_default();
        let s = decode(raw, self.enc).ok_or_else(|| BillError::Encoding {
            file: self.file.to_string(),
            line: self.line,
            encoding: self.enc.name(),
        })?;
        // Ids end with a tab so spreadsheets keep them as text; some tools add spaces.
        let trim = |c: char| c == '\t' || c.is_whitespace();
        Ok(match s {
            std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(b.trim_matches(trim)),
            std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o.trim_matches(trim).to_string()),
        })
    }

    fn text(&self, i: usize) -> Result<String, BillError> {
        Ok(self.str(i)?.into_owned())
    }

    fn bad(&self, reason: String) -> BillError {
        BillError::BadLine {
            file: self.file.to_string(),
            line: self.line,
            reason,
        }
    }

    fn amount(&self, i: usize, column: &str, required: bool) -> Result<Decimal, BillError> {
        let s = self.str(i)?;
        if s.is_empty() {
            return if required {
                Err(self.bad(format!("{column} is empty")))
            } else {
                Ok(Decimal::ZERO)
            };
        }
        parse_money(&s).ok_or_else(|| {
            self.bad(format!(
                "{column} {s:?} is not an amount in yuan with at most two decimals"
            ))
        })
    }

    fn datetime(&self, i: usize, column: &str) -> Result<Option<NaiveDateTime>, BillError> {
        let s = self.str(i)?;
        if s.is_empty() {
            return Ok(None);
        }
        parse_datetime(&s)
            .map(Some)
            .ok_or_else(|| self.bad(format!("{column} {s:?} is not a date and time")))
    }
}

fn decode(raw: &[u8], enc: Enc) -> Option<std::borrow::Cow<'_, str>> {
    if raw.is_ascii() {
        return std::str::from_utf8(raw)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    match enc {
        Enc::Utf8 => std::str::from_utf8(raw)
            .ok()
            .map(std::borrow::Cow::Borrowed),
        Enc::Gbk => encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(raw),
    }
}

/// A yuan amount: optional minus, digits, at most two decimals. No exponent, no grouping.
pub fn parse_money(s: &str) -> Option<Decimal> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    let mut d = Decimal::from_str(s).ok()?;
    d.rescale(2);
    Some(d)
}

fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    // A month's bill has millions of these: the usual `yyyy-MM-dd HH:mm:ss` is read directly,
    // anything else through chrono's format parser.
    let b = s.as_bytes();
    if b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
    {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let date = NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
        return date.and_hms_opt(n(11..13)?, n(14..16)?, n(17..19)?);
    }
    ["%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

fn parse_cn_datetime(s: &str) -> Option<NaiveDateTime> {
    ["%Y年%m月%d日 %H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s.trim(), f).ok())
}

/// A header name as compared: no tabs or spaces, `(元)` with full-width parentheses.
fn norm_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect()
}

/// The 25 columns of Alipay's standard detail layout (the simulator writes its bills with them).
pub const DETAIL_COLUMNS: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

struct Columns {
    trade_no: usize,
    out_trade_no: usize,
    kind: usize,
    subject: Option<usize>,
    created: Option<usize>,
    finished: usize,
    order_amount: usize,
    received: usize,
    merchant_discount: Option<usize>,
    out_request_no: usize,
    service_fee: Option<usize>,
    remark: Option<usize>,
    extra: Vec<String>,
}

impl Columns {
    fn find(names: &[String], file: &str) -> Result<Columns, BillError> {
        for (i, n) in names.iter().enumerate() {
            if !n.is_empty() && names[..i].contains(n) {
                return Err(BillError::DuplicateColumn {
                    file: file.to_string(),
                    column: n.clone(),
                });
            }
        }
        let opt = |c: &str| names.iter().position(|n| n == c);
        let req = |c: &'static str| {
            opt(c).ok_or_else(|| BillError::MissingColumn {
                file: file.to_string(),
                column: c,
                found: names.to_vec(),
            })
        };
        Ok(Columns {
            trade_no: req("支付宝交易号")?,
            out_trade_no: req("商户订单号")?,
            kind: req("业务类型")?,
            subject: opt("商品名称"),
            created: opt("创建时间"),
            finished: req("完成时间")?,
            order_amount: req("订单金额（元）")?,
            received: req("商家实收（元）")?,
            merchant_discount: opt("商家优惠（元）"),
            out_request_no: req("退款批次号/请求号")?,
            service_fee: opt("服务费（元）"),
            remark: opt("备注"),
            extra: names
                .iter()
                .filter(|n| !n.is_empty() && !DETAIL_COLUMNS.contains(&n.as_str()))
                .cloned()
                .collect(),
        })
    }
}

fn csv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        // Comment lines have one field, data rows 25 or more: the shape varies by design.
        .flexible(true)
        // LF only: csv's CRLF mode miscounts lines, and the line numbers go into messages. The
        // `\r` left at the end of a line is trimmed with the other whitespace.
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 20)
        .from_reader(r)
}

/// A `#…` line as text: the CSV reader split it on any ASCII comma it held, so join it back.
fn comment_text(rec: &csv::ByteRecord, enc: Enc) -> Option<String> {
    let parts: Option<Vec<_>> = rec.iter().map(|f| decode(f, enc)).collect();
    Some(parts?.join(",").trim_end().to_string())
}

/// `…[value]…` after `label`.
fn bracket_after<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let rest = &line[line.find(label)? + label.len()..];
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    Some(rest[open + 1..close].trim())
}

/// The number between `label` and the next `元` (or `笔`).
fn number_after<'a>(line: &'a str, label: &str, unit: char) -> Option<&'a str> {
    let rest = &line[line.find(label)? + label.len()..];
    Some(rest[..rest.find(unit)?].trim())
}

fn read_detail<R: Read>(
    r: R,
    file: &str,
    mut on_row: impl FnMut(BillRow) -> bool,
) -> Result<BillInfo, BillError> {
    let (enc, input) = sniff(r, file)?;
    let mut rdr = csv_reader(input);
    let mut rec = csv::ByteRecord::new();
    let (mut account, mut period, mut export_time) = (None, None, None);
    let (mut pay_line, mut refund_line) = (None::<String>, None::<String>);
    let mut cols: Option<Columns> = None;
    let mut ended = false;
    let mut computed = RowTotals::default();
    let mut last_line = 0;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(last_line + 1, |p| p.line());
                return Err(match e.kind() {
                    csv::ErrorKind::Io(io) => BillError::BadLine {
                        file: file.to_string(),
                        line,
                        reason: format!("read error: {io}"),
                    },
                    _ => BillError::BadLine {
                        file: file.to_string(),
                        line,
                        reason: e.to_string(),
                    },
                });
            }
        }
        let line = rec.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        let first = rec.get(0).unwrap_or_default();
        if first.starts_with(b"#") {
            let text = comment_text(&rec, enc).ok_or_else(|| BillError::Encoding {
                file: file.to_string(),
                line,
                encoding: enc.name(),
            })?;
            if text.contains(END_MARKER) {
                ended = true;
            } else if text.contains("账号") && account.is_none() {
                account = bracket_after(&text, "账号").map(str::to_string);
            } else if text.contains("起始日期") {
                let start = bracket_after(&text, "起始日期").and_then(parse_cn_datetime);
                let end = bracket_after(&text, "终止日期").and_then(parse_cn_datetime);
                period = start.zip(end);
            } else if text.contains("交易合计") {
                pay_line = Some(text);
            } else if text.contains("退款合计") {
                refund_line = Some(text);
            } else if text.contains("导出时间") {
                export_time = bracket_after(&text, "导出时间").and_then(parse_cn_datetime);
            }
            continue;
        }
        if rec
            .iter()
            .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
        {
            continue;
        }
        let f = Fields {
            rec: &rec,
            enc,
            file,
            line,
        };
        let Some(c) = &cols else {
            let names: Vec<String> = (0..rec.len())
                .map(|i| f.text(i).map(|s| norm_header(&s)))
                .collect::<Result<_, _>>()?;
            if !(names.iter().any(|n| n == "支付宝交易号")
                && names.iter().any(|n| n == "商户订单号"))
            {
                if names.iter().any(|n| n == "交易订单总笔数") {
                    return Err(BillError::SummaryOnly);
                }
                return Err(BillError::NoHeader {
                    file: file.to_string(),
                    line,
                });
            }
            cols = Some(Columns::find(&names, file)?);
            continue;
        };
        if ended {
            return Err(f.bad(format!("a data row after the {END_MARKER} line")));
        }
        let row = parse_row(&f, c)?;
        computed.add(&row);
        if !on_row(row) {
            return Err(BillError::Stopped);
        }
    }
    let cols = cols.ok_or_else(|| BillError::NoHeader {
        file: file.to_string(),
        line: last_line + 1,
    })?;
    if !ended {
        return Err(BillError::Truncated {
            file: file.to_string(),
            detail: format!("no {END_MARKER} line after line {last_line}"),
        });
    }
    let truncated = |what: &str| BillError::Truncated {
        file: file.to_string(),
        detail: format!("no {what} line after the list"),
    };
    let pay_line = pay_line.ok_or_else(|| truncated("#交易合计"))?;
    let refund_line = refund_line.ok_or_else(|| truncated("#退款合计"))?;
    let meta = |what: &'static str| BillError::MissingMeta {
        file: file.to_string(),
        what,
    };
    let stated =
        parse_stated(&pay_line, &refund_line).ok_or_else(|| meta("#交易合计/#退款合计"))?;
    let account = account
        .filter(|a| !a.is_empty())
        .ok_or_else(|| meta("#账号"))?;
    let (start, end) = period.ok_or_else(|| meta("#起始日期 … 终止日期"))?;
    Ok(BillInfo {
        account,
        start,
        end,
        export_time,
        encoding: enc.name(),
        detail_name: Some(file.to_string()),
        summary_name: None,
        has_service_fee: cols.service_fee.is_some(),
        extra_columns: cols.extra,
        stated,
        summary: None,
        computed,
    })
}

fn parse_row(f: &Fields<'_>, c: &Columns) -> Result<BillRow, BillError> {
    let opt_text = |i: Option<usize>| i.map(|i| f.text(i)).transpose();
    let kind = BillKind::parse(&f.str(c.kind)?);
    let trade_no = f.text(c.trade_no)?;
    if trade_no.is_empty() {
        return Err(f.bad("支付宝交易号 is empty".into()));
    }
    let received = f.amount(c.received, "商家实收（元）", true)?;
    match kind {
        BillKind::Payment if received.is_sign_negative() && !received.is_zero() => {
            return Err(f.bad(format!(
                "a payment (交易) with a negative 商家实收 {received}"
            )));
        }
        BillKind::Refund if received.is_sign_positive() && !received.is_zero() => {
            return Err(f.bad(format!(
                "a refund (退款) with a positive 商家实收 {received}: refunds are negative"
            )));
        }
        _ => {}
    }
    let out_request_no = Some(f.str(c.out_request_no)?)
        .filter(|s| !s.is_empty())
        .map(|s| s.into_owned());
    Ok(BillRow {
        line: f.line,
        out_trade_no: f.text(c.out_trade_no)?,
        subject: opt_text(c.subject)?.unwrap_or_default(),
        created: c
            .created
            .map(|i| f.datetime(i, "创建时间"))
            .transpose()?
            .flatten(),
        finished: f
            .datetime(c.finished, "完成时间")?
            .ok_or_else(|| f.bad("完成时间 is empty".into()))?,
        order_amount: f.amount(c.order_amount, "订单金额（元）", true)?,
        received,
        merchant_discount: c
            .merchant_discount
            .map(|i| f.amount(i, "商家优惠（元）", false))
            .transpose()?
            .unwrap_or_default(),
        service_fee: c
            .service_fee
            .map(|i| f.amount(i, "服务费（元）", false))
            .transpose()?
            .unwrap_or_default(),
        out_request_no,
        remark: c
            .remark
            .map(|i| f.str(i))
            .transpose()?
            .filter(|s| !s.is_empty())
            .map(|s| s.into_owned()),
        trade_no,
        kind,
    })
}

/// `#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元` and `#退款合计：4笔，商家实收退款共-0.04元，…`.
fn parse_stated(pay: &str, refund: &str) -> Option<StatedTotals> {
    let count = |line: &str, label: &str| -> Option<u64> {
        let rest = &line[line.find(label)? + label.len()..];
        let rest = rest.trim_start_matches(['：', ':', ' ']);
        rest[..rest.find('笔')?].trim().parse().ok()
    };
    let money = |line: &str, label: &str| number_after(line, label, '元').and_then(parse_money);
    Some(StatedTotals {
        payments: count(pay, "交易合计")?,
        payments_received: money(pay, "商家实收共")?,
        payments_merchant_discount: money(pay, "商家优惠共").unwrap_or_default(),
        refunds: count(refund, "退款合计")?,
        refunds_received: money(refund, "商家实收退款共")?,
        refunds_merchant_discount: money(refund, "商家优惠退款共").unwrap_or_default(),
    })
}

struct SummaryFile {
    account: String,
    start: NaiveDateTime,
    end: NaiveDateTime,
    totals: SummaryTotals,
}

fn read_summary(bytes: &[u8], file: &str) -> Result<SummaryFile, BillError> {
    let (enc, input) = sniff(bytes, file)?;
    let mut rdr = csv_reader(input);
    let mut rec = csv::ByteRecord::new();
    let (mut account, mut period) = (None, None);
    let mut header: Option<Vec<String>> = None;
    let mut total: Option<Vec<String>> = None;
    let mut ended = false;
    let mut last_line = 0;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(BillError::BadLine {
                    file: file.to_string(),
                    line: last_line + 1,
                    reason: e.to_string(),
                });
            }
        }
        let line = rec.position().map_or(last_line + 1, |p| p.line());
        last_line = line;
        let f = Fields {
            rec: &rec,
            enc,
            file,
            line,
        };
        if rec.get(0).unwrap_or_default().starts_with(b"#") {
            let text = comment_text(&rec, enc).ok_or_else(|| BillError::Encoding {
                file: file.to_string(),
                line,
                encoding: enc.name(),
            })?;
            if text.contains("列表结束") {
                ended = true;
            } else if text.contains("账号") && account.is_none() {
                account = bracket_after(&text, "账号").map(str::to_string);
            } else if text.contains("起始日期") {
                let start = bracket_after(&text, "起始日期").and_then(parse_cn_datetime);
                let end = bracket_after(&text, "终止日期").and_then(parse_cn_datetime);
                period = start.zip(end);
            }
            continue;
        }
        let cells: Vec<String> = (0..rec.len())
            .map(|i| f.text(i))
            .collect::<Result<_, _>>()?;
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header.is_none() {
            header = Some(cells.iter().map(|c| norm_header(c)).collect());
        } else if cells.first().is_some_and(|c| c == "合计") {
            total = Some(cells);
        }
    }
    let meta = |what: &'static str| BillError::MissingMeta {
        file: file.to_string(),
        what,
    };
    if !ended {
        return Err(BillError::Truncated {
            file: file.to_string(),
            detail: format!("no 列表结束 line after line {last_line}"),
        });
    }
    let header = header.ok_or_else(|| meta("header"))?;
    let total = total.ok_or_else(|| meta("合计"))?;
    let col = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| total.get(i))
    };
    let money = |name: &'static str| -> Result<Option<Decimal>, BillError> {
        match col(name) {
            None => Ok(None),
            Some(v) => parse_money(v).map(Some).ok_or_else(|| BillError::BadLine {
                file: file.to_string(),
                line: last_line,
                reason: format!("{name} {v:?} is not an amount"),
            }),
        }
    };
    let count = |name: &'static str| -> Result<u64, BillError> {
        let v = col(name).ok_or(BillError::MissingColumn {
            file: file.to_string(),
            column: name,
            found: header.clone(),
        })?;
        v.parse().map_err(|_| BillError::BadLine {
            file: file.to_string(),
            line: last_line,
            reason: format!("{name} {v:?} is not a count"),
        })
    };
    let totals = SummaryTotals {
        payments: count("交易订单总笔数")?,
        refunds: count("退款订单总笔数")?,
        received: money("商家实收（元）")?.ok_or(BillError::MissingColumn {
            file: file.to_string(),
            column: "商家实收（元）",
            found: header.clone(),
        })?,
        service_fee: money("服务费（元）")?,
        net: money("实收净额（元）")?,
    };
    let account = account
        .filter(|a| !a.is_empty())
        .ok_or_else(|| meta("#账号"))?;
    let (start, end) = period.ok_or_else(|| meta("#起始日期 … 终止日期"))?;
    Ok(SummaryFile {
        account,
        start,
        end,
        totals,
    })
}

/// Every stated total against what the rows add up to; the first difference is reported.
fn check_stated(info: &BillInfo) -> Result<(), BillError> {
    let c = &info.computed;
    let s = &info.stated;
    let count = |what: &str, stated: u64, computed: u64| {
        if stated == computed {
            return Ok(());
        }
        Err(BillError::TotalsMismatch {
            what: what.to_string(),
            stated: format!("{stated} rows"),
            computed: format!("{computed} rows"),
            difference: format!("{} rows", computed.abs_diff(stated)),
        })
    };
    let money = |what: &str, stated: Decimal, computed: Decimal| {
        if stated == computed {
            return Ok(());
        }
        Err(BillError::TotalsMismatch {
            what: what.to_string(),
            stated: format!("{stated} yuan"),
            computed: format!("{computed} yuan"),
            difference: format!("{} yuan", computed - stated),
        })
    };
    count("#交易合计 (payments)", s.payments, c.payments)?;
    money(
        "#交易合计 商家实收",
        s.payments_received,
        c.payments_received,
    )?;
    money(
        "#交易合计 商家优惠",
        s.payments_merchant_discount,
        c.payments_merchant_discount,
    )?;
    count("#退款合计 (refunds)", s.refunds, c.refunds)?;
    money(
        "#退款合计 商家实收退款",
        s.refunds_received,
        c.refunds_received,
    )?;
    money(
        "#退款合计 商家优惠退款",
        s.refunds_merchant_discount,
        c.refunds_merchant_discount,
    )?;
    if let Some(sum) = &info.summary {
        count("the summary's 交易订单总笔数", sum.payments, c.payments)?;
        count("the summary's 退款订单总笔数", sum.refunds, c.refunds)?;
        money("the summary's 商家实收", sum.received, c.received)?;
        if let Some(fee) = sum.service_fee {
            money("the summary's 服务费", fee, c.service_fee)?;
        }
        if let Some(net) = sum.net {
            money("the summary's 实收净额", net, c.received + c.service_fee)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_and_strict() {
        assert_eq!(parse_money("0.1").unwrap().to_string(), "0.10");
        assert_eq!(parse_money("-0.04").unwrap().to_string(), "-0.04");
        assert_eq!(parse_money("1579").unwrap().to_string(), "1579.00");
        for bad in [
            "", "1.", ".5", "1.005", "1e3", "1,000.00", "+1", "--1", "¥1",
        ] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
    }

    #[test]
    fn stated_totals_lines_parse() {
        let s = parse_stated(
            "#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元",
            "#退款合计：4笔，商家实收退款共-0.04元，商家优惠退款共0.00元",
        )
        .unwrap();
        assert_eq!((s.payments, s.refunds), (6, 4));
        assert_eq!(s.payments_received.to_string(), "0.06");
        assert_eq!(s.refunds_received.to_string(), "-0.04");
    }

    #[test]
    fn datetimes_fast_path_agrees_with_chrono() {
        for s in [
            "2026-11-24 10:55:16",
            "2024-02-29 23:59:59",
            "2026-01-01 00:00:00",
        ] {
            assert_eq!(
                parse_datetime(s),
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok(),
                "{s}"
            );
        }
        for bad in [
            "2026-02-30 10:00:00",
            "2026-11-24 24:00:00",
            "2026-1a-24 10:00:00",
            "2026-11-24T10:55:16",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
        assert_eq!(
            parse_datetime("2026/11/24 10:55:16").unwrap().to_string(),
            "2026-11-24 10:55:16"
        );
    }

    #[test]
    fn headers_compare_with_either_parentheses() {
        assert_eq!(norm_header("订单金额(元)\t"), "订单金额（元）");
        assert_eq!(norm_header(" 订单金额（元）"), "订单金额（元）");
    }

    #[test]
    fn gbk_entry_names_decode() {
        let raw = encoding_rs::GBK
            .encode("2088_20190916_业务明细(汇总).csv")
            .0;
        assert!(std::str::from_utf8(&raw).is_err());
        assert_eq!(entry_name(&raw), "2088_20190916_业务明细(汇总).csv");
    }
}
