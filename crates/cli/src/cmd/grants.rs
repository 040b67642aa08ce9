//! `paydesk grants` (list, duplicates, merge), `paydesk grant` (by hand, or restore a revoked
//! one) and `paydesk revoke`.

use clap::Args;
use paydesk_core::confirm::Guarded;
use paydesk_core::ops::{OrderRef, grant};
use paydesk_core::queries::grants::GrantFilter;

use crate::cmd::desk::{DbArgs, open_desk, parse_order, print, progress, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};
use crate::output;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk grants --user 12
  paydesk grants --duplicates
  paydesk grants --merge --reason 'clean up double grants of the old settlement'")]
pub struct GrantsArgs {
    #[arg(long, value_name = "ID")]
    user: Option<i64>,
    #[arg(long, value_name = "ID")]
    course: Option<i64>,
    /// The grants of this order's user for its courses
    #[arg(long, value_name = "N")]
    order: Option<String>,
    /// Include soft-deleted rows
    #[arg(long)]
    all: bool,
    /// Grants with id below this (next page)
    #[arg(long, value_name = "ID")]
    before: Option<i64>,
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// List the (user, course) pairs granted more than once
    #[arg(long, conflicts_with = "merge")]
    duplicates: bool,
    /// Merge every duplicate: keep the oldest grant (with the furthest progress), remove the rest
    #[arg(long, requires = "reason")]
    merge: bool,
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn grants_cmd(ctx: &Ctx, a: GrantsArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    if a.duplicates {
        let d = rt
            .block_on(grant::duplicates(&desk, a.limit.max(1)))
            .map_err(Failure::from)?;
        if ctx.json {
            output::json(&d);
        } else {
            for x in &d {
                output::line(&format!(
                    "user {} course {}: {} grants {:?}",
                    x.user_id, x.course_id, x.count, x.grant_ids
                ));
            }
            output::line(&format!("{} duplicated pair(s)", d.len()));
        }
        return Ok(Exit::Ok);
    }
    if a.merge {
        let r = rt
            .block_on(grant::merge_duplicates(
                &desk,
                a.reason.as_deref().unwrap_or_default(),
                progress(ctx),
            ))
            .map_err(Failure::from)?;
        print(
            ctx,
            &r,
            &format!(
                "merged {} pair(s), removed {} duplicate grant(s)",
                r.pairs, r.grants_removed
            ),
        );
        return Ok(Exit::Ok);
    }
    let order_id = match a.order.as_deref().map(parse_order).transpose()? {
        None => None,
        Some(OrderRef::Id(id)) => Some(id),
        Some(r) => Some(
            rt.block_on(paydesk_core::lookup::order(&desk.store, &r))?
                .id,
        ),
    };
    let f = GrantFilter {
        user_id: a.user,
        course_id: a.course,
        order_id,
        include_deleted: a.all,
        before_id: a.before,
        limit: a.limit,
    };
    let rows = rt.block_on(grant::list(&desk, &f)).map_err(Failure::from)?;
    if ctx.json {
        output::json(&rows);
    } else {
        for g in &rows {
            output::line(&format!(
                "grant {}  user {}  course {}  since {}  study {}s{}",
                g.id,
                g.user_id,
                g.course_id,
                g.base.created_time.format("%Y-%m-%d %H:%M:%S"),
                g.study_time,
                if g.base.is_deleted { "  (deleted)" } else { "" }
            ));
        }
        output::line(&format!("{} grant(s)", rows.len()));
    }
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk grant --user 12 --course 3 --reason 'compensation for outage'
  paydesk grant --restore 881 --reason 'revoked by mistake'   # audit row of the revoke")]
pub struct GrantArgs {
    #[arg(long, value_name = "ID", required_unless_present = "restore")]
    user: Option<i64>,
    #[arg(long, value_name = "ID", required_unless_present = "restore")]
    course: Option<i64>,
    /// Put back a revoked grant from its revoke audit row
    #[arg(long, value_name = "AUDIT_ID", conflicts_with_all = ["user", "course"])]
    restore: Option<i64>,
    /// Why (required; kept in the audit log)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn grant_cmd(ctx: &Ctx, a: GrantArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    let r = match (a.restore, a.user, a.course) {
        (Some(audit), _, _) => rt.block_on(grant::restore(&desk, audit, &a.reason)),
        (None, Some(u), Some(c)) => rt.block_on(grant::grant(&desk, u, c, &a.reason)),
        _ => {
            return Err(Failure::usage(
                "give --user and --course, or --restore AUDIT_ID",
            ));
        }
    }
    .map_err(Failure::from)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The grant (ly_user_course id)
    #[arg(value_name = "GRANT_ID")]
    grant: i64,
    /// Why (required; the whole row is kept in the audit log for `grant --restore`)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Required on a production profile: the grant id again
    #[arg(long, value_name = "GRANT_ID")]
    confirm: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn revoke_cmd(ctx: &Ctx, a: RevokeArgs) -> CmdResult {
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    desk.confirm(Guarded::Revoke, a.confirm.as_deref(), &a.grant.to_string())?;
    let r = rt
        .block_on(grant::revoke(&desk, a.grant, &a.reason))
        .map_err(Failure::from)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}
