//! `paydesk test-order`: an order priced as the site prices it, for testers (never on production).

use clap::Args;
use paydesk_core::ops::test_order::{TestCourse, TestOrderRequest, test_order};

use crate::cmd::desk::{DbArgs, open_desk, parse_money, parse_user, print, runtime};
use crate::ctx::Ctx;
use crate::exit::{CmdResult, Exit, Failure};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  paydesk test-order --user 12 --course 3 --course 7:799.00 --coupon-log 55 --credits 100
  paydesk --json test-order --user 13800000001 --course 3

COURSE is a course id, or ID:PRICE to apply an activity price (the site reads those from its
activity tables, which Paydesk does not); refused on a production profile.")]
pub struct TestOrderArgs {
    /// The buyer: user id, 11-digit mobile, or username
    #[arg(long, value_name = "USER")]
    user: String,
    /// A course (repeat for several): ID or ID:ACTIVITY_PRICE
    #[arg(long = "course", value_name = "COURSE", required = true)]
    courses: Vec<String>,
    /// An unused coupon of the user (its ly_coupon_log id)
    #[arg(long, value_name = "ID")]
    coupon_log: Option<i64>,
    /// Credits to spend (10 credits = ¥1), capped by the courses and the balance
    #[arg(long, default_value_t = 0)]
    credits: i64,
    /// A note stored in order_desc and the audit log
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

pub fn test_order_cmd(ctx: &Ctx, a: TestOrderArgs) -> CmdResult {
    let mut courses = Vec::new();
    for c in &a.courses {
        let (id, price) = match c.split_once(':') {
            Some((id, p)) => (id, Some(parse_money(p).map_err(Failure::usage)?)),
            None => (c.as_str(), None),
        };
        let course_id = id
            .trim()
            .parse::<i64>()
            .map_err(|_| Failure::usage(format!("--course {c:?}: expected ID or ID:PRICE")))?;
        courses.push(TestCourse {
            course_id,
            activity_price: price,
            activity_name: None,
        });
    }
    let rt = runtime()?;
    let desk = open_desk(ctx, &a.db, false, &rt)?;
    let req = TestOrderRequest {
        user: parse_user(&a.user),
        courses,
        coupon_log_id: a.coupon_log,
        credits: a.credits,
        note: a.note,
    };
    let r = rt
        .block_on(test_order(&desk, &req))
        .map_err(Failure::from)?;
    print(ctx, &r, &r.message);
    Ok(Exit::Ok)
}
