#!/usr/bin/env python3
"""Generates the peer conformance vectors under crates/alipay/tests/fixtures/peers/.

Run through scripts/peers/regen.sh (it installs the pinned peers and sets TZ). This script drives
python-alipay-sdk in-process and the Node SDK through gen_vectors.mjs (a JSON request on stdin, a
JSON answer on stdout), then writes:

  links.json       signed pay links/strings made by each peer's own API, with the exact parameter
                   set each peer signed, its canonical string and its signature
  callbacks.json   return URLs and notify bodies signed with the test "Alipay" key, plus each
                   peer's own verdict
  responses.json   signed gateway responses, plus each peer's own verdict
  cert_sns.json    certificate SNs as the Node SDK computes them (and python's, bugs included)

Keys and certificates are created once (only when missing) and then reused, so re-running gives
byte-identical files. Delete them to start over with new ones (--new-keys does that).
"""

import argparse
import base64
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = REPO / "crates" / "alipay" / "tests" / "fixtures" / "peers"
CERTS = FIXTURES / "certs"

# Beijing wall time every peer-made timestamp is pinned to. Both SDKs format *local* time, so the
# generator also runs with TZ=Asia/Shanghai (a fact about the peers that Paydesk must not copy).
FIXED_NOW = dt.datetime(2025, 3, 14, 9, 26, 53)
FIXED_NOW_ISO = "2025-03-14T09:26:53+08:00"
APP_ID = "2021004100000001"
SELLER_ID = "2088621000000001"
GATEWAY = "https://openapi.alipay.com/gateway.do"
RETURN_URL = "https://www.luffycity.com/pay/return/?next=/my/orders&utm_source=alipay"
NOTIFY_URL = "https://api.luffycity.com/pay/notify"

SUBJECTS = {
    "ascii": "Python full-stack course",
    "cjk": "路飞学城 Python 全栈开发（第 9 期）",
    "special": "A&B=C+D%E~F*G'H!I(J)K/L M  N",
}


def die(msg):
    print(f"gen_vectors: {msg}", file=sys.stderr)
    sys.exit(1)


def write_json(name, obj):
    text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
    (FIXTURES / name).write_text(text, encoding="utf-8")


def read(p):
    return Path(p).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Keys and certificates (created once)


def ensure_keys(new):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    FIXTURES.mkdir(parents=True, exist_ok=True)
    specs = [
        # The app key as the Alipay key tool writes it (PKCS#8); "Alipay's" key as PKCS#1, so the
        # Rust side loads both forms.
        ("app", serialization.PrivateFormat.PKCS8),
        ("alipay", serialization.PrivateFormat.TraditionalOpenSSL),
    ]
    for who, fmt in specs:
        priv = FIXTURES / f"test_{who}_private_key.pem"
        pub = FIXTURES / f"test_{who}_public_key.pem"
        if new or not priv.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            priv.write_bytes(
                key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
            )
        key = serialization.load_pem_private_key(priv.read_bytes(), password=None)
        pub.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def _name(*pairs):
    from cryptography import x509

    oids = {
        "C": x509.NameOID.COUNTRY_NAME,
        "ST": x509.NameOID.STATE_OR_PROVINCE_NAME,
        "L": x509.NameOID.LOCALITY_NAME,
        "O": x509.NameOID.ORGANIZATION_NAME,
        "OU": x509.NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": x509.NameOID.COMMON_NAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in pairs])


# Issuer DNs in the order they are encoded (most significant first); RFC 2253 reverses them.
DN_ROOT_R1 = [("C", "CN"), ("O", "Paydesk Test"), ("OU", "Certification Authority"),
              ("CN", "Paydesk Test Root CA R1")]
DN_ROOT_R2 = [("C", "CN"), ("ST", "Beijing"), ("L", "Haidian"), ("O", "Paydesk Test"),
              ("OU", "Test Roots"), ("CN", "Paydesk Test Root CA R2")]
DN_ROOT_EC = [("C", "CN"), ("O", "Paydesk Test"), ("OU", "Certification Authority"),
              ("CN", "Paydesk Test ECC Root")]
DN_CLASS2 = [("O", "Paydesk Test"), ("CN", "Paydesk Test Class 2 CA")]

# Serials: > 64 bits (with the high bit of the top byte set, so DER needs a leading 0x00), a
# 128-bit-ish one, and an ordinary Alipay-like one.
SERIAL_R1 = 0x0AB1C2D3E4F5061728394A5B6C7D8E9F
SERIAL_R2 = 0x2025031400000002
SERIAL_EC = 0x2025031400000003
SERIAL_CLASS2 = 0x00F1E2D3C4B5A6978800112233
SERIAL_APP = 0x8F0102030405060708090A
SERIAL_ALIPAY = 0x2025031400000009


def ensure_certs(new):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    CERTS.mkdir(parents=True, exist_ok=True)
    names = ["root_rsa_r1.pem", "root_rsa_r2.pem", "root_ec.pem", "class2_ca.pem",
             "app_cert.pem", "alipay_cert.pem"]
    if not new and all((CERTS / n).exists() for n in names):
        return

    not_before = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    not_after = dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)

    def build(subject, issuer, serial, public_key, signer_key, algo, ca):
        b = (x509.CertificateBuilder().subject_name(_name(*subject)).issuer_name(_name(*issuer))
             .serial_number(serial).public_key(public_key)
             .not_valid_before(not_before).not_valid_after(not_after)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        return b.sign(signer_key, algo)

    def pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM)

    # CA keys are throw-away: only the certificates are kept.
    k_r1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    k_r2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    k_ec = ec.generate_private_key(ec.SECP256R1())
    k_c2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app_pub = serialization.load_pem_public_key((FIXTURES / "test_app_public_key.pem").read_bytes())
    ali_pub = serialization.load_pem_public_key((FIXTURES / "test_alipay_public_key.pem").read_bytes())

    r1 = build(DN_ROOT_R1, DN_ROOT_R1, SERIAL_R1, k_r1.public_key(), k_r1, hashes.SHA256(), True)
    # sha384WithRSAEncryption (1.2.840.113549.1.1.12): another member of the RSA OID arc.
    r2 = build(DN_ROOT_R2, DN_ROOT_R2, SERIAL_R2, k_r2.public_key(), k_r2, hashes.SHA384(), True)
    rec = build(DN_ROOT_EC, DN_ROOT_EC, SERIAL_EC, k_ec.public_key(), k_ec, hashes.SHA256(), True)
    c2 = build(DN_CLASS2, DN_ROOT_R1, SERIAL_CLASS2, k_c2.public_key(), k_r1, hashes.SHA256(), True)
    app = build([("C", "CN"), ("O", "Luffycity Test"), ("OU", "Paydesk"), ("CN", APP_ID)],
                DN_CLASS2, SERIAL_APP, app_pub, k_c2, hashes.SHA256(), False)
    ali = build([("C", "CN"), ("O", "Paydesk Test"), ("OU", "Alipay"), ("CN", "Alipay test cert")],
                DN_ROOT_R2, SERIAL_ALIPAY, ali_pub, k_r2, hashes.SHA256(), False)
    for n, c in zip(names, [r1, r2, rec, c2, app, ali]):
        (CERTS / n).write_bytes(pem(c))


def ensure_bundles():
    r1, r2, ec_ = (read(CERTS / n) for n in ("root_rsa_r1.pem", "root_ec.pem", "root_rsa_r2.pem"))
    # Ordering: RSA, ECC, RSA. Alipay's alipayRootCert.crt separates certificates by a blank line;
    # the second bundle has none (python-alipay-sdk splits on blank lines).
    (CERTS / "root_bundle.pem").write_text(r1 + "\n" + r2 + "\n" + ec_, encoding="utf-8")
    (CERTS / "root_bundle_no_blank_lines.pem").write_text(r1 + r2 + ec_, encoding="utf-8")
    (CERTS / "root_bundle_crlf.pem").write_bytes((r1 + "\n" + r2 + "\n" + ec_).replace("\n", "\r\n").encode())


def independent_sn(pem_text):
    """The SN from the definition (md5 of RFC 2253 issuer + decimal serial) with `cryptography`,
    a third opinion next to the two peers."""
    from cryptography import x509

    c = x509.load_pem_x509_certificate(pem_text.encode())
    return hashlib.md5((c.issuer.rfc4514_string() + str(c.serial_number)).encode()).hexdigest()


def cert_info(pem_text):
    from cryptography import x509

    c = x509.load_pem_x509_certificate(pem_text.encode())
    return {
        "issuer_rfc2253": c.issuer.rfc4514_string(),
        "issuer_attributes": len(c.issuer),
        "serial_decimal": str(c.serial_number),
        "serial_bits": c.serial_number.bit_length(),
        "signature_algorithm_oid": c.signature_algorithm_oid.dotted_string,
    }


# --------------------------------------------------------------------------------------------
# python-alipay-sdk


def pin_python_clock():
    import alipay

    class PinnedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return FIXED_NOW

    # build_body does `datetime.now()` through the module-level name.
    alipay.datetime = PinnedDatetime


def py_alipay(sign_type, private_key_file, public_key_file):
    import alipay

    return alipay.AliPay(
        appid=APP_ID,
        app_notify_url=None,
        app_private_key_string=read(FIXTURES / private_key_file),
        alipay_public_key_string=read(FIXTURES / public_key_file),
        sign_type=sign_type,
    )


def capture_canonical(ali):
    """Records what the SDK hands to its signer: the peer's own canonical string."""
    seen = []
    orig = ali._sign

    def hook(s):
        seen.append(s)
        return orig(s)

    ali._sign = hook
    return seen


def parse_query_strict(q):
    pairs = urllib.parse.parse_qsl(q, keep_blank_values=True, strict_parsing=True)
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        die(f"duplicate keys in a peer's output: {q}")
    return dict(pairs)


def python_links():
    import alipay

    out = []
    base = dict(out_trade_no="LC20250314092653001", total_amount="1579.00")

    def record(id_, call, method, sign_type, ali, seen, query, inputs, notes=None):
        params = parse_query_strict(query)
        sign = params.pop("sign")
        if len(seen) != 1:
            die(f"{id_}: expected one signing call, saw {len(seen)}")
        canonical = seen[0]
        # The canonical the peer signed must be the one its parameters give under Alipay's rule,
        # except where the peer keeps empty values (never here: python drops empty URLs only).
        out.append({
            "id": id_,
            "peer": "python-alipay-sdk",
            "call": call,
            "method": method,
            "sign_type": sign_type,
            "inputs": inputs,
            "params": dict(sorted(params.items())),
            "canonical": canonical,
            "canonical_source": "captured: the string the peer passed to its signer",
            "empty_values_signed": any(v == "" for v in params.values()),
            "sign": sign,
            "query": query,
            "link": GATEWAY + "?" + query,
            **({"notes": notes} if notes else {}),
        })

    cases = [
        # id, api, subject key, sign_type, return_url, notify_url
        ("page/ascii/rsa2", "page", "ascii", "RSA2", RETURN_URL, NOTIFY_URL),
        ("page/cjk/rsa2", "page", "cjk", "RSA2", RETURN_URL, NOTIFY_URL),
        ("page/special/rsa2/no-notify", "page", "special", "RSA2", RETURN_URL, None),
        ("wap/ascii/rsa2/no-notify", "wap", "ascii", "RSA2", RETURN_URL, None),
        ("wap/cjk/rsa2", "wap", "cjk", "RSA2", RETURN_URL, NOTIFY_URL),
        ("wap/special/rsa2/no-urls", "wap", "special", "RSA2", None, None),
        ("page/cjk/rsa", "page", "cjk", "RSA", RETURN_URL, NOTIFY_URL),
        ("page/special/rsa/no-notify", "page", "special", "RSA", RETURN_URL, None),
        # Python drops an empty notify_url/return_url (and only those).
        ("page/ascii/rsa2/empty-notify", "page", "ascii", "RSA2", RETURN_URL, ""),
    ]
    for id_, api, subj, st, ret, notify in cases:
        ali = py_alipay(st, "test_app_private_key.pem", "test_alipay_public_key.pem")
        seen = capture_canonical(ali)
        fn = ali.api_alipay_trade_page_pay if api == "page" else ali.api_alipay_trade_wap_pay
        kwargs = dict(subject=SUBJECTS[subj], **base, return_url=ret, notify_url=notify)
        query = fn(**kwargs)
        notes = None
        if api == "wap":
            notes = "python-alipay-sdk 3.4.0 sends product_code QUICK_WAP_PAY (Alipay documents QUICK_WAP_WAY); recorded as the peer sent it"
        record("python/" + id_, f"AliPay.api_alipay_trade_{api}_pay", f"alipay.trade.{api}.pay",
               st, ali, seen, query, kwargs, notes)

    # Optional business fields through the same call, incl. passback_params URL-encoded by the caller.
    ali = py_alipay("RSA2", "test_app_private_key.pem", "test_alipay_public_key.pem")
    seen = capture_canonical(ali)
    kwargs = dict(subject=SUBJECTS["cjk"], **base, return_url=RETURN_URL, notify_url=NOTIFY_URL,
                  body="含税 & 发票", timeout_express="30m",
                  passback_params=urllib.parse.quote("merchant=luffy&course=42", safe=""))
    query = ali.api_alipay_trade_page_pay(**kwargs)
    record("python/page/cjk/rsa2/optional-fields", "AliPay.api_alipay_trade_page_pay",
           "alipay.trade.page.pay", "RSA2", ali, seen, query, kwargs)

    # The generic client_api (what the seed uses for other methods) with a hand-built biz_content.
    ali = py_alipay("RSA2", "test_app_private_key.pem", "test_alipay_public_key.pem")
    seen = capture_canonical(ali)
    biz = {"out_trade_no": "LC20250314092653002", "total_amount": "0.01",
           "subject": SUBJECTS["special"], "product_code": "FAST_INSTANT_TRADE_PAY"}
    query = ali.client_api("alipay.trade.page.pay", biz, return_url=RETURN_URL, notify_url=NOTIFY_URL)
    record("python/client_api/page/special/rsa2", "AliPay.client_api", "alipay.trade.page.pay",
           "RSA2", ali, seen, query, {"biz_content": biz, "return_url": RETURN_URL, "notify_url": NOTIFY_URL})

    # Certificate mode (DCAliPay adds app_cert_sn / alipay_root_cert_sn). Its SNs are python's own
    # (wrong for our 2- and 6-attribute issuers, see cert_sns.json); as signed parameters they are
    # still just values, and the signature must match ours on the same set.
    ali = alipay.DCAliPay(
        appid=APP_ID,
        app_private_key_string=read(FIXTURES / "test_app_private_key.pem"),
        app_public_key_cert_string=read(CERTS / "app_cert.pem"),
        alipay_public_key_cert_string=read(CERTS / "alipay_cert.pem"),
        alipay_root_cert_string=read(CERTS / "root_bundle.pem"),
        sign_type="RSA2",
    )
    seen = capture_canonical(ali)
    kwargs = dict(subject=SUBJECTS["ascii"], **base, return_url=RETURN_URL, notify_url=NOTIFY_URL)
    query = ali.api_alipay_trade_page_pay(**kwargs)
    record("python/cert/page/ascii/rsa2", "DCAliPay.api_alipay_trade_page_pay",
           "alipay.trade.page.pay", "RSA2", ali, seen, query, kwargs,
           "app_cert_sn/alipay_root_cert_sn are python-alipay-sdk's own (see cert_sns.json)")
    return out


# --------------------------------------------------------------------------------------------
# Callbacks (return URLs, notifies) signed with the test "Alipay" key


def java_urlencode(s, charset="utf-8"):
    """Form-encodes like java.net.URLEncoder (what Alipay's servers use): space -> '+',
    [A-Za-z0-9.*_-] kept, everything else %XX of the charset's bytes (uppercase hex)."""
    keep = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")
    out = []
    for b in s.encode(charset):
        if b in keep:
            out.append(chr(b))
        elif b == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def callback_cases():
    ret_common = [
        ("charset", "utf-8"),
        ("out_trade_no", "LC20250314092653001"),
        ("method", "alipay.trade.page.pay.return"),
        ("total_amount", "1579.00"),
        ("trade_no", "2025031422001458860500000001"),
        ("auth_app_id", APP_ID),
        ("version", "1.0"),
        ("app_id", APP_ID),
        ("seller_id", SELLER_ID),
        ("timestamp", "2022-07-12 12:50:02"),
    ]
    fund_bill = '[{"amount":"1579.00","fundChannel":"ALIPAYACCOUNT"}]'

    def notify(subject, charset="utf-8", status="TRADE_SUCCESS", extra=()):
        return [
            ("gmt_create", "2025-03-14 09:27:10"),
            ("charset", charset),
            ("seller_email", "paydesk-test@luffycity.com"),
            ("subject", subject),
            ("buyer_id", "2088102177846875"),
            ("invoice_amount", "1579.00"),
            ("notify_id", "2025031400222092712046870500000001"),
            ("fund_bill_list", fund_bill),
            ("notify_type", "trade_status_sync"),
            ("trade_status", status),
            ("receipt_amount", "1579.00"),
            ("buyer_pay_amount", "1579.00"),
            ("app_id", APP_ID),
            ("notify_time", "2025-03-14 09:27:12"),
            ("point_amount", "0.00"),
            ("total_amount", "1579.00"),
            ("trade_no", "2025031422001458860500000001"),
            ("auth_app_id", APP_ID),
            ("buyer_logon_id", "csq***@sandbox.com"),
            ("out_trade_no", "LC20250314092653001"),
            ("seller_id", SELLER_ID),
            ("gmt_payment", "2025-03-14 09:27:11"),
            ("version", "1.0"),
            *extra,
        ]

    return [
        # id, kind, sign_type, fields (sign/sign_type added), charset for signing, encoder, prefix
        ("return/url/rsa2", "return", "RSA2", ret_common, "utf-8", "peer", "https://www.luffycity.com/pay/return/?"),
        ("return/query/rsa2", "return", "RSA2", ret_common, "utf-8", "java", ""),
        ("return/url/rsa", "return", "RSA", ret_common, "utf-8", "java", "http://127.0.0.1:8000/pay/return?"),
        ("notify/cjk/rsa2", "notify", "RSA2",
         notify(SUBJECTS["cjk"], extra=[("body", "含税 & 发票"),
                                       ("passback_params", urllib.parse.quote("merchant=luffy&course=42", safe=""))]),
         "utf-8", "java", ""),
        ("notify/special/rsa2", "notify", "RSA2",
         notify(SUBJECTS["special"], status="TRADE_FINISHED"), "utf-8", "java", ""),
        ("notify/ascii/rsa2/closed", "notify", "RSA2",
         notify(SUBJECTS["ascii"], status="TRADE_CLOSED", extra=[("refund_fee", "1579.00"),
                                                                ("gmt_refund", "2025-03-15 10:00:00.123"),
                                                                ("gmt_close", "2025-03-15 10:00:00"),
                                                                ("out_biz_no", "RF20250315100000001")]),
         "utf-8", "peer", ""),
        ("notify/gbk/rsa2", "notify", "RSA2", notify(SUBJECTS["cjk"], charset="gbk",
                                                     extra=[("body", "含税发票")]), "gbk", "java", ""),
        ("notify/cjk/rsa", "notify", "RSA", notify(SUBJECTS["cjk"]), "utf-8", "java", ""),
    ]


def python_callbacks():
    from Cryptodome.Hash import SHA, SHA256
    from Cryptodome.Signature import PKCS1_v1_5

    out = []
    for id_, kind, st, fields, charset, enc, prefix in callback_cases():
        # "Alipay" signs: an SDK instance holding the test Alipay private key as its signing key.
        signer = py_alipay(st, "test_alipay_private_key.pem", "test_app_public_key.pem")
        content = "&".join(f"{k}={v}" for k, v in signer._ordered_data(dict(fields)))
        if charset == "utf-8":
            sig = signer._sign(content)
            how = "python-alipay-sdk AliPay._sign (UTF-8) with the test Alipay key"
        else:
            # Alipay signs the bytes in the notify's charset (Java: content.getBytes(charset)); the
            # SDK's _sign only does UTF-8, so use the same primitive it wraps (pycryptodomex) on
            # the GBK bytes.
            h = (SHA if st == "RSA" else SHA256).new(content.encode(charset))
            sig = base64.b64encode(PKCS1_v1_5.new(signer.app_private_key).sign(h)).decode()
            how = "pycryptodomex PKCS1_v1_5 (python-alipay-sdk's primitive) over the GBK bytes, test Alipay key"
        sent = list(fields) + [("sign", sig), ("sign_type", st)]
        if enc == "peer":
            from alipay.compat import quote_plus
            body = "&".join(f"{k}={quote_plus(v)}" for k, v in sent)
        else:
            body = "&".join(f"{k}={java_urlencode(v, charset)}" for k, v in sent)

        # The peer's own verdict, on the input decoded once with form rules.
        verifier = py_alipay(st, "test_app_private_key.pem", "test_alipay_public_key.pem")
        decoded = urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True,
                                         encoding=charset)
        data = dict(decoded)
        sign = data.pop("sign")
        try:
            verdict = bool(verifier.verify(data, sign))
        except Exception as e:  # the peer's verdict, whatever form it takes
            verdict = f"{type(e).__name__}: {e}"
        out.append({
            "id": id_,
            "kind": kind,
            "charset": charset,
            "sign_type": st,
            "signed_by": how,
            "fields": [[k, v] for k, v in sent],
            "canonical": content,
            "encoding": "python quote_plus" if enc == "peer" else "java.net.URLEncoder style",
            "input": prefix + body,
            "peer_verdicts": {"python-alipay-sdk": {"AliPay.verify": verdict}},
        })
    return out


# --------------------------------------------------------------------------------------------
# Gateway responses signed with the test "Alipay" key


def response_cases(alipay_cert_sn):
    q = ('{"code":"10000","msg":"Success","buyer_logon_id":"csq***@sandbox.com",'
         '"buyer_pay_amount":"1579.00","buyer_user_id":"2088102177846875",'
         '"invoice_amount":"1579.00","out_trade_no":"LC20250314092653001","point_amount":"0.00",'
         '"receipt_amount":"1579.00","send_pay_date":"2025-03-14 09:27:11",'
         '"total_amount":"1579.00","trade_no":"2025031422001458860500000001",'
         '"trade_status":"TRADE_SUCCESS"}')
    not_exist = ('{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST",'
                 '"sub_msg":"交易不存在","buyer_pay_amount":"0.00","invoice_amount":"0.00",'
                 '"out_trade_no":"LC20250314092653404","point_amount":"0.00","receipt_amount":"0.00"}')
    err = ('{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature",'
           '"sub_msg":"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：'
           'app_id=' + APP_ID + '&amp;charset=utf-8&amp;method=alipay.trade.query&amp;sign_type=RSA2&amp;'
           'timestamp=2025-03-14 09:26:53&amp;version=1.0"}')
    refund = ('{"code":"10000","msg":"Success","buyer_logon_id":"csq***@sandbox.com",'
              '"buyer_user_id":"2088102177846875","fund_change":"Y","gmt_refund_pay":"2025-03-15 10:00:01",'
              '"out_trade_no":"LC20250314092653001","refund_fee":"100.00","send_back_fee":"100.00",'
              '"trade_no":"2025031422001458860500000001"}')
    bill = ('{"code":"10000","msg":"Success","bill_download_url":"http:\\/\\/dwbillcenter.alipay.com\\/'
            'downloadBillFile.resource?bizType=trade&userId=20880211096256330156&fileType=csv.zip&'
            'bizDates=20250313&downloadFileName=20880211096256330156_20250313.csv.zip&fileId=%2Ftrade'
            '%2F20880211096256330156%2F20250313&timestamp=1741915613&token=b4d1c1a1bd3ceb4b4dbd5e5c00f6f4d1"}')
    brace = ('{"code":"40004","msg":"Business Failed","sub_code":"ACQ.INVALID_PARAMETER",'
             '"sub_msg":"参数无效 biz_content={\\"out_trade_no\\":\\"LC}1\\"} at https:\\/\\/x.cn\\/a\\\\b"}')
    close = ('{"code":"10000","msg":"Success","out_trade_no":"LC20250314092653001",'
             '"trade_no":"2025031422001458860500000001"}')
    return [
        # id, method, sign_type, response key (None = method's), raw object, layout, cert sn
        ("query/success/rsa2", "alipay.trade.query", "RSA2", None, q, "plain", None),
        ("query/40004/rsa2", "alipay.trade.query", "RSA2", None, not_exist, "plain", None),
        ("query/error_response/rsa2", "alipay.trade.query", "RSA2", "error_response", err, "plain", None),
        ("refund/cert-mode/rsa2", "alipay.trade.refund", "RSA2", None, refund, "cert", alipay_cert_sn),
        ("bill/escaped-slashes/rsa2", "alipay.data.dataservice.bill.downloadurl.query", "RSA2", None, bill, "plain", None),
        ("close/brace-in-string/rsa2", "alipay.trade.close", "RSA2", None, brace, "plain", None),
        ("query/sign-first/rsa2", "alipay.trade.query", "RSA2", None, q, "sign-first", None),
        ("query/whitespace/rsa2", "alipay.trade.query", "RSA2", None, q, "spaced", None),
        ("close/success/rsa", "alipay.trade.close", "RSA", None, close, "plain", None),
    ]


def python_responses(alipay_cert_sn):
    import alipay

    out = []
    for id_, method, st, key, raw, layout, cert_sn in response_cases(alipay_cert_sn):
        rkey = key or method.replace(".", "_") + "_response"
        signer = py_alipay(st, "test_alipay_private_key.pem", "test_app_public_key.pem")
        sig = signer._sign(raw)
        if layout == "plain":
            body = '{"%s":%s,"sign":"%s"}' % (rkey, raw, sig)
        elif layout == "cert":
            body = '{"%s":%s,"alipay_cert_sn":"%s","sign":"%s"}' % (rkey, raw, cert_sn, sig)
        elif layout == "sign-first":
            body = '{"sign":"%s","%s":%s}' % (sig, rkey, raw)
        elif layout == "spaced":
            body = '{\n  "%s": %s,\n  "sign": "%s"\n}\n' % (rkey, raw, sig)
        else:
            die(layout)
        json.loads(body)  # every body is valid JSON

        verifier = py_alipay(st, "test_app_private_key.pem", "test_alipay_public_key.pem")
        resp_type = method.replace(".", "_") + "_response"
        try:
            verifier._verify_and_return_sync_response(body, resp_type)
            verdict = "verified"
        except alipay.exceptions.AliPayValidationError:
            verdict = "AliPayValidationError (signature rejected)"
        except alipay.exceptions.AliPayException as e:
            verdict = "AliPayException raised before any signature check (error_response or no sign)"
        except Exception as e:
            verdict = f"{type(e).__name__}: {e}"
        extracted = verifier._get_string_to_be_signed(body, resp_type)
        out.append({
            "id": id_,
            "method": method,
            "response_key": rkey,
            "sign_type": st,
            "signed_by": "python-alipay-sdk AliPay._sign with the test Alipay key",
            "signed_text": raw,
            "alipay_cert_sn": cert_sn,
            "body": body,
            "peer_verdicts": {"python-alipay-sdk": {
                "_verify_and_return_sync_response": verdict,
                "_get_string_to_be_signed_equals_signed_text": extracted == raw,
            }},
        })
    return out


# --------------------------------------------------------------------------------------------
# Cert SNs


def cert_cases():
    return [
        # id, file, is_root
        ("app_cert", "app_cert.pem", False),
        ("alipay_cert", "alipay_cert.pem", False),
        ("class2_ca", "class2_ca.pem", False),
        ("root_rsa_r1", "root_rsa_r1.pem", False),
        ("root_rsa_r2", "root_rsa_r2.pem", False),
        ("root_ec", "root_ec.pem", False),
        ("root_bundle", "root_bundle.pem", True),
        ("root_bundle_no_blank_lines", "root_bundle_no_blank_lines.pem", True),
        ("root_bundle_crlf", "root_bundle_crlf.pem", True),
    ]


def python_cert_sn(pem_text, is_root):
    import alipay

    try:
        if is_root:
            return alipay.DCAliPay.get_root_cert_sn(pem_text)
        return alipay.DCAliPay.get_cert_sn(pem_text)
    except Exception as e:
        return f"{type(e).__name__}: {e}"


# --------------------------------------------------------------------------------------------


def run_node(request):
    env = dict(os.environ, TZ="Asia/Shanghai")
    p = subprocess.run(["node", str(HERE / "gen_vectors.mjs")], input=json.dumps(request),
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        die(f"gen_vectors.mjs failed:\n{p.stderr}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--new-keys", action="store_true", help="make new test keys and certificates")
    args = ap.parse_args()

    if os.environ.get("TZ") != "Asia/Shanghai":
        os.environ["TZ"] = "Asia/Shanghai"
        time.tzset()
    node_dir = os.environ.get("PAYDESK_PEERS_NODE_DIR") or die("source scripts/peers/env.sh first")

    ensure_keys(args.new_keys)
    ensure_certs(args.new_keys)
    ensure_bundles()
    pin_python_clock()

    certs = {id_: read(CERTS / f) for id_, f, _ in cert_cases()}
    links_py = python_links()
    callbacks = python_callbacks()

    node_req = {
        "node_dir": node_dir,
        "fixed_now": FIXED_NOW_ISO,
        "app_id": APP_ID,
        "gateway": GATEWAY,
        "return_url": RETURN_URL,
        "notify_url": NOTIFY_URL,
        "subjects": SUBJECTS,
        "keys": {n: read(FIXTURES / f"test_{n}.pem") for n in
                 ("app_private_key", "app_public_key", "alipay_private_key", "alipay_public_key")},
        "certs": [{"id": i, "pem": certs[i], "is_root": r} for i, _, r in cert_cases()],
        "cert_paths": {i: str(CERTS / f) for i, f, _ in cert_cases()},
    }
    node_sns_only = run_node(dict(node_req, only_certs=True))
    alipay_cert_sn = node_sns_only["certs"]["alipay_cert"]["getSN"]
    responses = python_responses(alipay_cert_sn)

    node = run_node(dict(node_req, callbacks=[
        {"id": c["id"], "fields": dict(parse_query_strict_charset(c))} for c in callbacks
    ], responses=[
        {"id": r["id"], "method": r["method"], "sign_type": r["sign_type"], "body": r["body"]} for r in responses
    ]))

    for c in callbacks:
        c["peer_verdicts"]["alipay-sdk"] = node["callbacks"][c["id"]]
    for r in responses:
        v = node["responses"][r["id"]]
        r["peer_verdicts"]["alipay-sdk"] = {
            "checkResponseSign": v["checkResponseSign"],
            "getSignStr_equals_signed_text": v["getSignStr"] == r["signed_text"],
        }

    sns = []
    for id_, f, is_root in cert_cases():
        pem_text = certs[id_]
        n = node["certs"][id_]
        entry = {"id": id_, "file": f"certs/{f}", "is_root_bundle": is_root}
        if not is_root:
            entry.update(cert_info(pem_text))
            entry["independent_sn"] = independent_sn(pem_text)
        entry["node_sn"] = n["getSN"]
        entry["node_sn_from_path"] = n["getSNFromPath"]
        py = python_cert_sn(pem_text, is_root)
        entry["python_sn"] = py
        entry["python_agrees_with_node"] = py == n["getSN"]
        sns.append(entry)

    versions = node["versions"]
    generated_by = {
        "script": "scripts/peers/regen.sh (gen_vectors.py + gen_vectors.mjs)",
        "python-alipay-sdk": importlib.metadata.version("python-alipay-sdk"),
        "pycryptodomex": importlib.metadata.version("pycryptodomex"),
        "pyOpenSSL": importlib.metadata.version("pyOpenSSL"),
        "cryptography": importlib.metadata.version("cryptography"),
        "alipay-sdk": versions["alipay-sdk"],
        "@fidm/x509": versions["@fidm/x509"],
        "pinned_clock": FIXED_NOW_ISO + " (both SDKs format local time; run with TZ=Asia/Shanghai)",
        "keys": {
            "app": "test_app_private_key.pem (PKCS#8) / test_app_public_key.pem",
            "alipay": "test_alipay_private_key.pem (PKCS#1) / test_alipay_public_key.pem",
        },
        "app_id": APP_ID,
    }
    write_json("links.json", {"generated_by": generated_by, "gateway": GATEWAY,
                              "vectors": links_py + node["links"]})
    write_json("callbacks.json", {"generated_by": generated_by, "vectors": callbacks})
    write_json("responses.json", {"generated_by": generated_by, "vectors": responses})
    write_json("cert_sns.json", {
        "generated_by": generated_by,
        "definition": "md5(issuer DN in RFC 2253 order + serial in decimal), lowercase hex; root = RSA-signed certs joined by '_'",
        "vectors": sns,
    })


def parse_query_strict_charset(c):
    body = c["input"].split("?", 1)[1] if "?" in c["input"] else c["input"]
    return urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True, encoding=c["charset"])


if __name__ == "__main__":
    main()
