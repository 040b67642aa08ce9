//! The response envelope, as Alipay writes it: `{"<method>_response":{...},"sign":"..."}`, fields
//! in Alipay's order (`code`, `msg` first), `/` escaped as `\/`, and the signature computed over
//! the exact escaped text of the response object in the request's charset.

use alipay::{PrivateKey, SignType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::protocol::{AlipayError, Charset};

/// An ordered JSON object (serde_json's map would sort the keys; Alipay's do not come sorted).
#[derive(Debug, Clone, Default)]
pub struct Obj(Vec<(String, Value)>);

impl Obj {
    pub fn success() -> Self {
        let mut o = Obj::default();
        o.put("code", "10000").put("msg", "Success");
        o
    }

    pub fn error(e: &AlipayError) -> Self {
        let mut o = Obj::default();
        o.put("code", e.code)
            .put("msg", e.msg)
            .put("sub_code", e.sub_code.as_str())
            .put("sub_msg", e.sub_msg.as_str());
        o
    }

    pub fn put(&mut self, k: &str, v: impl Into<Value>) -> &mut Self {
        self.0.push((k.to_string(), v.into()));
        self
    }

    pub fn put_opt(&mut self, k: &str, v: Option<impl Into<Value>>) -> &mut Self {
        if let Some(v) = v {
            self.put(k, v);
        }
        self
    }

    /// The JSON text with Alipay's `\/` escaping. `/` only ever occurs inside strings in JSON,
    /// so escaping every one of them is exact.
    pub fn to_alipay_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::String(k.clone()).to_string());
            out.push(':');
            out.push_str(&v.to_string());
        }
        out.push('}');
        out.replace('/', "\\/")
    }
}

/// `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The signed envelope as bytes in `charset`. `corrupt` flips the signature (fault injection):
/// still valid base64 of the right length, so only a real verification notices.
pub fn envelope(
    key: &str,
    obj: &Obj,
    alipay_key: &PrivateKey,
    sign_type: SignType,
    charset: Charset,
    corrupt: bool,
) -> Vec<u8> {
    let text = obj.to_alipay_json();
    let signed = charset.encode(&text);
    let sign = match alipay_key.sign(&signed, sign_type) {
        Ok(s) if corrupt => corrupt_signature(&s),
        Ok(s) => s,
        // Signing with our own freshly loaded key cannot fail short of a bug; an empty sign
        // then makes every client reject the answer instead of trusting it.
        Err(e) => {
            tracing::error!("signing a response failed: {e}");
            String::new()
        }
    };
    let body = format!(
        "{{{}:{text},\"sign\":{}}}",
        Value::String(key.to_string()),
        Value::String(sign).to_string().replace('/', "\\/")
    );
    charset.encode(&body)
}

fn corrupt_signature(sig: &str) -> String {
    match STANDARD.decode(sig) {
        Ok(mut bytes) if !bytes.is_empty() => {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x5a;
            STANDARD.encode(bytes)
        }
        _ => sig.chars().rev().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_slashes_and_keeps_order() {
        let mut o = Obj::success();
        o.put("bill_download_url", "http://127.0.0.1/x?a=1&b=2")
            .put("sub_msg", "验签出错");
        assert_eq!(
            o.to_alipay_json(),
            r#"{"code":"10000","msg":"Success","bill_download_url":"http:\/\/127.0.0.1\/x?a=1&b=2","sub_msg":"验签出错"}"#
        );
        // A backslash before a slash survives a JSON round trip.
        let mut o = Obj::default();
        o.put("p", "a\\/b");
        let back: Value = serde_json::from_str(&o.to_alipay_json()).unwrap();
        assert_eq!(back["p"], "a\\/b");
    }

    #[test]
    fn response_key_replaces_dots() {
        assert_eq!(
            response_key("alipay.trade.query"),
            "alipay_trade_query_response"
        );
    }
}
