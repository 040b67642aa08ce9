"""Fixtures of the platform suite: the paydesk binary, the test MariaDB, a Redis for the site's
coupons, and a simulator per world. tests/platform/run.sh provides the environment; run by hand
with PAYDESK_BIN (or a built $CARGO_TARGET_DIR/debug/paydesk) and PAYDESK_TEST_MYSQL_URL set."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness import Failed


@pytest.fixture(scope="session")
def paydesk_bin():
    b = os.environ.get("PAYDESK_BIN")
    if not b:
        target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/paydesk/target"))
        b = str(Path(target) / "debug" / "paydesk")
    if not os.access(b, os.X_OK):
        pytest.fail(f"no paydesk binary at {b}: set PAYDESK_BIN or run tests/platform/run.sh (it builds one)")
    return b


@pytest.fixture(scope="session")
def mysql_url():
    url = os.environ.get("PAYDESK_TEST_MYSQL_URL")
    if not url:
        pytest.fail("PAYDESK_TEST_MYSQL_URL is not set: run tests/platform/run.sh, or scripts/mariadb.sh start and export its URL")
    return url


@pytest.fixture(scope="session")
def sim_data_dir(tmp_path_factory):
    # The simulator's keys, made once per session and shared by every simulator started.
    return tmp_path_factory.mktemp("sim-data")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server on loopback for the site's coupon Redis (the tests use DB 5 as the
    site does, and DB 6 for what the site's own code writes, to compare)."""
    if os.environ.get("PAYDESK_TEST_REDIS_URL"):
        yield os.environ["PAYDESK_TEST_REDIS_URL"].rstrip("/")
        return
    server = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if not server:
        pytest.fail("redis-server is not installed (run.sh installs it): apt-get install redis-server")
    d = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(d)],
        stdout=open(d / "redis.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    import redis

    for _ in range(200):
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None:
                raise Failed((d / "redis.log").read_text())
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
