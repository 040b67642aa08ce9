"""Paydesk on the course's copy of the site, as Django makes it: MariaDB and SQLite, USE_TZ off
(the course's settings) and on (Django's default). Each world is a fresh database built and
seeded by the site's own manage.py, a simulator, and a paydesk.toml whose database section names
nothing but the database: every other setting must be found by Paydesk itself.

The tests of one world run in file order and share its state, like an operator's day: check,
browse, make a test order, settle (return URL, notify, by hand), an order with credits and a
coupon, refunds, close, expire, grants, reconcile. After each operation the site's own
validate command must accept every row (full_clean) and its reads must show what Paydesk did;
at the end no Django table has changed shape."""

import json
from decimal import Decimal

import pytest

from harness import RETURN_URL, mysql_url, open_world, sha256

WORLDS = [("mariadb", False), ("mariadb", True), ("sqlite", False), ("sqlite", True)]


@pytest.fixture(scope="module", params=WORLDS, ids=[f"{b}-{'use_tz' if tz else 'naive'}" for b, tz in WORLDS])
def world(request, tmp_path_factory, paydesk_bin, sim_data_dir):
    backend, use_tz = request.param
    # Only the database: table names, is_deleted, the users' name column and USE_TZ are the
    # defaults or found by Paydesk.
    yield from open_world(tmp_path_factory, paydesk_bin, mysql_url(request, backend), sim_data_dir, backend, use_tz, "standard")


def test_the_seeded_site_is_valid(world):
    """The baseline: the site's own rows pass its own validation before Paydesk touches them."""
    site = world.p.validate()
    assert site.order(world.order_no("unpaid_exact"))["real_price"] == "399.50"
    assert site.order(world.order_no("unpaid_exact2"))["real_price"] == "2398.00"


def test_db_check_reads_only_and_passes(world):
    db = world.p.database
    before = sha256(db) if world.p.backend == "sqlite" else None
    human = world.pd.run("db", "check", expect=None)
    report = world.pd.json("db", "check", expect=None)
    if before is not None:
        assert sha256(db) == before, "db check changed the SQLite file (journal mode, migrations...)"
    assert human.code == 0 and report.get("problems") == [], f"db check refuses Django's schema:\n{human}"
    assert "platform tables: OK" in human.stdout, human
    assert not report.get("layout", {}).get("features") or all(report["layout"]["features"].values()), report


def test_db_migrate_adds_only_paydesks_tables(world):
    world.pd.run("db", "migrate")
    after = world.p.schema()
    assert after["tables"] == world.schema_before["tables"], "db migrate changed a Django table"
    new = set(after["others"]) - set(world.schema_before["others"])
    assert new and all(t.startswith("paydesk_") for t in new), new
    world.p.validate()


def test_orders_lists_every_order_exact_to_the_fen(world):
    site = world.p.validate()
    got = world.pd.json("orders", "--limit", "500")["orders"]
    by_number = {o["order_number"]: o for o in got}
    assert set(by_number) == set(site.doc["orders"]), "orders lists other orders than the site has"
    for n, o in by_number.items():
        s = site.order(n)
        assert (o["order_status"], o["real_price"], o["total_price"]) == (s["order_status"], s["real_price"], s["total_price"]), n
    statuses = {o["order_status"] for o in got}
    assert statuses == {0, 1, 2, 3}, statuses
    unpaid = world.pd.json("orders", "--status", "0", "--limit", "500")["orders"]
    assert unpaid and all(o["order_status"] == 0 for o in unpaid)


def test_order_shows_the_order_as_django_stored_it(world):
    for key, price in [("unpaid_exact", "399.50"), ("unpaid_exact2", "2398.00"), ("unpaid_missed", "99.90")]:
        o = world.pd.json("order", world.order_no(key))
        assert o["order"]["real_price"] == price, (key, o["order"])
        assert [c["price"] for c in o["courses"]] == [price], o["courses"]
    paid = world.pd.json("order", world.order_no("paid_old"))
    assert paid["order"]["order_status"] == 1 and paid["order"]["credit"] == 50
    assert len(paid["grants"]) == 2, "the seeded grant and its duplicate"
    assert [abs(c["number"]) for c in paid["credits"]] == [50], paid["credits"]
    activity = world.pd.json("order", world.order_no("unpaid_activity"))
    assert [(c["price"], c["real_price"], c["discount_name"]) for c in activity["courses"]] == [("1579.00", "999.00", "限时折扣")]


def test_test_order_is_a_site_order(world):
    """A test order with credits and a coupon, made by Paydesk as the site makes orders."""
    u, log = world.uid("xiaoming"), world.m["coupon_logs"]["free"]
    before = world.p.validate().user(u)["credit"]
    made = world.pd.json("test-order", "--user", str(u), "--course", str(world.course("vue")), "--course", str(world.course("redis")), "--credits", "50", "--coupon-log", str(log))
    number = made["order"]["order_number"]
    site = world.p.validate()
    o = site.order(number)
    assert (o["order_status"], o["credit"], o["user_id"]) == (0, 50, u), o
    assert o["real_price"] == made["order"]["real_price"]
    assert sorted(c["course_id"] for c in o["courses"]) == sorted([world.course("vue"), world.course("redis")])
    assert [c["id"] for c in o["coupon_logs"]] == [log], "the coupon is bound to the order"
    assert site.coupon_log(u, log)["use_status"] == 0
    assert site.user(u)["credit"] == before - 50, "credits are taken when the order is made"
    world.p.assert_recent(o["created_time"], "the test order's created_time")
    world.state["test_order"] = number


def test_settle_by_return_url(world):
    number = world.order_no("unpaid_exact")
    u = world.uid("xiaogang")
    link, paid = world.pay_at_cashier(number)
    assert link["real_price"] == "399.50", link
    r = world.settle(paid["return_url"])
    assert r["paid_amount"] == "399.50", r
    site = world.p.validate()
    o = site.order(number)
    assert o["order_status"] == 1 and o["status_display"] == "已支付"
    world.p.assert_recent(o["pay_time"], "pay_time")
    world.p.assert_recent(o["updated_time"], "the order's updated_time")
    assert len(site.live_grants(u, world.course("django"))) == 1, "one grant per course"
    again = world.pd.json("settle", paid["return_url"])
    assert again["outcome"] == "noop", again
    assert len(world.p.validate().live_grants(u, world.course("django"))) == 1, "settling twice grants once"
    world.state["return_settled"] = number


def test_settle_by_notify_spends_credits_and_coupon(world):
    number = world.need("test_order")
    u, log = world.uid("xiaoming"), world.m["coupon_logs"]["free"]
    credit_before = world.p.validate().user(u)["credit"]
    world.pay_at_cashier(number, notify=True)
    body = world.notify.wait_for(number)
    world.settle(body)
    site = world.p.validate()
    o = site.order(number)
    assert o["order_status"] == 1
    world.p.assert_recent(o["pay_time"], "pay_time")
    ledger = [c for c in site.user(u)["credit_history"] if abs(c["number"]) == 50 and c["operation"] == 1]
    assert len(ledger) == 1, f"one 购物消费 ledger row for the 50 credits: {site.user(u)['credit_history']}"
    world.p.assert_recent(ledger[0]["created_time"], "the ledger row's created_time")
    c = site.coupon_log(u, log)
    assert c["use_status"] == 1 and c["order_id"] == o["id"], c
    world.p.assert_recent(c["use_time"], "the coupon's use_time")
    world.p.assert_recent(c["updated_time"], "the coupon log's updated_time")
    for course in ("vue", "redis"):
        assert len(site.live_grants(u, world.course(course))) == 1, course
    assert site.user(u)["credit"] == credit_before, "credits were taken when the order was made, not again"


def test_settle_by_order_asks_alipay(world):
    number = world.order_no("unpaid_missed")
    world.pay_at_cashier(number)  # paid, but no notify reaches Paydesk
    world.settle("--order", number, "--reason", "notify missed")
    site = world.p.validate()
    o = site.order(number)
    assert o["order_status"] == 1 and o["real_price"] == "99.90"
    world.p.assert_recent(o["pay_time"], "pay_time")
    assert len(site.live_grants(world.uid("xiaogang"), world.course("mysql"))) == 1


def test_settle_an_order_that_spent_credits_and_used_a_coupon(world):
    """The seeded order the site made with 150 credits and a coupon: the ledger row, the coupon
    used, a grant per course; the balance is not touched again."""
    key = world.m["orders"]["unpaid_both"]
    number, u, log = key["order_number"], world.uid("xiaohong"), world.m["coupon_logs"]["bound_minus30"]
    before = world.p.validate().user(u)
    _, paid = world.pay_at_cashier(number)
    r = world.settle(paid["return_url"])
    assert r["paid_amount"] == key["real_price"], r
    site = world.p.validate()
    o = site.order(number)
    assert o["order_status"] == 1 and o["credit"] == 150
    world.p.assert_recent(o["pay_time"], "pay_time")
    new_rows = site.user(u)["credit_history"][len(before["credit_history"]):]
    assert [(c["operation"], abs(c["number"])) for c in new_rows] == [(1, 150)], new_rows
    c = site.coupon_log(u, log)
    assert (c["use_status"], c["order_id"]) == (1, o["id"]), c
    world.p.assert_recent(c["use_time"], "use_time")
    world.p.assert_recent(c["updated_time"], "the coupon log's updated_time")
    for course in ("python", "django"):
        assert len(site.live_grants(u, world.course(course))) == 1, course
    assert site.user(u)["credit"] == before["credit"]
    world.state["both_settled"] = number


def test_partial_then_full_refund(world):
    number = world.need("both_settled")
    u = world.uid("xiaohong")
    before = world.p.validate().user(u)["credit"]
    p = world.pd.json("refund", number, "--amount", "10.00", "--reason", "one chapter missing")
    assert p["outcome"] == "done" and p["full_refund"] is False, p
    site = world.p.validate()
    assert site.order(number)["order_status"] == 1, "the site has no refund status: still paid"
    assert len(site.live_grants(u, world.course("python"))) == 1, "a partial refund keeps the courses"
    assert site.user(u)["credit"] == before
    f = world.pd.json("refund", number, "--reason", "customer cancelled")
    assert f["outcome"] == "done" and f["full_refund"] is True, f
    assert Decimal(f["amount"]) == Decimal(world.m["orders"]["unpaid_both"]["real_price"]) - Decimal("10.00"), f
    site = world.p.validate()
    assert site.user(u)["credit"] == before + 150, "a full refund gives the 150 credits back"
    for course in ("python", "django"):
        assert site.live_grants(u, world.course(course)) == [], f"{course} revoked by the full refund"
    world.p.assert_recent(site.order(number)["updated_time"], "the refunded order's updated_time")


def test_close_gives_credits_back(world):
    u = world.uid("xiaohong")
    before = world.p.validate().user(u)["credit"]
    made = world.pd.json("test-order", "--user", str(u), "--course", str(world.course("linux")), "--credits", "30")
    number = made["order"]["order_number"]
    assert world.p.validate().user(u)["credit"] == before - 30
    link = world.pd.json("pay-link", "--order", number, "--return-url", RETURN_URL)
    world.sim.open_cashier(link["link"])
    r = world.pd.json("close", number, "--reason", "customer asked")
    assert r["status_after"] == 2, r
    site = world.p.validate()
    o = site.order(number)
    assert o["order_status"] == 2 and o["status_display"] == "已取消"
    world.p.assert_recent(o["updated_time"], "the closed order's updated_time")
    assert site.user(u)["credit"] == before, "the 30 credits are back"


def test_close_an_order_with_a_coupon(world):
    """The seeded order the site made with a coupon bound: cancelled, the coupon not used."""
    number = world.order_no("unpaid_coupon")
    r = world.pd.json("close", number, "--reason", "wrong course")
    assert r["status_after"] == 2, r
    site = world.p.validate()
    assert site.order(number)["order_status"] == 2
    world.p.assert_recent(site.order(number)["updated_time"], "the closed order's updated_time")
    assert site.coupon_log(world.uid("xiaoming"), world.m["coupon_logs"]["bound_off88"])["use_status"] == 0


def test_expire_times_out_only_what_is_due(world):
    stale, fresh = world.order_no("stale"), world.order_no("fresh")
    u = world.uid("xiaohong")
    before = world.p.validate()
    r = world.pd.run("--json", "expire", expect=None)
    site = world.p.validate()
    # A minute old (in the platform's own time, UTC under USE_TZ=True): not due, not touched.
    assert site.order(fresh)["order_status"] == 0, f"expired early:\n{r}"
    for key in ("unpaid_credits", "unpaid_activity", "unpaid_exact2"):
        assert site.order(world.order_no(key))["order_status"] == 0, f"{key} expired early:\n{r}"
    assert site.order(stale)["order_status"] == 3, f"the 20-minute-old order is not timed out:\n{r}"
    world.p.assert_recent(site.order(stale)["updated_time"], "the expired order's updated_time")
    assert site.user(u)["credit"] == before.user(u)["credit"] + 40, "its 40 credits are back"
    assert r.code == 0, r
    expired = [o["order_number"] for o in r.json()["orders"] if o.get("result") == "expired"]
    assert expired == [stale], r


def test_grants_merge_revoke_restore_grant(world):
    u, vue = world.uid("xiaohong"), world.course("vue")
    pair = world.m["grants"]["duplicate_pair"]
    dups = world.pd.json("grants", "--duplicates")
    assert any(sorted(d["grant_ids"]) == sorted(pair) for d in dups), dups
    world.pd.json("grants", "--merge", "--reason", "the racy site granted twice")
    site = world.p.validate()
    assert [g["id"] for g in site.live_grants(u, vue)] == [pair[0]], "the oldest grant is kept"
    assert world.pd.json("grants", "--duplicates") == []

    rv = world.pd.json("revoke", str(pair[0]), "--reason", "given by mistake")
    assert rv["outcome"] == "done", rv
    assert world.p.validate().live_grants(u, vue) == []
    rs = world.pd.json("grant", "--restore", str(rv["audit_id"]), "--reason", "it was right after all")
    assert rs["grant"]["id"] == pair[0], rs
    assert [g["id"] for g in world.p.validate().live_grants(u, vue)] == [pair[0]]

    g = world.pd.json("grant", "--user", str(world.uid("xiaogang")), "--course", str(world.course("linux")), "--reason", "compensation")
    site = world.p.validate()
    live = site.live_grants(world.uid("xiaogang"), world.course("linux"))
    assert [x["id"] for x in live] == [g["grant"]["id"]], (g, live)
    world.p.assert_recent(live[0]["created_time"], "the new grant's created_time")


def test_reconcile_the_day(world, tmp_path):
    """Today's trades at the simulator against the platform: the four payments settled above and
    the two refunds match, to the fen. The bill is fetched as the merchant portal gives it
    (Paydesk refuses to fetch a day that is not over) and imported with --bill."""
    paid_today = [world.order_no("unpaid_exact"), world.need("test_order"), world.order_no("unpaid_missed"), world.need("both_settled")]
    site = world.p.validate()
    received = sum(Decimal(site.order(n)["real_price"]) for n in paid_today)
    refunded = Decimal(site.order(world.need("both_settled"))["real_price"])
    day = world.sim.clock()["now"][:10]
    bill = world.sim.download_bill(world.pd, day, tmp_path / "bill.zip")
    r = world.pd.run("--json", "reconcile", "--date", day, "--bill", str(bill), expect=None)
    run = r.json()
    assert r.code == 0 and run["status"] == "clean" and run["discrepancies"] == [], f"discrepancies remain:\n{r}"
    cats = run["summary"]["categories"]
    assert set(cats) == {"matched", "refund_matched"}, cats
    assert (cats["matched"]["count"], Decimal(cats["matched"]["order_amount"]), Decimal(cats["matched"]["bill_amount"])) == (4, received, received), cats
    assert (cats["refund_matched"]["count"], Decimal(cats["refund_matched"]["order_amount"])) == (2, refunded), cats
    world.p.validate()


def test_no_django_table_changed_shape(world):
    after = world.p.schema()
    assert after["tables"] == world.schema_before["tables"]
    assert all(t.startswith("paydesk_") for t in set(after["others"]) - set(world.schema_before["others"]))
    world.p.validate()
