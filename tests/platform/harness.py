"""The pieces the platform tests are made of: a Django platform database (made, seeded, validated
and dumped by the site's own manage.py), the `paydesk` binary run in a sandbox with a paydesk.toml
written here, and the simulator it talks to (its cashier, its clock, its bill)."""

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
SITE = HERE / "luffycity"
BEIJING = ZoneInfo("Asia/Shanghai")
sys.path.insert(0, str(SITE))
from luffycityapi.variant import VARIANTS  # noqa: E402  (the same description the models use)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Failed(AssertionError):
    pass


# --------------------------------------------------------------------------------------------
# The Django side


class Platform:
    """One fresh platform database, made by Django: `backend` "mariadb" (a new uniquely named
    database on the test server) or "sqlite" (a new file), USE_TZ on or off, a site variant."""

    def __init__(self, backend, use_tz, variant, workdir, mysql_url=None):
        self.backend, self.use_tz, self.variant = backend, use_tz, VARIANTS[variant]
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        if backend == "mariadb":
            u = urllib.parse.urlsplit(mysql_url)
            self._server = u
            self.dbname = f"pdp_{variant}_{'tz' if use_tz else 'naive'}_{uuid.uuid4().hex[:10]}"
            self.database = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + self.dbname, "", ""))
            self._admin(f"CREATE DATABASE `{self.dbname}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        else:
            self.dbname = None
            self.database = str(self.workdir / "luffycity.sqlite3")

    def _admin(self, sql):
        import pymysql

        u = self._server
        con = pymysql.connect(host=u.hostname, port=u.port or 3306, user=urllib.parse.unquote(u.username or ""), password=urllib.parse.unquote(u.password or ""), autocommit=True)
        try:
            with con.cursor() as cur:
                cur.execute(sql)
        finally:
            con.close()

    def drop(self):
        if self.backend == "mariadb" and not os.environ.get("PLATFORM_KEEP"):
            self._admin(f"DROP DATABASE IF EXISTS `{self.dbname}`")

    @property
    def env(self):
        env = dict(os.environ)
        env.update(PLATFORM_DATABASE=self.database, PLATFORM_USE_TZ="1" if self.use_tz else "0", PLATFORM_VARIANT=self.variant.name, PYTHONIOENCODING="utf-8")
        return env

    def manage(self, *args, check=True):
        p = subprocess.run([sys.executable, "manage.py", *args], cwd=SITE, env=self.env, capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise Failed(f"manage.py {' '.join(args)} exited {p.returncode}\n--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-4000:]}")
        return p

    def build(self):
        """The schema exactly as Django makes it (the committed migrations), then the seed."""
        self.manage("migrate", "--no-input", "-v", "0")
        self.manifest = json.loads(self.manage("seed").stdout)
        return self.manifest

    def validate(self):
        """full_clean() of every row and the site's reads; fails listing every row Django refuses."""
        p = self.manage("validate", check=False)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            raise Failed(f"validate crashed (exit {p.returncode}):\n{p.stderr[-4000:]}")
        if p.returncode != 0 or not doc["ok"]:
            lines = [f"  {f['table']} pk={f['pk']}: {f['errors']}" for f in doc["failures"]]
            raise Failed("Django refuses rows:\n" + "\n".join(lines))
        # Only the blank-at-default allowance, and only on fields the site leaves at "".
        for t in doc["tolerated"]:
            assert set(t["fields"]) <= {"name", "discount_name"}, t
        return Site(doc, self)

    def schema(self):
        return json.loads(self.manage("schema_dump").stdout)

    def shell(self, code):
        return self.manage("shell", "-c", code).stdout

    # What time it is, the way this platform keeps it.
    def now(self):
        return datetime.now(timezone.utc) if self.use_tz else datetime.now(BEIJING).replace(tzinfo=None)

    def assert_recent(self, iso, what, within=timedelta(minutes=1)):
        """A datetime Paydesk wrote, read back through the ORM: aware UTC under USE_TZ=True, naive
        Beijing time otherwise, and within a minute of real now either way."""
        assert iso, f"{what} is empty"
        t = datetime.fromisoformat(iso)
        if self.use_tz:
            assert t.tzinfo is not None and t.utcoffset() == timedelta(0), f"{what} {iso}: not aware UTC"
        else:
            assert t.tzinfo is None, f"{what} {iso}: not naive"
        gap = abs(self.now() - t)
        assert gap <= within, f"{what} {iso} is {gap} away from now ({self.now().isoformat()}): the wrong zone?"


class Site:
    """What the site's own reads see (the JSON of `manage.py validate`)."""

    def __init__(self, doc, platform):
        self.doc, self.p = doc, platform
        self.deleted = platform.variant.deleted

    def order(self, number):
        assert number in self.doc["orders"], f"the site finds no order {number}"
        return self.doc["orders"][number]

    def user(self, uid):
        return self.doc["users"][str(uid)]

    def live_grants(self, uid, course=None):
        return [g for g in self.user(uid).get("courses", []) if not g[self.deleted] and (course is None or g["course_id"] == course)]

    def coupon_log(self, uid, log_id):
        return next(c for c in self.user(uid)["coupon_logs"] if c["id"] == log_id)


# --------------------------------------------------------------------------------------------
# The Paydesk side


def clip(text, n=2500):
    """The head and the tail of a long output: a failure shows both how it starts and ends."""
    return text if len(text) <= 2 * n else f"{text[:n]}\n[… {len(text) - 2 * n} characters …]\n{text[-n:]}"


class Run:
    def __init__(self, args, p):
        self.args, self.code, self.stdout, self.stderr = args, p.returncode, p.stdout, p.stderr

    def __str__(self):
        return f"paydesk {' '.join(self.args)} -> exit {self.code}\n--- stdout\n{clip(self.stdout)}\n--- stderr\n{clip(self.stderr)}"

    __repr__ = __str__  # pytest shows an assertion's operands with repr()

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise Failed(f"not one JSON document:\n{self}")


class Paydesk:
    """The binary in a sandbox: its own HOME and XDG dirs, no PAYDESK_* from the caller's shell,
    the settings file written here."""

    def __init__(self, binary, workdir):
        self.binary, self.workdir = binary, Path(workdir)
        self.config = self.workdir / "paydesk.toml"

    def write_config(self, sim, database_section):
        q = json.dumps  # a TOML basic string is a JSON string for what is written here
        text = (
            "[profiles.simulator]\nkind = \"simulator\"\n"
            f"gateway = {q(sim.info['gateway_url'])}\napp_id = {q(sim.info['app_id'])}\n"
            f"seller_id = {q(sim.info['seller_id'])}\napp_private_key = {q(sim.info['app_private_key'])}\n"
            f"alipay_public_key = {q(sim.info['alipay_public_key'])}\ntimeout_secs = 10\n"
            "operator = \"platform-tests\"\n\n" + database_section
        )
        self.config.write_text(text)
        return text

    def run(self, *args, expect=0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYDESK_")}
        home = self.workdir / "home"
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"))
        argv = [self.binary, "--config", str(self.config), *args]
        p = subprocess.run(argv, cwd=self.workdir, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        r = Run([str(a) for a in args], p)
        if expect is not None:
            ok = r.code in expect if isinstance(expect, (tuple, list, set)) else r.code == expect
            if not ok:
                raise Failed(f"expected exit {expect}:\n{r}")
        return r

    def json(self, *args, expect=0):
        return self.run("--json", *args, expect=expect).json()


def database_section(platform, **extra):
    """`[profiles.simulator.database]` for this platform; extra settings as TOML lines or tables."""
    lines = ["[profiles.simulator.database]", f"database = {json.dumps(platform.database)}"]
    tables = extra.pop("tables", None)
    columns = extra.pop("columns", None)
    for k, v in extra.items():
        lines.append(f"{k} = {json.dumps(v)}" if not isinstance(v, bool) else f"{k} = {str(v).lower()}")
    if tables:
        lines.append("[profiles.simulator.database.tables]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in tables.items()]
    for table, cols in (columns or {}).items():
        lines.append(f"[profiles.simulator.database.columns.{table}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in cols.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The simulator


def http(url, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as r:
        return r.read().decode()


class Sim:
    """`paydesk sim` on a free loopback port, keys kept in a data dir shared by the session."""

    def __init__(self, binary, data_dir, workdir):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        info = self.workdir / "sim-info.json"
        self.log = open(self.workdir / "sim.log", "w")
        self.proc = subprocess.Popen(
            [binary, "sim", "--port", "0", "--data-dir", str(data_dir), "--info-file", str(info), "--notify-speedup", "1000"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
        )
        for _ in range(600):
            if info.exists() and info.stat().st_size:
                break
            if self.proc.poll() is not None:
                raise Failed(f"the simulator exited: {(self.workdir / 'sim.log').read_text()}")
            time.sleep(0.05)
        else:
            raise Failed("the simulator did not start within 30 s")
        self.info = json.loads(info.read_text())
        self.base = self.info["base_url"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def open_cashier(self, link):
        """A buyer's browser opening the pay link: the trade now exists at Alipay, unpaid."""
        page = http(link)
        assert "cashier" in page.lower() or "收银台" in page or len(page) > 0

    def pay(self, out_trade_no):
        return json.loads(http(self.base + "/sim/pay", {"out_trade_no": out_trade_no}))

    def clock(self, advance_secs=None):
        if advance_secs is None:
            return json.loads(http(self.base + "/sim/clock"))
        return json.loads(http(self.base + "/sim/clock", {"advance_secs": advance_secs}))

    def ledger(self):
        return json.loads(http(self.base + "/sim/ledger"))

    def download_bill(self, paydesk, day, out):
        """The day's trade bill as the merchant portal hands it out. Alipay has a day's bill from
        the next day on, so the simulator's clock goes to tomorrow for the request (signed with
        `paydesk sign` as of the simulator's time) and comes back afterwards."""
        self.clock(advance_secs=86400)
        try:
            params = {
                "app_id": self.info["app_id"], "method": "alipay.data.dataservice.bill.downloadurl.query",
                "format": "JSON", "charset": "utf-8", "sign_type": "RSA2", "version": "1.0",
                "timestamp": self.clock()["now"],
                "biz_content": {"bill_type": "trade", "bill_date": day},
            }
            signed = paydesk.json("sign", "--private-key", self.info["app_private_key"], json.dumps(params))
            answer = json.loads(http(self.info["gateway_url"] + "?" + signed["query"]))
            url = answer["alipay_data_dataservice_bill_downloadurl_query_response"]["bill_download_url"]
            with urllib.request.urlopen(url, timeout=20) as r:
                Path(out).write_bytes(r.read())
        finally:
            self.clock(advance_secs=-86400)
        return out


class NotifyReceiver:
    """The merchant's notify endpoint: keeps every body, answers `success`."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                bodies.append(self.rfile.read(n).decode())
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"success")

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/payments/alipay/notify"

    def wait_for(self, out_trade_no, timeout=20):
        key = "out_trade_no=" + out_trade_no
        deadline = time.time() + timeout
        while time.time() < deadline:
            for b in self.bodies:
                if key in b and "trade_status=TRADE_SUCCESS" in b:
                    return b
            time.sleep(0.05)
        raise Failed(f"no TRADE_SUCCESS notify for {out_trade_no} within {timeout} s (got {len(self.bodies)})")

    def stop(self):
        self.server.shutdown()


# --------------------------------------------------------------------------------------------
# A world: one platform database, a simulator, a notify receiver and a configured paydesk

RETURN_URL = "https://www.luffycity.cn:3000/alipay"


class World:
    def __init__(self, platform, paydesk, sim, notify):
        self.p, self.pd, self.sim, self.notify = platform, paydesk, sim, notify
        self.m = platform.manifest
        self.state = {}

    def order_no(self, key):
        return self.m["orders"][key]["order_number"]

    def uid(self, key):
        return self.m["users"][key]["id"]

    def course(self, key):
        return self.m["courses"][key]["id"]

    def need(self, key):
        if key not in self.state:
            raise Failed(f"needs {key!r} from an earlier step of this world, which failed")
        return self.state[key]

    def pay_at_cashier(self, number, notify=False):
        """pay-link --order N, the buyer opens it and pays; the return URL comes back."""
        args = ["pay-link", "--order", number, "--return-url", RETURN_URL]
        if notify:
            args += ["--notify-url", self.notify.url]
        link = self.pd.json(*args)
        assert link["order_number"] == number, link
        self.sim.open_cashier(link["link"])
        paid = self.sim.pay(number)
        return link, paid

    def settle(self, *args):
        r = self.pd.json("settle", *args)
        assert r["outcome"] == "done", r
        assert r["status_after"] == 1, r
        return r

    def configure(self, **settings):
        """(Re)write paydesk.toml: the simulator profile with this database section."""
        return self.pd.write_config(self.sim, database_section(self.p, **settings))


def mysql_url(request, backend):
    """The test MariaDB's URL, asked for only by MariaDB worlds (SQLite ones run without it)."""
    return request.getfixturevalue("mysql_url") if backend == "mariadb" else None


def open_world(tmp_path_factory, paydesk_bin, mysql_url, sim_data_dir, backend, use_tz, variant, **settings):
    """A generator for a module-scoped fixture: the world, torn down after its tests."""
    root = tmp_path_factory.mktemp(f"{variant}-{backend}-{'tz' if use_tz else 'naive'}")
    platform = Platform(backend, use_tz, variant, root / "platform", mysql_url)
    sim = notify = None
    try:
        platform.build()
        sim = Sim(paydesk_bin, sim_data_dir, root / "sim")
        notify = NotifyReceiver()
        w = World(platform, Paydesk(paydesk_bin, root), sim, notify)
        w.configure(**settings)
        w.schema_before = platform.schema()
        yield w
    finally:
        if sim:
            sim.stop()
        if notify:
            notify.stop()
        platform.drop()
