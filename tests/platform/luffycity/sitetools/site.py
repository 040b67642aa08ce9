"""What the site's own code does, in one place, for the commands: the models of this copy (some
may be absent), the create-order rules of orders/serializers.py, the payment-success rules of
payments/views.py, and the coupon-to-Redis helper. Written for these tests from the seed and
docs/PLATFORM.md; money in exact decimals where the site used floats."""

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from luffycityapi import constants
from luffycityapi.models import DELETED

CENT = Decimal("0.01")


def model(label):
    """A model of this copy, or None when the copy has no such table (`minimal`)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


User = model("users.User")
Credit = model("users.Credit")
UserCourse = model("users.UserCourse")
Course = model("courses.Course")
Order = model("orders.Order")
OrderDetail = model("orders.OrderDetail")
Coupon = model("coupon.Coupon")
CouponLog = model("coupon.CouponLog")


def yuan(x):
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def not_deleted():
    """`is_deleted=False` in this copy's spelling."""
    return {DELETED: False}


class OrderCounter:
    """The site numbers orders with Redis `INCR order_number`; a fresh Redis starts at 1."""

    def __init__(self):
        self.n = 0

    def next(self, user_id, day):
        self.n += 1
        return day.strftime("%Y%m%d") + "%08d" % user_id + "%08d" % self.n


def create_order(counter, user, courses, *, credits=0, coupon_log=None, activity=None, pay_type=0, day=None):
    """orders/serializers.py OrderModelSerializer.create: order (status 0) and its courses; the
    coupon bound to the order; the credits taken from user.credit at once and kept on
    order.credit. `activity` maps a course id to (activity price, discount name), which the site
    computes from its activity tables.

    Unlike the site (which lets the credit discount overwrite the coupon's, in floats), both
    discounts are applied, in exact yuan: the result only has to be a valid order."""
    activity = activity or {}
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.create(
            name="购买课程",
            user_id=user.id,
            order_number=counter.next(user.id, day or (timezone.localtime(now) if settings.USE_TZ else now)),
            pay_type=pay_type,
        )
        details, total, max_course, max_credit = [], Decimal("0"), None, 0
        for course in courses:
            price, discount_name = activity.get(course.id, (None, ""))
            details.append(
                OrderDetail(
                    order=order,
                    course=course,
                    name=course.name,
                    price=course.price,
                    real_price=course.price if price is None else yuan(price),
                    discount_name=discount_name,
                )
            )
            total += course.price if price is None else yuan(price)
            if coupon_log and price is None and (max_course is None or course.price >= max_course.price):
                max_course = course
            if credits > 0 and (course.credit or 0) > 0:
                max_credit += course.credit
        discount = Decimal("0")
        if coupon_log:
            sale = Decimal(coupon_log.coupon.sale[1:])
            discount += sale if coupon_log.coupon.discount == 1 else yuan(max_course.price * (1 - sale))
        if credits > 0:
            if credits > user.credit or credits > max_credit:
                raise ValueError(f"{credits} credits: more than the balance or the courses allow")
            order.credit = credits
            discount += Decimal(credits) / constants.CREDIT_TO_MONEY
            user.credit -= credits
            user.save()
        OrderDetail.objects.bulk_create(details)
        order.total_price = total
        order.real_price = max(yuan(total - discount), CENT)
        order.save()
        if coupon_log:
            coupon_log.order = order
            coupon_log.save()
    return order


def pay_order(order, when):
    """payments/views.py after Alipay says TRADE_SUCCESS: status 1 + pay_time, a ledger row
    for the credits spent (positive, operation 1, as the site writes it), the coupon used, one
    UserCourse per order course."""
    with transaction.atomic():
        order.pay_time = when
        order.order_status = 1
        order.save()
        if Credit and (order.credit or 0) > 0:
            Credit.objects.create(operation=1, number=order.credit, user=order.user)
        if CouponLog:
            log = CouponLog.objects.filter(order=order).first()
            if log:
                log.use_time = when
                log.use_status = 1
                log.save()
        if UserCourse:
            UserCourse.objects.bulk_create(
                [UserCourse(course=d.course, user=order.user) for d in order.order_courses.all()]
            )


def cancel_order(order, status):
    """Cancel (2) or time out (3): credits back to the user, the order's status set."""
    with transaction.atomic():
        if (order.credit or 0) > 0:
            order.user.credit += order.credit
            order.user.save()
        order.order_status = status
        order.save()


def coupon_hash(log):
    """The site's add_coupon_to_redis: the fields of an issued coupon as it keeps them in Redis
    DB 5. Times are the ORM's values formatted as they come (so UTC under USE_TZ=True, as the
    site's own code would write them); the site has no direction/category/course relation tables
    here, so those are empty JSON lists."""
    c = log.coupon
    fmt = "%Y-%m-%d %H:%M:%S"
    return {
        "coupon_id": c.id,
        "name": c.name,
        "discount": c.discount,
        "get_discount_display": c.get_discount_display(),
        "coupon_type": c.coupon_type,
        "get_coupon_type_display": c.get_coupon_type_display(),
        "start_time": c.start_time.strftime(fmt),
        "end_time": c.end_time.strftime(fmt),
        "get_type": c.get_type,
        "get_get_type_display": c.get_get_type_display(),
        "condition": c.condition,
        "sale": c.sale,
        "to_direction": json.dumps([]),
        "to_category": json.dumps([]),
        "to_course": json.dumps([]),
    }


def unix_time(dt):
    """A datetime read through the ORM as a Unix time: aware ones carry their zone, naive ones are
    TIME_ZONE (Beijing) by Django's convention."""
    if timezone.is_naive(dt):
        dt = dt.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return dt.timestamp()


def put_coupon_in_redis(redis_client, log):
    """One hash per issued coupon at `{user_id}:{coupon_log_id}`, expiring at the coupon's end."""
    key = f"{log.user_id}:{log.id}"
    pipe = redis_client.pipeline()
    pipe.multi()
    pipe.delete(key)
    pipe.hset(key, mapping=coupon_hash(log))
    pipe.expireat(key, int(unix_time(log.coupon.end_time)))
    pipe.execute()
    return key


def as_json(value):
    """JSON for a value read through the ORM: decimals as exact strings, datetimes as ISO text
    (with +00:00 when Django hands back an aware UTC value, without an offset when naive)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
