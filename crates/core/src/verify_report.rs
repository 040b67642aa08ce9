//! The Verify screen's verdict for one pasted return URL / notify body: the signature check with
//! its hint (wrong key? tampered field? `+` decoded wrong?), every field, and how the order it
//! claims compares with the store (exists, amount, app_id, seller_id). Read-only: settling is
//! `ops::settle`, which checks all of this again inside its transaction.

use alipay::{CallbackKind, parse_callback};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::desk::Desk;
use crate::domain::OrderStatus;
use crate::ops::{OpsError, OpsResult, OrderRef};

#[derive(Debug, Clone, Serialize)]
pub struct VerifyField {
    pub name: String,
    /// URL-decoded, as signed.
    pub value: String,
    /// Covered by the signature (`sign` and `sign_type` are not).
    pub signed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderMatch {
    pub order_number: String,
    /// `None` fields below when the order is not in the store.
    pub status: Option<OrderStatus>,
    pub real_price: Option<Decimal>,
    /// `None` when the input has no total_amount or the order is unknown.
    pub amount_matches: Option<bool>,
    pub app_id_matches: Option<bool>,
    pub seller_id_matches: Option<bool>,
}

impl OrderMatch {
    pub fn exists(&self) -> bool {
        self.status.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub valid: bool,
    pub kind: CallbackKind,
    /// Why it is invalid (the parse or signature error), `None` when valid.
    pub reason: Option<String>,
    /// Notes on how the input was read (defaults assumed, `+` handling …).
    pub hint: Option<String>,
    /// The string the signature covers; `None` when the input did not parse.
    pub canonical: Option<String>,
    pub fields: Vec<VerifyField>,
    /// The order named by out_trade_no, if any.
    pub order: Option<OrderMatch>,
}

/// One verdict. Needs the profile's gateway (its Alipay public key, app_id and seller_id).
pub async fn verify_report(desk: &Desk, input: &str) -> OpsResult<VerifyReport> {
    let gw = desk.gateway()?;
    let parsed = match parse_callback(input) {
        Ok(p) => p,
        Err(e) => {
            return Ok(VerifyReport {
                valid: false,
                kind: CallbackKind::Unknown,
                reason: Some(e.to_string()),
                hint: None,
                canonical: None,
                fields: Vec::new(),
                order: None,
            });
        }
    };
    let breakdown = parsed.breakdown();
    let claimed = |k: &str| parsed.get(k).map(str::to_string);
    let (out_trade_no, total_amount) = (claimed("out_trade_no"), claimed("total_amount"));
    let app_id_matches = claimed("app_id").map(|x| x == gw.app.app_id);
    let seller_id_matches = claimed("seller_id").map(|x| x == gw.seller_id);
    // The app's own public key lets the hint say "signed with the app key, not Alipay's".
    let app_public = gw.app.private_key.public_key().clone();
    let reason = parsed
        .verify_with_hint(gw.alipay_public_key(), Some(&app_public))
        .err()
        .map(|e| e.to_string());
    let order = match out_trade_no {
        None => None,
        Some(number) => Some(
            order_match(
                desk,
                number,
                total_amount.as_deref(),
                app_id_matches,
                seller_id_matches,
            )
            .await?,
        ),
    };
    Ok(VerifyReport {
        valid: reason.is_none(),
        kind: breakdown.kind,
        reason,
        hint: (!breakdown.notes.is_empty()).then(|| breakdown.notes.join("; ")),
        canonical: Some(breakdown.canonical),
        fields: breakdown
            .fields
            .into_iter()
            .map(|f| VerifyField {
                name: f.name,
                value: f.decoded,
                signed: f.signed,
            })
            .collect(),
        order,
    })
}

async fn order_match(
    desk: &Desk,
    number: String,
    total_amount: Option<&str>,
    app_id_matches: Option<bool>,
    seller_id_matches: Option<bool>,
) -> OpsResult<OrderMatch> {
    let missing = |number: String| OrderMatch {
        order_number: number,
        status: None,
        real_price: None,
        amount_matches: None,
        app_id_matches,
        seller_id_matches,
    };
    // A claimed number that is not even one of ours is an unknown order, not an error.
    let Ok(r) = number.parse::<OrderRef>() else {
        return Ok(missing(number));
    };
    match crate::lookup::order(&desk.store, &r).await {
        Ok(o) => Ok(OrderMatch {
            order_number: number,
            status: Some(o.order_status),
            real_price: Some(o.real_price),
            amount_matches: total_amount
                .map(|t| t.trim().parse::<Decimal>().ok() == Some(o.real_price)),
            app_id_matches,
            seller_id_matches,
        }),
        Err(OpsError::NotFound { .. }) => Ok(missing(number)),
        Err(e) => Err(e),
    }
}
