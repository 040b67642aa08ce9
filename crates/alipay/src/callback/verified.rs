//! [`VerifiedCallback`]: a callback whose signature held, and its fields read as facts (money as
//! exact decimals, Beijing times). Its fields are set only by `CallbackInput::verify_with_hint`.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::{CallbackBreakdown, CallbackError, CallbackInput, CallbackKind, SignedOver};
use crate::form::Charset;
use crate::sign::SignType;
use crate::trade::{TradeStatus, parse_money, parse_time};

/// A callback whose signature was checked with the Alipay public key. Only
/// [`CallbackInput::verify`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedCallback {
    pub(super) input: CallbackInput,
    pub(super) sign_type: SignType,
    pub(super) signed_as: Charset,
    pub(super) signed_over: SignedOver,
}

impl VerifiedCallback {
    pub fn kind(&self) -> CallbackKind {
        self.input.kind
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.input.get(key).filter(|v| !v.is_empty())
    }

    /// Every pair, in arrival order (including `sign` and `sign_type`, which are not signed).
    pub fn fields(&self) -> &[(String, String)] {
        self.input.fields()
    }

    /// As [`CallbackInput::breakdown`], with what the signature was found to cover: when
    /// `sign_type` was kept, it is signed and the canonical string includes it.
    pub fn breakdown(&self) -> CallbackBreakdown {
        let mut b = self.input.breakdown();
        if self.signed_over == SignedOver::SignTypeKept {
            b.canonical = self.canonical();
            for f in b.fields.iter_mut().filter(|f| f.name == "sign_type") {
                f.signed = true;
                f.note = SignedOver::SignTypeKept.note().map(str::to_string);
            }
            b.notes
                .extend(SignedOver::SignTypeKept.note().map(str::to_string));
        }
        b
    }

    /// The content the signature covers.
    pub fn canonical(&self) -> String {
        match self.signed_over {
            SignedOver::Documented => self.input.canonical(),
            SignedOver::SignTypeKept => self.input.canonical_with_sign_type(),
        }
    }

    /// Which reading of the content the signature held over.
    pub fn signed_over(&self) -> SignedOver {
        self.signed_over
    }

    pub fn sign_type(&self) -> SignType {
        self.sign_type
    }

    pub fn charset(&self) -> Charset {
        self.input.charset()
    }

    /// The charset whose bytes the signature covered (the declared one, or UTF-8).
    pub fn signed_as(&self) -> Charset {
        self.signed_as
    }

    /// Refuses a callback meant for another app. Notifies and returns carry `app_id`.
    pub fn expect_app_id(&self, app_id: &str) -> Result<(), CallbackError> {
        match self.app_id() {
            Some(got) if got == app_id => Ok(()),
            got => Err(CallbackError::AppIdMismatch {
                expected: app_id.to_string(),
                got: got.unwrap_or_default().to_string(),
            }),
        }
    }

    pub fn out_trade_no(&self) -> Option<&str> {
        self.get("out_trade_no")
    }
    pub fn trade_no(&self) -> Option<&str> {
        self.get("trade_no")
    }
    pub fn app_id(&self) -> Option<&str> {
        self.get("app_id")
    }
    pub fn auth_app_id(&self) -> Option<&str> {
        self.get("auth_app_id")
    }
    pub fn seller_id(&self) -> Option<&str> {
        self.get("seller_id")
    }
    pub fn notify_id(&self) -> Option<&str> {
        self.get("notify_id")
    }
    pub fn buyer_id(&self) -> Option<&str> {
        self.get("buyer_id")
    }
    pub fn buyer_logon_id(&self) -> Option<&str> {
        self.get("buyer_logon_id")
    }
    pub fn subject(&self) -> Option<&str> {
        self.get("subject")
    }
    pub fn body(&self) -> Option<&str> {
        self.get("body")
    }
    pub fn out_biz_no(&self) -> Option<&str> {
        self.get("out_biz_no")
    }

    /// As received after the single form decoding: still URL-encoded if the platform encoded it.
    pub fn passback_params(&self) -> Option<&str> {
        self.get("passback_params")
    }

    /// Notifies carry `trade_status`; return URLs do not (they prove nothing about payment).
    pub fn trade_status(&self) -> Option<TradeStatus> {
        self.get("trade_status").map(TradeStatus::parse)
    }

    fn amount(&self, key: &str) -> Option<Decimal> {
        // Validated at verification; a failure here cannot happen.
        self.get(key).and_then(|v| parse_money(v).ok())
    }
    pub fn total_amount(&self) -> Option<Decimal> {
        self.amount("total_amount")
    }
    pub fn receipt_amount(&self) -> Option<Decimal> {
        self.amount("receipt_amount")
    }
    pub fn invoice_amount(&self) -> Option<Decimal> {
        self.amount("invoice_amount")
    }
    pub fn buyer_pay_amount(&self) -> Option<Decimal> {
        self.amount("buyer_pay_amount")
    }
    pub fn point_amount(&self) -> Option<Decimal> {
        self.amount("point_amount")
    }
    /// Cumulative refunded amount (notifies after a refund).
    pub fn refund_fee(&self) -> Option<Decimal> {
        self.amount("refund_fee")
    }

    fn time(&self, key: &str) -> Option<NaiveDateTime> {
        self.get(key).and_then(parse_time)
    }
    /// Naive Beijing time, like every Alipay time.
    pub fn gmt_payment(&self) -> Option<NaiveDateTime> {
        self.time("gmt_payment")
    }
    pub fn gmt_create(&self) -> Option<NaiveDateTime> {
        self.time("gmt_create")
    }
    pub fn gmt_refund(&self) -> Option<NaiveDateTime> {
        self.time("gmt_refund")
    }
    pub fn gmt_close(&self) -> Option<NaiveDateTime> {
        self.time("gmt_close")
    }
    pub fn notify_time(&self) -> Option<NaiveDateTime> {
        self.time("notify_time")
    }
    /// The return URL's `timestamp`.
    pub fn timestamp(&self) -> Option<NaiveDateTime> {
        self.time("timestamp")
    }
}
