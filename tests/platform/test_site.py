"""The suite's own Django site, without Paydesk: its committed migrations are what
`makemigrations` makes of its models (per variant), its seed passes its own validation, and the
validation really catches rows Django refuses — so a green platform test means something."""

import json
import os
import subprocess
import sys
import time

import pytest
import redis

from harness import SITE, VARIANTS, Failed, Platform


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_migrations_are_what_makemigrations_makes(variant, tmp_path):
    env = dict(os.environ, PLATFORM_VARIANT=variant, PLATFORM_DATABASE=str(tmp_path / "x.sqlite3"))
    p = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=SITE, env=env, capture_output=True, text=True)
    assert p.returncode == 0, f"models and migrations_{variant} differ: run makemigrations with PLATFORM_VARIANT={variant}\n{p.stdout}{p.stderr}"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_seed_is_valid(variant, tmp_path):
    p = Platform("sqlite", False, variant, tmp_path)
    m = p.build()
    site = p.validate()
    assert {o["order_status"] for o in site.doc["orders"].values()} == {0, 1, 2, 3}
    assert site.order(m["orders"]["unpaid_exact"]["order_number"])["real_price"] == "399.50"
    # The unpaid order that spent credits: taken from the balance at once, kept on the order.
    assert site.order(m["orders"]["unpaid_credits"]["order_number"])["credit"] == 100
    assert site.user(m["users"]["xiaoming"]["id"])["credit"] == 900
    # What the tables of this copy are called, as the variant says.
    tables = set(site.doc["rows"])
    assert set(p.variant.tables.values()) <= tables, tables
    for role in ("credit", "coupon", "coupon_log", "user_course"):
        assert p.variant.has(role) == (role in p.variant.tables)


def test_validate_catches_rows_django_refuses(tmp_path):
    p = Platform("sqlite", False, "standard", tmp_path)
    m = p.build()
    order = m["orders"]["unpaid_exact"]["id"]
    p.shell(
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute('UPDATE ly_order SET order_status = 7 WHERE id = {order}')\n"
        "    c.execute(\"UPDATE ly_user_course SET created_time = 'yesterday' WHERE id = 1\")\n"
    )
    with pytest.raises(Failed) as e:
        p.validate()
    text = str(e.value)
    assert f"ly_order pk={order}" in text and "order_status" in text, text
    assert "ly_user_course pk=1: {'created_time'" in text, text


@pytest.mark.parametrize("use_tz", [False, True], ids=["naive", "use_tz"])
def test_site_coupon_to_redis_writes_the_sites_hash(use_tz, tmp_path, redis_url):
    p = Platform("sqlite", use_tz, "standard", tmp_path)
    m = p.build()
    r = redis.Redis.from_url(redis_url + "/6", decode_responses=True)
    r.flushdb()
    log = m["coupon_logs"]["free"]
    out = json.loads(p.manage("site_coupon_to_redis", "--log", str(log), "--redis", redis_url + "/6").stdout)
    assert out["key"] == f"{m['users']['xiaoming']['id']}:{log}"
    h = r.hgetall(out["key"])
    assert h == out["hash"]
    assert set(h) == {
        "coupon_id", "name", "discount", "get_discount_display", "coupon_type", "get_coupon_type_display",
        "start_time", "end_time", "get_type", "get_get_type_display", "condition", "sale",
        "to_direction", "to_category", "to_course",
    }
    assert (h["coupon_id"], h["discount"], h["get_discount_display"], h["sale"], h["to_course"]) == (str(m["coupons"]["off88"]), "2", "折扣", "*0.88", "[]")
    # The seed's coupon ends 30 days 5 hours from now: the key expires then.
    want = 30 * 86400 + 5 * 3600
    assert abs(r.ttl(out["key"]) - want) <= 60, r.ttl(out["key"])
    assert time.strptime(h["end_time"], "%Y-%m-%d %H:%M:%S")
