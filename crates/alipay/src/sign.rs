//! Request signing and signature verification (RSA2 = SHA256withRSA, legacy RSA = SHA1withRSA,
//! both PKCS#1 v1.5), over Alipay's canonical content string.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `sign_type`. Only these two exist for the v2 gateway with RSA keys.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum SignType {
    #[default]
    #[serde(rename = "RSA2")]
    Rsa2,
    #[serde(rename = "RSA")]
    Rsa,
}

impl SignType {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignType::Rsa2 => "RSA2",
            SignType::Rsa => "RSA",
        }
    }
}

impl fmt::Display for SignType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignType {
    type Err = SignError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RSA2" => Ok(SignType::Rsa2),
            "RSA" => Ok(SignType::Rsa),
            other => Err(SignError::UnknownSignType(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "unknown sign_type {0:?}: Alipay uses RSA2 (SHA256withRSA) or the legacy RSA (SHA1withRSA)"
    )]
    UnknownSignType(String),
    #[error(
        "the signature is not valid base64 ({0}); it may have been cut, or '+' turned into a space by a decoder"
    )]
    BadBase64(String),
    #[error(
        "the signature is {got} bytes, a {bits}-bit key makes {want}-byte signatures: it was cut or belongs to another key"
    )]
    WrongLength {
        got: usize,
        want: usize,
        bits: usize,
    },
    #[error(
        "the signature does not match the content: a field was changed, or it was signed with another key"
    )]
    Mismatch,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Alipay's canonical content: every pair whose key is not in `exclude` and whose value is not
/// empty, sorted by key in byte order, joined raw (no URL encoding) as `k=v&k=v`.
///
/// Duplicate keys are not resolved here: callers that take untrusted input reject them first.
pub fn canonical_content<'a, I>(pairs: I, exclude: &[&str]) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut kept: Vec<(&str, &str)> = pairs
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && !exclude.contains(k))
        .collect();
    // `str` ordering is byte order, which is what Alipay's servers (Java `TreeMap` over ASCII keys)
    // and both SDKs use. Stable sort keeps duplicates in arrival order.
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::with_capacity(kept.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    for (i, (k, v)) in kept.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The exclusion for requests we sign: everything but `sign` (`sign_type` IS signed).
pub const REQUEST_EXCLUDE: &[&str] = &["sign"];
/// The exclusion for what Alipay sends us (return URL, notify): `sign` and `sign_type`.
pub const CALLBACK_EXCLUDE: &[&str] = &["sign", "sign_type"];

pub(crate) fn encode_signature(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn decode_signature(sig: &str) -> Result<Vec<u8>, SignError> {
    // Signatures arrive with line breaks from some tools; whitespace is never part of base64.
    if sig.trim().contains(' ') {
        // A space inside usually means a '+' was decoded as a space once too often.
        return Err(SignError::BadBase64(
            "it contains spaces where base64 has '+'".to_string(),
        ));
    }
    let compact: String = sig.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| SignError::BadBase64(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_drops_empties_and_excludes() {
        let pairs = [
            ("sign_type", "RSA2"),
            ("app_id", "2016"),
            ("sign", "xxx"),
            ("notify_url", ""),
            ("biz_content", "{\"a\":\"b&c=d\"}"),
        ];
        assert_eq!(
            canonical_content(pairs, REQUEST_EXCLUDE),
            "app_id=2016&biz_content={\"a\":\"b&c=d\"}&sign_type=RSA2"
        );
        assert_eq!(
            canonical_content(pairs, CALLBACK_EXCLUDE),
            "app_id=2016&biz_content={\"a\":\"b&c=d\"}"
        );
    }

    #[test]
    fn byte_order_puts_uppercase_and_underscore_correctly() {
        let pairs = [("a_b", "1"), ("aB", "2"), ("ab", "3"), ("A", "4")];
        assert_eq!(canonical_content(pairs, &[]), "A=4&aB=2&a_b=1&ab=3");
    }

    #[test]
    fn sign_type_parses_exactly() {
        assert_eq!("RSA2".parse::<SignType>(), Ok(SignType::Rsa2));
        assert!(matches!(
            "rsa2".parse::<SignType>(),
            Err(SignError::UnknownSignType(_))
        ));
        assert!(matches!(
            "SM2".parse::<SignType>(),
            Err(SignError::UnknownSignType(_))
        ));
    }
}
