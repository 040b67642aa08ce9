//! `paydesk policy [set]`: the full-refund policy stored in the platform database, shared by every
//! Paydesk install that uses it (see `paydesk_core::ops::policy`).

use clap::{ArgAction, Args, Subcommand};
use paydesk_core::desk::Policy;
use paydesk_core::ops::policy::{self, PolicyState};

use crate::cmd::desk::{DbArgs, open_desk, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit};
use crate::output;
use paydesk_core::confirm::Guarded;

/// What has to be typed with `--confirm` on a production profile.
pub const CONFIRM_WORD: &str = "POLICY";

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk policy                      # what a full refund takes back, and who changed it when
  paydesk policy set --revoke-grants off --return-credits on --reason 'courses stay after refunds'
  paydesk --profile production policy set --revoke-grants on --return-credits on \\
      --reason R --confirm POLICY     # production: type POLICY

The policy is read by every refund as it resolves, so a change applies to the next refund on every
machine at once. Each change is in the audit log (action policy_change) with old and new values.")]
pub struct PolicyArgs {
    #[command(subcommand)]
    action: Option<PolicyAction>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Subcommand)]
pub enum PolicyAction {
    /// Change it: both switches are given, so what is typed is exactly the rule in force after
    Set {
        /// Revoke the order's courses on a full refund
        #[arg(long, value_name = "on|off", value_parser = parse_on_off, action = ArgAction::Set, required = true)]
        revoke_grants: bool,
        /// Give the credits spent on the order back on a full refund
        #[arg(long, value_name = "on|off", value_parser = parse_on_off, action = ArgAction::Set, required = true)]
        return_credits: bool,
        /// Why (kept in the audit log)
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Required on a production profile: the word POLICY
        #[arg(long, value_name = "POLICY")]
        confirm: Option<String>,
    },
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{other:?}: say on or off")),
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn show_rows(s: &PolicyState) {
    let changed = match (&s.updated_time, &s.updated_by) {
        (Some(t), Some(by)) => format!("{} by {by}", t.format("%Y-%m-%d %H:%M:%S")),
        _ => "never (the defaults are in force)".to_string(),
    };
    output::rows(&[
        (
            "revoke grants on full refund",
            on_off(s.revoke_grants_on_full_refund).to_string(),
        ),
        (
            "return credits on full refund",
            on_off(s.return_credits_on_full_refund).to_string(),
        ),
        ("changed", changed),
    ]);
}

pub fn run(ctx: &Ctx, a: PolicyArgs) -> CmdResult {
    let rt = runtime()?;
    // The policy is in the database: no keys or gateway needed.
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    match a.action {
        None => {
            let s = rt
                .block_on(policy::show(&desk))
                .map_err(crate::exit::Failure::from)?;
            if ctx.json {
                output::json(&s);
            } else {
                show_rows(&s);
            }
        }
        Some(PolicyAction::Set {
            revoke_grants,
            return_credits,
            reason,
            confirm,
        }) => {
            desk.confirm(Guarded::Policy, confirm.as_deref(), CONFIRM_WORD)?;
            let new = Policy {
                revoke_grants_on_full_refund: revoke_grants,
                return_credits_on_full_refund: return_credits,
            };
            let c = rt
                .block_on(policy::set(&desk, new, &reason))
                .map_err(crate::exit::Failure::from)?;
            if ctx.json {
                output::json(&c);
            } else {
                output::line(&c.message);
                show_rows(&c.after);
            }
        }
    }
    Ok(Exit::Ok)
}
