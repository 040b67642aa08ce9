//! The key tool. Paths in, paths out: no private key material in any of these types.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum SignType {
    #[serde(rename = "RSA2")]
    Rsa2,
    #[serde(rename = "RSA")]
    Rsa,
}

impl From<SignType> for alipay::SignType {
    fn from(s: SignType) -> Self {
        match s {
            SignType::Rsa2 => alipay::SignType::Rsa2,
            SignType::Rsa => alipay::SignType::Rsa,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Private,
    Public,
    Certificate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyFormat {
    Pkcs1,
    Pkcs8,
    OneLine,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeysGenerated {
    pub public_one_line: String,
    pub fingerprint: String,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyInspection {
    pub kind: KeyKind,
    pub format: String,
    pub bits: u32,
    pub fingerprint: String,
    pub public_one_line: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyConvertResult {
    pub written: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyPairCheck {
    pub matches: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SignResult {
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SignatureCheck {
    pub valid: bool,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CertSn {
    pub sn: String,
    pub root_sn: Option<String>,
    pub subject: String,
    pub issuer: String,
}
