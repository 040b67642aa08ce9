"""Paydesk on other copies of the site (luffycityapi/variant.py):

  lf       lf_users with `nickname`, BaseModel's flag spelled `is_delete`, lf_order and
           lf_order_course; db check passes only with the settings that name them, and the
           explicit `use_tz` (true on MariaDB with USE_TZ=True, false on SQLite).
  minimal  no credit ledger, coupon or user-course tables: db check says which features are off,
           orders are still browsed, settled, closed and expired.
"""

import pytest

from harness import RETURN_URL, mysql_url, open_world, sha256

LF_SETTINGS = dict(
    deleted_column="is_delete",
    tables={"users": "lf_users", "order": "lf_order", "order_course": "lf_order_course"},
    columns={"users": {"name": "nickname"}},
)
LF_WORLDS = [("mariadb", True), ("sqlite", False)]
MINIMAL_WORLDS = [("mariadb", False), ("sqlite", False)]


def ids(worlds):
    return [f"{b}-{'use_tz' if tz else 'naive'}" for b, tz in worlds]


@pytest.fixture(scope="module", params=LF_WORLDS, ids=ids(LF_WORLDS))
def lf(request, tmp_path_factory, paydesk_bin, sim_data_dir):
    backend, use_tz = request.param
    # Written first with nothing but the database; the check test then adds the settings.
    yield from open_world(tmp_path_factory, paydesk_bin, mysql_url(request, backend), sim_data_dir, backend, use_tz, "lf")


@pytest.fixture(scope="module", params=MINIMAL_WORLDS, ids=ids(MINIMAL_WORLDS))
def minimal(request, tmp_path_factory, paydesk_bin, sim_data_dir):
    backend, use_tz = request.param
    yield from open_world(tmp_path_factory, paydesk_bin, mysql_url(request, backend), sim_data_dir, backend, use_tz, "minimal")


def unchanged_by(world, *args):
    """Runs paydesk and returns (run, whether a SQLite file stayed byte-for-byte the same)."""
    before = sha256(world.p.database) if world.p.backend == "sqlite" else None
    r = world.pd.run(*args, expect=None)
    return r, before is None or sha256(world.p.database) == before


# ---------------------------------------------------------------------------------------- lf


def test_lf_db_check_needs_the_settings_that_name_it(lf):
    r, same = unchanged_by(lf, "--json", "db", "check")
    assert r.code == 1, f"without its settings this is not the platform Paydesk knows:\n{r}"
    missing = {p.get("table") for p in r.json()["problems"]}
    assert {"fg_users", "ly_order", "ly_order_course"} <= missing, r.json()["problems"]
    assert same, f"db check changed the SQLite file:\n{r}"
    lf.configure(use_tz=lf.p.use_tz, **LF_SETTINGS)
    r, same = unchanged_by(lf, "db", "check")
    assert same, f"db check changed the SQLite file:\n{r}"
    assert r.code == 0 and "platform tables: OK" in r.stdout, f"db check refuses the lf copy with its settings:\n{r}"
    lf.state["configured"] = True


def test_lf_migrate_orders_and_order(lf):
    lf.need("configured")
    lf.pd.run("db", "migrate")
    site = lf.p.validate()
    got = {o["order_number"]: o for o in lf.pd.json("orders", "--limit", "500")["orders"]}
    assert set(got) == set(site.doc["orders"])
    for n, o in got.items():
        assert (o["order_status"], o["real_price"]) == (site.order(n)["order_status"], site.order(n)["real_price"]), n
    one = lf.pd.run("--json", "order", lf.order_no("unpaid_both"))
    assert one.code == 0, one
    assert one.json()["order"]["real_price"] == lf.m["orders"]["unpaid_both"]["real_price"]
    assert "小红" in one.stdout, "the buyer's nickname is shown (columns.users.name = nickname)"


def test_lf_settle_credits_and_coupon(lf):
    lf.need("configured")
    number, u = lf.order_no("unpaid_both"), lf.uid("xiaohong")
    _, paid = lf.pay_at_cashier(number)
    lf.settle(paid["return_url"])
    site = lf.p.validate()
    o = site.order(number)
    assert o["order_status"] == 1
    lf.p.assert_recent(o["pay_time"], "pay_time")
    assert [abs(c["number"]) for c in site.user(u)["credit_history"] if c["operation"] == 1][-1] == 150
    assert site.coupon_log(u, lf.m["coupon_logs"]["bound_minus30"])["use_status"] == 1
    for course in ("python", "django"):
        assert len(site.live_grants(u, lf.course(course))) == 1, course


def test_lf_expire(lf):
    lf.need("configured")
    u = lf.uid("xiaohong")
    before = lf.p.validate().user(u)["credit"]
    lf.pd.json("expire")
    site = lf.p.validate()
    assert site.order(lf.order_no("stale"))["order_status"] == 3
    assert site.order(lf.order_no("fresh"))["order_status"] == 0, "expired early"
    assert site.user(u)["credit"] == before + 40


def test_lf_merge_duplicate_grants(lf):
    lf.need("configured")
    pair = lf.m["grants"]["duplicate_pair"]
    lf.pd.json("grants", "--merge", "--reason", "double grants")
    site = lf.p.validate()
    assert [g["id"] for g in site.live_grants(lf.uid("xiaohong"), lf.course("vue"))] == [pair[0]]


def test_lf_no_django_table_changed_shape(lf):
    assert lf.p.schema()["tables"] == lf.schema_before["tables"]


# ----------------------------------------------------------------------------------- minimal


def test_minimal_db_check_says_what_is_off(minimal):
    r, same = unchanged_by(minimal, "db", "check")
    assert same, f"db check changed the SQLite file:\n{r}"
    assert r.code == 0, f"a site without credit ledger, coupons and grants is still a platform:\n{r}"
    off = [line for line in r.stdout.splitlines() if "off" in line]
    for word in ("credit", "coupon", "grant"):
        assert any(word in line for line in off), f"db check does not say {word}s are off:\n{r.stdout}"
    j = minimal.pd.json("db", "check")
    assert j["layout"]["features"] == {"credit_ledger": False, "coupons": False, "grants": False, "test_orders": True}, j.get("layout")
    minimal.state["checked"] = True


def test_minimal_orders_and_settle(minimal):
    minimal.pd.run("db", "migrate")
    site = minimal.p.validate()
    got = {o["order_number"]: o for o in minimal.pd.json("orders", "--limit", "500")["orders"]}
    assert set(got) == set(site.doc["orders"])
    assert got[minimal.order_no("unpaid_exact")]["real_price"] == "399.50"
    u = minimal.uid("xiaoming")
    before = site.user(u)["credit"]
    made = minimal.pd.json("test-order", "--user", str(u), "--course", str(minimal.course("django")), "--credits", "50")
    number = made["order"]["order_number"]
    assert minimal.p.validate().user(u)["credit"] == before - 50
    _, paid = minimal.pay_at_cashier(number)
    minimal.settle(paid["return_url"])
    site = minimal.p.validate()
    assert site.order(number)["order_status"] == 1
    minimal.p.assert_recent(site.order(number)["pay_time"], "pay_time")
    assert site.user(u)["credit"] == before - 50
    missed = minimal.order_no("unpaid_missed")
    minimal.pay_at_cashier(missed)
    minimal.settle("--order", missed)
    assert minimal.p.validate().order(missed)["order_status"] == 1


def test_minimal_close_and_expire(minimal):
    u = minimal.uid("xiaohong")
    before = minimal.p.validate().user(u)["credit"]
    made = minimal.pd.json("test-order", "--user", str(u), "--course", str(minimal.course("linux")), "--credits", "30")
    number = made["order"]["order_number"]
    link = minimal.pd.json("pay-link", "--order", number, "--return-url", RETURN_URL)
    minimal.sim.open_cashier(link["link"])
    assert minimal.pd.json("close", number, "--reason", "asked")["status_after"] == 2
    site = minimal.p.validate()
    assert site.user(u)["credit"] == before
    minimal.pd.json("expire")
    site = minimal.p.validate()
    assert site.order(minimal.order_no("stale"))["order_status"] == 3
    assert site.order(minimal.order_no("fresh"))["order_status"] == 0
    assert site.user(u)["credit"] == before + 40


def test_minimal_grants_are_refused_cleanly(minimal):
    r = minimal.pd.run("grant", "--user", str(minimal.uid("xiaogang")), "--course", str(minimal.course("linux")), "--reason", "x", expect=None)
    assert r.code in (1, 2) and "grant" in (r.stderr + r.stdout).lower(), f"a clear refusal, not a crash:\n{r}"
    minimal.p.validate()
    assert minimal.p.schema()["tables"] == minimal.schema_before["tables"]
