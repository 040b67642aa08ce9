#!/usr/bin/env python3
"""Verifies Paydesk-made pay links and POST forms with python-alipay-sdk's own verification.

Input: the JSON printed by `cargo run -p paydesk-alipay --example emit_links` (a file argument, or
stdin). Each vector's link (and form, when present) is decoded with form rules and its signature
checked with the SDK's `_ordered_data` + `_verify` over the test app public key — what Alipay's
gateway does on receipt. A tampered copy of each must fail, so the check cannot pass vacuously.
Exit status 1 on any rejection.
"""

import html.parser
import json
import sys
import urllib.parse

from alipay import AliPay


def pairs_of(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate keys in {query[:80]}…")
    return dict(pairs)


class FormFields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            if a["name"] in self.fields:
                raise ValueError(f"duplicate form field {a['name']}")
            self.fields[a["name"]] = a.get("value", "")


def peer_verifies(public_pem, sign_type, params):
    # The SDK needs a "private key" to construct; verification only uses the public one.
    ali = AliPay(appid=params.get("app_id", "x"), app_private_key_string=public_pem,
                 alipay_public_key_string=public_pem, sign_type=sign_type)
    data = dict(params)
    sign = data.pop("sign")
    # Requests sign every parameter but `sign` (sign_type included), so the SDK's callback
    # helper `verify`, which drops sign_type, does not apply: use its canonical builder + verifier.
    message = "&".join(f"{k}={v}" for k, v in ali._ordered_data(data))
    return ali._verify(message, sign)


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin)
    pem = doc["app_public_key_pem"]
    bad = []
    links = forms = 0
    for v in doc["vectors"]:
        st = v["sign_type"]
        carried = pairs_of(v["link"].split("?", 1)[1])
        if carried != v["params"]:
            bad.append(f"{v['id']}: the link does not carry exactly the signed parameters")
            continue
        if not peer_verifies(pem, st, carried):
            bad.append(f"{v['id']}: link rejected")
        t = carried["timestamp"]
        tampered = dict(carried, timestamp=t[:-1] + ("8" if t.endswith("9") else "9"))
        if peer_verifies(pem, st, tampered):
            bad.append(f"{v['id']}: a tampered copy verified — the check is broken")
        links += 1
        if v.get("form_html"):
            p = FormFields()
            p.feed(v["form_html"])
            action_q = pairs_of(urllib.parse.urlsplit(p.action).query) if "?" in p.action else {}
            if any(p.fields.get(k) != x for k, x in action_q.items()) or p.fields != v["params"]:
                bad.append(f"{v['id']}: the form does not carry exactly the signed parameters")
            elif not peer_verifies(pem, st, p.fields):
                bad.append(f"{v['id']}: form rejected")
            forms += 1
    for b in bad:
        print(f"python-alipay-sdk: {b}", file=sys.stderr)
    print(f"python-alipay-sdk checked {links} Paydesk links and {forms} forms; {len(bad)} problems")
    sys.exit(1 if bad or links == 0 else 0)


if __name__ == "__main__":
    main()
