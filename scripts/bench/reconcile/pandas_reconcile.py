"""The same reconciliation as `paydesk reconcile`, done the way a data analyst would with pandas:
read Alipay's trade bill (zip, GBK entry names, GBK CSV), check it against its own totals, load
the day's orders and Paydesk refunds from the SQLite platform database, match, and count the
categories and the day's money. Prints one JSON object.

usage: pandas_reconcile.py DB.sqlite BILL.zip 2026-11-24
"""

import io
import json
import sqlite3
import sys
import zipfile
from datetime import date, timedelta

import numpy as np
import pandas as pd


def entry_name(info: zipfile.ZipInfo) -> str:
    # No UTF-8 flag: Python decoded the raw GBK bytes as cp437; undo that.
    if info.flag_bits & 0x800:
        return info.filename
    return info.filename.encode("cp437").decode("gbk")


def read_bill(path: str):
    with zipfile.ZipFile(path) as z:
        infos = {entry_name(i): i for i in z.infolist()}
        detail = next(n for n in infos if "业务明细" in n and "汇总" not in n)
        raw = z.read(infos[detail])
    text = raw.decode("gbk")
    comments = [l for l in text.splitlines() if l.startswith("#")]
    df = pd.read_csv(
        io.StringIO(text),
        comment="#",
        dtype=str,
        keep_default_na=False,
        usecols=["支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "商家实收（元）", "退款批次号/请求号", "服务费（元）"],
    )
    for c in ["支付宝交易号", "商户订单号", "业务类型", "退款批次号/请求号"]:
        df[c] = df[c].str.strip()
    # Money in integer fen: floats would drift in the sums.
    for c in ["订单金额（元）", "商家实收（元）", "服务费（元）"]:
        df[c] = (df[c].replace("", "0").astype(float) * 100).round().astype(np.int64)
    return df, comments


def stated(comments, label, key):
    line = next(l for l in comments if label in l)
    count = int(line.split("：", 1)[1].split("笔", 1)[0])
    amount = line.split(key, 1)[1].split("元", 1)[0]
    return count, round(float(amount) * 100)


def main():
    db, bill, day = sys.argv[1], sys.argv[2], sys.argv[3]
    start = date.fromisoformat(day)
    end = start + timedelta(days=1)
    df, comments = read_bill(bill)
    pay = df[df["业务类型"] == "交易"]
    ref = df[df["业务类型"] == "退款"]
    pn, ps = stated(comments, "交易合计", "商家实收共")
    rn, rs = stated(comments, "退款合计", "商家实收退款共")
    if (pn, ps) != (len(pay), int(pay["商家实收（元）"].sum())) or (rn, rs) != (len(ref), int(ref["商家实收（元）"].sum())):
        raise SystemExit("the bill does not add up")

    con = sqlite3.connect(db)
    s, e = f"{start} 00:00:00", f"{end} 00:00:00"
    c0 = f"{start - timedelta(days=1)} 00:00:00"
    orders = pd.read_sql_query(
        "SELECT id, order_number, real_price, order_status, pay_type, pay_time FROM ly_order "
        "WHERE (created_time >= ? AND created_time < ?) OR (pay_time >= ? AND pay_time < ?)",
        con,
        params=(c0, e, s, e),
    )
    refunds = pd.read_sql_query(
        "SELECT out_request_no, order_number, amount, status, COALESCE(gmt_refund_pay, resolved_time) AS at "
        "FROM paydesk_refunds WHERE (created_time >= ? AND created_time < ?) OR status IN ('pending','unknown')",
        con,
        params=(f"{start - timedelta(days=35)} 00:00:00", f"{end + timedelta(days=1)} 00:00:00"),
    )

    counts = {}
    shared = orders["order_number"].duplicated(keep=False)
    m = pay.merge(orders[~shared], how="left", left_on="商户订单号", right_on="order_number", indicator=True)
    dup = m.duplicated("商户订单号", keep="first")
    found = (m["_merge"] == "both") & ~dup
    amount_ok = m["订单金额（元）"] == m["real_price"]  # SQLite stores fen
    st = m["order_status"]
    cat = np.select(
        [dup, ~found & m["商户订单号"].str.isdigit(), ~found, ~amount_ok, st == 1, st == 0, st.isin([2, 3])],
        ["duplicate", "unknown_order", "other_app", "amount_mismatch", "matched", "missed_notify", "paid_after_close"],
        default="status_unknown",
    )
    for k, v in pd.Series(cat).value_counts().items():
        counts[k] = counts.get(k, 0) + int(v)

    seen = set(pay["商户订单号"])
    paid = orders[
        (orders["order_status"] == 1)
        & (orders["pay_time"] >= s)
        & (orders["pay_time"] < e)
        & (orders["pay_type"] != 2)
        & (orders["real_price"] > 0)
        & ~shared
    ]
    missing = int((~paid["order_number"].isin(seen)).sum())
    if missing:
        counts["missing_from_bill"] = missing

    r = ref.merge(refunds, how="left", left_on="退款批次号/请求号", right_on="out_request_no", indicator=True)
    rdup = r.duplicated("退款批次号/请求号", keep="first")
    rfound = r["_merge"] == "both"
    ok_amt = (-r["商家实收（元）"] == r["amount"]) & (r["order_number"] == r["商户订单号"])
    rcat = np.select(
        [rdup, ~rfound, (r["status"] == "succeeded") & ok_amt, r["status"] == "succeeded", r["status"] == "failed"],
        ["duplicate", "refund_outside_paydesk", "refund_matched", "refund_mismatch", "refund_failed_locally"],
        default="refund_unresolved",
    )
    for k, v in pd.Series(rcat).value_counts().items():
        counts[k] = counts.get(k, 0) + int(v)
    lost = refunds[(refunds["status"] == "succeeded") & (refunds["at"] >= s) & (refunds["at"] < e) & ~refunds["out_request_no"].isin(set(ref["退款批次号/请求号"]))]
    if len(lost):
        counts["refund_missing_from_bill"] = len(lost)

    df["day"] = df["完成时间"].str.slice(0, 10)
    days = df.groupby("day").agg(received=("商家实收（元）", "sum"), fees=("服务费（元）", "sum"))
    total = {
        "received": int(pay["商家实收（元）"].sum()) / 100,
        "refunded": int(ref["商家实收（元）"].sum()) / 100,
        "fees": int(df["服务费（元）"].sum()) / 100,
        "net": int((days["received"] + days["fees"]).sum()) / 100,
    }
    print(json.dumps({"counts": counts, "total": total}, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
