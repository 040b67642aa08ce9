//! Public-key certificate mode (公钥证书): the serial numbers (`app_cert_sn`,
//! `alipay_root_cert_sn`, `alipay_cert_sn`) that requests and responses carry, and Alipay's
//! public key taken from its certificate.
//!
//! A cert SN is the lowercase hex MD5 of the issuer DN in RFC 2253 form followed by the serial
//! number in decimal. The RFC 2253 string is rendered the way the Java SDK does it (through
//! `X500Principal.getName()`), because that is what Alipay's servers compute: RDNs in reverse
//! order of the encoding, no spaces, every attribute whatever their number (python-alipay-sdk
//! hard-codes four and gets other certificates wrong), and attributes without an RFC 2253
//! keyword (e.g. `emailAddress`) written as `OID=#hex-of-DER`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use rsa::pkcs8::DecodePublicKey;
use x509_parser::asn1_rs::{Any, Tag, ToDer};
use x509_parser::certificate::X509Certificate;
use x509_parser::num_bigint::BigUint;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::keys::{PrivateKey, PublicKey};
use crate::request::AppIdentity;

/// The OID arc of PKCS#1 signature algorithms (sha256WithRSAEncryption and friends). Roots signed
/// otherwise (SM2, ECDSA) are left out of `alipay_root_cert_sn`, as Alipay's SDKs do.
const RSA_SIGNATURE_ARC: &str = "1.2.840.113549.1.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// Where the input came from when the caller gave bytes rather than a file.
const CERT_SRC: &str = "the certificate";
const BUNDLE_SRC: &str = "the root certificate bundle";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("{src}: cannot read the certificate file: {msg}")]
    Io { src: String, msg: String },
    #[error("{src}: the file is empty: download the certificate again from the Alipay console")]
    Empty { src: String },
    #[error(
        "{src}: this is a {label}, not a certificate: in certificate mode give the .crt files the Alipay console issued (appCertPublicKey_*.crt, alipayCertPublicKey_RSA2.crt, alipayRootCert.crt)"
    )]
    KeyNotCertificate { src: String, label: String },
    #[error(
        "{src}: neither a PEM certificate (-----BEGIN CERTIFICATE-----) nor DER: give the .crt file as downloaded"
    )]
    NotPem { src: String },
    #[error(
        "{src}: certificate #{index} has no -----END CERTIFICATE----- line: the file was cut off, download it again"
    )]
    Unterminated { src: String, index: usize },
    #[error(
        "{src}: certificate #{index} is not valid base64 ({msg}): the file was damaged, download it again"
    )]
    BadBase64 {
        src: String,
        index: usize,
        msg: String,
    },
    #[error("{src}: certificate #{index} is not a valid X.509 certificate ({msg})")]
    Malformed {
        src: String,
        index: usize,
        msg: String,
    },
    #[error(
        "{src}: none of the {count} certificate(s) is RSA-signed, so there is no root SN for RSA2: use alipayRootCert.crt from the console (it holds the RSA roots)"
    )]
    NoRsaRoot { src: String, count: usize },
    #[error(
        "{src}: the certificate holds a {algorithm} key, not RSA: for RSA2 use alipayCertPublicKey_RSA2.crt"
    )]
    NotRsaKey { src: String, algorithm: String },
    #[error("{src}: the certificate's RSA public key cannot be read: {msg}")]
    BadPublicKey { src: String, msg: String },
    #[error(
        "the app certificate and the Alipay certificate are the same certificate ({sn}): the Alipay one is alipayCertPublicKey_RSA2.crt"
    )]
    SameCertificate { sn: String },
    #[error(
        "{src}: the app certificate does not hold the app private key's public key: the certificate belongs to another key pair (or another app)"
    )]
    AppKeyMismatch { src: String },
    #[error(
        "{src}: this is the app's own certificate where Alipay's is expected: the Alipay one is alipayCertPublicKey_RSA2.crt"
    )]
    OwnCertificate { src: String },
}

/// The SN of a certificate (`app_cert_sn`, `alipay_cert_sn`). Takes PEM or DER; of a PEM file
/// holding a chain (Alipay's public-key certificate comes with its intermediate CA) the first
/// certificate counts, as in the Java SDK.
pub fn cert_sn_from_pem(pem_or_der: &[u8]) -> Result<String, CertError> {
    first_cert_sn(pem_or_der, CERT_SRC)
}

/// `alipay_root_cert_sn`: the SNs of the RSA-signed certificates of the bundle, in file order,
/// joined by `_`. SM2 and ECDSA roots are skipped.
pub fn root_cert_sn(bundle_pem: &[u8]) -> Result<String, CertError> {
    bundle_sn(bundle_pem, BUNDLE_SRC)
}

/// Alipay's public key from its certificate (`alipayCertPublicKey_RSA2.crt`).
pub fn public_key_from_cert(pem_or_der: &[u8]) -> Result<PublicKey, CertError> {
    let ders = certificate_ders(pem_or_der, CERT_SRC)?;
    with_cert(&ders[0], CERT_SRC, 1, |c| rsa_public_key(c, CERT_SRC))
}

/// [`cert_sn_from_pem`] of a file; errors name the file.
pub fn cert_sn_from_file(path: &Path) -> Result<String, CertError> {
    let src = path.display().to_string();
    first_cert_sn(&read(path)?, &src)
}

/// [`root_cert_sn`] of a file; errors name the file.
pub fn root_cert_sn_from_file(path: &Path) -> Result<String, CertError> {
    let src = path.display().to_string();
    bundle_sn(&read(path)?, &src)
}

/// What one certificate contributes to its SN, for showing a tester why an SN is what it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
    pub subject: String,
    /// The issuer in the RFC 2253 form that is hashed.
    pub issuer: String,
    /// The serial number in decimal, as hashed.
    pub serial: String,
    pub sn: String,
    pub signature_algorithm: String,
    /// Whether the certificate counts towards a root SN.
    pub rsa_signed: bool,
}

/// Every certificate of a PEM file (or the one DER certificate) with its SN, in file order.
pub fn inspect(pem_or_der: &[u8]) -> Result<Vec<CertInfo>, CertError> {
    let ders = certificate_ders(pem_or_der, CERT_SRC)?;
    ders.iter()
        .enumerate()
        .map(|(i, der)| {
            with_cert(der, CERT_SRC, i + 1, |c| {
                Ok(CertInfo {
                    subject: rfc2253(c.subject()),
                    issuer: rfc2253(c.issuer()),
                    serial: serial_decimal(c.tbs_certificate.raw_serial()),
                    sn: cert_sn(c),
                    signature_algorithm: c.signature_algorithm.algorithm.to_id_string(),
                    rsa_signed: is_rsa_signed(c),
                })
            })
        })
        .collect()
}

/// Everything certificate mode needs, loaded from the three files the Alipay console hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertMode {
    pub app_cert_sn: String,
    pub alipay_root_cert_sn: String,
    /// What responses name in `alipay_cert_sn`; a different value means Alipay rotated its
    /// certificate and the new one must be downloaded.
    pub alipay_cert_sn: String,
    pub alipay_public_key: PublicKey,
    /// The app's public key from its certificate, to check it against the app private key.
    pub app_public_key: PublicKey,
}

impl CertMode {
    pub fn load(
        app_cert: &Path,
        alipay_cert: &Path,
        alipay_root_cert: &Path,
    ) -> Result<Self, CertError> {
        let app_src = app_cert.display().to_string();
        let alipay_src = alipay_cert.display().to_string();

        let app_ders = certificate_ders(&read(app_cert)?, &app_src)?;
        let (app_cert_sn, app_public_key) = with_cert(&app_ders[0], &app_src, 1, |c| {
            Ok((cert_sn(c), rsa_public_key(c, &app_src)?))
        })?;

        let alipay_ders = certificate_ders(&read(alipay_cert)?, &alipay_src)?;
        let (alipay_cert_sn, alipay_public_key) =
            with_cert(&alipay_ders[0], &alipay_src, 1, |c| {
                Ok((cert_sn(c), rsa_public_key(c, &alipay_src)?))
            })?;

        if app_cert_sn == alipay_cert_sn {
            return Err(CertError::SameCertificate { sn: app_cert_sn });
        }
        let alipay_root_cert_sn = root_cert_sn_from_file(alipay_root_cert)?;
        Ok(CertMode {
            app_cert_sn,
            alipay_root_cert_sn,
            alipay_cert_sn,
            alipay_public_key,
            app_public_key,
        })
    }

    /// Catches the two certificate-mode mistakes that otherwise show up only as
    /// `isv.invalid-signature` or failed verifications: an app certificate issued for another key,
    /// and the app certificate given where Alipay's is expected.
    pub fn check_app_key(&self, app_key: &PrivateKey, app_cert_src: &str) -> Result<(), CertError> {
        if !app_key.matches(&self.app_public_key) {
            return Err(CertError::AppKeyMismatch {
                src: app_cert_src.into(),
            });
        }
        if app_key.matches(&self.alipay_public_key) {
            return Err(CertError::OwnCertificate {
                src: app_cert_src.into(),
            });
        }
        Ok(())
    }

    /// The app identity with both signed certificate parameters set.
    pub fn apply(&self, mut app: AppIdentity) -> AppIdentity {
        app.app_cert_sn = Some(self.app_cert_sn.clone());
        app.alipay_root_cert_sn = Some(self.alipay_root_cert_sn.clone());
        app
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|e| CertError::Io {
        src: path.display().to_string(),
        msg: e.to_string(),
    })
}

fn first_cert_sn(data: &[u8], src: &str) -> Result<String, CertError> {
    let ders = certificate_ders(data, src)?;
    with_cert(&ders[0], src, 1, |c| Ok(cert_sn(c)))
}

fn bundle_sn(data: &[u8], src: &str) -> Result<String, CertError> {
    let ders = certificate_ders(data, src)?;
    let mut sns = Vec::new();
    for (i, der) in ders.iter().enumerate() {
        if let Some(sn) = with_cert(
            der,
            src,
            i + 1,
            |c| Ok(is_rsa_signed(c).then(|| cert_sn(c))),
        )? {
            sns.push(sn);
        }
    }
    if sns.is_empty() {
        return Err(CertError::NoRsaRoot {
            src: src.into(),
            count: ders.len(),
        });
    }
    Ok(sns.join("_"))
}

fn with_cert<T>(
    der: &[u8],
    src: &str,
    index: usize,
    f: impl FnOnce(&X509Certificate<'_>) -> Result<T, CertError>,
) -> Result<T, CertError> {
    // Trailing bytes are tolerated: `TRUSTED CERTIFICATE` blocks append OpenSSL's trust data.
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Malformed {
        src: src.into(),
        index,
        msg: e.to_string(),
    })?;
    f(&cert)
}

/// Splits PEM input on its BEGIN/END markers (never on blank lines, which real bundles lack or
/// carry with CRLF), or takes the input as one DER certificate.
fn certificate_ders(data: &[u8], src: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let text = String::from_utf8_lossy(data);
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(CertError::Empty { src: src.into() });
    }
    if !text.contains("-----BEGIN ") {
        // DER starts with a SEQUENCE tag; anything else is not a certificate file at all.
        if data.first() == Some(&0x30) {
            return Ok(vec![data.to_vec()]);
        }
        return Err(CertError::NotPem { src: src.into() });
    }

    let mut ders = Vec::new();
    let mut other_label = None;
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            return Err(CertError::NotPem { src: src.into() });
        };
        let label = &after[..label_end];
        let body_and_more = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let index = ders.len() + 1;
        let Some(body_end) = body_and_more.find(&end_marker) else {
            if is_certificate_label(label) {
                return Err(CertError::Unterminated {
                    src: src.into(),
                    index,
                });
            }
            other_label.get_or_insert_with(|| label.to_string());
            break;
        };
        if is_certificate_label(label) {
            let b64: String = body_and_more[..body_end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let der = STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| CertError::BadBase64 {
                    src: src.into(),
                    index,
                    msg: e.to_string(),
                })?;
            ders.push(der);
        } else {
            other_label.get_or_insert_with(|| label.to_string());
        }
        rest = &body_and_more[body_end + end_marker.len()..];
    }
    if ders.is_empty() {
        return Err(match other_label {
            Some(label) => CertError::KeyNotCertificate {
                src: src.into(),
                label,
            },
            None => CertError::NotPem { src: src.into() },
        });
    }
    Ok(ders)
}

fn is_certificate_label(label: &str) -> bool {
    matches!(
        label,
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
    )
}

fn is_rsa_signed(cert: &X509Certificate<'_>) -> bool {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    oid == RSA_SIGNATURE_ARC || oid.starts_with(&format!("{RSA_SIGNATURE_ARC}."))
}

fn rsa_public_key(cert: &X509Certificate<'_>, src: &str) -> Result<PublicKey, CertError> {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    if alg != RSA_ENCRYPTION {
        return Err(CertError::NotRsaKey {
            src: src.into(),
            algorithm: key_algorithm_name(&alg),
        });
    }
    let key =
        rsa::PublicKey::from_public_key_der(spki.raw).map_err(|e| CertError::BadPublicKey {
            src: src.into(),
            msg: e.to_string(),
        })?;
    Ok(PublicKey::from_rsa(key))
}

fn key_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "EC (ECDSA or SM2)".into(),
        "1.2.156.10197.1.301" => "SM2".into(),
        "1.3.101.112" => "Ed25519".into(),
        other => format!("non-RSA ({other})"),
    }
}

/// lowercase hex md5(issuer in RFC 2253 + serial in decimal).
fn cert_sn(cert: &X509Certificate<'_>) -> String {
    let mut s = rfc2253(cert.issuer());
    s.push_str(&serial_decimal(cert.tbs_certificate.raw_serial()));
    hex::encode(Md5::digest(s.as_bytes()))
}

/// The serial as Java's `BigInteger` prints it: DER INTEGERs are two's complement, and some CAs
/// issue serials with the top bit set and no leading zero, which Java reads as negative.
fn serial_decimal(raw: &[u8]) -> String {
    let magnitude = BigUint::from_bytes_be(raw);
    match raw.first() {
        Some(b) if b & 0x80 != 0 => {
            let modulus = BigUint::from(1u8) << (8 * raw.len());
            format!("-{}", modulus - magnitude)
        }
        _ => magnitude.to_string(),
    }
}

/// RFC 2253 as `X500Principal.getName()` renders it (see the module comment).
fn rfc2253(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    attribute(&oid, atv.attr_value())
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn rfc2253_keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn attribute(oid: &str, value: &Any<'_>) -> String {
    let text = match rfc2253_keyword(oid) {
        Some(keyword) => directory_string(value).map(|s| (keyword, s)),
        None => None,
    };
    match text {
        Some((keyword, s)) => format!("{keyword}={}", escape_value(&s)),
        // No keyword, or a value type without a string form: `#` and the hex of the DER value.
        None => {
            let der = value.to_der_vec().unwrap_or_else(|_| value.data.to_vec());
            let key = rfc2253_keyword(oid).unwrap_or(oid);
            format!("{key}=#{}", hex::encode(der))
        }
    }
}

/// The string types Java renders as text, decoded with the charset Java uses for each.
fn directory_string(value: &Any<'_>) -> Option<String> {
    let data = value.data;
    Some(match value.tag() {
        Tag::Utf8String => String::from_utf8_lossy(data).into_owned(),
        // 8-bit types are read as ISO-8859-1 so that every byte maps to one character.
        Tag::PrintableString | Tag::Ia5String | Tag::T61String | Tag::GeneralString => {
            data.iter().map(|&b| char::from(b)).collect()
        }
        Tag::BmpString => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => return None,
    })
}

/// Java's RFC 2253 escaping: a backslash before `, = + < > # ; " \` anywhere (RFC 2253 itself
/// needs `#` only in front, Java escapes it everywhere), NUL as `\00`, and leading or trailing
/// spaces (and CRs) escaped.
fn escape_value(s: &str) -> String {
    let mut escaped: Vec<char> = Vec::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            ',' | '=' | '+' | '<' | '>' | '#' | ';' | '"' | '\\' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\0' => escaped.extend(['\\', '0', '0']),
            _ => escaped.push(c),
        }
    }
    let is_ws = |c: &char| *c == ' ' || *c == '\r';
    let lead = escaped.iter().take_while(|c| is_ws(c)).count();
    let trail_start = escaped.len() - escaped.iter().rev().take_while(|c| is_ws(c)).count();
    let mut out = String::with_capacity(escaped.len() + 4);
    for (i, c) in escaped.iter().enumerate() {
        if i < lead || i >= trail_start {
            out.push('\\');
        }
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair,
        PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, SerialNumber,
    };

    use super::*;

    /// Two RSA keys are enough for every test: SNs depend on issuer and serial only.
    fn rsa_key(i: usize) -> &'static PrivateKey {
        static KEYS: [OnceLock<PrivateKey>; 2] = [const { OnceLock::new() }; 2];
        KEYS[i].get_or_init(|| PrivateKey::generate(2048).expect("RSA key generation"))
    }

    fn rcgen_rsa(i: usize) -> KeyPair {
        let pem = rsa_key(i).to_pkcs8_pem().expect("PKCS#8 export");
        KeyPair::from_pkcs8_pem_and_sign_algo(pem.expose(), &PKCS_RSA_SHA256)
            .expect("rcgen RSA key")
    }

    fn name(attrs: &[(DnType, DnValue)]) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        for (t, v) in attrs {
            dn.push(t.clone(), v.clone());
        }
        dn
    }

    fn utf8(attrs: &[(DnType, &str)]) -> Vec<(DnType, DnValue)> {
        attrs
            .iter()
            .map(|(t, v)| (t.clone(), DnValue::Utf8String((*v).into())))
            .collect()
    }

    /// A self-signed CA certificate: its issuer is the given name, in the given encoding order.
    fn self_signed(attrs: &[(DnType, DnValue)], serial: &[u8], key: &KeyPair) -> String {
        let mut p = CertificateParams::default();
        p.distinguished_name = name(attrs);
        p.serial_number = Some(SerialNumber::from_slice(serial));
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.self_signed(key).expect("self-signed certificate").pem()
    }

    /// Alipay's issuer layout: encoded C, O, OU, CN, rendered CN first.
    fn ant_r1() -> Vec<(DnType, DnValue)> {
        utf8(&[
            (DnType::CountryName, "CN"),
            (DnType::OrganizationName, "Ant Financial"),
            (DnType::OrganizationalUnitName, "Certification Authority"),
            (
                DnType::CommonName,
                "Ant Financial Certification Authority Class 1 R1",
            ),
        ])
    }

    const SERIAL_20_BYTES: [u8; 20] = [
        0x3c, 0x9e, 0x01, 0x7a, 0xd2, 0x44, 0x80, 0x19, 0x6f, 0xb3, 0x05, 0xe7, 0x21, 0x58, 0xaa,
        0x0d, 0x93, 0x6c, 0x42, 0xf1,
    ];

    #[test]
    fn four_attributes_reversed_without_spaces() {
        let pem = self_signed(&ant_r1(), &[0x01, 0x02, 0x03], &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.issuer,
            "CN=Ant Financial Certification Authority Class 1 R1,OU=Certification Authority,O=Ant Financial,C=CN"
        );
        assert_eq!(info.serial, "66051");
        // Golden value from Java's X500Principal.getName() + BigInteger, as the Java SDK hashes.
        assert_eq!(cert_sn_from_pem(pem.as_bytes()).unwrap(), GOLDEN_FOUR);
        assert_eq!(info.sn, GOLDEN_FOUR);
    }

    #[test]
    fn two_and_six_attributes_and_cjk() {
        let two = utf8(&[
            (DnType::CountryName, "CN"),
            (DnType::CommonName, "Paydesk Test Root"),
        ]);
        let pem = self_signed(&two, &[0x2a], &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(info.issuer, "CN=Paydesk Test Root,C=CN");
        assert_eq!(info.sn, GOLDEN_TWO);

        let six = utf8(&[
            (DnType::CountryName, "CN"),
            (DnType::StateOrProvinceName, "Zhejiang"),
            (DnType::LocalityName, "杭州"),
            (DnType::OrganizationName, "Luffycity 路飞学城"),
            (DnType::OrganizationalUnitName, "Finance"),
            (DnType::CommonName, "Paydesk Six"),
        ]);
        let pem = self_signed(&six, &[0x00, 0xff, 0x10], &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.issuer,
            "CN=Paydesk Six,OU=Finance,O=Luffycity 路飞学城,L=杭州,ST=Zhejiang,C=CN"
        );
        assert_eq!(info.serial, "65296");
        assert_eq!(info.sn, GOLDEN_SIX);
    }

    #[test]
    fn attribute_without_keyword_is_oid_and_der_hex() {
        let attrs = vec![
            (
                DnType::CountryName,
                DnValue::PrintableString("CN".try_into().unwrap()),
            ),
            (
                DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
                DnValue::Ia5String("ca@example.com".try_into().unwrap()),
            ),
            (DnType::CommonName, DnValue::Utf8String("Mail CA".into())),
        ];
        let pem = self_signed(&attrs, &[0x05], &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.issuer,
            "CN=Mail CA,1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d,C=CN"
        );
        assert_eq!(info.sn, GOLDEN_EMAIL);
    }

    #[test]
    fn special_characters_are_escaped_like_java() {
        let attrs = utf8(&[
            (
                DnType::OrganizationName,
                " Pay, Desk+Co; <x> \"q\" a=b #1\\ ",
            ),
            (DnType::CommonName, "#lead"),
        ]);
        let pem = self_signed(&attrs, &[0x07], &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.issuer,
            r#"CN=\#lead,O=\ Pay\, Desk\+Co\; \<x\> \"q\" a\=b \#1\\\ "#
        );
        assert_eq!(info.sn, GOLDEN_ESCAPED);
    }

    #[test]
    fn serials_beyond_64_bits_are_exact_decimals() {
        let pem = self_signed(&ant_r1(), &SERIAL_20_BYTES, &rcgen_rsa(0));
        let info = &inspect(pem.as_bytes()).unwrap()[0];
        assert_eq!(
            info.serial,
            "346063092897026459490005758856834618556553118449"
        );
        assert_eq!(info.sn, GOLDEN_BIG_SERIAL);
        // The iTrusChina root's serial, a public fact quoted in ALIPAY.md's test data notes.
        let itrus =
            BigUint::parse_bytes(b"95790491425698859646659490580052089075020051350", 10).unwrap();
        let pem = self_signed(&ant_r1(), &itrus.to_bytes_be(), &rcgen_rsa(0));
        assert_eq!(
            inspect(pem.as_bytes()).unwrap()[0].serial,
            "95790491425698859646659490580052089075020051350"
        );
    }

    #[test]
    fn serial_sign_follows_java_biginteger() {
        assert_eq!(serial_decimal(&[0x00, 0x80]), "128");
        assert_eq!(serial_decimal(&[0x80]), "-128");
        assert_eq!(serial_decimal(&[0xff, 0xff]), "-1");
        assert_eq!(serial_decimal(&[0x00]), "0");
        assert_eq!(
            serial_decimal(&[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            "18446744073709551616"
        );
    }

    #[test]
    fn der_input_gives_the_same_sn() {
        let pem = self_signed(&ant_r1(), &[0x09], &rcgen_rsa(0));
        let der = &certificate_ders(pem.as_bytes(), "t").unwrap()[0];
        assert_eq!(
            cert_sn_from_pem(der).unwrap(),
            cert_sn_from_pem(pem.as_bytes()).unwrap()
        );
    }

    fn ecdsa_root() -> String {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        self_signed(
            &utf8(&[(
                DnType::CommonName,
                "Ant Financial Certification Authority E1",
            )]),
            &[0x0e],
            &key,
        )
    }

    #[test]
    fn root_bundle_keeps_rsa_roots_in_order_whatever_the_layout() {
        let r1 = self_signed(&ant_r1(), &SERIAL_20_BYTES, &rcgen_rsa(0));
        let two = utf8(&[
            (DnType::CountryName, "CN"),
            (DnType::CommonName, "Paydesk Test Root"),
        ]);
        let r2 = self_signed(&two, &[0x2a], &rcgen_rsa(1));
        let e1 = ecdsa_root();
        let want = format!("{GOLDEN_BIG_SERIAL}_{GOLDEN_TWO}");

        let blank_lines = format!("{r1}\n\n{e1}\n\n{r2}\n");
        let packed = format!("{}{}{}", r1.trim_end(), e1.trim_end(), r2.trim_end());
        let crlf = blank_lines.replace('\n', "\r\n");
        let with_text = format!("Subject: test\n{r1}issuer=x\n{e1}\n# note\n{r2}");
        for bundle in [blank_lines, packed, crlf, with_text] {
            assert_eq!(root_cert_sn(bundle.as_bytes()).unwrap(), want, "{bundle:?}");
        }
        let infos = inspect(format!("{r1}{e1}{r2}").as_bytes()).unwrap();
        assert_eq!(
            infos.iter().map(|i| i.rsa_signed).collect::<Vec<_>>(),
            [true, false, true]
        );
        assert_eq!(infos[1].signature_algorithm, "1.2.840.10045.4.3.2");
    }

    #[test]
    fn bundle_without_rsa_roots_is_an_error() {
        let e = root_cert_sn(ecdsa_root().as_bytes()).unwrap_err();
        assert_eq!(
            e,
            CertError::NoRsaRoot {
                src: BUNDLE_SRC.into(),
                count: 1
            }
        );
        assert!(e.to_string().contains("alipayRootCert.crt"));
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let pem = self_signed(&ant_r1(), &[0x01], &rcgen_rsa(0));
        let src = || CERT_SRC.to_string();
        assert_eq!(cert_sn_from_pem(b""), Err(CertError::Empty { src: src() }));
        assert_eq!(
            cert_sn_from_pem(b" \r\n"),
            Err(CertError::Empty { src: src() })
        );
        assert_eq!(
            cert_sn_from_pem(b"hello world"),
            Err(CertError::NotPem { src: src() })
        );
        assert_eq!(
            cert_sn_from_pem(rsa_key(0).public_key().to_pem().as_bytes()),
            Err(CertError::KeyNotCertificate {
                src: src(),
                label: "PUBLIC KEY".into()
            })
        );
        let cut = &pem[..pem.len() / 2];
        assert_eq!(
            cert_sn_from_pem(cut.as_bytes()),
            Err(CertError::Unterminated {
                src: src(),
                index: 1
            })
        );
        let damaged = pem.replacen("MII", "M!I", 1);
        assert!(matches!(
            cert_sn_from_pem(damaged.as_bytes()),
            Err(CertError::BadBase64 { index: 1, .. })
        ));
        let not_x509 = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            cert_sn_from_pem(not_x509.as_bytes()),
            Err(CertError::Malformed { index: 1, .. })
        ));
        // A bad second certificate in a bundle is reported with its position.
        let bundle = format!("{pem}{not_x509}");
        assert!(matches!(
            root_cert_sn(bundle.as_bytes()),
            Err(CertError::Malformed { index: 2, .. })
        ));
        // DER that is not a certificate.
        assert!(matches!(
            cert_sn_from_pem(&[0x30, 0x03, 0x02, 0x01, 0x01]),
            Err(CertError::Malformed { index: 1, .. })
        ));
    }

    #[test]
    fn public_key_comes_from_the_certificate() {
        let pem = self_signed(&ant_r1(), &[0x01], &rcgen_rsa(1));
        let key = public_key_from_cert(pem.as_bytes()).unwrap();
        assert_eq!(&key, rsa_key(1).public_key());
        let sig = rsa_key(1).sign(b"a=1", crate::SignType::Rsa2).unwrap();
        key.verify(b"a=1", &sig, crate::SignType::Rsa2).unwrap();

        let e = public_key_from_cert(ecdsa_root().as_bytes()).unwrap_err();
        assert!(matches!(e, CertError::NotRsaKey { .. }), "{e}");
        assert!(e.to_string().contains("EC"), "{e}");
    }

    /// A leaf issued by a CA, as the console issues app and Alipay certificates.
    fn leaf(
        cn: &str,
        serial: &[u8],
        leaf_key: &KeyPair,
        ca_attrs: &[(DnType, DnValue)],
        ca_key: &KeyPair,
    ) -> String {
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name(ca_attrs);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let mut p = CertificateParams::default();
        p.distinguished_name = name(&utf8(&[(DnType::CommonName, cn)]));
        p.serial_number = Some(SerialNumber::from_slice(serial));
        p.signed_by(leaf_key, &issuer)
            .expect("leaf certificate")
            .pem()
    }

    #[test]
    fn cert_mode_loads_the_three_files() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ant_r1();
        let ca_key = rcgen_rsa(0);
        let app_pem = leaf("2021000000000001", &[0x11], &rcgen_rsa(0), &ca, &ca_key);
        let alipay_pem = leaf(
            "支付宝(杭州)信息技术有限公司",
            &SERIAL_20_BYTES,
            &rcgen_rsa(1),
            &ca,
            &ca_key,
        );
        let root_pem = format!(
            "{}{}",
            ecdsa_root(),
            self_signed(&ca, &[0x01, 0x02, 0x03], &ca_key)
        );
        let paths = ["app.crt", "alipay.crt", "root.crt"].map(|f| dir.path().join(f));
        for (p, text) in paths.iter().zip([&app_pem, &alipay_pem, &root_pem]) {
            std::fs::write(p, text).unwrap();
        }
        let m = CertMode::load(&paths[0], &paths[1], &paths[2]).unwrap();
        assert_eq!(m.app_cert_sn, cert_sn_from_pem(app_pem.as_bytes()).unwrap());
        assert_eq!(m.alipay_cert_sn, GOLDEN_BIG_SERIAL);
        assert_eq!(m.alipay_root_cert_sn, GOLDEN_FOUR);
        assert_eq!(&m.alipay_public_key, rsa_key(1).public_key());
        m.check_app_key(rsa_key(0), "app.crt").unwrap();
        assert!(matches!(
            m.check_app_key(rsa_key(1), "app.crt"),
            Err(CertError::AppKeyMismatch { .. })
        ));

        let app = m.apply(AppIdentity::new(
            "2021000000000001",
            std::sync::Arc::new(rsa_key(0).clone()),
        ));
        assert_eq!(app.app_cert_sn.as_deref(), Some(m.app_cert_sn.as_str()));
        assert_eq!(app.alipay_root_cert_sn.as_deref(), Some(GOLDEN_FOUR));

        // Errors name the file at fault.
        let missing = dir.path().join("nope.crt");
        let e = CertMode::load(&paths[0], &missing, &paths[2]).unwrap_err();
        assert!(
            matches!(&e, CertError::Io { src, .. } if src.contains("nope.crt")),
            "{e}"
        );
        std::fs::write(&paths[2], rsa_key(0).public_key().to_pem()).unwrap();
        let e = CertMode::load(&paths[0], &paths[1], &paths[2]).unwrap_err();
        assert!(
            matches!(&e, CertError::KeyNotCertificate { src, .. } if src.ends_with("root.crt")),
            "{e}"
        );
        let e = CertMode::load(&paths[0], &paths[0], &paths[2]).unwrap_err();
        assert!(matches!(e, CertError::SameCertificate { .. }), "{e}");
    }

    const GOLDEN_FOUR: &str = "bc09ba203404a06848dbde07f4b0ab0f";
    const GOLDEN_TWO: &str = "584834fcce7f49d3f16d2c1469e316f3";
    const GOLDEN_SIX: &str = "b1fc83ea4ed8549e0851d355f557f9b6";
    const GOLDEN_EMAIL: &str = "e3d32bceccbb56316bb1d263e3864625";
    const GOLDEN_ESCAPED: &str = "9a37093b13f2bfd29c9f26d141074619";
    const GOLDEN_BIG_SERIAL: &str = "f2a2ccc0055f1f80ac523fd3c57f6231";
}
