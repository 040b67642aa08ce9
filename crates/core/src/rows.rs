//! Row structs of the platform tables and Paydesk's own. Money is `Decimal` (a string in JSON),
//! datetimes naive Asia/Shanghai. Decoding from [`Row`] lives here so sqlx stays in db.rs.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Names, Row, yuan_col};
use crate::domain::{
    CouponDiscount, CouponSale, CouponType, CreditOperation, DomainError, OrderStatus, PayType,
    RefundStatus, UseStatus,
};
use crate::error::{Result, StoreError};

/// Django's BaseModel columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Base {
    pub name: Option<String>,
    pub is_deleted: bool,
    pub orders: i64,
    pub is_show: bool,
    pub created_time: NaiveDateTime,
    pub updated_time: NaiveDateTime,
}

/// `alias.name, alias.<deleted> AS is_deleted, …` for a SELECT; the alias hides the spelling.
pub fn base_cols(n: &Names, alias: &str) -> String {
    base_cols_named(n, alias, "name")
}

/// [`base_cols`] where BaseModel's `name` is spelled otherwise (the order title).
fn base_cols_named(n: &Names, alias: &str, name: &str) -> String {
    format!(
        "{a}.{name} AS name, {a}.{d} AS is_deleted, {a}.orders, {a}.is_show, {a}.created_time, {a}.updated_time",
        a = alias,
        d = n.deleted
    )
}

impl Base {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Base {
            name: r.opt_string("name")?,
            is_deleted: r.bool("is_deleted")?,
            orders: r.i64("orders")?,
            is_show: r.bool("is_show")?,
            created_time: r.time("created_time")?,
            updated_time: r.time("updated_time")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub total_price: Decimal,
    pub real_price: Decimal,
    /// As stored (not re-validated: a row must always be readable).
    pub order_number: String,
    pub order_status: OrderStatus,
    pub pay_type: PayType,
    pub order_desc: Option<String>,
    pub pay_time: Option<NaiveDateTime>,
    pub user_id: i64,
    /// Credits spent on this order (nullable in the table).
    pub credit: Option<i64>,
}

pub fn order_cols(n: &Names, a: &str) -> String {
    // The title may be spelled otherwise (`order_title`): select it under BaseModel's name.
    let base = base_cols_named(n, a, &n.order_name);
    format!(
        "{a}.id, {base}, {}, {}, {a}.order_number, {a}.order_status, {a}.pay_type, \
         {a}.order_desc, {a}.pay_time, {a}.user_id, {a}.credit",
        money(n, a, "total_price"),
        money(n, a, "real_price"),
    )
}

/// A platform money column for a SELECT list, under its own name (see [`crate::db::yuan_col`]).
fn money(n: &Names, a: &str, col: &str) -> String {
    yuan_col(n.dialect, &format!("{a}.{col}"), col)
}

impl OrderRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(OrderRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            total_price: r.yuan("total_price")?,
            real_price: r.yuan("real_price")?,
            order_number: r.string("order_number")?,
            order_status: r.i64("order_status")?.into(),
            pay_type: r.i64("pay_type")?.into(),
            order_desc: r.opt_string("order_desc")?,
            pay_time: r.opt_time("pay_time")?,
            user_id: r.i64("user_id")?,
            credit: r.opt_i64("credit")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderCourseRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub order_id: i64,
    pub course_id: i64,
    /// The course's original price.
    pub price: Decimal,
    /// After the activity discount (what the site charged for it before coupon/credits).
    pub real_price: Decimal,
    pub discount_name: String,
}

pub fn order_course_cols(n: &Names, a: &str) -> String {
    format!(
        "{a}.id, {}, {a}.order_id, {a}.course_id, {}, {}, {a}.discount_name",
        base_cols(n, a),
        money(n, a, "price"),
        money(n, a, "real_price"),
    )
}

impl OrderCourseRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(OrderCourseRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            order_id: r.i64("order_id")?,
            course_id: r.i64("course_id")?,
            price: r.yuan("price")?,
            real_price: r.yuan("real_price")?,
            discount_name: r.string("discount_name")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub mobile: String,
    pub name: Option<String>,
    pub money: Decimal,
    /// Credit balance.
    pub credit: i64,
    pub is_active: bool,
    pub date_joined: NaiveDateTime,
}

pub fn user_cols(n: &Names, a: &str) -> String {
    // The display name is `nickname` in some copies and absent in others: only shown.
    let name = n.user_name.as_ref().map_or_else(
        || "NULL AS name".to_string(),
        |c| format!("{a}.{c} AS name"),
    );
    format!(
        "{a}.id, {a}.username, {a}.mobile, {name}, {}, {a}.credit, {a}.is_active, {a}.date_joined",
        money(n, a, "money")
    )
}

impl UserRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(UserRow {
            id: r.i64("id")?,
            username: r.string("username")?,
            mobile: r.string("mobile")?,
            name: r.opt_string("name")?,
            money: r.yuan("money")?,
            credit: r.i64("credit")?,
            is_active: r.bool("is_active")?,
            date_joined: r.time("date_joined")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    /// NULL in some copies of the site: such a course cannot be priced.
    pub price: Option<Decimal>,
    /// Most credits an order of this course may absorb.
    pub credit: Option<i64>,
}

pub fn course_cols(n: &Names, a: &str) -> String {
    format!(
        "{a}.id, {}, {}, {a}.credit",
        base_cols(n, a),
        money(n, a, "price")
    )
}

impl CourseRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(CourseRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            price: r.opt_yuan("price")?,
            credit: r.opt_i64("credit")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CouponRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub discount: CouponDiscount,
    pub coupon_type: CouponType,
    pub total: i64,
    pub has_total: i64,
    pub start_time: NaiveDateTime,
    pub end_time: NaiveDateTime,
    pub get_type: i64,
    /// Minimum order price (yuan, integer in the site's model).
    pub condition: i64,
    pub per_limit: i64,
    /// As stored; parse with [`CouponRow::sale`].
    pub sale: String,
}

pub fn coupon_cols(n: &Names, a: &str, cond: &str) -> String {
    format!(
        "{a}.id, {}, {a}.discount, {a}.coupon_type, {a}.total, {a}.has_total, {a}.start_time, {a}.end_time, \
         {a}.get_type, {a}.{cond} AS coupon_condition, {a}.per_limit, {a}.sale",
        base_cols(n, a)
    )
}

impl CouponRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(CouponRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            discount: r.i64("discount")?.into(),
            coupon_type: r.i64("coupon_type")?.into(),
            total: r.i64("total")?,
            has_total: r.i64("has_total")?,
            start_time: r.time("start_time")?,
            end_time: r.time("end_time")?,
            get_type: r.i64("get_type")?,
            condition: r.i64("coupon_condition")?,
            per_limit: r.i64("per_limit")?,
            sale: r.string("sale")?,
        })
    }

    pub fn sale(&self) -> Result<CouponSale, DomainError> {
        CouponSale::parse(&self.sale)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CouponLogRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub user_id: i64,
    pub coupon_id: i64,
    pub order_id: Option<i64>,
    pub use_time: Option<NaiveDateTime>,
    pub use_status: Option<UseStatus>,
}

pub fn coupon_log_cols(n: &Names, a: &str) -> String {
    format!(
        "{a}.id, {}, {a}.user_id, {a}.coupon_id, {a}.order_id, {a}.use_time, {a}.use_status",
        base_cols(n, a)
    )
}

impl CouponLogRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(CouponLogRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            user_id: r.i64("user_id")?,
            coupon_id: r.i64("coupon_id")?,
            order_id: r.opt_i64("order_id")?,
            use_time: r.opt_time("use_time")?,
            use_status: r.opt_i64("use_status")?.map(UseStatus::from),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub operation: CreditOperation,
    pub number: i64,
    pub user_id: i64,
    pub remark: Option<String>,
}

pub fn credit_cols(n: &Names, a: &str) -> String {
    format!(
        "{a}.id, {}, {a}.{} AS operation, {a}.number, {a}.user_id, {a}.remark",
        base_cols(n, a),
        n.credit_operation
    )
}

impl CreditRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(CreditRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            operation: r.i64("operation")?.into(),
            number: r.i64("number")?,
            user_id: r.i64("user_id")?,
            remark: r.opt_string("remark")?,
        })
    }
}

/// A `ly_user_course` row: the user may study the course.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantRow {
    pub id: i64,
    #[serde(flatten)]
    pub base: Base,
    pub user_id: i64,
    pub course_id: i64,
    pub chapter_id: Option<i64>,
    pub lesson_id: Option<i64>,
    pub study_time: i64,
}

pub fn grant_cols(n: &Names, a: &str) -> String {
    format!(
        "{a}.id, {}, {a}.user_id, {a}.course_id, {a}.chapter_id, {a}.lesson_id, {a}.study_time",
        base_cols(n, a)
    )
}

impl GrantRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(GrantRow {
            id: r.i64("id")?,
            base: Base::from_row(r)?,
            user_id: r.i64("user_id")?,
            course_id: r.i64("course_id")?,
            chapter_id: r.opt_i64("chapter_id")?,
            lesson_id: r.opt_i64("lesson_id")?,
            study_time: r.i64("study_time")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefundRow {
    pub id: i64,
    pub out_request_no: String,
    pub order_id: i64,
    pub order_number: String,
    pub trade_no: Option<String>,
    pub amount: Decimal,
    pub reason: String,
    pub status: RefundStatus,
    pub operator: String,
    pub profile: String,
    pub full_refund: bool,
    pub gateway_code: Option<String>,
    pub gateway_sub_code: Option<String>,
    pub gateway_msg: Option<String>,
    pub fund_change: Option<String>,
    pub refund_fee: Option<Decimal>,
    pub gmt_refund_pay: Option<NaiveDateTime>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_time: NaiveDateTime,
    pub updated_time: NaiveDateTime,
    pub resolved_time: Option<NaiveDateTime>,
}

pub const REFUND_COLS: &str = "id, out_request_no, order_id, order_number, trade_no, amount, reason, status, operator, \
     profile, full_refund, gateway_code, gateway_sub_code, gateway_msg, fund_change, refund_fee, gmt_refund_pay, \
     attempts, last_error, created_time, updated_time, resolved_time";

impl RefundRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        let status = r.string("status")?;
        Ok(RefundRow {
            id: r.i64("id")?,
            out_request_no: r.string("out_request_no")?,
            order_id: r.i64("order_id")?,
            order_number: r.string("order_number")?,
            trade_no: r.opt_string("trade_no")?,
            amount: r.money("amount")?,
            reason: r.string("reason")?,
            status: RefundStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("paydesk_refunds.status {status:?}")))?,
            operator: r.string("operator")?,
            profile: r.string("profile")?,
            full_refund: r.bool("full_refund")?,
            gateway_code: r.opt_string("gateway_code")?,
            gateway_sub_code: r.opt_string("gateway_sub_code")?,
            gateway_msg: r.opt_string("gateway_msg")?,
            fund_change: r.opt_string("fund_change")?,
            refund_fee: r.opt_money("refund_fee")?,
            gmt_refund_pay: r.opt_time("gmt_refund_pay")?,
            attempts: r.i64("attempts")?,
            last_error: r.opt_string("last_error")?,
            created_time: r.time("created_time")?,
            updated_time: r.time("updated_time")?,
            resolved_time: r.opt_time("resolved_time")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub operator: String,
    pub profile: String,
    pub action: String,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub user_id: Option<i64>,
    pub reason: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub outcome: String,
    pub detail: Option<String>,
}

pub const AUDIT_COLS: &str = "id, at, operator, profile, action, order_id, order_number, user_id, reason, before_json, after_json, outcome, detail";

impl AuditRow {
    pub fn from_row(r: &Row) -> Result<Self> {
        let json = |col: &str| -> Result<Option<serde_json::Value>> {
            r.opt_string(col)?
                .map(|s| {
                    serde_json::from_str(&s)
                        .map_err(|e| StoreError::Corrupt(format!("paydesk_audit_log.{col}: {e}")))
                })
                .transpose()
        };
        Ok(AuditRow {
            id: r.i64("id")?,
            at: r.time("at")?,
            operator: r.string("operator")?,
            profile: r.string("profile")?,
            action: r.string("action")?,
            order_id: r.opt_i64("order_id")?,
            order_number: r.opt_string("order_number")?,
            user_id: r.opt_i64("user_id")?,
            reason: r.opt_string("reason")?,
            before: json("before_json")?,
            after: json("after_json")?,
            outcome: r.string("outcome")?,
            detail: r.opt_string("detail")?,
        })
    }
}
