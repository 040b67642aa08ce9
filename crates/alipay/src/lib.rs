//! The Alipay open API (`gateway.do`, v2) as Paydesk needs it: keys, signing, pay links,
//! verification of what Alipay sends back (return URLs, notifies, server responses), the
//! gateway client and public-key certificate SNs.
//!
//! No database and no GUI here: this crate is usable on its own. Money is [`Amount`]
//! (exact, two decimals), never a float. Private keys never appear in `Debug` output.

pub mod clock;
pub mod keys;
pub mod money;
pub mod params;
pub mod request;
pub mod sign;

pub use clock::{Clock, FixedClock, SystemClock};
pub use keys::{KeyError, PrivateKey, PublicKey};
pub use money::{Amount, AmountError};
pub use params::Params;
pub use request::{AppIdentity, Urls};
pub use sign::{SignError, SignType};
