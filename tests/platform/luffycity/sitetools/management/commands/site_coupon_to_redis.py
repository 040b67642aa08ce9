"""`manage.py site_coupon_to_redis --log ID [--redis URL]`: the site's own way to list an issued
coupon for its user — a hash at `{user_id}:{coupon_log_id}` in the coupon Redis (DB 5), expiring
at the coupon's end_time — so a test can compare what Paydesk writes back with what the site's
code writes. Prints the key, the hash and its TTL as JSON."""

import json
import os

import redis
from django.core.management.base import BaseCommand

from sitetools.site import CouponLog, put_coupon_in_redis


class Command(BaseCommand):
    help = "Put an issued coupon in Redis as the site does"

    def add_arguments(self, parser):
        parser.add_argument("--log", type=int, required=True, help="the coupon log id")
        parser.add_argument("--redis", default=os.environ.get("PLATFORM_REDIS", "redis://127.0.0.1:6379/5"))

    def handle(self, *args, **opts):
        r = redis.Redis.from_url(opts["redis"], decode_responses=True)
        log = CouponLog.objects.select_related("coupon").get(pk=opts["log"])
        key = put_coupon_in_redis(r, log)
        self.stdout.write(json.dumps({"key": key, "hash": r.hgetall(key), "ttl": r.ttl(key)}, ensure_ascii=False))
