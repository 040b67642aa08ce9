//! What `gateway.do` checks before any method runs, in the order and with the codes Alipay uses:
//! request decoding (charset from the URL query), common parameters, then the signature.

use alipay::sign::{REQUEST_EXCLUDE, canonical_content};
use alipay::{PublicKey, SignType};
use chrono::{Duration, NaiveDateTime};
use percent_encoding::percent_decode;

/// The methods this gateway knows. Anything else is `isv.invalid-method`.
pub const PAGE_PAY: &str = "alipay.trade.page.pay";
pub const WAP_PAY: &str = "alipay.trade.wap.pay";
pub const QUERY: &str = "alipay.trade.query";
pub const REFUND: &str = "alipay.trade.refund";
pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
pub const CLOSE: &str = "alipay.trade.close";
pub const BILL: &str = "alipay.data.dataservice.bill.downloadurl.query";
pub const METHODS: &[&str] = &[PAGE_PAY, WAP_PAY, QUERY, REFUND, REFUND_QUERY, CLOSE, BILL];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Charset {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "gbk")]
    Gbk,
}

impl Charset {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" => Some(Charset::Utf8),
            "gbk" => Some(Charset::Gbk),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Gbk => "gbk",
        }
    }

    pub fn encoding(&self) -> &'static encoding_rs::Encoding {
        match self {
            Charset::Utf8 => encoding_rs::UTF_8,
            Charset::Gbk => encoding_rs::GBK,
        }
    }

    pub fn encode(&self, s: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => s.as_bytes().to_vec(),
            Charset::Gbk => encoding_rs::GBK.encode(s).0.into_owned(),
        }
    }

    pub fn decode(&self, b: &[u8]) -> String {
        self.encoding()
            .decode_without_bom_handling(b)
            .0
            .into_owned()
    }
}

/// `k=v&…` form-encoded in `charset` (`+` for spaces), as return URLs and notify bodies go out.
pub fn form_encode<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    charset: Charset,
) -> String {
    fn gbk(s: &str) -> std::borrow::Cow<'_, [u8]> {
        encoding_rs::GBK.encode(s).0
    }
    let mut ser = form_urlencoded::Serializer::new(String::new());
    if charset == Charset::Gbk {
        ser.encoding_override(Some(&gbk));
    }
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// An error answer: `code`/`msg` are Alipay's fixed pairs, `sub_code`/`sub_msg` the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayError {
    pub code: &'static str,
    pub msg: &'static str,
    pub sub_code: String,
    pub sub_msg: String,
}

impl AlipayError {
    pub fn missing(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        Self::new("40001", "Missing Required Arguments", sub_code, sub_msg)
    }
    pub fn invalid(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        Self::new("40002", "Invalid Arguments", sub_code, sub_msg)
    }
    pub fn business(sub_code: &str, sub_msg: impl Into<String>) -> Self {
        Self::new("40004", "Business Failed", sub_code, sub_msg)
    }
    pub fn system_error() -> Self {
        Self::new(
            "20000",
            "Service Currently Unavailable",
            "ACQ.SYSTEM_ERROR",
            "系统错误",
        )
    }
    /// 20000 `ACQ.SYSTEM_ERROR` "系统繁忙": what the gateway answers when it will not take the
    /// request now (a rate rule). The caller cannot tell it from any other 20000, so it must
    /// treat the outcome as unknown and resend the same request.
    pub fn system_busy(detail: impl Into<String>) -> Self {
        Self::new(
            "20000",
            "Service Currently Unavailable",
            "ACQ.SYSTEM_ERROR",
            format!("系统繁忙: {}", detail.into()),
        )
    }
    /// A business parameter that is missing or malformed (`ACQ.INVALID_PARAMETER`).
    pub fn bad_param(detail: impl Into<String>) -> Self {
        Self::business(
            "ACQ.INVALID_PARAMETER",
            format!("参数无效: {}", detail.into()),
        )
    }
    pub fn trade_not_exist() -> Self {
        Self::business("ACQ.TRADE_NOT_EXIST", "交易不存在")
    }
    fn new(
        code: &'static str,
        msg: &'static str,
        sub_code: &str,
        sub_msg: impl Into<String>,
    ) -> Self {
        AlipayError {
            code,
            msg,
            sub_code: sub_code.to_string(),
            sub_msg: sub_msg.into(),
        }
    }
}

impl std::fmt::Display for AlipayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.code, self.msg, self.sub_code, self.sub_msg
        )
    }
}

/// Parameters as received: URL query first, then the form body; the first of a repeated key
/// wins, as with a servlet's `getParameter`.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub pairs: Vec<(String, String)>,
    /// The charset the bytes were decoded with: the URL query's `charset`, else GBK, Alipay's
    /// historical default. That is why a POST with `charset` only in the body and CJK text in
    /// `biz_content` fails verification at the real gateway.
    pub decoded_as: Charset,
}

impl RawRequest {
    pub fn decode(query: Option<&str>, form_body: Option<&[u8]>) -> Self {
        let query_charset = query
            .and_then(|q| {
                split_pairs(q.as_bytes())
                    .find(|(k, _)| k == b"charset")
                    .map(|(_, v)| v)
            })
            .and_then(|v| Charset::parse(&String::from_utf8_lossy(&form_unescape(v))));
        let cs = query_charset.unwrap_or(Charset::Gbk);
        let mut pairs = Vec::new();
        for src in [query.map(str::as_bytes), form_body].into_iter().flatten() {
            for (k, v) in split_pairs(src) {
                pairs.push((cs.decode(&form_unescape(k)), cs.decode(&form_unescape(v))));
            }
        }
        RawRequest {
            pairs,
            decoded_as: cs,
        }
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(pk, _)| pk == k)
            .map(|(_, v)| v.as_str())
    }

    /// Present and not empty (Alipay treats an empty parameter as absent).
    pub fn value(&self, k: &str) -> Option<&str> {
        self.get(k).filter(|v| !v.is_empty())
    }

    /// The first value of every key, in arrival order.
    pub fn first_values(&self) -> Vec<(&str, &str)> {
        let mut seen = std::collections::HashSet::new();
        self.pairs
            .iter()
            .filter(|(k, _)| seen.insert(k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

fn split_pairs(src: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    src.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        })
}

/// Form rules: `+` is a space, then percent-decoding, to bytes (the charset decides the text).
fn form_unescape(s: &[u8]) -> Vec<u8> {
    let plus: Vec<u8> = s
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_decode(&plus).collect()
}

/// A request that passed every common check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub method: String,
    pub app_id: String,
    pub sign_type: SignType,
    pub charset: Charset,
    pub biz_content: Option<String>,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
}

/// Where a failed request is answered: `error_response` when the method itself is unusable,
/// else under the method's own key (what the Python SDK's docstring shows for invalid-app-id).
#[derive(Debug, Clone)]
pub struct Rejection {
    pub method: Option<String>,
    pub sign_type: SignType,
    pub charset: Charset,
    pub error: AlipayError,
}

/// The common checks, in Alipay's order. `app_key` looks up a registered app's public key.
pub fn check_common(
    req: &RawRequest,
    app_key: impl Fn(&str) -> Option<PublicKey>,
    now_beijing: NaiveDateTime,
    tolerance: Duration,
) -> Result<Checked, Box<Rejection>> {
    let sign_type_hint = req
        .value("sign_type")
        .and_then(|s| s.parse().ok())
        .unwrap_or(SignType::Rsa2);
    // Answer in the declared charset; an unusable one gets its error in UTF-8 so it is readable.
    let charset = match req.value("charset") {
        Some(v) => Charset::parse(v).unwrap_or(Charset::Utf8),
        None => req.decoded_as,
    };
    let reject = |method: Option<&str>, error: AlipayError| {
        Box::new(Rejection {
            method: method.map(str::to_string),
            sign_type: sign_type_hint,
            charset,
            error,
        })
    };

    let Some(method) = req.value("method") else {
        return Err(reject(
            None,
            AlipayError::missing("isv.missing-method", "缺少方法名参数"),
        ));
    };
    if !METHODS.contains(&method) {
        return Err(reject(
            None,
            AlipayError::invalid("isv.invalid-method", format!("不存在的方法名: {method}")),
        ));
    }
    let m = Some(method);
    let Some(app_id) = req.value("app_id") else {
        return Err(reject(
            m,
            AlipayError::missing("isv.missing-app-id", "缺少AppID参数"),
        ));
    };
    let Some(public_key) = app_key(app_id) else {
        return Err(reject(
            m,
            AlipayError::invalid("isv.invalid-app-id", "无效的AppID参数"),
        ));
    };
    if let Some(cs) = req.value("charset")
        && Charset::parse(cs).is_none()
    {
        return Err(reject(
            m,
            AlipayError::invalid(
                "isv.invalid-charset",
                format!("字符集错误: {cs} (utf-8 或 gbk)"),
            ),
        ));
    }
    let Some(sign) = req.value("sign") else {
        return Err(reject(
            m,
            AlipayError::missing("isv.missing-signature", "缺少签名参数"),
        ));
    };
    let Some(sign_type) = req.value("sign_type") else {
        return Err(reject(
            m,
            AlipayError::missing("isv.missing-signature-type", "缺少签名类型参数"),
        ));
    };
    let Ok(sign_type) = sign_type.parse::<SignType>() else {
        return Err(reject(
            m,
            AlipayError::invalid(
                "isv.invalid-signature-type",
                format!("无效的签名类型参数: {sign_type}"),
            ),
        ));
    };
    let Some(timestamp) = req.value("timestamp") else {
        return Err(reject(
            m,
            AlipayError::missing("isv.missing-timestamp", "缺少时间戳参数"),
        ));
    };
    match alipay::clock::parse_beijing(timestamp) {
        Some(t) if (t - now_beijing).abs() <= tolerance => {}
        Some(_) => {
            return Err(reject(
                m,
                AlipayError::invalid(
                    "isv.invalid-timestamp",
                    format!(
                        "非法的时间戳参数: {timestamp} 与网关时间 {} (GMT+8) 相差超过 {} 分钟",
                        now_beijing.format(alipay::clock::TIMESTAMP_FORMAT),
                        tolerance.num_minutes()
                    ),
                ),
            ));
        }
        None => {
            return Err(reject(
                m,
                AlipayError::invalid(
                    "isv.invalid-timestamp",
                    format!("非法的时间戳参数: {timestamp} (格式 yyyy-MM-dd HH:mm:ss)"),
                ),
            ));
        }
    }
    match req.value("version") {
        None => {
            return Err(reject(
                m,
                AlipayError::missing("isv.missing-version", "缺少版本参数"),
            ));
        }
        Some("1.0") => {}
        Some(v) => {
            return Err(reject(
                m,
                AlipayError::invalid("isv.invalid-version", format!("无效的版本参数: {v}")),
            ));
        }
    }
    if let Some(f) = req.value("format")
        && !f.eq_ignore_ascii_case("json")
    {
        return Err(reject(
            m,
            AlipayError::invalid("isv.invalid-format", format!("无效的数据格式: {f}")),
        ));
    }
    let content = canonical_content(req.first_values(), REQUEST_EXCLUDE);
    if public_key
        .verify(&charset.encode(&content), sign, sign_type)
        .is_err()
    {
        return Err(reject(
            m,
            AlipayError::invalid(
                "isv.invalid-signature",
                format!(
                    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}"
                ),
            ),
        ));
    }
    Ok(Checked {
        method: method.to_string(),
        app_id: app_id.to_string(),
        sign_type,
        charset,
        biz_content: req.value("biz_content").map(str::to_string),
        return_url: req.value("return_url").map(str::to_string),
        notify_url: req.value("notify_url").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_as_space_and_gbk_when_asked() {
        let r = RawRequest::decode(
            Some("charset=utf-8&timestamp=2022-07-12+12%3A50%3A02"),
            None,
        );
        assert_eq!(r.get("timestamp"), Some("2022-07-12 12:50:02"));
        // 中 in GBK is D6 D0.
        let r = RawRequest::decode(Some("charset=gbk"), Some(b"subject=%D6%D0"));
        assert_eq!(r.get("subject"), Some("中"));
        assert_eq!(r.decoded_as, Charset::Gbk);
    }

    #[test]
    fn charset_only_in_the_body_decodes_as_gbk() {
        let r = RawRequest::decode(
            Some("method=x"),
            Some("charset=utf-8&subject=%E4%B8%AD".as_bytes()),
        );
        assert_eq!(r.decoded_as, Charset::Gbk);
        assert_ne!(r.get("subject"), Some("中"));
    }

    #[test]
    fn first_value_wins() {
        let r = RawRequest::decode(Some("a=1&a=2&b="), None);
        assert_eq!(r.get("a"), Some("1"));
        assert_eq!(r.value("b"), None);
        assert_eq!(r.first_values(), vec![("a", "1"), ("b", "")]);
    }
}
