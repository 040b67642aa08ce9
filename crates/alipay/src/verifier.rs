//! The fast path for public-key verification (PKCS#1 v1.5 with SHA-256 or SHA-1).
//!
//! Why a second RSA implementation: `rsa` 0.10 does the public-key operation on crypto-bigint
//! without assembly, ~17 % of what OpenSSL verifies per second on the same core, and verifying is
//! what Paydesk does all day (every callback, every gateway answer, batch `verify`, settle, the
//! simulator). A signature check involves nothing secret — the key is public, so is the
//! signature — so a variable-time, assembly-optimised modular exponentiation leaks nothing.
//! Signing keeps `rsa`'s constant-time, blinded path (keys.rs).
//!
//! Why aws-lc-rs: it is AWS's maintained binding to AWS-LC (BoringSSL lineage, FIPS-validated
//! builds, fuzzed continuously) and it is already linked into this crate as rustls's crypto
//! provider for the gateway client, so it adds no new C or assembly to the build. Its
//! `ParsedPublicKey` keeps the parsed key (with its Montgomery context), so a verification costs
//! one exponentiation and no DER parsing.
//!
//! Key sizes map to aws-lc-rs's parameter sets: 2048–8192 bits (SHA-256, and SHA-1 for the
//! legacy `RSA` sign_type), 1024–2047 bits through its `_FOR_LEGACY_USE_ONLY` sets, because old
//! `RSA` apps still have 1024-bit keys. Whatever aws-lc-rs refuses to parse under those sets (an
//! exponent outside its policy, for instance) is verified by `rsa` as before, so no key that
//! loaded before stops verifying.

use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters};

use crate::sign::SignType;

/// Per key, built on first use: the parsed key for each hash, or `None` where the policy of
/// aws-lc-rs refuses it (the caller then uses `rsa`).
#[derive(Clone, Default)]
pub(crate) struct FastVerifier {
    cell: Arc<OnceLock<Parsed>>,
}

struct Parsed {
    sha256: Option<ParsedPublicKey>,
    sha1: Option<ParsedPublicKey>,
}

fn params(bits: usize, sign_type: SignType) -> Option<&'static RsaParameters> {
    Some(match (bits, sign_type) {
        (2048..=8192, SignType::Rsa2) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (2048..=8192, SignType::Rsa) => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        // Alipay's legacy `RSA` apps still have 1024-bit keys.
        (1024..=2047, SignType::Rsa2) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (1024..=2047, SignType::Rsa) => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        _ => return None,
    })
}

impl FastVerifier {
    /// `Some(ok)` is the answer; `None` means "not covered, ask `rsa`".
    pub(crate) fn verify(
        &self,
        spki_der: impl FnOnce() -> Vec<u8>,
        bits: usize,
        sign_type: SignType,
        message: &[u8],
        signature: &[u8],
    ) -> Option<bool> {
        let parsed = self.cell.get_or_init(|| {
            let der = spki_der();
            let parse = |t| params(bits, t).and_then(|p| ParsedPublicKey::new(p, &der).ok());
            Parsed {
                sha256: parse(SignType::Rsa2),
                sha1: parse(SignType::Rsa),
            }
        });
        let key = match sign_type {
            SignType::Rsa2 => parsed.sha256.as_ref(),
            SignType::Rsa => parsed.sha1.as_ref(),
        }?;
        Some(key.verify_sig(message, signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use crate::keys::PrivateKey;
    use crate::sign::{SignType, decode_signature};

    /// The fast path and `rsa` agree on every verdict: good signatures, each hash, a flipped
    /// message byte, a flipped signature byte, the other key, for both key sizes Alipay has
    /// handed out (2048 for RSA2, 1024 for legacy RSA apps).
    #[test]
    fn fast_and_portable_paths_agree() {
        let msg = b"app_id=2021000000000001&charset=utf-8&out_trade_no=42&total_amount=1579.00";
        for bits in [2048, 1024] {
            let (k, other) = (
                PrivateKey::generate(bits).unwrap(),
                PrivateKey::generate(bits).unwrap(),
            );
            let pk = k.public_key();
            for t in [SignType::Rsa2, SignType::Rsa] {
                let b64 = k.sign(msg, t).unwrap();
                let sig = decode_signature(&b64).unwrap();
                let mut bad_sig = sig.clone();
                bad_sig[sig.len() / 2] ^= 1;
                let mut bad_msg = msg.to_vec();
                bad_msg[3] ^= 0x20;
                let other_t = if t == SignType::Rsa2 {
                    SignType::Rsa
                } else {
                    SignType::Rsa2
                };
                for (key, m, s, tt, want) in [
                    (pk, &msg[..], &sig, t, true),
                    (pk, &bad_msg[..], &sig, t, false),
                    (pk, &msg[..], &bad_sig, t, false),
                    (pk, &msg[..], &sig, other_t, false),
                    (other.public_key(), &msg[..], &sig, t, false),
                ] {
                    let fast = key.verify(m, &crate::sign::encode_signature(s), tt).is_ok();
                    assert_eq!(fast, want, "{bits} bits, {t}");
                    assert_eq!(key.verify_portable(m, s, tt), want, "{bits} bits, {t}");
                }
            }
        }
    }
}
