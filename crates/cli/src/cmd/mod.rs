//! One module per command; shared argument helpers here.

pub mod close;
pub mod db;
pub mod desk;
pub mod gateway;
pub mod grants;
pub mod keys;
pub mod orders;
pub mod pay_link;
pub mod policy;
pub mod reconcile;
pub mod refund;
pub mod report;
pub mod settle;
pub mod sign;
pub mod sim;
pub mod test_order;
pub mod verify;

use std::io::Read;

use alipay::SignType;

use crate::exit::Failure;

/// clap value parser: the exact spellings Alipay uses.
pub fn parse_sign_type(s: &str) -> Result<SignType, String> {
    s.parse::<SignType>().map_err(|e| e.to_string())
}

/// A value given literally, as `@FILE`, or as `-` (stdin), read whole.
pub fn read_arg_text(arg: &str) -> Result<String, Failure> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::input(format!("cannot read stdin: {e}")))?;
        return Ok(s);
    }
    if let Some(path) = arg.strip_prefix('@') {
        return std::fs::read_to_string(path)
            .map_err(|e| Failure::input(format!("{path}: cannot read: {e}")));
    }
    Ok(arg.to_string())
}
