"""`manage.py seed`: a small platform written through the ORM only, as the site's own code would
leave it, and a JSON manifest of what was made (ids and order numbers) on stdout for the tests.

Orders in every status: paid ones with their grants and ledger rows (days ago, so they lie
outside the day a test reconciles), a cancelled and a timed-out one, and unpaid ones made the way
the site makes them: one that spent credits (user.credit already deducted, order.credit set), one
with a coupon bound, one with both, plain ones at exact prices (399.50, 2398.00, 99.90), one made
20 minutes ago (due for expiry) and one made a minute ago (not due). Duplicate grants as the
racy site leaves them. In a copy without credit ledger, coupons or grants (`minimal`) those parts
are skipped. Creation times are set with update(): auto_now_add ignores a given value."""

import json
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.utils import timezone

from luffycityapi.variant import VARIANT
from sitetools.site import (
    Coupon,
    CouponLog,
    Course,
    Credit,
    Order,
    OrderCounter,
    User,
    UserCourse,
    cancel_order,
    create_order,
    pay_order,
)


class Command(BaseCommand):
    help = "Fill an empty platform database through the ORM; print a JSON manifest"

    def handle(self, *args, **opts):
        now = timezone.now()
        counter = OrderCounter()
        m = {"variant": VARIANT.name, "users": {}, "courses": {}, "coupons": {}, "coupon_logs": {}, "orders": {}, "grants": {}}

        # One hash for everyone: the default hasher's 1,000,000 rounds per user would only cost time.
        password = make_password("luffy-pass-123")
        display = VARIANT.user_name
        users = {}
        for key, username, mobile, nick, credit, money in [
            ("xiaoming", "xiaoming", "13800000001", "小明", 1000, "100.00"),
            ("xiaohong", "xiaohong", "13800000002", "小红", 500, "0.00"),
            ("xiaogang", "xiaogang", "13800000003", "小刚", 0, "12.50"),
        ]:
            u = User(username=username, mobile=mobile, credit=credit, money=Decimal(money), password=password, email=f"{username}@luffycity.cn")
            setattr(u, display, nick)
            u.save()
            users[key] = u
            m["users"][key] = u.id

        courses = {}
        for key, name, price, credit in [
            ("python", "Python全栈开发", "2398.00", 200),
            ("django", "Django进阶实战", "399.50", 50),
            ("vue", "Vue3从入门到精通", "1579.00", 100),
            ("mysql", "MySQL性能优化", "99.90", None),
            ("linux", "Linux运维基础", "799.00", 80),
            ("redis", "Redis入门", "19.90", 0),
        ]:
            c = Course.objects.create(name=name, price=Decimal(price), credit=credit, lessons=30, pub_lessons=12, students=100, description=f"<p>{name}</p>")
            courses[key] = c
            m["courses"][key] = {"id": c.id, "price": price, "credit": credit}

        logs = {}
        if Coupon:
            coupons = {}
            for key, name, discount, sale, condition, start, end in [
                ("minus30", "满100减30", 1, "-30", 100, now - timedelta(days=1), now + timedelta(days=30)),
                ("off88", "全场88折", 2, "*0.88", 0, now - timedelta(days=1), now + timedelta(days=30, hours=5)),
                ("expired", "过期减10", 1, "-10", 0, now - timedelta(days=60), now - timedelta(days=30)),
            ]:
                coupons[key] = Coupon.objects.create(name=name, discount=discount, sale=sale, condition=condition, start_time=start, end_time=end, total=100, has_total=97, get_type=0, coupon_type=0)
                m["coupons"][key] = coupons[key].id
            for key, user, coupon, status in [
                ("used", "xiaoming", "minus30", 0),  # used by the paid order below
                ("bound_off88", "xiaoming", "off88", 0),  # bound to an unpaid order
                ("bound_minus30", "xiaohong", "minus30", 0),  # bound to the unpaid order with credits too
                ("free", "xiaoming", "off88", 0),  # issued, unused, free for a new order
                ("expired", "xiaogang", "expired", 2),
            ]:
                logs[key] = CouponLog.objects.create(name=coupons[coupon].name, user=users[user], coupon=coupons[coupon], use_status=status)
                m["coupon_logs"][key] = logs[key].id

        def order(key, user, names, *, ago=None, **kw):
            made = now - ago if ago is not None else now
            day = timezone.localtime(made) if timezone.is_aware(made) else made
            o = create_order(counter, users[user], [courses[n] for n in names], day=day, **kw)
            if ago is not None:
                Order.objects.filter(pk=o.pk).update(created_time=now - ago, updated_time=now - ago)
                o.refresh_from_db()
            m["orders"][key] = {"id": o.id, "order_number": o.order_number, "real_price": str(o.real_price), "credit": o.credit or 0, "user": users[user].id, "courses": [courses[n].id for n in names]}
            return o

        # Paid days ago, with their grants and ledger rows.
        paid = order("paid_old", "xiaohong", ["vue"], credits=50, ago=timedelta(days=3))
        pay_order(paid, now - timedelta(days=3) + timedelta(minutes=2))
        paid = order("paid_coupon", "xiaoming", ["python"], coupon_log=logs.get("used"), ago=timedelta(days=2))
        pay_order(paid, now - timedelta(days=2) + timedelta(minutes=1))
        # Cancelled and timed out, their credits given back.
        cancel_order(order("cancelled", "xiaohong", ["linux"], credits=20, ago=timedelta(days=1)), 2)
        cancel_order(order("timed_out", "xiaogang", ["mysql"], ago=timedelta(days=1, hours=2)), 3)
        # Unpaid, made just now as the site makes them.
        order("unpaid_credits", "xiaoming", ["django", "linux"], credits=100)
        if CouponLog:
            order("unpaid_coupon", "xiaoming", ["vue", "mysql"], coupon_log=logs["bound_off88"])
        order("unpaid_both", "xiaohong", ["python", "django"], credits=150, coupon_log=logs.get("bound_minus30"))
        order("unpaid_exact", "xiaogang", ["django"])  # 399.50
        order("unpaid_exact2", "xiaogang", ["python"])  # 2398.00
        order("unpaid_missed", "xiaogang", ["mysql"])  # 99.90
        order("unpaid_activity", "xiaogang", ["vue"], activity={courses["vue"].id: ("999.00", "限时折扣")})
        # For expiry: one well past the 15-minute timeout that spent credits, one a minute old.
        order("stale", "xiaohong", ["linux"], credits=40, ago=timedelta(minutes=20))
        order("fresh", "xiaogang", ["redis"], ago=timedelta(minutes=1))

        if UserCourse:
            # The racy site settled paid_old twice: a second grant of the same course.
            first = UserCourse.objects.filter(user=users["xiaohong"], course=courses["vue"]).first()
            dup = UserCourse.objects.create(user=users["xiaohong"], course=courses["vue"])
            m["grants"]["duplicate_pair"] = [first.id, dup.id]

        for key, u in users.items():
            u.refresh_from_db()
            m["users"][key] = {"id": u.id, "credit": u.credit, "mobile": u.mobile, "username": u.username}
        self.stdout.write(json.dumps(m, ensure_ascii=False))
