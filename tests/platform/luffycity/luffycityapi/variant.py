"""Which copy of the Luffycity site this is. Public copies differ in table names, column
spellings and which apps they have (docs PLATFORM.md); Paydesk must work on each, so the suite
runs the same site in three shapes, chosen by the env var PLATFORM_VARIANT:

  standard  the course's copy: fg_users (display column `name`), BaseModel flag `is_deleted`,
            every table (credit ledger, coupons, user courses)
  lf        another copy: lf_users with `nickname`, BaseModel flag `is_delete`, the orders app's
            tables prefixed lf_ (lf_order, lf_order_course); the rest as standard
  minimal   users, courses and orders only: no credit ledger, no coupons, no user courses

The models read this module; so do the tests (to write the matching paydesk.toml).
"""

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    name: str
    # role -> table name; a role that is absent means the site has no such table.
    tables: dict = field(default_factory=dict)
    user_name: str = "name"  # the users' display column
    deleted: str = "is_deleted"  # BaseModel's soft-delete flag

    def has(self, role):
        return role in self.tables


_STANDARD_TABLES = {
    "users": "fg_users",
    "credit": "fg_credit",
    "course": "fg_course_info",
    "order": "ly_order",
    "order_course": "ly_order_course",
    "coupon": "ly_coupon",
    "coupon_log": "ly_coupon_log",
    "user_course": "ly_user_course",
}

VARIANTS = {
    "standard": Variant("standard", dict(_STANDARD_TABLES)),
    "lf": Variant(
        "lf",
        {**_STANDARD_TABLES, "users": "lf_users", "order": "lf_order", "order_course": "lf_order_course"},
        user_name="nickname",
        deleted="is_delete",
    ),
    "minimal": Variant(
        "minimal",
        {k: v for k, v in _STANDARD_TABLES.items() if k in ("users", "course", "order", "order_course")},
    ),
}


def current():
    name = os.environ.get("PLATFORM_VARIANT", "standard")
    try:
        return VARIANTS[name]
    except KeyError:
        raise SystemExit(f"PLATFORM_VARIANT={name!r}: expected one of {', '.join(VARIANTS)}")


VARIANT = current()
