"""The site lists a user's coupons only from its Redis (DB 5). A coupon Paydesk gives back — an
order closed or expired — must be written back there exactly as the site's own code writes it:
the same hash fields and values, expiring at the coupon's end. What the site writes comes from
`manage.py site_coupon_to_redis` into DB 6; Paydesk's from `redis = ".../5"` in the profile."""

from datetime import timedelta

import json

import pytest
import redis

from harness import RETURN_URL, mysql_url, open_world

WORLDS = [("mariadb", False), ("sqlite", True)]


@pytest.fixture(scope="module", params=WORLDS, ids=[f"{b}-{'use_tz' if tz else 'naive'}" for b, tz in WORLDS])
def world(request, tmp_path_factory, paydesk_bin, sim_data_dir, redis_url):
    backend, use_tz = request.param
    for db in (5, 6):
        redis.Redis.from_url(f"{redis_url}/{db}").flushdb()
    gen = open_world(tmp_path_factory, paydesk_bin, mysql_url(request, backend), sim_data_dir, backend, use_tz, "standard", redis=f"{redis_url}/5")
    w = next(gen)
    w.redis_url = redis_url
    yield w
    next(gen, None)


def site_and_paydesk(w, log):
    """(what the site's code writes for this coupon log, what Paydesk wrote), each (hash, ttl)."""
    site = json.loads(w.p.manage("site_coupon_to_redis", "--log", str(log), "--redis", f"{w.redis_url}/6").stdout)
    r5 = redis.Redis.from_url(f"{w.redis_url}/5", decode_responses=True)
    return (site["hash"], site["ttl"]), (r5.hgetall(site["key"]), r5.ttl(site["key"]))


def assert_same(w, log):
    (site_hash, site_ttl), (pd_hash, pd_ttl) = site_and_paydesk(w, log)
    assert pd_hash, f"Paydesk wrote no coupon hash for log {log} to Redis DB 5"
    assert pd_hash == site_hash, {k: (pd_hash.get(k), site_hash.get(k)) for k in site_hash.keys() | pd_hash.keys() if pd_hash.get(k) != site_hash.get(k)}
    assert abs(pd_ttl - site_ttl) <= 5, f"expiry: Paydesk {pd_ttl} s, the site {site_ttl} s"


def test_db_check_accepts_the_redis_setting(world):
    r = world.pd.run("db", "check", expect=None)
    assert r.code == 0, r
    world.pd.run("db", "migrate")
    world.state["ok"] = True


def test_a_closed_orders_coupon_goes_back_to_redis(world):
    world.need("ok")
    log = world.m["coupon_logs"]["bound_off88"]
    assert redis.Redis.from_url(f"{world.redis_url}/5").exists(f"{world.uid('xiaoming')}:{log}") == 0
    world.pd.json("close", world.order_no("unpaid_coupon"), "--reason", "wrong course")
    site = world.p.validate()
    assert site.order(world.order_no("unpaid_coupon"))["order_status"] == 2
    assert site.coupon_log(world.uid("xiaoming"), log)["use_status"] == 0
    assert_same(world, log)


def test_an_expired_orders_coupon_goes_back_to_redis(world):
    world.need("ok")
    u, log = world.uid("xiaoming"), world.m["coupon_logs"]["free"]
    made = world.pd.json("test-order", "--user", str(u), "--course", str(world.course("vue")), "--coupon-log", str(log))
    number = made["order"]["order_number"]
    link = world.pd.json("pay-link", "--order", number, "--return-url", RETURN_URL)
    world.sim.open_cashier(link["link"])
    # Twenty minutes old, through the ORM as the seed does it.
    world.p.shell(
        "from datetime import timedelta\nfrom django.utils import timezone\nfrom orders.models import Order\n"
        f"Order.objects.filter(order_number='{number}').update(created_time=timezone.now() - timedelta(minutes=20))\n"
    )
    world.pd.json("expire")
    site = world.p.validate()
    assert site.order(number)["order_status"] == 3
    assert site.coupon_log(u, log)["use_status"] == 0
    assert_same(world, log)
