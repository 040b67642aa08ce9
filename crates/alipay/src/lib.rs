//! The Alipay open API (`gateway.do`, v2) as Paydesk needs it: keys, signing, pay links,
//! verification of what Alipay sends back (return URLs, notifies, server responses), the
//! gateway client and public-key certificate SNs.
//!
//! No database and no GUI here: this crate is usable on its own. Money is [`Amount`]
//! (exact, two decimals), never a float. Private keys never appear in `Debug` output.

pub mod bill;
pub mod callback;
pub mod cert;
pub mod client;
pub mod clock;
pub mod form;
pub mod keys;
pub mod money;
pub mod params;
pub mod pasted;
pub mod pay;
pub mod request;
pub mod response;
pub mod sign;
pub mod trade;
mod verifier;
pub mod visible;

pub use callback::{
    CallbackError, CallbackInput, CallbackKind, SignedOver, VerifiedCallback, parse_callback,
    verify_callback, verify_callback_with_hint,
};
pub use cert::{CertError, CertMode};
pub use client::{GatewayClient, GatewayConfig, GatewayError, RefundRequest, TransportKind};
pub use clock::{Clock, FixedClock, SystemClock};
pub use form::FormError;
pub use keys::{KeyError, PrivateKey, PublicKey};
pub use money::{Amount, AmountError};
pub use params::Params;
pub use pay::{PayError, PayProduct, PayRequest, pay_form, pay_link, signed_pay_params};
pub use request::{AppIdentity, Urls};
pub use response::{ResponseError, VerifiedResponse, verify_response};
pub use sign::{SignError, SignType};
pub use trade::{TradeRef, TradeStatus};
