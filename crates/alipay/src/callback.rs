//! What Alipay sends to us through the buyer's browser (the return URL) and by POST to our
//! notify_url (the async notify): parsing, signature verification, and typed access.
//!
//! [`CallbackInput`] is the untrusted parse, good for showing a tester what arrived.
//! [`VerifiedCallback`] is the only way to read fields as facts: it has no public constructor and
//! no `Deserialize`, so holding one means the signature was checked with Alipay's public key.
//!
//! Rules (ALIPAY.md): form decoding (`+` is a space, decoded once), `sign` and `sign_type`
//! excluded, empties dropped, byte-order sort, raw values. Duplicate keys are refused outright:
//! which of two values was signed and which one the caller reads would otherwise be a guess.
//!
//! Alipay does not always follow its own rule: some production notifies and an older sandbox's
//! return URLs are signed over the content with `sign_type` kept (Alipay's Node SDK tries both
//! readings for that reason). Such a callback is accepted too, and [`SignedOver`] says which
//! reading held. Both readings are of the same decoded pairs, so nothing else loosens: duplicate
//! keys, another key, `+` decoded wrongly still fail.
//!
//! A missing `sign_type` is treated as RSA2, the only type Alipay issues to new apps (the Python
//! SDK would fall back to the app's configured type, which for every Paydesk profile is RSA2 as
//! well). Since `sign_type` is not signed, the choice cannot widen what verifies: it only picks
//! the hash. The breakdown reports that it was assumed.

mod verified;

pub use verified::VerifiedCallback;

use crate::form::{self, Charset, Decoding, Form, FormError};
use crate::keys::PublicKey;
use crate::sign::{CALLBACK_EXCLUDE, REQUEST_EXCLUDE, SignError, SignType, canonical_content};
use crate::trade::{parse_money, parse_time};

/// What kind of message a callback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackKind {
    /// The browser redirect to return_url (`method=alipay.trade.page.pay.return` / wap).
    Return,
    /// The async notify (`notify_type=trade_status_sync`).
    Notify,
    Unknown,
}

/// Which content the signature was found to cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedOver {
    /// The documented rule: everything but `sign` and `sign_type`.
    Documented,
    /// Everything but `sign`: `sign_type` kept, as Alipay signs some notifies and return URLs.
    SignTypeKept,
}

impl SignedOver {
    /// The note shown with a VALID verdict when the undocumented habit held (`None` otherwise).
    pub fn note(self) -> Option<&'static str> {
        match self {
            SignedOver::Documented => None,
            SignedOver::SignTypeKept => Some(
                "signed over the content with sign_type kept (not the documented rule, but how Alipay signs some notifies and older sandbox return URLs): accepted",
            ),
        }
    }
}

const RETURN_METHODS: &[&str] = &[
    "alipay.trade.page.pay.return",
    "alipay.trade.wap.pay.return",
];
const PAY_METHODS: &[&str] = &["alipay.trade.page.pay", "alipay.trade.wap.pay"];

/// Money fields: validated when a callback is verified, so the getters cannot fail.
const AMOUNT_FIELDS: &[&str] = &[
    "total_amount",
    "receipt_amount",
    "invoice_amount",
    "buyer_pay_amount",
    "point_amount",
    "refund_fee",
    "send_back_fee",
];
/// Beijing-time fields, validated likewise.
const TIME_FIELDS: &[&str] = &[
    "notify_time",
    "gmt_create",
    "gmt_payment",
    "gmt_refund",
    "gmt_close",
    "timestamp",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The input is not a readable form (empty, cut, mangled, wrong charset): the decoder's own
    /// error, so its message and [`FormError::code`] are the same wherever a form is read.
    #[error(transparent)]
    Form(#[from] FormError),
    #[error(
        "the parameter {0:?} appears more than once: Alipay never sends a key twice, so the input was tampered with or glued together from two callbacks"
    )]
    DuplicateKey(String),
    #[error(
        "there is no sign parameter (or it is empty): this is not a complete Alipay callback — copy the whole URL/body"
    )]
    MissingSign,
    #[error("unknown sign_type {0:?}: Alipay signs callbacks with RSA2 (or the legacy RSA)")]
    UnknownSignType(String),
    #[error("the sign parameter is not valid base64 ({detail}): {hint}")]
    BadBase64 { detail: String, hint: String },
    #[error(
        "the signature is {got} bytes but the Alipay public key ({bits} bits) makes {want}-byte signatures: the sign was cut, or the configured key is not the one Alipay uses for this app"
    )]
    WrongLength {
        got: usize,
        want: usize,
        bits: usize,
    },
    #[error("signature mismatch: {}", hint.as_deref().unwrap_or("a signed field was changed, or it was signed by another key — check that the Alipay public key (支付宝公钥) is the one for this app and environment (sandbox and production differ)"))]
    SignatureMismatch {
        /// The canonical content that was checked (what Alipay must have signed).
        canonical: String,
        /// What else was tried and matched, when something did.
        hint: Option<String>,
    },
    #[error(
        "{field}={value:?} is signed by Alipay but not {expected}: refusing a callback whose money or times cannot be read exactly"
    )]
    BadField {
        field: String,
        value: String,
        expected: &'static str,
    },
    #[error(
        "the callback is for app_id {got:?}, not {expected:?}: it was sent for another app (or another environment)"
    )]
    AppIdMismatch { expected: String, got: String },
}

impl CallbackError {
    /// A stable machine-readable name for the failure (`paydesk verify --json`'s `error.code`);
    /// decoding failures report [`FormError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::Form(e) => e.code(),
            CallbackError::DuplicateKey(_) => "duplicate_key",
            CallbackError::MissingSign => "missing_sign",
            CallbackError::UnknownSignType(_) => "unknown_sign_type",
            CallbackError::BadBase64 { .. } => "bad_base64",
            CallbackError::WrongLength { .. } => "wrong_signature_length",
            CallbackError::SignatureMismatch { .. } => "signature_mismatch",
            CallbackError::BadField { .. } => "bad_field",
            CallbackError::AppIdMismatch { .. } => "app_id_mismatch",
        }
    }
}

/// A parsed, not yet verified callback. Everything here is what the sender claims.
#[derive(Debug, Clone)]
pub struct CallbackInput {
    form: Form,
    /// The decoded pairs again, as the owned list the getters hand out.
    pairs: Vec<(String, String)>,
    kind: CallbackKind,
    /// The pasted text, kept so that a failed verification can replay common decoding mistakes.
    source: Option<String>,
}

/// Parses a whole URL, a bare query or a notify body (form rules, charset honoured) and refuses
/// duplicate keys.
pub fn parse_callback(input: &str) -> Result<CallbackInput, CallbackError> {
    let form = form::parse_form(input)?;
    CallbackInput::from_form(form, Some(input.to_string()))
}

/// Parses a notify body exactly as received on the wire (bytes in its charset).
pub fn parse_callback_bytes(body: &[u8]) -> Result<CallbackInput, CallbackError> {
    let form = form::parse_form_bytes(body)?;
    CallbackInput::from_form(form, std::str::from_utf8(body).ok().map(str::to_string))
}

/// Parses and verifies with the Alipay public key.
pub fn verify_callback(
    input: &str,
    alipay_key: &PublicKey,
) -> Result<VerifiedCallback, CallbackError> {
    parse_callback(input)?.verify(alipay_key)
}

/// Like [`verify_callback`], and when the signature does not match, also checks the mistakes
/// testers make with keys: given the app's own public key, it says whether that is what was
/// configured as the Alipay key, or whether the input was signed by the app itself.
pub fn verify_callback_with_hint(
    input: &str,
    alipay_key: &PublicKey,
    app_public_key: Option<&PublicKey>,
) -> Result<VerifiedCallback, CallbackError> {
    parse_callback(input)?.verify_with_hint(alipay_key, app_public_key)
}

fn fields_of(form: &Form) -> impl Iterator<Item = (&str, &str)> {
    form.fields
        .iter()
        .map(|f| (f.key.as_str(), f.value.as_str()))
}

fn find_duplicate(form: &Form) -> Option<&str> {
    let mut seen = std::collections::HashSet::with_capacity(form.fields.len());
    form.fields
        .iter()
        .map(|f| f.key.as_str())
        .find(|k| !seen.insert(*k))
}

impl CallbackInput {
    fn from_form(form: Form, source: Option<String>) -> Result<Self, CallbackError> {
        if let Some(k) = find_duplicate(&form) {
            return Err(CallbackError::DuplicateKey(k.to_string()));
        }
        let get = |k: &str| {
            form.fields
                .iter()
                .find(|f| f.key == k)
                .map(|f| f.value.as_str())
        };
        let kind = if get("notify_type") == Some("trade_status_sync") {
            CallbackKind::Notify
        } else if get("method").is_some_and(|m| RETURN_METHODS.contains(&m)) {
            CallbackKind::Return
        } else {
            CallbackKind::Unknown
        };
        let pairs = form
            .fields
            .iter()
            .map(|f| (f.key.clone(), f.value.clone()))
            .collect();
        Ok(CallbackInput {
            form,
            pairs,
            kind,
            source,
        })
    }

    pub fn kind(&self) -> CallbackKind {
        self.kind
    }

    pub fn charset(&self) -> Charset {
        self.form.charset
    }

    /// Decoded pairs in arrival order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        fields_of(&self.form)
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The string Alipay must have signed: all but `sign`/`sign_type`, empties dropped, sorted.
    pub fn canonical(&self) -> String {
        canonical_content(fields_of(&self.form), CALLBACK_EXCLUDE)
    }

    /// The other content Alipay is known to sign: everything but `sign` (`sign_type` kept).
    pub fn canonical_with_sign_type(&self) -> String {
        canonical_content(fields_of(&self.form), REQUEST_EXCLUDE)
    }

    /// The signature, when present and not empty.
    pub fn sign(&self) -> Option<&str> {
        self.get("sign").filter(|s| !s.is_empty())
    }

    /// `sign_type` as sent, when present and not empty.
    pub fn sign_type_raw(&self) -> Option<&str> {
        self.get("sign_type").filter(|s| !s.is_empty())
    }

    /// The sign type used to verify: as sent, or RSA2 when absent (see the module docs).
    pub fn sign_type(&self) -> Result<SignType, CallbackError> {
        match self.sign_type_raw() {
            None => Ok(SignType::Rsa2),
            Some(s) => s
                .parse()
                .map_err(|_| CallbackError::UnknownSignType(s.to_string())),
        }
    }

    pub fn sign_type_defaulted(&self) -> bool {
        self.sign_type_raw().is_none()
    }

    /// Per-field view for the verify screen and `paydesk verify`.
    pub fn breakdown(&self) -> CallbackBreakdown {
        let mut notes = Vec::new();
        if self.sign_type_defaulted() {
            notes.push("sign_type is missing: RSA2 assumed".to_string());
        }
        if self.form.charset_declared.is_none() {
            notes.push("charset is missing: utf-8 assumed".to_string());
        }
        if self.kind == CallbackKind::Unknown {
            notes.push(kind_note(self));
        }
        let fields = self
            .form
            .fields
            .iter()
            .map(|f| {
                let excluded = CALLBACK_EXCLUDE.contains(&f.key.as_str());
                let note = if excluded {
                    Some("not signed: Alipay excludes sign and sign_type from callback signatures")
                } else if f.value.is_empty() {
                    Some("not signed: empty values are left out")
                } else if f.key == "passback_params" {
                    Some("still URL-encoded as sent: decode it yourself once more if you need the original")
                } else {
                    None
                };
                FieldBreakdown {
                    name: f.key.clone(),
                    raw: f.raw_value.clone(),
                    decoded: f.value.clone(),
                    signed: !excluded && !f.value.is_empty(),
                    note: note.map(str::to_string),
                }
            })
            .collect();
        CallbackBreakdown {
            kind: self.kind,
            charset: self.form.charset,
            charset_declared: self.form.charset_declared.clone(),
            sign_type: self.sign_type_raw().map(str::to_string),
            sign_type_defaulted: self.sign_type_defaulted(),
            canonical: self.canonical(),
            fields,
            notes,
        }
    }

    /// Verifies with the Alipay public key.
    pub fn verify(self, alipay_key: &PublicKey) -> Result<VerifiedCallback, CallbackError> {
        self.verify_with_hint(alipay_key, None)
    }

    /// Verifies; on a mismatch the error says what else was tried and matched (see
    /// [`verify_callback_with_hint`]).
    pub fn verify_with_hint(
        self,
        alipay_key: &PublicKey,
        app_public_key: Option<&PublicKey>,
    ) -> Result<VerifiedCallback, CallbackError> {
        let sign = self.sign().ok_or(CallbackError::MissingSign)?;
        let sign_type = self.sign_type()?;
        let canonical = self.canonical();
        let charset = self.form.charset;
        let documented = check(alipay_key, &canonical, sign, sign_type, charset);
        // The second reading only differs when sign_type is there to keep; a malformed sign
        // (base64, length) fails both the same way, so it is reported from the first.
        let kept = match &documented {
            Err(SignError::Mismatch) if self.sign_type_raw().is_some() => {
                let with_type = self.canonical_with_sign_type();
                check(alipay_key, &with_type, sign, sign_type, charset).ok()
            }
            _ => None,
        };
        let outcome = match (documented, kept) {
            (Ok(cs), _) => Ok((cs, SignedOver::Documented)),
            (Err(_), Some(cs)) => Ok((cs, SignedOver::SignTypeKept)),
            (Err(e), None) => Err(e),
        };
        match outcome {
            Ok((signed_as, signed_over)) => {
                validate_typed_fields(&self.form)?;
                Ok(VerifiedCallback {
                    input: self,
                    sign_type,
                    signed_as,
                    signed_over,
                })
            }
            Err(SignError::BadBase64(detail)) => {
                let hint = self.replay_decodings(alipay_key, sign_type).unwrap_or_else(|| {
                    if sign.contains(' ') {
                        "it contains spaces where base64 has '+': the input had already been URL-decoded once (paste it exactly as received), or whoever built it left '+' unescaped (it must be %2B)"
                    } else {
                        "the sign was cut or edited: copy the whole URL/body again"
                    }
                    .to_string()
                });
                Err(CallbackError::BadBase64 { detail, hint })
            }
            Err(SignError::WrongLength { got, want, bits }) => {
                Err(CallbackError::WrongLength { got, want, bits })
            }
            Err(_) => {
                let hint = self.diagnose(alipay_key, app_public_key, sign, sign_type, &canonical);
                Err(CallbackError::SignatureMismatch { canonical, hint })
            }
        }
    }

    /// Why a signature that decodes fine does not match: each check replays one known mistake
    /// and reports the first that makes the signature match. Never used to accept anything.
    fn diagnose(
        &self,
        alipay_key: &PublicKey,
        app_key: Option<&PublicKey>,
        sign: &str,
        sign_type: SignType,
        canonical: &str,
    ) -> Option<String> {
        if let Some(app) = app_key
            && app == alipay_key
        {
            return Some("the configured Alipay public key is your app's own public key (应用公钥): configure 支付宝公钥 (the Alipay public key) from the console instead".to_string());
        }
        if self.get("method").is_some_and(|m| PAY_METHODS.contains(&m)) {
            return Some("this is a pay link (a request the app signs for Alipay), not a return URL or notify from Alipay".to_string());
        }
        if let Some(h) = self.replay_decodings(alipay_key, sign_type) {
            return Some(h);
        }
        let charset = self.form.charset;
        let other = match sign_type {
            SignType::Rsa2 => SignType::Rsa,
            SignType::Rsa => SignType::Rsa2,
        };
        if check(alipay_key, canonical, sign, other, charset).is_ok() {
            return Some(format!(
                "it was signed with {other} but sign_type says {sign_type}: the sender mislabelled the signature"
            ));
        }
        let with_sign_type = self.canonical_with_sign_type();
        if let Some(app) = app_key {
            let by_app = check(app, canonical, sign, sign_type, charset).is_ok()
                || check(app, &with_sign_type, sign, sign_type, charset).is_ok();
            if by_app {
                return Some("it is signed with your app's own private key, not Alipay's: it was made by the app (or a tool using the app key), not sent by Alipay".to_string());
            }
        }
        None
    }

    /// Re-parses the pasted text as if it had been mishandled in one of the usual ways.
    fn replay_decodings(&self, alipay_key: &PublicKey, sign_type: SignType) -> Option<String> {
        let src = self.source.as_deref()?;
        let primary = (
            self.canonical(),
            self.get("sign").unwrap_or_default().to_string(),
        );
        // Already-decoded first: when the text needs no decoding to match, that is the explanation.
        for mode in [
            Decoding::AlreadyDecoded,
            Decoding::PlusKept,
            Decoding::Twice,
        ] {
            let Ok(form) = form::parse_form_as(src, mode) else {
                continue;
            };
            if find_duplicate(&form).is_some() {
                continue;
            }
            let canonical = canonical_content(fields_of(&form), CALLBACK_EXCLUDE);
            let Some(sign) = fields_of(&form).find(|(k, _)| *k == "sign").map(|(_, v)| v) else {
                continue;
            };
            if (canonical.as_str(), sign) == (primary.0.as_str(), primary.1.as_str()) {
                continue;
            }
            if check(alipay_key, &canonical, sign, sign_type, form.charset).is_ok() {
                return Some(match mode {
                    Decoding::PlusKept => "it matches when '+' is kept as '+' instead of read as a space: whoever re-encoded this input left '+' unescaped (it must be %2B) — '+' was handled wrong before it got here",
                    Decoding::AlreadyDecoded => "it matches when the input is not decoded again: it had already been URL-decoded once (e.g. copied from a log of parsed parameters), so it was decoded twice — paste the URL/body exactly as received",
                    _ => "it matches when decoded twice: the input was URL-encoded twice on its way here (e.g. wrapped in another URL) — undo the outer encoding first",
                }.to_string());
            }
        }
        None
    }
}

fn kind_note(input: &CallbackInput) -> String {
    match input.get("method") {
        Some(m) if PAY_METHODS.contains(&m) => {
            "this is a pay link (method without .return), not something Alipay sent back"
                .to_string()
        }
        Some(m) => format!("method {m:?} is not a page or wap pay return"),
        None if input.get("notify_type").is_some() => {
            "notify_type is not trade_status_sync: not a trade status notify".to_string()
        }
        None => {
            "neither a return URL (method=…pay.return) nor a notify (notify_type=trade_status_sync)"
                .to_string()
        }
    }
}

/// Checks the signature over the canonical bytes in the callback's charset (the Java SDK's rule),
/// then over UTF-8 (python-alipay-sdk and the Node SDK always use UTF-8). Both readings are of the
/// same text, and `charset` itself is signed, so accepting either cannot make other text verify.
fn check(
    key: &PublicKey,
    canonical: &str,
    sign: &str,
    sign_type: SignType,
    charset: Charset,
) -> Result<Charset, SignError> {
    if charset != Charset::Utf8
        && let Some(bytes) = charset.encode(canonical)
        && key.verify(&bytes, sign, sign_type).is_ok()
    {
        return Ok(charset);
    }
    key.verify(canonical.as_bytes(), sign, sign_type)
        .map(|()| Charset::Utf8)
}

fn validate_typed_fields(form: &Form) -> Result<(), CallbackError> {
    for f in &form.fields {
        if f.value.is_empty() {
            continue;
        }
        if AMOUNT_FIELDS.contains(&f.key.as_str()) && parse_money(&f.value).is_err() {
            return Err(CallbackError::BadField {
                field: f.key.clone(),
                value: f.value.clone(),
                expected: "an amount in yuan with at most two decimals",
            });
        }
        if TIME_FIELDS.contains(&f.key.as_str()) && parse_time(&f.value).is_none() {
            return Err(CallbackError::BadField {
                field: f.key.clone(),
                value: f.value.clone(),
                expected: "a time as yyyy-MM-dd HH:mm:ss (milliseconds allowed)",
            });
        }
    }
    Ok(())
}

/// Per-field view of a callback: what arrived, what it decodes to, what the signature covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallbackBreakdown {
    pub kind: CallbackKind,
    pub charset: Charset,
    pub charset_declared: Option<String>,
    /// As sent; `None` when missing.
    pub sign_type: Option<String>,
    pub sign_type_defaulted: bool,
    /// The string the signature must cover.
    pub canonical: String,
    pub fields: Vec<FieldBreakdown>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldBreakdown {
    pub name: String,
    /// As it appeared in the input, still URL-encoded.
    pub raw: String,
    pub decoded: String,
    pub signed: bool,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form that does not decode reads the same through the callback API as through the
    /// decoder: same message, same code (what `paydesk verify --json` and the UI show).
    #[test]
    fn form_errors_keep_their_message_and_code() {
        for (input, code) in [
            ("  ", "empty"),
            ("https://h/alipay", "url_without_query"),
            ("{\"sign\":1}", "not_a_form"),
            ("a=%G1&sign=x", "bad_percent_escape"),
            ("charset=big5&a=1", "unknown_charset"),
            ("charset=gbk&a=1&charset=utf-8", "conflicting_charset"),
            ("a=%E4%B8&sign=x", "bad_encoding"),
            ("a=1&amp;b=2", "html_mangled"),
        ] {
            let form = form::parse_form(input).unwrap_err();
            let cb = parse_callback(input).unwrap_err();
            assert_eq!(cb, CallbackError::Form(form.clone()), "{input}");
            assert_eq!(cb.to_string(), form.to_string(), "{input}");
            assert_eq!((cb.code(), form.code()), (code, code), "{input}");
        }
        assert_eq!(
            parse_callback("a=1&a=2").unwrap_err().code(),
            "duplicate_key"
        );
    }
}
