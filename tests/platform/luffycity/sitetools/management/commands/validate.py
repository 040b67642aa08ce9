"""`manage.py validate`: does Django still accept every row, whoever wrote it?

Loads every row of every table of every installed app through the ORM, one by one (a row Django
cannot even load is reported, and the rest are still checked), and runs full_clean() on each.
Then the site's own reads, as its views make them: each order by order_number with its courses,
each user's balance, courses, credit history and coupon logs. Prints one JSON document; exits 1
when any row fails, listing each failure.

One allowance, because the site's own code needs it: BaseModel.name (and OrderDetail's
discount_name) is CharField(default="") without blank=True, and the site's own
Credit.objects.create(...) / UserCourse(...) leave it at that default, which full_clean() calls
blank. A field still at its model default is held to no more than the site's own rows; such
cases are counted under "tolerated", never hidden."""

import json

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from luffycityapi.variant import VARIANT
from sitetools.site import Credit, CouponLog, Order, User, UserCourse, as_json


def row_errors(obj):
    """(errors that count, errors tolerated) of full_clean(), as {field: [messages]}."""
    try:
        obj.full_clean()
        return {}, {}
    except ValidationError as e:
        if not hasattr(e, "error_dict"):
            return {"__all__": [m for m in e.messages]}, {}
        real, tolerated = {}, {}
        for name, errs in e.error_dict.items():
            for err in errs:
                msg = " ".join(err.messages)
                field = next((f for f in obj._meta.concrete_fields if f.name == name), None)
                at_default = (
                    err.code == "blank"
                    and field is not None
                    and field.has_default()
                    and getattr(obj, field.attname) == field.get_default()
                )
                (tolerated if at_default else real).setdefault(name, []).append(msg)
        return real, tolerated


def check_all():
    failures, tolerated, counts = [], [], {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        n = 0
        try:
            pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
        except Exception as e:  # the table cannot even be listed
            failures.append({"model": model._meta.label, "table": table, "pk": None, "errors": {"__load__": [repr(e)]}})
            continue
        for pk in pks:
            n += 1
            try:
                obj = model._base_manager.get(pk=pk)
            except Exception as e:
                failures.append({"model": model._meta.label, "table": table, "pk": pk, "errors": {"__load__": [repr(e)]}})
                continue
            real, tol = row_errors(obj)
            # A NOT NULL column that loads as None holds text Django cannot parse (SQLite hands
            # such a datetime back as None, and full_clean() skips auto_now fields).
            for f in obj._meta.concrete_fields:
                if not f.null and not f.primary_key and getattr(obj, f.attname) is None:
                    real.setdefault(f.name, []).append("NOT NULL, but Django reads None: a stored value it cannot parse")
            if real:
                failures.append({"model": model._meta.label, "table": table, "pk": pk, "errors": real})
            if tol:
                tolerated.append({"table": table, "pk": pk, "fields": sorted(tol)})
        counts[table] = n
    return failures, tolerated, counts


def fields(obj, names):
    return {n: as_json(getattr(obj, n)) for n in names}


BASE = ["id", "name", "is_show", "orders", VARIANT.deleted, "created_time", "updated_time"]


def read_order(number):
    """The site's payments views: Order.objects.get(order_number=...), then order.order_courses."""
    o = Order.objects.get(order_number=number)
    out = fields(o, BASE + ["order_number", "order_status", "total_price", "real_price", "pay_type", "order_desc", "pay_time", "user_id", "credit"])
    out["status_display"] = o.get_order_status_display()
    out["courses"] = [
        fields(d, ["id", "name", "course_id", "price", "real_price", "discount_name", VARIANT.deleted])
        for d in o.order_courses.all().order_by("id")
    ]
    if CouponLog:
        out["coupon_logs"] = [fields(c, ["id", "coupon_id", "use_status", "use_time"]) for c in CouponLog.objects.filter(order=o).order_by("id")]
    return out


def read_user(u):
    out = fields(u, ["id", "username", "mobile", VARIANT.user_name, "credit", "money", "study_time"])
    if UserCourse:
        # The site's "my courses": every grant row of the user (the flag shown, the test decides).
        out["courses"] = [
            fields(g, ["id", "course_id", "name", VARIANT.deleted, "chapter_id", "lesson_id", "study_time", "created_time", "updated_time"])
            for g in u.user_courses.all().order_by("id")
        ]
    if Credit:
        out["credit_history"] = [
            dict(fields(c, ["id", "operation", "number", "remark", "name", "created_time", "updated_time"]), operation_display=c.get_operation_display())
            for c in u.user_credits.all().order_by("id")
        ]
    if CouponLog:
        out["coupon_logs"] = [
            fields(c, ["id", "coupon_id", "order_id", "use_status", "use_time", "updated_time"])
            for c in CouponLog.objects.filter(user=u).order_by("id")
        ]
    return out


class Command(BaseCommand):
    help = "full_clean() every row, then the site's reads; JSON on stdout, exit 1 on failures"

    def handle(self, *args, **opts):
        failures, tolerated, counts = check_all()
        orders = {}
        numbers = sorted(set(Order._base_manager.values_list("order_number", flat=True)))
        for n in numbers:
            try:
                orders[n] = read_order(n)
            except Exception as e:  # e.g. MultipleObjectsReturned: the site's .get() breaks
                failures.append({"model": "orders.Order", "table": Order._meta.db_table, "pk": None, "errors": {"order_number": [f"the site's Order.objects.get(order_number={n!r}) fails: {e!r}"]}})
        users = {}
        for u in User._base_manager.order_by("id"):
            try:
                users[str(u.id)] = read_user(u)
            except Exception as e:
                failures.append({"model": "users.User", "table": User._meta.db_table, "pk": u.id, "errors": {"__read__": [repr(e)]}})
        doc = {"ok": not failures, "failures": failures, "tolerated": tolerated, "rows": counts, "orders": orders, "users": users}
        self.stdout.write(json.dumps(doc, ensure_ascii=False, default=str))
        if failures:
            raise SystemExit(1)
