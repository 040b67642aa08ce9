//! Pay requests: `alipay.trade.page.pay` (PC cashier) and `alipay.trade.wap.pay` (phone), as a
//! signed GET link or as an auto-submitting POST form.
//!
//! Nothing here talks to the gateway: the buyer's browser does, which is also why the Alipay
//! trade only exists once the buyer opens the cashier.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::clock::{Clock, parse_beijing};
use crate::money::Amount;
use crate::params::Params;
use crate::request::{AppIdentity, Urls};
use crate::sign::SignError;

/// Which cashier the buyer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayProduct {
    /// PC website: `alipay.trade.page.pay`, `FAST_INSTANT_TRADE_PAY`.
    Page,
    /// Phone browser: `alipay.trade.wap.pay`, `QUICK_WAP_WAY`.
    Wap,
}

impl PayProduct {
    pub fn method(&self) -> &'static str {
        match self {
            PayProduct::Page => "alipay.trade.page.pay",
            PayProduct::Wap => "alipay.trade.wap.pay",
        }
    }

    pub fn product_code(&self) -> &'static str {
        match self {
            PayProduct::Page => "FAST_INSTANT_TRADE_PAY",
            PayProduct::Wap => "QUICK_WAP_WAY",
        }
    }
}

/// One order to be paid. Optional fields that are `None` or empty are not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayRequest {
    pub product: PayProduct,
    /// The platform's order number: 1–64 letters, digits or underscores.
    pub out_trade_no: String,
    pub total_amount: Amount,
    /// The order title the buyer sees, at most 256 characters. Alipay's docs advise against
    /// `/ = &` here; they are signed and encoded correctly all the same, so they are not refused.
    pub subject: String,
    /// At most 128 characters.
    pub body: Option<String>,
    /// Absolute deadline, `yyyy-MM-dd HH:mm:ss` Beijing time.
    pub time_expire: Option<String>,
    /// Relative deadline: `90m`, `2h`, `1d` (1m – 15d), or `1c` (until midnight).
    pub timeout_express: Option<String>,
    /// Handed back unchanged in the return URL and the notify. Give the PLAIN value: Alipay
    /// requires it URL-encoded, and Paydesk percent-encodes it (everything but `A-Za-z0-9-_.~`)
    /// before sending, so do not encode it yourself. What comes back is still encoded; decode it
    /// once. At most 512 characters once encoded.
    pub passback_params: Option<String>,
    /// PC page pay only: `0`–`3` embeds the QR code in the merchant page (mode `4` needs a
    /// `qrcode_width`, which Paydesk does not send).
    pub qr_pay_mode: Option<String>,
    /// Where the buyer's browser goes after paying (informational, never proof of payment).
    pub return_url: Option<String>,
    /// Where Alipay posts the async notify that confirms the payment.
    pub notify_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("out_trade_no is empty: give the platform's order number")]
    OutTradeNoEmpty,
    #[error("out_trade_no is {len} characters long: Alipay allows at most 64")]
    OutTradeNoTooLong { len: usize },
    #[error(
        "out_trade_no {value:?} contains {ch:?} at position {pos}: Alipay allows only letters, digits and underscore"
    )]
    OutTradeNoInvalidChar { value: String, ch: char, pos: usize },
    #[error("subject is empty: Alipay shows it to the buyer as the order title, give one")]
    SubjectEmpty,
    #[error("subject is {len} characters long: Alipay allows at most 256, shorten it")]
    SubjectTooLong { len: usize },
    #[error("body is {len} characters long: Alipay allows at most 128, shorten it")]
    BodyTooLong { len: usize },
    #[error(
        "{field} contains the control character U+{code:04X} at position {pos}: remove line breaks, tabs and other invisible characters"
    )]
    ControlCharacter {
        field: &'static str,
        code: u32,
        pos: usize,
    },
    #[error(
        "time_expire {0:?} is not a `yyyy-MM-dd HH:mm:ss` Beijing time: write it like 2026-11-24 18:30:00"
    )]
    TimeExpireFormat(String),
    #[error(
        "time_expire {value} is not after the request time {now} (Beijing time): the order would expire before the buyer could pay"
    )]
    TimeExpirePassed { value: String, now: String },
    #[error(
        "timeout_express {0:?} is not a whole number followed by m, h or d (e.g. 90m, 2h, 1d), nor 1c: no decimals or spaces, write 1.5h as 90m"
    )]
    TimeoutExpressFormat(String),
    #[error("timeout_express {0} is outside Alipay's range 1m – 15d")]
    TimeoutExpressRange(String),
    #[error(
        "give time_expire or timeout_express, not both: they set the same deadline in two ways"
    )]
    BothDeadlines,
    #[error(
        "passback_params is {len} characters once URL-encoded: Alipay allows at most 512, pass a shorter value (e.g. an id to look the rest up)"
    )]
    PassbackTooLong { len: usize },
    #[error("qr_pay_mode {0:?} is not one of 0, 1, 2, 3")]
    QrPayModeUnknown(String),
    #[error("qr_pay_mode 4 needs qrcode_width, which Paydesk does not send: use 0–3")]
    QrPayModeNeedsWidth,
    #[error("qr_pay_mode applies to PC page pay only, not to wap pay: leave it out")]
    QrPayModeNotForWap,
    #[error("{field} {value:?} is not usable: {reason}")]
    BadUrl {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("signing the pay request failed: {0}")]
    Sign(#[from] SignError),
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded: the result decodes
/// the same under Java's `URLDecoder`, Python's `unquote_plus` and JS `decodeURIComponent`.
const PASSBACK_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const URL_MAX_CHARS: usize = 256;

impl PayRequest {
    pub fn new(
        product: PayProduct,
        out_trade_no: impl Into<String>,
        total_amount: Amount,
        subject: impl Into<String>,
    ) -> Self {
        PayRequest {
            product,
            out_trade_no: out_trade_no.into(),
            total_amount,
            subject: subject.into(),
            body: None,
            time_expire: None,
            timeout_express: None,
            passback_params: None,
            qr_pay_mode: None,
            return_url: None,
            notify_url: None,
        }
    }

    /// Checks every field against Alipay's rules; the first problem found is returned.
    pub fn validate(&self) -> Result<(), PayError> {
        validate_out_trade_no(&self.out_trade_no)?;

        if self.subject.trim().is_empty() {
            return Err(PayError::SubjectEmpty);
        }
        no_control_chars("subject", &self.subject)?;
        let len = self.subject.chars().count();
        if len > 256 {
            return Err(PayError::SubjectTooLong { len });
        }

        if let Some(body) = present(&self.body) {
            no_control_chars("body", body)?;
            let len = body.chars().count();
            if len > 128 {
                return Err(PayError::BodyTooLong { len });
            }
        }

        let time_expire = present(&self.time_expire);
        let timeout_express = present(&self.timeout_express);
        if time_expire.is_some() && timeout_express.is_some() {
            return Err(PayError::BothDeadlines);
        }
        if let Some(t) = time_expire {
            parse_time_expire(t)?;
        }
        if let Some(t) = timeout_express {
            validate_timeout_express(t)?;
        }

        if let Some(encoded) = self.passback_encoded() {
            let len = encoded.len();
            if len > 512 {
                return Err(PayError::PassbackTooLong { len });
            }
        }

        if let Some(mode) = present(&self.qr_pay_mode) {
            if self.product == PayProduct::Wap {
                return Err(PayError::QrPayModeNotForWap);
            }
            match mode {
                "0" | "1" | "2" | "3" => {}
                "4" => return Err(PayError::QrPayModeNeedsWidth),
                other => return Err(PayError::QrPayModeUnknown(other.to_string())),
            }
        }

        if let Some(u) = present(&self.return_url) {
            validate_http_url("return_url", u)?;
        }
        if let Some(u) = present(&self.notify_url) {
            validate_http_url("notify_url", u)?;
        }
        Ok(())
    }

    /// The `biz_content` JSON exactly as it is signed and sent: fixed field order, amounts as
    /// strings with two decimals, non-ASCII kept as raw UTF-8 (as Node's `JSON.stringify` and the
    /// Java SDK send it; Alipay verifies the string it receives, so either form is accepted).
    pub fn biz_content(&self) -> Result<String, PayError> {
        self.validate()?;
        let amount = self.total_amount.to_string();
        let passback = self.passback_encoded();
        let mut fields: Vec<(&str, &str)> = vec![
            ("out_trade_no", &self.out_trade_no),
            ("total_amount", &amount),
            ("subject", &self.subject),
            ("product_code", self.product.product_code()),
        ];
        let optional = [
            ("body", present(&self.body)),
            ("time_expire", present(&self.time_expire)),
            ("timeout_express", present(&self.timeout_express)),
            ("passback_params", passback.as_deref()),
            ("qr_pay_mode", present(&self.qr_pay_mode)),
        ];
        fields.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));

        let mut json = String::from("{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let _ = write!(
                json,
                "{}:{}",
                serde_json::Value::from(*k),
                serde_json::Value::from(*v)
            );
        }
        json.push('}');
        Ok(json)
    }

    fn passback_encoded(&self) -> Option<String> {
        present(&self.passback_params).map(|p| utf8_percent_encode(p, PASSBACK_KEEP).to_string())
    }
}

/// The complete signed parameter set of a pay request (common parameters, `biz_content`, cert
/// SNs in certificate mode, `sign`), timestamped now in GMT+8.
pub fn signed_pay_params(
    app: &AppIdentity,
    req: &PayRequest,
    clock: &dyn Clock,
) -> Result<Params, PayError> {
    let biz = req.biz_content()?;
    if let Some(t) = present(&req.time_expire) {
        let deadline = parse_time_expire(t)?;
        let now = clock.now_beijing();
        if deadline <= now {
            return Err(PayError::TimeExpirePassed {
                value: t.to_string(),
                now: now.format(crate::clock::TIMESTAMP_FORMAT).to_string(),
            });
        }
    }
    let urls = Urls {
        return_url: present(&req.return_url),
        notify_url: present(&req.notify_url),
    };
    let mut params = app.common_params(req.product.method(), &biz, &urls, clock);
    app.sign(&mut params)?;
    Ok(params)
}

/// The GET link to open in the buyer's browser: gateway `?` signed parameters, form-encoded.
pub fn pay_link(
    gateway: &str,
    app: &AppIdentity,
    req: &PayRequest,
    clock: &dyn Clock,
) -> Result<String, PayError> {
    validate_gateway(gateway)?;
    let params = signed_pay_params(app, req, clock)?;
    Ok(format!("{gateway}?{}", params.to_query()))
}

/// A small HTML page that POSTs the signed parameters to the gateway as soon as it loads, with
/// a visible button for browsers that run no script. `charset` also goes in the action's query:
/// the gateway reads it from there before decoding the body.
pub fn pay_form(
    gateway: &str,
    app: &AppIdentity,
    req: &PayRequest,
    clock: &dyn Clock,
) -> Result<String, PayError> {
    validate_gateway(gateway)?;
    let params = signed_pay_params(app, req, clock)?;
    let action = format!("{gateway}?charset=utf-8");
    let mut html = String::with_capacity(2048);
    html.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<title>Alipay</title>\n</head>\n<body>\n");
    let _ = writeln!(
        html,
        "<form id=\"alipay_submit\" method=\"POST\" action=\"{}\" accept-charset=\"utf-8\">",
        html_escape(&action)
    );
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(
            html,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            html_escape(k),
            html_escape(v)
        );
    }
    html.push_str("<button type=\"submit\">Pay with Alipay / 前往支付宝付款</button>\n</form>\n");
    html.push_str("<script>document.getElementById(\"alipay_submit\").submit();</script>\n");
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

/// `None` and `Some("")` both mean "not sent": Alipay drops empty parameters from the signature,
/// so sending one would only invite a mismatch.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

fn validate_out_trade_no(v: &str) -> Result<(), PayError> {
    if v.is_empty() {
        return Err(PayError::OutTradeNoEmpty);
    }
    if let Some((pos, ch)) = v
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(PayError::OutTradeNoInvalidChar {
            value: v.to_string(),
            ch,
            pos,
        });
    }
    if v.len() > 64 {
        return Err(PayError::OutTradeNoTooLong { len: v.len() });
    }
    Ok(())
}

fn no_control_chars(field: &'static str, v: &str) -> Result<(), PayError> {
    match v.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((pos, c)) => Err(PayError::ControlCharacter {
            field,
            code: c as u32,
            pos,
        }),
        None => Ok(()),
    }
}

fn parse_time_expire(v: &str) -> Result<chrono::NaiveDateTime, PayError> {
    // chrono accepts single-digit fields and surrounding spaces; Alipay wants the exact layout.
    let shape_ok = v.len() == 19
        && v.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    match parse_beijing(v) {
        Some(t) if shape_ok => Ok(t),
        _ => Err(PayError::TimeExpireFormat(v.to_string())),
    }
}

fn validate_timeout_express(v: &str) -> Result<(), PayError> {
    let format = || PayError::TimeoutExpressFormat(v.to_string());
    if v == "1c" {
        return Ok(());
    }
    let (digits, unit) = v.split_at(v.len().saturating_sub(1));
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0') && digits.len() > 1
    {
        return Err(format());
    }
    let max = match unit {
        "m" => 15 * 24 * 60,
        "h" => 15 * 24,
        "d" => 15,
        _ => return Err(format()),
    };
    match digits.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(()),
        _ => Err(PayError::TimeoutExpressRange(v.to_string())),
    }
}

fn validate_http_url(field: &'static str, v: &str) -> Result<(), PayError> {
    let bad = |reason: &str| PayError::BadUrl {
        field,
        value: v.to_string(),
        reason: reason.to_string(),
    };
    if let Some(c) = v.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(&format!(
            "it contains {c:?}: percent-encode spaces and special characters (e.g. %20)"
        )));
    }
    if field != "gateway" && v.chars().count() > URL_MAX_CHARS {
        return Err(bad(&format!(
            "it is {} characters long, Alipay allows at most {URL_MAX_CHARS}",
            v.chars().count()
        )));
    }
    let url = reqwest::Url::parse(v).map_err(|e| {
        bad(&format!(
            "{e}; write a full URL like https://example.com/path"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(&format!(
            "the scheme is {:?}, Alipay only calls http:// or https:// URLs",
            url.scheme()
        )));
    }
    Ok(())
}

fn validate_gateway(gateway: &str) -> Result<(), PayError> {
    validate_http_url("gateway", gateway)?;
    if gateway.contains('?') || gateway.contains('#') {
        return Err(PayError::BadUrl {
            field: "gateway",
            value: gateway.to_string(),
            reason: "it already has a query or fragment: give the bare gateway, e.g. https://openapi.alipay.com/gateway.do".into(),
        });
    }
    Ok(())
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::clock::FixedClock;
    use crate::keys::PrivateKey;
    use crate::sign::SignType;

    const GATEWAY: &str = "https://openapi-sandbox.dl.alipaydev.com/gateway.do";

    fn key() -> &'static PrivateKey {
        static K: OnceLock<PrivateKey> = OnceLock::new();
        K.get_or_init(|| PrivateKey::generate(2048).expect("RSA key generation"))
    }

    fn app() -> AppIdentity {
        AppIdentity::new("2021000000000001", Arc::new(key().clone()))
    }

    fn clock() -> FixedClock {
        FixedClock::at_beijing("2026-11-24 10:00:00").unwrap()
    }

    fn order() -> PayRequest {
        PayRequest::new(
            PayProduct::Page,
            "20261124100000_42",
            "1579".parse().unwrap(),
            "Python 全栈开发",
        )
    }

    /// Splits a link into its parameters the way the gateway does (form rules, decode once),
    /// refusing duplicates.
    fn parse_link(link: &str) -> Params {
        let (base, query) = link.split_once('?').expect("a query");
        assert_eq!(base, GATEWAY);
        let mut seen = std::collections::HashSet::new();
        form_urlencoded::parse(query.as_bytes())
            .inspect(|(k, _)| assert!(seen.insert(k.to_string()), "duplicate {k}"))
            .collect()
    }

    fn assert_signed_by_app(p: &Params) {
        let sign = p.get("sign").expect("sign present");
        key()
            .public_key()
            .verify(p.canonical().as_bytes(), sign, SignType::Rsa2)
            .expect("signature verifies over the canonical content");
    }

    #[test]
    fn page_link_carries_every_parameter_and_verifies() {
        let mut req = order();
        req.return_url = Some("https://www.luffycity.com/pay/result".into());
        req.notify_url = Some("https://api.luffycity.com/alipay/notify".into());
        let link = pay_link(GATEWAY, &app(), &req, &clock()).unwrap();
        let p = parse_link(&link);
        assert_eq!(p.get("method"), Some("alipay.trade.page.pay"));
        assert_eq!(p.get("app_id"), Some("2021000000000001"));
        assert_eq!(p.get("charset"), Some("utf-8"));
        assert_eq!(p.get("sign_type"), Some("RSA2"));
        assert_eq!(p.get("version"), Some("1.0"));
        assert_eq!(p.get("format"), Some("JSON"));
        assert_eq!(p.get("timestamp"), Some("2026-11-24 10:00:00"));
        assert_eq!(p.get("return_url"), req.return_url.as_deref());
        assert_eq!(p.get("notify_url"), req.notify_url.as_deref());
        assert_eq!(
            p.get("biz_content"),
            Some(
                r#"{"out_trade_no":"20261124100000_42","total_amount":"1579.00","subject":"Python 全栈开发","product_code":"FAST_INSTANT_TRADE_PAY"}"#
            )
        );
        assert_eq!(p.len(), 11);
        assert_signed_by_app(&p);
        // The link is exactly what signed_pay_params gives, nothing lost in encoding.
        assert_eq!(p, signed_pay_params(&app(), &req, &clock()).unwrap());
        // The signature covers sign_type: changing it breaks verification.
        let mut tampered = p.clone();
        tampered.set("sign_type", "RSA");
        assert!(
            key()
                .public_key()
                .verify(
                    tampered.canonical().as_bytes(),
                    p.get("sign").unwrap(),
                    SignType::Rsa2
                )
                .is_err()
        );
    }

    #[test]
    fn wap_uses_its_method_and_product_code() {
        let mut req = order();
        req.product = PayProduct::Wap;
        let p = parse_link(&pay_link(GATEWAY, &app(), &req, &clock()).unwrap());
        assert_eq!(p.get("method"), Some("alipay.trade.wap.pay"));
        assert!(
            p.get("biz_content")
                .unwrap()
                .contains(r#""product_code":"QUICK_WAP_WAY""#)
        );
        assert_signed_by_app(&p);
    }

    #[test]
    fn special_characters_survive_the_round_trip() {
        let subject = "a&b=c+d%e~f*g'h!i(j)k/l m 路飞 \"q\" \\ <x>";
        let mut req = order();
        req.subject = subject.into();
        req.body = Some("100% off & more = 0 + 0".into());
        req.return_url =
            Some("https://luffycity.com/pay/ok?order=42&next=%2Fcourse%3Fid%3D1&x=a+b".into());
        let link = pay_link(GATEWAY, &app(), &req, &clock()).unwrap();
        // Nothing that could split the query is left raw.
        let query = link.split_once('?').unwrap().1;
        assert!(!query.contains(' ') && !query.contains('"'));
        let p = parse_link(&link);
        assert_eq!(p.get("return_url"), req.return_url.as_deref());
        let biz: serde_json::Value = serde_json::from_str(p.get("biz_content").unwrap()).unwrap();
        assert_eq!(biz["subject"], subject);
        assert_eq!(biz["body"], "100% off & more = 0 + 0");
        assert!(
            p.get("biz_content").unwrap().contains("路飞"),
            "CJK stays raw UTF-8"
        );
        assert_signed_by_app(&p);
    }

    #[test]
    fn optional_fields_in_fixed_order_and_passback_encoded() {
        let mut req = order();
        req.body = Some("Python 课程".into());
        req.timeout_express = Some("90m".into());
        req.passback_params = Some("uid=7&coupon=路飞 5".into());
        req.qr_pay_mode = Some("2".into());
        assert_eq!(
            req.biz_content().unwrap(),
            r#"{"out_trade_no":"20261124100000_42","total_amount":"1579.00","subject":"Python 全栈开发","product_code":"FAST_INSTANT_TRADE_PAY","body":"Python 课程","timeout_express":"90m","passback_params":"uid%3D7%26coupon%3D%E8%B7%AF%E9%A3%9E%205","qr_pay_mode":"2"}"#
        );
        req.timeout_express = None;
        req.time_expire = Some("2026-11-24 18:30:00".into());
        req.body = Some(String::new());
        assert_eq!(
            req.biz_content().unwrap(),
            r#"{"out_trade_no":"20261124100000_42","total_amount":"1579.00","subject":"Python 全栈开发","product_code":"FAST_INSTANT_TRADE_PAY","time_expire":"2026-11-24 18:30:00","passback_params":"uid%3D7%26coupon%3D%E8%B7%AF%E9%A3%9E%205","qr_pay_mode":"2"}"#
        );
        let p = parse_link(&pay_link(GATEWAY, &app(), &req, &clock()).unwrap());
        assert_signed_by_app(&p);
    }

    #[test]
    fn cert_mode_parameters_are_signed() {
        let mut a = app();
        a.app_cert_sn = Some("866efef280dec9137a87d047ac446315".into());
        a.alipay_root_cert_sn =
            Some("687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6".into());
        let p = parse_link(&pay_link(GATEWAY, &a, &order(), &clock()).unwrap());
        assert_eq!(p.get("app_cert_sn"), a.app_cert_sn.as_deref());
        assert_eq!(
            p.get("alipay_root_cert_sn"),
            a.alipay_root_cert_sn.as_deref()
        );
        assert!(
            p.canonical()
                .contains("&app_cert_sn=866efef280dec9137a87d047ac446315&")
        );
        assert_signed_by_app(&p);
    }

    fn html_unescape(s: &str) -> String {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    #[test]
    fn form_posts_every_signed_parameter() {
        let mut req = order();
        req.subject = "\"Tom & Jerry\" <b>it's</b>".into();
        req.return_url = Some("https://luffycity.com/ok?a=1&b=2".into());
        let html = pay_form(GATEWAY, &app(), &req, &clock()).unwrap();
        assert!(html.contains(&format!(
            "<form id=\"alipay_submit\" method=\"POST\" action=\"{GATEWAY}?charset=utf-8\""
        )));
        assert!(
            html.contains("<script>document.getElementById(\"alipay_submit\").submit();</script>")
        );
        assert!(html.contains("<button type=\"submit\">"));
        assert!(!html.contains("<b>"), "values are escaped");
        let mut posted = Params::new();
        for line in html
            .lines()
            .filter(|l| l.starts_with("<input type=\"hidden\""))
        {
            let name = line
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = line
                .split("value=\"")
                .nth(1)
                .unwrap()
                .rsplit_once('"')
                .unwrap()
                .0;
            assert!(
                !value.contains('"'),
                "a raw quote would end the attribute: {line}"
            );
            posted.set(html_unescape(name), html_unescape(value));
        }
        assert_eq!(posted.get("return_url"), req.return_url.as_deref());
        assert_eq!(posted.len(), 10);
        assert_signed_by_app(&posted);
        assert_eq!(posted, signed_pay_params(&app(), &req, &clock()).unwrap());
    }

    fn err(f: impl FnOnce(&mut PayRequest)) -> PayError {
        let mut r = order();
        f(&mut r);
        let e = r.validate().unwrap_err();
        // Every validation error also stops link and form building.
        assert_eq!(pay_link(GATEWAY, &app(), &r, &clock()).unwrap_err(), e);
        assert_eq!(pay_form(GATEWAY, &app(), &r, &clock()).unwrap_err(), e);
        e
    }

    #[test]
    fn each_bad_field_has_its_own_error() {
        assert_eq!(err(|r| r.out_trade_no.clear()), PayError::OutTradeNoEmpty);
        assert_eq!(
            err(|r| r.out_trade_no = "A".repeat(65)),
            PayError::OutTradeNoTooLong { len: 65 }
        );
        assert!(
            order_with(|r| r.out_trade_no = "A".repeat(64))
                .validate()
                .is_ok()
        );
        assert_eq!(
            err(|r| r.out_trade_no = "2026-11-24".into()),
            PayError::OutTradeNoInvalidChar {
                value: "2026-11-24".into(),
                ch: '-',
                pos: 4
            }
        );
        assert!(matches!(
            err(|r| r.out_trade_no = "订单1".into()),
            PayError::OutTradeNoInvalidChar {
                ch: '订',
                pos: 0,
                ..
            }
        ));
        assert_eq!(err(|r| r.subject = "  ".into()), PayError::SubjectEmpty);
        assert_eq!(
            err(|r| r.subject = "课".repeat(257)),
            PayError::SubjectTooLong { len: 257 }
        );
        assert!(
            order_with(|r| r.subject = "课".repeat(256))
                .validate()
                .is_ok()
        );
        assert_eq!(
            err(|r| r.body = Some("b".repeat(129))),
            PayError::BodyTooLong { len: 129 }
        );
        assert_eq!(
            err(|r| r.subject = "line\nbreak".into()),
            PayError::ControlCharacter {
                field: "subject",
                code: 0x0a,
                pos: 4
            }
        );
        assert!(matches!(
            err(|r| r.body = Some("tab\there".into())),
            PayError::ControlCharacter { field: "body", .. }
        ));
        for bad in [
            "2026-11-24",
            "2026-11-24 18:30",
            "2026/11/24 18:30:00",
            "2026-1-24 18:30:00",
            "2026-02-30 10:00:00",
            " 2026-11-24 18:30:00",
        ] {
            assert_eq!(
                err(|r| r.time_expire = Some(bad.into())),
                PayError::TimeExpireFormat(bad.into()),
                "{bad}"
            );
        }
        for bad in ["90", "m", "1.5h", "90 m", "2w", "09m", "-1m", "2c", "1C"] {
            assert_eq!(
                err(|r| r.timeout_express = Some(bad.into())),
                PayError::TimeoutExpressFormat(bad.into()),
                "{bad}"
            );
        }
        for bad in ["0m", "16d", "361h", "21601m", "99999999999d"] {
            assert_eq!(
                err(|r| r.timeout_express = Some(bad.into())),
                PayError::TimeoutExpressRange(bad.into()),
                "{bad}"
            );
        }
        for good in ["1m", "21600m", "360h", "15d", "1c", "90m"] {
            assert!(
                order_with(|r| r.timeout_express = Some(good.into()))
                    .validate()
                    .is_ok(),
                "{good}"
            );
        }
        assert_eq!(
            err(|r| {
                r.time_expire = Some("2026-11-24 18:30:00".into());
                r.timeout_express = Some("1d".into());
            }),
            PayError::BothDeadlines
        );
        // 171 CJK characters are 513 bytes once each becomes %XX%XX%XX.
        assert_eq!(
            err(|r| r.passback_params = Some("路".repeat(57))),
            PayError::PassbackTooLong { len: 513 }
        );
        assert!(
            order_with(|r| r.passback_params = Some("x".repeat(512)))
                .validate()
                .is_ok()
        );
        assert_eq!(
            err(|r| r.qr_pay_mode = Some("5".into())),
            PayError::QrPayModeUnknown("5".into())
        );
        assert_eq!(
            err(|r| r.qr_pay_mode = Some("4".into())),
            PayError::QrPayModeNeedsWidth
        );
        assert_eq!(
            err(|r| {
                r.product = PayProduct::Wap;
                r.qr_pay_mode = Some("1".into());
            }),
            PayError::QrPayModeNotForWap
        );
    }

    fn order_with(f: impl FnOnce(&mut PayRequest)) -> PayRequest {
        let mut r = order();
        f(&mut r);
        r
    }

    #[test]
    fn urls_must_be_http_and_say_why_not() {
        let cases = [
            ("ftp://luffycity.com/x", "scheme"),
            ("luffycity.com/pay/ok", "full URL"),
            ("https://luffycity.com/a b", "percent-encode"),
            ("https://", "empty host"),
            ("https://exa mple.com", "percent-encode"),
            ("javascript:alert(1)", "scheme"),
        ];
        for (u, why) in cases {
            let e = err(|r| r.return_url = Some(u.into()));
            assert!(
                matches!(
                    &e,
                    PayError::BadUrl {
                        field: "return_url",
                        ..
                    }
                ),
                "{u}: {e}"
            );
            assert!(e.to_string().contains(why), "{u}: {e}");
            let e = err(|r| r.notify_url = Some(u.into()));
            assert!(
                matches!(
                    &e,
                    PayError::BadUrl {
                        field: "notify_url",
                        ..
                    }
                ),
                "{u}: {e}"
            );
        }
        let long = format!("https://luffycity.com/{}", "a".repeat(240));
        let e = err(|r| r.notify_url = Some(long));
        assert!(e.to_string().contains("at most 256"), "{e}");
        // Plain http is fine (the simulator and local tests run on loopback).
        assert!(
            order_with(|r| r.notify_url = Some("http://127.0.0.1:8080/notify".into()))
                .validate()
                .is_ok()
        );
        // Empty means absent: nothing is sent.
        let r = order_with(|r| r.return_url = Some(String::new()));
        let p = signed_pay_params(&app(), &r, &clock()).unwrap();
        assert_eq!(p.get("return_url"), None);
    }

    #[test]
    fn bad_gateway_and_past_deadline_are_refused() {
        for g in [
            "openapi.alipay.com/gateway.do",
            "https://openapi.alipay.com/gateway.do?charset=utf-8",
        ] {
            let e = pay_link(g, &app(), &order(), &clock()).unwrap_err();
            assert!(
                matches!(
                    &e,
                    PayError::BadUrl {
                        field: "gateway",
                        ..
                    }
                ),
                "{g}: {e}"
            );
        }
        let r = order_with(|r| r.time_expire = Some("2026-11-24 10:00:00".into()));
        assert_eq!(
            signed_pay_params(&app(), &r, &clock()).unwrap_err(),
            PayError::TimeExpirePassed {
                value: "2026-11-24 10:00:00".into(),
                now: "2026-11-24 10:00:00".into()
            }
        );
        let r = order_with(|r| r.time_expire = Some("2026-11-24 10:00:01".into()));
        assert!(signed_pay_params(&app(), &r, &clock()).is_ok());
    }

    #[test]
    fn timestamp_is_beijing_time_of_the_clock() {
        let c = FixedClock::new("2026-11-24T18:30:05Z".parse().unwrap());
        let p = signed_pay_params(&app(), &order(), &c).unwrap();
        assert_eq!(p.get("timestamp"), Some("2026-11-25 02:30:05"));
    }
}
