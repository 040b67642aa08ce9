"""python-alipay-sdk (3.4.0), used as an ordinary merchant client, against Paydesk's simulator.

page pay link -> cashier -> pay (test hook) -> the SDK's own verification of the return URL and
the notify -> query -> partial refund (+ idempotent repeat) -> refund query -> close of another
unpaid trade -> bill download for "yesterday" (after moving the simulator clock a day).
Every answer goes through the SDK's response verification; a deliberately corrupted answer must
fail it. Usage: python_flow.py INFO_JSON (written by `paydesk-sim --info-file`). Exit 0 = pass.
"""

import io
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import alipay as alipay_module
from alipay import AliPay
from alipay.exceptions import AliPayValidationError

BEIJING = timezone(timedelta(hours=8))


class SimClockDatetime(datetime):
    """The SDK stamps requests with datetime.now() in the machine's zone (a known trap: Alipay
    reads GMT+8). Pin GMT+8 and follow the simulator's clock, as a merchant whose clock agrees
    with Alipay's would."""

    offset = timedelta(0)

    @classmethod
    def now(cls, tz=None):
        return datetime.now(BEIJING).replace(tzinfo=None) + cls.offset


alipay_module.datetime = SimClockDatetime


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def http_json(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


class NotifyHandler(BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        NotifyHandler.bodies.append(self.rfile.read(n).decode())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args):
        pass


def wait_notifies(n):
    for _ in range(500):
        if len(NotifyHandler.bodies) >= n:
            return NotifyHandler.bodies
        time.sleep(0.02)
    raise AssertionError(f"expected {n} notifies, got {len(NotifyHandler.bodies)}")


def verify_form(client, text):
    """The SDK's own callback verification: form-decode once, pop sign, verify."""
    data = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    sign = data.pop("sign")
    return data, client.verify(dict(data), sign)


def main(info_path):
    with open(info_path) as f:
        info = json.load(f)
    base = info["base_url"]
    with open(info["app_private_key"]) as f:
        app_key = f.read()
    with open(info["alipay_public_key"]) as f:
        alipay_key = f.read()
    client = AliPay(
        appid=info["app_id"],
        app_notify_url=None,
        app_private_key_string=app_key,
        alipay_public_key_string=alipay_key,
        sign_type="RSA2",
    )
    client._gateway = info["gateway_url"]

    server = HTTPServer(("127.0.0.1", 0), NotifyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    notify_url = f"http://127.0.0.1:{server.server_port}/notify"

    otn = "py_" + str(int(time.time() * 1000))
    passback = urllib.parse.quote("order=1&from=python")
    order = client.api_alipay_trade_page_pay(
        subject="Python 全栈课程",
        out_trade_no=otn,
        total_amount="88.88",
        return_url="http://127.0.0.1:9/return",
        notify_url=notify_url,
        passback_params=passback,
    )
    link = info["gateway_url"] + "?" + order

    r = client.api_alipay_trade_query(out_trade_no=otn)
    check(r.get("sub_code") == "ACQ.TRADE_NOT_EXIST", "query before the cashier: ACQ.TRADE_NOT_EXIST (signed, verified)")

    with urllib.request.urlopen(link, timeout=10) as resp:
        page = resp.read().decode()
    check("Python 全栈课程" in page and "88.88" in page and otn in page, "cashier shows subject, amount, out_trade_no")
    r = client.api_alipay_trade_query(out_trade_no=otn)
    check(r["trade_status"] == "WAIT_BUYER_PAY" and len(r["trade_no"]) == 28, "opening the cashier created the trade")

    paid = http_json(base + "/sim/pay", {"out_trade_no": otn})
    ret = paid["return_url"]
    data, ok = verify_form(client, urllib.parse.urlsplit(ret).query)
    check(ok, "return URL verifies with the SDK")
    check(data["method"] == "alipay.trade.page.pay.return" and data["total_amount"] == "88.88", "return URL fields")
    tampered = ret.replace("total_amount=88.88", "total_amount=0.01")
    check(not verify_form(client, urllib.parse.urlsplit(tampered).query)[1], "a tampered return URL fails the SDK's check")

    body = wait_notifies(1)[0]
    data, ok = verify_form(client, body)
    check(ok, "notify verifies with the SDK")
    check(data["trade_status"] == "TRADE_SUCCESS" and data["notify_type"] == "trade_status_sync", "notify says TRADE_SUCCESS")
    check(data["passback_params"] == passback, "passback_params comes back still encoded")

    r = client.api_alipay_trade_query(out_trade_no=otn)
    check(r["trade_status"] == "TRADE_SUCCESS" and r["total_amount"] == "88.88", "query: TRADE_SUCCESS 88.88")

    r = client.api_alipay_trade_refund(refund_amount="10.00", out_trade_no=otn, out_request_no="py_rf_1")
    check(r["code"] == "10000" and r["fund_change"] == "Y" and r["refund_fee"] == "10.00", "partial refund: fund_change Y")
    r = client.api_alipay_trade_refund(refund_amount="10.00", out_trade_no=otn, out_request_no="py_rf_1")
    check(r["fund_change"] == "N" and r["refund_fee"] == "10.00", "same out_request_no again: fund_change N")
    r = client.api_alipay_trade_refund(refund_amount="5.00", out_trade_no=otn)
    check(r.get("sub_code") == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "partial refund without out_request_no refused")
    r = client.api_alipay_trade_fastpay_refund_query("py_rf_1", out_trade_no=otn)
    check(r.get("refund_status") == "REFUND_SUCCESS" and r["refund_amount"] == "10.00", "refund query: REFUND_SUCCESS")
    data, ok = verify_form(client, wait_notifies(2)[1])
    check(ok and data["out_biz_no"] == "py_rf_1" and data["refund_fee"] == "10.00", "refund notify verifies")

    otn2 = otn + "_2"
    order2 = client.api_alipay_trade_page_pay(subject="第二单", out_trade_no=otn2, total_amount="1.00")
    r = client.api_alipay_trade_close(out_trade_no=otn2)
    check(r.get("sub_code") == "ACQ.TRADE_NOT_EXIST", "close before the cashier: ACQ.TRADE_NOT_EXIST")
    urllib.request.urlopen(info["gateway_url"] + "?" + order2, timeout=10).read()
    r = client.api_alipay_trade_close(out_trade_no=otn2)
    check(r["code"] == "10000", "close of the unpaid trade")
    r = client.api_alipay_trade_query(out_trade_no=otn2)
    check(r["trade_status"] == "TRADE_CLOSED", "query: TRADE_CLOSED")

    day = SimClockDatetime.now().strftime("%Y-%m-%d")
    clock = http_json(base + "/sim/clock", {"advance_secs": 86400})
    SimClockDatetime.offset = timedelta(seconds=clock["offset_secs"])
    r = client.server_api(
        "alipay.data.dataservice.bill.downloadurl.query",
        biz_content={"bill_type": "trade", "bill_date": day},
    )
    url = r["bill_download_url"]
    check(r["code"] == "10000" and url.startswith(base), "bill URL for yesterday")
    with urllib.request.urlopen(url, timeout=10) as resp:
        zbytes = resp.read()
    z = zipfile.ZipFile(io.BytesIO(zbytes))
    names = []
    for zi in z.infolist():
        check(zi.flag_bits & 0x800 == 0, "zip entry without the UTF-8 flag")
        # Without the flag Python decodes names as cp437; the bytes are GBK.
        names.append(zi.filename.encode("cp437").decode("gbk"))
    check(any(n.endswith("_业务明细.csv") for n in names) and any(n.endswith("_业务明细(汇总).csv") for n in names), f"GBK entry names {names}")
    detail = z.read(z.infolist()[0]).decode("gbk")
    rows = [l.split(",") for l in detail.splitlines() if l and not l.startswith("#")]
    header, rows = rows[0], rows[1:]
    check(len(header) == 25, "25 columns")
    col = {name: i for i, name in enumerate(header)}
    mine = [row for row in rows if row[col["商户订单号"]].strip() == otn]
    check(len(mine) == 2, "our payment and our refund are in the bill")
    refund = [row for row in mine if row[col["业务类型"]].strip() == "退款"][0]
    check(refund[col["商家实收（元）"]] == "-10.00" and refund[col["退款批次号/请求号"]].strip() == "py_rf_1", "refund row negative with out_request_no")

    data = client.build_body("alipay.trade.query", {"out_trade_no": otn})
    with urllib.request.urlopen(info["gateway_url"] + "?" + client.sign_data(data), timeout=10) as resp:
        raw = resp.read().decode()
    good = client._verify_and_return_sync_response(raw, "alipay_trade_query_response")
    check(good["trade_status"] == "TRADE_SUCCESS", "raw answer verifies")
    corrupted = raw.replace('"total_amount":"88.88"', '"total_amount":"88.89"')
    check(corrupted != raw, "corrupted one amount in the answer")
    try:
        client._verify_and_return_sync_response(corrupted, "alipay_trade_query_response")
    except AliPayValidationError:
        check(True, "the corrupted answer fails the SDK's verification")
    else:
        raise AssertionError("the corrupted answer was accepted")
    server.shutdown()
    print("python-alipay-sdk flow against the simulator: PASS")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # any failure: say what and exit non-zero
        print("FAIL:", repr(e), file=sys.stderr)
        sys.exit(1)
