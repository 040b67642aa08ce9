#!/usr/bin/env python3
"""Times python-alipay-sdk (the platform's SDK) on the inputs of the Rust criterion bench
(crates/alipay/benches/sign_verify.rs), for docs/BENCHMARKS.md:

  verify_callback-equivalent  parse the return URL with form rules + AliPay.verify
  verify canonical            AliPay._verify over the canonical string (the bare RSA check)
  page-pay link               AliPay.api_alipay_trade_page_pay (build + sign + encode)

Same return-URL fields, same order, same URL and the same page-pay order as the Rust bench, RSA2
with 2048-bit keys. The bench generates its keys at run time; here the committed 2048-bit test keys
stand in (same size, so the same work). Pinned to one core; prints ops/s and the median per op.

  source scripts/peers/env.sh && "$PAYDESK_PEERS_PY" scripts/bench/python_verify.py [--n 5000]
"""

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from alipay import AliPay
from alipay.compat import quote_plus

FIXTURES = Path(__file__).resolve().parents[2] / "crates" / "alipay" / "tests" / "fixtures" / "peers"
APP_ID = "2021000000000001"


def read(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def return_url(alipay_signer):
    """The bench's typical_return_url: the same pairs in the same order, signed by "Alipay"."""
    pairs = [
        ("charset", "utf-8"),
        ("out_trade_no", "20261124103015_000042"),
        ("method", "alipay.trade.page.pay.return"),
        ("total_amount", "1579.00"),
        ("trade_no", "2026112422001458860515315453"),
        ("auth_app_id", APP_ID),
        ("version", "1.0"),
        ("app_id", APP_ID),
        ("sign_type", "RSA2"),
        ("seller_id", "2088621000000001"),
        ("timestamp", "2026-11-24 10:31:02"),
    ]
    signed = [(k, v) for k, v in pairs if k not in ("sign", "sign_type")]
    canonical = "&".join(f"{k}={v}" for k, v in sorted(signed))
    sign = alipay_signer._sign(canonical)
    # The Rust bench's Params::to_query is sorted by key; ordering does not change the work.
    query = "&".join(f"{k}={quote_plus(v)}" for k, v in sorted(pairs + [("sign", sign)]))
    return f"https://www.luffycity.com/pay/result?{query}", canonical, sign


def timed(n, fn):
    for _ in range(min(200, n // 10 + 1)):  # warm-up
        fn()
    per = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter_ns()
        fn()
        per.append(time.perf_counter_ns() - s)
    total = time.perf_counter() - t0
    return n / total, statistics.median(per) / 1000.0, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="verify iterations (default 5000)")
    ap.add_argument("--n-sign", type=int, default=1000, help="signing iterations (default 1000)")
    ap.add_argument("--cpu", type=int, default=None, help="core to pin to (default: the first allowed)")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})

    # The app side (verifies with "Alipay's" public key, signs links with the app key).
    app = AliPay(appid=APP_ID, app_notify_url=None,
                 app_private_key_string=read("test_app_private_key.pem"),
                 alipay_public_key_string=read("test_alipay_public_key.pem"), sign_type="RSA2")
    # "Alipay" signing the return URL.
    alipay = AliPay(appid=APP_ID, app_notify_url=None,
                    app_private_key_string=read("test_alipay_private_key.pem"),
                    alipay_public_key_string=read("test_app_public_key.pem"), sign_type="RSA2")
    url, canonical, sign = return_url(alipay)

    def verify_url():
        data = dict(urllib.parse.parse_qsl(url.split("?", 1)[1], keep_blank_values=True))
        s = data.pop("sign")
        if not app.verify(data, s):
            raise SystemExit("the return URL does not verify")

    def verify_canonical():
        if not app._verify(canonical, sign):
            raise SystemExit("the canonical string does not verify")

    def page_link():
        return app.api_alipay_trade_page_pay(
            subject="Python 全栈开发 · 路飞学城", out_trade_no="20261124103015_000042",
            total_amount="1579.00", return_url="https://www.luffycity.com/pay/result",
            notify_url="https://api.luffycity.com/api/v1/pay/alipay/notify", timeout_express="30m")

    verify_url()
    verify_canonical()
    print(f"python-alipay-sdk {importlib.metadata.version('python-alipay-sdk')} "
          f"(pycryptodomex {importlib.metadata.version('pycryptodomex')}), "
          f"Python {platform.python_version()}, pinned to 1 core, RSA2 2048")
    for name, n, fn in [
        ("verify return URL (parse + AliPay.verify)", args.n, verify_url),
        ("verify canonical (AliPay._verify)", args.n, verify_canonical),
        ("page-pay link (api_alipay_trade_page_pay)", args.n_sign, page_link),
    ]:
        ops, median_us, total = timed(n, fn)
        print(f"  {name:45s} {ops:9.0f} ops/s   median {median_us:8.1f} µs/op   ({n} in {total:.2f} s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
