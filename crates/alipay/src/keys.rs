//! RSA keys as Alipay hands them out: PKCS#1 or PKCS#8 PEM, or the one-line base64 of the console
//! and the key tool (which defaults to PKCS#8 for the private key), with or without armor, CRLF
//! or stray spaces. Private keys never appear in `Debug` and are only written out on request.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::sha2::{Digest, Sha256};
use rsa::traits::PublicKeyParts;

use crate::sign::{SignError, SignType, decode_signature, encode_signature};
use crate::verifier::FastVerifier;

/// What a key file was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFormat {
    Pkcs1Pem,
    Pkcs8Pem,
    Pkcs1Base64,
    Pkcs8Base64,
    SpkiPem,
    SpkiBase64,
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyFormat::Pkcs1Pem => "PKCS#1 PEM",
            KeyFormat::Pkcs8Pem => "PKCS#8 PEM",
            KeyFormat::Pkcs1Base64 => "PKCS#1 one-line base64",
            KeyFormat::Pkcs8Base64 => "PKCS#8 one-line base64",
            KeyFormat::SpkiPem => "SPKI (X.509 public key) PEM",
            KeyFormat::SpkiBase64 => "SPKI one-line base64",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{src}: cannot read the key file: {msg}")]
    Io { src: String, msg: String },
    #[error("{src}: the file is empty: paste the key from the Alipay console or the key tool")]
    Empty { src: String },
    #[error(
        "{src}: this is a public key where the app PRIVATE key is expected: use the private key the key tool generated (应用私钥)"
    )]
    PublicWherePrivate { src: String },
    #[error(
        "{src}: this is a private key where a PUBLIC key is expected: use Alipay's public key (支付宝公钥) from the console"
    )]
    PrivateWherePublic { src: String },
    #[error(
        "{src}: the private key is encrypted: export it unencrypted (e.g. `openssl pkey -in KEY -out plain.pem`)"
    )]
    Encrypted { src: String },
    #[error(
        "{src}: this is a certificate, not a key: give it as a certificate (cert mode) or extract the key"
    )]
    CertificateNotKey { src: String },
    #[error("{src}: not base64 ({msg}): copy the key again as one line, without other text")]
    NotBase64 { src: String, msg: String },
    #[error(
        "{src}: the key is truncated ({got} of {want} bytes): the copy was cut off, copy the whole key again"
    )]
    Truncated {
        src: String,
        got: usize,
        want: usize,
    },
    #[error("{src}: not an RSA key in PKCS#1, PKCS#8 or SPKI form ({msg})")]
    Malformed { src: String, msg: String },
    #[error(
        "{src}: a {bits}-bit key is too small for RSA2: Alipay requires 2048-bit keys (generate a new pair)"
    )]
    TooSmall { src: String, bits: usize },
    #[error(
        "the configured Alipay public key is your app's own public key, not Alipay's: in the console copy 支付宝公钥 (Alipay public key), not 应用公钥"
    )]
    OwnPublicKey,
    #[error("the private key and the public key are not a pair")]
    PairMismatch,
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// The app's (or, in the simulator, "Alipay's") RSA private key. Never printed.
#[derive(Clone)]
pub struct PrivateKey {
    inner: rsa::PrivateKey,
    public: PublicKey,
    format: KeyFormat,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("public_fingerprint", &self.public.fingerprint())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An RSA public key: Alipay's (to verify what it sends) or the app's (to show or pair-check).
#[derive(Clone)]
pub struct PublicKey {
    inner: rsa::PublicKey,
    format: KeyFormat,
    /// The assembly-fast verification path (verifier.rs); `inner` stays the key of record.
    fast: FastVerifier,
}

/// Equal when the key is the same, whatever file format it was read from: the same key as a
/// PEM file and as the console's one-line base64 must compare equal (own-key checks rely on it).
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

enum Armor<'a> {
    Pem { label: &'a str, body: String },
    Bare(String),
}

fn unarmor(text: &str) -> Armor<'_> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if let Some(rest) = t.strip_prefix("-----BEGIN ")
        && let Some(end) = rest.find("-----")
    {
        let label = &rest[..end];
        let after = &rest[end + 5..];
        let body_end = after.find("-----END").unwrap_or(after.len());
        let body: String = after[..body_end]
            .lines()
            // PEM headers such as `Proc-Type:` belong to encrypted legacy keys.
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        return Armor::Pem { label, body };
    }
    Armor::Bare(t.chars().filter(|c| !c.is_whitespace()).collect())
}

fn b64(src: &str, body: &str) -> Result<Vec<u8>, KeyError> {
    if body.is_empty() {
        return Err(KeyError::Empty { src: src.into() });
    }
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| KeyError::NotBase64 {
            src: src.into(),
            msg: e.to_string(),
        })
}

/// When DER fails to parse, tell a cut-off copy apart from garbage: the outer SEQUENCE header
/// says how long the whole thing should be.
fn der_failure(src: &str, der: &[u8], msg: String) -> KeyError {
    if der.len() >= 2 && der[0] == 0x30 {
        let declared = match der[1] {
            n if n < 0x80 => Some(2 + n as usize),
            0x81 if der.len() >= 3 => Some(3 + der[2] as usize),
            0x82 if der.len() >= 4 => Some(4 + ((der[2] as usize) << 8 | der[3] as usize)),
            0x83 if der.len() >= 5 => {
                Some(5 + ((der[2] as usize) << 16 | (der[3] as usize) << 8 | der[4] as usize))
            }
            _ => None,
        };
        if let Some(want) = declared
            && want > der.len()
        {
            return KeyError::Truncated {
                src: src.into(),
                got: der.len(),
                want,
            };
        }
    }
    KeyError::Malformed {
        src: src.into(),
        msg,
    }
}

fn is_public_der(der: &[u8]) -> bool {
    rsa::PublicKey::from_public_key_der(der).is_ok() || rsa::PublicKey::from_pkcs1_der(der).is_ok()
}

fn is_private_der(der: &[u8]) -> bool {
    rsa::PrivateKey::from_pkcs8_der(der).is_ok() || rsa::PrivateKey::from_pkcs1_der(der).is_ok()
}

fn read_file(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|e| KeyError::Io {
        src: path.display().to_string(),
        msg: e.to_string(),
    })
}

impl PrivateKey {
    /// Parses a private key. `src` names where it came from, for error messages.
    pub fn parse(text: &str, src: &str) -> Result<Self, KeyError> {
        let (der, pem_label) = match unarmor(text) {
            Armor::Pem { label, body } => {
                match label {
                    "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                        return Err(KeyError::PublicWherePrivate { src: src.into() });
                    }
                    "ENCRYPTED PRIVATE KEY" => {
                        return Err(KeyError::Encrypted { src: src.into() });
                    }
                    "CERTIFICATE" => {
                        return Err(KeyError::CertificateNotKey { src: src.into() });
                    }
                    _ => {}
                }
                if text.contains("Proc-Type: 4,ENCRYPTED") {
                    return Err(KeyError::Encrypted { src: src.into() });
                }
                (b64(src, &body)?, Some(label.to_string()))
            }
            Armor::Bare(body) => (b64(src, &body)?, None),
        };
        let pem = pem_label.is_some();
        // The key tool's default is PKCS#8, so try that first, then PKCS#1, whatever the label
        // says: hand-edited files often carry the other label.
        let (inner, format) = match rsa::PrivateKey::from_pkcs8_der(&der) {
            Ok(k) => (
                k,
                if pem {
                    KeyFormat::Pkcs8Pem
                } else {
                    KeyFormat::Pkcs8Base64
                },
            ),
            Err(e8) => match rsa::PrivateKey::from_pkcs1_der(&der) {
                Ok(k) => (
                    k,
                    if pem {
                        KeyFormat::Pkcs1Pem
                    } else {
                        KeyFormat::Pkcs1Base64
                    },
                ),
                Err(e1) => {
                    if is_public_der(&der) {
                        return Err(KeyError::PublicWherePrivate { src: src.into() });
                    }
                    return Err(der_failure(
                        src,
                        &der,
                        format!("PKCS#8: {e8}; PKCS#1: {e1}"),
                    ));
                }
            },
        };
        let public = PublicKey::new(inner.to_public_key(), KeyFormat::SpkiBase64);
        Ok(PrivateKey {
            inner,
            public,
            format,
        })
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        Self::parse(&read_file(path)?, &path.display().to_string())
    }

    /// A new 2048-bit (or larger) key pair with e = 65537.
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        let mut rng = rand::rng();
        let inner =
            rsa::PrivateKey::new(&mut rng, bits).map_err(|e| KeyError::Generate(e.to_string()))?;
        let public = PublicKey::new(inner.to_public_key(), KeyFormat::SpkiBase64);
        Ok(PrivateKey {
            inner,
            public,
            format: KeyFormat::Pkcs8Pem,
        })
    }

    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    pub fn format(&self) -> KeyFormat {
        self.format
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Refuses keys too small for the sign type (Alipay requires 2048 bits for RSA2).
    pub fn check_for(&self, sign_type: SignType, src: &str) -> Result<(), KeyError> {
        if sign_type == SignType::Rsa2 && self.bits() < 2048 {
            return Err(KeyError::TooSmall {
                src: src.into(),
                bits: self.bits(),
            });
        }
        Ok(())
    }

    /// Signs `content` (the canonical string) and returns standard base64 with padding.
    ///
    /// The private-key operation is constant-time (rsa 0.10 works on crypto-bigint; 0.9 carried
    /// the Marvin timing advisory RUSTSEC-2023-0071) and is also blinded. The blinding RNG is
    /// passed explicitly rather than left to rsa's `getrandom` default feature, so that turning
    /// off default features can never silently sign unblinded. Blinding does not change the
    /// signature: PKCS#1 v1.5 stays deterministic.
    pub fn sign(&self, content: &[u8], sign_type: SignType) -> Result<String, SignError> {
        let mut rng = rand::rng();
        let sig = match sign_type {
            SignType::Rsa2 => self
                .inner
                .pkcs1v15_sign_with_rng::<Sha256, _>(&mut rng, content),
            SignType::Rsa => self
                .inner
                .pkcs1v15_sign_with_rng::<sha1::Sha1, _>(&mut rng, content),
        }
        .map_err(|e| SignError::Signing(e.to_string()))?;
        Ok(encode_signature(&sig))
    }

    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public.inner == public.inner
    }

    /// PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), what python-alipay-sdk's docs show. Secret: write it
    /// to a file, never to a log.
    pub fn to_pkcs1_pem(&self) -> Result<zeroizing::Secret, KeyError> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map(|s| zeroizing::Secret(s.to_string()))
            .map_err(|e| KeyError::Generate(e.to_string()))
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), the key tool's default.
    pub fn to_pkcs8_pem(&self) -> Result<zeroizing::Secret, KeyError> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map(|s| zeroizing::Secret(s.to_string()))
            .map_err(|e| KeyError::Generate(e.to_string()))
    }

    /// PKCS#8 DER in one line of base64, as the key tool hands it out.
    pub fn to_pkcs8_base64(&self) -> Result<zeroizing::Secret, KeyError> {
        self.inner
            .to_pkcs8_der()
            .map(|d| zeroizing::Secret(STANDARD.encode(d.as_bytes())))
            .map_err(|e| KeyError::Generate(e.to_string()))
    }
}

impl PublicKey {
    pub fn parse(text: &str, src: &str) -> Result<Self, KeyError> {
        let (der, pem) = match unarmor(text) {
            Armor::Pem { label, body } => {
                if label.contains("PRIVATE KEY") {
                    return Err(KeyError::PrivateWherePublic { src: src.into() });
                }
                if label == "CERTIFICATE" {
                    return Err(KeyError::CertificateNotKey { src: src.into() });
                }
                (b64(src, &body)?, true)
            }
            Armor::Bare(body) => (b64(src, &body)?, false),
        };
        let (inner, format) = match rsa::PublicKey::from_public_key_der(&der) {
            Ok(k) => (
                k,
                if pem {
                    KeyFormat::SpkiPem
                } else {
                    KeyFormat::SpkiBase64
                },
            ),
            Err(es) => match rsa::PublicKey::from_pkcs1_der(&der) {
                Ok(k) => (
                    k,
                    if pem {
                        KeyFormat::Pkcs1Pem
                    } else {
                        KeyFormat::Pkcs1Base64
                    },
                ),
                Err(e1) => {
                    if is_private_der(&der) {
                        return Err(KeyError::PrivateWherePublic { src: src.into() });
                    }
                    return Err(der_failure(src, &der, format!("SPKI: {es}; PKCS#1: {e1}")));
                }
            },
        };
        Ok(PublicKey::new(inner, format))
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        Self::parse(&read_file(path)?, &path.display().to_string())
    }

    pub(crate) fn from_rsa(inner: rsa::PublicKey) -> Self {
        PublicKey::new(inner, KeyFormat::SpkiBase64)
    }

    fn new(inner: rsa::PublicKey, format: KeyFormat) -> Self {
        PublicKey {
            inner,
            format,
            fast: FastVerifier::default(),
        }
    }

    pub fn bits(&self) -> usize {
        self.inner.n().bit_width() as usize
    }

    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// Verifies a base64 signature over `content`.
    pub fn verify(
        &self,
        content: &[u8],
        signature_b64: &str,
        sign_type: SignType,
    ) -> Result<(), SignError> {
        let sig = decode_signature(signature_b64)?;
        let want = self.inner.size();
        if sig.len() != want {
            return Err(SignError::WrongLength {
                got: sig.len(),
                want,
                bits: self.bits(),
            });
        }
        let fast = self
            .fast
            .verify(|| self.to_spki_der(), self.bits(), sign_type, content, &sig);
        let ok = match fast {
            Some(ok) => ok,
            None => self.verify_portable(content, &sig, sign_type),
        };
        if ok { Ok(()) } else { Err(SignError::Mismatch) }
    }

    /// The pure-Rust check, for keys the fast path does not take (and to cross-check it in tests).
    pub(crate) fn verify_portable(&self, content: &[u8], sig: &[u8], sign_type: SignType) -> bool {
        match sign_type {
            SignType::Rsa2 => self.inner.pkcs1v15_verify::<Sha256>(content, sig),
            SignType::Rsa => self.inner.pkcs1v15_verify::<sha1::Sha1>(content, sig),
        }
        .is_ok()
    }

    pub fn to_spki_der(&self) -> Vec<u8> {
        self.inner
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// SPKI PEM (`BEGIN PUBLIC KEY`).
    pub fn to_pem(&self) -> String {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The one-line base64 to paste into the Alipay console (应用公钥).
    pub fn to_one_line(&self) -> String {
        STANDARD.encode(self.to_spki_der())
    }

    /// SHA-256 of the SPKI DER, colon-separated hex: safe to show anywhere.
    pub fn fingerprint(&self) -> String {
        let d = Sha256::digest(self.to_spki_der());
        d.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Refuses an "Alipay public key" that is really the app's own: the most common reason why
/// every verification fails.
pub fn check_alipay_public_key(app: &PrivateKey, alipay: &PublicKey) -> Result<(), KeyError> {
    if app.matches(alipay) {
        return Err(KeyError::OwnPublicKey);
    }
    Ok(())
}

/// Where a generated pair was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WrittenPair {
    pub pkcs1_pem: PathBuf,
    pub pkcs8_pem: PathBuf,
    pub public_pem: PathBuf,
    pub public_one_line: PathBuf,
}

/// Writes a pair as the key tool would, private files readable by the owner only.
pub fn write_pair(key: &PrivateKey, dir: &Path) -> Result<WrittenPair, KeyError> {
    let io = |p: &Path, e: std::io::Error| KeyError::Io {
        src: p.display().to_string(),
        msg: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let out = WrittenPair {
        pkcs1_pem: dir.join("app_private_key_pkcs1.pem"),
        pkcs8_pem: dir.join("app_private_key.pem"),
        public_pem: dir.join("app_public_key.pem"),
        public_one_line: dir.join("app_public_key.txt"),
    };
    write_secret(&out.pkcs1_pem, key.to_pkcs1_pem()?.expose())
        .map_err(|e| io(&out.pkcs1_pem, e))?;
    write_secret(&out.pkcs8_pem, key.to_pkcs8_pem()?.expose())
        .map_err(|e| io(&out.pkcs8_pem, e))?;
    std::fs::write(&out.public_pem, key.public_key().to_pem())
        .map_err(|e| io(&out.public_pem, e))?;
    std::fs::write(&out.public_one_line, key.public_key().to_one_line() + "\n")
        .map_err(|e| io(&out.public_one_line, e))?;
    Ok(out)
}

fn write_secret(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())
}

pub mod zeroizing {
    //! A string holding secret key material: no `Debug`, no `Display`, wiped on drop.
    pub struct Secret(pub(crate) String);

    impl Secret {
        pub fn expose(&self) -> &str {
            &self.0
        }
    }

    impl std::fmt::Debug for Secret {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Secret(<redacted>)")
        }
    }

    impl Drop for Secret {
        fn drop(&mut self) {
            // SAFETY-free wipe: overwrite the bytes through a safe API before freeing.
            let len = self.0.len();
            self.0.clear();
            self.0.extend(std::iter::repeat_n('\0', len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn key() -> &'static PrivateKey {
        static K: OnceLock<PrivateKey> = OnceLock::new();
        K.get_or_init(|| PrivateKey::generate(2048).unwrap())
    }

    #[test]
    fn every_format_round_trips_to_the_same_key() {
        let k = key();
        let forms = [
            (
                k.to_pkcs1_pem().unwrap().expose().to_string(),
                KeyFormat::Pkcs1Pem,
            ),
            (
                k.to_pkcs8_pem().unwrap().expose().to_string(),
                KeyFormat::Pkcs8Pem,
            ),
            (
                k.to_pkcs8_base64().unwrap().expose().to_string(),
                KeyFormat::Pkcs8Base64,
            ),
        ];
        for (text, fmt) in forms {
            // CRLF and stray spaces, as pasted from Windows tools.
            let messy = format!("  {}\r\n", text.replace('\n', "\r\n"));
            let p = PrivateKey::parse(&messy, "test").unwrap();
            assert_eq!(p.format(), fmt);
            assert!(p.matches(k.public_key()));
        }
        let pub_line = PublicKey::parse(&k.public_key().to_one_line(), "t").unwrap();
        assert_eq!(&pub_line, k.public_key());
        let pub_pem = PublicKey::parse(&k.public_key().to_pem(), "t").unwrap();
        assert_eq!(pub_pem.format(), KeyFormat::SpkiPem);
    }

    #[test]
    fn sign_and_verify_both_types() {
        let k = key();
        for st in [SignType::Rsa2, SignType::Rsa] {
            let s = k.sign(b"a=1&b=2", st).unwrap();
            k.public_key().verify(b"a=1&b=2", &s, st).unwrap();
            assert_eq!(
                k.public_key().verify(b"a=1&b=3", &s, st),
                Err(SignError::Mismatch)
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = key();
        let dbg = format!("{k:?}");
        let b64 = k.to_pkcs8_base64().unwrap();
        assert!(dbg.contains("redacted"));
        assert!(!dbg.contains(&b64.expose()[40..80]));
    }

    #[test]
    fn wrong_kind_and_damaged_keys_say_what_is_wrong() {
        let k = key();
        assert!(matches!(
            PrivateKey::parse(&k.public_key().to_pem(), "f.pem"),
            Err(KeyError::PublicWherePrivate { .. })
        ));
        assert!(matches!(
            PrivateKey::parse(&k.public_key().to_one_line(), "f.txt"),
            Err(KeyError::PublicWherePrivate { .. })
        ));
        assert!(matches!(
            PublicKey::parse(k.to_pkcs8_pem().unwrap().expose(), "f.pem"),
            Err(KeyError::PrivateWherePublic { .. })
        ));
        assert!(matches!(
            PrivateKey::parse("not a key at all!", "f"),
            Err(KeyError::NotBase64 { .. })
        ));
        let line = k.to_pkcs8_base64().unwrap();
        let cut = &line.expose()[..line.expose().len() / 2];
        let cut = &cut[..cut.len() / 4 * 4];
        assert!(matches!(
            PrivateKey::parse(cut, "f"),
            Err(KeyError::Truncated { .. })
        ));
        assert!(matches!(
            PrivateKey::parse("", "f"),
            Err(KeyError::Empty { .. })
        ));
        assert_eq!(
            check_alipay_public_key(k, k.public_key()),
            Err(KeyError::OwnPublicKey)
        );
    }
}
